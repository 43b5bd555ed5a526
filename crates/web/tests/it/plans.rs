//! Instalment plans through the API: the rules (saved, refused naming the field), a quote, a
//! request outside the rules (422 naming the field), an accepted plan, the debtor's plans, one
//! plan, its cancellation, and tenant isolation.

use serde_json::json;

use crate::fixtures::{apps, id, req};

#[tokio::test]
async fn plans_are_quoted_accepted_listed_and_cancelled() {
    for app in apps().await {
        let r = &app.router;
        let k = app.a.as_str();
        eprintln!("--- {}", app.db);
        let rules = req("GET", "/api/v1/plan-rules").key(k).send(r).await;
        assert_eq!(rules.ok(200)["enabled"], true);
        assert_eq!(rules.json["default"]["max_instalments"], 6);
        let bad = req("PUT", "/api/v1/plan-rules")
            .key(k)
            .json(&json!({"segments": {"vip": {"max_instalments": 99}}}))
            .send(r)
            .await;
        assert_eq!(
            bad.problem(422, "invalid-field")["field"],
            "segments.vip.max_instalments"
        );
        let unknown = req("PUT", "/api/v1/plan-rules")
            .key(k)
            .json(&json!({"default": {"max_instalmentz": 3}}))
            .send(r)
            .await;
        assert_eq!(
            unknown.problem(422, "invalid-field")["field"],
            "default.max_instalmentz"
        );
        let saved = req("PUT", "/api/v1/plan-rules")
            .key(k)
            .json(&json!({"default": {"max_instalments": 4, "discount_pct": "10"}}))
            .send(r)
            .await;
        assert_eq!(
            saved.ok(200)["default"]["discount_pct"],
            "10",
            "{}",
            saved.text
        );

        let debtor = req("POST", "/api/v1/debtors")
            .key(k)
            .json(&json!({"external_id": "P-1", "name": "Ana Souza"}))
            .send(r)
            .await;
        let debtor = id(debtor.ok(201));
        for (ext, amount) in [("INV-1", "600.00"), ("INV-2", "400.00")] {
            let debt = req("POST", "/api/v1/debts")
                .key(k)
                .json(
                    &json!({"debtor_id": debtor, "external_id": ext, "amount": amount,
                    "currency": "BRL", "due_on": "2026-11-01"}),
                )
                .send(r)
                .await;
            debt.ok(201);
        }

        // 1000.00 − 10 % = 900.00: 90.00 today, then 270.00 × 3 from 10 December.
        let body = json!({"instalments": 3, "down_payment": "90.00", "first_due_on": "2026-12-10"});
        let quote = req("POST", format!("/api/v1/debtors/{debtor}/plans/quote"))
            .key(k)
            .json(&body)
            .send(r)
            .await;
        let q = quote.ok(200);
        assert_eq!(q["total"]["amount"], "900.00", "{}", quote.text);
        assert_eq!(q["discount"]["amount"], "100.00");
        let amounts: Vec<&str> = q["instalments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["amount"]["amount"].as_str().unwrap())
            .collect();
        assert_eq!(amounts, ["90.00", "270.00", "270.00", "270.00"]);
        assert_eq!(q["instalments"][0]["due_on"], "2026-11-23");

        for (bad, field) in [
            (
                json!({"instalments": 5, "down_payment": "90.00", "first_due_on": "2026-12-10"}),
                "instalments",
            ),
            (
                json!({"instalments": 3, "down_payment": "10.00", "first_due_on": "2026-12-10"}),
                "down_payment",
            ),
            (
                json!({"instalments": 3, "down_payment": "90.00", "first_due_on": "2027-02-10"}),
                "first_due_on",
            ),
        ] {
            let refused = req("POST", format!("/api/v1/debtors/{debtor}/plans"))
                .key(k)
                .json(&bad)
                .send(r)
                .await;
            assert_eq!(
                refused.problem(422, "plan-rule")["field"],
                field,
                "{}",
                refused.text
            );
        }
        let too_precise = req("POST", format!("/api/v1/debtors/{debtor}/plans/quote"))
            .key(k)
            .json(
                &json!({"instalments": 3, "down_payment": "90.001", "first_due_on": "2026-12-10"}),
            )
            .send(r)
            .await;
        assert_eq!(
            too_precise.problem(422, "invalid-field")["field"],
            "down_payment"
        );

        let made = req("POST", format!("/api/v1/debtors/{debtor}/plans"))
            .key(k)
            .json(&body)
            .send(r)
            .await;
        let plan = made.ok(201);
        assert_eq!(plan["status"], "active", "{}", made.text);
        assert_eq!(plan["adjustment"]["amount"], "-100.00");
        assert_eq!(plan["debts"].as_array().unwrap().len(), 2);
        let plan_id = id(plan);

        let debts = req("GET", format!("/api/v1/debts?debtor_id={debtor}"))
            .key(k)
            .send(r)
            .await;
        let statuses: Vec<&str> = debts.ok(200)["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["status"].as_str().unwrap())
            .collect();
        assert_eq!(statuses, ["plan", "plan"], "{}", debts.text);

        let again = req("POST", format!("/api/v1/debtors/{debtor}/plans"))
            .key(k)
            .json(&body)
            .send(r)
            .await;
        assert_eq!(
            again.problem(422, "invalid-field")["field"],
            "debts",
            "{}",
            again.text
        );

        let list = req("GET", format!("/api/v1/debtors/{debtor}/plans"))
            .key(k)
            .send(r)
            .await;
        assert_eq!(list.ok(200)["items"][0]["id"], plan_id.as_str());
        let one = req("GET", format!("/api/v1/plans/{plan_id}"))
            .key(k)
            .send(r)
            .await;
        assert_eq!(one.ok(200)["instalments"].as_array().unwrap().len(), 4);
        let other_tenant = req("GET", format!("/api/v1/plans/{plan_id}"))
            .key(&app.b)
            .send(r)
            .await;
        other_tenant.problem(404, "not-found");

        let no_reason = req("POST", format!("/api/v1/plans/{plan_id}/cancel"))
            .key(k)
            .json(&json!({"reason": ""}))
            .send(r)
            .await;
        assert_eq!(no_reason.problem(422, "invalid-field")["field"], "reason");
        let cancelled = req("POST", format!("/api/v1/plans/{plan_id}/cancel"))
            .key(k)
            .json(&json!({"reason": "the debtor asked for another plan"}))
            .send(r)
            .await;
        assert_eq!(
            cancelled.ok(200)["status"],
            "cancelled",
            "{}",
            cancelled.text
        );
        let debts = req("GET", format!("/api/v1/debts?debtor_id={debtor}"))
            .key(k)
            .send(r)
            .await;
        let balances: Vec<&str> = debts.ok(200)["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["balance"]["amount"].as_str().unwrap())
            .collect();
        assert_eq!(balances, ["600.00", "400.00"], "the discount is given back");

        let off = req("PUT", "/api/v1/plan-rules")
            .key(k)
            .json(&json!({"enabled": false}))
            .send(r)
            .await;
        off.ok(200);
        let disabled = req("POST", format!("/api/v1/debtors/{debtor}/plans/quote"))
            .key(k)
            .json(&body)
            .send(r)
            .await;
        disabled.problem(422, "plans-disabled");
    }
}
