//! PIX: the BR Code is built here, offline, from the account's key; the payment comes back as
//! the PSP's webhook (the BACEN PIX API shape) or as a line of a reconciliation file.
//!
//! Real PSPs secure their webhook with mutual TLS, which the application cannot see behind a
//! proxy; so the account also has a `webhook_secret` and the webhook must carry
//! `X-Pix-Signature: sha256=<hex HMAC-SHA256 of the raw body>` (docs/payments.md).

pub mod brcode;

use chrono::{DateTime, Utc};
use recaudo_domain::{Currency, Money, Secret};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::signature::{header, verify_sha256_header};
use crate::{
    Checkout, CheckoutAction, CheckoutRequest, ConfigError, PaymentError, PaymentEvent,
    PaymentProvider, PaymentStatus, WebhookError, check_secret,
};
use brcode::{BrCode, BrCodeError};

/// The header that carries the PIX webhook's signature.
pub const SIGNATURE_HEADER: &str = "x-pix-signature";

/// A PIX account: the key payments go to, the name and city the payer's app shows.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PixConfig {
    /// E-mail, `+55` phone, CPF/CNPJ digits or random (EVP) key.
    pub key: String,
    /// Receiver name (≤ 25 after folding accents off).
    pub merchant_name: String,
    /// Receiver city (≤ 15 after folding accents off).
    pub merchant_city: String,
    /// Signs the PSP's webhook (`X-Pix-Signature`).
    #[serde(serialize_with = "crate::mask_secret")]
    pub webhook_secret: Secret<String>,
}

impl PixConfig {
    pub fn validate(&self) -> Result<(), ConfigError> {
        brcode::validate_key(&self.key).map_err(|m| ConfigError::new("key", m))?;
        let name = brcode::merchant_text(&self.merchant_name);
        if name.is_empty() || name.len() > brcode::MAX_NAME {
            return Err(ConfigError::new(
                "merchant_name",
                format!("must be 1–{} letters without accents", brcode::MAX_NAME),
            ));
        }
        let city = brcode::merchant_text(&self.merchant_city);
        if city.is_empty() || city.len() > brcode::MAX_CITY {
            return Err(ConfigError::new(
                "merchant_city",
                format!("must be 1–{} letters without accents", brcode::MAX_CITY),
            ));
        }
        check_secret("webhook_secret", &self.webhook_secret)
    }
}

/// A PIX account, built.
#[derive(Debug, Clone)]
pub struct Pix {
    config: PixConfig,
}

impl Pix {
    pub fn new(config: PixConfig) -> Pix {
        Pix { config }
    }

    /// The BR Code for `req`: single use, the request's txid and amount.
    pub fn brcode(&self, req: &CheckoutRequest) -> Result<String, BrCodeError> {
        brcode::build(&BrCode {
            key: self.config.key.clone(),
            name: self.config.merchant_name.clone(),
            city: self.config.merchant_city.clone(),
            amount: req.amount,
            txid: Some(req.txid.clone()),
            info: None,
        })
    }
}

/// Maps a BR Code error to the checkout's: each is permanent, naming the EMV field.
pub(crate) fn brcode_error(error: BrCodeError) -> PaymentError {
    let code = match &error {
        BrCodeError::Field { field, .. } | BrCodeError::Missing { field } => {
            format!("brcode_{field}")
        }
        BrCodeError::Syntax { .. } | BrCodeError::Crc { .. } => "brcode".to_string(),
    };
    PaymentError::permanent(code, error.to_string())
}

impl PaymentProvider for Pix {
    fn kind(&self) -> &'static str {
        "pix"
    }

    async fn create_checkout(&self, req: &CheckoutRequest) -> Result<Checkout, PaymentError> {
        req.validate()?;
        let brcode = self.brcode(req).map_err(brcode_error)?;
        Ok(Checkout {
            provider_ref: req.txid.clone(),
            action: CheckoutAction::Pix { brcode },
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
        let secret = self.config.webhook_secret.expose_secret().as_bytes();
        if verify_sha256_header(secret, body, header(headers, SIGNATURE_HEADER)) {
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
        parse_notification(body)
    }
}

/// The BACEN PIX API webhook: `{"pix": [{"endToEndId", "txid", "valor", "horario", …}]}`.
#[derive(Debug, Deserialize)]
struct Notification {
    pix: Vec<Received>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Received {
    end_to_end_id: String,
    #[serde(default)]
    txid: Option<String>,
    valor: String,
    horario: String,
}

/// Reads the PSP's notification: one `Paid` event per PIX received.
pub fn parse_notification(body: &[u8]) -> Result<Vec<PaymentEvent>, WebhookError> {
    let notification: Notification =
        serde_json::from_slice(body).map_err(|e| WebhookError::Malformed(format!("body: {e}")))?;
    notification
        .pix
        .into_iter()
        .enumerate()
        .map(|(i, pix)| {
            if pix.end_to_end_id.trim().is_empty() {
                return Err(WebhookError::Malformed(format!(
                    "pix[{i}].endToEndId is empty"
                )));
            }
            let amount = Decimal::from_str_exact(pix.valor.trim())
                .ok()
                .filter(|v| *v > Decimal::ZERO)
                .ok_or_else(|| {
                    WebhookError::Malformed(format!(
                        "pix[{i}].valor `{}` is not a positive decimal",
                        pix.valor
                    ))
                })?;
            let at = DateTime::parse_from_rfc3339(pix.horario.trim())
                .map_err(|_| {
                    WebhookError::Malformed(format!(
                        "pix[{i}].horario `{}` is not an RFC 3339 time",
                        pix.horario
                    ))
                })?
                .with_timezone(&Utc);
            Ok(PaymentEvent {
                event_id: pix.end_to_end_id.clone(),
                reference: None,
                txid: pix.txid.filter(|t| !t.is_empty()),
                provider_ref: pix.end_to_end_id,
                amount: Money::new(amount, Currency::Brl),
                status: PaymentStatus::Paid,
                at,
            })
        })
        .collect()
}
