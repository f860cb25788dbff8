//! "Takaisin > Vaihda salasana": the page the mailed link opens, and its confirmation.

use crate::api::password::{SetPassword, check_link};
use crate::app::{use_lang, use_texts};
use crate::components::field::{FormError, action_error};
use crate::components::next::{current_next, next_suffix};
use crate::components::password_field::PasswordField;
use crate::model::{AppError, Field};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SetPasswordPage() -> impl IntoView {
    let t = use_texts();
    let query = use_query_map();
    // Read once, untracked: the token leaves the address bar after hydration, and neither the
    // check nor the form may notice that.
    let token = query.with_untracked(|q| q.get("token").unwrap_or_default());
    // Where the login card goes after the password is set (an e-service's login under way).
    let next = current_next();
    let link = Resource::new(
        {
            let token = token.clone();
            move || token.clone()
        },
        check_link,
    );
    let action = ServerAction::<SetPassword>::new();
    Effect::new(move |_| drop_token_from_address_bar());
    view! {
        <Title text=move || t().set_password_title.to_owned()/>
        <section class="card" aria-labelledby="set-password-title">
            <Heading/>
            <Transition fallback=move || view! { <p>{move || t().loading}</p> }>
                {move || link.get().map(|checked| match checked {
                    Ok(email) => view! { <SetPasswordForm email token=token.clone() next=next.clone() action/> }.into_any(),
                    Err(error) => view! { <LinkInvalid error/> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Heading() -> impl IntoView {
    let t = use_texts();
    let lang = use_lang();
    view! {
        <h1 id="set-password-title">
            <a href=move || format!("/{}/login", lang.get().code())>{move || t().back}</a>
            <span aria-hidden="true">" > "</span>
            <span class="visually-hidden">": "</span>
            {move || t().set_password_title}
        </h1>
    }
}

#[component]
fn SetPasswordForm(
    email: String,
    token: String,
    next: Option<String>,
    action: ServerAction<SetPassword>,
) -> impl IntoView {
    let t = use_texts();
    let lang = use_lang();
    let error = move |field: Field| action_error(action, field);
    view! {
        <p>{move || t().set_password_intro}</p>
        <p>{move || t().set_password_for} " " <strong>{email.clone()}</strong></p>
        <p class="hint">{move || t().required_note}</p>
        <ActionForm action attr:novalidate=true>
            <input type="hidden" name="token" value=token.clone()/>
            <input type="hidden" name="lang" value=move || lang.get().code()/>
            {next.map(|next| view! { <input type="hidden" name="next" value=next/> })}
            // Lets password managers store the new password under the right username.
            <input type="hidden" name="username" autocomplete="username" value=email/>
            <FormError error=error(Field::Form)/>
            <PasswordField id="password" name="password" autocomplete="new-password" required=true
                label=|t| t.new_password_label hint=|t| t.password_hint error=error(Field::Password)
                meter=token.clone()/>
            <PasswordField id="confirm" name="confirm" autocomplete="new-password" required=true
                label=|t| t.confirm_password_label error=error(Field::Confirm)/>
            <button type="submit" class="button primary">{move || t().set_password_button}</button>
        </ActionForm>
    }
}

#[component]
fn LinkInvalid(error: AppError) -> impl IntoView {
    let t = use_texts();
    let lang = use_lang();
    view! {
        <div class="notice warning" role="alert">
            <p>{move || t().error(error)}</p>
            <p>{move || t().link_invalid_request_new}</p>
        </div>
        <p><a class="button" href=move || format!("/{}/login", lang.get().code())>{move || t().go_to_login}</a></p>
    }
}

/// Where a successful set-password lands.
#[component]
pub fn SetPasswordDone() -> impl IntoView {
    let t = use_texts();
    let lang = use_lang();
    // Inside an e-service's login, the login card goes on with it.
    let next = next_suffix();
    view! {
        <Title text=move || t().set_password_title.to_owned()/>
        <section class="card" aria-labelledby="set-password-title">
            <Heading/>
            <p class="notice success" role="status">{move || t().set_password_done}</p>
            <p><a class="button primary" href=move || format!("/{}/login{next}", lang.get().code())>{move || t().go_to_login}</a></p>
        </section>
    }
}

/// Removes `token` from the address bar (browser history included) once the page has loaded, so
/// that it is not left on screen, in the history or in a bookmark. The page keeps the token it
/// read; nothing reloads.
pub fn drop_token_from_address_bar() {
    #[cfg(feature = "hydrate")]
    {
        let Some(window) = web_sys::window() else {
            return;
        };
        let location = window.location();
        let (Ok(path), Ok(search)) = (location.pathname(), location.search()) else {
            return;
        };
        let kept = without_token(&search);
        if kept != search
            && let Ok(history) = window.history()
        {
            let address = format!("{path}{kept}");
            let _ =
                history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&address));
        }
    }
}

/// A query string (`?a=1&token=x`) without its `token` parameter (`?a=1`), or `""`.
pub fn without_token(search: &str) -> String {
    let kept: Vec<&str> = search
        .trim_start_matches('?')
        .split('&')
        .filter(|pair| !pair.is_empty() && pair.split('=').next() != Some("token"))
        .collect();
    if kept.is_empty() {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::without_token;

    #[test]
    fn only_the_token_leaves_the_query() {
        assert_eq!(without_token("?token=abc"), "");
        assert_eq!(
            without_token("?token=abc&__path=x&__err=y"),
            "?__path=x&__err=y"
        );
        assert_eq!(without_token("?a=1&token=abc"), "?a=1");
        assert_eq!(without_token(""), "");
        assert_eq!(without_token("?tokens=1"), "?tokens=1");
    }
}
