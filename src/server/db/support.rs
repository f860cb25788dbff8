//! What support staff look up and change from the command line.

use super::{Db, Flag};
use crate::server::ServerError;

/// An account as support sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SupportAccount {
    pub id: i64,
    pub email: Option<String>,
    pub full_name: String,
    /// Every old username of the account, comma-separated.
    pub legacy_usernames: Option<String>,
    pub origin: String,
    #[sqlx(try_from = "Flag")]
    pub password_set: bool,
    pub last_login_at: Option<i64>,
    pub history_rows: i64,
}

/// How many accounts `support find` lists at most.
const FIND_LIMIT: i64 = 50;

impl Db {
    /// Accounts whose address, old username or name contains `query` (case-insensitive: by
    /// `lower()`, since SQLite's LIKE ignores case and PostgreSQL's does not).
    pub async fn support_find(&self, query: &str) -> Result<Vec<SupportAccount>, ServerError> {
        let pattern = format!(
            "%{}%",
            query
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        Ok(sqlx::query_as(
            "SELECT a.id, a.email, a.full_name, a.origin,
                    a.password_hash IS NOT NULL AS password_set, a.last_login_at,
                    (SELECT string_agg(l.legacy_username, ', ') FROM legacy_usernames l WHERE l.account_id = a.id)
                        AS legacy_usernames,
                    (SELECT COUNT(*) FROM transactions t WHERE t.account_id = a.id) AS history_rows
             FROM accounts a
             WHERE lower(a.email) LIKE lower($1) ESCAPE '\\'
                OR lower(a.full_name) LIKE lower($1) ESCAPE '\\'
                OR EXISTS (SELECT 1 FROM legacy_usernames l
                           WHERE l.account_id = a.id AND lower(l.legacy_username) LIKE lower($1) ESCAPE '\\')
             ORDER BY a.id LIMIT $2",
        )
        .bind(pattern)
        .bind(FIND_LIMIT)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The address of the account with this id (`None`: no such account, or unreachable).
    pub async fn support_email_of(&self, id: i64) -> Result<Option<String>, ServerError> {
        Ok(
            sqlx::query_scalar::<_, Option<String>>("SELECT email FROM accounts WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
                .flatten(),
        )
    }

    /// Ends every session of the account (support, or a suspected break-in); how many ended.
    pub async fn support_end_sessions(&self, account_id: i64) -> Result<u64, ServerError> {
        Ok(sqlx::query("DELETE FROM sessions WHERE account_id = $1")
            .bind(account_id)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }

    /// The id of the account named by support: its number, address or an old username.
    pub async fn support_account_id(&self, name: &str) -> Result<Option<i64>, ServerError> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM accounts WHERE CAST(id AS TEXT) = $1 OR lower(email) = lower($1)
             UNION SELECT account_id FROM legacy_usernames WHERE legacy_username = $1
             LIMIT 1",
        )
        .bind(name)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Attaches or changes an account's address; `false` when another account has it.
    pub async fn support_set_email(
        &self,
        account_id: i64,
        email: &str,
    ) -> Result<bool, ServerError> {
        let changed = sqlx::query("UPDATE accounts SET email = $1 WHERE id = $2")
            .bind(email)
            .bind(account_id)
            .execute(&self.pool)
            .await;
        match changed {
            Ok(_) => Ok(true),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(false),
            Err(e) => Err(e.into()),
        }
    }
}
