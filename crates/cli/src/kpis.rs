//! `recaudo kpis --tenant T --from D --to D [--by segment] [--currency C] [--json]`: the
//! tenant's collection KPIs over a period, computed by the engine's KPI cache exactly as
//! `GET /api/v1/kpis` computes them (docs/kpis.md). `--json` prints the API's JSON document;
//! otherwise a table.

use std::fmt::Write as _;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use clap::Args;
use recaudo_domain::Currency;
use recaudo_domain::kpis::{Bucket, Dimension, KpiFigures, KpiQuery, KpiReport};
use recaudo_engine::kpis::KpiCache;

use crate::config::Config;

#[derive(Args, Debug)]
pub struct KpisArgs {
    /// The tenant (id or exact name); may be left out when there is only one.
    #[arg(long)]
    pub tenant: Option<String>,
    /// First day, YYYY-MM-DD (default: 29 days before --to).
    #[arg(long)]
    pub from: Option<NaiveDate>,
    /// Last day, included (default: today in the tenant's time zone).
    #[arg(long)]
    pub to: Option<NaiveDate>,
    /// Break down by segment, strategy, arm, channel or product.
    #[arg(long)]
    pub by: Option<Dimension>,
    /// Debts in this currency (default: the tenant's).
    #[arg(long)]
    pub currency: Option<Currency>,
    /// The funnel's "paid within N days of a contact" (default 7).
    #[arg(long, default_value_t = KpiQuery::DEFAULT_PAID_WITHIN_DAYS)]
    pub paid_within_days: u32,
    /// Print the report as the API's JSON document.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(args: KpisArgs, config: &Config, now: DateTime<Utc>) -> anyhow::Result<()> {
    let ts = crate::strategy::tenant_store(config, args.tenant.as_deref()).await?;
    let tenant = ts.tenant();
    let zone = tenant
        .timezone
        .parse::<chrono_tz::Tz>()
        .unwrap_or(chrono_tz::UTC);
    let to = args
        .to
        .unwrap_or_else(|| now.with_timezone(&zone).date_naive());
    let from = args.from.unwrap_or(to - Duration::days(29));
    anyhow::ensure!(from <= to, "--to ({to}) is before --from ({from})");
    anyhow::ensure!(
        (1..=365).contains(&args.paid_within_days),
        "--paid-within-days must be 1 to 365"
    );
    let query = KpiQuery {
        from,
        to,
        by: args.by,
        currency: args.currency.unwrap_or(tenant.currency),
        paid_within_days: args.paid_within_days,
    };
    let report = KpiCache::default().report(&ts, &query, now).await?;
    if args.json {
        println!("{}", serde_json::to_string(report.as_ref())?);
    } else {
        print!("{}", table(&report));
    }
    Ok(())
}

fn pct(value: Option<f64>) -> String {
    value.map_or_else(|| "–".into(), |v| format!("{:.1}%", v * 100.0))
}

fn num(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "–".into(), |v| format!("{v:.decimals$}"))
}

/// One row of the table: a figure as text.
type Cell = Box<dyn Fn(&KpiFigures) -> String>;

/// The report as a readable table: one column per group (and the total).
pub fn table(report: &KpiReport) -> String {
    let q = &report.query;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "KPIs {} to {} ({}){}",
        q.from,
        q.to,
        q.currency.code(),
        q.by.map(|b| format!(" by {b}")).unwrap_or_default()
    );
    let mut columns: Vec<(&str, &KpiFigures)> = vec![("total", &report.total)];
    columns.extend(report.groups.iter().map(|g| (g.key.as_str(), &g.figures)));
    let rows: Vec<(&str, Cell)> = vec![
        ("debts", Box::new(|f| f.debts.to_string())),
        ("collected", Box::new(|f| f.collected.to_string())),
        ("payments", Box::new(|f| f.payments.to_string())),
        ("recovery rate", Box::new(|f| pct(f.recovery_rate))),
        ("CEI", Box::new(|f| num(f.cei, 1))),
        ("DSO (days)", Box::new(|f| num(f.dso, 1))),
        ("countback DSO", Box::new(|f| num(f.countback_dso, 1))),
        ("cure rate", Box::new(|f| pct(f.cure_rate))),
        ("promise kept", Box::new(|f| pct(f.promise_kept_rate))),
        (
            "right-party contact",
            Box::new(|f| pct(f.right_party_contact_rate)),
        ),
        ("self-service", Box::new(|f| pct(f.self_service_share))),
        ("contacts", Box::new(|f| f.contacts.to_string())),
        (
            "contacts / collected",
            Box::new(|f| num(f.contacts_per_collected_unit, 4)),
        ),
        ("cost", Box::new(|f| f.cost.round_dp(2).to_string())),
        ("cost to collect", Box::new(|f| pct(f.cost_to_collect))),
        ("liquidation rate", Box::new(|f| pct(f.liquidation_rate))),
    ];
    let mut lines: Vec<Vec<String>> = vec![
        std::iter::once(String::new())
            .chain(columns.iter().map(|(k, _)| k.to_string()))
            .collect(),
    ];
    for (name, cell) in &rows {
        lines.push(
            std::iter::once(name.to_string())
                .chain(columns.iter().map(|(_, f)| cell(f)))
                .collect(),
        );
    }
    for bucket in Bucket::ALL {
        lines.push(
            std::iter::once(format!("aging {}", bucket.label()))
                .chain(
                    columns
                        .iter()
                        .map(|(_, f)| f.aging[bucket.index()].amount.to_string()),
                )
                .collect(),
        );
    }
    let widths: Vec<usize> = (0..=columns.len())
        .map(|i| {
            lines
                .iter()
                .map(|l| l.get(i).map_or(0, |c| c.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    for line in &lines {
        for (i, cell) in line.iter().enumerate() {
            let pad = widths[i].saturating_sub(cell.chars().count());
            if i == 0 {
                let _ = write!(out, "{cell}{}", " ".repeat(pad));
            } else {
                let _ = write!(out, "  {}{cell}", " ".repeat(pad));
            }
        }
        out.push('\n');
    }
    if !report.funnel.is_empty() {
        let _ = writeln!(
            out,
            "\nfunnel (paid within {} days)",
            report.query.paid_within_days
        );
        for f in &report.funnel {
            let _ = writeln!(
                out,
                "  {:<10} sent {}  delivered {}  opened {}  clicked {}  replied {}  paid {}",
                f.channel, f.sent, f.delivered, f.opened, f.clicked, f.replied, f.paid
            );
        }
    }
    for e in &report.experiments {
        let _ = writeln!(
            out,
            "\nexperiment {} / {}: z {}  p {}{}",
            e.strategy,
            e.experiment,
            num(e.z, 2),
            num(e.p_value, 3),
            if e.significant { "  (significant)" } else { "" }
        );
        for a in &e.arms {
            let _ = writeln!(
                out,
                "  {:<12} {} debts, {} paid within 30 days ({})",
                a.arm,
                a.debts,
                a.paid_within_30,
                pct(a.rate)
            );
        }
    }
    out
}
