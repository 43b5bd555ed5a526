//! Property tests of row validation: whatever a cell holds, validation never panics, and every
//! problem names a real column of the format.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use recaudo_domain::portfolio::{Language, Tenant};
use recaudo_domain::{Country, Currency, TenantId};
use recaudo_import::columns::{FIELDS, REQUIRED};
use recaudo_import::{CsvFields, RowContext, parse_row};

fn tenant() -> Tenant {
    Tenant {
        id: TenantId::generate(),
        name: "T".into(),
        country: Country::Co,
        timezone: "America/Bogota".into(),
        currency: Currency::Cop,
        language: Language::Es,
        jurisdiction: recaudo_domain::calendar::Jurisdiction::Co,
        created_at: DateTime::<Utc>::from_timestamp(1_790_000_000, 0).expect("time"),
    }
}

fn a_valid_row() -> Vec<String> {
    let mut row = vec![String::new(); FIELDS.len()];
    let set = |row: &mut Vec<String>, name: &str, v: &str| {
        let i = FIELDS.iter().position(|f| *f == name).expect("a field");
        row[i] = v.to_string();
    };
    set(&mut row, "debtor_external_id", "CO-1");
    set(&mut row, "debtor_name", "Ana Gómez");
    set(&mut row, "debt_external_id", "F-1");
    set(&mut row, "currency", "COP");
    set(&mut row, "amount", "350000");
    set(&mut row, "due_date", "2026-11-01");
    set(&mut row, "phone", "300 123 4567");
    set(&mut row, "email", "ana@example.com");
    row
}

fn check(row: &[String]) -> Result<(), Vec<String>> {
    let header: HashMap<String, usize> = FIELDS
        .iter()
        .enumerate()
        .map(|(i, f)| (f.to_string(), i))
        .collect();
    let record = csv::StringRecord::from(row.to_vec());
    let fields = CsvFields {
        header: &header,
        attr_columns: &[],
        record: &record,
    };
    let tenant = tenant();
    parse_row(2, &fields, &RowContext::new(&tenant))
        .map(|_| ())
        .map_err(|ps| ps.into_iter().map(|p| p.column).collect())
}

#[test]
fn the_base_row_is_valid() {
    assert_eq!(check(&a_valid_row()), Ok(()));
}

proptest! {
    #[test]
    fn any_cell_content_is_handled(column in 0..FIELDS.len(), value in any::<String>()) {
        let mut row = a_valid_row();
        row[column] = value;
        if let Err(columns) = check(&row) {
            prop_assert!(!columns.is_empty());
            for c in columns {
                prop_assert!(FIELDS.contains(&c.as_str()), "problem names `{}`", c);
            }
        }
    }

    #[test]
    fn emptying_a_required_cell_is_reported_on_that_column(i in 0..REQUIRED.len()) {
        let mut row = a_valid_row();
        let name = REQUIRED[i];
        let column = FIELDS.iter().position(|f| *f == name).expect("a field");
        row[column] = String::new();
        let columns = check(&row).expect_err("a required cell is empty");
        prop_assert!(columns.contains(&name.to_string()), "{:?}", columns);
    }

    #[test]
    fn amounts_round_trip_or_are_refused(minor in 0i64..10_000_000_000, garbage in "[a-zA-Z,;/]{1,3}") {
        let mut row = a_valid_row();
        let amount = FIELDS.iter().position(|f| *f == "amount").expect("amount");
        row[amount] = format!("{}.{:02}", minor / 100, minor % 100);
        prop_assert_eq!(check(&row), Ok(()));
        row[amount] = format!("{}{}", minor, garbage);
        let columns = check(&row).expect_err("not a number");
        prop_assert!(columns.contains(&"amount".to_string()));
    }
}
