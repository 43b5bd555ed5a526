//! The public, unauthenticated endpoints: `/` (to the operators' dashboard), the about page
//! (with the outbox's live view, which reads the API with the key the operator gives it),
//! health and metrics.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::AppState;
use crate::problem::Problem;

/// The home page: what recaudo is, where its API is described, and the operator's live view
/// of a tenant's outbox once an API key is given (in the fragment, `/#key=rk_…`, never sent to
/// the server in a URL, or typed in). The page reads the API with the key through `fetch`, and
/// loads nothing from outside the server.
const HOME: &str = include_str!("../assets/home.html");

/// `GET /about`: what recaudo is, where its API is described, and the outbox's live view for
/// an API key holder.
pub async fn home() -> Html<&'static str> {
    Html(HOME)
}

/// `GET /`: the operators' dashboard (its sign-in page without a session).
pub async fn to_dashboard() -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    response
        .headers_mut()
        .insert(header::LOCATION, HeaderValue::from_static("/app"));
    response
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
