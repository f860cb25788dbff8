//! Single-use links and the password they set.

use super::{Db, MailKind, NewMail, now};
use crate::server::ServerError;

/// What a mailed link is for; stored in `tokens.purpose`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    /// A first password: a carried-over account's first login.
    SetPassword,
    /// A forgotten password: the resident is told by mail once it has changed.
    ResetPassword,
}

impl LinkPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SetPassword => "set_password",
            Self::ResetPassword => "reset_password",
        }
    }

    /// The mail that carries such a link.
    pub fn mail_kind(self) -> MailKind {
        match self {
            Self::SetPassword => MailKind::SetPasswordLink,
            Self::ResetPassword => MailKind::ResetPasswordLink,
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Self::SetPassword, Self::ResetPassword]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

/// The account a still-usable link belongs to.
#[derive(Debug, Clone)]
pub struct LinkTarget {
    pub account_id: i64,
    pub email: String,
    pub purpose: LinkPurpose,
    /// The resident's chosen language for mail, if any.
    pub language: Option<String>,
}

impl Db {
    /// Whom a still-usable link is for; `None` for an unknown, used or expired link.
    pub async fn link_target(&self, token_hash: &[u8]) -> Result<Option<LinkTarget>, ServerError> {
        let row: Option<(i64, String, String, Option<String>)> = sqlx::query_as(
            "SELECT a.id, a.email, t.purpose, a.language FROM tokens t JOIN accounts a ON a.id = t.account_id
             WHERE t.token_hash = $1 AND t.used_at IS NULL AND t.expires_at > $2
               AND t.purpose IN ('set_password', 'reset_password') AND a.email IS NOT NULL",
        )
        .bind(token_hash)
        .bind(now())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.and_then(|(account_id, email, purpose, language)| {
            Some(LinkTarget {
                account_id,
                email,
                purpose: LinkPurpose::parse(&purpose)?,
                language,
            })
        }))
    }

    /// Uses the token to set the account's password, in one transaction: the token is spent
    /// (only one request can spend it), every other open token of the account is voided, the
    /// account's sessions end, and `notice` (if any) is queued. `None` when the token is
    /// unknown, used or expired.
    pub async fn set_password_with_link(
        &self,
        token_hash: &[u8],
        password_hash: &str,
        notice: Option<&NewMail>,
    ) -> Result<Option<i64>, ServerError> {
        let now = now();
        let mut tx = self.pool.begin().await?;
        let account_id: Option<i64> = sqlx::query_scalar(
            "UPDATE tokens SET used_at = $1
             WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1
               AND purpose IN ('set_password', 'reset_password')
             RETURNING account_id",
        )
        .bind(now)
        .bind(token_hash)
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
        if let Some(notice) = notice {
            Self::queue_mail(&mut tx, notice).await?;
            self.commit_with_mail(tx).await?;
        } else {
            tx.commit().await?;
        }
        Ok(Some(account_id))
    }
}

/// What confirming a new e-mail address did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailChange {
    /// The account's username is now `new` instead of `old`.
    Changed {
        account_id: i64,
        old: Option<String>,
        new: String,
    },
    /// Unknown, used or expired link.
    Invalid,
    /// Another account took the address in the meantime.
    Taken,
}

impl Db {
    /// The new address a still-usable e-mail change link would make the username.
    pub async fn email_change_target(
        &self,
        token_hash: &[u8],
    ) -> Result<Option<String>, ServerError> {
        Ok(sqlx::query_scalar(
            "SELECT new_email FROM tokens
             WHERE token_hash = $1 AND purpose = 'change_email' AND used_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now())
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Spends an e-mail change link and makes its address the username, voiding the account's
    /// other open e-mail change links. The history and everything else stay with the account.
    pub async fn confirm_email_change(
        &self,
        token_hash: &[u8],
    ) -> Result<EmailChange, ServerError> {
        let now = now();
        let mut tx = self.pool.begin().await?;
        let spent: Option<(i64, String)> = sqlx::query_as(
            "UPDATE tokens SET used_at = $1
             WHERE token_hash = $2 AND purpose = 'change_email' AND used_at IS NULL AND expires_at > $1
             RETURNING account_id, new_email",
        )
        .bind(now)
        .bind(token_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((account_id, new)) = spent else {
            return Ok(EmailChange::Invalid);
        };
        let old: Option<String> = sqlx::query_scalar("SELECT email FROM accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(&mut *tx)
            .await?
            .flatten();
        let changed = sqlx::query("UPDATE accounts SET email = $1 WHERE id = $2")
            .bind(&new)
            .bind(account_id)
            .execute(&mut *tx)
            .await;
        match changed {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Ok(EmailChange::Taken);
            }
            other => other?,
        };
        sqlx::query("UPDATE tokens SET used_at = $1 WHERE account_id = $2 AND purpose = 'change_email' AND used_at IS NULL")
            .bind(now)
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(EmailChange::Changed {
            account_id,
            old,
            new,
        })
    }
}
