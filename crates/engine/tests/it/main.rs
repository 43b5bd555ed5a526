//! The crate's integration tests, one module per area, linked as one test binary.

mod conversations;
mod dispatch;
mod dispatch_failures;
mod kpis;
mod payments;
mod plan;
mod plans;
mod retry;
