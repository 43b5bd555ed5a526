//! `GET/POST /p/{token}/plan`: the debtor asks for an instalment plan within the tenant's rules
//! for their segment (docs/plans.md): how many instalments, the down payment, the first date.
//! The post either shows the schedule (`action=preview`: every payment with its date and amount,
//! the discount, the interest and the total) with a button to accept it, or accepts it
//! (`action=accept`: quoted again, stored, 303 to the confirmation). A request outside the
//! rules is the form again with the rule said (422), nothing stored.

use axum::body::Bytes;
use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Duration, NaiveDate};
use serde::Deserialize;

use recaudo_domain::Money;
use recaudo_domain::plans::{PlanError, PlanQuote, PlanRequest, PlanRules};
use recaudo_domain::portfolio::{Debt, DebtStatus, Language};
use recaudo_engine::plans::{PlanFailure, accept, quote_for};
use recaudo_store::StoreError;

use super::context::PortalCtx;
use super::layout::{escape, field_error, form_start, page, page_status, unavailable_page};
use super::promise::{chosen, debt_choice};
use super::security::{CSRF_FIELD, check_csrf, field, form_fields, see_other};
use super::text::t;

/// The plan page's text in one language.
struct PlanText {
    title: &'static str,
    intro: &'static str,
    debts: &'static str,
    instalments: &'static str,
    instalments_hint: &'static str,
    down_payment: &'static str,
    down_payment_hint: &'static str,
    first_due: &'static str,
    first_due_hint: &'static str,
    preview: &'static str,
    schedule_title: &'static str,
    number: &'static str,
    date: &'static str,
    amount: &'static str,
    down: &'static str,
    balance: &'static str,
    discount: &'static str,
    interest: &'static str,
    total: &'static str,
    accept: &'static str,
    change: &'static str,
    done_title: &'static str,
    done: &'static str,
    off: &'static str,
    bad_number: &'static str,
    bad_amount: &'static str,
    bad_date: &'static str,
    too_many: &'static str,
    none: &'static str,
    down_low: &'static str,
    down_high: &'static str,
    first_range: &'static str,
    too_small: &'static str,
    nothing: &'static str,
    refused: &'static str,
}

fn plan_text(lang: Language) -> &'static PlanText {
    match lang {
        Language::Es => &PlanText {
            title: "Pagar en cuotas",
            intro: "Proponga un plan de pagos a su medida. Antes de aceptarlo verá cada cuota con su fecha e importe.",
            debts: "¿Qué desea pagar en cuotas?",
            instalments: "Número de cuotas",
            instalments_hint: "Hasta {max} cuotas, además del pago inicial.",
            down_payment: "Pago inicial",
            down_payment_hint: "Al menos {min}, a pagar hoy.",
            first_due: "Fecha de la primera cuota",
            first_due_hint: "A más tardar el {date}.",
            preview: "Ver el calendario de pagos",
            schedule_title: "Su calendario de pagos",
            number: "Pago",
            date: "Fecha",
            amount: "Importe",
            down: "Pago inicial",
            balance: "Saldo",
            discount: "Descuento",
            interest: "Intereses",
            total: "Total del plan",
            accept: "Aceptar el plan",
            change: "Cambiar las condiciones",
            done_title: "Plan de pagos aceptado",
            done: "Gracias. Su plan quedó registrado; le recordaremos cada cuota unos días antes de su fecha.",
            off: "Por ahora no ofrecemos planes de pago en línea. Para acordar otra forma de pago, comuníquese con nosotros.",
            bad_number: "Indique un número de cuotas.",
            bad_amount: "Indique el pago inicial como un importe, por ejemplo 90,00.",
            bad_date: "Indique la fecha de la primera cuota.",
            too_many: "Puede elegir hasta {max} cuotas.",
            none: "Elija al menos una cuota.",
            down_low: "El pago inicial debe ser de al menos {amount}.",
            down_high: "El pago inicial debe ser menor que el total; como máximo {amount}.",
            first_range: "La primera cuota debe ser después de hoy y a más tardar el {date}.",
            too_small: "Cada cuota debe ser de al menos {amount}: elija menos cuotas.",
            nothing: "No hay importes pendientes para pagar en cuotas.",
            refused: "Estas cuentas ya no pueden pagarse en cuotas (pagadas, en disputa o con un plan).",
        },
        Language::Pt => &PlanText {
            title: "Pagar em parcelas",
            intro: "Proponha um plano de pagamento do seu jeito. Antes de aceitar, você verá cada parcela com data e valor.",
            debts: "O que você deseja parcelar?",
            instalments: "Número de parcelas",
            instalments_hint: "Até {max} parcelas, além da entrada.",
            down_payment: "Entrada",
            down_payment_hint: "No mínimo {min}, a pagar hoje.",
            first_due: "Data da primeira parcela",
            first_due_hint: "No máximo em {date}.",
            preview: "Ver o calendário de pagamentos",
            schedule_title: "Seu calendário de pagamentos",
            number: "Pagamento",
            date: "Data",
            amount: "Valor",
            down: "Entrada",
            balance: "Saldo",
            discount: "Desconto",
            interest: "Juros",
            total: "Total do plano",
            accept: "Aceitar o plano",
            change: "Mudar as condições",
            done_title: "Plano de pagamento aceito",
            done: "Obrigado. Seu plano foi registrado; vamos lembrar você de cada parcela alguns dias antes do vencimento.",
            off: "No momento não oferecemos planos de pagamento on-line. Para combinar outra forma de pagamento, fale conosco.",
            bad_number: "Informe o número de parcelas.",
            bad_amount: "Informe a entrada como um valor, por exemplo 90,00.",
            bad_date: "Informe a data da primeira parcela.",
            too_many: "Você pode escolher até {max} parcelas.",
            none: "Escolha pelo menos uma parcela.",
            down_low: "A entrada deve ser de pelo menos {amount}.",
            down_high: "A entrada deve ser menor que o total; no máximo {amount}.",
            first_range: "A primeira parcela deve ser depois de hoje e no máximo em {date}.",
            too_small: "Cada parcela deve ser de pelo menos {amount}: escolha menos parcelas.",
            nothing: "Não há valores pendentes para parcelar.",
            refused: "Estas contas não podem mais ser parceladas (pagas, em contestação ou já com um plano).",
        },
        Language::En => &PlanText {
            title: "Pay in instalments",
            intro: "Propose a payment plan that suits you. Before accepting it you will see each payment with its date and amount.",
            debts: "What would you like to pay in instalments?",
            instalments: "Number of instalments",
            instalments_hint: "Up to {max} instalments, besides the down payment.",
            down_payment: "Down payment",
            down_payment_hint: "At least {min}, due today.",
            first_due: "Date of the first instalment",
            first_due_hint: "On {date} at the latest.",
            preview: "See the payment schedule",
            schedule_title: "Your payment schedule",
            number: "Payment",
            date: "Date",
            amount: "Amount",
            down: "Down payment",
            balance: "Balance",
            discount: "Discount",
            interest: "Interest",
            total: "Plan total",
            accept: "Accept the plan",
            change: "Change the terms",
            done_title: "Payment plan accepted",
            done: "Thank you. Your plan is recorded; we will remind you of each instalment a few days before it is due.",
            off: "Online payment plans are not offered at the moment. To agree on another way to pay, please contact us.",
            bad_number: "Give a number of instalments.",
            bad_amount: "Give the down payment as an amount, for example 90.00.",
            bad_date: "Give the date of the first instalment.",
            too_many: "You may choose up to {max} instalments.",
            none: "Choose at least one instalment.",
            down_low: "The down payment must be at least {amount}.",
            down_high: "The down payment must be below the total, at most {amount}.",
            first_range: "The first instalment must fall after today and on {date} at the latest.",
            too_small: "Each instalment must be at least {amount}: choose fewer instalments.",
            nothing: "Nothing is pending to pay in instalments.",
            refused: "These accounts can no longer be paid in instalments (paid, disputed or already in a plan).",
        },
    }
}

#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// Debts a plan can cover: open or promised, of the first one's currency.
fn plannable(ctx: &PortalCtx) -> Vec<&Debt> {
    let mut debts: Vec<&Debt> = ctx
        .debts
        .iter()
        .filter(|d| matches!(d.status, DebtStatus::Open | DebtStatus::Promised))
        .filter(|d| !d.balance.is_zero_or_less())
        .collect();
    if let Some(currency) = debts.first().map(|d| d.balance.currency) {
        debts.retain(|d| d.balance.currency == currency);
    }
    debts
}

/// The tenant's rules for this debtor, `None` when plans are off.
async fn rules(ctx: &PortalCtx) -> Result<Option<PlanRules>, StoreError> {
    let set = ctx.ts.plan_rules().await?;
    Ok(set
        .enabled
        .then(|| set.for_segment(ctx.debtor.effective_segment()).clone()))
}

/// What the form holds, as typed.
#[derive(Default)]
struct Typed {
    debt: String,
    instalments: String,
    down_payment: String,
    first_due_on: String,
}

fn typed(fields: &[(String, String)]) -> Typed {
    let get = |name: &str| field(fields, name).unwrap_or("").trim().to_string();
    Typed {
        debt: get("debt"),
        instalments: get("instalments"),
        down_payment: get("down_payment"),
        first_due_on: get("first_due_on"),
    }
}

fn form_page(
    ctx: &PortalCtx,
    status: StatusCode,
    rules: &PlanRules,
    typed: &Typed,
    error: Option<&str>,
) -> Response {
    let text = plan_text(ctx.lang);
    let debts = plannable(ctx);
    let mut body = format!("<h1>{}</h1>\n<p>{}</p>\n", text.title, text.intro);
    let Some(first) = debts.first() else {
        body.push_str(&format!("<p>{}</p>\n", text.nothing));
        return page_status(ctx, status, text.title, &body);
    };
    let mut balance = Money::zero(first.balance.currency);
    for debt in &debts {
        balance.amount += debt.balance.amount;
    }
    let latest = ctx.today + Duration::days(i64::from(rules.first_due_max_days));
    if let Some(error) = error {
        body.push_str(&field_error("error", error));
    }
    body.push_str(&form_start(ctx, "/plan"));
    body.push_str(&debt_choice(ctx, &debts, text.debts, "plan"));
    let count = typed
        .instalments
        .parse::<u32>()
        .unwrap_or(rules.max_instalments.min(3));
    let mut options = String::new();
    for n in 1..=rules.max_instalments {
        options.push_str(&format!(
            "<option value=\"{n}\"{}>{n}</option>",
            if n == count { " selected" } else { "" }
        ));
    }
    let least_down = rules
        .min_down_payment(balance)
        .unwrap_or(Money::zero(balance.currency));
    let down = if typed.down_payment.is_empty() {
        least_down.amount_text()
    } else {
        typed.down_payment.clone()
    };
    let first_due = if typed.first_due_on.is_empty() {
        (ctx.today + Duration::days(i64::from(rules.first_due_max_days.min(30)))).to_string()
    } else {
        typed.first_due_on.clone()
    };
    body.push_str(&format!(
        "<div class=\"field\">\n<label for=\"plan-instalments\">{}</label>\n\
         <p class=\"hint\" id=\"plan-instalments-hint\">{}</p>\n\
         <select id=\"plan-instalments\" name=\"instalments\" aria-describedby=\"plan-instalments-hint\">{options}</select>\n</div>\n\
         <div class=\"field\">\n<label for=\"plan-down\">{}</label>\n\
         <p class=\"hint\" id=\"plan-down-hint\">{}</p>\n\
         <input type=\"text\" inputmode=\"decimal\" id=\"plan-down\" name=\"down_payment\" value=\"{}\" aria-describedby=\"plan-down-hint\">\n</div>\n\
         <div class=\"field\">\n<label for=\"plan-first\">{}</label>\n\
         <p class=\"hint\" id=\"plan-first-hint\">{}</p>\n\
         <input type=\"date\" id=\"plan-first\" name=\"first_due_on\" min=\"{}\" max=\"{latest}\" value=\"{}\" aria-describedby=\"plan-first-hint\">\n</div>\n\
         <button type=\"submit\" name=\"action\" value=\"preview\">{}</button>\n</form>\n",
        text.instalments,
        text.instalments_hint
            .replace("{max}", &rules.max_instalments.to_string()),
        text.down_payment,
        escape(&text.down_payment_hint.replace("{min}", &ctx.money(&least_down))),
        escape(&down),
        text.first_due,
        escape(&text.first_due_hint.replace("{date}", &ctx.date(latest))),
        ctx.today + Duration::days(1),
        escape(&first_due),
        text.preview,
    ));
    page_status(ctx, status, text.title, &body)
}

/// The schedule with the button to accept it (the same terms as hidden fields).
fn schedule_page(ctx: &PortalCtx, typed: &Typed, quote: &PlanQuote) -> Response {
    let text = plan_text(ctx.lang);
    let mut body = format!(
        "<h1>{}</h1>\n<table id=\"plan-schedule\">\n<thead><tr><th scope=\"col\">{}</th>\
         <th scope=\"col\">{}</th><th scope=\"col\" class=\"num\">{}</th></tr></thead>\n<tbody>\n",
        text.schedule_title, text.number, text.date, text.amount
    );
    for instalment in &quote.instalments {
        let label = if instalment.number == 0 {
            text.down.to_string()
        } else {
            instalment.number.to_string()
        };
        body.push_str(&format!(
            "<tr><td>{label}</td><td>{}</td><td class=\"num\">{}</td></tr>\n",
            ctx.date(instalment.due_on),
            escape(&ctx.money(&instalment.amount))
        ));
    }
    body.push_str("</tbody>\n</table>\n<dl class=\"summary\">\n");
    let mut line = |label: &str, money: &Money| {
        body.push_str(&format!(
            "<dt>{label}</dt><dd>{}</dd>\n",
            escape(&ctx.money(money))
        ));
    };
    line(text.balance, &quote.balance);
    if !quote.discount.is_zero_or_less() {
        line(text.discount, &quote.discount);
    }
    if !quote.interest.is_zero_or_less() {
        line(text.interest, &quote.interest);
    }
    line(text.total, &quote.total);
    body.push_str("</dl>\n");
    body.push_str(&form_start(ctx, "/plan"));
    for (name, value) in [
        ("debt", &typed.debt),
        ("instalments", &typed.instalments),
        ("down_payment", &typed.down_payment),
        ("first_due_on", &typed.first_due_on),
    ] {
        body.push_str(&format!(
            "<input type=\"hidden\" name=\"{name}\" value=\"{}\">\n",
            escape(value)
        ));
    }
    body.push_str(&format!(
        "<button type=\"submit\" name=\"action\" value=\"accept\" id=\"plan-accept\">{}</button>\n</form>\n\
         <p><a href=\"{}\">{}</a></p>\n",
        text.accept,
        escape(&ctx.href("/plan")),
        text.change
    ));
    page(ctx, text.schedule_title, &body)
}

/// `GET /p/{token}/plan`: the form, or (after accepting) the confirmation.
pub async fn form(ctx: PortalCtx, Query(done): Query<Done>) -> Response {
    let text = plan_text(ctx.lang);
    if done.done.is_some() {
        let body = format!(
            "<div id=\"confirmation\" role=\"status\">\n<h1>{}</h1>\n<p>{}</p>\n</div>\n",
            text.done_title, text.done
        );
        return page(&ctx, text.done_title, &body);
    }
    match rules(&ctx).await {
        Ok(Some(rules)) => form_page(&ctx, StatusCode::OK, &rules, &Typed::default(), None),
        Ok(None) => {
            let body = format!("<h1>{}</h1>\n<p>{}</p>\n", text.title, text.off);
            page(&ctx, text.title, &body)
        }
        Err(error) => {
            tracing::error!(%error, "the plan form could not be read");
            unavailable_page()
        }
    }
}

/// A rule broken, said in the page's language.
fn rule_message(ctx: &PortalCtx, error: &PlanError) -> String {
    let text = plan_text(ctx.lang);
    match error {
        PlanError::TooManyInstalments { max } => text.too_many.replace("{max}", &max.to_string()),
        PlanError::NoInstalments => text.none.to_string(),
        PlanError::DownPaymentTooLow { min } => text.down_low.replace("{amount}", &ctx.money(min)),
        PlanError::DownPaymentAboveTotal { max } => {
            text.down_high.replace("{amount}", &ctx.money(max))
        }
        PlanError::FirstDueOutOfRange { latest } => {
            text.first_range.replace("{date}", &ctx.date(*latest))
        }
        PlanError::InstalmentTooSmall { min } => {
            text.too_small.replace("{amount}", &ctx.money(min))
        }
        PlanError::NothingToPlan => text.nothing.to_string(),
        PlanError::Currency(_) => text.bad_amount.to_string(),
    }
}

/// `POST /p/{token}/plan`: the schedule (`action=preview`) or the plan accepted
/// (`action=accept`).
pub async fn submit(ctx: PortalCtx, body: Bytes) -> Response {
    let text = plan_text(ctx.lang);
    let fields = form_fields(&body).unwrap_or_default();
    if let Err(refused) = check_csrf(&ctx, field(&fields, CSRF_FIELD).unwrap_or("")) {
        return refused;
    }
    let rules = match rules(&ctx).await {
        Ok(Some(rules)) => rules,
        Ok(None) => {
            let body = format!("<h1>{}</h1>\n<p>{}</p>\n", text.title, text.off);
            return page_status(&ctx, StatusCode::UNPROCESSABLE_ENTITY, text.title, &body);
        }
        Err(error) => {
            tracing::error!(%error, "the plan rules could not be read");
            return unavailable_page();
        }
    };
    let typed = typed(&fields);
    let invalid = |message: &str| {
        form_page(
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            &rules,
            &typed,
            Some(message),
        )
    };
    let debts = plannable(&ctx);
    let Some(debts) = chosen(&debts, Some(typed.debt.as_str()).filter(|d| !d.is_empty())) else {
        return invalid(t(ctx.lang).common.choose_debt);
    };
    let Some(currency) = debts.first().map(|d| d.balance.currency) else {
        return invalid(text.nothing);
    };
    let Ok(instalments) = typed.instalments.parse::<u32>() else {
        return invalid(text.bad_number);
    };
    let amount = if typed.down_payment.contains('.') {
        typed.down_payment.clone()
    } else {
        typed.down_payment.replace(',', ".")
    };
    let Ok(down_payment) = Money::parse_amount(&amount, currency) else {
        return invalid(text.bad_amount);
    };
    let Ok(first_due_on) = NaiveDate::parse_from_str(&typed.first_due_on, "%Y-%m-%d") else {
        return invalid(text.bad_date);
    };
    let request = PlanRequest {
        instalments,
        down_payment,
        first_due_on,
    };
    let debts: Vec<Debt> = debts.into_iter().cloned().collect();
    let failure = |error: PlanFailure| match error {
        PlanFailure::Rule(rule) => invalid(&rule_message(&ctx, &rule)),
        PlanFailure::Disabled => invalid(text.off),
        PlanFailure::NoDebts => invalid(text.nothing),
        PlanFailure::NotEligible { .. } => invalid(text.refused),
        PlanFailure::Store(StoreError::Rule(_) | StoreError::Conflict { .. }) => {
            invalid(text.refused)
        }
        PlanFailure::Store(error) => {
            tracing::error!(%error, "a portal plan could not be stored");
            unavailable_page()
        }
    };
    if field(&fields, "action") == Some("accept") {
        match accept(
            &ctx.ts,
            &ctx.debtor,
            &debts,
            &request,
            ctx.origin(),
            ctx.now,
        )
        .await
        {
            Ok(plan) => {
                tracing::info!(debtor = %ctx.debtor.id, plan = %plan.id, "plan accepted in the portal");
                see_other(&format!("{}&done={}", ctx.href("/plan"), plan.id))
            }
            Err(error) => failure(error),
        }
    } else {
        match quote_for(&ctx.ts, &ctx.debtor, &debts, &request, ctx.today).await {
            Ok(quote) => schedule_page(&ctx, &typed, &quote),
            Err(error) => failure(error),
        }
    }
}
