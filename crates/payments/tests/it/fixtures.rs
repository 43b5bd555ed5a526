//! What the tests share: a checkout request, an HTTP client, header maps, a fixed "now".

use chrono::{DateTime, TimeZone, Utc};
use recaudo_domain::portfolio::Language;
use recaudo_domain::{Currency, Money};
use recaudo_payments::CheckoutRequest;
use rust_decimal::Decimal;

/// The tests' "now": 2026-12-06 10:00:00 UTC.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 6, 10, 0, 0)
        .single()
        .expect("a valid time")
}

/// The shared client, with the ring provider that reqwest's rustls needs.
pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

pub fn money(amount: &str, currency: Currency) -> Money {
    Money::new(
        Decimal::from_str_exact(amount).expect("a decimal"),
        currency,
    )
}

/// A checkout of `amount` for one invoice, in Portuguese.
pub fn request(amount: Money) -> CheckoutRequest {
    CheckoutRequest {
        reference: "pin_01JEXAMPLE0000000000000001".to_string(),
        txid: "pin01JEXAMPLE000000000001".to_string(),
        amount,
        description: "Fatura F-123 · Companhia X".to_string(),
        payer_name: "João da Silva".to_string(),
        payer_email: Some("joao@example.com".to_string()),
        language: Language::Pt,
        success_url: "https://collect.example.com/p/tok/paid".to_string(),
        cancel_url: "https://collect.example.com/p/tok".to_string(),
        notification_url: "https://collect.example.com/payhooks/ten_1/acc_1".to_string(),
    }
}

pub fn headers(pairs: &[(&'static str, &str)]) -> http::HeaderMap {
    let mut map = http::HeaderMap::new();
    for (name, value) in pairs {
        map.insert(
            *name,
            http::HeaderValue::from_str(value).expect("a header value"),
        );
    }
    map
}
