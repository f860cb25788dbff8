//! The logged-in resident's settings: name, language of mail, password, e-mail address and
//! login sessions. Every function acts on the session's own account only.

use crate::model::{AppError, SessionView};
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use {
    super::context,
    crate::model::{Email, Lang, check_full_name, describe_user_agent},
    crate::server::auth::{login_attempts, policy, token},
    crate::server::db::{AuditKind, EmailChange, MailKind, NewMail},
};

/// Where a settings form lands after success: the settings page, saying what was saved.
#[cfg(feature = "ssr")]
pub(super) fn back_to_settings(lang: Lang, saved: &str) {
    leptos_axum::redirect(&format!("/{}/account?saved={saved}", lang.code()));
}

#[server(prefix = "/api", endpoint = "change_name")]
pub async fn change_name(full_name: String, lang: String) -> Result<(), AppError> {
    context::finish(
        async {
            let state = context::state()?;
            let (account, _) = context::require_login(&state).await?;
            let full_name = context::keep_typed(
                check_full_name(&full_name),
                &[("full_name", full_name.as_str())],
            )?;
            state.db.set_full_name(account.id, &full_name).await?;
            back_to_settings(context::lang(&lang), "name");
            Ok(())
        }
        .await,
    )
}

/// `language`: `fi`, `sv`, `en`, or empty for "the page's language".
#[server(prefix = "/api", endpoint = "set_language")]
pub async fn set_language(language: String, lang: String) -> Result<(), AppError> {
    context::finish(
        async {
            let state = context::state()?;
            let (account, _) = context::require_login(&state).await?;
            let chosen = match language.as_str() {
                "" => None,
                code => Some(Lang::from_code(code).ok_or(AppError::BadRequest)?),
            };
            state
                .db
                .set_language(account.id, chosen.map(Lang::code))
                .await?;
            back_to_settings(context::lang(&lang), "language");
            Ok(())
        }
        .await,
    )
}

/// Needs the current password; ends the account's other sessions and tells the resident by mail.
#[server(prefix = "/api", endpoint = "change_password")]
pub async fn change_password(
    current: String,
    password: String,
    confirm: String,
    lang: String,
) -> Result<(), AppError> {
    context::finish(
        async {
            let state = context::state()?;
            let lang = context::lang(&lang);
            let (account, session) = context::require_login(&state).await?;
            policy::judge_new_password(
                &state.hasher,
                &password,
                confirm,
                state.config.password_min_chars,
                &account.email,
                account.full_name.clone(),
            )
            .await?;
            verify_current(&state, &account, current).await?;
            let password_hash = state.hasher.hash(password).await?;
            let email = Email::parse(&account.email)?;
            let notice = NewMail {
                kind: MailKind::PasswordChanged,
                recipient: email,
                account_id: Some(account.id),
                lang: account.mail_language(lang),
                next: None,
            };
            state
                .db
                .change_password(account.id, &password_hash, &session, &notice)
                .await?;
            renew_session_id(&state, &session).await?;
            let kind = AuditKind::PasswordChanged;
            super::audit::record(&state, kind, Some(account.id), None).await?;
            back_to_settings(lang, "password");
            Ok(())
        }
        .await,
    )
}

/// Needs the current password. Mails a confirmation link to the new address and a notice to
/// the current one; the current address stays the username until the link is opened.
#[server(prefix = "/api", endpoint = "change_email")]
pub async fn change_email(
    new_email: String,
    current: String,
    lang: String,
) -> Result<(), AppError> {
    context::finish(
        async {
            let state = context::state()?;
            let lang = context::lang(&lang);
            let (account, _) = context::require_login(&state).await?;
            let new = context::keep_typed(
                Email::parse(&new_email),
                &[("new_email", new_email.as_str())],
            )?;
            if new.as_str() == account.email {
                return context::keep_typed(
                    Err(AppError::EmailUnchanged),
                    &[("new_email", new_email.as_str())],
                );
            }
            let checked = verify_current(&state, &account, current).await;
            context::keep_typed(checked, &[("new_email", new_email.as_str())])?;
            let lang_of_mail = account.mail_language(lang);
            let mail = |kind, recipient| NewMail {
                kind,
                recipient,
                account_id: Some(account.id),
                lang: lang_of_mail,
                next: None,
            };
            // The link to the new address, and a notice to the current one, both or neither.
            let old = Email::parse(&account.email)?;
            state
                .db
                .queue(&[
                    mail(MailKind::EmailChangeLink, new.clone()),
                    mail(MailKind::EmailChangeNotice, old),
                ])
                .await?;
            let detail = Some(format!("change_email to {new}"));
            let kind = AuditKind::LinkMailed;
            super::audit::record(&state, kind, Some(account.id), detail).await?;
            back_to_settings(lang, "email");
            Ok(())
        }
        .await,
    )
}

/// The address a still-usable confirmation link is for, shown before confirming.
#[server(prefix = "/api", endpoint = "email_change_target")]
pub async fn email_change_target(token: String) -> Result<String, AppError> {
    context::finish(
        async {
            let state = context::state()?;
            state
                .db
                .email_change_target(&context::token_hash(&token)?)
                .await?
                .ok_or(AppError::LinkInvalid)
        }
        .await,
    )
}

/// Opened from the link mailed to the new address (a button on the page, so that a mail
/// scanner following the link changes nothing).
#[server(prefix = "/api", endpoint = "confirm_email")]
pub async fn confirm_email(token: String, lang: String) -> Result<(), AppError> {
    let page = format!(
        "/{}/confirm-email?token={}",
        context::lang(&lang).code(),
        super::password::token_in_query(&token)
    );
    context::finish(context::back_on_error(
        async {
            let state = context::state()?;
            match state
                .db
                .confirm_email_change(&context::token_hash(&token)?)
                .await?
            {
                EmailChange::Changed {
                    account_id,
                    old,
                    new,
                } => {
                    let old = old.as_deref().unwrap_or("no address");
                    let detail = Some(format!("{old} -> {new}"));
                    let kind = AuditKind::EmailChanged;
                    super::audit::record(&state, kind, Some(account_id), detail).await?;
                    leptos_axum::redirect(&format!(
                        "/{}/confirm-email/done",
                        context::lang(&lang).code()
                    ));
                    Ok(())
                }
                EmailChange::Invalid => Err(AppError::LinkInvalid),
                EmailChange::Taken => Err(AppError::EmailTaken),
            }
        }
        .await,
        &page,
        <ConfirmEmail as leptos::server_fn::ServerFn>::PATH,
    ))
}

/// The account's live sessions, this one marked.
#[server(prefix = "/api", endpoint = "my_sessions")]
pub async fn my_sessions() -> Result<Vec<SessionView>, AppError> {
    context::finish(
        async {
            let state = context::state()?;
            let (account, current) = context::require_login(&state).await?;
            let sessions = state
                .db
                .sessions_of(account.id, state.config.idle_limits())
                .await?;
            Ok(sessions
                .into_iter()
                .map(|s| SessionView {
                    id: hex(&s.id_hash),
                    device: describe_user_agent(s.user_agent.as_deref().unwrap_or("")),
                    started_at: s.created_at,
                    last_used_at: s.last_seen_at,
                    remembered: s.persistent,
                    this_device: s.id_hash == current,
                })
                .collect())
        }
        .await,
    )
}

/// Ends one of the account's sessions (this one too, if asked: that is logging out).
#[server(prefix = "/api", endpoint = "end_session")]
pub async fn end_session(session: String, lang: String) -> Result<(), AppError> {
    context::finish(
        async {
            let state = context::state()?;
            let (account, _) = context::require_login(&state).await?;
            let id_hash = unhex(&session).ok_or(AppError::BadRequest)?;
            state.db.end_session_of(account.id, &id_hash).await?;
            let detail = Some("another session, from the settings".to_owned());
            let kind = AuditKind::SessionEnded;
            super::audit::record(&state, kind, Some(account.id), detail).await?;
            back_to_settings(context::lang(&lang), "sessions");
            Ok(())
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "end_other_sessions")]
pub async fn end_other_sessions(lang: String) -> Result<(), AppError> {
    context::finish(
        async {
            let state = context::state()?;
            let (account, current) = context::require_login(&state).await?;
            let ended = state.db.end_other_sessions(account.id, &current).await?;
            let detail = Some(format!("{ended} other session(s), from the settings"));
            let kind = AuditKind::SessionEnded;
            super::audit::record(&state, kind, Some(account.id), detail).await?;
            back_to_settings(context::lang(&lang), "sessions");
            Ok(())
        }
        .await,
    )
}

/// Gives this device's session a new id after a password change (ASVS: a new session token on
/// re-authentication), keeping its absolute expiry; the old id stops working at once.
#[cfg(feature = "ssr")]
async fn renew_session_id(state: &crate::server::AppState, old: &[u8]) -> Result<(), AppError> {
    use crate::server::auth::session;
    let (id, id_hash) = token::new_token();
    let Some((persistent, expires_at)) = state.db.rotate_session(old, &id_hash).await? else {
        return Err(AppError::NotLoggedIn);
    };
    let remaining = u64::try_from(expires_at - crate::server::db::now()).unwrap_or(0);
    let persist = persistent.then_some(std::time::Duration::from_secs(remaining));
    context::set_cookie(session::session_cookie(
        id,
        persist,
        state.config.secure_cookies(),
    ))
}

/// Checks the current password asked before a change of password or address.
#[cfg(feature = "ssr")]
async fn verify_current(
    state: &crate::server::AppState,
    account: &crate::server::db::Account,
    current: String,
) -> Result<(), AppError> {
    // The same limits as the login card: a stolen session must not become a way to guess the
    // password (a wait here also applies to logging in, and the other way round).
    let email = Email::parse(&account.email)?;
    // A place in the hashing queue before anything is counted (see `login`).
    let place = state.hasher.reserve()?;
    let started = login_attempts::start_login(&state.db, &email, context::client_ip()).await?;
    let stored = account.password_hash.clone();
    let compared = login_attempts::compare_password(place, started.attempt?, current, stored);
    if let Some(matched) = compared.await? {
        matched.end().await
    } else {
        let detail = Some("wrong current password in the settings".to_owned());
        super::audit::record(state, AuditKind::LoginFailed, Some(account.id), detail).await?;
        Err(AppError::CurrentPasswordWrong)
    }
}

#[cfg(feature = "ssr")]
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(feature = "ssr")]
fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() != 64 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn session_ids_round_trip_through_hex() {
        let id: Vec<u8> = (0..32).collect();
        assert_eq!(unhex(&hex(&id)), Some(id));
        assert_eq!(unhex("zz"), None);
        assert_eq!(unhex(&"g".repeat(64)), None);
    }
}
