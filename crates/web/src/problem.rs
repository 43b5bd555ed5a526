//! RFC 9457 problem details: every error the API gives is `application/problem+json` with a
//! stable `type`, a short `title`, the HTTP `status`, a human `detail` and, when one field of the
//! request is at fault, its name in `field`. When a request has several faults found at once (a
//! strategy document's errors), each is listed in `errors` with its place.

use axum::extract::Request;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use recaudo_domain::MoneyError;
use recaudo_domain::portfolio::DebtRuleError;
use recaudo_domain::strategy::StrategyError;
use recaudo_store::StoreError;
use serde::Serialize;

/// The media type of problem documents.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Where problem types live; each `type` is this base followed by the slug.
pub const PROBLEM_BASE: &str = "https://recaudo.dev/problems/";

/// A problem document (RFC 9457).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(example = json!({
    "type": "https://recaudo.dev/problems/invalid-field",
    "title": "Invalid field",
    "status": 422,
    "detail": "`1,5` is not a number",
    "field": "amount"
}))]
pub struct Problem {
    /// A URI naming the kind of problem; stable, safe to match on.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong this time, for a human.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The request field at fault (a JSON path such as `consent.status`, a query parameter or a
    /// header name), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every fault, when the request has several found at once (a strategy document's errors);
    /// absent otherwise.
    // Boxed: problems travel in `Result`s, and stay small that way.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Vec<ProblemError>, required = false)]
    pub errors: Option<Box<[ProblemError]>>,
    /// Seconds after which trying again may succeed: sent as `Retry-After`, not in the body.
    /// (`u16`: it fits beside `status`, and problems stay small in `Result`s.)
    #[serde(skip)]
    #[schema(ignore)]
    pub retry_after: Option<u16>,
}

/// One fault of a request that has several, with its place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(example = json!({
    "line": 5, "column": 22, "path": "steps[0].send.channel",
    "message": "unknown channel `fax` (expected one of: email, sms, whatsapp, voice, letter, best)"
}))]
pub struct ProblemError {
    /// Where, as a path into the submitted document (`steps[3].wait_for.otherwise`; `.` for the
    /// whole document).
    pub path: String,
    /// What is wrong there, for a human.
    pub message: String,
    /// The 1-based line in the submitted document; absent when the position is unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The 1-based column in the submitted document; absent when the position is unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
}

impl From<&StrategyError> for ProblemError {
    fn from(error: &StrategyError) -> Self {
        let known = error.line > 0;
        ProblemError {
            path: error.path.clone(),
            message: error.message.clone(),
            line: known.then_some(error.line),
            column: known.then_some(error.column),
        }
    }
}

impl Problem {
    /// A problem of the given status and slug (the last part of `type`).
    pub fn new(status: StatusCode, slug: &str, title: &str) -> Self {
        Problem {
            kind: format!("{PROBLEM_BASE}{slug}"),
            title: title.to_string(),
            status: status.as_u16(),
            detail: None,
            field: None,
            errors: None,
            retry_after: None,
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// Asks the client to wait this many seconds before trying again (`Retry-After`).
    pub fn with_retry_after(mut self, seconds: u16) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// Lists the faults (none: no `errors` member).
    pub fn with_errors(mut self, errors: Vec<ProblemError>) -> Self {
        self.errors = (!errors.is_empty()).then(|| errors.into_boxed_slice());
        self
    }

    /// A strategy document that does not validate (422 `invalid-strategy`), listing every error
    /// with its line and column.
    pub fn invalid_strategy(errors: &[StrategyError]) -> Self {
        let detail = match errors {
            [] => "the strategy is not valid".to_string(),
            [one] => format!("the strategy is not valid: {one}"),
            [first, ..] => format!(
                "the strategy has {} errors (all in `errors`); the first: {first}",
                errors.len()
            ),
        };
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-strategy",
            "Invalid strategy",
        )
        .with_detail(detail)
        .with_errors(errors.iter().map(ProblemError::from).collect())
    }

    /// Contact rules that do not validate (422 `invalid-contact-rules`), listing every error
    /// with its line and column; a value looser than the law names the law's limit.
    pub fn invalid_contact_rules(errors: &[StrategyError]) -> Self {
        let detail = match errors {
            [] => "the contact rules are not valid".to_string(),
            [one] => format!("the contact rules are not valid: {one}"),
            [first, ..] => format!(
                "the contact rules have {} errors (all in `errors`); the first: {first}",
                errors.len()
            ),
        };
        let problem = Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-contact-rules",
            "Invalid contact rules",
        )
        .with_detail(detail)
        .with_errors(errors.iter().map(ProblemError::from).collect());
        match errors {
            [first, ..] => problem.with_field(first.path.clone()),
            [] => problem,
        }
    }

    /// The slug of the problem type (`not-found`, `invalid-field`, …).
    pub fn slug(&self) -> &str {
        self.kind.strip_prefix(PROBLEM_BASE).unwrap_or(&self.kind)
    }

    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// A request field with a value that is well-formed but not acceptable (422).
    pub fn invalid_field(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-field",
            "Invalid field",
        )
        .with_detail(detail)
        .with_field(field)
    }

    /// A request whose shape is wrong: wrong type, missing or unknown field (400).
    pub fn bad_field(field: Option<String>, detail: impl Into<String>) -> Self {
        let problem = Problem::new(StatusCode::BAD_REQUEST, "invalid-field", "Invalid field")
            .with_detail(detail);
        match field {
            Some(field) => problem.with_field(field),
            None => problem,
        }
    }

    pub fn malformed_json(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::BAD_REQUEST, "malformed-json", "Malformed JSON")
            .with_detail(detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found").with_detail(detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized").with_detail(detail)
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::CONFLICT, "conflict", "Conflict").with_detail(detail)
    }

    pub fn payload_too_large() -> Self {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "Payload too large",
        )
        .with_detail("the request body is larger than this endpoint accepts")
    }

    pub fn unsupported_media_type(detail: impl Into<String>) -> Self {
        Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
        )
        .with_detail(detail)
    }

    /// A server-side failure. The cause is logged by the caller, never shown.
    pub fn internal() -> Self {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
        )
        .with_detail("something went wrong on our side; it has been logged")
    }

    /// The problem for a bare error status produced outside the handlers (routing, limits).
    pub fn for_status(status: StatusCode) -> Self {
        match status {
            StatusCode::NOT_FOUND => Problem::not_found("no such resource"),
            StatusCode::METHOD_NOT_ALLOWED => {
                Problem::new(status, "method-not-allowed", "Method not allowed")
                    .with_detail("this resource does not accept that method")
            }
            StatusCode::PAYLOAD_TOO_LARGE => Problem::payload_too_large(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                Problem::unsupported_media_type("this endpoint does not accept that content type")
            }
            StatusCode::UNAUTHORIZED => Problem::unauthorized("authentication is required"),
            s if s.is_server_error() => Problem::internal(),
            s => Problem::new(
                s,
                "bad-request",
                s.canonical_reason().unwrap_or("Bad request"),
            ),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.title)?;
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        Ok(())
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let body = serde_json::to_vec(&self).unwrap_or_else(|_| b"{}".to_vec());
        let mut resp = (status, body).into_response();
        resp.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(seconds) = self.retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        resp
    }
}

impl From<StoreError> for Problem {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound { what, id } => {
                Problem::not_found(format!("{what} `{id}` not found"))
            }
            StoreError::Duplicate { what, external_id } => {
                Problem::new(StatusCode::CONFLICT, "duplicate", "Duplicate")
                    .with_detail(format!(
                        "a {what} with external id `{external_id}` already exists"
                    ))
                    .with_field("external_id")
            }
            StoreError::Rule(rule) => rule_problem(rule),
            StoreError::Invalid { field, message } => Problem::invalid_field(field, message),
            StoreError::InvalidStrategy(errors) => Problem::invalid_strategy(&errors),
            StoreError::InvalidContactRules(errors) => Problem::invalid_contact_rules(&errors),
            // The store's optimistic concurrency gave up: the same request a moment later
            // usually goes through.
            error @ StoreError::Contention { .. } => {
                Problem::new(StatusCode::CONFLICT, "contention", "Contention")
                    .with_detail(error.to_string())
                    .with_retry_after(1)
            }
            // A task claimed by another agent, or resolved already.
            error @ StoreError::Conflict { .. } => Problem::conflict(error.to_string()),
            error @ StoreError::VersionConflict { .. } => {
                Problem::new(StatusCode::CONFLICT, "version-conflict", "Version conflict")
                    .with_detail(error.to_string())
                    .with_field("version")
            }
            other => {
                tracing::error!(error = %other, "store failure");
                Problem::internal()
            }
        }
    }
}

/// A domain rule refused the change: 422 `rule-violation`, naming the field at fault.
pub fn rule_problem(rule: DebtRuleError) -> Problem {
    let field = match &rule {
        DebtRuleError::NotPositive => Some("amount"),
        DebtRuleError::Money(MoneyError::CurrencyMismatch(..)) => Some("currency"),
        DebtRuleError::Money(_) => Some("amount"),
        DebtRuleError::PromiseInPast(..) => Some("due_on"),
        DebtRuleError::Overpayment { .. } => Some("amount"),
        DebtRuleError::WrongStatus(..) => None,
    };
    let problem = Problem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "rule-violation",
        "Rule violation",
    )
    .with_detail(rule.to_string());
    match field {
        Some(field) => problem.with_field(field),
        None => problem,
    }
}

/// A money value the request gave that does not parse or fit: 422 naming the field.
pub fn money_problem(field: &str, error: MoneyError) -> Problem {
    Problem::invalid_field(field, error.to_string())
}

/// The body could not be read: too large (413) or broken off (400).
pub fn body_rejection(rej: BytesRejection) -> Problem {
    if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
        Problem::payload_too_large()
    } else {
        Problem::new(StatusCode::BAD_REQUEST, "bad-request", "Bad request").with_detail(format!(
            "the request body could not be read: {}",
            rej.body_text()
        ))
    }
}

/// The answer for requests no route matches.
pub async fn fallback() -> Problem {
    Problem::not_found("no such resource")
}

/// Turns error responses made outside the handlers (no route, wrong method, the body limit) into
/// problem documents, so that every error the API gives has the same shape.
pub async fn problemize(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let is_problem = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_JSON));
    if is_problem {
        return resp;
    }
    let (mut parts, _) = resp.into_parts();
    if status.is_server_error() {
        tracing::error!(%status, "a non-problem error response reached the edge");
    }
    let problem = Problem::for_status(status).into_response();
    let (pparts, body) = problem.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    for (name, value) in pparts.headers.iter() {
        parts.headers.insert(name.clone(), value.clone());
    }
    Response::from_parts(parts, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use recaudo_store::Entity;

    #[test]
    fn store_errors_map_to_problems_by_variant() {
        let missing = Problem::from(StoreError::NotFound {
            what: Entity::StrategyVersion,
            id: "lender v2".into(),
        });
        assert_eq!((missing.status, missing.slug()), (404, "not-found"));
        assert_eq!(
            missing.detail.as_deref(),
            Some("strategy version `lender v2` not found")
        );
        let duplicate = Problem::from(StoreError::Duplicate {
            what: Entity::ContactPoint,
            external_id: "x".into(),
        });
        assert_eq!(
            duplicate.detail.as_deref(),
            Some("a contact point with external id `x` already exists")
        );

        let contention = Problem::from(StoreError::Contention {
            entity: Entity::Debt,
            id: "debt_1".into(),
        });
        assert_eq!((contention.status, contention.slug()), (409, "contention"));
        assert_eq!(contention.retry_after, Some(1));
        let resp = contention.into_response();
        assert_eq!(resp.headers()[header::RETRY_AFTER], "1");

        let version = Problem::from(StoreError::VersionConflict {
            strategy_id: "s".into(),
            version: 2,
            latest: 3,
        });
        assert_eq!((version.status, version.slug()), (409, "version-conflict"));
        assert_eq!(version.field.as_deref(), Some("version"));
        assert_eq!(version.retry_after, None);
        assert!(
            version
                .detail
                .as_deref()
                .is_some_and(|d| d.contains("at version 3")),
            "{version}"
        );

        let invalid = Problem::from(StoreError::Invalid {
            field: "method".into(),
            message: "must be 1 to 40 characters".into(),
        });
        assert_eq!((invalid.status, invalid.slug()), (422, "invalid-field"));
        assert_eq!(invalid.field.as_deref(), Some("method"));
    }
}
