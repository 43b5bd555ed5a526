//! The crate's integration tests, one module per area, linked as one test binary; `fixtures`
//! holds what they share.

mod contact_rules;
mod fast_conditions;
mod fixtures;
mod holidays;
mod planner;
mod planner_time_travel;
mod policy_evaluate;
mod policy_presets;
mod segments;
mod strategy;
mod strategy_schema;
