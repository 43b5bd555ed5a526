//! Identity and tax documents: format and check-digit validation, plus the check-digit
//! computations a generator needs to build valid numbers.
//!
//! Validators are lenient about presentation: surrounding and inner spaces and the usual
//! separators (`.`, `-`, `/`) are ignored, letters are compared case-insensitively. They never
//! allocate more than one short string and never panic.
//!
//! | type | country | rule |
//! |---|---|---|
//! | `cpf` | BR | 11 digits, two mod-11 check digits, not all digits equal |
//! | `cnpj` | BR | 14 characters (12 alphanumeric + 2 digits), two mod-11 check digits |
//! | `rut` | CL | body + mod-11 check digit (`0`–`9` or `K`), weights 2..7 |
//! | `cc` | CO | cédula de ciudadanía, 6–10 digits, no check digit |
//! | `nit` | CO | 6–15 digits + DIAN check digit |
//! | `curp` | MX | 18 characters, format, birth date, state and check digit |
//! | `rfc` | MX | 12 (company) or 13 (person) characters, format and date |
//! | `dni` | PE / ES / AR | PE: 8 digits; ES: 8 digits + letter; AR: 7–8 digits |
//! | `ruc` | PE | 11 digits, mod-11 check digit |
//! | `nie` | ES | `X`/`Y`/`Z` + 7 digits + letter |
//! | `cif` | ES | letter + 7 digits + check digit or letter |
//! | `cuit`, `cuil` | AR | 11 digits, mod-11 check digit |
//! | `ssn_last4` | US | 4 digits, not `0000` |

use chrono::NaiveDate;

use crate::Country;

/// The document types [`is_valid`] understands, as written in the import's `document_type`.
pub const KNOWN_TYPES: &[&str] = &[
    "cpf",
    "cnpj",
    "rut",
    "cc",
    "nit",
    "curp",
    "rfc",
    "dni",
    "ruc",
    "nie",
    "cif",
    "cuit",
    "cuil",
    "ssn_last4",
];

/// Whether `doc_type` is one of [`KNOWN_TYPES`] (case-insensitive).
pub fn is_known_type(doc_type: &str) -> bool {
    let trimmed = doc_type.trim();
    KNOWN_TYPES.iter().any(|k| k.eq_ignore_ascii_case(trimmed))
}

/// Checks `number` as a document of `doc_type` (case-insensitive). `dni` accepts the Peruvian,
/// Spanish and Argentinian forms; use [`is_valid_in`] to read it for one country. Unknown types
/// are not valid (see [`is_known_type`]).
pub fn is_valid(doc_type: &str, number: &str) -> bool {
    let trimmed = doc_type.trim();
    let is = |k: &str| trimmed.eq_ignore_ascii_case(k);
    if is("cpf") {
        is_valid_cpf(number)
    } else if is("cnpj") {
        is_valid_cnpj(number)
    } else if is("rut") {
        is_valid_rut(number)
    } else if is("cc") {
        is_valid_cc(number)
    } else if is("nit") {
        is_valid_nit(number)
    } else if is("curp") {
        is_valid_curp(number)
    } else if is("rfc") {
        is_valid_rfc(number)
    } else if is("dni") {
        is_valid_dni_pe(number) || is_valid_dni_es(number) || is_valid_dni_ar(number)
    } else if is("ruc") {
        is_valid_ruc(number)
    } else if is("nie") {
        is_valid_nie(number)
    } else if is("cif") {
        is_valid_cif(number)
    } else if is("cuit") || is("cuil") {
        is_valid_cuit(number)
    } else if is("ssn_last4") {
        is_valid_ssn_last4(number)
    } else {
        false
    }
}

/// Like [`is_valid`], reading country-dependent types for `country`: `dni` is the Peruvian,
/// Spanish or Argentinian one, and `rut` in Colombia is the NIT.
pub fn is_valid_in(country: Country, doc_type: &str, number: &str) -> bool {
    let trimmed = doc_type.trim();
    if trimmed.eq_ignore_ascii_case("dni") {
        match country {
            Country::Pe => is_valid_dni_pe(number),
            Country::Es => is_valid_dni_es(number),
            Country::Ar => is_valid_dni_ar(number),
            _ => is_valid(trimmed, number),
        }
    } else if trimmed.eq_ignore_ascii_case("rut") && country == Country::Co {
        is_valid_nit(number)
    } else {
        is_valid(trimmed, number)
    }
}

/// Upper-cases and drops spaces and the separators `.`, `-`, `/`.
fn compact(number: &str) -> String {
    number
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '.' | '-' | '/'))
        .flat_map(char::to_uppercase)
        .collect()
}

/// The digit values of an all-ASCII-digit string, or `None`.
fn digits<const N: usize>(text: &str) -> Option<[u8; N]> {
    let bytes = text.as_bytes();
    if bytes.len() != N || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut out = [0u8; N];
    for (slot, byte) in out.iter_mut().zip(bytes) {
        *slot = byte - b'0';
    }
    Some(out)
}

fn all_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|c| c.is_ascii_digit())
}

fn weighted_sum(values: &[u8], weights: &[u32]) -> u32 {
    values
        .iter()
        .zip(weights)
        .map(|(&v, &w)| u32::from(v) * w)
        .sum()
}

/// `r < 2 → 0`, else `11 - r`: the rule of CPF and CNPJ.
fn mod11_br(sum: u32) -> u8 {
    let remainder = sum % 11;
    if remainder < 2 {
        0
    } else {
        (11 - remainder) as u8
    }
}

// ---------------------------------------------------------------------------------------------
// Brazil

/// The two check digits of a CPF whose first nine digits are `base`.
pub fn cpf_check_digits(base: &[u8; 9]) -> [u8; 2] {
    let d1 = mod11_br(weighted_sum(base, &[10, 9, 8, 7, 6, 5, 4, 3, 2]));
    let mut ten = [0u8; 10];
    ten[..9].copy_from_slice(base);
    ten[9] = d1;
    let d2 = mod11_br(weighted_sum(&ten, &[11, 10, 9, 8, 7, 6, 5, 4, 3, 2]));
    [d1, d2]
}

/// BR CPF: 11 digits (`123.456.789-09` or `12345678909`), two check digits, not all equal.
pub fn is_valid_cpf(number: &str) -> bool {
    let Some(values) = digits::<11>(&compact(number)) else {
        return false;
    };
    if values.iter().all(|&x| x == values[0]) {
        return false;
    }
    let base: [u8; 9] = values[..9].try_into().expect("nine digits");
    cpf_check_digits(&base) == [values[9], values[10]]
}

/// The two check digits of a CNPJ whose first twelve characters have the values `base`
/// (digits 0–9; in the alphanumeric CNPJ a letter is worth its ASCII code minus 48).
pub fn cnpj_check_digits(base: &[u8; 12]) -> [u8; 2] {
    const W1: [u32; 12] = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
    const W2: [u32; 13] = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
    let d1 = mod11_br(weighted_sum(base, &W1));
    let mut thirteen = [0u8; 13];
    thirteen[..12].copy_from_slice(base);
    thirteen[12] = d1;
    let d2 = mod11_br(weighted_sum(&thirteen, &W2));
    [d1, d2]
}

/// BR CNPJ: 14 characters (`11.222.333/0001-81`), two check digits. The first twelve may be
/// letters (the alphanumeric CNPJ issued from 2026); the last two are digits.
pub fn is_valid_cnpj(number: &str) -> bool {
    let compacted = compact(number);
    let bytes = compacted.as_bytes();
    if bytes.len() != 14
        || !bytes[..12].iter().all(u8::is_ascii_alphanumeric)
        || !bytes[12..].iter().all(u8::is_ascii_digit)
    {
        return false;
    }
    if bytes.iter().all(|&x| x == bytes[0]) {
        return false;
    }
    let mut base = [0u8; 12];
    for (value, &ch) in base.iter_mut().zip(bytes) {
        *value = ch - b'0';
    }
    cnpj_check_digits(&base) == [bytes[12] - b'0', bytes[13] - b'0']
}

// ---------------------------------------------------------------------------------------------
// Chile

/// The check digit (`'0'`–`'9'` or `'K'`) of a Chilean RUT/RUN body.
pub fn rut_check_digit(body: u32) -> char {
    let mut rest = body;
    let mut sum = 0u32;
    let mut weight = 2u32;
    while rest > 0 {
        sum += (rest % 10) * weight;
        rest /= 10;
        weight = if weight == 7 { 2 } else { weight + 1 };
    }
    match 11 - sum % 11 {
        11 => '0',
        10 => 'K',
        d => char::from(b'0' + d as u8),
    }
}

/// CL RUT/RUN: `12.345.678-5`, `12345678-5` or `123456785`; check digit `0`–`9` or `K`.
pub fn is_valid_rut(number: &str) -> bool {
    let compacted = compact(number);
    if compacted.len() < 2 || compacted.len() > 10 {
        return false;
    }
    let (body, dv) = compacted.split_at(compacted.len() - 1);
    if !all_digits(body) || body.starts_with('0') {
        return false;
    }
    let Ok(body_value) = body.parse::<u32>() else {
        return false;
    };
    dv.starts_with(rut_check_digit(body_value))
}

// ---------------------------------------------------------------------------------------------
// Colombia

/// CO cédula de ciudadanía: 6 to 10 digits, no leading zero, no check digit.
pub fn is_valid_cc(number: &str) -> bool {
    let compacted = compact(number);
    (6..=10).contains(&compacted.len()) && all_digits(&compacted) && !compacted.starts_with('0')
}

/// The DIAN check digit of a NIT whose digits (without the check digit) are `base`, at most 15.
pub fn nit_check_digit(base: &[u8]) -> u8 {
    const W: [u32; 15] = [3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71];
    let sum: u32 = base
        .iter()
        .rev()
        .zip(W)
        .map(|(&d, w)| u32::from(d) * w)
        .sum();
    match sum % 11 {
        r @ (0 | 1) => r as u8,
        r => (11 - r) as u8,
    }
}

/// CO NIT: 6–15 digits followed by the DIAN check digit (`800.197.268-4`, `8001972684`).
pub fn is_valid_nit(number: &str) -> bool {
    let compacted = compact(number);
    if !(7..=16).contains(&compacted.len()) || !all_digits(&compacted) {
        return false;
    }
    let values: Vec<u8> = compacted.bytes().map(|b| b - b'0').collect();
    let (base, dv) = values.split_at(values.len() - 1);
    nit_check_digit(base) == dv[0]
}

// ---------------------------------------------------------------------------------------------
// Mexico

/// Two-letter state codes of the CURP (`NE` = born abroad).
pub const CURP_STATES: &[&str] = &[
    "AS", "BC", "BS", "CC", "CH", "CL", "CM", "CS", "DF", "DG", "GR", "GT", "HG", "JC", "MC", "MN",
    "MS", "NE", "NL", "NT", "OC", "PL", "QR", "QT", "SL", "SP", "SR", "TC", "TL", "TS", "VZ", "YN",
    "ZS",
];

/// Four-letter words RENAPO never issues as the start of a CURP (the second letter becomes `X`).
pub const CURP_FORBIDDEN_WORDS: &[&str] = &[
    "BACA", "BAKA", "BUEI", "BUEY", "CACA", "CACO", "CAGA", "CAGO", "CAKA", "CAKO", "COGE", "COGI",
    "COJA", "COJE", "COJI", "COJO", "COLA", "CULO", "FALO", "FETO", "GETA", "GUEI", "GUEY", "JETA",
    "JOTO", "KACA", "KACO", "KAGA", "KAGO", "KAKA", "KAKO", "KOGE", "KOGI", "KOJA", "KOJE", "KOJI",
    "KOJO", "KOLA", "KULO", "LILO", "LOCA", "LOCO", "LOKA", "LOKO", "MAME", "MAMO", "MEAR", "MEAS",
    "MEON", "MIAR", "MION", "MOCO", "MOKO", "MULA", "MULO", "NACA", "NACO", "PEDA", "PEDO", "PENE",
    "PIPI", "PITO", "POPO", "PUTA", "PUTO", "QULO", "RATA", "ROBA", "ROBE", "ROBO", "RUIN", "SENO",
    "TETA", "VACA", "VAGA", "VAGO", "VAKA", "VUEI", "VUEY", "WUEI", "WUEY",
];

/// Value of a character in the CURP dictionary `0-9 A-N Ñ O-Z` (`&` stands for `Ñ`).
fn curp_value(character: char) -> Option<u32> {
    match character {
        '0'..='9' => Some(character as u32 - '0' as u32),
        'A'..='N' => Some(character as u32 - 'A' as u32 + 10),
        'Ñ' | '&' => Some(24),
        'O'..='Z' => Some(character as u32 - 'O' as u32 + 25),
        _ => None,
    }
}

/// The check digit of a CURP whose first 17 characters are `first17` (upper case), or `None`
/// when it has another length or a character outside the dictionary.
pub fn curp_check_digit(first17: &str) -> Option<u8> {
    let mut sum = 0u32;
    let mut position = 0u32;
    for character in first17.chars() {
        if position == 17 {
            return None;
        }
        sum += curp_value(character)? * (18 - position);
        position += 1;
    }
    (position == 17).then_some(((10 - sum % 10) % 10) as u8)
}

/// MX CURP: 4 letters, birth date `YYMMDD`, sex `H`/`M`/`X`, state, 3 consonants, a
/// differentiator (digit for births up to 1999, letter from 2000) and the check digit.
pub fn is_valid_curp(number: &str) -> bool {
    let compacted = compact(number);
    let bytes = compacted.as_bytes();
    if bytes.len() != 18 {
        return false;
    }
    let letters = |r: std::ops::Range<usize>| bytes[r].iter().all(u8::is_ascii_uppercase);
    if !letters(0..4)
        || !bytes[4..10].iter().all(u8::is_ascii_digit)
        || !letters(10..16)
        || !bytes[16].is_ascii_alphanumeric()
        || !bytes[17].is_ascii_digit()
    {
        return false;
    }
    if CURP_FORBIDDEN_WORDS.contains(&&compacted[..4]) || !matches!(bytes[10], b'H' | b'M' | b'X') {
        return false;
    }
    if !CURP_STATES.contains(&&compacted[11..13]) {
        return false;
    }
    let century = if bytes[16].is_ascii_digit() {
        1900
    } else {
        2000
    };
    if yymmdd(&bytes[4..10], century).is_none() {
        return false;
    }
    curp_check_digit(&compacted[..17]) == Some(bytes[17] - b'0')
}

fn yymmdd(bytes: &[u8], century: i32) -> Option<NaiveDate> {
    let two = |i: usize| u32::from(bytes[i] - b'0') * 10 + u32::from(bytes[i + 1] - b'0');
    NaiveDate::from_ymd_opt(century + two(0) as i32, two(2), two(4))
}

/// Value of a character in the RFC dictionary `0-9 A-N & O-Z (space) Ñ`.
fn rfc_value(character: char) -> Option<u32> {
    match character {
        '0'..='9' => Some(character as u32 - '0' as u32),
        'A'..='N' => Some(character as u32 - 'A' as u32 + 10),
        '&' => Some(24),
        'O'..='Z' => Some(character as u32 - 'O' as u32 + 25),
        ' ' => Some(37),
        'Ñ' => Some(38),
        _ => None,
    }
}

/// The check character (`'0'`–`'9'` or `'A'`) of an RFC whose characters before it are
/// `without_check` (11 for a company, 12 for a person, upper case), or `None`.
pub fn rfc_check_digit(without_check: &str) -> Option<char> {
    let length = without_check.chars().count();
    if !(11..=12).contains(&length) {
        return None;
    }
    // Companies are padded on the left with a space to 12 characters.
    let pad = 12 - length;
    let mut sum = 0u32;
    for (position, character) in std::iter::repeat_n(' ', pad)
        .chain(without_check.chars())
        .enumerate()
    {
        sum += rfc_value(character)? * (13 - position as u32);
    }
    Some(match (11 - sum % 11) % 11 {
        10 => 'A',
        d => char::from(b'0' + d as u8),
    })
}

/// MX RFC: 3 (company) or 4 (person) letters (`A`–`Z`, `Ñ`, `&`), the date `YYMMDD` and a
/// 3-character homoclave. The check character is not required to match: SAT has issued RFCs
/// whose check character does not (see [`is_valid_rfc_strict`]).
pub fn is_valid_rfc(number: &str) -> bool {
    rfc_parts(number).is_some()
}

/// [`is_valid_rfc`] and the last character matches [`rfc_check_digit`].
pub fn is_valid_rfc_strict(number: &str) -> bool {
    let Some(parts) = rfc_parts(number) else {
        return false;
    };
    let (head, last) = parts.split_at(parts.len() - 1);
    rfc_check_digit(head).map(String::from).as_deref() == Some(last)
}

fn rfc_parts(number: &str) -> Option<String> {
    let compacted = compact(number);
    let chars: Vec<char> = compacted.chars().collect();
    let letters = match chars.len() {
        12 => 3,
        13 => 4,
        _ => return None,
    };
    let is_letter = |ch: &char| ch.is_ascii_uppercase() || *ch == 'Ñ' || *ch == '&';
    if !chars[..letters].iter().all(is_letter) {
        return None;
    }
    let date: Vec<u8> = chars[letters..letters + 6]
        .iter()
        .map(|&ch| if ch.is_ascii_digit() { ch as u8 } else { b'x' })
        .collect();
    if !date.iter().all(u8::is_ascii_digit) || yymmdd(&date, 2000).is_none() {
        return None;
    }
    let homoclave = &chars[letters + 6..];
    if !homoclave[..2].iter().all(char::is_ascii_alphanumeric)
        || !matches!(homoclave[2], '0'..='9' | 'A')
    {
        return None;
    }
    Some(compacted)
}

// ---------------------------------------------------------------------------------------------
// Peru

/// PE DNI: 8 digits.
pub fn is_valid_dni_pe(number: &str) -> bool {
    digits::<8>(&compact(number)).is_some()
}

/// The check digit of a RUC whose first ten digits are `base`.
pub fn ruc_check_digit(base: &[u8; 10]) -> u8 {
    let sum = weighted_sum(base, &[5, 4, 3, 2, 7, 6, 5, 4, 3, 2]);
    ((11 - sum % 11) % 10) as u8
}

/// PE RUC: 11 digits starting `10`, `15`, `17` or `20`, with a mod-11 check digit.
pub fn is_valid_ruc(number: &str) -> bool {
    let Some(values) = digits::<11>(&compact(number)) else {
        return false;
    };
    if !matches!((values[0], values[1]), (1, 0) | (1, 5) | (1, 7) | (2, 0)) {
        return false;
    }
    let base: [u8; 10] = values[..10].try_into().expect("ten digits");
    ruc_check_digit(&base) == values[10]
}

// ---------------------------------------------------------------------------------------------
// Spain

const DNI_LETTERS: &[u8; 23] = b"TRWAGMYFPDXBNJZSQVHLCKE";

/// The control letter of a Spanish DNI number (also the NIE's, after its prefix is replaced).
pub fn dni_es_letter(number: u32) -> char {
    char::from(DNI_LETTERS[(number % 23) as usize])
}

/// The control letter of a NIE with prefix `X`, `Y` or `Z` and 7 digits `number`.
pub fn nie_letter(prefix: char, number: u32) -> Option<char> {
    let prefix_value = match prefix.to_ascii_uppercase() {
        'X' => 0,
        'Y' => 1,
        'Z' => 2,
        _ => return None,
    };
    (number < 10_000_000).then(|| dni_es_letter(prefix_value * 10_000_000 + number))
}

/// ES DNI: 8 digits and the control letter (`12345678Z`).
pub fn is_valid_dni_es(number: &str) -> bool {
    let compacted = compact(number);
    if compacted.len() != 9 || !compacted.is_ascii() {
        return false;
    }
    let (num, letter) = compacted.split_at(8);
    all_digits(num)
        && num
            .parse::<u32>()
            .is_ok_and(|n| letter.starts_with(dni_es_letter(n)))
}

/// ES NIE: `X`, `Y` or `Z`, 7 digits and the control letter (`X1234567L`).
pub fn is_valid_nie(number: &str) -> bool {
    let compacted = compact(number);
    if compacted.len() != 9 || !compacted.is_ascii() {
        return false;
    }
    let prefix = char::from(compacted.as_bytes()[0]);
    let (num, letter) = (&compacted[1..8], &compacted[8..]);
    all_digits(num)
        && num
            .parse::<u32>()
            .ok()
            .and_then(|n| nie_letter(prefix, n))
            .is_some_and(|l| letter.starts_with(l))
}

/// The control of a CIF with the 7 digits `base`: a digit and its letter form.
pub fn cif_check(base: &[u8; 7]) -> (u8, char) {
    // Luhn over the 7 digits: odd positions (1st, 3rd, …) are doubled.
    let sum: u32 = base
        .iter()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 0 {
                let doubled = d * 2;
                doubled / 10 + doubled % 10
            } else {
                d
            }
        })
        .sum();
    let check = ((10 - sum % 10) % 10) as u8;
    (check, char::from(b"JABCDEFGHI"[check as usize]))
}

/// ES CIF: an organisation letter (`A`–`H`, `J`, `N`, `P`–`S`, `U`–`W`), 7 digits and the
/// control as a digit or a letter (both forms are in use).
pub fn is_valid_cif(number: &str) -> bool {
    let compacted = compact(number);
    if compacted.len() != 9 || !compacted.is_ascii() {
        return false;
    }
    let bytes = compacted.as_bytes();
    if !b"ABCDEFGHJNPQRSUVW".contains(&bytes[0]) {
        return false;
    }
    let Some(base) = digits::<7>(&compacted[1..8]) else {
        return false;
    };
    let (digit, letter) = cif_check(&base);
    bytes[8] == b'0' + digit || char::from(bytes[8]) == letter
}

// ---------------------------------------------------------------------------------------------
// Argentina

/// The check digit of a CUIT/CUIL whose first ten digits are `base`. A remainder of 1 (which
/// AFIP avoids by changing the prefix) maps to 9, as in existing numbers.
pub fn cuit_check_digit(base: &[u8; 10]) -> u8 {
    let remainder = weighted_sum(base, &[5, 4, 3, 2, 7, 6, 5, 4, 3, 2]) % 11;
    match 11 - remainder {
        11 => 0,
        10 => 9,
        d => d as u8,
    }
}

/// AR CUIT/CUIL: 11 digits (`20-26756539-3`), a known type prefix and the check digit.
pub fn is_valid_cuit(number: &str) -> bool {
    let Some(values) = digits::<11>(&compact(number)) else {
        return false;
    };
    let prefix = values[0] * 10 + values[1];
    if ![20, 23, 24, 25, 26, 27, 30, 33, 34, 50, 51, 55].contains(&prefix) {
        return false;
    }
    let base: [u8; 10] = values[..10].try_into().expect("ten digits");
    cuit_check_digit(&base) == values[10]
}

/// AR DNI: 7 or 8 digits, no leading zero.
pub fn is_valid_dni_ar(number: &str) -> bool {
    let compacted = compact(number);
    (7..=8).contains(&compacted.len()) && all_digits(&compacted) && !compacted.starts_with('0')
}

// ---------------------------------------------------------------------------------------------
// United States

/// US SSN last four digits: 4 digits, not `0000` (never issued).
pub fn is_valid_ssn_last4(number: &str) -> bool {
    let compacted = compact(number);
    compacted.len() == 4 && all_digits(&compacted) && compacted != "0000"
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(doc_type: &str, valid: &[&str], invalid: &[&str]) {
        for n in valid {
            assert!(is_valid(doc_type, n), "{doc_type} {n} should be valid");
        }
        for n in invalid {
            assert!(!is_valid(doc_type, n), "{doc_type} {n} should be invalid");
        }
    }

    #[test]
    fn cpf() {
        check(
            "cpf",
            &[
                "529.982.247-25",
                "52998224725",
                "111.444.777-35",
                "123.456.789-09",
                " 12345678909 ",
            ],
            &[
                "529.982.247-24",
                "111.111.111-11",
                "000.000.000-00",
                "12345678900",
                "5299822472",
                "529982247250",
                "52998224a25",
                "",
            ],
        );
    }

    #[test]
    fn cnpj() {
        check(
            "CNPJ",
            &[
                "11.222.333/0001-81",
                "11222333000181",
                "11.444.777/0001-61",
                "12.ABC.345/01DE-35",
            ],
            &[
                "11.222.333/0001-82",
                "00.000.000/0000-00",
                "11222333000",
                "1122233300018A",
                "11.222.333/0001-8",
            ],
        );
    }

    #[test]
    fn rut_cl() {
        check(
            "rut",
            &[
                "12.345.678-5",
                "12345678-5",
                "123456785",
                "11.111.111-1",
                "10.000.013-K",
                "10000013-k",
            ],
            &[
                "12.345.678-4",
                "12.345.678-K",
                "10.000.013-0",
                "0-0",
                "5",
                "12.345.678-",
                "1234567a-5",
            ],
        );
    }

    #[test]
    fn cc_and_nit_co() {
        check(
            "cc",
            &["1020304050", "79123456", "123456"],
            &["12345", "01234567", "12345678901", "1234567a"],
        );
        check(
            "nit",
            &[
                "800.197.268-4",
                "8001972684",
                "213.123.432-1",
                "2131234351",
                "860034313-7",
            ],
            &["800.197.268-5", "2131234350", "12345", "80019726A4"],
        );
    }

    #[test]
    fn curp_and_rfc_mx() {
        check(
            "curp",
            &["BOXW310820HNERXN09", "boxw310820hnerxn09"],
            &[
                "BOXW310820HNERXN08",
                "BOXW311320HNERXN09",
                "BOXW310820HXXRXN09",
                "BOXW310820QNERXN09",
                "PEDO310820HNERXN09",
                "BOXW310820HNERXN0",
            ],
        );
        check(
            "rfc",
            &[
                "GODE561231GR8",
                "MAB9307148T4",
                "MAB-930714-8T4",
                "VACE460910SX6",
            ],
            &[
                "GODE561331GR8",
                "GODE561231GR",
                "GOD1561231GR8",
                "GODE561231GRB",
            ],
        );
        assert!(is_valid_rfc_strict("GODE561231GR8"));
        assert!(is_valid_rfc_strict("MAB9307148T4"));
        assert!(!is_valid_rfc_strict("VACE460910SX6"));
    }

    #[test]
    fn dni_and_ruc_pe() {
        assert!(is_valid_in(Country::Pe, "dni", "45678912"));
        assert!(is_valid_in(Country::Pe, "dni", "05414828"));
        assert!(!is_valid_in(Country::Pe, "dni", "4567891"));
        assert!(!is_valid_in(Country::Pe, "dni", "12345678Z"));
        check(
            "ruc",
            &["20512333797", "10054148289", "20100070970"],
            &["20512333798", "30512333797", "2051233379", "2051233379A"],
        );
    }

    #[test]
    fn dni_nie_cif_es() {
        assert!(is_valid_in(Country::Es, "dni", "12345678Z"));
        assert!(is_valid_in(Country::Es, "dni", "12345678-z"));
        assert!(is_valid_in(Country::Es, "dni", "00000000T"));
        assert!(!is_valid_in(Country::Es, "dni", "12345678A"));
        assert!(!is_valid_in(Country::Es, "dni", "12345678"));
        check(
            "nie",
            &["X1234567L", "Y1234567X", "Z1234567R", "x-1234567-l"],
            &["X1234567A", "W1234567L", "X123456L", "12345678Z"],
        );
        check(
            "cif",
            &[
                "J99216582",
                "A13585625",
                "B12345674",
                "Q2826000H",
                "J-9921658-2",
            ],
            &[
                "J99216583",
                "M1234567L",
                "O1234567L",
                "J992165821",
                "B1234567",
            ],
        );
    }

    #[test]
    fn cuit_ar_and_ssn_us() {
        check(
            "cuit",
            &["20-05536168-2", "20267565393", "30-50001091-2"],
            &["20267565392", "2026756539", "2026756A393", "99-26756539-3"],
        );
        assert!(is_valid_in(Country::Ar, "dni", "26756539"));
        assert!(is_valid_in(Country::Ar, "dni", "5536168"));
        assert!(!is_valid_in(Country::Ar, "dni", "05536168"));
        check(
            "ssn_last4",
            &["1234", "0001"],
            &["0000", "123", "12345", "12a4"],
        );
    }

    #[test]
    fn dispatch() {
        assert!(is_known_type("CPF") && is_known_type(" ssn_last4 "));
        assert!(!is_known_type("passport"));
        assert!(!is_valid("passport", "X123"));
        assert!(is_valid("dni", "12345678Z") && is_valid("dni", "45678912"));
        assert!(is_valid_in(Country::Co, "rut", "800.197.268-4"));
        assert!(!is_valid_in(Country::Cl, "rut", "800.197.268-4"));
    }

    fn digit_array<const N: usize>() -> impl Strategy<Value = [u8; N]> {
        proptest::array::uniform(0u8..10)
    }

    fn join(d: &[u8]) -> String {
        d.iter().map(|x| char::from(b'0' + x)).collect()
    }

    /// `s` with its last character replaced by every other candidate.
    fn altered_last(s: &str, candidates: &str) -> Vec<String> {
        let (head, last) = s.split_at(s.len() - 1);
        candidates
            .chars()
            .filter(|c| !last.eq_ignore_ascii_case(&c.to_string()))
            .map(|c| format!("{head}{c}"))
            .collect()
    }

    const DIGITS: &str = "0123456789";

    proptest! {
        #[test]
        fn generated_cpf_validates(base in digit_array::<9>()) {
            prop_assume!(base.iter().any(|&d| d != base[0]));
            let [a, b] = cpf_check_digits(&base);
            let n = format!("{}{a}{b}", join(&base));
            assert!(is_valid_cpf(&n));
            let dotted = format!("{}.{}.{}-{}", &n[..3], &n[3..6], &n[6..9], &n[9..]);
            assert!(is_valid_cpf(&dotted));
            for bad in altered_last(&n, DIGITS) {
                assert!(!is_valid_cpf(&bad), "{}", bad);
            }
        }

        #[test]
        fn generated_cnpj_validates(base in digit_array::<12>()) {
            prop_assume!(base.iter().any(|&d| d != base[0]));
            let [a, b] = cnpj_check_digits(&base);
            let n = format!("{}{a}{b}", join(&base));
            assert!(is_valid_cnpj(&n));
            for bad in altered_last(&n, DIGITS) {
                assert!(!is_valid_cnpj(&bad), "{}", bad);
            }
        }

        #[test]
        fn generated_rut_validates(body in 1_000_000u32..99_999_999) {
            let n = format!("{body}-{}", rut_check_digit(body));
            assert!(is_valid_rut(&n));
            for bad in altered_last(&n, "0123456789K") {
                assert!(!is_valid_rut(&bad), "{}", bad);
            }
        }

        #[test]
        fn generated_nit_validates(base in proptest::collection::vec(0u8..10, 6..=15)) {
            prop_assume!(base[0] != 0);
            let n = format!("{}-{}", join(&base), nit_check_digit(&base));
            assert!(is_valid_nit(&n));
            for bad in altered_last(&n, DIGITS) {
                assert!(!is_valid_nit(&bad), "{}", bad);
            }
        }

        #[test]
        fn generated_curp_validates(
            letters in "[B-Z][AEIOU][A-Z][A-Z]",
            date in (1930i32..2010, 1u32..13, 1u32..29),
            sex in "[HM]",
            state in proptest::sample::select(CURP_STATES),
            consonants in "[B-DF-HJ-NP-TV-Z]{3}",
            diff in 0u8..26,
        ) {
            prop_assume!(!CURP_FORBIDDEN_WORDS.contains(&letters.as_str()));
            let (y, m, d) = date;
            let diff = if y < 2000 { char::from(b'0' + diff % 10) } else { char::from(b'A' + diff) };
            let head = format!("{letters}{:02}{m:02}{d:02}{sex}{state}{consonants}{diff}", y % 100);
            let n = format!("{head}{}", curp_check_digit(&head).unwrap());
            assert!(is_valid_curp(&n), "{}", n);
            for bad in altered_last(&n, DIGITS) {
                assert!(!is_valid_curp(&bad), "{}", bad);
            }
        }

        #[test]
        fn generated_rfc_validates(
            letters in "[A-Z]{3,4}",
            date in (0u32..100, 1u32..13, 1u32..29),
            homoclave in "[1-9A-V][1-9A-Z]",
        ) {
            let (y, m, d) = date;
            let head = format!("{letters}{y:02}{m:02}{d:02}{homoclave}");
            let n = format!("{head}{}", rfc_check_digit(&head).unwrap());
            assert!(is_valid_rfc_strict(&n), "{}", n);
            assert!(is_valid_rfc(&n));
            for bad in altered_last(&n, "0123456789A") {
                assert!(!is_valid_rfc_strict(&bad), "{}", bad);
            }
        }

        #[test]
        fn generated_ruc_validates(rest in digit_array::<8>(), kind in proptest::sample::select(&[10u8, 15, 17, 20][..])) {
            let mut base = [0u8; 10];
            base[0] = kind / 10;
            base[1] = kind % 10;
            base[2..].copy_from_slice(&rest);
            let n = format!("{}{}", join(&base), ruc_check_digit(&base));
            assert!(is_valid_ruc(&n));
            for bad in altered_last(&n, DIGITS) {
                assert!(!is_valid_ruc(&bad), "{}", bad);
            }
        }

        #[test]
        fn generated_dni_nie_cif_validate(n in 0u32..100_000_000, base in digit_array::<7>(), org in "[ABCDEFGHJNPQRSUVW]") {
            let dni = format!("{n:08}{}", dni_es_letter(n));
            assert!(is_valid_dni_es(&dni));
            for bad in altered_last(&dni, "TRWAGMYFPDXBNJZSQVHLCKE") {
                assert!(!is_valid_dni_es(&bad), "{}", bad);
            }
            let m = n % 10_000_000;
            for p in ['X', 'Y', 'Z'] {
                let nie = format!("{p}{m:07}{}", nie_letter(p, m).unwrap());
                assert!(is_valid_nie(&nie), "{}", nie);
            }
            let (d, l) = cif_check(&base);
            assert!(is_valid_cif(&format!("{org}{}{d}", join(&base))));
            assert!(is_valid_cif(&format!("{org}{}{l}", join(&base))));
            let wrong = (d + 1) % 10;
            assert!(!is_valid_cif(&format!("{org}{}{wrong}", join(&base))));
        }

        #[test]
        fn generated_cuit_validates(rest in digit_array::<8>(), kind in proptest::sample::select(&[20u8, 23, 27, 30, 33][..])) {
            let mut base = [0u8; 10];
            base[0] = kind / 10;
            base[1] = kind % 10;
            base[2..].copy_from_slice(&rest);
            let n = format!("{}{}", join(&base), cuit_check_digit(&base));
            assert!(is_valid_cuit(&n));
            for bad in altered_last(&n, DIGITS) {
                assert!(!is_valid_cuit(&bad), "{}", bad);
            }
        }
    }
}
