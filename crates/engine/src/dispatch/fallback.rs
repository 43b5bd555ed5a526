//! When a message fails for good: the step's next channel, as the strategy lists it
//! (`fallback: [sms, {channel: email, template: …}]`), on a contact point the debtor can be
//! reached at and a channel the tenant has a provider for.

use chrono::{DateTime, Utc};

use recaudo_domain::outbox::{Contact, NewContact};
use recaudo_domain::planner::{DebtorFile, StrategyLibrary, contact_point};
use recaudo_domain::portfolio::{Channel, ConsentStatus};
use recaudo_domain::strategy::{Action, ChannelChoice, Step};

use super::Providers;

fn step<'l>(library: &'l StrategyLibrary, contact: &Contact) -> Option<&'l Step> {
    let strategy = library.get(contact.strategy.as_deref()?, contact.strategy_version?)?;
    strategy
        .strategy
        .steps
        .iter()
        .find(|step| step.id == contact.step)
}

/// The contact on the next channel after `contact`'s in its step's list, if any can be used.
pub fn next_channel(
    library: &StrategyLibrary,
    providers: &Providers,
    contact: &Contact,
    file: &DebtorFile,
    now: DateTime<Utc>,
    code: &str,
) -> Option<NewContact> {
    let Action::Send(specs) = &step(library, contact)?.action else {
        return None;
    };
    let template = contact.template.as_deref().unwrap_or_default();
    for spec in specs {
        let first = match spec.channel {
            ChannelChoice::Channel(channel) => channel,
            // `best` picked the contact's channel (or an earlier fallback did).
            ChannelChoice::Best => contact.channel,
        };
        let mut chain: Vec<(Channel, &str)> = vec![(first, spec.template.as_str())];
        chain.extend(spec.fallback.iter().map(|f| {
            (
                f.channel,
                f.template.as_deref().unwrap_or(spec.template.as_str()),
            )
        }));
        let Some(at) = chain
            .iter()
            .position(|(channel, t)| *channel == contact.channel && *t == template)
        else {
            continue;
        };
        for (channel, template) in &chain[at + 1..] {
            if providers.for_channel(*channel).is_none() {
                continue;
            }
            let Some(point) = contact_point(&file.debtor, &file.contact_points, *channel) else {
                continue;
            };
            if point.opted_out_at.is_some()
                || matches!(
                    point.consent.status,
                    ConsentStatus::Denied | ConsentStatus::OptedOut
                )
            {
                continue;
            }
            return Some(NewContact {
                debtor_id: contact.debtor_id,
                debt_id: contact.debt_id,
                covers: contact.covers.clone(),
                contact_point_id: Some(point.id),
                strategy: contact.strategy.clone(),
                strategy_version: contact.strategy_version,
                step: contact.step.clone(),
                arm: contact.arm.clone(),
                channel: *channel,
                template: Some(template.to_string()),
                queue: None,
                scheduled_for: now,
                local_date: contact.local_date,
                reason: format!(
                    "fallback: {} failed ({code}), step {} goes on by {channel}",
                    contact.channel, contact.step
                ),
            });
        }
    }
    None
}

/// What an agent's task says: the step's script, or a default naming the debt.
pub fn task_script(library: &StrategyLibrary, contact: &Contact) -> String {
    match step(library, contact).map(|s| &s.action) {
        Some(Action::Task(task)) => task.script.clone().unwrap_or_else(|| {
            format!(
                "Call the debtor about the debt (step {}, queue {})",
                contact.step, task.queue
            )
        }),
        _ => format!("Call the debtor about the debt (step {})", contact.step),
    }
}
