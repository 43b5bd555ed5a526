//! Sealing provider credentials at rest: AES-256-GCM under a key from the configuration, a
//! fresh random nonce per value. A sealed value is `v1.<base64 nonce ‖ ciphertext ‖ tag>`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

use recaudo_domain::Secret;

const PREFIX: &str = "v1.";

/// The key that seals credentials. Built from the configured secret (`[secrets] key`, 32 bytes
/// as base64 or 64 hex digits).
pub struct SealingKey {
    key: LessSafeKey,
}

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey(***)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("the sealing key must be 32 bytes, as 64 hex digits or base64")]
    BadKey,
    #[error("a sealed value is damaged or was sealed under another key")]
    Unreadable,
}

impl SealingKey {
    /// Reads a key written as 64 hex digits or as base64 of 32 bytes.
    pub fn parse(text: &Secret<String>) -> Result<SealingKey, SealError> {
        let text = text.expose_secret().trim();
        let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(text).map_err(|_| SealError::BadKey)?
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|_| SealError::BadKey)?
        };
        SealingKey::from_bytes(&bytes)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<SealingKey, SealError> {
        let unbound = UnboundKey::new(&AES_256_GCM, bytes).map_err(|_| SealError::BadKey)?;
        Ok(SealingKey {
            key: LessSafeKey::new(unbound),
        })
    }

    /// A new random key, as 64 hex digits (what `recaudo` prints for a new install).
    pub fn generate_hex() -> Secret<String> {
        let mut bytes = [0u8; 32];
        SystemRandom::new()
            .fill(&mut bytes)
            .expect("the system's random source works");
        Secret::new(hex::encode(bytes))
    }

    pub fn seal(&self, plaintext: &[u8]) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .expect("the system's random source works");
        let mut buffer = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::empty(),
                &mut buffer,
            )
            .expect("AES-GCM seals any length a configuration has");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buffer);
        format!("{PREFIX}{}", STANDARD_NO_PAD.encode(out))
    }

    pub fn open(&self, sealed: &str) -> Result<Vec<u8>, SealError> {
        let body = sealed.strip_prefix(PREFIX).ok_or(SealError::Unreadable)?;
        let bytes = STANDARD_NO_PAD
            .decode(body)
            .map_err(|_| SealError::Unreadable)?;
        if bytes.len() < NONCE_LEN {
            return Err(SealError::Unreadable);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::Unreadable)?;
        let mut buffer = ciphertext.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::empty(), &mut buffer)
            .map_err(|_| SealError::Unreadable)?;
        Ok(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_under_its_key_only() {
        let key = SealingKey::parse(&SealingKey::generate_hex()).expect("key");
        let other = SealingKey::parse(&SealingKey::generate_hex()).expect("key");
        let sealed = key.seal(b"{\"auth_token\":\"tok\"}");
        assert!(!sealed.contains("tok"));
        assert_eq!(
            key.open(&sealed).expect("opens"),
            b"{\"auth_token\":\"tok\"}"
        );
        assert_eq!(other.open(&sealed), Err(SealError::Unreadable));
        assert_eq!(key.open("v1.AAAA"), Err(SealError::Unreadable));
        assert_ne!(
            key.seal(b"same"),
            key.seal(b"same"),
            "a fresh nonce each time"
        );
    }

    #[test]
    fn a_key_must_be_32_bytes() {
        assert_eq!(
            SealingKey::parse(&Secret::new("abcd".into())).map(|_| ()),
            Err(SealError::BadKey)
        );
    }
}
