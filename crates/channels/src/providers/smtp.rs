//! Email over SMTP (lettre): one pooled transport per account, STARTTLS or implicit TLS, a
//! `Message-ID` derived from the contact's idempotency key (a re-send after a crash is the
//! same message to every mail system that deduplicates on it), RFC 8058 one-click
//! unsubscribe headers and optional DKIM signing. Bounces come back as a DSN or a provider's
//! JSON bounce posted to our webhook with a shared token.
//!
//! Replies: with a `reply_domain`, each message's `Reply-To` is `r+{token}@{reply_domain}`
//! (the contact's signed reply token), so the reply names what it answers whichever mail
//! client wrote it. Replies come back through a mail provider's inbound-parse JSON posted to
//! the webhook's `/inbound` path (same token), or through the built-in SMTP receiver
//! ([`crate::smtp_receiver`]).

mod dsn;
mod postmark;

use std::str::FromStr;
use std::time::{Duration, SystemTime};

use lettre::message::dkim::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm,
    DkimSigningKey,
};
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::{AsyncSmtpTransportBuilder, PoolConfig};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

use recaudo_domain::{ContactId, Secret};

use crate::providers::mask_optional_secret;
use crate::signature::constant_time_eq;
use crate::{
    Capabilities, ChannelProvider, ConfigError, Content, EventKind, OutboundMessage, ProviderAck,
    ProviderEnv, ProviderEvent, SendError, WebhookError, WebhookReply, WebhookRequest,
};

pub use dsn::normalize_message_id;

/// How the connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Security {
    /// Plain connection upgraded with STARTTLS, refused if the server cannot (port 587).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: a relay on the same host or a test sink only (port 25).
    None,
}

impl Security {
    fn default_port(self) -> u16 {
        match self {
            Security::Starttls => 587,
            Security::Tls => 465,
            Security::None => 25,
        }
    }
}

/// DKIM signing: the domain and selector published in DNS and the private key, an RSA key in
/// PKCS#1 PEM (`-----BEGIN RSA PRIVATE KEY-----`) or an Ed25519 seed in base64.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dkim {
    pub domain: String,
    pub selector: String,
    #[serde(serialize_with = "crate::providers::mask_secret")]
    pub private_key: Secret<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub host: String,
    /// Defaults to the security's port: 587, 465 or 25.
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub security: Security,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default, serialize_with = "mask_optional_secret")]
    pub password: Option<Secret<String>>,
    pub from_email: String,
    #[serde(default)]
    pub from_name: Option<String>,
    #[serde(default)]
    pub reply_to: Option<String>,
    /// Connections kept open to the server.
    #[serde(default = "default_pool_size")]
    pub pool_size: u32,
    /// The right-hand side of our `Message-ID`s; defaults to `from_email`'s domain.
    #[serde(default)]
    pub message_id_domain: Option<String>,
    #[serde(default)]
    pub dkim: Option<Dkim>,
    /// The shared token the account's webhooks carry (`?token=`, `Authorization: Bearer`, or
    /// the password of `Authorization: Basic`): bounces, and replies at `/inbound`. Also read
    /// under its former name `bounce_token`.
    #[serde(
        default,
        alias = "bounce_token",
        serialize_with = "mask_optional_secret"
    )]
    pub webhook_token: Option<Secret<String>>,
    /// The domain of the reply addresses (`r+{token}@{reply_domain}`): its mail must reach
    /// recaudo (the built-in receiver, or a provider's inbound parse). Set, it replaces
    /// `reply_to` on every message that carries a reply token.
    #[serde(default)]
    pub reply_domain: Option<String>,
}

fn default_pool_size() -> u32 {
    8
}

/// The SMTP conversation's per-command wait: a server that stalls longer is retried later.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// A bounce report larger than this is refused (it carries at most the original message).
pub const MAX_BOUNCE_BYTES: usize = 4 * 1024 * 1024;

/// An inbound-parse JSON larger than this is refused (it carries the attachments, base64).
pub const MAX_INBOUND_BYTES: usize = 16 * 1024 * 1024;

/// The shortest webhook token accepted: it is the webhook's only credential.
const MIN_TOKEN_LEN: usize = 16;

impl Config {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.host.trim().is_empty() {
            return Err(ConfigError::missing("host"));
        }
        if self.port == Some(0) {
            return Err(ConfigError::new("port", "must be between 1 and 65535"));
        }
        if self.from_email.trim().is_empty() {
            return Err(ConfigError::missing("from_email"));
        }
        Address::from_str(self.from_email.trim())
            .map_err(|e| ConfigError::new("from_email", format!("is not an email address: {e}")))?;
        if let Some(reply_to) = &self.reply_to {
            Mailbox::from_str(reply_to.trim()).map_err(|e| {
                ConfigError::new("reply_to", format!("is not an email address: {e}"))
            })?;
        }
        match (&self.username, &self.password) {
            (Some(user), Some(_)) if user.trim().is_empty() => {
                return Err(ConfigError::missing("username"));
            }
            (Some(_), None) => return Err(ConfigError::missing("password")),
            (None, Some(_)) => return Err(ConfigError::missing("username")),
            _ => {}
        }
        if self.username.is_some() && self.security == Security::None {
            return Err(ConfigError::new(
                "security",
                "credentials are sent only over an encrypted connection: use starttls or tls",
            ));
        }
        if !(1..=256).contains(&self.pool_size) {
            return Err(ConfigError::new("pool_size", "must be between 1 and 256"));
        }
        if let Some(domain) = &self.message_id_domain
            && !is_plain_domain(domain)
        {
            return Err(ConfigError::new(
                "message_id_domain",
                "must be a domain name such as mail.example.com",
            ));
        }
        if let Some(dkim) = &self.dkim {
            if !is_plain_domain(&dkim.domain) {
                return Err(ConfigError::new("dkim.domain", "must be a domain name"));
            }
            if dkim.selector.trim().is_empty() || !is_plain_domain(&dkim.selector) {
                return Err(ConfigError::missing("dkim.selector"));
            }
            signing_key(dkim.private_key.expose_secret())?;
        }
        if let Some(token) = &self.webhook_token
            && token.expose_secret().len() < MIN_TOKEN_LEN
        {
            return Err(ConfigError::new(
                "webhook_token",
                format!("must be at least {MIN_TOKEN_LEN} characters"),
            ));
        }
        if let Some(domain) = &self.reply_domain
            && !is_host_name(domain.trim())
        {
            return Err(ConfigError::new(
                "reply_domain",
                "must be a domain name such as reply.example.com (letters, digits and hyphens, at least two labels)",
            ));
        }
        Ok(())
    }

    fn message_id_domain(&self) -> String {
        match &self.message_id_domain {
            Some(domain) => domain.trim().to_ascii_lowercase(),
            None => self
                .from_email
                .rsplit_once('@')
                .map(|(_, domain)| domain.trim().to_ascii_lowercase())
                .unwrap_or_default(),
        }
    }
}

fn is_plain_domain(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 253
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_')
}

/// A domain mail can be addressed to: two or more labels of letters, digits and inner hyphens.
fn is_host_name(text: &str) -> bool {
    let labels: Vec<&str> = text.split('.').collect();
    text.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|label| {
            (1..=63).contains(&label.len())
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

fn signing_key(key: &str) -> Result<DkimSigningKey, ConfigError> {
    let key = key.trim();
    let algorithm = if key.starts_with("-----BEGIN RSA PRIVATE KEY-----") {
        DkimSigningAlgorithm::Rsa
    } else if key.starts_with("-----BEGIN") {
        return Err(ConfigError::new(
            "dkim.private_key",
            "an RSA key must be PKCS#1 PEM (BEGIN RSA PRIVATE KEY); convert it with `openssl rsa -traditional`",
        ));
    } else {
        DkimSigningAlgorithm::Ed25519
    };
    DkimSigningKey::new(key, algorithm)
        .map_err(|e| ConfigError::new("dkim.private_key", format!("does not parse: {e}")))
}

/// The `Message-ID` of the message with this idempotency key: the same key, the same id.
pub fn message_id(idempotency_key: &str, domain: &str) -> String {
    let digest = hex::encode(Sha256::digest(idempotency_key.as_bytes()));
    format!("<{}@{domain}>", &digest[..32])
}

pub struct Provider {
    /// Boxed: the transport's settings and a signing key are large, and providers sit side by
    /// side in one enum.
    inner: Box<Inner>,
    /// Built on the first send: lettre's pool spawns its reaper on the running Tokio runtime,
    /// and a provider may be built (to check a configuration) where there is none.
    transport: OnceCell<AsyncSmtpTransport<Tokio1Executor>>,
}

struct Inner {
    config: Config,
    builder: AsyncSmtpTransportBuilder,
    from: Mailbox,
    reply_to: Option<Mailbox>,
    /// Lower-cased.
    reply_domain: Option<String>,
    domain: String,
    dkim: Option<DkimConfig>,
}

impl Provider {
    pub fn new(config: Config, _env: &ProviderEnv) -> Result<Provider, ConfigError> {
        config.validate()?;
        let host = config.host.trim();
        let builder = match config.security {
            Security::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host),
            Security::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host),
            Security::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
                host,
            )),
        }
        .map_err(|e| ConfigError::new("host", format!("cannot set up TLS for it: {e}")))?;
        let mut builder = builder
            .port(config.port.unwrap_or(config.security.default_port()))
            .timeout(Some(COMMAND_TIMEOUT))
            .pool_config(PoolConfig::new().max_size(config.pool_size));
        if let (Some(user), Some(password)) = (&config.username, &config.password) {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                password.expose_secret().clone(),
            ));
        }
        let address = Address::from_str(config.from_email.trim())
            .map_err(|e| ConfigError::new("from_email", format!("is not an email address: {e}")))?;
        let from = Mailbox::new(
            config.from_name.clone().filter(|n| !n.trim().is_empty()),
            address,
        );
        let reply_to = match &config.reply_to {
            Some(text) => Some(Mailbox::from_str(text.trim()).map_err(|e| {
                ConfigError::new("reply_to", format!("is not an email address: {e}"))
            })?),
            None => None,
        };
        let dkim = match &config.dkim {
            Some(dkim) => Some(DkimConfig::new(
                dkim.selector.trim().to_string(),
                dkim.domain.trim().to_string(),
                signing_key(dkim.private_key.expose_secret())?,
                // RFC 8058 asks for both unsubscribe headers to be signed; a header a message
                // lacks is signed as absent. Not Content-Type: lettre writes a multipart's
                // with the body, after signing, so a receiver would see it changed.
                [
                    "From",
                    "To",
                    "Subject",
                    "Date",
                    "Message-ID",
                    "Reply-To",
                    "List-Unsubscribe",
                    "List-Unsubscribe-Post",
                    "MIME-Version",
                ]
                .into_iter()
                .map(HeaderName::new_from_ascii_str)
                .collect(),
                DkimCanonicalization {
                    header: DkimCanonicalizationType::Relaxed,
                    body: DkimCanonicalizationType::Relaxed,
                },
            )),
            None => None,
        };
        let domain = config.message_id_domain();
        let reply_domain = config
            .reply_domain
            .as_deref()
            .map(|d| d.trim().to_ascii_lowercase());
        Ok(Provider {
            inner: Box::new(Inner {
                config,
                builder,
                from,
                reply_to,
                reply_domain,
                domain,
                dkim,
            }),
            transport: OnceCell::new(),
        })
    }

    /// The message as it goes on the wire (headers and both parts), signed when DKIM is set.
    pub fn build_message(&self, message: &OutboundMessage) -> Result<Message, SendError> {
        let Content::Email(email) = &message.content else {
            return Err(SendError::permanent(
                "wrong_channel",
                format!(
                    "the SMTP provider sends email, not {}",
                    message.content.channel()
                ),
            ));
        };
        let address = Address::from_str(message.to.trim()).map_err(|e| {
            SendError::bad_address(
                "invalid_address",
                format!("{:?} is not an email address: {e}", message.to),
            )
        })?;
        let name = message.recipient_name.trim();
        let to = Mailbox::new((!name.is_empty()).then(|| name.to_string()), address);
        let message_id = message_id(&message.idempotency_key, &self.inner.domain);
        let mut builder = Message::builder()
            .from(self.inner.from.clone())
            .to(to)
            .subject(email.subject.clone())
            .message_id(Some(message_id))
            .date(SystemTime::from(message.now))
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("X-Recaudo-Contact"),
                message.contact_id.to_string(),
            ));
        if let Some(reply_to) = self.reply_to(message)? {
            builder = builder.reply_to(reply_to);
        }
        if let Some(url) = &email.unsubscribe_url {
            builder = unsubscribe_headers(builder, url)?;
        }
        let mut built = builder
            .multipart(MultiPart::alternative_plain_html(
                email.text.clone(),
                email.html.clone(),
            ))
            .map_err(|e| SendError::permanent("invalid_message", e.to_string()))?;
        if let Some(dkim) = &self.inner.dkim {
            built.sign(dkim);
        }
        Ok(built)
    }

    /// The message's `Reply-To`: its own reply address when the account has a reply domain and
    /// the message a token (named as the configured `reply_to`, or the sender), else `reply_to`.
    fn reply_to(&self, message: &OutboundMessage) -> Result<Option<Mailbox>, SendError> {
        let (Some(domain), Some(token)) = (&self.inner.reply_domain, &message.reply_token) else {
            return Ok(self.inner.reply_to.clone());
        };
        if token.is_empty() || !token.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(SendError::permanent(
                "invalid_reply_token",
                format!("the reply token {token:?} is not letters and digits"),
            ));
        }
        let address = Address::new(format!("r+{token}"), domain.as_str()).map_err(|e| {
            SendError::permanent(
                "invalid_reply_token",
                format!("r+{token}@{domain} is not an address: {e}"),
            )
        })?;
        let name = self
            .inner
            .reply_to
            .as_ref()
            .and_then(|m| m.name.clone())
            .or_else(|| self.inner.from.name.clone());
        Ok(Some(Mailbox::new(name, address)))
    }

    async fn transport(&self) -> &AsyncSmtpTransport<Tokio1Executor> {
        self.transport
            .get_or_init(|| async { self.inner.builder.clone().build() })
            .await
    }

    fn bounce_events(&self, bounces: Vec<dsn::Bounce>) -> Vec<ProviderEvent> {
        let now = chrono::Utc::now();
        bounces
            .into_iter()
            .map(|bounce| {
                let kind = match bounce.action {
                    dsn::Action::Failed { hard } => EventKind::Bounced {
                        hard,
                        code: bounce.status.clone(),
                        message: bounce.diagnostic.clone(),
                    },
                    dsn::Action::Delayed => EventKind::Bounced {
                        hard: false,
                        code: bounce.status.clone(),
                        message: bounce.diagnostic.clone(),
                    },
                    dsn::Action::Delivered => EventKind::Delivered,
                };
                let dedupe_key = format!(
                    "smtp:{}:{}:{}:{}",
                    bounce.message_id.as_deref().unwrap_or("-"),
                    bounce
                        .recipient
                        .as_deref()
                        .unwrap_or("-")
                        .to_ascii_lowercase(),
                    bounce.action.name(),
                    bounce.status.as_deref().unwrap_or("-"),
                );
                ProviderEvent {
                    provider_message_id: bounce.message_id,
                    contact_id: bounce
                        .contact
                        .as_deref()
                        .and_then(|c| ContactId::from_str(c).ok()),
                    kind,
                    // A report that does not date itself is dated when it reaches us.
                    at: bounce.at.unwrap_or(now),
                    dedupe_key,
                }
            })
            .collect()
    }
}

impl Provider {
    /// A reply posted to `/inbound` as Postmark's inbound JSON: one `Replied` event, dated when
    /// it reached us (the sender's `Date` is the sender's word). An automatic message (an
    /// out-of-office) is no reply: it is taken and yields nothing.
    fn inbound_events(
        &self,
        request: &WebhookRequest,
    ) -> Result<(Vec<ProviderEvent>, WebhookReply), WebhookError> {
        if request.body.len() > MAX_INBOUND_BYTES {
            return Err(WebhookError::TooLarge(request.body.len()));
        }
        let content_type = request
            .header("content-type")
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if !(content_type.is_empty()
            || content_type.starts_with("application/json")
            || content_type.contains("+json"))
        {
            return Err(WebhookError::Malformed(format!(
                "unsupported content type {content_type:?}: an inbound email is posted as JSON"
            )));
        }
        let email = postmark::parse(&request.body)?;
        if email.automatic {
            tracing::info!(from = %email.from, "automatic email reply ignored");
            return Ok((vec![], WebhookReply::default()));
        }
        let at = request.received_at.unwrap_or_else(chrono::Utc::now);
        Ok((vec![email.to_event(at)], WebhookReply::default()))
    }
}

/// Whether the webhook's URL path ends with `/inbound` (the query left out).
fn is_inbound_path(url: &str) -> bool {
    let path = url.split(['?', '#']).next().unwrap_or_default();
    path.trim_end_matches('/').ends_with("/inbound")
}

/// The token of an `Authorization` header: a bearer token, or a basic password (what a
/// provider sends for a webhook URL written `https://user:TOKEN@host/…`).
fn authorization_token(value: &str) -> Option<String> {
    use base64::Engine;
    let (scheme, credentials) = value.trim().split_once(' ')?;
    let credentials = credentials.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(credentials.to_string());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(credentials)
            .ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        let (_, password) = decoded.split_once(':')?;
        return Some(password.to_string());
    }
    None
}

fn unsubscribe_headers(
    builder: lettre::message::MessageBuilder,
    url: &str,
) -> Result<lettre::message::MessageBuilder, SendError> {
    let url = url.trim();
    let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
    if !scheme_ok
        || url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>' || !c.is_ascii())
    {
        // Sending without the one-click header would break RFC 8058 and the bulk-sender rules.
        return Err(SendError::permanent(
            "invalid_unsubscribe_url",
            format!("the unsubscribe URL {url:?} is not an absolute http(s) URL"),
        ));
    }
    Ok(builder
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe"),
            format!("<{url}>"),
        ))
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
            "List-Unsubscribe=One-Click".to_string(),
        )))
}

/// What an SMTP failure means for the dispatcher: 4xx and anything without a reply (timeout,
/// refused connection, TLS) are tried again; 5xx are final, and 550/551/553 blame the mailbox
/// unless the enhanced status says the reason is policy, content or the system.
pub fn map_error(error: &lettre::transport::smtp::Error) -> SendError {
    let text = error.to_string();
    let Some(code) = error.status() else {
        return SendError::retryable(text);
    };
    let number = u16::from(code);
    let reply = std::error::Error::source(error)
        .map(ToString::to_string)
        .unwrap_or_default();
    match number {
        400..=499 => SendError::retryable(text),
        550 | 551 | 553 if !blames_something_else(&reply) => {
            SendError::bad_address(number.to_string(), text)
        }
        _ => SendError::permanent(number.to_string(), text),
    }
}

/// Whether a 5xx reply's enhanced status (RFC 3463) names a cause other than the address:
/// 5.3.x the system, 5.6.x the content, 5.7.x policy or security.
fn blames_something_else(reply: &str) -> bool {
    let status = reply.split_whitespace().next().unwrap_or_default();
    let mut parts = status.split('.');
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some("5"), Some("3" | "6" | "7"), Some(detail)) if detail.chars().all(|c| c.is_ascii_digit())
    )
}

impl ChannelProvider for Provider {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            two_way: self.inner.reply_domain.is_some(),
            templates_required: false,
            max_length: None,
            delivery_reports: self.inner.config.webhook_token.is_some(),
        }
    }

    async fn send(&self, message: &OutboundMessage) -> Result<ProviderAck, SendError> {
        let email = self.build_message(message)?;
        let provider_message_id = email
            .headers()
            .get_raw("Message-ID")
            .map(str::to_string)
            .unwrap_or_else(|| message_id(&message.idempotency_key, &self.inner.domain));
        let transport = self.transport().await;
        match transport.send(email).await {
            Ok(_) => Ok(ProviderAck {
                provider_message_id,
                cost: None,
                artifact: None,
            }),
            Err(error) => Err(map_error(&error)),
        }
    }

    fn verify(&self, request: &WebhookRequest) -> Result<(), WebhookError> {
        let Some(expected) = &self.inner.config.webhook_token else {
            return Err(WebhookError::NotSupported);
        };
        let given = request.query.get("token").cloned().or_else(|| {
            request
                .header("authorization")
                .and_then(authorization_token)
        });
        let Some(given) = given else {
            return Err(WebhookError::Unsigned(
                "no token query parameter, bearer token or basic password".into(),
            ));
        };
        if constant_time_eq(expected.expose_secret().as_bytes(), given.as_bytes()) {
            Ok(())
        } else {
            Err(WebhookError::Forged(
                "the webhook token does not match".into(),
            ))
        }
    }

    fn parse_webhook(
        &self,
        request: &WebhookRequest,
    ) -> Result<(Vec<ProviderEvent>, WebhookReply), WebhookError> {
        if self.inner.config.webhook_token.is_none() {
            return Err(WebhookError::NotSupported);
        }
        if is_inbound_path(&request.url) {
            return self.inbound_events(request);
        }
        if request.body.len() > MAX_BOUNCE_BYTES {
            return Err(WebhookError::TooLarge(request.body.len()));
        }
        let content_type = request
            .header("content-type")
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let bounces = if content_type.starts_with("application/json")
            || content_type.contains("+json")
        {
            dsn::parse_json(&request.body)
        } else if content_type.starts_with("multipart/report")
            || content_type.starts_with("message/rfc822")
            || content_type.starts_with("text/plain")
        {
            // The original (mixed-case) value: the boundary is case-sensitive.
            dsn::parse_dsn(
                request.header("content-type").unwrap_or_default(),
                &request.body,
            )
        } else {
            Err(format!(
                "unsupported content type {content_type:?}: send a DSN (multipart/report or message/rfc822) or a JSON bounce"
            ))
        }
        .map_err(WebhookError::Malformed)?;
        Ok((self.bounce_events(bounces), WebhookReply::default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_id_is_the_first_half_of_the_key_hash() {
        assert_eq!(
            message_id("abc", "mail.example.com"),
            // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
            "<ba7816bf8f01cfea414140de5dae2223@mail.example.com>"
        );
    }

    #[test]
    fn policy_rejections_do_not_blame_the_mailbox() {
        assert!(blames_something_else("5.7.1 Message rejected as spam"));
        assert!(blames_something_else("5.6.0 bad content"));
        assert!(!blames_something_else("5.1.1 User unknown"));
        assert!(!blames_something_else("No such user"));
        assert!(!blames_something_else(""));
    }

    #[test]
    fn the_message_id_domain_defaults_to_the_sender_domain() {
        let config: Config = serde_json::from_value(serde_json::json!({
            "host": "smtp.example.com",
            "from_email": "cobranza@Acueducto.example.co",
        }))
        .expect("parses");
        assert_eq!(config.message_id_domain(), "acueducto.example.co");
        assert_eq!(config.pool_size, 8);
        assert_eq!(config.security, Security::Starttls);
    }
}
