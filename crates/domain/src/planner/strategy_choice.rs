//! Step 1: the strategy a debt follows, kept or chosen (with its experiment arms), and the CEL
//! context its conditions are evaluated on.

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::{Chosen, DebtAt, DebtorFile, DebtorPlan, Explainer, Planner, Quiet};
use crate::policy::PastContact;
use crate::portfolio::{Debt, Debtor, StrategyAssignment};
use crate::strategy::{self, EvalContext, EvalInput};

impl Planner<'_> {
    pub(super) fn plan_debt<'f>(
        &self,
        at: &DebtAt<'f, '_>,
        mut ctx: Option<EvalContext<'f>>,
        history: &mut Vec<PastContact>,
        plan: &mut DebtorPlan,
        explainer: &mut Explainer,
    ) {
        let DebtAt {
            debtor,
            debt_file,
            file,
            now,
            today,
            tz,
            ..
        } = *at;
        let debt = &debt_file.debt;
        explainer.say(|| {
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
        // A segment assigned today, unless the tenant's wins.
        let segment = plan.segment.clone().filter(|_| debtor.segment.is_none());
        explainer.say(|| match (&debtor.segment, &plan.segment) {
            (Some(own), Some(computed)) => format!(
                "segment: {own} (the tenant's; the rules give {})",
                computed.as_deref().unwrap_or("none")
            ),
            (Some(own), None) => format!("segment: {own} (the tenant's)"),
            (None, Some(computed)) => {
                format!("segment: {}", computed.as_deref().unwrap_or("(none)"))
            }
            (None, None) => format!(
                "segment: {}",
                debtor.computed_segment.as_deref().unwrap_or("(none)")
            ),
        });
        let mut eval = |condition: &strategy::Condition, plan: &mut DebtorPlan| -> bool {
            let ctx = ctx.get_or_insert_with(|| {
                let mut c = context(debtor, debt, file, now, tz);
                if let Some(s) = &segment {
                    c.set_segment(s.clone());
                }
                c
            });
            match ctx.evaluate(condition) {
                Ok(holds) => holds,
                Err(e) => {
                    plan.errors
                        .push(format!("debt {}: {e} (taken as false)", debt.external_id));
                    false
                }
            }
        };

        // 1. Strategy. A debt keeps the version it started with
        // (`StrategyAssignment::kept`): only a debt without one chooses.
        let (compiled, assignment) = match &debt.strategy {
            Some(kept) => match self.library.get(&kept.strategy, kept.version) {
                Some(compiled) => {
                    explainer.say(|| {
                        format!(
                            "strategy {} v{} (kept since {})",
                            kept.strategy,
                            kept.version,
                            kept.started_at.to_rfc3339()
                        )
                    });
                    (compiled, Cow::Borrowed(kept))
                }
                None => {
                    explainer.say(|| {
                        format!(
                            "strategy {} v{} is not stored any more: nothing planned",
                            kept.strategy, kept.version
                        )
                    });
                    plan.quiet.push((debt.id, Quiet::StrategyMissing));
                    return;
                }
            },
            None => {
                let mut chosen = None;
                for candidate in self.library.active() {
                    let applies = match candidate.applies_condition() {
                        Some(condition) => eval(condition, plan),
                        None => true,
                    };
                    explainer.say(|| {
                        format!(
                            "strategy {} v{} (priority {}): applies_if {} → {}",
                            candidate.strategy.id,
                            candidate.strategy.version,
                            candidate.strategy.priority,
                            candidate.strategy.applies_if.as_deref().unwrap_or("(none)"),
                            if applies { "true, chosen" } else { "false" }
                        )
                    });
                    if applies {
                        chosen = Some(candidate);
                        break;
                    }
                }
                let Some(compiled) = chosen else {
                    explainer.say(|| "no active strategy applies: nothing planned".into());
                    plan.quiet.push((debt.id, Quiet::NoStrategy));
                    return;
                };
                // Inserted one by one: collecting sorts a vector first, for a map of one or two.
                let mut arms = BTreeMap::new();
                for experiment in &compiled.strategy.experiments {
                    if let Some(arm) = experiment.arm_for(debt.id) {
                        arms.insert(experiment.id.clone(), arm.name.clone());
                    }
                }
                let started = StrategyAssignment {
                    strategy: compiled.strategy.id.clone(),
                    version: compiled.strategy.version,
                    arms,
                    started_at: now,
                };
                (compiled, Cow::Owned(started))
            }
        };
        let chosen = Chosen {
            compiled,
            assignment: &assignment,
        };
        self.plan_chosen(at, &chosen, &mut eval, history, plan, explainer);
        if let Cow::Owned(started) = assignment {
            plan.assignments.push((debt.id, started));
        }
    }
}

/// The CEL context of a debt.
pub(super) fn context<'a>(
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
