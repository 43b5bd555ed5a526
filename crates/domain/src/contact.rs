//! Normalisation of contact addresses: phones to E.164, emails lower-cased and checked.

use phonenumber::{Mode, Type};

use crate::Country;
use crate::portfolio::Channel;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("`{0}` is not a valid email address")]
    Email(String),
    #[error("`{value}` is not a valid phone number for {region}")]
    Phone { value: String, region: Country },
    #[error("postal address needs at least a street line, a city and a country")]
    Postal,
    /// A phone number that cannot take the channel (a landline given for SMS or WhatsApp).
    #[error("`{value}` is a {kind} number: it cannot receive {channel} (only voice)")]
    NotForChannel {
        value: String,
        kind: PhoneKind,
        channel: Channel,
    },
}

/// What a phone number is, as far as the numbering plan tells: it decides which channels the
/// number can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneKind {
    Mobile,
    FixedLine,
    /// The plan cannot tell fixed from mobile (the US, Canada, Mexico): the number may be either.
    FixedLineOrMobile,
    /// Toll-free, shared-cost, VoIP, pager, personal, … numbers: callable, not textable.
    Other,
}

impl PhoneKind {
    /// SMS and WhatsApp go to mobiles (or to numbers that may be mobiles); voice goes to any
    /// number; email and letters have no phone at all.
    pub fn allows(self, channel: Channel) -> bool {
        match channel {
            Channel::Voice => true,
            Channel::Sms | Channel::Whatsapp => {
                matches!(self, PhoneKind::Mobile | PhoneKind::FixedLineOrMobile)
            }
            Channel::Email | Channel::Letter => false,
        }
    }
}

impl std::fmt::Display for PhoneKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PhoneKind::Mobile => "mobile",
            PhoneKind::FixedLine => "landline",
            PhoneKind::FixedLineOrMobile => "landline-or-mobile",
            PhoneKind::Other => "non-mobile",
        })
    }
}

/// A valid phone number in E.164 with its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone {
    pub e164: String,
    pub kind: PhoneKind,
}

/// Lower-cases and checks an email address (one `@`, a dotted domain, no spaces).
pub fn normalize_email(raw: &str) -> Result<String, AddressError> {
    let address = raw.trim().to_lowercase();
    let bad = || AddressError::Email(raw.to_string());
    let (local, domain) = address.split_once('@').ok_or_else(bad)?;
    let ok_local = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let ok_domain = labels.len() >= 2
        && domain.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && !tld.chars().all(|c| c.is_ascii_digit()));
    if ok_local && ok_domain {
        Ok(address)
    } else {
        Err(bad())
    }
}

/// Parses a phone number (international with `+`, or national for `region`) and returns it in
/// E.164 when it is a valid number.
pub fn normalize_phone(raw: &str, region: Country) -> Result<String, AddressError> {
    parse_phone(raw, region).map(|phone| phone.e164)
}

/// Parses a phone number like [`normalize_phone`] and tells its kind.
pub fn parse_phone(raw: &str, region: Country) -> Result<Phone, AddressError> {
    let bad = || AddressError::Phone {
        value: raw.to_string(),
        region,
    };
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(bad());
    }
    let number = phonenumber::parse(Some(region.phone_region()), trimmed).map_err(|_| bad())?;
    // The number's type is what `is_valid` computes (an unknown type is an invalid number), so
    // asking for it costs no more than the validity check did.
    let kind = match number.number_type(&phonenumber::metadata::DATABASE) {
        Type::Unknown => return Err(bad()),
        Type::Mobile => PhoneKind::Mobile,
        Type::FixedLine => PhoneKind::FixedLine,
        Type::FixedLineOrMobile => PhoneKind::FixedLineOrMobile,
        _ => PhoneKind::Other,
    };
    Ok(Phone {
        e164: number.format().mode(Mode::E164).to_string(),
        kind,
    })
}

/// The one rule for a phone contact point: the number must parse and must be able to take the
/// channel (SMS and WhatsApp need a mobile; voice takes any number).
pub fn normalize_phone_for(
    channel: Channel,
    raw: &str,
    region: Country,
) -> Result<String, AddressError> {
    let phone = parse_phone(raw, region)?;
    if phone.kind.allows(channel) {
        Ok(phone.e164)
    } else {
        Err(AddressError::NotForChannel {
            value: raw.trim().to_string(),
            kind: phone.kind,
            channel,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        let ok = [
            ("  Ana.Souza@Example.COM ", "ana.souza@example.com"),
            ("j+tag@mail.co", "j+tag@mail.co"),
            ("josé@correo.es", "josé@correo.es"),
        ];
        for (raw, want) in ok {
            assert_eq!(normalize_email(raw).as_deref(), Ok(want), "{raw}");
        }
        for bad in [
            "",
            "no-at",
            "a@b",
            "a@@b.com",
            "a b@c.com",
            "@c.com",
            "a@c..com",
            "a.@c.com",
            "a@c.1",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad} should fail");
        }
    }

    #[test]
    fn phones_to_e164() {
        let cases = [
            ("(11) 98765-4321", Country::Br, "+5511987654321"),
            ("+55 21 99876-5432", Country::Co, "+5521998765432"),
            ("300 123 4567", Country::Co, "+573001234567"),
            ("9 6123 4567", Country::Cl, "+56961234567"),
            ("55 1234 5678", Country::Mx, "+525512345678"),
            ("(212) 555-0123", Country::Us, "+12125550123"),
            ("612 345 678", Country::Es, "+34612345678"),
            ("987 654 321", Country::Pe, "+51987654321"),
        ];
        for (raw, region, want) in cases {
            assert_eq!(
                normalize_phone(raw, region).as_deref(),
                Ok(want),
                "{raw} in {region}"
            );
        }
        for bad in ["", "12", "abc", "+99 123"] {
            assert!(parse_phone(bad, Country::Br).is_err(), "{bad} should fail");
            assert!(
                normalize_phone(bad, Country::Br).is_err(),
                "{bad} should fail"
            );
        }
    }

    #[test]
    fn phone_kinds_decide_the_channels() {
        use Channel::*;
        // (number, region, kind, sms/whatsapp allowed)
        let cases = [
            ("(604) 444 5566", Country::Co, PhoneKind::FixedLine, false),
            ("601 234 5678", Country::Co, PhoneKind::FixedLine, false),
            ("300 123 4567", Country::Co, PhoneKind::Mobile, true),
            ("(11) 3456-7890", Country::Br, PhoneKind::FixedLine, false),
            ("(11) 98765-4321", Country::Br, PhoneKind::Mobile, true),
            // Chile's plan cannot tell these ranges apart: either number may take texts.
            (
                "2 2345 6789",
                Country::Cl,
                PhoneKind::FixedLineOrMobile,
                true,
            ),
            (
                "9 6123 4567",
                Country::Cl,
                PhoneKind::FixedLineOrMobile,
                true,
            ),
            (
                "(212) 555-0123",
                Country::Us,
                PhoneKind::FixedLineOrMobile,
                true,
            ),
            ("612 345 678", Country::Es, PhoneKind::Mobile, true),
            ("912 345 678", Country::Es, PhoneKind::FixedLine, false),
        ];
        for (raw, region, kind, texts) in cases {
            let phone = parse_phone(raw, region).unwrap();
            assert_eq!(phone.kind, kind, "{raw} in {region}");
            for channel in [Sms, Whatsapp] {
                assert_eq!(phone.kind.allows(channel), texts, "{raw}: {channel}");
                assert_eq!(
                    normalize_phone_for(channel, raw, region).is_ok(),
                    texts,
                    "{raw}: {channel}"
                );
            }
            assert!(phone.kind.allows(Voice), "{raw}: voice takes any number");
            assert_eq!(normalize_phone_for(Voice, raw, region), Ok(phone.e164));
        }
        let err = normalize_phone_for(Sms, "(604) 444 5566", Country::Co).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`(604) 444 5566` is a landline number: it cannot receive sms (only voice)"
        );
    }
}
