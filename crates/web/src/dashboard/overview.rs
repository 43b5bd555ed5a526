//! The overview (`/app`, the landing page): KPI cards that refresh themselves every 5 s through
//! htmx, a trend chart (collected and contacts per day) and, with `by`, the breakdown table.
//!
//! It also holds what every KPI page shares: the filter bar's parameters ([`KpiParams`], parsed
//! in one place), the report lookup, the numbers as the operator's language writes them, and
//! the page and CSV frames the other KPI pages render into.

use std::fmt::Write as _;
use std::str::FromStr;
use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderName, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use serde_json::json;

use recaudo_domain::Currency;
use recaudo_domain::kpis::{Dimension, KpiFigures, KpiQuery, KpiReport};
use recaudo_domain::portfolio::Language;

use super::layout::{self, Nav, escape, page, page_status};
use super::session::Operator;
use crate::AppState;

/// The longest period a report covers: about three years.
const MAX_DAYS: i64 = 1100;

/// The filter bar's parameters, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct KpiParams {
    pub from: NaiveDate,
    /// Inclusive.
    pub to: NaiveDate,
    pub by: Option<Dimension>,
    pub currency: Currency,
    /// The heatmap's channel (other pages ignore it).
    pub channel: Option<String>,
    /// A table selector of a page with more than one table (its CSV).
    pub table: Option<String>,
}

impl KpiParams {
    /// The report's query.
    pub fn query(&self) -> KpiQuery {
        KpiQuery::new(self.from, self.to, self.by, self.currency)
    }

    /// The same parameters as a query string (without `?`), for links and htmx.
    pub fn query_string(&self) -> String {
        let mut pairs = vec![
            ("from", self.from.to_string()),
            ("to", self.to.to_string()),
            ("currency", self.currency.code().to_string()),
        ];
        if let Some(by) = self.by {
            pairs.push(("by", by.as_str().to_string()));
        }
        if let Some(channel) = &self.channel {
            pairs.push(("channel", channel.clone()));
        }
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    }
}

/// A field of the filter bar that did not parse, with the message shown next to it.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// The filter bar as the operator filled it (raw texts, to show them back) and what was wrong.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub from: String,
    pub to: String,
    pub by: String,
    pub currency: String,
    pub channel: String,
    pub errors: Vec<FieldError>,
}

impl Filter {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

/// Today in the tenant's time zone, by the injected clock.
pub fn tenant_today(state: &AppState, op: &Operator) -> NaiveDate {
    let now = state.clock.now();
    match chrono_tz::Tz::from_str(&op.tenant.tenant().timezone) {
        Ok(tz) => now.with_timezone(&tz).date_naive(),
        Err(_) => now.date_naive(),
    }
}

/// Parses the filter bar's query string: defaults are the last 30 days up to today in the
/// tenant's zone, no breakdown and the tenant's currency.
pub fn parse_params(
    state: &AppState,
    op: &Operator,
    raw: Option<&str>,
) -> Result<(KpiParams, Filter), Box<Filter>> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(raw.unwrap_or_default()).unwrap_or_default();
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let mut filter = Filter {
        from: get("from"),
        to: get("to"),
        by: get("by"),
        currency: get("currency"),
        channel: get("channel"),
        errors: vec![],
    };
    let today = tenant_today(state, op);
    let date = |text: &str, default: NaiveDate, field: &'static str| {
        if text.is_empty() {
            return Ok(default);
        }
        NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| FieldError {
            field,
            message: op
                .t(
                    "Please enter a date as YYYY-MM-DD.",
                    "Ingrese una fecha con el formato AAAA-MM-DD.",
                    "Informe uma data no formato AAAA-MM-DD.",
                )
                .to_string(),
        })
    };
    let to = date(&filter.to, today, "to");
    let from = date(
        &filter.from,
        to.as_ref()
            .ok()
            .and_then(|to| to.checked_sub_days(Days::new(29)))
            .unwrap_or(today),
        "from",
    );
    let by = match filter.by.as_str() {
        "" | "none" => Ok(None),
        text => Dimension::from_str(text).map(Some).map_err(|_| FieldError {
            field: "by",
            message: op
                .t(
                    "Please choose a breakdown from the list.",
                    "Elija un desglose de la lista.",
                    "Escolha uma quebra da lista.",
                )
                .to_string(),
        }),
    };
    let currency = if filter.currency.is_empty() {
        Ok(op.tenant.tenant().currency)
    } else {
        Currency::from_str(&filter.currency).map_err(|_| FieldError {
            field: "currency",
            message: op
                .t(
                    "Please choose a currency from the list.",
                    "Elija una moneda de la lista.",
                    "Escolha uma moeda da lista.",
                )
                .to_string(),
        })
    };
    for result in [&from, &to] {
        if let Err(error) = result {
            filter.errors.push(error.clone());
        }
    }
    if let (Ok(from), Ok(to)) = (&from, &to) {
        if from > to {
            filter.errors.push(FieldError {
                field: "from",
                message: op
                    .t(
                        "The start date must not be after the end date.",
                        "La fecha inicial no puede ser posterior a la final.",
                        "A data inicial não pode ser posterior à final.",
                    )
                    .to_string(),
            });
        } else if (*to - *from).num_days() >= MAX_DAYS {
            filter.errors.push(FieldError {
                field: "from",
                message: op
                    .t(
                        "Please choose a period of at most three years.",
                        "Elija un período de tres años como máximo.",
                        "Escolha um período de no máximo três anos.",
                    )
                    .to_string(),
            });
        }
    }
    if let Err(error) = &by {
        filter.errors.push(error.clone());
    }
    if let Err(error) = &currency {
        filter.errors.push(error.clone());
    }
    match (from, to, by, currency) {
        (Ok(from), Ok(to), Ok(by), Ok(currency)) if filter.errors.is_empty() => {
            let channel = Some(filter.channel.clone()).filter(|c| !c.is_empty());
            let table = Some(get("table")).filter(|t| !t.is_empty());
            // Show the values actually used, defaults included.
            filter.from = from.to_string();
            filter.to = to.to_string();
            filter.currency = currency.code().to_string();
            Ok((
                KpiParams {
                    from,
                    to,
                    by,
                    currency,
                    channel,
                    table,
                },
                filter,
            ))
        }
        _ => Err(Box::new(filter)),
    }
}

/// The report of these parameters for the operator's tenant (cached by the engine).
pub async fn report(
    state: &AppState,
    op: &Operator,
    params: &KpiParams,
) -> Result<Arc<KpiReport>, Response> {
    let now = state.clock.now();
    match state.kpis.report(&op.tenant, &params.query(), now).await {
        Ok(report) => Ok(report),
        Err(error) => Err(layout::failure(op, &error)),
    }
}

/// The names of the breakdown choices.
fn dimension_label(op: &Operator, by: Option<Dimension>) -> &'static str {
    match by {
        None => op.t("None", "Ninguno", "Nenhuma"),
        Some(Dimension::Segment) => op.t("Segment", "Segmento", "Segmento"),
        Some(Dimension::Strategy) => op.t("Strategy", "Estrategia", "Estratégia"),
        Some(Dimension::Arm) => op.t(
            "Experiment arm",
            "Brazo del experimento",
            "Braço do experimento",
        ),
        Some(Dimension::Channel) => op.t("Channel", "Canal", "Canal"),
        Some(Dimension::Product) => op.t("Product", "Producto", "Produto"),
    }
}

/// The currencies the filter offers: the tenant's first, then the others.
fn currencies(op: &Operator) -> Vec<Currency> {
    let own = op.tenant.tenant().currency;
    let mut out = vec![own];
    out.extend(Currency::ALL.into_iter().filter(|c| *c != own));
    out
}

/// The filter bar: a GET form to `path`; `extra` is more fields inside it (the heatmap's
/// channel).
pub fn filter_bar(op: &Operator, path: &str, filter: &Filter, extra: &str) -> String {
    let mut html = format!(
        "<form method=\"get\" action=\"{}\" class=\"kpi-filter\" role=\"search\" \
         aria-label=\"{}\">",
        escape(path),
        op.t(
            "Period and breakdown",
            "Período y desglose",
            "Período e quebra"
        )
    );
    let date_field = |html: &mut String, name: &str, label: &str, value: &str| {
        let error = filter.error(name);
        let _ = write!(
            html,
            "<div class=\"kpi-field{}\"><label for=\"kpi-{name}\">{}</label>\
             <input type=\"date\" id=\"kpi-{name}\" name=\"{name}\" value=\"{}\"{}>",
            if error.is_some() { " invalid" } else { "" },
            escape(label),
            escape(value),
            if error.is_some() {
                format!(" aria-invalid=\"true\" aria-describedby=\"kpi-{name}-error\"")
            } else {
                String::new()
            }
        );
        if let Some(message) = error {
            let _ = write!(
                html,
                "<p class=\"field-error\" id=\"kpi-{name}-error\">{}</p>",
                escape(message)
            );
        }
        html.push_str("</div>");
    };
    date_field(&mut html, "from", op.t("From", "Desde", "De"), &filter.from);
    date_field(&mut html, "to", op.t("To", "Hasta", "Até"), &filter.to);

    let _ = write!(
        html,
        "<div class=\"kpi-field{}\"><label for=\"kpi-by\">{}</label><select id=\"kpi-by\" \
         name=\"by\">",
        if filter.error("by").is_some() {
            " invalid"
        } else {
            ""
        },
        op.t("Break down by", "Desglosar por", "Quebrar por")
    );
    let chosen_by = Dimension::from_str(&filter.by).ok();
    let _ = write!(
        html,
        "<option value=\"none\"{}>{}</option>",
        if chosen_by.is_none() { " selected" } else { "" },
        dimension_label(op, None)
    );
    for dimension in Dimension::ALL {
        let _ = write!(
            html,
            "<option value=\"{}\"{}>{}</option>",
            dimension.as_str(),
            if chosen_by == Some(dimension) {
                " selected"
            } else {
                ""
            },
            dimension_label(op, Some(dimension))
        );
    }
    html.push_str("</select>");
    if let Some(message) = filter.error("by") {
        let _ = write!(html, "<p class=\"field-error\">{}</p>", escape(message));
    }
    html.push_str("</div>");

    let _ = write!(
        html,
        "<div class=\"kpi-field{}\"><label for=\"kpi-currency\">{}</label><select \
         id=\"kpi-currency\" name=\"currency\">",
        if filter.error("currency").is_some() {
            " invalid"
        } else {
            ""
        },
        op.t("Currency", "Moneda", "Moeda")
    );
    let chosen_currency = Currency::from_str(&filter.currency)
        .ok()
        .unwrap_or(op.tenant.tenant().currency);
    for currency in currencies(op) {
        let _ = write!(
            html,
            "<option value=\"{0}\"{1}>{0}</option>",
            currency.code(),
            if currency == chosen_currency {
                " selected"
            } else {
                ""
            }
        );
    }
    html.push_str("</select>");
    if let Some(message) = filter.error("currency") {
        let _ = write!(html, "<p class=\"field-error\">{}</p>", escape(message));
    }
    html.push_str("</div>");
    html.push_str(extra);
    // The page keeps speaking the language it was asked in (`?lang=`).
    let _ = write!(
        html,
        "<input type=\"hidden\" name=\"lang\" value=\"{}\">",
        op.language.as_str()
    );
    let _ = write!(
        html,
        "<div class=\"kpi-field kpi-apply\"><button type=\"submit\">{}</button></div></form>",
        op.t("Apply", "Aplicar", "Aplicar")
    );
    html
}

/// A link to a CSV export of a table: `{path}.csv?{query}`.
pub fn csv_link(op: &Operator, path: &str, params: &KpiParams, table: Option<&str>) -> String {
    let mut query = params.query_string();
    if let Some(table) = table {
        query.push_str("&table=");
        query.push_str(table);
    }
    format!(
        "<p class=\"export\"><a href=\"{}.csv?{}\" download>{}</a></p>",
        escape(path),
        escape(&query),
        op.t("Download CSV", "Descargar CSV", "Baixar CSV")
    )
}

/// A KPI page: parses the filter, gets the report and wraps `render`'s body in the app shell
/// under the filter bar; a bad field answers 422 with the bar showing the message.
pub async fn kpi_page(
    state: &AppState,
    op: &Operator,
    nav: Nav,
    path: &str,
    title: &str,
    raw: Option<String>,
    render: impl FnOnce(&Operator, &KpiParams, &KpiReport) -> (String, String),
) -> Response {
    match parse_params(state, op, raw.as_deref()) {
        Err(filter) => {
            let body = format!(
                "{}<p class=\"error\" role=\"alert\">{}</p>",
                filter_bar(op, path, &filter, ""),
                op.t(
                    "Please correct the highlighted field.",
                    "Corrija el campo señalado, por favor.",
                    "Corrija o campo indicado, por favor.",
                )
            );
            page_status(op, StatusCode::UNPROCESSABLE_ENTITY, nav, title, &body)
        }
        Ok((params, filter)) => {
            let report = match report(state, op, &params).await {
                Ok(report) => report,
                Err(response) => return response,
            };
            let (extra, body) = render(op, &params, &report);
            let html = format!("{}{}", filter_bar(op, path, &filter, &extra), body);
            page(op, nav, title, &html)
        }
    }
}

/// A CSV export of a KPI table: `table` gives the file name, the header and the rows.
pub async fn kpi_csv(
    state: &AppState,
    op: &Operator,
    raw: Option<String>,
    table: impl FnOnce(&KpiParams, &KpiReport) -> (String, Vec<&'static str>, Vec<Vec<String>>),
) -> Response {
    match parse_params(state, op, raw.as_deref()) {
        Err(filter) => {
            let text = filter
                .errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("\n");
            (StatusCode::UNPROCESSABLE_ENTITY, text).into_response()
        }
        Ok((params, _)) => {
            let report = match report(state, op, &params).await {
                Ok(report) => report,
                Err(response) => return response,
            };
            let (name, header, rows) = table(&params, &report);
            layout::csv_response(&name, &header, rows)
        }
    }
}

/// The file name of a CSV: `{what}-{from}-{to}.csv`.
pub fn csv_name(what: &str, params: &KpiParams) -> String {
    format!("{what}-{}-{}.csv", params.from, params.to)
}

// ---- Numbers as the operator reads them ----------------------------------------------------

/// The thousands and decimal separators of the operator's language (as [`layout::money`]).
fn separators(language: Language) -> (char, char) {
    match language {
        Language::En => (',', '.'),
        Language::Es | Language::Pt => ('.', ','),
    }
}

/// `value` with `decimals` decimals, grouped as the operator's language writes numbers.
pub fn number(op: &Operator, value: f64, decimals: usize) -> String {
    let (group, decimal) = separators(op.language);
    let text = format!("{:.*}", decimals, value.abs());
    let (int_part, frac_part) = text.split_once('.').unwrap_or((text.as_str(), ""));
    let len = int_part.len();
    let mut out = String::with_capacity(len + len / 3 + decimals + 2);
    if value < 0.0 && text.bytes().any(|b| b.is_ascii_digit() && b != b'0') {
        out.push('-');
    }
    for (i, c) in int_part.chars().enumerate() {
        if i > 0 && (len - i).is_multiple_of(3) {
            out.push(group);
        }
        out.push(c);
    }
    if !frac_part.is_empty() {
        out.push(decimal);
        out.push_str(frac_part);
    }
    out
}

/// A count, grouped.
pub fn count(op: &Operator, value: u64) -> String {
    // u64 → f64 loses nothing below 2^53, far above any count shown here.
    number(op, value as f64, 0)
}

/// The sign shown where a figure cannot be computed (no data in the period).
pub const NO_FIGURE: &str = "—";

/// A share (0..1) as a percentage: `42.5%`, `42,5 %`.
pub fn percent(op: &Operator, share: Option<f64>) -> String {
    percent_of_100(op, share.map(|s| s * 100.0))
}

/// A figure already in percent (CEI).
pub fn percent_of_100(op: &Operator, value: Option<f64>) -> String {
    match value.filter(|v| v.is_finite()) {
        None => NO_FIGURE.to_string(),
        Some(v) => match op.language {
            Language::En => format!("{}%", number(op, v, 1)),
            Language::Es | Language::Pt => format!("{}\u{a0}%", number(op, v, 1)),
        },
    }
}

/// A number of days: `34.2 days`.
pub fn days(op: &Operator, value: Option<f64>) -> String {
    match value.filter(|v| v.is_finite()) {
        None => NO_FIGURE.to_string(),
        Some(v) => format!("{} {}", number(op, v, 1), op.t("days", "días", "dias")),
    }
}

/// An amount with its currency, as the operator's language writes it (`1.234,56 BRL`).
pub fn amount(op: &Operator, value: Decimal, currency: Currency) -> String {
    layout::money(op.language, value, currency)
}

/// An amount in a CSV: plain, dot decimal, rounded to the currency's minor unit.
pub fn csv_amount(value: Decimal, currency: Currency) -> String {
    let minor = currency.minor_units();
    format!("{:.*}", minor as usize, value.round_dp(minor))
}

/// A share in a CSV: percent with two decimals, empty when unknown.
pub fn csv_percent(share: Option<f64>) -> String {
    share
        .filter(|s| s.is_finite())
        .map(|s| format!("{:.2}", s * 100.0))
        .unwrap_or_default()
}

/// A plain number in a CSV, empty when unknown.
pub fn csv_number(value: Option<f64>, decimals: usize) -> String {
    value
        .filter(|v| v.is_finite())
        .map(|v| format!("{v:.decimals$}"))
        .unwrap_or_default()
}

/// A Chart.js configuration as a canvas the app's script draws; `label` describes it for
/// screen readers.
pub fn chart(config: &serde_json::Value, label: &str) -> String {
    format!(
        "<div class=\"chart-box\"><canvas class=\"chart\" role=\"img\" aria-label=\"{}\" \
         data-chart=\"{}\"></canvas></div>",
        escape(label),
        escape(&config.to_string())
    )
}

/// The courteous note of an empty period.
pub fn empty_note(op: &Operator, what: &str) -> String {
    format!("<p class=\"empty-state\">{}</p>", escape(what))
        + &format!(
            "<p class=\"empty-hint\">{}</p>",
            op.t(
                "Try a wider period, or come back once contacts and payments have been recorded.",
                "Pruebe con un período más amplio o vuelva cuando se hayan registrado contactos y \
                 pagos.",
                "Experimente um período mais amplo ou volte quando houver contatos e pagamentos \
                 registrados.",
            )
        )
}

// ---- The overview ---------------------------------------------------------------------------

const PATH: &str = "/app";
const CSV_PATH: &str = "/app/overview";
const CARDS_PATH: &str = "/app/fragments/cards";

/// One card: its label, its value, and a short explanation.
struct Card {
    label: &'static str,
    value: String,
    hint: &'static str,
    key: &'static str,
}

fn cards(op: &Operator, currency: Currency, f: &KpiFigures) -> Vec<Card> {
    vec![
        Card {
            key: "collected",
            label: op.t("Collected", "Recaudado", "Arrecadado"),
            value: amount(op, f.collected, currency),
            hint: op.t(
                "Payments received in the period",
                "Pagos recibidos en el período",
                "Pagamentos recebidos no período",
            ),
        },
        Card {
            key: "recovery_rate",
            label: op.t(
                "Recovery rate",
                "Tasa de recuperación",
                "Taxa de recuperação",
            ),
            value: percent(op, f.recovery_rate),
            hint: op.t(
                "Collected ÷ amount overdue at placement",
                "Recaudado ÷ monto vencido al asignar",
                "Arrecadado ÷ valor vencido na alocação",
            ),
        },
        Card {
            key: "cei",
            label: op.t(
                "Collection effectiveness (CEI)",
                "Efectividad de cobro (CEI)",
                "Efetividade de cobrança (CEI)",
            ),
            value: percent_of_100(op, f.cei),
            hint: op.t(
                "Share of collectible receivables collected",
                "Parte de la cartera cobrable que se cobró",
                "Parte da carteira cobrável que foi cobrada",
            ),
        },
        Card {
            key: "dso",
            label: op.t("DSO", "DSO (días de cobro)", "DSO (dias de recebimento)"),
            value: days(op, f.dso),
            hint: op.t(
                "Receivables ÷ credit sales × days",
                "Cartera ÷ ventas a crédito × días",
                "Recebíveis ÷ vendas a prazo × dias",
            ),
        },
        Card {
            key: "countback_dso",
            label: op.t("Countback DSO", "DSO por descuento", "DSO countback"),
            value: days(op, f.countback_dso),
            hint: op.t(
                "Days of recent sales the receivables amount to",
                "Días de ventas recientes que suma la cartera",
                "Dias de vendas recentes que os recebíveis somam",
            ),
        },
        Card {
            key: "cure_rate",
            label: op.t("Cure rate", "Tasa de normalización", "Taxa de cura"),
            value: percent(op, f.cure_rate),
            hint: op.t(
                "Past-due debts back to current or paid",
                "Deudas vencidas que volvieron al día o se pagaron",
                "Dívidas vencidas que voltaram ao dia ou foram pagas",
            ),
        },
        Card {
            key: "promise_kept_rate",
            label: op.t("Promises kept", "Promesas cumplidas", "Promessas cumpridas"),
            value: percent(op, f.promise_kept_rate),
            hint: op.t(
                "Promises paid in full by their date",
                "Promesas pagadas por completo a tiempo",
                "Promessas pagas integralmente no prazo",
            ),
        },
        Card {
            key: "right_party_contact_rate",
            label: op.t(
                "Right-party contact",
                "Contacto con el titular",
                "Contato com o titular",
            ),
            value: percent(op, f.right_party_contact_rate),
            hint: op.t(
                "Contacts the debtor answered",
                "Contactos que el deudor respondió",
                "Contatos que o devedor respondeu",
            ),
        },
        Card {
            key: "self_service_share",
            label: op.t("Self-service", "Autogestión", "Autoatendimento"),
            value: percent(op, f.self_service_share),
            hint: op.t(
                "Resolved with no human touch",
                "Resueltas sin intervención humana",
                "Resolvidas sem intervenção humana",
            ),
        },
        Card {
            key: "contacts_per_collected_unit",
            label: op.t(
                "Contacts per 1,000 collected",
                "Contactos por cada 1.000 recaudados",
                "Contatos a cada 1.000 arrecadados",
            ),
            // Per unit the figure is tiny (0.0004): per thousand it reads at a glance.
            value: f
                .contacts_per_collected_unit
                .filter(|v| v.is_finite())
                .map(|v| number(op, v * 1000.0, 2))
                .unwrap_or_else(|| NO_FIGURE.to_string()),
            hint: op.t(
                "Contacts sent ÷ amount collected × 1,000",
                "Contactos enviados ÷ monto recaudado × 1.000",
                "Contatos enviados ÷ valor arrecadado × 1.000",
            ),
        },
        Card {
            key: "cost_to_collect",
            label: op.t("Cost to collect", "Costo de cobranza", "Custo de cobrança"),
            value: percent(op, f.cost_to_collect),
            hint: op.t(
                "Channel cost ÷ amount collected",
                "Costo de canales ÷ monto recaudado",
                "Custo dos canais ÷ valor arrecadado",
            ),
        },
        Card {
            key: "liquidation_rate",
            label: op.t(
                "Liquidation rate",
                "Tasa de liquidación",
                "Taxa de liquidação",
            ),
            value: percent(op, f.liquidation_rate),
            hint: op.t(
                "Collected ÷ balance at the period's start",
                "Recaudado ÷ saldo al inicio del período",
                "Arrecadado ÷ saldo no início do período",
            ),
        },
    ]
}

/// The cards section; it asks for itself again every 5 s.
fn cards_html(op: &Operator, params: &KpiParams, report: &KpiReport) -> String {
    let mut html = format!(
        "<section id=\"kpi-cards\" class=\"cards kpi-cards\" aria-live=\"polite\" \
         aria-label=\"{}\" hx-get=\"{CARDS_PATH}?{}&amp;lang={}\" \
         hx-trigger=\"every 5s\" hx-swap=\"outerHTML\">",
        op.t("Key figures", "Cifras clave", "Números-chave"),
        escape(&params.query_string()),
        op.language.as_str()
    );
    for card in cards(op, params.currency, &report.total) {
        let _ = write!(
            html,
            "<div class=\"card kpi-card\" data-kpi=\"{}\"><p class=\"label\">{}</p>\
             <p class=\"value\">{}</p><p class=\"hint\">{}</p></div>",
            card.key,
            escape(card.label),
            escape(&card.value),
            escape(card.hint)
        );
    }
    let f = &report.total;
    let _ = write!(
        html,
        "<p class=\"kpi-footnote\">{} {} · {} {} · {} {} · {} {}</p></section>",
        escape(&count(op, f.debts)),
        op.t("debts", "deudas", "dívidas"),
        escape(&count(op, f.payments)),
        op.t("payments", "pagos", "pagamentos"),
        escape(&count(op, f.contacts)),
        op.t("contacts", "contactos", "contatos"),
        op.t("channel cost", "costo de canales", "custo dos canais"),
        escape(&amount(op, f.cost, params.currency)),
    );
    html
}

/// The trend chart: collected (left axis) and contacts (right axis) per day.
fn trend_chart(op: &Operator, report: &KpiReport) -> String {
    let labels: Vec<String> = report.trend.iter().map(|p| p.date.to_string()).collect();
    let collected: Vec<f64> = report
        .trend
        .iter()
        .map(|p| p.collected.to_string().parse::<f64>().unwrap_or(0.0))
        .collect();
    let contacts: Vec<u64> = report.trend.iter().map(|p| p.contacts).collect();
    let config = json!({
        "type": "line",
        "data": {
            "labels": labels,
            "datasets": [
                {
                    "label": format!("{} ({})", op.t("Collected", "Recaudado", "Arrecadado"),
                        report.query.currency.code()),
                    "data": collected,
                    "yAxisID": "y",
                    "borderColor": "#1f6f5c",
                    "backgroundColor": "rgba(31,111,92,0.15)",
                    "fill": true,
                    "tension": 0.25,
                },
                {
                    "label": op.t("Contacts", "Contactos", "Contatos"),
                    "data": contacts,
                    "yAxisID": "y1",
                    "borderColor": "#c0582b",
                    "backgroundColor": "rgba(192,88,43,0.15)",
                    "tension": 0.25,
                },
            ],
        },
        "options": {
            "responsive": true,
            "maintainAspectRatio": false,
            "animation": false,
            "interaction": { "mode": "index", "intersect": false },
            "scales": {
                "y": { "position": "left", "beginAtZero": true },
                "y1": { "position": "right", "beginAtZero": true,
                        "grid": { "drawOnChartArea": false } },
            },
        },
    });
    chart(
        &config,
        op.t(
            "Collected and contacts per day",
            "Recaudado y contactos por día",
            "Arrecadado e contatos por dia",
        ),
    )
}

/// The breakdown table's columns: header text (en/es/pt), CSV header, and both renderings.
fn breakdown_table(op: &Operator, params: &KpiParams, report: &KpiReport) -> String {
    let Some(by) = report.query.by else {
        return String::new();
    };
    let mut html = format!(
        "<section class=\"kpi-breakdown\"><h2>{} {}</h2>",
        op.t("By", "Por", "Por"),
        escape(&dimension_label(op, Some(by)).to_lowercase())
    );
    if report.groups.is_empty() {
        html.push_str(&empty_note(
            op,
            op.t(
                "There is nothing to break down in this period yet.",
                "Todavía no hay nada que desglosar en este período.",
                "Ainda não há nada para detalhar neste período.",
            ),
        ));
        html.push_str("</section>");
        return html;
    }
    let _ = write!(
        html,
        "<div class=\"table-wrap\"><table class=\"data\"><thead><tr><th scope=\"col\">{}</th>\
         <th scope=\"col\" class=\"num\">{}</th><th scope=\"col\" class=\"num\">{}</th>\
         <th scope=\"col\" class=\"num\">{}</th><th scope=\"col\" class=\"num\">CEI</th>\
         <th scope=\"col\" class=\"num\">DSO</th><th scope=\"col\" class=\"num\">{}</th>\
         <th scope=\"col\" class=\"num\">{}</th><th scope=\"col\" class=\"num\">{}</th>\
         <th scope=\"col\" class=\"num\">{}</th><th scope=\"col\" class=\"num\">{}</th>\
         </tr></thead><tbody>",
        escape(dimension_label(op, Some(by))),
        op.t("Debts", "Deudas", "Dívidas"),
        op.t("Collected", "Recaudado", "Arrecadado"),
        op.t("Recovery", "Recuperación", "Recuperação"),
        op.t("Cure", "Normalización", "Cura"),
        op.t("Promises kept", "Promesas cumplidas", "Promessas cumpridas"),
        op.t("Right-party", "Titular", "Titular"),
        op.t("Self-service", "Autogestión", "Autoatendimento"),
        op.t("Cost to collect", "Costo de cobranza", "Custo de cobrança"),
    );
    for group in &report.groups {
        let f = &group.figures;
        let _ = write!(
            html,
            "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            escape(&group.key),
            escape(&count(op, f.debts)),
            escape(&amount(op, f.collected, params.currency)),
            escape(&percent(op, f.recovery_rate)),
            escape(&percent_of_100(op, f.cei)),
            escape(&days(op, f.dso)),
            escape(&percent(op, f.cure_rate)),
            escape(&percent(op, f.promise_kept_rate)),
            escape(&percent(op, f.right_party_contact_rate)),
            escape(&percent(op, f.self_service_share)),
            escape(&percent(op, f.cost_to_collect)),
        );
    }
    html.push_str("</tbody></table></div>");
    html.push_str(&csv_link(op, CSV_PATH, params, None));
    html.push_str("</section>");
    html
}

/// The CSV of the breakdown (or of the total alone, without `by`).
fn breakdown_csv(
    params: &KpiParams,
    report: &KpiReport,
) -> (String, Vec<&'static str>, Vec<Vec<String>>) {
    let header = vec![
        "group",
        "debts",
        "collected",
        "payments",
        "recovery_rate_pct",
        "cei_pct",
        "dso_days",
        "countback_dso_days",
        "cure_rate_pct",
        "promise_kept_rate_pct",
        "right_party_contact_rate_pct",
        "self_service_share_pct",
        "contacts",
        "contacts_per_collected_unit",
        "cost",
        "cost_to_collect_pct",
        "liquidation_rate_pct",
    ];
    let currency = params.currency;
    let row = |key: &str, f: &KpiFigures| {
        vec![
            key.to_string(),
            f.debts.to_string(),
            csv_amount(f.collected, currency),
            f.payments.to_string(),
            csv_percent(f.recovery_rate),
            csv_number(f.cei, 2),
            csv_number(f.dso, 1),
            csv_number(f.countback_dso, 1),
            csv_percent(f.cure_rate),
            csv_percent(f.promise_kept_rate),
            csv_percent(f.right_party_contact_rate),
            csv_percent(f.self_service_share),
            f.contacts.to_string(),
            csv_number(f.contacts_per_collected_unit, 6),
            csv_amount(f.cost, currency),
            csv_percent(f.cost_to_collect),
            csv_percent(f.liquidation_rate),
        ]
    };
    let rows = if report.groups.is_empty() {
        vec![row("(total)", &report.total)]
    } else {
        report
            .groups
            .iter()
            .map(|g| row(&g.key, &g.figures))
            .collect()
    };
    (csv_name("kpis", params), header, rows)
}

fn title(op: &Operator) -> &'static str {
    op.t("Overview", "Resumen", "Visão geral")
}

/// `GET /app`: the overview.
pub async fn show(
    State(state): State<AppState>,
    op: Operator,
    RawQuery(raw): RawQuery,
) -> Response {
    let title = title(&op);
    kpi_page(
        &state,
        &op,
        Nav::Overview,
        PATH,
        title,
        raw,
        |op, params, report| {
            let mut body = cards_html(op, params, report);
            let _ = write!(
                body,
                "<section class=\"kpi-trend\"><h2>{}</h2>",
                op.t("Trend", "Tendencia", "Tendência")
            );
            if report.total.payments == 0 && report.total.contacts == 0 {
                body.push_str(&empty_note(
                    op,
                    op.t(
                        "No payments or contacts were recorded in this period yet.",
                        "Todavía no se registraron pagos ni contactos en este período.",
                        "Ainda não foram registrados pagamentos nem contatos neste período.",
                    ),
                ));
            }
            body.push_str(&trend_chart(op, report));
            body.push_str("</section>");
            if report.query.by.is_none() {
                body.push_str(&csv_link(op, CSV_PATH, params, None));
            }
            body.push_str(&breakdown_table(op, params, report));
            (String::new(), body)
        },
    )
    .await
}

/// `GET /app/fragments/cards`: the cards alone, for htmx's refresh. When the session has
/// ended, htmx's request is told to load the sign-in page in full (`HX-Redirect`) rather than
/// swapping it into the cards.
pub async fn cards_fragment(
    State(state): State<AppState>,
    headers: HeaderMap,
    op: Result<Operator, Response>,
    RawQuery(raw): RawQuery,
) -> Response {
    let op = match op {
        Ok(op) => op,
        Err(rejection) => return htmx_redirect(&headers, rejection),
    };
    let mut response = match parse_params(&state, &op, raw.as_deref()) {
        Err(_) => StatusCode::UNPROCESSABLE_ENTITY.into_response(),
        Ok((params, _)) => match report(&state, &op, &params).await {
            Ok(report) => Html(cards_html(&op, &params, &report)).into_response(),
            Err(response) => return response,
        },
    };
    layout::harden(response.headers_mut(), "no-store");
    response
}

/// An htmx request's redirect (to sign in) as `HX-Redirect`, so the whole page goes there;
/// any other answer as it is.
fn htmx_redirect(headers: &HeaderMap, rejection: Response) -> Response {
    let location = rejection.headers().get(header::LOCATION).cloned();
    match location {
        Some(location)
            if layout::is_htmx(headers) && rejection.status() == StatusCode::SEE_OTHER =>
        {
            let mut response = StatusCode::NO_CONTENT.into_response();
            response
                .headers_mut()
                .insert(HeaderName::from_static("hx-redirect"), location);
            layout::harden(response.headers_mut(), "no-store");
            response
        }
        _ => rejection,
    }
}

/// `GET /app/overview.csv`: the breakdown table (or the total) as CSV.
pub async fn csv(State(state): State<AppState>, op: Operator, RawQuery(raw): RawQuery) -> Response {
    kpi_csv(&state, &op, raw, breakdown_csv).await
}
