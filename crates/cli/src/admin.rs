//! `recaudo debtor erase`, `recaudo key list|revoke` and `recaudo user create|list|disable`:
//! what a tenant's administrator does without the API (docs/api.md, "Erasure" and "API keys";
//! docs/dashboard.md, "Operators").

use anyhow::Context;
use clap::Subcommand;
use recaudo_domain::operators::OperatorRole;
use recaudo_domain::portfolio::Language;
use recaudo_domain::{ApiKeyId, DebtorId, Secret};
use recaudo_store::{NewOperator, Store};

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

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create an operator of the dashboard and print {"id", "email", "role", "tenant_id"}.
    /// The password is read from the environment variable named by --password-env, or from
    /// the first line of stdin with --password-stdin; otherwise one is made and printed once
    /// (as "password").
    Create {
        /// Tenant id or exact name.
        #[arg(long)]
        tenant: String,
        /// The address they sign in with (one account per address).
        #[arg(long)]
        email: String,
        /// Their name as the dashboard shows it.
        #[arg(long)]
        name: String,
        /// viewer (reads), agent (also works debtors) or admin (also changes the set-up).
        #[arg(long)]
        role: OperatorRole,
        /// es, pt or en (default: the tenant's).
        #[arg(long)]
        language: Option<Language>,
        /// Read the password from this environment variable.
        #[arg(long, value_name = "VAR", conflicts_with = "password_stdin")]
        password_env: Option<String>,
        /// Read the password from the first line of stdin.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the tenant's operators as JSON lines (never a password).
    List {
        /// Tenant id or exact name.
        #[arg(long)]
        tenant: String,
    },
    /// Disable an operator: they can no longer sign in, and their sessions end.
    Disable {
        /// Tenant id or exact name.
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        email: String,
    },
}

pub async fn user(
    command: UserCommand,
    store: &Store,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<()> {
    match command {
        UserCommand::Create {
            tenant,
            email,
            name,
            role,
            language,
            password_env,
            password_stdin,
        } => {
            let tenant = find_tenant(store, &tenant).await?;
            let (password, made) = if let Some(var) = password_env {
                let value = std::env::var(&var)
                    .with_context(|| format!("the environment variable {var} is not set"))?;
                (Secret::new(value), false)
            } else if password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .read_line(&mut line)
                    .context("reading the password from stdin")?;
                (
                    Secret::new(line.trim_end_matches(['\r', '\n']).to_string()),
                    false,
                )
            } else {
                (recaudo_store::new_password(), true)
            };
            let operator = store
                .create_operator(
                    tenant.id,
                    NewOperator {
                        email,
                        name,
                        role,
                        language,
                        password: password.clone(),
                    },
                    now,
                )
                .await
                .context("creating the operator")?;
            let mut out = serde_json::json!({
                "id": operator.id,
                "email": operator.email,
                "role": operator.role,
                "tenant_id": operator.tenant_id,
            });
            if made {
                out["password"] = password.expose_secret().clone().into();
            }
            println!("{out}");
            Ok(())
        }
        UserCommand::List { tenant } => {
            let tenant = find_tenant(store, &tenant).await?;
            for operator in store.list_operators(tenant.id).await? {
                println!("{}", serde_json::to_string(&operator)?);
            }
            Ok(())
        }
        UserCommand::Disable { tenant, email } => {
            let tenant = find_tenant(store, &tenant).await?;
            store
                .disable_operator(tenant.id, &email, now)
                .await
                .with_context(|| format!("disabling {email}"))?;
            println!("{}", serde_json::json!({"email": email, "disabled": true}));
            Ok(())
        }
    }
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
