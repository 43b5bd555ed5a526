//! What several test modules share.

use chrono::NaiveDate;

/// A Wednesday, like the corpus's.
pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}
