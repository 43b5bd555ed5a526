//! The channels crate's integration tests: each provider's exact wire exchange against a local
//! server (wiremock for HTTP, a real SMTP server for email, a real SMTP client for the built-in receiver), and the templates.

mod http_sms;
mod inbound;
mod inbound_email;
mod inbound_props;
mod letter;
mod sandbox;
mod smtp;
mod smtp_receiver;
mod templates;
mod twilio_sms;
mod twilio_voice;
mod webhook;
mod whatsapp_cloud;
