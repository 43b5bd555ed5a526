//! Instalment plans: the tenant's rules, quotes, accepted plans and their cancellation.

use axum::Json;
use axum::http::StatusCode;
use chrono::NaiveDate;
use recaudo_domain::plans::{Plan, PlanQuote, PlanRequest, PlanRuleSet};
use recaudo_domain::portfolio::{Debt, DebtStatus, Debtor};
use recaudo_domain::{DebtId, DebtorId, PlanId};
use recaudo_engine::plans::{PlanFailure, accept, debtor_today, quote_for};
use recaudo_store::DebtFilter;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Amount;
use super::promises::Actor;
use crate::extract::{ApiJson, Ctx, Id};
use crate::problem::Problem;

/// What a debtor asks for: the debts (default: every open or promised debt of the debtor, which
/// must share one currency), the instalments after the down payment, the down payment (due on
/// acceptance) and the date of the first instalment.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanBody {
    #[serde(default)]
    pub debts: Option<Vec<DebtId>>,
    pub instalments: u32,
    /// In the debts' currency; may be `"0"` when the rules ask for no down payment.
    pub down_payment: Amount,
    /// After today and no later than the rules' `first_due_max_days`.
    #[schema(value_type = String, format = Date)]
    pub first_due_on: NaiveDate,
}

/// Why a plan is cancelled by hand.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelPlan {
    /// 1 to 500 characters, kept on the plan (`close_reason`) and in its events.
    pub reason: String,
}

/// A debtor's plans, newest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlanList {
    pub items: Vec<Plan>,
}

impl From<PlanFailure> for Problem {
    fn from(failure: PlanFailure) -> Self {
        match failure {
            PlanFailure::Disabled => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "plans-disabled",
                "Plans disabled",
            )
            .with_detail(failure.to_string()),
            PlanFailure::NoDebts | PlanFailure::NotEligible { .. } => {
                Problem::invalid_field("debts", failure.to_string())
            }
            PlanFailure::Rule(rule) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "plan-rule",
                "Outside the plan rules",
            )
            .with_detail(rule.to_string())
            .with_field(rule.field()),
            PlanFailure::Store(error) => error.into(),
        }
    }
}

/// Reads the tenant's plan rules: those it saved, or the defaults.
#[utoipa::path(get, path = "/api/v1/plan-rules", operation_id = "get_plan_rules", tag = "plans",
    responses((status = 200, description = "The plan rules in force", body = PlanRuleSet,
        example = json!(PlanRuleSet::default()))))]
pub async fn get_rules(ctx: Ctx) -> Result<Json<PlanRuleSet>, Problem> {
    Ok(Json(ctx.ts.plan_rules().await?))
}

/// Saves the tenant's plan rules: the default and per segment (the debtor's effective
/// segment). Keys left out take their defaults; an unknown key or a value out of range answers
/// 422 naming it (`segments.vip.max_instalments`).
#[utoipa::path(put, path = "/api/v1/plan-rules", operation_id = "put_plan_rules", tag = "plans",
    request_body(content = PlanRuleSet, example = json!({"enabled": true,
        "default": {"max_instalments": 6, "min_down_payment_pct": "10"},
        "segments": {"vip": {"max_instalments": 12, "discount_pct": "5"}}})),
    responses((status = 200, description = "The plan rules saved, in full", body = PlanRuleSet),
        (status = 422, description = "`invalid-field` naming the key at fault", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn put_rules(
    ctx: Ctx,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<PlanRuleSet>, Problem> {
    if !body.is_object() {
        return Err(Problem::invalid_field(".", "a JSON object is expected"));
    }
    let rules: PlanRuleSet = serde_path_to_error::deserialize(&body).map_err(|e| {
        let path = e.path().to_string();
        Problem::invalid_field(path, e.into_inner().to_string())
    })?;
    ctx.ts.put_plan_rules(&rules, ctx.now).await?;
    Ok(Json(rules))
}

/// The debtor and the debts a request names (default: every open or promised debt), each the
/// debtor's.
async fn debts_of(
    ctx: &Ctx,
    id: DebtorId,
    named: Option<&[DebtId]>,
) -> Result<(Debtor, Vec<Debt>), Problem> {
    let debtor = ctx.ts.get_debtor(id).await?;
    let debts = match named {
        Some(ids) => {
            let mut debts = Vec::with_capacity(ids.len());
            for debt_id in ids {
                let debt = ctx.ts.get_debt(*debt_id).await?;
                if debt.debtor_id != id {
                    return Err(Problem::invalid_field(
                        "debts",
                        format!("debt {debt_id} is not this debtor's"),
                    ));
                }
                debts.push(debt);
            }
            debts
        }
        None => {
            let page = ctx
                .ts
                .list_debts(&DebtFilter {
                    debtor_id: Some(id),
                    limit: Some(500),
                    ..DebtFilter::default()
                })
                .await?;
            page.items
                .into_iter()
                .filter(|d| matches!(d.status, DebtStatus::Open | DebtStatus::Promised))
                .collect()
        }
    };
    Ok((debtor, debts))
}

fn request_of(body: &PlanBody, debts: &[Debt]) -> Result<PlanRequest, Problem> {
    let currency = debts
        .first()
        .map(|d| d.balance.currency)
        .ok_or_else(|| Problem::invalid_field("debts", "the debtor has no open debt"))?;
    Ok(PlanRequest {
        instalments: body.instalments,
        down_payment: body.down_payment.money("down_payment", currency)?,
        first_due_on: body.first_due_on,
    })
}

/// Quotes a plan: the discount, the interest, the total and the schedule (instalment 0 is the
/// down payment, due today), as the debtor would accept it. Nothing is stored.
#[utoipa::path(post, path = "/api/v1/debtors/{id}/plans/quote", operation_id = "quote_plan", tag = "plans",
    params(("id" = DebtorId, Path, description = "Debtor id")),
    request_body = PlanBody,
    responses((status = 200, description = "The quote", body = PlanQuote),
        (status = 422, description = "`plan-rule` naming the field outside the rules (`instalments`, `down_payment`, `first_due_on`), `plans-disabled`, or `invalid-field` (`debts`)", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn quote(
    ctx: Ctx,
    Id(id): Id<DebtorId>,
    ApiJson(body): ApiJson<PlanBody>,
) -> Result<Json<PlanQuote>, Problem> {
    let (debtor, debts) = debts_of(&ctx, id, body.debts.as_deref()).await?;
    let request = request_of(&body, &debts)?;
    let today = debtor_today(&ctx.ts, &debtor, ctx.now);
    Ok(Json(
        quote_for(&ctx.ts, &debtor, &debts, &request, today).await?,
    ))
}

/// Accepts a plan as quoted: the debts' balances change by the discount or interest, they
/// become `plan` (the strategy pauses), their pending promises are cancelled, and the debtor is
/// sent a confirmation.
#[utoipa::path(post, path = "/api/v1/debtors/{id}/plans", operation_id = "create_plan", tag = "plans",
    params(("id" = DebtorId, Path, description = "Debtor id")),
    request_body = PlanBody,
    responses((status = 201, description = "The plan", body = Plan),
        (status = 422, description = "`plan-rule` naming the field outside the rules, `plans-disabled`, or `invalid-field` (`debts`)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`conflict`: a debt cannot enter a plan (paid, disputed, already in one), named in `detail`", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn create(
    ctx: Ctx,
    Id(id): Id<DebtorId>,
    ApiJson(body): ApiJson<PlanBody>,
) -> Result<(StatusCode, Json<Plan>), Problem> {
    let (debtor, debts) = debts_of(&ctx, id, body.debts.as_deref()).await?;
    let request = request_of(&body, &debts)?;
    let plan = accept(
        &ctx.ts,
        &debtor,
        &debts,
        &request,
        serde_json::json!({"source": "api"}),
        ctx.now,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(plan)))
}

/// Lists a debtor's plans, newest first, with their instalments.
#[utoipa::path(get, path = "/api/v1/debtors/{id}/plans", operation_id = "list_plans", tag = "plans",
    params(("id" = DebtorId, Path, description = "Debtor id")),
    responses((status = 200, description = "The plans", body = PlanList)))]
pub async fn list(ctx: Ctx, Id(id): Id<DebtorId>) -> Result<Json<PlanList>, Problem> {
    Ok(Json(PlanList {
        items: ctx.ts.plans_of_debtor(id).await?,
    }))
}

/// Reads a plan with its instalments.
#[utoipa::path(get, path = "/api/v1/plans/{id}", operation_id = "get_plan", tag = "plans",
    params(("id" = PlanId, Path, description = "Plan id")),
    responses((status = 200, description = "The plan", body = Plan)))]
pub async fn get(ctx: Ctx, Id(id): Id<PlanId>) -> Result<Json<Plan>, Problem> {
    Ok(Json(ctx.ts.get_plan(id).await?))
}

/// Cancels an active plan by hand, with a reason (the API key is recorded): its debts return to
/// collection and the discount or interest not yet earned is reversed.
#[utoipa::path(post, path = "/api/v1/plans/{id}/cancel", operation_id = "cancel_plan", tag = "plans",
    params(("id" = PlanId, Path, description = "Plan id")),
    request_body = CancelPlan,
    responses((status = 200, description = "The plan, cancelled", body = Plan),
        (status = 422, description = "`invalid-field`: no `reason`, or the plan is no longer active (`status`)", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn cancel(
    ctx: Ctx,
    Actor(actor): Actor,
    Id(id): Id<PlanId>,
    ApiJson(body): ApiJson<CancelPlan>,
) -> Result<Json<Plan>, Problem> {
    Ok(Json(
        ctx.ts
            .cancel_plan(id, &actor, &body.reason, ctx.now)
            .await?,
    ))
}
