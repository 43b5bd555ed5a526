//! The KPI facts of a tenant, loaded on SQLite and PostgreSQL, match what was written: debts
//! with segment, product, time zone and strategy; payments; promises; plans; sent contacts;
//! agents' touches; nothing of another tenant.

use chrono::{DateTime, NaiveDate, Utc};
use recaudo_domain::kpis::facts::{NO_LABEL, PromiseState};
use recaudo_domain::kpis::{KpiQuery, compute};
use recaudo_domain::{ContactId, Country, Currency, Money, PlanId, TaskId};
use recaudo_store::testing::{Statement, Value, run_tx, stores};
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

fn brl(minor: i64) -> Money {
    Money::from_minor(minor, Currency::Brl)
}

async fn tenant(store: &Store, name: &str) -> TenantStore {
    let tk = store
        .create_tenant(NewTenant::in_country(name, Country::Br), day(1))
        .await
        .unwrap();
    store.tenant(&tk.tenant)
}

#[tokio::test]
async fn kpi_facts_match_what_was_written() {
    for (db, store) in stores().await {
        let ts = tenant(&store, "Luz do Vale").await;
        let other = tenant(&store, "Outra").await;
        let mut debts = Vec::new();
        let mut debtors = Vec::new();
        for (i, (t, segment, zone)) in [
            (&ts, Some("retail"), "America/Bogota"),
            (&ts, None, "America/Sao_Paulo"),
            (&other, Some("retail"), "America/Sao_Paulo"),
        ]
        .into_iter()
        .enumerate()
        {
            let debtor = t
                .create_debtor(
                    NewDebtor {
                        external_id: format!("D-{i}"),
                        name: format!("Debtor {i}"),
                        segment: segment.map(str::to_string),
                        timezone: Some(zone.into()),
                        ..Default::default()
                    },
                    day(1),
                )
                .await
                .unwrap();
            let debt = t
                .create_debt(
                    NewDebt {
                        debtor_id: debtor.id,
                        external_id: format!("INV-{i}"),
                        amount: brl(10_000 * (i as i64 + 1)),
                        balance: None,
                        issued_on: Some(NaiveDate::from_ymd_opt(2026, 10, 1).unwrap()),
                        due_on: date(1 + i as u32),
                        product: (i == 0).then(|| "card".to_string()),
                    },
                    day(1),
                )
                .await
                .unwrap();
            debtors.push(debtor);
            debts.push(debt);
        }
        let payment = |amount| NewPayment {
            amount,
            method: "pix".into(),
            provider_ref: None,
            received_at: Some(day(10)),
            allow_overpayment: false,
        };
        ts.record_payment(debts[0].id, payment(brl(3_000)), day(10))
            .await
            .unwrap();
        other
            .record_payment(debts[2].id, payment(brl(1_000)), day(10))
            .await
            .unwrap();
        ts.create_promise(
            debts[1].id,
            NewPromise {
                amount: brl(2_000),
                due_on: date(20),
                channel: None,
            },
            day(3),
            date(3),
        )
        .await
        .unwrap();

        let strategies = serde_json::json!({
            debts[0].id.to_string(): ["s1", 1, {"exp": "b"}, day(2)],
        });
        let contact = |debtor: &recaudo_domain::portfolio::Debtor,
                       debt: &recaudo_domain::portfolio::Debt,
                       key: &str,
                       sent: Option<DateTime<Utc>>| {
            Statement::new(
                "INSERT INTO contacts (id, tenant_id, debtor_id, debt_id, step, channel, \
                 scheduled_for, local_date, state, idempotency_key, reason, created_at, \
                 updated_at, sent_at, replied_at, cost, cost_currency) VALUES ",
            )
            .values(vec![
                Value::from(ContactId::generate().to_string()),
                Value::from(ts.tenant().id.to_string()),
                Value::from(debtor.id.to_string()),
                Value::from(debt.id.to_string()),
                Value::from("first"),
                Value::from("sms"),
                Value::from(day(5)),
                Value::from(date(5)),
                Value::from(if sent.is_some() { "sent" } else { "planned" }),
                Value::from(key),
                Value::from("plan"),
                Value::from(day(4)),
                Value::from(day(5)),
                Value::from(sent),
                Value::from(sent.map(|_| day(6))),
                Value::from(Some("0.05".to_string())),
                Value::from(Some("BRL".to_string())),
            ])
        };
        let task = TaskId::generate().to_string();
        run_tx(
            &ts,
            vec![
                Statement::new(
                    "INSERT INTO debtor_plans (plan_debtor_id, planned_segment, planned_at, \
                     strategies) VALUES ",
                )
                .values(vec![
                    Value::from(debtors[0].id.to_string()),
                    Value::from(None::<String>),
                    Value::from(None::<DateTime<Utc>>),
                    Value::from(strategies),
                ]),
                contact(&debtors[0], &debts[0], "k-sent", Some(day(5))),
                contact(&debtors[0], &debts[0], "k-planned", None),
                Statement::new(
                    "INSERT INTO tasks (id, tenant_id, debtor_id, debt_id, queue, script, state, \
                     assignee, claimed_at, created_at, updated_at) VALUES ",
                )
                .values(vec![
                    Value::from(task.clone()),
                    Value::from(ts.tenant().id.to_string()),
                    Value::from(debtors[1].id.to_string()),
                    Value::from(debts[1].id.to_string()),
                    Value::from("default"),
                    Value::from("call"),
                    Value::from("claimed"),
                    Value::from("ana"),
                    Value::from(day(7)),
                    Value::from(day(6)),
                    Value::from(day(7)),
                ]),
                Statement::new(
                    "INSERT INTO task_notes (id, tenant_id, task_id, author, note, created_at) \
                     VALUES ",
                )
                .values(vec![
                    Value::from("tnt_1"),
                    Value::from(ts.tenant().id.to_string()),
                    Value::from(task),
                    Value::from("ana"),
                    Value::from("called"),
                    Value::from(day(8)),
                ]),
                Statement::new(
                    "INSERT INTO plans (id, tenant_id, debtor_id, debts, shares, status, \
                     currency, balance_at_start_minor, adjustment_minor, total_minor, origin, \
                     created_at) VALUES ",
                )
                .values(vec![
                    Value::from(PlanId::generate().to_string()),
                    Value::from(ts.tenant().id.to_string()),
                    Value::from(debtors[0].id.to_string()),
                    Value::from(serde_json::json!([debts[0].id.to_string()])),
                    Value::from(serde_json::json!([[7_000, 0]])),
                    Value::from("active"),
                    Value::from("BRL"),
                    Value::from(7_000i64),
                    Value::from(0i64),
                    Value::from(7_000i64),
                    Value::from(serde_json::json!({"source": "portal"})),
                    Value::from(day(9)),
                ]),
            ],
        )
        .await
        .unwrap();

        let facts = ts.kpi_facts().await.unwrap();
        assert_eq!(
            facts.debts.len(),
            2,
            "{db}: the other tenant's debt is not there"
        );
        assert_eq!(facts.debtors, 2, "{db}");
        let (d0, d1) = (&facts.debts[0], &facts.debts[1]);
        let (d0, d1) = if d0.original == 10_000 {
            (d0, d1)
        } else {
            (d1, d0)
        };
        let i0 = facts
            .debts
            .iter()
            .position(|d| d.original == 10_000)
            .unwrap() as u32;
        assert_eq!(d0.currency, Currency::Brl, "{db}");
        assert_eq!(d0.due_on, date(1), "{db}");
        assert_eq!(d0.issued_on, NaiveDate::from_ymd_opt(2026, 10, 1).unwrap());
        assert_eq!(facts.label(d0.segment), "retail", "{db}");
        assert_eq!(facts.label(d0.product), "card", "{db}");
        assert_eq!(facts.label(d0.timezone), "America/Bogota", "{db}");
        assert_eq!(facts.label(d0.strategy), "s1", "{db}");
        assert_eq!(d0.strategy_started, Some(day(2)), "{db}");
        let arms: Vec<(&str, &str)> = facts.arm_sets[d0.arms as usize]
            .iter()
            .map(|(e, a)| (facts.label(*e), facts.label(*a)))
            .collect();
        assert_eq!(arms, [("exp", "b")], "{db}");
        assert_eq!(d1.segment, NO_LABEL, "{db}");
        assert_eq!(d1.product, NO_LABEL, "{db}");
        assert_eq!((d1.strategy, d1.arms), (NO_LABEL, 0), "{db}");

        let payments = facts.payments_of(i0);
        assert_eq!(payments.len(), 1, "{db}");
        assert_eq!(
            (payments[0].amount, payments[0].received_at),
            (3_000, day(10))
        );
        assert_eq!(facts.payments.len(), 1, "{db}");
        assert_eq!(facts.promises.len(), 1, "{db}");
        let promise = &facts.promises[0];
        assert_eq!(
            (
                promise.amount,
                promise.due_on,
                promise.created_at,
                promise.state
            ),
            (2_000, date(20), day(3), PromiseState::Open),
            "{db}"
        );
        assert_eq!(facts.plans.len(), 1, "{db}");
        assert_eq!(facts.plans[0].debt, i0, "{db}");
        assert!(!facts.plans[0].by_agent, "{db}");
        assert_eq!(
            facts.contacts.len(),
            1,
            "{db}: the planned contact is not sent"
        );
        let c = &facts.contacts[0];
        assert_eq!(facts.label(c.channel), "sms", "{db}");
        assert_eq!(
            (c.debt, c.sent_at, c.replied_at),
            (i0, day(5), Some(day(6)))
        );
        assert_eq!(c.cost, Some("0.05".parse().unwrap()), "{db}");
        let mut touches: Vec<DateTime<Utc>> = facts.touches.iter().map(|t| t.at).collect();
        touches.sort();
        assert_eq!(touches, [day(7), day(8)], "{db}");
        assert!(facts.touches.iter().all(|t| t.debtor == d1.debtor), "{db}");

        // The same facts give the figures of the period: 30.00 collected, one contact.
        let report = compute(
            &facts,
            &KpiQuery::new(date(1), date(30), None, Currency::Brl),
        );
        assert_eq!(report.total.collected, "30.00".parse().unwrap(), "{db}");
        assert_eq!(report.total.contacts, 1, "{db}");
        assert_eq!(report.total.cost, "0.05".parse().unwrap(), "{db}");
    }
}
