//! The outbox: one row per contact the planner decided to make, from planning to delivery.
//!
//! A contact is keyed by its idempotency key, unique in the outbox: planning the same day twice
//! adds nothing, and a crash between "sent" and "committed" re-sends under the same key (passed
//! to the provider), never a second, different message (GUIDE §10).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::portfolio::{Channel, string_enum};
use crate::{ContactId, ContactPointId, DebtId, DebtorId};

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
    format!("ck1:{debt}:{local_date}:{}:{step}", channel.as_str())
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_names_debt_day_channel_and_step() {
        let debt = DebtId::generate();
        let day = NaiveDate::from_ymd_opt(2026, 12, 9).expect("date");
        let key = contact_key(debt, day, Channel::Sms, "late-3");
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
