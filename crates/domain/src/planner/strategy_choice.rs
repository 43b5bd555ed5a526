//! Step 1: the strategy a debt follows, kept or chosen (with its experiment arms), and the CEL
//! context its conditions are evaluated on.

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::{DebtAt, DebtorFile, DebtorPlan, Explainer, Planner, Quiet};
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
