//! `recaudo import FILE --tenant T`: streams a file into the store, shows progress on a terminal,
//! prints each bad row, writes them all to an errors file, and ends with the JSON summary.

use std::fs::File;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use recaudo_domain::{Clock, SystemClock};
use recaudo_import::{Format, ImportOptions, ImportReport, ImportSink, RowProblem, Severity};
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

pub async fn run(args: ImportArgs, config: &Config) -> anyhow::Result<()> {
    let store = crate::open_store(config).await?;
    let tenant = find_tenant(&store, &args.tenant).await?;
    let ts = store.tenant(&tenant);
    let report = import_file(&ts, &args, true).await?;
    println!("{}", report.summary_json());
    Ok(())
}

/// Imports a file; used by `import`, `demo` and `bench`.
pub async fn import_file(
    ts: &TenantStore,
    args: &ImportArgs,
    interactive: bool,
) -> anyhow::Result<ImportReport> {
    let format = match args.format {
        Some(format) => format,
        None => Format::from_path(&args.file).with_context(|| {
            format!(
                "cannot tell the format of {} from its extension: pass --format csv or --format jsonl",
                args.file.display()
            )
        })?,
    };
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
        errors_path: errors_path.clone(),
        writer: None,
        shown: 0,
        show: if interactive { args.show } else { 0 },
        bar: bar.clone(),
        write_error: None,
    };
    let opts = ImportOptions {
        batch_size: args.batch_size,
        source: args.file.display().to_string(),
        ..ImportOptions::default()
    };
    let report = recaudo_import::import_with(ts, format, file, &opts, SystemClock.now(), &mut sink)
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
    errors_path: PathBuf,
    writer: Option<csv::Writer<File>>,
    shown: usize,
    show: usize,
    bar: Option<ProgressBar>,
    write_error: Option<String>,
}

impl ImportSink for CliSink {
    fn problem(&mut self, problem: &RowProblem) {
        if self.shown < self.show {
            self.shown += 1;
            let kind = match problem.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let at = if problem.column.is_empty() {
                String::new()
            } else {
                format!(", column {}", problem.column)
            };
            let value = if problem.value.is_empty() {
                String::new()
            } else {
                format!(" `{}`", problem.value)
            };
            let msg = format!(
                "{kind}: line {}{at}:{value} {}",
                problem.line, problem.reason
            );
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
