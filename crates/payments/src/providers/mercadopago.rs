//! Mercado Pago: a Checkout Pro preference per payment intent; its signed webhook names a
//! payment, whose status, amount and `external_reference` are fetched from the API.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use recaudo_domain::{Currency, Money, Secret};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::providers::stripe::http_error;
use crate::signature::{header, hmac_sha256_hex, verify_sha256_hex};
use crate::{
    Checkout, CheckoutAction, CheckoutRequest, ConfigError, PaymentError, PaymentEvent,
    PaymentProvider, PaymentStatus, WebhookError, check_secret, check_url, fresh,
};

pub const DEFAULT_API_BASE: &str = "https://api.mercadopago.com";

/// A Mercado Pago account.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MercadoPagoConfig {
    /// `APP_USR-…` (or `TEST-…`).
    #[serde(serialize_with = "crate::mask_secret")]
    pub access_token: Secret<String>,
    /// The secret of the account's webhook ("Webhooks" in the application's settings).
    #[serde(serialize_with = "crate::mask_secret")]
    pub webhook_secret: Secret<String>,
    /// Default `https://api.mercadopago.com`; tests point it at a mock.
    #[serde(default)]
    pub api_base: Option<String>,
    /// Send the debtor to `sandbox_init_point` (test users) instead of `init_point`.
    #[serde(default)]
    pub use_sandbox_init_point: bool,
}

impl MercadoPagoConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_secret("access_token", &self.access_token)?;
        check_secret("webhook_secret", &self.webhook_secret)?;
        if let Some(base) = &self.api_base {
            check_url("api_base", base)?;
        }
        Ok(())
    }
}

/// A Mercado Pago account, built.
#[derive(Debug, Clone)]
pub struct MercadoPago {
    config: MercadoPagoConfig,
    http: reqwest::Client,
}

impl MercadoPago {
    pub fn new(config: MercadoPagoConfig, http: reqwest::Client) -> MercadoPago {
        MercadoPago { config, http }
    }

    fn api_base(&self) -> &str {
        self.config
            .api_base
            .as_deref()
            .unwrap_or(DEFAULT_API_BASE)
            .trim_end_matches('/')
    }
}

/// The body of `POST /checkout/preferences`.
#[derive(Debug, Serialize)]
pub struct Preference {
    pub items: Vec<Item>,
    pub external_reference: String,
    pub notification_url: String,
    pub back_urls: BackUrls,
    pub auto_return: &'static str,
    pub payer: Payer,
}

#[derive(Debug, Serialize)]
pub struct Item {
    pub id: String,
    pub title: String,
    pub quantity: u32,
    /// A JSON number with the currency's decimals (`12.34`, `15000` in CLP).
    pub unit_price: serde_json::Number,
    pub currency_id: &'static str,
}

#[derive(Debug, Serialize)]
pub struct BackUrls {
    pub success: String,
    pub failure: String,
    pub pending: String,
}

#[derive(Debug, Serialize)]
pub struct Payer {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// The preference for `req`.
pub fn preference(req: &CheckoutRequest) -> Result<Preference, PaymentError> {
    let unit_price = serde_json::Number::from_str(&req.amount.amount_text())
        .map_err(|e| PaymentError::permanent("amount", e.to_string()))?;
    Ok(Preference {
        items: vec![Item {
            id: req.reference.clone(),
            title: req.description.clone(),
            quantity: 1,
            unit_price,
            currency_id: req.amount.currency.code(),
        }],
        external_reference: req.reference.clone(),
        notification_url: req.notification_url.clone(),
        back_urls: BackUrls {
            success: req.success_url.clone(),
            failure: req.cancel_url.clone(),
            // A pending payment (a boleto, a PIX not yet paid) returns to the success page,
            // which says the payment is being confirmed.
            pending: req.success_url.clone(),
        },
        auto_return: "approved",
        payer: Payer {
            name: req.payer_name.clone(),
            email: req.payer_email.clone(),
        },
    })
}

#[derive(Debug, Deserialize)]
struct PreferenceCreated {
    id: String,
    init_point: Option<String>,
    sandbox_init_point: Option<String>,
    #[serde(default)]
    expiration_date_to: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    error: Option<String>,
    message: Option<String>,
}

impl PaymentProvider for MercadoPago {
    fn kind(&self) -> &'static str {
        "mercadopago"
    }

    async fn create_checkout(&self, req: &CheckoutRequest) -> Result<Checkout, PaymentError> {
        req.validate()?;
        let body = preference(req)?;
        let response = self
            .http
            .post(format!("{}/checkout/preferences", self.api_base()))
            .bearer_auth(self.config.access_token.expose_secret())
            .header("X-Idempotency-Key", &req.reference)
            .json(&body)
            .send()
            .await
            .map_err(|e| PaymentError::retryable(format!("Mercado Pago: {e}")))?;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| PaymentError::retryable(format!("Mercado Pago: {e}")))?;
        if !status.is_success() {
            let error: ErrorBody = serde_json::from_slice(&bytes).unwrap_or_default();
            return Err(http_error(status, &headers, error.error, error.message));
        }
        let created: PreferenceCreated = serde_json::from_slice(&bytes).map_err(|e| {
            PaymentError::permanent("response", format!("Mercado Pago's preference: {e}"))
        })?;
        let url = if self.config.use_sandbox_init_point {
            created.sandbox_init_point
        } else {
            created.init_point
        }
        .ok_or_else(|| {
            PaymentError::permanent("response", "Mercado Pago's preference has no init_point")
        })?;
        Ok(Checkout {
            provider_ref: created.id,
            action: CheckoutAction::Redirect { url },
            expires_at: created
                .expiration_date_to
                .and_then(|d| DateTime::parse_from_rfc3339(&d).ok())
                .map(|d| d.with_timezone(&Utc)),
        })
    }

    fn verify_webhook(
        &self,
        headers: &http::HeaderMap,
        query: &str,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(), WebhookError> {
        verify_signature(
            self.config.webhook_secret.expose_secret().as_bytes(),
            headers,
            query,
            body,
            now,
        )
    }

    async fn parse_webhook(
        &self,
        _headers: &http::HeaderMap,
        query: &str,
        body: &[u8],
    ) -> Result<Vec<PaymentEvent>, WebhookError> {
        let notification = Notification::read(query, body)?;
        if notification.topic.as_deref() != Some("payment") {
            return Ok(Vec::new());
        }
        let id = notification
            .data_id
            .ok_or_else(|| WebhookError::Malformed("data.id is missing".into()))?;
        if !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(WebhookError::Malformed(format!(
                "data.id `{id}` is not a payment id"
            )));
        }
        let response = self
            .http
            .get(format!("{}/v1/payments/{id}", self.api_base()))
            .bearer_auth(self.config.access_token.expose_secret())
            .send()
            .await
            .map_err(|e| WebhookError::Upstream(format!("Mercado Pago: {e}")))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| WebhookError::Upstream(format!("Mercado Pago: {e}")))?;
        if !status.is_success() {
            return Err(WebhookError::Upstream(format!(
                "Mercado Pago answered {status} for payment {id}"
            )));
        }
        Ok(vec![payment_event(&bytes)?])
    }
}

/// What a notification says, from its query string and its body.
#[derive(Debug, Default)]
struct Notification {
    /// `payment`, `merchant_order`, … (`type` in the body or the query, or the older `topic`).
    topic: Option<String>,
    /// `data.id` of the query when present, else of the body.
    data_id: Option<String>,
}

impl Notification {
    fn read(query: &str, body: &[u8]) -> Result<Notification, WebhookError> {
        let params: Vec<(String, String)> = serde_urlencoded::from_str(query)
            .map_err(|e| WebhookError::Malformed(format!("query: {e}")))?;
        let param = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let body: serde_json::Value = if body.iter().all(u8::is_ascii_whitespace) {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(body)
                .map_err(|e| WebhookError::Malformed(format!("body: {e}")))?
        };
        let body_id = match body.pointer("/data/id") {
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let topic = body
            .get("type")
            .and_then(|t| t.as_str())
            .map(str::to_string)
            .or_else(|| param("type"))
            .or_else(|| param("topic"));
        Ok(Notification {
            topic,
            data_id: param("data.id").or(body_id).or_else(|| param("id")),
        })
    }
}

/// Checks `x-signature: ts=…,v1=…` against the manifest
/// `id:{data.id};request-id:{x-request-id};ts:{ts};`, leaving out each part whose value the
/// notification lacks (as Mercado Pago documents). `data.id` comes from the query string when
/// it is there, else from the body, lower-cased when alphanumeric. `ts` may be in seconds or
/// milliseconds; it must be within 300 s of `now`.
pub fn verify_signature(
    secret: &[u8],
    headers: &http::HeaderMap,
    query: &str,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(), WebhookError> {
    let signature =
        header(headers, "x-signature").ok_or(WebhookError::Unauthorized("signature"))?;
    let (ts, v1) = signature_parts(signature)?;
    let notification =
        Notification::read(query, body).map_err(|_| WebhookError::Unauthorized("signature"))?;
    let manifest = manifest(
        notification.data_id.as_deref(),
        header(headers, "x-request-id"),
        ts,
    );
    if !verify_sha256_hex(secret, manifest.as_bytes(), v1) {
        return Err(WebhookError::Unauthorized("signature"));
    }
    let ts: i64 = ts
        .parse()
        .map_err(|_| WebhookError::Unauthorized("timestamp"))?;
    // Seconds until the year 5138; beyond that it is milliseconds.
    let seconds = if ts.abs() >= 100_000_000_000 {
        ts / 1000
    } else {
        ts
    };
    if !fresh(seconds, now) {
        return Err(WebhookError::Unauthorized("timestamp"));
    }
    Ok(())
}

fn signature_parts(header: &str) -> Result<(&str, &str), WebhookError> {
    let mut ts = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("ts", value)) => ts = Some(value.trim()),
            Some(("v1", value)) => v1 = Some(value.trim()),
            Some(_) => {}
            None => return Err(WebhookError::Unauthorized("signature")),
        }
    }
    match (ts, v1) {
        (Some(ts), Some(v1)) => Ok((ts, v1)),
        _ => Err(WebhookError::Unauthorized("signature")),
    }
}

/// The signed manifest.
pub fn manifest(data_id: Option<&str>, request_id: Option<&str>, ts: &str) -> String {
    let mut manifest = String::new();
    if let Some(id) = data_id {
        if id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            manifest.push_str(&format!("id:{};", id.to_ascii_lowercase()));
        } else {
            manifest.push_str(&format!("id:{id};"));
        }
    }
    if let Some(request_id) = request_id {
        manifest.push_str(&format!("request-id:{request_id};"));
    }
    manifest.push_str(&format!("ts:{ts};"));
    manifest
}

/// The `x-signature` header for a notification (for tests and tools that replay one).
pub fn sign(secret: &[u8], data_id: Option<&str>, request_id: Option<&str>, ts: &str) -> String {
    let v1 = hmac_sha256_hex(secret, manifest(data_id, request_id, ts).as_bytes());
    format!("ts={ts},v1={v1}")
}

#[derive(Debug, Deserialize)]
struct Payment {
    id: serde_json::Value,
    status: String,
    transaction_amount: serde_json::Number,
    currency_id: String,
    external_reference: Option<String>,
    date_approved: Option<String>,
    date_last_updated: Option<String>,
    date_created: Option<String>,
}

/// Maps `GET /v1/payments/{id}`'s answer to our event; `event_id` is `mp:{id}:{status}`, so
/// each change of status is one event and a replay of it is recognised.
pub fn payment_event(body: &[u8]) -> Result<PaymentEvent, WebhookError> {
    let payment: Payment = serde_json::from_slice(body)
        .map_err(|e| WebhookError::Malformed(format!("payment: {e}")))?;
    let id = match &payment.id {
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) if !s.is_empty() => s.clone(),
        _ => return Err(WebhookError::Malformed("payment.id is not an id".into())),
    };
    let status = match payment.status.as_str() {
        "approved" => PaymentStatus::Paid,
        "rejected" | "cancelled" => PaymentStatus::Failed,
        "refunded" | "charged_back" => PaymentStatus::Refunded,
        _ => PaymentStatus::Pending,
    };
    let amount = Decimal::from_str(&payment.transaction_amount.to_string())
        .or_else(|_| Decimal::from_scientific(&payment.transaction_amount.to_string()))
        .map_err(|_| {
            WebhookError::Malformed(format!(
                "payment.transaction_amount `{}` is not a decimal",
                payment.transaction_amount
            ))
        })?;
    let currency: Currency = payment
        .currency_id
        .parse()
        .map_err(|e| WebhookError::Malformed(format!("payment.currency_id: {e}")))?;
    let when = match status {
        PaymentStatus::Paid => payment.date_approved.or(payment.date_last_updated),
        _ => payment.date_last_updated,
    }
    .or(payment.date_created)
    .ok_or_else(|| WebhookError::Malformed("payment has no date".into()))?;
    let at = DateTime::parse_from_rfc3339(&when)
        .map_err(|_| WebhookError::Malformed(format!("payment date `{when}` is not RFC 3339")))?
        .with_timezone(&Utc);
    Ok(PaymentEvent {
        event_id: format!("mp:{id}:{}", payment.status),
        reference: payment.external_reference.filter(|r| !r.is_empty()),
        txid: None,
        provider_ref: id,
        amount: Money::new(amount, currency),
        status,
        at,
    })
}
