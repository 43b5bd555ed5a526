//! `GET/POST /p/{token}/dispute` (multipart): the debtor disputes all their open debts or one,
//! with a reason, their words (≤ 2000 characters) and optional evidence: a PDF, PNG or JPEG
//! recognised by its first bytes (never by its name or declared type), at most 5 MiB. Each
//! debt gets a dispute (collection stops), the evidence is kept with it, and one task goes to
//! the `disputes` queue. Bad input is the form again (422), nothing stored.

use axum::extract::Query;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use recaudo_domain::portfolio::{Debt, DebtStatus};
use recaudo_store::{NewEvidence, NewPortalTask, StoreError};

use super::context::PortalCtx;
use super::layout::{
    escape, field_error, form_start_multipart, page, page_status, unavailable_page,
};
use super::promise::{chosen, debt_choice};
use super::security::{CSRF_FIELD, check_csrf, see_other};
use super::text::t;

/// The largest evidence file: 5 MiB.
pub const EVIDENCE_MAX_BYTES: usize = 5 * 1024 * 1024;

/// The largest dispute form body (the file and the fields around it).
pub const BODY_LIMIT: usize = EVIDENCE_MAX_BYTES + 512 * 1024;

/// The longest text a debtor writes.
pub const TEXT_MAX_CHARS: usize = 2000;

/// The agent queue and script of the tasks disputes make.
const QUEUE: &str = "disputes";
const SCRIPT: &str = "review_dispute";

#[derive(Debug, Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// The content type of an evidence file, read from its first bytes: PDF, PNG or JPEG only.
pub fn evidence_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        recaudo_store::image_type(bytes)
    }
}

/// Debts a dispute can be opened on: open ones not already disputed.
fn disputable(ctx: &PortalCtx) -> Vec<&Debt> {
    ctx.debts
        .iter()
        .filter(|d| d.status != DebtStatus::Disputed)
        .collect()
}

/// What the form sent.
#[derive(Default)]
struct Sent {
    csrf: String,
    reason: String,
    text: String,
    debt: Option<String>,
    /// File name and bytes, when a file was chosen.
    file: Option<(String, Vec<u8>)>,
    too_big: bool,
}

/// Reads the multipart form, keeping at most [`EVIDENCE_MAX_BYTES`] + 1 of the file. `None`
/// when the body is not a readable form.
async fn read(mut multipart: Multipart) -> Option<Sent> {
    let mut sent = Sent::default();
    while let Some(mut field) = multipart.next_field().await.ok()? {
        let name = field.name().unwrap_or("").to_string();
        if name == "evidence" {
            let filename = field.file_name().unwrap_or("").to_string();
            let mut bytes = Vec::new();
            while let Some(chunk) = field.chunk().await.ok()? {
                if bytes.len() + chunk.len() > EVIDENCE_MAX_BYTES {
                    sent.too_big = true;
                    // Drain the rest without keeping it.
                    while field.chunk().await.ok()?.is_some() {}
                    break;
                }
                bytes.extend_from_slice(&chunk);
            }
            if !bytes.is_empty() || sent.too_big {
                sent.file = Some((filename, bytes));
            }
            continue;
        }
        let value = field.text().await.ok()?;
        match name.as_str() {
            CSRF_FIELD => sent.csrf = value,
            "reason" => sent.reason = value,
            "text" => sent.text = value,
            "debt" => sent.debt = Some(value),
            _ => {}
        }
    }
    Some(sent)
}

fn form_page(ctx: &PortalCtx, status: StatusCode, sent: &Sent, error: Option<&str>) -> Response {
    let text = &t(ctx.lang).dispute;
    let debts = disputable(ctx);
    let mut body = format!("<h1>{}</h1>\n<p>{}</p>\n", text.title, text.intro);
    if debts.is_empty() {
        body.push_str(&format!("<p>{}</p>\n", t(ctx.lang).common.no_open_debts));
        return page_status(ctx, status, text.title, &body);
    }
    body.push_str(&error.map(|e| field_error("error", e)).unwrap_or_default());
    body.push_str(&form_start_multipart(ctx, "/dispute"));
    let described = |hint: &str| match error {
        Some(_) => format!(" aria-describedby=\"{hint} error\""),
        None => format!(" aria-describedby=\"{hint}\""),
    };
    let mut options = String::new();
    for (code, label) in text.reasons {
        let selected = if sent.reason == code { " selected" } else { "" };
        options.push_str(&format!(
            "<option value=\"{code}\"{selected}>{label}</option>\n"
        ));
    }
    body.push_str(&format!(
        "<div class=\"field\">\n<label for=\"dispute-reason\">{}</label>\n\
         <select id=\"dispute-reason\" name=\"reason\" required{}>\n{options}</select>\n</div>\n",
        text.reason,
        match error {
            Some(_) => " aria-describedby=\"error\"",
            None => "",
        },
    ));
    body.push_str(&format!(
        "<div class=\"field\">\n<label for=\"dispute-text\">{}</label>\n\
         <p class=\"hint\" id=\"dispute-text-hint\">{}</p>\n\
         <textarea id=\"dispute-text\" name=\"text\" maxlength=\"{TEXT_MAX_CHARS}\"{}>{}</textarea>\n</div>\n",
        text.text,
        text.text_hint,
        described("dispute-text-hint"),
        escape(&sent.text),
    ));
    body.push_str(&format!(
        "<div class=\"field\">\n<label for=\"dispute-evidence\">{}</label>\n\
         <p class=\"hint\" id=\"dispute-evidence-hint\">{}</p>\n\
         <input type=\"file\" id=\"dispute-evidence\" name=\"evidence\" \
         accept=\"application/pdf,image/png,image/jpeg\"{}>\n</div>\n",
        text.evidence,
        text.evidence_hint,
        described("dispute-evidence-hint"),
    ));
    body.push_str(&debt_choice(ctx, &debts, text.debts, "dispute"));
    body.push_str(&format!(
        "<button type=\"submit\">{}</button>\n</form>\n",
        text.submit
    ));
    page_status(ctx, status, text.title, &body)
}

/// `GET /p/{token}/dispute`: the form, or (after a post) the confirmation.
pub async fn form(ctx: PortalCtx, Query(done): Query<Done>) -> Response {
    let text = &t(ctx.lang).dispute;
    if done.done.is_some() {
        let body = format!(
            "<div id=\"confirmation\" role=\"status\">\n<h1>{}</h1>\n<p>{}</p>\n</div>\n",
            text.done_title, text.done
        );
        return page(&ctx, text.done_title, &body);
    }
    form_page(&ctx, StatusCode::OK, &Sent::default(), None)
}

/// `POST /p/{token}/dispute`.
pub async fn submit(ctx: PortalCtx, multipart: Result<Multipart, MultipartRejection>) -> Response {
    let text = &t(ctx.lang).dispute;
    let sent = match multipart {
        Ok(multipart) => read(multipart).await,
        Err(_) => None,
    };
    let Some(sent) = sent else {
        // Unreadable (or cut off at the body limit): the anti-forgery value was not read
        // either, so nothing is trusted and nothing changes.
        return form_page(
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            &Sent::default(),
            Some(text.too_big),
        );
    };
    if let Err(refused) = check_csrf(&ctx, &sent.csrf) {
        return refused;
    }
    let invalid =
        |message: &str| form_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &sent, Some(message));
    let Some((code, _)) = text.reasons.iter().find(|(code, _)| *code == sent.reason) else {
        return invalid(text.no_reason);
    };
    let words = sent.text.trim();
    if words.chars().count() > TEXT_MAX_CHARS {
        return invalid(text.too_long);
    }
    let evidence = match &sent.file {
        None => None,
        Some(_) if sent.too_big => return invalid(text.too_big),
        Some((name, bytes)) => match evidence_type(bytes) {
            Some(kind) => Some((name.clone(), kind, bytes.clone())),
            None => return invalid(text.bad_file),
        },
    };
    let debts = disputable(&ctx);
    let Some(debts) = chosen(&debts, sent.debt.as_deref()) else {
        return invalid(t(ctx.lang).common.choose_debt);
    };
    // The store keeps at most 2000 characters: the code, then the debtor's words.
    let reason: String = if words.is_empty() {
        code.to_string()
    } else {
        format!("{code}: {words}")
            .chars()
            .take(TEXT_MAX_CHARS)
            .collect()
    };
    let mut origin = ctx.origin();
    origin["reason_code"] = serde_json::json!(code);
    let mut opened = Vec::new();
    for debt in &debts {
        match ctx
            .ts
            .open_dispute_from(debt.id, &reason, &origin, ctx.now)
            .await
        {
            Ok((dispute, _)) => opened.push((dispute.id, debt.id)),
            // Paid or disputed since the page was read.
            Err(StoreError::Rule(_)) => {}
            Err(error) => {
                tracing::error!(%error, "a portal dispute could not be stored");
                return unavailable_page();
            }
        }
    }
    if opened.is_empty() {
        return invalid(text.refused);
    }
    if let Some((name, kind, bytes)) = &evidence {
        for (dispute, _) in &opened {
            let new = NewEvidence {
                dispute_id: *dispute,
                debtor_id: ctx.debtor.id,
                filename: if name.trim().is_empty() {
                    "evidence".to_string()
                } else {
                    name.clone()
                },
                content_type: kind.to_string(),
                bytes: bytes.clone(),
            };
            if let Err(error) = ctx.ts.add_dispute_evidence(new, ctx.now).await {
                tracing::error!(%error, "a dispute's evidence could not be stored");
                return unavailable_page();
            }
        }
    }
    let task = NewPortalTask {
        debtor_id: ctx.debtor.id,
        debt_id: opened.first().map(|(_, debt)| *debt),
        queue: QUEUE.to_string(),
        script: SCRIPT.to_string(),
        reason: format!(
            "dispute from the portal ({code}{}): review the claim",
            if evidence.is_some() {
                ", with evidence"
            } else {
                ""
            }
        ),
    };
    if let Err(error) = ctx.ts.create_portal_task(task, ctx.now).await {
        tracing::error!(%error, "a portal dispute's task could not be made");
        return unavailable_page();
    }
    tracing::info!(debtor = %ctx.debtor.id, disputes = opened.len(), "dispute opened in the portal");
    see_other(&format!("{}&done=1", ctx.href("/dispute")))
}
