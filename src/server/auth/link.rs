//! Mailing a single-use link: a new token, the mail in the resident's language, both stored in
//! one transaction, and the sender woken.

use crate::model::{Email, Lang};
use crate::server::db::{Db, LinkPurpose, after};
use crate::server::mail::templates;
use crate::server::{AppState, Config, ServerError};

/// Mails `email` a link for `purpose` to the set-password page, valid for the configured time.
pub async fn send(
    state: &AppState,
    purpose: LinkPurpose,
    account_id: i64,
    email: &Email,
    lang: Lang,
) -> Result<(), ServerError> {
    queue(&state.db, &state.config, purpose, account_id, email, lang).await
}

/// Stores the link and queues its mail; the running server's sender delivers it (it polls the
/// outbox, so this also serves the support command line, which runs beside the server).
pub async fn queue(
    db: &Db,
    config: &Config,
    purpose: LinkPurpose,
    account_id: i64,
    email: &Email,
    lang: Lang,
) -> Result<(), ServerError> {
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
    db.issue_link(purpose, account_id, &token_hash, after(ttl), &mail)
        .await?;
    tracing::info!(account_id, ?purpose, "link queued");
    Ok(())
}
