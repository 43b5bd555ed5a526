//! Agent tasks: what a strategy's `task:` step creates instead of a message (a call to make, a
//! case to negotiate). An agent claims an open task, works it and resolves it with an outcome;
//! the full agent inbox builds on these.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::portfolio::string_enum;
use crate::{ContactId, DebtId, DebtorId, TaskId};

string_enum!(/// Where a task is: waiting in its queue, taken by an agent, or done.
TaskState, "task state" {
    Open => "open",
    Claimed => "claimed",
    Resolved => "resolved",
});

/// An agent task, one per contact of a `task:` step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({
    "id": "tsk_01JDX3S0Y6V3J6Q5X8W4B1C2D3",
    "contact_id": "ctc_01JDX3S0Y6V3J6Q5X8W4B1C2D4",
    "debtor_id": "dbr_01JDX3S0Y6V3J6Q5X8W4B1C2D5",
    "debt_id": "debt_01JDX3S0Y6V3J6Q5X8W4B1C2D6",
    "queue": "agents",
    "script": "negotiate",
    "state": "claimed",
    "assignee": "ana@example.com",
    "claimed_at": "2026-12-01T13:00:00Z",
    "resolved_at": null,
    "outcome": null,
    "note": null,
    "created_at": "2026-12-01T12:00:00Z",
    "updated_at": "2026-12-01T13:00:00Z"
}))]
pub struct Task {
    pub id: TaskId,
    /// The outbox contact the step planned.
    pub contact_id: ContactId,
    pub debtor_id: DebtorId,
    pub debt_id: DebtId,
    /// The agent queue the step named.
    pub queue: String,
    /// The script the agent follows.
    pub script: String,
    pub state: TaskState,
    /// Who claimed it (the agent's name or e-mail), once claimed.
    pub assignee: Option<String>,
    pub claimed_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// What came of it (`promise`, `paid`, `no_answer`, …), once resolved.
    pub outcome: Option<String>,
    /// The agent's note, once resolved.
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
