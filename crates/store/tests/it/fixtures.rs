//! What several test modules share.

use chrono::{DateTime, Utc};

/// The instant the tests' records are made at.
pub fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-23T12:00:00Z")
        .unwrap()
        .to_utc()
}
