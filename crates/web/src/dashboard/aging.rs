//! `/app/aging`: the open balance by days past due as of the period's end (a bar chart of the
//! six buckets and their table) and the recovery of each placement cohort.

use std::fmt::Write as _;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use recaudo_domain::kpis::{Bucket, KpiReport};
use rust_decimal::Decimal;
use serde_json::json;

use super::layout::{Nav, escape};
use super::overview::{
    KpiParams, amount, chart, count, csv_amount, csv_link, csv_name, csv_percent, empty_note,
    kpi_csv, kpi_page, percent,
};
use super::session::Operator;
use crate::AppState;

const PATH: &str = "/app/aging";

/// A bucket as the operator reads it.
pub fn bucket_label(op: &Operator, bucket: Bucket) -> String {
    match bucket {
        Bucket::Current => op.t("Current", "Al día", "Em dia").to_string(),
        Bucket::Over120 => format!("120+ {}", op.t("days", "días", "dias")),
        other => format!("{} {}", other.label(), op.t("days", "días", "dias")),
    }
}

/// An amount as a chart number.
fn chart_number(value: Decimal) -> f64 {
    value.to_string().parse::<f64>().unwrap_or(0.0)
}

fn body(op: &Operator, params: &KpiParams, report: &KpiReport) -> String {
    let f = &report.total;
    let currency = params.currency;
    let total: Decimal = f.aging.iter().map(|r| r.amount).sum();
    let debts: u64 = f.aging.iter().map(|r| r.debts).sum();
    let mut html = format!(
        "<section class=\"kpi-aging\"><h2>{} {}</h2>",
        op.t(
            "Open balance as of",
            "Saldo abierto al",
            "Saldo em aberto em"
        ),
        escape(&params.to.to_string())
    );
    if debts == 0 {
        html.push_str(&empty_note(
            op,
            op.t(
                "There was no open balance at the end of this period.",
                "No había saldo abierto al final de este período.",
                "Não havia saldo em aberto no fim deste período.",
            ),
        ));
    } else {
        let config = json!({
            "type": "bar",
            "data": {
                "labels": f.aging.iter().map(|r| bucket_label(op, r.bucket)).collect::<Vec<_>>(),
                "datasets": [{
                    "label": format!("{} ({})", op.t("Amount", "Monto", "Valor"), currency.code()),
                    "data": f.aging.iter().map(|r| chart_number(r.amount)).collect::<Vec<_>>(),
                    "backgroundColor": ["#2e8b57", "#9acd32", "#e0b000", "#e07b00", "#d04a1a",
                                        "#9b1c1c"],
                }],
            },
            "options": {
                "responsive": true,
                "maintainAspectRatio": false,
                "animation": false,
                "plugins": { "legend": { "display": false } },
                "scales": { "y": { "beginAtZero": true } },
            },
        });
        html.push_str(&chart(
            &config,
            op.t(
                "Open balance by days past due",
                "Saldo abierto por días de atraso",
                "Saldo em aberto por dias de atraso",
            ),
        ));
    }
    let _ = write!(
        html,
        "<div class=\"table-wrap\"><table class=\"data\" id=\"aging-table\"><caption>{}</caption>\
         <thead><tr><th scope=\"col\">{}</th><th scope=\"col\" class=\"num\">{}</th>\
         <th scope=\"col\" class=\"num\">{}</th><th scope=\"col\" class=\"num\">{}</th></tr>\
         </thead><tbody>",
        op.t(
            "Aging buckets at the end of the period",
            "Tramos de atraso al final del período",
            "Faixas de atraso no fim do período",
        ),
        op.t("Days past due", "Días de atraso", "Dias de atraso"),
        op.t("Debts", "Deudas", "Dívidas"),
        op.t("Amount", "Monto", "Valor"),
        op.t("Share", "Participación", "Participação"),
    );
    for row in &f.aging {
        let share = if total.is_zero() {
            None
        } else {
            Some(chart_number(row.amount) / chart_number(total))
        };
        let _ = write!(
            html,
            "<tr data-bucket=\"{}\"><th scope=\"row\">{}</th><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            bucket_key(row.bucket),
            escape(&bucket_label(op, row.bucket)),
            escape(&count(op, row.debts)),
            escape(&amount(op, row.amount, currency)),
            escape(&percent(op, share)),
        );
    }
    let _ = write!(
        html,
        "</tbody><tfoot><tr><th scope=\"row\">{}</th><td class=\"num\">{}</td>\
         <td class=\"num\">{}</td><td class=\"num\"></td></tr></tfoot></table></div>",
        op.t("Total", "Total", "Total"),
        escape(&count(op, debts)),
        escape(&amount(op, total, currency)),
    );
    html.push_str(&csv_link(op, PATH, params, None));
    html.push_str("</section>");

    let _ = write!(
        html,
        "<section class=\"kpi-cohorts\"><h2>{}</h2>",
        op.t(
            "Recovery by placement cohort",
            "Recuperación por cohorte de asignación",
            "Recuperação por coorte de alocação",
        )
    );
    if f.recovery_by_cohort.is_empty() {
        html.push_str(&empty_note(
            op,
            op.t(
                "No debt had been placed in collection by the end of this period.",
                "Ninguna deuda había pasado a cobranza al final de este período.",
                "Nenhuma dívida tinha entrado em cobrança no fim deste período.",
            ),
        ));
    } else {
        let _ = write!(
            html,
            "<div class=\"table-wrap\"><table class=\"data\" id=\"cohort-table\"><caption>{}\
             </caption><thead><tr><th scope=\"col\">{}</th><th scope=\"col\" class=\"num\">{}</th>\
             <th scope=\"col\" class=\"num\">{}</th><th scope=\"col\" class=\"num\">{}</th></tr>\
             </thead><tbody>",
            op.t(
                "Collected up to the end of the period over the amount overdue at placement",
                "Recaudado hasta el final del período sobre el monto vencido al asignar",
                "Arrecadado até o fim do período sobre o valor vencido na alocação",
            ),
            op.t("Cohort (month)", "Cohorte (mes)", "Coorte (mês)"),
            op.t("Placed", "Asignado", "Alocado"),
            op.t("Collected", "Recaudado", "Arrecadado"),
            op.t(
                "Recovery rate",
                "Tasa de recuperación",
                "Taxa de recuperação"
            ),
        );
        for cohort in &f.recovery_by_cohort {
            let _ = write!(
                html,
                "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td></tr>",
                escape(&cohort.cohort),
                escape(&amount(op, cohort.placed, currency)),
                escape(&amount(op, cohort.collected, currency)),
                escape(&percent(op, cohort.rate)),
            );
        }
        html.push_str("</tbody></table></div>");
        html.push_str(&csv_link(op, PATH, params, Some("cohorts")));
    }
    html.push_str("</section>");
    html
}

/// A bucket's stable key (CSV, test hooks).
pub fn bucket_key(bucket: Bucket) -> &'static str {
    match bucket {
        Bucket::Current => "current",
        Bucket::D1To30 => "1-30",
        Bucket::D31To60 => "31-60",
        Bucket::D61To90 => "61-90",
        Bucket::D91To120 => "91-120",
        Bucket::Over120 => "120+",
    }
}

/// `GET /app/aging`.
pub async fn show(
    State(state): State<AppState>,
    op: Operator,
    RawQuery(raw): RawQuery,
) -> Response {
    let title = op.t("Aging", "Antigüedad de saldos", "Aging da carteira");
    kpi_page(
        &state,
        &op,
        Nav::Aging,
        PATH,
        title,
        raw,
        |op, params, report| (String::new(), body(op, params, report)),
    )
    .await
}

/// `GET /app/aging.csv`: the buckets, or with `table=cohorts` the cohort recovery.
pub async fn csv(State(state): State<AppState>, op: Operator, RawQuery(raw): RawQuery) -> Response {
    kpi_csv(&state, &op, raw, |params, report| {
        let currency = params.currency;
        let f = &report.total;
        if params.table.as_deref() == Some("cohorts") {
            let rows = f
                .recovery_by_cohort
                .iter()
                .map(|c| {
                    vec![
                        c.cohort.clone(),
                        csv_amount(c.placed, currency),
                        csv_amount(c.collected, currency),
                        csv_percent(c.rate),
                    ]
                })
                .collect();
            (
                csv_name("cohorts", params),
                vec!["cohort", "placed", "collected", "recovery_rate_pct"],
                rows,
            )
        } else {
            let rows = f
                .aging
                .iter()
                .map(|r| {
                    vec![
                        bucket_key(r.bucket).to_string(),
                        r.debts.to_string(),
                        csv_amount(r.amount, currency),
                    ]
                })
                .collect();
            (
                csv_name("aging", params),
                vec!["bucket", "debts", "amount"],
                rows,
            )
        }
    })
    .await
}
