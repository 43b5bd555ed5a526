//! One planning run over a tenant: read, plan in parallel, write, count.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;

use futures::StreamExt;
use recaudo_domain::Clock;
use recaudo_domain::DebtId;
use recaudo_domain::calendar::HolidayCalendar;
use recaudo_domain::event::EventKind;
use recaudo_domain::planner::{
    DebtorFile, DebtorPlan, PlanLine, PlanOptions, Planner, StrategyLibrary,
};
use recaudo_domain::policy::{Decision, Preset, TenantPolicy};
use recaudo_domain::portfolio::Tenant;
use recaudo_domain::strategy::{self, CompiledStrategy, Segments};
use recaudo_store::{DebtFilter, PlanWrite, PreparedPlans, Store, StoreError, TenantStore};

/// Debtors read, planned and written together.
pub const DEFAULT_BATCH: usize = 2_000;

/// Batches read at the same time: with fewer, the cores sit idle while a read waits for the
/// database (docs/benchmarks.md). The store's pool has a connection for each and more.
const READERS: usize = 3;

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("stored strategy `{id}` version {version} no longer validates: {message}")]
    Strategy {
        id: String,
        version: u32,
        message: String,
    },
    #[error("stored contact rules version {version} no longer validate: {message}")]
    ContactRules { version: u32, message: String },
    #[error("no debt with external id `{0}`")]
    UnknownDebt(String),
    /// A reading, planning or writing task panicked or was cancelled.
    #[error("the planning thread failed: {0}")]
    Thread(#[from] tokio::task::JoinError),
}

/// What a run plans with: built once per run.
pub struct PlanSetup {
    pub preset: &'static Preset,
    pub calendar: HolidayCalendar,
    pub library: StrategyLibrary,
    /// The tenant's own segments (its contact rules'); `None`: the built-in ones.
    pub tenant_segments: Option<Segments>,
    pub tenant_policy: TenantPolicy,
    pub options: PlanOptions,
    /// The version of the tenant's contact rules planned with; `None`: the preset alone.
    pub rules_version: Option<u32>,
}

impl PlanSetup {
    /// The tenant's preset (from its jurisdiction), holidays, strategies (every stored version:
    /// active ones for new debts, all for debts already following one) and the latest version
    /// of its contact rules (windows, limits, days without contact, one contact a day, promise
    /// grace days and segments; without one, the preset alone and the built-in segments).
    pub async fn load(ts: &TenantStore) -> Result<PlanSetup, PlanError> {
        PlanSetup::load_with_draft(ts, None).await
    }

    /// As [`PlanSetup::load`], with `draft` (a strategy not stored) standing in for the active
    /// version of its strategy: first in the library, so that it also shadows a stored version
    /// with its number (for previews: `crate::preview`).
    pub async fn load_with_draft(
        ts: &TenantStore,
        draft: Option<CompiledStrategy>,
    ) -> Result<PlanSetup, PlanError> {
        let jurisdiction = ts.tenant().jurisdiction;
        let preset = Preset::for_jurisdiction(jurisdiction);
        let (rules_version, rules) = match ts.contact_rules_in_force().await {
            Ok(in_force) => in_force,
            Err(StoreError::InvalidContactRules(errors)) => {
                // Only on this path: which version no longer validates, for the message.
                let version = ts.contact_rules().await?.map_or(0, |stored| stored.version);
                return Err(PlanError::ContactRules {
                    version,
                    message: errors
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; "),
                });
            }
            Err(error) => return Err(error.into()),
        };
        let compile = |id: &str, version: u32, source: &str| {
            strategy::parse_stored_strategy(source, strategy::TemplateCatalogue::builtin()).map_err(
                |errors| PlanError::Strategy {
                    id: id.to_string(),
                    version,
                    message: errors
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; "),
                },
            )
        };
        let active_keys: Vec<(String, u32)>;
        let mut active: Vec<CompiledStrategy> = Vec::new();
        {
            let stored = ts.active_strategies().await?;
            active_keys = stored
                .iter()
                .map(|s| (s.strategy_id.clone(), s.version))
                .collect();
            for stored_version in stored {
                active.push(compile(
                    &stored_version.strategy_id,
                    stored_version.version,
                    &stored_version.source,
                )?);
            }
        }
        let mut others = Vec::new();
        for latest in ts.list_strategies().await? {
            for stored_version in ts.strategy_versions(&latest.strategy_id).await? {
                if !active_keys
                    .contains(&(stored_version.strategy_id.clone(), stored_version.version))
                {
                    others.push(compile(
                        &stored_version.strategy_id,
                        stored_version.version,
                        &stored_version.source,
                    )?);
                }
            }
        }
        if let Some(draft) = draft {
            if let Some(stored) = active
                .iter()
                .position(|s| s.strategy.id == draft.strategy.id)
            {
                others.push(active.remove(stored));
            }
            active.insert(0, draft);
        }
        let options = rules.plan_options();
        Ok(PlanSetup {
            preset,
            calendar: HolidayCalendar::for_jurisdiction(jurisdiction),
            library: StrategyLibrary::new(active, others),
            tenant_segments: rules.segments,
            tenant_policy: rules.policy,
            options,
            rules_version,
        })
    }

    /// The segments planned with: the tenant's own, else the built-in ones.
    pub fn segments(&self) -> &Segments {
        self.tenant_segments
            .as_ref()
            .unwrap_or_else(|| Segments::builtin())
    }

    pub fn planner(&self) -> Planner<'_> {
        Planner::new(
            self.preset,
            &self.tenant_policy,
            &self.calendar,
            &self.library,
            self.segments(),
            self.options,
        )
    }
}

/// How to run.
#[derive(Debug, Clone, Copy)]
pub struct PlanRunOptions {
    /// Decide and count, write nothing.
    pub dry_run: bool,
    pub batch: usize,
    /// Batches planned at the same time, each on one thread (at least 1).
    pub threads: usize,
}

impl Default for PlanRunOptions {
    fn default() -> Self {
        PlanRunOptions {
            dry_run: false,
            batch: DEFAULT_BATCH,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

/// A run's decisions counted by their static codes: (decision, channel, reason or "") and
/// quiet debts by why.
#[derive(Default)]
struct Tally {
    lines: std::collections::HashMap<(&'static str, &'static str, &'static str), u64>,
    quiet: std::collections::HashMap<&'static str, u64>,
    /// (outcome, reason) → debts; see [`PlanReport::by_outcome`].
    outcomes: std::collections::HashMap<(&'static str, &'static str), u64>,
    /// The debtor's debts being summed up, reused from debtor to debtor.
    scratch: Vec<(DebtId, u8, &'static str)>,
}

/// A debt's outcome from its lines: the best of them wins, so a debt sent on one channel and
/// deferred on another counts once, as contacted.
fn outcome_rank(line: &PlanLine) -> (u8, &'static str) {
    match (&line.decision, &line.covered_by) {
        (Decision::Send { .. }, None) => (0, ""),
        (Decision::Send { .. }, Some(_)) => (1, ""),
        (Decision::Defer { reason, .. }, _) => (2, reason.as_str()),
        (Decision::Deny { reason }, _) => (3, reason.as_str()),
    }
}

const OUTCOMES: [&str; 4] = ["contacted", "covered", "deferred", "denied"];

/// How many conditions failing at run time are kept word for word in a report.
const KEPT_ERRORS: usize = 20;

/// The figures of a run.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct PlanReport {
    pub at: Option<DateTime<Utc>>,
    pub dry_run: bool,
    /// Debtors with at least one active debt.
    pub debtors: u64,
    pub debts: u64,
    pub decisions: u64,
    /// `send` / `defer` / `deny` → count.
    pub by_decision: BTreeMap<String, u64>,
    /// channel → decision → count.
    pub by_channel: BTreeMap<String, BTreeMap<String, u64>>,
    /// reason code → count (defers and denials).
    pub by_reason: BTreeMap<String, u64>,
    /// (decision, reason or "") → count, for the metrics.
    #[serde(skip)]
    pub by_decision_reason: BTreeMap<(&'static str, &'static str), u64>,
    /// Debts without a decision today, by why (`nothing_due`, `stopped`, `no_strategy`, …).
    pub quiet: BTreeMap<String, u64>,
    /// Sends riding on another debt's message (one contact a day per debtor).
    pub covered: u64,
    /// Every debt once, by what happened to it today: `contacted` (a contact of its own),
    /// `covered` (rides on another debt's contact), `deferred: <reason>`, `denied: <reason>`,
    /// or `no decision: <why>`. The counts add up to `debts`.
    pub by_outcome: BTreeMap<String, u64>,
    /// What was written (zero on a dry run).
    pub contacts_written: u64,
    pub assignments_written: u64,
    pub segments_written: u64,
    /// Conditions that failed at run time (taken as false): the count and the first few.
    pub condition_errors: u64,
    pub condition_error_samples: Vec<String>,
    /// Seconds of reading, summed over the batches (several are read at the same time).
    pub read_seconds: f64,
    /// Seconds of planning, summed over the batches (several are planned at the same time),
    /// and wall-clock seconds the run waited for the next planned batch (its reading
    /// included).
    pub plan_seconds: f64,
    pub plan_wait_seconds: f64,
    /// Wall-clock seconds of the writes (one at a time, overlapped with the next batches'
    /// reading and planning), and of waiting for room in the writer's queue and for the last
    /// writes.
    pub write_seconds: f64,
    /// Transactions the writes took (queued batches are written together).
    pub write_transactions: u64,
    pub write_wait_seconds: f64,
}

impl PlanReport {
    fn add(&mut self, plan: &DebtorPlan, debts: usize, tally: &mut Tally) {
        self.debtors += 1;
        self.debts += debts as u64;
        for line in &plan.lines {
            self.decisions += 1;
            let reason = line.reason().map_or("", |r| r.as_str());
            *tally
                .lines
                .entry((line.decision.kind(), line.channel.as_str(), reason))
                .or_default() += 1;
            if line.covered_by.is_some() {
                self.covered += 1;
            }
        }
        tally.scratch.clear();
        for line in &plan.lines {
            let (rank, reason) = outcome_rank(line);
            match tally
                .scratch
                .iter_mut()
                .find(|(debt, ..)| *debt == line.debt)
            {
                Some(best) if rank < best.1 => *best = (line.debt, rank, reason),
                Some(_) => {}
                None => tally.scratch.push((line.debt, rank, reason)),
            }
        }
        for (_, rank, reason) in &tally.scratch {
            *tally
                .outcomes
                .entry((OUTCOMES[usize::from(*rank)], *reason))
                .or_default() += 1;
        }
        for (_, quiet) in &plan.quiet {
            *tally.quiet.entry(quiet.as_str()).or_default() += 1;
            *tally
                .outcomes
                .entry(("no decision", quiet.as_str()))
                .or_default() += 1;
        }
        self.condition_errors += plan.errors.len() as u64;
        for error in &plan.errors {
            if self.condition_error_samples.len() < KEPT_ERRORS {
                self.condition_error_samples.push(error.clone());
            }
        }
    }

    /// Moves the run's counts by code into the report's maps (once, at the end: a map of
    /// strings per decision was a cost of its own over a million decisions).
    fn count(&mut self, tally: Tally) {
        for ((kind, channel, reason), count) in tally.lines {
            *self.by_decision.entry(kind.to_string()).or_default() += count;
            *self
                .by_channel
                .entry(channel.to_string())
                .or_default()
                .entry(kind.to_string())
                .or_default() += count;
            if !reason.is_empty() {
                *self.by_reason.entry(reason.to_string()).or_default() += count;
            }
            *self.by_decision_reason.entry((kind, reason)).or_default() += count;
        }
        for (quiet, count) in tally.quiet {
            *self.quiet.entry(quiet.to_string()).or_default() += count;
        }
        for ((outcome, reason), count) in tally.outcomes {
            let key = if reason.is_empty() {
                outcome.to_string()
            } else {
                format!("{outcome}: {reason}")
            };
            *self.by_outcome.entry(key).or_default() += count;
        }
    }

    fn written(&mut self, write: PlanWrite) {
        self.contacts_written += write.contacts;
        self.assignments_written += write.assignments;
        self.segments_written += write.segments;
    }
}

/// Plans a batch's files in order on the calling thread.
fn plan_files(setup: &PlanSetup, files: &[DebtorFile], now: DateTime<Utc>) -> Vec<DebtorPlan> {
    let planner = setup.planner();
    files
        .iter()
        .map(|f| planner.plan_debtor(f, now, None))
        .collect()
}

/// A batch on its way from the planning stage to the loop and the writer.
struct Planned {
    /// Each debtor's count of debts, in the order of `plans`.
    debts: Vec<usize>,
    plans: Vec<DebtorPlan>,
    /// The plans prepared for the writer (none on a dry run).
    prepared: Option<PreparedPlans>,
    read_seconds: f64,
    plan_seconds: f64,
}

/// Plans every debtor of the tenant at `now`. `on_line` sees every decision, in order of
/// debtor id. Writes each batch's contacts, assignments and segments unless `dry_run`.
///
/// Batches hold disjoint debtors, so none reads what another writes, and they stream through
/// three stages that never wait for one another while there is room ahead: [`READERS`]
/// batches are read at once (each on its own task and connection), `threads` are planned at
/// once (each on one thread of the blocking pool, which also prepares them for the writer),
/// and the store's writer ([`TenantStore::plan_writer`]) writes them in order, fed through a
/// queue. The first day of a large portfolio is bound by the CPU all of this needs, not by one
/// stage: a stage that waits for the next leaves a core idle meanwhile (docs/benchmarks.md).
pub async fn plan_tenant(
    ts: &TenantStore,
    setup: Arc<PlanSetup>,
    now: DateTime<Utc>,
    opts: PlanRunOptions,
    mut on_line: impl FnMut(&PlanLine),
) -> Result<PlanReport, PlanError> {
    let mut report = PlanReport {
        at: Some(now),
        dry_run: opts.dry_run,
        ..PlanReport::default()
    };
    let mut tally = Tally::default();
    let batch = opts.batch.max(1);
    // Promises whose date plus grace days has passed are settled first (kept if payments
    // covered them, broken otherwise), so that a broken promise's debt is collected again today.
    // A dry run writes nothing, so it plans with them as they are.
    if !opts.dry_run {
        let settled = ts.settle_due_promises(now).await?;
        if !settled.is_empty() {
            tracing::info!(tenant = %ts.tenant().id, promises = settled.len(), "promises settled");
        }
        // Plans likewise: a broken plan's debts are collected again today, and the
        // instalments due soon are reminded.
        let plans = crate::plans::settle_and_remind(ts, now).await?;
        if plans != crate::plans::PlanPassReport::default() {
            tracing::info!(tenant = %ts.tenant().id, ?plans, "plans settled");
        }
    }
    let batches = ts.plan_batches(batch).await?;
    // Only the events planning can depend on are read.
    let kinds: Option<Arc<[EventKind]>> = setup
        .library
        .event_kinds(setup.segments())
        .map(|k| k.into_iter().collect());
    let attributes = setup.library.reads_attributes(setup.segments());
    let writer = (!opts.dry_run).then(|| ts.plan_writer(now));
    let preparer = writer.as_ref().map(|w| w.preparer());
    let reads = futures::stream::iter(batches)
        .map(|b| {
            let ts = ts.clone();
            let kinds = kinds.clone();
            tokio::spawn(async move {
                let started = std::time::Instant::now();
                let files = ts.plan_inputs(b, now, kinds.as_deref(), attributes).await?;
                Ok::<_, StoreError>((files, started.elapsed().as_secs_f64()))
            })
        })
        .buffered(READERS);
    let mut planned = reads
        .map(|read| {
            let setup = Arc::clone(&setup);
            async move {
                let (files, read_seconds) = read??;
                tokio::task::spawn_blocking(move || {
                    let started = std::time::Instant::now();
                    let plans = plan_files(&setup, &files, now);
                    let debts: Vec<usize> = files.iter().map(|f| f.debts.len()).collect();
                    // Freed here, on the planning thread, rather than by the loop.
                    drop(files);
                    // The plans are prepared for the writer here too, off it.
                    let prepared = preparer.map(|p| p.prepare(&plans));
                    Planned {
                        debts,
                        plans,
                        prepared,
                        read_seconds,
                        plan_seconds: started.elapsed().as_secs_f64(),
                    }
                })
                .await
                .map_err(PlanError::Thread)
            }
        })
        .buffered(opts.threads.max(1));
    let mut failed = None;
    loop {
        let started = std::time::Instant::now();
        let next = planned.next().await;
        report.plan_wait_seconds += started.elapsed().as_secs_f64();
        let Some(next) = next else { break };
        let batch = match next {
            Ok(batch) => batch,
            Err(error) => {
                failed = Some(error);
                break;
            }
        };
        report.read_seconds += batch.read_seconds;
        report.plan_seconds += batch.plan_seconds;
        for (debts, plan) in batch.debts.into_iter().zip(&batch.plans) {
            report.add(plan, debts, &mut tally);
            for line in &plan.lines {
                on_line(line);
            }
        }
        match (&writer, batch.prepared) {
            (Some(writer), Some(prepared)) => {
                let started = std::time::Instant::now();
                let sent = writer.push(batch.plans, prepared).await;
                report.write_wait_seconds += started.elapsed().as_secs_f64();
                // The writer stopped on an error: it is returned below.
                if !sent {
                    break;
                }
            }
            _ => discard(batch.plans),
        }
    }
    if let Some(writer) = writer {
        let started = std::time::Instant::now();
        let written = writer.finish().await?;
        report.write_wait_seconds += started.elapsed().as_secs_f64();
        let written = written?;
        report.write_seconds += written.seconds;
        report.write_transactions += written.transactions;
        report.written(written.written);
    }
    if let Some(error) = failed {
        return Err(error);
    }
    report.count(tally);
    Ok(report)
}

/// Frees a batch's plans on the blocking pool: a few hundred thousand allocations per batch,
/// which kept the loop from its next step.
fn discard<T: Send + 'static>(plans: T) {
    tokio::task::spawn_blocking(move || drop(plans));
}

/// Plans the debtor of one debt (by its external id) at `now` without writing, and tells what
/// was considered for that debt.
pub async fn explain_debt(
    ts: &TenantStore,
    setup: &PlanSetup,
    now: DateTime<Utc>,
    debt_external_id: &str,
) -> Result<DebtorPlan, PlanError> {
    let page = ts
        .list_debts(&DebtFilter {
            external_id: Some(debt_external_id.to_string()),
            limit: Some(1),
            ..DebtFilter::default()
        })
        .await?;
    let Some(debt) = page.items.into_iter().next() else {
        return Err(PlanError::UnknownDebt(debt_external_id.to_string()));
    };
    let planner = setup.planner();
    match ts.plan_input(debt.debtor_id, now).await? {
        Some(file) => Ok(planner.plan_debtor(&file, now, Some(debt.id))),
        None => Ok(DebtorPlan {
            debtor: Some(debt.debtor_id),
            explain: vec![format!(
                "debt {debt_external_id} is {}: it takes no part in collection",
                debt.status
            )],
            ..DebtorPlan::default()
        }),
    }
}

/// Plans every tenant once at `now` and writes the plans; a tenant that fails is logged and
/// the others are still planned. Returns each tenant's report (or its error).
pub async fn plan_all(
    store: &Store,
    now: DateTime<Utc>,
) -> Result<Vec<(Tenant, Result<PlanReport, PlanError>)>, PlanError> {
    let mut out = Vec::new();
    for tenant in store.list_tenants().await? {
        let ts = store.tenant(&tenant);
        let started = std::time::Instant::now();
        let result = async {
            let setup = Arc::new(PlanSetup::load(&ts).await?);
            plan_tenant(&ts, setup, now, PlanRunOptions::default(), |_| {}).await
        }
        .await;
        record_metrics(&result, started.elapsed().as_secs_f64());
        match &result {
            Ok(report) => tracing::info!(
                tenant = %tenant.id,
                debtors = report.debtors,
                decisions = report.decisions,
                contacts_written = report.contacts_written,
                "planned"
            ),
            Err(error) => tracing::error!(tenant = %tenant.id, error = %error, "planning failed"),
        }
        out.push((tenant, result));
    }
    Ok(out)
}

/// Prometheus names of the planner's figures (served at `/metrics` by `serve`).
pub const RUNS_TOTAL: &str = "recaudo_planner_runs_total";
pub const RUN_SECONDS: &str = "recaudo_planner_run_seconds";
pub const DECISIONS_TOTAL: &str = "recaudo_planner_decisions_total";
pub const CONTACTS_WRITTEN_TOTAL: &str = "recaudo_planner_contacts_written_total";

/// Counts a tenant's run: its outcome and duration, its decisions by decision and reason, the
/// contacts written.
fn record_metrics(result: &Result<PlanReport, PlanError>, seconds: f64) {
    let outcome = if result.is_ok() { "ok" } else { "error" };
    metrics::counter!(RUNS_TOTAL, "outcome" => outcome).increment(1);
    metrics::histogram!(RUN_SECONDS).record(seconds);
    let Ok(report) = result else { return };
    for ((decision, reason), count) in &report.by_decision_reason {
        metrics::counter!(DECISIONS_TOTAL, "decision" => *decision, "reason" => *reason)
            .increment(*count);
    }
    metrics::counter!(CONTACTS_WRITTEN_TOTAL).increment(report.contacts_written);
}

/// Runs [`plan_all`] now and then every `every`, reading the time from `clock`, until the task
/// is dropped (the server's shutdown).
pub async fn plan_on_schedule(store: Store, clock: Arc<dyn Clock>, every: std::time::Duration) {
    metrics::describe_counter!(RUNS_TOTAL, "Planning runs of a tenant, by outcome");
    metrics::describe_histogram!(
        RUN_SECONDS,
        metrics::Unit::Seconds,
        "Time to plan a tenant's day"
    );
    metrics::describe_counter!(
        DECISIONS_TOTAL,
        "Planner decisions, by decision (send, defer, deny) and reason"
    );
    metrics::describe_counter!(CONTACTS_WRITTEN_TOTAL, "Contacts written to the outbox");
    let mut tick = tokio::time::interval(every.max(std::time::Duration::from_secs(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let started = std::time::Instant::now();
        if let Err(error) = plan_all(&store, clock.now()).await {
            tracing::error!(error = %error, "planning run failed");
        }
        tracing::info!(
            seconds = started.elapsed().as_secs_f64(),
            "planning run done"
        );
    }
}
