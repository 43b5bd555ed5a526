//! Inbound email: real replies as mail clients write them (fixtures under
//! `tests/fixtures/email/`) parsed into what the engine reads, and the SMTP account's
//! inbound-parse webhook (Postmark's JSON) verified and turned into a `Replied` event.

use std::path::PathBuf;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, TimeZone, Utc};

use recaudo_channels::inbound_email::{MAX_TEXT_BYTES, reply_token_of};
use recaudo_channels::providers::smtp;
use recaudo_channels::{
    ChannelProvider, EventKind, InboundEmail, ProviderConfig, ProviderEnv, WebhookError,
    WebhookRequest,
};

/// The token in the fixtures' reply addresses.
const TOKEN: &str = "01kbn2q7c5x8r9t0v3w4y6z8ab4f1c2a9be07d35a6c8f1";

/// Our `Message-ID` the fixtures answer.
const OURS: &str = "<9f2c4e1a7b3d5c6e8f0a1b2c3d4e5f60@acueducto.example>";

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/email")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

fn parse(name: &str) -> InboundEmail {
    InboundEmail::from_mime(&fixture(name), &[])
        .unwrap_or_else(|e| panic!("{name} should parse: {e}"))
}

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 15, 42, 5).unwrap()
}

#[test]
fn a_gmail_reply_keeps_its_new_text_first_and_its_quoted_history_whole() {
    let email = parse("gmail_reply_es.eml");
    assert_eq!(email.from, "ana.gomez@gmail.com");
    assert_eq!(
        email.to,
        [format!("r+{TOKEN}@reply.acueducto.example")],
        "the To header, the envelope being unknown"
    );
    assert_eq!(
        email.subject.as_deref(),
        Some("Re: Recordatorio: su factura vence mañana — Acueducto")
    );
    assert_eq!(email.reply_token.as_deref(), Some(TOKEN));
    assert_eq!(email.in_reply_to.as_deref(), Some(OURS));
    assert_eq!(
        email.message_id.as_deref(),
        Some("<CAFk3x=Yq8pZ1nB2vR7wT9uH4jK5lM6oP0aQ@mail.gmail.com>")
    );
    assert!(!email.automatic);
    // The plain part, decoded from quoted-printable, not the HTML one.
    assert_eq!(
        email.text,
        format!(
            "Buenas tardes, pago el viernes sin falta.\n\nGracias,\nAna\n\n\
             El lun, 1 dic 2026 a las 10:00, Acueducto de Ejemplo (<\n\
             r+{TOKEN}@reply.acueducto.example>) escribió:\n\n\
             > Hola Ana Gómez:\n>\n\
             > Le recordamos que su factura por $ 1.234.567 vence el 03/12/2026.\n\
             > Puede pagar aquí: https://collect.example.com/p/tok123\n>"
        )
    );

    let event = email.to_event(at());
    assert_eq!(event.provider_message_id.as_deref(), Some(OURS));
    assert_eq!(event.contact_id, None);
    assert_eq!(event.at, at());
    assert_eq!(
        event.dedupe_key,
        "email:<CAFk3x=Yq8pZ1nB2vR7wT9uH4jK5lM6oP0aQ@mail.gmail.com>"
    );
    assert_eq!(
        event.kind,
        EventKind::Replied {
            from: "ana.gomez@gmail.com".into(),
            text: email.text.clone(),
            reply_token: Some(TOKEN.into()),
        }
    );
}

#[test]
fn an_outlook_reply_in_windows_1252_reads_its_upper_case_token() {
    let email = parse("outlook_reply_en.eml");
    assert_eq!(email.from, "jmiller@outlook.example");
    assert_eq!(
        email.to,
        [
            format!("r+{TOKEN}@reply.acueducto.example"),
            "maria@outlook.example".to_string()
        ]
    );
    // The mail system folded the address to upper case; the token is read in lower case.
    assert_eq!(email.reply_token.as_deref(), Some(TOKEN));
    assert_eq!(
        email.subject.as_deref(),
        Some("RE: Reminder: your bill is due tomorrow")
    );
    assert_eq!(email.in_reply_to.as_deref(), Some(OURS));
    assert!(
        email
            .text
            .starts_with("I’ll pay the balance on the 15th – sorry for the delay.\n\nRegards,\nJohn Miller\n\n________________________________\nFrom: Acueducto de Ejemplo <cobranza@acueducto.example>\nSent: Monday, December 1, 2026 10:00 AM\n"),
        "{:?}",
        email.text
    );
    assert!(
        email
            .text
            .ends_with("Your bill for $ 1,234.56 is due on 12/03/2026.")
    );
}

#[test]
fn a_base64_body_and_encoded_words_decode_and_the_envelope_carries_the_token() {
    let raw = fixture("base64_reply_pt.eml");
    let without = InboundEmail::from_mime(&raw, &[]).expect("parses");
    assert_eq!(without.reply_token, None, "the To header has no token");
    assert_eq!(without.to, ["cobranca@luzdovale.example"]);

    let envelope = [format!(
        "<R+{}@Reply.LuzDoVale.example>",
        TOKEN.to_ascii_uppercase()
    )];
    let email = InboundEmail::from_mime(&raw, &envelope).expect("parses");
    assert_eq!(email.reply_token.as_deref(), Some(TOKEN));
    assert_eq!(email.to, [format!("r+{TOKEN}@reply.luzdovale.example")]);
    assert_eq!(email.from, "joao.silva@example.com.br");
    assert_eq!(
        email.subject.as_deref(),
        Some("Re: Sua fatura vence amanhã")
    );
    assert_eq!(
        email.text,
        "Bom dia, vou pagar dia 10.\n\nEm seg., 1 de dez. de 2026 às 10:00, Luz do Vale <cobranca@luzdovale.example> escreveu:\n\n> Olá João Silva,\n> Sua fatura de R$ 1.234,56 vence amanhã."
    );
    assert_eq!(
        email.in_reply_to.as_deref(),
        Some("<3b8a0d6e1f2c4a5b7c9d0e1f2a3b4c5d@luzdovale.example>")
    );
}

#[test]
fn a_latin_1_text_beside_an_attachment_is_the_text() {
    let email = parse("latin1_reply_es.eml");
    assert_eq!(email.from, "jose.perez@example.co");
    assert_eq!(email.reply_token.as_deref(), Some(TOKEN));
    assert_eq!(
        email.text,
        "Ya pagué la factura ayer en el banco, adjunto el comprobante.\nAtención: el número de referencia es 4242.\n\nOn Mon, Dec 1, 2026 at 10:00 AM Acueducto de Ejemplo <cobranza@acueducto.example> wrote:\n> Su factura vence mañana."
    );
    assert_eq!(email.in_reply_to, None, "it answers no message id");
    assert_eq!(
        email.to_event(at()).provider_message_id,
        None,
        "matched by its token alone"
    );
}

#[test]
fn an_html_only_reply_becomes_lines_of_text() {
    let email = parse("html_only_es.eml");
    assert_eq!(email.from, "carlos.ruiz@icloud.example");
    assert_eq!(email.reply_token.as_deref(), Some(TOKEN));
    assert_eq!(
        email.text,
        "No es mi deuda, yo nunca tuve servicio con ustedes.\nPor favor dejen de escribirme.\n\n\
         > El 1 dic 2026, a las 10:00, Acueducto de Ejemplo <cobranza@acueducto.example> escribió:\n>\n\
         > Hola Carlos Ruiz:\n\n> Su factura por $\u{a0}98.000 está vencida."
    );
}

#[test]
fn an_out_of_office_is_marked_automatic() {
    let email = parse("out_of_office_es.eml");
    assert!(email.automatic);
    assert_eq!(email.text, "Estoy de vacaciones hasta el 15 de diciembre.");
}

#[test]
fn without_a_message_id_the_dedupe_key_is_the_messages_digest() {
    let raw =
        b"From: ana@example.net\r\nTo: r+abc123@reply.example\r\nSubject: hola\r\n\r\nya pague\r\n";
    let email = InboundEmail::from_mime(raw, &[]).expect("parses");
    let event = email.to_event(at());
    assert!(
        event.dedupe_key.starts_with("email:sha256:"),
        "{}",
        event.dedupe_key
    );
    assert_eq!(
        event.dedupe_key,
        InboundEmail::from_mime(raw, &[])
            .expect("parses")
            .to_event(at())
            .dedupe_key,
        "the same message, the same key"
    );
    let other = b"From: ana@example.net\r\nTo: r+abc123@reply.example\r\nSubject: hola\r\n\r\nya pague!\r\n";
    assert_ne!(
        event.dedupe_key,
        InboundEmail::from_mime(other, &[])
            .expect("parses")
            .to_event(at())
            .dedupe_key
    );
}

#[test]
fn bad_messages_are_refused_naming_what_is_wrong() {
    let huge_body = format!(
        "From: ana@example.net\r\nContent-Type: text/plain\r\n\r\n{}\r\n",
        "pago mañana ".repeat(MAX_TEXT_BYTES / 10)
    );
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"".to_vec(), "empty"),
        (b"\r\n\r\n  \r\n".to_vec(), "empty"),
        (b"Subject: hola\r\n\r\nya pague\r\n".to_vec(), "From"),
        (b"From: nobody\r\n\r\nya pague\r\n".to_vec(), "From"),
        (b"From: ana@example.net\r\n\r\n   \r\n".to_vec(), "empty"),
        (
            b"From: ana@example.net\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nUEsDBBQABgAIAAAAIQA=\r\n".to_vec(),
            "no text",
        ),
        (
            b"From: ana@example.net\r\nContent-Type: text/plain\r\n\r\n\x00\x01\x02\x03\x04\x05PK\x03\x04\x00\x00\r\n".to_vec(),
            "binary",
        ),
        (b"From: ana@exa\x00mple.net\r\n\r\nhola\r\n".to_vec(), "binary"),
    ];
    for (raw, what) in cases {
        match InboundEmail::from_mime(&raw, &[]) {
            Err(WebhookError::Malformed(message)) => assert!(
                message.contains(what),
                "{:?}: {message} should say {what}",
                String::from_utf8_lossy(&raw)
            ),
            other => panic!(
                "{:?} should be malformed ({what}), got {other:?}",
                String::from_utf8_lossy(&raw)
            ),
        }
    }
    assert!(matches!(
        InboundEmail::from_mime(huge_body.as_bytes(), &[]),
        Err(WebhookError::TooLarge(n)) if n > MAX_TEXT_BYTES
    ));
}

#[test]
fn reply_tokens_come_from_the_envelope_then_to_then_cc() {
    let raw = b"From: ana@example.net\r\nTo: cobranza@acueducto.example\r\nCc: Acueducto <r+fromcc@reply.example>\r\n\r\nhola\r\n";
    assert_eq!(
        InboundEmail::from_mime(raw, &[])
            .expect("parses")
            .reply_token
            .as_deref(),
        Some("fromcc")
    );
    let envelope = ["r+fromenvelope@reply.example".to_string()];
    assert_eq!(
        InboundEmail::from_mime(raw, &envelope)
            .expect("parses")
            .reply_token
            .as_deref(),
        Some("fromenvelope")
    );
    assert_eq!(
        reply_token_of("Acueducto <r+AbC9@reply.example>").as_deref(),
        Some("abc9")
    );
}

// The inbound-parse webhook.

const WEBHOOK_TOKEN: &str = "webhook-token-0123456789";

fn inbound_provider(token: Option<&str>) -> smtp::Provider {
    let config: smtp::Config = serde_json::from_value(serde_json::json!({
        "host": "127.0.0.1",
        "port": 2525,
        "security": "none",
        "from_email": "cobranza@acueducto.example",
        "reply_domain": "reply.acueducto.example",
        "webhook_token": token,
    }))
    .expect("a valid configuration");
    match ProviderConfig::Smtp(config).build(&ProviderEnv::new(std::env::temp_dir(), None)) {
        Ok(recaudo_channels::Provider::Smtp(p)) => p,
        Ok(_) => panic!("an SMTP configuration builds an SMTP provider"),
        Err(e) => panic!("the configuration is refused: {e}"),
    }
}

fn inbound_request(body: &[u8]) -> WebhookRequest {
    let mut request = WebhookRequest {
        method: "POST".into(),
        url: "https://collect.example.com/hooks/ten_01KBN2/smtp-main/inbound?token=x".into(),
        body: bytes::Bytes::copy_from_slice(body),
        received_at: Some(at()),
        ..WebhookRequest::default()
    };
    request.headers.insert(
        "content-type".into(),
        "application/json; charset=utf-8".into(),
    );
    request
}

#[test]
fn a_postmark_inbound_post_becomes_a_reply() {
    let provider = inbound_provider(Some(WEBHOOK_TOKEN));
    let mut request = inbound_request(&fixture("postmark_inbound.json"));
    // Postmark calls `https://postmark:TOKEN@collect.example.com/hooks/…/inbound`.
    request.headers.insert(
        "authorization".into(),
        format!(
            "Basic {}",
            STANDARD.encode(format!("postmark:{WEBHOOK_TOKEN}"))
        ),
    );
    request.query.insert("token".into(), WEBHOOK_TOKEN.into());
    assert_eq!(provider.verify(&request), Ok(()));
    request.query.clear();
    assert_eq!(
        provider.verify(&request),
        Ok(()),
        "the basic password alone"
    );

    let (events, reply) = provider.parse_webhook(&request).expect("parses");
    assert_eq!(reply.body, "");
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event.provider_message_id.as_deref(), Some(OURS));
    assert_eq!(event.at, at(), "dated when it reached us");
    assert_eq!(
        event.dedupe_key,
        "email:<CAFk3x=Yq8pZ1nB2vR7wT9uH4jK5lM6oP0aQ@mail.gmail.com>"
    );
    match &event.kind {
        EventKind::Replied {
            from,
            text,
            reply_token,
        } => {
            assert_eq!(from, "ana.gomez@gmail.com");
            assert_eq!(reply_token.as_deref(), Some(TOKEN));
            // The whole TextBody (not Postmark's StrippedTextReply): the engine cuts the history.
            assert!(
                text.starts_with("Ya pagué ayer, les envío el comprobante.\n\nEl lun, 1 dic 2026"),
                "{text:?}"
            );
            assert!(
                text.ends_with(
                    "> Le recordamos que su factura por $ 1.234.567 vence el 03/12/2026."
                )
            );
        }
        other => panic!("a reply, got {other:?}"),
    }

    // Replayed by Postmark: the same dedupe key.
    let (again, _) = provider.parse_webhook(&request).expect("parses");
    assert_eq!(again[0].dedupe_key, event.dedupe_key);
}

#[test]
fn an_html_only_postmark_post_and_an_auto_reply() {
    let provider = inbound_provider(Some(WEBHOOK_TOKEN));
    let body = serde_json::json!({
        "From": "carlos.ruiz@icloud.example",
        "FromFull": {"Email": "carlos.ruiz@icloud.example", "Name": "Carlos Ruiz"},
        "ToFull": [{"Email": "r+abc123@reply.acueducto.example", "Name": ""}],
        "TextBody": "",
        "HtmlBody": "<div>No es mi deuda.</div><blockquote><p>Su factura vence hoy</p></blockquote>",
        "Headers": [{"Name": "Message-ID", "Value": "<x1@icloud.example>"}],
    });
    let (events, _) = provider
        .parse_webhook(&inbound_request(body.to_string().as_bytes()))
        .expect("parses");
    assert!(matches!(
        &events[0].kind,
        EventKind::Replied { text, reply_token, .. }
            if text == "No es mi deuda.\n> Su factura vence hoy" && reply_token.as_deref() == Some("abc123")
    ));

    let auto = serde_json::json!({
        "FromFull": {"Email": "ana@example.net"},
        "ToFull": [{"Email": "r+abc123@reply.acueducto.example"}],
        "TextBody": "Estoy de vacaciones.",
        "Headers": [{"Name": "Auto-Submitted", "Value": "auto-replied"}],
    });
    let (events, _) = provider
        .parse_webhook(&inbound_request(auto.to_string().as_bytes()))
        .expect("taken");
    assert!(
        events.is_empty(),
        "an out-of-office is no reply: {events:?}"
    );
}

#[test]
fn inbound_posts_that_are_unsigned_forged_or_malformed_are_refused() {
    let provider = inbound_provider(Some(WEBHOOK_TOKEN));
    let body = fixture("postmark_inbound.json");

    let unsigned = inbound_request(&body);
    assert!(matches!(
        provider.verify(&unsigned),
        Err(WebhookError::Unsigned(_))
    ));
    let mut forged = inbound_request(&body);
    forged.headers.insert(
        "authorization".into(),
        format!(
            "Basic {}",
            STANDARD.encode("postmark:webhook-token-0123456780")
        ),
    );
    assert!(matches!(
        provider.verify(&forged),
        Err(WebhookError::Forged(_))
    ));
    let mut no_password = inbound_request(&body);
    no_password.headers.insert(
        "authorization".into(),
        format!("Basic {}", STANDARD.encode("postmark")),
    );
    assert!(matches!(
        provider.verify(&no_password),
        Err(WebhookError::Unsigned(_))
    ));

    for (body, field) in [
        (&b"{not json"[..], "does not parse"),
        (b"", "empty"),
        (b"{\"TextBody\": \"hola\"}", "FromFull.Email"),
        (
            b"{\"FromFull\": {\"Email\": \"ana@example.net\"}, \"TextBody\": \"\"}",
            "TextBody",
        ),
        (
            b"{\"FromFull\": {\"Email\": \"ana@example.net\"}, \"TextBody\": 5}",
            "does not parse",
        ),
    ] {
        match provider.parse_webhook(&inbound_request(body)) {
            Err(WebhookError::Malformed(message)) => {
                assert!(message.contains(field), "{message} should name {field}")
            }
            other => panic!("malformed, got {other:?}"),
        }
    }
    let mut form = inbound_request(b"From=a");
    form.headers.insert(
        "content-type".into(),
        "application/x-www-form-urlencoded".into(),
    );
    assert!(matches!(
        provider.parse_webhook(&form),
        Err(WebhookError::Malformed(_))
    ));
    let huge = vec![b' '; smtp::MAX_INBOUND_BYTES + 1];
    assert_eq!(
        provider
            .parse_webhook(&inbound_request(&huge))
            .map(|(e, _)| e.len()),
        Err(WebhookError::TooLarge(smtp::MAX_INBOUND_BYTES + 1))
    );
    let long_text = serde_json::json!({
        "FromFull": {"Email": "ana@example.net"},
        "TextBody": "x".repeat(MAX_TEXT_BYTES + 1),
    });
    assert!(matches!(
        provider.parse_webhook(&inbound_request(long_text.to_string().as_bytes())),
        Err(WebhookError::TooLarge(_))
    ));

    // Without a token the account takes no webhook at all.
    let without = inbound_provider(None);
    assert_eq!(without.verify(&unsigned), Err(WebhookError::NotSupported));
    assert!(matches!(
        without.parse_webhook(&unsigned),
        Err(WebhookError::NotSupported)
    ));
}

#[test]
fn the_bounce_path_still_takes_bounces() {
    let provider = inbound_provider(Some(WEBHOOK_TOKEN));
    let mut request = inbound_request(
        br#"{"message_id": "<9f2c@acueducto.example>", "recipient": "ana@example.net", "type": "hard"}"#,
    );
    request.url = "https://collect.example.com/hooks/ten_01KBN2/smtp-main?inbound=1".into();
    let (events, _) = provider.parse_webhook(&request).expect("a bounce");
    assert!(matches!(
        events[0].kind,
        EventKind::Bounced { hard: true, .. }
    ));
}
