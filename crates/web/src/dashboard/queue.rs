//! The agent queue: open and claimed tasks by queue, and one task with the debtor's
//! conversation and the forms an agent works it with (claim, reply, promise, payment, dispute,
//! note, resolve). Every form goes through the same functions as the JSON API
//! (`crate::api::tasks`), after the operator's role and the form's anti-forgery value are checked.

use std::collections::{BTreeSet, HashMap};

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use bytes::Bytes;
use chrono::{NaiveDate, TimeZone};
use chrono_tz::Tz;
use recaudo_domain::portfolio::{Channel, Debt};
use recaudo_domain::tasks::{Task, TaskState};
use recaudo_domain::{DebtId, DebtorId, TaskId};
use recaudo_store::{StoreError, TaskFilter, TenantStore};
use serde::Deserialize;

use super::debtors::{
    Line, cash, days_late, is_open, local, status_label, tenant_zone, timeline_html,
};
use super::layout::{Nav, csv_response, escape, failure, form_start, not_found, page, redirect};
use super::session::{Operator, Role};
use crate::AppState;
use crate::api::Amount;
use crate::api::tasks::{self, TaskDispute, TaskPayment, TaskPromise, TaskView};
use crate::extract::Ctx;
use crate::portal::security::{field, form_fields};
use crate::problem::Problem;

/// The most tasks the list shows (and a CSV export holds).
const LIST_MAX: i64 = 1000;

/// What the queue page is asked.
#[derive(Debug, Default, Deserialize)]
pub struct QueueQuery {
    /// One queue's tasks; all when absent.
    #[serde(default)]
    pub queue: Option<String>,
    /// `open`, `claimed`, `resolved`, or `active` (open and claimed, the default).
    #[serde(default)]
    pub state: Option<String>,
}

impl QueueQuery {
    fn queue(&self) -> Option<&str> {
        self.queue
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
    }

    fn states(&self) -> Vec<TaskState> {
        match self.state.as_deref() {
            Some("open") => vec![TaskState::Open],
            Some("claimed") => vec![TaskState::Claimed],
            Some("resolved") => vec![TaskState::Resolved],
            _ => vec![TaskState::Open, TaskState::Claimed],
        }
    }

    fn state_code(&self) -> &'static str {
        match self.state.as_deref() {
            Some("open") => "open",
            Some("claimed") => "claimed",
            Some("resolved") => "resolved",
            _ => "active",
        }
    }
}

/// The tasks asked for, oldest first, with their debtors' names.
async fn tasks_of(
    ts: &TenantStore,
    query: &QueueQuery,
) -> Result<(Vec<Task>, HashMap<DebtorId, String>), StoreError> {
    let mut tasks = Vec::new();
    for state in query.states() {
        tasks.extend(
            ts.list_tasks(&TaskFilter {
                state: Some(state),
                queue: query.queue().map(str::to_string),
                debtor: None,
                limit: LIST_MAX,
            })
            .await?,
        );
    }
    tasks.sort_by_key(|t| (t.created_at, t.id.to_string()));
    tasks.truncate(LIST_MAX as usize);
    let mut names = HashMap::new();
    for debtor in tasks.iter().filter_map(|t| t.debtor_id) {
        if names.contains_key(&debtor) {
            continue;
        }
        match ts.get_debtor(debtor).await {
            Ok(d) => {
                names.insert(debtor, d.name);
            }
            // An erased debtor's task keeps its place without a name.
            Err(StoreError::NotFound { .. }) => {}
            Err(error) => return Err(error),
        }
    }
    Ok((tasks, names))
}

/// The queues agents work: those of the tenant's open and claimed tasks.
async fn queues(ts: &TenantStore) -> Result<BTreeSet<String>, StoreError> {
    let mut out = BTreeSet::new();
    for state in [TaskState::Open, TaskState::Claimed] {
        for task in ts
            .list_tasks(&TaskFilter {
                state: Some(state),
                limit: LIST_MAX,
                ..Default::default()
            })
            .await?
        {
            out.insert(task.queue);
        }
    }
    Ok(out)
}

/// `GET /app/queue?queue=&state=`: the tasks, oldest first.
pub async fn list(op: Operator, Query(query): Query<QueueQuery>) -> Response {
    let (tasks, names) = match tasks_of(&op.tenant, &query).await {
        Ok(found) => found,
        Err(error) => return failure(&op, &error),
    };
    let queues = match queues(&op.tenant).await {
        Ok(queues) => queues,
        Err(error) => return failure(&op, &error),
    };
    let tz = tenant_zone(&op.tenant);
    let state = query.state_code();
    let href = |queue: Option<&str>, state: &str| {
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        if let Some(queue) = queue {
            pairs.push(("queue", queue));
        }
        if state != "active" {
            pairs.push(("state", state));
        }
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    };
    let mut b = format!(
        "<nav class=\"filters\" aria-label=\"{}\"><ul>",
        op.t("Queues", "Colas", "Filas"),
    );
    let current = query.queue();
    let chip = |label: &str, target: String, on: bool| {
        format!(
            "<li><a href=\"/app/queue?{}\"{}>{}</a></li>",
            escape(&target),
            if on { " aria-current=\"page\"" } else { "" },
            escape(label)
        )
    };
    b.push_str(&chip(
        op.t("All queues", "Todas las colas", "Todas as filas"),
        href(None, state),
        current.is_none(),
    ));
    for queue in &queues {
        b.push_str(&chip(
            queue,
            href(Some(queue), state),
            current == Some(queue.as_str()),
        ));
    }
    b.push_str("</ul><ul>");
    for (code, label) in [
        (
            "active",
            op.t(
                "Open and claimed",
                "Abiertas y tomadas",
                "Abertas e assumidas",
            ),
        ),
        ("open", op.t("Open", "Abiertas", "Abertas")),
        ("claimed", op.t("Claimed", "Tomadas", "Assumidas")),
        ("resolved", op.t("Resolved", "Resueltas", "Resolvidas")),
    ] {
        b.push_str(&chip(label, href(current, code), state == code));
    }
    b.push_str("</ul></nav>\n");
    if tasks.is_empty() {
        b.push_str(&format!(
            "<p class=\"empty\">{}</p>\n",
            op.t(
                "No task waits here.",
                "No hay tareas pendientes aquí.",
                "Nenhuma tarefa aguarda aqui."
            )
        ));
    } else {
        b.push_str(&format!(
            "<table class=\"queue\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th>\
             <th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>\n",
            op.t("Created", "Creada", "Criada"),
            op.t("Queue", "Cola", "Fila"),
            op.t("Debtor", "Deudor", "Devedor"),
            op.t("Reason", "Motivo", "Motivo"),
            op.t("Status", "Estado", "Situação"),
            op.t("Agent", "Agente", "Agente"),
            op.t("Task", "Tarea", "Tarefa"),
        ));
        for task in &tasks {
            let debtor = match task.debtor_id {
                Some(id) => format!(
                    "<a href=\"/app/debtors/{id}\">{}</a>",
                    escape(names.get(&id).map_or("—", String::as_str))
                ),
                None => escape(op.t(
                    "unknown sender",
                    "remitente desconocido",
                    "remetente desconhecido",
                )),
            };
            b.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
                 <td><a href=\"/app/queue/{}\">{}</a></td></tr>\n",
                local(task.created_at, tz),
                escape(&task.queue),
                debtor,
                escape(task.reason.as_deref().unwrap_or(&task.script)),
                status_label(&op, task.state.as_str()),
                escape(task.assignee.as_deref().unwrap_or("—")),
                task.id,
                op.t("Open", "Abrir", "Abrir"),
            ));
        }
        b.push_str("</tbody></table>\n");
    }
    b.push_str(&format!(
        "<p class=\"pager\"><a class=\"csv\" href=\"/app/queue.csv?{}\">{}</a></p>\n",
        escape(&href(current, state)),
        op.t("Export CSV", "Exportar CSV", "Exportar CSV"),
    ));
    page(
        &op,
        Nav::Queue,
        op.t("Agent queue", "Cola de agentes", "Fila de agentes"),
        &b,
    )
}

/// `GET /app/queue.csv?queue=&state=`: the same tasks as CSV.
pub async fn list_csv(op: Operator, Query(query): Query<QueueQuery>) -> Response {
    let (tasks, names) = match tasks_of(&op.tenant, &query).await {
        Ok(found) => found,
        Err(error) => return failure(&op, &error),
    };
    let rows = tasks
        .iter()
        .map(|t| {
            vec![
                t.id.to_string(),
                t.created_at.to_rfc3339(),
                t.queue.clone(),
                t.script.clone(),
                t.state.as_str().to_string(),
                t.assignee.clone().unwrap_or_default(),
                t.debtor_id.map(|d| d.to_string()).unwrap_or_default(),
                t.debtor_id
                    .and_then(|d| names.get(&d).cloned())
                    .unwrap_or_default(),
                t.debt_id.map(|d| d.to_string()).unwrap_or_default(),
                t.reason.clone().unwrap_or_default(),
                t.outcome.clone().unwrap_or_default(),
            ]
        })
        .collect();
    csv_response(
        "tasks.csv",
        &[
            "id",
            "created_at",
            "queue",
            "script",
            "state",
            "assignee",
            "debtor_id",
            "debtor",
            "debt_id",
            "reason",
            "outcome",
        ],
        rows,
    )
}

/// What the task page is told after a form: which one was done.
#[derive(Debug, Default, Deserialize)]
pub struct TaskQuery {
    #[serde(default)]
    pub done: Option<String>,
}

/// A form that was refused, to show again with what was typed and why.
struct Refused {
    form: &'static str,
    fields: Vec<(String, String)>,
    /// The form field at fault; none when the task itself refused (claimed by another agent).
    field: Option<String>,
    message: String,
}

fn ctx(state: &AppState, op: &Operator) -> Ctx {
    Ctx {
        ts: op.tenant.clone(),
        now: state.clock.now(),
    }
}

/// `GET /app/queue/{task}`: the task, the debtor's conversation, and the forms.
pub async fn show(
    State(state): State<AppState>,
    op: Operator,
    Path(raw): Path<String>,
    Query(query): Query<TaskQuery>,
) -> Response {
    let Ok(id) = raw.parse::<TaskId>() else {
        return not_found(&op);
    };
    render(&state, &op, id, query.done.as_deref(), None).await
}

/// `POST /app/queue/{task}/{action}`: one of the task's forms. The role and the anti-forgery
/// value are checked first; then the same function as the API's does the work; then 303 back
/// to the task with what was done, or the page again (422, 409) with the message at the field.
pub async fn act(
    State(state): State<AppState>,
    op: Operator,
    Path((raw, action)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let fields = form_fields(&body).unwrap_or_default();
    if let Err(refused) = op.check_form(&fields, Role::Agent) {
        return refused;
    }
    let Ok(id) = raw.parse::<TaskId>() else {
        return not_found(&op);
    };
    let ctx = ctx(&state, &op);
    let (form, done, result) = match action.as_str() {
        "claim" => (
            "claim",
            "claimed",
            ctx.ts
                .claim_task(id, &op.email, ctx.now)
                .await
                .map(|_| ())
                .map_err(Problem::from),
        ),
        "reply" => ("reply", "replied", reply(&ctx, &op, id, &fields).await),
        "promise" => ("promise", "promised", promise(&ctx, id, &fields).await),
        "payment" => ("payment", "paid", payment(&ctx, id, &fields).await),
        "dispute" => ("dispute", "disputed", dispute(&ctx, id, &fields).await),
        "note" => (
            "note",
            "noted",
            ctx.ts
                .add_task_note(id, &op.email, field(&fields, "note").unwrap_or(""), ctx.now)
                .await
                .map(|_| ())
                .map_err(Problem::from),
        ),
        "resolve" => ("resolve", "resolved", resolve(&ctx, id, &fields).await),
        _ => return not_found(&op),
    };
    match result {
        Ok(()) => redirect(&format!("/app/queue/{id}?done={done}")),
        Err(problem) if problem.status == 404 && problem.field.is_none() => not_found(&op),
        Err(problem) if problem.status >= 500 => failure(&op, &problem),
        Err(problem) => {
            let status = if problem.status == 409 {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let field = problem.field.as_deref().map(|f| form_field(form, f));
            let message = message(&op, form, field.as_deref(), &problem);
            let refused = Refused {
                form,
                fields,
                field,
                message,
            };
            let mut response = render(&state, &op, id, None, Some(refused)).await;
            if response.status().is_success() {
                *response.status_mut() = status;
            }
            response
        }
    }
}

/// The form field a problem's field is shown at.
fn form_field(form: &str, problem_field: &str) -> String {
    match (form, problem_field) {
        ("payment", "received_at") => "received_on".into(),
        ("dispute", "reason") => "text".into(),
        (_, "currency") => "amount".into(),
        (_, other) => other.to_string(),
    }
}

/// What the agent reads next to the field at fault, in their language, with the detail.
fn message(op: &Operator, form: &str, field: Option<&str>, problem: &Problem) -> String {
    let rule = problem.slug() == "rule-violation";
    let lead = match (form, field) {
        (_, Some("amount")) if rule => op.t(
            "The amount must be more than zero and not above the balance.",
            "El monto debe ser mayor que cero y no superar el saldo.",
            "O valor deve ser maior que zero e não superar o saldo.",
        ),
        (_, Some("amount")) => op.t(
            "Enter the amount as a number, for example 150.00.",
            "Escriba el monto como un número, por ejemplo 150.00.",
            "Informe o valor como um número, por exemplo 150.00.",
        ),
        (_, Some("due_on")) if rule => op.t(
            "The date must be today or later.",
            "La fecha debe ser hoy o posterior.",
            "A data deve ser hoje ou posterior.",
        ),
        (_, Some("due_on")) => op.t(
            "Enter a date as YYYY-MM-DD.",
            "Escriba una fecha como AAAA-MM-DD.",
            "Informe uma data como AAAA-MM-DD.",
        ),
        (_, Some("received_on")) => op.t(
            "Enter the date the money arrived (today or earlier).",
            "Indique la fecha en que llegó el dinero (hoy o antes).",
            "Informe a data em que o dinheiro chegou (hoje ou antes).",
        ),
        (_, Some("method")) => op.t(
            "Choose how it was paid.",
            "Elija cómo se pagó.",
            "Escolha como foi pago.",
        ),
        (_, Some("debt_id")) => op.t(
            "Choose one of the debtor's debts.",
            "Elija una de las deudas del deudor.",
            "Escolha uma das dívidas do devedor.",
        ),
        (_, Some("channel")) => op.t(
            "This channel cannot take the answer.",
            "Este canal no puede llevar la respuesta.",
            "Este canal não pode levar a resposta.",
        ),
        ("reply", Some("text")) => op.t(
            "Write an answer of 1 to 1600 characters.",
            "Escriba una respuesta de 1 a 1600 caracteres.",
            "Escreva uma resposta de 1 a 1600 caracteres.",
        ),
        ("dispute", Some("reason" | "text")) => op.t(
            "Say what the debtor objects to (up to 2000 characters).",
            "Indique qué objeta el deudor (hasta 2000 caracteres).",
            "Informe o que o devedor contesta (até 2000 caracteres).",
        ),
        (_, Some("note")) => op.t(
            "Write a note of 1 to 4000 characters.",
            "Escriba una nota de 1 a 4000 caracteres.",
            "Escreva uma nota de 1 a 4000 caracteres.",
        ),
        (_, Some("outcome")) => op.t(
            "Choose an outcome.",
            "Elija un resultado.",
            "Escolha um resultado.",
        ),
        _ => op.t(
            "The task cannot take this now.",
            "La tarea no admite esto ahora.",
            "A tarefa não admite isto agora.",
        ),
    };
    match &problem.detail {
        Some(detail) => format!("{lead} ({detail})"),
        None => lead.to_string(),
    }
}

async fn reply(
    ctx: &Ctx,
    op: &Operator,
    id: TaskId,
    fields: &[(String, String)],
) -> Result<(), Problem> {
    let channel = match field(fields, "channel").map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(
            text.parse::<Channel>()
                .map_err(|e| Problem::invalid_field("channel", e.to_string()))?,
        ),
    };
    let body = tasks::ReplyTask {
        assignee: op.email.clone(),
        text: field(fields, "text").unwrap_or("").to_string(),
        channel,
    };
    tasks::answer(ctx, id, body).await.map(|_| ())
}

/// The debt a form names (`debt_id`), if it names one.
fn debt_of(fields: &[(String, String)]) -> Result<Option<DebtId>, Problem> {
    match field(fields, "debt_id").map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => text
            .parse::<DebtId>()
            .map(Some)
            .map_err(|_| Problem::invalid_field("debt_id", format!("`{text}` is not a debt id"))),
    }
}

/// A required amount field.
fn amount_of(fields: &[(String, String)]) -> Result<Amount, Problem> {
    match field(fields, "amount").map(str::trim) {
        None | Some("") => Err(Problem::invalid_field("amount", "an amount is required")),
        Some(text) => Ok(Amount(text.to_string())),
    }
}

/// A required date field.
fn date_of(fields: &[(String, String)], name: &str) -> Result<NaiveDate, Problem> {
    let text = field(fields, name).map(str::trim).unwrap_or("");
    if text.is_empty() {
        return Err(Problem::invalid_field(name, "a date is required"));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| Problem::invalid_field(name, format!("`{text}` is not a date as YYYY-MM-DD")))
}

async fn promise(ctx: &Ctx, id: TaskId, fields: &[(String, String)]) -> Result<(), Problem> {
    let body = TaskPromise {
        debt_id: debt_of(fields)?,
        amount: Some(amount_of(fields)?),
        due_on: date_of(fields, "due_on")?,
        currency: None,
        channel: None,
    };
    tasks::record_promise(ctx, id, body).await.map(|_| ())
}

async fn payment(ctx: &Ctx, id: TaskId, fields: &[(String, String)]) -> Result<(), Problem> {
    let debt_id = debt_of(fields)?;
    let amount = amount_of(fields)?;
    let day = date_of(fields, "received_on")?;
    let tz = tenant_zone(&ctx.ts);
    let today = ctx.now.with_timezone(&tz).date_naive();
    let received_at = if day > today {
        return Err(Problem::invalid_field(
            "received_on",
            "a payment cannot be received in the future",
        ));
    } else if day == today {
        None
    } else {
        // Midday of that local day: the day it was received, whatever the offset.
        noon(tz, day)
    };
    let method = field(fields, "method")
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_string);
    let body = TaskPayment {
        debt_id,
        amount,
        currency: None,
        method,
        received_at,
    };
    tasks::record_payment(ctx, id, body).await.map(|_| ())
}

fn noon(tz: Tz, day: NaiveDate) -> Option<chrono::DateTime<chrono::Utc>> {
    let midday = day.and_hms_opt(12, 0, 0)?;
    tz.from_local_datetime(&midday)
        .earliest()
        .map(|at| at.with_timezone(&chrono::Utc))
}

/// The reasons a debtor objects for, as the dispute form offers them.
const DISPUTE_REASONS: [&str; 5] = [
    "not_mine",
    "already_paid",
    "wrong_amount",
    "service_issue",
    "other",
];

async fn dispute(ctx: &Ctx, id: TaskId, fields: &[(String, String)]) -> Result<(), Problem> {
    let debt_id = debt_of(fields)?;
    let code = field(fields, "reason").map(str::trim).unwrap_or("");
    if !DISPUTE_REASONS.contains(&code) {
        return Err(Problem::invalid_field(
            "reason",
            format!("choose one of: {}", DISPUTE_REASONS.join(", ")),
        ));
    }
    let text = field(fields, "text").map(str::trim).unwrap_or("");
    let reason = if text.is_empty() {
        code.to_string()
    } else {
        format!("{code}: {text}")
    };
    let body = TaskDispute { debt_id, reason };
    tasks::open_dispute(ctx, id, body).await.map(|_| ())
}

async fn resolve(ctx: &Ctx, id: TaskId, fields: &[(String, String)]) -> Result<(), Problem> {
    let outcome = field(fields, "outcome").unwrap_or("");
    let note = field(fields, "note");
    ctx.ts
        .resolve_task(id, outcome, note, ctx.now)
        .await
        .map(|_| ())
        .map_err(Problem::from)
}

/// The outcomes the resolve form offers.
const OUTCOMES: [&str; 7] = [
    "promise",
    "paid",
    "plan",
    "dispute",
    "no_answer",
    "wrong_number",
    "other",
];

async fn render(
    state: &AppState,
    op: &Operator,
    id: TaskId,
    done: Option<&str>,
    refused: Option<Refused>,
) -> Response {
    let ctx = ctx(state, op);
    let view = match tasks::view(&ctx, id).await {
        Ok(view) => view,
        Err(problem) if problem.status == 404 => return not_found(op),
        Err(problem) => return failure(op, &problem),
    };
    let debtor = match view.task.debtor_id {
        Some(debtor) => match ctx.ts.get_debtor(debtor).await {
            Ok(d) => Some(d),
            Err(StoreError::NotFound { .. }) => None,
            Err(error) => return failure(op, &error),
        },
        None => None,
    };
    let tz = debtor
        .as_ref()
        .map(|d| super::debtors::debtor_zone(&ctx.ts, d))
        .unwrap_or_else(|| tenant_zone(&ctx.ts));
    let today = ctx.now.with_timezone(&tz).date_naive();
    let body = task_html(
        op,
        &view,
        debtor.as_ref(),
        tz,
        today,
        done,
        refused.as_ref(),
    );
    let who = debtor.as_ref().map_or_else(
        || {
            op.t(
                "Unknown sender",
                "Remitente desconocido",
                "Remetente desconhecido",
            )
            .to_string()
        },
        |d| d.name.clone(),
    );
    let title = format!("{} · {}", escape(&view.task.queue), escape(&who));
    page(op, Nav::Queue, &title, &body)
}

#[allow(clippy::too_many_arguments)]
fn task_html(
    op: &Operator,
    view: &TaskView,
    debtor: Option<&recaudo_domain::portfolio::Debtor>,
    tz: Tz,
    today: NaiveDate,
    done: Option<&str>,
    refused: Option<&Refused>,
) -> String {
    let task = &view.task;
    let mut b = format!(
        "<p class=\"crumbs\"><a href=\"/app/queue\">{}</a></p>\n",
        op.t("Agent queue", "Cola de agentes", "Fila de agentes")
    );
    if let Some(done) = done.and_then(|d| done_text(op, d)) {
        b.push_str(&format!(
            "<p class=\"flash\" role=\"status\">{}</p>\n",
            escape(done)
        ));
    }
    let who = match debtor {
        Some(d) => format!("<a href=\"/app/debtors/{}\">{}</a>", d.id, escape(&d.name)),
        None => escape(op.t(
            "Unknown sender",
            "Remitente desconocido",
            "Remetente desconhecido",
        )),
    };
    b.push_str(&format!(
        "<dl class=\"facts\"><dt>{}</dt><dd>{who}</dd>",
        op.t("Debtor", "Deudor", "Devedor")
    ));
    let facts = [
        (
            op.t("Status", "Estado", "Situação"),
            status_label(op, task.state.as_str()).to_string(),
        ),
        (
            op.t("Agent", "Agente", "Agente"),
            task.assignee.clone().unwrap_or_else(|| "—".into()),
        ),
        (op.t("Script", "Guion", "Roteiro"), task.script.clone()),
        (
            op.t("Reason", "Motivo", "Motivo"),
            task.reason.clone().unwrap_or_else(|| "—".into()),
        ),
        (
            op.t("Created", "Creada", "Criada"),
            local(task.created_at, tz),
        ),
    ];
    for (name, value) in facts {
        b.push_str(&format!(
            "<dt>{}</dt><dd>{}</dd>",
            escape(name),
            escape(&value)
        ));
    }
    if let Some(outcome) = &task.outcome {
        b.push_str(&format!(
            "<dt>{}</dt><dd>{}</dd>",
            op.t("Outcome", "Resultado", "Resultado"),
            escape(outcome)
        ));
    }
    b.push_str("</dl>\n");
    if !task.candidates.is_empty() {
        b.push_str(&format!(
            "<p class=\"note\">{} {}</p>\n",
            op.t(
                "Several debtors share the sender's address:",
                "Varios deudores comparten la dirección del remitente:",
                "Vários devedores compartilham o endereço do remetente:"
            ),
            task.candidates
                .iter()
                .map(|c| format!("<a href=\"/app/debtors/{c}\">{c}</a>"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }

    // Debts.
    if !view.debts.is_empty() {
        b.push_str(&format!(
            "<h2>{}</h2><table><thead><tr><th>{}</th><th>{}</th><th class=\"num\">{}</th>\
             <th>{}</th><th class=\"num\">{}</th></tr></thead><tbody>\n",
            op.t("Debts", "Deudas", "Dívidas"),
            op.t("Debt", "Deuda", "Dívida"),
            op.t("Status", "Estado", "Situação"),
            op.t("Balance", "Saldo", "Saldo"),
            op.t("Due", "Vence", "Vencimento"),
            op.t("Days late", "Días de atraso", "Dias de atraso"),
        ));
        for debt in &view.debts {
            b.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td></tr>\n",
                escape(&debt.external_id),
                status_label(op, debt.status.as_str()),
                escape(&cash(op, &debt.balance)),
                debt.due_on,
                days_late(debt, today),
            ));
        }
        b.push_str("</tbody></table>\n");
    }

    // The conversation.
    let debt_name = |id: DebtId| {
        view.debts
            .iter()
            .find(|d| d.id == id)
            .map_or_else(|| id.to_string(), |d| d.external_id.clone())
    };
    b.push_str(&format!(
        "<h2>{}</h2>\n",
        op.t("Conversation", "Conversación", "Conversa")
    ));
    let lines: Vec<Line> = view.thread.iter().cloned().map(Line::Said).collect();
    b.push_str(&timeline_html(op, &lines, tz, &debt_name));

    // Notes.
    b.push_str(&format!("<h2>{}</h2>\n", op.t("Notes", "Notas", "Notas")));
    if view.notes.is_empty() {
        b.push_str(&format!(
            "<p class=\"empty\">{}</p>\n",
            op.t("No notes yet.", "Aún no hay notas.", "Ainda não há notas.")
        ));
    } else {
        b.push_str("<ul class=\"notes\">");
        for note in &view.notes {
            b.push_str(&format!(
                "<li><span class=\"meta\">{} · {}</span> {}</li>",
                local(note.created_at, tz),
                escape(&note.author),
                escape(&note.note)
            ));
        }
        b.push_str("</ul>\n");
    }

    // The forms.
    if task.state == TaskState::Resolved {
        b.push_str(&format!(
            "<p class=\"note\">{}</p>\n",
            op.t(
                "This task is resolved.",
                "Esta tarea está resuelta.",
                "Esta tarefa está resolvida."
            )
        ));
        return b;
    }
    if !op.can_write() {
        b.push_str(&format!(
            "<p class=\"note\">{}</p>\n",
            op.t(
                "You can read this task; an agent or an administrator works it.",
                "Puede leer esta tarea; la trabaja un agente o un administrador.",
                "Você pode ler esta tarefa; um agente ou um administrador a trabalha."
            )
        ));
        return b;
    }
    let forms = Forms {
        op,
        task,
        refused,
        debts: &view.debts,
        today,
    };
    b.push_str("<div class=\"task-forms\">\n");
    let mine = task.assignee.as_deref() == Some(op.email.as_str());
    if task.state == TaskState::Open || !mine {
        b.push_str(&forms.claim());
    }
    if task.debtor_id.is_some() {
        b.push_str(&forms.reply(mine));
        b.push_str(&forms.promise());
        b.push_str(&forms.payment());
        b.push_str(&forms.dispute());
    }
    b.push_str(&forms.note());
    b.push_str(&forms.resolve());
    b.push_str("</div>\n");
    b
}

fn done_text(op: &Operator, done: &str) -> Option<&'static str> {
    Some(match done {
        "claimed" => op.t("The task is yours.", "La tarea es suya.", "A tarefa é sua."),
        "replied" => op.t(
            "Your answer is queued to be sent.",
            "Su respuesta quedó en cola para enviarse.",
            "Sua resposta está na fila para envio.",
        ),
        "promised" => op.t(
            "The promise is recorded.",
            "La promesa quedó registrada.",
            "A promessa foi registrada.",
        ),
        "paid" => op.t(
            "The payment is recorded.",
            "El pago quedó registrado.",
            "O pagamento foi registrado.",
        ),
        "disputed" => op.t(
            "The dispute is open; collection of the debt stops.",
            "La disputa está abierta; la cobranza de la deuda se detiene.",
            "A contestação está aberta; a cobrança da dívida para.",
        ),
        "noted" => op.t(
            "The note is saved.",
            "La nota quedó guardada.",
            "A nota foi salva.",
        ),
        "resolved" => op.t(
            "The task is resolved.",
            "La tarea está resuelta.",
            "A tarefa está resolvida.",
        ),
        _ => return None,
    })
}

/// The task's forms, with what was typed and the message at the field when one was refused.
struct Forms<'a> {
    op: &'a Operator,
    task: &'a Task,
    refused: Option<&'a Refused>,
    debts: &'a [Debt],
    today: NaiveDate,
}

impl Forms<'_> {
    /// The value typed in `form`'s `name` when that form was refused, else `default`.
    fn value(&self, form: &str, name: &str, default: &str) -> String {
        match self.refused {
            Some(r) if r.form == form => field(&r.fields, name).unwrap_or("").to_string(),
            _ => default.to_string(),
        }
    }

    /// The message shown at `form`'s `name`, if it was at fault.
    fn error(&self, form: &str, name: &str) -> Option<&str> {
        match self.refused {
            Some(r) if r.form == form && r.field.as_deref() == Some(name) => {
                Some(r.message.as_str())
            }
            _ => None,
        }
    }

    /// The message of `form` not tied to a field shown (above its button).
    fn general(&self, form: &str, shown: &[&str]) -> String {
        match self.refused {
            Some(r) if r.form == form && r.field.as_deref().is_none_or(|f| !shown.contains(&f)) => {
                format!(
                    "<p class=\"form-error\" role=\"alert\">{}</p>",
                    escape(&r.message)
                )
            }
            _ => String::new(),
        }
    }

    fn start(&self, form: &str, title: &str) -> String {
        format!(
            "<section class=\"task-form\" id=\"form-{form}\"><h3>{}</h3>{}",
            escape(title),
            form_start(self.op, &format!("/app/queue/{}/{form}", self.task.id))
        )
    }

    fn end(&self, form: &str, shown: &[&str], button: &str) -> String {
        format!(
            "{}<button type=\"submit\">{}</button></form></section>\n",
            self.general(form, shown),
            escape(button)
        )
    }

    /// A labelled input (`kind`: text, number, date) with its error, if any.
    fn input(
        &self,
        form: &str,
        name: &str,
        label: &str,
        kind: &str,
        default: &str,
        extra: &str,
    ) -> String {
        let id = format!("{form}-{name}");
        let value = self.value(form, name, default);
        let (invalid, error) = self.invalid(form, name, &id);
        format!(
            "<p class=\"field\"><label for=\"{id}\">{}</label> <input id=\"{id}\" name=\"{name}\" \
             type=\"{kind}\" value=\"{}\"{extra}{invalid}>{error}</p>",
            escape(label),
            escape(&value)
        )
    }

    /// The attributes that mark field `id` invalid and the message under it, when it is.
    fn invalid(&self, form: &str, name: &str, id: &str) -> (String, String) {
        match self.error(form, name) {
            Some(message) => (
                format!(" aria-invalid=\"true\" aria-describedby=\"{id}-error\""),
                format!(
                    "<p class=\"field-error\" id=\"{id}-error\">{}</p>",
                    escape(message)
                ),
            ),
            None => (String::new(), String::new()),
        }
    }

    fn textarea(&self, form: &str, name: &str, label: &str, extra: &str) -> String {
        let id = format!("{form}-{name}");
        let value = self.value(form, name, "");
        let (invalid, error) = self.invalid(form, name, &id);
        format!(
            "<p class=\"field\"><label for=\"{id}\">{}</label> <textarea id=\"{id}\" name=\"{name}\" \
             rows=\"3\"{extra}{invalid}>{}</textarea>{error}</p>",
            escape(label),
            escape(&value)
        )
    }

    /// A select of `options` (value, label), the typed or `default` one selected.
    fn select(
        &self,
        form: &str,
        name: &str,
        label: &str,
        options: &[(String, String)],
        default: &str,
    ) -> String {
        let id = format!("{form}-{name}");
        let chosen = self.value(form, name, default);
        let (invalid, error) = self.invalid(form, name, &id);
        let mut out = format!(
            "<p class=\"field\"><label for=\"{id}\">{}</label> <select id=\"{id}\" name=\"{name}\"{invalid}>",
            escape(label)
        );
        for (value, text) in options {
            out.push_str(&format!(
                "<option value=\"{}\"{}>{}</option>",
                escape(value),
                if *value == chosen { " selected" } else { "" },
                escape(text)
            ));
        }
        out.push_str(&format!("</select>{error}</p>"));
        out
    }

    /// The debt select of a form acting on a debt: the debtor's open debts, the task's first.
    fn debt(&self, form: &str) -> String {
        let open: Vec<&Debt> = self.debts.iter().filter(|d| is_open(d)).collect();
        let options: Vec<(String, String)> = open
            .iter()
            .map(|d| {
                (
                    d.id.to_string(),
                    format!("{} · {}", d.external_id, cash(self.op, &d.balance)),
                )
            })
            .collect();
        let default = self
            .task
            .debt_id
            .or_else(|| open.first().map(|d| d.id))
            .map(|d| d.to_string())
            .unwrap_or_default();
        self.select(
            form,
            "debt_id",
            self.op.t("Debt", "Deuda", "Dívida"),
            &options,
            &default,
        )
    }

    /// The balance of the debt a form starts on, as an amount to edit.
    fn default_amount(&self) -> String {
        let open: Vec<&Debt> = self.debts.iter().filter(|d| is_open(d)).collect();
        self.task
            .debt_id
            .and_then(|id| open.iter().find(|d| d.id == id).copied())
            .or_else(|| open.first().copied())
            .map(|d| d.balance.amount_text())
            .unwrap_or_default()
    }

    fn claim(&self) -> String {
        let op = self.op;
        format!(
            "{}{}",
            self.start("claim", op.t("Claim", "Tomar", "Assumir")),
            self.end(
                "claim",
                &[],
                op.t("Claim this task", "Tomar esta tarea", "Assumir esta tarefa")
            )
        )
    }

    fn reply(&self, mine: bool) -> String {
        let op = self.op;
        let channels: Vec<(String, String)> = [
            (
                "",
                op.t(
                    "The debtor's channel",
                    "El canal del deudor",
                    "O canal do devedor",
                ),
            ),
            ("sms", "SMS"),
            ("whatsapp", "WhatsApp"),
            ("email", "E-mail"),
        ]
        .iter()
        .map(|(v, l)| (v.to_string(), l.to_string()))
        .collect();
        let mut out = self.start("reply", op.t("Reply", "Responder", "Responder"));
        if !mine {
            out.push_str(&format!(
                "<p class=\"note\">{}</p>",
                op.t(
                    "Claim the task to answer the debtor.",
                    "Tome la tarea para responder al deudor.",
                    "Assuma a tarefa para responder ao devedor."
                )
            ));
        }
        out.push_str(&self.textarea(
            "reply",
            "text",
            op.t("Message", "Mensaje", "Mensagem"),
            " maxlength=\"1600\" required",
        ));
        out.push_str(&self.select(
            "reply",
            "channel",
            op.t("Channel", "Canal", "Canal"),
            &channels,
            "",
        ));
        out.push_str(&self.end(
            "reply",
            &["text", "channel"],
            op.t("Send answer", "Enviar respuesta", "Enviar resposta"),
        ));
        out
    }

    fn promise(&self) -> String {
        let op = self.op;
        let mut out = self.start(
            "promise",
            op.t(
                "Record a promise",
                "Registrar una promesa",
                "Registrar uma promessa",
            ),
        );
        out.push_str(&self.debt("promise"));
        out.push_str(&self.input(
            "promise",
            "amount",
            op.t("Amount", "Monto", "Valor"),
            "text",
            &self.default_amount(),
            " inputmode=\"decimal\" required",
        ));
        out.push_str(&self.input(
            "promise",
            "due_on",
            op.t("Pay by", "Pagará el", "Pagará em"),
            "date",
            &self.today.to_string(),
            &format!(" min=\"{}\" required", self.today),
        ));
        out.push_str(&self.end(
            "promise",
            &["debt_id", "amount", "due_on"],
            op.t("Record promise", "Registrar promesa", "Registrar promessa"),
        ));
        out
    }

    fn payment(&self) -> String {
        let op = self.op;
        let methods: Vec<(String, String)> = [
            (
                "transfer",
                op.t("Bank transfer", "Transferencia", "Transferência"),
            ),
            ("cash", op.t("Cash", "Efectivo", "Dinheiro")),
            ("card", op.t("Card", "Tarjeta", "Cartão")),
            ("pix", "PIX"),
            ("check", op.t("Cheque", "Cheque", "Cheque")),
            ("manual", op.t("Other", "Otro", "Outro")),
        ]
        .iter()
        .map(|(v, l)| (v.to_string(), l.to_string()))
        .collect();
        let mut out = self.start(
            "payment",
            op.t(
                "Record a payment",
                "Registrar un pago",
                "Registrar um pagamento",
            ),
        );
        out.push_str(&self.debt("payment"));
        out.push_str(&self.input(
            "payment",
            "amount",
            op.t("Amount", "Monto", "Valor"),
            "text",
            "",
            " inputmode=\"decimal\" required",
        ));
        out.push_str(&self.input(
            "payment",
            "received_on",
            op.t("Received on", "Recibido el", "Recebido em"),
            "date",
            &self.today.to_string(),
            &format!(" max=\"{}\" required", self.today),
        ));
        out.push_str(&self.select(
            "payment",
            "method",
            op.t("Method", "Medio", "Meio"),
            &methods,
            "transfer",
        ));
        out.push_str(&self.end(
            "payment",
            &["debt_id", "amount", "received_on", "method"],
            op.t("Record payment", "Registrar pago", "Registrar pagamento"),
        ));
        out
    }

    fn dispute(&self) -> String {
        let op = self.op;
        let reasons: Vec<(String, String)> = DISPUTE_REASONS
            .iter()
            .map(|code| {
                let label = match *code {
                    "not_mine" => op.t("Not their debt", "No es su deuda", "Não é sua dívida"),
                    "already_paid" => op.t("Already paid", "Ya pagada", "Já paga"),
                    "wrong_amount" => op.t("Wrong amount", "Monto incorrecto", "Valor incorreto"),
                    "service_issue" => op.t(
                        "Problem with the product or service",
                        "Problema con el producto o servicio",
                        "Problema com o produto ou serviço",
                    ),
                    _ => op.t("Other", "Otro", "Outro"),
                };
                (code.to_string(), label.to_string())
            })
            .collect();
        let mut out = self.start(
            "dispute",
            op.t(
                "Open a dispute",
                "Abrir una disputa",
                "Abrir uma contestação",
            ),
        );
        out.push_str(&self.debt("dispute"));
        out.push_str(&self.select(
            "dispute",
            "reason",
            op.t("Reason", "Motivo", "Motivo"),
            &reasons,
            "not_mine",
        ));
        out.push_str(&self.textarea(
            "dispute",
            "text",
            op.t(
                "What the debtor says",
                "Lo que dice el deudor",
                "O que o devedor diz",
            ),
            " maxlength=\"1900\"",
        ));
        out.push_str(&self.end(
            "dispute",
            &["debt_id", "reason", "text"],
            op.t("Open dispute", "Abrir disputa", "Abrir contestação"),
        ));
        out
    }

    fn note(&self) -> String {
        let op = self.op;
        let mut out = self.start(
            "note",
            op.t("Add a note", "Agregar una nota", "Adicionar uma nota"),
        );
        out.push_str(&self.textarea(
            "note",
            "note",
            op.t("Note", "Nota", "Nota"),
            " maxlength=\"4000\" required",
        ));
        out.push_str(&self.end(
            "note",
            &["note"],
            op.t("Save note", "Guardar nota", "Salvar nota"),
        ));
        out
    }

    fn resolve(&self) -> String {
        let op = self.op;
        let outcomes: Vec<(String, String)> = OUTCOMES
            .iter()
            .map(|code| {
                let label = match *code {
                    "promise" => op.t("Promised to pay", "Prometió pagar", "Prometeu pagar"),
                    "paid" => op.t("Paid", "Pagó", "Pagou"),
                    "plan" => op.t("Payment plan", "Plan de pago", "Plano de pagamento"),
                    "dispute" => op.t("Dispute", "Disputa", "Contestação"),
                    "no_answer" => op.t("No answer", "Sin respuesta", "Sem resposta"),
                    "wrong_number" => op.t("Wrong number", "Número equivocado", "Número errado"),
                    _ => op.t("Other", "Otro", "Outro"),
                };
                (code.to_string(), label.to_string())
            })
            .collect();
        let mut out = self.start("resolve", op.t("Resolve", "Resolver", "Resolver"));
        out.push_str(&self.select(
            "resolve",
            "outcome",
            op.t("Outcome", "Resultado", "Resultado"),
            &outcomes,
            "promise",
        ));
        out.push_str(&self.textarea(
            "resolve",
            "note",
            op.t("Note (optional)", "Nota (opcional)", "Nota (opcional)"),
            " maxlength=\"4000\"",
        ));
        out.push_str(&self.end(
            "resolve",
            &["outcome", "note"],
            op.t("Resolve task", "Resolver tarea", "Resolver tarefa"),
        ));
        out
    }
}
