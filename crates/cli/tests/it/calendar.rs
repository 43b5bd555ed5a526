//! `recaudo calendar holidays`, run as a user runs it. Needs no database.

use std::process::{Command, Output};

fn recaudo(args: &[&str]) -> Output {
    let dir = tempfile::tempdir().expect("temp dir");
    Command::new(env!("CARGO_BIN_EXE_recaudo"))
        .args(args)
        .current_dir(dir.path())
        .env_remove("RECAUDO_DATABASE_URL")
        .output()
        .expect("run recaudo")
}

fn stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}; stderr: {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn colombia_2027_dates() {
    let out = stdout(&recaudo(&[
        "calendar",
        "holidays",
        "--country",
        "CO",
        "--year",
        "2027",
    ]));
    let expected = "\
2027-01-01
2027-01-11
2027-03-22
2027-03-25
2027-03-26
2027-05-01
2027-05-10
2027-05-31
2027-06-07
2027-07-05
2027-07-20
2027-08-07
2027-08-16
2027-10-18
2027-11-01
2027-11-15
2027-12-08
2027-12-25
";
    assert_eq!(out, expected);
}

#[test]
fn names_after_a_tab() {
    let out = stdout(&recaudo(&[
        "calendar",
        "holidays",
        "--country",
        "co",
        "--year",
        "2027",
        "--names",
    ]));
    let first = out.lines().next().unwrap_or_default();
    assert_eq!(first, "2027-01-01\tAño Nuevo");
    assert!(out.contains("2027-08-16\tAsunción de la Virgen\n"), "{out}");
    assert_eq!(out.lines().count(), 18);
}

#[test]
fn region_two_ways() {
    let a = stdout(&recaudo(&[
        "calendar",
        "holidays",
        "--country",
        "BR-SP",
        "--year",
        "2026",
    ]));
    let b = stdout(&recaudo(&[
        "calendar",
        "holidays",
        "--country",
        "br",
        "--region",
        "sp",
        "--year",
        "2026",
    ]));
    assert_eq!(a, b);
    assert!(a.contains("2026-07-09\n"), "{a}");
    assert_eq!(a.lines().count(), 11);
    let national = stdout(&recaudo(&[
        "calendar",
        "holidays",
        "--country",
        "BR",
        "--year",
        "2026",
    ]));
    assert!(!national.contains("2026-07-09"));
}

#[test]
fn unknown_country_fails_with_a_clear_message() {
    let o = recaudo(&["calendar", "holidays", "--country", "XX", "--year", "2027"]);
    assert!(!o.status.success());
    assert!(o.stdout.is_empty());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("unknown jurisdiction `XX`") && err.contains("BR-SP") && err.contains("CO"),
        "{err}"
    );
    let o = recaudo(&[
        "calendar",
        "holidays",
        "--country",
        "BR",
        "--region",
        "MG",
        "--year",
        "2027",
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("`BR-MG`"));
}
