//! Agent tasks, from strategies' `task:` steps: listed per state and queue, claimed by one
//! agent, resolved with an outcome (which goes on the debt's timeline as `task_resolved`).

use axum::Json;
use recaudo_domain::TaskId;
use recaudo_domain::tasks::{Task, TaskState};
use recaudo_store::TaskFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::extract::{ApiJson, ApiQuery, Ctx, Id, non_empty, parsed};
use crate::problem::Problem;

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
        debtor: None,
        limit,
    };
    Ok(Json(TaskList {
        items: ctx.ts.list_tasks(&filter).await?,
    }))
}

/// Reads one task.
#[utoipa::path(get, path = "/api/v1/tasks/{id}", operation_id = "get_task", tag = "tasks",
    params(("id" = TaskId, Path, description = "Task id (`tsk_…`)")),
    responses((status = 200, description = "The task", body = Task)))]
pub async fn get(ctx: Ctx, Id(id): Id<TaskId>) -> Result<Json<Task>, Problem> {
    Ok(Json(ctx.ts.get_task(id).await?))
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
