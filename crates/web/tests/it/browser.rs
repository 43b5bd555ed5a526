//! The pages, in a real headless Chromium against the real server on a loopback port.
//! CI installs Chromium (`.ci/run`); on a machine without it the test says so and, outside CI,
//! passes without running.

use crate::fixtures;

use std::path::Path;
use std::process::Command;

const CHROMIUM: &str = "/usr/bin/chromium";

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
        let url = format!("{base}/");
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
        let url = format!("{base}/#{fragment}");
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
