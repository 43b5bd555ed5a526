//! `Idempotency-Key` on POST: the first response given to a key is kept (2xx and 4xx, not 5xx,
//! which may be retried) and replayed to every retry of the same request; the same key with a
//! different request is refused.
//!
//! The request is identified by SHA-256 over its method, target (path and query) and body. Two
//! requests with one key arriving together on this node are serialised: the second is told to
//! retry (409) instead of running twice.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Body;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use recaudo_store::StoredResponse;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::extract::Authenticated;
use crate::problem::{PROBLEM_JSON, Problem, body_rejection};

pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
pub const IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// The largest response kept for replay (import reports are the biggest, well below this).
const MAX_STORED_RESPONSE: usize = 16 * 1024 * 1024;

/// What the middleware needs: the app, and the keys being answered right now on this node.
#[derive(Clone)]
pub struct Idempotency {
    pub app: AppState,
    in_flight: Arc<Mutex<HashSet<String>>>,
}

impl Idempotency {
    pub fn new(app: AppState) -> Self {
        Idempotency {
            app,
            in_flight: Arc::default(),
        }
    }
}

/// Holds a key as "in flight" until dropped (also when the request is cancelled).
struct InFlight {
    set: Arc<Mutex<HashSet<String>>>,
    key: String,
}

impl InFlight {
    fn claim(set: &Arc<Mutex<HashSet<String>>>, key: String) -> Option<InFlight> {
        let mut guard = set.lock().unwrap_or_else(PoisonError::into_inner);
        guard.insert(key.clone()).then(|| InFlight {
            set: set.clone(),
            key,
        })
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.set
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.key);
    }
}

fn valid_key(key: &str) -> bool {
    (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
}

/// SHA-256 of method, request target and body, hex.
fn request_hash(method: &Method, target: &str, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(method.as_str().as_bytes());
    hasher.update(b"\n");
    hasher.update(target.as_bytes());
    hasher.update(b"\n");
    hasher.update(body);
    hex::encode(hasher.finalize())
}

/// The stored answer, given again.
fn replay(stored: StoredResponse) -> Response {
    let status = u16::try_from(stored.status_code)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let content_type = if status.is_success() {
        "application/json"
    } else {
        PROBLEM_JSON
    };
    let mut resp = (status, stored.response).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp.headers_mut()
        .insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    resp
}

pub async fn middleware(State(idem): State<Idempotency>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(raw_key) = req.headers().get(&IDEMPOTENCY_KEY) else {
        return next.run(req).await;
    };
    let key = match raw_key.to_str() {
        Ok(key) if valid_key(key) => key.to_string(),
        _ => {
            return Problem::bad_field(
                Some("Idempotency-Key".into()),
                "an idempotency key is 1 to 255 visible ASCII characters",
            )
            .into_response();
        }
    };
    let Some(Authenticated(tenant)) = req.extensions().get::<Authenticated>().cloned() else {
        return Problem::unauthorized("an API key is required").into_response();
    };
    let (parts, body) = req.into_parts();
    let bytes = match Bytes::from_request(Request::from_parts(parts.clone(), body), &()).await {
        Ok(bytes) => bytes,
        Err(rej) => return body_rejection(rej).into_response(),
    };
    let target = parts
        .uri
        .path_and_query()
        .map(|pq| pq.as_str())
        .unwrap_or("/");
    let hash = request_hash(&parts.method, target, &bytes);

    let Some(_in_flight) = InFlight::claim(&idem.in_flight, format!("{}\n{key}", tenant.id)) else {
        return Problem::conflict(
            "a request with this Idempotency-Key is being answered; retry it in a moment",
        )
        .with_field("Idempotency-Key")
        .with_retry_after(1)
        .into_response();
    };
    let ts = idem.app.store.tenant(&tenant);
    match ts.idempotent_response(&key).await {
        Err(error) => return Problem::from(error).into_response(),
        Ok(Some(stored)) if stored.request_hash == hash => return replay(stored),
        Ok(Some(_)) => {
            return Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "Idempotency key reused",
            )
            .with_detail("this Idempotency-Key was already used for a different request")
            .with_field("Idempotency-Key")
            .into_response();
        }
        Ok(None) => {}
    }

    let resp = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let status = resp.status();
    if status.is_server_error() || status.is_informational() {
        return resp;
    }
    let (rparts, rbody) = resp.into_parts();
    let rbytes = match axum::body::to_bytes(rbody, MAX_STORED_RESPONSE).await {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::error!(error = %error, "reading a response to store it for its idempotency key");
            return Problem::internal().into_response();
        }
    };
    match std::str::from_utf8(&rbytes) {
        Ok(text) => {
            let stored = StoredResponse {
                request_hash: hash,
                status_code: i32::from(status.as_u16()),
                response: text.to_string(),
            };
            if let Err(error) = ts
                .save_idempotent_response(&key, &stored, idem.app.clock.now())
                .await
            {
                tracing::error!(error = %error, "storing the response of an idempotency key");
            }
        }
        Err(_) => tracing::warn!("a response that is not UTF-8 was not stored for replay"),
    }
    Response::from_parts(rparts, Body::from(rbytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_hashes() {
        assert!(valid_key("abc-123"));
        assert!(!valid_key(""));
        assert!(!valid_key("with space"));
        assert!(!valid_key(&"x".repeat(256)));
        let hash = request_hash(&Method::POST, "/a", b"{}");
        assert_eq!(hash, request_hash(&Method::POST, "/a", b"{}"));
        assert_ne!(hash, request_hash(&Method::POST, "/b", b"{}"));
        assert_ne!(hash, request_hash(&Method::POST, "/a", b"{ }"));
    }

    #[test]
    fn a_key_is_claimed_once_until_released() {
        let set = Arc::default();
        let first = InFlight::claim(&set, "k".into());
        assert!(first.is_some());
        assert!(InFlight::claim(&set, "k".into()).is_none());
        drop(first);
        assert!(InFlight::claim(&set, "k".into()).is_some());
    }
}
