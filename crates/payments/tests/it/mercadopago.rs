//! Mercado Pago: the preference request, the webhook's `x-signature`, and the payment fetch
//! that turns a notification into an event.

use recaudo_domain::Currency;
use recaudo_payments::providers::mercadopago::{manifest, payment_event, sign, verify_signature};
use recaudo_payments::{
    CheckoutAction, PaymentConfig, PaymentError, PaymentStatus, Provider, WebhookError,
};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::fixtures::{headers, http, money, now, request};

const SECRET: &str = "mp-webhook-secret-9f2e";

fn provider(api_base: &str, sandbox_point: bool) -> Provider {
    let config: PaymentConfig = serde_json::from_value(serde_json::json!({
        "kind": "mercadopago",
        "access_token": "APP_USR-1234-abcd",
        "webhook_secret": SECRET,
        "api_base": api_base,
        "use_sandbox_init_point": sandbox_point,
    }))
    .expect("a Mercado Pago config");
    Provider::from_config(&config, http()).expect("a valid config")
}

#[tokio::test]
async fn creates_a_checkout_pro_preference() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/checkout/preferences"))
        .and(header("authorization", "Bearer APP_USR-1234-abcd"))
        .and(header("x-idempotency-key", "pin_01JEXAMPLE0000000000000001"))
        .and(body_json(serde_json::json!({
            "items": [{
                "id": "pin_01JEXAMPLE0000000000000001",
                "title": "Fatura F-123 · Companhia X",
                "quantity": 1,
                "unit_price": 1234.5,
                "currency_id": "BRL",
            }],
            "external_reference": "pin_01JEXAMPLE0000000000000001",
            "notification_url": "https://collect.example.com/payhooks/ten_1/acc_1",
            "back_urls": {
                "success": "https://collect.example.com/p/tok/paid",
                "failure": "https://collect.example.com/p/tok",
                "pending": "https://collect.example.com/p/tok/paid",
            },
            "auto_return": "approved",
            "payer": {"name": "João da Silva", "email": "joao@example.com"},
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!({
            "id": "202809963-920c288b-4ebb-40be-966f-700250fa5370",
            "init_point": "https://www.mercadopago.com.br/checkout/v1/redirect?pref_id=202809963-920c288b",
            "sandbox_init_point": "https://sandbox.mercadopago.com.br/checkout/v1/redirect?pref_id=202809963-920c288b",
            "external_reference": "pin_01JEXAMPLE0000000000000001",
            "date_created": "2026-12-06T07:00:00.000-03:00",
        })))
        .expect(2)
        .mount(&server)
        .await;
    let req = request(money("1234.50", Currency::Brl));
    let checkout = provider(&server.uri(), false)
        .create_checkout(&req)
        .await
        .expect("a preference");
    assert_eq!(
        checkout.provider_ref,
        "202809963-920c288b-4ebb-40be-966f-700250fa5370"
    );
    assert_eq!(
        checkout.action,
        CheckoutAction::Redirect {
            url: "https://www.mercadopago.com.br/checkout/v1/redirect?pref_id=202809963-920c288b"
                .into()
        }
    );
    let sandbox = provider(&server.uri(), true)
        .create_checkout(&req)
        .await
        .expect("a preference");
    assert!(matches!(
        sandbox.action,
        CheckoutAction::Redirect { url } if url.starts_with("https://sandbox.mercadopago.com.br/")
    ));
}

#[tokio::test]
async fn clp_prices_are_whole_and_errors_are_classified() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_json(serde_json::json!({
            "items": [{
                "id": "pin_01JEXAMPLE0000000000000001",
                "title": "Fatura F-123 · Companhia X",
                "quantity": 1,
                "unit_price": 15000,
                "currency_id": "CLP",
            }],
            "external_reference": "pin_01JEXAMPLE0000000000000001",
            "notification_url": "https://collect.example.com/payhooks/ten_1/acc_1",
            "back_urls": {
                "success": "https://collect.example.com/p/tok/paid",
                "failure": "https://collect.example.com/p/tok",
                "pending": "https://collect.example.com/p/tok/paid",
            },
            "auto_return": "approved",
            "payer": {"name": "João da Silva"},
        })))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "message": "invalid currency_id", "error": "bad_request", "status": 400, "cause": []
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let mut req = request(money("15000", Currency::Clp));
    req.payer_email = None;
    let provider = provider(&server.uri(), false);
    assert_eq!(
        provider.create_checkout(&req).await,
        Err(PaymentError::permanent(
            "bad_request",
            "invalid currency_id"
        ))
    );
    let other = request(money("10.00", Currency::Mxn));
    assert!(
        provider
            .create_checkout(&other)
            .await
            .expect_err("a 500")
            .is_retryable()
    );
}

fn notification(id: &str) -> String {
    serde_json::json!({
        "action": "payment.updated",
        "api_version": "v1",
        "data": {"id": id},
        "date_created": "2026-12-06T09:59:58Z",
        "id": 118843283527u64,
        "live_mode": true,
        "type": "payment",
        "user_id": "202809963"
    })
    .to_string()
}

#[test]
fn the_manifest_follows_the_documented_template() {
    assert_eq!(
        manifest(
            Some("123456"),
            Some("bb56a2f1-6aae-46ac-982e-9dcd3581d08e"),
            "1742505638683"
        ),
        "id:123456;request-id:bb56a2f1-6aae-46ac-982e-9dcd3581d08e;ts:1742505638683;"
    );
    assert_eq!(manifest(Some("ABC123"), None, "1"), "id:abc123;ts:1;");
    assert_eq!(manifest(None, None, "1"), "ts:1;");
}

#[test]
fn valid_forged_old_and_replayed_notifications() {
    let secret = SECRET.as_bytes();
    let body = notification("1325567810");
    let query = "data.id=1325567810&type=payment";
    let ts_ms = (now().timestamp() * 1000).to_string();
    let request_id = "bb56a2f1-6aae-46ac-982e-9dcd3581d08e";
    let signature = sign(secret, Some("1325567810"), Some(request_id), &ts_ms);
    let h = headers(&[("x-signature", &signature), ("x-request-id", request_id)]);
    assert_eq!(
        verify_signature(secret, &h, query, body.as_bytes(), now()),
        Ok(())
    );
    // A replay inside the tolerance verifies too (the same event id makes it a no-op later).
    assert_eq!(
        verify_signature(
            secret,
            &h,
            query,
            body.as_bytes(),
            now() + chrono::Duration::seconds(60)
        ),
        Ok(())
    );
    // The same replay 10 minutes later is refused.
    assert_eq!(
        verify_signature(
            secret,
            &h,
            query,
            body.as_bytes(),
            now() + chrono::Duration::seconds(600)
        ),
        Err(WebhookError::Unauthorized("timestamp"))
    );
    // Seconds work as well as milliseconds.
    let ts_s = now().timestamp().to_string();
    let in_seconds = sign(secret, Some("1325567810"), Some(request_id), &ts_s);
    let h_s = headers(&[("x-signature", &in_seconds), ("x-request-id", request_id)]);
    assert_eq!(
        verify_signature(secret, &h_s, query, body.as_bytes(), now()),
        Ok(())
    );
    // Forged: another secret; another payment id in the query; another request id.
    let forged = sign(b"guess", Some("1325567810"), Some(request_id), &ts_ms);
    let h_forged = headers(&[("x-signature", &forged), ("x-request-id", request_id)]);
    assert_eq!(
        verify_signature(secret, &h_forged, query, body.as_bytes(), now()),
        Err(WebhookError::Unauthorized("signature"))
    );
    assert_eq!(
        verify_signature(
            secret,
            &h,
            "data.id=999&type=payment",
            body.as_bytes(),
            now()
        ),
        Err(WebhookError::Unauthorized("signature"))
    );
    let h_other_request = headers(&[("x-signature", &signature), ("x-request-id", "other")]);
    assert_eq!(
        verify_signature(secret, &h_other_request, query, body.as_bytes(), now()),
        Err(WebhookError::Unauthorized("signature"))
    );
    // Without x-request-id the manifest leaves that part out.
    let no_request = sign(secret, Some("1325567810"), None, &ts_ms);
    let h_no_request = headers(&[("x-signature", &no_request)]);
    assert_eq!(
        verify_signature(secret, &h_no_request, query, body.as_bytes(), now()),
        Ok(())
    );
    // Without a query string, data.id comes from the body.
    assert_eq!(
        verify_signature(secret, &h, "", body.as_bytes(), now()),
        Ok(())
    );
    // Malformed headers.
    for bad in ["", "ts=1", "v1=ab", "nonsense"] {
        let h_bad = headers(&[("x-signature", bad), ("x-request-id", request_id)]);
        assert_eq!(
            verify_signature(secret, &h_bad, query, body.as_bytes(), now()),
            Err(WebhookError::Unauthorized("signature")),
            "{bad}"
        );
    }
    assert_eq!(
        verify_signature(secret, &headers(&[]), query, body.as_bytes(), now()),
        Err(WebhookError::Unauthorized("signature"))
    );
}

fn payment(status: &str) -> serde_json::Value {
    serde_json::json!({
        "id": 1325567810u64,
        "date_created": "2026-12-06T06:58:01.000-04:00",
        "date_approved": "2026-12-06T06:59:40.000-04:00",
        "date_last_updated": "2026-12-06T06:59:41.000-04:00",
        "money_release_date": "2026-12-06T06:59:40.000-04:00",
        "operation_type": "regular_payment",
        "payment_method_id": "pix",
        "payment_type_id": "bank_transfer",
        "status": status,
        "status_detail": "accredited",
        "currency_id": "BRL",
        "description": "Fatura F-123 · Companhia X",
        "live_mode": true,
        "external_reference": "pin_01JEXAMPLE0000000000000001",
        "transaction_amount": 1234.5,
        "transaction_amount_refunded": 0,
        "payer": {"email": "joao@example.com", "id": "123"}
    })
}

#[tokio::test]
async fn a_payment_notification_fetches_the_payment() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/payments/1325567810"))
        .and(header("authorization", "Bearer APP_USR-1234-abcd"))
        .respond_with(ResponseTemplate::new(200).set_body_json(payment("approved")))
        .expect(1)
        .mount(&server)
        .await;
    let provider = provider(&server.uri(), false);
    let body = notification("1325567810");
    let events = provider
        .parse_webhook(
            &headers(&[]),
            "data.id=1325567810&type=payment",
            body.as_bytes(),
        )
        .await
        .expect("parsed");
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(event.event_id, "mp:1325567810:approved");
    assert_eq!(event.provider_ref, "1325567810");
    assert_eq!(
        event.reference.as_deref(),
        Some("pin_01JEXAMPLE0000000000000001")
    );
    assert_eq!(event.amount, money("1234.5", Currency::Brl));
    assert_eq!(event.status, PaymentStatus::Paid);
    assert_eq!(event.at.to_rfc3339(), "2026-12-06T10:59:40+00:00");
}

#[tokio::test]
async fn other_topics_report_nothing_and_upstream_failures_are_upstream() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404).set_body_json(serde_json::json!({
            "message": "Payment not found", "error": "not_found", "status": 404
        })))
        .mount(&server)
        .await;
    let provider = provider(&server.uri(), false);
    let order = serde_json::json!({"type": "merchant_order", "data": {"id": "77"}}).to_string();
    assert_eq!(
        provider
            .parse_webhook(&headers(&[]), "", order.as_bytes())
            .await,
        Ok(vec![])
    );
    assert!(matches!(
        provider
            .parse_webhook(&headers(&[]), "", notification("42").as_bytes())
            .await,
        Err(WebhookError::Upstream(_))
    ));
    assert!(matches!(
        provider
            .parse_webhook(&headers(&[]), "", notification("../admin").as_bytes())
            .await,
        Err(WebhookError::Malformed(_))
    ));
    assert!(matches!(
        provider
            .parse_webhook(&headers(&[]), "", b"{not json")
            .await,
        Err(WebhookError::Malformed(_))
    ));
}

#[test]
fn payment_statuses_map_to_ours() {
    let event =
        |status: &str| payment_event(payment(status).to_string().as_bytes()).expect("parsed");
    assert_eq!(event("approved").status, PaymentStatus::Paid);
    assert_eq!(event("rejected").status, PaymentStatus::Failed);
    assert_eq!(event("cancelled").status, PaymentStatus::Failed);
    assert_eq!(event("refunded").status, PaymentStatus::Refunded);
    assert_eq!(event("charged_back").status, PaymentStatus::Refunded);
    assert_eq!(event("in_process").status, PaymentStatus::Pending);
    assert_eq!(event("pending").status, PaymentStatus::Pending);
    assert_eq!(event("refunded").event_id, "mp:1325567810:refunded");
    let mut bad = payment("approved");
    bad["currency_id"] = serde_json::json!("XYZ");
    assert!(matches!(
        payment_event(bad.to_string().as_bytes()),
        Err(WebhookError::Malformed(m)) if m.contains("currency_id")
    ));
}
