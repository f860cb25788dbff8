//! Passwords: the set-password page opened from a mailed link, and the request for a link when
//! the password is forgotten.

use crate::model::AppError;
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use {
    super::context,
    crate::model::{Email, Lang},
    crate::server::auth::limits,
    crate::server::auth::policy,
    crate::server::db::{AuditKind, LinkPurpose, MailKind, NewMail},
    tokio::time::Instant,
};

/// The username a still-usable link belongs to, shown on the page; `LinkInvalid` otherwise.
#[server(prefix = "/api", endpoint = "check_link")]
pub async fn check_link(token: String) -> Result<String, AppError> {
    context::finish(
        async {
            let state = context::state()?;
            let target = state.db.link_target(&context::token_hash(&token)?).await?;
            target.map(|t| t.email).ok_or(AppError::LinkInvalid)
        }
        .await,
    )
}

/// Sets the password with the link's token. On success the link is spent, every other open
/// link of the account is void, every session of the account ends (no automatic login), a
/// forgotten-password reset is confirmed by mail, and the resident goes to the confirmation page
/// (which leads to the login card with the link's `next`: back into an e-service's login).
#[server(prefix = "/api", endpoint = "set_password")]
pub async fn set_password(
    token: String,
    password: String,
    confirm: String,
    lang: String,
    next: Option<String>,
) -> Result<(), AppError> {
    let next = next.filter(|n| crate::model::local_path(n).is_some());
    let page = set_password_page(&lang, &token, next.as_deref());
    context::finish(context::back_on_error(
        async {
            let state = context::state()?;
            let lang = context::lang(&lang);
            let token_hash = context::token_hash(&token)?;
            // Checked before hashing so that a dead link costs no argon2 work; the update below
            // checks again atomically.
            let target = state
                .db
                .link_target(&token_hash)
                .await?
                .ok_or(AppError::LinkInvalid)?;
            let full_name = super::strength::full_name_of(&state, &target.email).await?;
            policy::judge_new_password(
                &state.hasher,
                &password,
                confirm,
                state.config.password_min_chars,
                &target.email,
                full_name,
            )
            .await?;
            let notice = match target.purpose {
                LinkPurpose::SetPassword => None,
                LinkPurpose::ResetPassword => {
                    let email = Email::parse(&target.email)?;
                    let mail_lang = target
                        .language
                        .as_deref()
                        .and_then(Lang::from_code)
                        .unwrap_or(lang);
                    Some(NewMail {
                        kind: MailKind::PasswordChanged,
                        recipient: email,
                        account_id: Some(target.account_id),
                        lang: mail_lang,
                        next: None,
                    })
                }
            };
            let password_hash = state.hasher.hash(password).await?;
            let account_id = state
                .db
                .set_password_with_link(&token_hash, &password_hash, notice.as_ref())
                .await?
                .ok_or(AppError::LinkInvalid)?;
            let how = Some(format!("with a {} link", target.purpose.as_str()));
            super::audit::record(&state, AuditKind::PasswordSet, Some(account_id), how).await?;
            leptos_axum::redirect(&format!(
                "/{}/set-password/done{}",
                lang.code(),
                crate::model::next_query(next.as_deref())
            ));
            Ok(())
        }
        .await,
        &page,
        <SetPassword as leptos::server_fn::ServerFn>::PATH,
    ))
}

/// The set-password page of `lang` for `token`: where a refused form post without JavaScript
/// goes back to (the page sends no Referer).
#[cfg(feature = "ssr")]
fn set_password_page(lang: &str, token: &str, next: Option<&str>) -> String {
    format!(
        "/{}/set-password?token={}{}",
        context::lang(lang).code(),
        token_in_query(token),
        crate::model::next_query(next).replacen('?', "&", 1)
    )
}

/// A token as it may appear in a query string of ours: our tokens are URL-safe base64, so
/// anything else is dropped (the page then says the link is invalid).
#[cfg(feature = "ssr")]
pub(crate) fn token_in_query(token: &str) -> String {
    token
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(128)
        .collect()
}

/// "Unohtuiko käyttäjätunnus tai salasana?": mails a link for a new password to an address
/// that has an account. The answer is the same whether or not it has one, and whether or not
/// the address's mail limit let the mail go, and takes as long, so the page reveals nothing
/// about who is a resident here. Only the client's lookup budget is told (`TooManyAttempts`).
#[server(prefix = "/api", endpoint = "request_reset")]
pub async fn request_reset(
    email: String,
    lang: String,
    next: Option<String>,
) -> Result<(), AppError> {
    context::finish(
        async {
            let started = Instant::now();
            let state = context::state()?;
            let lang = context::lang(&lang);
            let checked = context::count_lookup(&state, Email::parse(&email)).await;
            let email = context::keep_typed(checked, &[("email", email.as_str())])?;
            if let Some(account) = state.db.account_by_email(&email).await?
                && limits::reserve_quietly(&state.db, &email, MailKind::ResetPasswordLink).await?
            {
                let mail_lang = account.mail_language(lang);
                super::audit::send_link(
                    &state,
                    LinkPurpose::ResetPassword,
                    account.id,
                    &email,
                    mail_lang,
                    next.as_deref(),
                )
                .await?;
            }
            limits::pad_since(started).await;
            let next = crate::model::next_query(next.as_deref());
            leptos_axum::redirect(&format!("/{}/forgot/sent{next}", lang.code()));
            Ok(())
        }
        .await,
    )
}

/// Whom to contact when nothing else helps (configuration), for the help texts.
#[server(prefix = "/api", endpoint = "support_contact")]
pub async fn support_contact() -> Result<String, AppError> {
    context::finish(async { Ok(context::state()?.config.support_contact.clone()) }.await)
}
