//! Instalment plans through the store, on SQLite and PostgreSQL: accepted over several debts in
//! one transaction, settled by payments (paid, completed, broken with the adjustment reversed),
//! cancelled, reminded, and refused for debts that cannot enter one.

use chrono::{DateTime, NaiveDate, Utc};
use recaudo_domain::event::EventKind;
use recaudo_domain::plans::*;
use recaudo_domain::portfolio::*;
use recaudo_domain::{Country, Currency, DebtId, Money};
use recaudo_store::testing::stores;
use recaudo_store::*;
use rust_decimal::Decimal;

/// Noon in São Paulo (15:00 UTC) of a day of 2026 (month, day).
fn at(m: u32, d: u32) -> DateTime<Utc> {
    date(m, d).and_hms_opt(15, 0, 0).unwrap().and_utc()
}

fn date(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).unwrap()
}

fn brl(minor: i64) -> Money {
    Money::from_minor(minor, Currency::Brl)
}

/// A Brazilian tenant with one debtor and debts of the given balances (minor units).
async fn debts(store: &Store, balances: &[i64]) -> (TenantStore, Debtor, Vec<Debt>) {
    let tk = store
        .create_tenant(NewTenant::in_country("Luz do Vale", Country::Br), at(1, 1))
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
            at(1, 1),
        )
        .await
        .unwrap();
    let mut out = vec![];
    for (i, minor) in balances.iter().enumerate() {
        out.push(
            ts.create_debt(
                NewDebt {
                    debtor_id: debtor.id,
                    external_id: format!("INV-{i}"),
                    amount: brl(*minor),
                    balance: None,
                    issued_on: None,
                    due_on: date(1, 1),
                    product: None,
                },
                at(1, 1),
            )
            .await
            .unwrap(),
        );
    }
    (ts, debtor, out)
}

fn pay(minor: i64, when: DateTime<Utc>) -> NewPayment {
    NewPayment {
        amount: brl(minor),
        method: "pix".into(),
        provider_ref: None,
        received_at: Some(when),
        allow_overpayment: false,
    }
}

/// 10 % off, 3 monthly instalments after a down payment, accepted on 1 March.
fn quote_for(balance: i64, down: i64) -> PlanQuote {
    let rules = PlanRules {
        discount_pct: Decimal::from(10),
        ..PlanRules::default()
    };
    quote(
        &rules,
        brl(balance),
        date(3, 1),
        &PlanRequest {
            instalments: 3,
            down_payment: brl(down),
            first_due_on: date(3, 15),
        },
    )
    .unwrap()
}

async fn kinds(ts: &TenantStore, debt: DebtId) -> Vec<EventKind> {
    ts.debt_timeline(debt, &TimelineQuery::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

#[tokio::test]
async fn a_plan_over_two_debts_is_paid_instalment_by_instalment_and_completes() {
    for (db, store) in stores().await {
        let (ts, debtor, d) = debts(&store, &[100_000, 50_000]).await;
        let (promise, _) = ts
            .create_promise(
                d[0].id,
                NewPromise {
                    amount: brl(10_000),
                    due_on: date(3, 20),
                    channel: None,
                },
                at(2, 1),
                date(2, 1),
            )
            .await
            .unwrap();
        // 1500.00 − 10 % = 1350.00: 135.00 down, then 405.00 × 3.
        let q = quote_for(150_000, 13_500);
        let ids = [d[0].id, d[1].id];
        let origin = serde_json::json!({"source": "portal", "contact_id": null});
        let plan = ts
            .create_plan(debtor.id, &ids, &q, origin.clone(), at(3, 1))
            .await
            .unwrap();
        assert_eq!(plan.status, PlanStatus::Active, "{db}");
        assert_eq!(plan.total, brl(135_000), "{db}");
        assert_eq!(plan.adjustment, brl(-15_000), "{db}");
        let first = ts.get_debt(d[0].id).await.unwrap();
        let second = ts.get_debt(d[1].id).await.unwrap();
        assert_eq!(
            (first.status, first.balance, second.status, second.balance),
            (DebtStatus::Plan, brl(90_000), DebtStatus::Plan, brl(45_000)),
            "{db}: the discount is split in proportion to the balances"
        );
        let cancelled = ts.get_promise(promise.id).await.unwrap();
        assert_eq!(cancelled.status, PromiseStatus::Cancelled, "{db}");
        assert_eq!(cancelled.closed_by.as_deref(), Some("plan"), "{db}");
        let events = kinds(&ts, d[0].id).await;
        assert!(
            events.contains(&EventKind::PlanAccepted),
            "{db}: {events:?}"
        );
        assert!(events.contains(&EventKind::PromiseCancelled), "{db}");
        let stored = ts.get_plan(plan.id).await.unwrap();
        assert_eq!(stored, plan, "{db}: what is stored is what was returned");
        assert_eq!(
            ts.plans_of_debtor(debtor.id).await.unwrap(),
            vec![plan.clone()]
        );

        // A second plan on the same debts is refused, naming the debt.
        let again = ts
            .create_plan(debtor.id, &ids, &q, origin.clone(), at(3, 1))
            .await
            .unwrap_err();
        assert!(
            matches!(&again, StoreError::Conflict { id, .. } if *id == d[0].id.to_string()),
            "{db}: {again}"
        );

        // The down payment and the first instalment, paid on the first debt.
        ts.record_payment(d[0].id, pay(13_500, at(3, 1)), at(3, 1))
            .await
            .unwrap();
        ts.record_payment(d[0].id, pay(40_500, at(3, 14)), at(3, 14))
            .await
            .unwrap();
        let settled = ts.settle_plans(at(3, 14)).await.unwrap();
        assert_eq!(settled.len(), 1, "{db}");
        assert_eq!(settled[0].paid, vec![0, 1], "{db}");
        assert_eq!(settled[0].status, PlanStatus::Active, "{db}");
        assert!(
            ts.settle_plans(at(3, 14)).await.unwrap().is_empty(),
            "{db}: settling again changes nothing"
        );
        let stored = ts.get_plan(plan.id).await.unwrap();
        let statuses: Vec<_> = stored.instalments.iter().map(|i| i.status).collect();
        use InstalmentStatus::*;
        assert_eq!(statuses, [Paid, Paid, Pending, Pending], "{db}");

        // The rest pays both debts off: the plan completes.
        ts.record_payment(d[0].id, pay(36_000, at(4, 10)), at(4, 10))
            .await
            .unwrap();
        ts.record_payment(d[1].id, pay(45_000, at(4, 10)), at(4, 10))
            .await
            .unwrap();
        let settled = ts.settle_plans(at(4, 10)).await.unwrap();
        assert_eq!(settled[0].status, PlanStatus::Completed, "{db}");
        assert_eq!(settled[0].paid, vec![2, 3], "{db}");
        let done = ts.get_plan(plan.id).await.unwrap();
        assert_eq!(done.status, PlanStatus::Completed, "{db}");
        assert!(done.instalments.iter().all(|i| i.status == Paid), "{db}");
        for id in ids {
            let debt = ts.get_debt(id).await.unwrap();
            assert_eq!(debt.status, DebtStatus::Paid, "{db}");
            assert!(
                kinds(&ts, id).await.contains(&EventKind::PlanCompleted),
                "{db}"
            );
        }
        assert!(ts.settle_plans(at(4, 11)).await.unwrap().is_empty(), "{db}");
    }
}

#[tokio::test]
async fn a_missed_instalment_past_grace_breaks_the_plan_and_reverses_the_discount() {
    for (db, store) in stores().await {
        let (ts, debtor, d) = debts(&store, &[150_000]).await;
        let q = quote_for(150_000, 13_500);
        let plan = ts
            .create_plan(debtor.id, &[d[0].id], &q, serde_json::json!({}), at(3, 1))
            .await
            .unwrap();
        ts.record_payment(d[0].id, pay(13_500, at(3, 1)), at(3, 1))
            .await
            .unwrap();
        let grace = ts.promise_grace_days().await.unwrap();
        // The first instalment (15 March) is unpaid: on its last grace day nothing breaks yet.
        let last_grace_day = at(3, 15 + grace);
        let settled = ts.settle_plans(last_grace_day).await.unwrap();
        assert_eq!(settled.len(), 1, "{db}: the down payment is covered");
        assert_eq!(settled[0].status, PlanStatus::Active, "{db}");
        let settled = ts.settle_plans(at(3, 16 + grace)).await.unwrap();
        assert_eq!(settled[0].status, PlanStatus::Broken, "{db}");
        let broken = ts.get_plan(plan.id).await.unwrap();
        assert_eq!(broken.status, PlanStatus::Broken, "{db}");
        assert_eq!(
            broken.instalments[1].status,
            InstalmentStatus::Missed,
            "{db}"
        );
        // 135.00 of 1350.00 paid: 90 % of the 150.00 discount is given back.
        let debt = ts.get_debt(d[0].id).await.unwrap();
        assert_eq!(debt.status, DebtStatus::Open, "{db}");
        // 1215.00 left, plus 135.00 of the discount given back.
        assert_eq!(debt.balance, brl(121_500 + 13_500), "{db}");
        assert!(
            kinds(&ts, d[0].id).await.contains(&EventKind::PlanBroken),
            "{db}"
        );
        assert!(ts.settle_plans(at(3, 30)).await.unwrap().is_empty(), "{db}");
    }
}

#[tokio::test]
async fn plans_are_cancelled_reminded_and_refused_by_the_rules() {
    for (db, store) in stores().await {
        let (ts, debtor, d) = debts(&store, &[150_000, 20_000]).await;
        // Rules: the defaults until saved, a bad one named by its field.
        assert_eq!(
            ts.plan_rules().await.unwrap(),
            PlanRuleSet::default(),
            "{db}"
        );
        let mut rules = PlanRuleSet::default();
        rules.segments.insert(
            "vip".into(),
            PlanRules {
                max_instalments: 0,
                ..PlanRules::default()
            },
        );
        let err = ts.put_plan_rules(&rules, at(2, 1)).await.unwrap_err();
        assert!(
            matches!(&err, StoreError::Invalid { field, .. } if field == "segments.vip.max_instalments"),
            "{db}: {err}"
        );
        rules.segments.get_mut("vip").unwrap().max_instalments = 12;
        ts.put_plan_rules(&rules, at(2, 1)).await.unwrap();
        rules.enabled = false;
        ts.put_plan_rules(&rules, at(2, 2)).await.unwrap();
        assert_eq!(ts.plan_rules().await.unwrap(), rules, "{db}");

        // A disputed debt cannot enter a plan.
        ts.open_dispute(d[1].id, "not mine", at(2, 1))
            .await
            .unwrap();
        let q = quote_for(170_000, 15_300);
        let err = ts
            .create_plan(
                debtor.id,
                &[d[0].id, d[1].id],
                &q,
                serde_json::json!({}),
                at(3, 1),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Conflict { id, .. } if *id == d[1].id.to_string()),
            "{db}: {err}"
        );
        assert_eq!(
            ts.get_debt(d[0].id).await.unwrap().status,
            DebtStatus::Open,
            "{db}"
        );
        // A quote on another balance is refused.
        let err = ts
            .create_plan(debtor.id, &[d[0].id], &q, serde_json::json!({}), at(3, 1))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Invalid { field, .. } if field == "debts"),
            "{db}: {err}"
        );

        let q = quote_for(150_000, 13_500);
        let plan = ts
            .create_plan(debtor.id, &[d[0].id], &q, serde_json::json!({}), at(3, 1))
            .await
            .unwrap();
        // Reminders: instalments due within the window, once.
        let due = ts
            .instalments_to_remind(date(3, 13), date(3, 15))
            .await
            .unwrap();
        assert_eq!(due.len(), 1, "{db}");
        assert_eq!((due[0].number, due[0].of), (1, 3), "{db}");
        assert_eq!(due[0].amount, brl(40_500), "{db}");
        assert_eq!(due[0].due_on, date(3, 15), "{db}");
        assert!(
            ts.mark_instalment_reminded(plan.id, 1, at(3, 13))
                .await
                .unwrap()
        );
        assert!(
            !ts.mark_instalment_reminded(plan.id, 1, at(3, 13))
                .await
                .unwrap()
        );
        assert!(
            ts.instalments_to_remind(date(3, 13), date(3, 15))
                .await
                .unwrap()
                .is_empty(),
            "{db}"
        );

        // Cancelled by hand with a reason: the whole discount comes back (nothing was paid).
        let err = ts
            .cancel_plan(plan.id, "api_key:k", " ", at(3, 2))
            .await
            .unwrap_err();
        assert!(matches!(&err, StoreError::Invalid { field, .. } if field == "reason"));
        let cancelled = ts
            .cancel_plan(plan.id, "api_key:k", "the debtor asked", at(3, 2))
            .await
            .unwrap();
        assert_eq!(cancelled.status, PlanStatus::Cancelled, "{db}");
        assert_eq!(cancelled.close_reason.as_deref(), Some("the debtor asked"));
        let debt = ts.get_debt(d[0].id).await.unwrap();
        assert_eq!(
            (debt.status, debt.balance),
            (DebtStatus::Open, brl(150_000)),
            "{db}"
        );
        assert!(
            kinds(&ts, d[0].id)
                .await
                .contains(&EventKind::PlanCancelled),
            "{db}"
        );
        assert!(
            ts.cancel_plan(plan.id, "api_key:k", "again", at(3, 2))
                .await
                .is_err()
        );
        assert!(
            ts.instalments_to_remind(date(3, 1), date(6, 1))
                .await
                .unwrap()
                .is_empty(),
            "{db}: a cancelled plan is not reminded"
        );
    }
}
