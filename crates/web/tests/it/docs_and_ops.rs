//! The OpenAPI document, the docs UI, the home page, health and metrics.

use crate::fixtures::{apps, req};

#[tokio::test]
async fn openapi_document_describes_the_api() {
    for app in apps().await {
        let r = &app.router;
        let resp = req("GET", "/api/v1/openapi.json").send(r).await;
        let doc = resp.ok(200);
        assert!(resp.content_type().starts_with("application/json"));
        assert!(
            doc["openapi"]
                .as_str()
                .is_some_and(|v| v.starts_with("3.1")),
            "{}",
            doc["openapi"]
        );
        let paths = doc["paths"].as_object().expect("paths");
        for p in [
            "/api/v1/debtors",
            "/api/v1/debtors/{id}",
            "/api/v1/debtors/{id}/contact_points",
            "/api/v1/debtors/{id}/timeline",
            "/api/v1/contact_points/{id}",
            "/api/v1/debts",
            "/api/v1/debts/{id}",
            "/api/v1/debts/{id}/payments",
            "/api/v1/debts/{id}/promises",
            "/api/v1/debts/{id}/disputes",
            "/api/v1/debts/{id}/timeline",
            "/api/v1/promises/{id}",
            "/api/v1/disputes/{id}",
            "/api/v1/imports",
            "/api/v1/strategies",
            "/api/v1/strategies/{id}",
            "/api/v1/strategies/{id}/versions",
            "/api/v1/strategies/{id}/versions/{version}",
            "/api/v1/strategies/{id}/retire",
            "/api/v1/debts/{id}/strategy",
            "/api/v1/schemas/strategy.json",
        ] {
            assert!(paths.contains_key(p), "{p} documented");
        }
        // Bearer security, declared and required.
        assert_eq!(
            doc["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
        assert!(doc["security"].as_array().is_some_and(|s| !s.is_empty()));
        // Every operation has its own id, documents its problems, and every POST its
        // Idempotency-Key. Public documents (`security: [{}]`) take no key and answer no 401.
        let mut op_ids = std::collections::BTreeSet::new();
        for (path, item) in paths {
            for (method, op) in item.as_object().expect("path item") {
                let op_id = op["operationId"].as_str().expect("operationId");
                assert!(
                    op_ids.insert(op_id.to_string()),
                    "operationId {op_id} repeated"
                );
                let responses = op["responses"].as_object().expect("responses");
                if op["security"] == serde_json::json!([{}]) {
                    assert_eq!(
                        path, "/api/v1/schemas/strategy.json",
                        "public: {method} {path}"
                    );
                    assert!(!responses.contains_key("401"), "{method} {path}");
                    continue;
                }
                assert!(responses.contains_key("401"), "{method} {path}");
                assert_eq!(
                    responses["401"]["content"]["application/problem+json"]["schema"]["$ref"],
                    "#/components/schemas/Problem"
                );
                if method == "post" {
                    let params = op["parameters"].as_array().expect("parameters");
                    assert!(
                        params.iter().any(|p| p["name"] == "Idempotency-Key"),
                        "{method} {path}"
                    );
                }
            }
        }
        // Request and response schemas are there.
        let schemas = doc["components"]["schemas"].as_object().expect("schemas");
        for s in [
            "Problem",
            "Debtor",
            "CreateDebtor",
            "Debt",
            "CreateDebt",
            "PaymentResult",
            "ImportReport",
            "EventPage",
            "StoredStrategy",
            "StrategyList",
            "StrategySource",
            "MoveStrategy",
            "ProblemError",
        ] {
            assert!(schemas.contains_key(s), "schema {s}");
        }
        // Every `$ref` resolves.
        let text = resp.text.clone();
        for piece in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
            let name = piece.split('"').next().unwrap_or("");
            assert!(schemas.contains_key(name), "dangling $ref to {name}");
        }
    }
}

#[tokio::test]
async fn docs_home_health_and_metrics() {
    for app in apps().await {
        let r = &app.router;
        let docs = req("GET", "/api/docs").send(r).await;
        assert_eq!(docs.status.as_u16(), 200);
        assert!(docs.content_type().starts_with("text/html"));
        assert!(
            docs.text.contains("<html") || docs.text.contains("<!doctype"),
            "{}",
            docs.text
        );

        // `/` leads to the operators' dashboard; the about page tells what recaudo is.
        let root = req("GET", "/").send(r).await;
        assert_eq!(root.status.as_u16(), 303);
        assert_eq!(root.headers["location"], "/app");
        let home = req("GET", "/about").send(r).await;
        assert_eq!(home.status.as_u16(), 200);
        assert!(home.content_type().starts_with("text/html"));
        assert!(home.text.contains("href=\"/api/docs\""));
        assert!(home.text.contains("href=\"/api/v1/openapi.json\""));

        let health = req("GET", "/healthz").send(r).await;
        assert_eq!(health.ok(200), &serde_json::json!({"status": "ok"}));

        // The strategy schema needs no key, and is the domain's file as is.
        let schema = req("GET", "/api/v1/schemas/strategy.json").send(r).await;
        assert_eq!(schema.status.as_u16(), 200);
        assert_eq!(schema.content_type(), "application/schema+json");
        assert_eq!(schema.text, recaudo_domain::strategy::STRATEGY_JSON_SCHEMA);

        req("GET", "/api/v1/debtors")
            .key(&app.a)
            .send(r)
            .await
            .ok(200);
        let metrics = req("GET", "/metrics").send(r).await;
        assert_eq!(metrics.status.as_u16(), 200);
        assert!(metrics.content_type().starts_with("text/plain"));
        let text = metrics.text;
        let counted = |route: &str, status: &str| {
            text.lines().any(|l| {
                l.starts_with("http_requests_total{")
                    && l.contains(&format!("route=\"{route}\""))
                    && l.contains(&format!("status=\"{status}\""))
            })
        };
        assert!(counted("/healthz", "200"), "{text}");
        assert!(counted("/api/v1/debtors", "200"), "{text}");
        assert!(
            text.contains("http_request_duration_seconds_bucket{"),
            "a latency histogram: {text}"
        );
        assert!(!text.contains("dbr_"), "no ids in labels");

        // Health fails when the database is gone.
        app.store.close().await;
        let health = req("GET", "/healthz").send(r).await;
        health.problem(503, "unavailable");
    }
}
