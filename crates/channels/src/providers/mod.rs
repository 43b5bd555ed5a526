//! One module per provider: its configuration, wire types and the mapping to ours.

mod http;
pub mod http_sms;
pub mod letter;
pub mod sandbox;
pub mod smtp;
pub mod twilio;
pub mod twilio_sms;
pub mod twilio_voice;
pub mod webhook;
pub mod whatsapp_cloud;

use recaudo_domain::Secret;

/// Serializes a secret as `***`: a provider's configuration is shown (API answers, logs) with its
/// credentials masked; the sealed copy at rest keeps what the tenant sent.
pub fn mask_secret<S: serde::Serializer>(
    _: &Secret<String>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str("***")
}

/// [`mask_secret`] for an optional secret.
pub fn mask_optional_secret<S: serde::Serializer>(
    secret: &Option<Secret<String>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match secret {
        Some(_) => serializer.serialize_str("***"),
        None => serializer.serialize_none(),
    }
}
