//! A dry run of one strategy — a stored version or a draft being edited — over the debts that
//! follow it: what the planner would decide for them on their next local day. It plans with the
//! planner itself ([`Planner::plan_debtor`](recaudo_domain::planner::Planner::plan_debtor)) and
//! writes nothing.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use recaudo_domain::planner::PlanLine;
use recaudo_domain::portfolio::StrategyAssignment;
use recaudo_domain::strategy::{self, CompiledStrategy};
use recaudo_domain::{DebtId, DebtorId};
use recaudo_store::TenantStore;
use serde::Serialize;

use crate::plan::{PlanError, PlanSetup};

/// Debts a preview plans at most.
pub const PREVIEW_DEBTS: u32 = 200;

/// Decisions a preview keeps line by line (all are counted).
pub const PREVIEW_LINES: usize = 50;

/// What the planner would decide for a strategy's debts on their next local day.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct StrategyPreview {
    pub strategy: String,
    pub version: u32,
    /// No active debt follows the strategy: the preview applies it to a sample of the tenant's
    /// active debts, as if they had been moved to it.
    pub sample: bool,
    /// Debts planned (at most [`PREVIEW_DEBTS`]) and their debtors.
    pub debts: u64,
    pub debtors: u64,
    /// `send` / `defer` / `deny` → decisions.
    pub by_decision: BTreeMap<String, u64>,
    /// `defer: reason` / `deny: reason` → decisions.
    pub by_reason: BTreeMap<String, u64>,
    /// channel → decision → count.
    pub by_channel: BTreeMap<String, BTreeMap<String, u64>>,
    /// step → decision → count.
    pub by_step: BTreeMap<String, BTreeMap<String, u64>>,
    /// Debts without a decision, by why (`nothing_due`, `stopped`, …).
    pub quiet: BTreeMap<String, u64>,
    /// Sends riding on a message chosen for another debt of the debtor.
    pub covered: u64,
    /// The first [`PREVIEW_LINES`] decisions.
    pub lines: Vec<PlanLine>,
    /// Conditions that failed while planning (taken as false).
    pub errors: Vec<String>,
}

/// The first instant of the local day after `now`'s in `tz` (an hour or two later when a
/// daylight-saving change skips midnight).
pub fn next_local_day(now: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
    let today: NaiveDate = strategy::local_date(now, tz);
    let Some(tomorrow) = today.succ_opt() else {
        return now + TimeDelta::days(1);
    };
    (0..3)
        .filter_map(|hour| tomorrow.and_hms_opt(hour, 0, 0))
        .find_map(|local| tz.from_local_datetime(&local).earliest())
        .map_or(now + TimeDelta::days(1), |start| start.with_timezone(&Utc))
}

/// Plans the active debts following `draft`'s strategy (at most [`PREVIEW_DEBTS`]) with `draft`
/// in place of the version each follows, each debtor at the start of their next local day
/// after `now`. When no active debt follows it, a sample of the tenant's active debts is
/// planned as if moved to it. The tenant's policy, contact rules, other strategies and outbox
/// apply as in a real run; nothing is written.
pub async fn preview_strategy(
    ts: &TenantStore,
    draft: CompiledStrategy,
    now: DateTime<Utc>,
) -> Result<StrategyPreview, PlanError> {
    let id = draft.strategy.id.clone();
    let version = draft.strategy.version;
    let mut debts = ts.active_debts_following(Some(&id), PREVIEW_DEBTS).await?;
    let sample = debts.is_empty();
    if sample {
        debts = ts.active_debts_following(None, PREVIEW_DEBTS).await?;
    }
    let setup = PlanSetup::load_with_draft(ts, Some(draft)).await?;
    let planner = setup.planner();
    let chosen: BTreeSet<DebtId> = debts.iter().map(|(_, debt)| *debt).collect();
    let mut debtors: Vec<DebtorId> = debts.iter().map(|(debtor, _)| *debtor).collect();
    debtors.sort();
    debtors.dedup();

    let mut preview = StrategyPreview {
        strategy: id.clone(),
        version,
        sample,
        ..StrategyPreview::default()
    };
    // Read as of a day later: the files then hold what the planner reads at its instant.
    let files = ts
        .dispatch_inputs(&debtors, now + TimeDelta::days(1))
        .await?;
    for mut file in files {
        let mut ours = 0;
        for debt_file in &mut file.debts {
            if !chosen.contains(&debt_file.debt.id) {
                continue;
            }
            ours += 1;
            // The draft in place of the version the debt follows (or, for a sample, of
            // whatever it follows): its arms and start are kept when it already followed it.
            let kept = debt_file.debt.strategy.take().filter(|a| a.strategy == id);
            debt_file.debt.strategy = Some(match kept {
                Some(assignment) => StrategyAssignment {
                    version,
                    ..assignment
                },
                None => StrategyAssignment {
                    strategy: id.clone(),
                    version,
                    arms: BTreeMap::new(),
                    started_at: now,
                },
            });
        }
        if ours == 0 {
            continue;
        }
        preview.debtors += 1;
        preview.debts += ours;
        let at = next_local_day(now, strategy::debtor_zone(&file.debtor));
        let plan = planner.plan_debtor(&file, at, None);
        for line in plan.lines {
            if !chosen.contains(&line.debt) {
                continue;
            }
            let kind = line.decision.kind().to_string();
            *preview.by_decision.entry(kind.clone()).or_default() += 1;
            if let Some(reason) = line.reason() {
                *preview
                    .by_reason
                    .entry(format!("{kind}: {}", reason.as_str()))
                    .or_default() += 1;
            }
            *preview
                .by_channel
                .entry(line.channel.as_str().to_string())
                .or_default()
                .entry(kind.clone())
                .or_default() += 1;
            *preview
                .by_step
                .entry(line.step.clone())
                .or_default()
                .entry(kind)
                .or_default() += 1;
            if line.covered_by.is_some() {
                preview.covered += 1;
            }
            if preview.lines.len() < PREVIEW_LINES {
                preview.lines.push(line);
            }
        }
        for (debt, quiet) in plan.quiet {
            if chosen.contains(&debt) {
                *preview.quiet.entry(quiet.as_str().to_string()).or_default() += 1;
            }
        }
        preview.errors.extend(plan.errors);
    }
    Ok(preview)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_local_day_starts_at_local_midnight() {
        let at = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .map(|d| d.with_timezone(&Utc))
                .ok()
        };
        // 2026-12-06 22:00 in Bogotá (UTC−5) → 2026-12-07 00:00 local = 05:00 UTC.
        assert_eq!(
            Some(next_local_day(
                at("2026-12-07T03:00:00Z").unwrap_or_default(),
                chrono_tz::America::Bogota
            )),
            at("2026-12-07T05:00:00Z")
        );
        // São Paulo (UTC−3): 2026-12-07 01:00 UTC is still the 6th there.
        assert_eq!(
            Some(next_local_day(
                at("2026-12-07T01:00:00Z").unwrap_or_default(),
                chrono_tz::America::Sao_Paulo
            )),
            at("2026-12-07T03:00:00Z")
        );
        // Santiago moved its clocks at midnight on 2024-09-08 (00:00 → 01:00): the day
        // starts at 01:00 local = 04:00 UTC.
        assert_eq!(
            Some(next_local_day(
                at("2024-09-07T15:00:00Z").unwrap_or_default(),
                chrono_tz::America::Santiago
            )),
            at("2024-09-08T04:00:00Z")
        );
    }
}
