//! Payments over HTTP, on SQLite and PostgreSQL: payment accounts saved through the API (their
//! credentials masked in every answer, bad configurations named, no sealing key → 409);
//! payments started with Stripe, Mercado Pago (both against local mocks of their APIs) and PIX,
//! then paid by their providers' signed reports at `/payhooks/{tenant}/{account}` — applied
//! once, a replay changing nothing, forged, old, unknown and malformed ones refused with
//! nothing changed; and a reconciliation file over the API, read twice, paying once.

use std::sync::Arc;

use axum::Router;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use recaudo_channels::seal::SealingKey;
use recaudo_domain::portfolio::{Debt, DebtStatus, Debtor, Language};
use recaudo_domain::{Clock, Currency, Money};
use recaudo_engine::payments::{
    CheckoutUrls, PaymentAccounts, PaymentStart, allocations_for, start_payment,
};
use recaudo_payments::providers::{mercadopago, pix, stripe};
use recaudo_store::{IntentStatus, NewDebt, NewDebtor, PaymentIntent, TenantStore};
use recaudo_web::{AppState, router};
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::fixtures::{App, Resp, apps, req};

const BASE: &str = "https://collect.test";
const STRIPE_KEY: &str = "sk_test_51Hstripe0secret0key";
const STRIPE_WHSEC: &str = "whsec_stripe0endpoint0secret";
const MP_TOKEN: &str = "APP_USR-mercadopago-access-token";
const MP_SECRET: &str = "mercadopago-webhook-secret-abc";
const PIX_SECRET: &str = "pix-webhook-secret-0123456789";

/// A router whose state seals accounts under a fresh key (returned, so that the test can load
/// the accounts as the web layer does).
fn hooked(app: &App) -> (Router, Arc<SealingKey>) {
    let key = Arc::new(SealingKey::parse(&SealingKey::generate_hex()).expect("a fresh key"));
    let state = AppState::new(app.store.clone(), app.clock.clone())
        .with_sealing_key(key.clone())
        .with_public_url(BASE);
    (router(state), key)
}

async fn tenant_a(app: &App) -> TenantStore {
    let tenants = app.store.list_tenants().await.expect("tenants");
    let tenant = tenants
        .iter()
        .find(|t| t.name == "Luz do Vale")
        .expect("tenant A");
    app.store.tenant(tenant)
}

fn stripe_account(api_base: &str) -> Value {
    json!({
        "name": "stripe-main", "priority": 1,
        "config": {"kind": "stripe", "secret_key": STRIPE_KEY, "webhook_secret": STRIPE_WHSEC,
                   "api_base": api_base}
    })
}

fn mercadopago_account(api_base: &str) -> Value {
    json!({
        "name": "mp-main", "priority": 2,
        "config": {"kind": "mercadopago", "access_token": MP_TOKEN, "webhook_secret": MP_SECRET,
                   "api_base": api_base}
    })
}

fn pix_account() -> Value {
    json!({
        "name": "pix-main",
        "config": {"kind": "pix", "key": "cobranca@luzdovale.com.br",
                   "merchant_name": "Luz do Vale Energia", "merchant_city": "São Paulo",
                   "webhook_secret": PIX_SECRET}
    })
}

/// Saves `account` through the API and returns the answer.
async fn save(r: &Router, key: &str, account: &Value) -> Resp {
    req("POST", "/api/v1/payment-accounts")
        .key(key)
        .json(account)
        .send(r)
        .await
}

/// Asserts that no credential of any account shows in `text`.
#[track_caller]
fn no_secret_in(text: &str) {
    for secret in [STRIPE_KEY, STRIPE_WHSEC, MP_TOKEN, MP_SECRET, PIX_SECRET] {
        assert!(!text.contains(secret), "{secret} shows in {text}");
    }
}

/// A debtor of `ts` who reads Portuguese, with two debts: R$ 100,00 and R$ 50,00.
async fn debtor_with_two_debts(ts: &TenantStore, name: &str) -> (Debtor, Vec<Debt>) {
    let t0 = crate::fixtures::t0();
    let debtor = ts
        .create_debtor(
            NewDebtor {
                external_id: format!("{name}-1"),
                name: "Maria Souza".into(),
                language: Some(Language::Pt),
                ..Default::default()
            },
            t0,
        )
        .await
        .expect("debtor");
    let mut debts = vec![];
    for (i, cents) in [10_000, 5_000].into_iter().enumerate() {
        debts.push(
            ts.create_debt(
                NewDebt {
                    debtor_id: debtor.id,
                    external_id: format!("{name}-INV-{i}"),
                    amount: Money::from_minor(cents, Currency::Brl),
                    balance: None,
                    issued_on: None,
                    due_on: NaiveDate::from_ymd_opt(2026, 12, 1).expect("a date"),
                    product: None,
                },
                t0,
            )
            .await
            .expect("debt"),
        );
    }
    (debtor, debts)
}

fn urls(_: &PaymentIntent) -> CheckoutUrls {
    CheckoutUrls {
        success: format!("{BASE}/p/token/paid"),
        cancel: format!("{BASE}/p/token"),
        notification: format!("{BASE}/payhooks/t/account"),
    }
}

/// Starts a payment of both debts through the saved account `account`, as the portal does.
async fn start(
    app: &App,
    key: &SealingKey,
    ts: &TenantStore,
    account: &str,
    debtor: &Debtor,
    debts: &[Debt],
) -> PaymentIntent {
    let accounts = PaymentAccounts::load(ts, Some(key), &recaudo_channels::http_client(), false)
        .await
        .expect("accounts");
    let account = accounts.by_name(account).expect("the saved account");
    start_payment(
        ts,
        account,
        PaymentStart {
            debtor,
            allocations: allocations_for(debtor, debts).expect("allocations"),
            description: "Faturas de energia".into(),
            origin: json!({"source": "portal"}),
        },
        urls,
        app.clock.now(),
    )
    .await
    .expect("a payment starts")
}

/// Each debt's balance (in cents) and how many payments it has.
async fn ledger(ts: &TenantStore, debts: &[Debt]) -> Vec<(i64, usize)> {
    let mut out = vec![];
    for debt in debts {
        let row = ts.get_debt(debt.id).await.expect("debt");
        let payments = ts.list_payments(debt.id).await.expect("payments").len();
        out.push((row.balance.to_minor().expect("cents"), payments));
    }
    out
}

#[track_caller]
fn status(resp: &Resp, code: u16) {
    assert_eq!(resp.status.as_u16(), code, "{}", resp.text);
}

#[tokio::test]
async fn payment_accounts_are_saved_masked_and_checked() {
    for app in apps().await {
        let db = app.db;
        let (r, _) = hooked(&app);
        let stripe_api = MockServer::start().await;
        let mp_api = MockServer::start().await;

        let saved = save(&r, &app.a, &stripe_account(&stripe_api.uri())).await;
        status(&saved, 201);
        assert_eq!(saved.json["kind"], "stripe", "{db}");
        assert_eq!(saved.json["config"]["secret_key"], "***", "{db}");
        assert_eq!(saved.json["config"]["webhook_secret"], "***", "{db}");
        assert_eq!(saved.json["config"]["api_base"], stripe_api.uri(), "{db}");
        let tenant = tenant_a(&app).await.tenant().id;
        assert_eq!(
            saved.json["webhook_url"],
            format!("/payhooks/{tenant}/stripe-main")
        );
        let saved = save(&r, &app.a, &mercadopago_account(&mp_api.uri())).await;
        status(&saved, 201);
        assert_eq!(saved.json["config"]["access_token"], "***", "{db}");
        assert_eq!(saved.json["config"]["webhook_secret"], "***", "{db}");
        let saved = save(&r, &app.a, &pix_account()).await;
        status(&saved, 201);
        assert_eq!(saved.json["config"]["webhook_secret"], "***", "{db}");
        assert_eq!(
            saved.json["config"]["key"], "cobranca@luzdovale.com.br",
            "{db}"
        );
        // Saving a name again replaces that account.
        let again = save(&r, &app.a, &pix_account()).await;
        status(&again, 200);
        no_secret_in(&again.text);

        let list = req("GET", "/api/v1/payment-accounts")
            .key(&app.a)
            .send(&r)
            .await;
        status(&list, 200);
        no_secret_in(&list.text);
        let names: Vec<&str> = list.json["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|a| a["name"].as_str().expect("a name"))
            .collect();
        assert_eq!(names, ["mp-main", "pix-main", "stripe-main"], "{db}");
        let one = req("GET", "/api/v1/payment-accounts/mp-main")
            .key(&app.a)
            .send(&r)
            .await;
        status(&one, 200);
        no_secret_in(&one.text);
        assert_eq!(one.json["config"]["access_token"], "***", "{db}");
        // Tenant B sees none of them.
        let other = req("GET", "/api/v1/payment-accounts")
            .key(&app.b)
            .send(&r)
            .await;
        assert_eq!(other.json["items"], json!([]), "{db}");

        // Bad configurations: 422 naming the field, nothing saved.
        let mut bad_pix = pix_account();
        bad_pix["name"] = "pix-bad".into();
        bad_pix["config"]["key"] = "not a pix key".into();
        let refused = save(&r, &app.a, &bad_pix).await;
        assert_eq!(
            refused.problem(422, "invalid-field")["field"],
            "config.key",
            "{db}"
        );
        let mut bad_stripe = stripe_account(&stripe_api.uri());
        bad_stripe["name"] = "stripe-bad".into();
        bad_stripe["config"]["secret_key"] = "pk_test_a_publishable_key".into();
        let refused = save(&r, &app.a, &bad_stripe).await;
        assert_eq!(
            refused.problem(422, "invalid-field")["field"],
            "config.secret_key",
            "{db}"
        );
        no_secret_in(&refused.text);
        for name in ["pix-bad", "stripe-bad"] {
            req("GET", format!("/api/v1/payment-accounts/{name}"))
                .key(&app.a)
                .send(&r)
                .await
                .problem(404, "not-found");
        }

        // Without a sealing key an account cannot be saved: 409, and nothing is stored.
        let mut unsealed = pix_account();
        unsealed["name"] = "pix-unsealed".into();
        save(&app.router, &app.a, &unsealed)
            .await
            .problem(409, "no-sealing-key");
        req("GET", "/api/v1/payment-accounts/pix-unsealed")
            .key(&app.a)
            .send(&r)
            .await
            .problem(404, "not-found");
        // And the accounts saved before show no configuration to an installation without it.
        let blind = req("GET", "/api/v1/payment-accounts/stripe-main")
            .key(&app.a)
            .send(&app.router)
            .await;
        status(&blind, 200);
        assert_eq!(blind.json["config"], Value::Null, "{db}");

        let deleted = req("DELETE", "/api/v1/payment-accounts/mp-main")
            .key(&app.a)
            .send(&r)
            .await;
        status(&deleted, 204);
        req("GET", "/api/v1/payment-accounts/mp-main")
            .key(&app.a)
            .send(&r)
            .await
            .problem(404, "not-found");
    }
}

/// Stripe's `checkout.session.completed` for `intent`, paid `cents` in BRL.
fn stripe_event(event_id: &str, intent: &PaymentIntent, cents: i64, created: i64) -> Vec<u8> {
    json!({
        "id": event_id, "object": "event", "type": "checkout.session.completed",
        "created": created, "livemode": false,
        "data": {"object": {
            "id": "cs_test_a1b2c3", "object": "checkout.session",
            "client_reference_id": intent.id.to_string(),
            "metadata": {"reference": intent.id.to_string()},
            "amount_total": cents, "currency": "brl",
            "payment_intent": "pi_3Pabc123", "payment_status": "paid", "status": "complete"
        }}
    })
    .to_string()
    .into_bytes()
}

#[tokio::test]
async fn a_stripe_payment_is_applied_once_and_refused_reports_change_nothing() {
    for app in apps().await {
        let db = app.db;
        let (r, key) = hooked(&app);
        let now: DateTime<Utc> = app.clock.now();
        let api = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v1/checkout/sessions"))
            .and(header("authorization", format!("Bearer {STRIPE_KEY}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "id": "cs_test_a1b2c3", "object": "checkout.session",
                "url": "https://checkout.stripe.com/c/pay/cs_test_a1b2c3",
                "expires_at": (now + Duration::hours(24)).timestamp()
            })))
            .expect(1)
            .mount(&api)
            .await;
        status(&save(&r, &app.a, &stripe_account(&api.uri())).await, 201);
        let ts = tenant_a(&app).await;
        let tenant = ts.tenant().id;
        let (debtor, debts) = debtor_with_two_debts(&ts, "stripe").await;

        let intent = start(&app, &key, &ts, "stripe-main", &debtor, &debts).await;
        assert_eq!(
            intent.action["redirect"], "https://checkout.stripe.com/c/pay/cs_test_a1b2c3",
            "{db}"
        );
        assert_eq!(intent.provider_ref.as_deref(), Some("cs_test_a1b2c3"));
        assert_eq!(
            intent.expires_at.map(|t| t.timestamp()),
            Some((now + Duration::hours(24)).timestamp())
        );
        // What Stripe was asked: one line item of R$ 150,00 for this intent, in Portuguese.
        let received = api.received_requests().await.expect("recorded");
        assert_eq!(received.len(), 1, "{db}");
        assert_eq!(
            received[0]
                .headers
                .get("idempotency-key")
                .map(|v| v.as_bytes()),
            Some(intent.id.to_string().as_bytes())
        );
        let form: Vec<(String, String)> =
            serde_urlencoded::from_bytes(&received[0].body).expect("a form");
        let field = |name: &str| {
            form.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .unwrap_or_else(|| panic!("no {name} in {form:?}"))
        };
        let reference = intent.id.to_string();
        assert_eq!(field("mode"), "payment");
        assert_eq!(field("client_reference_id"), reference);
        assert_eq!(field("metadata[reference]"), reference);
        assert_eq!(field("line_items[0][quantity]"), "1");
        assert_eq!(field("line_items[0][price_data][currency]"), "brl");
        assert_eq!(field("line_items[0][price_data][unit_amount]"), "15000");
        assert_eq!(
            field("line_items[0][price_data][product_data][name]"),
            "Faturas de energia"
        );
        assert_eq!(field("success_url"), format!("{BASE}/p/token/paid"));
        assert_eq!(field("cancel_url"), format!("{BASE}/p/token"));
        assert_eq!(field("locale"), "pt-BR");

        let hook = format!("/payhooks/{tenant}/stripe-main");
        let body = stripe_event("evt_1Qpaid", &intent, 15_000, now.timestamp());
        let signed = |body: &[u8], secret: &str, t: i64| {
            req("POST", hook.clone())
                .header(
                    "Stripe-Signature",
                    &stripe::sign(secret.as_bytes(), t, body),
                )
                .raw("application/json", body.to_vec())
        };
        let untouched = vec![(10_000, 0), (5_000, 0)];

        // Refused, each changing nothing: a forged signature, a signature 10 minutes old, an
        // unknown account or tenant, a body that is not Stripe's event though signed.
        signed(&body, "whsec_not_the_secret", now.timestamp())
            .send(&r)
            .await
            .problem(401, "unauthorized");
        let mut tampered = stripe_event("evt_1Qpaid", &intent, 15_000, now.timestamp());
        let genuine = stripe::sign(STRIPE_WHSEC.as_bytes(), now.timestamp(), &tampered);
        tampered = String::from_utf8(tampered)
            .expect("utf-8")
            .replace("15000", "99999")
            .into_bytes();
        req("POST", hook.clone())
            .header("Stripe-Signature", &genuine)
            .raw("application/json", tampered)
            .send(&r)
            .await
            .problem(401, "unauthorized");
        let old = now - Duration::minutes(10);
        let old_body = stripe_event("evt_1Qpaid", &intent, 15_000, old.timestamp());
        signed(&old_body, STRIPE_WHSEC, old.timestamp())
            .send(&r)
            .await
            .problem(401, "unauthorized");
        req("POST", hook.clone())
            .raw("application/json", body.clone())
            .send(&r)
            .await
            .problem(401, "unauthorized");
        for unknown in [
            format!("/payhooks/{tenant}/no-such-account"),
            format!(
                "/payhooks/{}/stripe-main",
                recaudo_domain::TenantId::generate()
            ),
            "/payhooks/not-a-tenant/stripe-main".to_string(),
        ] {
            req("POST", unknown)
                .header(
                    "Stripe-Signature",
                    &stripe::sign(STRIPE_WHSEC.as_bytes(), now.timestamp(), &body),
                )
                .raw("application/json", body.clone())
                .send(&r)
                .await
                .problem(404, "not-found");
        }
        // Tenant B has no such account either.
        let tenant_b = app
            .store
            .list_tenants()
            .await
            .expect("tenants")
            .into_iter()
            .find(|t| t.name == "Agua Clara")
            .expect("tenant B")
            .id;
        req("POST", format!("/payhooks/{tenant_b}/stripe-main"))
            .header(
                "Stripe-Signature",
                &stripe::sign(STRIPE_WHSEC.as_bytes(), now.timestamp(), &body),
            )
            .raw("application/json", body.clone())
            .send(&r)
            .await
            .problem(404, "not-found");
        let malformed = br#"{"id": "evt_x", "type": "checkout.session.completed"#.to_vec();
        signed(&malformed, STRIPE_WHSEC, now.timestamp())
            .send(&r)
            .await
            .problem(400, "malformed-webhook");
        let no_amount = json!({"id": "evt_y", "type": "checkout.session.completed",
            "created": now.timestamp(), "data": {"object": {"id": "cs_test_a1b2c3",
            "client_reference_id": intent.id.to_string(), "currency": "brl",
            "payment_status": "paid"}}})
        .to_string()
        .into_bytes();
        let refused = signed(&no_amount, STRIPE_WHSEC, now.timestamp())
            .send(&r)
            .await;
        let problem = refused.problem(400, "malformed-webhook");
        assert!(
            problem["detail"]
                .as_str()
                .is_some_and(|d| d.contains("amount_total")),
            "{problem}"
        );
        assert_eq!(ledger(&ts, &debts).await, untouched, "{db}");
        assert_eq!(
            ts.get_payment_intent(intent.id)
                .await
                .expect("intent")
                .status,
            IntentStatus::Open,
            "{db}"
        );

        // The genuine report: both debts paid, one payment each.
        let applied = signed(&body, STRIPE_WHSEC, now.timestamp()).send(&r).await;
        status(&applied, 200);
        assert_eq!(applied.json["applied"], 2, "{}", applied.text);
        assert_eq!(applied.json["duplicates"], 0, "{}", applied.text);
        assert_eq!(
            applied.json["thanked"], 0,
            "no reachable channel: {}",
            applied.text
        );
        assert_eq!(ledger(&ts, &debts).await, vec![(0, 1), (0, 1)], "{db}");
        for debt in &debts {
            assert_eq!(
                ts.get_debt(debt.id).await.expect("debt").status,
                DebtStatus::Paid
            );
        }
        let paid = ts.get_payment_intent(intent.id).await.expect("intent");
        assert_eq!(paid.status, IntentStatus::Paid, "{db}");
        assert_eq!(paid.paid_ref.as_deref(), Some("pi_3Pabc123"));

        // The same request again: 200, a duplicate, nothing changed.
        let replay = signed(&body, STRIPE_WHSEC, now.timestamp()).send(&r).await;
        status(&replay, 200);
        assert_eq!(
            (&replay.json["applied"], &replay.json["duplicates"]),
            (&json!(0), &json!(1)),
            "{}",
            replay.text
        );
        // Another event of the same payment (Stripe's retry under a new id) pays nothing twice.
        let other = stripe_event("evt_1Qagain", &intent, 15_000, now.timestamp());
        let again = signed(&other, STRIPE_WHSEC, now.timestamp()).send(&r).await;
        status(&again, 200);
        assert_eq!(again.json["applied"], 0, "{}", again.text);
        assert_eq!(ledger(&ts, &debts).await, vec![(0, 1), (0, 1)], "{db}");
    }
}

#[tokio::test]
async fn a_mercado_pago_payment_is_fetched_applied_once_and_forgeries_refused() {
    for app in apps().await {
        let db = app.db;
        let (r, key) = hooked(&app);
        let now: DateTime<Utc> = app.clock.now();
        let api = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/checkout/preferences"))
            .and(header("authorization", format!("Bearer {MP_TOKEN}")))
            .respond_with(ResponseTemplate::new(201).set_body_json(json!({
                "id": "123456789-pref-abc",
                "init_point": "https://www.mercadopago.com.br/checkout/v1/redirect?pref_id=123456789-pref-abc",
                "sandbox_init_point": "https://sandbox.mercadopago.com.br/checkout/v1/redirect?pref_id=123456789-pref-abc"
            })))
            .expect(1)
            .mount(&api)
            .await;
        status(
            &save(&r, &app.a, &mercadopago_account(&api.uri())).await,
            201,
        );
        let ts = tenant_a(&app).await;
        let tenant = ts.tenant().id;
        let (debtor, debts) = debtor_with_two_debts(&ts, "mp").await;
        let intent = start(&app, &key, &ts, "mp-main", &debtor, &debts).await;
        assert_eq!(
            intent.action["redirect"],
            "https://www.mercadopago.com.br/checkout/v1/redirect?pref_id=123456789-pref-abc",
            "{db}"
        );
        let received = api.received_requests().await.expect("recorded");
        let preference: Value = serde_json::from_slice(&received[0].body).expect("JSON");
        assert_eq!(preference["external_reference"], intent.id.to_string());
        assert_eq!(preference["items"][0]["unit_price"], json!(150.00));
        assert_eq!(preference["items"][0]["currency_id"], "BRL");

        // The payment as Mercado Pago's API tells it, when the notification names it.
        Mock::given(method("GET"))
            .and(path("/v1/payments/1319283746"))
            .and(header("authorization", format!("Bearer {MP_TOKEN}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "id": 1319283746_u64, "status": "approved", "status_detail": "accredited",
                "transaction_amount": 150.00, "currency_id": "BRL",
                "external_reference": intent.id.to_string(),
                "date_created": "2026-11-23T08:55:00.000-04:00",
                "date_approved": "2026-11-23T07:58:00.000-04:00",
                "date_last_updated": "2026-11-23T07:58:00.000-04:00"
            })))
            .mount(&api)
            .await;
        let body = json!({"action": "payment.updated", "api_version": "v1", "type": "payment",
            "data": {"id": "1319283746"}, "live_mode": false})
        .to_string();
        let hook = format!("/payhooks/{tenant}/mp-main?data.id=1319283746&type=payment");
        let ts_ms = (now.timestamp() * 1000).to_string();
        let notify = |secret: &str| {
            req("POST", hook.clone())
                .header(
                    "x-signature",
                    &mercadopago::sign(
                        secret.as_bytes(),
                        Some("1319283746"),
                        Some("req-7f3a"),
                        &ts_ms,
                    ),
                )
                .header("x-request-id", "req-7f3a")
                .raw("application/json", body.clone())
        };
        let fetched = || async {
            api.received_requests()
                .await
                .expect("recorded")
                .iter()
                .filter(|q| q.method.as_str() == "GET")
                .count()
        };

        // Forged: refused before Mercado Pago is even asked.
        notify("not-the-secret")
            .send(&r)
            .await
            .problem(401, "unauthorized");
        assert_eq!(fetched().await, 0, "{db}");
        assert_eq!(ledger(&ts, &debts).await, vec![(10_000, 0), (5_000, 0)]);

        let applied = notify(MP_SECRET).send(&r).await;
        status(&applied, 200);
        assert_eq!(applied.json["applied"], 2, "{}", applied.text);
        assert_eq!(fetched().await, 1, "{db}");
        assert_eq!(ledger(&ts, &debts).await, vec![(0, 1), (0, 1)], "{db}");
        let paid = ts.get_payment_intent(intent.id).await.expect("intent");
        assert_eq!(paid.status, IntentStatus::Paid);
        assert_eq!(paid.paid_ref.as_deref(), Some("1319283746"));

        let replay = notify(MP_SECRET).send(&r).await;
        status(&replay, 200);
        assert_eq!(
            (&replay.json["applied"], &replay.json["duplicates"]),
            (&json!(0), &json!(1)),
            "{}",
            replay.text
        );
        assert_eq!(ledger(&ts, &debts).await, vec![(0, 1), (0, 1)], "{db}");
    }
}

/// The BACEN PIX API's report of a PIX received for `txid`.
fn pix_report(txid: &str, value: &str) -> Vec<u8> {
    json!({"pix": [{
        "endToEndId": "E18236120202611231158s0123456789", "txid": txid, "valor": value,
        "horario": "2026-11-23T11:58:00.000Z", "infoPagador": "faturas"
    }]})
    .to_string()
    .into_bytes()
}

#[tokio::test]
async fn a_pix_report_signed_by_the_psp_pays_the_intent_and_a_forged_one_is_refused() {
    for app in apps().await {
        let db = app.db;
        let (r, key) = hooked(&app);
        status(&save(&r, &app.a, &pix_account()).await, 201);
        let ts = tenant_a(&app).await;
        let tenant = ts.tenant().id;
        let (debtor, debts) = debtor_with_two_debts(&ts, "pix").await;
        let intent = start(&app, &key, &ts, "pix-main", &debtor, &debts).await;
        let brcode = intent.action["pix"].as_str().expect("a BR Code");
        let parsed = pix::brcode::parse(brcode).expect("valid EMV");
        assert_eq!(parsed.txid.as_deref(), Some(intent.txid.as_str()), "{db}");

        let hook = format!("/payhooks/{tenant}/pix-main");
        let body = pix_report(&intent.txid, "150.00");
        let forged = recaudo_payments::signature::sha256_header(b"not-the-secret", &body);
        req("POST", hook.clone())
            .header("X-Pix-Signature", &forged)
            .raw("application/json", body.clone())
            .send(&r)
            .await
            .problem(401, "unauthorized");
        assert_eq!(ledger(&ts, &debts).await, vec![(10_000, 0), (5_000, 0)]);

        let signed = recaudo_payments::signature::sha256_header(PIX_SECRET.as_bytes(), &body);
        let applied = req("POST", hook.clone())
            .header("X-Pix-Signature", &signed)
            .raw("application/json", body.clone())
            .send(&r)
            .await;
        status(&applied, 200);
        assert_eq!(applied.json["applied"], 2, "{}", applied.text);
        assert_eq!(ledger(&ts, &debts).await, vec![(0, 1), (0, 1)], "{db}");
        let replay = req("POST", hook)
            .header("X-Pix-Signature", &signed)
            .raw("application/json", body)
            .send(&r)
            .await;
        status(&replay, 200);
        assert_eq!(replay.json["duplicates"], 1, "{}", replay.text);
        assert_eq!(ledger(&ts, &debts).await, vec![(0, 1), (0, 1)], "{db}");
    }
}

#[tokio::test]
async fn a_reconciliation_file_over_the_api_pays_once_and_names_bad_rows() {
    for app in apps().await {
        let db = app.db;
        let ts = tenant_a(&app).await;
        let (_, debts) = debtor_with_two_debts(&ts, "csv").await;
        let csv = "debt_external_id,amount,paid_at,reference\n\
                   csv-INV-0,100.00,2026-11-22,BANK-001\n\
                   csv-INV-0,100.00,2026-11-22,BANK-001\n\
                   csv-INV-1,doze reais,2026-11-22,BANK-002\n\
                   no-such-debt,5.00,2026-11-22,BANK-003\n";
        let post = |key: &str| {
            req("POST", "/api/v1/payments/reconciliation")
                .key(key)
                .raw("text/csv", csv)
        };
        let first = post(&app.a).send(&app.router).await;
        status(&first, 200);
        let answer = &first.json;
        assert_eq!(
            (
                &answer["applied"],
                &answer["duplicates"],
                &answer["unmatched"]
            ),
            (&json!(1), &json!(1), &json!(1)),
            "{db}: {answer}"
        );
        assert_eq!(
            answer["errors"].as_array().map(Vec::len),
            Some(1),
            "{answer}"
        );
        assert_eq!(answer["errors"][0]["line"], 4, "{answer}");
        assert_eq!(answer["errors"][0]["column"], "amount", "{answer}");
        assert!(
            answer["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| m.contains("doze reais")),
            "{answer}"
        );
        let lines: Vec<&Value> = answer["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|row| &row["line"])
            .collect();
        assert_eq!(lines, [&json!(3), &json!(5)], "{answer}");
        assert_eq!(ledger(&ts, &debts).await, vec![(0, 1), (5_000, 0)], "{db}");

        // The same file again: every row was read before, no new payment.
        let second = post(&app.a).send(&app.router).await;
        status(&second, 200);
        assert_eq!(second.json["applied"], 0, "{}", second.text);
        assert_eq!(second.json["duplicates"], 3, "{}", second.text);
        assert_eq!(ledger(&ts, &debts).await, vec![(0, 1), (5_000, 0)], "{db}");

        // Another tenant's file matches none of tenant A's debts.
        let other = post(&app.b).send(&app.router).await;
        status(&other, 200);
        assert_eq!(other.json["applied"], 0, "{}", other.text);
        assert_eq!(ledger(&ts, &debts).await, vec![(0, 1), (5_000, 0)], "{db}");

        // A file without a usable header is refused whole.
        let refused = req("POST", "/api/v1/payments/reconciliation")
            .key(&app.a)
            .raw("text/csv", "when,how much\n2026-11-22,1.00\n")
            .send(&app.router)
            .await;
        assert_eq!(
            refused.problem(422, "invalid-field")["field"],
            "file",
            "{db}"
        );
    }
}
