//! The KPI cache: a report is computed once for the same facts, and facts older than the
//! cache's age are reloaded so the figures follow the portfolio.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use recaudo_domain::kpis::KpiQuery;
use recaudo_domain::{Country, Currency, Money};
use recaudo_engine::kpis::KpiCache;
use recaudo_store::testing::stores;
use recaudo_store::*;

fn day(d: u32) -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(2026, 11, d)
        .unwrap()
        .and_hms_opt(15, 0, 0)
        .unwrap()
        .and_utc()
}

fn date(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

#[tokio::test]
async fn kpi_cache_reuses_reports_and_reloads_stale_facts() {
    let (_, store) = stores().await.remove(0);
    let tk = store
        .create_tenant(NewTenant::in_country("Luz", Country::Br), day(1))
        .await
        .unwrap();
    let ts = store.tenant(&tk.tenant);
    let debtor = ts
        .create_debtor(
            NewDebtor {
                external_id: "D-1".into(),
                name: "Maria".into(),
                ..Default::default()
            },
            day(1),
        )
        .await
        .unwrap();
    let debt = ts
        .create_debt(
            NewDebt {
                debtor_id: debtor.id,
                external_id: "INV-1".into(),
                amount: Money::from_minor(10_000, Currency::Brl),
                balance: None,
                issued_on: None,
                due_on: date(1),
                product: None,
            },
            day(1),
        )
        .await
        .unwrap();
    let pay = |minor, d| NewPayment {
        amount: Money::from_minor(minor, Currency::Brl),
        method: "pix".into(),
        provider_ref: None,
        received_at: Some(day(d)),
        allow_overpayment: false,
    };
    ts.record_payment(debt.id, pay(1_000, 2), day(2))
        .await
        .unwrap();

    let cache = KpiCache::new(Duration::from_secs(5));
    let query = KpiQuery::new(date(1), date(30), None, Currency::Brl);
    let first = cache.report(&ts, &query, day(3)).await.unwrap();
    assert_eq!(first.total.collected, "10.00".parse().unwrap());

    ts.record_payment(debt.id, pay(2_000, 3), day(3))
        .await
        .unwrap();
    // Within the age: the same report, computed once.
    let again = cache
        .report(&ts, &query, day(3) + chrono::Duration::seconds(4))
        .await
        .unwrap();
    assert!(Arc::ptr_eq(&first, &again));
    // Past it: the facts are reloaded (a small portfolio reloads before answering).
    let later = cache
        .report(&ts, &query, day(3) + chrono::Duration::seconds(5))
        .await
        .unwrap();
    assert_eq!(later.total.collected, "30.00".parse().unwrap());
    assert_eq!(later.total.payments, 2);
    // Another query on the same facts is its own report.
    let october = KpiQuery::new(
        NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
        NaiveDate::from_ymd_opt(2026, 10, 31).unwrap(),
        None,
        Currency::Brl,
    );
    let report = cache
        .report(&ts, &october, day(3) + chrono::Duration::seconds(6))
        .await
        .unwrap();
    assert_eq!(report.total.collected, "0.00".parse().unwrap());
    assert_eq!(report.total.debts, 0, "issued in November");
}
