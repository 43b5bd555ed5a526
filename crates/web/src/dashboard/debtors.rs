//! Debtor search and the debtor's page: who they are, how they may be reached, their debts,
//! promises, plans and disputes, and the full timeline (every event of every debt merged with
//! both sides of every conversation), in the debtor's time zone. Every table exports as CSV.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use recaudo_domain::conversation::{ConversationEntry, Direction};
use recaudo_domain::event::Event;
use recaudo_domain::plans::Plan;
use recaudo_domain::portfolio::{ContactPoint, Debt, DebtStatus, Debtor, Dispute, Promise};
use recaudo_domain::tasks::{Task, TaskState};
use recaudo_domain::{DebtId, DebtorId, Money};
use recaudo_store::{DebtFilter, DebtorFilter, StoreError, TaskFilter, TenantStore, TimelineQuery};
use serde::Deserialize;

use super::layout::{Nav, csv_response, escape, failure, money_of, not_found, page};
use super::session::Operator;
use crate::AppState;

/// Debtors per page of the search.
const PAGE_SIZE: i64 = 25;
/// The most rows a CSV export of the search holds.
const EXPORT_MAX: usize = 10_000;
/// The most events of a timeline the page reads (pages of 1000).
const TIMELINE_MAX: usize = 5_000;
/// The latest messages each way the timeline shows.
const CONVERSATION_MAX: i64 = 1_000;
/// The most debts of one debtor the page lists.
const DEBTS_MAX: i64 = 500;

/// What the search page is asked.
#[derive(Debug, Default, Deserialize)]
pub struct SearchQuery {
    /// What the agent typed: a name, an external id, a document, an e-mail or a phone.
    #[serde(default)]
    pub q: Option<String>,
    /// `next_cursor` of the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
}

impl SearchQuery {
    fn text(&self) -> Option<&str> {
        self.q.as_deref().map(str::trim).filter(|q| !q.is_empty())
    }
}

/// One debtor found, with what they owe.
struct Found {
    debtor: Debtor,
    open_debts: usize,
    open_balance: Vec<Money>,
}

/// One page of the search: the debtor whose external id is the text first (on the first page),
/// then those the store's search finds (name, document, e-mail, phone).
async fn search(
    ts: &TenantStore,
    text: Option<&str>,
    cursor: Option<String>,
    limit: i64,
) -> Result<(Vec<Debtor>, Option<String>), StoreError> {
    let by_external = match text {
        Some(text) => match ts.get_debtor_by_external_id(text).await {
            Ok(debtor) => Some(debtor),
            Err(StoreError::NotFound { .. }) => None,
            Err(error) => return Err(error),
        },
        None => None,
    };
    let page = ts
        .list_debtors(&DebtorFilter {
            search: text.map(str::to_string),
            cursor: cursor.clone(),
            limit: Some(limit),
            ..Default::default()
        })
        .await?;
    let mut items = Vec::with_capacity(page.items.len() + 1);
    if let Some(debtor) = &by_external
        && cursor.is_none()
    {
        items.push(debtor.clone());
    }
    let skip = by_external.as_ref().map(|d| d.id);
    items.extend(page.items.into_iter().filter(|d| Some(d.id) != skip));
    Ok((items, page.next_cursor))
}

/// The debtor's debts, oldest first.
pub(super) async fn debts_of(ts: &TenantStore, debtor: DebtorId) -> Result<Vec<Debt>, StoreError> {
    Ok(ts
        .list_debts(&DebtFilter {
            debtor_id: Some(debtor),
            limit: Some(DEBTS_MAX),
            ..Default::default()
        })
        .await?
        .items)
}

/// Whether a debt is still collected.
pub(super) fn is_open(debt: &Debt) -> bool {
    !matches!(debt.status, DebtStatus::Paid | DebtStatus::WrittenOff)
}

/// The open balance of `debts`, one sum per currency.
pub(super) fn open_balance(debts: &[Debt]) -> Vec<Money> {
    let mut sums: BTreeMap<&'static str, Money> = BTreeMap::new();
    for debt in debts.iter().filter(|d| is_open(d)) {
        let code = debt.balance.currency.code();
        let sum = sums
            .remove(code)
            .unwrap_or_else(|| Money::zero(debt.balance.currency));
        let sum = sum.checked_add(debt.balance).unwrap_or(sum);
        sums.insert(code, sum);
    }
    sums.into_values().collect()
}

/// Money as the operator reads it.
pub(super) fn cash(op: &Operator, m: &Money) -> String {
    money_of(op.language, m)
}

/// Sums of several currencies, for display.
fn moneys(op: &Operator, sums: &[Money]) -> String {
    if sums.is_empty() {
        return "—".to_string();
    }
    sums.iter()
        .map(|m| cash(op, m))
        .collect::<Vec<_>>()
        .join(" + ")
}

/// Sums of several currencies, for a CSV cell (`150000.00 COP`).
fn moneys_plain(sums: &[Money]) -> String {
    sums.iter()
        .map(|m| format!("{} {}", m.amount_text(), m.currency.code()))
        .collect::<Vec<_>>()
        .join(" + ")
}

async fn found(ts: &TenantStore, debtors: Vec<Debtor>) -> Result<Vec<Found>, StoreError> {
    let mut out = Vec::with_capacity(debtors.len());
    for debtor in debtors {
        let debts = debts_of(ts, debtor.id).await?;
        out.push(Found {
            open_debts: debts.iter().filter(|d| is_open(d)).count(),
            open_balance: open_balance(&debts),
            debtor,
        });
    }
    Ok(out)
}

/// `GET /app/debtors?q=&cursor=`: the search form and one page of results.
pub async fn list(op: Operator, Query(query): Query<SearchQuery>) -> Response {
    let text = query.text();
    let (debtors, next) = match search(&op.tenant, text, query.cursor.clone(), PAGE_SIZE).await {
        Ok(page) => page,
        Err(StoreError::Invalid { .. }) => {
            // A cursor that does not read: the first page.
            match search(&op.tenant, text, None, PAGE_SIZE).await {
                Ok(page) => page,
                Err(error) => return failure(&op, &error),
            }
        }
        Err(error) => return failure(&op, &error),
    };
    let rows = match found(&op.tenant, debtors).await {
        Ok(rows) => rows,
        Err(error) => return failure(&op, &error),
    };
    let q = text.unwrap_or("");
    let mut body = String::new();
    body.push_str(&format!(
        "<form class=\"search\" method=\"get\" action=\"/app/debtors\" role=\"search\">\
         <label for=\"q\">{}</label> <input id=\"q\" name=\"q\" type=\"search\" value=\"{}\" \
         placeholder=\"{}\"> <button type=\"submit\">{}</button></form>\n",
        op.t(
            "Name, external id, document, e-mail or phone",
            "Nombre, id externo, documento, e-mail o teléfono",
            "Nome, id externo, documento, e-mail ou telefone"
        ),
        escape(q),
        op.t("Search debtors", "Buscar deudores", "Buscar devedores"),
        op.t("Search", "Buscar", "Buscar"),
    ));
    if rows.is_empty() {
        body.push_str(&format!(
            "<p class=\"empty\">{}</p>\n",
            op.t(
                "No debtor matches.",
                "Ningún deudor coincide.",
                "Nenhum devedor corresponde."
            )
        ));
    } else {
        body.push_str(&format!(
            "<table class=\"debtors\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th>\
             <th class=\"num\">{}</th><th class=\"num\">{}</th></tr></thead><tbody>\n",
            op.t("Name", "Nombre", "Nome"),
            op.t("External id", "Id externo", "Id externo"),
            op.t("Document", "Documento", "Documento"),
            op.t("Segment", "Segmento", "Segmento"),
            op.t("Open debts", "Deudas abiertas", "Dívidas em aberto"),
            op.t("Open balance", "Saldo abierto", "Saldo em aberto"),
        ));
        for row in &rows {
            let d = &row.debtor;
            body.push_str(&format!(
                "<tr><td><a href=\"/app/debtors/{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
                d.id,
                escape(&d.name),
                escape(&d.external_id),
                escape(&document(d)),
                escape(d.effective_segment().unwrap_or("")),
                row.open_debts,
                escape(&moneys(&op, &row.open_balance)),
            ));
        }
        body.push_str("</tbody></table>\n");
    }
    let query_of = |cursor: Option<&str>| {
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        if !q.is_empty() {
            pairs.push(("q", q));
        }
        if let Some(cursor) = cursor {
            pairs.push(("cursor", cursor));
        }
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    };
    body.push_str("<p class=\"pager\">");
    body.push_str(&format!(
        "<a class=\"csv\" href=\"/app/debtors.csv?{}\">{}</a>",
        escape(&query_of(None)),
        op.t("Export CSV", "Exportar CSV", "Exportar CSV")
    ));
    if query.cursor.is_some() {
        body.push_str(&format!(
            " <a href=\"/app/debtors?{}\">{}</a>",
            escape(&query_of(None)),
            op.t("First page", "Primera página", "Primeira página")
        ));
    }
    if let Some(next) = &next {
        body.push_str(&format!(
            " <a rel=\"next\" href=\"/app/debtors?{}\">{}</a>",
            escape(&query_of(Some(next))),
            op.t("Next page", "Página siguiente", "Próxima página")
        ));
    }
    body.push_str("</p>\n");
    page(
        &op,
        Nav::Debtors,
        op.t("Debtors", "Deudores", "Devedores"),
        &body,
    )
}

/// `GET /app/debtors.csv?q=`: every debtor the search finds (up to 10,000).
pub async fn list_csv(op: Operator, Query(query): Query<SearchQuery>) -> Response {
    let text = query.text();
    let mut debtors = Vec::new();
    let mut cursor = None;
    loop {
        let (items, next) = match search(&op.tenant, text, cursor, 500).await {
            Ok(page) => page,
            Err(error) => return failure(&op, &error),
        };
        debtors.extend(items);
        match next {
            Some(next) if debtors.len() < EXPORT_MAX => cursor = Some(next),
            _ => break,
        }
    }
    debtors.truncate(EXPORT_MAX);
    let rows = match found(&op.tenant, debtors).await {
        Ok(rows) => rows,
        Err(error) => return failure(&op, &error),
    };
    let rows = rows
        .into_iter()
        .map(|row| {
            let d = row.debtor;
            vec![
                d.id.to_string(),
                d.external_id.clone(),
                d.name.clone(),
                document(&d),
                d.effective_segment().unwrap_or("").to_string(),
                row.open_debts.to_string(),
                moneys_plain(&row.open_balance),
            ]
        })
        .collect();
    csv_response(
        "debtors.csv",
        &[
            "id",
            "external_id",
            "name",
            "document",
            "segment",
            "open_debts",
            "open_balance",
        ],
        rows,
    )
}

/// A debtor's document as written: type and number.
fn document(d: &Debtor) -> String {
    match (&d.document_type, &d.document_number) {
        (Some(kind), Some(number)) => format!("{kind} {number}"),
        (None, Some(number)) => number.clone(),
        _ => String::new(),
    }
}

/// What the debtor's page is asked: which table a CSV export holds.
#[derive(Debug, Default, Deserialize)]
pub struct DebtorQuery {
    /// `timeline` (default), `debts`, `contact_points`, `promises`, `plans` or `disputes`.
    #[serde(default)]
    pub table: Option<String>,
}

/// Everything the debtor's page shows.
struct File {
    debtor: Debtor,
    tz: Tz,
    points: Vec<ContactPoint>,
    debts: Vec<Debt>,
    promises: Vec<Promise>,
    disputes: Vec<Dispute>,
    plans: Vec<Plan>,
    tasks: Vec<Task>,
    timeline: Vec<Line>,
}

/// One line of the merged timeline.
pub(super) enum Line {
    Event(Event),
    Said(ConversationEntry),
}

impl Line {
    fn at(&self) -> DateTime<Utc> {
        match self {
            Line::Event(e) => e.at,
            Line::Said(m) => m.at,
        }
    }
}

/// The debtor's time zone: theirs, else the tenant's.
pub(super) fn debtor_zone(ts: &TenantStore, debtor: &Debtor) -> Tz {
    recaudo_domain::portfolio::parse_timezone(&debtor.timezone).unwrap_or_else(|_| tenant_zone(ts))
}

/// The tenant's time zone.
pub(super) fn tenant_zone(ts: &TenantStore) -> Tz {
    let tenant = ts.tenant();
    recaudo_domain::portfolio::parse_timezone(&tenant.timezone)
        .unwrap_or_else(|_| tenant.country.default_timezone())
}

/// An instant in `tz`, to the minute.
pub(super) fn local(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

/// The full timeline: the debtor's events (up to 5,000) and both sides of their conversation,
/// in the order things happened.
pub(super) async fn timeline(ts: &TenantStore, debtor: DebtorId) -> Result<Vec<Line>, StoreError> {
    let mut lines = Vec::new();
    let mut cursor = None;
    loop {
        let page = ts
            .debtor_timeline(
                debtor,
                &TimelineQuery {
                    cursor,
                    limit: Some(1000),
                },
            )
            .await?;
        lines.extend(page.items.into_iter().map(Line::Event));
        match page.next_cursor {
            Some(next) if lines.len() < TIMELINE_MAX => cursor = Some(next),
            _ => break,
        }
    }
    lines.extend(
        ts.conversation(debtor, CONVERSATION_MAX)
            .await?
            .into_iter()
            .map(Line::Said),
    );
    // Stable: at the same instant, events keep their order and come before the messages.
    lines.sort_by_key(Line::at);
    Ok(lines)
}

async fn file(ts: &TenantStore, id: DebtorId) -> Result<File, StoreError> {
    let debtor = ts.get_debtor(id).await?;
    let tz = debtor_zone(ts, &debtor);
    let points = ts.list_contact_points(id).await?;
    let debts = debts_of(ts, id).await?;
    let mut promises = Vec::new();
    let mut disputes = Vec::new();
    for debt in &debts {
        promises.extend(ts.list_promises(debt.id).await?);
        disputes.extend(ts.list_disputes(debt.id).await?);
    }
    promises.sort_by_key(|p| p.created_at);
    disputes.sort_by_key(|d| d.opened_at);
    let plans = ts.plans_of_debtor(id).await?;
    let mut tasks = Vec::new();
    for state in [TaskState::Open, TaskState::Claimed] {
        tasks.extend(
            ts.list_tasks(&TaskFilter {
                state: Some(state),
                debtor: Some(id),
                ..Default::default()
            })
            .await?,
        );
    }
    tasks.sort_by_key(|t| t.created_at);
    let timeline = timeline(ts, id).await?;
    Ok(File {
        debtor,
        tz,
        points,
        debts,
        promises,
        disputes,
        plans,
        tasks,
        timeline,
    })
}

/// Reads the debtor of a path segment (`dbr_…`, or `dbr_….csv` for an export); another
/// tenant's debtor, or anything else, is not found.
fn debtor_id(raw: &str) -> Option<(DebtorId, bool)> {
    let (id, csv) = match raw.strip_suffix(".csv") {
        Some(id) => (id, true),
        None => (raw, false),
    };
    id.parse::<DebtorId>().ok().map(|id| (id, csv))
}

/// `GET /app/debtors/{id}` (and `/app/debtors/{id}.csv?table=`): the debtor's page.
pub async fn show(
    State(state): State<AppState>,
    op: Operator,
    Path(raw): Path<String>,
    Query(query): Query<DebtorQuery>,
) -> Response {
    let Some((id, csv)) = debtor_id(&raw) else {
        return not_found(&op);
    };
    let file = match file(&op.tenant, id).await {
        Ok(file) => file,
        Err(StoreError::NotFound { .. }) => return not_found(&op),
        Err(error) => return failure(&op, &error),
    };
    let today = state.clock.now().with_timezone(&file.tz).date_naive();
    if csv {
        return export(&file, query.table.as_deref().unwrap_or("timeline"), today);
    }
    render(&op, &file, today)
}

fn render(op: &Operator, f: &File, today: NaiveDate) -> Response {
    let d = &f.debtor;
    let csv = |table: &str| {
        format!(
            " <a class=\"csv\" href=\"/app/debtors/{}.csv?table={table}\">{}</a>",
            d.id,
            op.t("CSV", "CSV", "CSV")
        )
    };
    let mut b = String::new();
    b.push_str(&format!(
        "<p class=\"crumbs\"><a href=\"/app/debtors\">{}</a></p>\n",
        op.t("All debtors", "Todos los deudores", "Todos os devedores"),
    ));
    // Who they are.
    let facts: Vec<(&str, String)> = vec![
        (
            op.t("External id", "Id externo", "Id externo"),
            d.external_id.clone(),
        ),
        (op.t("Document", "Documento", "Documento"), document(d)),
        (
            op.t("Kind", "Tipo", "Tipo"),
            kind_label(op, d.kind.as_str()).to_string(),
        ),
        (
            op.t("Language", "Idioma", "Idioma"),
            d.language.as_str().to_string(),
        ),
        (
            op.t("Time zone", "Zona horaria", "Fuso horário"),
            f.tz.name().to_string(),
        ),
        (
            op.t("Country", "País", "País"),
            d.country.code().to_string(),
        ),
        (
            op.t("Segment", "Segmento", "Segmento"),
            d.effective_segment().unwrap_or("—").to_string(),
        ),
        (op.t("Tags", "Etiquetas", "Etiquetas"), d.tags.join(", ")),
        (
            op.t("Open balance", "Saldo abierto", "Saldo em aberto"),
            moneys(op, &open_balance(&f.debts)),
        ),
    ];
    b.push_str("<dl class=\"facts\">");
    for (name, value) in facts {
        b.push_str(&format!(
            "<dt>{}</dt><dd>{}</dd>",
            escape(name),
            escape(&value)
        ));
    }
    b.push_str("</dl>\n");

    // Preferences.
    let p = &d.preferences;
    let weekdays = if p.allowed_weekdays.is_empty() {
        op.t("any day", "cualquier día", "qualquer dia").to_string()
    } else {
        p.allowed_weekdays
            .iter()
            .map(|w| w.0.to_string().to_lowercase())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let hours = p.allowed_hours.as_ref().map_or_else(
        || {
            op.t("any hour", "cualquier hora", "qualquer hora")
                .to_string()
        },
        |h| format!("{}–{}", h.from.format("%H:%M"), h.to.format("%H:%M")),
    );
    b.push_str(&format!(
        "<h2>{}</h2><dl class=\"facts\"><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd>\
         <dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{}</dd></dl>\n",
        op.t("Preferences", "Preferencias", "Preferências"),
        op.t("Days", "Días", "Dias"),
        escape(&weekdays),
        op.t("Hours", "Horas", "Horários"),
        escape(&hours),
        op.t("Preferred channel", "Canal preferido", "Canal preferido"),
        p.preferred_channel.map_or("—", |c| c.as_str()),
        op.t("Language", "Idioma", "Idioma"),
        p.language.map_or("—", |l| l.as_str()),
        op.t("Paperless", "Sin papel", "Sem papel"),
        yes_no(op, p.paperless),
    ));

    // Contact points.
    b.push_str(&format!(
        "<h2>{}{}</h2>\n",
        op.t("Contact points", "Puntos de contacto", "Pontos de contato"),
        csv("contact_points")
    ));
    if f.points.is_empty() {
        b.push_str(&empty(op));
    } else {
        b.push_str(&format!(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th>\
             <th class=\"num\">{}</th><th class=\"num\">{}</th></tr></thead><tbody>\n",
            op.t("Channel", "Canal", "Canal"),
            op.t("Address", "Dirección", "Endereço"),
            op.t("Verified", "Verificado", "Verificado"),
            op.t("Consent", "Consentimiento", "Consentimento"),
            op.t("Opted out", "Baja", "Descadastro"),
            op.t("Priority", "Prioridad", "Prioridade"),
            op.t("Bounces", "Rebotes", "Devoluções"),
        ));
        for point in &f.points {
            let consent = &point.consent;
            let mut consent_text = consent_label(op, consent.status.as_str()).to_string();
            if let Some(source) = &consent.source {
                consent_text.push_str(&format!(" · {source}"));
            }
            if let Some(at) = consent.at {
                consent_text.push_str(&format!(" · {}", local(at, f.tz)));
            }
            let class = if point.is_reachable() {
                ""
            } else {
                " class=\"unreachable\""
            };
            b.push_str(&format!(
                "<tr{class}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
                point.channel.as_str(),
                escape(&address(point)),
                yes_no(op, point.verified),
                escape(&consent_text),
                point
                    .opted_out_at
                    .map_or_else(|| "—".to_string(), |at| local(at, f.tz)),
                point.priority,
                point.bounce_count,
            ));
        }
        b.push_str("</tbody></table>\n");
    }

    // Debts.
    b.push_str(&format!(
        "<h2>{}{}</h2>\n",
        op.t("Debts", "Deudas", "Dívidas"),
        csv("debts")
    ));
    if f.debts.is_empty() {
        b.push_str(&empty(op));
    } else {
        b.push_str(&format!(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th class=\"num\">{}</th>\
             <th class=\"num\">{}</th><th>{}</th><th class=\"num\">{}</th><th>{}</th></tr></thead><tbody>\n",
            op.t("Debt", "Deuda", "Dívida"),
            op.t("Product", "Producto", "Produto"),
            op.t("Status", "Estado", "Situação"),
            op.t("Original", "Original", "Original"),
            op.t("Balance", "Saldo", "Saldo"),
            op.t("Due", "Vence", "Vencimento"),
            op.t("Days late", "Días de atraso", "Dias de atraso"),
            op.t("Strategy", "Estrategia", "Estratégia"),
        ));
        for debt in &f.debts {
            b.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td><span class=\"status status-{}\">{}</span></td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td>\
                 <td>{}</td></tr>\n",
                escape(&debt.external_id),
                escape(debt.product.as_deref().unwrap_or("—")),
                debt.status.as_str(),
                status_label(op, debt.status.as_str()),
                escape(&cash(op, &debt.original)),
                escape(&cash(op, &debt.balance)),
                debt.due_on,
                days_late(debt, today),
                escape(&strategy(debt)),
            ));
        }
        b.push_str("</tbody></table>\n");
    }
    let debt_name = |id: DebtId| {
        f.debts
            .iter()
            .find(|d| d.id == id)
            .map_or_else(|| id.to_string(), |d| d.external_id.clone())
    };

    // Promises.
    b.push_str(&format!(
        "<h2>{}{}</h2>\n",
        op.t("Promises", "Promesas", "Promessas"),
        csv("promises")
    ));
    if f.promises.is_empty() {
        b.push_str(&empty(op));
    } else {
        b.push_str(&format!(
            "<table class=\"promises\"><thead><tr><th>{}</th><th class=\"num\">{}</th><th>{}</th><th>{}</th>\
             <th>{}</th><th>{}</th></tr></thead><tbody>\n",
            op.t("Debt", "Deuda", "Dívida"),
            op.t("Amount", "Monto", "Valor"),
            op.t("Date", "Fecha", "Data"),
            op.t("Status", "Estado", "Situação"),
            op.t("Channel", "Canal", "Canal"),
            op.t("Made", "Hecha", "Feita"),
        ));
        for promise in &f.promises {
            b.push_str(&format!(
                "<tr><td>{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                escape(&debt_name(promise.debt_id)),
                escape(&cash(op, &promise.amount)),
                promise.due_on,
                status_label(op, promise.status.as_str()),
                promise.channel.map_or("—", |c| c.as_str()),
                local(promise.created_at, f.tz),
            ));
        }
        b.push_str("</tbody></table>\n");
    }

    // Plans.
    b.push_str(&format!(
        "<h2>{}{}</h2>\n",
        op.t("Payment plans", "Planes de pago", "Planos de pagamento"),
        csv("plans")
    ));
    if f.plans.is_empty() {
        b.push_str(&empty(op));
    } else {
        b.push_str(&format!(
            "<table><thead><tr><th>{}</th><th>{}</th><th class=\"num\">{}</th><th class=\"num\">{}</th>\
             <th>{}</th></tr></thead><tbody>\n",
            op.t("Debts", "Deudas", "Dívidas"),
            op.t("Status", "Estado", "Situação"),
            op.t("Total", "Total", "Total"),
            op.t("Instalments", "Cuotas", "Parcelas"),
            op.t("Accepted", "Aceptado", "Aceito"),
        ));
        for plan in &f.plans {
            let debts: Vec<String> = plan.debts.iter().map(|pd| debt_name(pd.debt_id)).collect();
            b.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>\n",
                escape(&debts.join(", ")),
                status_label(op, plan.status.as_str()),
                escape(&cash(op, &plan.total)),
                plan.instalments.len(),
                local(plan.created_at, f.tz),
            ));
        }
        b.push_str("</tbody></table>\n");
    }

    // Disputes.
    b.push_str(&format!(
        "<h2>{}{}</h2>\n",
        op.t("Disputes", "Disputas", "Contestações"),
        csv("disputes")
    ));
    if f.disputes.is_empty() {
        b.push_str(&empty(op));
    } else {
        b.push_str(&format!(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>\n",
            op.t("Debt", "Deuda", "Dívida"),
            op.t("Reason", "Motivo", "Motivo"),
            op.t("Status", "Estado", "Situação"),
            op.t("Opened", "Abierta", "Aberta"),
            op.t("Resolved", "Resuelta", "Resolvida"),
        ));
        for dispute in &f.disputes {
            b.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                escape(&debt_name(dispute.debt_id)),
                escape(&dispute.reason),
                status_label(op, dispute.status.as_str()),
                local(dispute.opened_at, f.tz),
                dispute
                    .resolved_at
                    .map_or_else(|| "—".to_string(), |at| local(at, f.tz)),
            ));
        }
        b.push_str("</tbody></table>\n");
    }

    // Tasks waiting for an agent.
    if !f.tasks.is_empty() {
        b.push_str(&format!(
            "<h2>{}</h2><ul class=\"tasks\">",
            op.t("Agent tasks", "Tareas de agentes", "Tarefas de agentes")
        ));
        for task in &f.tasks {
            b.push_str(&format!(
                "<li><a href=\"/app/queue/{}\">{} · {} · {}</a></li>",
                task.id,
                escape(&task.queue),
                status_label(op, task.state.as_str()),
                escape(task.reason.as_deref().unwrap_or(&task.script)),
            ));
        }
        b.push_str("</ul>\n");
    }

    // The timeline.
    b.push_str(&format!(
        "<h2 id=\"timeline\">{}{}</h2>\n<p class=\"note\">{} {}</p>\n",
        op.t("Timeline", "Historial", "Linha do tempo"),
        csv("timeline"),
        op.t(
            "Times in the debtor's zone:",
            "Horas en la zona del deudor:",
            "Horários no fuso do devedor:"
        ),
        escape(f.tz.name()),
    ));
    b.push_str(&timeline_html(op, &f.timeline, f.tz, &debt_name));
    page(op, Nav::Debtors, &escape(&d.name), &b)
}

/// The merged timeline as a list, oldest first: events, what was sent (its text and where it
/// is) and what the debtor wrote (with the intent read in it).
pub(super) fn timeline_html(
    op: &Operator,
    lines: &[Line],
    tz: Tz,
    debt_name: &dyn Fn(DebtId) -> String,
) -> String {
    if lines.is_empty() {
        return empty(op);
    }
    let mut b = String::from("<ol class=\"timeline\">\n");
    for line in lines {
        match line {
            Line::Event(e) => {
                let debt = e.debt_id.map(debt_name).unwrap_or_default();
                b.push_str(&format!(
                    "<li class=\"tl-event\"><time datetime=\"{}\">{}</time> \
                     <span class=\"tl-kind\">{}</span> <span class=\"tl-debt\">{}</span> \
                     <span class=\"tl-data\">{}</span></li>\n",
                    e.at.to_rfc3339(),
                    local(e.at, tz),
                    escape(&event_label(op, e.kind.as_str())),
                    escape(&debt),
                    escape(&summary(&e.data)),
                ));
            }
            Line::Said(m) => {
                let (class, who) = match m.direction {
                    Direction::Outbound => ("tl-out", op.t("Sent", "Enviado", "Enviado")),
                    Direction::Inbound => ("tl-in", op.t("Received", "Recibido", "Recebido")),
                };
                let status = match m.direction {
                    Direction::Outbound => m
                        .state
                        .as_deref()
                        .map(|s| status_label(op, s).to_string())
                        .unwrap_or_default(),
                    Direction::Inbound => [m.intent.as_deref(), m.action.as_deref()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" → "),
                };
                let template = m
                    .template
                    .as_deref()
                    .map(|t| format!(" · {t}"))
                    .unwrap_or_default();
                b.push_str(&format!(
                    "<li class=\"{class}\"><time datetime=\"{}\">{}</time> \
                     <span class=\"tl-kind\">{who} · {}{}</span> \
                     <span class=\"tl-status\">{}</span>\
                     <blockquote class=\"tl-text\">{}</blockquote></li>\n",
                    m.at.to_rfc3339(),
                    local(m.at, tz),
                    m.channel.as_str(),
                    escape(&template),
                    escape(&status),
                    escape(&m.text),
                ));
            }
        }
    }
    b.push_str("</ol>\n");
    b
}

/// A CSV export of one table of the debtor's page.
fn export(f: &File, table: &str, today: NaiveDate) -> Response {
    let name = |id: DebtId| {
        f.debts
            .iter()
            .find(|d| d.id == id)
            .map_or_else(|| id.to_string(), |d| d.external_id.clone())
    };
    let file = |what: &str| format!("{}-{what}.csv", f.debtor.id);
    match table {
        "debts" => csv_response(
            &file("debts"),
            &[
                "id",
                "external_id",
                "product",
                "status",
                "currency",
                "original",
                "balance",
                "issued_on",
                "due_on",
                "days_late",
                "strategy",
            ],
            f.debts
                .iter()
                .map(|d| {
                    vec![
                        d.id.to_string(),
                        d.external_id.clone(),
                        d.product.clone().unwrap_or_default(),
                        d.status.as_str().to_string(),
                        d.balance.currency.code().to_string(),
                        d.original.amount_text(),
                        d.balance.amount_text(),
                        d.issued_on.to_string(),
                        d.due_on.to_string(),
                        days_late(d, today).to_string(),
                        strategy(d),
                    ]
                })
                .collect(),
        ),
        "contact_points" => csv_response(
            &file("contact_points"),
            &[
                "id",
                "channel",
                "address",
                "verified",
                "consent",
                "consent_source",
                "consent_at",
                "opted_out_at",
                "priority",
                "bounces",
            ],
            f.points
                .iter()
                .map(|p| {
                    vec![
                        p.id.to_string(),
                        p.channel.as_str().to_string(),
                        address(p),
                        p.verified.to_string(),
                        p.consent.status.as_str().to_string(),
                        p.consent.source.clone().unwrap_or_default(),
                        p.consent.at.map(|at| at.to_rfc3339()).unwrap_or_default(),
                        p.opted_out_at.map(|at| at.to_rfc3339()).unwrap_or_default(),
                        p.priority.to_string(),
                        p.bounce_count.to_string(),
                    ]
                })
                .collect(),
        ),
        "promises" => csv_response(
            &file("promises"),
            &[
                "id",
                "debt",
                "currency",
                "amount",
                "due_on",
                "status",
                "channel",
                "created_at",
            ],
            f.promises
                .iter()
                .map(|p| {
                    vec![
                        p.id.to_string(),
                        name(p.debt_id),
                        p.amount.currency.code().to_string(),
                        p.amount.amount_text(),
                        p.due_on.to_string(),
                        p.status.as_str().to_string(),
                        p.channel
                            .map(|c| c.as_str().to_string())
                            .unwrap_or_default(),
                        p.created_at.to_rfc3339(),
                    ]
                })
                .collect(),
        ),
        "plans" => csv_response(
            &file("plans"),
            &[
                "id",
                "debts",
                "status",
                "currency",
                "total",
                "instalments",
                "created_at",
            ],
            f.plans
                .iter()
                .map(|p| {
                    vec![
                        p.id.to_string(),
                        p.debts
                            .iter()
                            .map(|pd| name(pd.debt_id))
                            .collect::<Vec<_>>()
                            .join(" "),
                        p.status.as_str().to_string(),
                        p.total.currency.code().to_string(),
                        p.total.amount_text(),
                        p.instalments.len().to_string(),
                        p.created_at.to_rfc3339(),
                    ]
                })
                .collect(),
        ),
        "disputes" => csv_response(
            &file("disputes"),
            &["id", "debt", "reason", "status", "opened_at", "resolved_at"],
            f.disputes
                .iter()
                .map(|d| {
                    vec![
                        d.id.to_string(),
                        name(d.debt_id),
                        d.reason.clone(),
                        d.status.as_str().to_string(),
                        d.opened_at.to_rfc3339(),
                        d.resolved_at.map(|at| at.to_rfc3339()).unwrap_or_default(),
                    ]
                })
                .collect(),
        ),
        _ => csv_response(
            &file("timeline"),
            &[
                "at_utc",
                "at_local",
                "kind",
                "direction",
                "channel",
                "debt",
                "text",
                "status",
            ],
            f.timeline
                .iter()
                .map(|line| match line {
                    Line::Event(e) => vec![
                        e.at.to_rfc3339(),
                        local(e.at, f.tz),
                        e.kind.as_str().to_string(),
                        String::new(),
                        e.data
                            .get("channel")
                            .and_then(|c| c.as_str())
                            .unwrap_or("")
                            .to_string(),
                        e.debt_id.map(name).unwrap_or_default(),
                        summary(&e.data),
                        String::new(),
                    ],
                    Line::Said(m) => vec![
                        m.at.to_rfc3339(),
                        local(m.at, f.tz),
                        "message".to_string(),
                        match m.direction {
                            Direction::Outbound => "outbound",
                            Direction::Inbound => "inbound",
                        }
                        .to_string(),
                        m.channel.as_str().to_string(),
                        String::new(),
                        m.text.clone(),
                        match m.direction {
                            Direction::Outbound => m.state.clone().unwrap_or_default(),
                            Direction::Inbound => m.intent.clone().unwrap_or_default(),
                        },
                    ],
                })
                .collect(),
        ),
    }
}

/// Days past the due date of a debt still owed (0 when not late or not owed).
pub(super) fn days_late(debt: &Debt, today: NaiveDate) -> i64 {
    if !is_open(debt) {
        return 0;
    }
    (today - debt.due_on).num_days().max(0)
}

/// The strategy a debt follows, its version and its experiment arms.
pub(super) fn strategy(debt: &Debt) -> String {
    match &debt.strategy {
        None => "—".to_string(),
        Some(s) => {
            let mut text = format!("{} v{}", s.strategy, s.version);
            for (experiment, arm) in &s.arms {
                text.push_str(&format!(" · {experiment}: {arm}"));
            }
            text
        }
    }
}

/// A contact point's address (a letter's postal address on one line).
fn address(point: &ContactPoint) -> String {
    match &point.postal {
        Some(postal) => serde_json::to_value(postal.as_ref())
            .ok()
            .map(|v| summary_values(&v, false))
            .unwrap_or_else(|| point.address.clone()),
        None => point.address.clone(),
    }
}

/// An event's data on one line: its plain members (`amount: 150.00 COP · due_on: 2026-12-11`),
/// money written with its currency; ids left out.
pub(super) fn summary(data: &serde_json::Value) -> String {
    summary_values(data, true)
}

fn summary_values(data: &serde_json::Value, named: bool) -> String {
    let Some(members) = data.as_object() else {
        return match data {
            serde_json::Value::Null => String::new(),
            other => plain(other).unwrap_or_default(),
        };
    };
    let mut parts = Vec::new();
    for (key, value) in members {
        if key.ends_with("_id") || key == "id" || key == "idempotency_key" {
            continue;
        }
        let text = match plain(value) {
            Some(text) => text,
            None => continue,
        };
        if text.is_empty() {
            continue;
        }
        parts.push(if named {
            format!("{key}: {text}")
        } else {
            text
        });
    }
    parts.join(if named { " · " } else { ", " })
}

/// A JSON value as text when it is plain (a string, number, boolean or money); `None` for
/// nulls, lists and other objects.
fn plain(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(text) => Some(text.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        serde_json::Value::Object(members) if members.len() == 2 => {
            let amount = members.get("amount")?.as_str()?;
            let currency = members.get("currency")?.as_str()?;
            Some(format!("{amount} {currency}"))
        }
        _ => None,
    }
}

fn yes_no(op: &Operator, value: bool) -> &'static str {
    if value {
        op.t("yes", "sí", "sim")
    } else {
        op.t("no", "no", "não")
    }
}

fn empty(op: &Operator) -> String {
    format!(
        "<p class=\"empty\">{}</p>\n",
        op.t("None.", "Ninguno.", "Nenhum.")
    )
}

fn kind_label(op: &Operator, kind: &str) -> &'static str {
    match kind {
        "business" => op.t("business", "empresa", "empresa"),
        _ => op.t("person", "persona", "pessoa"),
    }
}

fn consent_label(op: &Operator, status: &str) -> &'static str {
    match status {
        "granted" => op.t("granted", "otorgado", "concedido"),
        "denied" => op.t("denied", "denegado", "negado"),
        "opted_out" => op.t("opted out", "dado de baja", "descadastrado"),
        _ => op.t("unknown", "desconocido", "desconhecido"),
    }
}

/// A status of a debt, promise, plan, dispute, task or message, in the operator's language;
/// one not known here as it is stored.
pub(super) fn status_label<'a>(op: &Operator, status: &'a str) -> std::borrow::Cow<'a, str> {
    let text = match status {
        "open" => op.t("open", "abierta", "em aberto"),
        "promised" => op.t("promised", "prometida", "prometida"),
        "plan" => op.t("in a plan", "en plan", "em plano"),
        "disputed" => op.t("disputed", "en disputa", "contestada"),
        "paid" => op.t("paid", "pagada", "paga"),
        "written_off" => op.t("written off", "castigada", "baixada"),
        "pending" => op.t("pending", "pendiente", "pendente"),
        "kept" => op.t("kept", "cumplida", "cumprida"),
        "broken" => op.t("broken", "incumplida", "descumprida"),
        "cancelled" => op.t("cancelled", "cancelada", "cancelada"),
        "upheld" => op.t("upheld", "aceptada", "procedente"),
        "rejected" => op.t("rejected", "rechazada", "improcedente"),
        "active" => op.t("active", "activo", "ativo"),
        "completed" => op.t("completed", "completado", "concluído"),
        "claimed" => op.t("claimed", "tomada", "assumida"),
        "resolved" => op.t("resolved", "resuelta", "resolvida"),
        "planned" => op.t("planned", "planificado", "planejado"),
        "sending" => op.t("sending", "enviando", "enviando"),
        "sent" => op.t("sent", "enviado", "enviado"),
        "delivered" => op.t("delivered", "entregado", "entregue"),
        "opened" => op.t("opened", "abierto", "aberto"),
        "clicked" => op.t("clicked", "con clic", "clicado"),
        "failed" => op.t("failed", "fallido", "falhou"),
        "bounced" => op.t("bounced", "rebotado", "devolvido"),
        _ => return std::borrow::Cow::Borrowed(status),
    };
    std::borrow::Cow::Borrowed(text)
}

/// What an event says happened, in the operator's language; a kind not named here readable
/// from its stored name.
fn event_label(op: &Operator, kind: &str) -> String {
    let text = match kind {
        "debtor_created" => op.t("Debtor created", "Deudor creado", "Devedor criado"),
        "debtor_updated" => op.t("Debtor updated", "Deudor actualizado", "Devedor atualizado"),
        "contact_point_added" => op.t(
            "Contact point added",
            "Punto de contacto agregado",
            "Ponto de contato adicionado",
        ),
        "consent_changed" => op.t(
            "Consent changed",
            "Consentimiento cambiado",
            "Consentimento alterado",
        ),
        "opted_out" => op.t("Opted out", "Se dio de baja", "Descadastrou-se"),
        "invoice_issued" => op.t("Invoice issued", "Factura emitida", "Fatura emitida"),
        "debt_updated" => op.t("Debt updated", "Deuda actualizada", "Dívida atualizada"),
        "contact_planned" => op.t(
            "Contact planned",
            "Contacto planificado",
            "Contato planejado",
        ),
        "contact_sent" => op.t("Contact sent", "Contacto enviado", "Contato enviado"),
        "delivered" => op.t("Delivered", "Entregado", "Entregue"),
        "opened" => op.t("Opened", "Abierto", "Aberto"),
        "clicked" => op.t("Clicked", "Clic", "Clicado"),
        "failed" => op.t("Contact failed", "Contacto fallido", "Contato falhou"),
        "bounced" => op.t("Bounced", "Rebotado", "Devolvido"),
        "cancelled" => op.t(
            "Contact cancelled",
            "Contacto cancelado",
            "Contato cancelado",
        ),
        "task_created" => op.t("Task created", "Tarea creada", "Tarefa criada"),
        "task_resolved" => op.t("Task resolved", "Tarea resuelta", "Tarefa resolvida"),
        "replied" => op.t("Replied", "Respondió", "Respondeu"),
        "intent_detected" => op.t(
            "Intent detected",
            "Intención detectada",
            "Intenção detectada",
        ),
        "promise_made" => op.t("Promise made", "Promesa registrada", "Promessa registrada"),
        "promise_kept" => op.t("Promise kept", "Promesa cumplida", "Promessa cumprida"),
        "promise_broken" => op.t(
            "Promise broken",
            "Promesa incumplida",
            "Promessa descumprida",
        ),
        "promise_cancelled" => op.t(
            "Promise cancelled",
            "Promesa cancelada",
            "Promessa cancelada",
        ),
        "payment_received" => op.t("Payment received", "Pago recibido", "Pagamento recebido"),
        "debt_paid" => op.t("Debt paid", "Deuda pagada", "Dívida paga"),
        "dispute_opened" => op.t("Dispute opened", "Disputa abierta", "Contestação aberta"),
        "dispute_resolved" => op.t(
            "Dispute resolved",
            "Disputa resuelta",
            "Contestação resolvida",
        ),
        "plan_accepted" => op.t("Plan accepted", "Plan aceptado", "Plano aceito"),
        "instalment_paid" => op.t("Instalment paid", "Cuota pagada", "Parcela paga"),
        "plan_broken" => op.t("Plan broken", "Plan incumplido", "Plano descumprido"),
        "plan_completed" => op.t("Plan completed", "Plan completado", "Plano concluído"),
        "plan_cancelled" => op.t("Plan cancelled", "Plan cancelado", "Plano cancelado"),
        "portal_visited" => op.t("Portal visited", "Visitó el portal", "Visitou o portal"),
        _ => return kind.replace('_', " "),
    };
    text.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use recaudo_domain::Currency;
    use serde_json::json;

    fn debt(balance: i64, currency: Currency, status: DebtStatus) -> Debt {
        let at = DateTime::<Utc>::from_timestamp(1_790_000_000, 0).expect("an instant");
        Debt {
            id: DebtId::generate(),
            debtor_id: DebtorId::generate(),
            external_id: "F-1".into(),
            original: Money::from_minor(balance, currency),
            balance: Money::from_minor(balance, currency),
            issued_on: NaiveDate::from_ymd_opt(2026, 10, 1).expect("date"),
            due_on: NaiveDate::from_ymd_opt(2026, 11, 1).expect("date"),
            product: None,
            status,
            strategy: None,
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn an_event_reads_on_one_line_without_ids() {
        let data = json!({
            "payment_id": "pay_01", "amount": {"amount": "150.00", "currency": "BRL"},
            "method": "pix", "credit": null, "idempotency_key": "k", "segments": 2,
            "nested": {"a": 1, "b": 2, "c": 3}
        });
        assert_eq!(
            summary(&data),
            "amount: 150.00 BRL · method: pix · segments: 2"
        );
        assert_eq!(summary(&serde_json::Value::Null), "");
    }

    #[test]
    fn days_late_and_open_balance_count_only_debts_still_owed() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
        let open = debt(90_000, Currency::Brl, DebtStatus::Open);
        let promised = debt(10_000, Currency::Brl, DebtStatus::Promised);
        let paid = debt(0, Currency::Brl, DebtStatus::Paid);
        let dollars = debt(2_500, Currency::Usd, DebtStatus::Disputed);
        assert_eq!(days_late(&open, today), 22);
        assert_eq!(days_late(&paid, today), 0);
        let early = NaiveDate::from_ymd_opt(2026, 10, 20).expect("date");
        assert_eq!(days_late(&open, early), 0);
        let sums = open_balance(&[open, promised, paid, dollars]);
        assert_eq!(
            sums,
            vec![
                Money::from_minor(100_000, Currency::Brl),
                Money::from_minor(2_500, Currency::Usd)
            ]
        );
        assert_eq!(moneys_plain(&sums), "1000.00 BRL + 25.00 USD");
    }

    #[test]
    fn a_debt_shows_its_strategy_version_and_arms() {
        let mut d = debt(100, Currency::Brl, DebtStatus::Open);
        assert_eq!(strategy(&d), "—");
        d.strategy = Some(recaudo_domain::portfolio::StrategyAssignment {
            strategy: "consumer-default".into(),
            version: 3,
            arms: [("tone".to_string(), "friendly".to_string())].into(),
            started_at: d.created_at,
        });
        assert_eq!(strategy(&d), "consumer-default v3 · tone: friendly");
    }

    #[test]
    fn an_export_path_names_the_debtor_and_only_it() {
        let id = DebtorId::generate();
        assert_eq!(debtor_id(&id.to_string()), Some((id, false)));
        assert_eq!(debtor_id(&format!("{id}.csv")), Some((id, true)));
        assert_eq!(debtor_id("dbr_nonsense"), None);
        assert_eq!(debtor_id(&format!("{id}.pdf")), None);
    }
}
