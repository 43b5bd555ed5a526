//! Who a message is from: the contact it answers when the message names it, else the debtor
//! whose contact point has the sender's address, when exactly one has it.

use recaudo_domain::contact::{normalize_email, normalize_phone};
use recaudo_domain::country::Country;
use recaudo_domain::outbox::Contact;
use recaudo_domain::portfolio::{Channel, Debtor};
use recaudo_domain::{ContactId, ContactPointId, DebtorId};
use recaudo_store::{StoreError, TenantStore};

use super::{Conversations, Inbound};

/// What a message was matched to.
#[derive(Debug, Clone)]
pub struct Match {
    /// How: `contact`, `reply_token`, `provider_message`, `address`, `ambiguous`, `unknown`.
    pub by: &'static str,
    pub debtor: Option<Debtor>,
    /// The contact it answers (named by the message, or the last one sent to the debtor).
    pub contact: Option<Contact>,
    /// The debtor's contact point it came from: where an answer goes.
    pub point: Option<ContactPointId>,
    /// The sender's address, normalised (E.164, lower-cased email) when it can be.
    pub address: String,
    pub candidates: Vec<DebtorId>,
}

impl Match {
    /// A sender nobody has.
    fn nobody(address: String) -> Match {
        Match {
            by: "unknown",
            debtor: None,
            contact: None,
            point: None,
            address,
            candidates: vec![],
        }
    }
}

/// The sender's address as contact points store it: E.164 for phones (read in the tenant's
/// country when it has no country code), the bare lower-cased address for email. An address
/// that does not read is kept as given (trimmed): it matches nobody.
pub fn normalize_sender(channel: Channel, from: &str, region: Country) -> String {
    let from = from.trim();
    match channel {
        Channel::Email => {
            // `Ana <ana@example.com>`: the address inside the brackets.
            let bare = match (from.rfind('<'), from.rfind('>')) {
                (Some(open), Some(close)) if open < close => &from[open + 1..close],
                _ => from,
            };
            normalize_email(bare).unwrap_or_else(|_| bare.trim().to_lowercase())
        }
        Channel::Sms | Channel::Whatsapp | Channel::Voice => {
            // Twilio's `whatsapp:+57…` form.
            let number = from.strip_prefix("whatsapp:").unwrap_or(from);
            normalize_phone(number, region).unwrap_or_else(|_| number.to_string())
        }
        Channel::Letter => from.to_string(),
    }
}

/// The channels whose contact points share an address space with `channel`: a phone number is
/// one person's on SMS, WhatsApp and calls alike.
fn same_address_channels(channel: Channel) -> &'static [Channel] {
    match channel {
        Channel::Email => &[Channel::Email],
        Channel::Letter => &[Channel::Letter],
        _ => &[Channel::Sms, Channel::Whatsapp, Channel::Voice],
    }
}

async fn contact(ts: &TenantStore, id: ContactId) -> Result<Option<Contact>, StoreError> {
    match ts.get_contact(id).await {
        Ok(contact) => Ok(Some(contact)),
        Err(StoreError::NotFound { .. }) => Ok(None),
        Err(error) => Err(error),
    }
}

async fn debtor(ts: &TenantStore, id: DebtorId) -> Result<Option<Debtor>, StoreError> {
    match ts.get_debtor(id).await {
        Ok(debtor) => Ok(Some(debtor)),
        // Erased meanwhile: nobody to answer.
        Err(StoreError::NotFound { .. }) => Ok(None),
        Err(error) => Err(error),
    }
}

/// Matches `inbound` (see the module's doc).
pub(super) async fn find(
    ts: &TenantStore,
    conversations: &Conversations,
    inbound: &Inbound,
) -> Result<Match, StoreError> {
    let mut by = "contact";
    let mut found = match inbound.contact_id {
        Some(id) => contact(ts, id).await?,
        None => None,
    };
    if found.is_none()
        && let Some(token) = &inbound.reply_token
        && let Some(links) = &conversations.links
        && let Some(id) = links.verify_reply(token)
    {
        by = "reply_token";
        found = contact(ts, id).await?;
    }
    if found.is_none()
        && let Some(answered) = &inbound.in_reply_to
    {
        by = "provider_message";
        found = ts.contact_by_provider_message(answered).await?;
    }
    let channel = inbound
        .channel
        .or(found.as_ref().map(|c| c.channel))
        .unwrap_or(Channel::Sms);
    let address = normalize_sender(channel, &inbound.from, ts.tenant().country);
    if let Some(contact) = found
        && let Some(debtor) = debtor(ts, contact.debtor_id).await?
    {
        let owners = ts
            .owners_of_address(&address, same_address_channels(channel))
            .await?;
        // The debtor's own point on this channel with this address, else the contact's.
        let point = owners
            .iter()
            .find(|o| o.debtor_id == debtor.id && o.channel == channel.as_str())
            .map(|o| o.contact_point_id)
            .or(contact.contact_point_id);
        return Ok(Match {
            by,
            debtor: Some(debtor),
            contact: Some(contact),
            point,
            address,
            candidates: vec![],
        });
    }
    let owners = ts
        .owners_of_address(&address, same_address_channels(channel))
        .await?;
    let mut debtors: Vec<DebtorId> = owners.iter().map(|o| o.debtor_id).collect();
    debtors.dedup();
    match debtors.as_slice() {
        [] => Ok(Match::nobody(address)),
        [only] => {
            let Some(debtor) = debtor(ts, *only).await? else {
                return Ok(Match::nobody(address));
            };
            let point = owners
                .iter()
                .find(|o| o.channel == channel.as_str())
                .or(owners.first())
                .map(|o| o.contact_point_id);
            // What it answers: the last message sent on its channel, else on any.
            let mut answered = ts
                .last_contact_sent(debtor.id, Some(channel), inbound.at)
                .await?;
            if answered.is_none() {
                answered = ts.last_contact_sent(debtor.id, None, inbound.at).await?;
            }
            Ok(Match {
                by: "address",
                debtor: Some(debtor),
                contact: answered,
                point,
                address,
                candidates: vec![],
            })
        }
        several => Ok(Match {
            by: "ambiguous",
            debtor: None,
            contact: None,
            point: None,
            address,
            candidates: several.to_vec(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn senders_read_as_contact_points_store_them() {
        let cases = [
            (Channel::Sms, "+57 300 123 4567", "+573001234567"),
            (Channel::Sms, "3001234567", "+573001234567"),
            (Channel::Whatsapp, "whatsapp:+573001234567", "+573001234567"),
            (
                Channel::Email,
                "Ana Pérez <Ana@Example.COM>",
                "ana@example.com",
            ),
            (Channel::Email, " ANA@example.com ", "ana@example.com"),
            (Channel::Email, "not an address", "not an address"),
            (Channel::Sms, "MOVISTAR", "MOVISTAR"),
        ];
        for (channel, from, expected) in cases {
            assert_eq!(
                normalize_sender(channel, from, Country::Co),
                expected,
                "{from}"
            );
        }
    }
}
