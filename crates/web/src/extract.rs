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
            let field = field_at(&path, &msg);
            let given = serde_json::from_slice::<serde_json::Value>(bytes)
                .ok()
                .and_then(|body| value_at(&body, &path).cloned());
            let detail = field_detail(field.as_deref(), &msg, given.as_ref());
            return Problem::bad_field(field, detail);
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

/// The texts of chrono's parse errors: a date or time that does not read.
const TIME_PARSE_ERRORS: &[&str] = &[
    "input contains invalid characters",
    "premature end of input",
    "trailing input",
    "input is out of range",
    "input is not enough for unique date and time",
    "no possible date and time matching input",
];

/// What a client reads about a field whose value was refused: the field, what was expected and
/// what was given, without the parser's position in the body (`at line 1 column 40` says
/// nothing the field does not say better). A date or time that does not read names the format
/// expected: `due_on: expected a date as YYYY-MM-DD, got "15/12/2026"`.
pub fn field_detail(field: Option<&str>, msg: &str, given: Option<&serde_json::Value>) -> String {
    let msg = without_position(msg);
    let said = match (given.and_then(serde_json::Value::as_str), field) {
        (Some(text), Some(field)) if TIME_PARSE_ERRORS.contains(&msg) => {
            format!("expected {}, got {:?}", time_format(field, text), text)
        }
        _ => msg.to_string(),
    };
    match field {
        // Errors about a missing or unknown field name it already.
        Some(field) if !said.contains(&format!("`{field}`")) => format!("{field}: {said}"),
        _ => said,
    }
}

/// The format a date or time field takes: a valid date refused means an instant was expected;
/// otherwise the field's name tells (`at` and `…_at` fields are instants, the others dates).
fn time_format(field: &str, text: &str) -> &'static str {
    const DATE: &str = "a date as YYYY-MM-DD";
    const INSTANT: &str = "a date-time as RFC 3339, e.g. 2026-12-15T14:30:00Z";
    let name = field.rsplit('.').next().unwrap_or(field);
    if text.trim().parse::<NaiveDate>().is_ok() || name == "at" || name.ends_with("_at") {
        INSTANT
    } else {
        DATE
    }
}

/// `msg` without serde_json's ` at line L column C`.
fn without_position(msg: &str) -> &str {
    match msg.rfind(" at line ") {
        Some(at) if msg[at..].contains(" column ") => &msg[..at],
        _ => msg,
    }
}

/// The value at a `serde_path_to_error` path (`a.b[0].c`; `.` for the root) in `body`.
fn value_at<'a>(body: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    if path == "." || path.is_empty() {
        return Some(body);
    }
    let mut here = body;
    for part in path.split('.') {
        let (name, indexes) = match part.find('[') {
            Some(at) => (&part[..at], &part[at..]),
            None => (part, ""),
        };
        if !name.is_empty() {
            here = here.get(name)?;
        }
        for index in indexes.split(['[', ']']).filter(|i| !i.is_empty()) {
            here = here.get(index.parse::<usize>().ok()?)?;
        }
    }
    Some(here)
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
                let field = field_at(&path, &msg);
                let given = field.as_deref().and_then(|field| {
                    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
                        .ok()?
                        .into_iter()
                        .find(|(name, _)| name == field)
                        .map(|(_, value)| serde_json::Value::String(value))
                });
                let detail = field_detail(field.as_deref(), &msg, given.as_ref());
                Problem::bad_field(field, detail)
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

/// A YAML document sent as the body itself (`application/yaml`, `text/yaml`, `text/plain`, or no
/// Content-Type) or as the `source` of a JSON body (`{"source": "<YAML>"}`): strategies and
/// contact rules. `what` names the document in errors ("the strategy").
pub fn yaml_document(
    headers: &axum::http::HeaderMap,
    body: &[u8],
    what: &str,
) -> Result<String, Problem> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Source {
        source: String,
    }
    let essence = media_type(headers);
    match essence.as_str() {
        "" | "application/yaml" | "application/x-yaml" | "text/yaml" | "text/x-yaml"
        | "text/plain" => String::from_utf8(body.to_vec()).map_err(|_| {
            Problem::new(
                axum::http::StatusCode::BAD_REQUEST,
                "bad-request",
                "Bad request",
            )
            .with_detail(format!("{what} is not UTF-8 text"))
        }),
        json if json == "application/json" || json.ends_with("+json") => {
            parse_json::<Source>(body).map(|s| s.source)
        }
        _ => {
            let ct = headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            Err(Problem::unsupported_media_type(format!(
                "send {what} as `application/yaml` (the file itself) or as `application/json` \
                 (`{{\"source\": \"…\"}}`); Content-Type was `{ct}`"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_values_are_told_with_their_field_and_format() {
        use serde_json::json;
        let cases = [
            (
                Some("due_on"),
                "input contains invalid characters at line 1 column 40",
                Some(json!("15/12/2026")),
                r#"due_on: expected a date as YYYY-MM-DD, got "15/12/2026""#,
            ),
            (
                Some("due_on"),
                "trailing input",
                Some(json!("2026-12-15T10:00:00Z")),
                r#"due_on: expected a date as YYYY-MM-DD, got "2026-12-15T10:00:00Z""#,
            ),
            (
                Some("received_at"),
                "premature end of input at line 1 column 30",
                Some(json!("2026-12-15")),
                r#"received_at: expected a date-time as RFC 3339, e.g. 2026-12-15T14:30:00Z, got "2026-12-15""#,
            ),
            (
                Some("consent.at"),
                "input contains invalid characters",
                Some(json!("ayer")),
                r#"consent.at: expected a date-time as RFC 3339, e.g. 2026-12-15T14:30:00Z, got "ayer""#,
            ),
            (
                Some("birth_date"),
                "input contains invalid characters",
                Some(json!("17/05/1990")),
                r#"birth_date: expected a date as YYYY-MM-DD, got "17/05/1990""#,
            ),
            (
                Some("kind"),
                "unknown variant `robot`, expected `person` or `business` at line 1 column 15",
                Some(json!("robot")),
                "kind: unknown variant `robot`, expected `person` or `business`",
            ),
            (
                Some("name"),
                "missing field `name` at line 1 column 2",
                None,
                "missing field `name`",
            ),
            (
                None,
                "invalid type: sequence, expected struct X",
                None,
                "invalid type: sequence, expected struct X",
            ),
        ];
        for (field, msg, given, want) in cases {
            assert_eq!(field_detail(field, msg, given.as_ref()), want, "{msg}");
        }
        let body = json!({"a": {"b": [1, {"c": "x"}]}});
        assert_eq!(value_at(&body, "a.b[1].c"), Some(&json!("x")));
        assert_eq!(value_at(&body, "."), Some(&body));
        assert_eq!(value_at(&body, "a.z"), None);
    }

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
