//! Normalisation of contact addresses: phones to E.164, emails lower-cased and checked.

use phonenumber::Mode;

use crate::Country;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("`{0}` is not a valid email address")]
    Email(String),
    #[error("`{value}` is not a valid phone number for {region}")]
    Phone { value: String, region: Country },
    #[error("postal address needs at least a street line, a city and a country")]
    Postal,
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
    let bad = || AddressError::Phone {
        value: raw.to_string(),
        region,
    };
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(bad());
    }
    let number = phonenumber::parse(Some(region.phone_region()), trimmed).map_err(|_| bad())?;
    if !phonenumber::is_valid(&number) {
        return Err(bad());
    }
    Ok(number.format().mode(Mode::E164).to_string())
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
            assert!(
                normalize_phone(bad, Country::Br).is_err(),
                "{bad} should fail"
            );
        }
    }
}
