//! Contact points of a debtor, and their consent.

use axum::Json;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use recaudo_domain::portfolio::{Channel, Consent, ConsentStatus, ContactPoint, PostalAddress};
use recaudo_domain::{ContactPointId, Country, DebtorId};
use recaudo_store::NewContactPoint;
use serde::Deserialize;
use utoipa::ToSchema;

use super::ContactPointList;
use crate::extract::{ApiJson, Ctx, Id};
use crate::problem::Problem;

/// Consent on a contact point: what, where it came from, when.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentInput {
    pub status: ConsentStatus,
    /// Where consent was collected (`signup_form`, `contract`, `portal`, …).
    pub source: Option<String>,
    /// When; default: now.
    pub at: Option<DateTime<Utc>>,
}

impl From<ConsentInput> for Consent {
    fn from(consent: ConsentInput) -> Self {
        Consent {
            status: consent.status,
            source: consent.source,
            at: consent.at,
        }
    }
}

/// A postal address, for letters.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostalInput {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: Country,
}

impl From<PostalInput> for PostalAddress {
    fn from(postal: PostalInput) -> Self {
        PostalAddress {
            line1: postal.line1,
            line2: postal.line2,
            city: postal.city,
            region: postal.region,
            postal_code: postal.postal_code,
            country: postal.country,
        }
    }
}

/// A contact point to add: an email or phone in `address`, or a postal address in `postal` for
/// letters. Phones are read in the debtor's country and stored in E.164.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateContactPoint {
    pub channel: Channel,
    pub address: Option<String>,
    pub postal: Option<PostalInput>,
    /// Default: status `unknown`.
    pub consent: Option<ConsentInput>,
    /// Lower is tried first among the debtor's points of one channel (default 0).
    pub priority: Option<i32>,
}

/// A change of consent.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchContactPoint {
    pub consent: ConsentInput,
}

/// Lists a debtor's contact points.
#[utoipa::path(get, path = "/api/v1/debtors/{id}/contact_points", operation_id = "list_contact_points", tag = "contact points",
    params(("id" = DebtorId, Path, description = "Debtor id")),
    responses((status = 200, description = "The contact points", body = ContactPointList)))]
pub async fn list(ctx: Ctx, Id(id): Id<DebtorId>) -> Result<Json<ContactPointList>, Problem> {
    Ok(Json(ctx.ts.list_contact_points(id).await?.into()))
}

/// Adds a contact point to a debtor.
#[utoipa::path(post, path = "/api/v1/debtors/{id}/contact_points", operation_id = "create_contact_point", tag = "contact points",
    params(("id" = DebtorId, Path, description = "Debtor id")),
    request_body = CreateContactPoint,
    responses((status = 201, description = "The contact point", body = ContactPoint)))]
pub async fn create(
    ctx: Ctx,
    Id(id): Id<DebtorId>,
    ApiJson(body): ApiJson<CreateContactPoint>,
) -> Result<(StatusCode, Json<ContactPoint>), Problem> {
    let new = NewContactPoint {
        channel: body.channel,
        address: body.address,
        postal: body.postal.map(Into::into),
        consent: body.consent.map(Into::into).unwrap_or_default(),
        priority: body.priority,
    };
    let cp = ctx.ts.add_contact_point(id, new, ctx.now).await?;
    Ok((StatusCode::CREATED, Json(cp)))
}

/// Records a change of consent on a contact point (`opted_out` also stamps the opt-out time).
#[utoipa::path(patch, path = "/api/v1/contact_points/{id}", operation_id = "patch_contact_point", tag = "contact points",
    params(("id" = ContactPointId, Path, description = "Contact point id")),
    request_body = PatchContactPoint,
    responses((status = 200, description = "The contact point as changed", body = ContactPoint)))]
pub async fn patch(
    ctx: Ctx,
    Id(id): Id<ContactPointId>,
    ApiJson(body): ApiJson<PatchContactPoint>,
) -> Result<Json<ContactPoint>, Problem> {
    Ok(Json(
        ctx.ts.set_consent(id, body.consent.into(), ctx.now).await?,
    ))
}
