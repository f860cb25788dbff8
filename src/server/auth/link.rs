//! Mailing a single-use link: the mail is queued saying what it is, and the sender mints the
//! token when it delivers the mail (so no raw token is ever stored; see `mail::sender`).

use crate::model::{Email, Lang};
use crate::server::ServerError;
use crate::server::db::{Db, LinkPurpose, NewMail};

/// Queues the mail that carries a link for `purpose` to the set-password page, in the
/// resident's language; with `next` (a local path, e.g. an e-service's login under way) the
/// page continues there once the password is set. The running server's sender delivers it (it
/// also polls the outbox, so this serves the support command line, which runs beside the
/// server).
pub async fn queue(
    db: &Db,
    purpose: LinkPurpose,
    account_id: i64,
    email: &Email,
    lang: Lang,
    next: Option<&str>,
) -> Result<(), ServerError> {
    db.queue(&[NewMail {
        kind: purpose.mail_kind(),
        recipient: email.clone(),
        account_id: Some(account_id),
        lang,
        next: next.and_then(crate::model::local_path).map(str::to_owned),
    }])
    .await?;
    tracing::info!(account_id, ?purpose, "link queued");
    Ok(())
}
