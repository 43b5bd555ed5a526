//! Instalment plans through the planner's tick, on the simulated clock, against real stores
//! (SQLite, and PostgreSQL when RECAUDO_TEST_DATABASE_URL is set): accepted, the strategy
//! paused, instalments reminded two days before and paid, the plan completed; or an instalment
//! missed past grace, the plan broken and collection resumed.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use recaudo_domain::event::EventKind;
use recaudo_domain::outbox::Contact;
use recaudo_domain::plans::{InstalmentStatus, PlanRequest, PlanStatus};
use recaudo_domain::portfolio::{Channel, Consent, ConsentStatus, Debt, DebtStatus, Debtor};
use recaudo_domain::{Country, Currency, FixedClock, Money};
use recaudo_engine::plan_all;
use recaudo_engine::plans::{INSTALMENT_REMINDER, PLAN_CONFIRMED, PlanFailure, accept, quote_for};
use recaudo_store::testing::stores;
use recaudo_store::*;

use crate::conversations::{dispatcher, sent_content};
use crate::plan::at;

const STRATEGY: &str = "id: plans\nversion: 1\npriority: 1\n\
stop_when: [\"debt.balance <= 0.0\"]\n\
pause_while: [promise_active, dispute_open, plan_current]\n\
steps:\n\
  - { id: late, at: due+1d, send: { channel: sms, template: overdue_soft } }\n\
  - { id: broken, after: { event: plan_broken, delay: 0d }, send: { channel: sms, template: promise_reminder } }\n";

/// 10:00 in Bogotá on a day of December 2026 or (month 1, 2) of 2027.
fn day(month: u32, d: u32) -> DateTime<Utc> {
    let year = if month == 12 { 2026 } else { 2027 };
    at(&format!("{year}-{month:02}-{d:02}T15:00:00Z"))
}

fn date(month: u32, d: u32) -> NaiveDate {
    day(month, d).date_naive()
}

fn cop(pesos: i64) -> Money {
    Money::from_minor(pesos * 100, Currency::Cop)
}

/// A Colombian tenant and a debtor with an SMS point owing 150,000 COP due 7 December.
async fn setup(store: &Store, name: &str) -> (TenantStore, Debtor, Debt) {
    let t0 = at("2026-11-01T12:00:00Z");
    let tk = store
        .create_tenant(NewTenant::in_country(name, Country::Co), t0)
        .await
        .unwrap();
    let ts = store.tenant(&tk.tenant);
    ts.put_strategy(STRATEGY, t0).await.unwrap();
    let debtor = ts
        .create_debtor(
            NewDebtor {
                external_id: format!("{name}-1"),
                name: "Ana Torres".into(),
                ..Default::default()
            },
            t0,
        )
        .await
        .unwrap();
    ts.add_contact_point(
        debtor.id,
        NewContactPoint {
            channel: Channel::Sms,
            address: Some("+573001234567".into()),
            postal: None,
            consent: Consent {
                status: ConsentStatus::Granted,
                source: Some("contract".into()),
                at: Some(t0),
            },
            priority: None,
        },
        t0,
    )
    .await
    .unwrap();
    let debt = ts
        .create_debt(
            NewDebt {
                debtor_id: debtor.id,
                external_id: format!("{name}-INV-1"),
                amount: cop(150_000),
                balance: None,
                issued_on: None,
                due_on: date(12, 7),
                product: None,
            },
            t0,
        )
        .await
        .unwrap();
    (ts, debtor, debt)
}

/// 15,000 down, then 3 × 45,000 on 20 December, January and February.
fn request() -> PlanRequest {
    PlanRequest {
        instalments: 3,
        down_payment: cop(15_000),
        first_due_on: date(12, 20),
    }
}

async fn contacts(ts: &TenantStore, debtor: &Debtor) -> Vec<Contact> {
    ts.debtor_contacts(debtor.id, at("2026-01-01T00:00:00Z"))
        .await
        .unwrap()
}

async fn pay(ts: &TenantStore, debt: &Debt, pesos: i64, when: DateTime<Utc>) {
    ts.record_payment(
        debt.id,
        NewPayment {
            amount: cop(pesos),
            method: "pix".into(),
            provider_ref: None,
            received_at: Some(when),
            allow_overpayment: false,
        },
        when,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn an_accepted_plan_pauses_collection_is_reminded_paid_and_completed() {
    for (db, store) in stores().await {
        let (ts, debtor, debt) = setup(&store, "completes").await;
        let q = quote_for(
            &ts,
            &debtor,
            std::slice::from_ref(&debt),
            &request(),
            date(12, 2),
        )
        .await
        .unwrap();
        assert_eq!(q.total, cop(150_000), "{db}");
        let plan = accept(
            &ts,
            &debtor,
            std::slice::from_ref(&debt),
            &request(),
            serde_json::json!({"source": "portal"}),
            day(12, 2),
        )
        .await
        .unwrap();
        pay(&ts, &debt, 15_000, day(12, 2)).await;
        assert_eq!(
            ts.get_debt(debt.id).await.unwrap().status,
            DebtStatus::Plan,
            "{db}"
        );
        let sent = contacts(&ts, &debtor).await;
        assert_eq!(sent.len(), 1, "{db}: {sent:?}");
        assert_eq!(sent[0].template.as_deref(), Some(PLAN_CONFIRMED), "{db}");
        // The confirmation goes out with the plan's balance (the down payment is in) and its
        // first instalment.
        let clock = Arc::new(FixedClock::new(day(12, 2)));
        let d = dispatcher(&store, clock.clone());
        d.run_once().await.unwrap();
        let text = sent_content(&d, &ts, &sent[0]).await.preview().to_string();
        assert!(
            text.contains("135.000") && text.contains("1 de 3") && text.contains("45.000"),
            "{db}: {text}"
        );

        // Past the due date the strategy stays paused; the reminder of 20 December goes on the
        // 18th, not before.
        for d in 3..=17 {
            plan_all(&store, day(12, d)).await.unwrap();
        }
        assert_eq!(
            contacts(&ts, &debtor).await.len(),
            1,
            "{db}: paused, nothing reminded"
        );
        plan_all(&store, day(12, 18)).await.unwrap();
        plan_all(&store, day(12, 19)).await.unwrap();
        let reminders: Vec<Contact> = contacts(&ts, &debtor)
            .await
            .into_iter()
            .filter(|c| c.template.as_deref() == Some(INSTALMENT_REMINDER))
            .collect();
        assert_eq!(reminders.len(), 1, "{db}");
        assert_eq!(reminders[0].local_date, date(12, 18), "{db}");
        assert_eq!(
            reminders[0].idempotency_key,
            format!("plan:{}:1:reminder", plan.id)
        );
        clock.set(day(12, 19));
        d.run_once().await.unwrap();
        let text = sent_content(&d, &ts, &reminders[0])
            .await
            .preview()
            .to_string();
        assert!(
            text.contains("(1 de 3)") && text.contains("45.000") && text.contains("20/12/2026"),
            "{db}: {text}"
        );

        pay(&ts, &debt, 45_000, day(12, 19)).await;
        plan_all(&store, day(12, 20)).await.unwrap();
        let stored = ts.get_plan(plan.id).await.unwrap();
        let statuses: Vec<_> = stored.instalments.iter().map(|i| i.status).collect();
        use InstalmentStatus::*;
        assert_eq!(statuses, [Paid, Paid, Pending, Pending], "{db}");

        plan_all(&store, day(1, 18)).await.unwrap();
        pay(&ts, &debt, 90_000, day(1, 19)).await;
        plan_all(&store, day(1, 20)).await.unwrap();
        let done = ts.get_plan(plan.id).await.unwrap();
        assert_eq!(done.status, PlanStatus::Completed, "{db}");
        assert_eq!(
            ts.get_debt(debt.id).await.unwrap().status,
            DebtStatus::Paid,
            "{db}"
        );
        let all = contacts(&ts, &debtor).await;
        let reminded: Vec<NaiveDate> = all
            .iter()
            .filter(|c| c.template.as_deref() == Some(INSTALMENT_REMINDER))
            .map(|c| c.local_date)
            .collect();
        assert_eq!(reminded, [date(12, 18), date(1, 18)], "{db}");
        assert!(
            all.iter().all(|c| c.step != "late"),
            "{db}: the strategy never sent while the plan was current"
        );
    }
}

#[tokio::test]
async fn a_missed_instalment_breaks_the_plan_and_collection_resumes() {
    for (db, store) in stores().await {
        let (ts, debtor, debt) = setup(&store, "breaks").await;
        let plan = accept(
            &ts,
            &debtor,
            std::slice::from_ref(&debt),
            &request(),
            serde_json::json!({"source": "api"}),
            day(12, 2),
        )
        .await
        .unwrap();
        pay(&ts, &debt, 15_000, day(12, 2)).await;
        let grace = ts.promise_grace_days().await.unwrap();
        // The last grace day of the first instalment: still current.
        plan_all(&store, day(12, 20 + grace)).await.unwrap();
        assert_eq!(
            ts.get_plan(plan.id).await.unwrap().status,
            PlanStatus::Active,
            "{db}"
        );
        assert!(
            contacts(&ts, &debtor)
                .await
                .iter()
                .all(|c| c.step != "broken")
        );
        plan_all(&store, day(12, 21 + grace)).await.unwrap();
        let broken = ts.get_plan(plan.id).await.unwrap();
        assert_eq!(broken.status, PlanStatus::Broken, "{db}");
        let after = ts.get_debt(debt.id).await.unwrap();
        assert_eq!(after.status, DebtStatus::Open, "{db}");
        assert_eq!(after.balance, cop(135_000), "{db}");
        let timeline = ts
            .debt_timeline(debt.id, &TimelineQuery::default())
            .await
            .unwrap();
        assert!(
            timeline
                .items
                .iter()
                .any(|e| e.kind == EventKind::PlanBroken)
        );
        let resumed = contacts(&ts, &debtor).await;
        assert!(
            resumed.iter().any(|c| c.step == "broken"),
            "{db}: the step after plan_broken is planned: {resumed:?}"
        );

        // A second plan is refused while the rules are off, and for a debt no longer open.
        let mut rules = ts.plan_rules().await.unwrap();
        rules.enabled = false;
        ts.put_plan_rules(&rules, day(12, 22)).await.unwrap();
        let err = quote_for(
            &ts,
            &debtor,
            std::slice::from_ref(&after),
            &request(),
            date(12, 22),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, PlanFailure::Disabled), "{db}: {err}");
        rules.enabled = true;
        ts.put_plan_rules(&rules, day(12, 22)).await.unwrap();
        let mut paid = after.clone();
        paid.status = DebtStatus::Paid;
        let err = quote_for(&ts, &debtor, &[paid], &request(), date(12, 22))
            .await
            .unwrap_err();
        assert!(
            matches!(err, PlanFailure::NotEligible { .. }),
            "{db}: {err}"
        );
    }
}
