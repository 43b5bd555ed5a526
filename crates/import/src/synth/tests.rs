use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, NaiveDate};
use recaudo_domain::contact::{normalize_email, normalize_phone};
use recaudo_domain::documents;
use recaudo_domain::portfolio::{Channel, ConsentStatus, DebtorKind, Language, parse_timezone};
use recaudo_domain::{Country, Money};

use super::*;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, 15).unwrap()
}

fn opts(debtors: usize, seed: u64, countries: &[Country]) -> GenOptions {
    GenOptions {
        debtors,
        seed,
        countries: countries.to_vec(),
        today: today(),
        sector: Default::default(),
    }
}

fn csv_bytes(options: &GenOptions) -> (Vec<u8>, GenStats) {
    let mut out = Vec::new();
    let stats = write_csv(options, &mut out).unwrap();
    (out, stats)
}

fn jsonl_bytes(options: &GenOptions) -> Vec<u8> {
    let mut out = Vec::new();
    write_jsonl(options, &mut out).unwrap();
    out
}

#[test]
fn same_options_same_bytes() {
    let options = opts(2_000, 7, &[]);
    assert_eq!(csv_bytes(&options).0, csv_bytes(&options).0);
    assert_eq!(jsonl_bytes(&options), jsonl_bytes(&options));
}

#[test]
fn different_seed_different_bytes() {
    assert_ne!(
        csv_bytes(&opts(500, 1, &[])).0,
        csv_bytes(&opts(500, 2, &[])).0
    );
}

#[test]
fn country_order_and_repeats_do_not_matter() {
    let first = csv_bytes(&opts(500, 3, &[Country::Co, Country::Br])).0;
    let second = csv_bytes(&opts(500, 3, &[Country::Br, Country::Co, Country::Br])).0;
    assert_eq!(first, second);
}

#[test]
fn a_prefix_of_debtors_is_stable() {
    // Debtor i does not depend on how many debtors are generated.
    let small: Vec<SynthRow> = rows(&opts(100, 9, &[])).collect();
    let large: Vec<SynthRow> = rows(&opts(1_000, 9, &[])).take(small.len()).collect();
    assert_eq!(small, large);
}

#[test]
fn stats_count_debtors_and_rows() {
    let options = opts(3_000, 11, &[]);
    let (bytes, stats) = csv_bytes(&options);
    assert_eq!(stats.debtors, 3_000);
    assert_eq!(stats.rows, rows(&options).count());
    assert!(stats.rows > stats.debtors && stats.rows < stats.debtors * 3 / 2);
    let lines = bytes.iter().filter(|&&b| b == b'\n').count();
    assert_eq!(lines, stats.rows + 1);
    let jsonl = jsonl_bytes(&options);
    assert_eq!(jsonl.iter().filter(|&&b| b == b'\n').count(), stats.rows);
    assert_eq!(GenStats::default().rows, 0);
    assert_eq!(rows(&opts(0, 1, &[])).count(), 0);
}

/// The field names of docs/import.md, from the first cell of each row of its table.
fn documented_fields() -> HashSet<String> {
    let doc = include_str!("../../../../docs/import.md");
    let mut fields = HashSet::new();
    for line in doc.lines().filter(|l| l.starts_with("| `")) {
        let cell = line.split('|').nth(1).unwrap();
        for (index, part) in cell.split('`').enumerate() {
            if index % 2 == 1 {
                fields.insert(part.to_string());
            }
        }
    }
    fields
}

#[test]
fn columns_are_the_documented_fields() {
    let documented = documented_fields();
    assert!(documented.len() > 30, "{documented:?}");
    for column in COLUMNS {
        assert!(
            documented.contains(column) || column.starts_with("attr_"),
            "{column} is not in docs/import.md"
        );
    }
    for name in &documented {
        assert!(COLUMNS.contains(&name.as_str()), "{name} is not generated");
    }
    let unique: HashSet<_> = COLUMNS.iter().collect();
    assert_eq!(unique.len(), COLUMN_COUNT);
}

#[test]
fn csv_reads_back_as_the_rows() {
    let options = opts(300, 5, &[]);
    let (bytes, _) = csv_bytes(&options);
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, COLUMNS);
    let expected: Vec<SynthRow> = rows(&options).collect();
    let mut count = 0;
    for (rec, row) in reader.records().zip(&expected) {
        let rec = rec.unwrap();
        assert_eq!(rec.iter().collect::<Vec<_>>(), row.fields());
        count += 1;
    }
    assert_eq!(count, expected.len());
}

#[test]
fn jsonl_lines_carry_the_same_values() {
    let options = opts(300, 5, &[]);
    let bytes = jsonl_bytes(&options);
    let text = String::from_utf8(bytes).unwrap();
    for (line, row) in text.lines().zip(rows(&options)) {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        let obj = value.as_object().unwrap();
        for (column, name) in COLUMNS.iter().enumerate() {
            let field = row.field(column);
            if let Some(attr) = name.strip_prefix("attr_") {
                assert_eq!(obj["attributes"][attr].as_str().unwrap(), field);
            } else if field.is_empty() {
                assert!(!obj.contains_key(*name), "{name} in {line}");
            } else if *name == "tags" {
                let tags: Vec<&str> = obj["tags"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t.as_str().unwrap())
                    .collect();
                assert_eq!(tags.join("|"), field);
            } else {
                assert_eq!(obj[*name].as_str().unwrap(), field, "{name}");
            }
        }
    }
}

#[test]
fn json_strings_are_escaped() {
    let mut out = String::new();
    push_json_str(&mut out, "a\"b\\c\nd\u{1}é");
    assert_eq!(out, r#""a\"b\\c\nd\u0001é""#);
    let parsed: String = serde_json::from_str(&out).unwrap();
    assert_eq!(parsed, "a\"b\\c\nd\u{1}é");
}

#[test]
fn country_filter_keeps_only_the_chosen_countries() {
    let options = opts(2_000, 13, &[Country::Co, Country::Br]);
    let mut seen = HashSet::new();
    for row in rows(&options) {
        let code = row.get("country").unwrap().to_string();
        assert!(code == "CO" || code == "BR", "{code}");
        assert!(row.get("debtor_external_id").unwrap().starts_with(&code));
        seen.insert(code);
    }
    assert_eq!(seen.len(), 2);

    let only_cl: Vec<SynthRow> = rows(&opts(200, 13, &[Country::Cl])).collect();
    assert!(only_cl.iter().all(|r| r.get("currency") == Some("CLP")));

    let all: HashSet<String> = rows(&opts(3_000, 13, &[]))
        .map(|r| r.get("country").unwrap().to_string())
        .collect();
    let want: HashSet<String> = DEFAULT_COUNTRIES
        .iter()
        .map(|c| c.code().to_string())
        .collect();
    assert_eq!(all, want);
}

fn calling_code(country: Country) -> &'static str {
    match country {
        Country::Br => "+55",
        Country::Mx => "+52",
        Country::Co => "+57",
        Country::Cl => "+56",
        Country::Pe => "+51",
        Country::Ar => "+54",
        Country::Es => "+34",
        Country::Us => "+1",
    }
}

fn get<'a>(row: &'a SynthRow, name: &str) -> &'a str {
    row.get(name).unwrap_or_else(|| panic!("no column {name}"))
}

/// Every row of every country (AR included) is importable and consistent.
#[test]
fn every_row_is_valid() {
    let options = opts(25_000, 2024, &Country::ALL);
    let today = today();
    let mut debt_ids = HashSet::new();
    let mut debtor_rows: HashMap<String, String> = HashMap::new();
    let mut last_debtor = String::new();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    let mut count = |k: &'static str| *counts.entry(k).or_default() += 1;
    let mut n_rows = 0;
    for row in rows(&options) {
        n_rows += 1;
        let country: Country = get(&row, "country").parse().unwrap();
        let ctx = format!("{:?}", row.fields());

        // Ids.
        let debtor_id = get(&row, "debtor_external_id");
        let number = debtor_id
            .strip_prefix(&format!("{}-", country.code()))
            .expect(&ctx);
        assert!(
            number.len() >= 6 && number.bytes().all(|b| b.is_ascii_digit()),
            "{ctx}"
        );
        let debt_id = get(&row, "debt_external_id");
        assert!(debt_id.starts_with(&format!("INV-{debtor_id}-")), "{ctx}");
        assert!(debt_ids.insert(debt_id.to_string()), "duplicate {debt_id}");
        // A debtor's rows are consecutive and agree on every debtor field.
        let debtor_part = row.fields()[..28].join(",") + "," + get(&row, "attr_contract");
        if debtor_id != last_debtor {
            assert!(
                !debtor_rows.contains_key(debtor_id),
                "{debtor_id} not consecutive"
            );
            debtor_rows.insert(debtor_id.to_string(), debtor_part);
            last_debtor = debtor_id.to_string();
            count("debtors");
        } else {
            assert_eq!(debtor_rows[debtor_id], debtor_part);
        }

        // Identity.
        let name = get(&row, "debtor_name");
        assert!(
            !name.is_empty() && name.len() <= 200 && name.trim() == name,
            "{ctx}"
        );
        let kind: DebtorKind = get(&row, "debtor_kind").parse().unwrap();
        let doc_type = get(&row, "document_type");
        let doc = get(&row, "document_number");
        if doc_type.is_empty() {
            assert!(doc.is_empty());
            assert_eq!(
                (country, kind),
                (Country::Us, DebtorKind::Business),
                "{ctx}"
            );
        } else {
            assert!(documents::is_valid_in(country, doc_type, doc), "{ctx}");
            assert!(!doc.contains(' '), "{ctx}");
            if doc_type == "rfc" {
                assert!(documents::is_valid_rfc_strict(doc), "{ctx}");
            }
        }
        let birth = get(&row, "birth_date");
        if kind == DebtorKind::Person {
            let born = NaiveDate::parse_from_str(birth, "%Y-%m-%d").expect(&ctx);
            let age = today.years_since(born).unwrap();
            assert!((18..=85).contains(&age), "{ctx}");
            if doc_type == "curp" {
                assert_eq!(&doc[4..10], born.format("%y%m%d").to_string(), "{ctx}");
            }
        } else {
            assert!(birth.is_empty());
            count("business");
        }
        let lang: Language = get(&row, "language").parse().unwrap();
        match country {
            Country::Br => assert_eq!(lang, Language::Pt),
            Country::Us => assert_ne!(lang, Language::Pt),
            _ => assert_eq!(lang, Language::Es),
        }
        parse_timezone(get(&row, "timezone")).expect(&ctx);
        assert!(["retail", "sme", "premium"].contains(&get(&row, "segment")));
        let tags = get(&row, "tags");
        if !tags.is_empty() {
            assert!(tags.split('|').all(|t| data::TAGS.contains(&t)), "{ctx}");
        }

        // Contact points.
        let email = get(&row, "email");
        if email.is_empty() {
            assert!(get(&row, "email_consent").is_empty());
        } else {
            let normalized = normalize_email(email).expect(&ctx);
            assert!(normalized.is_ascii(), "{ctx}");
        }
        let phone = get(&row, "phone");
        let whatsapp = get(&row, "whatsapp");
        if phone.is_empty() {
            assert!(
                whatsapp.is_empty() && get(&row, "sms_consent").is_empty(),
                "{ctx}"
            );
        } else {
            let phone_number = normalize_phone(phone, country).expect(&ctx);
            assert!(phone_number.starts_with(calling_code(country)), "{ctx}");
            count("phone");
            if !whatsapp.is_empty() {
                let whatsapp_number = normalize_phone(whatsapp, country).expect(&ctx);
                count("whatsapp");
                if whatsapp_number == phone_number {
                    count("whatsapp_same");
                }
                if country == Country::Us {
                    count("us_whatsapp");
                }
            }
            if country == Country::Us {
                count("us_phone");
            }
        }
        let line1 = get(&row, "address_line1");
        let city = get(&row, "address_city");
        assert_eq!(line1.is_empty(), city.is_empty(), "{ctx}");
        if !line1.is_empty() {
            assert!(!get(&row, "address_region").is_empty());
            let pc = get(&row, "address_postal_code");
            let ok = match country {
                Country::Br => {
                    pc.len() == 9 && pc.as_bytes()[5] == b'-' && pc.replace('-', "").len() == 8
                }
                Country::Co => pc.len() == 6,
                Country::Cl => pc.len() == 7,
                Country::Ar => pc.len() == 4,
                _ => pc.len() == 5,
            };
            assert!(ok, "{ctx}");
            assert!(pc.bytes().all(|b| b.is_ascii_digit() || b == b'-'), "{ctx}");
        } else {
            assert!(get(&row, "letter_consent").is_empty());
        }
        let mut granted = false;
        for channel in ["email", "sms", "whatsapp", "voice", "letter"] {
            let value = get(&row, &format!("{channel}_consent"));
            if !value.is_empty() {
                let status: ConsentStatus = value.parse().unwrap();
                granted |= status == ConsentStatus::Granted;
                count(match status {
                    ConsentStatus::Granted => "granted",
                    ConsentStatus::Unknown => "unknown",
                    ConsentStatus::OptedOut => "opted_out",
                    ConsentStatus::Denied => "denied",
                });
            }
        }
        let source = get(&row, "consent_source");
        let at = get(&row, "consent_at");
        assert_eq!(granted, !source.is_empty(), "{ctx}");
        assert_eq!(granted, !at.is_empty(), "{ctx}");
        if granted {
            assert!(["contract", "signup_form", "app"].contains(&source));
            let timestamp = DateTime::parse_from_rfc3339(at).expect(&ctx);
            assert!(timestamp.date_naive() < today, "{ctx}");
        }
        let pref = get(&row, "preferred_channel");
        if !pref.is_empty() {
            let ch: Channel = pref.parse().unwrap();
            let has = match ch {
                Channel::Email => !email.is_empty(),
                Channel::Sms | Channel::Voice => !phone.is_empty(),
                Channel::Whatsapp => !whatsapp.is_empty(),
                Channel::Letter => !line1.is_empty(),
            };
            assert!(has, "{ctx}");
        }
        assert!(["", "true", "false"].contains(&get(&row, "paperless")));

        // Debt.
        let currency = country.currency();
        assert_eq!(get(&row, "currency"), currency.code());
        let amount_text = get(&row, "amount");
        let balance_text = get(&row, "balance");
        let amount = Money::parse_amount(amount_text, currency).expect(&ctx);
        let balance = Money::parse_amount(balance_text, currency).expect(&ctx);
        if matches!(country, Country::Cl | Country::Co) {
            assert!(
                !amount_text.contains('.') && !balance_text.contains('.'),
                "{ctx}"
            );
        } else {
            assert_eq!(
                amount_text.split('.').nth(1).map(str::len),
                Some(2),
                "{ctx}"
            );
        }
        assert!(amount.amount > rust_decimal::Decimal::ZERO, "{ctx}");
        assert!(balance.amount <= amount.amount, "{ctx}");
        if balance.amount.is_zero() {
            count("paid");
        } else if balance.amount < amount.amount {
            count("partial");
        }
        let due = NaiveDate::parse_from_str(get(&row, "due_date"), "%Y-%m-%d").unwrap();
        let issued = NaiveDate::parse_from_str(get(&row, "issued_date"), "%Y-%m-%d").unwrap();
        assert!((-180..=30).contains(&(due - today).num_days()), "{ctx}");
        assert!((15..=30).contains(&(due - issued).num_days()), "{ctx}");
        assert!(!get(&row, "product").is_empty());
        assert_eq!(get(&row, "attr_contract").len(), 10);
    }

    // Rough shares.
    let debtors = counts["debtors"] as f64;
    let rows = n_rows as f64;
    let share = |k: &str, of: f64| counts.get(k).copied().unwrap_or(0) as f64 / of;
    assert_eq!(counts["debtors"], options.debtors);
    assert!(
        (0.08..0.12).contains(&share("business", rows)),
        "{counts:?}"
    );
    assert!((0.12..0.18).contains(&share("partial", rows)), "{counts:?}");
    assert!((0.02..0.04).contains(&share("paid", rows)), "{counts:?}");
    let points =
        (counts["granted"] + counts["unknown"] + counts["opted_out"] + counts["denied"]) as f64;
    assert!(
        (0.75..0.85).contains(&share("granted", points)),
        "{counts:?}"
    );
    assert!(
        (0.02..0.04).contains(&share("opted_out", points)),
        "{counts:?}"
    );
    assert!(counts["denied"] > 0 && counts["unknown"] > 0);
    assert!(
        share("whatsapp_same", share("whatsapp", 1.0)) > 0.9,
        "{counts:?}"
    );
    assert!(share("whatsapp", share("phone", 1.0)) > 0.6, "{counts:?}");
    assert!(
        share("us_whatsapp", share("us_phone", 1.0)) < 0.3,
        "{counts:?}"
    );
    assert!((1.1..1.4).contains(&(rows / debtors)), "{counts:?}");
}

#[test]
fn amounts_have_realistic_medians() {
    for (country, lo, hi) in [
        (Country::Br, 150.0, 450.0),
        (Country::Mx, 1_000.0, 3_500.0),
        (Country::Co, 200_000.0, 650_000.0),
        (Country::Cl, 50_000.0, 170_000.0),
        (Country::Pe, 200.0, 650.0),
        (Country::Es, 70.0, 230.0),
        (Country::Us, 100.0, 350.0),
    ] {
        let mut amounts: Vec<f64> = rows(&opts(3_000, 77, &[country]))
            .map(|r| r.get("amount").unwrap().parse().unwrap())
            .collect();
        amounts.sort_by(f64::total_cmp);
        let median = amounts[amounts.len() / 2];
        assert!((lo..hi).contains(&median), "{country}: median {median}");
    }
}

#[test]
fn names_look_like_the_country() {
    let rows: Vec<SynthRow> = rows(&opts(3_000, 21, &[Country::Br, Country::Mx, Country::Us]))
        .filter(|r| r.get("debtor_kind") == Some("person"))
        .collect();
    let words = |r: &SynthRow| r.get("debtor_name").unwrap().split(' ').count();
    let share = |c: &str, f: &dyn Fn(&SynthRow) -> bool| {
        let of: Vec<&SynthRow> = rows
            .iter()
            .filter(|r| r.get("country") == Some(c))
            .collect();
        of.iter().filter(|r| f(r)).count() as f64 / of.len() as f64
    };
    // Two surnames in BR and MX, mostly one in the US.
    assert!(share("BR", &|r| words(r) >= 3) > 0.8);
    assert!(share("MX", &|r| words(r) >= 3) > 0.9);
    assert!(
        share("US", &|r| words(r) == 2
            || r.get("debtor_name").unwrap().contains('.'))
            > 0.7
    );
    // Accents in BR/MX names, none in US emails.
    assert!(share("BR", &|r| !r.get("debtor_name").unwrap().is_ascii()) > 0.2);
    let businesses: Vec<String> = super::rows(&opts(2_000, 21, &[Country::Co]))
        .filter(|r| r.get("debtor_kind") == Some("business"))
        .map(|r| r.get("debtor_name").unwrap().to_string())
        .collect();
    assert!(!businesses.is_empty());
    assert!(businesses.iter().all(|n| {
        let n = n.to_lowercase();
        n.ends_with("s.a.s.") || n.ends_with("ltda.")
    }));
    // Several time zones in BR, MX and US.
    for country in [Country::Br, Country::Mx, Country::Us] {
        let zones: HashSet<String> = super::rows(&opts(2_000, 4, &[country]))
            .map(|r| r.get("timezone").unwrap().to_string())
            .collect();
        assert!(zones.len() >= 4, "{country}: {zones:?}");
        assert!(
            zones.contains(country.default_timezone().name()),
            "{country}: {zones:?}"
        );
    }
}

#[test]
fn some_debtors_have_several_debts() {
    let mut per_debtor: HashMap<String, usize> = HashMap::new();
    for row in rows(&opts(5_000, 8, &[])) {
        *per_debtor
            .entry(row.get("debtor_external_id").unwrap().to_string())
            .or_default() += 1;
    }
    let max = per_debtor.values().max().copied().unwrap();
    assert_eq!(max, 3);
    let one = per_debtor.values().filter(|&&n| n == 1).count() as f64 / 5_000.0;
    assert!((0.75..0.85).contains(&one), "{one}");
    // Ids count per country.
    assert!(per_debtor.contains_key("BR-000001") && per_debtor.contains_key("US-000001"));
}

#[test]
fn birth_years_use_full_range() {
    let years: Vec<i32> = rows(&opts(5_000, 99, &[]))
        .filter_map(|r| NaiveDate::parse_from_str(r.get("birth_date").unwrap(), "%Y-%m-%d").ok())
        .map(|d| d.year())
        .collect();
    let (min, max) = (years.iter().min().unwrap(), years.iter().max().unwrap());
    assert!(*min <= 1950 && *max >= 2005, "{min}..{max}");
}

/// A utility's book holds bills and a lender's holds credit, in every country.
#[test]
fn a_sector_keeps_its_products() {
    for country in Country::ALL {
        for (sector, allowed) in [
            (
                super::Sector::Utility,
                &["electricity", "water", "gas", "mobile", "broadband"][..],
            ),
            (
                super::Sector::Lender,
                &[
                    "credit_card",
                    "personal_loan",
                    "business_loan",
                    "retail_installment",
                ][..],
            ),
        ] {
            let options = GenOptions {
                sector,
                ..opts(300, 5, &[country])
            };
            let (bytes, stats) = csv_bytes(&options);
            assert!(stats.rows >= 300, "{country:?} {sector:?}");
            let mut reader = csv::Reader::from_reader(&bytes[..]);
            let column = reader
                .headers()
                .unwrap()
                .iter()
                .position(|h| h == "product")
                .expect("a product column");
            for row in reader.records() {
                let product = row.unwrap()[column].to_string();
                assert!(
                    allowed.contains(&product.as_str()),
                    "{country:?} {sector:?}: {product}"
                );
            }
        }
    }
}
