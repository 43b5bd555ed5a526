//! What an agent does over the API when a debtor calls in, or asks to be forgotten (issue 23,
//! points 10, 11 and 12): search by name without accents, by document, phone or email; errors
//! that name the field and its format; erasure; API keys listed and revoked.

use crate::fixtures::{apps, id, req};
use serde_json::{Value, json};

/// The external ids of a page of debtors.
fn externals(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|d| d["external_id"].as_str().expect("external_id").to_string())
        .collect()
}

#[tokio::test]
async fn debtors_are_found_as_an_agent_types_them() {
    for app in apps().await {
        let (r, k) = (&app.router, app.b.as_str());
        let maria = req("POST", "/api/v1/debtors")
            .key(k)
            .json(&json!({"external_id": "C-1", "name": "María Pérez",
                          "document_type": "cc", "document_number": "1.020.304.050"}))
            .send(r)
            .await;
        let maria = id(maria.ok(201));
        for (external, name) in [("C-2", "MARIA JOSÉ GÓMEZ"), ("C-3", "Mario Núñez")] {
            req("POST", "/api/v1/debtors")
                .key(k)
                .json(&json!({"external_id": external, "name": name}))
                .send(r)
                .await
                .ok(201);
        }
        for (channel, address) in [("sms", "300 123 4567"), ("email", "Maria.Perez@Correo.CO")] {
            req("POST", format!("/api/v1/debtors/{maria}/contact_points"))
                .key(k)
                .json(&json!({"channel": channel, "address": address}))
                .send(r)
                .await
                .ok(201);
        }
        let cases: &[(&str, &[&str])] = &[
            ("maria", &["C-1", "C-2"]),
            ("MAR%C3%8DA", &["C-1", "C-2"]),
            ("perez", &["C-1"]),
            ("1020304050", &["C-1"]),
            ("1.020.304.050", &["C-1"]),
            ("%2B57%20300%20123%204567", &["C-1"]),
            ("(300)%20123-4567", &["C-1"]),
            ("MARIA.PEREZ%40correo.co", &["C-1"]),
            ("nunez", &["C-3"]),
            ("zz", &[]),
        ];
        for (q, want) in cases {
            let page = req("GET", format!("/api/v1/debtors?q={q}"))
                .key(k)
                .send(r)
                .await;
            assert_eq!(externals(page.ok(200)), *want, "{}: q={q}", app.db);
        }
        // A search pages like any list.
        let first = req("GET", "/api/v1/debtors?q=mari&limit=2")
            .key(k)
            .send(r)
            .await;
        let first = first.ok(200);
        assert_eq!(externals(first), ["C-1", "C-2"], "{}", app.db);
        let cursor = first["next_cursor"].as_str().expect("a next page");
        let second = req(
            "GET",
            format!("/api/v1/debtors?q=mari&limit=2&cursor={cursor}"),
        )
        .key(k)
        .send(r)
        .await;
        let second = second.ok(200);
        assert_eq!(externals(second), ["C-3"], "{}", app.db);
        assert_eq!(second["next_cursor"], Value::Null, "{}", app.db);
        // The other tenant finds none of them.
        let other = req("GET", "/api/v1/debtors?q=maria")
            .key(&app.a)
            .send(r)
            .await;
        assert_eq!(other.ok(200)["items"], json!([]), "{}", app.db);
    }
}

#[tokio::test]
async fn errors_name_the_field_its_format_and_the_limit() {
    for app in apps().await {
        let (r, k) = (&app.router, app.b.as_str());
        let debtor = req("POST", "/api/v1/debtors")
            .key(k)
            .json(&json!({"external_id": "C-1", "name": "María"}))
            .send(r)
            .await;
        let debtor = id(debtor.ok(201));
        let resp = req("POST", "/api/v1/debts")
            .key(k)
            .raw(
                "application/json",
                format!(r#"{{"debtor_id":"{debtor}","due_on":"15/12/2026","external_id":"F-1","amount":"10","currency":"COP"}}"#),
            )
            .send(r)
            .await;
        let p = resp.problem(400, "invalid-field");
        assert_eq!(p["field"], "due_on", "{}", app.db);
        assert_eq!(
            p["detail"], r#"due_on: expected a date as YYYY-MM-DD, got "15/12/2026""#,
            "{}",
            app.db
        );
        let resp = req("GET", "/api/v1/debts?due_before=15/12/2026")
            .key(k)
            .send(r)
            .await;
        let p = resp.problem(400, "invalid-field");
        assert_eq!(p["field"], "due_before", "{}", app.db);
        assert_eq!(
            p["detail"], r#"due_before: expected a date as YYYY-MM-DD, got "15/12/2026""#,
            "{}",
            app.db
        );

        // A page larger than the largest is refused, not quietly cut.
        for (path, max) in [
            ("/api/v1/debtors?limit=1000".to_string(), "500"),
            ("/api/v1/debts?limit=501".to_string(), "500"),
            ("/api/v1/debtors?limit=0".to_string(), "500"),
            (
                format!("/api/v1/debtors/{debtor}/timeline?limit=5000"),
                "1000",
            ),
        ] {
            let resp = req("GET", path.as_str()).key(k).send(r).await;
            let p = resp.problem(422, "invalid-field");
            assert_eq!(p["field"], "limit", "{}: {path}", app.db);
            let detail = p["detail"].as_str().expect("detail");
            assert!(detail.contains(&format!("1 to {max}")), "{path}: {detail}");
        }
        req("GET", "/api/v1/debtors?limit=500")
            .key(k)
            .send(r)
            .await
            .ok(200);
    }
}

#[tokio::test]
async fn an_erased_debtor_leaves_an_anonymous_record() {
    for app in apps().await {
        let (r, k) = (&app.router, app.b.as_str());
        let debtor = req("POST", "/api/v1/debtors")
            .key(k)
            .json(
                &json!({"external_id": "CC-1020304050", "name": "María Pérez",
                          "document_number": "1020304050", "attributes": {"employer": "Acme"}}),
            )
            .send(r)
            .await;
        let debtor = id(debtor.ok(201));
        req("POST", format!("/api/v1/debtors/{debtor}/contact_points"))
            .key(k)
            .json(&json!({"channel": "sms", "address": "300 123 4567", "consent": {"status": "granted"}}))
            .send(r)
            .await
            .ok(201);
        let debt = req("POST", "/api/v1/debts")
            .key(k)
            .json(
                &json!({"debtor_id": debtor, "external_id": "FAC-77", "amount": "3200000",
                          "currency": "COP", "due_on": "2026-09-01"}),
            )
            .send(r)
            .await;
        let debt = id(debt.ok(201));
        req("POST", format!("/api/v1/debts/{debt}/payments"))
            .key(k)
            .json(&json!({"amount": "200000"}))
            .send(r)
            .await
            .ok(201);

        let erased = req("DELETE", format!("/api/v1/debtors/{debtor}"))
            .key(k)
            .send(r)
            .await;
        assert_eq!(erased.status.as_u16(), 204, "{}: {}", app.db, erased.text);
        req("GET", format!("/api/v1/debtors/{debtor}"))
            .key(k)
            .send(r)
            .await
            .problem(404, "not-found");
        req("DELETE", format!("/api/v1/debtors/{debtor}"))
            .key(k)
            .send(r)
            .await
            .problem(404, "not-found");
        for q in ["maria", "1020304050", "3001234567"] {
            let page = req("GET", format!("/api/v1/debtors?q={q}"))
                .key(k)
                .send(r)
                .await;
            assert_eq!(page.ok(200)["items"], json!([]), "{}: {q}", app.db);
        }
        let all = req("GET", "/api/v1/debtors").key(k).send(r).await;
        assert_eq!(all.ok(200)["items"], json!([]), "{}", app.db);

        // The debt and its payment stay; the timeline says what happened, without who.
        let debt_after = req("GET", format!("/api/v1/debts/{debt}"))
            .key(k)
            .send(r)
            .await;
        assert_eq!(
            debt_after.ok(200)["balance"]["amount"],
            "3000000.00",
            "{}",
            app.db
        );
        let payments = req("GET", format!("/api/v1/debts/{debt}/payments"))
            .key(k)
            .send(r)
            .await;
        assert_eq!(payments.ok(200)["items"].as_array().map(Vec::len), Some(1));
        let timeline = req("GET", format!("/api/v1/debtors/{debtor}/timeline"))
            .key(k)
            .send(r)
            .await;
        let timeline = timeline.ok(200);
        let kinds: Vec<&str> = timeline["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|e| e["kind"].as_str())
            .collect();
        assert!(kinds.contains(&"debtor_erased"), "{}: {kinds:?}", app.db);
        let text = timeline.to_string();
        for personal in ["María", "CC-1020304050", "3001234567", "Acme"] {
            assert!(!text.contains(personal), "{}: {personal} in {text}", app.db);
        }
    }
}

#[tokio::test]
async fn api_keys_are_listed_and_a_revoked_one_gets_401() {
    for app in apps().await {
        let r = &app.router;
        let tenant = app
            .store
            .authenticate(&app.b)
            .await
            .expect("store")
            .expect("tenant B");
        let second = app
            .store
            .create_api_key(tenant.id, crate::fixtures::t0())
            .await
            .expect("second key");
        let second = second.expose_secret().clone();

        let keys = req("GET", "/api/v1/api_keys").key(&app.b).send(r).await;
        let keys = keys.ok(200);
        let items = keys["items"].as_array().expect("items");
        assert_eq!(items.len(), 2, "{}: {keys}", app.db);
        let text = keys.to_string();
        assert!(
            !text.contains(&app.b) && !text.contains(&second),
            "{}",
            app.db
        );
        assert!(
            !text.contains(&recaudo_store::hash_api_key(&second)),
            "{}",
            app.db
        );
        for item in items {
            assert!(item["id"].as_str().is_some_and(|i| i.starts_with("key_")));
            assert!(item["created_at"].is_string());
            assert_eq!(item["revoked_at"], Value::Null);
        }
        let target = items
            .iter()
            .find(|item| {
                item["prefix"]
                    .as_str()
                    .is_some_and(|p| second.starts_with(p))
            })
            .expect("the second key listed by its prefix");
        let target = id(target);

        // Tenant A cannot revoke B's key.
        req("DELETE", format!("/api/v1/api_keys/{target}"))
            .key(&app.a)
            .send(r)
            .await
            .problem(404, "not-found");
        req("GET", "/api/v1/debtors")
            .key(&second)
            .send(r)
            .await
            .ok(200);

        let revoked = req("DELETE", format!("/api/v1/api_keys/{target}"))
            .key(&app.b)
            .send(r)
            .await;
        assert!(revoked.ok(200)["revoked_at"].is_string(), "{}", app.db);
        req("GET", "/api/v1/debtors")
            .key(&second)
            .send(r)
            .await
            .problem(401, "unauthorized");
        req("GET", "/api/v1/debtors")
            .key(&app.b)
            .send(r)
            .await
            .ok(200);
    }
}

#[tokio::test]
async fn a_keys_last_use_is_recorded_to_the_minute() {
    use crate::fixtures::t0;
    use chrono::{Duration, SecondsFormat};
    let when =
        |at: chrono::DateTime<chrono::Utc>| json!(at.to_rfc3339_opts(SecondsFormat::AutoSi, true));
    for app in apps().await {
        let r = &app.router;
        let last_used = |keys: &Value| keys["items"][0]["last_used_at"].clone();
        let keys = req("GET", "/api/v1/api_keys").key(&app.b).send(r).await;
        assert_eq!(last_used(keys.ok(200)), when(t0()), "{}", app.db);
        // Within the minute, nothing is written again.
        app.clock.advance(Duration::seconds(30));
        let keys = req("GET", "/api/v1/api_keys").key(&app.b).send(r).await;
        assert_eq!(last_used(keys.ok(200)), when(t0()), "{}", app.db);
        app.clock.advance(Duration::seconds(90));
        let keys = req("GET", "/api/v1/api_keys").key(&app.b).send(r).await;
        let later = t0() + Duration::minutes(2);
        assert_eq!(last_used(keys.ok(200)), when(later), "{}", app.db);
        // Tenant A's key has its own record: first used now.
        let keys = req("GET", "/api/v1/api_keys").key(&app.a).send(r).await;
        assert_eq!(last_used(keys.ok(200)), when(later), "{}", app.db);
    }
}
