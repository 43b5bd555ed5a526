//! A walk through every endpoint as a tenant would use them.

use crate::fixtures::{apps, id, req};
use serde_json::{Value, json};

fn external_ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|d| d["external_id"].as_str().map(str::to_string))
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[tokio::test]
async fn every_endpoint_in_a_day_of_collection() {
    for app in apps().await {
        let r = &app.router;
        let k = app.a.as_str();
        eprintln!("--- {}", app.db);

        // Debtors.
        let ana = req("POST", "/api/v1/debtors")
            .key(k)
            .json(&json!({
                "external_id": "C-1", "name": "Ana Souza", "segment": "retail",
                "document_type": "cpf", "document_number": "12345678909",
                "tags": ["new"], "attributes": {"plan": "gold"},
                "preferences": {"allowed_weekdays": ["mon", "tue"], "paperless": true}
            }))
            .send(r)
            .await;
        let ana = ana.ok(201).clone();
        assert!(id(&ana).starts_with("dbr_"));
        assert_eq!(ana["country"], "BR");
        assert_eq!(ana["timezone"], "America/Sao_Paulo");
        // The tenant's segment, and beside it the planner's (none until it plans).
        assert_eq!(ana["segment"], "retail");
        assert!(
            ana.as_object().unwrap().contains_key("computed_segment")
                && ana["computed_segment"].is_null(),
            "{ana}"
        );
        assert_eq!(
            ana["preferences"]["allowed_weekdays"],
            json!(["mon", "tue"])
        );
        let ana_id = id(&ana);
        let bruno = req("POST", "/api/v1/debtors")
            .key(k)
            .json(&json!({"external_id": "C-2", "name": "Bruno Lima", "kind": "business", "segment": "sme"}))
            .send(r)
            .await
            .ok(201)
            .clone();
        req("POST", "/api/v1/debtors")
            .key(k)
            .json(&json!({"external_id": "C-3", "name": "Carla Dias", "country": "MX"}))
            .send(r)
            .await
            .ok(201);

        let got = req("GET", format!("/api/v1/debtors/{ana_id}"))
            .key(k)
            .send(r)
            .await;
        assert_eq!(got.ok(200), &ana);

        // Pagination: 2 + 1.
        let p1 = req("GET", "/api/v1/debtors?limit=2").key(k).send(r).await;
        let p1 = p1.ok(200);
        assert_eq!(p1["items"].as_array().map(Vec::len), Some(2));
        let cursor = p1["next_cursor"].as_str().expect("a next page").to_string();
        let p2 = req("GET", format!("/api/v1/debtors?limit=2&cursor={cursor}"))
            .key(k)
            .send(r)
            .await;
        let p2 = p2.ok(200);
        assert_eq!(p2["items"].as_array().map(Vec::len), Some(1));
        assert!(p2["next_cursor"].is_null());
        let mut both = external_ids(p1);
        both.extend(external_ids(p2));
        both.sort();
        assert_eq!(
            both,
            ["C-1", "C-2", "C-3"],
            "two pages hold every debtor once"
        );

        // Filters.
        for (query, want) in [
            ("external_id=C-2", vec!["C-2"]),
            ("segment=retail", vec!["C-1"]),
            ("kind=business", vec!["C-2"]),
            ("country=mx", vec!["C-3"]),
            ("q=Souza", vec!["C-1"]),
            ("q=a&country=BR", vec!["C-1", "C-2"]),
        ] {
            let page = req("GET", format!("/api/v1/debtors?{query}"))
                .key(k)
                .send(r)
                .await;
            assert_eq!(sorted(external_ids(page.ok(200))), want, "{query}");
        }

        // Patch: given fields change, null clears, the rest stays.
        let patched = req("PATCH", format!("/api/v1/debtors/{ana_id}"))
            .key(k)
            .json(&json!({"name": "Ana P. Souza", "segment": null, "tags": ["vip"]}))
            .send(r)
            .await;
        let patched = patched.ok(200);
        assert_eq!(patched["name"], "Ana P. Souza");
        assert!(patched["segment"].is_null());
        assert_eq!(patched["tags"], json!(["vip"]));
        assert_eq!(patched["document_number"], "12345678909");
        assert_eq!(patched["attributes"], json!({"plan": "gold"}));

        // Contact points.
        let email = req("POST", format!("/api/v1/debtors/{ana_id}/contact_points"))
            .key(k)
            .json(
                &json!({"channel": "email", "address": " Ana.Souza@Example.COM ",
                          "consent": {"status": "granted", "source": "contract"}}),
            )
            .send(r)
            .await
            .ok(201)
            .clone();
        assert_eq!(email["address"], "ana.souza@example.com");
        assert_eq!(email["consent"]["status"], "granted");
        let sms = req("POST", format!("/api/v1/debtors/{ana_id}/contact_points"))
            .key(k)
            .json(&json!({"channel": "sms", "address": "(11) 98765-4321", "priority": 1}))
            .send(r)
            .await
            .ok(201)
            .clone();
        assert_eq!(sms["address"], "+5511987654321");
        req("POST", format!("/api/v1/debtors/{ana_id}/contact_points"))
            .key(k)
            .json(&json!({"channel": "letter", "postal": {"line1": "Rua A, 1", "city": "São Paulo", "region": "SP", "postal_code": "01000-000", "country": "BR"}}))
            .send(r)
            .await
            .ok(201);
        let cps = req("GET", format!("/api/v1/debtors/{ana_id}/contact_points"))
            .key(k)
            .send(r)
            .await;
        assert_eq!(cps.ok(200)["items"].as_array().map(Vec::len), Some(3));
        let opted = req("PATCH", format!("/api/v1/contact_points/{}", id(&sms)))
            .key(k)
            .json(&json!({"consent": {"status": "opted_out", "source": "sms_reply"}}))
            .send(r)
            .await;
        let opted = opted.ok(200);
        assert_eq!(opted["consent"]["status"], "opted_out");
        assert!(opted["opted_out_at"].is_string());

        // Debts: by debtor id and by debtor external id; amounts as strings and numbers.
        let d1 = req("POST", "/api/v1/debts")
            .key(k)
            .json(
                &json!({"debtor_id": ana_id, "external_id": "INV-1", "amount": "100.00",
                          "currency": "BRL", "issued_on": "2026-10-01", "due_on": "2026-11-01",
                          "product": "electricity"}),
            )
            .send(r)
            .await
            .ok(201)
            .clone();
        assert_eq!(d1["status"], "open");
        assert_eq!(
            d1["balance"],
            json!({"amount": "100.00", "currency": "BRL"})
        );
        let d1_id = id(&d1);
        let d2 = req("POST", "/api/v1/debts")
            .key(k)
            .json(
                &json!({"debtor_external_id": "C-2", "external_id": "INV-2", "amount": 250.5,
                          "balance": 200, "currency": "brl", "due_on": "2026-12-10"}),
            )
            .send(r)
            .await
            .ok(201)
            .clone();
        assert_eq!(d2["original"]["amount"], "250.50");
        assert_eq!(d2["balance"]["amount"], "200.00");
        assert_eq!(d2["debtor_id"], bruno["id"]);
        let d2_id = id(&d2);
        // No due date: due today in the tenant's zone.
        let d3 = req("POST", "/api/v1/debts")
            .key(k)
            .json(&json!({"debtor_external_id": "C-1", "external_id": "INV-3", "amount": "10", "currency": "BRL"}))
            .send(r)
            .await
            .ok(201)
            .clone();
        assert_eq!(d3["due_on"], "2026-11-23");

        let got = req("GET", format!("/api/v1/debts/{d1_id}"))
            .key(k)
            .send(r)
            .await;
        assert_eq!(got.ok(200), &d1);
        for (query, want) in [
            (format!("debtor_id={ana_id}"), vec!["INV-1", "INV-3"]),
            ("external_id=INV-2".to_string(), vec!["INV-2"]),
            (
                "status=open&currency=BRL".to_string(),
                vec!["INV-1", "INV-2", "INV-3"],
            ),
            ("due_before=2026-11-23".to_string(), vec!["INV-1"]),
            ("due_after=2026-11-23".to_string(), vec!["INV-2"]),
            ("currency=USD".to_string(), vec![]),
        ] {
            let page = req("GET", format!("/api/v1/debts?{query}"))
                .key(k)
                .send(r)
                .await;
            assert_eq!(sorted(external_ids(page.ok(200))), want, "{query}");
        }
        let p1 = req("GET", "/api/v1/debts?limit=2").key(k).send(r).await;
        let cursor = p1.ok(200)["next_cursor"]
            .as_str()
            .expect("next")
            .to_string();
        let p2 = req("GET", format!("/api/v1/debts?limit=2&cursor={cursor}"))
            .key(k)
            .send(r)
            .await;
        let mut both = external_ids(p1.ok(200));
        both.extend(external_ids(p2.ok(200)));
        assert_eq!(sorted(both), ["INV-1", "INV-2", "INV-3"]);
        assert!(p2.json["next_cursor"].is_null());

        // A promise, kept.
        let prm = req("POST", format!("/api/v1/debts/{d1_id}/promises"))
            .key(k)
            .json(&json!({"amount": "100.00", "due_on": "2026-11-30", "channel": "whatsapp"}))
            .send(r)
            .await
            .ok(201)
            .clone();
        assert_eq!(prm["promise"]["status"], "pending");
        assert_eq!(prm["debt"]["status"], "promised");
        let prm_id = prm["promise"]["id"]
            .as_str()
            .expect("promise id")
            .to_string();
        let list = req("GET", format!("/api/v1/debts/{d1_id}/promises"))
            .key(k)
            .send(r)
            .await;
        assert_eq!(list.ok(200)["items"][0]["id"], prm_id.as_str());
        let kept = req("PATCH", format!("/api/v1/promises/{prm_id}"))
            .key(k)
            .json(&json!({"status": "kept", "reason": "paid at the branch"}))
            .send(r)
            .await;
        assert_eq!(kept.ok(200)["promise"]["status"], "kept");
        assert_eq!(kept.json["promise"]["close_reason"], "paid at the branch");
        assert_eq!(
            kept.json["promise"]["closed_by"],
            format!("api_key:{}", &k[..9])
        );
        assert_eq!(kept.json["debt"]["status"], "open");

        // Payments until paid.
        let pay1 = req("POST", format!("/api/v1/debts/{d1_id}/payments"))
            .key(k)
            .json(&json!({"amount": "40.00", "method": "pix", "provider_ref": "E123"}))
            .send(r)
            .await
            .ok(201)
            .clone();
        assert_eq!(pay1["payment"]["method"], "pix");
        assert_eq!(pay1["debt"]["balance"]["amount"], "60.00");
        assert_eq!(pay1["debt"]["status"], "open");
        app.clock.advance(chrono::Duration::hours(1));
        let pay2 = req("POST", format!("/api/v1/debts/{d1_id}/payments"))
            .key(k)
            .json(&json!({"amount": 60, "currency": "BRL"}))
            .send(r)
            .await
            .ok(201)
            .clone();
        assert_eq!(pay2["payment"]["method"], "manual");
        assert_eq!(pay2["debt"]["balance"]["amount"], "0.00");
        assert_eq!(pay2["debt"]["status"], "paid");
        let pays = req("GET", format!("/api/v1/debts/{d1_id}/payments"))
            .key(k)
            .send(r)
            .await;
        assert_eq!(pays.ok(200)["items"].as_array().map(Vec::len), Some(2));
        let paid = req("GET", "/api/v1/debts?status=paid").key(k).send(r).await;
        assert_eq!(paid.ok(200)["items"][0]["id"], d1_id.as_str());

        // A dispute, rejected.
        let dsp = req("POST", format!("/api/v1/debts/{d2_id}/disputes"))
            .key(k)
            .json(&json!({"reason": "I never had this service"}))
            .send(r)
            .await
            .ok(201)
            .clone();
        assert_eq!(dsp["debt"]["status"], "disputed");
        let dsp_id = dsp["dispute"]["id"]
            .as_str()
            .expect("dispute id")
            .to_string();
        let list = req("GET", format!("/api/v1/debts/{d2_id}/disputes"))
            .key(k)
            .send(r)
            .await;
        assert_eq!(list.ok(200)["items"][0]["status"], "open");
        let res = req("PATCH", format!("/api/v1/disputes/{dsp_id}"))
            .key(k)
            .json(&json!({"status": "rejected"}))
            .send(r)
            .await;
        assert_eq!(res.ok(200)["dispute"]["status"], "rejected");
        assert_eq!(res.json["debt"]["status"], "open");

        // Timelines.
        let tl = req("GET", format!("/api/v1/debts/{d1_id}/timeline"))
            .key(k)
            .send(r)
            .await;
        let kinds: Vec<String> = tl.ok(200)["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|e| e["kind"].as_str().map(str::to_string))
            .collect();
        // Events of one millisecond have no defined order among themselves (ids are ULIDs):
        // compare what happened, not the order.
        // Each payment queues one thanks to the debtor (`contact_planned` of `reply_thanks`).
        assert_eq!(
            sorted(kinds),
            [
                "contact_planned",
                "contact_planned",
                "debt_paid",
                "invoice_issued",
                "payment_received",
                "payment_received",
                "promise_kept",
                "promise_made",
            ]
        );
        let tl = req("GET", format!("/api/v1/debtors/{ana_id}/timeline"))
            .key(k)
            .send(r)
            .await;
        let all: Vec<String> = tl.ok(200)["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|e| e["kind"].as_str().map(str::to_string))
            .collect();
        for want in [
            "debtor_created",
            "debtor_updated",
            "contact_point_added",
            "opted_out",
            "invoice_issued",
            "debt_paid",
        ] {
            assert!(all.iter().any(|k| k == want), "{want} in {all:?}");
        }
        let mut seen = vec![];
        let mut cursor: Option<String> = None;
        loop {
            let uri = match &cursor {
                Some(c) => format!("/api/v1/debtors/{ana_id}/timeline?limit=4&cursor={c}"),
                None => format!("/api/v1/debtors/{ana_id}/timeline?limit=4"),
            };
            let page = req("GET", uri).key(k).send(r).await;
            let page = page.ok(200);
            for e in page["items"].as_array().expect("items") {
                seen.push(e["kind"].as_str().unwrap_or("").to_string());
            }
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        assert_eq!(seen, all, "paging the timeline gives it whole, in order");

        // Import: CSV by query, JSONL by content type.
        let csv = "debtor_external_id,debtor_name,email,debt_external_id,currency,amount,due_date\n\
                   C-9,Davi Reis,davi@example.com,INV-9,BRL,75.10,2026-12-01\n\
                   C-9,Davi Reis,davi@example.com,INV-10,BRL,not-a-number,2026-12-01\n";
        let rep = req("POST", "/api/v1/imports?format=csv")
            .key(k)
            .raw("application/octet-stream", csv)
            .send(r)
            .await;
        let rep = rep.ok(200);
        assert_eq!(rep["rows"], 2, "{rep}");
        assert_eq!(rep["imported"], 1, "{rep}");
        assert_eq!(rep["errors"], 1, "{rep}");
        assert_eq!(rep["problems"][0]["line"], 3, "{rep}");
        assert_eq!(rep["problems"][0]["column"], "amount", "{rep}");
        let jsonl = concat!(
            r#"{"debtor_external_id":"C-9","debtor_name":"Davi Reis","debt_external_id":"INV-9","currency":"BRL","amount":"75.10","due_date":"2026-12-01"}"#,
            "\n"
        );
        let rep = req("POST", "/api/v1/imports")
            .key(k)
            .raw("application/x-ndjson", jsonl)
            .send(r)
            .await;
        let rep = rep.ok(200);
        assert_eq!(
            (rep["rows"].as_u64(), rep["updated"].as_u64()),
            (Some(1), Some(1)),
            "{rep}"
        );
        let imported = req("GET", "/api/v1/debts?external_id=INV-9")
            .key(k)
            .send(r)
            .await;
        assert_eq!(imported.ok(200)["items"][0]["balance"]["amount"], "75.10");
        let missing = req("POST", "/api/v1/imports")
            .key(k)
            .raw(
                "text/csv",
                "debtor_external_id,debtor_name,colour\nC-1,Ana,red\n",
            )
            .send(r)
            .await;
        let p = missing.problem(400, "invalid-columns");
        let field = p["field"].as_str().expect("columns named");
        for col in ["debt_external_id", "amount", "due_date", "colour"] {
            assert!(field.contains(col), "{col} in {field}");
        }

        // A Latin-1, tab-separated Brazilian export, read with the locale the query gives.
        let latin1 = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../import/tests/fixtures/br_latin1_tab.csv"),
        )
        .expect("fixture");
        let rep = req("POST", "/api/v1/imports?format=csv&locale=pt-BR")
            .key(k)
            .raw("text/csv", latin1.clone())
            .send(r)
            .await;
        let rep = rep.ok(200);
        assert_eq!(
            (rep["imported"].as_u64(), rep["errors"].as_u64()),
            (Some(2), Some(0)),
            "{rep}"
        );
        let nf = req("GET", "/api/v1/debts?external_id=NF-77")
            .key(k)
            .send(r)
            .await;
        assert_eq!(nf.ok(200)["items"][0]["balance"]["amount"], "1234.56");
        let bad = req("POST", "/api/v1/imports?locale=fr-FR")
            .key(k)
            .raw("text/csv", latin1)
            .send(r)
            .await;
        assert_eq!(bad.problem(400, "invalid-field")["field"], "locale");
        let unknown = req("POST", "/api/v1/imports")
            .key(k)
            .raw("text/plain", "x")
            .send(r)
            .await;
        unknown.problem(415, "unsupported-media-type");
    }
}

/// A strategy document of version `v`.
fn strategy(id: &str, v: u32, priority: i64, template: &str) -> String {
    format!(
        "id: {id}\nversion: {v}\nname: {id} strategy\npriority: {priority}\nsteps:\n  \
         - {{ id: due, at: due, send: {{ channel: email, template: {template} }} }}\n"
    )
}

#[tokio::test]
async fn strategies_are_stored_versioned_retired_and_followed() {
    for app in apps().await {
        let r = &app.router;
        let k = app.a.as_str();
        eprintln!("--- {}", app.db);

        // The file itself, as YAML.
        let v1 = strategy("household", 1, 10, "due_today");
        let created = req("POST", "/api/v1/strategies")
            .key(k)
            .raw("application/yaml", v1.as_str())
            .send(r)
            .await;
        let created = created.ok(201).clone();
        assert_eq!(created["strategy_id"], "household");
        assert_eq!(created["version"], 1);
        assert_eq!(created["name"], "household strategy");
        assert_eq!(created["priority"], 10);
        assert_eq!(created["source"], v1.as_str());
        assert_eq!(created["created_at"], "2026-11-23T12:00:00Z");
        assert_eq!(created["retired_at"], Value::Null);
        // The same file again (text/yaml this time): 200 with what is stored, nothing new.
        app.clock.advance(chrono::Duration::minutes(5));
        let same = req("POST", "/api/v1/strategies")
            .key(k)
            .raw("text/yaml", v1.as_str())
            .send(r)
            .await;
        assert_eq!(same.ok(200), &created);
        // Version 2 as JSON `{"source"}`; another strategy as text/plain.
        let v2 = strategy("household", 2, 10, "overdue_soft");
        let two = req("POST", "/api/v1/strategies")
            .key(k)
            .json(&json!({"source": v2}))
            .send(r)
            .await;
        assert_eq!(two.ok(201)["version"], 2);
        req("POST", "/api/v1/strategies")
            .key(k)
            .raw(
                "text/plain; charset=utf-8",
                strategy("business", 1, 30, "statement"),
            )
            .send(r)
            .await
            .ok(201);

        // The list: latest version of each, highest priority first.
        let list = req("GET", "/api/v1/strategies").key(k).send(r).await;
        let items = list.ok(200)["items"].as_array().expect("items").clone();
        let seen: Vec<(String, u64)> = items
            .iter()
            .map(|s| {
                (
                    s["strategy_id"].as_str().unwrap_or("").to_string(),
                    s["version"].as_u64().unwrap_or(0),
                )
            })
            .collect();
        assert_eq!(
            seen,
            vec![("business".to_string(), 1), ("household".to_string(), 2)]
        );
        let latest = req("GET", "/api/v1/strategies/household")
            .key(k)
            .send(r)
            .await;
        assert_eq!(latest.ok(200)["version"], 2);
        assert_eq!(latest.json["source"], v2.as_str());
        let versions = req("GET", "/api/v1/strategies/household/versions")
            .key(k)
            .send(r)
            .await;
        let vs: Vec<u64> = versions.ok(200)["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|s| s["version"].as_u64())
            .collect();
        assert_eq!(vs, vec![1, 2]);
        let one = req("GET", "/api/v1/strategies/household/versions/1")
            .key(k)
            .send(r)
            .await;
        assert_eq!(one.ok(200), &created);

        // A debt moved to version 1 on purpose, then to the latest.
        let debtor = req("POST", "/api/v1/debtors")
            .key(k)
            .json(&json!({"external_id": "S-1", "name": "Sara Melo"}))
            .send(r)
            .await;
        let debtor = id(debtor.ok(201));
        let debt = req("POST", "/api/v1/debts")
            .key(k)
            .json(&json!({"debtor_id": debtor, "external_id": "S-D1", "amount": "80.00", "currency": "BRL", "due_on": "2026-11-30"}))
            .send(r)
            .await;
        let debt = id(debt.ok(201));
        let before = req("GET", format!("/api/v1/debts/{debt}"))
            .key(k)
            .send(r)
            .await;
        assert_eq!(before.ok(200)["strategy"], Value::Null);
        let moved = req("PUT", format!("/api/v1/debts/{debt}/strategy"))
            .key(k)
            .json(&json!({"strategy": "household", "version": 1}))
            .send(r)
            .await;
        assert_eq!(
            moved.ok(200)["strategy"],
            json!({"strategy": "household", "version": 1, "arms": {}, "started_at": "2026-11-23T12:05:00Z"})
        );
        let moved = req("PUT", format!("/api/v1/debts/{debt}/strategy"))
            .key(k)
            .json(&json!({"strategy": "household"}))
            .send(r)
            .await;
        assert_eq!(moved.ok(200)["strategy"]["version"], 2);
        // A strategy or version that does not exist is the `strategy` field's fault; a debt
        // that does not exist is no field's.
        for (body, detail) in [
            (json!({"strategy": "nope"}), "strategy `nope` not found"),
            (
                json!({"strategy": "household", "version": 9}),
                "strategy version `household v9` not found",
            ),
        ] {
            let missing = req("PUT", format!("/api/v1/debts/{debt}/strategy"))
                .key(k)
                .json(&body)
                .send(r)
                .await;
            let problem = missing.problem(404, "not-found");
            assert_eq!(problem["field"], "strategy");
            assert_eq!(problem["detail"], detail);
        }
        let no_debt = recaudo_domain::DebtId::generate();
        let missing = req("PUT", format!("/api/v1/debts/{no_debt}/strategy"))
            .key(k)
            .json(&json!({"strategy": "household"}))
            .send(r)
            .await;
        let problem = missing.problem(404, "not-found");
        assert_eq!(problem["field"], Value::Null);
        assert_eq!(problem["detail"], format!("debt `{no_debt}` not found"));
        let got = req("GET", format!("/api/v1/debts/{debt}"))
            .key(k)
            .send(r)
            .await;
        assert_eq!(got.ok(200)["strategy"]["strategy"], "household");
        assert_eq!(got.json["strategy"]["version"], 2);
        let timeline = req("GET", format!("/api/v1/debts/{debt}/timeline"))
            .key(k)
            .send(r)
            .await;
        let moves: Vec<Value> = timeline.ok(200)["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter(|e| e["kind"] == "debt_updated")
            .map(|e| e["data"].clone())
            .collect();
        assert_eq!(
            moves,
            vec![
                json!({"strategy": "household", "version": 1, "moved_from": null}),
                json!({"strategy": "household", "version": 2, "moved_from": {"strategy": "household", "version": 1}}),
            ]
        );

        // Retire: every version, shown in the list, and no longer a target for moves.
        let retired = req("POST", "/api/v1/strategies/household/retire")
            .key(k)
            .send(r)
            .await;
        let retired = retired.ok(200);
        assert_eq!(retired["version"], 2);
        assert_eq!(retired["retired_at"], "2026-11-23T12:05:00Z");
        let one = req("GET", "/api/v1/strategies/household/versions/1")
            .key(k)
            .send(r)
            .await;
        assert_eq!(one.ok(200)["retired_at"], "2026-11-23T12:05:00Z");
        let refused = req("PUT", format!("/api/v1/debts/{debt}/strategy"))
            .key(k)
            .json(&json!({"strategy": "household"}))
            .send(r)
            .await;
        assert_eq!(refused.problem(422, "invalid-field")["field"], "strategy");
        // The debt keeps the strategy it is on.
        let got = req("GET", format!("/api/v1/debts/{debt}"))
            .key(k)
            .send(r)
            .await;
        assert_eq!(got.ok(200)["strategy"]["version"], 2);

        // The schema of the documents, public.
        let schema = req("GET", "/api/v1/schemas/strategy.json").send(r).await;
        assert_eq!(
            schema.ok(200)["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        assert_eq!(schema.content_type(), "application/schema+json");
        assert_eq!(schema.json["required"], json!(["id", "steps"]));
    }
}
