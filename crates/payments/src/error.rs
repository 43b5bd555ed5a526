//! What can go wrong when a provider opens a checkout, reads a webhook or is configured.

use std::time::Duration;

/// A checkout that could not be opened. The caller matches on the variant: a retryable error
/// is worth another try later, a permanent one fails the same way again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    /// A timeout, a refused connection, a 429 or a 5xx.
    #[error("temporary failure: {message}")]
    Retryable {
        message: String,
        /// How long the provider asked us to wait (`Retry-After`), if it did.
        retry_after: Option<Duration>,
    },
    /// Bad credentials, a rejected amount or currency, an invalid request.
    #[error("permanent failure {code}: {message}")]
    Permanent {
        /// The provider's error code (`parameter_invalid_integer`, …) or ours (`currency`, …).
        code: String,
        message: String,
    },
}

impl PaymentError {
    pub fn retryable(message: impl Into<String>) -> PaymentError {
        PaymentError::Retryable {
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn permanent(code: impl Into<String>, message: impl Into<String>) -> PaymentError {
        PaymentError::Permanent {
            code: code.into(),
            message: message.into(),
        }
    }

    pub fn is_retryable(&self) -> bool {
        matches!(self, PaymentError::Retryable { .. })
    }
}

/// A webhook refused. The web layer answers 401 for `Unauthorized`, 400 for `Malformed` and
/// 502/503 for `Upstream` (the provider asks again later), and stores nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// What failed: `"signature"` (missing, malformed or not matching) or `"timestamp"` (too
    /// old or too far ahead).
    #[error("unauthorized webhook ({0})")]
    Unauthorized(&'static str),
    /// The body or a header is not what the provider sends; the message names the field.
    #[error("malformed webhook: {0}")]
    Malformed(String),
    /// The provider's API, asked for the details of a notification, did not answer usefully.
    #[error("provider unavailable: {0}")]
    Upstream(String),
}

/// A payment account's configuration refused: the field at fault and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ConfigError {
    pub field: String,
    pub message: String,
}

impl ConfigError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> ConfigError {
        ConfigError {
            field: field.into(),
            message: message.into(),
        }
    }
}
