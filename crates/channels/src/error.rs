//! What can go wrong when a provider sends a message or reads a webhook.

use std::time::Duration;

/// A send that did not go through. The dispatcher matches on the variant: a retryable error is
/// tried again later (after `retry_after` when the provider said so), a permanent one falls
/// back to the step's next channel and counts against the contact point.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth another try: a timeout, a 5xx, a 429, a refused connection, an SMTP 4xx.
    #[error("temporary failure: {message}")]
    Retryable {
        /// What the provider answered (or why nothing came back), for the contact's record.
        message: String,
        /// How long the provider asked us to wait (`Retry-After`), if it did.
        retry_after: Option<Duration>,
    },
    /// Will fail the same way again: an invalid number, a hard bounce, a rejected template,
    /// bad credentials.
    #[error("permanent failure {code}: {message}")]
    Permanent {
        /// The provider's error code (`21211`, `550`, `131026`, …) or ours (`no_address`).
        code: String,
        message: String,
        /// The address itself is unusable (hard bounce, invalid or unreachable number): the
        /// contact point is marked after repeated failures of this kind.
        address_unusable: bool,
    },
}

impl SendError {
    pub fn retryable(message: impl Into<String>) -> SendError {
        SendError::Retryable {
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn permanent(code: impl Into<String>, message: impl Into<String>) -> SendError {
        SendError::Permanent {
            code: code.into(),
            message: message.into(),
            address_unusable: false,
        }
    }

    /// A permanent failure that blames the address (hard bounce, invalid number).
    pub fn bad_address(code: impl Into<String>, message: impl Into<String>) -> SendError {
        SendError::Permanent {
            code: code.into(),
            message: message.into(),
            address_unusable: true,
        }
    }

    pub fn is_retryable(&self) -> bool {
        matches!(self, SendError::Retryable { .. })
    }
}

/// A webhook refused before anything is stored. The web layer answers 401 for the first two
/// and 400/413 for the others, and logs each.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("the request is not signed ({0})")]
    Unsigned(String),
    #[error("the signature does not match ({0})")]
    Forged(String),
    #[error("the request is malformed: {0}")]
    Malformed(String),
    #[error("the request is too large ({0} bytes)")]
    TooLarge(usize),
    /// The provider does not take webhooks of this kind.
    #[error("this provider takes no such webhook")]
    NotSupported,
}

/// A provider account's configuration refused when it is saved: the field at fault and why.
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

    pub fn missing(field: impl Into<String>) -> ConfigError {
        ConfigError::new(field, "is required")
    }
}
