//! Our side of every provider: the message that goes out, the provider's acknowledgement, and
//! what it tells us later (delivered, opened, replied, …). Providers map their wire formats to
//! and from these types and nothing else crosses the crate's boundary.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use recaudo_domain::portfolio::{Channel, Language, PostalAddress};
use recaudo_domain::{ContactId, Money};

/// One message ready to go: rendered, addressed, keyed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboundMessage {
    pub contact_id: ContactId,
    /// The contact's idempotency key: the same key on a re-send after a crash, so the provider
    /// (or the deterministic `Message-ID`) can tell it is the same message.
    pub idempotency_key: String,
    pub channel: Channel,
    /// The address: an email address, an E.164 phone number, or the formatted postal address.
    pub to: String,
    /// The structured postal address of a letter.
    pub postal: Option<PostalAddress>,
    pub recipient_name: String,
    pub language: Language,
    /// The debtor's locale tag for the provider (`es-CO`, `pt-BR`, `en-US`).
    pub locale: String,
    /// The tenant (sender) as the debtor knows it.
    pub sender_name: String,
    pub content: Content,
    /// Where the provider reports statuses for this message (Twilio's `StatusCallback`), when
    /// the installation has a public URL.
    pub status_callback: Option<String>,
    /// Where a voice call posts the digits the debtor pressed.
    pub gather_callback: Option<String>,
    /// The signed token an email's reply address carries (`r+TOKEN@reply domain`), so a reply
    /// finds its contact ([`crate::links::LinkSigner::reply_token`]).
    pub reply_token: Option<String>,
    /// The debtor's segment (the sandbox's rates may differ by it).
    pub segment: Option<String>,
    /// When the dispatcher sends it, on the injected clock.
    pub now: DateTime<Utc>,
}

/// The rendered message, per channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Content {
    Email(EmailContent),
    Sms(SmsContent),
    Whatsapp(WhatsappContent),
    Voice(VoiceContent),
    Letter(LetterContent),
}

impl Content {
    pub fn channel(&self) -> Channel {
        match self {
            Content::Email(_) => Channel::Email,
            Content::Sms(_) => Channel::Sms,
            Content::Whatsapp(_) => Channel::Whatsapp,
            Content::Voice(_) => Channel::Voice,
            Content::Letter(_) => Channel::Letter,
        }
    }

    /// The text as the debtor reads (or hears) it, for the outbox view and the sandbox.
    pub fn preview(&self) -> &str {
        match self {
            Content::Email(email) => &email.text,
            Content::Sms(sms) => &sms.body,
            Content::Whatsapp(wa) => &wa.preview,
            Content::Voice(voice) => &voice.script,
            Content::Letter(letter) => &letter.body,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailContent {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The signed one-click unsubscribe URL (`List-Unsubscribe`, RFC 8058).
    pub unsubscribe_url: Option<String>,
}

/// How an SMS is encoded: GSM 03.38 (160 characters, 153 a segment when split) or UCS-2 (70,
/// 67) when a character is outside GSM-7.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmsEncoding {
    Gsm7,
    Ucs2,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsContent {
    pub body: String,
    pub encoding: SmsEncoding,
    pub segments: u32,
}

/// A WhatsApp template message: the name and language Meta approved, the body parameters in
/// order, and the text as the debtor sees it once Meta fills them in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WhatsappContent {
    pub template: String,
    /// Meta's language code (`es`, `pt_BR`, `en_US`).
    pub language_code: String,
    pub parameters: Vec<String>,
    /// A button's URL suffix (the signed portal token), when the template has a URL button.
    pub button_url_suffix: Option<String>,
    pub preview: String,
    /// Free text instead of a template, allowed only inside the 24-hour window after the
    /// debtor's last message.
    pub free_text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoiceContent {
    /// What the call says, in the debtor's language.
    pub script: String,
    /// The `<Say language="…">` tag (`es-MX`, `pt-BR`, `en-US`).
    pub say_language: String,
    /// The menu read after the script (1: the payment link by SMS, 2: an agent, 3: a promise
    /// to pay on a date).
    pub menu: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LetterContent {
    pub subject: String,
    /// Paragraphs separated by blank lines.
    pub body: String,
    /// The sender's block (tenant name and address lines).
    pub sender: Vec<String>,
    /// The date line, in the debtor's locale.
    pub date_line: String,
}

/// The provider took the message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderAck {
    /// The provider's id for the message (Twilio's `SM…`, Meta's `wamid…`, the `Message-ID`).
    pub provider_message_id: String,
    /// What the provider said it costs, when it said so; otherwise the account's configured cost
    /// is recorded.
    pub cost: Option<Money>,
    /// A file the provider wrote (a letter's PDF), for the record.
    pub artifact: Option<String>,
}

/// What a provider tells us about a message after it was sent (or about the debtor).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderEvent {
    /// The provider's id of the message the event is about, when it names one.
    pub provider_message_id: Option<String>,
    /// Our contact id, when the event carries it (sandbox, signed tracking links).
    pub contact_id: Option<ContactId>,
    pub kind: EventKind,
    pub at: DateTime<Utc>,
    /// A stable id of the event for replay detection (the provider's event id, or a hash of
    /// what identifies it).
    pub dedupe_key: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    /// Accepted by the network (Twilio `sent`, Meta `sent`).
    Sent,
    Delivered,
    Opened,
    Clicked {
        url: Option<String>,
    },
    /// The message will not arrive: `hard` blames the address.
    Bounced {
        hard: bool,
        code: Option<String>,
        message: Option<String>,
    },
    Failed {
        code: Option<String>,
        message: Option<String>,
        address_unusable: bool,
    },
    /// The debtor wrote back (an inbound SMS, a WhatsApp message, an email reply).
    Replied {
        /// The sender as the provider names it (a phone number, an email address).
        from: String,
        /// What they wrote, as received (an email's quoted history included: the engine
        /// leaves it out before reading).
        text: String,
        /// The token of an email's reply address (`r+TOKEN@…`, [`crate::links::LinkSigner::reply_token`]):
        /// the contact it answers.
        reply_token: Option<String>,
    },
    /// The debtor pressed keys on a call's menu (1: the payment link, 2: an agent, 3: a
    /// promise).
    Digits {
        digits: String,
    },
    /// The debtor keyed the day they will pay, after choosing the menu's promise: `DDMM`
    /// (2512 is the 25th of December).
    PromiseDigits {
        digits: String,
    },
    /// The debtor asked to receive no more messages on this address.
    Unsubscribed {
        address: Option<String>,
    },
    /// A voice call ended without being answered, or was answered by a machine.
    NotAnswered,
    /// The debtor paid (the sandbox only; real payments come through the payment providers).
    Paid,
}

/// The most of a reply's text kept, in bytes. No debtor writes more (an SMS is at most 1,600
/// characters, a WhatsApp text 4,096); a longer text from a verified provider is cut rather than
/// refused, because a refused webhook is retried for days and the reply (it may be a dispute)
/// would never be read.
pub const MAX_REPLY_BYTES: usize = 64 * 1024;

/// `text` cut to at most [`MAX_REPLY_BYTES`] bytes, on a character boundary.
pub fn bounded_reply_text(text: &str) -> &str {
    if text.len() <= MAX_REPLY_BYTES {
        return text;
    }
    let mut end = MAX_REPLY_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

impl EventKind {
    /// A reply, its text bounded by [`bounded_reply_text`]: every provider's inbound message
    /// becomes one through here.
    pub fn replied(from: impl Into<String>, text: &str, reply_token: Option<String>) -> EventKind {
        EventKind::Replied {
            from: from.into(),
            text: bounded_reply_text(text).to_string(),
            reply_token,
        }
    }

    /// The event's name on the timeline.
    pub fn name(&self) -> &'static str {
        match self {
            EventKind::Sent => "contact_accepted",
            EventKind::Delivered => "delivered",
            EventKind::Opened => "opened",
            EventKind::Clicked { .. } => "clicked",
            EventKind::Bounced { .. } => "bounced",
            EventKind::Failed { .. } => "failed",
            EventKind::Replied { .. } => "replied",
            EventKind::Digits { .. } | EventKind::PromiseDigits { .. } => "digits_pressed",
            EventKind::Unsubscribed { .. } => "opted_out",
            EventKind::NotAnswered => "not_answered",
            EventKind::Paid => "payment_received",
        }
    }
}

/// A webhook as it reached us: what `verify` and `parse_webhook` read.
#[derive(Debug, Clone, Default)]
pub struct WebhookRequest {
    pub method: String,
    /// The full URL the provider called, scheme and host included (Twilio signs it).
    pub url: String,
    /// Header names lower-cased.
    pub headers: BTreeMap<String, String>,
    pub query: BTreeMap<String, String>,
    pub body: bytes::Bytes,
    /// When it reached us, on the injected clock: the time of events whose provider sends none
    /// (Twilio's callbacks). `None`: the system's clock.
    pub received_at: Option<DateTime<Utc>>,
}

impl WebhookRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

/// What a provider answers a webhook with, besides the events: Meta's challenge echo, TwiML.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WebhookReply {
    pub content_type: Option<String>,
    pub body: String,
}

/// What a provider can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    /// The debtor can answer on the same channel.
    pub two_way: bool,
    /// Only pre-approved templates may open a conversation (WhatsApp).
    pub templates_required: bool,
    /// The longest body the provider takes, in characters, if it limits it.
    pub max_length: Option<usize>,
    /// The provider reports delivery by webhook.
    pub delivery_reports: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_texts_are_cut_on_a_character_boundary() {
        assert_eq!(bounded_reply_text("hola"), "hola");
        let exact = "a".repeat(MAX_REPLY_BYTES);
        assert_eq!(bounded_reply_text(&exact), exact);
        // Two-byte characters after one byte: the limit falls inside a character.
        let long = format!("a{}", "é".repeat(MAX_REPLY_BYTES));
        let cut = bounded_reply_text(&long);
        assert_eq!(cut.len(), MAX_REPLY_BYTES - 1);
        assert!(long.starts_with(cut));
        let EventKind::Replied { text, .. } = EventKind::replied("+573001234567", &long, None)
        else {
            panic!("a reply");
        };
        assert_eq!(text, cut);
    }
}
