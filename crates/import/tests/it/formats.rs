//! Files as Latin American spreadsheets and billing systems export them (tests/fixtures): each
//! encoding, separator and locale, imported on real stores.

use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use recaudo_domain::portfolio::Channel;
use recaudo_domain::{Country, Currency};
use recaudo_import::{
    ColumnMap, DateOrder, Encoding, Format, FormatsFrom, ImportOptions, ImportReport, Locale,
    NumberStyle, RowProblem, Severity, check_reader, import_reader,
};
use recaudo_store::testing::stores;
use recaudo_store::{DebtFilter, NewTenant, Store, TenantStore};

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-23T12:00:00Z")
        .unwrap()
        .to_utc()
}

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

async fn tenant(store: &Store, country: Country) -> TenantStore {
    let tk = store
        .create_tenant(NewTenant::in_country("Cobranzas", country), t0())
        .await
        .unwrap();
    store.tenant(&tk.tenant)
}

async fn import(ts: &TenantStore, name: &str, opts: ImportOptions) -> ImportReport {
    import_reader(
        ts,
        Format::Csv,
        std::io::Cursor::new(fixture(name)),
        &opts,
        t0(),
    )
    .await
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn with_locale(locale: Locale) -> ImportOptions {
    ImportOptions {
        locale: Some(locale),
        ..ImportOptions::default()
    }
}

fn problem<'a>(report: &'a ImportReport, line: u64, column: &str) -> &'a RowProblem {
    report
        .problems
        .iter()
        .find(|p| p.line == line && p.column == column)
        .unwrap_or_else(|| panic!("no problem at line {line}, {column}: {report:?}"))
}

/// Balance and original in minor units, due date and currency of a debt.
async fn debt(ts: &TenantStore, external_id: &str) -> (i64, i64, NaiveDate, Currency) {
    let debts = ts
        .list_debts(&DebtFilter {
            external_id: Some(external_id.into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .items;
    let debt = debts
        .first()
        .unwrap_or_else(|| panic!("no debt {external_id}"));
    (
        debt.balance.to_minor().unwrap(),
        debt.original.to_minor().unwrap(),
        debt.due_on,
        debt.balance.currency,
    )
}

async fn channels(ts: &TenantStore, debtor: &str) -> Vec<Channel> {
    let debtor = ts.get_debtor_by_external_id(debtor).await.unwrap();
    let mut channels: Vec<Channel> = ts
        .list_contact_points(debtor.id)
        .await
        .unwrap()
        .iter()
        .map(|c| c.channel)
        .collect();
    channels.sort();
    channels
}

#[tokio::test]
async fn colombian_windows_1252_semicolon_file_imports_without_options() {
    for (db, store) in stores().await {
        let ts = tenant(&store, Country::Co).await;
        let report = import(&ts, "co_cp1252_semicolon.csv", ImportOptions::default()).await;
        assert_eq!(
            (report.rows, report.imported, report.errors),
            (3, 2, 1),
            "{db}: {report:?}"
        );
        // The document number is the debtor's id, the invoice number the debt's; no currency
        // column: the tenant's COP. `1.500.000,50` and `25/11/2026` told the formats.
        assert_eq!(
            debt(&ts, "FV-1001").await,
            (
                120_000_000,
                150_000_050,
                NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
                Currency::Cop
            ),
            "{db}"
        );
        let jose = ts.get_debtor_by_external_id("1.020.304.050").await.unwrap();
        assert_eq!(jose.name, "José Peña", "{db}: decoded from Windows-1252");
        assert_eq!(jose.document_type.as_deref(), Some("cc"), "{db}");
        assert_eq!(jose.document_number.as_deref(), Some("1.020.304.050"));
        let maria = ts.get_debtor_by_external_id("43.555.666").await.unwrap();
        assert_eq!(
            maria.name, "María Muñoz “la Mona”",
            "{db}: 0x93/0x94 are quotes"
        );

        // A landline keeps its voice point only; a city without a street drops the address;
        // the row and its debt are imported.
        assert_eq!(
            debt(&ts, "FV-1002").await.2,
            NaiveDate::from_ymd_opt(2026, 12, 5).unwrap()
        );
        assert_eq!(
            channels(&ts, "43.555.666").await,
            vec![Channel::Voice],
            "{db}"
        );
        let landline = problem(&report, 3, "phone");
        assert_eq!(landline.severity, Severity::Warning);
        assert_eq!(landline.value, "(604) 444 5566");
        assert!(landline.reason.contains("landline"), "{}", landline.reason);
        let street = problem(&report, 3, "address_city");
        assert_eq!(street.severity, Severity::Warning);
        assert!(street.reason.contains("no street"), "{}", street.reason);
        assert_eq!(report.warnings, 2, "{db}: {report:?}");
        assert_eq!(
            channels(&ts, "1.020.304.050").await,
            vec![
                Channel::Email,
                Channel::Sms,
                Channel::Voice,
                Channel::Letter
            ],
            "{db}"
        );

        // The bad value is given once, beside the reason.
        let bad = problem(&report, 4, "amount");
        assert_eq!(
            (bad.value.as_str(), bad.reason.as_str()),
            ("doce", "is not a number")
        );
    }
}

#[tokio::test]
async fn brazilian_latin1_tab_file_needs_the_locale_for_its_dates() {
    for (db, store) in stores().await {
        let ts = tenant(&store, Country::Br).await;
        // 05/12/2026 and 10/12/2026 could be either order: refused, not guessed.
        let report = import(&ts, "br_latin1_tab.csv", ImportOptions::default()).await;
        assert_eq!((report.imported, report.errors), (0, 2), "{db}: {report:?}");
        assert!(
            problem(&report, 2, "due_date").reason.contains("--locale"),
            "{report:?}"
        );

        let report = import(&ts, "br_latin1_tab.csv", with_locale(Locale::PtBr)).await;
        assert_eq!(
            (report.rows, report.imported, report.errors),
            (2, 2, 0),
            "{db}: {report:?}"
        );
        assert_eq!(
            debt(&ts, "NF-77").await,
            (
                123_456,
                123_456,
                NaiveDate::from_ymd_opt(2026, 12, 5).unwrap(),
                Currency::Brl
            ),
            "{db}"
        );
        let joao = ts
            .get_debtor_by_external_id("123.456.789-09")
            .await
            .unwrap();
        assert_eq!(joao.name, "João Conceição", "{db}: decoded from Latin-1");
        assert_eq!(joao.document_type.as_deref(), Some("cpf"));
        assert_eq!(
            channels(&ts, "123.456.789-09").await,
            vec![
                Channel::Email,
                Channel::Sms,
                Channel::Voice,
                Channel::Letter
            ]
        );
        // A São Paulo landline: voice only, with a warning naming line and column.
        assert_eq!(channels(&ts, "987.654.321-00").await, vec![Channel::Voice]);
        assert_eq!(problem(&report, 3, "phone").severity, Severity::Warning);
    }
}

#[tokio::test]
async fn mexican_utf8_file_with_bom_and_thousands_commas() {
    for (db, store) in stores().await {
        let ts = tenant(&store, Country::Mx).await;
        let report = import(&ts, "mx_utf8_bom_comma.csv", ImportOptions::default()).await;
        assert_eq!(
            (report.rows, report.imported, report.errors),
            (2, 2, 0),
            "{db}: {report:?}"
        );
        assert_eq!(
            debt(&ts, "A-501").await,
            (
                1_250_000,
                1_250_000,
                NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
                Currency::Mxn
            ),
            "{db}"
        );
        assert_eq!(debt(&ts, "A-502").await.0, 125_050, "{db}");
        // The BOM is not part of the first header: `ID Cliente` is the debtor's id.
        let lucia = ts.get_debtor_by_external_id("MX-1").await.unwrap();
        assert_eq!(lucia.document_number.as_deref(), Some("HEGL800101MDFRRC09"));
        assert_eq!(lucia.document_type.as_deref(), Some("curp"));
        // Mexico's plan cannot tell mobiles from landlines: the number keeps SMS.
        assert_eq!(
            channels(&ts, "MX-1").await,
            vec![Channel::Sms, Channel::Voice]
        );
    }
}

#[tokio::test]
async fn chilean_pesos_with_a_thousands_dot_need_the_locale() {
    for (db, store) in stores().await {
        let ts = tenant(&store, Country::Cl).await;
        let report = import(&ts, "cl_utf8_semicolon.csv", ImportOptions::default()).await;
        assert_eq!((report.imported, report.errors), (0, 2), "{db}: {report:?}");
        assert!(
            problem(&report, 2, "amount").reason.contains("ambiguous"),
            "{report:?}"
        );

        let report = import(&ts, "cl_utf8_semicolon.csv", with_locale(Locale::EsCl)).await;
        assert_eq!((report.imported, report.errors), (2, 0), "{db}: {report:?}");
        assert_eq!(
            debt(&ts, "OB-2").await,
            (
                45_000,
                89_990,
                NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(),
                Currency::Clp
            ),
            "{db}"
        );
        let camila = ts.get_debtor_by_external_id("12.345.678-5").await.unwrap();
        assert_eq!(camila.document_type.as_deref(), Some("rut"));
    }
}

#[tokio::test]
async fn us_file_reads_month_first() {
    for (db, store) in stores().await {
        let ts = tenant(&store, Country::Us).await;
        for opts in [ImportOptions::default(), with_locale(Locale::EnUs)] {
            let report = import(&ts, "us_utf8_comma.csv", opts).await;
            assert_eq!(report.errors, 0, "{db}: {report:?}");
        }
        assert_eq!(
            debt(&ts, "INV-9").await,
            (
                100_000,
                150_050,
                NaiveDate::from_ymd_opt(2026, 12, 5).unwrap(),
                Currency::Usd
            ),
            "{db}"
        );
        assert_eq!(
            debt(&ts, "INV-10").await.2,
            NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
        );
    }
}

#[tokio::test]
async fn a_mapping_file_names_any_other_header() {
    let map = String::from_utf8(fixture("co_mapping.toml")).unwrap();
    for (db, store) in stores().await {
        let ts = tenant(&store, Country::Co).await;
        let err = import_reader(
            &ts,
            Format::Csv,
            std::io::Cursor::new(fixture("co_mapped.csv")),
            &ImportOptions::default(),
            t0(),
        )
        .await
        .unwrap_err();
        assert!(
            err.to_string().contains("Observaciones") && err.to_string().contains("--map"),
            "{db}: {err}"
        );

        let opts = ImportOptions {
            columns: ColumnMap::from_toml(&map).unwrap(),
            ..ImportOptions::default()
        };
        let report = import(&ts, "co_mapped.csv", opts).await;
        assert_eq!((report.imported, report.errors), (1, 0), "{db}: {report:?}");
        assert_eq!(debt(&ts, "OB-77").await.0, 25_000_000, "{db}");
        let luisa = ts.get_debtor_by_external_id("1.030.555.777").await.unwrap();
        assert_eq!(luisa.attributes["asesor"], "Pedro", "{db}");
        assert!(luisa.attributes.get("observaciones").is_none(), "{db}");
    }
}

#[test]
fn check_tells_how_a_file_is_read_without_writing() {
    let tenant = recaudo_domain::portfolio::Tenant {
        id: recaudo_domain::TenantId::generate(),
        name: "T".into(),
        country: Country::Co,
        timezone: "America/Bogota".into(),
        currency: Currency::Cop,
        language: recaudo_domain::portfolio::Language::Es,
        jurisdiction: recaudo_domain::calendar::Jurisdiction::Co,
        created_at: t0(),
    };
    let report = check_reader(
        Format::Csv,
        std::io::Cursor::new(fixture("co_cp1252_semicolon.csv")),
        &tenant,
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(
        (report.rows, report.valid, report.errors, report.warnings),
        (3, 2, 1, 2)
    );
    let shape = report.shape.expect("a CSV file has a shape");
    assert_eq!(
        (shape.encoding, shape.encoding_detected),
        (Encoding::Windows1252, true)
    );
    assert_eq!((shape.separator, shape.separator_detected), (b';', true));
    assert_eq!(
        (shape.numbers, shape.dates, shape.formats_from),
        (
            NumberStyle::DecimalComma,
            DateOrder::DayFirst,
            FormatsFrom::File
        )
    );
    assert_eq!(shape.default_currency, Some(Currency::Cop));
    assert_eq!(shape.layout.title("due_date"), Some("Fecha de vencimiento"));

    // Given options win over detection.
    let report = check_reader(
        Format::Csv,
        std::io::Cursor::new(fixture("br_latin1_tab.csv")),
        &tenant,
        &ImportOptions {
            encoding: Some(Encoding::Latin1),
            locale: Some(Locale::PtBr),
            ..ImportOptions::default()
        },
    )
    .unwrap();
    let shape = report.shape.unwrap();
    assert_eq!(
        (shape.encoding, shape.encoding_detected, shape.separator),
        (Encoding::Latin1, false, b'\t')
    );
    assert_eq!(shape.formats_from, FormatsFrom::Locale(Locale::PtBr));
}

#[tokio::test]
async fn a_single_byte_row_after_a_utf8_head_names_the_encoding_option() {
    for (db, store) in stores().await {
        let ts = tenant(&store, Country::Co).await;
        let mut file =
            b"debtor_external_id,debtor_name,debt_external_id,amount,due_date\n".to_vec();
        let mut rows = 0u64;
        while file.len() < 70 * 1024 {
            rows += 1;
            file.extend_from_slice(
                format!("D-{rows},Ana Gómez,F-{rows},1000,2026-12-01\n").as_bytes(),
            );
        }
        // Past the head: a name in Windows-1252 (0xE9 is é).
        file.extend_from_slice(b"D-X,Jos\xe9 Pe\xf1a,F-X,1000,2026-12-01\n");
        let report = import_reader(
            &ts,
            Format::Csv,
            std::io::Cursor::new(file),
            &ImportOptions::default(),
            t0(),
        )
        .await
        .unwrap();
        assert_eq!(
            (report.imported, report.errors),
            (rows, 1),
            "{db}: {report:?}"
        );
        let bad = &report.problems[0];
        assert_eq!(bad.line, rows + 2, "{db}");
        assert!(
            bad.reason.contains("--encoding windows-1252"),
            "{}",
            bad.reason
        );
    }
}
