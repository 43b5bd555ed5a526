//! The debtor's portal used end to end on a phone in headless Chromium: pay by PIX (the QR
//! image decoded back to the copia-e-cola text, the PSP's signed report paying the debt), pay
//! through the sandbox, promise, opt out — in the debtor's language (es in the Colombian
//! tenant, pt in the Brazilian one). Every page passes `a11y::audit`, its main field comes
//! before its submit button in the focus order, and each step is photographed as
//! `{flow}-{lang}-{step}` in `{target}/test-artifacts/browser/`.

use std::sync::Arc;

use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use recaudo_channels::links::{LinkPurpose, LinkSigner};
use recaudo_channels::seal::SealingKey;
use recaudo_domain::portfolio::{ConsentStatus, Debt, DebtStatus, Language};
use recaudo_domain::{ContactId, ContactPointId, DebtorId};
use recaudo_store::{DebtFilter, TenantStore};

use crate::a11y;
use crate::browser::debtor_with_email;
use crate::cdp::{Browser, CdpError, Page};
use crate::fixtures::{self, App, req};

/// The PIX account's webhook secret (the PSP signs its reports with it).
const PIX_SECRET: &str = "the PSP's shared secret";

/// The portal served on a loopback port with signed links and a sealing key (payment accounts
/// are stored sealed), the sandbox payment account on or off.
struct Site {
    app: App,
    base: String,
    links: LinkSigner,
    router: axum::Router,
    server: tokio::task::JoinHandle<()>,
}

impl Site {
    async fn start(sandbox: bool) -> Site {
        let app = fixtures::apps()
            .await
            .into_iter()
            .next()
            .expect("a sqlite app");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let base = format!("http://{}", listener.local_addr().expect("its address"));
        let signer = || LinkSigner::new(b"the portal flows' key", &base);
        let key = Arc::new(SealingKey::parse(&SealingKey::generate_hex()).expect("a fresh key"));
        let state = recaudo_web::AppState::new(app.store.clone(), app.clock.clone())
            .with_sealing_key(key)
            .with_links(signer())
            .with_public_url(base.clone())
            .with_payments_sandbox(sandbox);
        let router = recaudo_web::router(state);
        let server = tokio::spawn({
            let router = router.clone();
            async move {
                let _ = axum::serve(listener, router).await;
            }
        });
        let links = signer();
        Site {
            app,
            base,
            links,
            router,
            server,
        }
    }

    /// The portal's home for the debtor of `contact`.
    fn home(&self, contact: ContactId) -> String {
        format!(
            "{}/p/{}",
            self.base,
            self.links.token(LinkPurpose::Portal, contact)
        )
    }
}

/// A debtor of `tenant` in `language` with two open debts and an e-mail about both, as the
/// browser tests' fixture makes them; the tenant's store, the contact, the e-mail point, the
/// debtor and the debts (FAC-1001 first).
async fn debtor(
    app: &App,
    tenant: &str,
    language: Language,
    name: &str,
) -> (TenantStore, ContactId, ContactPointId, DebtorId, Vec<Debt>) {
    let (ts, contact, point) = debtor_with_email(app, tenant, language, name).await;
    let debtor = ts
        .get_debtor_by_external_id(&format!("D-{}", language.as_str()))
        .await
        .expect("the debtor");
    let mut debts = ts
        .list_debts(&DebtFilter {
            debtor_id: Some(debtor.id),
            ..Default::default()
        })
        .await
        .expect("debts")
        .items;
    debts.sort_by(|a, b| a.external_id.cmp(&b.external_id));
    (ts, contact, point, debtor.id, debts)
}

/// Opens the portal's home on a phone in `locale`, checks it and follows the action link to
/// `path` (`/pay`, `/promise`, …).
async fn open_action(
    browser: &Browser,
    home: &str,
    locale: &str,
    path: &str,
    shot: &str,
) -> Result<Page, CdpError> {
    let page = browser.page_phone().await?;
    page.set_locale(locale).await?;
    page.goto(home).await?;
    assert_eq!(page.status().await?, 200, "{home}");
    page.screenshot(&format!("{shot}-home")).await?;
    assert_clean(&page, shot).await?;
    page.submit_and_wait(&format!("ul.actions a[href*='{path}?']"))
        .await?;
    assert_eq!(page.status().await?, 200, "{shot}: {}", page.url().await?);
    Ok(page)
}

/// The page passes every accessibility check.
async fn assert_clean(page: &Page, what: &str) -> Result<(), CdpError> {
    let findings = a11y::audit(page).await?;
    assert!(
        findings.is_empty(),
        "{what} ({}):\n{}",
        page.url().await?,
        a11y::report(&findings)
    );
    Ok(())
}

/// Tab reaches the element `id` before the form's submit button.
async fn assert_field_first(page: &Page, id: &str, what: &str) -> Result<(), CdpError> {
    let order = a11y::focus_order(page).await?;
    let field = order.position(|f| f.id == id);
    let submit = order.position(|f| f.tag == "button" && f.kind == "submit");
    assert!(
        field.is_some() && submit.is_some() && field < submit,
        "{what}: #{id} must come before the submit button: {:?}",
        order.reached
    );
    Ok(())
}

/// A minimal HTTP/1.0 exchange with the served app (the answer ends when the server closes):
/// the status and the body.
async fn http(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Vec<u8>) {
    let host = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host)
        .await
        .expect("the server answers");
    let mut request = format!(
        "{method} {path} HTTP/1.0\r\nHost: {host}\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("request sent");
    stream.write_all(body).await.expect("body sent");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("answer read");
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head and a body");
    let head = String::from_utf8_lossy(&answer[..split]).to_string();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head}"));
    (status, answer[split + 4..].to_vec())
}

/// The text a QR image holds, read by zbar (a decoder not written by us).
fn decode_qr(png: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("a temporary dir");
    let path = dir.path().join("qr.png");
    std::fs::write(&path, png).expect("QR image written");
    let out = std::process::Command::new("/usr/bin/zbarimg")
        .args(["--raw", "-q"])
        .arg(&path)
        .output()
        .expect("zbarimg runs (apt-get install zbar-tools)");
    assert!(
        out.status.success(),
        "zbarimg found no code: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim_end().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_debtor_pays_by_pix_on_a_phone_in_pt() -> Result<(), CdpError> {
    use recaudo_payments::providers::pix::brcode;
    use recaudo_payments::signature::sha256_header;

    let Some(browser) = Browser::shared() else {
        return Ok(());
    };
    let site = Site::start(false).await;
    let saved = req("POST", "/api/v1/payment-accounts")
        .key(&site.app.a)
        .json(&json!({
            "name": "pix",
            "config": {"kind": "pix", "key": "cobranca@exemplo.com.br",
                       "merchant_name": "Luz do Vale", "merchant_city": "Sao Paulo",
                       "webhook_secret": PIX_SECRET}
        }))
        .send(&site.router)
        .await;
    assert!(saved.status.is_success(), "{}", saved.text);
    assert_eq!(saved.json["config"]["webhook_secret"], "***");
    let (ts, contact, _, _, debts) =
        debtor(&site.app, "Luz do Vale", Language::Pt, "Maria Souza").await;
    let debt = &debts[0];
    assert_eq!(debt.external_id, "FAC-1001");

    let page = open_action(browser, &site.home(contact), "pt-BR", "/pay", "pay-pix-pt").await?;
    assert_eq!(page.text("h1").await?, "Pagar on-line");
    page.screenshot("pay-pix-pt-form").await?;
    assert_field_first(&page, "pay-debt-all", "pay-pix-pt form").await?;
    assert_clean(&page, "pay-pix-pt form").await?;
    assert!(page.text("form").await?.contains("PIX"));
    let value = page
        .eval("document.querySelector('#pay-debt-0').value")
        .await?;
    assert_eq!(value, debt.id.to_string(), "the first debt is FAC-1001");
    page.check("#pay-debt-0").await?;
    page.submit_and_wait("form button[type=submit]").await?;
    assert_eq!(page.status().await?, 200);
    page.screenshot("pay-pix-pt-qr").await?;
    assert_clean(&page, "pay-pix-pt QR").await?;

    // The payment page: the copia-e-cola text, and the same text in the QR image.
    let url = page.url().await?;
    let intent_id = url
        .split("/pay/")
        .nth(1)
        .and_then(|rest| rest.split(['?', '/']).next())
        .unwrap_or_else(|| panic!("no intent in {url}"))
        .to_string();
    let intent = ts
        .get_payment_intent(intent_id.parse().expect("an intent id"))
        .await
        .expect("the intent");
    let code = page
        .eval("document.querySelector('#pix-code').value")
        .await?;
    let code = code.as_str().expect("the copia-e-cola text").to_string();
    let src = page
        .eval("document.querySelector('#pix-qr').getAttribute('src')")
        .await?;
    let src = src.as_str().expect("the QR's address");
    let (status, png) = http(&site.base, "GET", src, &[], b"").await;
    assert_eq!(status, 200, "{src}");
    assert!(png.starts_with(b"\x89PNG"), "{src} is not a PNG");
    assert_eq!(
        decode_qr(&png),
        code,
        "the QR image holds the copia-e-cola text"
    );
    let parsed = brcode::parse(&code).expect("a valid BR Code (CRC and fields)");
    assert_eq!(parsed.amount, Some(debt.balance.amount));
    assert_eq!(parsed.amount, Some(Decimal::new(4_500_000, 2)));
    assert_eq!(parsed.txid.as_deref(), Some(intent.txid.as_str()));
    assert_eq!(parsed.key.as_deref(), Some("cobranca@exemplo.com.br"));
    assert_eq!(parsed.currency, "986");
    assert!(parsed.single_use);
    assert_eq!(
        page.text("#pay-amount").await?,
        "R$ 45.000,00",
        "the amount shown is the debt's balance"
    );

    // The PSP reports the PIX received, signed; a forged report is refused first.
    let tenant = ts.tenant().id;
    let report = serde_json::to_vec(&json!({"pix": [{
        "endToEndId": "E18236120202611231205s0000000001",
        "txid": intent.txid,
        "valor": "45000.00",
        "horario": "2026-11-23T12:05:00Z",
    }]}))
    .expect("json");
    let hook = format!("/payhooks/{tenant}/pix");
    let forged = sha256_header(b"not the secret", &report);
    let (status, _) = http(
        &site.base,
        "POST",
        &hook,
        &[
            ("Content-Type", "application/json"),
            ("X-Pix-Signature", &forged),
        ],
        &report,
    )
    .await;
    assert_eq!(status, 401, "a forged report is refused");
    assert_eq!(
        ts.get_debt(debt.id).await.expect("debt").status,
        DebtStatus::Open
    );
    let signature = sha256_header(PIX_SECRET.as_bytes(), &report);
    let (status, answer) = http(
        &site.base,
        "POST",
        &hook,
        &[
            ("Content-Type", "application/json"),
            ("X-Pix-Signature", &signature),
        ],
        &report,
    )
    .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));

    page.goto(&url).await?;
    assert_eq!(page.status().await?, 200);
    let thanks = page.text("#confirmation").await?;
    assert!(
        thanks.contains("Obrigado! Recebemos o seu pagamento"),
        "{thanks}"
    );
    assert!(thanks.contains("R$ 45.000,00"), "{thanks}");
    page.screenshot("pay-pix-pt-done").await?;
    assert_clean(&page, "pay-pix-pt done").await?;

    let paid = ts.get_debt(debt.id).await.expect("debt");
    assert_eq!(paid.status, DebtStatus::Paid);
    assert!(paid.balance.amount.is_zero(), "{:?}", paid.balance);
    let payments = ts.list_payments(debt.id).await.expect("payments");
    assert_eq!(payments.len(), 1);
    assert_eq!(payments[0].amount, debt.balance);
    // The PSP sends its report again: nothing changes.
    let (status, _) = http(
        &site.base,
        "POST",
        &hook,
        &[
            ("Content-Type", "application/json"),
            ("X-Pix-Signature", &signature),
        ],
        &report,
    )
    .await;
    assert_eq!(status, 200, "a replay is acknowledged");
    assert_eq!(ts.list_payments(debt.id).await.expect("payments").len(), 1);
    let other = ts.get_debt(debts[1].id).await.expect("debt");
    assert_eq!(other.status, DebtStatus::Open, "the other debt stays open");
    site.server.abort();
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_debtor_pays_through_the_sandbox_on_a_phone_in_es() -> Result<(), CdpError> {
    let Some(browser) = Browser::shared() else {
        return Ok(());
    };
    let site = Site::start(true).await;
    let (ts, contact, _, _, debts) =
        debtor(&site.app, "Agua Clara", Language::Es, "Lucía Fernández").await;

    let page = open_action(
        browser,
        &site.home(contact),
        "es-CO",
        "/pay",
        "pay-sandbox-es",
    )
    .await?;
    assert_eq!(page.text("h1").await?, "Pagar en línea");
    page.screenshot("pay-sandbox-es-form").await?;
    assert_field_first(&page, "pay-debt-all", "pay-sandbox-es form").await?;
    assert_clean(&page, "pay-sandbox-es form").await?;
    assert!(
        page.text("form")
            .await?
            .contains("Pago de prueba (sandbox)"),
        "the sandbox is offered"
    );
    // Everything: the form's first choice, as it comes.
    page.submit_and_wait("form button[type=submit]").await?;
    assert_eq!(page.status().await?, 200);
    page.screenshot("pay-sandbox-es-pending").await?;
    assert_clean(&page, "pay-sandbox-es pending").await?;
    assert!(
        page.text("#pay-amount").await?.contains("57.500,50"),
        "both debts: {}",
        page.text("#pay-amount").await?
    );
    page.submit_and_wait("#pay-simulate").await?;
    assert_eq!(page.status().await?, 200);
    let thanks = page.text("#confirmation").await?;
    assert!(thanks.contains("¡Gracias! Recibimos su pago"), "{thanks}");
    page.screenshot("pay-sandbox-es-done").await?;
    assert_clean(&page, "pay-sandbox-es done").await?;
    for debt in &debts {
        let paid = ts.get_debt(debt.id).await.expect("debt");
        assert_eq!(paid.status, DebtStatus::Paid, "{}", debt.external_id);
        assert_eq!(paid.balance.currency, recaudo_domain::Currency::Cop);
        assert!(paid.balance.amount.is_zero(), "{:?}", paid.balance);
    }
    site.server.abort();
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_debtor_promises_to_pay_on_a_phone_in_es_and_pt() -> Result<(), CdpError> {
    let Some(browser) = Browser::shared() else {
        return Ok(());
    };
    let site = Site::start(false).await;
    // The fixtures' clock: 2026-11-23, the same day in Bogotá and São Paulo.
    let today = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
    for (tenant, language, name, locale, past_error, done) in [
        (
            "Agua Clara",
            Language::Es,
            "Lucía Fernández",
            "es-CO",
            "La fecha no puede ser anterior a hoy.",
            "Gracias, registramos su compromiso",
        ),
        (
            "Luz do Vale",
            Language::Pt,
            "Maria Souza",
            "pt-BR",
            "A data não pode ser anterior a hoje.",
            "Obrigado, registramos seu compromisso",
        ),
    ] {
        let code = language.as_str();
        let (ts, contact, _, _, debts) = debtor(&site.app, tenant, language, name).await;
        let shot = format!("promise-{code}");
        let page = open_action(browser, &site.home(contact), locale, "/promise", &shot).await?;
        page.screenshot(&format!("{shot}-form")).await?;
        assert_field_first(&page, "promise-date", &shot).await?;
        assert_clean(&page, &format!("{shot} form")).await?;

        // A past date: the phone's own check (the field's `min`) is turned off so that the
        // server's, the one every browser gets, answers.
        page.eval("document.querySelector('form').noValidate = true")
            .await?;
        let yesterday = today - Duration::days(1);
        page.fill("#promise-date", &yesterday.to_string()).await?;
        page.submit_and_wait("form button[type=submit]").await?;
        assert_eq!(page.status().await?, 422, "{code}");
        let error = page.text(".error").await?;
        assert_eq!(error, past_error, "{code}: the past date's message");
        let invalid = page
            .eval("document.querySelector('#promise-date').getAttribute('aria-invalid')")
            .await?;
        assert_eq!(invalid, "true", "{code}");
        page.screenshot(&format!("{shot}-past")).await?;
        assert_field_first(&page, "promise-date", &shot).await?;
        assert_clean(&page, &format!("{shot} past date")).await?;
        for debt in &debts {
            let promises = ts.list_promises(debt.id).await.expect("promises");
            assert!(promises.is_empty(), "{code}: nothing stored: {promises:?}");
        }

        let date = today + Duration::days(5);
        page.fill("#promise-date", &date.to_string()).await?;
        page.submit_and_wait("form button[type=submit]").await?;
        assert_eq!(page.status().await?, 200, "{code}");
        let thanks = page.text("#confirmation").await?;
        assert!(thanks.contains(done), "{code}: {thanks}");
        page.screenshot(&format!("{shot}-done")).await?;
        assert_clean(&page, &format!("{shot} done")).await?;
        for debt in &debts {
            let promises = ts.list_promises(debt.id).await.expect("promises");
            assert_eq!(promises.len(), 1, "{code}: {}", debt.external_id);
            assert_eq!(promises[0].due_on, date);
            assert_eq!(promises[0].amount, debt.balance);
            let debt = ts.get_debt(debt.id).await.expect("debt");
            assert_eq!(debt.status, DebtStatus::Promised, "{code}");
        }
    }
    site.server.abort();
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_debtor_opts_out_of_a_channel_on_a_phone_in_es() -> Result<(), CdpError> {
    let Some(browser) = Browser::shared() else {
        return Ok(());
    };
    let site = Site::start(false).await;
    let (ts, contact, point, _, _) =
        debtor(&site.app, "Agua Clara", Language::Es, "Lucía Fernández").await;
    let page = open_action(
        browser,
        &site.home(contact),
        "es-CO",
        "/opt-out",
        "optout-es",
    )
    .await?;
    page.screenshot("optout-es-form").await?;
    assert_field_first(&page, "optout-email", "optout-es form").await?;
    assert_clean(&page, "optout-es form").await?;
    let before = ts.get_contact_point(point).await.expect("point");
    assert_ne!(before.consent.status, ConsentStatus::OptedOut);

    page.check("#optout-email").await?;
    page.submit_and_wait("form button[type=submit]").await?;
    assert_eq!(page.status().await?, 200, "{}", page.text("main").await?);
    let done = page.text("#confirmation").await?;
    assert!(done.contains("Listo"), "{done}");
    assert!(
        done.contains("No le enviaremos más mensajes por los canales elegidos."),
        "{done}"
    );
    page.screenshot("optout-es-done").await?;
    assert_clean(&page, "optout-es done").await?;
    let after = ts.get_contact_point(point).await.expect("point");
    assert_eq!(after.consent.status, ConsentStatus::OptedOut);
    assert!(after.opted_out_at.is_some(), "{after:?}");
    site.server.abort();
    Ok(())
}

/// The portal's own form posts carry `Origin: null` in a browser (its pages are served with
/// `Referrer-Policy: no-referrer`, as the flows above post them): such a post is accepted when
/// `Sec-Fetch-Site` says same-origin and refused without it, nothing stored.
#[tokio::test]
async fn a_form_post_with_a_null_origin_needs_sec_fetch_site() {
    for p in crate::portal::portals().await {
        let db = p.db();
        let csrf = p.csrf("/promise").await;
        let body = serde_urlencoded::to_string([("csrf", csrf.as_str()), ("date", "2026-11-30")])
            .expect("form");
        for (name, value) in [("sec-fetch-site", "cross-site"), ("x-none", "1")] {
            let refused = req("POST", p.path("/promise"))
                .header("origin", "null")
                .header(name, value)
                .raw("application/x-www-form-urlencoded", body.clone())
                .send(&p.r)
                .await;
            assert_eq!(refused.status.as_u16(), 403, "{db}: {name}");
        }
        assert!(p.events("promise_made").await.is_empty(), "{db}");
        let accepted = req("POST", p.path("/promise"))
            .header("origin", "null")
            .header("sec-fetch-site", "same-origin")
            .raw("application/x-www-form-urlencoded", body)
            .send(&p.r)
            .await;
        assert_eq!(accepted.status.as_u16(), 303, "{db}: {}", accepted.text);
        assert_eq!(p.events("promise_made").await.len(), 2, "{db}: both debts");
    }
}

/// A small PDF (what the dispute page recognises by its first bytes).
const EVIDENCE_PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_debtor_disputes_with_evidence_on_a_phone_in_es_and_pt() -> Result<(), CdpError> {
    use recaudo_store::TaskFilter;

    let Some(browser) = Browser::shared() else {
        return Ok(());
    };
    let site = Site::start(false).await;
    let files = tempfile::tempdir().expect("a temporary dir");
    let pdf = files.path().join("recibo.pdf");
    std::fs::write(&pdf, EVIDENCE_PDF).expect("PDF written");
    let text_file = files.path().join("nota.txt");
    std::fs::write(&text_file, "not a PDF").expect("text written");
    for (tenant, language, name, locale, words, bad_file, done) in [
        (
            "Agua Clara",
            Language::Es,
            "Lucía Fernández",
            "es-CO",
            "Pagué esta factura el 5 de noviembre en la sucursal.",
            "El archivo debe ser un PDF, PNG o JPEG.",
            "Recibimos su reclamo",
        ),
        (
            "Luz do Vale",
            Language::Pt,
            "Maria Souza",
            "pt-BR",
            "Paguei esta fatura em 5 de novembro na agência.",
            "O arquivo deve ser um PDF, PNG ou JPEG.",
            "Recebemos sua contestação",
        ),
    ] {
        let code = language.as_str();
        let (ts, contact, _, debtor, debts) = debtor(&site.app, tenant, language, name).await;
        let shot = format!("dispute-{code}");
        let page = open_action(browser, &site.home(contact), locale, "/dispute", &shot).await?;
        page.screenshot(&format!("{shot}-form")).await?;
        assert_field_first(&page, "dispute-reason", &shot).await?;
        assert_clean(&page, &format!("{shot} form")).await?;

        // A file that is not a PDF, PNG or JPEG: the form again with the message.
        page.select("#dispute-reason", "already_paid").await?;
        page.fill("#dispute-text", words).await?;
        page.set_file("#dispute-evidence", &text_file).await?;
        page.submit_and_wait("form button[type=submit]").await?;
        assert_eq!(page.status().await?, 422, "{code}");
        assert_eq!(page.text(".error").await?, bad_file, "{code}");
        page.screenshot(&format!("{shot}-bad-file")).await?;
        assert_field_first(&page, "dispute-reason", &shot).await?;
        assert_clean(&page, &format!("{shot} bad file")).await?;
        for debt in &debts {
            let disputes = ts.list_disputes(debt.id).await.expect("disputes");
            assert!(disputes.is_empty(), "{code}: nothing stored: {disputes:?}");
        }

        // The form keeps the reason and the words; the PDF is chosen again, for one debt.
        let debt = &debts[1];
        let radio = "#dispute-debt-1";
        let value = page
            .eval(&format!("document.querySelector('{radio}').value"))
            .await?;
        assert_eq!(value, debt.id.to_string(), "{code}");
        page.select("#dispute-reason", "already_paid").await?;
        page.fill("#dispute-text", words).await?;
        page.set_file("#dispute-evidence", &pdf).await?;
        page.check(radio).await?;
        page.submit_and_wait("form button[type=submit]").await?;
        assert_eq!(
            page.status().await?,
            200,
            "{code}: {}",
            page.text("main").await?
        );
        let thanks = page.text("#confirmation").await?;
        assert!(thanks.contains(done), "{code}: {thanks}");
        page.screenshot(&format!("{shot}-done")).await?;
        assert_clean(&page, &format!("{shot} done")).await?;

        let disputes = ts.list_disputes(debt.id).await.expect("disputes");
        assert_eq!(disputes.len(), 1, "{code}");
        assert_eq!(disputes[0].reason, format!("already_paid: {words}"));
        let evidence = ts
            .list_dispute_evidence(disputes[0].id)
            .await
            .expect("evidence");
        assert_eq!(evidence.len(), 1, "{code}");
        assert_eq!(evidence[0].filename, "recibo.pdf");
        assert_eq!(evidence[0].content_type, "application/pdf");
        assert_eq!(evidence[0].size, EVIDENCE_PDF.len() as i64);
        assert_eq!(
            ts.get_debt(debt.id).await.expect("debt").status,
            DebtStatus::Disputed
        );
        let other = &debts[0];
        assert!(
            ts.list_disputes(other.id)
                .await
                .expect("disputes")
                .is_empty()
        );
        let tasks = ts
            .list_tasks(&TaskFilter {
                queue: Some("disputes".into()),
                debtor: Some(debtor),
                ..Default::default()
            })
            .await
            .expect("tasks");
        assert_eq!(tasks.len(), 1, "{code}: one task for the team");
    }
    site.server.abort();
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_debtor_changes_preferences_on_a_phone_in_es_and_pt() -> Result<(), CdpError> {
    use chrono::{NaiveTime, Weekday};
    use recaudo_domain::portfolio::{Channel, HourWindow, Preferences, WeekdayName};

    let Some(browser) = Browser::shared() else {
        return Ok(());
    };
    let site = Site::start(false).await;
    for (tenant, language, name, locale, done) in [
        (
            "Agua Clara",
            Language::Es,
            "Lucía Fernández",
            "es-CO",
            "Guardamos sus preferencias",
        ),
        (
            "Luz do Vale",
            Language::Pt,
            "Maria Souza",
            "pt-BR",
            "Salvamos suas preferências",
        ),
    ] {
        let code = language.as_str();
        let (ts, contact, point, debtor, _) = debtor(&site.app, tenant, language, name).await;
        let shot = format!("preferences-{code}");
        let page = open_action(browser, &site.home(contact), locale, "/preferences", &shot).await?;
        page.screenshot(&format!("{shot}-form")).await?;
        assert_field_first(&page, "pref-channel-email", &shot).await?;
        assert_clean(&page, &format!("{shot} form")).await?;
        let before = ts.get_debtor(debtor).await.expect("debtor");
        assert_eq!(before.preferences, Preferences::default(), "{code}");

        page.check("#pref-channel-email").await?;
        page.select("#pref-preferred", "email").await?;
        // Every day comes ticked (no restriction): the weekend is unticked.
        for day in ["#pref-day-sat", "#pref-day-sun"] {
            page.click(day).await?;
            let ticked = page
                .eval(&format!("document.querySelector('{day}').checked"))
                .await?;
            assert_eq!(ticked, false, "{code}: {day}");
        }
        page.fill("#pref-from", "09:00").await?;
        page.fill("#pref-to", "18:00").await?;
        page.select("#pref-language", code).await?;
        page.check("#pref-paperless").await?;
        page.screenshot(&format!("{shot}-filled")).await?;
        page.submit_and_wait("form button[type=submit]").await?;
        assert_eq!(
            page.status().await?,
            200,
            "{code}: {}",
            page.text("main").await?
        );
        let thanks = page.text("#confirmation").await?;
        assert!(thanks.contains(done), "{code}: {thanks}");
        page.screenshot(&format!("{shot}-done")).await?;
        assert_clean(&page, &format!("{shot} done")).await?;

        let after = ts.get_debtor(debtor).await.expect("debtor");
        let time = |h| NaiveTime::from_hms_opt(h, 0, 0).expect("time");
        assert_eq!(
            after.preferences,
            Preferences {
                allowed_weekdays: [
                    Weekday::Mon,
                    Weekday::Tue,
                    Weekday::Wed,
                    Weekday::Thu,
                    Weekday::Fri
                ]
                .into_iter()
                .map(WeekdayName)
                .collect(),
                allowed_hours: Some(HourWindow {
                    from: time(9),
                    to: time(18),
                }),
                preferred_channel: Some(Channel::Email),
                language: Some(language),
                paperless: true,
            },
            "{code}"
        );
        let point = ts.get_contact_point(point).await.expect("point");
        assert_ne!(point.consent.status, ConsentStatus::OptedOut, "{code}");
    }
    site.server.abort();
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_debtor_accepts_an_instalment_plan_on_a_phone_in_es_and_pt() -> Result<(), CdpError> {
    use recaudo_domain::plans::PlanStatus;

    let Some(browser) = Browser::shared() else {
        return Ok(());
    };
    let site = Site::start(false).await;
    // The default rules: up to 6 instalments, at least 10 % down, no interest.
    for (tenant, language, name, locale, too_low, schedule, done) in [
        (
            "Agua Clara",
            Language::Es,
            "Lucía Fernández",
            "es-CO",
            "El pago inicial debe ser de al menos",
            "Su calendario de pagos",
            "Plan de pagos aceptado",
        ),
        (
            "Luz do Vale",
            Language::Pt,
            "Maria Souza",
            "pt-BR",
            "A entrada deve ser de pelo menos",
            "Seu calendário de pagamentos",
            "Plano de pagamento aceito",
        ),
    ] {
        let code = language.as_str();
        let (ts, contact, _, debtor, debts) = debtor(&site.app, tenant, language, name).await;
        let shot = format!("plan-{code}");
        let page = open_action(browser, &site.home(contact), locale, "/plan", &shot).await?;
        page.screenshot(&format!("{shot}-form")).await?;
        assert_field_first(&page, "plan-instalments", &shot).await?;
        assert_clean(&page, &format!("{shot} form")).await?;

        // A down payment under the rule's floor: the form again with the rule said.
        page.select("#plan-instalments", "4").await?;
        page.fill("#plan-down", "1,00").await?;
        page.submit_and_wait("form button[type=submit]").await?;
        assert_eq!(page.status().await?, 422, "{code}");
        let error = page.text(".error").await?;
        assert!(error.starts_with(too_low), "{code}: {error}");
        page.screenshot(&format!("{shot}-too-low")).await?;
        assert_field_first(&page, "plan-instalments", &shot).await?;
        assert_clean(&page, &format!("{shot} too low")).await?;
        assert!(
            ts.plans_of_debtor(debtor).await.expect("plans").is_empty(),
            "{code}: nothing stored"
        );

        // 10 % of 57.500,50 down, then four instalments: the schedule first.
        page.select("#plan-instalments", "4").await?;
        page.fill("#plan-down", "5750.05").await?;
        page.submit_and_wait("form button[type=submit]").await?;
        assert_eq!(
            page.status().await?,
            200,
            "{code}: {}",
            page.text("main").await?
        );
        assert_eq!(page.text("h1").await?, schedule, "{code}");
        let rows = page
            .eval("document.querySelectorAll('#plan-schedule tbody tr').length")
            .await?;
        assert_eq!(rows, 5, "{code}: the down payment and four instalments");
        let shown = page.text("#plan-schedule").await?;
        assert!(shown.contains("5.750,05"), "{code}: {shown}");
        page.screenshot(&format!("{shot}-schedule")).await?;
        assert_clean(&page, &format!("{shot} schedule")).await?;
        assert!(ts.plans_of_debtor(debtor).await.expect("plans").is_empty());

        page.submit_and_wait("#plan-accept").await?;
        assert_eq!(
            page.status().await?,
            200,
            "{code}: {}",
            page.text("main").await?
        );
        let thanks = page.text("#confirmation").await?;
        assert!(thanks.contains(done), "{code}: {thanks}");
        page.screenshot(&format!("{shot}-done")).await?;
        assert_clean(&page, &format!("{shot} done")).await?;

        let plans = ts.plans_of_debtor(debtor).await.expect("plans");
        assert_eq!(plans.len(), 1, "{code}");
        let plan = &plans[0];
        assert_eq!(plan.status, PlanStatus::Active, "{code}");
        assert_eq!(plan.instalments.len(), 5, "{code}");
        assert_eq!(plan.instalments[0].number, 0);
        assert_eq!(plan.instalments[0].amount.amount, Decimal::new(575_005, 2));
        let sum: Decimal = plan.instalments.iter().map(|i| i.amount.amount).sum();
        assert_eq!(sum, plan.total.amount, "{code}");
        assert_eq!(plan.total.amount, Decimal::new(5_750_050, 2), "{code}");
        for debt in &debts {
            let debt = ts.get_debt(debt.id).await.expect("debt");
            assert_eq!(
                debt.status,
                DebtStatus::Plan,
                "{code}: {}",
                debt.external_id
            );
        }
    }
    site.server.abort();
    Ok(())
}
