//! HMAC-SHA256 signatures of webhooks, compared in constant time.

use ring::hmac;

/// HMAC-SHA256 of `message` under `key`, as lower-case hex.
pub fn hmac_sha256_hex(key: &[u8], message: &[u8]) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    hex::encode(hmac::sign(&key, message).as_ref())
}

/// Whether hex `given` (either case) is the HMAC-SHA256 of `message` under `key`. `ring`
/// compares in time that does not depend on where the tags differ.
pub fn verify_sha256_hex(key: &[u8], message: &[u8], given: &str) -> bool {
    let Ok(tag) = hex::decode(given.trim()) else {
        return false;
    };
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    hmac::verify(&key, message, &tag).is_ok()
}

/// The value of a `sha256=<hex>` header (PIX, sandbox) for `body` under `secret`.
pub fn sha256_header(secret: &[u8], body: &[u8]) -> String {
    format!("sha256={}", hmac_sha256_hex(secret, body))
}

/// Checks a `sha256=<hex>` header against `body`.
pub fn verify_sha256_header(secret: &[u8], body: &[u8], header: Option<&str>) -> bool {
    match header.and_then(|h| h.trim().strip_prefix("sha256=")) {
        Some(hex) => verify_sha256_hex(secret, body, hex),
        None => false,
    }
}

/// A header's value as text, `None` when absent or not visible ASCII.
pub fn header<'a>(headers: &'a http::HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_rfc_4231_case_2() {
        let mac = hmac_sha256_hex(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            mac,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(verify_sha256_hex(
            b"Jefe",
            b"what do ya want for nothing?",
            &mac.to_uppercase()
        ));
        assert!(!verify_sha256_hex(b"Jefe", b"what do ya want?", &mac));
        assert!(!verify_sha256_hex(b"Jefe", b"x", "not hex"));
        assert!(verify_sha256_header(
            b"Jefe",
            b"what do ya want for nothing?",
            Some(&format!("sha256={mac}"))
        ));
        assert!(!verify_sha256_header(b"Jefe", b"x", Some(&mac)));
        assert!(!verify_sha256_header(b"Jefe", b"x", None));
    }
}
