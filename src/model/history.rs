//! The transaction history ("Asiointihistoria"): what the history page shows of an account's
//! transactions, and the paging arithmetic both halves share.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Transactions per history page. Ten rows of five short columns fit on one laptop screen and
/// read comfortably on a phone, and a resident has only a few transactions a year, so the first
/// page covers the recent years that people look for.
pub const HISTORY_PER_PAGE: u32 = 10;

/// One transaction as the history table shows it. The texts are shown as the service stored
/// them (the old system's history is in Finnish).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionView {
    /// The day, as an ISO date (`2018-03-05`); the page writes it the language's way.
    pub occurred_on: String,
    pub service: String,
    pub reference: String,
    pub status: String,
    pub description: String,
}

/// One page of an account's history, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryPage {
    pub items: Vec<TransactionView>,
    /// The page shown, 1-based, always within `1..=pages`.
    pub page: u32,
    /// How many pages there are; an empty history is one empty page.
    pub pages: u32,
    /// How many transactions the account has in all.
    pub total: u64,
}

/// How many pages `total` rows make, `per_page` to a page; never fewer than one.
pub fn page_count(total: u64, per_page: u32) -> u32 {
    let pages = total.div_ceil(u64::from(per_page.max(1)));
    u32::try_from(pages).unwrap_or(u32::MAX).max(1)
}

/// The page shown for a requested one: page 0 is the first, a page past the last is the last.
pub fn clamp_page(requested: u32, pages: u32) -> u32 {
    requested.clamp(1, pages.max(1))
}

/// How many rows come before the first row of `page`.
pub fn page_offset(page: u32, per_page: u32) -> u64 {
    u64::from(page.saturating_sub(1)) * u64::from(per_page)
}

/// A calendar day, read from an ISO date `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IsoDate {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl IsoDate {
    /// The day `text` names, if it is a valid date written exactly as `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Option<IsoDate> {
        /// `part` as a number if it is exactly `len` ASCII digits (no sign, no spaces).
        fn number<T: std::str::FromStr>(part: Option<&str>, len: usize) -> Option<T> {
            let part = part.filter(|p| p.len() == len && p.bytes().all(|b| b.is_ascii_digit()))?;
            part.parse().ok()
        }
        let mut parts = text.split('-');
        let year: u16 = number(parts.next(), 4)?;
        let month: u8 = number(parts.next(), 2)?;
        let day: u8 = number(parts.next(), 2)?;
        let valid = parts.next().is_none()
            && (1..=12).contains(&month)
            && (1..=days_in_month(year, month)).contains(&day);
        valid.then_some(IsoDate { year, month, day })
    }
}

/// Writes the day back as `YYYY-MM-DD`.
impl fmt::Display for IsoDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_history_is_one_page() {
        assert_eq!(page_count(0, 10), 1);
        assert_eq!(page_count(1, 10), 1);
        assert_eq!(page_count(10, 10), 1);
        assert_eq!(page_count(11, 10), 2);
        assert_eq!(page_count(25, 10), 3);
        assert_eq!(page_count(5, 0), 5, "a page size of 0 counts as 1");
    }

    #[test]
    fn requested_pages_are_clamped() {
        assert_eq!(clamp_page(0, 3), 1);
        assert_eq!(clamp_page(1, 3), 1);
        assert_eq!(clamp_page(3, 3), 3);
        assert_eq!(clamp_page(4, 3), 3);
        assert_eq!(clamp_page(u32::MAX, 3), 3);
        assert_eq!(clamp_page(7, 0), 1);
    }

    #[test]
    fn offsets_follow_pages() {
        assert_eq!(page_offset(1, 10), 0);
        assert_eq!(page_offset(3, 10), 20);
        assert_eq!(page_offset(0, 10), 0);
        assert_eq!(
            page_offset(u32::MAX, u32::MAX),
            u64::from(u32::MAX - 1) * u64::from(u32::MAX)
        );
    }

    #[test]
    fn iso_dates_are_read_strictly() {
        assert_eq!(
            IsoDate::parse("2018-03-05"),
            Some(IsoDate {
                year: 2018,
                month: 3,
                day: 5
            })
        );
        assert_eq!(
            IsoDate::parse("2018-03-05").unwrap().to_string(),
            "2018-03-05"
        );
        assert!(IsoDate::parse("2016-02-29").is_some(), "a leap day");
        assert!(IsoDate::parse("2000-02-29").is_some(), "divisible by 400");
        for bad in [
            "2017-02-29",
            "1900-02-29",
            "2018-04-31",
            "2018-13-01",
            "2018-00-10",
            "2018-01-00",
            "2018-3-5",
            "+018-03-05",
            "2018-03-05-01",
            "2018-03",
            "05.03.2018",
            "",
        ] {
            assert_eq!(IsoDate::parse(bad), None, "{bad:?}");
        }
    }
}
