//! Stripe: the Checkout Session request as Stripe reads it, its errors, and the webhook's
//! signature and events.

use recaudo_domain::Currency;
use recaudo_domain::portfolio::Language;
use recaudo_payments::providers::stripe::{parse_event, sign, verify_signature};
use recaudo_payments::{
    CheckoutAction, PaymentConfig, PaymentError, PaymentStatus, Provider, WebhookError,
};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::fixtures::{headers, http, money, now, request};

const WHSEC: &str = "whsec_test_5f0c1a";

fn provider(api_base: &str) -> Provider {
    let config: PaymentConfig = serde_json::from_value(serde_json::json!({
        "kind": "stripe",
        "secret_key": "sk_test_51Abc",
        "webhook_secret": WHSEC,
        "api_base": api_base,
    }))
    .expect("a Stripe config");
    Provider::from_config(&config, http()).expect("a valid config")
}

#[tokio::test]
async fn creates_a_checkout_session_with_the_exact_form() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/checkout/sessions"))
        .and(header("authorization", "Bearer sk_test_51Abc"))
        .and(header("idempotency-key", "pin_01JEXAMPLE0000000000000001"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "id": "cs_test_a1B2c3",
            "object": "checkout.session",
            "url": "https://checkout.stripe.com/c/pay/cs_test_a1B2c3",
            "expires_at": 1765101600,
            "payment_status": "unpaid",
        })))
        .expect(1)
        .mount(&server)
        .await;
    let provider = provider(&server.uri());
    assert_eq!(provider.kind(), "stripe");
    let checkout = provider
        .create_checkout(&request(money("1234.50", Currency::Brl)))
        .await
        .expect("a session");
    assert_eq!(checkout.provider_ref, "cs_test_a1B2c3");
    assert_eq!(
        checkout.action,
        CheckoutAction::Redirect {
            url: "https://checkout.stripe.com/c/pay/cs_test_a1B2c3".into()
        }
    );
    assert_eq!(checkout.expires_at.map(|t| t.timestamp()), Some(1765101600));
    let received = server.received_requests().await.expect("recorded");
    let form: Vec<(String, String)> =
        serde_urlencoded::from_bytes(&received[0].body).expect("a form");
    let expected: Vec<(String, String)> = [
        ("mode", "payment"),
        ("client_reference_id", "pin_01JEXAMPLE0000000000000001"),
        ("metadata[reference]", "pin_01JEXAMPLE0000000000000001"),
        ("line_items[0][quantity]", "1"),
        ("line_items[0][price_data][currency]", "brl"),
        ("line_items[0][price_data][unit_amount]", "123450"),
        (
            "line_items[0][price_data][product_data][name]",
            "Fatura F-123 · Companhia X",
        ),
        ("success_url", "https://collect.example.com/p/tok/paid"),
        ("cancel_url", "https://collect.example.com/p/tok"),
        ("locale", "pt-BR"),
        ("customer_email", "joao@example.com"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(form, expected);
}

#[tokio::test]
async fn zero_decimal_currencies_send_whole_units_and_spanish_locale() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "id": "cs_test_clp", "url": "https://checkout.stripe.com/c/pay/cs_test_clp",
        })))
        .mount(&server)
        .await;
    let mut req = request(money("15000", Currency::Clp));
    req.language = Language::Es;
    req.payer_email = None;
    provider(&server.uri())
        .create_checkout(&req)
        .await
        .expect("a session");
    let received = server.received_requests().await.expect("recorded");
    let form: Vec<(String, String)> =
        serde_urlencoded::from_bytes(&received[0].body).expect("a form");
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(get("line_items[0][price_data][unit_amount]"), Some("15000"));
    assert_eq!(get("line_items[0][price_data][currency]"), Some("clp"));
    assert_eq!(get("locale"), Some("es"));
    assert_eq!(get("customer_email"), None);
}

#[tokio::test]
async fn errors_are_permanent_or_retryable() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "error": {
                "code": "parameter_invalid_integer",
                "message": "Invalid integer: 12.5",
                "param": "line_items[0][price_data][unit_amount]",
                "type": "invalid_request_error",
            }
        })))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "7")
                .set_body_json(serde_json::json!({"error": {"type": "rate_limit_error"}})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let provider = provider(&server.uri());
    let req = request(money("10.00", Currency::Brl));
    match provider.create_checkout(&req).await {
        Err(PaymentError::Permanent { code, message }) => {
            assert_eq!(code, "parameter_invalid_integer");
            assert_eq!(message, "Invalid integer: 12.5");
        }
        other => panic!("expected a permanent error, got {other:?}"),
    }
    match provider.create_checkout(&req).await {
        Err(PaymentError::Retryable { retry_after, .. }) => {
            assert_eq!(retry_after, Some(std::time::Duration::from_secs(7)));
        }
        other => panic!("expected a retryable error, got {other:?}"),
    }
    assert!(
        provider
            .create_checkout(&req)
            .await
            .expect_err("a 503")
            .is_retryable()
    );
}

#[test]
fn bad_configs_name_the_field() {
    let err = |json: serde_json::Value| {
        let config: PaymentConfig = serde_json::from_value(json).expect("parses");
        config.validate().expect_err("invalid").field
    };
    assert_eq!(
        err(
            serde_json::json!({"kind": "stripe", "secret_key": "pk_live_x", "webhook_secret": "whsec_x"})
        ),
        "secret_key"
    );
    assert_eq!(
        err(
            serde_json::json!({"kind": "stripe", "secret_key": "sk_live_x", "webhook_secret": " "})
        ),
        "webhook_secret"
    );
    assert_eq!(
        err(
            serde_json::json!({"kind": "stripe", "secret_key": "sk_live_x", "webhook_secret": "w", "api_base": "ftp://x"})
        ),
        "api_base"
    );
    assert!(
        serde_json::from_value::<PaymentConfig>(serde_json::json!({
            "kind": "stripe", "secret_key": "sk_x", "webhook_secret": "w", "extra": 1
        }))
        .is_err()
    );
    let config: PaymentConfig = serde_json::from_value(serde_json::json!({
        "kind": "stripe", "secret_key": "sk_live_TOPSECRET", "webhook_secret": "whsec_TOPSECRET"
    }))
    .expect("parses");
    assert!(!format!("{config:?}").contains("TOPSECRET"));
    let provider = Provider::from_config(&config, http()).expect("valid");
    assert!(!format!("{provider:?}").contains("TOPSECRET"));
    assert_eq!(
        serde_json::to_value(&config).expect("serializes"),
        serde_json::json!({
            "kind": "stripe", "secret_key": "***", "webhook_secret": "***", "api_base": null
        })
    );
}

/// A `checkout.session.completed` event as Stripe sends it (trimmed of fields we do not read
/// only where they are long lists).
fn completed_event(payment_status: &str) -> String {
    serde_json::json!({
        "id": "evt_1QxYz2AbCdEfGh",
        "object": "event",
        "api_version": "2024-06-20",
        "created": 1765015200,
        "livemode": false,
        "pending_webhooks": 1,
        "request": {"id": null, "idempotency_key": null},
        "type": "checkout.session.completed",
        "data": {
            "object": {
                "id": "cs_test_a1B2c3",
                "object": "checkout.session",
                "amount_subtotal": 123450,
                "amount_total": 123450,
                "client_reference_id": "pin_01JEXAMPLE0000000000000001",
                "created": 1765015000,
                "currency": "brl",
                "customer_details": {"email": "joao@example.com", "name": "João da Silva"},
                "expires_at": 1765101400,
                "livemode": false,
                "metadata": {"reference": "pin_01JEXAMPLE0000000000000001"},
                "mode": "payment",
                "payment_intent": "pi_3QxYz2AbCdEfGh1",
                "payment_status": payment_status,
                "status": "complete",
                "success_url": "https://collect.example.com/p/tok/paid",
                "url": null
            }
        }
    })
    .to_string()
}

#[tokio::test]
async fn a_signed_paid_session_is_one_paid_event() {
    let provider = provider("http://127.0.0.1:9");
    let body = completed_event("paid");
    let t = now().timestamp();
    let signature = sign(WHSEC.as_bytes(), t, body.as_bytes());
    let h = headers(&[("stripe-signature", &signature)]);
    provider
        .verify_webhook(&h, "", body.as_bytes(), now())
        .expect("authentic");
    let events = provider
        .parse_webhook(&h, "", body.as_bytes())
        .await
        .expect("parsed");
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event.event_id, "evt_1QxYz2AbCdEfGh");
    assert_eq!(
        event.reference.as_deref(),
        Some("pin_01JEXAMPLE0000000000000001")
    );
    assert_eq!(event.provider_ref, "pi_3QxYz2AbCdEfGh1");
    assert_eq!(event.amount, money("1234.50", Currency::Brl));
    assert_eq!(event.status, PaymentStatus::Paid);
    assert_eq!(event.at.timestamp(), 1765015200);
    assert_eq!(event.txid, None);
}

#[test]
fn forged_old_and_malformed_signatures_are_refused() {
    let body = completed_event("paid");
    let t = now().timestamp();
    let secret = WHSEC.as_bytes();
    let good = sign(secret, t, body.as_bytes());
    // Forged: signed with another secret.
    let forged = sign(b"whsec_attacker", t, body.as_bytes());
    assert_eq!(
        verify_signature(secret, Some(&forged), body.as_bytes(), now()),
        Err(WebhookError::Unauthorized("signature"))
    );
    // The body changed after signing.
    assert_eq!(
        verify_signature(
            secret,
            Some(&good),
            body.replace("123450", "999999").as_bytes(),
            now()
        ),
        Err(WebhookError::Unauthorized("signature"))
    );
    // Old: signed correctly 301 s ago, or as far ahead.
    for skew in [-301, 301] {
        let old = sign(secret, t + skew, body.as_bytes());
        assert_eq!(
            verify_signature(secret, Some(&old), body.as_bytes(), now()),
            Err(WebhookError::Unauthorized("timestamp"))
        );
    }
    let edge = sign(secret, t - 300, body.as_bytes());
    assert_eq!(
        verify_signature(secret, Some(&edge), body.as_bytes(), now()),
        Ok(())
    );
    // Malformed or missing headers.
    for header in [
        "",
        "garbage",
        "t=abc,v1=00",
        "v1=abcdef",
        "t=1765015200",
        "t=1765015200,v1=zz",
    ] {
        assert_eq!(
            verify_signature(secret, Some(header), body.as_bytes(), now()),
            Err(WebhookError::Unauthorized("signature")),
            "{header}"
        );
    }
    assert_eq!(
        verify_signature(secret, None, body.as_bytes(), now()),
        Err(WebhookError::Unauthorized("signature"))
    );
}

#[test]
fn a_second_v1_signature_is_accepted_while_a_secret_rolls() {
    let body = completed_event("paid");
    let t = now().timestamp();
    let old_secret = sign(b"whsec_old", t, body.as_bytes());
    let new_secret = sign(WHSEC.as_bytes(), t, body.as_bytes());
    let old_v1 = old_secret.split_once(",v1=").expect("v1").1;
    let new_v1 = new_secret.split_once(",v1=").expect("v1").1;
    let header = format!("t={t},v1={old_v1},v1={new_v1},v0=deadbeef");
    assert_eq!(
        verify_signature(WHSEC.as_bytes(), Some(&header), body.as_bytes(), now()),
        Ok(())
    );
    // A v0 (test scheme) alone is never enough.
    let v0_only = format!("t={t},v0={new_v1}");
    assert_eq!(
        verify_signature(WHSEC.as_bytes(), Some(&v0_only), body.as_bytes(), now()),
        Err(WebhookError::Unauthorized("signature"))
    );
}

#[test]
fn event_types_map_to_statuses() {
    let unpaid = parse_event(completed_event("unpaid").as_bytes()).expect("parsed");
    assert_eq!(unpaid[0].status, PaymentStatus::Pending);
    let succeeded = completed_event("paid").replace(
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
    );
    assert_eq!(
        parse_event(succeeded.as_bytes()).expect("parsed")[0].status,
        PaymentStatus::Paid
    );
    let failed = completed_event("unpaid").replace(
        "checkout.session.completed",
        "checkout.session.async_payment_failed",
    );
    assert_eq!(
        parse_event(failed.as_bytes()).expect("parsed")[0].status,
        PaymentStatus::Failed
    );
    let other = completed_event("paid").replace("checkout.session.completed", "charge.refunded");
    assert_eq!(parse_event(other.as_bytes()), Ok(vec![]));
    // Without payment_intent (a session paid with no intent yet), the session id is the ref.
    let no_intent = completed_event("paid").replace("\"pi_3QxYz2AbCdEfGh1\"", "null");
    assert_eq!(
        parse_event(no_intent.as_bytes()).expect("parsed")[0].provider_ref,
        "cs_test_a1B2c3"
    );
    assert!(matches!(
        parse_event(b"{\"id\": 1}"),
        Err(WebhookError::Malformed(_))
    ));
    let bad_currency = completed_event("paid").replace("\"brl\"", "\"xyz\"");
    assert!(matches!(
        parse_event(bad_currency.as_bytes()),
        Err(WebhookError::Malformed(m)) if m.contains("currency")
    ));
}

mod properties {
    use proptest::prelude::*;
    use recaudo_payments::WebhookError;
    use recaudo_payments::providers::stripe::{sign, verify_signature};

    use crate::fixtures::now;

    proptest! {
        #[test]
        fn what_is_signed_in_time_verifies_and_nothing_else(
            body in proptest::collection::vec(any::<u8>(), 0..300),
            skew in -600i64..600,
            flip in any::<prop::sample::Index>(),
        ) {
            let secret = b"whsec_prop";
            let t = now().timestamp() + skew;
            let header = sign(secret, t, &body);
            let verdict = verify_signature(secret, Some(&header), &body, now());
            if skew.abs() <= 300 {
                prop_assert_eq!(verdict, Ok(()));
            } else {
                prop_assert_eq!(verdict, Err(WebhookError::Unauthorized("timestamp")));
            }
            if !body.is_empty() {
                let mut tampered = body.clone();
                let at = flip.index(tampered.len());
                tampered[at] ^= 0x01;
                prop_assert_eq!(
                    verify_signature(secret, Some(&header), &tampered, now()),
                    Err(WebhookError::Unauthorized("signature"))
                );
            }
        }

        #[test]
        fn any_header_text_is_refused_without_panicking(header in "\\PC{0,120}") {
            let verdict = verify_signature(b"s", Some(&header), b"{}", now());
            prop_assert!(verdict.is_err());
        }
    }
}
