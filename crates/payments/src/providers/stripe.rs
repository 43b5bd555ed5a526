//! Stripe: a Checkout Session per payment intent, and the `checkout.session.*` events of its
//! signed webhook (`Stripe-Signature: t=…,v1=…`).

use std::time::Duration;

use chrono::{DateTime, Utc};
use recaudo_domain::portfolio::Language;
use recaudo_domain::{Currency, Money, Secret};
use serde::{Deserialize, Serialize};

use crate::signature::{header, verify_sha256_hex};
use crate::{
    Checkout, CheckoutAction, CheckoutRequest, ConfigError, PaymentError, PaymentEvent,
    PaymentProvider, PaymentStatus, WebhookError, check_secret, check_url, fresh,
};

pub const DEFAULT_API_BASE: &str = "https://api.stripe.com";
pub const SIGNATURE_HEADER: &str = "stripe-signature";

/// A Stripe account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StripeConfig {
    /// `sk_live_…` / `sk_test_…` (or a restricted `rk_…` key allowed to create sessions).
    #[serde(serialize_with = "crate::mask_secret")]
    pub secret_key: Secret<String>,
    /// The endpoint's signing secret, `whsec_…`.
    #[serde(serialize_with = "crate::mask_secret")]
    pub webhook_secret: Secret<String>,
    /// Default `https://api.stripe.com`; tests point it at a mock.
    #[serde(default)]
    pub api_base: Option<String>,
}

impl StripeConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_secret("secret_key", &self.secret_key)?;
        let key = self.secret_key.expose_secret();
        if !(key.starts_with("sk_") || key.starts_with("rk_")) {
            return Err(ConfigError::new(
                "secret_key",
                "must be a secret key (sk_…) or a restricted key (rk_…)",
            ));
        }
        check_secret("webhook_secret", &self.webhook_secret)?;
        if let Some(base) = &self.api_base {
            check_url("api_base", base)?;
        }
        Ok(())
    }
}

/// A Stripe account, built.
#[derive(Debug, Clone)]
pub struct Stripe {
    config: StripeConfig,
    http: reqwest::Client,
}

impl Stripe {
    pub fn new(config: StripeConfig, http: reqwest::Client) -> Stripe {
        Stripe { config, http }
    }

    fn api_base(&self) -> &str {
        self.config
            .api_base
            .as_deref()
            .unwrap_or(DEFAULT_API_BASE)
            .trim_end_matches('/')
    }
}

/// Stripe's name for the checkout page's language.
fn locale(language: Language) -> &'static str {
    match language {
        Language::Es => "es",
        Language::Pt => "pt-BR",
        Language::En => "en",
    }
}

/// The form fields of `POST /v1/checkout/sessions`, in the order they are sent.
pub fn session_form(req: &CheckoutRequest) -> Result<Vec<(&'static str, String)>, PaymentError> {
    let unit_amount = req
        .amount
        .to_minor()
        .map_err(|e| PaymentError::permanent("amount", e.to_string()))?;
    let mut form = vec![
        ("mode", "payment".to_string()),
        ("client_reference_id", req.reference.clone()),
        ("metadata[reference]", req.reference.clone()),
        ("line_items[0][quantity]", "1".to_string()),
        (
            "line_items[0][price_data][currency]",
            req.amount.currency.code().to_ascii_lowercase(),
        ),
        (
            "line_items[0][price_data][unit_amount]",
            unit_amount.to_string(),
        ),
        (
            "line_items[0][price_data][product_data][name]",
            req.description.clone(),
        ),
        ("success_url", req.success_url.clone()),
        ("cancel_url", req.cancel_url.clone()),
        ("locale", locale(req.language).to_string()),
    ];
    if let Some(email) = &req.payer_email {
        form.push(("customer_email", email.clone()));
    }
    Ok(form)
}

#[derive(Debug, Deserialize)]
struct SessionCreated {
    id: String,
    url: Option<String>,
    expires_at: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error: ErrorDetail,
}

#[derive(Debug, Default, Deserialize)]
struct ErrorDetail {
    code: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    message: Option<String>,
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    header(headers, "retry-after")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// A non-2xx answer: 429 and 5xx are worth another try, any other 4xx is not.
pub(crate) fn http_error(
    status: reqwest::StatusCode,
    headers: &reqwest::header::HeaderMap,
    code: Option<String>,
    message: Option<String>,
) -> PaymentError {
    let message = message.unwrap_or_else(|| format!("HTTP {status}"));
    if status == reqwest::StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        PaymentError::Retryable {
            message,
            retry_after: retry_after(headers),
        }
    } else {
        PaymentError::permanent(code.unwrap_or_else(|| status.as_u16().to_string()), message)
    }
}

impl PaymentProvider for Stripe {
    fn kind(&self) -> &'static str {
        "stripe"
    }

    async fn create_checkout(&self, req: &CheckoutRequest) -> Result<Checkout, PaymentError> {
        req.validate()?;
        let form = session_form(req)?;
        let body = serde_urlencoded::to_string(&form)
            .map_err(|e| PaymentError::permanent("form", e.to_string()))?;
        let response = self
            .http
            .post(format!("{}/v1/checkout/sessions", self.api_base()))
            .bearer_auth(self.config.secret_key.expose_secret())
            .header("Idempotency-Key", &req.reference)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body)
            .send()
            .await
            .map_err(|e| PaymentError::retryable(format!("Stripe: {e}")))?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| PaymentError::retryable(format!("Stripe: {e}")))?;
        if !status.is_success() {
            let error: ErrorBody = serde_json::from_slice(&bytes).unwrap_or_default();
            let code = error.error.code.or(error.error.kind);
            return Err(http_error(status, &headers, code, error.error.message));
        }
        let session: SessionCreated = serde_json::from_slice(&bytes).map_err(|e| {
            PaymentError::permanent("response", format!("Stripe's session answer: {e}"))
        })?;
        let url = session.url.ok_or_else(|| {
            PaymentError::permanent("response", "Stripe's session answer has no url")
        })?;
        Ok(Checkout {
            provider_ref: session.id,
            action: CheckoutAction::Redirect { url },
            expires_at: session
                .expires_at
                .and_then(|t| DateTime::from_timestamp(t, 0)),
        })
    }

    fn verify_webhook(
        &self,
        headers: &http::HeaderMap,
        _query: &str,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(), WebhookError> {
        verify_signature(
            self.config.webhook_secret.expose_secret().as_bytes(),
            header(headers, SIGNATURE_HEADER),
            body,
            now,
        )
    }

    async fn parse_webhook(
        &self,
        _headers: &http::HeaderMap,
        _query: &str,
        body: &[u8],
    ) -> Result<Vec<PaymentEvent>, WebhookError> {
        parse_event(body)
    }
}

/// Checks `Stripe-Signature: t=…,v1=…[,v1=…]`: one `v1` must be the hex HMAC-SHA256 of
/// `"{t}.{body}"` (several while a secret is being rolled), and `t` within 300 s of `now`.
pub fn verify_signature(
    secret: &[u8],
    header: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(), WebhookError> {
    let header = header.ok_or(WebhookError::Unauthorized("signature"))?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = Some(t),
            Some(("v1", v1)) => signatures.push(v1),
            // Other schemes (v0, the test-mode scheme) are not trusted.
            Some(_) => {}
            None => return Err(WebhookError::Unauthorized("signature")),
        }
    }
    let t = timestamp.ok_or(WebhookError::Unauthorized("signature"))?;
    let seconds: i64 = t
        .parse()
        .map_err(|_| WebhookError::Unauthorized("signature"))?;
    let mut signed = Vec::with_capacity(t.len() + 1 + body.len());
    signed.extend_from_slice(t.as_bytes());
    signed.push(b'.');
    signed.extend_from_slice(body);
    if !signatures
        .iter()
        .any(|v1| verify_sha256_hex(secret, &signed, v1))
    {
        return Err(WebhookError::Unauthorized("signature"));
    }
    if !fresh(seconds, now) {
        return Err(WebhookError::Unauthorized("timestamp"));
    }
    Ok(())
}

/// The `Stripe-Signature` header for `body` at `t` (for tests and tools that replay events).
pub fn sign(secret: &[u8], t: i64, body: &[u8]) -> String {
    let mut signed = format!("{t}.").into_bytes();
    signed.extend_from_slice(body);
    format!(
        "t={t},v1={}",
        crate::signature::hmac_sha256_hex(secret, &signed)
    )
}

#[derive(Debug, Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    created: i64,
    data: EventData,
}

#[derive(Debug, Deserialize)]
struct EventData {
    object: serde_json::Value,
}

#[derive(Debug, Deserialize)]
struct Session {
    id: String,
    client_reference_id: Option<String>,
    #[serde(default)]
    metadata: Option<std::collections::HashMap<String, String>>,
    amount_total: Option<i64>,
    currency: Option<String>,
    payment_intent: Option<String>,
    payment_status: Option<String>,
}

/// Reads one Stripe event: `checkout.session.completed` (paid, or pending while an async
/// method settles), `…async_payment_succeeded` → Paid, `…async_payment_failed` → Failed;
/// any other type reports nothing.
pub fn parse_event(body: &[u8]) -> Result<Vec<PaymentEvent>, WebhookError> {
    let event: Event =
        serde_json::from_slice(body).map_err(|e| WebhookError::Malformed(format!("event: {e}")))?;
    let status = match event.kind.as_str() {
        "checkout.session.completed" => None,
        "checkout.session.async_payment_succeeded" => Some(PaymentStatus::Paid),
        "checkout.session.async_payment_failed" => Some(PaymentStatus::Failed),
        _ => return Ok(Vec::new()),
    };
    let session: Session = serde_json::from_value(event.data.object)
        .map_err(|e| WebhookError::Malformed(format!("data.object: {e}")))?;
    let status = match status {
        Some(status) => status,
        None => match session.payment_status.as_deref() {
            Some("paid") | Some("no_payment_required") => PaymentStatus::Paid,
            Some("unpaid") => PaymentStatus::Pending,
            other => {
                return Err(WebhookError::Malformed(format!(
                    "data.object.payment_status `{}` is not paid/unpaid/no_payment_required",
                    other.unwrap_or("")
                )));
            }
        },
    };
    let currency: Currency = session
        .currency
        .as_deref()
        .ok_or_else(|| WebhookError::Malformed("data.object.currency is missing".into()))?
        .parse()
        .map_err(|e| WebhookError::Malformed(format!("data.object.currency: {e}")))?;
    let minor = session
        .amount_total
        .ok_or_else(|| WebhookError::Malformed("data.object.amount_total is missing".into()))?;
    let at = DateTime::from_timestamp(event.created, 0)
        .ok_or_else(|| WebhookError::Malformed("created is out of range".into()))?;
    let reference = session.client_reference_id.clone().or_else(|| {
        session
            .metadata
            .as_ref()
            .and_then(|m| m.get("reference").cloned())
    });
    Ok(vec![PaymentEvent {
        event_id: event.id,
        reference,
        txid: None,
        provider_ref: session.payment_intent.unwrap_or(session.id),
        amount: Money::from_minor(minor, currency),
        status,
        at,
    }])
}
