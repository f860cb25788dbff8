//! The login card: "Jatka" with the address, then the password.

use crate::model::{AppError, LoginFlow, LoginStep};
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use {
    super::context,
    crate::model::{EMAIL_MAX_CHARS, Email},
    crate::server::auth::{link, session, token},
    crate::server::db::{LinkPurpose, after},
    base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD},
};

/// The card's state for this browser: the outcome of its last "Jatka", if still remembered.
/// "Link sent" holds only while the account still has no password: once the resident has set
/// one (perhaps on another device), the card is back at "Jatka" with the address filled in.
#[server(prefix = "/api", endpoint = "login_flow")]
pub async fn get_login_flow() -> Result<LoginFlow, AppError> {
    context::finish(
        async {
            let remembered = context::cookie(session::CookieName::LoginFlow)?
                .and_then(|value| decode_flow(&value));
            let Some(mut flow) = remembered else {
                return Ok(LoginFlow {
                    step: LoginStep::Email,
                    email: String::new(),
                });
            };
            if flow.step == LoginStep::LinkSent {
                let email = Email::parse(&flow.email)?;
                let account = context::state()?.db.account_by_email(&email).await?;
                if account.is_none_or(|a| a.password_hash.is_some()) {
                    flow.step = LoginStep::Email;
                }
            }
            Ok(flow)
        }
        .await,
    )
}

/// "Jatka": looks the address up and decides the next step. A carried-over account without a
/// password gets its set-password link mailed (queued in the outbox with the token).
#[server(prefix = "/api", endpoint = "begin")]
pub async fn begin(email: String, lang: String) -> Result<LoginStep, AppError> {
    context::finish(
        async {
            let state = context::state()?;
            let lang = context::lang(&lang);
            let secure = state.config.secure_cookies();
            let email = match Email::parse(&email) {
                Ok(email) => email,
                Err(error) => {
                    // Keep what was typed so that the card shows it again next to the error.
                    let typed: String = email.trim().chars().take(EMAIL_MAX_CHARS).collect();
                    let flow = LoginFlow {
                        step: LoginStep::Email,
                        email: typed,
                    };
                    context::set_cookie(session::login_flow_cookie(encode_flow(&flow), secure))?;
                    return Err(error);
                }
            };
            let step = match state.db.account_by_email(&email).await? {
                None => LoginStep::Unknown,
                Some(account) if account.password_hash.is_some() => LoginStep::Password,
                Some(account) => {
                    let mail_lang = account.mail_language(lang);
                    link::send(
                        &state,
                        LinkPurpose::SetPassword,
                        account.id,
                        &email,
                        mail_lang,
                    )
                    .await?;
                    LoginStep::LinkSent
                }
            };
            let flow = LoginFlow {
                step,
                email: email.to_string(),
            };
            context::set_cookie(session::login_flow_cookie(encode_flow(&flow), secure))?;
            Ok(step)
        }
        .await,
    )
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
            if password.chars().count() > crate::model::PASSWORD_MAX_CHARS {
                return Err(AppError::WrongCredentials);
            }
            let account = state.db.account_by_email(&email).await?;
            let stored = account.as_ref().and_then(|a| a.password_hash.clone());
            let matches = state.hasher.verify(password, stored).await?;
            let Some(account) = account.filter(|_| matches) else {
                tracing::info!("login refused");
                return Err(AppError::WrongCredentials);
            };
            let persist = remember.is_some();
            let ttl = if persist {
                state.config.remember_ttl
            } else {
                state.config.session_ttl
            };
            let (session_id, id_hash) = token::new_token();
            state
                .db
                .create_session(
                    &id_hash,
                    account.id,
                    after(ttl),
                    persist,
                    context::user_agent().as_deref(),
                )
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
            tracing::info!(account_id = account.id, persist, "logged in");
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
    Some(LoginFlow { step, email })
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn flow_cookie_round_trips_and_rejects_tampering() {
        let flow = LoginFlow {
            step: LoginStep::Password,
            email: "a|b@example.com".into(),
        };
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
        let typed = LoginFlow {
            step: LoginStep::Email,
            email: "erkki@".into(),
        };
        assert_eq!(decode_flow(&encode_flow(&typed)), Some(typed));
        assert_eq!(decode_flow(&URL_SAFE_NO_PAD.encode("email|a\u{7}b")), None);
    }
}
