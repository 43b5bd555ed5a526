//! The YAML schema of a holiday file, its validation, and the evaluation of one rule in one year.
//!
//! A file (see `docs/holidays.md`):
//!
//! ```yaml
//! jurisdiction: CO
//! name: Colombia
//! includes: []            # codes whose rules come first, e.g. [BR] in br-sp.yaml
//! holidays:
//!   - name: Día de los Reyes Magos
//!     date: 01-06         # exactly one of: date, easter, nth_weekday, dates
//!     move: following_monday
//! ```
//!
//! The raw serde types accept exactly the documented keys (`deny_unknown_fields`), then
//! [`RuleSet::from_yaml`] checks every rule and turns it into a [`Rule`], so a mistake in a data file
//! is an error that names the file, the holiday and the problem.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use super::CalendarError;
use super::easter::easter_sunday;

/// The largest distance, in days, a rule may place a holiday from Easter Sunday.
const MAX_EASTER_OFFSET: i32 = 100;

/// The rules of one holiday file, parsed and checked.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub(crate) code: String,
    pub(crate) name: String,
    pub(crate) includes: Vec<String>,
    pub(crate) rules: Vec<Rule>,
}

impl RuleSet {
    /// Parses and checks one holiday file. `file` names it in error messages.
    pub fn from_yaml(file: &str, yaml: &str) -> Result<RuleSet, CalendarError> {
        let raw: RawFile = yaml_serde::from_str(yaml).map_err(|e| CalendarError::Parse {
            file: file.to_string(),
            message: e.to_string(),
        })?;
        let invalid = |holiday: &str, message: String| CalendarError::InvalidRule {
            file: file.to_string(),
            holiday: holiday.to_string(),
            message,
        };
        let code = raw.jurisdiction.trim().to_ascii_uppercase();
        if code.is_empty() {
            return Err(invalid("-", "`jurisdiction` is empty".into()));
        }
        if raw.holidays.is_empty() {
            return Err(invalid("-", "`holidays` is empty".into()));
        }
        let mut rules = Vec::with_capacity(raw.holidays.len());
        for raw_rule in raw.holidays {
            let name = raw_rule.name.trim().to_string();
            if name.is_empty() {
                return Err(invalid("-", "a holiday has an empty `name`".into()));
            }
            let rule = Rule::try_from_raw(name.clone(), raw_rule).map_err(|m| invalid(&name, m))?;
            rules.push(rule);
        }
        Ok(RuleSet {
            code,
            name: raw.name.trim().to_string(),
            includes: raw
                .includes
                .iter()
                .map(|c| c.trim().to_ascii_uppercase())
                .collect(),
            rules,
        })
    }

    /// The jurisdiction code the file declares, upper case (`CO`, `BR-SP`).
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The jurisdiction's display name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Codes of the rule sets this one builds on (`BR` for `BR-SP`).
    pub fn includes(&self) -> &[String] {
        &self.includes
    }

    /// How many holiday rules the file holds.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Never true for a parsed file (an empty `holidays` list is rejected).
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

// ---------------------------------------------------------------------------------------------
// Raw serde types: what the YAML may say.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    jurisdiction: String,
    name: String,
    #[serde(default)]
    includes: Vec<String>,
    holidays: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: String,
    /// A fixed day of the year, `MM-DD`.
    date: Option<String>,
    /// Days after (negative: before) Western Easter Sunday.
    easter: Option<i32>,
    /// The nth (or last) given weekday of a month.
    nth_weekday: Option<RawNthWeekday>,
    /// Explicit days, for holidays decreed year by year.
    dates: Option<Vec<NaiveDate>>,
    /// Where the law moves the day depending on the weekday it falls on.
    #[serde(rename = "move")]
    shift: Option<RawMove>,
    /// The holiday exists only in years when the (unmoved) day falls on one of these weekdays.
    only_on: Option<Vec<WeekdayName>>,
    /// First year the rule applies.
    from: Option<i32>,
    /// Last year the rule applies.
    until: Option<i32>,
    /// Years in which the rule does not apply (e.g. a national day a region replaced that year).
    #[serde(default)]
    skip_years: Vec<i32>,
    /// Years in which a decree set another day than the rule gives: `{2025: 2025-10-10}`.
    #[serde(default)]
    overrides: BTreeMap<i32, NaiveDate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNthWeekday {
    month: u32,
    weekday: WeekdayName,
    nth: Nth,
}

/// A weekday written `mon`, `monday`, `Mon`… in a file.
#[derive(Debug, Clone, Copy)]
struct WeekdayName(Weekday);

impl<'de> Deserialize<'de> for WeekdayName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse_weekday(&text)
            .map(WeekdayName)
            .map_err(de::Error::custom)
    }
}

fn parse_weekday(text: &str) -> Result<Weekday, String> {
    text.trim()
        .parse::<Weekday>()
        .map_err(|_| format!("`{text}` is not a weekday (mon, tue, wed, thu, fri, sat, sun)"))
}

/// Which occurrence of a weekday in a month: 1 to 4, or the last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nth {
    Index(u8),
    Last,
}

impl<'de> Deserialize<'de> for Nth {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Nth;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("1, 2, 3, 4 or `last`")
            }
            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Nth, E> {
                match value {
                    1..=4 => Ok(Nth::Index(value as u8)),
                    _ => Err(E::custom(format!(
                        "nth must be 1 to 4 or `last`, not {value} (a fifth weekday does not exist in every month: use `last`)"
                    ))),
                }
            }
            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Nth, E> {
                match u64::try_from(value) {
                    Ok(unsigned) => self.visit_u64(unsigned),
                    Err(_) => Err(E::custom(format!(
                        "nth must be 1 to 4 or `last`, not {value}"
                    ))),
                }
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<Nth, E> {
                if value.trim().eq_ignore_ascii_case("last") {
                    Ok(Nth::Last)
                } else {
                    Err(E::custom(format!(
                        "nth must be 1 to 4 or `last`, not `{value}`"
                    )))
                }
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// `move:` is either a named rule or a map from weekday to a shift in days.
enum RawMove {
    Named(String),
    Map(Vec<(String, i64)>),
}

impl<'de> Deserialize<'de> for RawMove {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawMove;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("`following_monday` or a map like `{ sat: -1, sun: 1 }`")
            }
            fn visit_str<E: de::Error>(self, value: &str) -> Result<RawMove, E> {
                Ok(RawMove::Named(value.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawMove, A::Error> {
                let mut out = Vec::new();
                while let Some((weekday, value)) = map.next_entry::<String, i64>()? {
                    out.push((weekday, value));
                }
                Ok(RawMove::Map(out))
            }
        }
        deserializer.deserialize_any(V)
    }
}

// ---------------------------------------------------------------------------------------------
// Checked rules.

/// One holiday rule, checked.
#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub(crate) name: String,
    when: When,
    /// Days to add, indexed by the weekday the unmoved day falls on (Monday = 0).
    shift: [i8; 7],
    /// Bit `n` set: the holiday exists when the unmoved day falls on weekday `n` (Monday = 0).
    only_on: u8,
    from: Option<i32>,
    until: Option<i32>,
    skip_years: Vec<i32>,
    overrides: BTreeMap<i32, NaiveDate>,
}

#[derive(Debug, Clone)]
enum When {
    Fixed {
        month: u32,
        day: u32,
    },
    Easter(i32),
    NthWeekday {
        month: u32,
        weekday: Weekday,
        nth: Nth,
    },
    Dates(Vec<NaiveDate>),
}

const ALL_DAYS: u8 = 0b111_1111;

impl Rule {
    fn try_from_raw(name: String, raw: RawRule) -> Result<Rule, String> {
        let kinds = [
            raw.date.is_some(),
            raw.easter.is_some(),
            raw.nth_weekday.is_some(),
            raw.dates.is_some(),
        ];
        let when = match kinds.iter().filter(|k| **k).count() {
            0 => {
                return Err(
                    "no date rule: give one of `date`, `easter`, `nth_weekday`, `dates`".into(),
                );
            }
            1 => {
                if let Some(text) = &raw.date {
                    parse_month_day(text)?
                } else if let Some(offset) = raw.easter {
                    if offset.abs() > MAX_EASTER_OFFSET {
                        return Err(format!(
                            "`easter: {offset}` is more than {MAX_EASTER_OFFSET} days from Easter Sunday"
                        ));
                    }
                    When::Easter(offset)
                } else if let Some(nth) = &raw.nth_weekday {
                    if !(1..=12).contains(&nth.month) {
                        return Err(format!("`nth_weekday.month: {}` is not 1 to 12", nth.month));
                    }
                    When::NthWeekday {
                        month: nth.month,
                        weekday: nth.weekday.0,
                        nth: nth.nth,
                    }
                } else {
                    let mut dates = raw.dates.clone().unwrap_or_default();
                    if dates.is_empty() {
                        return Err("`dates` is empty".into());
                    }
                    dates.sort();
                    dates.dedup();
                    When::Dates(dates)
                }
            }
            _ => {
                return Err(
                    "more than one date rule: give only one of `date`, `easter`, `nth_weekday`, `dates`"
                        .into(),
                );
            }
        };
        if matches!(when, When::Dates(_))
            && (raw.shift.is_some()
                || raw.only_on.is_some()
                || raw.from.is_some()
                || raw.until.is_some()
                || !raw.skip_years.is_empty()
                || !raw.overrides.is_empty())
        {
            return Err(
                "`dates` lists the exact days: `move`, `only_on`, `from`, `until`, `skip_years` and `overrides` do not apply to it"
                    .into(),
            );
        }
        let shift = match raw.shift {
            None => [0; 7],
            Some(raw_move) => parse_move(raw_move)?,
        };
        let only_on = match raw.only_on {
            None => ALL_DAYS,
            Some(days) if days.is_empty() => return Err("`only_on` is empty".into()),
            Some(days) => days
                .iter()
                .fold(0u8, |acc, d| acc | (1 << d.0.num_days_from_monday())),
        };
        if let (Some(from), Some(until)) = (raw.from, raw.until)
            && from > until
        {
            return Err(format!("`from: {from}` is after `until: {until}`"));
        }
        for (year, date) in &raw.overrides {
            if date.year() != *year {
                return Err(format!(
                    "`overrides: {{{year}: {date}}}` moves the {year} holiday into another year"
                ));
            }
        }
        Ok(Rule {
            name,
            when,
            shift,
            only_on,
            from: raw.from,
            until: raw.until,
            skip_years: raw.skip_years,
            overrides: raw.overrides,
        })
    }

    /// Pushes the days this rule makes a holiday in `year`.
    ///
    /// A moved day can cross a year boundary (US: New Year's Day on a Saturday is observed on
    /// Friday 31 December of the year before), so rules are evaluated for the neighbouring years
    /// too and only days inside `year` are kept.
    pub(crate) fn days_in(&self, year: i32, out: &mut Vec<NaiveDate>) {
        if let When::Dates(dates) = &self.when {
            out.extend(dates.iter().filter(|day| day.year() == year));
            return;
        }
        for base in [year.saturating_sub(1), year, year.saturating_add(1)] {
            if let Some(day) = self.occurrence(base)
                && day.year() == year
            {
                out.push(day);
            }
        }
    }

    /// The day of the holiday that belongs to `year` (after moves), if it exists that year.
    fn occurrence(&self, year: i32) -> Option<NaiveDate> {
        if self.from.is_some_and(|f| year < f)
            || self.until.is_some_and(|u| year > u)
            || self.skip_years.contains(&year)
        {
            return None;
        }
        if let Some(day) = self.overrides.get(&year) {
            return Some(*day);
        }
        let day = match &self.when {
            When::Fixed { month, day } => NaiveDate::from_ymd_opt(year, *month, *day)?,
            When::Easter(offset) => {
                easter_sunday(year)?.checked_add_signed(Duration::days(i64::from(*offset)))?
            }
            When::NthWeekday {
                month,
                weekday,
                nth,
            } => nth_weekday(year, *month, *weekday, *nth)?,
            When::Dates(_) => return None,
        };
        let wd = day.weekday().num_days_from_monday() as usize;
        if self.only_on & (1 << wd) == 0 {
            return None;
        }
        day.checked_add_signed(Duration::days(i64::from(self.shift[wd])))
    }
}

fn parse_month_day(text: &str) -> Result<When, String> {
    let bad = || format!("`date: {text}` is not a day of the year written MM-DD (e.g. 12-25)");
    let (month_text, day_text) = text.trim().split_once('-').ok_or_else(bad)?;
    let month: u32 = month_text.parse().map_err(|_| bad())?;
    let day: u32 = day_text.parse().map_err(|_| bad())?;
    if (month, day) == (2, 29) {
        return Err("`date: 02-29` does not exist every year".into());
    }
    // 2001 is not a leap year: this accepts exactly the days every year has.
    if NaiveDate::from_ymd_opt(2001, month, day).is_none() {
        return Err(format!("`date: {text}` is not a day of the year"));
    }
    Ok(When::Fixed { month, day })
}

fn parse_move(raw: RawMove) -> Result<[i8; 7], String> {
    match raw {
        RawMove::Named(name) => match name.trim() {
            // Colombia's Ley 51 de 1983: "cuando no caigan en día lunes se trasladarán al lunes
            // siguiente a dicho día".
            "following_monday" => Ok([0, 6, 5, 4, 3, 2, 1]),
            other => Err(format!(
                "`move: {other}` is not known (use `following_monday` or a map like `{{ sat: -1, sun: 1 }}`)"
            )),
        },
        RawMove::Map(entries) => {
            if entries.is_empty() {
                return Err("`move` is empty".into());
            }
            let mut shift = [0i8; 7];
            let mut seen = 0u8;
            for (key, shift_days) in entries {
                let wd = parse_weekday(&key).map_err(|e| format!("in `move`: {e}"))?;
                let bit = wd.num_days_from_monday();
                if seen & (1 << bit) != 0 {
                    return Err(format!("`move` names `{key}` twice"));
                }
                seen |= 1 << bit;
                if shift_days == 0 || !(-6..=6).contains(&shift_days) {
                    return Err(format!(
                        "`move: {{{key}: {shift_days}}}` must shift by 1 to 6 days, forward or back"
                    ));
                }
                shift[bit as usize] = shift_days as i8;
            }
            Ok(shift)
        }
    }
}

/// The `nth` `weekday` of `month` in `year`.
fn nth_weekday(year: i32, month: u32, weekday: Weekday, nth: Nth) -> Option<NaiveDate> {
    match nth {
        Nth::Index(n) => {
            let first = NaiveDate::from_ymd_opt(year, month, 1)?;
            let ahead =
                (7 + weekday.num_days_from_monday() - first.weekday().num_days_from_monday()) % 7;
            first.checked_add_signed(Duration::days(i64::from(ahead + 7 * (u32::from(n) - 1))))
        }
        Nth::Last => {
            let (ny, nm) = if month == 12 {
                (year.checked_add(1)?, 1)
            } else {
                (year, month + 1)
            };
            let last = NaiveDate::from_ymd_opt(ny, nm, 1)?.pred_opt()?;
            let back =
                (7 + last.weekday().num_days_from_monday() - weekday.num_days_from_monday()) % 7;
            last.checked_sub_signed(Duration::days(i64::from(back)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn nth_and_last_weekdays() {
        // US 2027: MLK 3rd Monday of January, Memorial Day last Monday of May,
        // Thanksgiving 4th Thursday of November.
        assert_eq!(
            nth_weekday(2027, 1, Weekday::Mon, Nth::Index(3)),
            Some(ymd(2027, 1, 18))
        );
        assert_eq!(
            nth_weekday(2027, 5, Weekday::Mon, Nth::Last),
            Some(ymd(2027, 5, 31))
        );
        assert_eq!(
            nth_weekday(2027, 11, Weekday::Thu, Nth::Index(4)),
            Some(ymd(2027, 11, 25))
        );
        assert_eq!(
            nth_weekday(2026, 12, Weekday::Thu, Nth::Last),
            Some(ymd(2026, 12, 31))
        );
        assert_eq!(
            nth_weekday(2026, 2, Weekday::Mon, Nth::Index(1)),
            Some(ymd(2026, 2, 2))
        );
    }

    #[test]
    fn month_day_parsing() {
        assert!(parse_month_day("12-25").is_ok());
        assert!(parse_month_day("02-29").is_err());
        assert!(parse_month_day("02-30").is_err());
        assert!(parse_month_day("13-01").is_err());
        assert!(parse_month_day("12/25").is_err());
    }
}
