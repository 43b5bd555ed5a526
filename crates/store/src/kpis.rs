//! The compact facts of one tenant's KPIs ([`recaudo_domain::kpis::Facts`]): one streaming
//! query per table, each row reduced to a few bytes as it arrives (labels interned, ids
//! turned into indices).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use futures::TryStreamExt;
use rust_decimal::Decimal;
use sqlx::types::Json;

use recaudo_domain::kpis::facts::{
    ContactFact, DebtFact, PaymentFact, PlanFact, PromiseFact, PromiseState, TouchFact,
};
use recaudo_domain::kpis::{Facts, FactsBuilder};
use recaudo_domain::{Currency, DebtId, DebtorId};

use crate::rows::{StoredAssignment, parse};
use crate::sql::{Sql, bind_args};
use crate::{Result, StoreError, TenantStore, on_pool};

/// Streams the rows of a built statement into `$each` (a closure taking one `$row`).
macro_rules! for_each_row {
    ($row:ty, $sql:expr, $pool:expr, $each:expr) => {{
        let (text, args) = $crate::sql::Sql::render($sql, SQLITE);
        let mut rows =
            bind_args!(sqlx::query_as::<_, $row>(sqlx::AssertSqlSafe(text)), args).fetch($pool);
        let mut each = $each;
        while let Some(row) = rows.try_next().await? {
            each(row)?;
        }
    }};
}

#[derive(sqlx::FromRow)]
struct DebtFactRow {
    id: DebtId,
    debtor_id: DebtorId,
    currency: String,
    original_minor: i64,
    issued_on: NaiveDate,
    due_on: NaiveDate,
    product: Option<String>,
    segment: Option<String>,
    timezone: String,
    strategy: Option<Json<StoredAssignment>>,
}

#[derive(sqlx::FromRow)]
struct PaymentFactRow {
    debt_id: DebtId,
    currency: String,
    amount_minor: i64,
    received_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct PromiseFactRow {
    debt_id: DebtId,
    amount_minor: i64,
    due_on: NaiveDate,
    created_at: DateTime<Utc>,
    status: String,
}

#[derive(sqlx::FromRow)]
struct PlanFactRow {
    debts: Json<Vec<DebtId>>,
    origin: Json<serde_json::Value>,
    created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct ContactFactRow {
    debt_id: DebtId,
    channel: String,
    sent_at: DateTime<Utc>,
    delivered_at: Option<DateTime<Utc>>,
    opened_at: Option<DateTime<Utc>>,
    clicked_at: Option<DateTime<Utc>>,
    replied_at: Option<DateTime<Utc>>,
    cost: Option<String>,
    cost_currency: Option<String>,
}

#[derive(sqlx::FromRow)]
struct TouchFactRow {
    debtor_id: DebtorId,
    at: DateTime<Utc>,
}

/// Whether a plan's origin names an agent (a task or an operator) rather than the debtor.
fn by_agent(origin: &serde_json::Value) -> bool {
    ["task_id", "operator", "user_id"]
        .iter()
        .any(|key| origin.get(key).is_some_and(|v| !v.is_null()))
        || origin.get("source").and_then(|s| s.as_str()) == Some("agent")
}

impl TenantStore {
    /// Every fact the tenant's KPIs are computed from (`recaudo_domain::kpis`): debts with
    /// their debtor's segment and time zone and their strategy, payments, promises, plans,
    /// contacts that were sent, and agents' touches (tasks claimed, notes written).
    pub async fn kpi_facts(&self) -> Result<Facts> {
        let mut b = FactsBuilder::new();
        let mut debts: HashMap<DebtId, (u32, Currency)> = HashMap::new();
        let mut debtors: HashMap<DebtorId, u32> = HashMap::new();
        let tid = self.tid.clone();

        let mut sql = Sql::new(
            "SELECT d.id, d.debtor_id, d.currency, d.original_minor, d.issued_on, d.due_on, \
             d.product, COALESCE(r.segment, p.planned_segment) AS segment, r.timezone, \
             p.strategies -> d.id AS strategy \
             FROM debts d JOIN debtors r ON r.id = d.debtor_id \
             LEFT JOIN debtor_plans p ON p.plan_debtor_id = d.debtor_id \
             WHERE d.tenant_id = ",
        );
        sql.push_arg(tid.clone())
            .push(" ORDER BY d.debtor_id, d.id");
        on_pool!(self.store, |pool| for_each_row!(
            DebtFactRow,
            sql,
            pool,
            |row: DebtFactRow| -> Result<()> {
                let currency: Currency = parse("currency", &row.currency)?;
                let next = debtors.len() as u32;
                let debtor = *debtors.entry(row.debtor_id).or_insert(next);
                let (strategy, arms, started) = match row.strategy {
                    Some(Json(StoredAssignment(strategy, _, arms, started))) => {
                        let set = b.arm_set(arms.iter().map(|(e, a)| (e.as_str(), a.as_str())));
                        (b.label(&strategy), set, Some(started))
                    }
                    None => (recaudo_domain::kpis::facts::NO_LABEL, 0, None),
                };
                let fact = DebtFact {
                    debtor,
                    currency,
                    original: row.original_minor,
                    issued_on: row.issued_on,
                    due_on: row.due_on,
                    segment: b.opt_label(row.segment.as_deref()),
                    product: b.opt_label(row.product.as_deref()),
                    strategy,
                    arms,
                    strategy_started: started,
                    timezone: b.label(&row.timezone),
                };
                let index = b.debt(fact);
                debts.insert(row.id, (index, currency));
                Ok(())
            }
        ));

        let mut sql = Sql::new(
            "SELECT debt_id, currency, amount_minor, received_at FROM payments WHERE tenant_id = ",
        );
        sql.push_arg(tid.clone());
        on_pool!(self.store, |pool| for_each_row!(
            PaymentFactRow,
            sql,
            pool,
            |row: PaymentFactRow| -> Result<()> {
                if let Some((debt, currency)) = debts.get(&row.debt_id)
                    && currency.code() == row.currency
                {
                    b.payment(PaymentFact {
                        debt: *debt,
                        amount: row.amount_minor,
                        received_at: row.received_at,
                    });
                }
                Ok(())
            }
        ));

        let mut sql = Sql::new(
            "SELECT debt_id, amount_minor, due_on, created_at, status FROM promises \
             WHERE tenant_id = ",
        );
        sql.push_arg(tid.clone());
        on_pool!(self.store, |pool| for_each_row!(
            PromiseFactRow,
            sql,
            pool,
            |row: PromiseFactRow| -> Result<()> {
                if let Some((debt, _)) = debts.get(&row.debt_id) {
                    b.promise(PromiseFact {
                        debt: *debt,
                        amount: row.amount_minor,
                        due_on: row.due_on,
                        created_at: row.created_at,
                        state: if row.status == "cancelled" {
                            PromiseState::Cancelled
                        } else {
                            PromiseState::Open
                        },
                    });
                }
                Ok(())
            }
        ));

        let mut sql = Sql::new("SELECT debts, origin, created_at FROM plans WHERE tenant_id = ");
        sql.push_arg(tid.clone());
        on_pool!(self.store, |pool| for_each_row!(
            PlanFactRow,
            sql,
            pool,
            |row: PlanFactRow| -> Result<()> {
                let agent = by_agent(&row.origin.0);
                for id in &row.debts.0 {
                    if let Some((debt, _)) = debts.get(id) {
                        b.plan(PlanFact {
                            debt: *debt,
                            accepted_at: row.created_at,
                            by_agent: agent,
                        });
                    }
                }
                Ok(())
            }
        ));

        let mut sql = Sql::new(
            "SELECT debt_id, channel, sent_at, delivered_at, opened_at, clicked_at, replied_at, \
             cost, cost_currency FROM contacts WHERE sent_at IS NOT NULL AND tenant_id = ",
        );
        sql.push_arg(tid.clone());
        on_pool!(self.store, |pool| for_each_row!(
            ContactFactRow,
            sql,
            pool,
            |row: ContactFactRow| -> Result<()> {
                let Some((debt, currency)) = debts.get(&row.debt_id) else {
                    return Ok(());
                };
                // A cost counts in the debt's currency only.
                let cost = match (row.cost.as_deref(), row.cost_currency.as_deref()) {
                    (Some(cost), Some(code)) if code == currency.code() => Some(
                        cost.trim()
                            .parse::<Decimal>()
                            .map_err(|e| StoreError::corrupt(format!("contact cost: {e}")))?,
                    ),
                    _ => None,
                };
                let channel = b.label(&row.channel);
                b.contact(ContactFact {
                    debt: *debt,
                    channel,
                    sent_at: row.sent_at,
                    delivered_at: row.delivered_at,
                    opened_at: row.opened_at,
                    clicked_at: row.clicked_at,
                    replied_at: row.replied_at,
                    cost,
                });
                Ok(())
            }
        ));

        // Agents' touches: a task claimed, a note written on a task of the debtor.
        let mut sql = Sql::new(
            "SELECT debtor_id, claimed_at AS at FROM tasks \
             WHERE claimed_at IS NOT NULL AND debtor_id IS NOT NULL AND tenant_id = ",
        );
        sql.push_arg(tid.clone())
            .push(
                " UNION ALL SELECT t.debtor_id, n.created_at AS at FROM task_notes n \
                 JOIN tasks t ON t.id = n.task_id \
                 WHERE t.debtor_id IS NOT NULL AND n.tenant_id = ",
            )
            .push_arg(tid);
        on_pool!(self.store, |pool| for_each_row!(
            TouchFactRow,
            sql,
            pool,
            |row: TouchFactRow| -> Result<()> {
                if let Some(debtor) = debtors.get(&row.debtor_id) {
                    b.touch(TouchFact {
                        debtor: *debtor,
                        at: row.at,
                    });
                }
                Ok(())
            }
        ));
        Ok(b.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::by_agent;

    #[test]
    fn plans_by_agents_are_told_from_the_portal() {
        assert!(by_agent(
            &serde_json::json!({"task_id": "tsk_1", "message_id": null})
        ));
        assert!(by_agent(&serde_json::json!({"source": "agent"})));
        assert!(!by_agent(
            &serde_json::json!({"source": "portal", "contact_id": "ctc_1"})
        ));
        assert!(!by_agent(&serde_json::json!({"task_id": null})));
    }
}
