//! Payments against a debt.

use axum::Json;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use recaudo_domain::portfolio::{Debt, Payment};
use recaudo_domain::{Currency, DebtId};
use recaudo_store::NewPayment;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Amount, PaymentList, same_currency};
use crate::extract::{ApiJson, Ctx, Id};
use crate::problem::Problem;

/// Money received against a debt.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePayment {
    pub amount: Amount,
    /// Must be the debt's currency; default: the debt's.
    #[schema(value_type = Option<Currency>)]
    pub currency: Option<String>,
    /// `manual` (default), `pix`, `card`, `transfer`, `cash`, …
    pub method: Option<String>,
    /// The payment's reference at the provider.
    pub provider_ref: Option<String>,
    /// When the money was received (the payment's place on the timeline). Default: now.
    pub received_at: Option<DateTime<Utc>>,
    /// Take a payment above the balance, keeping the difference as the debtor's credit
    /// (`credit` of the payment and of its `payment_received` event). Default `false`: such a
    /// payment is refused with `rule-violation` naming `amount`.
    #[serde(default)]
    pub allow_overpayment: bool,
}

/// A payment recorded, and the debt after it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PaymentResult {
    pub payment: Payment,
    pub debt: Debt,
}

/// Lists the payments of a debt.
#[utoipa::path(get, path = "/api/v1/debts/{id}/payments", operation_id = "list_payments", tag = "payments",
    params(("id" = DebtId, Path, description = "Debt id")),
    responses((status = 200, description = "The payments", body = PaymentList)))]
pub async fn list(ctx: Ctx, Id(id): Id<DebtId>) -> Result<Json<PaymentList>, Problem> {
    Ok(Json(ctx.ts.list_payments(id).await?.into()))
}

/// Records a payment: the balance goes down, and a debt at zero becomes `paid`. A payment above
/// the balance is refused unless `allow_overpayment`. The promises the payments now cover in
/// full are closed as kept.
#[utoipa::path(post, path = "/api/v1/debts/{id}/payments", operation_id = "create_payment", tag = "payments",
    params(("id" = DebtId, Path, description = "Debt id")),
    request_body = CreatePayment,
    responses((status = 201, description = "The payment and the debt after it", body = PaymentResult),
        (status = 422, description = "`rule-violation` naming `amount`: the payment is above the balance and `allow_overpayment` is not `true`", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`contention`: the debt kept changing meanwhile; send the request again", body = crate::problem::Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u16, description = "Seconds to wait before sending it again")))))]
pub async fn create(
    ctx: Ctx,
    Id(id): Id<DebtId>,
    ApiJson(body): ApiJson<CreatePayment>,
) -> Result<(StatusCode, Json<PaymentResult>), Problem> {
    let result = record(&ctx, id, body, &serde_json::Value::Null).await?;
    Ok((StatusCode::CREATED, Json(result)))
}

/// Records a payment on a debt, checked as every payment is, with what caused it (`origin`) on
/// its `payment_received` event: the one place payments are taken over the API.
pub(crate) async fn record(
    ctx: &Ctx,
    id: DebtId,
    body: CreatePayment,
    origin: &serde_json::Value,
) -> Result<PaymentResult, Problem> {
    let debt = ctx.ts.get_debt(id).await?;
    let cur = same_currency("currency", body.currency.as_deref(), &debt)?;
    let amount = body.amount.money("amount", cur)?;
    let new = NewPayment {
        amount,
        method: body.method.unwrap_or_else(|| "manual".to_string()),
        provider_ref: body.provider_ref,
        received_at: body.received_at,
        allow_overpayment: body.allow_overpayment,
    };
    let (payment, debt) = ctx.ts.record_payment_from(id, new, origin, ctx.now).await?;
    // As after a provider's payment: nothing more is sent for a paid debt, and the debtor is
    // thanked once.
    let paid: Vec<DebtId> = (debt.status == recaudo_domain::portfolio::DebtStatus::Paid)
        .then_some(debt.id)
        .into_iter()
        .collect();
    recaudo_engine::payments::after_payment(
        &ctx.ts,
        recaudo_engine::payments::AfterPayment {
            debtor: debt.debtor_id,
            debt: debt.id,
            paid_debts: &paid,
            contact: None,
            key: &payment.id.to_string(),
        },
        ctx.now,
    )
    .await?;
    Ok(PaymentResult { payment, debt })
}
