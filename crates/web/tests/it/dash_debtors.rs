//! The dashboard's debtor search, debtor page (with the full timeline: events and both sides of
//! the conversation) and agent queue, over HTTP and in headless Chromium: search by every key,
//! the timeline in order, each queue form refused to a viewer and without its anti-forgery value
//! (nothing changes), done by an agent through the API's own functions, bad input answered 422
//! at the field, another tenant's debtor and task not found.

use chrono::{Duration, NaiveDate};
use recaudo_domain::outbox::NewContact;
use recaudo_domain::portfolio::{Channel, Debt, DebtStatus};
use recaudo_domain::tasks::TaskState;
use recaudo_domain::{Currency, DebtorId, Money, TaskId};
use recaudo_store::{ContactRef, DispatchOutcome, NewDebtor, TaskFilter, TenantStore};
use serde_json::json;

use crate::a11y;
use crate::cdp::{Browser, CdpError, Page};
use crate::dash::{self, Site};
use crate::fixtures::{id, req, t0};

/// What the outbound SMS said, and what the debtor wrote back an hour later.
const SENT: &str = "Olá María, sua fatura FAT-1 vence hoje.";
const WROTE: &str = "Recebi a mensagem, obrigada";

/// Tenant A's debtor with a document, an SMS and an e-mail point and one debt of 900.00 BRL; an
/// SMS sent to them, an agent task (queue `agents`) on the debt, and their answer an hour later.
struct Fixture {
    ts: TenantStore,
    debtor: DebtorId,
    debt: Debt,
    task: TaskId,
}

async fn fixture(site: &Site) -> Fixture {
    let app = &site.app;
    let (r, k) = (&site.router, app.a.as_str());
    let ts = site.tenant(0);
    let created = req("POST", "/api/v1/debtors")
        .key(k)
        .json(
            &json!({"external_id": "BR-77", "name": "María Souza", "language": "pt",
                      "document_type": "CPF", "document_number": "123.456.789-09"}),
        )
        .send(r)
        .await;
    let debtor: DebtorId = id(created.ok(201)).parse().expect("a debtor id");
    for (channel, address) in [
        ("sms", "+55 11 98765-4321"),
        ("email", "Maria.Souza@Exemplo.com.br"),
    ] {
        req("POST", format!("/api/v1/debtors/{debtor}/contact_points"))
            .key(k)
            .json(
                &json!({"channel": channel, "address": address, "consent": {"status": "granted"}}),
            )
            .send(r)
            .await
            .ok(201);
    }
    // Another debtor, whom no search below may find.
    req("POST", "/api/v1/debtors")
        .key(k)
        .json(
            &json!({"external_id": "BR-88", "name": "João Lima", "document_number": "98765432100"}),
        )
        .send(r)
        .await
        .ok(201);
    let debt = req("POST", "/api/v1/debts")
        .key(k)
        .json(
            &json!({"debtor_id": debtor, "external_id": "FAT-1", "amount": "900.00",
                      "currency": "BRL", "due_on": "2026-11-01"}),
        )
        .send(r)
        .await;
    let debt = ts
        .get_debt(id(debt.ok(201)).parse().expect("a debt id"))
        .await
        .expect("the debt");

    // The strategy's steps: an agent task and an SMS, dispatched at t0.
    let task_step = NewContact {
        debtor_id: debtor,
        debt_id: debt.id,
        covers: vec![],
        contact_point_id: None,
        strategy: Some("consumer-default".into()),
        strategy_version: Some(1),
        step: "agent".into(),
        arm: None,
        channel: Channel::Voice,
        template: None,
        queue: Some("agents".into()),
        scheduled_for: t0(),
        local_date: NaiveDate::from_ymd_opt(2026, 11, 23).expect("date"),
        reason: "step agent due".into(),
    };
    let sms = NewContact {
        step: "due".into(),
        channel: Channel::Sms,
        template: Some("due_today".into()),
        queue: None,
        ..task_step.clone()
    };
    ts.plan_contacts(&[task_step, sms], t0())
        .await
        .expect("planned");
    let claimed = ts
        .claim_contacts(t0(), 10, std::time::Duration::from_secs(60), "w1")
        .await
        .expect("claimed");
    let outcomes = claimed
        .iter()
        .map(|contact| {
            let outcome = if contact.channel == Channel::Voice {
                DispatchOutcome::Task {
                    queue: "agents".into(),
                    script: "negotiate".into(),
                }
            } else {
                DispatchOutcome::Sent {
                    provider: "demo".into(),
                    provider_message_id: "sbx-1".into(),
                    cost: Some(Money::from_minor(5, Currency::Brl)),
                    content: json!({"kind": "sms", "body": SENT, "segments": 1}),
                    template: Some("due_today".into()),
                }
            };
            (ContactRef::from(contact), outcome)
        })
        .collect();
    ts.record_dispatch("w1", outcomes, t0())
        .await
        .expect("recorded");

    // The debtor answers an hour later.
    app.clock.advance(Duration::hours(1));
    req("POST", "/api/v1/messages/inbound")
        .key(k)
        .json(&json!({"channel": "sms", "from": "+5511987654321", "text": WROTE}))
        .send(r)
        .await
        .ok(200);
    let task = ts
        .list_tasks(&TaskFilter {
            queue: Some("agents".into()),
            ..Default::default()
        })
        .await
        .expect("tasks")
        .into_iter()
        .find(|t| t.debt_id == Some(debt.id))
        .expect("the agent task")
        .id;
    Fixture {
        ts,
        debtor,
        debt,
        task,
    }
}

/// Everything a queue form may change, to compare before and after.
#[derive(Debug, PartialEq)]
struct Snapshot {
    task_state: TaskState,
    assignee: Option<String>,
    notes: usize,
    promises: usize,
    payments: usize,
    disputes: usize,
    balance: Money,
    status: DebtStatus,
    contacts: usize,
}

async fn snapshot(f: &Fixture) -> Snapshot {
    let task = f.ts.get_task(f.task).await.expect("task");
    let debt = f.ts.get_debt(f.debt.id).await.expect("debt");
    Snapshot {
        task_state: task.state,
        assignee: task.assignee,
        notes: f.ts.task_notes(f.task).await.expect("notes").len(),
        promises: f.ts.list_promises(f.debt.id).await.expect("promises").len(),
        payments: f.ts.list_payments(f.debt.id).await.expect("payments").len(),
        disputes: f.ts.list_disputes(f.debt.id).await.expect("disputes").len(),
        balance: debt.balance,
        status: debt.status,
        contacts: f
            .ts
            .debtor_contacts(f.debtor, t0() - Duration::days(30))
            .await
            .expect("contacts")
            .len(),
    }
}

/// Every form of the task page with valid fields.
fn forms(debt: &Debt) -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    let debt = debt.id.to_string();
    vec![
        ("claim", vec![]),
        (
            "reply",
            vec![("text", "Olá María, obrigada pelo retorno.".into())],
        ),
        (
            "promise",
            vec![
                ("debt_id", debt.clone()),
                ("amount", "100.00".into()),
                ("due_on", "2026-11-26".into()),
            ],
        ),
        (
            "payment",
            vec![
                ("debt_id", debt.clone()),
                ("amount", "50.00".into()),
                ("received_on", "2026-11-23".into()),
                ("method", "transfer".into()),
            ],
        ),
        (
            "dispute",
            vec![
                ("debt_id", debt),
                ("reason", "wrong_amount".into()),
                ("text", "Diz que o valor está errado".into()),
            ],
        ),
        ("note", vec![("note", "Ligar de novo na sexta".into())]),
        ("resolve", vec![("outcome", "other".into())]),
    ]
}

/// A form, fields with a bad value, and the id of the message expected at the field.
type BadCase<'a> = (&'static str, Vec<(&'static str, &'a str)>, &'static str);

fn pairs<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test]
async fn dashboard_debtor_search_finds_by_each_key() {
    for site in Site::every_store().await {
        let f = fixture(&site).await;
        let cookie = site.cookie("viewer@a.test").await;
        let link = format!("/app/debtors/{}", f.debtor);
        for q in [
            "maria",
            "SOUZA",
            "BR-77",
            "12345678909",
            "123.456.789-09",
            "maria.souza@exemplo.com.br",
            "(11) 98765-4321",
            "+5511987654321",
        ] {
            let path = format!(
                "/app/debtors?{}",
                serde_urlencoded::to_string([("q", q), ("lang", "pt")]).expect("query")
            );
            let resp = site.get(&cookie, &path).await;
            assert_eq!(resp.status, 200, "{q}: {}", resp.text);
            assert!(resp.text.contains(&link), "{q} finds María: {}", resp.text);
            assert!(!resp.text.contains("João Lima"), "{q} finds only María");
            // Her open balance is on the row, as Portuguese writes it.
            assert!(resp.text.contains("900,00 BRL"), "{q}: {}", resp.text);
        }
        let none = site.get(&cookie, "/app/debtors?q=nobody-here").await;
        assert_eq!(none.status, 200);
        assert!(!none.text.contains(&link));

        let csv = site.get(&cookie, "/app/debtors.csv?q=maria").await;
        assert_eq!(csv.status, 200);
        assert!(
            csv.content_type().starts_with("text/csv"),
            "{:?}",
            csv.headers
        );
        assert!(
            csv.headers
                .get("content-disposition")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("attachment")),
            "{:?}",
            csv.headers
        );
        let lines: Vec<&str> = csv.text.lines().collect();
        assert_eq!(lines.len(), 2, "{}", csv.text);
        assert!(lines[1].contains("BR-77") && lines[1].contains("900.00 BRL"));
    }
}

#[tokio::test]
async fn dashboard_debtor_search_pages_with_a_cursor() {
    let site = Site::start().await;
    let ts = site.tenant(0);
    for n in 0..27 {
        ts.create_debtor(
            NewDebtor {
                external_id: format!("PG-{n:02}"),
                name: format!("Paula Gomes {n:02}"),
                ..Default::default()
            },
            t0(),
        )
        .await
        .expect("a debtor");
    }
    let cookie = site.cookie("viewer@a.test").await;
    let rows = |html: &str| html.matches("<tr><td><a href=\"/app/debtors/dbr_").count();
    let first = site.get(&cookie, "/app/debtors?q=paula").await;
    assert_eq!(first.status, 200);
    assert_eq!(rows(&first.text), 25, "{}", first.text);
    let marker = "rel=\"next\" href=\"";
    let at = first.text.find(marker).expect("a next page") + marker.len();
    let next = &first.text[at..];
    let next = next[..next.find('"').expect("end of the link")].replace("&amp;", "&");
    assert!(next.starts_with("/app/debtors?q=paula&cursor="), "{next}");
    let second = site.get(&cookie, &next).await;
    assert_eq!(second.status, 200);
    assert_eq!(rows(&second.text), 2, "{}", second.text);
    assert!(!second.text.contains("rel=\"next\""));
    // Every debtor once over the two pages.
    for n in 0..27 {
        let name = format!("Paula Gomes {n:02}");
        assert_eq!(
            first.text.matches(&name).count() + second.text.matches(&name).count(),
            1,
            "{name}"
        );
    }
    // The export holds them all, past the page size.
    let csv = site.get(&cookie, "/app/debtors.csv?q=paula").await;
    assert_eq!(csv.text.lines().count(), 28, "{}", csv.text);
}

#[tokio::test]
async fn dashboard_debtor_timeline_shows_both_sides_in_order() {
    for site in Site::every_store().await {
        let f = fixture(&site).await;
        let cookie = site.cookie("viewer@a.test").await;
        let resp = site
            .get(&cookie, &format!("/app/debtors/{}", f.debtor))
            .await;
        assert_eq!(resp.status, 200, "{}", resp.text);
        let page = &resp.text;
        let sent = page.find(SENT).expect("the SMS sent is on the timeline");
        let wrote = page
            .find(WROTE)
            .expect("the debtor's answer is on the timeline");
        assert!(
            sent < wrote,
            "the SMS (12:00 UTC) comes before the answer (13:00 UTC)"
        );
        assert!(page.contains("class=\"tl-out\"") && page.contains("class=\"tl-in\""));
        // In the debtor's zone (São Paulo, UTC−3): 09:00 and 10:00.
        assert!(page.contains("2026-11-23 09:00") && page.contains("2026-11-23 10:00"));
        assert!(page.contains("America/Sao_Paulo"));
        // The debt, its status and days late (22 on 2026-11-23), the contact points with consent.
        assert!(page.contains("FAT-1") && page.contains(">22<"), "{page}");
        assert!(page.contains("maria.souza@exemplo.com.br"));

        let csv = site
            .get(
                &cookie,
                &format!("/app/debtors/{}.csv?table=timeline", f.debtor),
            )
            .await;
        assert_eq!(csv.status, 200);
        assert!(csv.content_type().starts_with("text/csv"));
        let sent = csv.text.find(SENT).expect("sent in the CSV");
        let wrote = csv.text.find(WROTE).expect("answer in the CSV");
        assert!(sent < wrote);
        let debts = site
            .get(
                &cookie,
                &format!("/app/debtors/{}.csv?table=debts", f.debtor),
            )
            .await;
        assert!(debts.text.contains("FAT-1,") && debts.text.contains("900.00"));

        // Tenant B sees neither the debtor nor the task; nor does anyone an id that does not read.
        let other = site.cookie("admin@b.test").await;
        for path in [
            format!("/app/debtors/{}", f.debtor),
            format!("/app/debtors/{}.csv", f.debtor),
            format!("/app/queue/{}", f.task),
            "/app/debtors/dbr_nonsense".to_string(),
        ] {
            let resp = site.get(&other, &path).await;
            assert_eq!(resp.status, 404, "{path}");
            assert!(!resp.text.contains("María"), "{path}");
        }
        let agent_b = site
            .post_form(&other, &format!("/app/queue/{}/claim", f.task), &[])
            .await;
        assert_eq!(agent_b.status, 404);
        assert_eq!(
            f.ts.get_task(f.task).await.expect("task").state,
            TaskState::Open
        );
    }
}

#[tokio::test]
async fn dashboard_queue_forms_refuse_a_viewer_and_a_post_without_its_token() {
    for site in Site::every_store().await {
        let f = fixture(&site).await;
        let viewer = site.cookie("viewer@a.test").await;
        let agent = site.cookie("agent@a.test").await;
        let before = snapshot(&f).await;

        // The viewer reads the queue and the task, without the forms.
        let queue = site.get(&viewer, "/app/queue").await;
        assert_eq!(queue.status, 200);
        assert!(queue.text.contains(&format!("/app/queue/{}", f.task)));
        let task = site.get(&viewer, &format!("/app/queue/{}", f.task)).await;
        assert_eq!(task.status, 200);
        assert!(task.text.contains(SENT) && task.text.contains(WROTE));
        assert!(!task.text.contains("/claim\""), "no forms for a viewer");

        for (form, fields) in forms(&f.debt) {
            let path = format!("/app/queue/{}/{form}", f.task);
            let resp = site.post_form(&viewer, &path, &pairs(&fields)).await;
            assert_eq!(resp.status, 403, "a viewer's {form}: {}", resp.text);
            assert_eq!(snapshot(&f).await, before, "after a viewer's {form}");

            // An agent's post without the anti-forgery value.
            let mut body: Vec<(&str, &str)> = pairs(&fields);
            body.retain(|(k, _)| *k != "csrf");
            let resp = req("POST", path.as_str())
                .header("cookie", &agent)
                .raw(
                    "application/x-www-form-urlencoded",
                    serde_urlencoded::to_string(&body).expect("form"),
                )
                .send(&site.router)
                .await;
            assert_eq!(resp.status, 403, "an agent's {form} without csrf");
            assert_eq!(snapshot(&f).await, before, "after {form} without csrf");
        }
    }
}

#[tokio::test]
async fn dashboard_queue_forms_work_for_an_agent_and_name_the_bad_field() {
    for site in Site::every_store().await {
        let f = fixture(&site).await;
        let agent = site.cookie("agent@a.test").await;
        let task_path = format!("/app/queue/{}", f.task);
        let post = |form: &str| format!("{task_path}/{form}");
        let debt = f.debt.id.to_string();

        // Answering before claiming: 409, nothing queued.
        let before = snapshot(&f).await;
        let early = site
            .post_form(&agent, &post("reply"), &[("text", "Olá María")])
            .await;
        assert_eq!(early.status, 409, "{}", early.text);
        assert_eq!(snapshot(&f).await, before);

        let claimed = site.post_form(&agent, &post("claim"), &[]).await;
        assert_eq!(claimed.status, 303, "{}", claimed.text);
        assert_eq!(
            claimed
                .headers
                .get("location")
                .and_then(|v| v.to_str().ok()),
            Some(format!("{task_path}?done=claimed").as_str())
        );
        let task = f.ts.get_task(f.task).await.expect("task");
        assert_eq!(
            (task.state, task.assignee.as_deref()),
            (TaskState::Claimed, Some("agent@a.test"))
        );
        // Another operator cannot take it over: 409, the page says so, the task stays.
        let admin = site.cookie("admin@a.test").await;
        let taken = site
            .post_form(&admin, &format!("{}?lang=en", post("claim")), &[])
            .await;
        assert_eq!(taken.status, 409, "{}", taken.text);
        assert!(
            taken.text.contains("class=\"form-error\"") && taken.text.contains("agent@a.test"),
            "{}",
            taken.text
        );
        assert_eq!(
            f.ts.get_task(f.task)
                .await
                .expect("task")
                .assignee
                .as_deref(),
            Some("agent@a.test")
        );

        // The answer goes out through the outbox, as the API's does.
        let contacts = snapshot(&f).await.contacts;
        let replied = site
            .post_form(
                &agent,
                &post("reply"),
                &[("text", "Olá María, obrigada pelo retorno.")],
            )
            .await;
        assert_eq!(replied.status, 303, "{}", replied.text);
        assert_eq!(snapshot(&f).await.contacts, contacts + 1);

        // Bad input: 422 with the message at the field, nothing stored.
        let before = snapshot(&f).await;
        let cases: [BadCase; 6] = [
            (
                "promise",
                vec![("debt_id", &debt), ("amount", ""), ("due_on", "2026-11-26")],
                "promise-amount-error",
            ),
            (
                "promise",
                vec![
                    ("debt_id", &debt),
                    ("amount", "abc"),
                    ("due_on", "2026-11-26"),
                ],
                "promise-amount-error",
            ),
            (
                "promise",
                vec![
                    ("debt_id", &debt),
                    ("amount", "100.00"),
                    ("due_on", "2026-11-20"),
                ],
                "promise-due_on-error",
            ),
            (
                "payment",
                vec![
                    ("debt_id", &debt),
                    ("amount", "1000.00"),
                    ("received_on", "2026-11-23"),
                    ("method", "transfer"),
                ],
                "payment-amount-error",
            ),
            (
                "payment",
                vec![
                    ("debt_id", &debt),
                    ("amount", "10.00"),
                    ("received_on", "2026-12-30"),
                    ("method", "transfer"),
                ],
                "payment-received_on-error",
            ),
            ("note", vec![("note", "   ")], "note-note-error"),
        ];
        for (form, fields, error) in cases {
            let resp = site.post_form(&agent, &post(form), &fields).await;
            assert_eq!(resp.status, 422, "{form} {fields:?}: {}", resp.text);
            assert!(
                resp.text.contains(&format!("id=\"{error}\"")),
                "{form} {fields:?} names the field: {}",
                resp.text
            );
            // What was typed is kept.
            for (name, value) in &fields {
                if *name != "debt_id" && !value.trim().is_empty() {
                    assert!(resp.text.contains(value), "{form} keeps {name}={value}");
                }
            }
            assert_eq!(
                snapshot(&f).await,
                before,
                "{form} {fields:?} changed nothing"
            );
        }

        // A promise, a payment (the balance goes down), a note, a dispute, then resolved.
        let promised = site
            .post_form(
                &agent,
                &post("promise"),
                &[
                    ("debt_id", &debt),
                    ("amount", "100.00"),
                    ("due_on", "2026-11-26"),
                ],
            )
            .await;
        assert_eq!(promised.status, 303, "{}", promised.text);
        let promises = f.ts.list_promises(f.debt.id).await.expect("promises");
        assert_eq!(promises.len(), 1);
        assert_eq!(promises[0].amount, Money::from_minor(10_000, Currency::Brl));
        assert_eq!(
            promises[0].due_on,
            NaiveDate::from_ymd_opt(2026, 11, 26).expect("date")
        );

        let paid = site
            .post_form(
                &agent,
                &post("payment"),
                &[
                    ("debt_id", &debt),
                    ("amount", "50.00"),
                    ("received_on", "2026-11-22"),
                    ("method", "cash"),
                ],
            )
            .await;
        assert_eq!(paid.status, 303, "{}", paid.text);
        let payments = f.ts.list_payments(f.debt.id).await.expect("payments");
        assert_eq!(payments.len(), 1);
        assert_eq!(payments[0].method, "cash");
        assert_eq!(
            payments[0].received_at.date_naive(),
            NaiveDate::from_ymd_opt(2026, 11, 22).expect("date")
        );
        assert_eq!(
            f.ts.get_debt(f.debt.id).await.expect("debt").balance,
            Money::from_minor(85_000, Currency::Brl)
        );

        let noted = site
            .post_form(&agent, &post("note"), &[("note", "Ligar de novo na sexta")])
            .await;
        assert_eq!(noted.status, 303);
        let notes = f.ts.task_notes(f.task).await.expect("notes");
        assert_eq!((notes.len(), notes[0].author.as_str()), (1, "agent@a.test"));

        let disputed = site
            .post_form(
                &agent,
                &post("dispute"),
                &[
                    ("debt_id", &debt),
                    ("reason", "wrong_amount"),
                    ("text", "Diz que o valor está errado"),
                ],
            )
            .await;
        assert_eq!(disputed.status, 303, "{}", disputed.text);
        let disputes = f.ts.list_disputes(f.debt.id).await.expect("disputes");
        assert_eq!(disputes.len(), 1);
        assert!(disputes[0].reason.starts_with("wrong_amount: Diz"));
        assert_eq!(
            f.ts.get_debt(f.debt.id).await.expect("debt").status,
            DebtStatus::Disputed
        );

        // The page says what was done, and shows the note and the promise on the debtor's page.
        let shown = site
            .get(&agent, &format!("{task_path}?done=noted&lang=en"))
            .await;
        assert!(shown.text.contains("The note is saved.") && shown.text.contains("Ligar de novo"));
        let debtor = site
            .get(&agent, &format!("/app/debtors/{}", f.debtor))
            .await;
        assert!(debtor.text.contains("26/11/2026") || debtor.text.contains("2026-11-26"));

        let resolved = site
            .post_form(
                &agent,
                &post("resolve"),
                &[
                    ("outcome", "dispute"),
                    ("note", "Enviado ao time de contestações"),
                ],
            )
            .await;
        assert_eq!(resolved.status, 303);
        let task = f.ts.get_task(f.task).await.expect("task");
        assert_eq!(
            (task.state, task.outcome.as_deref()),
            (TaskState::Resolved, Some("dispute"))
        );
        let closed = site.get(&agent, &task_path).await;
        assert_eq!(closed.status, 200);
        assert!(!closed.text.contains("/claim\"") && !closed.text.contains("/promise\""));

        // The queue lists the task among the resolved ones, and exports it.
        let open = site.get(&agent, "/app/queue?queue=agents").await;
        assert!(!open.text.contains(&task_path));
        let done = site
            .get(&agent, "/app/queue?queue=agents&state=resolved")
            .await;
        assert!(done.text.contains(&task_path));
        let csv = site
            .get(&agent, "/app/queue.csv?queue=agents&state=resolved")
            .await;
        assert!(csv.content_type().starts_with("text/csv"));
        assert!(csv.text.contains(&f.task.to_string()) && csv.text.contains(",dispute"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_browser_search_opens_the_debtor_and_the_timeline() -> Result<(), CdpError> {
    let Some(browser) = Browser::shared() else {
        return Ok(());
    };
    let site = Site::start().await;
    let f = fixture(&site).await;
    let page = browser.page_desktop().await?;
    dash::login(&page, &site, "agent@a.test").await?;
    page.goto(&format!("{}/app/language/pt?back=/app/debtors", site.base))
        .await?;
    page.fill("#q", "maria").await?;
    page.submit_and_wait("form.search button").await?;
    assert_eq!(page.status().await?, 200);
    assert_accessible(&page).await?;
    page.submit_and_wait(&format!(
        "table.debtors a[href='/app/debtors/{}']",
        f.debtor
    ))
    .await?;
    assert_eq!(page.status().await?, 200, "{}", page.url().await?);
    assert!(page.text(".timeline .tl-out").await?.contains(SENT));
    assert!(page.text(".timeline .tl-in").await?.contains(WROTE));
    page.screenshot("dashboard-debtor").await?;
    assert_accessible(&page).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_browser_queue_claim_and_promise_show_on_the_debtor() -> Result<(), CdpError> {
    let Some(browser) = Browser::shared() else {
        return Ok(());
    };
    let site = Site::start().await;
    let f = fixture(&site).await;
    let page = browser.page_desktop().await?;
    dash::login(&page, &site, "agent@a.test").await?;
    page.goto(&format!("{}/app/language/es?back=/app/queue", site.base))
        .await?;
    assert_eq!(page.status().await?, 200);
    assert_accessible(&page).await?;
    page.submit_and_wait(&format!("table.queue a[href='/app/queue/{}']", f.task))
        .await?;
    page.submit_and_wait("#form-claim button").await?;
    assert!(page.text(".flash").await?.contains("La tarea es suya"));
    page.fill("#promise-amount", "120.00").await?;
    page.fill("#promise-due_on", "2026-11-27").await?;
    page.submit_and_wait("#form-promise button").await?;
    assert_eq!(page.status().await?, 200, "{}", page.url().await?);
    assert!(page.text(".flash").await?.contains("promesa"));
    page.screenshot("dashboard-queue").await?;
    assert_accessible(&page).await?;
    page.goto(&format!("{}/app/debtors/{}", site.base, f.debtor))
        .await?;
    let promises = page.text("table.promises").await?;
    assert!(
        promises.contains("120,00 BRL") && promises.contains("2026-11-27"),
        "{promises}"
    );
    Ok(())
}

/// Every field has its label and every text contrasts enough.
async fn assert_accessible(page: &Page) -> Result<(), CdpError> {
    let mut findings = a11y::labels(page).await?;
    findings.extend(a11y::contrast(page).await?);
    assert!(
        findings.is_empty(),
        "{}: {}",
        page.url().await?,
        a11y::report(&findings)
    );
    Ok(())
}
