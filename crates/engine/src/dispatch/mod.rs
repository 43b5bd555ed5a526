//! The dispatcher (GUIDE §10): workers claim due contacts in batches, re-check each against
//! what changed since planning, render it, send it through the tenant's provider for its
//! channel, and record what happened, a batch to a transaction.
//!
//! Retries: a temporary failure waits by [`RetryPolicy`] (exponential with jitter, the
//! provider's `Retry-After` as a floor) and is claimed again when due; after the last attempt,
//! or on a permanent failure, the contact fails and the step's next channel is planned in its
//! place. A crash leaves claimed contacts `sending` until their lease ends; another worker then
//! re-sends them under the same idempotency key.

mod fallback;
mod providers;
mod recheck;
mod render;
mod track;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use tokio::sync::RwLock;

use recaudo_channels::links::LinkSigner;
use recaudo_channels::seal::SealingKey;
use recaudo_channels::{ChannelProvider, ProviderEnv, SendError};
use recaudo_domain::Clock;
use recaudo_domain::outbox::Contact;
use recaudo_domain::retry::{Jitter, RetryPolicy};
use recaudo_store::{ContactRef, DispatchOutcome, RecordStats, Store, StoreError, TenantStore};

pub use providers::{Account, Providers, open_account, sealing_key};
pub use recheck::{Check, Rules, recheck};
pub use render::{MessageLinks, Renderer, template_context};
pub use track::{apply_provider_events, pump_sandboxes, to_inbound, to_tracked};

use crate::plan::{PlanError, PlanSetup};

/// Contacts sent, by channel and outcome.
pub const DISPATCHED_TOTAL: &str = "recaudo_contacts_dispatched_total";
/// Seconds a provider took to answer a send.
pub const PROVIDER_SECONDS: &str = "recaudo_provider_send_seconds";

/// Claims beyond the retry policy's attempts a contact may take when its dispatcher died
/// holding it; after them it fails `too_many_attempts` instead of being sent again.
pub const MAX_CRASH_RECLAIMS: u32 = 3;

/// How a dispatcher works.
#[derive(Debug, Clone)]
pub struct DispatchOptions {
    /// Its name in the leases it takes (unique per process).
    pub worker: String,
    /// Contacts claimed at a time.
    pub batch: usize,
    /// How long a claim holds: a contact not recorded by then is claimed again.
    pub lease: Duration,
    /// Sends in flight at once, per worker.
    pub concurrency: usize,
    /// Batches a pass works on at once: while one batch is being written, the next is read,
    /// rendered and sent.
    pub workers: usize,
    pub retry: RetryPolicy,
    /// How often a tenant's providers, templates and rules are read again.
    pub refresh: Duration,
    /// Channels without a provider account go to a built-in sandbox (the demo's and a
    /// development install's default). Off in production: such contacts fail `no_provider`.
    pub sandbox: Option<recaudo_channels::providers::sandbox::Config>,
}

impl Default for DispatchOptions {
    fn default() -> DispatchOptions {
        DispatchOptions {
            worker: worker_name(),
            batch: 500,
            lease: Duration::from_secs(120),
            concurrency: 64,
            workers: 2,
            retry: RetryPolicy {
                max_attempts: 6,
                base: Duration::from_secs(30),
                cap: Duration::from_secs(4 * 3600),
                jitter: Jitter::Equal,
            },
            refresh: Duration::from_secs(30),
            sandbox: None,
        }
    }
}

/// A name no other process has: host, process id and a random suffix.
pub fn worker_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "node".into());
    format!(
        "{host}-{}-{:04x}",
        std::process::id(),
        rand::random::<u16>()
    )
}

#[derive(Debug, thiserror::Error)]
pub enum DispatchError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Plan(#[from] PlanError),
}

/// What one pass did, over every tenant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct DispatchReport {
    pub claimed: u64,
    pub recorded: RecordStats,
    /// Provider events applied (sandbox or polled).
    pub tracked: u64,
    /// Thanks queued for promises kept.
    pub thanked: u64,
}

impl DispatchReport {
    fn add(&mut self, stats: RecordStats) {
        let r = &mut self.recorded;
        r.sent += stats.sent;
        r.retried += stats.retried;
        r.deferred += stats.deferred;
        r.failed += stats.failed;
        r.cancelled += stats.cancelled;
        r.tasks += stats.tasks;
        r.fallbacks += stats.fallbacks;
        r.lost_lease += stats.lost_lease;
    }
}

/// What the dispatcher keeps of a tenant between passes.
struct TenantSetup {
    setup: PlanSetup,
    providers: Providers,
    renderer: Renderer,
    loaded_at: std::time::Instant,
}

/// Sends what the planner planned.
pub struct Dispatcher {
    store: Store,
    clock: Arc<dyn Clock>,
    options: DispatchOptions,
    env: ProviderEnv,
    key: Option<Arc<SealingKey>>,
    links: LinkSigner,
    tenants: RwLock<HashMap<String, Arc<TenantSetup>>>,
    /// One build of a tenant's setup at a time: workers starting together share it (and its
    /// sandbox, which keeps what it has to report in memory).
    building: tokio::sync::Mutex<()>,
}

impl Dispatcher {
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        options: DispatchOptions,
        env: ProviderEnv,
        key: Option<Arc<SealingKey>>,
        links: LinkSigner,
    ) -> Dispatcher {
        Dispatcher {
            store,
            clock,
            options,
            env,
            key,
            links,
            tenants: RwLock::new(HashMap::new()),
            building: tokio::sync::Mutex::new(()),
        }
    }

    pub fn options(&self) -> &DispatchOptions {
        &self.options
    }

    /// The tenant's providers as the dispatcher uses them (the sandbox's messages, in tests and
    /// the demo).
    pub async fn providers(&self, ts: &TenantStore) -> Result<Providers, DispatchError> {
        Ok(self.setup(ts).await?.providers.clone())
    }

    async fn fresh_setup(&self, id: &str) -> Option<Arc<TenantSetup>> {
        self.tenants
            .read()
            .await
            .get(id)
            .filter(|setup| setup.loaded_at.elapsed() < self.options.refresh)
            .cloned()
    }

    async fn setup(&self, ts: &TenantStore) -> Result<Arc<TenantSetup>, DispatchError> {
        let id = ts.tenant().id.to_string();
        if let Some(setup) = self.fresh_setup(&id).await {
            return Ok(setup);
        }
        let _building = self.building.lock().await;
        // Another worker may have built it while this one waited.
        if let Some(setup) = self.fresh_setup(&id).await {
            return Ok(setup);
        }
        let setup = PlanSetup::load(ts).await?;
        let mut providers = Providers::load(ts, self.key.as_deref(), &self.env).await?;
        if let Some(sandbox) = &self.options.sandbox {
            // The sandbox keeps what it has to report in memory: keep the one built first.
            let previous = self.tenants.read().await.get(&id).cloned();
            let sandbox_accounts = match previous {
                Some(previous) => previous.providers.clone(),
                None => Providers::sandbox(&self.env, sandbox.clone()),
            };
            if let Some(account) = sandbox_accounts.by_name("sandbox") {
                providers.add_shared(account.clone());
            }
        }
        let renderer = Renderer::load(ts, self.links.clone()).await?;
        let setup = Arc::new(TenantSetup {
            setup,
            providers,
            renderer,
            loaded_at: std::time::Instant::now(),
        });
        self.tenants.write().await.insert(id, setup.clone());
        Ok(setup)
    }

    /// One pass: a batch of each tenant's due contacts, and the sandbox's reports that are
    /// due. Returns what it did.
    pub async fn run_once(&self) -> Result<DispatchReport, DispatchError> {
        let mut report = DispatchReport::default();
        for tenant in self.store.list_tenants().await? {
            let ts = self.store.tenant(&tenant);
            let (claimed, stats) = self.dispatch_batches(&ts).await?;
            report.claimed += claimed;
            report.add(stats);
            let setup = self.setup(&ts).await?;
            let conversations = crate::inbound::Conversations::new(self.links.clone());
            let now = self.clock.now();
            report.tracked += pump_sandboxes(&ts, &conversations, &setup.providers, now).await?;
            // Promises made in a conversation and kept in the last week are thanked, once.
            report.thanked +=
                crate::inbound::thank_kept_promises(&ts, now - chrono::Duration::days(7), now)
                    .await?;
        }
        Ok(report)
    }

    /// Runs passes until `stop` turns true: at once while there is work, otherwise every
    /// `idle` (real time).
    pub async fn run(&self, idle: Duration, mut stop: tokio::sync::watch::Receiver<bool>) {
        loop {
            if *stop.borrow() {
                return;
            }
            let busy = match self.run_once().await {
                Ok(report) => report.claimed > 0,
                Err(error) => {
                    tracing::error!(%error, "dispatch pass failed");
                    false
                }
            };
            if !busy {
                tokio::select! {
                    _ = tokio::time::sleep(idle) => {}
                    _ = stop.changed() => {}
                }
            }
        }
    }

    /// Claims and sends [`DispatchOptions::workers`] batches of a tenant's due contacts at once
    /// (each claim takes contacts no other holds).
    pub async fn dispatch_batches(
        &self,
        ts: &TenantStore,
    ) -> Result<(u64, RecordStats), DispatchError> {
        let batches = futures::future::join_all(
            (0..self.options.workers.max(1)).map(|_| self.dispatch_tenant(ts)),
        )
        .await;
        let mut report = DispatchReport::default();
        for batch in batches {
            let (claimed, stats) = batch?;
            report.claimed += claimed;
            report.add(stats);
        }
        Ok((report.claimed, report.recorded))
    }

    /// Claims and sends one batch of a tenant's due contacts.
    pub async fn dispatch_tenant(
        &self,
        ts: &TenantStore,
    ) -> Result<(u64, RecordStats), DispatchError> {
        let now = self.clock.now();
        let claimed = ts
            .claim_contacts(
                now,
                self.options.batch,
                self.options.lease,
                &self.options.worker,
            )
            .await?;
        if claimed.is_empty() {
            return Ok((0, RecordStats::default()));
        }
        let setup = self.setup(ts).await?;
        // While the batch is out (a slow provider, a low rate limit), the lease is renewed, so
        // no other node takes these contacts over and sends them a second time.
        let ids: Vec<_> = claimed.iter().map(|c| c.id).collect();
        let renew = async {
            loop {
                tokio::time::sleep(self.options.lease / 3).await;
                let until = self.clock.now()
                    + chrono::Duration::from_std(self.options.lease)
                        .unwrap_or(chrono::Duration::minutes(2));
                if let Err(error) = ts.extend_lease(&ids, &self.options.worker, until).await {
                    tracing::warn!(%error, "could not renew a dispatch lease");
                }
            }
        };
        let outcomes = tokio::select! {
            outcomes = self.process(ts, &setup, &claimed, now) => outcomes?,
            () = renew => unreachable!("the renewal loop never ends"),
        };
        let stats = ts
            .record_dispatch(&self.options.worker, outcomes, self.clock.now())
            .await?;
        Ok((claimed.len() as u64, stats))
    }

    async fn process(
        &self,
        ts: &TenantStore,
        setup: &TenantSetup,
        claimed: &[Contact],
        now: DateTime<Utc>,
    ) -> Result<Vec<(ContactRef, DispatchOutcome)>, DispatchError> {
        let mut debtors: Vec<_> = claimed.iter().map(|c| c.debtor_id).collect();
        debtors.sort();
        debtors.dedup();
        let files = ts.dispatch_inputs(&debtors, now).await?;
        let files: BTreeMap<_, _> = files.iter().map(|f| (f.debtor.id, f)).collect();
        let rules = Rules {
            preset: setup.setup.preset,
            tenant: &setup.setup.tenant_policy,
            calendar: &setup.setup.calendar,
        };
        // The instalment a plan's message is about, read here (the rendering reads no store).
        let mut instalments = BTreeMap::new();
        for contact in claimed {
            if let Some(line) = crate::plans::instalment_line(ts, contact).await? {
                instalments.insert(contact.id, line);
            }
        }
        let mut outcomes = Vec::with_capacity(claimed.len());
        let mut sends = Vec::new();
        let mut jobs: Vec<(usize, Arc<Account>, recaudo_channels::OutboundMessage)> = Vec::new();
        for contact in claimed {
            let file = files.get(&contact.debtor_id).copied();
            let reference = ContactRef::from(contact);
            // A contact claimed again and again without a record (it crashes its dispatcher
            // each time) stops being sent.
            if contact.attempts > self.options.retry.max_attempts + MAX_CRASH_RECLAIMS {
                outcomes.push((
                    reference,
                    DispatchOutcome::Failed {
                        code: "too_many_attempts".into(),
                        error: format!("claimed {} times without an outcome", contact.attempts),
                        address_unusable: false,
                        fallback: None,
                    },
                ));
                continue;
            }
            if let Some(queue) = &contact.queue {
                let script = fallback::task_script(&setup.setup.library, contact);
                outcomes.push((
                    reference,
                    match recheck::debt_check(contact, file) {
                        Some(reason) => DispatchOutcome::Cancelled { reason },
                        None => DispatchOutcome::Task {
                            queue: queue.clone(),
                            script,
                        },
                    },
                ));
                continue;
            }
            let (file, point) = match recheck(contact, file, &rules, now) {
                Check::Go(file, point) => (file, point),
                Check::Defer { until, reason } => {
                    outcomes.push((reference, DispatchOutcome::Deferred { until, reason }));
                    continue;
                }
                Check::Cancel(reason) => {
                    outcomes.push((reference, DispatchOutcome::Cancelled { reason }));
                    continue;
                }
            };
            let Some(account) = setup.providers.for_channel(contact.channel) else {
                outcomes.push((
                    reference,
                    self.failed(
                        setup,
                        contact,
                        file,
                        now,
                        "no_provider",
                        "no provider account sends this channel".into(),
                        false,
                    ),
                ));
                continue;
            };
            match setup.renderer.message(
                ts.tenant(),
                contact,
                file,
                point,
                &account.name,
                instalments.get(&contact.id),
                now,
            ) {
                Ok(message) => {
                    jobs.push((sends.len(), account.clone(), message));
                    sends.push((contact, file, account.clone()));
                }
                Err(error) => outcomes.push((
                    reference,
                    self.failed(setup, contact, file, now, "render_error", error, false),
                )),
            }
        }
        // The sends own their messages (an index back into `sends` names the rest), so the
        // stream's futures borrow nothing of this call.
        let mut results: Vec<_> = futures::stream::iter(jobs)
            .map(send_one)
            .buffer_unordered(self.options.concurrency.max(1))
            .collect()
            .await;
        results.sort_by_key(|(i, _, _)| *i);
        let results = results.into_iter().map(|(i, message, result)| {
            let (contact, file, account) = &sends[i];
            (*contact, *file, account.clone(), message, result)
        });
        for (contact, file, account, message, result) in results {
            let reference = ContactRef::from(contact);
            let outcome = match result {
                Ok(ack) => DispatchOutcome::Sent {
                    provider: account.name.clone(),
                    provider_message_id: ack.provider_message_id,
                    cost: ack.cost.or_else(|| account.cost(contact.channel)),
                    content: serde_json::to_value(&message.content).unwrap_or_default(),
                    template: contact.template.clone(),
                },
                Err(SendError::Retryable {
                    message: error,
                    retry_after,
                }) => {
                    let draw = rand::random::<f64>();
                    match self
                        .options
                        .retry
                        .delay(contact.attempts, draw, retry_after)
                    {
                        Some(wait) => DispatchOutcome::Retry {
                            at: now
                                + chrono::Duration::from_std(wait)
                                    .unwrap_or(chrono::Duration::hours(4)),
                            error,
                        },
                        None => self.failed(
                            setup,
                            contact,
                            file,
                            now,
                            "retries_exhausted",
                            error,
                            false,
                        ),
                    }
                }
                Err(SendError::Permanent {
                    code,
                    message: error,
                    address_unusable,
                }) => self.failed(setup, contact, file, now, &code, error, address_unusable),
            };
            metrics::counter!(DISPATCHED_TOTAL, "channel" => contact.channel.as_str(), "outcome" => outcome_name(&outcome))
                .increment(1);
            outcomes.push((reference, outcome));
        }
        Ok(outcomes)
    }

    #[allow(clippy::too_many_arguments)]
    fn failed(
        &self,
        setup: &TenantSetup,
        contact: &Contact,
        file: &recaudo_domain::planner::DebtorFile,
        now: DateTime<Utc>,
        code: &str,
        error: String,
        address_unusable: bool,
    ) -> DispatchOutcome {
        let fallback = fallback::next_channel(
            &setup.setup.library,
            &setup.providers,
            contact,
            file,
            now,
            code,
        );
        DispatchOutcome::Failed {
            code: code.to_string(),
            error,
            address_unusable,
            fallback,
        }
    }
}

/// Sends one message through its account, within the account's rate.
async fn send_one(
    (index, account, message): (usize, Arc<Account>, recaudo_channels::OutboundMessage),
) -> (
    usize,
    recaudo_channels::OutboundMessage,
    Result<recaudo_channels::ProviderAck, SendError>,
) {
    account.slot().await;
    let started = std::time::Instant::now();
    let result = account.provider.send(&message).await;
    metrics::histogram!(PROVIDER_SECONDS, "provider" => account.provider.kind().as_str())
        .record(started.elapsed().as_secs_f64());
    (index, message, result)
}

fn outcome_name(outcome: &DispatchOutcome) -> &'static str {
    match outcome {
        DispatchOutcome::Sent { .. } => "sent",
        DispatchOutcome::Retry { .. } => "retry",
        DispatchOutcome::Deferred { .. } => "deferred",
        DispatchOutcome::Failed { .. } => "failed",
        DispatchOutcome::Cancelled { .. } => "cancelled",
        DispatchOutcome::Task { .. } => "task",
    }
}
