//! The planner run against real stores (SQLite, and PostgreSQL when RECAUDO_TEST_DATABASE_URL is
//! set): what `serve`'s schedule calls (`plan_all`), over several tenants, day after day.

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use recaudo_domain::event::EventKind;
use recaudo_domain::portfolio::{Channel, Consent, ConsentStatus, DebtStatus, PromiseStatus};
use recaudo_domain::{Country, Currency, Money};
use recaudo_engine::{PlanRunOptions, PlanSetup, plan_all, plan_tenant};
use recaudo_store::testing::stores;
use recaudo_store::*;

pub(crate) fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

pub(crate) const STRATEGY: &str = "id: simple\nversion: 1\npriority: 1\n\
stop_when: [\"debt.balance <= 0.0\"]\n\
pause_while: [promise_active, dispute_open]\n\
steps:\n\
  - { id: due, at: due, send: { channel: sms, template: due_today, fallback: [email] } }\n\
  - { id: late-3, at: due+3d, send: { channel: email, template: overdue_soft } }\n";

/// A tenant with one strategy and `n` debtors, each with an SMS and an email point (consent
/// granted) and one debt due on `due`.
pub(crate) async fn tenant(
    store: &Store,
    name: &str,
    country: Country,
    n: usize,
    due: NaiveDate,
) -> TenantStore {
    let t0 = at("2026-11-01T12:00:00Z");
    let tk = store
        .create_tenant(NewTenant::in_country(name, country), t0)
        .await
        .unwrap();
    let ts = store.tenant(&tk.tenant);
    ts.put_strategy(STRATEGY, t0).await.unwrap();
    let granted = Consent {
        status: ConsentStatus::Granted,
        source: Some("contract".into()),
        at: Some(t0),
    };
    let phone = match country {
        Country::Co => "+57301285",
        _ => "+1212555",
    };
    for i in 0..n {
        let d = ts
            .create_debtor(
                NewDebtor {
                    external_id: format!("{name}-{i}"),
                    name: format!("Debtor {i}"),
                    ..Default::default()
                },
                t0,
            )
            .await
            .unwrap();
        for (channel, address) in [
            (Channel::Sms, format!("{phone}{i:04}")),
            (Channel::Email, format!("d{i}@example.com")),
        ] {
            ts.add_contact_point(
                d.id,
                NewContactPoint {
                    channel,
                    address: Some(address),
                    postal: None,
                    consent: granted.clone(),
                    priority: None,
                },
                t0,
            )
            .await
            .unwrap();
        }
        ts.create_debt(
            NewDebt {
                debtor_id: d.id,
                external_id: format!("{name}-INV-{i}"),
                amount: Money::from_minor(50_000, country.currency()),
                balance: None,
                issued_on: None,
                due_on: due,
                product: None,
            },
            t0,
        )
        .await
        .unwrap();
    }
    ts
}

pub(crate) async fn contacts(ts: &TenantStore) -> Vec<recaudo_domain::outbox::Contact> {
    let mut all = vec![];
    let page = ts
        .list_debtors(&DebtorFilter {
            limit: Some(500),
            ..Default::default()
        })
        .await
        .unwrap();
    for d in page.items {
        all.extend(
            ts.debtor_contacts(d.id, at("2026-01-01T00:00:00Z"))
                .await
                .unwrap(),
        );
    }
    all
}

#[tokio::test]
async fn the_scheduled_run_plans_every_tenant_once_a_day() {
    let due = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
    for (db, store) in stores().await {
        let co = tenant(&store, "co", Country::Co, 6, due).await;
        let us = tenant(&store, "us", Country::Us, 4, due).await;

        // Wednesday 2 December, 10:00 in Bogotá and New York: every debt's `due` step, by SMS.
        let now = at("2026-12-02T15:00:00Z");
        let reports = plan_all(&store, now).await.unwrap();
        assert_eq!(reports.len(), 2, "{db}");
        for (t, r) in &reports {
            let r = r.as_ref().unwrap();
            assert!(!r.dry_run);
            assert_eq!(r.contacts_written, r.debts, "{db} {}: {r:?}", t.name);
            assert_eq!(r.assignments_written, r.debts, "{db}");
        }
        let co_contacts = contacts(&co).await;
        assert_eq!(co_contacts.len(), 6, "{db}");
        assert_eq!(contacts(&us).await.len(), 4, "{db}");
        for c in &co_contacts {
            assert_eq!((c.channel, c.step.as_str()), (Channel::Sms, "due"), "{db}");
            assert_eq!(c.scheduled_for, now, "{db}");
            assert_eq!(c.strategy.as_deref(), Some("simple"), "{db}");
            let timeline = co
                .debt_timeline(c.debt_id, &TimelineQuery::default())
                .await
                .unwrap();
            assert!(
                timeline
                    .items
                    .iter()
                    .any(|e| e.kind == EventKind::ContactPlanned
                        && e.data["idempotency_key"] == c.idempotency_key.as_str()),
                "{db}: the contact has its contact_planned event"
            );
        }

        // The same hour again, and later the same day: nothing new.
        for later in [now, now + Duration::hours(3)] {
            for (_, r) in plan_all(&store, later).await.unwrap() {
                let r = r.unwrap();
                assert_eq!((r.contacts_written, r.assignments_written), (0, 0), "{db}");
            }
        }

        // A payment in full on one debt, a promise on another. On the 5th (due+3d) the others'
        // `late-3` email is deferred: Ley 2300 allows one channel a week and the SMS went on the
        // 2nd, so the email waits until the 9th. The paid debt is stopped, the promised one
        // paused until the day after its date.
        let co_debts = co.list_debts(&DebtFilter::default()).await.unwrap().items;
        let paid = &co_debts[0];
        let promised = &co_debts[1];
        co.record_payment(
            paid.id,
            NewPayment {
                amount: paid.balance,
                method: "pix".into(),
                provider_ref: None,
                received_at: None,
                allow_overpayment: false,
            },
            now,
        )
        .await
        .unwrap();
        co.create_promise(
            promised.id,
            NewPromise {
                amount: promised.balance,
                due_on: NaiveDate::from_ymd_opt(2026, 12, 10).unwrap(),
                channel: None,
            },
            now,
            now.date_naive(),
        )
        .await
        .unwrap();
        assert_eq!(
            co.get_debt(promised.id).await.unwrap().status,
            DebtStatus::Promised
        );
        let saturday = at("2026-12-05T15:00:00Z");
        let setup = Arc::new(PlanSetup::load(&co).await.unwrap());
        let mut lines = vec![];
        let r = plan_tenant(
            &co,
            Arc::clone(&setup),
            saturday,
            PlanRunOptions::default(),
            |l| lines.push(l.clone()),
        )
        .await
        .unwrap();
        assert_eq!(r.debts, 5, "{db}: the paid debt takes no part");
        assert_eq!(r.contacts_written, 0, "{db}: {r:?}");
        assert!(lines.iter().all(|l| l.debt != paid.id), "{db}");
        for l in &lines {
            let until = l.decision.send_at().unwrap();
            if l.debt == promised.id {
                assert_eq!(
                    l.reason().map(|r| r.as_str()),
                    Some("paused_promise"),
                    "{db}"
                );
                assert!(until >= at("2026-12-11T05:00:00Z"), "{db}: {l:?}");
            } else {
                assert_eq!(
                    l.reason().map(|r| r.as_str()),
                    Some("cap_weekly_channels"),
                    "{db}: {l:?}"
                );
                // The 7 local days from the SMS of Wednesday 2 December end on Tuesday the 8th
                // (a holiday in Colombia besides): Wednesday the 9th, 07:00 in Bogotá.
                assert_eq!(until, at("2026-12-09T12:00:00Z"), "{db}: {l:?}");
            }
        }
        // On the 9th the four emails go out; the promise still pauses its debt.
        let r = plan_tenant(
            &co,
            setup,
            at("2026-12-09T15:00:00Z"),
            PlanRunOptions::default(),
            |_| {},
        )
        .await
        .unwrap();
        assert_eq!(r.contacts_written, 4, "{db}: {r:?}");
        assert_eq!(r.by_reason.get("paused_promise"), Some(&1), "{db}: {r:?}");

        // A dry run on the 11th leaves the unpaid promise as it is; the run breaks it first
        // (its date, the 10th, is over), and the debt is collected again that same run.
        let dry = plan_tenant(
            &co,
            Arc::new(PlanSetup::load(&co).await.unwrap()),
            at("2026-12-11T15:00:00Z"),
            PlanRunOptions {
                dry_run: true,
                ..PlanRunOptions::default()
            },
            |_| {},
        )
        .await
        .unwrap();
        assert_eq!(dry.contacts_written, 0, "{db}");
        assert_eq!(
            co.list_promises(promised.id).await.unwrap()[0].status,
            PromiseStatus::Pending,
            "{db}"
        );
        let mut lines = vec![];
        let r = plan_tenant(
            &co,
            Arc::new(PlanSetup::load(&co).await.unwrap()),
            at("2026-12-11T15:00:00Z"),
            PlanRunOptions::default(),
            |l| lines.push(l.clone()),
        )
        .await
        .unwrap();
        assert_eq!(r.by_reason.get("paused_promise"), None, "{db}: {r:?}");
        assert!(lines.iter().any(|l| l.debt == promised.id), "{db}");
        let promise = &co.list_promises(promised.id).await.unwrap()[0];
        assert_eq!(promise.status, PromiseStatus::Broken, "{db}");
        assert_eq!(promise.closed_by.as_deref(), Some("schedule"), "{db}");
        assert_eq!(
            co.get_debt(promised.id).await.unwrap().status,
            DebtStatus::Open,
            "{db}"
        );
    }
}

#[tokio::test]
async fn a_tenant_without_strategies_plans_nothing_and_says_why() {
    let due = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
    for (db, store) in stores().await {
        let tk = store
            .create_tenant(
                NewTenant::in_country("empty", Country::Co),
                at("2026-11-01T00:00:00Z"),
            )
            .await
            .unwrap();
        let ts = store.tenant(&tk.tenant);
        let d = ts
            .create_debtor(
                NewDebtor {
                    external_id: "X-1".into(),
                    name: "X".into(),
                    ..Default::default()
                },
                at("2026-11-01T00:00:00Z"),
            )
            .await
            .unwrap();
        ts.create_debt(
            NewDebt {
                debtor_id: d.id,
                external_id: "X-INV".into(),
                amount: Money::from_minor(1_000, Currency::Cop),
                balance: None,
                issued_on: None,
                due_on: due,
                product: None,
            },
            at("2026-11-01T00:00:00Z"),
        )
        .await
        .unwrap();
        let reports = plan_all(&store, at("2026-12-02T15:00:00Z")).await.unwrap();
        let r = reports[0].1.as_ref().unwrap();
        assert_eq!(r.decisions, 0, "{db}");
        assert_eq!(r.quiet.get("no_strategy"), Some(&1), "{db}: {r:?}");
        assert_eq!(
            r.by_outcome,
            [("no decision: no_strategy".to_string(), 1)].into(),
            "{db}"
        );
    }
}

/// Small batches (read three at a time, planned two at a time, and written while the next are
/// read, those that queue up together) plan every debtor exactly once, decide as one batch
/// does and hand the decisions over in the same order, by debtor.
#[tokio::test]
async fn small_batches_plan_as_one() {
    let due = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
    for (db, store) in stores().await {
        let co = tenant(&store, "co", Country::Co, 7, due).await;
        let setup = Arc::new(PlanSetup::load(&co).await.unwrap());
        let now = at("2026-12-02T15:00:00Z");
        let run = |batch: usize, dry_run: bool| {
            let (co, setup) = (co.clone(), Arc::clone(&setup));
            async move {
                let mut lines = vec![];
                let r = plan_tenant(
                    &co,
                    setup,
                    now,
                    PlanRunOptions {
                        dry_run,
                        batch,
                        threads: 2,
                    },
                    |l| lines.push(format!("{} {:?}", l.debt_external_id, l.decision)),
                )
                .await
                .unwrap();
                (r, lines)
            }
        };
        let (one, one_lines) = run(2_000, true).await;
        let (small, small_lines) = run(2, true).await;
        assert_eq!(one.debtors, 7, "{db}");
        assert_eq!(small.debtors, 7, "{db}: every debtor once");
        assert_eq!(small_lines, one_lines, "{db}");
        let (written, _) = run(3, false).await;
        assert_eq!(written.contacts_written, 7, "{db}: {written:?}");
        // Every debt once in the outcomes.
        assert_eq!(
            written.by_outcome.values().sum::<u64>(),
            written.debts,
            "{db}: {written:?}"
        );
        assert_eq!(written.by_outcome.get("contacted"), Some(&7), "{db}");
        assert_eq!(contacts(&co).await.len(), 7, "{db}");
        // The same day again in batches of one debtor: seven writes queued for one writer,
        // nothing planned twice.
        let (again, _) = run(1, false).await;
        assert_eq!(again.contacts_written, 0, "{db}: {again:?}");
        assert_eq!(
            again.by_outcome.values().sum::<u64>(),
            again.debts,
            "{db}: {again:?}"
        );
        assert_eq!(contacts(&co).await.len(), 7, "{db}");

        // Batches of one debtor written on a fresh tenant: the decisions of one batch, in
        // its order, and every contact once, in fewer transactions than batches when the
        // writer had some queued.
        let cb = tenant(&store, "cb", Country::Co, 7, due).await;
        let setup = Arc::new(PlanSetup::load(&cb).await.unwrap());
        let mut lines = vec![];
        let r = plan_tenant(
            &cb,
            setup,
            now,
            PlanRunOptions {
                dry_run: false,
                batch: 1,
                threads: 2,
            },
            |l| lines.push(format!("{} {:?}", l.debt_external_id, l.decision)),
        )
        .await
        .unwrap();
        assert_eq!(r.contacts_written, 7, "{db}: {r:?}");
        assert!((1..=8).contains(&r.write_transactions), "{db}: {r:?}");
        assert_eq!(contacts(&cb).await.len(), 7, "{db}");
        let lines: Vec<String> = lines.iter().map(|l| l.replacen("cb-", "co-", 1)).collect();
        assert_eq!(lines, one_lines, "{db}");
    }
}

/// One day planned and written, as `serve`'s schedule does it.
async fn plan_day(
    ts: &TenantStore,
    setup: &Arc<PlanSetup>,
    at: DateTime<Utc>,
) -> recaudo_engine::PlanReport {
    plan_tenant(ts, Arc::clone(setup), at, PlanRunOptions::default(), |_| {})
        .await
        .unwrap()
}

#[tokio::test]
async fn the_planners_state_reads_back_with_the_portfolio() {
    use recaudo_domain::portfolio::StrategyAssignment;

    let due = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
    for (db, store) in stores().await {
        let ts = tenant(&store, "st", Country::Co, 3, due).await;
        let now = at("2026-12-02T15:00:00Z");
        let setup = Arc::new(PlanSetup::load(&ts).await.unwrap());
        let run = |at: DateTime<Utc>| plan_day(&ts, &setup, at);
        let r = run(now).await;
        assert_eq!((r.segments_written, r.assignments_written), (3, 3), "{db}");

        // Each debtor reads with the segment the planner gave beside the tenant's (none), and
        // is found by it.
        let all = DebtorFilter {
            limit: Some(10),
            ..Default::default()
        };
        let debtors = ts.list_debtors(&all).await.unwrap().items;
        let segment = debtors[0]
            .computed_segment
            .clone()
            .expect("the planner's segment");
        assert!(
            debtors
                .iter()
                .all(|d| d.computed_segment.as_ref() == Some(&segment) && d.segment.is_none()),
            "{db}"
        );
        let found = ts
            .list_debtors(&DebtorFilter {
                segment: Some(segment.clone()),
                ..all.clone()
            })
            .await
            .unwrap();
        assert_eq!(found.items.len(), 3, "{db}");

        // Each debt reads with the strategy it started today.
        let debts = ts.list_debts(&DebtFilter::default()).await.unwrap().items;
        assert_eq!(debts.len(), 3, "{db}");
        for d in &debts {
            let expected = StrategyAssignment {
                strategy: "simple".into(),
                version: 1,
                arms: Default::default(),
                started_at: now,
            };
            assert_eq!(d.strategy.as_ref(), Some(&expected), "{db}");
            assert_eq!(
                ts.get_debt(d.id).await.unwrap().strategy,
                Some(expected),
                "{db}"
            );
        }

        // A change that does not touch the segment leaves the planner's where it is.
        let mut renamed = debtors[1].clone();
        renamed.name = "Renamed".into();
        ts.update_debtor(&renamed, now).await.unwrap();
        assert!(ts.has_plans().await.unwrap(), "{db}");
        ts.reset_plans().await.unwrap();
        assert!(!ts.has_plans().await.unwrap(), "{db}");
        assert_eq!(
            ts.get_debtor(renamed.id).await.unwrap().computed_segment,
            None,
            "{db}"
        );
        let r = run(now).await;
        assert_eq!(r.segments_written, 3, "{db}");
        assert!(ts.has_plans().await.unwrap(), "{db}");

        // The tenant's own segment wins and stays after the planner's next run, which keeps
        // its own beside it (unchanged, so not written again); filters find the tenant's.
        let mut first = debtors[0].clone();
        first.segment = Some("vip".into());
        ts.update_debtor(&first, now).await.unwrap();
        let read = ts.get_debtor(first.id).await.unwrap();
        assert_eq!(read.segment.as_deref(), Some("vip"), "{db}");
        let r = run(now + Duration::days(1)).await;
        assert_eq!(r.segments_written, 0, "{db}");
        let read = ts.get_debtor(first.id).await.unwrap();
        assert_eq!(read.segment.as_deref(), Some("vip"), "{db}");
        assert_eq!(read.computed_segment.as_ref(), Some(&segment), "{db}");
        let vips = ts
            .list_debtors(&DebtorFilter {
                segment: Some("vip".into()),
                ..all.clone()
            })
            .await
            .unwrap();
        assert_eq!(vips.items.len(), 1, "{db}");

        // The timeline merges the stored events with the planned contacts, in id order, and
        // reads the same page by page.
        let q = |cursor: Option<String>, limit| TimelineQuery {
            cursor,
            limit: Some(limit),
        };
        let full = ts.debtor_timeline(first.id, &q(None, 1000)).await.unwrap();
        let ids: Vec<String> = full.items.iter().map(|e| e.id.to_string()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(ids, sorted, "{db}");
        let planned: Vec<_> = full
            .items
            .iter()
            .filter(|e| e.kind == EventKind::ContactPlanned)
            .collect();
        assert_eq!(planned.len(), 1, "{db}: {:?}", full.items);
        let contact = &contacts(&ts)
            .await
            .into_iter()
            .find(|c| c.debtor_id == first.id)
            .unwrap();
        let data = &planned[0].data;
        assert_eq!(data["contact_id"], contact.id.to_string(), "{db}");
        assert_eq!(data["step"], "due", "{db}");
        assert_eq!(data["channel"], "sms", "{db}");
        assert_eq!(data["strategy"], "simple", "{db}");
        assert_eq!(data["version"], 1, "{db}");
        assert_eq!(data["covers"], serde_json::json!([]), "{db}");
        assert_eq!(
            data["idempotency_key"],
            contact.idempotency_key.as_str(),
            "{db}"
        );
        assert_eq!(planned[0].at, now, "{db}");
        assert_eq!(planned[0].debt_id, Some(contact.debt_id), "{db}");
        assert!(
            full.items
                .iter()
                .any(|e| e.kind == EventKind::DebtorUpdated),
            "{db}: stored events too"
        );
        let mut walked = vec![];
        let mut cursor = None;
        loop {
            let page = ts.debtor_timeline(first.id, &q(cursor, 1)).await.unwrap();
            walked.extend(page.items.iter().map(|e| e.id.to_string()));
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(walked, ids, "{db}");
        let of_debt = ts
            .debt_timeline(contact.debt_id, &q(None, 1000))
            .await
            .unwrap();
        assert!(
            of_debt
                .items
                .iter()
                .any(|e| e.kind == EventKind::ContactPlanned),
            "{db}"
        );

        // Resetting the plans forgets the planner's state; the tenant's segment remains.
        ts.reset_plans().await.unwrap();
        assert_eq!(
            ts.get_debt(debts[0].id).await.unwrap().strategy,
            None,
            "{db}"
        );
        let read = ts.get_debtor(first.id).await.unwrap();
        assert_eq!(read.segment.as_deref(), Some("vip"), "{db}");
        let after = ts.debtor_timeline(first.id, &q(None, 1000)).await.unwrap();
        assert!(
            after
                .items
                .iter()
                .all(|e| e.kind != EventKind::ContactPlanned),
            "{db}"
        );
    }
}

#[tokio::test]
async fn an_imported_segment_wins_over_the_planners_and_both_show() {
    let due = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
    for (db, store) in stores().await {
        let ts = tenant(&store, "seg", Country::Co, 2, due).await;
        let now = at("2026-12-02T15:00:00Z");
        let setup = Arc::new(PlanSetup::load(&ts).await.unwrap());
        let run = |at: DateTime<Utc>| plan_day(&ts, &setup, at);
        assert_eq!(run(now).await.segments_written, 2, "{db}");
        let debtor = ts.get_debtor_by_external_id("seg-0").await.unwrap();
        let planned = debtor
            .computed_segment
            .clone()
            .expect("the planner's segment");
        assert_ne!(planned, "vip");
        let other = ts.get_debtor_by_external_id("seg-1").await.unwrap();

        // One row sets a segment on an existing debtor, one leaves it out.
        let row =
            |d: &recaudo_domain::portfolio::Debtor, segment: Option<&str>, debt: &str| ImportRow {
                line: 2,
                debtor: ImportDebtor {
                    external_id: d.external_id.clone(),
                    kind: d.kind,
                    name: d.name.clone(),
                    document_type: None,
                    document_number: None,
                    birth_date: None,
                    language: d.language,
                    timezone: d.timezone.clone(),
                    country: d.country,
                    segment: segment.map(str::to_string),
                    tags: vec![],
                    attributes: serde_json::json!({}),
                    preferences: Default::default(),
                },
                contacts: vec![],
                debt: ImportDebt {
                    external_id: debt.into(),
                    currency: Currency::Cop,
                    original_minor: 1_000_000,
                    balance_minor: 1_000_000,
                    issued_on: due,
                    due_on: due,
                    product: None,
                },
            };
        let batch = ImportBatch {
            import_id: recaudo_domain::ImportId::generate(),
            rows: vec![
                row(&debtor, Some("vip"), "seg-import-0"),
                row(&other, None, "seg-import-1"),
            ],
        };
        ts.import_batch(&batch, now).await.unwrap();
        let read = ts.get_debtor(debtor.id).await.unwrap();
        assert_eq!(read.segment.as_deref(), Some("vip"), "{db}");
        assert_eq!(read.computed_segment.as_ref(), Some(&planned), "{db}");
        let untouched = ts.get_debtor(other.id).await.unwrap();
        assert_eq!(untouched.segment, None, "{db}");
        assert_eq!(untouched.computed_segment.as_ref(), Some(&planned), "{db}");

        // The planner's next run leaves the imported segment in place (the issue: a row with
        // `segment = young` read back as the planner's after planning) and writes nothing new.
        let r = run(now + Duration::days(1)).await;
        assert_eq!(r.segments_written, 0, "{db}");
        let read = ts.get_debtor(debtor.id).await.unwrap();
        assert_eq!(read.segment.as_deref(), Some("vip"), "{db}");
        assert_eq!(read.computed_segment.as_ref(), Some(&planned), "{db}");
    }
}

/// Plans the tenant at `now` without writing; its decisions.
async fn decide(ts: &TenantStore, now: DateTime<Utc>) -> Vec<recaudo_domain::planner::PlanLine> {
    let setup = Arc::new(PlanSetup::load(ts).await.unwrap());
    let mut lines = vec![];
    let options = PlanRunOptions {
        dry_run: true,
        ..PlanRunOptions::default()
    };
    plan_tenant(ts, setup, now, options, |l| lines.push(l.clone()))
        .await
        .unwrap();
    lines
}

#[tokio::test]
async fn the_tenants_stored_contact_rules_change_the_decisions() {
    let due = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
    for (db, store) in stores().await {
        let co = tenant(&store, "rules", Country::Co, 2, due).await;
        // Wednesday 2 December, 10:00 in Bogotá: both debts' `due` SMS go out now.
        let now = at("2026-12-02T15:00:00Z");
        let lines = decide(&co, now).await;
        assert_eq!(lines.len(), 2, "{db}");
        for l in &lines {
            assert_eq!(
                (l.decision.kind(), l.channel),
                ("send", Channel::Sms),
                "{db}"
            );
            assert_eq!(l.decision.send_at(), Some(now), "{db}");
        }
        assert_eq!(PlanSetup::load(&co).await.unwrap().rules_version, None);

        // The tenant's SMS window opens at 11:00: the SMS goes at 11:00, not 10:00.
        co.put_contact_rules(
            "windows:\n  sms:\n    mon-fri: [\"11:00-18:00\"]\n    sat-sun: []\n",
            now,
        )
        .await
        .unwrap();
        for l in decide(&co, now).await {
            assert_eq!(
                (l.decision.kind(), l.channel),
                ("send", Channel::Sms),
                "{db}"
            );
            assert_eq!(
                l.decision.send_at(),
                Some(at("2026-12-02T16:00:00Z")),
                "{db}"
            );
        }

        // A day without contact: deferred, with the tenant's reason.
        co.put_contact_rules("do_not_contact_days: [2026-12-02]\n", now)
            .await
            .unwrap();
        assert_eq!(PlanSetup::load(&co).await.unwrap().rules_version, Some(2));
        for l in decide(&co, now).await {
            assert_eq!(l.decision.kind(), "defer", "{db}: {l:?}");
            assert_eq!(
                l.reason().map(|r| r.as_str()),
                Some("do_not_contact_day"),
                "{db}"
            );
        }

        // Grace days: a promise for the 10th pauses its debt to the end of the 13th.
        co.put_contact_rules("promise_grace_days: 3\n", now)
            .await
            .unwrap();
        let debts = co.list_debts(&DebtFilter::default()).await.unwrap().items;
        co.create_promise(
            debts[0].id,
            NewPromise {
                amount: debts[0].balance,
                due_on: NaiveDate::from_ymd_opt(2026, 12, 10).unwrap(),
                channel: None,
            },
            now,
            now.date_naive(),
        )
        .await
        .unwrap();
        let lines = decide(&co, now).await;
        let paused = lines.iter().find(|l| l.debt == debts[0].id).unwrap();
        assert_eq!(
            paused.reason().map(|r| r.as_str()),
            Some("paused_promise"),
            "{db}"
        );
        // Monday 14 December, 07:00 in Bogotá: the first allowed instant after the grace.
        assert_eq!(
            paused.decision.send_at(),
            Some(at("2026-12-14T12:00:00Z")),
            "{db}: {paused:?}"
        );
    }
}
