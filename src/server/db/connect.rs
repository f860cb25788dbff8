//! Opening the database: the pool (and on SQLite the readers' pool), the connection settings
//! of each backend, the migrations, and whether a database is there at all.

use super::{Backend, Db, PoolSettings};
use crate::server::ServerError;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, install_default_drivers};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// The schema of each backend: the same tables, written in each one's dialect.
static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// How long a query waits for SQLite's write lock before failing, in milliseconds.
const BUSY_TIMEOUT_MS: u64 = 5_000;
/// How long a request waits for a database connection: longer, and the database is unreachable
/// or every connection busy, and the resident is asked to try again in a moment instead of
/// watching a page hang (sqlx's default is 30 s, retrying a refused connection meanwhile).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// Connections of SQLite's pool of unsynced writes (see `Db::unsynced`): one. SQLite has one
/// writer anyway. Four connections took turns at its lock by sleeping and trying again (its
/// busy handler sleeps a millisecond and more), and each dropped its page cache whenever
/// another had written, so that every transaction read its pages again (34 reads a login,
/// `strace -c`; 0.7 with one). With one, the logins queue for it in the pool instead.
const UNSYNCED_CONNECTIONS: u32 = 1;
/// Connections of SQLite's readers' pool. A page's reads take well under a millisecond, so a
/// few connections serve two cores; each one also keeps a page cache of up to 2 MB.
const READ_CONNECTIONS: u32 = 4;

impl Db {
    /// Opens (creating if missing) the database and applies the migrations.
    pub async fn connect(url: &str) -> Result<Db, ServerError> {
        Self::open(url, true, PoolSettings::default()).await
    }

    /// Opens the database and applies the migrations; with `create == false` a missing SQLite
    /// file is an error (a dry run must not leave one behind). Several instances may start at
    /// once: on PostgreSQL the migrator holds an advisory lock, so one applies and the others
    /// wait; SQLite serializes them with its write lock.
    pub async fn open(url: &str, create: bool, settings: PoolSettings) -> Result<Db, ServerError> {
        install_default_drivers();
        let backend = Backend::of(url)?;
        if backend == Backend::Sqlite && !create && !Self::exists(url)? {
            return Err(ServerError::Config(format!(
                "the database {url} does not exist"
            )));
        }
        let options = AnyConnectOptions::from_str(url)?;
        let pool = pool_options(
            backend,
            settings,
            settings.max_connections,
            WalSync::EveryCommit,
        )
        .connect_with(options.clone())
        .await?;
        let mut db = Self::migrated(pool, backend).await?;
        // In memory, each connection would be a database of its own; PostgreSQL has no one
        // writer and no such pragma: one pool for all.
        if backend == Backend::Sqlite && !url.contains(":memory:") {
            // SQLite has one writer: a request waiting for the write lock holds its
            // connection, and under a login flood every connection of the pool can be such a
            // request. Page loads read through connections of their own, so they never queue
            // behind the logins (WAL lets them read beside the writer).
            //
            // Both open their connections when first used (the main pool has shown that the
            // file opens): a process that serves no page holds none of them.
            db.reads = pool_options(backend, settings, READ_CONNECTIONS, WalSync::EveryCommit)
                .connect_lazy_with(options.clone());
            db.unsynced = pool_options(backend, settings, UNSYNCED_CONNECTIONS, WalSync::Later)
                .connect_lazy_with(options);
        }
        Ok(db)
    }

    /// Applies the migrations of `backend` to `pool`'s database.
    async fn migrated(pool: AnyPool, backend: Backend) -> Result<Db, ServerError> {
        match backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&pool).await?,
        }
        Ok(Db {
            reads: pool.clone(),
            unsynced: pool.clone(),
            pool,
            backend,
            mail_queued: Arc::new(Notify::new()),
        })
    }

    /// A new database for unit tests: a temporary SQLite file, or, when the tests run with
    /// `ASIOINTI_TEST_POSTGRES` (a server URL), a database of its own on that server. The
    /// directory goes with the returned guard.
    #[cfg(test)]
    pub(crate) async fn temporary() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = match std::env::var("ASIOINTI_TEST_POSTGRES") {
            Ok(server) => super::test_postgres::new_database(&server).await,
            Err(_) => format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display()),
        };
        let db = Db::connect(&url).await.expect("a new database");
        (dir, db)
    }

    /// Whether the SQLite database at `url` exists already (an in-memory one always does). A
    /// PostgreSQL database is made by its server's operator, so it counts as existing; whether
    /// it holds our tables yet is [`Db::is_set_up`].
    pub fn exists(url: &str) -> Result<bool, ServerError> {
        if Backend::of(url)? == Backend::Postgres {
            return Ok(true);
        }
        let path = url
            .trim_start_matches("sqlite:")
            .trim_start_matches("//")
            .split('?')
            .next()
            .unwrap_or_default();
        Ok(path == ":memory:" || path.is_empty() || std::path::Path::new(path).exists())
    }

    /// Whether the database at `url` holds this service's tables: a SQLite file that exists,
    /// a PostgreSQL database that has been migrated. False for a PostgreSQL database that is
    /// not there at all (SQLSTATE 3D000). Looks without changing anything: a dry run before
    /// the first import must neither create a file nor migrate a new deployment's database.
    pub async fn is_set_up(url: &str) -> Result<bool, ServerError> {
        use sqlx::Connection as _;
        if Backend::of(url)? == Backend::Sqlite {
            return Self::exists(url);
        }
        install_default_drivers();
        let mut connection = match sqlx::AnyConnection::connect(url).await {
            Ok(connection) => connection,
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("3D000") => {
                return Ok(false);
            }
            Err(e) => return Err(e.into()),
        };
        let migrations: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'",
        )
        .fetch_one(&mut connection)
        .await?;
        Ok(migrations > 0)
    }

    /// A new, empty, migrated database that lives in memory only: what a dry run compares
    /// against before the first import, leaving no file behind. One connection, kept open,
    /// because each SQLite connection to `:memory:` is a database of its own.
    pub async fn empty_in_memory() -> Result<Db, ServerError> {
        install_default_drivers();
        let pool = AnyPoolOptions::new()
            .min_connections(1)
            .max_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .after_connect(|conn, _| {
                Box::pin(async move { conn.execute("PRAGMA foreign_keys = ON").await.map(|_| ()) })
            })
            .connect("sqlite::memory:")
            .await?;
        Self::migrated(pool, Backend::Sqlite).await
    }
}

/// When a SQLite connection's commits reach the disk (`PRAGMA synchronous` in WAL mode; it is
/// per connection, and the WAL is one file, so a sync covers every commit before it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WalSync {
    /// Each commit syncs the WAL before it returns (`FULL`): what a resident was told is done
    /// survives a power cut.
    EveryCommit,
    /// With the next commit that syncs, or the next checkpoint (`NORMAL`): a power cut may
    /// undo the newest of these commits, never corrupt the file. See `Db::unsynced`.
    Later,
}

/// The pool's settings and each new connection's setup, for `max_connections` connections.
fn pool_options(
    backend: Backend,
    settings: PoolSettings,
    max_connections: u32,
    sync: WalSync,
) -> AnyPoolOptions {
    let timeout_ms = settings.statement_timeout.as_millis();
    AnyPoolOptions::new()
        .max_connections(max_connections.max(1))
        .acquire_timeout(ACQUIRE_TIMEOUT)
        // sqlx pings a connection before lending it out (and again as it is given back). A
        // PostgreSQL connection can break (a server restart); a SQLite file's cannot, and
        // there the ping is a round trip to the connection's worker thread, two thread
        // switches, before every query of every request.
        .test_before_acquire(backend == Backend::Postgres)
        .after_release(|conn, _| Box::pin(async move { still_usable(conn).await }))
        .after_connect(move |conn, _| {
            Box::pin(async move {
                let setup = match backend {
                    // What is deleted is overwritten with zeros, not left in free pages
                    // for a copy of the file to show. WAL lets readers run beside the
                    // writer; it is a property of the file, a no-op once set.
                    Backend::Sqlite => format!(
                        "PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}; PRAGMA foreign_keys = ON;
                         PRAGMA secure_delete = ON; PRAGMA journal_mode = WAL;
                         PRAGMA synchronous = {};",
                        match sync {
                            WalSync::EveryCommit => "FULL",
                            WalSync::Later => "NORMAL",
                        }
                    ),
                    Backend::Postgres => format!("SET statement_timeout = {timeout_ms}"),
                };
                conn.execute(setup.as_str()).await.map(|_| ())
            })
        })
}

/// Whether a connection given back to the pool can be lent out again: not while it is still
/// inside a transaction. sqlx 0.8 leaves one there when a request is dropped (its client went
/// away) just as it begins a transaction with a statement of its own (`BEGIN IMMEDIATE`): the
/// worker has begun it, no `Transaction` exists to end it, and the connection would go back to
/// the pool holding SQLite's write lock, so that every later write failed, some at once and the
/// rest after `BUSY_TIMEOUT_MS` (seen in a benchmark: 173,343 failed logins in 20 s). Closed
/// instead, it rolls back. A transaction dropped the usual way has queued its rollback, which
/// the ping carries out first.
async fn still_usable(conn: &mut sqlx::AnyConnection) -> Result<bool, sqlx::Error> {
    use sqlx::Connection;
    if conn.is_in_transaction() {
        conn.ping().await?;
        if conn.is_in_transaction() {
            tracing::warn!("a connection left inside a transaction by a dropped request is closed");
            return Ok(false);
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Email;
    use crate::server::db::IdleLimits;

    /// A request dropped as it began a transaction (here: its `Transaction` forgotten, so that
    /// nothing ends it) must not leave its connection in the pool holding the write lock.
    #[tokio::test]
    async fn a_connection_left_inside_a_transaction_is_not_lent_out_again() {
        use sqlx::Connection;
        let (_dir, db) = Db::temporary().await;
        let mut conn = db.unsynced.acquire().await.unwrap();
        let begin = match db.backend {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        };
        std::mem::forget((*conn).begin_with(begin).await.unwrap());
        assert!(conn.is_in_transaction());
        drop(conn);
        // Every write after it succeeds, on whichever connection it gets (before, the first
        // failed at once or after the busy timeout, and so did each one after it).
        for _ in 0..12 {
            let kind = crate::server::db::AttemptKind::LoginIp;
            db.record_attempt(kind, "192.0.2.1", "").await.unwrap();
        }
        let pending = db.pending_attempts(
            crate::server::db::AttemptKind::LoginIp,
            "192.0.2.1",
            0,
            i64::MAX,
        );
        assert_eq!(pending.await.unwrap(), 12);
    }

    /// A login's writes are synced by the next durable commit; everything else by its own.
    #[tokio::test]
    async fn only_the_unsynced_pool_leaves_its_commits_to_the_next_sync() {
        let (_dir, db) = Db::temporary().await;
        if db.backend != Backend::Sqlite {
            return;
        }
        let synchronous = |pool: AnyPool| async move {
            let level: i64 = sqlx::query_scalar("PRAGMA synchronous")
                .fetch_one(&pool)
                .await
                .unwrap();
            level
        };
        assert_eq!(synchronous(db.pool.clone()).await, 2, "FULL");
        assert_eq!(synchronous(db.reads.clone()).await, 2, "FULL");
        assert_eq!(synchronous(db.unsynced.clone()).await, 1, "NORMAL");
    }

    /// With every connection of the pool taken by writers (a login flood waiting for SQLite's
    /// write lock), a page load still reads its session and history: through the readers'
    /// pool. Without it, each read would wait ACQUIRE_TIMEOUT and answer "try again".
    #[tokio::test]
    async fn page_loads_read_beside_a_pool_full_of_waiting_writers() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let settings = PoolSettings {
            max_connections: 2,
            ..PoolSettings::default()
        };
        let db = Db::open(&url, true, settings).await.unwrap();
        let email = Email::parse("lukija@example.com").unwrap();
        db.import_legacy_account("lukija", &email, "Lea Lukija")
            .await
            .unwrap();
        let account = db.account_by_email(&email).await.unwrap().unwrap().id;
        let session = super::super::NewSession {
            id_hash: &[1; 32],
            account_id: account,
            expires_at: super::super::after(Duration::from_secs(600)),
            persistent: false,
            user_agent: None,
        };
        db.start_session(&session, None, Default::default(), Default::default())
            .await
            .unwrap();
        // Both connections held, one of them inside a write transaction.
        let mut writer = db.pool.acquire().await.unwrap();
        writer.execute("BEGIN IMMEDIATE").await.unwrap();
        let _other = db.pool.acquire().await.unwrap();
        let idle = IdleLimits {
            session_secs: 600,
            remembered_secs: 600,
        };
        let seen = db.session_account(&[1; 32], idle).await.unwrap();
        assert_eq!(seen.map(|a| a.id), Some(account));
        let (rows, total) = db.history_page(account, 1, 10).await.unwrap();
        assert_eq!((rows.len(), total), (0, 0));
        writer.execute("ROLLBACK").await.unwrap();
    }
}
