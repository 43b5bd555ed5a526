//! `recaudo bench dispatch`: the whole sending path (claim, re-check, render, send, record) of
//! N planned contacts on one channel, to a local counterpart the bench starts (Postfix's
//! `smtp-sink` for email, an in-process HTTP server for SMS and WhatsApp), against the same
//! provider's client sending the same messages with no database: how much the durable path costs.

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, Utc};
use futures::StreamExt;

use recaudo_channels::links::LinkSigner;
use recaudo_channels::seal::SealingKey;
use recaudo_channels::{ChannelProvider, OutboundMessage, ProviderConfig, ProviderEnv};
use recaudo_domain::portfolio::Channel;
use recaudo_domain::{Country, FixedClock};
use recaudo_engine::dispatch::{DispatchOptions, Dispatcher};
use recaudo_store::{NewTenant, Store, TenantStore};

use recaudo_import::Format;

use crate::import::{ImportArgs, import_file};

/// The channels the bench drives.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum BenchChannel {
    Email,
    Sms,
    Whatsapp,
}

impl BenchChannel {
    fn channel(self) -> Channel {
        match self {
            BenchChannel::Email => Channel::Email,
            BenchChannel::Sms => Channel::Sms,
            BenchChannel::Whatsapp => Channel::Whatsapp,
        }
    }
}

pub struct DispatchBench {
    pub channel: BenchChannel,
    pub n: usize,
    /// An outside SMTP sink (`HOST:PORT`) instead of the `smtp-sink` the bench starts.
    pub smtp: Option<String>,
    pub batch: usize,
    pub concurrency: usize,
}

/// The instant the contacts are due and sent: Wednesday 2 December 2026, 10:00 in Bogotá, inside
/// Colombia's contact hours whatever day the bench runs on.
fn bench_instant() -> DateTime<Utc> {
    "2026-12-02T15:00:00Z"
        .parse()
        .unwrap_or_else(|_| Utc::now())
}

struct TempDir(PathBuf);
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A child process killed when dropped (the sink).
struct Child(std::process::Child);
impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub async fn run(bench: DispatchBench) -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = TempDir(std::env::temp_dir().join(format!(
        "recaudo-bench-dispatch-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    )));
    std::fs::create_dir_all(&dir.0)?;
    let at = bench_instant();

    // The counterpart.
    let (_sink, target, mock) = match bench.channel {
        BenchChannel::Email => match &bench.smtp {
            Some(outside) => (None, outside.clone(), None),
            None => {
                let (child, addr) = start_smtp_sink()?;
                (Some(child), addr.to_string(), None)
            }
        },
        BenchChannel::Sms | BenchChannel::Whatsapp => {
            let mock = HttpMock::start().await?;
            (None, format!("http://{}", mock.addr), Some(mock))
        }
    };
    let config = provider_config(bench.channel, &target, bench.concurrency)?;

    // The portfolio: one debtor, one contact point, one debt due today each; one strategy step.
    eprintln!("bench dispatch: preparing {} planned contacts…", bench.n);
    let db = dir.0.join("bench.db");
    let store = Store::open(&format!("sqlite://{}", db.display())).await?;
    let tk = store
        .create_tenant(NewTenant::in_country("Bench", Country::Co), at)
        .await?;
    let ts = store.tenant(&tk.tenant);
    let csv = dir.0.join("portfolio.csv");
    write_portfolio(&csv, bench.n, at)?;
    import_file(
        &ts,
        &ImportArgs {
            file: csv,
            tenant: tk.tenant.id.to_string(),
            format: Some(Format::Csv),
            errors: None,
            batch_size: 5000,
            show: 0,
        },
        false,
        at,
    )
    .await?;
    let strategy = format!(
        "id: bench\nversion: 1\npriority: 1\nsteps:\n  - {{ id: due, at: due, send: {{ channel: {}, template: due_today }} }}\n",
        bench.channel.channel()
    );
    ts.put_strategy(&strategy, at).await?;
    let setup = Arc::new(recaudo_engine::PlanSetup::load(&ts).await?);
    let plan = recaudo_engine::plan_tenant(
        &ts,
        setup,
        at,
        recaudo_engine::PlanRunOptions::default(),
        |_| {},
    )
    .await?;
    anyhow::ensure!(
        plan.contacts_written as usize == bench.n,
        "planned {} contacts of {}",
        plan.contacts_written,
        bench.n
    );
    let key = SealingKey::parse(&SealingKey::generate_hex())?;
    let sealed = key.seal(serde_json::to_vec(&config.1)?.as_slice());
    ts.put_provider_account(
        "bench",
        config.0.kind().as_str(),
        serde_json::json!({
            "channels": [bench.channel.channel()],
            "priority": 0,
        }),
        sealed,
        at,
    )
    .await?;

    // The whole path.
    let clock = Arc::new(FixedClock::new(at));
    let env = ProviderEnv::new(dir.0.join("letters"), None);
    let dispatcher = Dispatcher::new(
        store.clone(),
        clock,
        DispatchOptions {
            batch: bench.batch,
            concurrency: bench.concurrency,
            ..DispatchOptions::default()
        },
        env.clone(),
        Some(Arc::new(key)),
        LinkSigner::new(b"bench links", "http://127.0.0.1:8080"),
    );
    let started = Instant::now();
    let mut sent = 0u64;
    let mut failed = 0u64;
    loop {
        let (claimed, stats) = dispatcher.dispatch_batches(&ts).await?;
        sent += stats.sent;
        failed += stats.failed;
        if claimed == 0 {
            break;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let (states, resent) = outbox_states(&ts).await?;
    let lost = bench.n as u64
        - states.get("sent").copied().unwrap_or(0)
        - states.get("failed").copied().unwrap_or(0);
    let duplicates = match &mock {
        Some(mock) => mock.duplicates(),
        None => resent,
    };
    if failed > 0 {
        eprintln!("bench dispatch: {failed} contacts failed: {states:?}");
    }

    // The provider's client alone: the same messages, no database.
    let messages = sample_messages(&ts, bench.n).await?;
    let provider = config.0.clone().build(&env)?;
    if let Some(mock) = &mock {
        mock.reset();
    }
    let started = Instant::now();
    let baseline_sent: usize = futures::stream::iter(messages)
        .map(|message| {
            let provider = &provider;
            async move { provider.send(&message).await.is_ok() }
        })
        // As many in flight as the dispatcher's workers have together.
        .buffer_unordered(bench.concurrency.max(1) * DispatchOptions::default().workers.max(1))
        .filter(|ok| std::future::ready(*ok))
        .count()
        .await;
    let baseline_seconds = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        baseline_sent == bench.n,
        "the bare client sent {baseline_sent} of {}",
        bench.n
    );
    let per_s = sent as f64 / seconds;
    let baseline_per_s = baseline_sent as f64 / baseline_seconds;
    println!(
        "{}",
        serde_json::json!({
            "bench": "dispatch",
            "channel": format!("{:?}", bench.channel).to_lowercase(),
            "sent": sent,
            "seconds": round3(seconds),
            "per_s": round3(per_s),
            "baseline_per_s": round3(baseline_per_s),
            "ratio": round3(per_s / baseline_per_s),
            "duplicates": duplicates,
            "lost": lost,
        })
    );
    Ok(())
}

fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

/// The provider configuration for the channel, and the JSON a tenant would save.
fn provider_config(
    channel: BenchChannel,
    target: &str,
    connections: usize,
) -> anyhow::Result<(ProviderConfig, serde_json::Value)> {
    let json = match channel {
        BenchChannel::Email => {
            let (host, port) = target
                .rsplit_once(':')
                .context("--smtp must be HOST:PORT")?;
            serde_json::json!({
                "kind": "smtp",
                "host": host,
                "port": port.parse::<u16>().context("--smtp port")?,
                "security": "none",
                "from_email": "cobranza@bench.example",
                "from_name": "Bench",
                // A connection for each send a worker has in flight.
                "pool_size": connections.clamp(1, 256),
            })
        }
        BenchChannel::Sms => serde_json::json!({
            "kind": "twilio_sms",
            "account_sid": "AC0123456789abcdef0123456789abcdef",
            "auth_token": "bench-token",
            "from": "+15005550006",
            "base_url": target,
        }),
        BenchChannel::Whatsapp => serde_json::json!({
            "kind": "whatsapp_cloud",
            "phone_number_id": "100000000000001",
            "access_token": "bench-token",
            "app_secret": "bench-secret",
            "verify_token": "bench-verify",
            "base_url": target,
        }),
    };
    let config: ProviderConfig = serde_json::from_value(json.clone())?;
    config.validate().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((config, json))
}

/// A CSV of `n` Colombian debtors, each with an email, a mobile and WhatsApp (consent granted)
/// and one debt due on `at`'s date.
fn write_portfolio(path: &Path, n: usize, at: DateTime<Utc>) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(
        out,
        "debtor_external_id,debtor_name,country,email,phone,whatsapp,email_consent,sms_consent,whatsapp_consent,debt_external_id,currency,amount,due_date"
    )?;
    let due = at.date_naive();
    for i in 0..n {
        let phone = format!("+57300{:07}", i % 10_000_000);
        writeln!(
            out,
            "D{i},Deudor {i},CO,d{i}@bench.example,{phone},{phone},granted,granted,granted,F{i},COP,{}.00,{due}",
            150_000 + (i % 900) * 1_000
        )?;
    }
    out.flush()?;
    Ok(())
}

/// The outbox's contacts per state, and how many were claimed more than once.
async fn outbox_states(ts: &TenantStore) -> anyhow::Result<(HashMap<String, u64>, u64)> {
    let counts = ts.outbox_counts().await?;
    let states = counts
        .by_state
        .into_iter()
        .map(|(state, n)| (state, n.max(0) as u64))
        .collect();
    Ok((states, ts.contacts_claimed_more_than_once().await?))
}

/// `n` messages as the dispatcher sent them (their rendered content), for the bare client.
async fn sample_messages(ts: &TenantStore, n: usize) -> anyhow::Result<Vec<OutboundMessage>> {
    let entries = ts
        .list_outbox(&recaudo_store::OutboxFilter {
            sent_only: true,
            limit: 1,
            ..Default::default()
        })
        .await?;
    let entry = entries.first().context("nothing was sent")?;
    let content = ts
        .contact_message(entry.contact.id)
        .await?
        .context("the sent message is not kept")?;
    let content: recaudo_channels::Content = serde_json::from_value(content)?;
    let at = bench_instant();
    Ok((0..n)
        .map(|i| OutboundMessage {
            contact_id: recaudo_domain::ContactId::generate(),
            idempotency_key: format!("bare:{i}"),
            channel: content.channel(),
            to: match content.channel() {
                Channel::Email => format!("d{i}@bench.example"),
                _ => format!("+57300{:07}", i % 10_000_000),
            },
            postal: None,
            recipient_name: format!("Deudor {i}"),
            language: recaudo_domain::portfolio::Language::Es,
            locale: "es-CO".into(),
            sender_name: "Bench".into(),
            content: content.clone(),
            status_callback: None,
            gather_callback: None,
            reply_token: None,
            segment: None,
            now: at,
        })
        .collect())
}

/// Starts Postfix's `smtp-sink` on a free local port.
fn start_smtp_sink() -> anyhow::Result<(Child, SocketAddr)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse()?;
    let binary = ["/usr/sbin/smtp-sink", "smtp-sink"]
        .into_iter()
        .find(|b| !b.starts_with('/') || Path::new(b).exists())
        .unwrap_or("smtp-sink");
    let mut command = std::process::Command::new(binary);
    // -c: count, not print; -m: connections at once; running as root it must drop privileges.
    command.args(["-c", "-m", "256"]);
    if nix_is_root() {
        command.args(["-u", "nobody"]);
    }
    let child = command
        .arg(format!("127.0.0.1:{port}"))
        .arg("1024")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .context("cannot start smtp-sink (Debian package postfix); or pass --smtp HOST:PORT")?;
    let child = Child(child);
    let deadline = Instant::now() + std::time::Duration::from_secs(5);
    while std::net::TcpStream::connect(addr).is_err() {
        anyhow::ensure!(
            Instant::now() < deadline,
            "smtp-sink did not start on {addr}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    Ok((child, addr))
}

fn nix_is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// An HTTP server answering like Twilio's and Meta's send endpoints, counting idempotency keys.
struct HttpMock {
    addr: SocketAddr,
    keys: Arc<Mutex<HashMap<String, u32>>>,
    _task: tokio::task::JoinHandle<()>,
}

impl HttpMock {
    async fn start() -> anyhow::Result<HttpMock> {
        use axum::routing::post;
        let keys: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
        let seen = keys.clone();
        let handler = move |headers: axum::http::HeaderMap, uri: axum::http::Uri| {
            let seen = seen.clone();
            async move {
                if let Some(key) = headers.get("idempotency-key").and_then(|v| v.to_str().ok()) {
                    let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
                    *seen.entry(key.to_string()).or_default() += 1;
                }
                let id = rand::random::<u64>();
                if uri.path().ends_with("/messages") {
                    (
                        axum::http::StatusCode::OK,
                        axum::Json(serde_json::json!({
                            "messaging_product": "whatsapp",
                            "contacts": [{"input": "x", "wa_id": "x"}],
                            "messages": [{"id": format!("wamid.{id:x}")}],
                        })),
                    )
                } else {
                    (
                        axum::http::StatusCode::CREATED,
                        axum::Json(serde_json::json!({
                            "sid": format!("SM{id:032x}"),
                            "status": "queued",
                        })),
                    )
                }
            }
        };
        let app = axum::Router::new()
            .route(
                "/2010-04-01/Accounts/{sid}/Messages.json",
                post(handler.clone()),
            )
            .route("/{version}/{phone}/messages", post(handler));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(HttpMock {
            addr,
            keys,
            _task: task,
        })
    }

    /// Requests beyond the first for a key.
    fn duplicates(&self) -> u64 {
        let keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        keys.values().map(|n| u64::from(n.saturating_sub(1))).sum()
    }

    fn reset(&self) {
        self.keys.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}
