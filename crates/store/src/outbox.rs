//! The outbox: contacts the planner decided on, one row each, keyed by their idempotency key.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::types::Json;

use recaudo_domain::outbox::{Contact, NewContact};
use recaudo_domain::{ContactId, ContactPointId, DebtId, DebtorId, MessageId};

use crate::rows::parse;
use crate::sql::{Sql, fetch_all, fetch_optional, raw_json};
use crate::{Entity, Result, StoreError, TenantStore, on_pool};

pub(crate) const CONTACT_COLUMNS: &str = "id, debtor_id, debt_id, covers, contact_point_id, strategy, \
     strategy_version, step, arm, channel, template, scheduled_for, local_date, state, attempts, \
     idempotency_key, reason, created_at, updated_at, queue";
/// What a contact is read with: [`CONTACT_COLUMNS`] and, for an answer to a debtor's message,
/// the message and an agent's own text (the planner writes neither).
pub(crate) const CONTACT_READ_COLUMNS: &str = "id, debtor_id, debt_id, covers, contact_point_id, \
     strategy, strategy_version, step, arm, channel, template, scheduled_for, local_date, state, \
     attempts, idempotency_key, reason, created_at, updated_at, queue, reply_to, body";

/// How a planned contact is stored: `{head} VALUES (…){CONTACT_INSERT_TAIL}`, the tenant
/// first and then [`CONTACT_COLUMNS`]; a contact whose key is in the outbox already is skipped.
pub(crate) fn contact_insert_head() -> String {
    format!("INSERT INTO contacts (tenant_id, {CONTACT_COLUMNS})")
}
// The key is recaudo_domain::outbox::contact_key; one contact a day per debtor is the planner's
// (recaudo_domain::planner::one_contact_per_day_limit, covering_message: `covers` lists the
// debts a message covers). tests/it/rules.rs checks both databases store it so.
pub(crate) const CONTACT_INSERT_TAIL: &str = " ON CONFLICT (idempotency_key) DO NOTHING";
/// The planner's many-row statement on SQLite: `{head} VALUES (…), (…), …` without a tail.
/// `OR IGNORE` skips a contact whose key is in the outbox already, as [`CONTACT_INSERT_TAIL`]
/// does, and leaves no constraint that aborts the statement: SQLite then keeps no statement
/// journal, a copy of every page a statement of several rows changes in case a later row
/// fails (the writer's copies of pages into it were a tenth of its time). What else it would
/// skip cannot happen there: ids are new ULIDs and every `NOT NULL` column is bound.
pub(crate) fn contact_bulk_insert_head() -> String {
    let (insert, _) = crate::dialect::insert_or_ignore(true);
    format!("{insert} contacts (tenant_id, {CONTACT_COLUMNS})")
}

#[derive(sqlx::FromRow)]
pub(crate) struct ContactRow {
    id: ContactId,
    debtor_id: DebtorId,
    debt_id: DebtId,
    covers: Json<Vec<DebtId>>,
    contact_point_id: Option<ContactPointId>,
    strategy: Option<String>,
    strategy_version: Option<i64>,
    step: String,
    arm: Option<String>,
    channel: String,
    template: Option<String>,
    scheduled_for: DateTime<Utc>,
    local_date: NaiveDate,
    state: String,
    attempts: i64,
    idempotency_key: String,
    reason: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    queue: Option<String>,
    reply_to: Option<MessageId>,
    body: Option<String>,
}

impl ContactRow {
    pub(crate) fn into_domain(self) -> Result<Contact> {
        Ok(Contact {
            id: self.id,
            debtor_id: self.debtor_id,
            debt_id: self.debt_id,
            covers: self.covers.0,
            contact_point_id: self.contact_point_id,
            strategy: self.strategy,
            strategy_version: self
                .strategy_version
                .map(|v| u32::try_from(v).map_err(StoreError::corrupt))
                .transpose()?,
            step: self.step,
            arm: self.arm,
            channel: parse("channel", &self.channel)?,
            template: self.template,
            queue: self.queue,
            scheduled_for: self.scheduled_for,
            local_date: self.local_date,
            state: parse("contact state", &self.state)?,
            attempts: u32::try_from(self.attempts).map_err(StoreError::corrupt)?,
            idempotency_key: self.idempotency_key,
            reason: self.reason,
            created_at: self.created_at,
            updated_at: self.updated_at,
            reply_to: self.reply_to,
            body: self.body,
        })
    }
}

crate::sqlite::rows::from_columns!(ContactRow {
    id,
    debtor_id,
    debt_id,
    covers,
    contact_point_id,
    strategy,
    strategy_version,
    step,
    arm,
    channel,
    template,
    scheduled_for,
    local_date,
    state,
    attempts,
    idempotency_key,
    reason,
    created_at,
    updated_at,
    queue,
    reply_to,
    body
});

/// A row of one id column: a statement's `RETURNING id`, the planner's batch bounds.
#[derive(sqlx::FromRow)]
pub(crate) struct IdRow<I> {
    pub(crate) id: I,
}

crate::sqlite::rows::from_columns!(IdRow<DebtorId> { id });

impl TenantStore {
    /// Stores planned contacts in one transaction, each at most once: a contact whose
    /// idempotency key is already in the outbox is left as it is, so planning the same day again
    /// adds nothing. Each new contact is a `contact_planned` event on its debt's timeline.
    /// Every debt named (the contact's and those it covers) must be this tenant's and the
    /// contact's debtor's. Returns the ids of the contacts that were new, in order.
    pub async fn plan_contacts(
        &self,
        contacts: &[NewContact],
        now: DateTime<Utc>,
    ) -> Result<Vec<ContactId>> {
        for contact in contacts {
            for debt in std::iter::once(&contact.debt_id).chain(&contact.covers) {
                let owner = self.get_debt(*debt).await?.debtor_id;
                if owner != contact.debtor_id {
                    return Err(StoreError::Invalid {
                        field: "debt_id".into(),
                        message: format!(
                            "debt {debt} is not a debt of debtor {}",
                            contact.debtor_id
                        ),
                    });
                }
            }
            if let Some(cp) = contact.contact_point_id {
                let points = self.list_contact_points(contact.debtor_id).await?;
                if !points
                    .iter()
                    .any(|p| p.id == cp && p.channel == contact.channel)
                {
                    return Err(StoreError::Invalid {
                        field: "contact_point_id".into(),
                        message: format!(
                            "contact point {cp} is not a {} contact point of debtor {}",
                            contact.channel, contact.debtor_id
                        ),
                    });
                }
            }
        }
        let mut statements = Vec::with_capacity(contacts.len());
        for contact in contacts {
            statements.push(self.contact_insert(contact, now)?);
        }
        on_pool!(self.store, |pool| {
            let mut tx = crate::sql::begin!(pool);
            let mut new = vec![];
            for insert in statements {
                if let Some((id,)) = fetch_optional!((ContactId,), insert, &mut *tx) {
                    new.push(id);
                }
            }
            tx.commit().await?;
            Ok(new)
        })
    }

    /// The statement that stores one planned contact, unless its key is in the outbox already
    /// (`RETURNING id` then gives no row). Its `contact_planned` event is the row itself (see
    /// [`crate::events::planned_events`]).
    pub(crate) fn contact_insert(&self, contact: &NewContact, now: DateTime<Utc>) -> Result<Sql> {
        let id = ContactId::generate();
        let mut sql = Sql::new(&format!("{} VALUES ", contact_insert_head()));
        sql.push_values(vec![
            self.tid.clone().into(),
            id.into(),
            contact.debtor_id.into(),
            contact.debt_id.into(),
            raw_json(&contact.covers)?.into(),
            contact.contact_point_id.into(),
            contact.strategy.clone().into(),
            contact.strategy_version.map(i64::from).into(),
            contact.step.clone().into(),
            contact.arm.clone().into(),
            contact.channel.as_str().into(),
            contact.template.clone().into(),
            contact.scheduled_for.into(),
            contact.local_date.into(),
            "planned".into(),
            0i64.into(),
            contact.key().into(),
            contact.reason.clone().into(),
            now.into(),
            now.into(),
            contact.queue.clone().into(),
        ]);
        sql.push(CONTACT_INSERT_TAIL).push(" RETURNING id");
        Ok(sql)
    }

    /// The contacts of a debtor scheduled at or after `since`, oldest first: the history the
    /// contact policy counts caps and gaps on.
    pub async fn debtor_contacts(
        &self,
        debtor_id: DebtorId,
        since: DateTime<Utc>,
    ) -> Result<Vec<Contact>> {
        let mut sql = Sql::new(&format!(
            "SELECT {CONTACT_READ_COLUMNS} FROM contacts WHERE tenant_id = "
        ));
        sql.push_arg(self.tid.clone())
            .push(" AND debtor_id = ")
            .push_arg(debtor_id)
            .push(" AND scheduled_for >= ")
            .push_arg(since)
            .push(" ORDER BY scheduled_for, id");
        let rows = on_pool!(self.store, |pool| fetch_all!(ContactRow, sql, pool));
        rows.into_iter().map(ContactRow::into_domain).collect()
    }

    /// One contact of this tenant.
    pub async fn get_contact(&self, id: ContactId) -> Result<Contact> {
        let mut sql = Sql::new(&format!(
            "SELECT {CONTACT_READ_COLUMNS} FROM contacts WHERE tenant_id = "
        ));
        sql.push_arg(self.tid.clone())
            .push(" AND id = ")
            .push_arg(id);
        let row = on_pool!(self.store, |pool| fetch_optional!(ContactRow, sql, pool));
        row.ok_or_else(|| StoreError::not_found(Entity::Contact, id))?
            .into_domain()
    }
}
