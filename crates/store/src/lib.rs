//! recaudo's store: one API over SQLite (embedded, the default) and PostgreSQL.
//!
//! Every portfolio read and write goes through a [`TenantStore`], obtained with
//! [`Store::tenant`]: the tenant id is part of every statement it runs, so no handler can forget
//! it. Queries are built at run time (no compile-time macros) and written once for both
//! databases: placeholders are `$1…$n`, which both accept, and values are bound with types both
//! drivers know. Money is kept in minor units next to its currency.

#![deny(unsafe_code)]

mod accounts;
mod contact_rules;
mod conversations;
mod dashboard;
mod dialect;
mod dispatch;
mod error;
mod events;
mod idempotency;
mod import;
mod kpis;

mod ledger;
mod operators;
mod outbox;
mod payments;
mod planning;
mod plans;
mod portal;
mod portfolio;
pub mod retry;
mod rows;
mod sql;
mod sqlite;
mod strategies;
mod tasks;
mod templates;
mod tenants;
pub mod testing;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

pub use accounts::{AccountTable, StoredAccount};
pub use contact_rules::{PutContactRules, StoredContactRules};
pub use dashboard::{ImportRun, OutboxLabel};
pub use dispatch::{
    Applied, ContactRef, DispatchOutcome, OutboxCounts, OutboxCursor, OutboxEntry, OutboxFilter,
    RecordStats, TrackKind, Tracked,
};
pub use error::{Entity, StoreError};
pub use events::TimelineQuery;
pub use idempotency::StoredResponse;
pub use import::{
    BatchOutcome, ImportBatch, ImportContact, ImportDebt, ImportDebtor, ImportRow, RowOutcome,
};

pub use conversations::{
    AddressOwner, KeptPromise, MESSAGE_TEXT_MAX, MessageCounts, MessageOutcome, NewMessage,
    NewMessageTask, NewReply, TaskNote, truncate,
};
pub use ledger::{Collected, CurrencyTotal, NewPayment, NewPromise, PromiseOverride};
pub use operators::{
    MIN_PASSWORD_CHARS, NewOperator, Operator, SESSION_HOURS, check_password, new_password,
    normalise_email,
};
pub use payments::{Allocation, Claim, IntentStatus, NewIntent, PaymentIntent, txid_of};
pub use planning::{
    PLAN_CONTACT_DAYS, PLAN_EVENT_DAYS, PlanBatch, PlanPreparer, PlanWrite, PlanWriter,
    PreparedPlans, WriteStats,
};
pub use plans::{InstalmentDue, PlanSettled};
pub use portal::{
    DEFAULT_LINK_DAYS, EvidenceInfo, LOGO_MAX_BYTES, NewEvidence, NewPortalTask, PortalSettings,
    PutPortalSettings, image_type,
};
pub use portfolio::{
    DebtFilter, DebtorFilter, ERASED_EVENT_KEYS, NewContactPoint, NewDebt, NewDebtor, Page,
    normalize_contact_address,
};
pub use sqlite::planning::PlanRows;
pub use strategies::{PutStrategy, StoredStrategy};
pub use tasks::{TASK_NAME_MAX, TASK_NOTE_MAX, TaskFilter};
pub use templates::StoredTemplate;
pub use tenants::{ApiKeyInfo, NewTenant, TenantKey, hash_api_key};

use recaudo_domain::portfolio::Tenant;
use recaudo_domain::secret::redact_url;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Clone)]
pub(crate) enum Backend {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the concrete pool of either backend. The body is written
/// once and compiled twice, once per driver; each copy sees a `SQLITE` constant telling which.
macro_rules! on_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        match &$store.backend {
            $crate::Backend::Sqlite($pool) => {
                /// Read by the `sql` macros: placeholders are rendered for this driver.
                #[allow(dead_code)]
                const SQLITE: bool = true;
                $body
            }
            $crate::Backend::Postgres($pool) => {
                #[allow(dead_code)]
                const SQLITE: bool = false;
                $body
            }
        }
    };
}
pub(crate) use on_pool;

/// Migrations, embedded in the binary: (version, description, SQL) per backend.
type Migrations = &'static [(i64, &'static str, &'static str)];
const SQLITE_MIGRATIONS: Migrations = &[
    (
        1,
        "portfolio",
        include_str!("../migrations/sqlite/0001_portfolio.sql"),
    ),
    (
        2,
        "tenant jurisdiction",
        include_str!("../migrations/sqlite/0002_tenant_jurisdiction.sql"),
    ),
    (
        3,
        "outbox",
        include_str!("../migrations/sqlite/0003_outbox.sql"),
    ),
    (
        4,
        "strategies",
        include_str!("../migrations/sqlite/0004_strategies.sql"),
    ),
    (
        5,
        "planner_state",
        include_str!("../migrations/sqlite/0005_planner_state.sql"),
    ),
    (
        6,
        "planner_events",
        include_str!("../migrations/sqlite/0006_planner_events.sql"),
    ),
    (
        7,
        "contact_points_by_debtor",
        include_str!("../migrations/sqlite/0007_contact_points_by_debtor.sql"),
    ),
    (
        8,
        "debtor_plans",
        include_str!("../migrations/sqlite/0008_debtor_plans.sql"),
    ),
    (
        10,
        "ledger",
        include_str!("../migrations/sqlite/0010_ledger.sql"),
    ),
    (
        11,
        "search_and_erasure",
        include_str!("../migrations/sqlite/0011_search_and_erasure.sql"),
    ),
    (
        12,
        "contact_rules",
        include_str!("../migrations/sqlite/0012_contact_rules.sql"),
    ),
    (
        13,
        "dispatch",
        include_str!("../migrations/sqlite/0013_dispatch.sql"),
    ),
    (
        14,
        "conversations",
        include_str!("../migrations/sqlite/0014_conversations.sql"),
    ),
    (
        15,
        "plans",
        include_str!("../migrations/sqlite/0015_plans.sql"),
    ),
    (
        16,
        "payments",
        include_str!("../migrations/sqlite/0016_payments.sql"),
    ),
    (
        17,
        "portal",
        include_str!("../migrations/sqlite/0017_portal.sql"),
    ),
    (
        18,
        "operators",
        include_str!("../migrations/sqlite/0018_operators.sql"),
    ),
];
const POSTGRES_MIGRATIONS: Migrations = &[
    (
        1,
        "portfolio",
        include_str!("../migrations/postgres/0001_portfolio.sql"),
    ),
    (
        2,
        "tenant jurisdiction",
        include_str!("../migrations/postgres/0002_tenant_jurisdiction.sql"),
    ),
    (
        3,
        "outbox",
        include_str!("../migrations/postgres/0003_outbox.sql"),
    ),
    (
        4,
        "strategies",
        include_str!("../migrations/postgres/0004_strategies.sql"),
    ),
    (
        5,
        "planner_state",
        include_str!("../migrations/postgres/0005_planner_state.sql"),
    ),
    (
        6,
        "planner_events",
        include_str!("../migrations/postgres/0006_planner_events.sql"),
    ),
    (
        7,
        "contact_points_by_debtor",
        include_str!("../migrations/postgres/0007_contact_points_by_debtor.sql"),
    ),
    (
        8,
        "debtor_plans",
        include_str!("../migrations/postgres/0008_debtor_plans.sql"),
    ),
    (
        10,
        "ledger",
        include_str!("../migrations/postgres/0010_ledger.sql"),
    ),
    (
        11,
        "search_and_erasure",
        include_str!("../migrations/postgres/0011_search_and_erasure.sql"),
    ),
    (
        12,
        "contact_rules",
        include_str!("../migrations/postgres/0012_contact_rules.sql"),
    ),
    (
        13,
        "dispatch",
        include_str!("../migrations/postgres/0013_dispatch.sql"),
    ),
    (
        14,
        "conversations",
        include_str!("../migrations/postgres/0014_conversations.sql"),
    ),
    (
        15,
        "plans",
        include_str!("../migrations/postgres/0015_plans.sql"),
    ),
    (
        16,
        "payments",
        include_str!("../migrations/postgres/0016_payments.sql"),
    ),
    (
        17,
        "portal",
        include_str!("../migrations/postgres/0017_portal.sql"),
    ),
    (
        18,
        "operators",
        include_str!("../migrations/postgres/0018_operators.sql"),
    ),
];

fn migrator(list: Migrations) -> sqlx::migrate::Migrator {
    sqlx::migrate::Migrator::with_migrations(
        list.iter()
            .map(|(version, description, sql)| {
                sqlx::migrate::Migration::new(
                    *version,
                    std::borrow::Cow::Borrowed(*description),
                    sqlx::migrate::MigrationType::Simple,
                    sqlx::SqlStr::from_static(sql),
                    false,
                )
            })
            .collect(),
    )
}

/// The database, shared by every part of recaudo. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pub(crate) backend: Backend,
}

/// Which database a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}

impl DatabaseKind {
    /// The database of `url`; an error names the URL with its passwords hidden
    /// ([`redact_url`]).
    pub fn of_url(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(DatabaseKind::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(DatabaseKind::Postgres)
        } else {
            Err(StoreError::Config(format!(
                "database URL `{}` is neither `sqlite://FILE` nor `postgres://…`",
                redact_url(url)
            )))
        }
    }
}

/// The page size of SQLite databases this store creates.
pub(crate) const SQLITE_PAGE_SIZE: u32 = 16_384;

/// WAL pages after which a commit checkpoints (see `Store::connect`): 200 MiB of pages of
/// [`SQLITE_PAGE_SIZE`].
pub(crate) const WAL_AUTOCHECKPOINT: i32 = 12_800;

impl Store {
    /// Connects to `sqlite://FILE` (created when missing) or `postgres://…`. Does not migrate.
    pub async fn connect(url: &str) -> Result<Store> {
        match DatabaseKind::of_url(url)? {
            DatabaseKind::Sqlite => {
                sqlite::ffi::configure_once();
                let opts = SqliteConnectOptions::from_str(url)
                    .map_err(|e| {
                        StoreError::Config(format!("bad SQLite URL `{}`: {e}", redact_url(url)))
                    })?
                    .create_if_missing(true)
                    // Pages of 16 KiB rather than 4 KiB, for databases created from now on (a
                    // database keeps the size it was made with): the planner reads most of the
                    // portfolio every day in range scans, with a quarter of the page fetches,
                    // B-tree cells and `pread` calls (docs/benchmarks.md).
                    .page_size(SQLITE_PAGE_SIZE)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(10))
                    .pragma("cache_size", "-65536")
                    .pragma("temp_store", "memory")
                    // Checkpoint once the WAL holds 200 MiB (12,800 pages of 16 KiB) rather
                    // than SQLite's 1,000 pages: each checkpoint syncs the WAL and the
                    // database, which a planning day would wait for after every batch or two
                    // (docs/benchmarks.md).
                    .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT.to_string());
                // The planner's three readers, its writer and its checkpoints, and one more so
                // that the API still finds a connection while the planner runs.
                let pool = SqlitePoolOptions::new()
                    .max_connections(6)
                    .connect_with(opts)
                    .await?;
                Ok(Store {
                    backend: Backend::Sqlite(pool),
                })
            }
            DatabaseKind::Postgres => {
                let opts = PgConnectOptions::from_str(url)
                    .map_err(|e| StoreError::Config(format!("bad PostgreSQL URL: {e}")))?;
                let pool = PgPoolOptions::new()
                    .max_connections(10)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(opts)
                    .await?;
                Ok(Store {
                    backend: Backend::Postgres(pool),
                })
            }
        }
    }

    /// Connects and applies pending migrations.
    pub async fn open(url: &str) -> Result<Store> {
        let store = Store::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Applies the embedded migrations of this backend, then computes the search keys of
    /// debtors written before they existed (migration 0011).
    pub async fn migrate(&self) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(pool) => migrator(SQLITE_MIGRATIONS).run(pool).await?,
            Backend::Postgres(pool) => migrator(POSTGRES_MIGRATIONS).run(pool).await?,
        }
        self.fill_search_keys().await
    }

    /// Gives every debtor without search keys (`search_name IS NULL`: written before migration
    /// 0011) the keys its name and document give, a thousand debtors a transaction. The folding
    /// is Rust's ([`recaudo_domain::search`]), which no SQL function of either database repeats.
    async fn fill_search_keys(&self) -> Result<()> {
        #[derive(sqlx::FromRow)]
        struct Unkeyed {
            id: String,
            name: String,
            document_number: Option<String>,
        }
        loop {
            let select = sql::Sql::new(
                "SELECT id, name, document_number FROM debtors WHERE search_name IS NULL \
                 ORDER BY id LIMIT 1000",
            );
            let rows = on_pool!(self, |pool| sql::fetch_all!(Unkeyed, select, pool));
            if rows.is_empty() {
                return Ok(());
            }
            on_pool!(self, |pool| {
                let mut tx = sql::begin!(pool);
                for row in rows {
                    let [search_name, document_key] =
                        rows::debtor_search_values(&row.name, row.document_number.as_deref());
                    let mut update = sql::Sql::new("UPDATE debtors SET search_name = ");
                    update
                        .push_arg(search_name)
                        .push(", document_key = ")
                        .push_arg(document_key)
                        .push(" WHERE id = ")
                        .push_arg(row.id);
                    sql::exec!(update, &mut *tx);
                }
                tx.commit().await?;
            });
        }
    }

    pub fn kind(&self) -> DatabaseKind {
        match self.backend {
            Backend::Sqlite(_) => DatabaseKind::Sqlite,
            Backend::Postgres(_) => DatabaseKind::Postgres,
        }
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<()> {
        on_pool!(self, |pool| {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    /// Runs one administrative statement written by recaudo itself (e.g. `CREATE DATABASE` for
    /// tests and benchmarks). Never pass user input.
    pub async fn execute_admin(&self, statement: &str) -> Result<()> {
        on_pool!(self, |pool| {
            sqlx::query(sqlx::AssertSqlSafe(statement.to_string()))
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// The portfolio of one tenant. Every method of the result is scoped to that tenant.
    pub fn tenant(&self, tenant: &Tenant) -> TenantStore {
        TenantStore {
            store: self.clone(),
            tenant: tenant.clone(),
            tid: tenant.id.to_string(),
        }
    }

    pub async fn close(&self) {
        on_pool!(self, |pool| pool.close().await)
    }
}

/// The store seen by one tenant.
#[derive(Clone)]
pub struct TenantStore {
    pub(crate) store: Store,
    pub(crate) tenant: Tenant,
    pub(crate) tid: String,
}

impl TenantStore {
    pub fn tenant(&self) -> &Tenant {
        &self.tenant
    }

    /// Whether the store is SQLite (for [`dialect`]'s fragments).
    pub(crate) fn is_sqlite(&self) -> bool {
        matches!(self.store.backend, Backend::Sqlite(_))
    }
}

#[cfg(test)]
mod url_errors {
    use super::*;

    const PASSWORD: &str = "hunter2-Pa55";

    #[test]
    fn an_unknown_scheme_is_named_without_the_password() {
        for url in [
            format!("mysql://app:{PASSWORD}@db.example:3306/recaudo"),
            format!("mysql://app:pw@db/recaudo?password={PASSWORD}"),
        ] {
            let message = DatabaseKind::of_url(&url).unwrap_err().to_string();
            assert!(message.contains("mysql://app:***@db"), "{message}");
            assert!(
                message.contains("neither `sqlite://FILE` nor `postgres://"),
                "{message}"
            );
            assert!(!message.contains(PASSWORD), "{message}");
        }
    }

    #[tokio::test]
    async fn bad_urls_are_named_without_the_password() {
        for url in [
            format!("sqlite://recaudo.db?password={PASSWORD}"),
            format!("postgres://app:{PASSWORD}@db.example:port/recaudo"),
        ] {
            let message = match Store::connect(&url).await {
                Ok(_) => panic!("{url} connected"),
                Err(error) => error.to_string(),
            };
            assert!(message.contains("URL"), "{message}");
            assert!(!message.contains(PASSWORD), "{message}");
        }
    }
}
