//! The planner's reads decode rows their own way on SQLite (straight from SQLite's C API into
//! domain values); they must give exactly what the store's ordinary reads give, on both
//! databases, for a portfolio with every kind of field filled or empty.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use recaudo_domain::planner::DebtorPlan;
use recaudo_domain::portfolio::*;
use recaudo_domain::{Country, Money};
use recaudo_store::testing::stores;
use recaudo_store::*;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

#[tokio::test]
async fn the_planners_reads_give_what_the_store_reads_give() {
    let t0 = at("2026-11-23T12:00:00.123456789Z");
    for (db, store) in stores().await {
        let tk = store
            .create_tenant(NewTenant::in_country("reads", Country::Br), t0)
            .await
            .unwrap();
        let ts = store.tenant(&tk.tenant);
        let full = ts
            .create_debtor(
                NewDebtor {
                    external_id: "FULL".into(),
                    kind: Some(DebtorKind::Business),
                    name: "Ação & Cia \"Ltda\"".into(),
                    document_type: Some("cnpj".into()),
                    document_number: Some("11222333000181".into()),
                    birth_date: Some(NaiveDate::from_ymd_opt(1980, 2, 29).unwrap()),
                    language: Some(Language::Pt),
                    timezone: Some("America/Sao_Paulo".into()),
                    country: Some(Country::Br),
                    segment: Some("sme".into()),
                    tags: vec!["vip".into(), "a \"b\"".into()],
                    attributes: Some(
                        serde_json::json!({"limit": 1500.5, "nested": {"x": [1, null]}}),
                    ),
                    preferences: Some(Preferences {
                        allowed_weekdays: vec![WeekdayName(chrono::Weekday::Mon)],
                        allowed_hours: Some(HourWindow {
                            from: chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
                            to: chrono::NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
                        }),
                        preferred_channel: Some(Channel::Whatsapp),
                        language: Some(Language::Es),
                        paperless: true,
                    }),
                },
                t0,
            )
            .await
            .unwrap();
        let bare = ts
            .create_debtor(
                NewDebtor {
                    external_id: "BARE".into(),
                    name: "B".into(),
                    ..Default::default()
                },
                t0 + Duration::seconds(1),
            )
            .await
            .unwrap();
        let granted = Consent {
            status: ConsentStatus::Granted,
            source: Some("contract".into()),
            at: Some(t0 - Duration::days(30)),
        };
        for (debtor, channel, address, postal, consent) in [
            (
                full.id,
                Channel::Sms,
                Some("(11) 98765-4321"),
                None,
                granted.clone(),
            ),
            (
                full.id,
                Channel::Email,
                Some("Ana@Example.com"),
                None,
                Consent {
                    status: ConsentStatus::OptedOut,
                    source: None,
                    at: None,
                },
            ),
            (
                full.id,
                Channel::Letter,
                None,
                Some(PostalAddress {
                    line1: "Rua A, 1".into(),
                    line2: None,
                    city: "São Paulo".into(),
                    region: Some("SP".into()),
                    postal_code: Some("01000-000".into()),
                    country: Country::Br,
                }),
                Consent::default(),
            ),
            (
                bare.id,
                Channel::Sms,
                Some("+5511987654322"),
                None,
                granted.clone(),
            ),
        ] {
            ts.add_contact_point(
                debtor,
                NewContactPoint {
                    channel,
                    address: address.map(str::to_string),
                    postal,
                    consent,
                    priority: None,
                },
                t0,
            )
            .await
            .unwrap();
        }
        let mut debts = vec![];
        for (debtor, ext, product) in [
            (full.id, "D-1", Some("loan")),
            (full.id, "D-2", None),
            (bare.id, "D-3", Some("gas")),
        ] {
            debts.push(
                ts.create_debt(
                    NewDebt {
                        debtor_id: debtor,
                        external_id: ext.into(),
                        amount: Money::from_minor(123_456, Country::Br.currency()),
                        balance: Some(Money::from_minor(100_001, Country::Br.currency())),
                        issued_on: Some(NaiveDate::from_ymd_opt(2026, 10, 1).unwrap()),
                        due_on: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
                        product: product.map(str::to_string),
                    },
                    t0,
                )
                .await
                .unwrap(),
            );
        }
        // A strategy with arms on one debt, a planner's segment on one debtor.
        let plan = DebtorPlan {
            debtor: Some(full.id),
            assignments: vec![(
                debts[0].id,
                StrategyAssignment {
                    strategy: "s".into(),
                    version: 3,
                    arms: [("exp".to_string(), "B".to_string())].into(),
                    started_at: t0 + Duration::milliseconds(5),
                },
            )],
            segment: Some(Some("high_balance".into())),
            ..DebtorPlan::default()
        };
        ts.write_plans(&[plan], None, t0).await.unwrap();

        let now = at("2026-11-24T12:00:00Z");
        for d in [full.id, bare.id] {
            let file = ts.plan_input(d, now).await.unwrap().expect("active debts");
            assert_eq!(file.debtor, ts.get_debtor(d).await.unwrap(), "{db}");
            let mut points = file.contact_points.clone();
            let mut listed = ts.list_contact_points(d).await.unwrap();
            points.sort_by_key(|p| p.id);
            listed.sort_by_key(|p| p.id);
            assert_eq!(points, listed, "{db}");
            for f in &file.debts {
                assert_eq!(f.debt, ts.get_debt(f.debt.id).await.unwrap(), "{db}");
            }
        }
        let file = ts.plan_input(full.id, now).await.unwrap().unwrap();
        // The planner's segment beside the tenant's, which wins.
        assert_eq!(file.debtor.segment.as_deref(), Some("sme"), "{db}");
        assert_eq!(
            file.debtor.computed_segment.as_deref(),
            Some("high_balance"),
            "{db}"
        );
        assert_eq!(file.debtor.effective_segment(), Some("sme"), "{db}");
        assert_eq!(file.contact_points.len(), 3, "{db}");
        let assigned = file
            .debts
            .iter()
            .find(|f| f.debt.id == debts[0].id)
            .unwrap();
        assert_eq!(
            assigned
                .debt
                .strategy
                .as_ref()
                .map(|a| (a.version, a.arms.get("exp").cloned())),
            Some((3, Some("B".to_string()))),
            "{db}"
        );
        // A run that read the debts before that write (a concurrent planner) cannot move the
        // debt that started meanwhile; its other debt's start joins the debtor's row, and a
        // plan that does not change the segment keeps it.
        let other = StrategyAssignment {
            strategy: "t".into(),
            version: 1,
            arms: Default::default(),
            started_at: t0,
        };
        let late = DebtorPlan {
            debtor: Some(full.id),
            assignments: vec![
                (
                    debts[0].id,
                    StrategyAssignment {
                        version: 4,
                        ..other.clone()
                    },
                ),
                (debts[1].id, other.clone()),
            ],
            segment: None,
            ..DebtorPlan::default()
        };
        let w = ts.write_plans(&[late], None, t0).await.unwrap();
        assert_eq!((w.assignments, w.segments), (2, 0), "{db}");
        let kept = ts.get_debt(debts[0].id).await.unwrap().strategy.unwrap();
        assert_eq!((kept.strategy.as_str(), kept.version), ("s", 3), "{db}");
        assert_eq!(
            ts.get_debt(debts[1].id).await.unwrap().strategy,
            Some(other),
            "{db}"
        );
        assert_eq!(
            ts.get_debtor(full.id)
                .await
                .unwrap()
                .computed_segment
                .as_deref(),
            Some("high_balance"),
            "{db}"
        );

        // A batch's events, read oldest first across its debtors, reach each debtor's file in
        // that order.
        use recaudo_domain::event::{EventKind, NewEvent};
        for (i, debtor) in [full.id, bare.id, full.id, bare.id, full.id]
            .into_iter()
            .enumerate()
        {
            ts.append_event(NewEvent {
                debtor_id: debtor,
                debt_id: None,
                kind: EventKind::Replied,
                at: now - Duration::hours(10 - i as i64),
                recorded_at: now,
                data: serde_json::json!({"n": i}),
            })
            .await
            .unwrap();
        }
        let batch = PlanBatch {
            after: None,
            upto: None,
        };
        let files = ts.plan_inputs(batch, now, None, true).await.unwrap();
        assert_eq!(files.len(), 2, "{db}");
        // Without the attributes, the same files with none.
        let without = ts.plan_inputs(batch, now, None, false).await.unwrap();
        assert_eq!(without.len(), files.len(), "{db}");
        for (b, f) in without.iter().zip(&files) {
            let mut f = f.clone();
            f.debtor.attributes = serde_json::json!({});
            assert_eq!(*b, f, "{db}");
        }
        // A batch reads the same files as one debtor at a time, less what no decision
        // depends on.
        for file in &files {
            let mut whole = ts.plan_input(file.debtor.id, now).await.unwrap().unwrap();
            whole.debtor.name = String::new();
            whole.debtor.document_type = None;
            whole.debtor.document_number = None;
            for p in &mut whole.contact_points {
                p.address = String::new();
                p.postal = None;
                p.consent.source = None;
                p.consent.at = None;
            }
            // The creation time is not read on SQLite (the epoch there).
            let mut file = file.clone();
            for f in [&mut file, &mut whole] {
                for p in &mut f.contact_points {
                    p.created_at = chrono::DateTime::UNIX_EPOCH;
                }
            }
            assert_eq!(file, whole, "{db}");
        }
        for file in &files {
            let replies: Vec<i64> = file
                .events
                .iter()
                .filter(|e| e.kind == EventKind::Replied)
                .map(|e| {
                    assert_eq!(e.debtor_id, file.debtor.id, "{db}");
                    e.data["n"].as_i64().unwrap()
                })
                .collect();
            let want = if file.debtor.id == full.id {
                vec![0, 2, 4]
            } else {
                vec![1, 3]
            };
            assert_eq!(replies, want, "{db}");
        }
        // "No segment applies" from the planner reads beside the tenant's own (`sme`), which
        // stays, in a batch as in a single read; the debts keep their strategies.
        let none = DebtorPlan {
            debtor: Some(full.id),
            segment: Some(None),
            ..DebtorPlan::default()
        };
        ts.write_plans(&[none], None, t0).await.unwrap();
        let files = ts.plan_inputs(batch, now, None, true).await.unwrap();
        let f = files.iter().find(|f| f.debtor.id == full.id).unwrap();
        assert_eq!(
            (
                f.debtor.segment.as_deref(),
                f.debtor.computed_segment.as_deref()
            ),
            (Some("sme"), None),
            "{db}"
        );
        let read = ts.get_debtor(full.id).await.unwrap();
        assert_eq!(
            (read.segment.as_deref(), read.computed_segment.as_deref()),
            (Some("sme"), None),
            "{db}"
        );
        assert_eq!(
            f.debts.iter().filter(|d| d.debt.strategy.is_some()).count(),
            2,
            "{db}"
        );
    }
}

/// The planner's writes (on SQLite laid out as `PlanRows` off the writer and bound from there,
/// on PostgreSQL through `Sql`) store exactly the contacts planned, with every field filled or
/// empty, and planning the same contacts again adds nothing.
#[tokio::test]
async fn the_planners_contacts_are_stored_as_planned() {
    use recaudo_domain::outbox::{ContactState, NewContact};
    let t0 = at("2026-11-23T12:00:00.5Z");
    for (db, store) in stores().await {
        let tk = store
            .create_tenant(NewTenant::in_country("writes", Country::Co), t0)
            .await
            .unwrap();
        let ts = store.tenant(&tk.tenant);
        let debtor = ts
            .create_debtor(
                NewDebtor {
                    external_id: "W".into(),
                    name: "W".into(),
                    ..Default::default()
                },
                t0,
            )
            .await
            .unwrap();
        let point = ts
            .add_contact_point(
                debtor.id,
                NewContactPoint {
                    channel: Channel::Sms,
                    address: Some("+573001112233".into()),
                    postal: None,
                    consent: Consent {
                        status: ConsentStatus::Granted,
                        source: None,
                        at: None,
                    },
                    priority: None,
                },
                t0,
            )
            .await
            .unwrap();
        let mut debts = vec![];
        for ext in ["W-1", "W-2"] {
            debts.push(
                ts.create_debt(
                    NewDebt {
                        debtor_id: debtor.id,
                        external_id: ext.into(),
                        amount: Money::from_minor(50_000, Country::Co.currency()),
                        balance: None,
                        issued_on: None,
                        due_on: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
                        product: None,
                    },
                    t0,
                )
                .await
                .unwrap(),
            );
        }
        let planned = vec![
            NewContact {
                debtor_id: debtor.id,
                debt_id: debts[0].id,
                covers: vec![debts[1].id],
                contact_point_id: Some(point.id),
                strategy: Some("consumer \"ñ\"".into()),
                strategy_version: Some(4),
                step: "late-5".into(),
                arm: Some("B".into()),
                channel: Channel::Sms,
                template: Some("overdue_soft".into()),
                queue: None,
                scheduled_for: at("2026-11-23T14:00:00Z"),
                local_date: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
                reason: "strategy consumer v4, step late-5".into(),
            },
            NewContact {
                debtor_id: debtor.id,
                debt_id: debts[1].id,
                covers: vec![],
                contact_point_id: None,
                strategy: None,
                strategy_version: None,
                step: "call".into(),
                arm: None,
                channel: Channel::Voice,
                template: None,
                queue: Some("agents-co".into()),
                scheduled_for: at("2026-11-24T13:30:00.25Z"),
                local_date: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
                reason: "task".into(),
            },
        ];
        let plan = DebtorPlan {
            debtor: Some(debtor.id),
            contacts: planned.clone(),
            ..DebtorPlan::default()
        };
        // Written as two batches in one transaction (the writer's grouped commit): one laid
        // out beforehand where the store does that, one not.
        let halves: Vec<DebtorPlan> = planned
            .iter()
            .map(|c| DebtorPlan {
                debtor: Some(debtor.id),
                contacts: vec![c.clone()],
                ..DebtorPlan::default()
            })
            .collect();
        let first_rows = ts.plan_rows(&halves[..1], t0);
        let written = ts
            .write_plan_batches(
                &[(&halves[..1], first_rows.as_ref()), (&halves[1..], None)],
                t0,
            )
            .await
            .unwrap();
        assert_eq!(written.contacts, 2, "{db}");
        let rows = ts.plan_rows(std::slice::from_ref(&plan), t0);
        assert_eq!(rows.is_some(), db == "sqlite", "{db}");
        let again = ts
            .write_plans(std::slice::from_ref(&plan), rows.as_ref(), t0)
            .await
            .unwrap();
        assert_eq!(again.contacts, 0, "{db}: planning the same contacts again");

        let stored = ts
            .debtor_contacts(debtor.id, t0 - Duration::days(1))
            .await
            .unwrap();
        assert_eq!(stored.len(), 2, "{db}");
        for (s, p) in stored.iter().zip(&planned) {
            assert_eq!(s.debtor_id, p.debtor_id, "{db}");
            assert_eq!(s.debt_id, p.debt_id, "{db}");
            assert_eq!(s.covers, p.covers, "{db}");
            assert_eq!(s.contact_point_id, p.contact_point_id, "{db}");
            assert_eq!(s.strategy, p.strategy, "{db}");
            assert_eq!(s.strategy_version, p.strategy_version, "{db}");
            assert_eq!(s.step, p.step, "{db}");
            assert_eq!(s.arm, p.arm, "{db}");
            assert_eq!(s.channel, p.channel, "{db}");
            assert_eq!(s.template, p.template, "{db}");
            assert_eq!(s.queue, p.queue, "{db}");
            assert_eq!(s.scheduled_for, p.scheduled_for, "{db}");
            assert_eq!(s.local_date, p.local_date, "{db}");
            assert_eq!(s.state, ContactState::Planned, "{db}");
            assert_eq!(s.attempts, 0, "{db}");
            assert_eq!(s.idempotency_key, p.key(), "{db}");
            assert_eq!(s.reason, p.reason, "{db}");
            assert_eq!((s.created_at, s.updated_at), (t0, t0), "{db}");
        }
        assert_ne!(stored[0].id, stored[1].id, "{db}");
    }
}

#[tokio::test]
async fn batches_cut_a_tenants_debtors_into_ranges_of_the_batch_size() {
    let t0 = at("2026-11-23T12:00:00Z");
    for (db, store) in stores().await {
        let mut tenants = vec![];
        for name in ["cut-a", "cut-b"] {
            let tk = store
                .create_tenant(NewTenant::in_country(name, Country::Co), t0)
                .await
                .unwrap();
            tenants.push(store.tenant(&tk.tenant));
        }
        // The two tenants' debtors are created in turns, so their ids interleave.
        let mut ids = vec![];
        for i in 0..7 {
            for (t, ts) in tenants.iter().enumerate() {
                if t == 1 && i >= 2 {
                    continue;
                }
                let d = ts
                    .create_debtor(
                        NewDebtor {
                            external_id: format!("D{i}"),
                            name: "Ana".into(),
                            ..NewDebtor::default()
                        },
                        t0,
                    )
                    .await
                    .unwrap();
                if t == 0 {
                    ids.push(d.id);
                }
            }
        }
        ids.sort();
        let ts = &tenants[0];
        for limit in [1, 2, 3, 7, 8] {
            let batches = ts.plan_batches(limit).await.unwrap();
            // Every full batch ends on the id `limit` places after the one before; the last
            // batch runs to the end (empty when the debtors fill the full ones exactly).
            let bounds: Vec<_> = ids.chunks_exact(limit).map(|c| c[limit - 1]).collect();
            assert_eq!(batches.len(), bounds.len() + 1, "{db} limit {limit}");
            let mut after = None;
            for (b, bound) in batches.iter().zip(bounds.iter().map(Some).chain([None])) {
                assert_eq!(b.after, after, "{db} limit {limit}");
                assert_eq!(b.upto.as_ref(), bound, "{db} limit {limit}");
                after = b.upto;
            }
        }
        // A tenant without debtors: one batch, everything.
        let empty = store
            .create_tenant(NewTenant::in_country("cut-none", Country::Co), t0)
            .await
            .unwrap();
        let batches = store.tenant(&empty.tenant).plan_batches(2).await.unwrap();
        assert_eq!(batches.len(), 1, "{db}");
        assert_eq!((batches[0].after, batches[0].upto), (None, None), "{db}");
    }
}

/// The writer stores rows many to a statement: counts and rows must not depend on where a
/// statement's rows end, on a batch boundary or on repeats of what is stored already.
#[tokio::test]
async fn plans_written_many_rows_a_statement_are_counted_and_stored_one_by_one() {
    let t0 = at("2026-11-23T12:00:00Z");
    for (db, store) in stores().await {
        let tk = store
            .create_tenant(NewTenant::in_country("many", Country::Co), t0)
            .await
            .unwrap();
        let ts = store.tenant(&tk.tenant);
        let plans: Vec<DebtorPlan> = (0..75)
            .map(|i| {
                let debtor = recaudo_domain::DebtorId::generate();
                let debt = recaudo_domain::DebtId::generate();
                DebtorPlan {
                    debtor: Some(debtor),
                    assignments: vec![(
                        debt,
                        StrategyAssignment {
                            strategy: "consumer".into(),
                            version: 1,
                            arms: Default::default(),
                            started_at: t0,
                        },
                    )],
                    segment: Some(Some(format!("s{}", i % 3))),
                    contacts: vec![recaudo_domain::outbox::NewContact {
                        debtor_id: debtor,
                        debt_id: debt,
                        covers: vec![debt],
                        contact_point_id: None,
                        strategy: Some("consumer".into()),
                        strategy_version: Some(1),
                        step: format!("step-{i}"),
                        arm: None,
                        channel: Channel::Email,
                        template: Some("reminder".into()),
                        queue: None,
                        scheduled_for: t0 + Duration::minutes(i),
                        local_date: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
                        reason: format!("r{i}"),
                    }],
                    ..DebtorPlan::default()
                }
            })
            .collect();
        // Five plans stored first: their contacts and assignments are there already.
        let first = ts.write_plans(&plans[10..15], None, t0).await.unwrap();
        assert_eq!(
            (first.contacts, first.assignments, first.segments),
            (5, 5, 5),
            "{db}"
        );
        // Then all of them, in two batches of one transaction that meet in no statement's
        // boundary.
        let (a, b) = plans.split_at(33);
        let (rows_a, rows_b) = (ts.plan_rows(a, t0), ts.plan_rows(b, t0));
        let all = ts
            .write_plan_batches(&[(a, rows_a.as_ref()), (b, rows_b.as_ref())], t0)
            .await
            .unwrap();
        assert_eq!(all.contacts, 70, "{db}: the five stored are skipped");
        // Every debtor's row is upserted; the assignments stored stay (a test above), and
        // are counted as the plans made them.
        assert_eq!(all.assignments, 75, "{db}");
        assert_eq!(all.segments, 75, "{db}");
        let again = ts.write_plans(&plans, None, t0).await.unwrap();
        assert_eq!(again.contacts, 0, "{db}");
        for (i, p) in plans.iter().enumerate() {
            let stored = ts
                .debtor_contacts(p.debtor.unwrap(), t0 - Duration::days(1))
                .await
                .unwrap();
            assert_eq!(stored.len(), 1, "{db}: debtor {i}");
            assert_eq!(stored[0].idempotency_key, p.contacts[0].key(), "{db}");
            assert_eq!(stored[0].reason, format!("r{i}"), "{db}");
            assert_eq!(stored[0].scheduled_for, p.contacts[0].scheduled_for, "{db}");
        }
    }
}
