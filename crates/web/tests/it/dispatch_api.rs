//! Provider accounts (sealed at rest, checked naming the field, no key → 409), agent tasks
//! (list, claim once, resolve onto the timeline) and the outbox (list, one entry with its
//! message, counts) over HTTP, with tenant isolation.

use std::sync::Arc;

use axum::Router;
use chrono::{Duration, NaiveDate};
use recaudo_channels::seal::SealingKey;
use recaudo_domain::outbox::NewContact;
use recaudo_domain::portfolio::{Channel, Debt, Debtor};
use recaudo_domain::{Currency, Money};
use recaudo_store::{ContactRef, DispatchOutcome, NewDebt, NewDebtor, TenantStore};
use recaudo_web::{AppState, router};
use serde_json::{Value, json};

use crate::fixtures::{App, apps, req, t0};

fn key() -> Arc<SealingKey> {
    Arc::new(SealingKey::parse(&SealingKey::generate_hex()).expect("a fresh key parses"))
}

/// The app's store and clock behind a router whose state has `key`.
fn keyed(app: &App, key: &Arc<SealingKey>) -> Router {
    router(AppState::new(app.store.clone(), app.clock.clone()).with_sealing_key(Arc::clone(key)))
}

/// Tenant A ("Luz do Vale") of an app, as a store.
async fn tenant_a(app: &App) -> TenantStore {
    let tenants = app.store.list_tenants().await.expect("tenants");
    let tenant = tenants
        .iter()
        .find(|t| t.name == "Luz do Vale")
        .expect("tenant A");
    app.store.tenant(tenant)
}

/// The sandbox account of the tests; `marker` goes into its configuration.
fn sandbox_account(name: &str, marker: &str) -> Value {
    json!({
        "name": name,
        "channels": ["sms", "email"],
        "rate_per_second": 5,
        "cost": {"sms": {"amount": "0.05", "currency": "BRL"}},
        "config": {"kind": "sandbox", "seed": 7, "reject_addresses_containing": marker}
    })
}

#[tokio::test]
async fn provider_accounts_are_sealed_checked_and_scoped() {
    const MARKER: &str = "only-in-the-sealed-copy-4711";
    for app in apps().await {
        let db = app.db;
        let (a, b) = (app.a.as_str(), app.b.as_str());

        // Without a key nothing is stored: a bad account is still told its fault first.
        let plain = &app.router;
        let resp = req("POST", "/api/v1/provider-accounts")
            .key(a)
            .json(&sandbox_account("demo", MARKER))
            .send(plain)
            .await;
        let p = resp.problem(409, "no-sealing-key");
        assert!(
            p["detail"].as_str().unwrap_or("").contains("[secrets] key"),
            "{db}: {p}"
        );
        let mut bad = sandbox_account("demo", MARKER);
        bad["channels"] = json!([]);
        let resp = req("POST", "/api/v1/provider-accounts")
            .key(a)
            .json(&bad)
            .send(plain)
            .await;
        assert_eq!(resp.problem(422, "invalid-field")["field"], "channels");
        let resp = req("GET", "/api/v1/provider-accounts")
            .key(a)
            .send(plain)
            .await;
        assert_eq!(resp.ok(200), &json!({"items": []}), "{db}");

        let key = key();
        let r = &keyed(&app, &key);
        let resp = req("POST", "/api/v1/provider-accounts")
            .key(a)
            .json(&sandbox_account("demo", MARKER))
            .send(r)
            .await;
        let created = resp.ok(201).clone();
        assert_eq!(
            created,
            json!({
                "name": "demo", "kind": "sandbox", "channels": ["sms", "email"], "priority": 0,
                "rate_per_second": 5, "cost": {"sms": {"amount": "0.05", "currency": "BRL"}},
                "enabled": true,
                "config": {"kind": "sandbox", "seed": 7, "rates": {}, "segment_factors": {},
                           "reject_addresses_containing": MARKER},
                "created_at": "2026-11-23T12:00:00Z", "updated_at": "2026-11-23T12:00:00Z"
            }),
            "{db}"
        );

        // At rest the configuration is sealed: nothing of it in the clear, and it opens to
        // exactly what was sent.
        let ts = tenant_a(&app).await;
        let stored = ts.get_provider_account("demo").await.expect("stored");
        let row = format!(
            "{} {} {} {}",
            stored.name, stored.kind, stored.settings, stored.config_sealed
        );
        assert!(!row.contains(MARKER), "{db}: {row}");
        assert!(stored.config_sealed.starts_with("v1."), "{db}");
        let opened: Value =
            serde_json::from_slice(&key.open(&stored.config_sealed).expect("opens")).expect("JSON");
        assert_eq!(
            opened,
            json!({"kind": "sandbox", "seed": 7, "reject_addresses_containing": MARKER}),
            "{db}"
        );

        // Saved again under the same name: replaced (200).
        let mut again = sandbox_account("demo", MARKER);
        again["priority"] = json!(2);
        let resp = req("POST", "/api/v1/provider-accounts")
            .key(a)
            .json(&again)
            .send(r)
            .await;
        assert_eq!(resp.ok(200)["priority"], 2, "{db}");
        let resp = req("GET", "/api/v1/provider-accounts/demo")
            .key(a)
            .send(r)
            .await;
        assert_eq!(resp.ok(200)["priority"], 2, "{db}");
        let resp = req("GET", "/api/v1/provider-accounts").key(a).send(r).await;
        let items = resp.ok(200)["items"].as_array().expect("items").clone();
        assert_eq!(items.len(), 1, "{db}");
        assert_eq!(items[0]["config"]["seed"], 7, "{db}");
        // Without the key the account is listed, its configuration not.
        let resp = req("GET", "/api/v1/provider-accounts/demo")
            .key(a)
            .send(plain)
            .await;
        let shown = resp.ok(200);
        assert_eq!(
            (&shown["kind"], &shown["config"]),
            (&json!("sandbox"), &Value::Null),
            "{db}"
        );

        // Faults are named: a value refused (422) and a field of the wrong shape (400).
        let mut refused = sandbox_account("demo", MARKER);
        refused["config"]["segment_factors"] = json!({"young": 11.0});
        let resp = req("POST", "/api/v1/provider-accounts")
            .key(a)
            .json(&refused)
            .send(r)
            .await;
        assert_eq!(
            resp.problem(422, "invalid-field")["field"],
            "config.segment_factors.young",
            "{db}"
        );
        let mut bad_name = sandbox_account("demo two", MARKER);
        bad_name["priority"] = json!(1);
        let resp = req("POST", "/api/v1/provider-accounts")
            .key(a)
            .json(&bad_name)
            .send(r)
            .await;
        assert_eq!(resp.problem(422, "invalid-field")["field"], "name", "{db}");
        let mut wrong_shape = sandbox_account("demo", MARKER);
        wrong_shape["rate_per_second"] = json!("fast");
        let resp = req("POST", "/api/v1/provider-accounts")
            .key(a)
            .json(&wrong_shape)
            .send(r)
            .await;
        assert_eq!(resp.status.as_u16(), 400, "{db}: {}", resp.text);
        let resp = req("POST", "/api/v1/provider-accounts")
            .key(a)
            .json(&json!({"name": "x", "channels": ["sms"], "config": {"kind": "fax"}}))
            .send(r)
            .await;
        let p = resp.problem(400, "invalid-field");
        assert_eq!(p["field"], "config.kind", "{db}: {p}");

        // Tenant B sees none of A's accounts.
        for (method, uri) in [
            ("GET", "/api/v1/provider-accounts/demo"),
            ("DELETE", "/api/v1/provider-accounts/demo"),
        ] {
            let resp = req(method, uri).key(b).send(r).await;
            resp.problem(404, "not-found");
        }
        let resp = req("GET", "/api/v1/provider-accounts").key(b).send(r).await;
        assert_eq!(resp.ok(200), &json!({"items": []}), "{db}");

        let resp = req("DELETE", "/api/v1/provider-accounts/demo")
            .key(a)
            .send(r)
            .await;
        assert_eq!(resp.status.as_u16(), 204, "{db}: {}", resp.text);
        let resp = req("GET", "/api/v1/provider-accounts/demo")
            .key(a)
            .send(r)
            .await;
        resp.problem(404, "not-found");
    }
}

async fn debtor_and_debt(ts: &TenantStore) -> (Debtor, Debt) {
    let debtor = ts
        .create_debtor(
            NewDebtor {
                external_id: "BR-1".into(),
                name: "Maria Souza".into(),
                ..Default::default()
            },
            t0(),
        )
        .await
        .expect("debtor");
    let debt = ts
        .create_debt(
            NewDebt {
                debtor_id: debtor.id,
                external_id: "INV-1".into(),
                amount: Money::from_minor(90_000, Currency::Brl),
                balance: None,
                issued_on: None,
                due_on: NaiveDate::from_ymd_opt(2026, 11, 1).expect("date"),
                product: None,
            },
            t0(),
        )
        .await
        .expect("debt");
    (debtor, debt)
}

/// Plans a `task:` step's contact (voice) and an SMS for the debt, and dispatches them: the
/// first becomes a task in `agents`, the second is sent with its rendered text.
async fn dispatch_two(ts: &TenantStore, debtor: &Debtor, debt: &Debt) {
    let day = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
    let task_step = NewContact {
        debtor_id: debtor.id,
        debt_id: debt.id,
        covers: vec![],
        contact_point_id: None,
        strategy: Some("consumer-default".into()),
        strategy_version: Some(1),
        step: "agent".into(),
        arm: None,
        channel: Channel::Voice,
        template: None,
        queue: Some("agents".into()),
        scheduled_for: t0(),
        local_date: day,
        reason: "step agent due".into(),
    };
    let sms = NewContact {
        step: "due".into(),
        channel: Channel::Sms,
        template: Some("due_today".into()),
        queue: None,
        ..task_step.clone()
    };
    ts.plan_contacts(&[task_step, sms], t0())
        .await
        .expect("planned");
    let claimed = ts
        .claim_contacts(t0(), 10, std::time::Duration::from_secs(60), "w1")
        .await
        .expect("claimed");
    assert_eq!(claimed.len(), 2);
    let outcomes = claimed
        .iter()
        .map(|contact| {
            let outcome = if contact.channel == Channel::Voice {
                DispatchOutcome::Task {
                    queue: "agents".into(),
                    script: "negotiate".into(),
                }
            } else {
                DispatchOutcome::Sent {
                    provider: "demo".into(),
                    provider_message_id: "sbx-1".into(),
                    cost: Some(Money::from_minor(5, Currency::Brl)),
                    content: json!({"channel": "sms", "text": "Olá Maria, sua fatura vence hoje.", "segments": 1}),
                    template: Some("due_today".into()),
                }
            };
            (ContactRef::from(contact), outcome)
        })
        .collect();
    ts.record_dispatch("w1", outcomes, t0())
        .await
        .expect("recorded");
}

#[tokio::test]
async fn tasks_are_claimed_once_and_resolved_and_the_outbox_shows_what_went_out() {
    for app in apps().await {
        let db = app.db;
        let r = &app.router;
        let (a, b) = (app.a.as_str(), app.b.as_str());
        let ts = tenant_a(&app).await;
        let (debtor, debt) = debtor_and_debt(&ts).await;
        dispatch_two(&ts, &debtor, &debt).await;

        // Tasks: listed, filtered, read.
        let resp = req("GET", "/api/v1/tasks").key(a).send(r).await;
        let items = resp.ok(200)["items"].as_array().expect("items").clone();
        assert_eq!(items.len(), 1, "{db}");
        let task = &items[0];
        let task_id = task["id"].as_str().expect("id").to_string();
        assert_eq!(
            (
                &task["state"],
                &task["queue"],
                &task["script"],
                &task["debt_id"]
            ),
            (
                &json!("open"),
                &json!("agents"),
                &json!("negotiate"),
                &json!(debt.id.to_string())
            ),
            "{db}"
        );
        for (query, count) in [
            ("state=open", 1),
            ("state=claimed", 0),
            ("queue=agents", 1),
            ("queue=legal", 0),
            ("state=open&queue=agents&limit=5", 1),
        ] {
            let resp = req("GET", format!("/api/v1/tasks?{query}"))
                .key(a)
                .send(r)
                .await;
            assert_eq!(
                resp.ok(200)["items"].as_array().map(Vec::len),
                Some(count),
                "{db}: {query}"
            );
        }
        let resp = req("GET", "/api/v1/tasks?state=done").key(a).send(r).await;
        assert_eq!(resp.problem(400, "invalid-field")["field"], "state", "{db}");
        let resp = req("GET", "/api/v1/tasks?limit=0").key(a).send(r).await;
        assert_eq!(resp.problem(422, "invalid-field")["field"], "limit", "{db}");
        let resp = req("GET", format!("/api/v1/tasks/{task_id}"))
            .key(a)
            .send(r)
            .await;
        let view = resp.ok(200);
        assert_eq!(&view["task"], task, "{db}");
        // A strategy's task has no message; its view still shows the debtor's debts.
        assert_eq!(view["message"], json!(null), "{db}");
        assert_eq!(view["notes"], json!([]), "{db}");
        assert_eq!(
            view["debts"].as_array().map(|d| d[0]["id"].clone()),
            Some(json!(debt.id.to_string())),
            "{db}"
        );

        // Tenant B can neither see nor touch it.
        let resp = req("GET", "/api/v1/tasks").key(b).send(r).await;
        assert_eq!(resp.ok(200), &json!({"items": []}), "{db}");
        for (method, path, body) in [
            ("GET", "", json!(null)),
            ("POST", "/claim", json!({"assignee": "eve"})),
            ("POST", "/resolve", json!({"outcome": "paid"})),
        ] {
            let mut request = req(method, format!("/api/v1/tasks/{task_id}{path}")).key(b);
            if method == "POST" {
                request = request.json(&body);
            }
            request.send(r).await.problem(404, "not-found");
        }
        req("GET", "/api/v1/tasks/tsk_nonsense")
            .key(a)
            .send(r)
            .await
            .problem(404, "not-found");

        // Claimed once: the same agent again is fine, another gets 409.
        app.clock.advance(Duration::minutes(5));
        let claim = |who: &str| {
            req("POST", format!("/api/v1/tasks/{task_id}/claim"))
                .key(a)
                .json(&json!({"assignee": who}))
        };
        let resp = claim("ana").send(r).await;
        let claimed = resp.ok(200).clone();
        assert_eq!(
            (
                &claimed["state"],
                &claimed["assignee"],
                &claimed["claimed_at"]
            ),
            (
                &json!("claimed"),
                &json!("ana"),
                &json!("2026-11-23T12:05:00Z")
            ),
            "{db}"
        );
        assert_eq!(claim("ana").send(r).await.ok(200), &claimed, "{db}");
        let p = claim("bruno").send(r).await;
        let p = p.problem(409, "conflict");
        assert!(
            p["detail"]
                .as_str()
                .unwrap_or("")
                .contains("already claimed by ana"),
            "{db}: {p}"
        );
        let resp = req("POST", format!("/api/v1/tasks/{task_id}/claim"))
            .key(a)
            .json(&json!({"assignee": ""}))
            .send(r)
            .await;
        assert_eq!(resp.problem(422, "invalid-field")["field"], "assignee");
        let resp = req("POST", format!("/api/v1/tasks/{task_id}/claim"))
            .key(a)
            .json(&json!({}))
            .send(r)
            .await;
        assert_eq!(resp.problem(400, "invalid-field")["field"], "assignee");

        // Resolved, on the debt's timeline; resolved twice is a conflict.
        let resolve = || {
            req("POST", format!("/api/v1/tasks/{task_id}/resolve"))
                .key(a)
                .json(&json!({"outcome": "promise", "note": "Paga na sexta"}))
        };
        let resp = resolve().send(r).await;
        let resolved = resp.ok(200);
        assert_eq!(
            (
                &resolved["state"],
                &resolved["outcome"],
                &resolved["note"],
                &resolved["resolved_at"]
            ),
            (
                &json!("resolved"),
                &json!("promise"),
                &json!("Paga na sexta"),
                &json!("2026-11-23T12:05:00Z")
            ),
            "{db}"
        );
        resolve().send(r).await.problem(409, "conflict");
        let resp = req("GET", format!("/api/v1/debts/{}/timeline", debt.id))
            .key(a)
            .send(r)
            .await;
        let events = resp.ok(200)["items"].as_array().expect("events").clone();
        let resolved_events: Vec<&Value> = events
            .iter()
            .filter(|e| e["kind"] == "task_resolved")
            .collect();
        assert_eq!(resolved_events.len(), 1, "{db}: {events:?}");
        assert_eq!(resolved_events[0]["data"]["outcome"], "promise", "{db}");
        assert_eq!(resolved_events[0]["data"]["task_id"], task_id.as_str());

        // The outbox: both contacts, filters, one entry with its message, the counts.
        let resp = req("GET", "/api/v1/outbox").key(a).send(r).await;
        let entries = resp.ok(200)["items"].as_array().expect("items").clone();
        assert_eq!(entries.len(), 2, "{db}");
        let sms = entries
            .iter()
            .find(|e| e["channel"] == "sms")
            .expect("the SMS");
        assert_eq!(
            (
                &sms["state"],
                &sms["provider"],
                &sms["provider_message_id"],
                &sms["cost"],
                &sms["sent_at"]
            ),
            (
                &json!("sent"),
                &json!("demo"),
                &json!("sbx-1"),
                &json!({"amount": "0.05", "currency": "BRL"}),
                &json!("2026-11-23T12:00:00Z")
            ),
            "{db}: {sms}"
        );
        let sms_id = sms["id"].as_str().expect("id").to_string();
        for (query, count) in [
            ("channel=sms", 1),
            ("channel=email", 0),
            ("state=sent&sent=true", 2),
            ("state=planned", 0),
            (&format!("debtor_id={}", debtor.id), 2),
            ("limit=1", 1),
        ] {
            let resp = req("GET", format!("/api/v1/outbox?{query}"))
                .key(a)
                .send(r)
                .await;
            assert_eq!(
                resp.ok(200)["items"].as_array().map(Vec::len),
                Some(count),
                "{db}: {query}"
            );
        }
        for (query, field) in [
            ("channel=fax", "channel"),
            ("state=lost", "state"),
            ("sent=maybe", "sent"),
            ("debtor_id=nope", "debtor_id"),
        ] {
            let resp = req("GET", format!("/api/v1/outbox?{query}"))
                .key(a)
                .send(r)
                .await;
            assert_eq!(
                resp.problem(400, "invalid-field")["field"],
                field,
                "{db}: {query}"
            );
        }
        let resp = req("GET", format!("/api/v1/outbox/{sms_id}"))
            .key(a)
            .send(r)
            .await;
        let entry = resp.ok(200);
        assert_eq!(entry["id"], sms_id.as_str(), "{db}");
        assert_eq!(entry["template"], "due_today", "{db}");
        assert_eq!(
            entry["message"],
            json!({"channel": "sms", "text": "Olá Maria, sua fatura vence hoje.", "segments": 1}),
            "{db}"
        );
        let resp = req("GET", "/api/v1/outbox/counts").key(a).send(r).await;
        let counts = resp.ok(200);
        assert_eq!(counts["by_state"], json!({"sent": 2}), "{db}: {counts}");
        assert_eq!(
            counts["sent_by_channel"],
            json!({"sms": 1, "voice": 1}),
            "{db}: {counts}"
        );
        assert_eq!(counts["delivered"], 0, "{db}");

        // Tenant B sees an empty outbox and none of A's entries.
        let resp = req("GET", "/api/v1/outbox").key(b).send(r).await;
        assert_eq!(resp.ok(200), &json!({"items": []}), "{db}");
        req("GET", format!("/api/v1/outbox/{sms_id}"))
            .key(b)
            .send(r)
            .await
            .problem(404, "not-found");
        let resp = req("GET", "/api/v1/outbox/counts").key(b).send(r).await;
        assert_eq!(resp.ok(200)["by_state"], json!({}), "{db}");
    }
}

#[tokio::test]
async fn the_outbox_summary_counts_paid_debts_and_sums_payments_per_currency() {
    for app in apps().await {
        let db = app.db;
        let r = &app.router;
        let ts = tenant_a(&app).await;
        let (debtor, debt) = debtor_and_debt(&ts).await;
        let resp = req("GET", "/api/v1/outbox/summary")
            .key(&app.a)
            .send(r)
            .await;
        assert_eq!(
            (&resp.ok(200)["paid_debts"], &resp.json["collected"]),
            (&json!(0), &json!([])),
            "{db}"
        );
        dispatch_two(&ts, &debtor, &debt).await;
        for amount in ["100.10", "799.90"] {
            req("POST", format!("/api/v1/debts/{}/payments", debt.id))
                .key(&app.a)
                .json(&json!({"amount": amount, "method": "pix"}))
                .send(r)
                .await
                .ok(201);
        }
        let resp = req("GET", "/api/v1/outbox/summary")
            .key(&app.a)
            .send(r)
            .await;
        let summary = resp.ok(200);
        assert_eq!(summary["paid_debts"], 1, "{db}: {summary}");
        assert_eq!(
            summary["collected"],
            json!([{"total": {"amount": "900.00", "currency": "BRL"}, "payments": 2}]),
            "{db}"
        );
        assert_eq!(summary["counts"]["sent_by_channel"]["sms"], 1, "{db}");
        // Tenant B collected nothing.
        let resp = req("GET", "/api/v1/outbox/summary")
            .key(&app.b)
            .send(r)
            .await;
        assert_eq!(resp.ok(200)["collected"], json!([]), "{db}");
    }
}
