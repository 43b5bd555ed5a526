//! `GET /api/v1/kpis`: the tenant's collection KPIs over a period (GUIDE §9,
//! `docs/kpis.md`), from the engine's [`KpiCache`](recaudo_engine::kpis::KpiCache) — the same
//! figures the dashboard and `recaudo kpis` show.

use axum::Json;
use axum::extract::State;
use chrono::{Duration, NaiveDate};
use recaudo_domain::Currency;
use recaudo_domain::kpis::{Dimension, KpiQuery, KpiReport};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::AppState;
use crate::extract::{ApiQuery, Ctx, parsed};
use crate::problem::Problem;

/// The longest period a report covers, in days.
pub const MAX_PERIOD_DAYS: i64 = 3_660;
/// The longest "paid within" window of the funnel, in days.
pub const MAX_PAID_WITHIN_DAYS: u32 = 365;

/// What the report covers.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct KpisParams {
    /// First day, `YYYY-MM-DD` (default: 29 days before `to`).
    #[serde(default, deserialize_with = "parsed")]
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<NaiveDate>,
    /// Last day, included (default: today in the tenant's time zone).
    #[serde(default, deserialize_with = "parsed")]
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<NaiveDate>,
    /// Break the figures down by `segment`, `strategy`, `arm`, `channel` or `product`.
    #[serde(default, deserialize_with = "parsed")]
    #[param(value_type = Option<Dimension>)]
    pub by: Option<Dimension>,
    /// Debts in this currency (default: the tenant's).
    #[serde(default, deserialize_with = "parsed")]
    #[param(value_type = Option<Currency>)]
    pub currency: Option<Currency>,
    /// The funnel's "paid within N days of a contact" (1 to 365, default 7).
    #[serde(default, deserialize_with = "parsed")]
    pub paid_within_days: Option<u32>,
}

/// The query of `params`, with the defaults filled in from `today` and the tenant's
/// currency; a period that ends before it starts or is too long names its field.
pub fn kpi_query(
    params: &KpisParams,
    today: NaiveDate,
    currency: Currency,
) -> Result<KpiQuery, Problem> {
    let to = params.to.unwrap_or(today);
    let from = params.from.unwrap_or(to - Duration::days(29));
    if to < from {
        return Err(Problem::bad_field(
            Some("to".into()),
            format!("`to` ({to}) is before `from` ({from})"),
        ));
    }
    if (to - from).num_days() >= MAX_PERIOD_DAYS {
        return Err(Problem::bad_field(
            Some("from".into()),
            format!("a report covers at most {MAX_PERIOD_DAYS} days"),
        ));
    }
    let paid_within_days = match params.paid_within_days {
        None => KpiQuery::DEFAULT_PAID_WITHIN_DAYS,
        Some(days @ 1..=MAX_PAID_WITHIN_DAYS) => days,
        Some(_) => {
            return Err(Problem::bad_field(
                Some("paid_within_days".into()),
                format!("must be 1 to {MAX_PAID_WITHIN_DAYS}"),
            ));
        }
    };
    Ok(KpiQuery {
        from,
        to,
        by: params.by,
        currency: params.currency.unwrap_or(currency),
        paid_within_days,
    })
}

/// The tenant's KPIs over a period: totals, the breakdown `by` a dimension, the daily trend,
/// the funnel and response heatmap per channel and the experiments' results. Figures are as of
/// when things happened (an invoice's issue date, a payment's `received_at`); money is a
/// decimal string in `currency`.
#[utoipa::path(get, path = "/api/v1/kpis", operation_id = "get_kpis", tag = "kpis",
    params(KpisParams),
    responses((status = 200, description = "The report", body = KpiReport),
        (status = 400, description = "`invalid-field` naming `from`, `to`, `by`, `currency` or `paid_within_days`", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn get(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiQuery(params): ApiQuery<KpisParams>,
) -> Result<Json<KpiReport>, Problem> {
    let query = kpi_query(&params, ctx.today(), ctx.ts.tenant().currency)?;
    let report = state
        .kpis
        .report(&ctx.ts, &query, ctx.now)
        .await
        .map_err(|e| match e {
            recaudo_engine::kpis::KpiError::Store(e) => Problem::from(e),
            recaudo_engine::kpis::KpiError::Compute(e) => {
                tracing::error!(error = %e, "KPI report failed");
                Problem::internal()
            }
        })?;
    Ok(Json(report.as_ref().clone()))
}
