//! The strategy and template editors of the dashboard (issue 27): an invalid strategy or template
//! is refused with the line at fault and stores nothing; only admins save; validating and
//! previewing write nothing and are open to every role; each tenant sees only its own. In
//! Chromium: a strategy edited with a mistake, fixed, previewed and saved; a template's preview
//! following the typing without a page load.

use std::time::Duration;

use serde_json::{Value, json};

use crate::cdp::Browser;
use crate::dash::{self, Site};
use crate::fixtures::req;

/// A valid strategy: one email on the due date.
const GOOD: &str = "id: edit-me
version: 1
name: Edit me
steps:
  - { id: due, at: due, send: { channel: email, template: due_today } }
";

/// Line 6 is indented less than the mapping it belongs to: YAML cannot read it.
const BAD_SYNTAX: &str = "id: edit-me
version: 1
steps:
  - id: due
    at: due
   send: { channel: email, template: due_today }
";

/// Reads as YAML, but the channel on line 7 does not exist.
const BAD_CHANNEL: &str = "id: edit-me
version: 1
steps:
  - id: due
    at: due
    send:
      channel: pigeon
      template: due_today
";

/// Whether `text` names line `n` (in any of the three languages).
fn names_line(text: &str, n: usize) -> bool {
    ["line", "línea", "linha"].iter().any(|word| {
        text.contains(&format!("{word} {n},")) || text.contains(&format!("{word} {n}<"))
    })
}

/// The stored versions of a strategy of tenant A, through the API (0 when none).
async fn stored_versions(site: &Site, id: &str) -> usize {
    let resp = req("GET", format!("/api/v1/strategies/{id}/versions"))
        .key(&site.app.a)
        .send(&site.router)
        .await;
    resp.json["items"].as_array().map_or(0, Vec::len)
}

/// Tenant A's outbox rows.
async fn outbox_rows(site: &Site) -> usize {
    let resp = req("GET", "/api/v1/outbox?limit=500")
        .key(&site.app.a)
        .send(&site.router)
        .await;
    resp.ok(200)["items"].as_array().map_or(0, Vec::len)
}

/// A debtor of tenant A with an email address, and a debt due tomorrow following `GOOD`.
async fn debt_on_strategy(site: &Site) -> String {
    let (r, k) = (&site.router, site.app.a.as_str());
    req("POST", "/api/v1/strategies")
        .key(k)
        .raw("application/yaml", GOOD)
        .send(r)
        .await
        .ok(201);
    let debtor = req("POST", "/api/v1/debtors")
        .key(k)
        .json(&json!({"external_id": "C-1", "name": "Ana Souza"}))
        .send(r)
        .await
        .ok(201)
        .clone();
    req(
        "POST",
        format!(
            "/api/v1/debtors/{}/contact_points",
            debtor["id"].as_str().unwrap_or("")
        ),
    )
    .key(k)
    .json(&json!({"channel": "email", "address": "ana@example.com",
                      "consent": {"status": "granted", "source": "contract"}}))
    .send(r)
    .await
    .ok(201);
    let debt = req("POST", "/api/v1/debts")
        .key(k)
        .json(
            &json!({"debtor_id": debtor["id"], "external_id": "INV-1", "amount": "120.00",
                      "currency": "BRL", "issued_on": "2026-10-24", "due_on": "2026-11-24"}),
        )
        .send(r)
        .await
        .ok(201)
        .clone();
    let id = debt["id"].as_str().unwrap_or("").to_string();
    req("PUT", format!("/api/v1/debts/{id}/strategy"))
        .key(k)
        .json(&json!({"strategy": "edit-me"}))
        .send(r)
        .await
        .ok(200);
    id
}

#[tokio::test]
async fn dashboard_editor_strategy_yaml_error_names_its_line() {
    let site = Site::start().await;
    let admin = site.cookie("admin@a.test").await;
    for action in ["validate", "save"] {
        let resp = site
            .post_form(
                &admin,
                "/app/strategies",
                &[("source", BAD_SYNTAX), ("action", action), ("strategy", "")],
            )
            .await;
        assert_eq!(resp.status.as_u16(), 422, "{action}: {}", resp.text);
        assert!(names_line(&resp.text, 6), "{action}: {}", resp.text);
        // The text is kept in the editor.
        assert!(
            resp.text.contains("   send: { channel: email"),
            "{}",
            resp.text
        );
    }
    assert_eq!(stored_versions(&site, "edit-me").await, 0);
}

#[tokio::test]
async fn dashboard_editor_strategy_schema_error_is_mapped_to_its_line() {
    let site = Site::start().await;
    let admin = site.cookie("admin@a.test").await;
    let resp = site
        .post_form(
            &admin,
            "/app/strategies",
            &[
                ("source", BAD_CHANNEL),
                ("action", "save"),
                ("strategy", ""),
            ],
        )
        .await;
    assert_eq!(resp.status.as_u16(), 422, "{}", resp.text);
    assert!(resp.text.contains("steps[0].send.channel"), "{}", resp.text);
    assert!(names_line(&resp.text, 7), "{}", resp.text);
    // The line is quoted under the error.
    assert!(
        resp.text.contains("   7 |       channel: pigeon"),
        "{}",
        resp.text
    );
    assert_eq!(stored_versions(&site, "edit-me").await, 0);
}

#[tokio::test]
async fn dashboard_editor_strategy_saved_by_an_admin_is_a_new_version() {
    let site = Site::start().await;
    let admin = site.cookie("admin@a.test").await;
    let resp = site
        .post_form(
            &admin,
            "/app/strategies",
            &[("source", GOOD), ("action", "save"), ("strategy", "")],
        )
        .await;
    assert_eq!(resp.status.as_u16(), 303, "{}", resp.text);
    let location = resp.headers.get("location").and_then(|v| v.to_str().ok());
    assert!(
        location.is_some_and(|l| l.starts_with("/app/strategies/edit-me?saved=1&lang=")),
        "{location:?}"
    );
    assert_eq!(stored_versions(&site, "edit-me").await, 1);
    let page = site.get(&admin, "/app/strategies/edit-me?saved=1").await;
    assert_eq!(page.status.as_u16(), 200);
    assert!(page.text.contains("Edit me"), "{}", page.text);

    // A change under the same version: refused on the `version` line (2).
    let changed = GOOD.replace("Edit me", "Edited");
    let resp = site
        .post_form(
            &admin,
            "/app/strategies",
            &[
                ("source", &changed),
                ("action", "save"),
                ("strategy", "edit-me"),
            ],
        )
        .await;
    assert_eq!(resp.status.as_u16(), 422, "{}", resp.text);
    assert!(names_line(&resp.text, 2), "{}", resp.text);
    assert!(resp.text.contains("version: 2"), "{}", resp.text);
    assert_eq!(stored_versions(&site, "edit-me").await, 1);

    let v2 = changed.replace("version: 1", "version: 2");
    let resp = site
        .post_form(
            &admin,
            "/app/strategies",
            &[("source", &v2), ("action", "save"), ("strategy", "edit-me")],
        )
        .await;
    assert_eq!(resp.status.as_u16(), 303, "{}", resp.text);
    assert_eq!(stored_versions(&site, "edit-me").await, 2);
    let latest = req("GET", "/api/v1/strategies/edit-me")
        .key(&site.app.a)
        .send(&site.router)
        .await;
    assert_eq!(latest.ok(200)["source"], Value::from(v2));
}

#[tokio::test]
async fn dashboard_editor_strategy_save_by_an_agent_or_a_viewer_is_forbidden() {
    let site = Site::start().await;
    for who in ["agent@a.test", "viewer@a.test"] {
        let cookie = site.cookie(who).await;
        let resp = site
            .post_form(
                &cookie,
                "/app/strategies",
                &[("source", GOOD), ("action", "save"), ("strategy", "")],
            )
            .await;
        assert_eq!(resp.status.as_u16(), 403, "{who}: {}", resp.text);
        assert_eq!(stored_versions(&site, "edit-me").await, 0, "{who}");
        // Validating is theirs to do.
        let resp = site
            .post_form(
                &cookie,
                "/app/strategies",
                &[("source", GOOD), ("action", "validate"), ("strategy", "")],
            )
            .await;
        assert_eq!(resp.status.as_u16(), 200, "{who}: {}", resp.text);
        assert!(
            !resp.text.contains("value=\"save\""),
            "{who}: no save button"
        );
    }
}

#[tokio::test]
async fn dashboard_editor_strategy_preview_by_a_viewer_writes_nothing() {
    for site in Site::every_store().await {
        debt_on_strategy(&site).await;
        let viewer = site.cookie("viewer@a.test").await;
        let before = outbox_rows(&site).await;
        // The draft sends an SMS instead: the debtor has no phone, so it falls back to email.
        let draft = GOOD.replace(
            "channel: email, template: due_today",
            "channel: sms, template: due_today, fallback: [email]",
        );
        let resp = site
            .post_form(
                &viewer,
                "/app/strategies",
                &[
                    ("source", &draft),
                    ("action", "preview"),
                    ("strategy", "edit-me"),
                ],
            )
            .await;
        assert_eq!(resp.status.as_u16(), 200, "{}", resp.text);
        let preview = resp
            .text
            .split("id=\"preview\"")
            .nth(1)
            .unwrap_or_default()
            .to_string();
        // One debt, one debtor, sent by email on the due step, the first row shows it.
        assert!(preview.contains("<strong>1</strong>"), "{preview}");
        assert!(preview.contains("<code>due</code>"), "{preview}");
        assert!(preview.contains("<td>INV-1</td><td>C-1</td>"), "{preview}");
        assert!(preview.contains("<td>email</td>"), "{preview}");
        assert!(preview.contains("2026-11-24"), "{preview}");
        assert_eq!(
            outbox_rows(&site).await,
            before,
            "a preview writes no contact"
        );
        assert_eq!(stored_versions(&site, "edit-me").await, 1);
    }
}

#[tokio::test]
async fn dashboard_editor_strategies_list_counts_debts_and_exports_csv() {
    for site in Site::every_store().await {
        debt_on_strategy(&site).await;
        let viewer = site.cookie("viewer@a.test").await;
        let list = site.get(&viewer, "/app/strategies").await;
        assert_eq!(list.status.as_u16(), 200);
        assert!(list.text.contains("<code>edit-me</code>"), "{}", list.text);
        let csv = site.get(&viewer, "/app/strategies.csv").await;
        assert_eq!(csv.status.as_u16(), 200);
        assert!(
            csv.content_type().starts_with("text/csv"),
            "{}",
            csv.content_type()
        );
        let rows: Vec<&str> = csv.text.lines().collect();
        assert_eq!(
            rows.first().copied(),
            Some("id,name,version,priority,debts_assigned,retired_at,created_at")
        );
        assert!(
            rows.get(1)
                .is_some_and(|r| r.starts_with("edit-me,Edit me,1,0,1,,")),
            "{}",
            csv.text
        );
    }
}

#[tokio::test]
async fn dashboard_editor_strategies_are_the_tenants_own() {
    for site in Site::every_store().await {
        debt_on_strategy(&site).await;
        let b = site.cookie("admin@b.test").await;
        let page = site.get(&b, "/app/strategies/edit-me").await;
        assert_eq!(page.status.as_u16(), 404);
        let list = site.get(&b, "/app/strategies").await;
        assert!(!list.text.contains("edit-me"), "{}", list.text);
        // B previewing A's strategy id finds none of A's debts: its sample is its own (none).
        let resp = site
            .post_form(
                &b,
                "/app/strategies",
                &[
                    ("source", GOOD),
                    ("action", "preview"),
                    ("strategy", "edit-me"),
                ],
            )
            .await;
        assert_eq!(resp.status.as_u16(), 200, "{}", resp.text);
        assert!(!resp.text.contains("INV-1"), "{}", resp.text);
    }
}

/// An email text of tenant A, through the API (`None`: the default applies).
async fn email_override(site: &Site) -> Option<Value> {
    let resp = req("GET", "/api/v1/templates")
        .key(&site.app.a)
        .send(&site.router)
        .await;
    resp.ok(200)["items"]
        .as_array()?
        .iter()
        .find(|v| v["name"] == "due_today" && v["channel"] == "email" && v["language"] == "en")
        .map(|v| v["override"].clone())
        .filter(|o| !o.is_null())
}

const TEMPLATE: &str = "/app/templates/due_today/email/en";

#[tokio::test]
async fn dashboard_editor_template_invalid_is_refused_with_its_line() {
    let site = Site::start().await;
    let admin = site.cookie("admin@a.test").await;
    let resp = site
        .post_form(
            &admin,
            TEMPLATE,
            &[
                ("subject", "Your bill"),
                (
                    "body",
                    "Hello {{ debtor_name }},\nyou owe {{ no_such_thing }}.",
                ),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(resp.status.as_u16(), 422, "{}", resp.text);
    assert!(names_line(&resp.text, 2), "{}", resp.text);
    assert!(resp.text.contains("no_such_thing"), "{}", resp.text);
    assert_eq!(email_override(&site).await, None);
}

#[tokio::test]
async fn dashboard_editor_template_saved_by_an_admin_not_by_a_viewer() {
    let site = Site::start().await;
    let viewer = site.cookie("viewer@a.test").await;
    let fields = [
        ("subject", "Your bill is due today"),
        (
            "body",
            "Hello {{ debtor_name }}, please pay {{ total }}: {{ pay_url }}",
        ),
        ("action", "save"),
    ];
    let resp = site.post_form(&viewer, TEMPLATE, &fields).await;
    assert_eq!(resp.status.as_u16(), 403, "{}", resp.text);
    assert_eq!(email_override(&site).await, None);

    let admin = site.cookie("admin@a.test").await;
    let resp = site.post_form(&admin, TEMPLATE, &fields).await;
    assert_eq!(resp.status.as_u16(), 303, "{}", resp.text);
    let stored = email_override(&site).await.unwrap_or_default();
    assert_eq!(stored["subject"], "Your bill is due today");
    assert_eq!(
        stored["body"],
        "Hello {{ debtor_name }}, please pay {{ total }}: {{ pay_url }}"
    );
    let page = site.get(&viewer, &format!("{TEMPLATE}?saved=1")).await;
    assert_eq!(page.status.as_u16(), 200);
    assert!(
        page.text.contains("Your bill is due today"),
        "{}",
        page.text
    );
}

#[tokio::test]
async fn dashboard_editor_templates_list_and_csv() {
    let site = Site::start().await;
    let viewer = site.cookie("viewer@a.test").await;
    let list = site.get(&viewer, "/app/templates?language=en").await;
    assert_eq!(list.status.as_u16(), 200);
    assert!(
        list.text.contains(&format!("href=\"{TEMPLATE}\"")),
        "{}",
        list.text
    );
    assert!(
        !list.text.contains("/due_today/email/es\""),
        "{}",
        list.text
    );
    let csv = site.get(&viewer, "/app/templates.csv?language=en").await;
    assert_eq!(csv.status.as_u16(), 200);
    assert!(
        csv.content_type().starts_with("text/csv"),
        "{}",
        csv.content_type()
    );
    let rows: Vec<&str> = csv.text.lines().collect();
    assert_eq!(
        rows.first().copied(),
        Some("name,channel,language,source,version,updated_at,subject,body")
    );
    assert!(
        rows.iter()
            .any(|r| r.starts_with("due_today,email,en,default,,,")),
        "{}",
        csv.text
    );
}

#[tokio::test]
async fn dashboard_editor_template_preview_fragment_renders_the_sample() {
    let site = Site::start().await;
    let viewer = site.cookie("viewer@a.test").await;
    let resp = site
        .post_form(
            &viewer,
            &format!("{TEMPLATE}/preview"),
            &[
                ("subject", "About {{ debtor_name }}"),
                ("body", "Dear {{ debtor_name }}, {{ total }} is due."),
            ],
        )
        .await;
    assert_eq!(resp.status.as_u16(), 200, "{}", resp.text);
    // The sample debtor in English, and no page around the fragment.
    assert!(resp.text.contains("About Jane Doe"), "{}", resp.text);
    assert!(resp.text.contains("Dear Jane Doe, "), "{}", resp.text);
    assert!(!resp.text.contains("<html"), "{}", resp.text);
    // Or one of the tenant's debts, chosen by its external id.
    debt_on_strategy(&site).await;
    let resp = site
        .post_form(
            &viewer,
            &format!("{TEMPLATE}/preview"),
            &[
                ("subject", "About {{ debtor_name }}"),
                ("body", "Dear {{ debtor_name }}, {{ total }} is due."),
                ("debt", "INV-1"),
            ],
        )
        .await;
    assert_eq!(resp.status.as_u16(), 200, "{}", resp.text);
    assert!(resp.text.contains("About Ana Souza"), "{}", resp.text);
    assert!(resp.text.contains("<code>INV-1</code>"), "{}", resp.text);
    // A mistake shows in the fragment with its line.
    let resp = site
        .post_form(
            &viewer,
            &format!("{TEMPLATE}/preview"),
            &[
                ("subject", "Hi"),
                ("body", "Dear {{ debtor_name }},\n{% if %}"),
            ],
        )
        .await;
    assert_eq!(resp.status.as_u16(), 200, "{}", resp.text);
    assert!(names_line(&resp.text, 2), "{}", resp.text);
    assert_eq!(email_override(&site).await, None);
}

#[tokio::test]
async fn dashboard_editor_browser_strategy_mistake_fix_preview_save() {
    let Some(browser) = Browser::shared() else {
        return;
    };
    let site = Site::start().await;
    debt_on_strategy(&site).await;
    let page = browser.page_desktop().await.expect("a page");
    dash::login(&page, &site, "admin@a.test")
        .await
        .expect("sign in");
    page.goto(&format!("{}/app/strategies/edit-me?lang=en", site.base))
        .await
        .expect("the editor");
    let mistaken = GOOD
        .replace("version: 1", "version: 2")
        .replace("channel: email", "channel: pigeon");
    page.fill("#source", &mistaken).await.expect("type");
    page.submit_and_wait("button[value=validate]")
        .await
        .expect("validate");
    assert_eq!(page.status().await.expect("status"), 422);
    let errors = page.text(".editor-errors").await.expect("the errors");
    assert!(names_line(&errors, 5), "{errors}");
    assert!(errors.contains("steps[0].send.channel"), "{errors}");
    page.screenshot("dashboard-strategy-error")
        .await
        .expect("screenshot");

    let fixed = mistaken.replace("pigeon", "email");
    page.fill("#source", &fixed).await.expect("type");
    page.submit_and_wait("button[value=preview]")
        .await
        .expect("preview");
    assert_eq!(page.status().await.expect("status"), 200);
    let preview = page.text("#preview").await.expect("the preview");
    assert!(preview.contains("INV-1"), "{preview}");
    // The editor's own content (the shell around it is the layout's).
    let findings: Vec<_> = crate::a11y::audit(&page)
        .await
        .expect("the audit")
        .into_iter()
        .filter(|f| f.selector.starts_with("#main"))
        .collect();
    assert!(findings.is_empty(), "{findings:#?}");
    page.screenshot("dashboard-strategy")
        .await
        .expect("screenshot");

    page.submit_and_wait("button[value=save]")
        .await
        .expect("save");
    assert!(
        page.url()
            .await
            .expect("url")
            .contains("/app/strategies/edit-me?saved=2"),
        "{}",
        page.url().await.unwrap_or_default()
    );
    assert_eq!(stored_versions(&site, "edit-me").await, 2);
}

#[tokio::test]
async fn dashboard_editor_browser_template_preview_follows_the_typing() {
    let Some(browser) = Browser::shared() else {
        return;
    };
    let site = Site::start().await;
    let page = browser.page_desktop().await.expect("a page");
    dash::login(&page, &site, "admin@a.test")
        .await
        .expect("sign in");
    page.goto(&format!("{}{TEMPLATE}?lang=en", site.base))
        .await
        .expect("the editor");
    // A marker on the window: it survives only if the page is not loaded again.
    page.eval("window.__stay = 1").await.expect("mark");
    page.fill("#body", "Dear {{ debtor_name }}, a live preview line.")
        .await
        .expect("type");
    page.wait_for(
        "document.querySelector('#preview').innerText.includes('Dear Jane Doe, a live preview line.')",
        Duration::from_secs(10),
    )
    .await
    .expect("the preview follows");
    assert_eq!(
        page.eval("window.__stay").await.expect("marker"),
        json!(1),
        "no page load"
    );
    // A mistake shows its line in the preview.
    page.fill("#body", "Dear {{ debtor_name }},\n{{ nope }}")
        .await
        .expect("type");
    page.wait_for(
        "/(line|línea|linha) 2,/.test(document.querySelector('#preview').innerText)",
        Duration::from_secs(10),
    )
    .await
    .expect("the error shows");
    page.fill(
        "#body",
        "Dear {{ debtor_name }}, your bill of {{ total }} is due today.",
    )
    .await
    .expect("type");
    page.wait_for(
        "document.querySelector('#preview').innerText.includes('your bill of')",
        Duration::from_secs(10),
    )
    .await
    .expect("the preview follows");
    // The editor's own content (the shell around it is the layout's).
    let findings: Vec<_> = crate::a11y::audit(&page)
        .await
        .expect("the audit")
        .into_iter()
        .filter(|f| f.selector.starts_with("#main"))
        .collect();
    assert!(findings.is_empty(), "{findings:#?}");
    page.screenshot("dashboard-template")
        .await
        .expect("screenshot");
}
