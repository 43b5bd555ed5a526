//! What the evaluator is given besides the static layers: the tenant's own policy, the proposed
//! contact, and the runtime layer (the debt's pauses, the debtor's contacts so far).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{Limit, ReasonCode, WeekWindows};
use crate::DebtId;
use crate::portfolio::{Channel, ConsentStatus};

/// The tenant's own policy: it can only narrow the preset (see [`TenantPolicy::windows`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantPolicy {
    /// Windows per channel in the debtor's local time. For a channel whose preset windows are
    /// the law's ([`WindowBasis::Law`](super::WindowBasis::Law)) they are intersected with the
    /// preset's, so a wider window is cut to the preset's; where the preset's windows are only a
    /// default ([`WindowBasis::Default`](super::WindowBasis::Default)), the tenant's replace
    /// them, as the preset files document.
    pub windows: BTreeMap<Channel, WeekWindows>,
    /// Caps of the tenant's own, applied on top of the preset's limits (same semantics; the
    /// reason codes are the same).
    pub limits: Vec<Limit>,
    /// Days (local dates) with no contact at all, on any channel.
    pub do_not_contact_days: BTreeSet<NaiveDate>,
}

/// What suspends collection of the debt the contact is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PauseKind {
    Promise,
    Dispute,
    Plan,
    /// A hold of a few days, whatever the strategy lists (a person checks something first).
    Hold,
}

impl PauseKind {
    pub fn reason(self) -> ReasonCode {
        match self {
            PauseKind::Promise => ReasonCode::PausedPromise,
            PauseKind::Dispute => ReasonCode::PausedDispute,
            PauseKind::Plan => ReasonCode::PausedPlan,
            PauseKind::Hold => ReasonCode::PausedHold,
        }
    }

    /// Which pause names an open-ended denial when several apply.
    pub(super) fn rank(self) -> u8 {
        match self {
            PauseKind::Dispute => 0,
            PauseKind::Plan => 1,
            PauseKind::Promise => 2,
            PauseKind::Hold => 3,
        }
    }
}

/// An active pause of the debt. `until: None` is open-ended (a dispute until resolved) and
/// denies; a bounded pause defers to the first allowed instant at or after `until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    pub kind: PauseKind,
    pub until: Option<DateTime<Utc>>,
}

/// A contact already made or planned for the debtor, on any of their debts. The proposed
/// contact itself must not be in the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PastContact {
    pub at: DateTime<Utc>,
    pub channel: Channel,
    pub debt: DebtId,
    /// A phone conversation with the debtor took place (for `after_conversation_days`).
    pub conversation: bool,
}

/// The contact being decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProposedContact {
    pub channel: Channel,
    pub debt: DebtId,
    /// The consent status of the contact point.
    pub consent: ConsentStatus,
    /// Whether the debtor opted out of the contact point (`opted_out_at` is set).
    pub opted_out: bool,
}

/// The runtime layer: pauses of the debt and the debtor's contacts.
#[derive(Debug, Clone, Copy, Default)]
pub struct RuntimeState<'a> {
    pub pauses: &'a [Pause],
    pub history: &'a [PastContact],
}
