//! What the dashboard's tests share: a site on a loopback port (SQLite, tenants A and B from
//! `fixtures`) with an operator of each role, sessions for router tests, form posts with the
//! anti-forgery value, and signing in a browser page.

#![allow(dead_code)] // each page's tests use their part of it

use std::net::SocketAddr;

use recaudo_domain::Secret;
use recaudo_domain::operators::OperatorRole;
use recaudo_domain::portfolio::Tenant;
use recaudo_store::{NewOperator, TenantStore};

use crate::cdp::{self, Page};
use crate::fixtures::{self, App, Resp, req};

/// Every test operator's password.
pub const PASSWORD: &str = "correct horse battery staple";

/// The operators made for each site: (e-mail, tenant index, role).
pub const OPERATORS: [(&str, usize, OperatorRole); 4] = [
    ("admin@a.test", 0, OperatorRole::Admin),
    ("agent@a.test", 0, OperatorRole::Agent),
    ("viewer@a.test", 0, OperatorRole::Viewer),
    ("admin@b.test", 1, OperatorRole::Admin),
];

/// The dashboard served on a loopback port, over the first test store (SQLite).
pub struct Site {
    pub app: App,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    pub router: axum::Router,
    /// Tenant A (Brazil) and B (Colombia).
    pub tenants: [Tenant; 2],
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Site {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl Site {
    /// A site on SQLite.
    pub async fn start() -> Site {
        let app = fixtures::apps()
            .await
            .into_iter()
            .next()
            .expect("a sqlite app");
        Site::on(app).await
    }

    /// A site on every test store (SQLite, and PostgreSQL when configured).
    pub async fn every_store() -> Vec<Site> {
        let mut out = vec![];
        for app in fixtures::apps().await {
            out.push(Site::on(app).await);
        }
        out
    }

    async fn on(app: App) -> Site {
        let mut tenants = app.store.list_tenants().await.expect("tenants");
        tenants.sort_by(|a, b| b.name.cmp(&a.name)); // "Luz do Vale" (A) before "Agua Clara" (B)
        let tenants: [Tenant; 2] = tenants.try_into().expect("two tenants");
        for (email, tenant, role) in OPERATORS {
            app.store
                .create_operator(
                    tenants[tenant].id,
                    NewOperator {
                        email: email.into(),
                        name: format!("{role} of {}", tenants[tenant].name),
                        role,
                        language: None,
                        password: Secret::new(PASSWORD.into()),
                    },
                    fixtures::t0(),
                )
                .await
                .expect("an operator");
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let base = format!("http://{}", listener.local_addr().expect("its address"));
        let state = recaudo_web::AppState::new(app.store.clone(), app.clock.clone())
            .with_public_url(base.clone());
        let router = recaudo_web::router(state);
        let server = tokio::spawn({
            let router = router.clone();
            async move {
                let _ = axum::serve(
                    listener,
                    router.into_make_service_with_connect_info::<SocketAddr>(),
                )
                .await;
            }
        });
        Site {
            app,
            base,
            router,
            tenants,
            server,
        }
    }

    /// Tenant A's store (index 0) or B's (1).
    pub fn tenant(&self, index: usize) -> TenantStore {
        self.app.store.tenant(&self.tenants[index])
    }

    /// Signs `email` in through the form and returns the `Cookie` header value of the session.
    pub async fn cookie(&self, email: &str) -> String {
        let resp = req("POST", "/app/login")
            .raw(
                "application/x-www-form-urlencoded",
                form(&[("email", email), ("password", PASSWORD)]),
            )
            .send(&self.router)
            .await;
        assert_eq!(
            resp.status.as_u16(),
            303,
            "sign-in of {email}: {}",
            resp.text
        );
        let set = resp.headers["set-cookie"].to_str().expect("a cookie");
        set.split(';').next().expect("name=value").to_string()
    }

    /// `GET path` with the session `cookie`.
    pub async fn get(&self, cookie: &str, path: &str) -> Resp {
        req("GET", path)
            .header("cookie", cookie)
            .send(&self.router)
            .await
    }

    /// The session's anti-forgery value, read from a page's form as a browser would.
    pub async fn csrf(&self, cookie: &str) -> String {
        let page = self.get(cookie, "/app/account").await;
        hidden_value(&page.text, "csrf").expect("a csrf field in the page")
    }

    /// Posts a form to `path` as the session's browser does (same-origin, with the
    /// anti-forgery value).
    pub async fn post_form(&self, cookie: &str, path: &str, fields: &[(&str, &str)]) -> Resp {
        let csrf = self.csrf(cookie).await;
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        req("POST", path)
            .header("cookie", cookie)
            .header("sec-fetch-site", "same-origin")
            .raw("application/x-www-form-urlencoded", form(&all))
            .send(&self.router)
            .await
    }
}

/// A URL-encoded form body.
pub fn form(fields: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(fields).expect("a form")
}

/// The value of the first hidden input named `name` in `html`.
pub fn hidden_value(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\" value=\""))?;
    let rest = &html[at + name.len() + 15..];
    Some(rest[..rest.find('"')?].to_string())
}

/// Signs `email` in on a browser `page` through the sign-in form; the page is then on the
/// dashboard's landing page.
pub async fn login(page: &Page, site: &Site, email: &str) -> cdp::Result<()> {
    page.goto(&format!("{}/app/login", site.base)).await?;
    page.fill("#email", email).await?;
    page.fill("#password", PASSWORD).await?;
    page.submit_and_wait("form button[type=submit]").await
}
