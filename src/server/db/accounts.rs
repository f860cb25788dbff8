//! Accounts: lookup, the demo account and the import of carried-over accounts.

use super::{Db, now};
use crate::model::Email;
use crate::server::ServerError;

/// An account row as the server uses it. Only accounts with an address are loaded as one
/// (every query below selects by address, session or link, none of which an unreachable account
/// without an address has), so `email` is never NULL here.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Account {
    pub id: i64,
    pub email: String,
    pub full_name: String,
    pub password_hash: Option<String>,
    /// The resident's chosen language for mail (`fi`, `sv`, `en`), if they have chosen one.
    pub language: Option<String>,
}

impl Account {
    /// The language of mail to this resident: their choice, else the page they are using.
    pub fn mail_language(&self, page: crate::model::Lang) -> crate::model::Lang {
        self.language
            .as_deref()
            .and_then(crate::model::Lang::from_code)
            .unwrap_or(page)
    }
}

/// What a registration found.
#[derive(Debug, Clone)]
pub enum Registration {
    /// A new account, without a password until the mailed link is used.
    Created(i64),
    /// The address already has an account.
    Exists(Account),
}

/// What importing one carried-over account did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportOutcome {
    Created,
    /// The old username or the address is already there: nothing changed.
    AlreadyThere,
}

const ACCOUNT_COLUMNS: &str = "id, email, full_name, password_hash, language";

/// The account of `email`, read through `executor` (the pool, or a transaction that the
/// read belongs with, see [`Db::start_password_attempt`]).
pub(super) async fn account_by_email_on<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    email: &Email,
) -> Result<Option<Account>, ServerError> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE email = $1");
    Ok(sqlx::query_as(&sql)
        .bind(email.as_str())
        .fetch_optional(executor)
        .await?)
}

impl Db {
    pub async fn account_by_email(&self, email: &Email) -> Result<Option<Account>, ServerError> {
        account_by_email_on(&self.pool, email).await
    }

    /// Creates a registered account for `email` unless the address already has one.
    pub async fn register_account(
        &self,
        email: &Email,
        full_name: &str,
    ) -> Result<Registration, ServerError> {
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO accounts (email, full_name, origin, created_at) VALUES ($1, $2, 'registered', $3)
             ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(email.as_str())
        .bind(full_name)
        .bind(now())
        .fetch_optional(&self.pool)
        .await?;
        match id {
            Some(id) => Ok(Registration::Created(id)),
            None => self
                .account_by_email(email)
                .await?
                .map(Registration::Exists)
                .ok_or(ServerError::Context("account vanished during registration")),
        }
    }

    /// Removes registrations whose address was never verified (no password set through the
    /// mailed link) within `max_age_secs`; returns how many.
    pub async fn purge_unverified(&self, max_age_secs: i64) -> Result<u64, ServerError> {
        let removed = sqlx::query(
            "DELETE FROM accounts WHERE origin = 'registered' AND password_hash IS NULL AND created_at <= $1",
        )
        .bind(now() - max_age_secs)
        .execute(&self.pool)
        .await?;
        Ok(removed.rows_affected())
    }

    pub async fn set_full_name(&self, account_id: i64, full_name: &str) -> Result<(), ServerError> {
        sqlx::query("UPDATE accounts SET full_name = $1 WHERE id = $2")
            .bind(full_name)
            .bind(account_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Sets (or with `None` clears) the language of every mail to the resident.
    pub async fn set_language(
        &self,
        account_id: i64,
        language: Option<&str>,
    ) -> Result<(), ServerError> {
        sqlx::query("UPDATE accounts SET language = $1 WHERE id = $2")
            .bind(language)
            .bind(account_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Replaces the password of a logged-in resident: every other session of the account ends
    /// and `notice` is queued, in one transaction.
    pub async fn change_password(
        &self,
        account_id: i64,
        password_hash: &str,
        keep_session: &[u8],
        notice: &super::NewMail,
    ) -> Result<(), ServerError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE accounts SET password_hash = $1, password_set_at = $2 WHERE id = $3")
            .bind(password_hash)
            .bind(now())
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND id_hash <> $2")
            .bind(account_id)
            .bind(keep_session)
            .execute(&mut *tx)
            .await?;
        Self::queue_mail(&mut tx, notice).await?;
        self.commit_with_mail(tx).await?;
        Ok(())
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
        let mut tx = self.pool.begin().await?;
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO accounts (email, full_name, legacy_username, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(email.as_str())
        .bind(full_name)
        .bind(legacy_username)
        .bind(now())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(id) = id {
            sqlx::query(
                "INSERT INTO legacy_usernames (legacy_username, account_id) VALUES ($1, $2)
                 ON CONFLICT DO NOTHING",
            )
            .bind(legacy_username)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(if id.is_some() {
            ImportOutcome::Created
        } else {
            ImportOutcome::AlreadyThere
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn unverified_registrations_are_purged_but_not_carried_over_accounts() {
        let (_dir, db) = Db::temporary().await;
        let new = Email::parse("uusi@example.com").unwrap();
        let legacy = Email::parse("vanha@example.com").unwrap();
        assert!(matches!(
            db.register_account(&new, "Uusi").await.unwrap(),
            Registration::Created(_)
        ));
        db.import_legacy_account("vanha", &legacy, "Vanha")
            .await
            .unwrap();
        assert_eq!(
            db.purge_unverified(3600).await.unwrap(),
            0,
            "too young to purge"
        );
        assert_eq!(db.purge_unverified(-1).await.unwrap(), 1);
        assert!(db.account_by_email(&new).await.unwrap().is_none());
        assert!(
            db.account_by_email(&legacy).await.unwrap().is_some(),
            "carried-over accounts stay"
        );
        let again = db.register_account(&legacy, "Joku").await.unwrap();
        assert!(matches!(again, Registration::Exists(a) if a.full_name == "Vanha"));
    }
}
