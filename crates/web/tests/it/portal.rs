//! The debtor's portal over HTTP (`/p/{token}`): pages in es/pt/en, promise, dispute with
//! evidence, preferences honoured by the next plan, opt-out, documents, anti-forgery, link
//! expiry and revocation, rate limits and security headers. SQLite and PostgreSQL.

use axum::Router;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use recaudo_channels::links::LinkSigner;
use recaudo_domain::portfolio::{Channel, ConsentStatus, Debt, DebtStatus, Debtor};
use recaudo_domain::{Currency, Money};
use recaudo_store::{NewContactPoint, NewDebt, NewDebtor, TenantStore, TimelineQuery};
use recaudo_web::{AppState, PortalLimits, router};

use crate::fixtures::{App, Resp, apps, req, t0};

const BASE: &str = "https://collect.test";

pub fn signer() -> LinkSigner {
    LinkSigner::new(b"the portal test's link key", BASE)
}

/// One store's portal: the app, a router with links, tenant A's store, a Brazilian debtor
/// (Portuguese) with two open debts, an email and an SMS point, and a debtor link issued an
/// hour before the clock's now.
pub struct Portal {
    pub app: App,
    pub r: Router,
    pub ts: TenantStore,
    pub debtor: Debtor,
    pub debts: Vec<Debt>,
    pub token: String,
}

impl Portal {
    pub fn db(&self) -> &'static str {
        self.app.db
    }

    /// `/p/{token}{path}`.
    pub fn path(&self, path: &str) -> String {
        format!("/p/{}{path}", self.token)
    }

    /// A GET of a portal page.
    pub async fn get(&self, path: &str) -> Resp {
        req("GET", self.path(path)).send(&self.r).await
    }

    /// The anti-forgery value of a form of the page at `path` (read from the page).
    pub async fn csrf(&self, path: &str) -> String {
        let page = self.get(path).await;
        assert_eq!(page.status.as_u16(), 200, "{}: {}", self.db(), page.text);
        let marker = "name=\"csrf\" value=\"";
        let start = page.text.find(marker).expect("a csrf field") + marker.len();
        let end = start + page.text[start..].find('"').expect("end of value");
        page.text[start..end].to_string()
    }

    /// A same-origin form post of `fields` (URL-encoded) to `path`.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let body = serde_urlencoded::to_string(fields).expect("form");
        req("POST", self.path(path))
            .header("sec-fetch-site", "same-origin")
            .header("origin", BASE)
            .raw("application/x-www-form-urlencoded", body)
            .send(&self.r)
            .await
    }

    pub async fn events(&self, kind: &str) -> Vec<serde_json::Value> {
        let page = self
            .ts
            .debtor_timeline(self.debtor.id, &TimelineQuery::default())
            .await
            .expect("timeline");
        page.items
            .into_iter()
            .filter(|e| e.kind.as_str() == kind)
            .map(|e| e.data)
            .collect()
    }
}

pub fn state(app: &App, limits: PortalLimits) -> AppState {
    let mut state = AppState::new(app.store.clone(), app.clock.clone())
        .with_links(signer())
        .with_public_url(BASE);
    state.portal_limits = limits;
    state
}

pub async fn tenant_a(app: &App) -> TenantStore {
    let tenants = app.store.list_tenants().await.expect("tenants");
    let tenant = tenants
        .iter()
        .find(|t| t.name == "Luz do Vale")
        .expect("tenant A");
    app.store.tenant(tenant)
}

pub async fn portals() -> Vec<Portal> {
    portals_with(PortalLimits::default()).await
}

pub async fn portals_with(limits: PortalLimits) -> Vec<Portal> {
    let mut out = vec![];
    for app in apps().await {
        let ts = tenant_a(&app).await;
        let debtor = ts
            .create_debtor(
                NewDebtor {
                    external_id: "BR-9".into(),
                    name: "Joana Prado Lima".into(),
                    ..Default::default()
                },
                t0(),
            )
            .await
            .expect("debtor");
        let mut debts = vec![];
        for (external, minor, due) in [("INV-10", 12_345, 10), ("INV-11", 50_000, 30)] {
            debts.push(
                ts.create_debt(
                    NewDebt {
                        debtor_id: debtor.id,
                        external_id: external.into(),
                        amount: Money::from_minor(minor, Currency::Brl),
                        balance: None,
                        issued_on: None,
                        due_on: NaiveDate::from_ymd_opt(2026, 11, due).expect("date"),
                        product: None,
                    },
                    t0(),
                )
                .await
                .expect("debt"),
            );
        }
        for (channel, address) in [
            (Channel::Email, "joana@example.com"),
            (Channel::Sms, "+5511987654321"),
        ] {
            ts.add_contact_point(
                debtor.id,
                NewContactPoint {
                    channel,
                    address: Some(address.into()),
                    postal: None,
                    consent: Default::default(),
                    priority: None,
                },
                t0(),
            )
            .await
            .expect("contact point");
        }
        let token = signer().debtor_token(debtor.id, issued());
        let r = router(state(&app, limits));
        out.push(Portal {
            app,
            r,
            ts,
            debtor,
            debts,
            token,
        });
    }
    out
}

/// When the fixture's link was issued.
pub fn issued() -> DateTime<Utc> {
    t0() - Duration::hours(1)
}

#[track_caller]
fn contains(resp: &Resp, db: &str, needles: &[&str]) {
    for needle in needles {
        assert!(
            resp.text.contains(needle),
            "{db}: `{needle}` in {}",
            resp.text
        );
    }
}

#[tokio::test]
async fn home_renders_in_three_languages_with_headers_and_one_visit_a_day() {
    for p in portals().await {
        let db = p.db();
        // The debtor's language (Portuguese in Brazil) without `?lang`.
        let resp = p.get("").await;
        assert_eq!(resp.status.as_u16(), 200, "{db}: {}", resp.text);
        contains(
            &resp,
            db,
            &[
                "lang=\"pt-BR\"",
                "Suas contas com Luz do Vale",
                "Olá, Joana!",
                "INV-10",
                "R$ 123,45",
                "INV-11",
                "R$ 500,00",
                "R$ 623,45",
                "10/11/2026",
                "Combinar uma data de pagamento",
                "/plan",
                "/debts/",
                "invoice.pdf",
                "?lang=es",
                "?lang=en",
            ],
        );
        for hidden in [
            "Prado",
            "Lima",
            "joana@example.com",
            // No payment account: paying is not offered (plans are, by default).
            "/pay",
            "<script",
            "style=",
        ] {
            assert!(!resp.text.contains(hidden), "{db}: {hidden}");
        }
        for (name, value) in [
            (
                "content-security-policy",
                "default-src 'none'; img-src 'self' data:; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            ),
            ("x-frame-options", "DENY"),
            ("x-content-type-options", "nosniff"),
            ("referrer-policy", "no-referrer"),
            ("cache-control", "no-store"),
            ("cross-origin-opener-policy", "same-origin"),
            (
                "permissions-policy",
                "camera=(), microphone=(), geolocation=()",
            ),
            ("x-robots-tag", "noindex"),
        ] {
            assert_eq!(resp.headers[name], value, "{db}: {name}");
        }
        // Days late from the debtor's today (23 November): 13 and none.
        contains(&resp, db, &["<td class=\"num\">13</td>", "Em dia"]);
        for (lang, shown) in [
            (
                "es",
                ["lang=\"es-", "Sus cuentas con Luz do Vale", "Hola, Joana:"],
            ),
            (
                "en",
                [
                    "lang=\"en",
                    "Your accounts with Luz do Vale",
                    "Hello Joana,",
                ],
            ),
            (
                "pt",
                [
                    "lang=\"pt-BR\"",
                    "Suas contas com Luz do Vale",
                    "Olá, Joana!",
                ],
            ),
        ] {
            let resp = p.get(&format!("?lang={lang}")).await;
            assert_eq!(resp.status.as_u16(), 200, "{db}");
            contains(&resp, db, &shown);
            // Links keep the language.
            contains(&resp, db, &[&format!("/promise?lang={lang}")]);
        }
        // Four visits today: one event; tomorrow another.
        let visits = p.events("portal_visited").await;
        assert_eq!(visits.len(), 1, "{db}: {visits:?}");
        assert_eq!(visits[0]["link"], "debtor", "{db}");
        p.app.clock.set(t0() + Duration::days(1));
        p.get("").await;
        p.get("").await;
        assert_eq!(p.events("portal_visited").await.len(), 2, "{db}");
        // The style sheet and the theme are served, cacheable.
        let css = req("GET", "/p/assets/portal.css").send(&p.r).await;
        assert_eq!(css.status.as_u16(), 200, "{db}");
        assert!(css.content_type().starts_with("text/css"), "{db}");
        let theme = req("GET", "/p/assets/theme/ffe066.css").send(&p.r).await;
        contains(&theme, db, &["--brand: #ffe066", "--on-brand: #000000"]);
    }
}

fn locale_tag_lang(resp: &Resp) -> bool {
    resp.text.contains("<html lang=")
}

#[tokio::test]
async fn bad_links_answer_the_neutral_page() {
    for p in portals().await {
        let db = p.db();
        let neutral = |resp: &Resp| {
            assert_eq!(resp.status.as_u16(), 404, "{db}: {}", resp.text);
            assert!(locale_tag_lang(resp), "{db}");
            for hidden in ["Joana", "INV-10", "Luz do Vale"] {
                assert!(!resp.text.contains(hidden), "{db}: {hidden}");
            }
            assert!(resp.text.contains("Invalid link"), "{db}");
        };
        // Tampered: the issue time moved, or the MAC changed.
        let mut tampered = p.token.clone();
        tampered.replace_range(26..34, "7fffffff");
        neutral(&req("GET", format!("/p/{tampered}")).send(&p.r).await);
        let mut forged = p.token.clone();
        let last = if forged.ends_with('A') { "B" } else { "A" };
        forged.replace_range(49.., last);
        neutral(&req("GET", format!("/p/{forged}")).send(&p.r).await);
        // Expired: 60 days after issue (the default).
        p.app.clock.set(issued() + Duration::days(60));
        neutral(&p.get("").await);
        p.app.clock.set(t0());
        assert_eq!(p.get("").await.status.as_u16(), 200, "{db}");
        // Revoked through the API: the old link dies, a new one works.
        let resp = req(
            "POST",
            format!("/api/v1/debtors/{}/portal-links/revoke", p.debtor.id),
        )
        .key(&p.app.a)
        .send(&p.r)
        .await;
        assert_eq!(resp.status.as_u16(), 204, "{db}: {}", resp.text);
        neutral(&p.get("").await);
        neutral(&p.get("/promise").await);
        let resp = req(
            "POST",
            format!("/api/v1/debtors/{}/portal-link", p.debtor.id),
        )
        .key(&p.app.a)
        .send(&p.r)
        .await;
        let body = resp.ok(201).clone();
        let url = body["url"].as_str().expect("a url");
        assert!(url.starts_with("https://collect.test/p/"), "{db}: {url}");
        let expires: DateTime<Utc> = body["expires_at"]
            .as_str()
            .expect("expires_at")
            .parse()
            .expect("a time");
        assert!(expires > t0() + Duration::days(59), "{db}");
        let path = url.trim_start_matches(BASE);
        let resp = req("GET", path).send(&p.r).await;
        assert_eq!(resp.status.as_u16(), 200, "{db}: {}", resp.text);
        // Another tenant's key cannot issue or revoke this debtor's links.
        let resp = req(
            "POST",
            format!("/api/v1/debtors/{}/portal-link", p.debtor.id),
        )
        .key(&p.app.b)
        .send(&p.r)
        .await;
        resp.problem(404, "not-found");
        // The debtor erased: the link leads nowhere.
        p.ts.erase_debtor(p.debtor.id, t0()).await.expect("erased");
        neutral(&req("GET", path).send(&p.r).await);
    }
}

#[tokio::test]
async fn promise_ok_past_beyond_and_not_a_date() {
    for p in portals().await {
        let db = p.db();
        let form = p.get("/promise?lang=es").await;
        assert_eq!(form.status.as_u16(), 200, "{db}");
        contains(
            &form,
            db,
            &[
                "id=\"promise-date\"",
                "type=\"date\"",
                "min=\"2026-11-23\"",
                "max=\"2026-12-23\"",
                "<label for=\"promise-date\">",
                "button type=\"submit\"",
                "Comprometer una fecha de pago",
            ],
        );
        let csrf = p.csrf("/promise?lang=es").await;
        for (date, message) in [
            ("2026-11-22", "La fecha no puede ser anterior a hoy."),
            ("2026-12-24", "La fecha no puede ser posterior al"),
            ("tomorrow", "Escriba una fecha válida."),
            ("", "Escriba una fecha válida."),
        ] {
            let resp = p
                .post(
                    "/promise?lang=es",
                    &[("csrf", &csrf), ("date", date), ("debt", "all")],
                )
                .await;
            assert_eq!(resp.status.as_u16(), 422, "{db} {date}: {}", resp.text);
            contains(
                &resp,
                db,
                &[
                    message,
                    "class=\"error\"",
                    "aria-describedby=\"promise-date-hint error\"",
                ],
            );
        }
        assert!(p.events("promise_made").await.is_empty(), "{db}");
        // One debt only.
        let one = p.debts[1].id.to_string();
        let resp = p
            .post(
                "/promise?lang=es",
                &[("csrf", &csrf), ("date", "2026-12-23"), ("debt", &one)],
            )
            .await;
        assert_eq!(resp.status.as_u16(), 303, "{db}: {}", resp.text);
        let location = resp.headers["location"]
            .to_str()
            .expect("location")
            .to_string();
        assert!(
            location.contains("lang=es") && location.contains("done=2026-12-23"),
            "{db}"
        );
        let done = req("GET", location).send(&p.r).await;
        contains(&done, db, &["id=\"confirmation\"", "23/12/2026"]);
        let made = p.events("promise_made").await;
        assert_eq!(made.len(), 1, "{db}");
        assert_eq!(made[0]["source"], "portal", "{db}: {made:?}");
        let debt = p.ts.get_debt(p.debts[1].id).await.expect("debt");
        assert_eq!(debt.status, DebtStatus::Promised, "{db}");
        let promises = p.ts.list_promises(p.debts[1].id).await.expect("promises");
        assert_eq!(promises[0].amount, p.debts[1].balance, "{db}");
        assert_eq!(
            p.ts.get_debt(p.debts[0].id).await.expect("debt").status,
            DebtStatus::Open,
            "{db}"
        );
        // All debts.
        let resp = p
            .post(
                "/promise",
                &[
                    ("csrf", &p.csrf("/promise").await),
                    ("date", "2026-11-30"),
                    ("debt", "all"),
                ],
            )
            .await;
        assert_eq!(resp.status.as_u16(), 303, "{db}: {}", resp.text);
        assert_eq!(p.events("promise_made").await.len(), 3, "{db}");
    }
}

#[tokio::test]
async fn csrf_missing_forged_or_cross_site_is_refused_and_changes_nothing() {
    for p in portals().await {
        let db = p.db();
        let csrf = p.csrf("/promise").await;
        for given in ["", "forged-value-0000000000"] {
            let resp = p
                .post("/promise", &[("csrf", given), ("date", "2026-11-30")])
                .await;
            assert_eq!(resp.status.as_u16(), 403, "{db}: {}", resp.text);
            contains(
                &resp,
                db,
                &["lang=\"pt-BR\"", "Não foi possível processar o formulário"],
            );
        }
        let resp = p.post("/promise", &[("date", "2026-11-30")]).await;
        assert_eq!(resp.status.as_u16(), 403, "{db}");
        // Another form's value does not fit this one.
        let other = p.csrf("/opt-out").await;
        let resp = p
            .post("/promise", &[("csrf", &other), ("date", "2026-11-30")])
            .await;
        assert_eq!(resp.status.as_u16(), 403, "{db}");
        // A genuine value sent cross-site.
        let body = serde_urlencoded::to_string([("csrf", csrf.as_str()), ("date", "2026-11-30")])
            .expect("form");
        for (name, value) in [
            ("sec-fetch-site", "cross-site"),
            ("sec-fetch-site", "same-site"),
            ("origin", "https://evil.example"),
        ] {
            let resp = req("POST", p.path("/promise"))
                .header(name, value)
                .raw("application/x-www-form-urlencoded", body.clone())
                .send(&p.r)
                .await;
            assert_eq!(resp.status.as_u16(), 403, "{db}: {name}");
        }
        // Two hours later the value has expired.
        p.app.clock.set(t0() + Duration::hours(2));
        let resp = p
            .post("/promise", &[("csrf", &csrf), ("date", "2026-11-30")])
            .await;
        assert_eq!(resp.status.as_u16(), 403, "{db}");
        assert!(p.events("promise_made").await.is_empty(), "{db}");
        // The same value within the hour is accepted (no headers: a browser that sends none).
        p.app.clock.set(t0());
        let resp = req("POST", p.path("/promise"))
            .raw("application/x-www-form-urlencoded", body)
            .send(&p.r)
            .await;
        assert_eq!(resp.status.as_u16(), 303, "{db}: {}", resp.text);
    }
}

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after() {
    let limits = PortalLimits {
        ip_per_minute: 5,
        posts_per_hour: 2,
    };
    for p in portals_with(limits).await {
        let db = p.db();
        for _ in 0..5 {
            assert_eq!(p.get("").await.status.as_u16(), 200, "{db}");
        }
        let resp = p.get("").await;
        assert_eq!(resp.status.as_u16(), 429, "{db}");
        let retry: i64 = resp.headers["retry-after"]
            .to_str()
            .expect("text")
            .parse()
            .expect("seconds");
        assert!((1..=60).contains(&retry), "{db}: {retry}");
        assert!(!resp.text.contains("Joana"), "{db}");
        // The next minute: posts count per link per hour.
        p.app.clock.set(t0() + Duration::minutes(1));
        let csrf = p.csrf("/opt-out").await;
        for expected in [422, 422, 429] {
            let resp = p.post("/opt-out", &[("csrf", &csrf)]).await;
            assert_eq!(resp.status.as_u16(), expected, "{db}: {}", resp.text);
        }
    }
}

#[tokio::test]
async fn opt_out_per_channel_and_from_all() {
    for p in portals().await {
        let db = p.db();
        let form = p.get("/opt-out?lang=en").await;
        contains(
            &form,
            db,
            &[
                "id=\"optout-email\"",
                "id=\"optout-sms\"",
                "id=\"optout-all\"",
                "<label for=\"optout-sms\">SMS</label>",
            ],
        );
        let csrf = p.csrf("/opt-out?lang=en").await;
        let resp = p
            .post("/opt-out?lang=en", &[("csrf", &csrf), ("channel", "sms")])
            .await;
        assert_eq!(resp.status.as_u16(), 303, "{db}: {}", resp.text);
        let done = req("GET", resp.headers["location"].to_str().expect("location"))
            .send(&p.r)
            .await;
        contains(
            &done,
            db,
            &["id=\"confirmation\"", "We will send you no more messages"],
        );
        let points = p.ts.list_contact_points(p.debtor.id).await.expect("points");
        for point in &points {
            let out = point.channel == Channel::Sms;
            assert_eq!(
                point.consent.status == ConsentStatus::OptedOut,
                out,
                "{db}: {point:?}"
            );
            if out {
                assert_eq!(point.consent.source.as_deref(), Some("portal"), "{db}");
            }
        }
        let events = p.events("opted_out").await;
        assert_eq!(events.len(), 1, "{db}");
        assert_eq!(events[0]["source"], "portal", "{db}");
        // The form now offers email only; all opts the rest out.
        let form = p.get("/opt-out").await;
        assert!(!form.text.contains("id=\"optout-sms\""), "{db}");
        let resp = p
            .post("/opt-out", &[("csrf", &csrf), ("channel", "all")])
            .await;
        assert_eq!(resp.status.as_u16(), 303, "{db}");
        let points = p.ts.list_contact_points(p.debtor.id).await.expect("points");
        assert!(
            points
                .iter()
                .all(|p| p.consent.status == ConsentStatus::OptedOut),
            "{db}"
        );
        assert_eq!(p.events("opted_out").await.len(), 2, "{db}");
        // Nothing chosen, or a channel that does not exist: 422, nothing changed.
        for fields in [
            vec![("csrf", csrf.as_str())],
            vec![("csrf", csrf.as_str()), ("channel", "pigeon")],
        ] {
            let resp = p.post("/opt-out", &fields).await;
            assert_eq!(resp.status.as_u16(), 422, "{db}");
        }
        assert_eq!(p.events("opted_out").await.len(), 2, "{db}");
    }
}

/// An evidence file: name, declared type, bytes.
type Upload<'a> = (&'a str, &'a str, &'a [u8]);

/// A dispute post that is refused: its fields, its file, the message shown.
type Case<'a> = (Vec<(&'a str, &'a str)>, Option<Upload<'a>>, &'a str);

/// A multipart body of text fields and an optional file; returns (content type, body).
fn multipart(fields: &[(&str, &str)], file: Option<(&str, &str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----recaudo-test-boundary-7d9f";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((filename, declared, bytes)) = file {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"evidence\"; \
                 filename=\"{filename}\"\r\nContent-Type: {declared}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

impl Portal {
    async fn dispute(&self, fields: &[(&str, &str)], file: Option<(&str, &str, &[u8])>) -> Resp {
        let (content_type, body) = multipart(fields, file);
        req("POST", self.path("/dispute"))
            .header("sec-fetch-site", "same-origin")
            .raw(&content_type, body)
            .send(&self.r)
            .await
    }
}

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

#[tokio::test]
async fn dispute_with_pdf_png_and_refused_files() {
    for p in portals().await {
        let db = p.db();
        let form = p.get("/dispute").await;
        contains(
            &form,
            db,
            &[
                "enctype=\"multipart/form-data\"",
                "id=\"dispute-reason\"",
                "id=\"dispute-text\"",
                "id=\"dispute-evidence\"",
                "<label for=\"dispute-evidence\">",
                "Fazer uma contestação",
            ],
        );
        let csrf = p.csrf("/dispute").await;
        let first = p.debts[0].id.to_string();
        // Refused: an EXE-ish blob named .pdf, over 5 MiB, no reason, a text too long.
        let exe: &[u8] = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0 this program cannot be run";
        let big = {
            let mut b = b"%PDF-1.4\n".to_vec();
            b.resize(5 * 1024 * 1024 + 1, b'0');
            b
        };
        let long = "x".repeat(2001);
        let cases: Vec<Case> = vec![
            (
                vec![
                    ("csrf", &csrf),
                    ("reason", "already_paid"),
                    ("debt", &first),
                ],
                Some(("receipt.pdf", "application/pdf", exe)),
                "O arquivo deve ser um PDF, PNG ou JPEG.",
            ),
            (
                vec![
                    ("csrf", &csrf),
                    ("reason", "already_paid"),
                    ("debt", &first),
                ],
                Some(("big.pdf", "application/pdf", &big)),
                "O arquivo não pode passar de 5 MB.",
            ),
            (
                vec![("csrf", &csrf), ("reason", "because"), ("debt", &first)],
                None,
                "Escolha um motivo.",
            ),
            (
                vec![("csrf", &csrf), ("reason", "other"), ("text", &long)],
                None,
                "O texto não pode passar de 2000 caracteres.",
            ),
        ];
        for (fields, file, message) in cases {
            let resp = p.dispute(&fields, file).await;
            assert_eq!(resp.status.as_u16(), 422, "{db}: {message}");
            contains(&resp, db, &[message, "id=\"error\""]);
        }
        // A body over the route's limit (6 MiB) is cut off: 422, nothing stored.
        let huge = vec![b'%'; 6 * 1024 * 1024];
        let resp = p
            .dispute(
                &[("csrf", &csrf), ("reason", "other")],
                Some(("huge.pdf", "application/pdf", &huge)),
            )
            .await;
        assert_eq!(resp.status.as_u16(), 422, "{db}");
        contains(&resp, db, &["O arquivo não pode passar de 5 MB."]);
        assert!(p.events("dispute_opened").await.is_empty(), "{db}");
        // A forged value: 403, nothing stored.
        let resp = p
            .dispute(
                &[("csrf", "forged"), ("reason", "other")],
                Some(("a.png", "image/png", PNG)),
            )
            .await;
        assert_eq!(resp.status.as_u16(), 403, "{db}");
        // A PDF on the first debt.
        let pdf = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";
        let resp = p
            .dispute(
                &[
                    ("csrf", &csrf),
                    ("reason", "already_paid"),
                    ("text", "Paguei no dia 5 <b>pelo banco</b>."),
                    ("debt", &first),
                ],
                Some(("comprovante.pdf", "application/octet-stream", pdf)),
            )
            .await;
        assert_eq!(resp.status.as_u16(), 303, "{db}: {}", resp.text);
        let done = req("GET", resp.headers["location"].to_str().expect("location"))
            .send(&p.r)
            .await;
        contains(
            &done,
            db,
            &["id=\"confirmation\"", "Recebemos sua contestação"],
        );
        let disputes = p.ts.list_disputes(p.debts[0].id).await.expect("disputes");
        assert_eq!(disputes.len(), 1, "{db}");
        assert!(
            disputes[0]
                .reason
                .starts_with("already_paid: Paguei no dia 5"),
            "{db}"
        );
        assert_eq!(
            p.ts.get_debt(p.debts[0].id).await.expect("debt").status,
            DebtStatus::Disputed,
            "{db}"
        );
        // The agent reads the evidence through the API.
        let list = req(
            "GET",
            format!("/api/v1/disputes/{}/evidence", disputes[0].id),
        )
        .key(&p.app.a)
        .send(&p.r)
        .await;
        let items = list.ok(200)["items"].as_array().expect("items").clone();
        assert_eq!(items.len(), 1, "{db}");
        assert_eq!(items[0]["content_type"], "application/pdf", "{db}");
        assert_eq!(items[0]["size"], pdf.len(), "{db}");
        let file = req(
            "GET",
            format!(
                "/api/v1/disputes/{}/evidence/{}",
                disputes[0].id,
                items[0]["id"].as_str().expect("id")
            ),
        )
        .key(&p.app.a)
        .send(&p.r)
        .await;
        assert_eq!(file.status.as_u16(), 200, "{db}");
        assert_eq!(file.text.as_bytes(), pdf, "{db}");
        assert_eq!(file.headers["x-content-type-options"], "nosniff", "{db}");
        assert!(
            file.headers["content-disposition"]
                .to_str()
                .expect("text")
                .starts_with("attachment; filename=\"comprovante.pdf\""),
            "{db}"
        );
        // Another tenant sees none of it.
        let other = req(
            "GET",
            format!("/api/v1/disputes/{}/evidence", disputes[0].id),
        )
        .key(&p.app.b)
        .send(&p.r)
        .await;
        other.problem(404, "not-found");
        // A task waits in the disputes queue.
        let tasks = req("GET", "/api/v1/tasks?queue=disputes")
            .key(&p.app.a)
            .send(&p.r)
            .await;
        let tasks = tasks.ok(200)["items"].as_array().expect("tasks").clone();
        assert_eq!(tasks.len(), 1, "{db}: {tasks:?}");
        // A PNG on the remaining debt (the disputed one is no longer offered).
        let resp = p
            .dispute(
                &[("csrf", &csrf), ("reason", "wrong_amount"), ("debt", "all")],
                Some(("foto.jpg", "image/jpeg", PNG)),
            )
            .await;
        assert_eq!(resp.status.as_u16(), 303, "{db}: {}", resp.text);
        let disputes = p.ts.list_disputes(p.debts[1].id).await.expect("disputes");
        assert_eq!(disputes.len(), 1, "{db}");
        let items =
            p.ts.list_dispute_evidence(disputes[0].id)
                .await
                .expect("evidence");
        assert_eq!(items[0].content_type, "image/png", "{db}");
        assert_eq!(p.events("dispute_opened").await.len(), 2, "{db}");
    }
}

#[tokio::test]
async fn every_page_renders_in_three_languages_with_labels() {
    for p in portals().await {
        let db = p.db();
        for lang in ["es", "pt", "en"] {
            for path in ["", "/promise", "/dispute", "/preferences", "/opt-out"] {
                let resp = p.get(&format!("{path}?lang={lang}")).await;
                assert_eq!(resp.status.as_u16(), 200, "{db} {lang} {path}");
                contains(
                    &resp,
                    db,
                    &[&format!("<html lang=\"{lang}-"), "name=\"viewport\""],
                );
                assert!(!resp.text.contains("tabindex=\"1"), "{db}");
                // Every input but hidden ones has a label.
                for (i, _) in resp.text.match_indices("<input ") {
                    let tag = &resp.text[i..i + resp.text[i..].find('>').expect("tag end")];
                    if tag.contains("type=\"hidden\"") {
                        continue;
                    }
                    let id_at = tag.find("id=\"").expect("an input id") + 4;
                    let id = &tag[id_at..id_at + tag[id_at..].find('"').expect("id end")];
                    assert!(
                        resp.text.contains(&format!("<label for=\"{id}\"")),
                        "{db} {lang} {path}: no label for {id}"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn preferences_are_saved_and_honoured_by_the_next_plan() {
    const STRATEGY: &str = "id: portal-test\nversion: 1\npriority: 1\n\
stop_when: [\"debt.balance <= 0.0\"]\n\
steps:\n\
  - { id: late, at: due+13d, send: { channel: sms, template: overdue_soft, fallback: [email] } }\n";
    for p in portals().await {
        let db = p.db();
        p.ts.put_strategy(STRATEGY, t0()).await.expect("strategy");
        let form = p.get("/preferences?lang=en").await;
        contains(
            &form,
            db,
            &[
                "id=\"pref-channel-email\"",
                "id=\"pref-channel-sms\"",
                "id=\"pref-day-mon\"",
                "id=\"pref-from\"",
                "id=\"pref-language\"",
                "id=\"pref-paperless\"",
            ],
        );
        let csrf = p.csrf("/preferences?lang=en").await;
        let every_day: Vec<(&str, &str)> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
            .iter()
            .map(|d| ("weekday", *d))
            .collect();
        let mut fields = vec![
            ("csrf", csrf.as_str()),
            ("channel", "sms"),
            ("channel", "email"),
            ("language", "pt"),
        ];
        fields.extend(every_day.iter().copied());
        let resp = p.post("/preferences?lang=en", &fields).await;
        assert_eq!(resp.status.as_u16(), 303, "{db}: {}", resp.text);
        let sends = |lines: &[recaudo_domain::planner::PlanLine]| {
            lines
                .iter()
                .filter(|l| l.debtor == p.debtor.id)
                .map(|l| (l.decision.kind().to_string(), l.channel))
                .collect::<Vec<_>>()
        };
        let plan = || async {
            let setup =
                std::sync::Arc::new(recaudo_engine::PlanSetup::load(&p.ts).await.expect("setup"));
            let mut lines = vec![];
            recaudo_engine::plan_tenant(
                &p.ts,
                setup,
                t0(),
                recaudo_engine::PlanRunOptions {
                    dry_run: true,
                    ..Default::default()
                },
                |line| lines.push(line.clone()),
            )
            .await
            .expect("plan");
            lines
        };
        let before = sends(&plan().await);
        assert!(before.iter().any(|(d, _)| d == "send"), "{db}: {before:?}");
        // Weekdays without Monday (today), hours, paperless, no SMS, English.
        let fields = vec![
            ("csrf", csrf.as_str()),
            ("channel", "email"),
            ("preferred", "email"),
            ("weekday", "tue"),
            ("weekday", "wed"),
            ("from", "14:00"),
            ("to", "18:00"),
            ("language", "en"),
            ("paperless", "1"),
        ];
        let resp = p.post("/preferences", &fields).await;
        assert_eq!(resp.status.as_u16(), 303, "{db}: {}", resp.text);
        let debtor = p.ts.get_debtor(p.debtor.id).await.expect("debtor");
        let prefs = serde_json::to_value(&debtor.preferences).expect("json");
        assert_eq!(
            prefs["allowed_weekdays"],
            serde_json::json!(["tue", "wed"]),
            "{db}"
        );
        assert_eq!(prefs["allowed_hours"]["from"], "14:00:00", "{db}: {prefs}");
        assert_eq!(prefs["preferred_channel"], "email", "{db}");
        assert_eq!(prefs["language"], "en", "{db}");
        assert_eq!(prefs["paperless"], true, "{db}");
        let points = p.ts.list_contact_points(p.debtor.id).await.expect("points");
        for point in &points {
            let opted_out = point.consent.status == ConsentStatus::OptedOut;
            assert_eq!(opted_out, point.channel == Channel::Sms, "{db}: {point:?}");
        }
        assert_eq!(p.events("preferences_changed").await.len(), 2, "{db}");
        let after = sends(&plan().await);
        assert!(!after.iter().any(|(d, _)| d == "send"), "{db}: {after:?}");
        assert!(after.iter().any(|(d, _)| d == "defer"), "{db}: {after:?}");
        // Bad hours: 422, nothing changed.
        let resp = p
            .post(
                "/preferences",
                &[
                    ("csrf", &csrf),
                    ("channel", "email"),
                    ("from", "18:00"),
                    ("to", "09:00"),
                ],
            )
            .await;
        assert_eq!(resp.status.as_u16(), 422, "{db}");
        assert_eq!(p.events("preferences_changed").await.len(), 2, "{db}");
    }
}

#[tokio::test]
async fn documents_only_for_the_debtors_own_ids() {
    for p in portals().await {
        let db = p.db();
        let invoice = p
            .get(&format!("/debts/{}/invoice.pdf?lang=en", p.debts[0].id))
            .await;
        assert_eq!(invoice.status.as_u16(), 200, "{db}");
        assert_eq!(invoice.content_type(), "application/pdf", "{db}");
        assert!(invoice.text.starts_with("%PDF-1.4"), "{db}");
        contains(
            &invoice,
            db,
            &["Invoice", "INV-10", "Joana Prado Lima", "Luz do Vale"],
        );
        // A payment: its receipt.
        let payment =
            p.ts.record_payment(
                p.debts[0].id,
                recaudo_store::NewPayment {
                    amount: Money::from_minor(2_345, Currency::Brl),
                    method: "pix".into(),
                    provider_ref: None,
                    received_at: Some(t0()),
                    allow_overpayment: false,
                },
                t0(),
            )
            .await
            .expect("payment")
            .0;
        let home = p.get("").await;
        contains(
            &home,
            db,
            &[&format!("/payments/{}/receipt.pdf", payment.id)],
        );
        let receipt = p
            .get(&format!("/payments/{}/receipt.pdf", payment.id))
            .await;
        assert_eq!(receipt.status.as_u16(), 200, "{db}");
        contains(&receipt, db, &["Recibo de pagamento", "pix"]);
        // Another debtor's debt and payment: the neutral page.
        let other =
            p.ts.create_debtor(
                NewDebtor {
                    external_id: "BR-10".into(),
                    name: "Outra Pessoa".into(),
                    ..Default::default()
                },
                t0(),
            )
            .await
            .expect("debtor");
        let debt =
            p.ts.create_debt(
                NewDebt {
                    debtor_id: other.id,
                    external_id: "INV-99".into(),
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
        for path in [
            format!("/debts/{}/invoice.pdf", debt.id),
            "/debts/debt_nonsense/invoice.pdf".to_string(),
            format!(
                "/payments/{}/receipt.pdf",
                recaudo_domain::PaymentId::generate()
            ),
        ] {
            let resp = p.get(&path).await;
            assert_eq!(resp.status.as_u16(), 404, "{db}: {path}");
            assert!(
                !resp.text.contains("INV-99") && !resp.text.contains("Outra"),
                "{db}"
            );
        }
    }
}

#[tokio::test]
async fn portal_settings_brand_the_pages_and_bad_values_name_the_field() {
    for p in portals().await {
        let db = p.db();
        let get = req("GET", "/api/v1/portal-settings")
            .key(&p.app.a)
            .send(&p.r)
            .await;
        assert_eq!(get.ok(200)["link_days"], 60, "{db}");
        use base64::Engine;
        let logo = base64::engine::general_purpose::STANDARD.encode(PNG);
        for (body, field) in [
            (serde_json::json!({"colour": "red"}), "colour"),
            (serde_json::json!({"colour": "#12345g"}), "colour"),
            (serde_json::json!({"logo": "not base64!"}), "logo"),
            (
                serde_json::json!({"logo": base64::engine::general_purpose::STANDARD.encode(b"GIF89a....")}),
                "logo",
            ),
            (
                serde_json::json!({"logo": base64::engine::general_purpose::STANDARD.encode(vec![0xffu8; 200 * 1024 + 1])}),
                "logo",
            ),
            (serde_json::json!({"link_days": 0}), "link_days"),
            (
                serde_json::json!({"display_name": "x".repeat(101)}),
                "display_name",
            ),
        ] {
            let resp = req("PUT", "/api/v1/portal-settings")
                .key(&p.app.a)
                .json(&body)
                .send(&p.r)
                .await;
            let problem = resp.problem(422, "invalid-field");
            assert_eq!(problem["field"], field, "{db}: {problem}");
        }
        let body = serde_json::json!({
            "display_name": "Luz do Vale Energia",
            "colour": "#FFE066",
            "logo": logo,
            "support": "0800 123 4567",
            "link_days": 10,
        });
        let resp = req("PUT", "/api/v1/portal-settings")
            .key(&p.app.a)
            .json(&body)
            .send(&p.r)
            .await;
        let saved = resp.ok(200).clone();
        assert_eq!(saved["colour"], "#ffe066", "{db}");
        let home = p.get("").await;
        contains(
            &home,
            db,
            &[
                "Luz do Vale Energia",
                "/p/assets/theme/ffe066.css",
                "/logo\"",
                "0800 123 4567",
            ],
        );
        let image = p.get("/logo").await;
        assert_eq!(image.content_type(), "image/png", "{db}");
        // The shorter lifetime applies to links already issued: 10 days after issue.
        p.app.clock.set(issued() + Duration::days(10));
        assert_eq!(p.get("").await.status.as_u16(), 404, "{db}");
    }
}
