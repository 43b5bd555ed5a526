//! Instalment plans: the tenant's rules per segment, and the quote a debtor sees before accepting
//! (discount, interest by French amortisation, the schedule). Pure: the caller passes today.

use std::collections::BTreeMap;

use chrono::{DateTime, Months, NaiveDate, Utc};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::ids::{DebtId, DebtorId, PlanId};
use crate::money::{Currency, Money, MoneyError};

/// How far apart instalments fall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Weekly,
    Biweekly,
    #[default]
    Monthly,
}

impl Period {
    /// The due date of the instalment `index` places after `first` (0 = `first`). A monthly
    /// plan keeps the day of the month, or the month's last day when it is shorter.
    pub fn nth(self, first: NaiveDate, index: u32) -> Option<NaiveDate> {
        match self {
            Period::Weekly => first.checked_add_days(chrono::Days::new(7 * u64::from(index))),
            Period::Biweekly => first.checked_add_days(chrono::Days::new(14 * u64::from(index))),
            Period::Monthly => first.checked_add_months(Months::new(index)),
        }
    }

    /// The interest rate of one period from a monthly rate (as a nominal annual rate split in
    /// 12, 26 or 52 periods).
    fn rate(self, monthly: Decimal) -> Decimal {
        match self {
            Period::Monthly => monthly,
            Period::Biweekly => monthly * Decimal::from(12) / Decimal::from(26),
            Period::Weekly => monthly * Decimal::from(12) / Decimal::from(52),
        }
    }
}

/// What a tenant allows a debtor of one segment to accept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PlanRules {
    /// The most instalments after the down payment (1 to 60).
    pub max_instalments: u32,
    /// The least down payment, in % of the balance after the discount (0 to 100).
    #[schema(value_type = String, example = "10")]
    pub min_down_payment_pct: Decimal,
    /// Interest per month on the financed part (French amortisation), in % (0 to 20).
    #[schema(value_type = String, example = "0")]
    pub monthly_interest_pct: Decimal,
    /// Off the balance when the plan is accepted, in % (0 to 90).
    #[schema(value_type = String, example = "0")]
    pub discount_pct: Decimal,
    /// The least amount of one instalment, in the debts' currency.
    #[schema(value_type = Option<String>, example = "20.00")]
    pub min_instalment: Option<Decimal>,
    pub period: Period,
    /// The first instalment falls at most this many days after acceptance (1 to 365).
    pub first_due_max_days: u32,
}

impl Default for PlanRules {
    fn default() -> Self {
        PlanRules {
            max_instalments: 6,
            min_down_payment_pct: Decimal::from(10),
            monthly_interest_pct: Decimal::ZERO,
            discount_pct: Decimal::ZERO,
            min_instalment: None,
            period: Period::Monthly,
            first_due_max_days: 30,
        }
    }
}

/// A tenant's plan rules: the default, and rules per segment (the debtor's effective segment).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PlanRuleSet {
    /// Whether debtors may accept plans at all.
    pub enabled: bool,
    pub default: PlanRules,
    pub segments: BTreeMap<String, PlanRules>,
}

impl Default for PlanRuleSet {
    fn default() -> Self {
        PlanRuleSet {
            enabled: true,
            default: PlanRules::default(),
            segments: BTreeMap::new(),
        }
    }
}

/// A rule out of its range, naming the field (`segments.vip.max_instalments`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct PlanRuleError {
    pub field: String,
    pub message: String,
}

impl PlanRuleSet {
    /// The rules of a segment, or the default ones.
    pub fn for_segment(&self, segment: Option<&str>) -> &PlanRules {
        segment
            .and_then(|s| self.segments.get(s))
            .unwrap_or(&self.default)
    }

    /// Checks every rule's range; the first one out names its field.
    pub fn validate(&self) -> Result<(), PlanRuleError> {
        self.default.validate("default")?;
        for (segment, rules) in &self.segments {
            if segment.trim().is_empty() {
                return Err(PlanRuleError {
                    field: "segments".into(),
                    message: "a segment name must not be empty".into(),
                });
            }
            rules.validate(&format!("segments.{segment}"))?;
        }
        Ok(())
    }
}

impl PlanRules {
    /// The least down payment on `balance` (the debts' sum, at the minor unit): the discount's
    /// rest times `min_down_payment_pct`, rounded up. What the portal shows and `quote` checks.
    pub fn min_down_payment(&self, balance: Money) -> Result<Money, PlanError> {
        let (_, min_down) = self.discount_and_min_down(balance)?;
        Ok(Money::new(min_down, balance.currency))
    }

    /// The discount on `balance` (rounded at the minor unit) and the least down payment after
    /// it (rounded up: a down payment a fraction of a cent below the percentage falls short).
    fn discount_and_min_down(&self, balance: Money) -> Result<(Decimal, Decimal), PlanError> {
        let currency = balance.currency;
        let hundred = Decimal::ONE_HUNDRED;
        let discount = round_minor(
            balance
                .amount
                .checked_mul(self.discount_pct)
                .ok_or(MoneyError::Overflow)?
                / hundred,
            currency,
        );
        let discounted = balance.amount - discount;
        if discounted <= Decimal::ZERO {
            return Err(PlanError::NothingToPlan);
        }
        let min_down = (discounted * self.min_down_payment_pct / hundred)
            .round_dp_with_strategy(currency.minor_units(), RoundingStrategy::AwayFromZero);
        Ok((discount, min_down))
    }

    fn validate(&self, prefix: &str) -> Result<(), PlanRuleError> {
        let err = |field: &str, message: String| PlanRuleError {
            field: format!("{prefix}.{field}"),
            message,
        };
        if !(1..=60).contains(&self.max_instalments) {
            return Err(err(
                "max_instalments",
                format!("must be 1 to 60, got {}", self.max_instalments),
            ));
        }
        let pct = |field: &str, value: Decimal, max: i64| {
            if value < Decimal::ZERO || value > Decimal::from(max) {
                Err(err(field, format!("must be 0 to {max}, got {value}")))
            } else {
                Ok(())
            }
        };
        pct("min_down_payment_pct", self.min_down_payment_pct, 100)?;
        pct("monthly_interest_pct", self.monthly_interest_pct, 20)?;
        pct("discount_pct", self.discount_pct, 90)?;
        if let Some(min) = self.min_instalment
            && min < Decimal::ZERO
        {
            return Err(err(
                "min_instalment",
                format!("must not be negative, got {min}"),
            ));
        }
        if !(1..=365).contains(&self.first_due_max_days) {
            return Err(err(
                "first_due_max_days",
                format!("must be 1 to 365, got {}", self.first_due_max_days),
            ));
        }
        Ok(())
    }
}

/// What the debtor asks for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlanRequest {
    /// Instalments after the down payment.
    pub instalments: u32,
    /// Paid at acceptance (may be zero when the rules allow it).
    pub down_payment: Money,
    /// The date of the first instalment after the down payment.
    pub first_due_on: NaiveDate,
}

/// One payment of a schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Instalment {
    /// 0 is the down payment, due on the day of acceptance.
    pub number: u32,
    pub due_on: NaiveDate,
    pub amount: Money,
}

/// The schedule shown before accepting. `total = balance − discount + interest`, and the
/// instalments sum to exactly `total`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlanQuote {
    pub balance: Money,
    pub discount: Money,
    pub interest: Money,
    pub total: Money,
    pub instalments: Vec<Instalment>,
}

impl PlanQuote {
    /// What the plan changes on the debts' balances: interest − discount (may be negative).
    pub fn adjustment(&self) -> Money {
        Money::new(
            self.interest.amount - self.discount.amount,
            self.balance.currency,
        )
    }
}

/// Why a request is outside the rules; each variant carries what the portal needs to say it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("at most {max} instalments are allowed")]
    TooManyInstalments { max: u32 },
    #[error("at least one instalment is needed")]
    NoInstalments,
    #[error("the down payment must be at least {min}")]
    DownPaymentTooLow { min: Money },
    #[error("the down payment must be below the total, at most {max}")]
    DownPaymentAboveTotal { max: Money },
    #[error("the first instalment must fall after today and no later than {latest}")]
    FirstDueOutOfRange { latest: NaiveDate },
    #[error("each instalment must be at least {min}")]
    InstalmentTooSmall { min: Money },
    #[error("there is nothing to pay in instalments")]
    NothingToPlan,
    #[error(transparent)]
    Currency(#[from] MoneyError),
}

impl PlanError {
    /// The request field the error is about (for a 422 naming it).
    pub fn field(&self) -> &'static str {
        match self {
            PlanError::TooManyInstalments { .. }
            | PlanError::NoInstalments
            | PlanError::InstalmentTooSmall { .. } => "instalments",
            PlanError::DownPaymentTooLow { .. }
            | PlanError::DownPaymentAboveTotal { .. }
            | PlanError::Currency(_) => "down_payment",
            PlanError::FirstDueOutOfRange { .. } => "first_due_on",
            PlanError::NothingToPlan => "debts",
        }
    }
}

/// `amount` rounded half-even to the currency's minor unit.
pub fn round_minor(amount: Decimal, currency: Currency) -> Decimal {
    amount.round_dp_with_strategy(
        currency.minor_units(),
        RoundingStrategy::MidpointNearestEven,
    )
}

fn floor_minor(amount: Decimal, currency: Currency) -> Decimal {
    amount.round_dp_with_strategy(currency.minor_units(), RoundingStrategy::ToZero)
}

/// The quote for `request` on `balance` under `rules`, as of `today` (the debtor's local day).
///
/// The discount comes off the balance first; the down payment (at least `min_down_payment_pct`
/// of that) is due today as instalment 0; the rest is financed over `instalments` periods with
/// a French (constant) payment at the period's rate. Regular instalments are rounded down to the
/// minor unit and the last absorbs the difference, so the schedule sums exactly to `total`.
pub fn quote(
    rules: &PlanRules,
    balance: Money,
    today: NaiveDate,
    request: &PlanRequest,
) -> Result<PlanQuote, PlanError> {
    let currency = balance.currency;
    if request.down_payment.currency != currency {
        return Err(MoneyError::CurrencyMismatch(currency, request.down_payment.currency).into());
    }
    let balance = Money::new(round_minor(balance.amount, currency), currency);
    if balance.amount <= Decimal::ZERO {
        return Err(PlanError::NothingToPlan);
    }
    let allowed = currency.minor_units();
    let down = request.down_payment.amount;
    if down.normalize().scale() > allowed {
        return Err(MoneyError::TooPrecise {
            amount: down,
            currency,
            allowed,
        }
        .into());
    }
    if request.instalments == 0 {
        return Err(PlanError::NoInstalments);
    }
    if request.instalments > rules.max_instalments {
        return Err(PlanError::TooManyInstalments {
            max: rules.max_instalments,
        });
    }
    let (discount, min_down) = rules.discount_and_min_down(balance)?;
    let discounted = balance.amount - discount;
    if down < min_down || down < Decimal::ZERO {
        return Err(PlanError::DownPaymentTooLow {
            min: Money::new(min_down, currency),
        });
    }
    let unit = Decimal::new(1, allowed);
    if down >= discounted {
        return Err(PlanError::DownPaymentAboveTotal {
            max: Money::new(discounted - unit, currency),
        });
    }
    let latest = today
        .checked_add_days(chrono::Days::new(u64::from(rules.first_due_max_days)))
        .unwrap_or(today);
    if request.first_due_on <= today || request.first_due_on > latest {
        return Err(PlanError::FirstDueOutOfRange { latest });
    }
    let financed = discounted - down;
    let n = request.instalments;
    let rate = rules
        .period
        .rate(rules.monthly_interest_pct / Decimal::ONE_HUNDRED);
    let payment = french_payment(financed, rate, n).ok_or(MoneyError::Overflow)?;
    let regular = floor_minor(payment, currency);
    let interest = round_minor(payment * Decimal::from(n) - financed, currency).max(Decimal::ZERO);
    let to_pay = financed + interest;
    let last = to_pay - regular * Decimal::from(n - 1);
    let least = rules
        .min_instalment
        .map(|m| round_minor(m, currency))
        .unwrap_or(Decimal::ZERO)
        .max(unit);
    if regular < least {
        return Err(PlanError::InstalmentTooSmall {
            min: Money::new(least, currency),
        });
    }
    let mut instalments = Vec::with_capacity(n as usize + 1);
    if down > Decimal::ZERO {
        instalments.push(Instalment {
            number: 0,
            due_on: today,
            amount: Money::new(down, currency),
        });
    }
    for index in 0..n {
        let due_on = rules
            .period
            .nth(request.first_due_on, index)
            .ok_or(PlanError::FirstDueOutOfRange { latest })?;
        let amount = if index + 1 == n { last } else { regular };
        instalments.push(Instalment {
            number: index + 1,
            due_on,
            amount: Money::new(amount, currency),
        });
    }
    Ok(PlanQuote {
        balance,
        discount: Money::new(discount, currency),
        interest: Money::new(interest, currency),
        total: Money::new(discounted + interest, currency),
        instalments,
    })
}

/// The constant payment that repays `principal` in `n` periods at `rate` per period:
/// `P·i / (1 − (1+i)^−n)`, or `P / n` without interest. None on overflow.
fn french_payment(principal: Decimal, rate: Decimal, n: u32) -> Option<Decimal> {
    let n_dec = Decimal::from(n);
    if rate.is_zero() {
        return principal.checked_div(n_dec);
    }
    let mut growth = Decimal::ONE;
    let base = Decimal::ONE + rate;
    for _ in 0..n {
        growth = growth.checked_mul(base)?;
    }
    // P·i·g / (g − 1), with g = (1+i)^n.
    principal
        .checked_mul(rate)?
        .checked_mul(growth)?
        .checked_div(growth - Decimal::ONE)
}

/// Where a plan stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    Active,
    Completed,
    Broken,
    Cancelled,
}

/// Where an instalment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InstalmentStatus {
    Pending,
    Paid,
    Missed,
}

macro_rules! text_enum {
    ($name:ident, $what:literal { $($variant:ident => $text:literal),* }) => {
        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }
        }
        impl std::str::FromStr for $name {
            type Err = crate::portfolio::UnknownValue;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                match text {
                    $($text => Ok($name::$variant),)*
                    _ => Err(crate::portfolio::UnknownValue {
                        what: $what,
                        value: text.to_string(),
                        expected: &[$($text),*],
                    }),
                }
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(PlanStatus, "plan status" { Active => "active", Completed => "completed", Broken => "broken", Cancelled => "cancelled" });
text_enum!(InstalmentStatus, "instalment status" { Pending => "pending", Paid => "paid", Missed => "missed" });

/// One instalment of a stored plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlanInstalment {
    pub number: u32,
    pub due_on: NaiveDate,
    pub amount: Money,
    pub status: InstalmentStatus,
    pub paid_at: Option<DateTime<Utc>>,
    pub reminded_at: Option<DateTime<Utc>>,
}

/// The part of a plan's adjustment (interest − discount) one debt took.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlanDebt {
    pub debt_id: DebtId,
    /// The debt's balance when the plan was accepted.
    pub balance_before: Money,
    /// Its share of the adjustment (negative for a discount).
    pub adjustment: Money,
}

/// An accepted instalment plan over one or more debts of a debtor (one currency).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Plan {
    pub id: PlanId,
    pub debtor_id: DebtorId,
    pub debts: Vec<PlanDebt>,
    pub status: PlanStatus,
    /// The debts' balances summed when the plan was accepted.
    pub balance_at_start: Money,
    /// Interest − discount, spread over the debts.
    pub adjustment: Money,
    pub total: Money,
    /// What made it: `{"source": "portal", "contact_id": …}`, `{"source": "api"}`, …
    #[schema(value_type = Object)]
    pub origin: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub close_reason: Option<String>,
    pub instalments: Vec<PlanInstalment>,
}

/// Splits `amount` over `weights` in proportion, rounded at the minor unit; the last part
/// absorbs the rounding so the parts sum exactly to `amount`. Zero weights in total give the
/// whole amount to the last part.
pub fn split_proportionally(
    amount: Decimal,
    weights: &[Decimal],
    currency: Currency,
) -> Vec<Decimal> {
    let total: Decimal = weights.iter().copied().sum();
    let mut parts = Vec::with_capacity(weights.len());
    let mut given = Decimal::ZERO;
    for (index, weight) in weights.iter().enumerate() {
        let part = if index + 1 == weights.len() {
            amount - given
        } else if total.is_zero() {
            Decimal::ZERO
        } else {
            round_minor(amount * *weight / total, currency)
        };
        given += part;
        parts.push(part);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn brl(text: &str) -> Money {
        Money::new(d(text), Currency::Brl)
    }

    fn day(y: i32, m: u32, dd: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, dd).unwrap()
    }

    fn request(n: u32, down: &str, first: NaiveDate) -> PlanRequest {
        PlanRequest {
            instalments: n,
            down_payment: brl(down),
            first_due_on: first,
        }
    }

    #[test]
    fn a_plan_without_interest_splits_evenly_and_the_last_absorbs_the_rounding() {
        let today = day(2026, 1, 31);
        let q = quote(
            &PlanRules::default(),
            brl("1000.00"),
            today,
            &request(3, "100.00", day(2026, 2, 28)),
        )
        .unwrap();
        let amounts: Vec<_> = q
            .instalments
            .iter()
            .map(|i| i.amount.amount_text())
            .collect();
        assert_eq!(amounts, ["100.00", "300.00", "300.00", "300.00"]);
        let dates: Vec<_> = q.instalments.iter().map(|i| i.due_on).collect();
        assert_eq!(
            dates,
            [today, day(2026, 2, 28), day(2026, 3, 28), day(2026, 4, 28)]
        );
        let q = quote(
            &PlanRules::default(),
            brl("1000.00"),
            today,
            &request(3, "100.01", day(2026, 2, 1)),
        )
        .unwrap();
        let amounts: Vec<_> = q
            .instalments
            .iter()
            .map(|i| i.amount.amount_text())
            .collect();
        assert_eq!(amounts, ["100.01", "299.99", "299.99", "300.01"]);
        assert_eq!(q.total.amount_text(), "1000.00");
    }

    #[test]
    fn discount_and_interest_follow_french_amortisation() {
        let rules = PlanRules {
            monthly_interest_pct: d("2"),
            discount_pct: d("10"),
            min_down_payment_pct: Decimal::ZERO,
            ..PlanRules::default()
        };
        // 1000 − 10 % = 900, financed over 3 months at 2 %: 900·0.02·1.061208/0.061208 = 312.079…
        let q = quote(
            &rules,
            brl("1000"),
            day(2026, 3, 1),
            &request(3, "0", day(2026, 3, 15)),
        )
        .unwrap();
        assert_eq!(q.discount.amount_text(), "100.00");
        assert_eq!(q.instalments.len(), 3);
        assert_eq!(q.instalments[0].number, 1);
        assert_eq!(q.instalments[0].amount.amount_text(), "312.07");
        assert_eq!(q.interest.amount_text(), "36.24");
        assert_eq!(q.total.amount_text(), "936.24");
        assert_eq!(q.instalments[2].amount.amount_text(), "312.10");
        assert_eq!(q.adjustment().amount_text(), "-63.76");
    }

    #[test]
    fn requests_outside_the_rules_name_the_rule() {
        let rules = PlanRules {
            min_instalment: Some(d("50")),
            period: Period::Weekly,
            ..PlanRules::default()
        };
        let today = day(2026, 5, 10);
        let first = day(2026, 5, 20);
        let cases: Vec<(PlanRequest, Money, PlanError)> = vec![
            (
                request(7, "100", first),
                brl("1000"),
                PlanError::TooManyInstalments { max: 6 },
            ),
            (
                request(0, "100", first),
                brl("1000"),
                PlanError::NoInstalments,
            ),
            (
                request(3, "99.99", first),
                brl("1000"),
                PlanError::DownPaymentTooLow { min: brl("100.00") },
            ),
            (
                request(3, "1000", first),
                brl("1000"),
                PlanError::DownPaymentAboveTotal { max: brl("999.99") },
            ),
            (
                request(3, "100", today),
                brl("1000"),
                PlanError::FirstDueOutOfRange {
                    latest: day(2026, 6, 9),
                },
            ),
            (
                request(3, "100", day(2026, 6, 10)),
                brl("1000"),
                PlanError::FirstDueOutOfRange {
                    latest: day(2026, 6, 9),
                },
            ),
            (
                request(6, "20", first),
                brl("200"),
                PlanError::InstalmentTooSmall { min: brl("50.00") },
            ),
            (request(1, "0", first), brl("0"), PlanError::NothingToPlan),
            (
                PlanRequest {
                    down_payment: Money::new(d("100"), Currency::Usd),
                    ..request(3, "0", first)
                },
                brl("1000"),
                PlanError::Currency(MoneyError::CurrencyMismatch(Currency::Brl, Currency::Usd)),
            ),
        ];
        for (req, balance, want) in cases {
            assert_eq!(
                quote(&rules, balance, today, &req),
                Err(want.clone()),
                "{req:?}"
            );
            assert!(!want.field().is_empty());
        }
        let ok = quote(&rules, brl("1000"), today, &request(6, "100", first)).unwrap();
        let dates: Vec<_> = ok.instalments.iter().skip(1).map(|i| i.due_on).collect();
        assert_eq!(dates[1], day(2026, 5, 27));
    }

    #[test]
    fn clp_has_no_decimals() {
        let balance = Money::new(d("100000"), Currency::Clp);
        let req = PlanRequest {
            instalments: 3,
            down_payment: Money::new(d("10000"), Currency::Clp),
            first_due_on: day(2026, 1, 15),
        };
        let q = quote(&PlanRules::default(), balance, day(2026, 1, 1), &req).unwrap();
        let amounts: Vec<_> = q
            .instalments
            .iter()
            .map(|i| i.amount.amount_text())
            .collect();
        assert_eq!(amounts, ["10000", "30000", "30000", "30000"]);
    }

    #[test]
    fn rule_sets_pick_the_segment_and_name_bad_fields() {
        let mut set = PlanRuleSet::default();
        set.segments.insert(
            "vip".into(),
            PlanRules {
                max_instalments: 12,
                ..PlanRules::default()
            },
        );
        assert_eq!(set.for_segment(Some("vip")).max_instalments, 12);
        assert_eq!(set.for_segment(Some("other")).max_instalments, 6);
        assert_eq!(set.for_segment(None).max_instalments, 6);
        assert!(set.validate().is_ok());
        set.segments.get_mut("vip").unwrap().max_instalments = 61;
        assert_eq!(
            set.validate().unwrap_err().field,
            "segments.vip.max_instalments"
        );
        set.segments.get_mut("vip").unwrap().max_instalments = 6;
        set.default.discount_pct = d("91");
        assert_eq!(set.validate().unwrap_err().field, "default.discount_pct");
        let parsed: Result<PlanRuleSet, _> =
            serde_json::from_value(serde_json::json!({"default": {"max_instalment": 3}}));
        assert!(parsed.is_err());
        let parsed: PlanRuleSet =
            serde_json::from_value(serde_json::json!({"default": {"period": "biweekly"}})).unwrap();
        assert_eq!(parsed.default.period, Period::Biweekly);
        assert_eq!(parsed.default.max_instalments, 6);
    }

    #[test]
    fn proportional_splits_sum_exactly() {
        let parts = split_proportionally(d("-100.00"), &[d("1"), d("1"), d("1")], Currency::Brl);
        assert_eq!(parts, [d("-33.33"), d("-33.33"), d("-33.34")]);
    }

    proptest! {
        #[test]
        fn quotes_sum_to_the_total_within_the_rules(
            balance_minor in 0i64..100_000_000,
            down_pct in 0u32..110,
            n in 0u32..70,
            first_in in 0u32..40,
            interest_tenths in 0u32..200,
            discount in 0u32..90,
            period in 0usize..3,
            ci in 0usize..8,
        ) {
            let currency = Currency::ALL[ci];
            let balance = Money::from_minor(balance_minor, currency);
            let rules = PlanRules {
                max_instalments: 24,
                min_down_payment_pct: Decimal::from(5),
                monthly_interest_pct: Decimal::new(i64::from(interest_tenths), 1),
                discount_pct: Decimal::from(discount),
                period: [Period::Weekly, Period::Biweekly, Period::Monthly][period],
                ..PlanRules::default()
            };
            let down = round_minor(balance.amount * Decimal::from(down_pct) / Decimal::ONE_HUNDRED, currency);
            let today = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
            let req = PlanRequest {
                instalments: n,
                down_payment: Money::new(down, currency),
                first_due_on: today + chrono::Days::new(u64::from(first_in)),
            };
            if let Ok(q) = quote(&rules, balance, today, &req) {
                let sum: Decimal = q.instalments.iter().map(|i| i.amount.amount).sum();
                prop_assert_eq!(sum, q.total.amount);
                prop_assert_eq!(q.total.amount, q.balance.amount - q.discount.amount + q.interest.amount);
                prop_assert!(q.instalments.iter().all(|i| i.amount.amount > Decimal::ZERO));
                prop_assert!(q.instalments.windows(2).all(|w| w[0].due_on < w[1].due_on));
                prop_assert!(q.instalments.len() as u32 <= rules.max_instalments + 1);
                prop_assert!(q.instalments.iter().all(|i| i.amount.amount.normalize().scale() <= currency.minor_units()));
                prop_assert!(q.interest.amount >= Decimal::ZERO);
            }
        }

        #[test]
        fn splits_always_sum(amount in -1_000_000i64..1_000_000, weights in proptest::collection::vec(0i64..1_000_000, 1..6)) {
            let w: Vec<Decimal> = weights.iter().map(|x| Decimal::new(*x, 2)).collect();
            let parts = split_proportionally(Decimal::new(amount, 2), &w, Currency::Usd);
            prop_assert_eq!(parts.iter().copied().sum::<Decimal>(), Decimal::new(amount, 2));
        }
    }
}
