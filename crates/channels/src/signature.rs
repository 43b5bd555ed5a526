//! HMAC helpers for provider signatures, with constant-time comparison.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::hmac;

/// HMAC-SHA256 of `message` under `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    let key = hmac::Key::new(hmac::HMAC_SHA256, key);
    hmac::sign(&key, message).as_ref().to_vec()
}

/// HMAC-SHA1 of `message` under `key` (Twilio's request signatures).
pub fn hmac_sha1(key: &[u8], message: &[u8]) -> Vec<u8> {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, key);
    hmac::sign(&key, message).as_ref().to_vec()
}

/// Whether `expected` and `given` are equal, in time that does not depend on where they differ.
pub fn constant_time_eq(expected: &[u8], given: &[u8]) -> bool {
    if expected.len() != given.len() {
        return false;
    }
    expected
        .iter()
        .zip(given)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
        == 0
}

/// Whether base64 `given` is the HMAC-SHA256 of `message` under `key`.
pub fn verify_sha256_base64(key: &[u8], message: &[u8], given: &str) -> bool {
    match STANDARD.decode(given.trim()) {
        Ok(given) => constant_time_eq(&hmac_sha256(key, message), &given),
        Err(_) => false,
    }
}

/// Whether hex `given` is the HMAC-SHA256 of `message` under `key`.
pub fn verify_sha256_hex(key: &[u8], message: &[u8], given: &str) -> bool {
    match hex::decode(given.trim()) {
        Ok(given) => constant_time_eq(&hmac_sha256(key, message), &given),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_sha256_matches_rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(verify_sha256_hex(
            b"Jefe",
            b"what do ya want for nothing?",
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        ));
        assert!(!verify_sha256_hex(b"Jefe", b"what do ya want", "5bdc"));
    }

    #[test]
    fn hmac_sha1_matches_rfc_2202_case_2() {
        let mac = hmac_sha1(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(hex::encode(mac), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    }
}
