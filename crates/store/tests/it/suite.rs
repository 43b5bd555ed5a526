//! The store suite: every test runs on SQLite and, when `RECAUDO_TEST_DATABASE_URL` is set (CI
//! sets it), on PostgreSQL, each in a fresh database.

use crate::fixtures::t0;
use chrono::{Duration, NaiveDate};
use recaudo_domain::event::EventKind;
use recaudo_domain::portfolio::*;
use recaudo_domain::{Country, Currency, DebtorId, Money};
use recaudo_store::testing::stores;
use recaudo_store::*;

fn brl(minor: i64) -> Money {
    Money::from_minor(minor, Currency::Brl)
}

async fn tenant(store: &Store, name: &str, country: Country) -> TenantStore {
    let tk = store
        .create_tenant(NewTenant::in_country(name, country), t0())
        .await
        .unwrap();
    store.tenant(&tk.tenant)
}

async fn debtor(ts: &TenantStore, ext: &str) -> Debtor {
    ts.create_debtor(
        NewDebtor {
            external_id: ext.into(),
            name: format!("Debtor {ext}"),
            ..Default::default()
        },
        t0(),
    )
    .await
    .unwrap()
}

/// A Brazilian mobile number with SMS consent from the contract.
async fn sms_point(ts: &TenantStore, debtor: DebtorId) -> ContactPoint {
    ts.add_contact_point(
        debtor,
        NewContactPoint {
            channel: Channel::Sms,
            address: Some("(11) 98765-4321".into()),
            postal: None,
            consent: Consent {
                status: ConsentStatus::Granted,
                source: Some("contract".into()),
                at: Some(t0()),
            },
            priority: None,
        },
        t0(),
    )
    .await
    .unwrap()
}

async fn debt(ts: &TenantStore, debtor: DebtorId, ext: &str, minor: i64) -> Debt {
    ts.create_debt(
        NewDebt {
            debtor_id: debtor,
            external_id: ext.into(),
            amount: brl(minor),
            balance: None,
            issued_on: None,
            due_on: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            product: Some("electricity".into()),
        },
        t0(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn tenants_and_api_keys() {
    for (db, store) in stores().await {
        let tk = store
            .create_tenant(NewTenant::in_country("Luz do Vale", Country::Br), t0())
            .await
            .unwrap();
        assert_eq!(tk.tenant.currency, Currency::Brl, "{db}");
        assert_eq!(tk.tenant.timezone, "America/Sao_Paulo", "{db}");
        assert_eq!(tk.tenant.language, Language::Pt, "{db}");
        let found = store
            .authenticate(tk.api_key.expose_secret())
            .await
            .unwrap();
        assert_eq!(found.map(|t| t.id), Some(tk.tenant.id), "{db}");
        assert!(
            store.authenticate("rk_wrong").await.unwrap().is_none(),
            "{db}"
        );
        assert!(store.authenticate("").await.unwrap().is_none(), "{db}");
        let second = store.create_api_key(tk.tenant.id, t0()).await.unwrap();
        assert_ne!(second.expose_secret(), tk.api_key.expose_secret());
        assert_eq!(
            store
                .authenticate(second.expose_secret())
                .await
                .unwrap()
                .map(|t| t.id),
            Some(tk.tenant.id)
        );
        assert_eq!(
            store.get_tenant(tk.tenant.id).await.unwrap(),
            tk.tenant,
            "{db}"
        );
    }
}

#[tokio::test]
async fn a_tenant_follows_its_country_or_a_state_of_it() {
    use recaudo_domain::calendar::Jurisdiction;
    for (db, store) in stores().await {
        let national = store
            .create_tenant(NewTenant::in_country("Luz", Country::Br), t0())
            .await
            .unwrap();
        assert_eq!(national.tenant.jurisdiction, Jurisdiction::Br, "{db}");
        // Tenants made before the column existed have none: they follow their country.
        store
            .execute_admin("UPDATE tenants SET jurisdiction = NULL")
            .await
            .unwrap();
        let old = store.get_tenant(national.tenant.id).await.unwrap();
        assert_eq!(old.jurisdiction, Jurisdiction::Br, "{db}");
        let sp = store
            .create_tenant(
                NewTenant {
                    jurisdiction: Some(Jurisdiction::BrSp),
                    ..NewTenant::in_country("Luz SP", Country::Br)
                },
                t0(),
            )
            .await
            .unwrap();
        let stored = store.get_tenant(sp.tenant.id).await.unwrap();
        assert_eq!(stored.jurisdiction, Jurisdiction::BrSp, "{db}");
        let by_key = store
            .authenticate(sp.api_key.expose_secret())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(by_key.jurisdiction, Jurisdiction::BrSp, "{db}");
        let wrong = store
            .create_tenant(
                NewTenant {
                    jurisdiction: Some(Jurisdiction::BrSp),
                    ..NewTenant::in_country("Credito", Country::Co)
                },
                t0(),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&wrong, StoreError::Invalid { field, .. } if field == "jurisdiction"),
            "{db}: {wrong}"
        );
        assert_eq!(
            store.list_tenants().await.unwrap().len(),
            2,
            "{db}: nothing half-written"
        );
    }
}

#[tokio::test]
async fn debtors_round_trip_and_paginate() {
    for (db, store) in stores().await {
        let ts = tenant(&store, "A", Country::Co).await;
        let d = ts
            .create_debtor(
                NewDebtor {
                    external_id: " CO-1 ".into(),
                    name: "María Pérez".into(),
                    kind: Some(DebtorKind::Person),
                    document_type: Some("cc".into()),
                    document_number: Some("1020304050".into()),
                    birth_date: NaiveDate::from_ymd_opt(1990, 5, 17),
                    timezone: Some("America/Bogota".into()),
                    segment: Some("retail".into()),
                    tags: vec!["vip".into()],
                    attributes: Some(serde_json::json!({"contract": "C-9"})),
                    preferences: Some(Preferences {
                        allowed_weekdays: vec![WeekdayName(chrono::Weekday::Mon)],
                        allowed_hours: None,
                        preferred_channel: Some(Channel::Whatsapp),
                        language: None,
                        paperless: true,
                    }),
                    ..Default::default()
                },
                t0(),
            )
            .await
            .unwrap();
        assert_eq!(d.external_id, "CO-1");
        assert_eq!(d.language, Language::Es);
        assert_eq!(ts.get_debtor(d.id).await.unwrap(), d, "{db}");
        assert_eq!(ts.get_debtor_by_external_id("CO-1").await.unwrap().id, d.id);
        let dup = ts
            .create_debtor(
                NewDebtor {
                    external_id: "CO-1".into(),
                    name: "Other".into(),
                    ..Default::default()
                },
                t0(),
            )
            .await
            .unwrap_err();
        assert!(matches!(dup, StoreError::Duplicate { .. }), "{db}: {dup}");
        let bad_tz = ts
            .create_debtor(
                NewDebtor {
                    external_id: "CO-2".into(),
                    name: "X".into(),
                    timezone: Some("Mars/Olympus".into()),
                    ..Default::default()
                },
                t0(),
            )
            .await
            .unwrap_err();
        assert!(matches!(&bad_tz, StoreError::Invalid { field, .. } if field == "timezone"));

        for i in 0..7 {
            debtor(&ts, &format!("P-{i}")).await;
        }
        let mut seen = vec![];
        let mut cursor = None;
        loop {
            let page = ts
                .list_debtors(&DebtorFilter {
                    cursor: cursor.clone(),
                    limit: Some(3),
                    ..Default::default()
                })
                .await
                .unwrap();
            seen.extend(page.items.iter().map(|d| d.external_id.clone()));
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(seen.len(), 8, "{db}: {seen:?}");
        let filtered = ts
            .list_debtors(&DebtorFilter {
                search: Some("María".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(filtered.items.len(), 1, "{db}");
        let seg = ts
            .list_debtors(&DebtorFilter {
                segment: Some("retail".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(seg.items.len(), 1, "{db}");

        let mut upd = d.clone();
        upd.name = "María P. Gómez".into();
        let upd = ts
            .update_debtor(&upd, t0() + Duration::hours(1))
            .await
            .unwrap();
        assert_eq!(ts.get_debtor(d.id).await.unwrap(), upd, "{db}");
    }
}

#[tokio::test]
async fn contact_points_are_normalised_and_consent_is_tracked() {
    for (db, store) in stores().await {
        let ts = tenant(&store, "A", Country::Br).await;
        let d = debtor(&ts, "BR-1").await;
        let cp = sms_point(&ts, d.id).await;
        assert_eq!(cp.address, "+5511987654321", "{db}");
        let email = ts
            .add_contact_point(
                d.id,
                NewContactPoint {
                    channel: Channel::Email,
                    address: Some("Ana@Example.COM".into()),
                    postal: None,
                    consent: Consent::default(),
                    priority: None,
                },
                t0(),
            )
            .await
            .unwrap();
        assert_eq!(email.address, "ana@example.com");
        let bad = ts
            .add_contact_point(
                d.id,
                NewContactPoint {
                    channel: Channel::Email,
                    address: Some("not-an-email".into()),
                    postal: None,
                    consent: Consent::default(),
                    priority: None,
                },
                t0(),
            )
            .await
            .unwrap_err();
        assert!(matches!(&bad, StoreError::Invalid { field, .. } if field == "address"));
        let letter = ts
            .add_contact_point(
                d.id,
                NewContactPoint {
                    channel: Channel::Letter,
                    address: None,
                    postal: Some(PostalAddress {
                        line1: "Rua das Flores, 123".into(),
                        line2: None,
                        city: "São Paulo".into(),
                        region: Some("SP".into()),
                        postal_code: Some("01310-100".into()),
                        country: Country::Br,
                    }),
                    consent: Consent::default(),
                    priority: None,
                },
                t0(),
            )
            .await
            .unwrap();
        assert!(letter.address.contains("São Paulo - SP 01310-100"));

        let out = ts
            .set_consent(
                cp.id,
                Consent {
                    status: ConsentStatus::OptedOut,
                    source: Some("sms_stop".into()),
                    at: None,
                },
                t0() + Duration::days(1),
            )
            .await
            .unwrap();
        assert_eq!(out.opted_out_at, Some(t0() + Duration::days(1)));
        let all = ts.list_contact_points(d.id).await.unwrap();
        assert_eq!(all.len(), 3, "{db}");
        let sms = all.iter().find(|c| c.channel == Channel::Sms).unwrap();
        assert_eq!(sms.consent.status, ConsentStatus::OptedOut, "{db}");
        assert_eq!(sms.opted_out_at, Some(t0() + Duration::days(1)), "{db}");
        let tl = ts
            .debtor_timeline(d.id, &TimelineQuery::default())
            .await
            .unwrap();
        let kinds: Vec<_> = tl.items.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            vec![
                EventKind::DebtorCreated,
                EventKind::ContactPointAdded,
                EventKind::ContactPointAdded,
                EventKind::ContactPointAdded,
                EventKind::OptedOut
            ],
            "{db}"
        );
    }
}

#[tokio::test]
async fn payments_lower_the_balance_until_paid() {
    for (db, store) in stores().await {
        let ts = tenant(&store, "A", Country::Br).await;
        let d = debtor(&ts, "BR-1").await;
        let debt = debt(&ts, d.id, "INV-1", 10_000).await;
        assert_eq!(debt.status, DebtStatus::Open);
        let (_, after) = ts
            .record_payment(
                debt.id,
                NewPayment {
                    amount: brl(4_000),
                    method: "pix".into(),
                    provider_ref: Some("E123".into()),
                    received_at: None,
                    allow_overpayment: false,
                },
                t0(),
            )
            .await
            .unwrap();
        assert_eq!(after.balance, brl(6_000), "{db}");
        assert_eq!(after.status, DebtStatus::Open);
        let wrong = ts
            .record_payment(
                debt.id,
                NewPayment {
                    amount: Money::from_minor(100, Currency::Usd),
                    method: "card".into(),
                    provider_ref: None,
                    received_at: None,
                    allow_overpayment: false,
                },
                t0(),
            )
            .await
            .unwrap_err();
        assert!(matches!(wrong, StoreError::Rule(_)), "{db}: {wrong}");
        let (_, paid) = ts
            .record_payment(
                debt.id,
                NewPayment {
                    amount: brl(6_000),
                    method: "pix".into(),
                    provider_ref: None,
                    received_at: None,
                    allow_overpayment: false,
                },
                t0(),
            )
            .await
            .unwrap();
        assert_eq!(paid.balance, brl(0));
        assert_eq!(paid.status, DebtStatus::Paid, "{db}");
        assert_eq!(ts.get_debt(debt.id).await.unwrap(), paid, "{db}");
        assert_eq!(ts.list_payments(debt.id).await.unwrap().len(), 2);
        let kinds: Vec<_> = ts
            .debt_timeline(debt.id, &TimelineQuery::default())
            .await
            .unwrap()
            .items
            .iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            kinds,
            vec![
                EventKind::InvoiceIssued,
                EventKind::PaymentReceived,
                EventKind::PaymentReceived,
                EventKind::DebtPaid
            ],
            "{db}"
        );
    }
}

#[tokio::test]
async fn concurrent_payments_are_all_counted() {
    for (db, store) in stores().await {
        let ts = tenant(&store, "A", Country::Br).await;
        let d = debtor(&ts, "BR-1").await;
        let debt = debt(&ts, d.id, "INV-1", 100_000).await;
        let mut handles = vec![];
        for _ in 0..10 {
            let ts = ts.clone();
            handles.push(tokio::spawn(async move {
                ts.record_payment(
                    debt.id,
                    NewPayment {
                        amount: brl(1_000),
                        method: "cash".into(),
                        provider_ref: None,
                        received_at: None,
                        allow_overpayment: false,
                    },
                    t0(),
                )
                .await
            }));
        }
        for h in handles {
            h.await.unwrap().unwrap();
        }
        assert_eq!(
            ts.get_debt(debt.id).await.unwrap().balance,
            brl(90_000),
            "{db}"
        );
        assert_eq!(ts.list_payments(debt.id).await.unwrap().len(), 10, "{db}");
    }
}

#[tokio::test]
async fn promises_and_disputes() {
    for (db, store) in stores().await {
        let ts = tenant(&store, "A", Country::Br).await;
        let d = debtor(&ts, "BR-1").await;
        let debt = debt(&ts, d.id, "INV-1", 10_000).await;
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let (p, after) = ts
            .create_promise(
                debt.id,
                NewPromise {
                    amount: brl(10_000),
                    due_on: today + Duration::days(5),
                    channel: Some(Channel::Whatsapp),
                },
                t0(),
                today,
            )
            .await
            .unwrap();
        assert_eq!(after.status, DebtStatus::Promised, "{db}");
        assert_eq!(
            ts.list_promises(debt.id).await.unwrap(),
            vec![p.clone()],
            "{db}"
        );
        let by = |status| PromiseOverride {
            status,
            actor: "api_key:rk_abc123".into(),
            reason: "the debtor called: lost their job".into(),
        };
        let (closed, after) = ts
            .close_promise(p.id, by(PromiseStatus::Broken), t0())
            .await
            .unwrap();
        assert_eq!(closed.status, PromiseStatus::Broken);
        assert_eq!(after.status, DebtStatus::Open, "{db}");
        assert!(
            ts.close_promise(p.id, by(PromiseStatus::Kept), t0())
                .await
                .is_err()
        );

        let (dsp, after) = ts
            .open_dispute(debt.id, "I never got this bill", t0())
            .await
            .unwrap();
        assert_eq!(after.status, DebtStatus::Disputed, "{db}");
        assert!(
            ts.create_promise(
                debt.id,
                NewPromise {
                    amount: brl(1),
                    due_on: today,
                    channel: None
                },
                t0(),
                today
            )
            .await
            .is_err()
        );
        let (res, after) = ts
            .resolve_dispute(dsp.id, DisputeStatus::Rejected, t0())
            .await
            .unwrap();
        assert_eq!(res.status, DisputeStatus::Rejected);
        assert_eq!(after.status, DebtStatus::Open, "{db}");
        assert_eq!(ts.list_disputes(debt.id).await.unwrap(), vec![res], "{db}");
    }
}

#[tokio::test]
async fn every_read_and_write_is_tenant_scoped() {
    for (db, store) in stores().await {
        let a = tenant(&store, "A", Country::Br).await;
        let b = tenant(&store, "B", Country::Co).await;
        let da = debtor(&a, "SAME").await;
        // the same external id is free in another tenant
        let db_ = debtor(&b, "SAME").await;
        let debt_a = debt(&a, da.id, "INV", 5_000).await;
        assert!(
            matches!(b.get_debtor(da.id).await, Err(StoreError::NotFound { .. })),
            "{db}"
        );
        assert!(matches!(
            b.get_debt(debt_a.id).await,
            Err(StoreError::NotFound { .. })
        ));
        assert!(b.list_contact_points(da.id).await.is_err());
        assert!(
            b.debtor_timeline(da.id, &TimelineQuery::default())
                .await
                .is_err()
        );
        assert!(
            b.record_payment(
                debt_a.id,
                NewPayment {
                    amount: brl(1),
                    method: "x".into(),
                    provider_ref: None,
                    received_at: None,
                    allow_overpayment: false,
                },
                t0()
            )
            .await
            .is_err()
        );
        assert_eq!(a.get_debt(debt_a.id).await.unwrap().balance, brl(5_000));
        assert!(
            b.create_debt(
                NewDebt {
                    debtor_id: da.id,
                    external_id: "X".into(),
                    amount: brl(1),
                    balance: None,
                    issued_on: None,
                    due_on: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
                    product: None
                },
                t0()
            )
            .await
            .is_err()
        );
        let listed = b.list_debtors(&DebtorFilter::default()).await.unwrap();
        assert_eq!(
            listed.items.iter().map(|d| d.id).collect::<Vec<_>>(),
            vec![db_.id],
            "{db}"
        );
        assert!(
            b.list_debts(&DebtFilter::default())
                .await
                .unwrap()
                .items
                .is_empty()
        );
    }
}

#[tokio::test]
async fn idempotent_responses_are_kept_per_tenant() {
    for (db, store) in stores().await {
        let a = tenant(&store, "A", Country::Br).await;
        let b = tenant(&store, "B", Country::Br).await;
        let r = StoredResponse {
            request_hash: "h1".into(),
            status_code: 201,
            response: "{}".into(),
        };
        a.save_idempotent_response("k1", &r, t0()).await.unwrap();
        a.save_idempotent_response(
            "k1",
            &StoredResponse {
                request_hash: "h2".into(),
                ..r.clone()
            },
            t0(),
        )
        .await
        .unwrap();
        assert_eq!(a.idempotent_response("k1").await.unwrap(), Some(r), "{db}");
        assert_eq!(b.idempotent_response("k1").await.unwrap(), None, "{db}");
    }
}

#[tokio::test]
async fn planned_contacts_are_stored_once_per_key() {
    use recaudo_domain::outbox::{ContactState, NewContact};
    for (db, store) in stores().await {
        let ts = tenant(&store, "A", Country::Br).await;
        let d = debtor(&ts, "BR-1").await;
        let (a, b) = (
            debt(&ts, d.id, "INV-1", 10_000).await,
            debt(&ts, d.id, "INV-2", 5_000).await,
        );
        let sms = sms_point(&ts, d.id).await;
        let day = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let contact = NewContact {
            debtor_id: d.id,
            debt_id: a.id,
            covers: vec![b.id],
            contact_point_id: Some(sms.id),
            strategy: Some("consumer-default".into()),
            strategy_version: Some(2),
            step: "late-3".into(),
            arm: Some("B".into()),
            channel: Channel::Sms,
            template: Some("overdue_soft".into()),
            queue: None,
            scheduled_for: t0() + Duration::hours(22),
            local_date: day,
            reason: "step late-3 due; window 08:00-20:00".into(),
        };
        let email = NewContact {
            channel: Channel::Email,
            contact_point_id: None,
            covers: vec![],
            ..contact.clone()
        };
        let first = ts
            .plan_contacts(&[contact.clone(), email.clone()], t0())
            .await
            .unwrap();
        assert_eq!(first.len(), 2, "{db}");
        // The same day planned again adds nothing.
        let again = ts
            .plan_contacts(std::slice::from_ref(&contact), t0())
            .await
            .unwrap();
        assert!(again.is_empty(), "{db}: {again:?}");

        let stored = ts.get_contact(first[0]).await.unwrap();
        assert_eq!(
            (
                stored.debt_id,
                stored.covers.clone(),
                stored.contact_point_id,
                stored.state,
                stored.attempts,
                stored.strategy_version,
                stored.local_date,
                stored.scheduled_for,
            ),
            (
                a.id,
                vec![b.id],
                Some(sms.id),
                ContactState::Planned,
                0,
                Some(2),
                day,
                contact.scheduled_for,
            ),
            "{db}"
        );
        assert_eq!(stored.idempotency_key, contact.key(), "{db}");
        let history = ts.debtor_contacts(d.id, t0()).await.unwrap();
        assert_eq!(history.len(), 2, "{db}");
        assert!(
            ts.debtor_contacts(d.id, t0() + Duration::days(2))
                .await
                .unwrap()
                .is_empty(),
            "{db}"
        );
        let planned = ts
            .debt_timeline(a.id, &Default::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .filter(|e| e.kind == EventKind::ContactPlanned)
            .count();
        assert_eq!(
            planned, 2,
            "{db}: one event per new contact, none for the repeat"
        );

        // A debt of another debtor, or of another tenant, is refused; nothing is written.
        let other = debtor(&ts, "BR-2").await;
        let wrong = NewContact {
            debtor_id: other.id,
            local_date: day.succ_opt().unwrap(),
            ..contact.clone()
        };
        let e = ts.plan_contacts(&[wrong], t0()).await.unwrap_err();
        assert!(
            matches!(&e, StoreError::Invalid { field, .. } if field == "debt_id"),
            "{db}: {e}"
        );
        let stranger = tenant(&store, "B", Country::Br).await;
        let e = stranger
            .plan_contacts(std::slice::from_ref(&contact), t0())
            .await
            .unwrap_err();
        assert!(matches!(e, StoreError::NotFound { .. }), "{db}: {e}");
        let wrong_point = NewContact {
            channel: Channel::Voice,
            local_date: day.succ_opt().unwrap(),
            ..contact.clone()
        };
        let e = ts.plan_contacts(&[wrong_point], t0()).await.unwrap_err();
        assert!(
            matches!(&e, StoreError::Invalid { field, .. } if field == "contact_point_id"),
            "{db}: {e}"
        );
        assert_eq!(
            ts.debtor_contacts(d.id, t0()).await.unwrap().len(),
            2,
            "{db}"
        );
    }
}
