//! `/app/experiments`: each strategy experiment's arms (debts, paid within 30 days, rate) and
//! the two-proportion test against the control arm (the first), with a plain-language verdict.

use std::fmt::Write as _;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use recaudo_domain::kpis::{ExperimentResult, KpiReport};

use super::layout::{Nav, escape};
use super::overview::{
    KpiParams, NO_FIGURE, count, csv_link, csv_name, csv_number, csv_percent, empty_note, kpi_csv,
    kpi_page, number, percent,
};
use super::session::Operator;
use crate::AppState;

const PATH: &str = "/app/experiments";

/// The verdict of an experiment, in words.
pub fn verdict(op: &Operator, result: &ExperimentResult) -> &'static str {
    if result.significant {
        op.t(
            "Significant at 95 %",
            "Significativo al 95 %",
            "Significativo a 95 %",
        )
    } else if result.p_value.is_none() {
        op.t(
            "Not enough data yet",
            "Todavía no hay datos suficientes",
            "Ainda não há dados suficientes",
        )
    } else {
        op.t(
            "Not yet significant",
            "Todavía no es significativo",
            "Ainda não é significativo",
        )
    }
}

fn experiment_html(op: &Operator, result: &ExperimentResult) -> String {
    let mut html = format!(
        "<article class=\"experiment\"><h2>{} · {}</h2>",
        escape(&result.strategy),
        escape(&result.experiment)
    );
    let _ = write!(
        html,
        "<div class=\"table-wrap\"><table class=\"data\"><caption>{}</caption><thead><tr>\
         <th scope=\"col\">{}</th><th scope=\"col\" class=\"num\">{}</th>\
         <th scope=\"col\" class=\"num\">{}</th><th scope=\"col\" class=\"num\">{}</th></tr>\
         </thead><tbody>",
        op.t(
            "Debts paid within 30 days of entering each arm; the first arm is the control",
            "Deudas pagadas dentro de los 30 días de entrar en cada brazo; el primero es el \
             control",
            "Dívidas pagas em até 30 dias após entrar em cada braço; o primeiro é o controle",
        ),
        op.t("Arm", "Brazo", "Braço"),
        op.t("Debts", "Deudas", "Dívidas"),
        op.t(
            "Paid within 30 days",
            "Pagadas en 30 días",
            "Pagas em 30 dias"
        ),
        op.t("Rate", "Tasa", "Taxa"),
    );
    for (i, arm) in result.arms.iter().enumerate() {
        let control = if i == 0 {
            format!(
                " <span class=\"tag\">{}</span>",
                op.t("control", "control", "controle")
            )
        } else {
            String::new()
        };
        let _ = write!(
            html,
            "<tr><th scope=\"row\">{}{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td></tr>",
            escape(&arm.arm),
            control,
            escape(&count(op, arm.debts)),
            escape(&count(op, arm.paid_within_30)),
            escape(&percent(op, arm.rate)),
        );
    }
    html.push_str("</tbody></table></div>");
    let z = result
        .z
        .filter(|z| z.is_finite())
        .map(|z| number(op, z, 2))
        .unwrap_or_else(|| NO_FIGURE.to_string());
    let p = result
        .p_value
        .filter(|p| p.is_finite())
        .map(|p| number(op, p, 4))
        .unwrap_or_else(|| NO_FIGURE.to_string());
    let _ = write!(
        html,
        "<p class=\"verdict {}\"><strong>{}</strong> · z = {} · p = {}</p></article>",
        if result.significant {
            "significant"
        } else {
            "not-significant"
        },
        escape(verdict(op, result)),
        escape(&z),
        escape(&p),
    );
    html
}

fn body(op: &Operator, params: &KpiParams, report: &KpiReport) -> String {
    let mut html = String::from("<section class=\"kpi-experiments\">");
    if report.experiments.is_empty() {
        html.push_str(&empty_note(
            op,
            op.t(
                "No strategy is running an experiment with debts in this period.",
                "Ninguna estrategia tiene un experimento con deudas en este período.",
                "Nenhuma estratégia tem um experimento com dívidas neste período.",
            ),
        ));
        html.push_str("</section>");
        return html;
    }
    let _ = write!(
        html,
        "<p class=\"kpi-summary\">{}</p>",
        op.t(
            "Each arm is compared with the control by a two-proportion z-test; the largest \
             difference is reported.",
            "Cada brazo se compara con el control mediante una prueba z de dos proporciones; \
             se informa la mayor diferencia.",
            "Cada braço é comparado com o controle por um teste z de duas proporções; a maior \
             diferença é informada.",
        )
    );
    for result in &report.experiments {
        html.push_str(&experiment_html(op, result));
    }
    html.push_str(&csv_link(op, PATH, params, None));
    html.push_str("</section>");
    html
}

/// `GET /app/experiments`.
pub async fn show(
    State(state): State<AppState>,
    op: Operator,
    RawQuery(raw): RawQuery,
) -> Response {
    let title = op.t("Experiments", "Experimentos", "Experimentos");
    kpi_page(
        &state,
        &op,
        Nav::Experiments,
        PATH,
        title,
        raw,
        |op, params, report| (String::new(), body(op, params, report)),
    )
    .await
}

/// `GET /app/experiments.csv`: one row per arm.
pub async fn csv(State(state): State<AppState>, op: Operator, RawQuery(raw): RawQuery) -> Response {
    kpi_csv(&state, &op, raw, |params, report| {
        let rows = report
            .experiments
            .iter()
            .flat_map(|e| {
                e.arms.iter().map(move |arm| {
                    vec![
                        e.strategy.clone(),
                        e.experiment.clone(),
                        arm.arm.clone(),
                        arm.debts.to_string(),
                        arm.paid_within_30.to_string(),
                        csv_percent(arm.rate),
                        csv_number(e.z, 4),
                        csv_number(e.p_value, 6),
                        e.significant.to_string(),
                    ]
                })
            })
            .collect();
        (
            csv_name("experiments", params),
            vec![
                "strategy",
                "experiment",
                "arm",
                "debts",
                "paid_within_30",
                "rate_pct",
                "z",
                "p_value",
                "significant",
            ],
            rows,
        )
    })
    .await
}
