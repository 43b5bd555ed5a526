//! The crate's integration tests, one module per area, linked as one test binary.

mod dispatch;
mod plan;
