//! What the planner reads and writes: debtors with their active debts, contact points, recent
//! timeline and outbox rows, in batches ordered by debtor id; and a day's plans, in one
//! transaction per batch.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sqlx::types::Json;

use recaudo_domain::DebtorId;
use recaudo_domain::event::EventKind;
use recaudo_domain::planner::{DebtFile, DebtorFile, DebtorPlan, PriorContact};
use recaudo_domain::portfolio::{ContactPoint, Debt, DebtStatus, Debtor};

use crate::outbox::IdRow;
use crate::rows::{
    ContactPointRow, DEBT_COLUMNS, DebtRow, DebtorRow, EVENT_COLUMNS, EventRow, PROMISE_COLUMNS,
    PromiseRow, from_columns, parse,
};
use crate::sql::{Sql, exec, fetch_all, fetch_optional};
use crate::{Result, TenantStore, on_pool};

/// Reads all rows of a built query: on SQLite straight through its C API (sqlx hands rows over
/// one by one from its worker thread, which cost the planner more than SQLite's own work), on
/// PostgreSQL through sqlx.
macro_rules! read_rows {
    ($ts:expr, $row:ty, $sql:expr) => {{
        match &$ts.store.backend {
            crate::Backend::Sqlite(pool) => {
                let mut conn = pool.acquire().await?;
                let mut handle = conn.lock_handle().await?;
                crate::sqlite_bulk::query::<$row>(handle.as_raw_handle(), $sql)?
            }
            crate::Backend::Postgres(pool) => {
                #[allow(dead_code)]
                const SQLITE: bool = false;
                fetch_all!($row, $sql, pool)
            }
        }
    }};
}

/// Hands every row of a built query to `$f` as a domain value: on SQLite decoded straight from
/// the C API as it is read (`FromColumns` for the domain type), on PostgreSQL through the row
/// struct's `into_domain`.
macro_rules! read_each {
    ($ts:expr, $domain:ty, $row:ty, $sql:expr, $f:expr) => {{
        match &$ts.store.backend {
            crate::Backend::Sqlite(pool) => {
                let mut conn = pool.acquire().await?;
                let mut handle = conn.lock_handle().await?;
                crate::sqlite_bulk::query_each::<$domain>(handle.as_raw_handle(), $sql, $f)?
            }
            crate::Backend::Postgres(pool) => {
                #[allow(dead_code)]
                const SQLITE: bool = false;
                fetch_all!($row, $sql, pool)
                    .into_iter()
                    .map(<$row>::into_domain)
                    .try_for_each(|r| r.map($f))?
            }
        }
    }};
}

/// The contact point columns the planner reads for a batch, in [`CONTACT_POINT_COLUMNS`](crate::rows::CONTACT_POINT_COLUMNS)' order
/// so that the same decoders serve: the address (text), the postal address and the consent's
/// source and time, which no decision depends on, are read empty (about a third of the decoding
/// of a batch went to parsing postal addresses that were never looked at, and a string a row to
/// the addresses).
const PLANNER_CONTACT_POINT_COLUMNS: &str = "id, debtor_id, channel, '' AS address, NULL AS postal, verified, consent_status, NULL AS consent_source, NULL AS consent_at, opted_out_at, priority, bounce_count, created_at";

/// The debtor columns the planner reads, in [`DEBTOR_COLUMNS`](crate::rows::DEBTOR_COLUMNS)' order so that the same
/// decoder serves: the name and the identity document, which no decision or condition looks at
/// (conditions see `debtor.kind`, `age`, `segment`, `country`, `language`, `timezone`, `tags`,
/// `attributes` and `days_since_created`), are read empty.
///
/// They are read from `debtors` alone, with the segment the tenant gave: the planner's own
/// (`debtor_plans`) is read for the batch's range of ids and put in its place
/// ([`TenantStore::files_for`]), as [`DEBTOR_SEGMENT`](crate::rows::DEBTOR_SEGMENT) does.
const PLANNER_DEBTOR_COLUMNS: &str = "id, external_id, kind, '' AS name, NULL AS document_type, NULL AS document_number, birth_date, language, timezone, country, segment, tags, attributes, preferences, created_at, updated_at";

/// How far back the planner reads a debtor's timeline (the CEL `events` and the placements
/// `after:`/`wait_for` see this much).
pub const PLAN_EVENT_DAYS: i64 = 90;

/// How far back the planner reads the outbox: caps count at most a calendar month (31 days),
/// and a step is done once it has a contact. Strategies whose steps span more than this count
/// a step as done through its contact only while the contact is this recent.
pub const PLAN_CONTACT_DAYS: i64 = 400;

/// Timeline kinds the planner does not read: bookkeeping of the portfolio itself, written in
/// bulk by imports, and the planner's own `contact_planned`, whose outbox rows it reads instead.
const BOOKKEEPING_EVENTS: [EventKind; 5] = [
    EventKind::DebtorCreated,
    EventKind::DebtorUpdated,
    EventKind::ContactPointAdded,
    EventKind::DebtUpdated,
    EventKind::ContactPlanned,
];

/// The kinds left out of the `events_for_planner` index (migration 0006): the bookkeeping above
/// and `invoice_issued`. A query with this very clause can be answered from that index.
pub(crate) const PLANNER_EVENTS: &str = "kind NOT IN ('contact_planned', 'contact_point_added', 'debt_updated', 'debtor_created', 'debtor_updated', 'invoice_issued')";
const UNINDEXED_EVENTS: [EventKind; 6] = [
    EventKind::DebtorCreated,
    EventKind::DebtorUpdated,
    EventKind::ContactPointAdded,
    EventKind::DebtUpdated,
    EventKind::ContactPlanned,
    EventKind::InvoiceIssued,
];

/// A range of debtor ids planned together ([`TenantStore::plan_batches`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanBatch {
    /// Ids after this one (`None`: from the first).
    pub after: Option<DebtorId>,
    /// Ids up to this one, included (`None`: to the last).
    pub upto: Option<DebtorId>,
}

/// The outbox columns the planner reads (not the whole row: no key, reason or template).
const PRIOR_COLUMNS: &str = "debtor_id, debt_id, covers, strategy, step, channel, scheduled_for, local_date, state, created_at";

#[derive(sqlx::FromRow)]
struct PriorRow {
    debtor_id: String,
    debt_id: String,
    covers: Json<Vec<String>>,
    strategy: Option<String>,
    step: String,
    channel: String,
    scheduled_for: DateTime<Utc>,
    local_date: NaiveDate,
    state: String,
    created_at: DateTime<Utc>,
}

from_columns!(PriorRow {
    debtor_id,
    debt_id,
    covers,
    strategy,
    step,
    channel,
    scheduled_for,
    local_date,
    state,
    created_at
});

/// An outbox row as the planner reads it: whose it is, and what it tells.
struct Prior(DebtorId, PriorContact);

impl crate::sqlite_bulk::FromColumns for Prior {
    fn from_columns(c: &crate::sqlite_bulk::Columns) -> Result<Prior> {
        PriorRow::from_columns(c)?.into_domain()
    }
}

impl PriorRow {
    fn into_domain(self) -> Result<Prior> {
        Ok(Prior(
            parse("debtor id", &self.debtor_id)?,
            PriorContact {
                debt: parse("debt id", &self.debt_id)?,
                covers: self
                    .covers
                    .0
                    .iter()
                    .map(|d| parse("covered debt id", d))
                    .collect::<Result<_>>()?,
                strategy: self.strategy,
                step: self.step,
                channel: parse("channel", &self.channel)?,
                scheduled_for: self.scheduled_for,
                local_date: self.local_date,
                state: parse("contact state", &self.state)?,
                created_at: self.created_at,
            },
        ))
    }
}

/// The planner's state of a debtor as [`TenantStore::files_for`] reads it (`debtor_plans`).
const PLAN_STATE_COLUMNS: &str = "plan_debtor_id, planned_segment, planned_at, strategies";

#[derive(sqlx::FromRow)]
struct PlanStateRead {
    plan_debtor_id: String,
    planned_segment: Option<String>,
    planned_at: Option<DateTime<Utc>>,
    /// The JSON object as text (PostgreSQL's `jsonb` through a text column type below).
    #[sqlx(try_from = "Json<serde_json::Value>")]
    strategies: JsonText,
}

from_columns!(PlanStateRead {
    plan_debtor_id,
    planned_segment,
    planned_at,
    strategies
});

impl PlanStateRead {
    /// Puts the state into the debtor's file: the planner's segment over the tenant's once it
    /// assigned one, and each debt's strategy (its member of the object).
    fn apply(self, f: &mut DebtorFile) -> Result<()> {
        if self.planned_at.is_some() {
            f.debtor.segment = self.planned_segment;
        }
        let object = &self.strategies.0;
        if object.len() > 2 {
            for d in &mut f.debts {
                if let Some(v) = crate::rows::json_member(object, &d.debt.id.text())? {
                    d.debt.strategy = Some(crate::rows::stored_assignment(v)?);
                }
            }
        }
        Ok(())
    }
}

/// A JSON column's text.
struct JsonText(String);

impl From<Json<serde_json::Value>> for JsonText {
    fn from(j: Json<serde_json::Value>) -> Self {
        JsonText(j.0.to_string())
    }
}

impl crate::rows::Col for JsonText {
    fn col(c: &crate::sqlite_bulk::Columns, i: usize, name: &str) -> Result<Self> {
        String::col(c, i, name).map(JsonText)
    }
}

/// What one write of plans stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlanWrite {
    /// Contacts new in the outbox (those already there under their key are left alone).
    pub contacts: u64,
    /// Debts that started a strategy.
    pub assignments: u64,
    /// Debtors whose segment changed.
    pub segments: u64,
}

impl std::ops::AddAssign for PlanWrite {
    fn add_assign(&mut self, o: PlanWrite) {
        self.contacts += o.contacts;
        self.assignments += o.assignments;
        self.segments += o.segments;
    }
}

/// Rows of a batch by debtor, in debtor order: each row joins the bucket of the row before
/// when it has the same debtor (the planner's queries read in debtor order, so every row is
/// moved once and nothing is hashed); [`Buckets::sorted`] copes with any other order (the events,
/// read oldest first).
struct Buckets<T> {
    buckets: Vec<(DebtorId, Vec<T>)>,
    /// Room each new bucket starts with: about as many rows as a debtor usually has, so that
    /// a bucket is not grown (and its rows moved) row by row.
    room: usize,
}

impl<T> Buckets<T> {
    fn new(room: usize) -> Self {
        Buckets {
            buckets: Vec::new(),
            room,
        }
    }

    fn push(&mut self, debtor: DebtorId, row: T) {
        match self.buckets.last_mut() {
            Some((d, rows)) if *d == debtor => rows.push(row),
            _ => {
                let mut rows = Vec::with_capacity(self.room);
                rows.push(row);
                self.buckets.push((debtor, rows))
            }
        }
    }

    /// The buckets by debtor id, one per debtor, to be taken in that order.
    fn sorted(mut self) -> Sorted<T> {
        if !self.buckets.is_sorted_by(|a, b| a.0 < b.0) {
            // Stable: a debtor's rows keep the order they were read in.
            self.buckets.sort_by_key(|b| b.0);
            let mut merged: Vec<(DebtorId, Vec<T>)> = Vec::with_capacity(self.buckets.len());
            for (d, rows) in self.buckets {
                match merged.last_mut() {
                    Some((last, into)) if *last == d => into.extend(rows),
                    _ => merged.push((d, rows)),
                }
            }
            self.buckets = merged;
        }
        Sorted(self.buckets.into_iter().peekable())
    }
}

/// [`Buckets`] by debtor id, walked alongside the batch's debtors in id order.
struct Sorted<T>(std::iter::Peekable<std::vec::IntoIter<(DebtorId, Vec<T>)>>);

impl<T> Sorted<T> {
    /// The rows of `debtor`, an id after every one taken before (none: empty).
    fn take(&mut self, debtor: DebtorId) -> Vec<T> {
        while self.0.peek().is_some_and(|(d, _)| *d < debtor) {
            self.0.next();
        }
        match self.0.next_if(|(d, _)| *d == debtor) {
            Some((_, rows)) => rows,
            None => Vec::new(),
        }
    }
}

impl TenantStore {
    /// How to cut the tenant's debtors into batches of `limit` (by id): each batch is the
    /// debtors with an id after its first bound (`None`: from the start) and up to its second
    /// (`None`: to the end). The ranges are disjoint and cover every id, so batches can be read
    /// at the same time, and a debtor created meanwhile lands in exactly one of them.
    pub async fn plan_batches(&self, limit: usize) -> Result<Vec<PlanBatch>> {
        let limit = limit.max(1);
        // Each bound is the `limit`-th id after the one before, found in the tenant's index of
        // debtor ids (`OFFSET` steps over index entries without reading rows): one short
        // query a batch instead of every id of the tenant read and decoded, which had held
        // a whole core for the first 6 % of a 1M-debt day before any batch could start.
        let mut bounds: Vec<DebtorId> = Vec::new();
        loop {
            let mut sql = Sql::new("SELECT id FROM debtors WHERE tenant_id = ");
            sql.push_arg(self.tid.clone());
            if let Some(after) = bounds.last() {
                sql.push(" AND id > ").push_arg(after.to_string());
            }
            sql.push(&format!(" ORDER BY id LIMIT 1 OFFSET {}", limit - 1));
            let rows = read_rows!(self, crate::outbox::IdRow, sql);
            let Some(bound) = rows.first() else { break };
            bounds.push(crate::rows::parse("debtor id", &bound.id)?);
        }
        let mut out = Vec::with_capacity(bounds.len() + 1);
        let mut after = None;
        for b in bounds {
            out.push(PlanBatch {
                after,
                upto: Some(b),
            });
            after = Some(b);
        }
        out.push(PlanBatch { after, upto: None });
        Ok(out)
    }

    /// The planner's input for the debtors of `batch`, each with their active debts (debtors
    /// without any are left out), contact points, the last [`PLAN_EVENT_DAYS`] of their
    /// timeline (without bookkeeping events) and their outbox rows of the last
    /// [`PLAN_CONTACT_DAYS`] before `now`. With `kinds`, only events of those kinds are read,
    /// and without `attributes` the debtors' attributes are left empty (the planner knows what
    /// its conditions can depend on).
    pub async fn plan_inputs(
        &self,
        batch: PlanBatch,
        now: DateTime<Utc>,
        kinds: Option<&[EventKind]>,
        attributes: bool,
    ) -> Result<Vec<DebtorFile>> {
        let columns = if attributes {
            Cow::Borrowed(PLANNER_DEBTOR_COLUMNS)
        } else {
            let empty = match &self.store.backend {
                crate::Backend::Sqlite(_) => "'{}'",
                crate::Backend::Postgres(_) => "'{}'::jsonb",
            };
            Cow::Owned(
                PLANNER_DEBTOR_COLUMNS
                    .replace(", attributes,", &format!(", {empty} AS attributes,")),
            )
        };
        let mut sql = Sql::new(&format!("SELECT {columns} FROM debtors WHERE tenant_id = "));
        sql.push_arg(self.tid.clone());
        if let Some(a) = batch.after {
            sql.push(" AND id > ").push_arg(a.to_string());
        }
        if let Some(u) = batch.upto {
            sql.push(" AND id <= ").push_arg(u.to_string());
        }
        sql.push(" ORDER BY id");
        // Each debtor goes straight into its file (no second vector of a batch's debtors,
        // whose moves were a cost of their own).
        let mut files: Vec<DebtorFile> = Vec::new();
        read_each!(self, Debtor, DebtorRow, sql, |d: Debtor| files
            .push(empty_file(d)));
        self.files_for(files, now, kinds, true).await
    }

    /// The planner's input for one debtor (`None` when they have no active debt), read whole:
    /// unlike a batch ([`TenantStore::plan_inputs`]), it keeps the debtor's name and document
    /// and the contact points' addresses and consent records, for `--explain` to show.
    pub async fn plan_input(
        &self,
        debtor: DebtorId,
        now: DateTime<Utc>,
    ) -> Result<Option<DebtorFile>> {
        let debtor = self.get_debtor(debtor).await?;
        Ok(self
            .files_for(vec![empty_file(debtor)], now, None, false)
            .await?
            .into_iter()
            .next())
    }

    /// Fills the files of debtors ([`empty_file`]s), leaving out those without an active debt.
    /// `lean`: contact points without what no decision reads ([`PLANNER_CONTACT_POINT_COLUMNS`]).
    async fn files_for(
        &self,
        files: Vec<DebtorFile>,
        now: DateTime<Utc>,
        kinds: Option<&[EventKind]>,
        lean: bool,
    ) -> Result<Vec<DebtorFile>> {
        let mut files = files;
        // The buckets below are walked in id order alongside them (SQL orders the text of
        // the ids, which for ULIDs is the same order, whatever the collation: kept certain).
        if !files.is_sorted_by_key(|f| f.debtor.id) {
            files.sort_by_key(|f| f.debtor.id);
        }
        let (Some(first), Some(last)) = (files.first(), files.last()) else {
            return Ok(Vec::new());
        };
        let (lo, hi) = (first.debtor.id.to_string(), last.debtor.id.to_string());
        let range = |sql: &mut Sql, column: &str| {
            sql.push(&format!(" AND {column} >= "))
                .push_arg(lo.clone())
                .push(&format!(" AND {column} <= "))
                .push_arg(hi.clone());
        };

        // The debts alone: their strategies are read with the debtors' planner state below
        // (a range of `debtor_plans` instead of a seek into it for every debt and debtor).
        let no_strategy = match &self.store.backend {
            crate::Backend::Sqlite(_) => "NULL AS strategy",
            crate::Backend::Postgres(_) => "NULL::jsonb AS strategy",
        };
        let mut sql = Sql::new(&format!(
            "SELECT {DEBT_COLUMNS}, {no_strategy} FROM debts WHERE tenant_id = "
        ));
        sql.push_arg(self.tid.clone());
        range(&mut sql, "debtor_id");
        sql.push(" AND status NOT IN ('paid', 'written_off') ORDER BY debtor_id");
        // Room for a debtor's usual rows: debts (1-3), contact points (one or two a channel),
        // recent events and outbox rows.
        let mut debts = Buckets::new(3);
        let mut promised: Vec<String> = Vec::new();
        read_each!(self, Debt, DebtRow, sql, |d: Debt| {
            // The running promise of each promised debt is read below.
            if d.status == DebtStatus::Promised {
                promised.push(d.id.to_string());
            }
            debts.push(
                d.debtor_id,
                DebtFile {
                    debt: d,
                    promise_due: None,
                },
            )
        });
        if debts.buckets.is_empty() {
            return Ok(Vec::new());
        }

        let mut promise_due = HashMap::new();
        for chunk in promised.chunks(500) {
            let mut sql = Sql::new(&format!(
                "SELECT {PROMISE_COLUMNS} FROM promises WHERE tenant_id = "
            ));
            sql.push_arg(self.tid.clone())
                .push(" AND status = 'pending' AND debt_id IN ");
            sql.push_values(chunk.iter().map(|s| s.clone().into()).collect());
            for row in read_rows!(self, PromiseRow, sql) {
                let p = row.into_domain()?;
                let e = promise_due.entry(p.debt_id).or_insert(p.due_on);
                *e = (*e).max(p.due_on);
            }
        }
        if !promise_due.is_empty() {
            for f in debts.buckets.iter_mut().flat_map(|(_, d)| d.iter_mut()) {
                f.promise_due = promise_due.get(&f.debt.id).copied();
            }
        }

        let points_sql = |columns: &str| {
            let mut sql = Sql::new(&format!(
                "SELECT {columns} FROM contact_points WHERE tenant_id = "
            ));
            sql.push_arg(self.tid.clone());
            range(&mut sql, "debtor_id");
            sql.push(" ORDER BY debtor_id, channel, contact_points.address");
            sql
        };
        let mut points = Buckets::new(6);
        match &self.store.backend {
            crate::Backend::Sqlite(pool) if lean => {
                let sql = points_sql(crate::rows::PLANNER_POINT_COLUMNS);
                let mut conn = pool.acquire().await?;
                let mut handle = conn.lock_handle().await?;
                crate::sqlite_bulk::query_each(
                    handle.as_raw_handle(),
                    sql,
                    |crate::rows::PlannerPoint(p)| points.push(p.debtor_id, p),
                )?
            }
            _ => {
                let sql = points_sql(if lean {
                    PLANNER_CONTACT_POINT_COLUMNS
                } else {
                    crate::rows::CONTACT_POINT_COLUMNS
                });
                read_each!(
                    self,
                    ContactPoint,
                    ContactPointRow,
                    sql,
                    |p: ContactPoint| points.push(p.debtor_id, p)
                )
            }
        }

        let mut sql = Sql::new(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE tenant_id = "
        ));
        sql.push_arg(self.tid.clone());
        range(&mut sql, "debtor_id");
        sql.push(" AND at >= ")
            .push_arg(now - Duration::days(PLAN_EVENT_DAYS));
        let kinds: Option<Vec<EventKind>> = kinds.map(|k| {
            k.iter()
                .copied()
                .filter(|k| !BOOKKEEPING_EVENTS.contains(k))
                .collect()
        });
        match kinds.as_deref() {
            // No kind at all: a query that reads nothing rather than `IN ()`.
            Some([]) => sql.push(" AND 0 = 1"),
            Some(kinds) => {
                sql.push(" AND kind IN ");
                sql.push_values(kinds.iter().map(|k| k.as_str().into()).collect());
                if !kinds.iter().any(|k| UNINDEXED_EVENTS.contains(k)) {
                    sql.push(&format!(" AND {PLANNER_EVENTS}"))
                } else {
                    &mut sql
                }
            }
            None => {
                sql.push(" AND kind NOT IN ");
                sql.push_values(
                    BOOKKEEPING_EVENTS
                        .iter()
                        .map(|k| k.as_str().into())
                        .collect(),
                )
            }
        };
        sql.push(" ORDER BY at, id");
        let mut events = Buckets::new(2);
        for row in read_rows!(self, EventRow, sql) {
            let e = row.into_domain()?;
            events.push(e.debtor_id, e);
        }

        let mut sql = Sql::new(&format!(
            "SELECT {PRIOR_COLUMNS} FROM contacts WHERE tenant_id = "
        ));
        sql.push_arg(self.tid.clone());
        range(&mut sql, "debtor_id");
        sql.push(" AND scheduled_for >= ")
            .push_arg(now - Duration::days(PLAN_CONTACT_DAYS))
            .push(" ORDER BY debtor_id, scheduled_for, id");
        let mut contacts = Buckets::new(4);
        read_each!(self, Prior, PriorRow, sql, |Prior(d, c)| contacts
            .push(d, c));

        // The planner's state of the batch's debtors: one range of `debtor_plans` (ids are
        // unique across tenants; rows of other tenants' debtors in the range match no file).
        let mut sql = Sql::new(&format!(
            "SELECT {PLAN_STATE_COLUMNS} FROM debtor_plans WHERE plan_debtor_id >= "
        ));
        sql.push_arg(lo.clone())
            .push(" AND plan_debtor_id <= ")
            .push_arg(hi.clone())
            .push(" ORDER BY plan_debtor_id");
        let mut states = Buckets::new(1);
        for row in read_rows!(self, PlanStateRead, sql) {
            states.push(parse("debtor id", &row.plan_debtor_id)?, row);
        }

        let mut debts = debts.sorted();
        let mut states = states.sorted();
        let mut points = points.sorted();
        let mut events = events.sorted();
        let mut contacts = contacts.sorted();
        for f in &mut files {
            let id = f.debtor.id;
            f.debts = debts.take(id);
            if let Some(state) = states.take(id).pop() {
                state.apply(f)?;
            }
            if !f.debts.is_empty() {
                f.contact_points = points.take(id);
                f.events = events.take(id);
                f.contacts = contacts.take(id);
            }
        }
        files.retain(|f| !f.debts.is_empty());
        Ok(files)
    }

    /// Stores a batch of plans in one transaction: new outbox contacts (a contact whose key is
    /// already there is skipped, so planning a day twice adds nothing; each is its own
    /// `contact_planned` event), strategy assignments (only on debts that still have none, so a
    /// concurrent planner cannot move a debt) and segments.
    /// `rows`: the plans as [`TenantStore::plan_rows`] laid them out (built here when `None`).
    pub async fn write_plans(
        &self,
        plans: &[DebtorPlan],
        rows: Option<&PlanRows>,
        now: DateTime<Utc>,
    ) -> Result<PlanWrite> {
        self.write_plan_batches(&[(plans, rows)], now).await
    }

    /// [`TenantStore::write_plans`] for several batches in one transaction. The planner's
    /// writer stores together the batches that queued up while it wrote the one before: every
    /// commit writes the B-trees' last, partly filled pages and their parents once more, and
    /// every WAL page is copied again by the checkpoints.
    pub async fn write_plan_batches(
        &self,
        batches: &[(&[DebtorPlan], Option<&PlanRows>)],
        now: DateTime<Utc>,
    ) -> Result<PlanWrite> {
        if let crate::Backend::Sqlite(pool) = &self.store.backend {
            let built: Vec<Option<PlanRows>> = batches
                .iter()
                .map(|(plans, rows)| rows.is_none().then(|| PlanRows::new(plans, now)))
                .collect();
            let rows: Vec<&PlanRows> = batches
                .iter()
                .zip(&built)
                .filter_map(|((_, rows), built)| rows.or(built.as_ref()))
                .collect();
            use sqlx::Connection;
            let mut conn = pool.acquire().await?;
            // The commit leaves the WAL as it is: the planner checkpoints between writes, on
            // another connection ([`TenantStore::checkpoint`]), instead of this writer syncing
            // the disk on the commits that cross the WAL's limit.
            crate::sqlite_bulk::set_autocheckpoint(conn.lock_handle().await?.as_raw_handle(), 0);
            let written = async {
                let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
                let out = {
                    let mut handle = tx.lock_handle().await?;
                    write_plans_sqlite(handle.as_raw_handle(), &self.tid, &rows)?
                };
                tx.commit().await?;
                Ok::<_, crate::StoreError>(out)
            }
            .await;
            crate::sqlite_bulk::set_autocheckpoint(
                conn.lock_handle().await?.as_raw_handle(),
                crate::WAL_AUTOCHECKPOINT,
            );
            return written;
        }
        let mut updates = Vec::new();
        let mut contacts = Vec::new();
        let mut out = PlanWrite::default();
        for plan in batches.iter().flat_map(|(plans, _)| plans.iter()) {
            if let Some(debtor) = planner_state_debtor(plan)? {
                let strategies: serde_json::Map<String, serde_json::Value> = plan
                    .assignments
                    .iter()
                    .map(|(debt, a)| {
                        serde_json::to_value(crate::rows::StoredAssignment::of(a))
                            .map(|v| (debt.to_string(), v))
                    })
                    .collect::<std::result::Result<_, _>>()
                    .map_err(crate::StoreError::corrupt)?;
                let mut sql = Sql::new(&format!("{PLAN_UPSERT_HEAD} VALUES "));
                sql.push_values(vec![
                    debtor.to_string().into(),
                    plan.segment.clone().flatten().into(),
                    plan.segment.as_ref().map(|_| now).into(),
                    serde_json::Value::Object(strategies).into(),
                ]);
                sql.push(PLAN_UPSERT_TAIL_POSTGRES);
                updates.push(sql);
                out.segments += u64::from(plan.segment.is_some());
                out.assignments += plan.assignments.len() as u64;
            }
            for c in &plan.contacts {
                contacts.push(self.contact_insert(c, now)?);
            }
        }
        on_pool!(self.store, |pool| {
            let mut tx = crate::sql::begin!(pool);
            for sql in updates {
                exec!(sql, &mut *tx);
            }
            for insert in contacts {
                if fetch_optional!(IdRow, insert, &mut *tx).is_some() {
                    out.contacts += 1;
                }
            }
            tx.commit().await?;
            Ok(out)
        })
    }

    /// A batch's plans laid out as the rows [`TenantStore::write_plans`] stores, to be built
    /// off the writer (see [`PlanRows`]); `None` on PostgreSQL, which writes from the plans.
    pub fn plan_rows(&self, plans: &[DebtorPlan], now: DateTime<Utc>) -> Option<PlanRows> {
        match &self.store.backend {
            crate::Backend::Sqlite(_) => Some(PlanRows::new(plans, now)),
            crate::Backend::Postgres(_) => None,
        }
    }

    /// Copies what the WAL holds into the database as far as readers allow, without waiting
    /// for them or for writers (SQLite's passive checkpoint; nothing on PostgreSQL). The
    /// planner calls it after each write, while the next batches are read, planned and written.
    pub async fn checkpoint(&self) -> Result<()> {
        if let crate::Backend::Sqlite(pool) = &self.store.backend {
            // Through sqlx, which runs it on the connection's own thread.
            sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(pool)
                .await?;
        }
        Ok(())
    }

    /// Removes every trace of planning from this tenant's portfolio: outbox rows (and so their
    /// `contact_planned` events), strategy assignments and segments. For benchmarks and
    /// simulations that replay a day on the same data; never called by the server.
    pub async fn reset_plans(&self) -> Result<()> {
        let statements = [
            "DELETE FROM contacts WHERE tenant_id = ",
            "DELETE FROM debtor_plans WHERE plan_debtor_id IN (SELECT id FROM debtors WHERE tenant_id = ",
        ];
        on_pool!(self.store, |pool| {
            let mut tx = crate::sql::begin!(pool);
            for s in statements {
                let mut sql = Sql::new(s);
                sql.push_arg(self.tid.clone());
                if s.contains("IN (") {
                    sql.push(")");
                }
                exec!(sql, &mut *tx);
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Whether anything was ever planned for this tenant: an outbox row, or a debtor's
    /// segment or strategies ([`reset_plans`](Self::reset_plans) clears both).
    pub async fn has_plans(&self) -> Result<bool> {
        let mut sql = Sql::new("SELECT 1 FROM contacts WHERE tenant_id = ");
        sql.push_arg(self.tid.clone());
        sql.push(
            " UNION ALL SELECT 1 FROM debtor_plans JOIN debtors ON debtors.id = plan_debtor_id WHERE debtors.tenant_id = ",
        );
        sql.push_arg(self.tid.clone());
        sql.push(" LIMIT 1");
        let row = on_pool!(self.store, |pool| fetch_optional!((i32,), sql, pool));
        Ok(row.is_some())
    }
}

/// A debtor's file before its debts, contact points, timeline and outbox rows are read.
fn empty_file(debtor: Debtor) -> DebtorFile {
    DebtorFile {
        debtor,
        contact_points: Vec::new(),
        debts: Vec::new(),
        events: Vec::new(),
        contacts: Vec::new(),
        score: Default::default(),
    }
}

/// How the planner stores its state of a debtor (`debtor_plans`, one row a debtor): a segment
/// replaces the last one (a row without one, `planned_at` NULL, keeps it), and a debt's first
/// strategy stays (the stored entries win over the new ones: a concurrent planner cannot move a
/// debt). The key's name is no other table's (see migration 0008).
// Applies recaudo_domain::portfolio::StrategyAssignment::kept: a debt keeps its first strategy
// version (tests/rules.rs checks the SQL against it).
pub(crate) const PLAN_UPSERT_HEAD: &str =
    "INSERT INTO debtor_plans (plan_debtor_id, planned_segment, planned_at, strategies)";
/// The conflict clause up to the merge of the strategies (a macro, for `concat!`).
macro_rules! plan_upsert_segment {
    () => {
        " ON CONFLICT (plan_debtor_id) DO UPDATE SET planned_segment = \
         CASE WHEN excluded.planned_at IS NULL THEN debtor_plans.planned_segment \
         ELSE excluded.planned_segment END, \
         planned_at = COALESCE(excluded.planned_at, debtor_plans.planned_at), strategies = "
    };
}
/// `json_patch(a, b)`: `b`'s members replace `a`'s; `a || b` on PostgreSQL's `jsonb` likewise.
const PLAN_UPSERT_TAIL_SQLITE: &str = concat!(
    plan_upsert_segment!(),
    "CASE WHEN excluded.strategies = '{}' THEN debtor_plans.strategies \
     ELSE json_patch(excluded.strategies, debtor_plans.strategies) END"
);
const PLAN_UPSERT_TAIL_POSTGRES: &str = concat!(
    plan_upsert_segment!(),
    "excluded.strategies || debtor_plans.strategies"
);

/// The debtor whose planner state `plan` changes (`None`: it changes none).
fn planner_state_debtor(plan: &DebtorPlan) -> Result<Option<DebtorId>> {
    if plan.segment.is_none() && plan.assignments.is_empty() {
        return Ok(None);
    }
    plan.debtor.map(Some).ok_or_else(|| {
        crate::StoreError::corrupt("a plan that assigns a segment or strategies names no debtor")
    })
}

/// A range of [`PlanRows`]' text.
#[derive(Debug, Clone, Copy)]
struct Span(usize, usize);

/// A debtor's planner state as [`PlanRows`] holds it, in [`PLAN_UPSERT_HEAD`]'s order.
struct PlanStateRow {
    debtor: Span,
    /// `None`: the segment did not change; `Some(None)`: no segment applies.
    segment: Option<Option<Span>>,
    /// The debts that started a strategy, as a JSON object ([`strategies_json`]).
    strategies: Span,
    assignments: u64,
}

/// A contact as [`PlanRows`] holds it, in `CONTACT_COLUMNS` order.
struct ContactRow {
    id: Span,
    debtor: Span,
    debt: Span,
    covers: Span,
    point: Option<Span>,
    strategy: Option<Span>,
    version: Option<i64>,
    step: Span,
    arm: Option<Span>,
    channel: &'static str,
    template: Option<Span>,
    scheduled: Span,
    date: Span,
    key: Span,
    reason: Span,
    queue: Option<Span>,
}

/// A batch's plans as the rows SQLite stores ([`TenantStore::plan_rows`]): every value formed
/// beforehand and laid out in one text buffer. The planner builds them on its planning thread,
/// where the plans are still in the core's cache, so that the writer (the one connection that
/// can write, and the planner's critical path) only binds and steps.
pub struct PlanRows {
    text: String,
    now: Span,
    states: Vec<PlanStateRow>,
    contacts: Vec<ContactRow>,
    /// Why the plans cannot be written, when they cannot (raised by the write).
    invalid: Option<String>,
}

impl PlanRows {
    fn new(plans: &[DebtorPlan], now: DateTime<Utc>) -> PlanRows {
        let contacts: usize = plans.iter().map(|p| p.contacts.len()).sum();
        let assignments: usize = plans.iter().map(|p| p.assignments.len()).sum();
        let mut rows = PlanRows {
            text: String::with_capacity(64 * plans.len() + 120 * assignments + 400 * contacts),
            now: Span(0, 0),
            states: Vec::with_capacity(plans.len()),
            invalid: None,
            contacts: Vec::with_capacity(contacts),
        };
        let now_text = crate::sqlite_bulk::time_text(now);
        rows.now = rows.put(&now_text);
        // Values that repeat from row to row are laid out once.
        let mut scheduled: Option<(DateTime<Utc>, Span)> = None;
        let mut date: Option<(NaiveDate, Span)> = None;
        let [mut json, mut key]: [String; 2] = Default::default();
        for plan in plans {
            let state = planner_state_debtor(plan);
            if let Err(e) = &state {
                rows.invalid.get_or_insert_with(|| e.to_string());
            }
            if let Ok(Some(d)) = state {
                let debtor = rows.put(&d.text());
                let segment = plan
                    .segment
                    .as_ref()
                    .map(|seg| seg.as_deref().map(|s| rows.put(s)));
                let strategies = rows.put_with(|t| {
                    strategies_json(t, &plan.assignments, (now, &now_text), &mut json);
                });
                rows.states.push(PlanStateRow {
                    debtor,
                    segment,
                    strategies,
                    assignments: plan.assignments.len() as u64,
                });
            }
            for c in &plan.contacts {
                let covers = rows.put_with(|t| {
                    t.push('[');
                    for (i, d) in c.covers.iter().enumerate() {
                        // Ids are ULIDs with a prefix: nothing to escape.
                        if i > 0 {
                            t.push(',');
                        }
                        t.push('"');
                        t.push_str(&d.text());
                        t.push('"');
                    }
                    t.push(']');
                });
                let scheduled = match scheduled {
                    Some((t, span)) if t == c.scheduled_for => span,
                    _ => {
                        let span = rows.put(&crate::sqlite_bulk::time_text(c.scheduled_for));
                        scheduled = Some((c.scheduled_for, span));
                        span
                    }
                };
                let date = match date {
                    Some((d, span)) if d == c.local_date => span,
                    _ => {
                        let span =
                            rows.put_with(|t| recaudo_domain::outbox::write_date(t, c.local_date));
                        date = Some((c.local_date, span));
                        span
                    }
                };
                recaudo_domain::outbox::write_contact_key(
                    &mut key,
                    c.debt_id,
                    c.local_date,
                    c.channel,
                    &c.step,
                );
                let row = ContactRow {
                    id: rows.put(&recaudo_domain::ContactId::generate().text()),
                    debtor: rows.put(&c.debtor_id.text()),
                    debt: rows.put(&c.debt_id.text()),
                    covers,
                    point: c.contact_point_id.map(|p| rows.put(&p.text())),
                    strategy: c.strategy.as_deref().map(|s| rows.put(s)),
                    version: c.strategy_version.map(i64::from),
                    step: rows.put(&c.step),
                    arm: c.arm.as_deref().map(|s| rows.put(s)),
                    channel: c.channel.as_str(),
                    template: c.template.as_deref().map(|s| rows.put(s)),
                    scheduled,
                    date,
                    key: rows.put(&key),
                    reason: rows.put(&c.reason),
                    queue: c.queue.as_deref().map(|s| rows.put(s)),
                };
                rows.contacts.push(row);
            }
        }
        rows
    }

    fn put(&mut self, s: &str) -> Span {
        self.put_with(|t| t.push_str(s))
    }

    /// Lays out what `write` appends to the text.
    fn put_with(&mut self, write: impl FnOnce(&mut String)) -> Span {
        let start = self.text.len();
        write(&mut self.text);
        Span(start, self.text.len())
    }

    fn text(&self, s: Span) -> crate::sqlite_bulk::Bind<'_> {
        crate::sqlite_bulk::Bind::Text(&self.text[s.0..s.1])
    }

    fn opt(&self, s: Option<Span>) -> crate::sqlite_bulk::Bind<'_> {
        s.map_or(crate::sqlite_bulk::Bind::Null, |s| self.text(s))
    }
}

/// [`TenantStore::write_plans`] on SQLite, inside the caller's transaction: each statement is
/// prepared once for the batch and every row's values are bound by reference from `rows`.
fn write_plans_sqlite(
    db: std::ptr::NonNull<libsqlite3_sys::sqlite3>,
    tid: &str,
    batches: &[&PlanRows],
) -> Result<PlanWrite> {
    use crate::sqlite_bulk::Bind;

    if let Some(why) = batches.iter().find_map(|r| r.invalid.as_ref()) {
        return Err(crate::StoreError::corrupt(why.clone()));
    }
    let mut states = Rows::<4>::new(db, PLAN_UPSERT_HEAD, PLAN_UPSERT_TAIL_SQLITE)?;
    let mut contacts =
        Rows::<CONTACT_BINDS>::new(db, &crate::outbox::contact_bulk_insert_head(), "")?;
    let mut out = PlanWrite::default();
    for rows in batches {
        for p in &rows.states {
            // Every row is written (an upsert): counted from what it holds.
            states.push([
                rows.text(p.debtor),
                rows.opt(p.segment.flatten()),
                p.segment.map_or(Bind::Null, |_| rows.text(rows.now)),
                rows.text(p.strategies),
            ])?;
            out.segments += u64::from(p.segment.is_some());
            out.assignments += p.assignments;
        }
        for c in &rows.contacts {
            // In `CONTACT_COLUMNS` order, after the tenant.
            out.contacts += contacts.push([
                Bind::Text(tid),
                rows.text(c.id),
                rows.text(c.debtor),
                rows.text(c.debt),
                rows.text(c.covers),
                rows.opt(c.point),
                rows.opt(c.strategy),
                c.version.map_or(Bind::Null, Bind::Int),
                rows.text(c.step),
                rows.opt(c.arm),
                Bind::Text(c.channel),
                rows.opt(c.template),
                rows.text(c.scheduled),
                rows.text(c.date),
                Bind::Text(recaudo_domain::outbox::ContactState::Planned.as_str()),
                Bind::Int(0),
                rows.text(c.key),
                rows.text(c.reason),
                rows.text(rows.now),
                rows.text(rows.now),
                rows.opt(c.queue),
            ])?;
        }
    }
    states.flush()?;
    out.contacts += contacts.flush()?;
    Ok(out)
}

/// The values the planner binds for a contact: the tenant, then `CONTACT_COLUMNS` (a test
/// holds the two together).
const CONTACT_BINDS: usize = 21;

/// Rows of `N` values inserted by one statement of [`Rows::MANY`] rows at a time, the rest
/// one by one: a statement per row spent much of the writer's time binding, starting and
/// resetting statements (`perf`: the writer's own CPU a third lower with 32 rows a statement).
struct Rows<'a, const N: usize> {
    many: crate::sqlite_bulk::Prepared,
    one: crate::sqlite_bulk::Prepared,
    pending: Vec<crate::sqlite_bulk::Bind<'a>>,
}

impl<'a, const N: usize> Rows<'a, N> {
    const MANY: usize = 32;

    /// `head`: the statement up to `VALUES`; `tail`: after the values (the conflict clause).
    fn new(db: std::ptr::NonNull<libsqlite3_sys::sqlite3>, head: &str, tail: &str) -> Result<Self> {
        let row = format!("({})", vec!["?"; N].join(", "));
        let statement = |rows: usize| {
            format!(
                "{head} VALUES {}{tail}",
                vec![row.as_str(); rows].join(", ")
            )
        };
        Ok(Rows {
            many: crate::sqlite_bulk::Prepared::new(db, &statement(Self::MANY))?,
            one: crate::sqlite_bulk::Prepared::new(db, &statement(1))?,
            pending: Vec::with_capacity(N * Self::MANY),
        })
    }

    /// Adds a row, and writes the pending rows once there are [`Rows::MANY`]; returns the
    /// rows this call wrote (changed: a row skipped by the conflict clause is not counted).
    fn push(&mut self, row: [crate::sqlite_bulk::Bind<'a>; N]) -> Result<u64> {
        self.pending.extend(row);
        if self.pending.len() < N * Self::MANY {
            return Ok(0);
        }
        let n = self.many.exec(&self.pending);
        self.pending.clear();
        n
    }

    /// Writes the rows pending; returns how many were written (changed).
    fn flush(&mut self) -> Result<u64> {
        let mut n = 0;
        for row in self.pending.chunks(N) {
            n += self.one.exec(row)?;
        }
        self.pending.clear();
        Ok(n)
    }
}

/// Experiment arms as a JSON object into `out` (cleared first), as `serde_json` writes them:
/// written by hand for the usual names that need no escaping, through `serde_json` otherwise.
fn arms_json(out: &mut String, arms: &std::collections::BTreeMap<String, String>) {
    out.clear();
    let plain = |s: &str| !s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20);
    if !arms.iter().all(|(k, v)| plain(k) && plain(v)) {
        out.push_str(&serde_json::to_string(arms).unwrap_or_else(|_| "{}".into()));
        return;
    }
    out.push('{');
    for (i, (k, v)) in arms.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        for part in ["\"", k, "\":\"", v, "\""] {
            out.push_str(part);
        }
    }
    out.push('}');
}

/// The strategies debts started, as `debtor_plans.strategies` holds them (a JSON object, debt
/// id -> [`StoredAssignment`](crate::rows::StoredAssignment)), appended to `out`, as
/// `serde_json` writes them; `arms`: room for the arms' text.
fn strategies_json(
    out: &mut String,
    assignments: &[(
        recaudo_domain::DebtId,
        recaudo_domain::portfolio::StrategyAssignment,
    )],
    now: (DateTime<Utc>, &str),
    arms: &mut String,
) {
    use std::fmt::Write;
    out.push('{');
    for (i, (debt, a)) in assignments.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        // Ids are ULIDs with a prefix, and times digits and signs: nothing to escape.
        out.push('"');
        out.push_str(&debt.text());
        out.push_str("\":[");
        json_string(out, &a.strategy);
        out.push(',');
        let _ = write!(out, "{}", a.version);
        out.push(',');
        arms_json(arms, &a.arms);
        out.push_str(arms);
        out.push_str(",\"");
        if a.started_at == now.0 {
            out.push_str(now.1);
        } else {
            out.push_str(&crate::sqlite_bulk::time_text(a.started_at));
        }
        out.push_str("\"]");
    }
    out.push('}');
}

/// `s` as a JSON string, appended to `out`, as `serde_json` writes it.
fn json_string(out: &mut String, s: &str) {
    if s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        out.push_str(&serde_json::Value::from(s).to_string());
    } else {
        out.push('"');
        out.push_str(s);
        out.push('"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arms_are_written_as_serde_json_writes_them() {
        let mut out = String::from("left over");
        for arms in [
            vec![],
            vec![("firm-tone", "champion")],
            vec![("a", "B"), ("b", "C"), ("c\"q", "new\nline"), ("ñ", "\\")],
            vec![("x", "\u{1}")],
        ] {
            let arms: std::collections::BTreeMap<String, String> = arms
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            arms_json(&mut out, &arms);
            assert_eq!(out, serde_json::to_string(&arms).unwrap());
        }
    }

    #[test]
    fn the_writers_strategies_are_read_back_as_written() {
        use recaudo_domain::portfolio::StrategyAssignment;
        let now: DateTime<Utc> = "2026-12-04T15:00:00Z".parse().unwrap();
        let assignments: Vec<_> = [
            ("s", 1, vec![], now),
            (
                "t\"q",
                2,
                vec![("exp", "B")],
                now - Duration::milliseconds(1500),
            ),
            ("u", 7, vec![("a", "x"), ("b\\", "\n")], now),
        ]
        .into_iter()
        .map(|(strategy, version, arms, started_at)| {
            (
                recaudo_domain::DebtId::generate(),
                StrategyAssignment {
                    strategy: strategy.into(),
                    version,
                    arms: arms
                        .into_iter()
                        .map(|(k, v): (&str, &str)| (k.to_string(), v.to_string()))
                        .collect(),
                    started_at,
                },
            )
        })
        .collect();
        let mut out = String::new();
        let now_text = crate::sqlite_bulk::time_text(now);
        strategies_json(&mut out, &assignments, (now, &now_text), &mut String::new());
        let parsed: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(parsed.as_object().unwrap().len(), assignments.len());
        for (debt, a) in &assignments {
            let member = crate::rows::json_member(&out, &debt.text())
                .unwrap()
                .unwrap();
            assert_eq!(&crate::rows::stored_assignment(member).unwrap(), a);
        }
    }

    #[test]
    fn the_writer_binds_the_tenant_and_every_outbox_column() {
        let columns = crate::outbox::CONTACT_COLUMNS.split(',').count();
        assert_eq!(super::CONTACT_BINDS, columns + 1);
    }

    #[test]
    fn the_planners_contact_point_columns_keep_the_decoders_order() {
        let all: Vec<&str> = crate::rows::CONTACT_POINT_COLUMNS.split(", ").collect();
        let read: Vec<&str> = PLANNER_CONTACT_POINT_COLUMNS.split(", ").collect();
        assert_eq!(all.len(), read.len());
        for (a, r) in all.iter().zip(&read) {
            assert!(
                r == a || *r == format!("NULL AS {a}") || *r == format!("'' AS {a}"),
                "{r} in the place of {a}"
            );
        }
    }

    #[test]
    fn the_planners_points_on_sqlite_are_its_columns_less_the_constants() {
        // Nor the creation time, which PostgreSQL's rows still carry (no decision reads it).
        let named: Vec<&str> = PLANNER_CONTACT_POINT_COLUMNS
            .split(", ")
            .filter(|c| !c.contains(" AS ") && *c != "created_at")
            .collect();
        let lean: Vec<&str> = crate::rows::PLANNER_POINT_COLUMNS.split(", ").collect();
        assert_eq!(lean, named);
    }

    #[test]
    fn the_planners_debtor_columns_keep_the_decoders_order() {
        // The stored columns: the planner puts its own segment in place itself.
        let all: Vec<&str> = crate::rows::DEBTOR_COLUMNS.split(", ").collect();
        let read: Vec<&str> = PLANNER_DEBTOR_COLUMNS.split(", ").collect();
        // `plan_inputs` replaces this to leave the attributes out.
        assert!(PLANNER_DEBTOR_COLUMNS.contains(", attributes,"));
        assert_eq!(all.len(), read.len());
        for (a, r) in all.iter().zip(&read) {
            assert!(
                r == a || *r == format!("NULL AS {a}") || *r == format!("'' AS {a}"),
                "{r} in the place of {a}"
            );
        }
    }

    #[test]
    fn the_planners_event_query_repeats_its_index_clause() {
        for migration in [
            include_str!("../migrations/sqlite/0006_planner_events.sql"),
            include_str!("../migrations/postgres/0006_planner_events.sql"),
        ] {
            assert!(migration.contains(&format!("WHERE {PLANNER_EVENTS};")));
        }
        for k in UNINDEXED_EVENTS {
            assert!(
                PLANNER_EVENTS.contains(&format!("'{}'", k.as_str())),
                "{k:?}"
            );
        }
        assert_eq!(
            PLANNER_EVENTS.matches('\'').count(),
            2 * UNINDEXED_EVENTS.len()
        );
        assert!(
            BOOKKEEPING_EVENTS
                .iter()
                .all(|k| UNINDEXED_EVENTS.contains(k))
        );
    }
}
