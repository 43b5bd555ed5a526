//! What providers report after a send, applied to the outbox: statuses, opens, clicks, replies,
//! opt-outs, and the sandbox's made-up payments.

use chrono::{DateTime, Utc};

use recaudo_channels::{EventKind, Provider, ProviderEvent};
use recaudo_store::{Applied, StoreError, TenantStore, TrackKind, Tracked};

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
            None => applied += u64::from(sandbox_payment(ts, conversations, event, now).await?),
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

/// The sandbox's debtor pays the contact's debts in full (what is left of them), the way a
/// debtor does: they open the message's portal link (`portal_visited`), start a payment on the
/// sandbox payment account, and the sandbox's PSP reports it paid through the same
/// verification, reading and application as a real provider's report.
async fn sandbox_payment(
    ts: &TenantStore,
    conversations: &Conversations,
    event: &ProviderEvent,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    use crate::payments::{
        CheckoutUrls, PaymentAccount, PaymentSettings, PaymentStart, SANDBOX_ACCOUNT,
        SandboxPayError, allocations_for, simulate_sandbox_paid, start_payment,
    };
    let Some(contact) = event.contact_id else {
        return Ok(false);
    };
    let contact = match ts.get_contact(contact).await {
        Ok(contact) => contact,
        Err(StoreError::NotFound { .. }) => return Ok(false),
        Err(error) => return Err(error),
    };
    let debtor = match ts.get_debtor(contact.debtor_id).await {
        Ok(debtor) => debtor,
        Err(StoreError::NotFound { .. }) => return Ok(false),
        Err(error) => return Err(error),
    };
    let mut debts = Vec::new();
    for id in std::iter::once(contact.debt_id).chain(contact.covers.iter().copied()) {
        match ts.get_debt(id).await {
            Ok(debt) => debts.push(debt),
            Err(StoreError::NotFound { .. }) => {}
            Err(error) => return Err(error),
        }
    }
    // Paid or closed meanwhile: nothing left to pay.
    let Ok(allocations) = allocations_for(&debtor, &debts) else {
        return Ok(false);
    };
    let at = event.at.min(now);
    let link = serde_json::json!({ "contact_id": contact.id, "link": "contact" });
    ts.record_portal_visit(
        debtor.id,
        Some(contact.debt_id),
        link,
        at - chrono::Duration::hours(24),
        at,
    )
    .await?;
    let sandbox = recaudo_payments::Sandbox::new(recaudo_payments::SandboxConfig::default());
    let account = PaymentAccount {
        name: SANDBOX_ACCOUNT.into(),
        settings: PaymentSettings::default(),
        provider: recaudo_payments::Provider::Sandbox(sandbox),
    };
    let portal = conversations
        .links
        .as_ref()
        .map(|l| l.url(recaudo_channels::links::LinkPurpose::Portal, contact.id))
        .unwrap_or_default();
    let urls = |intent: &recaudo_store::PaymentIntent| CheckoutUrls {
        success: format!("{portal}/pay/{}", intent.id),
        cancel: format!("{portal}/pay"),
        notification: format!("/payhooks/{}/{SANDBOX_ACCOUNT}", ts.tenant().id),
    };
    let start = PaymentStart {
        debtor: &debtor,
        allocations,
        description: debts
            .iter()
            .map(|d| d.external_id.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        origin: serde_json::json!({
            "source": "portal", "contact_id": contact.id, "link": "contact", "simulated": true,
        }),
    };
    let intent = match start_payment(ts, &account, start, urls, at).await {
        Ok(intent) => intent,
        Err(crate::payments::PaymentFailure::Store(error)) => return Err(error),
        Err(error) => {
            tracing::warn!(%error, "the sandbox's debtor could not start a payment");
            return Ok(false);
        }
    };
    let event_id = format!("sandbox:{}", event.dedupe_key);
    match simulate_sandbox_paid(ts, &account, &intent, &event_id, at, now).await {
        Ok(report) => Ok(report.applied > 0),
        Err(SandboxPayError::Store(error)) => Err(error),
        Err(error) => {
            tracing::warn!(%error, "the sandbox's payment could not be applied");
            Ok(false)
        }
    }
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
