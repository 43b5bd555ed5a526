//! Step 4: channel choice for one message of a step: the step's channel (or its experiment
//! arm's) then its fallbacks, the contact point on each, the policy's answer, and a message
//! already chosen today for another debt of the debtor that can cover this one.

use super::{
    DebtAt, DebtorPlan, Explainer, PlanLine, Planner, StepToday, covering_message, describe,
};
use crate::DebtId;
use crate::outbox::NewContact;
use crate::policy::{Decision, PastContact, ProposedContact, ReasonCode, RuntimeState};
use crate::portfolio::{Channel, ConsentStatus, ContactPoint, Debtor};
use crate::strategy::{self, ChannelChoice, ChannelSet, Fallback, Step};

/// The order `channel: best` tries channels in when the debtor has no preferred channel (until
/// a learner ranks them).
pub const BEST_CHANNEL_ORDER: [Channel; 5] = [
    Channel::Whatsapp,
    Channel::Sms,
    Channel::Email,
    Channel::Voice,
    Channel::Letter,
];

/// The channels one `send` tries, in order (the first, then the fallbacks), with the template;
/// borrowed from the strategy.
pub(super) struct Message<'s> {
    pub(super) first: ChannelChoice,
    pub(super) fallback: &'s [Fallback],
    pub(super) template: Option<&'s str>,
    /// The channels `template` has a variant for.
    pub(super) variants: ChannelSet,
    pub(super) queue: Option<&'s str>,
}

impl<'s> Message<'s> {
    /// Each channel tried, with the template it sends and the channels that template has a
    /// variant for.
    fn channels(&self) -> impl Iterator<Item = (ChannelChoice, Option<&'s str>, ChannelSet)> + '_ {
        std::iter::once((self.first, self.template, self.variants)).chain(self.fallback.iter().map(
            |f| match &f.template {
                Some(own) => (
                    ChannelChoice::Channel(f.channel),
                    Some(own.as_str()),
                    f.variants.unwrap_or(ChannelSet::ALL),
                ),
                None => (
                    ChannelChoice::Channel(f.channel),
                    self.template,
                    self.variants,
                ),
            },
        ))
    }
}

impl Planner<'_> {
    /// Decides one message: tries its channels in order.
    pub(super) fn decide_message(
        &self,
        at: &DebtAt<'_, '_>,
        planned: &StepToday<'_>,
        message: &Message,
        history: &mut Vec<PastContact>,
        plan: &mut DebtorPlan,
        explainer: &mut Explainer,
    ) -> PlanLine {
        let DebtAt {
            debtor,
            debt_file,
            file,
            evaluator,
            now,
            today,
            ..
        } = *at;
        let debt = &debt_file.debt;
        let StepToday {
            strategy: strat,
            step,
            arm,
            pauses,
            instead_of,
        } = *planned;
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
            arm: arm.map(str::to_string),
            covered_by: None,
            instead_of: instead_of.map(str::to_string),
        };
        let mut first_channel = None;
        // The best refusal so far: a defer beats a denial, an earlier defer a later one, a
        // policy's denial one for want of a contact point.
        let mut fallback_outcome: Option<(Channel, Decision)> = None;
        for (choice, template, variants) in message.channels() {
            let channel = match choice {
                ChannelChoice::Channel(named) => Some(named),
                ChannelChoice::Best => best_channel_of(debtor, &file.contact_points, variants),
            };
            let Some(channel) = channel else {
                explainer.say(|| {
                    format!("channel best: no usable contact point on any channel of the template ({variants})")
                });
                continue;
            };
            // A template is only sent on a channel it has a variant for: validation refuses
            // others, but a version stored before it checked them may still name one.
            if !variants.contains(channel) {
                explainer.say(|| {
                    format!(
                        "{channel}: template {} has no {channel} variant: skipped",
                        template.unwrap_or_default()
                    )
                });
                continue;
            }
            first_channel.get_or_insert(channel);
            let point = contact_point(debtor, &file.contact_points, channel);
            // A message already chosen today on this channel covers this debt as well, if the
            // policy lets this debt have that message: its pauses and its own (per-debt) caps,
            // at the time it goes out, the message itself left out of the history.
            if message.queue.is_none()
                && let Some(point) = point
                && let Some(index) = covering_message(&plan.contacts, channel, today)
            {
                let (at, of) = (
                    plan.contacts[index].scheduled_for,
                    plan.contacts[index].debt_id,
                );
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
                    let covering = &mut plan.contacts[index];
                    if covering.debt_id != debt.id && !covering.covers.contains(&debt.id) {
                        covering.covers.push(debt.id);
                    }
                    explainer.say(|| {
                        format!(
                            "{channel}: the message chosen today for debt {by} covers this debt too"
                        )
                    });
                    line.channel = channel;
                    line.decision = Decision::Send { at };
                    line.covered_by = Some(by);
                    explainer
                        .say(|| format!("decision: {} on {channel}", describe(&line.decision)));
                    return line;
                }
                explainer.say(|| format!("{channel}: the message chosen today for debt {by} cannot cover this debt ({})", describe(&alone)));
            }
            let Some(point) = point else {
                // A paperless debtor's address is not missing: it is not for letters.
                let reason = if channel == Channel::Letter && debtor.preferences.paperless {
                    explainer
                        .say(|| format!("{channel}: the debtor is paperless → deny (paperless)"));
                    ReasonCode::Paperless
                } else {
                    explainer.say(|| {
                        format!("{channel}: no usable contact point → deny (no_contact_point)")
                    });
                    ReasonCode::NoContactPoint
                };
                let denial = Decision::Deny { reason };
                if better_refusal(fallback_outcome.as_ref().map(|(_, d)| d), &denial) {
                    fallback_outcome = Some((channel, denial));
                }
                continue;
            };
            let proposed = proposed(channel, debt.id, point);
            let state = RuntimeState {
                pauses,
                history: history.as_slice(),
            };
            let mut decision = if explainer.on {
                let explanation = evaluator.explain(&proposed, &state, now);
                explainer.say(|| format!("{channel} via {}:", point.address));
                for rule_line in explanation.render().lines() {
                    explainer.say(|| format!("  {rule_line}"));
                }
                explanation.decision
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
                    explainer.say(|| format!("{channel}: send at {}", at.to_rfc3339()));
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
                        arm: arm.map(str::to_string),
                        channel,
                        template: template.map(str::to_string),
                        queue: message.queue.map(str::to_string),
                        scheduled_for: at,
                        local_date: today,
                        reason: contact_reason(strat, step, arm, instead_of),
                    });
                    line.channel = channel;
                    line.decision = decision;
                    explainer.say(|| format!("decision: {} on {channel}", describe(&decision)));
                    return line;
                }
                other => {
                    explainer.say(|| format!("{channel}: {}", describe(&other)));
                    let better = better_refusal(fallback_outcome.as_ref().map(|(_, d)| d), &other);
                    if better {
                        fallback_outcome = Some((channel, other));
                    }
                }
            }
        }
        match fallback_outcome {
            Some((channel, decision)) => {
                line.channel = channel;
                line.decision = decision;
            }
            None => {
                line.channel = first_channel.unwrap_or(Channel::Email);
            }
        }
        explainer.say(|| format!("decision: {} on {}", describe(&line.decision), line.channel));
        line
    }
}

/// Whether `refusal` says more than `so_far`, the best refusal of the channels tried before:
/// a defer beats a denial, an earlier defer a later one, and a denial with a reason (opted out,
/// no consent, paperless) one for want of a contact point.
fn better_refusal(so_far: Option<&Decision>, refusal: &Decision) -> bool {
    match (so_far, refusal) {
        (None, _) => true,
        (Some(Decision::Deny { .. }), Decision::Defer { .. }) => true,
        (Some(Decision::Defer { until: a, .. }), Decision::Defer { until: b, .. }) => b < a,
        (
            Some(Decision::Deny {
                reason: ReasonCode::NoContactPoint,
            }),
            Decision::Deny { reason },
        ) => *reason != ReasonCode::NoContactPoint,
        _ => false,
    }
}

/// Why a contact was planned, as its outbox row says: `strategy S vN, step X[, arm A][, instead
/// of step Y]`.
fn contact_reason(
    strat: &strategy::Strategy,
    step: &Step,
    arm: Option<&str>,
    instead_of: Option<&str>,
) -> String {
    use std::fmt::Write;
    let mut reason = String::with_capacity(32 + strat.id.len() + step.id.len());
    reason.push_str("strategy ");
    reason.push_str(&strat.id);
    let _ = write!(reason, " v{}, step ", strat.version);
    reason.push_str(&step.id);
    if let Some(arm) = arm {
        reason.push_str(", arm ");
        reason.push_str(arm);
    }
    if let Some(due) = instead_of {
        reason.push_str(", instead of step ");
        reason.push_str(due);
    }
    reason
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
        .filter(|p| p.channel == channel && p.debtor_id == debtor.id && !p.is_unusable())
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
    best_channel_of(debtor, points, ChannelSet::ALL)
}

/// [`best_channel`] among `channels` (those the message's template has a variant for).
pub fn best_channel_of(
    debtor: &Debtor,
    points: &[ContactPoint],
    channels: ChannelSet,
) -> Option<Channel> {
    let usable = |c: Channel| {
        channels.contains(c)
            && contact_point(debtor, points, c).is_some_and(|p| {
                p.opted_out_at.is_none() && p.consent.status != ConsentStatus::Denied
            })
    };
    debtor
        .preferences
        .preferred_channel
        .filter(|c| usable(*c))
        .or_else(|| BEST_CHANNEL_ORDER.into_iter().find(|c| usable(*c)))
}
