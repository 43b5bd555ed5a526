//! Signed links a message carries: the debtor's portal (`/p/{token}`), the open pixel
//! (`/t/o/{token}`), click redirects (`/t/c/{token}?u=…`) and one-click unsubscribe
//! (`/t/u/{token}`). A token is the contact's id and a truncated HMAC-SHA256 of it and the
//! link's purpose, so a link names one contact, does one thing, and cannot be forged or moved
//! to another contact; it needs no table.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use chrono::{DateTime, Utc};
use recaudo_domain::{ContactId, DebtorId};

use crate::signature::{constant_time_eq, hmac_sha256};

/// What a link does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    Portal,
    Open,
    Click,
    Unsubscribe,
    /// An email's reply address (`r+TOKEN@…`): not a URL, and case-insensitive (mail servers
    /// may fold the local part), see [`LinkSigner::reply_token`].
    Reply,
    /// A debtor's portal link an agent sends by hand: it names the debtor and when it was
    /// issued (see [`LinkSigner::debtor_token`]), and is served under `/p/` like `Portal`.
    Debtor,
}

impl LinkPurpose {
    fn tag(self) -> &'static [u8] {
        match self {
            LinkPurpose::Portal => b"portal",
            LinkPurpose::Open => b"open",
            LinkPurpose::Click => b"click",
            LinkPurpose::Unsubscribe => b"unsubscribe",
            LinkPurpose::Reply => b"reply",
            LinkPurpose::Debtor => b"debtor",
        }
    }

    /// The path prefix the web layer serves the link under.
    pub fn path(self) -> &'static str {
        match self {
            LinkPurpose::Portal => "/p/",
            LinkPurpose::Open => "/t/o/",
            LinkPurpose::Click => "/t/c/",
            LinkPurpose::Unsubscribe => "/t/u/",
            LinkPurpose::Reply => "",
            LinkPurpose::Debtor => "/p/",
        }
    }
}

/// Bytes of HMAC kept in a token: 96 bits, 16 characters.
const MAC_BYTES: usize = 12;

/// Bytes of HMAC kept in a reply token: 80 bits, 20 hex characters.
const REPLY_MAC_BYTES: usize = 10;

/// Signs and checks link tokens under the installation's link key.
#[derive(Clone)]
pub struct LinkSigner {
    key: Vec<u8>,
    base_url: String,
}

impl std::fmt::Debug for LinkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkSigner")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl LinkSigner {
    /// `base_url`: where the installation answers (`http://127.0.0.1:8080`), without a
    /// trailing slash.
    pub fn new(key: &[u8], base_url: &str) -> LinkSigner {
        LinkSigner {
            key: hmac_sha256(key, b"recaudo links v1"),
            base_url: base_url.trim_end_matches('/').to_string(),
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    fn mac(&self, purpose: LinkPurpose, id: &str) -> Vec<u8> {
        let mut message = purpose.tag().to_vec();
        message.push(b':');
        message.extend_from_slice(id.as_bytes());
        let mut mac = hmac_sha256(&self.key, &message);
        mac.truncate(MAC_BYTES);
        mac
    }

    /// The token of a contact's link.
    pub fn token(&self, purpose: LinkPurpose, contact: ContactId) -> String {
        let id = contact.to_string();
        let ulid = id.trim_start_matches("ctc_");
        format!("{ulid}{}", URL_SAFE_NO_PAD.encode(self.mac(purpose, ulid)))
    }

    /// The full URL of a contact's link.
    pub fn url(&self, purpose: LinkPurpose, contact: ContactId) -> String {
        format!(
            "{}{}{}",
            self.base_url,
            purpose.path(),
            self.token(purpose, contact)
        )
    }

    /// The token of a contact's email reply address: the ULID and 80 bits of MAC in lower-case
    /// hex (46 characters), which survive a mail server folding the address's case.
    pub fn reply_token(&self, contact: ContactId) -> String {
        let id = contact.to_string();
        let ulid = id.trim_start_matches("ctc_").to_ascii_lowercase();
        let mac = self.mac(LinkPurpose::Reply, &ulid);
        let hex: String = mac[..REPLY_MAC_BYTES]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("{ulid}{hex}")
    }

    /// The contact a reply token names, if it is genuine (any case).
    pub fn verify_reply(&self, token: &str) -> Option<ContactId> {
        if token.len() != 26 + 2 * REPLY_MAC_BYTES || !token.is_ascii() {
            return None;
        }
        let token = token.to_ascii_lowercase();
        let (ulid, given) = token.split_at(26);
        let mac = self.mac(LinkPurpose::Reply, ulid);
        let expected: String = mac[..REPLY_MAC_BYTES]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        if !constant_time_eq(expected.as_bytes(), given.as_bytes()) {
            return None;
        }
        format!("ctc_{}", ulid.to_ascii_uppercase()).parse().ok()
    }

    /// The token of a debtor's own portal link, issued at `issued` (whole seconds): the
    /// debtor's ULID, the issue time as 8 hex digits of Unix seconds, and the MAC of both
    /// (50 characters, so it never reads as a contact's 42-character token).
    pub fn debtor_token(&self, debtor: DebtorId, issued: DateTime<Utc>) -> String {
        let id = debtor.to_string();
        let ulid = id.trim_start_matches("dbr_");
        let seconds = u32::try_from(issued.timestamp().max(0)).unwrap_or(u32::MAX);
        let payload = format!("{ulid}{seconds:08x}");
        let mac = URL_SAFE_NO_PAD.encode(self.mac(LinkPurpose::Debtor, &payload));
        format!("{payload}{mac}")
    }

    /// The full URL of a debtor's own portal link.
    pub fn debtor_url(&self, debtor: DebtorId, issued: DateTime<Utc>) -> String {
        format!("{}/p/{}", self.base_url, self.debtor_token(debtor, issued))
    }

    /// The debtor and issue time a debtor token names, if it is genuine.
    pub fn verify_debtor(&self, token: &str) -> Option<(DebtorId, DateTime<Utc>)> {
        if token.len() != 26 + 8 + 16 || !token.is_ascii() {
            return None;
        }
        let (payload, mac) = token.split_at(34);
        let given = URL_SAFE_NO_PAD.decode(mac).ok()?;
        if !constant_time_eq(&self.mac(LinkPurpose::Debtor, payload), &given) {
            return None;
        }
        let (ulid, seconds) = payload.split_at(26);
        let seconds = u32::from_str_radix(seconds, 16).ok()?;
        let issued = DateTime::from_timestamp(i64::from(seconds), 0)?;
        Some((format!("dbr_{ulid}").parse().ok()?, issued))
    }

    /// A form's anti-forgery value: HMAC of "csrf", the page's token, the form's name and the
    /// hour it was issued (hours since the Unix epoch), as 22 URL-safe characters.
    pub fn csrf(&self, token: &str, form: &str, hour: i64) -> String {
        let mut message = b"csrf:".to_vec();
        message.extend_from_slice(token.as_bytes());
        message.push(b':');
        message.extend_from_slice(form.as_bytes());
        message.push(b':');
        message.extend_from_slice(hour.to_string().as_bytes());
        let mut mac = hmac_sha256(&self.key, &message);
        mac.truncate(16);
        URL_SAFE_NO_PAD.encode(mac)
    }

    /// Whether `given` is the anti-forgery value of this form issued at `hour` (constant time).
    pub fn csrf_matches(&self, token: &str, form: &str, hour: i64, given: &str) -> bool {
        constant_time_eq(self.csrf(token, form, hour).as_bytes(), given.as_bytes())
    }

    /// The contact a token names, if it is genuine and for `purpose`.
    pub fn verify(&self, purpose: LinkPurpose, token: &str) -> Option<ContactId> {
        if token.len() != 26 + 16 || !token.is_ascii() {
            return None;
        }
        let (ulid, mac) = token.split_at(26);
        let given = URL_SAFE_NO_PAD.decode(mac).ok()?;
        if !constant_time_eq(&self.mac(purpose, ulid), &given) {
            return None;
        }
        format!("ctc_{ulid}").parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_names_its_contact_for_its_purpose_only() {
        let signer = LinkSigner::new(b"key", "http://127.0.0.1:8080/");
        let other = LinkSigner::new(b"other key", "http://127.0.0.1:8080");
        let contact = ContactId::generate();
        let token = signer.token(LinkPurpose::Portal, contact);
        assert_eq!(token.len(), 42);
        assert_eq!(signer.verify(LinkPurpose::Portal, &token), Some(contact));
        assert_eq!(signer.verify(LinkPurpose::Unsubscribe, &token), None);
        assert_eq!(other.verify(LinkPurpose::Portal, &token), None);
        let mut forged = token.clone();
        forged.replace_range(41.., if token.ends_with('A') { "B" } else { "A" });
        assert_eq!(signer.verify(LinkPurpose::Portal, &forged), None);
        assert_eq!(signer.verify(LinkPurpose::Portal, "short"), None);
        assert_eq!(signer.verify(LinkPurpose::Portal, &"é".repeat(21)), None);
        let reply = signer.reply_token(contact);
        assert_eq!(reply.len(), 46);
        assert_eq!(signer.verify_reply(&reply), Some(contact));
        assert_eq!(
            signer.verify_reply(&reply.to_ascii_uppercase()),
            Some(contact)
        );
        assert_eq!(other.verify_reply(&reply), None);
        assert_eq!(signer.verify_reply(&token), None);
        assert!(
            signer
                .url(LinkPurpose::Open, contact)
                .starts_with("http://127.0.0.1:8080/t/o/")
        );
    }

    #[test]
    fn a_debtor_token_names_its_debtor_and_issue_time() {
        let signer = LinkSigner::new(b"key", "http://127.0.0.1:8080");
        let other = LinkSigner::new(b"other key", "http://127.0.0.1:8080");
        let debtor = DebtorId::generate();
        let issued = DateTime::from_timestamp(1_795_000_000, 0).expect("a time");
        let token = signer.debtor_token(debtor, issued);
        assert_eq!(token.len(), 50);
        assert_eq!(signer.verify_debtor(&token), Some((debtor, issued)));
        assert_eq!(other.verify_debtor(&token), None);
        assert_eq!(signer.verify(LinkPurpose::Portal, &token), None);
        // Moving the issue time (to escape expiry) breaks the MAC.
        let mut later = token.clone();
        later.replace_range(26..34, &format!("{:08x}", 1_795_000_000u32 + 86_400));
        assert_eq!(signer.verify_debtor(&later), None);
        let contact = signer.token(LinkPurpose::Portal, ContactId::generate());
        assert_eq!(signer.verify_debtor(&contact), None);
        assert!(
            signer
                .debtor_url(debtor, issued)
                .starts_with("http://127.0.0.1:8080/p/")
        );
        let csrf = signer.csrf(&token, "promise", 10);
        assert!(signer.csrf_matches(&token, "promise", 10, &csrf));
        assert!(!signer.csrf_matches(&token, "promise", 11, &csrf));
        assert!(!signer.csrf_matches(&token, "dispute", 10, &csrf));
        assert!(!other.csrf_matches(&token, "promise", 10, &csrf));
    }
}
