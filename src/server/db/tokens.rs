//! Single-use links and the password they set.

use super::{Db, NewMail, now};
use crate::server::ServerError;

/// What a link is for; stored in `tokens.purpose`.
const SET_PASSWORD: &str = "set_password";

impl Db {
    /// Stores a set-password token and queues the mail that carries it, in one transaction:
    /// either both exist or neither does.
    pub async fn issue_set_password_link(
        &self,
        account_id: i64,
        token_hash: &[u8],
        expires_at: i64,
        mail: &NewMail,
    ) -> Result<(), ServerError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO tokens (account_id, purpose, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(account_id)
        .bind(SET_PASSWORD)
        .bind(token_hash)
        .bind(now())
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        Self::queue_mail(&mut tx, mail).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The address of the account a still-usable set-password token belongs to.
    pub async fn set_password_link_email(
        &self,
        token_hash: &[u8],
    ) -> Result<Option<String>, ServerError> {
        Ok(sqlx::query_scalar(
            "SELECT a.email FROM tokens t JOIN accounts a ON a.id = t.account_id
             WHERE t.token_hash = $1 AND t.purpose = $2 AND t.used_at IS NULL AND t.expires_at > $3",
        )
        .bind(token_hash)
        .bind(SET_PASSWORD)
        .bind(now())
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Uses the token to set the account's password, in one transaction: the token is spent
    /// (only one request can spend it), every other open token of the account is voided and the
    /// account's sessions end. `None` when the token is unknown, used or expired.
    pub async fn set_password_with_link(
        &self,
        token_hash: &[u8],
        password_hash: &str,
    ) -> Result<Option<i64>, ServerError> {
        let now = now();
        let mut tx = self.pool.begin().await?;
        let account_id: Option<i64> = sqlx::query_scalar(
            "UPDATE tokens SET used_at = $1
             WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1
             RETURNING account_id",
        )
        .bind(now)
        .bind(token_hash)
        .bind(SET_PASSWORD)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(account_id) = account_id else {
            return Ok(None);
        };
        sqlx::query("UPDATE accounts SET password_hash = $1, password_set_at = $2 WHERE id = $3")
            .bind(password_hash)
            .bind(now)
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE tokens SET used_at = $1 WHERE account_id = $2 AND used_at IS NULL")
            .bind(now)
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE account_id = $1")
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(account_id))
    }
}
