//! The dispatcher against real stores (SQLite, and PostgreSQL when RECAUDO_TEST_DATABASE_URL is
//! set) and the sandbox provider: planned contacts are sent once, fail over to the step's next
//! channel, come back delivered and paid, and survive a dispatcher that died holding them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use recaudo_channels::links::LinkSigner;
use recaudo_channels::providers::sandbox;
use recaudo_channels::{Provider, ProviderEnv};
use recaudo_domain::event::EventKind;
use recaudo_domain::outbox::ContactState;
use recaudo_domain::portfolio::{Channel, DebtStatus};
use recaudo_domain::{Country, FixedClock};
use recaudo_engine::dispatch::{DispatchOptions, Dispatcher};
use recaudo_engine::plan_all;
use recaudo_store::testing::stores;
use recaudo_store::*;

use crate::plan::{at, contacts, tenant};

fn dispatcher(
    store: &Store,
    clock: Arc<FixedClock>,
    worker: &str,
    config: sandbox::Config,
) -> Dispatcher {
    Dispatcher::new(
        store.clone(),
        clock,
        DispatchOptions {
            worker: worker.into(),
            batch: 50,
            lease: Duration::from_secs(60),
            sandbox: Some(config),
            ..DispatchOptions::default()
        },
        ProviderEnv::new(std::env::temp_dir(), None),
        None,
        LinkSigner::new(b"test links", "http://127.0.0.1:8080"),
    )
}

/// Every message the dispatcher's sandbox took, by idempotency key.
async fn sandbox_keys(d: &Dispatcher, ts: &TenantStore) -> BTreeMap<String, usize> {
    let mut keys = BTreeMap::new();
    for account in d.providers(ts).await.unwrap().accounts() {
        if let Provider::Sandbox(s) = &account.provider {
            for m in s.messages() {
                *keys.entry(m.message.idempotency_key).or_default() += 1;
            }
        }
    }
    keys
}

#[tokio::test]
async fn planned_contacts_are_sent_once_fail_over_and_come_back_delivered_and_paid() {
    let due = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
    for (db, store) in stores().await {
        let ts = tenant(&store, "co", Country::Co, 8, due).await;
        let now = at("2026-12-02T15:00:00Z");
        plan_all(&store, now).await.unwrap();
        let planned = contacts(&ts).await;
        assert_eq!(planned.len(), 8, "{db}");

        let clock = Arc::new(FixedClock::new(now));
        // Debtor 0's mobile number is refused for good: its step goes on by email.
        // Every SMS arrives and is paid, so the test does not hang on the draws.
        let config = sandbox::Config {
            reject_addresses_containing: Some("+573012850000".into()),
            rates: [(
                Channel::Sms,
                sandbox::Rates {
                    delivered: 1.0,
                    hard_bounce: 0.0,
                    opened: 0.0,
                    clicked: 0.5,
                    replied: 0.5,
                    paid: 1.0,
                },
            )]
            .into(),
            ..sandbox::Config::default()
        };
        let d = dispatcher(&store, clock.clone(), "w1", config);
        // The fallback is due at once: the same pass's other worker may take it, or the next.
        let (mut claimed, mut sent, mut failed, mut fallbacks) = (0, 0, 0, 0);
        for _ in 0..3 {
            let pass = d.run_once().await.unwrap();
            claimed += pass.claimed;
            sent += pass.recorded.sent;
            failed += pass.recorded.failed;
            fallbacks += pass.recorded.fallbacks;
        }
        assert_eq!((claimed, sent, failed, fallbacks), (9, 8, 1, 1), "{db}");
        assert_eq!(d.run_once().await.unwrap().claimed, 0, "{db}: nothing left");

        let all = contacts(&ts).await;
        let failed: Vec<_> = all
            .iter()
            .filter(|c| c.state == ContactState::Failed)
            .collect();
        assert_eq!(failed.len(), 1, "{db}");
        assert_eq!(failed[0].channel, Channel::Sms);
        let email = all
            .iter()
            .find(|c| c.channel == Channel::Email)
            .expect("the fallback contact");
        assert_eq!(email.debt_id, failed[0].debt_id, "{db}");
        assert_eq!(email.state, ContactState::Sent, "{db}");
        let keys = sandbox_keys(&d, &ts).await;
        assert_eq!(keys.len(), 8, "{db}: {keys:?}");
        assert!(keys.values().all(|n| *n == 1), "{db}: each key once");

        // What went out reads back: the message and its event.
        let entry = ts.outbox_entry(email.id).await.unwrap();
        assert_eq!(entry.provider.as_deref(), Some("sandbox"), "{db}");
        let message = ts.contact_message(email.id).await.unwrap().expect("kept");
        assert_eq!(message["kind"], "email", "{db}: {message}");
        assert!(
            message["html"].as_str().unwrap().contains("/t/o/"),
            "{db}: the open pixel"
        );
        let timeline = ts
            .debt_timeline(email.debt_id, &TimelineQuery::default())
            .await
            .unwrap();
        let kinds: Vec<_> = timeline.items.iter().map(|e| e.kind).collect();
        assert!(kinds.contains(&EventKind::ContactSent), "{db}: {kinds:?}");
        assert!(kinds.contains(&EventKind::ContactFailed), "{db}: {kinds:?}");

        // Days later the sandbox's debtors have read, answered and paid.
        clock.set(at("2026-12-06T15:00:00Z"));
        let later = d.run_once().await.unwrap();
        assert!(later.tracked >= 8, "{db}: {later:?}");
        let counts = ts.outbox_counts().await.unwrap();
        assert!(counts.delivered >= 7, "{db}: {counts:?}");
        assert_eq!(
            counts.sent_by_channel.values().sum::<i64>(),
            8,
            "{db}: {counts:?}"
        );
        let debts = ts.list_debts(&DebtFilter::default()).await.unwrap().items;
        let paid = debts
            .iter()
            .filter(|d| d.status == DebtStatus::Paid)
            .count();
        assert!(paid >= 7, "{db}: every SMS debtor paid: {paid}");
        // A replay of the sandbox's reports changes nothing.
        assert_eq!(d.run_once().await.unwrap().tracked, 0, "{db}");
    }
}

#[tokio::test]
async fn a_contact_held_by_a_dead_dispatcher_is_sent_again_under_the_same_key() {
    let due = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
    for (db, store) in stores().await {
        let ts = tenant(&store, "co", Country::Co, 3, due).await;
        let now = at("2026-12-02T15:00:00Z");
        plan_all(&store, now).await.unwrap();
        // A dispatcher claims and dies before recording anything.
        let held = ts
            .claim_contacts(now, 10, Duration::from_secs(60), "dead")
            .await
            .unwrap();
        assert_eq!(held.len(), 3, "{db}");
        let clock = Arc::new(FixedClock::new(now));
        let d = dispatcher(&store, clock.clone(), "alive", sandbox::Config::default());
        assert_eq!(
            d.run_once().await.unwrap().claimed,
            0,
            "{db}: the lease holds"
        );
        clock.set(now + chrono::Duration::minutes(2));
        let report = d.run_once().await.unwrap();
        assert_eq!(
            (report.claimed, report.recorded.sent),
            (3, 3),
            "{db}: {report:?}"
        );
        for c in contacts(&ts).await {
            assert_eq!(c.state, ContactState::Sent, "{db}");
            assert_eq!(c.attempts, 2, "{db}: claimed twice");
        }
        // The dead dispatcher's late record changes nothing.
        let late = ts
            .record_dispatch(
                "dead",
                held.iter()
                    .map(|c| {
                        (
                            ContactRef::from(c),
                            DispatchOutcome::Cancelled {
                                reason: "late".into(),
                            },
                        )
                    })
                    .collect(),
                now,
            )
            .await
            .unwrap();
        assert_eq!(late.lost_lease, 3, "{db}");
    }
}

#[tokio::test]
async fn two_dispatchers_on_one_database_never_send_the_same_contact() {
    let due = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
    for (db, store) in stores().await {
        let ts = tenant(&store, "co", Country::Co, 120, due).await;
        let now = at("2026-12-02T15:00:00Z");
        plan_all(&store, now).await.unwrap();
        let clock = Arc::new(FixedClock::new(now));
        let a = dispatcher(&store, clock.clone(), "a", sandbox::Config::default());
        let b = dispatcher(&store, clock.clone(), "b", sandbox::Config::default());
        let mut sent = 0;
        loop {
            let (ra, rb) = tokio::join!(a.run_once(), b.run_once());
            let (ra, rb) = (ra.unwrap(), rb.unwrap());
            sent += ra.recorded.sent + rb.recorded.sent;
            if ra.claimed + rb.claimed == 0 {
                break;
            }
        }
        assert_eq!(sent, 120, "{db}: {:?}", ts.outbox_counts().await.unwrap());
        let ka = sandbox_keys(&a, &ts).await;
        let kb = sandbox_keys(&b, &ts).await;
        assert_eq!(ka.len() + kb.len(), 120, "{db}");
        assert!(ka.keys().all(|k| !kb.contains_key(k)), "{db}: no key twice");
        if db == "postgres" {
            assert!(!ka.is_empty() && !kb.is_empty(), "{db}: both worked");
        }
    }
}

#[tokio::test]
async fn an_installation_account_sends_for_a_tenant_that_has_none() {
    let due = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
    for (db, store) in stores().await {
        let ts = tenant(&store, "co", Country::Co, 4, due).await;
        let now = at("2026-12-02T15:00:00Z");
        plan_all(&store, now).await.unwrap();
        let mut env = ProviderEnv::new(std::env::temp_dir(), None);
        env.installation_accounts = Arc::new(vec![
            serde_json::from_value(serde_json::json!({
                "name": "house",
                "channels": ["sms", "email"],
                "cost": { "sms": { "amount": "0.0075", "currency": "USD" } },
                "config": { "kind": "sandbox" },
            }))
            .unwrap(),
        ]);
        let d = Dispatcher::new(
            store.clone(),
            Arc::new(FixedClock::new(now)),
            DispatchOptions {
                sandbox: None,
                ..DispatchOptions::default()
            },
            env,
            None,
            LinkSigner::new(b"test links", "http://127.0.0.1:8080"),
        );
        let report = d.run_once().await.unwrap();
        assert_eq!(report.recorded.sent, 4, "{db}: {report:?}");
        for c in contacts(&ts).await {
            let entry = ts.outbox_entry(c.id).await.unwrap();
            assert_eq!(entry.provider.as_deref(), Some("house"), "{db}");
            let cost = entry.cost.expect("the account's cost per SMS");
            assert_eq!(
                (
                    cost.amount.to_string().as_str(),
                    cost.currency.to_string().as_str()
                ),
                ("0.0075", "USD"),
                "{db}"
            );
        }
    }
}
