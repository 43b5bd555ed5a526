//! The dashboard's shell: the document every page is wrapped in (header, navigation, language
//! switcher, sign-out), its security headers, forms with their anti-forgery value, money as the
//! operator reads it, and CSV exports.

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use recaudo_domain::portfolio::Language;
use recaudo_domain::{Currency, Money};
use rust_decimal::Decimal;

use super::session::{CSRF_FIELD, Operator, pick};

pub(crate) use crate::portal::layout::escape;

/// The Content-Security-Policy of every dashboard answer: our own scripts, styles and images,
/// requests to ourselves only; no inline script or style.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                       img-src 'self' data:; connect-src 'self'; form-action 'self'; \
                       frame-ancestors 'none'; base-uri 'none'";

/// The dashboard's sections, in the navigation's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Overview,
    Aging,
    Rolls,
    Funnel,
    Heatmap,
    Experiments,
    Debtors,
    Queue,
    Outbox,
    Strategies,
    Templates,
    Imports,
    Team,
    /// The operator's own account (not in the navigation bar).
    Account,
}

impl Nav {
    const BAR: [Nav; 13] = [
        Nav::Overview,
        Nav::Aging,
        Nav::Rolls,
        Nav::Funnel,
        Nav::Heatmap,
        Nav::Experiments,
        Nav::Debtors,
        Nav::Queue,
        Nav::Outbox,
        Nav::Strategies,
        Nav::Templates,
        Nav::Imports,
        Nav::Team,
    ];

    pub fn path(self) -> &'static str {
        match self {
            Nav::Overview => "/app",
            Nav::Aging => "/app/aging",
            Nav::Rolls => "/app/rolls",
            Nav::Funnel => "/app/funnel",
            Nav::Heatmap => "/app/heatmap",
            Nav::Experiments => "/app/experiments",
            Nav::Debtors => "/app/debtors",
            Nav::Queue => "/app/queue",
            Nav::Outbox => "/app/outbox",
            Nav::Strategies => "/app/strategies",
            Nav::Templates => "/app/templates",
            Nav::Imports => "/app/imports",
            Nav::Team => "/app/team",
            Nav::Account => "/app/account",
        }
    }

    pub fn label(self, lang: Language) -> &'static str {
        let (en, es, pt) = match self {
            Nav::Overview => ("Overview", "Resumen", "Visão geral"),
            Nav::Aging => ("Aging", "Antigüedad", "Aging"),
            Nav::Rolls => ("Roll rates", "Tasas de rodamiento", "Rolagem"),
            Nav::Funnel => ("Channel funnel", "Embudo por canal", "Funil por canal"),
            Nav::Heatmap => ("Best hours", "Mejores horas", "Melhores horários"),
            Nav::Experiments => ("Experiments", "Experimentos", "Experimentos"),
            Nav::Debtors => ("Debtors", "Deudores", "Devedores"),
            Nav::Queue => ("Agent queue", "Cola de agentes", "Fila de agentes"),
            Nav::Outbox => ("Outbox", "Bandeja de salida", "Caixa de saída"),
            Nav::Strategies => ("Strategies", "Estrategias", "Estratégias"),
            Nav::Templates => ("Templates", "Plantillas", "Modelos"),
            Nav::Imports => ("Imports", "Importaciones", "Importações"),
            Nav::Team => ("Team", "Equipo", "Equipe"),
            Nav::Account => ("My account", "Mi cuenta", "Minha conta"),
        };
        pick(lang, en, es, pt)
    }
}

/// Sets the dashboard's security headers; `cache` is how the answer may be cached.
pub fn harden(headers: &mut HeaderMap, cache: &'static str) {
    crate::portal::security::harden(headers, cache);
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    // The dashboard's links carry no secrets, but its pages show personal data: keep them in.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
}

/// An HTML answer with the dashboard's headers, never cached.
pub fn html(status: StatusCode, document: String) -> Response {
    let mut response = (status, document).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    harden(headers, "no-store");
    response
}

/// 303 See Other to a dashboard path.
pub fn redirect(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    harden(response.headers_mut(), "no-store");
    response
}

/// The HTML document: `head_title` and `body` are HTML already escaped.
pub fn document(lang: Language, title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"robots\" content=\"noindex, nofollow\">\n\
         <meta name=\"htmx-config\" content='{{\"includeIndicatorStyles\":false,\"allowEval\":false,\"allowScriptTags\":false}}'>\n\
         <title>{title} · recaudo</title>\n\
         <link rel=\"stylesheet\" href=\"/app/assets/app.css\">\n\
         <script src=\"/app/assets/htmx.min.js\" defer></script>\n\
         <script src=\"/app/assets/chart.umd.min.js\" defer></script>\n\
         <script src=\"/app/assets/app.js\" defer></script>\n\
         </head>\n<body>\n{body}</body>\n</html>\n",
        lang = lang.as_str(),
    )
}

/// A page of the dashboard: the shell around `body` (HTML already escaped), with `active`
/// marked in the navigation.
pub fn page(op: &Operator, active: Nav, title: &str, body: &str) -> Response {
    page_status(op, StatusCode::OK, active, title, body)
}

/// [`page`] with another status (422 for a form to correct).
pub fn page_status(
    op: &Operator,
    status: StatusCode,
    active: Nav,
    title: &str,
    body: &str,
) -> Response {
    let lang = op.language;
    let mut nav = String::new();
    for item in Nav::BAR {
        let current = if item == active {
            " aria-current=\"page\""
        } else {
            ""
        };
        nav.push_str(&format!(
            "<li><a href=\"{}\"{current}>{}</a></li>",
            item.path(),
            item.label(lang)
        ));
    }
    let mut languages = String::new();
    for (code, name) in [("es", "Español"), ("pt", "Português"), ("en", "English")] {
        let current = if code == lang.as_str() {
            " aria-current=\"true\""
        } else {
            ""
        };
        languages.push_str(&format!(
            "<a href=\"/app/language/{code}?back={back}\" lang=\"{code}\"{current}>{name}</a>",
            back = escape(&url_encode(&op.path))
        ));
    }
    let role = match op.role {
        super::session::Role::Admin => op.t("administrator", "administrador", "administrador"),
        super::session::Role::Agent => op.t("agent", "agente", "agente"),
        super::session::Role::Viewer => op.t("viewer", "observador", "observador"),
    };
    let body = format!(
        "<a class=\"skip\" href=\"#main\">{skip}</a>\n\
         <header class=\"top\">\n<a class=\"brand\" href=\"/app\">recaudo</a>\n\
         <span class=\"tenant\">{tenant}</span>\n\
         <nav class=\"langs\" aria-label=\"{langs_label}\">{languages}</nav>\n\
         <span class=\"who\"><a href=\"/app/account\">{name}</a> <span class=\"role\">({role})</span></span>\n\
         {logout}<button type=\"submit\" class=\"link\">{sign_out}</button></form>\n</header>\n\
         <nav class=\"side\" aria-label=\"{nav_label}\"><ul>{nav}</ul></nav>\n\
         <main id=\"main\">\n<h1>{title}</h1>\n{body}</main>\n",
        skip = op.t("Skip to content", "Ir al contenido", "Ir para o conteúdo"),
        tenant = escape(&op.tenant.tenant().name),
        langs_label = op.t("Language", "Idioma", "Idioma"),
        name = escape(&op.name),
        logout = form_start(op, "/app/logout"),
        sign_out = op.t("Sign out", "Cerrar sesión", "Sair"),
        nav_label = op.t("Sections", "Secciones", "Seções"),
    );
    html(status, document(lang, title, &body))
}

/// The 403 page: `message` says why, in the operator's language.
pub fn forbidden(op: &Operator, message: &str) -> Response {
    page_status(
        op,
        StatusCode::FORBIDDEN,
        Nav::Account,
        op.t("Not allowed", "No permitido", "Não permitido"),
        &format!("<p class=\"error\" role=\"alert\">{}</p>", escape(message)),
    )
}

/// The 404 page (unknown, or another tenant's: the same answer).
pub fn not_found(op: &Operator) -> Response {
    page_status(
        op,
        StatusCode::NOT_FOUND,
        Nav::Account,
        op.t("Not found", "No encontrado", "Não encontrado"),
        &format!(
            "<p>{}</p><p><a href=\"/app\">{}</a></p>",
            op.t(
                "We could not find what you asked for.",
                "No encontramos lo que buscaba.",
                "Não encontramos o que você procurava."
            ),
            op.t(
                "Back to the overview",
                "Volver al resumen",
                "Voltar à visão geral"
            )
        ),
    )
}

/// The 500 page for a store failure, logged with its cause.
pub fn failure(op: &Operator, error: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %error, operator = %op.user_id, path = %op.path, "dashboard: a page failed");
    page_status(
        op,
        StatusCode::INTERNAL_SERVER_ERROR,
        Nav::Account,
        op.t("Something went wrong", "Algo salió mal", "Algo deu errado"),
        &format!(
            "<p>{}</p>",
            op.t(
                "The page could not be shown. Please try again in a moment.",
                "No se pudo mostrar la página. Inténtelo de nuevo en un momento.",
                "Não foi possível mostrar a página. Tente novamente em instantes."
            )
        ),
    )
}

/// The start of a POST form to `action` with the session's anti-forgery value; close it with
/// `</form>`.
pub fn form_start(op: &Operator, action: &str) -> String {
    format!(
        "<form method=\"post\" action=\"{}\">{}",
        escape(action),
        csrf_input(op)
    )
}

/// [`form_start`] for a form that uploads a file.
pub fn form_start_multipart(op: &Operator, action: &str) -> String {
    format!(
        "<form method=\"post\" action=\"{}\" enctype=\"multipart/form-data\">{}",
        escape(action),
        csrf_input(op)
    )
}

/// The hidden anti-forgery input, for a form built by hand (an htmx post).
pub fn csrf_input(op: &Operator) -> String {
    format!(
        "<input type=\"hidden\" name=\"{CSRF_FIELD}\" value=\"{}\">",
        op.csrf
    )
}

/// An amount as the operator reads it: grouped digits, the currency's minor unit, its code
/// (`R$ 1.234,56` reads as `1.234,56 BRL` in Portuguese and Spanish, `1,234.56 BRL` in English).
pub fn money(lang: Language, amount: Decimal, currency: Currency) -> String {
    let minor = currency.minor_units();
    let rounded = amount.round_dp(minor);
    let negative = rounded.is_sign_negative() && !rounded.is_zero();
    let text = format!("{:.*}", minor as usize, rounded.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let (group, point) = match lang {
        Language::En => (',', '.'),
        Language::Es | Language::Pt => ('.', ','),
    };
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(group);
        }
        grouped.push(c);
    }
    let sign = if negative { "-" } else { "" };
    if frac.is_empty() {
        format!("{sign}{grouped} {}", currency.code())
    } else {
        format!("{sign}{grouped}{point}{frac} {}", currency.code())
    }
}

/// [`money`] of a [`Money`].
pub fn money_of(lang: Language, m: &Money) -> String {
    money(lang, m.amount, m.currency)
}

/// A CSV download: a header row then `rows`, fields quoted where needed (RFC 4180), and a
/// leading `'` on text a spreadsheet would run as a formula.
pub fn csv_response(filename: &str, head: &[&str], rows: Vec<Vec<String>>) -> Response {
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut first = true;
        for cell in cells {
            if !first {
                out.push(',');
            }
            first = false;
            out.push_str(&csv_cell(cell));
        }
        out.push_str("\r\n");
    };
    line(&mut head.iter().copied());
    for row in &rows {
        line(&mut row.iter().map(String::as_str));
    }
    let mut response = out.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    let safe: String = filename
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    harden(headers, "no-store");
    response
}

fn csv_cell(cell: &str) -> String {
    let guarded = if cell.starts_with(['=', '+', '-', '@']) && cell.parse::<f64>().is_err() {
        format!("'{cell}")
    } else {
        cell.to_string()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// `text` percent-encoded for a query value.
pub fn url_encode(text: &str) -> String {
    serde_urlencoded::to_string([("x", text)])
        .map(|s| s.trim_start_matches("x=").to_string())
        .unwrap_or_default()
}

/// The header a page may set so htmx requests of it are told apart from a full page load.
pub fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key(HeaderName::from_static("hx-request"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn money_reads_as_each_language_writes_it() {
        let d = |s: &str| Decimal::from_str(s).unwrap();
        let table = [
            (Language::Pt, "1234.5", Currency::Brl, "1.234,50 BRL"),
            (
                Language::En,
                "1234567.891",
                Currency::Usd,
                "1,234,567.89 USD",
            ),
            (Language::Es, "1234567", Currency::Clp, "1.234.567 CLP"),
            (Language::Es, "-12.3", Currency::Eur, "-12,30 EUR"),
            (Language::En, "0", Currency::Mxn, "0.00 MXN"),
            (Language::Pt, "999", Currency::Brl, "999,00 BRL"),
        ];
        for (lang, amount, currency, want) in table {
            assert_eq!(money(lang, d(amount), currency), want);
        }
    }

    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        let table = [
            ("plain", "plain"),
            ("a,b", "\"a,b\""),
            ("say \"hi\"", "\"say \"\"hi\"\"\""),
            ("=SUM(A1)", "'=SUM(A1)"),
            ("-12.5", "-12.5"),
            ("@cmd", "'@cmd"),
            ("two\nlines", "\"two\nlines\""),
        ];
        for (cell, want) in table {
            assert_eq!(csv_cell(cell), want, "{cell}");
        }
    }
}
