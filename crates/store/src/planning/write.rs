//! The planner's writes: a day's plans (outbox contacts, strategy assignments, segments), and
//! the resets benchmarks and simulations use.

use chrono::{DateTime, Utc};

use recaudo_domain::planner::DebtorPlan;
use recaudo_domain::{ContactId, DebtorId};

use super::PlanWrite;
use crate::outbox::IdRow;
use crate::sql::{Sql, exec, fetch_optional};
use crate::sqlite::planning::PlanRows;
use crate::{Result, TenantStore, dialect, on_pool};

impl TenantStore {
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
            return crate::sqlite::planning::write(pool, &self.tid, &rows).await;
        }
        let mut updates = Vec::new();
        let mut contacts = Vec::new();
        let mut out = PlanWrite::default();
        let tail = plan_upsert_tail(false);
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
                sql.push(&tail);
                updates.push(sql);
                out.segments += u64::from(plan.segment.is_some());
                out.assignments += plan.assignments.len() as u64;
            }
            for contact in &plan.contacts {
                contacts.push(self.contact_insert(contact, now)?);
            }
        }
        on_pool!(self.store, |pool| {
            let mut tx = crate::sql::begin!(pool);
            for sql in updates {
                exec!(sql, &mut *tx);
            }
            for insert in contacts {
                if fetch_optional!(IdRow<ContactId>, insert, &mut *tx).is_some() {
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
            for statement in statements {
                let mut sql = Sql::new(statement);
                sql.push_arg(self.tid.clone());
                if statement.contains("IN (") {
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

/// How the planner stores its state of a debtor (`debtor_plans`, one row a debtor): a segment
/// replaces the last one (a row without one, `planned_at` NULL, keeps it), and a debt's first
/// strategy stays (the stored entries win over the new ones: a concurrent planner cannot move a
/// debt). The key's name is no other table's (see migration 0008).
// Applies recaudo_domain::portfolio::StrategyAssignment::kept: a debt keeps its first strategy
// version (tests/it/rules.rs checks the SQL against it).
pub(crate) const PLAN_UPSERT_HEAD: &str =
    "INSERT INTO debtor_plans (plan_debtor_id, planned_segment, planned_at, strategies)";
/// The conflict clause after [`PLAN_UPSERT_HEAD`]'s values: the new strategies merged under
/// the stored ones, which win (an empty object leaves the stored one as it is).
pub(crate) fn plan_upsert_tail(sqlite: bool) -> String {
    format!(
        " ON CONFLICT (plan_debtor_id) DO UPDATE SET planned_segment = \
         CASE WHEN excluded.planned_at IS NULL THEN debtor_plans.planned_segment \
         ELSE excluded.planned_segment END, \
         planned_at = COALESCE(excluded.planned_at, debtor_plans.planned_at), strategies = \
         CASE WHEN excluded.strategies = {} THEN debtor_plans.strategies ELSE {} END",
        dialect::empty_json_object(sqlite),
        dialect::json_merge(sqlite, "excluded.strategies", "debtor_plans.strategies")
    )
}

/// The debtor whose planner state `plan` changes (`None`: it changes none).
pub(crate) fn planner_state_debtor(plan: &DebtorPlan) -> Result<Option<DebtorId>> {
    if plan.segment.is_none() && plan.assignments.is_empty() {
        return Ok(None);
    }
    plan.debtor.map(Some).ok_or_else(|| {
        crate::StoreError::corrupt("a plan that assigns a segment or strategies names no debtor")
    })
}
