//! SQLite's C API behind a small safe interface, on the connection (and inside the transaction)
//! that sqlx holds: statements prepared once and run bind–step–reset per row ([`Prepared`],
//! [`insert_rows`]), rows read column by column ([`Columns`], [`query_each`]), and the
//! process's and a connection's settings. Every `unsafe` block of the store is here, each with
//! its `SAFETY` note; the crate denies `unsafe` elsewhere. A connection handle
//! (`NonNull<sqlite3>`) comes from sqlx's `lock_handle()`, whose guard the caller holds while
//! it is used.
//!
//! Kept over rusqlite's safe statements on the same handle (issue 22): those copy every bound
//! text and validate every column's UTF-8, which costs the planner more than the issue allows
//! (docs/benchmarks.md, the rusqlite trial).

use std::ffi::{CStr, c_char, c_int};
use std::ptr::NonNull;

use libsqlite3_sys as ffi;
use serde_json::value::RawValue;

use super::time_text;
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
        // SQLITE_MISUSE and changes nothing, which is harmless (the statistics stay on). Every
        // SQLite connection of the process is opened by `Store::connect`, which calls this
        // first, so no other thread is inside SQLite while it runs.
        unsafe {
            ffi::sqlite3_config(ffi::SQLITE_CONFIG_MEMSTATUS, 0 as c_int);
        }
    });
}

/// Sets how many WAL pages a commit on `db` may leave before it checkpoints (0: never).
pub(crate) fn set_autocheckpoint(db: NonNull<ffi::sqlite3>, pages: i32) {
    // SAFETY: a live connection handle, locked by the caller; the call only (re)registers
    // SQLite's own WAL hook.
    unsafe {
        ffi::sqlite3_wal_autocheckpoint(db.as_ptr(), pages as c_int);
    }
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
        for arg in row {
            match arg {
                // ISO 8601 (`%F`), as sqlx writes dates.
                Arg::Date(date) | Arg::OptDate(Some(date)) => texts.push(date.to_string()),
                // Most times of a batch are the same instant (its `now`): formatted once.
                Arg::Time(time) | Arg::OptTime(Some(time)) => {
                    if self.last_time.as_ref().is_none_or(|(at, _)| at != time) {
                        self.last_time = Some((*time, time_text(*time)));
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
        for (index, arg) in row.iter().enumerate() {
            let idx = (index + 1) as c_int;
            let text: Option<&str> = match arg {
                Arg::Text(value) => Some(value),
                Arg::OptText(value) => value.as_deref(),
                Arg::Json(value) => Some(value.get()),
                Arg::OptJson(value) => value.as_deref().map(RawValue::get),
                Arg::Date(_) | Arg::Time(_) => converted.next().map(String::as_str),
                // Only present optional values were converted above.
                Arg::OptDate(date) => date.and_then(|_| converted.next().map(String::as_str)),
                Arg::OptTime(time) => time.and_then(|_| converted.next().map(String::as_str)),
                Arg::Int(_) | Arg::OptInt(_) | Arg::Bool(_) | Arg::Bytes(_) => None,
            };
            // SAFETY: `stmt` is a live prepared statement with at least `row.len()` parameters
            // (same shape as the statement text); text pointers stay valid until after step.
            let rc = unsafe {
                match (arg, text) {
                    (Arg::Int(value) | Arg::OptInt(Some(value)), _) => {
                        ffi::sqlite3_bind_int64(stmt, idx, *value)
                    }
                    (Arg::Bool(value), _) => ffi::sqlite3_bind_int64(stmt, idx, i64::from(*value)),
                    (Arg::Bytes(value), _) => ffi::sqlite3_bind_blob(
                        stmt,
                        idx,
                        value.as_ptr() as *const std::ffi::c_void,
                        value.len() as c_int,
                        ffi::SQLITE_STATIC(),
                    ),
                    (_, Some(value)) => ffi::sqlite3_bind_text(
                        stmt,
                        idx,
                        value.as_ptr() as *const c_char,
                        value.len() as c_int,
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

/// A value bound by reference for one step of a [`Prepared`] statement.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Bind<'a> {
    Text(&'a str),
    Int(i64),
    Null,
}

impl<'a> From<Option<&'a str>> for Bind<'a> {
    fn from(value: Option<&'a str>) -> Bind<'a> {
        value.map_or(Bind::Null, Bind::Text)
    }
}

/// One statement prepared once and run many times with values bound by reference: the
/// planner's writes, where building a `Sql` per row cost more than SQLite's own work.
pub(crate) struct Prepared {
    stmt: Statement,
    /// How many `?`s the statement has.
    params: usize,
}

impl Prepared {
    pub(crate) fn new(db: NonNull<ffi::sqlite3>, sql: &str) -> Result<Prepared> {
        let stmt = Statement::prepare(db, sql)?;
        // SAFETY: a live statement.
        let params = unsafe { ffi::sqlite3_bind_parameter_count(stmt.raw.as_ptr()) };
        Ok(Prepared {
            stmt,
            params: usize::try_from(params).unwrap_or(0),
        })
    }

    /// Binds `values` (the statement's `?`s in order, exactly as many), runs it and resets
    /// it; returns the rows it changed. Whatever happens, no binding outlives the call.
    pub(crate) fn exec(&mut self, values: &[Bind<'_>]) -> Result<u64> {
        if values.len() != self.params {
            return Err(StoreError::Bulk(format!(
                "statement has {} parameters, {} values given",
                self.params,
                values.len()
            )));
        }
        let stmt = self.stmt.raw.as_ptr();
        // Resets the statement and drops its references to the caller's text on every way out.
        struct Unbind(*mut ffi::sqlite3_stmt);
        impl Drop for Unbind {
            fn drop(&mut self) {
                // SAFETY: resetting a live statement and clearing its bindings.
                unsafe {
                    ffi::sqlite3_reset(self.0);
                    ffi::sqlite3_clear_bindings(self.0);
                }
            }
        }
        let _unbind = Unbind(stmt);
        for (index, value) in values.iter().enumerate() {
            let idx = (index + 1) as c_int;
            // SAFETY: a live statement with at least `values.len()` parameters; text pointers
            // stay valid until `_unbind` clears the bindings, after the step.
            let rc = unsafe {
                match value {
                    Bind::Text(text) => ffi::sqlite3_bind_text(
                        stmt,
                        idx,
                        text.as_ptr() as *const c_char,
                        text.len() as c_int,
                        ffi::SQLITE_STATIC(),
                    ),
                    Bind::Int(number) => ffi::sqlite3_bind_int64(stmt, idx, *number),
                    Bind::Null => ffi::sqlite3_bind_null(stmt, idx),
                }
            };
            if rc != ffi::SQLITE_OK {
                return Err(error(self.stmt.db, "bind"));
            }
        }
        // SAFETY: the statement is live and fully bound.
        let mut rc = unsafe { ffi::sqlite3_step(stmt) };
        while rc == ffi::SQLITE_ROW {
            // SAFETY: as above.
            rc = unsafe { ffi::sqlite3_step(stmt) };
        }
        if rc == ffi::SQLITE_DONE {
            // SAFETY: a live connection handle.
            let changes = unsafe { ffi::sqlite3_changes64(self.stmt.db.as_ptr()) };
            Ok(u64::try_from(changes).unwrap_or(0))
        } else {
            Err(error(self.stmt.db, "statement"))
        }
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
    pub(crate) fn text(&self, column: usize) -> Option<&str> {
        let bytes = self.bytes(column)?;
        // Nearly every column is ASCII (ids, codes, times): checked a word at a time, without
        // the general UTF-8 validation, which was a share of its own of the planner's reads.
        if bytes.is_ascii() {
            // SAFETY: ASCII bytes are valid UTF-8.
            Some(unsafe { std::str::from_utf8_unchecked(bytes) })
        } else {
            std::str::from_utf8(bytes).ok()
        }
    }

    /// The column's bytes as text, `None` for NULL.
    fn bytes(&self, column: usize) -> Option<&[u8]> {
        let idx = column as c_int;
        let raw = self.raw.as_ptr();
        // SAFETY: the statement has a current row (SQLITE_ROW) and `column` is one of its columns;
        // the text pointer stays valid until the next step, and `&self` borrows the row. The
        // length is asked after the text, as SQLite documents.
        unsafe {
            let text = ffi::sqlite3_column_text(raw, idx);
            if text.is_null() {
                // NULL, or a value without text (an empty one): only then is the type asked.
                return if ffi::sqlite3_column_type(raw, idx) == ffi::SQLITE_NULL {
                    None
                } else {
                    Some(&[])
                };
            }
            let length = ffi::sqlite3_column_bytes(raw, idx);
            Some(std::slice::from_raw_parts(text, length.max(0) as usize))
        }
    }

    /// The column as an integer, `None` for NULL.
    pub(crate) fn int(&self, column: usize) -> Option<i64> {
        let idx = column as c_int;
        // SAFETY: as in `bytes`.
        unsafe {
            if ffi::sqlite3_column_type(self.raw.as_ptr(), idx) == ffi::SQLITE_NULL {
                None
            } else {
                Some(ffi::sqlite3_column_int64(self.raw.as_ptr(), idx))
            }
        }
    }
}

/// A row type read straight from SQLite's C API (see `sqlite/rows.rs`, `from_columns!`).
pub(crate) trait FromColumns: Sized {
    fn from_columns(columns: &Columns) -> Result<Self>;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// An in-memory database, closed on drop.
    struct Db(NonNull<ffi::sqlite3>);

    impl Db {
        fn open() -> Db {
            let mut raw = std::ptr::null_mut();
            // SAFETY: a NUL-terminated name; `raw` receives the handle.
            let rc = unsafe { ffi::sqlite3_open(c":memory:".as_ptr(), &mut raw) };
            assert_eq!(rc, ffi::SQLITE_OK);
            Db(NonNull::new(raw).expect("a handle"))
        }

        fn exec(&self, sql: &str) {
            Prepared::new(self.0, sql).unwrap().exec(&[]).unwrap();
        }
    }

    impl Drop for Db {
        fn drop(&mut self) {
            // SAFETY: every statement was finalised (dropped) before.
            unsafe { ffi::sqlite3_close(self.0.as_ptr()) };
        }
    }

    #[test]
    fn a_prepared_statement_takes_exactly_its_values_and_keeps_none() {
        let db = Db::open();
        db.exec("CREATE TABLE t (a TEXT NOT NULL UNIQUE, b INTEGER)");
        let mut insert = Prepared::new(db.0, "INSERT INTO t (a, b) VALUES (?, ?)").unwrap();

        let few = insert.exec(&[Bind::Text("x")]).unwrap_err();
        assert!(few.to_string().contains("2 parameters, 1 values"), "{few}");
        let text = String::from("x");
        assert_eq!(insert.exec(&[Bind::Text(&text), Bind::Int(1)]).unwrap(), 1);
        drop(text);
        // A failed step (the unique key) leaves the statement reset and unbound: the next
        // row goes in.
        let again = insert.exec(&[Bind::Text("x"), Bind::Int(2)]).unwrap_err();
        assert!(again.to_string().contains("UNIQUE"), "{again}");
        assert_eq!(insert.exec(&[Bind::Text("y"), Bind::Null]).unwrap(), 1);

        drop(insert);

        struct Count(i64);
        impl FromColumns for Count {
            fn from_columns(columns: &Columns) -> Result<Count> {
                Ok(Count(columns.int(0).unwrap_or(-1)))
            }
        }
        let counts = query::<Count>(db.0, crate::sql::Sql::new("SELECT count(*) FROM t")).unwrap();
        assert_eq!(counts.first().map(|c| c.0), Some(2));
    }
}
