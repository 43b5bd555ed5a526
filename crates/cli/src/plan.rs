//! `recaudo plan`: decide today's contacts for every open debt, print or write them.
//!
//! - without flags: plans and writes the outbox, then prints the counts and a JSON summary;
//! - `--dry-run`: the same decisions and counts, nothing written;
//! - `--json`: one decision per line (`{"debt","debtor","step","channel","decision","reason",
//!   "send_at"}`), the summary on stderr;
//! - `--explain DEBT`: everything considered for one debt (by its external id); writes nothing;
//! - `--at`: as of another instant; one more than a day ahead of now is refused unless the run
//!   writes nothing (`--dry-run`, `--explain`) or says `--allow-future`, since a real plan in the
//!   future writes outbox rows and starts strategies that have not begun yet.

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
    /// Let `--at` be more than a day after now while writing (tests and replays).
    #[arg(long)]
    pub allow_future: bool,
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

pub fn parse_at(text: &str) -> anyhow::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|e| {
            anyhow::anyhow!("`{text}` is not an RFC 3339 instant such as 2026-12-09T13:00:00Z: {e}")
        })
}

/// The JSON line of one decision.
pub fn line_json(line: &PlanLine) -> serde_json::Value {
    serde_json::json!({
        "debt": line.debt_external_id,
        "debtor": line.debtor_external_id,
        "strategy": line.strategy,
        "version": line.version,
        "step": line.step,
        "channel": line.channel,
        "decision": line.decision.kind(),
        "reason": line.reason().map(|r| r.as_str()),
        "send_at": line.decision.send_at().map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        "arm": line.arm,
        "covered_by": line.covered_by,
        "instead_of": line.instead_of,
    })
}

/// How far ahead of now `--at` may be in a run that writes without `--allow-future`: a day, so
/// that planning "today" in any time zone is never refused.
pub const FUTURE_MARGIN: chrono::TimeDelta = chrono::TimeDelta::days(1);

/// Refuses a writing run more than [`FUTURE_MARGIN`] after `now`.
fn check_future(args: &PlanArgs, at: DateTime<Utc>, now: DateTime<Utc>) -> anyhow::Result<()> {
    if args.dry_run || args.explain.is_some() || args.allow_future || at <= now + FUTURE_MARGIN {
        return Ok(());
    }
    anyhow::bail!(
        "--at {} is more than a day after now ({}): a plan then would write real outbox rows \
         and start strategies in the future. Add --dry-run to see that day's decisions without \
         writing, or --allow-future to write them anyway (tests, replays)",
        at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    )
}

pub async fn run(args: PlanArgs, store: &Store, now: DateTime<Utc>) -> anyhow::Result<()> {
    let at = args.at.unwrap_or(now);
    check_future(&args, at, now)?;
    let tenants: Vec<Tenant> = match &args.tenant {
        Some(id) => vec![find_tenant(store, id).await?],
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
        // Which rules of the tenant's were planned with, before what they decided.
        match setup.rules_version {
            Some(version) => writeln!(
                out,
                "contact rules: the tenant's v{version}, within {}",
                setup.preset.name()
            )?,
            None => writeln!(
                out,
                "contact rules: {} (the tenant set none of its own)",
                setup.preset.name()
            )?,
        }
        for line in &plan.explain {
            writeln!(out, "{line}")?;
        }
        for line in plan
            .lines
            .iter()
            .filter(|line| &line.debt_external_id == debt)
        {
            writeln!(out, "{}", line_json(line))?;
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
                && let Err(error) = writeln!(out, "{}", line_json(l))
            {
                write_error = Some(error);
            }
        })
        .await?;
        match write_error {
            // The reader went away (`recaudo plan --json | head`): not an error.
            Some(error) if error.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
            Some(error) => anyhow::bail!("cannot write the decisions: {error}"),
            None => {}
        }
        if let Err(error) = out.flush() {
            if error.kind() == std::io::ErrorKind::BrokenPipe {
                return Ok(());
            }
            anyhow::bail!("cannot write the decisions: {error}");
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

fn summary(tenant: &Tenant, report: &PlanReport) -> serde_json::Value {
    let mut value = serde_json::to_value(report).unwrap_or_default();
    if let Some(object) = value.as_object_mut() {
        object.insert("tenant".into(), serde_json::json!(tenant.id));
        object.insert(
            "jurisdiction".into(),
            serde_json::json!(tenant.jurisdiction.code()),
        );
    }
    value
}

/// What happened to each debt, one line per outcome; the lines add up to the debts planned.
pub(crate) fn outcomes(report: &PlanReport) -> String {
    let mut text = format!("  each of the {} debts today:\n", report.debts);
    for (outcome, count) in &report.by_outcome {
        text.push_str(&format!("    {outcome:<36} {count:>9}\n"));
    }
    text
}

/// Counts by channel and by reason, for people.
fn table(tenant: &Tenant, report: &PlanReport) -> String {
    let mut text = format!(
        "tenant {} ({}) at {}{}\n  debtors {}  debts {}  decisions {}  (covered by another debt's message: {})\n",
        tenant.name,
        tenant.jurisdiction.code(),
        report.at.map(|t| t.to_rfc3339()).unwrap_or_default(),
        if report.dry_run {
            " — dry run, nothing written"
        } else {
            ""
        },
        report.debtors,
        report.debts,
        report.decisions,
        report.covered,
    );
    text.push_str(&format!(
        "  {:<10} {:>9} {:>9} {:>9}\n",
        "channel", "send", "defer", "deny"
    ));
    for (channel, by) in &report.by_channel {
        let count = |k: &str| by.get(k).copied().unwrap_or(0);
        text.push_str(&format!(
            "  {:<10} {:>9} {:>9} {:>9}\n",
            channel,
            count("send"),
            count("defer"),
            count("deny")
        ));
    }
    if !report.by_reason.is_empty() {
        text.push_str("  reasons (defer and deny):\n");
        for (reason, count) in &report.by_reason {
            text.push_str(&format!("    {reason:<22} {count:>9}\n"));
        }
    }
    if !report.quiet.is_empty() {
        text.push_str("  debts without a decision today:\n");
        for (why, count) in &report.quiet {
            text.push_str(&format!("    {why:<22} {count:>9}\n"));
        }
    }
    text.push_str(&outcomes(report));
    if !report.dry_run {
        text.push_str(&format!(
            "  written: {} contacts, {} strategy assignments, {} segments\n",
            report.contacts_written, report.assignments_written, report.segments_written
        ));
    }
    for error in &report.condition_error_samples {
        text.push_str(&format!("  condition error: {error}\n"));
    }
    text
}
