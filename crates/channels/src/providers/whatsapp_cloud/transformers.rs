//! The WhatsApp Cloud API's wire types (Graph API `/{version}/{phone_number_id}/messages` and
//! the `whatsapp_business_account` webhook) and the one mapping from Meta's statuses and error
//! codes to ours.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{EventKind, ProviderEvent, SendError, WebhookError, WhatsappContent};

// ---------------------------------------------------------------------------------------------
// Sending
// ---------------------------------------------------------------------------------------------

/// The body of `POST /{version}/{phone_number_id}/messages`.
#[derive(Debug, Serialize)]
pub struct SendRequest<'a> {
    pub messaging_product: &'static str,
    pub recipient_type: &'static str,
    pub to: &'a str,
    #[serde(flatten)]
    pub kind: SendKind<'a>,
}

/// A template (what may open a conversation) or free text (only inside the 24-hour window).
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SendKind<'a> {
    Template { template: Template<'a> },
    Text { text: Text<'a> },
}

#[derive(Debug, Serialize)]
pub struct Template<'a> {
    pub name: &'a str,
    pub language: TemplateLanguage<'a>,
    /// Left out when the template takes no parameters: Meta refuses an empty body component.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<Component<'a>>,
}

#[derive(Debug, Serialize)]
pub struct TemplateLanguage<'a> {
    pub code: &'a str,
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Component<'a> {
    Body {
        parameters: Vec<Parameter<'a>>,
    },
    Button {
        sub_type: &'static str,
        index: &'static str,
        parameters: Vec<Parameter<'a>>,
    },
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Parameter<'a> {
    Text { text: &'a str },
}

#[derive(Debug, Serialize)]
pub struct Text<'a> {
    pub body: &'a str,
}

impl<'a> SendRequest<'a> {
    /// The request for `content` to `to` (digits only, as Meta's `wa_id`).
    pub fn new(to: &'a str, content: &'a WhatsappContent) -> SendRequest<'a> {
        let kind = match &content.free_text {
            Some(body) => SendKind::Text {
                text: Text { body },
            },
            None => {
                let mut components = vec![];
                if !content.parameters.is_empty() {
                    components.push(Component::Body {
                        parameters: content
                            .parameters
                            .iter()
                            .map(|text| Parameter::Text { text })
                            .collect(),
                    });
                }
                if let Some(suffix) = &content.button_url_suffix {
                    components.push(Component::Button {
                        sub_type: "url",
                        index: "0",
                        parameters: vec![Parameter::Text { text: suffix }],
                    });
                }
                SendKind::Template {
                    template: Template {
                        name: &content.template,
                        language: TemplateLanguage {
                            code: &content.language_code,
                        },
                        components,
                    },
                }
            }
        };
        SendRequest {
            messaging_product: "whatsapp",
            recipient_type: "individual",
            to,
            kind,
        }
    }
}

/// A 200 answer: `{"messaging_product":"whatsapp","contacts":[…],"messages":[{"id":"wamid…"}]}`.
#[derive(Debug, Deserialize)]
pub struct SendResponse {
    #[serde(default)]
    pub messages: Vec<SentMessage>,
}

#[derive(Debug, Deserialize)]
pub struct SentMessage {
    pub id: String,
}

/// An error answer: `{"error":{"message","type","code","error_subcode","error_data","fbtrace_id"}}`.
#[derive(Debug, Deserialize)]
pub struct ErrorResponse {
    pub error: GraphError,
}

#[derive(Debug, Deserialize)]
pub struct GraphError {
    #[serde(default)]
    pub message: String,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    pub code: i64,
    #[serde(default)]
    pub error_subcode: Option<i64>,
    #[serde(default)]
    pub error_data: Option<ErrorData>,
    #[serde(default)]
    pub fbtrace_id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ErrorData {
    #[serde(default)]
    pub details: Option<String>,
}

/// How a Graph API error code fails a send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// Throttled or a temporary outage: try again later.
    Retryable,
    /// The number cannot receive WhatsApp messages.
    BadAddress,
    /// Will fail the same way again (outside the 24-hour window, template, token, …).
    Permanent,
}

/// The class of Meta's error `code`; `text` (message and details) tells an invalid recipient
/// apart among the generic `100` invalid-parameter errors.
pub fn classify(code: i64, text: &str) -> ErrorClass {
    match code {
        // 1 unknown, 2 service unavailable, 4 / 80007 / 130429 / 131056 rate limits,
        // 131000 "something went wrong", 133004 server temporarily unavailable.
        1 | 2 | 4 | 80007 | 130429 | 131000 | 131056 | 133004 => ErrorClass::Retryable,
        // 131026 undeliverable (no WhatsApp, old version, terms not accepted), 131021 the
        // recipient is the sender itself.
        131021 | 131026 => ErrorClass::BadAddress,
        100 if names_recipient(text) => ErrorClass::BadAddress,
        _ => ErrorClass::Permanent,
    }
}

fn names_recipient(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    // The sender's own phone number id being wrong is the tenant's configuration, not the
    // debtor's number.
    if text.contains("phone number id") || text.contains("phone_number_id") {
        return false;
    }
    [
        "recipient",
        "phone number",
        "parameter to",
        "'to'",
        "\"to\"",
    ]
    .iter()
    .any(|needle| text.contains(needle))
}

impl GraphError {
    /// The send error this error is, with Meta's code and, for the record, its type, subcode
    /// and trace id.
    pub fn into_send_error(self) -> SendError {
        let details = self
            .error_data
            .as_ref()
            .and_then(|data| data.details.clone())
            .unwrap_or_default();
        let mut message = self.message.clone();
        if !details.is_empty() && !message.contains(&details) {
            message = format!("{message}: {details}");
        }
        if let Some(kind) = &self.kind {
            message.push_str(&format!(" [{kind}"));
            if let Some(subcode) = self.error_subcode {
                message.push_str(&format!(" subcode {subcode}"));
            }
            if let Some(trace) = &self.fbtrace_id {
                message.push_str(&format!(" fbtrace_id {trace}"));
            }
            message.push(']');
        }
        let code = self.code.to_string();
        match classify(self.code, &format!("{} {details}", self.message)) {
            ErrorClass::Retryable => SendError::retryable(format!("{code}: {message}")),
            ErrorClass::BadAddress => SendError::bad_address(code, message),
            ErrorClass::Permanent => SendError::permanent(code, message),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Webhooks
// ---------------------------------------------------------------------------------------------

/// A `whatsapp_business_account` notification.
#[derive(Debug, Deserialize)]
pub struct Notification {
    #[serde(default)]
    pub object: Option<String>,
    #[serde(default)]
    pub entry: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
pub struct Entry {
    #[serde(default)]
    pub changes: Vec<Change>,
}

#[derive(Debug, Deserialize)]
pub struct Change {
    #[serde(default)]
    pub field: Option<String>,
    #[serde(default)]
    pub value: ChangeValue,
}

#[derive(Debug, Default, Deserialize)]
pub struct ChangeValue {
    #[serde(default)]
    pub statuses: Vec<Status>,
    #[serde(default)]
    pub messages: Vec<InboundMessage>,
}

#[derive(Debug, Deserialize)]
pub struct Status {
    pub id: String,
    pub status: String,
    pub timestamp: UnixTime,
    #[serde(default)]
    pub errors: Vec<StatusError>,
}

#[derive(Debug, Deserialize)]
pub struct StatusError {
    pub code: i64,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub error_data: Option<ErrorData>,
}

#[derive(Debug, Deserialize)]
pub struct InboundMessage {
    pub from: String,
    pub id: String,
    pub timestamp: UnixTime,
    #[serde(rename = "type")]
    pub kind: String,
    /// The message answered, when the debtor replied to one of ours (always for a button).
    #[serde(default)]
    pub context: Option<Context>,
    #[serde(default)]
    pub text: Option<TextBody>,
    #[serde(default)]
    pub button: Option<Button>,
    #[serde(default)]
    pub interactive: Option<Interactive>,
}

#[derive(Debug, Deserialize)]
pub struct Context {
    #[serde(default)]
    pub id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct TextBody {
    pub body: String,
}

#[derive(Debug, Deserialize)]
pub struct Button {
    pub text: String,
}

#[derive(Debug, Deserialize)]
pub struct Interactive {
    #[serde(default)]
    pub button_reply: Option<Reply>,
    #[serde(default)]
    pub list_reply: Option<Reply>,
}

#[derive(Debug, Deserialize)]
pub struct Reply {
    pub title: String,
}

/// Meta's Unix-seconds timestamp, a string in its payloads (a number is taken too).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum UnixTime {
    Text(String),
    Number(i64),
}

impl UnixTime {
    pub fn to_utc(&self) -> Result<DateTime<Utc>, WebhookError> {
        let seconds = match self {
            UnixTime::Text(text) => text.trim().parse::<i64>().map_err(|_| {
                WebhookError::Malformed(format!("timestamp {text:?} is not Unix seconds"))
            })?,
            UnixTime::Number(seconds) => *seconds,
        };
        DateTime::from_timestamp(seconds, 0)
            .ok_or_else(|| WebhookError::Malformed(format!("timestamp {seconds} is out of range")))
    }
}

/// Whether a failed message's error code blames the number.
fn address_unusable(code: i64) -> bool {
    classify(code, "") == ErrorClass::BadAddress
}

impl Status {
    /// Our event for this status; `None` for statuses we do not track (`deleted`, `warning`,
    /// `pending`, and any Meta adds later).
    pub fn to_event(&self) -> Result<Option<ProviderEvent>, WebhookError> {
        let kind = match self.status.as_str() {
            "sent" => EventKind::Sent,
            "delivered" => EventKind::Delivered,
            "read" => EventKind::Opened,
            "failed" => {
                let error = self.errors.first();
                EventKind::Failed {
                    code: error.map(|e| e.code.to_string()),
                    message: error.and_then(|e| {
                        e.error_data
                            .as_ref()
                            .and_then(|d| d.details.clone())
                            .or_else(|| e.message.clone())
                            .or_else(|| e.title.clone())
                    }),
                    address_unusable: error.is_some_and(|e| address_unusable(e.code)),
                }
            }
            _ => return Ok(None),
        };
        Ok(Some(ProviderEvent {
            provider_message_id: Some(self.id.clone()),
            contact_id: None,
            at: self.timestamp.to_utc()?,
            dedupe_key: format!("{}:{}", self.id, self.status),
            kind,
        }))
    }
}

impl InboundMessage {
    /// A message from the debtor: a reply. The event names the message it answers when Meta
    /// says (a button's context); its key is the inbound message's own id.
    pub fn to_event(&self) -> Result<ProviderEvent, WebhookError> {
        let text = match self.kind.as_str() {
            "text" => self.text.as_ref().map(|t| t.body.clone()),
            "button" => self.button.as_ref().map(|b| b.text.clone()),
            // A button or list reply reads as its title; another kind (a Flow's answer) is
            // still the debtor answering, shown by its kind.
            "interactive" => Some(
                self.interactive
                    .as_ref()
                    .and_then(|i| i.button_reply.as_ref().or(i.list_reply.as_ref()))
                    .map_or_else(|| "[interactive]".to_string(), |r| r.title.clone()),
            ),
            // An image, a voice note, a location, a reaction: still the debtor answering; the
            // timeline shows what kind it was.
            other => Some(format!("[{other}]")),
        }
        .ok_or_else(|| {
            WebhookError::Malformed(format!(
                "message {} of type {} has no {} field",
                self.id, self.kind, self.kind
            ))
        })?;
        // Meta's `from` is the wa_id, digits without the `+` our contact points are stored with.
        let from = if !self.from.is_empty() && self.from.bytes().all(|b| b.is_ascii_digit()) {
            format!("+{}", self.from)
        } else {
            self.from.clone()
        };
        Ok(ProviderEvent {
            provider_message_id: self.context.as_ref().and_then(|c| c.id.clone()),
            contact_id: None,
            at: self.timestamp.to_utc()?,
            dedupe_key: self.id.clone(),
            kind: EventKind::replied(from, &text, None),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_map_to_their_class() {
        for (code, text, class) in [
            (130429, "", ErrorClass::Retryable),
            (131056, "", ErrorClass::Retryable),
            (80007, "", ErrorClass::Retryable),
            (131026, "", ErrorClass::BadAddress),
            (131021, "", ErrorClass::BadAddress),
            (
                100,
                "(#100) Invalid parameter: recipient phone number",
                ErrorClass::BadAddress,
            ),
            (
                100,
                "(#100) Invalid parameter: template",
                ErrorClass::Permanent,
            ),
            (
                100,
                "(#100) Invalid parameter: phone number id 123 does not exist",
                ErrorClass::Permanent,
            ),
            (131047, "", ErrorClass::Permanent),
            (132000, "", ErrorClass::Permanent),
            (132001, "", ErrorClass::Permanent),
            (190, "", ErrorClass::Permanent),
        ] {
            assert_eq!(classify(code, text), class, "code {code} {text:?}");
        }
    }

    #[test]
    fn timestamps_are_unix_seconds_as_text_or_number() {
        let at = UnixTime::Text("1700000000".into()).to_utc();
        assert_eq!(at.map(|t| t.timestamp()), Ok(1_700_000_000));
        assert_eq!(
            UnixTime::Number(1_700_000_000)
                .to_utc()
                .map(|t| t.timestamp()),
            Ok(1_700_000_000)
        );
        assert!(matches!(
            UnixTime::Text("yesterday".into()).to_utc(),
            Err(WebhookError::Malformed(_))
        ));
        assert!(matches!(
            UnixTime::Number(i64::MAX).to_utc(),
            Err(WebhookError::Malformed(_))
        ));
    }
}
