//! What changes a debt's balance or status: payments, promises, disputes. Each change is read,
//! decided by the domain rules, and written with a compare-and-set on the debt's balance and
//! status, so two concurrent payments never lose one another (retried on conflict).

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use recaudo_domain::event::{EventKind, NewEvent};
use recaudo_domain::portfolio::{
    CLOSED_BY_PAYMENTS, CLOSED_BY_SCHEDULE, Channel, DEFAULT_PROMISE_GRACE_DAYS, Debt, DebtStatus,
    Dispute, DisputeStatus, Payment, Promise, PromiseStatus, parse_timezone, settle_promises,
};
use recaudo_domain::{DebtId, DisputeId, Money, PaymentId, PromiseId};

use crate::events::insert_event;
use crate::outbox::IdRow;
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
    /// Whether a payment above the balance is taken, the difference kept as the debtor's credit
    /// (refused otherwise).
    pub allow_overpayment: bool,
}

#[derive(Debug, Clone)]
pub struct NewPromise {
    pub amount: Money,
    pub due_on: NaiveDate,
    pub channel: Option<Channel>,
}

/// Eight tries a few milliseconds apart: a concurrent change of the same debt commits within
/// one, and the jitter keeps the losers from meeting again.
pub(crate) const CHANGE_RETRY: RetryPolicy = RetryPolicy::new(
    8,
    Duration::from_millis(1),
    Duration::from_millis(20),
    Jitter::Full,
);

pub(crate) fn minor(money: Money, field: &str) -> Result<i64> {
    money.to_minor().map_err(|e| StoreError::Invalid {
        field: field.to_string(),
        message: e.to_string(),
    })
}

/// Who may close a promise by hand, and why: the API key (or other actor) and a reason.
#[derive(Debug, Clone)]
pub struct PromiseOverride {
    /// `kept`, `broken` or `cancelled`.
    pub status: PromiseStatus,
    /// Who: `api_key:<key prefix>` for a request of the API.
    pub actor: String,
    /// Why; required, 1 to 500 characters.
    pub reason: String,
}

/// A debt's promises and payments, as one change of the debt reads them.
pub(crate) struct Ledger {
    pub(crate) promises: Vec<Promise>,
    payments: Vec<Payment>,
    /// The tenant's grace days, read with the payments (only when a promise is pending).
    grace_days: u32,
}

impl Ledger {
    pub(crate) fn pending(&self) -> i64 {
        self.promises
            .iter()
            .filter(|p| p.status == PromiseStatus::Pending)
            .count() as i64
    }
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
        self.change_debt_with(
            debt_id,
            now,
            || async { Ok(()) },
            |debt, _| change(debt).map(|(out, rows)| (out, rows, None)),
        )
        .await
    }

    /// [`change_debt`](Self::change_debt) for a change that also reads something else of the
    /// debt (`load`, read again on each try): when `change` returns how many promises of the
    /// debt it found pending, the write also requires that count to be unchanged, so that a
    /// promise made or closed meanwhile makes it try again. A change that writes no row and
    /// leaves the debt as it was writes nothing.
    async fn change_debt_with<C, T, F>(
        &self,
        debt_id: DebtId,
        now: DateTime<Utc>,
        load: impl Fn() -> F,
        change: impl Fn(&mut Debt, &C) -> Result<(T, Vec<Sql>, Option<i64>)>,
    ) -> Result<(T, Debt)>
    where
        F: std::future::Future<Output = Result<C>>,
    {
        let (change, load) = (&change, &load);
        let lost = || StoreError::Contention {
            entity: Entity::Debt,
            id: debt_id.to_string(),
        };
        retry(
            &CHANGE_RETRY,
            |e| matches!(e, StoreError::Contention { .. }),
            move |_| async move {
                let before = self.get_debt(debt_id).await?;
                let context = load().await?;
                let mut after = before.clone();
                let (out, rows, pending) = change(&mut after, &context)?;
                if rows.is_empty() && after == before {
                    return Ok((out, after));
                }
                after.updated_at = now;
                let cas = self.debt_cas(&before, &after, now, pending)?;
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

    /// The update that writes `after`'s balance and status only if the stored debt still has
    /// `before`'s (and, with `pending`, that many pending promises): the compare-and-set every
    /// change of a debt goes through. It touches one row, or none when someone else changed the
    /// debt meanwhile.
    pub(crate) fn debt_cas(
        &self,
        before: &Debt,
        after: &Debt,
        now: DateTime<Utc>,
        pending: Option<i64>,
    ) -> Result<Sql> {
        let mut cas = Sql::new("UPDATE debts SET balance_minor = ");
        cas.push_arg(minor(after.balance, "amount")?)
            .push(", status = ")
            .push_arg(after.status.as_str())
            .push(", updated_at = ")
            .push_arg(now)
            .push(" WHERE tenant_id = ")
            .push_arg(self.tid.clone())
            .push(" AND id = ")
            .push_arg(before.id.to_string())
            .push(" AND balance_minor = ")
            .push_arg(minor(before.balance, "amount")?)
            .push(" AND status = ")
            .push_arg(before.status.as_str());
        if let Some(pending) = pending {
            cas.push(" AND (SELECT COUNT(*) FROM promises WHERE tenant_id = ")
                .push_arg(self.tid.clone())
                .push(" AND debt_id = ")
                .push_arg(before.id.to_string())
                .push(" AND status = 'pending') = ")
                .push_arg(pending);
        }
        Ok(cas)
    }

    /// The promises and payments of a debt; no payments when no promise is pending, as then
    /// there is nothing to settle.
    pub(crate) async fn ledger(&self, debt_id: DebtId) -> Result<Ledger> {
        let sql = self.by_debt(PROMISE_COLUMNS, "promises", debt_id);
        let rows = on_pool!(self.store, |pool| fetch_all!(PromiseRow, sql, pool));
        let promises = convert(rows, PromiseRow::into_domain)?;
        if !promises.iter().any(|p| p.status == PromiseStatus::Pending) {
            return Ok(Ledger {
                promises,
                payments: vec![],
                grace_days: DEFAULT_PROMISE_GRACE_DAYS,
            });
        }
        let sql = self.by_debt(PAYMENT_COLUMNS, "payments", debt_id);
        let rows = on_pool!(self.store, |pool| fetch_all!(PaymentRow, sql, pool));
        let payments = convert(rows, PaymentRow::into_domain)?;
        Ok(Ledger {
            promises,
            payments,
            grace_days: self.promise_grace_days().await?,
        })
    }

    /// The tenant's time zone, for the local days promises are settled in.
    pub(crate) fn timezone(&self) -> Tz {
        let tenant = self.tenant();
        parse_timezone(&tenant.timezone).unwrap_or_else(|_| tenant.country.default_timezone())
    }

    /// The days after a promise's date during which a payment still keeps it: the tenant's
    /// contact rules' `promise_grace_days`, or [`DEFAULT_PROMISE_GRACE_DAYS`]. Stored rules that
    /// no longer validate (a preset tightened since) fall back to the default, logged: a
    /// payment is never refused for them.
    pub async fn promise_grace_days(&self) -> Result<u32> {
        match self.contact_rules_in_force().await {
            Ok((_, rules)) => Ok(rules.promise_grace_days),
            Err(StoreError::InvalidContactRules(errors)) => {
                tracing::warn!(
                    tenant = %self.tid,
                    errors = errors.len(),
                    "the stored contact rules no longer validate: promises use the default grace days"
                );
                Ok(DEFAULT_PROMISE_GRACE_DAYS)
            }
            Err(error) => Err(error),
        }
    }

    /// The writes that settle a debt's promises (see [`settle_promises`]) as of `now`, the
    /// payments `extra` included: each promise that payments kept or whose time ran out is
    /// closed, with its event (at the time it happened, recorded `now`). The debt leaves
    /// `promised` only when none stays pending. Returns the closed promises' new state.
    fn settlement_rows(
        &self,
        debt: &mut Debt,
        ledger: &Ledger,
        extra: Option<&Payment>,
        now: DateTime<Utc>,
    ) -> Vec<(Promise, Vec<Sql>)> {
        let tz = self.timezone();
        let today = now.with_timezone(&tz).date_naive();
        let grace = ledger.grace_days;
        let mut payments = ledger.payments.clone();
        payments.extend(extra.cloned());
        // Paid off: when the latest payment came, if the balance is now zero.
        let paid_off = debt
            .balance
            .is_zero_or_less()
            .then(|| payments.iter().map(|p| p.received_at).max())
            .flatten();
        let settled = settle_promises(&ledger.promises, &payments, grace, today, tz, paid_off);
        let mut out = vec![];
        for settlement in &settled {
            let Some(promise) = ledger
                .promises
                .iter()
                .find(|p| p.id == settlement.promise_id)
            else {
                continue;
            };
            let (closed_by, kind, reason) = if settlement.status == PromiseStatus::Kept {
                let on = settlement.at.with_timezone(&tz).date_naive();
                (
                    CLOSED_BY_PAYMENTS,
                    EventKind::PromiseKept,
                    if settlement.paid.amount >= promise.amount.amount {
                        format!("paid in full on {on}")
                    } else {
                        format!("the debt was paid off on {on}")
                    },
                )
            } else {
                (
                    CLOSED_BY_SCHEDULE,
                    EventKind::PromiseBroken,
                    format!(
                        "{} of {} paid by {} (due {} plus {grace} grace days)",
                        settlement.paid, promise.amount, settlement.deadline, promise.due_on
                    ),
                )
            };
            let mut closed = promise.clone();
            closed.status = settlement.status;
            closed.closed_at = Some(settlement.at);
            closed.closed_by = Some(closed_by.to_string());
            closed.close_reason = Some(reason.clone());
            let data = serde_json::json!({
                "promise_id": promise.id, "amount": promise.amount, "paid": settlement.paid,
                "due_on": promise.due_on, "deadline": settlement.deadline, "grace_days": grace,
                "closed_by": closed_by, "reason": reason,
            });
            let rows = vec![
                self.close_promise_row(&closed),
                insert_event(
                    &self.tid,
                    NewEvent {
                        debtor_id: debt.debtor_id,
                        debt_id: Some(debt.id),
                        kind,
                        at: settlement.at,
                        recorded_at: now,
                        data,
                    },
                ),
            ];
            out.push((closed, rows));
        }
        let pending_after = ledger.pending() - out.len() as i64;
        if !out.is_empty() {
            debt.apply_promise_ended(pending_after > 0);
        }
        out
    }

    /// The update that closes a pending promise (nothing when it is no longer pending).
    pub(crate) fn close_promise_row(&self, closed: &Promise) -> Sql {
        let mut upd = Sql::new("UPDATE promises SET status = ");
        upd.push_arg(closed.status.as_str())
            .push(", closed_at = ")
            .push_arg(closed.closed_at)
            .push(", closed_by = ")
            .push_arg(closed.closed_by.clone())
            .push(", close_reason = ")
            .push_arg(closed.close_reason.clone())
            .push(" WHERE tenant_id = ")
            .push_arg(self.tid.clone())
            .push(" AND id = ")
            .push_arg(closed.id)
            .push(" AND status = 'pending'");
        upd
    }

    /// Records a payment: lowers the balance, marks the debt paid at zero, and appends
    /// `payment_received` (and `debt_paid`) at the time it was received. A payment above the
    /// balance is refused ([`DebtRuleError::Overpayment`](recaudo_domain::portfolio::DebtRuleError))
    /// unless `allow_overpayment`: then the difference is recorded as the debtor's credit (the
    /// payment's `credit`, and `credit` in the event). In the same transaction, the promises the
    /// payments now keep are closed as kept ([`settle_promises`]).
    pub async fn record_payment(
        &self,
        debt_id: DebtId,
        new: NewPayment,
        now: DateTime<Utc>,
    ) -> Result<(Payment, Debt)> {
        self.record_payment_from(debt_id, new, &serde_json::Value::Null, now)
            .await
    }

    /// [`record_payment`](Self::record_payment), with what caused it (`{"task_id": …}`) added
    /// to its `payment_received` event.
    pub async fn record_payment_from(
        &self,
        debt_id: DebtId,
        new: NewPayment,
        origin: &serde_json::Value,
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
        let tid = self.tid.clone();
        let (payment, debt) = self
            .change_debt_with(
                debt_id,
                now,
                || self.ledger(debt_id),
                |debt, ledger| {
                    let effect = debt.apply_payment(new.amount, new.allow_overpayment)?;
                    let credit = (!effect.credit.is_zero_or_less()).then_some(effect.credit);
                    let payment = Payment {
                        id: PaymentId::generate(),
                        debt_id,
                        amount: new.amount,
                        method: method.clone(),
                        provider_ref: new.provider_ref.clone(),
                        received_at,
                        credit,
                    };
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
                        minor(effect.credit, "amount")?.into(),
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
                                recorded_at: now,
                                data: with_origin(
                                    serde_json::json!({
                                        "payment_id": payment.id, "amount": payment.amount,
                                        "method": payment.method, "balance_before": effect.balance_before,
                                        "balance_after": effect.balance_after, "credit": credit,
                                    }),
                                    origin,
                                ),
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
                                recorded_at: now,
                                data: serde_json::json!({"payment_id": payment.id}),
                            },
                        ));
                    }
                    for (_, settled) in self.settlement_rows(debt, ledger, Some(&payment), now) {
                        rows.extend(settled);
                    }
                    Ok((payment, rows, Some(ledger.pending())))
                },
            )
            .await?;
        Ok((payment, debt))
    }

    /// Settles the promises of every debt with a pending promise whose date plus the grace days
    /// has passed (local days in the tenant's time zone): kept if payments covered it, broken
    /// otherwise ([`settle_promises`]). The planner's tick calls it before planning, so that a
    /// broken promise resumes collection the day after its last grace day. Returns the promises
    /// closed.
    pub async fn settle_due_promises(&self, now: DateTime<Utc>) -> Result<Vec<Promise>> {
        let today = now.with_timezone(&self.timezone()).date_naive();
        let grace = self.promise_grace_days().await?;
        let Some(last_due) = today.checked_sub_days(chrono::Days::new(u64::from(grace) + 1)) else {
            return Ok(vec![]);
        };
        let mut sql = Sql::new("SELECT DISTINCT debt_id AS id FROM promises WHERE tenant_id = ");
        sql.push_arg(self.tid.clone())
            .push(" AND status = 'pending' AND due_on <= ")
            .push_arg(last_due)
            .push(" ORDER BY debt_id");
        let debts = on_pool!(self.store, |pool| fetch_all!(IdRow<DebtId>, sql, pool));
        let mut closed = vec![];
        for row in debts {
            closed.extend(self.settle_promises(row.id, now).await?);
        }
        Ok(closed)
    }

    /// Settles one debt's pending promises as of `now` ([`settle_promises`]); returns those it
    /// closed.
    pub async fn settle_promises(
        &self,
        debt_id: DebtId,
        now: DateTime<Utc>,
    ) -> Result<Vec<Promise>> {
        let (closed, _) = self
            .change_debt_with(
                debt_id,
                now,
                || self.ledger(debt_id),
                |debt, ledger| {
                    let mut closed = vec![];
                    let mut rows = vec![];
                    for (promise, settled) in self.settlement_rows(debt, ledger, None, now) {
                        closed.push(promise);
                        rows.extend(settled);
                    }
                    Ok((closed, rows, Some(ledger.pending())))
                },
            )
            .await?;
        Ok(closed)
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
        self.create_promise_from(debt_id, new, &serde_json::Value::Null, now, today)
            .await
    }

    /// [`create_promise`](Self::create_promise), with what caused it (`{"message_id": …,
    /// "intent": …}`) added to its `promise_made` event.
    pub async fn create_promise_from(
        &self,
        debt_id: DebtId,
        new: NewPromise,
        origin: &serde_json::Value,
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
            closed_at: None,
            closed_by: None,
            close_reason: None,
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
                    None::<DateTime<Utc>>.into(),
                    None::<String>.into(),
                    None::<String>.into(),
                ]);
                let ev = insert_event(
                    &tid,
                    NewEvent {
                        debtor_id: debt.debtor_id,
                        debt_id: Some(debt_id),
                        kind: EventKind::PromiseMade,
                        at: now,
                        recorded_at: now,
                        data: with_origin(
                            serde_json::json!({"promise_id": promise.id, "amount": promise.amount, "due_on": promise.due_on, "channel": promise.channel}),
                            origin,
                        ),
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

    /// Closes a pending promise by hand, overriding what payments say: kept, broken or
    /// cancelled, recording who (`actor`) and why (a required reason) on the promise and in its
    /// event. The debt leaves `promised` only when no other promise of it is still pending.
    pub async fn close_promise(
        &self,
        id: PromiseId,
        by: PromiseOverride,
        now: DateTime<Utc>,
    ) -> Result<(Promise, Debt)> {
        let status = by.status;
        if status == PromiseStatus::Pending {
            return Err(StoreError::Invalid {
                field: "status".into(),
                message: "a promise can be closed as kept, broken or cancelled".into(),
            });
        }
        let reason = by.reason.trim().to_string();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(StoreError::Invalid {
                field: "reason".into(),
                message: "say why the promise is closed by hand: 1 to 500 characters".into(),
            });
        }
        let promise = self.get_promise(id).await?;
        let tid = self.tid.clone();
        let (closed, debt) = self
            .change_debt_with(
                promise.debt_id,
                now,
                || self.ledger(promise.debt_id),
                |debt, ledger| {
                    let current = ledger
                        .promises
                        .iter()
                        .find(|p| p.id == id)
                        .ok_or_else(|| StoreError::not_found(Entity::Promise, id))?;
                    if current.status != PromiseStatus::Pending {
                        return Err(StoreError::Invalid {
                            field: "status".into(),
                            message: format!("the promise is already {}", current.status),
                        });
                    }
                    debt.apply_promise_ended(ledger.pending() > 1);
                    let mut closed = current.clone();
                    closed.status = status;
                    closed.closed_at = Some(now);
                    closed.closed_by = Some(by.actor.clone());
                    closed.close_reason = Some(reason.clone());
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
                            recorded_at: now,
                            data: serde_json::json!({
                                "promise_id": id, "amount": closed.amount, "due_on": closed.due_on,
                                "closed_by": by.actor, "reason": reason, "override": true,
                            }),
                        },
                    );
                    let rows = vec![self.close_promise_row(&closed), ev];
                    Ok((closed, rows, Some(ledger.pending())))
                },
            )
            .await?;
        Ok((closed, debt))
    }

    /// Opens a dispute; the debt becomes `disputed` and collection stops.
    pub async fn open_dispute(
        &self,
        debt_id: DebtId,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(Dispute, Debt)> {
        self.open_dispute_from(debt_id, reason, &serde_json::Value::Null, now)
            .await
    }

    /// [`open_dispute`](Self::open_dispute), with what caused it added to its
    /// `dispute_opened` event.
    pub async fn open_dispute_from(
        &self,
        debt_id: DebtId,
        reason: &str,
        origin: &serde_json::Value,
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
                        recorded_at: now,
                        data: with_origin(
                            serde_json::json!({"dispute_id": dispute.id, "reason": dispute.reason}),
                            origin,
                        ),
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
                        recorded_at: now,
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

/// What the tenant collected: payments summed per currency, and how many debts are paid.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Collected {
    /// The payments received, one sum per currency, by currency code.
    pub by_currency: Vec<CurrencyTotal>,
    /// Debts whose status is `paid`.
    pub paid_debts: i64,
}

/// The payments received in one currency.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CurrencyTotal {
    pub total: Money,
    pub payments: i64,
}

#[derive(sqlx::FromRow)]
struct CollectedRow {
    currency: String,
    total_minor: i64,
    payments: i64,
}

#[derive(sqlx::FromRow)]
struct PaidRow {
    n: i64,
}

impl TenantStore {
    /// The payments received per currency (sum and count) and the number of paid debts, for
    /// the dashboard.
    pub async fn collected(&self) -> Result<Collected> {
        // PostgreSQL sums BIGINT as NUMERIC: cast back so both databases answer an integer.
        let mut sums = Sql::new(
            "SELECT currency, CAST(SUM(amount_minor) AS BIGINT) AS total_minor, \
             COUNT(*) AS payments FROM payments WHERE tenant_id = ",
        );
        sums.push_arg(self.tid.clone())
            .push(" GROUP BY currency ORDER BY currency");
        let rows = on_pool!(self.store, |pool| fetch_all!(CollectedRow, sums, pool));
        let mut paid = Sql::new("SELECT COUNT(*) AS n FROM debts WHERE tenant_id = ");
        paid.push_arg(self.tid.clone())
            .push(" AND status = ")
            .push_arg(DebtStatus::Paid.as_str());
        let paid = on_pool!(self.store, |pool| fetch_optional!(PaidRow, paid, pool));
        let mut by_currency = Vec::with_capacity(rows.len());
        for row in rows {
            let currency = row.currency.parse().map_err(|_| {
                StoreError::corrupt(format!("a payment in unknown currency {:?}", row.currency))
            })?;
            by_currency.push(CurrencyTotal {
                total: Money::from_minor(row.total_minor, currency),
                payments: row.payments,
            });
        }
        Ok(Collected {
            by_currency,
            paid_debts: paid.map_or(0, |row| row.n),
        })
    }
}

/// `data` with the members of `origin` (an object; anything else adds nothing) added.
pub(crate) fn with_origin(
    mut data: serde_json::Value,
    origin: &serde_json::Value,
) -> serde_json::Value {
    if let (Some(map), Some(extra)) = (data.as_object_mut(), origin.as_object()) {
        for (key, value) in extra {
            map.insert(key.clone(), value.clone());
        }
    }
    data
}
