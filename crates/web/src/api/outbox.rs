//! The outbox as sent: contacts with what their provider said, the message each carried as
//! the debtor got it, and the counts the dashboard shows.

use axum::Json;
use recaudo_domain::outbox::ContactState;
use recaudo_domain::portfolio::Channel;
use recaudo_domain::{ContactId, DebtorId};
use recaudo_store::{OutboxCounts, OutboxEntry, OutboxFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::extract::{ApiQuery, Ctx, Id, parsed};
use crate::problem::Problem;

/// Filters of the outbox list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OutboxQuery {
    /// `planned`, `sending`, `sent`, `delivered`, `failed` or `cancelled`.
    #[serde(default, deserialize_with = "parsed")]
    #[param(value_type = Option<ContactState>)]
    pub state: Option<ContactState>,
    #[serde(default, deserialize_with = "parsed")]
    #[param(value_type = Option<Channel>)]
    pub channel: Option<Channel>,
    #[serde(default, deserialize_with = "parsed")]
    #[param(value_type = Option<String>)]
    pub debtor_id: Option<DebtorId>,
    /// `true`: only contacts that left (sent, delivered, or failed after sending), newest sent
    /// first; otherwise newest changed first.
    #[serde(default, deserialize_with = "parsed")]
    pub sent: Option<bool>,
    /// At most this many, 1 to 1000 (default 50).
    #[serde(default, deserialize_with = "parsed")]
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// Contacts of the outbox, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutboxList {
    pub items: Vec<OutboxEntry>,
}

/// One contact of the outbox and the message it carried.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OutboxMessage {
    #[serde(flatten)]
    pub entry: OutboxEntry,
    /// The message as rendered when it was sent (subject and parts of an e-mail, an SMS's
    /// text and segments, a WhatsApp template's parameters, a call's script); `null` before
    /// it was sent.
    #[schema(value_type = Option<Object>)]
    pub message: Option<serde_json::Value>,
}

/// Lists contacts of the outbox with what happened when they were sent.
#[utoipa::path(get, path = "/api/v1/outbox", operation_id = "list_outbox", tag = "outbox",
    params(OutboxQuery),
    responses((status = 200, description = "Contacts, newest first", body = OutboxList)))]
pub async fn list(
    ctx: Ctx,
    ApiQuery(query): ApiQuery<OutboxQuery>,
) -> Result<Json<OutboxList>, Problem> {
    let limit = match query.limit {
        None => 50,
        Some(limit @ 1..=1000) => limit,
        Some(_) => return Err(Problem::invalid_field("limit", "must be 1 to 1000")),
    };
    let filter = OutboxFilter {
        state: query.state.map(|s| s.as_str().to_string()),
        channel: query.channel,
        debtor_id: query.debtor_id,
        sent_only: query.sent.unwrap_or(false),
        limit,
        ..OutboxFilter::default()
    };
    Ok(Json(OutboxList {
        items: ctx.ts.list_outbox(&filter).await?,
    }))
}

/// Reads one contact of the outbox and the message it carried, as the debtor got it.
#[utoipa::path(get, path = "/api/v1/outbox/{id}", operation_id = "get_outbox_entry", tag = "outbox",
    params(("id" = ContactId, Path, description = "Contact id (`ctc_…`)")),
    responses((status = 200, description = "The contact and its message", body = OutboxMessage)))]
pub async fn get(ctx: Ctx, Id(id): Id<ContactId>) -> Result<Json<OutboxMessage>, Problem> {
    let entry = ctx.ts.outbox_entry(id).await?;
    let message = ctx.ts.contact_message(id).await?;
    Ok(Json(OutboxMessage { entry, message }))
}

/// Counts the outbox: contacts per state, sent per channel, and how many were delivered,
/// opened, clicked and answered.
#[utoipa::path(get, path = "/api/v1/outbox/counts", operation_id = "outbox_counts", tag = "outbox",
    responses((status = 200, description = "The counts", body = OutboxCounts)))]
pub async fn counts(ctx: Ctx) -> Result<Json<OutboxCounts>, Problem> {
    Ok(Json(ctx.ts.outbox_counts().await?))
}

/// What the dashboard shows: the outbox's counts, the debts paid and the money collected.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "counts": {"by_state": {"planned": 120, "sent": 30, "delivered": 52}, "sent_by_channel": {"email": 50, "sms": 32},
               "delivered": 52, "opened": 20, "clicked": 6, "replied": 3},
    "paid_debts": 4,
    "collected": [{"total": {"amount": "3702.40", "currency": "BRL"}, "payments": 5}]
}))]
pub struct OutboxSummary {
    pub counts: OutboxCounts,
    /// Debts whose status is `paid`.
    pub paid_debts: i64,
    /// Payments received, one sum per currency (amounts with the currency's decimals), by
    /// currency code.
    #[schema(value_type = Vec<Object>)]
    pub collected: Vec<recaudo_store::CurrencyTotal>,
}

/// Counts the outbox (as `/api/v1/outbox/counts`) and sums what was collected: the paid debts
/// and the payments per currency.
#[utoipa::path(get, path = "/api/v1/outbox/summary", operation_id = "outbox_summary", tag = "outbox",
    responses((status = 200, description = "Counts, paid debts and money collected", body = OutboxSummary)))]
pub async fn summary(ctx: Ctx) -> Result<Json<OutboxSummary>, Problem> {
    let counts = ctx.ts.outbox_counts().await?;
    let collected = ctx.ts.collected().await?;
    Ok(Json(OutboxSummary {
        counts,
        paid_debts: collected.paid_debts,
        collected: collected.by_currency,
    }))
}
