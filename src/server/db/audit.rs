//! The audit trail: security events, append-only (the schema refuses updates and deletes; see
//! the migrations `audit_events` and `audit_repeats_and_retention`). What a row may hold is
//! described there; never a password, token or link.
//!
//! Two things keep it bounded while nothing in it can be rewritten: a refusal repeated within
//! a window is one event with a count ([`Db::record_repeated`]), and the retention purge
//! ([`Db::purge_audit`]), the only deleter, first records its cutoff, then removes what is older.

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
    /// The retention purge ran (detail: how many events it removed, older than when).
    AuditPurged,
    /// A resident logged in to an e-service through the OpenID Connect provider.
    OidcLogin,
    /// A resident allowed an e-service that is not first-party to receive their details.
    OidcConsent,
    /// An e-service's grant ended early (its client, the resident, or a replayed token).
    OidcRevoked,
    ClientAdded,
    /// A declared client's settings changed in `Leptos.toml`.
    ClientChanged,
    ClientRemoved,
    ClientSecretRotated,
    SigningKeyRotated,
}

impl AuditKind {
    /// Every kind, for the test that the schema's `audit_kinds` knows each one.
    #[cfg(test)]
    const ALL: [AuditKind; 21] = [
        Self::LoginSucceeded,
        Self::LoginFailed,
        Self::LoginThrottled,
        Self::LinkMailed,
        Self::PasswordSet,
        Self::PasswordChanged,
        Self::EmailChanged,
        Self::SessionEnded,
        Self::Imported,
        Self::Merged,
        Self::SupportLinkSent,
        Self::SupportEmailSet,
        Self::AuditPurged,
        Self::OidcLogin,
        Self::OidcConsent,
        Self::OidcRevoked,
        Self::ClientAdded,
        Self::ClientChanged,
        Self::ClientRemoved,
        Self::ClientSecretRotated,
        Self::SigningKeyRotated,
    ];

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
            Self::AuditPurged => "audit_purged",
            Self::OidcLogin => "oidc_login",
            Self::OidcConsent => "oidc_consent",
            Self::OidcRevoked => "oidc_revoked",
            Self::ClientAdded => "client_added",
            Self::ClientChanged => "client_changed",
            Self::ClientRemoved => "client_removed",
            Self::ClientSecretRotated => "client_secret_rotated",
            Self::SigningKeyRotated => "signing_key_rotated",
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
    /// How many times it happened, the last at `last_at` (1 and `at` for a single event).
    pub repeats: i64,
    pub last_at: i64,
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

/// Appends an event: `$1` when, `$2`… as [`bind_event`] binds them.
pub(super) const INSERT_EVENT: &str =
    "INSERT INTO audit_events (at, account_id, kind, ip, user_agent, detail, last_at)
     VALUES ($1, $2, $3, $4, $5, $6, $1)";

/// Binds [`INSERT_EVENT`]'s values to `query`, after those bound before: `event` of `kind`,
/// which happened `at`.
pub(super) fn bind_event(
    query: AnyQuery<'_>,
    kind: AuditKind,
    event: AuditEvent,
    at: i64,
) -> AnyQuery<'_> {
    query
        .bind(at)
        .bind(event.account_id)
        .bind(kind.as_str())
        .bind(bounded(event.ip))
        .bind(bounded(event.user_agent))
        .bind(bounded(event.detail))
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Appends an event of `kind` that happened `at` through `executor`: the pool, or a
/// transaction whose other writes the event belongs with.
pub(super) async fn insert_event<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    kind: AuditKind,
    event: AuditEvent,
    at: i64,
) -> Result<(), ServerError> {
    bind_event(sqlx::query(INSERT_EVENT), kind, event, at)
        .execute(executor)
        .await?;
    Ok(())
}

impl Db {
    /// Appends an event of `kind`.
    pub async fn record(&self, kind: AuditKind, event: AuditEvent) -> Result<(), ServerError> {
        insert_event(&self.pool, kind, event, now()).await
    }

    /// Records `kind` for the subject that `event`'s account and detail name, as one more
    /// repeat of the same event when one was recorded within the last `window_secs`, else as a
    /// new one. A flood of refusals then costs one row per subject and window, not one per
    /// request. The IP and browser are those of the first in the window.
    pub async fn record_repeated(
        &self,
        kind: AuditKind,
        event: AuditEvent,
        window_secs: i64,
    ) -> Result<(), ServerError> {
        let now = now();
        let detail = bounded(event.detail);
        // One writer per subject at a time (SQLite's write lock; on PostgreSQL a lock on the
        // subject), so of two requests at the same moment one inserts and the other counts a
        // repeat.
        let mut tx = self.begin_write().await?;
        let subject = format!(
            "audit {} {:?} {:?}",
            kind.as_str(),
            event.account_id,
            detail
        );
        self.lock(&mut tx, &subject).await?;
        let bumped = sqlx::query(
            "UPDATE audit_events
             SET repeats = repeats + 1, last_at = CASE WHEN last_at > $1 THEN last_at ELSE $1 END
             WHERE id = (SELECT id FROM audit_events
                         WHERE kind = $2 AND account_id IS NOT DISTINCT FROM $3
                         AND detail IS NOT DISTINCT FROM $4 AND last_at > $5
                         ORDER BY id DESC LIMIT 1)",
        )
        .bind(now)
        .bind(kind.as_str())
        .bind(event.account_id)
        .bind(detail.clone())
        .bind(now - window_secs)
        .execute(&mut *tx)
        .await?;
        if bumped.rows_affected() == 0 {
            let first = AuditEvent { detail, ..event };
            insert_event(&mut *tx, kind, first, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The retention purge, the trail's only deleter: records its cutoff (`retention_secs` ago;
    /// the schema keeps at least 30 days whatever is asked), removes the events whose last
    /// occurrence is older, and records that it ran, all in one transaction. Returns how many
    /// events it removed.
    pub async fn purge_audit(&self, retention_secs: i64) -> Result<u64, ServerError> {
        let now = now();
        let before = now.saturating_sub(retention_secs);
        let mut tx = self.pool.begin().await?;
        sqlx::query("INSERT INTO audit_purges (at, before) VALUES ($1, $2)")
            .bind(now)
            .bind(before)
            .execute(&mut *tx)
            .await?;
        let removed = sqlx::query("DELETE FROM audit_events WHERE last_at < $1")
            .bind(before)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        let days = retention_secs / 86_400;
        sqlx::query("INSERT INTO audit_events (at, kind, detail, last_at) VALUES ($1, $2, $3, $1)")
            .bind(now)
            .bind(AuditKind::AuditPurged.as_str())
            .bind(format!(
                "removed {removed} event(s) last seen before {before} (UNIX time; kept {days} days)"
            ))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(removed)
    }

    /// The account's events, newest first, at most `limit`.
    pub async fn audit_of(
        &self,
        account_id: i64,
        limit: i64,
    ) -> Result<Vec<AuditRow>, ServerError> {
        Ok(sqlx::query_as(
            "SELECT at, repeats, last_at, kind, ip, user_agent, detail FROM audit_events
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
    use crate::server::db::Backend;

    #[tokio::test]
    async fn events_are_recorded_and_cannot_be_changed_or_removed() {
        let (_dir, db) = Db::temporary().await;
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
            "UPDATE audit_events SET repeats = repeats + 1, at = at - 1",
            "UPDATE audit_events SET repeats = 0",
            "DELETE FROM audit_events",
            "INSERT INTO audit_purges (at, before) VALUES (2000000000, 1999999999)",
        ] {
            let refused = sqlx::query(sql).execute(&db.pool).await.unwrap_err();
            let message = refused.to_string();
            assert!(
                message.contains("append-only") || message.to_lowercase().contains("check"),
                "{sql}: {message}"
            );
        }
        assert_eq!(db.audit_of(7, 10).await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn the_schema_knows_every_kind_and_no_other() {
        let (_dir, db) = Db::temporary().await;
        let mut known: Vec<String> = sqlx::query_scalar("SELECT kind FROM audit_kinds")
            .fetch_all(&db.pool)
            .await
            .unwrap();
        let mut ours: Vec<String> = AuditKind::ALL.iter().map(|k| k.as_str().into()).collect();
        known.sort();
        ours.sort();
        assert_eq!(known, ours);
    }

    #[tokio::test]
    async fn a_repeated_refusal_is_one_event_with_a_count_per_subject_and_window() {
        let (_dir, db) = Db::temporary().await;
        let refusal = |account_id: Option<i64>, detail: Option<&str>| AuditEvent {
            account_id,
            ip: Some("192.0.2.1".into()),
            user_agent: None,
            detail: detail.map(str::to_owned),
        };
        let throttled = AuditKind::LoginThrottled;
        // 50 at the same moment for one account, 3 for an unknown address.
        let floods = (0..50).map(|_| db.record_repeated(throttled, refusal(Some(7), None), 900));
        for result in futures_util::future::join_all(floods).await {
            result.unwrap();
        }
        for _ in 0..3 {
            let unknown = refusal(None, Some("address x@example.com"));
            db.record_repeated(throttled, unknown, 900).await.unwrap();
        }
        let rows: Vec<(Option<i64>, i64)> = sqlx::query_as(
            "SELECT account_id, repeats FROM audit_events WHERE kind = 'login_throttled' ORDER BY id",
        )
        .fetch_all(&db.pool)
        .await
        .unwrap();
        assert_eq!(rows, [(Some(7), 50), (None, 3)]);
        // Once the window has passed (here: a window of no time), the next one is a new event.
        db.record_repeated(throttled, refusal(Some(7), None), 0)
            .await
            .unwrap();
        let events = db.audit_of(7, 10).await.unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!((events[0].repeats, events[1].repeats), (1, 50));
    }

    #[tokio::test]
    async fn the_retention_purge_removes_only_old_events_and_records_that_it_ran() {
        let (_dir, db) = Db::temporary().await;
        for detail in ["old", "recent"] {
            let event = AuditEvent {
                account_id: Some(7),
                detail: Some(detail.into()),
                ..AuditEvent::default()
            };
            db.record(AuditKind::LoginFailed, event).await.unwrap();
        }
        // Make "old" 401 days old. The trail refuses that change, so the test drops the guard
        // for a moment, as only a person with the database file in hand could.
        let (drop_guard, restore_guard) = match db.backend() {
            Backend::Sqlite => ("DROP TRIGGER audit_events_no_update", "SELECT 1"),
            Backend::Postgres => (
                "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
                "ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only",
            ),
        };
        for sql in [
            drop_guard,
            "UPDATE audit_events SET at = at - 401 * 86400, last_at = last_at - 401 * 86400
             WHERE detail = 'old'",
            restore_guard,
        ] {
            sqlx::query(sql).execute(&db.pool).await.unwrap();
        }
        // Before any purge is recorded, not even an old event can be deleted.
        let refused = sqlx::query("DELETE FROM audit_events WHERE detail = 'old'")
            .execute(&db.pool)
            .await
            .unwrap_err();
        assert!(refused.to_string().contains("append-only"), "{refused}");
        assert_eq!(db.purge_audit(400 * 86_400).await.unwrap(), 1);
        let events = db.audit_of(7, 10).await.unwrap();
        let details: Vec<_> = events.iter().filter_map(|e| e.detail.as_deref()).collect();
        assert_eq!(details, ["recent"]);
        let ran: String =
            sqlx::query_scalar("SELECT detail FROM audit_events WHERE kind = 'audit_purged'")
                .fetch_one(&db.pool)
                .await
                .unwrap();
        assert!(ran.starts_with("removed 1 event(s)"), "{ran}");
        // After the purge, events newer than its cutoff still cannot be deleted.
        let refused = sqlx::query("DELETE FROM audit_events")
            .execute(&db.pool)
            .await
            .unwrap_err();
        assert!(refused.to_string().contains("append-only"), "{refused}");
        // The schema keeps 30 days whatever retention is asked for.
        assert!(db.purge_audit(86_400).await.is_err());
    }
}
