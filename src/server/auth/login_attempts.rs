//! Password attempts against the limits of `limits` (issue #5): counted from the moment they
//! start, so that parallel guesses cannot all slip past a check, and ended by the outcome of the
//! comparison, so that only a password that was compared and did not match counts as a failure
//! (issue #9: a flood of right passwords behind one NAT address must not lock it out).

use super::limits::{ACCOUNT_BACKOFF, ACCOUNT_BUDGET, IP_BACKOFF, ip_subject, minutes_until};
use super::password::PasswordHasher;
use crate::model::{AppError, Email};
use crate::server::db::{AttemptKind, Db, now};
use std::net::IpAddr;

/// A password attempt, counted from its start (pending) so that parallel guesses queued behind
/// the hasher cannot all pass the check. It ends in [`compare_password`], the one place a
/// counted password is compared: a mismatch settles it as a failure, a match uncounts it, and a
/// comparison that never happened takes it back.
///
/// ```text
/// start_login ──waiting after failures──▶ Throttled (rows taken back)
///      │ ──others still pending fill the limit──▶ Busy (rows taken back)
///      ▼
///   pending ──mismatch──▶ failure (counts for the waits)
///      │ ──match──▶ removed, and the address's failures cleared
///      └──busy or error before comparing──▶ removed
/// ```
pub struct LoginAttempt {
    account_row: i64,
    ip_row: Option<i64>,
}

impl LoginAttempt {
    fn rows(&self) -> impl Iterator<Item = i64> {
        std::iter::once(self.account_row).chain(self.ip_row)
    }
}

/// A password attempt refused before any password was looked at: whose failures it waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Throttled {
    pub minutes: u32,
    pub waiting: Waiting,
}

/// Whose failures a refused attempt waits for: the audit trail records one event per such
/// subject and window, so a flood from one client IP across many addresses is one event too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Waiting {
    /// The address's own failures.
    Address,
    /// The client IP's (the counting key: the address, or an IPv6 /64).
    Ip(String),
}

impl From<Throttled> for AppError {
    fn from(throttled: Throttled) -> Self {
        AppError::TooManyAttempts {
            minutes: throttled.minutes,
        }
    }
}

/// An attempt waits at most 2 s for a hashing slot and hashes in well under a second: one still
/// pending after a minute was abandoned (its process was killed mid-hash) and makes no other
/// wait, in seconds. Its row goes with the daily purge.
const ABANDONED_AFTER_SECS: i64 = 60;

/// When the next attempt may be made by the `failed` ones alone (their times, newest first),
/// and when counting the `pending` ones still running (started about `now`) as failures too.
fn waits(
    failed: &[i64],
    pending: usize,
    now: i64,
    until: impl Fn(&[i64]) -> Option<i64>,
) -> [Option<i64>; 2] {
    let mut all = vec![now; pending];
    all.extend_from_slice(failed);
    [until(failed), until(&all)]
}

/// The settled failures and the pending attempts of `subject`, counted before row `before`.
async fn recorded(
    db: &Db,
    kind: AttemptKind,
    subject: &str,
    window_secs: i64,
    before: i64,
    rows_needed: usize,
) -> Result<(Vec<i64>, usize), AppError> {
    let now = now();
    Ok(db
        .attempts_before(
            kind,
            subject,
            now - window_secs,
            now - ABANDONED_AFTER_SECS,
            before,
            rows_needed,
        )
        .await?)
}

/// Refuses a password attempt while `email` or `ip` must wait after failures ([`Throttled`]),
/// or with [`AppError::Busy`] while attempts still running would, if they failed, make it
/// wait; before any password is verified. Otherwise counts the attempt as pending.
///
/// Every limit here counts first and then checks the rows counted before its own, so that
/// parallel requests cannot all pass one check: each sees the ones that came before it. A
/// refused request takes its rows back. Attempts still running are no failures: a class behind
/// one NAT address logging in at once is asked to retry in a moment, never to wait minutes.
pub async fn start_login(
    db: &Db,
    email: &Email,
    ip: Option<IpAddr>,
) -> Result<Result<LoginAttempt, Throttled>, AppError> {
    let now = now();
    let account_row = db
        .record_attempt(AttemptKind::LoginAccount, email.as_str(), "")
        .await?;
    let (failed, pending) = recorded(
        db,
        AttemptKind::LoginAccount,
        email.as_str(),
        ACCOUNT_BUDGET.window_secs,
        account_row,
        ACCOUNT_BUDGET.max.max(ACCOUNT_BACKOFF.rows_needed()),
    )
    .await?;
    let account_waits = waits(&failed, pending, now, |recent| {
        ACCOUNT_BUDGET
            .until(recent)
            .max(ACCOUNT_BACKOFF.until(recent))
    });
    let mut ip_waits = [None, None];
    let mut ip_row = None;
    let ip = ip.map(ip_subject);
    if let Some(ip) = &ip {
        let row = db.record_attempt(AttemptKind::LoginIp, ip, "").await?;
        ip_row = Some(row);
        let (failed, pending) = recorded(
            db,
            AttemptKind::LoginIp,
            ip,
            IP_BACKOFF.window_secs,
            row,
            IP_BACKOFF.rows_needed(),
        )
        .await?;
        ip_waits = waits(&failed, pending, now, |recent| IP_BACKOFF.until(recent));
    }
    let attempt = LoginAttempt {
        account_row,
        ip_row,
    };
    let later = |until: Option<i64>| until.filter(|&until| until > now);
    let [account_failed, account_all] = account_waits.map(later);
    let [ip_failed, ip_all] = ip_waits.map(later);
    if let Some(until) = account_failed.max(ip_failed) {
        tracing::info!("password attempt refused: waiting after failures");
        take_back(db, attempt).await?;
        let waiting = match ip {
            // Not the address's own failures, so the client IP's.
            Some(ip) if account_failed.is_none() => Waiting::Ip(ip),
            _ => Waiting::Address,
        };
        return Ok(Err(Throttled {
            minutes: minutes_until(until, now),
            waiting,
        }));
    }
    if account_all.or(ip_all).is_some() {
        tracing::info!("password attempt refused for a moment: others still running");
        take_back(db, attempt).await?;
        return Err(AppError::Busy);
    }
    Ok(Ok(attempt))
}

/// Removes an attempt that never compared a password: it is no guess.
async fn take_back(db: &Db, attempt: LoginAttempt) -> Result<(), AppError> {
    for row in attempt.rows() {
        db.forget_attempt(row).await?;
    }
    Ok(())
}

/// Compares `password` with `stored` (see [`PasswordHasher::verify`]) within a counted
/// `attempt`, and ends the attempt as the comparison says. A match resets the address's count;
/// the IP's count keeps its earlier failures (else an attacker could reset it with an account
/// of their own) but not this attempt. A mismatch settles the attempt as a failure. A
/// comparison that never happened — `busy` when the hashing queue is full, or an error — takes
/// the attempt back: counted, a morning rush of right passwords behind one NAT address would
/// lock that address out. A password too long to be anyone's is a mismatch, never hashed.
pub async fn compare_password(
    db: &Db,
    hasher: &PasswordHasher,
    email: &Email,
    attempt: LoginAttempt,
    password: String,
    stored: Option<String>,
) -> Result<bool, AppError> {
    let compared = if password.chars().count() > crate::model::PASSWORD_MAX_CHARS {
        Ok(false)
    } else {
        hasher.verify(password, stored).await
    };
    match compared {
        Ok(true) => {
            db.clear_attempts(AttemptKind::LoginAccount, email.as_str())
                .await?;
            take_back(db, attempt).await?;
            Ok(true)
        }
        Ok(false) => {
            for row in attempt.rows() {
                db.settle_attempt(row).await?;
            }
            Ok(false)
        }
        Err(error) => {
            take_back(db, attempt).await?;
            Err(error.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_password_too_long_to_be_anyones_is_a_failure_without_hashing() {
        let (_dir, db) = Db::temporary().await;
        let erkki = Email::parse("erkki@example.com").unwrap();
        let refusing = PasswordHasher::unavailable();
        let ip = Some(IpAddr::from([192, 0, 2, 1]));
        let attempt = start_login(&db, &erkki, ip).await.unwrap().unwrap();
        let long = "a".repeat(crate::model::PASSWORD_MAX_CHARS + 1);
        // Answered without the hasher (which would have said "busy"), and counted as a failure.
        let matched = compare_password(&db, &refusing, &erkki, attempt, long, None).await;
        assert_eq!(matched, Ok(false));
        let failures = db
            .recent_attempts(AttemptKind::LoginAccount, erkki.as_str(), 0, i64::MAX, 10)
            .await
            .unwrap();
        assert_eq!(failures.len(), 1);
        // A plausible one needs the hasher: "busy", and taken back, not counted.
        let attempt = start_login(&db, &erkki, ip).await.unwrap().unwrap();
        let busy = compare_password(&db, &refusing, &erkki, attempt, "x".into(), None).await;
        assert_eq!(busy, Err(AppError::Busy));
        let subject = erkki.as_str();
        let kind = AttemptKind::LoginAccount;
        assert_eq!(
            db.pending_attempts(kind, subject, 0, i64::MAX)
                .await
                .unwrap(),
            0
        );
        let after = db.recent_attempts(kind, subject, 0, i64::MAX, 10).await;
        assert_eq!(after.unwrap().len(), 1, "only the compared one counts");
    }

    #[test]
    fn attempts_still_running_make_a_new_one_wait_a_moment_never_minutes() {
        let now = 1_000_000;
        let backoff = |recent: &[i64]| ACCOUNT_BACKOFF.until(recent);
        // Four failures and one attempt still running: by the failures alone it may go now,
        // counting the running one it may not (the caller answers "busy").
        let failed = [now - 1, now - 2, now - 3, now - 4];
        assert_eq!(waits(&failed, 1, now, backoff), [None, Some(now + 60)]);
        // Five failures: a wait, whatever is running.
        let failed = [now - 1, now - 2, now - 3, now - 4, now - 5];
        assert_eq!(waits(&failed, 0, now, backoff), [Some(now + 59); 2]);
        // Nothing running, few failures: go.
        assert_eq!(waits(&failed[..2], 0, now, backoff), [None, None]);
    }
}
