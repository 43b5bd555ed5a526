//! What the planner answers for one debtor and day: a [`DebtorPlan`] of decisions
//! ([`PlanLine`]), the contacts to write, and the debts left quiet ([`Quiet`]) with why.

use serde::Serialize;

use crate::outbox::NewContact;
use crate::policy::{Decision, ReasonCode};
use crate::portfolio::{Channel, StrategyAssignment};
use crate::{DebtId, DebtorId};

/// One decision about one message of a step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanLine {
    pub debt: DebtId,
    pub debt_external_id: String,
    pub debtor: DebtorId,
    pub debtor_external_id: String,
    pub strategy: String,
    pub version: u32,
    pub step: String,
    /// The channel decided on; for a denial, the step's first channel.
    pub channel: Channel,
    pub decision: Decision,
    pub arm: Option<String>,
    /// When the message is one already chosen today for another debt of the debtor, that
    /// debt's external id: this debt rides along (no second contact).
    pub covered_by: Option<String>,
    /// When this step goes out in place of the step due, denied on every channel (see
    /// `docs/planner.md`, *When the step due cannot go out*): that step's id.
    pub instead_of: Option<String>,
}

impl PlanLine {
    /// The reason code, or `None` for a send.
    pub fn reason(&self) -> Option<ReasonCode> {
        self.decision.reason()
    }
}

/// What happened to a debt that produced no decision today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Quiet {
    /// No active strategy applies to the debt.
    NoStrategy,
    /// The debt's strategy version is no longer stored.
    StrategyMissing,
    /// A `stop_when` condition holds.
    Stopped,
    /// No step is due today (or the due step's `if:` is false, or it waits for an event).
    NothingDue,
}

impl Quiet {
    pub fn as_str(self) -> &'static str {
        match self {
            Quiet::NoStrategy => "no_strategy",
            Quiet::StrategyMissing => "strategy_missing",
            Quiet::Stopped => "stopped",
            Quiet::NothingDue => "nothing_due",
        }
    }
}

/// The plan of one debtor for one day.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DebtorPlan {
    /// The debtor planned.
    pub debtor: Option<DebtorId>,
    /// Decisions, in the order made.
    pub lines: Vec<PlanLine>,
    /// The contacts to write to the outbox (the sends, with the debts each covers).
    pub contacts: Vec<NewContact>,
    /// Debts that started a strategy today.
    pub assignments: Vec<(DebtId, StrategyAssignment)>,
    /// The debtor's segment, when it changed (`Some(None)`: no segment applies any more).
    pub segment: Option<Option<String>>,
    /// Debts with no decision today, and why.
    pub quiet: Vec<(DebtId, Quiet)>,
    /// Conditions that failed at run time (`debt_ext: steps[2].if: …`): treated as false.
    pub errors: Vec<String>,
    /// For `--explain`: what was considered for the debt asked about, line by line.
    pub explain: Vec<String>,
}
