//! Row shapes as stored, and their conversion to domain types. Each derives `sqlx::FromRow`
//! generically, so one struct reads rows of both drivers.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::types::Json;

use recaudo_domain::event::{Event, EventKind};
use recaudo_domain::portfolio::{
    Consent, ContactPoint, Debt, Debtor, Dispute, Payment, PostalAddress, Preferences, Promise,
    StrategyAssignment, Tenant,
};
use recaudo_domain::{
    ContactPointId, Currency, DebtId, DebtorId, DisputeId, EventId, Money, PaymentId, PromiseId,
    TenantId,
};

use crate::{Result, StoreError};

pub(crate) fn parse<T: std::str::FromStr>(what: &str, text: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    text.parse::<T>()
        .map_err(|e| StoreError::corrupt(format!("{what}: {e}")))
}

fn parse_opt<T: std::str::FromStr>(what: &str, text: Option<&str>) -> Result<Option<T>>
where
    T::Err: std::fmt::Display,
{
    text.map(|v| parse(what, v)).transpose()
}

#[derive(sqlx::FromRow)]
pub(crate) struct TenantRow {
    pub id: TenantId,
    pub name: String,
    pub country: String,
    pub timezone: String,
    pub currency: String,
    pub language: String,
    pub jurisdiction: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl TenantRow {
    pub fn into_domain(self) -> Result<Tenant> {
        let country: recaudo_domain::Country = parse("country", &self.country)?;
        Ok(Tenant {
            id: self.id,
            name: self.name,
            country,
            timezone: self.timezone,
            currency: parse("currency", &self.currency)?,
            language: parse("language", &self.language)?,
            jurisdiction: parse_opt("jurisdiction", self.jurisdiction.as_deref())?
                .unwrap_or(country.into()),
            created_at: self.created_at,
        })
    }
}

/// The debtor columns in [`DebtorRow`]'s order (a literal, for `concat!`), with `$segment` in
/// the segment's place; the second form also says what is read in the place of the name and of
/// the identity document (the planner reads them empty: `planning::read`).
macro_rules! debtor_columns {
    ($segment:expr) => {
        $crate::rows::debtor_columns!(
            segment: $segment,
            name: "name",
            document: "document_type, document_number"
        )
    };
    (segment: $segment:expr, name: $name:expr, document: $document:expr) => {
        concat!(
            "id, external_id, kind, ",
            $name,
            ", ",
            $document,
            ", birth_date, language, timezone, country, ",
            $segment,
            ", tags, attributes, preferences, created_at, updated_at"
        )
    };
}
pub(crate) use debtor_columns;
/// The stored debtor columns (`segment` is the tenant's).
pub(crate) const DEBTOR_COLUMNS: &str = debtor_columns!("segment");
/// A debtor's segment as strategies and filters read it: the tenant's when it gave one, else the
/// planner's (`debtor_plans`), as `Debtor::effective_segment`.
pub(crate) const DEBTOR_SEGMENT: &str = "COALESCE(segment, planned_segment)";
/// [`DEBTOR_COLUMNS`] as read, from [`DEBTORS_FROM`], then the planner's segment.
pub(crate) const DEBTOR_READ_COLUMNS: &str = concat!(
    debtor_columns!("segment"),
    ", planned_segment AS computed_segment"
);
/// The search keys written beside [`DEBTOR_COLUMNS`] (migration 0011), never read back into a
/// debtor: [`debtor_search_values`] gives their values.
pub(crate) const DEBTOR_SEARCH_COLUMNS: &str = "search_name, document_key";

/// The values of [`DEBTOR_SEARCH_COLUMNS`] for a debtor's name and document number.
pub(crate) fn debtor_search_values(
    name: &str,
    document_number: Option<&str>,
) -> [crate::sql::Arg; 2] {
    use recaudo_domain::search::{document_key, fold_name};
    [
        fold_name(name).into(),
        document_number.and_then(document_key).into(),
    ]
}

/// Debtors with the segment the planner assigned them (`debtor_plans`, migration 0008).
pub(crate) const DEBTORS_FROM: &str = "debtors LEFT JOIN debtor_plans ON plan_debtor_id = id";

#[derive(sqlx::FromRow)]
pub(crate) struct DebtorRow {
    pub id: DebtorId,
    pub external_id: String,
    pub kind: String,
    pub name: String,
    pub document_type: Option<String>,
    pub document_number: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub language: String,
    pub timezone: String,
    pub country: String,
    pub segment: Option<String>,
    pub tags: Json<Vec<String>>,
    pub attributes: Json<serde_json::Value>,
    pub preferences: Json<Preferences>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub computed_segment: Option<String>,
}

impl DebtorRow {
    pub fn into_domain(self) -> Result<Debtor> {
        Ok(Debtor {
            id: self.id,
            external_id: self.external_id,
            kind: parse("debtor kind", &self.kind)?,
            name: self.name,
            document_type: self.document_type,
            document_number: self.document_number,
            birth_date: self.birth_date,
            language: parse("language", &self.language)?,
            timezone: self.timezone,
            country: parse("country", &self.country)?,
            segment: self.segment,
            computed_segment: self.computed_segment,
            tags: self.tags.0,
            attributes: self.attributes.0,
            preferences: self.preferences.0,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// The contact point columns in [`ContactPointRow`]'s order (a literal, for `concat!`), each
/// argument what is read in the place of a group of them: `address` (the address and the
/// postal address, with a trailing `, `), `consent` (its source and time, with a trailing `, `)
/// and `created` (`, created_at`). The planner reads these empty or not at all
/// (`planning::read`, `sqlite::rows::PLANNER_POINT_COLUMNS`).
macro_rules! contact_point_columns {
    (address: $address:expr, consent: $consent:expr, created: $created:expr) => {
        concat!(
            "id, debtor_id, channel, ",
            $address,
            "verified, consent_status, ",
            $consent,
            "opted_out_at, priority, bounce_count",
            $created
        )
    };
}
pub(crate) use contact_point_columns;

pub(crate) const CONTACT_POINT_COLUMNS: &str = contact_point_columns!(
    address: "address, postal, ",
    consent: "consent_source, consent_at, ",
    created: ", created_at"
);

#[derive(sqlx::FromRow)]
pub(crate) struct ContactPointRow {
    pub id: ContactPointId,
    pub debtor_id: DebtorId,
    pub channel: String,
    pub address: String,
    pub postal: Option<Json<PostalAddress>>,
    pub verified: bool,
    pub consent_status: String,
    pub consent_source: Option<String>,
    pub consent_at: Option<DateTime<Utc>>,
    pub opted_out_at: Option<DateTime<Utc>>,
    pub priority: i32,
    pub bounce_count: i32,
    pub created_at: DateTime<Utc>,
}

impl ContactPointRow {
    pub fn into_domain(self) -> Result<ContactPoint> {
        Ok(ContactPoint {
            id: self.id,
            debtor_id: self.debtor_id,
            channel: parse("channel", &self.channel)?,
            address: self.address,
            postal: self.postal.map(|j| Box::new(j.0)),
            verified: self.verified,
            consent: Consent {
                status: parse("consent status", &self.consent_status)?,
                source: self.consent_source,
                at: self.consent_at,
            },
            opted_out_at: self.opted_out_at,
            priority: self.priority,
            bounce_count: self.bounce_count,
            created_at: self.created_at,
        })
    }
}

/// A debt's columns up to its status (a literal, for `concat!`): what both the API and an
/// import write, each with its own columns after them.
macro_rules! debt_fields {
    () => {
        "id, debtor_id, external_id, currency, original_minor, balance_minor, issued_on, due_on, product, status"
    };
}
pub(crate) const DEBT_COLUMNS: &str = concat!(debt_fields!(), ", created_at, updated_at");
/// The columns an import writes to a debt: [`DEBT_COLUMNS`] with the import that last wrote it.
pub(crate) const DEBT_IMPORT_COLUMNS: &str = concat!(
    debt_fields!(),
    ", last_import_id, last_import_line, created_at, updated_at"
);
/// Read with [`DEBT_COLUMNS`] from [`DEBTS_FROM`]: the debt's entry in its debtor's
/// `debtor_plans.strategies` ([`StoredAssignment`], `NULL` when it follows none), the same
/// operator on both databases. Written by the planner, and by an explicit move
/// (`TenantStore::move_debt_strategy`).
pub(crate) const DEBT_STRATEGY_COLUMNS: &str = "strategies -> id AS strategy";
/// Debts with the strategies their debtor's debts follow.
pub(crate) const DEBTS_FROM: &str = "debts LEFT JOIN debtor_plans ON plan_debtor_id = debtor_id";

/// A debt's strategy as `debtor_plans.strategies` holds it, a JSON array: the strategy, the
/// version it started with, its experiment arms (experiment -> arm) and when it started.
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct StoredAssignment(
    pub String,
    pub i64,
    pub BTreeMap<String, String>,
    pub DateTime<Utc>,
);

impl StoredAssignment {
    pub fn of(assignment: &StrategyAssignment) -> StoredAssignment {
        StoredAssignment(
            assignment.strategy.clone(),
            i64::from(assignment.version),
            assignment.arms.clone(),
            assignment.started_at,
        )
    }

    pub fn into_domain(self) -> Result<StrategyAssignment> {
        Ok(StrategyAssignment {
            strategy: self.0,
            version: u32::try_from(self.1).map_err(StoreError::corrupt)?,
            arms: self.2,
            started_at: self.3,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct DebtRow {
    pub id: DebtId,
    pub debtor_id: DebtorId,
    pub external_id: String,
    pub currency: String,
    pub original_minor: i64,
    pub balance_minor: i64,
    pub issued_on: NaiveDate,
    pub due_on: NaiveDate,
    pub product: Option<String>,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub strategy: Option<Json<StoredAssignment>>,
}

impl DebtRow {
    pub fn into_domain(self) -> Result<Debt> {
        let currency: Currency = parse("currency", &self.currency)?;
        Ok(Debt {
            id: self.id,
            debtor_id: self.debtor_id,
            external_id: self.external_id,
            original: Money::from_minor(self.original_minor, currency),
            balance: Money::from_minor(self.balance_minor, currency),
            issued_on: self.issued_on,
            due_on: self.due_on,
            product: self.product,
            status: parse("debt status", &self.status)?,
            strategy: self.strategy.map(|j| j.0.into_domain()).transpose()?,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

pub(crate) const PAYMENT_COLUMNS: &str =
    "id, debt_id, currency, amount_minor, method, provider_ref, received_at, credit_minor";

#[derive(sqlx::FromRow)]
pub(crate) struct PaymentRow {
    pub id: PaymentId,
    pub debt_id: DebtId,
    pub currency: String,
    pub amount_minor: i64,
    pub method: String,
    pub provider_ref: Option<String>,
    pub received_at: DateTime<Utc>,
    pub credit_minor: i64,
}

impl PaymentRow {
    pub fn into_domain(self) -> Result<Payment> {
        let currency = parse("currency", &self.currency)?;
        Ok(Payment {
            id: self.id,
            debt_id: self.debt_id,
            amount: Money::from_minor(self.amount_minor, currency),
            method: self.method,
            provider_ref: self.provider_ref,
            received_at: self.received_at,
            credit: (self.credit_minor != 0)
                .then(|| Money::from_minor(self.credit_minor, currency)),
        })
    }
}

pub(crate) const PROMISE_COLUMNS: &str = "id, debt_id, currency, amount_minor, due_on, channel, status, created_at, closed_at, closed_by, close_reason";

#[derive(sqlx::FromRow)]
pub(crate) struct PromiseRow {
    pub id: PromiseId,
    pub debt_id: DebtId,
    pub currency: String,
    pub amount_minor: i64,
    pub due_on: NaiveDate,
    pub channel: Option<String>,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<String>,
    pub close_reason: Option<String>,
}

impl PromiseRow {
    pub fn into_domain(self) -> Result<Promise> {
        Ok(Promise {
            id: self.id,
            debt_id: self.debt_id,
            amount: Money::from_minor(self.amount_minor, parse("currency", &self.currency)?),
            due_on: self.due_on,
            channel: parse_opt("channel", self.channel.as_deref())?,
            status: parse("promise status", &self.status)?,
            created_at: self.created_at,
            closed_at: self.closed_at,
            closed_by: self.closed_by,
            close_reason: self.close_reason,
        })
    }
}

pub(crate) const DISPUTE_COLUMNS: &str = "id, debt_id, reason, status, opened_at, resolved_at";

#[derive(sqlx::FromRow)]
pub(crate) struct DisputeRow {
    pub id: DisputeId,
    pub debt_id: DebtId,
    pub reason: String,
    pub status: String,
    pub opened_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
}

impl DisputeRow {
    pub fn into_domain(self) -> Result<Dispute> {
        Ok(Dispute {
            id: self.id,
            debt_id: self.debt_id,
            reason: self.reason,
            status: parse("dispute status", &self.status)?,
            opened_at: self.opened_at,
            resolved_at: self.resolved_at,
        })
    }
}

pub(crate) const EVENT_COLUMNS: &str = "id, debtor_id, debt_id, kind, at, recorded_at, data";

#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    pub id: EventId,
    pub debtor_id: DebtorId,
    pub debt_id: Option<DebtId>,
    pub kind: String,
    pub at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub data: Json<serde_json::Value>,
}

impl EventRow {
    pub fn into_domain(self) -> Result<Event> {
        Ok(Event {
            id: self.id,
            debtor_id: self.debtor_id,
            debt_id: self.debt_id,
            kind: parse::<EventKind>("event kind", &self.kind)?,
            at: self.at,
            recorded_at: self.recorded_at,
            data: self.data.0,
        })
    }
}

/// Converts a list of rows, failing on the first unreadable one.
pub(crate) fn convert<R, T>(rows: Vec<R>, decode: impl Fn(R) -> Result<T>) -> Result<Vec<T>> {
    rows.into_iter().map(decode).collect()
}

#[cfg(test)]
mod typed_ids {
    use recaudo_domain::{DebtId, DebtorId};
    use sqlx::AssertSqlSafe;

    /// Writes ids through a pool of either driver and reads them back, as ids and as text;
    /// `p(n)` is the driver's `n`-th placeholder.
    macro_rules! check_id_columns {
        ($pool:expr, $p:expr) => {{
            let pool = $pool;
            let p = $p;
            sqlx::query("CREATE TABLE ids (id TEXT NOT NULL, debt_id TEXT, v VARCHAR(40))")
                .execute(&pool)
                .await
                .unwrap();
            let (id, debt, other) = (
                DebtorId::generate(),
                DebtId::generate(),
                DebtorId::generate(),
            );
            let insert = format!(
                "INSERT INTO ids (id, debt_id, v) VALUES ({}, {}, {})",
                p(1),
                p(2),
                p(3)
            );
            sqlx::query(AssertSqlSafe(insert.clone()))
                .bind(id)
                .bind(Some(debt))
                .bind(id)
                .execute(&pool)
                .await
                .unwrap();
            sqlx::query(AssertSqlSafe(insert))
                .bind(other)
                .bind(None::<DebtId>)
                .bind(other)
                .execute(&pool)
                .await
                .unwrap();
            let select = format!("SELECT id, debt_id, v FROM ids WHERE id = {}", p(1));
            let read: (DebtorId, Option<DebtId>, DebtorId) =
                sqlx::query_as(AssertSqlSafe(select.clone()))
                    .bind(id)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            assert_eq!(read, (id, Some(debt), id));
            let read: (DebtorId, Option<DebtId>, DebtorId) =
                sqlx::query_as(AssertSqlSafe(select.clone()))
                    .bind(other)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            assert_eq!(read, (other, None, other));
            // Stored as the text `to_string` gives, as before ids were bound typed.
            let text: (String, String) = sqlx::query_as(AssertSqlSafe(format!(
                "SELECT id, debt_id FROM ids WHERE id = {}",
                p(1)
            )))
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
            assert_eq!(text, (id.to_string(), debt.to_string()));

            sqlx::query("INSERT INTO ids (id, debt_id, v) VALUES ('dbr_nope', 'debt_x', NULL)")
                .execute(&pool)
                .await
                .unwrap();
            let bad = sqlx::query_as::<_, (DebtorId,)>("SELECT id FROM ids WHERE id = 'dbr_nope'")
                .fetch_one(&pool)
                .await
                .unwrap_err()
                .to_string();
            assert!(
                bad.contains("debtor id") && bad.contains("dbr_nope"),
                "{bad}"
            );
            let foreign = sqlx::query_as::<_, (DebtorId,)>(AssertSqlSafe(format!(
                "SELECT debt_id FROM ids WHERE id = {}",
                p(1)
            )))
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap_err()
            .to_string();
            assert!(
                foreign.contains("debtor id") && foreign.contains(&debt.to_string()),
                "{foreign}"
            );
        }};
    }

    #[tokio::test]
    async fn ids_round_trip_through_sqlite_columns() {
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .unwrap();
        check_id_columns!(pool, |_| "?".to_string());
    }

    #[tokio::test]
    async fn ids_round_trip_through_postgres_columns() {
        let Some(url) = crate::testing::fresh_postgres_url().await.unwrap() else {
            eprintln!("{} is not set: skipped", crate::testing::TEST_DATABASE_ENV);
            return;
        };
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        check_id_columns!(pool, |n: usize| format!("${n}"));
    }
}
