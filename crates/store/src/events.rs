//! The append-only timeline. Events are only ever inserted, never deleted; the one update is the
//! erasure of a debtor, which removes the members that may name the person and keeps the events
//! (`TenantStore::erase_debtor`).

use chrono::{DateTime, Utc};
use recaudo_domain::event::{Event, EventKind, NewEvent};
use recaudo_domain::{DebtId, DebtorId, EventId};

use crate::portfolio::Page;
use crate::rows::{EVENT_COLUMNS, EventRow, convert};
use crate::sql::{Arg, Sql, fetch_all};
use crate::{Result, TenantStore, on_pool};

/// The statement that appends one event for a tenant.
pub(crate) fn insert_event(tid: &str, event: NewEvent) -> Sql {
    let mut sql = Sql::new(&format!(
        "INSERT INTO events (tenant_id, {EVENT_COLUMNS}) VALUES "
    ));
    let data = event.data.into();
    sql.push_values(event_row(
        tid,
        &event.debtor_id,
        event.debt_id.as_ref(),
        event.kind,
        event.at,
        data,
    ));
    sql
}

/// The values of a new event row (`tenant_id, {EVENT_COLUMNS}`), its data already JSON.
pub(crate) fn event_row(
    tid: &str,
    debtor_id: &DebtorId,
    debt_id: Option<&DebtId>,
    kind: EventKind,
    at: DateTime<Utc>,
    data: Arg,
) -> Vec<Arg> {
    vec![
        tid.to_string().into(),
        EventId::generate().into(),
        (*debtor_id).into(),
        debt_id.copied().into(),
        kind.as_str().into(),
        at.into(),
        data,
    ]
}

/// Which timeline to read, and where to start.
#[derive(Debug, Clone, Default)]
pub struct TimelineQuery {
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

impl TenantStore {
    /// Every event of a debtor (their own and their debts'), oldest first; an erased debtor's
    /// too (anonymised).
    pub async fn debtor_timeline(
        &self,
        debtor_id: DebtorId,
        q: &TimelineQuery,
    ) -> Result<Page<Event>> {
        self.check_debtor_on_record(debtor_id).await?;
        self.timeline(Some(debtor_id), None, q).await
    }

    /// The events of one debt, oldest first.
    pub async fn debt_timeline(
        &self,
        debt_id: DebtId,
        query: &TimelineQuery,
    ) -> Result<Page<Event>> {
        self.get_debt(debt_id).await?;
        self.timeline(None, Some(debt_id), query).await
    }

    /// The stored events of a debtor (or of one of their debts) and the `contact_planned` events
    /// read from the outbox rows (see [`planned_events`]), merged in id order.
    async fn timeline(
        &self,
        debtor_id: Option<DebtorId>,
        debt_id: Option<DebtId>,
        query: &TimelineQuery,
    ) -> Result<Page<Event>> {
        let limit = crate::portfolio::page_limit_within(query.limit, 100, 1000)?;
        let rows = on_pool!(self.store, |pool| {
            let mut sql = Sql::new("SELECT * FROM (");
            for (index, from) in [
                format!("SELECT {EVENT_COLUMNS} FROM events"),
                planned_events(SQLITE),
            ]
            .iter()
            .enumerate()
            {
                if index > 0 {
                    sql.push(" UNION ALL ");
                }
                sql.push(from)
                    .push(" WHERE tenant_id = ")
                    .push_arg(self.tid.clone());
                if let Some(id) = debtor_id {
                    sql.push(" AND debtor_id = ").push_arg(id);
                }
                if let Some(id) = debt_id {
                    sql.push(" AND debt_id = ").push_arg(id);
                    // The outbox has no index by debt: its contacts are found through the
                    // debtors the debt has had (an import may move a debt), as its events say.
                    if index > 0 {
                        sql.push(
                            " AND debtor_id IN (SELECT debtor_id FROM events WHERE debt_id = ",
                        )
                        .push_arg(id)
                        .push(")");
                    }
                }
            }
            sql.push(") t");
            if let Some(cursor) = &query.cursor {
                sql.push(" WHERE id > ").push_arg(cursor.clone());
            }
            sql.push(" ORDER BY id LIMIT ").push_arg(limit + 1);
            fetch_all!(EventRow, sql, pool)
        });
        let mut items = convert(rows, EventRow::into_domain)?;
        let next_cursor = if items.len() as i64 > limit {
            items.truncate(limit as usize);
            items.last().map(|e| e.id.to_string())
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }

    /// Appends one event.
    pub async fn append_event(&self, event: NewEvent) -> Result<()> {
        self.run_tx(vec![insert_event(&self.tid, event)]).await
    }
}

/// The `contact_planned` events, as [`EVENT_COLUMNS`], read from the outbox rows: a contact's
/// planned fields never change once written, so its event is the row itself rather than a second
/// copy (the planner's first day writes hundreds of thousands). The event's id is the contact's
/// ULID with the event prefix, so it sorts among the stored events by time; `at` is when it was
/// planned.
pub(crate) fn planned_events(sqlite: bool) -> String {
    let fields = "'contact_id', id, 'step', step, 'channel', channel, 'scheduled_for', \
                  scheduled_for, 'idempotency_key', idempotency_key, 'strategy', strategy, \
                  'version', strategy_version, 'arm', arm, 'template', template, 'queue', queue";
    let data = format!(
        "{}({fields}, 'covers', {})",
        crate::dialect::json_build_object(sqlite),
        crate::dialect::json_column(sqlite, "covers")
    );
    format!(
        "SELECT 'evt_' || substr(id, 5) AS id, debtor_id, debt_id, 'contact_planned' AS kind, \
         created_at AS at, {data} AS data FROM contacts"
    )
}
