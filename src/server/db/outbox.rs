//! The mail outbox: queued in the caller's transaction, delivered by the sender.

use super::{Db, now};
use crate::server::ServerError;
use sqlx::{Sqlite, Transaction};

/// A rendered mail to queue.
#[derive(Debug, Clone)]
pub struct NewMail {
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
}

/// A queued mail.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxMail {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub created_at: i64,
    pub attempts: i64,
    pub sent_at: Option<i64>,
    pub failed_at: Option<i64>,
}

const MAIL_COLUMNS: &str =
    "id, recipient, subject, body_text, body_html, created_at, attempts, sent_at, failed_at";

impl Db {
    /// Commits a transaction in which mail was queued, then wakes the sender.
    pub(super) async fn commit_with_mail(
        &self,
        tx: Transaction<'_, Sqlite>,
    ) -> Result<(), ServerError> {
        tx.commit().await?;
        self.mail_queued.notify_one();
        Ok(())
    }

    pub(super) async fn queue_mail(
        tx: &mut Transaction<'_, Sqlite>,
        mail: &NewMail,
    ) -> Result<(), ServerError> {
        let now = now();
        sqlx::query(
            "INSERT INTO outbox (recipient, subject, body_text, body_html, created_at, next_attempt_at)
             VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(&mail.recipient)
        .bind(&mail.subject)
        .bind(&mail.body_text)
        .bind(&mail.body_html)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Queues a mail that goes with no other change (a notice).
    pub async fn queue_notice(&self, mail: &NewMail) -> Result<(), ServerError> {
        let mut tx = self.pool.begin().await?;
        Self::queue_mail(&mut tx, mail).await?;
        self.commit_with_mail(tx).await?;
        Ok(())
    }

    /// Mails due for a delivery attempt, oldest first.
    pub async fn due_mails(&self, limit: i64) -> Result<Vec<OutboxMail>, ServerError> {
        let sql = format!(
            "SELECT {MAIL_COLUMNS} FROM outbox
             WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 ORDER BY id LIMIT $2"
        );
        Ok(sqlx::query_as(&sql)
            .bind(now())
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Marks a mail delivered and blanks its body, which carried a link in clear.
    pub async fn mark_mail_sent(&self, id: i64) -> Result<(), ServerError> {
        sqlx::query(
            "UPDATE outbox SET sent_at = $2, attempts = attempts + 1, body_text = '', body_html = '', last_error = NULL
             WHERE id = $1",
        )
        .bind(id)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records a failed attempt: try again at `retry_at`, or give up when it is `None`.
    pub async fn mark_mail_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<i64>,
    ) -> Result<(), ServerError> {
        let now = now();
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, last_error = $2,
                 next_attempt_at = COALESCE($3, next_attempt_at),
                 failed_at = CASE WHEN $3 IS NULL THEN $4 ELSE NULL END,
                 body_text = CASE WHEN $3 IS NULL THEN '' ELSE body_text END,
                 body_html = CASE WHEN $3 IS NULL THEN '' ELSE body_html END
             WHERE id = $1",
        )
        .bind(id)
        .bind(error)
        .bind(retry_at)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The newest mails, for the development mailbox.
    pub async fn recent_mails(&self, limit: i64) -> Result<Vec<OutboxMail>, ServerError> {
        let sql = format!("SELECT {MAIL_COLUMNS} FROM outbox ORDER BY id DESC LIMIT $1");
        Ok(sqlx::query_as(&sql)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }
}
