//! The tenant's own contact rules: read the version in force, set a new one (the YAML itself),
//! list the versions (docs/policy.md, "The tenant's rules"; docs/api.md).

use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use recaudo_domain::policy::Preset;
use recaudo_store::StoredContactRules;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::extract::{Ctx, RawBody};
use crate::problem::Problem;

/// Contact rules sent as JSON: the YAML document as a string.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"source": "windows:\n  sms:\n    mon-fri: [\"08:00-18:00\"]\n    sat: []\n    sun: []\npromise_grace_days: 2\n"}))]
pub struct ContactRulesSource {
    /// The contact rules document (YAML, docs/policy.md).
    pub source: String,
}

/// The tenant's contact rules in force, with the law they narrow.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "jurisdiction": "CO", "preset": "Colombia — Ley 2300 de 2023", "version": 2,
    "source": "windows:\n  sms:\n    mon-fri: [\"08:00-18:00\"]\n    sat: []\n    sun: []\n",
    "created_at": "2026-12-01T12:00:00Z"
}))]
pub struct ContactRulesView {
    /// The tenant's jurisdiction, whose preset (the law) the rules may only narrow.
    pub jurisdiction: String,
    /// The preset's name, with its law.
    pub preset: String,
    /// The version in force; `null` when the tenant never set rules (the preset alone applies).
    pub version: Option<u32>,
    /// The YAML exactly as submitted; `null` when none.
    pub source: Option<String>,
    /// When that version was set.
    pub created_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Every stored version, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ContactRulesVersions {
    pub items: Vec<StoredContactRules>,
}

fn view(ctx: &Ctx, stored: Option<StoredContactRules>) -> ContactRulesView {
    let jurisdiction = ctx.ts.tenant().jurisdiction;
    let preset = Preset::try_for_jurisdiction(jurisdiction)
        .map(|p| p.name().to_string())
        .unwrap_or_default();
    ContactRulesView {
        jurisdiction: jurisdiction.code().to_string(),
        preset,
        version: stored.as_ref().map(|s| s.version),
        created_at: stored.as_ref().map(|s| s.created_at),
        source: stored.map(|s| s.source),
    }
}

/// Reads the tenant's contact rules in force (the latest version), with its jurisdiction.
#[utoipa::path(get, path = "/api/v1/contact-rules", operation_id = "get_contact_rules", tag = "contact rules",
    responses((status = 200, description = "The rules in force; `version: null` when the tenant never set any", body = ContactRulesView)))]
pub async fn get(ctx: Ctx) -> Result<Json<ContactRulesView>, Problem> {
    let stored = ctx.ts.contact_rules().await?;
    Ok(Json(view(&ctx, stored)))
}

/// Sets the tenant's contact rules: checked as `recaudo rules set` does (never looser than the
/// jurisdiction's law) and stored as the next version, which the planner uses from its next
/// run. The same document as the version in force answers 200 and stores nothing.
#[utoipa::path(put, path = "/api/v1/contact-rules", operation_id = "put_contact_rules", tag = "contact rules",
    request_body(description = "The contact rules document (YAML), or JSON `{\"source\": \"<YAML>\"}`", content(
        (String = "application/yaml"),
        (String = "text/yaml"),
        (String = "text/plain"),
        (ContactRulesSource = "application/json"))),
    responses(
        (status = 201, description = "Stored as a new version", body = ContactRulesView),
        (status = 200, description = "This very document is already the version in force", body = ContactRulesView),
        (status = 409, description = "`contention`: another change took this version number first; try again", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Neither YAML nor JSON", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid-contact-rules`: every error in `errors`, each with `line`, `column`, `path` and `message` (a value looser than the law names the law's limit); nothing is stored", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn put(
    ctx: Ctx,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<(StatusCode, Json<ContactRulesView>), Problem> {
    let source = crate::extract::yaml_document(&headers, &body, "the contact rules")?;
    let put = ctx.ts.put_contact_rules(&source, ctx.now).await?;
    let status = if put.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(view(&ctx, Some(put.rules)))))
}

/// Lists every version of the tenant's contact rules, oldest first.
#[utoipa::path(get, path = "/api/v1/contact-rules/versions", operation_id = "list_contact_rules_versions", tag = "contact rules",
    responses((status = 200, description = "Every version, oldest first (empty when none was set)", body = ContactRulesVersions)))]
pub async fn versions(ctx: Ctx) -> Result<Json<ContactRulesVersions>, Problem> {
    Ok(Json(ContactRulesVersions {
        items: ctx.ts.contact_rules_versions().await?,
    }))
}
