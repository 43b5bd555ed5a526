//! What the dashboard's outbox and imports pages use: the outbox filtered by schedule and
//! paged by cursor, counted per state, labelled with its debtors and debts; a failed contact
//! retried; import runs listed, read and their progress recorded. On SQLite and, when
//! `RECAUDO_TEST_DATABASE_URL` is set, on PostgreSQL.

use crate::fixtures::t0;
use chrono::{Duration, NaiveDate};
use recaudo_domain::outbox::{ContactState, NewContact};
use recaudo_domain::portfolio::Channel;
use recaudo_domain::{ContactId, Country, Currency, ImportId, Money};
use recaudo_store::testing::stores;
use recaudo_store::*;
use serde_json::json;

async fn tenant(store: &Store, name: &str, country: Country) -> TenantStore {
    let tk = store
        .create_tenant(NewTenant::in_country(name, country), t0())
        .await
        .unwrap();
    store.tenant(&tk.tenant)
}

/// A debtor `ext` with one debt, and a contact planned on `channel` at `t0 + hours`.
async fn planned(ts: &TenantStore, ext: &str, channel: Channel, hours: i64) -> ContactId {
    let debtor = ts
        .create_debtor(
            NewDebtor {
                external_id: ext.into(),
                name: format!("Debtor {ext}"),
                timezone: Some("America/Sao_Paulo".into()),
                ..Default::default()
            },
            t0(),
        )
        .await
        .unwrap();
    let debt = ts
        .create_debt(
            NewDebt {
                debtor_id: debtor.id,
                external_id: format!("INV-{ext}"),
                amount: Money::from_minor(50_000, Currency::Brl),
                balance: None,
                issued_on: None,
                due_on: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
                product: None,
            },
            t0(),
        )
        .await
        .unwrap();
    let contact = NewContact {
        debtor_id: debtor.id,
        debt_id: debt.id,
        covers: vec![],
        contact_point_id: None,
        strategy: Some("consumer-default".into()),
        strategy_version: Some(1),
        step: "due".into(),
        arm: None,
        channel,
        template: Some("due_today".into()),
        queue: None,
        scheduled_for: t0() + Duration::hours(hours),
        local_date: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
        reason: "step due".into(),
    };
    ts.plan_contacts(&[contact], t0()).await.unwrap()[0]
}

/// Claims what is due at `at` and records each claimed contact's outcome from `outcome`.
async fn dispatch(
    ts: &TenantStore,
    at: chrono::DateTime<chrono::Utc>,
    outcome: impl Fn(&recaudo_domain::outbox::Contact) -> DispatchOutcome,
) -> Vec<ContactId> {
    let claimed = ts
        .claim_contacts(at, 50, std::time::Duration::from_secs(60), "w")
        .await
        .unwrap();
    let outcomes = claimed
        .iter()
        .map(|c| (ContactRef::from(c), outcome(c)))
        .collect();
    ts.record_dispatch("w", outcomes, at).await.unwrap();
    claimed.iter().map(|c| c.id).collect()
}

fn failed() -> DispatchOutcome {
    DispatchOutcome::Failed {
        code: "rejected".into(),
        error: "the provider refused the number".into(),
        address_unusable: false,
        fallback: None,
    }
}

#[tokio::test]
async fn a_failed_contact_is_retried_once_and_only_when_failed() {
    for (db, store) in stores().await {
        let a = tenant(&store, "Luz do Vale", Country::Br).await;
        let b = tenant(&store, "Agua Clara", Country::Co).await;
        let id = planned(&a, "F1", Channel::Sms, 0).await;
        let other = planned(&a, "P1", Channel::Sms, 48).await;
        assert_eq!(dispatch(&a, t0(), |_| failed()).await, vec![id], "{db}");
        let before = a.outbox_entry(id).await.unwrap();
        assert_eq!(before.contact.state, ContactState::Failed, "{db}");
        assert_eq!(before.contact.attempts, 1, "{db}");

        // Another tenant cannot touch it; a contact that did not fail is refused.
        let e = b.retry_contact(id, t0()).await.unwrap_err();
        assert!(
            matches!(
                e,
                StoreError::NotFound {
                    what: Entity::Contact,
                    ..
                }
            ),
            "{db}: {e}"
        );
        let e = a.retry_contact(other, t0()).await.unwrap_err();
        assert!(
            matches!(&e, StoreError::Conflict { reason, .. } if reason.contains("planned")),
            "{db}: {e}"
        );

        let later = t0() + Duration::hours(2);
        a.retry_contact(id, later).await.unwrap();
        let after = a.outbox_entry(id).await.unwrap();
        assert_eq!(after.contact.state, ContactState::Planned, "{db}");
        assert_eq!(after.contact.attempts, 1, "{db}: attempts are kept");
        assert_eq!(after.next_attempt_at, Some(later), "{db}");
        assert_eq!(after.outcome.as_deref(), Some("retry_requested"), "{db}");
        assert_eq!(
            after.last_error.as_deref(),
            Some("the provider refused the number"),
            "{db}: the last error stays readable"
        );
        // A second retry of the same contact finds it planned: queued once.
        let e = a.retry_contact(id, later).await.unwrap_err();
        assert!(matches!(e, StoreError::Conflict { .. }), "{db}: {e}");

        // The dispatcher claims it again (its attempt counted) and decides anew.
        let claimed = a
            .claim_contacts(later, 10, std::time::Duration::from_secs(60), "w2")
            .await
            .unwrap();
        let again = claimed.iter().find(|c| c.id == id).expect("claimed again");
        assert_eq!(again.attempts, 2, "{db}");
    }
}

#[tokio::test]
async fn a_retry_waits_for_a_fallback_under_way() {
    for (db, store) in stores().await {
        let a = tenant(&store, "Luz do Vale", Country::Br).await;
        let id = planned(&a, "F2", Channel::Sms, 0).await;
        let dispatched = dispatch(&a, t0(), |c| DispatchOutcome::Failed {
            code: "rejected".into(),
            error: "refused".into(),
            address_unusable: false,
            fallback: Some(NewContact {
                debtor_id: c.debtor_id,
                debt_id: c.debt_id,
                covers: vec![],
                contact_point_id: None,
                strategy: c.strategy.clone(),
                strategy_version: c.strategy_version,
                step: c.step.clone(),
                arm: None,
                channel: Channel::Email,
                template: Some("due_today".into()),
                queue: None,
                scheduled_for: t0(),
                local_date: c.local_date,
                reason: "fallback".into(),
            }),
        })
        .await;
        assert_eq!(dispatched, vec![id], "{db}");
        let e = a.retry_contact(id, t0()).await.unwrap_err();
        assert!(
            matches!(&e, StoreError::Conflict { reason, .. } if reason.contains("email")),
            "{db}: {e}"
        );
        assert_eq!(
            a.outbox_entry(id).await.unwrap().contact.state,
            ContactState::Failed,
            "{db}"
        );
    }
}

#[tokio::test]
async fn the_outbox_is_filtered_by_schedule_counted_labelled_and_paged() {
    for (db, store) in stores().await {
        let a = tenant(&store, "Luz do Vale", Country::Br).await;
        let b = tenant(&store, "Agua Clara", Country::Co).await;
        let mut ids = vec![];
        for (i, channel) in [Channel::Sms, Channel::Email, Channel::Sms, Channel::Sms]
            .into_iter()
            .enumerate()
        {
            ids.push(planned(&a, &format!("D{i}"), channel, i as i64).await);
        }
        planned(&b, "B0", Channel::Sms, 0).await;
        // The first two fail at t0 + 1 h; the others stay planned.
        let failed_ids = dispatch(&a, t0() + Duration::hours(1), |_| failed()).await;
        assert_eq!(failed_ids.len(), 2, "{db}");

        let all = OutboxFilter {
            by_schedule: true,
            limit: 2,
            ..Default::default()
        };
        let counts = a.outbox_state_counts(&all).await.unwrap();
        assert_eq!(counts.get("failed"), Some(&2), "{db}: {counts:?}");
        assert_eq!(counts.get("planned"), Some(&2), "{db}: {counts:?}");
        let sms = OutboxFilter {
            channel: Some(Channel::Sms),
            ..all.clone()
        };
        let counts = a.outbox_state_counts(&sms).await.unwrap();
        assert_eq!(counts.values().sum::<i64>(), 3, "{db}: {counts:?}");

        // Newest scheduled first, two a page, the cursor carrying on where a page ended.
        let first = a.list_outbox(&all).await.unwrap();
        let got: Vec<ContactId> = first.iter().map(|e| e.contact.id).collect();
        assert_eq!(got, vec![ids[3], ids[2]], "{db}");
        let cursor = OutboxCursor::after(&first[1], &all).unwrap();
        let parsed: OutboxCursor = cursor.to_string().parse().unwrap();
        assert_eq!(parsed, cursor, "{db}");
        let second = a
            .list_outbox(&OutboxFilter {
                after: Some(parsed),
                ..all.clone()
            })
            .await
            .unwrap();
        let got: Vec<ContactId> = second.iter().map(|e| e.contact.id).collect();
        assert_eq!(got, vec![ids[1], ids[0]], "{db}");

        // A window of the schedule: [t0 + 1 h, t0 + 3 h).
        let window = OutboxFilter {
            scheduled_from: Some(t0() + Duration::hours(1)),
            scheduled_to: Some(t0() + Duration::hours(3)),
            limit: 10,
            ..all.clone()
        };
        let got: Vec<ContactId> = a
            .list_outbox(&window)
            .await
            .unwrap()
            .iter()
            .map(|e| e.contact.id)
            .collect();
        assert_eq!(got, vec![ids[2], ids[1]], "{db}");
        let failed_only = OutboxFilter {
            state: Some("failed".into()),
            limit: 10,
            ..all.clone()
        };
        let listed = a.list_outbox(&failed_only).await.unwrap();
        assert_eq!(listed.len(), 2, "{db}");
        assert!(
            listed
                .iter()
                .all(|e| e.last_error.as_deref() == Some("the provider refused the number")),
            "{db}"
        );

        // Labels: this tenant's contacts only.
        let mut labels = a.outbox_labels(&ids).await.unwrap();
        labels.sort_by_key(|l| l.debt_external_id.clone());
        let names: Vec<(&str, &str, &str)> = labels
            .iter()
            .map(|l| {
                (
                    l.debtor_name.as_str(),
                    l.debt_external_id.as_str(),
                    l.debtor_timezone.as_str(),
                )
            })
            .collect();
        assert_eq!(
            names,
            vec![
                ("Debtor D0", "INV-D0", "America/Sao_Paulo"),
                ("Debtor D1", "INV-D1", "America/Sao_Paulo"),
                ("Debtor D2", "INV-D2", "America/Sao_Paulo"),
                ("Debtor D3", "INV-D3", "America/Sao_Paulo"),
            ],
            "{db}"
        );
        assert!(b.outbox_labels(&ids).await.unwrap().is_empty(), "{db}");
    }
}

#[tokio::test]
async fn import_runs_are_listed_with_their_progress_and_report() {
    for (db, store) in stores().await {
        let a = tenant(&store, "Luz do Vale", Country::Br).await;
        let b = tenant(&store, "Agua Clara", Country::Co).await;
        let first = a.start_import("first.csv", t0()).await.unwrap();
        let second = a
            .start_import("second.csv", t0() + Duration::minutes(1))
            .await
            .unwrap();
        a.import_progress(second, json!({"rows": 10, "total": 40}))
            .await
            .unwrap();
        let run = a.get_import(second).await.unwrap();
        assert_eq!(run.source, "second.csv", "{db}");
        assert_eq!(run.finished_at, None, "{db}");
        assert_eq!(run.report, Some(json!({"rows": 10, "total": 40})), "{db}");

        let report = json!({"rows": 40, "imported": 39, "errors": 1,
            "problems": [{"line": 3, "column": "amount", "value": "x", "reason": "not a number", "severity": "error"}]});
        let end = t0() + Duration::minutes(2);
        a.finish_import(second, report.clone(), end).await.unwrap();
        // Progress after the end changes nothing.
        a.import_progress(second, json!({"rows": 1})).await.unwrap();
        let run = a.get_import(second).await.unwrap();
        assert_eq!(run.finished_at, Some(end), "{db}");
        assert_eq!(run.report, Some(report), "{db}");

        let runs: Vec<ImportId> = a
            .list_imports(10)
            .await
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(runs, vec![second, first], "{db}");
        let latest: Vec<ImportId> = a
            .list_imports(1)
            .await
            .unwrap()
            .iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(latest, vec![second], "{db}");

        // Another tenant sees none of them.
        assert!(b.list_imports(10).await.unwrap().is_empty(), "{db}");
        let e = b.get_import(first).await.unwrap_err();
        assert!(
            matches!(
                e,
                StoreError::NotFound {
                    what: Entity::Import,
                    ..
                }
            ),
            "{db}: {e}"
        );
    }
}
