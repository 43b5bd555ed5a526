//! `recaudo payments accounts list|put|delete` and `recaudo payments reconcile`: a tenant's
//! payment accounts (PIX, Stripe, Mercado Pago, sandbox) sealed under `[secrets] key`, and
//! reconciliation files applied as `POST /api/v1/payments/reconciliation` applies them
//! (docs/payments.md, docs/api.md).

use std::path::PathBuf;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::Subcommand;
use recaudo_store::AccountTable;
use recaudo_web::api::payment_accounts::{check, check_and_seal, reconcile_bytes, view};

use crate::config::Config;
use crate::providers::{read_account, refused};
use crate::strategy::tenant_store;

#[derive(Subcommand, Debug)]
pub enum PaymentsCommand {
    /// The tenant's payment accounts: list, put (from a file), delete.
    Accounts {
        #[command(subcommand)]
        command: AccountsCommand,
    },
    /// Apply a reconciliation file (CSV: `txid` or `debt_external_id`, `amount`, `paid_at`,
    /// optional `reference`, `currency`); prints what it did as JSON, as the API answers. A row
    /// read before changes nothing.
    Reconcile {
        /// Tenant id (`ten_…`) or exact name; may be left out when there is one tenant.
        #[arg(long)]
        tenant: Option<String>,
        /// The CSV file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
pub enum AccountsCommand {
    /// List the tenant's payment accounts as JSON lines, by name, credentials masked.
    List {
        /// Tenant id (`ten_…`) or exact name; may be left out when there is one tenant.
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Save a payment account from a JSON file (TOML when it ends in `.toml`), as the API takes
    /// it: checked, its configuration sealed with `[secrets] key`, stored under its name
    /// (replacing the account of that name). Prints the account as JSON, credentials masked.
    Put {
        /// Tenant id (`ten_…`) or exact name; may be left out when there is one tenant.
        #[arg(long)]
        tenant: Option<String>,
        /// `{"name": …, "priority": …, "config": {"kind": "pix" | "stripe" | …, …}}`.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Delete a payment account: debtors are no longer offered it.
    Delete {
        /// Tenant id (`ten_…`) or exact name; may be left out when there is one tenant.
        #[arg(long)]
        tenant: Option<String>,
        /// The account's name.
        name: String,
    },
}

/// Runs a payments command at `now` (when accounts are saved and payments received).
pub async fn run(
    command: PaymentsCommand,
    config: &Config,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    match command {
        PaymentsCommand::Accounts { command } => accounts(command, config, now).await,
        PaymentsCommand::Reconcile { tenant, file } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let ts = tenant_store(config, tenant.as_deref()).await?;
            let answer = reconcile_bytes(&ts, &bytes, now)
                .await
                .map_err(|p| refused(&file, &p))?;
            println!("{}", serde_json::to_string(&answer)?);
            Ok(())
        }
    }
}

async fn accounts(
    command: AccountsCommand,
    config: &Config,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let key = config.secrets.sealing_key()?;
    match command {
        AccountsCommand::List { tenant } => {
            let ts = tenant_store(config, tenant.as_deref()).await?;
            let id = ts.tenant().id.to_string();
            for stored in ts.list_accounts(AccountTable::Payment).await? {
                println!(
                    "{}",
                    serde_json::to_string(&view(stored, key.as_deref(), &id))?
                );
            }
            Ok(())
        }
        AccountsCommand::Put { tenant, file } => {
            let document = read_account(&file)?;
            let Some(key) = key else {
                // Still checked, so the file's faults are known either way.
                check(&document).map_err(|p| refused(&file, &p))?;
                anyhow::bail!(
                    "no key to encrypt payment credentials: set `[secrets] key` in recaudo.toml \
                     (or RECAUDO_SECRETS__KEY); `recaudo secrets new-key` makes one"
                );
            };
            let (account, sealed) =
                check_and_seal(&document, &key).map_err(|p| refused(&file, &p))?;
            let ts = tenant_store(config, tenant.as_deref()).await?;
            let settings = serde_json::to_value(&account.settings)?;
            let (stored, created) = ts
                .put_account(
                    AccountTable::Payment,
                    &account.name,
                    account.config.kind(),
                    settings,
                    sealed,
                    now,
                )
                .await?;
            let what = if created { "created" } else { "replaced" };
            eprintln!("{what}: payment account {}", stored.name);
            let id = ts.tenant().id.to_string();
            println!("{}", serde_json::to_string(&view(stored, Some(&key), &id))?);
            Ok(())
        }
        AccountsCommand::Delete { tenant, name } => {
            let ts = tenant_store(config, tenant.as_deref()).await?;
            ts.delete_account(AccountTable::Payment, &name).await?;
            println!("deleted: payment account {name}");
            Ok(())
        }
    }
}
