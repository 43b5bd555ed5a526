//! The outbox: one row per contact the planner decided to make, from planning to delivery.
//!
//! A contact is keyed by its idempotency key, unique in the outbox: planning the same day twice
//! adds nothing, and a crash between "sent" and "committed" re-sends under the same key (passed
//! to the provider), never a second, different message (GUIDE §10).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::portfolio::{Channel, string_enum};
use crate::{ContactId, ContactPointId, DebtId, DebtorId, MessageId};

string_enum!(/// Where a contact is in its life: planned by the planner, claimed by a dispatcher, handed to
/// the provider, confirmed delivered, failed for good, or cancelled before it left (payment,
/// pause, policy re-check at send time).
ContactState, "contact state" {
    Planned => "planned",
    Sending => "sending",
    Sent => "sent",
    Delivered => "delivered",
    Failed => "failed",
    Cancelled => "cancelled",
});

/// The idempotency key of a contact: which debt, which strategy step, on which local day of the
/// debtor, through which channel. Written out rather than hashed, so it is unique by
/// construction (no collision can ever drop a contact) and readable in logs; where a provider
/// limits the length of its idempotency header, the channel adapter hashes it. The step comes
/// last, so the key stays unambiguous whatever the step id contains.
pub fn contact_key(debt: DebtId, local_date: NaiveDate, channel: Channel, step: &str) -> String {
    let mut key = String::with_capacity(64);
    write_contact_key(&mut key, debt, local_date, channel, step);
    key
}

/// [`contact_key`] written into `out` (cleared first): the planner's writer forms hundreds of
/// thousands of keys in one buffer.
pub fn write_contact_key(
    out: &mut String,
    debt: DebtId,
    local_date: NaiveDate,
    channel: Channel,
    step: &str,
) {
    out.clear();
    out.push_str("ck1:");
    out.push_str(&debt.text());
    out.push(':');
    write_date(out, local_date);
    out.push(':');
    out.push_str(channel.as_str());
    out.push(':');
    out.push_str(step);
}

/// A date as ISO 8601 (`2026-12-03`), as its `Display` writes it, without the formatting
/// machinery for the years of four digits.
pub fn write_date(out: &mut String, date: NaiveDate) {
    use chrono::Datelike;
    use std::fmt::Write;
    let (year, month, day) = (date.year(), date.month(), date.day());
    if (0..=9999).contains(&year) {
        let digits = |n: u32, width: usize, out: &mut String| {
            let mut buf = [b'0'; 4];
            let mut n = n;
            for b in buf[..width].iter_mut().rev() {
                *b = b'0' + (n % 10) as u8;
                n /= 10;
            }
            out.extend(buf[..width].iter().map(|&b| char::from(b)));
        };
        digits(year as u32, 4, out);
        out.push('-');
        digits(month, 2, out);
        out.push('-');
        digits(day, 2, out);
    } else {
        let _ = write!(out, "{date}");
    }
}

/// A contact the planner decided on, before it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewContact {
    pub debtor_id: DebtorId,
    /// The debt the contact is about (the one whose strategy step planned it).
    pub debt_id: DebtId,
    /// Other debts of the same debtor the same message covers (one contact a day per debtor).
    pub covers: Vec<DebtId>,
    pub contact_point_id: Option<ContactPointId>,
    /// The strategy, its version and the step that planned it.
    pub strategy: Option<String>,
    pub strategy_version: Option<u32>,
    pub step: String,
    /// The experiment arm, when the step is under an experiment.
    pub arm: Option<String>,
    pub channel: Channel,
    pub template: Option<String>,
    /// The agent queue, for a `task` step (the channel is then `voice`: an agent calls).
    pub queue: Option<String>,
    /// When to send (UTC), chosen inside the allowed window of the debtor's local time.
    pub scheduled_for: DateTime<Utc>,
    /// The debtor's local date the contact was planned for (part of the key).
    pub local_date: NaiveDate,
    /// Why it was planned: the rule trail the planner's `--explain` shows.
    pub reason: String,
}

impl NewContact {
    pub fn key(&self) -> String {
        contact_key(self.debt_id, self.local_date, self.channel, &self.step)
    }
}

/// The step of an answer to a debtor's message (an automatic answer, an agent's reply,
/// thanks for a kept promise).
pub const ANSWER_STEP: &str = "reply";

/// A stored contact (an outbox row).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Contact {
    pub id: ContactId,
    pub debtor_id: DebtorId,
    pub debt_id: DebtId,
    pub covers: Vec<DebtId>,
    pub contact_point_id: Option<ContactPointId>,
    pub strategy: Option<String>,
    pub strategy_version: Option<u32>,
    pub step: String,
    pub arm: Option<String>,
    pub channel: Channel,
    pub template: Option<String>,
    pub queue: Option<String>,
    pub scheduled_for: DateTime<Utc>,
    pub local_date: NaiveDate,
    pub state: ContactState,
    pub attempts: u32,
    pub idempotency_key: String,
    pub reason: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The debtor's message this contact answers (an automatic answer or an agent's reply):
    /// it goes despite caps (answering is not a new contact), inside the contact hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<MessageId>,
    /// An agent's own words, sent instead of a template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

impl Contact {
    /// Whether it answers the debtor (see [`ANSWER_STEP`]) rather than a strategy's step.
    pub fn is_answer(&self) -> bool {
        self.step == ANSWER_STEP
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_names_debt_day_channel_and_step() {
        let debt = DebtId::generate();
        let day = NaiveDate::from_ymd_opt(2026, 12, 9).expect("date");
        let key = contact_key(debt, day, Channel::Sms, "late-3");
        assert_eq!(
            key,
            format!("ck1:{debt}:{day}:sms:late-3"),
            "the key's written form"
        );
        for d in [
            NaiveDate::from_ymd_opt(1, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(999, 12, 31).unwrap(),
            NaiveDate::from_ymd_opt(2026, 2, 28).unwrap(),
            NaiveDate::from_ymd_opt(9999, 12, 31).unwrap(),
            NaiveDate::from_ymd_opt(10000, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(-5, 3, 4).unwrap(),
        ] {
            let mut s = String::new();
            write_date(&mut s, d);
            assert_eq!(s, d.to_string());
        }
        assert_eq!(key, format!("ck1:{debt}:2026-12-09:sms:late-3"));
        // Each part changes the key.
        let other_day = day.succ_opt().expect("date");
        for other in [
            contact_key(DebtId::generate(), day, Channel::Sms, "late-3"),
            contact_key(debt, other_day, Channel::Sms, "late-3"),
            contact_key(debt, day, Channel::Email, "late-3"),
            contact_key(debt, day, Channel::Sms, "late-30"),
        ] {
            assert_ne!(key, other);
        }
        assert_eq!(
            key,
            contact_key(debt, day, Channel::Sms, "late-3"),
            "stable"
        );
    }
}
