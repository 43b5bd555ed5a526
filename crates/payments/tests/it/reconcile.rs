//! Reconciliation files: delimiters, decimal commas, dates, and errors naming line and column.

use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use recaudo_domain::Currency;
use recaudo_payments::reconcile::{ReconcileError, parse};

use crate::fixtures::money;

#[test]
fn reads_a_comma_separated_file() {
    let file = "\u{feff}txid,amount,paid_at,end_to_end_id\n\
                pin01A,1234.50,2026-12-06T10:00:00Z,E1234\n\
                pin01B,10,2026-12-05,\n";
    let (rows, errors) = parse(file.as_bytes()).expect("readable");
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].line, 2);
    assert_eq!(rows[0].txid.as_deref(), Some("pin01A"));
    assert_eq!(rows[0].amount, money("1234.50", Currency::Brl));
    assert_eq!(
        rows[0].paid_at,
        Utc.with_ymd_and_hms(2026, 12, 6, 10, 0, 0).unwrap()
    );
    assert_eq!(rows[0].provider_ref.as_deref(), Some("E1234"));
    assert_eq!(rows[1].line, 3);
    assert_eq!(
        rows[1].paid_at,
        Utc.with_ymd_and_hms(2026, 12, 5, 12, 0, 0).unwrap()
    );
    assert_eq!(rows[1].provider_ref, None);
}

#[test]
fn reads_a_semicolon_file_with_decimal_commas_and_currencies() {
    let file = "Debt_External_Id;Amount;Paid_At;Currency;Reference;Notes\r\n\
                F-123;1234,56;2026-12-06T07:00:00-03:00;brl;ref-1;paid at the branch\r\n\
                F-124;15000;2026-12-06;CLP;;\r\n";
    let (rows, errors) = parse(file.as_bytes()).expect("readable");
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(rows[0].debt_external_id.as_deref(), Some("F-123"));
    assert_eq!(rows[0].txid, None);
    assert_eq!(rows[0].amount, money("1234.56", Currency::Brl));
    assert_eq!(
        rows[0].paid_at,
        Utc.with_ymd_and_hms(2026, 12, 6, 10, 0, 0).unwrap()
    );
    assert_eq!(rows[0].provider_ref.as_deref(), Some("ref-1"));
    assert_eq!(rows[1].amount, money("15000", Currency::Clp));
}

#[test]
fn bad_rows_are_reported_and_good_rows_kept() {
    let file = "txid,debt_external_id,amount,paid_at,currency\n\
                pin01A,,12.34,2026-12-06,\n\
                ,,12.34,2026-12-06,\n\
                tx-dash,,12.34,2026-12-06,\n\
                pin01D,,doze,2026-12-06,\n\
                pin01E,,1.234,2026-12-06,\n\
                pin01F,,0,2026-12-06,\n\
                pin01G,,-5,2026-12-06,\n\
                pin01H,,12.34,06/12/2026,\n\
                pin01I,,12.34,2026-12-06,XYZ\n\
                ,F-9,12.34,2026-12-06,\n";
    let (rows, errors) = parse(file.as_bytes()).expect("readable");
    let lines: Vec<usize> = rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![2, 11]);
    let found: Vec<(usize, &str)> = errors.iter().map(|e| (e.line, e.column.as_str())).collect();
    assert_eq!(
        found,
        vec![
            (3, "txid"),
            (4, "txid"),
            (5, "amount"),
            (6, "amount"),
            (7, "amount"),
            (8, "amount"),
            (9, "paid_at"),
            (10, "currency"),
        ]
    );
    assert_eq!(
        errors[4].to_string(),
        "line 7, column amount: `0`: the amount must be more than zero"
    );
}

#[test]
fn a_comma_file_does_not_take_decimal_commas() {
    let file = "txid,amount,paid_at\npin01A,\"12,34\",2026-12-06\n";
    let (rows, errors) = parse(file.as_bytes()).expect("readable");
    assert!(rows.is_empty());
    assert_eq!(errors[0].column, "amount");
}

#[test]
fn unusable_headers_are_refused_whole() {
    assert_eq!(parse(b""), Err(ReconcileError::Empty));
    assert_eq!(
        parse(b"amount,paid_at\n1,2026-12-06\n"),
        Err(ReconcileError::NoMatchColumn)
    );
    assert_eq!(
        parse(b"txid,paid_at\nA,2026-12-06\n"),
        Err(ReconcileError::MissingColumn("amount"))
    );
    assert_eq!(
        parse(b"txid,amount\nA,1\n"),
        Err(ReconcileError::MissingColumn("paid_at"))
    );
    assert_eq!(
        parse(b"txid,amount,paid_at,TXID\n"),
        Err(ReconcileError::DuplicateColumn("txid".into()))
    );
}

proptest! {
    #[test]
    fn parse_never_panics(input in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse(&input);
    }

    #[test]
    fn amounts_written_either_way_read_the_same(cents in 1i64..100_000_000_000) {
        let dot = format!("{}.{:02}", cents / 100, cents % 100);
        let comma = dot.replace('.', ",");
        let a = parse(format!("txid,amount,paid_at\nT1,{dot},2026-12-06\n").as_bytes()).expect("readable");
        let b = parse(format!("txid;amount;paid_at\nT1;{comma};2026-12-06\n").as_bytes()).expect("readable");
        prop_assert_eq!(a.0.len(), 1);
        prop_assert_eq!(a.0[0].amount.to_minor().ok(), Some(cents));
        prop_assert_eq!(&a.0, &b.0);
    }
}
