//! Timelines: the events of a debtor or of a debt, in the order they happened (`occurred_at`),
//! each with the time it was recorded (`recorded_at`).

use axum::Json;
use recaudo_domain::{DebtId, DebtorId};
use recaudo_store::TimelineQuery;
use serde::Deserialize;
use utoipa::IntoParams;

use super::EventPage;
use crate::extract::{ApiQuery, Ctx, Id, non_empty, parsed};
use crate::problem::Problem;

/// Where a timeline page starts.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TimelineParams {
    /// `next_cursor` of the previous page.
    #[serde(default, deserialize_with = "non_empty")]
    pub cursor: Option<String>,
    /// Page size, 1 to 1000 (default 100); a value outside is refused (422, `field`: `limit`).
    #[serde(default, deserialize_with = "parsed")]
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

impl From<TimelineParams> for TimelineQuery {
    fn from(params: TimelineParams) -> Self {
        TimelineQuery {
            cursor: params.cursor,
            limit: params.limit,
        }
    }
}

/// Every event of a debtor: their own and their debts'.
#[utoipa::path(get, path = "/api/v1/debtors/{id}/timeline", operation_id = "debtor_timeline", tag = "timelines",
    params(("id" = DebtorId, Path, description = "Debtor id"), TimelineParams),
    responses((status = 200, description = "One page of events", body = EventPage)))]
pub async fn debtor(
    ctx: Ctx,
    Id(id): Id<DebtorId>,
    ApiQuery(query): ApiQuery<TimelineParams>,
) -> Result<Json<EventPage>, Problem> {
    Ok(Json(
        ctx.ts.debtor_timeline(id, &query.into()).await?.into(),
    ))
}

/// The events of one debt.
#[utoipa::path(get, path = "/api/v1/debts/{id}/timeline", operation_id = "debt_timeline", tag = "timelines",
    params(("id" = DebtId, Path, description = "Debt id"), TimelineParams),
    responses((status = 200, description = "One page of events", body = EventPage)))]
pub async fn debt(
    ctx: Ctx,
    Id(id): Id<DebtId>,
    ApiQuery(query): ApiQuery<TimelineParams>,
) -> Result<Json<EventPage>, Problem> {
    Ok(Json(ctx.ts.debt_timeline(id, &query.into()).await?.into()))
}
