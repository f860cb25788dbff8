//! The provider's entries in the audit trail: a login through a client, a consent, a
//! revocation. The client's id is in the detail; no token, code or secret ever is.

use crate::server::AppState;
use crate::server::db::{AuditEvent, AuditKind};
use axum::extract::FromRequestParts;
use axum::http::header::USER_AGENT;
use axum::http::request::Parts;
use std::convert::Infallible;

/// Who sent the request being served: the client IP (by the same rule as the login card's,
/// `BEHIND_PROXY` included) and the browser's description.
#[derive(Debug, Clone, Default)]
pub struct Requester {
    ip: Option<String>,
    user_agent: Option<String>,
}

impl FromRequestParts<AppState> for Requester {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Requester, Infallible> {
        let ip = crate::server::http::client_ip(
            &parts.headers,
            &parts.extensions,
            state.config.behind_proxy,
        );
        Ok(Requester {
            ip: ip.map(|ip| ip.to_string()),
            user_agent: parts
                .headers
                .get(USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        })
    }
}

/// Records that `client_id`'s grant of `account_id` ended early, and `why`.
pub async fn revoked(
    state: &AppState,
    requester: &Requester,
    client_id: &str,
    account_id: i64,
    why: &str,
) -> Result<(), crate::server::ServerError> {
    let detail = format!("client {client_id}: {why}");
    record(
        state,
        requester,
        AuditKind::OidcRevoked,
        Some(account_id),
        detail,
    )
    .await
}

/// Appends `kind` for `account_id` to the trail, with `detail` naming the client, and logs the
/// event (kind, account and client only).
pub async fn record(
    state: &AppState,
    requester: &Requester,
    kind: AuditKind,
    account_id: Option<i64>,
    detail: String,
) -> Result<(), crate::server::ServerError> {
    tracing::info!(kind = kind.as_str(), account_id, "security event");
    let event = AuditEvent {
        account_id,
        ip: requester.ip.clone(),
        user_agent: requester.user_agent.clone(),
        detail: Some(detail),
    };
    state.db.record(kind, event).await
}
