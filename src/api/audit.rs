//! Records a security event of the request being served, with its client IP and browser.

use super::context;
use crate::model::AppError;
use crate::model::{Email, Lang};
use crate::server::AppState;
use crate::server::auth::link;
use crate::server::db::{AuditEvent, AuditKind, LinkPurpose};

/// Appends `kind` for `account_id` (None: an address without an account) to the audit trail,
/// and logs it, so that callers need no log line of their own for the event.
/// `detail` must never hold a password, token or link.
pub async fn record(
    state: &AppState,
    kind: AuditKind,
    account_id: Option<i64>,
    detail: Option<String>,
) -> Result<(), AppError> {
    // The log line of the event too (kind and account only: the detail may name an address).
    tracing::info!(kind = kind.as_str(), account_id, "security event");
    let event = AuditEvent {
        account_id,
        ip: context::client_ip().map(|ip| ip.to_string()),
        user_agent: context::user_agent(),
        detail,
    };
    Ok(state.db.record(kind, event).await?)
}

/// Mails `email` a link for `purpose` (see [`link::send`]) and records it.
pub async fn send_link(
    state: &AppState,
    purpose: LinkPurpose,
    account_id: i64,
    email: &Email,
    lang: Lang,
) -> Result<(), AppError> {
    link::send(state, purpose, account_id, email, lang).await?;
    let detail = format!("{} to {email}", purpose.as_str());
    record(state, AuditKind::LinkMailed, Some(account_id), Some(detail)).await
}
