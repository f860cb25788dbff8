//! All SQL of the service. Callers see methods on [`Db`] and plain structs, never SQL, nor
//! which database runs: SQLite (one file, the default) or PostgreSQL (a server shared by
//! several instances), chosen by `DATABASE_URL` and reached through sqlx's `Any` driver. The
//! two share one set of methods and one text of SQL: `$n` placeholders, `RETURNING`, times as
//! integers, flags as 0/1 (see [`Flag`]). Where the dialects differ (how a write transaction
//! starts, row locks) the method asks [`Db::backend`]; each backend has its own migrations.

mod accounts;
mod audit;
mod connect;
mod copy;
mod flag;
mod history;
mod import;
mod jobs;
mod limits;
mod oidc_clients;
mod oidc_declared;
mod oidc_grants;
mod oidc_logouts;
mod oidc_purge;
mod oidc_residents;
mod outbox;
mod password_attempts;
mod sessions;
mod support;
mod together;
mod tokens;

pub use accounts::{Account, ImportOutcome, Registration};
pub use audit::{AuditEvent, AuditKind, AuditRow};
pub use history::{NewTransaction, TransactionRow};
pub use import::{
    AccountRef, ExistingState, ImportTx, ImportWrites, ImportedAccount, ImportedTransaction,
};
pub use limits::{AttemptKind, Forget};
pub use oidc_clients::{OidcClient, SigningKeyRow};
pub use oidc_declared::ClientChange;
pub use oidc_grants::{CodeRow, EndedGrant, GrantRow, NewCode, NewTokens, Taken};
pub use oidc_logouts::LogoutNotice;
pub use oidc_residents::UsedService;
pub use outbox::{MailKind, NewMail, OutboxMail};
pub use password_attempts::{AttemptStart, Counted, PasswordCount};
pub use sessions::{IdleLimits, NewSession, SessionRow};
pub use support::SupportAccount;
pub use tokens::{EmailChange, LinkPurpose, LinkTarget};

use super::ServerError;
use sqlx::AnyPool;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::Notify;

pub use flag::Flag;

/// Which database server runs, chosen by the scheme of `DATABASE_URL`. The database module
/// looks at it for the few statements that differ (how a transaction starts, locks); nothing
/// outside it needs to (the import benchmark prints it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `sqlite://…`: one file, one process; writes are serialized by SQLite's own lock.
    Sqlite,
    /// `postgres://…`: a server shared by several instances.
    Postgres,
}

impl Backend {
    pub fn of(url: &str) -> Result<Backend, ServerError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(ServerError::Config(format!(
                "DATABASE_URL must start with sqlite:// or postgres://, got {:?}",
                url.split(':').next().unwrap_or_default()
            )))
        }
    }
}

/// The connection pool's settings (`DATABASE_POOL_SIZE`, `DATABASE_STATEMENT_TIMEOUT_SECONDS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettings {
    /// Connections per instance. On PostgreSQL the server's `max_connections` must cover every
    /// instance's pool (and the tools'); SQLite has one writer whatever the size.
    pub max_connections: u32,
    /// The longest a statement may run before PostgreSQL cancels it, so that a stuck query
    /// answers "try again" instead of holding a connection forever. SQLite waits at most
    /// `BUSY_TIMEOUT_MS` for its lock instead.
    pub statement_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            max_connections: 8,
            statement_timeout: Duration::from_secs(10),
        }
    }
}

#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    /// What page loads read through: on SQLite a pool of its own (see `connect.rs`), on
    /// PostgreSQL the same pool.
    reads: AnyPool,
    /// What a login writes (its attempt counters, its session and its event) and the other
    /// limits' counters: on SQLite a pool whose commits are not synced on their own but by
    /// the next one that is, or the next checkpoint (see `connect.rs`). A power cut can undo a
    /// login that nothing durable came of yet, and a few counts; anything that followed the
    /// login was synced, and the login with it. Three syncs a login were a twentieth of the
    /// logins the cores can hash. On PostgreSQL the same pool.
    unsynced: AnyPool,
    backend: Backend,
    /// Woken after every commit that queued mail, so that the sender delivers it at once
    /// instead of at its next poll; callers never have to remember to.
    mail_queued: Arc<Notify>,
}

impl Db {
    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), ServerError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Which database server runs.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Starts a transaction that will write. SQLite takes its write lock at once (`BEGIN
    /// IMMEDIATE`), so that two such transactions queue instead of one failing with "database
    /// is locked" when it upgrades from reading; PostgreSQL needs nothing more than `BEGIN`
    /// (what must be serialized takes a lock of its own, see `lock_subject`).
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, ServerError> {
        self.begin_write_on(&self.pool).await
    }

    /// [`Db::begin_write`] for a write whose sync can wait (see [`Db::unsynced`]).
    async fn begin_unsynced_write(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>, ServerError> {
        self.begin_write_on(&self.unsynced).await
    }

    async fn begin_write_on(
        &self,
        pool: &AnyPool,
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>, ServerError> {
        let begin = match self.backend {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        };
        Ok(pool.begin_with(begin).await?)
    }

    /// Starts a transaction whose reads all see one snapshot of the database: any SQLite
    /// transaction does; PostgreSQL's default (read committed) takes a snapshot per statement.
    async fn begin_read(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, ServerError> {
        self.begin_read_on(&self.pool).await
    }

    /// [`Db::begin_read`] for a page load: through the readers' pool (see `connect.rs`).
    async fn begin_page_read(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, ServerError> {
        self.begin_read_on(&self.reads).await
    }

    async fn begin_read_on(
        &self,
        pool: &AnyPool,
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>, ServerError> {
        let begin = match self.backend {
            Backend::Sqlite => "BEGIN",
            Backend::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        };
        Ok(pool.begin_with(begin).await?)
    }

    /// Serializes `tx` with every other transaction that takes the same `key`, until it ends:
    /// what SQLite's single writer gives every write transaction, PostgreSQL gives with a
    /// transaction-scoped advisory lock. For a read-then-write that must not interleave (the
    /// attempt limits of one subject, the first signing key).
    async fn lock(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        key: &str,
    ) -> Result<(), ServerError> {
        if self.backend == Backend::Postgres {
            // Selecting a constant: the lock function's own result (void) has no Any type.
            sqlx::query("SELECT 1 FROM pg_advisory_xact_lock(hashtext($1))")
                .bind(key)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// The end of a subquery that picks rows for one instance to claim: on PostgreSQL, rows
    /// another instance is claiming are locked and skipped (two claims never take the same
    /// row, and neither waits); SQLite's single writer claims one batch at a time anyway.
    fn skip_locked(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        }
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

/// Throwaway databases on a PostgreSQL server for the unit tests.
#[cfg(test)]
mod test_postgres {
    use sqlx::Connection;

    /// Creates a database with a random name on the server at `server` (a `postgres://` URL)
    /// and returns its URL. Left behind: the server is a throwaway one (`pg_virtualenv`).
    pub async fn new_database(server: &str) -> String {
        let name = format!("unit_{:016x}", rand::random::<u64>());
        let mut admin = sqlx::PgConnection::connect(server)
            .await
            .expect("the test PostgreSQL server");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("a new database");
        let mut url = url::Url::parse(server).expect("a postgres:// URL");
        url.set_path(&name);
        url.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A statement past `DATABASE_STATEMENT_TIMEOUT_SECONDS` is cancelled by PostgreSQL and
    /// reads as "unavailable" (the resident is asked to try again). SQLite has no such timeout.
    #[tokio::test]
    async fn a_statement_past_its_timeout_is_cancelled_and_reads_as_unavailable() {
        let Ok(server) = std::env::var("ASIOINTI_TEST_POSTGRES") else {
            return;
        };
        let url = test_postgres::new_database(&server).await;
        let settings = PoolSettings {
            max_connections: 2,
            statement_timeout: Duration::from_millis(200),
        };
        let db = Db::open(&url, true, settings).await.unwrap();
        let slow = sqlx::query("SELECT 1 FROM pg_sleep(3)")
            .execute(&db.pool)
            .await
            .unwrap_err();
        assert!(ServerError::from(slow).is_unavailable());
        db.ping().await.unwrap();
    }

    /// `sslmode` in `DATABASE_URL` is honoured: the test server (Debian's, with its snakeoil
    /// certificate for "localhost") is reached over TLS, and with `verify-full` a certificate
    /// that does not name the host asked for is refused.
    #[tokio::test]
    async fn tls_to_postgresql_is_what_sslmode_asks() {
        let Ok(server) = std::env::var("ASIOINTI_TEST_POSTGRES") else {
            return;
        };
        let url = test_postgres::new_database(&server).await;
        let plain = Db::connect(&url).await.unwrap();
        let ssl: String = sqlx::query_scalar("SHOW ssl")
            .fetch_one(&plain.pool)
            .await
            .unwrap();
        assert_eq!(
            ssl, "on",
            "Debian's clusters serve TLS with the snakeoil certificate"
        );
        let db = Db::connect(&format!("{url}?sslmode=require"))
            .await
            .unwrap();
        let encrypted: Flag =
            sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
                .fetch_one(&db.pool)
                .await
                .unwrap();
        assert!(encrypted.0, "the connection is encrypted");
        // verify-full checks the certificate's name: the test server's names "localhost",
        // not the address 127.0.0.1, so asked for by address it is refused.
        let mut by_address = url::Url::parse(&url).unwrap();
        by_address.set_host(Some("127.0.0.1")).unwrap();
        let refused = Db::connect(&format!("{by_address}?sslmode=verify-full")).await;
        assert!(refused.is_err(), "a certificate for another name");
    }

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
