//! `recaudo secrets new-key`, `recaudo provider add|list|remove` and `recaudo task list`:
//! provider accounts sealed under `[secrets] key` (docs/providers.md, "Provider accounts") and
//! the agent tasks of strategies' `task:` steps.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;
use recaudo_channels::seal::SealingKey;
use recaudo_domain::tasks::TaskState;
use recaudo_domain::{Clock, SystemClock};
use recaudo_store::TaskFilter;
use recaudo_web::Problem;
use recaudo_web::api::provider_accounts::{check_and_seal, view};

use crate::config::Config;
use crate::strategy::tenant_store;

#[derive(Subcommand, Debug)]
pub enum SecretsCommand {
    /// Print a fresh key for `[secrets] key` (64 hex digits), which seals provider accounts'
    /// credentials at rest.
    NewKey,
}

#[derive(Subcommand, Debug)]
pub enum ProviderCommand {
    /// Save a provider account from a JSON or TOML file (by its extension): checked, its
    /// configuration sealed with `[secrets] key`, stored under its name (replacing the account
    /// of that name). Prints the account as JSON, credentials masked.
    Add {
        /// Tenant id (`ten_…`) or exact name; may be left out when there is one tenant.
        #[arg(long)]
        tenant: Option<String>,
        /// The account: `name`, `channels`, … and `config` with the provider's `kind` and fields.
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
    },
    /// List the tenant's provider accounts as JSON lines, credentials masked.
    List {
        /// Tenant id (`ten_…`) or exact name; may be left out when there is one tenant.
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Delete a provider account.
    Remove {
        /// Tenant id (`ten_…`) or exact name; may be left out when there is one tenant.
        #[arg(long)]
        tenant: Option<String>,
        /// The account's name.
        name: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum TaskCommand {
    /// List the tenant's agent tasks as JSON lines, oldest first.
    List {
        /// Tenant id (`ten_…`) or exact name; may be left out when there is one tenant.
        #[arg(long)]
        tenant: Option<String>,
        /// Only tasks in this state: open, claimed or resolved.
        #[arg(long)]
        state: Option<TaskState>,
        /// Only tasks of this queue.
        #[arg(long)]
        queue: Option<String>,
        /// At most this many (1 to 1000).
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
}

pub fn secrets(command: SecretsCommand) -> anyhow::Result<()> {
    match command {
        SecretsCommand::NewKey => {
            println!("{}", SealingKey::generate_hex().expose_secret());
            Ok(())
        }
    }
}

/// A provider account file as JSON: `.toml` files are read as TOML, anything else as JSON.
pub(crate) fn read_account(file: &Path) -> anyhow::Result<serde_json::Value> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let is_toml = file
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("toml"));
    if is_toml {
        let value: toml::Value = toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{}: not valid TOML: {e}", file.display()))?;
        Ok(serde_json::to_value(value)?)
    } else {
        serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{}: not valid JSON: {e}", file.display()))
    }
}

/// A refusal of the account, as a line naming the file and the field.
pub(crate) fn refused(file: &Path, problem: &Problem) -> anyhow::Error {
    let detail = problem.detail.as_deref().unwrap_or(&problem.title);
    match &problem.field {
        Some(field) if !detail.starts_with(field.as_str()) => {
            anyhow::anyhow!("{}: {field}: {detail}", file.display())
        }
        _ => anyhow::anyhow!("{}: {detail}", file.display()),
    }
}

pub async fn provider(command: ProviderCommand, config: &Config) -> anyhow::Result<()> {
    let key = config.secrets.sealing_key()?;
    match command {
        ProviderCommand::Add { tenant, file } => {
            let document = read_account(&file)?;
            let Some(key) = key else {
                // Still checked, so the file's faults are known either way.
                recaudo_web::api::provider_accounts::check(&document)
                    .map_err(|p| refused(&file, &p))?;
                anyhow::bail!(
                    "no key to encrypt provider credentials: set `[secrets] key` in recaudo.toml \
                     (or RECAUDO_SECRETS__KEY); `recaudo secrets new-key` makes one"
                );
            };
            let (account, sealed) =
                check_and_seal(&document, &key).map_err(|p| refused(&file, &p))?;
            let ts = tenant_store(config, tenant.as_deref()).await?;
            let settings = serde_json::to_value(&account.settings)?;
            let (stored, created) = ts
                .put_provider_account(
                    &account.name,
                    account.config.kind().as_str(),
                    settings,
                    sealed,
                    SystemClock.now(),
                )
                .await?;
            let what = if created { "created" } else { "replaced" };
            eprintln!("{what}: provider account {}", stored.name);
            println!("{}", serde_json::to_string(&view(stored, Some(&key)))?);
            Ok(())
        }
        ProviderCommand::List { tenant } => {
            let ts = tenant_store(config, tenant.as_deref()).await?;
            for stored in ts.list_provider_accounts().await? {
                println!("{}", serde_json::to_string(&view(stored, key.as_deref()))?);
            }
            Ok(())
        }
        ProviderCommand::Remove { tenant, name } => {
            let ts = tenant_store(config, tenant.as_deref()).await?;
            ts.delete_provider_account(&name).await?;
            println!("removed: provider account {name}");
            Ok(())
        }
    }
}

pub async fn task(command: TaskCommand, config: &Config) -> anyhow::Result<()> {
    match command {
        TaskCommand::List {
            tenant,
            state,
            queue,
            limit,
        } => {
            if !(1..=1000).contains(&limit) {
                anyhow::bail!("--limit must be 1 to 1000");
            }
            let ts = tenant_store(config, tenant.as_deref()).await?;
            let filter = TaskFilter {
                state,
                queue,
                limit,
                debtor: None,
            };
            for task in ts.list_tasks(&filter).await? {
                println!("{}", serde_json::to_string(&task)?);
            }
            Ok(())
        }
    }
}
