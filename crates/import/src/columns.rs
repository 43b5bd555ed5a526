//! The columns of the import format (docs/import.md), one place for all of them.

/// Columns a file must have.
pub const REQUIRED: &[&str] = &[
    "debtor_external_id",
    "debtor_name",
    "debt_external_id",
    "currency",
    "amount",
    "due_date",
];

/// Columns a file may have besides the required ones (and `attr_*`).
pub const OPTIONAL: &[&str] = &[
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
    "balance",
    "issued_date",
    "product",
];

/// Prefix of free-attribute columns in CSV.
pub const ATTRIBUTE_PREFIX: &str = "attr_";

/// JSONL-only keys.
pub const JSONL_ONLY: &[&str] = &["attributes"];

pub fn is_known(name: &str) -> bool {
    REQUIRED.contains(&name)
        || OPTIONAL.contains(&name)
        || (name.starts_with(ATTRIBUTE_PREFIX) && name.len() > ATTRIBUTE_PREFIX.len())
}
