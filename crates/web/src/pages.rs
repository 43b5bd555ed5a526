//! The public, unauthenticated endpoints: the home page, health and metrics.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::AppState;
use crate::problem::Problem;

const HOME: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>recaudo</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5; color: #1d232a; }
  h1 { margin-bottom: 0.2rem; }
  .tag { color: #5b6570; margin-top: 0; }
  code { background: #f1f3f5; padding: 0.1rem 0.3rem; border-radius: 3px; }
</style>
</head>
<body>
<h1>recaudo</h1>
<p class="tag">Omnichannel debt collection.</p>
<p>recaudo keeps a portfolio of debtors and their debts, plans reminders and collection contacts
by email, SMS, WhatsApp, voice and letter within each country's contact rules, records payments,
promises to pay and disputes, and keeps every event on the debt's timeline.</p>
<h2>API</h2>
<ul>
  <li><a href="/api/docs">API reference</a>: every endpoint, its parameters and answers</li>
  <li><a href="/api/v1/openapi.json">OpenAPI 3.1 document</a></li>
  <li><a href="/api/v1/schemas/strategy.json">JSON Schema of strategy files</a></li>
</ul>
<p>Every <code>/api/v1</code> request carries an API key: <code>Authorization: Bearer &lt;key&gt;</code>.</p>
<p><a href="/healthz">Health</a> · <a href="/metrics">Metrics</a></p>
</body>
</html>
"#;

/// `GET /`: what recaudo is, and where its API is described.
pub async fn home() -> Html<&'static str> {
    Html(HOME)
}

/// The API reference page: renders `/api/v1/openapi.json` with its own inline script, loading
/// nothing from outside the server (self-hosted installs are often offline).
const API_DOCS: &str = include_str!("../assets/api_docs.html");

/// `GET /api/docs`: the browsable API reference.
pub async fn api_docs() -> Html<&'static str> {
    Html(API_DOCS)
}

/// `GET /healthz`: 200 when the database answers, 503 when it does not.
pub async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => Json(serde_json::json!({"status": "ok"})).into_response(),
        Err(error) => {
            tracing::error!(error = %error, "health check: the store does not answer");
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Unavailable",
            )
            .with_detail("the database does not answer")
            .into_response()
        }
    }
}

/// `GET /metrics`: Prometheus text exposition.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let mut resp = state.metrics.render().into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    resp
}
