//! WhatsApp Cloud API: the exact request Meta receives, the mapping of its answers and error
//! codes, and its webhooks (GET verification, signed statuses and replies) in the shapes of
//! Meta's documented samples.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use recaudo_channels::providers::whatsapp_cloud::{self, Config};
use recaudo_channels::{
    ChannelProvider, Content, EventKind, OutboundMessage, ProviderConfig, ProviderEnv, SendError,
    SmsContent, SmsEncoding, WebhookError, WebhookRequest, WhatsappContent,
};
use recaudo_domain::portfolio::{Channel, Language};
use recaudo_domain::{ContactId, Secret};

const APP_SECRET: &str = "6b1c1c2f6e0d4a9f8e7d6c5b4a392817";
const WAMID: &str = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3RjQ0NzE0MUNFQzA1QjM2OTUA";

fn config(base_url: &str) -> Config {
    Config {
        phone_number_id: "106540352242922".into(),
        access_token: Secret::new("EAAJB-token".into()),
        app_secret: Secret::new(APP_SECRET.into()),
        verify_token: Secret::new("recaudo-verify-7f3a".into()),
        api_version: "v21.0".into(),
        base_url: base_url.into(),
    }
}

fn provider_with(base_url: &str, env: &ProviderEnv) -> whatsapp_cloud::Provider {
    match ProviderConfig::WhatsappCloud(config(base_url)).build(env) {
        Ok(recaudo_channels::Provider::WhatsappCloud(p)) => p,
        Ok(_) => panic!("built another provider"),
        Err(error) => panic!("the configuration is valid: {error}"),
    }
}

fn provider(base_url: &str) -> whatsapp_cloud::Provider {
    provider_with(base_url, &ProviderEnv::new(std::env::temp_dir(), None))
}

fn content() -> WhatsappContent {
    WhatsappContent {
        template: "overdue_soft".into(),
        language_code: "es".into(),
        parameters: vec!["Ana".into(), "$ 125.000".into(), "15/12/2026".into()],
        button_url_suffix: Some("tok_8QkZ2".into()),
        preview: "Hola Ana, …".into(),
        free_text: None,
    }
}

fn message(content: WhatsappContent) -> OutboundMessage {
    OutboundMessage {
        contact_id: ContactId::generate(),
        idempotency_key: "ctc_01JEXAMPLE:overdue_soft:1".into(),
        channel: Channel::Whatsapp,
        to: "+573001234567".into(),
        postal: None,
        recipient_name: "Ana Gómez".into(),
        language: Language::Es,
        locale: "es-CO".into(),
        sender_name: "Acueducto".into(),
        content: Content::Whatsapp(content),
        status_callback: None,
        gather_callback: None,
        reply_token: None,
        segment: None,
        now: Utc.with_ymd_and_hms(2026, 12, 2, 15, 0, 0).unwrap(),
    }
}

fn accepted() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "messaging_product": "whatsapp",
        "contacts": [{"input": "573001234567", "wa_id": "573001234567"}],
        "messages": [{"id": WAMID, "message_status": "accepted"}]
    }))
}

#[tokio::test]
async fn a_template_goes_out_with_its_parameters_and_url_button() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v21.0/106540352242922/messages"))
        .and(header("authorization", "Bearer EAAJB-token"))
        .and(header("idempotency-key", "ctc_01JEXAMPLE:overdue_soft:1"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "573001234567",
            "type": "template",
            "template": {
                "name": "overdue_soft",
                "language": {"code": "es"},
                "components": [
                    {"type": "body", "parameters": [
                        {"type": "text", "text": "Ana"},
                        {"type": "text", "text": "$ 125.000"},
                        {"type": "text", "text": "15/12/2026"}
                    ]},
                    {"type": "button", "sub_type": "url", "index": "0", "parameters": [
                        {"type": "text", "text": "tok_8QkZ2"}
                    ]}
                ]
            }
        })))
        .respond_with(accepted())
        .expect(1)
        .mount(&server)
        .await;
    let ack = provider(&server.uri())
        .send(&message(content()))
        .await
        .expect("sent");
    assert_eq!(ack.provider_message_id, WAMID);
    assert_eq!(ack.cost, None);
}

#[tokio::test]
async fn a_template_without_parameters_has_no_components() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v21.0/106540352242922/messages"))
        .and(body_json(json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "573001234567",
            "type": "template",
            "template": {"name": "payment_link", "language": {"code": "pt_BR"}}
        })))
        .respond_with(accepted())
        .expect(1)
        .mount(&server)
        .await;
    let mut plain = content();
    plain.template = "payment_link".into();
    plain.language_code = "pt_BR".into();
    plain.parameters.clear();
    plain.button_url_suffix = None;
    let ack = provider(&server.uri()).send(&message(plain)).await;
    assert_eq!(ack.map(|a| a.provider_message_id), Ok(WAMID.to_string()));
}

#[tokio::test]
async fn free_text_inside_the_window_goes_as_a_text_message() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v21.0/106540352242922/messages"))
        .and(header("authorization", "Bearer EAAJB-token"))
        .and(body_json(json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "573001234567",
            "type": "text",
            "text": {"body": "Gracias, Ana. Recibimos su mensaje."}
        })))
        .respond_with(accepted())
        .expect(1)
        .mount(&server)
        .await;
    let mut text = content();
    text.free_text = Some("Gracias, Ana. Recibimos su mensaje.".into());
    let ack = provider(&server.uri()).send(&message(text)).await;
    assert_eq!(ack.map(|a| a.provider_message_id), Ok(WAMID.to_string()));
}

fn graph_error(code: i64, message: &str, details: &str) -> serde_json::Value {
    json!({"error": {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": details},
        "error_subcode": 2494010,
        "fbtrace_id": "AbCdEf123"
    }})
}

#[derive(Debug)]
enum Expect {
    Retry(Option<u64>),
    BadAddress(&'static str),
    Permanent(&'static str),
}

async fn answer_with(response: ResponseTemplate) -> Result<String, SendError> {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v21.0/106540352242922/messages"))
        .respond_with(response)
        .expect(1)
        .mount(&server)
        .await;
    provider(&server.uri())
        .send(&message(content()))
        .await
        .map(|ack| ack.provider_message_id)
}

fn check(result: Result<String, SendError>, expect: &Expect, case: &str) {
    match (expect, result) {
        (Expect::Retry(after), Err(SendError::Retryable { retry_after, .. })) => {
            assert_eq!(retry_after, after.map(Duration::from_secs), "{case}");
        }
        (
            Expect::BadAddress(want),
            Err(SendError::Permanent {
                code,
                address_unusable: true,
                ..
            }),
        ) => assert_eq!(code, *want, "{case}"),
        (
            Expect::Permanent(want),
            Err(SendError::Permanent {
                code,
                address_unusable: false,
                ..
            }),
        ) => assert_eq!(code, *want, "{case}"),
        (expect, got) => panic!("{case}: expected {expect:?}, got {got:?}"),
    }
}

#[tokio::test]
async fn each_error_answer_maps_to_retry_bad_address_or_permanent() {
    let cases = [
        (
            "undeliverable",
            ResponseTemplate::new(400).set_body_json(graph_error(
                131026,
                "Message Undeliverable.",
                "Message Undeliverable.",
            )),
            Expect::BadAddress("131026"),
        ),
        (
            "recipient is the sender",
            ResponseTemplate::new(400).set_body_json(graph_error(
                131021,
                "Recipient cannot be sender.",
                "Sender and recipient phone number is the same.",
            )),
            Expect::BadAddress("131021"),
        ),
        (
            "invalid recipient parameter",
            ResponseTemplate::new(400).set_body_json(graph_error(
                100,
                "(#100) Invalid parameter",
                "Invalid recipient phone number",
            )),
            Expect::BadAddress("100"),
        ),
        (
            "invalid template parameter",
            ResponseTemplate::new(400).set_body_json(graph_error(
                100,
                "(#100) Invalid parameter",
                "Parameter name is missing or empty",
            )),
            Expect::Permanent("100"),
        ),
        (
            "outside the 24 h window",
            ResponseTemplate::new(400).set_body_json(graph_error(
                131047,
                "Re-engagement message",
                "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
            )),
            Expect::Permanent("131047"),
        ),
        (
            "template parameters",
            ResponseTemplate::new(400).set_body_json(graph_error(
                132000,
                "(#132000) Number of parameters does not match the expected number of params",
                "body: number of localizable_params (2) does not match the expected number of params (3)",
            )),
            Expect::Permanent("132000"),
        ),
        (
            "template missing",
            ResponseTemplate::new(404).set_body_json(graph_error(
                132001,
                "(#132001) Template name does not exist in the translation",
                "template name (overdue_soft) does not exist in es",
            )),
            Expect::Permanent("132001"),
        ),
        (
            "expired token",
            ResponseTemplate::new(401).set_body_json(graph_error(
                190,
                "Error validating access token: Session has expired",
                "",
            )),
            Expect::Permanent("190"),
        ),
        (
            "pair rate limit",
            ResponseTemplate::new(400).set_body_json(graph_error(
                131056,
                "(#131056) (Business Account, Consumer Account) pair rate limit hit",
                "Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.",
            )),
            Expect::Retry(None),
        ),
        (
            "rate limit",
            ResponseTemplate::new(400).set_body_json(graph_error(
                80007,
                "(#80007) Rate limit issues",
                "",
            )),
            Expect::Retry(None),
        ),
        (
            "throughput 429 with Retry-After",
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "30")
                .set_body_json(graph_error(130429, "(#130429) Rate limit hit", "")),
            Expect::Retry(Some(30)),
        ),
        (
            "503 from a proxy",
            ResponseTemplate::new(503)
                .insert_header("Retry-After", "5")
                .set_body_string("<html>Service Unavailable</html>"),
            Expect::Retry(Some(5)),
        ),
        (
            "500",
            ResponseTemplate::new(500).set_body_json(graph_error(2, "Service temporarily unavailable", "")),
            Expect::Retry(None),
        ),
        (
            "a 200 that does not parse",
            ResponseTemplate::new(200).set_body_string("<html>oops</html>"),
            Expect::Retry(None),
        ),
        (
            "a 400 that does not parse",
            ResponseTemplate::new(400).set_body_string("Bad Request"),
            Expect::Permanent("400"),
        ),
    ];
    for (case, response, expect) in cases {
        check(answer_with(response).await, &expect, case);
    }
}

#[tokio::test]
async fn an_unparsable_success_keeps_the_raw_answer() {
    let result =
        answer_with(ResponseTemplate::new(200).set_body_string("{\"messages\": []}")).await;
    match result {
        Err(SendError::Retryable { message, .. }) => {
            assert!(message.contains("{\"messages\": []}"), "{message}")
        }
        other => panic!("expected a retry, got {other:?}"),
    }
}

#[tokio::test]
async fn an_unreachable_or_slow_api_is_retried() {
    // Nothing listens on a port just released (wiremock keeps its servers alive in a pool).
    let uri = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        format!("http://{}", listener.local_addr().expect("an address"))
    };
    let result = provider(&uri).send(&message(content())).await;
    assert!(
        matches!(result, Err(SendError::Retryable { .. })),
        "{result:?}"
    );

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(accepted().set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let _ = recaudo_channels::http_client();
    let impatient = ProviderEnv {
        http: reqwest::Client::builder()
            .timeout(Duration::from_millis(200))
            .build()
            .expect("a client"),
        letters_dir: std::env::temp_dir(),
        public_url: None,
        installation_accounts: Default::default(),
    };
    let result = provider_with(&server.uri(), &impatient)
        .send(&message(content()))
        .await;
    assert!(
        matches!(result, Err(SendError::Retryable { .. })),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_bad_number_or_another_channel_fails_before_any_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(accepted())
        .expect(0)
        .mount(&server)
        .await;
    let provider = provider(&server.uri());
    let mut bad = message(content());
    bad.to = "ana@example.com".into();
    let result = provider.send(&bad).await;
    assert!(
        matches!(
            &result,
            Err(SendError::Permanent { code, address_unusable: true, .. }) if code == "invalid_number"
        ),
        "{result:?}"
    );
    let mut sms = message(content());
    sms.content = Content::Sms(SmsContent {
        body: "Hola".into(),
        encoding: SmsEncoding::Gsm7,
        segments: 1,
    });
    let result = provider.send(&sms).await;
    assert!(
        matches!(
            &result,
            Err(SendError::Permanent { code, address_unusable: false, .. }) if code == "wrong_channel"
        ),
        "{result:?}"
    );
}

// ---- webhooks -------------------------------------------------------------------------------

fn get(query: &[(&str, &str)]) -> WebhookRequest {
    WebhookRequest {
        method: "GET".into(),
        url: "https://collect.example.com/webhooks/whatsapp/main".into(),
        headers: BTreeMap::new(),
        query: query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: bytes::Bytes::new(),
        received_at: None,
    }
}

/// The signature Meta sends, computed here independently of the crate's helpers.
fn meta_signature(body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, APP_SECRET.as_bytes());
    format!(
        "sha256={}",
        hex::encode(ring::hmac::sign(&key, body).as_ref())
    )
}

fn post(body: &str, signature: Option<String>) -> WebhookRequest {
    let mut headers = BTreeMap::new();
    headers.insert("content-type".into(), "application/json".into());
    if let Some(signature) = signature {
        headers.insert("x-hub-signature-256".into(), signature);
    }
    WebhookRequest {
        method: "POST".into(),
        url: "https://collect.example.com/webhooks/whatsapp/main".into(),
        headers,
        query: BTreeMap::new(),
        body: bytes::Bytes::from(body.to_string()),
        received_at: None,
    }
}

fn signed(body: &str) -> WebhookRequest {
    post(body, Some(meta_signature(body.as_bytes())))
}

#[test]
fn the_subscription_check_echoes_the_challenge_only_for_our_token() {
    let provider = provider("https://graph.facebook.com");
    let good = get(&[
        ("hub.mode", "subscribe"),
        ("hub.verify_token", "recaudo-verify-7f3a"),
        ("hub.challenge", "1158201444"),
    ]);
    assert_eq!(provider.verify(&good), Ok(()));
    let (events, reply) = provider.parse_webhook(&good).expect("a challenge");
    assert!(events.is_empty());
    assert_eq!(reply.body, "1158201444");
    assert_eq!(reply.content_type.as_deref(), Some("text/plain"));

    let wrong = get(&[
        ("hub.mode", "subscribe"),
        ("hub.verify_token", "recaudo-verify-7f3b"),
        ("hub.challenge", "1158201444"),
    ]);
    assert!(matches!(
        provider.verify(&wrong),
        Err(WebhookError::Forged(_))
    ));
    let not_subscribe = get(&[
        ("hub.mode", "unsubscribe"),
        ("hub.verify_token", "recaudo-verify-7f3a"),
        ("hub.challenge", "1158201444"),
    ]);
    assert!(matches!(
        provider.verify(&not_subscribe),
        Err(WebhookError::Forged(_))
    ));
    let no_token = get(&[("hub.mode", "subscribe"), ("hub.challenge", "1158201444")]);
    assert!(matches!(
        provider.verify(&no_token),
        Err(WebhookError::Unsigned(_))
    ));
    let no_challenge = get(&[
        ("hub.mode", "subscribe"),
        ("hub.verify_token", "recaudo-verify-7f3a"),
    ]);
    assert!(matches!(
        provider.parse_webhook(&no_challenge),
        Err(WebhookError::Malformed(_))
    ));
}

/// Meta's sample status notification, with one status of each kind.
const STATUSES: &str = r#"{
  "object": "whatsapp_business_account",
  "entry": [{
    "id": "102290129340398",
    "changes": [{
      "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
        "statuses": [
          {"id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3RjQ0NzE0MUNFQzA1QjM2OTUA", "status": "sent",
           "timestamp": "1750030000", "recipient_id": "573001234567",
           "conversation": {"id": "6ceb9d929c9d5c7d1cb3d8e0a2b6f3c4",
             "expiration_timestamp": "1750116400", "origin": {"type": "utility"}},
           "pricing": {"billable": true, "pricing_model": "CBP", "category": "utility"}},
          {"id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3RjQ0NzE0MUNFQzA1QjM2OTUA", "status": "delivered",
           "timestamp": "1750030005", "recipient_id": "573001234567"},
          {"id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3RjQ0NzE0MUNFQzA1QjM2OTUA", "status": "read",
           "timestamp": "1750030600", "recipient_id": "573001234567"},
          {"id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJCQTlDQjU2NkJDMkFEMjBGRkYA", "status": "failed",
           "timestamp": "1750030010", "recipient_id": "5511987654321",
           "errors": [{"code": 131026, "title": "Message undeliverable",
             "message": "Message undeliverable",
             "error_data": {"details": "Message Undeliverable."},
             "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"}]},
          {"id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJCQTlDQjU2NkJDMkFEMjBGRkYA", "status": "deleted",
           "timestamp": "1750030011", "recipient_id": "5511987654321"}
        ]
      },
      "field": "messages"
    }]
  }]
}"#;

#[test]
fn signed_statuses_become_sent_delivered_opened_and_failed() {
    let provider = provider("https://graph.facebook.com");
    let request = signed(STATUSES);
    assert_eq!(provider.verify(&request), Ok(()));
    let (events, reply) = provider.parse_webhook(&request).expect("parsed");
    assert_eq!(reply.body, "");
    let sent_id = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3RjQ0NzE0MUNFQzA1QjM2OTUA";
    let failed_id = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJCQTlDQjU2NkJDMkFEMjBGRkYA";
    let seen: Vec<_> = events
        .iter()
        .map(|e| {
            (
                e.provider_message_id.as_deref(),
                e.kind.clone(),
                e.at.timestamp(),
                e.dedupe_key.as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (
                Some(sent_id),
                EventKind::Sent,
                1_750_030_000,
                format!("{sent_id}:sent").as_str()
            ),
            (
                Some(sent_id),
                EventKind::Delivered,
                1_750_030_005,
                format!("{sent_id}:delivered").as_str()
            ),
            (
                Some(sent_id),
                EventKind::Opened,
                1_750_030_600,
                format!("{sent_id}:read").as_str()
            ),
            (
                Some(failed_id),
                EventKind::Failed {
                    code: Some("131026".into()),
                    message: Some("Message Undeliverable.".into()),
                    address_unusable: true,
                },
                1_750_030_010,
                format!("{failed_id}:failed").as_str()
            ),
        ]
    );
}

/// Meta's sample inbound messages: text, a quick-reply button, an interactive button reply, a
/// list reply and an image.
const MESSAGES: &str = r#"{
  "object": "whatsapp_business_account",
  "entry": [{
    "id": "102290129340398",
    "changes": [{
      "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
        "contacts": [{"profile": {"name": "Ana Gómez"}, "wa_id": "573001234567"}],
        "messages": [
          {"from": "573001234567", "id": "wamid.IN1", "timestamp": "1750040000",
           "text": {"body": "Buenos días, pago el viernes"}, "type": "text"},
          {"context": {"from": "15550783881", "id": "wamid.OUT1"},
           "from": "573001234567", "id": "wamid.IN2", "timestamp": "1750040100",
           "type": "button", "button": {"text": "Ya pagué", "payload": "paid"}},
          {"context": {"from": "15550783881", "id": "wamid.OUT2"},
           "from": "573001234567", "id": "wamid.IN3", "timestamp": "1750040200",
           "type": "interactive",
           "interactive": {"type": "button_reply", "button_reply": {"id": "agent", "title": "Hablar con un asesor"}}},
          {"from": "573001234567", "id": "wamid.IN4", "timestamp": "1750040300",
           "type": "interactive",
           "interactive": {"type": "list_reply", "list_reply": {"id": "plan-2", "title": "Dos cuotas", "description": "Pagar en dos meses"}}},
          {"from": "573001234567", "id": "wamid.IN5", "timestamp": "1750040400",
           "type": "image", "image": {"mime_type": "image/jpeg", "sha256": "abc", "id": "1234"}}
        ]
      },
      "field": "messages"
    }]
  }]
}"#;

#[test]
fn signed_messages_become_replies_with_their_text() {
    let provider = provider("https://graph.facebook.com");
    let request = signed(MESSAGES);
    assert_eq!(provider.verify(&request), Ok(()));
    let (events, _) = provider.parse_webhook(&request).expect("parsed");
    let seen: Vec<_> = events
        .iter()
        .map(|e| {
            (
                e.dedupe_key.as_str(),
                e.provider_message_id.as_deref(),
                e.kind.clone(),
                e.at.timestamp(),
            )
        })
        .collect();
    let replied = |text: &str| EventKind::Replied {
        from: "+573001234567".into(),
        text: text.into(),
        reply_token: None,
    };
    assert_eq!(
        seen,
        vec![
            (
                "wamid.IN1",
                None,
                replied("Buenos días, pago el viernes"),
                1_750_040_000
            ),
            (
                "wamid.IN2",
                Some("wamid.OUT1"),
                replied("Ya pagué"),
                1_750_040_100
            ),
            (
                "wamid.IN3",
                Some("wamid.OUT2"),
                replied("Hablar con un asesor"),
                1_750_040_200
            ),
            ("wamid.IN4", None, replied("Dos cuotas"), 1_750_040_300),
            ("wamid.IN5", None, replied("[image]"), 1_750_040_400),
        ]
    );
}

#[test]
fn forged_unsigned_and_malformed_notifications_are_refused() {
    let provider = provider("https://graph.facebook.com");
    // Signed with another app's secret.
    let other = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"another-app-secret");
    let forged = post(
        STATUSES,
        Some(format!(
            "sha256={}",
            hex::encode(ring::hmac::sign(&other, STATUSES.as_bytes()).as_ref())
        )),
    );
    assert!(matches!(
        provider.verify(&forged),
        Err(WebhookError::Forged(_))
    ));
    // The body changed after signing.
    let mut tampered = signed(STATUSES);
    tampered.body = bytes::Bytes::from(STATUSES.replace("131026", "131000"));
    assert!(matches!(
        provider.verify(&tampered),
        Err(WebhookError::Forged(_))
    ));
    let no_prefix = post(
        STATUSES,
        Some(meta_signature(STATUSES.as_bytes())[7..].to_string()),
    );
    assert!(matches!(
        provider.verify(&no_prefix),
        Err(WebhookError::Forged(_))
    ));
    let unsigned = post(STATUSES, None);
    assert!(matches!(
        provider.verify(&unsigned),
        Err(WebhookError::Unsigned(_))
    ));

    for body in [
        "not json",
        r#"{"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": {"statuses": [{"id": "wamid.X", "status": "sent", "timestamp": "yesterday"}]}}]}]}"#,
        r#"{"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages", "value": {"messages": [{"from": "573001234567", "id": "wamid.Y", "timestamp": "1750040000", "type": "text"}]}}]}]}"#,
        r#"{"object": "page", "entry": []}"#,
        r#"{"entry": "nope"}"#,
    ] {
        let request = signed(body);
        assert_eq!(provider.verify(&request), Ok(()), "{body}");
        assert!(
            matches!(
                provider.parse_webhook(&request),
                Err(WebhookError::Malformed(_))
            ),
            "{body}"
        );
    }
}

#[test]
fn the_configuration_names_the_field_at_fault_and_masks_secrets() {
    let parsed: ProviderConfig = serde_json::from_value(json!({
        "kind": "whatsapp_cloud",
        "phone_number_id": "106540352242922",
        "access_token": "EAAJB-token",
        "app_secret": APP_SECRET,
        "verify_token": "recaudo-verify-7f3a"
    }))
    .expect("a whatsapp_cloud configuration");
    assert_eq!(parsed.validate(), Ok(()));
    let shown = serde_json::to_value(&parsed).expect("serializes");
    assert_eq!(
        shown,
        json!({
            "kind": "whatsapp_cloud",
            "phone_number_id": "106540352242922",
            "access_token": "***",
            "app_secret": "***",
            "verify_token": "***",
            "api_version": "v21.0",
            "base_url": "https://graph.facebook.com"
        })
    );
    let debug = format!("{parsed:?}");
    assert!(
        !debug.contains("EAAJB") && !debug.contains(APP_SECRET),
        "{debug}"
    );

    let field = |change: fn(&mut Config)| {
        let mut config = config("https://graph.facebook.com");
        change(&mut config);
        ProviderConfig::WhatsappCloud(config)
            .validate()
            .map_err(|e| e.field)
    };
    assert_eq!(
        field(|c| c.phone_number_id.clear()),
        Err("phone_number_id".into())
    );
    assert_eq!(
        field(|c| c.phone_number_id = "+15550783881".into()),
        Err("phone_number_id".into())
    );
    assert_eq!(
        field(|c| c.access_token = Secret::new(String::new())),
        Err("access_token".into())
    );
    assert_eq!(
        field(|c| c.app_secret = Secret::new(" ".into())),
        Err("app_secret".into())
    );
    assert_eq!(
        field(|c| c.verify_token = Secret::new(String::new())),
        Err("verify_token".into())
    );
    assert_eq!(
        field(|c| c.api_version = "21".into()),
        Err("api_version".into())
    );
    assert_eq!(
        field(|c| c.base_url = "graph".into()),
        Err("base_url".into())
    );

    let missing: Result<ProviderConfig, _> = serde_json::from_value(json!({
        "kind": "whatsapp_cloud",
        "phone_number_id": "106540352242922",
        "access_token": "EAAJB-token",
        "verify_token": "recaudo-verify-7f3a"
    }));
    let error = missing.expect_err("app_secret is required").to_string();
    assert!(error.contains("app_secret"), "{error}");
}
