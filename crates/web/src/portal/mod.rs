//! The debtor's portal under `/p/{token}`: server-rendered, mobile first, every action a plain
//! HTML form (POST → 303 → GET), in the debtor's language with a switcher, in the tenant's
//! colours. Docs: `docs/portal.md`.
//!
//! Building a page (the lead's `pay.rs` and `plan.rs` follow this):
//! - take [`context::PortalCtx`] as the handler's first extractor: it verifies the link (signed,
//!   unexpired, not revoked), counts the rate limits, and loads the tenant, the debtor, ALL
//!   their open debts (the message's first), the portal settings and the page's language;
//! - write the body with [`text::t`]`(ctx.lang)` texts and [`layout::escape`]d data, forms
//!   opened by [`layout::form_start`]`(&ctx, "/pay")` (the hidden anti-forgery field included);
//! - on POST, call [`security::check_csrf`]`(&ctx, &field)` with the form's `csrf` field before
//!   changing anything;
//! - answer [`layout::page`]`(&ctx, title, body)` (security headers set).

pub mod context;
mod dispute;
mod documents;
mod home;
pub mod layout;
mod optout;
mod pay;
mod plan;
mod preferences;
mod promise;
pub mod security;
pub mod text;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

pub(crate) use context::{LinkError, Linked, linked};
pub(crate) use layout::{escape, html_page};
pub use security::{PortalLimits, RateLimiter};

use crate::AppState;

/// The portal's routes, to merge outside the API's problem documents (they answer HTML).
pub(crate) fn routes() -> Router<AppState> {
    let upload = Router::new()
        .route(
            "/p/{token}/dispute",
            get(dispute::form).post(dispute::submit),
        )
        .layer(DefaultBodyLimit::max(dispute::BODY_LIMIT));
    Router::new()
        .route("/p/assets/portal.css", get(layout::css))
        .route("/p/assets/theme/{file}", get(layout::theme))
        .route("/p/{token}", get(home::page_home))
        .route("/p/{token}/logo", get(layout::logo))
        .route(
            "/p/{token}/promise",
            get(promise::form).post(promise::submit),
        )
        .route("/p/{token}/opt-out", get(optout::form).post(optout::submit))
        .route("/p/{token}/pay", get(pay::form).post(pay::submit))
        .route("/p/{token}/plan", get(plan::form).post(plan::submit))
        .route("/p/{token}/pay/{intent}", get(pay::intent_page))
        .route("/p/{token}/pay/{intent}/qr.png", get(pay::qr))
        .route("/p/{token}/pay/{intent}/simulate", post(pay::simulate))
        .route(
            "/p/{token}/preferences",
            get(preferences::form).post(preferences::submit),
        )
        .route(
            "/p/{token}/debts/{debt_id}/invoice.pdf",
            get(documents::invoice),
        )
        .route(
            "/p/{token}/payments/{payment_id}/receipt.pdf",
            get(documents::receipt),
        )
        .layer(DefaultBodyLimit::max(64 * 1024))
        .merge(upload)
}
