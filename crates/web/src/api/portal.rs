//! The debtor portal's API: the tenant's portal settings (name, colour, logo, support line,
//! link lifetime), a debtor's links (issue one by hand, revoke them all), and the evidence
//! debtors upload with disputes. Docs: `docs/portal.md`, `docs/api.md`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Duration, DurationRound, Utc};
use recaudo_domain::{DebtorId, DisputeId};
use recaudo_store::{EvidenceInfo, PortalSettings, PutPortalSettings};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::extract::{ApiJson, Ctx, Id};
use crate::problem::Problem;

/// A tenant's portal settings as read and written.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PortalSettingsBody {
    /// The name in the portal's header; the tenant's name when null.
    #[schema(example = "Luz do Vale Energia")]
    pub display_name: Option<String>,
    /// The header's and buttons' colour, `#rrggbb`; the text on it is white or black, whichever
    /// contrasts more.
    #[schema(example = "#0a7d5a")]
    pub colour: Option<String>,
    /// The logo, PNG or JPEG of at most 200 KiB, in base64.
    pub logo: Option<String>,
    /// How debtors reach the tenant, shown on every page.
    #[schema(example = "0800 123 4567 · atendimento@luzdovale.com.br")]
    pub support: Option<String>,
    /// Days a portal link lives after it was issued (1 to 365; default 60).
    #[schema(example = 60)]
    pub link_days: Option<u32>,
    /// When they were saved (read only).
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<PortalSettings> for PortalSettingsBody {
    fn from(s: PortalSettings) -> Self {
        PortalSettingsBody {
            display_name: s.display_name,
            colour: s.colour,
            logo: s.logo.map(|(bytes, _)| STANDARD.encode(bytes)),
            support: s.support,
            link_days: Some(s.link_days),
            updated_at: s.updated_at,
        }
    }
}

/// Reads the tenant's portal settings (the defaults when none were saved).
#[utoipa::path(get, path = "/api/v1/portal-settings", operation_id = "get_portal_settings", tag = "portal",
    responses((status = 200, description = "The portal settings in force", body = PortalSettingsBody)))]
pub async fn get_settings(ctx: Ctx) -> Result<Json<PortalSettingsBody>, Problem> {
    Ok(Json(ctx.ts.portal_settings().await?.into()))
}

/// Saves the tenant's portal settings, whole (a field left out is cleared). A colour not
/// `#rrggbb`, a logo that is not PNG/JPEG base64 or is over 200 KiB, or `link_days` out of
/// 1–365 answers 422 naming the field.
#[utoipa::path(put, path = "/api/v1/portal-settings", operation_id = "put_portal_settings", tag = "portal",
    request_body(content = PortalSettingsBody, example = json!({"display_name": "Luz do Vale Energia",
        "colour": "#0a7d5a", "support": "0800 123 4567", "link_days": 45})),
    responses((status = 200, description = "The portal settings saved", body = PortalSettingsBody),
        (status = 422, description = "`invalid-field` naming the field at fault", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn put_settings(
    ctx: Ctx,
    ApiJson(body): ApiJson<PortalSettingsBody>,
) -> Result<Json<PortalSettingsBody>, Problem> {
    let logo = match body.logo.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(
            STANDARD
                .decode(text)
                .map_err(|_| Problem::invalid_field("logo", "must be base64"))?,
        ),
    };
    let put = PutPortalSettings {
        display_name: body.display_name,
        colour: body.colour,
        logo,
        support: body.support,
        link_days: body.link_days,
    };
    Ok(Json(
        ctx.ts.put_portal_settings(&put, ctx.now).await?.into(),
    ))
}

/// Revokes every portal link of the debtor issued until now: they answer the neutral page.
#[utoipa::path(post, path = "/api/v1/debtors/{id}/portal-links/revoke", operation_id = "revoke_portal_links", tag = "portal",
    params(("id" = DebtorId, Path, description = "Debtor id (`dbr_…`)")),
    responses((status = 204, description = "Revoked")))]
pub async fn revoke(ctx: Ctx, Id(id): Id<DebtorId>) -> Result<StatusCode, Problem> {
    ctx.ts.revoke_portal_links(id, ctx.now).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A portal link for the debtor, to send by hand.
#[derive(Debug, Serialize, ToSchema)]
pub struct PortalLinkBody {
    #[schema(
        example = "https://collect.example.com/p/01JD4Q2M5X8VY3T6N9PAB7CDEF692f1c80AbCdEfGhIjKlMnOp"
    )]
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

/// Issues a portal link for the debtor (it expires after the tenant's `link_days` and dies
/// when the debtor's links are revoked). 409 when the installation has no link key.
#[utoipa::path(post, path = "/api/v1/debtors/{id}/portal-link", operation_id = "issue_portal_link", tag = "portal",
    params(("id" = DebtorId, Path, description = "Debtor id (`dbr_…`)")),
    responses((status = 201, description = "The link", body = PortalLinkBody)))]
pub async fn issue(
    State(state): State<AppState>,
    ctx: Ctx,
    Id(id): Id<DebtorId>,
) -> Result<(StatusCode, Json<PortalLinkBody>), Problem> {
    ctx.ts.get_debtor(id).await?;
    let signer = state
        .links
        .as_ref()
        .ok_or_else(|| Problem::conflict("this installation has no link key ([links] key)"))?;
    // Whole seconds, after any revocation (a link issued in the second of a revocation would
    // otherwise die with it).
    let mut issued = ctx
        .now
        .duration_trunc(Duration::seconds(1))
        .unwrap_or(ctx.now);
    if let Some(revoked) = ctx.ts.portal_revoked_at(id).await?
        && issued <= revoked
    {
        issued = revoked
            .duration_trunc(Duration::seconds(1))
            .unwrap_or(revoked)
            + Duration::seconds(1);
    }
    let settings = ctx.ts.portal_settings().await?;
    Ok((
        StatusCode::CREATED,
        Json(PortalLinkBody {
            url: signer.debtor_url(id, issued),
            expires_at: issued + Duration::days(i64::from(settings.link_days)),
        }),
    ))
}

/// The evidence of a dispute.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceList {
    pub items: Vec<EvidenceInfo>,
}

/// Lists the files a debtor sent with a dispute, oldest first (without their bytes).
#[utoipa::path(get, path = "/api/v1/disputes/{id}/evidence", operation_id = "list_dispute_evidence", tag = "disputes",
    params(("id" = DisputeId, Path, description = "Dispute id (`dsp_…`)")),
    responses((status = 200, description = "The files", body = EvidenceList)))]
pub async fn evidence_list(ctx: Ctx, Id(id): Id<DisputeId>) -> Result<Json<EvidenceList>, Problem> {
    Ok(Json(EvidenceList {
        items: ctx.ts.list_dispute_evidence(id).await?,
    }))
}

/// Downloads one file a debtor sent with a dispute, as an attachment (never shown inline).
#[utoipa::path(get, path = "/api/v1/disputes/{id}/evidence/{evidence_id}", operation_id = "get_dispute_evidence", tag = "disputes",
    params(("id" = DisputeId, Path, description = "Dispute id"), ("evidence_id" = String, Path, description = "Evidence id (`evd_…`)")),
    responses((status = 200, description = "The file's bytes (PDF, PNG or JPEG)", content_type = "application/octet-stream")))]
pub async fn evidence_get(
    ctx: Ctx,
    Path((id, evidence)): Path<(String, String)>,
) -> Result<Response, Problem> {
    let id: DisputeId = id
        .parse()
        .map_err(|_| Problem::not_found("dispute not found"))?;
    ctx.ts.get_dispute(id).await?;
    let (info, bytes) = ctx.ts.get_dispute_evidence(id, &evidence).await?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    let kind = HeaderValue::from_str(&info.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, kind);
    // The name is the debtor's: only safe characters go in the header.
    let name: String = info
        .filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
