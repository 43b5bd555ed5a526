//! Identifiers: ULIDs with a readable prefix in their string form (`dbr_01J…`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use ulid::Ulid;

/// The error for an id string that does not have the expected prefix or is not a ULID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid {kind} id (expected `{prefix}_` followed by a ULID)")]
pub struct IdError {
    pub kind: &'static str,
    pub prefix: &'static str,
    pub value: String,
}

/// The value of each byte of a ULID in its canonical form (Crockford's base 32, upper case);
/// `0xFF` for any other byte.
const ULID_DIGITS: [u8; 256] = {
    let alphabet = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut table = [0xFF; 256];
    let mut i = 0;
    while i < alphabet.len() {
        table[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// A ULID from its 26 characters, as `Ulid::from_string` reads it: the canonical form (every id
/// the store writes) decoded straight through a table, anything else (lower case, an
/// out-of-range first character, garbage) left to the crate, which accepts or rejects it. Ids
/// are the values the planner parses most (5M on a day of 1M debts), at about 100 ns each
/// through the crate.
pub fn parse_ulid(text: &str) -> Result<Ulid, ulid::DecodeError> {
    let bytes = text.as_bytes();
    // A first character above 7 would overflow 128 bits.
    if bytes.len() == 26 && bytes[0] <= b'7' {
        let mut value: u128 = 0;
        let mut invalid = 0u8;
        for &byte in bytes {
            let digit = ULID_DIGITS[byte as usize];
            invalid |= digit;
            value = (value << 5) | u128::from(digit & 31);
        }
        if invalid & 0x80 == 0 {
            return Ok(Ulid(value));
        }
    }
    Ulid::from_string(text)
}

/// ULIDs from one process-wide generator: strictly increasing even within a millisecond, so ids
/// created in one transaction (a payment and its `debt_paid` event) sort in creation order.
pub fn monotonic_ulid() -> Ulid {
    static GENERATOR: std::sync::Mutex<ulid::Generator> =
        std::sync::Mutex::new(ulid::Generator::new());
    let mut generator = GENERATOR.lock().unwrap_or_else(|e| e.into_inner());
    match generator.generate() {
        Ok(id) => id,
        Err(overflow) => overflow.commit_overflow_increment(),
    }
}

/// An id's string form (`prefix_` and the 26 characters of its ULID), written on the stack:
/// formatting millions of ids (the planner's writes, experiment buckets) through `fmt` cost more
/// than the rest of their use.
#[derive(Clone, Copy)]
pub struct IdText {
    bytes: [u8; 40],
    len: u8,
}

impl IdText {
    fn new(prefix: &str, id: Ulid) -> IdText {
        let mut bytes = [0u8; 40];
        let prefix_len = prefix.len().min(40 - 1 - ulid::ULID_LEN);
        bytes[..prefix_len].copy_from_slice(&prefix.as_bytes()[..prefix_len]);
        bytes[prefix_len] = b'_';
        let mut text = [0u8; ulid::ULID_LEN];
        id.array_to_str(&mut text);
        bytes[prefix_len + 1..prefix_len + 1 + ulid::ULID_LEN].copy_from_slice(&text);
        IdText {
            bytes,
            len: (prefix_len + 1 + ulid::ULID_LEN) as u8,
        }
    }

    pub fn as_str(&self) -> &str {
        // The prefix is ASCII (a literal below) and a ULID's text is Crockford base32.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl std::ops::Deref for IdText {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

macro_rules! prefixed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub Ulid);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// A new id from the given ULID source (pass a clock-derived ULID in tests).
            pub fn from_ulid(id: Ulid) -> Self {
                Self(id)
            }

            /// A fresh id, greater than every id generated before it in this process.
            pub fn generate() -> Self {
                Self(monotonic_ulid())
            }

            /// The string form, without allocating.
            pub fn text(&self) -> IdText {
                IdText::new($prefix, self.0)
            }

            pub fn ulid(&self) -> Ulid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.text().as_str())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                let err = || IdError { kind: $kind, prefix: $prefix, value: text.to_string() };
                let rest = text
                    .strip_prefix($prefix)
                    .and_then(|r| r.strip_prefix('_'))
                    .ok_or_else(err)?;
                parse_ulid(rest).map(Self).map_err(|_| err())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description(Some(concat!("A ", $kind, " id: `", $prefix, "_` followed by a ULID.")))
                    .examples([serde_json::json!(concat!($prefix, "_01JD8X3Q4Z0000000000000000"))])
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        // A TEXT column in the id's string form, on any driver that stores `str` (SQLite and
        // PostgreSQL): read without an owned copy, through `FromStr`'s fast ULID path.
        #[cfg(feature = "sqlx")]
        impl<DB: sqlx::Database> sqlx::Type<DB> for $name
        where
            str: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <str as sqlx::Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <str as sqlx::Type<DB>>::compatible(ty)
            }
        }

        #[cfg(feature = "sqlx")]
        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $name
        where
            &'r str: sqlx::Decode<'r, DB>,
        {
            fn decode(value: DB::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <&'r str as sqlx::Decode<'r, DB>>::decode(value)?;
                Ok(text.parse::<$name>()?)
            }
        }

        #[cfg(feature = "sqlx")]
        impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for $name
        where
            for<'a> &'a str: sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut DB::ArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&str as sqlx::Encode<'q, DB>>::encode_by_ref(&self.text().as_str(), buf)
            }

            fn size_hint(&self) -> usize {
                $prefix.len() + 1 + ulid::ULID_LEN
            }
        }
    };
}

prefixed_id!(/// A tenant: one collecting company.
    TenantId, "ten", "tenant");
prefixed_id!(/// A debtor.
    DebtorId, "dbr", "debtor");
prefixed_id!(/// A contact point (an email, a phone, an address) of a debtor.
    ContactPointId, "cp", "contact point");
prefixed_id!(/// A debt.
    DebtId, "debt", "debt");
prefixed_id!(/// A payment.
    PaymentId, "pay", "payment");
prefixed_id!(/// What a debtor set out to pay through a payment provider (a PIX charge, a checkout).
    PaymentIntentId, "pin", "payment intent");
prefixed_id!(/// A promise to pay.
    PromiseId, "prm", "promise");
prefixed_id!(/// A dispute.
    DisputeId, "dsp", "dispute");
prefixed_id!(/// An event of a timeline.
    EventId, "evt", "event");
prefixed_id!(/// A contact (one outbox row).
    ContactId, "ctc", "contact");
prefixed_id!(/// An API key.
    ApiKeyId, "key", "api key");
prefixed_id!(/// An import run.
    ImportId, "imp", "import");
prefixed_id!(/// An agent task (a strategy's `task:` step, or a message to read).
    TaskId, "tsk", "task");
prefixed_id!(/// A message of a conversation (what a debtor wrote, or an answer).
    MessageId, "msg", "message");
prefixed_id!(/// An agent's note on a task.
    NoteId, "note", "task note");
prefixed_id!(/// An instalment plan a debtor accepted.
    PlanId, "pln", "plan");
prefixed_id!(/// A person of a tenant's collections team who signs in to the dashboard.
    OperatorId, "opr", "operator");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_its_string_form() {
        let id = DebtorId::generate();
        let text = id.to_string();
        assert!(text.starts_with("dbr_"));
        assert_eq!(text.parse::<DebtorId>().unwrap(), id);
    }

    #[test]
    fn the_stack_text_is_the_prefix_and_the_ulid() {
        let id = Ulid::from_string("01M8TR1RCYFVRJ1Q6YCNF3NJBF").unwrap();
        assert_eq!(
            DebtId::from_ulid(id).text().as_str(),
            "debt_01M8TR1RCYFVRJ1Q6YCNF3NJBF"
        );
        assert_eq!(
            DebtId::from_ulid(id).to_string(),
            "debt_01M8TR1RCYFVRJ1Q6YCNF3NJBF"
        );
        let id = TenantId::generate();
        assert_eq!(&*id.text(), id.to_string());
    }

    #[test]
    fn ids_increase_within_a_millisecond() {
        let ids: Vec<EventId> = (0..1000).map(|_| EventId::generate()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        assert!(ids.windows(2).all(|w| w[0].to_string() < w[1].to_string()));
    }

    proptest::proptest! {
        #[test]
        fn ulids_parse_as_the_crate_parses_them(bits in proptest::prelude::any::<u128>()) {
            let id = Ulid(bits);
            proptest::prop_assert_eq!(parse_ulid(&id.to_string()), Ok(id));
            let lower = id.to_string().to_lowercase();
            proptest::prop_assert_eq!(parse_ulid(&lower), Ulid::from_string(&lower));
        }

        #[test]
        fn any_text_parses_or_fails_as_with_the_crate(text in "[0-9A-Za-z~é]{24,27}") {
            proptest::prop_assert_eq!(parse_ulid(&text), Ulid::from_string(&text));
        }

        #[test]
        fn canonical_text_parses_as_with_the_crate(text in "[0-9A-HJKMNP-TV-Z]{26}") {
            proptest::prop_assert_eq!(parse_ulid(&text), Ulid::from_string(&text));
        }
    }

    #[test]
    fn ulid_edge_cases_parse_as_with_the_crate() {
        for text in [
            "00000000000000000000000000",
            "7ZZZZZZZZZZZZZZZZZZZZZZZZZ",
            "80000000000000000000000000",
            "01M8TR1RCYFVRJ1Q6YCNF3NJBI",
            "01M8TR1RCYFVRJ1Q6YCNF3NJBL",
            "01M8TR1RCYFVRJ1Q6YCNF3NJBO",
            "01M8TR1RCYFVRJ1Q6YCNF3NJBU",
            "01m8tr1rcyfvrj1q6ycnf3njbf",
            "01M8TR1RCYFVRJ1Q6YCNF3NJB",
            "",
        ] {
            assert_eq!(parse_ulid(text), Ulid::from_string(text), "{text}");
        }
    }

    #[test]
    fn rejects_a_foreign_prefix_or_garbage() {
        let debt_id = DebtId::generate().to_string();
        let err = debt_id.parse::<DebtorId>().unwrap_err();
        assert_eq!(err.kind, "debtor");
        assert!("dbr_nope".parse::<DebtorId>().is_err());
        assert!("".parse::<DebtorId>().is_err());
    }
}
