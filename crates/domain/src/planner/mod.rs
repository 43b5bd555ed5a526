//! The planner: for one debtor, today, which contacts to make about their open debts, on which
//! channel, when, and why — and why not (GUIDE §1, `docs/planner.md`).
//!
//! For every active debt of the debtor, in order of days past due (then balance, then id):
//! 1. **Strategy**: the one the debt follows (it keeps the version it started with), or, for a
//!    debt without one, the first active strategy whose `applies_if` holds, in priority order;
//!    its experiment arms are drawn then ([`Experiment::arm_for`]) and kept.
//! 2. **Stop and pause**: a `stop_when` that holds ends the strategy for the debt; the debt's
//!    promise, dispute or plan pauses it when the strategy lists that state in `pause_while`
//!    (the policy evaluator answers `paused_*`).
//! 3. **Step**: the step due today — see [`Planner`] for how placements, waits and catch-up
//!    work — and its `if:` condition.
//! 4. **Channel**: the step's channel (or the experiment arm's), then its fallbacks in order: the
//!    first with a usable contact point that the contact policy lets go out today is taken;
//!    a contact deferred to a later hour of the same local day is sent at that hour.
//! 5. **One message, several debts**: a message to the debtor on a channel already chosen today
//!    covers this debt too (one contact a day per debtor across their debts), when the policy
//!    lets this debt have it (its pauses, its per-debt caps such as Reg F's week after a phone
//!    conversation); otherwise the debt is decided on its own.
//!
//! Pure: no I/O, no clock (the instant is passed in). The store loads a [`DebtorFile`] per
//! debtor and writes what [`DebtorPlan`] says.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::calendar::HolidayCalendar;
use crate::event::{Event, EventKind};
use crate::outbox::{ContactState, NewContact};
use crate::policy::{
    ChannelSet, CountScope, Decision, Evaluator, Limit, PastContact, Pause, PauseKind, Preset,
    ProposedContact, ReasonCode, RuntimeState, TenantPolicy,
};
use crate::portfolio::{
    Channel, ConsentStatus, ContactPoint, Debt, DebtStatus, Debtor, StrategyAssignment,
};
use crate::strategy::{
    self, Action, ChannelChoice, CompiledStrategy, EvalContext, EvalInput, Experiment, Placement,
    Segments, Step,
};
use crate::{DebtId, DebtorId};

/// The id of the limit [`PlanOptions::one_contact_per_day`] adds to the tenant's policy.
pub const ONE_CONTACT_PER_DAY: &str = "one_contact_per_day";

/// The order `channel: best` tries channels in when the debtor has no preferred channel (until
/// a learner ranks them).
pub const BEST_CHANNEL_ORDER: [Channel; 5] = [
    Channel::Whatsapp,
    Channel::Sms,
    Channel::Email,
    Channel::Voice,
    Channel::Letter,
];

/// The strategies a tenant has: every stored version a debt may follow, and the active ones (the
/// latest non-retired version of each) that new debts choose from.
#[derive(Debug, Default)]
pub struct StrategyLibrary {
    versions: Vec<Arc<CompiledStrategy>>,
    /// Indexes into `versions`, highest priority first, then by id.
    active: Vec<usize>,
}

impl StrategyLibrary {
    /// `active`: the choice list for new debts; `others`: older or retired versions that debts
    /// may still follow.
    pub fn new(active: Vec<CompiledStrategy>, others: Vec<CompiledStrategy>) -> StrategyLibrary {
        let n = active.len();
        let mut versions: Vec<Arc<CompiledStrategy>> = active.into_iter().map(Arc::new).collect();
        versions.extend(others.into_iter().map(Arc::new));
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|a, b| {
            let (x, y) = (&versions[*a].strategy, &versions[*b].strategy);
            y.priority.cmp(&x.priority).then_with(|| x.id.cmp(&y.id))
        });
        StrategyLibrary {
            versions,
            active: order,
        }
    }

    /// The version `version` of strategy `id`.
    pub fn get(&self, id: &str, version: u32) -> Option<&CompiledStrategy> {
        self.versions
            .iter()
            .map(AsRef::as_ref)
            .find(|s| s.strategy.id == id && s.strategy.version == version)
    }

    /// The active strategies, in the order new debts try them.
    pub fn active(&self) -> impl Iterator<Item = &CompiledStrategy> {
        self.active.iter().map(|i| self.versions[*i].as_ref())
    }

    pub fn is_empty(&self) -> bool {
        self.versions.is_empty()
    }

    /// Whether any condition of these strategies or of `segments` may read
    /// `debtor.attributes`: when none does, the store need not decode them.
    pub fn reads_attributes(&self, segments: &Segments) -> bool {
        self.versions
            .iter()
            .flat_map(|s| s.conditions.iter())
            .chain(segments.list().iter().map(|s| &s.condition))
            .any(|c| c.reads_attributes())
    }

    /// The event kinds planning can depend on with these strategies (every version) and
    /// `segments`, or `None` for every kind: the kinds their conditions can read (see
    /// [`strategy::Condition::event_kinds`]), those their steps wait for or are placed after,
    /// and `replied` (a call answered counts as a conversation under the policy). A debtor's
    /// events of other kinds can be left out of their [`DebtorFile`] without changing the plan.
    pub fn event_kinds(&self, segments: &Segments) -> Option<BTreeSet<EventKind>> {
        let mut names = BTreeSet::new();
        let conditions = self
            .versions
            .iter()
            .flat_map(|s| s.conditions.iter())
            .chain(segments.list().iter().map(|s| &s.condition));
        for c in conditions {
            names.extend(c.event_kinds()?);
        }
        let mut kinds: BTreeSet<EventKind> = names.iter().filter_map(|n| n.parse().ok()).collect();
        kinds.insert(EventKind::Replied);
        for step in self.versions.iter().flat_map(|s| s.strategy.steps.iter()) {
            if let Some(Placement::After { event, .. }) = &step.at {
                kinds.insert(*event);
            }
            if let Some(w) = &step.wait_for {
                kinds.extend(w.any.iter().copied());
            }
        }
        Some(kinds)
    }
}

/// Planner settings of a tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanOptions {
    /// At most one contact a day per debtor across all their debts, on every channel (one
    /// message covers the debts due for contact on the same channel). On by default.
    pub one_contact_per_day: bool,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            one_contact_per_day: true,
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
    fn is_about(&self, debt: DebtId) -> bool {
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

/// Plans debtors for one tenant: the policy layers that do not change per debtor, the tenant's
/// strategies and segments.
///
/// # When a step is due
/// - `at: due±N`: from the local date `due_on ± N`;
/// - `after: {event, step, delay}`: from the local date of the latest such event on the debt
///   plus `delay` (an event before the debt started its strategy does not count);
/// - a `wait_for.otherwise` step: once the step it waits on was sent and none of the awaited
///   events came on the debt within `within`, from the local date the wait ran out.
///
/// A step is done once the outbox holds a contact of it about the debt (its own or covering
/// it). Of the steps due and not done, the one due most recently is planned, and only if it
/// became due after the latest contact about the debt: a step left behind (the debt was
/// imported late, or a later step was sent while it was deferred) is skipped, never sent out
/// of order. A deferred step stays due, so the next day's plan tries it again.
#[derive(Debug)]
pub struct Planner<'a> {
    preset: &'a Preset,
    tenant: TenantPolicy,
    calendar: &'a HolidayCalendar,
    library: &'a StrategyLibrary,
    segments: &'a Segments,
}

/// The channels one `send` tries, in order (the first, then the fallbacks), with the template;
/// borrowed from the strategy.
struct Message<'s> {
    first: ChannelChoice,
    fallback: &'s [Channel],
    template: Option<&'s str>,
    queue: Option<&'s str>,
}

impl Message<'_> {
    fn channels(&self) -> impl Iterator<Item = ChannelChoice> + '_ {
        std::iter::once(self.first).chain(self.fallback.iter().map(|c| ChannelChoice::Channel(*c)))
    }
}

/// A step due for a debt, with when it became due.
/// One debt being planned, with what every step of its planning reads.
#[derive(Clone, Copy)]
struct DebtAt<'f, 'e> {
    debtor: &'f Debtor,
    d: &'f DebtFile,
    file: &'f DebtorFile,
    evaluator: &'e Evaluator<'e>,
    now: DateTime<Utc>,
    today: NaiveDate,
    tz: Tz,
}

struct Due<'s> {
    step: &'s Step,
    /// The step's place in its strategy.
    index: usize,
    since: NaiveDate,
    why: String,
}

impl<'a> Planner<'a> {
    pub fn new(
        preset: &'a Preset,
        tenant: &TenantPolicy,
        calendar: &'a HolidayCalendar,
        library: &'a StrategyLibrary,
        segments: &'a Segments,
        options: PlanOptions,
    ) -> Planner<'a> {
        let mut tenant = tenant.clone();
        if options.one_contact_per_day && !tenant.limits.iter().any(|l| l.id == ONE_CONTACT_PER_DAY)
        {
            tenant.limits.push(Limit {
                id: ONE_CONTACT_PER_DAY.into(),
                channels: ChannelSet::ALL,
                count: CountScope::PerDebtor,
                per_day: Some(1),
                per_7_days: None,
                per_month: None,
                min_gap: None,
                max_channels_per_7_days: None,
                after_conversation_days: None,
                source: Some("tenant setting: one contact a day per debtor".into()),
            });
        }
        Planner {
            preset,
            tenant,
            calendar,
            library,
            segments,
        }
    }

    /// Plans one debtor at `now`. With `explain: Some(debt)`, [`DebtorPlan::explain`] tells
    /// everything considered for that debt.
    pub fn plan_debtor(
        &self,
        file: &DebtorFile,
        now: DateTime<Utc>,
        explain: Option<DebtId>,
    ) -> DebtorPlan {
        let mut plan = DebtorPlan {
            debtor: Some(file.debtor.id),
            lines: Vec::with_capacity(file.debts.len()),
            ..DebtorPlan::default()
        };
        let tz = strategy::debtor_zone(&file.debtor);
        let today = strategy::local_date(now, tz);

        let mut debts: Vec<&DebtFile> = file.debts.iter().filter(|d| d.debt.is_active()).collect();
        debts.sort_by(|a, b| {
            a.debt
                .due_on
                .cmp(&b.debt.due_on)
                .then_with(|| b.debt.balance.amount.cmp(&a.debt.balance.amount))
                .then_with(|| a.debt.id.cmp(&b.debt.id))
        });

        // The segment, on the most overdue debt. A new one is `plan.segment`, and the
        // conditions of every debt read it.
        let debtor = &file.debtor;
        // The context of the first debt, reused by its strategy's conditions.
        let mut first_ctx: Option<(DebtId, EvalContext<'_>)> = None;
        if let Some(first) = debts.first() {
            let mut ctx = context(&file.debtor, &first.debt, file, now, tz);
            match self.segments.assign(&ctx) {
                Ok(seg) => {
                    let id = seg.map(|s| s.id.clone());
                    if id != debtor.segment {
                        ctx.set_segment(id.clone());
                        plan.segment = Some(id);
                    }
                }
                Err(e) => plan.errors.push(format!("{}: {e}", debtor.external_id)),
            }
            first_ctx = Some((first.debt.id, ctx));
        }

        let mut history: Vec<PastContact> = Vec::with_capacity(file.contacts.len() + 2);
        history.extend(
            file.contacts
                .iter()
                .filter(|c| c.state != ContactState::Cancelled)
                .map(|c| PastContact {
                    at: c.scheduled_for,
                    channel: c.channel,
                    debt: c.debt,
                    conversation: false,
                }),
        );
        history.extend(conversations(&file.events));
        let evaluator = Evaluator::new(
            self.preset,
            &self.tenant,
            self.calendar,
            tz,
            &debtor.preferences,
        );

        for d in debts {
            let mut x = Explainer::new(explain == Some(d.debt.id));
            let ctx = first_ctx
                .take_if(|(id, _)| *id == d.debt.id)
                .map(|(_, c)| c);
            let at = DebtAt {
                debtor,
                d,
                file,
                evaluator: &evaluator,
                now,
                today,
                tz,
            };
            self.plan_debt(&at, ctx, &mut history, &mut plan, &mut x);
            if x.on {
                plan.explain = x.lines;
            }
        }
        plan
    }

    fn plan_debt<'f>(
        &self,
        at: &DebtAt<'f, '_>,
        mut ctx: Option<EvalContext<'f>>,
        history: &mut Vec<PastContact>,
        plan: &mut DebtorPlan,
        x: &mut Explainer,
    ) {
        let DebtAt {
            debtor,
            d,
            file,
            now,
            today,
            tz,
            ..
        } = *at;
        let debt = &d.debt;
        x.say(|| {
            format!(
                "debt {} of debtor {} — balance {}, due {}, status {}; {} local date {today} ({tz})",
                debt.external_id,
                debtor.external_id,
                debt.balance,
                debt.due_on,
                debt.status,
                now.to_rfc3339(),
            )
        });
        let segment = plan.segment.clone();
        x.say(|| {
            let s = segment
                .as_ref()
                .map_or(debtor.segment.as_deref(), |s| s.as_deref());
            format!("segment: {}", s.unwrap_or("(none)"))
        });
        let mut eval = |c: &strategy::Condition, plan: &mut DebtorPlan| -> bool {
            let ctx = ctx.get_or_insert_with(|| {
                let mut c = context(debtor, debt, file, now, tz);
                if let Some(s) = &segment {
                    c.set_segment(s.clone());
                }
                c
            });
            match ctx.evaluate(c) {
                Ok(b) => b,
                Err(e) => {
                    plan.errors
                        .push(format!("debt {}: {e} (taken as false)", debt.external_id));
                    false
                }
            }
        };

        // 1. Strategy.
        let (compiled, assignment) = match &debt.strategy {
            Some(a) => match self.library.get(&a.strategy, a.version) {
                Some(s) => {
                    x.say(|| {
                        format!(
                            "strategy {} v{} (kept since {})",
                            a.strategy,
                            a.version,
                            a.started_at.to_rfc3339()
                        )
                    });
                    (s, Cow::Borrowed(a))
                }
                None => {
                    x.say(|| {
                        format!(
                            "strategy {} v{} is not stored any more: nothing planned",
                            a.strategy, a.version
                        )
                    });
                    plan.quiet.push((debt.id, Quiet::StrategyMissing));
                    return;
                }
            },
            None => {
                let mut chosen = None;
                for s in self.library.active() {
                    let applies = match s.applies_condition() {
                        Some(c) => eval(c, plan),
                        None => true,
                    };
                    x.say(|| {
                        format!(
                            "strategy {} v{} (priority {}): applies_if {} → {}",
                            s.strategy.id,
                            s.strategy.version,
                            s.strategy.priority,
                            s.strategy.applies_if.as_deref().unwrap_or("(none)"),
                            if applies { "true, chosen" } else { "false" }
                        )
                    });
                    if applies {
                        chosen = Some(s);
                        break;
                    }
                }
                let Some(s) = chosen else {
                    x.say(|| "no active strategy applies: nothing planned".into());
                    plan.quiet.push((debt.id, Quiet::NoStrategy));
                    return;
                };
                // Inserted one by one: collecting sorts a vector first, for a map of one or two.
                let mut arms = BTreeMap::new();
                for e in &s.strategy.experiments {
                    if let Some(a) = e.arm_for(debt.id) {
                        arms.insert(e.id.clone(), a.name.clone());
                    }
                }
                let a = StrategyAssignment {
                    strategy: s.strategy.id.clone(),
                    version: s.strategy.version,
                    arms,
                    started_at: now,
                };
                (s, Cow::Owned(a))
            }
        };
        self.plan_chosen(at, compiled, &assignment, &mut eval, history, plan, x);
        if let Cow::Owned(a) = assignment {
            plan.assignments.push((debt.id, a));
        }
    }

    /// Plans a debt on the strategy chosen for it: stop and pause, the step due, its messages.
    #[allow(clippy::too_many_arguments)]
    fn plan_chosen(
        &self,
        at: &DebtAt<'_, '_>,
        compiled: &CompiledStrategy,
        assignment: &StrategyAssignment,
        eval: &mut dyn FnMut(&strategy::Condition, &mut DebtorPlan) -> bool,
        history: &mut Vec<PastContact>,
        plan: &mut DebtorPlan,
        x: &mut Explainer,
    ) {
        let DebtAt {
            debtor,
            d,
            file,
            evaluator,
            now,
            today,
            tz,
        } = *at;
        let debt = &d.debt;
        let strat = &compiled.strategy;
        for (e, arm) in &assignment.arms {
            x.say(|| format!("experiment {e}: arm {arm}"));
        }

        // 2. Stop and pause.
        for (i, source) in strat.stop_when.iter().enumerate() {
            let Some(c) = compiled.stop_condition(i) else {
                continue;
            };
            let stop = eval(c, plan);
            x.say(|| format!("stop_when {source} → {stop}"));
            if stop {
                plan.quiet.push((debt.id, Quiet::Stopped));
                return;
            }
        }
        let pauses = pauses(d, strat, tz);
        for p in &pauses {
            x.say(|| {
                format!(
                    "pause: {:?} until {}",
                    p.kind,
                    p.until.map_or("resolved".into(), |u| u.to_rfc3339())
                )
            });
        }

        // 3. The step due today.
        // Every contact about the debt since it started its strategy: its own, and other debts'
        // messages that covered it (whatever their strategy and step).
        let about: Vec<&PriorContact> = file
            .contacts
            .iter()
            .filter(|c| {
                c.state != ContactState::Cancelled
                    && c.is_about(debt.id)
                    && c.created_at >= assignment.started_at - Duration::seconds(1)
            })
            .collect();
        // A step of this strategy is done through its own contact (or one covering the debt with
        // the same strategy and step); a covering message of another step still counts as the
        // debt's latest contact, so the step it stood in for is passed over, not sent again.
        let done: Vec<&PriorContact> = about
            .iter()
            .copied()
            .filter(|c| c.strategy.as_deref() == Some(strat.id.as_str()))
            .collect();
        let last_contact = about.iter().map(|c| c.local_date).max();
        let mut due: Vec<Due<'_>> = Vec::new();
        for (index, step) in strat.steps.iter().enumerate() {
            if done.iter().any(|c| c.step == step.id) {
                x.say(|| format!("step {}: done", step.id));
                continue;
            }
            match self.step_since(step, strat, debt, &done, file, assignment, now, tz, x.on) {
                Ok((since, why)) if since <= today => due.push(Due {
                    step,
                    index,
                    since,
                    why,
                }),
                Ok((date, why)) => {
                    x.say(|| format!("step {}: due {date} ({why}), not yet", step.id))
                }
                Err(why) => x.say(|| format!("step {}: not reached ({why})", step.id)),
            }
        }
        // The latest due first (file order among steps due the same day): the first whose
        // `if:` holds and that became due after the debt's latest contact is planned.
        due.sort_by_key(|d| std::cmp::Reverse(d.since));
        let mut chosen: Option<&Due<'_>> = None;
        for s in &due {
            if chosen.is_some() {
                x.say(|| {
                    format!(
                        "step {}: due since {} ({}), passed over for a later step",
                        s.step.id, s.since, s.why
                    )
                });
                continue;
            }
            if let Some(last) = last_contact.filter(|l| s.since <= *l) {
                x.say(|| format!("step {}: due since {} ({}), but the debt was contacted on {last}: passed over", s.step.id, s.since, s.why));
                continue;
            }
            if let Some(c) = compiled.step_condition(s.index) {
                let ok = eval(c, plan);
                x.say(|| {
                    format!(
                        "step {}: due since {} ({}); if {} → {ok}",
                        s.step.id, s.since, s.why, c.source
                    )
                });
                if !ok {
                    continue;
                }
            }
            chosen = Some(s);
        }
        let Some(pick) = chosen else {
            plan.quiet.push((debt.id, Quiet::NothingDue));
            return;
        };
        let step = pick.step;
        x.say(|| {
            format!(
                "step {}: due since {} ({}): planned",
                step.id, pick.since, pick.why
            )
        });

        // 4. Messages and channels.
        let experiment: Option<(&Experiment, &String)> = strat
            .experiments
            .iter()
            .find(|e| e.step == step.id)
            .and_then(|e| assignment.arms.get(&e.id).map(|a| (e, a)));
        let arm = experiment.and_then(|(e, name)| e.arms.iter().find(|a| &a.name == name));
        let messages: Vec<Message<'_>> = match &step.action {
            Action::Send(specs) => specs
                .iter()
                .map(|s| Message {
                    first: arm.and_then(|a| a.channel).unwrap_or(s.channel),
                    fallback: &s.fallback,
                    template: Some(
                        arm.and_then(|a| a.template.as_deref())
                            .unwrap_or(&s.template),
                    ),
                    queue: None,
                })
                .collect(),
            Action::Task(t) => vec![Message {
                first: ChannelChoice::Channel(Channel::Voice),
                fallback: &[],
                template: t.script.as_deref(),
                queue: Some(&t.queue),
            }],
        };
        let arm_name = experiment.map(|(_, a)| a.clone());
        let state_pauses = pauses;
        for m in messages {
            let line = self.decide_message(
                debtor,
                file,
                debt,
                strat,
                step,
                &m,
                evaluator,
                history,
                &state_pauses,
                (now, today),
                arm_name.clone(),
                plan,
                x,
            );
            plan.lines.push(line);
        }
    }

    /// When `step` became due for the debt (a local date, with the reason), or `None` when it
    /// has not been reached.
    #[allow(clippy::too_many_arguments)]
    fn step_since(
        &self,
        step: &Step,
        strat: &strategy::Strategy,
        debt: &Debt,
        done: &[&PriorContact],
        file: &DebtorFile,
        assignment: &StrategyAssignment,
        now: DateTime<Utc>,
        tz: Tz,
        explain: bool,
    ) -> Result<(NaiveDate, String), String> {
        // The reasons are only written out for `--explain`.
        let why = |f: &dyn Fn() -> String| if explain { f() } else { String::new() };
        match &step.at {
            Some(Placement::Due(offset)) => {
                let minutes = offset.to_duration().num_minutes();
                // Whole days (the usual `due±Nd`) by date arithmetic alone.
                let date = if minutes % (24 * 60) == 0 {
                    debt.due_on
                        .checked_add_signed(Duration::days(minutes / (24 * 60)))
                        .unwrap_or(debt.due_on)
                } else {
                    (debt.due_on.and_time(NaiveTime::MIN) + offset.to_duration()).date()
                };
                Ok((date, why(&|| format!("at {offset}"))))
            }
            Some(Placement::After {
                event,
                step: of,
                delay,
            }) => {
                let since = assignment.started_at - Duration::seconds(1);
                // The planner's own `contact_planned` events are the outbox rows it reads (the
                // store does not load them twice): when each was planned, of which step.
                let planned = (*event == EventKind::ContactPlanned).then(|| {
                    file.contacts
                        .iter()
                        .filter(|c| {
                            c.debt == debt.id
                                && c.created_at >= since
                                && of.as_deref().is_none_or(|s| c.step == s)
                        })
                        .map(|c| c.created_at)
                        .max()
                });
                let ev = planned
                    .unwrap_or_else(|| {
                        file.events
                            .iter()
                            .filter(|e| {
                                e.kind == *event
                                    && e.debt_id == Some(debt.id)
                                    && e.at >= since
                                    && of.as_deref().is_none_or(|s| {
                                        e.data.get("step").and_then(|v| v.as_str()) == Some(s)
                                    })
                            })
                            .map(|e| e.at)
                            .max()
                    })
                    .ok_or_else(|| {
                        why(&|| {
                            format!(
                                "no {event}{} on the debt since it started its strategy",
                                of.as_deref()
                                    .map(|s| format!(" of step {s}"))
                                    .unwrap_or_default()
                            )
                        })
                    })?;
                let at = ev + delay.to_duration();
                Ok((
                    strategy::local_date(at, tz),
                    why(&|| format!("{delay} after {event} at {}", ev.to_rfc3339())),
                ))
            }
            None => {
                // Only reached as the `otherwise` of a wait.
                let mut whys = Vec::new();
                for waiting in strat.steps.iter() {
                    let Some(w) = &waiting.wait_for else { continue };
                    if w.otherwise.as_deref() != Some(step.id.as_str()) {
                        continue;
                    }
                    let Some(sent) = done
                        .iter()
                        .filter(|c| c.step == waiting.id)
                        .map(|c| c.scheduled_for)
                        .min()
                    else {
                        if explain {
                            whys.push(format!("step {} not sent yet", waiting.id));
                        }
                        continue;
                    };
                    let deadline = sent + w.within.to_duration();
                    let kinds = || {
                        w.any
                            .iter()
                            .map(|k| k.as_str())
                            .collect::<Vec<_>>()
                            .join("/")
                    };
                    let answered = file.events.iter().any(|e| {
                        w.any.contains(&e.kind)
                            && e.debt_id.is_none_or(|id| id == debt.id)
                            && e.at >= sent
                            && e.at <= deadline
                    });
                    if answered {
                        whys.extend(
                            explain.then(|| format!("{} came after step {}", kinds(), waiting.id)),
                        );
                        continue;
                    }
                    if now < deadline {
                        whys.extend(explain.then(|| {
                            format!(
                                "waiting for {} after step {} until {}",
                                kinds(),
                                waiting.id,
                                deadline.to_rfc3339()
                            )
                        }));
                        continue;
                    }
                    return Ok((
                        strategy::local_date(deadline, tz),
                        why(&|| {
                            format!(
                                "none of {} within {} of step {} sent at {}",
                                kinds(),
                                w.within,
                                waiting.id,
                                sent.to_rfc3339()
                            )
                        }),
                    ));
                }
                Err(if !explain {
                    String::new()
                } else if whys.is_empty() {
                    why(&|| "no step's wait leads to it".into())
                } else {
                    whys.join("; ")
                })
            }
        }
    }

    /// Decides one message: tries its channels in order.
    #[allow(clippy::too_many_arguments)]
    fn decide_message(
        &self,
        debtor: &Debtor,
        file: &DebtorFile,
        debt: &Debt,
        strat: &strategy::Strategy,
        step: &Step,
        m: &Message,
        evaluator: &Evaluator<'_>,
        history: &mut Vec<PastContact>,
        pauses: &[Pause],
        (now, today): (DateTime<Utc>, NaiveDate),
        arm: Option<String>,
        plan: &mut DebtorPlan,
        x: &mut Explainer,
    ) -> PlanLine {
        let mut line = PlanLine {
            debt: debt.id,
            debt_external_id: debt.external_id.clone(),
            debtor: debtor.id,
            debtor_external_id: debtor.external_id.clone(),
            strategy: strat.id.clone(),
            version: strat.version,
            step: step.id.clone(),
            channel: Channel::Email,
            decision: Decision::Deny {
                reason: ReasonCode::NoContactPoint,
            },
            arm: arm.clone(),
            covered_by: None,
        };
        let mut first_channel = None;
        // The best refusal so far: a defer beats a denial, an earlier defer a later one, a
        // policy's denial one for want of a contact point.
        let mut fallback_outcome: Option<(Channel, Decision)> = None;
        for choice in m.channels() {
            let channel = match choice {
                ChannelChoice::Channel(c) => Some(c),
                ChannelChoice::Best => best_channel(debtor, &file.contact_points),
            };
            let Some(channel) = channel else {
                x.say(|| "channel best: no usable contact point on any channel".into());
                continue;
            };
            first_channel.get_or_insert(channel);
            let point = contact_point(debtor, &file.contact_points, channel);
            // A message already chosen today on this channel covers this debt as well, if the
            // policy lets this debt have that message: its pauses and its own (per-debt) caps,
            // at the time it goes out, the message itself left out of the history.
            if m.queue.is_none()
                && let Some(point) = point
                && let Some(i) = plan.contacts.iter().position(|c| {
                    c.channel == channel && c.local_date == today && c.queue.is_none()
                })
            {
                let (at, of) = (plan.contacts[i].scheduled_for, plan.contacts[i].debt_id);
                let by = file
                    .debts
                    .iter()
                    .find(|d| d.debt.id == of)
                    .map(|d| d.debt.external_id.clone())
                    .unwrap_or_default();
                let others: Vec<PastContact> = history
                    .iter()
                    .filter(|h| {
                        !(h.at == at && h.channel == channel && h.debt == of && !h.conversation)
                    })
                    .copied()
                    .collect();
                let proposed = proposed(channel, debt.id, point);
                let state = RuntimeState {
                    pauses,
                    history: &others,
                };
                let alone = evaluator.evaluate(&proposed, &state, at);
                if alone == (Decision::Send { at }) {
                    let c = &mut plan.contacts[i];
                    if c.debt_id != debt.id && !c.covers.contains(&debt.id) {
                        c.covers.push(debt.id);
                    }
                    x.say(|| {
                        format!(
                            "{channel}: the message chosen today for debt {by} covers this debt too"
                        )
                    });
                    line.channel = channel;
                    line.decision = Decision::Send { at };
                    line.covered_by = Some(by);
                    x.say(|| format!("decision: {} on {channel}", describe(&line.decision)));
                    return line;
                }
                x.say(|| format!("{channel}: the message chosen today for debt {by} cannot cover this debt ({})", describe(&alone)));
            }
            let Some(point) = point else {
                x.say(|| format!("{channel}: no usable contact point → deny (no_contact_point)"));
                let d = Decision::Deny {
                    reason: ReasonCode::NoContactPoint,
                };
                if fallback_outcome.is_none() {
                    fallback_outcome = Some((channel, d));
                }
                continue;
            };
            let proposed = proposed(channel, debt.id, point);
            let state = RuntimeState {
                pauses,
                history: history.as_slice(),
            };
            let mut decision = if x.on {
                let e = evaluator.explain(&proposed, &state, now);
                x.say(|| format!("{channel} via {}:", point.address));
                for l in e.render().lines() {
                    x.say(|| format!("  {l}"));
                }
                e.decision
            } else {
                evaluator.evaluate(&proposed, &state, now)
            };
            // Deferred to a later hour of the same local day: that is the send time.
            if let Decision::Defer { until, .. } = decision
                && strategy::local_date(until, evaluator.timezone) == today
            {
                decision = Decision::Send { at: until };
            }
            match decision {
                Decision::Send { at } => {
                    x.say(|| format!("{channel}: send at {}", at.to_rfc3339()));
                    history.push(PastContact {
                        at,
                        channel,
                        debt: debt.id,
                        conversation: false,
                    });
                    plan.contacts.push(NewContact {
                        debtor_id: debtor.id,
                        debt_id: debt.id,
                        covers: Vec::new(),
                        contact_point_id: Some(point.id),
                        strategy: Some(strat.id.clone()),
                        strategy_version: Some(strat.version),
                        step: step.id.clone(),
                        arm: arm.clone(),
                        channel,
                        template: m.template.map(str::to_string),
                        queue: m.queue.map(str::to_string),
                        scheduled_for: at,
                        local_date: today,
                        reason: contact_reason(strat, step, arm.as_deref()),
                    });
                    line.channel = channel;
                    line.decision = decision;
                    x.say(|| format!("decision: {} on {channel}", describe(&decision)));
                    return line;
                }
                other => {
                    x.say(|| format!("{channel}: {}", describe(&other)));
                    let better = match (&fallback_outcome, &other) {
                        (None, _) => true,
                        (Some((_, Decision::Deny { .. })), Decision::Defer { .. }) => true,
                        (
                            Some((_, Decision::Defer { until: a, .. })),
                            Decision::Defer { until: b, .. },
                        ) => b < a,
                        // A policy's reason (opted out, no consent) says more than a missing
                        // contact point on an earlier channel.
                        (
                            Some((
                                _,
                                Decision::Deny {
                                    reason: ReasonCode::NoContactPoint,
                                },
                            )),
                            Decision::Deny { .. },
                        ) => true,
                        _ => false,
                    };
                    if better {
                        fallback_outcome = Some((channel, other));
                    }
                }
            }
        }
        match fallback_outcome {
            Some((channel, d)) => {
                line.channel = channel;
                line.decision = d;
            }
            None => {
                line.channel = first_channel.unwrap_or(Channel::Email);
            }
        }
        x.say(|| format!("decision: {} on {}", describe(&line.decision), line.channel));
        line
    }
}

/// Why a contact was planned, as its outbox row says: `strategy S vN, step X[, arm A]`.
fn contact_reason(strat: &strategy::Strategy, step: &Step, arm: Option<&str>) -> String {
    use std::fmt::Write;
    let mut r = String::with_capacity(32 + strat.id.len() + step.id.len());
    r.push_str("strategy ");
    r.push_str(&strat.id);
    let _ = write!(r, " v{}, step ", strat.version);
    r.push_str(&step.id);
    if let Some(a) = arm {
        r.push_str(", arm ");
        r.push_str(a);
    }
    r
}

fn describe(d: &Decision) -> String {
    match d {
        Decision::Send { at } => format!("send at {}", at.to_rfc3339()),
        Decision::Defer { until, reason } => {
            format!("defer until {} ({reason})", until.to_rfc3339())
        }
        Decision::Deny { reason } => format!("deny ({reason})"),
    }
}

/// The contact the policy decides: `channel` through `point`, about `debt`.
fn proposed(channel: Channel, debt: DebtId, point: &ContactPoint) -> ProposedContact {
    ProposedContact {
        channel,
        debt,
        consent: point.consent.status,
        opted_out: point.opted_out_at.is_some(),
    }
}

/// The CEL context of a debt.
fn context<'a>(
    debtor: &'a Debtor,
    debt: &'a Debt,
    file: &'a DebtorFile,
    now: DateTime<Utc>,
    tz: Tz,
) -> EvalContext<'a> {
    EvalContext::in_zone(
        &EvalInput {
            debtor,
            debt,
            score: &file.score,
            events: &file.events,
            now,
        },
        tz,
    )
}

/// The pauses of a debt that its strategy honours.
fn pauses(d: &DebtFile, strat: &strategy::Strategy, tz: Tz) -> Vec<Pause> {
    use strategy::Pause as P;
    let (listed, kind, until) = match d.debt.status {
        DebtStatus::Promised => (
            P::PromiseActive,
            PauseKind::Promise,
            d.promise_due
                .and_then(|day| start_of_day(day.succ_opt()?, tz)),
        ),
        DebtStatus::Disputed => (P::DisputeOpen, PauseKind::Dispute, None),
        DebtStatus::Plan => (P::PlanCurrent, PauseKind::Plan, None),
        _ => return Vec::new(),
    };
    if !strat.pause_while.contains(&listed) {
        return Vec::new();
    }
    // A promise without a date pauses until it is kept or broken.
    vec![Pause { kind, until }]
}

/// The first instant of a local date (the first valid one on a DST gap).
fn start_of_day(day: NaiveDate, tz: Tz) -> Option<DateTime<Utc>> {
    use chrono::TimeZone;
    let mut t = day.and_time(NaiveTime::MIN);
    for _ in 0..4 {
        if let Some(dt) = tz.from_local_datetime(&t).earliest() {
            return Some(dt.with_timezone(&Utc));
        }
        t += Duration::minutes(30);
    }
    None
}

/// Phone conversations on the timeline (a `replied` event on a voice contact), for
/// `after_conversation_days`.
fn conversations(events: &[Event]) -> impl Iterator<Item = PastContact> + '_ {
    events.iter().filter_map(|e| {
        let voice = e.data.get("channel").and_then(|v| v.as_str()) == Some("voice");
        (e.kind == EventKind::Replied && voice).then_some(PastContact {
            at: e.at,
            channel: Channel::Voice,
            debt: e.debt_id?,
            conversation: true,
        })
    })
}

/// The contact point to use on a channel: not opted out and not denied first, then the lowest
/// priority, then the oldest by id (a ULID, made when the point was: the order the store lists
/// a debtor's points in; the planner's reads leave the creation time out). An opted-out or denied point is still returned when it is the
/// only one, so that the policy names the reason (`opted_out`, `no_consent`). A paperless
/// debtor has no letter address.
pub fn contact_point<'p>(
    debtor: &Debtor,
    points: &'p [ContactPoint],
    channel: Channel,
) -> Option<&'p ContactPoint> {
    if channel == Channel::Letter && debtor.preferences.paperless {
        return None;
    }
    points
        .iter()
        .filter(|p| p.channel == channel && p.debtor_id == debtor.id)
        .min_by_key(|p| {
            (
                p.opted_out_at.is_some(),
                p.consent.status == ConsentStatus::Denied,
                p.priority,
                p.id,
            )
        })
}

/// `channel: best`: the debtor's preferred channel when it has a usable point, otherwise the
/// first of [`BEST_CHANNEL_ORDER`] that has one.
pub fn best_channel(debtor: &Debtor, points: &[ContactPoint]) -> Option<Channel> {
    let usable = |c: Channel| {
        contact_point(debtor, points, c)
            .is_some_and(|p| p.opted_out_at.is_none() && p.consent.status != ConsentStatus::Denied)
    };
    debtor
        .preferences
        .preferred_channel
        .filter(|c| usable(*c))
        .or_else(|| BEST_CHANNEL_ORDER.into_iter().find(|c| usable(*c)))
}

/// Collects `--explain` lines when on; costs nothing when off.
struct Explainer {
    on: bool,
    lines: Vec<String>,
}

impl Explainer {
    fn new(on: bool) -> Explainer {
        Explainer {
            on,
            lines: Vec::new(),
        }
    }

    fn say(&mut self, line: impl FnOnce() -> String) {
        if self.on {
            self.lines.push(line());
        }
    }
}
