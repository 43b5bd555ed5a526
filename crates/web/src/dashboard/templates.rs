//! The template editor: every (template, channel, language) of the catalogue with the tenant's
//! own text where it has one, and an editor per text with a live preview rendered by the same
//! code as `POST /api/v1/templates/{name}/{channel}/{language}/preview` (checked, then rendered
//! for a sample debtor or one of the tenant's debts). Saving, or going back to the default, is
//! for admins; a text the API would refuse cannot be saved.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use recaudo_channels::Content;
use recaudo_channels::message::SmsEncoding;
use recaudo_domain::portfolio::{Channel, Language};

use super::layout::{self, Nav, csv_response, escape, form_start, page};
use super::session::{Operator, Role};
use super::strategies::in_language;
use crate::AppState;
use crate::api::templates::{
    PreviewRequest, Refusal, TemplateText, TemplateView, in_catalogue, list_views, preview, save,
};
use crate::portal::security::{field, form_fields, see_other};

fn language_name(op: &Operator, language: Language) -> &'static str {
    match language {
        Language::Es => op.t("Spanish", "Español", "Espanhol"),
        Language::Pt => op.t("Portuguese", "Portugués", "Português"),
        Language::En => op.t("English", "Inglés", "Inglês"),
    }
}

fn channel_name(op: &Operator, channel: Channel) -> &'static str {
    match channel {
        Channel::Email => op.t("Email", "Correo", "E-mail"),
        Channel::Sms => "SMS",
        Channel::Whatsapp => "WhatsApp",
        Channel::Voice => op.t("Voice", "Voz", "Voz"),
        Channel::Letter => op.t("Letter", "Carta", "Carta"),
    }
}

fn editor_path(name: &str, channel: Channel, language: Language) -> String {
    format!(
        "/app/templates/{}/{}/{}",
        super::strategies::path_segment(name),
        channel.as_str(),
        language.as_str()
    )
}

/// A failure as the 500 page (logged with its cause).
fn failure(op: &Operator, error: &dyn std::fmt::Display) -> Response {
    layout::failure(op, error)
}

/// A problem's detail, for the log.
fn detail(problem: &crate::problem::Problem) -> String {
    problem
        .detail
        .clone()
        .unwrap_or_else(|| problem.title.clone())
}

/// The views listed, with the `?language=` filter applied.
fn filtered(views: Vec<TemplateView>, query: &HashMap<String, String>) -> Vec<TemplateView> {
    let language = query
        .get("language")
        .and_then(|l| l.parse::<Language>().ok());
    views
        .into_iter()
        .filter(|v| language.is_none_or(|l| v.language == l))
        .collect()
}

/// `GET /app/templates`: every (template, channel, language), `?language=` to narrow.
pub async fn list(op: Operator, Query(query): Query<HashMap<String, String>>) -> Response {
    let views = match list_views(&op.tenant).await {
        Ok(views) => filtered(views, &query),
        Err(problem) => return failure(&op, &detail(&problem)),
    };
    let chosen = query.get("language").map(String::as_str).unwrap_or("");
    let mut body = format!(
        "<div class=\"editor-bar\"><a class=\"editor-button secondary\" \
         href=\"/app/templates.csv{}\" download>{}</a></div><nav class=\"editor-tabs\" aria-label=\"{}\">",
        if chosen.is_empty() {
            String::new()
        } else {
            format!("?language={}", escape(chosen))
        },
        op.t("Export CSV", "Exportar CSV", "Exportar CSV"),
        op.t("Language", "Idioma", "Idioma"),
    );
    body.push_str(&format!(
        "<a href=\"/app/templates\"{}>{}</a>",
        if chosen.is_empty() {
            " aria-current=\"page\""
        } else {
            ""
        },
        op.t("All", "Todos", "Todos")
    ));
    for language in [Language::Es, Language::Pt, Language::En] {
        body.push_str(&format!(
            "<a href=\"/app/templates?language={}\"{}>{}</a>",
            language.as_str(),
            if chosen == language.as_str() {
                " aria-current=\"page\""
            } else {
                ""
            },
            language_name(&op, language)
        ));
    }
    body.push_str(&format!(
        "</nav><table class=\"editor-table\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th>\
         <th class=\"editor-num\">{}</th></tr></thead><tbody>",
        op.t("Template", "Plantilla", "Modelo"),
        op.t("Channel", "Canal", "Canal"),
        op.t("Language", "Idioma", "Idioma"),
        op.t("Text", "Texto", "Texto"),
        op.t("Version", "Versión", "Versão"),
    ));
    for v in &views {
        body.push_str(&format!(
            "<tr><td><a href=\"{}\"><code>{}</code></a></td><td>{}</td><td>{}</td><td>{}</td>\
             <td class=\"editor-num\">{}</td></tr>",
            escape(&editor_path(&v.name, v.channel, v.language)),
            escape(&v.name),
            channel_name(&op, v.channel),
            language_name(&op, v.language),
            if v.overridden {
                op.t("the tenant's", "propio", "próprio")
            } else {
                op.t("default", "predeterminado", "padrão")
            },
            v.version.map(|n| n.to_string()).unwrap_or_default(),
        ));
    }
    body.push_str("</tbody></table>");
    page(
        &op,
        Nav::Templates,
        op.t("Templates", "Plantillas", "Modelos"),
        &body,
    )
}

/// `GET /app/templates.csv`: the list as CSV (with the text in force).
pub async fn list_csv(op: Operator, Query(query): Query<HashMap<String, String>>) -> Response {
    let views = match list_views(&op.tenant).await {
        Ok(views) => filtered(views, &query),
        Err(problem) => return failure(&op, &detail(&problem)),
    };
    let rows = views
        .into_iter()
        .map(|v| {
            let text = v.tenant_text.as_ref().unwrap_or(&v.default);
            vec![
                v.name.clone(),
                v.channel.as_str().to_string(),
                v.language.as_str().to_string(),
                if v.overridden { "tenant" } else { "default" }.to_string(),
                v.version.map(|n| n.to_string()).unwrap_or_default(),
                v.updated_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                text.subject.clone().unwrap_or_default(),
                text.body.clone(),
            ]
        })
        .collect();
    csv_response(
        "templates.csv",
        &[
            "name",
            "channel",
            "language",
            "source",
            "version",
            "updated_at",
            "subject",
            "body",
        ],
        rows,
    )
}

/// What the editor shows.
struct Editor<'a> {
    name: &'a str,
    channel: Channel,
    language: Language,
    views: &'a [TemplateView],
    text: TemplateText,
    debt: &'a str,
    /// The saved note, or the refusal of a save.
    notice: Notice,
    preview_html: String,
}

enum Notice {
    None,
    Saved,
    Reset,
    Refused(Refusal),
}

/// The text of a form: `subject` for email and letters (a letter's empty subject is the
/// default's), `html` for email when given.
fn text_of(fields: &[(String, String)], channel: Channel) -> TemplateText {
    let get = |name: &str| field(fields, name).map(|v| v.replace("\r\n", "\n"));
    let subject = match channel {
        Channel::Email => Some(get("subject").unwrap_or_default()),
        Channel::Letter => get("subject").filter(|s| !s.trim().is_empty()),
        _ => None,
    };
    let html = match channel {
        Channel::Email => get("html").filter(|s| !s.trim().is_empty()),
        _ => None,
    };
    TemplateText {
        subject,
        body: get("body").unwrap_or_default(),
        html,
    }
}

/// `http(s)://host` for the preview's links: the installation's public URL, else the request's.
fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.public_url {
        return url.trim_end_matches('/').to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| !h.is_empty())
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// `GET /app/templates/{name}/{channel}/{language}`.
pub async fn edit(
    op: Operator,
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((name, channel, language)): Path<(String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Ok((channel, language)) = in_catalogue(&name, &channel, &language) else {
        return layout::not_found(&op);
    };
    let views = match list_views(&op.tenant).await {
        Ok(views) => views,
        Err(problem) => return failure(&op, &detail(&problem)),
    };
    let Some(view) = views
        .iter()
        .find(|v| v.name == name && v.channel == channel && v.language == language)
    else {
        return layout::not_found(&op);
    };
    let text = view
        .tenant_text
        .clone()
        .unwrap_or_else(|| view.default.clone());
    let notice = match query.get("saved").map(String::as_str) {
        Some("reset") => Notice::Reset,
        Some(_) => Notice::Saved,
        None => Notice::None,
    };
    let preview_html = preview_fragment(
        &op,
        &state,
        &headers,
        (&name, channel, language),
        text.clone(),
        "",
    )
    .await;
    render(
        &op,
        Editor {
            name: &name,
            channel,
            language,
            views: &views,
            text,
            debt: "",
            notice,
            preview_html,
        },
    )
}

/// `POST /app/templates/{name}/{channel}/{language}`: `action` = `save` (the form's text) or
/// `reset` (back to the default); admins only.
pub async fn post(
    op: Operator,
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((name, channel, language)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let fields = form_fields(&body).unwrap_or_default();
    if let Err(refused) = op.check_form(&fields, Role::Admin) {
        return refused;
    }
    let Ok((channel, language)) = in_catalogue(&name, &channel, &language) else {
        return layout::not_found(&op);
    };
    let now = state.clock.now();
    let here = editor_path(&name, channel, language);
    let text = text_of(&fields, channel);
    let debt = field(&fields, "debt").unwrap_or("").trim().to_string();
    let refusal = if field(&fields, "action") == Some("reset") {
        match op
            .tenant
            .delete_message_template(&name, channel.as_str(), language.as_str())
            .await
        {
            Ok(_) => return see_other(&in_language(&op, &format!("{here}?saved=reset"))),
            Err(error) => return failure(&op, &error),
        }
    } else {
        match save(
            &op.tenant,
            text.clone().into_override(&name, channel, language),
            now,
        )
        .await
        {
            Ok(_) => return see_other(&in_language(&op, &format!("{here}?saved=1"))),
            Err(refusal) => refusal,
        }
    };
    if refusal.problem().status_code() != StatusCode::UNPROCESSABLE_ENTITY {
        return failure(&op, &detail(refusal.problem()));
    }
    let views = match list_views(&op.tenant).await {
        Ok(views) => views,
        Err(problem) => return failure(&op, &detail(&problem)),
    };
    let preview_html = preview_fragment(
        &op,
        &state,
        &headers,
        (&name, channel, language),
        text.clone(),
        &debt,
    )
    .await;
    render(
        &op,
        Editor {
            name: &name,
            channel,
            language,
            views: &views,
            text,
            debt: &debt,
            notice: Notice::Refused(refusal),
            preview_html,
        },
    )
}

/// `POST /app/templates/{name}/{channel}/{language}/preview`: the preview fragment of the
/// form's text (htmx swaps it in as the operator types). Read-only: any role, with the form's
/// anti-forgery field. A text that cannot be rendered answers 200 with the error in the
/// fragment, so that it shows where the preview was.
pub async fn preview_post(
    op: Operator,
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((name, channel, language)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let fields = form_fields(&body).unwrap_or_default();
    if let Err(refused) = op.check_form(&fields, Role::Viewer) {
        return refused;
    }
    let Ok((channel, language)) = in_catalogue(&name, &channel, &language) else {
        return layout::not_found(&op);
    };
    let text = text_of(&fields, channel);
    let debt = field(&fields, "debt").unwrap_or("").trim().to_string();
    let html = preview_fragment(
        &op,
        &state,
        &headers,
        (&name, channel, language),
        text,
        &debt,
    )
    .await;
    let mut response = html.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The preview of `text` for the sample debtor, or the tenant's debt `debt` (external id).
async fn preview_fragment(
    op: &Operator,
    state: &AppState,
    headers: &HeaderMap,
    (name, channel, language): (&str, Channel, Language),
    text: TemplateText,
    debt: &str,
) -> String {
    let base = base_url(state, headers);
    let result = preview(
        &op.tenant,
        PreviewRequest {
            name,
            channel,
            language,
            draft: Some(text),
            debt: (!debt.is_empty()).then_some(debt),
            base_url: &base,
            now: state.clock.now(),
        },
    )
    .await;
    match result {
        Ok(found) => content_html(op, &found.content, found.debt.as_deref()),
        Err(refusal) => format!(
            "<div class=\"editor-note editor-bad\" role=\"alert\">{}</div>",
            refusal_html(op, &refusal)
        ),
    }
}

/// A refusal for the operator: the field, its line and column, and what is wrong.
fn refusal_html(op: &Operator, refusal: &Refusal) -> String {
    let problem = refusal.problem();
    let mut out = String::new();
    if let Some(field) = &problem.field {
        out.push_str(&format!(
            "<strong>{}</strong>",
            escape(&field_name(op, field))
        ));
    }
    if let Some((line, column)) = refusal.position() {
        out.push_str(&format!(
            " — <strong class=\"editor-line\">{} {line}</strong>, {} {column}",
            op.t("line", "línea", "linha"),
            op.t("column", "columna", "coluna"),
        ));
    }
    out.push_str(&format!(
        ": {}",
        escape(problem.detail.as_deref().unwrap_or(&problem.title))
    ));
    out
}

fn field_name(op: &Operator, field: &str) -> String {
    match field {
        "subject" => op.t("Subject", "Asunto", "Assunto").to_string(),
        "body" => op.t("Body", "Cuerpo", "Corpo").to_string(),
        "html" => "HTML".to_string(),
        "debt" => op.t("Debt", "Deuda", "Dívida").to_string(),
        other => other.to_string(),
    }
}

/// The rendered message as the debtor would read or hear it.
fn content_html(op: &Operator, content: &Content, debt: Option<&str>) -> String {
    let mut out = format!(
        "<p class=\"editor-for\">{}</p>",
        match debt {
            Some(debt) => format!(
                "{} <code>{}</code>",
                op.t("For debt", "Para la deuda", "Para a dívida"),
                escape(debt)
            ),
            None => op
                .t(
                    "For a sample debtor",
                    "Para un deudor de ejemplo",
                    "Para um devedor de exemplo"
                )
                .to_string(),
        }
    );
    match content {
        Content::Email(email) => {
            out.push_str(&format!(
                "<p class=\"editor-preview-subject\"><strong>{}:</strong> {}</p><pre class=\"editor-preview-body\">{}</pre>",
                op.t("Subject", "Asunto", "Assunto"),
                escape(&email.subject),
                escape(&email.text)
            ));
        }
        Content::Sms(sms) => {
            out.push_str(&format!(
                "<pre class=\"editor-preview-body\">{}</pre><p class=\"editor-preview-meta\">{} · {} {}</p>",
                escape(&sms.body),
                match sms.encoding {
                    SmsEncoding::Gsm7 => "GSM-7",
                    SmsEncoding::Ucs2 => "UCS-2",
                },
                sms.segments,
                op.t("segment(s)", "segmento(s)", "segmento(s)")
            ));
        }
        Content::Whatsapp(wa) => {
            out.push_str(&format!(
                "<pre class=\"editor-preview-body\">{}</pre><p class=\"editor-preview-meta\">{} <code>{}</code> \
                 ({})</p>",
                escape(&wa.preview),
                op.t("WhatsApp template", "Plantilla de WhatsApp", "Modelo do WhatsApp"),
                escape(&wa.template),
                escape(&wa.language_code)
            ));
        }
        Content::Voice(voice) => {
            out.push_str(&format!(
                "<pre class=\"editor-preview-body\">{}</pre>",
                escape(&voice.script)
            ));
        }
        Content::Letter(letter) => {
            out.push_str(&format!(
                "<p class=\"editor-preview-subject\"><strong>{}:</strong> {}</p><pre class=\"editor-preview-body\">{}</pre>",
                op.t("Subject", "Asunto", "Assunto"),
                escape(&letter.subject),
                escape(&letter.body)
            ));
        }
    }
    out
}

/// The editor page: 422 when it shows a refused save (the text is kept as typed).
fn render(op: &Operator, editor: Editor<'_>) -> Response {
    let code = if matches!(editor.notice, Notice::Refused(_)) {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let Editor {
        name,
        channel,
        language,
        views,
        text,
        debt,
        notice,
        preview_html,
    } = editor;
    let title = format!(
        "{} {name} · {} · {}",
        op.t("Template", "Plantilla", "Modelo"),
        channel_name(op, channel),
        language_name(op, language)
    );
    let mut body = format!(
        "<p><a href=\"/app/templates\">← {}</a></p>",
        op.t("Templates", "Plantillas", "Modelos"),
    );
    // Tabs: the other channels of this template in this language, and the other languages
    // of this channel.
    body.push_str(&format!(
        "<nav class=\"editor-tabs\" aria-label=\"{}\">",
        op.t("Channels", "Canales", "Canais")
    ));
    for v in views
        .iter()
        .filter(|v| v.name == name && v.language == language)
    {
        body.push_str(&tab(
            &editor_path(name, v.channel, language),
            channel_name(op, v.channel),
            v.channel == channel,
        ));
    }
    body.push_str(&format!(
        "</nav><nav class=\"editor-tabs\" aria-label=\"{}\">",
        op.t("Languages", "Idiomas", "Idiomas")
    ));
    for v in views
        .iter()
        .filter(|v| v.name == name && v.channel == channel)
    {
        body.push_str(&tab(
            &editor_path(name, channel, v.language),
            language_name(op, v.language),
            v.language == language,
        ));
    }
    body.push_str("</nav>");
    let refusal = match notice {
        Notice::Saved => {
            body.push_str(&format!(
                "<p class=\"editor-note editor-ok\" role=\"status\">{}</p>",
                op.t("Saved.", "Guardada.", "Salvo.")
            ));
            None
        }
        Notice::Reset => {
            body.push_str(&format!(
                "<p class=\"editor-note editor-ok\" role=\"status\">{}</p>",
                op.t(
                    "The default text applies again.",
                    "Vuelve a aplicarse el texto predeterminado.",
                    "O texto padrão volta a valer."
                )
            ));
            None
        }
        Notice::Refused(refusal) => {
            body.push_str(&format!(
                "<div class=\"editor-note editor-bad\" role=\"alert\"><p>{}</p><p>{}</p></div>",
                op.t(
                    "The template cannot be saved:",
                    "La plantilla no se puede guardar:",
                    "O modelo não pode ser salvo:"
                ),
                refusal_html(op, &refusal)
            ));
            Some(refusal)
        }
        Notice::None => None,
    };
    let at_fault = refusal
        .as_ref()
        .and_then(|r| r.problem().field.clone())
        .unwrap_or_default();
    let here = editor_path(name, channel, language);
    let preview_route = in_language(op, &format!("{here}/preview"));
    // Each input posts the whole form to the preview route as the operator types.
    let live = format!(
        "hx-post=\"{}\" hx-trigger=\"input changed delay:400ms\" hx-target=\"#preview\" \
         hx-include=\"closest form\" hx-swap=\"innerHTML\"",
        escape(&preview_route)
    );
    body.push_str("<div class=\"editor-split\"><div>");
    body.push_str(&form_start(op, &in_language(op, &here)));
    if let Some(subject) = &text.subject {
        body.push_str(&field_html(
            op,
            "subject",
            op.t("Subject", "Asunto", "Assunto"),
            &format!(
                "<input id=\"subject\" name=\"subject\" type=\"text\" class=\"editor-input\" \
                 value=\"{}\" {live}>",
                escape(subject)
            ),
            &at_fault,
            refusal.as_ref(),
        ));
    } else if channel == Channel::Letter {
        body.push_str(&field_html(
            op,
            "subject",
            op.t("Subject", "Asunto", "Assunto"),
            &format!(
                "<input id=\"subject\" name=\"subject\" type=\"text\" class=\"editor-input\" \
                 value=\"\" {live}>"
            ),
            &at_fault,
            refusal.as_ref(),
        ));
    }
    let rows = text.body.lines().count().clamp(6, 30) + 2;
    body.push_str(&field_html(
        op,
        "body",
        op.t("Body", "Cuerpo", "Corpo"),
        &format!(
            "<textarea id=\"body\" name=\"body\" class=\"editor-text\" rows=\"{rows}\" \
             spellcheck=\"false\" {live}>{}</textarea>",
            escape(&text.body)
        ),
        &at_fault,
        refusal.as_ref(),
    ));
    if channel == Channel::Email {
        body.push_str(&field_html(
            op,
            "html",
            op.t(
                "HTML (optional, instead of the body's paragraphs)",
                "HTML (opcional, en lugar de los párrafos del cuerpo)",
                "HTML (opcional, no lugar dos parágrafos do corpo)",
            ),
            &format!(
                "<textarea id=\"html\" name=\"html\" class=\"editor-text\" rows=\"4\" \
                 spellcheck=\"false\" {live}>{}</textarea>",
                escape(text.html.as_deref().unwrap_or(""))
            ),
            &at_fault,
            refusal.as_ref(),
        ));
    }
    body.push_str(&field_html(
        op,
        "debt",
        op.t(
            "Preview for debt (external id; empty: a sample debtor)",
            "Vista previa para la deuda (id externo; vacío: un deudor de ejemplo)",
            "Prévia para a dívida (id externo; vazio: um devedor de exemplo)",
        ),
        &format!(
            "<input id=\"debt\" name=\"debt\" type=\"text\" class=\"editor-input\" value=\"{}\" \
             {live}>",
            escape(debt)
        ),
        &at_fault,
        refusal.as_ref(),
    ));
    if op.is_admin() {
        body.push_str(&format!(
            "<div class=\"editor-actions\"><button type=\"submit\" name=\"action\" \
             value=\"save\" class=\"editor-button\">{}</button><button type=\"submit\" name=\"action\" value=\"reset\" \
             class=\"editor-button secondary\">{}</button></div>",
            op.t("Save", "Guardar", "Salvar"),
            op.t(
                "Restore the default",
                "Restaurar el predeterminado",
                "Restaurar o padrão"
            )
        ));
    }
    body.push_str("</form></div>");
    body.push_str(&format!(
        "<section class=\"editor-live\" aria-live=\"polite\"><h2>{}</h2><div id=\"preview\">{}</div></section></div>",
        op.t("Preview", "Vista previa", "Prévia"),
        preview_html
    ));
    layout::page_status(op, code, Nav::Templates, &escape(&title), &body)
}

fn tab(href: &str, label: &str, current: bool) -> String {
    format!(
        "<a href=\"{}\"{}>{}</a>",
        escape(href),
        if current {
            " aria-current=\"page\""
        } else {
            ""
        },
        escape(label)
    )
}

/// A labelled input, with the refusal's message under it when it is the field at fault.
fn field_html(
    op: &Operator,
    name: &str,
    label: &str,
    input: &str,
    at_fault: &str,
    refusal: Option<&Refusal>,
) -> String {
    let mut out = format!(
        "<div class=\"editor-field\"><label for=\"{name}\">{}</label>{input}",
        escape(label)
    );
    if at_fault == name
        && let Some(refusal) = refusal
    {
        out.push_str(&format!(
            "<p class=\"editor-field-error\" role=\"alert\">{}</p>",
            refusal_html(op, refusal)
        ));
    }
    out.push_str("</div>");
    out
}
