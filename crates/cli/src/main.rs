//! `recaudo`: the command line and the server.

#![deny(unsafe_code)]

mod admin;
mod bench;
mod bench_dispatch;
mod bench_kpis;
mod calendar;
mod classify;
mod config;
mod demo;
mod examples;
mod import;
mod inbound;
mod intents;
mod kpis;
mod payments;
mod pix;
mod plan;
mod providers;
mod rules;
mod serve;
mod strategy;
#[allow(unsafe_code)]
mod sys;
mod templates;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use recaudo_domain::calendar::Jurisdiction;
use recaudo_domain::portfolio::Language;
use recaudo_domain::{Clock, Country, Currency, SystemClock};
use recaudo_store::{NewTenant, Store};

use crate::config::{Config, DatabaseUrl};

#[derive(Parser, Debug)]
#[command(
    name = "recaudo",
    version,
    about = "Omnichannel debt collection: plan, contact, listen, collect."
)]
struct Cli {
    /// Configuration file (default: ./recaudo.toml when present).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Database: sqlite://FILE or postgres://… (default sqlite://recaudo.db).
    #[arg(
        long,
        global = true,
        env = "RECAUDO_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    database_url: Option<DatabaseUrl>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the REST API, the operators' dashboard on `/app`, the debtor portal, the planner
    /// and the dispatcher.
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long)]
        addr: Option<String>,
    },
    /// Apply the database migrations and exit.
    Migrate,
    /// Manage tenants.
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// A tenant's debtors: erase one's personal data.
    Debtor {
        #[command(subcommand)]
        command: admin::DebtorCommand,
    },
    /// A tenant's API keys: list them, revoke one (`recaudo tenant key` makes one).
    Key {
        #[command(subcommand)]
        command: admin::KeyCommand,
    },
    /// A tenant's operators of the dashboard (admin, agent, viewer): create, list, disable.
    User {
        #[command(subcommand)]
        command: admin::UserCommand,
    },
    /// Write a synthetic, realistic portfolio as an import file.
    Gen(demo::GenArgs),
    /// Import a CSV or JSONL file of debts (format: docs/import.md).
    Import(import::ImportCommand),
    /// Create a demo database with two tenants and serve it on http://127.0.0.1:8080.
    Demo(demo::DemoArgs),
    /// Measure end-to-end figures; the last line of output is a JSON object.
    Bench {
        #[command(subcommand)]
        command: bench::BenchCommand,
    },
    /// A tenant's collection KPIs over a period, as `GET /api/v1/kpis` gives them
    /// (docs/kpis.md); --json prints the same JSON document.
    Kpis(kpis::KpisArgs),
    /// Decide today's contacts for every open debt: send (when), defer (until, why) or deny
    /// (why); writes the outbox unless --dry-run (docs/planner.md).
    Plan(plan::PlanArgs),
    /// Take one debtor's message as a provider's webhook would (matched, stored, read, acted
    /// on) and print what was understood and done as one JSON line.
    Inbound(inbound::InboundArgs),
    /// Classify debtors' replies read from stdin, one per line (plain text or {"text": …}):
    /// one JSON line each with the intent, the promised date and the language (docs/intents.md).
    Classify(classify::ClassifyArgs),
    /// The reply classifier's model: train it from the shipped corpus, measure it.
    Intents {
        #[command(subcommand)]
        command: intents::IntentsCommand,
    },
    /// Public-holiday calendars per country or region.
    Calendar {
        #[command(subcommand)]
        command: calendar::CalendarCommand,
    },
    /// Collection strategies: check a file, store a version, list, retire (docs/strategies.md).
    Strategy {
        #[command(subcommand)]
        command: strategy::StrategyCommand,
    },
    /// The tenant's own contact rules: windows per channel, caps, days without contact, promise
    /// grace days, segments; never looser than the jurisdiction's law (docs/policy.md).
    Rules {
        #[command(subcommand)]
        command: rules::RulesCommand,
    },
    /// Keys of the installation: `new-key` prints a fresh `[secrets] key`.
    Secrets {
        #[command(subcommand)]
        command: providers::SecretsCommand,
    },
    /// A tenant's provider accounts (SMTP, Twilio, WhatsApp Cloud, …): add from a file (its
    /// credentials sealed with `[secrets] key`), list (masked), remove (docs/providers.md).
    Provider {
        #[command(subcommand)]
        command: providers::ProviderCommand,
    },
    /// A tenant's message templates: list, set (checked, refusals at FILE:LINE:COLUMN), reset
    /// to the default, preview what would go out.
    Template {
        #[command(subcommand)]
        command: templates::TemplateCommand,
    },
    /// A tenant's agent tasks, from strategies' `task:` steps.
    Task {
        #[command(subcommand)]
        command: providers::TaskCommand,
    },
    /// Letters written by the letter provider: a day's batch PDF and CSV manifest for a print
    /// house.
    Letters {
        #[command(subcommand)]
        command: LettersCommand,
    },
    /// Print a PIX BR Code ("copia e cola") for one payment; --png also writes its QR image.
    Pix(pix::PixArgs),
    /// A tenant's payment accounts (PIX, Stripe, Mercado Pago): list, put from a file (its
    /// credentials sealed with `[secrets] key`), delete; and reconciliation files
    /// (docs/payments.md).
    Payments {
        #[command(subcommand)]
        command: payments::PaymentsCommand,
    },
}

#[derive(Subcommand, Debug)]
enum LettersCommand {
    /// Write `batch.pdf` (every letter of the day, in the order they were sent) and
    /// `manifest.csv` into the day's folder, and print their paths.
    Batch {
        /// The day (YYYY-MM-DD) whose letters to gather.
        #[arg(long)]
        date: chrono::NaiveDate,
        /// The letters folder (default: `[dispatch] letters_dir`).
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
enum TenantCommand {
    /// Create a tenant and print its id and first API key as JSON.
    Create {
        #[arg(long)]
        name: String,
        /// ISO 3166 country: BR, MX, CO, CL, PE, AR, ES, US. Sets the defaults below.
        #[arg(long)]
        country: Country,
        /// IANA time zone for debtors without one (default: the country's).
        #[arg(long)]
        timezone: Option<String>,
        #[arg(long)]
        currency: Option<Currency>,
        #[arg(long)]
        language: Option<Language>,
        /// Contact law and holidays: the country's (default) or a state's, e.g. BR-SP, BR-RJ.
        #[arg(long, value_name = "CODE")]
        jurisdiction: Option<Jurisdiction>,
    },
    /// List tenants as JSON lines.
    List,
    /// Print a new API key for a tenant.
    Key {
        #[arg(long)]
        tenant: String,
    },
}

/// mimalloc rather than glibc's allocator: the planner reads a batch on one thread, plans it on
/// others and drops it on yet another, and glibc's per-arena locks on those cross-thread frees
/// were a tenth of a planning run (futex waits in `perf`; docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    sys::tune_allocator();
    let cli = Cli::parse();
    // Strategy files are checked, and replies classified, without configuration, database or
    // runtime.
    let command = match cli.command {
        Command::Strategy {
            command: strategy::StrategyCommand::Validate { file },
        } => return strategy::validate(&file),
        Command::Classify(args) => return classify::run(&args, SystemClock.now()),
        Command::Intents { command } => return intents::run(command),
        Command::Secrets { command } => {
            return match providers::secrets(command) {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("error: {error:#}");
                    ExitCode::FAILURE
                }
            };
        }
        command => command,
    };
    let mut config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("error: {error:#}");
            return ExitCode::from(2);
        }
    };
    // The demo makes its own database: it takes an explicit URL as its file, or refuses it.
    let demo_url = cli.database_url.clone();
    if let Some(url) = &cli.database_url {
        config.database_url = url.clone();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(command, config, demo_url)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // The whole chain: what was being done, then why it failed.
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(
    command: Command,
    config: Config,
    demo_url: Option<DatabaseUrl>,
) -> anyhow::Result<()> {
    let clock = SystemClock;
    match command {
        Command::Serve { addr } => {
            serve::init_tracing(&config.log);
            let store = open_store(&config).await?;
            let addr = addr.unwrap_or_else(|| config.server.addr.clone());
            serve::serve(store, &config, &addr, Arc::new(clock), None).await
        }
        Command::Migrate => {
            let store = open_store(&config).await?;
            println!(
                "{}",
                serde_json::json!({"migrated": true, "database": format!("{:?}", store.kind()).to_lowercase()})
            );
            Ok(())
        }
        Command::Tenant { command } => {
            let store = open_store(&config).await?;
            match command {
                TenantCommand::Create {
                    name,
                    country,
                    timezone,
                    currency,
                    language,
                    jurisdiction,
                } => {
                    let tk = store
                        .create_tenant(
                            NewTenant {
                                name,
                                country,
                                timezone,
                                currency,
                                language,
                                jurisdiction,
                            },
                            clock.now(),
                        )
                        .await?;
                    println!(
                        "{}",
                        serde_json::json!({"tenant_id": tk.tenant.id, "api_key": tk.api_key.expose_secret()})
                    );
                }
                TenantCommand::List => {
                    for tenant in store.list_tenants().await? {
                        println!("{}", serde_json::to_string(&tenant)?);
                    }
                }
                TenantCommand::Key { tenant } => {
                    let tenant = find_tenant(&store, &tenant).await?;
                    let key = store.create_api_key(tenant.id, clock.now()).await?;
                    println!(
                        "{}",
                        serde_json::json!({"tenant_id": tenant.id, "api_key": key.expose_secret()})
                    );
                }
            }
            Ok(())
        }
        Command::Debtor { command } => {
            let store = open_store(&config).await?;
            admin::debtor(command, &store, clock.now()).await
        }
        Command::Key { command } => {
            let store = open_store(&config).await?;
            admin::key(command, &store, clock.now()).await
        }
        Command::User { command } => {
            let store = open_store(&config).await?;
            admin::user(command, &store, clock.now()).await
        }
        Command::Gen(args) => demo::generate(args),
        Command::Import(command) => import::run(command, &config).await,
        Command::Demo(args) => demo::run(args, &config, demo_url).await,
        Command::Bench { command } => bench::run(command, &config).await,
        Command::Kpis(args) => kpis::run(args, &config, clock.now()).await,
        Command::Plan(args) => {
            let store = open_store(&config).await?;
            plan::run(args, &store, clock.now()).await
        }
        Command::Calendar { command } => calendar::run(command, &clock),
        Command::Pix(args) => pix::run(args),
        Command::Payments { command } => payments::run(command, &config, clock.now()).await,
        Command::Strategy { command } => strategy::run(command, &config).await,
        Command::Rules { command } => rules::run(command, &config).await,
        Command::Secrets { command } => providers::secrets(command),
        Command::Provider { command } => providers::provider(command, &config).await,
        Command::Task { command } => providers::task(command, &config).await,
        Command::Inbound(args) => inbound::run(args, &config, clock.now()).await,
        Command::Letters {
            command: LettersCommand::Batch { date, dir },
        } => {
            let dir = dir.unwrap_or_else(|| config.dispatch.letters_dir.clone());
            let (pdf, manifest) = recaudo_channels::providers::letter::daily_batch(&dir, date)
                .with_context(|| format!("no letters of {date} under {}", dir.display()))?;
            println!("{}", pdf.display());
            println!("{}", manifest.display());
            Ok(())
        }
        Command::Template { command } => templates::run(command, &config).await,
        // `main` answers these before reading any configuration; the same here.
        Command::Classify(args) => match classify::run(&args, clock.now()) {
            code if code == ExitCode::SUCCESS => Ok(()),
            _ => Err(anyhow::anyhow!("classifying failed")),
        },
        Command::Intents { command } => match intents::run(command) {
            code if code == ExitCode::SUCCESS => Ok(()),
            _ => Err(anyhow::anyhow!("the intents command failed")),
        },
    }
}

/// The configured database, migrated.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    Store::open(config.database_url.expose())
        .await
        .with_context(|| format!("opening {}", config.database_url.redacted()))
}

/// A tenant by id (`ten_…`) or by exact name.
pub async fn find_tenant(
    store: &Store,
    key: &str,
) -> anyhow::Result<recaudo_domain::portfolio::Tenant> {
    if let Ok(id) = key.parse() {
        return Ok(store.get_tenant(id).await?);
    }
    let matches: Vec<_> = store
        .list_tenants()
        .await?
        .into_iter()
        .filter(|t| t.name == key)
        .collect();
    match matches.len() {
        1 => Ok(matches.into_iter().next().expect("one element")),
        0 => Err(anyhow::anyhow!(
            "no tenant with id or name `{key}` (see `recaudo tenant list`)"
        )),
        n => Err(anyhow::anyhow!(
            "{n} tenants are named `{key}`: use the tenant id"
        )),
    }
}
