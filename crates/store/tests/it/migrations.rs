//! The store's migrations: the settings of new SQLite databases, and migrations that move rows
//! (written as the older schema held them, then migrated) keep what those rows said.

use recaudo_store::testing::{self, Pool, Statement, TEST_DATABASE_ENV, fresh_postgres_url};
use recaudo_store::{NewContactPoint, NewTenant, Store, TenantStore};

#[tokio::test]
async fn new_sqlite_databases_have_the_stores_page_size_and_a_wal() {
    let url = testing::fresh_sqlite_url();
    let store = Store::open(&url).await.unwrap();
    let Pool::Sqlite(pool) = testing::pool(&store) else {
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
    assert_eq!(page_size, i64::from(testing::SQLITE_PAGE_SIZE));
    assert_eq!(journal, "wal");
    assert_eq!(autocheckpoint, i64::from(testing::WAL_AUTOCHECKPOINT));
    // The file says so too (header bytes 16-17, big-endian).
    let path = url.trim_start_matches("sqlite://");
    let header = std::fs::read(path).unwrap();
    assert_eq!(
        u32::from(u16::from_be_bytes([header[16], header[17]])),
        testing::SQLITE_PAGE_SIZE
    );
    let _ = std::fs::remove_file(path);
}

/// A debtor written as the store of the first schemas wrote them, without its event: the
/// store's own calls now write columns of later migrations.
async fn old_debtor(
    ts: &TenantStore,
    name: &str,
    segment: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> recaudo_domain::DebtorId {
    testing::insert_debtor_before_0011(ts, name, name, segment, now)
        .await
        .unwrap()
}

/// Migration 7 rebuilds `contact_points` keyed by debtor: what was there before is there
/// after, found by debtor and by id, and the key still refuses a second equal address.
#[tokio::test]
async fn contact_points_keep_their_rows_when_rebuilt_in_debtor_order() {
    use recaudo_domain::portfolio::{Channel, Consent, ConsentStatus, ContactPoint};
    let url = testing::fresh_sqlite_url();
    let store = Store::connect(&url).await.unwrap();
    let Pool::Sqlite(pool) = testing::pool(&store) else {
        unreachable!("a sqlite:// URL")
    };
    testing::migrate_to(&store, 6).await.unwrap();
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
        let debtor_id = old_debtor(&ts, name, None, now).await;
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
                debtor_id,
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
            testing::insert_contact_point(&ts, &cp).await.unwrap();
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
    use recaudo_domain::portfolio::StrategyAssignment;
    let mut urls = vec![testing::fresh_sqlite_url()];
    urls.extend(testing::fresh_postgres_url().await.unwrap());
    for url in urls {
        let store = Store::connect(&url).await.unwrap();
        testing::migrate_to(&store, 7).await.unwrap();
        let db = match testing::pool(&store) {
            Pool::Sqlite(_) => "sqlite",
            Pool::Postgres(_) => "postgres",
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
            debtors.push(old_debtor(&ts, name, own, now).await);
        }
        // Debts as the store of that schema wrote them: A's first follows a strategy with
        // an experiment arm, A's second none, B's one without arms; C has no debt.
        let debts: Vec<recaudo_domain::DebtId> =
            (0..3).map(|_| recaudo_domain::DebtId::generate()).collect();
        let mut statements = Vec::new();
        for (i, (debt, debtor)) in debts.iter().zip([0, 0, 1]).enumerate() {
            statements.push(
                Statement::new(
                    "INSERT INTO debts (id, tenant_id, debtor_id, external_id, currency, \
                     original_minor, balance_minor, issued_on, due_on, product, status, \
                     created_at, updated_at) VALUES ",
                )
                .values(vec![
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
                ]),
            );
        }
        for (debt, strategy, arms) in [
            (debts[0], "consumer", serde_json::json!({"tone": "firm"})),
            (debts[2], "b2b", serde_json::json!({})),
        ] {
            statements.push(
                Statement::new(
                    "INSERT INTO debt_strategies (debt_id, strategy_id, strategy_version, \
                     strategy_arms, strategy_started_at) VALUES ",
                )
                .values(vec![
                    debt.to_string().into(),
                    strategy.into(),
                    2i64.into(),
                    arms.into(),
                    started.into(),
                ]),
            );
        }
        // A has a segment planned, C "no segment applies" over its own; B none planned.
        for (debtor, segment) in [(debtors[0], Some("young")), (debtors[2], None)] {
            statements.push(
                Statement::new(
                    "INSERT INTO debtor_segments (debtor_id, planned_segment, planned_at) VALUES ",
                )
                .values(vec![
                    debtor.to_string().into(),
                    segment.map(String::from).into(),
                    now.into(),
                ]),
            );
        }
        testing::run_tx(&ts, statements).await.unwrap();

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
        // The tenant's segments stay as they were; the planner's read beside them.
        let mut segments = Vec::new();
        for d in &debtors {
            let debtor = ts.get_debtor(*d).await.unwrap();
            segments.push((debtor.segment, debtor.computed_segment));
        }
        let some = |s: &str| Some(s.to_string());
        assert_eq!(
            segments,
            [
                (None, some("young")),
                (some("own-b"), None),
                (some("own-c"), None)
            ],
            "{db}"
        );
        let gone =
            testing::run_tx(&ts, vec![Statement::new("SELECT 1 FROM debt_strategies")]).await;
        assert!(gone.is_err(), "{db}: {gone:?}");
        store.close().await;
        if db == "sqlite" {
            let _ = std::fs::remove_file(url.trim_start_matches("sqlite://"));
        }
    }
}

/// PostgreSQL's migration 0007 came after 0008: a database migrated before it existed has
/// versions 1-6 and 8, and takes 7 at its next migration.
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
    // Every version of the list, 7 included, applied once.
    assert!(versions.contains(&(7, true)), "{versions:?}");
    assert!(versions.iter().all(|(_, success)| *success), "{versions:?}");
    assert_eq!(
        versions.iter().map(|(v, _)| *v).collect::<Vec<_>>(),
        recaudo_store::testing::migration_versions(),
        "every version applied once"
    );
}

/// Migration 10 writes the money of the events imports wrote in minor units as every other
/// event does, with the currency's decimals, and gives old events a recording time.
#[tokio::test]
async fn old_import_events_read_with_one_money_format() {
    let mut urls = vec![testing::fresh_sqlite_url()];
    urls.extend(testing::fresh_postgres_url().await.unwrap());
    for url in urls {
        let store = Store::connect(&url).await.unwrap();
        testing::migrate_to(&store, 8).await.unwrap();
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-03T12:00:00Z")
            .unwrap()
            .to_utc();
        let tk = store
            .create_tenant(
                NewTenant::in_country("money", recaudo_domain::Country::Co),
                now,
            )
            .await
            .unwrap();
        let ts = store.tenant(&tk.tenant);
        let debtor = old_debtor(&ts, "A", None, now).await;
        let mut statements = vec![];
        let mut debts = vec![];
        for (i, (currency, minor)) in [("COP", 150_050i64), ("CLP", 15_000)].iter().enumerate() {
            let debt = recaudo_domain::DebtId::generate();
            debts.push(debt);
            statements.push(
                Statement::new(
                    "INSERT INTO debts (id, tenant_id, debtor_id, external_id, currency, \
                     original_minor, balance_minor, issued_on, due_on, product, status, \
                     created_at, updated_at) VALUES ",
                )
                .values(vec![
                    debt.to_string().into(),
                    tk.tenant.id.to_string().into(),
                    debtor.to_string().into(),
                    format!("D{i}").into(),
                    (*currency).into(),
                    (*minor).into(),
                    (*minor).into(),
                    now.date_naive().into(),
                    now.date_naive().into(),
                    None::<String>.into(),
                    "open".into(),
                    now.into(),
                    now.into(),
                ]),
            );
            for (kind, data) in [
                (
                    "invoice_issued",
                    serde_json::json!({"amount_minor": minor, "balance_minor": minor,
                        "currency": currency, "due_on": "2026-12-01", "external_id": format!("D{i}"),
                        "import_id": "imp_1"}),
                ),
                (
                    "debt_updated",
                    serde_json::json!({"balance_minor_after": 5, "balance_minor_before": minor,
                        "import_id": "imp_2"}),
                ),
            ] {
                statements.push(
                    Statement::new(
                        "INSERT INTO events (id, tenant_id, debtor_id, debt_id, kind, at, data) \
                         VALUES ",
                    )
                    .values(vec![
                        recaudo_domain::EventId::generate().to_string().into(),
                        tk.tenant.id.to_string().into(),
                        debtor.to_string().into(),
                        Some(debt.to_string()).into(),
                        kind.into(),
                        now.into(),
                        data.into(),
                    ]),
                );
            }
        }
        testing::run_tx(&ts, statements).await.unwrap();
        store.migrate().await.unwrap();
        let money = |amount: &str, currency: &str| serde_json::json!({"amount": amount, "currency": currency});
        for (debt, currency, full, five) in [
            (debts[0], "COP", "1500.50", "0.05"),
            (debts[1], "CLP", "15000", "5"),
        ] {
            let events = ts
                .debt_timeline(debt, &recaudo_store::TimelineQuery::default())
                .await
                .unwrap()
                .items;
            assert_eq!(events.len(), 2, "{url}");
            let issued = &events[0].data;
            assert_eq!(
                issued,
                &serde_json::json!({"amount": money(full, currency), "balance": money(full, currency),
                    "due_on": "2026-12-01", "external_id": issued["external_id"], "import_id": "imp_1"}),
                "{url}"
            );
            assert_eq!(
                events[1].data,
                serde_json::json!({"balance_before": money(full, currency),
                    "balance_after": money(five, currency), "import_id": "imp_2"}),
                "{url}"
            );
            assert!(events.iter().all(|e| e.recorded_at == now), "{url}");
        }
        store.close().await;
    }
}
