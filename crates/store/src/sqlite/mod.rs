//! SQLite-only fast paths: the C API behind a small safe interface ([`ffi`], the store's only
//! `unsafe` code), the planner's reads decoded straight from it ([`rows`]) and its writer
//! ([`planning`]). sqlx hands each statement and each row to a worker thread and copies every
//! bound value; for the millions of rows of an import or a planning day that plumbing cost
//! more than SQLite's own work.

#[allow(unsafe_code)]
pub(crate) mod ffi;
pub(crate) mod planning;
pub(crate) mod rows;

/// A time as sqlx writes it to SQLite (RFC 3339, as many fraction digits as needed).
pub(crate) fn time_text(time: chrono::DateTime<chrono::Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
}
