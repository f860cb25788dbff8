//! The login card ("Kirjautuminen"): the address first, then, depending on the account, the
//! password, a notice that a set-password link was mailed, or that the address is unknown.
//!
//! The step comes from the server (`login_flow`), so the card renders the same with JavaScript
//! off; with WASM loaded, each action refetches it.

use crate::api::login::{Begin, RestartLogin, get_login_flow};
use crate::app::{use_auth, use_lang, use_texts};
use crate::components::field::{FormError, TextField, action_error};
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
    let create_href = move || format!("/{}/register", lang.get().code());

    view! {
        <Title text=move || t().login_title.to_owned()/>
        <section class="card login-card" aria-labelledby="login-title">
            <h1 id="login-title">{move || t().login_title}</h1>
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
        LoginStep::Email => email_form(flow.email, begin).into_any(),
        LoginStep::Unknown => view! {
            {email_form(flow.email, begin)}
            <UnknownNotice/>
        }
        .into_any(),
        LoginStep::LinkSent => view! { <LinkSent email=flow.email restart/> }.into_any(),
        LoginStep::Password => view! { <PasswordForm email=flow.email restart/> }.into_any(),
    }
}

/// Step one: the address and "Jatka".
fn email_form(email: String, begin: ServerAction<Begin>) -> impl IntoView {
    let t = use_texts();
    let lang = use_lang();
    view! {
        <ActionForm action=begin attr:novalidate=true>
            <input type="hidden" name="lang" value=move || lang.get().code()/>
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
    view! {
        <div class="notice warning" role="status">
            <p>{move || t().unknown_email}</p>
            <p>
                {move || t().unknown_email_create} " "
                <a href=move || format!("/{}/register", lang.get().code())>{move || t().create_account}</a>
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

#[component]
fn LinkSent(email: String, restart: ServerAction<RestartLogin>) -> impl IntoView {
    let t = use_texts();
    view! {
        <ChosenEmail email restart/>
        <p class="notice success" role="status">{move || t().link_sent}</p>
    }
}

/// Step two for accounts with a password.
#[component]
fn PasswordForm(email: String, restart: ServerAction<RestartLogin>) -> impl IntoView {
    let t = use_texts();
    let lang = use_lang();
    let login = use_auth().login;
    // Set when a protected page sent the resident here; `login` only follows local paths.
    let next = use_query_map().get_untracked().get("next");
    let password_input = NodeRef::<leptos::html::Input>::new();
    // With WASM, move focus to the password once this step appears.
    Effect::new(move |_| {
        if let Some(input) = password_input.get() {
            let _ = input.focus();
        }
    });
    view! {
        <ActionForm action=login attr:novalidate=true>
            <input type="hidden" name="lang" value=move || lang.get().code()/>
            {next.map(|next| view! { <input type="hidden" name="next" value=next/> })}
            <FormError error=action_error(login, Field::Form)/>
            <TextField id="email" name="email" kind="email" autocomplete="username" label=|t| t.username_label
                value=email readonly=true error=action_error(login, Field::Email)/>
            <PasswordField id="password" name="password" autocomplete="current-password"
                label=|t| t.password_label error=action_error(login, Field::Password) node_ref=password_input/>
            <div class="checkbox">
                <input type="checkbox" id="remember" name="remember" value="on"/>
                <label for="remember">{move || t().remember_me}</label>
            </div>
            <p><a href=move || format!("/{}/forgot", lang.get().code())>{move || t().forgot}</a></p>
            <button type="submit" class="button primary">{move || t().login_button}</button>
        </ActionForm>
        <ActionForm action=restart attr:class="inline-form">
            <button type="submit" class="link-button">{move || t().change_username}</button>
        </ActionForm>
    }
}
