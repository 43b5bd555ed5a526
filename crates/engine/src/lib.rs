//! recaudo's engine: runs the planner over a tenant's portfolio (GUIDE §1).
//!
//! [`PlanSetup::load`] gathers what does not change during a run: the tenant's jurisdiction
//! preset and holidays, its strategies (compiled once per version), the segments. [`plan_tenant`]
//! then streams the portfolio in batches of debtors: while one batch is planned (on every core),
//! the next is read; unless it is a dry run, the store's writer (`TenantStore::plan_writer`)
//! writes the planned batches in order, a few to a transaction.

#![forbid(unsafe_code)]

pub mod dispatch;
pub mod inbound;
pub mod kpis;
pub mod payments;
mod plan;
pub mod plans;
pub mod preview;

pub use plan::{
    CONTACTS_WRITTEN_TOTAL, DECISIONS_TOTAL, DEFAULT_BATCH, PlanError, PlanReport, PlanRunOptions,
    PlanSetup, RUN_SECONDS, RUNS_TOTAL, explain_debt, plan_all, plan_on_schedule, plan_tenant,
};
