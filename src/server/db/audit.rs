//! The audit trail: security events, append-only (the schema refuses updates and deletes).
//! What a row may hold is described in its migration; never a password, token or link.

use super::{Db, now};
use crate::server::ServerError;

/// What happened. The stored names are stable: support reads them and the schema checks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditKind {
    LoginSucceeded,
    LoginFailed,
    /// Refused without checking the password: too many failures lately.
    LoginThrottled,
    /// A set-password, reset, or address-confirmation link was queued for mailing.
    LinkMailed,
    /// A password set through a mailed link (first password, registration or reset).
    PasswordSet,
    /// A password changed in the settings, with the current one.
    PasswordChanged,
    EmailChanged,
    /// Logout, or a session ended from the settings.
    SessionEnded,
    Imported,
    Merged,
    SupportLinkSent,
    SupportEmailSet,
}

impl AuditKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LoginSucceeded => "login_succeeded",
            Self::LoginFailed => "login_failed",
            Self::LoginThrottled => "login_throttled",
            Self::LinkMailed => "link_mailed",
            Self::PasswordSet => "password_set",
            Self::PasswordChanged => "password_changed",
            Self::EmailChanged => "email_changed",
            Self::SessionEnded => "session_ended",
            Self::Imported => "imported",
            Self::Merged => "merged",
            Self::SupportLinkSent => "support_link_sent",
            Self::SupportEmailSet => "support_email_set",
        }
    }
}

/// Who and where, for an event to record. `ip` and `user_agent` are the browser's, when one was involved.
#[derive(Debug, Clone, Default)]
pub struct AuditEvent {
    pub account_id: Option<i64>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub detail: Option<String>,
}

/// A recorded event, as `support audit` shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    pub at: i64,
    pub kind: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub detail: Option<String>,
}

/// Longest stored browser description and detail, in characters: enough for any real one,
/// and a bound on what a hostile client can make us store.
const FIELD_MAX_CHARS: usize = 400;

fn bounded(text: Option<String>) -> Option<String> {
    text.map(|t| t.chars().take(FIELD_MAX_CHARS).collect())
}

impl Db {
    /// Appends an event of `kind`.
    pub async fn record(&self, kind: AuditKind, event: AuditEvent) -> Result<(), ServerError> {
        sqlx::query(
            "INSERT INTO audit_events (at, account_id, kind, ip, user_agent, detail)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(now())
        .bind(event.account_id)
        .bind(kind.as_str())
        .bind(bounded(event.ip))
        .bind(bounded(event.user_agent))
        .bind(bounded(event.detail))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The account's events, newest first, at most `limit`.
    pub async fn audit_of(
        &self,
        account_id: i64,
        limit: i64,
    ) -> Result<Vec<AuditRow>, ServerError> {
        Ok(sqlx::query_as(
            "SELECT at, kind, ip, user_agent, detail FROM audit_events
             WHERE account_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
        )
        .bind(account_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn events_are_recorded_and_cannot_be_changed_or_removed() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let db = Db::connect(&url).await.unwrap();
        let event = |detail: &str| AuditEvent {
            account_id: Some(7),
            ip: Some("192.0.2.1".into()),
            user_agent: Some("x".repeat(1000)),
            detail: Some(detail.into()),
        };
        db.record(AuditKind::LoginFailed, event("first"))
            .await
            .unwrap();
        db.record(AuditKind::LoginSucceeded, event("second"))
            .await
            .unwrap();
        let rows = db.audit_of(7, 10).await.unwrap();
        let kinds: Vec<_> = rows.iter().map(|r| r.kind.as_str()).collect();
        assert_eq!(kinds, ["login_succeeded", "login_failed"]);
        assert_eq!(
            rows[0].user_agent.as_ref().unwrap().chars().count(),
            FIELD_MAX_CHARS
        );
        assert!(db.audit_of(8, 10).await.unwrap().is_empty());
        for sql in [
            "UPDATE audit_events SET detail = 'x'",
            "DELETE FROM audit_events",
        ] {
            let refused = sqlx::query(sql).execute(&db.pool).await.unwrap_err();
            assert!(refused.to_string().contains("append-only"), "{refused}");
        }
        assert_eq!(db.audit_of(7, 10).await.unwrap().len(), 2);
    }
}
