//! What the HTTP providers share: how a failed request, a `Retry-After` header and a long
//! answer become our errors, and the check of a configured URL.

use std::time::Duration;

use crate::{ConfigError, SendError};

/// At most this many characters of a provider's answer go into a contact's record.
pub(crate) const MAX_ERROR_TEXT: usize = 500;

/// Checks that a configured URL is absolute http(s) with a host.
pub(crate) fn validate_http_url(field: &str, url: &str) -> Result<(), ConfigError> {
    if url.is_empty() {
        return Err(ConfigError::missing(field));
    }
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') && !rest.contains(' ') => Ok(()),
        _ => Err(ConfigError::new(
            field,
            "must be an absolute http:// or https:// URL",
        )),
    }
}

/// Timeouts, refused connections and broken answers are worth another try.
pub(crate) fn transport_error(error: reqwest::Error) -> SendError {
    if error.is_builder() {
        return SendError::permanent("request", error.to_string());
    }
    let what = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    SendError::retryable(format!("{what}: {error}"))
}

/// `Retry-After` in seconds, when the answer has it in that form.
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// At most [`MAX_ERROR_TEXT`] characters of a provider's answer, for the contact's record.
pub(crate) fn clip(text: &str) -> String {
    match text.char_indices().nth(MAX_ERROR_TEXT) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_keeps_short_texts_and_cuts_long_ones_on_a_char_boundary() {
        assert_eq!(clip("abc"), "abc");
        let long = "é".repeat(600);
        let clipped = clip(&long);
        assert_eq!(clipped.chars().count(), MAX_ERROR_TEXT + 1);
    }
}
