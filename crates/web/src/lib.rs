//! recaudo's HTTP side: the REST API under `/api/v1` (OpenAPI 3.1 at `/api/v1/openapi.json`, a
//! browsable reference at `/api/docs`, self-contained so it works offline), health at `/healthz`, Prometheus metrics at `/metrics`.
//!
//! Conventions (docs: `GUIDE.md` §3):
//! - every `/api/v1` request carries `Authorization: Bearer <api key>`; the key's tenant scopes
//!   everything the handler does, through [`recaudo_store::TenantStore`] only;
//! - every error is an RFC 9457 problem document ([`Problem`]);
//! - POST honours `Idempotency-Key`;
//! - ids in paths that do not parse answer 404, like ids that do not exist (or belong to another
//!   tenant).

#![forbid(unsafe_code)]

pub mod api;
mod auth;
mod dashboard;
pub mod extract;
mod hooks;
mod idempotency;
pub mod openapi;
mod pages;
mod payhooks;
mod portal;
pub mod problem;
mod telemetry;
mod tracking;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{delete, get, patch, post, put};
use metrics_exporter_prometheus::PrometheusHandle;
use recaudo_store::Store;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

pub use idempotency::{IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED};
pub use openapi::ApiDoc;
pub use portal::PortalLimits;
pub use problem::Problem;
pub use telemetry::install_metrics_recorder;

/// The default limit of a JSON request body: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// The limit of an import file (`POST /api/v1/imports`): 256 MiB.
pub const IMPORT_BODY_LIMIT: usize = 256 * 1024 * 1024;

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub clock: Arc<dyn recaudo_domain::Clock>,
    /// The time security windows run on (the portal's anti-forgery values and rate limits):
    /// the injected clock by default, the machine's where the injected one runs fast (the
    /// demo), so a form filled by a person stays valid for the hour it is meant to.
    pub wall_clock: Arc<dyn recaudo_domain::Clock>,
    /// Renders `/metrics`; get it from [`install_metrics_recorder`].
    pub metrics: PrometheusHandle,
    /// The largest JSON body accepted, in bytes ([`DEFAULT_BODY_LIMIT`]).
    pub body_limit: usize,
    /// The largest import file accepted by `POST /api/v1/imports`, in bytes
    /// ([`IMPORT_BODY_LIMIT`]).
    pub import_limit: usize,
    /// Seals and opens provider accounts' credentials (`[secrets] key`); without one, provider
    /// accounts cannot be saved (409) and are listed without their configuration.
    pub sealing_key: Option<Arc<recaudo_channels::seal::SealingKey>>,
    /// Signs and checks the links messages carry (portal, open pixel, click, unsubscribe); the
    /// dispatcher's signer. Without one, `/p/…` and `/t/…` answer 404.
    pub links: Option<recaudo_channels::links::LinkSigner>,
    /// What building a tenant's providers uses, to verify and read their webhooks.
    pub provider_env: recaudo_channels::ProviderEnv,
    /// Where providers reach this installation (`https://collect.example.com`): Twilio signs the
    /// full URL it called. Without one, the request's `Host` over plain HTTP is assumed.
    pub public_url: Option<String>,
    /// Whether tenants without a payment account pay through the sandbox (the demo).
    pub payments_sandbox: bool,
    /// Tenants' providers built for webhooks, kept a few seconds.
    hook_providers: Arc<hooks::ProviderCache>,
    /// The debtor portal's rate limits (tests set them low).
    pub portal_limits: PortalLimits,
    /// The portal's request counters.
    portal_rates: Arc<portal::RateLimiter>,
    /// The dashboard's sign-in attempt counters.
    dashboard_rates: Arc<portal::RateLimiter>,
    /// The tenants' KPI facts and reports, kept a few seconds (`GET /api/v1/kpis`, the dashboard).
    pub kpis: Arc<recaudo_engine::kpis::KpiCache>,
}

impl AppState {
    /// A state with the process's metrics recorder and the default body limits.
    pub fn new(store: Store, clock: Arc<dyn recaudo_domain::Clock>) -> Self {
        AppState {
            store,
            wall_clock: Arc::clone(&clock),
            clock,
            metrics: install_metrics_recorder(),
            body_limit: DEFAULT_BODY_LIMIT,
            import_limit: IMPORT_BODY_LIMIT,
            sealing_key: None,
            links: None,
            provider_env: recaudo_channels::ProviderEnv::new("letters".into(), None),
            public_url: None,
            payments_sandbox: false,
            hook_providers: Arc::default(),
            portal_limits: PortalLimits::default(),
            portal_rates: Arc::default(),
            dashboard_rates: Arc::default(),
            kpis: Arc::default(),
        }
    }

    /// The same state with the key that seals provider accounts' credentials.
    pub fn with_sealing_key(mut self, key: Arc<recaudo_channels::seal::SealingKey>) -> Self {
        self.sealing_key = Some(key);
        self
    }

    /// The same state with the signer of the links messages carry.
    pub fn with_links(mut self, links: recaudo_channels::links::LinkSigner) -> Self {
        self.links = Some(links);
        self
    }

    /// The same state with the environment providers are built in for webhooks.
    pub fn with_provider_env(mut self, env: recaudo_channels::ProviderEnv) -> Self {
        self.provider_env = env;
        self
    }

    /// The same state with the public base URL (no trailing slash needed).
    pub fn with_wall_clock(mut self, clock: Arc<dyn recaudo_domain::Clock>) -> Self {
        self.wall_clock = clock;
        self
    }

    pub fn with_payments_sandbox(mut self, on: bool) -> Self {
        self.payments_sandbox = on;
        self
    }

    pub fn with_public_url(mut self, url: impl Into<String>) -> Self {
        self.public_url = Some(url.into().trim_end_matches('/').to_string());
        self
    }
}

/// The whole HTTP application.
///
/// Layers, outermost first: tracing → problem documents for bare error statuses → metrics →
/// (API only) authentication → body limit → idempotency → handler.
pub fn router(state: AppState) -> Router {
    use api::portal as portal_api;
    use api::{
        api_keys, contact_points, contact_rules, conversations, debtors, debts, disputes, imports,
        kpis, messages, outbox, payment_accounts, payments, plans, promises, provider_accounts,
        strategies, tasks, templates, timelines,
    };

    let idem = idempotency::Idempotency::new(state.clone());

    let json_api = Router::new()
        .route("/api/v1/debtors", get(debtors::list).post(debtors::create))
        .route(
            "/api/v1/debtors/{id}",
            get(debtors::get)
                .patch(debtors::patch)
                .delete(debtors::erase),
        )
        .route(
            "/api/v1/debtors/{id}/contact_points",
            get(contact_points::list).post(contact_points::create),
        )
        .route("/api/v1/debtors/{id}/timeline", get(timelines::debtor))
        .route("/api/v1/contact_points/{id}", patch(contact_points::patch))
        .route("/api/v1/debts", get(debts::list).post(debts::create))
        .route("/api/v1/debts/{id}", get(debts::get))
        .route(
            "/api/v1/debts/{id}/payments",
            get(payments::list).post(payments::create),
        )
        .route(
            "/api/v1/debts/{id}/promises",
            get(promises::list).post(promises::create),
        )
        .route(
            "/api/v1/debts/{id}/disputes",
            get(disputes::list).post(disputes::create),
        )
        .route("/api/v1/debts/{id}/timeline", get(timelines::debt))
        .route("/api/v1/debts/{id}/strategy", put(strategies::move_debt))
        .route(
            "/api/v1/strategies",
            get(strategies::list).post(strategies::put),
        )
        .route("/api/v1/strategies/{id}", get(strategies::get))
        .route(
            "/api/v1/strategies/{id}/versions",
            get(strategies::versions),
        )
        .route(
            "/api/v1/strategies/{id}/versions/{version}",
            get(strategies::version),
        )
        .route("/api/v1/strategies/{id}/retire", post(strategies::retire))
        .route("/api/v1/promises/{id}", patch(promises::patch))
        .route("/api/v1/disputes/{id}", patch(disputes::patch))
        .route(
            "/api/v1/contact-rules",
            get(contact_rules::get).put(contact_rules::put),
        )
        .route(
            "/api/v1/contact-rules/versions",
            get(contact_rules::versions),
        )
        .route(
            "/api/v1/provider-accounts",
            get(provider_accounts::list).post(provider_accounts::put),
        )
        .route(
            "/api/v1/provider-accounts/{name}",
            get(provider_accounts::get).delete(provider_accounts::delete),
        )
        .route(
            "/api/v1/payment-accounts",
            get(payment_accounts::list).post(payment_accounts::put),
        )
        .route(
            "/api/v1/payment-accounts/{name}",
            get(payment_accounts::get).delete(payment_accounts::delete),
        )
        .route(
            "/api/v1/payments/reconciliation",
            post(payment_accounts::reconcile),
        )
        .route("/api/v1/tasks", get(tasks::list))
        .route("/api/v1/kpis", get(kpis::get))
        .route("/api/v1/tasks/{id}", get(tasks::get))
        .route("/api/v1/tasks/{id}/claim", post(tasks::claim))
        .route("/api/v1/tasks/{id}/resolve", post(tasks::resolve))
        .route("/api/v1/tasks/{id}/reply", post(tasks::reply))
        .route("/api/v1/tasks/{id}/notes", post(tasks::add_note))
        .route("/api/v1/tasks/{id}/promise", post(tasks::promise))
        .route("/api/v1/tasks/{id}/payment", post(tasks::payment))
        .route("/api/v1/tasks/{id}/dispute", post(tasks::dispute))
        .route(
            "/api/v1/debtors/{id}/conversation",
            get(conversations::conversation),
        )
        .route(
            "/api/v1/reply-settings",
            get(conversations::get_settings).put(conversations::put_settings),
        )
        .route(
            "/api/v1/plan-rules",
            get(plans::get_rules).put(plans::put_rules),
        )
        .route("/api/v1/debtors/{id}/plans/quote", post(plans::quote))
        .route(
            "/api/v1/debtors/{id}/plans",
            get(plans::list).post(plans::create),
        )
        .route("/api/v1/plans/{id}", get(plans::get))
        .route("/api/v1/plans/{id}/cancel", post(plans::cancel))
        .route("/api/v1/messages/inbound", post(conversations::inbound))
        .route("/api/v1/messages", get(messages::list))
        .route("/api/v1/outbox", get(outbox::list))
        .route("/api/v1/outbox/counts", get(outbox::counts))
        .route("/api/v1/outbox/summary", get(outbox::summary))
        .route("/api/v1/templates", get(templates::list))
        .route(
            "/api/v1/templates/{name}/{channel}/{language}",
            put(templates::put).delete(templates::delete),
        )
        .route(
            "/api/v1/templates/{name}/{channel}/{language}/preview",
            post(templates::render),
        )
        .route("/api/v1/outbox/{id}", get(outbox::get))
        .route(
            "/api/v1/portal-settings",
            get(portal_api::get_settings).put(portal_api::put_settings),
        )
        .route(
            "/api/v1/debtors/{id}/portal-links/revoke",
            post(portal_api::revoke),
        )
        .route("/api/v1/debtors/{id}/portal-link", post(portal_api::issue))
        .route(
            "/api/v1/disputes/{id}/evidence",
            get(portal_api::evidence_list),
        )
        .route(
            "/api/v1/disputes/{id}/evidence/{evidence_id}",
            get(portal_api::evidence_get),
        )
        .route("/api/v1/api_keys", get(api_keys::list))
        .route("/api/v1/api_keys/{id}", delete(api_keys::revoke))
        .layer(from_fn_with_state(idem.clone(), idempotency::middleware))
        .layer(RequestBodyLimitLayer::new(state.body_limit))
        .layer(DefaultBodyLimit::disable());

    let import_api = Router::new()
        .route("/api/v1/imports", post(imports::create))
        .layer(from_fn_with_state(idem, idempotency::middleware))
        .layer(RequestBodyLimitLayer::new(state.import_limit))
        .layer(DefaultBodyLimit::disable());

    let api = json_api
        .merge(import_api)
        .layer(from_fn_with_state(state.clone(), auth::require_tenant));

    let public = Router::new()
        .route("/", get(pages::to_dashboard))
        .route("/about", get(pages::home))
        .route("/healthz", get(pages::healthz))
        .route("/metrics", get(pages::metrics))
        .route("/api/v1/openapi.json", get(openapi::document))
        .route("/api/v1/schemas/strategy.json", get(strategies::schema))
        .route("/api/docs", get(pages::api_docs));

    // Providers' callbacks: outside the API's authentication, each verified by its provider.
    let hooks = Router::new()
        .route(
            "/hooks/{tenant}/{account}",
            get(hooks::receive).post(hooks::receive),
        )
        .route(
            "/hooks/{tenant}/{account}/{*rest}",
            get(hooks::receive_rest).post(hooks::receive_rest),
        )
        .route("/payhooks/{tenant}/{account}", post(payhooks::receive))
        .layer(DefaultBodyLimit::max(hooks::BODY_LIMIT));
    // An inbound email's JSON carries its attachments (a photo of the receipt).
    let inbound_mail = Router::new()
        .route(
            "/hooks/{tenant}/{account}/inbound",
            post(hooks::receive_inbound_mail),
        )
        .layer(DefaultBodyLimit::max(
            recaudo_channels::providers::smtp::MAX_INBOUND_BYTES,
        ));

    // The debtor's pages answer HTML, errors included, so they stay outside `problemize`.
    let debtor_pages = portal::routes()
        .route("/t/o/{token}", get(tracking::open))
        .route("/t/c/{token}", get(tracking::click))
        .route(
            "/t/u/{token}",
            get(tracking::unsubscribe_page).post(tracking::unsubscribe),
        );

    Router::new()
        .merge(api)
        .merge(public)
        .merge(hooks)
        .merge(inbound_mail)
        .fallback(problem::fallback)
        .layer(from_fn(problem::problemize))
        .merge(debtor_pages)
        .merge(dashboard::routes())
        .layer(from_fn(telemetry::track))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
