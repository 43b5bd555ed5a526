//! The keys debtors are found by: a name folded so that `maria` finds "María" and `PEREZ` finds
//! "Pérez", and a document number without its presentation, so that `1.020.304.050` finds
//! `1020304050`. The store keeps both beside the debtor, computed here once per write (an import
//! computes them per row in Rust, with no extra statement), and a search query is folded the same
//! way before it is compared.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::Country;
use crate::contact::{normalize_email, normalize_phone};

/// `name` lower-cased, without accents or other combining marks (any script that decomposes
/// under Unicode NFD: á, ç, ñ, ő, š …), every run of white space made one space, no space at
/// either end. Letters that do not decompose keep their form (`ß`, `ø`, `ł`).
pub fn fold_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending_space = false;
    for ch in name.nfd().filter(|c| !is_combining_mark(*c)) {
        if ch.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.extend(ch.to_lowercase());
    }
    out
}

/// A document number as compared in search: its letters and digits only, upper-cased
/// (`12.345.678-k` → `12345678K`, `123.456.789-09` → `12345678909`). `None` when nothing is
/// left (no document, or only punctuation).
pub fn document_key(number: &str) -> Option<String> {
    let key: String = number
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect();
    (!key.is_empty()).then_some(key)
}

/// What a search text is compared with: a debtor matches when any given part does.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchTerms {
    /// Folded text found anywhere in the folded name ([`fold_name`]).
    pub name: Option<String>,
    /// Equal to the debtor's [`document_key`].
    pub document: Option<String>,
    /// Equal to the (normalised) address of one of the debtor's contact points.
    pub address: Option<String>,
}

/// Reads what an agent typed: an email (normalised as contact points are: lower case), a phone
/// or document number (digits and the usual separators: the phone normalised to E.164 in
/// `region`, as an import or the API reads a number without a country code, and the document
/// keyed as [`document_key`]), or else a part of a name, which may also be a document with
/// letters (a Chilean RUT ending in `K`, a CURP).
pub fn search_terms(text: &str, region: Country) -> SearchTerms {
    let text = text.trim();
    if text.contains('@')
        && let Ok(email) = normalize_email(text)
    {
        return SearchTerms {
            address: Some(email),
            ..SearchTerms::default()
        };
    }
    let has_digit = text.chars().any(|c| c.is_ascii_digit());
    let number_like = has_digit
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().,/".contains(c));
    if number_like {
        return SearchTerms {
            name: None,
            document: document_key(text),
            address: normalize_phone(text, region).ok(),
        };
    }
    SearchTerms {
        name: Some(fold_name(text)).filter(|n| !n.is_empty()),
        document: document_key(text).filter(|_| has_digit),
        address: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_texts_are_read_as_what_they_look_like() {
        let terms =
            |name: Option<&str>, document: Option<&str>, address: Option<&str>| SearchTerms {
                name: name.map(str::to_string),
                document: document.map(str::to_string),
                address: address.map(str::to_string),
            };
        let cases = [
            ("maria", Country::Co, terms(Some("maria"), None, None)),
            (
                "  MARÍA  Pérez ",
                Country::Co,
                terms(Some("maria perez"), None, None),
            ),
            (
                "Ana.Souza@Example.COM",
                Country::Br,
                terms(None, None, Some("ana.souza@example.com")),
            ),
            (
                "300 123 4567",
                Country::Co,
                terms(None, Some("3001234567"), Some("+573001234567")),
            ),
            (
                "+57 (300) 123-4567",
                Country::Co,
                terms(None, Some("573001234567"), Some("+573001234567")),
            ),
            (
                "1.020.304.050",
                Country::Co,
                terms(None, Some("1020304050"), None),
            ),
            (
                "12.345.678-K",
                Country::Cl,
                terms(Some("12.345.678-k"), Some("12345678K"), None),
            ),
            // Not an email after all: looked for in names.
            ("maria@", Country::Co, terms(Some("maria@"), None, None)),
        ];
        for (text, region, want) in cases {
            assert_eq!(search_terms(text, region), want, "{text}");
        }
    }

    #[test]
    fn names_fold_without_case_accents_or_spacing() {
        let cases = [
            ("María", "maria"),
            ("  JOSÉ   Ñúñez\tGómez ", "jose nunez gomez"),
            ("Conceição São João", "conceicao sao joao"),
            ("Ángela Müller-Øster", "angela muller-øster"),
            ("Zoë O’Brien", "zoe o’brien"),
            ("Štěpán Dvořák", "stepan dvorak"),
            ("MARIA", "maria"),
            ("", ""),
        ];
        for (name, want) in cases {
            assert_eq!(fold_name(name), want, "{name}");
        }
        // Composed and decomposed forms of the same name fold alike.
        assert_eq!(fold_name("Mari\u{0301}a"), fold_name("Mar\u{00ed}a"));
    }

    #[test]
    fn document_keys_keep_letters_and_digits() {
        let cases = [
            ("1.020.304.050", Some("1020304050")),
            ("12.345.678-k", Some("12345678K")),
            ("123.456.789-09", Some("12345678909")),
            (" gode-800101 hdfrrn09 ", Some("GODE800101HDFRRN09")),
            ("-./", None),
            ("", None),
        ];
        for (number, want) in cases {
            assert_eq!(document_key(number).as_deref(), want, "{number}");
        }
    }
}
