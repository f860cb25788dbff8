//! Mailing a single-use link: a new token, the mail in the resident's language, both stored in
//! one transaction, and the sender woken.

use crate::model::{Email, Lang};
use crate::server::db::{LinkPurpose, after};
use crate::server::mail::templates;
use crate::server::{AppState, ServerError};

/// Mails `email` a link for `purpose` to the set-password page, valid for the configured time.
pub async fn send(
    state: &AppState,
    purpose: LinkPurpose,
    account_id: i64,
    email: &Email,
    lang: Lang,
) -> Result<(), ServerError> {
    let config = &state.config;
    let ttl = match purpose {
        LinkPurpose::SetPassword => config.legacy_link_ttl,
        LinkPurpose::ResetPassword => config.reset_link_ttl,
    };
    let (token, token_hash) = super::token::new_token();
    let link = format!(
        "{}/{}/set-password?token={token}",
        config.public_url,
        lang.code()
    );
    let mail = templates::link_mail(
        purpose,
        lang,
        email,
        &link,
        ttl.as_secs() / 3600,
        &config.support_contact,
    );
    state
        .db
        .issue_link(purpose, account_id, &token_hash, after(ttl), &mail)
        .await?;
    state.mail_queued.notify_one();
    tracing::info!(account_id, ?purpose, "link mailed");
    Ok(())
}
