//! PIX BR Codes: the EMV Merchant-Presented-Mode payload (`ID(2) LEN(2) VALUE` fields) that a
//! Brazilian banking app reads from a QR code or from "copia e cola" text (GUIDE §8).

use recaudo_domain::{Currency, Money};
use rust_decimal::{Decimal, RoundingStrategy};
use unicode_normalization::UnicodeNormalization;

/// The GUI that names the PIX arrangement in field 26.
pub const PIX_GUI: &str = "br.gov.bcb.pix";
/// Longest merchant name (field 59) and city (field 60).
pub const MAX_NAME: usize = 25;
pub const MAX_CITY: usize = 15;
/// Longest txid (field 62/05).
pub const MAX_TXID: usize = 25;

/// What a BR Code says: one payment of `amount` to `key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrCode {
    /// The receiver's PIX key: e-mail, `+55…` phone, CPF/CNPJ digits or a random (EVP) UUID.
    pub key: String,
    /// The receiver's name; accents are folded off and it is upper-cased (≤ 25 after that).
    pub name: String,
    /// The receiver's city, folded the same way (≤ 15).
    pub city: String,
    /// In BRL, more than zero; rounded half-even to cents at the edge.
    pub amount: Money,
    /// 1–25 chars `[A-Za-z0-9]`; `None` writes `***` (no txid).
    pub txid: Option<String>,
    /// A message shown to the payer (field 26/02).
    pub info: Option<String>,
}

/// A BR Code read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedBrCode {
    /// Field 01 was `12`: the code may be paid once.
    pub single_use: bool,
    pub key: Option<String>,
    pub info: Option<String>,
    /// Field 26/25: the location URL of a dynamic code.
    pub url: Option<String>,
    pub merchant_category: String,
    /// ISO 4217 numeric code (986 = BRL).
    pub currency: String,
    pub amount: Option<Decimal>,
    pub country: String,
    pub name: String,
    pub city: String,
    /// Field 62/05; `None` when it is `***`.
    pub txid: Option<String>,
    pub crc: String,
}

/// A BR Code that cannot be built or read. `field` is the EMV id (`"59"`, `"26.01"`, …).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BrCodeError {
    #[error("field {field}: {message}")]
    Field {
        field: &'static str,
        message: String,
    },
    #[error("field {field} is missing")]
    Missing { field: &'static str },
    #[error("at position {position}: {message}")]
    Syntax { position: usize, message: String },
    #[error("CRC is {found}, the payload's is {expected}")]
    Crc { expected: String, found: String },
}

fn field_error(field: &'static str, message: impl Into<String>) -> BrCodeError {
    BrCodeError::Field {
        field,
        message: message.into(),
    }
}

/// CRC16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR.
pub fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &byte in data {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// Folds accents off (`São Paulo` → `SAO PAULO`), upper-cases, keeps letters, digits, spaces
/// and `.,-/&`, and collapses spaces: what every banking app shows the same way.
pub fn merchant_text(text: &str) -> String {
    let folded: String = text
        .nfd()
        .filter(|c| c.is_ascii())
        .map(|c| c.to_ascii_uppercase())
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".,-/&".contains(c) {
                c
            } else {
                ' '
            }
        })
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether `txid` is 1–25 characters of `[A-Za-z0-9]`.
pub fn valid_txid(txid: &str) -> bool {
    !txid.is_empty() && txid.len() <= MAX_TXID && txid.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Checks a PIX key: an e-mail (≤ 77), a `+55` phone, 11 CPF or 14 CNPJ digits with their
/// check digits, or a random key (EVP, a UUID).
pub fn validate_key(key: &str) -> Result<(), String> {
    if key.is_empty() {
        return Err("the PIX key is empty".into());
    }
    if !key.is_ascii() || key.contains(char::is_whitespace) {
        return Err("the PIX key must be ASCII without spaces".into());
    }
    if let Some(digits) = key.strip_prefix("+55") {
        return if (10..=11).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(())
        } else {
            Err("a phone key is +55, the area code and the number (10 or 11 digits)".into())
        };
    }
    if key.contains('@') {
        let (local, domain) = key.split_once('@').unwrap_or_default();
        return if key.len() <= 77
            && !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
        {
            Ok(())
        } else {
            Err("an e-mail key must look like name@domain.tld (at most 77 characters)".into())
        };
    }
    if key.bytes().all(|b| b.is_ascii_digit()) {
        return match key.len() {
            11 if cpf_ok(key) => Ok(()),
            11 => Err("the CPF's check digits do not match".into()),
            14 if cnpj_ok(key) => Ok(()),
            14 => Err("the CNPJ's check digits do not match".into()),
            _ => Err("a CPF key has 11 digits, a CNPJ key 14".into()),
        };
    }
    if is_uuid(key) {
        return Ok(());
    }
    Err("not an e-mail, +55 phone, CPF, CNPJ or random (UUID) PIX key".into())
}

fn digits(text: &str) -> Vec<u32> {
    text.bytes().map(|b| u32::from(b - b'0')).collect()
}

fn check_digit(sum: u32) -> u32 {
    let rest = sum % 11;
    if rest < 2 { 0 } else { 11 - rest }
}

fn cpf_ok(cpf: &str) -> bool {
    let d = digits(cpf);
    if d.iter().all(|&x| x == d[0]) {
        return false;
    }
    let first = check_digit((0..9).map(|i| d[i] * (10 - i as u32)).sum());
    let second = check_digit((0..10).map(|i| d[i] * (11 - i as u32)).sum());
    d[9] == first && d[10] == second
}

fn cnpj_ok(cnpj: &str) -> bool {
    const W1: [u32; 12] = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
    const W2: [u32; 13] = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2];
    let d = digits(cnpj);
    if d.iter().all(|&x| x == d[0]) {
        return false;
    }
    let first = check_digit((0..12).map(|i| d[i] * W1[i]).sum());
    let second = check_digit((0..13).map(|i| d[i] * W2[i]).sum());
    d[12] == first && d[13] == second
}

fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, len)| g.len() == len && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Appends one `ID LEN VALUE` field; values longer than 99 characters do not fit.
fn push_field(out: &mut String, id: &'static str, value: &str) -> Result<(), BrCodeError> {
    if value.len() > 99 {
        return Err(field_error(id, "longer than 99 characters"));
    }
    out.push_str(id);
    out.push_str(&format!("{:02}", value.len()));
    out.push_str(value);
    Ok(())
}

/// The amount as field 54 writes it: BRL, rounded half-even to cents, more than zero.
pub fn amount_text(amount: &Money) -> Result<String, BrCodeError> {
    if amount.currency != Currency::Brl {
        return Err(field_error(
            "54",
            format!("PIX takes BRL only, not {}", amount.currency),
        ));
    }
    let mut cents = amount
        .amount
        .round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven);
    cents.rescale(2);
    if cents <= Decimal::ZERO {
        return Err(field_error("54", "the amount must be at least 0.01"));
    }
    let text = cents.to_string();
    if text.len() > 13 {
        return Err(field_error("54", "the amount is longer than 13 characters"));
    }
    Ok(text)
}

/// Writes the BR Code of `code`, CRC included.
pub fn build(code: &BrCode) -> Result<String, BrCodeError> {
    validate_key(&code.key).map_err(|m| field_error("26.01", m))?;
    let name = merchant_text(&code.name);
    if name.is_empty() {
        return Err(field_error("59", "the receiver's name is empty"));
    }
    if name.len() > MAX_NAME {
        return Err(field_error(
            "59",
            format!("the receiver's name is longer than {MAX_NAME} characters: {name}"),
        ));
    }
    let city = merchant_text(&code.city);
    if city.is_empty() {
        return Err(field_error("60", "the receiver's city is empty"));
    }
    if city.len() > MAX_CITY {
        return Err(field_error(
            "60",
            format!("the receiver's city is longer than {MAX_CITY} characters: {city}"),
        ));
    }
    let txid = match &code.txid {
        Some(txid) if valid_txid(txid) => txid.as_str(),
        Some(_) => {
            return Err(field_error(
                "62.05",
                "the txid must be 1–25 characters of A-Z, a-z and 0-9",
            ));
        }
        None => "***",
    };
    let amount = amount_text(&code.amount)?;

    let mut account = String::new();
    push_field(&mut account, "00", PIX_GUI)?;
    push_field(&mut account, "01", &code.key)?;
    if let Some(info) = &code.info {
        let info = merchant_text(info);
        if !info.is_empty() {
            push_field(&mut account, "02", &info).map_err(|_| field_error("26.02", "too long"))?;
        }
    }
    let mut additional = String::new();
    push_field(&mut additional, "05", txid)?;

    let mut out = String::with_capacity(160);
    push_field(&mut out, "00", "01")?;
    push_field(&mut out, "01", "12")?;
    push_field(&mut out, "26", &account)
        .map_err(|_| field_error("26", "the key and the message together are too long"))?;
    push_field(&mut out, "52", "0000")?;
    push_field(&mut out, "53", "986")?;
    push_field(&mut out, "54", &amount)?;
    push_field(&mut out, "58", "BR")?;
    push_field(&mut out, "59", &name)?;
    push_field(&mut out, "60", &city)?;
    push_field(&mut out, "62", &additional)?;
    out.push_str("6304");
    let crc = crc16(out.as_bytes());
    out.push_str(&format!("{crc:04X}"));
    Ok(out)
}

/// Splits `text` into its `(id, value)` fields; `offset` places errors in the whole payload.
fn tlv(text: &str, offset: usize) -> Result<Vec<(&str, &str)>, BrCodeError> {
    let mut fields = Vec::new();
    let mut at = 0;
    while at < text.len() {
        let head = text.get(at..at + 4).ok_or_else(|| BrCodeError::Syntax {
            position: offset + at,
            message: "a field is cut short (expected a 2-digit id and a 2-digit length)".into(),
        })?;
        if !head.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BrCodeError::Syntax {
                position: offset + at,
                message: format!("`{head}` is not a 2-digit id and a 2-digit length"),
            });
        }
        let (id, len) = head.split_at(2);
        let len: usize = len.parse().map_err(|_| BrCodeError::Syntax {
            position: offset + at + 2,
            message: "the length is not a number".into(),
        })?;
        let value = text
            .get(at + 4..at + 4 + len)
            .ok_or_else(|| BrCodeError::Syntax {
                position: offset + at,
                message: format!("field {id} says {len} characters but the payload ends first"),
            })?;
        fields.push((id, value));
        at += 4 + len;
    }
    Ok(fields)
}

/// Reads a BR Code: checks its CRC, walks its fields and checks the ones PIX requires.
pub fn parse(text: &str) -> Result<ParsedBrCode, BrCodeError> {
    let text = text.trim();
    if !text.is_ascii() {
        return Err(BrCodeError::Syntax {
            position: text.find(|c: char| !c.is_ascii()).unwrap_or(0),
            message: "a BR Code is ASCII text".into(),
        });
    }
    if text.len() < 8 || &text[text.len() - 8..text.len() - 4] != "6304" {
        return Err(BrCodeError::Missing { field: "63" });
    }
    let found = &text[text.len() - 4..];
    let expected = format!("{:04X}", crc16(&text.as_bytes()[..text.len() - 4]));
    if !found.eq_ignore_ascii_case(&expected) {
        return Err(BrCodeError::Crc {
            expected,
            found: found.to_string(),
        });
    }
    let fields = tlv(text, 0)?;
    let get = |id: &str| fields.iter().find(|(f, _)| *f == id).map(|(_, v)| *v);
    let require = |id: &'static str| get(id).ok_or(BrCodeError::Missing { field: id });

    if fields.first().map(|(id, _)| *id) != Some("00") {
        return Err(field_error("00", "the payload must start with field 00"));
    }
    if require("00")? != "01" {
        return Err(field_error("00", "the payload format indicator must be 01"));
    }
    let single_use = match get("01") {
        None | Some("11") => false,
        Some("12") => true,
        Some(other) => return Err(field_error("01", format!("`{other}` is not 11 or 12"))),
    };
    let account = require("26")?;
    let account_fields = tlv(account, text.find(account).unwrap_or(0))?;
    let sub = |id: &str| {
        account_fields
            .iter()
            .find(|(f, _)| *f == id)
            .map(|(_, v)| v.to_string())
    };
    match sub("00") {
        Some(gui) if gui.eq_ignore_ascii_case(PIX_GUI) => {}
        Some(gui) => return Err(field_error("26.00", format!("`{gui}` is not {PIX_GUI}"))),
        None => return Err(BrCodeError::Missing { field: "26.00" }),
    }
    let key = sub("01");
    let url = sub("25");
    if key.is_none() && url.is_none() {
        return Err(BrCodeError::Missing { field: "26.01" });
    }
    if let Some(key) = &key {
        validate_key(key).map_err(|m| field_error("26.01", m))?;
    }
    let merchant_category = require("52")?.to_string();
    if merchant_category.len() != 4 || !merchant_category.bytes().all(|b| b.is_ascii_digit()) {
        return Err(field_error("52", "the merchant category is 4 digits"));
    }
    let currency = require("53")?.to_string();
    if currency != "986" {
        return Err(field_error("53", format!("`{currency}` is not 986 (BRL)")));
    }
    let amount = match get("54") {
        None => None,
        Some(text) => {
            let amount = Decimal::from_str_exact(text)
                .ok()
                .filter(|a| *a > Decimal::ZERO && a.scale() <= 2 && !text.starts_with('+'))
                .ok_or_else(|| field_error("54", format!("`{text}` is not an amount")))?;
            Some(amount)
        }
    };
    let country = require("58")?.to_string();
    if country != "BR" {
        return Err(field_error("58", format!("`{country}` is not BR")));
    }
    let name = require("59")?.to_string();
    if name.is_empty() || name.len() > MAX_NAME {
        return Err(field_error("59", "the name is 1–25 characters"));
    }
    let city = require("60")?.to_string();
    if city.is_empty() || city.len() > MAX_CITY {
        return Err(field_error("60", "the city is 1–15 characters"));
    }
    let additional = require("62")?;
    let additional_fields = tlv(additional, text.find(additional).unwrap_or(0))?;
    let txid = match additional_fields.iter().find(|(f, _)| *f == "05") {
        None => return Err(BrCodeError::Missing { field: "62.05" }),
        Some((_, "***")) => None,
        Some((_, txid)) if valid_txid(txid) => Some(txid.to_string()),
        Some((_, txid)) => {
            return Err(field_error("62.05", format!("`{txid}` is not a txid")));
        }
    };
    if fields.last().map(|(id, _)| *id) != Some("63") {
        return Err(field_error("63", "the CRC must be the last field"));
    }
    Ok(ParsedBrCode {
        single_use,
        key,
        info: sub("02"),
        url,
        merchant_category,
        currency,
        amount,
        country,
        name,
        city,
        txid,
        crc: found.to_uppercase(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc16_ccitt_false_check_value() {
        assert_eq!(crc16(b"123456789"), 0x29B1);
        assert_eq!(crc16(b""), 0xFFFF);
    }

    #[test]
    fn check_digits() {
        assert!(cpf_ok("52998224725"));
        assert!(!cpf_ok("52998224726"));
        assert!(!cpf_ok("11111111111"));
        assert!(cnpj_ok("11222333000181"));
        assert!(!cnpj_ok("11222333000182"));
    }

    #[test]
    fn folds_accents() {
        assert_eq!(merchant_text("  São  Paulo "), "SAO PAULO");
        assert_eq!(
            merchant_text("Companhia Açaí & Cia."),
            "COMPANHIA ACAI & CIA."
        );
        assert_eq!(merchant_text("Compañía · X"), "COMPANIA X");
    }
}
