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

mod checks;
mod search;

use chrono::{DateTime, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;

use super::{
    ChannelRule, Decision, Explanation, Layer, Limit, PastContact, Pause, Preset, ProposedContact,
    ReasonCode, RuleCheck, RuntimeState, TenantPolicy, WeekWindows, WindowBasis,
};
use crate::calendar::HolidayCalendar;
use crate::portfolio::{ConsentStatus, Preferences};

/// How many days past the start of the search (now, or the end of a pause) the evaluator looks
/// for an allowed instant before it answers `no_window`.
pub const DEFAULT_HORIZON_DAYS: u32 = 14;

const SECONDS_PER_DAY: u32 = 86_400;

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
            Some(trace) => {
                trace.push(RuleCheck {
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
        if let (Decision::Defer { until, .. }, Some(prepared)) = (decision, prepared) {
            let mut recorder = Recorder {
                trace: Some(&mut checks_at_until),
                first: None,
            };
            self.check_at(&prepared, until, &mut recorder);
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
        let mut recorder = Recorder { trace, first: None };
        let rule = self.preset.channel(contact.channel);

        // 1. Consent and opt-out: permanent.
        let opted_out = contact.opted_out || contact.consent == ConsentStatus::OptedOut;
        recorder.check(
            Layer::ContactPoint,
            || "contact_point.opt_out".into(),
            opted_out.then_some(ReasonCode::OptedOut),
            || format!("opted out: {opted_out}"),
        );
        let no_consent = contact.consent == ConsentStatus::Denied
            || (rule.consent_required && contact.consent != ConsentStatus::Granted);
        recorder.check(
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
        if let Some(reason) = recorder.first {
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
        recorder.check(
            Layer::Runtime,
            || "runtime.pause".into(),
            open_ended
                .map(|p| p.kind.reason())
                .or(bounded.map(|(_, k)| k.reason())),
            || match (open_ended, bounded) {
                (Some(pause), _) => format!("{:?} pause without an end", pause.kind).to_lowercase(),
                (None, Some((u, k))) => {
                    format!("{k:?} pause until {}", u.to_rfc3339()).to_lowercase()
                }
                (None, None) => "no active pause".into(),
            },
        );
        if let Some(pause) = open_ended {
            if recorder.trace.is_some() {
                let prepared = self.prepare(contact, state);
                self.check_at(&prepared, now, &mut recorder);
            }
            return (
                Decision::Deny {
                    reason: pause.kind.reason(),
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
            let before = recorder.first;
            recorder.first = None;
            self.check_at(&prepared, now, &mut recorder);
            let at_now = recorder.first;
            recorder.first = before.or(at_now);
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
        if let (Decision::Deny { .. }, Some(trace)) = (decision, &mut recorder.trace) {
            trace.push(RuleCheck {
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
            Some(hours) => {
                let (from, to) = (
                    hours.from.num_seconds_from_midnight(),
                    hours.to.num_seconds_from_midnight(),
                );
                if from < to {
                    vec![(from, to)]
                } else if from == to {
                    vec![(0, SECONDS_PER_DAY)]
                } else if to == 0 {
                    vec![(from, SECONDS_PER_DAY)]
                } else {
                    vec![(0, to), (from, SECONDS_PER_DAY)]
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
}
