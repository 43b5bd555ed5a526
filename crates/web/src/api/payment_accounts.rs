//! A tenant's payment accounts (docs/payments.md): PIX, Stripe, Mercado Pago or the sandbox,
//! saved checked, their configuration sealed under the installation's key, never answered with
//! a secret; and reconciliation files (`POST /api/v1/payments/reconciliation`).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use recaudo_channels::seal::SealingKey;
use recaudo_engine::payments::{PaymentAccountInput, PaymentSettings, ReconcileReport};
use recaudo_store::{AccountTable, StoredAccount};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::api::provider_accounts::{check_document, no_sealing_key, seal_config};
use crate::extract::{ApiJson, Ctx};
use crate::problem::Problem;

/// The configuration fields that are credentials: answered as `"***"`.
const SECRET_FIELDS: &[&str] = &["secret_key", "webhook_secret", "access_token"];

/// A payment account as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "name": "pix-main", "kind": "pix", "priority": 0, "enabled": true,
    "config": {"kind": "pix", "key": "cobranca@example.com.br", "merchant_name": "EMPRESA EXEMPLO",
               "merchant_city": "SAO PAULO", "webhook_secret": "***"},
    "webhook_url": "/payhooks/ten_01J…/pix-main",
    "created_at": "2026-12-01T12:00:00Z", "updated_at": "2026-12-01T12:00:00Z"
}))]
pub struct PaymentAccountView {
    pub name: String,
    /// `pix`, `stripe`, `mercadopago` or `sandbox`.
    pub kind: String,
    /// Lower is offered first.
    pub priority: i32,
    pub enabled: bool,
    /// The configuration with its credentials as `"***"`; `null` when the installation has no
    /// key to open it.
    #[schema(value_type = Option<Object>)]
    pub config: Option<serde_json::Value>,
    /// Where the provider reports payments (give it to the provider, after the public URL).
    pub webhook_url: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PaymentAccountList {
    pub items: Vec<PaymentAccountView>,
}

/// A payment account to save.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(example = json!({
    "name": "stripe-main", "priority": 1,
    "config": {"kind": "stripe", "secret_key": "sk_test_…", "webhook_secret": "whsec_…"}
}))]
pub struct PaymentAccountDocument {
    /// 1 to 64 letters, digits, `-` or `_`; saving a name again replaces that account.
    pub name: String,
    #[serde(default)]
    pub priority: i32,
    #[serde(default)]
    pub enabled: Option<bool>,
    /// `{"kind": "pix" | "stripe" | "mercadopago" | "sandbox", …}`.
    #[schema(value_type = Object)]
    pub config: serde_json::Value,
}

/// Reads and checks a payment account document (JSON), naming the field at fault: 400 for a
/// field of the wrong shape, 422 for a value refused (`config.key`).
pub fn check(document: &serde_json::Value) -> Result<PaymentAccountInput, Problem> {
    check_document(document, |account: &PaymentAccountInput| {
        account.validate().map_err(|e| (e.field, e.message))
    })
}

/// Checks a payment account document and seals its configuration exactly as sent (serializing
/// the checked configuration would mask its credentials). The CLI saves accounts through it.
pub fn check_and_seal(
    document: &serde_json::Value,
    key: &SealingKey,
) -> Result<(PaymentAccountInput, String), Problem> {
    let account = check(document)?;
    Ok((account, seal_config(document, key)?))
}

fn masked(mut config: serde_json::Value) -> serde_json::Value {
    if let Some(map) = config.as_object_mut() {
        for field in SECRET_FIELDS {
            if let Some(value) = map.get_mut(*field)
                && !value.is_null()
            {
                *value = "***".into();
            }
        }
    }
    config
}

/// The view of a stored account of tenant `ts_id`: its configuration opened with `key` and its
/// credentials masked.
pub fn view(stored: StoredAccount, key: Option<&SealingKey>, ts_id: &str) -> PaymentAccountView {
    let settings: PaymentSettings = serde_json::from_value(stored.settings).unwrap_or_default();
    let config = key
        .and_then(|key| key.open(&stored.config_sealed).ok())
        .and_then(|plain| serde_json::from_slice::<serde_json::Value>(&plain).ok())
        .map(masked);
    PaymentAccountView {
        webhook_url: format!("/payhooks/{ts_id}/{}", stored.name),
        name: stored.name,
        kind: stored.kind,
        priority: settings.priority,
        enabled: settings.enabled,
        config,
        created_at: stored.created_at,
        updated_at: stored.updated_at,
    }
}

/// Lists the tenant's payment accounts, credentials masked.
#[utoipa::path(get, path = "/api/v1/payment-accounts", operation_id = "list_payment_accounts", tag = "payments",
    responses((status = 200, description = "The tenant's payment accounts, by name", body = PaymentAccountList)))]
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<PaymentAccountList>, Problem> {
    let key = state.sealing_key.as_deref();
    let tenant = ctx.ts.tenant().id.to_string();
    let items = ctx
        .ts
        .list_accounts(AccountTable::Payment)
        .await?
        .into_iter()
        .map(|stored| view(stored, key, &tenant))
        .collect();
    Ok(Json(PaymentAccountList { items }))
}

/// Saves a payment account: checked (a wrong field is named, e.g. `config.key`), its
/// configuration sealed, stored under its name (replacing the account of that name).
#[utoipa::path(post, path = "/api/v1/payment-accounts", operation_id = "put_payment_account", tag = "payments",
    request_body = PaymentAccountDocument,
    responses(
        (status = 201, description = "Saved as a new account", body = PaymentAccountView),
        (status = 200, description = "Replaced the account of that name", body = PaymentAccountView),
        (status = 409, description = "`no-sealing-key`: the installation has no `[secrets] key`", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid-field`: `field` names the field at fault", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn put(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(document): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<PaymentAccountView>), Problem> {
    // Checked before the key is looked for, so a bad document is told its fault either way.
    check(&document)?;
    let Some(key) = state.sealing_key.as_deref() else {
        return Err(no_sealing_key());
    };
    let (account, sealed) = check_and_seal(&document, key)?;
    let settings = serde_json::to_value(&account.settings).map_err(|e| {
        tracing::error!(error = %e, "serialising payment account settings");
        Problem::internal()
    })?;
    let (stored, created) = ctx
        .ts
        .put_account(
            AccountTable::Payment,
            &account.name,
            account.config.kind(),
            settings,
            sealed,
            ctx.now,
        )
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let tenant = ctx.ts.tenant().id.to_string();
    Ok((status, Json(view(stored, Some(key), &tenant))))
}

/// Reads one payment account, credentials masked.
#[utoipa::path(get, path = "/api/v1/payment-accounts/{name}", operation_id = "get_payment_account", tag = "payments",
    params(("name" = String, Path, description = "The account's name")),
    responses((status = 200, description = "The account", body = PaymentAccountView)))]
pub async fn get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(name): Path<String>,
) -> Result<Json<PaymentAccountView>, Problem> {
    let stored = ctx.ts.get_account(AccountTable::Payment, &name).await?;
    let tenant = ctx.ts.tenant().id.to_string();
    Ok(Json(view(stored, state.sealing_key.as_deref(), &tenant)))
}

/// Deletes a payment account: debtors are no longer offered it.
#[utoipa::path(delete, path = "/api/v1/payment-accounts/{name}", operation_id = "delete_payment_account", tag = "payments",
    params(("name" = String, Path, description = "The account's name")),
    responses((status = 204, description = "Deleted")))]
pub async fn delete(ctx: Ctx, Path(name): Path<String>) -> Result<StatusCode, Problem> {
    ctx.ts.delete_account(AccountTable::Payment, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What a reconciliation file did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReconciliationAnswer {
    /// Rows read and applied or matched.
    pub applied: u32,
    pub duplicates: u32,
    pub unmatched: u32,
    pub cancelled_contacts: u64,
    pub thanked: u32,
    /// Rows that changed nothing, with why; `errors`: rows that could not be read.
    #[schema(value_type = Vec<Object>)]
    pub rows: Vec<serde_json::Value>,
    #[schema(value_type = Vec<Object>)]
    pub errors: Vec<serde_json::Value>,
}

impl ReconciliationAnswer {
    fn new(report: ReconcileReport, errors: Vec<serde_json::Value>) -> ReconciliationAnswer {
        ReconciliationAnswer {
            applied: report.totals.applied,
            duplicates: report.totals.duplicates,
            unmatched: report.totals.unmatched,
            cancelled_contacts: report.totals.cancelled_contacts,
            thanked: report.totals.thanked,
            rows: report.rows,
            errors,
        }
    }
}

/// Applies a reconciliation file (CSV: `txid` or `debt_external_id`, `amount`, `paid_at`,
/// optional `reference`, `currency`; docs/payments.md). Rows read before change nothing; rows
/// that do not read are named by line and column, and the others still apply.
#[utoipa::path(post, path = "/api/v1/payments/reconciliation", operation_id = "reconcile_payments", tag = "payments",
    request_body(content = String, content_type = "text/csv", description = "The reconciliation file"),
    responses((status = 200, description = "What the file did", body = ReconciliationAnswer)))]
pub async fn reconcile(ctx: Ctx, body: Bytes) -> Result<Json<ReconciliationAnswer>, Problem> {
    let answer = reconcile_bytes(&ctx.ts, &body, ctx.now).await?;
    Ok(Json(answer))
}

/// Reads and applies a reconciliation file (the API and `recaudo payments reconcile`).
pub async fn reconcile_bytes(
    ts: &recaudo_store::TenantStore,
    bytes: &[u8],
    now: DateTime<Utc>,
) -> Result<ReconciliationAnswer, Problem> {
    let (rows, errors) = recaudo_payments::reconcile::parse(bytes)
        .map_err(|e| Problem::invalid_field("file", e.to_string()))?;
    let report = recaudo_engine::payments::reconcile(ts, &rows, now).await?;
    let errors = errors
        .iter()
        .map(|e| serde_json::json!({ "line": e.line, "column": e.column, "message": e.message }))
        .collect();
    Ok(ReconciliationAnswer::new(report, errors))
}
