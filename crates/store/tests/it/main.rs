//! The crate's integration tests, one module per area, linked as one test binary; `fixtures`
//! holds what they share.

mod fixtures;
mod ledger;
mod migrations;
mod planner_reads;
mod rules;
mod strategies;
mod suite;
