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
    fn starts_pending(self) -> bool {
        matches!(self, Self::LoginAccount | Self::LoginIp)
    }

    fn as_str(self) -> &'static str {
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

/// One subject a password attempt counts against, and how far back its check looks.
#[derive(Debug, Clone, Copy)]
pub struct PasswordCount<'a> {
    pub kind: AttemptKind,
    pub subject: &'a str,
    /// Settled rows after this time (UNIX seconds) count as failures…
    pub failed_since: i64,
    /// …at most this many of them, newest first: no check needs more than its budget.
    pub rows_needed: usize,
    /// Pending rows started after this time count as still running (older ones were
    /// abandoned).
    pub pending_since: i64,
}

/// What [`Db::count_password_attempt`] counted for one subject.
#[derive(Debug, Clone)]
pub struct Counted {
    /// The attempt's own row.
    pub row: i64,
    /// The times of the failures counted before it, newest first.
    pub failed: Vec<i64>,
    /// How many attempts counted before it are still running.
    pub pending: usize,
}

impl PasswordCount<'_> {
    /// The failures and the pending attempts counted before row `before`, read by `executor`
    /// in one statement, so in one snapshot on either database (read apart, an attempt that
    /// settled between the two reads was counted in neither, and twelve wrong passwords at
    /// once let six be compared instead of five).
    async fn read_before<'e>(
        &self,
        executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
        before: i64,
    ) -> Result<(Vec<i64>, usize), ServerError> {
        let rows: Vec<(i64, i64)> = sqlx::query_as(COUNTED_BEFORE)
            .bind(self.kind.as_str())
            .bind(self.subject)
            .bind(before)
            .bind(self.pending_since)
            .bind(self.failed_since)
            .bind(i64::try_from(self.rows_needed).unwrap_or(i64::MAX))
            .fetch_all(executor)
            .await?;
        let mut pending = 0;
        let mut failed = Vec::with_capacity(rows.len());
        for (is_pending, value) in rows {
            if is_pending == 1 {
                pending = usize::try_from(value).unwrap_or(usize::MAX);
            } else {
                failed.push(value);
            }
        }
        Ok((failed, pending))
    }
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

/// A subject's rows of a kind before row `$3`, in one statement: first `(1, how many are
/// pending)` of those started after `$4`, then `(0, time)` of each settled one after `$5`,
/// newest first, at most `$6`.
const COUNTED_BEFORE: &str = "SELECT CAST(1 AS BIGINT), COUNT(*) FROM attempts
     WHERE kind = $1 AND subject = $2 AND id < $3 AND at > $4 AND pending = 1
     UNION ALL
     SELECT 0, at FROM (SELECT at FROM attempts
         WHERE kind = $1 AND subject = $2 AND id < $3 AND at > $5 AND pending = 0
         ORDER BY at DESC LIMIT $6) AS failed
     ORDER BY 1 DESC, 2 DESC";

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

    /// [`Db::recent_attempts`] and [`Db::pending_attempts`] (the latter of rows started after
    /// `pending_since`) read in one snapshot (see [`PasswordCount::read_before`]).
    pub async fn attempts_before(
        &self,
        kind: AttemptKind,
        subject: &str,
        since: i64,
        pending_since: i64,
        before: i64,
        limit: usize,
    ) -> Result<(Vec<i64>, usize), ServerError> {
        let count = PasswordCount {
            kind,
            subject,
            failed_since: since,
            rows_needed: limit,
            pending_since,
        };
        count.read_before(&self.pool, before).await
    }

    /// Counts a password attempt as pending against each of `counts`' subjects (the address,
    /// the client IP) and reads, for each, the failures and pending attempts counted before its
    /// row, all in one write transaction (synced later, see [`Db::unsynced`]): the one write a
    /// login makes before its hash. Each row is inserted and the rows before it read under the
    /// subject's lock (see [`Db::record_attempt`]), so parallel attempts each see those that
    /// came before them. Returns each subject's row and what was counted before it, in order.
    pub async fn count_password_attempt(
        &self,
        counts: &[PasswordCount<'_>],
    ) -> Result<Vec<Counted>, ServerError> {
        let mut tx = self.begin_unsynced_write().await?;
        let mut counted = Vec::with_capacity(counts.len());
        for count in counts {
            let row = self
                .insert_attempt(&mut tx, count.kind, count.subject, "")
                .await?;
            let (failed, pending) = count.read_before(&mut *tx, row).await?;
            counted.push(Counted {
                row,
                failed,
                pending,
            });
        }
        tx.commit().await?;
        Ok(counted)
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
        self.lock(tx, &format!("attempts {} {subject}", kind.as_str()))
            .await?;
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

    /// Uncounts events (attempts that were taken back or succeeded), and with `clear` every
    /// settled event of that kind and subject too (a success resets the address's count; the
    /// attempts still running are decided by their own outcome). One statement.
    pub async fn forget_attempts(
        &self,
        ids: &[i64],
        clear: Option<(AttemptKind, &str)>,
    ) -> Result<(), ServerError> {
        let mut sql = format!(
            "DELETE FROM attempts WHERE id IN ({})",
            placeholders(ids.len())
        );
        if clear.is_some() {
            let (kind, subject) = (ids.len() + 1, ids.len() + 2);
            sql.push_str(&format!(
                " OR (kind = ${kind} AND subject = ${subject} AND pending = 0)"
            ));
        }
        let mut query = sqlx::query(&sql);
        for id in ids {
            query = query.bind(*id);
        }
        if let Some((kind, subject)) = clear {
            query = query.bind(kind.as_str()).bind(subject);
        }
        query.execute(&self.unsynced).await?;
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
    async fn a_password_attempt_is_counted_against_each_subject_in_one_write() {
        let (_dir, db) = Db::temporary().await;
        let (address, ip) = ("erkki@example.com", "192.0.2.1");
        let count = |kind, subject| PasswordCount {
            kind,
            subject,
            failed_since: 0,
            rows_needed: 10,
            pending_since: 0,
        };
        let both = [
            count(AttemptKind::LoginAccount, address),
            count(AttemptKind::LoginIp, ip),
        ];
        // Two attempts: the second sees the first still running against both subjects.
        let first = db.count_password_attempt(&both).await.unwrap();
        assert_eq!(first.iter().map(|c| c.pending).collect::<Vec<_>>(), [0, 0]);
        let second = db.count_password_attempt(&both).await.unwrap();
        assert_eq!(second.iter().map(|c| c.pending).collect::<Vec<_>>(), [1, 1]);
        assert!(second.iter().all(|c| c.failed.is_empty()));
        // The first fails: both of its rows settle in one statement, and the next attempt
        // sees one failure and one attempt still running for each subject.
        let rows = |counted: &[Counted]| counted.iter().map(|c| c.row).collect::<Vec<_>>();
        db.settle_attempts(&rows(&first)).await.unwrap();
        let third = db.count_password_attempt(&both).await.unwrap();
        assert!(third.iter().all(|c| c.failed.len() == 1 && c.pending == 1));
        // The second matches: its rows go, and so do the address's failures, not the IP's.
        let clear = Some((AttemptKind::LoginAccount, address));
        db.forget_attempts(&rows(&second), clear).await.unwrap();
        let kind = AttemptKind::LoginAccount;
        let failed = db.recent_attempts(kind, address, 0, i64::MAX, 10).await;
        assert_eq!(failed.unwrap().len(), 0);
        let failed = db
            .recent_attempts(AttemptKind::LoginIp, ip, 0, i64::MAX, 10)
            .await;
        assert_eq!(failed.unwrap().len(), 1);
        assert_eq!(
            db.pending_attempts(kind, address, 0, i64::MAX)
                .await
                .unwrap(),
            1
        );
        // Nothing to end is no error.
        db.forget_attempts(&[], None).await.unwrap();
        db.settle_attempts(&[]).await.unwrap();
    }

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
        db.forget_attempts(&[], Some((AttemptKind::LoginAccount, erkki.as_str())))
            .await
            .unwrap();
        assert_eq!(db.lockout_until(&erkki).await.unwrap(), None);
        // The purge keeps what is still counted and drops what is a day old.
        sqlx::query("UPDATE attempts SET at = at - 86400")
            .execute(&db.pool)
            .await
            .unwrap();
        assert_eq!(db.purge_attempts(86_400).await.unwrap(), 1);
    }
}
