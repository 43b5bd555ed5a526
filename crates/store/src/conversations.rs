//! Conversations: the messages debtors write, who they are from, what was done about them, and
//! the answers (contacts that name the message they answer), holds, opt-outs by reply, and the
//! tasks and notes of the agent inbox.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::types::Json;

use recaudo_domain::conversation::{ConversationEntry, Direction, Message};
use recaudo_domain::event::{EventKind, NewEvent};
use recaudo_domain::outbox::{Contact, ContactState};
use recaudo_domain::portfolio::Channel;
use recaudo_domain::tasks::Task;
use recaudo_domain::{
    ContactId, ContactPointId, DebtId, DebtorId, MessageId, NoteId, PromiseId, TaskId,
};

use crate::events::insert_event;
use crate::outbox::{CONTACT_READ_COLUMNS, ContactRow};
use crate::rows::parse;
use crate::sql::{Sql, fetch_all, fetch_optional};
use crate::{Entity, Result, StoreError, TenantStore, on_pool};

/// The longest text kept of a message, in bytes (a longer one is cut on a character boundary).
pub const MESSAGE_TEXT_MAX: usize = 64 * 1024;

/// How many messages debtors wrote, what they were read as and what was done about them: the
/// dashboard's counters and the demo's progress lines.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, utoipa::ToSchema)]
#[schema(example = json!({
    "received": 7,
    "by_intent": {"promise_to_pay": 3, "opt_out": 1, "dispute": 1, "payment_link": 1},
    "by_action": {"promise_made": 3, "opted_out": 1, "dispute_opened": 1, "reply_queued": 1, "unmatched": 1},
    "tasks": 2
}))]
pub struct MessageCounts {
    /// Every message debtors wrote (matched or not).
    pub received: i64,
    /// Messages per intent read (unmatched messages are not read, so not counted here).
    pub by_intent: BTreeMap<String, i64>,
    /// Messages per first thing done about them (`promise_made`, `opted_out`, `task`, …).
    pub by_action: BTreeMap<String, i64>,
    /// Messages that went to a person (an agent task made or joined).
    pub tasks: i64,
}

/// A running hold of a debt, as the planner reads it.
#[derive(sqlx::FromRow)]
pub(crate) struct HoldRow {
    pub debt_id: DebtId,
    pub held_until: DateTime<Utc>,
}

/// A message a debtor wrote, about to be stored.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub debtor_id: Option<DebtorId>,
    pub channel: Channel,
    pub address: String,
    pub body: String,
    pub text: String,
    pub contact_id: Option<ContactId>,
    pub provider: Option<String>,
    pub provider_message_id: Option<String>,
    /// The provider's id of the message (or a hash of it): a replay stores nothing.
    pub dedupe_key: String,
    pub at: DateTime<Utc>,
}

/// What was understood in a message and done about it.
#[derive(Debug, Clone, Default)]
pub struct MessageOutcome {
    pub intent: Option<String>,
    pub confidence: Option<f32>,
    pub language: Option<String>,
    pub promised_on: Option<NaiveDate>,
    pub action: Option<String>,
    pub task_id: Option<TaskId>,
}

/// A contact point an address belongs to.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AddressOwner {
    pub debtor_id: DebtorId,
    pub contact_point_id: ContactPointId,
    pub channel: String,
}

/// An answer to a debtor's message, about to be queued as a contact.
#[derive(Debug, Clone)]
pub struct NewReply {
    pub debtor_id: DebtorId,
    pub debt_id: DebtId,
    pub covers: Vec<DebtId>,
    pub contact_point_id: ContactPointId,
    pub channel: Channel,
    /// A template (automatic answers) or the agent's own words.
    pub template: Option<String>,
    pub body: Option<String>,
    /// The message it answers (none for thanks after a kept promise).
    pub reply_to: Option<MessageId>,
    /// Unique per answer: the same answer queued twice is one contact.
    pub idempotency_key: String,
    pub local_date: NaiveDate,
    pub reason: String,
}

/// A task for a person, made from a message.
#[derive(Debug, Clone)]
pub struct NewMessageTask {
    pub debtor_id: Option<DebtorId>,
    pub debt_id: Option<DebtId>,
    pub queue: String,
    pub script: String,
    pub message_id: MessageId,
    /// The intent read in the message, when it was read.
    pub intent: Option<String>,
    pub reason: String,
    pub candidates: Vec<DebtorId>,
}

/// An agent's note on a task.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct TaskNote {
    pub id: NoteId,
    pub author: String,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

/// A kept promise whose debtor has not been thanked yet.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeptPromise {
    pub promise_id: PromiseId,
    pub debt_id: DebtId,
    pub debtor_id: DebtorId,
    pub channel: Option<String>,
}

const MESSAGE_COLUMNS: &str = "id, debtor_id, direction, channel, address, body, text, contact_id, \
     provider, provider_message_id, intent, confidence_milli, language, promised_on, action, \
     task_id, at, recorded_at";

#[derive(sqlx::FromRow)]
struct MessageRow {
    id: MessageId,
    debtor_id: Option<DebtorId>,
    direction: String,
    channel: String,
    address: String,
    body: String,
    text: String,
    contact_id: Option<ContactId>,
    provider: Option<String>,
    provider_message_id: Option<String>,
    intent: Option<String>,
    confidence_milli: Option<i64>,
    language: Option<String>,
    promised_on: Option<NaiveDate>,
    action: Option<String>,
    task_id: Option<TaskId>,
    at: DateTime<Utc>,
    recorded_at: DateTime<Utc>,
}

impl MessageRow {
    fn into_domain(self) -> Result<Message> {
        Ok(Message {
            id: self.id,
            debtor_id: self.debtor_id,
            direction: parse("message direction", &self.direction)?,
            channel: parse("channel", &self.channel)?,
            address: self.address,
            body: self.body,
            text: self.text,
            contact_id: self.contact_id,
            provider: self.provider,
            provider_message_id: self.provider_message_id,
            intent: self.intent,
            confidence: self.confidence_milli.map(|m| m as f32 / 1000.0),
            language: self.language,
            promised_on: self.promised_on,
            action: self.action,
            task_id: self.task_id,
            at: self.at,
            recorded_at: self.recorded_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct OutboundRow {
    id: ContactId,
    channel: String,
    template: Option<String>,
    state: String,
    body: Option<String>,
    at: DateTime<Utc>,
    content: Option<Json<serde_json::Value>>,
}

#[derive(sqlx::FromRow)]
struct NoteRow {
    id: NoteId,
    author: String,
    note: String,
    created_at: DateTime<Utc>,
}

/// `text` cut to at most `max` bytes on a character boundary.
pub fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The text a debtor read (or heard) in a message's rendered content.
fn content_text(content: &serde_json::Value) -> Option<String> {
    let field = match content.get("kind")?.as_str()? {
        "email" => "text",
        "sms" => "body",
        "whatsapp" => "preview",
        "voice" => "script",
        "letter" => "body",
        _ => return None,
    };
    content.get(field)?.as_str().map(str::to_string)
}

impl TenantStore {
    /// Stores a message a debtor wrote; `None` when its dedupe key was stored before (a
    /// provider's retry).
    pub async fn record_inbound(
        &self,
        new: NewMessage,
        now: DateTime<Utc>,
    ) -> Result<Option<Message>> {
        let message = Message {
            id: MessageId::generate(),
            debtor_id: new.debtor_id,
            direction: Direction::Inbound,
            channel: new.channel,
            address: truncate(&new.address, 320).to_string(),
            body: truncate(&new.body, MESSAGE_TEXT_MAX).to_string(),
            text: truncate(&new.text, MESSAGE_TEXT_MAX).to_string(),
            contact_id: new.contact_id,
            provider: new.provider,
            provider_message_id: new.provider_message_id,
            intent: None,
            confidence: None,
            language: None,
            promised_on: None,
            action: None,
            task_id: None,
            at: new.at,
            recorded_at: now,
        };
        let (insert, tail) = crate::dialect::insert_or_ignore(self.is_sqlite());
        let mut sql = Sql::new(&format!(
            "{insert} messages (tenant_id, {MESSAGE_COLUMNS}, dedupe_key) VALUES "
        ));
        sql.push_values(vec![
            self.tid.clone().into(),
            message.id.into(),
            message.debtor_id.map(|d| d.to_string()).into(),
            message.direction.as_str().into(),
            message.channel.as_str().into(),
            message.address.clone().into(),
            message.body.clone().into(),
            message.text.clone().into(),
            message.contact_id.map(|c| c.to_string()).into(),
            message.provider.clone().into(),
            message.provider_message_id.clone().into(),
            None::<String>.into(),
            None::<i64>.into(),
            None::<String>.into(),
            None::<NaiveDate>.into(),
            None::<String>.into(),
            None::<String>.into(),
            message.at.into(),
            now.into(),
            truncate(&new.dedupe_key, 500).to_string().into(),
        ]);
        sql.push(tail);
        if self.run_tx_counting_first(vec![sql]).await? == 0 {
            return Ok(None);
        }
        Ok(Some(message))
    }

    /// Records what was understood in a message and done about it.
    pub async fn set_message_outcome(&self, id: MessageId, outcome: &MessageOutcome) -> Result<()> {
        let mut sql = Sql::new("UPDATE messages SET intent = ");
        sql.push_arg(outcome.intent.clone())
            .push(", confidence_milli = ")
            .push_arg(
                outcome
                    .confidence
                    .map(|c| (f64::from(c.clamp(0.0, 1.0)) * 1000.0).round() as i64),
            )
            .push(", language = ")
            .push_arg(outcome.language.clone())
            .push(", promised_on = ")
            .push_arg(outcome.promised_on)
            .push(", action = ")
            .push_arg(outcome.action.clone())
            .push(", task_id = ")
            .push_arg(outcome.task_id.map(|t| t.to_string()))
            .push(" WHERE tenant_id = ")
            .push_arg(self.tid.clone())
            .push(" AND id = ")
            .push_arg(id);
        self.run_tx(vec![sql]).await
    }

    pub async fn get_message(&self, id: MessageId) -> Result<Message> {
        let mut sql = Sql::new(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE tenant_id = "
        ));
        sql.push_arg(self.tid.clone())
            .push(" AND id = ")
            .push_arg(id);
        let row = on_pool!(self.store, |pool| fetch_optional!(MessageRow, sql, pool));
        row.ok_or_else(|| StoreError::not_found(Entity::Message, id))?
            .into_domain()
    }

    /// The latest messages debtors wrote, newest first (the dashboard's list).
    pub async fn recent_messages(&self, limit: i64) -> Result<Vec<Message>> {
        let mut sql = Sql::new(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE tenant_id = "
        ));
        sql.push_arg(self.tid.clone()).push(&format!(
            " ORDER BY at DESC, id DESC LIMIT {}",
            limit.clamp(1, 500)
        ));
        let rows = on_pool!(self.store, |pool| fetch_all!(MessageRow, sql, pool));
        rows.into_iter().map(MessageRow::into_domain).collect()
    }

    /// How many messages debtors wrote, per intent and per action.
    pub async fn message_counts(&self) -> Result<MessageCounts> {
        #[derive(sqlx::FromRow)]
        struct Row {
            intent: Option<String>,
            action: Option<String>,
            n: i64,
            tasks: i64,
        }
        let mut sql = Sql::new(
            "SELECT intent, action, COUNT(*) AS n, COUNT(task_id) AS tasks FROM messages \
             WHERE tenant_id = ",
        );
        sql.push_arg(self.tid.clone())
            .push(" AND direction = ")
            .push_arg(Direction::Inbound.as_str())
            .push(" GROUP BY intent, action");
        let rows = on_pool!(self.store, |pool| fetch_all!(Row, sql, pool));
        let mut counts = MessageCounts::default();
        for row in rows {
            counts.received += row.n;
            counts.tasks += row.tasks;
            if let Some(intent) = row.intent {
                *counts.by_intent.entry(intent).or_default() += row.n;
            }
            if let Some(action) = row.action {
                *counts.by_action.entry(action).or_default() += row.n;
            }
        }
        Ok(counts)
    }

    /// The contact points with this address (already normalised) on any of `channels`, of
    /// debtors not erased: who a message from it may be.
    pub async fn owners_of_address(
        &self,
        address: &str,
        channels: &[Channel],
    ) -> Result<Vec<AddressOwner>> {
        let mut sql = Sql::new(
            "SELECT cp.debtor_id, cp.id AS contact_point_id, cp.channel FROM contact_points cp \
             JOIN debtors d ON d.id = cp.debtor_id WHERE cp.tenant_id = ",
        );
        sql.push_arg(self.tid.clone())
            .push(" AND d.erased_at IS NULL AND cp.address = ")
            .push_arg(address.to_string())
            .push(" AND cp.channel IN ");
        sql.push_values(channels.iter().map(|c| c.as_str().into()).collect());
        sql.push(" ORDER BY cp.debtor_id, cp.id");
        Ok(on_pool!(self.store, |pool| fetch_all!(
            AddressOwner,
            sql,
            pool
        )))
    }

    /// The contact whose provider message id this is.
    pub async fn contact_by_provider_message(&self, id: &str) -> Result<Option<Contact>> {
        let mut sql = Sql::new(&format!(
            "SELECT {CONTACT_READ_COLUMNS} FROM contacts WHERE tenant_id = "
        ));
        sql.push_arg(self.tid.clone())
            .push(" AND provider_message_id = ")
            .push_arg(id.to_string())
            .push(" ORDER BY created_at DESC LIMIT 1");
        let row = on_pool!(self.store, |pool| fetch_optional!(ContactRow, sql, pool));
        row.map(ContactRow::into_domain).transpose()
    }

    /// The last contact that left for the debtor at or before `at` (on `channel` when given,
    /// else on any): what a message without a reference most likely answers.
    pub async fn last_contact_sent(
        &self,
        debtor: DebtorId,
        channel: Option<Channel>,
        at: DateTime<Utc>,
    ) -> Result<Option<Contact>> {
        let mut sql = Sql::new(&format!(
            "SELECT {CONTACT_READ_COLUMNS} FROM contacts WHERE tenant_id = "
        ));
        sql.push_arg(self.tid.clone())
            .push(" AND debtor_id = ")
            .push_arg(debtor)
            .push(" AND sent_at IS NOT NULL AND sent_at <= ")
            .push_arg(at);
        if let Some(channel) = channel {
            sql.push(" AND channel = ").push_arg(channel.as_str());
        }
        sql.push(" ORDER BY sent_at DESC, id DESC LIMIT 1");
        let row = on_pool!(self.store, |pool| fetch_optional!(ContactRow, sql, pool));
        row.map(ContactRow::into_domain).transpose()
    }

    /// A debtor's conversation, oldest first: the messages they wrote and those that left for
    /// them (rendered as sent), the latest `limit` of each.
    pub async fn conversation(
        &self,
        debtor: DebtorId,
        limit: i64,
    ) -> Result<Vec<ConversationEntry>> {
        let limit = limit.clamp(1, 1000);
        let mut sql = Sql::new(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages WHERE tenant_id = "
        ));
        sql.push_arg(self.tid.clone())
            .push(" AND debtor_id = ")
            .push_arg(debtor)
            .push(&format!(" ORDER BY at DESC, id DESC LIMIT {limit}"));
        let inbound = on_pool!(self.store, |pool| fetch_all!(MessageRow, sql, pool));
        let mut out = Vec::new();
        for row in inbound {
            let message = row.into_domain()?;
            out.push(ConversationEntry {
                direction: message.direction,
                channel: message.channel,
                at: message.at,
                text: message.body,
                message_id: Some(message.id),
                contact_id: message.contact_id,
                template: None,
                state: None,
                intent: message.intent,
                action: message.action,
            });
        }
        let mut sql = Sql::new(
            "SELECT c.id, c.channel, c.template, c.state, c.body, c.sent_at AS at, m.content \
             FROM contacts c LEFT JOIN contact_messages m ON m.contact_id = c.id \
             WHERE c.tenant_id = ",
        );
        sql.push_arg(self.tid.clone())
            .push(" AND c.debtor_id = ")
            .push_arg(debtor)
            .push(&format!(
                " AND c.sent_at IS NOT NULL ORDER BY c.sent_at DESC, c.id DESC LIMIT {limit}"
            ));
        let outbound = on_pool!(self.store, |pool| fetch_all!(OutboundRow, sql, pool));
        for row in outbound {
            let text = row
                .content
                .as_ref()
                .and_then(|c| content_text(&c.0))
                .or(row.body)
                .unwrap_or_default();
            out.push(ConversationEntry {
                direction: Direction::Outbound,
                channel: parse("channel", &row.channel)?,
                at: row.at,
                text,
                message_id: None,
                contact_id: Some(row.id),
                template: row.template,
                state: Some(row.state),
                intent: None,
                action: None,
            });
        }
        out.sort_by_key(|e| e.at);
        Ok(out)
    }

    /// Queues an answer to a debtor's message, due at once (the dispatcher re-checks the
    /// contact hours and the opt-outs); `None` when the same answer was queued before.
    pub async fn enqueue_reply(
        &self,
        reply: NewReply,
        now: DateTime<Utc>,
    ) -> Result<Option<ContactId>> {
        let id = ContactId::generate();
        let mut sql = Sql::new(&format!(
            "INSERT INTO contacts (tenant_id, {}, reply_to, body) VALUES ",
            crate::outbox::CONTACT_COLUMNS
        ));
        sql.push_values(vec![
            self.tid.clone().into(),
            id.into(),
            reply.debtor_id.into(),
            reply.debt_id.into(),
            crate::sql::raw_json(&reply.covers)?.into(),
            reply.contact_point_id.into(),
            None::<String>.into(),
            None::<i64>.into(),
            recaudo_domain::outbox::ANSWER_STEP.into(),
            None::<String>.into(),
            reply.channel.as_str().into(),
            reply.template.clone().into(),
            now.into(),
            reply.local_date.into(),
            ContactState::Planned.as_str().into(),
            0i64.into(),
            reply.idempotency_key.clone().into(),
            reply.reason.clone().into(),
            now.into(),
            now.into(),
            None::<String>.into(),
            reply.reply_to.map(|m| m.to_string()).into(),
            reply.body.clone().into(),
        ]);
        sql.push(crate::outbox::CONTACT_INSERT_TAIL);
        // Its `contact_planned` is read from the row, as the planner's are.
        if self.run_tx_counting_first(vec![sql]).await? == 0 {
            return Ok(None);
        }
        Ok(Some(id))
    }

    /// Holds collection of `debts` until `until` (a bounded pause, whatever the strategy lists),
    /// with `collection_held` on each debt's timeline.
    pub async fn hold_debts(
        &self,
        debtor: DebtorId,
        debts: &[DebtId],
        until: DateTime<Utc>,
        reason: &str,
        origin: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let message = origin
            .get("message_id")
            .and_then(|m| m.as_str())
            .map(str::to_string);
        let mut statements = Vec::new();
        for &debt in debts {
            let mut sql = Sql::new(
                "INSERT INTO debt_holds (tenant_id, debt_id, held_until, reason, message_id, created_at) VALUES ",
            );
            sql.push_values(vec![
                self.tid.clone().into(),
                debt.into(),
                until.into(),
                reason.to_string().into(),
                message.clone().into(),
                now.into(),
            ]);
            statements.push(sql);
            statements.push(insert_event(
                &self.tid,
                NewEvent {
                    debtor_id: debtor,
                    debt_id: Some(debt),
                    kind: EventKind::CollectionHeld,
                    at: now,
                    recorded_at: now,
                    data: crate::ledger::with_origin(
                        serde_json::json!({ "until": until, "reason": reason }),
                        origin,
                    ),
                },
            ));
        }
        if statements.is_empty() {
            return Ok(());
        }
        self.run_tx(statements).await
    }

    /// Opts the debtor out of `points` because of what they wrote: consent `opted_out`
    /// (source `reply`), with `opted_out` on the timeline naming the message. Returns the points
    /// that were not opted out before.
    pub async fn opt_out_by_reply(
        &self,
        debtor: DebtorId,
        points: &[ContactPointId],
        origin: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<Vec<ContactPointId>> {
        self.opt_out_points(debtor, points, "reply", origin, now)
            .await
    }

    /// Marks a contact point as not the debtor's (the person who answered is someone else): it
    /// is not used again, with `wrong_party` on the timeline.
    pub async fn mark_wrong_party(
        &self,
        debtor: DebtorId,
        point: ContactPointId,
        origin: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<()> {
        // Counted as failed for good, so neither the planner nor the dispatcher uses it.
        let mut sql = Sql::new(&format!(
            "UPDATE contact_points SET bounce_count = CASE WHEN bounce_count < {n} THEN {n} \
             ELSE bounce_count END, unusable_at = COALESCE(unusable_at, ",
            n = recaudo_domain::portfolio::UNUSABLE_AFTER_HARD_FAILURES
        ));
        sql.push_arg(now)
            .push(") WHERE tenant_id = ")
            .push_arg(self.tid.clone())
            .push(" AND id = ")
            .push_arg(point);
        let event = insert_event(
            &self.tid,
            NewEvent {
                debtor_id: debtor,
                debt_id: None,
                kind: EventKind::WrongParty,
                at: now,
                recorded_at: now,
                data: crate::ledger::with_origin(
                    serde_json::json!({ "contact_point_id": point }),
                    origin,
                ),
            },
        );
        self.run_tx(vec![sql, event]).await
    }

    /// Makes a task for a person from a message, with `task_created` on the debtor's timeline
    /// when the debtor is known.
    pub async fn create_message_task(
        &self,
        new: NewMessageTask,
        now: DateTime<Utc>,
    ) -> Result<Task> {
        let id = TaskId::generate();
        let mut sql = Sql::new(
            "INSERT INTO tasks (id, tenant_id, contact_id, debtor_id, debt_id, queue, script, state, \
             created_at, updated_at, message_id, reason, candidates) VALUES ",
        );
        sql.push_values(vec![
            id.into(),
            self.tid.clone().into(),
            None::<String>.into(),
            new.debtor_id.map(|d| d.to_string()).into(),
            new.debt_id.map(|d| d.to_string()).into(),
            new.queue.clone().into(),
            new.script.clone().into(),
            "open".into(),
            now.into(),
            now.into(),
            new.message_id.into(),
            new.reason.clone().into(),
            crate::sql::raw_json(&new.candidates)?.into(),
        ]);
        let mut statements = vec![sql];
        if let Some(debtor) = new.debtor_id {
            statements.push(insert_event(
                &self.tid,
                NewEvent {
                    debtor_id: debtor,
                    debt_id: new.debt_id,
                    kind: EventKind::TaskCreated,
                    at: now,
                    recorded_at: now,
                    data: serde_json::json!({
                        "task_id": id, "queue": new.queue, "message_id": new.message_id,
                        "intent": new.intent, "reason": new.reason,
                    }),
                },
            ));
        }
        self.run_tx(statements).await?;
        self.get_task(id).await
    }

    /// Adds an agent's note to a task.
    pub async fn add_task_note(
        &self,
        task: TaskId,
        author: &str,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<TaskNote> {
        let author = crate::tasks::required("author", author, crate::TASK_NAME_MAX)?;
        let note = crate::tasks::required("note", note, crate::TASK_NOTE_MAX)?;
        self.get_task(task).await?;
        let id = NoteId::generate();
        let mut sql = Sql::new(
            "INSERT INTO task_notes (id, tenant_id, task_id, author, note, created_at) VALUES ",
        );
        sql.push_values(vec![
            id.into(),
            self.tid.clone().into(),
            task.into(),
            author.clone().into(),
            note.clone().into(),
            now.into(),
        ]);
        self.run_tx(vec![sql]).await?;
        Ok(TaskNote {
            id,
            author,
            note,
            created_at: now,
        })
    }

    /// A task's notes, oldest first.
    pub async fn task_notes(&self, task: TaskId) -> Result<Vec<TaskNote>> {
        let mut sql =
            Sql::new("SELECT id, author, note, created_at FROM task_notes WHERE tenant_id = ");
        sql.push_arg(self.tid.clone())
            .push(" AND task_id = ")
            .push_arg(task)
            .push(" ORDER BY created_at, id");
        let rows = on_pool!(self.store, |pool| fetch_all!(NoteRow, sql, pool));
        Ok(rows
            .into_iter()
            .map(|r| TaskNote {
                id: r.id,
                author: r.author,
                note: r.note,
                created_at: r.created_at,
            })
            .collect())
    }

    /// The tenant's reply settings as stored (JSON), if it saved any.
    pub async fn reply_settings(&self) -> Result<Option<serde_json::Value>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            body: Json<serde_json::Value>,
        }
        let mut sql = Sql::new("SELECT body FROM reply_settings WHERE tenant_id = ");
        sql.push_arg(self.tid.clone());
        let row = on_pool!(self.store, |pool| fetch_optional!(Row, sql, pool));
        Ok(row.map(|r| r.body.0))
    }

    /// Saves the tenant's reply settings (checked by the caller).
    pub async fn put_reply_settings(
        &self,
        body: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<()> {
        // One statement: a transaction whose first statement touches no row is not committed,
        // so a delete-then-insert would drop a tenant's first save.
        let mut upsert =
            Sql::new("INSERT INTO reply_settings (tenant_id, body, updated_at) VALUES ");
        upsert.push_values(vec![
            self.tid.clone().into(),
            body.clone().into(),
            now.into(),
        ]);
        upsert.push(
            " ON CONFLICT (tenant_id) DO UPDATE SET body = excluded.body, \
             updated_at = excluded.updated_at",
        );
        self.run_tx(vec![upsert]).await
    }

    /// Promises kept since `since` made through a channel (a conversation) whose debtor was
    /// not thanked yet.
    pub async fn kept_promises_to_thank(&self, since: DateTime<Utc>) -> Result<Vec<KeptPromise>> {
        let mut sql = Sql::new(
            "SELECT p.id AS promise_id, p.debt_id, d.debtor_id, p.channel FROM promises p \
             JOIN debts d ON d.id = p.debt_id WHERE p.tenant_id = ",
        );
        sql.push_arg(self.tid.clone())
            .push(" AND p.status = 'kept' AND p.thanked_at IS NULL AND p.channel IS NOT NULL AND p.closed_at >= ")
            .push_arg(since)
            .push(" ORDER BY p.closed_at, p.id LIMIT 500");
        Ok(on_pool!(self.store, |pool| fetch_all!(
            KeptPromise,
            sql,
            pool
        )))
    }

    /// Marks a kept promise as thanked; false when it already was.
    pub async fn mark_promise_thanked(
        &self,
        promise: PromiseId,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut sql = Sql::new("UPDATE promises SET thanked_at = ");
        sql.push_arg(now)
            .push(" WHERE tenant_id = ")
            .push_arg(self.tid.clone())
            .push(" AND id = ")
            .push_arg(promise)
            .push(" AND thanked_at IS NULL");
        Ok(self.run_tx_counting_first(vec![sql]).await? == 1)
    }

    /// The open tasks of a debtor (a new message joins an open task instead of opening
    /// another).
    pub async fn open_tasks_of(&self, debtor: DebtorId) -> Result<Vec<Task>> {
        let tasks = self
            .list_tasks(&crate::TaskFilter {
                debtor: Some(debtor),
                limit: 100,
                ..Default::default()
            })
            .await?;
        Ok(tasks
            .into_iter()
            .filter(|t| t.state != recaudo_domain::tasks::TaskState::Resolved)
            .collect())
    }
}
