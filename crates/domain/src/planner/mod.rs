//! The planner: for one debtor, today, which contacts to make about their open debts, on which
//! channel, when, and why — and why not (GUIDE §1, `docs/planner.md`).
//!
//! For every active debt of the debtor, in order of days past due (then balance, then id):
//! 1. **Strategy**: the one the debt follows (it keeps the version it started with:
//!    [`StrategyAssignment::kept`](crate::portfolio::StrategyAssignment::kept)), or, for a
//!    debt without one, the first active strategy whose `applies_if` holds, in priority order;
//!    its experiment arms are drawn then
//!    ([`Experiment::arm_for`](crate::strategy::Experiment::arm_for)) and kept.
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
//!    conversation); otherwise the debt is decided on its own ([`covering_message`],
//!    [`one_contact_per_day_limit`]).
//!
//! Files: step 1 in `strategy_choice.rs`, steps 2 and 3 in `step.rs`, steps 4 and 5 in
//! `channel.rs` (the rule of step 5 in `one_contact_a_day.rs`); `input.rs` holds what the
//! planner reads, `decision.rs` what it answers, `library.rs` the tenant's strategies and
//! `explain.rs` the `--explain` lines.
//!
//! Pure: no I/O, no clock (the instant is passed in). The store loads a [`DebtorFile`] per
//! debtor and writes what [`DebtorPlan`] says.

mod channel;
mod decision;
mod explain;
mod input;
mod library;
mod one_contact_a_day;
mod step;
mod strategy_choice;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::DebtId;
use crate::calendar::HolidayCalendar;
use crate::event::{Event, EventKind};
use crate::outbox::ContactState;
use crate::policy::{Evaluator, PastContact, Pause, Preset, TenantPolicy};
use crate::portfolio::{Channel, Debtor, StrategyAssignment};
use crate::strategy::{self, CompiledStrategy, EvalContext, Segments, Step, Strategy};

use channel::Message;
pub use channel::{BEST_CHANNEL_ORDER, best_channel, best_channel_of, contact_point};
pub use decision::{DebtorPlan, PlanLine, Quiet};
use explain::{Explainer, describe};
pub use input::{DebtFile, DebtorFile, PlanOptions, PriorContact};
pub use library::StrategyLibrary;
pub use one_contact_a_day::{ONE_CONTACT_PER_DAY, covering_message, one_contact_per_day_limit};
use strategy_choice::context;

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
    /// Days a promise pauses the debt after its date ([`PlanOptions::promise_grace_days`]).
    promise_grace_days: u32,
}

/// One debt being planned, with what every step of its planning reads.
#[derive(Clone, Copy)]
struct DebtAt<'f, 'e> {
    debtor: &'f Debtor,
    debt_file: &'f DebtFile,
    file: &'f DebtorFile,
    evaluator: &'e Evaluator<'e>,
    now: DateTime<Utc>,
    today: NaiveDate,
    tz: Tz,
}

/// The strategy a debt follows, kept or chosen today.
#[derive(Clone, Copy)]
struct Chosen<'s> {
    compiled: &'s CompiledStrategy,
    assignment: &'s StrategyAssignment,
}

/// The step planned today for a debt, with what each of its messages shares.
#[derive(Clone, Copy)]
struct StepToday<'s> {
    strategy: &'s Strategy,
    step: &'s Step,
    /// The experiment arm the debt is in for this step.
    arm: Option<&'s str>,
    /// The debt's pauses its strategy honours.
    pauses: &'s [Pause],
    /// The step due, when this earlier step goes out in its place (it was denied on every
    /// channel).
    instead_of: Option<&'s str>,
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
            tenant.limits.push(one_contact_per_day_limit());
        }
        Planner {
            preset,
            tenant,
            calendar,
            library,
            segments,
            promise_grace_days: options.promise_grace_days,
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

        // The segment, on the most overdue debt. A new one is `plan.segment`; the conditions
        // of every debt read it unless the tenant gave the debtor a segment, which wins.
        let debtor = &file.debtor;
        // The context of the first debt, reused by its strategy's conditions.
        let mut first_ctx: Option<(DebtId, EvalContext<'_>)> = None;
        if let Some(first) = debts.first() {
            let mut ctx = context(&file.debtor, &first.debt, file, now, tz);
            match self.segments.assign(&ctx) {
                Ok(seg) => {
                    let id = seg.map(|s| s.id.clone());
                    if id != debtor.computed_segment {
                        if debtor.segment.is_none() {
                            ctx.set_segment(id.clone());
                        }
                        plan.segment = Some(id);
                    }
                }
                Err(error) => plan.errors.push(format!("{}: {error}", debtor.external_id)),
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

        for debt_file in debts {
            let mut explainer = Explainer::new(explain == Some(debt_file.debt.id));
            let ctx = first_ctx
                .take_if(|(id, _)| *id == debt_file.debt.id)
                .map(|(_, c)| c);
            let at = DebtAt {
                debtor,
                debt_file,
                file,
                evaluator: &evaluator,
                now,
                today,
                tz,
            };
            self.plan_debt(&at, ctx, &mut history, &mut plan, &mut explainer);
            if explainer.on {
                plan.explain = explainer.lines;
            }
        }
        plan
    }
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
