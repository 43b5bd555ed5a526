//! Shared helpers of the API tests: an app per store (SQLite, and PostgreSQL when
//! `RECAUDO_TEST_DATABASE_URL` is set) with two tenants, and a small request builder.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use chrono::{DateTime, Utc};
use recaudo_domain::{Country, FixedClock};
use recaudo_store::{NewTenant, Store};
use recaudo_web::{AppState, router};
use serde_json::Value;
use tower::ServiceExt;

pub fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-23T12:00:00Z")
        .expect("valid time")
        .to_utc()
}

pub struct App {
    pub db: &'static str,
    pub store: Store,
    pub clock: Arc<FixedClock>,
    pub router: Router,
    /// Tenant A's API key.
    pub a: String,
    /// Tenant B's API key.
    pub b: String,
}

/// One app per test store, each with two tenants (A in Brazil, B in Colombia).
pub async fn apps() -> Vec<App> {
    apps_with_limits(
        recaudo_web::DEFAULT_BODY_LIMIT,
        recaudo_web::IMPORT_BODY_LIMIT,
    )
    .await
}

pub async fn apps_with_limits(body_limit: usize, import_limit: usize) -> Vec<App> {
    let mut out = vec![];
    for (db, store) in recaudo_store::testing::stores().await {
        let clock = Arc::new(FixedClock::new(t0()));
        let mut keys = vec![];
        for (name, country) in [("Luz do Vale", Country::Br), ("Agua Clara", Country::Co)] {
            let tk = store
                .create_tenant(NewTenant::in_country(name, country), t0())
                .await
                .expect("create tenant");
            keys.push(tk.api_key.expose_secret().clone());
        }
        let mut state = AppState::new(store.clone(), clock.clone());
        state.body_limit = body_limit;
        state.import_limit = import_limit;
        let b = keys.pop().expect("key B");
        let a = keys.pop().expect("key A");
        out.push(App {
            db,
            store,
            clock,
            router: router(state),
            a,
            b,
        });
    }
    out
}

/// A response, with its body read as JSON when it is JSON.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Resp {
    pub fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Asserts a problem document of this status and slug, and returns it.
    #[track_caller]
    pub fn problem(&self, status: u16, slug: &str) -> &Value {
        assert_eq!(self.status.as_u16(), status, "status of {}", self.text);
        assert_eq!(
            self.content_type(),
            "application/problem+json",
            "content type of {}",
            self.text
        );
        assert_eq!(
            self.json["type"],
            format!("https://recaudo.dev/problems/{slug}"),
            "{}",
            self.text
        );
        assert_eq!(self.json["status"], status, "{}", self.text);
        assert!(self.json["title"].is_string(), "{}", self.text);
        &self.json
    }

    #[track_caller]
    pub fn ok(&self, status: u16) -> &Value {
        assert_eq!(self.status.as_u16(), status, "{}", self.text);
        &self.json
    }
}

/// A request to build and send.
pub struct Req {
    method: &'static str,
    uri: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

pub fn req(method: &'static str, uri: impl Into<String>) -> Req {
    Req {
        method,
        uri: uri.into(),
        headers: vec![],
        body: vec![],
    }
}

impl Req {
    pub fn key(self, key: &str) -> Self {
        self.header("authorization", &format!("Bearer {key}"))
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn json(self, v: &Value) -> Self {
        self.raw("application/json", serde_json::to_vec(v).expect("json"))
    }

    pub fn raw(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self.header("content-type", content_type)
    }

    pub async fn send(self, app: &Router) -> Resp {
        let mut b = Request::builder().method(self.method).uri(&self.uri);
        for (k, v) in &self.headers {
            b = b.header(k, v);
        }
        let request = b.body(Body::from(self.body)).expect("request");
        let resp = app.clone().oneshot(request).await.expect("infallible");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .expect("body");
        let text = String::from_utf8_lossy(&bytes).to_string();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            text,
            json,
        }
    }
}

/// `json["id"]` as a string.
#[track_caller]
pub fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_string()
}
