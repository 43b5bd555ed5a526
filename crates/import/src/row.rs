//! One row of an import file → a validated [`ImportRow`], or every problem it has, each naming
//! its column.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};

use recaudo_domain::contact::{PhoneKind, normalize_email, parse_phone};
use recaudo_domain::portfolio::{
    Channel, Consent, ConsentStatus, DebtorKind, Language, PostalAddress, Preferences, Tenant,
    parse_timezone,
};
use recaudo_domain::{Country, Currency, Money, MoneyError};
use recaudo_store::{ImportContact, ImportDebt, ImportDebtor, ImportRow};

use crate::columns::ATTRIBUTE_PREFIX;
use crate::locale::{DateOrder, NumberStyle, parse_date, plain_amount};
use crate::report::{RowProblem, Severity};

/// What every row of a file is read with: the tenant's defaults and the file's formats.
#[derive(Debug, Clone, Copy)]
pub struct RowContext<'a> {
    pub tenant: &'a Tenant,
    pub numbers: NumberStyle,
    pub dates: DateOrder,
    /// The document type of rows that give none (a `Cédula` column says `cc`).
    pub document_type: Option<&'a str>,
}

impl<'a> RowContext<'a> {
    /// Plain numbers and ISO dates, as the documented format has them.
    pub fn new(tenant: &'a Tenant) -> Self {
        RowContext {
            tenant,
            numbers: NumberStyle::Unknown,
            dates: DateOrder::Unknown,
            document_type: None,
        }
    }
}

/// A valid row, with the warnings it raised (what was dropped from it, and why).
#[derive(Debug)]
pub struct ParsedRow {
    pub row: ImportRow,
    pub warnings: Vec<RowProblem>,
}

/// Read access to the fields of one row, whatever the encoding.
pub trait Fields {
    /// The field's text, `None` when absent or empty.
    fn get(&self, name: &str) -> Option<Cow<'_, str>>;
    /// Whether the file has the field at all (a column, or a key in this object).
    fn has(&self, name: &str) -> bool;
    /// Tags (CSV: `a|b`; JSONL: an array or the same string form).
    fn tags(&self) -> Result<Vec<String>, String>;
    /// Free attributes (CSV: `attr_*` columns; JSONL: the `attributes` object).
    fn attributes(&self) -> Result<serde_json::Map<String, serde_json::Value>, String>;
}

/// A CSV record seen through its header.
pub struct CsvFields<'a> {
    pub header: &'a HashMap<String, usize>,
    /// Free attributes: (attribute name, without `attr_`; column).
    pub attr_columns: &'a [(String, usize)],
    pub record: &'a csv::StringRecord,
}

impl Fields for CsvFields<'_> {
    fn get(&self, name: &str) -> Option<Cow<'_, str>> {
        let value = self.record.get(*self.header.get(name)?)?.trim();
        (!value.is_empty()).then_some(Cow::Borrowed(value))
    }

    fn has(&self, name: &str) -> bool {
        self.header.contains_key(name)
    }

    fn tags(&self) -> Result<Vec<String>, String> {
        Ok(split_tags(self.get("tags").as_deref().unwrap_or("")))
    }

    fn attributes(&self) -> Result<serde_json::Map<String, serde_json::Value>, String> {
        let mut attributes = serde_json::Map::new();
        for (name, idx) in self.attr_columns {
            if let Some(value) = self
                .record
                .get(*idx)
                .map(str::trim)
                .filter(|v| !v.is_empty())
            {
                attributes.insert(name.clone(), serde_json::Value::String(value.to_string()));
            }
        }
        Ok(attributes)
    }
}

fn split_tags(tags: &str) -> Vec<String> {
    tags.split('|')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// A JSONL object.
pub struct JsonFields<'a>(pub &'a serde_json::Map<String, serde_json::Value>);

impl Fields for JsonFields<'_> {
    fn get(&self, name: &str) -> Option<Cow<'_, str>> {
        match self.0.get(name)? {
            serde_json::Value::String(text) => {
                let trimmed = text.trim();
                (!trimmed.is_empty()).then_some(Cow::Borrowed(trimmed))
            }
            serde_json::Value::Null => None,
            serde_json::Value::Number(number) => Some(Cow::Owned(number.to_string())),
            serde_json::Value::Bool(flag) => Some(Cow::Owned(flag.to_string())),
            other => Some(Cow::Owned(other.to_string())),
        }
    }

    fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    fn tags(&self) -> Result<Vec<String>, String> {
        match self.0.get("tags") {
            None | Some(serde_json::Value::Null) => Ok(vec![]),
            Some(serde_json::Value::String(text)) => Ok(split_tags(text)),
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(|s| s.trim().to_string())
                        .ok_or_else(|| "tags must be strings".to_string())
                })
                .filter(|r| r.as_ref().map(|s| !s.is_empty()).unwrap_or(true))
                .collect(),
            Some(_) => Err("must be an array of strings or `a|b`".into()),
        }
    }

    fn attributes(&self) -> Result<serde_json::Map<String, serde_json::Value>, String> {
        let mut attributes = match self.0.get("attributes") {
            None | Some(serde_json::Value::Null) => serde_json::Map::new(),
            Some(serde_json::Value::Object(object)) => object.clone(),
            Some(_) => return Err("must be a JSON object".into()),
        };
        for (key, value) in self.0 {
            if let Some(name) = key.strip_prefix(ATTRIBUTE_PREFIX).filter(|n| !n.is_empty()) {
                attributes.insert(name.to_string(), value.clone());
            }
        }
        Ok(attributes)
    }
}

/// Collects the problems of one row.
struct Check<'a> {
    line: u64,
    fields: &'a dyn Fields,
    ctx: &'a RowContext<'a>,
    problems: Vec<RowProblem>,
    warnings: Vec<RowProblem>,
}

/// A reason without the value it is about: the problem carries the value beside it, and
/// error texts made for other places (`` `abc` is not a number``) quote it again.
fn without_value(reason: String, value: &str) -> String {
    if value.is_empty() {
        return reason;
    }
    let quoted = format!("`{value}`");
    if !reason.contains(&quoted) {
        return reason;
    }
    reason
        .replace(&format!("{quoted} "), "")
        .replace(&format!(" {quoted}"), "")
        .replace(&quoted, "")
}

impl Check<'_> {
    fn problem(&self, column: &str, reason: impl ToString, severity: Severity) -> RowProblem {
        let value = self
            .fields
            .get(column)
            .map(|v| v.into_owned())
            .unwrap_or_default();
        RowProblem {
            line: self.line,
            column: column.to_string(),
            reason: without_value(reason.to_string(), &value),
            value,
            severity,
        }
    }

    fn fail(&mut self, column: &str, reason: impl ToString) {
        let problem = self.problem(column, reason, Severity::Error);
        self.problems.push(problem);
    }

    fn warn(&mut self, column: &str, reason: impl ToString) {
        let problem = self.problem(column, reason, Severity::Warning);
        self.warnings.push(problem);
    }

    fn text(&self, column: &str) -> Option<String> {
        self.fields.get(column).map(|v| v.into_owned())
    }

    fn required(&mut self, column: &str, max_chars: usize) -> String {
        match self.text(column) {
            None => {
                self.fail(column, "is required");
                String::new()
            }
            Some(value) if value.chars().count() > max_chars => {
                self.fail(column, format!("is longer than {max_chars} characters"));
                value
            }
            Some(value) => value,
        }
    }

    fn optional_text(&mut self, column: &str, max_chars: usize) -> Option<String> {
        let value = self.text(column)?;
        if value.chars().count() > max_chars {
            self.fail(column, format!("is longer than {max_chars} characters"));
        }
        Some(value)
    }

    /// Parses an optional value with `FromStr`, reporting its error.
    fn parsed<T: std::str::FromStr>(&mut self, column: &str) -> Option<T>
    where
        T::Err: std::fmt::Display,
    {
        let value = self.text(column)?;
        match value.parse::<T>() {
            Ok(parsed) => Some(parsed),
            Err(e) => {
                self.fail(column, e);
                None
            }
        }
    }

    fn date(&mut self, column: &str) -> Option<NaiveDate> {
        let value = self.fields.get(column)?;
        match parse_date(&value, self.ctx.dates) {
            Ok(date) if (1900..=2200).contains(&chrono::Datelike::year(&date)) => Some(date),
            Ok(_) => {
                self.fail(column, "year out of range 1900–2200");
                None
            }
            Err(reason) => {
                self.fail(column, reason);
                None
            }
        }
    }

    fn amount(&mut self, column: &str, currency: Option<Currency>) -> Option<i64> {
        let value = self.fields.get(column)?;
        let currency = currency?;
        let parsed = plain_amount(&value, self.ctx.numbers)
            .map_err(str::to_string)
            .and_then(|plain| {
                Money::parse_amount(&plain, currency)
                    .and_then(|m| m.to_minor())
                    .map_err(|e| match e {
                        MoneyError::NotANumber(_) => "is not a number".to_string(),
                        MoneyError::Negative(_) => "must not be negative".to_string(),
                        MoneyError::TooPrecise {
                            currency, allowed, ..
                        } => format!("has more decimals than {currency} allows ({allowed})"),
                        other => other.to_string(),
                    })
            });
        match parsed {
            Ok(minor) => Some(minor),
            Err(reason) => {
                self.fail(column, reason);
                None
            }
        }
    }
}

/// Validates a row against the format, with the tenant's defaults and the file's formats.
pub fn parse_row(
    line: u64,
    fields: &dyn Fields,
    ctx: &RowContext,
) -> Result<ParsedRow, Vec<RowProblem>> {
    let tenant = ctx.tenant;
    let mut check = Check {
        line,
        fields,
        ctx,
        problems: vec![],
        warnings: vec![],
    };

    // Debtor.
    let debtor_external_id = check.required("debtor_external_id", 128);
    let name = check.required("debtor_name", 200);
    let kind = check
        .parsed::<DebtorKind>("debtor_kind")
        .unwrap_or(DebtorKind::Person);
    let country_given = check.parsed::<Country>("country");
    let country = country_given.unwrap_or(tenant.country);
    let language = check
        .parsed::<Language>("language")
        .unwrap_or(country.language());
    let timezone = match check.text("timezone") {
        Some(tz) => match parse_timezone(&tz) {
            Ok(zone) => zone.name().to_string(),
            Err(e) => {
                check.fail("timezone", e);
                String::new()
            }
        },
        None if country_given.is_some() => country.default_timezone().name().to_string(),
        None => tenant.timezone.clone(),
    };
    let birth_date = check.date("birth_date");
    let document_type = check
        .optional_text("document_type", 20)
        .map(|s| s.to_lowercase())
        .or_else(|| ctx.document_type.map(str::to_string));
    let document_number = check
        .optional_text("document_number", 40)
        .map(|s| s.split_whitespace().collect::<String>());
    let segment = check.optional_text("segment", 64);
    let tags = match fields.tags() {
        Ok(tags) => tags,
        Err(e) => {
            check.fail("tags", e);
            vec![]
        }
    };
    let attributes = match fields.attributes() {
        Ok(attributes) => serde_json::Value::Object(attributes),
        Err(e) => {
            check.fail("attributes", e);
            serde_json::json!({})
        }
    };
    let preferences = Preferences {
        preferred_channel: check.parsed::<Channel>("preferred_channel"),
        paperless: match check
            .text("paperless")
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("false") | Some("0") | Some("no") => false,
            Some("true") | Some("1") | Some("yes") => true,
            Some(_) => {
                check.fail("paperless", "must be true or false");
                false
            }
        },
        ..Preferences::default()
    };

    // Contact points.
    let consent_source = check.optional_text("consent_source", 64);
    let consent_at = match check.text("consent_at") {
        Some(value) => match DateTime::parse_from_rfc3339(&value) {
            Ok(timestamp) => Some(timestamp.with_timezone(&Utc)),
            Err(_) => {
                check.fail(
                    "consent_at",
                    "is not an RFC 3339 timestamp (e.g. 2025-01-31T10:00:00Z)",
                );
                None
            }
        },
        None => None,
    };
    let consent = |check: &mut Check, column: &str| Consent {
        status: check
            .parsed::<ConsentStatus>(column)
            .unwrap_or(ConsentStatus::Unknown),
        source: consent_source.clone(),
        at: consent_at,
    };
    let mut contacts = vec![];
    if let Some(raw) = check.text("email") {
        match normalize_email(&raw) {
            Ok(address) => {
                let consent = consent(&mut check, "email_consent");
                contacts.push(ImportContact {
                    channel: Channel::Email,
                    address,
                    postal: None,
                    consent,
                });
            }
            Err(e) => check.fail("email", e),
        }
    }
    if let Some(raw) = check.text("phone") {
        match parse_phone(&raw, country) {
            Ok(phone) => {
                let sms = consent(&mut check, "sms_consent");
                let voice = consent(&mut check, "voice_consent");
                if phone.kind.allows(Channel::Sms) {
                    contacts.push(ImportContact {
                        channel: Channel::Sms,
                        address: phone.e164.clone(),
                        postal: None,
                        consent: sms,
                    });
                } else {
                    let reason = not_textable(phone.kind, Channel::Sms);
                    check.warn("phone", format!("{reason}: it is kept for voice only"));
                }
                contacts.push(ImportContact {
                    channel: Channel::Voice,
                    address: phone.e164,
                    postal: None,
                    consent: voice,
                });
            }
            Err(e) => check.fail("phone", e),
        }
    }
    if let Some(raw) = check.text("whatsapp") {
        match parse_phone(&raw, country) {
            Ok(phone) if phone.kind.allows(Channel::Whatsapp) => {
                let consent = consent(&mut check, "whatsapp_consent");
                contacts.push(ImportContact {
                    channel: Channel::Whatsapp,
                    address: phone.e164,
                    postal: None,
                    consent,
                });
            }
            Ok(phone) => {
                let reason = not_textable(phone.kind, Channel::Whatsapp);
                check.warn("whatsapp", format!("{reason}: no whatsapp contact point"));
            }
            Err(e) => check.fail("whatsapp", e),
        }
    }
    let line1 = check.optional_text("address_line1", 200);
    let city = check.optional_text("address_city", 100);
    match (line1, city) {
        (Some(line1), Some(city)) => {
            let postal = PostalAddress {
                line1,
                line2: check.optional_text("address_line2", 200),
                city,
                region: check.optional_text("address_region", 100),
                postal_code: check.optional_text("address_postal_code", 20),
                country,
            };
            let consent = consent(&mut check, "letter_consent");
            contacts.push(ImportContact {
                channel: Channel::Letter,
                address: postal.formatted(),
                postal: Some(postal),
                consent,
            });
        }
        // An incomplete address cannot carry a letter, but the row's debt and other contact
        // points stand: only the address is dropped.
        (Some(_), None) => check.warn(
            "address_line1",
            "has no city (address_city) beside it: the address is dropped, no letter contact point",
        ),
        (None, Some(_)) => check.warn(
            "address_city",
            "has no street (address_line1) beside it: the address is dropped, no letter contact point",
        ),
        (None, None) => {}
    }

    // Debt.
    let debt_external_id = check.required("debt_external_id", 128);
    let currency = match check.text("currency") {
        // A file without a currency column is in the tenant's currency.
        None if !fields.has("currency") => Some(tenant.currency),
        None => {
            check.fail("currency", "is required");
            None
        }
        Some(_) => check.parsed::<Currency>("currency"),
    };
    let original = match check.text("amount") {
        None => {
            check.fail("amount", "is required");
            None
        }
        Some(_) => check.amount("amount", currency),
    };
    let balance = check.amount("balance", currency).or(original);
    if let (Some(original), Some(balance)) = (original, balance)
        && balance > original
    {
        check.fail("balance", "is greater than amount");
    }
    let due_on = match check.text("due_date") {
        None => {
            check.fail("due_date", "is required");
            None
        }
        Some(_) => check.date("due_date"),
    };
    let issued_on = check.date("issued_date").or(due_on);
    if let (Some(issued), Some(due)) = (issued_on, due_on)
        && issued > due
    {
        check.fail("issued_date", "is after due_date");
    }
    let product = check.optional_text("product", 64);

    if !check.problems.is_empty() {
        return Err(check.problems);
    }
    let (Some(currency), Some(original_minor), Some(balance_minor), Some(issued_on), Some(due_on)) =
        (currency, original, balance, issued_on, due_on)
    else {
        // Every missing piece above reported a problem; this is unreachable by construction.
        return Err(vec![RowProblem {
            line,
            column: "amount".into(),
            value: String::new(),
            reason: "incomplete row".into(),
            severity: Severity::Error,
        }]);
    };
    let warnings = check.warnings;
    let row = ImportRow {
        line,
        debtor: ImportDebtor {
            external_id: debtor_external_id,
            kind,
            name,
            document_type,
            document_number,
            birth_date,
            language,
            timezone,
            country,
            segment,
            tags,
            attributes,
            preferences,
        },
        contacts,
        debt: ImportDebt {
            external_id: debt_external_id,
            currency,
            original_minor,
            balance_minor,
            issued_on,
            due_on,
            product,
        },
    };
    Ok(ParsedRow { row, warnings })
}

fn not_textable(kind: PhoneKind, channel: Channel) -> String {
    format!("is a {kind} number, which cannot receive {channel}")
}
