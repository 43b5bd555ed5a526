//! Bulk row writes on SQLite through its C API, on the connection (and inside the transaction)
//! that sqlx holds: one statement prepared once per set of rows, then bind–step–reset per row.
//! sqlx hands each statement to a worker thread and copies every bound value; for the hundreds
//! of thousands of rows of an import that plumbing costs more than SQLite's own work.

use std::ffi::{CStr, c_char, c_int};
use std::ptr::NonNull;

use libsqlite3_sys as ffi;
use serde_json::value::RawValue;

use crate::sql::Arg;
use crate::{Result, StoreError};

/// SQLite's process-wide settings, applied before its first connection: no memory statistics.
/// With them on, every allocation of every connection takes one global mutex, and the planner's
/// readers and writer, each on its own connection and core, waited on it (a tenth of a planning
/// run in `perf`).
pub(crate) fn configure_once() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: sqlite3_config is only allowed before SQLite initialises; it then answers
        // SQLITE_MISUSE and changes nothing, which is harmless (the statistics stay on).
        unsafe {
            ffi::sqlite3_config(ffi::SQLITE_CONFIG_MEMSTATUS, 0 as c_int);
        }
    });
}

/// A prepared statement, finalised on drop.
struct Statement {
    db: NonNull<ffi::sqlite3>,
    raw: NonNull<ffi::sqlite3_stmt>,
    /// The last time bound, with its text.
    last_time: Option<(chrono::DateTime<chrono::Utc>, String)>,
}

fn error(db: NonNull<ffi::sqlite3>, what: &str) -> StoreError {
    // SAFETY: `db` is a live connection handle; sqlite3_errmsg returns a NUL-terminated string
    // owned by SQLite, valid until the next call on this connection; we copy it at once.
    let msg = unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(db.as_ptr())) }
        .to_string_lossy()
        .into_owned();
    StoreError::Bulk(format!("{what}: {msg}"))
}

impl Statement {
    fn prepare(db: NonNull<ffi::sqlite3>, sql: &str) -> Result<Statement> {
        let mut raw = std::ptr::null_mut();
        let len = c_int::try_from(sql.len())
            .map_err(|_| StoreError::Bulk("statement too long".into()))?;
        // SAFETY: `sql` is valid for `len` bytes; `raw` receives the new statement or null.
        let rc = unsafe {
            ffi::sqlite3_prepare_v2(
                db.as_ptr(),
                sql.as_ptr() as *const c_char,
                len,
                &mut raw,
                std::ptr::null_mut(),
            )
        };
        match NonNull::new(raw) {
            Some(raw) if rc == ffi::SQLITE_OK => Ok(Statement {
                db,
                raw,
                last_time: None,
            }),
            _ => Err(error(db, "prepare")),
        }
    }

    /// Binds one row's values (kept alive by the caller until `step`), runs it, and resets.
    /// True when the statement returned a row (`RETURNING`).
    fn run(&mut self, row: &[Arg], texts: &mut Vec<String>) -> Result<bool> {
        self.bind(row, texts)?;
        let stmt = self.raw.as_ptr();
        // SAFETY: the statement is live and fully bound.
        let mut rc = unsafe { ffi::sqlite3_step(stmt) };
        let mut returned = false;
        // A `RETURNING` clause gives rows first; step through them.
        while rc == ffi::SQLITE_ROW {
            returned = true;
            // SAFETY: as above.
            rc = unsafe { ffi::sqlite3_step(stmt) };
        }
        let result = if rc == ffi::SQLITE_DONE {
            Ok(returned)
        } else {
            Err(error(self.db, "statement"))
        };
        // SAFETY: resetting a live statement; clearing drops references to our buffers.
        unsafe {
            ffi::sqlite3_reset(stmt);
            ffi::sqlite3_clear_bindings(stmt);
        }
        result
    }

    /// Binds one row's values; `texts` keeps the converted ones alive until the next bind.
    fn bind(&mut self, row: &[Arg], texts: &mut Vec<String>) -> Result<()> {
        texts.clear();
        // Values that need a text form first; bound below by reference, with SQLITE_STATIC,
        // since `row` and `texts` outlive the step.
        for a in row {
            match a {
                // ISO 8601 (`%F`), as sqlx writes dates.
                Arg::Date(d) | Arg::OptDate(Some(d)) => texts.push(d.to_string()),
                // Most times of a batch are the same instant (its `now`): formatted once.
                Arg::Time(t) | Arg::OptTime(Some(t)) => {
                    if self.last_time.as_ref().is_none_or(|(at, _)| at != t) {
                        self.last_time = Some((*t, time_text(*t)));
                    }
                    texts.push(
                        self.last_time
                            .as_ref()
                            .map(|(_, s)| s.clone())
                            .unwrap_or_default(),
                    )
                }
                _ => {}
            }
        }
        let mut converted = texts.iter();
        let stmt = self.raw.as_ptr();
        for (i, a) in row.iter().enumerate() {
            let idx = (i + 1) as c_int;
            let text: Option<&str> = match a {
                Arg::Text(s) => Some(s),
                Arg::OptText(s) => s.as_deref(),
                Arg::Json(v) => Some(v.get()),
                Arg::OptJson(v) => v.as_deref().map(RawValue::get),
                Arg::Date(_) | Arg::Time(_) => converted.next().map(String::as_str),
                // Only present optional values were converted above.
                Arg::OptDate(d) => d.and_then(|_| converted.next().map(String::as_str)),
                Arg::OptTime(t) => t.and_then(|_| converted.next().map(String::as_str)),
                Arg::Int(_) | Arg::OptInt(_) | Arg::Bool(_) => None,
            };
            // SAFETY: `stmt` is a live prepared statement with at least `row.len()` parameters
            // (same shape as the statement text); text pointers stay valid until after step.
            let rc = unsafe {
                match (a, text) {
                    (Arg::Int(v) | Arg::OptInt(Some(v)), _) => {
                        ffi::sqlite3_bind_int64(stmt, idx, *v)
                    }
                    (Arg::Bool(b), _) => ffi::sqlite3_bind_int64(stmt, idx, i64::from(*b)),
                    (_, Some(s)) => ffi::sqlite3_bind_text(
                        stmt,
                        idx,
                        s.as_ptr() as *const c_char,
                        s.len() as c_int,
                        ffi::SQLITE_STATIC(),
                    ),
                    (_, None) => ffi::sqlite3_bind_null(stmt, idx),
                }
            };
            if rc != ffi::SQLITE_OK {
                return Err(error(self.db, "bind"));
            }
        }
        Ok(())
    }
}

impl Drop for Statement {
    fn drop(&mut self) {
        // SAFETY: finalising the statement we prepared, once.
        unsafe {
            ffi::sqlite3_finalize(self.raw.as_ptr());
        }
    }
}

/// A time as sqlx writes it to SQLite (RFC 3339, as many fraction digits as needed).
pub(crate) fn time_text(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
}

/// A value bound by reference for one step of a [`Prepared`] statement.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Bind<'a> {
    Text(&'a str),
    Int(i64),
    Null,
}

impl<'a> From<Option<&'a str>> for Bind<'a> {
    fn from(v: Option<&'a str>) -> Bind<'a> {
        v.map_or(Bind::Null, Bind::Text)
    }
}

/// One statement prepared once and run many times with values bound by reference: the
/// planner's writes, where building a `Sql` per row cost more than SQLite's own work.
pub(crate) struct Prepared(Statement);

impl Prepared {
    pub(crate) fn new(db: NonNull<ffi::sqlite3>, sql: &str) -> Result<Prepared> {
        Statement::prepare(db, sql).map(Prepared)
    }

    /// Binds `values` (the statement's `?`s in order), runs it and resets it; returns the
    /// rows it changed.
    pub(crate) fn exec(&mut self, values: &[Bind<'_>]) -> Result<u64> {
        let stmt = self.0.raw.as_ptr();
        for (i, v) in values.iter().enumerate() {
            let idx = (i + 1) as c_int;
            // SAFETY: a live statement with at least `values.len()` parameters; text pointers
            // stay valid until the bindings are cleared below, after the step.
            let rc = unsafe {
                match v {
                    Bind::Text(s) => ffi::sqlite3_bind_text(
                        stmt,
                        idx,
                        s.as_ptr() as *const c_char,
                        s.len() as c_int,
                        ffi::SQLITE_STATIC(),
                    ),
                    Bind::Int(n) => ffi::sqlite3_bind_int64(stmt, idx, *n),
                    Bind::Null => ffi::sqlite3_bind_null(stmt, idx),
                }
            };
            if rc != ffi::SQLITE_OK {
                return Err(error(self.0.db, "bind"));
            }
        }
        // SAFETY: the statement is live and fully bound.
        let mut rc = unsafe { ffi::sqlite3_step(stmt) };
        while rc == ffi::SQLITE_ROW {
            // SAFETY: as above.
            rc = unsafe { ffi::sqlite3_step(stmt) };
        }
        let result = if rc == ffi::SQLITE_DONE {
            // SAFETY: a live connection handle.
            let n = unsafe { ffi::sqlite3_changes64(self.0.db.as_ptr()) };
            Ok(u64::try_from(n).unwrap_or(0))
        } else {
            Err(error(self.0.db, "statement"))
        };
        // SAFETY: resetting a live statement; clearing drops references to the caller's text.
        unsafe {
            ffi::sqlite3_reset(stmt);
            ffi::sqlite3_clear_bindings(stmt);
        }
        result
    }
}

/// Runs `sql` (one row's placeholders, `?`) once per row, on `db`.
pub(crate) fn insert_rows(db: NonNull<ffi::sqlite3>, sql: &str, rows: &[Vec<Arg>]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut stmt = Statement::prepare(db, sql)?;
    let mut texts = Vec::with_capacity(8);
    for row in rows {
        stmt.run(row, &mut texts)?;
    }
    Ok(())
}

/// The current row of a query, read column by column.
pub(crate) struct Columns {
    raw: NonNull<ffi::sqlite3_stmt>,
}

impl Columns {
    /// The column's text, `None` for NULL. Numbers come as their text form.
    pub(crate) fn text(&self, i: usize) -> Option<&str> {
        let idx = i as c_int;
        // SAFETY: the statement has a current row (SQLITE_ROW) and `i` is one of its columns;
        // the text pointer stays valid until the next step, and `&self` borrows the row.
        unsafe {
            if ffi::sqlite3_column_type(self.raw.as_ptr(), idx) == ffi::SQLITE_NULL {
                return None;
            }
            let p = ffi::sqlite3_column_text(self.raw.as_ptr(), idx);
            let n = ffi::sqlite3_column_bytes(self.raw.as_ptr(), idx);
            if p.is_null() {
                return Some("");
            }
            std::str::from_utf8(std::slice::from_raw_parts(p, n.max(0) as usize)).ok()
        }
    }

    /// The column as an integer, `None` for NULL.
    pub(crate) fn int(&self, i: usize) -> Option<i64> {
        let idx = i as c_int;
        // SAFETY: as in `text`.
        unsafe {
            if ffi::sqlite3_column_type(self.raw.as_ptr(), idx) == ffi::SQLITE_NULL {
                None
            } else {
                Some(ffi::sqlite3_column_int64(self.raw.as_ptr(), idx))
            }
        }
    }
}

/// A row type read straight from SQLite's C API (see `rows.rs`, `from_columns!`).
pub(crate) trait FromColumns: Sized {
    fn from_columns(c: &Columns) -> Result<Self>;
}

/// Runs a built query on `db` and reads every row as `R`: the planner's reads, where sqlx's
/// row-by-row hand-over from its worker thread cost more than SQLite's own work.
pub(crate) fn query<R: FromColumns>(
    db: NonNull<ffi::sqlite3>,
    sql: crate::sql::Sql,
) -> Result<Vec<R>> {
    let mut out = Vec::new();
    query_each(db, sql, |r| out.push(r))?;
    Ok(out)
}

/// [`query`], handing each row to `f` as it is read (no vector of all rows).
pub(crate) fn query_each<R: FromColumns>(
    db: NonNull<ffi::sqlite3>,
    sql: crate::sql::Sql,
    mut f: impl FnMut(R),
) -> Result<()> {
    let (text, args) = sql.render(true);
    let mut stmt = Statement::prepare(db, &text)?;
    let mut texts = Vec::with_capacity(4);
    stmt.bind(&args, &mut texts)?;
    let raw = stmt.raw;
    loop {
        // SAFETY: a live, bound statement.
        let rc = unsafe { ffi::sqlite3_step(raw.as_ptr()) };
        match rc {
            ffi::SQLITE_ROW => f(R::from_columns(&Columns { raw })?),
            ffi::SQLITE_DONE => break,
            _ => return Err(error(db, "query")),
        }
    }
    Ok(())
}
