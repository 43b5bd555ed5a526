//! `recaudo rules …`: the tenant's own contact rules (format: docs/policy.md, "The tenant's
//! rules").

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use recaudo_domain::policy::Preset;
use recaudo_domain::{Clock, SystemClock};
use recaudo_store::StoreError;

use crate::config::Config;
use crate::strategy::{print_errors, tenant_store};

#[derive(Subcommand, Debug)]
pub enum RulesCommand {
    /// Print the tenant's contact rules in force: the YAML as stored on standard output (so
    /// `recaudo rules show > rules.yaml` gives a file to edit and `set`), and on standard error
    /// the jurisdiction, its law and the version. Prints nothing on standard output when the
    /// tenant never set rules (the preset alone applies).
    Show {
        /// Tenant id (`ten_…`) or exact name; may be left out when there is one tenant.
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Check a contact rules file against the tenant's jurisdiction (never looser than its law)
    /// and store it as the next version, which the planner uses from its next run. Prints
    /// `created: contact rules vN`, or `unchanged: contact rules vN` when this very file is in
    /// force; errors are printed one a line, `FILE:LINE:COL: path: message`, on standard error,
    /// and nothing is stored.
    Set {
        /// The contact rules, a YAML file.
        file: PathBuf,
        /// Tenant id (`ten_…`) or exact name; may be left out when there is one tenant.
        #[arg(long)]
        tenant: Option<String>,
    },
    /// List every version of the tenant's contact rules, oldest first, as JSON lines
    /// (`version`, `created_at`).
    Versions {
        /// Tenant id (`ten_…`) or exact name; may be left out when there is one tenant.
        #[arg(long)]
        tenant: Option<String>,
    },
}

pub async fn run(command: RulesCommand, config: &Config) -> anyhow::Result<()> {
    match command {
        RulesCommand::Show { tenant } => {
            let ts = tenant_store(config, tenant.as_deref()).await?;
            let t = ts.tenant();
            let law = Preset::try_for_jurisdiction(t.jurisdiction)
                .map(|p| p.name().to_string())
                .unwrap_or_default();
            match ts.contact_rules().await? {
                Some(stored) => {
                    eprintln!(
                        "contact rules of {} ({}, {law}): version {}, set {}",
                        t.name,
                        t.jurisdiction,
                        stored.version,
                        stored.created_at.to_rfc3339()
                    );
                    print!("{}", stored.source);
                    if !stored.source.ends_with('\n') {
                        println!();
                    }
                }
                None => eprintln!(
                    "contact rules of {} ({}, {law}): none set; the preset alone applies",
                    t.name, t.jurisdiction
                ),
            }
            Ok(())
        }
        RulesCommand::Set { file, tenant } => {
            let source = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let ts = tenant_store(config, tenant.as_deref()).await?;
            match ts.put_contact_rules(&source, SystemClock.now()).await {
                Ok(put) => {
                    let what = if put.created { "created" } else { "unchanged" };
                    println!("{what}: contact rules v{}", put.rules.version);
                    Ok(())
                }
                Err(StoreError::InvalidContactRules(errors)) => {
                    print_errors(&file, &errors);
                    Err(anyhow::anyhow!(
                        "the contact rules file is not valid: nothing was stored"
                    ))
                }
                Err(error) => Err(error.into()),
            }
        }
        RulesCommand::Versions { tenant } => {
            let ts = tenant_store(config, tenant.as_deref()).await?;
            for stored in ts.contact_rules_versions().await? {
                println!(
                    "{}",
                    serde_json::json!({"version": stored.version, "created_at": stored.created_at})
                );
            }
            Ok(())
        }
    }
}
