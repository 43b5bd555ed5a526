//! Agent tasks: what a strategy's `task:` step creates instead of a message (a call to make, a
//! case to negotiate). An agent claims an open task, works it and resolves it with an outcome;
//! the full agent inbox builds on these.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::portfolio::string_enum;
use crate::{ContactId, DebtId, DebtorId, MessageId, TaskId};

string_enum!(/// Where a task is: waiting in its queue, taken by an agent, or done.
TaskState, "task state" {
    Open => "open",
    Claimed => "claimed",
    Resolved => "resolved",
});

/// An agent task: one per contact of a `task:` step, or a debtor's message for a person to
/// read (an intent that asks for one, a low confidence, a sender nobody or several match).
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
    "updated_at": "2026-12-01T13:00:00Z",
    "message_id": null,
    "reason": null,
    "candidates": []
}))]
pub struct Task {
    pub id: TaskId,
    /// The outbox contact the step planned (none for a message's task).
    pub contact_id: Option<ContactId>,
    /// None while the sender is unknown or several debtors share the address
    /// (`candidates`).
    pub debtor_id: Option<DebtorId>,
    /// None for a task about the debtor's whole file.
    pub debt_id: Option<DebtId>,
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
    /// The debtor's message that asked for the task.
    pub message_id: Option<MessageId>,
    /// Why it was made (`intent dispute`, `confidence 0.41 below 0.55`, `2 debtors share
    /// +573001234567`).
    pub reason: Option<String>,
    /// The debtors an address shared by several could be (never guessed).
    pub candidates: Vec<DebtorId>,
}
