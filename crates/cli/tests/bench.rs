//! `recaudo bench plan` as a user runs it, on a portfolio small enough for a test.

mod common;

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
        assert!(out.status.success(), "{}", common::stderr(&out));
        common::last_json(&out)
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
