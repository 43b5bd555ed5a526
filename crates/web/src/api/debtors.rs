//! Debtors: list, create, read, patch.

use axum::Json;
use axum::http::StatusCode;
use chrono::NaiveDate;
use recaudo_domain::portfolio::{
    Channel, Debtor, DebtorKind, HourWindow, Language, Preferences, WeekdayName,
};
use recaudo_domain::{Country, DebtorId};
use recaudo_store::{DebtorFilter, NewDebtor};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::DebtorPage;
use crate::extract::{ApiJson, ApiQuery, Ctx, Id, non_empty, nullable, parsed};
use crate::problem::Problem;

/// Filters of the debtor list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DebtorQuery {
    /// The tenant's id for the debtor.
    #[serde(default, deserialize_with = "non_empty")]
    pub external_id: Option<String>,
    /// ISO 3166 alpha-2 code.
    #[serde(default, deserialize_with = "parsed")]
    #[param(value_type = Option<Country>)]
    pub country: Option<Country>,
    #[serde(default, deserialize_with = "non_empty")]
    pub segment: Option<String>,
    #[serde(default, deserialize_with = "parsed")]
    #[param(value_type = Option<DebtorKind>)]
    pub kind: Option<DebtorKind>,
    /// What an agent typed: part of the name, without regard to case or accents (`maria` finds
    /// "María"); a document number with or without its dots and dashes; a phone (local or
    /// international format, read in the tenant's country) or an email address, as the import
    /// accepts them.
    #[serde(default, deserialize_with = "non_empty")]
    pub q: Option<String>,
    /// `next_cursor` of the previous page.
    #[serde(default, deserialize_with = "non_empty")]
    pub cursor: Option<String>,
    /// Page size, 1 to 500 (default 50); a value outside is refused (422, `field`: `limit`).
    #[serde(default, deserialize_with = "parsed")]
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// When and how the debtor accepts contact.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesInput {
    /// Days the debtor accepts contact (`mon` … `sun`); empty means no restriction of their own.
    #[serde(default)]
    #[schema(value_type = Vec<String>, example = json!(["mon", "tue", "wed"]))]
    pub allowed_weekdays: Vec<WeekdayName>,
    #[serde(default)]
    pub allowed_hours: Option<HourWindow>,
    #[serde(default)]
    pub preferred_channel: Option<Channel>,
    #[serde(default)]
    pub language: Option<Language>,
    #[serde(default)]
    pub paperless: bool,
}

impl From<PreferencesInput> for Preferences {
    fn from(preferences: PreferencesInput) -> Self {
        Preferences {
            allowed_weekdays: preferences.allowed_weekdays,
            allowed_hours: preferences.allowed_hours,
            preferred_channel: preferences.preferred_channel,
            language: preferences.language,
            paperless: preferences.paperless,
        }
    }
}

/// A debtor to create. Unset fields default from the country (and the tenant).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDebtor {
    /// The tenant's own id for the debtor; unique per tenant.
    pub external_id: String,
    pub name: String,
    /// Default `person`.
    pub kind: Option<DebtorKind>,
    pub document_type: Option<String>,
    pub document_number: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub birth_date: Option<NaiveDate>,
    pub language: Option<Language>,
    /// IANA time zone; default: the country's, or the tenant's.
    pub timezone: Option<String>,
    pub country: Option<Country>,
    pub segment: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Free attributes (a JSON object).
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<serde_json::Value>,
    pub preferences: Option<PreferencesInput>,
}

/// The fields to change; fields not given stay as they are. `null` clears a nullable field.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchDebtor {
    pub name: Option<String>,
    pub kind: Option<DebtorKind>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub document_type: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub document_number: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, format = Date)]
    pub birth_date: Option<Option<NaiveDate>>,
    pub language: Option<Language>,
    pub timezone: Option<String>,
    pub country: Option<Country>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub segment: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    /// Replaces the attributes object.
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<serde_json::Value>,
    /// Replaces the preferences.
    pub preferences: Option<PreferencesInput>,
}

impl PatchDebtor {
    /// The debtor with the given fields merged in.
    fn apply(self, mut debtor: Debtor) -> Debtor {
        if let Some(value) = self.name {
            debtor.name = value;
        }
        if let Some(value) = self.kind {
            debtor.kind = value;
        }
        if let Some(value) = self.document_type {
            debtor.document_type = value;
        }
        if let Some(value) = self.document_number {
            debtor.document_number = value;
        }
        if let Some(value) = self.birth_date {
            debtor.birth_date = value;
        }
        if let Some(value) = self.language {
            debtor.language = value;
        }
        if let Some(value) = self.timezone {
            debtor.timezone = value;
        }
        if let Some(value) = self.country {
            debtor.country = value;
        }
        if let Some(value) = self.segment {
            debtor.segment = value;
        }
        if let Some(value) = self.tags {
            debtor.tags = value;
        }
        if let Some(value) = self.attributes {
            debtor.attributes = value;
        }
        if let Some(value) = self.preferences {
            debtor.preferences = value.into();
        }
        debtor
    }
}

/// Lists debtors, oldest first.
#[utoipa::path(get, path = "/api/v1/debtors", operation_id = "list_debtors", tag = "debtors",
    params(DebtorQuery),
    responses((status = 200, description = "One page of debtors", body = DebtorPage)))]
pub async fn list(
    ctx: Ctx,
    ApiQuery(query): ApiQuery<DebtorQuery>,
) -> Result<Json<DebtorPage>, Problem> {
    let filter = DebtorFilter {
        external_id: query.external_id,
        country: query.country,
        segment: query.segment,
        kind: query.kind,
        search: query.q,
        cursor: query.cursor,
        limit: query.limit,
    };
    Ok(Json(ctx.ts.list_debtors(&filter).await?.into()))
}

/// Creates a debtor.
#[utoipa::path(post, path = "/api/v1/debtors", operation_id = "create_debtor", tag = "debtors",
    request_body = CreateDebtor,
    responses(
        (status = 201, description = "The debtor", body = Debtor),
        (status = 409, description = "A debtor with this external id exists", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn create(
    ctx: Ctx,
    ApiJson(body): ApiJson<CreateDebtor>,
) -> Result<(StatusCode, Json<Debtor>), Problem> {
    let new = NewDebtor {
        external_id: body.external_id,
        kind: body.kind,
        name: body.name,
        document_type: body.document_type,
        document_number: body.document_number,
        birth_date: body.birth_date,
        language: body.language,
        timezone: body.timezone,
        country: body.country,
        segment: body.segment,
        tags: body.tags,
        attributes: body.attributes,
        preferences: body.preferences.map(Into::into),
    };
    let debtor = ctx.ts.create_debtor(new, ctx.now).await?;
    Ok((StatusCode::CREATED, Json(debtor)))
}

/// Reads a debtor.
#[utoipa::path(get, path = "/api/v1/debtors/{id}", operation_id = "get_debtor", tag = "debtors",
    params(("id" = DebtorId, Path, description = "Debtor id")),
    responses((status = 200, description = "The debtor", body = Debtor)))]
pub async fn get(ctx: Ctx, Id(id): Id<DebtorId>) -> Result<Json<Debtor>, Problem> {
    Ok(Json(ctx.ts.get_debtor(id).await?))
}

/// Changes a debtor: the fields given replace the current ones.
#[utoipa::path(patch, path = "/api/v1/debtors/{id}", operation_id = "patch_debtor", tag = "debtors",
    params(("id" = DebtorId, Path, description = "Debtor id")),
    request_body = PatchDebtor,
    responses((status = 200, description = "The debtor as changed", body = Debtor)))]
pub async fn patch(
    ctx: Ctx,
    Id(id): Id<DebtorId>,
    ApiJson(body): ApiJson<PatchDebtor>,
) -> Result<Json<Debtor>, Problem> {
    let current = ctx.ts.get_debtor(id).await?;
    let updated = ctx.ts.update_debtor(&body.apply(current), ctx.now).await?;
    Ok(Json(updated))
}

/// Erases the debtor's personal data (Habeas Data, LGPD, GDPR): name, document, birth date,
/// tags, attributes, preferences, the tenant's external id for the debtor and the contact
/// points' addresses; personal members of the debtor's events. The debts, payments, promises,
/// disputes and contacts stay, anonymised (amounts, dates, channels, states), as does the
/// timeline, which records `debtor_erased`; contacts not yet sent are cancelled. The debtor is
/// then not found, listed, searched or planned (docs/api.md, "Erasure").
#[utoipa::path(delete, path = "/api/v1/debtors/{id}", operation_id = "erase_debtor", tag = "debtors",
    params(("id" = DebtorId, Path, description = "Debtor id")),
    responses((status = 204, description = "Erased")))]
pub async fn erase(ctx: Ctx, Id(id): Id<DebtorId>) -> Result<StatusCode, Problem> {
    ctx.ts.erase_debtor(id, ctx.now).await?;
    Ok(StatusCode::NO_CONTENT)
}
