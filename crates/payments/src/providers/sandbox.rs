//! The sandbox: for the demo and for tenants trying recaudo. It sends no money anywhere. A
//! checkout in BRL is a real, valid BR Code under the key `sandbox@recaudo.example` (no bank
//! pays it to anyone); any other currency redirects to `{notification_url}/checkout`, the
//! sandbox checkout page the web layer serves, which "pays" by posting the sandbox webhook.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use recaudo_domain::{Clock, Currency, Money, Secret, SystemClock};
use serde::{Deserialize, Serialize};

use crate::providers::pix::{brcode, brcode_error};
use crate::signature::{header, sha256_header, verify_sha256_header};
use crate::{
    Checkout, CheckoutAction, CheckoutRequest, ConfigError, PaymentError, PaymentEvent,
    PaymentProvider, PaymentStatus, WebhookError, check_secret,
};

pub const SANDBOX_PIX_KEY: &str = "sandbox@recaudo.example";
pub const SIGNATURE_HEADER: &str = "x-sandbox-signature";
/// The webhook secret when the configuration names none. It is public (docs/payments.md):
/// the sandbox moves no money, so its signature only keeps stray requests out.
pub const DEFAULT_WEBHOOK_SECRET: &str = "recaudo-sandbox-webhook-secret";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SandboxConfig {
    #[serde(default, serialize_with = "crate::mask_optional_secret")]
    pub webhook_secret: Option<Secret<String>>,
}

impl SandboxConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        match &self.webhook_secret {
            Some(secret) => check_secret("webhook_secret", secret),
            None => Ok(()),
        }
    }
}

#[derive(Clone)]
pub struct Sandbox {
    secret: Secret<String>,
    /// Dates a notification that names no `paid_at`.
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("secret", &self.secret)
            .finish()
    }
}

/// The sandbox webhook's body: `{"reference", "amount", "currency", "event_id"}` and an
/// optional `status` (`paid`, the default, or `failed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SandboxNotification {
    pub reference: String,
    /// A decimal string, `"12.34"`.
    pub amount: String,
    pub currency: String,
    pub event_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// When the payment happened; the sandbox's clock when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paid_at: Option<DateTime<Utc>>,
}

impl Sandbox {
    pub fn new(config: SandboxConfig) -> Sandbox {
        Sandbox {
            secret: config
                .webhook_secret
                .unwrap_or_else(|| Secret::new(DEFAULT_WEBHOOK_SECRET.to_string())),
            clock: Arc::new(SystemClock),
        }
    }

    /// The same sandbox dating undated notifications by `clock`.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Sandbox {
        self.clock = clock;
        self
    }

    /// The `X-Sandbox-Signature` value for `body`: what the sandbox checkout page sends.
    pub fn sign(&self, body: &[u8]) -> String {
        sha256_header(self.secret.expose_secret().as_bytes(), body)
    }

    /// A signed "paid" notification for `reference`: `(body, X-Sandbox-Signature)`.
    pub fn paid_notification(
        &self,
        reference: &str,
        amount: Money,
        event_id: &str,
        paid_at: DateTime<Utc>,
    ) -> (Vec<u8>, String) {
        let notification = SandboxNotification {
            reference: reference.to_string(),
            amount: amount.amount_text(),
            currency: amount.currency.code().to_string(),
            event_id: event_id.to_string(),
            status: None,
            paid_at: Some(paid_at),
        };
        let body = serde_json::to_vec(&notification).unwrap_or_default();
        let signature = self.sign(&body);
        (body, signature)
    }
}

/// Percent-encodes a query value (everything but unreserved characters).
fn encode_query(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

impl PaymentProvider for Sandbox {
    fn kind(&self) -> &'static str {
        "sandbox"
    }

    async fn create_checkout(&self, req: &CheckoutRequest) -> Result<Checkout, PaymentError> {
        req.validate()?;
        if req.amount.currency == Currency::Brl {
            let brcode = brcode::build(&brcode::BrCode {
                key: SANDBOX_PIX_KEY.to_string(),
                name: "RECAUDO SANDBOX".to_string(),
                city: "SAO PAULO".to_string(),
                amount: req.amount,
                txid: Some(req.txid.clone()),
                info: None,
            })
            .map_err(brcode_error)?;
            return Ok(Checkout {
                provider_ref: req.txid.clone(),
                action: CheckoutAction::Pix { brcode },
                expires_at: None,
            });
        }
        Ok(Checkout {
            provider_ref: req.reference.clone(),
            action: CheckoutAction::Redirect {
                url: format!(
                    "{}/checkout?reference={}",
                    req.notification_url.trim_end_matches('/'),
                    encode_query(&req.reference)
                ),
            },
            expires_at: None,
        })
    }

    fn verify_webhook(
        &self,
        headers: &http::HeaderMap,
        _query: &str,
        body: &[u8],
        _now: DateTime<Utc>,
    ) -> Result<(), WebhookError> {
        if verify_sha256_header(
            self.secret.expose_secret().as_bytes(),
            body,
            header(headers, SIGNATURE_HEADER),
        ) {
            Ok(())
        } else {
            Err(WebhookError::Unauthorized("signature"))
        }
    }

    async fn parse_webhook(
        &self,
        _headers: &http::HeaderMap,
        _query: &str,
        body: &[u8],
    ) -> Result<Vec<PaymentEvent>, WebhookError> {
        parse_notification(body, self.clock.now())
    }
}

/// Reads the sandbox webhook; `now` dates it when it names no `paid_at`.
pub fn parse_notification(
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<Vec<PaymentEvent>, WebhookError> {
    let n: SandboxNotification =
        serde_json::from_slice(body).map_err(|e| WebhookError::Malformed(format!("body: {e}")))?;
    if n.event_id.trim().is_empty() {
        return Err(WebhookError::Malformed("event_id is empty".into()));
    }
    if n.reference.trim().is_empty() {
        return Err(WebhookError::Malformed("reference is empty".into()));
    }
    let currency: Currency = n
        .currency
        .parse()
        .map_err(|e| WebhookError::Malformed(format!("currency: {e}")))?;
    let amount = Money::parse_amount(&n.amount, currency)
        .map_err(|e| WebhookError::Malformed(format!("amount: {e}")))?;
    let status = match n.status.as_deref() {
        None | Some("paid") => PaymentStatus::Paid,
        Some("failed") => PaymentStatus::Failed,
        Some(other) => {
            return Err(WebhookError::Malformed(format!(
                "status `{other}` is not paid or failed"
            )));
        }
    };
    Ok(vec![PaymentEvent {
        event_id: n.event_id.clone(),
        reference: Some(n.reference),
        txid: None,
        provider_ref: n.event_id,
        amount,
        status,
        at: n.paid_at.unwrap_or(now),
    }])
}
