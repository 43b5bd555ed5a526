//! Payment providers' reports: `POST /payhooks/{tenant}/{account}` (docs/payments.md).
//!
//! As with the channels' webhooks, nothing of a request is read before the account's provider
//! verified it: unknown tenant or account → 404, unsigned, forged or too old → 401, malformed →
//! 400, each logged without the body or a secret. A verified report is applied through the
//! notifications' claim, so a replay changes nothing and still answers 200.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use recaudo_engine::payments::{PaymentAccounts, apply_payment_events};
use recaudo_payments::WebhookError;
use recaudo_store::{StoreError, TenantStore};

use crate::AppState;
use crate::problem::Problem;

/// `POST /payhooks/{tenant}/{account}`.
pub async fn receive(
    State(state): State<AppState>,
    Path((tenant, account)): Path<(String, String)>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ts = match crate::hooks::tenant_store(&state, &tenant).await {
        Ok(Some(ts)) => ts,
        Ok(None) => return Problem::not_found("no such webhook").into_response(),
        Err(error) => return Problem::from(error).into_response(),
    };
    let accounts = match accounts(&state, &ts).await {
        Ok(accounts) => accounts,
        Err(error) => return Problem::from(error).into_response(),
    };
    let Some(built) = accounts.by_name(&account) else {
        return Problem::not_found("no such webhook").into_response();
    };
    let query = uri.query().unwrap_or("");
    let now = state.clock.now();
    if let Err(error) = built.provider.verify_webhook(&headers, query, &body, now) {
        return refuse(&tenant, &account, &error);
    }
    let events = match built.provider.parse_webhook(&headers, query, &body).await {
        Ok(events) => events,
        Err(error) => return refuse(&tenant, &account, &error),
    };
    match apply_payment_events(&ts, &account, events, now).await {
        Ok(report) => {
            tracing::info!(%tenant, %account, applied = report.applied,
                duplicates = report.duplicates, unmatched = report.unmatched,
                "payment webhook applied");
            Json(report).into_response()
        }
        Err(error) => {
            tracing::error!(%tenant, %account, %error, "a verified payment report could not be stored");
            // The provider retries a 5xx, and the claim keeps what did get stored once.
            Problem::from(error).into_response()
        }
    }
}

/// The tenant's payment accounts (with the sandbox's when the installation runs one).
pub(crate) async fn accounts(
    state: &AppState,
    ts: &TenantStore,
) -> Result<PaymentAccounts, StoreError> {
    PaymentAccounts::load(
        ts,
        state.sealing_key.as_deref(),
        &state.provider_env.http,
        state.payments_sandbox,
    )
    .await
}

fn refuse(tenant: &str, account: &str, error: &WebhookError) -> Response {
    tracing::warn!(%tenant, %account, reason = %error, "payment webhook refused");
    match error {
        WebhookError::Unauthorized(_) => Problem::unauthorized(
            "the webhook's signature is missing, does not match or is too old",
        )
        .into_response(),
        WebhookError::Malformed(why) => Problem::new(
            StatusCode::BAD_REQUEST,
            "malformed-webhook",
            "Malformed webhook",
        )
        .with_detail(why.clone())
        .into_response(),
        WebhookError::Upstream(why) => Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "provider-unavailable",
            "Provider unavailable",
        )
        .with_detail(why.clone())
        .into_response(),
    }
}
