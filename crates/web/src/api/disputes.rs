//! Disputes: a debtor's objection to a debt.

use axum::Json;
use axum::http::StatusCode;
use recaudo_domain::portfolio::{Debt, Dispute, DisputeStatus};
use recaudo_domain::{DebtId, DisputeId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::DisputeList;
use crate::extract::{ApiJson, Ctx, Id};
use crate::problem::Problem;

/// A dispute to open.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDispute {
    /// What the debtor objects to (1 to 2000 characters).
    pub reason: String,
}

/// How a dispute was resolved.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchDispute {
    /// `upheld` (the debtor was right: the debt is written off) or `rejected` (collection
    /// resumes).
    pub status: DisputeStatus,
}

/// A dispute, and its debt after the change.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DisputeResult {
    pub dispute: Dispute,
    pub debt: Debt,
}

/// Lists the disputes of a debt.
#[utoipa::path(get, path = "/api/v1/debts/{id}/disputes", operation_id = "list_disputes", tag = "disputes",
    params(("id" = DebtId, Path, description = "Debt id")),
    responses((status = 200, description = "The disputes", body = DisputeList)))]
pub async fn list(ctx: Ctx, Id(id): Id<DebtId>) -> Result<Json<DisputeList>, Problem> {
    Ok(Json(ctx.ts.list_disputes(id).await?.into()))
}

/// Opens a dispute; the debt becomes `disputed` and collection stops.
#[utoipa::path(post, path = "/api/v1/debts/{id}/disputes", operation_id = "create_dispute", tag = "disputes",
    params(("id" = DebtId, Path, description = "Debt id")),
    request_body = CreateDispute,
    responses((status = 201, description = "The dispute and the debt after it", body = DisputeResult),
        (status = 409, description = "`contention`: the debt kept changing meanwhile; send the request again", body = crate::problem::Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u16, description = "Seconds to wait before sending it again")))))]
pub async fn create(
    ctx: Ctx,
    Id(id): Id<DebtId>,
    ApiJson(body): ApiJson<CreateDispute>,
) -> Result<(StatusCode, Json<DisputeResult>), Problem> {
    let (dispute, debt) = ctx.ts.open_dispute(id, &body.reason, ctx.now).await?;
    Ok((StatusCode::CREATED, Json(DisputeResult { dispute, debt })))
}

/// Resolves an open dispute.
#[utoipa::path(patch, path = "/api/v1/disputes/{id}", operation_id = "patch_dispute", tag = "disputes",
    params(("id" = DisputeId, Path, description = "Dispute id")),
    request_body = PatchDispute,
    responses((status = 200, description = "The dispute and its debt after the change", body = DisputeResult),
        (status = 409, description = "`contention`: the debt kept changing meanwhile; send the request again", body = crate::problem::Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u16, description = "Seconds to wait before sending it again")))))]
pub async fn patch(
    ctx: Ctx,
    Id(id): Id<DisputeId>,
    ApiJson(body): ApiJson<PatchDispute>,
) -> Result<Json<DisputeResult>, Problem> {
    let (dispute, debt) = ctx.ts.resolve_dispute(id, body.status, ctx.now).await?;
    Ok(Json(DisputeResult { dispute, debt }))
}
