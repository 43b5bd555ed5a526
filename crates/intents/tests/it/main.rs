//! The crate's integration tests, one module per area, linked as one test binary; `fixtures`
//! holds what they share.

mod classify;
mod coverage_gaps;
mod dates;
mod fixtures;
mod fresh;
mod model;
