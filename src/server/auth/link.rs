//! Mailing a single-use link: the mail is queued saying what it is, and the sender mints the
//! token when it delivers the mail (so no raw token is ever stored; see `mail::sender`).

use crate::model::{Email, Lang};
use crate::server::ServerError;
use crate::server::db::{Db, LinkPurpose, NewMail};

/// Queues the mail that carries a link for `purpose` to the set-password page, in the
/// resident's language. The running server's sender delivers it (it also polls the outbox, so
/// this serves the support command line, which runs beside the server).
pub async fn queue(
    db: &Db,
    purpose: LinkPurpose,
    account_id: i64,
    email: &Email,
    lang: Lang,
) -> Result<(), ServerError> {
    db.queue(&[NewMail {
        kind: purpose.mail_kind(),
        recipient: email.clone(),
        account_id: Some(account_id),
        lang,
    }])
    .await?;
    tracing::info!(account_id, ?purpose, "link queued");
    Ok(())
}
