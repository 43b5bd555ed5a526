//! A configurable HTTP SMS gateway, for the local aggregators Twilio does not replace: one POST
//! a message, as JSON or a form, with the field names the gateway uses; a status webhook, and
//! optionally an inbound webhook for the debtors' answers (at the account's hook URL followed
//! by `/inbound`), each signed with HMAC-SHA256 of its raw body and read through JSON pointers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use recaudo_domain::Secret;

use super::http::{clip, retry_after, transport_error, validate_http_url};
use super::mask_secret;
use crate::signature::verify_sha256_hex;
use crate::{
    Capabilities, ChannelProvider, ConfigError, Content, EventKind, OutboundMessage, ProviderAck,
    ProviderEnv, ProviderEvent, SendError, WebhookError, WebhookReply, WebhookRequest,
};

/// How the message is written in the request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    #[default]
    Json,
    Form,
}

/// How the gateway knows us.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Auth {
    #[default]
    None,
    /// `Authorization: Bearer <token>`.
    Bearer {
        #[serde(serialize_with = "mask_secret")]
        token: Secret<String>,
    },
    /// `Authorization: Basic …`.
    Basic {
        username: String,
        #[serde(serialize_with = "mask_secret")]
        password: Secret<String>,
    },
    /// A header of the gateway's choosing (`X-API-Key: …`).
    Header {
        name: String,
        #[serde(serialize_with = "mask_secret")]
        value: Secret<String>,
    },
}

/// The names the gateway gives the message's fields. `from` and `reference` are left out of
/// the request when set to `null`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fields {
    #[serde(default = "default_to")]
    pub to: String,
    #[serde(default = "default_body")]
    pub body: String,
    #[serde(default = "default_from")]
    pub from: Option<String>,
    /// Carries the idempotency key, so the gateway (and its reports) can name our message.
    #[serde(default = "default_reference")]
    pub reference: Option<String>,
}

fn default_to() -> String {
    "to".into()
}
fn default_body() -> String {
    "body".into()
}
fn default_from() -> Option<String> {
    Some("from".into())
}
fn default_reference() -> Option<String> {
    Some("reference".into())
}

impl Default for Fields {
    fn default() -> Fields {
        Fields {
            to: default_to(),
            body: default_body(),
            from: default_from(),
            reference: default_reference(),
        }
    }
}

/// One of our statuses a gateway's status maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Sent,
    Delivered,
    Failed,
    /// The handset could not be reached: a failure that blames the address.
    Undelivered,
}

/// The gateway's delivery reports.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusWebhook {
    /// The key of the HMAC-SHA256 (hex) of the raw body the gateway signs reports with.
    #[serde(serialize_with = "mask_secret")]
    pub secret: Secret<String>,
    /// The header that carries the signature (a `sha256=` prefix is accepted).
    #[serde(default = "default_signature_header")]
    pub signature_header: String,
    /// Where the report names the message: the gateway's id, or our reference when
    /// `response_id_pointer` is not set.
    pub id_pointer: String,
    pub status_pointer: String,
    /// Where the report gives an error code, if it does.
    #[serde(default)]
    pub error_pointer: Option<String>,
    /// The gateway's statuses and ours; a status not listed (`queued`, `accepted`) reports
    /// nothing.
    pub statuses: BTreeMap<String, Status>,
}

/// The debtors' answers the gateway forwards (the SMS a debtor sends to the sending number),
/// POSTed to the account's hook URL followed by `/inbound`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboundWebhook {
    /// The key of the HMAC-SHA256 (hex) of the raw body the gateway signs them with.
    #[serde(serialize_with = "mask_secret")]
    pub secret: Secret<String>,
    /// The header that carries the signature (a `sha256=` prefix is accepted).
    #[serde(default = "default_signature_header")]
    pub signature_header: String,
    /// Where the message gives the sender's number (digits without `+` are taken as E.164).
    pub from_pointer: String,
    /// Where it gives the text.
    pub text_pointer: String,
    /// Where it gives the gateway's id of the inbound message (what makes a retry the same).
    pub id_pointer: String,
}

/// The last path segment of the URL the gateway posts inbound messages to.
pub const INBOUND_PATH: &str = "inbound";

fn default_signature_header() -> String {
    "X-Signature".into()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where messages are POSTed.
    pub url: String,
    #[serde(default)]
    pub format: Format,
    #[serde(default)]
    pub auth: Auth,
    #[serde(default)]
    pub fields: Fields,
    /// The sender (a number or an alphanumeric id), when the gateway takes one.
    #[serde(default)]
    pub from: Option<String>,
    /// Sends the number without its `+` (`573001234567`), as many local gateways want.
    #[serde(default)]
    pub strip_plus: bool,
    /// Fields sent with every message (`{"route": "premium"}`); plain values only with `form`.
    #[serde(default)]
    pub static_fields: BTreeMap<String, Value>,
    /// A JSON pointer to the gateway's id in its answer (`/messages/0/id`); without one the
    /// idempotency key is the id.
    #[serde(default)]
    pub response_id_pointer: Option<String>,
    /// A JSON pointer to the gateway's error code in an error answer; the HTTP status otherwise.
    #[serde(default)]
    pub error_code_pointer: Option<String>,
    /// Error codes (from `error_code_pointer`, or `http_400` style) that blame the number.
    #[serde(default)]
    pub bad_address_codes: Vec<String>,
    /// Boxed: it is the larger part of the configuration, and many gateways send no reports.
    #[serde(default)]
    pub status_webhook: Option<Box<StatusWebhook>>,
    /// The debtors' answers, when the gateway forwards them: the account is then two-way.
    #[serde(default)]
    pub inbound_webhook: Option<Box<InboundWebhook>>,
}

/// Checks a configured JSON pointer.
fn check_pointer(field: &str, pointer: &str) -> Result<(), ConfigError> {
    if pointer.is_empty() {
        return Err(ConfigError::missing(field));
    }
    if !pointer.starts_with('/') {
        return Err(ConfigError::new(
            field,
            "must be a JSON pointer starting with / (such as /messages/0/id)",
        ));
    }
    Ok(())
}

fn check_header_name(field: &str, name: &str) -> Result<(), ConfigError> {
    if name.is_empty() {
        return Err(ConfigError::missing(field));
    }
    reqwest::header::HeaderName::from_bytes(name.as_bytes())
        .map(|_| ())
        .map_err(|_| ConfigError::new(field, "is not a valid HTTP header name"))
}

fn check_secret(field: &str, secret: &Secret<String>) -> Result<(), ConfigError> {
    let value = secret.expose_secret();
    if value.trim().is_empty() {
        return Err(ConfigError::missing(field));
    }
    if value.bytes().any(|b| b.is_ascii_control()) {
        return Err(ConfigError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}

impl Config {
    pub fn validate(&self) -> Result<(), ConfigError> {
        validate_http_url("url", &self.url)?;
        match &self.auth {
            Auth::None => {}
            Auth::Bearer { token } => check_secret("auth.token", token)?,
            Auth::Basic { username, password } => {
                if username.is_empty() {
                    return Err(ConfigError::missing("auth.username"));
                }
                if username.contains(':') {
                    return Err(ConfigError::new("auth.username", "must not contain ':'"));
                }
                check_secret("auth.password", password)?;
            }
            Auth::Header { name, value } => {
                check_header_name("auth.name", name)?;
                check_secret("auth.value", value)?;
            }
        }
        // Two fields of one name would overwrite each other in the request.
        let mut names = vec![
            ("fields.to", &self.fields.to),
            ("fields.body", &self.fields.body),
        ];
        if let Some(from) = &self.fields.from {
            names.push(("fields.from", from));
        }
        if let Some(reference) = &self.fields.reference {
            names.push(("fields.reference", reference));
        }
        for (i, (field, name)) in names.iter().enumerate() {
            if name.is_empty() {
                return Err(ConfigError::missing(*field));
            }
            if names[..i].iter().any(|(_, earlier)| earlier == name) {
                return Err(ConfigError::new(*field, format!("{name:?} is used twice")));
            }
            if self.static_fields.contains_key(name.as_str()) {
                return Err(ConfigError::new(
                    format!("static_fields.{name}"),
                    format!("{name:?} is already {field}"),
                ));
            }
        }
        if self.from.is_some() && self.fields.from.is_none() {
            return Err(ConfigError::new(
                "fields.from",
                "must name the gateway's sender field when from is set",
            ));
        }
        if self.format == Format::Form {
            for (name, value) in &self.static_fields {
                if value.is_object() || value.is_array() {
                    return Err(ConfigError::new(
                        format!("static_fields.{name}"),
                        "must be a plain value with the form format",
                    ));
                }
            }
        }
        if let Some(pointer) = &self.response_id_pointer {
            check_pointer("response_id_pointer", pointer)?;
        }
        if let Some(pointer) = &self.error_code_pointer {
            check_pointer("error_code_pointer", pointer)?;
        }
        if let Some(webhook) = &self.status_webhook {
            check_secret("status_webhook.secret", &webhook.secret)?;
            check_header_name("status_webhook.signature_header", &webhook.signature_header)?;
            check_pointer("status_webhook.id_pointer", &webhook.id_pointer)?;
            check_pointer("status_webhook.status_pointer", &webhook.status_pointer)?;
            if let Some(pointer) = &webhook.error_pointer {
                check_pointer("status_webhook.error_pointer", pointer)?;
            }
            if webhook.statuses.is_empty() {
                return Err(ConfigError::missing("status_webhook.statuses"));
            }
        }
        if let Some(webhook) = &self.inbound_webhook {
            check_secret("inbound_webhook.secret", &webhook.secret)?;
            check_header_name(
                "inbound_webhook.signature_header",
                &webhook.signature_header,
            )?;
            check_pointer("inbound_webhook.from_pointer", &webhook.from_pointer)?;
            check_pointer("inbound_webhook.text_pointer", &webhook.text_pointer)?;
            check_pointer("inbound_webhook.id_pointer", &webhook.id_pointer)?;
        }
        Ok(())
    }
}

pub struct Provider {
    config: Config,
    http: reqwest::Client,
}

/// Whether a webhook was posted to the inbound URL (`…/inbound`, any query after it).
fn is_inbound(request: &WebhookRequest) -> bool {
    let path = request.url.split(['?', '#']).next().unwrap_or_default();
    path.trim_end_matches('/').rsplit('/').next() == Some(INBOUND_PATH)
}

/// A webhook's body as JSON: a form is read as a flat object of strings, so the same pointers
/// (`/status`) work for both.
fn body_value(request: &WebhookRequest) -> Result<Value, WebhookError> {
    let is_form = request
        .header("content-type")
        .is_some_and(|kind| kind.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        let pairs = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&request.body)
            .map_err(|e| WebhookError::Malformed(format!("the form does not parse: {e}")))?;
        Ok(Value::Object(
            pairs
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        ))
    } else {
        serde_json::from_slice(&request.body)
            .map_err(|e| WebhookError::Malformed(format!("the JSON does not parse: {e}")))
    }
}

/// Checks the HMAC-SHA256 (hex, `sha256=` prefix optional) of the body in `header`.
fn verify_hmac(
    secret: &Secret<String>,
    header: &str,
    request: &WebhookRequest,
) -> Result<(), WebhookError> {
    let given = request
        .header(header)
        .map(str::trim)
        .filter(|given| !given.is_empty())
        .ok_or_else(|| WebhookError::Unsigned(header.to_string()))?;
    let given = given.strip_prefix("sha256=").unwrap_or(given);
    if verify_sha256_hex(secret.expose_secret().as_bytes(), &request.body, given) {
        Ok(())
    } else {
        Err(WebhookError::Forged(header.to_string()))
    }
}

/// A sender as our contact points store it: a bare run of 7 to 15 digits (as gateways write
/// numbers) gets its `+`; anything else is kept as sent.
fn sender(from: &str) -> String {
    let from = from.trim();
    if (7..=15).contains(&from.len()) && from.bytes().all(|b| b.is_ascii_digit()) {
        format!("+{from}")
    } else {
        from.to_string()
    }
}

/// A JSON value as text: strings as they are, numbers and booleans written out.
fn as_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) if !text.is_empty() => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

impl Provider {
    pub fn new(config: Config, env: &ProviderEnv) -> Result<Provider, ConfigError> {
        config.validate()?;
        Ok(Provider {
            config,
            http: env.http.clone(),
        })
    }

    /// The message's fields in the gateway's names, in a stable order: to, body, from,
    /// reference, then the static fields.
    fn fields(&self, message: &OutboundMessage, body: &str) -> Vec<(String, Value)> {
        let fields = &self.config.fields;
        let to = if self.config.strip_plus {
            message.to.trim_start_matches('+')
        } else {
            &message.to
        };
        let mut out = vec![
            (fields.to.clone(), Value::from(to)),
            (fields.body.clone(), Value::from(body)),
        ];
        if let (Some(name), Some(from)) = (&fields.from, &self.config.from) {
            out.push((name.clone(), Value::from(from.as_str())));
        }
        if let Some(name) = &fields.reference {
            out.push((name.clone(), Value::from(message.idempotency_key.as_str())));
        }
        for (name, value) in &self.config.static_fields {
            out.push((name.clone(), value.clone()));
        }
        out
    }

    fn request(
        &self,
        message: &OutboundMessage,
        body: &str,
    ) -> Result<reqwest::RequestBuilder, SendError> {
        let fields = self.fields(message, body);
        let request = self
            .http
            .post(&self.config.url)
            .header("Idempotency-Key", &message.idempotency_key)
            .header("Accept", "application/json");
        let request = match self.config.format {
            Format::Json => {
                let object: serde_json::Map<String, Value> = fields.into_iter().collect();
                request
                    .header("Content-Type", "application/json")
                    .body(Value::Object(object).to_string())
            }
            Format::Form => {
                let pairs: Vec<(String, String)> = fields
                    .into_iter()
                    .map(|(name, value)| {
                        let text = as_text(&value).unwrap_or_default();
                        (name, text)
                    })
                    .collect();
                let form = serde_urlencoded::to_string(pairs)
                    .map_err(|e| SendError::permanent("encoding", e.to_string()))?;
                request
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .body(form)
            }
        };
        Ok(match &self.config.auth {
            Auth::None => request,
            Auth::Bearer { token } => request.bearer_auth(token.expose_secret()),
            Auth::Basic { username, password } => {
                request.basic_auth(username, Some(password.expose_secret()))
            }
            Auth::Header { name, value } => request.header(name.as_str(), value.expose_secret()),
        })
    }

    /// A debtor's SMS the gateway forwards: a reply from the number at `from_pointer`. It names
    /// no message of ours (gateways do not say which one it answers): the sender does.
    fn inbound_event(
        &self,
        request: &WebhookRequest,
    ) -> Result<(Vec<ProviderEvent>, WebhookReply), WebhookError> {
        let webhook = self
            .config
            .inbound_webhook
            .as_ref()
            .ok_or(WebhookError::NotSupported)?;
        let message = body_value(request)?;
        let read = |pointer: &str, what: &str| {
            message
                .pointer(pointer)
                .and_then(as_text)
                .ok_or_else(|| WebhookError::Malformed(format!("no {what} at {pointer}")))
        };
        let id = read(&webhook.id_pointer, "id")?;
        let from = read(&webhook.from_pointer, "sender")?;
        // An empty SMS is still an answer; a text that is no text (an object) is not.
        let text = match message.pointer(&webhook.text_pointer) {
            Some(Value::String(text)) => text.clone(),
            Some(other) => as_text(other).ok_or_else(|| {
                WebhookError::Malformed(format!("no text at {}", webhook.text_pointer))
            })?,
            None => {
                return Err(WebhookError::Malformed(format!(
                    "no text at {}",
                    webhook.text_pointer
                )));
            }
        };
        let event = ProviderEvent {
            dedupe_key: format!("http_sms:{id}:replied"),
            provider_message_id: None,
            contact_id: None,
            kind: EventKind::replied(sender(&from), &text, None),
            at: super::twilio::received_at(request),
        };
        Ok((vec![event], WebhookReply::default()))
    }

    /// An error answer: 429 and 5xx are worth another try; another 4xx is permanent with the
    /// gateway's code (or `http_<status>`).
    fn error_for(
        &self,
        status: u16,
        retry_after: Option<std::time::Duration>,
        text: &str,
    ) -> SendError {
        if status == 429 || status >= 500 {
            return SendError::Retryable {
                message: format!("the gateway answered {status}: {}", clip(text)),
                retry_after,
            };
        }
        let code = self
            .config
            .error_code_pointer
            .as_deref()
            .and_then(|pointer| {
                serde_json::from_str::<Value>(text)
                    .ok()?
                    .pointer(pointer)
                    .and_then(as_text)
            })
            .unwrap_or_else(|| format!("http_{status}"));
        let message = format!("the gateway answered {status}: {}", clip(text));
        if self.config.bad_address_codes.contains(&code) {
            SendError::bad_address(code, message)
        } else {
            SendError::permanent(code, message)
        }
    }
}

impl ChannelProvider for Provider {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            two_way: self.config.inbound_webhook.is_some(),
            templates_required: false,
            max_length: None,
            delivery_reports: self.config.status_webhook.is_some(),
        }
    }

    async fn send(&self, message: &OutboundMessage) -> Result<ProviderAck, SendError> {
        let Content::Sms(sms) = &message.content else {
            return Err(SendError::permanent(
                "wrong_content",
                format!(
                    "an SMS gateway sends SMS, not {} content",
                    message.content.channel()
                ),
            ));
        };
        if message.to.trim().is_empty() {
            return Err(SendError::bad_address("no_address", "no number to send to"));
        }
        let response = self
            .request(message, &sms.body)?
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let text = response
            .text()
            .await
            .map_err(|e| SendError::retryable(format!("reading the gateway's answer: {e}")))?;
        if !status.is_success() {
            return Err(self.error_for(status.as_u16(), retry_after, &text));
        }
        let id = match &self.config.response_id_pointer {
            None => message.idempotency_key.clone(),
            Some(pointer) => serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|answer| answer.pointer(pointer).and_then(as_text))
                .ok_or_else(|| {
                    SendError::retryable(format!(
                        "the gateway answered {status} without an id at {pointer}: {}",
                        clip(&text)
                    ))
                })?,
        };
        Ok(ProviderAck {
            provider_message_id: id,
            cost: None,
            artifact: None,
        })
    }

    fn verify(&self, request: &WebhookRequest) -> Result<(), WebhookError> {
        if is_inbound(request) {
            let webhook = self
                .config
                .inbound_webhook
                .as_ref()
                .ok_or(WebhookError::NotSupported)?;
            return verify_hmac(&webhook.secret, &webhook.signature_header, request);
        }
        let webhook = self
            .config
            .status_webhook
            .as_ref()
            .ok_or(WebhookError::NotSupported)?;
        verify_hmac(&webhook.secret, &webhook.signature_header, request)
    }

    fn parse_webhook(
        &self,
        request: &WebhookRequest,
    ) -> Result<(Vec<ProviderEvent>, WebhookReply), WebhookError> {
        if is_inbound(request) {
            return self.inbound_event(request);
        }
        let webhook = self
            .config
            .status_webhook
            .as_ref()
            .ok_or(WebhookError::NotSupported)?;
        let report = body_value(request)?;
        let read = |pointer: &str| report.pointer(pointer).and_then(as_text);
        let id = read(&webhook.id_pointer)
            .ok_or_else(|| WebhookError::Malformed(format!("no id at {}", webhook.id_pointer)))?;
        let status = read(&webhook.status_pointer).ok_or_else(|| {
            WebhookError::Malformed(format!("no status at {}", webhook.status_pointer))
        })?;
        let Some(ours) = webhook.statuses.get(&status) else {
            tracing::debug!(%status, "an SMS gateway status that maps to no event");
            return Ok((vec![], WebhookReply::default()));
        };
        let code = webhook.error_pointer.as_deref().and_then(read);
        let kind = match ours {
            Status::Sent => EventKind::Sent,
            Status::Delivered => EventKind::Delivered,
            Status::Failed | Status::Undelivered => EventKind::Failed {
                code: code.or_else(|| Some(status.clone())),
                message: Some(format!("the gateway reports the message {status}")),
                address_unusable: *ours == Status::Undelivered,
            },
        };
        let event = ProviderEvent {
            dedupe_key: format!("http_sms:{id}:{status}"),
            provider_message_id: Some(id),
            contact_id: None,
            kind,
            at: super::twilio::received_at(request),
        };
        Ok((vec![event], WebhookReply::default()))
    }
}
