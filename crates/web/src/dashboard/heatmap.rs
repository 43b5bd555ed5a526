//! `/app/heatmap`: for one channel (chosen in the filter bar), the debtors' responses (replies
//! and clicks) by weekday × hour of the debtor's local time, as a shaded 7×24 table.

use std::fmt::Write as _;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use recaudo_domain::kpis::{HeatmapRow, KpiReport};

use super::funnel::channel_label;
use super::layout::{Nav, escape};
use super::overview::{KpiParams, count, csv_link, csv_name, empty_note, kpi_csv, kpi_page};
use super::session::Operator;
use crate::AppState;

const PATH: &str = "/app/heatmap";

/// Weekday names, Monday first.
pub fn weekdays(op: &Operator) -> [&'static str; 7] {
    [
        op.t("Monday", "lunes", "segunda-feira"),
        op.t("Tuesday", "martes", "terça-feira"),
        op.t("Wednesday", "miércoles", "quarta-feira"),
        op.t("Thursday", "jueves", "quinta-feira"),
        op.t("Friday", "viernes", "sexta-feira"),
        op.t("Saturday", "sábado", "sábado"),
        op.t("Sunday", "domingo", "domingo"),
    ]
}

/// Stable weekday keys for the CSV.
const WEEKDAY_KEYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// The channel shown: the one asked for when the report has it, else the first.
fn chosen<'a>(params: &KpiParams, report: &'a KpiReport) -> Option<&'a HeatmapRow> {
    params
        .channel
        .as_deref()
        .and_then(|c| report.heatmap.iter().find(|r| r.channel == c))
        .or_else(|| report.heatmap.first())
}

/// The count of a cell (0 outside the grid).
fn cell(row: &HeatmapRow, day: usize, hour: usize) -> u32 {
    row.counts
        .get(day)
        .and_then(|hours| hours.get(hour))
        .copied()
        .unwrap_or(0)
}

/// The shade class of `n` against the grid's largest count.
fn shade(n: u32, max: u32) -> &'static str {
    const SHADES: [&str; 10] = [
        "shade-0", "shade-1", "shade-2", "shade-3", "shade-4", "shade-5", "shade-6", "shade-7",
        "shade-8", "shade-9",
    ];
    if n == 0 || max == 0 {
        return SHADES[0];
    }
    // 1..=9: any response is visible, the busiest hour is the darkest.
    let step = (u64::from(n) * 9).div_ceil(u64::from(max)).clamp(1, 9);
    SHADES[usize::try_from(step).unwrap_or(9)]
}

/// The channel select, inside the filter bar.
fn channel_select(op: &Operator, report: &KpiReport, current: Option<&HeatmapRow>) -> String {
    if report.heatmap.is_empty() {
        return String::new();
    }
    let mut html = format!(
        "<div class=\"kpi-field\"><label for=\"kpi-channel\">{}</label><select id=\"kpi-channel\" \
         name=\"channel\">",
        op.t("Channel", "Canal", "Canal")
    );
    for row in &report.heatmap {
        let selected = current.is_some_and(|c| c.channel == row.channel);
        let _ = write!(
            html,
            "<option value=\"{}\"{}>{}</option>",
            escape(&row.channel),
            if selected { " selected" } else { "" },
            escape(&channel_label(op, &row.channel))
        );
    }
    html.push_str("</select></div>");
    html
}

fn body(op: &Operator, params: &KpiParams, report: &KpiReport) -> String {
    let mut html = String::from("<section class=\"kpi-heatmap\">");
    let Some(row) = chosen(params, report) else {
        html.push_str(&empty_note(
            op,
            op.t(
                "No debtor has responded in this period yet.",
                "Ningún deudor ha respondido todavía en este período.",
                "Nenhum devedor respondeu ainda neste período.",
            ),
        ));
        html.push_str("</section>");
        return html;
    };
    let max = (0..7)
        .flat_map(|d| (0..24).map(move |h| (d, h)))
        .map(|(d, h)| cell(row, d, h))
        .max()
        .unwrap_or(0);
    let total: u64 = (0..7)
        .flat_map(|d| (0..24).map(move |h| (d, h)))
        .map(|(d, h)| u64::from(cell(row, d, h)))
        .sum();
    let channel = channel_label(op, &row.channel);
    if total == 0 {
        html.push_str(&empty_note(
            op,
            op.t(
                "No debtor has responded on this channel in this period yet.",
                "Ningún deudor ha respondido por este canal en este período.",
                "Nenhum devedor respondeu por este canal neste período.",
            ),
        ));
    }
    let _ = write!(
        html,
        "<div class=\"table-wrap\"><table class=\"data heatmap\" id=\"heatmap-table\" \
         data-channel=\"{}\"><caption>{} — {} ({} {}, {} {} {} {})</caption><thead><tr>\
         <th scope=\"col\">{}</th>",
        escape(&row.channel),
        escape(op.t(
            "Debtor responses (replies and clicks) by weekday and local hour",
            "Respuestas de los deudores (mensajes y clics) por día y hora local",
            "Respostas dos devedores (mensagens e cliques) por dia e hora local",
        )),
        escape(&channel),
        escape(&count(op, total)),
        op.t("in total", "en total", "no total"),
        op.t("from", "del", "de"),
        escape(&params.from.to_string()),
        op.t("to", "al", "a"),
        escape(&params.to.to_string()),
        op.t("Day", "Día", "Dia"),
    );
    for hour in 0..24 {
        let _ = write!(
            html,
            "<th scope=\"col\" class=\"num hour\" abbr=\"{hour:02}:00\">{hour}</th>"
        );
    }
    html.push_str("</tr></thead><tbody>");
    for (day, name) in weekdays(op).iter().enumerate() {
        let _ = write!(html, "<tr><th scope=\"row\">{}</th>", escape(name));
        for hour in 0..24 {
            let n = cell(row, day, hour);
            let _ = write!(
                html,
                "<td class=\"num cell {}\" title=\"{} {hour:02}:00 · {n}\">{}</td>",
                shade(n, max),
                escape(name),
                if n == 0 { String::new() } else { n.to_string() }
            );
        }
        html.push_str("</tr>");
    }
    html.push_str("</tbody></table></div>");
    html.push_str(&csv_link(op, PATH, params, None));
    html.push_str("</section>");
    html
}

/// `GET /app/heatmap`.
pub async fn show(
    State(state): State<AppState>,
    op: Operator,
    RawQuery(raw): RawQuery,
) -> Response {
    let title = op.t(
        "Response heatmap",
        "Mapa de calor de respuestas",
        "Mapa de calor de respostas",
    );
    kpi_page(
        &state,
        &op,
        Nav::Heatmap,
        PATH,
        title,
        raw,
        |op, params, report| {
            let current = chosen(params, report);
            (
                channel_select(op, report, current),
                body(op, params, report),
            )
        },
    )
    .await
}

/// `GET /app/heatmap.csv`: one row per weekday, one column per hour, of the chosen channel
/// (every channel without `channel`).
pub async fn csv(State(state): State<AppState>, op: Operator, RawQuery(raw): RawQuery) -> Response {
    kpi_csv(&state, &op, raw, |params, report| {
        let rows = report
            .heatmap
            .iter()
            .filter(|r| params.channel.as_deref().is_none_or(|c| c == r.channel))
            .flat_map(|r| {
                (0..7).map(move |day| {
                    let mut out = vec![r.channel.clone(), WEEKDAY_KEYS[day].to_string()];
                    out.extend((0..24).map(|hour| cell(r, day, hour).to_string()));
                    out
                })
            })
            .collect();
        let mut header = vec!["channel", "weekday"];
        header.extend([
            "h00", "h01", "h02", "h03", "h04", "h05", "h06", "h07", "h08", "h09", "h10", "h11",
            "h12", "h13", "h14", "h15", "h16", "h17", "h18", "h19", "h20", "h21", "h22", "h23",
        ]);
        (csv_name("heatmap", params), header, rows)
    })
    .await
}
