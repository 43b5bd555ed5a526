//! Bulk upsert of import rows: a batch of already-validated rows is written in one transaction
//! with multi-row statements, upserting on the tenant's external ids.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use recaudo_domain::event::EventKind;
use recaudo_domain::portfolio::{
    Channel, Consent, DebtorKind, Language, PostalAddress, Preferences,
};
use recaudo_domain::{ContactPointId, Country, Currency, DebtId, DebtorId, ImportId, Money};
use serde_json::value::RawValue;

use crate::events::event_row;
use crate::retry::{Jitter, RetryPolicy, retry};
use crate::sql::{Arg, Sql, raw_json as json};
use crate::{Result, StoreError, TenantStore, on_pool};

/// A batch that met a concurrent writer runs again against what that writer committed: five
/// tries, a few milliseconds apart.
const IMPORT_RETRY: RetryPolicy = RetryPolicy::new(
    5,
    Duration::from_millis(2),
    Duration::from_millis(50),
    Jitter::Equal,
);

/// The debtor part of an import row.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportDebtor {
    pub external_id: String,
    pub kind: DebtorKind,
    pub name: String,
    pub document_type: Option<String>,
    pub document_number: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub language: Language,
    pub timezone: String,
    pub country: Country,
    pub segment: Option<String>,
    pub tags: Vec<String>,
    pub attributes: serde_json::Value,
    pub preferences: Preferences,
}

/// A contact point of an import row, its address already normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportContact {
    pub channel: Channel,
    pub address: String,
    pub postal: Option<PostalAddress>,
    pub consent: Consent,
}

/// The debt part of an import row, amounts in minor units.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportDebt {
    pub external_id: String,
    pub currency: Currency,
    pub original_minor: i64,
    pub balance_minor: i64,
    pub issued_on: NaiveDate,
    pub due_on: NaiveDate,
    pub product: Option<String>,
}

/// One valid row of an import file.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRow {
    /// Line of the row in its file, for messages.
    pub line: u64,
    pub debtor: ImportDebtor,
    pub contacts: Vec<ImportContact>,
    pub debt: ImportDebt,
}

/// A batch of rows of one import run.
#[derive(Debug, Clone)]
pub struct ImportBatch {
    pub import_id: ImportId,
    pub rows: Vec<ImportRow>,
}

/// What happened to one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowOutcome {
    Imported,
    Updated,
}

/// The result of a batch, row by row (same order), and the rows that repeated a debt already
/// seen earlier in the same import run, with that earlier line.
#[derive(Debug, Clone, Default)]
pub struct BatchOutcome {
    pub outcomes: Vec<(u64, RowOutcome)>,
    /// (line, debt external id, earlier line)
    pub repeated: Vec<(u64, String, u64)>,
}

/// One column of a row set, as a PostgreSQL array (bound in binary, unnested server-side).
enum Column {
    Text(Vec<Option<String>>),
    Int(Vec<Option<i64>>),
    Bool(Vec<bool>),
    Date(Vec<Option<NaiveDate>>),
    Time(Vec<Option<DateTime<Utc>>>),
    Json(Vec<Option<sqlx::types::Json<Box<serde_json::value::RawValue>>>>),
    Bytes(Vec<Vec<u8>>),
}

impl Column {
    /// An empty column of the kind of `arg`, with its SQL array type.
    fn of(arg: &Arg, len: usize) -> (Column, &'static str) {
        match arg {
            Arg::Text(_) | Arg::OptText(_) => (Column::Text(Vec::with_capacity(len)), "text[]"),
            Arg::Int(_) | Arg::OptInt(_) => (Column::Int(Vec::with_capacity(len)), "bigint[]"),
            Arg::Bool(_) => (Column::Bool(Vec::with_capacity(len)), "boolean[]"),
            Arg::Date(_) | Arg::OptDate(_) => (Column::Date(Vec::with_capacity(len)), "date[]"),
            Arg::Time(_) | Arg::OptTime(_) => {
                (Column::Time(Vec::with_capacity(len)), "timestamptz[]")
            }
            Arg::Json(_) | Arg::OptJson(_) => (Column::Json(Vec::with_capacity(len)), "jsonb[]"),
            Arg::Bytes(_) => (Column::Bytes(Vec::with_capacity(len)), "bytea[]"),
        }
    }

    fn push(&mut self, arg: Arg) -> Result<()> {
        use sqlx::types::Json;
        match (self, arg) {
            (Column::Text(values), Arg::Text(value)) => values.push(Some(value)),
            (Column::Text(values), Arg::OptText(value)) => values.push(value),
            (Column::Int(values), Arg::Int(value)) => values.push(Some(value)),
            (Column::Int(values), Arg::OptInt(value)) => values.push(value),
            (Column::Bool(values), Arg::Bool(value)) => values.push(value),
            (Column::Date(values), Arg::Date(value)) => values.push(Some(value)),
            (Column::Date(values), Arg::OptDate(value)) => values.push(value),
            (Column::Time(values), Arg::Time(value)) => values.push(Some(value)),
            (Column::Time(values), Arg::OptTime(value)) => values.push(value),
            (Column::Json(values), Arg::Json(value)) => values.push(Some(Json(value))),
            (Column::Json(values), Arg::OptJson(value)) => values.push(value.map(Json)),
            (Column::Bytes(values), Arg::Bytes(value)) => values.push(value),
            _ => return Err(StoreError::Bulk("rows of one set differ in shape".into())),
        }
        Ok(())
    }
}

#[derive(sqlx::FromRow)]
struct ExistingDebtor {
    id: DebtorId,
    external_id: String,
}

#[derive(sqlx::FromRow)]
struct ExistingDebt {
    id: DebtId,
    external_id: String,
    balance_minor: i64,
    last_import_id: Option<ImportId>,
    last_import_line: Option<i64>,
}

impl TenantStore {
    /// Records the start of an import run.
    pub async fn start_import(&self, source: &str, now: DateTime<Utc>) -> Result<ImportId> {
        let id = ImportId::generate();
        let mut sql = Sql::new("INSERT INTO imports (id, tenant_id, source, started_at) VALUES ");
        sql.push_values(vec![
            id.into(),
            self.tid.clone().into(),
            source.to_string().into(),
            now.into(),
        ]);
        self.run_tx(vec![sql]).await?;
        Ok(id)
    }

    /// Records the end of an import run with its report.
    pub async fn finish_import(
        &self,
        id: ImportId,
        report: serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut sql = Sql::new("UPDATE imports SET finished_at = ");
        sql.push_arg(now)
            .push(", report = ")
            .push_arg(report)
            .push(" WHERE tenant_id = ")
            .push_arg(self.tid.clone())
            .push(" AND id = ")
            .push_arg(id);
        self.run_tx(vec![sql]).await
    }

    /// Upserts a batch in one transaction. Rows of the batch must have distinct debt external
    /// ids (the caller keeps the last of repeated ones). An opt-out already recorded is never
    /// undone by an import, and the preferences of an existing debtor (which the debtor may
    /// have set in the portal) are kept: an import seeds them only for new debtors.
    ///
    /// A concurrent writer (another import of the same file, the API) may create one of the
    /// batch's debtors or debts between this transaction's lookups and its writes: PostgreSQL
    /// runs both transactions, and this one then fails on a key, rolled back whole. It is run
    /// again, against what is committed by then. (SQLite serialises writers: it never happens.)
    pub async fn import_batch(
        &self,
        batch: &ImportBatch,
        now: DateTime<Utc>,
    ) -> Result<BatchOutcome> {
        retry(&IMPORT_RETRY, StoreError::is_key_violation, |_| {
            self.import_batch_once(batch, now)
        })
        .await
    }

    async fn import_batch_once(
        &self,
        batch: &ImportBatch,
        now: DateTime<Utc>,
    ) -> Result<BatchOutcome> {
        if batch.rows.is_empty() {
            return Ok(BatchOutcome::default());
        }
        let import_id = batch.import_id.to_string();

        // Debtors: the last row of each external id gives its fields.
        let mut debtor_rows: HashMap<&str, &ImportRow> = HashMap::new();
        for row in &batch.rows {
            debtor_rows.insert(row.debtor.external_id.as_str(), row);
        }
        let debtor_ext: Vec<String> = debtor_rows.keys().map(|s| s.to_string()).collect();
        let debt_ext: Vec<String> = batch
            .rows
            .iter()
            .map(|r| r.debt.external_id.clone())
            .collect();

        let tid = self.tid.clone();
        on_pool!(self.store, |pool| {
            let mut tx = crate::sql::begin!(pool);
            let lookup_debtors =
                by_external_ids("debtors", "id, external_id", &tid, &debtor_ext, SQLITE);
            let lookup_debts = by_external_ids(
                "debts",
                "id, external_id, balance_minor, last_import_id, last_import_line",
                &tid,
                &debt_ext,
                SQLITE,
            );

            let mut existing_debtors: HashMap<String, DebtorId> = HashMap::new();
            for existing in crate::sql::fetch_all!(ExistingDebtor, lookup_debtors, &mut *tx) {
                existing_debtors.insert(existing.external_id, existing.id);
            }
            let mut existing_debts: HashMap<String, ExistingDebt> = HashMap::new();
            for existing in crate::sql::fetch_all!(ExistingDebt, lookup_debts, &mut *tx) {
                existing_debts.insert(existing.external_id.clone(), existing);
            }
            let plan = plan_batch(
                &tid,
                batch,
                &import_id,
                &debtor_rows,
                &Existing {
                    debtors: existing_debtors,
                    debts: existing_debts,
                },
                now,
            )?;
            tx.write_sets(plan.sets).await?;
            tx.commit().await?;
            Ok(plan.outcome)
        })
    }
}

/// The rows of `table` (columns `columns`) of this tenant whose `external_id` is one of
/// `values`. The values travel as one JSON array parameter, so the statement is the same whatever
/// their number ([`dialect::rows_by_external_ids`](crate::dialect::rows_by_external_ids)).
fn by_external_ids(table: &str, columns: &str, tid: &str, values: &[String], sqlite: bool) -> Sql {
    let mut sql = Sql::new("");
    let tenant_param = sql.arg(tid.to_string());
    let ids_param = sql.arg(Arg::Text(serde_json::json!(values).to_string()));
    sql.text =
        crate::dialect::rows_by_external_ids(sqlite, table, columns, &tenant_param, &ids_param);
    sql
}

/// What a batch's external ids already name: debtor ids, and debts.
struct Existing {
    debtors: HashMap<String, DebtorId>,
    debts: HashMap<String, ExistingDebt>,
}

/// Rows to insert into one table: `head` is `INSERT INTO t (columns)`, `tail` an optional
/// `ON CONFLICT …`; every row has the shape of the first.
struct RowSet {
    head: String,
    tail: &'static str,
    rows: Vec<Vec<Arg>>,
}

/// Writes row sets inside a transaction, the fastest way each database offers.
trait WriteSets {
    async fn write_sets(&mut self, sets: Vec<RowSet>) -> Result<()>;
}

impl WriteSets for sqlx::Transaction<'_, sqlx::Sqlite> {
    /// Through SQLite's C API on this very connection: one prepared statement per set.
    async fn write_sets(&mut self, sets: Vec<RowSet>) -> Result<()> {
        let mut handle = self.lock_handle().await?;
        let db = handle.as_raw_handle();
        for set in sets {
            let Some(width) = set.rows.first().map(Vec::len) else {
                continue;
            };
            let sql = format!(
                "{} VALUES ({}){}",
                set.head,
                vec!["?"; width].join(", "),
                set.tail
            );
            crate::sqlite::ffi::insert_rows(db, &sql, &set.rows)?;
        }
        Ok(())
    }
}

impl WriteSets for sqlx::Transaction<'_, sqlx::Postgres> {
    /// One statement per set: each column bound as one array, `UNNEST`ed by the server.
    async fn write_sets(&mut self, sets: Vec<RowSet>) -> Result<()> {
        for set in sets {
            let Some(first) = set.rows.first() else {
                continue;
            };
            let (mut columns, types): (Vec<Column>, Vec<&str>) =
                first.iter().map(|a| Column::of(a, set.rows.len())).unzip();
            for row in set.rows {
                for (column, value) in columns.iter_mut().zip(row) {
                    column.push(value)?;
                }
            }
            let params: Vec<String> = types
                .iter()
                .enumerate()
                .map(|(i, t)| format!("${}::{t}", i + 1))
                .collect();
            let text = format!(
                "{} SELECT * FROM UNNEST({}) WHERE true{}",
                set.head,
                params.join(", "),
                set.tail
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(text));
            for column in columns {
                query = match column {
                    Column::Text(values) => query.bind(values),
                    Column::Int(values) => query.bind(values),
                    Column::Bool(values) => query.bind(values),
                    Column::Date(values) => query.bind(values),
                    Column::Time(values) => query.bind(values),
                    Column::Json(values) => query.bind(values),
                    Column::Bytes(values) => query.bind(values),
                };
            }
            query.execute(&mut **self).await?;
        }
        Ok(())
    }
}

struct BatchPlan {
    sets: Vec<RowSet>,
    outcome: BatchOutcome,
}

// The data of the events an import records (fields in alphabetical order, as a JSON map
// serialized from a `serde_json::Value` would have them).
#[derive(Serialize)]
struct DebtorCreated<'a> {
    external_id: &'a str,
    import_id: &'a str,
}

// Money is written as everywhere else (`{"amount": "1234.50", "currency": "COP"}`).
#[derive(Serialize)]
struct DebtUpdated<'a> {
    balance_after: Money,
    balance_before: Money,
    import_id: &'a str,
}

#[derive(Serialize)]
struct InvoiceIssued<'a> {
    amount: Money,
    balance: Money,
    due_on: NaiveDate,
    external_id: &'a str,
    import_id: &'a str,
}

/// Decides ids and writes for a batch, given what already exists.
fn plan_batch(
    tid: &str,
    batch: &ImportBatch,
    import_id: &str,
    debtor_rows: &HashMap<&str, &ImportRow>,
    existing: &Existing,
    now: DateTime<Utc>,
) -> Result<BatchPlan> {
    let (existing_debtors, existing_debts) = (&existing.debtors, &existing.debts);
    let mut sets = vec![];
    let mut events: Vec<Vec<Arg>> = vec![];
    let mut event = |debtor: &DebtorId, debt: Option<&DebtId>, kind, data: Box<RawValue>| {
        events.push(event_row(tid, debtor, debt, kind, now, now, data.into()));
    };

    // Debtors.
    let mut debtor_ids: HashMap<&str, DebtorId> = HashMap::new();
    let mut debtor_values = vec![];
    let mut ext_sorted: Vec<&&str> = debtor_rows.keys().collect();
    ext_sorted.sort();
    for ext in ext_sorted {
        let debtor = &debtor_rows[*ext].debtor;
        let id = match existing_debtors.get(*ext) {
            Some(&id) => id,
            None => {
                let id = DebtorId::generate();
                let data = DebtorCreated {
                    external_id: &debtor.external_id,
                    import_id,
                };
                event(&id, None, EventKind::DebtorCreated, json(&data)?);
                id
            }
        };
        let mut values = vec![
            tid.to_string().into(),
            id.into(),
            debtor.external_id.clone().into(),
            debtor.kind.as_str().into(),
            debtor.name.clone().into(),
            debtor.document_type.clone().into(),
            debtor.document_number.clone().into(),
            debtor.birth_date.into(),
            debtor.language.as_str().into(),
            debtor.timezone.clone().into(),
            debtor.country.code().into(),
            debtor.segment.clone().into(),
            json(&debtor.tags)?.into(),
            json(&debtor.attributes)?.into(),
            json(&debtor.preferences)?.into(),
            now.into(),
            now.into(),
        ];
        // The search keys, computed here once per row (no statement of their own).
        values.extend(crate::rows::debtor_search_values(
            &debtor.name,
            debtor.document_number.as_deref(),
        ));
        debtor_values.push(values);
        debtor_ids.insert(ext, id);
    }
    sets.push(RowSet {
        head: format!(
            "INSERT INTO debtors (tenant_id, {}, {})",
            crate::rows::DEBTOR_COLUMNS,
            crate::rows::DEBTOR_SEARCH_COLUMNS
        ),
        tail: " ON CONFLICT (tenant_id, external_id) DO UPDATE SET kind = excluded.kind, name = excluded.name, \
         document_type = excluded.document_type, document_number = excluded.document_number, \
         birth_date = excluded.birth_date, language = excluded.language, timezone = excluded.timezone, \
         country = excluded.country, segment = excluded.segment, tags = excluded.tags, \
         attributes = excluded.attributes, updated_at = excluded.updated_at, \
         search_name = excluded.search_name, document_key = excluded.document_key",
        rows: debtor_values,
    });

    // Contact points: every row's, once per (debtor, channel, address); the last row wins.
    let mut contacts: HashMap<(&str, Channel, &str), &ImportContact> = HashMap::new();
    let mut order = vec![];
    for row in &batch.rows {
        for contact in &row.contacts {
            let key = (
                row.debtor.external_id.as_str(),
                contact.channel,
                contact.address.as_str(),
            );
            if contacts.insert(key, contact).is_none() {
                order.push(key);
            }
        }
    }
    let mut cp_values = vec![];
    for key in order {
        let contact = contacts[&key];
        let opted_out_at = contact.consent.opted_out_at(now);
        cp_values.push(vec![
            tid.to_string().into(),
            ContactPointId::generate().into(),
            debtor_ids[key.0].into(),
            contact.channel.as_str().into(),
            contact.address.clone().into(),
            contact.postal.as_ref().map(json).transpose()?.into(),
            false.into(),
            contact.consent.status.as_str().into(),
            contact.consent.source.clone().into(),
            contact.consent.at.into(),
            opted_out_at.into(),
            0i64.into(),
            0i64.into(),
            now.into(),
        ]);
    }
    // Applies recaudo_domain::portfolio::ContactPoint::merge_imported_consent: an opt-out is
    // sticky across imports (tests/it/rules.rs checks the SQL against it).
    sets.push(RowSet {
        head: format!("INSERT INTO contact_points (tenant_id, {})", crate::rows::CONTACT_POINT_COLUMNS),
        tail: " ON CONFLICT (debtor_id, channel, address) DO UPDATE SET \
         postal = excluded.postal, \
         consent_status = CASE WHEN contact_points.consent_status = 'opted_out' THEN contact_points.consent_status ELSE excluded.consent_status END, \
         consent_source = CASE WHEN contact_points.consent_status = 'opted_out' THEN contact_points.consent_source ELSE excluded.consent_source END, \
         consent_at = CASE WHEN contact_points.consent_status = 'opted_out' THEN contact_points.consent_at ELSE excluded.consent_at END, \
         opted_out_at = COALESCE(contact_points.opted_out_at, excluded.opted_out_at)",
        rows: cp_values,
    });

    // Debts.
    let mut outcome = BatchOutcome::default();
    let mut debt_values = vec![];
    for row in &batch.rows {
        let debt = &row.debt;
        let debtor_id = debtor_ids[row.debtor.external_id.as_str()];
        let (id, result) = match existing_debts.get(&debt.external_id) {
            Some(ex) => {
                if ex.last_import_id == Some(batch.import_id) {
                    outcome.repeated.push((
                        row.line,
                        debt.external_id.clone(),
                        ex.last_import_line.unwrap_or(0) as u64,
                    ));
                }
                if ex.balance_minor != debt.balance_minor {
                    let data = DebtUpdated {
                        balance_after: Money::from_minor(debt.balance_minor, debt.currency),
                        balance_before: Money::from_minor(ex.balance_minor, debt.currency),
                        import_id,
                    };
                    event(
                        &debtor_id,
                        Some(&ex.id),
                        EventKind::DebtUpdated,
                        json(&data)?,
                    );
                }
                (ex.id, RowOutcome::Updated)
            }
            None => {
                let id = DebtId::generate();
                let data = InvoiceIssued {
                    amount: Money::from_minor(debt.original_minor, debt.currency),
                    balance: Money::from_minor(debt.balance_minor, debt.currency),
                    due_on: debt.due_on,
                    external_id: &debt.external_id,
                    import_id,
                };
                event(
                    &debtor_id,
                    Some(&id),
                    EventKind::InvoiceIssued,
                    json(&data)?,
                );
                (id, RowOutcome::Imported)
            }
        };
        outcome.outcomes.push((row.line, result));
        let status = if debt.balance_minor == 0 {
            "paid"
        } else {
            "open"
        };
        debt_values.push(vec![
            tid.to_string().into(),
            id.into(),
            debtor_id.into(),
            debt.external_id.clone().into(),
            debt.currency.code().into(),
            debt.original_minor.into(),
            debt.balance_minor.into(),
            debt.issued_on.into(),
            debt.due_on.into(),
            debt.product.clone().into(),
            status.into(),
            batch.import_id.into(),
            (row.line as i64).into(),
            now.into(),
            now.into(),
        ]);
    }
    sets.push(RowSet {
        head: format!(
            "INSERT INTO debts (tenant_id, {})",
            crate::rows::DEBT_IMPORT_COLUMNS
        ),
        tail: " ON CONFLICT (tenant_id, external_id) DO UPDATE SET debtor_id = excluded.debtor_id, \
         currency = excluded.currency, original_minor = excluded.original_minor, \
         balance_minor = excluded.balance_minor, issued_on = excluded.issued_on, due_on = excluded.due_on, \
         product = excluded.product, \
         status = CASE WHEN excluded.balance_minor = 0 THEN 'paid' \
                       WHEN debts.status = 'paid' THEN 'open' ELSE debts.status END, \
         last_import_id = excluded.last_import_id, last_import_line = excluded.last_import_line, \
         updated_at = excluded.updated_at",
        rows: debt_values,
    });

    sets.push(RowSet {
        head: format!(
            "INSERT INTO events (tenant_id, {})",
            crate::rows::EVENT_COLUMNS
        ),
        tail: "",
        rows: events,
    });
    Ok(BatchPlan { sets, outcome })
}
