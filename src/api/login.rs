//! The login card: "Jatka" with the address, then the password.

use crate::model::{AppError, LoginFlow, LoginStep};
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use {
    super::context,
    crate::model::{EMAIL_MAX_CHARS, Email, Lang},
    crate::server::AppState,
    crate::server::auth::{limits, login_attempts},
    crate::server::auth::{session, token},
    crate::server::config::AccountEnumeration,
    crate::server::db::{AuditKind, LinkPurpose, MailKind, NewMail, NewSession, after},
    base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD},
    tokio::time::Instant,
};

/// The card's state for this browser: the outcome of its last "Jatka", if still remembered.
/// "Link sent" holds only while the account still has no password: once the resident has set
/// one (perhaps on another device), the card is back at "Jatka" with the address filled in.
#[server(prefix = "/api", endpoint = "login_flow")]
pub async fn get_login_flow() -> Result<LoginFlow, AppError> {
    context::finish(
        async {
            let state = context::state()?;
            let remembered = context::cookie(session::CookieName::LoginFlow)?
                .and_then(|value| decode_flow(&value));
            let Some(mut flow) = remembered else {
                return Ok(flow_at(LoginStep::Email, String::new()));
            };
            if flow.step == LoginStep::LinkSent {
                let email = Email::parse(&flow.email)?;
                let account = state.db.account_by_email(&email).await?;
                if account.is_none_or(|a| a.password_hash.is_some()) {
                    flow.step = LoginStep::Email;
                }
            }
            flow.mail_notice = flow.step == LoginStep::Password
                && state.config.account_enumeration == AccountEnumeration::Protect;
            Ok(flow)
        }
        .await,
    )
}

/// "Jatka": looks the address up and decides the next step. A carried-over account without a
/// password gets its set-password link mailed (queued in the outbox; the token is minted at
/// delivery), which continues to `next` (the card's, e.g. an e-service's login) afterwards. With
/// `account_enumeration = protect` every address gets the password step, in the same time.
/// Refused with `TooManyAttempts` when the client's lookups are spent; the typed address stays.
#[server(prefix = "/api", endpoint = "begin")]
pub async fn begin(
    email: String,
    lang: String,
    next: Option<String>,
) -> Result<LoginStep, AppError> {
    context::finish(
        async {
            let started = Instant::now();
            let state = context::state()?;
            let lang = context::lang(&lang);
            let secure = state.config.secure_cookies();
            let remember = |flow: LoginFlow| {
                context::set_cookie(session::login_flow_cookie(encode_flow(&flow), secure))
            };
            let checked = context::count_lookup(&state, Email::parse(&email)).await;
            let email = match checked {
                Ok(email) => email,
                Err(error) => {
                    // Keep what was typed so that the card shows it again next to the error.
                    let typed: String = email.trim().chars().take(EMAIL_MAX_CHARS).collect();
                    remember(flow_at(LoginStep::Email, typed))?;
                    return Err(error);
                }
            };
            let step = match state.config.account_enumeration {
                AccountEnumeration::Helpful => helpful_step(&state, &email, lang, next).await,
                AccountEnumeration::Protect => {
                    let done = protect_step(&state, &email, lang, next).await;
                    limits::pad_since(started).await;
                    done
                }
            };
            // A mail refused by its limit keeps the "link sent" card: the link is on its way.
            let shown = match step {
                Ok(step) => step,
                Err(AppError::MailLimit { .. }) => LoginStep::LinkSent,
                Err(_) => LoginStep::Email,
            };
            remember(flow_at(shown, email.to_string()))?;
            step
        }
        .await,
    )
}

/// The seed's "Jatka": tells whether the address has an account and mails a carried-over one
/// its link; a repeat within the mail limit is answered with `MailLimit` (check your mail).
#[cfg(feature = "ssr")]
async fn helpful_step(
    state: &AppState,
    email: &Email,
    lang: Lang,
    next: Option<String>,
) -> Result<LoginStep, AppError> {
    Ok(match state.db.account_by_email(email).await? {
        None => LoginStep::Unknown,
        Some(account) if account.password_hash.is_some() => LoginStep::Password,
        Some(account) => {
            limits::reserve_mail(&state.db, email, MailKind::SetPasswordLink).await?;
            let mail_lang = account.mail_language(lang);
            super::audit::send_link(
                state,
                LinkPurpose::SetPassword,
                account.id,
                email,
                mail_lang,
                next.as_deref(),
            )
            .await?;
            LoginStep::LinkSent
        }
    })
}

/// "Jatka" that reveals nothing: the password step for every address. What applies goes by
/// mail to the address alone, within the mail limits, which are never shown here.
#[cfg(feature = "ssr")]
async fn protect_step(
    state: &AppState,
    email: &Email,
    lang: Lang,
    next: Option<String>,
) -> Result<LoginStep, AppError> {
    match state.db.account_by_email(email).await? {
        None => {
            if limits::reserve_quietly(&state.db, email, MailKind::NoAccount).await? {
                let mail = NewMail {
                    kind: MailKind::NoAccount,
                    recipient: email.clone(),
                    account_id: None,
                    lang,
                    next: None,
                };
                state.db.queue(&[mail]).await?;
            }
        }
        Some(account) if account.password_hash.is_none() => {
            if limits::reserve_quietly(&state.db, email, MailKind::SetPasswordLink).await? {
                let mail_lang = account.mail_language(lang);
                super::audit::send_link(
                    state,
                    LinkPurpose::SetPassword,
                    account.id,
                    email,
                    mail_lang,
                    next.as_deref(),
                )
                .await?;
            }
        }
        Some(_) => {}
    }
    Ok(LoginStep::Password)
}

/// "Vaihda käyttäjätunnusta": back to the first step.
#[server(prefix = "/api", endpoint = "restart_login")]
pub async fn restart_login() -> Result<(), AppError> {
    context::finish(
        async {
            let state = context::state()?;
            context::set_cookie(session::removal_cookie(
                session::CookieName::LoginFlow,
                state.config.secure_cookies(),
            ))
        }
        .await,
    )
}

/// "Kirjaudu sisään": checks the password and starts a session with a fresh id. One generic
/// error for an unknown address and a wrong password alike. Then on to `next` (a path on this
/// site only) or the front page.
#[server(prefix = "/api", endpoint = "login")]
pub async fn login(
    email: String,
    password: String,
    remember: Option<String>,
    lang: String,
    /// Where to go after logging in: the protected page that sent the resident here.
    next: Option<String>,
) -> Result<(), AppError> {
    context::finish(
        async {
            let state = context::state()?;
            let lang = context::lang(&lang);
            let email = Email::parse(&email)?;
            if password.is_empty() {
                return Err(AppError::PasswordRequired);
            }
            let ip = context::client_ip();
            // A place in the hashing queue first: a full queue is answered before anything is
            // written (its refusal reads only whether the client must wait anyway).
            let Ok(place) = state.hasher.reserve() else {
                return Err(refuse_busy(&state, &email, ip).await);
            };
            // Before the password is looked at: during a wait even the right one is refused.
            // The account is read in the same write.
            let started = login_attempts::start_login(&state.db, &email, ip).await?;
            let account = started.account;
            let account_id = account.as_ref().map(|a| a.id);
            // An address without an account is named, so that support can see what was tried.
            let tried = account.is_none().then(|| format!("address {email}"));
            let attempt = match started.attempt {
                Ok(attempt) => attempt,
                Err(throttled) => {
                    super::audit::throttled(&state, &throttled, account_id, tried).await?;
                    return Err(throttled.into());
                }
            };
            let stored = account.as_ref().and_then(|a| a.password_hash.clone());
            let matched =
                login_attempts::compare_password(place, attempt, password, stored).await?;
            let (Some(account), Some(matched)) = (account, matched) else {
                super::audit::record(&state, AuditKind::LoginFailed, account_id, tried).await?;
                return Err(AppError::WrongCredentials);
            };
            let persist = remember.is_some();
            let ttl = if persist {
                state.config.remember_ttl
            } else {
                state.config.session_ttl
            };
            // A new id at every login; the session this browser had, if any, ends.
            let replaces = context::cookie(session::CookieName::Session)?
                .map(|previous| token::hash_token(&previous));
            let (session_id, id_hash) = token::new_token();
            let user_agent = context::user_agent();
            let new_session = NewSession {
                id_hash: &id_hash,
                account_id: account.id,
                expires_at: after(ttl),
                persistent: persist,
                user_agent: user_agent.as_deref(),
            };
            let how = persist.then(|| "remembered on this device".to_owned());
            let login = super::audit::event_of_this_request(
                AuditKind::LoginSucceeded,
                Some(account.id),
                how,
            );
            // The attempt ends in the same write.
            matched
                .start_session(&new_session, replaces.as_deref(), login)
                .await?;
            let secure = state.config.secure_cookies();
            context::set_cookie(session::session_cookie(
                session_id,
                persist.then_some(ttl),
                secure,
            ))?;
            context::set_cookie(session::removal_cookie(
                session::CookieName::LoginFlow,
                secure,
            ))?;
            let home = format!("/{}", lang.code());
            leptos_axum::redirect(
                next.as_deref()
                    .and_then(crate::model::local_path)
                    .unwrap_or(&home),
            );
            Ok(())
        }
        .await,
    )
}

/// How long a login refused for a full hashing queue waits before its answer. Answered at once,
/// a flooding client's refused requests come straight back and take the CPU that the hashes
/// need (a 64-connection flood got 3,300 refusals a second and 0.24 of the logins the cores can
/// hash); a quarter second is nothing to a person, whose card says "try again in a moment".
#[cfg(feature = "ssr")]
const BUSY_ANSWER_DELAY: std::time::Duration = std::time::Duration::from_millis(250);

/// The answer to a login the hashing queue has no place for: "too many attempts" when the
/// address or the client IP must wait after failures anyway (so a throttled client is not told
/// to retry in a moment), else "busy". Nothing is counted: no password was looked at.
#[cfg(feature = "ssr")]
async fn refuse_busy(state: &AppState, email: &Email, ip: Option<std::net::IpAddr>) -> AppError {
    tokio::time::sleep(BUSY_ANSWER_DELAY).await;
    let throttled = match login_attempts::waiting(&state.db, email, ip).await {
        Ok(Some(throttled)) => throttled,
        Ok(None) => return AppError::Busy,
        Err(error) => return error,
    };
    let account = match state.db.account_by_email(email).await {
        Ok(account) => account,
        Err(error) => return error.into(),
    };
    let tried = account.is_none().then(|| format!("address {email}"));
    let account_id = account.map(|a| a.id);
    if let Err(error) = super::audit::throttled(state, &throttled, account_id, tried).await {
        return error;
    }
    throttled.into()
}

#[cfg(feature = "ssr")]
fn flow_at(step: LoginStep, email: String) -> LoginFlow {
    LoginFlow {
        step,
        email,
        mail_notice: false,
    }
}

#[cfg(feature = "ssr")]
fn encode_flow(flow: &LoginFlow) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}|{}", flow.step.as_str(), flow.email))
}

#[cfg(feature = "ssr")]
fn decode_flow(value: &str) -> Option<LoginFlow> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(value).ok()?).ok()?;
    let (step, email) = text.split_once('|')?;
    let step = LoginStep::parse(step)?;
    let email = match step {
        // Whatever was typed, to be shown again with its error.
        LoginStep::Email
            if email.chars().count() <= EMAIL_MAX_CHARS && !email.chars().any(char::is_control) =>
        {
            email.to_owned()
        }
        _ => Email::parse(email).ok()?.to_string(),
    };
    Some(flow_at(step, email))
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn flow_cookie_round_trips_and_rejects_tampering() {
        let flow = flow_at(LoginStep::Password, "a|b@example.com".into());
        assert_eq!(decode_flow(&encode_flow(&flow)), Some(flow));
        assert_eq!(decode_flow("not base64!"), None);
        assert_eq!(
            decode_flow(&URL_SAFE_NO_PAD.encode("root|x@example.com")),
            None
        );
        assert_eq!(
            decode_flow(&URL_SAFE_NO_PAD.encode("password|<script>")),
            None
        );
        let typed = flow_at(LoginStep::Email, "erkki@".into());
        assert_eq!(decode_flow(&encode_flow(&typed)), Some(typed));
        assert_eq!(decode_flow(&URL_SAFE_NO_PAD.encode("email|a\u{7}b")), None);
    }
}
