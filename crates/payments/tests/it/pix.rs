//! The PIX provider: the checkout's BR Code and the PSP webhook (BACEN PIX API shape) signed
//! with `X-Pix-Signature`.

use recaudo_domain::Currency;
use recaudo_payments::providers::pix::brcode::parse;
use recaudo_payments::signature::sha256_header;
use recaudo_payments::{
    CheckoutAction, PaymentConfig, PaymentError, PaymentStatus, Provider, WebhookError,
};
use rust_decimal::Decimal;

use crate::fixtures::{headers, http, money, now, request};

const SECRET: &str = "pix-webhook-secret-3c9a";

fn provider() -> Provider {
    let config: PaymentConfig = serde_json::from_value(serde_json::json!({
        "kind": "pix",
        "key": "11222333000181",
        "merchant_name": "Companhia Açaí Ltda",
        "merchant_city": "Belém",
        "webhook_secret": SECRET,
    }))
    .expect("a PIX config");
    Provider::from_config(&config, http()).expect("a valid config")
}

#[tokio::test]
async fn the_checkout_is_a_single_use_br_code_for_the_txid_and_amount() {
    let provider = provider();
    assert_eq!(provider.kind(), "pix");
    let req = request(money("1234.5", Currency::Brl));
    let checkout = provider.create_checkout(&req).await.expect("a BR Code");
    assert_eq!(checkout.provider_ref, req.txid);
    let CheckoutAction::Pix { brcode } = checkout.action else {
        panic!("expected a PIX action");
    };
    let parsed = parse(&brcode).expect("valid");
    assert!(parsed.single_use);
    assert_eq!(parsed.key.as_deref(), Some("11222333000181"));
    assert_eq!(parsed.amount, Some(Decimal::new(123450, 2)));
    assert_eq!(parsed.txid.as_deref(), Some(req.txid.as_str()));
    assert_eq!(parsed.name, "COMPANHIA ACAI LTDA");
    assert_eq!(parsed.city, "BELEM");
}

#[tokio::test]
async fn non_brl_amounts_and_bad_requests_are_permanent_errors() {
    let provider = provider();
    match provider
        .create_checkout(&request(money("10.00", Currency::Mxn)))
        .await
    {
        Err(PaymentError::Permanent { code, .. }) => assert_eq!(code, "brcode_54"),
        other => panic!("expected a permanent error, got {other:?}"),
    }
    let mut req = request(money("10.00", Currency::Brl));
    req.txid = "has-dashes".into();
    match provider.create_checkout(&req).await {
        Err(PaymentError::Permanent { code, .. }) => assert_eq!(code, "txid"),
        other => panic!("expected a permanent error, got {other:?}"),
    }
    let mut req = request(money("0.00", Currency::Brl));
    req.reference = "pin_ok".into();
    match provider.create_checkout(&req).await {
        Err(PaymentError::Permanent { code, .. }) => assert_eq!(code, "amount"),
        other => panic!("expected a permanent error, got {other:?}"),
    }
}

#[test]
fn bad_configs_name_the_field() {
    let field = |json: serde_json::Value| {
        serde_json::from_value::<PaymentConfig>(json)
            .expect("parses")
            .validate()
            .expect_err("invalid")
            .field
    };
    let base = serde_json::json!({
        "kind": "pix", "key": "11222333000181", "merchant_name": "X",
        "merchant_city": "Y", "webhook_secret": "s",
    });
    let with = |k: &str, v: &str| {
        let mut json = base.clone();
        json[k] = serde_json::json!(v);
        json
    };
    assert_eq!(field(with("key", "11222333000182")), "key");
    assert_eq!(field(with("merchant_name", "")), "merchant_name");
    assert_eq!(
        field(with("merchant_city", "Cidade Com Nome Longo")),
        "merchant_city"
    );
    assert_eq!(field(with("webhook_secret", "")), "webhook_secret");
}

fn notification() -> String {
    serde_json::json!({
        "pix": [
            {
                "endToEndId": "E12345678202612061000abcdef12345",
                "txid": "pin01JEXAMPLE000000000001",
                "chave": "11222333000181",
                "valor": "1234.50",
                "horario": "2026-12-06T10:00:00.000Z",
                "infoPagador": "fatura F-123"
            },
            {
                "endToEndId": "E12345678202612061001fedcba54321",
                "txid": "pin01JEXAMPLE000000000002",
                "chave": "11222333000181",
                "valor": "10.00",
                "horario": "2026-12-06T07:01:00.000-03:00"
            }
        ]
    })
    .to_string()
}

#[tokio::test]
async fn a_signed_notification_is_one_paid_event_per_pix() {
    let provider = provider();
    let body = notification();
    let signature = sha256_header(SECRET.as_bytes(), body.as_bytes());
    let h = headers(&[("x-pix-signature", &signature)]);
    provider
        .verify_webhook(&h, "", body.as_bytes(), now())
        .expect("authentic");
    let events = provider
        .parse_webhook(&h, "", body.as_bytes())
        .await
        .expect("parsed");
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].event_id, "E12345678202612061000abcdef12345");
    assert_eq!(events[0].provider_ref, "E12345678202612061000abcdef12345");
    assert_eq!(events[0].txid.as_deref(), Some("pin01JEXAMPLE000000000001"));
    assert_eq!(events[0].reference, None);
    assert_eq!(events[0].amount, money("1234.50", Currency::Brl));
    assert_eq!(events[0].status, PaymentStatus::Paid);
    assert_eq!(events[0].at, now());
    assert_eq!(events[1].at.to_rfc3339(), "2026-12-06T10:01:00+00:00");
}

#[test]
fn unsigned_forged_and_tampered_notifications_are_refused() {
    let provider = provider();
    let body = notification();
    let good = sha256_header(SECRET.as_bytes(), body.as_bytes());
    let refused =
        |h: http::HeaderMap, body: &str| provider.verify_webhook(&h, "", body.as_bytes(), now());
    let unauthorized = Err(WebhookError::Unauthorized("signature"));
    assert_eq!(refused(headers(&[]), &body), unauthorized);
    assert_eq!(
        refused(
            headers(&[("x-pix-signature", &sha256_header(b"other", body.as_bytes()))]),
            &body
        ),
        unauthorized
    );
    assert_eq!(
        refused(
            headers(&[("x-pix-signature", &good)]),
            &body.replace("1234.50", "9234.50")
        ),
        unauthorized
    );
    let bare_hex = good.trim_start_matches("sha256=").to_string();
    assert_eq!(
        refused(headers(&[("x-pix-signature", &bare_hex)]), &body),
        unauthorized
    );
}

#[tokio::test]
async fn malformed_notifications_name_the_field() {
    let provider = provider();
    let bad_valor = notification().replace("\"10.00\"", "\"dez reais\"");
    match provider
        .parse_webhook(&headers(&[]), "", bad_valor.as_bytes())
        .await
    {
        Err(WebhookError::Malformed(m)) => assert!(m.contains("pix[1].valor"), "{m}"),
        other => panic!("expected Malformed, got {other:?}"),
    }
    let bad_time = notification().replace("2026-12-06T10:00:00.000Z", "ontem");
    match provider
        .parse_webhook(&headers(&[]), "", bad_time.as_bytes())
        .await
    {
        Err(WebhookError::Malformed(m)) => assert!(m.contains("pix[0].horario"), "{m}"),
        other => panic!("expected Malformed, got {other:?}"),
    }
    assert!(matches!(
        provider.parse_webhook(&headers(&[]), "", b"{}").await,
        Err(WebhookError::Malformed(_))
    ));
}
