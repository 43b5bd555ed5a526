//! What the planner reads and writes: debtors with their active debts, contact points, recent
//! timeline and outbox rows, in batches ordered by debtor id ([`read`]); and a day's plans, in
//! one transaction per batch or group of batches ([`write`]).

mod read;
mod write;
mod writer;

use recaudo_domain::DebtorId;

pub(crate) use write::{PLAN_UPSERT_HEAD, plan_upsert_tail, planner_state_debtor};
pub use writer::{PlanPreparer, PlanWriter, PreparedPlans, WriteStats};

/// How far back the planner reads a debtor's timeline (the CEL `events` and the placements
/// `after:`/`wait_for` see this much).
pub const PLAN_EVENT_DAYS: i64 = 90;

/// How far back the planner reads the outbox: caps count at most a calendar month (31 days),
/// and a step is done once it has a contact. Strategies whose steps span more than this count
/// a step as done through its contact only while the contact is this recent.
pub const PLAN_CONTACT_DAYS: i64 = 400;

/// A range of debtor ids planned together ([`TenantStore::plan_batches`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanBatch {
    /// Ids after this one (`None`: from the first).
    pub after: Option<DebtorId>,
    /// Ids up to this one, included (`None`: to the last).
    pub upto: Option<DebtorId>,
}

/// What one write of plans stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlanWrite {
    /// Contacts new in the outbox (those already there under their key are left alone).
    pub contacts: u64,
    /// Debts that started a strategy.
    pub assignments: u64,
    /// Debtors whose segment changed.
    pub segments: u64,
}

impl std::ops::AddAssign for PlanWrite {
    fn add_assign(&mut self, other: PlanWrite) {
        self.contacts += other.contacts;
        self.assignments += other.assignments;
        self.segments += other.segments;
    }
}
