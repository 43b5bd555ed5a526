//! Conversations: a debtor's thread, the tenant's reply settings (what the automatic answers
//! do), and a message fed in by hand (`POST /api/v1/messages/inbound`: a channel without a
//! webhook, a test, an operator typing what a debtor said at the counter).

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use recaudo_domain::DebtorId;
use recaudo_domain::conversation::ConversationEntry;
use recaudo_domain::portfolio::{Channel, Language};
use recaudo_engine::inbound::{
    Conversations, Inbound, InboundError, InboundReport, ReplySettings, Said,
};
use recaudo_store::MESSAGE_TEXT_MAX;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::extract::{ApiJson, ApiQuery, Ctx, Id, parsed};
use crate::idempotency::IDEMPOTENCY_KEY;
use crate::problem::Problem;

/// How many entries of a conversation by default.
const DEFAULT_LIMIT: i64 = 100;

/// How much of a conversation.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ConversationQuery {
    /// The latest this many messages each way, 1 to 1000 (default 100).
    #[serde(default, deserialize_with = "parsed")]
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// A debtor's conversation, oldest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"items": [
    {"direction": "outbound", "channel": "sms", "at": "2026-12-07T13:00:00Z",
     "text": "Hola Ana, su factura de diciembre vence el 10/12.", "message_id": null,
     "contact_id": "ctc_01JDX3S0Y6V3J6Q5X8W4B1C2D4", "template": "reminder",
     "state": "delivered", "intent": null, "action": null},
    {"direction": "inbound", "channel": "sms", "at": "2026-12-07T14:03:00Z",
     "text": "Pago el viernes", "message_id": "msg_01JDX3S0Y6V3J6Q5X8W4B1C2D3",
     "contact_id": "ctc_01JDX3S0Y6V3J6Q5X8W4B1C2D4", "template": null, "state": null,
     "intent": "promise_to_pay", "action": "promise_made"}
]}))]
pub struct Conversation {
    pub items: Vec<ConversationEntry>,
}

/// A message a debtor wrote, fed in by hand.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"channel": "sms", "from": "+57 300 123 4567", "text": "No reconozco esta deuda", "at": "2026-12-07T14:03:00Z"}))]
pub struct InboundMessage {
    /// `sms`, `whatsapp` or `email`.
    pub channel: Channel,
    /// The sender's phone number or email address, as written.
    pub from: String,
    /// What they wrote (1 byte to 64 KiB).
    pub text: String,
    /// When they wrote it. Default: now.
    pub at: Option<DateTime<Utc>>,
}

/// Reads a debtor's conversation: the messages they wrote and those sent to them (as sent),
/// oldest first.
#[utoipa::path(get, path = "/api/v1/debtors/{id}/conversation", operation_id = "debtor_conversation", tag = "conversations",
    params(("id" = DebtorId, Path, description = "Debtor id (`dbr_…`)"), ConversationQuery),
    responses((status = 200, description = "The conversation, oldest first", body = Conversation)))]
pub async fn conversation(
    ctx: Ctx,
    Id(id): Id<DebtorId>,
    ApiQuery(query): ApiQuery<ConversationQuery>,
) -> Result<Json<Conversation>, Problem> {
    let limit = match query.limit {
        None => DEFAULT_LIMIT,
        Some(limit @ 1..=1000) => limit,
        Some(_) => return Err(Problem::invalid_field("limit", "must be 1 to 1000")),
    };
    ctx.ts.get_debtor(id).await?;
    Ok(Json(Conversation {
        items: ctx.ts.conversation(id, limit).await?,
    }))
}

/// Reads the tenant's reply settings: those it saved, or the defaults.
#[utoipa::path(get, path = "/api/v1/reply-settings", operation_id = "get_reply_settings", tag = "conversations",
    responses((status = 200, description = "The reply settings in force", body = ReplySettings,
        example = json!(ReplySettings::default()))))]
pub async fn get_settings(ctx: Ctx) -> Result<Json<ReplySettings>, Problem> {
    Ok(Json(ReplySettings::load(&ctx.ts).await?))
}

/// Saves the tenant's reply settings. Keys left out take their defaults; an unknown key, a
/// value out of range or a template no channel has answers 422 naming the field.
#[utoipa::path(put, path = "/api/v1/reply-settings", operation_id = "put_reply_settings", tag = "conversations",
    request_body(content = ReplySettings, example = json!({"min_confidence": 0.7, "hold_days": 3,
        "dispute": {"enabled": false, "reply": null}})),
    responses((status = 200, description = "The reply settings saved, in full", body = ReplySettings),
        (status = 422, description = "`invalid-field` naming the key at fault (`hold_days`, `dispute.reply`, an unknown key)", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn put_settings(
    ctx: Ctx,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<ReplySettings>, Problem> {
    let settings = read_settings(&body)?;
    settings
        .validate(|name, channel| {
            recaudo_channels::templates::builtin_text(name, channel, Language::Es).is_some()
        })
        .map_err(|e| Problem::invalid_field(e.field, e.message))?;
    let stored = serde_json::to_value(&settings).map_err(|error| {
        tracing::error!(%error, "reply settings do not serialise");
        Problem::internal()
    })?;
    ctx.ts.put_reply_settings(&stored, ctx.now).await?;
    Ok(Json(settings))
}

/// A settings document read, every fault (an unknown key included) a 422 naming the key: the
/// JSON is well-formed, its content is refused.
fn read_settings(body: &serde_json::Value) -> Result<ReplySettings, Problem> {
    if !body.is_object() {
        return Err(Problem::invalid_field(".", "a JSON object is expected"));
    }
    serde_path_to_error::deserialize::<_, ReplySettings>(body).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        let named = ["unknown field `", "missing field `"]
            .iter()
            .find_map(|prefix| message.strip_prefix(prefix))
            .and_then(|rest| rest.split('`').next());
        // An unknown or missing key may be reported at its own path or at its parent's: name
        // it once either way.
        let field = match (path.as_str(), named) {
            (".", Some(name)) => name.to_string(),
            (path, Some(name)) if path == name || path.ends_with(&format!(".{name}")) => {
                path.to_string()
            }
            (path, Some(name)) => format!("{path}.{name}"),
            (path, None) => path.to_string(),
        };
        Problem::invalid_field(field.clone(), format!("{field}: {message}"))
    })
}

/// Feeds one message through what a provider's webhook does: matched to its debtor, stored
/// once, read and acted on per the reply settings. A retry with the same `Idempotency-Key` (or,
/// without one, the same channel, sender, text and time) is stored once.
#[utoipa::path(post, path = "/api/v1/messages/inbound", operation_id = "receive_message", tag = "conversations",
    request_body = InboundMessage,
    responses((status = 200, description = "What became of the message", body = InboundReport,
        example = json!({"message_id": "msg_01JDX3S0Y6V3J6Q5X8W4B1C2D3", "duplicate": false,
            "matched_by": "address", "debtor_id": "dbr_01JDX3S0Y6V3J6Q5X8W4B1C2D5",
            "contact_id": null, "candidates": [], "intent": "dispute", "confidence": 0.9,
            "language": "es", "promised_on": null,
            "actions": ["dispute_opened:dsp_01JDX3S0Y6V3J6Q5X8W4B1C2D9",
                        "reply_queued:ctc_01JDX3S0Y6V3J6Q5X8W4B1C2DA",
                        "task:tsk_01JDX3S0Y6V3J6Q5X8W4B1C2DB"],
            "task_id": "tsk_01JDX3S0Y6V3J6Q5X8W4B1C2DB"})),
        (status = 422, description = "`invalid-field` naming `channel` (not sms, whatsapp or email), `from` or `text` (empty, or over 64 KiB)", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn inbound(
    ctx: Ctx,
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<InboundMessage>,
) -> Result<Json<InboundReport>, Problem> {
    if !matches!(
        body.channel,
        Channel::Sms | Channel::Whatsapp | Channel::Email
    ) {
        return Err(Problem::invalid_field(
            "channel",
            format!("must be sms, whatsapp or email, not {}", body.channel),
        ));
    }
    let from = body.from.trim();
    if from.is_empty() || from.len() > 320 {
        return Err(Problem::invalid_field(
            "from",
            "must be 1 to 320 characters",
        ));
    }
    if body.text.trim().is_empty() {
        return Err(Problem::invalid_field("text", "must not be empty"));
    }
    if body.text.len() > MESSAGE_TEXT_MAX {
        return Err(Problem::invalid_field(
            "text",
            format!("must be at most {} KiB", MESSAGE_TEXT_MAX / 1024),
        ));
    }
    let at = body.at.unwrap_or(ctx.now);
    let dedupe_key = match headers
        .get(IDEMPOTENCY_KEY)
        .and_then(|v| v.to_str().ok())
        .filter(|k| !k.is_empty())
    {
        Some(key) => format!("api:key:{key}"),
        None => {
            let mut hash = Sha256::new();
            for part in [
                body.channel.as_str(),
                from,
                body.text.as_str(),
                &at.to_rfc3339(),
            ] {
                // Lengths first: no two different messages read as the same bytes.
                hash.update((part.len() as u64).to_be_bytes());
                hash.update(part.as_bytes());
            }
            format!("api:sha256:{}", hex::encode(hash.finalize()))
        }
    };
    let inbound = Inbound {
        channel: Some(body.channel),
        from: from.to_string(),
        said: Said::Text(body.text),
        contact_id: None,
        reply_token: None,
        in_reply_to: None,
        provider: Some("api".into()),
        dedupe_key,
        at,
    };
    let conversations = Conversations::new(state.links.clone());
    match recaudo_engine::inbound::receive(&ctx.ts, &conversations, inbound, ctx.now).await {
        Ok(report) => Ok(Json(report)),
        Err(InboundError::Store(error)) => Err(error.into()),
        Err(error @ InboundError::BadTimezone(_)) => {
            tracing::error!(%error, "an inbound message could not be read");
            Err(Problem::internal())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    /// Keys a settings document has, and some it has not.
    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("min_confidence".to_string()),
            Just("max_promise_days".to_string()),
            Just("hold_days".to_string()),
            Just("opt_out_confirm_on".to_string()),
            Just("queue".to_string()),
            Just("dispute".to_string()),
            Just("thanks".to_string()),
            Just("enabled".to_string()),
            Just("reply".to_string()),
            "[a-z_]{1,12}",
        ]
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            (-2.0f64..400.0).prop_map(Value::from),
            prop_oneof![
                Just("sms".to_string()),
                Just("reply_dispute_received".to_string()),
                ".{0,8}"
            ]
            .prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                prop::collection::btree_map(key(), inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Whatever JSON comes, a settings document reads, or is refused with a 422 naming a
        /// field; what reads writes back to the same settings.
        #[test]
        fn any_document_reads_or_is_refused_naming_a_field(
            doc in prop::collection::btree_map(key(), value(), 0..6)
        ) {
            let doc = Value::Object(doc.into_iter().collect());
            match read_settings(&doc) {
                Ok(settings) => {
                    let again = serde_json::to_value(&settings).expect("serialises");
                    prop_assert_eq!(read_settings(&again).expect("reads back"), settings);
                }
                Err(problem) => {
                    prop_assert_eq!(problem.status, 422);
                    prop_assert!(problem.field.is_some_and(|f| !f.is_empty()));
                }
            }
        }
    }

    #[test]
    fn a_faulty_key_is_named_where_it_is() {
        for (doc, field) in [
            (json!({"hold": 1}), "hold"),
            (
                json!({"dispute": {"enabled": true, "reply": null, "x": 1}}),
                "dispute.x",
            ),
            (json!({"hold_days": "3"}), "hold_days"),
            (json!({"dispute": {"reply": null}}), "dispute.enabled"),
            (json!(3), "."),
        ] {
            let problem = read_settings(&doc).expect_err("refused");
            assert_eq!(problem.field.as_deref(), Some(field), "{doc}");
        }
    }
}
