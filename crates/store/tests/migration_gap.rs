//! PostgreSQL's migration 0007 came after 0008: a database migrated before it existed has
//! versions 1-6 and 8, and takes 7 at its next migration.

use recaudo_store::Store;
use recaudo_store::testing::{TEST_DATABASE_ENV, fresh_postgres_url};

#[tokio::test]
async fn a_postgres_database_without_0007_takes_it_at_its_next_migration() {
    let Some(url) = fresh_postgres_url().await.unwrap() else {
        eprintln!("{TEST_DATABASE_ENV} is not set: test skipped");
        return;
    };
    let store = Store::open(&url).await.unwrap();
    // As the list without 0007 left it: 1-6 and 8 applied, with the same files.
    store
        .execute_admin("DELETE FROM _sqlx_migrations WHERE version = 7")
        .await
        .unwrap();
    store.migrate().await.unwrap();
    store.close().await;

    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let versions: Vec<(i64, bool)> =
        sqlx::query_as("SELECT version, success FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&pool)
            .await
            .unwrap();
    pool.close().await;
    assert_eq!(
        versions,
        (1..=8).map(|v| (v, true)).collect::<Vec<_>>(),
        "every version applied once"
    );
}
