//! The debtor's documents as PDF, made with the letter writer: `GET
//! /p/{token}/debts/{debt_id}/invoice.pdf` and `GET
//! /p/{token}/payments/{payment_id}/receipt.pdf`, in the page's language. Only the debtor's own
//! debts and payments: any other id answers the neutral not-found page.

use std::collections::HashMap;

use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use recaudo_channels::providers::letter::pdf::{Page, TextRun, write};
use recaudo_domain::portfolio::{Debt, Payment};

use super::context::PortalCtx;
use super::layout::{not_found_page, unavailable_page};
use super::security::harden;
use super::text::t;

/// A4 in points.
const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const LEFT: f32 = 56.0;

/// A one-page document: a bold heading block, then label/value lines.
fn document(
    ctx: &PortalCtx,
    title: &str,
    lines: &[(&str, String)],
    closing: Option<&str>,
) -> Vec<u8> {
    let mut runs = Vec::new();
    let mut y = HEIGHT - 72.0;
    let mut run = |y: f32, size: f32, bold: bool, x: f32, text: String| {
        runs.push(TextRun {
            x,
            y,
            size,
            bold,
            text,
        });
    };
    run(y, 16.0, true, LEFT, ctx.tenant_name().to_string());
    y -= 22.0;
    if let Some(support) = &ctx.settings.support {
        run(y, 9.0, false, LEFT, support.clone());
        y -= 14.0;
    }
    y -= 24.0;
    run(y, 14.0, true, LEFT, title.to_string());
    y -= 30.0;
    for (label, value) in lines {
        run(y, 11.0, true, LEFT, format!("{label}:"));
        run(y, 11.0, false, LEFT + 170.0, value.clone());
        y -= 18.0;
    }
    if let Some(closing) = closing {
        y -= 18.0;
        run(y, 11.0, false, LEFT, closing.to_string());
    }
    write(&[Page {
        width: WIDTH,
        height: HEIGHT,
        runs,
    }])
}

/// A PDF answer, never cached, named for download.
fn pdf(bytes: Vec<u8>, name: &str) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Ok(value) = HeaderValue::from_str(&format!("inline; filename=\"{safe}.pdf\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    harden(headers, "no-store");
    response
}

/// One of the debtor's debts (open or paid) by the id in the path.
fn own_debt<'a>(ctx: &'a PortalCtx, id: &str) -> Option<&'a Debt> {
    ctx.debts
        .iter()
        .chain(ctx.paid.iter())
        .find(|d| d.id.to_string() == id)
}

/// `GET /p/{token}/debts/{debt_id}/invoice.pdf`.
pub async fn invoice(ctx: PortalCtx, Path(params): Path<HashMap<String, String>>) -> Response {
    let Some(debt) = params.get("debt_id").and_then(|id| own_debt(&ctx, id)) else {
        return not_found_page();
    };
    let d = &t(ctx.lang).docs;
    let lines = [
        (d.debtor, ctx.debtor.name.clone()),
        (d.reference, debt.external_id.clone()),
        (d.issued, ctx.date(debt.issued_on)),
        (d.due, ctx.date(debt.due_on)),
        (d.original, ctx.money(&debt.original)),
        (d.balance, ctx.money(&debt.balance)),
    ];
    let bytes = document(&ctx, d.invoice_title, &lines, None);
    pdf(bytes, &format!("invoice-{}", debt.external_id))
}

/// `GET /p/{token}/payments/{payment_id}/receipt.pdf`.
pub async fn receipt(ctx: PortalCtx, Path(params): Path<HashMap<String, String>>) -> Response {
    let Some(wanted) = params.get("payment_id") else {
        return not_found_page();
    };
    let mut found: Option<(Payment, &Debt)> = None;
    for debt in ctx.debts.iter().chain(ctx.paid.iter()) {
        match ctx.ts.list_payments(debt.id).await {
            Ok(payments) => {
                if let Some(payment) = payments.into_iter().find(|p| p.id.to_string() == *wanted) {
                    found = Some((payment, debt));
                    break;
                }
            }
            Err(error) => {
                tracing::error!(%error, "a debt's payments could not be read");
                return unavailable_page();
            }
        }
    }
    let Some((payment, debt)) = found else {
        return not_found_page();
    };
    let d = &t(ctx.lang).docs;
    let day = payment.received_at.with_timezone(&ctx.tz).date_naive();
    let lines = [
        (d.debtor, ctx.debtor.name.clone()),
        (d.reference, debt.external_id.clone()),
        (d.paid_amount, ctx.money(&payment.amount)),
        (d.paid_on, ctx.date(day)),
        (d.method, payment.method.clone()),
        (d.balance, ctx.money(&debt.balance)),
    ];
    let bytes = document(&ctx, d.receipt_title, &lines, Some(d.thanks));
    pdf(bytes, &format!("receipt-{}", debt.external_id))
}
