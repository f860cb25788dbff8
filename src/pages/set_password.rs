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
    // Read once, untracked: the token leaves the address bar as the page loads
    // (page_script.js), and neither the check nor the form may notice that.
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
