//! `GET/POST /p/{token}/opt-out`: the debtor stops messages per channel or on all of them:
//! consent `opted_out` with source `portal` on each of their points of those channels (the
//! planner and dispatcher refuse opted-out points from then on), then a confirmation.

use axum::body::Bytes;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use recaudo_domain::portfolio::{Channel, ContactPoint};

use super::context::PortalCtx;
use super::layout::{escape, field_error, form_start, page, page_status, unavailable_page};
use super::security::{CSRF_FIELD, check_csrf, field, fields, form_fields, see_other};
use super::text::t;

#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// The channel's name in the page's language.
pub fn channel_name(ctx: &PortalCtx, channel: Channel) -> &'static str {
    let names = &t(ctx.lang).prefs.channel_names;
    let index = Channel::ALL.iter().position(|c| *c == channel).unwrap_or(0);
    names.get(index).copied().unwrap_or("")
}

/// The channels of the debtor's points still reachable by consent, in the product's order.
fn open_channels(points: &[ContactPoint]) -> Vec<Channel> {
    Channel::ALL
        .iter()
        .copied()
        .filter(|c| points.iter().any(|p| p.channel == *c && !p.is_opted_out()))
        .collect()
}

fn form_page(
    ctx: &PortalCtx,
    status: StatusCode,
    points: &[ContactPoint],
    error: Option<&str>,
) -> Response {
    let text = &t(ctx.lang).optout;
    let mut body = format!(
        "<h1>{}</h1>\n<p>{}</p>\n",
        text.title,
        escape(&text.intro.replace("{tenant}", ctx.tenant_name()))
    );
    let channels = open_channels(points);
    if channels.is_empty() {
        body.push_str(&format!("<p>{}</p>\n", text.nothing_left));
        return page_status(ctx, status, text.title, &body);
    }
    body.push_str(&form_start(ctx, "/opt-out"));
    let described = if error.is_some() {
        " aria-describedby=\"error\""
    } else {
        ""
    };
    body.push_str(&format!(
        "<fieldset{described}>\n<legend>{}</legend>\n",
        text.title
    ));
    body.push_str(&error.map(|e| field_error("error", e)).unwrap_or_default());
    for channel in &channels {
        body.push_str(&format!(
            "<div class=\"choice\"><input type=\"checkbox\" name=\"channel\" \
             id=\"optout-{c}\" value=\"{c}\"><label for=\"optout-{c}\">{}</label></div>\n",
            channel_name(ctx, *channel),
            c = channel.as_str(),
        ));
    }
    body.push_str(&format!(
        "<div class=\"choice\"><input type=\"checkbox\" name=\"channel\" id=\"optout-all\" \
         value=\"all\"><label for=\"optout-all\">{}</label></div>\n</fieldset>\n\
         <button type=\"submit\">{}</button>\n</form>\n",
        text.all, text.submit
    ));
    page_status(ctx, status, text.title, &body)
}

/// `GET /p/{token}/opt-out`: the form, or (after a post) the confirmation.
pub async fn form(ctx: PortalCtx, Query(done): Query<Done>) -> Response {
    let text = &t(ctx.lang).optout;
    if done.done.is_some() {
        let body = format!(
            "<div id=\"confirmation\" role=\"status\">\n<h1>{}</h1>\n<p>{}</p>\n</div>\n",
            text.done_title, text.done
        );
        return page(&ctx, text.done_title, &body);
    }
    match ctx.ts.list_contact_points(ctx.debtor.id).await {
        Ok(points) => form_page(&ctx, StatusCode::OK, &points, None),
        Err(error) => {
            tracing::error!(%error, "the opt-out form could not be read");
            unavailable_page()
        }
    }
}

/// `POST /p/{token}/opt-out`.
pub async fn submit(ctx: PortalCtx, body: Bytes) -> Response {
    let text = &t(ctx.lang).optout;
    let form = form_fields(&body).unwrap_or_default();
    if let Err(refused) = check_csrf(&ctx, field(&form, CSRF_FIELD).unwrap_or("")) {
        return refused;
    }
    let points = match ctx.ts.list_contact_points(ctx.debtor.id).await {
        Ok(points) => points,
        Err(error) => {
            tracing::error!(%error, "the opt-out form could not be read");
            return unavailable_page();
        }
    };
    let asked = fields(&form, "channel");
    let all = asked.contains(&"all");
    let mut channels = Vec::new();
    for value in asked.iter().filter(|v| **v != "all") {
        match value.parse::<Channel>() {
            Ok(channel) => channels.push(channel),
            Err(_) => {
                return form_page(
                    &ctx,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &points,
                    Some(t(ctx.lang).prefs.bad_channel),
                );
            }
        }
    }
    if !all && channels.is_empty() {
        return form_page(
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            &points,
            Some(text.none_chosen),
        );
    }
    let chosen: Vec<_> = points
        .iter()
        .filter(|p| all || channels.contains(&p.channel))
        .map(|p| p.id)
        .collect();
    match ctx
        .ts
        .opt_out_points(ctx.debtor.id, &chosen, "portal", &ctx.origin(), ctx.now)
        .await
    {
        Ok(changed) => {
            tracing::info!(debtor = %ctx.debtor.id, points = changed.len(), "opted out in the portal");
            see_other(&format!("{}&done=1", ctx.href("/opt-out")))
        }
        Err(error) => {
            tracing::error!(%error, "a portal opt-out could not be stored");
            unavailable_page()
        }
    }
}
