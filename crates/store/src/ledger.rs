//! What changes a debt's balance or status: payments, promises, disputes. Each change is read,
//! decided by the domain rules, and written with a compare-and-set on the debt's balance and
//! status, so two concurrent payments never lose one another (retried on conflict).

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};

use recaudo_domain::event::{EventKind, NewEvent};
use recaudo_domain::portfolio::{
    Channel, Debt, DebtStatus, Dispute, DisputeStatus, Payment, Promise, PromiseStatus,
};
use recaudo_domain::{DebtId, DisputeId, Money, PaymentId, PromiseId};

use crate::events::insert_event;
use crate::retry::{Jitter, RetryPolicy, retry};
use crate::rows::{
    DISPUTE_COLUMNS, DisputeRow, PAYMENT_COLUMNS, PROMISE_COLUMNS, PaymentRow, PromiseRow, convert,
};
use crate::sql::{Sql, fetch_all, fetch_optional};
use crate::{Entity, Result, StoreError, TenantStore, on_pool};

#[derive(Debug, Clone)]
pub struct NewPayment {
    pub amount: Money,
    pub method: String,
    pub provider_ref: Option<String>,
    pub received_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct NewPromise {
    pub amount: Money,
    pub due_on: NaiveDate,
    pub channel: Option<Channel>,
}

/// Eight tries a few milliseconds apart: a concurrent change of the same debt commits within
/// one, and the jitter keeps the losers from meeting again.
const CHANGE_RETRY: RetryPolicy = RetryPolicy::new(
    8,
    Duration::from_millis(1),
    Duration::from_millis(20),
    Jitter::Full,
);

fn minor(money: Money, field: &str) -> Result<i64> {
    money.to_minor().map_err(|e| StoreError::Invalid {
        field: field.to_string(),
        message: e.to_string(),
    })
}

impl TenantStore {
    /// Reads the debt, lets `change` apply a rule and name the rows to write with it, and writes
    /// the new balance and status only if nobody changed them meanwhile.
    async fn change_debt<T>(
        &self,
        debt_id: DebtId,
        now: DateTime<Utc>,
        change: impl Fn(&mut Debt) -> Result<(T, Vec<Sql>)>,
    ) -> Result<(T, Debt)> {
        let change = &change;
        let lost = || StoreError::Contention {
            entity: Entity::Debt,
            id: debt_id.to_string(),
        };
        retry(
            &CHANGE_RETRY,
            |e| matches!(e, StoreError::Contention { .. }),
            move |_| async move {
                let before = self.get_debt(debt_id).await?;
                let mut after = before.clone();
                let (out, rows) = change(&mut after)?;
                after.updated_at = now;
                let mut cas = Sql::new("UPDATE debts SET balance_minor = ");
                cas.push_arg(minor(after.balance, "amount")?)
                    .push(", status = ")
                    .push_arg(after.status.as_str())
                    .push(", updated_at = ")
                    .push_arg(now)
                    .push(" WHERE tenant_id = ")
                    .push_arg(self.tid.clone())
                    .push(" AND id = ")
                    .push_arg(debt_id.to_string())
                    .push(" AND balance_minor = ")
                    .push_arg(minor(before.balance, "amount")?)
                    .push(" AND status = ")
                    .push_arg(before.status.as_str());
                let mut stmts = vec![cas];
                stmts.extend(rows);
                if self.run_tx_counting_first(stmts).await? == 1 {
                    Ok((out, after))
                } else {
                    Err(lost())
                }
            },
        )
        .await
    }

    /// Records a payment: lowers the balance, marks the debt paid at zero, and appends
    /// `payment_received` (and `debt_paid`).
    pub async fn record_payment(
        &self,
        debt_id: DebtId,
        new: NewPayment,
        now: DateTime<Utc>,
    ) -> Result<(Payment, Debt)> {
        let method = new.method.trim().to_string();
        if method.is_empty() || method.len() > 40 {
            return Err(StoreError::Invalid {
                field: "method".into(),
                message: "must be 1 to 40 characters".into(),
            });
        }
        let received_at = new.received_at.unwrap_or(now);
        let payment = Payment {
            id: PaymentId::generate(),
            debt_id,
            amount: new.amount,
            method,
            provider_ref: new.provider_ref,
            received_at,
        };
        let tid = self.tid.clone();
        let (_, debt) = self
            .change_debt(debt_id, now, |debt| {
                let effect = debt.apply_payment(payment.amount)?;
                let mut ins = Sql::new(&format!(
                    "INSERT INTO payments (tenant_id, {PAYMENT_COLUMNS}) VALUES "
                ));
                ins.push_values(vec![
                    tid.clone().into(),
                    payment.id.into(),
                    debt_id.into(),
                    payment.amount.currency.code().into(),
                    minor(payment.amount, "amount")?.into(),
                    payment.method.clone().into(),
                    payment.provider_ref.clone().into(),
                    received_at.into(),
                ]);
                let mut rows = vec![
                    ins,
                    insert_event(
                        &tid,
                        NewEvent {
                            debtor_id: debt.debtor_id,
                            debt_id: Some(debt_id),
                            kind: EventKind::PaymentReceived,
                            at: received_at,
                            data: serde_json::json!({
                                "payment_id": payment.id, "amount": payment.amount,
                                "method": payment.method, "balance_before": effect.balance_before,
                                "balance_after": effect.balance_after, "overpaid": effect.overpaid,
                            }),
                        },
                    ),
                ];
                if effect.became_paid {
                    rows.push(insert_event(
                        &tid,
                        NewEvent {
                            debtor_id: debt.debtor_id,
                            debt_id: Some(debt_id),
                            kind: EventKind::DebtPaid,
                            at: received_at,
                            data: serde_json::json!({"payment_id": payment.id}),
                        },
                    ));
                }
                Ok(((), rows))
            })
            .await?;
        Ok((payment, debt))
    }

    pub async fn list_payments(&self, debt_id: DebtId) -> Result<Vec<Payment>> {
        self.get_debt(debt_id).await?;
        let sql = self.by_debt(PAYMENT_COLUMNS, "payments", debt_id);
        let rows = on_pool!(self.store, |pool| fetch_all!(PaymentRow, sql, pool));
        convert(rows, PaymentRow::into_domain)
    }

    /// Records a promise to pay; the debt becomes `promised`.
    pub async fn create_promise(
        &self,
        debt_id: DebtId,
        new: NewPromise,
        now: DateTime<Utc>,
        today: NaiveDate,
    ) -> Result<(Promise, Debt)> {
        let promise = Promise {
            id: PromiseId::generate(),
            debt_id,
            amount: new.amount,
            due_on: new.due_on,
            channel: new.channel,
            status: PromiseStatus::Pending,
            created_at: now,
        };
        let tid = self.tid.clone();
        let (_, debt) = self
            .change_debt(debt_id, now, |debt| {
                debt.apply_promise(promise.amount, promise.due_on, today)?;
                let mut ins = Sql::new(&format!(
                    "INSERT INTO promises (tenant_id, {PROMISE_COLUMNS}) VALUES "
                ));
                ins.push_values(vec![
                    tid.clone().into(),
                    promise.id.into(),
                    debt_id.into(),
                    promise.amount.currency.code().into(),
                    minor(promise.amount, "amount")?.into(),
                    promise.due_on.into(),
                    promise.channel.map(|c| c.as_str().to_string()).into(),
                    promise.status.as_str().into(),
                    now.into(),
                ]);
                let ev = insert_event(
                    &tid,
                    NewEvent {
                        debtor_id: debt.debtor_id,
                        debt_id: Some(debt_id),
                        kind: EventKind::PromiseMade,
                        at: now,
                        data: serde_json::json!({"promise_id": promise.id, "amount": promise.amount, "due_on": promise.due_on, "channel": promise.channel}),
                    },
                );
                Ok(((), vec![ins, ev]))
            })
            .await?;
        Ok((promise, debt))
    }

    pub async fn list_promises(&self, debt_id: DebtId) -> Result<Vec<Promise>> {
        self.get_debt(debt_id).await?;
        let sql = self.by_debt(PROMISE_COLUMNS, "promises", debt_id);
        let rows = on_pool!(self.store, |pool| fetch_all!(PromiseRow, sql, pool));
        convert(rows, PromiseRow::into_domain)
    }

    pub async fn get_promise(&self, id: PromiseId) -> Result<Promise> {
        let mut sql = Sql::new(&format!(
            "SELECT {PROMISE_COLUMNS} FROM promises WHERE tenant_id = "
        ));
        sql.push_arg(self.tid.clone())
            .push(" AND id = ")
            .push_arg(id);
        let row = on_pool!(self.store, |pool| fetch_optional!(PromiseRow, sql, pool));
        row.ok_or_else(|| StoreError::not_found(Entity::Promise, id))?
            .into_domain()
    }

    /// Closes a pending promise as kept, broken or cancelled; the debt leaves `promised`.
    pub async fn close_promise(
        &self,
        id: PromiseId,
        status: PromiseStatus,
        now: DateTime<Utc>,
    ) -> Result<(Promise, Debt)> {
        if status == PromiseStatus::Pending {
            return Err(StoreError::Invalid {
                field: "status".into(),
                message: "a promise can be closed as kept, broken or cancelled".into(),
            });
        }
        let mut promise = self.get_promise(id).await?;
        if promise.status != PromiseStatus::Pending {
            return Err(StoreError::Invalid {
                field: "status".into(),
                message: format!("the promise is already {}", promise.status),
            });
        }
        let tid = self.tid.clone();
        let (_, debt) = self
            .change_debt(promise.debt_id, now, |debt| {
                debt.apply_promise_ended();
                let mut upd = Sql::new("UPDATE promises SET status = ");
                upd.push_arg(status.as_str())
                    .push(" WHERE tenant_id = ")
                    .push_arg(tid.clone())
                    .push(" AND id = ")
                    .push_arg(id);
                let kind = match status {
                    PromiseStatus::Kept => EventKind::PromiseKept,
                    PromiseStatus::Broken => EventKind::PromiseBroken,
                    _ => EventKind::PromiseCancelled,
                };
                let ev = insert_event(
                    &tid,
                    NewEvent {
                        debtor_id: debt.debtor_id,
                        debt_id: Some(debt.id),
                        kind,
                        at: now,
                        data: serde_json::json!({"promise_id": id}),
                    },
                );
                Ok(((), vec![upd, ev]))
            })
            .await?;
        promise.status = status;
        Ok((promise, debt))
    }

    /// Opens a dispute; the debt becomes `disputed` and collection stops.
    pub async fn open_dispute(
        &self,
        debt_id: DebtId,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(Dispute, Debt)> {
        let reason = reason.trim().to_string();
        if reason.is_empty() || reason.chars().count() > 2000 {
            return Err(StoreError::Invalid {
                field: "reason".into(),
                message: "must be 1 to 2000 characters".into(),
            });
        }
        let dispute = Dispute {
            id: DisputeId::generate(),
            debt_id,
            reason,
            status: DisputeStatus::Open,
            opened_at: now,
            resolved_at: None,
        };
        let tid = self.tid.clone();
        let (_, debt) = self
            .change_debt(debt_id, now, |debt| {
                debt.apply_dispute_opened()?;
                let mut ins = Sql::new(&format!(
                    "INSERT INTO disputes (tenant_id, {DISPUTE_COLUMNS}) VALUES "
                ));
                ins.push_values(vec![
                    tid.clone().into(),
                    dispute.id.into(),
                    debt_id.into(),
                    dispute.reason.clone().into(),
                    dispute.status.as_str().into(),
                    now.into(),
                    None::<DateTime<Utc>>.into(),
                ]);
                let ev = insert_event(
                    &tid,
                    NewEvent {
                        debtor_id: debt.debtor_id,
                        debt_id: Some(debt_id),
                        kind: EventKind::DisputeOpened,
                        at: now,
                        data: serde_json::json!({"dispute_id": dispute.id, "reason": dispute.reason}),
                    },
                );
                Ok(((), vec![ins, ev]))
            })
            .await?;
        Ok((dispute, debt))
    }

    pub async fn list_disputes(&self, debt_id: DebtId) -> Result<Vec<Dispute>> {
        self.get_debt(debt_id).await?;
        let sql = self.by_debt(DISPUTE_COLUMNS, "disputes", debt_id);
        let rows = on_pool!(self.store, |pool| fetch_all!(DisputeRow, sql, pool));
        convert(rows, DisputeRow::into_domain)
    }

    pub async fn get_dispute(&self, id: DisputeId) -> Result<Dispute> {
        let mut sql = Sql::new(&format!(
            "SELECT {DISPUTE_COLUMNS} FROM disputes WHERE tenant_id = "
        ));
        sql.push_arg(self.tid.clone())
            .push(" AND id = ")
            .push_arg(id);
        let row = on_pool!(self.store, |pool| fetch_optional!(DisputeRow, sql, pool));
        row.ok_or_else(|| StoreError::not_found(Entity::Dispute, id))?
            .into_domain()
    }

    /// Resolves an open dispute: `upheld` (the debtor was right: the debt is written off) or
    /// `rejected` (collection resumes).
    pub async fn resolve_dispute(
        &self,
        id: DisputeId,
        status: DisputeStatus,
        now: DateTime<Utc>,
    ) -> Result<(Dispute, Debt)> {
        if status == DisputeStatus::Open {
            return Err(StoreError::Invalid {
                field: "status".into(),
                message: "a dispute is resolved as upheld or rejected".into(),
            });
        }
        let mut dispute = self.get_dispute(id).await?;
        if dispute.status != DisputeStatus::Open {
            return Err(StoreError::Invalid {
                field: "status".into(),
                message: format!("the dispute is already {}", dispute.status),
            });
        }
        let tid = self.tid.clone();
        let (_, debt) = self
            .change_debt(dispute.debt_id, now, |debt| {
                if debt.status == DebtStatus::Disputed {
                    debt.apply_dispute_resolved(status == DisputeStatus::Upheld);
                }
                let mut upd = Sql::new("UPDATE disputes SET status = ");
                upd.push_arg(status.as_str())
                    .push(", resolved_at = ")
                    .push_arg(now)
                    .push(" WHERE tenant_id = ")
                    .push_arg(tid.clone())
                    .push(" AND id = ")
                    .push_arg(id);
                let ev = insert_event(
                    &tid,
                    NewEvent {
                        debtor_id: debt.debtor_id,
                        debt_id: Some(debt.id),
                        kind: EventKind::DisputeResolved,
                        at: now,
                        data: serde_json::json!({"dispute_id": id, "status": status}),
                    },
                );
                Ok(((), vec![upd, ev]))
            })
            .await?;
        dispute.status = status;
        dispute.resolved_at = Some(now);
        Ok((dispute, debt))
    }

    /// `SELECT columns FROM table` of one debt, oldest first.
    fn by_debt(&self, columns: &str, table: &str, debt_id: DebtId) -> Sql {
        let mut sql = Sql::new(&format!("SELECT {columns} FROM {table} WHERE tenant_id = "));
        sql.push_arg(self.tid.clone())
            .push(" AND debt_id = ")
            .push_arg(debt_id)
            .push(" ORDER BY id");
        sql
    }
}
