//! recaudo's import: CSV and JSONL files of debts with their debtors and contact points
//! (format: docs/import.md), streamed with bounded memory into the store, with a report of every
//! bad row by line and column. Also the synthetic portfolio generator that writes such files.
//!
//! CSV files come as spreadsheets and billing systems export them: the encoding (UTF-8 or
//! Windows-1252/Latin-1), the separator (`,`, `;` or tab) and the writing of numbers and dates
//! are told from the file's head unless the options say them, and headers are recognised in
//! Spanish and Portuguese ([`columns`]).
//!
//! Reading and validating run on a blocking thread while the batches already validated are
//! written, so parsing and the database work in parallel; the channel between them holds at most
//! a few batches.

#![forbid(unsafe_code)]

pub mod columns;
pub mod locale;
mod report;
mod row;
pub mod synth;
pub mod text;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Cursor, Read};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};

use recaudo_domain::portfolio::Tenant;
use recaudo_domain::{Currency, ImportId};
use recaudo_store::{ImportBatch, ImportRow, RowOutcome, StoreError, TenantStore};

pub use columns::{ColumnMap, Layout, ReadAs};
pub use locale::{DateOrder, Locale, NumberStyle};
pub use report::{ImportReport, RowProblem, Severity};
pub use row::{CsvFields, Fields, JsonFields, ParsedRow, RowContext, parse_row};
pub use text::Encoding;

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
    /// The file's encoding; default: told from its head.
    pub encoding: Option<Encoding>,
    /// The CSV field separator; default: told from the header line.
    pub separator: Option<u8>,
    /// How numbers and dates are written; default: told from the file when it is plain.
    pub locale: Option<Locale>,
    /// Headers mapped by hand.
    pub columns: ColumnMap,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            batch_size: 2_000,
            max_reported: 1_000,
            source: "api".into(),
            encoding: None,
            separator: None,
            locale: None,
            columns: ColumnMap::default(),
        }
    }
}

/// Where a file's writing of numbers and dates was learnt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatsFrom {
    /// The `--locale` given.
    Locale(Locale),
    /// The values in the file's head.
    File,
    /// Nothing: plain numbers and ISO dates, anything else only when unambiguous.
    Nothing,
}

/// How a CSV file is read: what `recaudo import --check` shows.
#[derive(Debug, Clone)]
pub struct FileShape {
    pub encoding: Encoding,
    /// Told from the file (not given).
    pub encoding_detected: bool,
    pub separator: u8,
    pub separator_detected: bool,
    pub numbers: NumberStyle,
    pub dates: DateOrder,
    pub formats_from: FormatsFrom,
    pub layout: Layout,
    /// The tenant's currency, when the file has no currency column.
    pub default_currency: Option<Currency>,
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
            "unknown column(s): {} (name them in a mapping file, --map mapping.toml; free \
             attributes go in `attr_<name>` columns)",
            unknown.join(", ")
        ));
    }
    if !duplicated.is_empty() {
        parts.push(format!(
            "repeated column(s): {} (map all but one elsewhere with --map mapping.toml, or to \
             `ignore`)",
            duplicated.join(", ")
        ));
    }
    parts.join("; ")
}

/// Receives every problem (the report keeps only the first ones) and progress.
pub trait ImportSink: Send {
    /// The run is recorded under `id` (before any row is written).
    fn started(&mut self, _id: ImportId) {}
    /// How the CSV file is read, once its head is read (before any row).
    fn shape(&mut self, _shape: &FileShape) {}
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
    Shape(Box<FileShape>),
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
    let read_opts = opts.clone();
    let producer = tokio::task::spawn_blocking(move || {
        let mut out = Batcher::new(tx, batch_size, bytes);
        let result = match format {
            Format::Csv => read_csv(counting, &tenant, &read_opts, &mut out),
            Format::Jsonl => read_jsonl(counting, &tenant, &read_opts, &mut out),
        };
        match result {
            Ok(()) => out.flush(),
            Err(e) => {
                let _ = out.tx.blocking_send(Chunk::Fatal(e));
            }
        }
    });

    let import_id = ts.start_import(&opts.source, now).await?;
    sink.started(import_id);
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
            Chunk::Shape(shape) => {
                sink.shape(&shape);
                continue;
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
    // The counts and the problems kept, for whoever looks at the run later (the dashboard).
    ts.finish_import(
        import_id,
        serde_json::to_value(&report).unwrap_or_default(),
        now,
    )
    .await?;
    Ok(report)
}

/// What `recaudo import --check` reports: how the file is read and its first problems, with
/// nothing written.
#[derive(Debug, Clone, Default)]
pub struct CheckReport {
    /// How a CSV file is read (none for JSONL).
    pub shape: Option<FileShape>,
    /// Data rows read.
    pub rows: u64,
    /// Rows that would be imported.
    pub valid: u64,
    /// Rows that would be skipped.
    pub errors: u64,
    pub warnings: u64,
    /// The first problems, up to `ImportOptions::max_reported`.
    pub problems: Vec<RowProblem>,
}

struct Tally {
    report: CheckReport,
    max: usize,
}

impl Tally {
    fn keep(&mut self, problems: Vec<RowProblem>) {
        for problem in problems {
            if problem.severity == Severity::Warning {
                self.report.warnings += 1;
            }
            if self.report.problems.len() < self.max {
                self.report.problems.push(problem);
            }
        }
    }
}

impl RowOut for Tally {
    fn shape(&mut self, shape: FileShape) {
        self.report.shape = Some(shape);
    }
    fn good(&mut self, parsed: ParsedRow) {
        self.report.rows += 1;
        self.report.valid += 1;
        self.keep(parsed.warnings);
    }
    fn bad(&mut self, problems: Vec<RowProblem>) {
        self.report.rows += 1;
        self.report.errors += 1;
        self.keep(problems);
    }
    fn closed(&self) -> bool {
        false
    }
}

/// Reads and validates a whole file as an import would, writing nothing.
pub fn check_reader<R: Read>(
    format: Format,
    reader: R,
    tenant: &Tenant,
    opts: &ImportOptions,
) -> Result<CheckReport, ImportError> {
    let mut tally = Tally {
        report: CheckReport::default(),
        max: opts.max_reported,
    };
    match format {
        Format::Csv => read_csv(reader, tenant, opts, &mut tally)?,
        Format::Jsonl => read_jsonl(reader, tenant, opts, &mut tally)?,
    }
    Ok(tally.report)
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
    /// How the file is read, sent ahead of the first rows.
    shape: Option<Box<FileShape>>,
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
            shape: None,
        }
    }

    fn bad(&mut self, mut problems: Vec<RowProblem>) {
        self.rows_read += 1;
        self.error_rows += 1;
        self.problems.append(&mut problems);
        self.maybe_flush();
    }

    fn good(&mut self, parsed: ParsedRow) {
        let ParsedRow { row, mut warnings } = parsed;
        self.problems.append(&mut warnings);
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
        if let Some(shape) = self.shape.take()
            && self.tx.blocking_send(Chunk::Shape(shape)).is_err()
        {
            self.closed = true;
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

/// Where the readers put what they read: the batches to write, or a check's tally.
trait RowOut {
    fn shape(&mut self, shape: FileShape);
    fn good(&mut self, parsed: ParsedRow);
    fn bad(&mut self, problems: Vec<RowProblem>);
    /// Nobody wants more rows.
    fn closed(&self) -> bool;
}

impl RowOut for Batcher {
    fn shape(&mut self, shape: FileShape) {
        self.shape = Some(Box::new(shape));
    }
    fn good(&mut self, parsed: ParsedRow) {
        Batcher::good(self, parsed)
    }
    fn bad(&mut self, problems: Vec<RowProblem>) {
        Batcher::bad(self, problems)
    }
    fn closed(&self) -> bool {
        self.closed
    }
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Reads a CSV file: its head tells the encoding, separator, columns and formats, then every
/// row is read from the head and the rest of the stream.
fn read_csv<R: Read>(
    mut reader: R,
    tenant: &Tenant,
    opts: &ImportOptions,
    out: &mut dyn RowOut,
) -> Result<(), ImportError> {
    let (head, whole) =
        text::read_head(&mut reader).map_err(|e| ImportError::Read(e.to_string()))?;
    let (encoding, encoding_detected) = match opts.encoding {
        Some(encoding) => (encoding, false),
        None => (text::detect_encoding(&head, whole), true),
    };
    let start = if encoding == Encoding::Utf8 && head.starts_with(UTF8_BOM) {
        UTF8_BOM.len()
    } else {
        0
    };
    let head_text = match encoding {
        Encoding::Utf8 => String::from_utf8_lossy(&head[start..]).into_owned(),
        other => text::decode_single_byte(&head, other),
    };
    let (separator, separator_detected) = match opts.separator {
        Some(separator) => (separator, false),
        None => (text::detect_separator(&head_text), true),
    };
    let mut sample = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .delimiter(separator)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_reader(head_text.as_bytes());
    let headers = sample
        .headers()
        .map_err(|e| ImportError::Read(format!("header: {e}")))?
        .clone();
    if headers.is_empty() || headers.iter().all(|h| h.trim().is_empty()) {
        return Err(ImportError::Empty);
    }
    let layout = Layout::from_headers(headers.iter(), &opts.columns)?;
    let (numbers, dates, formats_from) = match opts.locale {
        Some(locale) => (
            locale.numbers(),
            locale.dates(),
            FormatsFrom::Locale(locale),
        ),
        None => infer_formats(&mut sample, &layout, whole),
    };
    let default_currency = (!layout.header.contains_key("currency")).then_some(tenant.currency);
    let shape = FileShape {
        encoding,
        encoding_detected,
        separator,
        separator_detected,
        numbers,
        dates,
        formats_from,
        layout,
        default_currency,
    };
    let layout = shape.layout.clone();
    out.shape(shape);
    let ctx = RowContext {
        tenant,
        numbers,
        dates,
        document_type: layout.document_type,
    };
    let mut rest = Cursor::new(head);
    rest.set_position(start as u64);
    let stream = rest.chain(reader);
    match encoding {
        Encoding::Utf8 => read_rows(stream, separator, &layout, &ctx, out),
        other => read_rows(
            text::SingleByteReader::new(stream, other),
            separator,
            &layout,
            &ctx,
            out,
        ),
    }
}

/// Learns the writing of numbers and dates from the values of the file's head, when they
/// agree on one.
fn infer_formats(
    sample: &mut csv::Reader<&[u8]>,
    layout: &Layout,
    whole: bool,
) -> (NumberStyle, DateOrder, FormatsFrom) {
    let column = |field: &str| layout.header.get(field).copied();
    let amounts: Vec<usize> = ["amount", "balance"]
        .into_iter()
        .filter_map(column)
        .collect();
    let dates: Vec<usize> = ["due_date", "issued_date", "birth_date"]
        .into_iter()
        .filter_map(column)
        .collect();
    let records: Vec<csv::StringRecord> = sample.records().filter_map(Result::ok).collect();
    // The head's last record may be cut in the middle unless the head is the whole file.
    let complete = if whole {
        &records[..]
    } else {
        &records[..records.len().saturating_sub(1)]
    };
    let (mut number_votes, mut date_votes) = (vec![], vec![]);
    for record in complete {
        for &column in &amounts {
            if let Some(style) = record.get(column).and_then(locale::number_hint)
                && !number_votes.contains(&style)
            {
                number_votes.push(style);
            }
        }
        for &column in &dates {
            if let Some(order) = record.get(column).and_then(locale::date_hint)
                && !date_votes.contains(&order)
            {
                date_votes.push(order);
            }
        }
    }
    let numbers = match number_votes[..] {
        [style] => style,
        _ => NumberStyle::Unknown,
    };
    let dates = match date_votes[..] {
        [order] => order,
        _ => DateOrder::Unknown,
    };
    let from = if numbers == NumberStyle::Unknown && dates == DateOrder::Unknown {
        FormatsFrom::Nothing
    } else {
        FormatsFrom::File
    };
    (numbers, dates, from)
}

/// Reads every row. Records end at `\n` alone, so that a row's line is right in Windows
/// files too (with `\r\n` as one terminator the reader counts each row's line one short); the
/// `\r` left at the end of the last field is trimmed with the rest of its blanks.
fn read_rows<R: Read>(
    reader: R,
    separator: u8,
    layout: &Layout,
    ctx: &RowContext,
    out: &mut dyn RowOut,
) -> Result<(), ImportError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .delimiter(separator)
        .terminator(csv::Terminator::Any(b'\n'))
        .buffer_capacity(1 << 16)
        .from_reader(reader);
    rdr.headers()
        .map_err(|e| ImportError::Read(format!("header: {e}")))?;
    let width = layout.columns.len();
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
                    header: &layout.header,
                    attr_columns: &layout.attr_columns,
                    record: &record,
                };
                match parse_row(line, &fields, ctx) {
                    Ok(parsed) => out.good(parsed),
                    Err(problems) => out.bad(problems),
                }
            }
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                let reason = match e.kind() {
                    csv::ErrorKind::Io(_) => return Err(ImportError::Read(e.to_string())),
                    // The head was UTF-8 but this row is not: a file saved from two sources.
                    csv::ErrorKind::Utf8 { .. } => "is not UTF-8 text; if the file is in \
                         Windows-1252 or Latin-1, say so (--encoding windows-1252)"
                        .to_string(),
                    _ => format!("unreadable row: {e}"),
                };
                out.bad(vec![whole_row_problem(line, reason)]);
            }
        }
        if out.closed() {
            break;
        }
    }
    Ok(())
}

fn read_jsonl<R: Read>(
    reader: R,
    tenant: &Tenant,
    opts: &ImportOptions,
    out: &mut dyn RowOut,
) -> Result<(), ImportError> {
    let mut ctx = RowContext::new(tenant);
    if let Some(locale) = opts.locale {
        ctx.numbers = locale.numbers();
        ctx.dates = locale.dates();
    }
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
        match parse_row(line, &JsonFields(&obj), &ctx) {
            Ok(parsed) => out.good(parsed),
            Err(problems) => out.bad(problems),
        }
        if out.closed() {
            break;
        }
    }
    Ok(())
}
