//! Sending, on the store's side: dispatchers claim due contacts for a lease, record what became
//! of each in one transaction a batch, and apply what providers report later (GUIDE §10).
//!
//! A claim moves `planned` contacts that are due (and any `sending` contact whose lease ran
//! out: its dispatcher died) to `sending` under the claimer's name until the lease ends. On
//! PostgreSQL the claim skips rows another dispatcher holds (`FOR UPDATE SKIP LOCKED`), so
//! several nodes share the outbox; on SQLite the database's single writer gives the same
//! contract. A dispatcher's record of a contact applies only while it still holds the lease: a
//! dispatcher that stalled past its lease and lost the contact to another records nothing.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use recaudo_domain::event::EventKind;
use recaudo_domain::outbox::{Contact, NewContact};
use recaudo_domain::portfolio::Channel;
use recaudo_domain::{ContactId, ContactPointId, Currency, DebtId, DebtorId, Money, TaskId};

use crate::events::event_row;
use crate::outbox::{CONTACT_READ_COLUMNS, ContactRow};
use crate::sql::{Sql, exec, fetch_all, fetch_optional};
use crate::{Result, StoreError, TenantStore, on_pool};

use recaudo_domain::portfolio::UNUSABLE_AFTER_HARD_FAILURES;

/// Which contact an outcome is about (what its events need).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContactRef {
    pub id: ContactId,
    pub debtor_id: DebtorId,
    pub debt_id: DebtId,
    pub channel: Channel,
    pub contact_point_id: Option<ContactPointId>,
}

impl From<&Contact> for ContactRef {
    fn from(contact: &Contact) -> ContactRef {
        ContactRef {
            id: contact.id,
            debtor_id: contact.debtor_id,
            debt_id: contact.debt_id,
            channel: contact.channel,
            contact_point_id: contact.contact_point_id,
        }
    }
}

/// What became of a claimed contact.
#[derive(Debug, Clone, PartialEq)]
pub enum DispatchOutcome {
    /// The provider took it.
    Sent {
        provider: String,
        provider_message_id: String,
        cost: Option<Money>,
        /// The message as rendered (kept for the outbox view).
        content: serde_json::Value,
        template: Option<String>,
    },
    /// A temporary failure: try again at `at`.
    Retry { at: DateTime<Utc>, error: String },
    /// The rules say not now (a window closed, a cap reached since planning): try at `until`.
    Deferred {
        until: DateTime<Utc>,
        reason: String,
    },
    /// It will not go: a permanent error, retries used up, or no provider for the channel.
    /// `fallback` is the contact on the step's next channel, when there is one.
    Failed {
        code: String,
        error: String,
        address_unusable: bool,
        fallback: Option<NewContact>,
    },
    /// Called off before it left (paid, paused, opted out, refused by the rules now).
    Cancelled { reason: String },
    /// A `task:` step: an agent task was created instead of a message.
    Task { queue: String, script: String },
}

/// What [`TenantStore::record_dispatch`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RecordStats {
    pub sent: u64,
    pub retried: u64,
    pub deferred: u64,
    pub failed: u64,
    pub cancelled: u64,
    pub tasks: u64,
    /// Fallback contacts planned.
    pub fallbacks: u64,
    /// Contacts whose lease this dispatcher had lost: nothing recorded.
    pub lost_lease: u64,
}

/// What a provider (or a tracking link) reported about a sent contact.
#[derive(Debug, Clone, PartialEq)]
pub struct Tracked {
    pub provider_message_id: Option<String>,
    pub contact_id: Option<ContactId>,
    pub kind: TrackKind,
    pub at: DateTime<Utc>,
    /// Replays of the same report are recognised by it and change nothing.
    pub dedupe_key: String,
    /// Details for the event (codes, the reply's text, digits).
    pub data: serde_json::Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackKind {
    /// Accepted by the network: no change of state, no event.
    Accepted,
    Delivered,
    Opened,
    Clicked,
    Bounced {
        hard: bool,
    },
    Failed {
        address_unusable: bool,
    },
    Replied,
    Digits,
    Unsubscribed,
    NotAnswered,
}

/// The result of applying one report.
#[derive(Debug, Clone, PartialEq)]
pub enum Applied {
    /// Applied to this contact.
    Contact(ContactId),
    /// Seen before: nothing changed.
    Duplicate,
    /// No contact of this tenant matches.
    Unknown,
}

/// Counts of the outbox for the dashboard.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct OutboxCounts {
    /// Contacts per state.
    pub by_state: BTreeMap<String, i64>,
    /// Contacts that left (sent, delivered, or failed after being sent) per channel.
    pub sent_by_channel: BTreeMap<String, i64>,
    pub delivered: i64,
    pub opened: i64,
    pub clicked: i64,
    pub replied: i64,
}

/// A contact with what happened when it was sent.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct OutboxEntry {
    #[serde(flatten)]
    pub contact: Contact,
    pub provider: Option<String>,
    pub provider_message_id: Option<String>,
    pub cost: Option<Money>,
    pub outcome: Option<String>,
    pub last_error: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub opened_at: Option<DateTime<Utc>>,
    pub clicked_at: Option<DateTime<Utc>>,
    pub replied_at: Option<DateTime<Utc>>,
}

const DELIVERY_COLUMNS: &str = "provider, provider_message_id, cost, cost_currency, outcome, \
     last_error, next_attempt_at, sent_at, delivered_at, opened_at, clicked_at, replied_at";

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    #[sqlx(flatten)]
    contact: ContactRow,
    provider: Option<String>,
    provider_message_id: Option<String>,
    cost: Option<String>,
    cost_currency: Option<String>,
    outcome: Option<String>,
    last_error: Option<String>,
    next_attempt_at: Option<DateTime<Utc>>,
    sent_at: Option<DateTime<Utc>>,
    delivered_at: Option<DateTime<Utc>>,
    opened_at: Option<DateTime<Utc>>,
    clicked_at: Option<DateTime<Utc>>,
    replied_at: Option<DateTime<Utc>>,
}

impl DeliveryRow {
    fn into_domain(self) -> Result<OutboxEntry> {
        let cost = match (self.cost, self.cost_currency) {
            (Some(amount), Some(currency)) => Some(Money::new(
                amount.parse::<Decimal>().map_err(StoreError::corrupt)?,
                currency.parse::<Currency>().map_err(StoreError::corrupt)?,
            )),
            _ => None,
        };
        Ok(OutboxEntry {
            contact: self.contact.into_domain()?,
            provider: self.provider,
            provider_message_id: self.provider_message_id,
            cost,
            outcome: self.outcome,
            last_error: self.last_error,
            next_attempt_at: self.next_attempt_at,
            sent_at: self.sent_at,
            delivered_at: self.delivered_at,
            opened_at: self.opened_at,
            clicked_at: self.clicked_at,
            replied_at: self.replied_at,
        })
    }
}

/// Which contacts of the outbox to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct OutboxFilter {
    pub state: Option<String>,
    pub channel: Option<Channel>,
    pub debtor_id: Option<DebtorId>,
    /// Only contacts that left (sent, delivered, failed after sending).
    pub sent_only: bool,
    /// Only contacts scheduled at or after this time.
    pub scheduled_from: Option<DateTime<Utc>>,
    /// Only contacts scheduled before this time.
    pub scheduled_to: Option<DateTime<Utc>>,
    /// Newest scheduled first (otherwise newest changed first, or newest sent first with
    /// `sent_only`).
    pub by_schedule: bool,
    /// Only contacts after this one in the list's order: the last of the previous page.
    pub after: Option<OutboxCursor>,
    pub limit: i64,
}

/// Where a page of the outbox list ends: the time the list is ordered by (the last change,
/// the sending or the schedule) and the id of its last contact. Written `<rfc3339>~<id>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxCursor {
    pub at: DateTime<Utc>,
    pub id: ContactId,
}

impl OutboxCursor {
    /// The cursor after `entry` in the order `filter` lists (`None` for a sent-only list's
    /// entry that was never sent, which that list never holds).
    pub fn after(entry: &OutboxEntry, filter: &OutboxFilter) -> Option<OutboxCursor> {
        let at = if filter.by_schedule {
            entry.contact.scheduled_for
        } else if filter.sent_only {
            entry.sent_at?
        } else {
            entry.contact.updated_at
        };
        Some(OutboxCursor {
            at,
            id: entry.contact.id,
        })
    }
}

impl std::fmt::Display for OutboxCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}~{}",
            self.at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            self.id
        )
    }
}

impl std::str::FromStr for OutboxCursor {
    type Err = String;
    fn from_str(text: &str) -> std::result::Result<Self, Self::Err> {
        let bad = || format!("`{text}` is not an outbox cursor");
        let (at, id) = text.split_once('~').ok_or_else(bad)?;
        let at = DateTime::parse_from_rfc3339(at)
            .map_err(|_| bad())?
            .to_utc();
        let id = id.parse::<ContactId>().map_err(|_| bad())?;
        Ok(OutboxCursor { at, id })
    }
}

#[derive(sqlx::FromRow)]
struct CountRow {
    channel: String,
    state: String,
    n: i64,
    delivered: i64,
    opened: i64,
    clicked: i64,
    replied: i64,
    left: i64,
}

#[derive(sqlx::FromRow)]
struct ContentRow {
    content: sqlx::types::Json<serde_json::Value>,
}

#[derive(sqlx::FromRow)]
struct TrackTarget {
    id: ContactId,
    debtor_id: DebtorId,
    debt_id: DebtId,
    channel: String,
    contact_point_id: Option<ContactPointId>,
}

impl TenantStore {
    /// Claims up to `limit` contacts due at `now` for `owner` until `now + lease`: contacts
    /// whose lease ran out first (their dispatcher died; they are re-sent under the same key),
    /// then planned contacts in the order they are due. Each claim counts an attempt.
    pub async fn claim_contacts(
        &self,
        now: DateTime<Utc>,
        limit: usize,
        lease: std::time::Duration,
        owner: &str,
    ) -> Result<Vec<Contact>> {
        let lease = Duration::from_std(lease).map_err(|e| StoreError::Config(e.to_string()))?;
        let mut claimed = self
            .claim_where(now, limit, lease, owner, ClaimKind::Expired)
            .await?;
        if claimed.len() < limit {
            claimed.extend(
                self.claim_where(now, limit - claimed.len(), lease, owner, ClaimKind::Due)
                    .await?,
            );
        }
        Ok(claimed)
    }

    async fn claim_where(
        &self,
        now: DateTime<Utc>,
        limit: usize,
        lease: Duration,
        owner: &str,
        kind: ClaimKind,
    ) -> Result<Vec<Contact>> {
        if limit == 0 {
            return Ok(vec![]);
        }
        // The rows are picked once, in a CTE (PostgreSQL locks them there and skips those
        // another claim holds), then updated: an `IN (subquery … LIMIT)` could be planned to
        // run the subquery more than once.
        let mut sql = Sql::new("WITH claim AS (SELECT id FROM contacts WHERE tenant_id = ");
        sql.push_arg(self.tid.clone());
        match kind {
            ClaimKind::Expired => sql
                .push(" AND state = 'sending' AND lease_until < ")
                .push_arg(now)
                .push(" ORDER BY lease_until"),
            ClaimKind::Due => sql
                .push(" AND state = 'planned' AND scheduled_for <= ")
                .push_arg(now)
                .push(" AND (next_attempt_at IS NULL OR next_attempt_at <= ")
                .push_arg(now)
                .push(") ORDER BY scheduled_for"),
        };
        sql.push(&format!(" LIMIT {limit}"));
        if !self.is_sqlite() {
            sql.push(" FOR UPDATE SKIP LOCKED");
        }
        sql.push(") UPDATE contacts SET state = 'sending', lease_owner = ")
            .push_arg(owner.to_string())
            .push(", lease_until = ")
            .push_arg(now + lease)
            .push(", attempts = attempts + 1, updated_at = ")
            .push_arg(now)
            .push(&format!(
                " WHERE id IN (SELECT id FROM claim) RETURNING {CONTACT_READ_COLUMNS}"
            ));
        let rows = on_pool!(self.store, |pool| {
            let mut tx = crate::sql::begin!(pool);
            let rows = fetch_all!(ContactRow, sql, &mut *tx);
            tx.commit().await?;
            rows
        });
        let mut contacts: Vec<Contact> = rows
            .into_iter()
            .map(ContactRow::into_domain)
            .collect::<Result<_>>()?;
        contacts.sort_by_key(|c| (c.scheduled_for, c.id));
        Ok(contacts)
    }

    /// Records what became of claimed contacts, in one transaction: each contact's state and
    /// what the provider said, its timeline event, the rendered message of a sent one, the
    /// fallback contact of a failed one, the task of a task step. A contact whose lease
    /// `owner` no longer holds is left alone.
    pub async fn record_dispatch(
        &self,
        owner: &str,
        outcomes: Vec<(ContactRef, DispatchOutcome)>,
        now: DateTime<Utc>,
    ) -> Result<RecordStats> {
        let mut stats = RecordStats::default();
        let mut work = Vec::new();
        let mut sent = Vec::new();
        for (contact, outcome) in outcomes {
            match outcome {
                // The common case, written a chunk of rows to a statement (a statement per row
                // is a round trip each, which was most of a batch's time).
                DispatchOutcome::Sent {
                    provider,
                    provider_message_id,
                    cost,
                    content,
                    template,
                } => sent.push(SentRow {
                    contact,
                    provider,
                    provider_message_id,
                    cost,
                    content,
                    template,
                }),
                outcome => {
                    work.push(self.outcome_statements(owner, &contact, outcome, now, &mut stats)?)
                }
            }
        }
        let sent_count = sent.len() as u64;
        let lost = on_pool!(self.store, |pool| {
            let mut tx = crate::sql::begin!(pool);
            let mut lost = 0u64;
            for chunk in sent.chunks(SENT_CHUNK) {
                let update = self.sent_update(owner, chunk, now);
                let applied: Vec<(ContactId,)> = fetch_all!((ContactId,), update, &mut *tx);
                lost += (chunk.len() - applied.len()) as u64;
                if applied.is_empty() {
                    continue;
                }
                let applied: std::collections::HashSet<ContactId> =
                    applied.into_iter().map(|(id,)| id).collect();
                let rows: Vec<&SentRow> = chunk
                    .iter()
                    .filter(|row| applied.contains(&row.contact.id))
                    .collect();
                let (messages, events) = self.sent_inserts(&rows, now)?;
                exec!(messages, &mut *tx);
                exec!(events, &mut *tx);
            }
            for (guarded, rest) in work {
                if exec!(guarded, &mut *tx) == 0 {
                    lost += 1;
                    continue;
                }
                for statement in rest {
                    exec!(statement, &mut *tx);
                }
            }
            tx.commit().await?;
            lost
        });
        stats.sent += sent_count;
        stats.sent -= lost.min(stats.sent);
        stats.lost_lease = lost;
        Ok(stats)
    }

    /// One statement that records a chunk of sent contacts, each only while `owner` holds
    /// its lease; it returns the ids it recorded.
    fn sent_update(&self, owner: &str, rows: &[SentRow], now: DateTime<Utc>) -> Sql {
        let mut sql = Sql::new(
            "UPDATE contacts SET state = 'sent', outcome = NULL, last_error = NULL, \
             lease_owner = NULL, lease_until = NULL, provider = v.column2, \
             provider_message_id = v.column3, cost = v.column4, cost_currency = v.column5, \
             sent_at = ",
        );
        sql.push_arg(now)
            .push(", updated_at = ")
            .push_arg(now)
            .push(" FROM (VALUES ");
        for (i, row) in rows.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.push_values(vec![
                row.contact.id.into(),
                row.provider.clone().into(),
                row.provider_message_id.clone().into(),
                row.cost.map(|c| c.amount.to_string()).into(),
                row.cost.map(|c| c.currency.to_string()).into(),
            ]);
        }
        sql.push(") AS v WHERE contacts.id = v.column1 AND contacts.tenant_id = ")
            .push_arg(self.tid.clone())
            .push(" AND contacts.state = 'sending' AND contacts.lease_owner = ")
            .push_arg(owner.to_string())
            .push(" RETURNING contacts.id");
        sql
    }

    /// The rendered messages and the `contact_sent` events of recorded contacts, a statement
    /// each.
    fn sent_inserts(&self, rows: &[&SentRow], now: DateTime<Utc>) -> Result<(Sql, Sql)> {
        let mut messages = Sql::new(
            "INSERT INTO contact_messages (contact_id, tenant_id, content, created_at) VALUES ",
        );
        let mut events = Sql::new(&format!(
            "INSERT INTO events (tenant_id, {}) VALUES ",
            crate::rows::EVENT_COLUMNS
        ));
        for (i, row) in rows.iter().enumerate() {
            if i > 0 {
                messages.push(", ");
                events.push(", ");
            }
            messages.push_values(vec![
                row.contact.id.into(),
                self.tid.clone().into(),
                crate::sql::raw_json(&row.content)?.into(),
                now.into(),
            ]);
            let data = serde_json::json!({
                "contact_id": row.contact.id.to_string(),
                "channel": row.contact.channel.as_str(),
                "provider": row.provider,
                "provider_message_id": row.provider_message_id,
                "template": row.template,
                "cost": row.cost,
            });
            events.push_values(event_row(
                &self.tid,
                &row.contact.debtor_id,
                Some(&row.contact.debt_id),
                EventKind::ContactSent,
                now,
                now,
                crate::sql::raw_json(&data)?.into(),
            ));
        }
        messages.push(" ON CONFLICT (contact_id) DO NOTHING");
        Ok((messages, events))
    }

    /// The guarded update of one outcome and the statements that follow it when it applies.
    fn outcome_statements(
        &self,
        owner: &str,
        contact: &ContactRef,
        outcome: DispatchOutcome,
        now: DateTime<Utc>,
        stats: &mut RecordStats,
    ) -> Result<(Sql, Vec<Sql>)> {
        let mut update = Sql::new("UPDATE contacts SET lease_owner = NULL, lease_until = NULL, ");
        let mut rest = Vec::new();
        let event = |kind: EventKind, data: serde_json::Value| {
            let mut sql = Sql::new(&format!(
                "INSERT INTO events (tenant_id, {}) VALUES ",
                crate::rows::EVENT_COLUMNS
            ));
            sql.push_values(event_row(
                &self.tid,
                &contact.debtor_id,
                Some(&contact.debt_id),
                kind,
                now,
                now,
                data.into(),
            ));
            sql
        };
        let base = |extra: serde_json::Value| {
            let mut data = serde_json::json!({
                "contact_id": contact.id.to_string(),
                "channel": contact.channel.as_str(),
            });
            if let (Some(map), serde_json::Value::Object(extra)) = (data.as_object_mut(), extra) {
                map.extend(extra);
            }
            data
        };
        match outcome {
            // Recorded in bulk by `record_dispatch`, never one by one.
            DispatchOutcome::Sent { .. } => {
                return Err(StoreError::Invalid {
                    field: "outcome".into(),
                    message: "sent contacts are recorded in bulk".into(),
                });
            }
            DispatchOutcome::Retry { at, error } => {
                stats.retried += 1;
                update
                    .push("state = 'planned', next_attempt_at = ")
                    .push_arg(at)
                    .push(", last_error = ")
                    .push_arg(error);
            }
            DispatchOutcome::Deferred { until, reason } => {
                stats.deferred += 1;
                update
                    .push("state = 'planned', attempts = attempts - 1, next_attempt_at = ")
                    .push_arg(until)
                    .push(", outcome = ")
                    .push_arg(reason);
            }
            DispatchOutcome::Failed {
                code,
                error,
                address_unusable,
                fallback,
            } => {
                stats.failed += 1;
                update
                    .push("state = 'failed', outcome = ")
                    .push_arg(code.clone())
                    .push(", last_error = ")
                    .push_arg(error.clone());
                let mut data = serde_json::json!({ "code": code, "error": error });
                if let Some(fallback) = &fallback {
                    data["fallback_channel"] = fallback.channel.as_str().into();
                }
                rest.push(event(EventKind::ContactFailed, base(data)));
                if address_unusable && let Some(point) = contact.contact_point_id {
                    rest.push(self.hard_failure(point, now));
                }
                if let Some(fallback) = fallback {
                    stats.fallbacks += 1;
                    rest.push(self.contact_insert(&fallback, now)?);
                }
            }
            DispatchOutcome::Cancelled { reason } => {
                stats.cancelled += 1;
                update
                    .push("state = 'cancelled', outcome = ")
                    .push_arg(reason.clone());
                rest.push(event(
                    EventKind::ContactCancelled,
                    base(serde_json::json!({ "reason": reason })),
                ));
            }
            DispatchOutcome::Task { queue, script } => {
                stats.tasks += 1;
                let task = TaskId::generate();
                update
                    .push("state = 'sent', provider = 'agent', provider_message_id = ")
                    .push_arg(task)
                    .push(", sent_at = ")
                    .push_arg(now);
                let mut insert = Sql::new(
                    "INSERT INTO tasks (id, tenant_id, contact_id, debtor_id, debt_id, queue, \
                     script, state, created_at, updated_at) VALUES ",
                );
                insert.push_values(vec![
                    task.into(),
                    self.tid.clone().into(),
                    contact.id.into(),
                    contact.debtor_id.into(),
                    contact.debt_id.into(),
                    queue.clone().into(),
                    script.into(),
                    "open".into(),
                    now.into(),
                    now.into(),
                ]);
                insert.push(" ON CONFLICT (contact_id) DO NOTHING");
                rest.push(insert);
                rest.push(event(
                    EventKind::TaskCreated,
                    base(serde_json::json!({ "task_id": task.to_string(), "queue": queue })),
                ));
            }
        }
        update
            .push(", updated_at = ")
            .push_arg(now)
            .push(" WHERE tenant_id = ")
            .push_arg(self.tid.clone())
            .push(" AND id = ")
            .push_arg(contact.id)
            .push(" AND state = 'sending' AND lease_owner = ")
            .push_arg(owner.to_string());
        Ok((update, rest))
    }

    /// Counts a hard failure of a contact point, marking it unusable at the threshold.
    fn hard_failure(&self, point: ContactPointId, now: DateTime<Utc>) -> Sql {
        let mut sql = Sql::new("UPDATE contact_points SET bounce_count = bounce_count + 1, ");
        sql.push(&format!(
            "unusable_at = CASE WHEN bounce_count + 1 >= {UNUSABLE_AFTER_HARD_FAILURES} \
             THEN COALESCE(unusable_at, "
        ))
        .push_arg(now)
        .push(") ELSE unusable_at END WHERE tenant_id = ")
        .push_arg(self.tid.clone())
        .push(" AND id = ")
        .push_arg(point);
        sql
    }

    /// Applies reports of providers and tracking links, each once (by its dedupe key): the
    /// contact's state and times, its timeline event, and for hard failures and opt-outs its
    /// contact point.
    pub async fn apply_tracked(&self, reports: Vec<Tracked>) -> Result<Vec<Applied>> {
        let mut out = Vec::with_capacity(reports.len());
        for report in reports {
            out.push(self.apply_one(report).await?);
        }
        Ok(out)
    }

    async fn apply_one(&self, report: Tracked) -> Result<Applied> {
        let mut find = Sql::new(
            "SELECT id, debtor_id, debt_id, channel, contact_point_id FROM contacts WHERE tenant_id = ",
        );
        find.push_arg(self.tid.clone());
        match (&report.contact_id, &report.provider_message_id) {
            (Some(id), _) => find.push(" AND id = ").push_arg(*id),
            (None, Some(message)) => find
                .push(" AND provider_message_id = ")
                .push_arg(message.clone()),
            (None, None) => return Ok(Applied::Unknown),
        };
        let Some(target) = on_pool!(self.store, |pool| fetch_optional!(TrackTarget, find, pool))
        else {
            return Ok(Applied::Unknown);
        };
        let channel: Channel = crate::rows::parse("channel", &target.channel)?;
        let at = report.at;
        let mut receipt =
            Sql::new("INSERT INTO webhook_receipts (tenant_id, dedupe_key, received_at) VALUES ");
        receipt
            .push_values(vec![
                self.tid.clone().into(),
                report.dedupe_key.clone().into(),
                at.into(),
            ])
            .push(" ON CONFLICT (tenant_id, dedupe_key) DO NOTHING");
        let stamp = |column: &str, state_from: &[&str], state_to: Option<&str>| {
            let mut sql = Sql::new(&format!(
                "UPDATE contacts SET {column} = COALESCE({column}, "
            ));
            sql.push_arg(at).push(")");
            if let Some(to) = state_to {
                let from = state_from
                    .iter()
                    .map(|s| format!("'{s}'"))
                    .collect::<Vec<_>>()
                    .join(", ");
                sql.push(&format!(
                    ", state = CASE WHEN state IN ({from}) THEN '{to}' ELSE state END"
                ));
            }
            sql.push(" WHERE tenant_id = ")
                .push_arg(self.tid.clone())
                .push(" AND id = ")
                .push_arg(target.id);
            sql
        };
        let mut data = serde_json::json!({
            "contact_id": target.id.to_string(),
            "channel": channel.as_str(),
        });
        if let (Some(map), serde_json::Value::Object(extra)) =
            (data.as_object_mut(), report.data.clone())
        {
            map.extend(extra);
        }
        let event = |kind: EventKind| {
            let mut sql = Sql::new(&format!(
                "INSERT INTO events (tenant_id, {}) VALUES ",
                crate::rows::EVENT_COLUMNS
            ));
            sql.push_values(event_row(
                &self.tid,
                &target.debtor_id,
                Some(&target.debt_id),
                kind,
                at,
                at,
                data.clone().into(),
            ));
            sql
        };
        let mut statements = vec![];
        match report.kind {
            TrackKind::Accepted => {}
            TrackKind::Delivered => {
                statements.push(stamp("delivered_at", &["sent"], Some("delivered")));
                statements.push(event(EventKind::Delivered));
            }
            TrackKind::Opened => {
                statements.push(stamp("delivered_at", &["sent"], Some("delivered")));
                statements.push(stamp("opened_at", &[], None));
                statements.push(event(EventKind::Opened));
            }
            TrackKind::Clicked => {
                statements.push(stamp("delivered_at", &["sent"], Some("delivered")));
                statements.push(stamp("clicked_at", &[], None));
                statements.push(event(EventKind::Clicked));
            }
            TrackKind::Replied => {
                statements.push(stamp("replied_at", &[], None));
                statements.push(event(EventKind::Replied));
            }
            TrackKind::Digits => statements.push(event(EventKind::DigitsPressed)),
            TrackKind::NotAnswered => statements.push(event(EventKind::NotAnswered)),
            TrackKind::Bounced { hard }
            | TrackKind::Failed {
                address_unusable: hard,
            } => {
                let mut sql = Sql::new(
                    "UPDATE contacts SET state = CASE WHEN state IN ('sent', 'delivered') \
                     THEN 'failed' ELSE state END, outcome = ",
                );
                sql.push_arg(if matches!(report.kind, TrackKind::Bounced { .. }) {
                    "bounced"
                } else {
                    "failed"
                })
                .push(" WHERE tenant_id = ")
                .push_arg(self.tid.clone())
                .push(" AND id = ")
                .push_arg(target.id);
                statements.push(sql);
                statements.push(event(if matches!(report.kind, TrackKind::Bounced { .. }) {
                    EventKind::Bounced
                } else {
                    EventKind::ContactFailed
                }));
                if hard && let Some(point) = target.contact_point_id {
                    statements.push(self.hard_failure(point, at));
                }
            }
            TrackKind::Unsubscribed => {
                if let Some(point) = target.contact_point_id {
                    let mut sql = Sql::new(
                        "UPDATE contact_points SET consent_status = 'opted_out', consent_source = 'unsubscribe', consent_at = ",
                    );
                    sql.push_arg(at)
                        .push(", opted_out_at = COALESCE(opted_out_at, ")
                        .push_arg(at)
                        .push(") WHERE tenant_id = ")
                        .push_arg(self.tid.clone())
                        .push(" AND id = ")
                        .push_arg(point);
                    statements.push(sql);
                }
                statements.push(event(EventKind::OptedOut));
            }
        }
        let applied = on_pool!(self.store, |pool| {
            let mut tx = crate::sql::begin!(pool);
            if exec!(receipt, &mut *tx) == 0 {
                tx.rollback().await?;
                false
            } else {
                for statement in statements {
                    exec!(statement, &mut *tx);
                }
                tx.commit().await?;
                true
            }
        });
        if !applied {
            return Ok(Applied::Duplicate);
        }
        Ok(Applied::Contact(target.id))
    }

    /// The outbox's counts per state and channel, and how many sent contacts were delivered,
    /// opened, clicked and answered.
    pub async fn outbox_counts(&self) -> Result<OutboxCounts> {
        let mut sql = Sql::new(
            "SELECT channel, state, COUNT(*) AS n, COUNT(delivered_at) AS delivered, \
             COUNT(opened_at) AS opened, COUNT(clicked_at) AS clicked, \
             COUNT(replied_at) AS replied, COUNT(sent_at) AS \"left\" FROM contacts WHERE tenant_id = ",
        );
        sql.push_arg(self.tid.clone())
            .push(" GROUP BY channel, state");
        let rows = on_pool!(self.store, |pool| fetch_all!(CountRow, sql, pool));
        let mut counts = OutboxCounts::default();
        for row in rows {
            *counts.by_state.entry(row.state).or_default() += row.n;
            if row.left > 0 {
                *counts.sent_by_channel.entry(row.channel).or_default() += row.left;
            }
            counts.delivered += row.delivered;
            counts.opened += row.opened;
            counts.clicked += row.clicked;
            counts.replied += row.replied;
        }
        Ok(counts)
    }

    /// Contacts of the outbox with what happened when they were sent, newest first.
    pub async fn list_outbox(&self, filter: &OutboxFilter) -> Result<Vec<OutboxEntry>> {
        let mut sql = Sql::new(&format!(
            "SELECT {CONTACT_READ_COLUMNS}, {DELIVERY_COLUMNS} FROM contacts WHERE tenant_id = "
        ));
        sql.push_arg(self.tid.clone());
        if let Some(state) = &filter.state {
            sql.push(" AND state = ").push_arg(state.clone());
        }
        self.push_outbox_filter(&mut sql, filter);
        let order = if filter.by_schedule {
            "scheduled_for"
        } else if filter.sent_only {
            "sent_at"
        } else {
            "updated_at"
        };
        if let Some(after) = filter.after {
            let at = sql.arg(after.at);
            let same_at = sql.arg(after.at);
            let id = sql.arg(after.id);
            sql.push(&format!(
                " AND ({order} < {at} OR ({order} = {same_at} AND id < {id}))"
            ));
        }
        sql.push(&format!(" ORDER BY {order} DESC, id DESC"));
        sql.push(&format!(" LIMIT {}", filter.limit.clamp(1, 1000)));
        let rows = on_pool!(self.store, |pool| fetch_all!(DeliveryRow, sql, pool));
        rows.into_iter().map(DeliveryRow::into_domain).collect()
    }

    /// ` AND …` for the filter's channel, debtor, sending and schedule (not its state).
    pub(crate) fn push_outbox_filter(&self, sql: &mut Sql, filter: &OutboxFilter) {
        if let Some(channel) = filter.channel {
            sql.push(" AND channel = ").push_arg(channel.as_str());
        }
        if let Some(debtor) = filter.debtor_id {
            sql.push(" AND debtor_id = ").push_arg(debtor);
        }
        if filter.sent_only {
            sql.push(" AND sent_at IS NOT NULL");
        }
        if let Some(from) = filter.scheduled_from {
            sql.push(" AND scheduled_for >= ").push_arg(from);
        }
        if let Some(to) = filter.scheduled_to {
            sql.push(" AND scheduled_for < ").push_arg(to);
        }
    }

    /// One contact of the outbox with what happened when it was sent.
    pub async fn outbox_entry(&self, id: ContactId) -> Result<OutboxEntry> {
        let mut sql = Sql::new(&format!(
            "SELECT {CONTACT_READ_COLUMNS}, {DELIVERY_COLUMNS} FROM contacts WHERE tenant_id = "
        ));
        sql.push_arg(self.tid.clone())
            .push(" AND id = ")
            .push_arg(id);
        let row = on_pool!(self.store, |pool| fetch_optional!(DeliveryRow, sql, pool));
        row.ok_or_else(|| StoreError::not_found(crate::Entity::Contact, id))?
            .into_domain()
    }

    /// The message a contact sent, as the debtor got it (`None` before it was sent).
    pub async fn contact_message(&self, id: ContactId) -> Result<Option<serde_json::Value>> {
        let mut sql = Sql::new("SELECT content FROM contact_messages WHERE tenant_id = ");
        sql.push_arg(self.tid.clone())
            .push(" AND contact_id = ")
            .push_arg(id);
        let row = on_pool!(self.store, |pool| fetch_optional!(ContentRow, sql, pool));
        Ok(row.map(|r| r.content.0))
    }
}

/// Sent contacts recorded by one statement: at five values a row, well under either
/// database's limit of bound parameters.
const SENT_CHUNK: usize = 500;

/// A sent contact on its way to the outbox.
struct SentRow {
    contact: ContactRef,
    provider: String,
    provider_message_id: String,
    cost: Option<Money>,
    content: serde_json::Value,
    template: Option<String>,
}

#[derive(Clone, Copy)]
enum ClaimKind {
    Expired,
    Due,
}

#[derive(sqlx::FromRow)]
struct TenantOfRow {
    tenant_id: recaudo_domain::TenantId,
}

impl crate::Store {
    /// The tenant of a contact, for what names a contact alone (a signed link): `None` when no
    /// contact has this id.
    pub async fn tenant_of_contact(&self, id: ContactId) -> Result<Option<TenantStore>> {
        let mut sql = Sql::new("SELECT tenant_id FROM contacts WHERE id = ");
        sql.push_arg(id);
        let row = on_pool!(self, |pool| fetch_optional!(TenantOfRow, sql, pool));
        match row {
            Some(row) => Ok(Some(self.tenant(&self.get_tenant(row.tenant_id).await?))),
            None => Ok(None),
        }
    }
}

#[derive(sqlx::FromRow)]
struct CountOnly {
    n: i64,
}

impl TenantStore {
    /// Sent contacts that were claimed more than once: re-sends after a lost lease (a crash) or
    /// retries after a temporary failure.
    pub async fn contacts_claimed_more_than_once(&self) -> Result<u64> {
        let mut sql = Sql::new("SELECT COUNT(*) AS n FROM contacts WHERE tenant_id = ");
        sql.push_arg(self.tid.clone())
            .push(" AND attempts > 1 AND sent_at IS NOT NULL");
        let row = on_pool!(self.store, |pool| fetch_optional!(CountOnly, sql, pool));
        Ok(row.map_or(0, |r| u64::try_from(r.n).unwrap_or(0)))
    }
}

impl TenantStore {
    /// Extends the lease `owner` holds on `contacts` to `until` (a dispatcher still sending a
    /// batch keeps it, so no other node takes the contacts over). Returns how many it still held.
    pub async fn extend_lease(
        &self,
        contacts: &[ContactId],
        owner: &str,
        until: DateTime<Utc>,
    ) -> Result<u64> {
        let mut extended = 0;
        for chunk in contacts.chunks(500) {
            let mut sql = Sql::new("UPDATE contacts SET lease_until = ");
            sql.push_arg(until)
                .push(" WHERE tenant_id = ")
                .push_arg(self.tid.clone())
                .push(" AND state = 'sending' AND lease_owner = ")
                .push_arg(owner.to_string())
                .push(" AND id IN ");
            sql.push_values(chunk.iter().map(|&id| id.into()).collect());
            extended += on_pool!(self.store, |pool| exec!(sql, pool));
        }
        Ok(extended)
    }
}
