//! The mail outbox: what a mail is, queued in the caller's transaction; the sender renders and
//! delivers it. No mail text is stored, so no link ever is: a link's token is minted at delivery
//! ([`Db::mint_link`]) and only its hash written (see the migration `outbox_kinds_not_texts`).

use super::{Db, now};
use crate::model::{Email, Lang};
use crate::server::ServerError;
use sqlx::{Sqlite, Transaction};

/// What a queued mail is; stored in `outbox.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    /// A link for a first password (a carried-over account, a new registration).
    SetPasswordLink,
    /// A link for a forgotten password.
    ResetPasswordLink,
    /// A link that makes the recipient (a new address) the account's username.
    EmailChangeLink,
    /// Tells the current address that a change of username was asked for.
    EmailChangeNotice,
    /// Tells the resident that the password changed.
    PasswordChanged,
    /// Someone tried to register the address again.
    AccountExists,
    /// "Jatka" in protect mode for an address without an account: how to create one.
    NoAccount,
}

impl MailKind {
    const ALL: [MailKind; 7] = [
        Self::SetPasswordLink,
        Self::ResetPasswordLink,
        Self::EmailChangeLink,
        Self::EmailChangeNotice,
        Self::PasswordChanged,
        Self::AccountExists,
        Self::NoAccount,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SetPasswordLink => "set_password_link",
            Self::ResetPasswordLink => "reset_password_link",
            Self::EmailChangeLink => "email_change_link",
            Self::EmailChangeNotice => "email_change_notice",
            Self::PasswordChanged => "password_changed",
            Self::AccountExists => "account_exists",
            Self::NoAccount => "no_account",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The `tokens.purpose` of the link the mail carries, if it carries one.
    fn token_purpose(self) -> Option<&'static str> {
        match self {
            Self::SetPasswordLink => Some("set_password"),
            Self::ResetPasswordLink => Some("reset_password"),
            Self::EmailChangeLink => Some("change_email"),
            _ => None,
        }
    }
}

/// A mail to queue: whom it is for and what it is, never its text.
#[derive(Debug, Clone)]
pub struct NewMail {
    pub kind: MailKind,
    pub recipient: Email,
    /// The account the mail is about; `None` only for [`MailKind::NoAccount`].
    pub account_id: Option<i64>,
    pub lang: Lang,
    /// For a link: the local path its page continues to (the login card's `next`).
    pub next: Option<String>,
}

/// A queued mail due for delivery.
#[derive(Debug, Clone)]
pub struct OutboxMail {
    pub id: i64,
    pub kind: MailKind,
    pub recipient: String,
    pub account_id: Option<i64>,
    pub lang: Lang,
    pub attempts: i64,
    pub next: Option<String>,
}

type OutboxRow = (
    i64,
    String,
    String,
    Option<i64>,
    String,
    i64,
    Option<String>,
);

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
        sqlx::query(
            "INSERT INTO outbox (kind, recipient, account_id, language, created_at, next_attempt_at,
                 next)
             VALUES ($1, $2, $3, $4, $5, $5, $6)",
        )
        .bind(mail.kind.as_str())
        .bind(mail.recipient.as_str())
        .bind(mail.account_id)
        .bind(mail.lang.code())
        .bind(now())
        .bind(&mail.next)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// Queues mails that go with no other change, in one transaction: all or none.
    pub async fn queue(&self, mails: &[NewMail]) -> Result<(), ServerError> {
        let mut tx = self.pool.begin().await?;
        for mail in mails {
            Self::queue_mail(&mut tx, mail).await?;
        }
        self.commit_with_mail(tx).await?;
        Ok(())
    }

    /// Mails due for a delivery attempt, oldest first.
    pub async fn due_mails(&self, limit: i64) -> Result<Vec<OutboxMail>, ServerError> {
        let rows: Vec<OutboxRow> = sqlx::query_as(
            "SELECT id, kind, recipient, account_id, language, attempts, next FROM outbox
             WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1
             ORDER BY id LIMIT $2",
        )
        .bind(now())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(
                |(id, kind, recipient, account_id, language, attempts, next)| {
                    Ok(OutboxMail {
                        id,
                        kind: MailKind::parse(&kind).ok_or_else(|| {
                            ServerError::Mail(format!("unknown outbox kind {kind:?}"))
                        })?,
                        recipient,
                        account_id,
                        lang: Lang::from_code(&language).ok_or_else(|| {
                            ServerError::Mail(format!("unknown outbox language {language:?}"))
                        })?,
                        attempts,
                        next,
                    })
                },
            )
            .collect()
    }

    /// Stores the hash of a new token for the link `mail` carries, valid until `expires_at`,
    /// and voids the token an earlier attempt to deliver the same mail minted, in one
    /// transaction. `false` when the link is no longer wanted: the account is gone, or a
    /// set-password link's account has meanwhile got a password. For a mail without a link,
    /// `true` and nothing is stored.
    pub async fn mint_link(
        &self,
        mail: &OutboxMail,
        token_hash: &[u8],
        expires_at: i64,
    ) -> Result<bool, ServerError> {
        let Some(purpose) = mail.kind.token_purpose() else {
            return Ok(true);
        };
        let now = now();
        let mut tx = self.pool.begin().await?;
        // A write first, so that the transaction takes SQLite's write lock (waiting for it)
        // before it reads: a read first would fail at once, not wait, if another connection
        // wrote in between.
        sqlx::query("UPDATE tokens SET used_at = $1 WHERE outbox_id = $2 AND used_at IS NULL")
            .bind(now)
            .bind(mail.id)
            .execute(&mut *tx)
            .await?;
        let wanted: Option<bool> = sqlx::query_scalar(
            "SELECT password_hash IS NULL OR $2 <> 'set_password' FROM accounts WHERE id = $1",
        )
        .bind(mail.account_id)
        .bind(purpose)
        .fetch_optional(&mut *tx)
        .await?;
        if wanted != Some(true) {
            // Rolled back: an earlier token of this mail stays as it was.
            return Ok(false);
        }
        let new_email = (mail.kind == MailKind::EmailChangeLink).then_some(&mail.recipient);
        sqlx::query(
            "INSERT INTO tokens (account_id, purpose, new_email, token_hash, created_at, expires_at, outbox_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(mail.account_id)
        .bind(purpose)
        .bind(new_email)
        .bind(token_hash)
        .bind(now)
        .bind(expires_at)
        .bind(mail.id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Marks a mail delivered.
    pub async fn mark_mail_sent(&self, id: i64) -> Result<(), ServerError> {
        sqlx::query(
            "UPDATE outbox SET sent_at = $2, attempts = attempts + 1, last_error = NULL WHERE id = $1",
        )
        .bind(id)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records a failed attempt: try again at `retry_at`, or give up when it is `None` (also
    /// for a mail no longer wanted, with the reason as its error).
    pub async fn mark_mail_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<i64>,
    ) -> Result<(), ServerError> {
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, last_error = $2,
                 next_attempt_at = COALESCE($3, next_attempt_at),
                 failed_at = CASE WHEN $3 IS NULL THEN $4 ELSE NULL END
             WHERE id = $1",
        )
        .bind(id)
        .bind(error)
        .bind(retry_at)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::auth::token::new_token;

    #[tokio::test]
    async fn a_retry_mints_a_fresh_token_and_voids_the_one_before() {
        let (_dir, db) = Db::temporary().await;
        sqlx::query(
            "INSERT INTO accounts (id, email, full_name, created_at) VALUES (7, 'erkki@example.com', 'Erkki', 1)",
        )
        .execute(&db.pool)
        .await
        .unwrap();
        let erkki = Email::parse("erkki@example.com").unwrap();
        let link = |kind| NewMail {
            kind,
            recipient: erkki.clone(),
            account_id: Some(7),
            lang: Lang::Sv,
            next: None,
        };
        db.queue(&[link(MailKind::SetPasswordLink)]).await.unwrap();
        let due = db.due_mails(10).await.unwrap();
        assert_eq!(due.len(), 1);
        let mail = &due[0];
        assert_eq!(
            (mail.kind, mail.lang),
            (MailKind::SetPasswordLink, Lang::Sv)
        );
        // Nothing is minted until delivery; then one token per attempt, the last one valid.
        let stored = "SELECT COUNT(*) FROM tokens";
        let count = || sqlx::query_scalar::<_, i64>(stored).fetch_one(&db.pool);
        assert_eq!(count().await.unwrap(), 0);
        let (_, first) = new_token();
        let (_, second) = new_token();
        let later = now() + 3600;
        assert!(db.mint_link(mail, &first, later).await.unwrap());
        assert!(db.mint_link(mail, &second, later).await.unwrap());
        assert!(db.link_target(&first).await.unwrap().is_none(), "voided");
        assert!(db.link_target(&second).await.unwrap().is_some());
        // A set-password link for an account that meanwhile got a password is not wanted; a
        // reset link still is; a mail without a link mints nothing.
        assert!(
            db.set_password_with_link(&second, "$argon2id$stand-in", None)
                .await
                .unwrap()
                .is_some()
        );
        assert!(!db.mint_link(mail, &new_token().1, later).await.unwrap());
        db.queue(&[
            link(MailKind::ResetPasswordLink),
            link(MailKind::PasswordChanged),
        ])
        .await
        .unwrap();
        let due = db.due_mails(10).await.unwrap();
        let kinds: Vec<_> = due.iter().map(|m| m.kind).collect();
        assert_eq!(
            kinds,
            [
                MailKind::SetPasswordLink,
                MailKind::ResetPasswordLink,
                MailKind::PasswordChanged
            ]
        );
        assert!(db.mint_link(&due[1], &new_token().1, later).await.unwrap());
        assert!(db.mint_link(&due[2], &new_token().1, later).await.unwrap());
        assert_eq!(
            count().await.unwrap(),
            3,
            "two set-password tokens and the reset's"
        );
    }
}
