//! Provider accounts (insert or replace, list, get, delete, tenant isolation) and agent tasks
//! (created by a dispatched `task:` step, listed, claimed once, resolved with a timeline
//! event); on SQLite and, when `RECAUDO_TEST_DATABASE_URL` is set, on PostgreSQL.

use crate::fixtures::t0;
use chrono::{Duration, NaiveDate};
use recaudo_domain::event::EventKind;
use recaudo_domain::outbox::NewContact;
use recaudo_domain::portfolio::Channel;
use recaudo_domain::tasks::{Task, TaskState};
use recaudo_domain::{Country, Currency, Money, TaskId};
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

#[tokio::test]
async fn provider_accounts_are_replaced_by_name_and_tenant_scoped() {
    for (db, store) in stores().await {
        let a = tenant(&store, "Luz do Vale", Country::Br).await;
        let b = tenant(&store, "Agua Clara", Country::Co).await;
        assert!(a.list_provider_accounts().await.unwrap().is_empty(), "{db}");

        let settings = json!({"channels": ["sms"], "priority": 0});
        let (first, created) = a
            .put_provider_account(
                "twilio-main",
                "twilio_sms",
                settings.clone(),
                "v1.sealed-one".into(),
                t0(),
            )
            .await
            .unwrap();
        assert!(created, "{db}");
        assert_eq!(
            (
                first.name.as_str(),
                first.kind.as_str(),
                &first.settings,
                first.config_sealed.as_str(),
                first.created_at,
                first.updated_at
            ),
            (
                "twilio-main",
                "twilio_sms",
                &settings,
                "v1.sealed-one",
                t0(),
                t0()
            ),
            "{db}"
        );

        // The same name again replaces it, keeping when it was created.
        let later = t0() + Duration::hours(1);
        let settings2 = json!({"channels": ["sms", "voice"], "priority": 1});
        let (second, created) = a
            .put_provider_account(
                "twilio-main",
                "twilio_sms",
                settings2.clone(),
                "v1.sealed-two".into(),
                later,
            )
            .await
            .unwrap();
        assert!(!created, "{db}");
        assert_eq!(second.settings, settings2, "{db}");
        assert_eq!(second.config_sealed, "v1.sealed-two", "{db}");
        assert_eq!(
            (second.created_at, second.updated_at),
            (t0(), later),
            "{db}"
        );
        assert_eq!(a.get_provider_account("twilio-main").await.unwrap(), second);

        let (sandbox, _) = a
            .put_provider_account(
                "demo",
                "sandbox",
                json!({"channels": ["email"]}),
                "v1.s".into(),
                t0(),
            )
            .await
            .unwrap();
        let names: Vec<String> = a
            .list_provider_accounts()
            .await
            .unwrap()
            .into_iter()
            .map(|account| account.name)
            .collect();
        assert_eq!(names, ["demo", "twilio-main"], "{db}");
        assert_eq!(sandbox.kind, "sandbox");

        // Another tenant sees none of them, and may use the same name for its own.
        assert!(b.list_provider_accounts().await.unwrap().is_empty(), "{db}");
        assert!(matches!(
            b.get_provider_account("twilio-main").await,
            Err(StoreError::NotFound {
                what: Entity::ProviderAccount,
                ..
            })
        ));
        assert!(matches!(
            b.delete_provider_account("twilio-main").await,
            Err(StoreError::NotFound {
                what: Entity::ProviderAccount,
                ..
            })
        ));
        let (theirs, created) = b
            .put_provider_account(
                "twilio-main",
                "twilio_sms",
                json!({"channels": ["sms"]}),
                "v1.b".into(),
                t0(),
            )
            .await
            .unwrap();
        assert!(created, "{db}");
        assert_eq!(theirs.config_sealed, "v1.b");
        assert_eq!(
            a.get_provider_account("twilio-main")
                .await
                .unwrap()
                .config_sealed,
            "v1.sealed-two",
            "{db}"
        );

        a.delete_provider_account("twilio-main").await.unwrap();
        assert!(matches!(
            a.get_provider_account("twilio-main").await,
            Err(StoreError::NotFound { .. })
        ));
        assert_eq!(a.list_provider_accounts().await.unwrap().len(), 1, "{db}");
        assert_eq!(b.list_provider_accounts().await.unwrap().len(), 1, "{db}");

        let e = a
            .put_provider_account("", "sandbox", json!({}), "v1.x".into(), t0())
            .await
            .unwrap_err();
        assert!(
            matches!(&e, StoreError::Invalid { field, .. } if field == "name"),
            "{db}: {e}"
        );
    }
}

/// A debtor with a debt, and a `task:` step's contact dispatched into a task in `queue`.
async fn dispatched_task(ts: &TenantStore, ext: &str, queue: &str) -> Task {
    let debtor = ts
        .create_debtor(
            NewDebtor {
                external_id: ext.into(),
                name: format!("Debtor {ext}"),
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
                amount: Money::from_minor(90_000, Currency::Brl),
                balance: None,
                issued_on: None,
                due_on: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
                product: None,
            },
            t0(),
        )
        .await
        .unwrap();
    let planned = NewContact {
        debtor_id: debtor.id,
        debt_id: debt.id,
        covers: vec![],
        contact_point_id: None,
        strategy: Some("consumer-default".into()),
        strategy_version: Some(1),
        step: "agent".into(),
        arm: None,
        channel: Channel::Voice,
        template: None,
        queue: Some(queue.into()),
        scheduled_for: t0(),
        local_date: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
        reason: "step agent due".into(),
    };
    let id = ts.plan_contacts(&[planned], t0()).await.unwrap()[0];
    let claimed = ts
        .claim_contacts(t0(), 10, std::time::Duration::from_secs(60), "worker-1")
        .await
        .unwrap();
    let contact = claimed.into_iter().find(|c| c.id == id).unwrap();
    let stats = ts
        .record_dispatch(
            "worker-1",
            vec![(
                ContactRef::from(&contact),
                DispatchOutcome::Task {
                    queue: queue.into(),
                    script: "negotiate".into(),
                },
            )],
            t0(),
        )
        .await
        .unwrap();
    assert_eq!(stats.tasks, 1);
    let tasks = ts
        .list_tasks(&TaskFilter {
            queue: Some(queue.into()),
            ..Default::default()
        })
        .await
        .unwrap();
    tasks
        .into_iter()
        .find(|t| t.contact_id == Some(id))
        .unwrap()
}

#[tokio::test]
async fn tasks_are_listed_claimed_once_and_resolved_on_the_timeline() {
    for (db, store) in stores().await {
        let ts = tenant(&store, "Luz do Vale", Country::Br).await;
        let other = tenant(&store, "Agua Clara", Country::Co).await;
        let task = dispatched_task(&ts, "BR-1", "agents").await;
        assert_eq!(
            (
                task.state,
                task.queue.as_str(),
                task.script.as_str(),
                task.assignee.as_deref(),
                task.created_at
            ),
            (TaskState::Open, "agents", "negotiate", None, t0()),
            "{db}"
        );
        let second = dispatched_task(&ts, "BR-2", "legal").await;
        assert_eq!(ts.get_task(task.id).await.unwrap(), task, "{db}");

        // Filters: by state, by queue; oldest first.
        let all = ts.list_tasks(&TaskFilter::default()).await.unwrap();
        assert_eq!(
            all.iter().map(|t| t.id).collect::<Vec<_>>(),
            [task.id, second.id],
            "{db}"
        );
        let legal = ts
            .list_tasks(&TaskFilter {
                queue: Some("legal".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(legal, vec![second.clone()], "{db}");
        let limited = ts
            .list_tasks(&TaskFilter {
                limit: 1,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(limited.len(), 1, "{db}");

        // Claimed once: the same agent again is fine, another agent is a conflict.
        let at = t0() + Duration::minutes(5);
        let claimed = ts.claim_task(task.id, " ana ", at).await.unwrap();
        assert_eq!(
            (
                claimed.state,
                claimed.assignee.as_deref(),
                claimed.claimed_at,
                claimed.updated_at
            ),
            (TaskState::Claimed, Some("ana"), Some(at), at),
            "{db}"
        );
        let again = ts
            .claim_task(task.id, "ana", at + Duration::minutes(1))
            .await
            .unwrap();
        assert_eq!(again, claimed, "{db}");
        match ts.claim_task(task.id, "bruno", at).await {
            Err(StoreError::Conflict { what, reason, .. }) => {
                assert_eq!(what, Entity::Task);
                assert_eq!(reason, "already claimed by ana", "{db}");
            }
            other => panic!("{db}: {other:?}"),
        }
        let open = ts
            .list_tasks(&TaskFilter {
                state: Some(TaskState::Open),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(open, vec![second.clone()], "{db}");
        assert!(matches!(
            ts.claim_task(task.id, "  ", at).await,
            Err(StoreError::Invalid { ref field, .. }) if field == "assignee"
        ));

        // Resolved with its outcome and note, and `task_resolved` on the timeline.
        let done_at = at + Duration::minutes(20);
        let resolved = ts
            .resolve_task(task.id, "promise", Some("Will pay on Friday"), done_at)
            .await
            .unwrap();
        assert_eq!(
            (
                resolved.state,
                resolved.outcome.as_deref(),
                resolved.note.as_deref(),
                resolved.resolved_at,
                resolved.assignee.as_deref()
            ),
            (
                TaskState::Resolved,
                Some("promise"),
                Some("Will pay on Friday"),
                Some(done_at),
                Some("ana")
            ),
            "{db}"
        );
        let timeline = ts
            .debt_timeline(
                task.debt_id.expect("a step's task has its debt"),
                &TimelineQuery::default(),
            )
            .await
            .unwrap();
        let events: Vec<_> = timeline
            .items
            .iter()
            .filter(|e| e.kind == EventKind::TaskResolved)
            .collect();
        assert_eq!(events.len(), 1, "{db}");
        assert_eq!(events[0].data["task_id"], task.id.to_string(), "{db}");
        assert_eq!(events[0].data["outcome"], "promise", "{db}");
        assert_eq!(events[0].data["assignee"], "ana", "{db}");
        assert_eq!(events[0].at, done_at, "{db}");
        assert!(
            timeline
                .items
                .iter()
                .any(|e| e.kind == EventKind::TaskCreated),
            "{db}"
        );

        // Resolved is final: neither claimed nor resolved again.
        for result in [
            ts.claim_task(task.id, "ana", done_at).await,
            ts.resolve_task(task.id, "paid", None, done_at).await,
        ] {
            match result {
                Err(StoreError::Conflict { reason, .. }) => {
                    assert_eq!(reason, "already resolved", "{db}")
                }
                other => panic!("{db}: {other:?}"),
            }
        }
        // An open task resolves without a claim; an empty outcome is refused.
        assert!(matches!(
            ts.resolve_task(second.id, "", None, done_at).await,
            Err(StoreError::Invalid { ref field, .. }) if field == "outcome"
        ));
        let direct = ts
            .resolve_task(second.id, "no_answer", Some("  "), done_at)
            .await
            .unwrap();
        assert_eq!(
            (direct.state, direct.note, direct.assignee),
            (TaskState::Resolved, None, None),
            "{db}"
        );

        // Another tenant sees none of them.
        assert!(
            other
                .list_tasks(&TaskFilter::default())
                .await
                .unwrap()
                .is_empty(),
            "{db}"
        );
        for result in [
            other.get_task(task.id).await,
            other.claim_task(second.id, "eve", done_at).await,
            other.resolve_task(task.id, "paid", None, done_at).await,
            ts.get_task(TaskId::generate()).await,
        ] {
            assert!(
                matches!(
                    result,
                    Err(StoreError::NotFound {
                        what: Entity::Task,
                        ..
                    })
                ),
                "{db}: {result:?}"
            );
        }
    }
}
