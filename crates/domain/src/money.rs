//! Money: an exact decimal amount with its ISO 4217 currency. Arithmetic across currencies is an
//! error; rounding to the currency's minor unit happens only at the edges (storage, display,
//! provider payloads).

use std::fmt;
use std::str::FromStr;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// The currencies recaudo handles.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum Currency {
    Brl,
    Mxn,
    Cop,
    Clp,
    Pen,
    Ars,
    Eur,
    Usd,
}

impl Currency {
    pub const ALL: [Currency; 8] = [
        Currency::Brl,
        Currency::Mxn,
        Currency::Cop,
        Currency::Clp,
        Currency::Pen,
        Currency::Ars,
        Currency::Eur,
        Currency::Usd,
    ];

    /// The ISO 4217 alphabetic code.
    pub fn code(self) -> &'static str {
        match self {
            Currency::Brl => "BRL",
            Currency::Mxn => "MXN",
            Currency::Cop => "COP",
            Currency::Clp => "CLP",
            Currency::Pen => "PEN",
            Currency::Ars => "ARS",
            Currency::Eur => "EUR",
            Currency::Usd => "USD",
        }
    }

    /// The ISO 4217 numeric code (used by PIX field 53, for one).
    pub fn numeric(self) -> u16 {
        match self {
            Currency::Brl => 986,
            Currency::Mxn => 484,
            Currency::Cop => 170,
            Currency::Clp => 152,
            Currency::Pen => 604,
            Currency::Ars => 32,
            Currency::Eur => 978,
            Currency::Usd => 840,
        }
    }

    /// Digits after the decimal point of the minor unit (ISO 4217): CLP has none; COP keeps 2.
    pub fn minor_units(self) -> u32 {
        match self {
            Currency::Clp => 0,
            _ => 2,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("unknown currency `{0}` (expected one of BRL, MXN, COP, CLP, PEN, ARS, EUR, USD)")]
    UnknownCurrency(String),
    #[error("`{0}` is not a number")]
    NotANumber(String),
    #[error("amount {amount} has more decimals than {currency} allows ({allowed})")]
    TooPrecise {
        amount: Decimal,
        currency: Currency,
        allowed: u32,
    },
    #[error("amount must not be negative, got {0}")]
    Negative(Decimal),
    #[error("cannot combine {0} and {1}")]
    CurrencyMismatch(Currency, Currency),
    #[error("amount out of range")]
    Overflow,
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        Currency::ALL
            .into_iter()
            .find(|c| c.code().eq_ignore_ascii_case(trimmed))
            .ok_or_else(|| MoneyError::UnknownCurrency(text.to_string()))
    }
}

/// An amount of money in one currency.
///
/// It serializes as `{"amount": "1234.50", "currency": "BRL"}`, the amount always written with
/// the currency's minor-unit decimals (`"0.00"` in COP, `"15000"` in CLP): every API answer and
/// every event writes money through this one impl ([`Money::amount_text`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, utoipa::ToSchema)]
pub struct Money {
    /// Decimal amount as a string with the currency's decimals, e.g. `"1234.50"` (`"15000"` in
    /// CLP).
    #[schema(value_type = String, example = "1234.50")]
    pub amount: Decimal,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        Money { amount, currency }
    }

    pub fn zero(currency: Currency) -> Self {
        Money::new(Decimal::ZERO, currency)
    }

    /// Parses a non-negative amount written with a `.` decimal separator, refusing more decimals
    /// than the currency's minor unit (so nothing is silently rounded at import).
    pub fn parse_amount(text: &str, currency: Currency) -> Result<Money, MoneyError> {
        let trimmed = text.trim();
        let amount = Decimal::from_str_exact(trimmed)
            .map_err(|_| MoneyError::NotANumber(text.to_string()))?;
        if amount.is_sign_negative() && !amount.is_zero() {
            return Err(MoneyError::Negative(amount));
        }
        let allowed = currency.minor_units();
        if amount.normalize().scale() > allowed {
            return Err(MoneyError::TooPrecise {
                amount,
                currency,
                allowed,
            });
        }
        Ok(Money::new(amount, currency))
    }

    /// The amount in minor units (cents, centavos), rounding half-even at the edge.
    pub fn to_minor(&self) -> Result<i64, MoneyError> {
        let scaled = self
            .amount
            .round_dp_with_strategy(
                self.currency.minor_units(),
                RoundingStrategy::MidpointNearestEven,
            )
            .checked_mul(Decimal::from(10i64.pow(self.currency.minor_units())))
            .ok_or(MoneyError::Overflow)?;
        scaled.to_i64().ok_or(MoneyError::Overflow)
    }

    /// Builds money from minor units.
    pub fn from_minor(minor: i64, currency: Currency) -> Money {
        Money::new(Decimal::new(minor, currency.minor_units()), currency)
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        Ok(Money::new(
            self.amount
                .checked_add(other.amount)
                .ok_or(MoneyError::Overflow)?,
            self.currency,
        ))
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        Ok(Money::new(
            self.amount
                .checked_sub(other.amount)
                .ok_or(MoneyError::Overflow)?,
            self.currency,
        ))
    }

    /// The amount rounded (half-even) to the currency's minor unit and written with exactly
    /// its decimals: `"0.00"` for zero pesos, `"15000"` for CLP.
    pub fn amount_text(&self) -> String {
        self.rounded().to_string()
    }

    /// The amount rounded (half-even) to the currency's minor unit, at exactly its scale.
    fn rounded(&self) -> Decimal {
        let dp = self.currency.minor_units();
        let mut rounded = self
            .amount
            .round_dp_with_strategy(dp, RoundingStrategy::MidpointNearestEven);
        rounded.rescale(dp);
        rounded
    }

    pub fn is_zero_or_less(&self) -> bool {
        self.amount <= Decimal::ZERO
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }
}

impl fmt::Display for Money {
    /// `1234.50 BRL`, rounded to the minor unit.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.rounded(), self.currency)
    }
}

impl Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        /// The amount as a JSON string, written straight from the decimal (an import writes
        /// two a row, a million rows at a time).
        struct Amount(Decimal);
        impl Serialize for Amount {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(&self.0)
            }
        }
        let mut money = serializer.serialize_struct("Money", 2)?;
        money.serialize_field("amount", &Amount(self.rounded()))?;
        money.serialize_field("currency", &self.currency)?;
        money.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_amounts_by_currency_rules() {
        let cases: &[(&str, Currency, Result<i64, ()>)] = &[
            ("10", Currency::Brl, Ok(1000)),
            ("10.5", Currency::Brl, Ok(1050)),
            ("10.55", Currency::Usd, Ok(1055)),
            ("10.555", Currency::Usd, Err(())),
            ("15000", Currency::Clp, Ok(15000)),
            ("15000.5", Currency::Clp, Err(())),
            ("15000.00", Currency::Clp, Ok(15000)),
            ("-1", Currency::Eur, Err(())),
            ("abc", Currency::Eur, Err(())),
            ("1,5", Currency::Eur, Err(())),
            ("0", Currency::Cop, Ok(0)),
        ];
        for (text, cur, want) in cases {
            let got = Money::parse_amount(text, *cur).map(|m| m.to_minor().unwrap());
            assert_eq!(got.map_err(|_| ()), *want, "{text} {cur}");
        }
    }

    #[test]
    fn currency_codes_parse_case_insensitively() {
        assert_eq!("brl".parse::<Currency>().unwrap(), Currency::Brl);
        assert!(matches!(
            "XYZ".parse::<Currency>(),
            Err(MoneyError::UnknownCurrency(_))
        ));
    }

    #[test]
    fn mixing_currencies_is_an_error() {
        let a = Money::from_minor(100, Currency::Brl);
        let b = Money::from_minor(100, Currency::Usd);
        assert_eq!(
            a.checked_add(b),
            Err(MoneyError::CurrencyMismatch(Currency::Brl, Currency::Usd))
        );
    }

    #[test]
    fn displays_with_the_minor_unit() {
        assert_eq!(
            Money::from_minor(123450, Currency::Brl).to_string(),
            "1234.50 BRL"
        );
        assert_eq!(
            Money::from_minor(15000, Currency::Clp).to_string(),
            "15000 CLP"
        );
    }

    #[test]
    fn serializes_with_the_currencys_decimals() {
        // (amount, currency, written)
        let cases = [
            (Decimal::ZERO, Currency::Cop, "0.00"),
            (Decimal::ZERO, Currency::Clp, "0"),
            (Decimal::new(10, 0), Currency::Usd, "10.00"),
            (Decimal::new(105, 1), Currency::Brl, "10.50"),
            (Decimal::new(15000, 0), Currency::Clp, "15000"),
            (Decimal::new(1500000, 2), Currency::Clp, "15000"),
            (Decimal::new(12345, 3), Currency::Eur, "12.34"),
            (Decimal::new(12355, 3), Currency::Eur, "12.36"),
        ];
        for (amount, currency, written) in cases {
            let json = serde_json::to_value(Money::new(amount, currency)).unwrap();
            assert_eq!(
                json,
                serde_json::json!({"amount": written, "currency": currency.code()}),
                "{amount} {currency}"
            );
            let back: Money = serde_json::from_value(json).unwrap();
            assert_eq!(back.amount_text(), written);
        }
    }

    proptest! {
        #[test]
        fn minor_units_round_trip(minor in 0i64..1_000_000_000_000, ci in 0usize..8) {
            let cur = Currency::ALL[ci];
            let m = Money::from_minor(minor, cur);
            prop_assert_eq!(m.to_minor().unwrap(), minor);
            let reparsed = Money::parse_amount(&m.amount.to_string(), cur).unwrap();
            prop_assert_eq!(reparsed.to_minor().unwrap(), minor);
        }

        #[test]
        fn add_then_sub_is_identity(a in 0i64..1_000_000_000, b in 0i64..1_000_000_000) {
            let x = Money::from_minor(a, Currency::Cop);
            let y = Money::from_minor(b, Currency::Cop);
            prop_assert_eq!(x.checked_add(y).unwrap().checked_sub(y).unwrap(), x);
        }
    }
}
