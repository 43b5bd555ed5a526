//! The pages, in a real headless Chromium against the real server on a loopback port: dumped
//! DOMs for the dashboard, and phone-sized pages driven through the DevTools protocol
//! (`crate::cdp`) with the accessibility checks (`crate::a11y`) and screenshots kept in
//! `{target}/test-artifacts/browser/`. CI installs Chromium (`.ci/run`); on a machine without
//! it the tests say so and, outside CI, pass without running.

use crate::a11y;
use crate::cdp::{Browser, CdpError};
use crate::fixtures;

use std::path::Path;
use std::process::Command;

use crate::cdp::CHROMIUM;

/// The DOM after the page's scripts ran (virtual time lets its fetch finish).
fn rendered_dom(url: &str) -> String {
    let profile = tempfile::tempdir().expect("profile dir");
    let out = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=10000",
            "--window-size=1280,800",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(url)
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn chromium_available() -> bool {
    if Path::new(CHROMIUM).exists() {
        return true;
    }
    assert!(
        std::env::var("CI").is_err(),
        "{CHROMIUM} is missing: CI must install it (apt-get install chromium)"
    );
    eprintln!("{CHROMIUM} is not installed: browser test not run (apt-get install chromium)");
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_reference_and_home_page_render_in_a_browser() {
    if !chromium_available() {
        return;
    }
    let app = fixtures::apps()
        .await
        .into_iter()
        .next()
        .expect("a sqlite app");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(axum::serve(listener, app.router.clone()).into_future());

    let base = format!("http://{addr}");
    let docs = tokio::task::spawn_blocking({
        let url = format!("{base}/api/docs");
        move || rendered_dom(&url)
    })
    .await
    .unwrap();
    let ops: usize = docs
        .split("data-operations=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("the reference did not render its operations:\n{docs}"));
    assert!(ops >= 20, "only {ops} operations rendered");
    for text in [
        "/api/v1/debts/{id}/payments",
        "/api/v1/imports",
        // Double quotes: the shell expands the key (`&quot;` once serialized).
        "-H \"Authorization: Bearer $RECAUDO_API_KEY\"",
        "debtor_external_id",
        // Inline code in descriptions renders as code, not as backticks.
        "<code>next_cursor</code>",
    ] {
        assert!(
            docs.contains(text),
            "`{text}` missing from the rendered reference"
        );
    }
    assert!(
        !docs.contains("id=\"error\">openapi"),
        "the page reported an error"
    );
    assert!(
        !docs.contains("`next_cursor`"),
        "a description still shows raw backticks"
    );
    let overflow: i64 = docs
        .split("data-overflow-x=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .and_then(|n| n.parse().ok())
        .expect("the page measured its width");
    assert_eq!(overflow, 0, "the reference scrolls sideways at 1280 px");

    let home = tokio::task::spawn_blocking({
        let url = format!("{base}/about");
        move || rendered_dom(&url)
    })
    .await
    .unwrap();
    assert!(home.contains("Omnichannel debt collection."), "{home}");
    assert!(home.contains("href=\"/api/docs\""));
    // The reference is a read-only page: the home page does not promise more.
    assert!(!home.contains("interactive"), "{home}");
    server.abort();
}

/// The text between `id="{id}">` and the next `<`.
fn text_of<'a>(dom: &'a str, id: &str) -> &'a str {
    dom.split(&format!("id=\"{id}\">"))
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap_or_else(|| panic!("no element #{id} in:\n{dom}"))
}

/// Tenant A with a debtor, two debts, an SMS and an e-mail sent, one contact still planned
/// and one debt paid; the ids of the SMS and the e-mail.
async fn sent_outbox(app: &fixtures::App) -> (recaudo_store::TenantStore, String, String) {
    use chrono::NaiveDate;
    use recaudo_channels::{Content, EmailContent, SmsContent, SmsEncoding};
    use recaudo_domain::outbox::NewContact;
    use recaudo_domain::portfolio::Channel;
    use recaudo_domain::{Currency, Money};
    use recaudo_store::{ContactRef, DispatchOutcome, NewDebt, NewDebtor, NewPayment};

    let t0 = fixtures::t0();
    let tenant = app
        .store
        .list_tenants()
        .await
        .expect("tenants")
        .into_iter()
        .find(|t| t.name == "Luz do Vale")
        .expect("tenant A");
    let ts = app.store.tenant(&tenant);
    let debtor = ts
        .create_debtor(
            NewDebtor {
                external_id: "BR-1".into(),
                name: "Maria Souza".into(),
                ..Default::default()
            },
            t0,
        )
        .await
        .expect("debtor");
    let mut debts = vec![];
    for (external_id, minor) in [("INV-1", 90_000), ("INV-2", 12_345)] {
        let debt = ts
            .create_debt(
                NewDebt {
                    debtor_id: debtor.id,
                    external_id: external_id.into(),
                    amount: Money::from_minor(minor, Currency::Brl),
                    balance: None,
                    issued_on: None,
                    due_on: NaiveDate::from_ymd_opt(2026, 11, 1).expect("date"),
                    product: None,
                },
                t0,
            )
            .await
            .expect("debt");
        debts.push(debt);
    }
    let day = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
    let sms = NewContact {
        debtor_id: debtor.id,
        debt_id: debts[0].id,
        covers: vec![],
        contact_point_id: None,
        strategy: Some("consumer-default".into()),
        strategy_version: Some(1),
        step: "due".into(),
        arm: None,
        channel: Channel::Sms,
        template: Some("due_today".into()),
        queue: None,
        scheduled_for: t0,
        local_date: day,
        reason: "step due".into(),
    };
    let email = NewContact {
        debt_id: debts[1].id,
        channel: Channel::Email,
        template: Some("overdue_soft".into()),
        ..sms.clone()
    };
    let later = NewContact {
        step: "late-3".into(),
        scheduled_for: t0 + chrono::Duration::days(3),
        local_date: day + chrono::Duration::days(3),
        ..sms.clone()
    };
    ts.plan_contacts(&[sms, email, later], t0)
        .await
        .expect("planned");
    let claimed = ts
        .claim_contacts(t0, 10, std::time::Duration::from_secs(60), "w1")
        .await
        .expect("claimed");
    assert_eq!(claimed.len(), 2, "the SMS and the e-mail are due");
    let mut ids = (String::new(), String::new());
    let outcomes = claimed
        .iter()
        .map(|contact| {
            let content = if contact.channel == Channel::Sms {
                ids.0 = contact.id.to_string();
                Content::Sms(SmsContent {
                    body: "Luz do Vale: Olá Maria Souza, seu pagamento de R$ 900,00 vence hoje. Responda SAIR para não receber mais mensagens.".into(),
                    encoding: SmsEncoding::Ucs2,
                    segments: 2,
                })
            } else {
                ids.1 = contact.id.to_string();
                Content::Email(EmailContent {
                    subject: "Seu pagamento está em aberto".into(),
                    text: "Olá Maria Souza, seu pagamento de R$ 123,45 está em aberto.".into(),
                    html: "<html><body><p>Olá Maria Souza, seu pagamento de <b>R$ 123,45</b> está em aberto.</p><script>parent.document.title='pwned'</script></body></html>".into(),
                    unsubscribe_url: None,
                })
            };
            let outcome = DispatchOutcome::Sent {
                provider: "sandbox".into(),
                provider_message_id: format!("sbx-{}", contact.id),
                cost: None,
                content: serde_json::to_value(&content).expect("content"),
                template: contact.template.clone(),
            };
            (ContactRef::from(contact), outcome)
        })
        .collect();
    ts.record_dispatch("w1", outcomes, t0)
        .await
        .expect("recorded");
    ts.record_payment(
        debts[1].id,
        NewPayment {
            amount: Money::from_minor(12_345, Currency::Brl),
            method: "pix".into(),
            provider_ref: None,
            received_at: None,
            allow_overpayment: false,
        },
        t0,
    )
    .await
    .expect("paid");
    (ts, ids.0, ids.1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_live_counts_and_the_messages_as_sent() {
    if !chromium_available() {
        return;
    }
    let app = fixtures::apps()
        .await
        .into_iter()
        .next()
        .expect("a sqlite app");
    let (ts, sms, email) = sent_outbox(&app).await;
    // João writes back four times (once trying to slip markup into the page) and a stranger
    // once, each taken through the conversation engine as a provider's webhook hands it over.
    let joao = "+5521998765432";
    crate::messages::debtor_with_sms(&app.store, "João Lima", "+55 21 99876-5432").await;
    let minute = |n: i64| fixtures::t0() + chrono::Duration::minutes(n);
    for (n, from, text) in [
        (1, joao, "Vou pagar dia 10"),
        (2, joao, "<img src=x onerror=\"document.title='pwned'\">"),
        (3, joao, "STOP"),
        (4, "+5531911112222", "quem é?"),
    ] {
        crate::messages::sms(&ts, from, text, minute(n)).await;
    }
    let counts = ts.outbox_counts().await.expect("counts");
    let collected = ts.collected().await.expect("collected");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(axum::serve(listener, app.router.clone()).into_future());
    let base = format!("http://{addr}");
    let open = |fragment: String| {
        let url = format!("{base}/about#{fragment}");
        tokio::task::spawn_blocking(move || rendered_dom(&url))
    };

    // The SMS opened: counts as the store has them, the table, the bubble.
    let dom = open(format!("key={}&msg={sms}", app.a)).await.unwrap();
    assert!(
        dom.contains("data-refreshed=\""),
        "the dashboard never refreshed:\n{dom}"
    );
    let state = |s: &str| counts.by_state.get(s).copied().unwrap_or(0).to_string();
    let sent: i64 = counts.sent_by_channel.values().sum();
    for (id, want) in [
        ("n-planned", state("planned")),
        ("n-sending", state("sending")),
        ("n-sent", sent.to_string()),
        ("n-delivered", counts.delivered.to_string()),
        ("n-opened", counts.opened.to_string()),
        ("n-failed", state("failed")),
        ("n-cancelled", state("cancelled")),
        ("n-paid", collected.paid_debts.to_string()),
    ] {
        assert_eq!(text_of(&dom, id), want, "#{id}");
    }
    assert_eq!((sent, state("planned").as_str()), (2, "1"));
    assert_eq!(collected.paid_debts, 1);
    assert!(text_of(&dom, "by-channel").contains("email 1"), "{dom}");
    // R$ 123.45 in the browser's locale; the currency is named for the test to find.
    let amount = dom
        .split("data-currency=\"BRL\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap_or_else(|| panic!("no amount in BRL:\n{dom}"));
    assert!(amount.contains("123") && amount.contains("45"), "{amount}");
    assert!(dom.contains("<small>1 payment</small>"), "{dom}");
    assert_eq!(dom.matches("<tr tabindex=\"0\"").count(), 2, "{dom}");
    assert!(dom.contains("<td>Maria Souza</td>"), "{dom}");
    assert!(dom.contains("<td>due_today</td>"), "{dom}");
    assert!(dom.contains("<td>sandbox</td>"), "{dom}");
    assert!(
        dom.contains("class=\"bubble\">Luz do Vale: Olá Maria Souza, seu pagamento de R$ 900,00"),
        "{dom}"
    );
    assert!(dom.contains("UCS-2, 2 segments"), "{dom}");
    // The Conversations panel: the latest messages, newest first, with intent and action.
    assert_eq!(text_of(&dom, "n-received"), "4 messages");
    assert_eq!(dom.matches("<tr data-message=\"msg_").count(), 4, "{dom}");
    let said: Vec<&str> = dom
        .split("class=\"said\">")
        .skip(1)
        .filter_map(|rest| rest.split("</td>").next())
        .collect();
    assert_eq!(
        said,
        [
            "quem é?",
            "STOP",
            "&lt;img src=x onerror=\"document.title='pwned'\"&gt;",
            "Vou pagar dia 10",
        ],
        "{dom}"
    );
    for cell in [
        "data-intent=\"promise_to_pay\">Promise to pay<small>",
        "data-intent=\"opt_out\">Opt-out<small>",
        "data-action=\"opted_out\">Opted out</td>",
        "data-action=\"unmatched\">Unknown sender: agent task<small class=\"id\">tsk_",
        "<td>João Lima<small class=\"id\">dbr_",
        "<td>+5531911112222<small class=\"id\">msg_",
        "<li data-intent=\"opt_out\">Opt-out <b>1</b></li>",
        "<li data-intent=\"promise_to_pay\">Promise to pay <b>1</b></li>",
    ] {
        assert!(dom.contains(cell), "`{cell}` missing:\n{dom}");
    }
    // The debtor's markup stayed text: no image, and its handler never ran.
    assert!(!dom.contains("<img"), "{dom}");
    assert!(dom.contains("<title>recaudo</title>"), "{dom}");
    let overflow: i64 = dom
        .split("data-overflow-x=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .and_then(|n| n.parse().ok())
        .expect("the page measured its width");
    assert_eq!(overflow, 0, "the dashboard scrolls sideways at 1280 px");

    // The e-mail: its subject and its HTML in a sandboxed frame, whose script did not run.
    let dom = open(format!("key={}&msg={email}", app.a)).await.unwrap();
    assert!(
        dom.contains("class=\"subject\">Seu pagamento está em aberto<"),
        "{dom}"
    );
    assert!(dom.contains("sandbox=\"\""), "{dom}");
    assert!(
        dom.contains("srcdoc=\"<html><body><p>Olá Maria Souza, seu pagamento de <b>R$ 123,45</b>")
            || dom.contains("srcdoc=\"&lt;html&gt;&lt;body&gt;&lt;p&gt;Olá Maria Souza"),
        "{dom}"
    );
    assert!(dom.contains("<title>recaudo</title>"), "{dom}");

    // A refused key: back to the key field, saying so; no key: the home page with the field.
    let dom = open("key=rk_not_a_key".into()).await.unwrap();
    assert!(dom.contains("The API key was refused."), "{dom}");
    assert!(dom.contains("id=\"keyform\""), "{dom}");
    server.abort();
}

// ---- Real-browser tests through the DevTools protocol (`cdp`), on a phone, with the
// ---- accessibility checks (`a11y`) and screenshots kept as artifacts.

/// Serves `router` on a loopback port; the base URL and the server's task.
pub async fn serve(router: axum::Router) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let addr = listener.local_addr().expect("its address");
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (format!("http://{addr}"), server)
}

/// A form with every kind of field the portal's forms use, and a page that echoes what was
/// posted: the harness's own fixture.
const FIXTURE_FORM: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Fixture</title>
<style>body { font: 16px/1.5 sans-serif; color: #1d232a; } label, input, select { display: block; }
button { min-width: 48px; min-height: 48px; }</style></head>
<body><main><h1>A form</h1>
<form method="post" action="/echo">
<label for="name">Name</label><input id="name" name="name" value="typed over">
<label for="day">Day</label><input id="day" name="day" type="date">
<label for="channel">Channel</label>
<select id="channel" name="channel"><option value="sms">SMS</option><option value="email">E-mail</option></select>
<label><input type="checkbox" id="paperless" name="paperless" value="yes"> Paperless</label>
<label for="proof">Proof</label><input id="proof" name="proof" type="file">
<button type="submit" id="send">Send</button>
</form></main></body></html>
"#;

/// A page with one of each fault the checks look for.
const FIXTURE_FAULTS: &str = r##"<!doctype html>
<html><head><meta charset="utf-8"><title>Faults</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<style>#tiny:focus { outline: none; }</style>
<body style="background: #ffffff">
<form>
<input id="nolabel" name="x">
<button id="tiny" style="padding: 0; font-size: 10px">Go</button>
<a href="#top" id="jump" tabindex="2">Jump</a>
<button id="empty"></button>
</form>
<p id="faint" style="color: #aaaaaa">Faint text</p>
<p id="big" style="color: #888888; font-size: 30px">Large grey text</p>
<img id="noalt" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<div id="wide" style="width: 1200px; height: 1px"></div>
</body></html>
"##;

fn fixture_router() -> axum::Router {
    use axum::response::Html;
    use axum::routing::get;
    axum::Router::new()
        .route("/form", get(|| async { Html(FIXTURE_FORM) }))
        .route("/faults", get(|| async { Html(FIXTURE_FAULTS) }))
        .route(
            "/language",
            get(|headers: axum::http::HeaderMap| async move {
                let language = headers
                    .get("accept-language")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .replace('&', "&amp;")
                    .replace('<', "&lt;");
                Html(format!(
                    "<!doctype html><html lang=\"en\"><title>Language</title><p id=\"language\">{language}</p></html>"
                ))
            }),
        )
        .route(
            "/echo",
            axum::routing::post(|body: String| async move {
                let body = body
                    .replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;");
                Html(format!(
                    "<!doctype html><html lang=\"en\"><title>Echo</title><pre id=\"echo\">{body}</pre></html>"
                ))
            }),
        )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_harness_fills_and_submits_a_form_on_a_phone() -> Result<(), CdpError> {
    let Some(browser) = Browser::shared() else {
        return Ok(());
    };
    let (base, server) = serve(fixture_router()).await;
    let page = browser.page_phone().await?;
    page.goto(&format!("{base}/form")).await?;
    let width = page.eval("window.innerWidth").await?;
    assert_eq!(width, serde_json::json!(crate::cdp::PHONE_WIDTH));
    assert!(
        page.eval("navigator.userAgent")
            .await?
            .to_string()
            .contains("Mobile")
    );

    page.fill("#name", "María José").await?;
    page.fill("#day", "2026-12-10").await?;
    page.select("#channel", "E-mail").await?;
    page.check("#paperless").await?;
    let evidence = tempfile::tempdir().expect("a dir");
    let file = evidence.path().join("evidence.pdf");
    std::fs::write(&file, b"%PDF-1.4\n").expect("a file");
    page.set_file("#proof", &file).await?;
    assert_eq!(
        page.eval("document.querySelector('#proof').files[0].name")
            .await?,
        "evidence.pdf"
    );
    let shot = page.screenshot("harness-form").await?;
    let png = std::fs::read(&shot).expect("the screenshot");
    assert_eq!(&png[1..4], b"PNG", "{}", shot.display());
    assert!(shot.starts_with(crate::cdp::artifacts_dir()));

    // Tab order from the top: the fields, then the button, in the page's order.
    let order = a11y::focus_order(&page).await?;
    assert!(
        order.findings.is_empty(),
        "{}",
        a11y::report(&order.findings)
    );
    let ids: Vec<&str> = order.reached.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(
        ids,
        ["name", "day", "channel", "paperless", "proof", "send"]
    );
    assert_eq!(order.reached[0].text, "Name");
    let day = order.position(|f| f.id == "day").expect("the date");
    let send = order.position(|f| f.kind == "submit").expect("the button");
    assert!(day < send);
    let findings = a11y::audit(&page).await?;
    assert!(findings.is_empty(), "{}", a11y::report(&findings));

    page.submit_and_wait("#send").await?;
    assert_eq!(page.url().await?, format!("{base}/echo"));
    let echo = page.text("#echo").await?;
    let posted: Vec<(String, String)> = serde_urlencoded::from_str(&echo).expect("a form body");
    let field = |name: &str| {
        posted
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("{name} was not posted: {echo}"))
    };
    assert_eq!(field("name"), "María José");
    assert_eq!(field("day"), "2026-12-10");
    assert_eq!(field("channel"), "email");
    assert_eq!(field("paperless"), "yes");
    assert_eq!(field("proof"), "evidence.pdf");
    assert!(page.html().await?.contains("id=\"echo\""));
    // The echo page has no viewport meta: a phone lays it out at 980 px and shrinks it.
    let reflow = a11y::reflow(&page).await?;
    assert_eq!(reflow.len(), 1, "{}", a11y::report(&reflow));
    assert!(
        reflow[0]
            .detail
            .starts_with("laid out 980 px wide on a 390 px screen"),
        "{}",
        reflow[0]
    );

    // A phone set to Colombian Spanish asks for it.
    page.set_locale("es-CO").await?;
    page.goto(&format!("{base}/language")).await?;
    let asked = page.text("#language").await?;
    assert!(asked.starts_with("es-CO"), "{asked}");
    assert_eq!(page.eval("navigator.language").await?, "es-CO");

    // What a missing element says: its selector and the page.
    let missing = page.text("#nowhere").await.expect_err("no such element");
    assert!(
        missing
            .to_string()
            .contains("`#nowhere` matches nothing on http://"),
        "{missing}"
    );
    server.abort();
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_accessibility_checks_find_each_fault() -> Result<(), CdpError> {
    let Some(browser) = Browser::shared() else {
        return Ok(());
    };
    let (base, server) = serve(fixture_router()).await;
    let page = browser.page_phone().await?;
    page.goto(&format!("{base}/faults")).await?;
    let found = |findings: &[a11y::Finding], check: &str, selector: &str| {
        findings
            .iter()
            .any(|f| f.check == check && f.selector == selector)
    };

    let labels = a11y::labels(&page).await?;
    for (check, selector) in [
        ("lang", "html"),
        ("label", "#nolabel"),
        ("name", "#empty"),
        ("alt", "#noalt"),
    ] {
        assert!(
            found(&labels, check, selector),
            "no {check} finding for {selector}:\n{}",
            a11y::report(&labels)
        );
    }
    assert_eq!(labels.len(), 4, "{}", a11y::report(&labels));

    let contrast = a11y::contrast(&page).await?;
    assert_eq!(contrast.len(), 1, "{}", a11y::report(&contrast));
    assert!(found(&contrast, "contrast", "#faint"));
    // #aaaaaa on white: 2.32:1; #888888 at 30 px is large text, 3.54:1 ≥ 3:1.
    assert!(
        contrast[0]
            .detail
            .starts_with("#aaaaaa on #ffffff is 2.32:1, needs 4.5:1"),
        "{}",
        contrast[0]
    );

    let taps = a11y::tap_targets(&page).await?;
    for selector in ["#tiny", "#jump", "#empty"] {
        assert!(
            found(&taps, "tap-target", selector),
            "{}",
            a11y::report(&taps)
        );
    }

    // A 1200 px block scrolls the page sideways.
    let reflow = a11y::reflow(&page).await?;
    assert_eq!(reflow.len(), 1, "{}", a11y::report(&reflow));
    assert_eq!(reflow[0].selector, "#wide", "{}", reflow[0]);

    let order = a11y::focus_order(&page).await?;
    let ids: Vec<&str> = order.reached.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["nolabel", "tiny", "empty"]);
    assert!(
        order
            .findings
            .iter()
            .any(|f| f.selector == "#tiny"
                && f.detail.starts_with("shows no sign of having the focus")),
        "{}",
        a11y::report(&order.findings)
    );
    let details: Vec<&str> = order
        .findings
        .iter()
        .filter(|f| f.selector == "#jump")
        .map(|f| f.detail.as_str())
        .collect();
    assert_eq!(
        details,
        [
            "a positive tabindex reorders the focus",
            "is never reached with Tab"
        ],
        "{}",
        a11y::report(&order.findings)
    );
    assert_eq!(order.findings.len(), 3, "{}", a11y::report(&order.findings));
    server.abort();
    Ok(())
}

/// A debtor of the tenant called `tenant` in `language`, with two open debts and an e-mail
/// sent about both; the app (with links signed by `signer`) and that e-mail's contact.
pub async fn debtor_with_email(
    app: &fixtures::App,
    tenant: &str,
    language: recaudo_domain::portfolio::Language,
    name: &str,
) -> (
    recaudo_store::TenantStore,
    recaudo_domain::ContactId,
    recaudo_domain::ContactPointId,
) {
    use chrono::NaiveDate;
    use recaudo_domain::Money;
    use recaudo_domain::outbox::NewContact;
    use recaudo_domain::portfolio::Channel;
    use recaudo_store::{ContactRef, DispatchOutcome, NewContactPoint, NewDebt, NewDebtor};

    let t0 = fixtures::t0();
    let tenants = app.store.list_tenants().await.expect("tenants");
    let tenant = tenants
        .iter()
        .find(|t| t.name == tenant)
        .unwrap_or_else(|| panic!("no tenant {tenant}"));
    let currency = tenant.country.currency();
    let ts = app.store.tenant(tenant);
    let debtor = ts
        .create_debtor(
            NewDebtor {
                external_id: format!("D-{}", language.as_str()),
                name: name.into(),
                language: Some(language),
                country: Some(tenant.country),
                ..Default::default()
            },
            t0,
        )
        .await
        .expect("debtor");
    let mut debts = vec![];
    for (external_id, minor) in [("FAC-1001", 4_500_000), ("FAC-1002", 1_250_050)] {
        let debt = ts
            .create_debt(
                NewDebt {
                    debtor_id: debtor.id,
                    external_id: external_id.into(),
                    amount: Money::from_minor(minor, currency),
                    balance: None,
                    issued_on: None,
                    due_on: NaiveDate::from_ymd_opt(2026, 11, 10).expect("date"),
                    product: None,
                },
                t0,
            )
            .await
            .expect("debt");
        debts.push(debt);
    }
    let point = ts
        .add_contact_point(
            debtor.id,
            NewContactPoint {
                channel: Channel::Email,
                address: Some(format!("debtor-{}@example.com", language.as_str())),
                postal: None,
                consent: Default::default(),
                priority: None,
            },
            t0,
        )
        .await
        .expect("contact point");
    let email = NewContact {
        debtor_id: debtor.id,
        debt_id: debts[0].id,
        covers: vec![debts[1].id],
        contact_point_id: Some(point.id),
        strategy: Some("consumer-default".into()),
        strategy_version: Some(1),
        step: "due".into(),
        arm: None,
        channel: Channel::Email,
        template: Some("overdue_soft".into()),
        queue: None,
        scheduled_for: t0,
        local_date: NaiveDate::from_ymd_opt(2026, 11, 23).expect("date"),
        reason: "step due".into(),
    };
    ts.plan_contacts(&[email], t0).await.expect("planned");
    let claimed = ts
        .claim_contacts(t0, 10, std::time::Duration::from_secs(60), "w1")
        .await
        .expect("claimed");
    assert_eq!(claimed.len(), 1);
    let outcomes = claimed
        .iter()
        .map(|contact| {
            let outcome = DispatchOutcome::Sent {
                provider: "sandbox".into(),
                provider_message_id: format!("sbx-{}", contact.id),
                cost: None,
                content: serde_json::json!({ "channel": "email" }),
                template: contact.template.clone(),
            };
            (ContactRef::from(contact), outcome)
        })
        .collect();
    ts.record_dispatch("w1", outcomes, t0)
        .await
        .expect("recorded");
    (ts, claimed[0].id, point.id)
}

/// The app of the first test store with links signed for `base`, served; the signer too.
pub async fn linked_site() -> (
    fixtures::App,
    String,
    recaudo_channels::links::LinkSigner,
    tokio::task::JoinHandle<()>,
) {
    let app = fixtures::apps()
        .await
        .into_iter()
        .next()
        .expect("a sqlite app");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let base = format!("http://{}", listener.local_addr().expect("its address"));
    let signer = || recaudo_channels::links::LinkSigner::new(b"the browser test's key", &base);
    let state =
        recaudo_web::AppState::new(app.store.clone(), app.clock.clone()).with_links(signer());
    let router = recaudo_web::router(state);
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let links = signer();
    (app, base, links, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_home_page_passes_the_accessibility_checks_on_a_phone() -> Result<(), CdpError> {
    let Some(browser) = Browser::shared() else {
        return Ok(());
    };
    let app = fixtures::apps()
        .await
        .into_iter()
        .next()
        .expect("a sqlite app");
    let (base, server) = serve(app.router.clone()).await;
    let page = browser.page_phone().await?;
    page.goto(&format!("{base}/about")).await?;
    page.screenshot("home-phone").await?;
    let order = a11y::focus_order(&page).await?;
    let key = order.position(|f| f.id == "key").expect("the key field");
    let open = order
        .position(|f| f.tag == "button" && f.text == "Open")
        .expect("the Open button");
    assert!(key < open, "{:?}", order.reached);
    assert_eq!(order.reached[key].text, "API key");
    let findings = a11y::audit(&page).await?;
    assert!(findings.is_empty(), "{}", a11y::report(&findings));
    server.abort();
    Ok(())
}

/// The debtor pages in es and pt: who, which tenant, what the pages say.
fn debtors() -> [(
    &'static str,
    recaudo_domain::portfolio::Language,
    &'static str,
    &'static str,
); 2] {
    use recaudo_domain::portfolio::Language;
    [
        ("Agua Clara", Language::Es, "Lucía Fernández", "es-CO"),
        ("Luz do Vale", Language::Pt, "Maria Souza", "pt-BR"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_unsubscribe_page_is_used_on_a_phone_in_es_and_pt() -> Result<(), CdpError> {
    use recaudo_channels::links::LinkPurpose;
    use recaudo_domain::portfolio::ConsentStatus;

    let Some(browser) = Browser::shared() else {
        return Ok(());
    };
    let (app, base, links, server) = linked_site().await;
    for (tenant, language, name, lang) in debtors() {
        let (ts, contact, point) = debtor_with_email(&app, tenant, language, name).await;
        let code = language.as_str();
        let (title, asks, done_title, done) = match code {
            "es" => (
                "Dejar de recibir mensajes",
                "¿Desea dejar de recibir mensajes de Agua Clara en esta dirección?",
                "Listo",
                "No recibirá más mensajes de Agua Clara en esta dirección.",
            ),
            _ => (
                "Deixar de receber mensagens",
                "Deseja deixar de receber mensagens de Luz do Vale neste endereço?",
                "Pronto",
                "Você não receberá mais mensagens de Luz do Vale neste endereço.",
            ),
        };
        let page = browser.page_phone().await?;
        page.set_locale(lang).await?;
        page.goto(&format!(
            "{base}/t/u/{}",
            links.token(LinkPurpose::Unsubscribe, contact)
        ))
        .await?;
        assert_eq!(page.eval("document.documentElement.lang").await?, lang);
        assert_eq!(page.text("h1").await?, title);
        assert!(page.text("main").await?.contains(asks), "{code}");
        page.screenshot(&format!("unsubscribe-{code}-ask")).await?;
        let order = a11y::focus_order(&page).await?;
        assert_eq!(order.reached.len(), 1, "{code}: {:?}", order.reached);
        assert_eq!(order.reached[0].tag, "button", "{code}");
        let findings = a11y::audit(&page).await?;
        assert!(findings.is_empty(), "{code}:\n{}", a11y::report(&findings));
        let cp = ts.get_contact_point(point).await.expect("point");
        assert_ne!(cp.consent.status, ConsentStatus::OptedOut, "{code}");

        page.submit_and_wait("button[type=submit]").await?;
        assert_eq!(page.status().await?, 200, "{code}");
        assert_eq!(page.text("h1").await?, done_title, "{code}");
        assert!(page.text("main").await?.contains(done), "{code}");
        page.screenshot(&format!("unsubscribe-{code}-done")).await?;
        let findings = a11y::audit(&page).await?;
        assert!(findings.is_empty(), "{code}:\n{}", a11y::report(&findings));
        let cp = ts.get_contact_point(point).await.expect("point");
        assert_eq!(cp.consent.status, ConsentStatus::OptedOut, "{code}");
    }
    server.abort();
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portal_page_reads_on_a_phone_in_es_and_pt() -> Result<(), CdpError> {
    use recaudo_channels::links::LinkPurpose;

    let Some(browser) = Browser::shared() else {
        return Ok(());
    };
    let (app, base, links, server) = linked_site().await;
    for (tenant, language, name, lang) in debtors() {
        let (_, contact, _) = debtor_with_email(&app, tenant, language, name).await;
        let code = language.as_str();
        let (title, hello, total) = match code {
            "es" => ("Sus cuentas con Agua Clara", "Hola, Lucía:", "57.500,50"),
            _ => ("Suas contas com Luz do Vale", "Olá, Maria!", "57.500,50"),
        };
        let page = browser.page_phone().await?;
        page.set_locale(lang).await?;
        page.goto(&format!(
            "{base}/p/{}",
            links.token(LinkPurpose::Portal, contact)
        ))
        .await?;
        assert_eq!(page.eval("document.documentElement.lang").await?, lang);
        // The phone is set to the debtor's language, as the debtor's own would be.
        assert_eq!(page.eval("navigator.language").await?, lang);
        assert_eq!(
            page.eval("new Intl.NumberFormat().format(1234.5)").await?,
            "1.234,5"
        );
        assert_eq!(page.text("h1").await?, title);
        assert!(page.text("main").await?.contains(hello), "{code}");
        let shown = page.text(".total").await?;
        assert!(shown.contains(total), "{code}: {shown}");
        page.screenshot(&format!("portal-{code}")).await?;
        let findings = a11y::audit(&page).await?;
        assert!(findings.is_empty(), "{code}:\n{}", a11y::report(&findings));
    }
    server.abort();
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_home_page_script_refuses_a_wrong_key_on_a_phone() -> Result<(), CdpError> {
    let Some(browser) = Browser::shared() else {
        return Ok(());
    };
    let app = fixtures::apps()
        .await
        .into_iter()
        .next()
        .expect("a sqlite app");
    let (base, server) = serve(app.router.clone()).await;
    let page = browser.page_phone().await?;
    page.goto(&format!("{base}/about")).await?;
    page.fill("#key", "rk_not_a_key").await?;
    // The form is the script's: no new page loads, the page changes in place.
    page.click("#keyform button[type=submit]").await?;
    page.wait_for(
        "document.body.innerText.includes('The API key was refused.')",
        crate::cdp::WAIT,
    )
    .await?;
    assert_eq!(page.url().await?, format!("{base}/about"));
    page.screenshot("home-refused-key").await?;
    let findings = a11y::audit(&page).await?;
    assert!(findings.is_empty(), "{}", a11y::report(&findings));
    let never = page
        .wait_for(
            "document.title === 'never'",
            std::time::Duration::from_millis(300),
        )
        .await;
    assert!(
        matches!(&never, Err(CdpError::Timeout { what, .. }) if what.contains("document.title === 'never'") && what.contains(&base)),
        "{never:?}"
    );
    server.abort();
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_launched_browser_stops_when_dropped() -> Result<(), CdpError> {
    let Some(browser) = Browser::launch() else {
        return Ok(());
    };
    assert!(browser.version().await?.starts_with("Chrome/"));
    let profile = browser.profile().to_path_buf();
    let pid = browser.chromium_pid().await?;
    assert!(Path::new(&format!("/proc/{pid}")).exists());
    drop(browser);
    // The process may linger as a zombie of the watchdog for an instant: gone or dead.
    let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    assert!(
        state.is_empty() || state.contains(") Z"),
        "Chromium {pid} still runs: {state}"
    );
    let left: Vec<_> = std::fs::read_dir(&profile)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        !profile.exists(),
        "{} was left behind with {left:?}",
        profile.display()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_passes_the_accessibility_checks_on_a_phone() -> Result<(), CdpError> {
    let Some(browser) = Browser::shared() else {
        return Ok(());
    };
    let app = fixtures::apps()
        .await
        .into_iter()
        .next()
        .expect("a sqlite app");
    sent_outbox(&app).await;
    let (base, server) = serve(app.router.clone()).await;
    let page = browser.page_phone().await?;
    page.goto(&format!("{base}/about#key={}", app.a)).await?;
    page.wait_for(
        "document.querySelector('[data-refreshed]') && document.querySelectorAll('#outbox tr').length === 2",
        crate::cdp::WAIT,
    )
    .await?;
    page.screenshot("dashboard-phone").await?;
    // The sent messages are rows a keyboard reaches, before the button that forgets the key.
    let order = a11y::focus_order(&page).await?;
    let rows: Vec<usize> = order
        .reached
        .iter()
        .enumerate()
        .filter(|(_, f)| f.tag == "tr")
        .map(|(i, _)| i)
        .collect();
    assert_eq!(rows.len(), 2, "{:?}", order.reached);
    let forget = order
        .position(|f| f.text == "Forget the key")
        .expect("the Forget button");
    assert!(rows.iter().all(|&row| row < forget), "{:?}", order.reached);
    let findings = a11y::audit(&page).await?;
    assert!(findings.is_empty(), "{}", a11y::report(&findings));
    server.abort();
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_link_shows_the_neutral_page_on_a_phone() -> Result<(), CdpError> {
    use recaudo_channels::links::LinkPurpose;

    let Some(browser) = Browser::shared() else {
        return Ok(());
    };
    let (app, base, links, server) = linked_site().await;
    let (_, contact, _) = debtor_with_email(
        &app,
        "Luz do Vale",
        recaudo_domain::portfolio::Language::Pt,
        "Maria Souza",
    )
    .await;
    let mut forged = links.token(LinkPurpose::Portal, contact);
    let last = if forged.ends_with('A') { "B" } else { "A" };
    forged.replace_range(forged.len() - 1.., last);
    let page = browser.page_phone().await?;
    page.set_locale("pt-BR").await?;
    page.goto(&format!("{base}/p/{forged}")).await?;
    assert_eq!(page.status().await?, 404);
    let text = page.text("main").await?;
    assert!(text.contains("Este link não é válido"), "{text}");
    assert!(!text.contains("Maria"), "{text}");
    page.screenshot("portal-forged-link").await?;
    let findings = a11y::audit(&page).await?;
    assert!(findings.is_empty(), "{}", a11y::report(&findings));
    // The genuine link answers 200.
    page.goto(&format!(
        "{base}/p/{}",
        links.token(LinkPurpose::Portal, contact)
    ))
    .await?;
    assert_eq!(page.status().await?, 200);
    server.abort();
    Ok(())
}
