//! Steps 2 and 3: stop and pause on the chosen strategy, and the step due today (placements,
//! waits, catch-up); then the step's messages go to channel choice.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

use super::{
    Chosen, DebtAt, DebtFile, DebtorPlan, Explainer, Message, PlanLine, Planner, PriorContact,
    Quiet, StepToday,
};
use crate::event::EventKind;
use crate::outbox::ContactState;
use crate::policy::{PastContact, Pause, PauseKind};
use crate::portfolio::{Channel, DebtStatus};
use crate::strategy::{self, Action, ChannelChoice, ChannelSet, Experiment, Placement, Step};

/// A step due for a debt, with when it became due.
struct Due<'s> {
    step: &'s Step,
    /// The step's place in its strategy.
    index: usize,
    since: NaiveDate,
    why: String,
}

impl Planner<'_> {
    /// Plans a debt on the strategy chosen for it: stop and pause, the step due, its messages.
    pub(super) fn plan_chosen(
        &self,
        at: &DebtAt<'_, '_>,
        chosen: &Chosen<'_>,
        eval: &mut dyn FnMut(&strategy::Condition, &mut DebtorPlan) -> bool,
        history: &mut Vec<PastContact>,
        plan: &mut DebtorPlan,
        explainer: &mut Explainer,
    ) {
        let DebtAt {
            debt_file,
            file,
            today,
            tz,
            ..
        } = *at;
        let debt = &debt_file.debt;
        let Chosen {
            compiled,
            assignment,
        } = *chosen;
        let strat = &compiled.strategy;
        for (experiment, arm) in &assignment.arms {
            explainer.say(|| format!("experiment {experiment}: arm {arm}"));
        }

        // 2. Stop and pause.
        for (index, source) in strat.stop_when.iter().enumerate() {
            let Some(condition) = compiled.stop_condition(index) else {
                continue;
            };
            let stop = eval(condition, plan);
            explainer.say(|| format!("stop_when {source} → {stop}"));
            if stop {
                plan.quiet.push((debt.id, Quiet::Stopped));
                return;
            }
        }
        let pauses = pauses(debt_file, strat, tz, self.promise_grace_days);
        for pause in &pauses {
            explainer.say(|| {
                format!(
                    "pause: {:?} until {}",
                    pause.kind,
                    pause.until.map_or("resolved".into(), |u| u.to_rfc3339())
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
                explainer.say(|| format!("step {}: done", step.id));
                continue;
            }
            match step_since(at, chosen, step, &done, explainer.on) {
                Ok((since, why)) if since <= today => due.push(Due {
                    step,
                    index,
                    since,
                    why,
                }),
                Ok((date, why)) => {
                    explainer.say(|| format!("step {}: due {date} ({why}), not yet", step.id))
                }
                Err(why) => explainer.say(|| format!("step {}: not reached ({why})", step.id)),
            }
        }
        // The latest due first (file order among steps due the same day): the first whose
        // `if:` holds and that became due after the debt's latest contact is planned.
        due.sort_by_key(|d| std::cmp::Reverse(d.since));
        let mut picked: Option<usize> = None;
        for (position, candidate) in due.iter().enumerate() {
            if picked.is_some() {
                explainer.say(|| {
                    format!(
                        "step {}: due since {} ({}), passed over for a later step",
                        candidate.step.id, candidate.since, candidate.why
                    )
                });
                continue;
            }
            if let Some(last) = last_contact.filter(|l| candidate.since <= *l) {
                explainer.say(|| format!("step {}: due since {} ({}), but the debt was contacted on {last}: passed over", candidate.step.id, candidate.since, candidate.why));
                continue;
            }
            if let Some(condition) = compiled.step_condition(candidate.index) {
                let ok = eval(condition, plan);
                explainer.say(|| {
                    format!(
                        "step {}: due since {} ({}); if {} → {ok}",
                        candidate.step.id, candidate.since, candidate.why, condition.source
                    )
                });
                if !ok {
                    continue;
                }
            }
            picked = Some(position);
        }
        let Some(position) = picked else {
            plan.quiet.push((debt.id, Quiet::NothingDue));
            return;
        };
        let pick = &due[position];
        explainer.say(|| {
            format!(
                "step {}: due since {} ({}): planned",
                pick.step.id, pick.since, pick.why
            )
        });
        // The lines go straight into the plan; only a step denied everywhere takes them out
        // again, while the earlier steps are tried.
        let start = plan.lines.len();
        self.plan_step(
            at, chosen, pick.step, None, &pauses, history, plan, explainer,
        );
        if !denied_everywhere(&plan.lines[start..]) {
            return;
        }
        let lines: Vec<PlanLine> = plan.lines.drain(start..).collect();

        // 3b. The step due cannot go out on any of its channels: the latest earlier step that
        // can goes out instead (one contact, not every step left behind).
        let denied = denial_reasons(&lines);
        explainer.say(|| {
            format!(
                "step {}: denied on every channel ({denied}): trying the earlier steps due, latest first",
                pick.step.id
            )
        });
        for candidate in &due[position + 1..] {
            if last_contact.is_some_and(|last| candidate.since <= last) {
                continue;
            }
            if let Some(condition) = compiled.step_condition(candidate.index) {
                let ok = eval(condition, plan);
                explainer.say(|| {
                    format!(
                        "step {}: due since {}; if {} → {ok}",
                        candidate.step.id, candidate.since, condition.source
                    )
                });
                if !ok {
                    continue;
                }
            }
            let start = plan.lines.len();
            self.plan_step(
                at,
                chosen,
                candidate.step,
                Some(&pick.step.id),
                &pauses,
                history,
                plan,
                explainer,
            );
            let instead = &plan.lines[start..];
            if !denied_everywhere(instead) {
                explainer.say(|| {
                    format!(
                        "step {}: planned instead of step {} (denied: {denied})",
                        candidate.step.id, pick.step.id
                    )
                });
                return;
            }
            explainer.say(|| {
                format!(
                    "step {}: denied too ({})",
                    candidate.step.id,
                    denial_reasons(instead)
                )
            });
            plan.lines.truncate(start);
        }
        explainer.say(|| {
            format!(
                "no earlier step can go out: step {} stays denied ({denied})",
                pick.step.id
            )
        });
        plan.lines.extend(lines);
    }

    /// Decides the messages of `step` for the debt and pushes their lines onto `plan.lines`, in
    /// the step's order (the sends among them are in `plan.contacts` and `history` too).
    /// `instead_of`: the step due, when `step` goes out in its place.
    #[allow(clippy::too_many_arguments)]
    fn plan_step(
        &self,
        at: &DebtAt<'_, '_>,
        chosen: &Chosen<'_>,
        step: &Step,
        instead_of: Option<&str>,
        pauses: &[Pause],
        history: &mut Vec<PastContact>,
        plan: &mut DebtorPlan,
        explainer: &mut Explainer,
    ) {
        let strat = &chosen.compiled.strategy;
        let assignment = chosen.assignment;
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
                    variants: arm.and_then(|a| a.variants).unwrap_or(s.variants),
                    queue: None,
                })
                .collect(),
            Action::Task(task) => vec![Message {
                first: ChannelChoice::Channel(Channel::Voice),
                fallback: &[],
                template: task.script.as_deref(),
                variants: ChannelSet::ALL,
                queue: Some(&task.queue),
            }],
        };
        let planned = StepToday {
            strategy: strat,
            step,
            arm: experiment.map(|(_, name)| name.as_str()),
            pauses,
            instead_of,
        };
        for message in &messages {
            let line = self.decide_message(at, &planned, message, history, plan, explainer);
            plan.lines.push(line);
        }
    }
}

/// Whether every message of a step was denied for a reason no wait lifts (consent, opt-out,
/// no contact point, paperless): then an earlier step may go out instead. A pause is not such
/// a reason (every step is paused alike), nor is a defer (the step goes out later).
fn denied_everywhere(lines: &[PlanLine]) -> bool {
    !lines.is_empty()
        && lines.iter().all(
            |l| matches!(l.decision, crate::policy::Decision::Deny { reason } if reason.is_permanent()),
        )
}

/// `letter: no_consent, email: no_contact_point`, for `--explain`.
fn denial_reasons(lines: &[PlanLine]) -> String {
    lines
        .iter()
        .map(|l| {
            format!(
                "{}: {}",
                l.channel,
                l.reason().map(|r| r.as_str()).unwrap_or("send")
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// When `step` became due for the debt (a local date, with the reason), or `None` when it
/// has not been reached. `done`: the contacts of the debt's strategy about it.
fn step_since(
    at: &DebtAt<'_, '_>,
    chosen: &Chosen<'_>,
    step: &Step,
    done: &[&PriorContact],
    explain: bool,
) -> Result<(NaiveDate, String), String> {
    let DebtAt {
        debt_file,
        file,
        now,
        tz,
        ..
    } = *at;
    let debt = &debt_file.debt;
    let strat = &chosen.compiled.strategy;
    let assignment = chosen.assignment;
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
            let due_at = ev + delay.to_duration();
            Ok((
                strategy::local_date(due_at, tz),
                why(&|| format!("{delay} after {event} at {}", ev.to_rfc3339())),
            ))
        }
        None => {
            // Only reached as the `otherwise` of a wait.
            let mut whys = Vec::new();
            for waiting in strat.steps.iter() {
                let Some(wait) = &waiting.wait_for else {
                    continue;
                };
                if wait.otherwise.as_deref() != Some(step.id.as_str()) {
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
                let deadline = sent + wait.within.to_duration();
                let kinds = || {
                    wait.any
                        .iter()
                        .map(|k| k.as_str())
                        .collect::<Vec<_>>()
                        .join("/")
                };
                let answered = file.events.iter().any(|e| {
                    wait.any.contains(&e.kind)
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
                            wait.within,
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

/// The pauses of a debt that its strategy honours. A promise pauses to the end of its date
/// plus the tenant's grace days.
fn pauses(
    debt_file: &DebtFile,
    strat: &strategy::Strategy,
    tz: Tz,
    promise_grace_days: u32,
) -> Vec<Pause> {
    use strategy::Pause as Listed;
    // A hold is honoured whatever the strategy lists: a person asked for it.
    let hold = debt_file.held_until.map(|until| Pause {
        kind: PauseKind::Hold,
        until: Some(until),
    });
    let (listed, kind, until) = match debt_file.debt.status {
        DebtStatus::Promised => (
            Listed::PromiseActive,
            PauseKind::Promise,
            debt_file.promise_due.and_then(|day| {
                let end =
                    day.checked_add_days(chrono::Days::new(u64::from(promise_grace_days) + 1))?;
                start_of_day(end, tz)
            }),
        ),
        DebtStatus::Disputed => (Listed::DisputeOpen, PauseKind::Dispute, None),
        DebtStatus::Plan => (Listed::PlanCurrent, PauseKind::Plan, None),
        _ => return hold.into_iter().collect(),
    };
    if !strat.pause_while.contains(&listed) {
        return hold.into_iter().collect();
    }
    // A promise without a date pauses until it is kept or broken.
    std::iter::once(Pause { kind, until }).chain(hold).collect()
}

/// The first instant of a local date (the first valid one on a DST gap).
fn start_of_day(day: NaiveDate, tz: Tz) -> Option<DateTime<Utc>> {
    use chrono::TimeZone;
    let mut local = day.and_time(NaiveTime::MIN);
    for _ in 0..4 {
        if let Some(instant) = tz.from_local_datetime(&local).earliest() {
            return Some(instant.with_timezone(&Utc));
        }
        local += Duration::minutes(30);
    }
    None
}
