//! `/app/rolls`: the roll-rate matrix. Each row is the balance of one aging bucket at the
//! period's start; its cells say which share of it sat in each bucket at the period's end, or
//! was paid. The roll-forward column is the share that moved one bucket worse; the cure rate is
//! the share of past-due balances that came back to current or were paid.

use std::fmt::Write as _;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use recaudo_domain::kpis::{Bucket, KpiReport};

use super::aging::{bucket_key, bucket_label};
use super::layout::{Nav, escape};
use super::overview::{
    KpiParams, amount, count, csv_amount, csv_link, csv_name, csv_percent, empty_note, kpi_csv,
    kpi_page, percent,
};
use super::session::Operator;
use crate::AppState;

const PATH: &str = "/app/rolls";

/// The shade class of a share: `shade-0` (none) … `shade-9` (nearly all).
pub fn shade(share: Option<f64>) -> &'static str {
    const SHADES: [&str; 10] = [
        "shade-0", "shade-1", "shade-2", "shade-3", "shade-4", "shade-5", "shade-6", "shade-7",
        "shade-8", "shade-9",
    ];
    match share.filter(|s| s.is_finite() && *s > 0.0) {
        None => SHADES[0],
        // 0 < share: at least shade-1, so a small flow stays visible.
        Some(s) => {
            let step = (s * 10.0).ceil().clamp(1.0, 9.0);
            // Within 1..=9 after the clamp.
            SHADES[step as usize]
        }
    }
}

fn body(op: &Operator, params: &KpiParams, report: &KpiReport) -> String {
    let f = &report.total;
    let currency = params.currency;
    let mut html = format!(
        "<section class=\"kpi-rolls\"><p class=\"kpi-summary\">{}: <strong id=\"cure-rate\">{}\
         </strong></p>",
        op.t("Cure rate", "Tasa de normalización", "Taxa de cura"),
        escape(&percent(op, f.cure_rate)),
    );
    let opening: u64 = f.roll_rates.iter().map(|r| r.debts).sum();
    if opening == 0 {
        html.push_str(&empty_note(
            op,
            op.t(
                "There was no open balance at the start of this period to follow.",
                "No había saldo abierto al inicio de este período para seguir.",
                "Não havia saldo em aberto no início deste período para acompanhar.",
            ),
        ));
        html.push_str("</section>");
        return html;
    }
    let _ = write!(
        html,
        "<div class=\"table-wrap\"><table class=\"data roll-matrix\" id=\"roll-table\">\
         <caption>{}</caption><thead><tr><th scope=\"col\">{}</th>\
         <th scope=\"col\" class=\"num\">{}</th><th scope=\"col\" class=\"num\">{}</th>",
        op.t(
            "Where each bucket's balance at the start of the period was at its end",
            "Dónde estaba al final del período el saldo de cada tramo al inicio",
            "Onde estava no fim do período o saldo de cada faixa no início",
        ),
        op.t("At the start", "Al inicio", "No início"),
        op.t("Debts", "Deudas", "Dívidas"),
        op.t("Amount", "Monto", "Valor"),
    );
    for bucket in Bucket::ALL {
        let _ = write!(
            html,
            "<th scope=\"col\" class=\"num\">→ {}</th>",
            escape(&bucket_label(op, bucket))
        );
    }
    let _ = write!(
        html,
        "<th scope=\"col\" class=\"num\">→ {}</th><th scope=\"col\" class=\"num\">{}</th></tr>\
         </thead><tbody>",
        op.t("Paid", "Pagado", "Pago"),
        op.t("Roll forward", "Empeoró un tramo", "Piorou uma faixa"),
    );
    for row in &f.roll_rates {
        let _ = write!(
            html,
            "<tr data-bucket=\"{}\"><th scope=\"row\">{}</th><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td>",
            bucket_key(row.from),
            escape(&bucket_label(op, row.from)),
            escape(&count(op, row.debts)),
            escape(&amount(op, row.amount, currency)),
        );
        for share in row.to.iter().take(Bucket::ALL.len() + 1) {
            let _ = write!(
                html,
                "<td class=\"num cell {}\">{}</td>",
                shade(*share),
                escape(&percent(op, *share)),
            );
        }
        let _ = write!(
            html,
            "<td class=\"num cell {}\">{}</td></tr>",
            shade(row.roll_forward),
            escape(&percent(op, row.roll_forward)),
        );
    }
    html.push_str("</tbody></table></div>");
    html.push_str(&csv_link(op, PATH, params, None));
    html.push_str("</section>");
    html
}

/// `GET /app/rolls`.
pub async fn show(
    State(state): State<AppState>,
    op: Operator,
    RawQuery(raw): RawQuery,
) -> Response {
    let title = op.t("Roll rates", "Tasas de rodamiento", "Taxas de rolagem");
    kpi_page(
        &state,
        &op,
        Nav::Rolls,
        PATH,
        title,
        raw,
        |op, params, report| (String::new(), body(op, params, report)),
    )
    .await
}

/// `GET /app/rolls.csv`.
pub async fn csv(State(state): State<AppState>, op: Operator, RawQuery(raw): RawQuery) -> Response {
    kpi_csv(&state, &op, raw, |params, report| {
        let currency = params.currency;
        let rows = report
            .total
            .roll_rates
            .iter()
            .map(|row| {
                let mut out = vec![
                    bucket_key(row.from).to_string(),
                    row.debts.to_string(),
                    csv_amount(row.amount, currency),
                ];
                for i in 0..=Bucket::ALL.len() {
                    out.push(csv_percent(row.to.get(i).copied().flatten()));
                }
                out.push(csv_percent(row.roll_forward));
                out
            })
            .collect();
        (
            csv_name("roll-rates", params),
            vec![
                "from_bucket",
                "debts",
                "amount",
                "to_current_pct",
                "to_1_30_pct",
                "to_31_60_pct",
                "to_61_90_pct",
                "to_91_120_pct",
                "to_120_plus_pct",
                "paid_pct",
                "roll_forward_pct",
            ],
            rows,
        )
    })
    .await
}
