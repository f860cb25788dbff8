//! All SQL of the service. Callers see methods on [`Db`] and plain structs, never SQL, so a
//! PostgreSQL backend can be added beside SQLite here alone. The SQL is written to be portable:
//! `$n` placeholders, `RETURNING`, times as integers.

mod accounts;
mod history;
mod import;
mod outbox;
mod sessions;
mod tokens;

pub use accounts::{Account, ImportOutcome, Registration};
pub use history::{NewTransaction, TransactionRow};
pub use import::{
    AccountRef, ExistingState, ImportTx, ImportWrites, ImportedAccount, ImportedTransaction,
};
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The accounts rebuild of the legacy-import migration keeps every row of the tables that
    /// reference accounts, and their foreign keys point at the rebuilt `accounts` afterwards.
    #[tokio::test]
    async fn the_accounts_rebuild_keeps_data_and_references() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let options = SqliteConnectOptions::from_str(&url)
            .unwrap()
            .foreign_keys(true);
        let pool = SqlitePool::connect_with(options).await.unwrap();
        let mut before = sqlx::migrate!("./migrations");
        before.migrations = std::borrow::Cow::Owned(before.migrations[..2].to_vec());
        before.run(&pool).await.unwrap();
        for statement in [
            "INSERT INTO accounts (email, full_name, legacy_username, created_at) VALUES ('a@example.com', 'A', 'vanha_a', 1)",
            "INSERT INTO transactions (account_id, occurred_on, service, reference, status) VALUES (1, '2018-01-01', 'S', 'R', 'T')",
            "INSERT INTO sessions VALUES (x'01', 1, 1, 1, 9999999999, 0, NULL)",
            "INSERT INTO tokens (account_id, purpose, token_hash, created_at, expires_at) VALUES (1, 'set_password', x'02', 1, 2)",
        ] {
            sqlx::query(statement).execute(&pool).await.unwrap();
        }
        pool.close().await;

        let db = Db::connect(&url).await.unwrap();
        let count = |sql: &'static str| {
            let pool = db.pool.clone();
            async move {
                sqlx::query_scalar::<_, i64>(sql)
                    .fetch_one(&pool)
                    .await
                    .unwrap()
            }
        };
        for table in [
            "accounts",
            "transactions",
            "sessions",
            "tokens",
            "legacy_usernames",
        ] {
            let sql: &'static str = Box::leak(format!("SELECT COUNT(*) FROM {table}").into());
            assert_eq!(count(sql).await, 1, "{table}");
        }
        for table in ["transactions", "sessions", "tokens", "legacy_usernames"] {
            let parent: String =
                sqlx::query_scalar("SELECT \"table\" FROM pragma_foreign_key_list($1)")
                    .bind(table)
                    .fetch_one(&db.pool)
                    .await
                    .unwrap();
            assert_eq!(parent, "accounts", "{table}");
        }
        // An address is optional now, and still unique regardless of case.
        sqlx::query("INSERT INTO accounts (email, full_name, created_at) VALUES (NULL, 'B', 1), (NULL, 'C', 1)")
            .execute(&db.pool)
            .await
            .unwrap();
        assert!(
            sqlx::query("INSERT INTO accounts (email, full_name, created_at) VALUES ('A@example.com', 'D', 1)")
                .execute(&db.pool)
                .await
                .is_err()
        );
        // The cascade still works through the rebuilt references.
        sqlx::query("DELETE FROM accounts WHERE id = 1")
            .execute(&db.pool)
            .await
            .unwrap();
        assert_eq!(count("SELECT COUNT(*) FROM transactions").await, 0);
        assert_eq!(count("SELECT COUNT(*) FROM legacy_usernames").await, 0);
    }
}
