//! Accounts: lookup, the demo account and the import of carried-over accounts.

use super::{Db, now};
use crate::model::Email;
use crate::server::ServerError;

/// An account row as the server uses it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Account {
    pub id: i64,
    pub email: String,
    pub full_name: String,
    pub password_hash: Option<String>,
    pub language: String,
}

/// What importing one carried-over account did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportOutcome {
    Created,
    /// The old username or the address is already there: nothing changed.
    AlreadyThere,
}

const ACCOUNT_COLUMNS: &str = "id, email, full_name, password_hash, language";

impl Db {
    pub async fn account_by_email(&self, email: &Email) -> Result<Option<Account>, ServerError> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE email = $1");
        Ok(sqlx::query_as(&sql)
            .bind(email.as_str())
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn account_count(&self) -> Result<i64, ServerError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM accounts")
            .fetch_one(&self.pool)
            .await?)
    }

    /// Creates an account carried over from the old system, without a password. Running it again
    /// for the same old username or address changes nothing.
    pub async fn import_legacy_account(
        &self,
        legacy_username: &str,
        email: &Email,
        full_name: &str,
    ) -> Result<ImportOutcome, ServerError> {
        let inserted = sqlx::query(
            "INSERT INTO accounts (email, full_name, legacy_username, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING",
        )
        .bind(email.as_str())
        .bind(full_name)
        .bind(legacy_username)
        .bind(now())
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(if inserted == 1 {
            ImportOutcome::Created
        } else {
            ImportOutcome::AlreadyThere
        })
    }
}
