//! Login sessions, keyed by the hash of the cookie's id. A session is live while it is before
//! its absolute `expires_at` and has been used within the idle limit of its kind; both are
//! checked in the SQL of every lookup, so no code path can forget them.

use super::audit::{INSERT_EVENT, bind_event};
use super::together::together;
use super::{Account, AuditEvent, AuditKind, Db, Flag, Forget, now};
use crate::server::ServerError;

/// Refresh `last_seen_at` at most this often, in seconds, to spare a write on every page.
const LAST_SEEN_GRANULARITY_SECS: i64 = 60;

/// Ends the session whose id hashes to `$1`.
const DELETE_SESSION: &str = "DELETE FROM sessions WHERE id_hash = $1";

/// Starts a session: `$1` the hash of its id, `$2` the account, `$3` now, `$4` its end, `$5`
/// whether it is remembered, `$6` the browser.
const INSERT_SESSION: &str = "INSERT INTO sessions
     (id_hash, account_id, created_at, last_seen_at, expires_at, persistent, user_agent)
     VALUES ($1, $2, $3, $3, $4, $5, $6)";

/// Notes `$1` as the last login of account `$2`.
const NOTE_LAST_LOGIN: &str = "UPDATE accounts SET last_login_at = $1 WHERE id = $2";

/// How long a session may go unused, in seconds, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdleLimits {
    /// Without "remember me".
    pub session_secs: i64,
    /// With "remember me".
    pub remembered_secs: i64,
}

/// The SQL condition "session `s` is live" with `$now`, `$idle`, `$idle_remembered` given as
/// placeholders numbered from `first`.
fn live(first: u8) -> String {
    format!(
        "s.expires_at > ${now} AND s.last_seen_at > ${now} - CASE WHEN s.persistent = 1 THEN ${rem} ELSE ${idle} END",
        now = first,
        idle = first + 1,
        rem = first + 2
    )
}

/// A session about to start: the hash of its cookie's id (never the id) and what it keeps.
#[derive(Debug, Clone, Copy)]
pub struct NewSession<'a> {
    pub id_hash: &'a [u8],
    pub account_id: i64,
    /// Its absolute end, in UNIX seconds.
    pub expires_at: i64,
    /// "Remember me": the cookie outlives the browser.
    pub persistent: bool,
    pub user_agent: Option<&'a str>,
}

/// A session's account and when the session was last used.
#[derive(sqlx::FromRow)]
struct LiveSession {
    #[sqlx(flatten)]
    account: Account,
    last_seen_at: i64,
}

/// A session as its owner sees it in the settings.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id_hash: Vec<u8>,
    pub created_at: i64,
    pub last_seen_at: i64,
    #[sqlx(try_from = "Flag")]
    pub persistent: bool,
    pub user_agent: Option<String>,
}

impl Db {
    /// The live sessions of an account, most recently used first.
    pub async fn sessions_of(
        &self,
        account_id: i64,
        idle: IdleLimits,
    ) -> Result<Vec<SessionRow>, ServerError> {
        Ok(sqlx::query_as(&format!(
            "SELECT id_hash, created_at, last_seen_at, persistent, user_agent FROM sessions s
             WHERE account_id = $1 AND {} ORDER BY last_seen_at DESC, created_at DESC",
            live(2)
        ))
        .bind(account_id)
        .bind(now())
        .bind(idle.session_secs)
        .bind(idle.remembered_secs)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Ends one session of the account (only of that account); returns whether there was one.
    pub async fn end_session_of(
        &self,
        account_id: i64,
        id_hash: &[u8],
    ) -> Result<bool, ServerError> {
        let ended = sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND id_hash = $2")
            .bind(account_id)
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(ended.rows_affected() == 1)
    }

    /// Ends every session of the account but `keep`; returns how many.
    pub async fn end_other_sessions(
        &self,
        account_id: i64,
        keep: &[u8],
    ) -> Result<u64, ServerError> {
        let ended = sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND id_hash <> $2")
            .bind(account_id)
            .bind(keep)
            .execute(&self.pool)
            .await?;
        Ok(ended.rows_affected())
    }

    /// Starts the session of a login, in one write with what goes with it (see
    /// `together.rs`): the login's password attempt ends (`attempt`: its rows uncounted, the
    /// address's failures cleared), the session this browser had before ends (`replaces`, the
    /// hash of its id), the account's last login is noted, and `login` is recorded as its
    /// `login_succeeded` event. On SQLite three round trips to the database (begin, the
    /// statements, commit) where there were six, on PostgreSQL one. The trail never
    /// misses the login of a session that exists. Synced later (see [`Db::unsynced`]).
    pub async fn start_session(
        &self,
        session: &NewSession<'_>,
        replaces: Option<&[u8]>,
        login: AuditEvent,
        attempt: Forget<'_>,
    ) -> Result<(), ServerError> {
        let now = now();
        let forget = attempt.sql();
        let sql = together(
            self.backend,
            &[
                &forget,
                DELETE_SESSION,
                INSERT_SESSION,
                NOTE_LAST_LOGIN,
                INSERT_EVENT,
            ],
        );
        let query = attempt
            .bind(sqlx::query(&sql))
            .bind(replaces)
            .bind(session.id_hash)
            .bind(session.account_id)
            .bind(now)
            .bind(session.expires_at)
            .bind(Flag(session.persistent))
            .bind(session.user_agent)
            .bind(now)
            .bind(session.account_id);
        let query = bind_event(query, AuditKind::LoginSucceeded, login, now);
        self.write_together(query).await
    }

    /// The account of a live session; expired or idle sessions count as none. Using the session
    /// refreshes its `last_seen_at` at most once a minute: a page load is a read (through the
    /// readers' pool), and only one a minute per session writes (on SQLite a write waits for
    /// the one writer).
    pub async fn session_account(
        &self,
        id_hash: &[u8],
        idle: IdleLimits,
    ) -> Result<Option<Account>, ServerError> {
        let now = now();
        let found: Option<LiveSession> = sqlx::query_as(&format!(
            "SELECT a.id, a.email, a.full_name, a.password_hash, a.language, s.last_seen_at
             FROM sessions s JOIN accounts a ON a.id = s.account_id
             WHERE s.id_hash = $1 AND {} AND a.email IS NOT NULL",
            live(2)
        ))
        .bind(id_hash)
        .bind(now)
        .bind(idle.session_secs)
        .bind(idle.remembered_secs)
        .fetch_optional(&self.reads)
        .await?;
        let Some(LiveSession {
            account,
            last_seen_at,
        }) = found
        else {
            return Ok(None);
        };
        if last_seen_at < now - LAST_SEEN_GRANULARITY_SECS {
            sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id_hash = $1 AND last_seen_at < $2 - $3")
                .bind(id_hash)
                .bind(now)
                .bind(LAST_SEEN_GRANULARITY_SECS)
                .execute(&self.pool)
                .await?;
        }
        Ok(Some(account))
    }

    /// Gives a session a new id (after a password change), keeping its absolute expiry and
    /// kind. Returns `(persistent, expires_at)`, or `None` when there was no such session.
    pub async fn rotate_session(
        &self,
        old_hash: &[u8],
        new_hash: &[u8],
    ) -> Result<Option<(bool, i64)>, ServerError> {
        let rotated: Option<(Flag, i64)> = sqlx::query_as(
            "UPDATE sessions SET id_hash = $2, last_seen_at = $3 WHERE id_hash = $1
             RETURNING persistent, expires_at",
        )
        .bind(old_hash)
        .bind(new_hash)
        .bind(now())
        .fetch_optional(&self.pool)
        .await?;
        Ok(rotated.map(|(persistent, expires_at)| (persistent.0, expires_at)))
    }

    pub async fn delete_session(&self, id_hash: &[u8]) -> Result<(), ServerError> {
        sqlx::query(DELETE_SESSION)
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Removes expired or idle sessions and spent tokens older than `keep_secs`; returns rows
    /// removed.
    pub async fn purge_expired(
        &self,
        keep_secs: i64,
        idle: IdleLimits,
    ) -> Result<u64, ServerError> {
        let now = now();
        let sessions = sqlx::query(&format!(
            "DELETE FROM sessions AS s WHERE NOT ({})",
            live(1)
        ))
        .bind(now)
        .bind(idle.session_secs)
        .bind(idle.remembered_secs)
        .execute(&self.pool)
        .await?;
        let tokens = sqlx::query("DELETE FROM tokens WHERE expires_at <= $1 OR used_at <= $1")
            .bind(now - keep_secs)
            .execute(&self.pool)
            .await?;
        Ok(sessions.rows_affected() + tokens.rows_affected())
    }
}
