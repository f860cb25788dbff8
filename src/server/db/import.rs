//! The SQL of `import-legacy`: what is there already (read once into memory, so that planning
//! the import needs no query per row) and the writes of one run, all in one transaction.

use super::{Backend, Db, now};
use crate::server::ServerError;
use sqlx::{Any, Transaction};
use std::collections::HashMap;

/// Rows per multi-row INSERT; the statement (the same text every time) is prepared once and
/// reused. Small on purpose: sqlx looks every parameter up by name, and SQLite's lookup is a
/// linear scan, so the cost per row grows with the parameters per statement (500 rows took
/// 25 s for a million; 50 rows, a few).
const BATCH: usize = 50;

/// Rows between two progress reports.
const PROGRESS_EVERY: usize = 10_000;

/// An account as the import compares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedAccount {
    /// Lower-case, as stored; `None` for an unreachable account.
    pub email: Option<String>,
    pub full_name: String,
    pub phone: Option<String>,
    pub language: Option<String>,
    /// The first old username: the one whose row the account's details come from.
    pub legacy_username: Option<String>,
}

/// Every account and old username already in the database, and the existing transactions of
/// each account, as passed to `transaction_key`.
#[derive(Debug, Default)]
pub struct ExistingState {
    pub accounts: HashMap<i64, ImportedAccount>,
    pub by_email: HashMap<String, i64>,
    pub by_legacy_username: HashMap<String, i64>,
}

/// An account an import refers to: one already there, or the n-th one it creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccountRef {
    Existing(i64),
    New(usize),
}

/// A transaction to import.
#[derive(Debug, Clone)]
pub struct ImportedTransaction {
    pub account: AccountRef,
    /// `YYYY-MM-DD`.
    pub occurred_on: String,
    pub service: String,
    pub reference: String,
    pub status: String,
    pub description: String,
}

/// Everything one import run writes.
#[derive(Debug, Default)]
pub struct ImportWrites {
    pub new_accounts: Vec<ImportedAccount>,
    /// Existing accounts whose name, phone or language changed: (id, new details).
    pub updates: Vec<(i64, ImportedAccount)>,
    /// Old usernames to record, each with its account (new accounts' first usernames too).
    pub legacy_usernames: Vec<(String, AccountRef)>,
    pub transactions: Vec<ImportedTransaction>,
}

/// An open import: one write transaction, committed or rolled back (dry run) at the end.
pub struct ImportTx {
    tx: Transaction<'static, Any>,
}

impl Db {
    /// Starts an import. It takes the write lock before anything is read, so what the import
    /// plans against cannot change before it writes: SQLite's `BEGIN IMMEDIATE`, on PostgreSQL
    /// a lock that lets others read the accounts but not change them until the import ends
    /// (and another import wait).
    pub async fn begin_import(&self) -> Result<ImportTx, ServerError> {
        let mut tx = self.begin_write().await?;
        let setup = match self.backend {
            // A million rows in one transaction: a 64 MiB page cache (instead of 2 MiB) keeps
            // SQLite from spilling half-written pages to the WAL before the commit.
            Backend::Sqlite => "PRAGMA cache_size = -65536",
            Backend::Postgres => {
                "LOCK TABLE accounts, legacy_usernames, transactions IN SHARE ROW EXCLUSIVE MODE"
            }
        };
        sqlx::query(setup).execute(&mut *tx).await?;
        Ok(ImportTx { tx })
    }
}

/// id, lower-cased e-mail, full name, phone, language, first old username.
type AccountRow = (
    i64,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

impl ImportTx {
    /// Reads the accounts and old usernames that are there.
    pub async fn existing(&mut self) -> Result<ExistingState, ServerError> {
        let rows: Vec<AccountRow> = sqlx::query_as(
            "SELECT id, lower(email), full_name, phone, language, legacy_username FROM accounts",
        )
        .fetch_all(&mut *self.tx)
        .await?;
        let mut state = ExistingState::default();
        for (id, email, full_name, phone, language, legacy_username) in rows {
            if let Some(email) = &email {
                state.by_email.insert(email.clone(), id);
            }
            let account = ImportedAccount {
                email,
                full_name,
                phone,
                language,
                legacy_username,
            };
            state.accounts.insert(id, account);
        }
        let usernames: Vec<(String, i64)> =
            sqlx::query_as("SELECT legacy_username, account_id FROM legacy_usernames")
                .fetch_all(&mut *self.tx)
                .await?;
        state.by_legacy_username.extend(usernames);
        Ok(state)
    }

    /// Calls `each` with every existing transaction (account id and its fields), to find rows
    /// that were imported before. Streams, so a million rows need no million-row vector.
    pub async fn each_transaction(
        &mut self,
        mut each: impl FnMut(i64, &str, &str, &str, &str, &str),
    ) -> Result<(), ServerError> {
        use futures_util::TryStreamExt;
        let mut rows = sqlx::query_as::<_, (i64, String, String, String, String, String)>(
            "SELECT account_id, occurred_on, service, reference, status, description FROM transactions",
        )
        .fetch(&mut *self.tx);
        while let Some((account, on, service, reference, status, description)) =
            rows.try_next().await?
        {
            each(account, &on, &service, &reference, &status, &description);
        }
        Ok(())
    }

    /// Writes everything; `progress(phase, done, total)` is called every `PROGRESS_EVERY` rows
    /// or so, and at the end of each phase.
    pub async fn apply(
        &mut self,
        writes: &ImportWrites,
        progress: &mut dyn FnMut(&'static str, usize, usize),
    ) -> Result<(), ServerError> {
        let created_at = now();
        let mut new_ids = Vec::with_capacity(writes.new_accounts.len());
        for (n, account) in writes.new_accounts.iter().enumerate() {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO accounts (email, full_name, phone, language, legacy_username, origin, created_at)
                 VALUES ($1, $2, $3, $4, $5, 'legacy', $6) RETURNING id",
            )
            .bind(&account.email)
            .bind(&account.full_name)
            .bind(&account.phone)
            .bind(&account.language)
            .bind(&account.legacy_username)
            .bind(created_at)
            .fetch_one(&mut *self.tx)
            .await?;
            new_ids.push(id);
            let done = n + 1;
            if done % PROGRESS_EVERY == 0 || done == writes.new_accounts.len() {
                progress("accounts", done, writes.new_accounts.len());
            }
        }
        for (id, account) in &writes.updates {
            sqlx::query(
                "UPDATE accounts SET full_name = $1, phone = $2, language = $3 WHERE id = $4",
            )
            .bind(&account.full_name)
            .bind(&account.phone)
            .bind(&account.language)
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        }
        let resolve = |account: AccountRef| match account {
            AccountRef::Existing(id) => Ok(id),
            AccountRef::New(n) => new_ids.get(n).copied().ok_or(ServerError::Context(
                "import refers to an account it did not create",
            )),
        };
        for chunk in writes.legacy_usernames.chunks(BATCH) {
            let sql = insert_sql(
                "legacy_usernames (legacy_username, account_id)",
                2,
                chunk.len(),
            );
            let mut query = sqlx::query(&sql);
            for (username, account) in chunk {
                query = query.bind(username).bind(resolve(*account)?);
            }
            query.execute(&mut *self.tx).await?;
        }
        self.record_events(writes, &resolve, created_at).await?;
        let total = writes.transactions.len();
        for (n, chunk) in writes.transactions.chunks(BATCH).enumerate() {
            let sql = insert_sql(
                "transactions (account_id, occurred_on, service, reference, status, description)",
                6,
                chunk.len(),
            );
            let mut query = sqlx::query(&sql);
            for t in chunk {
                query = query
                    .bind(resolve(t.account)?)
                    .bind(&t.occurred_on)
                    .bind(&t.service)
                    .bind(&t.reference)
                    .bind(&t.status)
                    .bind(&t.description);
            }
            query.execute(&mut *self.tx).await?;
            let done = n * BATCH + chunk.len();
            if done % PROGRESS_EVERY < chunk.len() || done == total {
                progress("history", done, total);
            }
        }
        Ok(())
    }

    /// The audit trail of a run, in its transaction: `imported` for each account it creates
    /// or updates, `merged` for each old username joining an account that already has one.
    async fn record_events(
        &mut self,
        writes: &ImportWrites,
        resolve: &dyn Fn(AccountRef) -> Result<i64, ServerError>,
        at: i64,
    ) -> Result<(), ServerError> {
        let operator = crate::server::cli::operator();
        let mut events: Vec<(i64, &'static str, String)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (username, account) in &writes.legacy_usernames {
            let first_of_new = matches!(account, AccountRef::New(_)) && seen.insert(*account);
            let (kind, detail) = if first_of_new {
                (
                    "imported",
                    format!("old username {username}; import by {operator}"),
                )
            } else {
                (
                    "merged",
                    format!("old username {username} merged in; import by {operator}"),
                )
            };
            events.push((resolve(*account)?, kind, detail));
        }
        for (id, _) in &writes.updates {
            events.push((
                *id,
                "imported",
                format!("details updated; import by {operator}"),
            ));
        }
        for chunk in events.chunks(BATCH) {
            let sql = insert_sql(
                "audit_events (at, account_id, kind, detail, last_at)",
                5,
                chunk.len(),
            );
            let mut query = sqlx::query(&sql);
            for (account_id, kind, detail) in chunk {
                query = query
                    .bind(at)
                    .bind(account_id)
                    .bind(*kind)
                    .bind(detail)
                    .bind(at);
            }
            query.execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// Commits, or with `keep == false` (a dry run) rolls everything back.
    pub async fn finish(self, keep: bool) -> Result<(), ServerError> {
        if keep {
            self.tx.commit().await?;
        } else {
            self.tx.rollback().await?;
        }
        Ok(())
    }
}

/// `INSERT INTO {table} VALUES ($1, …), …` for `rows` rows of `columns` values.
fn insert_sql(table: &str, columns: usize, rows: usize) -> String {
    let mut sql = format!("INSERT INTO {table} VALUES ");
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..columns {
            if column > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", row * columns + column + 1));
        }
        sql.push(')');
    }
    sql
}

#[cfg(test)]
mod tests {
    #[test]
    fn insert_sql_numbers_the_parameters() {
        assert_eq!(
            super::insert_sql("t (a, b)", 2, 2),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
        );
    }
}
