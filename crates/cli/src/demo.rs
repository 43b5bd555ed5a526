//! `recaudo gen` (a synthetic portfolio file) and `recaudo demo` (a fresh demo database with two
//! tenants, served).

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::Context;
use chrono::NaiveDate;
use clap::Args;
use recaudo_domain::{Clock, Country, SystemClock};
use recaudo_import::Format;
use recaudo_import::synth::{GenOptions, write_csv, write_jsonl};
use recaudo_store::{NewTenant, Store};

use crate::config::{Config, DatabaseUrl};
use crate::import::{ImportArgs, import_file};

#[derive(Args, Debug)]
pub struct GenArgs {
    /// Number of debtors (each has one to three debts, one row per debt).
    #[arg(long, default_value_t = 1000)]
    pub debtors: usize,
    /// Same seed (and --today), same file.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Output file (`-` for standard output).
    #[arg(long, default_value = "-")]
    pub out: PathBuf,
    /// Only these countries, e.g. `CO,BR` (default: BR, MX, CO, CL, PE, ES, US).
    #[arg(long, value_delimiter = ',')]
    pub country: Vec<Country>,
    /// csv or jsonl (default: from --out's extension, else csv).
    #[arg(long)]
    pub format: Option<Format>,
    /// The day due dates are spread around (default: today, UTC).
    #[arg(long)]
    pub today: Option<NaiveDate>,
}

pub fn generate(args: GenArgs) -> anyhow::Result<()> {
    let opts = GenOptions {
        debtors: args.debtors,
        seed: args.seed,
        countries: args.country.clone(),
        today: args.today.unwrap_or_else(|| SystemClock.now().date_naive()),
    };
    let format = args
        .format
        .or_else(|| Format::from_path(&args.out))
        .unwrap_or(Format::Csv);
    if args.out.as_os_str() == "-" {
        write_to(&opts, format, BufWriter::new(std::io::stdout().lock()))?;
    } else {
        let file = std::fs::File::create(&args.out)
            .with_context(|| format!("cannot create {}", args.out.display()))?;
        let stats = write_to(&opts, format, BufWriter::with_capacity(1 << 20, file))?;
        eprintln!(
            "{}",
            serde_json::json!({"out": args.out, "debtors": stats.debtors, "rows": stats.rows})
        );
    }
    Ok(())
}

fn write_to<W: Write>(
    opts: &GenOptions,
    format: Format,
    out: W,
) -> anyhow::Result<recaudo_import::synth::GenStats> {
    match format {
        Format::Csv => write_csv(opts, out),
        Format::Jsonl => write_jsonl(opts, out),
    }
    .context("writing the file")
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Address to serve on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// The demo database file (deleted and made anew).
    #[arg(long, default_value = "recaudo-demo.db")]
    pub database: PathBuf,
    /// Debtors generated per tenant.
    #[arg(long, default_value_t = 5000)]
    pub debtors: usize,
    /// Build the demo database, print what serving would, and exit.
    #[arg(long)]
    pub no_serve: bool,
}

struct DemoTenant {
    name: &'static str,
    country: Country,
    seed: u64,
}

const DEMO_TENANTS: [DemoTenant; 2] = [
    DemoTenant {
        name: "Energia Paulista (demo utility)",
        country: Country::Br,
        seed: 7,
    },
    DemoTenant {
        name: "Crédito Andino (demo lender)",
        country: Country::Co,
        seed: 11,
    },
];

pub async fn run(args: DemoArgs, config: &Config) -> anyhow::Result<()> {
    crate::serve::init_tracing(&crate::config::LogConfig {
        level: "warn".into(),
        format: "text".into(),
    });
    for suffix in ["", "-wal", "-shm"] {
        let mut path = args.database.clone().into_os_string();
        path.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(path));
    }
    let url = format!("sqlite://{}", args.database.display());
    let store = Store::open(&url).await?;
    let now = SystemClock.now();
    let workdir = std::env::temp_dir().join(format!("recaudo-demo-{}", std::process::id()));
    std::fs::create_dir_all(&workdir)?;
    let mut keys = vec![];
    for tenant in &DEMO_TENANTS {
        let tk = store
            .create_tenant(NewTenant::in_country(tenant.name, tenant.country), now)
            .await?;
        let file = workdir.join(format!("{}.csv", tenant.country.code().to_lowercase()));
        let out = std::fs::File::create(&file)?;
        write_to(
            &GenOptions {
                debtors: args.debtors,
                seed: tenant.seed,
                countries: vec![tenant.country],
                today: now.date_naive(),
            },
            Format::Csv,
            BufWriter::with_capacity(1 << 20, out),
        )?;
        let report = import_file(
            &store.tenant(&tk.tenant),
            &ImportArgs {
                file: file.clone(),
                tenant: tk.tenant.id.to_string(),
                format: Some(Format::Csv),
                errors: None,
                batch_size: 2000,
                show: 0,
            },
            false,
        )
        .await?;
        eprintln!("{}: {}", tenant.name, report.summary_json());
        // The example strategies, and today's plan written to the outbox.
        let ts = store.tenant(&tk.tenant);
        crate::examples::put_examples(&ts, now).await?;
        let setup = std::sync::Arc::new(recaudo_engine::PlanSetup::load(&ts).await?);
        let plan = recaudo_engine::plan_tenant(
            &ts,
            setup,
            now,
            recaudo_engine::PlanRunOptions::default(),
            |_| {},
        )
        .await?;
        eprintln!(
            "{}: planned {} debts: {:?}, {} contacts in the outbox",
            tenant.name, plan.debts, plan.by_decision, plan.contacts_written
        );
        keys.push((tk.tenant, tk.api_key));
    }
    let _ = std::fs::remove_dir_all(&workdir);

    let banner = move |local: std::net::SocketAddr| {
        let base = format!("http://{local}");
        println!();
        println!("recaudo demo is running on {base}");
        println!("  home          {base}/");
        println!("  API docs      {base}/api/docs");
        println!("  OpenAPI       {base}/api/v1/openapi.json");
        println!("  health        {base}/healthz");
        println!("  metrics       {base}/metrics");
        println!(
            "  strategies    {base}/api/v1/strategies (schema: {base}/api/v1/schemas/strategy.json)"
        );
        // The demo shows its keys on purpose: they are how the reader tries the API.
        for (tenant, key) in &keys {
            println!();
            println!(
                "  tenant  {} ({}, {})",
                tenant.name, tenant.country, tenant.currency
            );
            println!("  api key {}", key.expose_secret());
        }
        if let Some((_, key)) = keys.first() {
            println!();
            println!("Try:");
            println!(
                "  curl -s -H 'Authorization: Bearer {}' '{base}/api/v1/debtors?limit=3'",
                key.expose_secret()
            );
        }
        println!();
        println!("Press Ctrl-C to stop.");
    };
    if args.no_serve {
        let addr: std::net::SocketAddr = args
            .addr
            .parse()
            .with_context(|| format!("--addr {}", args.addr))?;
        banner(addr);
        return Ok(());
    }
    let mut cfg = config.clone();
    cfg.database_url = DatabaseUrl::from(url);
    crate::serve::serve(store, &cfg, &args.addr, Some(Box::new(banner))).await
}
