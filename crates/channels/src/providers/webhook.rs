//! Signed JSON to a tenant's URL, for the systems that act on a contact themselves (an ERP, a
//! collection agency, a dialer, a print house), in the Standard Webhooks format
//! (<https://www.standardwebhooks.com>): headers `webhook-id` (the same on every retry),
//! `webhook-timestamp` (Unix seconds) and `webhook-signature: v1,<base64 HMAC-SHA256(key,
//! "{id}.{timestamp}.{body}")>`, the key being the base64 part of a `whsec_…` secret. Any
//! Standard Webhooks library verifies what this sends.
//!
//! The tenant's system reports back the same way: a POST signed with the same secret, `{"type":
//! "contact.delivered" | "contact.failed" | "contact.opened" | "contact.replied", "data":
//! {"provider_message_id" | "contact_id", …}}`. Its `webhook-id` is the event's dedupe key, so a
//! replayed request changes nothing; [`check_timestamp`] refuses a stale one for a caller that
//! holds a clock (the trait's `verify` has none and does not read the wall clock, so that tests
//! and the demo's simulated time see the same behaviour).

use super::http::{clip, retry_after};
use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use recaudo_domain::portfolio::{Channel, Language, PostalAddress};
use recaudo_domain::{ContactId, Secret};

use crate::providers::mask_secret;
use crate::signature;
use crate::{
    Capabilities, ChannelProvider, ConfigError, Content, EventKind, OutboundMessage, ProviderAck,
    ProviderEnv, ProviderEvent, SendError, WebhookError, WebhookReply, WebhookRequest,
};

/// The prefix of a secret as the tenant sees it.
pub const SECRET_PREFIX: &str = "whsec_";
/// How far a `webhook-timestamp` may be from now (Standard Webhooks' recommendation).
pub const TOLERANCE: chrono::Duration = chrono::Duration::minutes(5);
/// The largest report read from the tenant's system.
pub const MAX_WEBHOOK_BYTES: usize = 256 * 1024;

/// Headers the provider sets itself; an extra header may not replace them.
const RESERVED_HEADERS: &[&str] = &[
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "idempotency-key",
    "content-type",
    "content-length",
    "transfer-encoding",
    "host",
];

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where each contact is POSTed.
    pub url: String,
    /// `whsec_<base64 of 24 to 64 bytes>`, shown to the tenant once ([`generate_secret`]).
    #[serde(serialize_with = "mask_secret")]
    pub secret: Secret<String>,
    /// Headers sent with every request (an API key the receiving system wants). Their values
    /// are treated as secrets: never shown back, never logged.
    #[serde(default, serialize_with = "mask_header_values")]
    pub headers: BTreeMap<String, Secret<String>>,
}

fn mask_header_values<S: serde::Serializer>(
    headers: &BTreeMap<String, Secret<String>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = serializer.serialize_map(Some(headers.len()))?;
    for name in headers.keys() {
        map.serialize_entry(name, "***")?;
    }
    map.end()
}

impl Config {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.url.trim().is_empty() {
            return Err(ConfigError::missing("url"));
        }
        match reqwest::Url::parse(&self.url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => {}
            _ => {
                return Err(ConfigError::new(
                    "url",
                    format!("must be an http(s) URL, not {:?}", self.url),
                ));
            }
        }
        if self.secret.expose_secret().is_empty() {
            return Err(ConfigError::missing("secret"));
        }
        decode_secret(self.secret.expose_secret())?;
        for (name, value) in &self.headers {
            let field = format!("headers.{name}");
            if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                return Err(ConfigError::new(field, "is not a valid header name"));
            }
            if RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                return Err(ConfigError::new(
                    field,
                    "is set by recaudo itself and cannot be replaced",
                ));
            }
            if reqwest::header::HeaderValue::from_str(value.expose_secret()).is_err() {
                return Err(ConfigError::new(field, "is not a valid header value"));
            }
        }
        Ok(())
    }
}

/// A new secret for a tenant's endpoint: `whsec_` and the base64 of 24 random bytes.
pub fn generate_secret() -> String {
    use ring::rand::SecureRandom;
    let mut bytes = [0u8; 24];
    // The operating system's generator failing leaves nothing safe to make a secret from: a
    // guessable secret would be worse than stopping.
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .expect("the system's random generator works");
    format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes))
}

/// The HMAC key of a `whsec_…` secret: its base64 part, decoded.
pub fn decode_secret(secret: &str) -> Result<Vec<u8>, ConfigError> {
    let encoded = secret
        .trim()
        .strip_prefix(SECRET_PREFIX)
        .ok_or_else(|| ConfigError::new("secret", format!("must start with {SECRET_PREFIX}")))?;
    let key = STANDARD
        .decode(encoded)
        .map_err(|_| ConfigError::new("secret", "must be whsec_ followed by base64"))?;
    if !(24..=64).contains(&key.len()) {
        return Err(ConfigError::new(
            "secret",
            format!("must hold 24 to 64 bytes, not {}", key.len()),
        ));
    }
    Ok(key)
}

/// The `webhook-id` of a contact: the same for every attempt of it, so the receiving system
/// recognises a re-send. `msg_` and the first 32 hex digits of the SHA-256 of the key.
pub fn webhook_id(idempotency_key: &str) -> String {
    let digest = hex::encode(Sha256::digest(idempotency_key.as_bytes()));
    format!("msg_{}", &digest[..32])
}

/// The `webhook-signature` of a request: `v1,` and the base64 HMAC-SHA256 of
/// `"{id}.{timestamp}.{body}"` under `key` (from [`decode_secret`]).
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let mac = signature::hmac_sha256(key, &signed_content(id, &timestamp.to_string(), body));
    format!("v1,{}", STANDARD.encode(mac))
}

fn signed_content(id: &str, timestamp: &str, body: &[u8]) -> Vec<u8> {
    let mut content = Vec::with_capacity(id.len() + timestamp.len() + body.len() + 2);
    content.extend_from_slice(id.as_bytes());
    content.push(b'.');
    content.extend_from_slice(timestamp.as_bytes());
    content.push(b'.');
    content.extend_from_slice(body);
    content
}

/// Whether `header` (signatures separated by spaces, each `v1,<base64>`) holds a valid
/// signature of the request; signatures of other versions are skipped.
pub fn verify_signature(key: &[u8], id: &str, timestamp: &str, body: &[u8], header: &str) -> bool {
    let content = signed_content(id, timestamp, body);
    header
        .split_ascii_whitespace()
        .filter_map(|one| one.strip_prefix("v1,"))
        .any(|given| signature::verify_sha256_base64(key, &content, given))
}

/// Refuses a request whose `webhook-timestamp` is more than [`TOLERANCE`] from `now`: a
/// signed request captured and replayed later. For callers holding a clock (the web layer).
pub fn check_timestamp(request: &WebhookRequest, now: DateTime<Utc>) -> Result<(), WebhookError> {
    let at = header_time(request)?;
    if (now - at).abs() > TOLERANCE {
        return Err(WebhookError::Forged(format!(
            "webhook-timestamp {} is more than 5 minutes from now",
            at.timestamp()
        )));
    }
    Ok(())
}

fn header_time(request: &WebhookRequest) -> Result<DateTime<Utc>, WebhookError> {
    let text = request
        .header("webhook-timestamp")
        .ok_or_else(|| WebhookError::Unsigned("no webhook-timestamp".into()))?;
    text.trim()
        .parse::<i64>()
        .ok()
        .and_then(|seconds| DateTime::from_timestamp(seconds, 0))
        .ok_or_else(|| WebhookError::Malformed(format!("webhook-timestamp {text:?}")))
}

/// What is POSTed for each contact.
#[derive(Debug, Serialize)]
struct Envelope<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    timestamp: DateTime<Utc>,
    data: ContactData<'a>,
}

#[derive(Debug, Serialize)]
struct ContactData<'a> {
    contact_id: ContactId,
    idempotency_key: &'a str,
    channel: Channel,
    to: &'a str,
    postal: Option<&'a PostalAddress>,
    recipient_name: &'a str,
    language: Language,
    locale: &'a str,
    sender_name: &'a str,
    content: &'a Content,
}

/// The receiving system's answer, when it names its own id for the contact.
#[derive(Debug, Deserialize)]
struct Accepted {
    id: Option<serde_json::Value>,
}

/// A report from the tenant's system.
#[derive(Debug, Deserialize)]
struct Report {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    timestamp: Option<DateTime<Utc>>,
    data: ReportData,
}

#[derive(Debug, Deserialize)]
struct ReportData {
    #[serde(default)]
    provider_message_id: Option<String>,
    #[serde(default)]
    contact_id: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    code: Option<Code>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    address_unusable: bool,
}

/// An error code as the receiving system writes it: text or a number.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Code {
    Text(String),
    Number(i64),
}

impl Code {
    fn into_string(self) -> String {
        match self {
            Code::Text(text) => text,
            Code::Number(number) => number.to_string(),
        }
    }
}

pub struct Provider {
    url: String,
    key: Secret<Vec<u8>>,
    headers: Vec<(reqwest::header::HeaderName, reqwest::header::HeaderValue)>,
    http: reqwest::Client,
}

impl Provider {
    pub fn new(config: Config, env: &ProviderEnv) -> Result<Provider, ConfigError> {
        config.validate()?;
        let key = decode_secret(config.secret.expose_secret())?;
        let mut headers = vec![];
        for (name, value) in &config.headers {
            let field = || format!("headers.{name}");
            let name = reqwest::header::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| ConfigError::new(field(), "is not a valid header name"))?;
            let mut value = reqwest::header::HeaderValue::from_str(value.expose_secret())
                .map_err(|_| ConfigError::new(field(), "is not a valid header value"))?;
            value.set_sensitive(true);
            headers.push((name, value));
        }
        Ok(Provider {
            url: config.url,
            key: Secret::new(key),
            headers,
            http: env.http.clone(),
        })
    }
}

impl ChannelProvider for Provider {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            two_way: true,
            templates_required: false,
            max_length: None,
            delivery_reports: true,
        }
    }

    async fn send(&self, message: &OutboundMessage) -> Result<ProviderAck, SendError> {
        let body = serde_json::to_vec(&Envelope {
            kind: "contact.send",
            timestamp: message.now,
            data: ContactData {
                contact_id: message.contact_id,
                idempotency_key: &message.idempotency_key,
                channel: message.channel,
                to: &message.to,
                postal: message.postal.as_ref(),
                recipient_name: &message.recipient_name,
                language: message.language,
                locale: &message.locale,
                sender_name: &message.sender_name,
                content: &message.content,
            },
        })
        .map_err(|error| SendError::permanent("unserializable", error.to_string()))?;
        let id = webhook_id(&message.idempotency_key);
        let timestamp = message.now.timestamp();
        let signature = sign(self.key.expose_secret(), &id, timestamp, &body);
        let mut request = self.http.post(&self.url);
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        let response = request
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .header("Idempotency-Key", &message.idempotency_key)
            .body(body)
            .send()
            .await
            .map_err(|error| SendError::retryable(format!("webhook unreachable: {error}")))?;
        let status = response.status();
        let wait = retry_after(response.headers());
        // The body matters only for an id or an error's record; a cut one is not a failure of
        // a 2xx.
        let text = response.text().await.unwrap_or_default();
        if status.is_success() {
            let their_id = serde_json::from_str::<Accepted>(&text)
                .ok()
                .and_then(|accepted| match accepted.id {
                    Some(serde_json::Value::String(id)) => Some(id),
                    Some(serde_json::Value::Number(id)) => Some(id.to_string()),
                    _ => None,
                })
                .filter(|id| !id.is_empty());
            return Ok(ProviderAck {
                provider_message_id: their_id.unwrap_or(id),
                cost: None,
                artifact: None,
            });
        }
        let what = format!("the webhook answered {status}: {}", clip(&text));
        match status.as_u16() {
            408 | 425 | 429 | 500..=599 => Err(SendError::Retryable {
                message: what,
                retry_after: wait,
            }),
            // Standard Webhooks: 410 Gone means the endpoint is disabled for good.
            410 => Err(SendError::permanent("410", what)),
            code => Err(SendError::permanent(code.to_string(), what)),
        }
    }

    fn verify(&self, request: &WebhookRequest) -> Result<(), WebhookError> {
        if request.body.len() > MAX_WEBHOOK_BYTES {
            return Err(WebhookError::TooLarge(request.body.len()));
        }
        let id = request
            .header("webhook-id")
            .ok_or_else(|| WebhookError::Unsigned("no webhook-id".into()))?;
        let timestamp = request
            .header("webhook-timestamp")
            .ok_or_else(|| WebhookError::Unsigned("no webhook-timestamp".into()))?;
        let signatures = request
            .header("webhook-signature")
            .ok_or_else(|| WebhookError::Unsigned("no webhook-signature".into()))?;
        if verify_signature(
            self.key.expose_secret(),
            id,
            timestamp,
            &request.body,
            signatures,
        ) {
            Ok(())
        } else {
            Err(WebhookError::Forged("webhook-signature".into()))
        }
    }

    fn parse_webhook(
        &self,
        request: &WebhookRequest,
    ) -> Result<(Vec<ProviderEvent>, WebhookReply), WebhookError> {
        if request.body.len() > MAX_WEBHOOK_BYTES {
            return Err(WebhookError::TooLarge(request.body.len()));
        }
        let dedupe_key = request
            .header("webhook-id")
            .ok_or_else(|| WebhookError::Malformed("no webhook-id".into()))?
            .to_string();
        let report: Report = serde_json::from_slice(&request.body)
            .map_err(|error| WebhookError::Malformed(error.to_string()))?;
        let data = report.data;
        let contact_id = data
            .contact_id
            .as_deref()
            .map(|text| {
                text.parse::<ContactId>()
                    .map_err(|error| WebhookError::Malformed(error.to_string()))
            })
            .transpose()?;
        let provider_message_id = data.provider_message_id.filter(|id| !id.is_empty());
        if contact_id.is_none() && provider_message_id.is_none() {
            return Err(WebhookError::Malformed(
                "data names neither provider_message_id nor contact_id".into(),
            ));
        }
        let kind = match report.kind.as_str() {
            "contact.delivered" => EventKind::Delivered,
            "contact.opened" => EventKind::Opened,
            "contact.failed" => EventKind::Failed {
                code: data.code.map(Code::into_string),
                message: data.message,
                address_unusable: data.address_unusable,
            },
            "contact.replied" => EventKind::replied(
                data.from.unwrap_or_default(),
                &data.text.ok_or_else(|| {
                    WebhookError::Malformed("contact.replied has no data.text".into())
                })?,
                None,
            ),
            other => {
                return Err(WebhookError::Malformed(format!(
                    "type {other:?} is none of contact.delivered, contact.opened, \
                     contact.failed, contact.replied"
                )));
            }
        };
        let at = match report.timestamp {
            Some(at) => at,
            None => header_time(request)?,
        };
        Ok((
            vec![ProviderEvent {
                provider_message_id,
                contact_id,
                kind,
                at,
                dedupe_key,
            }],
            WebhookReply::default(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_the_standard_webhooks_test_vector() {
        let key = decode_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        let key = key.as_deref().unwrap_or_default();
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        assert!(verify_signature(
            key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            "1614265330",
            body,
            "v2,abc v1,bm9wZQ== v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        ));
        assert!(!verify_signature(
            key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            "1614265331",
            body,
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        ));
    }

    #[test]
    fn generated_secrets_decode_to_24_random_bytes() {
        let first = generate_secret();
        let second = generate_secret();
        assert!(first.starts_with("whsec_"));
        assert_ne!(first, second);
        assert_eq!(decode_secret(&first).map(|key| key.len()), Ok(24));
    }

    #[test]
    fn secrets_without_the_prefix_or_base64_are_refused() {
        for bad in [
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "whsec_not base64!",
            "whsec_AAAA",
        ] {
            assert_eq!(
                decode_secret(bad).map_err(|e| e.field),
                Err("secret".to_string()),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_webhook_id_is_stable_per_key() {
        let id = webhook_id("ctc_01:step-3");
        assert_eq!(id, webhook_id("ctc_01:step-3"));
        assert_ne!(id, webhook_id("ctc_01:step-4"));
        assert_eq!(id.len(), 4 + 32);
        assert!(id.starts_with("msg_"));
    }
}
