//! The fields of the import format (docs/import.md), in the order the document lists them: the
//! one place that names them.

/// Every field, in the documented order.
pub const FIELDS: [&str; 35] = [
    "debtor_external_id",
    "debtor_name",
    "debtor_kind",
    "document_type",
    "document_number",
    "birth_date",
    "country",
    "language",
    "timezone",
    "segment",
    "tags",
    "email",
    "phone",
    "whatsapp",
    "address_line1",
    "address_line2",
    "address_city",
    "address_region",
    "address_postal_code",
    "email_consent",
    "sms_consent",
    "whatsapp_consent",
    "voice_consent",
    "letter_consent",
    "consent_source",
    "consent_at",
    "preferred_channel",
    "paperless",
    "debt_external_id",
    "currency",
    "amount",
    "balance",
    "issued_date",
    "due_date",
    "product",
];

/// Fields a file must have.
pub const REQUIRED: &[&str] = &[
    "debtor_external_id",
    "debtor_name",
    "debt_external_id",
    "currency",
    "amount",
    "due_date",
];

/// Prefix of free-attribute columns in CSV.
pub const ATTRIBUTE_PREFIX: &str = "attr_";

/// JSONL-only keys.
pub const JSONL_ONLY: &[&str] = &["attributes"];

pub fn is_known(name: &str) -> bool {
    FIELDS.contains(&name)
        || (name.starts_with(ATTRIBUTE_PREFIX) && name.len() > ATTRIBUTE_PREFIX.len())
}
