//! recaudo's import: CSV and JSONL files of debts with their debtors and contact points
//! (format: docs/import.md), streamed with bounded memory into the store, with a report of every
//! bad row by line and column. Also the synthetic portfolio generator that writes such files.
//!
//! Reading and validating run on a blocking thread while the batches already validated are
//! written, so parsing and the database work in parallel; the channel between them holds at most
//! a few batches.

#![forbid(unsafe_code)]

pub mod columns;
mod report;
mod row;
pub mod synth;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};

use recaudo_domain::portfolio::Tenant;
use recaudo_store::{ImportBatch, ImportRow, RowOutcome, StoreError, TenantStore};

pub use report::{ImportReport, RowProblem, Severity};
pub use row::{CsvFields, Fields, JsonFields, parse_row};

/// The encoding of an import file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Jsonl,
}

impl Format {
    /// From a file name's extension (`.csv`, `.jsonl`, `.ndjson`).
    pub fn from_path(path: &std::path::Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        ext.parse().ok()
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(Format::Csv),
            "jsonl" | "ndjson" => Ok(Format::Jsonl),
            other => Err(format!(
                "unknown import format `{other}` (expected csv or jsonl)"
            )),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Valid rows written per transaction.
    pub batch_size: usize,
    /// Problems kept in the report (all are given to the sink).
    pub max_reported: usize,
    /// Where the rows come from, recorded with the run (a file name, `api`).
    pub source: String,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            batch_size: 2_000,
            max_reported: 1_000,
            source: "api".into(),
        }
    }
}

/// A problem with the file as a whole: nothing was imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{}", columns_message(.missing, .unknown, .duplicated))]
    Columns {
        missing: Vec<String>,
        unknown: Vec<String>,
        duplicated: Vec<String>,
    },
    #[error("the file has no header row")]
    Empty,
    #[error("reading the file: {0}")]
    Read(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn columns_message(missing: &[String], unknown: &[String], duplicated: &[String]) -> String {
    let mut parts = vec![];
    if !missing.is_empty() {
        parts.push(format!(
            "missing required column(s): {}",
            missing.join(", ")
        ));
    }
    if !unknown.is_empty() {
        parts.push(format!(
            "unknown column(s): {} (free attributes go in `attr_<name>` columns)",
            unknown.join(", ")
        ));
    }
    if !duplicated.is_empty() {
        parts.push(format!("repeated column(s): {}", duplicated.join(", ")));
    }
    parts.join("; ")
}

/// Receives every problem (the report keeps only the first ones) and progress.
pub trait ImportSink: Send {
    fn problem(&mut self, _problem: &RowProblem) {}
    /// Rows read so far, bytes read so far.
    fn progress(&mut self, _rows: u64, _bytes: u64) {}
}

/// A sink that keeps nothing beyond the report.
pub struct NoSink;
impl ImportSink for NoSink {}

/// Imports a whole file with default sinks.
pub async fn import_reader<R: Read + Send + 'static>(
    ts: &TenantStore,
    format: Format,
    reader: R,
    opts: &ImportOptions,
    now: DateTime<Utc>,
) -> Result<ImportReport, ImportError> {
    import_with(ts, format, reader, opts, now, &mut NoSink).await
}

/// What the reading thread hands to the writer.
enum Chunk {
    Rows {
        rows_read: u64,
        bytes: u64,
        valid: Vec<ImportRow>,
        problems: Vec<RowProblem>,
        error_rows: u64,
        /// Rows replaced by a later row of the same batch (counted as updated).
        superseded: u64,
    },
    Fatal(ImportError),
}

/// Imports a file, streaming: rows are read and validated on a blocking thread, and written in
/// batches, one transaction each. Bad rows are reported and skipped; good rows are written.
pub async fn import_with<R: Read + Send + 'static>(
    ts: &TenantStore,
    format: Format,
    reader: R,
    opts: &ImportOptions,
    now: DateTime<Utc>,
    sink: &mut dyn ImportSink,
) -> Result<ImportReport, ImportError> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Chunk>(4);
    let tenant = ts.tenant().clone();
    let batch_size = opts.batch_size.max(1);
    let bytes = Arc::new(AtomicU64::new(0));
    let counting = CountingReader {
        inner: reader,
        bytes: bytes.clone(),
    };
    let producer = tokio::task::spawn_blocking(move || {
        let mut out = Batcher::new(tx, batch_size, bytes);
        let result = match format {
            Format::Csv => read_csv(counting, &tenant, &mut out),
            Format::Jsonl => read_jsonl(counting, &tenant, &mut out),
        };
        match result {
            Ok(()) => out.flush(),
            Err(e) => {
                let _ = out.tx.blocking_send(Chunk::Fatal(e));
            }
        }
    });

    let import_id = ts.start_import(&opts.source, now).await?;
    let mut report = ImportReport::default();
    let keep = |report: &mut ImportReport, sink: &mut dyn ImportSink, p: RowProblem| {
        sink.problem(&p);
        if report.problems.len() < opts.max_reported {
            report.problems.push(p);
        }
    };
    while let Some(chunk) = rx.recv().await {
        let (rows_read, bytes_read, valid, problems, error_rows, superseded) = match chunk {
            Chunk::Fatal(e) => {
                let _ = producer.await;
                return Err(e);
            }
            Chunk::Rows {
                rows_read,
                bytes,
                valid,
                problems,
                error_rows,
                superseded,
            } => (rows_read, bytes, valid, problems, error_rows, superseded),
        };
        report.rows += rows_read;
        report.errors += error_rows;
        report.updated += superseded;
        for problem in problems {
            if problem.severity == Severity::Warning {
                report.warnings += 1;
            }
            keep(&mut report, sink, problem);
        }
        if !valid.is_empty() {
            let outcome = ts
                .import_batch(
                    &ImportBatch {
                        import_id,
                        rows: valid,
                    },
                    now,
                )
                .await?;
            for (_, outcome_kind) in &outcome.outcomes {
                match outcome_kind {
                    RowOutcome::Imported => report.imported += 1,
                    RowOutcome::Updated => report.updated += 1,
                }
            }
            for (line, debt, earlier) in outcome.repeated {
                report.warnings += 1;
                keep(&mut report, sink, repeated_warning(line, &debt, earlier));
            }
        }
        sink.progress(report.rows, bytes_read);
    }
    producer
        .await
        .map_err(|e| ImportError::Read(format!("the reader stopped: {e}")))?;
    ts.finish_import(
        import_id,
        serde_json::from_str(&report.summary_json()).unwrap_or_default(),
        now,
    )
    .await?;
    Ok(report)
}

fn repeated_warning(line: u64, debt: &str, earlier: u64) -> RowProblem {
    RowProblem {
        line,
        column: "debt_external_id".into(),
        value: debt.to_string(),
        reason: format!("debt already given at line {earlier} of this file; the last row wins"),
        severity: Severity::Warning,
    }
}

struct CountingReader<R> {
    inner: R,
    bytes: Arc<AtomicU64>,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let bytes_read = self.inner.read(buf)?;
        self.bytes.fetch_add(bytes_read as u64, Ordering::Relaxed);
        Ok(bytes_read)
    }
}

/// Gathers validated rows into batches, keeping the last row of a debt repeated in a batch.
struct Batcher {
    tx: tokio::sync::mpsc::Sender<Chunk>,
    batch_size: usize,
    bytes: Arc<AtomicU64>,
    rows_read: u64,
    valid: Vec<ImportRow>,
    index: HashMap<String, usize>,
    problems: Vec<RowProblem>,
    error_rows: u64,
    superseded: u64,
    closed: bool,
}

impl Batcher {
    fn new(tx: tokio::sync::mpsc::Sender<Chunk>, batch_size: usize, bytes: Arc<AtomicU64>) -> Self {
        Batcher {
            tx,
            batch_size,
            bytes,
            rows_read: 0,
            valid: Vec::with_capacity(batch_size),
            index: HashMap::with_capacity(batch_size),
            problems: vec![],
            error_rows: 0,
            superseded: 0,
            closed: false,
        }
    }

    fn bad(&mut self, mut problems: Vec<RowProblem>) {
        self.rows_read += 1;
        self.error_rows += 1;
        self.problems.append(&mut problems);
        self.maybe_flush();
    }

    fn good(&mut self, row: ImportRow) {
        self.rows_read += 1;
        match self.index.get(&row.debt.external_id) {
            Some(&slot) => {
                let earlier = self.valid[slot].line;
                self.problems
                    .push(repeated_warning(row.line, &row.debt.external_id, earlier));
                self.superseded += 1;
                self.valid[slot] = row;
            }
            None => {
                self.index
                    .insert(row.debt.external_id.clone(), self.valid.len());
                self.valid.push(row);
            }
        }
        self.maybe_flush();
    }

    fn maybe_flush(&mut self) {
        if self.valid.len() >= self.batch_size || self.problems.len() >= self.batch_size {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.closed {
            return;
        }
        let chunk = Chunk::Rows {
            rows_read: std::mem::take(&mut self.rows_read),
            bytes: self.bytes.load(Ordering::Relaxed),
            valid: std::mem::replace(&mut self.valid, Vec::with_capacity(self.batch_size)),
            problems: std::mem::take(&mut self.problems),
            error_rows: std::mem::take(&mut self.error_rows),
            superseded: std::mem::take(&mut self.superseded),
        };
        self.index.clear();
        // The writer stopped (store error): stop reading too.
        if self.tx.blocking_send(chunk).is_err() {
            self.closed = true;
        }
    }
}

fn whole_row_problem(line: u64, reason: String) -> RowProblem {
    RowProblem {
        line,
        column: String::new(),
        value: String::new(),
        reason,
        severity: Severity::Error,
    }
}

fn read_csv<R: Read>(reader: R, tenant: &Tenant, out: &mut Batcher) -> Result<(), ImportError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(reader);
    let headers = rdr
        .headers()
        .map_err(|e| ImportError::Read(format!("header: {e}")))?
        .clone();
    if headers.is_empty() || headers.iter().all(|h| h.trim().is_empty()) {
        return Err(ImportError::Empty);
    }
    let mut header: HashMap<String, usize> = HashMap::new();
    let mut attr_columns = vec![];
    let (mut unknown, mut duplicated) = (vec![], vec![]);
    for (column, title) in headers.iter().enumerate() {
        let name = title.trim().to_ascii_lowercase();
        if header.insert(name.clone(), column).is_some() {
            duplicated.push(name.clone());
        }
        if !columns::is_known(&name) {
            unknown.push(if name.is_empty() {
                format!("(empty, column {})", column + 1)
            } else {
                name.clone()
            });
        } else if name.starts_with(columns::ATTRIBUTE_PREFIX) {
            attr_columns.push((name, column));
        }
    }
    let missing: Vec<String> = columns::REQUIRED
        .iter()
        .filter(|c| !header.contains_key(**c))
        .map(|c| c.to_string())
        .collect();
    if !missing.is_empty() || !unknown.is_empty() || !duplicated.is_empty() {
        return Err(ImportError::Columns {
            missing,
            unknown,
            duplicated,
        });
    }
    let width = headers.len();
    let mut record = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map(|p| p.line()).unwrap_or(0);
                if record.len() == 1 && record.get(0).is_some_and(|f| f.trim().is_empty()) {
                    continue; // a blank line
                }
                if record.len() != width {
                    out.bad(vec![whole_row_problem(
                        line,
                        format!("has {} fields, the header has {width}", record.len()),
                    )]);
                    continue;
                }
                let fields = CsvFields {
                    header: &header,
                    attr_columns: &attr_columns,
                    record: &record,
                };
                match parse_row(line, &fields, tenant) {
                    Ok(row) => out.good(row),
                    Err(problems) => out.bad(problems),
                }
            }
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    return Err(ImportError::Read(e.to_string()));
                }
                out.bad(vec![whole_row_problem(
                    line,
                    format!("unreadable row: {e}"),
                )]);
            }
        }
        if out.closed {
            break;
        }
    }
    Ok(())
}

fn read_jsonl<R: Read>(reader: R, tenant: &Tenant, out: &mut Batcher) -> Result<(), ImportError> {
    let mut buf = String::new();
    let mut rdr = BufReader::with_capacity(1 << 16, reader);
    let mut line = 0u64;
    loop {
        buf.clear();
        let bytes_read = rdr
            .read_line(&mut buf)
            .map_err(|e| ImportError::Read(format!("line {}: {e}", line + 1)))?;
        if bytes_read == 0 {
            break;
        }
        line += 1;
        let text = buf.trim();
        if text.is_empty() {
            continue;
        }
        let obj = match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(object)) => object,
            Ok(_) => {
                out.bad(vec![whole_row_problem(line, "is not a JSON object".into())]);
                continue;
            }
            Err(e) => {
                out.bad(vec![whole_row_problem(
                    line,
                    format!("is not valid JSON: {e}"),
                )]);
                continue;
            }
        };
        let unknown: Vec<&String> = obj
            .keys()
            .filter(|k| !columns::is_known(k) && !columns::JSONL_ONLY.contains(&k.as_str()))
            .collect();
        if !unknown.is_empty() {
            let problems = unknown
                .into_iter()
                .map(|k| RowProblem {
                    line,
                    column: k.clone(),
                    value: String::new(),
                    reason: "unknown field".into(),
                    severity: Severity::Error,
                })
                .collect();
            out.bad(problems);
            continue;
        }
        match parse_row(line, &JsonFields(&obj), tenant) {
            Ok(row) => out.good(row),
            Err(problems) => out.bad(problems),
        }
        if out.closed {
            break;
        }
    }
    Ok(())
}
