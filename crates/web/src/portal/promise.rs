//! `GET/POST /p/{token}/promise`: the debtor promises to pay on a date, for all their open debts
//! or one. The latest date is the tenant's `ReplySettings.max_promise_days` after the debtor's
//! today (one concept for replies and the portal). A past date, a later one or no date is the
//! form again with the message (422), nothing stored; success is 303 to the confirmation.

use axum::body::Bytes;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Duration, NaiveDate};
use serde::Deserialize;

use recaudo_domain::portfolio::{Debt, DebtStatus};
use recaudo_engine::inbound::settings::ReplySettings;
use recaudo_store::{NewPromise, StoreError};

use super::context::PortalCtx;
use super::layout::{escape, field_error, form_start, page, page_status, unavailable_page};
use super::security::{CSRF_FIELD, check_csrf, field, form_fields, see_other};
use super::text::t;

/// `?done=` after a promise: its date (anything else shows the form).
#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// The latest date a promise may take, from the tenant's reply settings.
async fn latest(ctx: &PortalCtx) -> Result<NaiveDate, StoreError> {
    let settings = ReplySettings::load(&ctx.ts).await?;
    Ok(ctx.today + Duration::days(i64::from(settings.max_promise_days)))
}

/// Debts a promise can be made for: open or already promised.
fn promisable(ctx: &PortalCtx) -> Vec<&Debt> {
    ctx.debts
        .iter()
        .filter(|d| matches!(d.status, DebtStatus::Open | DebtStatus::Promised))
        .collect()
}

/// The debts choice (all, or one): radio buttons when there is more than one debt.
pub fn debt_choice(ctx: &PortalCtx, debts: &[&Debt], legend: &str, prefix: &str) -> String {
    if debts.len() < 2 {
        return match debts.first() {
            Some(debt) => format!(
                "<input type=\"hidden\" name=\"debt\" value=\"{}\">\n",
                debt.id
            ),
            None => String::new(),
        };
    }
    let common = &t(ctx.lang).common;
    let mut html = format!(
        "<fieldset>\n<legend>{legend}</legend>\n<div class=\"choice\"><input type=\"radio\" \
         name=\"debt\" id=\"{prefix}-debt-all\" value=\"all\" checked>\
         <label for=\"{prefix}-debt-all\">{}</label></div>\n",
        common.all_debts
    );
    for (i, debt) in debts.iter().enumerate() {
        html.push_str(&format!(
            "<div class=\"choice\"><input type=\"radio\" name=\"debt\" id=\"{prefix}-debt-{i}\" \
             value=\"{}\"><label for=\"{prefix}-debt-{i}\">{} · {}</label></div>\n",
            debt.id,
            escape(&debt.external_id),
            escape(&ctx.money(&debt.balance)),
        ));
    }
    html.push_str("</fieldset>\n");
    html
}

/// The debts the form's `debt` field names among `debts`: `all` (or absent) is every one.
pub fn chosen<'a>(debts: &[&'a Debt], value: Option<&str>) -> Option<Vec<&'a Debt>> {
    match value {
        None | Some("all") => Some(debts.to_vec()),
        Some(id) => debts
            .iter()
            .find(|d| d.id.to_string() == id)
            .map(|d| vec![*d]),
    }
}

fn form_page(
    ctx: &PortalCtx,
    status: StatusCode,
    latest: NaiveDate,
    value: &str,
    error: Option<&str>,
) -> Response {
    let text = &t(ctx.lang).promise;
    let debts = promisable(ctx);
    let mut body = format!("<h1>{}</h1>\n<p>{}</p>\n", text.title, text.intro);
    if debts.is_empty() {
        body.push_str(&format!("<p>{}</p>\n", t(ctx.lang).common.no_open_debts));
        return page_status(ctx, status, text.title, &body);
    }
    body.push_str(&form_start(ctx, "/promise"));
    let hint = text
        .date_hint
        .replace("{days}", &(latest - ctx.today).num_days().to_string());
    let described = match error {
        Some(_) => "promise-date-hint error",
        None => "promise-date-hint",
    };
    body.push_str(&format!(
        "<div class=\"field\">\n<label for=\"promise-date\">{}</label>\n\
         <p class=\"hint\" id=\"promise-date-hint\">{hint}</p>\n{}\
         <input type=\"date\" id=\"promise-date\" name=\"date\" required min=\"{}\" max=\"{}\" \
         value=\"{}\" aria-describedby=\"{described}\"{}>\n</div>\n",
        text.date,
        error.map(|e| field_error("error", e)).unwrap_or_default(),
        ctx.today,
        latest,
        escape(value),
        if error.is_some() {
            " aria-invalid=\"true\""
        } else {
            ""
        },
    ));
    body.push_str(&debt_choice(ctx, &debts, text.debts, "promise"));
    body.push_str(&format!(
        "<button type=\"submit\">{}</button>\n</form>\n",
        text.submit
    ));
    page_status(ctx, status, text.title, &body)
}

/// `GET /p/{token}/promise`: the form, or (after a post) the confirmation.
pub async fn form(ctx: PortalCtx, Query(done): Query<Done>) -> Response {
    let text = &t(ctx.lang).promise;
    if let Some(date) = done
        .done
        .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
    {
        let body = format!(
            "<div id=\"confirmation\" role=\"status\">\n<h1>{}</h1>\n<p>{}</p>\n</div>\n",
            text.done_title,
            text.done.replace("{date}", &ctx.date(date))
        );
        return page(&ctx, text.done_title, &body);
    }
    match latest(&ctx).await {
        Ok(latest) => form_page(&ctx, StatusCode::OK, latest, "", None),
        Err(error) => {
            tracing::error!(%error, "the promise form could not be read");
            unavailable_page()
        }
    }
}

/// `POST /p/{token}/promise`.
pub async fn submit(ctx: PortalCtx, body: Bytes) -> Response {
    let text = &t(ctx.lang).promise;
    let fields = form_fields(&body).unwrap_or_default();
    if let Err(refused) = check_csrf(&ctx, field(&fields, CSRF_FIELD).unwrap_or("")) {
        return refused;
    }
    let latest = match latest(&ctx).await {
        Ok(latest) => latest,
        Err(error) => {
            tracing::error!(%error, "the promise limit could not be read");
            return unavailable_page();
        }
    };
    let value = field(&fields, "date").unwrap_or("").trim();
    let invalid = |message: &str| {
        form_page(
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            latest,
            value,
            Some(message),
        )
    };
    let Ok(date) = NaiveDate::parse_from_str(value, "%Y-%m-%d") else {
        return invalid(text.not_a_date);
    };
    if date < ctx.today {
        return invalid(text.past);
    }
    if date > latest {
        return invalid(&text.too_far.replace("{date}", &ctx.date(latest)));
    }
    let debts = promisable(&ctx);
    let Some(debts) = chosen(&debts, field(&fields, "debt")) else {
        return invalid(t(ctx.lang).common.choose_debt);
    };
    let origin = ctx.origin();
    let mut made = 0;
    for debt in debts {
        let new = NewPromise {
            amount: debt.balance,
            due_on: date,
            channel: None,
        };
        match ctx
            .ts
            .create_promise_from(debt.id, new, &origin, ctx.now, ctx.today)
            .await
        {
            Ok(_) => made += 1,
            // Paid, disputed or with a zero balance since the page was read: not promised.
            Err(StoreError::Rule(_)) => {}
            Err(error) => {
                tracing::error!(%error, "a portal promise could not be stored");
                return unavailable_page();
            }
        }
    }
    if made == 0 {
        return invalid(text.refused);
    }
    tracing::info!(debtor = %ctx.debtor.id, made, "promise made in the portal");
    see_other(&format!("{}&done={date}", ctx.href("/promise")))
}
