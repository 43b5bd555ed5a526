//! Conversations end to end, on the simulated clock, against real stores (SQLite, and
//! PostgreSQL when RECAUDO_TEST_DATABASE_URL is set): a message sent, the debtor's answer read
//! and acted on, the answer sent, and what the strategy does next.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use recaudo_channels::inbound_email::InboundEmail;
use recaudo_channels::links::LinkSigner;
use recaudo_channels::providers::sandbox;
use recaudo_channels::{Content, Provider, ProviderEnv};
use recaudo_domain::event::EventKind;
use recaudo_domain::outbox::{Contact, ContactState};
use recaudo_domain::portfolio::{Channel, Consent, ConsentStatus, DebtStatus, PromiseStatus};
use recaudo_domain::{Clock, Country, FixedClock, Money};
use recaudo_engine::dispatch::{DispatchOptions, Dispatcher};
use recaudo_engine::inbound::{Conversations, Inbound, Said, receive, receive_email};
use recaudo_engine::plan_all;
use recaudo_store::testing::stores;
use recaudo_store::*;

use crate::plan::at;

const WHATSAPP_FIRST: &str = "id: talk\nversion: 1\npriority: 1\n\
stop_when: [\"debt.balance <= 0.0\"]\n\
pause_while: [promise_active, dispute_open]\n\
steps:\n\
  - { id: due, at: due, send: { channel: whatsapp, template: due_today, fallback: [sms, email] } }\n\
  - { id: broken, after: { event: promise_broken, delay: 0d }, send: { channel: sms, template: promise_reminder, fallback: [email] } }\n";

const PHONE: &str = "+573001234567";
const EMAIL: &str = "ana@example.com";

fn links() -> LinkSigner {
    LinkSigner::new(b"test links", "http://127.0.0.1:8080")
}

/// A Colombian tenant and one debtor (WhatsApp, SMS and email with consent) owing 150,000 COP
/// due Monday 2026-12-07.
async fn setup(
    store: &Store,
    name: &str,
) -> (
    TenantStore,
    recaudo_domain::DebtorId,
    recaudo_domain::DebtId,
) {
    let t0 = at("2026-11-01T12:00:00Z");
    let tk = store
        .create_tenant(NewTenant::in_country(name, Country::Co), t0)
        .await
        .unwrap();
    let ts = store.tenant(&tk.tenant);
    ts.put_strategy(WHATSAPP_FIRST, t0).await.unwrap();
    let granted = Consent {
        status: ConsentStatus::Granted,
        source: Some("contract".into()),
        at: Some(t0),
    };
    let d = ts
        .create_debtor(
            NewDebtor {
                external_id: format!("{name}-1"),
                name: "Ana Torres".into(),
                ..Default::default()
            },
            t0,
        )
        .await
        .unwrap();
    for (channel, address) in [
        (Channel::Whatsapp, PHONE),
        (Channel::Sms, PHONE),
        (Channel::Email, EMAIL),
    ] {
        ts.add_contact_point(
            d.id,
            NewContactPoint {
                channel,
                address: Some(address.into()),
                postal: None,
                consent: granted.clone(),
                priority: None,
            },
            t0,
        )
        .await
        .unwrap();
    }
    let debt = ts
        .create_debt(
            NewDebt {
                debtor_id: d.id,
                external_id: format!("{name}-INV-1"),
                amount: Money::from_minor(15_000_000, Country::Co.currency()),
                balance: None,
                issued_on: None,
                due_on: NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
                product: None,
            },
            t0,
        )
        .await
        .unwrap();
    (ts, d.id, debt.id)
}

/// A dispatcher on `clock` whose sandbox delivers everything and makes up nothing (no replies,
/// no payments): the test says what the debtor does.
pub(crate) fn dispatcher(store: &Store, clock: Arc<FixedClock>) -> Dispatcher {
    let quiet = sandbox::Rates {
        delivered: 1.0,
        hard_bounce: 0.0,
        opened: 0.0,
        clicked: 0.0,
        replied: 0.0,
        paid: 0.0,
    };
    Dispatcher::new(
        store.clone(),
        clock,
        DispatchOptions {
            worker: "w1".into(),
            batch: 50,
            lease: Duration::from_secs(60),
            sandbox: Some(sandbox::Config {
                rates: [
                    Channel::Whatsapp,
                    Channel::Sms,
                    Channel::Email,
                    Channel::Voice,
                ]
                .into_iter()
                .map(|c| (c, quiet))
                .collect(),
                ..sandbox::Config::default()
            }),
            ..DispatchOptions::default()
        },
        ProviderEnv::new(std::env::temp_dir(), None),
        None,
        links(),
    )
}

async fn all_contacts(ts: &TenantStore, debtor: recaudo_domain::DebtorId) -> Vec<Contact> {
    ts.debtor_contacts(debtor, at("2026-01-01T00:00:00Z"))
        .await
        .unwrap()
}

/// The answers queued for the debtor.
async fn answers(ts: &TenantStore, debtor: recaudo_domain::DebtorId) -> Vec<Contact> {
    all_contacts(ts, debtor)
        .await
        .into_iter()
        .filter(Contact::is_answer)
        .collect()
}

fn text(from: &str, channel: Channel, body: &str, at_: DateTime<Utc>, key: &str) -> Inbound {
    Inbound {
        channel: Some(channel),
        from: from.into(),
        said: Said::Text(body.into()),
        contact_id: None,
        reply_token: None,
        in_reply_to: None,
        provider: Some("test".into()),
        dedupe_key: key.into(),
        at: at_,
    }
}

/// What the sandbox sent of a contact.
pub(crate) async fn sent_content(d: &Dispatcher, ts: &TenantStore, contact: &Contact) -> Content {
    for account in d.providers(ts).await.unwrap().accounts() {
        if let Provider::Sandbox(s) = &account.provider
            && let Some(m) = s
                .messages()
                .into_iter()
                .find(|m| m.message.contact_id == contact.id)
        {
            return m.message.content;
        }
    }
    panic!("contact {} was not sent", contact.id)
}

/// Plans and dispatches on each day's 10:00 Bogotá from `from` to `to`, returning the strategy
/// contacts (not answers) that went out.
async fn days(
    store: &Store,
    ts: &TenantStore,
    debtor: recaudo_domain::DebtorId,
    clock: &Arc<FixedClock>,
    d: &Dispatcher,
    from: u32,
    to: u32,
) -> Vec<Contact> {
    for day in from..=to {
        let now = at(&format!("2026-12-{day:02}T15:00:00Z"));
        clock.set(now);
        plan_all(store, now).await.unwrap();
        for _ in 0..3 {
            d.run_once().await.unwrap();
        }
    }
    all_contacts(ts, debtor)
        .await
        .into_iter()
        .filter(|c| {
            !c.is_answer() && matches!(c.state, ContactState::Sent | ContactState::Delivered)
        })
        .collect()
}

#[tokio::test]
async fn a_whatsapp_promise_pauses_until_friday_plus_grace_then_the_broken_step_fires() {
    for (db, store) in stores().await {
        let (ts, debtor, debt) = setup(&store, "wa").await;
        let monday = at("2026-12-07T15:00:00Z");
        let clock = Arc::new(FixedClock::new(monday));
        let d = dispatcher(&store, clock.clone());
        let sent = days(&store, &ts, debtor, &clock, &d, 7, 7).await;
        assert_eq!(sent.len(), 1, "{db}: {sent:?}");
        assert_eq!(sent[0].channel, Channel::Whatsapp, "{db}");

        // An hour later the debtor answers on WhatsApp.
        let reply_at = at("2026-12-07T16:00:00Z");
        clock.set(reply_at);
        let conversations = Conversations::new(links());
        let report = receive(
            &ts,
            &conversations,
            text(
                PHONE,
                Channel::Whatsapp,
                "Pago el viernes",
                reply_at,
                "wamid.1",
            ),
            reply_at,
        )
        .await
        .unwrap();
        let friday = NaiveDate::from_ymd_opt(2026, 12, 11).unwrap();
        assert_eq!(report.matched_by, "address", "{db}");
        assert_eq!(
            report.intent.as_deref(),
            Some("promise_to_pay"),
            "{db}: {report:?}"
        );
        assert_eq!(report.promised_on, Some(friday), "{db}");
        assert!(
            report
                .actions
                .iter()
                .any(|a| a.starts_with("promise_made:")),
            "{db}: {:?}",
            report.actions
        );
        let promises = ts.list_promises(debt).await.unwrap();
        assert_eq!(promises.len(), 1, "{db}");
        assert_eq!(promises[0].due_on, friday, "{db}");
        assert_eq!(
            promises[0].amount,
            Money::from_minor(15_000_000, Country::Co.currency())
        );
        assert_eq!(promises[0].channel, Some(Channel::Whatsapp), "{db}");
        // The same message again (a provider's retry) changes nothing.
        let again = receive(
            &ts,
            &conversations,
            text(
                PHONE,
                Channel::Whatsapp,
                "Pago el viernes",
                reply_at,
                "wamid.1",
            ),
            reply_at,
        )
        .await
        .unwrap();
        assert!(again.duplicate, "{db}");
        assert_eq!(ts.list_promises(debt).await.unwrap().len(), 1, "{db}");

        // The confirmation goes at once, on WhatsApp, as free text inside the 24 hours.
        d.run_once().await.unwrap();
        let answers: Vec<Contact> = answers(&ts, debtor).await;
        assert_eq!(answers.len(), 1, "{db}: {answers:?}");
        assert_eq!(
            answers[0].template.as_deref(),
            Some("reply_promise_confirmed")
        );
        assert!(
            matches!(
                answers[0].state,
                ContactState::Sent | ContactState::Delivered
            ),
            "{db}"
        );
        match sent_content(&d, &ts, &answers[0]).await {
            Content::Whatsapp(wa) => {
                assert!(wa.free_text.is_some(), "{db}: inside the window");
                assert!(wa.preview.contains("11"), "{db}: the date: {}", wa.preview);
            }
            other => panic!("{db}: {other:?}"),
        }
        // The timeline says why: the intent, naming the message, then the promise.
        let timeline = ts
            .debtor_timeline(debtor, &TimelineQuery::default())
            .await
            .unwrap()
            .items;
        let detected = timeline
            .iter()
            .find(|e| e.kind == EventKind::IntentDetected)
            .expect("intent_detected");
        let message = report.message_id.unwrap().to_string();
        assert_eq!(detected.data["message_id"], message.as_str(), "{db}");
        let made = timeline
            .iter()
            .find(|e| e.kind == EventKind::PromiseMade)
            .expect("promise_made");
        assert_eq!(made.data["message_id"], message.as_str(), "{db}");
        assert_eq!(made.data["intent"], "promise_to_pay", "{db}");

        // Nothing of the strategy's goes until Friday plus the grace days (0 by default): the
        // promise is broken on Saturday and the broken-promise step is due that day; Colombia's
        // one channel a week (WhatsApp went on Monday) holds the SMS to Monday the 14th.
        let before = days(&store, &ts, debtor, &clock, &d, 8, 11).await;
        assert_eq!(before.len(), 1, "{db}: only Monday's: {before:?}");
        let after = days(&store, &ts, debtor, &clock, &d, 12, 14).await;
        let broken: Vec<_> = after.iter().filter(|c| c.step == "broken").collect();
        assert_eq!(broken.len(), 1, "{db}: {after:?}");
        assert_eq!(broken[0].channel, Channel::Sms, "{db}");
        assert!(
            broken[0].scheduled_for >= at("2026-12-14T12:00:00Z"),
            "{db}: {}",
            broken[0].scheduled_for
        );
        let promise = ts.list_promises(debt).await.unwrap().remove(0);
        assert_eq!(promise.status, PromiseStatus::Broken, "{db}");
    }
}

#[tokio::test]
async fn a_promise_kept_is_thanked_once_on_its_channel() {
    for (db, store) in stores().await {
        let (ts, debtor, debt) = setup(&store, "kept").await;
        let clock = Arc::new(FixedClock::new(at("2026-12-07T15:00:00Z")));
        let d = dispatcher(&store, clock.clone());
        days(&store, &ts, debtor, &clock, &d, 7, 7).await;
        let reply_at = at("2026-12-07T16:00:00Z");
        let conversations = Conversations::new(links());
        receive(
            &ts,
            &conversations,
            text(
                PHONE,
                Channel::Whatsapp,
                "pago el viernes",
                reply_at,
                "wamid.2",
            ),
            reply_at,
        )
        .await
        .unwrap();
        // Paid in full on Thursday.
        let thursday = at("2026-12-10T14:00:00Z");
        clock.set(thursday);
        let balance = ts.get_debt(debt).await.unwrap().balance;
        ts.record_payment(
            debt,
            NewPayment {
                amount: balance,
                method: "transfer".into(),
                provider_ref: None,
                received_at: Some(thursday),
                allow_overpayment: false,
            },
            thursday,
        )
        .await
        .unwrap();
        assert_eq!(
            ts.get_debt(debt).await.unwrap().status,
            DebtStatus::Paid,
            "{db}"
        );
        let promise = ts.list_promises(debt).await.unwrap().remove(0);
        assert_eq!(promise.status, PromiseStatus::Kept, "{db}");
        for _ in 0..3 {
            d.run_once().await.unwrap();
        }
        let thanks: Vec<Contact> = all_contacts(&ts, debtor)
            .await
            .into_iter()
            .filter(|c| c.template.as_deref() == Some("reply_thanks"))
            .collect();
        assert_eq!(thanks.len(), 1, "{db}: once: {thanks:?}");
        assert_eq!(thanks[0].channel, Channel::Whatsapp, "{db}");
        assert!(
            matches!(
                thanks[0].state,
                ContactState::Sent | ContactState::Delivered
            ),
            "{db}"
        );
    }
}

#[tokio::test]
async fn stop_by_sms_opts_out_confirms_once_and_nothing_more_goes_by_sms() {
    for (db, store) in stores().await {
        let (ts, debtor, _) = setup(&store, "stop").await;
        // Monday 09:00 in Bogotá, inside the contact hours.
        let now = at("2026-12-07T14:00:00Z");
        let clock = Arc::new(FixedClock::new(now));
        let d = dispatcher(&store, clock.clone());
        let conversations = Conversations::new(links());
        let report = receive(
            &ts,
            &conversations,
            text("+57 300 123 4567", Channel::Sms, "STOP", now, "SM1"),
            now,
        )
        .await
        .unwrap();
        assert_eq!(report.intent.as_deref(), Some("opt_out"), "{db}");
        assert!(
            report.actions.contains(&"opted_out:sms".to_string()),
            "{db}: {report:?}"
        );
        let points = ts.list_contact_points(debtor).await.unwrap();
        let sms = points.iter().find(|p| p.channel == Channel::Sms).unwrap();
        let wa = points
            .iter()
            .find(|p| p.channel == Channel::Whatsapp)
            .unwrap();
        assert!(sms.opted_out_at.is_some(), "{db}");
        assert_eq!(sms.consent.status, ConsentStatus::OptedOut, "{db}");
        assert!(
            wa.opted_out_at.is_none(),
            "{db}: only the channel it came on"
        );
        // The confirmation goes, to the point just opted out, once.
        d.run_once().await.unwrap();
        let answers: Vec<Contact> = answers(&ts, debtor).await;
        assert_eq!(answers.len(), 1, "{db}: {answers:?}");
        assert_eq!(
            answers[0].template.as_deref(),
            Some("reply_opt_out"),
            "{db}"
        );
        assert!(
            matches!(
                answers[0].state,
                ContactState::Sent | ContactState::Delivered
            ),
            "{db}: {:?}",
            answers[0].state
        );
        // A second STOP is read, but not answered again.
        let later = at("2026-12-07T14:30:00Z");
        let again = receive(
            &ts,
            &conversations,
            text(PHONE, Channel::Sms, "STOP", later, "SM2"),
            later,
        )
        .await
        .unwrap();
        assert!(
            !again.actions.iter().any(|a| a.starts_with("reply_queued")),
            "{db}: {again:?}"
        );
        // The strategy's contacts keep away from SMS from now on (here by WhatsApp, and an
        // SMS step falls back).
        let sent = days(&store, &ts, debtor, &clock, &d, 7, 12).await;
        assert!(!sent.is_empty(), "{db}");
        assert!(
            sent.iter().all(|c| c.channel != Channel::Sms),
            "{db}: {sent:?}"
        );
        let sms_after: Vec<_> = all_contacts(&ts, debtor)
            .await
            .into_iter()
            .filter(|c| {
                c.channel == Channel::Sms
                    && matches!(c.state, ContactState::Sent | ContactState::Delivered)
                    && c.scheduled_for > later
            })
            .collect();
        assert!(sms_after.is_empty(), "{db}: {sms_after:?}");
    }
}

#[tokio::test]
async fn not_my_debt_opens_a_dispute_pauses_and_makes_a_task() {
    for (db, store) in stores().await {
        let (ts, debtor, debt) = setup(&store, "dispute").await;
        let clock = Arc::new(FixedClock::new(at("2026-12-07T15:00:00Z")));
        let d = dispatcher(&store, clock.clone());
        days(&store, &ts, debtor, &clock, &d, 7, 7).await;
        let now = at("2026-12-07T17:00:00Z");
        let report = receive(
            &ts,
            &Conversations::new(links()),
            text(
                PHONE,
                Channel::Whatsapp,
                "No es mi deuda, yo nunca compré eso",
                now,
                "wamid.3",
            ),
            now,
        )
        .await
        .unwrap();
        assert_eq!(
            report.intent.as_deref(),
            Some("dispute"),
            "{db}: {report:?}"
        );
        assert_eq!(
            ts.get_debt(debt).await.unwrap().status,
            DebtStatus::Disputed,
            "{db}"
        );
        let task = ts.get_task(report.task_id.expect("a task")).await.unwrap();
        assert_eq!(task.queue, "disputes", "{db}");
        assert_eq!(task.debtor_id, Some(debtor), "{db}");
        assert_eq!(task.message_id, report.message_id, "{db}");
        let timeline = ts
            .debtor_timeline(debtor, &TimelineQuery::default())
            .await
            .unwrap()
            .items;
        let created = timeline
            .iter()
            .find(|e| e.kind == EventKind::TaskCreated)
            .expect("task_created");
        assert_eq!(created.data["intent"], "dispute", "{db}");
        let opened = timeline
            .iter()
            .find(|e| e.kind == EventKind::DisputeOpened)
            .expect("dispute_opened");
        assert_eq!(opened.data["intent"], "dispute", "{db}");
        assert_eq!(
            opened.data["message_id"],
            report.message_id.unwrap().to_string().as_str(),
            "{db}"
        );
        let disputes = ts.list_disputes(debt).await.unwrap();
        assert_eq!(disputes.len(), 1, "{db}");
        assert!(disputes[0].reason.contains("nunca compré"), "{db}");
        // Collection is paused: nothing of the strategy's goes the next days.
        let sent = days(&store, &ts, debtor, &clock, &d, 8, 14).await;
        assert_eq!(sent.len(), 1, "{db}: only Monday's: {sent:?}");
    }
}

#[tokio::test]
async fn an_email_reply_is_read_from_its_new_text_and_found_by_its_reply_address() {
    for (db, store) in stores().await {
        let (ts, debtor, debt) = setup(&store, "mail").await;
        // The debtor's WhatsApp and SMS go, so the strategy writes by email.
        for p in ts.list_contact_points(debtor).await.unwrap() {
            if p.channel != Channel::Email {
                ts.set_consent(
                    p.id,
                    Consent {
                        status: ConsentStatus::Denied,
                        source: Some("test".into()),
                        at: Some(at("2026-11-02T12:00:00Z")),
                    },
                    at("2026-11-02T12:00:00Z"),
                )
                .await
                .unwrap();
            }
        }
        let clock = Arc::new(FixedClock::new(at("2026-12-07T15:00:00Z")));
        let d = dispatcher(&store, clock.clone());
        let sent = days(&store, &ts, debtor, &clock, &d, 7, 7).await;
        assert_eq!(sent.len(), 1, "{db}: {sent:?}");
        assert_eq!(sent[0].channel, Channel::Email, "{db}");
        let token = links().reply_token(sent[0].id);
        // The quoted history disputes nothing and promises nothing: only the new text counts.
        let raw = format!(
            "From: Ana Torres <ANA@example.com>\r\nTo: Cobranzas <r+{token}@reply.example.com>\r\n\
             Subject: Re: Su pago vence hoy\r\nMessage-ID: <reply-1@example.com>\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\r\n\
             Hola, pagaré el 15 de diciembre.\r\n\r\n\
             El lun, 7 dic 2026 a las 10:00, Cobranzas <r+{token}@reply.example.com> escribió:\r\n\
             > No reconozco esta deuda, es un error.\r\n> STOP\r\n"
        );
        let email =
            InboundEmail::from_mime(raw.as_bytes(), &[format!("r+{token}@reply.example.com")])
                .unwrap();
        let now = at("2026-12-07T18:00:00Z");
        let report = receive_email(&store, &Conversations::new(links()), None, &email, now)
            .await
            .unwrap();
        assert_eq!(report.matched_by, "reply_token", "{db}");
        assert_eq!(report.contact_id, Some(sent[0].id), "{db}");
        assert_eq!(
            report.intent.as_deref(),
            Some("promise_to_pay"),
            "{db}: {report:?}"
        );
        assert_eq!(
            report.promised_on,
            Some(NaiveDate::from_ymd_opt(2026, 12, 15).unwrap()),
            "{db}"
        );
        assert_eq!(
            ts.get_debt(debt).await.unwrap().status,
            DebtStatus::Promised,
            "{db}"
        );
        let message = ts.get_message(report.message_id.unwrap()).await.unwrap();
        assert!(
            message.body.contains("No reconozco"),
            "{db}: kept as received"
        );
        assert!(
            !message.text.contains("No reconozco"),
            "{db}: read without the quote"
        );
        // The contact it answers is marked answered.
        let entry = ts.outbox_entry(sent[0].id).await.unwrap();
        assert!(entry.replied_at.is_some(), "{db}");
        // Mail with no token for a tenant that takes none is refused.
        let stray = InboundEmail::from_mime(
            b"From: x@example.org\r\nTo: info@reply.example.com\r\nSubject: hi\r\n\r\nhello\r\n",
            &["info@reply.example.com".to_string()],
        )
        .unwrap();
        assert!(
            receive_email(&store, &Conversations::new(links()), None, &stray, now)
                .await
                .is_err(),
            "{db}"
        );
        let _ = clock.now();
    }
}

#[tokio::test]
async fn unknown_and_shared_senders_go_to_a_person_never_guessed() {
    for (db, store) in stores().await {
        let (ts, debtor, _) = setup(&store, "shared").await;
        let now = at("2026-12-07T15:00:00Z");
        let conversations = Conversations::new(links());
        let unknown = receive(
            &ts,
            &conversations,
            text("+573009999999", Channel::Sms, "ya pagué", now, "SMx"),
            now,
        )
        .await
        .unwrap();
        assert_eq!(unknown.matched_by, "unknown", "{db}");
        let task = ts.get_task(unknown.task_id.unwrap()).await.unwrap();
        assert_eq!(
            (task.queue.as_str(), task.debtor_id),
            ("unmatched", None),
            "{db}"
        );
        // A second debtor with the same phone.
        let other = ts
            .create_debtor(
                NewDebtor {
                    external_id: "shared-2".into(),
                    name: "Luis Torres".into(),
                    ..Default::default()
                },
                now,
            )
            .await
            .unwrap();
        ts.add_contact_point(
            other.id,
            NewContactPoint {
                channel: Channel::Sms,
                address: Some(PHONE.into()),
                postal: None,
                consent: Consent::default(),
                priority: None,
            },
            now,
        )
        .await
        .unwrap();
        let shared = receive(
            &ts,
            &conversations,
            text(PHONE, Channel::Sms, "pago mañana", now, "SMy"),
            now,
        )
        .await
        .unwrap();
        assert_eq!(shared.matched_by, "ambiguous", "{db}");
        assert_eq!(shared.debtor_id, None, "{db}");
        let mut candidates = shared.candidates.clone();
        candidates.sort();
        let mut expected = vec![debtor, other.id];
        expected.sort();
        assert_eq!(candidates, expected, "{db}");
        let task = ts.get_task(shared.task_id.unwrap()).await.unwrap();
        assert_eq!(task.candidates.len(), 2, "{db}");
        assert!(shared.intent.is_none(), "{db}: nothing decided for nobody");
    }
}

#[tokio::test]
async fn each_intent_gets_its_action_its_answer_and_its_task() {
    // (what the debtor writes, the intent, the first action, the answer's template, the task's
    // queue)
    type Case<'a> = (&'a str, &'a str, &'a str, Option<&'a str>, Option<&'a str>);
    let table: &[Case] = &[
        (
            "Ya pagué ayer, ¿pueden verificar?",
            "already_paid",
            "held_until",
            Some("reply_already_paid"),
            Some("inbox"),
        ),
        (
            "Estoy sin trabajo, ¿puedo pagar en cuotas?",
            "hardship",
            "reply_queued",
            Some("reply_hardship"),
            Some("negotiation"),
        ),
        (
            "Me mandan el link de pago por favor",
            "payment_link",
            "reply_queued",
            Some("payment_link"),
            None,
        ),
        (
            "Quiero hablar con un asesor",
            "human",
            "task",
            None,
            Some("inbox"),
        ),
        (
            "Este número no es de Ana, número equivocado",
            "wrong_person",
            "reply_queued",
            Some("reply_wrong_person"),
            Some("inbox"),
        ),
        (
            "Voy a pagar pronto",
            "promise_to_pay",
            "promise_without_date",
            Some("reply_promise_ask_date"),
            None,
        ),
        (
            "Pago el 3 de marzo de 2027",
            "promise_to_pay",
            "promise_date_refused",
            Some("reply_promise_ask_date"),
            None,
        ),
    ];
    for (db, store) in stores().await {
        for (i, (said, intent, action, answer, queue)) in table.iter().enumerate() {
            let (ts, debtor, debt) = setup(&store, &format!("intent{i}")).await;
            let now = at("2026-12-07T14:00:00Z");
            let report = receive(
                &ts,
                &Conversations::new(links()),
                text(PHONE, Channel::Whatsapp, said, now, &format!("wamid.t{i}")),
                now,
            )
            .await
            .unwrap();
            let case = format!("{db}: {said:?} → {report:?}");
            assert_eq!(report.intent.as_deref(), Some(*intent), "{case}");
            assert!(report.actions[0].starts_with(action), "{case}");
            let answers: Vec<Contact> = all_contacts(&ts, debtor)
                .await
                .into_iter()
                .filter(Contact::is_answer)
                .collect();
            assert_eq!(
                answers.first().and_then(|c| c.template.as_deref()),
                *answer,
                "{case}"
            );
            if let Some(answer) = answers.first() {
                assert_eq!(answer.reply_to, report.message_id, "{case}");
                assert_eq!(answer.channel, Channel::Whatsapp, "{case}");
            }
            match queue {
                Some(queue) => {
                    let task = ts.get_task(report.task_id.expect("a task")).await.unwrap();
                    assert_eq!(task.queue, *queue, "{case}");
                    assert_eq!(task.debtor_id, Some(debtor), "{case}");
                }
                None => assert_eq!(report.task_id, None, "{case}"),
            }
            let status = ts.get_debt(debt).await.unwrap().status;
            assert_eq!(status, DebtStatus::Open, "{case}: no promise, no dispute");
            if *intent == "wrong_person" {
                let points = ts.list_contact_points(debtor).await.unwrap();
                let wa = points
                    .iter()
                    .find(|p| p.channel == Channel::Whatsapp)
                    .unwrap();
                assert!(wa.is_unusable(), "{case}: not used again");
            }
        }
    }
}

#[tokio::test]
async fn keys_pressed_on_a_call_send_the_link_by_sms_or_promise_a_date() {
    for (db, store) in stores().await {
        let (ts, debtor, debt) = setup(&store, "voice").await;
        let now = at("2026-12-07T14:00:00Z");
        let conversations = Conversations::new(links());
        let keyed = |said: Said, key: &str| Inbound {
            channel: Some(Channel::Voice),
            from: PHONE.into(),
            said,
            contact_id: None,
            reply_token: None,
            in_reply_to: None,
            provider: Some("twilio-voice".into()),
            dedupe_key: key.into(),
            at: now,
        };
        let link = receive(
            &ts,
            &conversations,
            keyed(Said::MenuKey("1".into()), "CA1:1"),
            now,
        )
        .await
        .unwrap();
        assert_eq!(link.intent.as_deref(), Some("payment_link"), "{db}");
        let answers: Vec<Contact> = answers(&ts, debtor).await;
        assert_eq!(answers.len(), 1, "{db}");
        assert_eq!(
            answers[0].channel,
            Channel::Sms,
            "{db}: a call's answer goes by SMS"
        );
        assert_eq!(answers[0].template.as_deref(), Some("payment_link"), "{db}");

        // 3, then 2512: a promise for the 25th of December.
        let three = receive(
            &ts,
            &conversations,
            keyed(Said::MenuKey("3".into()), "CA1:3"),
            now,
        )
        .await
        .unwrap();
        assert_eq!(three.actions, vec!["awaiting_date".to_string()], "{db}");
        let date = receive(
            &ts,
            &conversations,
            keyed(Said::PromiseDigits("2512".into()), "CA1:date"),
            now,
        )
        .await
        .unwrap();
        assert_eq!(
            date.promised_on,
            Some(NaiveDate::from_ymd_opt(2026, 12, 25).unwrap()),
            "{db}"
        );
        let promises = ts.list_promises(debt).await.unwrap();
        assert_eq!(promises.len(), 1, "{db}");
        assert_eq!(promises[0].channel, Some(Channel::Voice), "{db}");
        // A keyed day that does not exist is asked again, nothing stored.
        let bad = receive(
            &ts,
            &conversations,
            keyed(Said::PromiseDigits("3102".into()), "CA2:date"),
            now,
        )
        .await
        .unwrap();
        assert!(
            bad.actions[0].starts_with("promise_without_date"),
            "{db}: {bad:?}"
        );
        assert_eq!(ts.list_promises(debt).await.unwrap().len(), 1, "{db}");
    }
}
