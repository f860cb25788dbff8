//! All SQL of the service. Callers see methods on [`Db`] and plain structs, never SQL, so a
//! PostgreSQL backend can be added beside SQLite here alone. The SQL is written to be portable:
//! `$n` placeholders, `RETURNING`, times as integers.

mod accounts;
mod audit;
mod history;
mod import;
mod limits;
mod oidc_clients;
mod oidc_declared;
mod oidc_grants;
mod oidc_logouts;
mod oidc_residents;
mod outbox;
mod sessions;
mod support;
mod tokens;

pub use accounts::{Account, ImportOutcome, Registration};
pub use audit::{AuditEvent, AuditKind, AuditRow};
pub use history::{NewTransaction, TransactionRow};
pub use import::{
    AccountRef, ExistingState, ImportTx, ImportWrites, ImportedAccount, ImportedTransaction,
};
pub use limits::AttemptKind;
pub use oidc_clients::{OidcClient, SigningKeyRow};
pub use oidc_declared::ClientChange;
pub use oidc_grants::{CodeRow, EndedGrant, GrantRow, NewCode, NewTokens, Taken};
pub use oidc_logouts::LogoutNotice;
pub use oidc_residents::UsedService;
pub use outbox::{MailKind, NewMail, OutboxMail};
pub use sessions::{IdleLimits, SessionRow};
pub use support::SupportAccount;
pub use tokens::{EmailChange, LinkPurpose, LinkTarget};

use super::ServerError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::Notify;

/// How long a query waits for SQLite's write lock before failing, in milliseconds.
const BUSY_TIMEOUT_MS: u64 = 5_000;

#[derive(Clone)]
pub struct Db {
    pool: SqlitePool,
    /// Woken after every commit that queued mail, so that the sender delivers it at once
    /// instead of at its next poll; callers never have to remember to.
    mail_queued: Arc<Notify>,
}

impl Db {
    /// Opens (creating if missing) the database and applies the migrations.
    pub async fn connect(url: &str) -> Result<Db, ServerError> {
        Self::open(url, true).await
    }

    /// Opens the database and applies the migrations; with `create == false` a missing
    /// database file is an error (a dry run must not leave one behind).
    pub async fn open(url: &str, create: bool) -> Result<Db, ServerError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(create)
            .foreign_keys(true)
            .journal_mode(SqliteJournalMode::Wal)
            // What is deleted is overwritten with zeros, not left in free pages for a copy of
            // the file to show.
            .pragma("secure_delete", "on")
            .busy_timeout(Duration::from_millis(BUSY_TIMEOUT_MS));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        Self::migrated(pool).await
    }

    /// Applies the migrations to `pool`'s database.
    async fn migrated(pool: SqlitePool) -> Result<Db, ServerError> {
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Db {
            pool,
            mail_queued: Arc::new(Notify::new()),
        })
    }

    /// A new database in a temporary directory, for unit tests (the directory goes with the
    /// returned guard).
    #[cfg(test)]
    pub(crate) async fn temporary() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let db = Db::connect(&url).await.expect("a new database");
        (dir, db)
    }

    /// Whether the database at `url` exists already. An in-memory SQLite database always does.
    pub fn exists(url: &str) -> Result<bool, ServerError> {
        let options = SqliteConnectOptions::from_str(url)?;
        let file = options.get_filename();
        Ok(file.as_os_str() == ":memory:" || file.exists())
    }

    /// A new, empty, migrated database that lives in memory only: what a dry run compares
    /// against before the first import, leaving no file behind. One connection, kept open,
    /// because each SQLite connection to `:memory:` is a database of its own.
    pub async fn empty_in_memory() -> Result<Db, ServerError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .min_connections(1)
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await?;
        Self::migrated(pool).await
    }

    /// What the mail sender waits on between polls of the outbox.
    pub fn mail_queued(&self) -> Arc<Notify> {
        self.mail_queued.clone()
    }
}

/// Now, in UNIX seconds: the unit of every time column.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// `now() + ttl`, in UNIX seconds.
pub fn after(ttl: Duration) -> i64 {
    now().saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The schema's own guards: an address is optional (unreachable carried-over accounts) but
    /// unique regardless of case, and deleting an account takes its dependants with it.
    #[tokio::test]
    async fn addresses_are_optional_unique_and_accounts_cascade() {
        let (_dir, db) = Db::temporary().await;
        let run = |sql: &'static str| {
            let pool = db.pool.clone();
            async move { sqlx::query(sql).execute(&pool).await }
        };
        run("INSERT INTO accounts (email, full_name, created_at) VALUES ('a@example.com', 'A', 1)")
            .await
            .unwrap();
        run("INSERT INTO accounts (email, full_name, created_at) VALUES (NULL, 'B', 1), (NULL, 'C', 1)").await.unwrap();
        assert!(run("INSERT INTO accounts (email, full_name, created_at) VALUES ('A@example.com', 'D', 1)").await.is_err());
        run("INSERT INTO legacy_usernames VALUES ('vanha_a', 1)")
            .await
            .unwrap();
        run("INSERT INTO transactions (account_id, occurred_on, service, reference, status) VALUES (1, '2018-01-01', 'S', 'R', 'T')")
            .await
            .unwrap();
        run("DELETE FROM accounts WHERE id = 1").await.unwrap();
        for table in ["legacy_usernames", "transactions"] {
            let sql = format!("SELECT COUNT(*) FROM {table}");
            let left: i64 = sqlx::query_scalar(&sql).fetch_one(&db.pool).await.unwrap();
            assert_eq!(left, 0, "{table}");
        }
    }
}
