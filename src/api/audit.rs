//! Records a security event of the request being served, with its client IP and browser.

use super::context;
use crate::model::AppError;
use crate::server::AppState;
use crate::server::db::{AuditEvent, AuditKind};

/// Appends `kind` for `account_id` (None: an address without an account) to the audit trail.
/// `detail` must never hold a password, token or link.
pub async fn record(
    state: &AppState,
    kind: AuditKind,
    account_id: Option<i64>,
    detail: Option<String>,
) -> Result<(), AppError> {
    let event = AuditEvent {
        account_id,
        ip: context::client_ip().map(|ip| ip.to_string()),
        user_agent: context::user_agent(),
        detail,
    };
    Ok(state.db.record(kind, event).await?)
}
