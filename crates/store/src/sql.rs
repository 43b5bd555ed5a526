//! Queries built at run time, written once for both databases.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::value::RawValue;

/// A value bound to a placeholder. Only types both drivers encode alike.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Text(String),
    OptText(Option<String>),
    Int(i64),
    OptInt(Option<i64>),
    Bool(bool),
    Date(NaiveDate),
    OptDate(Option<NaiveDate>),
    Time(DateTime<Utc>),
    OptTime(Option<DateTime<Utc>>),
    /// JSON text, already serialized (it is written as is by both drivers).
    Json(Box<RawValue>),
    OptJson(Option<Box<RawValue>>),
    /// Raw bytes (BLOB in SQLite, BYTEA in PostgreSQL).
    Bytes(Vec<u8>),
}

/// The JSON text of `v`.
pub(crate) fn raw_json<T: serde::Serialize + ?Sized>(value: &T) -> crate::Result<Box<RawValue>> {
    serde_json::value::to_raw_value(value).map_err(crate::StoreError::corrupt)
}

/// The JSON text of a `Value` (which always serializes).
fn raw_value(value: &serde_json::Value) -> Box<RawValue> {
    raw_json(value).unwrap_or_else(|_| RawValue::NULL.to_owned())
}

impl From<Vec<u8>> for Arg {
    fn from(v: Vec<u8>) -> Self {
        Arg::Bytes(v)
    }
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Arg::Text(s.to_string())
    }
}
impl From<String> for Arg {
    fn from(s: String) -> Self {
        Arg::Text(s)
    }
}
impl From<Option<String>> for Arg {
    fn from(s: Option<String>) -> Self {
        Arg::OptText(s)
    }
}
impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(v)
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::OptInt(v)
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Arg::Bool(v)
    }
}
impl From<NaiveDate> for Arg {
    fn from(v: NaiveDate) -> Self {
        Arg::Date(v)
    }
}
impl From<Option<NaiveDate>> for Arg {
    fn from(v: Option<NaiveDate>) -> Self {
        Arg::OptDate(v)
    }
}
impl From<DateTime<Utc>> for Arg {
    fn from(v: DateTime<Utc>) -> Self {
        Arg::Time(v)
    }
}
impl From<Option<DateTime<Utc>>> for Arg {
    fn from(v: Option<DateTime<Utc>>) -> Self {
        Arg::OptTime(v)
    }
}
impl From<Box<RawValue>> for Arg {
    fn from(v: Box<RawValue>) -> Self {
        Arg::Json(v)
    }
}
impl From<Option<Box<RawValue>>> for Arg {
    fn from(v: Option<Box<RawValue>>) -> Self {
        Arg::OptJson(v)
    }
}
impl From<serde_json::Value> for Arg {
    fn from(v: serde_json::Value) -> Self {
        Arg::Json(raw_value(&v))
    }
}
impl From<Option<serde_json::Value>> for Arg {
    fn from(v: Option<serde_json::Value>) -> Self {
        Arg::OptJson(v.as_ref().map(raw_value))
    }
}

/// Ids bind as their text, as stored.
macro_rules! id_args {
    ($($id:ident),*) => {$(
        impl From<recaudo_domain::$id> for Arg {
            fn from(id: recaudo_domain::$id) -> Self {
                Arg::Text(id.text().as_str().to_owned())
            }
        }
        impl From<Option<recaudo_domain::$id>> for Arg {
            fn from(id: Option<recaudo_domain::$id>) -> Self {
                Arg::OptText(id.map(|id| id.text().as_str().to_owned()))
            }
        }
    )*};
}
id_args!(
    TenantId,
    OperatorId,
    DebtorId,
    ContactPointId,
    DebtId,
    PaymentId,
    PromiseId,
    DisputeId,
    EventId,
    ContactId,
    ApiKeyId,
    ImportId,
    TaskId,
    MessageId,
    NoteId,
    PaymentIntentId,
    PlanId
);

/// SQL text with its arguments; `arg` appends a value and returns its `$n` placeholder.
#[derive(Debug, Default, Clone)]
pub(crate) struct Sql {
    pub text: String,
    pub args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Sql {
            text: text.to_string(),
            args: Vec::new(),
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Adds a value and returns its placeholder.
    pub fn arg(&mut self, value: impl Into<Arg>) -> String {
        self.args.push(value.into());
        format!("${}", self.args.len())
    }

    /// Writes `(p1, p2, …)` for the given values.
    pub fn push_values(&mut self, values: Vec<Arg>) -> &mut Self {
        self.text.push('(');
        for (index, value) in values.into_iter().enumerate() {
            if index > 0 {
                self.text.push_str(", ");
            }
            let placeholder = self.arg(value);
            self.text.push_str(&placeholder);
        }
        self.text.push(')');
        self
    }

    /// The text for the driver at hand: PostgreSQL takes `$n`; SQLite gets anonymous `?`
    /// (its lookup of numbered or named parameters is linear per parameter, which makes a
    /// statement with thousands of them quadratic). Placeholders appear in argument order by
    /// construction; should they not, numbered `?n` keep the statement correct.
    pub fn render(self, sqlite: bool) -> (String, Vec<Arg>) {
        if !sqlite {
            return (self.text, self.args);
        }
        let bytes = self.text.as_bytes();
        let mut out = String::with_capacity(self.text.len());
        let mut expected = 1usize;
        let mut in_order = true;
        let mut at = 0;
        let mut last = 0;
        let mut numbered = Vec::new();
        while at < bytes.len() {
            if bytes[at] == b'$' {
                let start = at + 1;
                let mut end = start;
                while end < bytes.len() && bytes[end].is_ascii_digit() {
                    end += 1;
                }
                if end > start {
                    let number: usize = self.text[start..end].parse().unwrap_or(0);
                    in_order &= number == expected;
                    expected += 1;
                    out.push_str(&self.text[last..at]);
                    out.push('?');
                    numbered.push((out.len(), number));
                    last = end;
                    at = end;
                    continue;
                }
            }
            at += 1;
        }
        out.push_str(&self.text[last..]);
        if !in_order {
            // Fall back to `?n`, inserting the numbers after each `?` from the end.
            for (pos, number) in numbered.into_iter().rev() {
                out.insert_str(pos, &number.to_string());
            }
        }
        (out, self.args)
    }

    /// Adds a value and writes its placeholder into the text.
    pub fn push_arg(&mut self, value: impl Into<Arg>) -> &mut Self {
        let placeholder = self.arg(value);
        self.text.push_str(&placeholder);
        self
    }
}

/// Binds the arguments of a [`Sql`] to a `sqlx::query`/`query_as` of either driver.
macro_rules! bind_args {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        for arg in $args {
            query = match arg {
                $crate::sql::Arg::Text(v) => query.bind(v),
                $crate::sql::Arg::OptText(v) => query.bind(v),
                $crate::sql::Arg::Int(v) => query.bind(v),
                $crate::sql::Arg::OptInt(v) => query.bind(v),
                $crate::sql::Arg::Bool(v) => query.bind(v),
                $crate::sql::Arg::Date(v) => query.bind(v),
                $crate::sql::Arg::OptDate(v) => query.bind(v),
                $crate::sql::Arg::Time(v) => query.bind(v),
                $crate::sql::Arg::OptTime(v) => query.bind(v),
                $crate::sql::Arg::Json(v) => query.bind(sqlx::types::Json(v)),
                $crate::sql::Arg::OptJson(v) => query.bind(v.map(sqlx::types::Json)),
                $crate::sql::Arg::Bytes(v) => query.bind(v),
            };
        }
        query
    }};
}
pub(crate) use bind_args;

/// Begins a transaction on a pool of either driver ([`dialect::begin`](crate::dialect::begin)).
macro_rules! begin {
    ($pool:expr) => {
        $pool.begin_with($crate::dialect::begin(SQLITE)).await?
    };
}
pub(crate) use begin;

/// Runs a built statement (no rows back) on a pool or transaction of either driver.
macro_rules! exec {
    ($sql:expr, $executor:expr) => {{
        let (text, args) = $crate::sql::Sql::render($sql, SQLITE);
        $crate::sql::bind_args!(sqlx::query(sqlx::AssertSqlSafe(text)), args)
            .execute($executor)
            .await?
            .rows_affected()
    }};
}
pub(crate) use exec;

/// Fetches all rows of a built statement as `$row` (a `sqlx::FromRow` type).
macro_rules! fetch_all {
    ($row:ty, $sql:expr, $executor:expr) => {{
        let (text, args) = $crate::sql::Sql::render($sql, SQLITE);
        $crate::sql::bind_args!(sqlx::query_as::<_, $row>(sqlx::AssertSqlSafe(text)), args)
            .fetch_all($executor)
            .await?
    }};
}
pub(crate) use fetch_all;

/// Fetches at most one row of a built statement as `$row`.
macro_rules! fetch_optional {
    ($row:ty, $sql:expr, $executor:expr) => {{
        let (text, args) = $crate::sql::Sql::render($sql, SQLITE);
        $crate::sql::bind_args!(sqlx::query_as::<_, $row>(sqlx::AssertSqlSafe(text)), args)
            .fetch_optional($executor)
            .await?
    }};
}
pub(crate) use fetch_optional;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_render_per_driver() {
        let mut sql = Sql::new("SELECT a FROM t WHERE x = ");
        sql.push_arg("a").push(" AND y IN ");
        sql.push_values(vec![Arg::Int(1), Arg::Int(2)]);
        let (pg, _) = sql.clone().render(false);
        assert_eq!(pg, "SELECT a FROM t WHERE x = $1 AND y IN ($2, $3)");
        let (lite, args) = sql.render(true);
        assert_eq!(lite, "SELECT a FROM t WHERE x = ? AND y IN (?, ?)");
        assert_eq!(args.len(), 3);
    }

    #[test]
    fn out_of_order_placeholders_stay_numbered_on_sqlite() {
        let mut sql = Sql::new("");
        let first = sql.arg("a");
        let second = sql.arg("b");
        sql.push(&format!("SELECT {second}, {first}"));
        assert_eq!(sql.render(true).0, "SELECT ?2, ?1");
    }
}
