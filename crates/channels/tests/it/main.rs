//! The channels crate's integration tests: each provider's exact wire exchange against a local
//! server (wiremock for HTTP, a real SMTP server for email), and the templates.

mod letter;
mod sandbox;
mod smtp;
