//! Numbers and dates as people write them: `1.500.000,50` and `15/12/2026` in Colombia and
//! Brazil, `1,500,000.50` and `12/15/2026` in the US. A `--locale` says which; without one, the
//! file's head often makes it plain (a `1.500.000` can only be grouped thousands, a `25/11/2026`
//! only day first), and a value that stays ambiguous is refused, never guessed.

use std::borrow::Cow;
use std::str::FromStr;

use chrono::NaiveDate;

/// The locales whose number and date writing the import knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    EsCo,
    PtBr,
    EsMx,
    EsCl,
    EnUs,
}

impl Locale {
    pub const ALL: [Locale; 5] = [
        Locale::EsCo,
        Locale::PtBr,
        Locale::EsMx,
        Locale::EsCl,
        Locale::EnUs,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Locale::EsCo => "es-CO",
            Locale::PtBr => "pt-BR",
            Locale::EsMx => "es-MX",
            Locale::EsCl => "es-CL",
            Locale::EnUs => "en-US",
        }
    }

    pub fn numbers(self) -> NumberStyle {
        match self {
            Locale::EsCo | Locale::PtBr | Locale::EsCl => NumberStyle::DecimalComma,
            Locale::EsMx | Locale::EnUs => NumberStyle::DecimalPoint,
        }
    }

    pub fn dates(self) -> DateOrder {
        match self {
            Locale::EnUs => DateOrder::MonthFirst,
            _ => DateOrder::DayFirst,
        }
    }
}

impl std::fmt::Display for Locale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Locale {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted = text.trim().replace('_', "-");
        Locale::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(&wanted))
            .ok_or_else(|| {
                format!(
                    "unknown locale `{}` (expected one of: es-CO, pt-BR, es-MX, es-CL, en-US)",
                    text.trim()
                )
            })
    }
}

/// How a file writes decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberStyle {
    /// Not known: plain `1500.50` reads as always; separators are read when only one reading
    /// exists.
    Unknown,
    /// `1,500,000.50`
    DecimalPoint,
    /// `1.500.000,50`
    DecimalComma,
}

impl NumberStyle {
    pub fn describe(self) -> &'static str {
        match self {
            NumberStyle::Unknown => "plain (1500.50); separators read only when unambiguous",
            NumberStyle::DecimalPoint => "decimal point, thousands comma (1,500,000.50)",
            NumberStyle::DecimalComma => "decimal comma, thousands dot (1.500.000,50)",
        }
    }
}

/// How a file orders day and month in `dd/mm/yyyy`-like dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    /// Not known: ISO dates, and slashed dates whose day is over 12.
    Unknown,
    DayFirst,
    MonthFirst,
}

impl DateOrder {
    pub fn describe(self) -> &'static str {
        match self {
            DateOrder::Unknown => "YYYY-MM-DD (dd/mm/yyyy only when the day is over 12)",
            DateOrder::DayFirst => "dd/mm/yyyy (and YYYY-MM-DD)",
            DateOrder::MonthFirst => "mm/dd/yyyy (and YYYY-MM-DD)",
        }
    }
}

/// An amount's text in the plain form `Money::parse_amount` reads (`1500000.50`), or why it
/// cannot be read. Plain text is returned as is, without copying.
pub fn plain_amount(text: &str, style: NumberStyle) -> Result<Cow<'_, str>, &'static str> {
    let bytes = text.as_bytes();
    let dots = bytes.iter().filter(|&&b| b == b'.').count();
    let commas = bytes.iter().filter(|&&b| b == b',').count();
    let symbols = bytes.iter().any(|&b| b == b'$' || b == b' ');
    // The common case: digits with at most one decimal point. Without a locale, a single dot
    // before exactly three digits (`1.500`) may group thousands: it is read below.
    let plain = commas == 0
        && !symbols
        && match dots {
            0 => true,
            1 => match style {
                NumberStyle::DecimalPoint => true,
                NumberStyle::DecimalComma => false,
                NumberStyle::Unknown => text.rfind('.').is_some_and(|at| text.len() - at != 4),
            },
            _ => false,
        };
    if plain {
        return Ok(Cow::Borrowed(text));
    }
    // A dollar or real sign before the number (`$ 1.500.000`, `R$ 10,00`).
    let trimmed = text
        .strip_prefix("R$")
        .or_else(|| text.strip_prefix('$'))
        .unwrap_or(text)
        .trim();
    let (negative, body) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, trimmed),
    };
    if body.is_empty()
        || !body
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
    {
        return Err("is not a number");
    }
    let decimal = match style {
        NumberStyle::DecimalComma => Some(','),
        NumberStyle::DecimalPoint => Some('.'),
        NumberStyle::Unknown => unambiguous_decimal(body)?,
    };
    let (whole, fraction) = match decimal {
        Some(mark) => match body.rsplit_once(mark) {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (body, None),
        },
        None => (body, None),
    };
    if fraction.is_some_and(|f| f.is_empty() || !f.chars().all(|c| c.is_ascii_digit())) {
        return Err("is not a number");
    }
    let grouping = match decimal {
        Some(',') => '.',
        Some(_) => ',',
        // No decimals: whichever separator the number has groups thousands.
        None => {
            if whole.contains(',') {
                ','
            } else {
                '.'
            }
        }
    };
    let digits = ungroup(whole, grouping).ok_or(match style {
        NumberStyle::DecimalComma => "is not a number as the locale writes them (1.500.000,50)",
        NumberStyle::DecimalPoint => "is not a number as the locale writes them (1,500,000.50)",
        NumberStyle::Unknown => "is not a number",
    })?;
    let mut plain = String::with_capacity(digits.len() + 4);
    if negative {
        plain.push('-');
    }
    plain.push_str(&digits);
    if let Some(fraction) = fraction {
        plain.push('.');
        plain.push_str(fraction);
    }
    Ok(Cow::Owned(plain))
}

/// Without a locale: which mark is the decimal one, when only one reading exists.
fn unambiguous_decimal(body: &str) -> Result<Option<char>, &'static str> {
    let last_dot = body.rfind('.');
    let last_comma = body.rfind(',');
    let dots = body.matches('.').count();
    let commas = body.matches(',').count();
    Ok(match (last_dot, last_comma) {
        (None, None) => None,
        // Both: the last one is the decimal mark.
        (Some(dot), Some(comma)) => Some(if dot > comma { '.' } else { ',' }),
        (Some(_), None) if dots > 1 => None,
        (None, Some(_)) if commas > 1 => None,
        (Some(at), None) | (None, Some(at)) => {
            // One mark followed by exactly three digits could be either.
            if body.len() - at - 1 == 3 {
                return Err(
                    "is ambiguous: `,` or `.` before three digits may group thousands or mark \
                     decimals; say the file's locale (--locale es-CO, en-US, …)",
                );
            }
            Some(char::from(body.as_bytes()[at]))
        }
    })
}

/// `1.500.000` → `1500000` when every group after the first has three digits.
fn ungroup(whole: &str, mark: char) -> Option<String> {
    let mut groups = whole.split(mark);
    let first = groups.next()?;
    if first.is_empty() || first.len() > 3 && whole.contains(mark) {
        return None;
    }
    let mut digits = String::with_capacity(whole.len());
    digits.push_str(first);
    for group in groups {
        if group.len() != 3 {
            return None;
        }
        digits.push_str(group);
    }
    digits.chars().all(|c| c.is_ascii_digit()).then_some(digits)
}

/// What a sample amount says about the file's number style.
pub fn number_hint(text: &str) -> Option<NumberStyle> {
    let body = text.trim();
    match unambiguous_decimal(body) {
        Ok(Some(',')) => Some(NumberStyle::DecimalComma),
        Ok(Some(_)) => Some(NumberStyle::DecimalPoint),
        Ok(None) if body.matches('.').count() > 1 => Some(NumberStyle::DecimalComma),
        Ok(None) if body.matches(',').count() > 1 => Some(NumberStyle::DecimalPoint),
        _ => None,
    }
}

/// What a sample date says about the file's day/month order.
pub fn date_hint(text: &str) -> Option<DateOrder> {
    let (first, second, _) = split_date(text)?;
    match (first > 12, second > 12) {
        (true, false) => Some(DateOrder::DayFirst),
        (false, true) => Some(DateOrder::MonthFirst),
        _ => None,
    }
}

/// `15/12/2026`, `15-12-2026`, `15.12.2026` (a time after a space is ignored) → its three numbers.
fn split_date(text: &str) -> Option<(u32, u32, i32)> {
    let date = text.trim().split(' ').next()?;
    let mut parts = date.split(['/', '-', '.']);
    let first: u32 = parts.next()?.parse().ok()?;
    let second: u32 = parts.next()?.parse().ok()?;
    let year_text = parts.next()?;
    if parts.next().is_some() || year_text.len() != 4 {
        return None;
    }
    Some((first, second, year_text.parse().ok()?))
}

/// A date: `YYYY-MM-DD` always; `dd/mm/yyyy` or `mm/dd/yyyy` as the order says.
pub fn parse_date(text: &str, order: DateOrder) -> Result<NaiveDate, &'static str> {
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(date);
    }
    // Year first is never ambiguous: `2026/12/15`.
    if text.len() == 10
        && let Ok(date) = NaiveDate::parse_from_str(text, "%Y/%m/%d")
    {
        return Ok(date);
    }
    let not_a_date = match order {
        DateOrder::Unknown => "is not a date YYYY-MM-DD (or the date does not exist)",
        DateOrder::DayFirst => "is not a date dd/mm/yyyy or YYYY-MM-DD (or it does not exist)",
        DateOrder::MonthFirst => "is not a date mm/dd/yyyy or YYYY-MM-DD (or it does not exist)",
    };
    let (first, second, year) = split_date(text).ok_or(not_a_date)?;
    let (day, month) = match order {
        DateOrder::DayFirst => (first, second),
        DateOrder::MonthFirst => (second, first),
        DateOrder::Unknown => match (first > 12, second > 12) {
            (true, false) => (first, second),
            (false, true) => (second, first),
            (false, false) if first == second => (first, second),
            (false, false) => {
                return Err(
                    "is ambiguous: day and month could be either way; say the file's locale \
                     (--locale es-CO for dd/mm/yyyy, en-US for mm/dd/yyyy)",
                );
            }
            (true, true) => return Err(not_a_date),
        },
    };
    NaiveDate::from_ymd_opt(year, month, day).ok_or(not_a_date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_in_each_style() {
        use NumberStyle::*;
        let ok = [
            ("1500.50", Unknown, "1500.50"),
            ("1500", DecimalComma, "1500"),
            ("1.500.000,50", DecimalComma, "1500000.50"),
            ("1.500.000", DecimalComma, "1500000"),
            ("1500,5", DecimalComma, "1500.5"),
            ("$ 1.500.000", DecimalComma, "1500000"),
            ("R$ 1.234,56", DecimalComma, "1234.56"),
            ("1,500,000.50", DecimalPoint, "1500000.50"),
            ("1,500", DecimalPoint, "1500"),
            ("1.500.000,50", Unknown, "1500000.50"),
            ("1,500,000.50", Unknown, "1500000.50"),
            ("1.500.000", Unknown, "1500000"),
            ("1500,50", Unknown, "1500.50"),
            ("-3,5", DecimalComma, "-3.5"),
        ];
        for (text, style, want) in ok {
            assert_eq!(
                plain_amount(text, style).as_deref(),
                Ok(want),
                "{text} {style:?}"
            );
        }
        assert!(matches!(
            plain_amount("1500.50", Unknown),
            Ok(Cow::Borrowed(_))
        ));
        for (text, style) in [
            ("1,500", Unknown),
            ("1.500", Unknown),
            ("1.500.00", DecimalComma),
            ("1.5.0", Unknown),
            ("12,34,5", DecimalPoint),
            ("1,", DecimalComma),
        ] {
            assert!(plain_amount(text, style).is_err(), "{text} {style:?}");
        }
        assert!(
            plain_amount("1,500", Unknown)
                .unwrap_err()
                .contains("--locale")
        );
    }

    #[test]
    fn dates_in_each_order() {
        use DateOrder::*;
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        for (text, order, want) in [
            ("2026-12-15", Unknown, d(2026, 12, 15)),
            ("2026-12-15", MonthFirst, d(2026, 12, 15)),
            ("15/12/2026", DayFirst, d(2026, 12, 15)),
            ("05/12/2026", DayFirst, d(2026, 12, 5)),
            ("05/12/2026", MonthFirst, d(2026, 5, 12)),
            ("15/12/2026", Unknown, d(2026, 12, 15)),
            ("12/15/2026", Unknown, d(2026, 12, 15)),
            ("15.12.2026 00:00:00", DayFirst, d(2026, 12, 15)),
            ("15-12-2026", DayFirst, d(2026, 12, 15)),
            ("2026/12/15", Unknown, d(2026, 12, 15)),
        ] {
            assert_eq!(parse_date(text, order), Ok(want), "{text} {order:?}");
        }
        assert!(
            parse_date("05/12/2026", Unknown)
                .unwrap_err()
                .contains("ambiguous")
        );
        assert!(parse_date("31/02/2026", DayFirst).is_err());
        assert!(parse_date("15/12/2026", MonthFirst).is_err());
        assert_eq!(date_hint("25/11/2026"), Some(DayFirst));
        assert_eq!(date_hint("11/25/2026"), Some(MonthFirst));
        assert_eq!(date_hint("05/11/2026"), None);
        assert_eq!(number_hint("1.500.000"), Some(NumberStyle::DecimalComma));
        assert_eq!(number_hint("1,500.5"), Some(NumberStyle::DecimalPoint));
        assert_eq!(number_hint("1500"), None);
        assert_eq!(number_hint("1.500"), None);
    }
}
