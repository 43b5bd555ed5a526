//! Finding debtors the way an agent does (issue 23, point 10), erasing one (point 12), API keys
//! listed and revoked, and page sizes outside the bounds refused (point 11): on SQLite and, when
//! configured, PostgreSQL.

use crate::fixtures::t0;
use chrono::{Duration, NaiveDate};
use recaudo_domain::event::EventKind;
use recaudo_domain::outbox::{ContactState, NewContact};
use recaudo_domain::portfolio::*;
use recaudo_domain::{Country, Currency, DebtorId, ImportId, Money};
use recaudo_store::testing::stores;
use recaudo_store::*;

async fn colombian_tenant(store: &Store, name: &str) -> (TenantStore, TenantKey) {
    let tk = store
        .create_tenant(NewTenant::in_country(name, Country::Co), t0())
        .await
        .unwrap();
    (store.tenant(&tk.tenant), tk)
}

async fn person(ts: &TenantStore, ext: &str, name: &str, document: Option<&str>) -> Debtor {
    ts.create_debtor(
        NewDebtor {
            external_id: ext.into(),
            name: name.into(),
            document_type: document.map(|_| "cc".into()),
            document_number: document.map(Into::into),
            ..Default::default()
        },
        t0(),
    )
    .await
    .unwrap()
}

async fn point(
    ts: &TenantStore,
    debtor: DebtorId,
    channel: Channel,
    address: &str,
) -> ContactPoint {
    ts.add_contact_point(
        debtor,
        NewContactPoint {
            channel,
            address: Some(address.into()),
            postal: None,
            consent: Consent {
                status: ConsentStatus::Granted,
                source: Some("contrato firmado por María".into()),
                at: Some(t0()),
            },
            priority: None,
        },
        t0(),
    )
    .await
    .unwrap()
}

/// The external ids of the debtors `text` finds, in list order.
async fn found(ts: &TenantStore, text: &str) -> Vec<String> {
    ts.list_debtors(&DebtorFilter {
        search: Some(text.into()),
        ..Default::default()
    })
    .await
    .unwrap()
    .items
    .into_iter()
    .map(|d| d.external_id)
    .collect()
}

fn import_row(ext: &str, name: &str, document: &str) -> ImportRow {
    ImportRow {
        line: 2,
        debtor: ImportDebtor {
            external_id: ext.into(),
            kind: DebtorKind::Person,
            name: name.into(),
            document_type: Some("cc".into()),
            document_number: Some(document.into()),
            birth_date: None,
            language: Language::Es,
            timezone: "America/Bogota".into(),
            country: Country::Co,
            segment: None,
            tags: Vec::new(),
            attributes: serde_json::json!({}),
            preferences: Preferences::default(),
        },
        contacts: vec![ImportContact {
            channel: Channel::Whatsapp,
            address: "+573109876543".into(),
            postal: None,
            consent: Consent {
                status: ConsentStatus::Granted,
                source: None,
                at: None,
            },
        }],
        debt: ImportDebt {
            external_id: format!("{ext}-D"),
            currency: Currency::Cop,
            original_minor: 320_000_000,
            balance_minor: 320_000_000,
            issued_on: NaiveDate::from_ymd_opt(2026, 8, 1).unwrap(),
            due_on: NaiveDate::from_ymd_opt(2026, 9, 1).unwrap(),
            product: None,
        },
    }
}

#[tokio::test]
async fn debtors_are_found_by_folded_name_document_phone_or_email() {
    for (db, store) in stores().await {
        let (ts, _) = colombian_tenant(&store, "Crédito").await;
        let maria = person(&ts, "C-1", "María Pérez", Some("1.020.304.050")).await;
        person(&ts, "C-2", "MARIA JOSÉ GÓMEZ", None).await;
        person(&ts, "C-3", "Mario Núñez", Some("79555111")).await;
        point(&ts, maria.id, Channel::Sms, "300 123 4567").await;
        point(&ts, maria.id, Channel::Email, "Maria.Perez@Correo.CO").await;

        let cases: &[(&str, &[&str])] = &[
            ("maria", &["C-1", "C-2"]),
            ("MARÍA", &["C-1", "C-2"]),
            ("perez", &["C-1"]),
            ("  maria   jose ", &["C-2"]),
            ("nunez", &["C-3"]),
            ("1020304050", &["C-1"]),
            ("1.020.304.050", &["C-1"]),
            ("79.555.111", &["C-3"]),
            ("+57 300 123 4567", &["C-1"]),
            ("(300) 123-4567", &["C-1"]),
            ("3001234567", &["C-1"]),
            ("MARIA.PEREZ@correo.co", &["C-1"]),
            ("ana@correo.co", &[]),
            ("maría pérez gómez", &[]),
        ];
        for (text, want) in cases {
            assert_eq!(found(&ts, text).await, *want, "{db}: {text}");
        }

        // A patch keeps the keys current.
        let mut renamed = ts.get_debtor(maria.id).await.unwrap();
        renamed.name = "Marïa Conceição".into();
        renamed.document_number = Some("55.666.777".into());
        ts.update_debtor(&renamed, t0() + Duration::hours(1))
            .await
            .unwrap();
        assert_eq!(found(&ts, "conceicao").await, ["C-1"], "{db}");
        assert_eq!(found(&ts, "55666777").await, ["C-1"], "{db}");
        assert!(found(&ts, "1020304050").await.is_empty(), "{db}");

        // The bulk import fills them too, on insert and on update.
        let import = ImportBatch {
            import_id: ImportId::generate(),
            rows: vec![import_row("C-9", "Ángela Núñez", "1.111.222.333")],
        };
        ts.import_batch(&import, t0()).await.unwrap();
        assert_eq!(found(&ts, "angela nunez").await, ["C-9"], "{db}");
        assert_eq!(found(&ts, "1111222333").await, ["C-9"], "{db}");
        assert_eq!(found(&ts, "310 987 6543").await, ["C-9"], "{db}");
        let again = ImportBatch {
            import_id: ImportId::generate(),
            rows: vec![import_row("C-9", "Ángela Ñandú", "1.111.222.333")],
        };
        ts.import_batch(&again, t0()).await.unwrap();
        assert_eq!(found(&ts, "nandu").await, ["C-9"], "{db}");
        assert_eq!(found(&ts, "nunez").await, ["C-3"], "{db}");

        // Pages of a search follow each other like any list's.
        let mut seen = vec![];
        let mut cursor = None;
        loop {
            let page = ts
                .list_debtors(&DebtorFilter {
                    search: Some("mari".into()),
                    cursor: cursor.clone(),
                    limit: Some(1),
                    ..Default::default()
                })
                .await
                .unwrap();
            seen.extend(page.items.into_iter().map(|d| d.external_id));
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(seen, ["C-1", "C-2", "C-3"], "{db}");

        // Another tenant's debtors are not found.
        let (other, _) = colombian_tenant(&store, "Otro").await;
        assert!(found(&other, "maria").await.is_empty(), "{db}");
    }
}

#[tokio::test]
async fn debtors_written_before_the_search_keys_get_them_at_migration() {
    for (db, store) in stores().await {
        let (ts, _) = colombian_tenant(&store, "Crédito").await;
        person(&ts, "C-1", "José Ñúñez", Some("1.020.304.050")).await;
        // As a row written before migration 0011 has them.
        store
            .execute_admin("UPDATE debtors SET search_name = NULL, document_key = NULL")
            .await
            .unwrap();
        assert!(found(&ts, "jose").await.is_empty(), "{db}");
        store.migrate().await.unwrap();
        assert_eq!(found(&ts, "jose nunez").await, ["C-1"], "{db}");
        assert_eq!(found(&ts, "1020304050").await, ["C-1"], "{db}");
    }
}

#[tokio::test]
async fn page_sizes_outside_the_bounds_are_refused_not_capped() {
    for (db, store) in stores().await {
        let (ts, _) = colombian_tenant(&store, "Crédito").await;
        let maria = person(&ts, "C-1", "María", None).await;
        for limit in [0, -1, 501, 1000] {
            let error = ts
                .list_debtors(&DebtorFilter {
                    limit: Some(limit),
                    ..Default::default()
                })
                .await
                .unwrap_err();
            assert!(
                matches!(&error, StoreError::Invalid { field, message }
                    if field == "limit" && message.contains("1 to 500")),
                "{db}: {limit}: {error}"
            );
            let error = ts
                .list_debts(&DebtFilter {
                    limit: Some(limit),
                    ..Default::default()
                })
                .await
                .unwrap_err();
            assert!(
                matches!(&error, StoreError::Invalid { field, .. } if field == "limit"),
                "{db}: {limit}: {error}"
            );
        }
        let error = ts
            .debtor_timeline(
                maria.id,
                &TimelineQuery {
                    limit: Some(1001),
                    ..Default::default()
                },
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&error, StoreError::Invalid { field, message }
                if field == "limit" && message.contains("1 to 1000")),
            "{db}: {error}"
        );
        let page = ts
            .list_debtors(&DebtorFilter {
                limit: Some(500),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(page.items.len(), 1, "{db}");
    }
}

#[tokio::test]
async fn an_erased_debtor_keeps_an_anonymous_record_and_is_found_nowhere() {
    for (db, store) in stores().await {
        let (ts, _) = colombian_tenant(&store, "Crédito").await;
        let maria = person(&ts, "CC-1020304050", "María Pérez", Some("1020304050")).await;
        let kept = person(&ts, "C-2", "María José", None).await;
        let sms = point(&ts, maria.id, Channel::Sms, "300 123 4567").await;
        point(&ts, maria.id, Channel::Email, "maria@correo.co").await;
        let cop = |minor| Money::from_minor(minor, Currency::Cop);
        let debt = ts
            .create_debt(
                NewDebt {
                    debtor_id: maria.id,
                    external_id: "FAC-77".into(),
                    amount: cop(320_000_000),
                    balance: None,
                    issued_on: None,
                    due_on: NaiveDate::from_ymd_opt(2026, 9, 1).unwrap(),
                    product: None,
                },
                t0(),
            )
            .await
            .unwrap();
        ts.record_payment(
            debt.id,
            NewPayment {
                amount: cop(20_000_000),
                method: "pse".into(),
                provider_ref: None,
                received_at: None,
                allow_overpayment: false,
            },
            t0(),
        )
        .await
        .unwrap();
        let planned = NewContact {
            debtor_id: maria.id,
            debt_id: debt.id,
            covers: vec![],
            contact_point_id: Some(sms.id),
            strategy: None,
            strategy_version: None,
            step: "late-3".into(),
            arm: None,
            channel: Channel::Sms,
            template: Some("overdue_soft".into()),
            queue: None,
            scheduled_for: t0() + Duration::hours(2),
            local_date: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
            reason: "step due".into(),
        };
        let sent_one = NewContact {
            step: "due".into(),
            scheduled_for: t0(),
            local_date: NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
            ..planned.clone()
        };
        let task_one = NewContact {
            step: "call".into(),
            channel: Channel::Voice,
            contact_point_id: None,
            queue: Some("agents".into()),
            scheduled_for: t0(),
            ..planned.clone()
        };
        let ids = ts
            .plan_contacts(&[planned, sent_one, task_one], t0())
            .await
            .unwrap();
        let contact = ids[0];
        // One message went out naming her, and an agent noted something of hers on a task.
        let claimed = ts
            .claim_contacts(t0(), 10, std::time::Duration::from_secs(60), "w")
            .await
            .unwrap();
        assert_eq!(claimed.len(), 2, "{db}");
        let outcomes = claimed
            .iter()
            .map(|c| {
                let outcome = if c.queue.is_some() {
                    DispatchOutcome::Task {
                        queue: "agents".into(),
                        script: "Call".into(),
                    }
                } else {
                    DispatchOutcome::Sent {
                        provider: "sandbox".into(),
                        provider_message_id: "sbx_1".into(),
                        cost: None,
                        content: serde_json::json!({"kind": "sms", "body": "Hola María Pérez"}),
                        template: Some("due_today".into()),
                    }
                };
                (ContactRef::from(c), outcome)
            })
            .collect();
        ts.record_dispatch("w", outcomes, t0()).await.unwrap();
        let task = ts.list_tasks(&TaskFilter::default()).await.unwrap()[0].clone();
        ts.resolve_task(task.id, "callback", Some("María prefiere las tardes"), t0())
            .await
            .unwrap();
        assert!(ts.contact_message(ids[1]).await.unwrap().is_some(), "{db}");
        ts.set_consent(
            sms.id,
            Consent {
                status: ConsentStatus::OptedOut,
                source: Some("SMS de María: PARE".into()),
                at: Some(t0()),
            },
            t0(),
        )
        .await
        .unwrap();

        let later = t0() + Duration::days(1);
        ts.erase_debtor(maria.id, later).await.unwrap();

        // Not found, listed, searched or planned any more.
        assert!(
            matches!(
                ts.get_debtor(maria.id).await,
                Err(StoreError::NotFound { .. })
            ),
            "{db}"
        );
        assert!(
            ts.get_debtor_by_external_id("CC-1020304050").await.is_err(),
            "{db}"
        );
        for text in ["maria perez", "1020304050", "3001234567", "maria@correo.co"] {
            assert!(found(&ts, text).await.is_empty(), "{db}: {text}");
        }
        assert_eq!(found(&ts, "maria").await, ["C-2"], "{db}");
        let all = ts.list_debtors(&DebtorFilter::default()).await.unwrap();
        assert_eq!(
            all.items.iter().map(|d| d.id).collect::<Vec<_>>(),
            [kept.id],
            "{db}"
        );
        let mut planned_debtors = vec![];
        for batch in ts.plan_batches(100).await.unwrap() {
            for file in ts.plan_inputs(batch, later, None, true).await.unwrap() {
                planned_debtors.push(file.debtor.id);
            }
        }
        assert!(!planned_debtors.contains(&maria.id), "{db}");
        assert!(matches!(
            ts.erase_debtor(maria.id, later).await,
            Err(StoreError::NotFound { .. })
        ));

        // What stays: the debt, its payment, the contact (cancelled) and the consent record,
        // without the addresses.
        let debt_after = ts.get_debt(debt.id).await.unwrap();
        assert_eq!(debt_after.balance, cop(300_000_000), "{db}");
        assert_eq!(debt_after.external_id, "FAC-77", "{db}");
        assert_eq!(ts.list_payments(debt.id).await.unwrap().len(), 1, "{db}");
        let contact = ts.get_contact(contact).await.unwrap();
        assert_eq!(
            (contact.state, contact.channel),
            (ContactState::Cancelled, Channel::Sms),
            "{db}"
        );
        // Nor the message as sent, nor the agent's note.
        assert_eq!(ts.contact_message(ids[1]).await.unwrap(), None, "{db}");
        let task = ts.get_task(task.id).await.unwrap();
        assert_eq!(task.note, None, "{db}");
        assert_eq!(task.outcome.as_deref(), Some("callback"), "{db}");
        let sms_after = ts.get_contact_point(sms.id).await.unwrap();
        assert_eq!(sms_after.address, format!("erased:{}", sms.id), "{db}");
        assert_eq!(sms_after.consent.status, ConsentStatus::OptedOut, "{db}");
        assert!(sms_after.opted_out_at.is_some(), "{db}");

        // The timeline stays readable, without personal data, and says when it was erased.
        let timeline = ts
            .debtor_timeline(maria.id, &TimelineQuery::default())
            .await
            .unwrap();
        let kinds: Vec<EventKind> = timeline.items.iter().map(|e| e.kind).collect();
        assert!(kinds.contains(&EventKind::DebtorErased), "{db}: {kinds:?}");
        assert!(
            kinds.contains(&EventKind::PaymentReceived),
            "{db}: {kinds:?}"
        );
        let text = serde_json::to_string(&timeline.items).unwrap();
        for personal in ["CC-1020304050", "María", "PARE", "1020304050"] {
            assert!(!text.contains(personal), "{db}: {personal} in {text}");
        }
        assert!(
            text.contains("FAC-77"),
            "{db}: the debt keeps its invoice number"
        );
        // The external id is free again: the same person imported later is a new debtor.
        let again = person(&ts, "CC-1020304050", "María Pérez", Some("1020304050")).await;
        assert_ne!(again.id, maria.id, "{db}");
    }
}

#[tokio::test]
async fn api_keys_are_listed_without_secrets_and_revoked() {
    for (db, store) in stores().await {
        let (ts, first) = colombian_tenant(&store, "Crédito").await;
        let second = store.create_api_key(first.tenant.id, t0()).await.unwrap();
        let keys = ts.list_api_keys().await.unwrap();
        assert_eq!(keys.len(), 2, "{db}");
        let listed = serde_json::to_string(&keys).unwrap();
        for secret in [first.api_key.expose_secret(), second.expose_secret()] {
            assert!(!listed.contains(secret.as_str()), "{db}");
            assert!(!listed.contains(&hash_api_key(secret)), "{db}");
            assert!(keys.iter().any(|k| secret.starts_with(&k.prefix)), "{db}");
        }
        assert!(keys.iter().all(|k| k.revoked_at.is_none()), "{db}");

        let target = keys
            .iter()
            .find(|k| second.expose_secret().starts_with(&k.prefix))
            .unwrap();
        // Another tenant cannot see or revoke it.
        let (other, _) = colombian_tenant(&store, "Otro").await;
        assert_eq!(other.list_api_keys().await.unwrap().len(), 1, "{db}");
        assert!(
            matches!(
                other.revoke_api_key(target.id, t0()).await,
                Err(StoreError::NotFound {
                    what: Entity::ApiKey,
                    ..
                })
            ),
            "{db}"
        );
        assert!(
            store
                .authenticate(second.expose_secret())
                .await
                .unwrap()
                .is_some()
        );

        let revoked = ts.revoke_api_key(target.id, t0()).await.unwrap();
        assert_eq!(revoked.revoked_at, Some(t0()), "{db}");
        assert!(
            store
                .authenticate(second.expose_secret())
                .await
                .unwrap()
                .is_none(),
            "{db}"
        );
        assert!(
            store
                .authenticate(first.api_key.expose_secret())
                .await
                .unwrap()
                .is_some(),
            "{db}"
        );
        let again = ts
            .revoke_api_key(target.id, t0() + Duration::hours(1))
            .await
            .unwrap();
        assert_eq!(
            again.revoked_at,
            Some(t0()),
            "{db}: the first revocation stays"
        );
        assert!(
            store
                .authenticate_at(second.expose_secret(), t0())
                .await
                .unwrap()
                .is_none(),
            "{db}"
        );

        // A key's use is recorded to the minute.
        let last_use = |keys: &[ApiKeyInfo]| {
            keys.iter()
                .find(|k| first.api_key.expose_secret().starts_with(&k.prefix))
                .unwrap()
                .last_used_at
        };
        assert_eq!(last_use(&ts.list_api_keys().await.unwrap()), None, "{db}");
        for (seconds, recorded) in [(0, 0), (59, 0), (60, 60), (90, 60)] {
            let at = t0() + Duration::seconds(seconds);
            let tenant = store
                .authenticate_at(first.api_key.expose_secret(), at)
                .await
                .unwrap();
            assert_eq!(tenant.map(|t| t.id), Some(first.tenant.id), "{db}");
            assert_eq!(
                last_use(&ts.list_api_keys().await.unwrap()),
                Some(t0() + Duration::seconds(recorded)),
                "{db}: used at +{seconds}s"
            );
        }
    }
}
