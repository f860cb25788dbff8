//! Moments shown to residents (when a session was last used) in Finnish time; `i18n` writes
//! them out per language.
//!
//! Finland is UTC+2, and UTC+3 in summer (EU rule: from 01:00 UTC on the last Sunday of March
//! to 01:00 UTC on the last Sunday of October). Written out here rather than pulling a time-zone
//! database into the browser's WebAssembly for one zone.

/// A wall-clock minute in Finland.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalTime {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
}

/// Days since 1970-01-01 to a civil date (proleptic Gregorian; H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let month = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Days since 1970-01-01 of a civil date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let month = i64::from(month);
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// UNIX seconds of 01:00 UTC on the last Sunday of `month` in `year`.
fn last_sunday_0100_utc(year: i64, month: u32) -> i64 {
    let last_day = days_from_civil(year, month + 1, 1) - 1;
    // 1970-01-01 was a Thursday: weekday 0 = Sunday is (days + 4) mod 7.
    let sunday = last_day - (last_day + 4).rem_euclid(7);
    sunday * 86_400 + 3_600
}

/// The Finnish wall-clock time of a UNIX time.
pub fn helsinki(unix: i64) -> LocalTime {
    let (year, _, _) = civil_from_days(unix.div_euclid(86_400));
    let summer = (last_sunday_0100_utc(year, 3)..last_sunday_0100_utc(year, 10)).contains(&unix);
    let local = unix + if summer { 3 * 3_600 } else { 2 * 3_600 };
    let (year, month, day) = civil_from_days(local.div_euclid(86_400));
    let seconds = local.rem_euclid(86_400);
    let hour = u32::try_from(seconds / 3_600).unwrap_or(0);
    let minute = u32::try_from(seconds % 3_600 / 60).unwrap_or(0);
    LocalTime {
        year,
        month,
        day,
        hour,
        minute,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        for days in [-1, 0, 59, 10_957, 19_000, 20_782] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn winter_and_summer_time_in_finland() {
        // 2026-11-25 15:09 UTC is 17:09 in Helsinki (winter, UTC+2).
        assert_eq!(
            helsinki(1_795_619_340),
            LocalTime {
                year: 2026,
                month: 11,
                day: 25,
                hour: 17,
                minute: 9
            }
        );
        // 2026-07-01 12:00 UTC is 15:00 (summer, UTC+3).
        assert_eq!(helsinki(1_782_907_200).hour, 15);
        // Summer time starts 2026-03-29 01:00 UTC: 00:59 UTC is 02:59, 01:00 UTC is 04:00.
        assert_eq!(helsinki(1_774_745_940).hour, 2);
        assert_eq!(helsinki(1_774_746_000).hour, 4);
        // ...and ends 2026-10-25 01:00 UTC: 00:59 UTC is 03:59, 01:00 UTC is 03:00.
        assert_eq!(helsinki(1_792_889_940).hour, 3);
        assert_eq!(
            (helsinki(1_792_890_000).hour, helsinki(1_792_890_000).minute),
            (3, 0)
        );
    }
}
