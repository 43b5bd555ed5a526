//! Extractors that answer with problem documents: JSON bodies and query strings whose errors name
//! the field at fault, path ids that read as "not found" when they do not parse, and the
//! tenant-scoped context every API handler works through.

use std::fmt::Display;
use std::str::FromStr;

use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::header;
use axum::http::request::Parts;
use bytes::Bytes;
use chrono::{DateTime, NaiveDate, Utc};
use recaudo_domain::IdError;
use recaudo_domain::portfolio::{Tenant, parse_timezone};
use recaudo_store::TenantStore;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::problem::{Problem, body_rejection};

/// The tenant the request's API key belongs to, put in the request's extensions by the
/// authentication middleware.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Tenant);

/// What an API handler works with: the store seen by the caller's tenant, and the time of the
/// request from the injected clock.
pub struct Ctx {
    pub ts: TenantStore,
    pub now: DateTime<Utc>,
}

impl Ctx {
    /// Today in the tenant's time zone.
    pub fn today(&self) -> NaiveDate {
        let tenant = self.ts.tenant();
        let tz =
            parse_timezone(&tenant.timezone).unwrap_or_else(|_| tenant.country.default_timezone());
        self.now.with_timezone(&tz).date_naive()
    }
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let Authenticated(tenant) = parts
            .extensions
            .get::<Authenticated>()
            .ok_or_else(|| Problem::unauthorized("an API key is required"))?;
        Ok(Ctx {
            ts: state.store.tenant(tenant),
            now: state.clock.now(),
        })
    }
}

/// An id taken from the path. An id that does not parse (another kind's prefix, garbage) is
/// answered exactly like an id that does not exist: 404.
pub struct Id<T>(pub T);

impl<S, T> FromRequestParts<S> for Id<T>
where
    S: Send + Sync,
    T: FromStr<Err = IdError> + Send,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| Problem::not_found("no such resource"))?;
        raw.parse::<T>()
            .map(Id)
            .map_err(|e| Problem::not_found(format!("{} `{raw}` not found", e.kind)))
    }
}

/// A JSON request body. Syntax errors answer 400 `malformed-json`; a missing, unknown or
/// wrongly typed field answers 400 `invalid-field` naming the field.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        if let Some(ct) = req.headers().get(header::CONTENT_TYPE) {
            let ct = ct.to_str().unwrap_or("");
            let essence = media_type(req.headers());
            if essence != "application/json" && !essence.ends_with("+json") {
                return Err(Problem::unsupported_media_type(format!(
                    "expected an `application/json` body, got `{ct}`"
                )));
            }
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(body_rejection)?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// A raw request body (an import file). Over the route's limit: 413.
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        Bytes::from_request(req, state)
            .await
            .map(RawBody)
            .map_err(body_rejection)
    }
}

/// Parses a JSON document, naming the field at fault on error.
/// The media type of a request's `Content-Type`, lower-cased, without parameters (`""` when
/// there is none or it is not text).
pub fn media_type(headers: &axum::http::HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let msg = inner.to_string();
        if inner.classify() == serde_json::error::Category::Data {
            return Problem::bad_field(field_at(&path, &msg), msg);
        }
        // serde_json reports some type errors (a number where an enum is expected) as syntax
        // errors: in a body that is valid JSON, a field is at fault, not the syntax.
        if serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok() {
            return Problem::bad_field(
                field_at(&path, &msg),
                format!("a value of the wrong type ({msg})"),
            );
        }
        Problem::malformed_json(if bytes.iter().all(u8::is_ascii_whitespace) {
            "the request body is empty; a JSON object is expected".to_string()
        } else {
            msg
        })
    })?;
    de.end()
        .map_err(|e| Problem::malformed_json(e.to_string()))?;
    Ok(value)
}

/// The field a deserialization error is about: the path where it happened, completed with the
/// field serde names for a missing or unknown field (those are reported at the parent).
fn field_at(path: &str, msg: &str) -> Option<String> {
    let named = ["missing field `", "unknown field `", "duplicate field `"]
        .iter()
        .find_map(|p| msg.strip_prefix(p))
        .and_then(|rest| rest.split('`').next())
        .filter(|n| !n.is_empty());
    let parent = (path != "." && !path.is_empty()).then_some(path);
    match (parent, named) {
        // An unknown key is already the last part of the path.
        (Some(parent), Some(named))
            if parent == named || parent.ends_with(&format!(".{named}")) =>
        {
            Some(parent.to_string())
        }
        (Some(parent), Some(named)) => Some(format!("{parent}.{named}")),
        (None, Some(named)) => Some(named.to_string()),
        (Some(parent), None) => Some(parent.to_string()),
        (None, None) => None,
    }
}

/// A query string read into `T` (whose fields are strings or parsed with [`parsed`]); unknown
/// parameters and values that do not parse answer 400 naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Problem> {
        let query = parts.uri.query().unwrap_or("");
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).map_err(|e| {
            Problem::bad_field(None, format!("the query string does not parse: {e}"))
        })?;
        let de =
            serde::de::value::MapDeserializer::<_, serde::de::value::Error>::new(pairs.into_iter());
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let path = e.path().to_string();
                let msg = e.into_inner().to_string();
                Problem::bad_field(field_at(&path, &msg), msg)
            })
    }
}

/// Reads an optional query value with `FromStr` (an empty value counts as absent).
pub fn parsed<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: FromStr,
    T::Err: Display,
{
    let text = String::deserialize(deserializer)?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    text.parse::<T>()
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// Reads an optional string query value (an empty value counts as absent).
pub fn non_empty<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let text = String::deserialize(deserializer)?;
    Ok((!text.is_empty()).then_some(text))
}

/// For PATCH bodies: tells "absent" (outer `None`) from "set to null" (`Some(None)`).
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_field_of_an_error() {
        let cases = [
            (".", "missing field `name` at line 1 column 2", Some("name")),
            (
                ".",
                "unknown field `nope`, expected one of `a`",
                Some("nope"),
            ),
            ("consent", "missing field `status`", Some("consent.status")),
            ("nope", "unknown field `nope`, expected `a`", Some("nope")),
            (
                "postal.nope",
                "unknown field `nope`, expected `a`",
                Some("postal.nope"),
            ),
            ("amount", "invalid type: boolean `true`", Some("amount")),
            (".", "invalid type: sequence, expected struct X", None),
        ];
        for (path, msg, want) in cases {
            assert_eq!(field_at(path, msg).as_deref(), want, "{path} {msg}");
        }
    }
}
