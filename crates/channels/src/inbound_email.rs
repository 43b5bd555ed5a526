//! A debtor's email reply, as received: parsed from the raw message (the built-in SMTP
//! receiver, [`crate::smtp_receiver`]) or from a mail provider's inbound-parse JSON (the SMTP
//! account's `/inbound` webhook), and turned into one `Replied` event.
//!
//! The reply finds its contact by the token of the address it was sent to (`r+TOKEN@…`, the
//! `Reply-To` of our message, [`crate::links::LinkSigner::reply_token`]) and, failing that, by
//! `In-Reply-To` (our `Message-ID`). Its text is kept whole, quoted history included: the engine
//! cuts the history and the signature before reading it (`recaudo_intents::normalize::strip_email`).
//!
//! MIME is read by `mail-parser` (multipart, quoted-printable and base64, charsets, RFC 2047
//! encoded words); the rest is ours: which part is the text, an HTML-only body as lines of text,
//! and the checks that turn a stranger's bytes into a clear error, never a panic.

mod html;

use chrono::{DateTime, Utc};
use mail_parser::{Address, HeaderValue, MessageParser, PartType};
use sha2::{Digest, Sha256};

use crate::providers::smtp::normalize_message_id;
use crate::{EventKind, ProviderEvent, WebhookError};

pub use html::html_to_text;

/// The longest text a reply may have (its decoded body, quoted history included).
pub const MAX_TEXT_BYTES: usize = 64 * 1024;

/// The largest raw message read: a reply with attachments is larger than its text, but not
/// this large.
pub const MAX_RAW_BYTES: usize = 16 * 1024 * 1024;

/// The longest reply token read from an address (ours are 46 characters).
const MAX_TOKEN_LEN: usize = 64;

/// A received email, reduced to what the engine reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundEmail {
    /// The sender's address alone, lower-cased (`ana.gomez@example.net`).
    pub from: String,
    /// The recipients: the envelope's when known (the SMTP receiver's `RCPT TO`, the provider's
    /// original recipient), otherwise the `To` and `Cc` headers; addresses alone, lower-cased.
    pub to: Vec<String>,
    /// Decoded (RFC 2047).
    pub subject: Option<String>,
    /// The body as text: the `text/plain` part, or the HTML part as lines of text when there is
    /// no plain one; `\n` line breaks, trimmed.
    pub text: String,
    /// The message's own `Message-ID`, as `<id@domain>`.
    pub message_id: Option<String>,
    /// The message it answers, as `<id@domain>`: `In-Reply-To`, or the last of `References`.
    pub in_reply_to: Option<String>,
    /// The token of the first recipient address of the form `r+TOKEN@domain` (lower-cased):
    /// the envelope's recipients first, then `To`, then `Cc`.
    pub reply_token: Option<String>,
    /// An automatic message (RFC 3834 `Auto-Submitted`, an out-of-office or a delivery report),
    /// not something the debtor wrote: it gets no answer, or two robots would talk forever.
    pub automatic: bool,
    /// SHA-256 (hex) of the message as received: its identity when it has no `Message-ID`.
    pub digest: String,
}

impl InboundEmail {
    /// Reads a raw RFC 5322 message. `envelope_to` are the SMTP envelope's recipients (empty
    /// when unknown).
    pub fn from_mime(raw: &[u8], envelope_to: &[String]) -> Result<InboundEmail, WebhookError> {
        if raw.len() > MAX_RAW_BYTES {
            return Err(WebhookError::TooLarge(raw.len()));
        }
        if raw.iter().all(u8::is_ascii_whitespace) {
            return Err(WebhookError::Malformed("the message is empty".into()));
        }
        let head_end = header_end(raw);
        if raw[..head_end].contains(&0) {
            return Err(WebhookError::Malformed(
                "the message's header holds binary data (a NUL byte)".into(),
            ));
        }
        let message = MessageParser::default().parse(raw).ok_or_else(|| {
            WebhookError::Malformed("the message is not an RFC 5322 message".into())
        })?;
        let from = message
            .from()
            .and_then(Address::first)
            .and_then(|a| a.address())
            .ok_or_else(|| WebhookError::Malformed("From: the message names no sender".into()))?;
        let from = plain_address(from)
            .ok_or_else(|| WebhookError::Malformed(format!("From: {from:?} is not an address")))?;

        let header_to: Vec<String> = addresses(message.to());
        let header_cc: Vec<String> = addresses(message.cc());
        let text = match message.text_part(0).map(|part| &part.body) {
            Some(PartType::Text(text)) if !text.trim().is_empty() => text.to_string(),
            Some(PartType::Html(html)) => html_to_text(html),
            _ => match message.html_part(0).map(|part| &part.body) {
                Some(PartType::Html(html)) => html_to_text(html),
                Some(PartType::Text(text)) => text.to_string(),
                _ => {
                    return Err(WebhookError::Malformed(
                        "the message has no text or HTML part".into(),
                    ));
                }
            },
        };
        let in_reply_to = first_id(message.in_reply_to()).or_else(|| last_id(message.references()));
        let content_type = message
            .header_raw("Content-Type")
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let automatic = is_automatic(
            message.header_raw("Auto-Submitted"),
            message.header_raw("Precedence"),
            message.header_raw("X-Autoreply").is_some()
                || message.header_raw("X-Autorespond").is_some(),
        ) || content_type.starts_with("multipart/report");
        InboundEmail::assemble(Fields {
            from,
            envelope_to: envelope_to.to_vec(),
            header_to,
            header_cc,
            subject: message.subject().map(str::to_string),
            text,
            message_id: message.message_id().map(str::to_string),
            in_reply_to,
            automatic,
            digest: hex::encode(Sha256::digest(raw)),
        })
    }

    /// Checks and normalizes what a reader found (the MIME parser here, a provider's JSON).
    pub(crate) fn assemble(fields: Fields) -> Result<InboundEmail, WebhookError> {
        let text = normalize_text(&fields.text)?;
        let envelope: Vec<String> = fields
            .envelope_to
            .iter()
            .filter_map(|a| plain_address(a))
            .collect();
        let reply_token = envelope
            .iter()
            .chain(&fields.header_to)
            .chain(&fields.header_cc)
            .find_map(|a| reply_token_of(a));
        let to = if envelope.is_empty() {
            fields
                .header_to
                .iter()
                .chain(&fields.header_cc)
                .filter_map(|a| plain_address(a))
                .collect()
        } else {
            envelope
        };
        let subject = fields
            .subject
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty());
        Ok(InboundEmail {
            from: fields.from,
            to,
            subject,
            text,
            message_id: fields.message_id.as_deref().and_then(message_id),
            in_reply_to: fields.in_reply_to.as_deref().and_then(message_id),
            reply_token,
            automatic: fields.automatic,
            digest: fields.digest,
        })
    }

    /// The reply as an event: `Replied` from the sender with the text and the reply token,
    /// about our message it answers (`In-Reply-To`), deduplicated by its `Message-ID` (or the
    /// digest of the message when it has none). An `automatic` message is no reply: the
    /// receiver and the webhook drop it instead of calling this.
    pub fn to_event(&self, at: DateTime<Utc>) -> ProviderEvent {
        let dedupe_key = match &self.message_id {
            Some(id) => format!("email:{id}"),
            None => format!("email:sha256:{}", self.digest),
        };
        ProviderEvent {
            provider_message_id: self.in_reply_to.clone(),
            contact_id: None,
            kind: EventKind::Replied {
                from: self.from.clone(),
                text: self.text.clone(),
                reply_token: self.reply_token.clone(),
            },
            at,
            dedupe_key,
        }
    }
}

/// What [`InboundEmail::assemble`] checks: addresses as found (display names allowed).
pub(crate) struct Fields {
    /// Already a plain lower-cased address.
    pub from: String,
    pub envelope_to: Vec<String>,
    pub header_to: Vec<String>,
    pub header_cc: Vec<String>,
    pub subject: Option<String>,
    pub text: String,
    pub message_id: Option<String>,
    pub in_reply_to: Option<String>,
    pub automatic: bool,
    pub digest: String,
}

/// The reply token of an address `r+TOKEN@domain` (any case, with or without a display name
/// and angle brackets), lower-cased; `None` for any other address.
pub fn reply_token_of(address: &str) -> Option<String> {
    let address = plain_address(address)?;
    let (local, _) = address.rsplit_once('@')?;
    let token = local.strip_prefix("r+")?;
    let valid = !token.is_empty()
        && token.len() <= MAX_TOKEN_LEN
        && token.bytes().all(|b| b.is_ascii_alphanumeric());
    valid.then(|| token.to_string())
}

/// `Ana <Ana.Gomez@Example.net>`, `<ana.gomez@example.net>` or `ana.gomez@example.net` →
/// `ana.gomez@example.net`; `None` when what is left is not `local@domain`.
pub fn plain_address(text: &str) -> Option<String> {
    let text = text.trim();
    let inner = match text.rfind('<') {
        Some(open) => {
            let rest = &text[open + 1..];
            &rest[..rest.find('>')?]
        }
        None => text,
    };
    let address = inner.trim().trim_start_matches("mailto:").trim();
    let (local, domain) = address.rsplit_once('@')?;
    let valid = !local.is_empty()
        && !domain.is_empty()
        && address.len() <= 254
        && !address
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';'))
        && !domain.contains('@');
    valid.then(|| address.to_lowercase())
}

/// Every address of a header (lists and groups), plain and lower-cased.
fn addresses(header: Option<&Address<'_>>) -> Vec<String> {
    header
        .map(|list| {
            list.iter()
                .filter_map(|a| a.address())
                .filter_map(plain_address)
                .collect()
        })
        .unwrap_or_default()
}

fn first_id(value: &HeaderValue<'_>) -> Option<String> {
    match value {
        HeaderValue::Text(id) => Some(id.to_string()),
        HeaderValue::TextList(ids) => ids.first().map(|id| id.to_string()),
        _ => None,
    }
}

fn last_id(value: &HeaderValue<'_>) -> Option<String> {
    match value {
        HeaderValue::Text(id) => Some(id.to_string()),
        HeaderValue::TextList(ids) => ids.last().map(|id| id.to_string()),
        _ => None,
    }
}

/// A message id as `<id>`, or `None` when it is blank or not printable ASCII.
fn message_id(raw: &str) -> Option<String> {
    let id = normalize_message_id(raw);
    let inner = &id[1..id.len() - 1];
    let valid = !inner.is_empty()
        && inner.len() <= 998
        && inner
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>');
    valid.then_some(id)
}

/// RFC 3834: `Auto-Submitted` other than `no`; and what autoresponders write instead
/// (`Precedence: auto_reply|bulk|junk`, `X-Autoreply`, `X-Autorespond`).
pub(crate) fn is_automatic(
    auto_submitted: Option<&str>,
    precedence: Option<&str>,
    autoreply_header: bool,
) -> bool {
    let auto_submitted = auto_submitted
        .map(|v| v.trim().to_ascii_lowercase())
        .is_some_and(|v| {
            // The keyword, before any parameter or comment (`auto-replied; (vacation)`).
            let keyword = v
                .split(|c: char| c == ';' || c == '(' || c.is_whitespace())
                .next()
                .unwrap_or_default();
            !keyword.is_empty() && keyword != "no"
        });
    let precedence = precedence
        .map(|v| v.trim().to_ascii_lowercase())
        .is_some_and(|v| matches!(v.as_str(), "auto_reply" | "bulk" | "junk"));
    auto_submitted || precedence || autoreply_header
}

/// `\n` line breaks, no byte-order mark, trailing spaces and blank edges trimmed; refused when
/// empty, over [`MAX_TEXT_BYTES`], or binary.
fn normalize_text(text: &str) -> Result<String, WebhookError> {
    if text.len() > 4 * MAX_TEXT_BYTES {
        // Larger than any text it could trim down to: not worth normalizing.
        return Err(WebhookError::TooLarge(text.len()));
    }
    let text = text.trim_start_matches('\u{feff}').replace("\r\n", "\n");
    let lines: Vec<&str> = text.split('\n').map(str::trim_end).collect();
    let text = lines.join("\n").trim_matches('\n').to_string();
    if text.trim().is_empty() {
        return Err(WebhookError::Malformed(
            "the message's text is empty".into(),
        ));
    }
    if text.len() > MAX_TEXT_BYTES {
        return Err(WebhookError::TooLarge(text.len()));
    }
    let controls = text
        .chars()
        .filter(|&c| c.is_control() && !matches!(c, '\n' | '\t' | '\r' | '\x0c'))
        .count();
    let replaced = text.chars().filter(|&c| c == '\u{fffd}').count();
    let chars = text.chars().count();
    if text.contains('\0') || controls * 20 > chars || replaced * 4 > chars {
        return Err(WebhookError::Malformed(
            "the message's text is binary data, not text".into(),
        ));
    }
    Ok(text)
}

/// Where the header ends: after the first empty line, or the whole message.
fn header_end(raw: &[u8]) -> usize {
    let crlf = raw.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4);
    let lf = raw.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => a.min(b),
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => raw.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_tokens_are_read_from_any_form_of_the_address() {
        let token = "01kbm3x5x7a8b9c0d1e2f3g4h5abcdef0123456789abcd";
        for address in [
            format!("r+{token}@reply.acueducto.example"),
            format!("R+{}@REPLY.ACUEDUCTO.EXAMPLE", token.to_ascii_uppercase()),
            format!("<r+{token}@reply.acueducto.example>"),
            format!("\"Acueducto, cobranza\" <r+{token}@reply.acueducto.example>"),
            format!("  Acueducto <R+{token}@reply.acueducto.example>  "),
        ] {
            assert_eq!(
                reply_token_of(&address).as_deref(),
                Some(token),
                "{address}"
            );
        }
        for address in [
            "ana@example.net",
            "r+@reply.example",
            "r+abc-def@reply.example",
            "rr+abc@reply.example",
            "r+abc",
            "<r+abc@>",
            "",
            "r+é@x.example",
        ] {
            assert_eq!(reply_token_of(address), None, "{address}");
        }
        let long = format!("r+{}@x.example", "a".repeat(65));
        assert_eq!(reply_token_of(&long), None);
    }

    #[test]
    fn texts_are_normalized_or_refused() {
        assert_eq!(
            normalize_text("\u{feff}\r\n  Hola  \r\nchau \r\n\r\n").as_deref(),
            Ok("  Hola\nchau")
        );
        assert!(matches!(
            normalize_text(" \n\t"),
            Err(WebhookError::Malformed(m)) if m.contains("empty")
        ));
        assert!(matches!(
            normalize_text(&"a".repeat(MAX_TEXT_BYTES + 1)),
            Err(WebhookError::TooLarge(n)) if n == MAX_TEXT_BYTES + 1
        ));
        assert!(matches!(
            normalize_text("PK\u{3}\u{4}\u{14}\u{0}\u{6}\u{0}"),
            Err(WebhookError::Malformed(m)) if m.contains("binary")
        ));
    }

    #[test]
    fn automatic_messages_are_recognized() {
        assert!(is_automatic(Some("auto-replied"), None, false));
        assert!(!is_automatic(Some("no"), None, false));
        assert!(is_automatic(None, Some("bulk"), false));
        assert!(!is_automatic(None, Some("first-class"), false));
        assert!(is_automatic(None, None, true));
        assert!(!is_automatic(None, None, false));
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_parse_or_fail_without_panicking(
            raw in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2000),
        ) {
            let _ = InboundEmail::from_mime(&raw, &[]);
        }

        #[test]
        fn header_like_bytes_parse_or_fail_without_panicking(
            lines in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just("From: =?iso-8859-1?q?Jos=E9?= <r+Ab1@x.example>".to_string()),
                    proptest::strategy::Just("Content-Type: multipart/mixed; boundary=b".to_string()),
                    proptest::strategy::Just("Content-Type: text/html; charset=windows-1252".to_string()),
                    proptest::strategy::Just("Content-Transfer-Encoding: base64".to_string()),
                    proptest::strategy::Just("Content-Transfer-Encoding: quoted-printable".to_string()),
                    proptest::strategy::Just("--b".to_string()),
                    proptest::strategy::Just("--b--".to_string()),
                    proptest::strategy::Just(String::new()),
                    "[ -~]{0,40}",
                    ".{0,20}",
                ],
                0..30,
            ),
            envelope in proptest::collection::vec("[ -~]{0,30}", 0..3),
        ) {
            let raw = lines.join("\r\n");
            if let Ok(email) = InboundEmail::from_mime(raw.as_bytes(), &envelope) {
                proptest::prop_assert!(!email.text.trim().is_empty());
                proptest::prop_assert!(email.text.len() <= MAX_TEXT_BYTES);
                proptest::prop_assert_eq!(email.from.to_lowercase(), email.from.clone());
            }
        }

        #[test]
        fn any_address_gives_a_token_or_none_without_panicking(address in ".{0,80}") {
            if let Some(token) = reply_token_of(&address) {
                proptest::prop_assert!(token.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
            }
        }
    }
}
