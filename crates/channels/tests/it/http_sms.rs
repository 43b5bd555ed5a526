//! The HTTP SMS gateway: JSON and form requests with each kind of auth, the id read from the
//! answer, error mapping, and signed status reports read through JSON pointers.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use wiremock::matchers::{basic_auth, bearer_token, body_json, body_string, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use recaudo_channels::providers::http_sms::{
    self, Auth, Config, Fields, Format, Status, StatusWebhook,
};
use recaudo_channels::{
    ChannelProvider, Content, EventKind, OutboundMessage, ProviderConfig, ProviderEnv, SendError,
    SmsContent, SmsEncoding, WebhookError, WebhookRequest,
};
use recaudo_domain::portfolio::{Channel, Language};
use recaudo_domain::{ContactId, Secret};

const KEY: &str = "ctc-sms-0042";
const WEBHOOK_SECRET: &str = "gateway-webhook-secret";

fn config(url: String) -> Config {
    Config {
        url,
        format: Format::Json,
        auth: Auth::None,
        fields: Fields::default(),
        from: None,
        strip_plus: false,
        static_fields: BTreeMap::new(),
        response_id_pointer: None,
        error_code_pointer: None,
        bad_address_codes: vec![],
        status_webhook: None,
        inbound_webhook: None,
    }
}

fn build(config: Config) -> http_sms::Provider {
    match ProviderConfig::HttpSms(config).build(&ProviderEnv::new(std::env::temp_dir(), None)) {
        Ok(recaudo_channels::Provider::HttpSms(p)) => p,
        Ok(_) => panic!("another provider was built"),
        Err(e) => panic!("a valid configuration builds: {e}"),
    }
}

fn sms() -> OutboundMessage {
    OutboundMessage {
        contact_id: ContactId::generate(),
        idempotency_key: KEY.into(),
        channel: Channel::Sms,
        to: "+5511987654321".into(),
        postal: None,
        recipient_name: "Maria Souza".into(),
        language: Language::Pt,
        locale: "pt-BR".into(),
        sender_name: "Energia Sul".into(),
        content: Content::Sms(SmsContent {
            body: "Olá Maria, sua fatura de R$ 120,50 vence hoje. Pague: https://p.example/p/x SAIR p/ sair".into(),
            encoding: SmsEncoding::Ucs2,
            segments: 2,
        }),
        status_callback: None,
        gather_callback: None,
        reply_token: None,
        segment: None,
        now: Utc.with_ymd_and_hms(2026, 12, 2, 13, 0, 0).unwrap(),
    }
}

const BODY: &str =
    "Olá Maria, sua fatura de R$ 120,50 vence hoje. Pague: https://p.example/p/x SAIR p/ sair";

#[tokio::test]
async fn a_json_gateway_with_a_bearer_token_gets_the_named_fields_and_its_id_is_read() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/sms"))
        .and(bearer_token("gw-token"))
        .and(header("content-type", "application/json"))
        .and(header("idempotency-key", KEY))
        .and(body_json(serde_json::json!({
            "destination": "+5511987654321",
            "message": BODY,
            "sender": "EnergiaSul",
            "client_ref": KEY,
            "priority": 2,
            "flash": false,
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "messages": [{"id": 987654, "status": "ACCEPTED"}],
        })))
        .expect(1)
        .mount(&server)
        .await;
    let provider = build(Config {
        auth: Auth::Bearer {
            token: Secret::new("gw-token".into()),
        },
        fields: Fields {
            to: "destination".into(),
            body: "message".into(),
            from: Some("sender".into()),
            reference: Some("client_ref".into()),
        },
        from: Some("EnergiaSul".into()),
        static_fields: BTreeMap::from([
            ("priority".to_string(), serde_json::json!(2)),
            ("flash".to_string(), serde_json::json!(false)),
        ]),
        response_id_pointer: Some("/messages/0/id".into()),
        ..config(format!("{}/v2/sms", server.uri()))
    });
    let ack = provider.send(&sms()).await.expect("sent");
    assert_eq!(
        ack.provider_message_id, "987654",
        "a numeric id is kept as text"
    );
    assert_eq!(ack.cost, None);
}

#[tokio::test]
async fn a_form_gateway_with_basic_auth_gets_an_exact_form_and_the_key_is_the_id() {
    let server = MockServer::start().await;
    let form = serde_urlencoded::to_string([
        ("to", "5511987654321"),
        ("text", BODY),
        ("ref", KEY),
        ("account", "energia"),
    ])
    .expect("encodes");
    Mock::given(method("POST"))
        .and(path("/send"))
        .and(basic_auth("energia", "s3cret"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(header("idempotency-key", KEY))
        .and(body_string(form))
        .respond_with(ResponseTemplate::new(202).set_body_string("OK"))
        .expect(1)
        .mount(&server)
        .await;
    let provider = build(Config {
        format: Format::Form,
        auth: Auth::Basic {
            username: "energia".into(),
            password: Secret::new("s3cret".into()),
        },
        fields: Fields {
            to: "to".into(),
            body: "text".into(),
            from: None,
            reference: Some("ref".into()),
        },
        strip_plus: true,
        static_fields: BTreeMap::from([("account".to_string(), serde_json::json!("energia"))]),
        ..config(format!("{}/send", server.uri()))
    });
    let ack = provider.send(&sms()).await.expect("sent");
    assert_eq!(ack.provider_message_id, KEY);
}

#[tokio::test]
async fn a_header_key_is_sent_as_configured_and_no_auth_sends_no_authorization() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/keyed"))
        .and(header("x-api-key", "k-123"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/open"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    build(Config {
        auth: Auth::Header {
            name: "X-API-Key".into(),
            value: Secret::new("k-123".into()),
        },
        ..config(format!("{}/keyed", server.uri()))
    })
    .send(&sms())
    .await
    .expect("sent");
    build(config(format!("{}/open", server.uri())))
        .send(&sms())
        .await
        .expect("sent");
    let requests = server.received_requests().await.expect("recorded");
    let open = requests
        .iter()
        .find(|r| r.url.path() == "/open")
        .expect("the open gateway was called");
    assert!(!open.headers.contains_key("authorization"));
    assert!(!open.headers.contains_key("x-api-key"));
    let body: serde_json::Value = serde_json::from_slice(&open.body).expect("JSON");
    assert_eq!(
        body,
        serde_json::json!({"to": "+5511987654321", "body": BODY, "reference": KEY}),
        "the default field names; no from without a sender"
    );
}

async fn answer_with(response: ResponseTemplate, tweak: impl FnOnce(&mut Config)) -> SendError {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(response)
        .expect(1)
        .mount(&server)
        .await;
    let mut config = config(format!("{}/sms", server.uri()));
    tweak(&mut config);
    build(config).send(&sms()).await.expect_err("refused")
}

#[tokio::test]
async fn error_answers_map_to_retryable_permanent_or_bad_address() {
    let with_codes = |config: &mut Config| {
        config.error_code_pointer = Some("/error/code".into());
        config.bad_address_codes = vec!["INVALID_MSISDN".into()];
    };
    let invalid = answer_with(
        ResponseTemplate::new(400).set_body_json(
            serde_json::json!({"error": {"code": "INVALID_MSISDN", "text": "bad number"}}),
        ),
        with_codes,
    )
    .await;
    assert!(
        matches!(&invalid, SendError::Permanent { code, address_unusable: true, message }
            if code == "INVALID_MSISDN" && message.contains("bad number")),
        "{invalid:?}"
    );
    let balance = answer_with(
        ResponseTemplate::new(402)
            .set_body_json(serde_json::json!({"error": {"code": 17, "text": "no credit"}})),
        with_codes,
    )
    .await;
    assert!(
        matches!(&balance, SendError::Permanent { code, address_unusable: false, .. } if code == "17"),
        "{balance:?}"
    );
    let plain = answer_with(ResponseTemplate::new(422).set_body_string("nope"), |_| {}).await;
    assert_eq!(
        plain,
        SendError::permanent("http_422", "the gateway answered 422: nope")
    );
    assert_eq!(
        answer_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "5")
                .set_body_string("slow down"),
            |_| {}
        )
        .await,
        SendError::Retryable {
            message: "the gateway answered 429: slow down".into(),
            retry_after: Some(Duration::from_secs(5)),
        }
    );
    assert!(
        answer_with(ResponseTemplate::new(502), |_| {})
            .await
            .is_retryable()
    );
    let no_id = answer_with(
        ResponseTemplate::new(200).set_body_json(serde_json::json!({"messages": []})),
        |config| config.response_id_pointer = Some("/messages/0/id".into()),
    )
    .await;
    assert!(
        matches!(&no_id, SendError::Retryable { message, .. } if message.contains("/messages/0/id")),
        "{no_id:?}"
    );
    let garbage = answer_with(
        ResponseTemplate::new(200).set_body_string("<html>maintenance</html>"),
        |config| config.response_id_pointer = Some("/id".into()),
    )
    .await;
    assert!(
        matches!(&garbage, SendError::Retryable { message, .. } if message.contains("<html>maintenance</html>")),
        "the raw answer is kept: {garbage:?}"
    );
}

#[test]
fn the_configuration_names_the_field_at_fault_and_masks_every_secret() {
    let field = |config: Config| config.validate().map_err(|e| e.field);
    let base = config("https://gw.example/sms".into());
    assert_eq!(field(base.clone()), Ok(()));
    assert_eq!(field(config(String::new())), Err("url".into()));
    assert_eq!(field(config("gw.example/sms".into())), Err("url".into()));
    assert_eq!(
        field(Config {
            auth: Auth::Bearer {
                token: Secret::new(String::new())
            },
            ..base.clone()
        }),
        Err("auth.token".into())
    );
    assert_eq!(
        field(Config {
            auth: Auth::Header {
                name: "Bad Header".into(),
                value: Secret::new("v".into())
            },
            ..base.clone()
        }),
        Err("auth.name".into())
    );
    assert_eq!(
        field(Config {
            response_id_pointer: Some("messages.0.id".into()),
            ..base.clone()
        }),
        Err("response_id_pointer".into())
    );
    assert_eq!(
        field(Config {
            format: Format::Form,
            static_fields: BTreeMap::from([("nested".to_string(), serde_json::json!({"a": 1}))]),
            ..base.clone()
        }),
        Err("static_fields.nested".into())
    );
    assert_eq!(
        field(Config {
            from: Some("ACME".into()),
            fields: Fields {
                from: None,
                ..Fields::default()
            },
            ..base.clone()
        }),
        Err("fields.from".into())
    );
    assert_eq!(
        field(Config {
            status_webhook: Some(Box::new(StatusWebhook {
                statuses: BTreeMap::new(),
                ..status_webhook()
            })),
            ..base.clone()
        }),
        Err("status_webhook.statuses".into())
    );

    assert_eq!(
        field(Config {
            fields: Fields {
                body: "to".into(),
                ..Fields::default()
            },
            ..base.clone()
        }),
        Err("fields.body".into())
    );
    assert_eq!(
        field(Config {
            static_fields: BTreeMap::from([("to".to_string(), serde_json::json!("x"))]),
            ..base.clone()
        }),
        Err("static_fields.to".into())
    );

    let saved: ProviderConfig = serde_json::from_value(serde_json::json!({
        "kind": "http_sms",
        "url": "https://gw.example/sms",
        "format": "form",
        "auth": {"type": "basic", "username": "u", "password": "pw-secret"},
        "fields": {"to": "msisdn", "body": "text"},
        "status_webhook": {
            "secret": WEBHOOK_SECRET,
            "id_pointer": "/ref",
            "status_pointer": "/state",
            "statuses": {"DELIVRD": "delivered"},
        },
    }))
    .expect("parses");
    assert_eq!(saved.validate(), Ok(()));
    let shown = serde_json::to_string(&saved).expect("serializes");
    assert!(
        !shown.contains("pw-secret") && !shown.contains(WEBHOOK_SECRET),
        "{shown}"
    );
    assert!(
        shown.contains("\"signature_header\":\"X-Signature\""),
        "{shown}"
    );
    assert!(shown.contains("\"reference\":\"reference\""), "{shown}");
    for (name, value) in [
        (
            "bearer",
            serde_json::json!({"kind": "http_sms", "url": "https://gw.example", "auth": {"type": "bearer", "token": "tok-secret"}}),
        ),
        (
            "header",
            serde_json::json!({"kind": "http_sms", "url": "https://gw.example", "auth": {"type": "header", "name": "X-Key", "value": "tok-secret"}}),
        ),
    ] {
        let config: ProviderConfig = serde_json::from_value(value).expect(name);
        let shown = serde_json::to_string(&config).expect("serializes");
        assert!(!shown.contains("tok-secret"), "{name}: {shown}");
    }
    assert!(
        serde_json::from_value::<ProviderConfig>(serde_json::json!({
            "kind": "http_sms", "url": "https://gw.example", "auth": {"type": "oauth"},
        }))
        .is_err(),
        "an unknown auth is refused"
    );
}

fn status_webhook() -> StatusWebhook {
    StatusWebhook {
        secret: Secret::new(WEBHOOK_SECRET.into()),
        signature_header: "X-Signature".into(),
        id_pointer: "/data/message_id".into(),
        status_pointer: "/data/status".into(),
        error_pointer: Some("/data/error_code".into()),
        statuses: BTreeMap::from([
            ("SENT".to_string(), Status::Sent),
            ("DELIVRD".to_string(), Status::Delivered),
            ("REJECTD".to_string(), Status::Failed),
            ("UNDELIV".to_string(), Status::Undelivered),
        ]),
    }
}

fn reporting() -> http_sms::Provider {
    build(Config {
        status_webhook: Some(Box::new(status_webhook())),
        ..config("https://gw.example/sms".into())
    })
}

fn hex_hmac(secret: &str, body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret.as_bytes());
    hex::encode(ring::hmac::sign(&key, body).as_ref())
}

fn report(body: &str, signature: Option<String>) -> WebhookRequest {
    let mut request = WebhookRequest {
        method: "POST".into(),
        url: "https://collect.example.com/webhooks/gw/status".into(),
        body: body.to_string().into(),
        ..WebhookRequest::default()
    };
    request
        .headers
        .insert("content-type".into(), "application/json".into());
    if let Some(signature) = signature {
        request.headers.insert("x-signature".into(), signature);
    }
    request
}

fn signed(body: &str) -> WebhookRequest {
    report(body, Some(hex_hmac(WEBHOOK_SECRET, body.as_bytes())))
}

const DELIVERED: &str =
    r#"{"event":"dlr","data":{"message_id":"gw-77","status":"DELIVRD","error_code":null}}"#;

#[test]
fn a_signed_report_verifies_and_forged_or_unsigned_ones_are_refused() {
    let provider = reporting();
    assert_eq!(provider.verify(&signed(DELIVERED)), Ok(()));
    let prefixed = report(
        DELIVERED,
        Some(format!(
            "sha256={}",
            hex_hmac(WEBHOOK_SECRET, DELIVERED.as_bytes())
        )),
    );
    assert_eq!(provider.verify(&prefixed), Ok(()));
    let forged = report(
        DELIVERED,
        Some(hex_hmac("another secret", DELIVERED.as_bytes())),
    );
    assert!(matches!(
        provider.verify(&forged),
        Err(WebhookError::Forged(_))
    ));
    let mut tampered = signed(DELIVERED);
    tampered.body = DELIVERED.replace("DELIVRD", "UNDELIV").into();
    assert!(matches!(
        provider.verify(&tampered),
        Err(WebhookError::Forged(_))
    ));
    assert!(matches!(
        provider.verify(&report(DELIVERED, None)),
        Err(WebhookError::Unsigned(_))
    ));
    assert_eq!(
        build(config("https://gw.example/sms".into())).verify(&signed(DELIVERED)),
        Err(WebhookError::NotSupported),
        "a gateway without reports takes no webhook"
    );
}

#[test]
fn reports_map_through_the_configured_statuses() {
    let provider = reporting();
    let (events, _) = provider.parse_webhook(&signed(DELIVERED)).expect("parses");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, EventKind::Delivered);
    assert_eq!(events[0].provider_message_id.as_deref(), Some("gw-77"));
    assert_eq!(events[0].dedupe_key, "http_sms:gw-77:DELIVRD");

    let undelivered =
        r#"{"data":{"message_id":"gw-78","status":"UNDELIV","error_code":"E-NOROUTE"}}"#;
    let (events, _) = provider
        .parse_webhook(&signed(undelivered))
        .expect("parses");
    assert_eq!(
        events[0].kind,
        EventKind::Failed {
            code: Some("E-NOROUTE".into()),
            message: Some("the gateway reports the message UNDELIV".into()),
            address_unusable: true,
        }
    );
    let rejected = r#"{"data":{"message_id":"gw-79","status":"REJECTD"}}"#;
    let (events, _) = provider.parse_webhook(&signed(rejected)).expect("parses");
    assert!(matches!(
        &events[0].kind,
        EventKind::Failed { code: Some(code), address_unusable: false, .. } if code == "REJECTD"
    ));
    let (events, _) = provider
        .parse_webhook(&signed(
            r#"{"data":{"message_id":"gw-80","status":"ENROUTE"}}"#,
        ))
        .expect("parses");
    assert_eq!(events, vec![], "an unmapped status reports nothing");

    let mut form = WebhookRequest {
        method: "POST".into(),
        body: "ref=ctc-sms-0042&state=SENT".into(),
        ..WebhookRequest::default()
    };
    form.headers.insert(
        "content-type".into(),
        "application/x-www-form-urlencoded".into(),
    );
    let form_provider = build(Config {
        status_webhook: Some(Box::new(StatusWebhook {
            id_pointer: "/ref".into(),
            status_pointer: "/state".into(),
            error_pointer: None,
            ..status_webhook()
        })),
        ..config("https://gw.example/sms".into())
    });
    let (events, _) = form_provider.parse_webhook(&form).expect("a form report");
    assert_eq!(events[0].kind, EventKind::Sent);
    assert_eq!(events[0].provider_message_id.as_deref(), Some(KEY));
}

#[test]
fn a_malformed_report_is_refused_without_panicking() {
    let provider = reporting();
    for body in [
        "",
        "not json",
        "[]",
        r#"{"data":{"status":"DELIVRD"}}"#,
        r#"{"data":{"message_id":"gw-1"}}"#,
        r#"{"data":{"message_id":{"nested":1},"status":"DELIVRD"}}"#,
    ] {
        assert!(
            matches!(
                provider.parse_webhook(&signed(body)),
                Err(WebhookError::Malformed(_))
            ),
            "{body:?}"
        );
    }
}

proptest::proptest! {
    // Each case builds a provider (and its HTTP client): a few dozen cases cover the parser.
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
    #[test]
    fn any_report_is_read_or_refused_without_panicking(body in ".{0,200}") {
        let provider = reporting();
        let request = signed(&body);
        proptest::prop_assert_eq!(provider.verify(&request), Ok(()));
        let _ = provider.parse_webhook(&request);
    }
}
