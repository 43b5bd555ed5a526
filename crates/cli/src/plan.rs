//! `recaudo plan`: decide today's contacts for every open debt, print or write them.
//!
//! - without flags: plans and writes the outbox, then prints the counts and a JSON summary;
//! - `--dry-run`: the same decisions and counts, nothing written;
//! - `--json`: one decision per line (`{"debt","debtor","step","channel","decision","reason",
//!   "send_at"}`), the summary on stderr;
//! - `--explain DEBT`: everything considered for one debt (by its external id); writes nothing.

use std::io::Write;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use clap::Args;
use recaudo_domain::planner::PlanLine;
use recaudo_domain::portfolio::Tenant;
use recaudo_engine::{PlanReport, PlanRunOptions, PlanSetup, explain_debt, plan_tenant};
use recaudo_store::Store;

use crate::find_tenant;

#[derive(Args, Debug)]
pub struct PlanArgs {
    /// Tenant id (`ten_…`) or exact name (default: every tenant).
    #[arg(long)]
    pub tenant: Option<String>,
    /// Plan as of this instant (RFC 3339, e.g. 2026-12-09T13:00:00Z; default: now).
    #[arg(long, value_name = "RFC3339", value_parser = parse_at)]
    pub at: Option<DateTime<Utc>>,
    /// Decide and count, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// One decision per line as JSON (the summary goes to stderr).
    #[arg(long)]
    pub json: bool,
    /// Show every step and rule considered for one debt (its external id); writes nothing.
    #[arg(long, value_name = "DEBT_EXTERNAL_ID")]
    pub explain: Option<String>,
    /// Debtors per batch.
    #[arg(long, default_value_t = recaudo_engine::DEFAULT_BATCH)]
    pub batch: usize,
}

pub fn parse_at(s: &str) -> anyhow::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|e| {
            anyhow::anyhow!("`{s}` is not an RFC 3339 instant such as 2026-12-09T13:00:00Z: {e}")
        })
}

/// The JSON line of one decision.
pub fn line_json(l: &PlanLine) -> serde_json::Value {
    serde_json::json!({
        "debt": l.debt_external_id,
        "debtor": l.debtor_external_id,
        "strategy": l.strategy,
        "version": l.version,
        "step": l.step,
        "channel": l.channel,
        "decision": l.decision.kind(),
        "reason": l.reason().map(|r| r.as_str()),
        "send_at": l.decision.send_at().map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        "arm": l.arm,
        "covered_by": l.covered_by,
    })
}

pub async fn run(args: PlanArgs, store: &Store, now: DateTime<Utc>) -> anyhow::Result<()> {
    let at = args.at.unwrap_or(now);
    let tenants: Vec<Tenant> = match &args.tenant {
        Some(t) => vec![find_tenant(store, t).await?],
        None => store.list_tenants().await?,
    };
    if tenants.is_empty() {
        anyhow::bail!("no tenant yet: create one with `recaudo tenant create`");
    }
    if let Some(debt) = &args.explain {
        let [tenant] = tenants.as_slice() else {
            anyhow::bail!("--explain needs --tenant: debt ids are per tenant");
        };
        let ts = store.tenant(tenant);
        let setup = PlanSetup::load(&ts).await?;
        let plan = explain_debt(&ts, &setup, at, debt).await?;
        let mut out = std::io::stdout().lock();
        for l in &plan.explain {
            writeln!(out, "{l}")?;
        }
        for l in plan.lines.iter().filter(|l| &l.debt_external_id == debt) {
            writeln!(out, "{}", line_json(l))?;
        }
        return Ok(());
    }
    let opts = PlanRunOptions {
        dry_run: args.dry_run,
        batch: args.batch,
        ..PlanRunOptions::default()
    };
    for tenant in &tenants {
        let ts = store.tenant(tenant);
        let setup = Arc::new(PlanSetup::load(&ts).await?);
        if setup.library.is_empty() {
            eprintln!(
                "tenant {}: no strategy stored — add one with `recaudo strategy put FILE --tenant {}`",
                tenant.name, tenant.id
            );
        }
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        let mut write_error = None;
        let report = plan_tenant(&ts, setup, at, opts, |l| {
            if args.json
                && write_error.is_none()
                && let Err(e) = writeln!(out, "{}", line_json(l))
            {
                write_error = Some(e);
            }
        })
        .await?;
        match write_error {
            // The reader went away (`recaudo plan --json | head`): not an error.
            Some(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
            Some(e) => anyhow::bail!("cannot write the decisions: {e}"),
            None => {}
        }
        if let Err(e) = out.flush() {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                return Ok(());
            }
            anyhow::bail!("cannot write the decisions: {e}");
        }
        drop(out);
        let summary = summary(tenant, &report);
        if args.json {
            eprintln!("{summary}");
        } else {
            print!("{}", table(tenant, &report));
            println!("{summary}");
        }
    }
    Ok(())
}

fn summary(tenant: &Tenant, r: &PlanReport) -> serde_json::Value {
    let mut v = serde_json::to_value(r).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert("tenant".into(), serde_json::json!(tenant.id));
        o.insert(
            "jurisdiction".into(),
            serde_json::json!(tenant.jurisdiction.code()),
        );
    }
    v
}

/// Counts by channel and by reason, for people.
fn table(tenant: &Tenant, r: &PlanReport) -> String {
    let mut s = format!(
        "tenant {} ({}) at {}{}\n  debtors {}  debts {}  decisions {}  (covered by another debt's message: {})\n",
        tenant.name,
        tenant.jurisdiction.code(),
        r.at.map(|t| t.to_rfc3339()).unwrap_or_default(),
        if r.dry_run {
            " — dry run, nothing written"
        } else {
            ""
        },
        r.debtors,
        r.debts,
        r.decisions,
        r.covered,
    );
    s.push_str(&format!(
        "  {:<10} {:>9} {:>9} {:>9}\n",
        "channel", "send", "defer", "deny"
    ));
    for (channel, by) in &r.by_channel {
        let n = |k: &str| by.get(k).copied().unwrap_or(0);
        s.push_str(&format!(
            "  {:<10} {:>9} {:>9} {:>9}\n",
            channel,
            n("send"),
            n("defer"),
            n("deny")
        ));
    }
    if !r.by_reason.is_empty() {
        s.push_str("  reasons (defer and deny):\n");
        for (reason, n) in &r.by_reason {
            s.push_str(&format!("    {reason:<22} {n:>9}\n"));
        }
    }
    if !r.quiet.is_empty() {
        s.push_str("  debts without a decision today:\n");
        for (why, n) in &r.quiet {
            s.push_str(&format!("    {why:<22} {n:>9}\n"));
        }
    }
    if !r.dry_run {
        s.push_str(&format!(
            "  written: {} contacts, {} strategy assignments, {} segments\n",
            r.contacts_written, r.assignments_written, r.segments_written
        ));
    }
    for e in &r.condition_error_samples {
        s.push_str(&format!("  condition error: {e}\n"));
    }
    s
}
