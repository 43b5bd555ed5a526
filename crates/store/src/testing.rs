//! Fresh, isolated databases for tests of any crate: a new SQLite file, and, when
//! `RECAUDO_TEST_DATABASE_URL` points at a PostgreSQL server, a new database on it.

use crate::{Result, Store};

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
