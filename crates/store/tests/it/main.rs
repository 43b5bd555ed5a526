//! The crate's integration tests, one module per area, linked as one test binary; `fixtures`
//! holds what they share.

mod accounts_and_tasks;
mod contact_rules;
mod fixtures;
mod kpis;
mod ledger;
mod migrations;
mod operators;
mod outbox_ops;
mod planner_reads;
mod plans;
mod rules;
mod search_and_erasure;
mod strategies;
mod suite;
