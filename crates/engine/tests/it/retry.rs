//! A failed contact an operator retries (`TenantStore::retry_contact`) goes through the
//! dispatcher's re-check like any contact: a point opted out since is not written to, and a
//! retry asked for at night waits for the contact hours. On SQLite and, when
//! `RECAUDO_TEST_DATABASE_URL` is set, on PostgreSQL.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use recaudo_channels::ProviderEnv;
use recaudo_channels::links::LinkSigner;
use recaudo_domain::outbox::{ContactState, NewContact};
use recaudo_domain::portfolio::{Channel, Consent, ConsentStatus};
use recaudo_domain::{ContactId, Country, Currency, FixedClock, Money};
use recaudo_engine::dispatch::{DispatchOptions, Dispatcher};
use recaudo_store::testing::stores;
use recaudo_store::*;

use crate::plan::at;

/// A debtor `ext` of `ts` with an SMS number (consent granted) and a debt, and an SMS
/// contact scheduled at `when` that failed there. Returns the contact and its point.
async fn failed_sms(
    ts: &TenantStore,
    ext: &str,
    phone: &str,
    when: chrono::DateTime<chrono::Utc>,
) -> (ContactId, recaudo_domain::ContactPointId) {
    let debtor = ts
        .create_debtor(
            NewDebtor {
                external_id: ext.into(),
                name: format!("Debtor {ext}"),
                timezone: Some("America/Sao_Paulo".into()),
                ..Default::default()
            },
            when,
        )
        .await
        .unwrap();
    let point = ts
        .add_contact_point(
            debtor.id,
            NewContactPoint {
                channel: Channel::Sms,
                address: Some(phone.into()),
                postal: None,
                consent: Consent {
                    status: ConsentStatus::Granted,
                    source: Some("contract".into()),
                    at: Some(when),
                },
                priority: None,
            },
            when,
        )
        .await
        .unwrap();
    let debt = ts
        .create_debt(
            NewDebt {
                debtor_id: debtor.id,
                external_id: format!("INV-{ext}"),
                amount: Money::from_minor(80_000, Currency::Brl),
                balance: None,
                issued_on: None,
                due_on: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
                product: None,
            },
            when,
        )
        .await
        .unwrap();
    let contact = NewContact {
        debtor_id: debtor.id,
        debt_id: debt.id,
        covers: vec![],
        contact_point_id: Some(point.id),
        strategy: None,
        strategy_version: None,
        step: "due".into(),
        arm: None,
        channel: Channel::Sms,
        template: Some("due_today".into()),
        queue: None,
        scheduled_for: when,
        local_date: when.date_naive(),
        reason: "step due".into(),
    };
    let id = ts.plan_contacts(&[contact], when).await.unwrap()[0];
    let claimed = ts
        .claim_contacts(when, 10, Duration::from_secs(60), "w0")
        .await
        .unwrap();
    let mine = claimed.iter().find(|c| c.id == id).expect("claimed");
    ts.record_dispatch(
        "w0",
        vec![(
            ContactRef::from(mine),
            DispatchOutcome::Failed {
                code: "provider_down".into(),
                error: "the gateway answered 503 too often".into(),
                address_unusable: false,
                fallback: None,
            },
        )],
        when,
    )
    .await
    .unwrap();
    (id, point.id)
}

fn dispatcher(store: &Store, clock: Arc<FixedClock>) -> Dispatcher {
    Dispatcher::new(
        store.clone(),
        clock,
        DispatchOptions {
            worker: "w1".into(),
            batch: 50,
            lease: Duration::from_secs(60),
            sandbox: Some(Default::default()),
            ..DispatchOptions::default()
        },
        ProviderEnv::new(std::env::temp_dir(), None),
        None,
        LinkSigner::new(b"test links", "http://127.0.0.1:8080"),
    )
}

#[tokio::test]
async fn a_retried_contact_is_checked_again_before_it_goes() {
    for (db, store) in stores().await {
        let tk = store
            .create_tenant(
                NewTenant::in_country("Luz do Vale", Country::Br),
                at("2026-11-23T12:00:00Z"),
            )
            .await
            .unwrap();
        let ts = store.tenant(&tk.tenant);
        // Monday 2026-11-23, 12:00 in São Paulo.
        let noon = at("2026-11-23T15:00:00Z");
        let (opted, point) = failed_sms(&ts, "OPT", "+5511987650001", noon).await;
        let (night, _) = failed_sms(&ts, "NIGHT", "+5511987650002", noon).await;

        // The debtor opts out after the failure; the operator retries anyway.
        ts.set_consent(
            point,
            Consent {
                status: ConsentStatus::OptedOut,
                source: Some("sms_reply".into()),
                at: Some(noon),
            },
            noon + chrono::Duration::minutes(5),
        )
        .await
        .unwrap();
        let later = noon + chrono::Duration::minutes(10);
        ts.retry_contact(opted, later).await.unwrap();
        let clock = Arc::new(FixedClock::new(later));
        let d = dispatcher(&store, clock.clone());
        d.run_once().await.unwrap();
        let entry = ts.outbox_entry(opted).await.unwrap();
        assert_eq!(entry.contact.state, ContactState::Cancelled, "{db}");
        assert_eq!(entry.outcome.as_deref(), Some("opted_out"), "{db}");
        assert_eq!(entry.sent_at, None, "{db}: nothing went out");

        // Retried at 23:30 local: it waits for the contact hours.
        let late = at("2026-11-24T02:30:00Z");
        ts.retry_contact(night, late).await.unwrap();
        clock.set(late);
        d.run_once().await.unwrap();
        let entry = ts.outbox_entry(night).await.unwrap();
        assert_eq!(
            entry.contact.state,
            ContactState::Planned,
            "{db}: {entry:?}"
        );
        assert_eq!(entry.sent_at, None, "{db}: nothing went out at night");
        let next = entry.next_attempt_at.expect("deferred to a time");
        assert!(next > late, "{db}: deferred to {next}");
        assert_ne!(
            entry.outcome.as_deref(),
            Some("retry_requested"),
            "{db}: the rules' reason"
        );
    }
}
