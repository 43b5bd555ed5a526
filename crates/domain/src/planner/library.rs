//! The strategies a tenant has, as the planner chooses from them: every stored version, the
//! active ones in priority order, and what their conditions read.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::event::EventKind;
use crate::strategy::{CompiledStrategy, Placement, Segments};

/// The strategies a tenant has: every stored version a debt may follow, and the active ones (the
/// latest non-retired version of each) that new debts choose from.
#[derive(Debug, Default)]
pub struct StrategyLibrary {
    versions: Vec<Arc<CompiledStrategy>>,
    /// Indexes into `versions`, highest priority first, then by id.
    active: Vec<usize>,
}

impl StrategyLibrary {
    /// `active`: the choice list for new debts; `others`: older or retired versions that debts
    /// may still follow.
    pub fn new(active: Vec<CompiledStrategy>, others: Vec<CompiledStrategy>) -> StrategyLibrary {
        let active_count = active.len();
        let mut versions: Vec<Arc<CompiledStrategy>> = active.into_iter().map(Arc::new).collect();
        versions.extend(others.into_iter().map(Arc::new));
        let mut order: Vec<usize> = (0..active_count).collect();
        order.sort_by(|a, b| {
            let (x, y) = (&versions[*a].strategy, &versions[*b].strategy);
            y.priority.cmp(&x.priority).then_with(|| x.id.cmp(&y.id))
        });
        StrategyLibrary {
            versions,
            active: order,
        }
    }

    /// The version `version` of strategy `id`.
    pub fn get(&self, id: &str, version: u32) -> Option<&CompiledStrategy> {
        self.versions
            .iter()
            .map(AsRef::as_ref)
            .find(|s| s.strategy.id == id && s.strategy.version == version)
    }

    /// The active strategies, in the order new debts try them.
    pub fn active(&self) -> impl Iterator<Item = &CompiledStrategy> {
        self.active.iter().map(|i| self.versions[*i].as_ref())
    }

    pub fn is_empty(&self) -> bool {
        self.versions.is_empty()
    }

    /// Whether any condition of these strategies or of `segments` may read
    /// `debtor.attributes`: when none does, the store need not decode them.
    pub fn reads_attributes(&self, segments: &Segments) -> bool {
        self.versions
            .iter()
            .flat_map(|s| s.conditions.iter())
            .chain(segments.list().iter().map(|s| &s.condition))
            .any(|c| c.reads_attributes())
    }

    /// The event kinds planning can depend on with these strategies (every version) and
    /// `segments`, or `None` for every kind: the kinds their conditions can read (see
    /// [`strategy::Condition::event_kinds`](crate::strategy::Condition::event_kinds)), those
    /// their steps wait for or are placed after, and `replied` (a call answered counts as a
    /// conversation under the policy). A debtor's events of other kinds can be left out of
    /// their [`DebtorFile`](super::DebtorFile) without changing the plan.
    pub fn event_kinds(&self, segments: &Segments) -> Option<BTreeSet<EventKind>> {
        let mut names = BTreeSet::new();
        let conditions = self
            .versions
            .iter()
            .flat_map(|s| s.conditions.iter())
            .chain(segments.list().iter().map(|s| &s.condition));
        for condition in conditions {
            names.extend(condition.event_kinds()?);
        }
        let mut kinds: BTreeSet<EventKind> = names.iter().filter_map(|n| n.parse().ok()).collect();
        kinds.insert(EventKind::Replied);
        for step in self.versions.iter().flat_map(|s| s.strategy.steps.iter()) {
            if let Some(Placement::After { event, .. }) = &step.at {
                kinds.insert(*event);
            }
            if let Some(wait) = &step.wait_for {
                kinds.extend(wait.any.iter().copied());
            }
        }
        Some(kinds)
    }
}
