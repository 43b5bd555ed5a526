//! Durations (`2d`, `36h`, `90m`) and offsets from the due date (`due`, `due-5d`, `due+36h`).

use std::fmt;
use std::str::FromStr;

/// The unit of a [`Span`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    Days,
    Hours,
    Minutes,
}

impl Unit {
    fn suffix(self) -> char {
        match self {
            Unit::Days => 'd',
            Unit::Hours => 'h',
            Unit::Minutes => 'm',
        }
    }

    fn minutes(self) -> i64 {
        match self {
            Unit::Days => 24 * 60,
            Unit::Hours => 60,
            Unit::Minutes => 1,
        }
    }
}

/// The largest amount a span may have (about 27 years in days): keeps arithmetic far from overflow.
pub const MAX_SPAN_AMOUNT: u32 = 10_000;

/// A non-negative duration written `<amount><unit>`: `2d`, `36h`, `90m`. The written unit is kept
/// so that a span prints back the way it was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Span {
    pub amount: u32,
    pub unit: Unit,
}

impl Span {
    /// The span in chrono's terms.
    pub fn to_duration(self) -> chrono::Duration {
        chrono::Duration::minutes(i64::from(self.amount) * self.unit.minutes())
    }

    /// Whether the span is zero (`0d`).
    pub fn is_zero(self) -> bool {
        self.amount == 0
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.amount, self.unit.suffix())
    }
}

impl FromStr for Span {
    type Err = String;

    fn from_str(text: &str) -> Result<Span, String> {
        let bad = || {
            format!(
                "`{text}` is not a duration: write a whole number and a unit, e.g. `2d`, `36h`, `90m`"
            )
        };
        let trimmed = text.trim();
        let unit = match trimmed.chars().last() {
            Some('d') => Unit::Days,
            Some('h') => Unit::Hours,
            Some('m') => Unit::Minutes,
            _ => return Err(bad()),
        };
        let digits = &trimmed[..trimmed.len() - 1];
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let amount: u32 = digits.parse().map_err(|_| bad())?;
        if amount > MAX_SPAN_AMOUNT {
            return Err(format!(
                "`{text}` is too long: at most {MAX_SPAN_AMOUNT} of a unit"
            ));
        }
        Ok(Span { amount, unit })
    }
}

/// Where a step sits relative to the debt's due date: `due`, `due-5d` (before), `due+3d` (after).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DueOffset {
    /// True for `due-…` (before the due date).
    pub before: bool,
    /// Zero for `due`.
    pub span: Span,
}

impl DueOffset {
    /// The due date itself.
    pub const DUE: DueOffset = DueOffset {
        before: false,
        span: Span {
            amount: 0,
            unit: Unit::Days,
        },
    };

    /// The signed offset from the due date (negative before it).
    pub fn to_duration(self) -> chrono::Duration {
        let span = self.span.to_duration();
        if self.before { -span } else { span }
    }
}

impl fmt::Display for DueOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.span.is_zero() {
            f.write_str("due")
        } else {
            let sign = if self.before { '-' } else { '+' };
            write!(f, "due{sign}{}", self.span)
        }
    }
}

impl FromStr for DueOffset {
    type Err = String;

    fn from_str(text: &str) -> Result<DueOffset, String> {
        let bad = || {
            format!(
                "`{text}` is not an offset from the due date: write `due`, `due-5d`, `due+3d` or `due+36h`"
            )
        };
        let trimmed = text.trim();
        let rest = trimmed.strip_prefix("due").ok_or_else(bad)?;
        if rest.is_empty() {
            return Ok(DueOffset::DUE);
        }
        let (before, span) = if let Some(after_sign) = rest.strip_prefix('-') {
            (true, after_sign)
        } else if let Some(after_sign) = rest.strip_prefix('+') {
            (false, after_sign)
        } else {
            return Err(bad());
        };
        let span: Span = span.parse().map_err(|_| bad())?;
        Ok(DueOffset { before, span })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_offsets() {
        assert_eq!(
            "2d".parse::<Span>(),
            Ok(Span {
                amount: 2,
                unit: Unit::Days
            })
        );
        assert!("2".parse::<Span>().is_err());
        assert!("d".parse::<Span>().is_err());
        assert!("-2d".parse::<Span>().is_err());
        assert!("2w".parse::<Span>().is_err());
        assert!("99999999999d".parse::<Span>().is_err());
        assert_eq!("due".parse::<DueOffset>(), Ok(DueOffset::DUE));
        let o: DueOffset = "due-5d".parse().unwrap();
        assert_eq!(o.to_duration(), chrono::Duration::days(-5));
        assert_eq!(o.to_string(), "due-5d");
        assert_eq!(
            "due+36h".parse::<DueOffset>().unwrap().to_duration(),
            chrono::Duration::hours(36)
        );
        assert!("due+".parse::<DueOffset>().is_err());
        assert!("due*3d".parse::<DueOffset>().is_err());
        assert!("3d".parse::<DueOffset>().is_err());
    }
}
