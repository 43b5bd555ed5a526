//! The Standard Webhooks provider: the exact headers and body the tenant's system receives, a
//! signature computed here independently, the mapping of its answers, and its signed reports.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use recaudo_channels::providers::webhook::{self, Config};
use recaudo_channels::{
    ChannelProvider, Content, EventKind, OutboundMessage, ProviderConfig, ProviderEnv, SendError,
    SmsContent, SmsEncoding, WebhookError, WebhookRequest,
};
use recaudo_domain::portfolio::{Channel, Language};
use recaudo_domain::{ContactId, Secret};

/// Standard Webhooks' published example secret.
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const KEY_B64: &str = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn config(url: &str) -> Config {
    let mut headers = BTreeMap::new();
    headers.insert(
        "X-Api-Key".to_string(),
        Secret::new("erp-key-123".to_string()),
    );
    Config {
        url: url.into(),
        secret: Secret::new(SECRET.into()),
        headers,
    }
}

fn provider(url: &str) -> webhook::Provider {
    match ProviderConfig::Webhook(config(url)).build(&ProviderEnv::new(std::env::temp_dir(), None))
    {
        Ok(recaudo_channels::Provider::Webhook(p)) => p,
        Ok(_) => panic!("built another provider"),
        Err(error) => panic!("the configuration is valid: {error}"),
    }
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, 15, 0, 0).unwrap()
}

fn message(contact_id: ContactId) -> OutboundMessage {
    OutboundMessage {
        contact_id,
        idempotency_key: "ctc_01JEXAMPLE:reminder_soft:1".into(),
        channel: Channel::Sms,
        to: "+5511987654321".into(),
        postal: None,
        recipient_name: "João Silva".into(),
        language: Language::Pt,
        locale: "pt-BR".into(),
        sender_name: "Energia Sul".into(),
        content: Content::Sms(SmsContent {
            body: "Olá João, sua fatura de R$ 1.234,56 vence em 05/12.".into(),
            encoding: SmsEncoding::Ucs2,
            segments: 1,
        }),
        status_callback: None,
        gather_callback: None,
        reply_token: None,
        segment: None,
        now: now(),
    }
}

/// What `webhook-id` must be, computed here from its definition.
fn expected_id(key: &str) -> String {
    let digest = hex::encode(Sha256::digest(key.as_bytes()));
    format!("msg_{}", &digest[..32])
}

/// A Standard Webhooks signature computed with ring directly.
fn independent_signature(id: &str, timestamp: &str, body: &[u8]) -> String {
    let key = STANDARD.decode(KEY_B64).expect("the example key is base64");
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key);
    let mut signed = format!("{id}.{timestamp}.").into_bytes();
    signed.extend_from_slice(body);
    format!(
        "v1,{}",
        STANDARD.encode(ring::hmac::sign(&key, &signed).as_ref())
    )
}

#[tokio::test]
async fn a_contact_is_posted_signed_with_standard_webhooks_headers() {
    let server = MockServer::start().await;
    let id = expected_id("ctc_01JEXAMPLE:reminder_soft:1");
    Mock::given(method("POST"))
        .and(path("/hooks/recaudo"))
        .and(header("content-type", "application/json"))
        .and(header("webhook-id", id.as_str()))
        .and(header("webhook-timestamp", "1796223600"))
        .and(header("idempotency-key", "ctc_01JEXAMPLE:reminder_soft:1"))
        .and(header("x-api-key", "erp-key-123"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "erp-77"})))
        .expect(1)
        .mount(&server)
        .await;
    let contact_id = ContactId::generate();
    let ack = provider(&format!("{}/hooks/recaudo", server.uri()))
        .send(&message(contact_id))
        .await
        .expect("sent");
    assert_eq!(ack.provider_message_id, "erp-77");

    let received = server.received_requests().await.expect("recorded");
    assert_eq!(received.len(), 1);
    let request = &received[0];
    let signature = request
        .headers
        .get("webhook-signature")
        .and_then(|v| v.to_str().ok())
        .expect("a webhook-signature header");
    assert_eq!(
        signature,
        independent_signature(&id, "1796223600", &request.body)
    );
    let body: serde_json::Value = serde_json::from_slice(&request.body).expect("JSON");
    assert_eq!(
        body,
        json!({
            "type": "contact.send",
            "timestamp": "2026-12-02T15:00:00Z",
            "data": {
                "contact_id": contact_id.to_string(),
                "idempotency_key": "ctc_01JEXAMPLE:reminder_soft:1",
                "channel": "sms",
                "to": "+5511987654321",
                "postal": null,
                "recipient_name": "João Silva",
                "language": "pt",
                "locale": "pt-BR",
                "sender_name": "Energia Sul",
                "content": {
                    "kind": "sms",
                    "body": "Olá João, sua fatura de R$ 1.234,56 vence em 05/12.",
                    "encoding": "ucs2",
                    "segments": 1
                }
            }
        })
    );
}

#[tokio::test]
async fn the_webhook_id_is_the_ack_when_the_answer_names_no_id_and_stays_on_resend() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204))
        .expect(2)
        .mount(&server)
        .await;
    let provider = provider(&server.uri());
    let first = provider.send(&message(ContactId::generate())).await;
    let mut again = message(ContactId::generate());
    again.now = now() + chrono::Duration::seconds(90);
    let second = provider.send(&again).await;
    let id = expected_id("ctc_01JEXAMPLE:reminder_soft:1");
    assert_eq!(first.map(|a| a.provider_message_id), Ok(id.clone()));
    assert_eq!(second.map(|a| a.provider_message_id), Ok(id.clone()));
    let received = server.received_requests().await.expect("recorded");
    let header_of = |i: usize, name: &str| {
        received[i]
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    assert_eq!(header_of(0, "webhook-id"), header_of(1, "webhook-id"));
    assert_eq!(
        header_of(1, "webhook-timestamp").as_deref(),
        Some("1796223690")
    );
    // A fresh timestamp means a fresh signature, still valid.
    assert_eq!(
        header_of(1, "webhook-signature"),
        Some(independent_signature(&id, "1796223690", &received[1].body))
    );
}

/// What an answer must become.
#[derive(Debug)]
enum Expect {
    /// Retryable, with this `Retry-After` in seconds.
    Retry(Option<u64>),
    /// Permanent with this code, the address not blamed.
    Permanent(&'static str),
}

#[tokio::test]
async fn each_answer_maps_to_retry_or_permanent() {
    let cases = [
        (410, None, Expect::Permanent("410")),
        (400, None, Expect::Permanent("400")),
        (404, None, Expect::Permanent("404")),
        (429, Some("12"), Expect::Retry(Some(12))),
        (503, None, Expect::Retry(None)),
        (500, Some("3"), Expect::Retry(Some(3))),
    ];
    for (status, after, expect) in cases {
        let server = MockServer::start().await;
        let mut response = ResponseTemplate::new(status).set_body_string("nope");
        if let Some(after) = after {
            response = response.insert_header("Retry-After", after);
        }
        Mock::given(method("POST"))
            .respond_with(response)
            .expect(1)
            .mount(&server)
            .await;
        let result = provider(&server.uri())
            .send(&message(ContactId::generate()))
            .await;
        match (&expect, result) {
            (
                Expect::Retry(after),
                Err(SendError::Retryable {
                    retry_after,
                    message,
                }),
            ) => {
                assert_eq!(retry_after, after.map(Duration::from_secs), "{status}");
                assert!(message.contains("nope"), "{message}");
            }
            (
                Expect::Permanent(code),
                Err(SendError::Permanent {
                    code: got,
                    address_unusable: false,
                    message,
                }),
            ) => {
                assert_eq!(got, *code, "{status}");
                assert!(message.contains("nope"), "{message}");
            }
            (expect, other) => panic!("{status}: expected {expect:?}, got {other:?}"),
        }
    }

    // Nothing listens on a port just released (wiremock keeps its servers alive in a pool).
    let uri = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        format!("http://{}", listener.local_addr().expect("an address"))
    };
    let result = provider(&uri).send(&message(ContactId::generate())).await;
    assert!(
        matches!(result, Err(SendError::Retryable { .. })),
        "{result:?}"
    );
}

// ---- reports from the tenant's system -------------------------------------------------------

fn report(body: &str, id: &str, timestamp: &str, signature: Option<String>) -> WebhookRequest {
    let mut headers = BTreeMap::new();
    headers.insert("webhook-id".into(), id.into());
    headers.insert("webhook-timestamp".into(), timestamp.into());
    if let Some(signature) = signature {
        headers.insert("webhook-signature".into(), signature);
    }
    WebhookRequest {
        method: "POST".into(),
        url: "https://collect.example.com/webhooks/webhook/erp".into(),
        headers,
        query: BTreeMap::new(),
        body: bytes::Bytes::from(body.to_string()),
        received_at: None,
    }
}

fn signed_report(body: &str, id: &str) -> WebhookRequest {
    report(
        body,
        id,
        "1796223700",
        Some(independent_signature(id, "1796223700", body.as_bytes())),
    )
}

#[test]
fn signed_reports_become_events_keyed_by_their_webhook_id() {
    let provider = provider("https://erp.example.com/hooks");
    let contact_id = ContactId::generate();
    let cases = [
        (
            json!({"type": "contact.delivered", "data": {"provider_message_id": "erp-77"}}),
            Some("erp-77"),
            None,
            EventKind::Delivered,
        ),
        (
            json!({"type": "contact.opened", "timestamp": "2026-12-02T16:30:00Z",
                   "data": {"provider_message_id": "erp-77"}}),
            Some("erp-77"),
            None,
            EventKind::Opened,
        ),
        (
            json!({"type": "contact.failed",
                   "data": {"contact_id": contact_id.to_string(), "code": 4, "message": "line busy"}}),
            None,
            Some(contact_id),
            EventKind::Failed {
                code: Some("4".into()),
                message: Some("line busy".into()),
                address_unusable: false,
            },
        ),
        (
            json!({"type": "contact.failed",
                   "data": {"provider_message_id": "erp-78", "code": "no_such_address",
                            "address_unusable": true}}),
            Some("erp-78"),
            None,
            EventKind::Failed {
                code: Some("no_such_address".into()),
                message: None,
                address_unusable: true,
            },
        ),
        (
            json!({"type": "contact.replied",
                   "data": {"provider_message_id": "erp-77", "from": "+5511987654321",
                            "text": "Posso parcelar em duas vezes?"}}),
            Some("erp-77"),
            None,
            EventKind::Replied {
                from: "+5511987654321".into(),
                text: "Posso parcelar em duas vezes?".into(),
                reply_token: None,
            },
        ),
    ];
    for (i, (body, message_id, contact, kind)) in cases.into_iter().enumerate() {
        let body = body.to_string();
        let id = format!("msg_report_{i}");
        let request = signed_report(&body, &id);
        assert_eq!(provider.verify(&request), Ok(()), "{body}");
        let (events, reply) = provider.parse_webhook(&request).expect("parsed");
        assert_eq!(reply.body, "");
        assert_eq!(events.len(), 1, "{body}");
        let event = &events[0];
        assert_eq!(event.provider_message_id.as_deref(), message_id, "{body}");
        assert_eq!(event.contact_id, contact, "{body}");
        assert_eq!(event.kind, kind, "{body}");
        assert_eq!(event.dedupe_key, id, "{body}");
        let at = if i == 1 {
            Utc.with_ymd_and_hms(2026, 12, 2, 16, 30, 0).unwrap()
        } else {
            Utc.with_ymd_and_hms(2026, 12, 2, 15, 1, 40).unwrap()
        };
        assert_eq!(event.at, at, "{body}");
    }
}

#[test]
fn any_valid_v1_signature_among_several_passes() {
    let provider = provider("https://erp.example.com/hooks");
    let body = r#"{"type":"contact.delivered","data":{"provider_message_id":"erp-77"}}"#;
    let good = independent_signature("msg_rotating", "1796223700", body.as_bytes());
    let request = report(
        body,
        "msg_rotating",
        "1796223700",
        Some(format!(
            "v1,c2lnbmVkIHdpdGggdGhlIG9sZCBzZWNyZXQ= v1a,xyz {good}"
        )),
    );
    assert_eq!(provider.verify(&request), Ok(()));
}

#[test]
fn forged_unsigned_and_malformed_reports_are_refused() {
    let provider = provider("https://erp.example.com/hooks");
    let body = r#"{"type":"contact.delivered","data":{"provider_message_id":"erp-77"}}"#;
    // Signed over another id: the id is part of what is signed.
    let forged = report(
        body,
        "msg_a",
        "1796223700",
        Some(independent_signature(
            "msg_b",
            "1796223700",
            body.as_bytes(),
        )),
    );
    assert!(matches!(
        provider.verify(&forged),
        Err(WebhookError::Forged(_))
    ));
    // Signed with another secret.
    let other = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"some-other-secret-of-24-bytes");
    let mac = ring::hmac::sign(&other, format!("msg_a.1796223700.{body}").as_bytes());
    let wrong_key = report(
        body,
        "msg_a",
        "1796223700",
        Some(format!("v1,{}", STANDARD.encode(mac.as_ref()))),
    );
    assert!(matches!(
        provider.verify(&wrong_key),
        Err(WebhookError::Forged(_))
    ));
    let garbage = report(body, "msg_a", "1796223700", Some("v1,%%%".into()));
    assert!(matches!(
        provider.verify(&garbage),
        Err(WebhookError::Forged(_))
    ));
    let unsigned = report(body, "msg_a", "1796223700", None);
    assert!(matches!(
        provider.verify(&unsigned),
        Err(WebhookError::Unsigned(_))
    ));
    let mut no_timestamp = signed_report(body, "msg_a");
    no_timestamp.headers.remove("webhook-timestamp");
    assert!(matches!(
        provider.verify(&no_timestamp),
        Err(WebhookError::Unsigned(_))
    ));

    for body in [
        "not json",
        r#"{"type":"contact.delivered","data":{}}"#,
        r#"{"type":"contact.delivered","data":{"contact_id":"dbr_01JEXAMPLE"}}"#,
        r#"{"type":"contact.replied","data":{"provider_message_id":"erp-77"}}"#,
        r#"{"type":"contact.teleported","data":{"provider_message_id":"erp-77"}}"#,
        r#"{"type":"contact.delivered","timestamp":"tomorrow","data":{"provider_message_id":"erp-77"}}"#,
    ] {
        let request = signed_report(body, "msg_bad");
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
fn a_stale_or_future_timestamp_is_refused_by_the_clock_check() {
    let request = signed_report(
        r#"{"type":"contact.delivered","data":{"provider_message_id":"erp-77"}}"#,
        "msg_t",
    );
    let sent = Utc.with_ymd_and_hms(2026, 12, 2, 15, 1, 40).unwrap();
    assert_eq!(webhook::check_timestamp(&request, sent), Ok(()));
    assert_eq!(
        webhook::check_timestamp(&request, sent + chrono::Duration::minutes(5)),
        Ok(())
    );
    assert!(matches!(
        webhook::check_timestamp(&request, sent + chrono::Duration::minutes(6)),
        Err(WebhookError::Forged(_))
    ));
    assert!(matches!(
        webhook::check_timestamp(&request, sent - chrono::Duration::minutes(6)),
        Err(WebhookError::Forged(_))
    ));
    let mut bad = request.clone();
    bad.headers
        .insert("webhook-timestamp".into(), "noon".into());
    assert!(matches!(
        webhook::check_timestamp(&bad, sent),
        Err(WebhookError::Malformed(_))
    ));
}

#[test]
fn the_configuration_names_the_field_at_fault_and_masks_secrets() {
    let parsed: ProviderConfig = serde_json::from_value(json!({
        "kind": "webhook",
        "url": "https://erp.example.com/hooks",
        "secret": SECRET,
        "headers": {"X-Api-Key": "erp-key-123"}
    }))
    .expect("a webhook configuration");
    assert_eq!(parsed.validate(), Ok(()));
    assert_eq!(
        serde_json::to_value(&parsed).expect("serializes"),
        json!({
            "kind": "webhook",
            "url": "https://erp.example.com/hooks",
            "secret": "***",
            "headers": {"X-Api-Key": "***"}
        })
    );
    let debug = format!("{parsed:?}");
    assert!(
        !debug.contains(KEY_B64) && !debug.contains("erp-key-123"),
        "{debug}"
    );

    let field = |change: fn(&mut Config)| {
        let mut config = config("https://erp.example.com/hooks");
        change(&mut config);
        ProviderConfig::Webhook(config)
            .validate()
            .map_err(|e| e.field)
    };
    assert_eq!(field(|c| c.url.clear()), Err("url".into()));
    assert_eq!(
        field(|c| c.url = "ftp://erp/hooks".into()),
        Err("url".into())
    );
    assert_eq!(
        field(|c| c.secret = Secret::new(String::new())),
        Err("secret".into())
    );
    assert_eq!(
        field(|c| c.secret = Secret::new(KEY_B64.into())),
        Err("secret".into())
    );
    assert_eq!(
        field(|c| c.secret = Secret::new("whsec_***not-base64***".into())),
        Err("secret".into())
    );
    assert_eq!(
        field(|c| {
            c.headers
                .insert("Webhook-Signature".into(), Secret::new("v1,x".into()));
        }),
        Err("headers.Webhook-Signature".into())
    );
    assert_eq!(
        field(|c| {
            c.headers.insert("Bad Name".into(), Secret::new("x".into()));
        }),
        Err("headers.Bad Name".into())
    );
    assert_eq!(
        field(|c| {
            c.headers
                .insert("X-Ok".into(), Secret::new("line\nbreak".into()));
        }),
        Err("headers.X-Ok".into())
    );

    let fresh = webhook::generate_secret();
    let mut generated = config("https://erp.example.com/hooks");
    generated.secret = Secret::new(fresh);
    assert_eq!(ProviderConfig::Webhook(generated).validate(), Ok(()));
}
