//! `recaudo debtor erase` and `recaudo key list|revoke`: what a tenant's administrator does
//! without the API (docs/api.md, "Erasure" and "API keys").

use anyhow::Context;
use clap::Subcommand;
use recaudo_domain::{ApiKeyId, DebtorId};
use recaudo_store::Store;

use crate::find_tenant;

#[derive(Subcommand, Debug)]
pub enum DebtorCommand {
    /// Erase a debtor's personal data (Habeas Data, LGPD, GDPR): name, document, contact
    /// addresses, attributes; debts, payments and contacts stay, anonymised. Prints
    /// {"debtor_id", "erased": true}.
    Erase {
        /// The debtor id (`dbr_…`).
        id: String,
        /// Tenant id or exact name.
        #[arg(long)]
        tenant: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// List the tenant's API keys as JSON lines: id, prefix, created_at, revoked_at,
    /// last_used_at (never the key). `recaudo tenant key` makes a new one.
    List {
        /// Tenant id or exact name.
        #[arg(long)]
        tenant: String,
    },
    /// Revoke an API key: requests with it then get 401. Prints the key as listed.
    Revoke {
        /// The key id (`key_…`), as `recaudo key list` shows it.
        id: String,
        /// Tenant id or exact name.
        #[arg(long)]
        tenant: String,
    },
}

pub async fn debtor(
    command: DebtorCommand,
    store: &Store,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<()> {
    match command {
        DebtorCommand::Erase { id, tenant } => {
            let tenant = find_tenant(store, &tenant).await?;
            let debtor: DebtorId = id
                .parse()
                .with_context(|| format!("`{id}` is not a debtor id (dbr_…)"))?;
            store
                .tenant(&tenant)
                .erase_debtor(debtor, now)
                .await
                .with_context(|| format!("erasing debtor {debtor}"))?;
            println!(
                "{}",
                serde_json::json!({"debtor_id": debtor, "erased": true})
            );
            Ok(())
        }
    }
}

pub async fn key(
    command: KeyCommand,
    store: &Store,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<()> {
    match command {
        KeyCommand::List { tenant } => {
            let tenant = find_tenant(store, &tenant).await?;
            for key in store.tenant(&tenant).list_api_keys().await? {
                println!("{}", serde_json::to_string(&key)?);
            }
            Ok(())
        }
        KeyCommand::Revoke { id, tenant } => {
            let tenant = find_tenant(store, &tenant).await?;
            let key: ApiKeyId = id
                .parse()
                .with_context(|| format!("`{id}` is not an API key id (key_…)"))?;
            let revoked = store
                .tenant(&tenant)
                .revoke_api_key(key, now)
                .await
                .with_context(|| format!("revoking API key {key}"))?;
            println!("{}", serde_json::to_string(&revoked)?);
            Ok(())
        }
    }
}
