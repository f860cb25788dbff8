//! Records a security event of the request being served, with its client IP and browser.

use super::context;
use crate::model::AppError;
use crate::model::{Email, Lang};
use crate::server::AppState;
use crate::server::auth::limits;
use crate::server::auth::link;
use crate::server::auth::login_attempts::{Throttled, Waiting};
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
    let event = event_of_this_request(kind, account_id, detail);
    Ok(state.db.record(kind, event).await?)
}

/// The event of the request being served, with its client IP and browser, and its log line
/// (kind and account only: the detail may name an address); for a caller that records it
/// with other writes in one transaction.
pub fn event_of_this_request(
    kind: AuditKind,
    account_id: Option<i64>,
    detail: Option<String>,
) -> AuditEvent {
    tracing::info!(kind = kind.as_str(), account_id, "security event");
    AuditEvent {
        account_id,
        ip: context::client_ip().map(|ip| ip.to_string()),
        user_agent: context::user_agent(),
        detail,
    }
}

/// Records a login refused by the attempt limits, once per waiting subject and window with a
/// count (see [`crate::server::db::Db::record_repeated`]): a flood of refusals must not grow
/// the trail without bound. The subject is the address (`account_id`, or `tried` naming an
/// address without an account) or, when only the client IP is waiting, that IP.
pub async fn throttled(
    state: &AppState,
    throttled: &Throttled,
    account_id: Option<i64>,
    tried: Option<String>,
) -> Result<(), AppError> {
    let (account_id, detail) = match &throttled.waiting {
        Waiting::Address => (account_id, tried),
        Waiting::Ip(ip) => (None, Some(format!("client {ip} waiting after failures"))),
    };
    let kind = AuditKind::LoginThrottled;
    let event = event_of_this_request(kind, account_id, detail);
    Ok(state
        .db
        .record_repeated(kind, event, REPEATS_WINDOW_SECS)
        .await?)
}

/// The window within which repeated refusals of one subject are one event: the longest wait
/// the limits impose, so a subject waiting out its limit writes about one row per wait.
const REPEATS_WINDOW_SECS: i64 = limits::ACCOUNT_BACKOFF.max_delay_secs;

/// Mails `email` a link for `purpose` (see [`link::queue`]) and records it.
pub async fn send_link(
    state: &AppState,
    purpose: LinkPurpose,
    account_id: i64,
    email: &Email,
    lang: Lang,
    next: Option<&str>,
) -> Result<(), AppError> {
    link::queue(&state.db, purpose, account_id, email, lang, next).await?;
    let detail = format!("{} to {email}", purpose.as_str());
    record(state, AuditKind::LinkMailed, Some(account_id), Some(detail)).await
}
