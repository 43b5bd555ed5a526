//! The dispatcher against a gateway that fails 30 % of the time (GUIDE §10): a 503, a 429 with
//! `Retry-After: 1`, or an answer slower than the client waits. Every contact still ends sent,
//! or failed after its last attempt and planned again on its step's fallback channel; each
//! reaches the gateway successfully at most once, under one key however often it is tried; and
//! a retry after a 429 waits at least what the gateway asked. SQLite and PostgreSQL.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use recaudo_channels::links::LinkSigner;
use recaudo_channels::providers::sandbox;
use recaudo_channels::seal::SealingKey;
use recaudo_channels::{ProviderEnv, http_client};
use recaudo_domain::outbox::ContactState;
use recaudo_domain::portfolio::Channel;
use recaudo_domain::retry::{Jitter, RetryPolicy};
use recaudo_domain::{Clock, Country, FixedClock};
use recaudo_engine::dispatch::{DispatchOptions, Dispatcher};
use recaudo_engine::plan_all;
use recaudo_store::testing::stores;
use recaudo_store::*;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::plan::{at, contacts, tenant};

const DEBTORS: usize = 120;
/// How long the dispatcher's HTTP client waits for an answer; the slow answers take longer.
/// Long enough that a prompt answer is never late on a loaded machine (that answer would count
/// as accepted while the dispatcher retries it).
const CLIENT_TIMEOUT: Duration = Duration::from_secs(1);
const SLOW: Duration = Duration::from_millis(2500);
const SEED: u64 = 0x5eed_2024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    Ok,
    Unavailable,
    TooMany,
    Slow,
}

/// One request as the gateway saw it.
#[derive(Debug, Clone)]
struct Seen {
    to: String,
    key: String,
    answer: Answer,
    id: String,
}

/// The gateway: each request's answer is a seeded draw over the number it goes to and how
/// many requests for that number came before, so both databases see the same failures.
#[derive(Clone, Default)]
struct FlakyGateway {
    seen: Arc<Mutex<Vec<Seen>>>,
}

/// SplitMix64: a well-spread hash of the draw's inputs.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn draw(to: &str, nth: usize) -> Answer {
    let mut x = SEED;
    for b in to.bytes().chain((nth as u64).to_le_bytes()) {
        x = mix(x ^ u64::from(b));
    }
    match x % 100 {
        0..10 => Answer::Unavailable,
        10..20 => Answer::TooMany,
        20..30 => Answer::Slow,
        _ => Answer::Ok,
    }
}

impl Respond for FlakyGateway {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap_or_default();
        let to = body["to"].as_str().unwrap_or_default().to_string();
        let key = request
            .headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let mut seen = self.seen.lock().expect("gateway log");
        let nth = seen.iter().filter(|s| s.to == to).count();
        let answer = draw(&to, nth);
        let id = format!("gw-{to}-{nth}");
        seen.push(Seen {
            to,
            key,
            answer,
            id: id.clone(),
        });
        match answer {
            Answer::Ok => ResponseTemplate::new(200).set_body_json(serde_json::json!({ "id": id })),
            Answer::Unavailable => ResponseTemplate::new(503).set_body_string("overloaded"),
            Answer::TooMany => ResponseTemplate::new(429)
                .insert_header("Retry-After", "1")
                .set_body_string("slow down"),
            // Accepted, but after the client stopped waiting: the dispatcher never learns it.
            Answer::Slow => ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({ "id": id }))
                .set_delay(SLOW),
        }
    }
}

/// Saves an `http_sms` account for the tenant's SMS, sealed with `key`.
async fn save_gateway(ts: &TenantStore, key: &SealingKey, url: &str, now: DateTime<Utc>) {
    let config = serde_json::json!({
        "kind": "http_sms",
        "url": url,
        "response_id_pointer": "/id",
    });
    let settings = serde_json::json!({ "channels": ["sms"], "priority": 0, "enabled": true });
    ts.put_provider_account(
        "gateway",
        "http_sms",
        settings,
        key.seal(config.to_string().as_bytes()),
        now,
    )
    .await
    .unwrap();
}

fn dispatcher(store: &Store, clock: Arc<FixedClock>, key: SealingKey) -> Dispatcher {
    // Email (the step's fallback) goes to the sandbox, which accepts and delivers everything.
    let sure = sandbox::Rates {
        delivered: 1.0,
        hard_bounce: 0.0,
        opened: 0.0,
        clicked: 0.0,
        replied: 0.0,
        paid: 0.0,
    };
    let mut env = ProviderEnv::new(std::env::temp_dir(), None);
    env.http = reqwest::Client::builder()
        .timeout(CLIENT_TIMEOUT)
        .build()
        .unwrap_or_else(|_| http_client());
    Dispatcher::new(
        store.clone(),
        clock,
        DispatchOptions {
            worker: "flaky".into(),
            // Every due contact in each pass, so a pass's retries are told apart by attempts.
            batch: 1000,
            lease: Duration::from_secs(60),
            concurrency: 32,
            // Short waits (at most 400 ms before the third and last attempt), so that the
            // gateway's `Retry-After: 1` is what makes a wait reach a second.
            retry: RetryPolicy {
                max_attempts: 3,
                base: Duration::from_millis(200),
                cap: Duration::from_secs(1),
                jitter: Jitter::Equal,
            },
            sandbox: Some(sandbox::Config {
                rates: [(Channel::Email, sure)].into(),
                ..sandbox::Config::default()
            }),
            ..DispatchOptions::default()
        },
        env,
        Some(Arc::new(key)),
        LinkSigner::new(b"test links", "http://127.0.0.1:8080"),
    )
}

#[tokio::test]
async fn a_gateway_failing_30_percent_gets_each_contact_once_under_one_key() {
    let due = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
    for (db, store) in stores().await {
        let server = MockServer::start().await;
        let gateway = FlakyGateway::default();
        Mock::given(method("POST"))
            .and(path("/sms"))
            .respond_with(gateway.clone())
            .mount(&server)
            .await;
        let ts = tenant(&store, "co", Country::Co, DEBTORS, due).await;
        let now = at("2026-12-02T15:00:00Z");
        let key = SealingKey::parse(&SealingKey::generate_hex()).unwrap();
        save_gateway(&ts, &key, &format!("{}/sms", server.uri()), now).await;
        plan_all(&store, now).await.unwrap();
        let planned = contacts(&ts).await;
        assert_eq!(planned.len(), DEBTORS, "{db}");
        assert!(planned.iter().all(|c| c.channel == Channel::Sms), "{db}");

        let clock = Arc::new(FixedClock::new(now));
        let d = dispatcher(&store, clock.clone(), key);
        let mut attempts: BTreeMap<_, u32> = BTreeMap::new();
        let (mut waits_429, mut waits_other) = (0, 0);
        let mut passes = 0;
        loop {
            passes += 1;
            // Each retry is at most one pass of its own, and there are at most two a contact.
            assert!(passes <= 3 * DEBTORS, "{db}: the outbox does not drain");
            let pass_at = clock.now();
            let report = d.run_once().await.unwrap();
            let waiting = ts
                .list_outbox(&OutboxFilter {
                    state: Some("planned".into()),
                    limit: 1000,
                    ..Default::default()
                })
                .await
                .unwrap();
            for entry in &waiting {
                let tried = entry.contact.attempts;
                if attempts.insert(entry.contact.id, tried) == Some(tried) || tried == 0 {
                    continue;
                }
                // Claimed in this pass and put back to wait.
                let next = entry.next_attempt_at.expect("a retry has a time");
                let error = entry.last_error.as_deref().unwrap_or_default();
                if error.contains("answered 429") {
                    waits_429 += 1;
                    assert!(
                        next >= pass_at + chrono::Duration::seconds(1),
                        "{db}: a 429 asked for 1 s, the retry is at {next} after {pass_at}"
                    );
                } else {
                    waits_other += 1;
                    assert!(
                        next < pass_at + chrono::Duration::seconds(1),
                        "{db}: without Retry-After the wait is the policy's: {next}, {error}"
                    );
                }
            }
            let Some(next) = waiting.iter().filter_map(|e| e.next_attempt_at).min() else {
                if waiting.is_empty() && report.claimed == 0 {
                    break;
                }
                // Fallback contacts are due at once.
                continue;
            };
            // A second past the first retry due, so a pass takes several (fewer passes, each
            // waiting at most once for the slow answers).
            clock.set(next.max(pass_at) + chrono::Duration::seconds(1));
        }
        assert!(waits_429 > 0 && waits_other > 0, "{db}: both kinds waited");

        let all = contacts(&ts).await;
        let seen = gateway.seen.lock().unwrap().clone();
        let mut failed_sms = 0;
        for contact in all.iter().filter(|c| c.channel == Channel::Sms) {
            let to = ts
                .list_contact_points(contact.debtor_id)
                .await
                .unwrap()
                .into_iter()
                .find(|p| Some(p.id) == contact.contact_point_id)
                .map(|p| p.address)
                .expect("the SMS point");
            let requests: Vec<&Seen> = seen.iter().filter(|s| s.to == to).collect();
            assert!(!requests.is_empty(), "{db}: {to} never reached the gateway");
            assert!(
                requests.iter().all(|s| s.key == contact.idempotency_key),
                "{db}: one key on every try of {to}: {requests:?}"
            );
            let answered: Vec<&&Seen> =
                requests.iter().filter(|s| s.answer == Answer::Ok).collect();
            assert!(answered.len() <= 1, "{db}: {to} accepted twice");
            let entry = ts.outbox_entry(contact.id).await.unwrap();
            match contact.state {
                ContactState::Sent | ContactState::Delivered => {
                    assert_eq!(answered.len(), 1, "{db}: {to}");
                    assert_eq!(
                        entry.provider_message_id.as_deref(),
                        Some(answered[0].id.as_str()),
                        "{db}: the id of the answer the dispatcher got"
                    );
                    assert_eq!(entry.provider.as_deref(), Some("gateway"), "{db}");
                }
                ContactState::Failed => {
                    failed_sms += 1;
                    assert!(answered.is_empty(), "{db}: {to} failed after a success");
                    assert_eq!(requests.len(), 3, "{db}: {to} failed before its last try");
                    assert_eq!(entry.outcome.as_deref(), Some("retries_exhausted"), "{db}");
                    let email = all
                        .iter()
                        .find(|c| c.debt_id == contact.debt_id && c.channel == Channel::Email)
                        .expect("the fallback contact");
                    assert!(
                        matches!(email.state, ContactState::Sent | ContactState::Delivered),
                        "{db}: the fallback went: {email:?}"
                    );
                }
                other => panic!("{db}: {to} ended {other:?}"),
            }
        }
        let emails = all.iter().filter(|c| c.channel == Channel::Email).count();
        assert_eq!(emails, failed_sms, "{db}: one fallback per failed SMS");
        assert!(failed_sms > 0, "{db}: the seed makes some fail over");
        let failures = seen.iter().filter(|s| s.answer != Answer::Ok).count();
        eprintln!(
            "{}",
            serde_json::json!({
                "test": "dispatch_failures", "db": db, "contacts": DEBTORS,
                "requests": seen.len(), "failed_requests": failures,
                "failed_over": failed_sms, "passes": passes,
                "waits_429": waits_429, "waits_other": waits_other,
            })
        );
    }
}
