//! SMS encoding and segment counting (3GPP TS 23.038 and 23.040).
//!
//! A text whose every character is in the GSM 03.38 default alphabet (or its extension table)
//! goes as GSM-7: 160 septets in one message, 153 a segment once split (the rest of each segment
//! carries the concatenation header). Anything else goes as UCS-2: 70 UTF-16 units, 67 a segment.
//! An extension character (`^{}\[~]|€` and form feed) takes two septets (escape + code) and is
//! never split across segments; nor is a UTF-16 surrogate pair.

use super::super::message::SmsEncoding;

/// The GSM 03.38 default alphabet (one septet each).
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// The extension table (escape + code: two septets each).
const GSM7_EXTENSION: &str = "\u{0C}^{}\\[~]|€";

/// The septets a character takes in GSM-7, or `None` when it is not in the alphabet.
fn gsm7_septets(c: char) -> Option<usize> {
    if GSM7_BASIC.contains(c) {
        Some(1)
    } else if GSM7_EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// Whether every character of `text` can be sent in GSM-7.
pub fn is_gsm7(text: &str) -> bool {
    text.chars().all(|c| gsm7_septets(c).is_some())
}

/// The encoding a text needs and how many segments (billed messages) it takes. An empty text
/// still takes one.
pub fn sms_encoding(text: &str) -> (SmsEncoding, u32) {
    if is_gsm7(text) {
        let units: Vec<usize> = text.chars().filter_map(gsm7_septets).collect();
        (SmsEncoding::Gsm7, segments(&units, 160, 153))
    } else {
        let units: Vec<usize> = text.chars().map(char::len_utf16).collect();
        (SmsEncoding::Ucs2, segments(&units, 70, 67))
    }
}

/// Packs characters of the given sizes into segments: one if they fit in `single`, else
/// segments of `part` units, never splitting a character.
fn segments(units: &[usize], single: usize, part: usize) -> u32 {
    let total: usize = units.iter().sum();
    if total <= single {
        return 1;
    }
    let mut count = 1u32;
    let mut used = 0usize;
    for &size in units {
        if used + size > part {
            count += 1;
            used = 0;
        }
        used += size;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_basic_table_has_its_128_characters() {
        // 127 printable entries plus the escape (which is not a character of its own).
        assert_eq!(GSM7_BASIC.chars().count(), 127);
        assert_eq!(GSM7_EXTENSION.chars().count(), 10);
    }
}
