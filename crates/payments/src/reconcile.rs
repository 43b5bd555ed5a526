//! Reconciliation files: payments received outside a webhook (a PSP's statement, a bank's
//! export, a spreadsheet), one a row, to be matched on txid or on the debt's external id.
//!
//! Format (docs/payments.md): a header row; columns `txid` and/or `debt_external_id` (each row
//! needs one of them), `amount`, `paid_at` (RFC 3339, or `YYYY-MM-DD`), optional
//! `end_to_end_id` or `reference` (the provider's id of the payment), optional `currency`
//! (default BRL). Header names are case-insensitive; other columns are ignored. The delimiter
//! is `,` or `;`; with `;` the amount may use a decimal comma (`12,34`).

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use recaudo_domain::{Currency, Money};

/// One payment of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconciliationRow {
    /// The file's line (1 is the header).
    pub line: usize,
    pub txid: Option<String>,
    pub debt_external_id: Option<String>,
    pub amount: Money,
    pub paid_at: DateTime<Utc>,
    pub provider_ref: Option<String>,
}

/// A row left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct RowError {
    pub line: usize,
    pub column: String,
    pub message: String,
}

/// A file that cannot be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReconcileError {
    #[error("the file is empty")]
    Empty,
    #[error("the header has no `{0}` column")]
    MissingColumn(&'static str),
    #[error("the header needs a `txid` or a `debt_external_id` column")]
    NoMatchColumn,
    #[error("the header has `{0}` twice")]
    DuplicateColumn(String),
    #[error("line {line}: {message}")]
    Csv { line: usize, message: String },
}

struct Columns {
    txid: Option<usize>,
    debt_external_id: Option<usize>,
    amount: usize,
    paid_at: usize,
    provider_ref: Option<(usize, &'static str)>,
    currency: Option<usize>,
}

/// Reads a reconciliation file: the good rows and an error for each bad one.
pub fn parse(input: &[u8]) -> Result<(Vec<ReconciliationRow>, Vec<RowError>), ReconcileError> {
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let first_line = input.split(|&b| b == b'\n').next().unwrap_or_default();
    if first_line.iter().all(u8::is_ascii_whitespace) {
        return Err(ReconcileError::Empty);
    }
    let count = |d: u8| first_line.iter().filter(|&&b| b == d).count();
    let delimiter = if count(b';') > count(b',') {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(input);
    let header = reader.headers().map_err(|e| csv_error(&e, 1))?.clone();
    let columns = columns(&header)?;

    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                errors.push(RowError {
                    line,
                    column: String::new(),
                    message: e.to_string(),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line() as usize);
        if record.iter().all(str::is_empty) {
            continue;
        }
        match row(&record, &columns, delimiter, line) {
            Ok(row) => rows.push(row),
            Err(error) => errors.push(error),
        }
    }
    Ok((rows, errors))
}

fn csv_error(error: &csv::Error, line: usize) -> ReconcileError {
    ReconcileError::Csv {
        line: error.position().map_or(line, |p| p.line() as usize),
        message: error.to_string(),
    }
}

fn columns(header: &csv::StringRecord) -> Result<Columns, ReconcileError> {
    let names: Vec<String> = header
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    for (i, name) in names.iter().enumerate() {
        if !name.is_empty() && names[..i].contains(name) {
            return Err(ReconcileError::DuplicateColumn(name.clone()));
        }
    }
    let find = |name: &str| names.iter().position(|n| n == name);
    let txid = find("txid");
    let debt_external_id = find("debt_external_id");
    if txid.is_none() && debt_external_id.is_none() {
        return Err(ReconcileError::NoMatchColumn);
    }
    Ok(Columns {
        txid,
        debt_external_id,
        amount: find("amount").ok_or(ReconcileError::MissingColumn("amount"))?,
        paid_at: find("paid_at").ok_or(ReconcileError::MissingColumn("paid_at"))?,
        provider_ref: find("end_to_end_id")
            .map(|i| (i, "end_to_end_id"))
            .or_else(|| find("reference").map(|i| (i, "reference"))),
        currency: find("currency"),
    })
}

fn row(
    record: &csv::StringRecord,
    columns: &Columns,
    delimiter: u8,
    line: usize,
) -> Result<ReconciliationRow, RowError> {
    let error = |column: &str, message: String| RowError {
        line,
        column: column.to_string(),
        message,
    };
    let cell = |i: Option<usize>| {
        i.and_then(|i| record.get(i))
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let txid = cell(columns.txid);
    let debt_external_id = cell(columns.debt_external_id);
    if txid.is_none() && debt_external_id.is_none() {
        let column = if columns.txid.is_some() {
            "txid"
        } else {
            "debt_external_id"
        };
        return Err(error(
            column,
            "each row needs a txid or a debt_external_id".into(),
        ));
    }
    if let Some(txid) = &txid
        && !crate::providers::pix::brcode::valid_txid(txid)
    {
        return Err(error(
            "txid",
            format!("`{txid}` is not 1–25 characters of A-Z, a-z and 0-9"),
        ));
    }
    let currency = match cell(columns.currency) {
        Some(code) => code
            .parse::<Currency>()
            .map_err(|e| error("currency", e.to_string()))?,
        None => Currency::Brl,
    };
    let amount_text =
        cell(Some(columns.amount)).ok_or_else(|| error("amount", "the amount is empty".into()))?;
    let normalized = if delimiter == b';' && !amount_text.contains('.') {
        amount_text.replace(',', ".")
    } else {
        amount_text.clone()
    };
    let amount = Money::parse_amount(&normalized, currency)
        .map_err(|e| error("amount", format!("`{amount_text}`: {e}")))?;
    if amount.is_zero_or_less() {
        return Err(error(
            "amount",
            format!("`{amount_text}`: the amount must be more than zero"),
        ));
    }
    let paid_text =
        cell(Some(columns.paid_at)).ok_or_else(|| error("paid_at", "the date is empty".into()))?;
    let paid_at = paid_at(&paid_text).ok_or_else(|| {
        error(
            "paid_at",
            format!("`{paid_text}` is not an RFC 3339 time or a YYYY-MM-DD date"),
        )
    })?;
    Ok(ReconciliationRow {
        line,
        txid,
        debt_external_id,
        amount,
        paid_at,
        provider_ref: columns.provider_ref.and_then(|(i, _)| cell(Some(i))),
    })
}

/// An RFC 3339 time, or a date read as 12:00 UTC: the same calendar day from UTC−12 to
/// UTC+11, so a day of a Brazilian or Spanish statement stays that day wherever it is shown.
fn paid_at(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(date.and_time(NaiveTime::from_hms_opt(12, 0, 0)?).and_utc())
}
