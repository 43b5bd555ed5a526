//! KPI reports of a tenant, served from memory: the tenant's facts
//! ([`TenantStore::kpi_facts`]) are loaded once and reloaded when older than
//! [`KpiCache::max_age`], and each report is computed once per query for the same facts.
//! The API (`GET /api/v1/kpis`), the dashboard and `recaudo kpis` all call
//! [`KpiCache::report`], so they give the same figures.
//!
//! Stale facts are reloaded before answering when the last load was quick (a small
//! portfolio: the figures follow every change within seconds); for a large portfolio the stale
//! facts answer while one reload runs in the background.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use recaudo_domain::TenantId;
use recaudo_domain::kpis::{Facts, KpiQuery, KpiReport, compute};
use recaudo_store::{StoreError, TenantStore};

/// How old facts may be before a report reloads them.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(5);
/// A reload that took less than this is done before answering; a longer one in the background.
pub const SYNC_RELOAD: Duration = Duration::from_millis(300);
/// Reports kept per tenant for the same facts (the oldest go first).
const REPORTS_PER_TENANT: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum KpiError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the KPI computation stopped: {0}")]
    Compute(String),
}

/// Facts of one tenant and the reports computed from them.
struct Loaded {
    facts: Arc<Facts>,
    /// By the injected clock.
    loaded_at: DateTime<Utc>,
    /// How long the load took (wall time).
    took: Duration,
    reports: HashMap<KpiQuery, Arc<KpiReport>>,
    order: Vec<KpiQuery>,
    /// A background reload is running.
    reloading: bool,
}

type Slot = Arc<tokio::sync::Mutex<Option<Loaded>>>;

/// The per-tenant cache. Cheap to share (`Arc<KpiCache>` in the web state).
pub struct KpiCache {
    max_age: Duration,
    tenants: Mutex<HashMap<TenantId, Slot>>,
}

impl Default for KpiCache {
    fn default() -> Self {
        KpiCache::new(DEFAULT_MAX_AGE)
    }
}

impl KpiCache {
    pub fn new(max_age: Duration) -> Self {
        KpiCache {
            max_age,
            tenants: Mutex::new(HashMap::new()),
        }
    }

    pub fn max_age(&self) -> Duration {
        self.max_age
    }

    fn slot(&self, tenant: &TenantId) -> Slot {
        let mut tenants = self.tenants.lock().unwrap_or_else(|e| e.into_inner());
        tenants.entry(*tenant).or_default().clone()
    }

    /// Forgets a tenant's facts: the next report loads them again.
    pub async fn invalidate(&self, tenant: &TenantId) {
        *self.slot(tenant).lock().await = None;
    }

    /// The report of `query` for `tenant`, as of facts at most [`max_age`](Self::max_age)
    /// old at `now` (or being reloaded, for a portfolio whose load is slow).
    pub async fn report(
        &self,
        tenant: &TenantStore,
        query: &KpiQuery,
        now: DateTime<Utc>,
    ) -> Result<Arc<KpiReport>, KpiError> {
        let slot = self.slot(&tenant.tenant().id);
        let mut guard = slot.lock().await;
        let max_age = chrono::Duration::from_std(self.max_age).unwrap_or(chrono::Duration::MAX);
        let stale = match guard.as_ref() {
            None => true,
            Some(loaded) => now - loaded.loaded_at >= max_age || now < loaded.loaded_at,
        };
        match guard.as_mut() {
            Some(loaded) if stale && loaded.took >= SYNC_RELOAD => {
                if loaded.reloading {
                    // One reload at a time: the stale facts answer meanwhile.
                } else {
                    loaded.reloading = true;
                    let (slot, tenant) = (slot.clone(), tenant.clone());
                    tokio::spawn(async move {
                        let fresh = load(&tenant, now).await;
                        let mut guard = slot.lock().await;
                        match fresh {
                            Ok(fresh) => *guard = Some(fresh),
                            Err(e) => {
                                tracing::warn!(error = %e, "reloading KPI facts failed");
                                if let Some(loaded) = guard.as_mut() {
                                    loaded.reloading = false;
                                }
                            }
                        }
                    });
                }
            }
            _ if stale => *guard = Some(load(tenant, now).await?),
            _ => {}
        }
        let Some(loaded) = guard.as_mut() else {
            return Err(KpiError::Compute("no facts loaded".into()));
        };
        if let Some(report) = loaded.reports.get(query) {
            return Ok(report.clone());
        }
        let facts = loaded.facts.clone();
        let q = query.clone();
        let report = tokio::task::spawn_blocking(move || compute(&facts, &q))
            .await
            .map_err(|e| KpiError::Compute(e.to_string()))?;
        let report = Arc::new(report);
        if loaded.order.len() >= REPORTS_PER_TENANT {
            let oldest = loaded.order.remove(0);
            loaded.reports.remove(&oldest);
        }
        loaded.order.push(query.clone());
        loaded.reports.insert(query.clone(), report.clone());
        Ok(report)
    }

    /// The facts the next report of `tenant` uses, loading them when needed (for benchmarks
    /// and diagnostics).
    pub async fn facts(
        &self,
        tenant: &TenantStore,
        now: DateTime<Utc>,
    ) -> Result<Arc<Facts>, KpiError> {
        let slot = self.slot(&tenant.tenant().id);
        let mut guard = slot.lock().await;
        if guard.is_none() {
            *guard = Some(load(tenant, now).await?);
        }
        match guard.as_ref() {
            Some(loaded) => Ok(loaded.facts.clone()),
            None => Err(KpiError::Compute("no facts loaded".into())),
        }
    }
}

async fn load(tenant: &TenantStore, now: DateTime<Utc>) -> Result<Loaded, KpiError> {
    let started = Instant::now();
    let facts = tenant.kpi_facts().await?;
    let took = started.elapsed();
    tracing::debug!(
        rows = facts.rows(),
        ms = took.as_millis() as u64,
        "KPI facts loaded"
    );
    Ok(Loaded {
        facts: Arc::new(facts),
        loaded_at: now,
        took,
        reports: HashMap::new(),
        order: Vec::new(),
        reloading: false,
    })
}
