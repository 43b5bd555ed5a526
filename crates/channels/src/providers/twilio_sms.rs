//! Twilio Programmable Messaging: SMS out through `POST /2010-04-01/Accounts/{Sid}/Messages.json`,
//! status callbacks and inbound SMS back through form webhooks signed with
//! `X-Twilio-Signature`.

use serde::{Deserialize, Serialize};

use recaudo_domain::Secret;

use super::mask_secret;
use super::twilio::{self, Form};
use crate::{
    Capabilities, ChannelProvider, ConfigError, Content, EventKind, OutboundMessage, ProviderAck,
    ProviderEnv, ProviderEvent, SendError, WebhookError, WebhookReply, WebhookRequest,
};

/// Twilio's codes for a number that cannot take SMS: invalid `To` (21211), not a mobile number
/// (21614), not reachable by SMS (21612), not a valid number (21217), and a recipient who
/// replied STOP (21610: the address is unusable on this channel until they opt back in).
const BAD_ADDRESS_CODES: &[u64] = &[21211, 21217, 21610, 21612, 21614];

/// Delivery error codes that blame the handset: unreachable (30003), unknown (30005), a
/// landline or an unreachable carrier (30006).
const UNUSABLE_ADDRESS_ERRORS: &[&str] = &["30003", "30005", "30006"];

/// The words that ask to stop receiving messages, in the languages we speak (Twilio's own
/// list, plus `SAIR` and `BAJA`).
const OPT_OUT_WORDS: &[&str] = &[
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "SAIR",
    "BAJA",
];

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The account (`AC…`).
    pub account_sid: String,
    #[serde(serialize_with = "mask_secret")]
    pub auth_token: Secret<String>,
    /// The sending number (E.164); or else `messaging_service_sid`.
    #[serde(default)]
    pub from: Option<String>,
    /// A Messaging Service (`MG…`) that picks the sender.
    #[serde(default)]
    pub messaging_service_sid: Option<String>,
    #[serde(default = "twilio::default_base_url")]
    pub base_url: String,
}

impl Config {
    pub fn validate(&self) -> Result<(), ConfigError> {
        twilio::validate_account(&self.account_sid, &self.auth_token, &self.base_url)?;
        match (&self.from, &self.messaging_service_sid) {
            (None, None) => Err(ConfigError::new(
                "from",
                "is required unless messaging_service_sid is given",
            )),
            (Some(_), Some(_)) => Err(ConfigError::new(
                "messaging_service_sid",
                "give either from or messaging_service_sid, not both",
            )),
            (Some(from), None) if !twilio::is_e164(from) => Err(ConfigError::new(
                "from",
                "must be an E.164 number such as +5511987654321",
            )),
            (None, Some(sid)) if !twilio::is_sid(sid, "MG") => Err(ConfigError::new(
                "messaging_service_sid",
                "must be MG followed by 32 hex digits",
            )),
            _ => Ok(()),
        }
    }
}

pub struct Provider {
    config: Config,
    client: twilio::Client,
}

impl Provider {
    pub fn new(config: Config, env: &ProviderEnv) -> Result<Provider, ConfigError> {
        config.validate()?;
        let client = twilio::Client {
            http: env.http.clone(),
            base_url: config.base_url.clone(),
            account_sid: config.account_sid.clone(),
            auth_token: config.auth_token.clone(),
        };
        Ok(Provider { config, client })
    }

    /// A delivery report: `MessageSid`, `MessageStatus`, `ErrorCode`.
    fn status_event(form: &Form, status: &str) -> Result<Option<ProviderEvent>, WebhookError> {
        let sid = form.require("MessageSid")?;
        let kind = match status {
            "accepted" | "queued" | "sending" | "scheduled" | "receiving" => return Ok(None),
            "sent" => EventKind::Sent,
            "delivered" => EventKind::Delivered,
            "read" => EventKind::Opened,
            "undelivered" | "failed" | "canceled" => {
                let code = form.get("ErrorCode").map(str::to_string);
                EventKind::Failed {
                    address_unusable: code
                        .as_deref()
                        .is_some_and(|code| UNUSABLE_ADDRESS_ERRORS.contains(&code)),
                    message: form
                        .get("ErrorMessage")
                        .map(str::to_string)
                        .or_else(|| Some(format!("Twilio reports the message {status}"))),
                    code,
                }
            }
            // A status Twilio adds later is news to us, not a broken request: Twilio would
            // retry a refusal for nothing.
            other => {
                tracing::warn!(status = other, sid, "a Twilio message status we do not map");
                return Ok(None);
            }
        };
        Ok(Some(ProviderEvent {
            provider_message_id: Some(sid.to_string()),
            contact_id: None,
            dedupe_key: format!("twilio:{sid}:{status}"),
            kind,
            at: form.at(),
        }))
    }

    /// An inbound SMS: `MessageSid`, `From`, `Body`. A bare opt-out word (or Twilio's
    /// `OptOutType=STOP`) is also an unsubscribe.
    fn inbound_events(form: &Form) -> Result<Vec<ProviderEvent>, WebhookError> {
        let sid = form.require("MessageSid")?;
        let from = form.require("From")?;
        let text = form.get("Body").unwrap_or_default();
        let at = form.at();
        let mut events = vec![ProviderEvent {
            provider_message_id: Some(sid.to_string()),
            contact_id: None,
            dedupe_key: format!("twilio:{sid}:replied"),
            kind: EventKind::replied(from, text, None),
            at,
        }];
        let word = text.trim().trim_end_matches(['.', '!']).to_uppercase();
        let opted_out = form
            .get("OptOutType")
            .is_some_and(|kind| kind.eq_ignore_ascii_case("STOP"))
            || OPT_OUT_WORDS.contains(&word.as_str());
        if opted_out {
            events.push(ProviderEvent {
                provider_message_id: Some(sid.to_string()),
                contact_id: None,
                dedupe_key: format!("twilio:{sid}:opted_out"),
                kind: EventKind::Unsubscribed {
                    address: Some(from.to_string()),
                },
                at,
            });
        }
        Ok(events)
    }
}

impl ChannelProvider for Provider {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            two_way: true,
            templates_required: false,
            max_length: Some(1600),
            delivery_reports: true,
        }
    }

    async fn send(&self, message: &OutboundMessage) -> Result<ProviderAck, SendError> {
        let Content::Sms(sms) = &message.content else {
            return Err(SendError::permanent(
                "wrong_content",
                format!(
                    "Twilio SMS sends SMS, not {} content",
                    message.content.channel()
                ),
            ));
        };
        if !twilio::is_e164(&message.to) {
            return Err(SendError::bad_address(
                "not_e164",
                format!("{:?} is not an E.164 number", message.to),
            ));
        }
        let mut form: Vec<(&str, &str)> = vec![("To", &message.to)];
        match (&self.config.from, &self.config.messaging_service_sid) {
            (_, Some(service)) => form.push(("MessagingServiceSid", service)),
            (Some(from), None) => form.push(("From", from)),
            (None, None) => return Err(SendError::permanent("config", "no sender configured")),
        }
        form.push(("Body", &sms.body));
        if let Some(callback) = &message.status_callback {
            form.push(("StatusCallback", callback));
        }
        let created = self
            .client
            .create(
                "Messages",
                &form,
                &message.idempotency_key,
                BAD_ADDRESS_CODES,
            )
            .await?;
        Ok(ProviderAck {
            cost: created.cost(),
            provider_message_id: created.sid,
            artifact: None,
        })
    }

    fn verify(&self, request: &WebhookRequest) -> Result<(), WebhookError> {
        twilio::verify(&self.config.auth_token, request)
    }

    fn parse_webhook(
        &self,
        request: &WebhookRequest,
    ) -> Result<(Vec<ProviderEvent>, WebhookReply), WebhookError> {
        let form = Form::of(request)?;
        // An inbound message says `SmsStatus=received`; a status callback carries the status
        // of one of ours.
        let status = form.get("MessageStatus").or_else(|| form.get("SmsStatus"));
        let events = match status {
            Some("received") => Self::inbound_events(&form)?,
            Some(status) => Self::status_event(&form, status)?.into_iter().collect(),
            None if form.get("Body").is_some() || form.get("From").is_some() => {
                Self::inbound_events(&form)?
            }
            None => {
                return Err(WebhookError::Malformed(
                    "neither a status callback (MessageStatus) nor an inbound message (From, Body)"
                        .into(),
                ));
            }
        };
        Ok((events, twilio::empty_twiml()))
    }
}
