//! Limits against guessing passwords and against flooding mailboxes (issue #5).
//!
//! Failed password attempts are counted per address (known or not, so that the limits reveal
//! no account) and per client IP in the database, so that several server instances share them.
//! After a few free failures each further attempt waits a doubling delay, up to 15 minutes,
//! and an address gets at most 100 failures in a rolling day (NIST SP 800-63B 5.2.2). Nothing
//! locks anyone out for good: every wait ends. The limits are checked before the password is
//! verified, so that during a wait even the right password is refused: see `login_attempts`
//! for the password attempts themselves; the mail and lookup limits are here.

use crate::model::{AppError, Email};
use crate::server::db::{AttemptKind, Db, Forget, MailKind, now};
use std::net::IpAddr;
use std::time::Duration;
use tokio::time::Instant;

/// At most `max` events within a rolling window of `window_secs` seconds.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub max: usize,
    pub window_secs: i64,
}

impl Budget {
    /// When the next event may happen (UNIX seconds), given the times of the events within the
    /// window, newest first; `None` if it may happen now.
    pub fn until(&self, recent: &[i64]) -> Option<i64> {
        let oldest_counted = recent.get(self.max.checked_sub(1)?)?;
        Some(oldest_counted + self.window_secs)
    }
}

/// `free` failures within the window cost nothing; after them each further attempt must wait,
/// after the latest failure, a delay that starts at `first_delay_secs` and doubles with every
/// failure up to `max_delay_secs` (all in seconds).
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub free: usize,
    pub first_delay_secs: i64,
    pub max_delay_secs: i64,
    pub window_secs: i64,
}

impl Backoff {
    /// The wait, in seconds, after the latest of `failures` failures.
    pub fn delay_secs(&self, failures: usize) -> i64 {
        let Some(beyond) = failures.checked_sub(self.free) else {
            return 0;
        };
        let doublings = u32::try_from(beyond).unwrap_or(u32::MAX).min(32);
        self.first_delay_secs
            .saturating_mul(1_i64 << doublings)
            .min(self.max_delay_secs)
    }

    /// When the next attempt may be made, given the failures within the window newest first.
    pub fn until(&self, recent: &[i64]) -> Option<i64> {
        let latest = recent.first()?;
        let delay = self.delay_secs(recent.len());
        (delay > 0).then_some(latest + delay)
    }

    /// How many of the newest failures decide the wait: beyond these the delay is at its cap.
    pub(super) fn rows_needed(&self) -> usize {
        let mut rows = self.free + 1;
        while self.delay_secs(rows) < self.max_delay_secs {
            rows += 1;
        }
        rows
    }
}

/// One day, in seconds: the window of the per-account and daily limits.
const DAY_SECS: i64 = 86_400;

/// Per address: 5 free failures (typos, a forgotten capital), then 1, 2, 4, 8 and 15 minutes.
pub const ACCOUNT_BACKOFF: Backoff = Backoff {
    free: 5,
    first_delay_secs: 60,
    max_delay_secs: 15 * 60,
    window_secs: DAY_SECS,
};
/// Per address: at most 100 failures in a rolling day (NIST SP 800-63B); then attempts wait
/// until the oldest of them is a day old.
pub const ACCOUNT_BUDGET: Budget = Budget {
    max: 100,
    window_secs: DAY_SECS,
};
/// Per client IP: more free failures, since a city library or a mobile operator's NAT puts
/// many residents behind one address, and counted over an hour only, so that a shared address
/// recovers soon after its residents' honest typos. Stops one client trying many accounts.
pub const IP_BACKOFF: Backoff = Backoff {
    free: 20,
    first_delay_secs: 60,
    max_delay_secs: 15 * 60,
    window_secs: 3_600,
};
/// Per address and kind of mail: one mail per 5 minutes (seconds), time for it to arrive.
pub const MAIL_SPACING_SECS: i64 = 5 * 60;
/// Per address: at most 5 mails of the e-mail step a day, whatever their kind, so that nobody
/// can flood a mailbox through our forms.
pub const MAIL_BUDGET: Budget = Budget {
    max: 5,
    window_secs: DAY_SECS,
};
/// The window of the per-IP budget of e-mail step lookups, in seconds (10 minutes); the budget
/// itself is configured (`lookups_per_ip`, 30 by default: plenty for a household behind one
/// address, too few to test a list of addresses).
pub const LOOKUP_WINDOW_SECS: i64 = 600;
/// Rows older than this (seconds) decide nothing any more and are purged.
pub const KEEP_SECS: i64 = DAY_SECS;
/// In `protect` mode the e-mail step's answers all take at least this long, comfortably more
/// than its slowest path (a lookup, a token and a mail queued in one transaction: a few tens of
/// milliseconds), so that their timing tells no account from another or from none.
pub const EMAIL_STEP_MIN_DURATION: Duration = Duration::from_millis(400);

/// Whole minutes until `until` (UNIX seconds), rounded up and at least one.
pub(super) fn minutes_until(until: i64, now: i64) -> u32 {
    let secs = (until - now).max(1);
    u32::try_from((secs + 59) / 60).unwrap_or(u32::MAX)
}

/// The IP's counting key: an IPv6 client controls a whole /64, so it counts as one.
pub(super) fn ip_subject(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

/// Counts a lookup of the e-mail step from `ip`, or refuses it with `TooManyAttempts` when the
/// IP's budget of `per_ip` lookups in [`LOOKUP_WINDOW_SECS`] is spent. Reveals nothing about the
/// address, so every form may show it.
pub async fn count_lookup(db: &Db, ip: Option<IpAddr>, per_ip: usize) -> Result<(), AppError> {
    let Some(ip) = ip.map(ip_subject) else {
        return Ok(());
    };
    let budget = Budget {
        max: per_ip,
        window_secs: LOOKUP_WINDOW_SECS,
    };
    let now = now();
    let row = db.record_attempt(AttemptKind::LookupIp, &ip, "").await?;
    let recent = db
        .recent_attempts(
            AttemptKind::LookupIp,
            &ip,
            now - budget.window_secs,
            row,
            budget.max,
        )
        .await?;
    if let Some(until) = budget.until(&recent) {
        tracing::info!("e-mail step lookup refused: the client's budget is spent");
        db.forget_attempts(Forget {
            rows: &[row],
            clear: None,
        })
        .await?;
        return Err(AppError::TooManyAttempts {
            minutes: minutes_until(until, now),
        });
    }
    Ok(())
}

/// Counts a mail of `kind` to `email` about to be sent (each kind is spaced on its own: a
/// resident who just registered after a "no account" mail still gets the link at once), or refuses it with `MailLimit` while the
/// address must wait. Callers where the refusal would reveal an account use [`reserve_quietly`].
pub async fn reserve_mail(db: &Db, email: &Email, kind: MailKind) -> Result<(), AppError> {
    let now = now();
    let row = db
        .record_attempt(AttemptKind::Mail, email.as_str(), kind.as_str())
        .await?;
    let recent = db
        .recent_attempts(
            AttemptKind::Mail,
            email.as_str(),
            now - MAIL_BUDGET.window_secs,
            row,
            MAIL_BUDGET.max,
        )
        .await?;
    let last_of_kind = db
        .last_mail(email.as_str(), kind.as_str(), now - MAIL_SPACING_SECS, row)
        .await?;
    let until = MAIL_BUDGET
        .until(&recent)
        .max(last_of_kind.map(|at| at + MAIL_SPACING_SECS));
    if let Some(until) = until.filter(|&until| until > now) {
        tracing::info!(kind = kind.as_str(), "mail not sent: the address's limit");
        db.forget_attempts(Forget {
            rows: &[row],
            clear: None,
        })
        .await?;
        return Err(AppError::MailLimit {
            minutes: minutes_until(until, now),
        });
    }
    Ok(())
}

/// [`reserve_mail`] for answers that must not change: `false` when the mail is not to be sent.
pub async fn reserve_quietly(db: &Db, email: &Email, kind: MailKind) -> Result<bool, AppError> {
    match reserve_mail(db, email, kind).await {
        Ok(()) => Ok(true),
        Err(AppError::MailLimit { .. }) => Ok(false),
        Err(error) => Err(error),
    }
}

/// Waits until [`EMAIL_STEP_MIN_DURATION`] has passed since `started`.
pub async fn pad_since(started: Instant) {
    tokio::time::sleep_until(started + EMAIL_STEP_MIN_DURATION).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` failures, the newest `latest`, one second apart.
    fn failures(n: usize, latest: i64) -> Vec<i64> {
        (0..n).map(|i| latest - i as i64).collect()
    }

    #[test]
    fn the_first_failures_are_free() {
        for n in 0..ACCOUNT_BACKOFF.free {
            assert_eq!(ACCOUNT_BACKOFF.delay_secs(n), 0, "{n}");
            assert_eq!(ACCOUNT_BACKOFF.until(&failures(n, 1_000)), None);
        }
        for n in 0..IP_BACKOFF.free {
            assert_eq!(IP_BACKOFF.until(&failures(n, 1_000)), None);
        }
        assert_eq!(IP_BACKOFF.delay_secs(20), 60);
    }

    #[test]
    fn the_delay_doubles_from_a_minute_up_to_fifteen() {
        let delays: Vec<i64> = (5..12).map(|n| ACCOUNT_BACKOFF.delay_secs(n)).collect();
        assert_eq!(delays, [60, 120, 240, 480, 900, 900, 900]);
        assert_eq!(ACCOUNT_BACKOFF.delay_secs(99), 900);
        assert_eq!(ACCOUNT_BACKOFF.delay_secs(usize::MAX), 900, "no overflow");
        // The wait runs from the latest failure.
        assert_eq!(ACCOUNT_BACKOFF.until(&failures(6, 5_000)), Some(5_120));
        assert_eq!(ACCOUNT_BACKOFF.rows_needed(), 9);
    }

    #[test]
    fn at_most_a_hundred_failures_a_day_and_the_window_frees_up() {
        let now = 1_000_000;
        // 99 failures: only the doubling delay applies.
        assert_eq!(ACCOUNT_BUDGET.until(&failures(99, now)), None);
        // The 100th: wait until the oldest of them is a day old.
        let hundred = failures(100, now);
        assert_eq!(ACCOUNT_BUDGET.until(&hundred), Some(now - 99 + DAY_SECS));
        // Never permanent: however many, the wait ends within a day of the latest failure.
        for recent in [&hundred[..], &failures(100, now - 80_000)[..]] {
            let until = ACCOUNT_BUDGET
                .until(recent)
                .max(ACCOUNT_BACKOFF.until(recent))
                .unwrap();
            assert!(until <= recent[0] + DAY_SECS, "{until}");
        }
    }

    #[test]
    fn budgets_and_minutes() {
        let lookups = Budget {
            max: 30,
            window_secs: LOOKUP_WINDOW_SECS,
        };
        assert_eq!(lookups.until(&failures(29, 100)), None);
        assert_eq!(lookups.until(&failures(30, 100)), Some(71 + 600));
        assert_eq!(MAIL_BUDGET.until(&failures(5, 100)), Some(96 + DAY_SECS));
        assert_eq!(minutes_until(100, 100), 1, "at least one");
        assert_eq!(minutes_until(160, 100), 1);
        assert_eq!(minutes_until(161, 100), 2, "rounded up");
        assert_eq!(minutes_until(100 + 900, 100), 15);
    }

    #[test]
    fn an_ipv6_client_counts_by_its_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        assert_eq!(ip_subject(a), ip_subject(b));
        assert_eq!(ip_subject(a), "2001:db8:1:2::/64");
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(ip_subject(mapped), "192.0.2.7");
    }
}
