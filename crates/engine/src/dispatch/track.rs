//! What providers report after a send, applied to the outbox: statuses, opens, clicks, replies,
//! opt-outs, and the sandbox's made-up payments.

use chrono::{DateTime, Utc};

use recaudo_channels::{EventKind, Provider, ProviderEvent};
use recaudo_domain::DebtId;
use recaudo_store::{Applied, NewPayment, StoreError, TenantStore, TrackKind, Tracked};

use super::{Account, Providers};
use crate::inbound::{Conversations, Inbound, InboundError, Said};
use recaudo_domain::portfolio::Channel;

/// The store's form of a provider's report; `None` for the sandbox's payments, which are
/// recorded as payments instead.
pub fn to_tracked(event: &ProviderEvent) -> Option<Tracked> {
    let (kind, data) = match &event.kind {
        EventKind::Sent => (TrackKind::Accepted, serde_json::json!({})),
        EventKind::Delivered => (TrackKind::Delivered, serde_json::json!({})),
        EventKind::Opened => (TrackKind::Opened, serde_json::json!({})),
        EventKind::Clicked { url } => (TrackKind::Clicked, serde_json::json!({ "url": url })),
        EventKind::Bounced {
            hard,
            code,
            message,
        } => (
            TrackKind::Bounced { hard: *hard },
            serde_json::json!({ "hard": hard, "code": code, "error": message }),
        ),
        EventKind::Failed {
            code,
            message,
            address_unusable,
        } => (
            TrackKind::Failed {
                address_unusable: *address_unusable,
            },
            serde_json::json!({ "code": code, "error": message }),
        ),
        EventKind::Replied { from, text, .. } => (
            TrackKind::Replied,
            serde_json::json!({ "from": from, "text": text }),
        ),
        EventKind::Digits { digits } => {
            (TrackKind::Digits, serde_json::json!({ "digits": digits }))
        }
        EventKind::PromiseDigits { digits } => (
            TrackKind::Digits,
            serde_json::json!({ "digits": digits, "menu": "promise_date" }),
        ),
        EventKind::Unsubscribed { address } => (
            TrackKind::Unsubscribed,
            serde_json::json!({ "address": address, "source": "unsubscribe" }),
        ),
        EventKind::NotAnswered => (TrackKind::NotAnswered, serde_json::json!({})),
        EventKind::Paid => return None,
    };
    Some(Tracked {
        provider_message_id: event.provider_message_id.clone(),
        contact_id: event.contact_id,
        kind,
        at: event.at,
        dedupe_key: event.dedupe_key.clone(),
        data,
    })
}

/// What the debtor said in a provider's report, as a message to take through the
/// conversation: a reply, or keys pressed on a call.
pub fn to_inbound(event: &ProviderEvent, account: Option<&Account>) -> Option<Inbound> {
    let (said, from, reply_token) = match &event.kind {
        EventKind::Replied {
            from,
            text,
            reply_token,
        } => (Said::Text(text.clone()), from.clone(), reply_token.clone()),
        EventKind::Digits { digits } => (Said::MenuKey(digits.clone()), String::new(), None),
        EventKind::PromiseDigits { digits } => {
            (Said::PromiseDigits(digits.clone()), String::new(), None)
        }
        _ => return None,
    };
    let channel = match &event.kind {
        EventKind::Replied { .. } => account.and_then(|a| match a.settings.channels.as_slice() {
            // An account of one channel says where it came on; the sandbox's (every channel)
            // leaves it to the contact.
            [only] => Some(*only),
            _ => None,
        }),
        _ => Some(Channel::Voice),
    };
    Some(Inbound {
        channel,
        from,
        said,
        contact_id: event.contact_id,
        reply_token,
        in_reply_to: event.provider_message_id.clone(),
        provider: account.map(|a| a.name.clone()),
        dedupe_key: event.dedupe_key.clone(),
        at: event.at,
    })
}

/// Applies a provider's reports (through `account`, when known): statuses to the outbox, what
/// the debtor said through the conversation ([`crate::inbound::receive`]). Returns how many
/// changed something.
pub async fn apply_provider_events(
    ts: &TenantStore,
    conversations: &Conversations,
    account: Option<&Account>,
    events: Vec<ProviderEvent>,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let mut applied = 0;
    let mut tracked = Vec::with_capacity(events.len());
    let mut said = Vec::new();
    for event in &events {
        if let Some(inbound) = to_inbound(event, account) {
            said.push(inbound);
            // A reply's `replied` is recorded by the conversation (naming its message).
            if matches!(event.kind, EventKind::Replied { .. }) {
                continue;
            }
        }
        match to_tracked(event) {
            Some(t) => tracked.push(t),
            None => applied += u64::from(sandbox_payment(ts, event, now).await?),
        }
    }
    for result in ts.apply_tracked(tracked).await? {
        if matches!(result, Applied::Contact(_)) {
            applied += 1;
        }
    }
    for inbound in said {
        match crate::inbound::receive(ts, conversations, inbound, now).await {
            Ok(report) if !report.duplicate => applied += 1,
            Ok(_) => {}
            Err(InboundError::Store(error)) => return Err(error),
            Err(error) => {
                tracing::warn!(tenant = %ts.tenant().id, %error, "a message could not be acted on")
            }
        }
    }
    Ok(applied)
}

/// The sandbox's debtor pays the contact's debts in full (what is left of them).
async fn sandbox_payment(
    ts: &TenantStore,
    event: &ProviderEvent,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let Some(contact) = event.contact_id else {
        return Ok(false);
    };
    let contact = match ts.get_contact(contact).await {
        Ok(contact) => contact,
        Err(StoreError::NotFound { .. }) => return Ok(false),
        Err(error) => return Err(error),
    };
    let mut paid = false;
    let debts: Vec<DebtId> = std::iter::once(contact.debt_id)
        .chain(contact.covers.iter().copied())
        .collect();
    for debt in debts {
        let current = ts.get_debt(debt).await?;
        if current.balance.amount.is_zero() || current.balance.amount.is_sign_negative() {
            continue;
        }
        let payment = NewPayment {
            amount: current.balance,
            method: "sandbox".into(),
            provider_ref: Some(event.dedupe_key.clone()),
            received_at: Some(event.at.min(now)),
            allow_overpayment: false,
        };
        match ts.record_payment(debt, payment, now).await {
            Ok(_) => paid = true,
            // Paid or closed meanwhile: nothing left to pay.
            Err(StoreError::Rule(_)) | Err(StoreError::Invalid { .. }) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(paid)
}

/// Reports the sandbox accounts have due at `now`, applied.
pub async fn pump_sandboxes(
    ts: &TenantStore,
    conversations: &Conversations,
    providers: &Providers,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let mut applied = 0;
    for account in providers.accounts() {
        if let Provider::Sandbox(sandbox) = &account.provider {
            let due = sandbox.due_events(now);
            if !due.is_empty() {
                applied +=
                    apply_provider_events(ts, conversations, Some(account), due, now).await?;
            }
        }
    }
    Ok(applied)
}
