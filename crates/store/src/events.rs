//! The append-only timeline. Events are only ever inserted, never deleted; the one update is the
//! erasure of a debtor, which removes the members that may name the person and keeps the events
//! (`TenantStore::erase_debtor`).

use chrono::{DateTime, SecondsFormat, Utc};
use recaudo_domain::event::{Event, EventKind, NewEvent};
use recaudo_domain::{DebtId, DebtorId, EventId};

use crate::portfolio::Page;
use crate::rows::{EVENT_COLUMNS, EventRow, convert};
use crate::sql::{Arg, Sql, fetch_all};
use crate::{Result, StoreError, TenantStore, on_pool};

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
        event.recorded_at,
        data,
    ));
    sql
}

/// The values of a new event row (`tenant_id, {EVENT_COLUMNS}`), its data already JSON: what
/// happened `at`, recorded at `recorded_at`.
pub(crate) fn event_row(
    tid: &str,
    debtor_id: &DebtorId,
    debt_id: Option<&DebtId>,
    kind: EventKind,
    at: DateTime<Utc>,
    recorded_at: DateTime<Utc>,
    data: Arg,
) -> Vec<Arg> {
    vec![
        tid.to_string().into(),
        EventId::generate().into(),
        (*debtor_id).into(),
        debt_id.copied().into(),
        kind.as_str().into(),
        at.into(),
        recorded_at.into(),
        data,
    ]
}

/// Which timeline to read, and where to start.
#[derive(Debug, Clone, Default)]
pub struct TimelineQuery {
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// Where a timeline page starts: after the event that happened at `at` with id `id`. Written
/// `<at, RFC 3339 with nanoseconds>~<event id>`; clients pass it back as they got it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cursor {
    at: DateTime<Utc>,
    id: String,
}

impl Cursor {
    fn of(event: &Event) -> Cursor {
        Cursor {
            at: event.at,
            id: event.id.to_string(),
        }
    }

    fn text(&self) -> String {
        format!(
            "{}~{}",
            self.at.to_rfc3339_opts(SecondsFormat::Nanos, true),
            self.id
        )
    }

    fn parse(text: &str) -> Result<Cursor> {
        let invalid = || StoreError::Invalid {
            field: "cursor".into(),
            message: "not a cursor of this timeline: pass `next_cursor` as it was given".into(),
        };
        let (at, id) = text.split_once('~').ok_or_else(invalid)?;
        let at = DateTime::parse_from_rfc3339(at).map_err(|_| invalid())?;
        id.parse::<EventId>().map_err(|_| invalid())?;
        Ok(Cursor {
            at: at.with_timezone(&Utc),
            id: id.to_string(),
        })
    }
}

impl TenantStore {
    /// Every event of a debtor (their own and their debts'), in the order they happened; an
    /// erased debtor's too (anonymised).
    pub async fn debtor_timeline(
        &self,
        debtor_id: DebtorId,
        q: &TimelineQuery,
    ) -> Result<Page<Event>> {
        self.check_debtor_on_record(debtor_id).await?;
        self.timeline(Some(debtor_id), None, q).await
    }

    /// The events of one debt, in the order they happened.
    pub async fn debt_timeline(
        &self,
        debt_id: DebtId,
        query: &TimelineQuery,
    ) -> Result<Page<Event>> {
        self.get_debt(debt_id).await?;
        self.timeline(None, Some(debt_id), query).await
    }

    /// The stored events of a debtor (or of one of their debts) and the `contact_planned` events
    /// read from the outbox rows (see [`planned_events`]), merged in the order they happened
    /// (`at`; the id, a ULID, among events of the same instant).
    async fn timeline(
        &self,
        debtor_id: Option<DebtorId>,
        debt_id: Option<DebtId>,
        query: &TimelineQuery,
    ) -> Result<Page<Event>> {
        let limit = crate::portfolio::page_limit_within(query.limit, 100, 1000)?;
        let cursor = query.cursor.as_deref().map(Cursor::parse).transpose()?;
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
            if let Some(cursor) = &cursor {
                sql.push(" WHERE (at > ")
                    .push_arg(cursor.at)
                    .push(" OR (at = ")
                    .push_arg(cursor.at)
                    .push(" AND id > ")
                    .push_arg(cursor.id.clone())
                    .push("))");
            }
            sql.push(" ORDER BY at, id LIMIT ").push_arg(limit + 1);
            fetch_all!(EventRow, sql, pool)
        });
        let mut items = convert(rows, EventRow::into_domain)?;
        let next_cursor = if items.len() as i64 > limit {
            items.truncate(limit as usize);
            items.last().map(|e| Cursor::of(e).text())
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
/// ULID with the event prefix; `at` and `recorded_at` are when it was planned. An answer's names
/// the message it answers (`reply_to`).
pub(crate) fn planned_events(sqlite: bool) -> String {
    let fields = "'contact_id', id, 'step', step, 'channel', channel, 'scheduled_for', \
                  scheduled_for, 'idempotency_key', idempotency_key, 'strategy', strategy, \
                  'version', strategy_version, 'arm', arm, 'template', template, 'queue', queue, \
                  'reply_to', reply_to";
    let data = format!(
        "{}({fields}, 'covers', {})",
        crate::dialect::json_build_object(sqlite),
        crate::dialect::json_column(sqlite, "covers")
    );
    format!(
        "SELECT 'evt_' || substr(id, 5) AS id, debtor_id, debt_id, 'contact_planned' AS kind, \
         created_at AS at, created_at AS recorded_at, {data} AS data FROM contacts"
    )
}
