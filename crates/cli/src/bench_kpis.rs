//! `recaudo bench kpis`: the KPI report of a large portfolio. Imports N synthetic debts (the
//! planner bench's generator), adds payments, promises and sent contacts with SQL in realistic
//! proportions, then times the cold load of the facts, the compute of a 30-day report and
//! `GET /api/v1/kpis` through the router (cold, then warm), then the dashboard's overview
//! (`GET /app`) as a signed-in operator opens it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use axum::body::Body;
use axum::http::Request;
use chrono::{DateTime, NaiveDate, Utc};
use recaudo_domain::kpis::{Dimension, KpiQuery, compute};
use recaudo_domain::{Clock, Country, FixedClock, SystemClock};
use recaudo_import::{Format, ImportOptions, NoSink};
use recaudo_store::testing::{Statement, run_tx};
use recaudo_store::{NewTenant, Store, TenantStore};
use tower::ServiceExt;

use crate::bench::{TempDir, peak_rss_mib, reset_peak_rss, round3, ulid_like};

/// The bench's "now": the planner bench's day.
const NOW: &str = "2026-12-02T15:00:00Z";
const TENANT: &str = "bench-kpis";

/// Payments (35 % of debts, 10 % twice), promises (8 %) and two sent contacts for 60 % of
/// debts, over the last months, by SQL (SQLite): far faster than through the API.
const FACTS_SQL: [&str; 4] = [
    "INSERT INTO payments (id, tenant_id, debt_id, currency, amount_minor, method, received_at)
     SELECT 'pay_b' || rowid, tenant_id, id, currency,
        MAX(1, original_minor * (10 + abs(random()) % 91) / 100), 'pix',
        strftime('%Y-%m-%dT%H:%M:%SZ', '2026-12-01', '-' || (abs(random()) % 120) || ' days',
                 '+' || (abs(random()) % 86400) || ' seconds')
     FROM debts WHERE abs(random()) % 100 < 35",
    "INSERT INTO payments (id, tenant_id, debt_id, currency, amount_minor, method, received_at)
     SELECT 'pay_c' || rowid, tenant_id, id, currency,
        MAX(1, original_minor * (5 + abs(random()) % 20) / 100), 'card',
        strftime('%Y-%m-%dT%H:%M:%SZ', '2026-12-01', '-' || (abs(random()) % 60) || ' days',
                 '+' || (abs(random()) % 86400) || ' seconds')
     FROM debts WHERE abs(random()) % 100 < 10",
    "INSERT INTO promises (id, tenant_id, debt_id, currency, amount_minor, due_on, status, created_at)
     SELECT 'prm_b' || rowid, tenant_id, id, currency, MAX(1, original_minor / 2),
        date('2026-12-01', '-' || (abs(random()) % 45) || ' days'), 'pending',
        strftime('%Y-%m-%dT%H:%M:%SZ', '2026-11-01', '-' || (abs(random()) % 20) || ' days')
     FROM debts WHERE abs(random()) % 100 < 8",
    "WITH d AS MATERIALIZED (
        SELECT rowid AS r, tenant_id, debtor_id, id, currency,
            CASE abs(random()) % 3 WHEN 0 THEN 'sms' WHEN 1 THEN 'email' ELSE 'whatsapp' END AS ch
        FROM debts WHERE abs(random()) % 100 < 60),
     c AS MATERIALIZED (
        SELECT d.*, k.n, strftime('%Y-%m-%dT%H:%M:%SZ', '2026-12-01',
            '-' || (abs(random()) % 60) || ' days', '+' || (abs(random()) % 86400) || ' seconds') AS s
        FROM d, (SELECT 1 AS n UNION ALL SELECT 2) k)
     INSERT INTO contacts (id, tenant_id, debtor_id, debt_id, step, channel, scheduled_for,
        local_date, state, idempotency_key, reason, created_at, updated_at, sent_at,
        delivered_at, opened_at, clicked_at, replied_at, cost, cost_currency)
     SELECT 'ctc_b' || r || '_' || n, tenant_id, debtor_id, id, 'bench', ch, s, substr(s, 1, 10),
        'sent', 'bench-' || r || '-' || n, 'bench', s, s, s,
        CASE WHEN abs(random()) % 100 < 85 THEN strftime('%Y-%m-%dT%H:%M:%SZ', s, '+1 minutes') END,
        CASE WHEN abs(random()) % 100 < 30 THEN strftime('%Y-%m-%dT%H:%M:%SZ', s, '+2 hours') END,
        CASE WHEN abs(random()) % 100 < 8 THEN strftime('%Y-%m-%dT%H:%M:%SZ', s, '+3 hours') END,
        CASE WHEN abs(random()) % 100 < 5 THEN strftime('%Y-%m-%dT%H:%M:%SZ', s, '+5 hours') END,
        '0.0075', currency
     FROM c",
];

pub async fn run(debts: usize, seed: u64, db: Option<PathBuf>) -> anyhow::Result<()> {
    let now: DateTime<Utc> = NOW.parse()?;
    let dir = TempDir(std::env::temp_dir().join(format!("recaudo-bench-{}", ulid_like())));
    std::fs::create_dir_all(&dir.0)?;
    let db_path = db.unwrap_or_else(|| dir.0.join("kpis.db"));
    let reuse = db_path.exists();
    let store = Store::open(&format!("sqlite://{}", db_path.display())).await?;
    let (ts, key) = if reuse {
        let tenant = store
            .list_tenants()
            .await?
            .into_iter()
            .find(|t| t.name == TENANT)
            .with_context(|| format!("{} has no tenant `{TENANT}`", db_path.display()))?;
        let key = store.create_api_key(tenant.id, SystemClock.now()).await?;
        (store.tenant(&tenant), key.expose_secret().clone())
    } else {
        prepare(&store, debts, seed, now, &dir.0).await?
    };

    // Cold: the facts from the database.
    reset_peak_rss();
    let started = Instant::now();
    let facts = ts.kpi_facts().await?;
    let load_seconds = started.elapsed().as_secs_f64();
    let to = NaiveDate::from_ymd_opt(2026, 12, 1).context("date")?;
    let from = to - chrono::Duration::days(29);
    let query = KpiQuery::new(from, to, None, ts.tenant().currency);
    let started = Instant::now();
    let report = compute(&facts, &query);
    let compute_seconds = started.elapsed().as_secs_f64();
    let by_query = KpiQuery::new(from, to, Some(Dimension::Segment), ts.tenant().currency);
    let started = Instant::now();
    let _ = compute(&facts, &by_query);
    let compute_by_seconds = started.elapsed().as_secs_f64();
    drop(facts);

    // Through the router: the first GET loads and computes, the second is the same page again,
    // the third another breakdown on the loaded facts.
    let state = recaudo_web::AppState::new(store.clone(), Arc::new(FixedClock::new(now)));
    let router = recaudo_web::router(state);
    let get = |uri: String| {
        let router = router.clone();
        let key = key.clone();
        async move {
            let started = Instant::now();
            let request = Request::builder()
                .uri(uri)
                .header("authorization", format!("Bearer {key}"))
                .body(Body::empty())?;
            let resp = router.oneshot(request).await?;
            let status = resp.status();
            let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await?;
            anyhow::ensure!(status.is_success(), "GET /api/v1/kpis: {status}");
            Ok::<_, anyhow::Error>((started.elapsed().as_secs_f64(), bytes.len()))
        }
    };
    let page = format!("/api/v1/kpis?from={from}&to={to}");
    let (api_cold, _) = get(page.clone()).await?;
    let (api_warm, body_bytes) = get(page.clone()).await?;
    let (api_warm_by, _) = get(format!("{page}&by=channel")).await?;

    // The dashboard's overview as an operator opens it: signed in, the same figures as HTML.
    let password = recaudo_store::new_password();
    let operator = store
        .create_operator(
            ts.tenant().id,
            recaudo_store::NewOperator {
                email: format!("bench-{}@bench.test", ulid_like().to_lowercase()),
                name: "Bench".into(),
                role: recaudo_domain::operators::OperatorRole::Viewer,
                language: None,
                password: password.clone(),
            },
            now,
        )
        .await?;
    let login = Request::builder()
        .method("POST")
        .uri("/app/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(serde_urlencoded::to_string([
            ("email", operator.email.as_str()),
            ("password", password.expose_secret().as_str()),
        ])?))?;
    let signed = router.clone().oneshot(login).await?;
    let cookie = signed
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .context("the bench's operator did not sign in")?
        .to_string();
    let open = |uri: String| {
        let router = router.clone();
        let cookie = cookie.clone();
        async move {
            let started = Instant::now();
            let request = Request::builder()
                .uri(uri)
                .header("cookie", cookie)
                .body(Body::empty())?;
            let resp = router.oneshot(request).await?;
            let status = resp.status();
            let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX).await?;
            anyhow::ensure!(status.is_success(), "GET /app: {status}");
            Ok::<_, anyhow::Error>((started.elapsed().as_secs_f64(), bytes.len()))
        }
    };
    let overview = format!("/app?from={from}&to={to}");
    let (page_warm, page_bytes) = open(overview.clone()).await?;
    let (page_warm_by, _) = open(format!("{overview}&by=segment")).await?;
    let peak = peak_rss_mib();

    println!(
        "{}",
        serde_json::json!({
            "bench": "kpis",
            "debts": report.total.debts,
            "payments_in_period": report.total.payments,
            "contacts_in_period": report.total.contacts,
            "facts_load_seconds": round3(load_seconds),
            "compute_seconds": round3(compute_seconds),
            "compute_by_segment_seconds": round3(compute_by_seconds),
            "api_cold_seconds": round3(api_cold),
            "api_warm_seconds": round3(api_warm),
            "api_warm_new_breakdown_seconds": round3(api_warm_by),
            "response_bytes": body_bytes,
            "page_warm_seconds": round3(page_warm),
            "page_warm_new_breakdown_seconds": round3(page_warm_by),
            "page_bytes": page_bytes,
            "peak_rss_mib": peak.map(round3),
            "goal_warm_under_1s": api_warm < 1.0 && api_warm_by < 1.0
                && page_warm < 1.0 && page_warm_by < 1.0,
        })
    );
    Ok(())
}

async fn prepare(
    store: &Store,
    debts: usize,
    seed: u64,
    now: DateTime<Utc>,
    dir: &std::path::Path,
) -> anyhow::Result<(TenantStore, String)> {
    let csv_path = dir.join("portfolio.csv");
    recaudo_import::synth::write_csv_rows(
        &recaudo_import::synth::GenOptions {
            debtors: debts,
            seed,
            countries: vec![Country::Co],
            today: now.date_naive(),
            sector: Default::default(),
        },
        debts,
        std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&csv_path)?),
    )?;
    let tk = store
        .create_tenant(
            NewTenant::in_country(TENANT, Country::Co),
            SystemClock.now(),
        )
        .await?;
    let ts = store.tenant(&tk.tenant);
    let started = Instant::now();
    let report = recaudo_import::import_with(
        &ts,
        Format::Csv,
        std::fs::File::open(&csv_path)?,
        &ImportOptions {
            source: "bench".into(),
            ..Default::default()
        },
        SystemClock.now(),
        &mut NoSink,
    )
    .await?;
    eprintln!(
        "imported in {:.1} s: {}",
        started.elapsed().as_secs_f64(),
        report.summary_json()
    );
    let _ = std::fs::remove_file(&csv_path);
    let started = Instant::now();
    for sql in FACTS_SQL {
        run_tx(&ts, vec![Statement::new(sql)]).await?;
    }
    eprintln!(
        "payments, promises and contacts written in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok((ts, tk.api_key.expose_secret().clone()))
}
