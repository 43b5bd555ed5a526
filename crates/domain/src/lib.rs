//! recaudo's domain: pure types and rules. No I/O, no async, no clock reads
//! (a [`clock::Clock`] is passed in by the caller).

#![forbid(unsafe_code)]

pub mod calendar;
pub mod clock;
pub mod contact;
pub mod conversation;
pub mod country;
pub mod documents;
pub mod event;
pub mod ids;
pub mod kpis;
pub mod money;
pub mod operators;
pub mod outbox;
pub mod planner;
pub mod plans;
pub mod policy;
pub mod portfolio;
pub mod retry;
pub mod search;
pub mod secret;
pub mod strategy;
pub mod tasks;

pub use clock::{Clock, FixedClock, OffsetClock, ScaledClock, SystemClock};
pub use country::Country;
pub use ids::*;
pub use money::{Currency, Money, MoneyError};
pub use secret::Secret;
