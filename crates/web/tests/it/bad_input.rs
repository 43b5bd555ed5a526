//! What the API answers to requests it cannot take: every error a problem document naming the
//! field at fault; keys, limits and idempotency.

use crate::fixtures::{apps, apps_with_limits, id, req};
use serde_json::json;

#[tokio::test]
async fn malformed_and_mistyped_bodies_name_the_field() {
    for app in apps().await {
        eprintln!("--- {}", app.db);
        let r = &app.router;
        let k = app.a.as_str();

        let resp = req("POST", "/api/v1/debtors")
            .key(k)
            .raw("application/json", r#"{"external_id": "C-1", "#)
            .send(r)
            .await;
        resp.problem(400, "malformed-json");
        let resp = req("POST", "/api/v1/debtors")
            .key(k)
            .raw("application/json", "")
            .send(r)
            .await;
        resp.problem(400, "malformed-json");
        let resp = req("POST", "/api/v1/debtors")
            .key(k)
            .raw(
                "application/json",
                r#"{"external_id": "C-1", "name": "A"} trailing"#,
            )
            .send(r)
            .await;
        resp.problem(400, "malformed-json");

        // (body, field named)
        let cases = [
            (json!({"external_id": 5, "name": "Ana"}), "external_id"),
            (json!({"external_id": "C-1"}), "name"),
            (
                json!({"external_id": "C-1", "name": "Ana", "nickname": "A"}),
                "nickname",
            ),
            (
                json!({"external_id": "C-1", "name": "Ana", "kind": "robot"}),
                "kind",
            ),
            (
                json!({"external_id": "C-1", "name": "Ana", "birth_date": "31/12/1990"}),
                "birth_date",
            ),
            (
                json!({"external_id": "C-1", "name": "Ana", "preferences": {"allowed_weekdays": ["someday"]}}),
                "preferences.allowed_weekdays[0]",
            ),
            (
                json!({"external_id": "C-1", "name": "Ana", "preferences": {"colour": "red"}}),
                "preferences.colour",
            ),
        ];
        for (body, field) in cases {
            let resp = req("POST", "/api/v1/debtors")
                .key(k)
                .json(&body)
                .send(r)
                .await;
            let p = resp.problem(400, "invalid-field");
            assert_eq!(p["field"], field, "{body}: {p}");
            assert!(p["detail"].is_string(), "{p}");
        }
        // Store validation: 422 naming the field.
        let resp = req("POST", "/api/v1/debtors")
            .key(k)
            .json(&json!({"external_id": "C-1", "name": "  "}))
            .send(r)
            .await;
        assert_eq!(resp.problem(422, "invalid-field")["field"], "name");
        let resp = req("POST", "/api/v1/debtors")
            .key(k)
            .json(&json!({"external_id": "C-1", "name": "Ana", "timezone": "Mars/Olympus"}))
            .send(r)
            .await;
        assert_eq!(resp.problem(422, "invalid-field")["field"], "timezone");

        let debtor = req("POST", "/api/v1/debtors")
            .key(k)
            .json(&json!({"external_id": "C-1", "name": "Ana"}))
            .send(r)
            .await;
        let debtor = id(debtor.ok(201));
        let dup = req("POST", "/api/v1/debtors")
            .key(k)
            .json(&json!({"external_id": "C-1", "name": "Ana again"}))
            .send(r)
            .await;
        assert_eq!(dup.problem(409, "duplicate")["field"], "external_id");

        // Contact points: nested fields are named with their path.
        let cp = format!("/api/v1/debtors/{debtor}/contact_points");
        for (body, status, field) in [
            (
                json!({"channel": "email", "address": "x@example.com", "consent": {"status": 5}}),
                400,
                "consent.status",
            ),
            (
                json!({"channel": "email", "address": "x@example.com", "consent": {}}),
                400,
                "consent.status",
            ),
            (json!({"channel": "fax", "address": "1"}), 400, "channel"),
            (
                json!({"channel": "email", "address": "not an email"}),
                422,
                "address",
            ),
            (json!({"channel": "sms", "address": "12"}), 422, "address"),
            (json!({"channel": "letter"}), 422, "postal"),
            // A Medellín landline takes calls, not texts.
            (
                json!({"channel": "sms", "address": "+57 604 444 5566"}),
                422,
                "address",
            ),
            (
                json!({"channel": "whatsapp", "address": "+57 604 444 5566"}),
                422,
                "address",
            ),
        ] {
            let resp = req("POST", cp.as_str()).key(k).json(&body).send(r).await;
            assert_eq!(
                resp.problem(status, "invalid-field")["field"],
                field,
                "{body}"
            );
        }
        let landline = req("POST", cp.as_str())
            .key(k)
            .json(&json!({"channel": "sms", "address": "+57 604 444 5566"}))
            .send(r)
            .await;
        let detail = landline.problem(422, "invalid-field")["detail"].to_string();
        assert!(detail.contains("landline"), "{detail}");
        let voice = req("POST", cp.as_str())
            .key(k)
            .json(&json!({"channel": "voice", "address": "+57 604 444 5566"}))
            .send(r)
            .await;
        assert_eq!(voice.ok(201)["address"], "+576044445566", "{}", voice.text);

        // Debts: currency and amounts.
        let base = json!({"debtor_id": debtor, "external_id": "D-1", "amount": "10.00", "currency": "BRL", "due_on": "2026-11-01"});
        let with = |k: &str, v: serde_json::Value| {
            let mut b = base.clone();
            b[k] = v;
            b
        };
        for (body, status, slug, field) in [
            (
                with("currency", json!("XYZ")),
                422,
                "invalid-field",
                "currency",
            ),
            (with("amount", json!("1,5")), 422, "invalid-field", "amount"),
            (
                with("amount", json!("10.555")),
                422,
                "invalid-field",
                "amount",
            ),
            (with("amount", json!("-3")), 422, "invalid-field", "amount"),
            (with("amount", json!(true)), 400, "invalid-field", "amount"),
            (
                with("balance", json!("11.00")),
                422,
                "invalid-field",
                "balance",
            ),
            (
                with("due_on", json!("2026-02-30")),
                400,
                "invalid-field",
                "due_on",
            ),
            (
                with("debtor_id", json!("dbr_nope")),
                404,
                "not-found",
                "debtor_id",
            ),
            (
                with("debtor_external_id", json!("C-1")),
                400,
                "invalid-field",
                "debtor_id",
            ),
        ] {
            let resp = req("POST", "/api/v1/debts")
                .key(k)
                .json(&body)
                .send(r)
                .await;
            assert_eq!(resp.problem(status, slug)["field"], field, "{body}");
        }
        let debt = req("POST", "/api/v1/debts")
            .key(k)
            .json(&base)
            .send(r)
            .await;
        let debt = id(debt.ok(201));
        let clp = req("POST", "/api/v1/debts")
            .key(k)
            .json(
                &with("currency", json!("CLP"))
                    .as_object()
                    .map(|o| {
                        let mut o = o.clone();
                        o.insert("external_id".into(), json!("D-2"));
                        o.insert("amount".into(), json!("100.5"));
                        serde_json::Value::Object(o)
                    })
                    .unwrap_or_default(),
            )
            .send(r)
            .await;
        assert_eq!(
            clp.problem(422, "invalid-field")["field"],
            "amount",
            "CLP has no decimals"
        );

        // Payments and promises.
        let pay = format!("/api/v1/debts/{debt}/payments");
        let resp = req("POST", pay.as_str())
            .key(k)
            .json(&json!({"amount": "1.00", "currency": "USD"}))
            .send(r)
            .await;
        assert_eq!(resp.problem(422, "invalid-field")["field"], "currency");
        let resp = req("POST", pay.as_str())
            .key(k)
            .json(&json!({"amount": "0"}))
            .send(r)
            .await;
        assert_eq!(resp.problem(422, "rule-violation")["field"], "amount");
        let resp = req("POST", format!("/api/v1/debts/{debt}/promises"))
            .key(k)
            .json(&json!({"amount": "5.00", "due_on": "2026-11-22"}))
            .send(r)
            .await;
        assert_eq!(
            resp.problem(422, "rule-violation")["field"],
            "due_on",
            "yesterday in São Paulo"
        );
        let resp = req("POST", format!("/api/v1/debts/{debt}/promises"))
            .key(k)
            .json(&json!({"amount": "5.00", "due_on": "2026-11-23"}))
            .send(r)
            .await;
        let prm = resp.ok(201)["promise"]["id"]
            .as_str()
            .expect("promise")
            .to_string();
        let resp = req("PATCH", format!("/api/v1/promises/{prm}"))
            .key(k)
            .json(&json!({"status": "pending", "reason": "back to pending"}))
            .send(r)
            .await;
        assert_eq!(resp.problem(422, "invalid-field")["field"], "status");
        let resp = req("PATCH", format!("/api/v1/promises/{prm}"))
            .key(k)
            .json(&json!({"status": "someday", "reason": "the debtor called"}))
            .send(r)
            .await;
        assert_eq!(resp.problem(400, "invalid-field")["field"], "status");
        // An override says why.
        let resp = req("PATCH", format!("/api/v1/promises/{prm}"))
            .key(k)
            .json(&json!({"status": "kept"}))
            .send(r)
            .await;
        assert_eq!(resp.problem(400, "invalid-field")["field"], "reason");
        let resp = req("PATCH", format!("/api/v1/promises/{prm}"))
            .key(k)
            .json(&json!({"status": "kept", "reason": " "}))
            .send(r)
            .await;
        assert_eq!(resp.problem(422, "invalid-field")["field"], "reason");
        // A payment above the balance.
        let resp = req("POST", pay.as_str())
            .key(k)
            .json(&json!({"amount": "1000000.00"}))
            .send(r)
            .await;
        let problem = resp.problem(422, "rule-violation");
        assert_eq!(problem["field"], "amount");
        assert!(
            problem["detail"]
                .as_str()
                .is_some_and(|d| d.contains("allow_overpayment")),
            "{}",
            resp.text
        );
        let resp = req("POST", pay.as_str())
            .key(k)
            .json(&json!({"amount": "1.00", "allow_overpayment": "yes"}))
            .send(r)
            .await;
        assert_eq!(
            resp.problem(400, "invalid-field")["field"],
            "allow_overpayment"
        );
        // A cursor that is not one.
        let resp = req("GET", format!("/api/v1/debts/{debt}/timeline?cursor=evt_1"))
            .key(k)
            .send(r)
            .await;
        assert_eq!(resp.problem(422, "invalid-field")["field"], "cursor");

        // Query strings.
        for (uri, field) in [
            ("/api/v1/debtors?limit=abc", "limit"),
            ("/api/v1/debtors?colour=red", "colour"),
            ("/api/v1/debtors?country=XX", "country"),
            ("/api/v1/debts?due_before=tomorrow", "due_before"),
            ("/api/v1/debts?status=lost", "status"),
            ("/api/v1/debts?debtor_id=debt_01", "debtor_id"),
        ] {
            let resp = req("GET", uri).key(k).send(r).await;
            assert_eq!(resp.problem(400, "invalid-field")["field"], field, "{uri}");
        }

        // Ids that do not parse look like ids that do not exist.
        for uri in [
            "/api/v1/debtors/nope".to_string(),
            format!("/api/v1/debtors/{debt}"),
            format!("/api/v1/debts/{debtor}"),
            "/api/v1/debts/debt_01JD8X3Q4Z0000000000000000".to_string(),
            "/api/v1/debts/debt_01JD8X3Q4Z0000000000000000/timeline".to_string(),
        ] {
            req("GET", uri.as_str())
                .key(k)
                .send(r)
                .await
                .problem(404, "not-found");
        }

        // Wrong method, unknown route, wrong media type.
        req("DELETE", format!("/api/v1/debts/{debt}"))
            .key(k)
            .send(r)
            .await
            .problem(405, "method-not-allowed");
        req("GET", "/api/v1/nothing-here")
            .key(k)
            .send(r)
            .await
            .problem(404, "not-found");
        req("POST", "/api/v1/debtors")
            .key(k)
            .raw("text/plain", r#"{"external_id": "C-9", "name": "A"}"#)
            .send(r)
            .await
            .problem(415, "unsupported-media-type");
    }
}

#[tokio::test]
async fn api_keys_are_required_and_checked() {
    for app in apps().await {
        let r = &app.router;
        let resp = req("GET", "/api/v1/debtors").send(r).await;
        resp.problem(401, "unauthorized");
        assert_eq!(
            resp.headers
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok()),
            Some("Bearer")
        );
        for auth in [
            "Bearer rk_not-a-key",
            "Bearer ",
            "Basic dXNlcjpwYXNz",
            "Bearer nokey",
        ] {
            let resp = req("GET", "/api/v1/debtors")
                .header("authorization", auth)
                .send(r)
                .await;
            resp.problem(401, "unauthorized");
        }
        let resp = req("POST", "/api/v1/debtors")
            .header("authorization", "Bearer rk_not-a-key")
            .json(&json!({"external_id": "C-1", "name": "Ana"}))
            .send(r)
            .await;
        resp.problem(401, "unauthorized");
        // The key of a tenant works.
        req("GET", "/api/v1/debtors")
            .key(&app.a)
            .send(r)
            .await
            .ok(200);
        // Public endpoints need none.
        req("GET", "/healthz").send(r).await.ok(200);
        req("GET", "/api/v1/openapi.json").send(r).await.ok(200);
    }
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused() {
    for app in apps_with_limits(1024, 64 * 1024).await {
        let r = &app.router;
        let k = app.a.as_str();
        let big = json!({"external_id": "C-1", "name": "x".repeat(2000)}).to_string();
        // Announced by Content-Length, streamed without it, and through the idempotency layer.
        let resp = req("POST", "/api/v1/debtors")
            .key(k)
            .raw("application/json", big.clone())
            .header("content-length", &big.len().to_string())
            .send(r)
            .await;
        resp.problem(413, "payload-too-large");
        let resp = req("POST", "/api/v1/debtors")
            .key(k)
            .raw("application/json", big.clone())
            .send(r)
            .await;
        resp.problem(413, "payload-too-large");
        let resp = req("POST", "/api/v1/debtors")
            .key(k)
            .header("idempotency-key", "big-1")
            .raw("application/json", big.clone())
            .send(r)
            .await;
        resp.problem(413, "payload-too-large");
        // Nothing was created; a small body passes.
        let list = req("GET", "/api/v1/debtors").key(k).send(r).await;
        assert_eq!(list.ok(200)["items"], json!([]));
        req("POST", "/api/v1/debtors")
            .key(k)
            .json(&json!({"external_id": "C-1", "name": "Ana"}))
            .send(r)
            .await
            .ok(201);
        // Imports have their own, larger limit.
        let mut csv = String::from(
            "debtor_external_id,debtor_name,debt_external_id,currency,amount,due_date\n",
        );
        for i in 0..100 {
            csv.push_str(&format!(
                "C-{i},Debtor number {i},D-{i},BRL,10.00,2026-12-01\n"
            ));
        }
        assert!(csv.len() > 1024);
        let rep = req("POST", "/api/v1/imports")
            .key(k)
            .raw("text/csv", csv.clone())
            .send(r)
            .await;
        assert_eq!(rep.ok(200)["imported"], 100);
        // … which is a limit too.
        while csv.len() <= 64 * 1024 {
            csv.push_str("C-x,Debtor x,D-x,BRL,10.00,2026-12-01\n");
        }
        let rep = req("POST", "/api/v1/imports")
            .key(k)
            .raw("text/csv", csv)
            .send(r)
            .await;
        rep.problem(413, "payload-too-large");
    }
}

#[tokio::test]
async fn idempotency_keys_replay_the_first_answer() {
    for app in apps().await {
        eprintln!("--- {}", app.db);
        let r = &app.router;
        let k = app.a.as_str();
        let body = json!({"external_id": "C-1", "name": "Ana"});
        let first = req("POST", "/api/v1/debtors")
            .key(k)
            .header("idempotency-key", "create-c1")
            .json(&body)
            .send(r)
            .await;
        first.ok(201);
        assert!(first.headers.get("idempotent-replayed").is_none());
        app.clock.advance(chrono::Duration::minutes(5));
        let again = req("POST", "/api/v1/debtors")
            .key(k)
            .header("idempotency-key", "create-c1")
            .json(&body)
            .send(r)
            .await;
        again.ok(201);
        assert_eq!(again.text, first.text, "the same body, byte for byte");
        assert_eq!(again.content_type(), "application/json");
        assert_eq!(
            again
                .headers
                .get("idempotent-replayed")
                .and_then(|v| v.to_str().ok()),
            Some("true")
        );
        let list = req("GET", "/api/v1/debtors").key(k).send(r).await;
        assert_eq!(
            list.ok(200)["items"].as_array().map(Vec::len),
            Some(1),
            "one debtor"
        );

        // The same key with another body.
        let other = req("POST", "/api/v1/debtors")
            .key(k)
            .header("idempotency-key", "create-c1")
            .json(&json!({"external_id": "C-2", "name": "Bruno"}))
            .send(r)
            .await;
        assert_eq!(
            other.problem(422, "idempotency-key-reused")["field"],
            "Idempotency-Key"
        );
        // … or another path.
        let debtor = id(&first.json);
        let other = req("POST", format!("/api/v1/debtors/{debtor}/contact_points"))
            .key(k)
            .header("idempotency-key", "create-c1")
            .json(&body)
            .send(r)
            .await;
        other.problem(422, "idempotency-key-reused");

        // A 4xx answer is kept too.
        let bad = json!({"external_id": "C-3", "name": "Ana", "timezone": "Mars/Olympus"});
        let first = req("POST", "/api/v1/debtors")
            .key(k)
            .header("idempotency-key", "bad-1")
            .json(&bad)
            .send(r)
            .await;
        first.problem(422, "invalid-field");
        let again = req("POST", "/api/v1/debtors")
            .key(k)
            .header("idempotency-key", "bad-1")
            .json(&bad)
            .send(r)
            .await;
        again.problem(422, "invalid-field");
        assert_eq!(again.text, first.text);
        assert!(again.headers.get("idempotent-replayed").is_some());

        // A payment retried: one payment.
        let debt = req("POST", "/api/v1/debts")
            .key(k)
            .json(&json!({"debtor_id": debtor, "external_id": "D-1", "amount": "100.00", "currency": "BRL"}))
            .send(r)
            .await;
        let debt = id(debt.ok(201));
        let pay = json!({"amount": "30.00"});
        let mut bodies = vec![];
        for _ in 0..3 {
            let resp = req("POST", format!("/api/v1/debts/{debt}/payments"))
                .key(k)
                .header("idempotency-key", "pay-1")
                .json(&pay)
                .send(r)
                .await;
            resp.ok(201);
            bodies.push(resp.text);
        }
        assert!(bodies.windows(2).all(|w| w[0] == w[1]));
        let d = req("GET", format!("/api/v1/debts/{debt}"))
            .key(k)
            .send(r)
            .await;
        assert_eq!(d.ok(200)["balance"]["amount"], "70.00");
        let pays = req("GET", format!("/api/v1/debts/{debt}/payments"))
            .key(k)
            .send(r)
            .await;
        assert_eq!(pays.ok(200)["items"].as_array().map(Vec::len), Some(1));

        // Keys are per tenant: B may use A's key name for its own request.
        let b = req("POST", "/api/v1/debtors")
            .key(&app.b)
            .header("idempotency-key", "create-c1")
            .json(&json!({"external_id": "B-1", "name": "Bea"}))
            .send(r)
            .await;
        b.ok(201);
        assert!(b.headers.get("idempotent-replayed").is_none());

        // A key that is not a key.
        let resp = req("POST", "/api/v1/debtors")
            .key(k)
            .header("idempotency-key", &"x".repeat(300))
            .json(&json!({"external_id": "C-4", "name": "Ana"}))
            .send(r)
            .await;
        assert_eq!(
            resp.problem(400, "invalid-field")["field"],
            "Idempotency-Key"
        );
    }
}

#[tokio::test]
async fn strategies_that_do_not_validate_or_conflict_are_refused() {
    for app in apps().await {
        eprintln!("--- {}", app.db);
        let r = &app.router;
        let k = app.a.as_str();

        // Every error of the document, each with its place; nothing stored.
        let bad = "\
id: bad
steps:
  - id: late-3
    at: due+3d
    send: { channel: fax, template: overdue_soft }
  - { id: agent, at: due+15d, if: \"amount > 5.0\", task: { queue: agents } }
experiments:
  - { id: e, step: gone, arms: { A: {channel: sms} }, split: [90] }
";
        let resp = req("POST", "/api/v1/strategies")
            .key(k)
            .raw("application/yaml", bad)
            .send(r)
            .await;
        let p = resp.problem(422, "invalid-strategy");
        assert_eq!(
            p["errors"],
            json!([
                {"line": 5, "column": 22, "path": "steps[0].send.channel",
                 "message": "unknown channel `fax` (expected one of: email, sms, whatsapp, voice, letter, best)"},
                {"line": 6, "column": 35, "path": "steps[1].if",
                 "message": "unknown variable `amount` in CEL (the variables are: debtor, debt, score, events, now)"},
                {"line": 8, "column": 20, "path": "experiments[0].step", "message": "unknown step `gone`"},
                {"line": 8, "column": 62, "path": "experiments[0].split", "message": "the split sums to 90, not 100"},
            ]),
            "{p}"
        );
        assert!(
            p["detail"].as_str().is_some_and(|d| d.contains("4 errors")),
            "{p}"
        );
        // YAML that does not parse, and a typo in a key, sent as JSON: one error each, placed.
        for (body, line, column, path) in [
            (json!({"source": "id: x\nsteps: [\n"}), 3, 1, "."),
            (
                json!({"source": "id: x\nsteps:\n  - { id: a, at: due, sned: { channel: sms, template: due_today } }\n"}),
                3,
                23,
                "steps[0]",
            ),
        ] {
            let resp = req("POST", "/api/v1/strategies")
                .key(k)
                .json(&body)
                .send(r)
                .await;
            let p = resp.problem(422, "invalid-strategy");
            let errors = p["errors"].as_array().expect("errors");
            assert_eq!(errors.len(), 1, "{p}");
            assert_eq!(errors[0]["line"], line, "{p}");
            assert_eq!(errors[0]["column"], column, "{p}");
            assert_eq!(errors[0]["path"], path, "{p}");
            assert!(errors[0]["message"].is_string(), "{p}");
        }
        let list = req("GET", "/api/v1/strategies").key(k).send(r).await;
        assert_eq!(list.ok(200)["items"], json!([]), "nothing stored");
        req("GET", "/api/v1/strategies/bad")
            .key(k)
            .send(r)
            .await
            .problem(404, "not-found");

        // Versions: another document under a stored version, or below the latest: 409.
        let doc = |v: u32, template: &str| {
            format!(
                "id: s\nversion: {v}\nsteps:\n  - {{ id: a, at: due, send: {{ channel: email, template: {template} }} }}\n"
            )
        };
        for (v, t) in [(1, "due_today"), (3, "due_today")] {
            req("POST", "/api/v1/strategies")
                .key(k)
                .raw("application/yaml", doc(v, t))
                .send(r)
                .await
                .ok(201);
        }
        for (v, t, says) in [
            (3, "statement", "raise `version`"),
            (2, "statement", "at version 3"),
        ] {
            let resp = req("POST", "/api/v1/strategies")
                .key(k)
                .raw("application/yaml", doc(v, t))
                .send(r)
                .await;
            let p = resp.problem(409, "version-conflict");
            assert_eq!(p["field"], "version");
            assert!(
                p["detail"].as_str().is_some_and(|d| d.contains(says)),
                "{p}"
            );
        }
        let one = req("GET", "/api/v1/strategies/s/versions/3")
            .key(k)
            .send(r)
            .await;
        assert_eq!(one.ok(200)["source"], doc(3, "due_today"), "unchanged");

        // Wrong media type, wrong JSON shape, text that is not UTF-8.
        req("POST", "/api/v1/strategies")
            .key(k)
            .raw("application/x-www-form-urlencoded", "id=x")
            .send(r)
            .await
            .problem(415, "unsupported-media-type");
        let resp = req("POST", "/api/v1/strategies")
            .key(k)
            .json(&json!({"yaml": "id: x"}))
            .send(r)
            .await;
        assert_eq!(resp.problem(400, "invalid-field")["field"], "yaml");
        req("POST", "/api/v1/strategies")
            .key(k)
            .raw("application/yaml", vec![0xff, 0xfe, b'i', b'd'])
            .send(r)
            .await
            .problem(400, "bad-request");

        // Paths and bodies naming what does not exist: 404, naming the field when it is in a body.
        for path in [
            "/api/v1/strategies/s/versions/7",
            "/api/v1/strategies/s/versions/x",
            "/api/v1/strategies/s/versions/-1",
            "/api/v1/strategies/nope/versions",
        ] {
            req("GET", path)
                .key(k)
                .send(r)
                .await
                .problem(404, "not-found");
        }
        req("POST", "/api/v1/strategies/nope/retire")
            .key(k)
            .send(r)
            .await
            .problem(404, "not-found");
        let debtor = req("POST", "/api/v1/debtors")
            .key(k)
            .json(&json!({"external_id": "S-1", "name": "Sara"}))
            .send(r)
            .await;
        let debtor = id(debtor.ok(201));
        let debt = req("POST", "/api/v1/debts")
            .key(k)
            .json(&json!({"debtor_id": debtor, "external_id": "S-D1", "amount": "5.00", "currency": "BRL"}))
            .send(r)
            .await;
        let debt = id(debt.ok(201));
        for body in [
            json!({"strategy": "nope"}),
            json!({"strategy": "s", "version": 2}),
        ] {
            let resp = req("PUT", format!("/api/v1/debts/{debt}/strategy"))
                .key(k)
                .json(&body)
                .send(r)
                .await;
            assert_eq!(
                resp.problem(404, "not-found")["field"],
                "strategy",
                "{body}"
            );
        }
        for (body, field) in [
            (json!({"strategy": "s", "version": -1}), "version"),
            (json!({"version": 1}), "strategy"),
            (json!({"strategy": "s", "arm": "A"}), "arm"),
        ] {
            let resp = req("PUT", format!("/api/v1/debts/{debt}/strategy"))
                .key(k)
                .json(&body)
                .send(r)
                .await;
            assert_eq!(resp.problem(400, "invalid-field")["field"], field, "{body}");
        }
        req("PUT", "/api/v1/debts/debt_nope/strategy")
            .key(k)
            .json(&json!({"strategy": "s"}))
            .send(r)
            .await
            .problem(404, "not-found");
        let still = req("GET", format!("/api/v1/debts/{debt}"))
            .key(k)
            .send(r)
            .await;
        assert_eq!(still.ok(200)["strategy"], serde_json::Value::Null);

        // Idempotency-Key: the first answer (201) again, where a plain retry says 200.
        let new = doc(4, "statement");
        let first = req("POST", "/api/v1/strategies")
            .key(k)
            .header("idempotency-key", "put-s4")
            .raw("application/yaml", new.as_str())
            .send(r)
            .await;
        first.ok(201);
        let replay = req("POST", "/api/v1/strategies")
            .key(k)
            .header("idempotency-key", "put-s4")
            .raw("application/yaml", new.as_str())
            .send(r)
            .await;
        replay.ok(201);
        assert_eq!(replay.text, first.text);
        assert_eq!(
            replay
                .headers
                .get("idempotent-replayed")
                .and_then(|v| v.to_str().ok()),
            Some("true")
        );
        req("POST", "/api/v1/strategies")
            .key(k)
            .raw("application/yaml", new.as_str())
            .send(r)
            .await
            .ok(200);

        // A key is needed, except for the schema.
        req("GET", "/api/v1/strategies")
            .send(r)
            .await
            .problem(401, "unauthorized");
        req("GET", "/api/v1/schemas/strategy.json")
            .send(r)
            .await
            .ok(200);
    }
}
