//! `/app/outbox`: the tenant's contacts by state (planned, sending, sent, delivered, failed,
//! cancelled) under a filter of state, channel and scheduled days, each with its debtor, debt,
//! template, schedule in the debtor's zone, attempts and the last reason (the provider's error,
//! or why the rules deferred or cancelled it); cursor-paginated, exported as CSV.
//! `/app/outbox/{id}`: one contact, the message it carried and what happened to it.
//! `POST /app/outbox/{id}/retry` and `POST /app/outbox/retry` (every failed contact shown):
//! an agent or admin puts failed contacts back to be sent now; the dispatcher re-checks each
//! against the rules (quiet hours, caps, opt-outs) as it would any contact.

use std::collections::{BTreeMap, HashMap};

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use recaudo_domain::ContactId;
use recaudo_domain::outbox::ContactState;
use recaudo_domain::portfolio::Channel;
use recaudo_store::{
    OutboxCursor, OutboxEntry, OutboxFilter, OutboxLabel, StoreError, TimelineQuery,
};

use super::layout::{
    Nav, csv_response, escape, failure, form_start, money_of, not_found, page, page_status,
    redirect,
};
use super::session::{Operator, Role};
use crate::AppState;
use crate::portal::security::{field, fields, form_fields};

/// Contacts a page lists.
const PAGE_SIZE: i64 = 50;

/// Contacts a CSV export holds at most.
const CSV_MAX: usize = 20_000;

/// Contacts one bulk retry takes at most (the page's own).
const BULK_MAX: usize = 200;

/// The outbox list's query, as typed: bad values are shown next to their field.
#[derive(Debug, Default, Clone)]
struct Query {
    state: String,
    channel: String,
    from: String,
    to: String,
    after: String,
}

impl Query {
    fn parse(raw: Option<&str>) -> Query {
        let pairs: Vec<(String, String)> = raw
            .and_then(|q| serde_urlencoded::from_str(q).ok())
            .unwrap_or_default();
        let get = |name: &str| field(&pairs, name).unwrap_or("").trim().to_string();
        Query {
            state: get("state"),
            channel: get("channel"),
            from: get("from"),
            to: get("to"),
            after: get("after"),
        }
    }

    /// The query string of these filters (no page), `after` added when given.
    fn string(&self, after: Option<&str>) -> String {
        let mut pairs: Vec<(&str, &str)> = vec![];
        for (name, value) in [
            ("state", &self.state),
            ("channel", &self.channel),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if !value.is_empty() {
                pairs.push((name, value));
            }
        }
        if let Some(after) = after {
            pairs.push(("after", after));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// What is wrong with a filter, per field.
type FieldErrors = BTreeMap<&'static str, String>;

/// The store's filter for the query, or the faults of its fields.
fn filter_of(op: &Operator, query: &Query) -> Result<OutboxFilter, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut filter = OutboxFilter {
        by_schedule: true,
        limit: PAGE_SIZE,
        ..OutboxFilter::default()
    };
    if !query.state.is_empty() {
        match query.state.parse::<ContactState>() {
            Ok(state) => filter.state = Some(state.as_str().to_string()),
            Err(_) => {
                errors.insert(
                    "state",
                    op.t(
                        "Unknown state.",
                        "Estado desconocido.",
                        "Estado desconhecido.",
                    )
                    .into(),
                );
            }
        }
    }
    if !query.channel.is_empty() {
        match query.channel.parse::<Channel>() {
            Ok(channel) => filter.channel = Some(channel),
            Err(_) => {
                errors.insert(
                    "channel",
                    op.t(
                        "Unknown channel.",
                        "Canal desconocido.",
                        "Canal desconhecido.",
                    )
                    .into(),
                );
            }
        }
    }
    let tz: Tz = op
        .tenant
        .tenant()
        .timezone
        .parse()
        .unwrap_or(chrono_tz::UTC);
    let bad_date = || {
        op.t(
            "Write a date as YYYY-MM-DD.",
            "Escriba la fecha como AAAA-MM-DD.",
            "Escreva a data como AAAA-MM-DD.",
        )
        .to_string()
    };
    let mut from_day = None;
    if !query.from.is_empty() {
        match NaiveDate::parse_from_str(&query.from, "%Y-%m-%d") {
            Ok(day) => {
                from_day = Some(day);
                filter.scheduled_from = Some(day_start(tz, day));
            }
            Err(_) => {
                errors.insert("from", bad_date());
            }
        }
    }
    if !query.to.is_empty() {
        match NaiveDate::parse_from_str(&query.to, "%Y-%m-%d") {
            Ok(day) if from_day.is_some_and(|from| day < from) => {
                errors.insert(
                    "to",
                    op.t(
                        "The end cannot be before the start.",
                        "El fin no puede ser anterior al inicio.",
                        "O fim não pode ser anterior ao início.",
                    )
                    .into(),
                );
            }
            Ok(day) => {
                filter.scheduled_to = day.succ_opt().map(|next| day_start(tz, next));
            }
            Err(_) => {
                errors.insert("to", bad_date());
            }
        }
    }
    if !query.after.is_empty() {
        match query.after.parse::<OutboxCursor>() {
            Ok(cursor) => filter.after = Some(cursor),
            Err(_) => {
                errors.insert(
                    "after",
                    op.t(
                        "This page link is not valid; start from the first page.",
                        "Este enlace de página no es válido; empiece por la primera página.",
                        "Este link de página não é válido; comece pela primeira página.",
                    )
                    .into(),
                );
            }
        }
    }
    if errors.is_empty() {
        Ok(filter)
    } else {
        Err(errors)
    }
}

/// The first instant of a local day (the first that exists, across a DST gap).
fn day_start(tz: Tz, day: NaiveDate) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    (0..4)
        .find_map(|h| {
            tz.from_local_datetime(&(midnight + chrono::Duration::hours(h)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| midnight.and_utc())
}

/// `at` in the zone `tz` (an IANA name), as `2026-11-23 09:00`; in UTC when the zone is unknown.
fn local_time(at: DateTime<Utc>, tz: &str) -> String {
    match tz.parse::<Tz>() {
        Ok(tz) => at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
        Err(_) => at.format("%Y-%m-%d %H:%M UTC").to_string(),
    }
}

fn state_label(op: &Operator, state: &str) -> String {
    match state {
        "planned" => op.t("Planned", "Planificado", "Planejado").into(),
        "sending" => op.t("Sending", "Enviando", "Enviando").into(),
        "sent" => op.t("Sent", "Enviado", "Enviado").into(),
        "delivered" => op.t("Delivered", "Entregado", "Entregue").into(),
        "failed" => op.t("Failed", "Fallido", "Falhou").into(),
        "cancelled" => op.t("Cancelled", "Cancelado", "Cancelado").into(),
        other => other.to_string(),
    }
}

fn channel_label(op: &Operator, channel: Channel) -> &'static str {
    match channel {
        Channel::Email => op.t("E-mail", "Correo", "E-mail"),
        Channel::Sms => "SMS",
        Channel::Whatsapp => "WhatsApp",
        Channel::Voice => op.t("Voice", "Voz", "Voz"),
        Channel::Letter => op.t("Letter", "Carta", "Carta"),
    }
}

/// The last reason a contact carries: the provider's error, else why the rules deferred or
/// cancelled it (or that an operator asked for a retry).
fn reason_of(entry: &OutboxEntry) -> String {
    match (&entry.outcome, &entry.last_error) {
        (Some(outcome), Some(error)) if outcome != error => format!("{outcome}: {error}"),
        (_, Some(error)) => error.clone(),
        (Some(outcome), None) => outcome.clone(),
        (None, None) => String::new(),
    }
}

/// The labels of the entries' contacts by contact id.
async fn labels(
    op: &Operator,
    entries: &[OutboxEntry],
) -> Result<HashMap<ContactId, OutboxLabel>, StoreError> {
    let ids: Vec<ContactId> = entries.iter().map(|e| e.contact.id).collect();
    Ok(op
        .tenant
        .outbox_labels(&ids)
        .await?
        .into_iter()
        .map(|label| (label.contact_id, label))
        .collect())
}

/// `GET /app/outbox`.
pub async fn list(op: Operator, RawQuery(raw): RawQuery) -> Response {
    let query = Query::parse(raw.as_deref());
    let (filter, errors) = match filter_of(&op, &query) {
        Ok(filter) => (filter, FieldErrors::new()),
        Err(errors) => (
            OutboxFilter {
                by_schedule: true,
                limit: PAGE_SIZE,
                ..OutboxFilter::default()
            },
            errors,
        ),
    };
    let counted = op.tenant.outbox_state_counts(&filter).await;
    let listed = if errors.is_empty() {
        op.tenant.list_outbox(&filter).await
    } else {
        Ok(vec![])
    };
    let (counts, entries) = match (counted, listed) {
        (Ok(counts), Ok(entries)) => (counts, entries),
        (Err(e), _) | (_, Err(e)) => return failure(&op, &e),
    };
    let labels = match labels(&op, &entries).await {
        Ok(labels) => labels,
        Err(e) => return failure(&op, &e),
    };
    let mut body = String::new();
    body.push_str(&filter_form(&op, &query, &errors));
    body.push_str(&count_cards(&op, &query, &counts));
    let failed: Vec<&OutboxEntry> = entries
        .iter()
        .filter(|e| e.contact.state == ContactState::Failed)
        .collect();
    if op.can_write() && !failed.is_empty() {
        body.push_str(&form_start(&op, "/app/outbox/retry"));
        for entry in failed.iter().take(BULK_MAX) {
            body.push_str(&format!(
                "<input type=\"hidden\" name=\"id\" value=\"{}\">",
                entry.contact.id
            ));
        }
        body.push_str(&format!(
            "<input type=\"hidden\" name=\"back\" value=\"{}\">\
             <button type=\"submit\" id=\"retry-all\" class=\"secondary\">{} ({})</button></form>\n",
            escape(&query.string(non_empty(&query.after))),
            op.t(
                "Retry every failed contact shown",
                "Reintentar todos los contactos fallidos mostrados",
                "Tentar de novo todos os contatos com falha exibidos"
            ),
            failed.len().min(BULK_MAX),
        ));
    }
    let csv_href = format!("/app/outbox.csv?{}", query.string(None));
    body.push_str(&format!(
        "<p class=\"export\"><a href=\"{}\" download>{}</a></p>\n",
        escape(&csv_href),
        op.t("Export as CSV", "Exportar como CSV", "Exportar como CSV"),
    ));
    if entries.is_empty() {
        body.push_str(&format!(
            "<p class=\"muted\" id=\"outbox-empty\">{}</p>\n",
            op.t(
                "No contact matches these filters.",
                "Ningún contacto coincide con estos filtros.",
                "Nenhum contato corresponde a estes filtros."
            )
        ));
    } else {
        body.push_str(&table(&op, &query, &entries, &labels));
    }
    if entries.len() as i64 == PAGE_SIZE
        && let Some(cursor) = entries
            .last()
            .and_then(|last| OutboxCursor::after(last, &filter))
    {
        let next = format!("/app/outbox?{}", query.string(Some(&cursor.to_string())));
        body.push_str(&format!(
            "<p><a id=\"next-page\" href=\"{}\">{}</a></p>\n",
            escape(&next),
            op.t("Next page", "Página siguiente", "Próxima página")
        ));
    }
    let title = op.t("Outbox", "Bandeja de salida", "Caixa de saída");
    if errors.is_empty() {
        page(&op, Nav::Outbox, title, &body)
    } else {
        page_status(
            &op,
            StatusCode::UNPROCESSABLE_ENTITY,
            Nav::Outbox,
            title,
            &body,
        )
    }
}

fn non_empty(text: &str) -> Option<&str> {
    (!text.is_empty()).then_some(text)
}

fn filter_form(op: &Operator, query: &Query, errors: &FieldErrors) -> String {
    let error = |name: &str| {
        errors
            .get(name)
            .map(|message| {
                format!(
                    "<p class=\"field-error\" id=\"{name}-error\">{}</p>",
                    escape(message)
                )
            })
            .unwrap_or_default()
    };
    let described = |name: &str| {
        if errors.contains_key(name) {
            format!(" aria-invalid=\"true\" aria-describedby=\"{name}-error\"")
        } else {
            String::new()
        }
    };
    let mut states = format!(
        "<option value=\"\">{}</option>",
        op.t("All", "Todos", "Todos")
    );
    for state in ContactState::ALL {
        let selected = if query.state == state.as_str() {
            " selected"
        } else {
            ""
        };
        states.push_str(&format!(
            "<option value=\"{}\"{selected}>{}</option>",
            state.as_str(),
            state_label(op, state.as_str())
        ));
    }
    let mut channels = format!(
        "<option value=\"\">{}</option>",
        op.t("All", "Todos", "Todos")
    );
    for channel in Channel::ALL {
        let selected = if query.channel == channel.as_str() {
            " selected"
        } else {
            ""
        };
        channels.push_str(&format!(
            "<option value=\"{}\"{selected}>{}</option>",
            channel.as_str(),
            channel_label(op, *channel)
        ));
    }
    format!(
        "<form method=\"get\" action=\"/app/outbox\" class=\"inline outbox-filter\">\n\
         <div><label for=\"f-state\">{state_l}</label><select id=\"f-state\" name=\"state\"{state_d}>{states}</select>{state_e}</div>\n\
         <div><label for=\"f-channel\">{channel_l}</label><select id=\"f-channel\" name=\"channel\"{channel_d}>{channels}</select>{channel_e}</div>\n\
         <div><label for=\"f-from\">{from_l}</label><input type=\"date\" id=\"f-from\" name=\"from\" value=\"{from}\"{from_d}>{from_e}</div>\n\
         <div><label for=\"f-to\">{to_l}</label><input type=\"date\" id=\"f-to\" name=\"to\" value=\"{to}\"{to_d}>{to_e}</div>\n\
         <div><button type=\"submit\">{apply}</button></div>\n</form>\n{after_e}",
        state_l = op.t("State", "Estado", "Estado"),
        state_d = described("state"),
        state_e = error("state"),
        channel_l = op.t("Channel", "Canal", "Canal"),
        channel_d = described("channel"),
        channel_e = error("channel"),
        from_l = op.t("Scheduled from", "Programado desde", "Agendado de"),
        from = escape(&query.from),
        from_d = described("from"),
        from_e = error("from"),
        to_l = op.t("Scheduled until", "Programado hasta", "Agendado até"),
        to = escape(&query.to),
        to_d = described("to"),
        to_e = error("to"),
        apply = op.t("Filter", "Filtrar", "Filtrar"),
        after_e = error("after"),
    )
}

fn count_cards(op: &Operator, query: &Query, counts: &BTreeMap<String, i64>) -> String {
    let mut out = format!(
        "<section aria-label=\"{}\" class=\"cards outbox-counts\">\n",
        op.t(
            "Contacts by state",
            "Contactos por estado",
            "Contatos por estado"
        )
    );
    let total: i64 = counts.values().sum();
    let mut cards: Vec<(String, &str, i64)> =
        vec![(String::new(), op.t("All", "Todos", "Todos"), total)];
    for state in ContactState::ALL {
        cards.push((
            state.as_str().to_string(),
            "",
            counts.get(state.as_str()).copied().unwrap_or(0),
        ));
    }
    // States the store holds that this build does not name still show.
    for (state, n) in counts {
        if state.parse::<ContactState>().is_err() {
            cards.push((state.clone(), "", *n));
        }
    }
    for (state, label, n) in cards {
        let label = if label.is_empty() {
            state_label(op, &state)
        } else {
            label.to_string()
        };
        let link = Query {
            state: state.clone(),
            after: String::new(),
            ..query.clone()
        };
        let current = if query.state == state {
            " aria-current=\"true\""
        } else {
            ""
        };
        let id = if state.is_empty() { "all" } else { &state };
        out.push_str(&format!(
            "<a class=\"card outbox-count\" id=\"count-{id}\" href=\"/app/outbox?{}\"{current}>\
             <span class=\"label\">{}</span> <span class=\"value\">{n}</span></a>\n",
            escape(&link.string(None)),
            escape(&label),
        ));
    }
    out.push_str("</section>\n");
    out
}

fn table(
    op: &Operator,
    query: &Query,
    entries: &[OutboxEntry],
    labels: &HashMap<ContactId, OutboxLabel>,
) -> String {
    let mut out = format!(
        "<div class=\"table-wrap\"><table id=\"outbox\">\n<thead><tr><th>{}</th><th>{}</th><th>{}</th>\
         <th>{}</th><th>{}</th><th>{}</th><th class=\"num\">{}</th><th>{}</th><th>{}</th></tr></thead>\n<tbody>\n",
        op.t("Debtor", "Deudor", "Devedor"),
        op.t("Debt", "Deuda", "Dívida"),
        op.t("Channel", "Canal", "Canal"),
        op.t("Template", "Plantilla", "Modelo"),
        op.t(
            "Scheduled (debtor's time)",
            "Programado (hora del deudor)",
            "Agendado (horário do devedor)"
        ),
        op.t("State", "Estado", "Estado"),
        op.t("Attempts", "Intentos", "Tentativas"),
        op.t("Last reason", "Último motivo", "Último motivo"),
        op.t("Actions", "Acciones", "Ações"),
    );
    let back = query.string(non_empty(&query.after));
    for entry in entries {
        let contact = &entry.contact;
        let label = labels.get(&contact.id);
        let tz = label
            .map(|l| l.debtor_timezone.as_str())
            .unwrap_or(op.tenant.tenant().timezone.as_str());
        let debtor = match label {
            Some(l) => format!(
                "<a href=\"/app/debtors/{}\">{}</a>",
                l.debtor_id,
                escape(&l.debtor_name)
            ),
            None => escape(&contact.debtor_id.to_string()),
        };
        let debt = label
            .map(|l| escape(&l.debt_external_id))
            .unwrap_or_else(|| escape(&contact.debt_id.to_string()));
        let mut actions = format!(
            "<a href=\"/app/outbox/{}\">{}</a>",
            contact.id,
            op.t("Details", "Detalle", "Detalhes")
        );
        if op.can_write() && contact.state == ContactState::Failed {
            actions = format!(
                "<a href=\"/app/outbox/{}\">{}</a> {}<input type=\"hidden\" name=\"back\" value=\"{}\">\
                 <button type=\"submit\" class=\"secondary small\" id=\"retry-{}\" aria-label=\"{}\">{}</button></form>",
                contact.id,
                op.t("Details", "Detalle", "Detalhes"),
                form_start(op, &op_path(contact.id)),
                escape(&back),
                contact.id,
                escape(&format!(
                    "{}: {}",
                    op.t("Retry", "Reintentar", "Tentar de novo"),
                    label.map(|l| l.debtor_name.as_str()).unwrap_or("")
                )),
                op.t("Retry", "Reintentar", "Tentar de novo"),
            );
        }
        out.push_str(&format!(
            "<tr id=\"row-{id}\" class=\"state-{state}\"><td>{debtor}</td><td>{debt}</td><td>{channel}</td>\
             <td>{template}</td><td><time datetime=\"{utc}\">{local}</time> <span class=\"muted\">{tz}</span></td>\
             <td><span class=\"badge state-{state}\">{state_l}</span></td><td class=\"num\">{attempts}</td>\
             <td class=\"reason\">{reason}</td><td class=\"actions\">{actions}</td></tr>\n",
            id = contact.id,
            state = contact.state.as_str(),
            channel = channel_label(op, contact.channel),
            template = escape(contact.template.as_deref().unwrap_or("—")),
            utc = contact.scheduled_for.to_rfc3339(),
            local = local_time(contact.scheduled_for, tz),
            tz = escape(tz),
            state_l = state_label(op, contact.state.as_str()),
            attempts = contact.attempts,
            reason = escape(&reason_of(entry)),
        ));
    }
    out.push_str("</tbody></table></div>\n");
    out
}

fn op_path(id: ContactId) -> String {
    format!("/app/outbox/{id}/retry")
}

/// `GET /app/outbox.csv`: the filtered list, every page (up to [`CSV_MAX`] contacts).
pub async fn csv(op: Operator, RawQuery(raw): RawQuery) -> Response {
    let query = Query::parse(raw.as_deref());
    let Ok(mut filter) = filter_of(&op, &query) else {
        return list(op, RawQuery(raw)).await;
    };
    filter.limit = 1000;
    let mut rows = vec![];
    loop {
        let entries = match op.tenant.list_outbox(&filter).await {
            Ok(entries) => entries,
            Err(e) => return failure(&op, &e),
        };
        let labels = match labels(&op, &entries).await {
            Ok(labels) => labels,
            Err(e) => return failure(&op, &e),
        };
        for entry in &entries {
            let contact = &entry.contact;
            let label = labels.get(&contact.id);
            let tz = label
                .map(|l| l.debtor_timezone.clone())
                .unwrap_or_else(|| op.tenant.tenant().timezone.clone());
            rows.push(vec![
                contact.id.to_string(),
                contact.debtor_id.to_string(),
                label.map(|l| l.debtor_name.clone()).unwrap_or_default(),
                label
                    .map(|l| l.debt_external_id.clone())
                    .unwrap_or_default(),
                contact.channel.as_str().to_string(),
                contact.template.clone().unwrap_or_default(),
                contact.scheduled_for.to_rfc3339(),
                local_time(contact.scheduled_for, &tz),
                tz,
                contact.state.as_str().to_string(),
                contact.attempts.to_string(),
                entry.outcome.clone().unwrap_or_default(),
                entry.last_error.clone().unwrap_or_default(),
                entry.sent_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            ]);
        }
        let full = entries.len() as i64 == filter.limit;
        match entries.last().and_then(|e| OutboxCursor::after(e, &filter)) {
            Some(cursor) if full && rows.len() < CSV_MAX => filter.after = Some(cursor),
            _ => break,
        }
    }
    rows.truncate(CSV_MAX);
    csv_response(
        "outbox.csv",
        &[
            "contact_id",
            "debtor_id",
            "debtor_name",
            "debt_external_id",
            "channel",
            "template",
            "scheduled_for_utc",
            "scheduled_for_local",
            "debtor_timezone",
            "state",
            "attempts",
            "outcome",
            "last_error",
            "sent_at",
        ],
        rows,
    )
}

/// `GET /app/outbox/{id}`: one contact, its message and its history.
pub async fn detail(op: Operator, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<ContactId>() else {
        return not_found(&op);
    };
    let entry = match op.tenant.outbox_entry(id).await {
        Ok(entry) => entry,
        Err(StoreError::NotFound { .. }) => return not_found(&op),
        Err(e) => return failure(&op, &e),
    };
    let message = match op.tenant.contact_message(id).await {
        Ok(message) => message,
        Err(e) => return failure(&op, &e),
    };
    let label = match op.tenant.outbox_labels(&[id]).await {
        Ok(mut labels) => labels.pop(),
        Err(e) => return failure(&op, &e),
    };
    let history = match history(&op, &entry).await {
        Ok(history) => history,
        Err(e) => return failure(&op, &e),
    };
    page(
        &op,
        Nav::Outbox,
        op.t("Contact", "Contacto", "Contato"),
        &detail_body(&op, &entry, label.as_ref(), message.as_ref(), &history),
    )
}

/// The debtor's events about this contact (sent, delivered, failed, cancelled …), oldest
/// first: its attempts as they went.
async fn history(
    op: &Operator,
    entry: &OutboxEntry,
) -> Result<Vec<recaudo_domain::event::Event>, StoreError> {
    let id = entry.contact.id.to_string();
    let mut out = vec![];
    let mut query = TimelineQuery {
        cursor: None,
        limit: Some(200),
    };
    // A debtor's timeline is short; a few pages cover any contact's history.
    for _ in 0..10 {
        let page = match op
            .tenant
            .debtor_timeline(entry.contact.debtor_id, &query)
            .await
        {
            Ok(page) => page,
            Err(StoreError::NotFound { .. }) => return Ok(out),
            Err(e) => return Err(e),
        };
        out.extend(
            page.items
                .into_iter()
                .filter(|e| e.data.get("contact_id").and_then(|v| v.as_str()) == Some(&id)),
        );
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => break,
        }
    }
    Ok(out)
}

fn detail_body(
    op: &Operator,
    entry: &OutboxEntry,
    label: Option<&OutboxLabel>,
    message: Option<&serde_json::Value>,
    history: &[recaudo_domain::event::Event],
) -> String {
    let contact = &entry.contact;
    let tz = label
        .map(|l| l.debtor_timezone.as_str())
        .unwrap_or(op.tenant.tenant().timezone.as_str());
    let when = |at: Option<DateTime<Utc>>| {
        at.map(|at| {
            format!(
                "{} <span class=\"muted\">({})</span>",
                local_time(at, tz),
                escape(tz)
            )
        })
        .unwrap_or_else(|| "—".into())
    };
    let text = |value: Option<&str>| escape(value.unwrap_or("—"));
    let mut facts: Vec<(&str, String)> = vec![];
    if let Some(l) = label {
        facts.push((
            op.t("Debtor", "Deudor", "Devedor"),
            format!(
                "<a href=\"/app/debtors/{}\">{}</a>",
                l.debtor_id,
                escape(&l.debtor_name)
            ),
        ));
        facts.push((op.t("Debt", "Deuda", "Dívida"), escape(&l.debt_external_id)));
    }
    facts.extend([
        (
            op.t("State", "Estado", "Estado"),
            format!(
                "<span class=\"badge state-{0}\" id=\"contact-state\">{1}</span>",
                contact.state.as_str(),
                state_label(op, contact.state.as_str())
            ),
        ),
        (
            op.t("Channel", "Canal", "Canal"),
            channel_label(op, contact.channel).to_string(),
        ),
        (
            op.t("Template", "Plantilla", "Modelo"),
            text(contact.template.as_deref()),
        ),
        (
            op.t(
                "Strategy and step",
                "Estrategia y paso",
                "Estratégia e passo",
            ),
            escape(&format!(
                "{} v{} · {}{}",
                contact.strategy.as_deref().unwrap_or("—"),
                contact
                    .strategy_version
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "—".into()),
                contact.step,
                contact
                    .arm
                    .as_deref()
                    .map(|a| format!(" · {a}"))
                    .unwrap_or_default()
            )),
        ),
        (
            op.t(
                "Scheduled (debtor's time)",
                "Programado (hora del deudor)",
                "Agendado (horário do devedor)",
            ),
            when(Some(contact.scheduled_for)),
        ),
        (
            op.t("Attempts", "Intentos", "Tentativas"),
            format!("<span id=\"contact-attempts\">{}</span>", contact.attempts),
        ),
        (
            op.t("Next attempt", "Próximo intento", "Próxima tentativa"),
            when(entry.next_attempt_at),
        ),
        (
            op.t("Last reason", "Último motivo", "Último motivo"),
            format!(
                "<span id=\"contact-reason\">{}</span>",
                escape(&reason_of(entry))
            ),
        ),
        (
            op.t("Provider", "Proveedor", "Provedor"),
            text(entry.provider.as_deref()),
        ),
        (
            op.t(
                "Provider's message id",
                "Id del mensaje en el proveedor",
                "Id da mensagem no provedor",
            ),
            text(entry.provider_message_id.as_deref()),
        ),
        (
            op.t("Cost", "Costo", "Custo"),
            entry
                .cost
                .as_ref()
                .map(|c| escape(&money_of(op.language, c)))
                .unwrap_or_else(|| "—".into()),
        ),
        (op.t("Sent", "Enviado", "Enviado"), when(entry.sent_at)),
        (
            op.t("Delivered", "Entregado", "Entregue"),
            when(entry.delivered_at),
        ),
        (op.t("Opened", "Abierto", "Aberto"), when(entry.opened_at)),
        (op.t("Clicked", "Clic", "Clicado"), when(entry.clicked_at)),
        (
            op.t("Replied", "Respondido", "Respondido"),
            when(entry.replied_at),
        ),
        (
            op.t(
                "Why it was planned",
                "Por qué se planificó",
                "Por que foi planejado",
            ),
            escape(&contact.reason),
        ),
    ]);
    let mut body = String::from("<p><a href=\"/app/outbox\">← ");
    body.push_str(op.t(
        "Back to the outbox",
        "Volver a la bandeja de salida",
        "Voltar à caixa de saída",
    ));
    body.push_str("</a></p>\n<dl class=\"facts\" id=\"contact-facts\">\n");
    for (name, value) in facts {
        body.push_str(&format!("<dt>{name}</dt><dd>{value}</dd>\n"));
    }
    body.push_str("</dl>\n");
    if op.can_write() && contact.state == ContactState::Failed {
        body.push_str(&form_start(op, &op_path(contact.id)));
        body.push_str(&format!(
            "<button type=\"submit\" id=\"retry\">{}</button></form>\n<p class=\"hint\">{}</p>\n",
            op.t("Retry now", "Reintentar ahora", "Tentar de novo agora"),
            op.t(
                "It is sent as soon as the contact rules allow it (quiet hours, limits and opt-outs still apply).",
                "Se envía en cuanto las reglas de contacto lo permitan (siguen valiendo los horarios, los límites y las bajas).",
                "É enviado assim que as regras de contato permitirem (horários, limites e descadastros continuam valendo)."
            ),
        ));
    }
    body.push_str(&format!(
        "<h2>{}</h2>\n",
        op.t("Message", "Mensaje", "Mensagem")
    ));
    body.push_str(&message_html(op, message));
    body.push_str(&format!(
        "<h2>{}</h2>\n",
        op.t("History", "Historial", "Histórico")
    ));
    if history.is_empty() {
        body.push_str(&format!(
            "<p class=\"muted\">{}</p>\n",
            op.t(
                "Nothing happened to it yet.",
                "Aún no ocurrió nada.",
                "Nada aconteceu ainda."
            )
        ));
    } else {
        body.push_str(&format!(
            "<div class=\"table-wrap\"><table id=\"contact-history\"><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>\n",
            op.t("When (debtor's time)", "Cuándo (hora del deudor)", "Quando (horário do devedor)"),
            op.t("What", "Qué", "O quê"),
            op.t("Details", "Detalle", "Detalhes"),
        ));
        for event in history {
            let mut details = vec![];
            for key in ["code", "error", "reason", "provider", "fallback_channel"] {
                if let Some(value) = event.data.get(key).and_then(|v| v.as_str()) {
                    details.push(format!("{key}: {value}"));
                }
            }
            body.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                local_time(event.at, tz),
                escape(event.kind.as_str()),
                escape(&details.join(" · ")),
            ));
        }
        body.push_str("</tbody></table></div>\n");
    }
    body
}

/// The message as the debtor got it: an e-mail's subject and text, an SMS's text, a call's
/// script; anything else as its JSON.
fn message_html(op: &Operator, message: Option<&serde_json::Value>) -> String {
    let Some(message) = message else {
        return format!(
            "<p class=\"muted\" id=\"message-none\">{}</p>\n",
            op.t(
                "Not sent yet: the message is rendered when it is sent.",
                "Aún no enviado: el mensaje se genera al enviarlo.",
                "Ainda não enviado: a mensagem é gerada no envio."
            )
        );
    };
    let get = |key: &str| message.get(key).and_then(|v| v.as_str());
    let mut out = String::from("<div class=\"message-view\" id=\"message\">\n");
    if let Some(subject) = get("subject") {
        out.push_str(&format!(
            "<p><strong>{}:</strong> {}</p>\n",
            op.t("Subject", "Asunto", "Assunto"),
            escape(subject)
        ));
    }
    let main = get("text")
        .or_else(|| get("body"))
        .or_else(|| get("script"));
    match main {
        Some(text) => out.push_str(&format!(
            "<pre class=\"message-text\">{}</pre>\n",
            escape(text)
        )),
        None => out.push_str(&format!(
            "<pre class=\"message-text\">{}</pre>\n",
            escape(&serde_json::to_string_pretty(message).unwrap_or_default())
        )),
    }
    if let Some(segments) = message.get("segments").and_then(|v| v.as_u64()) {
        out.push_str(&format!(
            "<p class=\"muted\">{}: {segments}</p>\n",
            op.t("SMS segments", "Segmentos SMS", "Segmentos SMS")
        ));
    }
    out.push_str("</div>\n");
    out
}

/// The notice after a retry, and where to go back.
fn back_to(fields: &[(String, String)]) -> String {
    let back = field(fields, "back").unwrap_or("");
    // Only a query of the outbox list: never a path elsewhere.
    if back.is_empty() || back.contains(['/', '\\', '\n', '\r']) {
        "/app/outbox".to_string()
    } else {
        format!("/app/outbox?{back}")
    }
}

/// `POST /app/outbox/{id}/retry`.
pub async fn retry(
    State(state): State<AppState>,
    op: Operator,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let fields = form_fields(&body).unwrap_or_default();
    if let Err(refused) = op.check_form(&fields, Role::Agent) {
        return refused;
    }
    let Ok(id) = id.parse::<ContactId>() else {
        return not_found(&op);
    };
    let now = state.clock.now();
    match op.tenant.retry_contact(id, now).await {
        Ok(()) => {
            tracing::info!(operator = %op.user_id, contact = %id, "dashboard: a failed contact retried");
            if field(&fields, "back").is_some() {
                redirect(&back_to(&fields))
            } else {
                redirect(&format!("/app/outbox/{id}"))
            }
        }
        Err(StoreError::NotFound { .. }) => not_found(&op),
        Err(StoreError::Conflict { reason, .. }) => page_status(
            &op,
            StatusCode::CONFLICT,
            Nav::Outbox,
            op.t("Not retried", "No se reintentó", "Não foi tentado de novo"),
            &format!(
                "<p class=\"error\" role=\"alert\">{}</p><p class=\"muted\">{}</p>\
                 <p><a href=\"/app/outbox/{id}\">{}</a></p>",
                op.t(
                    "This contact cannot be retried now.",
                    "Este contacto no se puede reintentar ahora.",
                    "Este contato não pode ser tentado de novo agora."
                ),
                escape(&reason),
                op.t(
                    "Back to the contact",
                    "Volver al contacto",
                    "Voltar ao contato"
                ),
            ),
        ),
        Err(e) => failure(&op, &e),
    }
}

/// `POST /app/outbox/retry`: every failed contact the page showed (`id` repeated).
pub async fn retry_many(State(state): State<AppState>, op: Operator, body: Bytes) -> Response {
    let form = form_fields(&body).unwrap_or_default();
    if let Err(refused) = op.check_form(&form, Role::Agent) {
        return refused;
    }
    let now = state.clock.now();
    let mut retried = 0usize;
    for id in fields(&form, "id").into_iter().take(BULK_MAX) {
        let Ok(id) = id.parse::<ContactId>() else {
            continue;
        };
        match op.tenant.retry_contact(id, now).await {
            Ok(()) => retried += 1,
            // Another tenant's, no longer failed, or its fallback under way: skipped.
            Err(StoreError::NotFound { .. } | StoreError::Conflict { .. }) => {}
            Err(e) => return failure(&op, &e),
        }
    }
    tracing::info!(operator = %op.user_id, retried, "dashboard: failed contacts retried");
    redirect(&back_to(&form))
}
