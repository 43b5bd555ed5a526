//! `recaudo import FILE --tenant T`: streams a file into the store, shows progress on a terminal,
//! prints each bad row, writes them all to an errors file, and ends with the JSON summary. It
//! fails (non-zero exit) when no row was imported. `--check` reads the file the same way and
//! shows how each column was read and the first problems, importing nothing.

use std::collections::HashMap;
use std::fs::File;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use recaudo_domain::{Clock, SystemClock};
use recaudo_import::text::separator_name;
use recaudo_import::{
    CheckReport, ColumnMap, Encoding, FileShape, Format, FormatsFrom, ImportOptions, ImportReport,
    ImportSink, Locale, ReadAs, RowProblem, Severity,
};
use recaudo_store::TenantStore;

use crate::config::Config;
use crate::find_tenant;

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The file: .csv, .jsonl or .ndjson.
    pub file: PathBuf,
    /// Tenant id (`ten_…`) or exact name.
    #[arg(long)]
    pub tenant: String,
    /// csv or jsonl (default: from the file's extension).
    #[arg(long)]
    pub format: Option<Format>,
    /// Where to write every rejected row (default: FILE.errors.csv, only when there are errors).
    #[arg(long, value_name = "FILE")]
    pub errors: Option<PathBuf>,
    /// Rows per transaction.
    #[arg(long, default_value_t = 2000)]
    pub batch_size: usize,
    /// Bad rows printed to the terminal (all go to the errors file).
    #[arg(long, default_value_t = 20)]
    pub show: usize,
}

/// `recaudo import`: the file and where it goes, how to read it, and whether only to check it.
#[derive(Args, Debug)]
pub struct ImportCommand {
    #[command(flatten)]
    pub args: ImportArgs,
    #[command(flatten)]
    pub reading: ReadingArgs,
    /// Show how the file is read (encoding, separator, formats, each column) and its first
    /// problems; import nothing.
    #[arg(long)]
    pub check: bool,
}

/// How to read a file that does not say it itself.
#[derive(Args, Debug, Default, Clone)]
pub struct ReadingArgs {
    /// utf-8, windows-1252 or latin-1 (default: told from the file).
    #[arg(long)]
    pub encoding: Option<Encoding>,
    /// How numbers and dates are written: es-CO, pt-BR, es-CL (1.500.000,50 and dd/mm/yyyy),
    /// es-MX (1,500,000.50 and dd/mm/yyyy) or en-US (1,500,000.50 and mm/dd/yyyy). Default:
    /// told from the file where its values leave no doubt.
    #[arg(long)]
    pub locale: Option<Locale>,
    /// The CSV separator: `,`, `;` or `tab` (default: told from the header line).
    #[arg(long, value_parser = parse_separator)]
    pub separator: Option<u8>,
    /// A TOML file naming what other headers are (docs/import.md).
    #[arg(long = "map", value_name = "MAPPING.toml")]
    pub map: Option<PathBuf>,
}

fn parse_separator(text: &str) -> Result<u8, String> {
    match text {
        "," | "comma" => Ok(b','),
        ";" | "semicolon" => Ok(b';'),
        "\t" | "\\t" | "tab" => Ok(b'\t'),
        "|" | "pipe" => Ok(b'|'),
        other => Err(format!(
            "unknown separator `{other}` (expected `,`, `;`, `tab` or `|`)"
        )),
    }
}

impl ReadingArgs {
    /// The import options these arguments set.
    fn apply(&self, opts: &mut ImportOptions) -> anyhow::Result<()> {
        opts.encoding = self.encoding;
        opts.locale = self.locale;
        opts.separator = self.separator;
        if let Some(path) = &self.map {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the mapping file {}", path.display()))?;
            opts.columns = ColumnMap::from_toml(&text)
                .map_err(|e| anyhow::anyhow!("mapping file {}: {e}", path.display()))?;
        }
        Ok(())
    }
}

pub async fn run(command: ImportCommand, config: &Config) -> anyhow::Result<()> {
    let store = crate::open_store(config).await?;
    let tenant = find_tenant(&store, &command.args.tenant).await?;
    if command.check {
        return check(&command, &tenant);
    }
    let ts = store.tenant(&tenant);
    let report = import_file_reading(
        &ts,
        &command.args,
        &command.reading,
        true,
        SystemClock.now(),
    )
    .await?;
    println!("{}", report.summary_json());
    if report.rows == 0 {
        anyhow::bail!("no row was imported: the file has no data rows");
    }
    if report.imported + report.updated == 0 {
        let errors_path = command
            .args
            .errors
            .clone()
            .unwrap_or_else(|| errors_file_for(&command.args.file));
        let where_ = if report.errors + report.warnings > 0 {
            format!("; every problem is in {}", errors_path.display())
        } else {
            String::new()
        };
        anyhow::bail!(
            "no row was imported: {} of {} rows failed{where_}",
            report.errors,
            report.rows
        );
    }
    Ok(())
}

/// `--check`: reads the file as the import would and says how, writing nothing.
fn check(
    command: &ImportCommand,
    tenant: &recaudo_domain::portfolio::Tenant,
) -> anyhow::Result<()> {
    let args = &command.args;
    let format = format_of(args)?;
    let file =
        File::open(&args.file).with_context(|| format!("cannot open {}", args.file.display()))?;
    let mut opts = ImportOptions {
        max_reported: args.show,
        ..ImportOptions::default()
    };
    command.reading.apply(&mut opts)?;
    let report = recaudo_import::check_reader(format, file, tenant, &opts)
        .with_context(|| args.file.display().to_string())?;
    print!("{}", describe_check(&report));
    println!(
        "{}",
        serde_json::json!({
            "check": true, "rows": report.rows, "valid": report.valid,
            "errors": report.errors, "warnings": report.warnings,
        })
    );
    if report.valid == 0 {
        anyhow::bail!(
            "no row would be imported: {} of {} rows have errors",
            report.errors,
            report.rows
        );
    }
    Ok(())
}

/// The human part of `--check`'s answer.
fn describe_check(report: &CheckReport) -> String {
    let mut out = String::new();
    if let Some(shape) = &report.shape {
        out.push_str(&describe_shape(shape));
    }
    out.push_str(&format!(
        "rows: {} read, {} would be imported, {} with errors, {} warnings\n",
        report.rows, report.valid, report.errors, report.warnings
    ));
    let titles = report.shape.as_ref().map(titles_of).unwrap_or_default();
    if !report.problems.is_empty() {
        out.push_str("first problems:\n");
        for problem in &report.problems {
            out.push_str(&format!("  {}\n", problem_line(problem, &titles)));
        }
    }
    out
}

fn describe_shape(shape: &FileShape) -> String {
    let how = |detected: bool| if detected { "detected" } else { "given" };
    let mut out = format!(
        "encoding: {} ({})\nseparator: {} ({})\n",
        shape.encoding,
        how(shape.encoding_detected),
        separator_name(shape.separator),
        how(shape.separator_detected)
    );
    let from = match shape.formats_from {
        FormatsFrom::Locale(locale) => format!("locale {locale}"),
        FormatsFrom::File => "told from the file".to_string(),
        FormatsFrom::Nothing => "no locale given, none told from the file".to_string(),
    };
    out.push_str(&format!(
        "numbers: {} ({from})\ndates: {} ({from})\ncolumns:\n",
        shape.numbers.describe(),
        shape.dates.describe()
    ));
    for (i, (title, read_as)) in shape.layout.columns.iter().enumerate() {
        let what = match read_as {
            ReadAs::Unknown => "not recognised".to_string(),
            other => other.to_string(),
        };
        out.push_str(&format!("  {:>2}. {title:<28} → {what}\n", i + 1));
    }
    for note in &shape.layout.notes {
        out.push_str(&format!("  {note}\n"));
    }
    if let Some(currency) = shape.default_currency {
        out.push_str(&format!(
            "  currency: no column; the tenant's currency, {currency}\n"
        ));
    }
    out
}

/// Field → the file's own title for it, where they differ.
fn titles_of(shape: &FileShape) -> HashMap<String, String> {
    shape
        .layout
        .header
        .keys()
        .filter_map(|field| {
            let title = shape.layout.title(field)?;
            (title != field.as_str()).then(|| (field.clone(), title.to_string()))
        })
        .collect()
}

/// One problem as a person reads it: `error: line 3, column Valor (amount): `doce` is not a number`.
fn problem_line(problem: &RowProblem, titles: &HashMap<String, String>) -> String {
    let kind = match problem.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let at = match (problem.column.as_str(), titles.get(&problem.column)) {
        ("", _) => String::new(),
        (field, Some(title)) => format!(", column {title} ({field})"),
        (field, None) => format!(", column {field}"),
    };
    let value = if problem.value.is_empty() {
        String::new()
    } else {
        format!(" `{}`", problem.value)
    };
    format!(
        "{kind}: line {}{at}:{value} {}",
        problem.line, problem.reason
    )
}

fn format_of(args: &ImportArgs) -> anyhow::Result<Format> {
    match args.format {
        Some(format) => Ok(format),
        None => Format::from_path(&args.file).with_context(|| {
            format!(
                "cannot tell the format of {} from its extension: pass --format csv or --format jsonl",
                args.file.display()
            )
        }),
    }
}

/// Imports a file as the format documents it; used by `demo` and `bench`.
pub async fn import_file(
    ts: &TenantStore,
    args: &ImportArgs,
    interactive: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<ImportReport> {
    import_file_reading(ts, args, &ReadingArgs::default(), interactive, now).await
}

/// Imports a file, read as `reading` says.
pub async fn import_file_reading(
    ts: &TenantStore,
    args: &ImportArgs,
    reading: &ReadingArgs,
    interactive: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<ImportReport> {
    let format = format_of(args)?;
    let file =
        File::open(&args.file).with_context(|| format!("cannot open {}", args.file.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let errors_path = args
        .errors
        .clone()
        .unwrap_or_else(|| errors_file_for(&args.file));
    let _ = std::fs::remove_file(&errors_path);
    let bar = if interactive && std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(size);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Some(bar)
    } else {
        None
    };
    let mut sink = CliSink {
        titles: HashMap::new(),
        errors_path: errors_path.clone(),
        writer: None,
        shown: 0,
        show: if interactive { args.show } else { 0 },
        bar: bar.clone(),
        write_error: None,
    };
    let mut opts = ImportOptions {
        batch_size: args.batch_size,
        source: args.file.display().to_string(),
        ..ImportOptions::default()
    };
    reading.apply(&mut opts)?;
    let report = recaudo_import::import_with(ts, format, file, &opts, now, &mut sink)
        .await
        .with_context(|| args.file.display().to_string())?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    if let Some(mut writer) = sink.writer.take() {
        writer.flush()?;
    }
    if let Some(error) = sink.write_error {
        anyhow::bail!("writing {}: {error}", errors_path.display());
    }
    let problems = report.errors + report.warnings;
    if interactive && report.errors > 0 {
        eprintln!(
            "{} of {} rows failed and were not imported",
            report.errors, report.rows
        );
    }
    if interactive && problems as usize > sink.shown {
        eprintln!(
            "… {} more in {}",
            problems as usize - sink.shown,
            errors_path.display()
        );
    } else if interactive && problems > 0 {
        eprintln!("all problems are also in {}", errors_path.display());
    }
    Ok(report)
}

/// `portfolio.csv` → `portfolio.csv.errors.csv`.
pub fn errors_file_for(file: &Path) -> PathBuf {
    let mut name = file
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".errors.csv");
    file.with_file_name(name)
}

struct CliSink {
    /// Field → the file's title for it, to name columns as the file does.
    titles: HashMap<String, String>,
    errors_path: PathBuf,
    writer: Option<csv::Writer<File>>,
    shown: usize,
    show: usize,
    bar: Option<ProgressBar>,
    write_error: Option<String>,
}

impl ImportSink for CliSink {
    fn shape(&mut self, shape: &FileShape) {
        self.titles = titles_of(shape);
    }

    fn problem(&mut self, problem: &RowProblem) {
        if self.shown < self.show {
            self.shown += 1;
            let msg = problem_line(problem, &self.titles);
            match &self.bar {
                Some(bar) => bar.println(msg),
                None => eprintln!("{msg}"),
            }
        }
        if self.write_error.is_some() {
            return;
        }
        if self.writer.is_none() {
            match csv::Writer::from_path(&self.errors_path) {
                Ok(mut writer) => {
                    if let Err(error) =
                        writer.write_record(["line", "column", "value", "reason", "severity"])
                    {
                        self.write_error = Some(error.to_string());
                        return;
                    }
                    self.writer = Some(writer);
                }
                Err(error) => {
                    self.write_error = Some(error.to_string());
                    return;
                }
            }
        }
        if let Some(writer) = &mut self.writer {
            let sev = match problem.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            if let Err(error) = writer.write_record([
                &problem.line.to_string(),
                &problem.column,
                &problem.value,
                &problem.reason,
                sev,
            ]) {
                self.write_error = Some(error.to_string());
            }
        }
    }

    fn progress(&mut self, rows: u64, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(bytes);
            bar.set_message(format!("{rows} rows"));
        }
    }
}
