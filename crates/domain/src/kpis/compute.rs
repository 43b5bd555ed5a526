//! The formulas: one pass over the debts (with their payments, sorted), one over the contacts,
//! one over promises, plans and touches. See `docs/kpis.md` for every definition.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::facts::{Facts, Label, NO_LABEL, PaymentFact, PromiseState};
use super::{
    AgingRow, ArmResult, Bucket, CohortRecovery, Dimension, ExperimentResult, FunnelRow,
    HeatmapRow, KpiFigures, KpiGroup, KpiQuery, KpiReport, NONE_KEY, RollRow, TrendPoint,
};
use crate::money::Currency;
use crate::portfolio::DEFAULT_PROMISE_GRACE_DAYS;

/// An experiment arm "paid" when a payment is received within this many days after the debt
/// started its strategy.
pub const EXPERIMENT_PAID_WITHIN_DAYS: i64 = 30;
/// Significance level of the experiments' two-proportion test.
pub const SIGNIFICANCE: f64 = 0.05;

/// Computes the report of `query` from `facts`.
pub fn compute(facts: &Facts, query: &KpiQuery) -> KpiReport {
    let scope = Scope::new(facts, query);
    let (slots, keys) = groups(facts, query, &scope);
    let mut accs = vec![Acc::default(); 1 + keys.len()];
    let mut trend = vec![Day::default(); scope.days];
    let mut resolved = vec![false; facts.debts.len()];

    debt_pass(
        facts,
        query,
        &scope,
        &slots,
        &mut accs,
        &mut trend,
        &mut resolved,
    );
    let (funnel, heatmap) = contact_pass(facts, query, &scope, &slots, &mut accs, &mut trend);
    promise_pass(facts, query, &scope, &slots, &mut accs, &mut resolved);
    self_service(facts, query, &scope, &slots, &mut accs, &resolved);

    let currency = query.currency;
    let figures: Vec<KpiFigures> = accs.iter().map(|a| a.figures(query, currency)).collect();
    let mut figures = figures.into_iter();
    let total = figures
        .next()
        .unwrap_or_else(|| Acc::default().figures(query, currency));
    let groups = keys
        .into_iter()
        .zip(figures)
        .map(|(key, figures)| KpiGroup { key, figures })
        .collect();
    let trend = trend
        .into_iter()
        .enumerate()
        .map(|(i, day)| TrendPoint {
            date: query.from + Duration::days(i as i64),
            collected: minor(day.collected, currency),
            payments: day.payments,
            contacts: day.contacts,
            replies: day.replies,
        })
        .collect();
    KpiReport {
        query: query.clone(),
        total,
        groups,
        trend,
        funnel,
        heatmap,
        experiments: experiments(facts, query, &scope),
    }
}

/// Which debts count and the period's edges.
struct Scope {
    /// Debts in the query's currency issued on or before `to`.
    in_scope: Vec<bool>,
    /// The day before `from`: balances "at the start" are as of its end.
    open_day: NaiveDate,
    days: usize,
}

impl Scope {
    fn new(facts: &Facts, query: &KpiQuery) -> Self {
        let in_scope = facts
            .debts
            .iter()
            .map(|d| d.currency == query.currency && d.issued_on <= query.to)
            .collect();
        Scope {
            in_scope,
            open_day: query.from.pred_opt().unwrap_or(query.from),
            days: usize::try_from(query.days()).unwrap_or(0),
        }
    }

    fn in_period(&self, query: &KpiQuery, day: NaiveDate) -> bool {
        query.from <= day && day <= query.to
    }
}

/// The group slot of each debt (0 = no group; groups are 1…) and the groups' keys, sorted.
fn groups(facts: &Facts, query: &KpiQuery, scope: &Scope) -> (Vec<u32>, Vec<String>) {
    let Some(by) = query.by else {
        return (Vec::new(), Vec::new());
    };
    let ids: Vec<u32> = match by {
        Dimension::Segment => facts.debts.iter().map(|d| d.segment).collect(),
        Dimension::Product => facts.debts.iter().map(|d| d.product).collect(),
        Dimension::Strategy => facts.debts.iter().map(|d| d.strategy).collect(),
        Dimension::Arm => facts.debts.iter().map(|d| d.arms).collect(),
        Dimension::Channel => {
            // The channel of the debt's last contact sent by the end of `to`.
            let mut last = vec![NO_LABEL; facts.debts.len()];
            for contact in &facts.contacts {
                if contact.sent_at.date_naive() <= query.to {
                    last[contact.debt as usize] = contact.channel;
                }
            }
            last
        }
    };
    let text = |id: u32| -> String {
        match by {
            Dimension::Arm => {
                let set = facts.arm_sets.get(id as usize).map(Vec::as_slice);
                match set {
                    Some(set) if !set.is_empty() => set
                        .iter()
                        .map(|(e, a)| format!("{}={}", facts.label(*e), facts.label(*a)))
                        .collect::<Vec<_>>()
                        .join(", "),
                    _ => NONE_KEY.to_string(),
                }
            }
            _ if id == NO_LABEL => NONE_KEY.to_string(),
            _ => facts.label(id).to_string(),
        }
    };
    let mut distinct: HashMap<u32, String> = HashMap::new();
    for (i, id) in ids.iter().enumerate() {
        if scope.in_scope[i] && !distinct.contains_key(id) {
            distinct.insert(*id, text(*id));
        }
    }
    let mut sorted: Vec<(u32, String)> = distinct.into_iter().collect();
    sorted.sort_by(|a, b| a.1.cmp(&b.1));
    let slot_of: HashMap<u32, u32> = sorted
        .iter()
        .enumerate()
        .map(|(slot, (id, _))| (*id, slot as u32 + 1))
        .collect();
    let slots = ids
        .iter()
        .map(|id| slot_of.get(id).copied().unwrap_or(0))
        .collect();
    (slots, sorted.into_iter().map(|(_, key)| key).collect())
}

/// Applies `f` to the total and to the debt's group.
fn each_acc(accs: &mut [Acc], slots: &[u32], debt: usize, mut f: impl FnMut(&mut Acc)) {
    f(&mut accs[0]);
    if let Some(slot) = slots.get(debt).copied().filter(|s| *s > 0)
        && let Some(acc) = accs.get_mut(slot as usize)
    {
        f(acc);
    }
}

/// Sums over one set of debts, in minor units.
#[derive(Clone, Debug, Default)]
struct Acc {
    debts: u64,
    collected: i64,
    payments: u64,
    /// Placement month → (placed, collected since placement).
    cohorts: BTreeMap<i32, (i64, i64)>,
    open_receivables: i64,
    close_receivables: i64,
    close_current: i64,
    sales: i64,
    /// Issue month → original amounts issued (up to `to`).
    monthly_sales: BTreeMap<i32, i64>,
    aging: [(u64, i64); 6],
    roll_debts: [u64; 6],
    roll_amount: [i64; 6],
    roll_to: [[i64; 7]; 6],
    delinquent: u64,
    cured: u64,
    promises_due: u64,
    promises_kept: u64,
    attempts: u64,
    right_party: u64,
    resolved: u64,
    self_served: u64,
    contacts: u64,
    cost: Decimal,
}

#[derive(Clone, Debug, Default)]
struct Day {
    collected: i64,
    payments: u64,
    contacts: u64,
    replies: u64,
}

/// The month index of a date (year × 12 + month − 1).
fn month_of(date: NaiveDate) -> i32 {
    date.year() * 12 + date.month0() as i32
}

fn month_text(month: i32) -> String {
    format!(
        "{:04}-{:02}",
        month.div_euclid(12),
        month.rem_euclid(12) + 1
    )
}

fn days_in_month(month: i32) -> i64 {
    let first = NaiveDate::from_ymd_opt(month.div_euclid(12), month.rem_euclid(12) as u32 + 1, 1);
    let next = NaiveDate::from_ymd_opt(
        (month + 1).div_euclid(12),
        (month + 1).rem_euclid(12) as u32 + 1,
        1,
    );
    match (first, next) {
        (Some(first), Some(next)) => (next - first).num_days(),
        _ => 30,
    }
}

fn minor(amount: i64, currency: Currency) -> Decimal {
    Decimal::new(amount, currency.minor_units())
}

fn share(part: f64, whole: f64) -> Option<f64> {
    (whole != 0.0).then(|| part / whole)
}

fn debt_pass(
    facts: &Facts,
    query: &KpiQuery,
    scope: &Scope,
    slots: &[u32],
    accs: &mut [Acc],
    trend: &mut [Day],
    resolved: &mut [bool],
) {
    let open_day = scope.open_day;
    for (i, debt) in facts.debts.iter().enumerate() {
        if !scope.in_scope[i] {
            continue;
        }
        let (mut paid_open, mut paid_close, mut paid_due) = (0i64, 0i64, 0i64);
        let (mut collected, mut payments) = (0i64, 0u64);
        for payment in facts.payments_of(i as u32) {
            let day = payment.received_at.date_naive();
            if day <= open_day && open_day < query.from {
                paid_open += payment.amount;
            }
            if day <= query.to {
                paid_close += payment.amount;
            }
            if day <= debt.due_on {
                paid_due += payment.amount;
            }
            if scope.in_period(query, day) {
                collected += payment.amount;
                payments += 1;
                if let Some(slot) = trend.get_mut((day - query.from).num_days() as usize) {
                    slot.collected += payment.amount;
                    slot.payments += 1;
                }
            }
        }
        let open_balance = if debt.issued_on <= open_day && open_day < query.from {
            (debt.original - paid_open).max(0)
        } else {
            0
        };
        let close_balance = (debt.original - paid_close).max(0);
        let close_late = (query.to - debt.due_on).num_days();
        let open_late = (open_day - debt.due_on).num_days();
        let placement = debt.due_on.succ_opt().filter(|p| *p <= query.to);
        let placed = (debt.original - paid_due).max(0);
        let since_placement = (paid_close - paid_due).max(0);
        let in_period_sale = debt.issued_on >= query.from;
        if collected > 0 && close_balance == 0 {
            resolved[i] = true;
        }
        each_acc(accs, slots, i, |acc| {
            acc.debts += 1;
            acc.collected += collected;
            acc.payments += payments;
            acc.open_receivables += open_balance;
            acc.close_receivables += close_balance;
            if close_late <= 0 {
                acc.close_current += close_balance;
            }
            if in_period_sale {
                acc.sales += debt.original;
            }
            *acc.monthly_sales
                .entry(month_of(debt.issued_on))
                .or_default() += debt.original;
            if close_balance > 0 {
                let row = &mut acc.aging[Bucket::of_days_late(close_late).index()];
                row.0 += 1;
                row.1 += close_balance;
            }
            if open_balance > 0 {
                // The opening balance splits: what was paid in the period rolls to "paid", what
                // is still owed to the bucket it sits in at the end.
                let from = Bucket::of_days_late(open_late).index();
                let still_owed = close_balance.clamp(0, open_balance);
                acc.roll_debts[from] += 1;
                acc.roll_amount[from] += open_balance;
                acc.roll_to[from][6] += open_balance - still_owed;
                if still_owed > 0 {
                    acc.roll_to[from][Bucket::of_days_late(close_late).index()] += still_owed;
                }
                if open_late >= 1 {
                    acc.delinquent += 1;
                    if close_balance == 0 {
                        acc.cured += 1;
                    }
                }
            }
            if let Some(placement) = placement
                && placed > 0
            {
                let cohort = acc.cohorts.entry(month_of(placement)).or_default();
                cohort.0 += placed;
                cohort.1 += since_placement;
            }
        });
    }
}

/// Whether one of `payments` (sorted) was received in `[start, end)` and by the end of `to`.
fn paid_between(
    payments: &[PaymentFact],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    to: NaiveDate,
) -> bool {
    let first = payments.partition_point(|p| p.received_at < start);
    payments
        .get(first)
        .is_some_and(|p| p.received_at < end && p.received_at.date_naive() <= to)
}

#[derive(Default)]
struct FunnelAcc {
    sent: u64,
    delivered: u64,
    opened: u64,
    clicked: u64,
    replied: u64,
    paid: u64,
}

fn contact_pass(
    facts: &Facts,
    query: &KpiQuery,
    scope: &Scope,
    slots: &[u32],
    accs: &mut [Acc],
    trend: &mut [Day],
) -> (Vec<FunnelRow>, Vec<HeatmapRow>) {
    let mut funnel: HashMap<Label, FunnelAcc> = HashMap::new();
    let mut heat: HashMap<Label, Vec<Vec<u32>>> = HashMap::new();
    let mut zones: HashMap<Label, chrono_tz::Tz> = HashMap::new();
    let window = Duration::days(i64::from(query.paid_within_days));
    let by_to = |at: Option<DateTime<Utc>>| at.is_some_and(|at| at.date_naive() <= query.to);
    for contact in &facts.contacts {
        let i = contact.debt as usize;
        if !scope.in_scope.get(i).copied().unwrap_or(false) {
            continue;
        }
        let day = contact.sent_at.date_naive();
        if scope.in_period(query, day) {
            let answered = by_to(contact.replied_at) || by_to(contact.clicked_at);
            let cost = contact.cost.unwrap_or_default();
            each_acc(accs, slots, i, |acc| {
                acc.contacts += 1;
                acc.attempts += 1;
                acc.right_party += u64::from(answered);
                acc.cost += cost;
            });
            if let Some(slot) = trend.get_mut((day - query.from).num_days() as usize) {
                slot.contacts += 1;
            }
            let row = funnel.entry(contact.channel).or_default();
            row.sent += 1;
            row.delivered += u64::from(by_to(contact.delivered_at));
            row.opened += u64::from(by_to(contact.opened_at));
            row.clicked += u64::from(by_to(contact.clicked_at));
            row.replied += u64::from(by_to(contact.replied_at));
            let payments = facts.payments_of(contact.debt);
            row.paid += u64::from(paid_between(
                payments,
                contact.sent_at,
                contact.sent_at + window,
                query.to,
            ));
        }
        for (at, reply) in [(contact.replied_at, true), (contact.clicked_at, false)] {
            let Some(at) = at.filter(|at| scope.in_period(query, at.date_naive())) else {
                continue;
            };
            if reply
                && let Some(slot) =
                    trend.get_mut((at.date_naive() - query.from).num_days() as usize)
            {
                slot.replies += 1;
            }
            let zone_label = facts.debts[i].timezone;
            let zone = *zones.entry(zone_label).or_insert_with(|| {
                facts
                    .label(zone_label)
                    .parse::<chrono_tz::Tz>()
                    .unwrap_or(chrono_tz::UTC)
            });
            let local = at.with_timezone(&zone);
            let grid = heat
                .entry(contact.channel)
                .or_insert_with(|| vec![vec![0u32; 24]; 7]);
            grid[local.weekday().num_days_from_monday() as usize][local.hour() as usize] += 1;
        }
    }
    let mut funnel: Vec<FunnelRow> = funnel
        .into_iter()
        .map(|(channel, f)| FunnelRow {
            channel: facts.label(channel).to_string(),
            sent: f.sent,
            delivered: f.delivered,
            opened: f.opened,
            clicked: f.clicked,
            replied: f.replied,
            paid: f.paid,
        })
        .collect();
    funnel.sort_by(|a, b| a.channel.cmp(&b.channel));
    let mut heatmap: Vec<HeatmapRow> = heat
        .into_iter()
        .map(|(channel, counts)| HeatmapRow {
            channel: facts.label(channel).to_string(),
            counts,
        })
        .collect();
    heatmap.sort_by(|a, b| a.channel.cmp(&b.channel));
    (funnel, heatmap)
}

/// Promises due in the period (kept or not), and promises and plans made in it (resolutions).
fn promise_pass(
    facts: &Facts,
    query: &KpiQuery,
    scope: &Scope,
    slots: &[u32],
    accs: &mut [Acc],
    resolved: &mut [bool],
) {
    let grace = i64::from(DEFAULT_PROMISE_GRACE_DAYS);
    for promise in &facts.promises {
        let i = promise.debt as usize;
        if !scope.in_scope.get(i).copied().unwrap_or(false) {
            continue;
        }
        if promise.state == PromiseState::Cancelled {
            continue;
        }
        if scope.in_period(query, promise.created_at.date_naive()) {
            resolved[i] = true;
        }
        if !scope.in_period(query, promise.due_on) {
            continue;
        }
        // Kept: the payments received from the promise's day to its date plus the grace days
        // (and by the end of the period) cover its amount.
        let last = (promise.due_on + Duration::days(grace)).min(query.to);
        let made = promise.created_at.date_naive();
        let paid: i64 = facts
            .payments_of(promise.debt)
            .iter()
            .filter(|p| {
                let day = p.received_at.date_naive();
                made <= day && day <= last
            })
            .map(|p| p.amount)
            .sum();
        let kept = paid >= promise.amount;
        each_acc(accs, slots, i, |acc| {
            acc.promises_due += 1;
            acc.promises_kept += u64::from(kept);
        });
    }
    for plan in &facts.plans {
        let i = plan.debt as usize;
        if scope.in_scope.get(i).copied().unwrap_or(false)
            && scope.in_period(query, plan.accepted_at.date_naive())
        {
            resolved[i] = true;
        }
    }
}

/// Debts resolved in the period (paid in full, promised, or planned) with no agent touch.
fn self_service(
    facts: &Facts,
    query: &KpiQuery,
    scope: &Scope,
    slots: &[u32],
    accs: &mut [Acc],
    resolved: &[bool],
) {
    let mut touched = vec![false; facts.debtors as usize];
    for touch in &facts.touches {
        if scope.in_period(query, touch.at.date_naive())
            && let Some(t) = touched.get_mut(touch.debtor as usize)
        {
            *t = true;
        }
    }
    for plan in &facts.plans {
        if plan.by_agent && scope.in_period(query, plan.accepted_at.date_naive()) {
            let debtor = facts.debts[plan.debt as usize].debtor as usize;
            if let Some(t) = touched.get_mut(debtor) {
                *t = true;
            }
        }
    }
    for (i, debt) in facts.debts.iter().enumerate() {
        if !resolved[i] || !scope.in_scope[i] {
            continue;
        }
        let human = touched.get(debt.debtor as usize).copied().unwrap_or(false);
        each_acc(accs, slots, i, |acc| {
            acc.resolved += 1;
            acc.self_served += u64::from(!human);
        });
    }
}

/// Countback DSO: from `to` back month by month, each month's sales use up the receivables;
/// the days walked until they are used up (the last month pro rata).
pub fn countback_dso(
    receivables: i64,
    monthly_sales: &BTreeMap<i32, i64>,
    to: NaiveDate,
) -> Option<f64> {
    if receivables <= 0 {
        return Some(0.0);
    }
    let earliest = *monthly_sales.keys().next()?;
    let mut left = receivables as f64;
    let mut days = 0.0;
    let mut month = month_of(to);
    let mut chunk = f64::from(to.day());
    while month >= earliest {
        let sales = monthly_sales.get(&month).copied().unwrap_or(0) as f64;
        if sales > 0.0 && sales >= left {
            return Some(days + left / sales * chunk);
        }
        left -= sales;
        days += chunk;
        month -= 1;
        chunk = days_in_month(month) as f64;
    }
    Some(days)
}

impl Acc {
    fn figures(&self, query: &KpiQuery, currency: Currency) -> KpiFigures {
        let collected = minor(self.collected, currency);
        let (placed, since): (i64, i64) = self
            .cohorts
            .values()
            .fold((0, 0), |(p, c), v| (p + v.0, c + v.1));
        let recovery_by_cohort = self
            .cohorts
            .iter()
            .map(|(month, (placed, collected))| CohortRecovery {
                cohort: month_text(*month),
                placed: minor(*placed, currency),
                collected: minor(*collected, currency),
                rate: share(*collected as f64, *placed as f64),
            })
            .collect();
        let numerator = (self.open_receivables + self.sales - self.close_receivables) as f64;
        let denominator = (self.open_receivables + self.sales - self.close_current) as f64;
        let dso = (self.sales > 0)
            .then(|| self.close_receivables as f64 / self.sales as f64 * query.days() as f64);
        let aging = Bucket::ALL
            .iter()
            .map(|b| AgingRow {
                bucket: *b,
                debts: self.aging[b.index()].0,
                amount: minor(self.aging[b.index()].1, currency),
            })
            .collect();
        let roll_rates = Bucket::ALL
            .iter()
            .map(|b| {
                let k = b.index();
                let amount = self.roll_amount[k] as f64;
                let to: Vec<Option<f64>> = self.roll_to[k]
                    .iter()
                    .map(|part| share(*part as f64, amount))
                    .collect();
                RollRow {
                    from: *b,
                    debts: self.roll_debts[k],
                    amount: minor(self.roll_amount[k], currency),
                    roll_forward: b.next().and_then(|n| to[n.index()]),
                    to,
                }
            })
            .collect();
        let collected_f = self.collected as f64;
        let collected_units = collected.to_f64().unwrap_or(0.0);
        KpiFigures {
            debts: self.debts,
            collected,
            payments: self.payments,
            recovery_rate: share(since as f64, placed as f64),
            recovery_by_cohort,
            cei: share(numerator, denominator).map(|r| r * 100.0),
            dso,
            countback_dso: countback_dso(self.close_receivables, &self.monthly_sales, query.to),
            aging,
            roll_rates,
            cure_rate: share(self.cured as f64, self.delinquent as f64),
            promise_kept_rate: share(self.promises_kept as f64, self.promises_due as f64),
            right_party_contact_rate: share(self.right_party as f64, self.attempts as f64),
            self_service_share: share(self.self_served as f64, self.resolved as f64),
            contacts: self.contacts,
            contacts_per_collected_unit: share(self.contacts as f64, collected_units),
            cost: self.cost,
            cost_to_collect: share(self.cost.to_f64().unwrap_or(0.0), collected_units),
            liquidation_rate: share(collected_f, self.open_receivables as f64),
        }
    }
}

/// The standard normal CDF, by the Abramowitz–Stegun 7.1.26 approximation of erf (error
/// below 1.5e-7).
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * (1.0 + erf(z / std::f64::consts::SQRT_2))
}

fn erf(x: f64) -> f64 {
    let sign = if x < 0.0 { -1.0 } else { 1.0 };
    let x = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    sign * (1.0 - poly * (-x * x).exp())
}

/// The two-proportion z statistic of `b` against `a` (pooled standard error), or none when it
/// is undefined (an empty arm, or both rates 0 or 1).
pub fn two_proportion_z(a_hits: u64, a_n: u64, b_hits: u64, b_n: u64) -> Option<f64> {
    if a_n == 0 || b_n == 0 {
        return None;
    }
    let (n1, n2) = (a_n as f64, b_n as f64);
    let (p1, p2) = (a_hits as f64 / n1, b_hits as f64 / n2);
    let pooled = (a_hits + b_hits) as f64 / (n1 + n2);
    let se = (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt();
    (se > 0.0).then(|| (p2 - p1) / se)
}

/// The two-sided p-value of a z statistic.
pub fn p_value(z: f64) -> f64 {
    (2.0 * (1.0 - normal_cdf(z.abs()))).clamp(0.0, 1.0)
}

fn experiments(facts: &Facts, query: &KpiQuery, scope: &Scope) -> Vec<ExperimentResult> {
    // (strategy, experiment) → arm → (debts, paid within 30 days).
    let mut by: HashMap<(Label, Label), HashMap<Label, (u64, u64)>> = HashMap::new();
    let window = Duration::days(EXPERIMENT_PAID_WITHIN_DAYS);
    for (i, debt) in facts.debts.iter().enumerate() {
        if !scope.in_scope[i] || debt.arms == 0 || debt.strategy == NO_LABEL {
            continue;
        }
        let Some(started) = debt
            .strategy_started
            .filter(|s| scope.in_period(query, s.date_naive()))
        else {
            continue;
        };
        let paid = paid_between(
            facts.payments_of(i as u32),
            started,
            started + window,
            query.to,
        );
        for (experiment, arm) in facts.arm_sets.get(debt.arms as usize).into_iter().flatten() {
            let entry = by
                .entry((debt.strategy, *experiment))
                .or_default()
                .entry(*arm)
                .or_default();
            entry.0 += 1;
            entry.1 += u64::from(paid);
        }
    }
    let mut out: Vec<ExperimentResult> = by
        .into_iter()
        .map(|((strategy, experiment), arms)| {
            let mut arms: Vec<ArmResult> = arms
                .into_iter()
                .map(|(arm, (debts, paid))| ArmResult {
                    arm: facts.label(arm).to_string(),
                    debts,
                    paid_within_30: paid,
                    rate: share(paid as f64, debts as f64),
                })
                .collect();
            // The control first: an arm named "control", else the first by name.
            arms.sort_by(|a, b| {
                let control = |r: &ArmResult| !r.arm.eq_ignore_ascii_case("control");
                (control(a), &a.arm).cmp(&(control(b), &b.arm))
            });
            let z = arms.split_first().and_then(|(control, others)| {
                others
                    .iter()
                    .filter_map(|arm| {
                        two_proportion_z(
                            control.paid_within_30,
                            control.debts,
                            arm.paid_within_30,
                            arm.debts,
                        )
                    })
                    .max_by(|a, b| a.abs().total_cmp(&b.abs()))
            });
            let p = z.map(p_value);
            ExperimentResult {
                strategy: facts.label(strategy).to_string(),
                experiment: facts.label(experiment).to_string(),
                arms,
                z,
                p_value: p,
                significant: p.is_some_and(|p| p < SIGNIFICANCE),
            }
        })
        .collect();
    out.sort_by(|a, b| (&a.strategy, &a.experiment).cmp(&(&b.strategy, &b.experiment)));
    out
}
