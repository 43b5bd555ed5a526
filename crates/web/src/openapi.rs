//! The OpenAPI 3.1 document of the API, served at `/api/v1/openapi.json` and browsable at
//! `/api/docs`.

use std::sync::OnceLock;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, Required};
use utoipa::{Modify, OpenApi};

use crate::api;
use crate::problem::{PROBLEM_JSON, Problem, ProblemError};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "recaudo API",
        description = "Omnichannel debt collection: debtors, contact points, debts, payments, \
                       promises, instalment plans, disputes, timelines, imports, collection strategies and the \
                       tenant's contact rules, provider accounts, agent tasks and the agent inbox, conversations with debtors, the messages they wrote and the reply settings, message templates and the outbox. Every \
                       request carries an API key (`Authorization: Bearer <key>`) that scopes it \
                       to one tenant (the documents at `/api/v1/openapi.json` and \
                       `/api/v1/schemas/strategy.json` are public). Errors \
                       are RFC 9457 problem documents (`application/problem+json`). POST \
                       requests honour `Idempotency-Key`. Lists page with `cursor` and `limit`."
    ),
    paths(
        api::debtors::list,
        api::debtors::create,
        api::debtors::get,
        api::debtors::patch,
        api::debtors::erase,
        api::contact_points::list,
        api::contact_points::create,
        api::contact_points::patch,
        api::debts::list,
        api::debts::create,
        api::debts::get,
        api::payments::list,
        api::payments::create,
        api::promises::list,
        api::promises::create,
        api::promises::patch,
        api::plans::get_rules,
        api::plans::put_rules,
        api::plans::quote,
        api::plans::create,
        api::plans::list,
        api::plans::get,
        api::plans::cancel,
        api::disputes::list,
        api::disputes::create,
        api::disputes::patch,
        api::timelines::debtor,
        api::timelines::debt,
        api::imports::create,
        api::strategies::put,
        api::strategies::list,
        api::strategies::get,
        api::strategies::versions,
        api::strategies::version,
        api::strategies::retire,
        api::strategies::move_debt,
        api::strategies::schema,
        api::contact_rules::get,
        api::contact_rules::put,
        api::contact_rules::versions,
        api::provider_accounts::list,
        api::provider_accounts::put,
        api::provider_accounts::get,
        api::provider_accounts::delete,
        api::payment_accounts::list,
        api::payment_accounts::put,
        api::payment_accounts::get,
        api::payment_accounts::delete,
        api::payment_accounts::reconcile,
        api::tasks::list,
        api::tasks::get,
        api::tasks::claim,
        api::tasks::resolve,
        api::tasks::reply,
        api::tasks::add_note,
        api::tasks::promise,
        api::tasks::payment,
        api::tasks::dispute,
        api::conversations::conversation,
        api::conversations::get_settings,
        api::conversations::put_settings,
        api::conversations::inbound,
        api::messages::list,
        api::outbox::list,
        api::kpis::get,
        api::outbox::get,
        api::outbox::counts,
        api::outbox::summary,
        api::templates::list,
        api::templates::put,
        api::templates::delete,
        api::templates::render,
        api::api_keys::list,
        api::api_keys::revoke,
        api::portal::get_settings,
        api::portal::put_settings,
        api::portal::revoke,
        api::portal::issue,
        api::portal::evidence_list,
        api::portal::evidence_get,
    ),
    components(schemas(Problem, ProblemError)),
    modifiers(&Conventions),
    security(("bearer" = [])),
    tags(
        (name = "debtors", description = "People and businesses that owe money"),
        (name = "contact points", description = "Ways to reach a debtor, with consent"),
        (name = "debts", description = "Money owed by a debtor"),
        (name = "payments", description = "Money received against a debt"),
        (name = "promises", description = "Promises to pay"),
        (name = "plans", description = "Instalment plans: the tenant's rules per segment, quotes, accepted plans (paid, completed, broken) and their cancellation"),
        (name = "disputes", description = "Objections to a debt"),
        (name = "timelines", description = "Everything that happened, oldest first"),
        (name = "imports", description = "CSV and JSONL files of debts"),
        (name = "strategies", description = "Versioned collection strategies (YAML), the strategy a debt follows, and the strategy JSON Schema"),
        (name = "contact rules", description = "The tenant's own contact windows, caps, days without contact, grace days and segments (YAML, versioned), never looser than the jurisdiction's law"),
        (name = "provider accounts", description = "The tenant's accounts with sending providers (SMTP, Twilio, WhatsApp Cloud, …): credentials sealed at rest, never answered"),
        (name = "payments", description = "The tenant's payment accounts (PIX, Stripe, Mercado Pago, sandbox) and reconciliation files"),
        (name = "tasks", description = "Agent tasks from strategies' `task:` steps and from debtors' messages (the agent inbox): list, read with the conversation, claim, answer, take notes, record a promise, payment or dispute, resolve"),
        (name = "conversations", description = "What debtors write and what they are sent, one thread per debtor; the tenant's reply settings; a message fed in by hand"),
        (name = "messages", description = "What debtors wrote, newest first: the intent read in each, what was done about it, and counts per intent and action"),
        (name = "kpis", description = "Collection KPIs over a period: collected, recovery, CEI, DSO, aging, roll rates, funnel, experiments"),
        (name = "outbox", description = "Contacts as sent: provider, cost, delivery times, the message as the debtor got it, and counts"),
        (name = "templates", description = "Message templates per channel and language: the defaults, the tenant's overrides (checked on save, with line and column), and previews of what would go out"),
        (name = "api keys", description = "The tenant's API keys: list (never the key itself) and revoke"),
        (name = "portal", description = "The debtor portal: the tenant's branding and link lifetime, a debtor's links (issue by hand, revoke)"),
    )
)]
pub struct ApiDoc;

/// What every operation shares: the bearer scheme, `Idempotency-Key` on POST, and the problem
/// responses every endpoint may give.
struct Conventions;

fn problem_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            Content::new(Some(Ref::from_schema_name("Problem"))),
        )
        .build()
        .into()
}

fn add_problem(op: &mut Operation, status: &str, description: &str) {
    op.responses
        .responses
        .entry(status.to_string())
        .or_insert_with(|| problem_response(description));
}

impl Modify for Conventions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API key of the tenant (`rk_…`)."))
                    .build(),
            ),
        );
        for (path, item) in openapi.paths.paths.iter_mut() {
            let has_id = path.contains('{');
            let ops = [
                ("get", item.get.as_mut()),
                ("post", item.post.as_mut()),
                ("patch", item.patch.as_mut()),
                ("put", item.put.as_mut()),
                ("delete", item.delete.as_mut()),
            ];
            for (method, op) in ops {
                let Some(op) = op else { continue };
                // Public documents (`security: [{}]`) need no key and take no input.
                let public = op
                    .security
                    .as_ref()
                    .is_some_and(|s| s.contains(&SecurityRequirement::default()));
                if public {
                    add_problem(op, "500", "A failure on the server's side");
                    continue;
                }
                add_problem(
                    op,
                    "400",
                    "Malformed request, or a field with the wrong type, missing or unknown (`field` names it)",
                );
                add_problem(op, "401", "No API key, or an unknown one");
                if has_id || method != "get" {
                    add_problem(op, "404", "No such object for this tenant");
                }
                if method != "get" {
                    add_problem(op, "413", "The body is larger than the endpoint accepts");
                    add_problem(
                        op,
                        "422",
                        "A value, or a rule of the domain, refused (`field` names it)",
                    );
                }
                add_problem(op, "500", "A failure on the server's side");
                if method == "post" {
                    add_problem(
                        op,
                        "409",
                        "Conflict: a duplicate, or the same Idempotency-Key in flight",
                    );
                    let param = ParameterBuilder::new()
                        .name("Idempotency-Key")
                        .parameter_in(ParameterIn::Header)
                        .required(Required::False)
                        .description(Some(
                            "A key unique to this request (1 to 255 visible ASCII characters): a \
                             retry with the same key and body gets the first response again \
                             (with `Idempotent-Replayed: true`); the same key with another body \
                             gets 422 `idempotency-key-reused`.",
                        ))
                        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                        .build();
                    op.parameters
                        .get_or_insert_with(Vec::new)
                        .push(param.into());
                }
            }
        }
    }
}

/// The document, built once.
pub fn document_json() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        ApiDoc::openapi().to_json().unwrap_or_else(|e| {
            tracing::error!(error = %e, "serialising the OpenAPI document");
            "{}".to_string()
        })
    })
}

/// `GET /api/v1/openapi.json`.
pub async fn document() -> Response {
    let mut resp = document_json().into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}
