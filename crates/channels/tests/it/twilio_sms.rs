//! Twilio SMS: the exact request to the Messages API, the mapping of each answer, and the
//! signed status callbacks and inbound messages.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{TimeZone, Utc};
use rust_decimal::Decimal;
use wiremock::matchers::{basic_auth, body_string, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use recaudo_channels::providers::twilio_sms::{self, Config};
use recaudo_channels::{
    ChannelProvider, Content, EventKind, OutboundMessage, ProviderConfig, ProviderEnv, SendError,
    SmsContent, SmsEncoding, VoiceContent, WebhookError, WebhookRequest,
};
use recaudo_domain::portfolio::{Channel, Language};
use recaudo_domain::{ContactId, Currency, Money, Secret};

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "auth-token-123";
const MESSAGES_PATH: &str = "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json";
const CALLBACK: &str = "https://collect.example.com/webhooks/twilio-main/status";

fn config(base_url: &str) -> Config {
    Config {
        account_sid: SID.into(),
        auth_token: Secret::new(TOKEN.into()),
        from: Some("+15005550006".into()),
        messaging_service_sid: None,
        base_url: base_url.into(),
    }
}

fn env() -> ProviderEnv {
    ProviderEnv::new(std::env::temp_dir(), None)
}

fn build(config: Config) -> twilio_sms::Provider {
    match ProviderConfig::TwilioSms(config).build(&env()) {
        Ok(recaudo_channels::Provider::TwilioSms(p)) => p,
        Ok(_) => panic!("another provider was built"),
        Err(e) => panic!("a valid configuration builds: {e}"),
    }
}

fn sms(body: &str) -> OutboundMessage {
    OutboundMessage {
        contact_id: ContactId::generate(),
        idempotency_key: "ctc-key-0001".into(),
        channel: Channel::Sms,
        to: "+573001234567".into(),
        postal: None,
        recipient_name: "Ana Gómez".into(),
        language: Language::Es,
        locale: "es-CO".into(),
        sender_name: "Acueducto".into(),
        content: Content::Sms(SmsContent {
            body: body.into(),
            encoding: SmsEncoding::Gsm7,
            segments: 1,
        }),
        status_callback: Some(CALLBACK.into()),
        gather_callback: None,
        reply_token: None,
        segment: None,
        now: Utc.with_ymd_and_hms(2026, 12, 2, 15, 0, 0).unwrap(),
    }
}

fn created(sid: &str, price: Option<&str>) -> ResponseTemplate {
    ResponseTemplate::new(201).set_body_json(serde_json::json!({
        "account_sid": SID,
        "sid": sid,
        "status": "queued",
        "to": "+573001234567",
        "from": "+15005550006",
        "body": "Hola",
        "price": price,
        "price_unit": "USD",
        "error_code": null,
    }))
}

#[tokio::test]
async fn a_message_is_posted_as_twilio_expects_and_its_sid_and_price_are_kept() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES_PATH))
        .and(basic_auth(SID, TOKEN))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(header("idempotency-key", "ctc-key-0001"))
        .and(body_string(
            "To=%2B573001234567&From=%2B15005550006\
             &Body=Hola+Ana%2C+pague+%241.000+aqu%C3%AD%3A+https%3A%2F%2Fpay.example%2Fp%2Fabc\
             &StatusCallback=https%3A%2F%2Fcollect.example.com%2Fwebhooks%2Ftwilio-main%2Fstatus",
        ))
        .respond_with(created(
            "SM0123456789abcdef0123456789abcdef",
            Some("-0.0075"),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let provider = build(config(&server.uri()));
    let ack = provider
        .send(&sms(
            "Hola Ana, pague $1.000 aquí: https://pay.example/p/abc",
        ))
        .await
        .expect("sent");
    assert_eq!(
        ack.provider_message_id,
        "SM0123456789abcdef0123456789abcdef"
    );
    assert_eq!(
        ack.cost,
        Some(Money::new(Decimal::new(75, 4), Currency::Usd)),
        "Twilio's negative price is the cost's absolute value"
    );
}

#[tokio::test]
async fn a_messaging_service_replaces_from_and_no_callback_means_no_status_callback() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES_PATH))
        .and(body_string(
            "To=%2B573001234567&MessagingServiceSid=MG0123456789abcdef0123456789abcdef&Body=Hola",
        ))
        .respond_with(created("SM1", None))
        .expect(1)
        .mount(&server)
        .await;
    let provider = build(Config {
        from: None,
        messaging_service_sid: Some("MG0123456789abcdef0123456789abcdef".into()),
        ..config(&server.uri())
    });
    let mut message = sms("Hola");
    message.status_callback = None;
    let ack = provider.send(&message).await.expect("sent");
    assert_eq!(ack.provider_message_id, "SM1");
    assert_eq!(ack.cost, None, "no price yet: the account's cost applies");
}

async fn answer_with(response: ResponseTemplate) -> SendError {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES_PATH))
        .respond_with(response)
        .expect(1)
        .mount(&server)
        .await;
    build(config(&server.uri()))
        .send(&sms("Hola"))
        .await
        .expect_err("refused")
}

fn twilio_error(status: u16, code: u32, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(serde_json::json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status,
    }))
}

#[tokio::test]
async fn each_error_answer_maps_to_retryable_permanent_or_bad_address() {
    assert_eq!(
        answer_with(twilio_error(
            400,
            21211,
            "The 'To' number +57300 is not a valid phone number."
        ))
        .await,
        SendError::bad_address(
            "21211",
            "The 'To' number +57300 is not a valid phone number."
        )
    );
    assert_eq!(
        answer_with(twilio_error(
            400,
            21614,
            "'To' number is not a valid mobile number"
        ))
        .await,
        SendError::bad_address("21614", "'To' number is not a valid mobile number")
    );
    assert_eq!(
        answer_with(twilio_error(
            400,
            21610,
            "Attempt to send to unsubscribed recipient"
        ))
        .await,
        SendError::bad_address("21610", "Attempt to send to unsubscribed recipient")
    );
    // The account may not send to the region: the tenant's setting, not the debtor's number.
    assert_eq!(
        answer_with(twilio_error(
            400,
            21408,
            "Permission to send an SMS has not been enabled"
        ))
        .await,
        SendError::permanent("21408", "Permission to send an SMS has not been enabled")
    );
    assert_eq!(
        answer_with(twilio_error(401, 20003, "Authenticate")).await,
        SendError::permanent("20003", "Authenticate")
    );
    assert_eq!(
        answer_with(
            twilio_error(429, 20429, "Too Many Requests").insert_header("Retry-After", "30")
        )
        .await,
        SendError::Retryable {
            message: "Twilio answered 429: Too Many Requests".into(),
            retry_after: Some(Duration::from_secs(30)),
        }
    );
    assert_eq!(
        answer_with(ResponseTemplate::new(503).insert_header("Retry-After", "5")).await,
        SendError::Retryable {
            message: "Twilio answered 503: ".into(),
            retry_after: Some(Duration::from_secs(5)),
        }
    );
    assert!(
        answer_with(twilio_error(500, 20500, "Internal Server Error"))
            .await
            .is_retryable()
    );
    match answer_with(ResponseTemplate::new(201).set_body_string("<html>oops</html>")).await {
        SendError::Retryable { message, .. } => {
            assert!(
                message.contains("<html>oops</html>"),
                "the raw answer is kept: {message}"
            )
        }
        other => panic!("an answer that does not parse is retryable, got {other:?}"),
    }
}

#[tokio::test]
async fn timeouts_and_refused_connections_are_retryable() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(created("SM1", None).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    // Installs the TLS provider the client builder needs.
    let _ = recaudo_channels::http_client();
    let env = ProviderEnv {
        http: reqwest::Client::builder()
            .timeout(Duration::from_millis(200))
            .build()
            .expect("a client"),
        ..env()
    };
    let provider = twilio_sms::Provider::new(config(&server.uri()), &env).expect("builds");
    match provider.send(&sms("Hola")).await {
        Err(SendError::Retryable { message, .. }) => {
            assert!(message.contains("timed out"), "{message}")
        }
        other => panic!("a timeout is retryable, got {other:?}"),
    }
    let refused = build(config("http://127.0.0.1:9"));
    assert!(
        refused
            .send(&sms("Hola"))
            .await
            .expect_err("nothing listens")
            .is_retryable()
    );
}

#[tokio::test]
async fn a_bad_number_or_wrong_content_never_reaches_twilio() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(created("SM1", None))
        .expect(0)
        .mount(&server)
        .await;
    let provider = build(config(&server.uri()));
    let mut message = sms("Hola");
    message.to = "3001234567".into();
    assert!(matches!(
        provider.send(&message).await,
        Err(SendError::Permanent {
            address_unusable: true,
            ..
        })
    ));
    let mut voice = sms("Hola");
    voice.content = Content::Voice(VoiceContent {
        script: "Hola".into(),
        say_language: "es-MX".into(),
        menu: "Marque 1".into(),
    });
    assert!(matches!(
        provider.send(&voice).await,
        Err(SendError::Permanent { ref code, address_unusable: false, .. }) if code == "wrong_content"
    ));
}

#[test]
fn the_configuration_is_checked_field_by_field_and_shown_masked() {
    let ok: ProviderConfig = serde_json::from_value(serde_json::json!({
        "kind": "twilio_sms",
        "account_sid": SID,
        "auth_token": TOKEN,
        "from": "+15005550006",
    }))
    .expect("parses");
    assert_eq!(ok.validate(), Ok(()));
    let shown = serde_json::to_string(&ok).expect("serializes");
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(shown.contains("\"auth_token\":\"***\""), "{shown}");
    assert!(
        shown.contains("\"base_url\":\"https://api.twilio.com\""),
        "{shown}"
    );

    let field = |config: Config| config.validate().map_err(|e| e.field);
    let base = config("https://api.twilio.com");
    assert_eq!(
        field(Config {
            auth_token: Secret::new(String::new()),
            ..base.clone()
        }),
        Err("auth_token".into())
    );
    assert_eq!(
        field(Config {
            account_sid: "AC123".into(),
            ..base.clone()
        }),
        Err("account_sid".into())
    );
    assert_eq!(
        field(Config {
            from: None,
            ..base.clone()
        }),
        Err("from".into())
    );
    assert_eq!(
        field(Config {
            from: Some("3001234567".into()),
            ..base.clone()
        }),
        Err("from".into())
    );
    assert_eq!(
        field(Config {
            messaging_service_sid: Some("MG0123456789abcdef0123456789abcdef".into()),
            ..base.clone()
        }),
        Err("messaging_service_sid".into())
    );
    assert_eq!(
        field(Config {
            base_url: "ftp://x".into(),
            ..base.clone()
        }),
        Err("base_url".into())
    );
    let unknown = serde_json::from_value::<ProviderConfig>(serde_json::json!({
        "kind": "twilio_sms", "account_sid": SID, "auth_token": TOKEN, "from": "+15005550006",
        "colour": "blue",
    }));
    assert!(unknown.is_err(), "an unknown field is refused");
}

/// Twilio's signature, computed here from its definition rather than by the crate.
fn twilio_signature(token: &str, url: &str, params: &[(&str, &str)]) -> String {
    let mut sorted = params.to_vec();
    sorted.sort();
    let mut data = url.to_string();
    for (k, v) in sorted {
        data.push_str(k);
        data.push_str(v);
    }
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, token.as_bytes());
    STANDARD.encode(ring::hmac::sign(&key, data.as_bytes()).as_ref())
}

fn webhook(params: &[(&str, &str)], signature: Option<String>) -> WebhookRequest {
    let mut request = WebhookRequest {
        method: "POST".into(),
        url: CALLBACK.into(),
        body: serde_urlencoded::to_string(params).expect("encodes").into(),
        ..WebhookRequest::default()
    };
    request.headers.insert(
        "content-type".into(),
        "application/x-www-form-urlencoded".into(),
    );
    if let Some(signature) = signature {
        request
            .headers
            .insert("x-twilio-signature".into(), signature);
    }
    request
}

fn signed(params: &[(&str, &str)]) -> WebhookRequest {
    webhook(params, Some(twilio_signature(TOKEN, CALLBACK, params)))
}

const DELIVERED: &[(&str, &str)] = &[
    ("SmsSid", "SM0123"),
    ("SmsStatus", "delivered"),
    ("MessageStatus", "delivered"),
    ("To", "+573001234567"),
    ("MessageSid", "SM0123"),
    ("AccountSid", SID),
    ("From", "+15005550006"),
    ("ApiVersion", "2010-04-01"),
];

#[test]
fn a_signed_callback_verifies_and_a_forged_or_unsigned_one_is_refused() {
    let provider = build(config("https://api.twilio.com"));
    assert_eq!(provider.verify(&signed(DELIVERED)), Ok(()));

    let mut behind_proxy = signed(DELIVERED);
    behind_proxy.url = "https://collect.example.com:443/webhooks/twilio-main/status".into();
    assert_eq!(
        provider.verify(&behind_proxy),
        Ok(()),
        "the default port may show"
    );

    let other_token = webhook(
        DELIVERED,
        Some(twilio_signature("another-token", CALLBACK, DELIVERED)),
    );
    assert!(matches!(
        provider.verify(&other_token),
        Err(WebhookError::Forged(_))
    ));

    let mut tampered = signed(DELIVERED);
    tampered.body = serde_urlencoded::to_string(
        DELIVERED
            .iter()
            .map(|&(k, v)| (k, if k == "MessageStatus" { "failed" } else { v }))
            .collect::<Vec<_>>(),
    )
    .expect("encodes")
    .into();
    assert!(matches!(
        provider.verify(&tampered),
        Err(WebhookError::Forged(_))
    ));

    let mut other_url = signed(DELIVERED);
    other_url.url = "https://collect.example.com/webhooks/another/status".into();
    assert!(matches!(
        provider.verify(&other_url),
        Err(WebhookError::Forged(_))
    ));

    assert!(matches!(
        provider.verify(&webhook(DELIVERED, None)),
        Err(WebhookError::Unsigned(_))
    ));
    assert!(matches!(
        provider.verify(&webhook(DELIVERED, Some("not base64!".into()))),
        Err(WebhookError::Forged(_))
    ));
}

fn events_of(params: &[(&str, &str)]) -> Vec<recaudo_channels::ProviderEvent> {
    let provider = build(config("https://api.twilio.com"));
    let request = signed(params);
    provider.verify(&request).expect("signed");
    let (events, reply) = provider.parse_webhook(&request).expect("parses");
    assert_eq!(reply.content_type.as_deref(), Some("text/xml"));
    events
}

fn status(status: &str, error: Option<&str>) -> Vec<recaudo_channels::ProviderEvent> {
    let mut params = vec![
        ("MessageSid", "SM0123"),
        ("MessageStatus", status),
        ("To", "+573001234567"),
        ("AccountSid", SID),
    ];
    if let Some(code) = error {
        params.push(("ErrorCode", code));
    }
    events_of(&params)
}

#[test]
fn status_callbacks_map_to_our_events() {
    for quiet in ["queued", "accepted", "sending"] {
        assert_eq!(status(quiet, None), vec![], "{quiet} reports nothing");
    }
    let sent = status("sent", None);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].kind, EventKind::Sent);
    assert_eq!(sent[0].provider_message_id.as_deref(), Some("SM0123"));
    assert_eq!(sent[0].dedupe_key, "twilio:SM0123:sent");

    let delivered = events_of(DELIVERED);
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].kind, EventKind::Delivered);
    assert_eq!(
        delivered[0].dedupe_key,
        events_of(DELIVERED)[0].dedupe_key,
        "a replay has the same key"
    );

    assert_eq!(status("read", None)[0].kind, EventKind::Opened);

    for (code, unusable) in [
        ("30003", true),
        ("30005", true),
        ("30006", true),
        ("30007", false),
    ] {
        match &status("undelivered", Some(code))[0].kind {
            EventKind::Failed {
                code: Some(given),
                address_unusable,
                ..
            } => {
                assert_eq!(given, code);
                assert_eq!(*address_unusable, unusable, "{code}");
            }
            other => panic!("undelivered is a failure, got {other:?}"),
        }
    }
    assert!(matches!(
        status("failed", None)[0].kind,
        EventKind::Failed {
            code: None,
            address_unusable: false,
            ..
        }
    ));
}

#[test]
fn an_inbound_message_is_a_reply_and_an_opt_out_word_also_unsubscribes() {
    let inbound = [
        ("ToCountry", "CO"),
        ("SmsMessageSid", "SM9999"),
        ("NumMedia", "0"),
        ("SmsSid", "SM9999"),
        ("SmsStatus", "received"),
        ("Body", "Ya pagué ayer, ¿pueden verificar?"),
        ("To", "+15005550006"),
        ("MessageSid", "SM9999"),
        ("AccountSid", SID),
        ("From", "+573001234567"),
        ("ApiVersion", "2010-04-01"),
    ];
    let events = events_of(&inbound);
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].kind,
        EventKind::Replied {
            from: "+573001234567".into(),
            text: "Ya pagué ayer, ¿pueden verificar?".into(),
            reply_token: None,
        }
    );
    assert_eq!(events[0].dedupe_key, "twilio:SM9999:replied");

    let stop = [
        ("SmsStatus", "received"),
        ("Body", " sair "),
        ("MessageSid", "SM9998"),
        ("From", "+5511987654321"),
        ("To", "+15005550006"),
    ];
    let events = events_of(&stop);
    assert_eq!(events.len(), 2);
    assert_eq!(
        events[1].kind,
        EventKind::Unsubscribed {
            address: Some("+5511987654321".into())
        }
    );
    assert_eq!(events[1].dedupe_key, "twilio:SM9998:opted_out");
}

#[test]
fn a_malformed_callback_is_refused_without_panicking() {
    let provider = build(config("https://api.twilio.com"));
    for body in [
        &[("MessageStatus", "delivered")][..],
        &[("SmsStatus", "received"), ("MessageSid", "SM1")][..],
        &[("Nothing", "here")][..],
    ] {
        assert!(
            matches!(
                provider.parse_webhook(&signed(body)),
                Err(WebhookError::Malformed(_))
            ),
            "{body:?}"
        );
    }
    assert_eq!(
        provider
            .parse_webhook(&signed(&[
                ("MessageStatus", "teleported"),
                ("MessageSid", "SM1")
            ]))
            .map(|(events, _)| events),
        Ok(vec![]),
        "a status Twilio adds later is logged and reports nothing"
    );
    let mut garbage = signed(&[]);
    garbage.body = bytes::Bytes::from_static(&[0xff, 0xfe, b'=', 0x00]);
    assert!(provider.parse_webhook(&garbage).is_err());
}

proptest::proptest! {
    // Each case builds a provider (and its HTTP client): a few dozen cases cover the parser.
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
    #[test]
    fn any_body_is_read_or_refused_without_panicking(body in proptest::collection::vec(proptest::num::u8::ANY, 0..256)) {
        let provider = build(config("https://api.twilio.com"));
        let mut request = signed(&[]);
        request.body = body.into();
        let _ = provider.verify(&request);
        let _ = provider.parse_webhook(&request);
    }
}
