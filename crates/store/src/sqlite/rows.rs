//! Rows read through SQLite's C API (the planner's bulk reads): the row structs of `rows.rs`,
//! filled column by column in the order of their `*_COLUMNS` constant, then converted by the
//! same `into_domain`; and the planner's big reads decoded straight into domain values.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::types::Json;

use recaudo_domain::portfolio::{
    Consent, ContactPoint, Debt, Debtor, PostalAddress, Preferences, StrategyAssignment,
};
use recaudo_domain::{
    ContactId, ContactPointId, Currency, DebtId, DebtorId, EventId, MessageId, Money, PromiseId,
};

use super::ffi::Columns;
use crate::rows::{
    ContactPointRow, DebtRow, DebtorRow, EventRow, PromiseRow, StoredAssignment, parse,
};
use crate::{Result, StoreError};

/// One column decoded as sqlx decodes it from SQLite.
pub(crate) trait Col: Sized {
    fn col(columns: &Columns, column: usize, name: &str) -> Result<Self>;
}

fn null(name: &str) -> StoreError {
    StoreError::corrupt(format!("column {name} is NULL"))
}

/// A time as stored by sqlx on SQLite (RFC 3339), or SQLite's own `YYYY-MM-DD HH:MM:SS[.f]`.
fn parse_time(name: &str, text: &str) -> Result<DateTime<Utc>> {
    if let Some(time) = parse_utc_fast(text) {
        return Ok(time);
    }
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
        .map(|time| time.and_utc())
        .map_err(|e| StoreError::corrupt(format!("column {name}: `{text}`: {e}")))
}

/// The one form the store writes (`YYYY-MM-DDTHH:MM:SS[.fraction]+00:00`, or `Z`), read without
/// the general RFC 3339 parser: the planner reads millions of them. `None` for anything else.
fn parse_utc_fast(text: &str) -> Option<DateTime<Utc>> {
    let bytes = text.as_bytes();
    let rest = bytes
        .strip_suffix(b"+00:00")
        .or_else(|| bytes.strip_suffix(b"Z"))?;
    if rest.len() < 19 || rest[4] != b'-' || rest[7] != b'-' || rest[10] != b'T' {
        return None;
    }
    if rest[13] != b':' || rest[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        rest[r].iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let nanos = match &rest[19..] {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            let fraction = num(20..rest.len())?;
            fraction * 10u32.pow(9 - digits.len() as u32)
        }
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
    let time =
        chrono::NaiveTime::from_hms_nano_opt(num(11..13)?, num(14..16)?, num(17..19)?, nanos)?;
    Some(date.and_time(time).and_utc())
}

impl<T: Col> Col for Option<T> {
    fn col(columns: &Columns, column: usize, name: &str) -> Result<Self> {
        match columns.text(column) {
            None => Ok(None),
            Some(_) => T::col(columns, column, name).map(Some),
        }
    }
}

/// Ids read through SQLite's C API (the `from_columns!` structs below) as sqlx decodes them:
/// the column's text through the id's parser, no owned copy.
macro_rules! id_col {
    ($($id:ty),*) => {$(
        impl Col for $id {
            fn col(columns: &Columns, column: usize, name: &str) -> Result<Self> {
                parse(name, columns.text(column).ok_or_else(|| null(name))?)
            }
        }
    )*};
}
id_col!(
    DebtorId,
    ContactPointId,
    DebtId,
    EventId,
    PromiseId,
    ContactId,
    MessageId
);

impl Col for String {
    fn col(columns: &Columns, column: usize, name: &str) -> Result<Self> {
        columns
            .text(column)
            .map(str::to_string)
            .ok_or_else(|| null(name))
    }
}

impl Col for i64 {
    fn col(columns: &Columns, column: usize, name: &str) -> Result<Self> {
        columns.int(column).ok_or_else(|| null(name))
    }
}

impl Col for i32 {
    fn col(columns: &Columns, column: usize, name: &str) -> Result<Self> {
        let value = columns.int(column).ok_or_else(|| null(name))?;
        i32::try_from(value).map_err(|e| StoreError::corrupt(format!("column {name}: {e}")))
    }
}

impl Col for bool {
    fn col(columns: &Columns, column: usize, name: &str) -> Result<Self> {
        columns
            .int(column)
            .map(|value| value != 0)
            .ok_or_else(|| null(name))
    }
}

/// `YYYY-MM-DD` without chrono's format parser (the planner reads millions of dates).
fn parse_date_fast(text: &str) -> Option<NaiveDate> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        bytes[r].iter().try_fold(0u32, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
}

impl Col for NaiveDate {
    fn col(columns: &Columns, column: usize, name: &str) -> Result<Self> {
        let text = columns.text(column).ok_or_else(|| null(name))?;
        if let Some(date) = parse_date_fast(text) {
            return Ok(date);
        }
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|e| StoreError::corrupt(format!("column {name}: `{text}`: {e}")))
    }
}

impl Col for DateTime<Utc> {
    fn col(columns: &Columns, column: usize, name: &str) -> Result<Self> {
        parse_time(name, columns.text(column).ok_or_else(|| null(name))?)
    }
}

impl<T: serde::de::DeserializeOwned> Col for Json<T> {
    fn col(columns: &Columns, column: usize, name: &str) -> Result<Self> {
        from_json(columns.text(column).ok_or_else(|| null(name))?, name).map(Json)
    }
}

/// The text of member `key` of the JSON object `object` (`None`: it has none), found by a scan
/// of its top level that steps over the other members' values without parsing them. Keys are
/// compared as written (the store's ids need no escapes).
pub(crate) fn json_member<'a>(object: &'a str, key: &str) -> Result<Option<&'a str>> {
    let bytes = object.as_bytes();
    let bad = || StoreError::corrupt(format!("strategies: not a JSON object: {object}"));
    let ws = |mut at: usize| {
        while bytes.get(at).is_some_and(|c| c.is_ascii_whitespace()) {
            at += 1;
        }
        at
    };
    let mut at = ws(0);
    if bytes.get(at) != Some(&b'{') {
        return Err(bad());
    }
    at = ws(at + 1);
    if bytes.get(at) == Some(&b'}') {
        return Ok(None);
    }
    loop {
        if bytes.get(at) != Some(&b'"') {
            return Err(bad());
        }
        let end = json_value_end(bytes, at).ok_or_else(bad)?;
        let name = &object[at + 1..end - 1];
        at = ws(end);
        if bytes.get(at) != Some(&b':') {
            return Err(bad());
        }
        at = ws(at + 1);
        let value_end = json_value_end(bytes, at).ok_or_else(bad)?;
        if name == key {
            return Ok(Some(&object[at..value_end]));
        }
        at = ws(value_end);
        match bytes.get(at) {
            Some(b',') => at = ws(at + 1),
            Some(b'}') => return Ok(None),
            _ => return Err(bad()),
        }
    }
}

/// A debt's member of `debtor_plans.strategies` ([`StoredAssignment`]) as its assignment. The
/// form the store writes (`["id",1,{…},"time"]`, without spaces, the id without escapes) is
/// read directly, the arms through the thread's memo and the time in the store's own format;
/// anything else through `serde_json` (a day after the first, 970k debts of 1M read theirs).
pub(crate) fn stored_assignment(text: &str) -> Result<StrategyAssignment> {
    let fast = || -> Option<(&str, u32, &str, DateTime<Utc>)> {
        let inner = text.strip_prefix("[\"")?.strip_suffix("\"]")?;
        let (strategy, rest) = inner.split_once("\",")?;
        let (version, rest) = rest.split_once(',')?;
        let (arms, time) = rest.rsplit_once(",\"")?;
        let plain = !strategy.contains(['"', '\\']) && arms.starts_with('{');
        plain.then_some((strategy, version.parse().ok()?, arms, parse_utc_fast(time)?))
    };
    match fast() {
        Some((strategy, version, arms, started_at)) => Ok(StrategyAssignment {
            strategy: strategy.to_string(),
            version,
            arms: if arms == "{}" {
                BTreeMap::new()
            } else {
                ARMS.with_borrow_mut(|m| m.get(arms, "strategy arms"))?
            },
            started_at,
        }),
        None => from_json::<StoredAssignment>(text, "strategies")?.into_domain(),
    }
}

/// Where the JSON value starting at `bytes[start]` ends (the index after it), without checking it
/// beyond its brackets and strings.
fn json_value_end(bytes: &[u8], start: usize) -> Option<usize> {
    let string_end = |mut at: usize| {
        at += 1;
        loop {
            match bytes.get(at)? {
                b'\\' => at += 2,
                b'"' => return Some(at + 1),
                _ => at += 1,
            }
        }
    };
    match bytes.get(start)? {
        b'"' => string_end(start),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut at = start;
            loop {
                match bytes.get(at)? {
                    b'"' => {
                        at = string_end(at)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(at + 1);
                        }
                    }
                    _ => {}
                }
                at += 1;
            }
        }
        _ => {
            let mut at = start;
            while bytes
                .get(at)
                .is_some_and(|c| !matches!(c, b',' | b'}' | b']') && !c.is_ascii_whitespace())
            {
                at += 1;
            }
            (at > start).then_some(at)
        }
    }
}

/// The text of JSON column `name` as `T`.
fn from_json<T: serde::de::DeserializeOwned>(text: &str, name: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| StoreError::corrupt(format!("column {name}: {e}")))
}

/// Implements `FromColumns` for a row struct: its fields in the order of its columns. Also
/// gives `FIELD_ORDER`, checked against the `*_COLUMNS` constants by a test.
macro_rules! from_columns {
    ($ty:ty { $($field:ident),* $(,)? }) => {
        impl crate::sqlite::ffi::FromColumns for $ty {
            fn from_columns(columns: &crate::sqlite::ffi::Columns) -> crate::Result<Self> {
                let mut _i = 0usize;
                $(
                    let $field = crate::sqlite::rows::Col::col(columns, _i, stringify!($field))?;
                    _i += 1;
                )*
                Ok(Self { $($field),* })
            }
        }
        #[cfg(test)]
        impl crate::sqlite::rows::FieldOrder for $ty {
            const FIELD_ORDER: &'static [&'static str] = &[$(stringify!($field)),*];
        }
    };
}
pub(crate) use from_columns;

// The planner's three big reads, decoded straight into domain values: the row structs above
// hold a `String` for every code (kind, channel, status…), parsed and dropped at once, and their
// JSON columns parsed whole each row. Same columns, same meaning as the structs' `into_domain`
// (a test reads one portfolio both ways).

/// A text column parsed as `T` (codes: ids are read as their type, [`Col`]).
fn parsed<T: std::str::FromStr>(columns: &Columns, column: usize, what: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    parse(what, columns.text(column).ok_or_else(|| null(what))?)
}

/// A JSON column as `T`; `empty` is what the store writes for an empty value (`[]`, `{}`),
/// taken without the parser.
fn json_col<T: serde::de::DeserializeOwned>(
    columns: &Columns,
    column: usize,
    name: &str,
    empty: (&str, fn() -> T),
) -> Result<T> {
    let text = columns.text(column).ok_or_else(|| null(name))?;
    if text == empty.0 {
        return Ok(empty.1());
    }
    from_json(text, name)
}

/// The values of a JSON column that repeats from row to row (a portfolio's debtors share a
/// handful of preference sets and tag lists), kept per thread with their text: the first
/// [`Memo::KEPT`] distinct texts seen are parsed once, any other every time.
struct Memo<T>(Vec<(Box<str>, T)>);

impl<T: Clone + serde::de::DeserializeOwned> Memo<T> {
    const KEPT: usize = 16;

    fn get(&mut self, text: &str, name: &str) -> Result<T> {
        if let Some((_, value)) = self.0.iter().find(|(k, _)| **k == *text) {
            return Ok(value.clone());
        }
        let value: T = from_json(text, name)?;
        if self.0.len() < Self::KEPT {
            self.0.push((text.into(), value.clone()));
        }
        Ok(value)
    }
}

thread_local! {
    static PREFERENCES: std::cell::RefCell<Memo<Preferences>> =
        const { std::cell::RefCell::new(Memo(Vec::new())) };
    static TAGS: std::cell::RefCell<Memo<Vec<String>>> =
        const { std::cell::RefCell::new(Memo(Vec::new())) };
    static ARMS: std::cell::RefCell<Memo<BTreeMap<String, String>>> =
        const { std::cell::RefCell::new(Memo(Vec::new())) };
}

/// [`json_col`] through the thread's [`Memo`] of the column's values.
fn memo_col<T: Clone + serde::de::DeserializeOwned>(
    memo: &'static std::thread::LocalKey<std::cell::RefCell<Memo<T>>>,
    columns: &Columns,
    column: usize,
    name: &str,
    empty: (&str, fn() -> T),
) -> Result<T> {
    let text = columns.text(column).ok_or_else(|| null(name))?;
    if text == empty.0 {
        return Ok(empty.1());
    }
    memo.with_borrow_mut(|m| m.get(text, name))
}

thread_local! {
    /// The last debtor id parsed on this thread, with its text.
    static LAST_DEBTOR: std::cell::Cell<Option<(recaudo_domain::IdText, DebtorId)>> =
        const { std::cell::Cell::new(None) };
}

/// A debtor id column. The planner reads debts and contact points in debtor order, several
/// rows per debtor, so the id of the row before is compared first and parsed only when it
/// changed.
fn debtor_col(columns: &Columns, column: usize) -> Result<DebtorId> {
    let raw = columns.text(column).ok_or_else(|| null("debtor id"))?;
    if let Some((text, id)) = LAST_DEBTOR.get()
        && *text == *raw
    {
        return Ok(id);
    }
    let id: DebtorId = parse("debtor id", raw)?;
    LAST_DEBTOR.set(Some((id.text(), id)));
    Ok(id)
}

/// [`DebtorRow`] read straight into a [`Debtor`] (`rows::DEBTOR_READ_COLUMNS` order).
impl super::ffi::FromColumns for Debtor {
    fn from_columns(columns: &Columns) -> Result<Debtor> {
        Ok(Debtor {
            id: DebtorId::col(columns, 0, "id")?,
            external_id: String::col(columns, 1, "external_id")?,
            kind: parsed(columns, 2, "debtor kind")?,
            name: String::col(columns, 3, "name")?,
            document_type: Col::col(columns, 4, "document_type")?,
            document_number: Col::col(columns, 5, "document_number")?,
            birth_date: Col::col(columns, 6, "birth_date")?,
            language: parsed(columns, 7, "language")?,
            timezone: String::col(columns, 8, "timezone")?,
            country: parsed(columns, 9, "country")?,
            segment: Col::col(columns, 10, "segment")?,
            tags: memo_col(&TAGS, columns, 11, "tags", ("[]", Vec::new))?,
            attributes: json_col(
                columns,
                12,
                "attributes",
                ("{}", || serde_json::Value::Object(Default::default())),
            )?,
            preferences: memo_col(
                &PREFERENCES,
                columns,
                13,
                "preferences",
                ("{}", Preferences::default),
            )?,
            created_at: Col::col(columns, 14, "created_at")?,
            updated_at: Col::col(columns, 15, "updated_at")?,
            computed_segment: Col::col(columns, 16, "computed_segment")?,
        })
    }
}

/// Where a query has each contact point field: its column, or `None` when it is not read
/// (then empty: no address, no postal address, no consent source or time).
struct PointLayout {
    address: Option<usize>,
    postal: Option<usize>,
    verified: usize,
    status: usize,
    source: Option<usize>,
    at: Option<usize>,
    opted_out: usize,
    /// Whether the creation time is read (after the bounce count); else the epoch.
    created: bool,
}

impl PointLayout {
    /// A contact point from a row of this layout: id, debtor and channel first, then the
    /// fields in the layout's places, ending with priority, bounce count and creation time.
    fn read(&self, columns: &Columns) -> Result<ContactPoint> {
        fn opt<T>(columns: &Columns, column: Option<usize>, name: &str) -> Result<Option<T>>
        where
            Option<T>: Col,
        {
            column.map_or(Ok(None), |column| Col::col(columns, column, name))
        }
        let postal: Option<Json<PostalAddress>> = opt(columns, self.postal, "postal")?;
        let opted_out = self.opted_out;
        Ok(ContactPoint {
            id: ContactPointId::col(columns, 0, "id")?,
            debtor_id: debtor_col(columns, 1)?,
            channel: parsed(columns, 2, "channel")?,
            address: match self.address {
                Some(column) => String::col(columns, column, "address")?,
                None => String::new(),
            },
            postal: postal.map(|j| Box::new(j.0)),
            verified: bool::col(columns, self.verified, "verified")?,
            consent: Consent {
                status: parsed(columns, self.status, "consent status")?,
                source: opt(columns, self.source, "consent_source")?,
                at: opt(columns, self.at, "consent_at")?,
            },
            opted_out_at: Col::col(columns, opted_out, "opted_out_at")?,
            priority: i32::col(columns, opted_out + 1, "priority")?,
            bounce_count: i32::col(columns, opted_out + 2, "bounce_count")?,
            created_at: if self.created {
                Col::col(columns, opted_out + 3, "created_at")?
            } else {
                DateTime::UNIX_EPOCH
            },
        })
    }
}

/// [`ContactPointRow`] read straight into a [`ContactPoint`] (`rows::CONTACT_POINT_COLUMNS` order).
impl super::ffi::FromColumns for ContactPoint {
    fn from_columns(columns: &Columns) -> Result<ContactPoint> {
        PointLayout {
            address: Some(3),
            postal: Some(4),
            verified: 5,
            status: 6,
            source: Some(7),
            at: Some(8),
            opted_out: 9,
            created: true,
        }
        .read(columns)
    }
}

/// The contact point columns the planner's batches read on SQLite, for [`PlannerPoint`]: only
/// what a decision depends on. Naming the others as constants (`NULL AS postal`) had cost
/// SQLite an instruction and the decoder two calls a column and a row (3.5M points on a
/// 1M-debt day); PostgreSQL reads them that way still
/// (`planning::read::PLANNER_CONTACT_POINT_COLUMNS`). Nor the creation time: the planner breaks
/// ties between points by id (`planner::contact_point`), and 3.5M times parsed a day were 2 % of
/// it.
pub(crate) const PLANNER_POINT_COLUMNS: &str =
    crate::rows::contact_point_columns!(address: "", consent: "", created: "");

/// A contact point as the planner reads it ([`PLANNER_POINT_COLUMNS`]): without its address,
/// postal address, the consent's source and time and its creation time (the epoch), which no
/// decision looks at.
pub(crate) struct PlannerPoint(pub ContactPoint);

impl super::ffi::FromColumns for PlannerPoint {
    fn from_columns(columns: &Columns) -> Result<PlannerPoint> {
        PointLayout {
            address: None,
            postal: None,
            verified: 3,
            status: 4,
            source: None,
            at: None,
            opted_out: 5,
            created: false,
        }
        .read(columns)
        .map(PlannerPoint)
    }
}

/// [`DebtRow`] read straight into a [`Debt`] (`rows::DEBT_COLUMNS` then
/// `rows::DEBT_STRATEGY_COLUMNS`: the planner's batches read the strategies apart, with the
/// debtor's planner state).
impl super::ffi::FromColumns for Debt {
    fn from_columns(columns: &Columns) -> Result<Debt> {
        let currency: Currency = parsed(columns, 3, "currency")?;
        let strategy = match columns.text(12) {
            None => None,
            Some(text) => Some(stored_assignment(text)?),
        };
        Ok(Debt {
            id: DebtId::col(columns, 0, "id")?,
            debtor_id: debtor_col(columns, 1)?,
            external_id: String::col(columns, 2, "external_id")?,
            original: Money::from_minor(i64::col(columns, 4, "original_minor")?, currency),
            balance: Money::from_minor(i64::col(columns, 5, "balance_minor")?, currency),
            issued_on: Col::col(columns, 6, "issued_on")?,
            due_on: Col::col(columns, 7, "due_on")?,
            product: Col::col(columns, 8, "product")?,
            status: parsed(columns, 9, "debt status")?,
            strategy,
            created_at: Col::col(columns, 10, "created_at")?,
            updated_at: Col::col(columns, 11, "updated_at")?,
        })
    }
}

/// The column order a `from_columns!` struct reads.
#[cfg(test)]
pub(crate) trait FieldOrder {
    const FIELD_ORDER: &'static [&'static str];
}

from_columns!(DebtorRow {
    id,
    external_id,
    kind,
    name,
    document_type,
    document_number,
    birth_date,
    language,
    timezone,
    country,
    segment,
    tags,
    attributes,
    preferences,
    created_at,
    updated_at,
    computed_segment
});
from_columns!(ContactPointRow {
    id,
    debtor_id,
    channel,
    address,
    postal,
    verified,
    consent_status,
    consent_source,
    consent_at,
    opted_out_at,
    priority,
    bounce_count,
    created_at
});
from_columns!(DebtRow {
    id,
    debtor_id,
    external_id,
    currency,
    original_minor,
    balance_minor,
    issued_on,
    due_on,
    product,
    status,
    created_at,
    updated_at,
    strategy
});
from_columns!(EventRow {
    id,
    debtor_id,
    debt_id,
    kind,
    at,
    recorded_at,
    data
});
from_columns!(PromiseRow {
    id,
    debt_id,
    currency,
    amount_minor,
    due_on,
    channel,
    status,
    created_at,
    closed_at,
    closed_by,
    close_reason
});

#[cfg(test)]
mod members {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_member_is_found_at_the_top_level_only() {
        let object =
            r#"{"exp":{"debt_1":"x"}, "debt_1" : ["s",1,{"a":"}]"},"t"] ,"n":-2.5e3,"z":null}"#;
        assert_eq!(
            json_member(object, "debt_1").unwrap(),
            Some(r#"["s",1,{"a":"}]"},"t"]"#)
        );
        assert_eq!(json_member(object, "n").unwrap(), Some("-2.5e3"));
        assert_eq!(json_member(object, "z").unwrap(), Some("null"));
        assert_eq!(json_member(object, "a").unwrap(), None);
        assert_eq!(json_member(" { } ", "a").unwrap(), None);
        for bad in [
            "",
            "[]",
            "{",
            r#"{"a""#,
            r#"{"a":}"#,
            r#"{"a":[1}"#,
            r#"{"a":1 "b":2}"#,
        ] {
            assert!(json_member(bad, "b").is_err(), "{bad}");
        }
    }

    #[test]
    fn assignments_read_directly_are_what_serde_json_reads() {
        let time = DateTime::parse_from_rfc3339("2026-12-04T15:00:00.25Z")
            .unwrap()
            .to_utc();
        for arms in [
            vec![],
            vec![("tone", "firm")],
            vec![("a", "x,\"y"), ("b", "}")],
        ] {
            let assignment = StrategyAssignment {
                strategy: "lender-consumer".into(),
                version: 3,
                arms: arms
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                started_at: time,
            };
            let stored = StoredAssignment::of(&assignment);
            let serde = serde_json::to_string(&stored).unwrap();
            let pretty = serde_json::to_string_pretty(&stored).unwrap();
            let own = format!(
                "[\"{}\",{},{},\"{}\"]",
                assignment.strategy,
                assignment.version,
                serde_json::to_string(&assignment.arms).unwrap(),
                crate::sqlite::time_text(time)
            );
            for text in [serde, pretty, own] {
                assert_eq!(stored_assignment(&text).unwrap(), assignment, "{text}");
            }
        }
        let escaped = r#"["a\"b",1,{},"2026-12-04T15:00:00Z"]"#;
        assert_eq!(stored_assignment(escaped).unwrap().strategy, "a\"b");
        for bad in [
            "[]",
            r#"["s",-1,{},"2026-12-04T15:00:00Z"]"#,
            r#"["s",1,{},"yesterday"]"#,
        ] {
            assert!(stored_assignment(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn members_are_what_serde_json_reads(
            map in proptest::collection::btree_map(
                "[a-z_0-9\\\\\"{}\\[\\]:, ]{0,12}",
                proptest::collection::vec("[a-z\\\\\"{}\\[\\]:, ]{0,8}", 0..3),
                0..5,
            ),
            pretty in any::<bool>(),
        ) {
            let text = if pretty {
                serde_json::to_string_pretty(&map).unwrap()
            } else {
                serde_json::to_string(&map).unwrap()
            };
            for (key, values) in &map {
                // Keys written without escapes are found by their text.
                if serde_json::to_string(key).unwrap() == format!("\"{key}\"") {
                    let found = json_member(&text, key).unwrap().expect("member");
                    let read: Vec<String> = serde_json::from_str(found).unwrap();
                    prop_assert_eq!(&read, values);
                }
            }
            prop_assert_eq!(json_member(&text, "absent-key-").unwrap(), None);
        }
    }
}

#[cfg(test)]
mod times {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_fast_path_reads_what_the_store_writes_and_leaves_the_rest() {
        for text in [
            "2026-12-02T15:00:00+00:00",
            "2026-12-02T15:00:00Z",
            "2026-12-02T15:00:00.5+00:00",
            "2026-12-02T15:00:00.123456789+00:00",
        ] {
            let general = DateTime::parse_from_rfc3339(text).unwrap().to_utc();
            assert_eq!(parse_utc_fast(text), Some(general), "{text}");
        }
        for text in [
            "2026-12-02T15:00:00-05:00",
            "2026-12-02 15:00:00",
            "2026-13-02T15:00:00Z",
            "2026-12-02T15:00:00.Z",
            "2026-12-02T15:0a:00Z",
            "",
        ] {
            assert_eq!(parse_utc_fast(text), None, "{text}");
        }
        assert_eq!(
            parse_time("t", "2026-12-02T10:00:00-05:00").unwrap(),
            parse_time("t", "2026-12-02T15:00:00Z").unwrap()
        );
    }

    #[test]
    fn dates_read_fast_or_not_at_all() {
        assert_eq!(
            parse_date_fast("2026-02-28"),
            NaiveDate::from_ymd_opt(2026, 2, 28)
        );
        for text in [
            "2026-02-30",
            "2026-2-28",
            "2026/02/28",
            "20260228",
            "",
            "2026-02-2x",
        ] {
            assert_eq!(parse_date_fast(text), None, "{text}");
        }
    }

    proptest! {
        #[test]
        fn dates_agree_with_chrono(days in -1_000_000i32..1_000_000) {
            let date = NaiveDate::from_num_days_from_ce_opt(730_000 + days).unwrap();
            let text = date.to_string();
            if text.len() == 10 {
                prop_assert_eq!(parse_date_fast(&text), Some(date));
            }
        }

        #[test]
        fn the_fast_path_agrees_with_chrono(secs in 0i64..4_102_444_800, nanos in 0u32..1_000_000_000) {
            let time = DateTime::from_timestamp(secs, nanos).unwrap();
            let text = crate::sqlite::time_text(time);
            prop_assert_eq!(parse_utc_fast(&text), Some(time));
        }
    }
}

#[cfg(test)]
mod column_order {
    use super::*;
    use crate::rows::{
        CONTACT_POINT_COLUMNS, DEBT_COLUMNS, DEBT_STRATEGY_COLUMNS, DEBTOR_COLUMNS,
        DEBTOR_READ_COLUMNS, DEBTOR_SEGMENT, EVENT_COLUMNS, PROMISE_COLUMNS,
    };

    fn columns(list: &[&str]) -> Vec<String> {
        list.iter()
            .flat_map(|l| l.split(','))
            .map(|c| {
                let c = c.trim();
                c.rsplit_once(" AS ")
                    .map_or(c, |(_, alias)| alias)
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn structs_read_by_the_c_api_follow_their_column_lists() {
        assert_eq!(columns(&[DEBTOR_READ_COLUMNS]), DebtorRow::FIELD_ORDER);
        assert!(DEBTOR_READ_COLUMNS.starts_with(DEBTOR_COLUMNS));
        assert!(DEBTOR_SEGMENT.contains("planned_segment"));
        assert_eq!(
            columns(&[CONTACT_POINT_COLUMNS]),
            ContactPointRow::FIELD_ORDER
        );
        assert_eq!(
            columns(&[DEBT_COLUMNS, DEBT_STRATEGY_COLUMNS]),
            DebtRow::FIELD_ORDER
        );
        assert_eq!(columns(&[EVENT_COLUMNS]), EventRow::FIELD_ORDER);
        assert_eq!(columns(&[PROMISE_COLUMNS]), PromiseRow::FIELD_ORDER);
        assert_eq!(
            columns(&[crate::outbox::CONTACT_READ_COLUMNS]),
            crate::outbox::ContactRow::FIELD_ORDER
        );
    }
}
