//! Promises, payments and timelines through the API: promises settled by payments, the
//! operator's override, an allowed overpayment's credit, and timelines in the order things
//! happened with their recording time beside.

use serde_json::{Value, json};

use crate::fixtures::{apps, id, req};

fn kinds(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["kind"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn payments_settle_promises_and_the_timeline_keeps_when_things_happened() {
    for app in apps().await {
        let r = &app.router;
        let k = app.a.as_str();
        eprintln!("--- {}", app.db);
        let debtor = req("POST", "/api/v1/debtors")
            .key(k)
            .json(&json!({"external_id": "C-1", "name": "Ana Souza"}))
            .send(r)
            .await;
        let debtor = id(debtor.ok(201));
        let debt = req("POST", "/api/v1/debts")
            .key(k)
            .json(
                &json!({"debtor_id": debtor, "external_id": "INV-1", "amount": 1000,
                "currency": "BRL", "due_on": "2026-11-01"}),
            )
            .send(r)
            .await;
        let debt = id(debt.ok(201));
        let mut promises = vec![];
        for (amount, due_on) in [("300.00", "2026-11-25"), ("700.00", "2026-11-30")] {
            let made = req("POST", format!("/api/v1/debts/{debt}/promises"))
                .key(k)
                .json(&json!({"amount": amount, "due_on": due_on}))
                .send(r)
                .await;
            promises.push(made.ok(201)["promise"]["id"].as_str().unwrap().to_string());
        }

        // Paid the first promise's amount: it is kept, the second is still pending, and the
        // debt stays promised.
        app.clock.advance(chrono::Duration::hours(1));
        let paid = req("POST", format!("/api/v1/debts/{debt}/payments"))
            .key(k)
            .json(&json!({"amount": "300.00", "method": "pix"}))
            .send(r)
            .await;
        assert_eq!(paid.ok(201)["debt"]["status"], "promised", "{}", paid.text);
        assert_eq!(paid.json["debt"]["balance"]["amount"], "700.00");
        assert!(paid.json["payment"]["credit"].is_null());
        let list = req("GET", format!("/api/v1/debts/{debt}/promises"))
            .key(k)
            .send(r)
            .await;
        let items = list.ok(200)["items"].as_array().expect("items").clone();
        assert_eq!(
            (&items[0]["status"], &items[0]["closed_by"]),
            (&json!("kept"), &json!("payments")),
            "{}",
            list.text
        );
        assert_eq!(items[1]["status"], "pending");
        assert!(items[1]["closed_at"].is_null());

        // The operator marks the second kept by hand: who and why are kept, and the debt is
        // collected again (no promise pending).
        let kept = req("PATCH", format!("/api/v1/promises/{}", promises[1]))
            .key(k)
            .json(&json!({"status": "kept", "reason": "transfer seen on the bank statement"}))
            .send(r)
            .await;
        assert_eq!(kept.ok(200)["debt"]["status"], "open", "{}", kept.text);
        assert_eq!(
            kept.json["promise"]["closed_by"],
            format!("api_key:{}", &k[..9])
        );
        assert_eq!(
            kept.json["promise"]["close_reason"],
            "transfer seen on the bank statement"
        );

        // An overpayment allowed: the credit is recorded, the balance written "0.00".
        let over = req("POST", format!("/api/v1/debts/{debt}/payments"))
            .key(k)
            .json(&json!({"amount": "800.00", "allow_overpayment": true,
                "received_at": "2026-11-20T15:00:00Z"}))
            .send(r)
            .await;
        let over = over.ok(201).clone();
        assert_eq!(
            over["payment"]["credit"],
            json!({"amount": "100.00", "currency": "BRL"})
        );
        assert_eq!(
            over["debt"]["balance"],
            json!({"amount": "0.00", "currency": "BRL"})
        );
        assert_eq!(over["debt"]["status"], "paid");

        // The timeline: the payment received on the 20th comes before the promises made on
        // the 23rd, though it was recorded later; each event says both times.
        let tl = req("GET", format!("/api/v1/debts/{debt}/timeline"))
            .key(k)
            .send(r)
            .await;
        let page = tl.ok(200).clone();
        assert_eq!(
            kinds(&page),
            [
                "payment_received",
                "debt_paid",
                "invoice_issued",
                "promise_made",
                "promise_made",
                "payment_received",
                "promise_kept",
                "promise_kept",
            ],
            "{}",
            tl.text
        );
        let first = &page["items"][0];
        assert_eq!(first["occurred_at"], "2026-11-20T15:00:00Z");
        assert_eq!(first["recorded_at"], "2026-11-23T13:00:00Z");
        assert!(first.get("at").is_none());
        assert_eq!(
            first["data"]["credit"],
            json!({"amount": "100.00", "currency": "BRL"})
        );
        assert_eq!(
            page["items"][2]["data"]["amount"],
            json!({"amount": "1000.00", "currency": "BRL"})
        );
    }
}

#[tokio::test]
async fn the_openapi_document_describes_the_ledger_shapes() {
    let app = apps().await.remove(0);
    let doc = req("GET", "/api/v1/openapi.json").send(&app.router).await;
    let schemas = &doc.ok(200)["components"]["schemas"];
    let properties = |name: &str| -> Vec<String> {
        let mut keys: Vec<String> = schemas[name]["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{name} in {}", doc.text))
            .keys()
            .cloned()
            .collect();
        keys.sort();
        keys
    };
    assert!(properties("Event").contains(&"occurred_at".to_string()));
    assert!(properties("Event").contains(&"recorded_at".to_string()));
    assert!(!properties("Event").contains(&"at".to_string()));
    assert!(properties("Payment").contains(&"credit".to_string()));
    assert!(properties("CreatePayment").contains(&"allow_overpayment".to_string()));
    for field in ["closed_at", "closed_by", "close_reason"] {
        assert!(
            properties("Promise").contains(&field.to_string()),
            "{field}"
        );
    }
    assert_eq!(
        schemas["PatchPromise"]["required"],
        json!(["status", "reason"])
    );
}
