//! Tenant isolation: tenant B, with its own valid key, addresses every object of tenant A on every
//! route that takes an id, and gets 404 each time, while A's objects stay exactly as they were.
//!
//! The routes are listed once, in `ID_ROUTES`; the test fails when the OpenAPI document has a
//! path with an id that the table does not cover, so a new route must be added here. Strategy ids
//! are the tenant's own names, not generated ids: B asks for A's by name.

use std::collections::BTreeSet;

use crate::fixtures::{App, apps, id, req, t0};
use axum::Router;
use recaudo_domain::outbox::NewContact;
use recaudo_domain::portfolio::Channel;
use recaudo_store::{ContactRef, DispatchOutcome, TaskFilter};
use serde_json::{Value, json};

/// The id of tenant A's strategy (see [`STRATEGY`]).
const STRATEGY_ID: &str = "iso-collect";

/// Tenant A's strategy.
const STRATEGY: &str = "id: iso-collect\nsteps:\n  - { id: due, at: due, send: { channel: sms, template: due_today } }\n";

/// Every route with an id: (method, path template, a body that would succeed for the owner).
/// `{version}` stands for version 1.
const ID_ROUTES: &[(&str, &str, Option<&str>)] = &[
    ("GET", "/api/v1/debtors/{id}", None),
    (
        "PATCH",
        "/api/v1/debtors/{id}",
        Some(r#"{"name": "Taken Over"}"#),
    ),
    ("DELETE", "/api/v1/debtors/{id}", None),
    ("GET", "/api/v1/debtors/{id}/contact_points", None),
    (
        "POST",
        "/api/v1/debtors/{id}/contact_points",
        Some(r#"{"channel": "email", "address": "intruder@example.com"}"#),
    ),
    ("GET", "/api/v1/debtors/{id}/timeline", None),
    (
        "PATCH",
        "/api/v1/contact_points/{id}",
        Some(r#"{"consent": {"status": "opted_out"}}"#),
    ),
    ("GET", "/api/v1/debts/{id}", None),
    ("GET", "/api/v1/debts/{id}/payments", None),
    (
        "POST",
        "/api/v1/debts/{id}/payments",
        Some(r#"{"amount": "1.00"}"#),
    ),
    ("GET", "/api/v1/debts/{id}/promises", None),
    (
        "POST",
        "/api/v1/debts/{id}/promises",
        Some(r#"{"amount": "1.00", "due_on": "2026-12-31"}"#),
    ),
    ("GET", "/api/v1/debts/{id}/disputes", None),
    (
        "POST",
        "/api/v1/debts/{id}/disputes",
        Some(r#"{"reason": "not mine"}"#),
    ),
    ("GET", "/api/v1/debts/{id}/timeline", None),
    (
        "PATCH",
        "/api/v1/promises/{id}",
        Some(r#"{"status": "broken", "reason": "the debtor called"}"#),
    ),
    (
        "PATCH",
        "/api/v1/disputes/{id}",
        Some(r#"{"status": "upheld"}"#),
    ),
    (
        "PUT",
        "/api/v1/debts/{id}/strategy",
        Some(r#"{"strategy": "iso-collect"}"#),
    ),
    ("GET", "/api/v1/strategies/{id}", None),
    ("GET", "/api/v1/strategies/{id}/versions", None),
    ("GET", "/api/v1/strategies/{id}/versions/{version}", None),
    ("POST", "/api/v1/strategies/{id}/retire", None),
    ("DELETE", "/api/v1/api_keys/{id}", None),
    ("GET", "/api/v1/tasks/{id}", None),
    (
        "POST",
        "/api/v1/tasks/{id}/claim",
        Some(r#"{"assignee": "intruder"}"#),
    ),
    (
        "POST",
        "/api/v1/tasks/{id}/resolve",
        Some(r#"{"outcome": "paid"}"#),
    ),
    (
        "POST",
        "/api/v1/tasks/{id}/reply",
        Some(r#"{"assignee": "intruder", "text": "hola"}"#),
    ),
    (
        "POST",
        "/api/v1/tasks/{id}/notes",
        Some(r#"{"author": "intruder", "note": "seen"}"#),
    ),
    (
        "POST",
        "/api/v1/tasks/{id}/promise",
        Some(r#"{"due_on": "2026-12-01"}"#),
    ),
    (
        "POST",
        "/api/v1/tasks/{id}/payment",
        Some(r#"{"amount": "1.00"}"#),
    ),
    (
        "POST",
        "/api/v1/tasks/{id}/dispute",
        Some(r#"{"reason": "not mine"}"#),
    ),
    ("GET", "/api/v1/debtors/{id}/conversation", None),
    ("GET", "/api/v1/outbox/{id}", None),
    ("POST", "/api/v1/debtors/{id}/portal-link", None),
    ("POST", "/api/v1/debtors/{id}/portal-links/revoke", None),
    ("GET", "/api/v1/disputes/{id}/evidence", None),
    ("GET", "/api/v1/disputes/{id}/evidence/{evidence_id}", None),
    ("GET", "/api/v1/debtors/{id}/plans", None),
    (
        "POST",
        "/api/v1/debtors/{id}/plans/quote",
        Some(r#"{"instalments": 2, "down_payment": "10.00", "first_due_on": "2026-12-10"}"#),
    ),
    (
        "POST",
        "/api/v1/debtors/{id}/plans",
        Some(r#"{"instalments": 2, "down_payment": "10.00", "first_due_on": "2026-12-10"}"#),
    ),
    ("GET", "/api/v1/plans/{id}", None),
    (
        "POST",
        "/api/v1/plans/{id}/cancel",
        Some(r#"{"reason": "taken over"}"#),
    ),
];

/// Tenant A's objects, one of each kind.
struct Objects {
    debtor: String,
    contact_point: String,
    debt: String,
    promise: String,
    dispute: String,
    strategy: String,
    api_key: String,
    task: String,
    contact: String,
    plan: String,
}

impl Objects {
    /// The id a route's `{id}` stands for.
    fn for_route(&self, template: &str) -> &str {
        let resource = template
            .trim_start_matches("/api/v1/")
            .split('/')
            .next()
            .unwrap_or("");
        match resource {
            "debtors" => &self.debtor,
            "contact_points" => &self.contact_point,
            "debts" => &self.debt,
            "promises" => &self.promise,
            "disputes" => &self.dispute,
            "strategies" => &self.strategy,
            "api_keys" => &self.api_key,
            "tasks" => &self.task,
            "outbox" => &self.contact,
            "plans" => &self.plan,
            other => panic!("no object of tenant A for `{other}` ({template}): add one"),
        }
    }
}

async fn seed(app: &App) -> Objects {
    let r = &app.router;
    let k = app.a.as_str();
    let debtor = req("POST", "/api/v1/debtors")
        .key(k)
        .json(&json!({"external_id": "A-1", "name": "Ana Souza"}))
        .send(r)
        .await;
    let debtor = id(debtor.ok(201));
    let cp = req("POST", format!("/api/v1/debtors/{debtor}/contact_points"))
        .key(k)
        .json(&json!({"channel": "email", "address": "ana@example.com", "consent": {"status": "granted"}}))
        .send(r)
        .await;
    let contact_point = id(cp.ok(201));
    let mut debts = vec![];
    for ext in ["A-D1", "A-D2"] {
        let d = req("POST", "/api/v1/debts")
            .key(k)
            .json(&json!({"debtor_id": debtor, "external_id": ext, "amount": "100.00", "currency": "BRL", "due_on": "2026-11-01"}))
            .send(r)
            .await;
        debts.push(id(d.ok(201)));
    }
    let p = req("POST", format!("/api/v1/debts/{}/promises", debts[0]))
        .key(k)
        .json(&json!({"amount": "50.00", "due_on": "2026-12-01"}))
        .send(r)
        .await;
    let promise = p.ok(201)["promise"]["id"]
        .as_str()
        .expect("promise")
        .to_string();
    req("POST", format!("/api/v1/debts/{}/payments", debts[0]))
        .key(k)
        .json(&json!({"amount": "10.00"}))
        .send(r)
        .await
        .ok(201);
    let d = req("POST", format!("/api/v1/debts/{}/disputes", debts[1]))
        .key(k)
        .json(&json!({"reason": "never ordered"}))
        .send(r)
        .await;
    let dispute = d.ok(201)["dispute"]["id"]
        .as_str()
        .expect("dispute")
        .to_string();
    let s = req("POST", "/api/v1/strategies")
        .key(k)
        .raw("application/yaml", STRATEGY)
        .send(r)
        .await;
    assert_eq!(s.ok(201)["strategy_id"], STRATEGY_ID);
    let keys = req("GET", "/api/v1/api_keys").key(k).send(r).await;
    let api_key = id(&keys.ok(200)["items"][0]);
    let (task, contact) = seed_task(app, &debtor, &debts[0]).await;
    // A plan over a debt of its own, so the others keep their state.
    let d = req("POST", "/api/v1/debts")
        .key(k)
        .json(&json!({"debtor_id": debtor, "external_id": "A-D3", "amount": "100.00", "currency": "BRL", "due_on": "2026-11-01"}))
        .send(r)
        .await;
    let plan_debt = id(d.ok(201));
    let plan = req("POST", format!("/api/v1/debtors/{debtor}/plans"))
        .key(k)
        .json(
            &json!({"debts": [plan_debt], "instalments": 2, "down_payment": "10.00",
            "first_due_on": "2026-12-10"}),
        )
        .send(r)
        .await;
    let plan = id(plan.ok(201));
    Objects {
        debtor,
        contact_point,
        debt: debts[0].clone(),
        promise,
        dispute,
        strategy: STRATEGY_ID.to_string(),
        api_key,
        task,
        contact,
        plan,
    }
}

/// A `task:` step's contact of tenant A dispatched into an agent task (only a dispatcher makes
/// tasks): the task's id and the contact's.
async fn seed_task(app: &App, debtor: &str, debt: &str) -> (String, String) {
    let tenants = app.store.list_tenants().await.expect("tenants");
    let tenant = tenants
        .iter()
        .find(|t| t.name == "Luz do Vale")
        .expect("tenant A");
    let ts = app.store.tenant(tenant);
    let planned = NewContact {
        debtor_id: debtor.parse().expect("debtor id"),
        debt_id: debt.parse().expect("debt id"),
        covers: vec![],
        contact_point_id: None,
        strategy: Some(STRATEGY_ID.into()),
        strategy_version: Some(1),
        step: "agent".into(),
        arm: None,
        channel: Channel::Voice,
        template: None,
        queue: Some("agents".into()),
        scheduled_for: t0(),
        local_date: t0().date_naive(),
        reason: "step agent due".into(),
    };
    let contact = ts.plan_contacts(&[planned], t0()).await.expect("planned")[0];
    let claimed = ts
        .claim_contacts(t0(), 1, std::time::Duration::from_secs(60), "w")
        .await
        .expect("claimed");
    let outcome = DispatchOutcome::Task {
        queue: "agents".into(),
        script: "negotiate".into(),
    };
    ts.record_dispatch("w", vec![(ContactRef::from(&claimed[0]), outcome)], t0())
        .await
        .expect("recorded");
    let tasks = ts.list_tasks(&TaskFilter::default()).await.expect("tasks");
    (tasks[0].id.to_string(), contact.to_string())
}

/// Everything tenant A can see of its objects.
async fn snapshot(r: &Router, key: &str, o: &Objects) -> Value {
    let mut out = serde_json::Map::new();
    let mut paths = vec![
        format!("/api/v1/debtors/{}", o.debtor),
        format!("/api/v1/debtors/{}/contact_points", o.debtor),
        format!("/api/v1/debtors/{}/timeline?limit=1000", o.debtor),
        "/api/v1/debtors".to_string(),
        "/api/v1/debts".to_string(),
        "/api/v1/strategies".to_string(),
        format!("/api/v1/strategies/{}/versions", o.strategy),
        "/api/v1/api_keys".to_string(),
        "/api/v1/tasks".to_string(),
        format!("/api/v1/tasks/{}", o.task),
        format!("/api/v1/debtors/{}/conversation", o.debtor),
        "/api/v1/reply-settings".to_string(),
        "/api/v1/outbox".to_string(),
        format!("/api/v1/outbox/{}", o.contact),
        "/api/v1/outbox/counts".to_string(),
        format!("/api/v1/debtors/{}/plans", o.debtor),
        format!("/api/v1/plans/{}", o.plan),
        "/api/v1/plan-rules".to_string(),
    ];
    let debts = req("GET", "/api/v1/debts").key(key).send(r).await;
    for d in debts.ok(200)["items"].as_array().expect("items") {
        let d = id(d);
        for sub in [
            "",
            "/payments",
            "/promises",
            "/disputes",
            "/timeline?limit=1000",
        ] {
            paths.push(format!("/api/v1/debts/{d}{sub}"));
        }
    }
    for p in paths {
        let resp = req("GET", p.as_str()).key(key).send(r).await;
        out.insert(p, resp.ok(200).clone());
    }
    Value::Object(out)
}

#[tokio::test]
async fn another_tenants_objects_are_not_found_anywhere() {
    for app in apps().await {
        eprintln!("--- {}", app.db);
        let r = &app.router;
        let objects = seed(&app).await;
        let before = snapshot(r, &app.a, &objects).await;

        // The table covers every path with an id in the OpenAPI document.
        let doc = req("GET", "/api/v1/openapi.json").send(r).await;
        let doc = doc.ok(200);
        let mut in_doc = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            if !path.contains("{id}") {
                continue;
            }
            for method in ["get", "post", "patch", "put", "delete"] {
                if item.get(method).is_some() {
                    in_doc.insert((method.to_uppercase(), path.clone()));
                }
            }
        }
        let in_table: BTreeSet<(String, String)> = ID_ROUTES
            .iter()
            .map(|(m, p, _)| (m.to_string(), p.to_string()))
            .collect();
        let missing: Vec<_> = in_doc.difference(&in_table).collect();
        assert!(
            missing.is_empty(),
            "routes with an id missing from ID_ROUTES: {missing:?}"
        );
        let stale: Vec<_> = in_table.difference(&in_doc).collect();
        assert!(
            stale.is_empty(),
            "ID_ROUTES lists routes the API does not have: {stale:?}"
        );

        // B on every route, with A's ids: 404, as for an id that does not exist.
        for (i, (method, template, body)) in ID_ROUTES.iter().enumerate() {
            let uri = template
                .replace("{id}", objects.for_route(template))
                .replace("{version}", "1");
            let mut request = req(method, uri.as_str()).key(&app.b);
            if let Some(b) = body {
                request = request.raw("application/json", *b);
            }
            let resp = request.send(r).await;
            let p = resp.problem(404, "not-found");
            assert!(
                !p.to_string().contains("Ana"),
                "{method} {template}: nothing of A leaks: {p}"
            );
            // With an idempotency key too (the key is scoped to the tenant).
            if *method == "POST" {
                let mut again = req(method, uri.as_str())
                    .key(&app.b)
                    .header("idempotency-key", &format!("iso-{i}"));
                if let Some(b) = body {
                    again = again.raw("application/json", *b);
                }
                again.send(r).await.problem(404, "not-found");
            }
        }

        // B naming A's debtor in a body, or filtering by it.
        for body in [
            json!({"debtor_id": objects.debtor, "external_id": "B-D1", "amount": "1.00", "currency": "COP"}),
            json!({"debtor_external_id": "A-1", "external_id": "B-D1", "amount": "1.00", "currency": "COP"}),
        ] {
            let resp = req("POST", "/api/v1/debts")
                .key(&app.b)
                .json(&body)
                .send(r)
                .await;
            let p = resp.problem(404, "not-found");
            assert!(
                p["field"]
                    .as_str()
                    .is_some_and(|f| f.starts_with("debtor_")),
                "{p}"
            );
        }
        for query in [
            format!("/api/v1/debts?debtor_id={}", objects.debtor),
            "/api/v1/debtors?external_id=A-1".to_string(),
            "/api/v1/debts?external_id=A-D1".to_string(),
            "/api/v1/debtors".to_string(),
            "/api/v1/debts".to_string(),
        ] {
            let resp = req("GET", query.as_str()).key(&app.b).send(r).await;
            assert_eq!(resp.ok(200)["items"], json!([]), "{query}");
        }
        // The same external id in B is B's own business.
        let own = req("POST", "/api/v1/debtors")
            .key(&app.b)
            .json(&json!({"external_id": "A-1", "name": "Someone Else"}))
            .send(r)
            .await;
        own.ok(201);

        // B's own strategy of the same name is B's: A's stays as it is, and neither can move the
        // other's debts to it.
        let theirs = STRATEGY.replace("due_today", "overdue_soft");
        let own = req("POST", "/api/v1/strategies")
            .key(&app.b)
            .raw("application/yaml", theirs.as_str())
            .send(r)
            .await;
        assert_eq!(own.ok(201)["version"], 1);
        let theirs_read = req("GET", format!("/api/v1/strategies/{STRATEGY_ID}"))
            .key(&app.b)
            .send(r)
            .await;
        assert_eq!(theirs_read.ok(200)["source"], theirs.as_str());
        req("PUT", format!("/api/v1/debts/{}/strategy", objects.debt))
            .key(&app.b)
            .json(&json!({"strategy": STRATEGY_ID}))
            .send(r)
            .await
            .problem(404, "not-found");

        // A's side is untouched (B's own debtor and strategy do not show either).
        let after = snapshot(r, &app.a, &objects).await;
        assert_eq!(before, after, "tenant A's objects changed");

        // And A still works with its ids.
        let resp = req("PATCH", format!("/api/v1/promises/{}", objects.promise))
            .key(&app.a)
            .json(&json!({"status": "broken", "reason": "the debtor called"}))
            .send(r)
            .await;
        resp.ok(200);
    }
}
