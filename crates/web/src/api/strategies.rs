//! Strategies: store a version (the YAML itself), list, read, retire; move a debt to one; and the
//! JSON Schema of the strategy document (docs/strategies.md, "Managing strategies").

use axum::Json;
use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use recaudo_domain::DebtId;
use recaudo_domain::portfolio::Debt;
use recaudo_domain::strategy::STRATEGY_JSON_SCHEMA;
use recaudo_store::{Entity, StoreError, StoredStrategy};
use serde::Deserialize;
use utoipa::ToSchema;

use super::StrategyList;
use crate::extract::{ApiJson, Ctx, Id, RawBody};
use crate::problem::Problem;

/// The media type the strategy schema is served with.
pub const SCHEMA_JSON: &str = "application/schema+json";

/// A strategy sent as JSON: the YAML document as a string.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"source": "id: small\nsteps:\n  - { id: due, at: due, send: { channel: sms, template: due_today } }\n"}))]
pub struct StrategySource {
    /// The strategy document (YAML, docs/strategies.md).
    pub source: String,
}

/// The strategy a debt is to follow from now on.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"strategy": "utility-household", "version": 2}))]
pub struct MoveStrategy {
    /// The strategy's id.
    pub strategy: String,
    /// A stored version that is not retired; default: the latest that is not.
    #[schema(minimum = 1)]
    pub version: Option<u32>,
}

/// A strategy id from the path (any text; one that cannot be read is one that does not exist).
fn strategy_id(path: Result<Path<String>, PathRejection>) -> Result<String, Problem> {
    path.map(|Path(id)| id)
        .map_err(|_| Problem::not_found("no such strategy"))
}

/// Stores a version of a strategy, after checking it as `recaudo strategy validate` does. The
/// version is the document's `version` (1 when absent). The same document again answers 200 with
/// the stored version; another document under a stored version, or a version below the latest,
/// answers 409: raise `version` to change a strategy.
#[utoipa::path(post, path = "/api/v1/strategies", operation_id = "put_strategy", tag = "strategies",
    request_body(description = "The strategy document (YAML), or JSON `{\"source\": \"<YAML>\"}`", content(
        (String = "application/yaml"),
        (String = "text/yaml"),
        (String = "text/plain"),
        (StrategySource = "application/json"))),
    responses(
        (status = 201, description = "Stored as a new version", body = StoredStrategy),
        (status = 200, description = "This very document was already stored under its id and version", body = StoredStrategy),
        (status = 409, description = "`version-conflict`: another document is stored under this version, or a later version is stored", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Neither YAML nor JSON", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid-strategy`: every error in `errors`, each with `line`, `column`, `path` and `message`; nothing is stored", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn put(
    ctx: Ctx,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<(StatusCode, Json<StoredStrategy>), Problem> {
    let source = crate::extract::yaml_document(&headers, &body, "the strategy")?;
    let put = ctx.ts.put_strategy(&source, ctx.now).await?;
    let status = if put.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(put.strategy)))
}

/// Lists the latest version of each strategy (retired ones too, with `retired_at`), highest
/// priority first, then by id.
#[utoipa::path(get, path = "/api/v1/strategies", operation_id = "list_strategies", tag = "strategies",
    responses((status = 200, description = "The strategies", body = StrategyList)))]
pub async fn list(ctx: Ctx) -> Result<Json<StrategyList>, Problem> {
    Ok(Json(ctx.ts.list_strategies().await?.into()))
}

/// Reads the latest version of a strategy.
#[utoipa::path(get, path = "/api/v1/strategies/{id}", operation_id = "get_strategy", tag = "strategies",
    params(("id" = String, Path, description = "Strategy id")),
    responses((status = 200, description = "The latest version", body = StoredStrategy)))]
pub async fn get(
    ctx: Ctx,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<StoredStrategy>, Problem> {
    let id = strategy_id(path)?;
    Ok(Json(ctx.ts.get_strategy(&id, None).await?))
}

/// Lists every version of a strategy, oldest first.
#[utoipa::path(get, path = "/api/v1/strategies/{id}/versions", operation_id = "list_strategy_versions", tag = "strategies",
    params(("id" = String, Path, description = "Strategy id")),
    responses((status = 200, description = "Every version, oldest first", body = StrategyList)))]
pub async fn versions(
    ctx: Ctx,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<StrategyList>, Problem> {
    let id = strategy_id(path)?;
    Ok(Json(ctx.ts.strategy_versions(&id).await?.into()))
}

/// Reads one version of a strategy.
#[utoipa::path(get, path = "/api/v1/strategies/{id}/versions/{version}", operation_id = "get_strategy_version", tag = "strategies",
    params(
        ("id" = String, Path, description = "Strategy id"),
        ("version" = u32, Path, description = "Version", minimum = 1)),
    responses((status = 200, description = "That version", body = StoredStrategy)))]
pub async fn version(
    ctx: Ctx,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<StoredStrategy>, Problem> {
    let Ok(Path((id, version))) = path else {
        return Err(Problem::not_found("no such strategy"));
    };
    let number = version
        .parse::<u32>()
        .map_err(|_| Problem::not_found(format!("strategy version `{id} v{version}` not found")))?;
    Ok(Json(ctx.ts.get_strategy(&id, Some(number)).await?))
}

/// Retires a strategy, every version of it: the planner no longer chooses it for new debts;
/// debts already on it keep it until moved. Retiring again changes nothing. A version stored
/// later is in use again.
#[utoipa::path(post, path = "/api/v1/strategies/{id}/retire", operation_id = "retire_strategy", tag = "strategies",
    params(("id" = String, Path, description = "Strategy id")),
    responses((status = 200, description = "The latest version, retired", body = StoredStrategy)))]
pub async fn retire(
    ctx: Ctx,
    path: Result<Path<String>, PathRejection>,
) -> Result<Json<StoredStrategy>, Problem> {
    let id = strategy_id(path)?;
    Ok(Json(ctx.ts.retire_strategy(&id, ctx.now).await?))
}

/// Moves a debt to a strategy version (not retired), explicitly: the debt starts it afresh, with
/// no experiment arms yet. The move is a `debt_updated` event on the debt's timeline.
#[utoipa::path(put, path = "/api/v1/debts/{id}/strategy", operation_id = "move_debt_strategy", tag = "strategies",
    params(("id" = DebtId, Path, description = "Debt id")),
    request_body = MoveStrategy,
    responses(
        (status = 200, description = "The debt, with its new `strategy`", body = Debt),
        (status = 422, description = "The strategy is retired (`field`: `strategy`)", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn move_debt(
    ctx: Ctx,
    Id(id): Id<DebtId>,
    ApiJson(body): ApiJson<MoveStrategy>,
) -> Result<Json<Debt>, Problem> {
    let debt = ctx
        .ts
        .move_debt_strategy(id, &body.strategy, body.version, ctx.now)
        .await
        .map_err(|e| match e {
            StoreError::NotFound {
                what: Entity::Strategy | Entity::StrategyVersion,
                ..
            } => Problem::from(e).with_field("strategy"),
            other => Problem::from(other),
        })?;
    Ok(Json(debt))
}

/// The JSON Schema (draft 2020-12) of a strategy document, for editors and clients. Public, like
/// the OpenAPI document.
#[utoipa::path(get, path = "/api/v1/schemas/strategy.json", operation_id = "strategy_schema", tag = "strategies",
    security(()),
    responses((status = 200, description = "The JSON Schema", body = Object, content_type = "application/schema+json")))]
pub async fn schema() -> Response {
    let mut resp = STRATEGY_JSON_SCHEMA.into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(SCHEMA_JSON));
    resp
}
