//! Debts: list, create, read.

use axum::Json;
use axum::http::StatusCode;
use chrono::NaiveDate;
use recaudo_domain::portfolio::{Debt, DebtStatus};
use recaudo_domain::{Currency, DebtId, DebtorId};
use recaudo_store::{DebtFilter, Entity, NewDebt, StoreError};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::{Amount, DebtPage, currency};
use crate::extract::{ApiJson, ApiQuery, Ctx, Id, non_empty, parsed};
use crate::problem::Problem;

/// Filters of the debt list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DebtQuery {
    #[serde(default, deserialize_with = "parsed")]
    #[param(value_type = Option<DebtorId>)]
    pub debtor_id: Option<DebtorId>,
    /// The tenant's id for the debt.
    #[serde(default, deserialize_with = "non_empty")]
    pub external_id: Option<String>,
    #[serde(default, deserialize_with = "parsed")]
    #[param(value_type = Option<DebtStatus>)]
    pub status: Option<DebtStatus>,
    #[serde(default, deserialize_with = "parsed")]
    #[param(value_type = Option<Currency>)]
    pub currency: Option<Currency>,
    /// Due strictly before this date.
    #[serde(default, deserialize_with = "parsed")]
    #[param(value_type = Option<String>, format = Date)]
    pub due_before: Option<NaiveDate>,
    /// Due strictly after this date.
    #[serde(default, deserialize_with = "parsed")]
    #[param(value_type = Option<String>, format = Date)]
    pub due_after: Option<NaiveDate>,
    /// `next_cursor` of the previous page.
    #[serde(default, deserialize_with = "non_empty")]
    pub cursor: Option<String>,
    /// Page size, 1 to 500 (default 50); a value outside is refused (422, `field`: `limit`).
    #[serde(default, deserialize_with = "parsed")]
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// A debt to create, for a debtor named by `debtor_id` or by `debtor_external_id`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDebt {
    #[schema(value_type = Option<DebtorId>)]
    pub debtor_id: Option<String>,
    pub debtor_external_id: Option<String>,
    /// The tenant's own id for the debt; unique per tenant.
    pub external_id: String,
    /// The original amount.
    pub amount: Amount,
    #[schema(value_type = Currency)]
    pub currency: String,
    /// What is still owed; default: `amount`.
    pub balance: Option<Amount>,
    /// Default: `due_on`.
    #[schema(value_type = Option<String>, format = Date)]
    pub issued_on: Option<NaiveDate>,
    /// Default: `issued_on`, or today in the tenant's time zone.
    #[schema(value_type = Option<String>, format = Date)]
    pub due_on: Option<NaiveDate>,
    /// Product or portfolio, e.g. `electricity`.
    pub product: Option<String>,
}

/// A debtor named in a body that does not exist for this tenant: 404 naming the field.
fn no_debtor(field: &str, error: StoreError) -> Problem {
    match error {
        StoreError::NotFound {
            what: Entity::Debtor,
            ..
        } => Problem::from(error).with_field(field),
        other => Problem::from(other),
    }
}

/// Lists debts, oldest first.
#[utoipa::path(get, path = "/api/v1/debts", operation_id = "list_debts", tag = "debts",
    params(DebtQuery),
    responses((status = 200, description = "One page of debts", body = DebtPage)))]
pub async fn list(
    ctx: Ctx,
    ApiQuery(query): ApiQuery<DebtQuery>,
) -> Result<Json<DebtPage>, Problem> {
    let filter = DebtFilter {
        debtor_id: query.debtor_id,
        external_id: query.external_id,
        status: query.status,
        currency: query.currency,
        due_before: query.due_before,
        due_after: query.due_after,
        cursor: query.cursor,
        limit: query.limit,
    };
    Ok(Json(ctx.ts.list_debts(&filter).await?.into()))
}

/// Creates a debt.
#[utoipa::path(post, path = "/api/v1/debts", operation_id = "create_debt", tag = "debts",
    request_body = CreateDebt,
    responses(
        (status = 201, description = "The debt", body = Debt),
        (status = 409, description = "A debt with this external id exists", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn create(
    ctx: Ctx,
    ApiJson(body): ApiJson<CreateDebt>,
) -> Result<(StatusCode, Json<Debt>), Problem> {
    let debtor_id = match (
        body.debtor_id.as_deref(),
        body.debtor_external_id.as_deref(),
    ) {
        (Some(_), Some(_)) => {
            return Err(Problem::bad_field(
                Some("debtor_id".into()),
                "give either `debtor_id` or `debtor_external_id`, not both",
            ));
        }
        (None, None) => {
            return Err(Problem::bad_field(
                Some("debtor_id".into()),
                "`debtor_id` or `debtor_external_id` is required",
            ));
        }
        (Some(raw), None) => {
            let id = raw.parse::<DebtorId>().map_err(|e| {
                Problem::not_found(format!("{} `{raw}` not found", e.kind)).with_field("debtor_id")
            })?;
            ctx.ts
                .get_debtor(id)
                .await
                .map_err(|e| no_debtor("debtor_id", e))?
                .id
        }
        (None, Some(ext)) => {
            ctx.ts
                .get_debtor_by_external_id(ext)
                .await
                .map_err(|e| no_debtor("debtor_external_id", e))?
                .id
        }
    };
    let cur = currency("currency", &body.currency)?;
    let amount = body.amount.money("amount", cur)?;
    let balance = body
        .balance
        .as_ref()
        .map(|b| b.money("balance", cur))
        .transpose()?;
    let due_on = body
        .due_on
        .or(body.issued_on)
        .unwrap_or_else(|| ctx.today());
    let new = NewDebt {
        debtor_id,
        external_id: body.external_id,
        amount,
        balance,
        issued_on: body.issued_on,
        due_on,
        product: body.product,
    };
    let debt = ctx.ts.create_debt(new, ctx.now).await?;
    Ok((StatusCode::CREATED, Json(debt)))
}

/// Reads a debt.
#[utoipa::path(get, path = "/api/v1/debts/{id}", operation_id = "get_debt", tag = "debts",
    params(("id" = DebtId, Path, description = "Debt id")),
    responses((status = 200, description = "The debt", body = Debt)))]
pub async fn get(ctx: Ctx, Id(id): Id<DebtId>) -> Result<Json<Debt>, Problem> {
    Ok(Json(ctx.ts.get_debt(id).await?))
}
