//! The mail outbox: what a mail is, queued in the caller's transaction; the sender renders and
//! delivers it. No mail text is stored, so no link ever is: a link's token is minted at delivery
//! ([`Db::mint_link`]) and only its hash written (see the migration `outbox_kinds_not_texts`).

use super::{Db, Flag, now};
use crate::model::{Email, Lang};
use crate::server::ServerError;
use sqlx::{Any, Transaction};

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
    /// When it was queued (UNIX seconds): with `id`, its `Message-ID`.
    pub created_at: i64,
}

type OutboxRow = (
    i64,
    String,
    String,
    Option<i64>,
    String,
    i64,
    Option<String>,
    i64,
);

impl Db {
    /// Commits a transaction in which mail was queued, then wakes the sender.
    pub(super) async fn commit_with_mail(
        &self,
        tx: Transaction<'_, Any>,
    ) -> Result<(), ServerError> {
        tx.commit().await?;
        self.mail_queued.notify_one();
        Ok(())
    }

    pub(super) async fn queue_mail(
        tx: &mut Transaction<'_, Any>,
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

    /// Claims the oldest mail due for a delivery attempt, for `lease_secs`: its next attempt
    /// moves to the end of the lease, so no other instance's sender takes it meanwhile, and if
    /// this one dies mid-way any sender takes it over when the lease runs out. On PostgreSQL
    /// two senders claiming at once skip each other's row instead of waiting for it.
    pub async fn claim_mail(&self, lease_secs: i64) -> Result<Option<OutboxMail>, ServerError> {
        let now = now();
        let sql = format!(
            "UPDATE outbox SET next_attempt_at = $2
             WHERE id = (SELECT id FROM outbox
                         WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1
                         ORDER BY id LIMIT 1{})
             RETURNING id, kind, recipient, account_id, language, attempts, next, created_at",
            self.skip_locked()
        );
        let row: Option<OutboxRow> = sqlx::query_as(&sql)
            .bind(now)
            .bind(now.saturating_add(lease_secs))
            .fetch_optional(&self.pool)
            .await?;
        row.map(
            |(id, kind, recipient, account_id, language, attempts, next, created_at)| {
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
                    created_at,
                })
            },
        )
        .transpose()
    }

    /// Gives a claimed mail back before its lease runs out (the instance is stopping): due now,
    /// for any sender.
    pub async fn hand_back_mail(&self, id: i64) -> Result<(), ServerError> {
        sqlx::query("UPDATE outbox SET next_attempt_at = $2 WHERE id = $1 AND sent_at IS NULL")
            .bind(id)
            .bind(now())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Stores the hash of a new token for the link `mail` carries, valid until `expires_at`.
    /// `false` when the link is no longer wanted: the account is gone, or a set-password link's
    /// account has meanwhile got a password. For a mail without a link, `true` and nothing is
    /// stored. (The token of an attempt known to have failed was voided with its failure, see
    /// [`Db::mark_mail_failed`]; one whose sender stopped mid-way may have been delivered, so
    /// it stays valid beside the new one until it expires or a link of the account is used.)
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
        let mut tx = self.begin_write().await?;
        let wanted: Option<Flag> = sqlx::query_scalar(
            "SELECT password_hash IS NULL OR $2 <> 'set_password' FROM accounts WHERE id = $1",
        )
        .bind(mail.account_id)
        .bind(purpose)
        .fetch_optional(&mut *tx)
        .await?;
        if wanted != Some(Flag(true)) {
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
    /// for a mail no longer wanted, with the reason as its error). The link the attempt
    /// minted was never delivered, so its token is voided: a retry mints a fresh one.
    pub async fn mark_mail_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<i64>,
    ) -> Result<(), ServerError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE tokens SET used_at = $1 WHERE outbox_id = $2 AND used_at IS NULL")
            .bind(now())
            .bind(id)
            .execute(&mut *tx)
            .await?;
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
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::auth::token::new_token;

    /// A new database with Erkki's account, id 7.
    async fn with_erkki() -> (tempfile::TempDir, Db) {
        let (dir, db) = Db::temporary().await;
        sqlx::query(
            "INSERT INTO accounts (id, email, full_name, created_at) VALUES (7, 'erkki@example.com', 'Erkki', 1)",
        )
        .execute(&db.pool)
        .await
        .unwrap();
        (dir, db)
    }

    #[tokio::test]
    async fn a_retry_mints_a_fresh_token_and_voids_the_one_before() {
        let (_dir, db) = with_erkki().await;
        let erkki = Email::parse("erkki@example.com").unwrap();
        let link = |kind| NewMail {
            kind,
            recipient: erkki.clone(),
            account_id: Some(7),
            lang: Lang::Sv,
            next: None,
        };
        db.queue(&[link(MailKind::SetPasswordLink)]).await.unwrap();
        let mail = db.claim_mail(60).await.unwrap().unwrap();
        assert_eq!(
            (mail.kind, mail.lang),
            (MailKind::SetPasswordLink, Lang::Sv)
        );
        // Nothing is minted until delivery; then one token per attempt. A failed attempt's
        // token is voided with the failure; the retry's is the one that works.
        let stored = "SELECT COUNT(*) FROM tokens";
        let count = || sqlx::query_scalar::<_, i64>(stored).fetch_one(&db.pool);
        assert_eq!(count().await.unwrap(), 0);
        let (_, first) = new_token();
        let later = now() + 3600;
        assert!(db.mint_link(&mail, &first, later).await.unwrap());
        db.mark_mail_failed(mail.id, "SMTP down", Some(now()))
            .await
            .unwrap();
        assert!(db.link_target(&first).await.unwrap().is_none(), "voided");
        let retry = db.claim_mail(60).await.unwrap().unwrap();
        assert_eq!((retry.id, retry.attempts), (mail.id, 1));
        let (_, second) = new_token();
        assert!(db.mint_link(&retry, &second, later).await.unwrap());
        assert!(db.link_target(&second).await.unwrap().is_some());
        // A set-password link for an account that meanwhile got a password is not wanted; a
        // reset link still is; a mail without a link mints nothing.
        assert!(
            db.set_password_with_link(&second, "$argon2id$stand-in", None)
                .await
                .unwrap()
                .is_some()
        );
        assert!(!db.mint_link(&retry, &new_token().1, later).await.unwrap());
        db.mark_mail_sent(retry.id).await.unwrap();
        db.queue(&[
            link(MailKind::ResetPasswordLink),
            link(MailKind::PasswordChanged),
        ])
        .await
        .unwrap();
        let reset = db.claim_mail(60).await.unwrap().unwrap();
        let notice = db.claim_mail(60).await.unwrap().unwrap();
        assert_eq!(
            (reset.kind, notice.kind),
            (MailKind::ResetPasswordLink, MailKind::PasswordChanged)
        );
        assert!(db.mint_link(&reset, &new_token().1, later).await.unwrap());
        assert!(db.mint_link(&notice, &new_token().1, later).await.unwrap());
        assert_eq!(
            count().await.unwrap(),
            3,
            "two set-password tokens and the reset's"
        );
    }

    #[tokio::test]
    async fn a_mail_is_leased_to_one_sender_and_taken_over_when_its_lease_runs_out() {
        let (_dir, db) = with_erkki().await;
        db.queue(&[NewMail {
            kind: MailKind::SetPasswordLink,
            recipient: Email::parse("erkki@example.com").unwrap(),
            account_id: Some(7),
            lang: Lang::Fi,
            next: None,
        }])
        .await
        .unwrap();
        let other = db.clone();
        let (a, b) = tokio::join!(db.claim_mail(60), other.claim_mail(60));
        let claimed: Vec<_> = [a.unwrap(), b.unwrap()].into_iter().flatten().collect();
        assert_eq!(claimed.len(), 1, "one sender has it");
        assert!(db.claim_mail(60).await.unwrap().is_none(), "leased");
        // The sender died after minting (and maybe delivering): when the lease runs out, any
        // sender takes the mail over, and the first link still works beside the new one.
        let (_, first) = new_token();
        assert!(
            db.mint_link(&claimed[0], &first, now() + 3600)
                .await
                .unwrap()
        );
        sqlx::query("UPDATE outbox SET next_attempt_at = next_attempt_at - 61")
            .execute(&db.pool)
            .await
            .unwrap();
        let taken_over = db.claim_mail(60).await.unwrap().unwrap();
        assert_eq!(taken_over.id, claimed[0].id);
        let (_, second) = new_token();
        assert!(
            db.mint_link(&taken_over, &second, now() + 3600)
                .await
                .unwrap()
        );
        assert!(db.link_target(&first).await.unwrap().is_some());
        assert!(db.link_target(&second).await.unwrap().is_some());
        // A stopping instance hands its claim back: due at once, not after the lease.
        db.hand_back_mail(taken_over.id).await.unwrap();
        assert_eq!(
            db.claim_mail(60).await.unwrap().map(|m| m.id),
            Some(taken_over.id)
        );
    }
}
