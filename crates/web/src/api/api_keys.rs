//! The tenant's API keys: listed (never the key nor its hash) and revoked. New keys are made
//! with `recaudo tenant key` (a key is shown once, when made).

use axum::Json;
use recaudo_domain::ApiKeyId;
use recaudo_store::ApiKeyInfo;

use super::ApiKeyList;
use crate::extract::{Ctx, Id};
use crate::problem::Problem;

/// Lists the tenant's API keys, revoked ones too, oldest first: id, prefix, when made, when
/// revoked and when last used (to the minute); never the key nor its hash.
#[utoipa::path(get, path = "/api/v1/api_keys", operation_id = "list_api_keys", tag = "api keys",
    responses((status = 200, description = "The tenant's API keys", body = ApiKeyList)))]
pub async fn list(ctx: Ctx) -> Result<Json<ApiKeyList>, Problem> {
    Ok(Json(ctx.ts.list_api_keys().await?.into()))
}

/// Revokes an API key: from now on a request with it gets 401. A key may revoke itself.
/// Revoking a revoked key changes nothing.
#[utoipa::path(delete, path = "/api/v1/api_keys/{id}", operation_id = "revoke_api_key", tag = "api keys",
    params(("id" = String, Path, description = "API key id (`key_…`)")),
    responses((status = 200, description = "The key, revoked", body = ApiKeyInfo)))]
pub async fn revoke(ctx: Ctx, Id(id): Id<ApiKeyId>) -> Result<Json<ApiKeyInfo>, Problem> {
    Ok(Json(ctx.ts.revoke_api_key(id, ctx.now).await?))
}
