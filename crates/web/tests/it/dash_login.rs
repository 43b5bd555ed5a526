//! Signing in to the dashboard and the shell every page shares: sessions in secure cookies,
//! one generic answer for wrong credentials, rate limits, sign-out, the anti-forgery value and
//! the browser's cross-site signals, the language switcher, the assets and their CSP, and a
//! session that sees only its own tenant. Then the same in a real Chromium.

use crate::a11y;
use crate::cdp::{Browser, CdpError};
use crate::dash::{PASSWORD, Site, form};
use crate::fixtures::req;

#[tokio::test]
async fn without_a_session_every_page_leads_to_sign_in_and_back() {
    let site = Site::start().await;
    for path in ["/app/account", "/app/account?lang=en"] {
        let resp = req("GET", path).send(&site.router).await;
        assert_eq!(resp.status.as_u16(), 303, "{path}");
        let to = resp.headers["location"].to_str().unwrap();
        assert!(to.starts_with("/app/login?next="), "{path} → {to}");
    }
    let root = req("GET", "/").send(&site.router).await;
    assert_eq!(root.headers["location"], "/app");
    // A forged or ended session is no session.
    let forged = site.get("recaudo_session=forged", "/app/account").await;
    assert_eq!(forged.status.as_u16(), 303);
}

#[tokio::test]
async fn a_right_password_opens_a_session_in_a_strict_http_only_cookie() {
    for site in Site::every_store().await {
        let db = site.app.db;
        let resp = req("POST", "/app/login")
            .raw(
                "application/x-www-form-urlencoded",
                form(&[
                    ("email", "Agent@A.test"),
                    ("password", PASSWORD),
                    ("next", "/app/account"),
                ]),
            )
            .send(&site.router)
            .await;
        assert_eq!(resp.status.as_u16(), 303, "{db}: {}", resp.text);
        assert_eq!(resp.headers["location"], "/app/account", "{db}");
        let set = resp.headers["set-cookie"].to_str().unwrap();
        for attribute in [
            "recaudo_session=",
            "HttpOnly",
            "SameSite=Strict",
            "Path=/",
            "Max-Age=43200",
        ] {
            assert!(set.contains(attribute), "{db}: {set} lacks {attribute}");
        }
        // Served over plain HTTP (a loopback test site), the cookie cannot ask for HTTPS.
        assert!(!set.contains("Secure"), "{db}: {set}");

        let cookie = set.split(';').next().unwrap();
        let account = site.get(cookie, "/app/account").await;
        assert_eq!(account.status.as_u16(), 200, "{db}");
        assert!(account.text.contains("agent@a.test"), "{db}");
        assert!(
            account.text.contains("Luz do Vale"),
            "{db}: the operator's tenant"
        );
        assert!(
            !account.text.contains("Agua Clara"),
            "{db}: never another tenant"
        );
        let csp = account.headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{csp}"
        );
        assert_eq!(account.headers["cache-control"], "no-store");
        assert_eq!(account.headers["x-frame-options"], "DENY");

        // A way back to another site is not followed.
        let resp = req("POST", "/app/login")
            .raw(
                "application/x-www-form-urlencoded",
                form(&[
                    ("email", "agent@a.test"),
                    ("password", PASSWORD),
                    ("next", "https://evil.example/app"),
                ]),
            )
            .send(&site.router)
            .await;
        assert_eq!(resp.headers["location"], "/app", "{db}");
    }
}

#[tokio::test]
async fn over_https_the_session_cookie_is_secure() {
    let site = Site::start().await;
    let state = recaudo_web::AppState::new(site.app.store.clone(), site.app.clock.clone())
        .with_public_url("https://collect.example.com");
    let router = recaudo_web::router(state);
    let resp = req("POST", "/app/login")
        .raw(
            "application/x-www-form-urlencoded",
            form(&[("email", "viewer@a.test"), ("password", PASSWORD)]),
        )
        .send(&router)
        .await;
    assert_eq!(resp.status.as_u16(), 303, "{}", resp.text);
    let set = resp.headers["set-cookie"].to_str().unwrap();
    assert!(set.contains("; Secure"), "{set}");
}

#[tokio::test]
async fn wrong_credentials_get_one_generic_answer_then_a_rate_limit() {
    let site = Site::start().await;
    let attempt = |email: &'static str, password: &'static str| {
        req("POST", "/app/login").raw(
            "application/x-www-form-urlencoded",
            form(&[("email", email), ("password", password), ("lang", "en")]),
        )
    };
    let wrong = attempt("admin@a.test", "not the password")
        .send(&site.router)
        .await;
    let unknown = attempt("nobody@a.test", PASSWORD).send(&site.router).await;
    for resp in [&wrong, &unknown] {
        assert_eq!(resp.status.as_u16(), 401, "{}", resp.text);
        assert!(
            resp.text
                .contains("The e-mail or the password is not right."),
            "{}",
            resp.text
        );
        assert!(!resp.headers.contains_key("set-cookie"));
    }
    // The answers do not tell a known address from an unknown one.
    let error = |text: &str| {
        let at = text.find("id=\"login-error\"").expect("the error");
        text[at..at + 80].to_string()
    };
    assert_eq!(error(&wrong.text), error(&unknown.text));

    // Five attempts per address in the window; the sixth is refused even when right.
    for _ in 0..4 {
        let resp = attempt("admin@a.test", "still wrong")
            .send(&site.router)
            .await;
        assert_eq!(resp.status.as_u16(), 401);
    }
    let limited = attempt("admin@a.test", PASSWORD).send(&site.router).await;
    assert_eq!(limited.status.as_u16(), 429, "{}", limited.text);
    assert!(limited.headers.contains_key("retry-after"));
    assert!(limited.text.contains("Too many sign-in attempts"));
    // Another address is not held back by it.
    let other = attempt("agent@a.test", PASSWORD).send(&site.router).await;
    assert_eq!(other.status.as_u16(), 303);
}

#[tokio::test]
async fn sign_out_ends_the_session_and_needs_the_anti_forgery_value() {
    let site = Site::start().await;
    let cookie = site.cookie("viewer@a.test").await;

    // Without the anti-forgery value, or from another site: 403, still signed in.
    let bare = req("POST", "/app/logout")
        .header("cookie", &cookie)
        .raw("application/x-www-form-urlencoded", "")
        .send(&site.router)
        .await;
    assert_eq!(bare.status.as_u16(), 403, "{}", bare.text);
    let csrf = site.csrf(&cookie).await;
    let cross = req("POST", "/app/logout")
        .header("cookie", &cookie)
        .header("sec-fetch-site", "cross-site")
        .raw(
            "application/x-www-form-urlencoded",
            form(&[("csrf", &csrf)]),
        )
        .send(&site.router)
        .await;
    assert_eq!(cross.status.as_u16(), 403, "{}", cross.text);
    assert_eq!(site.get(&cookie, "/app/account").await.status.as_u16(), 200);

    let out = site.post_form(&cookie, "/app/logout", &[]).await;
    assert_eq!(out.status.as_u16(), 303, "{}", out.text);
    assert_eq!(out.headers["location"], "/app/login");
    assert!(
        out.headers["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(site.get(&cookie, "/app/account").await.status.as_u16(), 303);
}

#[tokio::test]
async fn pages_speak_the_operators_language_and_switch_on_request() {
    let site = Site::start().await;
    // Tenant A is Brazilian: its operators read Portuguese unless they switch.
    let cookie = site.cookie("admin@a.test").await;
    let page = site.get(&cookie, "/app/account").await;
    assert!(page.text.contains("<html lang=\"pt\">") && page.text.contains("Minha conta"));
    let page = site.get(&cookie, "/app/account?lang=es").await;
    assert!(page.text.contains("<html lang=\"es\">") && page.text.contains("Mi cuenta"));

    let switch = site
        .get(
            &cookie,
            "/app/language/en?back=%2Fapp%2Faccount%3Flang%3Des",
        )
        .await;
    assert_eq!(switch.status.as_u16(), 303);
    assert_eq!(switch.headers["location"], "/app/account");
    let lang = switch.headers["set-cookie"].to_str().unwrap();
    assert!(lang.starts_with("recaudo_lang=en;"), "{lang}");
    let both = format!("{cookie}; recaudo_lang=en");
    let page = site.get(&both, "/app/account").await;
    assert!(page.text.contains("<html lang=\"en\">") && page.text.contains("My account"));
    // The switcher never sends anyone off the dashboard.
    let off = site
        .get(&cookie, "/app/language/en?back=https%3A%2F%2Fevil.example")
        .await;
    assert_eq!(off.headers["location"], "/app");

    let login = req("GET", "/app/login")
        .header("accept-language", "en-US,en;q=0.9")
        .send(&site.router)
        .await;
    assert!(
        login.text.contains("Sign in to your team"),
        "{}",
        login.text
    );
    let login = req("GET", "/app/login?lang=pt").send(&site.router).await;
    assert!(login.text.contains("Entre no painel da sua equipe"));
}

#[tokio::test]
async fn the_assets_are_embedded_and_served_under_the_csp() {
    let site = Site::start().await;
    for (file, kind, mark) in [
        ("htmx.min.js", "text/javascript", "htmx"),
        ("chart.umd.min.js", "text/javascript", "Chart"),
        ("app.js", "text/javascript", "data-chart"),
        ("app.css", "text/css", "--brand"),
    ] {
        let resp = req("GET", format!("/app/assets/{file}"))
            .send(&site.router)
            .await;
        assert_eq!(resp.status.as_u16(), 200, "{file}");
        assert!(resp.content_type().starts_with(kind), "{file}");
        assert!(resp.text.contains(mark), "{file}");
        assert_eq!(resp.headers["x-content-type-options"], "nosniff");
    }
    let missing = req("GET", "/app/assets/../Cargo.toml")
        .send(&site.router)
        .await;
    assert_eq!(missing.status.as_u16(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_signs_in_with_a_browser_after_a_wrong_password() -> Result<(), CdpError> {
    let Some(browser) = Browser::shared() else {
        return Ok(());
    };
    let site = Site::start().await;
    let page = browser.page_desktop().await?;
    page.goto(&format!("{}/app/account", site.base)).await?;
    assert!(
        page.url().await?.contains("/app/login?next="),
        "sent to sign in"
    );
    page.fill("#email", "agent@a.test").await?;
    page.fill("#password", "not the password").await?;
    page.submit_and_wait("form button[type=submit]").await?;
    assert_eq!(page.status().await?, 401);
    let error = page.text("#login-error").await?;
    assert!(
        ["not right", "no son correctos", "não estão corretos"]
            .iter()
            .any(|said| error.contains(said)),
        "{error}"
    );
    page.screenshot("dashboard-login").await?;
    let mut findings = a11y::labels(&page).await?;
    findings.extend(a11y::contrast(&page).await?);
    assert!(findings.is_empty(), "{}", a11y::report(&findings));

    page.fill("#password", PASSWORD).await?;
    page.submit_and_wait("form button[type=submit]").await?;
    assert!(
        page.url().await?.ends_with("/app/account"),
        "{}",
        page.url().await?
    );
    let who = page.text("main").await?;
    assert!(who.contains("agent@a.test"), "{who}");
    // No script or style was refused by the CSP: the shell's scripts all ran.
    let loaded = page
        .eval("typeof htmx === 'object' && typeof Chart === 'function'")
        .await?;
    assert_eq!(loaded, serde_json::Value::Bool(true));
    let mut findings = a11y::labels(&page).await?;
    findings.extend(a11y::contrast(&page).await?);
    assert!(findings.is_empty(), "{}", a11y::report(&findings));

    // The team page, as an agent sees it: the list, no forms to change it.
    page.goto(&format!("{}/app/team", site.base)).await?;
    let team = page.text("main").await?;
    assert!(
        team.contains("viewer@a.test") && team.contains("admin@a.test"),
        "{team}"
    );
    let forms = page
        .eval("document.querySelectorAll('main form').length")
        .await?;
    assert_eq!(
        forms,
        serde_json::json!(0),
        "an agent gets no add or disable form"
    );
    let mut findings = a11y::labels(&page).await?;
    findings.extend(a11y::contrast(&page).await?);
    assert!(findings.is_empty(), "{}", a11y::report(&findings));

    // Signing out through the shell's button ends the session.
    page.submit_and_wait("header.top form button").await?;
    assert!(page.url().await?.ends_with("/app/login"));
    page.goto(&format!("{}/app/account", site.base)).await?;
    assert!(page.url().await?.contains("/app/login"));
    Ok(())
}

#[tokio::test]
async fn an_admin_adds_and_disables_teammates_and_nobody_else_can() {
    for site in Site::every_store().await {
        let db = site.app.db;
        let admin = site.cookie("admin@a.test").await;
        let team = site.get(&admin, "/app/team").await;
        assert_eq!(team.status.as_u16(), 200, "{db}");
        assert!(
            team.text.contains("viewer@a.test") && !team.text.contains("admin@b.test"),
            "{db}: own tenant only"
        );
        let csv = site.get(&admin, "/app/team.csv").await;
        assert!(csv.content_type().starts_with("text/csv"), "{db}");
        assert_eq!(
            csv.text.lines().count(),
            4,
            "{db}: a header and three operators: {}",
            csv.text
        );
        assert!(
            csv.text
                .starts_with("name,email,role,language,created_at,disabled_at\r\n"),
            "{db}"
        );
        assert!(
            !csv.text.contains("argon2") && !csv.text.contains("admin@b.test"),
            "{db}"
        );

        // An agent and a viewer see the team and can change nothing of it.
        for who in ["agent@a.test", "viewer@a.test"] {
            let cookie = site.cookie(who).await;
            let page = site.get(&cookie, "/app/team").await;
            assert!(
                !page.text.contains("action=\"/app/team\""),
                "{db}: no add form for {who}"
            );
            let add = site
                .post_form(
                    &cookie,
                    "/app/team",
                    &[("name", "Eve"), ("email", "eve@a.test"), ("role", "admin")],
                )
                .await;
            assert_eq!(add.status.as_u16(), 403, "{db}: {who} adds");
            let off = site
                .post_form(&cookie, "/app/team/disable", &[("email", "admin@a.test")])
                .await;
            assert_eq!(off.status.as_u16(), 403, "{db}: {who} disables");
        }
        let listed = site
            .app
            .store
            .list_operators(site.tenants[0].id)
            .await
            .unwrap();
        assert_eq!(listed.len(), 3, "{db}: nothing added");
        assert!(
            listed.iter().all(|o| o.disabled_at.is_none()),
            "{db}: nothing disabled"
        );

        // Bad input names the field and adds nobody.
        let bad = site
            .post_form(
                &admin,
                "/app/team",
                &[
                    ("name", "Eve"),
                    ("email", "not an address"),
                    ("role", "agent"),
                ],
            )
            .await;
        assert_eq!(bad.status.as_u16(), 422, "{db}");
        assert!(
            bad.text.contains("id=\"email-error\""),
            "{db}: {}",
            bad.text
        );
        let taken = site
            .post_form(
                &admin,
                "/app/team",
                &[
                    ("name", "Eve"),
                    ("email", "admin@b.test"),
                    ("role", "agent"),
                ],
            )
            .await;
        assert_eq!(
            taken.status.as_u16(),
            422,
            "{db}: an address of another tenant is taken"
        );

        // The admin adds an agent: the password is shown once and signs in.
        let made = site
            .post_form(
                &admin,
                "/app/team",
                &[
                    ("name", "Eva Lima"),
                    ("email", "eva@a.test"),
                    ("role", "agent"),
                    ("language", "es"),
                ],
            )
            .await;
        assert_eq!(made.status.as_u16(), 200, "{db}: {}", made.text);
        let at = made
            .text
            .find("id=\"made-password\">")
            .expect("the password shown")
            + 19;
        let password = &made.text[at..at + 20];
        let signed = site
            .app
            .store
            .check_login(
                "eva@a.test",
                &recaudo_domain::Secret::new(password.to_string()),
            )
            .await
            .unwrap()
            .expect("the shown password signs in");
        assert_eq!(
            signed.role,
            recaudo_domain::operators::OperatorRole::Agent,
            "{db}"
        );
        assert_eq!(
            signed.tenant_id, site.tenants[0].id,
            "{db}: in the admin's tenant"
        );

        // Disabling ends her sessions; an admin cannot disable themselves or another tenant's.
        let eva = req("POST", "/app/login")
            .raw(
                "application/x-www-form-urlencoded",
                form(&[("email", "eva@a.test"), ("password", password)]),
            )
            .send(&site.router)
            .await;
        let eva = eva.headers["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let off = site
            .post_form(&admin, "/app/team/disable", &[("email", "eva@a.test")])
            .await;
        assert_eq!(off.status.as_u16(), 200, "{db}: {}", off.text);
        assert_eq!(
            site.get(&eva, "/app/account").await.status.as_u16(),
            303,
            "{db}: signed out"
        );
        let me = site
            .post_form(&admin, "/app/team/disable", &[("email", "admin@a.test")])
            .await;
        assert_eq!(me.status.as_u16(), 422, "{db}");
        let other = site
            .post_form(&admin, "/app/team/disable", &[("email", "admin@b.test")])
            .await;
        assert_eq!(other.status.as_u16(), 404, "{db}");
        assert!(
            site.app
                .store
                .list_operators(site.tenants[1].id)
                .await
                .unwrap()[0]
                .disabled_at
                .is_none(),
            "{db}: the other tenant's admin is untouched"
        );
    }
}
