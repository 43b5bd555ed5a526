//! Import end to end on real stores (SQLite, and PostgreSQL when configured).

use chrono::{DateTime, Utc};
use recaudo_domain::Country;
use recaudo_domain::portfolio::{Channel, ConsentStatus, DebtStatus};
use recaudo_import::{Format, ImportError, ImportOptions, ImportReport, Severity, import_reader};
use recaudo_store::testing::stores;
use recaudo_store::{DebtFilter, NewTenant, Store, TenantStore};

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-23T12:00:00Z")
        .unwrap()
        .to_utc()
}

async fn tenant(store: &Store) -> TenantStore {
    let tk = store
        .create_tenant(NewTenant::in_country("Luz", Country::Br), t0())
        .await
        .unwrap();
    store.tenant(&tk.tenant)
}

async fn run(ts: &TenantStore, format: Format, text: &str) -> Result<ImportReport, ImportError> {
    let opts = ImportOptions {
        batch_size: 3,
        ..Default::default()
    };
    import_reader(
        ts,
        format,
        std::io::Cursor::new(text.to_string().into_bytes()),
        &opts,
        t0(),
    )
    .await
}

const HEADER: &str = "debtor_external_id,debtor_name,country,email,phone,whatsapp,sms_consent,email_consent,address_line1,address_city,debt_external_id,currency,amount,balance,due_date,attr_contract";

#[tokio::test]
async fn good_rows_are_imported_and_bad_rows_reported_by_line_and_column() {
    for (db, store) in stores().await {
        let ts = tenant(&store).await;
        let csv = format!(
            "{HEADER}\n\
             BR-1,Ana Souza,BR,ana@example.com,(11) 98765-4321,(11) 98765-4321,granted,granted,\"Rua A, 1\",São Paulo,INV-1,BRL,100.50,,2026-11-01,C-1\n\
             BR-1,Ana Souza,BR,ana@example.com,(11) 98765-4321,,granted,granted,,,INV-2,BRL,20,5,2026-10-01,C-1\n\
             BR-2,Bruno Lima,BR,not-an-email,123,,,,,,INV-3,BRL,abc,,2026-02-30,\n\
             BR-3,Carla Dias,BR,,,,,,,,INV-4,XYZ,10,,2026-11-01,\n\
             BR-4,Davi Rocha,BR,davi@example.com,,,,,,,INV-5,BRL,-3,,2026-11-01,\n\
             BR-5,Eva Melo,CO,eva@example.com,300 123 4567,,maybe,,,,INV-6,COP,350000,,2026-11-01,\n\
             BR-6,Fabio Reis,BR,,,,,,,,INV-7,BRL,10,20,2026-11-01,\n"
        );
        let report = run(&ts, Format::Csv, &csv).await.unwrap();
        assert_eq!(
            (report.rows, report.imported, report.updated, report.errors),
            (7, 2, 0, 5),
            "{db}: {report:?}"
        );
        let errs: Vec<(u64, &str)> = report
            .problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .map(|p| (p.line, p.column.as_str()))
            .collect();
        for want in [
            (4, "email"),
            (4, "phone"),
            (4, "amount"),
            (4, "due_date"),
            (5, "currency"),
            (6, "amount"),
            (7, "sms_consent"),
            (8, "balance"),
        ] {
            assert!(errs.contains(&want), "{db}: missing {want:?} in {errs:?}");
        }
        let bad_amount = report
            .problems
            .iter()
            .find(|p| p.line == 4 && p.column == "amount")
            .unwrap();
        assert_eq!(bad_amount.value, "abc");
        assert!(
            bad_amount.reason.contains("not a number"),
            "{}",
            bad_amount.reason
        );
        // Each value is given once: in `value`, not again inside the reason.
        for p in &report.problems {
            assert!(
                p.value.is_empty() || !p.reason.contains(&p.value),
                "{db}: {p:?}"
            );
        }
        let consent = report
            .problems
            .iter()
            .find(|p| p.line == 7 && p.column == "sms_consent")
            .unwrap();
        assert_eq!(consent.value, "maybe");
        assert!(
            consent
                .reason
                .starts_with("unknown consent status (expected one of"),
            "{}",
            consent.reason
        );

        let debtor = ts.get_debtor_by_external_id("BR-1").await.unwrap();
        assert_eq!(debtor.attributes["contract"], "C-1", "{db}");
        let cps = ts.list_contact_points(debtor.id).await.unwrap();
        let channels: Vec<Channel> = cps.iter().map(|c| c.channel).collect();
        for ch in [
            Channel::Email,
            Channel::Sms,
            Channel::Voice,
            Channel::Whatsapp,
            Channel::Letter,
        ] {
            assert!(channels.contains(&ch), "{db}: {channels:?}");
        }
        assert_eq!(
            cps.len(),
            5,
            "{db}: contact points deduplicated across rows"
        );
        let sms = cps.iter().find(|c| c.channel == Channel::Sms).unwrap();
        assert_eq!(sms.address, "+5511987654321");
        assert_eq!(sms.consent.status, ConsentStatus::Granted);
        let debts = ts
            .list_debts(&DebtFilter {
                debtor_id: Some(debtor.id),
                ..Default::default()
            })
            .await
            .unwrap()
            .items;
        assert_eq!(debts.len(), 2);
        let inv2 = debts.iter().find(|d| d.external_id == "INV-2").unwrap();
        assert_eq!(inv2.balance.to_minor().unwrap(), 500);
        assert_eq!(inv2.original.to_minor().unwrap(), 2000);
    }
}

#[tokio::test]
async fn reimport_is_idempotent_and_keeps_opt_outs() {
    for (db, store) in stores().await {
        let ts = tenant(&store).await;
        let csv = format!(
            "{HEADER}\n\
             BR-1,Ana Souza,BR,ana@example.com,(11) 98765-4321,,granted,granted,,,INV-1,BRL,100,,2026-11-01,\n\
             BR-2,Bruno Lima,BR,bruno@example.com,,,,granted,,,INV-2,BRL,0,,2026-11-01,\n"
        );
        let first = run(&ts, Format::Csv, &csv).await.unwrap();
        assert_eq!(
            (first.imported, first.updated, first.errors),
            (2, 0, 0),
            "{db}"
        );
        let paid = ts
            .list_debts(&DebtFilter {
                external_id: Some("INV-2".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(
            paid.items[0].status,
            DebtStatus::Paid,
            "{db}: zero balance is paid"
        );

        // The debtor opts out of SMS; the next nightly file still says `granted`.
        let d = ts.get_debtor_by_external_id("BR-1").await.unwrap();
        let sms = ts
            .list_contact_points(d.id)
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.channel == Channel::Sms)
            .unwrap();
        ts.set_consent(
            sms.id,
            recaudo_domain::portfolio::Consent {
                status: ConsentStatus::OptedOut,
                source: Some("sms_stop".into()),
                at: None,
            },
            t0(),
        )
        .await
        .unwrap();

        let second = run(&ts, Format::Csv, &csv).await.unwrap();
        assert_eq!(
            (second.imported, second.updated, second.errors),
            (0, 2, 0),
            "{db}"
        );
        let sms = ts
            .list_contact_points(d.id)
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.channel == Channel::Sms)
            .unwrap();
        assert_eq!(
            sms.consent.status,
            ConsentStatus::OptedOut,
            "{db}: an import never undoes an opt-out"
        );
        assert!(sms.opted_out_at.is_some());
        let all = ts.list_debts(&DebtFilter::default()).await.unwrap();
        assert_eq!(all.items.len(), 2, "{db}: nothing duplicated");
    }
}

#[tokio::test]
async fn the_same_debt_twice_in_a_file_last_wins_with_a_warning() {
    for (db, store) in stores().await {
        let ts = tenant(&store).await;
        // batch_size 3: one repetition inside a batch (lines 2 and 3), one across batches (2 and 6).
        let csv = format!(
            "{HEADER}\n\
             BR-1,Ana,BR,,,,,,,,INV-1,BRL,100,,2026-11-01,\n\
             BR-1,Ana,BR,,,,,,,,INV-1,BRL,100,90,2026-11-01,\n\
             BR-2,Bia,BR,,,,,,,,INV-2,BRL,50,,2026-11-01,\n\
             BR-3,Caio,BR,,,,,,,,INV-3,BRL,50,,2026-11-01,\n\
             BR-1,Ana,BR,,,,,,,,INV-1,BRL,100,80,2026-11-01,\n"
        );
        let report = run(&ts, Format::Csv, &csv).await.unwrap();
        assert_eq!(
            (
                report.rows,
                report.imported,
                report.updated,
                report.errors,
                report.warnings
            ),
            (5, 3, 2, 0, 2),
            "{db}: {report:?}"
        );
        let warned: Vec<u64> = report
            .problems
            .iter()
            .filter(|p| p.severity == Severity::Warning)
            .map(|p| p.line)
            .collect();
        assert_eq!(warned, vec![3, 6], "{db}");
        let inv1 = ts
            .list_debts(&DebtFilter {
                external_id: Some("INV-1".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(
            inv1.items[0].balance.to_minor().unwrap(),
            8000,
            "{db}: the last row wins"
        );
    }
}

#[tokio::test]
async fn wrong_columns_stop_the_import_before_any_row() {
    for (db, store) in stores().await {
        let ts = tenant(&store).await;
        let err = run(
            &ts,
            Format::Csv,
            "debtor_external_id,debtor_name,colour\nX,Y,red\n",
        )
        .await
        .unwrap_err();
        let msg = err.to_string();
        for col in ["debt_external_id", "amount", "due_date", "colour"] {
            assert!(msg.contains(col), "{db}: {msg}");
        }
        // Without a currency column the tenant's currency applies: it is not missing.
        assert!(!msg.contains("currency"), "{db}: {msg}");
        assert!(matches!(err, ImportError::Columns { .. }));
        assert!(
            ts.list_debts(&DebtFilter::default())
                .await
                .unwrap()
                .items
                .is_empty()
        );
        assert!(
            matches!(run(&ts, Format::Csv, "").await, Err(ImportError::Empty)),
            "{db}"
        );
    }
}

#[tokio::test]
async fn jsonl_carries_the_same_fields() {
    for (db, store) in stores().await {
        let ts = tenant(&store).await;
        let jsonl = r#"{"debtor_external_id":"MX-1","debtor_name":"Luis Pérez","country":"MX","phone":"55 1234 5678","tags":["vip","new"],"attributes":{"plan":"gold"},"debt_external_id":"F-1","currency":"MXN","amount":1800.5,"due_date":"2026-11-10"}

{"debtor_external_id":"MX-2","debtor_name":"Sin Deuda","debt_external_id":"F-2","currency":"MXN","amount":"10","due_date":"2026-11-10","favourite_colour":"red"}
not json
[1,2]
{"debtor_external_id":"MX-3","debtor_name":"X","debt_external_id":"F-3","currency":"MXN","amount":"10"}
"#;
        let report = run(&ts, Format::Jsonl, jsonl).await.unwrap();
        assert_eq!(
            (report.rows, report.imported, report.errors),
            (5, 1, 4),
            "{db}: {report:?}"
        );
        let cols: Vec<(u64, &str)> = report
            .problems
            .iter()
            .map(|p| (p.line, p.column.as_str()))
            .collect();
        assert!(cols.contains(&(3, "favourite_colour")), "{cols:?}");
        assert!(
            cols.contains(&(4, "")) && cols.contains(&(5, "")),
            "{cols:?}"
        );
        assert!(cols.contains(&(6, "due_date")), "{cols:?}");
        let d = ts.get_debtor_by_external_id("MX-1").await.unwrap();
        assert_eq!(d.tags, vec!["vip", "new"]);
        assert_eq!(d.attributes["plan"], "gold");
        assert_eq!(d.timezone, "America/Mexico_City", "{db}");
        let cps = ts.list_contact_points(d.id).await.unwrap();
        assert!(cps.iter().any(|c| c.address == "+525512345678"), "{db}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_runs_while_the_api_writes_to_the_same_tenant() {
    for (db, store) in stores().await {
        let ts = tenant(&store).await;
        let mut csv = Vec::new();
        recaudo_import::synth::write_csv(
            &recaudo_import::synth::GenOptions {
                debtors: 1500,
                seed: 3,
                countries: vec![Country::Br],
                today: t0().date_naive(),
                sector: Default::default(),
            },
            &mut csv,
        )
        .unwrap();
        let writer = {
            let ts = ts.clone();
            tokio::spawn(async move {
                for i in 0..150 {
                    ts.create_debtor(
                        recaudo_store::NewDebtor {
                            external_id: format!("API-{i}"),
                            name: format!("Api {i}"),
                            ..Default::default()
                        },
                        t0(),
                    )
                    .await
                    .unwrap();
                }
            })
        };
        let opts = ImportOptions {
            batch_size: 50,
            ..Default::default()
        };
        let report = import_reader(&ts, Format::Csv, std::io::Cursor::new(csv), &opts, t0())
            .await
            .unwrap_or_else(|e| panic!("{db}: the import failed beside API writes: {e}"));
        writer.await.unwrap();
        assert_eq!(report.errors, 0, "{db}");
        assert_eq!(report.imported, report.rows, "{db}");
    }
}

#[tokio::test]
async fn an_import_records_its_events_with_their_data() {
    for (db, store) in stores().await {
        let ts = tenant(&store).await;
        let csv = format!(
            "{HEADER}\n\
             BR-1,Ana Souza,BR,ana@example.com,,,,granted,,,INV-1,BRL,100.50,80.25,2026-11-01,\n"
        );
        run(&ts, Format::Csv, &csv).await.unwrap();
        let d = ts.get_debtor_by_external_id("BR-1").await.unwrap();
        let debt = &ts.list_debts(&DebtFilter::default()).await.unwrap().items[0];
        let events = |ts: &TenantStore| {
            let ts = ts.clone();
            async move {
                ts.debtor_timeline(d.id, &Default::default())
                    .await
                    .unwrap()
                    .items
                    .into_iter()
                    .map(|e| (e.kind.as_str().to_string(), e.debt_id, e.data, e.at))
                    .collect::<Vec<_>>()
            }
        };
        let first = events(&ts).await;
        assert_eq!(first.len(), 2, "{db}: {first:?}");
        let import_id = first[0].2["import_id"].clone();
        assert!(
            import_id.as_str().is_some_and(|s| s.starts_with("imp_")),
            "{db}"
        );
        assert_eq!(
            (first[0].0.as_str(), first[0].1, &first[0].2),
            (
                "debtor_created",
                None,
                &serde_json::json!({"external_id": "BR-1", "import_id": import_id})
            ),
            "{db}"
        );
        assert_eq!(
            (first[1].0.as_str(), first[1].1, &first[1].2),
            (
                "invoice_issued",
                Some(debt.id),
                &serde_json::json!({
                    "external_id": "INV-1",
                    "amount": {"amount": "100.50", "currency": "BRL"},
                    "balance": {"amount": "80.25", "currency": "BRL"},
                    "due_on": "2026-11-01", "import_id": import_id,
                })
            ),
            "{db}"
        );
        assert!(
            first.iter().all(|e| e.3 == t0()),
            "{db}: events at the import's time"
        );

        // A later file lowers the balance: one debt_updated event, nothing else.
        let csv = csv.replace("80.25", "30");
        run(&ts, Format::Csv, &csv).await.unwrap();
        let second = events(&ts).await;
        assert_eq!(second.len(), 3, "{db}: {second:?}");
        let import_id = second[2].2["import_id"].clone();
        assert_eq!(
            (second[2].0.as_str(), second[2].1, &second[2].2),
            (
                "debt_updated",
                Some(debt.id),
                &serde_json::json!({
                    "balance_before": {"amount": "80.25", "currency": "BRL"},
                    "balance_after": {"amount": "30.00", "currency": "BRL"},
                    "import_id": import_id,
                })
            ),
            "{db}"
        );
        assert_ne!(import_id, first[0].2["import_id"], "{db}: a new run");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_imports_of_the_same_file_at_once_both_succeed() {
    for (db, store) in stores().await {
        let ts = tenant(&store).await;
        let mut csv = Vec::new();
        recaudo_import::synth::write_csv(
            &recaudo_import::synth::GenOptions {
                debtors: 600,
                seed: 5,
                countries: vec![Country::Br],
                today: t0().date_naive(),
                sector: Default::default(),
            },
            &mut csv,
        )
        .unwrap();
        let opts = ImportOptions {
            batch_size: 20,
            ..Default::default()
        };
        let run = |csv: Vec<u8>| {
            let (ts, opts) = (ts.clone(), opts.clone());
            tokio::spawn(async move {
                import_reader(&ts, Format::Csv, std::io::Cursor::new(csv), &opts, t0()).await
            })
        };
        let (a, b) = (run(csv.clone()), run(csv));
        let (a, b) = (a.await.unwrap(), b.await.unwrap());
        let a = a.unwrap_or_else(|e| panic!("{db}: the first import failed: {e}"));
        let b = b.unwrap_or_else(|e| panic!("{db}: the second import failed: {e}"));
        assert_eq!((a.errors, b.errors), (0, 0), "{db}");
        // Each debt is new to exactly one of the two runs.
        assert_eq!(a.imported + b.imported, a.rows, "{db}: {a:?} {b:?}");
        let (mut count, mut cursor) = (0u64, None);
        loop {
            let page = ts
                .list_debts(&DebtFilter {
                    cursor,
                    limit: Some(500),
                    ..Default::default()
                })
                .await
                .unwrap();
            count += page.items.len() as u64;
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(count, a.rows, "{db}: nothing duplicated");
    }
}
