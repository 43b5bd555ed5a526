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

// The KPI pages.
pub(crate) mod aging;
pub(crate) mod experiments;
pub(crate) mod funnel;
pub(crate) mod heatmap;
pub(crate) mod overview;
pub(crate) mod rolls;

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
        .route("/app", get(overview::show))
        .route("/app/overview.csv", get(overview::csv))
        .route("/app/fragments/cards", get(overview::cards_fragment))
        .route("/app/aging", get(aging::show))
        .route("/app/aging.csv", get(aging::csv))
        .route("/app/rolls", get(rolls::show))
        .route("/app/rolls.csv", get(rolls::csv))
        .route("/app/funnel", get(funnel::show))
        .route("/app/funnel.csv", get(funnel::csv))
        .route("/app/heatmap", get(heatmap::show))
        .route("/app/heatmap.csv", get(heatmap::csv))
        .route("/app/experiments", get(experiments::show))
        .route("/app/experiments.csv", get(experiments::csv))
}
