//! The contact-policy evaluator: one proposed contact in, one [`Decision`] out.
//!
//! The layers apply strictest-wins (GUIDE §6, `docs/policy.md`, section "The evaluator"):
//!
//! 1. consent and opt-out of the contact point: permanent, so they [`Decision::Deny`] first;
//! 2. runtime pauses (promise, dispute, plan): an open-ended pause denies, a bounded one defers;
//! 3. the jurisdiction preset (windows, holidays), the tenant policy (narrower windows, extra
//!    days off), the debtor's preferences (weekdays, hours) and every limit (preset's and
//!    tenant's) over the contacts already made or planned.
//!
//! When the contact is allowed at `now`, the decision is `Send { at: now }`. Otherwise the
//! evaluator searches forward for the earliest instant at which every rule holds and answers
//! `Defer { until, reason }` (the reason being the first rule that fails at `now`, or the pause),
//! or `Deny { reason: no_window }` when nothing within the horizon (14 days by default, counted
//! from the end of any pause) is allowed.
//!
//! Every rule is computed in the debtor's local time (`chrono_tz::Tz`): local calendar days,
//! weekdays and windows. A window start that does not exist (a spring-forward gap) moves to the
//! first instant that exists after it; an ambiguous one (a fall-back overlap) is tried at its
//! earlier instant first, then at its later one.
//!
//! Pure: no I/O, no clock reads; `now` is an argument.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeZone, Timelike, Utc, Weekday,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::{ChannelRule, ChannelSet, CountScope, Limit, Preset, WeekWindows, WindowBasis};
use crate::DebtId;
use crate::calendar::HolidayCalendar;
use crate::portfolio::{Channel, ConsentStatus, Preferences};

/// How many days past the start of the search (now, or the end of a pause) the evaluator looks
/// for an allowed instant before it answers `no_window`.
pub const DEFAULT_HORIZON_DAYS: u32 = 14;

const SECONDS_PER_DAY: u32 = 86_400;

// ---------------------------------------------------------------------------------------------
// Output.

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
    /// No allowed instant within the search horizon.
    NoWindow,
    /// The debtor has no usable contact point on the channel (nor on any fallback).
    NoContactPoint,
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
        ReasonCode::NoWindow,
        ReasonCode::NoContactPoint,
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
            ReasonCode::NoWindow => "no_window",
            ReasonCode::NoContactPoint => "no_contact_point",
        }
    }

    /// Whether waiting cannot lift the reason (only a change of consent or of the debtor's
    /// contact points can).
    pub fn is_permanent(self) -> bool {
        matches!(
            self,
            ReasonCode::NoConsent | ReasonCode::OptedOut | ReasonCode::NoContactPoint
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
        for c in &self.checks {
            line(&mut out, c);
        }
        if !self.checks_at_until.is_empty() {
            out.push_str("at the deferred time:\n");
            for c in &self.checks_at_until {
                line(&mut out, c);
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Input.

/// The tenant's own policy: it can only narrow the preset (see [`TenantPolicy::windows`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantPolicy {
    /// Windows per channel in the debtor's local time. For a channel whose preset windows are
    /// the law's ([`WindowBasis::Law`]) they are intersected with the preset's, so a wider
    /// window is cut to the preset's; where the preset's windows are only a default
    /// ([`WindowBasis::Default`]), the tenant's replace them, as the preset files document.
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
}

impl PauseKind {
    pub fn reason(self) -> ReasonCode {
        match self {
            PauseKind::Promise => ReasonCode::PausedPromise,
            PauseKind::Dispute => ReasonCode::PausedDispute,
            PauseKind::Plan => ReasonCode::PausedPlan,
        }
    }

    /// Which pause names an open-ended denial when several apply.
    fn rank(self) -> u8 {
        match self {
            PauseKind::Dispute => 0,
            PauseKind::Plan => 1,
            PauseKind::Promise => 2,
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

/// The static layers for one debtor: build once, evaluate many contacts.
#[derive(Debug, Clone)]
pub struct Evaluator<'a> {
    pub preset: &'a Preset,
    pub tenant: &'a TenantPolicy,
    /// The holiday calendar of the debtor's jurisdiction.
    pub calendar: &'a HolidayCalendar,
    /// The debtor's time zone: every rule is computed in it.
    pub timezone: Tz,
    pub preferences: &'a Preferences,
    /// See [`DEFAULT_HORIZON_DAYS`].
    pub horizon_days: u32,
}

// ---------------------------------------------------------------------------------------------
// Evaluation.

/// A history entry with its local date, computed once per evaluation.
struct Seen<'h> {
    at: DateTime<Utc>,
    date: NaiveDate,
    contact: &'h PastContact,
}

/// A limit and where it came from.
struct ActiveLimit<'l> {
    limit: &'l Limit,
    layer: Layer,
}

/// What one evaluation needs, prepared once.
struct Prepared<'e> {
    contact: ProposedContact,
    rule: &'e ChannelRule,
    tenant_windows: Option<&'e WeekWindows>,
    /// Whether the preset's windows apply (false when a tenant replaces default windows).
    preset_windows_apply: bool,
    /// The debtor's hours as `[from, to)` seconds after midnight.
    debtor_hours: Vec<(u32, u32)>,
    limits: Vec<ActiveLimit<'e>>,
    history: Vec<Seen<'e>>,
}

/// Collects rule outcomes; stops at the first failure unless it keeps a trace.
struct Recorder<'t> {
    trace: Option<&'t mut Vec<RuleCheck>>,
    first: Option<ReasonCode>,
}

impl Recorder<'_> {
    /// Records one rule; returns true when the evaluation may stop (a failure, no trace).
    fn check(
        &mut self,
        layer: Layer,
        rule: impl FnOnce() -> String,
        failed: Option<ReasonCode>,
        detail: impl FnOnce() -> String,
    ) -> bool {
        if self.first.is_none() {
            self.first = failed;
        }
        match &mut self.trace {
            Some(t) => {
                t.push(RuleCheck {
                    layer,
                    rule: rule(),
                    failed,
                    detail: detail(),
                });
                false
            }
            None => failed.is_some(),
        }
    }
}

impl<'a> Evaluator<'a> {
    pub fn new(
        preset: &'a Preset,
        tenant: &'a TenantPolicy,
        calendar: &'a HolidayCalendar,
        timezone: Tz,
        preferences: &'a Preferences,
    ) -> Evaluator<'a> {
        Evaluator {
            preset,
            tenant,
            calendar,
            timezone,
            preferences,
            horizon_days: DEFAULT_HORIZON_DAYS,
        }
    }

    /// The same evaluator with another search horizon (at least one day).
    pub fn with_horizon_days(mut self, days: u32) -> Evaluator<'a> {
        self.horizon_days = days.max(1);
        self
    }

    /// Decides one contact at `now`.
    pub fn evaluate(
        &self,
        contact: &ProposedContact,
        state: &RuntimeState<'_>,
        now: DateTime<Utc>,
    ) -> Decision {
        self.run(contact, state, now, None).0
    }

    /// Decides one contact at `now` and lists every rule considered.
    pub fn explain(
        &self,
        contact: &ProposedContact,
        state: &RuntimeState<'_>,
        now: DateTime<Utc>,
    ) -> Explanation {
        let mut checks = Vec::new();
        let (decision, prepared) = self.run(contact, state, now, Some(&mut checks));
        let mut checks_at_until = Vec::new();
        if let (Decision::Defer { until, .. }, Some(p)) = (decision, prepared) {
            let mut r = Recorder {
                trace: Some(&mut checks_at_until),
                first: None,
            };
            self.check_at(&p, until, &mut r);
        }
        Explanation {
            decision,
            now,
            checks,
            checks_at_until,
        }
    }

    fn run<'s>(
        &'s self,
        contact: &ProposedContact,
        state: &RuntimeState<'s>,
        now: DateTime<Utc>,
        trace: Option<&mut Vec<RuleCheck>>,
    ) -> (Decision, Option<Prepared<'s>>) {
        let mut r = Recorder { trace, first: None };
        let rule = self.preset.channel(contact.channel);

        // 1. Consent and opt-out: permanent.
        let opted_out = contact.opted_out || contact.consent == ConsentStatus::OptedOut;
        r.check(
            Layer::ContactPoint,
            || "contact_point.opt_out".into(),
            opted_out.then_some(ReasonCode::OptedOut),
            || format!("opted out: {opted_out}"),
        );
        let no_consent = contact.consent == ConsentStatus::Denied
            || (rule.consent_required && contact.consent != ConsentStatus::Granted);
        r.check(
            Layer::ContactPoint,
            || "contact_point.consent".into(),
            (!opted_out && no_consent).then_some(ReasonCode::NoConsent),
            || {
                format!(
                    "consent {}; {} requires consent: {}",
                    contact.consent, contact.channel, rule.consent_required
                )
            },
        );
        if let Some(reason) = r.first {
            return (Decision::Deny { reason }, None);
        }

        // 2. Pauses.
        let active: Vec<&Pause> = state
            .pauses
            .iter()
            .filter(|p| p.until.is_none_or(|u| u > now))
            .collect();
        let open_ended = active
            .iter()
            .filter(|p| p.until.is_none())
            .min_by_key(|p| p.kind.rank());
        let bounded = active
            .iter()
            .filter_map(|p| p.until.map(|u| (u, p.kind)))
            .max_by_key(|(u, k)| (*u, std::cmp::Reverse(k.rank())));
        r.check(
            Layer::Runtime,
            || "runtime.pause".into(),
            open_ended
                .map(|p| p.kind.reason())
                .or(bounded.map(|(_, k)| k.reason())),
            || match (open_ended, bounded) {
                (Some(p), _) => format!("{:?} pause without an end", p.kind).to_lowercase(),
                (None, Some((u, k))) => {
                    format!("{k:?} pause until {}", u.to_rfc3339()).to_lowercase()
                }
                (None, None) => "no active pause".into(),
            },
        );
        if let Some(p) = open_ended {
            if r.trace.is_some() {
                let prepared = self.prepare(contact, state);
                self.check_at(&prepared, now, &mut r);
            }
            return (
                Decision::Deny {
                    reason: p.kind.reason(),
                },
                None,
            );
        }

        // 3. Windows, days and limits.
        let prepared = self.prepare(contact, state);
        let (start, pause_reason) = match bounded {
            Some((until, kind)) => (until, Some(kind.reason())),
            None => (now, None),
        };
        let first_at_now = {
            let before = r.first;
            r.first = None;
            self.check_at(&prepared, now, &mut r);
            let at_now = r.first;
            r.first = before.or(at_now);
            at_now
        };
        if pause_reason.is_none() && first_at_now.is_none() {
            return (Decision::Send { at: now }, Some(prepared));
        }
        let reason = pause_reason
            .or(first_at_now)
            .unwrap_or(ReasonCode::NoWindow);
        let decision = match self.search(&prepared, start) {
            Some(until) => Decision::Defer { until, reason },
            None => Decision::Deny {
                reason: ReasonCode::NoWindow,
            },
        };
        if let (Decision::Deny { .. }, Some(t)) = (decision, &mut r.trace) {
            t.push(RuleCheck {
                layer: Layer::Runtime,
                rule: "search".into(),
                failed: Some(ReasonCode::NoWindow),
                detail: format!(
                    "no allowed instant within {} days of {}",
                    self.horizon_days,
                    start.to_rfc3339()
                ),
            });
        }
        (decision, Some(prepared))
    }

    fn prepare<'s>(&'s self, contact: &ProposedContact, state: &RuntimeState<'s>) -> Prepared<'s> {
        let rule = self.preset.channel(contact.channel);
        let tenant_windows = self.tenant.windows.get(&contact.channel);
        let preset_windows_apply = tenant_windows.is_none() || rule.basis == WindowBasis::Law;
        let debtor_hours = match self.preferences.allowed_hours {
            None => Vec::new(),
            Some(h) => {
                let (f, t) = (
                    h.from.num_seconds_from_midnight(),
                    h.to.num_seconds_from_midnight(),
                );
                if f < t {
                    vec![(f, t)]
                } else if f == t {
                    vec![(0, SECONDS_PER_DAY)]
                } else if t == 0 {
                    vec![(f, SECONDS_PER_DAY)]
                } else {
                    vec![(0, t), (f, SECONDS_PER_DAY)]
                }
            }
        };
        let limits = self
            .preset
            .limits()
            .iter()
            .map(|l| ActiveLimit {
                limit: l,
                layer: Layer::Jurisdiction,
            })
            .chain(self.tenant.limits.iter().map(|l| ActiveLimit {
                limit: l,
                layer: Layer::Tenant,
            }))
            .filter(|a| a.limit.channels.contains(contact.channel))
            .collect();
        let history = state
            .history
            .iter()
            .map(|c| Seen {
                at: c.at,
                date: c.at.with_timezone(&self.timezone).date_naive(),
                contact: c,
            })
            .collect();
        Prepared {
            contact: *contact,
            rule,
            tenant_windows,
            preset_windows_apply,
            debtor_hours,
            limits,
            history,
        }
    }

    /// Checks the time, day and limit rules at instant `t`; the recorder keeps the first
    /// failure.
    fn check_at(&self, p: &Prepared<'_>, t: DateTime<Utc>, r: &mut Recorder<'_>) {
        let local = t.with_timezone(&self.timezone);
        let date = local.date_naive();
        let weekday = date.weekday();
        let time = local.time();
        let secs = time.num_seconds_from_midnight();

        // Jurisdiction: holidays, then windows.
        let holiday = !p.rule.on_holidays && self.calendar.is_holiday(date);
        if r.check(
            Layer::Jurisdiction,
            || "preset.holidays".into(),
            holiday.then_some(ReasonCode::Holiday),
            || match self.calendar.holiday_name(date) {
                Some(name) => format!(
                    "{date} is a holiday ({name}); {} allowed on holidays: {}",
                    p.contact.channel, p.rule.on_holidays
                ),
                None => format!("{date} is not a holiday"),
            },
        ) {
            return;
        }
        if p.preset_windows_apply {
            if r.check(
                Layer::Jurisdiction,
                || "preset.windows".into(),
                window_failure(&p.rule.windows, weekday, time),
                || describe_windows(&p.rule.windows, weekday, local.naive_local()),
            ) {
                return;
            }
        } else if let Some(t) = &mut r.trace {
            t.push(RuleCheck {
                layer: Layer::Jurisdiction,
                rule: "preset.windows".into(),
                failed: None,
                detail: "default windows replaced by the tenant's".into(),
            });
        }

        // Tenant: days off, windows.
        let day_off = self.tenant.do_not_contact_days.contains(&date);
        if r.check(
            Layer::Tenant,
            || "tenant.do_not_contact_days".into(),
            day_off.then_some(ReasonCode::DoNotContactDay),
            || format!("{date} is a do-not-contact day: {day_off}"),
        ) {
            return;
        }
        if let Some(w) = p.tenant_windows
            && r.check(
                Layer::Tenant,
                || "tenant.windows".into(),
                window_failure(w, weekday, time),
                || describe_windows(w, weekday, local.naive_local()),
            )
        {
            return;
        }

        // Debtor: weekdays, hours.
        let days = &self.preferences.allowed_weekdays;
        let day_ok = days.is_empty() || days.iter().any(|d| d.0 == weekday);
        if r.check(
            Layer::Debtor,
            || "debtor.weekdays".into(),
            (!day_ok).then_some(ReasonCode::WeekdayNotAllowed),
            || {
                if days.is_empty() {
                    "no restriction".into()
                } else {
                    let list: Vec<String> = days.iter().map(|d| d.0.to_string()).collect();
                    format!("{weekday} among [{}]: {day_ok}", list.join(", "))
                }
            },
        ) {
            return;
        }
        let hours_ok = p.debtor_hours.is_empty()
            || p.debtor_hours.iter().any(|(f, t)| *f <= secs && secs < *t);
        if r.check(
            Layer::Debtor,
            || "debtor.hours".into(),
            (!hours_ok).then_some(ReasonCode::DebtorHours),
            || match self.preferences.allowed_hours {
                None => "no restriction".into(),
                Some(h) => format!("{time} in {}-{}: {hours_ok}", h.from, h.to),
            },
        ) {
            return;
        }

        // Limits.
        for a in &p.limits {
            if self.check_limit(p, a, t, date, r) {
                return;
            }
        }
    }

    /// Checks one limit at `t` (local date `date`); true when the evaluation may stop.
    fn check_limit(
        &self,
        p: &Prepared<'_>,
        a: &ActiveLimit<'_>,
        t: DateTime<Utc>,
        date: NaiveDate,
        r: &mut Recorder<'_>,
    ) -> bool {
        let l = a.limit;
        let same_debt =
            |c: &PastContact| l.count == CountScope::PerDebtor || c.debt == p.contact.debt;
        let scoped = || {
            p.history
                .iter()
                .filter(|s| l.channels.contains(s.contact.channel) && same_debt(s.contact))
        };
        let name = |what: &str| format!("limit.{}.{what}", l.id);

        if let Some(cap) = l.per_day {
            let n = scoped().filter(|s| s.date == date).count();
            if r.check(
                a.layer,
                || name("per_day"),
                (n as u64 + 1 > u64::from(cap)).then_some(ReasonCode::CapDaily),
                || format!("{n} on {date}, at most {cap} a day"),
            ) {
                return true;
            }
        }
        if let Some(cap) = l.per_7_days {
            // Every run of 7 consecutive local days that contains `date`.
            let worst = (0..7)
                .map(|back| {
                    let first = date - Duration::days(back);
                    let last = first + Duration::days(6);
                    scoped()
                        .filter(|s| first <= s.date && s.date <= last)
                        .count()
                })
                .max()
                .unwrap_or(0);
            if r.check(
                a.layer,
                || name("per_7_days"),
                (worst as u64 + 1 > u64::from(cap)).then_some(ReasonCode::CapWeekly),
                || format!("{worst} in the busiest 7 days around {date}, at most {cap}"),
            ) {
                return true;
            }
        }
        if let Some(cap) = l.per_month {
            let n = scoped()
                .filter(|s| s.date.year() == date.year() && s.date.month() == date.month())
                .count();
            if r.check(
                a.layer,
                || name("per_month"),
                (n as u64 + 1 > u64::from(cap)).then_some(ReasonCode::CapMonthly),
                || {
                    format!(
                        "{n} in {}-{:02}, at most {cap} a month",
                        date.year(),
                        date.month()
                    )
                },
            ) {
                return true;
            }
        }
        if let Some(cap) = l.max_channels_per_7_days {
            let worst = (0..7)
                .map(|back| {
                    let first = date - Duration::days(back);
                    let last = first + Duration::days(6);
                    scoped()
                        .filter(|s| first <= s.date && s.date <= last)
                        .map(|s| s.contact.channel)
                        .chain([p.contact.channel])
                        .collect::<ChannelSet>()
                        .len()
                })
                .max()
                .unwrap_or(1);
            if r.check(
                a.layer,
                || name("max_channels_per_7_days"),
                (worst as u64 > u64::from(cap)).then_some(ReasonCode::CapWeeklyChannels),
                || {
                    format!(
                        "{worst} distinct channel(s) with {} in the busiest 7 days around {date}, at most {cap}",
                        p.contact.channel
                    )
                },
            ) {
                return true;
            }
        }
        if let Some(gap) = l.min_gap {
            let too_close = scoped().find(|s| {
                gap.days
                    .is_some_and(|d| (s.date - date).num_days().unsigned_abs() < u64::from(d))
                    || gap.hours.is_some_and(|h| {
                        (s.at - t).num_seconds().unsigned_abs() < u64::from(h) * 3600
                    })
            });
            if r.check(
                a.layer,
                || name("min_gap"),
                too_close.map(|_| ReasonCode::MinGap),
                || match too_close {
                    Some(s) => format!(
                        "{} on {} is closer than {}",
                        s.contact.channel,
                        s.at.to_rfc3339(),
                        describe_gap(gap.days, gap.hours)
                    ),
                    None => format!(
                        "no counted contact closer than {}",
                        describe_gap(gap.days, gap.hours)
                    ),
                },
            ) {
                return true;
            }
        }
        if let Some(days) = l.after_conversation_days {
            // The conversation's local date is day 1.
            let blocking = p.history.iter().find(|s| {
                s.contact.conversation
                    && same_debt(s.contact)
                    && s.date <= date
                    && (date - s.date).num_days() < i64::from(days)
            });
            if r.check(
                a.layer,
                || name("after_conversation_days"),
                blocking.map(|_| ReasonCode::AfterConversation),
                || match blocking {
                    Some(s) => format!("conversation on {} (day 1 of {days})", s.date),
                    None => format!("no conversation in the last {days} days"),
                },
            ) {
                return true;
            }
        }
        false
    }

    /// Whether every rule holds at `t`.
    fn allowed_at(&self, p: &Prepared<'_>, t: DateTime<Utc>) -> bool {
        let mut r = Recorder {
            trace: None,
            first: None,
        };
        self.check_at(p, t, &mut r);
        r.first.is_none()
    }

    /// The earliest instant at or after `start`, within the horizon, at which every rule
    /// holds.
    ///
    /// Whether the rules hold can only change where the local date changes (midnights), where
    /// the local time reaches a window start (the preset's, the tenant's or the debtor's; both
    /// instants of an ambiguous one), at a UTC-offset change, and where a `min_gap` in hours
    /// runs out. Those instants are the only candidates after `start` itself.
    fn search(&self, p: &Prepared<'_>, start: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.allowed_at(p, start) {
            return Some(start);
        }
        let end = start + Duration::days(i64::from(self.horizon_days));
        let tz = self.timezone;
        // Where a `min_gap` in hours runs out.
        let mut expiries: Vec<DateTime<Utc>> = p
            .limits
            .iter()
            .filter_map(|a| a.limit.min_gap.and_then(|g| g.hours))
            .flat_map(|h| {
                p.history
                    .iter()
                    .map(move |s| s.at + Duration::hours(i64::from(h)))
            })
            .filter(|e| *e > start && *e <= end)
            .collect();
        expiries.sort_unstable();
        // Day by day (local dates only move forward), so the search stops at the first day
        // with an allowed instant.
        let mut day = start.with_timezone(&tz).date_naive();
        let (mut day_start, _) = resolve_local(tz, day.and_time(NaiveTime::MIN));
        let mut candidates: Vec<DateTime<Utc>> = Vec::new();
        while day_start <= end {
            let next_day = day + Duration::days(1);
            let (next_start, _) = resolve_local(tz, next_day.and_time(NaiveTime::MIN));
            candidates.clear();
            candidates.push(day_start);
            let weekday = day.weekday();
            let mut starts: Vec<u32> = Vec::new();
            if p.preset_windows_apply {
                starts.extend(
                    p.rule
                        .windows
                        .on(weekday)
                        .iter()
                        .map(|w| u32::from(w.start_minute()) * 60),
                );
            }
            if let Some(w) = p.tenant_windows {
                starts.extend(
                    w.on(weekday)
                        .iter()
                        .map(|w| u32::from(w.start_minute()) * 60),
                );
            }
            starts.extend(p.debtor_hours.iter().map(|(f, _)| *f));
            for s in starts.into_iter().filter(|s| *s > 0) {
                let (a, b) = resolve_local(tz, day.and_time(seconds_to_time(s)));
                candidates.push(a);
                candidates.extend(b);
            }
            // A UTC-offset change inside the day.
            if let Some(tr) = offset_change(tz, day_start, next_start) {
                candidates.push(tr);
            }
            candidates.extend(
                expiries
                    .iter()
                    .filter(|e| day_start <= **e && **e < next_start),
            );
            candidates.retain(|c| *c > start && *c <= end);
            candidates.sort_unstable();
            candidates.dedup();
            if let Some(found) = candidates.iter().find(|c| self.allowed_at(p, **c)) {
                return Some(*found);
            }
            if next_start <= day_start {
                break; // cannot happen with real zones; never loop forever
            }
            day = next_day;
            day_start = next_start;
        }
        None
    }
}

/// Why `time` on `day` is outside `windows`, if it is.
fn window_failure(windows: &WeekWindows, day: Weekday, time: NaiveTime) -> Option<ReasonCode> {
    let list = windows.on(day);
    if list.is_empty() {
        Some(ReasonCode::WeekdayNotAllowed)
    } else if list.iter().any(|w| w.contains(time)) {
        None
    } else {
        Some(ReasonCode::QuietHours)
    }
}

fn describe_windows(windows: &WeekWindows, day: Weekday, local: NaiveDateTime) -> String {
    let list: Vec<String> = windows.on(day).iter().map(|w| w.to_string()).collect();
    if list.is_empty() {
        format!("{local} local: no window on {day}")
    } else {
        format!("{local} local: {day} windows [{}]", list.join(", "))
    }
}

fn describe_gap(days: Option<u32>, hours: Option<u32>) -> String {
    match (days, hours) {
        (Some(d), Some(h)) => format!("{d} day(s) and {h} hour(s)"),
        (Some(d), None) => format!("{d} day(s)"),
        (None, Some(h)) => format!("{h} hour(s)"),
        (None, None) => "nothing".into(),
    }
}

fn seconds_to_time(s: u32) -> NaiveTime {
    NaiveTime::from_num_seconds_from_midnight_opt(s.min(SECONDS_PER_DAY - 1), 0)
        .unwrap_or(NaiveTime::MIN)
}

/// The instant of a local date-time: (earliest, later one if ambiguous). A local time that
/// does not exist (a spring-forward gap) resolves to the first instant that exists after it.
fn resolve_local(tz: Tz, local: NaiveDateTime) -> (DateTime<Utc>, Option<DateTime<Utc>>) {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => (t.with_timezone(&Utc), None),
        LocalResult::Ambiguous(a, b) => {
            let (a, b) = (a.with_timezone(&Utc), b.with_timezone(&Utc));
            (a.min(b), Some(a.max(b)))
        }
        LocalResult::None => (first_after_gap(tz, local), None),
    }
}

/// The first existing instant after a local time inside a gap: the offset change itself.
fn first_after_gap(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    // Both offsets around the gap, read a day either side.
    let as_utc = local.and_utc();
    let before = tz
        .offset_from_utc_datetime(&(as_utc - Duration::days(1)).naive_utc())
        .fix();
    let after = tz
        .offset_from_utc_datetime(&(as_utc + Duration::days(1)).naive_utc())
        .fix();
    // `local` read with the old offset lies after the change; with the new one, before it.
    let late = local - before;
    let early = local - after;
    let (lo, hi) = (early.min(late).and_utc(), early.max(late).and_utc());
    // The change is the first instant whose local time is past `local`.
    let past = |t: DateTime<Utc>| t.with_timezone(&tz).naive_local() > local;
    bisect(lo, hi, past).unwrap_or(hi)
}

/// The first instant in `(lo, hi]` where `pred` holds, given it is false then true; to the
/// whole second.
fn bisect(
    lo: DateTime<Utc>,
    hi: DateTime<Utc>,
    pred: impl Fn(DateTime<Utc>) -> bool,
) -> Option<DateTime<Utc>> {
    let at = |s: i64| DateTime::<Utc>::from_timestamp(s, 0);
    let (mut lo, mut hi) = (lo.timestamp(), hi.timestamp());
    if !at(hi).is_some_and(&pred) {
        return None;
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if at(mid).is_some_and(&pred) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    at(hi)
}

/// The instant in `(from, to)` where the UTC offset changes, if it does.
fn offset_change(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let offset = |t: DateTime<Utc>| tz.offset_from_utc_datetime(&t.naive_utc()).fix();
    let last = to - Duration::seconds(1);
    if last <= from || offset(from) == offset(last) {
        return None;
    }
    let start = offset(from);
    bisect(from, last, |t| offset(t) != start)
}
