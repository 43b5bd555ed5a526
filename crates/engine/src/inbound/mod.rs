//! Conversations: what a debtor writes reaches the right debtor, is read, and is acted on as a
//! good collections agent would; what a machine should not decide goes to a person.
//!
//! [`receive`] takes one message (from a provider's webhook, the built-in SMTP receiver, the
//! sandbox or `recaudo inbound`) through the same steps:
//! 1. **Match** ([`matching`]): the contact it answers (the sandbox's own id, the signed token of
//!    an email's reply address, the provider's id of the message answered), else its sender's
//!    address among the tenant's contact points. An address several debtors share goes to a
//!    person with the candidates, never guessed; an unknown sender to the unmatched inbox.
//! 2. **Store** it once (a provider's retry is recognised by its dedupe key), with `replied` on
//!    the timeline (and the contact's `replied_at`).
//! 3. **Read** it: an email without its quoted history and signature, then
//!    [`recaudo_intents::classify`] in the debtor's local today; `intent_detected` names the
//!    message and the intent.
//! 4. **Act** ([`actions`]) per the tenant's [`ReplySettings`]; every action's event names the
//!    message, and answers go out as contacts that name it (`reply_to`), sent by the dispatcher
//!    inside the contact hours.

mod actions;
mod matching;
pub mod settings;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use recaudo_channels::links::LinkSigner;
use recaudo_domain::event::{EventKind, NewEvent};
use recaudo_domain::portfolio::Channel;
use recaudo_domain::{ContactId, DebtorId, MessageId, TaskId};
use recaudo_store::{MessageOutcome, NewMessage, StoreError, TenantStore};

pub use actions::{Note, queue_note, thank_kept_promises};
pub use matching::{Match, normalize_sender};
pub use settings::{ReplySettings, SettingsError};

/// The channel an answer to a message on `channel` goes on: the channel itself, except that
/// keys pressed on a call are answered by SMS.
pub fn answer_channel(channel: Channel) -> Channel {
    match channel {
        Channel::Voice => Channel::Sms,
        other => other,
    }
}

/// What the debtor did: wrote, or pressed keys on a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Said {
    Text(String),
    /// A key of the call's menu (1: the payment link, 2: an agent).
    MenuKey(String),
    /// The day they will pay, keyed as `DDMM`.
    PromiseDigits(String),
}

/// One message from a debtor, as a provider (or an operator) hands it over.
#[derive(Debug, Clone)]
pub struct Inbound {
    /// The channel it came on; `None`: the channel of the contact it answers.
    pub channel: Option<Channel>,
    /// The sender's address as the provider gives it.
    pub from: String,
    pub said: Said,
    /// The contact it answers, when the provider knows it (the sandbox, signed links).
    pub contact_id: Option<ContactId>,
    /// The signed token of an email's reply address.
    pub reply_token: Option<String>,
    /// The provider's id of the message it answers (a WhatsApp reply's context, a call's id).
    pub in_reply_to: Option<String>,
    /// The provider account it came through.
    pub provider: Option<String>,
    /// A provider's retry carries the same key: it is stored once.
    pub dedupe_key: String,
    pub at: DateTime<Utc>,
}

/// What became of a message: the `recaudo inbound` JSON line, the API's answer.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct InboundReport {
    /// None when it was a replay of a message stored before.
    pub message_id: Option<MessageId>,
    pub duplicate: bool,
    /// `contact`, `reply_token`, `provider_message`, `address`, `ambiguous`, `unknown`.
    pub matched_by: String,
    pub debtor_id: Option<DebtorId>,
    pub contact_id: Option<ContactId>,
    /// The debtors an ambiguous address could be.
    pub candidates: Vec<DebtorId>,
    pub intent: Option<String>,
    pub confidence: Option<f32>,
    pub language: Option<String>,
    pub promised_on: Option<NaiveDate>,
    /// What was done, in order (`opted_out:sms`, `promise_made:prm_…`, `reply_queued:ctc_…`,
    /// `task:tsk_…`).
    pub actions: Vec<String>,
    pub task_id: Option<TaskId>,
}

/// Errors of [`receive`].
#[derive(Debug, thiserror::Error)]
pub enum InboundError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the debtor's time zone {0:?} is not known")]
    BadTimezone(String),
}

/// What processing messages needs besides the store: the link signer that reads the tokens
/// of email reply addresses (without one, replies are matched by their sender).
#[derive(Clone, Default)]
pub struct Conversations {
    pub links: Option<LinkSigner>,
}

impl Conversations {
    pub fn new(links: impl Into<Option<LinkSigner>>) -> Conversations {
        Conversations {
            links: links.into(),
        }
    }
}

/// Takes one message through matching, storing, reading and acting (see the module's doc).
pub async fn receive(
    ts: &TenantStore,
    conversations: &Conversations,
    inbound: Inbound,
    now: DateTime<Utc>,
) -> Result<InboundReport, InboundError> {
    let matched = matching::find(ts, conversations, &inbound).await?;
    let channel = inbound
        .channel
        .or(matched.contact.as_ref().map(|c| c.channel))
        .unwrap_or(Channel::Sms);
    let (body, text) = match &inbound.said {
        Said::Text(body) => {
            let read = if channel == Channel::Email {
                recaudo_intents::normalize::strip_email(body)
            } else {
                body.as_str()
            };
            (body.clone(), read.trim().to_string())
        }
        Said::MenuKey(key) => (format!("[pressed {key}]"), key.clone()),
        Said::PromiseDigits(digits) => (format!("[keyed {digits}]"), digits.clone()),
    };
    let mut report = InboundReport {
        message_id: None,
        duplicate: false,
        matched_by: matched.by.to_string(),
        debtor_id: matched.debtor.as_ref().map(|d| d.id),
        contact_id: matched.contact.as_ref().map(|c| c.id),
        candidates: matched.candidates.clone(),
        intent: None,
        confidence: None,
        language: None,
        promised_on: None,
        actions: Vec::new(),
        task_id: None,
    };
    let stored = ts
        .record_inbound(
            NewMessage {
                debtor_id: report.debtor_id,
                channel,
                address: matched.address.clone(),
                body,
                text: text.clone(),
                contact_id: report.contact_id,
                provider: inbound.provider.clone(),
                provider_message_id: inbound.in_reply_to.clone(),
                dedupe_key: inbound.dedupe_key.clone(),
                at: inbound.at,
            },
            now,
        )
        .await?;
    let Some(message) = stored else {
        report.duplicate = true;
        return Ok(report);
    };
    report.message_id = Some(message.id);
    let settings = ReplySettings::load(ts).await?;
    let mut outcome = MessageOutcome::default();

    let Some(debtor) = matched.debtor.clone() else {
        // Nobody, or several: a person looks, with the candidates.
        let task = actions::task_for_unmatched(ts, &settings, &message, &matched, now).await?;
        outcome.action = Some(if matched.candidates.is_empty() {
            "unmatched".into()
        } else {
            "ambiguous".into()
        });
        outcome.task_id = Some(task);
        report.task_id = Some(task);
        report.actions.push(format!("task:{task}"));
        ts.set_message_outcome(message.id, &outcome).await?;
        return Ok(report);
    };

    // The debtor answered: the contact's `replied_at` and `replied` on the timeline.
    actions::record_replied(ts, &matched, &message, channel).await?;

    let tz: chrono_tz::Tz = debtor
        .timezone
        .parse()
        .map_err(|_| InboundError::BadTimezone(debtor.timezone.clone()))?;
    let today = now.with_timezone(&tz).date_naive();
    let reading = actions::read(&inbound.said, &text, today, &settings);
    outcome.intent = Some(reading.intent.as_str().to_string());
    outcome.confidence = Some(reading.confidence);
    outcome.language = reading.language.clone();
    outcome.promised_on = reading.date;
    report.intent = outcome.intent.clone();
    report.confidence = outcome.confidence;
    report.language = outcome.language.clone();
    report.promised_on = reading.date;
    ts.append_event(NewEvent {
        debtor_id: debtor.id,
        debt_id: matched.contact.as_ref().map(|c| c.debt_id),
        kind: EventKind::IntentDetected,
        at: message.at,
        recorded_at: now,
        data: serde_json::json!({
            "message_id": message.id, "channel": channel, "intent": reading.intent.as_str(),
            "confidence": reading.confidence, "language": reading.language,
            "date": reading.date, "explain": reading.explain,
        }),
    })
    .await?;

    let mut act = actions::Act {
        ts,
        settings: &settings,
        message: &message,
        matched: &matched,
        debtor: &debtor,
        channel,
        today,
        now,
        intent: None,
        done: Vec::new(),
        task: None,
    };
    act.run(&reading).await?;
    outcome.action = act
        .done
        .first()
        .map(|d| d.split(':').next().unwrap_or(d).to_string());
    outcome.task_id = act.task;
    report.actions = act.done;
    report.task_id = act.task;
    ts.set_message_outcome(message.id, &outcome).await?;
    Ok(report)
}

/// Why the built-in SMTP receiver could not take an email.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// No recipient names a contact of ours and no tenant takes mail without one.
    #[error("no mailbox here")]
    NoMailbox,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Inbound(#[from] InboundError),
}

/// Takes an email the built-in SMTP receiver got: its reply address names the contact (and so
/// the tenant); without one, it goes to `default_tenant` (a single-tenant install), matched by
/// its sender.
pub async fn receive_email(
    store: &recaudo_store::Store,
    conversations: &Conversations,
    default_tenant: Option<recaudo_domain::TenantId>,
    email: &recaudo_channels::inbound_email::InboundEmail,
    now: DateTime<Utc>,
) -> Result<InboundReport, MailError> {
    let contact = email
        .reply_token
        .as_deref()
        .zip(conversations.links.as_ref())
        .and_then(|(token, links)| links.verify_reply(token));
    let ts = match contact {
        Some(contact) => store.tenant_of_contact(contact).await?,
        None => None,
    };
    let ts = match (ts, default_tenant) {
        (Some(ts), _) => ts,
        (None, Some(tenant)) => match store.get_tenant(tenant).await {
            Ok(tenant) => store.tenant(&tenant),
            Err(StoreError::NotFound { .. }) => return Err(MailError::NoMailbox),
            Err(error) => return Err(error.into()),
        },
        (None, None) => return Err(MailError::NoMailbox),
    };
    let event = email.to_event(now);
    let inbound = Inbound {
        channel: Some(Channel::Email),
        from: email.from.clone(),
        said: Said::Text(email.text.clone()),
        contact_id: None,
        reply_token: email.reply_token.clone(),
        in_reply_to: event.provider_message_id.clone(),
        provider: Some("smtp-receiver".into()),
        dedupe_key: event.dedupe_key,
        at: event.at,
    };
    Ok(receive(&ts, conversations, inbound, now).await?)
}
