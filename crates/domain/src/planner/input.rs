//! What the planner reads about one debtor ([`DebtorFile`]), and the tenant's settings
//! ([`PlanOptions`]).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use crate::DebtId;
use crate::event::Event;
use crate::outbox::ContactState;
use crate::portfolio::{Channel, ContactPoint, Debt, Debtor};

/// Planner settings of a tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanOptions {
    /// At most one contact a day per debtor across all their debts, on every channel (one
    /// message covers the debts due for contact on the same channel):
    /// [`one_contact_a_day`](super::one_contact_per_day_limit). On by default.
    pub one_contact_per_day: bool,
    /// Days after a promise's date that the promise still pauses the debt (the tenant's
    /// `promise_grace_days`): the pause lasts to the end of the promised date plus these days.
    pub promise_grace_days: u32,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            one_contact_per_day: true,
            promise_grace_days: 0,
        }
    }
}

/// One debt as the planner needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct DebtFile {
    pub debt: Debt,
    /// The date of the promise to pay that is running, when the debt is `promised`: the pause
    /// lasts to the end of that local day.
    pub promise_due: Option<NaiveDate>,
    /// Until when collection of the debt is held (the latest running hold), if it is.
    pub held_until: Option<DateTime<Utc>>,
}

/// A contact already in the outbox for the debtor (any debt).
#[derive(Debug, Clone, PartialEq)]
pub struct PriorContact {
    pub debt: DebtId,
    pub covers: Vec<DebtId>,
    pub strategy: Option<String>,
    pub step: String,
    pub channel: Channel,
    pub scheduled_for: DateTime<Utc>,
    pub local_date: NaiveDate,
    pub state: ContactState,
    /// When it was planned.
    pub created_at: DateTime<Utc>,
}

impl PriorContact {
    pub(super) fn is_about(&self, debt: DebtId) -> bool {
        self.debt == debt || self.covers.contains(&debt)
    }
}

/// Everything the planner reads about one debtor.
#[derive(Debug, Clone, PartialEq)]
pub struct DebtorFile {
    pub debtor: Debtor,
    /// As the store reads them for planning a batch: without the address (empty), the postal
    /// address and the consent's source and time (`None`), which no decision depends on (the
    /// debtor comes without name and identity document, too).
    pub contact_points: Vec<ContactPoint>,
    /// The debtor's active debts (not paid, not written off).
    pub debts: Vec<DebtFile>,
    /// The debtor's recent timeline (every debt), oldest first.
    pub events: Vec<Event>,
    /// The debtor's recent outbox rows (at least the last 31 days), oldest first.
    pub contacts: Vec<PriorContact>,
    /// Model scores (`ptp`), empty when none.
    pub score: BTreeMap<String, f64>,
}
