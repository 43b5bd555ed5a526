//! recaudo's store: one API over SQLite (embedded, the default) and PostgreSQL.
//!
//! Every portfolio read and write goes through a [`TenantStore`], obtained with
//! [`Store::tenant`]: the tenant id is part of every statement it runs, so no handler can forget
//! it. Queries are built at run time (no compile-time macros) and written once for both
//! databases: placeholders are `$1…$n`, which both accept, and values are bound with types both
//! drivers know. Money is kept in minor units next to its currency.

#![deny(unsafe_code)]

mod dialect;
mod error;
mod events;
mod idempotency;
mod import;

mod ledger;
mod outbox;
mod planning;
mod portfolio;
pub mod retry;
mod rows;
mod sql;
mod sqlite;
mod strategies;
mod tenants;
pub mod testing;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

pub use error::StoreError;
pub use events::TimelineQuery;
pub use idempotency::StoredResponse;
pub use import::{
    BatchOutcome, ImportBatch, ImportContact, ImportDebt, ImportDebtor, ImportRow, RowOutcome,
};

pub use ledger::{NewPayment, NewPromise};
pub use planning::{
    PLAN_CONTACT_DAYS, PLAN_EVENT_DAYS, PlanBatch, PlanPreparer, PlanWrite, PlanWriter,
    PreparedPlans, WriteStats,
};
pub use portfolio::{
    DebtFilter, DebtorFilter, NewContactPoint, NewDebt, NewDebtor, Page, normalize_contact_address,
};
pub use sqlite::planning::PlanRows;
pub use strategies::{PutStrategy, StoredStrategy};
pub use tenants::{NewTenant, TenantKey, hash_api_key};

use recaudo_domain::portfolio::Tenant;

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
    pub fn of_url(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(DatabaseKind::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(DatabaseKind::Postgres)
        } else {
            Err(StoreError::Config(format!(
                "database URL `{url}` is neither `sqlite://FILE` nor `postgres://…`"
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
                    .map_err(|e| StoreError::Config(format!("bad SQLite URL `{url}`: {e}")))?
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

    /// Applies the embedded migrations of this backend.
    pub async fn migrate(&self) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(pool) => migrator(SQLITE_MIGRATIONS).run(pool).await?,
            Backend::Postgres(pool) => migrator(POSTGRES_MIGRATIONS).run(pool).await?,
        }
        Ok(())
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
mod tests {
    use super::*;

    #[tokio::test]
    async fn new_sqlite_databases_have_the_stores_page_size_and_a_wal() {
        let url = testing::fresh_sqlite_url();
        let store = Store::open(&url).await.unwrap();
        let Backend::Sqlite(pool) = &store.backend else {
            unreachable!("a sqlite:// URL")
        };
        let (page_size,): (i64,) = sqlx::query_as("PRAGMA page_size")
            .fetch_one(pool)
            .await
            .unwrap();
        let (journal,): (String,) = sqlx::query_as("PRAGMA journal_mode")
            .fetch_one(pool)
            .await
            .unwrap();
        let (autocheckpoint,): (i64,) = sqlx::query_as("PRAGMA wal_autocheckpoint")
            .fetch_one(pool)
            .await
            .unwrap();
        store.close().await;
        assert_eq!(page_size, i64::from(SQLITE_PAGE_SIZE));
        assert_eq!(journal, "wal");
        assert_eq!(autocheckpoint, i64::from(WAL_AUTOCHECKPOINT));
        // The file says so too (header bytes 16-17, big-endian).
        let path = url.trim_start_matches("sqlite://");
        let header = std::fs::read(path).unwrap();
        assert_eq!(
            u32::from(u16::from_be_bytes([header[16], header[17]])),
            SQLITE_PAGE_SIZE
        );
        let _ = std::fs::remove_file(path);
    }

    /// Migration 7 rebuilds `contact_points` keyed by debtor: what was there before is there
    /// after, found by debtor and by id, and the key still refuses a second equal address.
    #[tokio::test]
    async fn contact_points_keep_their_rows_when_rebuilt_in_debtor_order() {
        use crate::{NewContactPoint, NewDebtor, NewTenant};
        use recaudo_domain::portfolio::{Channel, Consent, ConsentStatus, ContactPoint};
        let url = testing::fresh_sqlite_url();
        let store = Store::connect(&url).await.unwrap();
        let Backend::Sqlite(pool) = &store.backend else {
            unreachable!("a sqlite:// URL")
        };
        let before = &SQLITE_MIGRATIONS[..6];
        assert_eq!(before.last().unwrap().0, 6);
        migrator(before).run(pool).await.unwrap();
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-03T12:00:00Z")
            .unwrap()
            .to_utc();
        let tk = store
            .create_tenant(
                NewTenant::in_country("rebuild", recaudo_domain::Country::Co),
                now,
            )
            .await
            .unwrap();
        let ts = store.tenant(&tk.tenant);
        let mut points = Vec::new();
        for name in ["A", "B"] {
            let d = ts
                .create_debtor(
                    NewDebtor {
                        external_id: name.into(),
                        name: name.into(),
                        ..Default::default()
                    },
                    now,
                )
                .await
                .unwrap();
            // Written as the store of that schema wrote them: the store's own calls now
            // read through tables of later migrations.
            for (priority, (channel, address, status)) in [
                (Channel::Email, "a@example.com", ConsentStatus::Granted),
                (Channel::Email, "b@example.com", ConsentStatus::OptedOut),
                (Channel::Sms, "+573001112233", ConsentStatus::Unknown),
            ]
            .into_iter()
            .enumerate()
            {
                let cp = ContactPoint {
                    id: recaudo_domain::ContactPointId::generate(),
                    debtor_id: d.id,
                    channel,
                    address: address.into(),
                    postal: None,
                    verified: priority == 0,
                    consent: Consent {
                        status,
                        source: Some("contract".into()),
                        at: Some(now),
                    },
                    opted_out_at: (status == ConsentStatus::OptedOut).then_some(now),
                    priority: priority as i32,
                    bounce_count: 0,
                    created_at: now,
                };
                let mut sql = crate::sql::Sql::new(&format!(
                    "INSERT INTO contact_points (tenant_id, {}) VALUES ",
                    crate::rows::CONTACT_POINT_COLUMNS
                ));
                sql.push_values(
                    crate::portfolio::contact_point_values(&tk.tenant.id.to_string(), &cp).unwrap(),
                );
                ts.run_tx(vec![sql]).await.unwrap();
                points.push(cp);
            }
        }
        store.migrate().await.unwrap();
        let (sql,): (String,) = sqlx::query_as(
            "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'contact_points'",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        assert!(sql.contains("WITHOUT ROWID"), "{sql}");
        for cp in &points {
            assert_eq!(&ts.get_contact_point(cp.id).await.unwrap(), cp);
        }
        for d in [points[0].debtor_id, points[3].debtor_id] {
            let mut want: Vec<_> = points
                .iter()
                .filter(|p| p.debtor_id == d)
                .cloned()
                .collect();
            want.sort_by_key(|p| (p.channel.as_str(), p.priority, p.id));
            assert_eq!(ts.list_contact_points(d).await.unwrap(), want);
        }
        let again = ts
            .add_contact_point(
                points[0].debtor_id,
                NewContactPoint {
                    channel: Channel::Email,
                    address: Some("a@example.com".into()),
                    postal: None,
                    consent: Consent {
                        status: ConsentStatus::Granted,
                        source: None,
                        at: None,
                    },
                    priority: None,
                },
                now,
            )
            .await;
        assert!(again.is_err(), "{again:?}");
        store.close().await;
        let _ = std::fs::remove_file(url.trim_start_matches("sqlite://"));
    }

    /// Migration 8 moves the planner's state into one row per debtor: what `debt_strategies`
    /// and `debtor_segments` held reads the same after it, on both databases.
    #[tokio::test]
    async fn planner_state_reads_the_same_once_moved_to_a_row_per_debtor() {
        use crate::sql::Sql;
        use crate::{NewDebtor, NewTenant};
        use recaudo_domain::portfolio::StrategyAssignment;
        let mut urls = vec![testing::fresh_sqlite_url()];
        urls.extend(testing::fresh_postgres_url().await.unwrap());
        for url in urls {
            let store = Store::connect(&url).await.unwrap();
            let db = match &store.backend {
                Backend::Sqlite(pool) => {
                    migrator(&SQLITE_MIGRATIONS[..7]).run(pool).await.unwrap();
                    "sqlite"
                }
                Backend::Postgres(pool) => {
                    migrator(&POSTGRES_MIGRATIONS[..6]).run(pool).await.unwrap();
                    "postgres"
                }
            };
            let now = chrono::DateTime::parse_from_rfc3339("2026-12-03T12:00:00Z")
                .unwrap()
                .to_utc();
            let started = now - chrono::Duration::days(3);
            let tk = store
                .create_tenant(
                    NewTenant::in_country("moved", recaudo_domain::Country::Co),
                    now,
                )
                .await
                .unwrap();
            let ts = store.tenant(&tk.tenant);
            let mut debtors = Vec::new();
            for (name, own) in [("A", None), ("B", Some("own-b")), ("C", Some("own-c"))] {
                let d = ts
                    .create_debtor(
                        NewDebtor {
                            external_id: name.into(),
                            name: name.into(),
                            segment: own.map(Into::into),
                            ..Default::default()
                        },
                        now,
                    )
                    .await
                    .unwrap();
                debtors.push(d.id);
            }
            // Debts as the store of that schema wrote them: A's first follows a strategy with
            // an experiment arm, A's second none, B's one without arms; C has no debt.
            let debts: Vec<recaudo_domain::DebtId> =
                (0..3).map(|_| recaudo_domain::DebtId::generate()).collect();
            let mut statements = Vec::new();
            for (i, (debt, debtor)) in debts.iter().zip([0, 0, 1]).enumerate() {
                let mut sql = Sql::new(
                    "INSERT INTO debts (id, tenant_id, debtor_id, external_id, currency, \
                     original_minor, balance_minor, issued_on, due_on, product, status, \
                     created_at, updated_at) VALUES ",
                );
                sql.push_values(vec![
                    debt.to_string().into(),
                    tk.tenant.id.to_string().into(),
                    debtors[debtor].to_string().into(),
                    format!("D{i}").into(),
                    "COP".into(),
                    100_000i64.into(),
                    100_000i64.into(),
                    now.date_naive().into(),
                    now.date_naive().into(),
                    None::<String>.into(),
                    "open".into(),
                    now.into(),
                    now.into(),
                ]);
                statements.push(sql);
            }
            for (debt, strategy, arms) in [
                (debts[0], "consumer", serde_json::json!({"tone": "firm"})),
                (debts[2], "b2b", serde_json::json!({})),
            ] {
                let mut sql = Sql::new(
                    "INSERT INTO debt_strategies (debt_id, strategy_id, strategy_version, \
                     strategy_arms, strategy_started_at) VALUES ",
                );
                sql.push_values(vec![
                    debt.to_string().into(),
                    strategy.into(),
                    2i64.into(),
                    arms.into(),
                    started.into(),
                ]);
                statements.push(sql);
            }
            // A has a segment planned, C "no segment applies" over its own; B none planned.
            for (debtor, segment) in [(debtors[0], Some("young")), (debtors[2], None)] {
                let mut sql = Sql::new(
                    "INSERT INTO debtor_segments (debtor_id, planned_segment, planned_at) VALUES ",
                );
                sql.push_values(vec![
                    debtor.to_string().into(),
                    segment.map(String::from).into(),
                    now.into(),
                ]);
                statements.push(sql);
            }
            ts.run_tx(statements).await.unwrap();

            store.migrate().await.unwrap();
            let strategy = |debt| {
                let ts = &ts;
                async move { ts.get_debt(debt).await.unwrap().strategy }
            };
            assert_eq!(
                strategy(debts[0]).await,
                Some(StrategyAssignment {
                    strategy: "consumer".into(),
                    version: 2,
                    arms: [("tone".to_string(), "firm".to_string())].into(),
                    started_at: started,
                }),
                "{db}"
            );
            assert_eq!(strategy(debts[1]).await, None, "{db}");
            assert_eq!(
                strategy(debts[2]).await,
                Some(StrategyAssignment {
                    strategy: "b2b".into(),
                    version: 2,
                    arms: Default::default(),
                    started_at: started,
                }),
                "{db}"
            );
            let segments: Vec<Option<String>> = {
                let mut out = Vec::new();
                for d in &debtors {
                    out.push(ts.get_debtor(*d).await.unwrap().segment);
                }
                out
            };
            assert_eq!(
                segments,
                [Some("young".to_string()), Some("own-b".to_string()), None],
                "{db}"
            );
            let gone = ts
                .run_tx(vec![Sql::new("SELECT 1 FROM debt_strategies")])
                .await;
            assert!(gone.is_err(), "{db}: {gone:?}");
            store.close().await;
            if db == "sqlite" {
                let _ = std::fs::remove_file(url.trim_start_matches("sqlite://"));
            }
        }
    }
}
