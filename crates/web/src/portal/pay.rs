//! Paying from the portal (docs/payments.md, docs/portal.md):
//! - `GET/POST /p/{token}/pay`: the debts to pay (all, or one) and how (the tenant's payment
//!   accounts that take the debts' currency); the post starts a payment and answers 303 to it;
//! - `GET /p/{token}/pay/{intent}`: the payment: a PIX QR code with its "copia e cola" text, or
//!   a link to the provider's page (a link, not a form's redirect: the portal's CSP lets forms
//!   post only to the portal), then, once the provider reported it, the thanks;
//! - `GET /p/{token}/pay/{intent}/qr.png`: the QR image;
//! - `POST /p/{token}/pay/{intent}/simulate`: with the sandbox account only, pays as a PSP
//!   would report it (the demo's and a trial's way to see the whole flow; no money moves).

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use recaudo_domain::PaymentIntentId;
use recaudo_domain::portfolio::{Debt, Language};
use recaudo_engine::payments::{
    CheckoutUrls, PaymentAccount, PaymentFailure, PaymentStart, allocations_for,
    simulate_sandbox_paid, start_payment,
};
use recaudo_store::{IntentStatus, PaymentIntent, StoreError};

use super::context::PortalCtx;
use super::layout::{
    escape, field_error, form_start, not_found_page, page, page_status, unavailable_page,
};
use super::promise::{chosen, debt_choice};
use super::security::{CSRF_FIELD, check_csrf, field, form_fields, harden, see_other};
use crate::payhooks::accounts;

/// The pay pages' text in one language.
struct PayText {
    title: &'static str,
    intro: &'static str,
    debts: &'static str,
    method: &'static str,
    submit: &'static str,
    none: &'static str,
    pix_title: &'static str,
    pix_intro: &'static str,
    pix_qr_alt: &'static str,
    pix_copy: &'static str,
    pix_after: &'static str,
    redirect_title: &'static str,
    redirect_intro: &'static str,
    redirect_go: &'static str,
    amount: &'static str,
    check: &'static str,
    paid_title: &'static str,
    paid: &'static str,
    failed: &'static str,
    try_again: &'static str,
    simulate: &'static str,
    simulate_note: &'static str,
    choose_method: &'static str,
    refused: &'static str,
}

fn pay_text(lang: Language) -> &'static PayText {
    match lang {
        Language::Es => &PayText {
            title: "Pagar en línea",
            intro: "Elija qué desea pagar y cómo. El pago se hace en un entorno seguro.",
            debts: "¿Qué desea pagar?",
            method: "Forma de pago",
            submit: "Continuar",
            none: "El pago en línea no está disponible por ahora. Para pagar, comuníquese con nosotros por los canales de atención habituales.",
            pix_title: "Pague con PIX",
            pix_intro: "Escanee el código QR con la aplicación de su banco, o copie el código «copia e cola».",
            pix_qr_alt: "Código QR de PIX para pagar",
            pix_copy: "Código PIX «copia e cola»",
            pix_after: "Cuando su banco confirme el pago, esta página lo mostrará. Puede volver a consultarla en unos minutos.",
            redirect_title: "Continúe en la página de pago",
            redirect_intro: "Le llevaremos a la página segura del proveedor de pagos para completar el pago.",
            redirect_go: "Ir a la página de pago",
            amount: "Importe",
            check: "Ver el estado del pago",
            paid_title: "¡Gracias! Recibimos su pago",
            paid: "Su pago quedó registrado. Le enviaremos la confirmación. Muchas gracias por su confianza.",
            failed: "El pago no se completó. No se realizó ningún cargo por este intento.",
            try_again: "Intentar de nuevo",
            simulate: "Simular el pago (entorno de pruebas)",
            simulate_note: "Entorno de pruebas: no se mueve dinero.",
            choose_method: "Elija una forma de pago.",
            refused: "No pudimos iniciar el pago en este momento. Por favor, inténtelo de nuevo en unos minutos.",
        },
        Language::Pt => &PayText {
            title: "Pagar on-line",
            intro: "Escolha o que deseja pagar e como. O pagamento é feito em ambiente seguro.",
            debts: "O que você deseja pagar?",
            method: "Forma de pagamento",
            submit: "Continuar",
            none: "O pagamento on-line não está disponível no momento. Para pagar, fale conosco pelos canais de atendimento de costume.",
            pix_title: "Pague com PIX",
            pix_intro: "Leia o QR Code com o aplicativo do seu banco ou copie o código “copia e cola”.",
            pix_qr_alt: "QR Code PIX para pagamento",
            pix_copy: "Código PIX copia e cola",
            pix_after: "Quando o seu banco confirmar o pagamento, esta página vai mostrá-lo. Você pode consultá-la de novo em alguns minutos.",
            redirect_title: "Continue na página de pagamento",
            redirect_intro: "Vamos levar você à página segura do provedor de pagamentos para concluir o pagamento.",
            redirect_go: "Ir para a página de pagamento",
            amount: "Valor",
            check: "Ver a situação do pagamento",
            paid_title: "Obrigado! Recebemos o seu pagamento",
            paid: "Seu pagamento foi registrado. Enviaremos a confirmação. Muito obrigado pela confiança.",
            failed: "O pagamento não foi concluído. Nada foi cobrado por esta tentativa.",
            try_again: "Tentar de novo",
            simulate: "Simular o pagamento (ambiente de testes)",
            simulate_note: "Ambiente de testes: nenhum dinheiro é movimentado.",
            choose_method: "Escolha uma forma de pagamento.",
            refused: "Não conseguimos iniciar o pagamento agora. Por favor, tente de novo em alguns minutos.",
        },
        Language::En => &PayText {
            title: "Pay online",
            intro: "Choose what to pay and how. Payment takes place in a secure environment.",
            debts: "What would you like to pay?",
            method: "Payment method",
            submit: "Continue",
            none: "Online payment is not available at the moment. To pay, please contact us through the usual customer channels.",
            pix_title: "Pay with PIX",
            pix_intro: "Scan the QR code with your bank's app, or copy the “copia e cola” code.",
            pix_qr_alt: "PIX QR code to pay",
            pix_copy: "PIX “copia e cola” code",
            pix_after: "Once your bank confirms the payment, this page will show it. You may check it again in a few minutes.",
            redirect_title: "Continue on the payment page",
            redirect_intro: "We will take you to the payment provider's secure page to complete the payment.",
            redirect_go: "Go to the payment page",
            amount: "Amount",
            check: "Check the payment's status",
            paid_title: "Thank you! We received your payment",
            paid: "Your payment is recorded. We will send you a confirmation. Thank you for your trust.",
            failed: "The payment was not completed. Nothing was charged for this attempt.",
            try_again: "Try again",
            simulate: "Simulate the payment (test environment)",
            simulate_note: "Test environment: no money moves.",
            choose_method: "Choose a payment method.",
            refused: "We could not start the payment just now. Please try again in a few minutes.",
        },
    }
}

/// How a payment account is named to the debtor.
fn method_label(account: &PaymentAccount, lang: Language) -> &'static str {
    match (account.provider.kind(), lang) {
        ("pix", _) => "PIX",
        ("stripe", Language::Es) => "Tarjeta de crédito o débito",
        ("stripe", Language::Pt) => "Cartão de crédito ou débito",
        ("stripe", Language::En) => "Credit or debit card",
        ("mercadopago", _) => "Mercado Pago",
        (_, Language::Es) => "Pago de prueba (sandbox)",
        (_, Language::Pt) => "Pagamento de teste (sandbox)",
        (_, Language::En) => "Test payment (sandbox)",
    }
}

/// The debts that can be paid: the open ones with something left (the first's currency:
/// debts in another currency are paid on their own).
fn payable(ctx: &PortalCtx) -> Vec<&Debt> {
    let mut debts: Vec<&Debt> = ctx
        .debts
        .iter()
        .filter(|d| !d.balance.is_zero_or_less())
        .collect();
    if let Some(currency) = debts.first().map(|d| d.balance.currency) {
        debts.retain(|d| d.balance.currency == currency);
    }
    debts
}

/// The accounts offered for the payable debts.
async fn offered(ctx: &PortalCtx) -> Result<Vec<std::sync::Arc<PaymentAccount>>, StoreError> {
    let Some(currency) = payable(ctx).first().map(|d| d.balance.currency) else {
        return Ok(vec![]);
    };
    Ok(accounts(&ctx.state, &ctx.ts).await?.for_currency(currency))
}

fn form_page(
    ctx: &PortalCtx,
    status: StatusCode,
    offered: &[std::sync::Arc<PaymentAccount>],
    error: Option<&str>,
) -> Response {
    let text = pay_text(ctx.lang);
    let debts = payable(ctx);
    let mut body = format!("<h1>{}</h1>\n<p>{}</p>\n", text.title, text.intro);
    if debts.is_empty() || offered.is_empty() {
        let message = if debts.is_empty() {
            super::text::t(ctx.lang).common.no_open_debts
        } else {
            text.none
        };
        body.push_str(&format!("<p>{message}</p>\n"));
        return page_status(ctx, status, text.title, &body);
    }
    if let Some(error) = error {
        body.push_str(&field_error("error", error));
    }
    body.push_str(&form_start(ctx, "/pay"));
    body.push_str(&debt_choice(ctx, &debts, text.debts, "pay"));
    body.push_str(&format!("<fieldset>\n<legend>{}</legend>\n", text.method));
    for (i, account) in offered.iter().enumerate() {
        body.push_str(&format!(
            "<div class=\"choice\"><input type=\"radio\" name=\"account\" id=\"pay-method-{i}\" \
             value=\"{}\"{}><label for=\"pay-method-{i}\">{}</label></div>\n",
            escape(&account.name),
            if i == 0 { " checked" } else { "" },
            method_label(account, ctx.lang),
        ));
    }
    body.push_str(&format!(
        "</fieldset>\n<button type=\"submit\">{}</button>\n</form>\n",
        text.submit
    ));
    page_status(ctx, status, text.title, &body)
}

/// `GET /p/{token}/pay`.
pub async fn form(ctx: PortalCtx) -> Response {
    match offered(&ctx).await {
        Ok(offered) => form_page(&ctx, StatusCode::OK, &offered, None),
        Err(error) => {
            tracing::error!(%error, "the pay form could not be read");
            unavailable_page()
        }
    }
}

/// `POST /p/{token}/pay`: starts the payment and answers 303 to it.
pub async fn submit(ctx: PortalCtx, body: Bytes) -> Response {
    let text = pay_text(ctx.lang);
    let fields = form_fields(&body).unwrap_or_default();
    if let Err(refused) = check_csrf(&ctx, field(&fields, CSRF_FIELD).unwrap_or("")) {
        return refused;
    }
    let offered = match offered(&ctx).await {
        Ok(offered) => offered,
        Err(error) => {
            tracing::error!(%error, "the payment accounts could not be read");
            return unavailable_page();
        }
    };
    let invalid = |message: &str| {
        form_page(
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            &offered,
            Some(message),
        )
    };
    let Some(account) =
        field(&fields, "account").and_then(|name| offered.iter().find(|a| a.name == name))
    else {
        return invalid(text.choose_method);
    };
    let debts = payable(&ctx);
    let Some(debts) = chosen(&debts, field(&fields, "debt")) else {
        return invalid(super::text::t(ctx.lang).common.choose_debt);
    };
    let debts: Vec<Debt> = debts.into_iter().cloned().collect();
    let allocations = match allocations_for(&ctx.debtor, &debts) {
        Ok(allocations) => allocations,
        Err(_) => return invalid(super::text::t(ctx.lang).common.no_open_debts),
    };
    let references: Vec<&str> = debts.iter().map(|d| d.external_id.as_str()).collect();
    let description = format!("{} · {}", references.join(", "), ctx.tenant_name());
    let base = ctx
        .state
        .public_url
        .clone()
        .or_else(|| ctx.state.links.as_ref().map(|l| l.base_url().to_string()))
        .unwrap_or_default();
    let token = ctx.token.clone();
    let lang = ctx.lang.as_str();
    let tenant = ctx.ts.tenant().id;
    let account_name = account.name.clone();
    let urls = |intent: &PaymentIntent| CheckoutUrls {
        success: format!("{base}/p/{token}/pay/{}?lang={lang}", intent.id),
        cancel: format!("{base}/p/{token}/pay?lang={lang}"),
        notification: format!("{base}/payhooks/{tenant}/{account_name}"),
    };
    let start = PaymentStart {
        debtor: &ctx.debtor,
        allocations,
        description,
        origin: ctx.origin(),
    };
    match start_payment(&ctx.ts, account, start, urls, ctx.now).await {
        Ok(intent) => {
            tracing::info!(debtor = %ctx.debtor.id, intent = %intent.id, account = %account.name,
                "payment started in the portal");
            see_other(&ctx.href(&format!("/pay/{}", intent.id)))
        }
        Err(PaymentFailure::Store(error)) => {
            tracing::error!(%error, "a portal payment could not be stored");
            unavailable_page()
        }
        Err(error) => {
            tracing::warn!(%error, account = %account.name, "a portal payment could not start");
            invalid(text.refused)
        }
    }
}

/// The intent a path names, if it is this debtor's.
async fn own_intent(ctx: &PortalCtx, id: &str) -> Result<Option<PaymentIntent>, StoreError> {
    let Ok(id) = id.parse::<PaymentIntentId>() else {
        return Ok(None);
    };
    match ctx.ts.get_payment_intent(id).await {
        Ok(intent) if intent.debtor_id == ctx.debtor.id => Ok(Some(intent)),
        Ok(_) | Err(StoreError::NotFound { .. }) => Ok(None),
        Err(error) => Err(error),
    }
}

/// `GET /p/{token}/pay/{intent}`.
pub async fn intent_page(ctx: PortalCtx, Path((_, id)): Path<(String, String)>) -> Response {
    let text = pay_text(ctx.lang);
    let intent = match own_intent(&ctx, &id).await {
        Ok(Some(intent)) => intent,
        Ok(None) => return not_found_page(),
        Err(error) => {
            tracing::error!(%error, "a payment could not be read");
            return unavailable_page();
        }
    };
    let amount = format!(
        "<p>{}: <strong id=\"pay-amount\">{}</strong></p>\n",
        text.amount,
        escape(&ctx.money(&intent.amount))
    );
    let body = match intent.status {
        IntentStatus::Paid => {
            let body = format!(
                "<div id=\"confirmation\" role=\"status\">\n<h1>{}</h1>\n{amount}<p>{}</p>\n</div>\n",
                text.paid_title, text.paid
            );
            return page(&ctx, text.paid_title, &body);
        }
        IntentStatus::Failed => format!(
            "<h1>{}</h1>\n<p class=\"error\" id=\"error\" role=\"alert\">{}</p>\n\
             <p><a class=\"button\" href=\"{}\">{}</a></p>\n",
            text.title,
            text.failed,
            escape(&ctx.href("/pay")),
            text.try_again
        ),
        IntentStatus::Open => {
            let mut body = String::new();
            if let Some(brcode) = intent.action.get("pix").and_then(|v| v.as_str()) {
                body.push_str(&format!(
                    "<h1>{}</h1>\n<p>{}</p>\n{amount}\
                     <p class=\"qr\"><img id=\"pix-qr\" src=\"{}\" alt=\"{}\" width=\"264\" height=\"264\"></p>\n\
                     <div class=\"field\">\n<label for=\"pix-code\">{}</label>\n\
                     <textarea id=\"pix-code\" readonly rows=\"4\">{}</textarea>\n</div>\n\
                     <p>{}</p>\n",
                    text.pix_title,
                    text.pix_intro,
                    escape(&format!("/p/{}/pay/{}/qr.png", ctx.token, intent.id)),
                    text.pix_qr_alt,
                    text.pix_copy,
                    escape(brcode),
                    text.pix_after,
                ));
            } else if let Some(url) = intent
                .action
                .get("redirect")
                .and_then(|v| v.as_str())
                // The sandbox has no page of its own: its payment is simulated below.
                .filter(|_| intent.provider != "sandbox")
            {
                body.push_str(&format!(
                    "<h1>{}</h1>\n<p>{}</p>\n{amount}\
                     <p><a class=\"button\" id=\"pay-continue\" href=\"{}\" rel=\"noreferrer\">{}</a></p>\n",
                    text.redirect_title,
                    text.redirect_intro,
                    escape(url),
                    text.redirect_go
                ));
            } else if intent.provider == "sandbox" {
                // Without a page of its own the sandbox still says what is being paid.
                body.push_str(&format!("<h1>{}</h1>\n{amount}", text.title));
            }
            if intent.provider == "sandbox" {
                body.push_str(&form_start(&ctx, &format!("/pay/{}/simulate", intent.id)));
                body.push_str(&format!(
                    "<p class=\"hint\">{}</p>\n<button type=\"submit\" id=\"pay-simulate\">{}</button>\n</form>\n",
                    text.simulate_note, text.simulate
                ));
            }
            body.push_str(&format!(
                "<p><a href=\"{}\" id=\"pay-check\">{}</a></p>\n",
                escape(&ctx.href(&format!("/pay/{}", intent.id))),
                text.check
            ));
            body
        }
    };
    page(&ctx, text.title, &body)
}

/// `GET /p/{token}/pay/{intent}/qr.png`: the BR Code's QR image.
pub async fn qr(ctx: PortalCtx, Path((_, id)): Path<(String, String)>) -> Response {
    let intent = match own_intent(&ctx, &id).await {
        Ok(Some(intent)) => intent,
        Ok(None) => return not_found_page(),
        Err(error) => {
            tracing::error!(%error, "a payment could not be read");
            return unavailable_page();
        }
    };
    let Some(brcode) = intent.action.get("pix").and_then(|v| v.as_str()) else {
        return not_found_page();
    };
    match recaudo_payments::qr::png(brcode, 6) {
        Ok(png) => {
            let mut response = png.into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
            harden(headers, "no-store");
            response
        }
        Err(error) => {
            tracing::error!(%error, "a QR code could not be drawn");
            unavailable_page()
        }
    }
}

/// `POST /p/{token}/pay/{intent}/simulate`: the sandbox's PSP reports the intent paid, through
/// the same verification, reading and application as a real report.
pub async fn simulate(
    ctx: PortalCtx,
    Path((_, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let fields = form_fields(&body).unwrap_or_default();
    if let Err(refused) = check_csrf(&ctx, field(&fields, CSRF_FIELD).unwrap_or("")) {
        return refused;
    }
    let intent = match own_intent(&ctx, &id).await {
        Ok(Some(intent)) if intent.provider == "sandbox" => intent,
        Ok(_) => return not_found_page(),
        Err(error) => {
            tracing::error!(%error, "a payment could not be read");
            return unavailable_page();
        }
    };
    match simulate_paid(&ctx, &intent).await {
        Ok(()) => see_other(&ctx.href(&format!("/pay/{}", intent.id))),
        Err(error) => {
            tracing::error!(%error, "a sandbox payment could not be applied");
            unavailable_page()
        }
    }
}

async fn simulate_paid(ctx: &PortalCtx, intent: &PaymentIntent) -> Result<(), String> {
    let accounts = accounts(&ctx.state, &ctx.ts)
        .await
        .map_err(|e| e.to_string())?;
    let account = accounts
        .by_name(&intent.account)
        .ok_or("the sandbox account is gone")?;
    let event_id = format!("sandbox:{}", intent.id);
    simulate_sandbox_paid(&ctx.ts, account, intent, &event_id, ctx.now, ctx.now)
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}
