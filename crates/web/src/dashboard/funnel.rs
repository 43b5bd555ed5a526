//! `/app/funnel`: per channel, contacts sent → delivered → opened → clicked → replied → paid
//! (within the report's N days of a contact), each stage with its share of the contacts sent
//! (channels track different stages: an SMS is never "opened", so a stage is not always a
//! subset of the one before), and a grouped bar chart.

use std::fmt::Write as _;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use recaudo_domain::kpis::{FunnelRow, KpiReport};
use serde_json::json;

use super::layout::{Nav, escape};
use super::overview::{
    KpiParams, chart, count, csv_link, csv_name, csv_percent, empty_note, kpi_csv, kpi_page,
    percent,
};
use super::session::Operator;
use crate::AppState;

const PATH: &str = "/app/funnel";

/// A channel's name as the operator reads it (unknown names are shown as they are).
pub fn channel_label(op: &Operator, channel: &str) -> String {
    match channel {
        "email" => op.t("E-mail", "Correo electrónico", "E-mail").to_string(),
        "sms" => "SMS".to_string(),
        "whatsapp" => "WhatsApp".to_string(),
        "voice" => op
            .t("Voice call", "Llamada de voz", "Chamada de voz")
            .to_string(),
        "letter" => op.t("Letter", "Carta", "Carta").to_string(),
        "push" => op
            .t("Push", "Notificación push", "Notificação push")
            .to_string(),
        other => other.to_string(),
    }
}

/// The stages' counts of one row, in order.
fn stages(row: &FunnelRow) -> [u64; 6] {
    [
        row.sent,
        row.delivered,
        row.opened,
        row.clicked,
        row.replied,
        row.paid,
    ]
}

/// `part ÷ whole`, none when the whole is zero.
pub fn ratio(part: u64, whole: u64) -> Option<f64> {
    // Counts stay far below 2^53: the conversion is exact.
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The stage names.
fn stage_labels(op: &Operator) -> [&'static str; 6] {
    [
        op.t("Sent", "Enviados", "Enviados"),
        op.t("Delivered", "Entregados", "Entregues"),
        op.t("Opened", "Abiertos", "Abertos"),
        op.t("Clicked", "Con clic", "Clicados"),
        op.t("Replied", "Respondidos", "Respondidos"),
        op.t("Paid", "Pagados", "Pagos"),
    ]
}

fn body(op: &Operator, params: &KpiParams, report: &KpiReport) -> String {
    let mut html = String::from("<section class=\"kpi-funnel\">");
    let rows: Vec<&FunnelRow> = report.funnel.iter().filter(|r| r.sent > 0).collect();
    if rows.is_empty() {
        html.push_str(&empty_note(
            op,
            op.t(
                "No contacts were sent in this period yet.",
                "Todavía no se enviaron contactos en este período.",
                "Ainda não foram enviados contatos neste período.",
            ),
        ));
        html.push_str("</section>");
        return html;
    }
    let labels = stage_labels(op);
    let palette = [
        "#1f6f5c", "#3c8dbc", "#7a5cc0", "#c0582b", "#e0b000", "#2e8b57",
    ];
    let datasets: Vec<serde_json::Value> = labels
        .iter()
        .enumerate()
        .map(|(i, label)| {
            json!({
                "label": label,
                "data": rows.iter().map(|r| stages(r)[i]).collect::<Vec<_>>(),
                "backgroundColor": palette[i],
            })
        })
        .collect();
    let config = json!({
        "type": "bar",
        "data": {
            "labels": rows.iter().map(|r| channel_label(op, &r.channel)).collect::<Vec<_>>(),
            "datasets": datasets,
        },
        "options": {
            "responsive": true,
            "maintainAspectRatio": false,
            "animation": false,
            "scales": { "y": { "beginAtZero": true } },
        },
    });
    html.push_str(&chart(
        &config,
        op.t(
            "Contacts by stage and channel",
            "Contactos por etapa y canal",
            "Contatos por etapa e canal",
        ),
    ));
    let _ = write!(
        html,
        "<div class=\"table-wrap\"><table class=\"data\" id=\"funnel-table\"><caption>{} {}\
         </caption><thead><tr><th scope=\"col\">{}</th>",
        op.t(
            "Each stage with its share of the contacts sent; paid counts payments received \
             within this many days of a contact:",
            "Cada etapa con su proporción de los contactos enviados; pagados cuenta los pagos \
             recibidos dentro de estos días tras un contacto:",
            "Cada etapa com sua proporção dos contatos enviados; pagos conta os pagamentos \
             recebidos dentro destes dias após um contato:",
        ),
        report.query.paid_within_days,
        op.t("Channel", "Canal", "Canal"),
    );
    for label in labels {
        let _ = write!(
            html,
            "<th scope=\"col\" class=\"num\">{}</th>",
            escape(label)
        );
    }
    html.push_str("</tr></thead><tbody>");
    for row in &rows {
        let counts = stages(row);
        let _ = write!(
            html,
            "<tr data-channel=\"{}\"><th scope=\"row\">{}</th>",
            escape(&row.channel),
            escape(&channel_label(op, &row.channel))
        );
        for (i, n) in counts.iter().enumerate() {
            let conversion = if i == 0 {
                String::new()
            } else {
                format!(
                    "<span class=\"conversion\">{}</span>",
                    escape(&percent(op, ratio(*n, counts[0])))
                )
            };
            let _ = write!(
                html,
                "<td class=\"num\">{}{}</td>",
                escape(&count(op, *n)),
                conversion
            );
        }
        html.push_str("</tr>");
    }
    html.push_str("</tbody></table></div>");
    html.push_str(&csv_link(op, PATH, params, None));
    html.push_str("</section>");
    html
}

/// `GET /app/funnel`.
pub async fn show(
    State(state): State<AppState>,
    op: Operator,
    RawQuery(raw): RawQuery,
) -> Response {
    let title = op.t("Channel funnel", "Embudo por canal", "Funil por canal");
    kpi_page(
        &state,
        &op,
        Nav::Funnel,
        PATH,
        title,
        raw,
        |op, params, report| (String::new(), body(op, params, report)),
    )
    .await
}

/// `GET /app/funnel.csv`.
pub async fn csv(State(state): State<AppState>, op: Operator, RawQuery(raw): RawQuery) -> Response {
    kpi_csv(&state, &op, raw, |params, report| {
        let rows = report
            .funnel
            .iter()
            .map(|r| {
                vec![
                    r.channel.clone(),
                    r.sent.to_string(),
                    r.delivered.to_string(),
                    r.opened.to_string(),
                    r.clicked.to_string(),
                    r.replied.to_string(),
                    r.paid.to_string(),
                    csv_percent(ratio(r.delivered, r.sent)),
                    csv_percent(ratio(r.opened, r.sent)),
                    csv_percent(ratio(r.clicked, r.sent)),
                    csv_percent(ratio(r.replied, r.sent)),
                    csv_percent(ratio(r.paid, r.sent)),
                ]
            })
            .collect();
        (
            csv_name("funnel", params),
            vec![
                "channel",
                "sent",
                "delivered",
                "opened",
                "clicked",
                "replied",
                "paid",
                "delivered_pct",
                "opened_pct",
                "clicked_pct",
                "replied_pct",
                "paid_pct",
            ],
            rows,
        )
    })
    .await
}
