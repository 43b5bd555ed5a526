//! The portal's page frame: the tenant's header (name, logo, colour), the language switcher,
//! the support line, the security headers; the neutral pages (not found, try later, too many
//! requests) that show no data; and the static style sheet.
//!
//! Pages have no script and no inline style (the CSP forbids both): the style sheet is
//! `/p/assets/portal.css`, the tenant's colour `/p/assets/theme/{rrggbb}.css`.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use recaudo_domain::portfolio::Language;

use super::context::PortalCtx;
use super::security::{self, CSRF_FIELD};
use super::text::t;

/// The colour of the header and buttons when the tenant chose none.
pub const DEFAULT_COLOUR: &str = "#1d4e89";

/// The portal's style sheet.
const CSS: &str = include_str!("portal.css");

/// Text made safe for HTML (element content and quoted attributes).
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The HTML document around `header` and `body` (HTML already escaped).
fn document(lang: &str, title: &str, theme: &str, header: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex, nofollow\">\n<title>{title}</title>\n\
         <link rel=\"stylesheet\" href=\"/p/assets/portal.css\">\n\
         <link rel=\"stylesheet\" href=\"/p/assets/theme/{theme}.css\">\n</head>\n<body>\n\
         {header}<main id=\"main\">\n{body}</main>\n</body>\n</html>\n",
        theme = theme.trim_start_matches('#'),
    )
}

/// An HTML answer with the portal's security headers, never cached.
fn html(status: StatusCode, html: String) -> Response {
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    security::harden(headers, "no-store");
    response
}

/// A plain page without a tenant's frame (tracking links' pages, neutral pages): readable on a
/// phone, no external assets, never cached, indexed or referred. `title` and `body` are HTML
/// already escaped.
pub(crate) fn html_page(status: StatusCode, lang: &str, title: &str, body: &str) -> Response {
    html(status, document(lang, title, DEFAULT_COLOUR, "", body))
}

/// A link that leads nowhere (forged, expired, revoked, erased): said in the three languages,
/// since whose link it was is unknown or must not show.
pub(crate) fn not_found_page() -> Response {
    html_page(
        StatusCode::NOT_FOUND,
        "es",
        "Enlace no válido · Link inválido · Invalid link",
        "<h1>Enlace no válido · Link inválido · Invalid link</h1>\n\
         <p lang=\"es\">Este enlace no es válido o ya no está disponible.</p>\n\
         <p lang=\"pt\">Este link não é válido ou não está mais disponível.</p>\n\
         <p lang=\"en\">This link is not valid or is no longer available.</p>\n",
    )
}

/// Something failed on our side: try again later, in the three languages.
pub(crate) fn unavailable_page() -> Response {
    html_page(
        StatusCode::SERVICE_UNAVAILABLE,
        "es",
        "Inténtelo más tarde · Tente mais tarde · Please try later",
        "<h1>Inténtelo más tarde · Tente mais tarde · Please try later</h1>\n\
         <p lang=\"es\">No pudimos atender su solicitud. Por favor, inténtelo de nuevo en unos minutos.</p>\n\
         <p lang=\"pt\">Não foi possível atender sua solicitação. Por favor, tente novamente em alguns minutos.</p>\n\
         <p lang=\"en\">We could not handle your request. Please try again in a few minutes.</p>\n",
    )
}

/// Too many requests: 429 with `Retry-After`, in the three languages (it is answered before
/// the link is read).
pub(crate) fn too_many_page(retry_after_secs: i64) -> Response {
    let mut response = html_page(
        StatusCode::TOO_MANY_REQUESTS,
        "es",
        "Demasiadas solicitudes · Muitas solicitações · Too many requests",
        "<h1>Demasiadas solicitudes · Muitas solicitações · Too many requests</h1>\n\
         <p lang=\"es\">Recibimos demasiadas solicitudes. Por favor, espere unos minutos e inténtelo de nuevo.</p>\n\
         <p lang=\"pt\">Recebemos muitas solicitações. Por favor, aguarde alguns minutos e tente novamente.</p>\n\
         <p lang=\"en\">We received too many requests. Please wait a few minutes and try again.</p>\n",
    );
    if let Ok(value) = HeaderValue::from_str(&retry_after_secs.max(1).to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// A refused form post (forged, expired or cross-site): 403 in the page's language.
pub(crate) fn forbidden_page(ctx: &PortalCtx) -> Response {
    let text = &t(ctx.lang).common;
    let body = format!(
        "<h1>{}</h1>\n<p class=\"error\" id=\"error\" role=\"alert\">{}</p>\n<p><a href=\"{}\">{}</a></p>\n",
        text.forbidden_title,
        text.forbidden,
        escape(&ctx.href("")),
        text.back_home
    );
    page_status(ctx, StatusCode::FORBIDDEN, text.forbidden_title, &body)
}

/// A portal page (200) in the tenant's frame. `title` is plain text; `body` is HTML.
pub fn page(ctx: &PortalCtx, title: &str, body: &str) -> Response {
    page_status(ctx, StatusCode::OK, title, body)
}

/// A portal page with another status (422 for a form with errors).
pub fn page_status(ctx: &PortalCtx, status: StatusCode, title: &str, body: &str) -> Response {
    let common = &t(ctx.lang).common;
    let name = escape(ctx.tenant_name());
    let logo = match ctx.settings.logo {
        Some(_) => format!(
            "<img class=\"logo\" src=\"/p/{}/logo\" alt=\"\" width=\"40\" height=\"40\">",
            ctx.token
        ),
        None => String::new(),
    };
    let mut switcher = String::new();
    for (lang, label) in [
        (Language::Es, "Español"),
        (Language::Pt, "Português"),
        (Language::En, "English"),
    ] {
        let href = format!("/p/{}{}?lang={}", ctx.token, ctx.subpath, lang.as_str());
        if lang == ctx.lang {
            switcher.push_str(&format!(
                "<li><a href=\"{}\" lang=\"{}\" aria-current=\"true\">{label}</a></li>",
                escape(&href),
                lang.as_str()
            ));
        } else {
            switcher.push_str(&format!(
                "<li><a href=\"{}\" lang=\"{}\" hreflang=\"{}\">{label}</a></li>",
                escape(&href),
                lang.as_str(),
                lang.as_str()
            ));
        }
    }
    let header = format!(
        "<header class=\"brand\">\n<a class=\"brand-name\" href=\"{home}\">{logo}<span>{name}</span></a>\n\
         <nav aria-label=\"{language}\"><ul class=\"lang\">{switcher}</ul></nav>\n</header>\n",
        home = escape(&ctx.href("")),
        language = common.language,
    );
    let support = match &ctx.settings.support {
        Some(line) => format!(
            "<p class=\"support\">{}: {}</p>\n",
            common.contact,
            escape(line)
        ),
        None => String::new(),
    };
    let body = format!(
        "{body}<footer>\n{support}<p><a href=\"{}\">{}</a></p>\n</footer>\n",
        escape(&ctx.href("")),
        common.home
    );
    let colour = ctx
        .settings
        .colour
        .as_deref()
        .filter(|c| security::parse_colour(c).is_some())
        .unwrap_or(DEFAULT_COLOUR);
    html(
        status,
        document(ctx.locale(), &escape(title), colour, &header, &body),
    )
}

/// `<form method="post" action="…">` for `action_path` (after the token: `/promise`) with the
/// page's language kept and the hidden anti-forgery field; the caller closes the form.
/// `multipart` forms (uploads) pass `enctype` themselves through [`form_start_multipart`].
pub fn form_start(ctx: &PortalCtx, action_path: &str) -> String {
    form_open(ctx, action_path, "")
}

/// [`form_start`] for a form that uploads files (`multipart/form-data`).
pub fn form_start_multipart(ctx: &PortalCtx, action_path: &str) -> String {
    form_open(ctx, action_path, " enctype=\"multipart/form-data\"")
}

fn form_open(ctx: &PortalCtx, action_path: &str, extra: &str) -> String {
    let form = action_path
        .rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or("home");
    format!(
        "<form method=\"post\" action=\"{}\"{extra}>\n\
         <input type=\"hidden\" name=\"{CSRF_FIELD}\" value=\"{}\">\n",
        escape(&ctx.href(action_path)),
        security::csrf_value(ctx, form),
    )
}

/// An error message for a field: `<p class="error" id="{id}">` (inputs point at it with
/// `aria-describedby`).
pub fn field_error(id: &str, message: &str) -> String {
    format!("<p class=\"error\" id=\"{id}\" role=\"alert\">{message}</p>\n")
}

/// `GET /p/assets/portal.css`: the style sheet, cached long.
pub async fn css() -> Response {
    let mut response = CSS.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    security::harden(headers, "public, max-age=86400");
    response
}

/// `GET /p/assets/theme/{rrggbb}.css`: the tenant's colour on the header and buttons, with
/// white or black text, whichever contrasts more (WCAG ≥ 4.5:1).
pub async fn theme(Path(file): Path<String>) -> Response {
    let Some(rgb) = file
        .strip_suffix(".css")
        .and_then(|hex| security::parse_colour(&format!("#{hex}")))
    else {
        return not_found_page();
    };
    let hex = format!("#{:02x}{:02x}{:02x}", rgb[0], rgb[1], rgb[2]);
    let css = format!(
        ":root {{ --brand: {hex}; --on-brand: {}; }}\n",
        security::text_on(rgb)
    );
    let mut response = css.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    security::harden(headers, "public, max-age=31536000, immutable");
    response
}

/// `GET /p/{token}/logo`: the tenant's logo, or the neutral 404.
pub async fn logo(ctx: PortalCtx) -> Response {
    let Some((bytes, kind)) = ctx.settings.logo.clone() else {
        return not_found_page();
    };
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    security::harden(headers, "private, max-age=3600");
    response
}
