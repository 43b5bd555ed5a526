//! Payments end to end against real stores (SQLite, and PostgreSQL when
//! RECAUDO_TEST_DATABASE_URL is set): a PIX charge made for a debtor's debts, the PSP's signed
//! report verified, read and applied; balances lowered, planned contacts called off, the debtor
//! thanked once; replays, partial payments and reconciliation files.

use chrono::NaiveDate;
use recaudo_domain::outbox::ContactState;
use recaudo_domain::portfolio::{Channel, Consent, ConsentStatus, DebtStatus};
use recaudo_domain::{Country, Money, Secret};
use recaudo_engine::payments::{
    CheckoutUrls, PaymentAccount, PaymentSettings, PaymentStart, allocations_for,
    apply_payment_events, reconcile, start_payment,
};
use recaudo_payments::providers::pix::SIGNATURE_HEADER;
use recaudo_payments::{PaymentConfig, PixConfig, Provider};
use recaudo_store::testing::stores;
use recaudo_store::*;

use crate::plan::at;

const SECRET: &str = "pix-webhook-secret-0123456789";

fn pix_account() -> PaymentAccount {
    let config = PaymentConfig::Pix(PixConfig {
        key: "cobranca@exemplo.com.br".into(),
        merchant_name: "Energia Exemplo".into(),
        merchant_city: "São Paulo".into(),
        webhook_secret: Secret::new(SECRET.to_string()),
    });
    PaymentAccount {
        name: "pix-main".into(),
        settings: PaymentSettings::default(),
        provider: Provider::from_config(&config, recaudo_channels::http_client())
            .expect("pix builds"),
    }
}

fn urls(_: &PaymentIntent) -> CheckoutUrls {
    CheckoutUrls {
        success: "http://127.0.0.1:8080/p/x/pay".into(),
        cancel: "http://127.0.0.1:8080/p/x".into(),
        notification: "http://127.0.0.1:8080/payhooks/t/pix-main".into(),
    }
}

/// A Brazilian tenant, one debtor with WhatsApp and two debts (R$ 100,00 and R$ 50,00), and a
/// contact planned for each debt.
async fn setup(
    store: &Store,
    name: &str,
) -> (
    TenantStore,
    recaudo_domain::portfolio::Debtor,
    Vec<recaudo_domain::portfolio::Debt>,
) {
    let t0 = at("2026-11-01T12:00:00Z");
    let tk = store
        .create_tenant(NewTenant::in_country(name, Country::Br), t0)
        .await
        .unwrap();
    let ts = store.tenant(&tk.tenant);
    let debtor = ts
        .create_debtor(
            NewDebtor {
                external_id: format!("{name}-1"),
                name: "Maria Souza".into(),
                ..Default::default()
            },
            t0,
        )
        .await
        .unwrap();
    ts.add_contact_point(
        debtor.id,
        NewContactPoint {
            channel: Channel::Whatsapp,
            address: Some("+5511987654321".into()),
            postal: None,
            consent: Consent {
                status: ConsentStatus::Granted,
                source: Some("contract".into()),
                at: Some(t0),
            },
            priority: None,
        },
        t0,
    )
    .await
    .unwrap();
    let mut debts = vec![];
    for (i, cents) in [10_000, 5_000].into_iter().enumerate() {
        let debt = ts
            .create_debt(
                NewDebt {
                    debtor_id: debtor.id,
                    external_id: format!("{name}-INV-{i}"),
                    amount: Money::from_minor(cents, Country::Br.currency()),
                    balance: None,
                    issued_on: None,
                    due_on: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
                    product: None,
                },
                t0,
            )
            .await
            .unwrap();
        debts.push(debt);
    }
    (ts, debtor, debts)
}

/// The PSP's report of a PIX received, as the BACEN PIX API posts it, signed.
fn pix_report(txid: &str, value: &str, e2e: &str) -> (http::HeaderMap, Vec<u8>) {
    let body = serde_json::json!({"pix": [{
        "endToEndId": e2e, "txid": txid, "valor": value,
        "horario": "2026-12-02T13:00:00.000Z", "infoPagador": "pagamento"
    }]})
    .to_string()
    .into_bytes();
    let mut headers = http::HeaderMap::new();
    headers.insert(
        SIGNATURE_HEADER,
        recaudo_payments::signature::sha256_header(SECRET.as_bytes(), &body)
            .parse()
            .unwrap(),
    );
    (headers, body)
}

#[tokio::test]
async fn a_pix_paid_lowers_balances_cancels_contacts_and_thanks_once() {
    for (_, store) in stores().await {
        let (ts, debtor, debts) = setup(&store, "pix-paid").await;
        let now = at("2026-12-02T12:00:00Z");
        let account = pix_account();
        // Something is planned for the first debt: once it is paid, it must not go out.
        let planned = ts
            .enqueue_reply(
                NewReply {
                    debtor_id: debtor.id,
                    debt_id: debts[0].id,
                    covers: vec![],
                    contact_point_id: ts.list_contact_points(debtor.id).await.unwrap()[0].id,
                    channel: Channel::Whatsapp,
                    template: Some("due_today".into()),
                    body: None,
                    reply_to: None,
                    idempotency_key: "planned-before".into(),
                    local_date: now.date_naive(),
                    reason: "test".into(),
                },
                now,
            )
            .await
            .unwrap()
            .unwrap();
        // An answer is not "planned collection": flip it to a strategy step to stand for one.
        recaudo_store::testing::run_tx(
            &ts,
            vec![
                recaudo_store::testing::Statement::new(
                    "UPDATE contacts SET step = 'due' WHERE id = ",
                )
                .values(vec![planned.to_string().into()]),
            ],
        )
        .await
        .unwrap();

        let allocations = allocations_for(&debtor, &debts).unwrap();
        let intent = start_payment(
            &ts,
            &account,
            PaymentStart {
                debtor: &debtor,
                allocations,
                description: "Faturas".into(),
                origin: serde_json::json!({"source": "portal"}),
            },
            urls,
            now,
        )
        .await
        .unwrap();
        assert_eq!(
            intent.amount,
            Money::from_minor(15_000, Country::Br.currency())
        );
        let brcode = intent.action["pix"].as_str().expect("a BR Code");
        let parsed = recaudo_payments::providers::pix::brcode::parse(brcode).expect("valid EMV");
        assert_eq!(parsed.txid.as_deref(), Some(intent.txid.as_str()));

        let (headers, body) = pix_report(&intent.txid, "150.00", "E12345678202612021300abcdef01");
        account
            .provider
            .verify_webhook(&headers, "", &body, now)
            .expect("signed by the PSP");
        let events = account
            .provider
            .parse_webhook(&headers, "", &body)
            .await
            .unwrap();
        let report = apply_payment_events(&ts, &account.name, events.clone(), now)
            .await
            .unwrap();
        assert_eq!(report.applied, 2, "{report:?}");
        assert_eq!(report.cancelled_contacts, 1);
        assert_eq!(report.thanked, 1);
        for debt in &debts {
            let debt = ts.get_debt(debt.id).await.unwrap();
            assert_eq!(debt.status, DebtStatus::Paid);
            assert!(debt.balance.is_zero_or_less());
        }
        assert_eq!(
            ts.get_contact(planned).await.unwrap().state,
            ContactState::Cancelled
        );
        let intent = ts.get_payment_intent(intent.id).await.unwrap();
        assert_eq!(intent.status, IntentStatus::Paid);

        // The same report again, and a second report of the same payment: nothing changes.
        let again = apply_payment_events(&ts, &account.name, events, now)
            .await
            .unwrap();
        assert_eq!((again.applied, again.duplicates), (0, 1));
        let (headers, body) = pix_report(&intent.txid, "150.00", "E12345678202612021300abcdef01");
        let mut other = account
            .provider
            .parse_webhook(&headers, "", &body)
            .await
            .unwrap();
        other[0].event_id = "another-notification-of-the-same-payment".into();
        let again = apply_payment_events(&ts, &account.name, other, now)
            .await
            .unwrap();
        assert_eq!(again.applied, 0, "{again:?}");
        for debt in &debts {
            assert_eq!(ts.list_payments(debt.id).await.unwrap().len(), 1);
        }
        let thanks = ts
            .list_outbox(&OutboxFilter {
                debtor_id: Some(debtor.id),
                limit: 100,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_iter()
            .filter(|c| c.contact.template.as_deref() == Some("reply_thanks"))
            .count();
        assert_eq!(thanks, 1, "thanked once");
    }
}

#[tokio::test]
async fn a_partial_payment_pays_debts_in_order_and_a_forged_report_is_refused() {
    for (_, store) in stores().await {
        let (ts, debtor, debts) = setup(&store, "pix-partial").await;
        let now = at("2026-12-02T12:00:00Z");
        let account = pix_account();
        let intent = start_payment(
            &ts,
            &account,
            PaymentStart {
                debtor: &debtor,
                allocations: allocations_for(&debtor, &debts).unwrap(),
                description: "Faturas".into(),
                origin: serde_json::json!({}),
            },
            urls,
            now,
        )
        .await
        .unwrap();
        let (headers, mut body) = pix_report(&intent.txid, "120.00", "E1");
        // A forged body keeps the old signature: refused before it is read.
        let forged = String::from_utf8(body.clone())
            .unwrap()
            .replace("120.00", "999.00");
        assert!(
            account
                .provider
                .verify_webhook(&headers, "", forged.as_bytes(), now)
                .is_err()
        );
        let events = account
            .provider
            .parse_webhook(&headers, "", &body)
            .await
            .unwrap();
        body.clear();
        let report = apply_payment_events(&ts, &account.name, events, now)
            .await
            .unwrap();
        assert_eq!(report.applied, 2);
        let first = ts.get_debt(debts[0].id).await.unwrap();
        let second = ts.get_debt(debts[1].id).await.unwrap();
        assert_eq!(first.status, DebtStatus::Paid);
        assert_eq!(
            second.balance,
            Money::from_minor(3_000, Country::Br.currency())
        );
        assert_ne!(second.status, DebtStatus::Paid);
    }
}

#[tokio::test]
async fn a_reconciliation_file_pays_by_txid_and_by_reference_once() {
    for (_, store) in stores().await {
        let (ts, debtor, debts) = setup(&store, "pix-csv").await;
        let now = at("2026-12-02T12:00:00Z");
        let account = pix_account();
        let intent = start_payment(
            &ts,
            &account,
            PaymentStart {
                debtor: &debtor,
                allocations: allocations_for(&debtor, &debts[..1]).unwrap(),
                description: "Fatura".into(),
                origin: serde_json::json!({}),
            },
            urls,
            now,
        )
        .await
        .unwrap();
        let csv = format!(
            "txid,debt_external_id,amount,paid_at,reference\n\
             {},,100.00,2026-12-02T10:00:00Z,E777\n\
             ,pix-csv-INV-1,20.00,2026-12-02,BANK-1\n\
             ,no-such-debt,5.00,2026-12-02,BANK-2\n",
            intent.txid
        );
        let (rows, errors) = recaudo_payments::reconcile::parse(csv.as_bytes()).unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        let report = reconcile(&ts, &rows, now).await.unwrap();
        assert_eq!(report.totals.applied, 2, "{report:?}");
        assert_eq!(report.totals.unmatched, 1);
        assert_eq!(
            ts.get_debt(debts[0].id).await.unwrap().status,
            DebtStatus::Paid
        );
        assert_eq!(
            ts.get_debt(debts[1].id).await.unwrap().balance,
            Money::from_minor(3_000, Country::Br.currency())
        );
        // The same file again changes nothing: every row was read before.
        let again = reconcile(&ts, &rows, now).await.unwrap();
        assert_eq!(again.totals.applied, 0, "{again:?}");
        assert_eq!(again.totals.duplicates, 3);
        assert_eq!(ts.list_payments(debts[1].id).await.unwrap().len(), 1);
    }
}
