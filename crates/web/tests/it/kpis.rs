//! `GET /api/v1/kpis` on a portfolio written through the API: hand-computed figures, the
//! breakdown by segment, 400 problems naming the bad parameter, and tenant isolation.

use serde_json::{Value, json};

use crate::fixtures::{App, apps, id, req};

/// Tenant A (BRL): debt 1 (retail) 1000.00 issued 10-01 due 11-01, 300.00 paid on 11-10;
/// debt 2 (sme) 500.00 issued 11-02 due 12-02, 100.00 paid on 11-20. Tenant B (COP): one
/// debt of 90000 issued 11-01, 50000 paid on 11-05.
pub async fn portfolio(app: &App) {
    let r = &app.router;
    let rows = [
        (
            &app.a,
            "retail",
            "1000.00",
            "BRL",
            "2026-10-01",
            "2026-11-01",
            "300.00",
            "2026-11-10",
        ),
        (
            &app.a,
            "sme",
            "500.00",
            "BRL",
            "2026-11-02",
            "2026-12-02",
            "100.00",
            "2026-11-20",
        ),
        (
            &app.b,
            "retail",
            "90000",
            "COP",
            "2026-11-01",
            "2026-11-15",
            "50000",
            "2026-11-05",
        ),
    ];
    for (i, (key, segment, amount, currency, issued, due, paid, on)) in rows.iter().enumerate() {
        let debtor = req("POST", "/api/v1/debtors")
            .key(key)
            .json(
                &json!({"external_id": format!("C-{i}"), "name": "Ana Souza", "segment": segment}),
            )
            .send(r)
            .await;
        let debtor = id(debtor.ok(201));
        let debt = req("POST", "/api/v1/debts")
            .key(key)
            .json(
                &json!({"debtor_id": debtor, "external_id": format!("INV-{i}"),
                "amount": amount, "currency": currency, "issued_on": issued, "due_on": due}),
            )
            .send(r)
            .await;
        let debt = id(debt.ok(201));
        let payment = req("POST", format!("/api/v1/debts/{debt}/payments"))
            .key(key)
            .json(
                &json!({"amount": paid, "method": "pix", "received_at": format!("{on}T12:00:00Z")}),
            )
            .send(r)
            .await;
        payment.ok(201);
    }
}

fn close(v: &Value, expect: f64) -> bool {
    v.as_f64().is_some_and(|v| (v - expect).abs() < 1e-9)
}

#[tokio::test]
async fn kpis_api_figures_breakdown_bad_input_and_isolation() {
    for app in apps().await {
        eprintln!("--- {}", app.db);
        portfolio(&app).await;
        let r = &app.router;
        let got = req(
            "GET",
            "/api/v1/kpis?from=2026-11-01&to=2026-11-30&by=segment",
        )
        .key(&app.a)
        .send(r)
        .await;
        let report = got.ok(200);
        let total = &report["total"];
        assert_eq!(report["query"]["currency"], "BRL", "the tenant's currency");
        assert_eq!(total["debts"], 2);
        assert_eq!(total["collected"], "400.00");
        assert_eq!(total["payments"], 2);
        // Opening receivables (10-31) 1000; sales 500; closing 700 + 400 = 1100, of which
        // 400 current: CEI = (1000 + 500 − 1100) ÷ (1000 + 500 − 400) × 100 = 400 ÷ 1100 × 100.
        assert!(
            close(&total["cei"], 400.0 / 1100.0 * 100.0),
            "{}",
            total["cei"]
        );
        // DSO = 1100 ÷ 500 × 30 = 66.
        assert!(close(&total["dso"], 66.0), "{}", total["dso"]);
        // Aging on 11-30: debt 1 29 days late (700), debt 2 current (400).
        assert_eq!(total["aging"][0]["amount"], "400.00");
        assert_eq!(total["aging"][1]["amount"], "700.00");
        assert_eq!(report["trend"].as_array().map(Vec::len), Some(30));
        let keys: Vec<&str> = report["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["key"].as_str().unwrap())
            .collect();
        assert_eq!(keys, ["retail", "sme"]);
        assert_eq!(report["groups"][0]["figures"]["collected"], "300.00");
        assert_eq!(report["groups"][1]["figures"]["collected"], "100.00");

        // Bad parameters: 400 naming the one at fault.
        for (query, field) in [
            ("from=2026-13-01", "from"),
            ("from=2026-11-30&to=2026-11-01", "to"),
            ("by=region", "by"),
            ("currency=XYZ", "currency"),
            ("from=2000-01-01&to=2026-11-30", "from"),
            ("paid_within_days=0", "paid_within_days"),
            ("colour=red", "colour"),
        ] {
            let bad = req("GET", format!("/api/v1/kpis?{query}"))
                .key(&app.a)
                .send(r)
                .await;
            let problem = bad.problem(400, "invalid-field");
            assert_eq!(problem["field"], field, "{query}: {}", bad.text);
        }
        let by = req("GET", "/api/v1/kpis?by=region")
            .key(&app.a)
            .send(r)
            .await;
        assert!(by.text.contains("region"), "{}", by.text);

        // Tenant B sees only its own debt, in its currency; A's BRL debts are not B's.
        let b = req("GET", "/api/v1/kpis?from=2026-11-01&to=2026-11-30")
            .key(&app.b)
            .send(r)
            .await;
        let b = b.ok(200);
        assert_eq!(b["query"]["currency"], "COP");
        assert_eq!(b["total"]["debts"], 1);
        assert_eq!(b["total"]["collected"], "50000.00");
        let b_brl = req(
            "GET",
            "/api/v1/kpis?from=2026-11-01&to=2026-11-30&currency=BRL",
        )
        .key(&app.b)
        .send(r)
        .await;
        assert_eq!(b_brl.ok(200)["total"]["debts"], 0);
        assert_eq!(b_brl.json["total"]["collected"], "0.00");
        // And A's COP report is empty.
        let a_cop = req(
            "GET",
            "/api/v1/kpis?from=2026-11-01&to=2026-11-30&currency=COP",
        )
        .key(&app.a)
        .send(r)
        .await;
        assert_eq!(a_cop.ok(200)["total"]["debts"], 0);
        let anonymous = req("GET", "/api/v1/kpis").send(r).await;
        assert_eq!(anonymous.status.as_u16(), 401);
    }
}
