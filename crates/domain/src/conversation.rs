//! Conversations: what a debtor writes (an inbound SMS, a WhatsApp message, an email reply, the
//! keys pressed on a call), matched to them, read and acted on; with the messages sent to them,
//! one thread per debtor.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::portfolio::{Channel, string_enum};
use crate::{ContactId, DebtorId, MessageId, TaskId};

string_enum!(/// Which way a message went.
Direction, "message direction" {
    Inbound => "inbound",
    Outbound => "outbound",
});

/// A message a debtor wrote, as stored, with what was understood and done.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({
    "id": "msg_01JDX3S0Y6V3J6Q5X8W4B1C2D3",
    "debtor_id": "dbr_01JDX3S0Y6V3J6Q5X8W4B1C2D5",
    "direction": "inbound",
    "channel": "whatsapp",
    "address": "+573001234567",
    "body": "Pago el viernes",
    "text": "Pago el viernes",
    "contact_id": "ctc_01JDX3S0Y6V3J6Q5X8W4B1C2D4",
    "provider": "wa-main",
    "provider_message_id": "wamid.HBgM",
    "intent": "promise_to_pay",
    "confidence": 0.93,
    "language": "es",
    "promised_on": "2026-12-11",
    "action": "promise_made",
    "task_id": null,
    "at": "2026-12-07T14:03:00Z",
    "recorded_at": "2026-12-07T14:03:01Z"
}))]
pub struct Message {
    pub id: MessageId,
    /// None while no debtor is certain (unknown sender, or an address several share).
    pub debtor_id: Option<DebtorId>,
    pub direction: Direction,
    pub channel: Channel,
    /// The debtor's address (E.164 phone, lower-cased email).
    pub address: String,
    /// As received (an email's quoted history included).
    pub body: String,
    /// The part that was read: the debtor's own words.
    pub text: String,
    /// The contact it answers, when known.
    pub contact_id: Option<ContactId>,
    /// The provider account it came through.
    pub provider: Option<String>,
    pub provider_message_id: Option<String>,
    pub intent: Option<String>,
    pub confidence: Option<f32>,
    pub language: Option<String>,
    pub promised_on: Option<NaiveDate>,
    /// What was done about it (`promise_made`, `opted_out`, `task`, …).
    pub action: Option<String>,
    pub task_id: Option<TaskId>,
    pub at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
}

/// One line of a debtor's conversation: a message they wrote, or one sent to them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConversationEntry {
    pub direction: Direction,
    pub channel: Channel,
    pub at: DateTime<Utc>,
    /// What the debtor wrote, or what they were sent (its text as read or heard).
    pub text: String,
    /// The stored message (inbound).
    pub message_id: Option<MessageId>,
    /// The contact that carried it (outbound), or the one an inbound message answers.
    pub contact_id: Option<ContactId>,
    /// The template an outbound message used; none for an agent's own words.
    pub template: Option<String>,
    /// Where an outbound message is (`sent`, `delivered`, `failed`, …).
    pub state: Option<String>,
    /// The intent read in an inbound message, and what was done.
    pub intent: Option<String>,
    pub action: Option<String>,
}
