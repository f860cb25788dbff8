//! Password attempts against the limits of `limits` (issue #5): counted from the moment they
//! start, so that parallel guesses cannot all slip past a check, and ended by the outcome of the
//! comparison, so that only a password that was compared and did not match counts as a failure
//! (issue #9: a flood of right passwords behind one NAT address must not lock it out).

use super::limits::{ACCOUNT_BACKOFF, ACCOUNT_BUDGET, IP_BACKOFF, ip_subject, minutes_until};
use super::password::HashingPlace;
use crate::model::{AppError, Email};
use crate::server::db::{
    Account, AttemptKind, AttemptStart, AuditEvent, Db, Forget, NewSession, PasswordCount, now,
};
use std::net::IpAddr;

/// A password attempt, counted from its start (pending) so that parallel guesses queued behind
/// the hasher cannot all pass the check. It ends in [`compare_password`], the one place a
/// counted password is compared: a mismatch settles it as a failure, a comparison that never
/// happened takes it back, and a match leaves it to [`Matched`], which uncounts it in the same
/// write as what the match was for.
///
/// ```text
/// hashing queue full ──▶ Throttled if waiting after failures, else Busy (nothing written)
///      │ place taken
///      ▼
/// start_login ──waiting after failures──▶ Throttled (rows taken back)
///      │ ──others still pending fill the limit──▶ Busy (rows taken back)
///      ▼
///   pending ──mismatch──▶ failure (counts for the waits)
///      │ ──match──▶ Matched ──end or start_session──▶ removed, the address's failures cleared
///      │ ──busy or error before comparing──▶ removed
///      └──request dropped (client gone mid-hash)──▶ removed when the attempt is dropped
/// ```
pub struct LoginAttempt {
    db: Db,
    /// Rows not ended yet (settled or removed), oldest first.
    open: Vec<i64>,
    /// The address the attempt was made for: a match clears its failures.
    address: Email,
}

impl LoginAttempt {
    /// What uncounts the attempt; with `clear` the address's earlier failures too (a match).
    fn forget(&self, clear: bool) -> Forget<'_> {
        Forget {
            rows: &self.open,
            clear: clear.then_some((AttemptKind::LoginAccount, self.address.as_str())),
        }
    }

    /// Ends the attempt in one statement: its rows settle as failures (`settle`) or are
    /// removed (and with `clear` the address's failures too). The rows leave `open` only once
    /// ended, so a request dropped meanwhile leaves them to `Drop`.
    async fn end(mut self, settle: bool, clear: bool) -> Result<(), AppError> {
        if settle {
            self.db.settle_attempts(&self.open).await?;
        } else {
            self.db.forget_attempts(self.forget(clear)).await?;
        }
        self.open.clear();
        Ok(())
    }
}

/// A request dropped before its attempt ended (the client went away while its password was
/// hashed, or the server is stopping) takes the attempt back: nobody learnt its outcome, and
/// left pending it would make every login from that address "busy" for a minute.
impl Drop for LoginAttempt {
    fn drop(&mut self) {
        let rows = std::mem::take(&mut self.open);
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if rows.is_empty() {
            return;
        }
        let db = self.db.clone();
        runtime.spawn(async move {
            let forget = Forget {
                rows: &rows,
                clear: None,
            };
            if let Err(error) = db.forget_attempts(forget).await {
                tracing::warn!("an abandoned attempt stays pending until it expires: {error}");
            }
        });
    }
}

/// A password that matched, its attempt still counted. A match resets the address's count;
/// the IP's count keeps its earlier failures (else an attacker could reset it with an account
/// of their own) but not this attempt. Dropped without either ending, it is taken back like
/// any attempt and the address keeps its failures.
#[must_use = "a match ends with `end` or `start_session`"]
pub struct Matched(LoginAttempt);

impl Matched {
    /// Ends the attempt on its own (a password confirmed in the settings).
    pub async fn end(self) -> Result<(), AppError> {
        self.0.end(false, true).await
    }

    /// Ends the attempt in the write that starts the login's session (see
    /// [`Db::start_session`]): a statement of that write, not a write of its own.
    pub async fn start_session(
        mut self,
        session: &NewSession<'_>,
        replaces: Option<&[u8]>,
        login: AuditEvent,
    ) -> Result<(), AppError> {
        let attempt = &mut self.0;
        let forget = attempt.forget(true);
        attempt
            .db
            .start_session(session, replaces, login, forget)
            .await?;
        attempt.open.clear();
        Ok(())
    }
}

/// What [`start_login`] read and decided.
pub struct LoginStart {
    /// The account of the address, if it has one (read in the same write).
    pub account: Option<Account>,
    /// The attempt counted, or why none may be made now.
    pub attempt: Result<LoginAttempt, Throttled>,
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

/// When the address may try again by these failures (newest first).
fn account_until(recent: &[i64]) -> Option<i64> {
    ACCOUNT_BUDGET
        .until(recent)
        .max(ACCOUNT_BACKOFF.until(recent))
}

/// When the client IP may try again by these failures (newest first).
fn ip_until(recent: &[i64]) -> Option<i64> {
    IP_BACKOFF.until(recent)
}

/// The refusal for waits still ahead of `now` (the address's, the IP's), if any.
fn throttled(
    account: Option<i64>,
    ip_wait: Option<i64>,
    ip: Option<&String>,
    now: i64,
) -> Option<Throttled> {
    let later = |until: Option<i64>| until.filter(|&until| until > now);
    let (account, ip_wait) = (later(account), later(ip_wait));
    let until = account.max(ip_wait)?;
    let waiting = match ip {
        // Not the address's own failures, so the client IP's.
        Some(ip) if account.is_none() => Waiting::Ip(ip.clone()),
        _ => Waiting::Address,
    };
    Some(Throttled {
        minutes: minutes_until(until, now),
        waiting,
    })
}

/// Whether `email` or `ip` must wait after failures, counting nothing: asked when the hashing
/// queue refused a login before its attempt was counted, so that a client that must wait is
/// told so, not asked to retry in a moment.
pub async fn waiting(
    db: &Db,
    email: &Email,
    ip: Option<IpAddr>,
) -> Result<Option<Throttled>, AppError> {
    let now = now();
    let rows = ACCOUNT_BUDGET.max.max(ACCOUNT_BACKOFF.rows_needed());
    let window = ACCOUNT_BUDGET.window_secs;
    let kind = AttemptKind::LoginAccount;
    let (failed, _) = recorded(db, kind, email.as_str(), window, i64::MAX, rows).await?;
    let account = account_until(&failed);
    let ip = ip.map(ip_subject);
    let mut ip_wait = None;
    if let Some(ip) = &ip {
        let rows = IP_BACKOFF.rows_needed();
        let window = IP_BACKOFF.window_secs;
        let kind = AttemptKind::LoginIp;
        let (failed, _) = recorded(db, kind, ip, window, i64::MAX, rows).await?;
        ip_wait = ip_until(&failed);
    }
    Ok(throttled(account, ip_wait, ip.as_ref(), now))
}

/// Refuses a password attempt while `email` or `ip` must wait after failures ([`Throttled`]),
/// or with [`AppError::Busy`] while attempts still running would, if they failed, make it
/// wait; before any password is verified. Otherwise counts the attempt as pending. Reads the
/// address's account in the same write (see [`Db::start_password_attempt`]).
///
/// Every limit here counts first and then checks the rows counted before its own, so that
/// parallel requests cannot all pass one check: each sees the ones that came before it. A
/// refused request takes its rows back. Attempts still running are no failures: a class behind
/// one NAT address logging in at once is asked to retry in a moment, never to wait minutes.
pub async fn start_login(
    db: &Db,
    email: &Email,
    ip: Option<IpAddr>,
) -> Result<LoginStart, AppError> {
    let now = now();
    let ip = ip.map(ip_subject);
    let pending_since = now - ABANDONED_AFTER_SECS;
    let mut counts = vec![PasswordCount {
        kind: AttemptKind::LoginAccount,
        subject: email.as_str(),
        failed_since: now - ACCOUNT_BUDGET.window_secs,
        rows_needed: ACCOUNT_BUDGET.max.max(ACCOUNT_BACKOFF.rows_needed()),
        pending_since,
    }];
    if let Some(ip) = &ip {
        counts.push(PasswordCount {
            kind: AttemptKind::LoginIp,
            subject: ip,
            failed_since: now - IP_BACKOFF.window_secs,
            rows_needed: IP_BACKOFF.rows_needed(),
            pending_since,
        });
    }
    let AttemptStart { account, counted } = db.start_password_attempt(email, &counts).await?;
    // From here on a dropped request takes its rows back.
    let attempt = LoginAttempt {
        db: db.clone(),
        open: counted.iter().map(|c| c.row).collect(),
        address: email.clone(),
    };
    let mut counted = counted.into_iter();
    let mut waits_of = |until: fn(&[i64]) -> Option<i64>| {
        counted
            .next()
            .map(|c| waits(&c.failed, c.pending, now, until))
            .unwrap_or_default()
    };
    let [account_failed, account_all] = waits_of(account_until);
    let [ip_failed, ip_all] = waits_of(ip_until);
    if let Some(refused) = throttled(account_failed, ip_failed, ip.as_ref(), now) {
        tracing::info!("password attempt refused: waiting after failures");
        attempt.end(false, false).await?;
        return Ok(LoginStart {
            account,
            attempt: Err(refused),
        });
    }
    let later = |until: Option<i64>| until.filter(|&until| until > now);
    if later(account_all).or(later(ip_all)).is_some() {
        tracing::info!("password attempt refused for a moment: others still running");
        attempt.end(false, false).await?;
        return Err(AppError::Busy);
    }
    Ok(LoginStart {
        account,
        attempt: Ok(attempt),
    })
}

/// Compares `password` with `stored` (see [`HashingPlace::verify`]) within a counted
/// `attempt`, in the hashing queue's `place`. A mismatch settles the attempt as a failure; a
/// match returns it as [`Matched`], to end with what the match is for. A comparison that
/// never happened — `busy` when no slot came free in time, or an error — takes the attempt
/// back: counted, a morning rush of right passwords behind one NAT address would lock that
/// address out. A password too long to be anyone's is a mismatch, never hashed.
pub async fn compare_password(
    place: HashingPlace,
    attempt: LoginAttempt,
    password: String,
    stored: Option<String>,
) -> Result<Option<Matched>, AppError> {
    let compared = if password.chars().count() > crate::model::PASSWORD_MAX_CHARS {
        Ok(false)
    } else {
        place.verify(password, stored).await
    };
    match compared {
        Ok(true) => Ok(Some(Matched(attempt))),
        Ok(false) => {
            attempt.end(true, false).await?;
            Ok(None)
        }
        Err(error) => {
            attempt.end(false, false).await?;
            Err(error.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::server::auth::password::PasswordHasher;

    /// The attempt a start counted (none was refused).
    fn counted(start: Result<LoginStart, AppError>) -> LoginAttempt {
        match start.map(|start| start.attempt) {
            Ok(Ok(attempt)) => attempt,
            _ => panic!("refused"),
        }
    }

    async fn settled(db: &Db, subject: &str) -> usize {
        let kind = AttemptKind::LoginAccount;
        let rows = db.recent_attempts(kind, subject, 0, i64::MAX, 100).await;
        rows.unwrap().len()
    }

    async fn pending(db: &Db, subject: &str) -> usize {
        let kind = AttemptKind::LoginAccount;
        db.pending_attempts(kind, subject, 0, i64::MAX)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_password_too_long_to_be_anyones_is_a_failure_without_hashing() {
        let (_dir, db) = Db::temporary().await;
        let erkki = Email::parse("erkki@example.com").unwrap();
        // No slot ever comes free: any hash asked for ends in "busy".
        let stalled = PasswordHasher::stalled();
        let ip = Some(IpAddr::from([192, 0, 2, 1]));
        let attempt = counted(start_login(&db, &erkki, ip).await);
        let long = "a".repeat(crate::model::PASSWORD_MAX_CHARS + 1);
        // Answered without the hasher, and counted as a failure.
        let place = stalled.reserve().unwrap();
        let matched = compare_password(place, attempt, long, None).await;
        assert!(matches!(matched, Ok(None)));
        assert_eq!(settled(&db, erkki.as_str()).await, 1);
        // A plausible one needs the hasher: "busy", and taken back, not counted.
        let attempt = counted(start_login(&db, &erkki, ip).await);
        let place = stalled.reserve().unwrap();
        let busy = compare_password(place, attempt, "x".into(), None).await;
        assert!(matches!(busy, Err(AppError::Busy)));
        assert_eq!(pending(&db, erkki.as_str()).await, 0);
        assert_eq!(
            settled(&db, erkki.as_str()).await,
            1,
            "only the compared one counts"
        );
    }

    #[tokio::test]
    async fn a_request_dropped_mid_hash_takes_its_attempt_back() {
        let (_dir, db) = Db::temporary().await;
        let erkki = Email::parse("erkki@example.com").unwrap();
        let stalled = PasswordHasher::stalled();
        let ip = Some(IpAddr::from([192, 0, 2, 1]));
        let attempt = counted(start_login(&db, &erkki, ip).await);
        assert_eq!(pending(&db, erkki.as_str()).await, 1);
        // The client goes away while its password waits to be hashed: the request is dropped.
        let place = stalled.reserve().unwrap();
        let compare = compare_password(place, attempt, "x".into(), None);
        let gone = tokio::time::timeout(std::time::Duration::from_millis(50), compare).await;
        assert!(gone.is_err(), "still waiting when dropped");
        // Its rows go in a task of their own; wait for it (up to 30 s: a busy machine), not
        // for a guessed time.
        for _ in 0..3000 {
            if pending(&db, erkki.as_str()).await == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(pending(&db, erkki.as_str()).await, 0, "taken back");
        assert_eq!(settled(&db, erkki.as_str()).await, 0, "and not a failure");
        // So the next login from that address is not "busy".
        let next = start_login(&db, &erkki, ip).await.unwrap();
        assert!(next.attempt.is_ok());
    }

    #[tokio::test]
    async fn waiting_reads_the_waits_after_failures_and_counts_nothing() {
        let (_dir, db) = Db::temporary().await;
        let erkki = Email::parse("erkki@example.com").unwrap();
        let hasher = PasswordHasher::stalled();
        let ip = Some(IpAddr::from([192, 0, 2, 1]));
        assert_eq!(waiting(&db, &erkki, ip).await, Ok(None));
        let long = "a".repeat(crate::model::PASSWORD_MAX_CHARS + 1);
        for _ in 0..5 {
            let attempt = counted(start_login(&db, &erkki, ip).await);
            let place = hasher.reserve().unwrap();
            let matched = compare_password(place, attempt, long.clone(), None).await;
            assert!(matches!(matched, Ok(None)));
        }
        let refused = waiting(&db, &erkki, ip).await.unwrap().unwrap();
        assert_eq!(refused.waiting, Waiting::Address);
        assert!(refused.minutes >= 1, "{refused:?}");
        // Asking wrote nothing: the same five failures, nothing pending.
        assert_eq!(settled(&db, erkki.as_str()).await, 5);
        assert_eq!(pending(&db, erkki.as_str()).await, 0);
        // Another address from the same IP is not waiting for Erkki's failures.
        let maija = Email::parse("maija@example.com").unwrap();
        assert_eq!(waiting(&db, &maija, ip).await, Ok(None));
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
