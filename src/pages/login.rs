//! The login card ("Kirjautuminen"): the address first, then, depending on the account, the
//! password, a notice that a set-password link was mailed, or that the address is unknown (with
//! `account_enumeration = protect`, the password step for every address).
//!
//! The step comes from the server (`login_flow`), so the card renders the same with JavaScript
//! off; with WASM loaded, each action refetches it.

use crate::api::login::{Begin, Login, RestartLogin, get_login_flow};
use crate::api::oidc::login_service;
use crate::app::{use_lang, use_texts};
use crate::components::field::{FormError, TextField, action_error};
use crate::components::next::{NextField, current_next, next_suffix};
use crate::components::password_field::PasswordField;
use crate::components::support::SupportContact;
use crate::model::{Field, LoginFlow, LoginStep};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let t = use_texts();
    let lang = use_lang();
    let begin = ServerAction::<Begin>::new();
    let restart = ServerAction::<RestartLogin>::new();
    let flow = Resource::new(
        move || (begin.version().get(), restart.version().get()),
        |_| get_login_flow(),
    );
    let suffix = next_suffix();
    let create_href = move || format!("/{}/register{suffix}", lang.get().code());
    // Inside an e-service's login (OpenID Connect), the card names the service.
    let next = current_next();
    let service = Resource::new(
        || (),
        move |_| {
            let next = next.clone();
            async move {
                match next {
                    Some(next) if next.starts_with("/oauth2/authorize?") => {
                        login_service(next).await
                    }
                    _ => Ok(None),
                }
            }
        },
    );

    view! {
        <Title text=move || t().login_title.to_owned()/>
        <section class="card login-card" aria-labelledby="login-title">
            <h1 id="login-title">{move || t().login_title}</h1>
            <Suspense>
                {move || service.get().and_then(Result::ok).flatten().map(|name| view! {
                    <p class="login-service"><strong>{move || format!("{} {name}", t().login_to_service)}</strong></p>
                })}
            </Suspense>
            <p>{move || t().login_intro}</p>
            <p><a href=create_href>{move || t().create_account}</a>{move || t().create_account_suffix}</p>
            <Transition fallback=move || view! { <p>{move || t().loading}</p> }>
                {move || flow.get().map(|flow| match flow {
                    Ok(flow) => step_view(flow, begin, restart).into_any(),
                    Err(error) => view! { <FormError error=Signal::stored(Some(error))/> }.into_any(),
                })}
            </Transition>
            <SupportContact/>
        </section>
    }
}

fn step_view(
    flow: LoginFlow,
    begin: ServerAction<Begin>,
    restart: ServerAction<RestartLogin>,
) -> impl IntoView {
    match flow.step {
        LoginStep::Email if flow.email.is_empty() => email_form(login_hint(), begin).into_any(),
        LoginStep::Email => email_form(flow.email, begin).into_any(),
        LoginStep::Unknown => view! {
            {email_form(flow.email, begin)}
            <UnknownNotice/>
        }
        .into_any(),
        LoginStep::LinkSent => view! { <LinkSent email=flow.email begin restart/> }.into_any(),
        LoginStep::Password => {
            view! { <PasswordForm email=flow.email mail_notice=flow.mail_notice restart/> }
                .into_any()
        }
    }
}

/// The address an e-service suggested (`login_hint` of its OpenID Connect request, passed on
/// by the provider), to fill in the empty first step; only text that could be an address.
fn login_hint() -> String {
    use_query_map()
        .get_untracked()
        .get("login_hint")
        .filter(|hint| {
            hint.chars().count() <= crate::model::EMAIL_MAX_CHARS
                && !hint.chars().any(char::is_control)
        })
        .unwrap_or_default()
}

/// Step one: the address and "Jatka".
fn email_form(email: String, begin: ServerAction<Begin>) -> impl IntoView {
    let t = use_texts();
    let lang = use_lang();
    view! {
        <ActionForm action=begin attr:novalidate=true>
            <input type="hidden" name="lang" value=move || lang.get().code()/>
            <NextField/>
            <FormError error=action_error(begin, Field::Form)/>
            <TextField id="email" name="email" kind="email" autocomplete="username" label=|t| t.username_label
                hint=|t| t.username_hint value=email error=action_error(begin, Field::Email)/>
            <button type="submit" class="button primary">{move || t().continue_button}</button>
        </ActionForm>
    }
}

#[component]
fn UnknownNotice() -> impl IntoView {
    let t = use_texts();
    let lang = use_lang();
    let suffix = next_suffix();
    view! {
        <div class="notice warning" role="status">
            <p>{move || t().unknown_email}</p>
            <p>
                {move || t().unknown_email_create} " "
                <a href=move || format!("/{}/register{suffix}", lang.get().code())>{move || t().create_account}</a>
            </p>
        </div>
    }
}

/// The address the card is about, read-only, with a way back to step one.
#[component]
fn ChosenEmail(email: String, restart: ServerAction<RestartLogin>) -> impl IntoView {
    let t = use_texts();
    view! {
        <div class="chosen-email">
            <TextField id="email" name="email" kind="email" autocomplete="username" label=|t| t.username_label
                value=email readonly=true error=Signal::stored(None)/>
        </div>
        <ActionForm action=restart attr:class="inline-form">
            <button type="submit" class="link-button">{move || t().change_username}</button>
        </ActionForm>
    }
}

/// The link was mailed; a repeated "Jatka" within the mail limit shows `MailLimit` here.
#[component]
fn LinkSent(
    email: String,
    begin: ServerAction<Begin>,
    restart: ServerAction<RestartLogin>,
) -> impl IntoView {
    let t = use_texts();
    view! {
        <FormError error=action_error(begin, Field::Form)/>
        <ChosenEmail email restart/>
        <p class="notice success" role="status">{move || t().link_sent}</p>
    }
}

/// Step two for accounts with a password, and in `protect` mode for every address, then with
/// `mail_notice` saying that a link or a "no account" mail may be on its way. Waits after
/// failed attempts show as the form's error at the top.
#[component]
fn PasswordForm(
    email: String,
    mail_notice: bool,
    restart: ServerAction<RestartLogin>,
) -> impl IntoView {
    let t = use_texts();
    let lang = use_lang();
    // Made here, below the router, so that it reads the error a refused post carries back
    // in the address (`__err`): every page is rendered on the server.
    let login = ServerAction::<Login>::new();
    let forgot_next = next_suffix();
    view! {
        <ActionForm action=login attr:novalidate=true>
            <input type="hidden" name="lang" value=move || lang.get().code()/>
            // Set when a protected page or an e-service sent the resident here; `login` only
            // follows local paths.
            <NextField/>
            <FormError error=action_error(login, Field::Form)/>
            {mail_notice.then(|| view! { <p class="notice success" role="status">{move || t().login_mail_notice}</p> })}
            <TextField id="email" name="email" kind="email" autocomplete="username" label=|t| t.username_label
                value=email readonly=true error=action_error(login, Field::Email)/>
            // With JavaScript, the focus moves to the password once this step appears.
            <PasswordField id="password" name="password" autocomplete="current-password"
                label=|t| t.password_label error=action_error(login, Field::Password) focus=true/>
            <div class="checkbox">
                <input type="checkbox" id="remember" name="remember" value="on"/>
                <label for="remember">{move || t().remember_me}</label>
            </div>
            <p><a href=move || format!("/{}/forgot{forgot_next}", lang.get().code())>{move || t().forgot}</a></p>
            <button type="submit" class="button primary">{move || t().login_button}</button>
        </ActionForm>
        <ActionForm action=restart attr:class="inline-form">
            <button type="submit" class="link-button">{move || t().change_username}</button>
        </ActionForm>
    }
}
