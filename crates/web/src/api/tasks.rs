//! Agent tasks, from strategies' `task:` steps and from debtors' messages (the agent inbox):
//! listed per state, queue and debtor, read with the debtor's conversation, debts and notes,
//! claimed by one agent, answered, acted on (a promise, a payment, a dispute, each naming the
//! task and its message), and resolved with an outcome (`task_resolved` on the timeline).

use axum::Json;
use axum::http::StatusCode;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use recaudo_domain::conversation::{ConversationEntry, Direction, Message};
use recaudo_domain::portfolio::{Channel, ContactPoint, Debt, DebtStatus, parse_timezone};
use recaudo_domain::tasks::{Task, TaskState};
use recaudo_domain::{ContactId, Currency, DebtId, DebtorId, TaskId};
use recaudo_store::{DebtFilter, NewReply, TaskFilter, TaskNote};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use super::Amount;
use super::disputes::DisputeResult;
use super::payments::{CreatePayment, PaymentResult};
use super::promises::PromiseResult;
use crate::extract::{ApiJson, ApiQuery, Ctx, Id, non_empty, parsed};
use crate::problem::Problem;

/// How many entries of the debtor's conversation a task view shows (the latest).
const THREAD_LENGTH: i64 = 100;
/// The longest answer an agent may write, in characters (ten SMS segments; a WhatsApp or an
/// email takes it whole).
pub const REPLY_MAX: usize = 1600;
/// How long after the debtor's last WhatsApp message free text may go to them (Meta's
/// customer service window).
const WHATSAPP_WINDOW_HOURS: i64 = 24;

/// Filters of the task list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TaskQuery {
    /// `open`, `claimed` or `resolved`.
    #[serde(default, deserialize_with = "parsed")]
    #[param(value_type = Option<TaskState>)]
    pub state: Option<TaskState>,
    /// The agent queue the strategy step named.
    #[serde(default, deserialize_with = "non_empty")]
    pub queue: Option<String>,
    /// One debtor's tasks (`dbr_…`).
    #[serde(default, deserialize_with = "parsed")]
    #[param(value_type = Option<String>)]
    pub debtor_id: Option<DebtorId>,
    /// At most this many, 1 to 1000 (default 100).
    #[serde(default, deserialize_with = "parsed")]
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// Tasks, oldest first (the order a queue is worked in).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TaskList {
    pub items: Vec<Task>,
}

/// Who takes the task.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"assignee": "ana@example.com"}))]
pub struct ClaimTask {
    /// The agent's name or e-mail, 1 to 200 characters.
    pub assignee: String,
}

/// What came of the task.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"outcome": "promise", "note": "Will pay on Friday"}))]
pub struct ResolveTask {
    /// A short word for the result (`promise`, `paid`, `no_answer`, `wrong_number`, …), 1 to
    /// 200 characters.
    pub outcome: String,
    /// The agent's note, up to 4000 characters; kept with the task, not on the timeline.
    #[serde(default)]
    pub note: Option<String>,
}

/// Lists the tenant's tasks, oldest first.
#[utoipa::path(get, path = "/api/v1/tasks", operation_id = "list_tasks", tag = "tasks",
    params(TaskQuery),
    responses((status = 200, description = "Tasks, oldest first", body = TaskList)))]
pub async fn list(
    ctx: Ctx,
    ApiQuery(query): ApiQuery<TaskQuery>,
) -> Result<Json<TaskList>, Problem> {
    let limit = match query.limit {
        None => 0,
        Some(limit @ 1..=1000) => limit,
        Some(_) => return Err(Problem::invalid_field("limit", "must be 1 to 1000")),
    };
    let filter = TaskFilter {
        state: query.state,
        queue: query.queue,
        debtor: query.debtor_id,
        limit,
    };
    Ok(Json(TaskList {
        items: ctx.ts.list_tasks(&filter).await?,
    }))
}

/// Reads one task with what an agent needs to work it.
#[utoipa::path(get, path = "/api/v1/tasks/{id}", operation_id = "get_task", tag = "tasks",
    params(("id" = TaskId, Path, description = "Task id (`tsk_…`)")),
    responses((status = 200, description = "The task, its message, the debtor's conversation, debts and the notes", body = TaskView)))]
pub async fn get(ctx: Ctx, Id(id): Id<TaskId>) -> Result<Json<TaskView>, Problem> {
    Ok(Json(view(&ctx, id).await?))
}

/// A task with what an agent needs to work it: the one read of the API and the dashboard.
pub(crate) async fn view(ctx: &Ctx, id: TaskId) -> Result<TaskView, Problem> {
    let task = ctx.ts.get_task(id).await?;
    let message = match task.message_id {
        Some(message) => Some(ctx.ts.get_message(message).await?),
        None => None,
    };
    let (thread, debts) = match task.debtor_id {
        Some(debtor) => (
            ctx.ts.conversation(debtor, THREAD_LENGTH).await?,
            debtor_debts(ctx, debtor).await?,
        ),
        // An unknown sender: what they wrote is all there is.
        None => (message.iter().map(entry_of).collect(), Vec::new()),
    };
    let notes = ctx.ts.task_notes(id).await?;
    Ok(TaskView {
        task,
        message,
        thread,
        debts,
        notes,
    })
}

/// Claims an open task for an agent. The same agent claiming again changes nothing; a task
/// another agent holds, or one resolved, answers 409.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/claim", operation_id = "claim_task", tag = "tasks",
    params(("id" = TaskId, Path, description = "Task id (`tsk_…`)")),
    request_body = ClaimTask,
    responses(
        (status = 200, description = "The task, claimed", body = Task),
        (status = 409, description = "`conflict`: claimed by another agent, or resolved already", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn claim(
    ctx: Ctx,
    Id(id): Id<TaskId>,
    ApiJson(body): ApiJson<ClaimTask>,
) -> Result<Json<Task>, Problem> {
    Ok(Json(ctx.ts.claim_task(id, &body.assignee, ctx.now).await?))
}

/// Resolves an open or claimed task with its outcome; `task_resolved` goes on the debt's
/// timeline. A resolved task answers 409.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/resolve", operation_id = "resolve_task", tag = "tasks",
    params(("id" = TaskId, Path, description = "Task id (`tsk_…`)")),
    request_body = ResolveTask,
    responses(
        (status = 200, description = "The task, resolved", body = Task),
        (status = 409, description = "`conflict`: resolved already", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn resolve(
    ctx: Ctx,
    Id(id): Id<TaskId>,
    ApiJson(body): ApiJson<ResolveTask>,
) -> Result<Json<Task>, Problem> {
    Ok(Json(
        ctx.ts
            .resolve_task(id, &body.outcome, body.note.as_deref(), ctx.now)
            .await?,
    ))
}

/// A task with what an agent needs to work it. Clients that read a bare task read `task`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "task": {
        "id": "tsk_01JDX3S0Y6V3J6Q5X8W4B1C2D3", "contact_id": null,
        "debtor_id": "dbr_01JDX3S0Y6V3J6Q5X8W4B1C2D5", "debt_id": null,
        "queue": "disputes", "script": "review_dispute", "state": "claimed",
        "assignee": "ana@example.com", "claimed_at": "2026-12-07T14:10:00Z",
        "resolved_at": null, "outcome": null, "note": null,
        "created_at": "2026-12-07T14:03:01Z", "updated_at": "2026-12-07T14:10:00Z",
        "message_id": "msg_01JDX3S0Y6V3J6Q5X8W4B1C2D7",
        "reason": "dispute: review the claim", "candidates": []
    },
    "message": null,
    "thread": [{
        "direction": "inbound", "channel": "sms", "at": "2026-12-07T14:03:00Z",
        "text": "No reconozco esta deuda", "message_id": "msg_01JDX3S0Y6V3J6Q5X8W4B1C2D7",
        "contact_id": null, "template": null, "state": null,
        "intent": "dispute", "action": "dispute_opened"
    }],
    "debts": [],
    "notes": [{
        "id": "note_01JDX3S0Y6V3J6Q5X8W4B1C2D8", "author": "ana@example.com",
        "note": "Asked for the invoice", "created_at": "2026-12-07T14:12:00Z"
    }]
}))]
pub struct TaskView {
    pub task: Task,
    /// The debtor's message that made the task, if a message did.
    pub message: Option<Message>,
    /// The debtor's conversation, the latest 100 entries, oldest first; for a task whose
    /// sender is unknown, just its message.
    pub thread: Vec<ConversationEntry>,
    /// The debtor's debts (none while the sender is unknown).
    pub debts: Vec<Debt>,
    /// The agents' notes, oldest first.
    pub notes: Vec<TaskNote>,
}

/// An agent's answer to the debtor, in their own words.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"assignee": "ana@example.com", "text": "Hola Ana, ya revisamos su caso: le enviamos el detalle por correo. Gracias por escribirnos."}))]
pub struct ReplyTask {
    /// The agent who claimed the task.
    pub assignee: String,
    /// What the debtor reads, 1 to 1600 characters.
    pub text: String,
    /// `sms`, `whatsapp` or `email`. Default: the channel the debtor wrote on, else their
    /// first usable SMS, WhatsApp or email point.
    pub channel: Option<Channel>,
}

/// The answer, queued (202) or queued before (200: never sent twice).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"contact_id": "ctc_01JDX3S0Y6V3J6Q5X8W4B1C2D4", "duplicate": false}))]
pub struct ReplyQueued {
    /// The contact that carries it; `null` when the same answer was queued before.
    pub contact_id: Option<ContactId>,
    pub duplicate: bool,
}

/// A note on a task.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"author": "ana@example.com", "note": "Asked for the invoice of November"}))]
pub struct CreateTaskNote {
    /// 1 to 200 characters.
    pub author: String,
    /// 1 to 4000 characters; kept with the task, never on the timeline.
    pub note: String,
}

/// A promise the debtor made to the agent.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"due_on": "2026-12-11", "amount": "150.00"}))]
pub struct TaskPromise {
    /// The debt promised (one of the task debtor's). Default: the task's debt, else the
    /// debtor's only open debt.
    #[schema(value_type = Option<String>)]
    pub debt_id: Option<DebtId>,
    /// Today or later, in the tenant's time zone.
    #[schema(value_type = String, format = Date)]
    pub due_on: NaiveDate,
    /// Default: the debt's balance.
    pub amount: Option<Amount>,
    /// Must be the debt's currency; default: the debt's.
    #[schema(value_type = Option<Currency>)]
    pub currency: Option<String>,
    /// The channel it was made on; default: the channel of the task's message.
    pub channel: Option<Channel>,
}

/// A payment the debtor reports to the agent.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"amount": "150.00", "method": "transfer", "received_at": "2026-12-07T10:00:00Z"}))]
pub struct TaskPayment {
    /// The debt paid (one of the task debtor's). Default: the task's debt, else the debtor's
    /// only open debt.
    #[schema(value_type = Option<String>)]
    pub debt_id: Option<DebtId>,
    pub amount: Amount,
    /// Must be the debt's currency; default: the debt's.
    #[schema(value_type = Option<Currency>)]
    pub currency: Option<String>,
    /// `manual` (default), `pix`, `card`, `transfer`, `cash`, …
    pub method: Option<String>,
    /// When the money was received. Default: now.
    pub received_at: Option<DateTime<Utc>>,
}

/// The debtor's objection, taken by the agent.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "The debtor says the invoice was paid to the previous owner"}))]
pub struct TaskDispute {
    /// The debt disputed (one of the task debtor's). Default: the task's debt, else the
    /// debtor's only open debt.
    #[schema(value_type = Option<String>)]
    pub debt_id: Option<DebtId>,
    /// What the debtor objects to (1 to 2000 characters).
    pub reason: String,
}

/// Answers the debtor in the agent's own words, on the channel they wrote on (or `channel`).
/// Only the agent who claimed the task may; the same text again is not sent twice.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/reply", operation_id = "reply_task", tag = "tasks",
    params(("id" = TaskId, Path, description = "Task id (`tsk_…`)")),
    request_body = ReplyTask,
    responses(
        (status = 202, description = "Queued: the dispatcher sends it inside the contact hours", body = ReplyQueued),
        (status = 200, description = "The same answer was queued before: nothing new is sent", body = ReplyQueued,
            example = json!({"contact_id": null, "duplicate": true})),
        (status = 409, description = "`conflict`: the task is not claimed by `assignee`, is resolved, or has no debtor yet", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid-field`: `text` empty or too long; `channel` without a usable contact point, or WhatsApp outside the 24-hour window", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn reply(
    ctx: Ctx,
    Id(id): Id<TaskId>,
    ApiJson(body): ApiJson<ReplyTask>,
) -> Result<(StatusCode, Json<ReplyQueued>), Problem> {
    let queued = answer(&ctx, id, body).await?;
    let status = if queued.duplicate {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    Ok((status, Json(queued)))
}

/// Queues an agent's answer to the debtor of task `id` through the outbox: the one way the API
/// and the dashboard answer.
pub(crate) async fn answer(ctx: &Ctx, id: TaskId, body: ReplyTask) -> Result<ReplyQueued, Problem> {
    let task = ctx.ts.get_task(id).await?;
    held_by(&task, &body.assignee)?;
    let text = body.text.trim();
    if text.is_empty() || text.chars().count() > REPLY_MAX {
        return Err(Problem::invalid_field(
            "text",
            format!("must be 1 to {REPLY_MAX} characters"),
        ));
    }
    let debtor_id = task
        .debtor_id
        .ok_or_else(|| Problem::conflict("the sender is not known yet: no debtor to answer"))?;
    let message = match task.message_id {
        Some(message) => Some(ctx.ts.get_message(message).await?),
        None => None,
    };
    let points = ctx.ts.list_contact_points(debtor_id).await?;
    let (channel, point) = reply_point(&points, body.channel, message.as_ref())?;
    if channel == Channel::Whatsapp {
        let thread = ctx.ts.conversation(debtor_id, THREAD_LENGTH).await?;
        check_whatsapp_window(&thread, ctx.now)?;
    }
    // An answer rides on a debt (the outbox is per debt): the task's, else the debtor's open
    // ones (the first carries it, the others are covered), else any of theirs.
    let (debt_id, covers) = match task.debt_id {
        Some(debt) => (debt, Vec::new()),
        None => {
            let debts = debtor_debts(ctx, debtor_id).await?;
            let open: Vec<DebtId> = debts.iter().filter(|d| is_open(d)).map(|d| d.id).collect();
            match open.split_first() {
                Some((first, rest)) => (*first, rest.to_vec()),
                None => (
                    debts.first().map(|d| d.id).ok_or_else(|| {
                        Problem::conflict("the debtor has no debt to write about")
                    })?,
                    Vec::new(),
                ),
            }
        }
    };
    let debtor = ctx.ts.get_debtor(debtor_id).await?;
    let local_date = parse_timezone(&debtor.timezone)
        .map(|tz| ctx.now.with_timezone(&tz).date_naive())
        .unwrap_or_else(|_| ctx.today());
    let digest = hex::encode(Sha256::digest(text.as_bytes()));
    let queued = ctx
        .ts
        .enqueue_reply(
            NewReply {
                debtor_id,
                debt_id,
                covers,
                contact_point_id: point.id,
                channel,
                template: None,
                body: Some(text.to_string()),
                reply_to: task.message_id,
                idempotency_key: format!("agent:{id}:{digest}"),
                local_date,
                reason: format!("agent answer on task {id}"),
            },
            ctx.now,
        )
        .await?;
    Ok(ReplyQueued {
        contact_id: queued,
        duplicate: queued.is_none(),
    })
}

/// Adds an agent's note to a task (kept with the task, never on the timeline).
#[utoipa::path(post, path = "/api/v1/tasks/{id}/notes", operation_id = "add_task_note", tag = "tasks",
    params(("id" = TaskId, Path, description = "Task id (`tsk_…`)")),
    request_body = CreateTaskNote,
    responses((status = 201, description = "The note", body = TaskNote,
        example = json!({"id": "note_01JDX3S0Y6V3J6Q5X8W4B1C2D8", "author": "ana@example.com",
            "note": "Asked for the invoice of November", "created_at": "2026-12-07T14:12:00Z"}))))]
pub async fn add_note(
    ctx: Ctx,
    Id(id): Id<TaskId>,
    ApiJson(body): ApiJson<CreateTaskNote>,
) -> Result<(StatusCode, Json<TaskNote>), Problem> {
    let note = ctx
        .ts
        .add_task_note(id, &body.author, &body.note, ctx.now)
        .await?;
    Ok((StatusCode::CREATED, Json(note)))
}

/// Records the promise the debtor made to the agent, on the task's debt (or `debt_id`);
/// `promise_made` names the task and its message.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/promise", operation_id = "task_promise", tag = "tasks",
    params(("id" = TaskId, Path, description = "Task id (`tsk_…`)")),
    request_body = TaskPromise,
    responses((status = 201, description = "The promise and the debt after it", body = PromiseResult),
        (status = 409, description = "`conflict`: the task is resolved or has no debtor yet", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid-field` naming `debt_id` (not the debtor's, or none to choose), `amount`, `currency` or `due_on`", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn promise(
    ctx: Ctx,
    Id(id): Id<TaskId>,
    ApiJson(body): ApiJson<TaskPromise>,
) -> Result<(StatusCode, Json<PromiseResult>), Problem> {
    Ok((
        StatusCode::CREATED,
        Json(record_promise(&ctx, id, body).await?),
    ))
}

/// Records the promise the debtor made to the agent working task `id`: the one way the API and
/// the dashboard do.
pub(crate) async fn record_promise(
    ctx: &Ctx,
    id: TaskId,
    body: TaskPromise,
) -> Result<PromiseResult, Problem> {
    let task = ctx.ts.get_task(id).await?;
    let debt = task_debt(ctx, &task, body.debt_id).await?;
    let channel = match (body.channel, task.message_id) {
        (Some(channel), _) => Some(channel),
        (None, Some(message)) => Some(ctx.ts.get_message(message).await?.channel),
        (None, None) => None,
    };
    super::promises::record(
        ctx,
        &debt,
        body.amount.as_ref(),
        body.currency.as_deref(),
        body.due_on,
        channel,
        &origin(&task),
    )
    .await
}

/// Records the payment the debtor reports, on the task's debt (or `debt_id`);
/// `payment_received` names the task and its message.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/payment", operation_id = "task_payment", tag = "tasks",
    params(("id" = TaskId, Path, description = "Task id (`tsk_…`)")),
    request_body = TaskPayment,
    responses((status = 201, description = "The payment and the debt after it", body = PaymentResult),
        (status = 409, description = "`conflict`: the task is resolved or has no debtor yet", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid-field` or `rule-violation` naming `debt_id`, `amount`, `currency` or `method`", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn payment(
    ctx: Ctx,
    Id(id): Id<TaskId>,
    ApiJson(body): ApiJson<TaskPayment>,
) -> Result<(StatusCode, Json<PaymentResult>), Problem> {
    Ok((
        StatusCode::CREATED,
        Json(record_payment(&ctx, id, body).await?),
    ))
}

/// Records the payment the debtor reports to the agent working task `id`: the one way the API
/// and the dashboard do.
pub(crate) async fn record_payment(
    ctx: &Ctx,
    id: TaskId,
    body: TaskPayment,
) -> Result<PaymentResult, Problem> {
    let task = ctx.ts.get_task(id).await?;
    let debt = task_debt(ctx, &task, body.debt_id).await?;
    let payment = CreatePayment {
        amount: body.amount,
        currency: body.currency,
        method: body.method,
        provider_ref: None,
        received_at: body.received_at,
        allow_overpayment: false,
    };
    super::payments::record(ctx, debt.id, payment, &origin(&task)).await
}

/// Opens the dispute the debtor raises, on the task's debt (or `debt_id`); `dispute_opened`
/// names the task and its message.
#[utoipa::path(post, path = "/api/v1/tasks/{id}/dispute", operation_id = "task_dispute", tag = "tasks",
    params(("id" = TaskId, Path, description = "Task id (`tsk_…`)")),
    request_body = TaskDispute,
    responses((status = 201, description = "The dispute and the debt after it", body = DisputeResult),
        (status = 409, description = "`conflict`: the task is resolved or has no debtor yet", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid-field` or `rule-violation` naming `debt_id` or `reason`", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn dispute(
    ctx: Ctx,
    Id(id): Id<TaskId>,
    ApiJson(body): ApiJson<TaskDispute>,
) -> Result<(StatusCode, Json<DisputeResult>), Problem> {
    Ok((
        StatusCode::CREATED,
        Json(open_dispute(&ctx, id, body).await?),
    ))
}

/// Opens the dispute the debtor raises with the agent working task `id`: the one way the API
/// and the dashboard do.
pub(crate) async fn open_dispute(
    ctx: &Ctx,
    id: TaskId,
    body: TaskDispute,
) -> Result<DisputeResult, Problem> {
    let task = ctx.ts.get_task(id).await?;
    let debt = task_debt(ctx, &task, body.debt_id).await?;
    let (dispute, debt) = ctx
        .ts
        .open_dispute_from(debt.id, &body.reason, &origin(&task), ctx.now)
        .await?;
    Ok(DisputeResult { dispute, debt })
}

/// What an action taken on a task names on its event.
fn origin(task: &Task) -> serde_json::Value {
    serde_json::json!({ "task_id": task.id, "message_id": task.message_id })
}

/// Refuses a task `assignee` does not hold: resolved, open, or claimed by someone else.
fn held_by(task: &Task, assignee: &str) -> Result<(), Problem> {
    let assignee = assignee.trim();
    match task.state {
        TaskState::Resolved => Err(Problem::conflict("the task is resolved already")),
        TaskState::Open => Err(Problem::conflict(
            "the task is not claimed: claim it before answering",
        )),
        TaskState::Claimed if task.assignee.as_deref() == Some(assignee) => Ok(()),
        TaskState::Claimed => Err(Problem::conflict(format!(
            "the task is claimed by {}",
            task.assignee.as_deref().unwrap_or("another agent")
        ))),
    }
}

/// The debt an action on a task is about: `asked` (which must be the task debtor's), else the
/// task's, else the debtor's only open debt.
async fn task_debt(ctx: &Ctx, task: &Task, asked: Option<DebtId>) -> Result<Debt, Problem> {
    if task.state == TaskState::Resolved {
        return Err(Problem::conflict("the task is resolved already"));
    }
    let debtor = task
        .debtor_id
        .ok_or_else(|| Problem::conflict("the sender is not known yet: no debtor to act for"))?;
    let id = match asked.or(task.debt_id) {
        Some(id) => id,
        None => sole_open_debt(ctx, debtor, "the task names no debt; give `debt_id`").await?,
    };
    let debt = match ctx.ts.get_debt(id).await {
        Ok(debt) => debt,
        Err(recaudo_store::StoreError::NotFound { .. }) => {
            return Err(Problem::invalid_field(
                "debt_id",
                format!("no debt `{id}` of this debtor"),
            ));
        }
        Err(error) => return Err(error.into()),
    };
    if debt.debtor_id != debtor {
        return Err(Problem::invalid_field(
            "debt_id",
            format!("debt `{id}` is not the task debtor's"),
        ));
    }
    Ok(debt)
}

/// The debtor's debts, oldest first.
async fn debtor_debts(ctx: &Ctx, debtor: DebtorId) -> Result<Vec<Debt>, Problem> {
    Ok(ctx
        .ts
        .list_debts(&DebtFilter {
            debtor_id: Some(debtor),
            limit: Some(100),
            ..Default::default()
        })
        .await?
        .items)
}

/// The debtor's one open debt (neither paid nor written off); with none, or several, the
/// caller must say: 422 naming `debt_id`.
async fn sole_open_debt(ctx: &Ctx, debtor: DebtorId, none: &str) -> Result<DebtId, Problem> {
    let open: Vec<DebtId> = debtor_debts(ctx, debtor)
        .await?
        .into_iter()
        .filter(is_open)
        .map(|d| d.id)
        .collect();
    match open.as_slice() {
        [only] => Ok(*only),
        [] => Err(Problem::invalid_field("debt_id", none)),
        _ => Err(Problem::invalid_field(
            "debt_id",
            format!("the debtor has {} open debts; give `debt_id`", open.len()),
        )),
    }
}

/// Whether a debt is still collected (neither paid nor written off).
fn is_open(debt: &Debt) -> bool {
    !matches!(debt.status, DebtStatus::Paid | DebtStatus::WrittenOff)
}

/// The channel and point an answer goes to: `asked`, else the channel the debtor wrote on
/// (a call's keys are answered by SMS), else the first usable SMS, WhatsApp or email point. On
/// the message's channel the point they wrote from comes first.
fn reply_point<'a>(
    points: &'a [ContactPoint],
    asked: Option<Channel>,
    message: Option<&Message>,
) -> Result<(Channel, &'a ContactPoint), Problem> {
    const TEXT: [Channel; 3] = [Channel::Sms, Channel::Whatsapp, Channel::Email];
    let wrote_on = message.map(|m| recaudo_engine::inbound::answer_channel(m.channel));
    let channel = match asked.or(wrote_on) {
        Some(channel) if TEXT.contains(&channel) => channel,
        Some(channel) => {
            return Err(Problem::invalid_field(
                "channel",
                format!("an agent answers by SMS, WhatsApp or email, not {channel}"),
            ));
        }
        None => TEXT
            .into_iter()
            .find(|c| points.iter().any(|p| p.channel == *c && p.is_reachable()))
            .ok_or_else(|| {
                Problem::invalid_field(
                    "channel",
                    "the debtor has no usable SMS, WhatsApp or email contact point",
                )
            })?,
    };
    let from = message
        .filter(|m| m.channel == channel)
        .map(|m| m.address.as_str());
    let mut candidates: Vec<&ContactPoint> = points
        .iter()
        .filter(|p| p.channel == channel && p.is_reachable())
        .collect();
    candidates.sort_by_key(|p| (Some(p.address.as_str()) != from, p.priority));
    let point = candidates.first().copied().ok_or_else(|| {
        Problem::invalid_field(
            "channel",
            format!(
                "the debtor has no usable {channel} contact point (none, opted out or unusable)"
            ),
        )
    })?;
    Ok((channel, point))
}

/// Refuses WhatsApp free text outside the 24 hours after the debtor's last WhatsApp message.
fn check_whatsapp_window(thread: &[ConversationEntry], now: DateTime<Utc>) -> Result<(), Problem> {
    let last = thread
        .iter()
        .filter(|e| {
            e.direction == Direction::Inbound && e.channel == Channel::Whatsapp && e.at <= now
        })
        .map(|e| e.at)
        .max();
    match last {
        Some(at) if now - at < Duration::hours(WHATSAPP_WINDOW_HOURS) => Ok(()),
        Some(at) => Err(Problem::invalid_field(
            "channel",
            format!(
                "WhatsApp takes free text only within 24 hours of the debtor's last WhatsApp \
                 message (the last came at {}); answer by SMS or email",
                at.to_rfc3339()
            ),
        )),
        None => Err(Problem::invalid_field(
            "channel",
            "WhatsApp takes free text only within 24 hours of the debtor's last WhatsApp \
             message, and they have not written on WhatsApp; answer by SMS or email",
        )),
    }
}

/// A stored message as a line of a conversation.
fn entry_of(message: &Message) -> ConversationEntry {
    ConversationEntry {
        direction: message.direction,
        channel: message.channel,
        at: message.at,
        text: message.body.clone(),
        message_id: Some(message.id),
        contact_id: message.contact_id,
        template: None,
        state: None,
        intent: message.intent.clone(),
        action: message.action.clone(),
    }
}
