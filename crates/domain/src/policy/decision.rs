//! What the evaluator answers: a [`Decision`] with its [`ReasonCode`], and for `--explain`
//! the [`Explanation`]: every rule considered ([`RuleCheck`]) and the [`Layer`] it belongs to.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Why a contact is not sent now: a stable code for planners, reports and `--explain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    /// Outside the allowed hours of the day (preset or tenant windows).
    QuietHours,
    /// A weekday with no allowed window (preset or tenant), or one the debtor excluded.
    WeekdayNotAllowed,
    /// A public holiday of the debtor's jurisdiction, on a channel not allowed on holidays.
    Holiday,
    /// One of the tenant's extra do-not-contact days.
    DoNotContactDay,
    /// Outside the hours the debtor asked for.
    DebtorHours,
    /// A limit's `per_day` is used up on this local day.
    CapDaily,
    /// A limit's `per_7_days` is used up in some 7 consecutive local days around this one.
    CapWeekly,
    /// A limit's `per_month` is used up in this local calendar month.
    CapMonthly,
    /// A limit's `max_channels_per_7_days` would be exceeded by this channel.
    CapWeeklyChannels,
    /// Too close to another contact counted by a limit with a `min_gap`.
    MinGap,
    /// Within a limit's `after_conversation_days` of a phone conversation.
    AfterConversation,
    /// The channel needs the debtor's consent and the contact point does not have it, or the
    /// debtor denied it.
    NoConsent,
    /// The debtor opted out of this contact point.
    OptedOut,
    /// A promise to pay is running.
    PausedPromise,
    /// A dispute is open.
    PausedDispute,
    /// A payment plan is running.
    PausedPlan,
    /// Collection is held a few days (the debtor says it is paid: the receipt is checked).
    PausedHold,
    /// No allowed instant within the search horizon.
    NoWindow,
    /// The debtor has no usable contact point on the channel (nor on any fallback).
    NoContactPoint,
    /// A letter to a debtor who chose to receive no paper (whatever address they have).
    Paperless,
}

impl ReasonCode {
    pub const ALL: &'static [ReasonCode] = &[
        ReasonCode::QuietHours,
        ReasonCode::WeekdayNotAllowed,
        ReasonCode::Holiday,
        ReasonCode::DoNotContactDay,
        ReasonCode::DebtorHours,
        ReasonCode::CapDaily,
        ReasonCode::CapWeekly,
        ReasonCode::CapMonthly,
        ReasonCode::CapWeeklyChannels,
        ReasonCode::MinGap,
        ReasonCode::AfterConversation,
        ReasonCode::NoConsent,
        ReasonCode::OptedOut,
        ReasonCode::PausedPromise,
        ReasonCode::PausedDispute,
        ReasonCode::PausedPlan,
        ReasonCode::PausedHold,
        ReasonCode::NoWindow,
        ReasonCode::NoContactPoint,
        ReasonCode::Paperless,
    ];

    /// The code as written in JSON and logs (`cap_weekly_channels`).
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCode::QuietHours => "quiet_hours",
            ReasonCode::WeekdayNotAllowed => "weekday_not_allowed",
            ReasonCode::Holiday => "holiday",
            ReasonCode::DoNotContactDay => "do_not_contact_day",
            ReasonCode::DebtorHours => "debtor_hours",
            ReasonCode::CapDaily => "cap_daily",
            ReasonCode::CapWeekly => "cap_weekly",
            ReasonCode::CapMonthly => "cap_monthly",
            ReasonCode::CapWeeklyChannels => "cap_weekly_channels",
            ReasonCode::MinGap => "min_gap",
            ReasonCode::AfterConversation => "after_conversation",
            ReasonCode::NoConsent => "no_consent",
            ReasonCode::OptedOut => "opted_out",
            ReasonCode::PausedPromise => "paused_promise",
            ReasonCode::PausedDispute => "paused_dispute",
            ReasonCode::PausedPlan => "paused_plan",
            ReasonCode::PausedHold => "paused_hold",
            ReasonCode::NoWindow => "no_window",
            ReasonCode::NoContactPoint => "no_contact_point",
            ReasonCode::Paperless => "paperless",
        }
    }

    /// Whether waiting cannot lift the reason (only a change of consent or of the debtor's
    /// contact points can).
    pub fn is_permanent(self) -> bool {
        matches!(
            self,
            ReasonCode::NoConsent
                | ReasonCode::OptedOut
                | ReasonCode::NoContactPoint
                | ReasonCode::Paperless
        )
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What to do with a proposed contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    /// Allowed now: send at `at` (= `now`).
    Send { at: DateTime<Utc> },
    /// Not now; `until` is the earliest instant at which every rule holds.
    Defer {
        until: DateTime<Utc>,
        reason: ReasonCode,
    },
    /// Not at all (until consent, the pause or the policy changes).
    Deny { reason: ReasonCode },
}

impl Decision {
    /// `send`, `defer` or `deny`.
    pub fn kind(&self) -> &'static str {
        match self {
            Decision::Send { .. } => "send",
            Decision::Defer { .. } => "defer",
            Decision::Deny { .. } => "deny",
        }
    }

    /// The reason, unless the contact is sent.
    pub fn reason(&self) -> Option<ReasonCode> {
        match self {
            Decision::Send { .. } => None,
            Decision::Defer { reason, .. } | Decision::Deny { reason } => Some(*reason),
        }
    }

    /// When the contact may go out: `at` of a send, `until` of a defer.
    pub fn send_at(&self) -> Option<DateTime<Utc>> {
        match self {
            Decision::Send { at } => Some(*at),
            Decision::Defer { until, .. } => Some(*until),
            Decision::Deny { .. } => None,
        }
    }
}

/// The layer a rule belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    Jurisdiction,
    Tenant,
    Debtor,
    ContactPoint,
    Runtime,
}

impl Layer {
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Jurisdiction => "jurisdiction",
            Layer::Tenant => "tenant",
            Layer::Debtor => "debtor",
            Layer::ContactPoint => "contact_point",
            Layer::Runtime => "runtime",
        }
    }
}

/// One rule considered, and what it said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleCheck {
    pub layer: Layer,
    /// `preset.windows`, `limit.once_a_day_one_channel_a_week.per_day`, …
    pub rule: String,
    /// `None` when the rule holds; the code it fails with otherwise.
    pub failed: Option<ReasonCode>,
    /// Human-readable facts: the window, the count, the holiday.
    pub detail: String,
}

impl RuleCheck {
    pub fn passed(&self) -> bool {
        self.failed.is_none()
    }
}

/// A decision with the rules behind it, for `recaudo plan --explain`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    pub decision: Decision,
    /// The instant the contact was evaluated at.
    pub now: DateTime<Utc>,
    /// Every rule at `now`, in evaluation order.
    pub checks: Vec<RuleCheck>,
    /// For a defer: every rule at `until` (all hold).
    pub checks_at_until: Vec<RuleCheck>,
}

impl Explanation {
    /// A plain-text rendering, one rule a line.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let decision = match self.decision {
            Decision::Send { at } => format!("send at {}", at.to_rfc3339()),
            Decision::Defer { until, reason } => {
                format!("defer until {} ({reason})", until.to_rfc3339())
            }
            Decision::Deny { reason } => format!("deny ({reason})"),
        };
        out.push_str(&format!("at {}: {decision}\n", self.now.to_rfc3339()));
        let line = |out: &mut String, c: &RuleCheck| {
            let verdict = match c.failed {
                None => "ok".to_string(),
                Some(r) => format!("FAIL {r}"),
            };
            out.push_str(&format!(
                "  [{}] {}: {verdict} — {}\n",
                c.layer.as_str(),
                c.rule,
                c.detail
            ));
        };
        for check in &self.checks {
            line(&mut out, check);
        }
        if !self.checks_at_until.is_empty() {
            out.push_str("at the deferred time:\n");
            for check in &self.checks_at_until {
                line(&mut out, check);
            }
        }
        out
    }
}
