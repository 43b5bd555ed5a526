//! The operator dashboard under `/app`: server-rendered pages for a tenant's collections team,
//! signed in with an operator account (`session`), in es/pt/en. Every page reads the tenant's
//! data through the operator's [`recaudo_store::TenantStore`] only; every form post passes
//! [`session::Operator::check_form`] (anti-forgery value and role) before anything changes.
//! Pages answer HTML, errors included. Charts are drawn by the vendored Chart.js from a JSON
//! configuration the page puts in a `data-chart` attribute (no inline script, strict CSP).

pub(crate) mod assets;
pub(crate) mod debtors;
pub(crate) mod imports;
pub(crate) mod layout;
pub(crate) mod login;
pub(crate) mod outbox;
pub(crate) mod queue;
pub(crate) mod session;
pub(crate) mod strategies;
pub(crate) mod team;
pub(crate) mod templates;

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
        .route("/app/team", get(team::page).post(team::add))
        .route("/app/team.csv", get(team::csv))
        .route("/app/team/disable", post(team::disable))
        .route("/app/assets/{file}", get(assets::serve))
        .route(
            "/app/strategies",
            get(strategies::list).post(strategies::post),
        )
        .route("/app/strategies.csv", get(strategies::list_csv))
        .route("/app/strategies/new", get(strategies::new))
        .route("/app/strategies/{id}", get(strategies::edit))
        .route("/app/templates", get(templates::list))
        .route("/app/templates.csv", get(templates::list_csv))
        .route(
            "/app/templates/{name}/{channel}/{language}",
            get(templates::edit).post(templates::post),
        )
        .route(
            "/app/templates/{name}/{channel}/{language}/preview",
            post(templates::preview_post),
        )
        .route("/app/debtors", get(debtors::list))
        .route("/app/debtors.csv", get(debtors::list_csv))
        .route("/app/debtors/{id}", get(debtors::show))
        .route("/app/queue", get(queue::list))
        .route("/app/queue.csv", get(queue::list_csv))
        .route("/app/queue/{task}", get(queue::show))
        .route("/app/queue/{task}/{action}", post(queue::act))
        .route("/app/outbox", get(outbox::list))
        .route("/app/outbox.csv", get(outbox::csv))
        .route("/app/outbox/retry", post(outbox::retry_many))
        .route("/app/outbox/{id}", get(outbox::detail))
        .route("/app/outbox/{id}/retry", post(outbox::retry))
        .route(
            "/app/imports",
            get(imports::list)
                .post(imports::upload)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/app/imports.csv", get(imports::list_csv))
        .route("/app/imports/{id}", get(imports::detail))
        .route("/app/imports/{id}/errors.csv", get(imports::errors_csv))
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
