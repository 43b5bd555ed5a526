//! The payments crate's integration tests: BR Codes (built, parsed, drawn as QR and decoded
//! back by zbarimg), each provider's exact wire exchange against a local mock, webhook
//! signatures, and reconciliation files.

mod brcode;
mod fixtures;
mod mercadopago;
mod pix;
mod qr;
mod reconcile;
mod sandbox;
mod stripe;
