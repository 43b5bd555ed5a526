//! Values that must never reach a log: API keys, passwords, provider credentials.

use std::fmt;

use serde::{Deserialize, Deserializer};

/// A value whose `Debug` and `Display` print `***`. It is reached only through
/// [`Secret::expose_secret`], so every place that shows or sends it says so. It deserializes
/// (configuration files) but does not serialize: writing it out means exposing it first.
#[derive(Clone, Default)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub const fn new(value: T) -> Self {
        Secret(value)
    }

    /// The value itself, for the one place that needs it (a hash, a header, the answer that
    /// shows a new key once).
    pub fn expose_secret(&self) -> &T {
        &self.0
    }
}

impl<T> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Secret(value)
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Secret<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_stars_and_exposes_on_request() {
        let key = Secret::new("rk_live_abc".to_string());
        assert_eq!(format!("{key:?}"), "***");
        assert_eq!(format!("{key}"), "***");
        assert_eq!(format!("{:?}", Some(&key)), "Some(***)");
        assert_eq!(key.expose_secret(), "rk_live_abc");
        let read: Secret<String> = serde_json::from_str("\"pw\"").expect("a JSON string");
        assert_eq!(read.expose_secret(), "pw");
    }
}
