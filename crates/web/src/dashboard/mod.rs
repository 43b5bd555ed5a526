//! The operator dashboard under `/app`: server-rendered pages for a tenant's collections team,
//! signed in with an operator account (`session`), in es/pt/en. Every page reads the tenant's
//! data through the operator's [`recaudo_store::TenantStore`] only; every form post passes
//! [`session::Operator::check_form`] (anti-forgery value and role) before anything changes.
//! Pages answer HTML, errors included. Charts are drawn by the vendored Chart.js from a JSON
//! configuration the page puts in a `data-chart` attribute (no inline script, strict CSP).

pub(crate) mod assets;
pub(crate) mod layout;
pub(crate) mod login;
pub(crate) mod session;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/app/login", get(login::form).post(login::submit))
        .route("/app/logout", post(login::logout))
        .route("/app/language/{code}", get(login::language))
        .route("/app/account", get(login::account))
        .route("/app/assets/{file}", get(assets::serve))
}
