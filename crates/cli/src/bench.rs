//! `recaudo bench …`: end-to-end figures. Each command ends its output with one JSON line.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::Subcommand;
use recaudo_domain::{Clock, Country, SystemClock};
use recaudo_import::{Format, ImportOptions, NoSink};
use recaudo_store::{DatabaseKind, NewTenant, Store};

use crate::config::Config;

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
    /// Generate and import N open debts (Colombian debtors, the strictest contact law) into
    /// SQLite with the example strategies, then time the planning of one day: strategy, policy
    /// and the outbox write.
    Plan {
        #[arg(long, default_value_t = 1_000_000)]
        debts: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Keep the database in this file and reuse it when it exists (skips generating and
        /// importing; its outbox is emptied first).
        #[arg(long, value_name = "FILE")]
        db: Option<PathBuf>,
        /// Plan the first day of a copy of this database, never planned (one that
        /// `--db FILE --dry-run` made): a fresh day, as after an import, without importing
        /// again. The copy is synced to disk first and removed afterwards.
        #[arg(long, value_name = "FILE", conflicts_with = "db")]
        from: Option<PathBuf>,
        /// The instant planned (default: Wednesday 2026-12-02, 10:00 in Bogotá: a working day,
        /// so that the figure always measures a day on which Colombia's law lets contacts go
        /// out, whatever day the bench runs on).
        #[arg(long, value_name = "RFC3339", value_parser = crate::plan::parse_at)]
        at: Option<chrono::DateTime<chrono::Utc>>,
        /// Plan without writing the outbox.
        #[arg(long)]
        dry_run: bool,
        /// Debtors per batch.
        #[arg(long, default_value_t = recaudo_engine::DEFAULT_BATCH)]
        batch: usize,
        /// Plan this many consecutive days (the last line holds the last day's figures).
        #[arg(long, default_value_t = 1)]
        days: u32,
    },
    /// Generate and import N debts (Colombian debtors) into SQLite, add payments, promises and
    /// sent contacts in realistic proportions, then time the KPI report: the cold load of the
    /// facts, the compute of a 30-day report, and `GET /api/v1/kpis` through the router warm
    /// (goal: the warm answer < 1 s for 1M debts).
    Kpis {
        #[arg(long, default_value_t = 1_000_000)]
        debts: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Keep the database in this file and reuse it when it exists (skips generating).
        #[arg(long, value_name = "FILE")]
        db: Option<PathBuf>,
    },
    /// Classify the shipped corpus's test split, repeated to N messages, on one core: messages
    /// per second and peak RSS (goal: ≥ 20,000 messages/s, ≤ 100 MiB).
    Classify {
        #[arg(long, default_value_t = 1_000_000)]
        messages: usize,
    },
    /// Send N planned contacts through the whole path (claim, re-check, render, send, record)
    /// to a local counterpart it starts (smtp-sink for email, an HTTP mock for SMS and
    /// WhatsApp), and the same messages through the provider's client alone: durable sends a
    /// second and their ratio to the bare client's (goals: ≥ 2,000/s for email, ratio ≥ 0.5).
    Dispatch {
        #[arg(long, value_enum, default_value = "email")]
        channel: crate::bench_dispatch::BenchChannel,
        #[arg(long, default_value_t = 100_000)]
        n: usize,
        /// Send email to this SMTP sink (HOST:PORT) instead of starting smtp-sink.
        #[arg(long, value_name = "HOST:PORT")]
        smtp: Option<String>,
        /// Contacts claimed at a time.
        #[arg(long, default_value_t = 500)]
        batch: usize,
        /// Sends in flight at once.
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
    },
}

pub async fn run(command: BenchCommand, config: &Config) -> anyhow::Result<()> {
    match command {
        BenchCommand::Import {
            rows,
            seed,
            batch_size,
        } => import(rows, seed, batch_size, config).await,
        BenchCommand::Plan {
            debts,
            seed,
            db,
            from,
            at,
            dry_run,
            batch,
            days,
        } => {
            let source = match (db, from) {
                (Some(db), _) => PlanDb::Kept(db),
                (None, Some(from)) => PlanDb::CopyOf(from),
                (None, None) => PlanDb::Imported,
            };
            plan(debts, seed, source, at, dry_run, batch, days).await
        }
        BenchCommand::Kpis { debts, seed, db } => crate::bench_kpis::run(debts, seed, db).await,
        BenchCommand::Classify { messages } => classify(messages),
        BenchCommand::Dispatch {
            channel,
            n,
            smtp,
            batch,
            concurrency,
        } => {
            crate::bench_dispatch::run(crate::bench_dispatch::DispatchBench {
                channel,
                n,
                smtp,
                batch,
                concurrency,
            })
            .await
        }
    }
}

/// `bench classify`: one thread, the test split's messages in a loop.
fn classify(messages: usize) -> anyhow::Result<()> {
    use recaudo_intents::Intent;
    use recaudo_intents::corpus::{self, Split};
    let all = corpus::shipped()?;
    let test: Vec<_> = all.iter().filter(|e| e.split == Split::Test).collect();
    if test.is_empty() || messages == 0 {
        anyhow::bail!("nothing to classify");
    }
    let started = std::time::Instant::now();
    let mut by_intent = [0usize; Intent::ALL.len()];
    let mut dated = 0usize;
    for i in 0..messages {
        let example = test[i % test.len()];
        let classification =
            recaudo_intents::classify(std::hint::black_box(&example.text), example.today);
        by_intent[classification.intent.index()] += 1;
        dated += usize::from(classification.date.is_some());
    }
    let seconds = started.elapsed().as_secs_f64();
    let peak = peak_rss_mib();
    let per_s = messages as f64 / seconds;
    eprintln!(
        "classified {messages} messages ({} distinct) in {seconds:.2} s on one core: {per_s:.0} messages/s",
        test.len()
    );
    println!(
        "{}",
        serde_json::json!({
            "bench": "classify",
            "messages": messages,
            "distinct_messages": test.len(),
            "seconds": round3(seconds),
            "messages_per_s": per_s.round(),
            "threads": 1,
            "peak_rss_mib": peak.map(round3),
            "by_intent": Intent::ALL.iter().map(|i| (i.as_str(), by_intent[i.index()])).collect::<std::collections::BTreeMap<_, _>>(),
            "with_date": dated,
        })
    );
    Ok(())
}

/// The day `bench plan` plans by default: a Wednesday, 10:00 in Bogotá (UTC-5, no DST), not a
/// Colombian holiday. A day taken from the clock would be a Sunday or a holiday now and then,
/// when the law defers every contact and nothing is written: another workload.
pub const DEFAULT_PLAN_AT: &str = "2026-12-02T15:00:00Z";

/// Where `bench plan` finds its database.
enum PlanDb {
    /// Generated and imported into a temporary file.
    Imported,
    /// This file: imported into when it does not exist, else its plans cleared and replayed.
    Kept(PathBuf),
    /// A temporary copy of this never-planned database.
    CopyOf(PathBuf),
}

async fn plan(
    debts: usize,
    seed: u64,
    source: PlanDb,
    at: Option<chrono::DateTime<chrono::Utc>>,
    dry_run: bool,
    batch: usize,
    days: u32,
) -> anyhow::Result<()> {
    use std::sync::Arc;

    let at = match at {
        Some(at) => at,
        None => crate::plan::parse_at(DEFAULT_PLAN_AT)?,
    };
    let dir = TempDir(std::env::temp_dir().join(format!("recaudo-bench-{}", ulid_like())));
    std::fs::create_dir_all(&dir.0)?;
    let db_path = match &source {
        PlanDb::Kept(db) => db.clone(),
        PlanDb::Imported | PlanDb::CopyOf(_) => dir.0.join("plan.db"),
    };
    if let PlanDb::CopyOf(from) = &source {
        copy_synced(from, &db_path)?;
    }
    // Replayed: a kept database's last plans are cleared first.
    let replay = matches!(source, PlanDb::Kept(_)) && db_path.exists();
    let store = Store::open(&format!("sqlite://{}", db_path.display())).await?;
    let mut import_seconds = None;
    let tenant = if replay || matches!(source, PlanDb::CopyOf(_)) {
        let tenant = store
            .list_tenants()
            .await?
            .into_iter()
            .find(|t| t.name == "bench-plan")
            .with_context(|| format!("{} has no tenant `bench-plan`", db_path.display()))?;
        let ts = store.tenant(&tenant);
        match &source {
            PlanDb::CopyOf(from) => {
                if ts.has_plans().await? {
                    anyhow::bail!(
                        "{} has been planned: --from takes a database never planned (made with `bench plan --db FILE --dry-run`); replay a planned one with --db",
                        from.display()
                    );
                }
            }
            _ => ts.reset_plans().await?,
        }
        tenant
    } else {
        let csv_path = dir.0.join("portfolio.csv");
        recaudo_import::synth::write_csv_rows(
            &recaudo_import::synth::GenOptions {
                debtors: debts,
                seed,
                countries: vec![Country::Co],
                today: at.date_naive(),
                sector: Default::default(),
            },
            debts,
            std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&csv_path)?),
        )?;
        let tk = store
            .create_tenant(
                NewTenant::in_country("bench-plan", Country::Co),
                SystemClock.now(),
            )
            .await?;
        let ts = store.tenant(&tk.tenant);
        crate::examples::put_examples(&ts, SystemClock.now()).await?;
        let started = Instant::now();
        let report = recaudo_import::import_with(
            &ts,
            Format::Csv,
            std::fs::File::open(&csv_path)?,
            &ImportOptions {
                source: "bench".into(),
                ..Default::default()
            },
            SystemClock.now(),
            &mut NoSink,
        )
        .await?;
        import_seconds = Some(started.elapsed().as_secs_f64());
        eprintln!("imported: {}", report.summary_json());
        let _ = std::fs::remove_file(&csv_path);
        tk.tenant
    };
    let ts = store.tenant(&tenant);
    let opts = recaudo_engine::PlanRunOptions {
        dry_run,
        batch,
        ..Default::default()
    };
    // Day after day: the first day starts every debt's strategy, later days write only the
    // contacts. The figures of each day go to stderr; the last line holds the last day's.
    let mut days_seconds = vec![];
    let mut last = None;
    for day in 0..days.max(1) {
        let at = at + chrono::Duration::days(i64::from(day));
        reset_peak_rss();
        let started = Instant::now();
        let cpu_before = crate::sys::cpu_seconds();
        let io_before = io_bytes();
        let setup = Arc::new(recaudo_engine::PlanSetup::load(&ts).await?);
        let report = recaudo_engine::plan_tenant(&ts, setup, at, opts, |_| {}).await?;
        let seconds = started.elapsed().as_secs_f64();
        let cpu = crate::sys::cpu_seconds()
            .zip(cpu_before)
            .map(|(a, b)| (a.0 - b.0, a.1 - b.1));
        let io = io_bytes()
            .zip(io_before)
            .map(|((r, w), (r0, w0))| (r.saturating_sub(r0), w.saturating_sub(w0)));
        let peak = peak_rss_mib();
        eprintln!(
            "day {} ({at}): planned {} debts of {} debtors in {seconds:.2} s: {:?}, reasons {:?}, {} contacts written",
            day + 1,
            report.debts,
            report.debtors,
            report.by_decision,
            report.by_reason,
            report.contacts_written
        );
        days_seconds.push(round3(seconds));
        last = Some((at, report, seconds, peak, cpu, io));
    }
    store.close().await;
    let Some((at, report, seconds, peak, cpu, io)) = last else {
        anyhow::bail!("no day planned");
    };
    println!(
        "{}",
        serde_json::json!({
            "bench": "plan",
            "database": "sqlite",
            "at": at.to_rfc3339(),
            // The day in Bogotá, where the bench's debtors live: a Sunday or a holiday writes
            // no contact.
            "local_weekday": at.with_timezone(&chrono_tz::America::Bogota).format("%A").to_string(),
            "day": days_seconds.len(),
            "days_seconds": days_seconds,
            "debts": report.debts,
            "debtors": report.debtors,
            "decisions": report.decisions,
            "seconds": round3(seconds),
            "cpu_seconds": cpu.map(|c| round3(c.0 + c.1)),
            "cpu_system_seconds": cpu.map(|c| round3(c.1)),
            "cores_busy": cpu.map(|c| round3((c.0 + c.1) / seconds)),
            "io_read_mib": io.map(|b| round3(b.0 as f64 / 1048576.0)),
            "io_written_mib": io.map(|b| round3(b.1 as f64 / 1048576.0)),
            "debts_per_s": (report.debts as f64 / seconds).round(),
            "decisions_per_s": (report.decisions as f64 / seconds).round(),
            "contacts_written": report.contacts_written,
            "assignments_written": report.assignments_written,
            "segments_written": report.segments_written,
            "dry_run": dry_run,
            "threads": opts.threads,
            "batch": batch,
            "peak_rss_mib": peak.map(round3),
            "plan_seconds": round3(report.plan_seconds),
            "read_seconds": round3(report.read_seconds),
            "plan_wait_seconds": round3(report.plan_wait_seconds),
            "write_seconds": round3(report.write_seconds),
            "write_wait_seconds": round3(report.write_wait_seconds),
            "write_transactions": report.write_transactions,
            "import_seconds": import_seconds.map(round3),
            // A day replayed on a kept database (`--db`) runs on pages that clearing the last
            // run's plans brought into memory, and reuses its freed pages: it is faster than the
            // first day of a fresh import, which grows the file (docs/benchmarks.md).
            "fresh": !replay,
        })
    );
    Ok(())
}

/// Copies a closed SQLite database (no WAL left beside it) to `to` and syncs the copy to disk,
/// so that the day planned on it does not also pay for writing the copy back.
fn copy_synced(from: &Path, to: &Path) -> anyhow::Result<()> {
    if !from.is_file() {
        anyhow::bail!("--from {}: no such database file", from.display());
    }
    let wal = PathBuf::from(format!("{}-wal", from.display()));
    if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
        anyhow::bail!(
            "--from {}: its WAL ({}) still holds pages; close what has it open first",
            from.display(),
            wal.display()
        );
    }
    std::fs::copy(from, to)
        .and_then(|_| std::fs::File::open(to)?.sync_all())
        .with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
    Ok(())
}

/// Peak resident set size of this process, in MiB (Linux `VmHWM`).
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Bytes this process has read and written through system calls so far (Linux
/// `/proc/self/io`: `rchar`, `wchar`; the page cache included, so SQLite's reads of pages the
/// kernel already holds count too).
fn io_bytes() -> Option<(u64, u64)> {
    let io = std::fs::read_to_string("/proc/self/io").ok()?;
    let field = |name: &str| -> Option<u64> {
        io.lines()
            .find_map(|l| l.strip_prefix(name))?
            .trim()
            .parse()
            .ok()
    };
    Some((field("rchar:")?, field("wchar:")?))
}

/// Resets the peak RSS so the next reading covers only what follows (Linux ≥ 4.0).
pub(crate) fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

pub(crate) struct TempDir(pub(crate) PathBuf);
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn import(rows: usize, seed: u64, batch_size: usize, config: &Config) -> anyhow::Result<()> {
    let dir = TempDir(std::env::temp_dir().join(format!("recaudo-bench-{}", ulid_like())));
    std::fs::create_dir_all(&dir.0)?;
    let csv_path = dir.0.join("portfolio.csv");

    let started = Instant::now();
    let written = recaudo_import::synth::write_csv_rows(
        &recaudo_import::synth::GenOptions {
            debtors: rows,
            seed,
            countries: vec![],
            today: SystemClock.now().date_naive(),
            sector: Default::default(),
        },
        rows,
        std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&csv_path)?),
    )?;
    let gen_seconds = started.elapsed().as_secs_f64();
    let file_mib = std::fs::metadata(&csv_path)?.len() as f64 / (1024.0 * 1024.0);
    eprintln!(
        "generated {} rows ({file_mib:.0} MiB) in {gen_seconds:.2} s",
        written.rows
    );

    let kind = DatabaseKind::of_url(config.database_url.expose())?;
    let (url, pg_cleanup) = match kind {
        DatabaseKind::Sqlite => (
            format!("sqlite://{}", dir.0.join("bench.db").display()),
            None,
        ),
        DatabaseKind::Postgres => {
            let (url, name) = fresh_pg_database(config.database_url.expose()).await?;
            (url, Some(name))
        }
    };
    let store = Store::open(&url).await?;
    let tk = store
        .create_tenant(
            NewTenant::in_country("bench", Country::Br),
            SystemClock.now(),
        )
        .await?;
    let ts = store.tenant(&tk.tenant);
    let file = std::fs::File::open(&csv_path)?;
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
    .await?;
    let seconds = started.elapsed().as_secs_f64();
    let peak = peak_rss_mib();
    store.close().await;
    if let Some(name) = pg_cleanup {
        drop_pg_database(config.database_url.expose(), &name).await;
    }
    eprintln!("imported: {}", report.summary_json());

    let sqlite3_seconds = sqlite3_import_seconds(&csv_path, &dir.0.join("plain.db"));
    let ratio = sqlite3_seconds.map(|s| seconds / s);
    let floor = match kind {
        DatabaseKind::Sqlite => {
            copy_floor_seconds(
                &dir.0.join("bench.db"),
                &dir.0.join("floor.db"),
                rows,
                batch_size,
            )
            .await?
        }
        DatabaseKind::Postgres => None,
    };
    if let Some(floor) = &floor {
        eprintln!(
            "floor: SQLite copies the {} rows the import wrote in {:.2} s",
            floor.rows, floor.seconds
        );
    }
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
            "db_rows_written": floor.as_ref().map(|f| f.rows),
            "sqlite_floor_seconds": floor.as_ref().map(|f| round3(f.seconds)),
            "ratio_vs_floor": floor.as_ref().map(|f| round3(seconds / f.seconds)),
        })
    );
    Ok(())
}

pub(crate) fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

pub(crate) fn ulid_like() -> String {
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

/// What SQLite alone needs to write an import's rows.
struct Floor {
    rows: u64,
    seconds: f64,
}

/// The time SQLite itself takes to write what the import wrote, no more: the rows of every
/// portfolio table of `source` are copied with `INSERT … SELECT` into a fresh database with the
/// same schema, pragmas and batch commits as the import (one transaction per `batch_size` import
/// rows' worth of each table), by `sqlite3`, with nothing to parse, validate or plan. Foreign-key
/// checks are off since the slices of each table are cut by rowid (contact points, which have
/// none, by their debtors' slice), not by parent (they cost nothing measurable). `None` when sqlite3 is not installed.
async fn copy_floor_seconds(
    source: &Path,
    target: &Path,
    import_rows: usize,
    batch_size: usize,
) -> anyhow::Result<Option<Floor>> {
    // The same schema as the import's database.
    Store::open(&format!("sqlite://{}", target.display()))
        .await?
        .close()
        .await;
    const TABLES: [&str; 4] = ["debtors", "contact_points", "debts", "events"];
    let mut counts = vec![];
    for table in TABLES {
        let Some(count) = sqlite3_number(source, &format!("SELECT count(*) FROM {table}")) else {
            return Ok(None);
        };
        counts.push(count);
    }
    let debtors = counts[0];
    let batches = import_rows.div_ceil(batch_size.max(1)).max(1) as u64;
    let mut script = String::from(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536; \
         PRAGMA temp_store=memory; PRAGMA foreign_keys=OFF;\n",
    );
    script.push_str(&format!("ATTACH '{}' AS src;\n", source.display()));
    script.push_str("INSERT INTO tenants SELECT * FROM src.tenants;\n");
    for batch in 0..batches {
        script.push_str("BEGIN;\n");
        for (table, count) in TABLES.iter().zip(&counts) {
            let slice = if *table == "contact_points" {
                // Keyed by debtor (no rowid): the points of this slice's debtors, whose ids
                // grow with their rowids within one import.
                let (lo, hi) = (debtors * batch / batches, debtors * (batch + 1) / batches);
                format!(
                    "debtor_id > coalesce((SELECT id FROM src.debtors WHERE rowid = {lo}), '') \
                     AND debtor_id <= (SELECT id FROM src.debtors WHERE rowid = {hi})"
                )
            } else {
                let (lo, hi) = (count * batch / batches, count * (batch + 1) / batches);
                format!("rowid > {lo} AND rowid <= {hi}")
            };
            script.push_str(&format!(
                "INSERT INTO {table} SELECT * FROM src.{table} WHERE {slice};\n"
            ));
        }
        script.push_str("COMMIT;\n");
    }
    let script_path = target.with_extension("sql");
    std::fs::write(&script_path, script)?;
    let started = Instant::now();
    let status = std::process::Command::new("sqlite3")
        .arg("-bail")
        .arg(target)
        .arg(format!(".read '{}'", script_path.display()))
        .stdout(std::process::Stdio::null())
        .status();
    let seconds = started.elapsed().as_secs_f64();
    if !status.is_ok_and(|s| s.success()) {
        anyhow::bail!("the floor copy into {} failed", target.display());
    }
    // Every row arrived (rowids of the import's tables have no gaps: nothing is deleted, so
    // a table's count is its last rowid).
    let rows: u64 = counts.iter().sum();
    let copied = TABLES
        .iter()
        .map(|t| sqlite3_number(target, &format!("SELECT count(*) FROM {t}")).unwrap_or(0))
        .sum::<u64>();
    if copied != rows {
        anyhow::bail!("the floor copy wrote {copied} rows of {rows}");
    }
    Ok(Some(Floor { rows, seconds }))
}

/// The single number `query` returns, run by `sqlite3` on `db`.
fn sqlite3_number(db: &Path, query: &str) -> Option<u64> {
    let out = std::process::Command::new("sqlite3")
        .arg(db)
        .arg(query)
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

async fn fresh_pg_database(base: &str) -> anyhow::Result<(String, String)> {
    let name = format!("recaudo_bench_{}", std::process::id());
    let admin = Store::connect(base).await?;
    admin
        .execute_admin(&format!("DROP DATABASE IF EXISTS {name}"))
        .await?;
    admin
        .execute_admin(&format!("CREATE DATABASE {name}"))
        .await?;
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
