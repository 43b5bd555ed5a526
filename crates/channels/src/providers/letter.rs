//! Letters: a PDF per letter, written to `{output_dir}/{YYYY-MM-DD}/{contact_id}.pdf` with the
//! sender's block, the date line, the recipient's address block (placed for a window
//! envelope), the subject in bold and the body, plus a JSON sidecar holding what rebuilds it.
//! [`daily_batch`] gathers a day's letters into one PDF and a CSV manifest for a print house.
//! Files are written under a temporary name and renamed, so a crash leaves no half letter and
//! a re-send overwrites the same file.

pub mod pdf;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use recaudo_domain::portfolio::PostalAddress;
use recaudo_domain::{ContactId, Country};

use crate::{
    Capabilities, ChannelProvider, ConfigError, Content, OutboundMessage, ProviderAck, ProviderEnv,
    ProviderEvent, SendError, WebhookError, WebhookReply, WebhookRequest,
};

/// The paper the letters are printed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Paper {
    #[default]
    A4,
    Letter,
}

impl Paper {
    /// Width and height in points.
    pub fn size(self) -> (f32, f32) {
        match self {
            Paper::A4 => (595.28, 841.89),
            Paper::Letter => (612.0, 792.0),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The sender's block: the tenant's name, then its return address, one line each.
    pub sender_lines: Vec<String>,
    /// Where the letters go; defaults to the installation's letters directory.
    #[serde(default)]
    pub output_dir: Option<PathBuf>,
    #[serde(default)]
    pub paper: Paper,
}

/// The most sender lines that fit above the address window.
const MAX_SENDER_LINES: usize = 6;

impl Config {
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.sender_lines.iter().all(|line| line.trim().is_empty()) {
            return Err(ConfigError::missing("sender_lines"));
        }
        if self.sender_lines.len() > MAX_SENDER_LINES {
            return Err(ConfigError::new(
                "sender_lines",
                format!("at most {MAX_SENDER_LINES} lines fit above the address window"),
            ));
        }
        if let Some(dir) = &self.output_dir
            && dir.as_os_str().is_empty()
        {
            return Err(ConfigError::new(
                "output_dir",
                "must be a directory path, or left out",
            ));
        }
        Ok(())
    }
}

/// What a letter's sidecar holds: enough to print it again, alone or in a batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LetterRecord {
    pub contact_id: ContactId,
    pub idempotency_key: String,
    pub sent_at: DateTime<Utc>,
    pub paper: Paper,
    pub sender_lines: Vec<String>,
    pub date_line: String,
    pub recipient_name: String,
    pub postal: PostalAddress,
    pub subject: String,
    pub body: String,
    pub pages: usize,
    /// The PDF's file name, next to the sidecar.
    pub file: String,
}

pub struct Provider {
    config: Config,
    dir: PathBuf,
}

impl Provider {
    pub fn new(config: Config, env: &ProviderEnv) -> Result<Provider, ConfigError> {
        config.validate()?;
        let dir = config
            .output_dir
            .clone()
            .unwrap_or_else(|| env.letters_dir.clone());
        Ok(Provider { config, dir })
    }

    /// The directory the letters are written under.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn record(&self, message: &OutboundMessage) -> Result<LetterRecord, SendError> {
        let Content::Letter(letter) = &message.content else {
            return Err(SendError::permanent(
                "wrong_channel",
                format!(
                    "the letter provider prints letters, not {}",
                    message.content.channel()
                ),
            ));
        };
        let postal = match &message.postal {
            Some(postal) if !postal.line1.trim().is_empty() && !postal.city.trim().is_empty() => {
                postal.clone()
            }
            _ => {
                return Err(SendError::permanent(
                    "no_address",
                    "the debtor has no complete postal address (street line and city)",
                ));
            }
        };
        Ok(LetterRecord {
            contact_id: message.contact_id,
            idempotency_key: message.idempotency_key.clone(),
            sent_at: message.now,
            paper: self.config.paper,
            sender_lines: self
                .config
                .sender_lines
                .iter()
                .filter(|line| !line.trim().is_empty())
                .cloned()
                .collect(),
            date_line: letter.date_line.clone(),
            recipient_name: message.recipient_name.clone(),
            postal,
            subject: letter.subject.clone(),
            body: letter.body.clone(),
            pages: 0,
            file: format!("{}.pdf", message.contact_id),
        })
    }
}

/// The country as the post office reads it on the last line of an address.
fn country_name(country: Country) -> &'static str {
    match country {
        Country::Br => "BRASIL",
        Country::Mx => "MÉXICO",
        Country::Co => "COLOMBIA",
        Country::Cl => "CHILE",
        Country::Pe => "PERÚ",
        Country::Ar => "ARGENTINA",
        Country::Es => "ESPAÑA",
        Country::Us => "UNITED STATES",
    }
}

/// The address block: the recipient, then the street lines, the city line and the country.
fn address_lines(record: &LetterRecord) -> Vec<String> {
    let formatted = record.postal.formatted();
    let mut lines: Vec<String> = formatted.lines().map(str::to_string).collect();
    // `formatted` ends with the country code; the post office wants the name.
    lines.pop();
    lines.push(country_name(record.postal.country).to_string());
    let mut block = vec![record.recipient_name.trim().to_string()];
    block.extend(lines.into_iter().filter(|l| !l.trim().is_empty()));
    block
}

const MARGIN_LEFT: f32 = 64.0;
const MARGIN_RIGHT: f32 = 64.0;
const MARGIN_TOP: f32 = 56.0;
const MARGIN_BOTTOM: f32 = 72.0;
/// The address window's first baseline, from the top of the sheet (DIN 5008 / C5-C6 window
/// envelopes put the window 45–90 mm down).
const ADDRESS_TOP: f32 = 150.0;
const BODY_SIZE: f32 = 10.5;
const BODY_LEADING: f32 = 14.5;

/// Lays a letter out on pages.
pub fn layout(record: &LetterRecord) -> Vec<pdf::Page> {
    let (width, height) = record.paper.size();
    let text_width = width - MARGIN_LEFT - MARGIN_RIGHT;
    let mut pages: Vec<pdf::Page> = vec![];
    let mut runs: Vec<pdf::TextRun> = vec![];
    let mut y = height - MARGIN_TOP;
    fn put(runs: &mut Vec<pdf::TextRun>, x: f32, y: f32, size: f32, bold: bool, text: String) {
        runs.push(pdf::TextRun {
            x,
            y,
            size,
            bold,
            text,
        });
    }

    for (i, line) in record.sender_lines.iter().enumerate() {
        let (size, bold) = if i == 0 { (10.0, true) } else { (9.0, false) };
        put(
            &mut runs,
            MARGIN_LEFT,
            y,
            size,
            bold,
            line.trim().to_string(),
        );
        y -= 12.0;
    }
    y -= 8.0;
    let date_width = pdf::text_width(&record.date_line, BODY_SIZE, false);
    put(
        &mut runs,
        (width - MARGIN_RIGHT - date_width).max(MARGIN_LEFT),
        y,
        BODY_SIZE,
        false,
        record.date_line.trim().to_string(),
    );
    y = (y - 24.0).min(height - ADDRESS_TOP);
    for line in address_lines(record) {
        put(&mut runs, MARGIN_LEFT, y, 10.5, false, line);
        y -= 13.0;
    }
    y -= 30.0;
    for line in pdf::wrap(&record.subject, text_width, 11.5, true) {
        put(&mut runs, MARGIN_LEFT, y, 11.5, true, line);
        y -= 15.0;
    }
    y -= 8.0;

    let body = record.body.replace("\r\n", "\n");
    for paragraph in body.split("\n\n").filter(|p| !p.trim().is_empty()) {
        for source_line in paragraph.lines() {
            let wrapped = pdf::wrap(source_line, text_width, BODY_SIZE, false);
            // A blank line inside a paragraph still takes its height.
            let wrapped = if wrapped.is_empty() {
                vec![String::new()]
            } else {
                wrapped
            };
            for line in wrapped {
                if y < MARGIN_BOTTOM {
                    pages.push(pdf::Page {
                        width,
                        height,
                        runs: std::mem::take(&mut runs),
                    });
                    y = height - MARGIN_TOP;
                }
                if !line.is_empty() {
                    put(&mut runs, MARGIN_LEFT, y, BODY_SIZE, false, line);
                }
                y -= BODY_LEADING;
            }
        }
        y -= BODY_LEADING * 0.5;
    }
    pages.push(pdf::Page {
        width,
        height,
        runs,
    });

    // Page numbers, so a print house and the debtor can tell a letter is whole.
    let total = pages.len();
    if total > 1 {
        for (i, page) in pages.iter_mut().enumerate() {
            let text = format!("{} / {total}", i + 1);
            let x = (width - pdf::text_width(&text, 8.0, false)) / 2.0;
            page.runs.push(pdf::TextRun {
                x,
                y: 36.0,
                size: 8.0,
                bold: false,
                text,
            });
        }
    }
    pages
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    fs::write(&tmp, bytes)?;
    fs::rename(&tmp, path)
}

fn day_dir(root: &Path, date: NaiveDate) -> PathBuf {
    root.join(date.format("%Y-%m-%d").to_string())
}

/// Writes the letter's PDF and sidecar; returns the PDF's path.
fn write_letter(root: &Path, mut record: LetterRecord) -> io::Result<PathBuf> {
    let dir = day_dir(root, record.sent_at.date_naive());
    fs::create_dir_all(&dir)?;
    let pages = layout(&record);
    record.pages = pages.len();
    let pdf_path = dir.join(&record.file);
    write_atomically(&pdf_path, &pdf::write(&pages))?;
    let sidecar = serde_json::to_vec_pretty(&record).map_err(io::Error::other)?;
    write_atomically(&dir.join(format!("{}.json", record.contact_id)), &sidecar)?;
    Ok(pdf_path)
}

/// The day's letters as one PDF (`batch.pdf`, in the order they were sent) and a CSV manifest
/// (`manifest.csv`: contact, recipient, address, pages, file) for a print house, both in the
/// day's directory under `dir`.
pub fn daily_batch(dir: &Path, date: NaiveDate) -> Result<(PathBuf, PathBuf), io::Error> {
    let day = day_dir(dir, date);
    let mut records = vec![];
    for entry in fs::read_dir(&day)? {
        let path = entry?.path();
        let is_sidecar = path.extension().is_some_and(|e| e == "json")
            && path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(ContactId::PREFIX));
        if !is_sidecar {
            continue;
        }
        let record: LetterRecord = serde_json::from_slice(&fs::read(&path)?).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: {e}", path.display()),
            )
        })?;
        records.push(record);
    }
    if records.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("no letters in {}", day.display()),
        ));
    }
    records.sort_by_key(|record| (record.sent_at, record.contact_id));

    let mut pages = vec![];
    let mut manifest = String::from(
        "contact_id,recipient,address_line1,address_line2,postal_code,city,region,country,pages,file\n",
    );
    for record in &records {
        let letter = layout(record);
        let fields = [
            record.contact_id.to_string(),
            record.recipient_name.clone(),
            record.postal.line1.clone(),
            record.postal.line2.clone().unwrap_or_default(),
            record.postal.postal_code.clone().unwrap_or_default(),
            record.postal.city.clone(),
            record.postal.region.clone().unwrap_or_default(),
            record.postal.country.code().to_string(),
            letter.len().to_string(),
            record.file.clone(),
        ];
        let row: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        manifest.push_str(&row.join(","));
        manifest.push('\n');
        pages.extend(letter);
    }
    let batch = day.join("batch.pdf");
    write_atomically(&batch, &pdf::write(&pages))?;
    let manifest_path = day.join("manifest.csv");
    write_atomically(&manifest_path, manifest.as_bytes())?;
    Ok((batch, manifest_path))
}

/// One CSV field: quoted when it holds a comma, quote or line break, and defused when a
/// spreadsheet would read it as a formula.
fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

impl ChannelProvider for Provider {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            two_way: false,
            templates_required: false,
            max_length: None,
            delivery_reports: false,
        }
    }

    async fn send(&self, message: &OutboundMessage) -> Result<ProviderAck, SendError> {
        let record = self.record(message)?;
        let root = self.dir.clone();
        let written = tokio::task::spawn_blocking(move || write_letter(&root, record))
            .await
            .map_err(|e| SendError::retryable(format!("the letter writer stopped: {e}")))?;
        match written {
            Ok(path) => Ok(ProviderAck {
                provider_message_id: format!("letter_{}", message.contact_id),
                cost: None,
                artifact: Some(path.display().to_string()),
            }),
            // A full disk or a missing mount is worth another try once someone fixes it.
            Err(e) => Err(SendError::retryable(format!(
                "cannot write the letter under {}: {e}",
                self.dir.display()
            ))),
        }
    }

    fn verify(&self, _request: &WebhookRequest) -> Result<(), WebhookError> {
        Err(WebhookError::NotSupported)
    }

    fn parse_webhook(
        &self,
        _request: &WebhookRequest,
    ) -> Result<(Vec<ProviderEvent>, WebhookReply), WebhookError> {
        Err(WebhookError::NotSupported)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("Rua A, 12"), "\"Rua A, 12\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_field("Bogotá"), "Bogotá");
    }
}
