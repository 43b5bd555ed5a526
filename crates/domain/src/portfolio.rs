//! The portfolio: tenants, debtors, their contact points and preferences, debts, payments,
//! promises and disputes, and the rules that move a debt between statuses.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc, Weekday};
use serde::{Deserialize, Serialize};

use crate::{
    ContactPointId, Country, DebtId, DebtorId, DisputeId, Money, MoneyError, PaymentId, PromiseId,
    TenantId,
};

/// Declares a string-backed enum with `as_str`, `FromStr` (naming the accepted values on error)
/// and serde in snake_case.
macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident, $what:literal { $($variant:ident => $s:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::portfolio::UnknownValue;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                let trimmed = text.trim();
                $(if trimmed.eq_ignore_ascii_case($s) { return Ok($name::$variant); })+
                Err($crate::portfolio::UnknownValue { what: $what, value: text.to_string(), expected: &[$($s),+] })
            }
        }
    };
}
pub(crate) use string_enum;

/// A value outside a closed set, with the set it should have come from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{value}` (expected one of: {})", expected.join(", "))]
pub struct UnknownValue {
    pub what: &'static str,
    pub value: String,
    pub expected: &'static [&'static str],
}

string_enum!(/// Person or business: drives tone, channels and law (consumer protection applies to persons).
    DebtorKind, "debtor kind" { Person => "person", Business => "business" });
string_enum!(/// The languages the product speaks.
    Language, "language" { Es => "es", Pt => "pt", En => "en" });
string_enum!(/// A contact channel.
    Channel, "channel" { Email => "email", Sms => "sms", Whatsapp => "whatsapp", Voice => "voice", Letter => "letter" });
string_enum!(/// Whether the debtor agreed to be contacted on a contact point.
    ConsentStatus, "consent status" { Unknown => "unknown", Granted => "granted", Denied => "denied", OptedOut => "opted_out" });
string_enum!(/// Lifecycle of a debt.
    DebtStatus, "debt status" { Open => "open", Promised => "promised", Plan => "plan", Disputed => "disputed", Paid => "paid", WrittenOff => "written_off" });
string_enum!(/// Lifecycle of a promise to pay.
    PromiseStatus, "promise status" { Pending => "pending", Kept => "kept", Broken => "broken", Cancelled => "cancelled" });
string_enum!(/// Lifecycle of a dispute.
    DisputeStatus, "dispute status" { Open => "open", Upheld => "upheld", Rejected => "rejected" });

impl Channel {
    /// Channels whose address is a phone number.
    pub fn is_phone(self) -> bool {
        matches!(self, Channel::Sms | Channel::Whatsapp | Channel::Voice)
    }
}

/// A collecting company. Every object belongs to exactly one tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Tenant {
    pub id: TenantId,
    pub name: String,
    pub country: Country,
    /// IANA time zone used for debtors that have none.
    pub timezone: String,
    pub currency: crate::Currency,
    pub language: Language,
    /// The law its contacts follow and the public holidays they skip: the country's, or one of
    /// its states' (`BR-SP`, `BR-RJ`). Defaults to the country's.
    #[schema(value_type = String, example = "BR-SP")]
    pub jurisdiction: crate::calendar::Jurisdiction,
    pub created_at: DateTime<Utc>,
}

/// A postal address, for letters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PostalAddress {
    pub line1: String,
    #[serde(default)]
    pub line2: Option<String>,
    pub city: String,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub postal_code: Option<String>,
    pub country: Country,
}

impl PostalAddress {
    /// One line per part, as printed in a letter's address block.
    pub fn formatted(&self) -> String {
        let mut lines = vec![self.line1.clone()];
        if let Some(l2) = self.line2.as_deref().filter(|s| !s.is_empty()) {
            lines.push(l2.to_string());
        }
        let mut city = self.city.clone();
        if let Some(region) = self.region.as_deref().filter(|s| !s.is_empty()) {
            city = format!("{city} - {region}");
        }
        if let Some(pc) = self.postal_code.as_deref().filter(|s| !s.is_empty()) {
            city = format!("{city} {pc}");
        }
        lines.push(city);
        lines.push(self.country.code().to_string());
        lines.join("\n")
    }
}

/// Consent on one contact point: what, where it came from, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Consent {
    pub status: ConsentStatus,
    /// Where consent was collected (`signup_form`, `contract`, `import`, `portal`, …).
    pub source: Option<String>,
    pub at: Option<DateTime<Utc>>,
}

impl Default for Consent {
    fn default() -> Self {
        Consent {
            status: ConsentStatus::Unknown,
            source: None,
            at: None,
        }
    }
}

impl Consent {
    /// The opt-out time a new contact point records with this consent at `now`: the consent's
    /// own time (or `now`) for an opt-out, `None` for any other consent.
    pub fn opted_out_at(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        (self.status == ConsentStatus::OptedOut).then(|| self.at.unwrap_or(now))
    }
}

/// One way to reach a debtor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ContactPoint {
    pub id: ContactPointId,
    pub debtor_id: DebtorId,
    pub channel: Channel,
    /// Normalised address: E.164 for phones, lower-cased email, the formatted postal address.
    pub address: String,
    /// The structured postal address of a `letter` point.
    // Boxed: the planner moves millions of contact points a day, nearly all without one.
    #[schema(value_type = Option<PostalAddress>)]
    pub postal: Option<Box<PostalAddress>>,
    pub verified: bool,
    pub consent: Consent,
    pub opted_out_at: Option<DateTime<Utc>>,
    /// Lower is tried first among the debtor's points of one channel.
    pub priority: i32,
    pub bounce_count: i32,
    pub created_at: DateTime<Utc>,
}

/// Hard failures (bounces, invalid numbers) after which a contact point is not used any more.
pub const UNUSABLE_AFTER_HARD_FAILURES: i32 = 3;

impl ContactPoint {
    /// **Rule: a point that failed hard [`UNUSABLE_AFTER_HARD_FAILURES`] times is not used**:
    /// neither planned on nor sent to; the step falls back to another channel.
    pub fn is_unusable(&self) -> bool {
        self.bounce_count >= UNUSABLE_AFTER_HARD_FAILURES
    }

    /// Whether the debtor opted out of it (stamped, or by its consent).
    pub fn is_opted_out(&self) -> bool {
        self.opted_out_at.is_some() || self.consent.status == ConsentStatus::OptedOut
    }

    /// Whether a message may go to it at all: not opted out and not unusable.
    pub fn is_reachable(&self) -> bool {
        !self.is_opted_out() && !self.is_unusable()
    }

    /// **Rule: an opt-out is sticky across imports.** What an import that brings `incoming`
    /// for this stored point leaves on it: a point whose consent is `opted_out` keeps its
    /// consent (status, source and time) whatever the import says, any other takes the
    /// import's; an opt-out time once recorded stays, and the import's is recorded only where
    /// there is none. Only an explicit change of consent ([`ContactPoint::set_consent`]) lifts
    /// an opt-out. The import's upsert of `contact_points` applies this rule in SQL.
    pub fn merge_imported_consent(&mut self, incoming: &Consent, now: DateTime<Utc>) {
        if self.consent.status != ConsentStatus::OptedOut {
            self.consent = incoming.clone();
        }
        self.opted_out_at = self.opted_out_at.or(incoming.opted_out_at(now));
    }

    /// An explicit change of consent (the API, the debtor in the portal), at `now`: the
    /// consent replaces the point's (stamped `now` when it has no time); an opt-out keeps the
    /// time of an earlier one, any other consent clears it.
    pub fn set_consent(&mut self, consent: Consent, now: DateTime<Utc>) {
        self.opted_out_at = if consent.status == ConsentStatus::OptedOut {
            Some(self.opted_out_at.unwrap_or(now))
        } else {
            None
        };
        self.consent = Consent {
            at: consent.at.or(Some(now)),
            ..consent
        };
    }
}

/// A span of local hours, `from` inclusive, `to` exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HourWindow {
    #[schema(value_type = String, example = "09:00")]
    pub from: NaiveTime,
    #[schema(value_type = String, example = "18:00")]
    pub to: NaiveTime,
}

/// What the debtor asked for: when and how to be contacted.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Preferences {
    /// Days the debtor accepts contact; empty means no restriction of their own.
    #[serde(default)]
    #[schema(value_type = Vec<String>, example = json!(["mon", "tue", "wed"]))]
    pub allowed_weekdays: Vec<WeekdayName>,
    #[serde(default)]
    pub allowed_hours: Option<HourWindow>,
    #[serde(default)]
    pub preferred_channel: Option<Channel>,
    #[serde(default)]
    pub language: Option<Language>,
    #[serde(default)]
    pub paperless: bool,
}

/// A weekday written `mon`…`sun`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WeekdayName(pub Weekday);

impl Serialize for WeekdayName {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.to_string().to_lowercase())
    }
}

impl<'de> Deserialize<'de> for WeekdayName {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse::<Weekday>()
            .map(WeekdayName)
            .map_err(|_| serde::de::Error::custom(format!("`{text}` is not a weekday (mon…sun)")))
    }
}

/// A person or business that owes money to the tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Debtor {
    pub id: DebtorId,
    /// The tenant's own id for the debtor; unique per tenant.
    pub external_id: String,
    pub kind: DebtorKind,
    pub name: String,
    /// `cpf`, `cnpj`, `rut`, `cc`, `nit`, `curp`, `rfc`, `dni`, `nie`, `ssn_last4`, …
    pub document_type: Option<String>,
    pub document_number: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub language: Language,
    /// IANA time zone, e.g. `America/Bogota`.
    pub timezone: String,
    pub country: Country,
    /// The tenant's segment (from an import or the API), if it gave one: it wins over
    /// `computed_segment` wherever a segment is read (strategies, filters).
    pub segment: Option<String>,
    /// The segment the planner last assigned from the segment rules (`None`: not planned yet,
    /// or no rule holds). Read only; the tenant's `segment` overrides it.
    #[serde(default)]
    pub computed_segment: Option<String>,
    pub tags: Vec<String>,
    /// Free attributes from the tenant's systems (a JSON object).
    #[schema(value_type = Object)]
    pub attributes: serde_json::Value,
    pub preferences: Preferences,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Debtor {
    /// The segment strategies read: the tenant's when it gave one, else the planner's.
    pub fn effective_segment(&self) -> Option<&str> {
        self.segment.as_deref().or(self.computed_segment.as_deref())
    }
}

/// Checks an IANA zone name.
pub fn parse_timezone(name: &str) -> Result<chrono_tz::Tz, UnknownValue> {
    name.trim()
        .parse::<chrono_tz::Tz>()
        .map_err(|_| UnknownValue {
            what: "time zone",
            value: name.to_string(),
            expected: &["an IANA name such as America/Sao_Paulo"],
        })
}

/// Money owed by a debtor: one invoice, loan installment or bill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Debt {
    pub id: DebtId,
    pub debtor_id: DebtorId,
    /// The tenant's own id for the debt; unique per tenant.
    pub external_id: String,
    pub original: Money,
    pub balance: Money,
    pub issued_on: NaiveDate,
    pub due_on: NaiveDate,
    /// Product or portfolio (e.g. `electricity`, `personal_loan`).
    pub product: Option<String>,
    pub status: DebtStatus,
    /// The strategy the debt follows, once the planner chose one.
    #[serde(default)]
    pub strategy: Option<StrategyAssignment>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The strategy a debt follows: the version it started with (a debt keeps it unless moved
/// explicitly) and the experiment arms it was assigned, by experiment id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StrategyAssignment {
    pub strategy: String,
    pub version: u32,
    #[serde(default)]
    pub arms: std::collections::BTreeMap<String, String>,
    pub started_at: DateTime<Utc>,
}

impl StrategyAssignment {
    /// **Rule: a debt keeps the strategy version it started with.** Of the assignment stored
    /// for a debt and one proposed for it (by a planner that read the debt before another
    /// stored one), the stored one stays; the proposed one is taken only by a debt without
    /// any. Moving a debt to another strategy or version is an explicit act, never a plan's.
    /// The planner chooses a strategy only for a debt without one, and its write of
    /// `debtor_plans.strategies` applies this rule in SQL (stored entries win the JSON merge).
    pub fn kept<'a>(
        stored: Option<&'a StrategyAssignment>,
        proposed: &'a StrategyAssignment,
    ) -> &'a StrategyAssignment {
        stored.unwrap_or(proposed)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DebtRuleError {
    #[error("amount must be greater than zero")]
    NotPositive,
    #[error(transparent)]
    Money(#[from] MoneyError),
    #[error("the debt is {0} and accepts no {1}")]
    WrongStatus(DebtStatus, &'static str),
    #[error("promise date {0} is before today ({1})")]
    PromiseInPast(NaiveDate, NaiveDate),
    #[error(
        "the payment of {amount} is above the balance of {balance}; send `allow_overpayment: true` to keep the difference as the debtor's credit"
    )]
    Overpayment { amount: Money, balance: Money },
}

/// What recording a payment did to a debt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentEffect {
    pub balance_before: Money,
    pub balance_after: Money,
    /// The part of the payment above the balance (kept as the debtor's credit, never a negative
    /// balance); zero unless the overpayment was allowed.
    pub credit: Money,
    pub became_paid: bool,
}

impl Debt {
    pub fn days_past_due(&self, today: NaiveDate) -> i64 {
        (today - self.due_on).num_days().max(0)
    }

    /// Whether the debt still takes part in collection.
    pub fn is_active(&self) -> bool {
        !matches!(self.status, DebtStatus::Paid | DebtStatus::WrittenOff)
    }

    /// Records a payment: lowers the balance (never below zero); a debt at zero becomes paid.
    ///
    /// **Rule: a payment above the balance is refused** ([`DebtRuleError::Overpayment`]) unless
    /// `allow_overpayment`: then the difference is the debtor's credit ([`PaymentEffect::credit`]).
    pub fn apply_payment(
        &mut self,
        amount: Money,
        allow_overpayment: bool,
    ) -> Result<PaymentEffect, DebtRuleError> {
        if amount.amount <= rust_decimal::Decimal::ZERO {
            return Err(DebtRuleError::NotPositive);
        }
        if self.status == DebtStatus::WrittenOff {
            return Err(DebtRuleError::WrongStatus(self.status, "payment"));
        }
        let before = self.balance;
        let raw = before.checked_sub(amount)?;
        let (after, credit) = if raw.amount < rust_decimal::Decimal::ZERO {
            if !allow_overpayment {
                return Err(DebtRuleError::Overpayment {
                    amount,
                    balance: before,
                });
            }
            (
                Money::zero(before.currency),
                Money::new(-raw.amount, before.currency),
            )
        } else {
            (raw, Money::zero(before.currency))
        };
        self.balance = after;
        let became_paid = after.is_zero_or_less() && self.status != DebtStatus::Paid;
        if after.is_zero_or_less() {
            self.status = DebtStatus::Paid;
        }
        Ok(PaymentEffect {
            balance_before: before,
            balance_after: after,
            credit,
            became_paid,
        })
    }

    /// A promise pauses collection: an open debt becomes `promised`.
    pub fn apply_promise(
        &mut self,
        amount: Money,
        due_on: NaiveDate,
        today: NaiveDate,
    ) -> Result<(), DebtRuleError> {
        if amount.amount <= rust_decimal::Decimal::ZERO {
            return Err(DebtRuleError::NotPositive);
        }
        if amount.currency != self.balance.currency {
            return Err(
                MoneyError::CurrencyMismatch(self.balance.currency, amount.currency).into(),
            );
        }
        if !matches!(self.status, DebtStatus::Open | DebtStatus::Promised) {
            return Err(DebtRuleError::WrongStatus(self.status, "promise"));
        }
        if due_on < today {
            return Err(DebtRuleError::PromiseInPast(due_on, today));
        }
        self.status = DebtStatus::Promised;
        Ok(())
    }

    /// A dispute stops collection until it is resolved.
    pub fn apply_dispute_opened(&mut self) -> Result<(), DebtRuleError> {
        if !self.is_active() {
            return Err(DebtRuleError::WrongStatus(self.status, "dispute"));
        }
        self.status = DebtStatus::Disputed;
        Ok(())
    }

    /// Resolving a dispute returns the debt to collection (or closes it when upheld in full).
    pub fn apply_dispute_resolved(&mut self, upheld: bool) {
        if self.status != DebtStatus::Disputed {
            return;
        }
        self.status = if upheld {
            DebtStatus::WrittenOff
        } else if self.balance.is_zero_or_less() {
            DebtStatus::Paid
        } else {
            DebtStatus::Open
        };
    }

    /// A promise ended (kept, broken or cancelled). **Rule: a debt leaves `promised` only when
    /// no other promise of it is still pending** (`others_pending`); then it returns to open, or
    /// to paid at a zero balance.
    pub fn apply_promise_ended(&mut self, others_pending: bool) {
        if self.status == DebtStatus::Promised && !others_pending {
            self.status = if self.balance.is_zero_or_less() {
                DebtStatus::Paid
            } else {
                DebtStatus::Open
            };
        }
    }
}

/// Money received against a debt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Payment {
    pub id: PaymentId,
    pub debt_id: DebtId,
    pub amount: Money,
    /// `manual`, `pix`, `card`, `transfer`, `cash`, …
    pub method: String,
    pub provider_ref: Option<String>,
    pub received_at: DateTime<Utc>,
    /// The part of the payment above the balance, kept as the debtor's credit (only when the
    /// request allowed an overpayment); `null` otherwise.
    pub credit: Option<Money>,
}

/// A debtor's promise to pay an amount by a date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Promise {
    pub id: PromiseId,
    pub debt_id: DebtId,
    pub amount: Money,
    pub due_on: NaiveDate,
    pub channel: Option<Channel>,
    pub status: PromiseStatus,
    pub created_at: DateTime<Utc>,
    /// When the promise stopped being pending; `null` while it is.
    pub closed_at: Option<DateTime<Utc>>,
    /// Who closed it: `payments` (paid in full by its date plus the grace days), `schedule`
    /// (not paid in full by then), or the operator (`api_key:<key prefix>`) who overrode it.
    pub closed_by: Option<String>,
    /// Why: the settlement's explanation, or the reason the operator gave.
    pub close_reason: Option<String>,
}

/// The days after a promise's date during which a payment still keeps it, while the tenant's
/// contact rules do not set their own: none, the promise is due on its date.
pub const DEFAULT_PROMISE_GRACE_DAYS: u32 = 0;

/// Who closes a promise that payments kept.
pub const CLOSED_BY_PAYMENTS: &str = "payments";
/// Who closes a promise that was not paid in full by its date plus the grace days.
pub const CLOSED_BY_SCHEDULE: &str = "schedule";

/// What settling a debt's promises decided for one of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromiseSettlement {
    pub promise_id: PromiseId,
    /// `kept` or `broken`.
    pub status: PromiseStatus,
    /// When it happened: the payment that completed it, or the end of its last grace day.
    pub at: DateTime<Utc>,
    /// What the payments brought to it.
    pub paid: Money,
    /// The last day (local) a payment counts for it: its date plus the grace days.
    pub deadline: NaiveDate,
}

/// **Rule: a promise is kept by payments, in full, by its date plus the grace days; broken
/// otherwise.** Of a debt's `promises` (pending ones are decided; ones `payments` already kept
/// take their share first) and its `payments`, each payment counts for the promises, earliest
/// due first, made on or before the (local) day it was received, until its amount is used up: a
/// payment is never counted twice. A pending promise its payments cover is kept at the payment
/// that completed it; one still short after its `deadline` (`due_on` + `grace_days`, local days
/// in `tz`) while `today` is later, is broken at the end of that day, and what it had taken is
/// left for the later promises. Any other promise stays pending. Cancelled, broken and manually
/// closed promises take no part. When the debt is paid off (`paid_off`: when its balance reached
/// zero), nothing more is owed: a pending promise made by then whose deadline that day is not
/// past is kept then, even if it named more than was left to pay.
pub fn settle_promises(
    promises: &[Promise],
    payments: &[Payment],
    grace_days: u32,
    today: NaiveDate,
    tz: chrono_tz::Tz,
    paid_off: Option<DateTime<Utc>>,
) -> Vec<PromiseSettlement> {
    let local = |at: DateTime<Utc>| at.with_timezone(&tz).date_naive();
    let mut taking: Vec<&Promise> = promises
        .iter()
        .filter(|p| {
            p.status == PromiseStatus::Pending
                || (p.status == PromiseStatus::Kept
                    && p.closed_by.as_deref() == Some(CLOSED_BY_PAYMENTS))
        })
        .collect();
    taking.sort_by_key(|p| (p.due_on, p.created_at, p.id));
    let mut paid: Vec<&Payment> = payments.iter().collect();
    paid.sort_by_key(|p| (p.received_at, p.id));
    // What is left of each payment (payments in another currency count for nothing).
    let mut left: Vec<rust_decimal::Decimal> = paid.iter().map(|p| p.amount.amount).collect();
    let mut out = vec![];
    for promise in taking {
        let deadline = promise
            .due_on
            .checked_add_days(chrono::Days::new(u64::from(grace_days)))
            .unwrap_or(promise.due_on);
        let made_on = local(promise.created_at);
        let mut need = promise.amount.amount;
        let mut taken = vec![];
        let mut completed_at = None;
        for (index, payment) in paid.iter().enumerate() {
            if need <= rust_decimal::Decimal::ZERO {
                break;
            }
            let day = local(payment.received_at);
            if payment.amount.currency != promise.amount.currency
                || day < made_on
                || day > deadline
                || left[index] <= rust_decimal::Decimal::ZERO
            {
                continue;
            }
            let take = left[index].min(need);
            left[index] -= take;
            need -= take;
            taken.push((index, take));
            if need <= rust_decimal::Decimal::ZERO {
                completed_at = Some(payment.received_at);
            }
        }
        if completed_at.is_none() {
            completed_at = paid_off.filter(|at| (made_on..=deadline).contains(&local(*at)));
        }
        let brought: rust_decimal::Decimal = taken.iter().map(|(_, take)| *take).sum();
        let brought = Money::new(brought, promise.amount.currency);
        if promise.status != PromiseStatus::Pending {
            continue;
        }
        if let Some(at) = completed_at {
            out.push(PromiseSettlement {
                promise_id: promise.id,
                status: PromiseStatus::Kept,
                at,
                paid: brought,
                deadline,
            });
        } else if today > deadline {
            for (index, take) in taken {
                left[index] += take;
            }
            let end = deadline
                .succ_opt()
                .and_then(|day| day.and_hms_opt(0, 0, 0))
                .and_then(|midnight| midnight.and_local_timezone(tz).earliest())
                .map(|at| at.with_timezone(&Utc))
                .unwrap_or(promise.created_at);
            out.push(PromiseSettlement {
                promise_id: promise.id,
                status: PromiseStatus::Broken,
                at: end,
                paid: brought,
                deadline,
            });
        }
    }
    out
}

/// A debtor's objection to a debt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Dispute {
    pub id: DisputeId,
    pub debt_id: DebtId,
    pub reason: String,
    pub status: DisputeStatus,
    pub opened_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Currency;

    fn instant(seconds: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_790_000_000 + seconds, 0).unwrap()
    }

    fn consent(status: ConsentStatus, source: &str, at: i64) -> Consent {
        Consent {
            status,
            source: Some(source.into()),
            at: Some(instant(at)),
        }
    }

    fn point(consent: Consent, opted_out_at: Option<DateTime<Utc>>) -> ContactPoint {
        ContactPoint {
            id: ContactPointId::generate(),
            debtor_id: DebtorId::generate(),
            channel: Channel::Sms,
            address: "+5511987654321".into(),
            postal: None,
            verified: false,
            consent,
            opted_out_at,
            priority: 0,
            bounce_count: 0,
            created_at: instant(0),
        }
    }

    #[test]
    fn an_opt_out_is_sticky_across_imports() {
        use ConsentStatus::*;
        let now = instant(1_000);
        let stored_out = consent(OptedOut, "portal", 10);
        // (stored consent, stored opt-out time, imported consent,
        //  consent after, opt-out time after)
        let cases = [
            // An opt-out stays whatever the import says, with its source and time.
            (
                stored_out.clone(),
                Some(instant(10)),
                consent(Granted, "import", 500),
                stored_out.clone(),
                Some(instant(10)),
            ),
            (
                stored_out.clone(),
                Some(instant(10)),
                consent(Unknown, "import", 500),
                stored_out.clone(),
                Some(instant(10)),
            ),
            (
                stored_out.clone(),
                Some(instant(10)),
                consent(Denied, "import", 500),
                stored_out.clone(),
                Some(instant(10)),
            ),
            (
                stored_out.clone(),
                Some(instant(10)),
                consent(OptedOut, "import", 500),
                stored_out.clone(),
                Some(instant(10)),
            ),
            // Any other consent takes the import's.
            (
                consent(Granted, "contract", 10),
                None,
                consent(Denied, "import", 500),
                consent(Denied, "import", 500),
                None,
            ),
            (
                consent(Unknown, "contract", 10),
                None,
                consent(Granted, "import", 500),
                consent(Granted, "import", 500),
                None,
            ),
            (
                consent(Denied, "contract", 10),
                None,
                consent(Unknown, "import", 500),
                consent(Unknown, "import", 500),
                None,
            ),
            // An opt-out in the import is recorded, at its own time or at the import's.
            (
                consent(Granted, "contract", 10),
                None,
                consent(OptedOut, "import", 500),
                consent(OptedOut, "import", 500),
                Some(instant(500)),
            ),
            (
                consent(Granted, "contract", 10),
                None,
                Consent {
                    status: OptedOut,
                    source: None,
                    at: None,
                },
                Consent {
                    status: OptedOut,
                    source: None,
                    at: None,
                },
                Some(now),
            ),
            // An opt-out time already recorded is never moved nor cleared.
            (
                consent(Granted, "portal", 20),
                Some(instant(10)),
                consent(OptedOut, "import", 500),
                consent(OptedOut, "import", 500),
                Some(instant(10)),
            ),
            (
                consent(Granted, "portal", 20),
                Some(instant(10)),
                consent(Granted, "import", 500),
                consent(Granted, "import", 500),
                Some(instant(10)),
            ),
        ];
        for (i, (stored, stored_at, incoming, consent_after, at_after)) in
            cases.into_iter().enumerate()
        {
            let mut cp = point(stored, stored_at);
            cp.merge_imported_consent(&incoming, now);
            assert_eq!(
                (cp.consent, cp.opted_out_at),
                (consent_after, at_after),
                "case {i}"
            );
        }
    }

    #[test]
    fn an_explicit_change_of_consent_replaces_it() {
        use ConsentStatus::*;
        let now = instant(1_000);
        // (stored opt-out time, new consent, consent after, opt-out time after)
        let no_time = |status| Consent {
            status,
            source: Some("portal".into()),
            at: None,
        };
        let stamped = |status| Consent {
            status,
            source: Some("portal".into()),
            at: Some(now),
        };
        let cases = [
            (
                Some(instant(10)),
                consent(Granted, "portal", 500),
                consent(Granted, "portal", 500),
                None,
            ),
            (
                Some(instant(10)),
                no_time(OptedOut),
                stamped(OptedOut),
                Some(instant(10)),
            ),
            (None, no_time(OptedOut), stamped(OptedOut), Some(now)),
            (
                None,
                consent(OptedOut, "portal", 500),
                consent(OptedOut, "portal", 500),
                Some(now),
            ),
            (None, no_time(Denied), stamped(Denied), None),
        ];
        for (i, (stored_at, new, consent_after, at_after)) in cases.into_iter().enumerate() {
            let mut cp = point(consent(OptedOut, "import", 5), stored_at);
            cp.set_consent(new, now);
            assert_eq!(
                (cp.consent, cp.opted_out_at),
                (consent_after, at_after),
                "case {i}"
            );
        }
    }

    #[test]
    fn a_debt_keeps_the_strategy_version_it_started_with() {
        let assignment = |strategy: &str, version, started| StrategyAssignment {
            strategy: strategy.into(),
            version,
            arms: [("wa-vs-sms".to_string(), "A".to_string())].into(),
            started_at: instant(started),
        };
        let proposed = assignment("consumer", 3, 100);
        // (stored, the one the debt follows)
        let cases = [
            (None, &proposed),
            (
                Some(assignment("consumer", 2, 10)),
                &assignment("consumer", 2, 10),
            ),
            (
                Some(assignment("consumer", 3, 10)),
                &assignment("consumer", 3, 10),
            ),
            (
                Some(assignment("business", 1, 10)),
                &assignment("business", 1, 10),
            ),
            (
                Some(assignment("consumer", 4, 200)),
                &assignment("consumer", 4, 200),
            ),
        ];
        for (i, (stored, follows)) in cases.iter().enumerate() {
            assert_eq!(
                StrategyAssignment::kept(stored.as_ref(), &proposed),
                *follows,
                "case {i}"
            );
        }
    }

    fn debt(balance: i64) -> Debt {
        let now = DateTime::<Utc>::from_timestamp(1_790_000_000, 0).unwrap();
        Debt {
            id: DebtId::generate(),
            debtor_id: DebtorId::generate(),
            external_id: "D1".into(),
            original: Money::from_minor(10_000, Currency::Brl),
            balance: Money::from_minor(balance, Currency::Brl),
            issued_on: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            due_on: NaiveDate::from_ymd_opt(2026, 2, 1).unwrap(),
            product: None,
            status: DebtStatus::Open,
            strategy: None,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn payments_lower_the_balance_and_close_the_debt_at_zero() {
        // (balance, payment, overpayment allowed, balance after, credit, status after)
        let cases = [
            (10_000, 2_500, false, 7_500, 0, DebtStatus::Open),
            (10_000, 10_000, false, 0, 0, DebtStatus::Paid),
            (10_000, 12_000, true, 0, 2_000, DebtStatus::Paid),
            (10_000, 10_000, true, 0, 0, DebtStatus::Paid),
            (1, 1, false, 0, 0, DebtStatus::Paid),
        ];
        for (bal, pay, allow, after, credit, status) in cases {
            let mut d = debt(bal);
            let eff = d
                .apply_payment(Money::from_minor(pay, Currency::Brl), allow)
                .unwrap();
            assert_eq!(d.balance, Money::from_minor(after, Currency::Brl));
            assert_eq!(eff.credit, Money::from_minor(credit, Currency::Brl));
            assert_eq!(d.status, status);
            assert_eq!(eff.became_paid, status == DebtStatus::Paid);
        }
    }

    #[test]
    fn a_payment_above_the_balance_is_refused_unless_allowed() {
        // (balance, payment, refused)
        let cases = [
            (10_000, 10_001, true),
            (0, 1, true),
            (10_000, 10_000, false),
        ];
        for (bal, pay, refused) in cases {
            let mut d = debt(bal);
            let before = d.clone();
            let got = d.apply_payment(Money::from_minor(pay, Currency::Brl), false);
            if refused {
                assert_eq!(
                    got,
                    Err(DebtRuleError::Overpayment {
                        amount: Money::from_minor(pay, Currency::Brl),
                        balance: Money::from_minor(bal, Currency::Brl),
                    }),
                    "{bal} {pay}"
                );
                assert_eq!(d, before, "a refused payment changes nothing");
            } else {
                assert!(got.is_ok(), "{bal} {pay}: {got:?}");
            }
        }
    }

    fn promise(amount: i64, due: u32, made: u32, status: PromiseStatus) -> Promise {
        Promise {
            id: PromiseId::generate(),
            debt_id: DebtId::generate(),
            amount: Money::from_minor(amount, Currency::Brl),
            due_on: NaiveDate::from_ymd_opt(2026, 3, due).unwrap(),
            channel: None,
            status,
            created_at: noon(made),
            closed_at: None,
            closed_by: (status == PromiseStatus::Kept).then(|| CLOSED_BY_PAYMENTS.to_string()),
            close_reason: None,
        }
    }

    /// Noon of a March 2026 day in São Paulo (15:00 UTC).
    fn noon(day: u32) -> DateTime<Utc> {
        NaiveDate::from_ymd_opt(2026, 3, day)
            .unwrap()
            .and_hms_opt(15, 0, 0)
            .unwrap()
            .and_utc()
    }

    fn paid(amount: i64, day: u32) -> Payment {
        Payment {
            id: PaymentId::generate(),
            debt_id: DebtId::generate(),
            amount: Money::from_minor(amount, Currency::Brl),
            method: "pix".into(),
            provider_ref: None,
            received_at: noon(day),
            credit: None,
        }
    }

    #[test]
    fn promises_are_kept_by_payments_in_full_by_their_date_plus_grace() {
        use PromiseStatus::{Broken, Kept, Pending};
        let tz = chrono_tz::America::Sao_Paulo;
        // (promises (amount, due day, made day, status), payments (amount, day), grace days,
        //  today, what each promise becomes (None: unchanged), why)
        type Case = (
            Vec<(i64, u32, u32, PromiseStatus)>,
            Vec<(i64, u32)>,
            u32,
            u32,
            Vec<Option<PromiseStatus>>,
            &'static str,
        );
        let cases: Vec<Case> = vec![
            (
                vec![(100, 10, 1, Pending)],
                vec![(100, 9)],
                0,
                9,
                vec![Some(Kept)],
                "paid in full before the date",
            ),
            (
                vec![(100, 10, 1, Pending)],
                vec![(60, 5), (40, 10)],
                0,
                10,
                vec![Some(Kept)],
                "two payments add up",
            ),
            (
                vec![(100, 10, 1, Pending)],
                vec![(60, 5)],
                0,
                10,
                vec![None],
                "short, the day is not over",
            ),
            (
                vec![(100, 10, 1, Pending)],
                vec![(60, 5)],
                0,
                11,
                vec![Some(Broken)],
                "short after the date",
            ),
            (
                vec![(100, 10, 1, Pending)],
                vec![],
                2,
                12,
                vec![None],
                "inside the grace days",
            ),
            (
                vec![(100, 10, 1, Pending)],
                vec![],
                2,
                13,
                vec![Some(Broken)],
                "after the grace days",
            ),
            (
                vec![(100, 10, 1, Pending)],
                vec![(100, 12)],
                2,
                13,
                vec![Some(Kept)],
                "paid on the last grace day",
            ),
            (
                vec![(100, 10, 1, Pending)],
                vec![(100, 13)],
                2,
                13,
                vec![Some(Broken)],
                "paid a day too late",
            ),
            (
                vec![(100, 10, 5, Pending)],
                vec![(100, 4)],
                0,
                11,
                vec![Some(Broken)],
                "a payment before the promise does not count",
            ),
            (
                vec![(100, 10, 1, Pending), (100, 20, 1, Pending)],
                vec![(100, 9)],
                0,
                9,
                vec![Some(Kept), None],
                "the earliest promise takes the payment; the other stays pending",
            ),
            (
                vec![(100, 20, 1, Pending), (100, 10, 1, Pending)],
                vec![(150, 9)],
                0,
                9,
                vec![None, Some(Kept)],
                "earliest due first, whatever the order given",
            ),
            (
                vec![(100, 10, 1, Kept), (100, 20, 1, Pending)],
                vec![(100, 9)],
                0,
                21,
                vec![None, Some(Broken)],
                "a payment is not counted twice",
            ),
            (
                vec![(100, 10, 1, Pending), (100, 20, 1, Pending)],
                vec![(60, 9)],
                0,
                21,
                vec![Some(Broken), Some(Broken)],
                "a broken promise leaves its part to the later one, still short",
            ),
            (
                vec![(100, 10, 1, Pending), (100, 20, 1, Pending)],
                vec![(60, 9), (40, 15)],
                0,
                11,
                vec![Some(Broken), Some(Kept)],
                "a broken promise leaves its part to the later one, now paid",
            ),
            (
                vec![(100, 10, 1, PromiseStatus::Cancelled)],
                vec![],
                0,
                20,
                vec![None],
                "a cancelled promise is not settled",
            ),
        ];
        for (promises, payments, grace, today, want, why) in cases {
            let promises: Vec<Promise> = promises
                .into_iter()
                .map(|(amount, due, made, status)| promise(amount, due, made, status))
                .collect();
            let payments: Vec<Payment> = payments.into_iter().map(|(a, d)| paid(a, d)).collect();
            let today = NaiveDate::from_ymd_opt(2026, 3, today).unwrap();
            let got = settle_promises(&promises, &payments, grace, today, tz, None);
            let got: Vec<Option<PromiseStatus>> = promises
                .iter()
                .map(|p| got.iter().find(|s| s.promise_id == p.id).map(|s| s.status))
                .collect();
            assert_eq!(got, want, "{why}");
        }
    }

    #[test]
    fn a_settlement_says_when_it_happened() {
        let tz = chrono_tz::America::Sao_Paulo;
        let promises = [promise(100, 10, 1, PromiseStatus::Pending)];
        let kept = settle_promises(
            &promises,
            &[paid(30, 3), paid(70, 6)],
            1,
            NaiveDate::from_ymd_opt(2026, 3, 6).unwrap(),
            tz,
            None,
        );
        assert_eq!(kept.len(), 1);
        assert_eq!((kept[0].status, kept[0].at), (PromiseStatus::Kept, noon(6)));
        assert_eq!(kept[0].paid, Money::from_minor(100, Currency::Brl));
        let broken = settle_promises(
            &promises,
            &[paid(30, 3)],
            1,
            NaiveDate::from_ymd_opt(2026, 3, 12).unwrap(),
            tz,
            None,
        );
        // The end of the 11th in São Paulo (UTC-3).
        assert_eq!(
            (broken[0].status, broken[0].at.to_rfc3339()),
            (
                PromiseStatus::Broken,
                "2026-03-12T03:00:00+00:00".to_string()
            )
        );
        assert_eq!(broken[0].paid, Money::from_minor(30, Currency::Brl));
        assert_eq!(
            broken[0].deadline,
            NaiveDate::from_ymd_opt(2026, 3, 11).unwrap()
        );
    }

    #[test]
    fn a_debt_paid_off_keeps_its_pending_promises() {
        let tz = chrono_tz::America::Sao_Paulo;
        // A promise of 100 on a debt whose last 80 were paid on the 6th.
        let promises = [promise(100, 10, 1, PromiseStatus::Pending)];
        let payments = [paid(80, 6)];
        let today = NaiveDate::from_ymd_opt(2026, 3, 6).unwrap();
        let kept = settle_promises(&promises, &payments, 0, today, tz, Some(noon(6)));
        assert_eq!(kept.len(), 1);
        assert_eq!((kept[0].status, kept[0].at), (PromiseStatus::Kept, noon(6)));
        // Not paid off: the promise waits for the rest.
        assert!(settle_promises(&promises, &payments, 0, today, tz, None).is_empty());
        // Paid off after its date: too late, it is broken.
        let late = NaiveDate::from_ymd_opt(2026, 3, 12).unwrap();
        let broken = settle_promises(&promises, &[paid(80, 12)], 0, late, tz, Some(noon(12)));
        assert_eq!(broken[0].status, PromiseStatus::Broken);
    }

    #[test]
    fn payment_rules_refuse_bad_amounts() {
        let mut d = debt(100);
        assert_eq!(
            d.apply_payment(Money::from_minor(0, Currency::Brl), false),
            Err(DebtRuleError::NotPositive)
        );
        assert!(matches!(
            d.apply_payment(Money::from_minor(10, Currency::Usd), false),
            Err(DebtRuleError::Money(MoneyError::CurrencyMismatch(..)))
        ));
        assert_eq!(d.balance, Money::from_minor(100, Currency::Brl));
    }

    #[test]
    fn promises_and_disputes_move_the_status() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let mut d = debt(5_000);
        d.apply_promise(Money::from_minor(5_000, Currency::Brl), today, today)
            .unwrap();
        assert_eq!(d.status, DebtStatus::Promised);
        d.apply_promise_ended(true);
        assert_eq!(d.status, DebtStatus::Promised, "another promise is pending");
        d.apply_promise_ended(false);
        assert_eq!(d.status, DebtStatus::Open);
        assert!(matches!(
            d.apply_promise(
                Money::from_minor(1, Currency::Brl),
                today.pred_opt().unwrap(),
                today
            ),
            Err(DebtRuleError::PromiseInPast(..))
        ));
        d.apply_dispute_opened().unwrap();
        assert_eq!(d.status, DebtStatus::Disputed);
        assert!(
            d.apply_promise(Money::from_minor(1, Currency::Brl), today, today)
                .is_err()
        );
        d.apply_dispute_resolved(false);
        assert_eq!(d.status, DebtStatus::Open);
        d.apply_dispute_opened().unwrap();
        d.apply_dispute_resolved(true);
        assert_eq!(d.status, DebtStatus::WrittenOff);
    }

    #[test]
    fn enums_parse_and_name_the_accepted_values() {
        assert_eq!("WhatsApp".parse::<Channel>().unwrap(), Channel::Whatsapp);
        let e = "fax".parse::<Channel>().unwrap_err();
        assert!(
            e.to_string()
                .contains("email, sms, whatsapp, voice, letter"),
            "{e}"
        );
    }
}
