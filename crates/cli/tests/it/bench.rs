//! `recaudo bench plan` as a user runs it, on a portfolio small enough for a test.

use crate::fixtures;

use std::process::Command;

/// `bench plan` on a small portfolio: the first run generates and imports it, the second
/// replays the same day on the kept database, and both say which they were and plan the same.
#[test]
fn bench_plan_says_whether_its_day_was_fresh_or_replayed() {
    let dir = tempfile::TempDir::new().expect("temp dir");
    let db = dir.path().join("bench.db");
    let run = || {
        let out = Command::new(env!("CARGO_BIN_EXE_recaudo"))
            .args([
                "bench",
                "plan",
                "--debts",
                "300",
                "--at",
                "2026-12-02T15:00:00Z",
            ])
            .arg("--db")
            .arg(&db)
            .output()
            .expect("runs");
        assert!(out.status.success(), "{}", fixtures::stderr(&out));
        fixtures::last_json(&out)
    };
    let fresh = run();
    let replayed = run();
    assert_eq!(fresh["bench"], "plan");
    assert_eq!(fresh["fresh"], true, "{fresh}");
    assert!(fresh["import_seconds"].is_number(), "{fresh}");
    assert_eq!(replayed["fresh"], false, "{replayed}");
    assert!(replayed["import_seconds"].is_null(), "{replayed}");
    assert!(
        fresh["contacts_written"].as_u64().is_some_and(|c| c > 0),
        "{fresh}"
    );
    for key in [
        "debts",
        "debtors",
        "decisions",
        "contacts_written",
        "assignments_written",
    ] {
        assert_eq!(fresh[key], replayed[key], "{key}: {fresh} / {replayed}");
    }
}

/// `bench plan --from FILE` plans a fresh first day on a copy of a database never planned,
/// leaves FILE as it was, and refuses one that has been planned.
#[test]
fn bench_plan_from_plans_a_fresh_day_on_a_copy_and_refuses_a_planned_database() {
    let dir = tempfile::TempDir::new().expect("temp dir");
    let db = dir.path().join("unplanned.db");
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_recaudo"))
            .args(["bench", "plan", "--debts", "200"])
            .args(["--at", "2026-12-02T15:00:00Z"])
            .args(extra)
            .output()
            .expect("runs")
    };
    let path = db.to_str().expect("utf-8 path");
    let made = run(&["--db", path, "--dry-run"]);
    assert!(made.status.success(), "{}", fixtures::stderr(&made));
    let before = std::fs::metadata(&db).expect("kept").len();
    let from = run(&["--from", path]);
    assert!(from.status.success(), "{}", fixtures::stderr(&from));
    let v = fixtures::last_json(&from);
    assert_eq!(v["fresh"], true, "{v}");
    assert!(v["contacts_written"].as_u64().is_some_and(|c| c > 0), "{v}");
    assert!(v["import_seconds"].is_null(), "{v}");
    // The original is untouched: planning it again from scratch writes the same.
    assert_eq!(std::fs::metadata(&db).expect("kept").len(), before);
    let again = fixtures::last_json(&run(&["--from", path]));
    assert_eq!(again["contacts_written"], v["contacts_written"]);

    // Planned for real, it is refused with a message that says why and what to use.
    let planned = run(&["--db", path]);
    assert!(planned.status.success(), "{}", fixtures::stderr(&planned));
    let refused = run(&["--from", path]);
    assert!(!refused.status.success());
    let err = fixtures::stderr(&refused);
    assert!(
        err.contains("has been planned") && err.contains("--db"),
        "{err}"
    );

    let missing = run(&["--from", "/nonexistent/recaudo.db"]);
    assert!(!missing.status.success());
    assert!(fixtures::stderr(&missing).contains("no such database file"));
}

/// Without `--at`, `bench plan` plans a fixed working day (Wednesday 2026-12-02, 10:00 in
/// Bogotá), not the day it runs on: a run on a Sunday still writes contacts, and its JSON says
/// the day and how many contacts it wrote.
#[test]
fn bench_plan_plans_a_fixed_weekday_by_default() {
    let out = Command::new(env!("CARGO_BIN_EXE_recaudo"))
        .args(["bench", "plan", "--debts", "200"])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", fixtures::stderr(&out));
    let v = fixtures::last_json(&out);
    assert_eq!(v["at"], "2026-12-02T15:00:00+00:00", "{v}");
    assert_eq!(v["local_weekday"], "Wednesday", "{v}");
    assert!(v["contacts_written"].as_u64().is_some_and(|c| c > 0), "{v}");
}
