//! recaudo's payments: one [`PaymentProvider`] trait and one file per provider (GUIDE §8):
//! PIX BR Codes built offline ([`providers::pix`]), Stripe Checkout Sessions
//! ([`providers::stripe`]), Mercado Pago Checkout Pro ([`providers::mercadopago`]) and a
//! sandbox that sends no money anywhere ([`providers::sandbox`]); plus the QR image of a BR
//! Code ([`qr`]) and reconciliation files ([`reconcile`]).
//!
//! [`PaymentConfig`] is what a tenant saves (checked with [`PaymentConfig::validate`]);
//! [`Provider`] is the built account. The web layer calls [`Provider::verify_webhook`] before
//! [`Provider::parse_webhook`], and both before anything reaches the store.

#![forbid(unsafe_code)]

pub mod error;
pub mod providers;
pub mod qr;
pub mod reconcile;
pub mod signature;

use std::future::Future;

use chrono::{DateTime, Utc};
use recaudo_domain::Money;
use recaudo_domain::portfolio::Language;
use serde::{Deserialize, Serialize, Serializer};

pub use error::{ConfigError, PaymentError, WebhookError};
pub use providers::mercadopago::{MercadoPago, MercadoPagoConfig};
pub use providers::pix::{Pix, PixConfig};
pub use providers::sandbox::{Sandbox, SandboxConfig};
pub use providers::stripe::{Stripe, StripeConfig};

/// How far a webhook's signed timestamp may be from our clock (Stripe's default tolerance).
pub const WEBHOOK_TOLERANCE_SECS: i64 = 300;

/// What the debtor is about to pay, as the portal asks a provider for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutRequest {
    /// Our payment intent id, e.g. `pin_01J…` (≤ 64 chars, `[A-Za-z0-9_]`).
    pub reference: String,
    /// The PIX txid to use: 1–25 chars `[A-Za-z0-9]`.
    pub txid: String,
    pub amount: Money,
    /// `Factura F-123 · Compañía X`.
    pub description: String,
    pub payer_name: String,
    pub payer_email: Option<String>,
    pub language: Language,
    /// Where the provider returns the debtor after paying.
    pub success_url: String,
    pub cancel_url: String,
    /// Our webhook URL for this account.
    pub notification_url: String,
}

impl CheckoutRequest {
    /// Checks the fields every provider relies on.
    pub fn validate(&self) -> Result<(), PaymentError> {
        let reference_ok = !self.reference.is_empty()
            && self.reference.len() <= 64
            && self
                .reference
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !reference_ok {
            return Err(PaymentError::permanent(
                "reference",
                "reference must be 1–64 characters of A-Z, a-z, 0-9 and _",
            ));
        }
        if !providers::pix::brcode::valid_txid(&self.txid) {
            return Err(PaymentError::permanent(
                "txid",
                "txid must be 1–25 characters of A-Z, a-z and 0-9",
            ));
        }
        if self.amount.is_zero_or_less() || self.amount.to_minor().map_or(true, |m| m <= 0) {
            return Err(PaymentError::permanent(
                "amount",
                "amount must be at least one minor unit",
            ));
        }
        Ok(())
    }
}

/// What the portal does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckoutAction {
    /// Send the debtor's browser to the provider (Stripe Checkout, Mercado Pago Checkout Pro).
    Redirect { url: String },
    /// Show a PIX BR Code: as a QR image ([`qr::png`]) and as "copia e cola" text.
    Pix { brcode: String },
}

/// An opened checkout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    /// The provider's id of it: the PIX txid, the Stripe session id, the MP preference id.
    pub provider_ref: String,
    pub action: CheckoutAction,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A payment's state as a provider reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaymentStatus {
    Paid,
    Pending,
    Failed,
    Refunded,
}

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Paid => "paid",
            PaymentStatus::Pending => "pending",
            PaymentStatus::Failed => "failed",
            PaymentStatus::Refunded => "refunded",
        }
    }
}

/// One thing a webhook reports about one payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentEvent {
    /// The provider's unique id of this notification: replays share it.
    pub event_id: String,
    /// Our `reference` when the provider echoes it (Stripe `client_reference_id`, MP
    /// `external_reference`, the sandbox's `reference`).
    pub reference: Option<String>,
    /// The PIX txid.
    pub txid: Option<String>,
    /// The provider's payment id (Stripe payment_intent or session id, MP payment id, PIX
    /// endToEndId).
    pub provider_ref: String,
    pub amount: Money,
    pub status: PaymentStatus,
    pub at: DateTime<Utc>,
}

/// One payment provider.
pub trait PaymentProvider {
    /// `"pix"`, `"stripe"`, `"mercadopago"` or `"sandbox"`.
    fn kind(&self) -> &'static str;

    /// Opens a checkout for one payment intent. The request's `reference` is the idempotency
    /// key, so a retry after a crash opens no second checkout.
    fn create_checkout(
        &self,
        req: &CheckoutRequest,
    ) -> impl Future<Output = Result<Checkout, PaymentError>> + Send;

    /// Checks a webhook's authenticity (signature, timestamp tolerance) before parsing.
    fn verify_webhook(
        &self,
        headers: &http::HeaderMap,
        query: &str,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(), WebhookError>;

    /// Reads a verified webhook into the payment events it reports (none for other topics).
    fn parse_webhook(
        &self,
        headers: &http::HeaderMap,
        query: &str,
        body: &[u8],
    ) -> impl Future<Output = Result<Vec<PaymentEvent>, WebhookError>> + Send;
}

/// A payment account's configuration as a tenant saves it: `{"kind": "stripe", …}`. It
/// serializes with every secret written `"***"` (for API answers and listings).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum PaymentConfig {
    Pix(PixConfig),
    Stripe(StripeConfig),
    Mercadopago(MercadoPagoConfig),
    Sandbox(SandboxConfig),
}

impl PaymentConfig {
    /// `"pix"`, `"stripe"`, `"mercadopago"` or `"sandbox"`.
    pub fn kind(&self) -> &'static str {
        match self {
            PaymentConfig::Pix(_) => "pix",
            PaymentConfig::Stripe(_) => "stripe",
            PaymentConfig::Mercadopago(_) => "mercadopago",
            PaymentConfig::Sandbox(_) => "sandbox",
        }
    }

    /// Checks every field, naming the first that is missing or wrong.
    pub fn validate(&self) -> Result<(), ConfigError> {
        match self {
            PaymentConfig::Pix(c) => c.validate(),
            PaymentConfig::Stripe(c) => c.validate(),
            PaymentConfig::Mercadopago(c) => c.validate(),
            PaymentConfig::Sandbox(c) => c.validate(),
        }
    }
}

/// A configured payment account.
#[derive(Debug)]
pub enum Provider {
    Pix(Pix),
    Stripe(Stripe),
    MercadoPago(MercadoPago),
    Sandbox(Sandbox),
}

impl Provider {
    /// Builds the account after checking its configuration. `http` is the shared client
    /// (rustls with a crypto provider installed).
    pub fn from_config(config: &PaymentConfig, http: reqwest::Client) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(match config {
            PaymentConfig::Pix(c) => Provider::Pix(Pix::new(c.clone())),
            PaymentConfig::Stripe(c) => Provider::Stripe(Stripe::new(c.clone(), http)),
            PaymentConfig::Mercadopago(c) => {
                Provider::MercadoPago(MercadoPago::new(c.clone(), http))
            }
            PaymentConfig::Sandbox(c) => Provider::Sandbox(Sandbox::new(c.clone())),
        })
    }

    pub fn kind(&self) -> &'static str {
        PaymentProvider::kind(self)
    }

    pub async fn create_checkout(&self, req: &CheckoutRequest) -> Result<Checkout, PaymentError> {
        PaymentProvider::create_checkout(self, req).await
    }

    /// Checks a webhook's authenticity (signature, timestamp tolerance) BEFORE parsing.
    pub fn verify_webhook(
        &self,
        headers: &http::HeaderMap,
        query: &str,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(), WebhookError> {
        PaymentProvider::verify_webhook(self, headers, query, body, now)
    }

    /// Reads a verified webhook. Mercado Pago's notification only names the payment: this
    /// fetches `GET {api_base}/v1/payments/{id}` to learn status, amount and
    /// external_reference.
    pub async fn parse_webhook(
        &self,
        headers: &http::HeaderMap,
        query: &str,
        body: &[u8],
    ) -> Result<Vec<PaymentEvent>, WebhookError> {
        PaymentProvider::parse_webhook(self, headers, query, body).await
    }
}

impl PaymentProvider for Provider {
    fn kind(&self) -> &'static str {
        match self {
            Provider::Pix(p) => p.kind(),
            Provider::Stripe(p) => p.kind(),
            Provider::MercadoPago(p) => p.kind(),
            Provider::Sandbox(p) => p.kind(),
        }
    }

    async fn create_checkout(&self, req: &CheckoutRequest) -> Result<Checkout, PaymentError> {
        match self {
            Provider::Pix(p) => p.create_checkout(req).await,
            Provider::Stripe(p) => p.create_checkout(req).await,
            Provider::MercadoPago(p) => p.create_checkout(req).await,
            Provider::Sandbox(p) => p.create_checkout(req).await,
        }
    }

    fn verify_webhook(
        &self,
        headers: &http::HeaderMap,
        query: &str,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(), WebhookError> {
        match self {
            Provider::Pix(p) => p.verify_webhook(headers, query, body, now),
            Provider::Stripe(p) => p.verify_webhook(headers, query, body, now),
            Provider::MercadoPago(p) => p.verify_webhook(headers, query, body, now),
            Provider::Sandbox(p) => p.verify_webhook(headers, query, body, now),
        }
    }

    async fn parse_webhook(
        &self,
        headers: &http::HeaderMap,
        query: &str,
        body: &[u8],
    ) -> Result<Vec<PaymentEvent>, WebhookError> {
        match self {
            Provider::Pix(p) => p.parse_webhook(headers, query, body).await,
            Provider::Stripe(p) => p.parse_webhook(headers, query, body).await,
            Provider::MercadoPago(p) => p.parse_webhook(headers, query, body).await,
            Provider::Sandbox(p) => p.parse_webhook(headers, query, body).await,
        }
    }
}

/// Whether a signed timestamp (Unix seconds) is within [`WEBHOOK_TOLERANCE_SECS`] of `now`.
pub(crate) fn fresh(timestamp_secs: i64, now: DateTime<Utc>) -> bool {
    now.timestamp()
        .checked_sub(timestamp_secs)
        .is_some_and(|d| d.abs() <= WEBHOOK_TOLERANCE_SECS)
}

/// Checks an `http(s)://` URL field of a configuration.
pub(crate) fn check_url(field: &str, url: &str) -> Result<(), ConfigError> {
    if (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() > "http://".len()
        && !url.contains(char::is_whitespace)
    {
        Ok(())
    } else {
        Err(ConfigError::new(field, "must be an http(s):// URL"))
    }
}

/// Checks a secret field: present and not blank.
pub(crate) fn check_secret(
    field: &str,
    secret: &recaudo_domain::Secret<String>,
) -> Result<(), ConfigError> {
    if secret.expose_secret().trim().is_empty() {
        Err(ConfigError::new(field, "must not be empty"))
    } else {
        Ok(())
    }
}

/// Writes a secret as `"***"`: configurations are shown, never their credentials.
pub(crate) fn mask_secret<S: Serializer>(
    _secret: &recaudo_domain::Secret<String>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str("***")
}

/// [`mask_secret`] for an optional secret (`null` stays `null`).
pub(crate) fn mask_optional_secret<S: Serializer>(
    secret: &Option<recaudo_domain::Secret<String>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match secret {
        Some(_) => serializer.serialize_str("***"),
        None => serializer.serialize_none(),
    }
}
