//! Providers' callbacks: `GET|POST /hooks/{tenant}/{account}[/{rest}]` (Twilio status callbacks
//! and `<Gather>` digits, Meta's verification and notifications, SMTP bounce reports, HTTP SMS
//! gateways' reports, the webhook provider's inbound reports).
//!
//! Nothing of a request is read, let alone stored, before the account's provider verified it
//! (GUIDE §7): unknown tenant or account → 404, unsigned or forged → 401, malformed → 400, too
//! large → 413, each logged without the body or any secret. A verified report is applied through
//! the store's dedupe, so a replay changes nothing and still answers 200.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use recaudo_channels::{ChannelProvider, Provider, WebhookError, WebhookReply, WebhookRequest};
use recaudo_domain::TenantId;
use recaudo_engine::dispatch::{Providers, apply_provider_events};
use recaudo_store::{StoreError, TenantStore};

use crate::AppState;
use crate::problem::Problem;

/// The largest webhook body accepted: 256 KiB (a DSN with the original message's headers fits).
pub const BODY_LIMIT: usize = 256 * 1024;

/// How long a tenant's built providers are reused: rotated credentials apply this much later.
const CACHE_FOR: Duration = Duration::from_secs(5);

/// Tenants' providers built for webhooks, each with when it was built. Building means opening
/// sealed credentials and making clients: worth skipping for a burst of status callbacks.
#[derive(Default)]
pub(crate) struct ProviderCache {
    by_tenant: Mutex<HashMap<TenantId, (Instant, Providers)>>,
}

impl ProviderCache {
    fn fresh(&self, tenant: TenantId) -> Option<Providers> {
        let cached = self.by_tenant.lock().ok()?;
        let (built, providers) = cached.get(&tenant)?;
        (built.elapsed() < CACHE_FOR).then(|| providers.clone())
    }

    fn keep(&self, tenant: TenantId, providers: Providers) {
        if let Ok(mut cached) = self.by_tenant.lock() {
            // Stale entries of other tenants go too, so the map stays as small as the traffic.
            cached.retain(|_, (built, _)| built.elapsed() < CACHE_FOR);
            cached.insert(tenant, (Instant::now(), providers));
        }
    }
}

/// `/hooks/{tenant}/{account}`.
pub async fn receive(
    State(state): State<AppState>,
    Path((tenant, account)): Path<(String, String)>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    handle(state, tenant, account, method, uri, headers, body).await
}

/// `/hooks/{tenant}/{account}/inbound`: a mail provider's inbound-parse JSON (a larger body).
pub async fn receive_inbound_mail(
    State(state): State<AppState>,
    Path((tenant, account)): Path<(String, String)>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    handle(state, tenant, account, method, uri, headers, body).await
}

/// `/hooks/{tenant}/{account}/{*rest}` (Twilio's `<Gather>` answers at `…/gather`).
pub async fn receive_rest(
    State(state): State<AppState>,
    // The rest of the path is read from the URL the provider signed, not from here.
    Path((tenant, account, _rest)): Path<(String, String, String)>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    handle(state, tenant, account, method, uri, headers, body).await
}

async fn handle(
    state: AppState,
    tenant: String,
    account: String,
    method: Method,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let ts = match tenant_store(&state, &tenant).await {
        Ok(Some(ts)) => ts,
        Ok(None) => return Problem::not_found("no such webhook").into_response(),
        Err(error) => return Problem::from(error).into_response(),
    };
    let providers = match providers(&state, &ts, &account).await {
        Ok(Some(providers)) => providers,
        Ok(None) => return Problem::not_found("no such webhook").into_response(),
        Err(error) => return Problem::from(error).into_response(),
    };
    let Some(built) = providers.by_name(&account) else {
        return Problem::not_found("no such webhook").into_response();
    };
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            let error = if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                WebhookError::TooLarge(content_length(&headers).unwrap_or(BODY_LIMIT + 1))
            } else {
                WebhookError::Malformed("the body could not be read".into())
            };
            return refuse(&tenant, &account, &error);
        }
    };
    let request = match webhook_request(&state, &method, &uri, &headers, body) {
        Ok(request) => request,
        Err(error) => return refuse(&tenant, &account, &error),
    };
    let provider = &built.provider;
    let verified = provider.verify(&request).and_then(|()| match provider {
        // Standard Webhooks signatures cover the timestamp: an old one is a replay.
        Provider::Webhook(_) => {
            recaudo_channels::providers::webhook::check_timestamp(&request, state.clock.now())
        }
        _ => Ok(()),
    });
    if let Err(error) = verified {
        return refuse(&tenant, &account, &error);
    }
    let (events, reply) = match provider.parse_webhook(&request) {
        Ok(parsed) => parsed,
        Err(error) => return refuse(&tenant, &account, &error),
    };
    let count = events.len();
    let conversations = recaudo_engine::inbound::Conversations::new(state.links.clone());
    match apply_provider_events(&ts, &conversations, Some(built), events, state.clock.now()).await {
        Ok(applied) => {
            tracing::info!(%tenant, %account, events = count, applied, "webhook applied");
        }
        Err(error) => {
            tracing::error!(%tenant, %account, %error, "a verified webhook could not be stored");
            // The provider retries a 5xx later, and the dedupe keeps what did get stored once.
            return Problem::from(error).into_response();
        }
    }
    reply_with(reply)
}

/// The tenant a webhook's path names, if it exists (channel and payment webhooks).
pub(crate) async fn tenant_store(
    state: &AppState,
    tenant: &str,
) -> Result<Option<TenantStore>, StoreError> {
    let Ok(id) = tenant.parse::<TenantId>() else {
        return Ok(None);
    };
    match state.store.get_tenant(id).await {
        Ok(tenant) => Ok(Some(state.store.tenant(&tenant))),
        Err(StoreError::NotFound { .. }) => Ok(None),
        Err(error) => Err(error),
    }
}

/// The tenant's providers, holding `account` (built again when the cached set lacks it: it may
/// have just been saved); `None` when the tenant has no such account.
async fn providers(
    state: &AppState,
    ts: &TenantStore,
    account: &str,
) -> Result<Option<Providers>, StoreError> {
    let tenant = ts.tenant().id;
    if let Some(providers) = state.hook_providers.fresh(tenant)
        && providers.by_name(account).is_some()
    {
        return Ok(Some(providers));
    }
    let providers = Providers::load(ts, state.sealing_key.as_deref(), &state.provider_env).await?;
    let found = providers.by_name(account).is_some();
    state.hook_providers.keep(tenant, providers.clone());
    Ok(found.then_some(providers))
}

fn content_length(headers: &HeaderMap) -> Option<usize> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// The request as providers read it: the full public URL they called (with the query), header
/// names lower-cased (repeated headers joined with `, `), the query's parameters, the body.
fn webhook_request(
    state: &AppState,
    method: &Method,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<WebhookRequest, WebhookError> {
    let base = match &state.public_url {
        Some(base) => base.trim_end_matches('/').to_string(),
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .or_else(|| uri.authority().map(|a| a.as_str()))
                .ok_or_else(|| WebhookError::Malformed("no Host header".into()))?;
            format!("http://{host}")
        }
    };
    let path_and_query = uri
        .path_and_query()
        .map(|pq| pq.as_str())
        .unwrap_or_else(|| uri.path());
    let query = match uri.query() {
        Some(query) => serde_urlencoded::from_str::<Vec<(String, String)>>(query)
            .map_err(|_| WebhookError::Malformed("the query string does not parse".into()))?
            .into_iter()
            .collect(),
        None => BTreeMap::new(),
    };
    let mut lowered: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers {
        // A header that is not text is no header any provider signs or reads.
        let Ok(value) = value.to_str() else { continue };
        lowered
            .entry(name.as_str().to_ascii_lowercase())
            .and_modify(|joined| {
                joined.push_str(", ");
                joined.push_str(value);
            })
            .or_insert_with(|| value.to_string());
    }
    Ok(WebhookRequest {
        method: method.as_str().to_string(),
        url: format!("{base}{path_and_query}"),
        headers: lowered,
        query,
        body,
        received_at: Some(state.clock.now()),
    })
}

/// The refusal of a webhook, logged: 401 unsigned or forged, 400 malformed, 413 too large, 404
/// a webhook the provider does not take.
fn refuse(tenant: &str, account: &str, error: &WebhookError) -> Response {
    tracing::warn!(%tenant, %account, reason = %error, "webhook refused");
    match error {
        WebhookError::Unsigned(_) | WebhookError::Forged(_) => {
            Problem::unauthorized("the webhook's signature is missing or does not match")
                .into_response()
        }
        WebhookError::Malformed(why) => Problem::new(
            StatusCode::BAD_REQUEST,
            "malformed-webhook",
            "Malformed webhook",
        )
        .with_detail(why.clone())
        .into_response(),
        WebhookError::TooLarge(_) => Problem::payload_too_large().into_response(),
        WebhookError::NotSupported => {
            Problem::not_found("this account takes no such webhook").into_response()
        }
    }
}

/// The provider's answer (Meta's challenge echo, TwiML), or 200 with nothing.
fn reply_with(reply: WebhookReply) -> Response {
    if reply.content_type.is_none() && reply.body.is_empty() {
        return StatusCode::OK.into_response();
    }
    let content_type = reply
        .content_type
        .as_deref()
        .and_then(|kind| HeaderValue::from_str(kind).ok())
        .unwrap_or(HeaderValue::from_static("text/plain; charset=utf-8"));
    let mut response = (StatusCode::OK, reply.body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, content_type);
    response
}
