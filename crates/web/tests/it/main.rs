//! The crate's integration tests, one module per area, linked as one test binary; `fixtures`
//! holds what they share.

mod a11y;
mod agents;
mod bad_input;
mod browser;
mod cdp;
mod contact_rules;
mod dash;
mod dash_debtors;
mod dash_editors;
mod dash_kpis;
mod dash_login;
mod dash_ops;
mod dispatch_api;
mod docs_and_ops;
mod fixtures;
mod happy_path;
mod hooks;
mod inbox;
mod isolation;
mod kpis;
mod ledger;
mod messages;
mod payhooks;
mod plans;
mod portal;
mod portal_browser;
mod portal_pay;
mod templates;
