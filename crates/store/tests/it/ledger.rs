//! Payments, promises and the timeline through the store, on SQLite and PostgreSQL: promises
//! settled by payments, the operator's override, overpayments, one money format in every event
//! and timelines in the order things happened.

use chrono::{DateTime, NaiveDate, Utc};
use recaudo_domain::event::{Event, EventKind};
use recaudo_domain::portfolio::*;
use recaudo_domain::{Country, Currency, Money};
use recaudo_store::testing::stores;
use recaudo_store::*;

/// Noon in São Paulo (15:00 UTC) of a day of November 2026.
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

/// A Brazilian tenant (America/Sao_Paulo) with one debt of `minor` in `currency`, made on the
/// 1st.
async fn one_debt(store: &Store, currency: Currency, minor: i64) -> (TenantStore, Debt) {
    let tk = store
        .create_tenant(NewTenant::in_country("Luz do Vale", Country::Br), day(1))
        .await
        .unwrap();
    let ts = store.tenant(&tk.tenant);
    let debtor = ts
        .create_debtor(
            NewDebtor {
                external_id: "BR-1".into(),
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
                amount: Money::from_minor(minor, currency),
                balance: None,
                issued_on: None,
                due_on: date(1),
                product: None,
            },
            day(1),
        )
        .await
        .unwrap();
    (ts, debt)
}

fn pay(amount: Money, received: DateTime<Utc>) -> NewPayment {
    NewPayment {
        amount,
        method: "pix".into(),
        provider_ref: None,
        received_at: Some(received),
        allow_overpayment: false,
    }
}

async fn promise(ts: &TenantStore, debt: &Debt, amount: Money, due: u32, now: u32) -> Promise {
    ts.create_promise(
        debt.id,
        NewPromise {
            amount,
            due_on: date(due),
            channel: None,
        },
        day(now),
        date(now),
    )
    .await
    .unwrap()
    .0
}

async fn timeline(ts: &TenantStore, debt: &Debt) -> Vec<Event> {
    ts.debt_timeline(debt.id, &TimelineQuery::default())
        .await
        .unwrap()
        .items
}

fn brl(minor: i64) -> Money {
    Money::from_minor(minor, Currency::Brl)
}

#[tokio::test]
async fn a_promise_kept_by_payments_leaves_the_debt_promised_while_another_is_pending() {
    for (db, store) in stores().await {
        let (ts, debt) = one_debt(&store, Currency::Brl, 100_000).await;
        let first = promise(&ts, &debt, brl(30_000), 10, 2).await;
        let second = promise(&ts, &debt, brl(70_000), 20, 2).await;
        // Two payments make the first promise: kept when the second arrives.
        let (_, after) = ts
            .record_payment(debt.id, pay(brl(10_000), day(4)), day(4))
            .await
            .unwrap();
        assert_eq!(after.status, DebtStatus::Promised, "{db}");
        let (_, after) = ts
            .record_payment(debt.id, pay(brl(20_000), day(6)), day(6))
            .await
            .unwrap();
        assert_eq!(
            after.status,
            DebtStatus::Promised,
            "{db}: the second is pending"
        );
        let kept = ts.get_promise(first.id).await.unwrap();
        assert_eq!(kept.status, PromiseStatus::Kept, "{db}");
        assert_eq!(kept.closed_by.as_deref(), Some(CLOSED_BY_PAYMENTS), "{db}");
        assert_eq!(kept.closed_at, Some(day(6)), "{db}");
        assert_eq!(
            ts.get_promise(second.id).await.unwrap().status,
            PromiseStatus::Pending,
            "{db}"
        );
        let event = timeline(&ts, &debt)
            .await
            .into_iter()
            .find(|e| e.kind == EventKind::PromiseKept)
            .unwrap();
        assert_eq!(event.at, day(6), "{db}");
        assert_eq!(event.data["promise_id"], first.id.to_string(), "{db}");
        assert_eq!(
            event.data["paid"],
            serde_json::json!({"amount": "300.00", "currency": "BRL"}),
            "{db}"
        );

        // The second is not paid by its date: the tick after it breaks it, at the end of its
        // day, and the debt is collected again.
        assert!(ts.settle_due_promises(day(20)).await.unwrap().is_empty());
        let broken = ts.settle_due_promises(day(21)).await.unwrap();
        assert_eq!(broken.len(), 1, "{db}");
        assert_eq!(
            (broken[0].id, broken[0].status),
            (second.id, PromiseStatus::Broken)
        );
        assert_eq!(broken[0].closed_by.as_deref(), Some(CLOSED_BY_SCHEDULE));
        assert_eq!(
            broken[0].close_reason.as_deref(),
            Some("0.00 BRL of 700.00 BRL paid by 2026-11-20 (due 2026-11-20 plus 0 grace days)"),
            "{db}"
        );
        assert_eq!(
            ts.get_debt(debt.id).await.unwrap().status,
            DebtStatus::Open,
            "{db}"
        );
        let event = timeline(&ts, &debt)
            .await
            .into_iter()
            .find(|e| e.kind == EventKind::PromiseBroken)
            .unwrap();
        // Midnight in São Paulo (UTC-3) at the end of the 20th.
        assert_eq!(event.at.to_rfc3339(), "2026-11-21T03:00:00+00:00", "{db}");
        assert_eq!(event.recorded_at, day(21), "{db}");
        // Settling again finds nothing.
        assert!(ts.settle_due_promises(day(22)).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn an_operator_closes_a_promise_saying_who_and_why() {
    for (db, store) in stores().await {
        let (ts, debt) = one_debt(&store, Currency::Brl, 100_000).await;
        let first = promise(&ts, &debt, brl(30_000), 10, 2).await;
        let second = promise(&ts, &debt, brl(70_000), 20, 2).await;
        let by = |status, reason: &str| PromiseOverride {
            status,
            actor: "api_key:rk_abc123".into(),
            reason: reason.into(),
        };
        let no_reason = ts
            .close_promise(first.id, by(PromiseStatus::Kept, "  "), day(3))
            .await
            .unwrap_err();
        assert!(
            matches!(&no_reason, StoreError::Invalid { field, .. } if field == "reason"),
            "{db}: {no_reason}"
        );
        // Marking one kept while the other is pending keeps the debt promised.
        let (closed, after) = ts
            .close_promise(
                first.id,
                by(PromiseStatus::Kept, "paid in cash at the branch"),
                day(3),
            )
            .await
            .unwrap();
        assert_eq!(after.status, DebtStatus::Promised, "{db}");
        assert_eq!(closed.status, PromiseStatus::Kept);
        assert_eq!(closed.closed_by.as_deref(), Some("api_key:rk_abc123"));
        assert_eq!(
            closed.close_reason.as_deref(),
            Some("paid in cash at the branch")
        );
        assert_eq!(ts.get_promise(first.id).await.unwrap(), closed, "{db}");
        let event = timeline(&ts, &debt)
            .await
            .into_iter()
            .find(|e| e.kind == EventKind::PromiseKept)
            .unwrap();
        assert_eq!(event.data["closed_by"], "api_key:rk_abc123", "{db}");
        assert_eq!(event.data["reason"], "paid in cash at the branch", "{db}");
        assert_eq!(event.data["override"], true, "{db}");
        // Closing the last one reopens the debt.
        let (_, after) = ts
            .close_promise(
                second.id,
                by(PromiseStatus::Cancelled, "entered twice"),
                day(3),
            )
            .await
            .unwrap();
        assert_eq!(after.status, DebtStatus::Open, "{db}");
    }
}

#[tokio::test]
async fn a_payment_above_the_balance_is_refused_unless_allowed_and_then_a_credit() {
    for (db, store) in stores().await {
        let (ts, debt) = one_debt(&store, Currency::Cop, 100_000).await;
        let cop = |minor| Money::from_minor(minor, Currency::Cop);
        let refused = ts
            .record_payment(debt.id, pay(cop(100_001), day(2)), day(2))
            .await
            .unwrap_err();
        assert!(
            matches!(refused, StoreError::Rule(DebtRuleError::Overpayment { .. })),
            "{db}: {refused}"
        );
        assert!(ts.list_payments(debt.id).await.unwrap().is_empty(), "{db}");
        let (payment, after) = ts
            .record_payment(
                debt.id,
                NewPayment {
                    allow_overpayment: true,
                    ..pay(cop(150_000), day(2))
                },
                day(2),
            )
            .await
            .unwrap();
        assert_eq!(payment.credit, Some(cop(50_000)), "{db}");
        assert_eq!(
            (after.balance, after.status),
            (cop(0), DebtStatus::Paid),
            "{db}"
        );
        assert_eq!(ts.list_payments(debt.id).await.unwrap(), vec![payment]);
        let event = timeline(&ts, &debt)
            .await
            .into_iter()
            .find(|e| e.kind == EventKind::PaymentReceived)
            .unwrap();
        assert_eq!(
            (
                &event.data["credit"],
                &event.data["balance_after"],
                &event.data["amount"]
            ),
            (
                &serde_json::json!({"amount": "500.00", "currency": "COP"}),
                &serde_json::json!({"amount": "0.00", "currency": "COP"}),
                &serde_json::json!({"amount": "1500.00", "currency": "COP"}),
            ),
            "{db}"
        );
    }
}

#[tokio::test]
async fn every_event_writes_money_with_the_currencys_decimals() {
    for (db, store) in stores().await {
        let (ts, debt) = one_debt(&store, Currency::Clp, 15_000).await;
        ts.record_payment(
            debt.id,
            pay(Money::from_minor(15_000, Currency::Clp), day(2)),
            day(2),
        )
        .await
        .unwrap();
        let events = timeline(&ts, &debt).await;
        let clp = |amount: &str| serde_json::json!({"amount": amount, "currency": "CLP"});
        assert_eq!(events[0].kind, EventKind::InvoiceIssued);
        assert_eq!(events[0].data["amount"], clp("15000"), "{db}");
        assert_eq!(events[0].data["balance"], clp("15000"), "{db}");
        assert_eq!(events[1].data["balance_after"], clp("0"), "{db}");
        assert!(
            events.iter().all(|e| e.data.get("amount_minor").is_none()),
            "{db}"
        );
    }
}

#[tokio::test]
async fn a_timeline_is_in_the_order_things_happened() {
    for (db, store) in stores().await {
        let (ts, debt) = one_debt(&store, Currency::Brl, 100_000).await;
        // Recorded on the 7th, received on the 5th; the promise was made on the 6th.
        promise(&ts, &debt, brl(1_000), 20, 6).await;
        ts.record_payment(debt.id, pay(brl(500), day(5)), day(7))
            .await
            .unwrap();
        let events = timeline(&ts, &debt).await;
        let seen: Vec<_> = events
            .iter()
            .map(|e| (e.kind, e.at, e.recorded_at))
            .collect();
        assert_eq!(
            seen,
            vec![
                (EventKind::InvoiceIssued, day(1), day(1)),
                (EventKind::PaymentReceived, day(5), day(7)),
                (EventKind::PromiseMade, day(6), day(6)),
            ],
            "{db}"
        );
        // Page by page, the same order.
        let mut paged = vec![];
        let mut query = TimelineQuery {
            cursor: None,
            limit: Some(1),
        };
        loop {
            let page = ts.debt_timeline(debt.id, &query).await.unwrap();
            paged.extend(page.items);
            match page.next_cursor {
                Some(cursor) => query.cursor = Some(cursor),
                None => break,
            }
        }
        assert_eq!(paged, events, "{db}");
        let debtor_events = ts
            .debtor_timeline(debt.debtor_id, &TimelineQuery::default())
            .await
            .unwrap()
            .items;
        let kinds: Vec<_> = debtor_events.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            vec![
                EventKind::DebtorCreated,
                EventKind::InvoiceIssued,
                EventKind::PaymentReceived,
                EventKind::PromiseMade
            ],
            "{db}"
        );
        let bad = ts
            .debt_timeline(
                debt.id,
                &TimelineQuery {
                    cursor: Some("evt_nonsense".into()),
                    limit: None,
                },
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&bad, StoreError::Invalid { field, .. } if field == "cursor"),
            "{db}: {bad}"
        );
    }
}

#[tokio::test]
async fn paying_off_the_debt_keeps_a_promise_of_more() {
    for (db, store) in stores().await {
        let (ts, debt) = one_debt(&store, Currency::Brl, 50_000).await;
        let more = promise(&ts, &debt, brl(60_000), 10, 2).await;
        let (_, after) = ts
            .record_payment(debt.id, pay(brl(50_000), day(5)), day(5))
            .await
            .unwrap();
        assert_eq!(after.status, DebtStatus::Paid, "{db}");
        let kept = ts.get_promise(more.id).await.unwrap();
        assert_eq!(kept.status, PromiseStatus::Kept, "{db}");
        assert_eq!(
            kept.close_reason.as_deref(),
            Some("the debt was paid off on 2026-11-05"),
            "{db}"
        );
        assert!(ts.settle_due_promises(day(20)).await.unwrap().is_empty());
    }
}

/// The tenant's `promise_grace_days` (its contact rules) give a late payment time to keep a
/// promise, and push the breaking of an unpaid one back by as many days.
#[tokio::test]
async fn the_tenants_grace_days_keep_a_late_payment_and_delay_the_break() {
    for (db, store) in stores().await {
        let (ts, debt) = one_debt(&store, Currency::Brl, 100_000).await;
        ts.put_contact_rules("promise_grace_days: 3\n", day(1))
            .await
            .unwrap();
        let late = promise(&ts, &debt, brl(30_000), 10, 2).await;
        let unpaid = promise(&ts, &debt, brl(70_000), 12, 2).await;
        // Paid two days after its date: kept, within the grace days.
        ts.record_payment(debt.id, pay(brl(30_000), day(12)), day(12))
            .await
            .unwrap();
        assert_eq!(
            ts.get_promise(late.id).await.unwrap().status,
            PromiseStatus::Kept,
            "{db}"
        );
        // The unpaid one breaks after the 15th (12 plus 3), not after the 12th.
        assert!(
            ts.settle_due_promises(day(15)).await.unwrap().is_empty(),
            "{db}"
        );
        let broken = ts.settle_due_promises(day(16)).await.unwrap();
        assert_eq!(
            broken.iter().map(|p| (p.id, p.status)).collect::<Vec<_>>(),
            [(unpaid.id, PromiseStatus::Broken)],
            "{db}"
        );
        assert!(
            broken[0]
                .close_reason
                .as_deref()
                .unwrap()
                .contains("plus 3 grace days"),
            "{db}: {:?}",
            broken[0].close_reason
        );
    }
}
