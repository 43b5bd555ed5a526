//! The tracking links messages carry (signed, see `recaudo_channels::links`): the open pixel
//! `GET /t/o/{token}`, the click redirect `GET /t/c/{token}` (to the portal), and unsubscribe
//! `GET|POST /t/u/{token}` (RFC 8058 one-click: mail providers POST
//! `List-Unsubscribe=One-Click`; the GET page asks first, because mail scanners fetch every
//! link they see and must not unsubscribe anyone).
//!
//! Each records what happened through the store's dedupe (`open:{contact}`, `click:{contact}`,
//! `unsubscribe:{contact}`), so a reload or a scanner's second fetch changes nothing.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use recaudo_channels::links::LinkPurpose;
use recaudo_channels::templates::locale_tag;
use recaudo_domain::portfolio::Language;
use recaudo_store::{TrackKind, Tracked};

use crate::AppState;
use crate::portal::{LinkError, Linked, escape, html_page, linked};

/// A transparent 1×1 GIF.
const PIXEL: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x01, 0x44, 0x00, 0x3b,
];

/// Records one report of a link about `linked`'s contact; a failure is logged, not shown (the
/// debtor's page or image does not depend on it).
async fn track(
    state: &AppState,
    linked: &Linked,
    kind: TrackKind,
    dedupe: &str,
    data: serde_json::Value,
) -> Result<(), recaudo_store::StoreError> {
    let report = Tracked {
        provider_message_id: None,
        contact_id: Some(linked.contact.id),
        kind,
        at: state.clock.now(),
        dedupe_key: format!("{dedupe}:{}", linked.contact.id),
        data,
    };
    linked.ts.apply_tracked(vec![report]).await.map(|_| ())
}

/// `GET /t/o/{token}`: the pixel, always; a genuine token records the first open.
pub async fn open(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    match linked(&state, LinkPurpose::Open, &token).await {
        Ok(linked) => {
            if let Err(error) = track(
                &state,
                &linked,
                TrackKind::Opened,
                "open",
                serde_json::json!({}),
            )
            .await
            {
                tracing::error!(%error, contact = %linked.contact.id, "an open could not be recorded");
            }
        }
        Err(LinkError::NotFound) => {}
        Err(LinkError::Store(error)) => {
            tracing::error!(%error, "an open could not be read");
        }
    }
    let mut response = (StatusCode::OK, PIXEL).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/gif"));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, max-age=0"),
    );
    response
}

/// `GET /t/c/{token}`: records the first click and sends the debtor on to the portal (never
/// anywhere a query names: that would be an open redirect).
pub async fn click(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let linked = match linked(&state, LinkPurpose::Click, &token).await {
        Ok(linked) => linked,
        Err(error) => return error.into_page(),
    };
    let Some(links) = &state.links else {
        return LinkError::NotFound.into_page();
    };
    let portal = links.url(LinkPurpose::Portal, linked.contact.id);
    if let Err(error) = track(
        &state,
        &linked,
        TrackKind::Clicked,
        "click",
        serde_json::json!({ "url": portal }),
    )
    .await
    {
        tracing::error!(%error, contact = %linked.contact.id, "a click could not be recorded");
    }
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    match HeaderValue::from_str(&portal) {
        Ok(location) => {
            headers.insert(header::LOCATION, location);
        }
        Err(_) => return LinkError::NotFound.into_page(),
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

/// The unsubscribe pages' text in one language.
struct UnsubscribeText {
    title: &'static str,
    question: &'static str,
    button: &'static str,
    not_now: &'static str,
    done_title: &'static str,
    done: &'static str,
}

fn unsubscribe_text(language: Language) -> UnsubscribeText {
    match language {
        Language::Es => UnsubscribeText {
            title: "Dejar de recibir mensajes",
            question: "¿Desea dejar de recibir mensajes de {tenant} en esta dirección?",
            button: "Sí, no quiero recibir más mensajes",
            not_now: "Si prefiere seguir recibiéndolos, simplemente cierre esta página: no se \
                      hará ningún cambio.",
            done_title: "Listo",
            done: "No recibirá más mensajes de {tenant} en esta dirección. Si fue un error, \
                   comuníquese con {tenant} para volver a recibirlos.",
        },
        Language::Pt => UnsubscribeText {
            title: "Deixar de receber mensagens",
            question: "Deseja deixar de receber mensagens de {tenant} neste endereço?",
            button: "Sim, não quero receber mais mensagens",
            not_now: "Se preferir continuar recebendo, basta fechar esta página: nada será \
                      alterado.",
            done_title: "Pronto",
            done: "Você não receberá mais mensagens de {tenant} neste endereço. Se foi um \
                   engano, fale com {tenant} para voltar a recebê-las.",
        },
        Language::En => UnsubscribeText {
            title: "Stop receiving messages",
            question: "Do you want to stop receiving messages from {tenant} at this address?",
            button: "Yes, send me no more messages",
            not_now: "If you would rather keep receiving them, just close this page: nothing \
                      will change.",
            done_title: "Done",
            done: "You will receive no more messages from {tenant} at this address. If this \
                   was a mistake, please contact {tenant} to receive them again.",
        },
    }
}

/// `GET /t/u/{token}`: asks to confirm; changes nothing.
pub async fn unsubscribe_page(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Response {
    let linked = match linked(&state, LinkPurpose::Unsubscribe, &token).await {
        Ok(linked) => linked,
        Err(error) => return error.into_page(),
    };
    let (language, country) = (linked.debtor.language, linked.debtor.country);
    let text = unsubscribe_text(language);
    let tenant = escape(&linked.tenant().name);
    // The form posts back to this very URL, with the body a one-click client sends.
    let body = format!(
        "<h1>{}</h1>\n<p>{}</p>\n<form method=\"post\">\n\
         <input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">\n\
         <button type=\"submit\">{}</button>\n</form>\n<p>{}</p>\n",
        text.title,
        text.question.replace("{tenant}", &tenant),
        text.button,
        text.not_now,
    );
    html_page(
        StatusCode::OK,
        locale_tag(language, country),
        text.title,
        &body,
    )
}

/// `POST /t/u/{token}`: opts the contact's address out (RFC 8058 one-click, or the page's form)
/// and confirms. Done twice, it confirms again and changes nothing.
pub async fn unsubscribe(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let linked = match linked(&state, LinkPurpose::Unsubscribe, &token).await {
        Ok(linked) => linked,
        Err(error) => return error.into_page(),
    };
    if let Err(error) = track(
        &state,
        &linked,
        TrackKind::Unsubscribed,
        "unsubscribe",
        serde_json::json!({ "source": "unsubscribe" }),
    )
    .await
    {
        // Never confirm an opt-out that was not stored.
        return LinkError::Store(error).into_page();
    }
    tracing::info!(contact = %linked.contact.id, "unsubscribed by link");
    let (language, country) = (linked.debtor.language, linked.debtor.country);
    let text = unsubscribe_text(language);
    let tenant = escape(&linked.tenant().name);
    let body = format!(
        "<h1>{}</h1>\n<p>{}</p>\n",
        text.done_title,
        text.done.replace("{tenant}", &tenant),
    );
    html_page(
        StatusCode::OK,
        locale_tag(language, country),
        text.done_title,
        &body,
    )
}
