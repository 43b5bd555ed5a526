//! WhatsApp through Meta's Cloud API: template messages (what may open a conversation), free
//! text only inside the 24-hour window after the debtor last wrote (the dispatcher decides and
//! sets [`WhatsappContent::free_text`]), statuses and replies by webhook, signed with the app
//! secret (`X-Hub-Signature-256`) after a one-time GET verification (`hub.challenge`).

mod transformers;

use super::http::{clip, retry_after};

use serde::{Deserialize, Serialize};

use recaudo_domain::Secret;

use self::transformers::{ErrorResponse, Notification, SendRequest, SendResponse};
use crate::providers::mask_secret;
use crate::signature;
use crate::{
    Capabilities, ChannelProvider, ConfigError, Content, OutboundMessage, ProviderAck, ProviderEnv,
    ProviderEvent, SendError, WebhookError, WebhookReply, WebhookRequest, WhatsappContent,
};

pub use self::transformers::{ErrorClass, classify};

/// The largest webhook body read: Meta batches at most a few hundred statuses a request.
pub const MAX_WEBHOOK_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The business phone number's id in Meta's WhatsApp Manager (not the number itself).
    pub phone_number_id: String,
    /// A system user's permanent token with `whatsapp_business_messaging`.
    #[serde(serialize_with = "mask_secret")]
    pub access_token: Secret<String>,
    /// The Meta app's secret: the key of `X-Hub-Signature-256`.
    #[serde(serialize_with = "mask_secret")]
    pub app_secret: Secret<String>,
    /// What the tenant typed as "Verify token" when subscribing the webhook in Meta's console.
    #[serde(serialize_with = "mask_secret")]
    pub verify_token: Secret<String>,
    #[serde(default = "default_api_version")]
    pub api_version: String,
    #[serde(default = "default_base_url")]
    pub base_url: String,
}

fn default_api_version() -> String {
    "v21.0".into()
}

fn default_base_url() -> String {
    "https://graph.facebook.com".into()
}

impl Config {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.phone_number_id.is_empty() {
            return Err(ConfigError::missing("phone_number_id"));
        }
        if !self.phone_number_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ConfigError::new(
                "phone_number_id",
                "must be the numeric id Meta shows for the phone number, not the number itself",
            ));
        }
        for (field, secret) in [
            ("access_token", &self.access_token),
            ("app_secret", &self.app_secret),
            ("verify_token", &self.verify_token),
        ] {
            if secret.expose_secret().trim().is_empty() {
                return Err(ConfigError::missing(field));
            }
        }
        let version_ok = self
            .api_version
            .strip_prefix('v')
            .and_then(|rest| rest.split_once('.'))
            .is_some_and(|(major, minor)| {
                !major.is_empty()
                    && !minor.is_empty()
                    && major.bytes().all(|b| b.is_ascii_digit())
                    && minor.bytes().all(|b| b.is_ascii_digit())
            });
        if !version_ok {
            return Err(ConfigError::new(
                "api_version",
                format!("must look like v21.0, not {:?}", self.api_version),
            ));
        }
        match reqwest::Url::parse(&self.base_url) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => Ok(()),
            _ => Err(ConfigError::new(
                "base_url",
                format!("must be an http(s) URL, not {:?}", self.base_url),
            )),
        }
    }
}

pub struct Provider {
    config: Config,
    http: reqwest::Client,
    /// `{base}/{version}/{phone_number_id}/messages`, built once.
    messages_url: String,
}

impl Provider {
    pub fn new(config: Config, env: &ProviderEnv) -> Result<Provider, ConfigError> {
        config.validate()?;
        let messages_url = format!(
            "{}/{}/{}/messages",
            config.base_url.trim_end_matches('/'),
            config.api_version,
            config.phone_number_id
        );
        Ok(Provider {
            config,
            http: env.http.clone(),
            messages_url,
        })
    }

    fn verify_subscription(&self, request: &WebhookRequest) -> Result<(), WebhookError> {
        let token = request
            .query
            .get("hub.verify_token")
            .ok_or_else(|| WebhookError::Unsigned("no hub.verify_token".into()))?;
        if request.query.get("hub.mode").map(String::as_str) != Some("subscribe") {
            return Err(WebhookError::Forged("hub.mode is not subscribe".into()));
        }
        let expected = self.config.verify_token.expose_secret();
        if signature::constant_time_eq(expected.as_bytes(), token.as_bytes()) {
            Ok(())
        } else {
            Err(WebhookError::Forged(
                "hub.verify_token does not match".into(),
            ))
        }
    }

    fn verify_signature(&self, request: &WebhookRequest) -> Result<(), WebhookError> {
        if request.body.len() > MAX_WEBHOOK_BYTES {
            return Err(WebhookError::TooLarge(request.body.len()));
        }
        let header = request
            .header("x-hub-signature-256")
            .ok_or_else(|| WebhookError::Unsigned("no X-Hub-Signature-256".into()))?;
        let hex = header.trim().strip_prefix("sha256=").ok_or_else(|| {
            WebhookError::Forged("X-Hub-Signature-256 does not start with sha256=".into())
        })?;
        let key = self.config.app_secret.expose_secret().as_bytes();
        if signature::verify_sha256_hex(key, &request.body, hex) {
            Ok(())
        } else {
            Err(WebhookError::Forged("X-Hub-Signature-256".into()))
        }
    }
}

/// The recipient as Meta wants it: the digits of the E.164 number, without `+`, spaces or
/// dashes; `None` when what is left is not a plausible number.
fn wa_number(to: &str) -> Option<String> {
    let digits: String = to
        .chars()
        .filter(|c| !matches!(c, '+' | ' ' | '-' | '(' | ')' | '.'))
        .collect();
    let plausible = (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    plausible.then_some(digits)
}

fn whatsapp_content(message: &OutboundMessage) -> Result<&WhatsappContent, SendError> {
    match &message.content {
        Content::Whatsapp(content) => Ok(content),
        other => Err(SendError::permanent(
            "wrong_channel",
            format!(
                "the WhatsApp provider cannot send a {} message",
                other.channel()
            ),
        )),
    }
}

impl ChannelProvider for Provider {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            two_way: true,
            templates_required: true,
            // A text message's body limit; template bodies are Meta's to fill.
            max_length: Some(4096),
            delivery_reports: true,
        }
    }

    async fn send(&self, message: &OutboundMessage) -> Result<ProviderAck, SendError> {
        let content = whatsapp_content(message)?;
        let to = wa_number(&message.to).ok_or_else(|| {
            SendError::bad_address(
                "invalid_number",
                format!("{:?} is not a phone number WhatsApp can reach", message.to),
            )
        })?;
        let response = self
            .http
            .post(&self.messages_url)
            .bearer_auth(self.config.access_token.expose_secret())
            .header("Idempotency-Key", &message.idempotency_key)
            .json(&SendRequest::new(&to, content))
            .send()
            .await
            .map_err(|error| {
                SendError::retryable(format!("WhatsApp Cloud API unreachable: {error}"))
            })?;
        let status = response.status();
        let wait = retry_after(response.headers());
        let text = response.text().await.map_err(|error| {
            SendError::retryable(format!("WhatsApp Cloud API answer cut short: {error}"))
        })?;
        if status.is_success() {
            let id = serde_json::from_str::<SendResponse>(&text)
                .ok()
                .and_then(|answer| answer.messages.into_iter().next())
                .map(|sent| sent.id)
                .filter(|id| !id.is_empty());
            return match id {
                Some(id) => Ok(ProviderAck {
                    provider_message_id: id,
                    cost: None,
                    artifact: None,
                }),
                None => Err(SendError::retryable(format!(
                    "WhatsApp Cloud API answered {status} without a message id: {}",
                    clip(&text)
                ))),
            };
        }
        let graph = serde_json::from_str::<ErrorResponse>(&text).ok();
        if status.as_u16() == 429 || status.is_server_error() || status.as_u16() == 408 {
            let what = match &graph {
                Some(answer) => format!("{} {}", answer.error.code, answer.error.message),
                None => clip(&text),
            };
            return Err(SendError::Retryable {
                message: format!("WhatsApp Cloud API answered {status}: {what}"),
                retry_after: wait,
            });
        }
        match graph {
            Some(answer) => Err(match answer.error.into_send_error() {
                SendError::Retryable { message, .. } => SendError::Retryable {
                    message,
                    retry_after: wait,
                },
                other => other,
            }),
            None => Err(SendError::permanent(
                status.as_u16().to_string(),
                format!("WhatsApp Cloud API answered {status}: {}", clip(&text)),
            )),
        }
    }

    fn verify(&self, request: &WebhookRequest) -> Result<(), WebhookError> {
        if request.method.eq_ignore_ascii_case("GET") {
            self.verify_subscription(request)
        } else if request.method.eq_ignore_ascii_case("POST") {
            self.verify_signature(request)
        } else {
            Err(WebhookError::NotSupported)
        }
    }

    fn parse_webhook(
        &self,
        request: &WebhookRequest,
    ) -> Result<(Vec<ProviderEvent>, WebhookReply), WebhookError> {
        if request.method.eq_ignore_ascii_case("GET") {
            let challenge = request
                .query
                .get("hub.challenge")
                .ok_or_else(|| WebhookError::Malformed("no hub.challenge".into()))?;
            return Ok((
                vec![],
                WebhookReply {
                    content_type: Some("text/plain".into()),
                    body: challenge.clone(),
                },
            ));
        }
        if request.body.len() > MAX_WEBHOOK_BYTES {
            return Err(WebhookError::TooLarge(request.body.len()));
        }
        let notification: Notification = serde_json::from_slice(&request.body)
            .map_err(|error| WebhookError::Malformed(error.to_string()))?;
        if let Some(object) = &notification.object
            && object != "whatsapp_business_account"
        {
            return Err(WebhookError::Malformed(format!(
                "object {object:?} is not whatsapp_business_account"
            )));
        }
        let mut events = vec![];
        for change in notification.entry.iter().flat_map(|entry| &entry.changes) {
            // Other fields (template status, account updates) carry no message events.
            if change
                .field
                .as_deref()
                .is_some_and(|field| field != "messages")
            {
                continue;
            }
            for status in &change.value.statuses {
                events.extend(status.to_event()?);
            }
            for inbound in &change.value.messages {
                events.push(inbound.to_event()?);
            }
        }
        Ok((events, WebhookReply::default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_lose_their_plus_and_separators() {
        assert_eq!(
            wa_number("+57 300-123-4567").as_deref(),
            Some("573001234567")
        );
        assert_eq!(
            wa_number("+5511987654321").as_deref(),
            Some("5511987654321")
        );
        assert_eq!(wa_number("ana@example.com"), None);
        assert_eq!(wa_number("+12"), None);
    }

    #[test]
    fn an_excerpt_cuts_long_answers_on_a_character_boundary() {
        let long = "é".repeat(600);
        let cut = clip(&long);
        assert_eq!(cut.chars().count(), 501);
        assert_eq!(clip("short"), "short");
    }
}
