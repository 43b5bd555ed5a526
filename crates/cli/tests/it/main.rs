//! The crate's integration tests, one module per area, linked as one test binary; `fixtures`
//! holds what they share.

mod admin;
mod bench;
mod calendar;
mod classify;
mod cli;
mod crash;
mod fixtures;
mod import;
mod inbound;
mod inbound_smtp;
mod kpis;
mod payments;
mod pix;
mod plan;
mod providers;
mod rules;
mod sending;
mod strategy;
mod templates;
