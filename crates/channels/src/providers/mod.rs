//! One module per provider: its configuration, wire types and the mapping to ours.

pub mod sandbox;
