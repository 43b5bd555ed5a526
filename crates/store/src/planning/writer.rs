//! The planner's writer: one task that stores a run's planned batches in order, a few at a
//! time, while the next batches are read and planned.

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tokio::task::{JoinError, JoinHandle};

use recaudo_domain::planner::DebtorPlan;

use super::PlanWrite;
use crate::sqlite::planning::{Checkpoints, PlanRows};
use crate::{Result, TenantStore};

/// Batches the writer stores in one transaction at most: those that queued up while it wrote.
/// Also how many planned batches wait for it at most: enough to keep it busy while the next
/// ones are planned (and to write together), few enough to keep memory flat.
const WRITE_GROUP: usize = 4;

/// Batches the writer waits for before a transaction (fewer only at the end of the run): every
/// commit writes the B-trees' last pages and their parents again, so fewer commits write fewer
/// bytes (docs/benchmarks.md). The writer is rarely waited for, so waiting costs the planners
/// nothing.
const WRITE_AT_LEAST: usize = 3;

/// A batch's plans made ready for the writer off it, on the thread that planned them (where
/// the plans are still in the core's cache): on SQLite their rows laid out
/// ([`PlanRows`]); on PostgreSQL nothing, it writes from the plans.
pub struct PreparedPlans {
    rows: Option<PlanRows>,
}

/// Prepares batches for a [`PlanWriter`]; cheap to clone into each planning thread.
#[derive(Debug, Clone, Copy)]
pub struct PlanPreparer {
    sqlite: bool,
    now: DateTime<Utc>,
}

impl PlanPreparer {
    /// `plans` as the writer stores them.
    pub fn prepare(&self, plans: &[DebtorPlan]) -> PreparedPlans {
        PreparedPlans {
            rows: self.sqlite.then(|| PlanRows::new(plans, self.now)),
        }
    }
}

/// What a [`PlanWriter`] did over a run.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WriteStats {
    pub written: PlanWrite,
    /// Transactions it took (queued batches are written together).
    pub transactions: u64,
    /// Seconds of writing (the transactions, one at a time).
    pub seconds: f64,
}

/// A planned batch in the writer's queue.
type Queued = (Vec<DebtorPlan>, PreparedPlans);

/// The writer of a planning run ([`TenantStore::plan_writer`]): fed batches in order through a
/// short queue, it stores them one transaction at a time (at least [`WRITE_AT_LEAST`] batches,
/// with those that queued up meanwhile, up to [`WRITE_GROUP`]), and after each lets a passive
/// checkpoint copy the WAL's pages into the database on another connection (one at a time; a
/// failed one leaves them for the next). It stops at the first failed write.
pub struct PlanWriter {
    preparer: PlanPreparer,
    queue: mpsc::Sender<Queued>,
    task: JoinHandle<Result<WriteStats>>,
}

impl TenantStore {
    /// Starts the writer of a planning run at `now`, on a task of the current tokio runtime.
    pub fn plan_writer(&self, now: DateTime<Utc>) -> PlanWriter {
        let (queue, rx) = mpsc::channel::<Queued>(WRITE_GROUP);
        PlanWriter {
            preparer: PlanPreparer {
                sqlite: self.is_sqlite(),
                now,
            },
            queue,
            task: tokio::spawn(write_batches(self.clone(), rx, now)),
        }
    }
}

impl PlanWriter {
    /// How to prepare batches for this writer, off it.
    pub fn preparer(&self) -> PlanPreparer {
        self.preparer
    }

    /// Queues a batch's plans, waiting while the queue is full. False when the writer has
    /// stopped on an error, which [`PlanWriter::finish`] returns.
    pub async fn push(&self, plans: Vec<DebtorPlan>, prepared: PreparedPlans) -> bool {
        self.queue.send((plans, prepared)).await.is_ok()
    }

    /// Waits for the batches queued to be written (and the last checkpoint under way). The
    /// outer error: the writer's task panicked or was cancelled.
    pub async fn finish(self) -> Result<Result<WriteStats>, JoinError> {
        drop(self.queue);
        self.task.await
    }
}

/// The writer's task (see [`PlanWriter`]).
async fn write_batches(
    ts: TenantStore,
    mut queue: mpsc::Receiver<Queued>,
    now: DateTime<Utc>,
) -> Result<WriteStats> {
    let mut out = WriteStats::default();
    let mut checkpoints = Checkpoints::default();
    while let Some(first) = queue.recv().await {
        let mut group = vec![first];
        while group.len() < WRITE_AT_LEAST {
            match queue.recv().await {
                Some(next) => group.push(next),
                None => break,
            }
        }
        while group.len() < WRITE_GROUP {
            match queue.try_recv() {
                Ok(next) => group.push(next),
                Err(_) => break,
            }
        }
        let started = std::time::Instant::now();
        let batches: Vec<(&[DebtorPlan], Option<&PlanRows>)> = group
            .iter()
            .map(|(plans, prepared)| (plans.as_slice(), prepared.rows.as_ref()))
            .collect();
        let written = ts.write_plan_batches(&batches, now).await?;
        drop(batches);
        out.seconds += started.elapsed().as_secs_f64();
        out.written += written;
        out.transactions += 1;
        discard(group);
        if let crate::Backend::Sqlite(pool) = &ts.store.backend {
            checkpoints.start(pool);
        }
    }
    checkpoints.finish().await;
    Ok(out)
}

/// Frees a group's plans on the blocking pool: a few hundred thousand allocations per batch,
/// which kept the writer from its next step.
fn discard<T: Send + 'static>(plans: T) {
    tokio::task::spawn_blocking(move || drop(plans));
}
