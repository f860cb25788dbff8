//! All SQL of the service. Callers see methods on [`Db`] and plain structs, never SQL, so a
//! PostgreSQL backend can be added beside SQLite here alone. The SQL is written to be portable:
//! `$n` placeholders, `RETURNING`, times as integers.

mod accounts;
mod history;
mod outbox;
mod sessions;
mod tokens;

pub use accounts::{Account, ImportOutcome, Registration};
pub use history::{NewTransaction, TransactionRow};
pub use outbox::{NewMail, OutboxMail};
pub use sessions::SessionRow;
pub use tokens::{EmailChange, LinkPurpose, LinkTarget};

use super::ServerError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long a query waits for SQLite's write lock before failing, in milliseconds.
const BUSY_TIMEOUT_MS: u64 = 5_000;

#[derive(Clone)]
pub struct Db {
    pool: SqlitePool,
}

impl Db {
    /// Opens (creating if missing) the database and applies the migrations.
    pub async fn connect(url: &str) -> Result<Db, ServerError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .foreign_keys(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_millis(BUSY_TIMEOUT_MS));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Db { pool })
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
