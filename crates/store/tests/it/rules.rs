//! The business rules the store applies in SQL give, on both databases, what the domain's
//! functions that name them say: an opt-out is sticky across imports
//! (`ContactPoint::merge_imported_consent`), a debt keeps its first strategy version
//! (`StrategyAssignment::kept`), and one message a day covers a debtor's debts (`covers`,
//! under the outbox's key `contact_key`).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use recaudo_domain::outbox::{NewContact, contact_key};
use recaudo_domain::planner::DebtorPlan;
use recaudo_domain::portfolio::*;
use recaudo_domain::{Country, Currency, Money};
use recaudo_store::testing::stores;
use recaudo_store::*;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

fn consent(status: ConsentStatus, source: &str, when: &str) -> Consent {
    Consent {
        status,
        source: Some(source.into()),
        at: Some(at(when)),
    }
}

/// One import row: debtor `external`, its debt, one SMS point with `consent`.
fn row(external: &str, consent: Consent) -> ImportRow {
    ImportRow {
        line: 2,
        debtor: ImportDebtor {
            external_id: external.into(),
            kind: DebtorKind::Person,
            name: "Ana".into(),
            document_type: None,
            document_number: None,
            birth_date: None,
            language: Language::Pt,
            timezone: "America/Sao_Paulo".into(),
            country: Country::Br,
            segment: None,
            tags: Vec::new(),
            attributes: serde_json::json!({}),
            preferences: Preferences::default(),
        },
        contacts: vec![ImportContact {
            channel: Channel::Sms,
            address: "+5511987654321".into(),
            postal: None,
            consent,
        }],
        debt: ImportDebt {
            external_id: format!("{external}-D"),
            currency: Currency::Brl,
            original_minor: 10_000,
            balance_minor: 10_000,
            issued_on: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
            due_on: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            product: None,
        },
    }
}

#[tokio::test]
async fn an_import_never_undoes_an_opt_out() {
    use ConsentStatus::*;
    let first = at("2026-11-20T10:00:00Z");
    let second = at("2026-11-25T10:00:00Z");
    // (consent of the first import, change through the API before the second import,
    //  consent of the second import)
    let cases = [
        (
            consent(OptedOut, "portal", "2026-11-19T08:00:00Z"),
            None,
            consent(Granted, "import", "2026-11-24T08:00:00Z"),
        ),
        (
            consent(OptedOut, "portal", "2026-11-19T08:00:00Z"),
            None,
            consent(Unknown, "import", "2026-11-24T08:00:00Z"),
        ),
        (
            consent(OptedOut, "portal", "2026-11-19T08:00:00Z"),
            None,
            consent(OptedOut, "import", "2026-11-24T08:00:00Z"),
        ),
        (
            consent(Granted, "contract", "2026-11-19T08:00:00Z"),
            None,
            consent(Denied, "import", "2026-11-24T08:00:00Z"),
        ),
        (
            consent(Granted, "contract", "2026-11-19T08:00:00Z"),
            None,
            consent(OptedOut, "import", "2026-11-24T08:00:00Z"),
        ),
        (
            consent(Unknown, "contract", "2026-11-19T08:00:00Z"),
            None,
            Consent {
                status: OptedOut,
                source: None,
                at: None,
            },
        ),
        // Opted out through the API after an import that granted it.
        (
            consent(Granted, "contract", "2026-11-19T08:00:00Z"),
            Some(Consent {
                status: OptedOut,
                source: Some("portal".into()),
                at: None,
            }),
            consent(Granted, "import", "2026-11-24T08:00:00Z"),
        ),
    ];
    for (db, store) in stores().await {
        let key = store
            .create_tenant(NewTenant::in_country("rules", Country::Br), first)
            .await
            .unwrap();
        let ts = store.tenant(&key.tenant);
        for (i, (before, change, incoming)) in cases.iter().enumerate() {
            let external = format!("OPT-{i}");
            let import = ts.start_import("rules.csv", first).await.unwrap();
            let batch = ImportBatch {
                import_id: import,
                rows: vec![row(&external, before.clone())],
            };
            ts.import_batch(&batch, first).await.unwrap();
            let debtor = ts.get_debtor_by_external_id(&external).await.unwrap();
            let mut stored = ts.list_contact_points(debtor.id).await.unwrap().remove(0);
            if let Some(change) = change {
                stored = ts
                    .set_consent(stored.id, change.clone(), first)
                    .await
                    .unwrap();
            }

            let import = ts.start_import("rules.csv", second).await.unwrap();
            let batch = ImportBatch {
                import_id: import,
                rows: vec![row(&external, incoming.clone())],
            };
            ts.import_batch(&batch, second).await.unwrap();
            let after = ts.list_contact_points(debtor.id).await.unwrap().remove(0);

            let mut expected = stored.clone();
            expected.merge_imported_consent(incoming, second);
            assert_eq!(
                (&after.consent, after.opted_out_at),
                (&expected.consent, expected.opted_out_at),
                "{db}, case {i}"
            );
            if stored.consent.status == OptedOut {
                assert_eq!(
                    after.consent, stored.consent,
                    "{db}, case {i}: the opt-out stays"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_debt_keeps_its_first_strategy_version() {
    let t0 = at("2026-11-20T10:00:00Z");
    let assignment = |strategy: &str, version, started: &str| StrategyAssignment {
        strategy: strategy.into(),
        version,
        arms: [("wa-vs-sms".to_string(), "B".to_string())].into(),
        started_at: at(started),
    };
    let proposed = assignment("consumer", 3, "2026-11-21T10:00:00Z");
    // The assignment stored first (none: the debt has none), then a planner's proposal.
    let cases = [
        None,
        Some(assignment("consumer", 2, "2026-11-20T10:00:00Z")),
        Some(assignment("consumer", 3, "2026-11-20T11:00:00Z")),
        Some(assignment("business", 1, "2026-11-20T12:00:00Z")),
    ];
    for (db, store) in stores().await {
        let key = store
            .create_tenant(NewTenant::in_country("rules", Country::Br), t0)
            .await
            .unwrap();
        let ts = store.tenant(&key.tenant);
        for (i, stored) in cases.iter().enumerate() {
            let debtor = ts
                .create_debtor(
                    NewDebtor {
                        external_id: format!("KEEP-{i}"),
                        name: "Ana".into(),
                        ..Default::default()
                    },
                    t0,
                )
                .await
                .unwrap();
            let debt = ts
                .create_debt(
                    NewDebt {
                        debtor_id: debtor.id,
                        external_id: format!("KEEP-{i}-D"),
                        amount: Money::from_minor(10_000, Currency::Brl),
                        balance: None,
                        issued_on: None,
                        due_on: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
                        product: None,
                    },
                    t0,
                )
                .await
                .unwrap();
            let plan = |a: &StrategyAssignment| DebtorPlan {
                debtor: Some(debtor.id),
                assignments: vec![(debt.id, a.clone())],
                ..DebtorPlan::default()
            };
            if let Some(stored) = stored {
                ts.write_plans(&[plan(stored)], None, t0).await.unwrap();
            }
            ts.write_plans(&[plan(&proposed)], None, t0 + Duration::hours(1))
                .await
                .unwrap();
            let follows = ts.get_debt(debt.id).await.unwrap().strategy;
            let expected = StrategyAssignment::kept(stored.as_ref(), &proposed);
            assert_eq!(follows.as_ref(), Some(expected), "{db}, case {i}");
        }
    }
}

#[tokio::test]
async fn one_message_covers_a_debtors_debts_once_a_day() {
    let t0 = at("2026-11-20T10:00:00Z");
    for (db, store) in stores().await {
        let key = store
            .create_tenant(NewTenant::in_country("rules", Country::Br), t0)
            .await
            .unwrap();
        let ts = store.tenant(&key.tenant);
        let debtor = ts
            .create_debtor(
                NewDebtor {
                    external_id: "COVER".into(),
                    name: "Ana".into(),
                    ..Default::default()
                },
                t0,
            )
            .await
            .unwrap();
        let mut debts = Vec::new();
        for k in 0..3 {
            let debt = ts
                .create_debt(
                    NewDebt {
                        debtor_id: debtor.id,
                        external_id: format!("COVER-{k}"),
                        amount: Money::from_minor(10_000, Currency::Brl),
                        balance: None,
                        issued_on: None,
                        due_on: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
                        product: None,
                    },
                    t0,
                )
                .await
                .unwrap();
            debts.push(debt.id);
        }
        let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        let message = NewContact {
            debtor_id: debtor.id,
            debt_id: debts[0],
            covers: vec![debts[1], debts[2]],
            contact_point_id: None,
            strategy: Some("consumer".into()),
            strategy_version: Some(1),
            step: "late-3".into(),
            arm: None,
            channel: Channel::Sms,
            template: Some("overdue_soft".into()),
            queue: None,
            scheduled_for: t0 + Duration::hours(2),
            local_date: day,
            reason: "strategy consumer v1, step late-3".into(),
        };
        // (contacts planned, how many are new)
        let cases = [
            (vec![message.clone()], 1),
            // The same day planned again adds nothing, whatever it would cover now.
            (vec![message.clone()], 0),
            (
                vec![NewContact {
                    covers: vec![debts[1]],
                    ..message.clone()
                }],
                0,
            ),
            // The next day's message is another contact.
            (
                vec![NewContact {
                    local_date: day.succ_opt().unwrap(),
                    scheduled_for: t0 + Duration::hours(26),
                    ..message.clone()
                }],
                1,
            ),
        ];
        for (i, (planned, new)) in cases.into_iter().enumerate() {
            let stored = ts.plan_contacts(&planned, t0).await.unwrap();
            assert_eq!(stored.len(), new, "{db}, case {i}");
        }
        let contacts = ts
            .debtor_contacts(debtor.id, t0 - Duration::days(1))
            .await
            .unwrap();
        assert_eq!(contacts.len(), 2, "{db}");
        for c in &contacts {
            assert_eq!(
                c.covers,
                vec![debts[1], debts[2]],
                "{db}: the first plan's covers stay"
            );
            assert_eq!(
                c.idempotency_key,
                contact_key(c.debt_id, c.local_date, c.channel, &c.step),
                "{db}"
            );
        }
    }
}
