//! Synthetic portfolios in the import format (docs/import.md): plausible debtors of BR, MX, CO,
//! CL, PE, ES, US (and AR on request) with valid documents, phones, emails, addresses, consent
//! and debts. Deterministic: the same [`GenOptions`] give byte-identical output. Streaming:
//! memory does not grow with the number of debtors.
//!
//! ```no_run
//! use recaudo_import::synth::{GenOptions, write_csv};
//! let today = chrono::NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
//! let opts = GenOptions::new(10_000, 42, today);
//! let stats = write_csv(&opts, std::io::stdout().lock()).unwrap();
//! eprintln!("{} debtors, {} rows", stats.debtors, stats.rows);
//! ```

mod build;
mod data;
pub mod rng;

use std::collections::VecDeque;
use std::io::{self, Write};

use chrono::NaiveDate;
use recaudo_domain::Country;

use crate::columns::FIELDS;

use self::rng::Rng;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenOptions {
    /// Number of debtors; each has 1 to 3 debts, one row per debt.
    pub debtors: usize,
    pub seed: u64,
    /// Countries to spread debtors over; empty means [`DEFAULT_COUNTRIES`]. Order and repeats
    /// do not matter.
    pub countries: Vec<Country>,
    /// Dates (due, issued, birth, consent) are relative to this day.
    pub today: NaiveDate,
    /// Which products the debts are of.
    pub sector: Sector,
}

/// The line of business a portfolio comes from: it decides the products its debts are of.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sector {
    /// Every product of the country, as a collection agency's mixed book.
    #[default]
    Mixed,
    /// Bills: electricity, water, gas, mobile, broadband.
    Utility,
    /// Credit: cards, personal and business loans, retail instalments.
    Lender,
}

impl Sector {
    pub const ALL: [Sector; 3] = [Sector::Mixed, Sector::Utility, Sector::Lender];

    pub fn as_str(self) -> &'static str {
        match self {
            Sector::Mixed => "mixed",
            Sector::Utility => "utility",
            Sector::Lender => "lender",
        }
    }

    /// Whether a product (`data::products`) belongs to the sector.
    pub fn sells(self, product: &str) -> bool {
        match self {
            Sector::Mixed => true,
            Sector::Utility => matches!(
                product,
                "electricity" | "water" | "gas" | "mobile" | "broadband"
            ),
            Sector::Lender => matches!(
                product,
                "credit_card" | "personal_loan" | "retail_installment"
            ),
        }
    }
}

impl std::str::FromStr for Sector {
    type Err = String;

    fn from_str(text: &str) -> Result<Sector, String> {
        Sector::ALL
            .into_iter()
            .find(|sector| sector.as_str() == text)
            .ok_or_else(|| format!("unknown sector `{text}`: expected mixed, utility or lender"))
    }
}

impl GenOptions {
    /// `debtors` debtors over the default countries.
    pub fn new(debtors: usize, seed: u64, today: NaiveDate) -> Self {
        GenOptions {
            debtors,
            seed,
            countries: Vec::new(),
            today,
            sector: Sector::Mixed,
        }
    }

    /// The countries actually used: deduplicated, in [`Country::ALL`] order.
    pub fn effective_countries(&self) -> Vec<Country> {
        let chosen: &[Country] = if self.countries.is_empty() {
            &DEFAULT_COUNTRIES
        } else {
            &self.countries
        };
        Country::ALL
            .into_iter()
            .filter(|c| chosen.contains(c))
            .collect()
    }
}

/// The countries generated when [`GenOptions::countries`] is empty.
pub const DEFAULT_COUNTRIES: [Country; 7] = [
    Country::Br,
    Country::Mx,
    Country::Co,
    Country::Cl,
    Country::Pe,
    Country::Es,
    Country::Us,
];

/// Number of [`COLUMNS`].
pub const COLUMN_COUNT: usize = FIELDS.len() + 1;

/// The CSV header: every field of docs/import.md ([`FIELDS`]), then one free attribute.
pub const COLUMNS: [&str; COLUMN_COUNT] = {
    let mut out = [""; COLUMN_COUNT];
    let mut i = 0;
    while i < FIELDS.len() {
        out[i] = FIELDS[i];
        i += 1;
    }
    out[FIELDS.len()] = "attr_contract";
    out
};

/// One CSV row (one debt with its debtor): the fields in [`COLUMNS`] order, empty when absent.
/// Stored as one string and field boundaries, so a row is a single allocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthRow {
    buf: String,
    /// End offset in `buf` of each field; field `i` starts where field `i - 1` ends.
    ends: [u32; COLUMN_COUNT],
}

impl SynthRow {
    /// Field `index` of [`COLUMNS`]. Panics when `index >= COLUMN_COUNT`.
    pub fn field(&self, index: usize) -> &str {
        let start = if index == 0 {
            0
        } else {
            self.ends[index - 1] as usize
        };
        &self.buf[start..self.ends[index] as usize]
    }

    /// All fields, in [`COLUMNS`] order.
    pub fn fields(&self) -> [&str; COLUMN_COUNT] {
        std::array::from_fn(|i| self.field(i))
    }

    /// The field of column `name`, or `None` for a column not in [`COLUMNS`].
    pub fn get(&self, name: &str) -> Option<&str> {
        COLUMNS
            .iter()
            .position(|c| *c == name)
            .map(|i| self.field(i))
    }

    /// The row as one JSONL object (without the newline): empty fields are left out, `tags` is
    /// an array and `attr_*` columns go into an `attributes` object; other values are strings.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(self.buf.len() + 40 * COLUMN_COUNT);
        self.push_json(&mut out);
        out
    }

    fn push_json(&self, out: &mut String) {
        out.push('{');
        let mut first = true;
        let mut sep = |out: &mut String| {
            if !std::mem::take(&mut first) {
                out.push(',');
            }
        };
        let mut has_attrs = false;
        for (column, name) in COLUMNS.iter().enumerate() {
            let value = self.field(column);
            if value.is_empty() {
                continue;
            }
            if name.starts_with("attr_") {
                has_attrs = true;
                continue;
            }
            sep(out);
            push_json_str(out, name);
            out.push(':');
            if *name == "tags" {
                out.push('[');
                for (position, tag) in value.split('|').enumerate() {
                    if position > 0 {
                        out.push(',');
                    }
                    push_json_str(out, tag);
                }
                out.push(']');
            } else {
                push_json_str(out, value);
            }
        }
        if has_attrs {
            sep(out);
            out.push_str("\"attributes\":{");
            let mut first_attr = true;
            for (column, name) in COLUMNS.iter().enumerate() {
                let value = self.field(column);
                if let Some(attr) = name.strip_prefix("attr_")
                    && !value.is_empty()
                {
                    if !std::mem::take(&mut first_attr) {
                        out.push(',');
                    }
                    push_json_str(out, attr);
                    out.push(':');
                    push_json_str(out, value);
                }
            }
            out.push('}');
        }
        out.push('}');
    }
}

fn push_json_str(out: &mut String, text: &str) {
    out.push('"');
    let bytes = text.as_bytes();
    if !bytes.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\') {
        out.push_str(text);
        out.push('"');
        return;
    }
    let mut from = 0;
    for (index, &byte) in bytes.iter().enumerate() {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        // Only ASCII bytes are escaped, so `from..index` is on character boundaries.
        out.push_str(&text[from..index]);
        if escape.is_empty() {
            use std::fmt::Write as _;
            let _ = write!(out, "\\u{:04x}", byte);
        } else {
            out.push_str(escape);
        }
        from = index + 1;
    }
    out.push_str(&text[from..]);
    out.push('"');
}

/// What a writer produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GenStats {
    pub debtors: usize,
    /// Data rows (debts), without the header.
    pub rows: usize,
}

/// The rows of the portfolio, generated one debtor at a time.
pub fn rows(opts: &GenOptions) -> impl Iterator<Item = SynthRow> + use<> {
    let countries = opts.effective_countries();
    let weights = countries.iter().map(|&c| data::country_weight(c)).collect();
    Rows {
        seed: opts.seed,
        today: opts.today,
        sector: opts.sector,
        total: opts.debtors,
        next: 0,
        countries,
        weights,
        seq: [0; Country::ALL.len()],
        pending: VecDeque::with_capacity(4),
    }
}

struct Rows {
    seed: u64,
    today: NaiveDate,
    sector: Sector,
    total: usize,
    next: usize,
    countries: Vec<Country>,
    weights: Vec<u32>,
    /// Debtors generated so far per country, in `Country::ALL` order.
    seq: [u32; Country::ALL.len()],
    pending: VecDeque<SynthRow>,
}

impl Iterator for Rows {
    type Item = SynthRow;

    fn next(&mut self) -> Option<SynthRow> {
        loop {
            if let Some(row) = self.pending.pop_front() {
                return Some(row);
            }
            if self.next >= self.total || self.countries.is_empty() {
                return None;
            }
            // Each debtor draws from its own stream: debtor i is the same whatever came before.
            let mut rng = Rng::for_stream(self.seed, self.next as u64);
            self.next += 1;
            let country = self.countries[rng.weighted(&self.weights)];
            let slot = Country::ALL
                .iter()
                .position(|&c| c == country)
                .expect("a known country");
            self.seq[slot] += 1;
            build::debtor_rows(
                &mut rng,
                country,
                self.seq[slot],
                self.today,
                self.sector,
                &mut self.pending,
            );
        }
    }
}

/// Writes the portfolio as CSV with a [`COLUMNS`] header.
pub fn write_csv<W: Write>(opts: &GenOptions, out: W) -> io::Result<GenStats> {
    write_csv_rows(opts, usize::MAX, out)
}

/// Writes at most `max_rows` rows of the portfolio as CSV (benchmarks ask for an exact count).
pub fn write_csv_rows<W: Write>(
    opts: &GenOptions,
    max_rows: usize,
    out: W,
) -> io::Result<GenStats> {
    let mut writer = csv::WriterBuilder::new()
        .buffer_capacity(1 << 16)
        .from_writer(out);
    writer.write_record(COLUMNS)?;
    let mut count = 0;
    for row in rows(opts).take(max_rows) {
        writer.write_record(row.fields())?;
        count += 1;
    }
    writer.flush()?;
    Ok(GenStats {
        debtors: opts.debtors,
        rows: count,
    })
}

/// Writes the portfolio as JSONL, one [`SynthRow::to_json`] object per line.
pub fn write_jsonl<W: Write>(opts: &GenOptions, out: W) -> io::Result<GenStats> {
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    let mut line = String::with_capacity(2048);
    let mut count = 0;
    for row in rows(opts) {
        line.clear();
        row.push_json(&mut line);
        line.push('\n');
        out.write_all(line.as_bytes())?;
        count += 1;
    }
    out.flush()?;
    Ok(GenStats {
        debtors: opts.debtors,
        rows: count,
    })
}

#[cfg(test)]
mod tests;
