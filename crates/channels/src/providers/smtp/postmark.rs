//! Postmark's inbound-parse JSON (the email a mail provider received for us, posted to the SMTP
//! account's `/inbound` webhook): its wire types and the mapping to an [`InboundEmail`].
//! <https://postmarkapp.com/developer/webhooks/inbound-webhook>

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::WebhookError;
use crate::inbound_email::{Fields, InboundEmail, html_to_text, is_automatic, plain_address};

/// The fields read; Postmark sends more (attachments, spam scores), which are ignored. Every
/// field may be missing or `null`: what is required is checked after.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct Inbound {
    from: Option<String>,
    from_full: Option<Recipient>,
    to: Option<String>,
    to_full: Option<Vec<Recipient>>,
    cc: Option<String>,
    cc_full: Option<Vec<Recipient>>,
    /// The envelope recipient, before any forwarding.
    original_recipient: Option<String>,
    subject: Option<String>,
    text_body: Option<String>,
    html_body: Option<String>,
    headers: Option<Vec<Header>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct Recipient {
    email: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct Header {
    name: Option<String>,
    value: Option<String>,
}

impl Inbound {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .flatten()
            .find(|h| {
                h.name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            })
            .and_then(|h| h.value.as_deref())
            .filter(|v| !v.trim().is_empty())
    }
}

/// The email a Postmark inbound webhook carries. `body` is the request's JSON.
pub fn parse(body: &[u8]) -> Result<InboundEmail, WebhookError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(WebhookError::Malformed("the request body is empty".into()));
    }
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| WebhookError::Malformed(format!("the inbound JSON does not parse: {e}")))?;
    if !value.is_object() {
        return Err(WebhookError::Malformed(
            "the inbound JSON is not an object".into(),
        ));
    }
    let inbound = Inbound::deserialize(value)
        .map_err(|e| WebhookError::Malformed(format!("the inbound JSON does not parse: {e}")))?;
    let from_text = inbound
        .from_full
        .as_ref()
        .and_then(|f| f.email.as_deref())
        .filter(|e| !e.trim().is_empty())
        .or(inbound.from.as_deref())
        .ok_or_else(|| WebhookError::Malformed("FromFull.Email: the sender is missing".into()))?;
    let from = plain_address(from_text).ok_or_else(|| {
        WebhookError::Malformed(format!("FromFull.Email: {from_text:?} is not an address"))
    })?;
    let text = match (&inbound.text_body, &inbound.html_body) {
        (Some(text), _) if !text.trim().is_empty() => text.clone(),
        (_, Some(html)) if !html.trim().is_empty() => html_to_text(html),
        _ => {
            return Err(WebhookError::Malformed(
                "TextBody, HtmlBody: the message has no text".into(),
            ));
        }
    };
    let recipients = |full: &Option<Vec<Recipient>>, line: &Option<String>| -> Vec<String> {
        let listed: Vec<String> = full
            .iter()
            .flatten()
            .filter_map(|r| r.email.clone())
            .collect();
        if listed.is_empty() {
            // Only the header line: `"Name" <a@b>, c@d`.
            line.as_deref()
                .map(|l| l.split(',').map(str::to_string).collect())
                .unwrap_or_default()
        } else {
            listed
        }
    };
    let header_to = recipients(&inbound.to_full, &inbound.to);
    let header_cc = recipients(&inbound.cc_full, &inbound.cc);
    let in_reply_to = inbound
        .header("In-Reply-To")
        .and_then(|v| v.split_whitespace().next().map(str::to_string))
        .or_else(|| {
            inbound
                .header("References")
                .and_then(|v| v.split_whitespace().last().map(str::to_string))
        });
    let automatic = is_automatic(
        inbound.header("Auto-Submitted"),
        inbound.header("Precedence"),
        inbound.header("X-Autoreply").is_some() || inbound.header("X-Autorespond").is_some(),
    );
    InboundEmail::assemble(Fields {
        from,
        envelope_to: inbound.original_recipient.clone().into_iter().collect(),
        header_to,
        header_cc,
        subject: inbound.subject.clone(),
        text,
        message_id: inbound.header("Message-ID").map(str::to_string),
        in_reply_to,
        automatic,
        digest: hex::encode(Sha256::digest(body)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_minimal_payload_reads_and_nulls_are_missing_fields() {
        let email = parse(
            br#"{"From":"Ana <ANA@example.net>","FromFull":null,"To":"\"Acueducto\" <r+abc123@reply.example>, otro@example.net","TextBody":"ya pague","HtmlBody":null,"Headers":null}"#,
        )
        .expect("parses");
        assert_eq!(email.from, "ana@example.net");
        assert_eq!(email.reply_token.as_deref(), Some("abc123"));
        assert_eq!(email.to, ["r+abc123@reply.example", "otro@example.net"]);
        assert_eq!(email.message_id, None);
    }

    #[test]
    fn what_is_missing_is_named() {
        for (body, field) in [
            (&br#"{"TextBody":"x"}"#[..], "FromFull.Email"),
            (br#"{"From":"nobody","TextBody":"x"}"#, "FromFull.Email"),
            (
                br#"{"From":"a@b.c","TextBody":"  ","HtmlBody":""}"#,
                "TextBody",
            ),
            (br#"{"From":5}"#, "does not parse"),
            (b"[]", "not an object"),
            (b"", "empty"),
        ] {
            match parse(body) {
                Err(WebhookError::Malformed(message)) => {
                    assert!(message.contains(field), "{message} should name {field}")
                }
                other => panic!(
                    "{:?} should be malformed, got {other:?}",
                    String::from_utf8_lossy(body)
                ),
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_parse_or_fail_without_panicking(
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600),
        ) {
            let _ = parse(&body);
        }

        #[test]
        fn any_strings_in_the_fields_parse_or_fail_without_panicking(
            from in ".{0,40}", to in ".{0,40}", text in ".{0,80}", html in ".{0,80}",
            header in ".{0,40}",
        ) {
            let body = serde_json::json!({
                "From": from, "To": to, "TextBody": text, "HtmlBody": html,
                "Headers": [{"Name": "In-Reply-To", "Value": header}, {"Name": "Message-ID", "Value": header}],
            });
            let _ = parse(body.to_string().as_bytes());
        }
    }
}
