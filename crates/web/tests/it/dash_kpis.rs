//! The KPI pages of the dashboard (overview, aging, roll rates, funnel, heatmap, experiments):
//! over HTTP, each answers a viewer with the figures of the KPI API for the same period, each
//! CSV export matches, a bad filter answers 422 naming the field, an operator sees only their
//! tenant, and no session means the sign-in page. In headless Chromium: the overview draws its
//! chart, its cards refresh through htmx, every page speaks es/pt/en; each page is
//! photographed as `dashboard-{page}.png`.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Duration;

use chrono::DateTime;
use chrono::NaiveDate;
use recaudo_domain::kpis::{Dimension, KpiQuery};
use recaudo_domain::portfolio::Language;
use recaudo_domain::{Clock, Currency, DebtId};
use recaudo_engine::kpis::KpiCache;
use recaudo_store::{TrackKind, Tracked};
use serde_json::{Value, json};

use crate::a11y;
use crate::browser::debtor_with_email;
use crate::cdp::{Browser, CdpError, Page};
use crate::dash::{self, Site};
use crate::fixtures::{self, Resp, id, req};

/// The default period at the fixtures' clock (2026-11-23 in São Paulo): the last 30 days.
const FROM: &str = "2026-10-25";
const TO: &str = "2026-11-23";

/// The KPI pages and their CSV exports.
const PAGES: [(&str, &str); 6] = [
    ("/app", "/app/overview.csv"),
    ("/app/aging", "/app/aging.csv"),
    ("/app/rolls", "/app/rolls.csv"),
    ("/app/funnel", "/app/funnel.csv"),
    ("/app/heatmap", "/app/heatmap.csv"),
    ("/app/experiments", "/app/experiments.csv"),
];

/// Tenant A (Brazil, BRL): Ana's two debts of the browser fixture (45 000,00 and 12 500,50,
/// due 2026-11-10, one e-mail sent about them at the clock's now, then delivered, opened,
/// clicked and replied to), and Bruno's old debt of
/// 1 000,00 due 2026-07-01; payments of 2 500,00 on Ana's first debt (2026-11-15) and 100,00
/// on Bruno's (2026-11-20). Tenant B (Colombia, COP): one debt of 777 777 and a payment of
/// 7 777 (2026-11-18).
///
/// By hand, for 2026-10-25..=2026-11-23 in A: collected 2 500 + 100 = 2 600,00 in 2 payments;
/// open at 2026-11-23: 1–30 days late 42 500,00 + 12 500,50 = 55 000,50 (2 debts), 120+ days
/// late 1 000 − 100 = 900,00 (1 debt); e-mail funnel 1 sent, 1 delivered, 1 opened, 1 clicked,
/// 1 replied, 0 paid (both payments came before the e-mail); heatmap: 2 responses (the click
/// and the reply) on Monday at 10 h local, nothing elsewhere.
async fn portfolio(site: &Site) -> String {
    let app = &site.app;
    let (r, a, b) = (&app.router, app.a.as_str(), app.b.as_str());
    let (ts, contact, _) = debtor_with_email(app, "Luz do Vale", Language::Pt, "Ana Souza").await;
    // The e-mail (sent at 12:00 UTC on Monday 2026-11-23) is delivered, opened, clicked and
    // answered; the click and the reply fall at 10 h in São Paulo (UTC−3).
    let tracked = [
        (TrackKind::Delivered, "2026-11-23T12:01:00Z"),
        (TrackKind::Opened, "2026-11-23T12:30:00Z"),
        (TrackKind::Clicked, "2026-11-23T13:05:00Z"),
        (TrackKind::Replied, "2026-11-23T13:20:00Z"),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, (kind, at))| Tracked {
        provider_message_id: None,
        contact_id: Some(contact),
        kind,
        at: DateTime::parse_from_rfc3339(at).expect("a time").to_utc(),
        dedupe_key: format!("dash-kpis-{i}"),
        data: json!({}),
    })
    .collect();
    ts.apply_tracked(tracked).await.expect("tracked");
    let debts = req("GET", "/api/v1/debts").key(a).send(r).await;
    let ana_first = debts.ok(200)["items"]
        .as_array()
        .expect("debts")
        .iter()
        .find(|d| d["external_id"] == "FAC-1001")
        .map(id)
        .expect("FAC-1001");
    let bruno = req("POST", "/api/v1/debtors")
        .key(a)
        .json(&json!({"external_id": "CPF-2", "name": "Bruno Lima"}))
        .send(r)
        .await;
    let bruno = id(bruno.ok(201));
    let old = req("POST", "/api/v1/debts")
        .key(a)
        .json(
            &json!({"debtor_id": bruno, "external_id": "FAC-2001", "amount": "1000.00",
                      "currency": "BRL", "issued_on": "2026-06-01", "due_on": "2026-07-01"}),
        )
        .send(r)
        .await;
    let old = id(old.ok(201));
    for (debt, amount, when) in [
        (&ana_first, "2500.00", "2026-11-15T15:00:00Z"),
        (&old, "100.00", "2026-11-20T15:00:00Z"),
    ] {
        req("POST", format!("/api/v1/debts/{debt}/payments"))
            .key(a)
            .json(&json!({"amount": amount, "received_at": when}))
            .send(r)
            .await
            .ok(201);
    }

    let carla = req("POST", "/api/v1/debtors")
        .key(b)
        .json(&json!({"external_id": "CC-3", "name": "Carla Ruiz"}))
        .send(r)
        .await;
    let carla = id(carla.ok(201));
    let debt_b = req("POST", "/api/v1/debts")
        .key(b)
        .json(
            &json!({"debtor_id": carla, "external_id": "FAC-B1", "amount": "777777",
                      "currency": "COP", "issued_on": "2026-09-01", "due_on": "2026-10-01"}),
        )
        .send(r)
        .await;
    let debt_b = id(debt_b.ok(201));
    req("POST", format!("/api/v1/debts/{debt_b}/payments"))
        .key(b)
        .json(&json!({"amount": "7777", "received_at": "2026-11-18T15:00:00Z"}))
        .send(r)
        .await
        .ok(201);
    ana_first
}

/// The engine's report for tenant A over the default period (what `GET /api/v1/kpis` answers:
/// the API, the CLI and the pages all ask the engine's cache), as JSON.
async fn engine_report(site: &Site, by: Option<Dimension>) -> Value {
    let from = NaiveDate::from_str(FROM).expect("a date");
    let to = NaiveDate::from_str(TO).expect("a date");
    let query = KpiQuery::new(from, to, by, Currency::Brl);
    let report = KpiCache::default()
        .report(&site.tenant(0), &query, site.app.clock.now())
        .await
        .expect("the report");
    serde_json::to_value(&*report).expect("JSON")
}

/// A decimal text of the API (`"2600.00"`) as the pages write it in Portuguese
/// (`2.600,00 BRL`).
fn pt_money(text: &str, currency: &str) -> String {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let (sign, int) = int.strip_prefix('-').map_or(("", int), |rest| ("-", rest));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(c);
    }
    let frac = format!("{frac:0<2}");
    format!("{sign}{grouped},{} {currency}", &frac[..2])
}

/// The lines of a CSV (RFC 4180: quoted fields may hold commas and doubled quotes).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = vec![];
    for line in text.split("\r\n").filter(|l| !l.is_empty()) {
        let mut fields = vec![];
        let mut field = String::new();
        let mut quoted = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match (c, quoted) {
                ('"', true) if chars.peek() == Some(&'"') => {
                    field.push('"');
                    chars.next();
                }
                ('"', _) => quoted = !quoted,
                (',', false) => fields.push(std::mem::take(&mut field)),
                (c, _) => field.push(c),
            }
        }
        fields.push(field);
        rows.push(fields);
    }
    rows
}

/// A CSV answer: its status, type and attachment, then its rows (header first).
#[track_caller]
fn csv_rows(resp: &Resp, what: &str) -> Vec<Vec<String>> {
    assert_eq!(resp.status.as_u16(), 200, "{what}: {}", resp.text);
    assert!(
        resp.content_type().starts_with("text/csv"),
        "{what}: {}",
        resp.content_type()
    );
    let disposition = resp
        .headers
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(
        disposition.starts_with("attachment"),
        "{what}: {disposition}"
    );
    let rows = parse_csv(&resp.text);
    assert!(!rows.is_empty(), "{what}: no header");
    let width = rows[0].len();
    assert!(
        rows.iter().all(|r| r.len() == width),
        "{what}: ragged rows {rows:?}"
    );
    rows
}

/// A decimal text as a number, for comparing figures written with different scales.
fn dec(text: &str) -> f64 {
    text.parse::<f64>()
        .unwrap_or_else(|_| panic!("`{text}` is not a number"))
}

/// A share of the API (0..1, or null) as the CSV writes it (percent, two decimals).
fn pct(share: &Value) -> String {
    share
        .as_f64()
        .map(|s| format!("{:.2}", s * 100.0))
        .unwrap_or_default()
}

#[tokio::test]
async fn dashboard_kpi_pages_show_a_viewer_the_reports_figures() {
    // On every test store (SQLite, and PostgreSQL when configured).
    for site in Site::every_store().await {
        portfolio(&site).await;
        let report = engine_report(&site, None).await;
        let total = &report["total"];
        // The API answers the same report.
        let api = req("GET", format!("/api/v1/kpis?from={FROM}&to={TO}"))
            .key(&site.app.a)
            .send(&site.app.router)
            .await;
        assert_eq!(api.ok(200)["total"], report["total"]);
        // Hand-computed in `portfolio`.
        assert_eq!(dec(total["collected"].as_str().expect("collected")), 2600.0);
        let viewer = site.cookie("viewer@a.test").await;

        let overview = site.get(&viewer, "/app?lang=pt").await;
        assert_eq!(overview.status.as_u16(), 200, "{}", overview.text);
        assert!(overview.text.contains("2.600,00 BRL"), "{}", overview.text);
        assert!(overview.text.contains("hx-trigger=\"every 5s\""));
        assert!(overview.text.contains("<canvas class=\"chart\""));
        for key in [
            "collected",
            "recovery_rate",
            "cei",
            "dso",
            "countback_dso",
            "cure_rate",
            "promise_kept_rate",
            "right_party_contact_rate",
            "self_service_share",
            "contacts_per_collected_unit",
            "cost_to_collect",
            "liquidation_rate",
        ] {
            assert!(
                overview.text.contains(&format!("data-kpi=\"{key}\"")),
                "card {key} missing"
            );
        }
        assert!(!overview.text.contains("NaN"), "{}", overview.text);

        let aging = site.get(&viewer, "/app/aging?lang=pt").await;
        assert_eq!(aging.status.as_u16(), 200, "{}", aging.text);
        // 42 500,00 + 12 500,50 in 1–30; 1 000 − 100 in 120+ (by hand).
        assert!(aging.text.contains("55.000,50 BRL"), "{}", aging.text);
        assert!(aging.text.contains("900,00 BRL"), "{}", aging.text);
        for row in total["aging"].as_array().expect("aging rows") {
            let amount = pt_money(row["amount"].as_str().expect("amount"), "BRL");
            assert!(
                aging.text.contains(&amount),
                "{amount} missing from the aging page"
            );
        }

        let rolls = site.get(&viewer, "/app/rolls?lang=en").await;
        assert_eq!(rolls.status.as_u16(), 200, "{}", rolls.text);
        assert!(rolls.text.contains("Cure rate"), "{}", rolls.text);
        assert!(!rolls.text.contains("NaN"));

        let funnel = site.get(&viewer, "/app/funnel?lang=en").await;
        assert_eq!(funnel.status.as_u16(), 200, "{}", funnel.text);
        let email = report["funnel"]
            .as_array()
            .expect("funnel")
            .iter()
            .find(|r| r["channel"] == "email")
            .expect("the e-mail sent in the fixture is in the funnel");
        for (stage, n) in [
            ("sent", 1),
            ("delivered", 1),
            ("opened", 1),
            ("clicked", 1),
            ("replied", 1),
            ("paid", 0),
        ] {
            assert_eq!(email[stage], n, "{stage}: {email}");
        }
        assert!(
            funnel.text.contains("data-channel=\"email\""),
            "{}",
            funnel.text
        );
        assert!(funnel.text.contains("E-mail"));

        let heatmap = site.get(&viewer, "/app/heatmap?lang=es").await;
        assert_eq!(heatmap.status.as_u16(), 200, "{}", heatmap.text);
        // Monday (the first row) at 10 h: the click and the reply.
        assert!(heatmap.text.contains("lunes 10:00 · 2"), "{}", heatmap.text);
        assert!(heatmap.text.contains("2 en total"), "{}", heatmap.text);

        let experiments = site.get(&viewer, "/app/experiments?lang=es").await;
        assert_eq!(experiments.status.as_u16(), 200, "{}", experiments.text);
        if report["experiments"].as_array().is_some_and(Vec::is_empty) {
            assert!(
                experiments.text.contains("empty-state"),
                "{}",
                experiments.text
            );
        }

        // With a breakdown, the overview shows the API's groups.
        let by = engine_report(&site, Some(Dimension::Product)).await;
        let page = site.get(&viewer, "/app?by=product&lang=en").await;
        assert_eq!(page.status.as_u16(), 200, "{}", page.text);
        for group in by["groups"].as_array().expect("groups") {
            let key = group["key"].as_str().expect("key");
            assert!(
                page.text.contains(&format!("<th scope=\"row\">{key}</th>")),
                "group {key} missing"
            );
        }
    }
}

#[tokio::test]
async fn dashboard_kpi_csv_exports_match_the_report() {
    // On every test store (SQLite, and PostgreSQL when configured).
    for site in Site::every_store().await {
        portfolio(&site).await;
        let report = engine_report(&site, None).await;
        let total = &report["total"];
        let viewer = site.cookie("viewer@a.test").await;
        let query = format!("?from={FROM}&to={TO}");

        let aging = csv_rows(
            &site.get(&viewer, &format!("/app/aging.csv{query}")).await,
            "aging",
        );
        assert_eq!(aging[0], ["bucket", "debts", "amount"]);
        let api_aging = total["aging"].as_array().expect("aging");
        assert_eq!(aging.len(), 1 + api_aging.len());
        for (row, api) in aging[1..].iter().zip(api_aging) {
            assert_eq!(row[1], api["debts"].to_string(), "{row:?} vs {api}");
            assert_eq!(dec(&row[2]), dec(api["amount"].as_str().expect("amount")));
        }
        // By hand: 55 000,50 in 1–30 and 900,00 in 120+.
        assert_eq!(aging[2][..], ["1-30", "2", "55000.50"]);
        assert_eq!(aging[6][..], ["120+", "1", "900.00"]);

        let cohorts = csv_rows(
            &site
                .get(&viewer, &format!("/app/aging.csv{query}&table=cohorts"))
                .await,
            "cohorts",
        );
        let api_cohorts = total["recovery_by_cohort"].as_array().expect("cohorts");
        assert_eq!(cohorts.len(), 1 + api_cohorts.len());
        for (row, api) in cohorts[1..].iter().zip(api_cohorts) {
            assert_eq!(row[0], api["cohort"].as_str().expect("cohort"));
            assert_eq!(
                dec(&row[2]),
                dec(api["collected"].as_str().expect("collected"))
            );
            assert_eq!(row[3], pct(&api["rate"]));
        }

        let overview = csv_rows(
            &site
                .get(&viewer, &format!("/app/overview.csv{query}"))
                .await,
            "overview",
        );
        assert_eq!(overview.len(), 2, "{overview:?}");
        assert_eq!(overview[0][2], "collected");
        assert_eq!(overview[1][2], "2600.00");
        assert_eq!(overview[1][1], total["debts"].to_string());
        assert_eq!(overview[1][4], pct(&total["recovery_rate"]));

        let rolls = csv_rows(
            &site.get(&viewer, &format!("/app/rolls.csv{query}")).await,
            "rolls",
        );
        let api_rolls = total["roll_rates"].as_array().expect("roll rates");
        assert_eq!(rolls.len(), 1 + api_rolls.len());
        for (row, api) in rolls[1..].iter().zip(api_rolls) {
            assert_eq!(row[1], api["debts"].to_string());
            let shares = api["to"].as_array().expect("shares");
            for (i, share) in shares.iter().enumerate() {
                assert_eq!(row[3 + i], pct(share), "{row:?} vs {api}");
            }
            assert_eq!(row[10], pct(&api["roll_forward"]));
        }

        let funnel = csv_rows(
            &site.get(&viewer, &format!("/app/funnel.csv{query}")).await,
            "funnel",
        );
        let api_funnel = report["funnel"].as_array().expect("funnel");
        assert_eq!(funnel.len(), 1 + api_funnel.len());
        for (row, api) in funnel[1..].iter().zip(api_funnel) {
            assert_eq!(row[0], api["channel"].as_str().expect("channel"));
            for (i, stage) in ["sent", "delivered", "opened", "clicked", "replied", "paid"]
                .iter()
                .enumerate()
            {
                assert_eq!(row[1 + i], api[stage].to_string(), "{stage}: {row:?}");
            }
        }

        let heatmap = csv_rows(
            &site.get(&viewer, &format!("/app/heatmap.csv{query}")).await,
            "heatmap",
        );
        let api_heatmap = report["heatmap"].as_array().expect("heatmap");
        assert_eq!(heatmap.len(), 1 + 7 * api_heatmap.len());
        assert_eq!(heatmap[0].len(), 2 + 24);
        // By hand: 2 responses on Monday at 10 h in the e-mail's grid.
        let monday = heatmap
            .iter()
            .find(|r| r[0] == "email" && r[1] == "mon")
            .expect("e-mail's Monday");
        assert_eq!(monday[2 + 10], "2", "{monday:?}");
        for (i, row) in heatmap[1..].iter().enumerate() {
            let api = &api_heatmap[i / 7]["counts"][i % 7];
            for hour in 0..24 {
                assert_eq!(row[2 + hour], api[hour].to_string());
            }
        }

        let experiments = csv_rows(
            &site
                .get(&viewer, &format!("/app/experiments.csv{query}"))
                .await,
            "experiments",
        );
        let arms: usize = report["experiments"]
            .as_array()
            .expect("experiments")
            .iter()
            .map(|e| e["arms"].as_array().map_or(0, Vec::len))
            .sum();
        assert_eq!(experiments.len(), 1 + arms);
    }
}

#[tokio::test]
async fn dashboard_kpi_filter_refuses_a_bad_field_with_422_naming_it() {
    let site = Site::start().await;
    let viewer = site.cookie("viewer@a.test").await;
    for (page, _) in PAGES {
        let resp = site
            .get(&viewer, &format!("{page}?from=2026-13-45&lang=en"))
            .await;
        assert_eq!(resp.status.as_u16(), 422, "{page}: {}", resp.text);
        assert!(
            resp.text.contains(
                "id=\"kpi-from\" name=\"from\" value=\"2026-13-45\" aria-invalid=\"true\""
            ),
            "{page}: {}",
            resp.text
        );
        assert!(resp.text.contains("YYYY-MM-DD"), "{page}");
    }
    let resp = site.get(&viewer, "/app/aging?by=colour&lang=es").await;
    assert_eq!(resp.status.as_u16(), 422, "{}", resp.text);
    assert!(resp.text.contains("Elija un desglose de la lista."));
    let resp = site
        .get(&viewer, "/app/rolls?from=2026-11-20&to=2026-11-01&lang=pt")
        .await;
    assert_eq!(resp.status.as_u16(), 422, "{}", resp.text);
    assert!(
        resp.text
            .contains("A data inicial não pode ser posterior à final.")
    );
    let resp = site.get(&viewer, "/app/aging.csv?currency=XYZ").await;
    assert_eq!(resp.status.as_u16(), 422, "{}", resp.text);
    assert!(resp.text.starts_with("currency:"), "{}", resp.text);
}

#[tokio::test]
async fn dashboard_kpi_pages_show_only_the_operators_tenant() {
    // On every test store (SQLite, and PostgreSQL when configured).
    for site in Site::every_store().await {
        portfolio(&site).await;
        let a = site.cookie("admin@a.test").await;
        let b = site.cookie("admin@b.test").await;
        let page_a = site.get(&a, "/app?lang=es").await;
        let page_b = site.get(&b, "/app?lang=es").await;
        assert_eq!(page_b.status.as_u16(), 200, "{}", page_b.text);
        // B's hand-computed collected: 7 777 COP; A's: 2 600,00 BRL.
        assert!(page_b.text.contains("7.777,00 COP"), "{}", page_b.text);
        assert!(!page_b.text.contains("2.600,00"), "{}", page_b.text);
        assert!(page_a.text.contains("2.600,00 BRL"), "{}", page_a.text);
        assert!(!page_a.text.contains("7.777"), "{}", page_a.text);
        // Asking B's pages for A's currency finds none of A's debts.
        let aging = site
            .get(
                &b,
                &format!("/app/aging.csv?from={FROM}&to={TO}&currency=BRL"),
            )
            .await;
        let rows = csv_rows(&aging, "B's aging in BRL");
        assert!(rows[1..].iter().all(|r| r[1] == "0"), "{rows:?}");
    }
}

#[tokio::test]
async fn dashboard_kpi_pages_send_a_visitor_without_a_session_to_sign_in() {
    let site = Site::start().await;
    for (page, csv) in PAGES {
        for path in [page, csv, "/app/fragments/cards"] {
            let resp = req("GET", path).send(&site.router).await;
            assert_eq!(resp.status.as_u16(), 303, "{path}");
            let location = resp
                .headers
                .get("location")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            assert!(location.starts_with("/app/login"), "{path}: {location}");
        }
    }
    // htmx's refresh of the cards is told to load the sign-in page in full.
    let resp = req("GET", "/app/fragments/cards")
        .header("hx-request", "true")
        .send(&site.router)
        .await;
    assert_eq!(resp.status.as_u16(), 204, "{}", resp.text);
    let to = resp
        .headers
        .get("hx-redirect")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(to.starts_with("/app/login"), "{to}");
}

#[tokio::test]
async fn dashboard_kpi_cards_fragment_follows_new_payments() {
    // On every test store (SQLite, and PostgreSQL when configured).
    for site in Site::every_store().await {
        let ana_first = portfolio(&site).await;
        let viewer = site.cookie("viewer@a.test").await;
        let path = format!("/app/fragments/cards?from={FROM}&to={TO}&currency=BRL");
        let before = site.get(&viewer, &format!("{path}&lang=pt")).await;
        assert_eq!(before.status.as_u16(), 200, "{}", before.text);
        assert!(before.text.starts_with("<section id=\"kpi-cards\""));
        assert!(before.text.contains("2.600,00 BRL"), "{}", before.text);
        req("POST", format!("/api/v1/debts/{ana_first}/payments"))
            .key(&site.app.a)
            .json(&json!({"amount": "400.00", "received_at": "2026-11-22T15:00:00Z"}))
            .send(&site.app.router)
            .await
            .ok(201);
        // The facts are reloaded once they are a few seconds old: move the clock past that.
        site.app.clock.advance(chrono::Duration::seconds(30));
        let after = site.get(&viewer, &format!("{path}&lang=pt")).await;
        assert!(after.text.contains("3.000,00 BRL"), "{}", after.text);
    }
}

// ---- In the browser ----------------------------------------------------------------------------

/// Scripts loaded, nothing refused by the CSP since the listener was installed, and no chart
/// that failed to parse its configuration.
async fn assert_scripts_ok(page: &Page, what: &str) -> Result<(), CdpError> {
    let state = page
        .eval(
            "({ htmx: typeof htmx !== 'undefined', chart: typeof Chart !== 'undefined', \
              violations: window.__cspViolations || 0, \
              chartErrors: document.querySelectorAll('canvas[data-chart-error]').length })",
        )
        .await?;
    assert_eq!(state["htmx"], true, "{what}: htmx not loaded");
    assert_eq!(state["chart"], true, "{what}: Chart.js not loaded");
    assert_eq!(state["violations"], 0, "{what}: CSP violations");
    assert_eq!(state["chartErrors"], 0, "{what}: a chart failed");
    Ok(())
}

/// Counts CSP violations from now on (htmx swaps, chart redraws).
async fn watch_csp(page: &Page) -> Result<(), CdpError> {
    page.eval(
        "window.__cspViolations = 0; document.addEventListener('securitypolicyviolation', \
         () => { window.__cspViolations += 1; });",
    )
    .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_overview_draws_cards_and_chart_and_refreshes_in_a_browser()
-> Result<(), CdpError> {
    let Some(browser) = Browser::shared() else {
        return Ok(());
    };
    let site = Site::start().await;
    let ana_first = portfolio(&site).await;
    let page = browser.page_desktop().await?;
    dash::login(&page, &site, "viewer@a.test").await?;
    page.goto(&format!("{}/app?lang=pt", site.base)).await?;
    assert_eq!(page.status().await?, 200);
    watch_csp(&page).await?;
    page.wait_for(
        "Chart.getChart(document.querySelector('canvas.chart')) != null",
        Duration::from_secs(10),
    )
    .await?;
    let collected = "document.querySelector('[data-kpi=collected] .value').textContent";
    assert_eq!(page.eval(collected).await?, "2.600,00 BRL");
    assert_eq!(
        page.eval("document.querySelectorAll('#kpi-cards .card').length")
            .await?,
        12
    );
    assert_scripts_ok(&page, "overview").await?;
    page.screenshot("dashboard-overview").await?;

    // A payment arrives and the clock moves on: the next poll (every 5 s) shows it.
    req("POST", format!("/api/v1/debts/{ana_first}/payments"))
        .key(&site.app.a)
        .json(&json!({"amount": "400.00", "received_at": "2026-11-22T15:00:00Z"}))
        .send(&site.app.router)
        .await
        .ok(201);
    site.app.clock.advance(chrono::Duration::seconds(30));
    page.wait_for(
        &format!("{collected} === '3.000,00 BRL'"),
        Duration::from_secs(15),
    )
    .await?;
    assert_scripts_ok(&page, "overview after a refresh").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_kpi_pages_render_in_three_languages_in_a_browser() -> Result<(), CdpError> {
    let Some(browser) = Browser::shared() else {
        return Ok(());
    };
    let site = Site::start().await;
    portfolio(&site).await;
    trial(&site).await;
    let page = browser.page_desktop().await?;
    dash::login(&page, &site, "viewer@a.test").await?;
    // A word of each page's title per language.
    let titles: [(&str, [&str; 3]); 6] = [
        ("/app", ["Overview", "Resumen", "Visão geral"]),
        (
            "/app/aging",
            ["Aging", "Antigüedad de saldos", "Aging da carteira"],
        ),
        (
            "/app/rolls",
            ["Roll rates", "Tasas de rodamiento", "Taxas de rolagem"],
        ),
        (
            "/app/funnel",
            ["Channel funnel", "Embudo por canal", "Funil por canal"],
        ),
        (
            "/app/heatmap",
            [
                "Response heatmap",
                "Mapa de calor de respuestas",
                "Mapa de calor de respostas",
            ],
        ),
        (
            "/app/experiments",
            ["Experiments", "Experimentos", "Experimentos"],
        ),
    ];
    for (path, [en, es, pt]) in titles {
        for (lang, title) in [("es", es), ("pt", pt), ("en", en)] {
            let url = format!("{}{path}?lang={lang}", site.base);
            page.goto(&url).await?;
            assert_eq!(page.status().await?, 200, "{url}");
            watch_csp(&page).await?;
            assert_eq!(page.eval("document.documentElement.lang").await?, lang);
            let h1 = page.text("h1").await?;
            assert_eq!(h1.trim(), title, "{url}");
            let html = page.html().await?;
            assert!(!html.contains("NaN"), "{url}");
            if html.contains("<canvas class=\"chart\"") {
                page.wait_for(
                    "Chart.getChart(document.querySelector('canvas.chart')) != null",
                    Duration::from_secs(10),
                )
                .await?;
            }
            assert_scripts_ok(&page, &url).await?;
            let mut findings = a11y::labels(&page).await?;
            findings.extend(a11y::contrast(&page).await?);
            assert!(findings.is_empty(), "{url}:\n{}", a11y::report(&findings));
            if lang == "en" {
                let name = match path {
                    "/app" => "overview",
                    other => other.trim_start_matches("/app/"),
                };
                page.screenshot(&format!("dashboard-{name}")).await?;
            }
        }
    }
    // The heatmap's weekdays follow the language.
    page.goto(&format!("{}/app/heatmap?lang=pt", site.base))
        .await?;
    let html = page.html().await?;
    assert!(
        html.contains("segunda-feira") || html.contains("empty-state"),
        "heatmap in pt"
    );
    Ok(())
}

/// A strategy with a 50/50 experiment (`tone`: arms A and B) for the `trial` product.
const TRIAL_STRATEGY: &str = "id: trial
version: 1
name: Trial
applies_if: \"debt.product == 'trial'\"
priority: 5
steps:
  - { id: due, at: due+1d, send: { channel: email, template: reminder_soft } }
experiments:
  - { id: tone, step: due, arms: { A: {template: reminder_soft}, B: {template: overdue_soft} }, split: [50, 50] }
";

/// Twelve debts of 100,00 on the `trial` strategy, their arms drawn by the planner at the
/// clock's now, the first five paid six hours later; the arms' (debts, paid) by hand.
async fn trial(site: &Site) -> BTreeMap<&'static str, (u64, u64)> {
    let app = &site.app;
    let (r, a) = (&app.router, app.a.as_str());
    let stored = req("POST", "/api/v1/strategies")
        .key(a)
        .raw("application/yaml", TRIAL_STRATEGY)
        .send(r)
        .await;
    assert!(stored.status.is_success(), "{}", stored.text);
    let mut debts = vec![];
    for n in 0..12 {
        let debtor = req("POST", "/api/v1/debtors")
            .key(a)
            .json(&json!({"external_id": format!("T-{n}"), "name": format!("Trial {n}")}))
            .send(r)
            .await;
        let debtor = id(debtor.ok(201));
        let debt = req("POST", "/api/v1/debts")
            .key(a)
            .json(
                &json!({"debtor_id": debtor, "external_id": format!("TR-{n}"),
                          "amount": "100.00", "currency": "BRL", "product": "trial",
                          "issued_on": "2026-10-01", "due_on": "2026-11-01"}),
            )
            .send(r)
            .await;
        debts.push(id(debt.ok(201)));
    }
    // The planner chooses the strategy and draws each debt's arm (at the clock's now).
    let ts = site.tenant(0);
    let setup = std::sync::Arc::new(recaudo_engine::PlanSetup::load(&ts).await.expect("setup"));
    recaudo_engine::plan_tenant(
        &ts,
        setup,
        fixtures::t0(),
        recaudo_engine::PlanRunOptions::default(),
        |_| {},
    )
    .await
    .expect("the plan");
    // Later that day the first five debts are paid.
    app.clock.advance(chrono::Duration::hours(6));
    for debt in &debts[..5] {
        req("POST", format!("/api/v1/debts/{debt}/payments"))
            .key(a)
            .json(&json!({"amount": "100.00", "received_at": "2026-11-23T17:00:00Z"}))
            .send(r)
            .await
            .ok(201);
    }
    // By hand: each debt's arm is its bucket of the experiment (A below 50, B from 50).
    let mut expected: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for (i, debt) in debts.iter().enumerate() {
        let debt = DebtId::from_str(debt).expect("a debt id");
        let arm = if recaudo_domain::strategy::bucket("tone", debt) < 50 {
            "A"
        } else {
            "B"
        };
        let entry = expected.entry(arm).or_default();
        entry.0 += 1;
        entry.1 += u64::from(i < 5);
    }

    expected
}

#[tokio::test]
async fn dashboard_experiments_page_shows_each_arm_and_the_verdict() {
    // On every test store (SQLite, and PostgreSQL when configured).
    for site in Site::every_store().await {
        let expected = trial(&site).await;
        let viewer = site.cookie("viewer@a.test").await;
        let page = site.get(&viewer, "/app/experiments?lang=en").await;
        assert_eq!(page.status.as_u16(), 200, "{}", page.text);
        assert!(page.text.contains("trial · tone"), "{}", page.text);
        for (arm, (n, paid)) in &expected {
            let row = format!("<tr><th scope=\"row\">{arm}");
            let at = page
                .text
                .find(&row)
                .unwrap_or_else(|| panic!("arm {arm}: {}", page.text));
            let cells = &page.text[at..];
            let cells = &cells[..cells.find("</tr>").expect("the row's end")];
            assert!(
                cells.contains(&format!(
                    "<td class=\"num\">{n}</td><td class=\"num\">{paid}</td>"
                )),
                "arm {arm}: {cells}"
            );
        }
        let verdicts = [
            "Significant at 95 %",
            "Not yet significant",
            "Not enough data yet",
        ];
        assert!(
            verdicts.iter().any(|v| page.text.contains(v)),
            "{}",
            page.text
        );

        let csv = csv_rows(
            &site
                .get(
                    &viewer,
                    &format!("/app/experiments.csv?from={FROM}&to={TO}"),
                )
                .await,
            "experiments",
        );
        assert_eq!(csv.len(), 1 + expected.len(), "{csv:?}");
        for row in &csv[1..] {
            let (n, paid) = expected[row[2].as_str()];
            assert_eq!(
                row[..5],
                [
                    "trial",
                    "tone",
                    row[2].as_str(),
                    &n.to_string(),
                    &paid.to_string()
                ]
            );
        }
    }
}
