//! The dashboard's outbox and imports pages: the outbox lists what the store holds with its
//! reasons and filters; a failed contact is retried by an agent and by no viewer, nor without
//! the form's anti-forgery value; an administrator's upload imports through the API's path and
//! its page lists the refused rows; tenants see only their own. Then both pages in Chromium.

use chrono::NaiveDate;
use recaudo_domain::outbox::{ContactState, NewContact};
use recaudo_domain::portfolio::Channel;
use recaudo_domain::{Clock, ContactId, Currency, ImportId, Money};
use recaudo_store::{ContactRef, DispatchOutcome, NewDebt, NewDebtor, TenantStore};

use crate::cdp::{Browser, CdpError};
use crate::dash::{self, Site};
use crate::fixtures::{Resp, req, t0};

/// Three debtors of tenant A with a contact each, dispatched at t0: Ana's SMS failed (the
/// provider refused the number), Bruno's e-mail deferred by the rules, Carla's SMS still
/// planned for the next day. Returns their ids in that order.
async fn outbox(ts: &TenantStore) -> [ContactId; 3] {
    let mut ids = vec![];
    let mut planned = vec![];
    for (i, (name, channel, days)) in [
        ("Ana Lima", Channel::Sms, 0),
        ("Bruno Reis", Channel::Email, 0),
        ("Carla Dias", Channel::Sms, 1),
    ]
    .into_iter()
    .enumerate()
    {
        let debtor = ts
            .create_debtor(
                NewDebtor {
                    external_id: format!("D-{i}"),
                    name: name.into(),
                    timezone: Some("America/Sao_Paulo".into()),
                    ..Default::default()
                },
                t0(),
            )
            .await
            .expect("debtor");
        let debt = ts
            .create_debt(
                NewDebt {
                    debtor_id: debtor.id,
                    external_id: format!("INV-{i}"),
                    amount: Money::from_minor(25_000, Currency::Brl),
                    balance: None,
                    issued_on: None,
                    due_on: NaiveDate::from_ymd_opt(2026, 11, 1).expect("date"),
                    product: None,
                },
                t0(),
            )
            .await
            .expect("debt");
        planned.push(NewContact {
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
            scheduled_for: t0() + chrono::Duration::days(days),
            local_date: NaiveDate::from_ymd_opt(2026, 11, 23).expect("date")
                + chrono::Duration::days(days),
            reason: "step due".into(),
        });
    }
    ids.extend(ts.plan_contacts(&planned, t0()).await.expect("planned"));
    let claimed = ts
        .claim_contacts(t0(), 10, std::time::Duration::from_secs(60), "w")
        .await
        .expect("claimed");
    assert_eq!(claimed.len(), 2, "Ana's and Bruno's contacts are due");
    let outcomes = claimed
        .iter()
        .map(|c| {
            let outcome = if c.id == ids[0] {
                DispatchOutcome::Failed {
                    code: "invalid_number".into(),
                    error: "the provider refused the number".into(),
                    address_unusable: false,
                    fallback: None,
                }
            } else {
                DispatchOutcome::Deferred {
                    until: t0() + chrono::Duration::hours(10),
                    reason: "quiet_hours".into(),
                }
            };
            (ContactRef::from(c), outcome)
        })
        .collect();
    ts.record_dispatch("w", outcomes, t0())
        .await
        .expect("recorded");
    [ids[0], ids[1], ids[2]]
}

/// The session's anti-forgery value, read from a page's form.
fn csrf_in(html: &str) -> String {
    dash::hidden_value(html, "csrf").expect("a form with its anti-forgery value")
}

async fn get(site: &Site, cookie: &str, path: &str) -> Resp {
    req("GET", path)
        .header("cookie", cookie)
        .send(&site.router)
        .await
}

async fn post(site: &Site, cookie: &str, path: &str, form: &[(&str, &str)]) -> Resp {
    let body = serde_urlencoded::to_string(form).expect("form");
    req("POST", path)
        .header("cookie", cookie)
        .header("sec-fetch-site", "same-origin")
        .raw("application/x-www-form-urlencoded", body)
        .send(&site.router)
        .await
}

/// A `multipart/form-data` body of text fields and one file.
fn multipart(fields: &[(&str, &str)], file: (&str, &str)) -> (String, Vec<u8>) {
    let boundary = "----recaudo-test-boundary-7d1f";
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\n\
         Content-Type: text/csv\r\n\r\n{}\r\n--{boundary}--\r\n",
        file.0, file.1
    ));
    (
        format!("multipart/form-data; boundary={boundary}"),
        body.into_bytes(),
    )
}

async fn upload(site: &Site, cookie: &str, csrf: &str, name: &str, csv: &str) -> Resp {
    let (content_type, body) = multipart(&[("csrf", csrf), ("locale", "")], (name, csv));
    req("POST", "/app/imports")
        .header("cookie", cookie)
        .header("sec-fetch-site", "same-origin")
        .raw(&content_type, body)
        .send(&site.router)
        .await
}

/// One good row and, on line 3, an amount that is not a number.
const BAD_ROW_CSV: &str = "debtor_external_id,debtor_name,email,debt_external_id,currency,amount,due_date\n\
    C-9,Davi Reis,davi@example.com,INV-9,BRL,75.10,2026-12-01\n\
    C-9,Davi Reis,davi@example.com,INV-10,BRL,not-a-number,2026-12-01\n";

#[tokio::test]
async fn dashboard_outbox_lists_the_store_with_reasons_and_filters() {
    for site in Site::every_store().await {
        eprintln!("--- {}", site.app.db);
        let a = site.tenant(0);
        let [failed, deferred, planned] = outbox(&a).await;
        let viewer = site.cookie("viewer@a.test").await;

        let page = get(&site, &viewer, "/app/outbox").await;
        assert_eq!(page.status, 200, "{}", page.text);
        for text in [
            "Ana Lima",
            "Bruno Reis",
            "Carla Dias",
            "INV-0",
            "invalid_number: the provider refused the number",
            "quiet_hours",
            "due_today",
        ] {
            assert!(page.text.contains(text), "{text} in {}", page.text);
        }
        // The schedule shows in the debtor's zone: 12:00 UTC is 09:00 in São Paulo.
        assert!(page.text.contains("2026-11-23 09:00"), "{}", page.text);
        assert!(page.text.contains("id=\"count-failed\""), "{}", page.text);
        // A viewer sees no retry button.
        assert!(
            !page.text.contains(&format!("id=\"retry-{failed}\"")),
            "{}",
            page.text
        );

        let only_failed = get(&site, &viewer, "/app/outbox?state=failed").await;
        assert_eq!(only_failed.status, 200);
        assert!(only_failed.text.contains(&format!("row-{failed}")));
        assert!(!only_failed.text.contains(&format!("row-{deferred}")));
        assert!(!only_failed.text.contains(&format!("row-{planned}")));
        let sms_planned = get(&site, &viewer, "/app/outbox?state=planned&channel=sms").await;
        assert!(sms_planned.text.contains(&format!("row-{planned}")));
        assert!(!sms_planned.text.contains(&format!("row-{deferred}")));
        let next_day = get(&site, &viewer, "/app/outbox?from=2026-11-24&to=2026-11-24").await;
        assert!(next_day.text.contains(&format!("row-{planned}")));
        assert!(!next_day.text.contains(&format!("row-{failed}")));

        let bad = get(&site, &viewer, "/app/outbox?state=lost&from=yesterday").await;
        assert_eq!(bad.status, 422, "{}", bad.text);
        assert!(bad.text.contains("id=\"state-error\""), "{}", bad.text);
        assert!(bad.text.contains("id=\"from-error\""), "{}", bad.text);

        let csv = get(&site, &viewer, "/app/outbox.csv?state=failed").await;
        assert_eq!(csv.status, 200);
        assert!(
            csv.content_type().starts_with("text/csv"),
            "{:?}",
            csv.headers
        );
        let lines: Vec<&str> = csv.text.lines().collect();
        assert_eq!(lines.len(), 2, "{}", csv.text);
        assert!(lines[0].starts_with("contact_id,"), "{}", csv.text);
        assert!(
            lines[1].contains("the provider refused the number"),
            "{}",
            csv.text
        );

        let detail = get(&site, &viewer, &format!("/app/outbox/{failed}")).await;
        assert_eq!(detail.status, 200, "{}", detail.text);
        assert!(detail.text.contains("the provider refused the number"));
        assert!(
            detail.text.contains("id=\"contact-attempts\">1<"),
            "{}",
            detail.text
        );
    }
}

#[tokio::test]
async fn dashboard_outbox_pages_with_a_cursor() {
    for site in Site::every_store().await {
        eprintln!("--- {}", site.app.db);
        let a = site.tenant(0);
        let debtor = a
            .create_debtor(
                NewDebtor {
                    external_id: "MANY".into(),
                    name: "Many Contacts".into(),
                    ..Default::default()
                },
                t0(),
            )
            .await
            .expect("debtor");
        let mut contacts = vec![];
        for i in 0..55 {
            let debt = a
                .create_debt(
                    NewDebt {
                        debtor_id: debtor.id,
                        external_id: format!("M-{i}"),
                        amount: Money::from_minor(1_000, Currency::Brl),
                        balance: None,
                        issued_on: None,
                        due_on: NaiveDate::from_ymd_opt(2026, 11, 1).expect("date"),
                        product: None,
                    },
                    t0(),
                )
                .await
                .expect("debt");
            contacts.push(NewContact {
                debtor_id: debtor.id,
                debt_id: debt.id,
                covers: vec![],
                contact_point_id: None,
                strategy: None,
                strategy_version: None,
                step: "due".into(),
                arm: None,
                channel: Channel::Sms,
                template: Some("due_today".into()),
                queue: None,
                scheduled_for: t0() + chrono::Duration::minutes(i),
                local_date: NaiveDate::from_ymd_opt(2026, 11, 23).expect("date"),
                reason: "step due".into(),
            });
        }
        let ids = a.plan_contacts(&contacts, t0()).await.expect("planned");
        let admin = site.cookie("admin@a.test").await;
        let first = get(&site, &admin, "/app/outbox").await;
        assert_eq!(first.text.matches("<tr id=\"row-").count(), 50);
        assert!(
            first.text.contains(&format!("row-{}", ids[54])),
            "newest first"
        );
        let marker = "id=\"next-page\" href=\"";
        let start = first.text.find(marker).expect("a next page link") + marker.len();
        let next = first.text[start..]
            .split('"')
            .next()
            .expect("href")
            .replace("&amp;", "&");
        let second = get(&site, &admin, &next).await;
        assert_eq!(second.status, 200, "{}", second.text);
        assert_eq!(second.text.matches("<tr id=\"row-").count(), 5);
        assert!(second.text.contains(&format!("row-{}", ids[0])));
        assert!(!second.text.contains("id=\"next-page\""));
    }
}

#[tokio::test]
async fn dashboard_retry_requeues_for_an_agent_only() {
    for site in Site::every_store().await {
        eprintln!("--- {}", site.app.db);
        let a = site.tenant(0);
        let [failed, _, _] = outbox(&a).await;
        let path = format!("/app/outbox/{failed}/retry");
        let state = |a: TenantStore| async move {
            let entry = a.outbox_entry(failed).await.expect("entry");
            (entry.contact.state, entry.contact.attempts)
        };

        // A viewer: 403, nothing changes.
        let viewer = site.cookie("viewer@a.test").await;
        let viewer_csrf = csrf_in(&get(&site, &viewer, "/app/outbox").await.text);
        let refused = post(&site, &viewer, &path, &[("csrf", &viewer_csrf)]).await;
        assert_eq!(refused.status, 403, "{}", refused.text);
        let refused = post(
            &site,
            &viewer,
            "/app/outbox/retry",
            &[("csrf", &viewer_csrf), ("id", &failed.to_string())],
        )
        .await;
        assert_eq!(refused.status, 403, "{}", refused.text);
        assert_eq!(state(a.clone()).await, (ContactState::Failed, 1));

        // An agent without the form's anti-forgery value, or with another's: 403, nothing changes.
        let agent = site.cookie("agent@a.test").await;
        let missing = post(&site, &agent, &path, &[]).await;
        assert_eq!(missing.status, 403, "{}", missing.text);
        let forged = post(&site, &agent, &path, &[("csrf", &viewer_csrf)]).await;
        assert_eq!(forged.status, 403, "{}", forged.text);
        assert_eq!(state(a.clone()).await, (ContactState::Failed, 1));

        // The agent's own form: queued again, attempts kept.
        let page = get(&site, &agent, "/app/outbox?state=failed").await;
        assert!(
            page.text.contains(&format!("id=\"retry-{failed}\"")),
            "{}",
            page.text
        );
        let csrf = csrf_in(&page.text);
        let done = post(&site, &agent, &path, &[("csrf", &csrf)]).await;
        assert_eq!(done.status, 303, "{}", done.text);
        assert_eq!(state(a.clone()).await, (ContactState::Planned, 1));
        let entry = a.outbox_entry(failed).await.expect("entry");
        assert_eq!(entry.next_attempt_at, Some(site.app.clock.now()));

        // Retrying what is no longer failed says why.
        let again = post(&site, &agent, &path, &[("csrf", &csrf)]).await;
        assert_eq!(again.status, 409, "{}", again.text);
        assert!(
            again.text.contains("only a failed contact"),
            "{}",
            again.text
        );
    }
}

#[tokio::test]
async fn dashboard_bulk_retry_takes_every_failed_contact_shown() {
    for site in Site::every_store().await {
        eprintln!("--- {}", site.app.db);
        let a = site.tenant(0);
        let b = site.tenant(1);
        let [failed, deferred, _] = outbox(&a).await;
        let [b_failed, _, _] = outbox(&b).await;
        let agent = site.cookie("agent@a.test").await;
        let page = get(&site, &agent, "/app/outbox?state=failed").await;
        assert!(page.text.contains("id=\"retry-all\""), "{}", page.text);
        let csrf = csrf_in(&page.text);
        let done = post(
            &site,
            &agent,
            "/app/outbox/retry",
            &[
                ("csrf", &csrf),
                ("id", &failed.to_string()),
                // Not failed, and another tenant's: skipped.
                ("id", &deferred.to_string()),
                ("id", &b_failed.to_string()),
                ("back", "state=failed"),
            ],
        )
        .await;
        assert_eq!(done.status, 303, "{}", done.text);
        assert_eq!(
            done.headers.get("location").and_then(|v| v.to_str().ok()),
            Some("/app/outbox?state=failed")
        );
        let state_of = |ts: &TenantStore, id| {
            let ts = ts.clone();
            async move { ts.outbox_entry(id).await.expect("entry").contact.state }
        };
        assert_eq!(state_of(&a, failed).await, ContactState::Planned);
        assert_eq!(state_of(&a, deferred).await, ContactState::Planned);
        assert_eq!(state_of(&b, b_failed).await, ContactState::Failed);
    }
}

#[tokio::test]
async fn dashboard_import_upload_lists_the_bad_row_for_an_admin_only() {
    for site in Site::every_store().await {
        eprintln!("--- {}", site.app.db);
        let a = site.tenant(0);

        // A viewer and an agent: 403, no import.
        for email in ["viewer@a.test", "agent@a.test"] {
            let cookie = site.cookie(email).await;
            let page = get(&site, &cookie, "/app/imports").await;
            assert_eq!(page.status, 200, "{}", page.text);
            assert!(
                !page.text.contains("id=\"import-file\""),
                "{email}: no upload form"
            );
            let csrf = csrf_in(&page.text);
            let refused = upload(&site, &cookie, &csrf, "debts.csv", BAD_ROW_CSV).await;
            assert_eq!(refused.status, 403, "{email}: {}", refused.text);
        }
        assert!(a.list_imports(10).await.expect("runs").is_empty());

        let admin = site.cookie("admin@a.test").await;
        let page = get(&site, &admin, "/app/imports").await;
        assert!(page.text.contains("id=\"import-file\""), "{}", page.text);
        let csrf = csrf_in(&page.text);
        // Without the anti-forgery value: 403, no import.
        let forged = upload(&site, &admin, "", "debts.csv", BAD_ROW_CSV).await;
        assert_eq!(forged.status, 403, "{}", forged.text);
        assert!(a.list_imports(10).await.expect("runs").is_empty());
        // An empty file: the form again, the message beside the file.
        let empty = upload(&site, &admin, &csrf, "empty.csv", "").await;
        assert_eq!(empty.status, 422, "{}", empty.text);
        assert!(empty.text.contains("id=\"file-error\""), "{}", empty.text);

        let done = upload(&site, &admin, &csrf, "debts.csv", BAD_ROW_CSV).await;
        assert_eq!(done.status, 303, "{}", done.text);
        let location = done
            .headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .expect("location")
            .to_string();
        let runs = a.list_imports(10).await.expect("runs");
        assert_eq!(runs.len(), 1);
        assert_eq!(location, format!("/app/imports/{}", runs[0].id));
        assert_eq!(runs[0].source, "debts.csv");
        // The same path as the API: the good row is a debt now.
        assert!(
            a.find_debt_by_external_id("INV-9")
                .await
                .expect("lookup")
                .is_some()
        );

        let run = get(&site, &admin, &location).await;
        assert_eq!(run.status, 200, "{}", run.text);
        assert!(run.text.contains("id=\"import-problems\""), "{}", run.text);
        let problems = &run.text[run.text.find("id=\"import-problems\"").expect("table")..];
        assert!(
            problems.contains("<td class=\"num\">3</td><td>amount</td><td>not-a-number</td>"),
            "{problems}"
        );
        assert!(
            run.text.contains("id=\"import-imported\">1<"),
            "{}",
            run.text
        );
        assert!(run.text.contains("id=\"import-errors\">1<"), "{}", run.text);
        // It ended: the page does not poll.
        assert!(!run.text.contains("hx-trigger"), "{}", run.text);

        let csv = get(&site, &admin, &format!("{location}/errors.csv")).await;
        assert_eq!(csv.status, 200);
        assert!(csv.content_type().starts_with("text/csv"));
        assert!(csv.text.contains("3,amount,not-a-number,"), "{}", csv.text);

        let list = get(&site, &admin, "/app/imports").await;
        assert!(list.text.contains("debts.csv"), "{}", list.text);
        let list_csv = get(&site, &admin, "/app/imports.csv").await;
        assert!(list_csv.text.contains("debts.csv,"), "{}", list_csv.text);

        // A file refused as a whole (unknown column): the run says why.
        let refused = upload(
            &site,
            &admin,
            &csrf,
            "colour.csv",
            "debtor_external_id,debtor_name,colour\nC-1,Ana,red\n",
        )
        .await;
        assert_eq!(refused.status, 303, "{}", refused.text);
        let location = refused
            .headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .expect("location")
            .to_string();
        let run = get(&site, &admin, &location).await;
        assert!(run.text.contains("id=\"import-error\""), "{}", run.text);
        assert!(run.text.contains("colour"), "{}", run.text);
    }
}

#[tokio::test]
async fn dashboard_running_import_page_refreshes_itself() {
    for site in Site::every_store().await {
        eprintln!("--- {}", site.app.db);
        let a = site.tenant(0);
        let id: ImportId = a.start_import("big.csv", t0()).await.expect("run");
        a.import_progress(id, serde_json::json!({"rows": 2000, "total": 8000}))
            .await
            .expect("progress");
        let viewer = site.cookie("viewer@a.test").await;
        let page = get(&site, &viewer, &format!("/app/imports/{id}")).await;
        assert_eq!(page.status, 200, "{}", page.text);
        assert!(
            page.text.contains("hx-trigger=\"every 2s\""),
            "{}",
            page.text
        );
        assert!(
            page.text.contains("id=\"import-rows\">2000<"),
            "{}",
            page.text
        );
        assert!(page.text.contains("max=\"8000\""), "{}", page.text);
    }
}

#[tokio::test]
async fn dashboard_tenants_see_only_their_contacts_and_imports() {
    for site in Site::every_store().await {
        eprintln!("--- {}", site.app.db);
        let a = site.tenant(0);
        let [failed, _, _] = outbox(&a).await;
        let import = a.start_import("a.csv", t0()).await.expect("run");
        let b_admin = site.cookie("admin@b.test").await;

        let list = get(&site, &b_admin, "/app/outbox").await;
        assert_eq!(list.status, 200);
        assert!(!list.text.contains("Ana Lima"), "{}", list.text);
        assert!(!list.text.contains(&failed.to_string()));
        let detail = get(&site, &b_admin, &format!("/app/outbox/{failed}")).await;
        assert_eq!(detail.status, 404, "{}", detail.text);
        let csrf = csrf_in(&list.text);
        let retry = post(
            &site,
            &b_admin,
            &format!("/app/outbox/{failed}/retry"),
            &[("csrf", &csrf)],
        )
        .await;
        assert_eq!(retry.status, 404, "{}", retry.text);
        assert_eq!(
            a.outbox_entry(failed).await.expect("entry").contact.state,
            ContactState::Failed
        );

        let imports = get(&site, &b_admin, "/app/imports").await;
        assert!(!imports.text.contains("a.csv"), "{}", imports.text);
        let run = get(&site, &b_admin, &format!("/app/imports/{import}")).await;
        assert_eq!(run.status, 404, "{}", run.text);
        let errors = get(
            &site,
            &b_admin,
            &format!("/app/imports/{import}/errors.csv"),
        )
        .await;
        assert_eq!(errors.status, 404);
        let bogus = get(&site, &b_admin, "/app/outbox/not-an-id").await;
        assert_eq!(bogus.status, 404);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_outbox_retry_and_import_upload_in_a_browser() -> Result<(), CdpError> {
    let Some(browser) = Browser::shared() else {
        return Ok(());
    };
    let site = Site::start().await;
    let a = site.tenant(0);
    let [failed, _, _] = outbox(&a).await;

    let agent = browser.page_desktop().await?;
    dash::login(&agent, &site, "agent@a.test").await?;
    agent.goto(&format!("{}/app/outbox", site.base)).await?;
    let table = agent.text("#outbox").await?;
    assert!(table.contains("Ana Lima"), "{table}");
    assert!(table.contains("the provider refused the number"), "{table}");
    agent.screenshot("dashboard-outbox").await?;
    agent.submit_and_wait(&format!("#retry-{failed}")).await?;
    assert_eq!(
        a.outbox_entry(failed).await.expect("entry").contact.state,
        ContactState::Planned
    );
    let row = agent.text(&format!("#row-{failed}")).await?;
    assert!(row.contains("retry_requested"), "{row}");

    let admin = browser.page_desktop().await?;
    dash::login(&admin, &site, "admin@a.test").await?;
    admin.goto(&format!("{}/app/imports", site.base)).await?;
    let file = std::env::temp_dir().join(format!("recaudo-dash-import-{}.csv", std::process::id()));
    std::fs::write(&file, BAD_ROW_CSV).expect("write the file");
    admin.set_file("#import-file", &file).await?;
    admin.screenshot("dashboard-imports-upload").await?;
    admin.submit_and_wait("#import-submit").await?;
    let _ = std::fs::remove_file(&file);
    admin
        .wait_for(
            "document.querySelector('#import-problems') !== null",
            std::time::Duration::from_secs(20),
        )
        .await?;
    let problems = admin.text("#import-problems").await?;
    assert!(problems.contains("amount"), "{problems}");
    assert!(problems.contains("not-a-number"), "{problems}");
    admin.screenshot("dashboard-imports").await?;

    // A run still going: its page asks for itself again until the run ends.
    let running = a.start_import("running.csv", t0()).await.expect("run");
    a.import_progress(running, serde_json::json!({"rows": 1, "total": 2}))
        .await
        .expect("progress");
    admin
        .goto(&format!("{}/app/imports/{running}", site.base))
        .await?;
    assert!(admin.text("#import-rows").await?.contains('1'));
    a.finish_import(
        running,
        serde_json::json!({"rows": 2, "imported": 2, "updated": 0, "errors": 0, "warnings": 0}),
        t0(),
    )
    .await
    .expect("finished");
    admin
        .wait_for(
            "document.querySelector('#import-imported') !== null",
            std::time::Duration::from_secs(10),
        )
        .await?;
    assert_eq!(admin.text("#import-imported").await?, "2");
    Ok(())
}
