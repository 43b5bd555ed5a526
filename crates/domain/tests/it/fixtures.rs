//! What several test modules share: instants and the policy's decisions written from text.

use chrono::{DateTime, Utc};
use recaudo_domain::policy::{Decision, ReasonCode};

/// An RFC 3339 instant with its offset, e.g. `2026-11-26T09:00:00-05:00`.
pub fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("bad test instant {s}: {e}"))
        .with_timezone(&Utc)
}

pub fn send(at: &str) -> Decision {
    Decision::Send { at: t(at) }
}

pub fn defer(until: &str, reason: ReasonCode) -> Decision {
    Decision::Defer {
        until: t(until),
        reason,
    }
}

pub fn deny(reason: ReasonCode) -> Decision {
    Decision::Deny { reason }
}
