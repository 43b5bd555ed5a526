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

/// `scheme://user:***@host/db?password=***`: every password of a URL hidden, the rest kept so
/// a log or an error still says which database. For logs and error messages of a URL that may
/// be malformed: the user part ends at the last `@` before the query, so that a password
/// written with a `/` or an `@` unescaped is hidden whole too.
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, url),
    };
    let query_start = rest.find('?').unwrap_or(rest.len());
    let (user_info, location) = match rest[..query_start].rfind('@') {
        Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
        None => (None, rest),
    };
    let (location, query) = match location.split_once('?') {
        Some((l, q)) => (l, Some(q)),
        None => (location, None),
    };
    let mut out = String::with_capacity(url.len());
    if let Some(scheme) = scheme {
        out.push_str(scheme);
        out.push_str("://");
    }
    if let Some(user_info) = user_info {
        match user_info.split_once(':') {
            Some((user, _password)) => {
                out.push_str(user);
                out.push_str(":***");
            }
            None => out.push_str(user_info),
        }
        out.push('@');
    }
    out.push_str(location);
    if let Some(query) = query {
        out.push('?');
        let params: Vec<String> = query
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => p.to_string(),
            })
            .collect();
        out.push_str(&params.join("&"));
    }
    out
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

    #[test]
    fn urls_print_without_their_passwords() {
        let cases = [
            ("sqlite://recaudo.db", "sqlite://recaudo.db"),
            ("sqlite:recaudo.db?mode=rwc", "sqlite:recaudo.db?mode=rwc"),
            (
                "postgres://postgres@127.0.0.1:5432/test",
                "postgres://postgres@127.0.0.1:5432/test",
            ),
            (
                "postgres://app:p%40ss:w@db:5432/r",
                "postgres://app:***@db:5432/r",
            ),
            (
                "postgres://app:pw@db/r?sslmode=require&password=pw2",
                "postgres://app:***@db/r?sslmode=require&password=***",
            ),
            (
                "postgres://db/r?user=app&PASSWORD=pw",
                "postgres://db/r?user=app&PASSWORD=***",
            ),
            (
                "postgres://db/r?user=me@example.org&password=pw",
                "postgres://db/r?user=me@example.org&password=***",
            ),
            ("postgres://a:b@c@db/r", "postgres://a:***@db/r"),
            ("mysql://root:pa/ss@db:3306/r", "mysql://root:***@db:3306/r"),
            ("root:pw@db/r", "root:***@db/r"),
        ];
        for (url, shown) in cases {
            assert_eq!(redact_url(url), shown, "{url}");
        }
    }
}
