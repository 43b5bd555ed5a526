//! `GET /p/{token}`: the greeting (first name only), the debtor's open debts (reference,
//! amount, due date, days late) with their invoices, the total per currency, receipts of paid
//! debts, the actions, and the tenant's contact line. A visit is recorded as `portal_visited`
//! at most once per link per local day.

use axum::response::Response;
use rust_decimal::Decimal;

use recaudo_domain::Money;
use recaudo_domain::portfolio::{DebtStatus, Debtor, DebtorKind};

use super::context::{PortalCtx, PortalLink};
use super::layout::{escape, page};
use super::text::t;

/// How the debtor is greeted: a person by first name, a business by its name.
pub fn greeting_name(debtor: &Debtor) -> &str {
    match debtor.kind {
        DebtorKind::Person => debtor.name.split_whitespace().next().unwrap_or(""),
        DebtorKind::Business => debtor.name.trim(),
    }
}

/// Adds `money` to the total of its currency: amounts in different currencies are never added.
pub fn add_to_totals(totals: &mut Vec<Money>, money: Money) {
    match totals.iter_mut().find(|t| t.currency == money.currency) {
        Some(total) => total.amount += money.amount,
        None => totals.push(money),
    }
}

/// `GET /p/{token}`.
pub async fn page_home(ctx: PortalCtx) -> Response {
    record_visit(&ctx).await;
    let text = t(ctx.lang);
    let h = &text.home;
    let title = h.title.replace("{tenant}", ctx.tenant_name());
    let mut body = format!("<h1>{}</h1>\n", escape(&title));
    let name = greeting_name(&ctx.debtor);
    if !name.is_empty() {
        body.push_str(&format!(
            "<p>{}</p>\n",
            h.hello.replace("{name}", &escape(name))
        ));
    }
    if ctx.debts.is_empty() {
        body.push_str(&format!("<p>{}</p>\n", text.common.no_open_debts));
    } else {
        body.push_str(&format!(
            "<p>{}</p>\n<table>\n<thead><tr><th scope=\"col\">{}</th>\
             <th scope=\"col\" class=\"num\">{}</th><th scope=\"col\">{}</th>\
             <th scope=\"col\" class=\"num\">{}</th></tr></thead>\n<tbody>\n",
            h.intro, h.reference, h.amount, h.due, h.days_late
        ));
        let mut totals: Vec<Money> = Vec::new();
        for debt in &ctx.debts {
            let late = debt.days_past_due(ctx.today);
            let late = if late > 0 {
                late.to_string()
            } else {
                h.not_late.to_string()
            };
            let status = match debt.status {
                DebtStatus::Disputed => format!("<br><span class=\"hint\">{}</span>", h.disputed),
                DebtStatus::Promised => format!("<br><span class=\"hint\">{}</span>", h.promised),
                _ => String::new(),
            };
            body.push_str(&format!(
                "<tr><td>{ref}{status}<br><a href=\"{invoice}\">{invoice_label}</a></td>\
                 <td class=\"num\">{amount}</td><td>{due}</td><td class=\"num\">{late}</td></tr>\n",
                r#ref = escape(&debt.external_id),
                invoice = escape(&ctx.href(&format!("/debts/{}/invoice.pdf", debt.id))),
                invoice_label = h.invoice,
                amount = escape(&ctx.money(&debt.balance)),
                due = ctx.date(debt.due_on),
            ));
            if debt.balance.amount > Decimal::ZERO {
                add_to_totals(&mut totals, debt.balance);
            }
        }
        let total = totals
            .iter()
            .map(|m| escape(&ctx.money(m)))
            .collect::<Vec<_>>()
            .join(" + ");
        body.push_str(&format!(
            "</tbody>\n<tfoot><tr><th scope=\"row\">{}</th><td class=\"num total\">{total}</td>\
             <td></td><td></td></tr></tfoot>\n</table>\n",
            h.total
        ));
    }
    body.push_str(&receipts(&ctx).await);
    body.push_str(&format!("<h2>{}</h2>\n<ul class=\"actions\">\n", h.actions));
    let mut action = |path: &str, label: &str| {
        body.push_str(&format!(
            "<li><a href=\"{}\">{label}</a></li>\n",
            escape(&ctx.href(path))
        ));
    };
    if !ctx.debts.is_empty() {
        if ctx.can_pay {
            action("/pay", h.pay);
        }
        if ctx.can_plan {
            action("/plan", h.plan);
        }
        action("/promise", h.promise);
        action("/dispute", h.dispute);
    }
    action("/preferences", h.preferences);
    action("/opt-out", h.optout);
    body.push_str("</ul>\n");
    page(&ctx, &title, &body)
}

/// Receipts of the payments on the debtor's debts (open and paid), newest first.
async fn receipts(ctx: &PortalCtx) -> String {
    let h = &t(ctx.lang).home;
    let mut rows = Vec::new();
    for debt in ctx.debts.iter().chain(ctx.paid.iter()) {
        match ctx.ts.list_payments(debt.id).await {
            Ok(payments) => {
                for payment in payments {
                    rows.push((payment, debt.external_id.clone()));
                }
            }
            Err(error) => tracing::error!(%error, "a debt's payments could not be read"),
        }
    }
    if rows.is_empty() {
        return String::new();
    }
    rows.sort_by_key(|row| std::cmp::Reverse(row.0.received_at));
    let mut html = format!("<h2>{}</h2>\n<ul>\n", h.paid_title);
    for (payment, reference) in rows {
        let day = payment.received_at.with_timezone(&ctx.tz).date_naive();
        html.push_str(&format!(
            "<li>{} · {} · {} · <a href=\"{}\">{}</a></li>\n",
            escape(&reference),
            escape(&ctx.money(&payment.amount)),
            ctx.date(day),
            escape(&ctx.href(&format!("/payments/{}/receipt.pdf", payment.id))),
            h.receipt
        ));
    }
    html.push_str("</ul>\n");
    html
}

/// Appends `portal_visited` unless this link was already visited today (the debtor's day); a
/// failure is logged, the page still shows.
async fn record_visit(ctx: &PortalCtx) {
    let data = serde_json::json!({
        "contact_id": ctx.contact_id(),
        "link": ctx.link_kind(),
        "issued_at": ctx.issued_at,
    });
    let debt = match &ctx.link {
        PortalLink::Contact(contact) => Some(contact.debt_id),
        PortalLink::Debtor => ctx.debts.first().map(|d| d.id),
    };
    if let Err(error) = ctx
        .ts
        .record_portal_visit(ctx.debtor.id, debt, data, ctx.today_start(), ctx.now)
        .await
    {
        tracing::error!(%error, "a portal visit could not be recorded");
    }
}
