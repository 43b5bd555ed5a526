//! Instalment plans as the debtor and the planner meet them: a quote within the tenant's rules
//! for the debtor's segment, the acceptance (stored, confirmed by a message), and the daily pass
//! that settles plans and reminds the instalments due soon.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;

use recaudo_channels::templates::InstalmentLine;
use recaudo_domain::outbox::Contact;
use recaudo_domain::plans::{Plan, PlanQuote, PlanRequest, PlanStatus, quote, round_minor};
use recaudo_domain::portfolio::{Channel, ContactPoint, Debt, DebtStatus, Debtor};
use recaudo_domain::{DebtId, Money, MoneyError, PlanId};
use recaudo_store::{NewReply, StoreError, TenantStore};

/// The template of the message that confirms an accepted plan.
pub const PLAN_CONFIRMED: &str = "plan_confirmed";
/// The template of the reminder of an instalment due soon.
pub const INSTALMENT_REMINDER: &str = "instalment_reminder";
/// Instalments are reminded this many local days before they are due (and up to the day).
pub const REMINDER_DAYS: u64 = 2;

/// Why a plan could not be quoted or accepted.
#[derive(Debug, thiserror::Error)]
pub enum PlanFailure {
    #[error("instalment plans are not offered by this tenant")]
    Disabled,
    #[error("debts: name at least one open debt")]
    NoDebts,
    #[error("debts: debt {debt} is {status} and cannot enter an instalment plan")]
    NotEligible { debt: DebtId, status: DebtStatus },
    /// The request is outside the rules ([`recaudo_domain::plans::PlanError::field`] names the
    /// field).
    #[error(transparent)]
    Rule(#[from] recaudo_domain::plans::PlanError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The local day of a debtor (the tenant's zone when theirs does not parse).
pub fn debtor_today(ts: &TenantStore, debtor: &Debtor, now: DateTime<Utc>) -> NaiveDate {
    debtor
        .timezone
        .parse::<Tz>()
        .or_else(|_| ts.tenant().timezone.parse::<Tz>())
        .map(|tz| now.with_timezone(&tz).date_naive())
        .unwrap_or_else(|_| now.date_naive())
}

/// The quote for `request` on `debts` (one currency, each open or promised) under the tenant's
/// rules for the debtor's effective segment, as of the debtor's local `today`.
pub async fn quote_for(
    ts: &TenantStore,
    debtor: &Debtor,
    debts: &[Debt],
    request: &PlanRequest,
    today: NaiveDate,
) -> Result<PlanQuote, PlanFailure> {
    let rules = ts.plan_rules().await?;
    if !rules.enabled {
        return Err(PlanFailure::Disabled);
    }
    let Some(first) = debts.first() else {
        return Err(PlanFailure::NoDebts);
    };
    let currency = first.balance.currency;
    let mut balance = Decimal::ZERO;
    for debt in debts {
        if !matches!(debt.status, DebtStatus::Open | DebtStatus::Promised) {
            return Err(PlanFailure::NotEligible {
                debt: debt.id,
                status: debt.status,
            });
        }
        if debt.balance.currency != currency {
            return Err(
                recaudo_domain::plans::PlanError::Currency(MoneyError::CurrencyMismatch(
                    currency,
                    debt.balance.currency,
                ))
                .into(),
            );
        }
        balance += round_minor(debt.balance.amount, currency);
    }
    let rules = rules.for_segment(debtor.effective_segment());
    Ok(quote(rules, Money::new(balance, currency), today, request)?)
}

/// Accepts a plan: quotes it again on the debts as they are, stores it
/// ([`TenantStore::create_plan`]) and queues a `plan_confirmed` message on the debtor's
/// preferred reachable channel (none when the debtor has no reachable point).
pub async fn accept(
    ts: &TenantStore,
    debtor: &Debtor,
    debts: &[Debt],
    request: &PlanRequest,
    origin: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<Plan, PlanFailure> {
    let today = debtor_today(ts, debtor, now);
    let quote = quote_for(ts, debtor, debts, request, today).await?;
    let ids: Vec<DebtId> = debts.iter().map(|d| d.id).collect();
    let plan = ts.create_plan(debtor.id, &ids, &quote, origin, now).await?;
    let points = ts.list_contact_points(debtor.id).await?;
    if let Some(point) = preferred_point(debtor, &points) {
        ts.enqueue_reply(
            NewReply {
                debtor_id: debtor.id,
                debt_id: ids[0],
                covers: ids[1..].to_vec(),
                contact_point_id: point.id,
                channel: point.channel,
                template: Some(PLAN_CONFIRMED.into()),
                body: None,
                reply_to: None,
                idempotency_key: format!("plan:{}:confirmed", plan.id),
                local_date: today,
                reason: format!("plan {} accepted", plan.id),
            },
            now,
        )
        .await?;
    }
    Ok(plan)
}

/// The point a plan's messages go to: the debtor's preferred channel when a point of it is
/// reachable, else the first reachable SMS, WhatsApp or email point (by priority).
fn preferred_point<'a>(debtor: &Debtor, points: &'a [ContactPoint]) -> Option<&'a ContactPoint> {
    let reachable = |channel: Channel| {
        points
            .iter()
            .filter(|p| p.channel == channel && p.is_reachable())
            .min_by_key(|p| p.priority)
    };
    debtor
        .preferences
        .preferred_channel
        .filter(|c| matches!(c, Channel::Sms | Channel::Whatsapp | Channel::Email))
        .and_then(reachable)
        .or_else(|| {
            [Channel::Sms, Channel::Whatsapp, Channel::Email]
                .into_iter()
                .find_map(reachable)
        })
}

/// What one pass over the tenant's plans did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PlanPassReport {
    /// Instalments newly covered by payments.
    pub instalments_paid: usize,
    pub completed: usize,
    pub broken: usize,
    /// Reminders queued.
    pub reminded: usize,
}

/// Settles the tenant's plans ([`TenantStore::settle_plans`]), then queues an
/// `instalment_reminder` for every pending instalment due within [`REMINDER_DAYS`] local days
/// (the tenant's zone) that was not reminded yet, once (idempotency key
/// `plan:{plan}:{n}:reminder`; the dispatcher re-checks contact hours and opt-outs). The planner
/// tick calls it before planning.
pub async fn settle_and_remind(
    ts: &TenantStore,
    now: DateTime<Utc>,
) -> Result<PlanPassReport, StoreError> {
    let mut report = PlanPassReport::default();
    for settled in ts.settle_plans(now).await? {
        report.instalments_paid += settled.paid.len();
        match settled.status {
            PlanStatus::Completed => report.completed += 1,
            PlanStatus::Broken => report.broken += 1,
            _ => {}
        }
    }
    let tz: Tz = ts
        .tenant()
        .timezone
        .parse()
        .unwrap_or_else(|_| ts.tenant().country.default_timezone());
    let today = now.with_timezone(&tz).date_naive();
    let until = today + chrono::Days::new(REMINDER_DAYS);
    for due in ts.instalments_to_remind(today, until).await? {
        let debtor = ts.get_debtor(due.debtor_id).await?;
        let points = ts.list_contact_points(due.debtor_id).await?;
        if let Some(point) = preferred_point(&debtor, &points) {
            let queued = ts
                .enqueue_reply(
                    NewReply {
                        debtor_id: due.debtor_id,
                        debt_id: due.debt_id,
                        covers: vec![],
                        contact_point_id: point.id,
                        channel: point.channel,
                        template: Some(INSTALMENT_REMINDER.into()),
                        body: None,
                        reply_to: None,
                        idempotency_key: reminder_key(&due.plan_id.to_string(), due.number),
                        local_date: debtor_today(ts, &debtor, now),
                        reason: format!(
                            "instalment {} of {} of plan {}: {} due {}",
                            due.number, due.of, due.plan_id, due.amount, due.due_on
                        ),
                    },
                    now,
                )
                .await?;
            if queued.is_some() {
                report.reminded += 1;
            }
        }
        // Marked whether or not a point was reachable: a reminder is tried once.
        ts.mark_instalment_reminded(due.plan_id, due.number, now)
            .await?;
    }
    Ok(report)
}

/// The instalment a plan's message (`plan_confirmed`: the first after the down payment;
/// `instalment_reminder`: the one its key names) is about, read from the plan its idempotency
/// key names; none for any other contact, or when the plan is gone.
pub async fn instalment_line(
    ts: &TenantStore,
    contact: &Contact,
) -> Result<Option<InstalmentLine>, StoreError> {
    let template = contact.template.as_deref();
    if !matches!(template, Some(PLAN_CONFIRMED | INSTALMENT_REMINDER)) {
        return Ok(None);
    }
    let mut parts = contact.idempotency_key.split(':');
    let (Some("plan"), Some(plan), Some(which)) = (parts.next(), parts.next(), parts.next()) else {
        return Ok(None);
    };
    let Ok(plan_id) = plan.parse::<PlanId>() else {
        return Ok(None);
    };
    let number = if which == "confirmed" {
        1
    } else {
        match which.parse::<u32>() {
            Ok(n) => n,
            Err(_) => return Ok(None),
        }
    };
    let plan = match ts.get_plan(plan_id).await {
        Ok(plan) => plan,
        Err(StoreError::NotFound { .. }) => return Ok(None),
        Err(error) => return Err(error),
    };
    let of = plan.instalments.iter().filter(|i| i.number > 0).count() as u32;
    Ok(plan
        .instalments
        .iter()
        .find(|i| i.number == number)
        .map(|i| InstalmentLine {
            number,
            of,
            amount: i.amount,
            date: i.due_on,
        }))
}

/// The idempotency key of an instalment's reminder.
pub fn reminder_key(plan: &str, number: u32) -> String {
    format!("plan:{plan}:{number}:reminder")
}
