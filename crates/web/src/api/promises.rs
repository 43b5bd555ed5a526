//! Promises to pay.

use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use chrono::NaiveDate;
use recaudo_domain::portfolio::{Channel, Debt, Promise, PromiseStatus};
use recaudo_domain::{Currency, DebtId, PromiseId};
use recaudo_store::{NewPromise, PromiseOverride};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Amount, PromiseList, same_currency};
use crate::extract::{ApiJson, Ctx, Id};
use crate::problem::Problem;

/// A debtor's promise to pay an amount by a date.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePromise {
    pub amount: Amount,
    /// Must be the debt's currency; default: the debt's.
    #[schema(value_type = Option<Currency>)]
    pub currency: Option<String>,
    /// Today or later, in the tenant's time zone.
    #[schema(value_type = String, format = Date)]
    pub due_on: NaiveDate,
    /// The channel the promise was made on.
    pub channel: Option<Channel>,
}

/// An operator's override of how a promise ended. Payments settle promises on their own (kept
/// when paid in full by the date plus the grace days, broken otherwise); this closes a pending
/// one by hand, recording the API key that did it and why.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchPromise {
    /// `kept`, `broken` or `cancelled`.
    pub status: PromiseStatus,
    /// Why the promise is closed by hand (1 to 500 characters); kept on the promise
    /// (`close_reason`) and in its event.
    pub reason: String,
}

/// Who makes a request: `api_key:<the key's first 9 characters>`, the prefix the key is listed
/// by (never the key itself).
pub struct Actor(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Actor {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Problem> {
        let key = crate::auth::bearer(&parts.headers)
            .ok_or_else(|| Problem::unauthorized("an API key is required"))?;
        let key = key.expose_secret();
        let prefix: String = key.chars().take(9).collect();
        Ok(Actor(format!("api_key:{prefix}")))
    }
}

/// A promise, and its debt after the change.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PromiseResult {
    pub promise: Promise,
    pub debt: Debt,
}

/// Lists the promises of a debt.
#[utoipa::path(get, path = "/api/v1/debts/{id}/promises", operation_id = "list_promises", tag = "promises",
    params(("id" = DebtId, Path, description = "Debt id")),
    responses((status = 200, description = "The promises", body = PromiseList)))]
pub async fn list(ctx: Ctx, Id(id): Id<DebtId>) -> Result<Json<PromiseList>, Problem> {
    Ok(Json(ctx.ts.list_promises(id).await?.into()))
}

/// Records a promise to pay; the debt becomes `promised`.
#[utoipa::path(post, path = "/api/v1/debts/{id}/promises", operation_id = "create_promise", tag = "promises",
    params(("id" = DebtId, Path, description = "Debt id")),
    request_body = CreatePromise,
    responses((status = 201, description = "The promise and the debt after it", body = PromiseResult),
        (status = 409, description = "`contention`: the debt kept changing meanwhile; send the request again", body = crate::problem::Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u16, description = "Seconds to wait before sending it again")))))]
pub async fn create(
    ctx: Ctx,
    Id(id): Id<DebtId>,
    ApiJson(body): ApiJson<CreatePromise>,
) -> Result<(StatusCode, Json<PromiseResult>), Problem> {
    let debt = ctx.ts.get_debt(id).await?;
    let result = record(
        &ctx,
        &debt,
        Some(&body.amount),
        body.currency.as_deref(),
        body.due_on,
        body.channel,
        &serde_json::Value::Null,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(result)))
}

/// Records a promise on `debt` (without an amount: its balance), checked as every promise is,
/// with what caused it (`origin`) on its `promise_made` event: the one place promises are made
/// over the API.
pub(crate) async fn record(
    ctx: &Ctx,
    debt: &Debt,
    amount: Option<&Amount>,
    currency: Option<&str>,
    due_on: NaiveDate,
    channel: Option<Channel>,
    origin: &serde_json::Value,
) -> Result<PromiseResult, Problem> {
    let cur = same_currency("currency", currency, debt)?;
    let amount = match amount {
        Some(amount) => amount.money("amount", cur)?,
        None => debt.balance,
    };
    let new = NewPromise {
        amount,
        due_on,
        channel,
    };
    let (promise, debt) = ctx
        .ts
        .create_promise_from(debt.id, new, origin, ctx.now, ctx.today())
        .await?;
    Ok(PromiseResult { promise, debt })
}

/// Closes a pending promise by hand as kept, broken or cancelled, with a reason; the API key is
/// recorded as `closed_by`. The debt leaves `promised` only when no other promise of it is
/// pending.
#[utoipa::path(patch, path = "/api/v1/promises/{id}", operation_id = "patch_promise", tag = "promises",
    params(("id" = PromiseId, Path, description = "Promise id")),
    request_body = PatchPromise,
    responses((status = 200, description = "The promise and its debt after the change", body = PromiseResult),
        (status = 422, description = "`invalid-field`: no `reason`, or the promise is no longer pending (`status`)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`contention`: the debt kept changing meanwhile; send the request again", body = crate::problem::Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u16, description = "Seconds to wait before sending it again")))))]
pub async fn patch(
    ctx: Ctx,
    Actor(actor): Actor,
    Id(id): Id<PromiseId>,
    ApiJson(body): ApiJson<PatchPromise>,
) -> Result<Json<PromiseResult>, Problem> {
    let by = PromiseOverride {
        status: body.status,
        actor,
        reason: body.reason,
    };
    let (promise, debt) = ctx.ts.close_promise(id, by, ctx.now).await?;
    Ok(Json(PromiseResult { promise, debt }))
}
