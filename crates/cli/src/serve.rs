//! `recaudo serve`: the HTTP server.

use std::sync::Arc;

use anyhow::Context;
use recaudo_domain::Clock;
use recaudo_store::Store;
use tracing_subscriber::EnvFilter;

use crate::config::{Config, LogConfig};

/// Logs to stderr, JSON or text, filtered by `log.level` (or `RUST_LOG`).
pub fn init_tracing(log: &LogConfig) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&log.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if log.format == "text" {
        builder.try_init()
    } else {
        builder.json().try_init()
    };
}

/// Serves until Ctrl-C. `clock` is the API's and the planner's (the demo's runs ahead of the
/// system's); `on_ready` runs once the socket is bound (the demo prints its banner).
pub async fn serve(
    store: Store,
    config: &Config,
    addr: &str,
    clock: Arc<dyn Clock>,
    on_ready: Option<Box<dyn FnOnce(std::net::SocketAddr) + Send>>,
) -> anyhow::Result<()> {
    // reqwest and others need one rustls provider; installing twice is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let store_for_planner = store.clone();
    let dispatch_clock = Arc::clone(&clock);
    let sealing_key = config.secrets.sealing_key()?;
    let link_key = link_key(config.secrets.key.as_ref());
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener.local_addr()?;
    let d = &config.dispatch;
    // One signer and one provider environment for the dispatcher (the links and callbacks it
    // puts in messages) and the web app (which checks them when they come back).
    let base = d
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{local}"));
    let links = recaudo_channels::links::LinkSigner::new(&link_key, &base);
    let mut env = recaudo_channels::ProviderEnv::new(d.letters_dir.clone(), d.public_url.clone());
    env.installation_accounts = Arc::new(config.provider_accounts()?);
    let mut state = recaudo_web::AppState::new(store, Arc::clone(&clock))
        .with_links(links.clone())
        .with_provider_env(env.clone())
        // Tenants without a payment account of their own pay through the sandbox where the
        // channels are the sandbox's too (the demo, a trial).
        .with_payments_sandbox(d.sandbox)
        .with_wall_clock(Arc::new(recaudo_domain::SystemClock));
    // Without a configured public URL, webhooks are taken to have come to the `Host` they name.
    if let Some(url) = &d.public_url {
        state = state.with_public_url(url.clone());
    }
    state.body_limit = config.server.body_limit_bytes;
    state.import_limit = config.server.import_limit_bytes;
    state.sealing_key = sealing_key.clone();
    let app = recaudo_web::router(state);
    // The planner on its schedule, stopped with the server.
    let planner = config.planner.enabled.then(|| {
        tokio::spawn(recaudo_engine::plan_on_schedule(
            store_for_planner.clone(),
            clock,
            std::time::Duration::from_secs(config.planner.interval_seconds),
        ))
    });
    // The dispatcher sends what the planner planned, stopped with the server.
    let (stop_dispatch, stopped) = tokio::sync::watch::channel(false);
    let links_for_mail = links.clone();
    let stop_mail = stopped.clone();
    let dispatcher = d.enabled.then(|| {
        let options = recaudo_engine::dispatch::DispatchOptions {
            batch: d.batch.max(1),
            concurrency: d.concurrency.max(1),
            workers: d.workers.max(1),
            lease: std::time::Duration::from_secs(d.lease_seconds.max(1)),
            sandbox: d
                .sandbox
                .then(recaudo_channels::providers::sandbox::Config::default),
            ..Default::default()
        };
        let dispatcher = recaudo_engine::dispatch::Dispatcher::new(
            store_for_planner.clone(),
            Arc::clone(&dispatch_clock),
            options,
            env,
            sealing_key.clone(),
            links,
        );
        let idle = std::time::Duration::from_millis(d.idle_millis.max(10));
        tokio::spawn(async move { dispatcher.run(idle, stopped).await })
    });
    let receiver = match config.inbound_smtp.enabled {
        true => Some(
            inbound_smtp(
                &config.inbound_smtp,
                store_for_planner.clone(),
                Arc::clone(&dispatch_clock),
                links_for_mail,
                stop_mail,
            )
            .await?,
        ),
        false => None,
    };
    tracing::info!(%local, "listening");
    if let Some(on_ready) = on_ready {
        on_ready(local);
    }
    // The portal limits requests per client IP: the peer address reaches handlers.
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .context("serving");
    if let Some(planner) = planner {
        planner.abort();
    }
    let _ = stop_dispatch.send(true);
    if let Some(dispatcher) = dispatcher {
        let _ = dispatcher.await;
    }
    if let Some(receiver) = receiver {
        let _ = receiver.await;
    }
    served
}

/// Starts the built-in SMTP receiver: each email is taken through the conversation before it
/// is acknowledged (a failure to store it answers 451, so the sender tries again).
async fn inbound_smtp(
    config: &crate::config::InboundSmtpConfig,
    store: Store,
    clock: Arc<dyn Clock>,
    links: recaudo_channels::links::LinkSigner,
    stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    use recaudo_channels::smtp_receiver::{self, Deliver, ReceiverOptions, Refusal};
    use recaudo_engine::inbound::{Conversations, MailError, receive_email};
    let default_tenant = match &config.tenant {
        Some(text) => Some(
            text.parse::<recaudo_domain::TenantId>()
                .map_err(|e| anyhow::anyhow!("[inbound_smtp] tenant: {e}"))?,
        ),
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("[inbound_smtp] cannot listen on {}", config.listen))?;
    tracing::info!(listen = %config.listen, "SMTP receiver listening");
    let conversations = Conversations::new(links);
    let deliver: Deliver = Arc::new(move |email, _raw| {
        let store = store.clone();
        let clock = Arc::clone(&clock);
        let conversations = conversations.clone();
        Box::pin(async move {
            match receive_email(&store, &conversations, default_tenant, &email, clock.now()).await {
                Ok(report) => {
                    tracing::info!(message = ?report.message_id, intent = ?report.intent, "email received");
                    Ok(())
                }
                Err(MailError::NoMailbox) => Err(Refusal::NoSuchMailbox),
                Err(error) => {
                    tracing::error!(%error, "an email could not be stored");
                    Err(Refusal::TryLater("the message could not be stored".into()))
                }
            }
        })
    });
    let options = ReceiverOptions {
        hostname: config.hostname.clone(),
        max_message_bytes: config.max_message_bytes.max(1024),
        ..Default::default()
    };
    Ok(tokio::spawn(smtp_receiver::serve(
        listener, options, deliver, stop,
    )))
}

/// The key links in messages are signed with: derived from `[secrets] key` (the signer hashes
/// it with its own label, so it is not the sealing key). Without one, each process makes its
/// own, and links sent before a restart no longer open.
pub(crate) fn link_key(secrets_key: Option<&recaudo_domain::Secret<String>>) -> Vec<u8> {
    match secrets_key {
        Some(key) => key.expose_secret().as_bytes().to_vec(),
        None => {
            tracing::warn!("[secrets] key is not set: message links last until the next restart");
            let mut key = vec![0u8; 32];
            for b in key.iter_mut() {
                *b = rand::random();
            }
            key
        }
    }
}
