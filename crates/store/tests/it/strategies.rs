//! Stored strategies: versions, idempotent puts, conflicts, retiring, the planner's choice list and
//! moving a debt; on SQLite and, when `RECAUDO_TEST_DATABASE_URL` is set, on PostgreSQL.

use crate::fixtures::t0;
use chrono::{Duration, NaiveDate};
use recaudo_domain::event::EventKind;
use recaudo_domain::portfolio::Debt;
use recaudo_domain::{Country, Currency, Money};
use recaudo_store::testing::stores;
use recaudo_store::*;

async fn tenant(store: &Store, name: &str) -> TenantStore {
    let tk = store
        .create_tenant(NewTenant::in_country(name, Country::Br), t0())
        .await
        .unwrap();
    store.tenant(&tk.tenant)
}

async fn debt(ts: &TenantStore, ext: &str) -> Debt {
    let debtor = ts
        .create_debtor(
            NewDebtor {
                external_id: format!("P-{ext}"),
                name: format!("Debtor {ext}"),
                ..Default::default()
            },
            t0(),
        )
        .await
        .unwrap();
    ts.create_debt(
        NewDebt {
            debtor_id: debtor.id,
            external_id: ext.into(),
            amount: Money::from_minor(10_000, Currency::Brl),
            balance: None,
            issued_on: None,
            due_on: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            product: None,
        },
        t0(),
    )
    .await
    .unwrap()
}

/// A valid strategy document.
fn doc(id: &str, version: u32, priority: i64, template: &str) -> String {
    format!(
        "id: {id}\nversion: {version}\nname: Strategy {id}\npriority: {priority}\nsteps:\n  \
         - {{ id: due, at: due, send: {{ channel: email, template: {template} }} }}\n"
    )
}

#[tokio::test]
async fn put_is_versioned_and_idempotent() {
    for (db, store) in stores().await {
        let ts = tenant(&store, "Luz").await;
        let v1 = doc("basic", 1, 5, "due_today");
        let put = ts.put_strategy(&v1, t0()).await.unwrap();
        assert!(put.created, "{db}");
        let s = &put.strategy;
        assert_eq!(
            (s.strategy_id.as_str(), s.version, s.priority),
            ("basic", 1, 5),
            "{db}"
        );
        assert_eq!(s.name.as_deref(), Some("Strategy basic"));
        assert_eq!((s.source.as_str(), s.created_at), (v1.as_str(), t0()));
        assert_eq!(s.retired_at, None);

        // The same source again: nothing new, the stored one back (with its first time).
        let again = ts
            .put_strategy(&v1, t0() + Duration::hours(1))
            .await
            .unwrap();
        assert!(!again.created, "{db}");
        assert_eq!(again.strategy, put.strategy, "{db}");

        // Another source under the same version: a conflict that says to raise the version.
        let changed = doc("basic", 1, 5, "overdue_soft");
        let e = ts.put_strategy(&changed, t0()).await.unwrap_err();
        match &e {
            StoreError::VersionConflict {
                version: 1,
                latest: 1,
                ..
            } => {
                assert!(e.to_string().contains("raise `version`"), "{e}");
            }
            other => panic!("{db}: {other:?}"),
        }
        // A version above it stores; the file without `version` is version 1.
        let v2 = doc("basic", 2, 7, "overdue_soft");
        assert!(ts.put_strategy(&v2, t0()).await.unwrap().created);
        let v3 = doc("basic", 3, 7, "overdue_firm");
        assert!(ts.put_strategy(&v3, t0()).await.unwrap().created);
        // Below the latest: a conflict, even when that version was never stored…
        let gap = "id: basic\nsteps:\n  - { id: a, at: due, send: { channel: email, template: statement } }\n";
        assert!(matches!(
            ts.put_strategy(gap, t0()).await.unwrap_err(),
            StoreError::VersionConflict { .. }
        ));
        // …while an older version sent again exactly as stored is still the same put.
        assert!(!ts.put_strategy(&v2, t0()).await.unwrap().created, "{db}");

        let versions = ts.strategy_versions("basic").await.unwrap();
        let numbers: Vec<u32> = versions.iter().map(|s| s.version).collect();
        assert_eq!(numbers, vec![1, 2, 3], "{db}");
        assert_eq!(ts.get_strategy("basic", None).await.unwrap().version, 3);
        let two = ts.get_strategy("basic", Some(2)).await.unwrap();
        assert_eq!((two.version, two.source.as_str()), (2, v2.as_str()));
        for missing in [
            ts.get_strategy("basic", Some(9)).await,
            ts.get_strategy("nope", None).await,
        ] {
            assert!(
                matches!(missing, Err(StoreError::NotFound { .. })),
                "{db}: {missing:?}"
            );
        }
        assert!(matches!(
            ts.strategy_versions("nope").await,
            Err(StoreError::NotFound { .. })
        ));
    }
}

#[tokio::test]
async fn an_invalid_document_reports_every_error_and_stores_nothing() {
    for (db, store) in stores().await {
        let ts = tenant(&store, "Luz").await;
        let bad =
            "id: bad\nsteps:\n  - { id: a, at: due, send: { channel: fax, template: nope } }\n";
        match ts.put_strategy(bad, t0()).await.unwrap_err() {
            StoreError::InvalidStrategy(errors) => {
                let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
                assert_eq!(
                    lines,
                    vec![
                        "3:40: steps[0].send.channel: unknown channel `fax` (expected one of: email, sms, whatsapp, voice, letter, best)",
                        "3:55: steps[0].send.template: unknown template `nope`",
                    ],
                    "{db}"
                );
            }
            other => panic!("{db}: {other:?}"),
        }
        // YAML that does not parse, too.
        assert!(matches!(
            ts.put_strategy("id: [", t0()).await.unwrap_err(),
            StoreError::InvalidStrategy(e) if e.len() == 1 && e[0].line > 0
        ));
        assert_eq!(ts.list_strategies().await.unwrap(), vec![], "{db}");
        assert!(ts.strategy_versions("bad").await.is_err());
    }
}

#[tokio::test]
async fn lists_retire_and_the_planners_choice() {
    for (db, store) in stores().await {
        let ts = tenant(&store, "Luz").await;
        ts.put_strategy(&doc("low", 1, 1, "due_today"), t0())
            .await
            .unwrap();
        ts.put_strategy(&doc("high", 1, 5, "due_today"), t0())
            .await
            .unwrap();
        // The latest version's priority counts.
        ts.put_strategy(&doc("high", 2, 50, "due_today"), t0())
            .await
            .unwrap();
        ts.put_strategy(&doc("also-low", 1, 1, "due_today"), t0())
            .await
            .unwrap();
        let ids = |v: Vec<StoredStrategy>| {
            v.into_iter()
                .map(|s| format!("{} v{}", s.strategy_id, s.version))
                .collect::<Vec<_>>()
        };
        let all = vec!["high v2", "also-low v1", "low v1"];
        assert_eq!(ids(ts.list_strategies().await.unwrap()), all, "{db}");
        assert_eq!(ids(ts.active_strategies().await.unwrap()), all, "{db}");

        let later = t0() + Duration::days(1);
        let retired = ts.retire_strategy("high", later).await.unwrap();
        assert_eq!(
            (retired.version, retired.retired_at),
            (2, Some(later)),
            "{db}"
        );
        for v in ts.strategy_versions("high").await.unwrap() {
            assert_eq!(v.retired_at, Some(later), "{db}: every version retires");
        }
        // Retiring again keeps the first time.
        let again = ts
            .retire_strategy("high", later + Duration::days(1))
            .await
            .unwrap();
        assert_eq!(again.retired_at, Some(later));
        assert_eq!(
            ids(ts.active_strategies().await.unwrap()),
            vec!["also-low v1", "low v1"],
            "{db}"
        );
        // The list still shows it, retired.
        let listed = ts.list_strategies().await.unwrap();
        assert_eq!(listed[0].strategy_id, "high");
        assert_eq!(listed[0].retired_at, Some(later));
        assert!(matches!(
            ts.retire_strategy("nope", later).await,
            Err(StoreError::NotFound { .. })
        ));

        // A new version brings the strategy back into use; the retired ones stay retired.
        ts.put_strategy(&doc("high", 3, 50, "statement"), later)
            .await
            .unwrap();
        assert_eq!(
            ids(ts.active_strategies().await.unwrap()),
            vec!["high v3", "also-low v1", "low v1"],
            "{db}"
        );
        assert!(
            ts.get_strategy("high", Some(2))
                .await
                .unwrap()
                .retired_at
                .is_some()
        );
    }
}

#[tokio::test]
async fn moving_a_debt_restarts_it_on_the_version_and_says_so_on_its_timeline() {
    for (db, store) in stores().await {
        let ts = tenant(&store, "Luz").await;
        let d = debt(&ts, "D1").await;
        assert_eq!(d.strategy, None);
        ts.put_strategy(&doc("first", 1, 1, "due_today"), t0())
            .await
            .unwrap();
        ts.put_strategy(&doc("second", 1, 1, "due_today"), t0())
            .await
            .unwrap();
        ts.put_strategy(&doc("second", 2, 1, "statement"), t0())
            .await
            .unwrap();

        let t1 = t0() + Duration::hours(2);
        let moved = ts
            .move_debt_strategy(d.id, "first", None, t1)
            .await
            .unwrap();
        let a = moved.strategy.clone().expect("assigned");
        assert_eq!((a.strategy.as_str(), a.version), ("first", 1), "{db}");
        assert!(a.arms.is_empty());
        assert_eq!(a.started_at, t1);
        assert_eq!(ts.get_debt(d.id).await.unwrap(), moved, "{db}: as stored");

        // To an older version on purpose, then the latest by default.
        let t2 = t1 + Duration::hours(1);
        let moved = ts
            .move_debt_strategy(d.id, "second", Some(1), t2)
            .await
            .unwrap();
        let a = moved.strategy.expect("assigned");
        assert_eq!(
            (a.strategy.as_str(), a.version, a.started_at),
            ("second", 1, t2)
        );
        let moved = ts
            .move_debt_strategy(d.id, "second", None, t2)
            .await
            .unwrap();
        assert_eq!(moved.strategy.map(|a| a.version), Some(2), "{db}");

        let timeline = ts
            .debt_timeline(d.id, &TimelineQuery::default())
            .await
            .unwrap();
        let moves: Vec<_> = timeline
            .items
            .iter()
            .filter(|e| e.kind == EventKind::DebtUpdated)
            .map(|e| e.data.clone())
            .collect();
        assert_eq!(
            moves,
            vec![
                serde_json::json!({"strategy": "first", "version": 1, "moved_from": null}),
                serde_json::json!({"strategy": "second", "version": 1, "moved_from": {"strategy": "first", "version": 1}}),
                serde_json::json!({"strategy": "second", "version": 2, "moved_from": {"strategy": "second", "version": 1}}),
            ],
            "{db}"
        );

        // Unknown strategy or version: not found; retired: refused; the debt stays where it is.
        for (id, v) in [("nope", None), ("second", Some(7))] {
            assert!(
                matches!(
                    ts.move_debt_strategy(d.id, id, v, t2).await,
                    Err(StoreError::NotFound { .. })
                ),
                "{db}: {id} {v:?}"
            );
        }
        ts.retire_strategy("first", t2).await.unwrap();
        match ts.move_debt_strategy(d.id, "first", None, t2).await {
            Err(StoreError::Invalid { field, message }) => {
                assert_eq!(field, "strategy");
                assert!(message.contains("retired"), "{message}");
            }
            other => panic!("{db}: {other:?}"),
        }
        let still = ts.get_debt(d.id).await.unwrap().strategy.unwrap();
        assert_eq!((still.strategy.as_str(), still.version), ("second", 2));
    }
}

#[tokio::test]
async fn strategies_are_the_tenants_own() {
    for (db, store) in stores().await {
        let a = tenant(&store, "A").await;
        let b = tenant(&store, "B").await;
        let da = debt(&a, "D1").await;
        let db_debt = debt(&b, "D1").await;
        a.put_strategy(&doc("shared-name", 1, 1, "due_today"), t0())
            .await
            .unwrap();

        // B sees none of A's, and cannot read, retire or use them.
        assert_eq!(b.list_strategies().await.unwrap(), vec![], "{db}");
        assert_eq!(b.active_strategies().await.unwrap(), vec![], "{db}");
        for r in [
            b.get_strategy("shared-name", None).await.err(),
            b.get_strategy("shared-name", Some(1)).await.err(),
            b.strategy_versions("shared-name").await.err(),
            b.retire_strategy("shared-name", t0()).await.err(),
            b.move_debt_strategy(db_debt.id, "shared-name", None, t0())
                .await
                .err(),
            // Nor move A's debt, even to a strategy of its own.
            b.move_debt_strategy(da.id, "shared-name", None, t0())
                .await
                .err(),
        ] {
            assert!(
                matches!(r, Some(StoreError::NotFound { .. })),
                "{db}: {r:?}"
            );
        }
        assert_eq!(
            a.get_strategy("shared-name", None)
                .await
                .unwrap()
                .retired_at,
            None,
            "{db}: A's strategy untouched"
        );

        // The same id in B is B's own strategy, with its own versions.
        let other = doc("shared-name", 1, 1, "statement");
        assert!(b.put_strategy(&other, t0()).await.unwrap().created, "{db}");
        b.move_debt_strategy(db_debt.id, "shared-name", None, t0())
            .await
            .unwrap();
        assert!(
            matches!(
                b.move_debt_strategy(da.id, "shared-name", None, t0()).await,
                Err(StoreError::NotFound { .. })
            ),
            "{db}"
        );
        assert_eq!(a.get_debt(da.id).await.unwrap().strategy, None, "{db}");
        assert_ne!(
            a.get_strategy("shared-name", None).await.unwrap().source,
            b.get_strategy("shared-name", None).await.unwrap().source
        );
    }
}

#[tokio::test]
async fn debts_following_a_strategy_are_counted_and_listed_per_tenant() {
    for (db, store) in stores().await {
        let ts = tenant(&store, "Luz").await;
        let other = tenant(&store, "Agua").await;
        ts.put_strategy(&doc("alpha", 1, 0, "due_today"), t0())
            .await
            .unwrap();
        ts.put_strategy(&doc("beta", 1, 0, "due_today"), t0())
            .await
            .unwrap();
        let d1 = debt(&ts, "D1").await;
        let d2 = debt(&ts, "D2").await;
        let d3 = debt(&ts, "D3").await;
        let _unassigned = debt(&ts, "D4").await;
        for (d, s) in [(&d1, "alpha"), (&d2, "alpha"), (&d3, "beta")] {
            ts.move_debt_strategy(d.id, s, None, t0()).await.unwrap();
        }
        let counts = ts.strategy_debt_counts().await.unwrap();
        assert_eq!(
            counts.into_iter().collect::<Vec<_>>(),
            vec![("alpha".to_string(), 2), ("beta".to_string(), 1)],
            "{db}"
        );
        let mut alpha = vec![(d1.debtor_id, d1.id), (d2.debtor_id, d2.id)];
        alpha.sort_by_key(|(_, debt)| *debt);
        assert_eq!(
            ts.active_debts_following(Some("alpha"), 10).await.unwrap(),
            alpha,
            "{db}"
        );
        assert_eq!(
            ts.active_debts_following(Some("alpha"), 1).await.unwrap(),
            alpha[..1].to_vec(),
            "{db}"
        );
        assert_eq!(
            ts.active_debts_following(None, 10).await.unwrap().len(),
            4,
            "{db}"
        );
        assert!(
            ts.active_debts_following(Some("gamma"), 10)
                .await
                .unwrap()
                .is_empty(),
            "{db}"
        );
        // Another tenant sees none of it.
        assert!(
            other.strategy_debt_counts().await.unwrap().is_empty(),
            "{db}"
        );
        assert!(
            other
                .active_debts_following(None, 10)
                .await
                .unwrap()
                .is_empty(),
            "{db}"
        );
    }
}
