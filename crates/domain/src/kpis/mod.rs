//! Collection KPIs (GUIDE §9): the report types and the formulas that compute them from compact
//! facts (debts, payments, promises, plans, contacts, debtor events) loaded by the store.
//!
//! Figures are computed as of when things happened (an invoice's issue date, a payment's
//! `received_at`), never when they were recorded; balances as of a date are the original amount
//! minus the payments received up to that date. See `docs/kpis.md` for every definition.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::Currency;

pub mod compute;
pub mod facts;

pub use compute::compute;
pub use facts::{Facts, FactsBuilder};

/// What a report may be broken down by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    Segment,
    Strategy,
    Arm,
    Channel,
    Product,
}

impl Dimension {
    pub const ALL: [Dimension; 5] = [
        Dimension::Segment,
        Dimension::Strategy,
        Dimension::Arm,
        Dimension::Channel,
        Dimension::Product,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Segment => "segment",
            Dimension::Strategy => "strategy",
            Dimension::Arm => "arm",
            Dimension::Channel => "channel",
            Dimension::Product => "product",
        }
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A text that names no [`Dimension`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown dimension {0:?}: expected one of segment, strategy, arm, channel, product")]
pub struct UnknownDimension(pub String);

impl FromStr for Dimension {
    type Err = UnknownDimension;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Dimension::ALL
            .into_iter()
            .find(|d| d.as_str() == text.trim())
            .ok_or_else(|| UnknownDimension(text.to_string()))
    }
}

/// Aging buckets by days past due.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    Current,
    D1To30,
    D31To60,
    D61To90,
    D91To120,
    Over120,
}

impl Bucket {
    pub const ALL: [Bucket; 6] = [
        Bucket::Current,
        Bucket::D1To30,
        Bucket::D31To60,
        Bucket::D61To90,
        Bucket::D91To120,
        Bucket::Over120,
    ];

    /// The bucket of a debt `days` days past due (0 or less: not yet past due = current).
    pub fn of_days_late(days: i64) -> Bucket {
        match days {
            i64::MIN..=0 => Bucket::Current,
            1..=30 => Bucket::D1To30,
            31..=60 => Bucket::D31To60,
            61..=90 => Bucket::D61To90,
            91..=120 => Bucket::D91To120,
            _ => Bucket::Over120,
        }
    }

    /// A display label: "current", "1–30", …, "120+".
    pub fn label(self) -> &'static str {
        match self {
            Bucket::Current => "current",
            Bucket::D1To30 => "1–30",
            Bucket::D31To60 => "31–60",
            Bucket::D61To90 => "61–90",
            Bucket::D91To120 => "91–120",
            Bucket::Over120 => "120+",
        }
    }

    /// The position in [`Bucket::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The next worse bucket (none after 120+).
    pub fn next(self) -> Option<Bucket> {
        Bucket::ALL.get(self.index() + 1).copied()
    }
}

/// What a report covers.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct KpiQuery {
    pub from: NaiveDate,
    /// Inclusive.
    pub to: NaiveDate,
    pub by: Option<Dimension>,
    pub currency: Currency,
    /// The funnel counts a payment as "paid" when it is received within this many days after a
    /// contact was sent (default 7).
    pub paid_within_days: u32,
}

impl KpiQuery {
    pub const DEFAULT_PAID_WITHIN_DAYS: u32 = 7;

    pub fn new(from: NaiveDate, to: NaiveDate, by: Option<Dimension>, currency: Currency) -> Self {
        KpiQuery {
            from,
            to,
            by,
            currency,
            paid_within_days: Self::DEFAULT_PAID_WITHIN_DAYS,
        }
    }

    /// Days in the period, both ends included (at least 1 when `from <= to`).
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }
}

/// The whole report of one query.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct KpiReport {
    pub query: KpiQuery,
    pub total: KpiFigures,
    /// Empty when `by` is none; one per key, sorted by key.
    pub groups: Vec<KpiGroup>,
    /// One per day `from..=to`.
    pub trend: Vec<TrendPoint>,
    /// One per channel.
    pub funnel: Vec<FunnelRow>,
    /// One per channel.
    pub heatmap: Vec<HeatmapRow>,
    pub experiments: Vec<ExperimentResult>,
}

/// The figures of one group of a breakdown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct KpiGroup {
    /// "(none)" when the debt has no value for the dimension.
    pub key: String,
    pub figures: KpiFigures,
}

/// The key of a group whose debts have no value for the dimension.
pub const NONE_KEY: &str = "(none)";

/// Every KPI of a set of debts over the query's period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct KpiFigures {
    /// Debts in the set (issued on or before `to`).
    pub debts: u64,
    /// Received in the period.
    #[schema(value_type = String)]
    pub collected: Decimal,
    pub payments: u64,
    /// Collected up to `to` ÷ amount overdue at placement, over every cohort placed up to `to`.
    pub recovery_rate: Option<f64>,
    pub recovery_by_cohort: Vec<CohortRecovery>,
    /// Collection effectiveness index, percent (0..=100 typically).
    pub cei: Option<f64>,
    /// Days.
    pub dso: Option<f64>,
    /// Days.
    pub countback_dso: Option<f64>,
    /// 6 rows, [`Bucket::ALL`] order, as of `to`.
    pub aging: Vec<AgingRow>,
    /// 6 rows: from the bucket at the day before `from` to the bucket at `to` (or paid).
    pub roll_rates: Vec<RollRow>,
    pub cure_rate: Option<f64>,
    pub promise_kept_rate: Option<f64>,
    pub right_party_contact_rate: Option<f64>,
    pub self_service_share: Option<f64>,
    /// Contacts sent in the period.
    pub contacts: u64,
    pub contacts_per_collected_unit: Option<f64>,
    /// Channel cost of the contacts sent in the period.
    #[schema(value_type = String)]
    pub cost: Decimal,
    pub cost_to_collect: Option<f64>,
    pub liquidation_rate: Option<f64>,
}

/// Recovery of one placement cohort (month).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CohortRecovery {
    /// "2026-10".
    pub cohort: String,
    #[schema(value_type = String)]
    pub placed: Decimal,
    #[schema(value_type = String)]
    pub collected: Decimal,
    pub rate: Option<f64>,
}

/// One aging bucket as of `to`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AgingRow {
    pub bucket: Bucket,
    pub debts: u64,
    #[schema(value_type = String)]
    pub amount: Decimal,
}

/// Where the open balance of one bucket at the period start went by its end.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RollRow {
    pub from: Bucket,
    pub debts: u64,
    #[schema(value_type = String)]
    pub amount: Decimal,
    /// 7 shares of `amount`: [`Bucket::ALL`] then paid.
    pub to: Vec<Option<f64>>,
    /// Share that rolled to the next worse bucket.
    pub roll_forward: Option<f64>,
}

/// One day of the trend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TrendPoint {
    pub date: NaiveDate,
    #[schema(value_type = String)]
    pub collected: Decimal,
    pub payments: u64,
    pub contacts: u64,
    pub replies: u64,
}

/// The funnel of one channel over the period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FunnelRow {
    pub channel: String,
    pub sent: u64,
    pub delivered: u64,
    pub opened: u64,
    pub clicked: u64,
    pub replied: u64,
    /// Paid within N days of a sent.
    pub paid: u64,
}

/// Debtor responses (replies and clicks) by weekday × local hour, per channel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HeatmapRow {
    pub channel: String,
    /// 7 rows (Monday first) × 24 hours of the debtor's local time.
    pub counts: Vec<Vec<u32>>,
}

/// The result of one strategy experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ExperimentResult {
    pub strategy: String,
    pub experiment: String,
    pub arms: Vec<ArmResult>,
    /// The largest |z| of the two-proportion tests of each arm against the control (first arm).
    pub z: Option<f64>,
    pub p_value: Option<f64>,
    /// `p_value < 0.05`.
    pub significant: bool,
}

/// One arm of an experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ArmResult {
    pub arm: String,
    pub debts: u64,
    pub paid_within_30: u64,
    pub rate: Option<f64>,
}

#[cfg(test)]
mod tests;
