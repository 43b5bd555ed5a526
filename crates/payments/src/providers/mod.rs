//! One file per payment provider: its configuration, its wire types and their mapping to ours.

pub mod mercadopago;
pub mod pix;
pub mod sandbox;
pub mod stripe;
