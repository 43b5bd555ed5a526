//! The sandbox: a real BR Code in BRL, a redirect to the web layer's sandbox page otherwise,
//! and its signed webhook.

use std::sync::Arc;

use recaudo_domain::{Currency, FixedClock};
use recaudo_payments::providers::pix::brcode::parse;
use recaudo_payments::providers::sandbox::{DEFAULT_WEBHOOK_SECRET, SANDBOX_PIX_KEY, Sandbox};
use recaudo_payments::signature::sha256_header;
use recaudo_payments::{
    CheckoutAction, PaymentConfig, PaymentProvider, PaymentStatus, Provider, SandboxConfig,
    WebhookError,
};
use rust_decimal::Decimal;

use crate::fixtures::{headers, http, money, now, request};

fn provider() -> Provider {
    let config: PaymentConfig =
        serde_json::from_value(serde_json::json!({"kind": "sandbox"})).expect("a config");
    Provider::from_config(&config, http()).expect("valid")
}

#[tokio::test]
async fn brl_gets_a_valid_br_code_and_other_currencies_a_redirect() {
    let provider = provider();
    assert_eq!(provider.kind(), "sandbox");
    let req = request(money("99.90", Currency::Brl));
    let checkout = provider.create_checkout(&req).await.expect("a checkout");
    let CheckoutAction::Pix { brcode } = checkout.action else {
        panic!("expected PIX in BRL");
    };
    let parsed = parse(&brcode).expect("a valid BR Code");
    assert_eq!(parsed.key.as_deref(), Some(SANDBOX_PIX_KEY));
    assert_eq!(parsed.amount, Some(Decimal::new(9990, 2)));
    assert_eq!(parsed.txid.as_deref(), Some(req.txid.as_str()));

    let req = request(money("250.00", Currency::Mxn));
    let checkout = provider.create_checkout(&req).await.expect("a checkout");
    assert_eq!(checkout.provider_ref, req.reference);
    assert_eq!(
        checkout.action,
        CheckoutAction::Redirect {
            url: "https://collect.example.com/payhooks/ten_1/acc_1/checkout?reference=pin_01JEXAMPLE0000000000000001".into()
        }
    );
}

#[tokio::test]
async fn its_webhook_is_signed_with_the_documented_default_secret() {
    let provider = provider();
    let body = br#"{"reference":"pin_01JEXAMPLE0000000000000001","amount":"250.00","currency":"MXN","event_id":"sbx_evt_1"}"#;
    let signature = sha256_header(DEFAULT_WEBHOOK_SECRET.as_bytes(), body);
    let h = headers(&[("x-sandbox-signature", &signature)]);
    provider
        .verify_webhook(&h, "", body, now())
        .expect("authentic");
    let forged = headers(&[("x-sandbox-signature", &sha256_header(b"guess", body))]);
    assert_eq!(
        provider.verify_webhook(&forged, "", body, now()),
        Err(WebhookError::Unauthorized("signature"))
    );
    let events = provider.parse_webhook(&h, "", body).await.expect("parsed");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event_id, "sbx_evt_1");
    assert_eq!(
        events[0].reference.as_deref(),
        Some("pin_01JEXAMPLE0000000000000001")
    );
    assert_eq!(events[0].amount, money("250.00", Currency::Mxn));
    assert_eq!(events[0].status, PaymentStatus::Paid);
}

#[tokio::test]
async fn paid_notifications_round_trip_and_undated_ones_take_the_clock() {
    let sandbox = Sandbox::new(SandboxConfig {
        webhook_secret: Some("tenant-sandbox-secret".to_string().into()),
    })
    .with_clock(Arc::new(FixedClock::new(now())));
    let paid_at = now() - chrono::Duration::minutes(5);
    let (body, signature) = sandbox.paid_notification(
        "pin_abc",
        money("12.34", Currency::Brl),
        "sbx_evt_2",
        paid_at,
    );
    let h = headers(&[("x-sandbox-signature", &signature)]);
    sandbox
        .verify_webhook(&h, "", &body, now())
        .expect("authentic");
    let events = sandbox.parse_webhook(&h, "", &body).await.expect("parsed");
    assert_eq!(events[0].at, paid_at);
    assert_eq!(events[0].amount, money("12.34", Currency::Brl));

    let undated = br#"{"reference":"pin_abc","amount":"1","currency":"CLP","event_id":"e3","status":"failed"}"#;
    let events = sandbox
        .parse_webhook(&h, "", undated)
        .await
        .expect("parsed");
    assert_eq!(events[0].at, now());
    assert_eq!(events[0].status, PaymentStatus::Failed);

    for bad in [
        r#"{"reference":"pin_abc","amount":"1.234","currency":"BRL","event_id":"e"}"#,
        r#"{"reference":"pin_abc","amount":"1","currency":"XYZ","event_id":"e"}"#,
        r#"{"reference":"pin_abc","amount":"1","currency":"BRL","event_id":""}"#,
        r#"{"reference":"pin_abc","amount":"1","currency":"BRL","event_id":"e","status":"won"}"#,
        r#"{"reference":"pin_abc","amount":"1","currency":"BRL"}"#,
    ] {
        assert!(
            matches!(
                sandbox.parse_webhook(&h, "", bad.as_bytes()).await,
                Err(WebhookError::Malformed(_))
            ),
            "{bad}"
        );
    }
}

/// The web layer shares a built account across tasks and awaits it inside axum handlers.
#[test]
fn providers_and_their_futures_can_cross_threads() {
    fn shareable<T: Send + Sync + 'static>(_: &T) {}
    fn sendable<T: Send>(_: T) {}
    let provider = provider();
    shareable(&provider);
    let req = request(money("1.00", Currency::Brl));
    let h = headers(&[]);
    sendable(provider.create_checkout(&req));
    sendable(provider.parse_webhook(&h, "", b"{}"));
}
