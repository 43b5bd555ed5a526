//! The planner's SQLite-only paths: its reads straight through the C API ([`query`],
//! [`query_each`]) and its writer ([`write`]): a batch's plans laid out beforehand as
//! [`PlanRows`], then bound by reference into statements prepared once per transaction.

use std::ptr::NonNull;

use chrono::{DateTime, NaiveDate, Utc};
use libsqlite3_sys::sqlite3;
use sqlx::SqlitePool;

use recaudo_domain::planner::DebtorPlan;

use super::ffi::{self, Bind, FromColumns, Prepared};
use crate::Result;
use crate::planning::{PLAN_UPSERT_HEAD, PlanWrite, plan_upsert_tail, planner_state_debtor};
use crate::sql::Sql;

/// Runs a built query on a connection of `pool` and reads every row as `R` through the C API
/// (sqlx hands rows over one by one from its worker thread, which cost the planner more than
/// SQLite's own work).
pub(crate) async fn query<R: FromColumns>(pool: &SqlitePool, sql: Sql) -> Result<Vec<R>> {
    let mut conn = pool.acquire().await?;
    let mut handle = conn.lock_handle().await?;
    ffi::query::<R>(handle.as_raw_handle(), sql)
}

/// [`query`], handing each row to `f` as it is decoded.
pub(crate) async fn query_each<R: FromColumns>(
    pool: &SqlitePool,
    sql: Sql,
    f: impl FnMut(R),
) -> Result<()> {
    let mut conn = pool.acquire().await?;
    let mut handle = conn.lock_handle().await?;
    ffi::query_each::<R>(handle.as_raw_handle(), sql, f)
}

/// Writes batches of plans laid out as [`PlanRows`] in one transaction (`BEGIN IMMEDIATE`).
/// The commit leaves the WAL as it is: the planner checkpoints between writes, on another
/// connection ([`checkpoint`]), instead of this writer syncing the disk on the commits that
/// cross the WAL's limit.
pub(crate) async fn write(pool: &SqlitePool, tid: &str, rows: &[&PlanRows]) -> Result<PlanWrite> {
    use sqlx::Connection;
    let mut conn = pool.acquire().await?;
    ffi::set_autocheckpoint(conn.lock_handle().await?.as_raw_handle(), 0);
    let written = async {
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        let out = {
            let mut handle = tx.lock_handle().await?;
            write_plans_sqlite(handle.as_raw_handle(), tid, rows)?
        };
        tx.commit().await?;
        Ok::<_, crate::StoreError>(out)
    }
    .await;
    ffi::set_autocheckpoint(
        conn.lock_handle().await?.as_raw_handle(),
        crate::WAL_AUTOCHECKPOINT,
    );
    written
}

/// Copies what the WAL holds into the database as far as readers allow, without waiting for
/// them or for writers (a passive checkpoint).
async fn checkpoint(pool: &SqlitePool) -> Result<()> {
    // Through sqlx, which runs it on the connection's own thread.
    sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
        .execute(pool)
        .await?;
    Ok(())
}

/// The planner writer's checkpoints: after each of its writes, a passive [`checkpoint`] on
/// another connection, while the next batches are read, planned and written; one at a time (a
/// write that ends while one runs starts none, and a failed one leaves the pages for the next).
#[derive(Default)]
pub(crate) struct Checkpoints(Option<tokio::task::JoinHandle<()>>);

impl Checkpoints {
    /// Starts a checkpoint unless one is under way.
    pub(crate) fn start(&mut self, pool: &SqlitePool) {
        if self.0.as_ref().is_none_or(|c| c.is_finished()) {
            let pool = pool.clone();
            self.0 = Some(tokio::spawn(async move {
                if let Err(error) = checkpoint(&pool).await {
                    tracing::debug!(error = %error, "checkpoint after a planner write");
                }
            }));
        }
    }

    /// Waits for the checkpoint under way, if any (the last write's pages stay in the WAL until
    /// the next commit checkpoints).
    pub(crate) async fn finish(self) {
        if let Some(task) = self.0 {
            let _ = task.await;
        }
    }
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

/// A batch's plans as the rows SQLite stores
/// ([`PlanPreparer::prepare`](crate::PlanPreparer::prepare),
/// [`TenantStore::plan_rows`](crate::TenantStore::plan_rows)): every value formed beforehand
/// and laid out in one text buffer. The planner builds them on its planning thread, where the
/// plans are still in the core's cache, so that the writer (the one connection that can write,
/// and the planner's critical path) only binds and steps.
pub struct PlanRows {
    text: String,
    now: Span,
    states: Vec<PlanStateRow>,
    contacts: Vec<ContactRow>,
    /// Why the plans cannot be written, when they cannot (raised by the write).
    invalid: Option<String>,
}

impl PlanRows {
    pub(crate) fn new(plans: &[DebtorPlan], now: DateTime<Utc>) -> PlanRows {
        let contacts: usize = plans.iter().map(|p| p.contacts.len()).sum();
        let assignments: usize = plans.iter().map(|p| p.assignments.len()).sum();
        let mut rows = PlanRows {
            text: String::with_capacity(64 * plans.len() + 120 * assignments + 400 * contacts),
            now: Span(0, 0),
            states: Vec::with_capacity(plans.len()),
            invalid: None,
            contacts: Vec::with_capacity(contacts),
        };
        let now_text = super::time_text(now);
        rows.now = rows.put(&now_text);
        // Values that repeat from row to row are laid out once.
        let mut scheduled: Option<(DateTime<Utc>, Span)> = None;
        let mut date: Option<(NaiveDate, Span)> = None;
        let [mut json, mut key]: [String; 2] = Default::default();
        for plan in plans {
            let state = planner_state_debtor(plan);
            if let Err(error) = &state {
                rows.invalid.get_or_insert_with(|| error.to_string());
            }
            if let Ok(Some(debtor_id)) = state {
                let debtor = rows.put(&debtor_id.text());
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
            for contact in &plan.contacts {
                let covers = rows.put_with(|t| {
                    t.push('[');
                    for (index, debt) in contact.covers.iter().enumerate() {
                        // Ids are ULIDs with a prefix: nothing to escape.
                        if index > 0 {
                            t.push(',');
                        }
                        t.push('"');
                        t.push_str(&debt.text());
                        t.push('"');
                    }
                    t.push(']');
                });
                let scheduled = match scheduled {
                    Some((time, span)) if time == contact.scheduled_for => span,
                    _ => {
                        let span = rows.put(&super::time_text(contact.scheduled_for));
                        scheduled = Some((contact.scheduled_for, span));
                        span
                    }
                };
                let date = match date {
                    Some((day, span)) if day == contact.local_date => span,
                    _ => {
                        let span = rows.put_with(|t| {
                            recaudo_domain::outbox::write_date(t, contact.local_date)
                        });
                        date = Some((contact.local_date, span));
                        span
                    }
                };
                recaudo_domain::outbox::write_contact_key(
                    &mut key,
                    contact.debt_id,
                    contact.local_date,
                    contact.channel,
                    &contact.step,
                );
                let row = ContactRow {
                    id: rows.put(&recaudo_domain::ContactId::generate().text()),
                    debtor: rows.put(&contact.debtor_id.text()),
                    debt: rows.put(&contact.debt_id.text()),
                    covers,
                    point: contact.contact_point_id.map(|p| rows.put(&p.text())),
                    strategy: contact.strategy.as_deref().map(|s| rows.put(s)),
                    version: contact.strategy_version.map(i64::from),
                    step: rows.put(&contact.step),
                    arm: contact.arm.as_deref().map(|s| rows.put(s)),
                    channel: contact.channel.as_str(),
                    template: contact.template.as_deref().map(|s| rows.put(s)),
                    scheduled,
                    date,
                    key: rows.put(&key),
                    reason: rows.put(&contact.reason),
                    queue: contact.queue.as_deref().map(|s| rows.put(s)),
                };
                rows.contacts.push(row);
            }
        }
        rows
    }

    fn put(&mut self, value: &str) -> Span {
        self.put_with(|t| t.push_str(value))
    }

    /// Lays out what `write` appends to the text.
    fn put_with(&mut self, write: impl FnOnce(&mut String)) -> Span {
        let start = self.text.len();
        write(&mut self.text);
        Span(start, self.text.len())
    }

    fn text(&self, span: Span) -> Bind<'_> {
        Bind::Text(&self.text[span.0..span.1])
    }

    fn opt(&self, span: Option<Span>) -> Bind<'_> {
        span.map_or(Bind::Null, |span| self.text(span))
    }
}

/// [`TenantStore::write_plans`](crate::TenantStore::write_plans) on SQLite, inside the
/// caller's transaction: each statement is prepared once for the batch and every row's values
/// are bound by reference from `rows`.
fn write_plans_sqlite(db: NonNull<sqlite3>, tid: &str, batches: &[&PlanRows]) -> Result<PlanWrite> {
    if let Some(why) = batches.iter().find_map(|r| r.invalid.as_ref()) {
        return Err(crate::StoreError::corrupt(why.clone()));
    }
    let mut states = Rows::<4>::new(db, PLAN_UPSERT_HEAD, &plan_upsert_tail(true))?;
    let mut contacts =
        Rows::<CONTACT_BINDS>::new(db, &crate::outbox::contact_bulk_insert_head(), "")?;
    let mut out = PlanWrite::default();
    for rows in batches {
        for state in &rows.states {
            // Every row is written (an upsert): counted from what it holds.
            states.push([
                rows.text(state.debtor),
                rows.opt(state.segment.flatten()),
                state.segment.map_or(Bind::Null, |_| rows.text(rows.now)),
                rows.text(state.strategies),
            ])?;
            out.segments += u64::from(state.segment.is_some());
            out.assignments += state.assignments;
        }
        for contact in &rows.contacts {
            // In `CONTACT_COLUMNS` order, after the tenant.
            out.contacts += contacts.push([
                Bind::Text(tid),
                rows.text(contact.id),
                rows.text(contact.debtor),
                rows.text(contact.debt),
                rows.text(contact.covers),
                rows.opt(contact.point),
                rows.opt(contact.strategy),
                contact.version.map_or(Bind::Null, Bind::Int),
                rows.text(contact.step),
                rows.opt(contact.arm),
                Bind::Text(contact.channel),
                rows.opt(contact.template),
                rows.text(contact.scheduled),
                rows.text(contact.date),
                Bind::Text(recaudo_domain::outbox::ContactState::Planned.as_str()),
                Bind::Int(0),
                rows.text(contact.key),
                rows.text(contact.reason),
                rows.text(rows.now),
                rows.text(rows.now),
                rows.opt(contact.queue),
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
/// one by one: a statement per row spends much of the writer's time binding, starting and
/// resetting statements (docs/benchmarks.md).
struct Rows<'a, const N: usize> {
    many: Prepared,
    one: Prepared,
    pending: Vec<Bind<'a>>,
}

impl<'a, const N: usize> Rows<'a, N> {
    const MANY: usize = 32;

    /// `head`: the statement up to `VALUES`; `tail`: after the values (the conflict clause).
    fn new(db: NonNull<sqlite3>, head: &str, tail: &str) -> Result<Self> {
        let row = format!("({})", vec!["?"; N].join(", "));
        let statement = |rows: usize| {
            format!(
                "{head} VALUES {}{tail}",
                vec![row.as_str(); rows].join(", ")
            )
        };
        Ok(Rows {
            many: Prepared::new(db, &statement(Self::MANY))?,
            one: Prepared::new(db, &statement(1))?,
            pending: Vec::with_capacity(N * Self::MANY),
        })
    }

    /// Adds a row, and writes the pending rows once there are [`Rows::MANY`]; returns the
    /// rows this call wrote (changed: a row skipped by the conflict clause is not counted).
    fn push(&mut self, row: [Bind<'a>; N]) -> Result<u64> {
        self.pending.extend(row);
        if self.pending.len() < N * Self::MANY {
            return Ok(0);
        }
        let written = self.many.exec(&self.pending);
        self.pending.clear();
        written
    }

    /// Writes the rows pending; returns how many were written (changed).
    fn flush(&mut self) -> Result<u64> {
        let mut written = 0;
        for row in self.pending.chunks(N) {
            written += self.one.exec(row)?;
        }
        self.pending.clear();
        Ok(written)
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
    for (index, (name, value)) in arms.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        for part in ["\"", name, "\":\"", value, "\""] {
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
    for (index, (debt, assignment)) in assignments.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        // Ids are ULIDs with a prefix, and times digits and signs: nothing to escape.
        out.push('"');
        out.push_str(&debt.text());
        out.push_str("\":[");
        json_string(out, &assignment.strategy);
        out.push(',');
        let _ = write!(out, "{}", assignment.version);
        out.push(',');
        arms_json(arms, &assignment.arms);
        out.push_str(arms);
        out.push_str(",\"");
        if assignment.started_at == now.0 {
            out.push_str(now.1);
        } else {
            out.push_str(&super::time_text(assignment.started_at));
        }
        out.push_str("\"]");
    }
    out.push('}');
}

/// `text` as a JSON string, appended to `out`, as `serde_json` writes it.
fn json_string(out: &mut String, text: &str) {
    if text.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
        out.push_str(&serde_json::Value::from(text).to_string());
    } else {
        out.push('"');
        out.push_str(text);
        out.push('"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

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
        let now_text = crate::sqlite::time_text(now);
        strategies_json(&mut out, &assignments, (now, &now_text), &mut String::new());
        let parsed: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(parsed.as_object().unwrap().len(), assignments.len());
        for (debt, a) in &assignments {
            let member = crate::sqlite::rows::json_member(&out, &debt.text())
                .unwrap()
                .unwrap();
            assert_eq!(&crate::sqlite::rows::stored_assignment(member).unwrap(), a);
        }
    }

    #[test]
    fn the_writer_binds_the_tenant_and_every_outbox_column() {
        let columns = crate::outbox::CONTACT_COLUMNS.split(',').count();
        assert_eq!(super::CONTACT_BINDS, columns + 1);
    }
}
