//! Fresh, isolated databases for tests of any crate: a new SQLite file, and, when
//! `RECAUDO_TEST_DATABASE_URL` points at a PostgreSQL server, a new database on it. Hidden from
//! the docs, what the store's own tests (`crates/store/tests/it/`) need of its inside: its pool,
//! migrating up to a version, and writing rows as an older schema held them.

use chrono::{DateTime, NaiveDate, Utc};
use recaudo_domain::portfolio::ContactPoint;

use crate::sql::{Arg, Sql};
use crate::{
    Backend, Migrations, POSTGRES_MIGRATIONS, Result, SQLITE_MIGRATIONS, Store, TenantStore,
    migrator,
};

/// The environment variable that names the PostgreSQL server tests may use.
pub const TEST_DATABASE_ENV: &str = "RECAUDO_TEST_DATABASE_URL";

/// A URL to a new SQLite file in the temp directory.
pub fn fresh_sqlite_url() -> String {
    let path = std::env::temp_dir().join(format!(
        "recaudo-test-{}.db",
        ulid::Ulid::generate().to_string().to_lowercase()
    ));
    format!("sqlite://{}", path.display())
}

/// A URL to a new, empty PostgreSQL database, when the test server is configured.
pub async fn fresh_postgres_url() -> Result<Option<String>> {
    let Ok(base) = std::env::var(TEST_DATABASE_ENV) else {
        return Ok(None);
    };
    let name = format!(
        "recaudo_t_{}",
        ulid::Ulid::generate().to_string().to_lowercase()
    );
    let admin = Store::connect(&base).await?;
    admin
        .execute_admin(&format!("CREATE DATABASE {name}"))
        .await?;
    admin.close().await;
    let (prefix, _) = base.rsplit_once('/').unwrap_or((base.as_str(), ""));
    Ok(Some(format!("{prefix}/{name}")))
}

/// Migrated stores to run a test against: SQLite always, PostgreSQL when configured. CI sets
/// `RECAUDO_TEST_DATABASE_URL`, so there both run.
pub async fn stores() -> Vec<(&'static str, Store)> {
    let mut out = vec![(
        "sqlite",
        Store::open(&fresh_sqlite_url()).await.expect("open sqlite"),
    )];
    if let Some(url) = fresh_postgres_url()
        .await
        .expect("create postgres test database")
    {
        out.push(("postgres", Store::open(&url).await.expect("open postgres")));
    } else {
        eprintln!("{TEST_DATABASE_ENV} is not set: PostgreSQL half of the test skipped");
    }
    out
}

/// The page size of SQLite databases the store creates, for tests that read it back.
#[doc(hidden)]
pub const SQLITE_PAGE_SIZE: u32 = crate::SQLITE_PAGE_SIZE;

/// The WAL pages after which the store's SQLite connections checkpoint, for tests that read it
/// back.
#[doc(hidden)]
pub const WAL_AUTOCHECKPOINT: i32 = crate::WAL_AUTOCHECKPOINT;

/// The store's own pool: settings of its connections (per-connection pragmas) are read there.
#[doc(hidden)]
pub enum Pool<'a> {
    Sqlite(&'a sqlx::SqlitePool),
    Postgres(&'a sqlx::PgPool),
}

/// The pool behind `store`.
#[doc(hidden)]
pub fn pool(store: &Store) -> Pool<'_> {
    match &store.backend {
        Backend::Sqlite(pool) => Pool::Sqlite(pool),
        Backend::Postgres(pool) => Pool::Postgres(pool),
    }
}

/// Applies the embedded migrations of the store's backend up to and including `version`, so
/// that a test can write rows as an older schema held them and then migrate the rest. Chosen by
/// version number, not by position: a backend may lack a version the other has.
#[doc(hidden)]
pub async fn migrate_to(store: &Store, version: i64) -> Result<()> {
    fn up_to(list: Migrations, version: i64) -> Migrations {
        &list[..list.partition_point(|(v, _, _)| *v <= version)]
    }
    match &store.backend {
        Backend::Sqlite(pool) => {
            migrator(up_to(SQLITE_MIGRATIONS, version))
                .run(pool)
                .await?
        }
        Backend::Postgres(pool) => {
            migrator(up_to(POSTGRES_MIGRATIONS, version))
                .run(pool)
                .await?
        }
    }
    Ok(())
}

/// A statement a test runs as the store runs its own: `$1…$n` placeholders on both databases.
#[doc(hidden)]
pub struct Statement(Sql);

impl Statement {
    pub fn new(text: &str) -> Self {
        Statement(Sql::new(text))
    }

    /// Appends `($1, $2, …)` bound to `values`.
    pub fn values(mut self, values: Vec<Value>) -> Self {
        self.0
            .push_values(values.into_iter().map(|v| v.0).collect());
        self
    }
}

/// A value bound to a [`Statement`]: the types the store binds.
#[doc(hidden)]
pub struct Value(Arg);

macro_rules! value_from {
    ($($t:ty),* $(,)?) => {
        $(impl From<$t> for Value {
            fn from(v: $t) -> Self {
                Value(Arg::from(v))
            }
        })*
    };
}
value_from!(
    &str,
    String,
    Option<String>,
    i64,
    Option<i64>,
    bool,
    NaiveDate,
    Option<NaiveDate>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    serde_json::Value,
    Option<serde_json::Value>,
);

/// Runs `statements` in one transaction on the tenant's database.
#[doc(hidden)]
pub async fn run_tx(ts: &TenantStore, statements: Vec<Statement>) -> Result<()> {
    ts.run_tx(statements.into_iter().map(|s| s.0).collect())
        .await
}

/// Writes the row of `cp` as the store writes contact points, and nothing else (no event).
#[doc(hidden)]
pub async fn insert_contact_point(ts: &TenantStore, cp: &ContactPoint) -> Result<()> {
    let mut sql = Sql::new(&format!(
        "INSERT INTO contact_points (tenant_id, {}) VALUES ",
        crate::rows::CONTACT_POINT_COLUMNS
    ));
    sql.push_values(crate::portfolio::contact_point_values(&ts.tid, cp)?);
    ts.run_tx(vec![sql]).await
}

/// The versions of the store's migrations, in order (the same on both databases).
pub fn migration_versions() -> Vec<i64> {
    crate::POSTGRES_MIGRATIONS
        .iter()
        .map(|(v, _, _)| *v)
        .collect()
}

/// Writes a debtor row as the store wrote debtors before migration 0011 (no search keys, no
/// erasure), with an event-less insert: for tests that migrate from an older schema. Returns
/// its id.
#[doc(hidden)]
pub async fn insert_debtor_before_0011(
    ts: &TenantStore,
    external_id: &str,
    name: &str,
    segment: Option<&str>,
    now: DateTime<Utc>,
) -> Result<recaudo_domain::DebtorId> {
    let id = recaudo_domain::DebtorId::generate();
    let mut sql = Sql::new(&format!(
        "INSERT INTO debtors (tenant_id, {}) VALUES ",
        crate::rows::DEBTOR_COLUMNS
    ));
    sql.push_values(vec![
        ts.tid.clone().into(),
        id.into(),
        external_id.to_string().into(),
        "person".into(),
        name.to_string().into(),
        Arg::OptText(None),
        Arg::OptText(None),
        Arg::OptDate(None),
        ts.tenant.language.as_str().into(),
        ts.tenant.timezone.clone().into(),
        ts.tenant.country.code().into(),
        segment.map(str::to_string).into(),
        serde_json::json!([]).into(),
        serde_json::json!({}).into(),
        serde_json::json!({}).into(),
        now.into(),
        now.into(),
    ]);
    ts.run_tx(vec![sql]).await?;
    Ok(id)
}
