//! A password attempt's start: the one write a login makes before its hash (issue #5's
//! limits, issue #9's pending attempts, issue #12's round trips). The policy that reads what
//! it counts is in `server::auth::login_attempts`.

use super::limits::{AttemptKind, subject_lock};
use super::{Account, Db, Flag, now};
use crate::model::Email;
use crate::server::ServerError;

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

/// What was counted for one subject of a password attempt before its own row.
#[derive(Debug, Clone)]
pub struct Counted {
    /// The attempt's own row.
    pub row: i64,
    /// The times of the failures counted before it, newest first.
    pub failed: Vec<i64>,
    /// How many attempts counted before it are still running.
    pub pending: usize,
}

/// What [`Db::start_password_attempt`] read and counted.
#[derive(Debug, Clone)]
pub struct AttemptStart {
    /// The account of the address, if it has one.
    pub account: Option<Account>,
    /// For each subject, in order: the attempt's row and what was counted before it.
    pub counted: Vec<Counted>,
}

/// One subject's rows of a kind before row `$3`: `($7, 1, how many are pending)` of those
/// started after `$4`, then `($7, 0, time)` of each settled one after `$5`, newest first, at
/// most `$6`. `$7` tells the subjects apart when several are read in one statement.
const COUNTED_BEFORE: &str = "SELECT CAST($7 AS BIGINT), CAST(1 AS BIGINT), COUNT(*) FROM attempts
     WHERE kind = $1 AND subject = $2 AND id < $3 AND at > $4 AND pending = 1
     UNION ALL
     SELECT CAST($7 AS BIGINT), 0, at FROM (SELECT at FROM attempts
         WHERE kind = $1 AND subject = $2 AND id < $3 AND at > $5 AND pending = 0
         ORDER BY at DESC LIMIT $6) AS failed";

/// For each of `counts`' subjects, the failures and the pending attempts counted before row
/// `before`, read by `executor` in one statement, so in one snapshot on either database (read
/// apart, an attempt that settled between the two reads was counted in neither, and twelve
/// wrong passwords at once let six be compared instead of five). Each [`Counted::row`] is 0.
async fn read_counted<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    counts: &[PasswordCount<'_>],
    before: i64,
) -> Result<Vec<Counted>, ServerError> {
    let parts: Vec<&str> = counts.iter().map(|_| COUNTED_BEFORE).collect();
    let sql = format!(
        "{}\nORDER BY 1, 2 DESC, 3 DESC",
        super::together::union_all(&parts)
    );
    let mut query = sqlx::query_as(&sql);
    for (n, count) in counts.iter().enumerate() {
        query = query
            .bind(count.kind.as_str())
            .bind(count.subject)
            .bind(before)
            .bind(count.pending_since)
            .bind(count.failed_since)
            .bind(i64::try_from(count.rows_needed).unwrap_or(i64::MAX))
            .bind(i64::try_from(n).unwrap_or(i64::MAX));
    }
    let rows: Vec<(i64, i64, i64)> = query.fetch_all(executor).await?;
    let mut counted: Vec<Counted> = (counts.iter())
        .map(|_| Counted {
            row: 0,
            failed: Vec::new(),
            pending: 0,
        })
        .collect();
    for (n, is_pending, value) in rows {
        let Some(count) = usize::try_from(n).ok().and_then(|n| counted.get_mut(n)) else {
            continue;
        };
        if is_pending == 1 {
            count.pending = usize::try_from(value).unwrap_or(usize::MAX);
        } else {
            count.failed.push(value);
        }
    }
    Ok(counted)
}

/// Counts a password attempt as pending against each of `counts`' subjects (one of each
/// kind), in one statement; returns the rows' ids in `counts`' order.
async fn insert_pending<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    counts: &[PasswordCount<'_>],
) -> Result<Vec<i64>, ServerError> {
    let values: Vec<String> = (0..counts.len())
        .map(|i| format!("(${}, ${}, '', $1, $2)", 2 * i + 3, 2 * i + 4))
        .collect();
    let sql = format!(
        "INSERT INTO attempts (kind, subject, detail, at, pending) VALUES {} RETURNING id, kind",
        values.join(", ")
    );
    let mut query = sqlx::query_as(&sql).bind(now()).bind(Flag(true));
    for count in counts {
        query = query.bind(count.kind.as_str()).bind(count.subject);
    }
    let inserted: Vec<(i64, String)> = query.fetch_all(executor).await?;
    let id_of = |count: &PasswordCount| {
        (inserted.iter())
            .find(|(_, kind)| kind == count.kind.as_str())
            .map(|(id, _)| *id)
            .ok_or(ServerError::Db(sqlx::Error::RowNotFound))
    };
    counts.iter().map(id_of).collect()
}

impl Db {
    /// [`Db::recent_attempts`] and [`Db::pending_attempts`] (the latter of rows started after
    /// `pending_since`) read in one snapshot (see [`read_counted`]).
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
        let counted = read_counted(&self.pool, &[count], before).await?;
        Ok(counted
            .into_iter()
            .next()
            .map(|c| (c.failed, c.pending))
            .unwrap_or_default())
    }

    /// Starts a password attempt in one write transaction (synced later, see
    /// [`Db::unsynced`]), the one write a login makes before its hash: reads the account of
    /// `email`, and for each of `counts`' subjects (the address, the client IP) the failures
    /// and pending attempts counted so far, in one statement, then counts this attempt as
    /// pending against each, in one more. The subjects' locks (see [`Db::record_attempt`]) are
    /// held from before the read until the commit, so parallel attempts each see those that
    /// came before them, as if each had inserted its row first and read the rows before it.
    pub async fn start_password_attempt(
        &self,
        email: &Email,
        counts: &[PasswordCount<'_>],
    ) -> Result<AttemptStart, ServerError> {
        let mut tx = self.begin_unsynced_write().await?;
        for count in counts {
            self.lock(&mut tx, &subject_lock(count.kind, count.subject))
                .await?;
        }
        let account = super::accounts::account_by_email_on(&mut *tx, email).await?;
        let mut counted = read_counted(&mut *tx, counts, i64::MAX).await?;
        let rows = insert_pending(&mut *tx, counts).await?;
        tx.commit().await?;
        for (count, row) in counted.iter_mut().zip(rows) {
            count.row = row;
        }
        Ok(AttemptStart { account, counted })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::db::Forget;

    fn count<'a>(kind: AttemptKind, subject: &'a str) -> PasswordCount<'a> {
        PasswordCount {
            kind,
            subject,
            failed_since: 0,
            rows_needed: 10,
            pending_since: 0,
        }
    }

    fn rows(counted: &[Counted]) -> Vec<i64> {
        counted.iter().map(|c| c.row).collect()
    }

    #[tokio::test]
    async fn a_password_attempt_is_counted_against_each_subject_in_one_write() {
        let (_dir, db) = Db::temporary().await;
        let erkki = Email::parse("erkki@example.com").unwrap();
        let (address, ip) = (erkki.as_str(), "192.0.2.1");
        let both = [
            count(AttemptKind::LoginAccount, address),
            count(AttemptKind::LoginIp, ip),
        ];
        // Two attempts: the second sees the first still running against both subjects.
        let first = db.start_password_attempt(&erkki, &both).await.unwrap();
        assert!(first.account.is_none(), "no account for the address");
        let first = first.counted;
        assert_eq!(first.iter().map(|c| c.pending).collect::<Vec<_>>(), [0, 0]);
        let second = db.start_password_attempt(&erkki, &both).await.unwrap();
        let second = second.counted;
        assert_eq!(second.iter().map(|c| c.pending).collect::<Vec<_>>(), [1, 1]);
        assert!(second.iter().all(|c| c.failed.is_empty()));
        // Each subject's row is its own, and each attempt's rows come after the earlier ones'.
        let (first_rows, second_rows) = (rows(&first), rows(&second));
        let kind = AttemptKind::LoginAccount;
        assert_eq!(
            db.pending_attempts(kind, address, 0, first_rows[0] + 1)
                .await
                .unwrap(),
            1
        );
        assert!(
            second_rows
                .iter()
                .all(|row| first_rows.iter().all(|first| row > first))
        );
        // The first fails: both of its rows settle in one statement, and the next attempt
        // sees one failure and one attempt still running for each subject.
        db.settle_attempts(&first_rows).await.unwrap();
        let third = db.start_password_attempt(&erkki, &both).await.unwrap();
        let third = third.counted;
        assert!(third.iter().all(|c| c.failed.len() == 1 && c.pending == 1));
        // The second matches: its rows go, and so do the address's failures, not the IP's.
        let clear = Some((AttemptKind::LoginAccount, address));
        let forget = Forget {
            rows: &second_rows,
            clear,
        };
        db.forget_attempts(forget).await.unwrap();
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
        db.forget_attempts(Forget::default()).await.unwrap();
        db.settle_attempts(&[]).await.unwrap();
        // The start reads the address's account in the same write.
        db.import_legacy_account("erkki", &erkki, "Erkki Esimerkki")
            .await
            .unwrap();
        let fourth = db.start_password_attempt(&erkki, &both).await.unwrap();
        assert_eq!(fourth.account.map(|a| a.email), Some(erkki.to_string()));
    }

    /// A login's session starts in the write that ends its attempt: the attempt's rows go, the
    /// address's failures with them, and the IP's failures stay.
    #[tokio::test]
    async fn a_session_starts_in_the_write_that_ends_its_attempt() {
        let (_dir, db) = Db::temporary().await;
        let erkki = Email::parse("erkki@example.com").unwrap();
        db.import_legacy_account("erkki", &erkki, "Erkki Esimerkki")
            .await
            .unwrap();
        let (address, ip) = (erkki.as_str(), "192.0.2.1");
        let both = [
            count(AttemptKind::LoginAccount, address),
            count(AttemptKind::LoginIp, ip),
        ];
        let failed = db.start_password_attempt(&erkki, &both).await.unwrap();
        db.settle_attempts(&rows(&failed.counted)).await.unwrap();
        let matched = db.start_password_attempt(&erkki, &both).await.unwrap();
        let account = matched.account.unwrap().id;
        let session = super::super::NewSession {
            id_hash: &[7; 32],
            account_id: account,
            expires_at: now() + 600,
            persistent: false,
            user_agent: Some("test"),
        };
        let login = super::super::AuditEvent {
            account_id: Some(account),
            ..Default::default()
        };
        let forget = Forget {
            rows: &rows(&matched.counted),
            clear: Some((AttemptKind::LoginAccount, address)),
        };
        db.start_session(&session, None, login, forget)
            .await
            .unwrap();
        let kind = AttemptKind::LoginAccount;
        let pending = db.pending_attempts(kind, address, 0, i64::MAX).await;
        assert_eq!(pending.unwrap(), 0);
        let failed = db.recent_attempts(kind, address, 0, i64::MAX, 10).await;
        assert_eq!(failed.unwrap().len(), 0, "the address's failures cleared");
        let ip_kind = AttemptKind::LoginIp;
        assert_eq!(
            db.pending_attempts(ip_kind, ip, 0, i64::MAX).await.unwrap(),
            0
        );
        let failed = db.recent_attempts(ip_kind, ip, 0, i64::MAX, 10).await;
        assert_eq!(failed.unwrap().len(), 1, "the IP's failure stays");
        let idle = super::super::IdleLimits {
            session_secs: 600,
            remembered_secs: 600,
        };
        let sessions = db.sessions_of(account, idle).await.unwrap();
        assert_eq!(sessions.len(), 1);
    }
}
