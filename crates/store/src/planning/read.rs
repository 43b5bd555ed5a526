//! The planner's reads: how a tenant's debtors are cut into batches, and each batch's files.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sqlx::types::Json;

use recaudo_domain::event::EventKind;
use recaudo_domain::planner::{DebtFile, DebtorFile, PriorContact};
use recaudo_domain::portfolio::{ContactPoint, Debt, DebtStatus, Debtor};
use recaudo_domain::{DebtId, DebtorId};

use super::{PLAN_CONTACT_DAYS, PLAN_EVENT_DAYS, PlanBatch};
use crate::rows::{
    ContactPointRow, DEBT_COLUMNS, DebtRow, DebtorRow, EVENT_COLUMNS, EventRow, PROMISE_COLUMNS,
    PromiseRow, parse,
};
use crate::sql::{Sql, fetch_all};
use crate::sqlite::rows::from_columns;
use crate::{Result, TenantStore, dialect};

/// Reads all rows of a built query: on SQLite straight through its C API (sqlx hands rows over
/// one by one from its worker thread, which cost the planner more than SQLite's own work), on
/// PostgreSQL through sqlx.
macro_rules! read_rows {
    ($ts:expr, $row:ty, $sql:expr) => {{
        match &$ts.store.backend {
            crate::Backend::Sqlite(pool) => {
                crate::sqlite::planning::query::<$row>(pool, $sql).await?
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
                crate::sqlite::planning::query_each::<$domain>(pool, $sql, $f).await?
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
const PLANNER_CONTACT_POINT_COLUMNS: &str = crate::rows::contact_point_columns!(
    address: "'' AS address, NULL AS postal, ",
    consent: "NULL AS consent_source, NULL AS consent_at, ",
    created: ", created_at"
);

/// The debtor columns the planner reads, in [`DEBTOR_COLUMNS`](crate::rows::DEBTOR_COLUMNS)' order so that the same
/// decoder serves: the name and the identity document, which no decision or condition looks at
/// (conditions see `debtor.kind`, `age`, `segment`, `country`, `language`, `timezone`, `tags`,
/// `attributes` and `days_since_created`), are read empty.
///
/// They are read from `debtors` alone, with the segment the tenant gave: the planner's own
/// (`debtor_plans`) is read for the batch's range of ids and put in its place
/// ([`TenantStore::files_for`]), as [`DEBTOR_SEGMENT`](crate::rows::DEBTOR_SEGMENT) does.
const PLANNER_DEBTOR_COLUMNS: &str = concat!(
    crate::rows::debtor_columns!(
        segment: "segment",
        name: "'' AS name",
        document: "NULL AS document_type, NULL AS document_number"
    ),
    ", NULL AS computed_segment"
);

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

/// The outbox columns the planner reads (not the whole row: no key, reason or template).
const PRIOR_COLUMNS: &str = "debtor_id, debt_id, covers, strategy, step, channel, scheduled_for, local_date, state, created_at";

#[derive(sqlx::FromRow)]
struct PriorRow {
    debtor_id: DebtorId,
    debt_id: DebtId,
    covers: Json<Vec<DebtId>>,
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

impl crate::sqlite::ffi::FromColumns for Prior {
    fn from_columns(columns: &crate::sqlite::ffi::Columns) -> Result<Prior> {
        PriorRow::from_columns(columns)?.into_domain()
    }
}

impl PriorRow {
    fn into_domain(self) -> Result<Prior> {
        Ok(Prior(
            self.debtor_id,
            PriorContact {
                debt: self.debt_id,
                covers: self.covers.0,
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
    plan_debtor_id: DebtorId,
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
    /// Puts the state into the debtor's file: the segment the planner last assigned (beside the
    /// tenant's, which wins), and each debt's strategy (its member of the object).
    fn apply(self, file: &mut DebtorFile) -> Result<()> {
        if self.planned_at.is_some() {
            file.debtor.computed_segment = self.planned_segment;
        }
        let object = &self.strategies.0;
        if object.len() > 2 {
            for entry in &mut file.debts {
                if let Some(member) =
                    crate::sqlite::rows::json_member(object, &entry.debt.id.text())?
                {
                    entry.debt.strategy = Some(crate::sqlite::rows::stored_assignment(member)?);
                }
            }
        }
        Ok(())
    }
}

/// A JSON column's text.
struct JsonText(String);

impl From<Json<serde_json::Value>> for JsonText {
    fn from(json: Json<serde_json::Value>) -> Self {
        JsonText(json.0.to_string())
    }
}

impl crate::sqlite::rows::Col for JsonText {
    fn col(columns: &crate::sqlite::ffi::Columns, index: usize, name: &str) -> Result<Self> {
        String::col(columns, index, name).map(JsonText)
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
            for (debtor, rows) in self.buckets {
                match merged.last_mut() {
                    Some((last, into)) if *last == debtor => into.extend(rows),
                    _ => merged.push((debtor, rows)),
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
        // query a batch instead of every id of the tenant read and decoded before any batch
        // could start.
        let mut bounds: Vec<DebtorId> = Vec::new();
        loop {
            let mut sql = Sql::new("SELECT id FROM debtors WHERE tenant_id = ");
            sql.push_arg(self.tid.clone());
            if let Some(after) = bounds.last() {
                sql.push(" AND id > ").push_arg(*after);
            }
            sql.push(&format!(" ORDER BY id LIMIT 1 OFFSET {}", limit - 1));
            let rows = read_rows!(self, crate::outbox::IdRow<DebtorId>, sql);
            let Some(bound) = rows.first() else { break };
            bounds.push(bound.id);
        }
        let mut out = Vec::with_capacity(bounds.len() + 1);
        let mut after = None;
        for bound in bounds {
            out.push(PlanBatch {
                after,
                upto: Some(bound),
            });
            after = Some(bound);
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
            let empty = dialect::empty_json_object(self.is_sqlite());
            Cow::Owned(
                PLANNER_DEBTOR_COLUMNS
                    .replace(", attributes,", &format!(", {empty} AS attributes,")),
            )
        };
        let mut sql = Sql::new(&format!("SELECT {columns} FROM debtors WHERE tenant_id = "));
        // An erased debtor is never planned (docs/api.md, "Erasure").
        sql.push_arg(self.tid.clone())
            .push(" AND erased_at IS NULL");
        if let Some(after) = batch.after {
            sql.push(" AND id > ").push_arg(after);
        }
        if let Some(upto) = batch.upto {
            sql.push(" AND id <= ").push_arg(upto);
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

    /// What the dispatcher re-checks a claimed contact against: the files of `debtors` read
    /// whole, as [`TenantStore::plan_input`] reads one (debtors without an active debt are left
    /// out: their contacts are called off).
    pub async fn dispatch_inputs(
        &self,
        debtors: &[DebtorId],
        now: DateTime<Utc>,
    ) -> Result<Vec<DebtorFile>> {
        let mut files = Vec::with_capacity(debtors.len());
        for chunk in debtors.chunks(500) {
            let mut sql = Sql::new(&format!(
                "SELECT {} FROM {} WHERE tenant_id = ",
                crate::rows::DEBTOR_READ_COLUMNS,
                crate::rows::DEBTORS_FROM
            ));
            sql.push_arg(self.tid.clone())
                .push(" AND erased_at IS NULL AND id IN ");
            sql.push_values(chunk.iter().map(|&d| d.into()).collect());
            let mut read = Vec::new();
            read_each!(self, Debtor, DebtorRow, sql, |d: Debtor| read
                .push(empty_file(d)));
            let debtors: Vec<Debtor> = read.iter().map(|f| f.debtor.clone()).collect();
            let filled = self.files_for(read, now, None, false).await?;
            // A debtor with no open debt left is still answered (thanks for a payment): their
            // file is their contact points alone.
            let with_debts: std::collections::HashSet<DebtorId> =
                filled.iter().map(|f| f.debtor.id).collect();
            for debtor in debtors {
                if !with_debts.contains(&debtor.id) {
                    let points = self.list_contact_points(debtor.id).await?;
                    let mut file = empty_file(debtor);
                    file.contact_points = points;
                    files.push(file);
                }
            }
            files.extend(filled);
        }
        Ok(files)
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
        // A batch of the planner is a range of ids; the dispatcher's debtors are scattered
        // over the tenant, so it names them.
        let scattered: Option<Vec<crate::sql::Arg>> =
            (!lean).then(|| files.iter().map(|f| f.debtor.id.into()).collect());
        let range = |sql: &mut Sql, column: &str| match &scattered {
            Some(ids) => {
                sql.push(&format!(" AND {column} IN "));
                sql.push_values(ids.clone());
            }
            None => {
                sql.push(&format!(" AND {column} >= "))
                    .push_arg(lo.clone())
                    .push(&format!(" AND {column} <= "))
                    .push_arg(hi.clone());
            }
        };

        // The debts alone: their strategies are read with the debtors' planner state below
        // (a range of `debtor_plans` instead of a seek into it for every debt and debtor).
        let no_strategy = dialect::null_json(self.is_sqlite());
        let mut sql = Sql::new(&format!(
            "SELECT {DEBT_COLUMNS}, {no_strategy} AS strategy FROM debts WHERE tenant_id = "
        ));
        sql.push_arg(self.tid.clone());
        range(&mut sql, "debtor_id");
        sql.push(" AND status NOT IN ('paid', 'written_off') ORDER BY debtor_id");
        // Room for a debtor's usual rows: debts (1-3), contact points (one or two a channel),
        // recent events and outbox rows.
        let mut debts = Buckets::new(3);
        let mut promised: Vec<DebtId> = Vec::new();
        read_each!(self, Debt, DebtRow, sql, |d: Debt| {
            // The running promise of each promised debt is read below.
            if d.status == DebtStatus::Promised {
                promised.push(d.id);
            }
            debts.push(
                d.debtor_id,
                DebtFile {
                    debt: d,
                    promise_due: None,
                    held_until: None,
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
            sql.push_values(chunk.iter().map(|&d| d.into()).collect());
            for row in read_rows!(self, PromiseRow, sql) {
                let promise = row.into_domain()?;
                let due = promise_due.entry(promise.debt_id).or_insert(promise.due_on);
                *due = (*due).max(promise.due_on);
            }
        }
        if !promise_due.is_empty() {
            for entry in debts.buckets.iter_mut().flat_map(|(_, d)| d.iter_mut()) {
                entry.promise_due = promise_due.get(&entry.debt.id).copied();
            }
        }

        // Holds still running: few (a debtor said it is paid), so one read of the tenant's
        // running holds, not a look-up per debt.
        let mut sql = Sql::new(
            "SELECT debt_id, MAX(held_until) AS held_until FROM debt_holds WHERE tenant_id = ",
        );
        sql.push_arg(self.tid.clone())
            .push(" AND held_until > ")
            .push_arg(now)
            .push(" GROUP BY debt_id");
        let held: HashMap<DebtId, DateTime<Utc>> = crate::on_pool!(
            self.store,
            |pool| crate::sql::fetch_all!(crate::conversations::HoldRow, sql, pool)
        )
        .into_iter()
        .map(|row| (row.debt_id, row.held_until))
        .collect();
        if !held.is_empty() {
            for entry in debts.buckets.iter_mut().flat_map(|(_, d)| d.iter_mut()) {
                entry.held_until = held.get(&entry.debt.id).copied();
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
                let sql = points_sql(crate::sqlite::rows::PLANNER_POINT_COLUMNS);
                crate::sqlite::planning::query_each(
                    pool,
                    sql,
                    |crate::sqlite::rows::PlannerPoint(p)| points.push(p.debtor_id, p),
                )
                .await?
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
            let event = row.into_domain()?;
            events.push(event.debtor_id, event);
        }

        let mut sql = Sql::new(&format!(
            "SELECT {PRIOR_COLUMNS} FROM contacts WHERE tenant_id = "
        ));
        sql.push_arg(self.tid.clone());
        range(&mut sql, "debtor_id");
        sql.push(" AND scheduled_for >= ")
            .push_arg(now - Duration::days(PLAN_CONTACT_DAYS))
            // Answers to the debtor's own messages are no contact of the strategy's: they
            // count toward no cap and take no step's place.
            .push(&format!(
                " AND step <> '{}' ORDER BY debtor_id, scheduled_for, id",
                recaudo_domain::outbox::ANSWER_STEP
            ));
        let mut contacts = Buckets::new(4);
        read_each!(self, Prior, PriorRow, sql, |Prior(d, c)| contacts
            .push(d, c));

        // The planner's state of the batch's debtors: one range of `debtor_plans` (ids are
        // unique across tenants; rows of other tenants' debtors in the range match no file).
        let mut sql = Sql::new(&format!(
            "SELECT {PLAN_STATE_COLUMNS} FROM debtor_plans WHERE 1 = 1"
        ));
        range(&mut sql, "plan_debtor_id");
        sql.push(" ORDER BY plan_debtor_id");
        let mut states = Buckets::new(1);
        for row in read_rows!(self, PlanStateRead, sql) {
            states.push(row.plan_debtor_id, row);
        }

        let mut debts = debts.sorted();
        let mut states = states.sorted();
        let mut points = points.sorted();
        let mut events = events.sorted();
        let mut contacts = contacts.sorted();
        for file in &mut files {
            let id = file.debtor.id;
            file.debts = debts.take(id);
            if let Some(state) = states.take(id).pop() {
                state.apply(file)?;
            }
            if !file.debts.is_empty() {
                file.contact_points = points.take(id);
                file.events = events.take(id);
                file.contacts = contacts.take(id);
            }
        }
        files.retain(|f| !f.debts.is_empty());
        Ok(files)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_planners_contact_point_columns_keep_the_decoders_order() {
        let all: Vec<&str> = crate::rows::CONTACT_POINT_COLUMNS.split(", ").collect();
        let read: Vec<&str> = PLANNER_CONTACT_POINT_COLUMNS.split(", ").collect();
        assert_eq!(all.len(), read.len());
        for (column, planner_column) in all.iter().zip(&read) {
            assert!(
                planner_column == column
                    || *planner_column == format!("NULL AS {column}")
                    || *planner_column == format!("'' AS {column}"),
                "{planner_column} in the place of {column}"
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
        let lean: Vec<&str> = crate::sqlite::rows::PLANNER_POINT_COLUMNS
            .split(", ")
            .collect();
        assert_eq!(lean, named);
    }

    #[test]
    fn the_planners_debtor_columns_keep_the_decoders_order() {
        // The columns as read: the planner puts its own segment in place itself.
        let all: Vec<&str> = crate::rows::DEBTOR_READ_COLUMNS.split(", ").collect();
        let read: Vec<&str> = PLANNER_DEBTOR_COLUMNS.split(", ").collect();
        // `plan_inputs` replaces this to leave the attributes out.
        assert!(PLANNER_DEBTOR_COLUMNS.contains(", attributes,"));
        assert_eq!(all.len(), read.len());
        for (column, planner_column) in all.iter().zip(&read) {
            assert!(
                planner_column == column
                    || *planner_column == format!("NULL AS {column}")
                    || *planner_column == format!("'' AS {column}")
                    // The planner's segment: read from `debtor_plans` for the whole batch.
                    || (*planner_column == "NULL AS computed_segment"
                        && column.ends_with(" AS computed_segment")),
                "{planner_column} in the place of {column}"
            );
        }
    }

    #[test]
    fn the_planners_event_query_repeats_its_index_clause() {
        for migration in [
            include_str!("../../migrations/sqlite/0006_planner_events.sql"),
            include_str!("../../migrations/postgres/0006_planner_events.sql"),
        ] {
            assert!(migration.contains(&format!("WHERE {PLANNER_EVENTS};")));
        }
        for kind in UNINDEXED_EVENTS {
            assert!(
                PLANNER_EVENTS.contains(&format!("'{}'", kind.as_str())),
                "{kind:?}"
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
