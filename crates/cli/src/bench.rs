//! `recaudo bench …`: end-to-end figures. Each command ends its output with one JSON line.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Subcommand;
use recaudo_domain::{Clock, Country, SystemClock};
use recaudo_import::{Format, ImportOptions, NoSink};
use recaudo_store::{DatabaseKind, NewTenant, Store};

use crate::config::Config;
use crate::{CliResult, err};

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Generate N rows, then import them into a fresh database (SQLite by default, or a fresh
    /// database on the PostgreSQL server of --database-url), and compare with sqlite3's `.import`.
    Import {
        #[arg(long, default_value_t = 1_000_000)]
        rows: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Rows per transaction.
        #[arg(long, default_value_t = 2000)]
        batch_size: usize,
    },
}

pub async fn run(command: BenchCommand, config: &Config) -> CliResult {
    match command {
        BenchCommand::Import {
            rows,
            seed,
            batch_size,
        } => import(rows, seed, batch_size, config).await,
    }
}

/// Peak resident set size of this process, in MiB (Linux `VmHWM`).
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Resets the peak RSS so the next reading covers only what follows (Linux ≥ 4.0).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

struct TempDir(PathBuf);
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn import(rows: usize, seed: u64, batch_size: usize, config: &Config) -> CliResult {
    let dir = TempDir(std::env::temp_dir().join(format!("recaudo-bench-{}", ulid_like())));
    std::fs::create_dir_all(&dir.0).map_err(err)?;
    let csv_path = dir.0.join("portfolio.csv");

    let started = Instant::now();
    let written = recaudo_import::synth::write_csv_rows(
        &recaudo_import::synth::GenOptions {
            debtors: rows,
            seed,
            countries: vec![],
            today: SystemClock.now().date_naive(),
        },
        rows,
        std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&csv_path).map_err(err)?),
    )
    .map_err(err)?;
    let gen_seconds = started.elapsed().as_secs_f64();
    let file_mib = std::fs::metadata(&csv_path).map_err(err)?.len() as f64 / (1024.0 * 1024.0);
    eprintln!(
        "generated {} rows ({file_mib:.0} MiB) in {gen_seconds:.2} s",
        written.rows
    );

    let kind = DatabaseKind::of_url(&config.database_url).map_err(err)?;
    let (url, pg_cleanup) = match kind {
        DatabaseKind::Sqlite => (
            format!("sqlite://{}", dir.0.join("bench.db").display()),
            None,
        ),
        DatabaseKind::Postgres => {
            let (url, name) = fresh_pg_database(&config.database_url).await?;
            (url, Some(name))
        }
    };
    let store = Store::open(&url).await.map_err(err)?;
    let tk = store
        .create_tenant(
            NewTenant::in_country("bench", Country::Br),
            SystemClock.now(),
        )
        .await
        .map_err(err)?;
    let ts = store.tenant(&tk.tenant);
    let file = std::fs::File::open(&csv_path).map_err(err)?;
    reset_peak_rss();
    let started = Instant::now();
    let report = recaudo_import::import_with(
        &ts,
        Format::Csv,
        file,
        &ImportOptions {
            batch_size,
            source: "bench".into(),
            ..Default::default()
        },
        SystemClock.now(),
        &mut NoSink,
    )
    .await
    .map_err(err)?;
    let seconds = started.elapsed().as_secs_f64();
    let peak = peak_rss_mib();
    store.close().await;
    if let Some(name) = pg_cleanup {
        drop_pg_database(&config.database_url, &name).await;
    }
    eprintln!("imported: {}", report.summary_json());

    let sqlite3_seconds = sqlite3_import_seconds(&csv_path, &dir.0.join("plain.db"));
    let ratio = sqlite3_seconds.map(|s| seconds / s);
    let db = match kind {
        DatabaseKind::Sqlite => "sqlite",
        DatabaseKind::Postgres => "postgres",
    };
    println!(
        "{}",
        serde_json::json!({
            "bench": "import",
            "database": db,
            "rows": report.rows,
            "imported": report.imported,
            "errors": report.errors,
            "seconds": round3(seconds),
            "rows_per_s": (report.rows as f64 / seconds).round(),
            "peak_rss_mib": peak.map(round3),
            "gen_seconds": round3(gen_seconds),
            "file_mib": round3(file_mib),
            "sqlite3_import_seconds": sqlite3_seconds.map(round3),
            "ratio_vs_sqlite3": ratio.map(round3),
        })
    );
    Ok(())
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn ulid_like() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        SystemClock.now().timestamp_micros()
    )
}

/// Times `sqlite3`'s own `.import` of the same CSV into a plain table (no validation, no
/// indexes): the floor any importer into SQLite can reach. `None` when sqlite3 is not installed.
fn sqlite3_import_seconds(csv: &Path, db: &Path) -> Option<f64> {
    let started = Instant::now();
    let status = std::process::Command::new("sqlite3")
        .arg(db)
        .arg(".mode csv")
        .arg(format!(".import '{}' plain", csv.display()))
        .stdout(std::process::Stdio::null())
        .status()
        .ok()?;
    status.success().then(|| started.elapsed().as_secs_f64())
}

async fn fresh_pg_database(base: &str) -> CliResult<(String, String)> {
    let name = format!("recaudo_bench_{}", std::process::id());
    let admin = Store::connect(base).await.map_err(err)?;
    admin
        .execute_admin(&format!("DROP DATABASE IF EXISTS {name}"))
        .await
        .map_err(err)?;
    admin
        .execute_admin(&format!("CREATE DATABASE {name}"))
        .await
        .map_err(err)?;
    admin.close().await;
    let (prefix, _) = base.rsplit_once('/').unwrap_or((base, ""));
    Ok((format!("{prefix}/{name}"), name))
}

async fn drop_pg_database(base: &str, name: &str) {
    if let Ok(admin) = Store::connect(base).await {
        let _ = admin
            .execute_admin(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await;
        admin.close().await;
    }
}
