//! The messages debtors wrote, newest first, with what was read in each and done about it, and
//! the counts per intent and action: the dashboard's Conversations panel.

use axum::Json;
use recaudo_domain::conversation::Message;
use recaudo_store::MessageCounts;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::extract::{ApiQuery, Ctx, parsed};
use crate::problem::Problem;

/// The most messages one request lists.
pub const MESSAGES_LIMIT_MAX: i64 = 500;

/// How many messages to list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MessageQuery {
    /// At most this many, 1 to 500 (default 50).
    #[serde(default, deserialize_with = "parsed")]
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// The latest messages debtors wrote, newest first, and the counts of all of them.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "items": [{
        "id": "msg_01JDX3S0Y6V3J6Q5X8W4B1C2D3",
        "debtor_id": "dbr_01JDX3S0Y6V3J6Q5X8W4B1C2D5",
        "direction": "inbound",
        "channel": "sms",
        "address": "+5511987654321",
        "body": "Vou pagar dia 10",
        "text": "Vou pagar dia 10",
        "contact_id": "ctc_01JDX3S0Y6V3J6Q5X8W4B1C2D4",
        "provider": "twilio-main",
        "provider_message_id": null,
        "intent": "promise_to_pay",
        "confidence": 0.91,
        "language": "pt",
        "promised_on": "2026-12-10",
        "action": "promise_made",
        "task_id": null,
        "at": "2026-12-07T14:03:00Z",
        "recorded_at": "2026-12-07T14:03:01Z"
    }],
    "counts": {
        "received": 1,
        "by_intent": {"promise_to_pay": 1},
        "by_action": {"promise_made": 1},
        "tasks": 0
    }
}))]
pub struct MessageList {
    pub items: Vec<Message>,
    /// Every message of the tenant, not only those listed.
    pub counts: MessageCounts,
}

/// Lists the latest messages debtors wrote, newest first: what they said, the intent read in
/// it with its confidence, and what was done (`action`, and the agent task when one was made).
#[utoipa::path(get, path = "/api/v1/messages", operation_id = "list_messages", tag = "messages",
    params(MessageQuery),
    responses((status = 200, description = "Messages, newest first, and the counts", body = MessageList)))]
pub async fn list(
    ctx: Ctx,
    ApiQuery(query): ApiQuery<MessageQuery>,
) -> Result<Json<MessageList>, Problem> {
    let limit = match query.limit {
        None => 50,
        Some(limit @ 1..=MESSAGES_LIMIT_MAX) => limit,
        Some(_) => return Err(Problem::invalid_field("limit", "must be 1 to 500")),
    };
    let items = ctx.ts.recent_messages(limit).await?;
    let counts = ctx.ts.message_counts().await?;
    Ok(Json(MessageList { items, counts }))
}
