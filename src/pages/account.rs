//! "Omat tiedot": the resident's settings, and the page that confirms a new e-mail address.

use crate::api::services::{RevokeService, my_services};
use crate::api::settings::{
    ChangeEmail, ChangeName, ChangePassword, ConfirmEmail, EndOtherSessions, EndSession,
    SetLanguage, email_change_target, my_sessions,
};
use crate::app::{use_auth, use_lang, use_texts};
use crate::components::field::{FormError, TextField, action_error, typed_value, use_typed};
use crate::components::password_field::PasswordField;
use crate::components::require_login::RequireLogin;
use crate::i18n::Texts;
use crate::i18n::format_moment;
use crate::model::{AccountView, Field, Lang, ServiceView, SessionView};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AccountPage() -> impl IntoView {
    let t = use_texts();
    view! {
        <Title text=move || t().account_title.to_owned()/>
        <section class="card settings" aria-labelledby="account-title">
            <h1 id="account-title">{move || t().account_title}</h1>
            <RequireLogin>
                <Settings/>
            </RequireLogin>
        </section>
    }
}

/// The message for `?saved=…`, which every settings form redirects to on success.
fn saved_message(t: &'static Texts, saved: &str) -> Option<&'static str> {
    match saved {
        "name" => Some(t.settings_saved_name),
        "language" => Some(t.settings_language_saved),
        "password" => Some(t.settings_password_changed),
        "email" => Some(t.settings_email_sent),
        "sessions" => Some(t.sessions_others_ended),
        "services" => Some(t.services_revoked),
        _ => None,
    }
}

#[component]
fn Settings() -> impl IntoView {
    let t = use_texts();
    let auth = use_auth();
    let query = use_query_map();
    let change_name = ServerAction::<ChangeName>::new();
    let set_language = ServerAction::<SetLanguage>::new();
    let saved = move || {
        query
            .read()
            .get("saved")
            .and_then(|key| saved_message(t(), &key))
    };
    view! {
        {move || saved().map(|message| view! { <p class="notice success" role="status">{message}</p> })}
        {move || auth.user.get().and_then(|user| user.ok().flatten()).map(|user| view! {
            <NameForm user=user.clone() action=change_name/>
            <LanguageForm chosen=user.language action=set_language/>
        })}
        <PasswordForm/>
        <EmailForm/>
        <Sessions/>
        <Services/>
    }
}

#[component]
fn NameForm(user: AccountView, action: ServerAction<ChangeName>) -> impl IntoView {
    let t = use_texts();
    let lang = use_lang();
    let typed = use_typed();
    view! {
        <dl class="details">
            <dt>{move || t().account_email}</dt>
            <dd>{user.email.clone()}</dd>
        </dl>
        <h2>{move || t().account_name}</h2>
        <Transition fallback=|| ()>
            {move || typed.get().map(|typed| {
                let kept = typed_value(&typed, "full_name");
                let value = if kept.is_empty() { user.full_name.clone() } else { kept };
                view! {
                    <ActionForm action attr:novalidate=true>
                        <input type="hidden" name="lang" value=move || lang.get().code()/>
                        <TextField id="full_name" name="full_name" autocomplete="name" label=|t| t.account_name
                            value error=action_error(action, Field::Name)/>
                        <button type="submit" class="button">{move || t().settings_save_name}</button>
                    </ActionForm>
                }
            })}
        </Transition>
    }
}

#[component]
fn LanguageForm(chosen: Option<Lang>, action: ServerAction<SetLanguage>) -> impl IntoView {
    let t = use_texts();
    let lang = use_lang();
    let choices =
        std::iter::once(("", None)).chain(Lang::ALL.into_iter().map(|l| (l.code(), Some(l))));
    view! {
        <h2 id="language-title">{move || t().settings_language}</h2>
        <ActionForm action>
            <input type="hidden" name="lang" value=move || lang.get().code()/>
            <fieldset class="choices" aria-describedby="language-hint">
                <legend class="visually-hidden">{move || t().settings_language}</legend>
                <p class="hint" id="language-hint">{move || t().settings_language_hint}</p>
                {choices.map(|(code, choice)| {
                    let id = format!("language-{}", if code.is_empty() { "page" } else { code });
                    view! {
                        <div class="checkbox">
                            <input type="radio" id=id.clone() name="language" value=code checked=chosen == choice/>
                            <label for=id>
                                {move || choice.map_or(t().settings_language_page, Lang::native_name)}
                            </label>
                        </div>
                    }
                }).collect_view()}
            </fieldset>
            <button type="submit" class="button">{move || t().settings_save_language}</button>
        </ActionForm>
    }
}

#[component]
fn PasswordForm() -> impl IntoView {
    let t = use_texts();
    let lang = use_lang();
    let action = ServerAction::<ChangePassword>::new();
    view! {
        <h2>{move || t().set_password_title}</h2>
        <ActionForm action attr:novalidate=true>
            <input type="hidden" name="lang" value=move || lang.get().code()/>
            <FormError error=action_error(action, Field::Form)/>
            <PasswordField id="current" name="current" autocomplete="current-password"
                label=|t| t.current_password_label error=action_error(action, Field::Current)/>
            // An empty token: the meter scores for the logged-in resident.
            <PasswordField id="password" name="password" autocomplete="new-password"
                label=|t| t.new_password_label hint=|t| t.password_hint error=action_error(action, Field::Password)
                meter=String::new()/>
            <PasswordField id="confirm" name="confirm" autocomplete="new-password"
                label=|t| t.confirm_password_label error=action_error(action, Field::Confirm)/>
            <button type="submit" class="button">{move || t().settings_change_password_button}</button>
        </ActionForm>
    }
}

#[component]
fn EmailForm() -> impl IntoView {
    let t = use_texts();
    let lang = use_lang();
    let action = ServerAction::<ChangeEmail>::new();
    let typed = use_typed();
    view! {
        <h2>{move || t().settings_email}</h2>
        <p>{move || t().settings_email_hint}</p>
        <Transition fallback=|| ()>
            {move || typed.get().map(|typed| view! {
                <ActionForm action attr:novalidate=true>
                    <input type="hidden" name="lang" value=move || lang.get().code()/>
                    <FormError error=action_error(action, Field::Form)/>
                    <TextField id="new_email" name="new_email" kind="email" autocomplete="email"
                        label=|t| t.settings_new_email value=typed_value(&typed, "new_email")
                        error=action_error(action, Field::Email)/>
                    <PasswordField id="email-current" name="current" autocomplete="current-password"
                        label=|t| t.current_password_label error=action_error(action, Field::Current)/>
                    <button type="submit" class="button">{move || t().settings_email_button}</button>
                </ActionForm>
            })}
        </Transition>
    }
}

#[component]
fn Sessions() -> impl IntoView {
    let t = use_texts();
    let lang = use_lang();
    let end_one = ServerAction::<EndSession>::new();
    let end_others = ServerAction::<EndOtherSessions>::new();
    let sessions = Resource::new(
        move || (end_one.version().get(), end_others.version().get()),
        |_| my_sessions(),
    );
    view! {
        <h2>{move || t().sessions_title}</h2>
        <p>{move || t().sessions_intro}</p>
        <Transition fallback=move || view! { <p>{move || t().loading}</p> }>
            {move || sessions.get().and_then(Result::ok).map(|list| view! {
                <ul class="sessions">
                    {list.into_iter().map(|session| view! { <SessionItem session end_one/> }).collect_view()}
                </ul>
            })}
        </Transition>
        <ActionForm action=end_others>
            <input type="hidden" name="lang" value=move || lang.get().code()/>
            <button type="submit" class="button">{move || t().sessions_end_others}</button>
        </ActionForm>
    }
}

#[component]
fn SessionItem(session: SessionView, end_one: ServerAction<EndSession>) -> impl IntoView {
    let t = use_texts();
    let lang = use_lang();
    let SessionView {
        id,
        device,
        started_at,
        last_used_at,
        remembered,
        this_device,
    } = session;
    view! {
        <li class="session">
            <p class="session-device">
                <strong>{if device.is_empty() { "—".to_owned() } else { device }}</strong>
                {this_device.then(|| view! { " " <span class="badge">{move || t().session_this_device}</span> })}
            </p>
            <p>{move || t().session_started} ": " {move || format_moment(lang.get(), started_at)}</p>
            <p>{move || t().session_last_used} ": " {move || format_moment(lang.get(), last_used_at)}</p>
            {remembered.then(|| view! { <p>{move || t().session_remembered}</p> })}
            <ActionForm action=end_one>
                <input type="hidden" name="session" value=id/>
                <input type="hidden" name="lang" value=move || lang.get().code()/>
                <button type="submit" class="link-button">{move || t().session_end}</button>
            </ActionForm>
        </li>
    }
}

/// The e-services logged in to through this login, each with a form that revokes its access.
#[component]
fn Services() -> impl IntoView {
    let t = use_texts();
    let revoke = ServerAction::<RevokeService>::new();
    let services = Resource::new(move || revoke.version().get(), |_| my_services());
    view! {
        <h2>{move || t().services_title}</h2>
        <p>{move || t().services_intro}</p>
        <Transition fallback=move || view! { <p>{move || t().loading}</p> }>
            {move || services.get().and_then(Result::ok).map(|list| if list.is_empty() {
                view! { <p>{move || t().services_none}</p> }.into_any()
            } else {
                view! {
                    <ul class="sessions">
                        {list.into_iter().map(|service| view! { <ServiceItem service revoke/> }).collect_view()}
                    </ul>
                }.into_any()
            })}
        </Transition>
    }
}

#[component]
fn ServiceItem(service: ServiceView, revoke: ServerAction<RevokeService>) -> impl IntoView {
    let t = use_texts();
    let lang = use_lang();
    let ServiceView {
        client_id,
        name,
        first_used_at,
        last_used_at,
        active,
    } = service;
    let revoke_form = active.then(|| {
        let name = name.clone();
        view! {
            <ActionForm action=revoke>
                <input type="hidden" name="client" value=client_id/>
                <input type="hidden" name="lang" value=move || lang.get().code()/>
                <button type="submit" class="link-button">
                    {move || t().service_revoke}
                    <span class="visually-hidden">": " {name}</span>
                </button>
            </ActionForm>
        }
    });
    view! {
        <li class="session">
            <p class="session-device"><strong>{name}</strong></p>
            <p>{move || t().service_first_used} ": " {move || format_moment(lang.get(), first_used_at)}</p>
            <p>{move || t().service_last_used} ": " {move || format_moment(lang.get(), last_used_at)}</p>
            {if active { None } else { Some(view! { <p>{move || t().service_not_active}</p> }) }}
            {revoke_form}
        </li>
    }
}

/// Opened from the link mailed to a new address: shows the address, and a button confirms it.
#[component]
pub fn ConfirmEmailPage() -> impl IntoView {
    let t = use_texts();
    let lang = use_lang();
    let query = use_query_map();
    // Read once, untracked: the token leaves the address bar as the page loads (page_script.js).
    let token = query.with_untracked(|q| q.get("token").unwrap_or_default());
    let target = Resource::new(
        {
            let token = token.clone();
            move || token.clone()
        },
        email_change_target,
    );
    let action = ServerAction::<ConfirmEmail>::new();
    let token = StoredValue::new(token);
    view! {
        <Title text=move || t().confirm_email_title.to_owned()/>
        <section class="card" aria-labelledby="confirm-title">
            <h1 id="confirm-title">{move || t().confirm_email_title}</h1>
            <Transition fallback=move || view! { <p>{move || t().loading}</p> }>
                {move || target.get().map(|target| match target {
                    Ok(email) => view! {
                        <p>{move || t().confirm_email_intro} " " <strong>{email}</strong></p>
                        <ActionForm action>
                            <input type="hidden" name="token" value=token.get_value()/>
                            <input type="hidden" name="lang" value=move || lang.get().code()/>
                            <FormError error=action_error(action, Field::Form)/>
                            <button type="submit" class="button primary">{move || t().confirm_email_button}</button>
                        </ActionForm>
                    }.into_any(),
                    Err(error) => view! { <FormError error=Signal::stored(Some(error))/> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
pub fn ConfirmEmailDone() -> impl IntoView {
    let t = use_texts();
    let lang = use_lang();
    view! {
        <Title text=move || t().confirm_email_title.to_owned()/>
        <section class="card" aria-labelledby="confirm-title">
            <h1 id="confirm-title">{move || t().confirm_email_title}</h1>
            <p class="notice success" role="status">{move || t().email_changed}</p>
            <p><a class="button" href=move || format!("/{}/account", lang.get().code())>{move || t().account_title}</a></p>
        </section>
    }
}
