//! The REST API under `/api/v1`: one module per resource. Every handler works through the
//! tenant-scoped store of the [`Ctx`](crate::extract::Ctx) it is given.

pub mod api_keys;
pub mod contact_points;
pub mod contact_rules;
pub mod conversations;
pub mod debtors;
pub mod debts;
pub mod disputes;
pub mod imports;
pub mod kpis;
pub mod messages;
pub mod outbox;
pub mod payment_accounts;
pub mod payments;
pub mod plans;
pub mod portal;
pub mod promises;
pub mod provider_accounts;
pub mod strategies;
pub mod tasks;
pub mod templates;
pub mod timelines;

use std::fmt;

use recaudo_domain::event::Event;
use recaudo_domain::portfolio::{ContactPoint, Debt, Debtor, Dispute, Payment, Promise};
use recaudo_domain::{Currency, Money};
use recaudo_store::{ApiKeyInfo, StoredStrategy};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use crate::problem::{Problem, money_problem};

/// An amount as sent by a client: a decimal string (`"1234.50"`, preferred: exact) or a JSON
/// number. It is checked against the currency with `Money::parse_amount`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amount(pub String);

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Amount;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a decimal amount as a string (\"1234.50\") or a number")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<Amount, E> {
                Ok(Amount(value.to_string()))
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Amount, E> {
                Ok(Amount(value.to_string()))
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Amount, E> {
                Ok(Amount(value.to_string()))
            }
            fn visit_f64<E: de::Error>(self, value: f64) -> Result<Amount, E> {
                if value.is_finite() {
                    // Display gives the shortest text that reads back as the same f64.
                    Ok(Amount(value.to_string()))
                } else {
                    Err(E::custom("amount must be a finite number"))
                }
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl utoipa::PartialSchema for Amount {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .examples([serde_json::json!("1234.50")]),
            )
            .item(ObjectBuilder::new().schema_type(Type::Number))
            .description(Some(
                "A non-negative decimal amount with `.` as separator and at most the currency's \
                 minor-unit decimals. A string keeps it exact.",
            ))
            .into()
    }
}

impl ToSchema for Amount {}

impl Amount {
    /// The amount as money of `currency`, written with the currency's minor-unit decimals (so
    /// `10` answers as `"10.00"`, as it reads back from the store), or a 422 naming `field`.
    pub fn money(&self, field: &str, currency: Currency) -> Result<Money, Problem> {
        let money = Money::parse_amount(&self.0, currency).map_err(|e| money_problem(field, e))?;
        // Exact: `parse_amount` refused more decimals than the minor unit has.
        let minor = money.to_minor().map_err(|e| money_problem(field, e))?;
        Ok(Money::from_minor(minor, currency))
    }
}

/// Reads a currency code (case-insensitive), or a 422 naming `field`.
pub fn currency(field: &str, code: &str) -> Result<Currency, Problem> {
    code.parse::<Currency>()
        .map_err(|e| money_problem(field, e))
}

/// Reads an optional currency that must be the one of the debt.
pub fn same_currency(field: &str, code: Option<&str>, debt: &Debt) -> Result<Currency, Problem> {
    let want = debt.balance.currency;
    let Some(code) = code else {
        return Ok(want);
    };
    let got = currency(field, code)?;
    if got != want {
        return Err(Problem::invalid_field(
            field,
            format!("the debt is in {want}, not {got}"),
        ));
    }
    Ok(got)
}

macro_rules! page_type {
    ($(#[$doc:meta])* $name:ident, $item:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
        pub struct $name {
            pub items: Vec<$item>,
            /// Pass as `cursor` to get the next page; `null` on the last page.
            pub next_cursor: Option<String>,
        }

        impl From<recaudo_store::Page<$item>> for $name {
            fn from(page: recaudo_store::Page<$item>) -> Self {
                $name { items: page.items, next_cursor: page.next_cursor }
            }
        }
    };
}

macro_rules! list_type {
    ($(#[$doc:meta])* $name:ident, $item:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
        pub struct $name {
            pub items: Vec<$item>,
        }

        impl From<Vec<$item>> for $name {
            fn from(items: Vec<$item>) -> Self {
                $name { items }
            }
        }
    };
}

page_type!(/// One page of debtors.
    DebtorPage, Debtor);
page_type!(/// One page of debts.
    DebtPage, Debt);
page_type!(/// One page of a timeline, in the order things happened (`occurred_at`, then id).
    EventPage, Event);
list_type!(/// The contact points of a debtor.
    ContactPointList, ContactPoint);
list_type!(/// The payments of a debt, oldest first.
    PaymentList, Payment);
list_type!(/// The promises of a debt, oldest first.
    PromiseList, Promise);
list_type!(/// The disputes of a debt, oldest first.
    DisputeList, Dispute);
list_type!(/// Strategies: the latest version of each, or the versions of one.
    StrategyList, StoredStrategy);
list_type!(/// The tenant's API keys, oldest first.
    ApiKeyList, ApiKeyInfo);
