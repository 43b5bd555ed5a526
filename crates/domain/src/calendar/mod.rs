//! Public-holiday calendars, with the rules kept as data.
//!
//! Each jurisdiction's rules are a YAML file under `crates/domain/data/holidays/` (schema and
//! sources: `docs/holidays.md`), embedded in the binary and parsed once on first use. A
//! [`HolidayCalendar`] answers [`HolidayCalendar::is_holiday`] from a per-year bitset built lazily
//! the first time a year is asked for, so the planner can call it per debtor per day.
//!
//! ```
//! use chrono::NaiveDate;
//! use recaudo_domain::calendar::{HolidayCalendar, Jurisdiction};
//!
//! let co: Jurisdiction = "co".parse().unwrap();
//! let cal = HolidayCalendar::for_jurisdiction(co);
//! assert!(cal.is_holiday(NaiveDate::from_ymd_opt(2026, 12, 8).unwrap()));
//! let tenant = cal.with_extra_days([(NaiveDate::from_ymd_opt(2026, 12, 24).unwrap(), "Cierre")]);
//! assert!(tenant.is_holiday(NaiveDate::from_ymd_opt(2026, 12, 24).unwrap()));
//! ```
//!
//! Pure: no I/O, no clock.

mod easter;
mod rules;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, LazyLock, OnceLock};

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::Country;

pub use easter::easter_sunday;
pub use rules::RuleSet;

/// Errors of the holiday calendars: unknown codes and bad holiday files.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("unknown jurisdiction `{code}` (known: {known})")]
    UnknownJurisdiction { code: String, known: String },
    #[error("holiday file `{file}` is not valid YAML for a holiday calendar: {message}")]
    Parse { file: String, message: String },
    #[error("holiday file `{file}`, holiday `{holiday}`: {message}")]
    InvalidRule {
        file: String,
        holiday: String,
        message: String,
    },
    #[error("holiday file `{file}`: {message}")]
    InvalidFile { file: String, message: String },
}

/// A country, or a country's state or region, with a holiday calendar of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "&'static str")]
pub enum Jurisdiction {
    Br,
    /// São Paulo state.
    BrSp,
    /// Rio de Janeiro state.
    BrRj,
    Mx,
    Co,
    Cl,
    Pe,
    Ar,
    Es,
    Us,
}

impl Jurisdiction {
    pub const ALL: [Jurisdiction; 10] = [
        Jurisdiction::Br,
        Jurisdiction::BrSp,
        Jurisdiction::BrRj,
        Jurisdiction::Mx,
        Jurisdiction::Co,
        Jurisdiction::Cl,
        Jurisdiction::Pe,
        Jurisdiction::Ar,
        Jurisdiction::Es,
        Jurisdiction::Us,
    ];

    /// ISO 3166-1 alpha-2, with the ISO 3166-2 subdivision after a dash for regions (`BR-SP`).
    pub fn code(self) -> &'static str {
        match self {
            Jurisdiction::Br => "BR",
            Jurisdiction::BrSp => "BR-SP",
            Jurisdiction::BrRj => "BR-RJ",
            Jurisdiction::Mx => "MX",
            Jurisdiction::Co => "CO",
            Jurisdiction::Cl => "CL",
            Jurisdiction::Pe => "PE",
            Jurisdiction::Ar => "AR",
            Jurisdiction::Es => "ES",
            Jurisdiction::Us => "US",
        }
    }

    pub fn country(self) -> Country {
        match self {
            Jurisdiction::Br | Jurisdiction::BrSp | Jurisdiction::BrRj => Country::Br,
            Jurisdiction::Mx => Country::Mx,
            Jurisdiction::Co => Country::Co,
            Jurisdiction::Cl => Country::Cl,
            Jurisdiction::Pe => Country::Pe,
            Jurisdiction::Ar => Country::Ar,
            Jurisdiction::Es => Country::Es,
            Jurisdiction::Us => Country::Us,
        }
    }

    /// The subdivision code (`SP`), if this is a region.
    pub fn region(self) -> Option<&'static str> {
        self.code().split_once('-').map(|(_, r)| r)
    }

    /// A country and an optional region code: (`BR`, `Some("sp")`) is `BR-SP`.
    pub fn from_parts(country: &str, region: Option<&str>) -> Result<Jurisdiction, CalendarError> {
        match region.map(str::trim).filter(|r| !r.is_empty()) {
            None => country.parse(),
            Some(region) => format!("{}-{}", country.trim(), region).parse(),
        }
    }

    fn file(self) -> (&'static str, &'static str) {
        match self {
            Jurisdiction::Br => ("br.yaml", include_str!("../../data/holidays/br.yaml")),
            Jurisdiction::BrSp => ("br-sp.yaml", include_str!("../../data/holidays/br-sp.yaml")),
            Jurisdiction::BrRj => ("br-rj.yaml", include_str!("../../data/holidays/br-rj.yaml")),
            Jurisdiction::Mx => ("mx.yaml", include_str!("../../data/holidays/mx.yaml")),
            Jurisdiction::Co => ("co.yaml", include_str!("../../data/holidays/co.yaml")),
            Jurisdiction::Cl => ("cl.yaml", include_str!("../../data/holidays/cl.yaml")),
            Jurisdiction::Pe => ("pe.yaml", include_str!("../../data/holidays/pe.yaml")),
            Jurisdiction::Ar => ("ar.yaml", include_str!("../../data/holidays/ar.yaml")),
            Jurisdiction::Es => ("es.yaml", include_str!("../../data/holidays/es.yaml")),
            Jurisdiction::Us => ("us.yaml", include_str!("../../data/holidays/us.yaml")),
        }
    }

    fn index(self) -> usize {
        Jurisdiction::ALL
            .iter()
            .position(|j| *j == self)
            .unwrap_or_default()
    }

    fn known_codes() -> String {
        Jurisdiction::ALL
            .iter()
            .map(|j| j.code())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl From<Country> for Jurisdiction {
    fn from(country: Country) -> Self {
        match country {
            Country::Br => Jurisdiction::Br,
            Country::Mx => Jurisdiction::Mx,
            Country::Co => Jurisdiction::Co,
            Country::Cl => Jurisdiction::Cl,
            Country::Pe => Jurisdiction::Pe,
            Country::Ar => Jurisdiction::Ar,
            Country::Es => Jurisdiction::Es,
            Country::Us => Jurisdiction::Us,
        }
    }
}

impl fmt::Display for Jurisdiction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Jurisdiction {
    type Err = CalendarError;
    /// Case-insensitive; `BR-SP`, `br_sp` and ` br-sp ` are the same.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let normalized = text.trim().replace('_', "-");
        Jurisdiction::ALL
            .into_iter()
            .find(|j| j.code().eq_ignore_ascii_case(&normalized))
            .ok_or_else(|| CalendarError::UnknownJurisdiction {
                code: text.to_string(),
                known: Jurisdiction::known_codes(),
            })
    }
}

impl TryFrom<String> for Jurisdiction {
    type Error = CalendarError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<Jurisdiction> for &'static str {
    fn from(jurisdiction: Jurisdiction) -> Self {
        jurisdiction.code()
    }
}

/// One public holiday.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Holiday {
    pub date: NaiveDate,
    /// In the country's language; several names joined by " / " when holidays share a day.
    pub name: String,
}

/// Years whose tables are cached; others are computed on each call.
const CACHE_FIRST_YEAR: i32 = 1900;
const CACHE_LAST_YEAR: i32 = 2199;

/// Rules ready to evaluate (includes resolved), with a lazily filled per-year cache.
struct Compiled {
    code: String,
    name: String,
    rules: Vec<rules::Rule>,
    years: Box<[OnceLock<YearTable>]>,
}

/// One year of one jurisdiction: the list, and a bitset by day of the year for `is_holiday`.
struct YearTable {
    holidays: Vec<Holiday>,
    bits: [u64; 6],
}

impl YearTable {
    fn contains(&self, date: NaiveDate) -> bool {
        let day = date.ordinal0() as usize;
        self.bits[day / 64] & (1 << (day % 64)) != 0
    }
}

impl Compiled {
    fn new(code: String, name: String, rules: Vec<rules::Rule>) -> Compiled {
        let years = (CACHE_LAST_YEAR - CACHE_FIRST_YEAR + 1) as usize;
        Compiled {
            code,
            name,
            rules,
            years: (0..years).map(|_| OnceLock::new()).collect(),
        }
    }

    fn compute(&self, year: i32) -> YearTable {
        let mut by_date: BTreeMap<NaiveDate, String> = BTreeMap::new();
        let mut days = Vec::new();
        for rule in &self.rules {
            days.clear();
            rule.days_in(year, &mut days);
            for date in &days {
                add_name(&mut by_date, *date, &rule.name);
            }
        }
        let mut bits = [0u64; 6];
        for date in by_date.keys() {
            let day = date.ordinal0() as usize;
            bits[day / 64] |= 1 << (day % 64);
        }
        YearTable {
            holidays: by_date
                .into_iter()
                .map(|(date, name)| Holiday { date, name })
                .collect(),
            bits,
        }
    }

    fn with_year<R>(&self, year: i32, read: impl FnOnce(&YearTable) -> R) -> R {
        if (CACHE_FIRST_YEAR..=CACHE_LAST_YEAR).contains(&year) {
            let slot = &self.years[(year - CACHE_FIRST_YEAR) as usize];
            read(slot.get_or_init(|| self.compute(year)))
        } else {
            read(&self.compute(year))
        }
    }
}

/// Adds `name` to the day, joining names when the day already has one.
fn add_name(map: &mut BTreeMap<NaiveDate, String>, date: NaiveDate, name: &str) {
    match map.get_mut(&date) {
        Some(existing) => {
            if !existing.split(" / ").any(|n| n == name) {
                existing.push_str(" / ");
                existing.push_str(name);
            }
        }
        None => {
            map.insert(date, name.to_string());
        }
    }
}

/// Resolves `includes` (rules of the included sets come first) against the built-in files.
fn resolve(set: &RuleSet, file: &str, depth: usize) -> Result<Vec<rules::Rule>, CalendarError> {
    if depth > 4 {
        return Err(CalendarError::InvalidFile {
            file: file.to_string(),
            message: "`includes` nest too deep (a cycle?)".into(),
        });
    }
    let mut out = Vec::new();
    for code in &set.includes {
        let jurisdiction: Jurisdiction = code.parse().map_err(|_| CalendarError::InvalidFile {
            file: file.to_string(),
            message: format!(
                "`includes: {code}` is not a known jurisdiction (known: {})",
                Jurisdiction::known_codes()
            ),
        })?;
        let (inc_file, yaml) = jurisdiction.file();
        let inc = RuleSet::from_yaml(inc_file, yaml)?;
        out.extend(resolve(&inc, inc_file, depth + 1)?);
    }
    out.extend(set.rules.iter().cloned());
    Ok(out)
}

fn load_builtin(jurisdiction: Jurisdiction) -> Result<Arc<Compiled>, CalendarError> {
    let (file, yaml) = jurisdiction.file();
    let set = RuleSet::from_yaml(file, yaml)?;
    if set.code != jurisdiction.code() {
        return Err(CalendarError::InvalidFile {
            file: file.to_string(),
            message: format!(
                "declares `jurisdiction: {}` but is the file of {}",
                set.code,
                jurisdiction.code()
            ),
        });
    }
    let rules = resolve(&set, file, 0)?;
    Ok(Arc::new(Compiled::new(set.code, set.name, rules)))
}

type Builtins = Result<Vec<Arc<Compiled>>, CalendarError>;

static BUILTIN: LazyLock<Builtins> =
    LazyLock::new(|| Jurisdiction::ALL.into_iter().map(load_builtin).collect());

/// Parses every embedded holiday file; `Ok` when all are valid. The tests call it, so a bad
/// data file fails the build's tests rather than a running server.
pub fn check_builtin_files() -> Result<(), CalendarError> {
    BUILTIN.as_ref().map(|_| ()).map_err(Clone::clone)
}

/// The public holidays of one jurisdiction, plus any days a tenant adds.
///
/// Cheap to clone (two `Arc`s).
#[derive(Clone)]
pub struct HolidayCalendar {
    base: Arc<Compiled>,
    extra: Arc<BTreeMap<NaiveDate, String>>,
}

impl fmt::Debug for HolidayCalendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HolidayCalendar")
            .field("jurisdiction", &self.base.code)
            .field("rules", &self.base.rules.len())
            .field("extra_days", &self.extra.len())
            .finish()
    }
}

impl HolidayCalendar {
    /// The built-in calendar of `jurisdiction`.
    ///
    /// # Panics
    /// If an embedded holiday file is invalid: a build defect that the crate's tests catch
    /// (`check_builtin_files`). Use [`HolidayCalendar::try_for_jurisdiction`] to get the error.
    pub fn for_jurisdiction(jurisdiction: Jurisdiction) -> HolidayCalendar {
        match HolidayCalendar::try_for_jurisdiction(jurisdiction) {
            Ok(calendar) => calendar,
            Err(error) => {
                panic!(
                    "embedded holiday data is invalid (the tests should have caught it): {error}"
                )
            }
        }
    }

    /// The built-in calendar of `jurisdiction`, or the error in the embedded data.
    pub fn try_for_jurisdiction(
        jurisdiction: Jurisdiction,
    ) -> Result<HolidayCalendar, CalendarError> {
        let all = BUILTIN.as_ref().map_err(Clone::clone)?;
        let base = all.get(jurisdiction.index()).cloned().ok_or_else(|| {
            CalendarError::UnknownJurisdiction {
                code: jurisdiction.code().to_string(),
                known: Jurisdiction::known_codes(),
            }
        })?;
        Ok(HolidayCalendar {
            base,
            extra: Arc::new(BTreeMap::new()),
        })
    }

    /// A calendar from a holiday file of one's own (same schema as the built-in files); its
    /// `includes` may name built-in jurisdictions.
    pub fn from_rules(set: &RuleSet) -> Result<HolidayCalendar, CalendarError> {
        let rules = resolve(set, set.code(), 0)?;
        Ok(HolidayCalendar {
            base: Arc::new(Compiled::new(set.code.clone(), set.name.clone(), rules)),
            extra: Arc::new(BTreeMap::new()),
        })
    }

    /// The same calendar with more days off, e.g. a tenant's own closing days. A day that is
    /// already a holiday keeps its name and gets the new one added.
    pub fn with_extra_days<I, S>(self, days: I) -> HolidayCalendar
    where
        I: IntoIterator<Item = (NaiveDate, S)>,
        S: Into<String>,
    {
        let mut extra = Arc::unwrap_or_clone(self.extra);
        for (date, name) in days {
            let name: String = name.into();
            add_name(&mut extra, date, name.trim());
        }
        HolidayCalendar {
            base: self.base,
            extra: Arc::new(extra),
        }
    }

    /// The jurisdiction code (`CO`, `BR-SP`).
    pub fn code(&self) -> &str {
        &self.base.code
    }

    /// The jurisdiction's name as the file gives it.
    pub fn name(&self) -> &str {
        &self.base.name
    }

    /// Every holiday of `year`, sorted by date, one entry per date.
    pub fn holidays(&self, year: i32) -> Vec<Holiday> {
        let mut list = self.base.with_year(year, |t| t.holidays.clone());
        let (Some(first), Some(last)) = (
            NaiveDate::from_ymd_opt(year, 1, 1),
            NaiveDate::from_ymd_opt(year, 12, 31),
        ) else {
            return list;
        };
        let mut extra = self.extra.range(first..=last).peekable();
        if extra.peek().is_none() {
            return list;
        }
        let mut by_date: BTreeMap<NaiveDate, String> =
            list.drain(..).map(|h| (h.date, h.name)).collect();
        for (date, name) in extra {
            add_name(&mut by_date, *date, name);
        }
        by_date
            .into_iter()
            .map(|(date, name)| Holiday { date, name })
            .collect()
    }

    /// Whether `date` is a holiday. After the first call for a year, a bit test.
    pub fn is_holiday(&self, date: NaiveDate) -> bool {
        (!self.extra.is_empty() && self.extra.contains_key(&date))
            || self.base.with_year(date.year(), |t| t.contains(date))
    }

    /// The holiday's name, if `date` is one.
    pub fn holiday_name(&self, date: NaiveDate) -> Option<String> {
        if !self.is_holiday(date) {
            return None;
        }
        self.holidays(date.year())
            .into_iter()
            .find(|h| h.date == date)
            .map(|h| h.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_files_are_valid() {
        check_builtin_files().unwrap();
    }

    #[test]
    fn jurisdiction_parsing() {
        assert_eq!("co".parse::<Jurisdiction>().unwrap(), Jurisdiction::Co);
        assert_eq!(
            " br-rj ".parse::<Jurisdiction>().unwrap(),
            Jurisdiction::BrRj
        );
        assert_eq!("BR_SP".parse::<Jurisdiction>().unwrap(), Jurisdiction::BrSp);
        assert_eq!(
            Jurisdiction::from_parts("br", Some("sp")).unwrap(),
            Jurisdiction::BrSp
        );
        assert_eq!(
            Jurisdiction::from_parts("BR", None).unwrap(),
            Jurisdiction::Br
        );
        let e = "XX".parse::<Jurisdiction>().unwrap_err().to_string();
        assert!(
            e.contains("`XX`") && e.contains("BR-SP") && e.contains("US"),
            "{e}"
        );
        assert!(Jurisdiction::from_parts("BR", Some("MG")).is_err());
        assert_eq!(Jurisdiction::BrSp.region(), Some("SP"));
        assert_eq!(Jurisdiction::BrSp.country(), Country::Br);
        assert_eq!(Jurisdiction::Co.region(), None);
        assert_eq!(Jurisdiction::from(Country::Pe), Jurisdiction::Pe);
        let json = serde_json::to_string(&Jurisdiction::BrRj).unwrap();
        assert_eq!(json, "\"BR-RJ\"");
        assert_eq!(
            serde_json::from_str::<Jurisdiction>(&json).unwrap(),
            Jurisdiction::BrRj
        );
    }

    #[test]
    fn every_jurisdiction_loads_its_own_file() {
        for j in Jurisdiction::ALL {
            let c = HolidayCalendar::try_for_jurisdiction(j).unwrap();
            assert_eq!(c.code(), j.code());
        }
    }
}
