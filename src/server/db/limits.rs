//! The counters of the attempt limits: one row per counted event (see the migration
//! `attempt_limits`). The policy that reads them is in `server::auth::limits`.

use super::{Db, Flag, now};
use crate::model::Email;
use crate::server::ServerError;
use crate::server::auth::limits::{ACCOUNT_BACKOFF, ACCOUNT_BUDGET};

/// What a row counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptKind {
    /// A password attempt for an address (known or not) that has not succeeded.
    LoginAccount,
    /// The same, for the client's IP address.
    LoginIp,
    /// A mail of the e-mail step sent to an address.
    Mail,
    /// A lookup of the e-mail step ("Jatka", recovery, registration) from an IP address.
    LookupIp,
}

impl AttemptKind {
    /// Password attempts start pending: counted, but a failure only once settled.
    pub(super) fn starts_pending(self) -> bool {
        matches!(self, Self::LoginAccount | Self::LoginIp)
    }

    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::LoginAccount => "login_account",
            Self::LoginIp => "login_ip",
            Self::Mail => "mail",
            Self::LookupIp => "lookup_ip",
        }
    }
}

/// The times of a subject's settled rows of a kind after `$3` and before row `$4`, newest
/// first, at most `$5`.
const SETTLED_BEFORE: &str = "SELECT at FROM attempts WHERE kind = $1 AND subject = $2
     AND at > $3 AND id < $4 AND pending = 0 ORDER BY at DESC LIMIT $5";
/// How many of a subject's rows of a kind, started after `$3` and before row `$4`, are pending.
const PENDING_BEFORE: &str = "SELECT COUNT(*) FROM attempts WHERE kind = $1 AND subject = $2
     AND at > $3 AND id < $4 AND pending = 1";

/// Rows of the limits to uncount (attempts taken back or succeeded), and with `clear` every
/// settled row of that kind and subject too (a success resets the address's count; the
/// attempts still running are decided by their own outcome).
#[derive(Debug, Clone, Copy, Default)]
pub struct Forget<'a> {
    pub rows: &'a [i64],
    pub clear: Option<(AttemptKind, &'a str)>,
}

impl<'a> Forget<'a> {
    /// The one statement that forgets: the rows are `$1`…, the kind and subject follow.
    pub(super) fn sql(&self) -> String {
        let n = self.rows.len();
        let mut sql = format!("DELETE FROM attempts WHERE id IN ({})", placeholders(n));
        if self.clear.is_some() {
            let (kind, subject) = (n + 1, n + 2);
            sql.push_str(&format!(
                " OR (kind = ${kind} AND subject = ${subject} AND pending = 0)"
            ));
        }
        sql
    }

    /// Binds [`Forget::sql`]'s values to `query`, after those bound before.
    pub(super) fn bind<'q>(&self, mut query: AnyQuery<'q>) -> AnyQuery<'q>
    where
        'a: 'q,
    {
        for id in self.rows {
            query = query.bind(*id);
        }
        if let Some((kind, subject)) = self.clear {
            query = query.bind(kind.as_str()).bind(subject);
        }
        query
    }
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// The name of the lock held on a subject while its attempts are counted (PostgreSQL).
pub(super) fn subject_lock(kind: AttemptKind, subject: &str) -> String {
    format!("attempts {} {subject}", kind.as_str())
}

/// `$1, $2, …, $n`: the placeholders of a list of `n` values bound first (at least one, so
/// that an empty list is `IN (NULL)`, which matches nothing, not a syntax error).
fn placeholders(n: usize) -> String {
    if n == 0 {
        return "NULL".to_owned();
    }
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Db {
    /// The times (UNIX seconds) of `subject`'s settled rows of `kind` after `since` and
    /// counted before row `before` (a row id, `i64::MAX` for every row), newest first, at most
    /// `limit` of them (no check needs more than its budget).
    pub async fn recent_attempts(
        &self,
        kind: AttemptKind,
        subject: &str,
        since: i64,
        before: i64,
        limit: usize,
    ) -> Result<Vec<i64>, ServerError> {
        Ok(sqlx::query_scalar(SETTLED_BEFORE)
            .bind(kind.as_str())
            .bind(subject)
            .bind(since)
            .bind(before)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await?)
    }

    /// The time of the newest mail `detail` sent to `subject` after `since` and counted before
    /// row `before`, if any.
    pub async fn last_mail(
        &self,
        subject: &str,
        detail: &str,
        since: i64,
        before: i64,
    ) -> Result<Option<i64>, ServerError> {
        Ok(sqlx::query_scalar(
            "SELECT MAX(at) FROM attempts WHERE kind = 'mail' AND subject = $1 AND detail = $2
             AND at > $3 AND id < $4",
        )
        .bind(subject)
        .bind(detail)
        .bind(since)
        .bind(before)
        .fetch_one(&self.pool)
        .await?)
    }

    /// How many of `subject`'s password attempts of `kind`, counted before row `before` and
    /// started after `since`, are still pending (they started and have not ended yet).
    pub async fn pending_attempts(
        &self,
        kind: AttemptKind,
        subject: &str,
        since: i64,
        before: i64,
    ) -> Result<usize, ServerError> {
        let pending: i64 = sqlx::query_scalar(PENDING_BEFORE)
            .bind(kind.as_str())
            .bind(subject)
            .bind(since)
            .bind(before)
            .fetch_one(&self.pool)
            .await?;
        Ok(usize::try_from(pending).unwrap_or(usize::MAX))
    }

    /// Counts one event now (a password attempt as pending); returns the row's id.
    ///
    /// The checks count the rows of the subject with a smaller id, so ids must follow the
    /// order in which rows become visible. SQLite's single writer gives that; on PostgreSQL two
    /// instances could each take an id and commit in the other order (each then missing the
    /// other's row), so the insert holds a lock on the subject until it commits: ten attempts
    /// at once, on any instances, are counted as ten in a row.
    pub async fn record_attempt(
        &self,
        kind: AttemptKind,
        subject: &str,
        detail: &str,
    ) -> Result<i64, ServerError> {
        let mut tx = self.begin_unsynced_write().await?;
        let id = self.insert_attempt(&mut tx, kind, subject, detail).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// [`Db::record_attempt`] within the write transaction `tx`, which then holds the
    /// subject's lock until it ends.
    async fn insert_attempt(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        kind: AttemptKind,
        subject: &str,
        detail: &str,
    ) -> Result<i64, ServerError> {
        self.lock(tx, &subject_lock(kind, subject)).await?;
        Ok(sqlx::query_scalar(
            "INSERT INTO attempts (kind, subject, detail, at, pending) VALUES ($1, $2, $3, $4, $5)
             RETURNING id",
        )
        .bind(kind.as_str())
        .bind(subject)
        .bind(detail)
        .bind(now())
        .bind(Flag(kind.starts_pending()))
        .fetch_one(&mut **tx)
        .await?)
    }

    /// Pending password attempts turned out failures: they now count as such. One statement,
    /// so the rows of one attempt (its address's and its IP's) end together.
    pub async fn settle_attempts(&self, ids: &[i64]) -> Result<(), ServerError> {
        let sql = format!(
            "UPDATE attempts SET pending = 0 WHERE id IN ({})",
            placeholders(ids.len())
        );
        let mut query = sqlx::query(&sql);
        for id in ids {
            query = query.bind(*id);
        }
        query.execute(&self.unsynced).await?;
        Ok(())
    }

    /// Uncounts rows, and settled ones of a subject with `clear` (see [`Forget`]). One
    /// statement.
    pub async fn forget_attempts(&self, forget: Forget<'_>) -> Result<(), ServerError> {
        let sql = forget.sql();
        forget
            .bind(sqlx::query(&sql))
            .execute(&self.unsynced)
            .await?;
        Ok(())
    }

    /// Removes rows older than `keep_secs` (the longest window); returns how many.
    pub async fn purge_attempts(&self, keep_secs: i64) -> Result<u64, ServerError> {
        let purged = sqlx::query("DELETE FROM attempts WHERE at <= $1")
            .bind(now() - keep_secs)
            .execute(&self.pool)
            .await?;
        Ok(purged.rows_affected())
    }

    /// Until when (UNIX seconds) password attempts for `email` must wait because of the
    /// account's own failures, or `None` if one may be made now. For support tooling: the
    /// per-IP limit depends on where the resident is, so it is not included.
    pub async fn lockout_until(&self, email: &Email) -> Result<Option<i64>, ServerError> {
        let now = now();
        let recent = self
            .recent_attempts(
                AttemptKind::LoginAccount,
                email.as_str(),
                now - ACCOUNT_BUDGET.window_secs,
                i64::MAX,
                ACCOUNT_BUDGET.max,
            )
            .await?;
        let until = ACCOUNT_BUDGET
            .until(&recent)
            .max(ACCOUNT_BACKOFF.until(&recent));
        Ok(until.filter(|&until| until > now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lockout_until_tells_whether_and_until_when_an_address_waits() {
        let (_dir, db) = Db::temporary().await;
        let erkki = Email::parse("Esimerkki.Erkki@example.com").unwrap();
        for _ in 0..5 {
            let failed = db
                .record_attempt(AttemptKind::LoginAccount, erkki.as_str(), "")
                .await
                .unwrap();
            db.settle_attempts(&[failed]).await.unwrap();
        }
        let until = db.lockout_until(&erkki).await.unwrap().expect("locked");
        assert!(
            (now() + 58..=now() + 60).contains(&until),
            "a minute: {until}"
        );
        let other = Email::parse("maija@example.com").unwrap();
        assert_eq!(db.lockout_until(&other).await.unwrap(), None);
        // An IP's failures are not the account's.
        db.record_attempt(AttemptKind::LoginIp, "192.0.2.1", "")
            .await
            .unwrap();
        let clear = Some((AttemptKind::LoginAccount, erkki.as_str()));
        let forget = Forget { rows: &[], clear };
        db.forget_attempts(forget).await.unwrap();
        assert_eq!(db.lockout_until(&erkki).await.unwrap(), None);
        // The purge keeps what is still counted and drops what is a day old.
        sqlx::query("UPDATE attempts SET at = at - 86400")
            .execute(&db.pool)
            .await
            .unwrap();
        assert_eq!(db.purge_attempts(86_400).await.unwrap(), 1);
    }
}
