//! Instalment plans: accepted over a debtor's debts in one transaction, settled by the payments
//! on those debts (instalments covered in order), broken when an instalment stays unpaid past
//! its date and the grace days, completed when all are covered, or cancelled by an operator.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sqlx::types::Json;

use recaudo_domain::event::{EventKind, NewEvent};
use recaudo_domain::plans::{
    InstalmentStatus, Plan, PlanDebt, PlanInstalment, PlanQuote, PlanRuleSet, PlanStatus,
    round_minor, split_proportionally,
};
use recaudo_domain::portfolio::{Debt, DebtStatus, Promise, PromiseStatus};
use recaudo_domain::{Currency, DebtId, DebtorId, Money, PlanId};

use crate::events::insert_event;
use crate::ledger::{CHANGE_RETRY, Ledger, minor};
use crate::retry::retry;
use crate::rows::parse;
use crate::sql::{Sql, fetch_all, fetch_optional};
use crate::{Entity, Result, StoreError, TenantStore, on_pool};

/// Who closed a promise a plan replaced, and why.
const CLOSED_BY_PLAN: &str = "plan";

#[derive(sqlx::FromRow)]
struct PlanRow {
    id: PlanId,
    debtor_id: DebtorId,
    debts: Json<Vec<DebtId>>,
    shares: Json<Vec<[i64; 2]>>,
    status: String,
    currency: String,
    balance_at_start_minor: i64,
    adjustment_minor: i64,
    total_minor: i64,
    origin: Json<serde_json::Value>,
    created_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
    close_reason: Option<String>,
}

const PLAN_COLUMNS: &str = "id, debtor_id, debts, shares, status, currency, \
    balance_at_start_minor, adjustment_minor, total_minor, origin, created_at, closed_at, \
    close_reason";

#[derive(sqlx::FromRow)]
struct InstalmentRow {
    plan_id: PlanId,
    number: i64,
    due_on: NaiveDate,
    amount_minor: i64,
    status: String,
    paid_at: Option<DateTime<Utc>>,
    reminded_at: Option<DateTime<Utc>>,
}

const INSTALMENT_COLUMNS: &str =
    "plan_id, number, due_on, amount_minor, status, paid_at, reminded_at";

impl PlanRow {
    fn into_domain(self, rows: Vec<InstalmentRow>) -> Result<Plan> {
        let currency: Currency = parse("currency", &self.currency)?;
        if self.debts.0.len() != self.shares.0.len() {
            return Err(StoreError::corrupt(format!(
                "plan {}: {} debts and {} shares",
                self.id,
                self.debts.0.len(),
                self.shares.0.len()
            )));
        }
        let debts = self
            .debts
            .0
            .iter()
            .zip(self.shares.0.iter())
            .map(|(debt_id, [before, adjustment])| PlanDebt {
                debt_id: *debt_id,
                balance_before: Money::from_minor(*before, currency),
                adjustment: Money::from_minor(*adjustment, currency),
            })
            .collect();
        let mut instalments = Vec::with_capacity(rows.len());
        for row in rows {
            instalments.push(PlanInstalment {
                number: u32::try_from(row.number)
                    .map_err(|_| StoreError::corrupt(format!("instalment {}", row.number)))?,
                due_on: row.due_on,
                amount: Money::from_minor(row.amount_minor, currency),
                status: parse("instalment status", &row.status)?,
                paid_at: row.paid_at,
                reminded_at: row.reminded_at,
            });
        }
        instalments.sort_by_key(|i| i.number);
        Ok(Plan {
            id: self.id,
            debtor_id: self.debtor_id,
            debts,
            status: parse("plan status", &self.status)?,
            balance_at_start: Money::from_minor(self.balance_at_start_minor, currency),
            adjustment: Money::from_minor(self.adjustment_minor, currency),
            total: Money::from_minor(self.total_minor, currency),
            origin: self.origin.0,
            created_at: self.created_at,
            closed_at: self.closed_at,
            close_reason: self.close_reason,
            instalments,
        })
    }
}

/// A pending instalment of an active plan, due soon and not yet reminded.
#[derive(Debug, Clone, PartialEq)]
pub struct InstalmentDue {
    pub plan_id: PlanId,
    pub debtor_id: DebtorId,
    /// The plan's first debt (the reminder's contact is recorded on it).
    pub debt_id: DebtId,
    pub number: u32,
    pub due_on: NaiveDate,
    pub amount: Money,
    /// How many instalments the plan has after the down payment.
    pub of: u32,
}

/// What settling one plan changed.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanSettled {
    pub plan_id: PlanId,
    /// Instalments newly covered by payments.
    pub paid: Vec<u32>,
    /// The plan's status after settling (`active` when it only had instalments paid).
    pub status: PlanStatus,
}

/// How a plan ends early: broken by the schedule, or cancelled by someone who says why.
enum Ending {
    Broken { missed: Vec<u32> },
    Cancelled { actor: String, reason: String },
}

impl TenantStore {
    /// The tenant's plan rules: those saved, or the defaults.
    pub async fn plan_rules(&self) -> Result<PlanRuleSet> {
        #[derive(sqlx::FromRow)]
        struct Row {
            body: Json<serde_json::Value>,
        }
        let mut sql = Sql::new("SELECT body FROM plan_rules WHERE tenant_id = ");
        sql.push_arg(self.tid.clone());
        let row = on_pool!(self.store, |pool| fetch_optional!(Row, sql, pool));
        match row {
            None => Ok(PlanRuleSet::default()),
            Some(row) => serde_json::from_value(row.body.0)
                .map_err(|e| StoreError::corrupt(format!("plan rules: {e}"))),
        }
    }

    /// Saves the tenant's plan rules after checking them (an error names the field).
    pub async fn put_plan_rules(&self, rules: &PlanRuleSet, now: DateTime<Utc>) -> Result<()> {
        rules.validate().map_err(|e| StoreError::Invalid {
            field: e.field,
            message: e.message,
        })?;
        let body = serde_json::to_value(rules).map_err(StoreError::corrupt)?;
        // One statement: a transaction whose first statement touches no row is not committed.
        let mut upsert = Sql::new("INSERT INTO plan_rules (tenant_id, body, updated_at) VALUES ");
        upsert.push_values(vec![self.tid.clone().into(), body.into(), now.into()]);
        upsert.push(
            " ON CONFLICT (tenant_id) DO UPDATE SET body = excluded.body, \
             updated_at = excluded.updated_at",
        );
        self.run_tx(vec![upsert]).await
    }

    /// Reads the debts and their promises, lets `change` decide their new state and name the
    /// rows to write (`guards` must each touch one row), and writes everything in one
    /// transaction only if no debt changed meanwhile (each debt's compare-and-set,
    /// [`debt_cas`](Self::debt_cas), is a guard too). Retried on contention.
    async fn change_debts<T>(
        &self,
        ids: &[DebtId],
        now: DateTime<Utc>,
        change: impl Fn(&mut [Debt], &[Ledger]) -> Result<(T, Vec<Sql>, Vec<Sql>)>,
    ) -> Result<(T, Vec<Debt>)> {
        let change = &change;
        let lost = || StoreError::Contention {
            entity: Entity::Plan,
            id: ids.first().map(ToString::to_string).unwrap_or_default(),
        };
        retry(
            &CHANGE_RETRY,
            |e| matches!(e, StoreError::Contention { .. }),
            move |_| async move {
                let mut before = Vec::with_capacity(ids.len());
                let mut ledgers = Vec::with_capacity(ids.len());
                for id in ids {
                    before.push(self.get_debt(*id).await?);
                    ledgers.push(self.ledger(*id).await?);
                }
                let mut after = before.clone();
                let (out, extra_guards, rows) = change(&mut after, &ledgers)?;
                let mut guards = Vec::with_capacity(ids.len() + extra_guards.len());
                for ((old, new), ledger) in before.iter().zip(after.iter_mut()).zip(&ledgers) {
                    new.updated_at = now;
                    guards.push(self.debt_cas(old, new, now, Some(ledger.pending()))?);
                }
                guards.extend(extra_guards);
                if self.run_tx_guarded(guards, rows).await? {
                    Ok((out, after))
                } else {
                    Err(lost())
                }
            },
        )
        .await
    }

    /// Stores a plan the debtor accepted (`quote`, computed on these debts' balances): in one
    /// transaction each debt's balance changes by its share of the adjustment (interest −
    /// discount, split in proportion to the balances, the last absorbing the rounding) and it
    /// becomes `plan`; its pending promises are cancelled (closed by `plan`); `plan_accepted`
    /// is appended per debt. A debt that is not open or promised (paid, disputed, already in a
    /// plan), not the debtor's, or whose balance no longer matches the quote is refused, naming
    /// it; nothing is written then.
    pub async fn create_plan(
        &self,
        debtor: DebtorId,
        debts: &[DebtId],
        quote: &PlanQuote,
        origin: serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<Plan> {
        let invalid = |message: String| StoreError::Invalid {
            field: "debts".into(),
            message,
        };
        if debts.is_empty() {
            return Err(invalid("name at least one debt".into()));
        }
        let mut unique = debts.to_vec();
        unique.sort();
        unique.dedup();
        if unique.len() != debts.len() {
            return Err(invalid("a debt is named twice".into()));
        }
        let currency = quote.total.currency;
        let plan_id = PlanId::generate();
        let adjustment = quote.adjustment();
        let instalment_count = quote.instalments.iter().filter(|i| i.number > 0).count();
        let tid = self.tid.clone();
        let (plan, _) = self
            .change_debts(debts, now, |debts, ledgers| {
                let mut balances = Vec::with_capacity(debts.len());
                for debt in debts.iter() {
                    if debt.debtor_id != debtor {
                        return Err(invalid(format!("debt {} is not this debtor's", debt.id)));
                    }
                    if !matches!(debt.status, DebtStatus::Open | DebtStatus::Promised) {
                        return Err(StoreError::Conflict {
                            what: Entity::Debt,
                            id: debt.id.to_string(),
                            reason: format!(
                                "the debt is {} and cannot enter an instalment plan",
                                debt.status
                            ),
                        });
                    }
                    if debt.balance.currency != currency {
                        return Err(invalid(format!(
                            "debt {} is in {}, the plan in {currency}",
                            debt.id, debt.balance.currency
                        )));
                    }
                    balances.push(round_minor(debt.balance.amount, currency));
                }
                let sum: Decimal = balances.iter().copied().sum();
                if sum != quote.balance.amount {
                    return Err(invalid(format!(
                        "the debts' balance is {} now, the quote was made on {}",
                        Money::new(sum, currency),
                        quote.balance
                    )));
                }
                let shares = split_proportionally(adjustment.amount, &balances, currency);
                let mut rows = vec![];
                let mut share_minor = vec![];
                let mut events = vec![];
                for ((debt, ledger), share) in debts.iter_mut().zip(ledgers).zip(&shares) {
                    let before = debt.balance;
                    let after = Money::new(before.amount + share, currency);
                    if after.amount < Decimal::ZERO {
                        return Err(invalid(format!(
                            "the adjustment leaves debt {} below zero",
                            debt.id
                        )));
                    }
                    let share = Money::new(*share, currency);
                    share_minor.push([minor(before, "balance")?, minor(share, "adjustment")?]);
                    debt.balance = after;
                    debt.status = DebtStatus::Plan;
                    for promise in ledger
                        .promises
                        .iter()
                        .filter(|p| p.status == PromiseStatus::Pending)
                    {
                        rows.extend(self.cancel_promise_rows(debt, promise, plan_id, now));
                    }
                    events.push(insert_event(
                        &tid,
                        NewEvent {
                            debtor_id: debtor,
                            debt_id: Some(debt.id),
                            kind: EventKind::PlanAccepted,
                            at: now,
                            recorded_at: now,
                            data: serde_json::json!({
                                "plan_id": plan_id, "instalments": instalment_count,
                                "total": quote.total, "adjustment": share,
                                "balance_before": before, "balance_after": after,
                                "origin": origin,
                            }),
                        },
                    ));
                }
                let mut ins = Sql::new(&format!(
                    "INSERT INTO plans (tenant_id, {PLAN_COLUMNS}) VALUES "
                ));
                let debt_ids: Vec<DebtId> = debts.iter().map(|d| d.id).collect();
                ins.push_values(vec![
                    tid.clone().into(),
                    plan_id.into(),
                    debtor.into(),
                    serde_json::json!(debt_ids).into(),
                    serde_json::json!(share_minor).into(),
                    PlanStatus::Active.as_str().into(),
                    currency.code().into(),
                    minor(quote.balance, "balance")?.into(),
                    minor(adjustment, "adjustment")?.into(),
                    minor(quote.total, "total")?.into(),
                    origin.clone().into(),
                    now.into(),
                    None::<DateTime<Utc>>.into(),
                    None::<String>.into(),
                ]);
                let mut writes = vec![ins];
                let mut instalments = vec![];
                for instalment in &quote.instalments {
                    let mut row = Sql::new(&format!(
                        "INSERT INTO plan_instalments (tenant_id, {INSTALMENT_COLUMNS}) VALUES "
                    ));
                    row.push_values(vec![
                        tid.clone().into(),
                        plan_id.into(),
                        i64::from(instalment.number).into(),
                        instalment.due_on.into(),
                        minor(instalment.amount, "amount")?.into(),
                        InstalmentStatus::Pending.as_str().into(),
                        None::<DateTime<Utc>>.into(),
                        None::<DateTime<Utc>>.into(),
                    ]);
                    writes.push(row);
                    instalments.push(PlanInstalment {
                        number: instalment.number,
                        due_on: instalment.due_on,
                        amount: instalment.amount,
                        status: InstalmentStatus::Pending,
                        paid_at: None,
                        reminded_at: None,
                    });
                }
                writes.extend(rows);
                writes.extend(events);
                let plan = Plan {
                    id: plan_id,
                    debtor_id: debtor,
                    debts: debts
                        .iter()
                        .zip(&share_minor)
                        .map(|(d, [before, share])| PlanDebt {
                            debt_id: d.id,
                            balance_before: Money::from_minor(*before, currency),
                            adjustment: Money::from_minor(*share, currency),
                        })
                        .collect(),
                    status: PlanStatus::Active,
                    balance_at_start: quote.balance,
                    adjustment,
                    total: quote.total,
                    origin: origin.clone(),
                    created_at: now,
                    closed_at: None,
                    close_reason: None,
                    instalments,
                };
                Ok((plan, vec![], writes))
            })
            .await?;
        Ok(plan)
    }

    /// The update and event that cancel a pending promise a plan replaces.
    fn cancel_promise_rows(
        &self,
        debt: &Debt,
        promise: &Promise,
        plan_id: PlanId,
        now: DateTime<Utc>,
    ) -> Vec<Sql> {
        let mut closed = promise.clone();
        closed.status = PromiseStatus::Cancelled;
        closed.closed_at = Some(now);
        closed.closed_by = Some(CLOSED_BY_PLAN.to_string());
        closed.close_reason = Some(CLOSED_BY_PLAN.to_string());
        vec![
            self.close_promise_row(&closed),
            insert_event(
                &self.tid,
                NewEvent {
                    debtor_id: debt.debtor_id,
                    debt_id: Some(debt.id),
                    kind: EventKind::PromiseCancelled,
                    at: now,
                    recorded_at: now,
                    data: serde_json::json!({
                        "promise_id": promise.id, "amount": promise.amount,
                        "due_on": promise.due_on, "closed_by": CLOSED_BY_PLAN,
                        "reason": CLOSED_BY_PLAN, "plan_id": plan_id,
                    }),
                },
            ),
        ]
    }

    /// A plan with its instalments.
    pub async fn get_plan(&self, id: PlanId) -> Result<Plan> {
        let mut sql = Sql::new(&format!(
            "SELECT {PLAN_COLUMNS} FROM plans WHERE tenant_id = "
        ));
        sql.push_arg(self.tid.clone())
            .push(" AND id = ")
            .push_arg(id);
        let row = on_pool!(self.store, |pool| fetch_optional!(PlanRow, sql, pool))
            .ok_or_else(|| StoreError::not_found(Entity::Plan, id))?;
        let mut rows = self.instalment_rows(&[id]).await?;
        rows.retain(|r| r.plan_id == id);
        row.into_domain(rows)
    }

    async fn instalment_rows(&self, plans: &[PlanId]) -> Result<Vec<InstalmentRow>> {
        if plans.is_empty() {
            return Ok(vec![]);
        }
        let mut sql = Sql::new(&format!(
            "SELECT {INSTALMENT_COLUMNS} FROM plan_instalments WHERE tenant_id = "
        ));
        sql.push_arg(self.tid.clone()).push(" AND plan_id IN ");
        sql.push_values(plans.iter().map(|p| (*p).into()).collect());
        sql.push(" ORDER BY plan_id, number");
        Ok(on_pool!(self.store, |pool| fetch_all!(
            InstalmentRow,
            sql,
            pool
        )))
    }

    /// A debtor's plans, newest first, with their instalments.
    pub async fn plans_of_debtor(&self, debtor: DebtorId) -> Result<Vec<Plan>> {
        self.get_debtor(debtor).await?;
        let mut sql = Sql::new(&format!(
            "SELECT {PLAN_COLUMNS} FROM plans WHERE tenant_id = "
        ));
        sql.push_arg(self.tid.clone())
            .push(" AND debtor_id = ")
            .push_arg(debtor)
            .push(" ORDER BY id DESC");
        let rows = on_pool!(self.store, |pool| fetch_all!(PlanRow, sql, pool));
        let ids: Vec<PlanId> = rows.iter().map(|r| r.id).collect();
        let mut instalments = self.instalment_rows(&ids).await?;
        let mut plans = Vec::with_capacity(rows.len());
        for row in rows {
            let id = row.id;
            let (mine, rest) = instalments.into_iter().partition(|r| r.plan_id == id);
            instalments = rest;
            plans.push(row.into_domain(mine)?);
        }
        Ok(plans)
    }

    /// The payments on the plan's debts received since it was accepted, net of any credit (an
    /// allowed overpayment's excess), in minor units.
    async fn paid_towards(&self, plan: &Plan) -> Result<i64> {
        #[derive(sqlx::FromRow)]
        struct Row {
            paid: Option<i64>,
        }
        // PostgreSQL sums BIGINT as NUMERIC: cast back so both databases answer an integer.
        let mut sql = Sql::new(
            "SELECT CAST(SUM(amount_minor - credit_minor) AS BIGINT) AS paid FROM payments \
             WHERE tenant_id = ",
        );
        sql.push_arg(self.tid.clone()).push(" AND debt_id IN ");
        sql.push_values(plan.debts.iter().map(|d| d.debt_id.into()).collect());
        sql.push(" AND received_at >= ").push_arg(plan.created_at);
        let row = on_pool!(self.store, |pool| fetch_optional!(Row, sql, pool));
        Ok(row.and_then(|r| r.paid).unwrap_or(0))
    }

    /// Settles every active plan as of `now` (local days in the tenant's time zone): the
    /// payments on a plan's debts since it was accepted cover its instalments in order (each
    /// covered one becomes `paid`, with `instalment_paid`, once); all covered → `completed`
    /// (`plan_completed` per debt, the debts back to open, or paid at zero); an instalment
    /// uncovered past its date plus the tenant's promise grace days → `broken` (`plan_broken`
    /// per debt, the debts back to collection and the adjustment not yet earned reversed).
    /// Running it twice changes nothing the second time. Returns what changed.
    pub async fn settle_plans(&self, now: DateTime<Utc>) -> Result<Vec<PlanSettled>> {
        let today = now.with_timezone(&self.timezone()).date_naive();
        let grace = self.promise_grace_days().await?;
        let mut sql = Sql::new("SELECT id FROM plans WHERE tenant_id = ");
        sql.push_arg(self.tid.clone())
            .push(" AND status = ")
            .push_arg(PlanStatus::Active.as_str())
            .push(" ORDER BY id");
        let ids = on_pool!(self.store, |pool| fetch_all!(
            crate::outbox::IdRow<PlanId>,
            sql,
            pool
        ));
        let mut out = vec![];
        for row in ids {
            if let Some(settled) = self.settle_plan(row.id, today, grace, now).await? {
                out.push(settled);
            }
        }
        Ok(out)
    }

    async fn settle_plan(
        &self,
        id: PlanId,
        today: NaiveDate,
        grace: u32,
        now: DateTime<Utc>,
    ) -> Result<Option<PlanSettled>> {
        let plan = self.get_plan(id).await?;
        if plan.status != PlanStatus::Active {
            return Ok(None);
        }
        let currency = plan.total.currency;
        let paid = self.paid_towards(&plan).await?;
        let mut covered = 0i64;
        let mut newly_paid = vec![];
        let mut missed = vec![];
        let last_due = today.checked_sub_days(chrono::Days::new(u64::from(grace) + 1));
        for instalment in &plan.instalments {
            covered += minor(instalment.amount, "amount")?;
            if covered <= paid {
                if instalment.status == InstalmentStatus::Pending {
                    newly_paid.push(instalment.number);
                }
            } else if last_due.is_some_and(|last| instalment.due_on <= last) {
                missed.push(instalment.number);
            }
        }
        let mut guards = vec![];
        let mut events = vec![];
        for number in &newly_paid {
            let mut upd = Sql::new("UPDATE plan_instalments SET status = 'paid', paid_at = ");
            upd.push_arg(now)
                .push(" WHERE tenant_id = ")
                .push_arg(self.tid.clone())
                .push(" AND plan_id = ")
                .push_arg(id)
                .push(" AND number = ")
                .push_arg(i64::from(*number))
                .push(" AND status = 'pending'");
            guards.push(upd);
            let instalment = plan.instalments.iter().find(|i| i.number == *number);
            events.push(insert_event(
                &self.tid,
                NewEvent {
                    debtor_id: plan.debtor_id,
                    debt_id: None,
                    kind: EventKind::InstalmentPaid,
                    at: now,
                    recorded_at: now,
                    data: serde_json::json!({
                        "plan_id": id, "number": number,
                        "amount": instalment.map(|i| i.amount),
                        "due_on": instalment.map(|i| i.due_on),
                        "paid": Money::from_minor(paid, currency),
                    }),
                },
            ));
        }
        let all_covered = plan
            .instalments
            .iter()
            .all(|i| i.status == InstalmentStatus::Paid || newly_paid.contains(&i.number));
        let status = if all_covered {
            self.end_plan(
                &plan,
                PlanStatus::Completed,
                None,
                paid,
                guards,
                events,
                now,
            )
            .await?;
            PlanStatus::Completed
        } else if !missed.is_empty() {
            self.end_plan(
                &plan,
                PlanStatus::Broken,
                Some(Ending::Broken { missed }),
                paid,
                guards,
                events,
                now,
            )
            .await?;
            PlanStatus::Broken
        } else if !guards.is_empty() {
            if !self.run_tx_guarded(guards, events).await? {
                // Settled meanwhile by another run.
                return Ok(None);
            }
            PlanStatus::Active
        } else {
            return Ok(None);
        };
        Ok(Some(PlanSettled {
            plan_id: id,
            paid: newly_paid,
            status,
        }))
    }

    /// Ends a plan (completed, broken or cancelled) with the given instalment updates and
    /// events: its debts still in `plan` return to open (paid at zero); when it did not
    /// complete, each such debt's balance gives back its share of the adjustment in proportion
    /// to what is still unpaid (`share × unpaid ÷ total`, never below zero). A debt paid off or
    /// disputed meanwhile keeps its balance and status.
    #[allow(clippy::too_many_arguments)]
    async fn end_plan(
        &self,
        plan: &Plan,
        status: PlanStatus,
        ending: Option<Ending>,
        paid: i64,
        mut guards: Vec<Sql>,
        mut events: Vec<Sql>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Debt>> {
        let currency = plan.total.currency;
        let total = minor(plan.total, "total")?;
        let unpaid = (total - paid).max(0);
        let reason = match &ending {
            None => "completed".to_string(),
            Some(Ending::Broken { missed }) => format!(
                "instalment {} unpaid past its date and the grace days",
                missed.first().copied().unwrap_or_default()
            ),
            Some(Ending::Cancelled { reason, .. }) => reason.clone(),
        };
        let mut close = Sql::new("UPDATE plans SET status = ");
        close
            .push_arg(status.as_str())
            .push(", closed_at = ")
            .push_arg(now)
            .push(", close_reason = ")
            .push_arg(reason.clone())
            .push(" WHERE tenant_id = ")
            .push_arg(self.tid.clone())
            .push(" AND id = ")
            .push_arg(plan.id)
            .push(" AND status = 'active'");
        guards.insert(0, close);
        if let Some(Ending::Broken { missed }) = &ending {
            for number in missed {
                let mut upd = Sql::new("UPDATE plan_instalments SET status = 'missed'");
                upd.push(" WHERE tenant_id = ")
                    .push_arg(self.tid.clone())
                    .push(" AND plan_id = ")
                    .push_arg(plan.id)
                    .push(" AND number = ")
                    .push_arg(i64::from(*number));
                events.push(upd);
            }
        }
        let kind = match status {
            PlanStatus::Completed => EventKind::PlanCompleted,
            PlanStatus::Cancelled => EventKind::PlanCancelled,
            _ => EventKind::PlanBroken,
        };
        let ids: Vec<DebtId> = plan.debts.iter().map(|d| d.debt_id).collect();
        let tid = self.tid.clone();
        let (_, debts) = self
            .change_debts(&ids, now, |debts, _| {
                let mut rows = vec![];
                for (debt, share) in debts.iter_mut().zip(&plan.debts) {
                    let before = debt.balance;
                    let mut reversed = Money::zero(currency);
                    if debt.status == DebtStatus::Plan {
                        if status != PlanStatus::Completed && total > 0 {
                            let back = round_minor(
                                share.adjustment.amount * Decimal::from(unpaid)
                                    / Decimal::from(total),
                                currency,
                            );
                            reversed = Money::new(back, currency);
                            debt.balance = Money::new(
                                (debt.balance.amount - back).max(Decimal::ZERO),
                                currency,
                            );
                        }
                        debt.status = if debt.balance.is_zero_or_less() {
                            DebtStatus::Paid
                        } else {
                            DebtStatus::Open
                        };
                    }
                    let mut data = serde_json::json!({
                        "plan_id": plan.id, "total": plan.total,
                        "paid": Money::from_minor(paid, currency),
                        "adjustment_reversed": reversed,
                        "balance_before": before, "balance_after": debt.balance,
                        "reason": reason,
                    });
                    match &ending {
                        Some(Ending::Broken { missed }) => {
                            data["missed"] = serde_json::json!(missed);
                        }
                        Some(Ending::Cancelled { actor, .. }) => {
                            data["closed_by"] = serde_json::json!(actor);
                        }
                        None => {}
                    }
                    rows.push(insert_event(
                        &tid,
                        NewEvent {
                            debtor_id: plan.debtor_id,
                            debt_id: Some(debt.id),
                            kind,
                            at: now,
                            recorded_at: now,
                            data,
                        },
                    ));
                }
                let mut writes = events.clone();
                writes.extend(rows);
                Ok(((), guards.clone(), writes))
            })
            .await?;
        Ok(debts)
    }

    /// Cancels an active plan by hand (`actor` and a required reason are recorded): its debts
    /// return to collection and the adjustment not yet earned is reversed, as when it breaks.
    pub async fn cancel_plan(
        &self,
        id: PlanId,
        actor: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<Plan> {
        let reason = reason.trim().to_string();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(StoreError::Invalid {
                field: "reason".into(),
                message: "say why the plan is cancelled: 1 to 500 characters".into(),
            });
        }
        let plan = self.get_plan(id).await?;
        if plan.status != PlanStatus::Active {
            return Err(StoreError::Invalid {
                field: "status".into(),
                message: format!("the plan is already {}", plan.status),
            });
        }
        let paid = self.paid_towards(&plan).await?;
        self.end_plan(
            &plan,
            PlanStatus::Cancelled,
            Some(Ending::Cancelled {
                actor: actor.to_string(),
                reason,
            }),
            paid,
            vec![],
            vec![],
            now,
        )
        .await?;
        self.get_plan(id).await
    }

    /// Pending instalments (after the down payment) of active plans due from `from` to
    /// `until`, not yet reminded, oldest first.
    pub async fn instalments_to_remind(
        &self,
        from: NaiveDate,
        until: NaiveDate,
    ) -> Result<Vec<InstalmentDue>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            plan_id: PlanId,
            debtor_id: DebtorId,
            debts: Json<Vec<DebtId>>,
            currency: String,
            number: i64,
            due_on: NaiveDate,
            amount_minor: i64,
            instalment_count: i64,
        }
        let mut sql = Sql::new(
            "SELECT i.plan_id, p.debtor_id, p.debts, p.currency, i.number, i.due_on, \
             i.amount_minor, (SELECT COUNT(*) FROM plan_instalments c WHERE c.plan_id = p.id \
             AND c.number > 0) AS instalment_count FROM plan_instalments i JOIN plans p ON p.id = i.plan_id \
             WHERE i.tenant_id = ",
        );
        sql.push_arg(self.tid.clone())
            .push(" AND p.status = 'active' AND i.status = 'pending' AND i.number > 0 AND i.reminded_at IS NULL AND i.due_on >= ")
            .push_arg(from)
            .push(" AND i.due_on <= ")
            .push_arg(until)
            .push(" ORDER BY i.due_on, i.plan_id, i.number LIMIT 1000");
        let rows = on_pool!(self.store, |pool| fetch_all!(Row, sql, pool));
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let currency: Currency = parse("currency", &row.currency)?;
            let debt_id =
                row.debts.0.first().copied().ok_or_else(|| {
                    StoreError::corrupt(format!("plan {} has no debts", row.plan_id))
                })?;
            out.push(InstalmentDue {
                plan_id: row.plan_id,
                debtor_id: row.debtor_id,
                debt_id,
                number: u32::try_from(row.number).unwrap_or_default(),
                due_on: row.due_on,
                amount: Money::from_minor(row.amount_minor, currency),
                of: u32::try_from(row.instalment_count).unwrap_or_default(),
            });
        }
        Ok(out)
    }

    /// Marks an instalment reminded; false when it already was.
    pub async fn mark_instalment_reminded(
        &self,
        plan: PlanId,
        number: u32,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let mut sql = Sql::new("UPDATE plan_instalments SET reminded_at = ");
        sql.push_arg(now)
            .push(" WHERE tenant_id = ")
            .push_arg(self.tid.clone())
            .push(" AND plan_id = ")
            .push_arg(plan)
            .push(" AND number = ")
            .push_arg(i64::from(number))
            .push(" AND reminded_at IS NULL");
        Ok(self.run_tx_counting_first(vec![sql]).await? == 1)
    }
}
