//! Every provider's inbound format from a realistic payload (`tests/fixtures/inbound/`), signed
//! as the provider signs it and read through `verify` then `parse_webhook`: who wrote (E.164),
//! what they wrote, and the message they answered when the payload names it. The signing
//! helpers here serve the parsers' property tests too (`inbound_props`).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{TimeZone, Utc};

use recaudo_channels::providers::whatsapp_cloud::Config as WhatsappConfig;
use recaudo_channels::providers::{http_sms, twilio, twilio_sms, twilio_voice, webhook};
use recaudo_channels::{
    ChannelProvider, EventKind, MAX_REPLY_BYTES, Provider, ProviderConfig, ProviderEnv,
    ProviderEvent, WebhookError, WebhookRequest,
};
use recaudo_domain::Secret;

pub const TWILIO_SID: &str = "AC0123456789abcdef0123456789abcdef";
pub const TWILIO_TOKEN: &str = "inbound-twilio-token-9c1e";
pub const SMS_URL: &str = "https://collect.example.com/hooks/ten_01/twilio-sms";
pub const GATHER_URL: &str = "https://collect.example.com/hooks/ten_01/twilio-voice/gather";
pub const APP_SECRET: &str = "0f9e8d7c6b5a49382716a5b4c3d2e1f0";
pub const WA_URL: &str = "https://collect.example.com/hooks/ten_01/whatsapp";
pub const WHSEC: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
pub const WEBHOOK_URL: &str = "https://collect.example.com/hooks/ten_01/erp";
pub const GATEWAY_SECRET: &str = "gateway-inbound-secret-42";
pub const GATEWAY_STATUS_SECRET: &str = "gateway-status-secret-17";
pub const GATEWAY_URL: &str = "https://collect.example.com/hooks/ten_01/gateway";

fn build(config: ProviderConfig) -> Provider {
    match config.build(&ProviderEnv::new(std::env::temp_dir(), None)) {
        Ok(provider) => provider,
        Err(error) => panic!("a valid configuration builds: {error}"),
    }
}

pub fn twilio_sms() -> Provider {
    build(ProviderConfig::TwilioSms(twilio_sms::Config {
        account_sid: TWILIO_SID.into(),
        auth_token: Secret::new(TWILIO_TOKEN.into()),
        from: Some("+576015550123".into()),
        messaging_service_sid: None,
        base_url: twilio::DEFAULT_BASE_URL.into(),
    }))
}

pub fn twilio_voice() -> Provider {
    build(ProviderConfig::TwilioVoice(twilio_voice::Config {
        account_sid: TWILIO_SID.into(),
        auth_token: Secret::new(TWILIO_TOKEN.into()),
        from: "+576015550123".into(),
        base_url: twilio::DEFAULT_BASE_URL.into(),
        machine_detection: false,
    }))
}

pub fn whatsapp() -> Provider {
    build(ProviderConfig::WhatsappCloud(WhatsappConfig {
        phone_number_id: "106540352242922".into(),
        access_token: Secret::new("EAAJB-inbound-token".into()),
        app_secret: Secret::new(APP_SECRET.into()),
        verify_token: Secret::new("recaudo-verify".into()),
        api_version: "v21.0".into(),
        base_url: "https://graph.facebook.com".into(),
    }))
}

pub fn webhook() -> Provider {
    build(ProviderConfig::Webhook(webhook::Config {
        url: "https://erp.example.com/recaudo".into(),
        secret: Secret::new(WHSEC.into()),
        headers: BTreeMap::new(),
    }))
}

/// A gateway that forwards the debtors' SMS (`/data/msisdn`, `/data/message`, `/data/id`) and
/// reports statuses.
pub fn gateway() -> Provider {
    build(ProviderConfig::HttpSms(http_sms::Config {
        url: "https://sms.gateway.example/api/send".into(),
        format: http_sms::Format::Json,
        auth: http_sms::Auth::None,
        fields: http_sms::Fields::default(),
        from: None,
        strip_plus: true,
        static_fields: BTreeMap::new(),
        response_id_pointer: None,
        error_code_pointer: None,
        bad_address_codes: vec![],
        status_webhook: Some(Box::new(http_sms::StatusWebhook {
            secret: Secret::new(GATEWAY_STATUS_SECRET.into()),
            signature_header: "X-Signature".into(),
            id_pointer: "/data/reference".into(),
            status_pointer: "/data/status".into(),
            error_pointer: None,
            statuses: BTreeMap::from([("DELIVRD".to_string(), http_sms::Status::Delivered)]),
        })),
        inbound_webhook: Some(Box::new(http_sms::InboundWebhook {
            secret: Secret::new(GATEWAY_SECRET.into()),
            signature_header: "X-Gateway-Signature".into(),
            from_pointer: "/data/msisdn".into(),
            text_pointer: "/data/message".into(),
            id_pointer: "/data/id".into(),
        })),
    }))
}

fn post(url: &str, content_type: &str, body: impl Into<bytes::Bytes>) -> WebhookRequest {
    let mut request = WebhookRequest {
        method: "POST".into(),
        url: url.into(),
        body: body.into(),
        received_at: Some(Utc.with_ymd_and_hms(2026, 12, 5, 19, 45, 0).unwrap()),
        ..WebhookRequest::default()
    };
    if let Some((_, query)) = url.split_once('?') {
        request.query = serde_urlencoded::from_str(query).unwrap_or_default();
    }
    request
        .headers
        .insert("content-type".into(), content_type.into());
    request
}

fn hex_hmac_sha256(key: &[u8], body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key);
    hex::encode(ring::hmac::sign(&key, body).as_ref())
}

/// A form POST to `url` signed as Twilio signs it (over the decoded parameters).
pub fn twilio_post(url: &str, body: impl Into<bytes::Bytes>) -> WebhookRequest {
    let mut request = post(url, "application/x-www-form-urlencoded", body);
    let params: Vec<(String, String)> =
        serde_urlencoded::from_bytes(&request.body).unwrap_or_default();
    request.headers.insert(
        "x-twilio-signature".into(),
        twilio::signature(TWILIO_TOKEN, url, &params),
    );
    request
}

/// A JSON POST signed with Meta's `X-Hub-Signature-256`.
pub fn meta_post(body: impl Into<bytes::Bytes>) -> WebhookRequest {
    let mut request = post(WA_URL, "application/json", body);
    let signature = hex_hmac_sha256(APP_SECRET.as_bytes(), &request.body);
    request
        .headers
        .insert("x-hub-signature-256".into(), format!("sha256={signature}"));
    request
}

/// A JSON POST signed the Standard Webhooks way.
pub fn standard_post(id: &str, body: impl Into<bytes::Bytes>) -> WebhookRequest {
    let mut request = post(WEBHOOK_URL, "application/json", body);
    let key = match webhook::decode_secret(WHSEC) {
        Ok(key) => key,
        Err(error) => panic!("the test secret decodes: {error}"),
    };
    let timestamp = 1_764_945_600;
    let signature = webhook::sign(&key, id, timestamp, &request.body);
    for (name, value) in [
        ("webhook-id", id.to_string()),
        ("webhook-timestamp", timestamp.to_string()),
        ("webhook-signature", signature),
    ] {
        request.headers.insert(name.into(), value);
    }
    request
}

/// A POST to the gateway's inbound URL (`…/inbound`) or its status URL, signed with the
/// matching secret.
pub fn gateway_post(inbound: bool, body: impl Into<bytes::Bytes>) -> WebhookRequest {
    let (url, header, secret) = if inbound {
        (
            format!("{GATEWAY_URL}/inbound"),
            "x-gateway-signature",
            GATEWAY_SECRET,
        )
    } else {
        (
            GATEWAY_URL.to_string(),
            "x-signature",
            GATEWAY_STATUS_SECRET,
        )
    };
    let mut request = post(&url, "application/json", body);
    let signature = hex_hmac_sha256(secret.as_bytes(), &request.body);
    request.headers.insert(header.into(), signature);
    request
}

/// Verifies, then parses: what the web layer does with a webhook.
pub fn receive(provider: &Provider, request: &WebhookRequest) -> Vec<ProviderEvent> {
    if let Err(error) = provider.verify(request) {
        panic!("the request is signed: {error}");
    }
    match provider.parse_webhook(request) {
        Ok((events, _)) => events,
        Err(error) => panic!("the fixture parses: {error}"),
    }
}

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/inbound/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// The one reply among `events`: (from, text, the message it answers, dedupe key).
fn reply(events: &[ProviderEvent]) -> (String, String, Option<String>, String) {
    let replies: Vec<_> = events
        .iter()
        .filter_map(|event| match &event.kind {
            EventKind::Replied {
                from,
                text,
                reply_token,
            } => {
                assert_eq!(reply_token, &None, "only email replies carry a token");
                Some((
                    from.clone(),
                    text.clone(),
                    event.provider_message_id.clone(),
                    event.dedupe_key.clone(),
                ))
            }
            _ => None,
        })
        .collect();
    assert_eq!(replies.len(), 1, "{events:?}");
    replies.into_iter().next().unwrap_or_default()
}

fn assert_e164(from: &str) {
    let digits = from.strip_prefix('+').unwrap_or_default();
    assert!(
        (7..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0'),
        "{from:?} is E.164"
    );
}

#[test]
fn a_twilio_inbound_sms_with_every_field_twilio_posts() {
    let body = fixture("twilio_sms.form");
    let events = receive(&twilio_sms(), &twilio_post(SMS_URL, body));
    let (from, text, answered, key) = reply(&events);
    assert_e164(&from);
    assert_eq!(from, "+573001234567");
    assert_eq!(
        text,
        "Buenas tardes, ya pagué la factura de noviembre. ¿Me confirman? Gracias 🙏"
    );
    // Twilio names the inbound message, not one of ours: the sender is what matches.
    assert_eq!(
        answered.as_deref(),
        Some("SM8f2c4d6e0a1b3c5d7e9f1a2b3c4d5e6f")
    );
    assert_eq!(key, "twilio:SM8f2c4d6e0a1b3c5d7e9f1a2b3c4d5e6f:replied");
    assert_eq!(events.len(), 1, "no opt-out in this text");
    assert_eq!(
        events[0].at,
        Utc.with_ymd_and_hms(2026, 12, 5, 19, 45, 0).unwrap(),
        "Twilio sends no time: when it reached us"
    );
}

#[test]
fn whatsapp_text_button_interactive_and_image_messages() {
    let provider = whatsapp();
    let cases = [
        (
            "whatsapp_text.json",
            "Hola, vou pagar dia 10. Pueden esperarme hasta esa fecha?",
            None,
            "wamid.HBgMNTczMDAxMjM0NTY3FQIAEhgUM0EwRjg2QzE3RjI0QjY5RkY5QjAA",
            1_764_946_800,
        ),
        (
            "whatsapp_button.json",
            "Ya pagué",
            Some("wamid.HBgMNTczMDAxMjM0NTY3FQIAERgSQkY3MzE2RjJBQjY0RDQ4QjhBAA=="),
            "wamid.HBgMNTczMDAxMjM0NTY3FQIAEhgUM0E5QTY1RDBDMjMzMjk0QTk3RTQA",
            1_764_947_100,
        ),
        (
            "whatsapp_interactive_button_reply.json",
            "Hablar con un asesor",
            Some("wamid.HBgMNTczMDAxMjM0NTY3FQIAERgSMDk4RkE1NzE0QzJFN0IzRTMxAA=="),
            "wamid.HBgMNTczMDAxMjM0NTY3FQIAEhgUM0FCNDU2Nzg5MDEyMzQ1Njc4OTAA",
            1_764_947_400,
        ),
        (
            "whatsapp_interactive_list_reply.json",
            "Tres cuotas",
            Some("wamid.HBgMNTczMDAxMjM0NTY3FQIAERgSNEM5RDFFMkYzQTRCNUM2RDdFAA=="),
            "wamid.HBgMNTczMDAxMjM0NTY3FQIAEhgUM0FDMTIzNDU2Nzg5MEFCQ0RFRjAA",
            1_764_947_700,
        ),
        (
            "whatsapp_image.json",
            "[image]",
            None,
            "wamid.HBgMNTczMDAxMjM0NTY3FQIAEhgUM0FEOUU4RjdBNkI1QzRMM0QyRTEA",
            1_764_948_000,
        ),
    ];
    let mut keys = BTreeSet::new();
    for (name, expected_text, expected_answered, expected_key, at) in cases {
        let events = receive(&provider, &meta_post(fixture(name)));
        let (from, text, answered, key) = reply(&events);
        assert_e164(&from);
        assert_eq!(from, "+573001234567", "{name}");
        assert_eq!(text, expected_text, "{name}");
        assert_eq!(answered.as_deref(), expected_answered, "{name}");
        assert_eq!(key, expected_key, "{name}: the inbound message's own id");
        assert_eq!(events[0].at.timestamp(), at, "{name}: Meta's timestamp");
        keys.insert(key);
    }
    assert_eq!(keys.len(), 5, "each message its own dedupe key");

    // A Flow's answer (`nfm_reply`) is neither a button nor a list: still the debtor answering.
    let flow = serde_json::json!({
        "object": "whatsapp_business_account",
        "entry": [{"changes": [{"field": "messages", "value": {"messages": [
            {"from": "573001234567", "id": "wamid.FLOW", "timestamp": "1764948300",
             "type": "interactive",
             "interactive": {"type": "nfm_reply", "nfm_reply": {"name": "flow", "response_json": "{}"}}}
        ]}}]}]
    });
    let (_, text, _, _) = reply(&receive(&provider, &meta_post(flow.to_string())));
    assert_eq!(text, "[interactive]");
}

#[test]
fn the_webhook_providers_contact_replied() {
    let body = fixture("webhook_contact_replied.json");
    let events = receive(&webhook(), &standard_post("evt_2Yx8Kq1m", body));
    let (from, text, answered, key) = reply(&events);
    assert_e164(&from);
    assert_eq!(from, "+5511987654321");
    assert_eq!(
        text,
        "Não reconheço essa dívida, nunca tive conta com vocês."
    );
    assert_eq!(
        answered.as_deref(),
        Some("msg_4f1d0c2b9a8e7f6d5c4b3a2918070605"),
        "the contact the receiving system answers for"
    );
    assert_eq!(key, "evt_2Yx8Kq1m", "the webhook-id");
    assert_eq!(
        events[0].at,
        Utc.with_ymd_and_hms(2026, 12, 5, 14, 32, 10).unwrap()
    );
}

#[test]
fn an_http_sms_gateways_inbound_message_through_its_pointers() {
    let provider = gateway();
    assert!(
        provider.capabilities().two_way,
        "an inbound webhook: two-way"
    );
    let body = fixture("http_sms_inbound.json");
    let events = receive(&provider, &gateway_post(true, body.clone()));
    let (from, text, answered, key) = reply(&events);
    assert_e164(&from);
    assert_eq!(
        from, "+573001234567",
        "the gateway's bare digits get their +"
    );
    assert_eq!(text, "BAJA por favor, ya no me escriban");
    assert_eq!(answered, None, "the gateway names no message of ours");
    assert_eq!(key, "http_sms:mo-20261205-000417:replied");

    // Signed with the status secret, or posted to the status URL, it is not an inbound message.
    let mut wrong_secret = gateway_post(false, body.clone());
    wrong_secret.url = format!("{GATEWAY_URL}/inbound");
    assert!(matches!(
        provider.verify(&wrong_secret),
        Err(WebhookError::Unsigned(_) | WebhookError::Forged(_))
    ));
    let status = gateway_post(false, body);
    assert_eq!(provider.verify(&status), Ok(()));
    assert!(
        matches!(
            provider.parse_webhook(&status),
            Err(WebhookError::Malformed(_))
        ),
        "a message is no delivery report"
    );
    let report = gateway_post(
        false,
        r#"{"data":{"reference":"ctc-sms-1","status":"DELIVRD"}}"#,
    );
    assert_eq!(
        receive(&provider, &report)
            .into_iter()
            .map(|e| e.kind)
            .collect::<Vec<_>>(),
        vec![EventKind::Delivered],
        "reports still arrive at the account's own URL"
    );
}

#[test]
fn an_http_sms_gateway_without_an_inbound_webhook_stays_one_way() {
    let one_way = build(ProviderConfig::HttpSms(http_sms::Config {
        url: "https://sms.gateway.example/api/send".into(),
        format: http_sms::Format::Json,
        auth: http_sms::Auth::None,
        fields: http_sms::Fields::default(),
        from: None,
        strip_plus: false,
        static_fields: BTreeMap::new(),
        response_id_pointer: None,
        error_code_pointer: None,
        bad_address_codes: vec![],
        status_webhook: None,
        inbound_webhook: None,
    }));
    assert!(!one_way.capabilities().two_way);
    let request = gateway_post(true, fixture("http_sms_inbound.json"));
    assert_eq!(one_way.verify(&request), Err(WebhookError::NotSupported));
    assert_eq!(
        one_way.parse_webhook(&request).map(|(events, _)| events),
        Err(WebhookError::NotSupported)
    );
}

#[test]
fn the_gateways_inbound_configuration_names_the_field_at_fault() {
    let parsed: Result<ProviderConfig, _> = serde_json::from_value(serde_json::json!({
        "kind": "http_sms",
        "url": "https://sms.gateway.example/api/send",
        "inbound_webhook": {
            "secret": GATEWAY_SECRET,
            "from_pointer": "/from",
            "text_pointer": "text",
            "id_pointer": "/id"
        }
    }));
    let config = match parsed {
        Ok(config) => config,
        Err(error) => panic!("an http_sms configuration: {error}"),
    };
    assert_eq!(
        config.validate().map_err(|e| e.field),
        Err("inbound_webhook.text_pointer".into())
    );
    let shown = serde_json::to_string(&config).unwrap_or_default();
    assert!(!shown.contains(GATEWAY_SECRET), "{shown}");
    assert!(
        shown.contains("\"signature_header\":\"X-Signature\""),
        "{shown}"
    );
    let missing: Result<ProviderConfig, _> = serde_json::from_value(serde_json::json!({
        "kind": "http_sms",
        "url": "https://sms.gateway.example/api/send",
        "inbound_webhook": {"secret": GATEWAY_SECRET, "from_pointer": "/from", "id_pointer": "/id"}
    }));
    let error = missing.map(|_| ()).map_err(|e| e.to_string());
    assert!(
        error.as_ref().is_err_and(|e| e.contains("text_pointer")),
        "{error:?}"
    );
}

/// A text of `bytes` bytes or more: ASCII, then two-byte characters, so the 64 KiB mark falls
/// inside a character.
pub fn huge_text(bytes: usize) -> String {
    let mut text = String::from("Ya pagué. ");
    while text.len() < bytes {
        text.push('é');
    }
    text
}

fn assert_bounded(events: &[ProviderEvent], sent: &str) {
    let (_, text, _, _) = reply(events);
    assert!(text.len() <= MAX_REPLY_BYTES, "{} bytes", text.len());
    assert!(
        text.len() > MAX_REPLY_BYTES - 4,
        "cut at the mark, not before"
    );
    assert!(sent.starts_with(&text), "the start of what was sent");
}

#[test]
fn replies_over_64_kib_are_kept_cut_on_a_character_boundary() {
    let sent = huge_text(MAX_REPLY_BYTES + 5_000);
    assert!(
        !sent.is_char_boundary(MAX_REPLY_BYTES),
        "the mark splits a character"
    );

    let form = serde_urlencoded::to_string([
        ("MessageSid", "SMbig"),
        ("SmsStatus", "received"),
        ("From", "+573001234567"),
        ("Body", sent.as_str()),
    ])
    .unwrap_or_default();
    assert_bounded(&receive(&twilio_sms(), &twilio_post(SMS_URL, form)), &sent);

    let notification = serde_json::json!({
        "object": "whatsapp_business_account",
        "entry": [{"changes": [{"field": "messages", "value": {"messages": [
            {"from": "573001234567", "id": "wamid.BIG", "timestamp": "1764946800",
             "type": "text", "text": {"body": sent}}
        ]}}]}]
    });
    assert_bounded(
        &receive(&whatsapp(), &meta_post(notification.to_string())),
        &sent,
    );

    let report = serde_json::json!({
        "type": "contact.replied",
        "data": {"contact_id": "ctc_01M95YC89YXTYW28WJ0JGYGNZG", "from": "+573001234567", "text": sent}
    });
    assert_bounded(
        &receive(&webhook(), &standard_post("evt_big", report.to_string())),
        &sent,
    );

    let message =
        serde_json::json!({"data": {"id": "mo-big", "msisdn": "573001234567", "message": sent}});
    assert_bounded(
        &receive(&gateway(), &gateway_post(true, message.to_string())),
        &sent,
    );
}
