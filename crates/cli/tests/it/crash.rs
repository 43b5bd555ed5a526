//! Crash safety (GUIDE §10): `recaudo serve` is killed with SIGKILL again and again while it
//! sends 10,000 SMS to a local gateway that records every request's `Idempotency-Key`, and is
//! restarted each time. After the last restart every contact ends sent (none lost, none left
//! planned or sending), and a key reaches the gateway twice only when its contact was in flight
//! at a kill: claimed again after its lease ran out and re-sent under the same key.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::HeaderMap;
use chrono::{DateTime, Timelike, Utc};
use rand::Rng;
use recaudo_domain::outbox::NewContact;
use recaudo_domain::portfolio::{
    Channel, Consent, ConsentStatus, DebtorKind, Language, Preferences,
};
use recaudo_domain::{ContactId, Country, Currency};
use recaudo_store::{
    DebtorFilter, ImportBatch, ImportContact, ImportDebt, ImportDebtor, ImportRow, NewTenant,
    Store, TenantStore,
};

use crate::fixtures::*;

/// Contacts sent on SQLite, the figure. PostgreSQL runs the same with fewer: its setup
/// (one contact at a time through `plan_contacts`) would take most of a minute for 10,000.
const CONTACTS: usize = 10_000;
const CONTACTS_POSTGRES: usize = 2_000;
const KILLS: usize = 5;
/// The dispatcher's batch: at most this many contacts are in flight when it dies.
const BATCH: usize = 100;
/// Batches a node works on at once.
const WORKERS: usize = 2;
const TENANT: &str = "Crash Test Lending";

/// The local SMS gateway: what `http_sms` posts to. It records each request's key as it
/// arrives (a request in flight at a kill has reached it) and answers after a short random
/// latency, so that sends are in flight when the server dies.
#[derive(Default)]
struct Gateway {
    keys: Mutex<Vec<String>>,
}

impl Gateway {
    fn seen(&self) -> usize {
        self.keys.lock().expect("gateway keys").len()
    }
}

async fn gateway_send(
    State(gateway): State<Arc<Gateway>>,
    headers: HeaderMap,
) -> axum::Json<serde_json::Value> {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let n = {
        let mut keys = gateway.keys.lock().expect("gateway keys");
        keys.push(key);
        keys.len()
    };
    let latency = rand::rng().random_range(1..=20);
    tokio::time::sleep(Duration::from_millis(latency)).await;
    axum::Json(serde_json::json!({ "status": "accepted", "id": format!("gw-{n}") }))
}

async fn start_gateway() -> (SocketAddr, Arc<Gateway>) {
    let gateway = Arc::new(Gateway::default());
    let app = axum::Router::new()
        .route("/sms", axum::routing::post(gateway_send))
        .with_state(gateway.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, gateway)
}

/// A fixed-offset zone where it is early afternoon now, so that the US preset's window
/// (08:00–21:00 local, every day) is open for the whole test whenever it runs.
fn afternoon_zone(now: DateTime<Utc>) -> String {
    let offset = 14 - i64::from(now.hour());
    match offset {
        0 => "Etc/GMT".into(),
        // The Etc zones' signs are POSIX's: Etc/GMT-5 is UTC+5.
        o if o > 0 => format!("Etc/GMT-{o}"),
        o => format!("Etc/GMT+{}", -o),
    }
}

/// A tenant with `n` debtors, each with a mobile number and a debt due today, and one SMS
/// contact due now for each. Returns each contact's idempotency key and id.
async fn prepare(url: &str, n: usize, now: DateTime<Utc>) -> BTreeMap<String, ContactId> {
    let store = Store::open(url).await.unwrap();
    let tk = store
        .create_tenant(NewTenant::in_country(TENANT, Country::Us), now)
        .await
        .unwrap();
    let ts = store.tenant(&tk.tenant);
    let zone = afternoon_zone(now);
    let today = now
        .with_timezone(&zone.parse::<chrono_tz::Tz>().unwrap())
        .date_naive();
    let import = ts.start_import("crash.csv", now).await.unwrap();
    let rows: Vec<ImportRow> = (0..n)
        .map(|i| ImportRow {
            line: i as u64 + 2,
            debtor: ImportDebtor {
                external_id: format!("CR-{i}"),
                kind: DebtorKind::Person,
                name: format!("Debtor {i}"),
                document_type: None,
                document_number: None,
                birth_date: None,
                language: Language::En,
                timezone: zone.clone(),
                country: Country::Us,
                segment: None,
                tags: Vec::new(),
                attributes: serde_json::json!({}),
                preferences: Preferences::default(),
            },
            contacts: vec![ImportContact {
                channel: Channel::Sms,
                address: format!("+1212555{i:04}"),
                postal: None,
                consent: Consent {
                    status: ConsentStatus::Granted,
                    source: Some("contract".into()),
                    at: Some(now),
                },
            }],
            debt: ImportDebt {
                external_id: format!("CR-INV-{i}"),
                currency: Currency::Usd,
                original_minor: 12_345,
                balance_minor: 12_345,
                issued_on: today - chrono::Duration::days(30),
                due_on: today,
                product: None,
            },
        })
        .collect();
    for chunk in rows.chunks(1000) {
        ts.import_batch(
            &ImportBatch {
                import_id: import,
                rows: chunk.to_vec(),
            },
            now,
        )
        .await
        .unwrap();
    }
    let mut planned = BTreeMap::new();
    let mut cursor = None;
    loop {
        let page = ts
            .list_debtors(&DebtorFilter {
                limit: Some(500),
                cursor: cursor.clone(),
                ..Default::default()
            })
            .await
            .unwrap();
        let ids: Vec<_> = page.items.iter().map(|d| d.id).collect();
        planned.extend(plan_due_now(&ts, &ids, now, today).await);
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(planned.len(), n);
    store.close().await;
    planned
}

/// One SMS contact due at `now` for each of `debtors`.
async fn plan_due_now(
    ts: &TenantStore,
    debtors: &[recaudo_domain::DebtorId],
    now: DateTime<Utc>,
    today: chrono::NaiveDate,
) -> Vec<(String, ContactId)> {
    let files = ts.dispatch_inputs(debtors, now).await.unwrap();
    let contacts: Vec<NewContact> = files
        .iter()
        .map(|file| NewContact {
            debtor_id: file.debtor.id,
            debt_id: file.debts[0].debt.id,
            covers: vec![],
            contact_point_id: Some(file.contact_points[0].id),
            strategy: None,
            strategy_version: None,
            step: "reminder".into(),
            arm: None,
            channel: Channel::Sms,
            template: Some("reminder_soft".into()),
            queue: None,
            scheduled_for: now,
            local_date: today,
            reason: "crash test".into(),
        })
        .collect();
    let ids = ts.plan_contacts(&contacts, now).await.unwrap();
    assert_eq!(ids.len(), contacts.len());
    contacts.iter().map(NewContact::key).zip(ids).collect()
}

/// `recaudo serve` in `dir` (its `recaudo.toml`), logging to `serve-N.log` there.
fn start_serve(url: &str, dir: &Path, n: usize) -> Child {
    let log = std::fs::File::create(dir.join(format!("serve-{n}.log"))).unwrap();
    Command::new(env!("CARGO_BIN_EXE_recaudo"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env("RECAUDO_DATABASE_URL", url)
        .env_remove("RECAUDO_SERVER__ADDR")
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start recaudo serve")
}

/// Panics with the server's log when it stopped on its own.
fn assert_running(child: &mut Child, dir: &Path, n: usize) {
    if let Some(status) = child.try_wait().unwrap() {
        let log = std::fs::read_to_string(dir.join(format!("serve-{n}.log"))).unwrap_or_default();
        panic!("recaudo serve exited ({status}): {log}");
    }
}

#[derive(Debug, Default)]
struct States {
    sent: i64,
    failed: i64,
    pending: i64,
}

async fn states(store: &Store) -> States {
    let tenant = store.list_tenants().await.unwrap().remove(0);
    let counts = store.tenant(&tenant).outbox_counts().await.unwrap();
    let n = |s: &str| counts.by_state.get(s).copied().unwrap_or(0);
    States {
        sent: n("sent") + n("delivered"),
        failed: n("failed"),
        pending: n("planned") + n("sending"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_killed_five_times_while_sending_loses_nothing_and_resends_only_in_flight() {
    for url in database_urls().await {
        killed_and_restarted(&url).await;
    }
}

/// The run on one database.
async fn killed_and_restarted(url: &str) {
    let (db, contacts) = if url.starts_with("sqlite") {
        ("sqlite", CONTACTS)
    } else {
        ("postgres", CONTACTS_POSTGRES)
    };
    let url = url.to_string();
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let (gateway_addr, gateway) = start_gateway().await;
    let planned = prepare(&url, contacts, Utc::now()).await;

    let o = recaudo(&url, &["secrets", "new-key"], cwd);
    assert!(o.status.success(), "{}", stderr(&o));
    let key = stdout(&o).trim().to_string();
    std::fs::write(
        cwd.join("recaudo.toml"),
        format!(
            "[secrets]\nkey = \"{key}\"\n\n[planner]\nenabled = false\n\n[log]\nlevel = \"warn\"\n\n\
             [dispatch]\nenabled = true\nsandbox = false\nbatch = {BATCH}\nworkers = {WORKERS}\nconcurrency = 16\n\
             lease_seconds = 2\nidle_millis = 50\n"
        ),
    )
    .unwrap();
    let account = serde_json::json!({
        "name": "gateway",
        "channels": ["sms"],
        "config": {
            "kind": "http_sms",
            "url": format!("http://{gateway_addr}/sms"),
            "response_id_pointer": "/id"
        }
    });
    std::fs::write(cwd.join("gateway.json"), account.to_string()).unwrap();
    let o = recaudo(
        &url,
        &[
            "provider",
            "add",
            "--tenant",
            TENANT,
            "--file",
            "gateway.json",
        ],
        cwd,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let prepared = started.elapsed();

    // Kill at random moments: each time after a random number of new requests reached the
    // gateway, so that the server dies in the middle of a batch.
    let mut rng = rand::rng();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut runs = 0;
    for _ in 0..KILLS {
        let mut child = start_serve(&url, cwd, runs);
        // Between 2 % and 12.5 % of the contacts: five kills happen before the outbox drains.
        let target = gateway.seen() + rng.random_range(contacts / 50..=contacts / 8);
        while gateway.seen() < target {
            assert_running(&mut child, cwd, runs);
            assert!(
                Instant::now() < deadline,
                "{db}: the gateway saw {} requests, waited for {target}",
                gateway.seen()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // Child::kill is SIGKILL on Unix: no shutdown code runs.
        child.kill().unwrap();
        child.wait().unwrap();
        runs += 1;
    }

    // The last run finishes the outbox, including what the dead ones held.
    let mut child = start_serve(&url, cwd, runs);
    let store = Store::open(&url).await.unwrap();
    let last = loop {
        assert_running(&mut child, cwd, runs);
        let now = states(&store).await;
        if now.pending == 0 {
            break now;
        }
        assert!(Instant::now() < deadline, "{db}: not done in time: {now:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    child.kill().unwrap();
    child.wait().unwrap();

    // Every contact went (the gateway accepts everything): none lost, none failed.
    assert_eq!(
        (last.sent, last.failed, last.pending),
        (contacts as i64, 0, 0),
        "{db}: {last:?}"
    );
    let requests: Vec<String> = gateway.keys.lock().unwrap().clone();
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for key in &requests {
        *seen.entry(key.as_str()).or_default() += 1;
    }
    let unknown: Vec<_> = seen.keys().filter(|k| !planned.contains_key(**k)).collect();
    assert!(unknown.is_empty(), "{db}: keys of no contact: {unknown:?}");
    assert_eq!(
        seen.len(),
        contacts,
        "{db}: every contact reached the gateway"
    );

    // A key seen twice is a contact that was in flight at a kill: it was claimed again after
    // its lease ran out, under the same key. Each send takes a claim, so a contact the gateway
    // saw n times was claimed at least n times.
    let resent: BTreeSet<&str> = seen
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(k, _)| *k)
        .collect();
    let tenant = store.list_tenants().await.unwrap().remove(0);
    let ts = store.tenant(&tenant);
    for key in &resent {
        let contact = ts.get_contact(planned[*key]).await.unwrap();
        assert!(
            contact.attempts as usize >= seen[key],
            "{db}: {key} reached the gateway {} times but was claimed {} times",
            seen[key],
            contact.attempts
        );
    }
    let resends = requests.len() - seen.len();
    assert!(
        resends <= KILLS * BATCH * WORKERS,
        "{db}: {resends} re-sends after {KILLS} kills of {WORKERS} batches of {BATCH}"
    );
    store.close().await;
    eprintln!(
        "{}",
        serde_json::json!({
            "test": "crash",
            "db": db,
            "contacts": contacts,
            "kills": KILLS,
            "mock_requests": requests.len(),
            "distinct_keys": seen.len(),
            "resends": resends,
            "resent_contacts": resent.len(),
            "prepare_seconds": prepared.as_secs_f64(),
            "seconds": started.elapsed().as_secs_f64(),
        })
    );
}
