//! `recaudo strategy …`: collection strategies (format and management: docs/strategies.md).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use recaudo_domain::strategy::{StrategyError, TemplateCatalogue, parse_strategy};
use recaudo_domain::{Clock, SystemClock};
use recaudo_store::{StoreError, StoredStrategy, TenantStore};

use crate::config::Config;
use crate::find_tenant;

#[derive(Subcommand, Debug)]
pub enum StrategyCommand {
    /// Check a strategy file. Prints `ok: ID vVERSION, N steps` and exits 0, or prints one line per
    /// error, `FILE:LINE:COL: path: message`, on standard error and exits 1 (2: the file cannot be read).
    /// Needs no configuration or database.
    Validate {
        /// The strategy, a YAML file.
        file: PathBuf,
    },
    /// Store a strategy file as a version of its strategy (its `version`, 1 when absent). Prints
    /// `created: ID vVERSION`, or `unchanged: ID vVERSION` when this very file is stored already;
    /// errors are printed like `validate`'s. Another file under a stored version is refused: raise
    /// `version`.
    Put {
        /// The strategy, a YAML file.
        file: PathBuf,
        /// Tenant id (`ten_…`) or exact name; may be left out when there is one tenant.
        #[arg(long)]
        tenant: Option<String>,
    },
    /// List the latest version of each strategy, highest priority first, as JSON lines
    /// (`strategy_id`, `version`, `name`, `priority`, `created_at`, `retired_at`).
    List {
        /// Tenant id (`ten_…`) or exact name; may be left out when there is one tenant.
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Retire a strategy (every version): it is no longer chosen for new debts; debts on it keep
    /// it. Prints the latest version as a JSON line.
    Retire {
        /// The strategy's id.
        id: String,
        /// Tenant id (`ten_…`) or exact name; may be left out when there is one tenant.
        #[arg(long)]
        tenant: Option<String>,
    },
}

/// Runs a `strategy` command that works on the database (`validate` is run by [`validate`]
/// before any configuration is read).
pub async fn run(command: StrategyCommand, config: &Config) -> anyhow::Result<()> {
    match command {
        StrategyCommand::Validate { file } => match validate(&file) {
            code if code == ExitCode::SUCCESS => Ok(()),
            _ => Err(anyhow::anyhow!("the strategy file is not valid")),
        },
        StrategyCommand::Put { file, tenant } => {
            let source = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let ts = tenant_store(config, tenant.as_deref()).await?;
            match ts.put_strategy(&source, SystemClock.now()).await {
                Ok(put) => {
                    let stored = &put.strategy;
                    let what = if put.created { "created" } else { "unchanged" };
                    println!("{what}: {} v{}", stored.strategy_id, stored.version);
                    Ok(())
                }
                Err(StoreError::InvalidStrategy(errors)) => {
                    print_errors(&file, &errors);
                    Err(anyhow::anyhow!(
                        "the strategy file is not valid: nothing was stored"
                    ))
                }
                Err(error) => Err(error.into()),
            }
        }
        StrategyCommand::List { tenant } => {
            let ts = tenant_store(config, tenant.as_deref()).await?;
            for stored in ts.list_strategies().await? {
                println!("{}", summary(&stored));
            }
            Ok(())
        }
        StrategyCommand::Retire { id, tenant } => {
            let ts = tenant_store(config, tenant.as_deref()).await?;
            let stored = ts.retire_strategy(&id, SystemClock.now()).await?;
            println!("{}", summary(&stored));
            Ok(())
        }
    }
}

/// A stored strategy without its source, as one JSON line.
fn summary(stored: &StoredStrategy) -> serde_json::Value {
    serde_json::json!({
        "strategy_id": stored.strategy_id, "version": stored.version, "name": stored.name,
        "priority": stored.priority, "created_at": stored.created_at, "retired_at": stored.retired_at,
    })
}

/// The store of the tenant named, or of the only tenant when none is named.
pub(crate) async fn tenant_store(
    config: &Config,
    tenant: Option<&str>,
) -> anyhow::Result<TenantStore> {
    let store = crate::open_store(config).await?;
    let tenant = match tenant {
        Some(name) => find_tenant(&store, name).await?,
        None => {
            let mut all = store.list_tenants().await?;
            match all.len() {
                1 => all.remove(0),
                0 => anyhow::bail!("there is no tenant yet (see `recaudo tenant create`)"),
                count => {
                    anyhow::bail!(
                        "there are {count} tenants: say which with --tenant (see `recaudo tenant list`)"
                    );
                }
            }
        }
    };
    Ok(store.tenant(&tenant))
}

/// `FILE:LINE:COL: path: message`, one line per error, on standard error.
pub(crate) fn print_errors(file: &Path, errors: &[StrategyError]) {
    let mut out = String::new();
    for error in errors {
        out.push_str(&format!("{}:{error}\n", file.display()));
    }
    eprint!("{out}");
}

/// `recaudo strategy validate FILE`: needs no configuration, database or runtime.
pub fn validate(file: &Path) -> ExitCode {
    let source = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("error: cannot read {}: {error}", file.display());
            return ExitCode::from(2);
        }
    };
    // Templates are not managed yet: the built-in names are the known ones.
    match parse_strategy(&source, TemplateCatalogue::builtin()) {
        Ok(compiled) => {
            let strategy = &compiled.strategy;
            let steps = strategy.steps.len();
            println!(
                "ok: {} v{}, {steps} {}",
                strategy.id,
                strategy.version,
                if steps == 1 { "step" } else { "steps" }
            );
            ExitCode::SUCCESS
        }
        Err(errors) => {
            print_errors(file, &errors);
            ExitCode::FAILURE
        }
    }
}
