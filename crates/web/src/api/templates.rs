//! Message templates: the built-in text of every (template, channel, language) of the
//! catalogue, the tenant's overrides (checked when saved, never at send time), and previews of
//! what would go out, rendered the way the dispatcher renders (`recaudo_engine::dispatch::
//! template_context`). The CLI (`recaudo template …`) goes through the same functions.

use axum::Json;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use recaudo_channels::Content;
use recaudo_channels::links::{LinkPurpose, LinkSigner};
use recaudo_channels::templates::{
    TemplateError, TemplateOverride, TemplateSet, builtin_pairs, builtin_text, validate_override,
};
use recaudo_domain::planner::DebtFile;
use recaudo_domain::portfolio::{Channel, Debt, DebtStatus, Debtor, DebtorKind, Language};
use recaudo_domain::{ContactId, DebtId, DebtorId, Money};
use recaudo_engine::dispatch::{MessageLinks, template_context};
use recaudo_store::{DebtFilter, StoredTemplate, TenantStore};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::extract::{ApiJson, ApiQuery, Ctx, non_empty, parse_json};
use crate::problem::{PROBLEM_JSON, Problem};

/// The parts of a template's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "body": "Olá {{ debtor_name }}, sua fatura de {{ total }} vence hoje. Pague: {{ pay_url }} Para não receber mais, responda SAIR."
}))]
pub struct TemplateText {
    /// Email (required) and letter (optional: the default's otherwise); absent elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The text (minijinja): the message's paragraphs for email and letters, the whole text
    /// for SMS, WhatsApp and voice.
    pub body: String,
    /// Email only: an HTML fragment used instead of the body's paragraphs in the HTML part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
}

impl TemplateText {
    fn of(o: &TemplateOverride) -> Self {
        TemplateText {
            subject: o.subject.clone(),
            body: o.body.clone(),
            html: o.html.clone(),
        }
    }

    /// The override of (name, channel, language) with this text.
    pub fn into_override(
        self,
        name: &str,
        channel: Channel,
        language: Language,
    ) -> TemplateOverride {
        TemplateOverride {
            name: name.to_string(),
            channel,
            language,
            subject: self.subject,
            body: self.body,
            html: self.html,
        }
    }
}

/// One (template, channel, language): its built-in text and the tenant's, when it has one.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TemplateView {
    pub name: String,
    pub channel: Channel,
    pub language: Language,
    /// Whether the tenant's text is used instead of the default.
    pub overridden: bool,
    /// The built-in text.
    pub default: TemplateText,
    /// The tenant's text; `null` when the default applies.
    #[serde(rename = "override")]
    pub tenant_text: Option<TemplateText>,
    /// 1 when first saved, one more each time it is replaced; `null` without an override.
    pub version: Option<i64>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// Every (template, channel, language) of the catalogue, by name, channel and language.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TemplateList {
    pub items: Vec<TemplateView>,
}

/// A rendered preview.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "name": "due_today", "channel": "sms", "language": "pt", "source": "default",
    "debt": null,
    "content": {"kind": "sms", "body": "Olá Maria Souza, …", "encoding": "gsm7", "segments": 2}
}))]
pub struct Preview {
    pub name: String,
    pub channel: Channel,
    pub language: Language,
    /// Whose text was rendered: `default`, `override` (the tenant's) or `draft` (the body of
    /// the request).
    pub source: String,
    /// The external id of the debt the preview is about; `null` for the sample debtor.
    pub debt: Option<String>,
    /// What would go out: an e-mail's `subject`, `text` and `html`; an SMS's `body`,
    /// `encoding` (`gsm7` or `ucs2`) and `segments`; a WhatsApp template's `template`,
    /// `language_code`, `parameters` and `preview`; a call's `script` and `menu`; a letter's
    /// `subject`, `body`, `sender` and `date_line`.
    #[schema(value_type = Object)]
    pub content: Content,
}

/// Which debt a preview is about.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PreviewQuery {
    /// The external id of one of the tenant's debts: the preview shows it to its debtor.
    /// Without it, a sample debtor and debt in the tenant's country and currency.
    #[serde(default, deserialize_with = "non_empty")]
    pub debt: Option<String>,
}

/// A problem that may carry the line and column of a template error as extension members.
pub struct Refusal {
    problem: Problem,
    position: Option<(usize, usize)>,
}

impl From<Problem> for Refusal {
    fn from(problem: Problem) -> Self {
        Refusal {
            problem,
            position: None,
        }
    }
}

impl From<recaudo_store::StoreError> for Refusal {
    fn from(error: recaudo_store::StoreError) -> Self {
        Problem::from(error).into()
    }
}

impl Refusal {
    pub fn problem(&self) -> &Problem {
        &self.problem
    }

    /// Line and column (1-based) in the field at fault, when the error has a place.
    pub fn position(&self) -> Option<(usize, usize)> {
        self.position
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let Some((line, column)) = self.position else {
            return self.problem.into_response();
        };
        let mut body = serde_json::to_value(&self.problem).unwrap_or_default();
        if let Some(members) = body.as_object_mut() {
            members.insert("line".into(), line.into());
            members.insert("column".into(), column.into());
        }
        let mut resp = (self.problem.status_code(), Json(body)).into_response();
        resp.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        resp
    }
}

/// A template refused on save, or a message that cannot be rendered: 422 `invalid-template`
/// naming the field (`subject`, `body`, `html`), with `line` and `column` when known.
pub fn refused(error: &TemplateError) -> Refusal {
    Refusal {
        problem: Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-template",
            "Invalid template",
        )
        .with_detail(error.to_string())
        .with_field(error.field()),
        position: error.position(),
    }
}

/// The (name, channel, language) of a path, or 404 when the catalogue has no such text.
pub fn in_catalogue(
    name: &str,
    channel: &str,
    language: &str,
) -> Result<(Channel, Language), Problem> {
    let missing = || {
        Problem::not_found(format!(
            "no template `{name}` on channel `{channel}` in language `{language}` (see GET \
             /api/v1/templates)"
        ))
    };
    let channel: Channel = channel.parse().map_err(|_| missing())?;
    let language: Language = language.parse().map_err(|_| missing())?;
    builtin_text(name, channel, language).ok_or_else(missing)?;
    Ok((channel, language))
}

/// The tenant's overrides as stored (one that no longer reads is left out, logged: the
/// dispatcher does the same).
async fn overrides(ts: &TenantStore) -> Result<Vec<(TemplateOverride, StoredTemplate)>, Problem> {
    let mut out = Vec::new();
    for stored in ts.list_message_templates().await? {
        match serde_json::from_value::<TemplateOverride>(stored.body.clone()) {
            Ok(o) => out.push((o, stored)),
            Err(error) => tracing::error!(
                tenant = %ts.tenant().id, template = %stored.name, %error,
                "a stored template override does not read"
            ),
        }
    }
    Ok(out)
}

/// Every (template, channel, language) with its default text and the tenant's.
pub async fn list_views(ts: &TenantStore) -> Result<Vec<TemplateView>, Problem> {
    let overrides = overrides(ts).await?;
    let mut items = Vec::new();
    for language in [Language::Es, Language::Pt, Language::En] {
        for (name, channel) in builtin_pairs(language) {
            let Some(default) = builtin_text(name, channel, language) else {
                continue;
            };
            let own = overrides
                .iter()
                .find(|(o, _)| o.name == name && o.channel == channel && o.language == language);
            items.push(TemplateView {
                name: name.to_string(),
                channel,
                language,
                overridden: own.is_some(),
                default: TemplateText::of(&default),
                tenant_text: own.map(|(o, _)| TemplateText::of(o)),
                version: own.map(|(_, s)| s.version),
                updated_at: own.map(|(_, s)| s.updated_at),
            });
        }
    }
    items.sort_by(|a, b| {
        (a.name.as_str(), a.channel.as_str(), a.language.as_str()).cmp(&(
            b.name.as_str(),
            b.channel.as_str(),
            b.language.as_str(),
        ))
    });
    Ok(items)
}

/// Checks and saves the tenant's text of (name, channel, language).
pub async fn save(
    ts: &TenantStore,
    o: TemplateOverride,
    now: DateTime<Utc>,
) -> Result<TemplateView, Refusal> {
    validate_override(&o).map_err(|e| refused(&e))?;
    let body = serde_json::to_value(&o).map_err(|e| {
        tracing::error!(error = %e, "serialising a template override");
        Problem::internal()
    })?;
    ts.put_message_template(&o.name, o.channel.as_str(), o.language.as_str(), body, now)
        .await
        .map_err(Problem::from)?;
    view_of(ts, &o.name, o.channel, o.language).await
}

async fn view_of(
    ts: &TenantStore,
    name: &str,
    channel: Channel,
    language: Language,
) -> Result<TemplateView, Refusal> {
    list_views(ts)
        .await?
        .into_iter()
        .find(|v| v.name == name && v.channel == channel && v.language == language)
        .ok_or_else(|| Problem::not_found(format!("no template `{name}`")).into())
}

/// What a preview renders: the tenant's text (or `draft`) for one debt of the tenant (by
/// external id) or a sample debtor, with links shaped like real ones under `base_url` (signed
/// with a key of their own: they open nothing).
pub struct PreviewRequest<'a> {
    pub name: &'a str,
    pub channel: Channel,
    pub language: Language,
    pub draft: Option<TemplateText>,
    pub debt: Option<&'a str>,
    pub base_url: &'a str,
    pub now: DateTime<Utc>,
}

/// Renders a preview.
pub async fn preview(ts: &TenantStore, request: PreviewRequest<'_>) -> Result<Preview, Refusal> {
    let PreviewRequest {
        name,
        channel,
        language,
        draft,
        debt,
        base_url,
        now,
    } = request;
    let mut texts: Vec<TemplateOverride> =
        overrides(ts).await?.into_iter().map(|(o, _)| o).collect();
    let overridden = texts
        .iter()
        .any(|o| o.name == name && o.channel == channel && o.language == language);
    let source = match draft {
        Some(draft) => {
            let draft = draft.into_override(name, channel, language);
            validate_override(&draft).map_err(|e| refused(&e))?;
            texts.push(draft);
            "draft"
        }
        None if overridden => "override",
        None => "default",
    };
    let set = TemplateSet::with_overrides(texts).map_err(|e| refused(&e))?;

    let tenant = ts.tenant().clone();
    let (mut debtor, file) = match debt {
        Some(external_id) => {
            let found = ts
                .list_debts(&DebtFilter {
                    external_id: Some(external_id.to_string()),
                    limit: Some(1),
                    ..Default::default()
                })
                .await?
                .items
                .into_iter()
                .next()
                .ok_or_else(|| {
                    Problem::invalid_field("debt", format!("no debt `{external_id}`"))
                })?;
            let debtor = ts.get_debtor(found.debtor_id).await?;
            // The debt as the dispatcher reads it (with a running promise's date), or as it is
            // when it is no longer active.
            let promise_due = ts
                .plan_input(debtor.id, now)
                .await?
                .and_then(|file| file.debts.into_iter().find(|d| d.debt.id == found.id))
                .and_then(|d| d.promise_due);
            (
                debtor,
                DebtFile {
                    debt: found,
                    promise_due,
                    held_until: None,
                },
            )
        }
        None => sample(&tenant, name, language, now),
    };
    // The language asked for, whatever the debtor's.
    debtor.language = language;
    let signer = LinkSigner::new(b"recaudo template preview", base_url);
    let contact = ContactId::generate();
    let links = MessageLinks {
        pay_url: match channel {
            Channel::Email => signer.url(LinkPurpose::Click, contact),
            _ => signer.url(LinkPurpose::Portal, contact),
        },
        unsubscribe_url: (channel == Channel::Email)
            .then(|| signer.url(LinkPurpose::Unsubscribe, contact)),
    };
    let context = template_context(&tenant, &debtor, &[&file], links, now)
        .map_err(|e| Problem::invalid_field("debt", e))?;
    let content = set
        .render(name, channel, &context, language)
        .map_err(|e| refused(&e))?;
    Ok(Preview {
        name: name.to_string(),
        channel,
        language,
        source: source.to_string(),
        debt: debt.map(str::to_string),
        content,
    })
}

/// A sample debtor in the tenant's country and one debt in its currency, due when the
/// template is usually sent (before the due date for a soft reminder, on it for `due_today`,
/// after it otherwise), with a promise for `promise_reminder`.
fn sample(
    tenant: &recaudo_domain::portfolio::Tenant,
    template: &str,
    language: Language,
    now: DateTime<Utc>,
) -> (Debtor, DebtFile) {
    let today = now.date_naive();
    let due_on = match template {
        "reminder_soft" | "invoice_copy" | "statement" => today + Duration::days(5),
        "due_today" => today,
        _ => today - Duration::days(12),
    };
    let name = match language {
        Language::Es => "Ana Pérez",
        Language::Pt => "Maria Souza",
        Language::En => "Jane Doe",
    };
    let debtor = Debtor {
        id: DebtorId::generate(),
        external_id: "SAMPLE-1".into(),
        kind: DebtorKind::Person,
        name: name.into(),
        document_type: None,
        document_number: None,
        birth_date: None,
        language,
        timezone: tenant.timezone.clone(),
        country: tenant.country,
        segment: None,
        computed_segment: None,
        tags: vec![],
        attributes: serde_json::json!({}),
        preferences: Default::default(),
        created_at: now,
        updated_at: now,
    };
    let currency = tenant.currency;
    let amount = Decimal::new(123_456, 2).round_dp(currency.minor_units());
    let balance = Money::new(amount, currency);
    let debt = Debt {
        id: DebtId::generate(),
        debtor_id: debtor.id,
        external_id: "INV-1001".into(),
        original: balance,
        balance,
        issued_on: due_on - Duration::days(30),
        due_on,
        product: None,
        status: DebtStatus::Open,
        strategy: None,
        created_at: now,
        updated_at: now,
    };
    let promise_due = (template == "promise_reminder").then(|| today + Duration::days(2));
    (
        debtor,
        DebtFile {
            debt,
            promise_due,
            held_until: None,
        },
    )
}

/// `http://{Host}`: where the request came to, for the links of a preview.
fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| !h.is_empty())
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// Lists every template of the catalogue per channel and language, with its default text and
/// the tenant's override.
#[utoipa::path(get, path = "/api/v1/templates", operation_id = "list_templates", tag = "templates",
    responses((status = 200, description = "Every (template, channel, language), by name, channel and language", body = TemplateList)))]
pub async fn list(ctx: Ctx) -> Result<Json<TemplateList>, Problem> {
    Ok(Json(TemplateList {
        items: list_views(&ctx.ts).await?,
    }))
}

/// Saves the tenant's text of a template for one channel and language, replacing the one
/// before. A text that does not parse, uses an unknown variable, has no subject (email) or no
/// opt-out line (SMS, WhatsApp) is refused, with its line and column.
#[utoipa::path(put, path = "/api/v1/templates/{name}/{channel}/{language}", operation_id = "put_template", tag = "templates",
    params(
        ("name" = String, Path, description = "The template (`due_today`, …)"),
        ("channel" = Channel, Path, description = "The channel"),
        ("language" = Language, Path, description = "`es`, `pt` or `en`")),
    request_body = TemplateText,
    responses(
        (status = 200, description = "Saved", body = TemplateView),
        (status = 404, description = "The catalogue has no such template, channel or language", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid-template`: `field` names the part at fault (`subject`, `body`, `html`); `line` and `column` (1-based, in that part) say where, when the error has a place", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn put(
    ctx: Ctx,
    Path((name, channel, language)): Path<(String, String, String)>,
    ApiJson(text): ApiJson<TemplateText>,
) -> Result<Json<TemplateView>, Refusal> {
    let (channel, language) = in_catalogue(&name, &channel, &language)?;
    let view = save(
        &ctx.ts,
        text.into_override(&name, channel, language),
        ctx.now,
    )
    .await?;
    Ok(Json(view))
}

/// Removes the tenant's text of a template for one channel and language: the default applies
/// again (nothing to remove is fine).
#[utoipa::path(delete, path = "/api/v1/templates/{name}/{channel}/{language}", operation_id = "delete_template", tag = "templates",
    params(
        ("name" = String, Path, description = "The template"),
        ("channel" = Channel, Path, description = "The channel"),
        ("language" = Language, Path, description = "`es`, `pt` or `en`")),
    responses((status = 204, description = "The default applies")))]
pub async fn delete(
    ctx: Ctx,
    Path((name, channel, language)): Path<(String, String, String)>,
) -> Result<StatusCode, Problem> {
    let (channel, language) = in_catalogue(&name, &channel, &language)?;
    ctx.ts
        .delete_message_template(&name, channel.as_str(), language.as_str())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Renders what would go out: the tenant's text (or a draft sent as the body, checked as on
/// save) for a sample debtor, or for one of the tenant's debts with `?debt=EXTERNAL_ID`. Links
/// have the shape of real ones but open nothing.
#[utoipa::path(post, path = "/api/v1/templates/{name}/{channel}/{language}/preview", operation_id = "preview_template", tag = "templates",
    params(
        ("name" = String, Path, description = "The template"),
        ("channel" = Channel, Path, description = "The channel"),
        ("language" = Language, Path, description = "`es`, `pt` or `en`"),
        PreviewQuery),
    request_body(content = Option<TemplateText>, description = "A draft to render instead of the saved text; an empty body renders the saved text"),
    responses(
        (status = 200, description = "The message as it would go out", body = Preview),
        (status = 422, description = "`invalid-template` (the draft, with `line` and `column`) or `invalid-field` (`debt`: no such debt)", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn render(
    ctx: Ctx,
    headers: HeaderMap,
    Path((name, channel, language)): Path<(String, String, String)>,
    ApiQuery(query): ApiQuery<PreviewQuery>,
    body: Bytes,
) -> Result<Json<Preview>, Refusal> {
    let (channel, language) = in_catalogue(&name, &channel, &language)?;
    let draft = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        Some(parse_json::<TemplateText>(&body)?)
    };
    let base = base_url(&headers);
    let preview = preview(
        &ctx.ts,
        PreviewRequest {
            name: &name,
            channel,
            language,
            draft,
            debt: query.debt.as_deref(),
            base_url: &base,
            now: ctx.now,
        },
    )
    .await?;
    Ok(Json(preview))
}
