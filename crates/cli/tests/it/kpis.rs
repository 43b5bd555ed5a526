//! `recaudo kpis --json` prints the very document `GET /api/v1/kpis` answers for the same
//! portfolio and period; without `--json`, a table.

use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use recaudo_domain::{Country, FixedClock};
use recaudo_store::{NewTenant, Store};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::fixtures::*;

async fn call(router: &axum::Router, key: &str, method: &str, uri: &str, body: Value) -> Value {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {key}"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let resp = router.clone().oneshot(request).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    assert!(
        status.is_success(),
        "{uri}: {status} {}",
        String::from_utf8_lossy(&bytes)
    );
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn kpis_json_equals_the_api() {
    for url in database_urls().await {
        let store = Store::open(&url).await.unwrap();
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-23T12:00:00Z")
            .unwrap()
            .to_utc();
        let tk = store
            .create_tenant(NewTenant::in_country("Luz do Vale", Country::Br), now)
            .await
            .unwrap();
        let key = tk.api_key.expose_secret().clone();
        let state = recaudo_web::AppState::new(store.clone(), Arc::new(FixedClock::new(now)));
        let router = recaudo_web::router(state);
        for (i, (segment, amount, issued, due, paid, on)) in [
            (
                "retail",
                "1000.00",
                "2026-10-01",
                "2026-11-01",
                "300.00",
                "2026-11-10",
            ),
            (
                "sme",
                "500.00",
                "2026-11-02",
                "2026-12-02",
                "100.00",
                "2026-11-20",
            ),
        ]
        .into_iter()
        .enumerate()
        {
            let debtor = call(
                &router,
                &key,
                "POST",
                "/api/v1/debtors",
                json!({"external_id": format!("C-{i}"), "name": "Ana", "segment": segment}),
            )
            .await;
            let debt = call(&router, &key, "POST", "/api/v1/debts",
                json!({"debtor_id": debtor["id"], "external_id": format!("INV-{i}"), "amount": amount,
                    "currency": "BRL", "issued_on": issued, "due_on": due})).await;
            let debt = debt["id"].as_str().unwrap().to_string();
            call(
                &router,
                &key,
                "POST",
                &format!("/api/v1/debts/{debt}/payments"),
                json!({"amount": paid, "method": "pix", "received_at": format!("{on}T12:00:00Z")}),
            )
            .await;
        }
        let api = call(
            &router,
            &key,
            "GET",
            "/api/v1/kpis?from=2026-11-01&to=2026-11-30&by=segment",
            Value::Null,
        )
        .await;
        assert_eq!(api["total"]["collected"], "400.00");

        let dir = tempfile::tempdir().unwrap();
        let tenant = tk.tenant.id.to_string();
        let args = [
            "kpis",
            "--tenant",
            &tenant,
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
            "--by",
            "segment",
        ];
        let with_json: Vec<&str> = args.iter().copied().chain(["--json"]).collect();
        let o = recaudo(&url, &with_json, dir.path());
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(last_json(&o), api, "the CLI's JSON is the API's");

        let o = recaudo(&url, &args, dir.path());
        assert!(o.status.success(), "{}", stderr(&o));
        let table = stdout(&o);
        assert!(
            table.starts_with("KPIs 2026-11-01 to 2026-11-30 (BRL) by segment"),
            "{table}"
        );
        let collected = table
            .lines()
            .find(|l| l.starts_with("collected"))
            .unwrap_or_default();
        let cells: Vec<&str> = collected.split_whitespace().collect();
        assert_eq!(
            cells,
            ["collected", "400.00", "300.00", "100.00"],
            "{table}"
        );

        let o = recaudo(
            &url,
            &["kpis", "--tenant", &tenant, "--by", "region"],
            dir.path(),
        );
        assert!(!o.status.success());
        assert!(stderr(&o).contains("region"), "{}", stderr(&o));
        store.close().await;
    }
}

#[test]
fn bench_kpis_times_the_load_the_compute_and_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_recaudo"))
        .args(["bench", "kpis", "--debts", "400"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let figures = last_json(&o);
    assert_eq!(figures["bench"], "kpis");
    let debts = figures["debts"].as_u64().unwrap();
    assert!((300..=400).contains(&debts), "{figures}");
    assert!(
        figures["contacts_in_period"].as_u64().unwrap() > 0,
        "{figures}"
    );
    for key in [
        "facts_load_seconds",
        "compute_seconds",
        "api_cold_seconds",
        "api_warm_seconds",
    ] {
        assert!(figures[key].as_f64().is_some(), "{key}: {figures}");
    }
    assert_eq!(figures["goal_warm_under_1s"], true, "{figures}");
}
