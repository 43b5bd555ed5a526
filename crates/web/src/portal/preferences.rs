//! `GET/POST /p/{token}/preferences`: how and when the debtor accepts contact: the channels
//! they have points for (unchecked → opted out, source `portal`; checked → consent granted),
//! the preferred channel, allowed weekdays, hours, language and paperless. Saved into
//! `Debtor.preferences` (the planner honours them from its next run) with
//! `preferences_changed` on the timeline.

use axum::body::Bytes;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{NaiveTime, Weekday};
use serde::Deserialize;

use recaudo_domain::event::{EventKind, NewEvent};
use recaudo_domain::portfolio::{
    Channel, Consent, ConsentStatus, ContactPoint, HourWindow, Language, Preferences, WeekdayName,
};

use super::context::PortalCtx;
use super::layout::{field_error, form_start, page, page_status, unavailable_page};
use super::optout::channel_name;
use super::security::{CSRF_FIELD, check_csrf, field, fields, form_fields, see_other};
use super::text::t;

const WEEKDAYS: [(Weekday, &str); 7] = [
    (Weekday::Mon, "mon"),
    (Weekday::Tue, "tue"),
    (Weekday::Wed, "wed"),
    (Weekday::Thu, "thu"),
    (Weekday::Fri, "fri"),
    (Weekday::Sat, "sat"),
    (Weekday::Sun, "sun"),
];

#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// Channels the debtor has points for that are not opted out, in the product's order.
fn channels(points: &[ContactPoint]) -> Vec<Channel> {
    Channel::ALL
        .iter()
        .copied()
        .filter(|c| points.iter().any(|p| p.channel == *c && !p.is_opted_out()))
        .collect()
}

fn checked(on: bool) -> &'static str {
    if on { " checked" } else { "" }
}

fn form_page(
    ctx: &PortalCtx,
    status: StatusCode,
    points: &[ContactPoint],
    prefs: &Preferences,
    error: Option<&str>,
) -> Response {
    let text = &t(ctx.lang).prefs;
    let mut body = format!("<h1>{}</h1>\n<p>{}</p>\n", text.title, text.intro);
    body.push_str(&error.map(|e| field_error("error", e)).unwrap_or_default());
    body.push_str(&form_start(ctx, "/preferences"));
    let available = channels(points);
    if !available.is_empty() {
        body.push_str(&format!("<fieldset>\n<legend>{}</legend>\n", text.channels));
        for channel in &available {
            body.push_str(&format!(
                "<div class=\"choice\"><input type=\"checkbox\" name=\"channel\" \
                 id=\"pref-channel-{c}\" value=\"{c}\" checked><label for=\"pref-channel-{c}\">{}</label></div>\n",
                channel_name(ctx, *channel),
                c = channel.as_str(),
            ));
        }
        body.push_str("</fieldset>\n");
        let mut options = format!("<option value=\"\">{}</option>\n", text.no_preference);
        for channel in &available {
            options.push_str(&format!(
                "<option value=\"{c}\"{}>{}</option>\n",
                if prefs.preferred_channel == Some(*channel) {
                    " selected"
                } else {
                    ""
                },
                channel_name(ctx, *channel),
                c = channel.as_str(),
            ));
        }
        body.push_str(&format!(
            "<div class=\"field\">\n<label for=\"pref-preferred\">{}</label>\n\
             <select id=\"pref-preferred\" name=\"preferred\">\n{options}</select>\n</div>\n",
            text.preferred
        ));
    }
    body.push_str(&format!("<fieldset>\n<legend>{}</legend>\n", text.weekdays));
    for (i, (day, code)) in WEEKDAYS.iter().enumerate() {
        let on =
            prefs.allowed_weekdays.is_empty() || prefs.allowed_weekdays.iter().any(|d| d.0 == *day);
        body.push_str(&format!(
            "<div class=\"choice\"><input type=\"checkbox\" name=\"weekday\" id=\"pref-day-{code}\" \
             value=\"{code}\"{}><label for=\"pref-day-{code}\">{}</label></div>\n",
            checked(on),
            text.weekday_names[i],
        ));
    }
    body.push_str("</fieldset>\n");
    let (from, to) = match prefs.allowed_hours {
        Some(w) => (
            w.from.format("%H:%M").to_string(),
            w.to.format("%H:%M").to_string(),
        ),
        None => (String::new(), String::new()),
    };
    let described = if error.is_some() {
        " aria-describedby=\"error\""
    } else {
        ""
    };
    body.push_str(&format!(
        "<fieldset>\n<legend>{}</legend>\n<div class=\"field\"><label for=\"pref-from\">{}</label>\
         <input type=\"time\" id=\"pref-from\" name=\"from\" value=\"{from}\"{described}></div>\n\
         <div class=\"field\"><label for=\"pref-to\">{}</label>\
         <input type=\"time\" id=\"pref-to\" name=\"to\" value=\"{to}\"{described}></div>\n</fieldset>\n",
        text.hours, text.from, text.to
    ));
    let current = prefs.language.unwrap_or(ctx.debtor.language);
    let mut languages = String::new();
    for (lang, label) in [
        (Language::Es, "Español"),
        (Language::Pt, "Português"),
        (Language::En, "English"),
    ] {
        languages.push_str(&format!(
            "<option value=\"{}\" lang=\"{}\"{}>{label}</option>\n",
            lang.as_str(),
            lang.as_str(),
            if lang == current { " selected" } else { "" }
        ));
    }
    body.push_str(&format!(
        "<div class=\"field\">\n<label for=\"pref-language\">{}</label>\n\
         <select id=\"pref-language\" name=\"language\">\n{languages}</select>\n</div>\n\
         <div class=\"choice\"><input type=\"checkbox\" name=\"paperless\" id=\"pref-paperless\" \
         value=\"1\"{}><label for=\"pref-paperless\">{}</label></div>\n\
         <button type=\"submit\">{}</button>\n</form>\n",
        text.language,
        checked(prefs.paperless),
        text.paperless,
        text.submit
    ));
    page_status(ctx, status, text.title, &body)
}

/// `GET /p/{token}/preferences`: the form with the current choices, or the confirmation.
pub async fn form(ctx: PortalCtx, Query(done): Query<Done>) -> Response {
    let text = &t(ctx.lang).prefs;
    if done.done.is_some() {
        let body = format!(
            "<div id=\"confirmation\" role=\"status\">\n<h1>{}</h1>\n<p>{}</p>\n</div>\n",
            text.done_title, text.done
        );
        return page(&ctx, text.done_title, &body);
    }
    match ctx.ts.list_contact_points(ctx.debtor.id).await {
        Ok(points) => form_page(&ctx, StatusCode::OK, &points, &ctx.debtor.preferences, None),
        Err(error) => {
            tracing::error!(%error, "the preferences form could not be read");
            unavailable_page()
        }
    }
}

/// An hour `HH:MM` read; empty is none.
fn time(value: Option<&str>) -> Result<Option<NaiveTime>, ()> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => NaiveTime::parse_from_str(v, "%H:%M")
            .or_else(|_| NaiveTime::parse_from_str(v, "%H:%M:%S"))
            .map(Some)
            .map_err(|_| ()),
    }
}

/// `POST /p/{token}/preferences`.
pub async fn submit(ctx: PortalCtx, body: Bytes) -> Response {
    let text = &t(ctx.lang).prefs;
    let form = form_fields(&body).unwrap_or_default();
    if let Err(refused) = check_csrf(&ctx, field(&form, CSRF_FIELD).unwrap_or("")) {
        return refused;
    }
    let points = match ctx.ts.list_contact_points(ctx.debtor.id).await {
        Ok(points) => points,
        Err(error) => {
            tracing::error!(%error, "the preferences form could not be read");
            return unavailable_page();
        }
    };
    let available = channels(&points);
    let before = ctx.debtor.preferences.clone();
    let invalid = |message: &str| {
        form_page(
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            &points,
            &before,
            Some(message),
        )
    };
    let mut kept = Vec::new();
    for value in fields(&form, "channel") {
        match value.parse::<Channel>() {
            Ok(channel) if available.contains(&channel) => kept.push(channel),
            _ => return invalid(text.bad_channel),
        }
    }
    let preferred = match field(&form, "preferred").map(str::trim) {
        None | Some("") => None,
        Some(value) => match value.parse::<Channel>() {
            Ok(channel) if kept.contains(&channel) => Some(channel),
            _ => return invalid(text.bad_channel),
        },
    };
    let mut weekdays = Vec::new();
    for value in fields(&form, "weekday") {
        match WEEKDAYS.iter().find(|(_, code)| *code == value) {
            Some((day, _)) => weekdays.push(WeekdayName(*day)),
            None => return invalid(t(ctx.lang).common.bad_form),
        }
    }
    // Every day (or none ticked) is no restriction of the debtor's own.
    if weekdays.len() == WEEKDAYS.len() {
        weekdays.clear();
    }
    let hours = match (time(field(&form, "from")), time(field(&form, "to"))) {
        (Ok(None), Ok(None)) => None,
        (Ok(Some(from)), Ok(Some(to))) if from < to => Some(HourWindow { from, to }),
        _ => return invalid(text.bad_hours),
    };
    let language = match field(&form, "language").map(|l| l.parse::<Language>()) {
        None => None,
        Some(Ok(lang)) => Some(lang),
        Some(Err(_)) => return invalid(t(ctx.lang).common.bad_form),
    };
    let after = Preferences {
        allowed_weekdays: weekdays,
        allowed_hours: hours,
        preferred_channel: preferred,
        language: language.or(before.language),
        paperless: field(&form, "paperless").is_some(),
    };
    let mut debtor = ctx.debtor.clone();
    debtor.preferences = after.clone();
    if let Some(lang) = language {
        debtor.language = lang;
    }
    if let Err(error) = ctx.ts.update_debtor(&debtor, ctx.now).await {
        tracing::error!(%error, "portal preferences could not be saved");
        return unavailable_page();
    }
    // Channels left unticked are opted out; ticked ones without consent are granted.
    let origin = ctx.origin();
    let dropped: Vec<_> = points
        .iter()
        .filter(|p| !p.is_opted_out() && !kept.contains(&p.channel))
        .map(|p| p.id)
        .collect();
    if let Err(error) = ctx
        .ts
        .opt_out_points(ctx.debtor.id, &dropped, "portal", &origin, ctx.now)
        .await
    {
        tracing::error!(%error, "a portal opt-out could not be stored");
        return unavailable_page();
    }
    for point in points.iter().filter(|p| {
        kept.contains(&p.channel) && !p.is_opted_out() && p.consent.status != ConsentStatus::Granted
    }) {
        let consent = Consent {
            status: ConsentStatus::Granted,
            source: Some("portal".into()),
            at: Some(ctx.now),
        };
        if let Err(error) = ctx.ts.set_consent(point.id, consent, ctx.now).await {
            tracing::error!(%error, "a portal consent could not be stored");
            return unavailable_page();
        }
    }
    let event = NewEvent {
        debtor_id: ctx.debtor.id,
        debt_id: None,
        kind: EventKind::PreferencesChanged,
        at: ctx.now,
        recorded_at: ctx.now,
        data: serde_json::json!({
            "source": "portal",
            "contact_id": ctx.contact_id(),
            "link": ctx.link_kind(),
            "before": before,
            "after": after,
            "opted_out": dropped,
        }),
    };
    if let Err(error) = ctx.ts.append_event(event).await {
        tracing::error!(%error, "preferences_changed could not be recorded");
    }
    see_other(&format!("{}&done=1", ctx.href("/preferences")))
}
