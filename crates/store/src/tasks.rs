//! Agent tasks: created by the dispatcher for a strategy's `task:` step
//! ([`DispatchOutcome::Task`](crate::DispatchOutcome::Task)), listed per queue, claimed by one
//! agent and resolved with an outcome, which goes on the debtor's timeline (`task_resolved`).

use chrono::{DateTime, Utc};

use recaudo_domain::event::EventKind;
use recaudo_domain::tasks::{Task, TaskState};
use recaudo_domain::{ContactId, DebtId, DebtorId, MessageId, TaskId};
use sqlx::types::Json;

use crate::events::event_row;
use crate::rows::parse;
use crate::sql::{Sql, fetch_all, fetch_optional};
use crate::{Entity, Result, StoreError, TenantStore, on_pool};

/// The longest assignee and outcome accepted, in characters.
pub const TASK_NAME_MAX: usize = 200;
/// The longest note accepted, in characters.
pub const TASK_NOTE_MAX: usize = 4000;

/// Which tasks to list, oldest first (the order a queue is worked in).
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    pub state: Option<TaskState>,
    pub queue: Option<String>,
    /// One debtor's tasks.
    pub debtor: Option<DebtorId>,
    /// At most this many (1 to 1000; 0 means 100).
    pub limit: i64,
}

const TASK_COLUMNS: &str = "id, contact_id, debtor_id, debt_id, queue, script, state, assignee, \
     claimed_at, resolved_at, outcome, note, created_at, updated_at, message_id, reason, candidates";

#[derive(sqlx::FromRow)]
struct TaskRow {
    id: TaskId,
    contact_id: Option<ContactId>,
    debtor_id: Option<DebtorId>,
    debt_id: Option<DebtId>,
    queue: String,
    script: String,
    state: String,
    assignee: Option<String>,
    claimed_at: Option<DateTime<Utc>>,
    resolved_at: Option<DateTime<Utc>>,
    outcome: Option<String>,
    note: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    message_id: Option<MessageId>,
    reason: Option<String>,
    candidates: Json<Vec<DebtorId>>,
}

impl TaskRow {
    fn into_domain(self) -> Result<Task> {
        Ok(Task {
            id: self.id,
            contact_id: self.contact_id,
            debtor_id: self.debtor_id,
            debt_id: self.debt_id,
            queue: self.queue,
            script: self.script,
            state: parse("task state", &self.state)?,
            assignee: self.assignee,
            claimed_at: self.claimed_at,
            resolved_at: self.resolved_at,
            outcome: self.outcome,
            note: self.note,
            created_at: self.created_at,
            updated_at: self.updated_at,
            message_id: self.message_id,
            reason: self.reason,
            candidates: self.candidates.0,
        })
    }
}

/// `text` trimmed, refused (naming `field`) when empty or longer than `max` characters.
pub(crate) fn required(field: &str, text: &str, max: usize) -> Result<String> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > max {
        return Err(StoreError::Invalid {
            field: field.into(),
            message: format!("must be 1 to {max} characters"),
        });
    }
    Ok(text.to_string())
}

impl TenantStore {
    /// The tenant's tasks matching `filter`, oldest first.
    pub async fn list_tasks(&self, filter: &TaskFilter) -> Result<Vec<Task>> {
        let mut sql = Sql::new(&format!(
            "SELECT {TASK_COLUMNS} FROM tasks WHERE tenant_id = "
        ));
        sql.push_arg(self.tid.clone());
        if let Some(state) = filter.state {
            sql.push(" AND state = ").push_arg(state.as_str());
        }
        if let Some(queue) = &filter.queue {
            sql.push(" AND queue = ").push_arg(queue.clone());
        }
        if let Some(debtor) = filter.debtor {
            sql.push(" AND debtor_id = ").push_arg(debtor);
        }
        let limit = if filter.limit == 0 {
            100
        } else {
            filter.limit.clamp(1, 1000)
        };
        sql.push(&format!(" ORDER BY created_at, id LIMIT {limit}"));
        let rows = on_pool!(self.store, |pool| fetch_all!(TaskRow, sql, pool));
        rows.into_iter().map(TaskRow::into_domain).collect()
    }

    /// One task; [`StoreError::NotFound`] when the tenant has none with this id.
    pub async fn get_task(&self, id: TaskId) -> Result<Task> {
        let mut sql = Sql::new(&format!(
            "SELECT {TASK_COLUMNS} FROM tasks WHERE tenant_id = "
        ));
        sql.push_arg(self.tid.clone())
            .push(" AND id = ")
            .push_arg(id);
        let row = on_pool!(self.store, |pool| fetch_optional!(TaskRow, sql, pool));
        row.ok_or_else(|| StoreError::not_found(Entity::Task, id))?
            .into_domain()
    }

    /// Gives an open task to `assignee`. Claiming again by the same assignee changes nothing;
    /// a task claimed by someone else, or resolved, is [`StoreError::Conflict`].
    pub async fn claim_task(&self, id: TaskId, assignee: &str, now: DateTime<Utc>) -> Result<Task> {
        let assignee = required("assignee", assignee, TASK_NAME_MAX)?;
        let mut sql = Sql::new("UPDATE tasks SET state = 'claimed', assignee = ");
        sql.push_arg(assignee.clone())
            .push(", claimed_at = ")
            .push_arg(now)
            .push(", updated_at = ")
            .push_arg(now)
            .push(" WHERE tenant_id = ")
            .push_arg(self.tid.clone())
            .push(" AND id = ")
            .push_arg(id)
            .push(" AND state = 'open'");
        if self.run_tx_counting_first(vec![sql]).await? == 1 {
            return self.get_task(id).await;
        }
        let task = self.get_task(id).await?;
        match task.state {
            TaskState::Claimed if task.assignee.as_deref() == Some(assignee.as_str()) => Ok(task),
            TaskState::Claimed => Err(StoreError::Conflict {
                what: Entity::Task,
                id: id.to_string(),
                reason: format!(
                    "already claimed by {}",
                    task.assignee.as_deref().unwrap_or("another agent")
                ),
            }),
            TaskState::Resolved => Err(StoreError::Conflict {
                what: Entity::Task,
                id: id.to_string(),
                reason: "already resolved".into(),
            }),
            // Claimed and released between the two statements: the caller may try again.
            TaskState::Open => Err(StoreError::Contention {
                entity: Entity::Task,
                id: id.to_string(),
            }),
        }
    }

    /// Resolves an open or claimed task with `outcome` (and the agent's `note`), and records
    /// `task_resolved` on the debt's timeline (the note stays with the task: it may hold
    /// personal data). A resolved task is [`StoreError::Conflict`].
    pub async fn resolve_task(
        &self,
        id: TaskId,
        outcome: &str,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Task> {
        let outcome = required("outcome", outcome, TASK_NAME_MAX)?;
        let note = match note.map(str::trim) {
            Some(note) if note.chars().count() > TASK_NOTE_MAX => {
                return Err(StoreError::Invalid {
                    field: "note".into(),
                    message: format!("must be at most {TASK_NOTE_MAX} characters"),
                });
            }
            Some(note) if !note.is_empty() => Some(note.to_string()),
            _ => None,
        };
        let task = self.get_task(id).await?;
        if task.state == TaskState::Resolved {
            return Err(StoreError::Conflict {
                what: Entity::Task,
                id: id.to_string(),
                reason: "already resolved".into(),
            });
        }
        let mut update = Sql::new("UPDATE tasks SET state = 'resolved', outcome = ");
        update
            .push_arg(outcome.clone())
            .push(", note = ")
            .push_arg(note)
            .push(", resolved_at = ")
            .push_arg(now)
            .push(", updated_at = ")
            .push_arg(now)
            .push(" WHERE tenant_id = ")
            .push_arg(self.tid.clone())
            .push(" AND id = ")
            .push_arg(id)
            .push(" AND state = ")
            .push_arg(task.state.as_str());
        let mut statements = vec![update];
        // A task about nobody yet (an unknown sender) has no timeline to go on.
        if let Some(debtor) = &task.debtor_id {
            let mut event = Sql::new(&format!(
                "INSERT INTO events (tenant_id, {}) VALUES ",
                crate::rows::EVENT_COLUMNS
            ));
            event.push_values(event_row(
                &self.tid,
                debtor,
                task.debt_id.as_ref(),
                EventKind::TaskResolved,
                now,
                now,
                serde_json::json!({
                    "task_id": id.to_string(),
                    "contact_id": task.contact_id.map(|c| c.to_string()),
                    "message_id": task.message_id.map(|m| m.to_string()),
                    "queue": task.queue,
                    "assignee": task.assignee,
                    "outcome": outcome,
                })
                .into(),
            ));
            statements.push(event);
        }
        if self.run_tx_counting_first(statements).await? == 0 {
            // Claimed or resolved by someone else between the read and the write.
            return Err(StoreError::Contention {
                entity: Entity::Task,
                id: id.to_string(),
            });
        }
        self.get_task(id).await
    }
}
