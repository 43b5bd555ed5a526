//! A small Chrome DevTools Protocol client for the browser tests: it launches headless
//! Chromium, opens phone-sized pages in their own browser contexts, and fills, clicks, submits,
//! reads, tabs through and photographs them.
//!
//! The websocket is served by a thread with its own runtime, so one Chromium outlives each
//! test's runtime and is shared by the whole test binary ([`Browser::shared`]). Chromium runs
//! under a `sh` watchdog that reads the test process's end of a pipe: when the process exits,
//! however it exits, the pipe closes and the watchdog stops Chromium and removes its profile.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use base64::Engine;
use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

pub const CHROMIUM: &str = "/usr/bin/chromium";

/// How long a command or a page load may take before the test fails saying what it waited for.
pub const WAIT: Duration = Duration::from_secs(20);

/// The phone the pages are seen on: a 390×844 CSS px screen at 2× (a current mid-size phone).
pub const PHONE_WIDTH: u32 = 390;
pub const PHONE_HEIGHT: u32 = 844;
pub const DESKTOP_WIDTH: u32 = 1280;
pub const DESKTOP_HEIGHT: u32 = 800;
const PHONE_USER_AGENT: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 \
     (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36";

/// What went wrong talking to the browser, with what the test was doing.
#[derive(Debug, thiserror::Error)]
pub enum CdpError {
    #[error("Chromium did not start: {0}")]
    Launch(String),
    #[error("{method} failed: {message}")]
    Protocol { method: String, message: String },
    #[error("timed out after {after:?} waiting for {what}")]
    Timeout { what: String, after: Duration },
    #[error("the browser closed the connection while waiting for {0}")]
    Closed(String),
    #[error("`{selector}` matches nothing on {url}")]
    NoElement { selector: String, url: String },
    #[error("`{selector}` on {url}: {problem}")]
    Element {
        selector: String,
        url: String,
        problem: String,
    },
    #[error("the script threw on {url}: {message}\n{script}")]
    Script {
        url: String,
        message: String,
        script: String,
    },
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("an unexpected answer to {method}: {answer}")]
    Answer { method: String, answer: String },
}

pub type Result<T, E = CdpError> = std::result::Result<T, E>;

/// An event the browser sent: its method and the session (page) it concerns.
#[derive(Debug, Clone)]
struct Event {
    method: String,
    session: Option<String>,
}

type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Result<Value, String>>>>>;

/// The websocket to the browser: commands go out by id, answers come back by id, events are
/// broadcast to whoever listens.
struct Conn {
    out: mpsc::UnboundedSender<String>,
    next_id: AtomicU64,
    pending: Pending,
    events: broadcast::Sender<Event>,
}

impl Conn {
    /// Connects to `ws_url` from a thread of its own; returns once the socket is open.
    fn open(ws_url: &str) -> Result<Arc<Conn>> {
        let (out, mut out_rx) = mpsc::unbounded_channel::<String>();
        let pending: Pending = Arc::default();
        let (events, _) = broadcast::channel(1024);
        let conn = Arc::new(Conn {
            out,
            next_id: AtomicU64::new(1),
            pending: pending.clone(),
            events: events.clone(),
        });
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), String>>();
        let url = ws_url.to_string();
        std::thread::Builder::new()
            .name("cdp-websocket".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(error) => {
                        let _ = ready_tx.send(Err(format!("no runtime: {error}")));
                        return;
                    }
                };
                runtime.block_on(async move {
                    // Full-page screenshots of a phone at 2× run to several megabytes.
                    let config = WebSocketConfig::default()
                        .max_message_size(Some(512 << 20))
                        .max_frame_size(Some(512 << 20));
                    let ws = match tokio_tungstenite::connect_async_with_config(
                        url.as_str(),
                        Some(config),
                        true,
                    )
                    .await
                    {
                        Ok((ws, _)) => ws,
                        Err(error) => {
                            let _ = ready_tx.send(Err(format!("connect {url}: {error}")));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(()));
                    let (mut sink, mut stream) = ws.split();
                    loop {
                        tokio::select! {
                            outgoing = out_rx.recv() => match outgoing {
                                Some(text) => {
                                    if sink.send(Message::text(text)).await.is_err() {
                                        break;
                                    }
                                }
                                None => break,
                            },
                            incoming = stream.next() => match incoming {
                                Some(Ok(Message::Text(text))) => {
                                    dispatch(text.as_str(), &pending, &events);
                                }
                                Some(Ok(_)) => {}
                                Some(Err(_)) | None => break,
                            },
                        }
                    }
                    // Whoever still waits learns that the browser is gone.
                    if let Ok(mut pending) = pending.lock() {
                        pending.clear();
                    }
                });
            })
            .map_err(|source| CdpError::Io {
                what: "start the websocket thread".into(),
                source,
            })?;
        match ready_rx.recv_timeout(WAIT) {
            Ok(Ok(())) => Ok(conn),
            Ok(Err(message)) => Err(CdpError::Launch(message)),
            Err(_) => Err(CdpError::Timeout {
                what: format!("the websocket {ws_url}"),
                after: WAIT,
            }),
        }
    }

    fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    fn message(&self, session: Option<&str>, method: &str, params: Value) -> (u64, String) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        (id, message.to_string())
    }

    /// Sends a command and waits for its answer.
    async fn call(&self, session: Option<&str>, method: &str, params: Value) -> Result<Value> {
        let (id, text) = self.message(session, method, params);
        let (tx, rx) = oneshot::channel();
        self.pending
            .lock()
            .map_err(|_| CdpError::Closed(method.into()))?
            .insert(id, tx);
        self.out
            .send(text)
            .map_err(|_| CdpError::Closed(method.into()))?;
        match tokio::time::timeout(WAIT, rx).await {
            Ok(Ok(Ok(result))) => Ok(result),
            Ok(Ok(Err(message))) => Err(CdpError::Protocol {
                method: method.into(),
                message,
            }),
            Ok(Err(_)) => Err(CdpError::Closed(method.into())),
            Err(_) => {
                if let Ok(mut pending) = self.pending.lock() {
                    pending.remove(&id);
                }
                Err(CdpError::Timeout {
                    what: format!("the answer to {method}"),
                    after: WAIT,
                })
            }
        }
    }

    /// Sends a command without waiting (for clean-ups run from `Drop`).
    fn send(&self, session: Option<&str>, method: &str, params: Value) {
        let (_, text) = self.message(session, method, params);
        let _ = self.out.send(text);
    }
}

/// Routes one message from the browser: an answer to its caller, an event to the listeners.
fn dispatch(text: &str, pending: &Pending, events: &broadcast::Sender<Event>) {
    let Ok(message) = serde_json::from_str::<Value>(text) else {
        return;
    };
    if let Some(id) = message.get("id").and_then(Value::as_u64) {
        let waiter = pending.lock().ok().and_then(|mut p| p.remove(&id));
        if let Some(waiter) = waiter {
            let answer = match message.get("error") {
                Some(error) => Err(error
                    .get("message")
                    .and_then(Value::as_str)
                    .map_or_else(|| error.to_string(), str::to_string)),
                None => Ok(message.get("result").cloned().unwrap_or(Value::Null)),
            };
            let _ = waiter.send(answer);
        }
    } else if let Some(method) = message.get("method").and_then(Value::as_str) {
        let _ = events.send(Event {
            method: method.to_string(),
            session: message
                .get("sessionId")
                .and_then(Value::as_str)
                .map(str::to_string),
        });
    }
}

/// A headless Chromium and the connection to it. Dropping it stops Chromium.
pub struct Browser {
    conn: Arc<Conn>,
    /// Chromium's profile, removed by the watchdog once Chromium stops.
    profile: PathBuf,
    watchdog: Child,
    /// Closing it tells the watchdog to stop Chromium.
    lifeline: Option<ChildStdin>,
}

impl Browser {
    /// Launches Chromium. `None` (and a note on stderr) when it is not installed outside CI; in
    /// CI a missing Chromium fails the test, since CI installs it.
    pub fn launch() -> Option<Browser> {
        if !Path::new(CHROMIUM).exists() {
            assert!(
                std::env::var("CI").is_err(),
                "{CHROMIUM} is missing: CI must install it (apt-get install chromium)"
            );
            eprintln!(
                "{CHROMIUM} is not installed: browser test not run (apt-get install chromium)"
            );
            return None;
        }
        match Browser::start() {
            Ok(browser) => Some(browser),
            Err(error) => panic!("{error}"),
        }
    }

    /// The test binary's one Chromium, launched by the first test that asks.
    pub fn shared() -> Option<&'static Browser> {
        static SHARED: OnceLock<Option<Browser>> = OnceLock::new();
        SHARED.get_or_init(Browser::launch).as_ref()
    }

    fn start() -> Result<Browser> {
        static PROFILES: AtomicU64 = AtomicU64::new(0);
        let profile = std::env::temp_dir().join(format!(
            "recaudo-cdp-{}-{}",
            std::process::id(),
            PROFILES.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&profile).map_err(|source| CdpError::Io {
            what: format!("create the profile {}", profile.display()),
            source,
        })?;
        // The watchdog runs Chromium in a process group of its own and waits for its stdin to
        // close; then it stops the whole group (renderers and helpers write to the profile as
        // they stop, so all of them), killing what still runs after 5 s, and removes the profile,
        // again while a helper outside the group (the crash handler) still writes into it.
        let script = r#"chromium="$1"; shift
setsid "$chromium" "$@" </dev/null &
pid=$!
read -r _ignored
kill -TERM -- -"$pid" 2>/dev/null || kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
tries=0
while kill -0 -- -"$pid" 2>/dev/null && [ "$tries" -lt 50 ]; do
  sleep 0.1
  tries=$((tries + 1))
done
kill -KILL -- -"$pid" 2>/dev/null
tries=0
while [ -e "$RECAUDO_CDP_PROFILE" ] && [ "$tries" -lt 50 ]; do
  rm -rf "$RECAUDO_CDP_PROFILE" 2>/dev/null || sleep 0.1
  tries=$((tries + 1))
done"#;
        let mut watchdog = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg("recaudo-cdp")
            .arg(CHROMIUM)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--disable-dev-shm-usage",
                "--hide-scrollbars",
                "--mute-audio",
                "--force-color-profile=srgb",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .env("RECAUDO_CDP_PROFILE", &profile)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| CdpError::Io {
                what: format!("run {CHROMIUM}"),
                source,
            })?;
        let lifeline = watchdog.stdin.take();
        let stderr = watchdog
            .stderr
            .take()
            .ok_or_else(|| CdpError::Launch("no stderr".into()))?;
        // Chromium says where it listens on stderr; the rest of stderr is drained so that it
        // never blocks on a full pipe, and kept to explain a failed start.
        let (url_tx, url_rx) = std::sync::mpsc::channel::<String>();
        let said = Arc::new(Mutex::new(String::new()));
        let said_by_chromium = said.clone();
        std::thread::Builder::new()
            .name("chromium-stderr".into())
            .spawn(move || {
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    if let Some(url) = line.strip_prefix("DevTools listening on ") {
                        let _ = url_tx.send(url.trim().to_string());
                    } else if let Ok(mut said) = said_by_chromium.lock()
                        && said.len() < 16_000
                    {
                        said.push_str(&line);
                        said.push('\n');
                    }
                }
            })
            .map_err(|source| CdpError::Io {
                what: "start the stderr thread".into(),
                source,
            })?;
        let ws_url = match url_rx.recv_timeout(WAIT) {
            Ok(url) => url,
            Err(_) => {
                // Closing the lifeline stops Chromium, if it runs at all.
                drop(lifeline);
                let _ = watchdog.wait();
                let said = said.lock().map(|s| s.clone()).unwrap_or_default();
                return Err(CdpError::Launch(format!(
                    "no `DevTools listening on` line within {} s; Chromium said:\n{said}",
                    WAIT.as_secs()
                )));
            }
        };
        let conn = Conn::open(&ws_url)?;
        Ok(Browser {
            conn,
            profile,
            watchdog,
            lifeline,
        })
    }

    /// Chromium's profile directory (gone once the browser is dropped).
    pub fn profile(&self) -> &Path {
        &self.profile
    }

    /// The process id of Chromium's browser process.
    pub async fn chromium_pid(&self) -> Result<u32> {
        let answer = self
            .conn
            .call(None, "SystemInfo.getProcessInfo", json!({}))
            .await?;
        answer
            .get("processInfo")
            .and_then(Value::as_array)
            .and_then(|all| {
                all.iter()
                    .find(|p| p.get("type").and_then(Value::as_str) == Some("browser"))
            })
            .and_then(|p| p.get("id").and_then(Value::as_u64))
            .and_then(|id| u32::try_from(id).ok())
            .ok_or_else(|| CdpError::Answer {
                method: "SystemInfo.getProcessInfo".into(),
                answer: answer.to_string(),
            })
    }

    /// The browser's version (`Browser.getVersion`'s `product`, `Chrome/…`).
    pub async fn version(&self) -> Result<String> {
        let answer = self
            .conn
            .call(None, "Browser.getVersion", json!({}))
            .await?;
        string_field(&answer, "product", "Browser.getVersion")
    }

    /// A new tab in a browser context of its own (its own cookies and storage), seen as a phone:
    /// 390×844 CSS px at 2×, mobile, with a phone's user agent.
    pub async fn page_phone(&self) -> Result<Page> {
        let page = self.new_page().await?;
        page.call(
            "Emulation.setDeviceMetricsOverride",
            json!({
                "width": PHONE_WIDTH,
                "height": PHONE_HEIGHT,
                "deviceScaleFactor": 2,
                "mobile": true,
            }),
        )
        .await?;
        page.call(
            "Emulation.setUserAgentOverride",
            json!({ "userAgent": PHONE_USER_AGENT, "platform": "Android" }),
        )
        .await?;
        Ok(page)
    }

    /// A new tab in a browser context of its own, seen as an office screen: 1280×800 CSS px at
    /// 1×, not mobile (the operators' dashboard).
    pub async fn page_desktop(&self) -> Result<Page> {
        let page = self.new_page().await?;
        page.call(
            "Emulation.setDeviceMetricsOverride",
            json!({
                "width": DESKTOP_WIDTH,
                "height": DESKTOP_HEIGHT,
                "deviceScaleFactor": 1,
                "mobile": false,
            }),
        )
        .await?;
        Ok(page)
    }

    /// A blank tab in a fresh browser context, its page and runtime domains on.
    async fn new_page(&self) -> Result<Page> {
        let conn = &self.conn;
        let context = conn
            .call(None, "Target.createBrowserContext", json!({}))
            .await?;
        let context = string_field(&context, "browserContextId", "Target.createBrowserContext")?;
        let target = conn
            .call(
                None,
                "Target.createTarget",
                json!({ "url": "about:blank", "browserContextId": context }),
            )
            .await?;
        let target = string_field(&target, "targetId", "Target.createTarget")?;
        let session = conn
            .call(
                None,
                "Target.attachToTarget",
                json!({ "targetId": target, "flatten": true }),
            )
            .await?;
        let session = string_field(&session, "sessionId", "Target.attachToTarget")?;
        let page = Page {
            conn: conn.clone(),
            session,
            context,
        };
        page.call("Page.enable", json!({})).await?;
        page.call("Runtime.enable", json!({})).await?;
        Ok(page)
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Closing the lifeline makes the watchdog stop Chromium and remove its profile.
        drop(self.lifeline.take());
        // Chromium may take a few seconds to stop on a busy machine.
        for _ in 0..WAIT.as_millis() / 100 {
            if matches!(self.watchdog.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.watchdog.kill();
        let _ = self.watchdog.wait();
    }
}

fn string_field(value: &Value, field: &str, method: &str) -> Result<String> {
    value
        .get(field)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| CdpError::Answer {
            method: method.into(),
            answer: value.to_string(),
        })
}

/// The element that has the focus, as `document.activeElement` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FocusedElement {
    /// Lower case: `input`, `button`, `a`; `body` when nothing has the focus.
    pub tag: String,
    pub id: String,
    pub name: String,
    /// `type` of an input or a button.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its accessible text: the label's text for a field, else its own text (trimmed).
    pub text: String,
    /// A CSS path that finds it again (`#id`, or tags with `:nth-of-type`).
    pub selector: String,
}

/// The JavaScript that names an element: `describe(el)` → [`FocusedElement`]'s fields, and
/// `cssPath(el)`.
pub const DESCRIBE_JS: &str = r##"
function cssPath(el) {
  if (!el || el.nodeType !== 1) return "";
  const parts = [];
  for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
    if (n.id) { parts.unshift("#" + CSS.escape(n.id)); break; }
    const tag = n.tagName.toLowerCase();
    if (tag === "html" || tag === "body") { parts.unshift(tag); if (tag === "html") break; continue; }
    let i = 1;
    for (let s = n.previousElementSibling; s; s = s.previousElementSibling) if (s.tagName === n.tagName) i++;
    parts.unshift(tag + ":nth-of-type(" + i + ")");
  }
  return parts.join(" > ");
}
function describe(el) {
  el = el || document.body;
  const labels = el.labels ? Array.from(el.labels).map(l => l.innerText.trim()).join(" ") : "";
  const own = (el.getAttribute("aria-label") || el.innerText || el.value || "").toString().trim();
  return {
    tag: el.tagName.toLowerCase(),
    id: el.id || "",
    name: el.getAttribute("name") || "",
    type: el.getAttribute("type") || "",
    text: (labels || own).replace(/\s+/g, " ").slice(0, 120),
    selector: cssPath(el),
  };
}
"##;

/// One tab of a phone, in a browser context of its own. Dropping it closes the context.
pub struct Page {
    conn: Arc<Conn>,
    session: String,
    context: String,
}

impl Drop for Page {
    fn drop(&mut self) {
        self.conn.send(
            None,
            "Target.disposeBrowserContext",
            json!({ "browserContextId": self.context }),
        );
    }
}

impl Page {
    async fn call(&self, method: &str, params: Value) -> Result<Value> {
        self.conn.call(Some(&self.session), method, params).await
    }

    /// Waits for the next `Page.loadEventFired` of this page; `what` says what for.
    async fn load_event(&self, events: &mut broadcast::Receiver<Event>, what: &str) -> Result<()> {
        let wait = async {
            loop {
                match events.recv().await {
                    Ok(event)
                        if event.method == "Page.loadEventFired"
                            && event.session.as_deref() == Some(self.session.as_str()) =>
                    {
                        return Ok(());
                    }
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => {
                        return Err(CdpError::Closed(what.to_string()));
                    }
                }
            }
        };
        match tokio::time::timeout(WAIT, wait).await {
            Ok(result) => result,
            Err(_) => Err(CdpError::Timeout {
                what: what.to_string(),
                after: WAIT,
            }),
        }
    }

    /// Makes the phone speak `locale` (a BCP 47 tag, `pt-BR`): `navigator.language`, `Intl`
    /// formats and the `Accept-Language` header of its requests.
    pub async fn set_locale(&self, locale: &str) -> Result<()> {
        self.call(
            "Emulation.setLocaleOverride",
            json!({ "locale": locale.replace('-', "_") }),
        )
        .await?;
        self.call(
            "Emulation.setUserAgentOverride",
            json!({
                "userAgent": PHONE_USER_AGENT,
                "platform": "Android",
                "acceptLanguage": locale,
            }),
        )
        .await?;
        Ok(())
    }

    /// Opens `url` and waits for its load event.
    pub async fn goto(&self, url: &str) -> Result<()> {
        let mut events = self.conn.subscribe();
        let answer = self.call("Page.navigate", json!({ "url": url })).await?;
        if let Some(error) = answer.get("errorText").and_then(Value::as_str) {
            return Err(CdpError::Protocol {
                method: format!("Page.navigate to {url}"),
                message: error.to_string(),
            });
        }
        self.load_event(&mut events, &format!("the load of {url}"))
            .await
    }

    /// Runs `js` in the page (promises awaited) and returns its value as JSON (`null` for
    /// `undefined`).
    pub async fn eval(&self, js: &str) -> Result<Value> {
        let answer = self
            .call(
                "Runtime.evaluate",
                json!({
                    "expression": js,
                    "returnByValue": true,
                    "awaitPromise": true,
                    "userGesture": true,
                }),
            )
            .await?;
        if let Some(details) = answer.get("exceptionDetails") {
            let message = details
                .pointer("/exception/description")
                .and_then(Value::as_str)
                .or_else(|| details.get("text").and_then(Value::as_str))
                .unwrap_or("an exception")
                .to_string();
            let url = self.current_url().await;
            return Err(CdpError::Script {
                url,
                message,
                script: js.chars().take(400).collect(),
            });
        }
        Ok(answer
            .pointer("/result/value")
            .cloned()
            .unwrap_or(Value::Null))
    }

    /// Waits until the JavaScript expression `condition` is truthy (a page whose script
    /// answers without loading a new page); checked every 50 ms, at most `within`
    /// ([`WAIT`] is a good bound).
    pub async fn wait_for(&self, condition: &str, within: Duration) -> Result<()> {
        let check = format!("Boolean({condition})");
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if self.eval(&check).await? == Value::Bool(true) {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(CdpError::Timeout {
                    what: format!("`{condition}` on {}", self.current_url().await),
                    after: within,
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The URL for an error message; never fails.
    async fn current_url(&self) -> String {
        match self
            .call(
                "Runtime.evaluate",
                json!({ "expression": "location.href", "returnByValue": true }),
            )
            .await
        {
            Ok(answer) => answer
                .pointer("/result/value")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_string(),
            Err(_) => "?".into(),
        }
    }

    /// Runs `body` with `el` bound to the element `selector` finds; `body`'s value is returned.
    /// A `{"problem": "…"}` answer is an error about the element.
    async fn on_element(&self, selector: &str, body: &str) -> Result<Value> {
        let quoted = serde_json::to_string(selector).unwrap_or_default();
        let js = format!(
            "(() => {{ const el = document.querySelector({quoted}); \
             if (!el) return {{ missing: true }}; return {{ value: (() => {{ {body} }})() }}; }})()"
        );
        let answer = self.eval(&js).await?;
        if answer.get("missing").is_some() {
            return Err(CdpError::NoElement {
                selector: selector.into(),
                url: self.current_url().await,
            });
        }
        let value = answer.get("value").cloned().unwrap_or(Value::Null);
        if let Some(problem) = value.get("problem").and_then(Value::as_str) {
            return Err(CdpError::Element {
                selector: selector.into(),
                url: self.current_url().await,
                problem: problem.to_string(),
            });
        }
        Ok(value)
    }

    /// Types `value` into the field `selector` finds, replacing what it held (date, time, colour
    /// and range inputs, which take no typing, get the value set and `input`/`change` fired).
    pub async fn fill(&self, selector: &str, value: &str) -> Result<()> {
        let how = self
            .on_element(
                selector,
                r#"
                if (el.disabled || el.readOnly) return { problem: "is disabled or read-only" };
                const tag = el.tagName;
                if (tag !== "INPUT" && tag !== "TEXTAREA") return { problem: "is a " + tag.toLowerCase() + ", not a field" };
                el.scrollIntoView({ block: "center" });
                el.focus();
                if (document.activeElement !== el) return { problem: "cannot take the focus" };
                const set = ["date", "time", "datetime-local", "month", "week", "color", "range"];
                if (set.includes(el.type)) return "set";
                // Emptied first (select() does not apply to every input type), then typed.
                el.value = "";
                el.dispatchEvent(new Event("input", { bubbles: true }));
                return "type";
                "#,
            )
            .await?;
        let quoted = serde_json::to_string(value).unwrap_or_default();
        if how == "set" {
            self.on_element(
                selector,
                &format!(
                    "el.value = {quoted}; \
                     el.dispatchEvent(new Event('input', {{ bubbles: true }})); \
                     el.dispatchEvent(new Event('change', {{ bubbles: true }}));"
                ),
            )
            .await?;
        } else if !value.is_empty() {
            self.call("Input.insertText", json!({ "text": value }))
                .await?;
        }
        self.on_element(
            selector,
            &format!(
                "return el.value === {quoted} ? null : \
                 {{ problem: 'holds ' + JSON.stringify(el.value) + ' after filling in ' + JSON.stringify({quoted}) }};"
            ),
        )
        .await?;
        Ok(())
    }

    /// Chooses the option whose value (or, failing that, whose text) is `value`.
    pub async fn select(&self, selector: &str, value: &str) -> Result<()> {
        let quoted = serde_json::to_string(value).unwrap_or_default();
        self.on_element(
            selector,
            &format!(
                r#"
                if (el.tagName !== "SELECT") return {{ problem: "is not a select" }};
                if (el.disabled) return {{ problem: "is disabled" }};
                const want = {quoted};
                const options = Array.from(el.options);
                const option = options.find(o => o.value === want) || options.find(o => o.text.trim() === want);
                if (!option) return {{ problem: "has no option " + JSON.stringify(want) + " (it has " + JSON.stringify(options.map(o => o.value)) + ")" }};
                el.focus();
                el.value = option.value;
                el.dispatchEvent(new Event("input", {{ bubbles: true }}));
                el.dispatchEvent(new Event("change", {{ bubbles: true }}));
                return null;
                "#
            ),
        )
        .await?;
        Ok(())
    }

    /// Ticks a checkbox or a radio button by clicking it, unless it is ticked already.
    pub async fn check(&self, selector: &str) -> Result<()> {
        let checked = self
            .on_element(
                selector,
                r#"if (el.type !== "checkbox" && el.type !== "radio") return { problem: "is not a checkbox or a radio button" };
                   return el.checked;"#,
            )
            .await?;
        if checked != Value::Bool(true) {
            self.click(selector).await?;
        }
        self.on_element(
            selector,
            "return el.checked ? null : { problem: 'is still not ticked after a click' };",
        )
        .await?;
        Ok(())
    }

    /// Puts the file at `path` in the file input `selector` finds (as if chosen in the dialog).
    pub async fn set_file(&self, selector: &str, path: &Path) -> Result<()> {
        let path = std::fs::canonicalize(path).map_err(|source| CdpError::Io {
            what: format!("find {}", path.display()),
            source,
        })?;
        let quoted = serde_json::to_string(selector).unwrap_or_default();
        let answer = self
            .call(
                "Runtime.evaluate",
                json!({ "expression": format!("document.querySelector({quoted})") }),
            )
            .await?;
        let Some(object) = answer.pointer("/result/objectId").and_then(Value::as_str) else {
            return Err(CdpError::NoElement {
                selector: selector.into(),
                url: self.current_url().await,
            });
        };
        self.call(
            "DOM.setFileInputFiles",
            json!({ "files": [path.display().to_string()], "objectId": object }),
        )
        .await?;
        Ok(())
    }

    /// Clicks the middle of the element `selector` finds, as a finger would: it must be visible
    /// and not covered by another element.
    pub async fn click(&self, selector: &str) -> Result<()> {
        let point = self
            .on_element(
                selector,
                r#"
                el.scrollIntoView({ block: "center" });
                const r = el.getBoundingClientRect();
                if (r.width === 0 || r.height === 0) return { problem: "is not visible" };
                const x = r.left + r.width / 2, y = r.top + r.height / 2;
                const hit = document.elementFromPoint(x, y);
                if (!hit || !(hit === el || el.contains(hit) || (el.labels && Array.from(el.labels).some(l => l.contains(hit)))))
                  return { problem: "is covered by " + (hit ? hit.outerHTML.slice(0, 120) : "nothing") };
                return { x, y };
                "#,
            )
            .await?;
        let (x, y) = (point["x"].clone(), point["y"].clone());
        for kind in ["mouseMoved", "mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({ "type": kind, "x": x, "y": y, "button": "left", "clickCount": 1 }),
            )
            .await?;
        }
        Ok(())
    }

    /// Clicks the submit button `selector` finds and waits for the page the form leads to.
    pub async fn submit_and_wait(&self, selector: &str) -> Result<()> {
        let mut events = self.conn.subscribe();
        let from = self.current_url().await;
        self.click(selector).await?;
        self.load_event(
            &mut events,
            &format!("the page after submitting `{selector}` on {from}"),
        )
        .await
    }

    /// The visible text of the element `selector` finds.
    pub async fn text(&self, selector: &str) -> Result<String> {
        let text = self.on_element(selector, "return el.innerText;").await?;
        Ok(text.as_str().unwrap_or_default().to_string())
    }

    pub async fn url(&self) -> Result<String> {
        let url = self.eval("location.href").await?;
        Ok(url.as_str().unwrap_or_default().to_string())
    }

    /// The HTTP status of the page's document (as its navigation timing has it).
    pub async fn status(&self) -> Result<u16> {
        let status = self
            .eval("performance.getEntriesByType('navigation').map(n => n.responseStatus)[0]")
            .await?;
        status
            .as_u64()
            .and_then(|s| u16::try_from(s).ok())
            .ok_or_else(|| CdpError::Answer {
                method: "PerformanceNavigationTiming.responseStatus".into(),
                answer: status.to_string(),
            })
    }

    /// The document as it is now (after scripts), serialized.
    pub async fn html(&self) -> Result<String> {
        let html = self.eval("document.documentElement.outerHTML").await?;
        Ok(html.as_str().unwrap_or_default().to_string())
    }

    /// Photographs the whole page (not only the screen) as a PNG at the phone's 2× and writes
    /// it to [`artifacts_dir`]`/{name}.png`; returns the path. `name` is letters, digits, `-`
    /// and `_`.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(CdpError::Io {
                what: format!("name the screenshot `{name}`"),
                source: std::io::Error::other("use letters, digits, - and _"),
            });
        }
        let metrics = self.call("Page.getLayoutMetrics", json!({})).await?;
        let size = |field: &str| {
            metrics
                .pointer(&format!("/cssContentSize/{field}"))
                .and_then(Value::as_f64)
                .unwrap_or(0.0)
        };
        let (width, height) = (size("width").max(1.0), size("height").max(1.0));
        let shot = self
            .call(
                "Page.captureScreenshot",
                json!({
                    "format": "png",
                    "captureBeyondViewport": true,
                    "clip": { "x": 0, "y": 0, "width": width, "height": height, "scale": 1 },
                }),
            )
            .await?;
        let data = shot
            .get("data")
            .and_then(Value::as_str)
            .ok_or_else(|| CdpError::Answer {
                method: "Page.captureScreenshot".into(),
                answer: "no data".into(),
            })?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|error| CdpError::Answer {
                method: "Page.captureScreenshot".into(),
                answer: format!("base64: {error}"),
            })?;
        let dir = artifacts_dir();
        std::fs::create_dir_all(&dir).map_err(|source| CdpError::Io {
            what: format!("create {}", dir.display()),
            source,
        })?;
        let path = dir.join(format!("{name}.png"));
        std::fs::File::create(&path)
            .and_then(|mut file| file.write_all(&png))
            .map_err(|source| CdpError::Io {
                what: format!("write {}", path.display()),
                source,
            })?;
        Ok(path)
    }

    /// Presses Tab and says which element has the focus then.
    pub async fn press_tab(&self) -> Result<FocusedElement> {
        for kind in ["rawKeyDown", "keyUp"] {
            self.call(
                "Input.dispatchKeyEvent",
                json!({
                    "type": kind,
                    "key": "Tab",
                    "code": "Tab",
                    "windowsVirtualKeyCode": 9,
                    "nativeVirtualKeyCode": 9,
                }),
            )
            .await?;
        }
        self.focused().await
    }

    /// The element that has the focus now.
    pub async fn focused(&self) -> Result<FocusedElement> {
        let value = self
            .eval(&format!(
                "(() => {{ {DESCRIBE_JS}; return describe(document.activeElement); }})()"
            ))
            .await?;
        serde_json::from_value(value.clone()).map_err(|_| CdpError::Answer {
            method: "describe(document.activeElement)".into(),
            answer: value.to_string(),
        })
    }
}

/// Where screenshots go: `{CARGO_TARGET_DIR or the workspace's target}/test-artifacts/browser`.
pub fn artifacts_dir() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if Path::new(&dir).is_absolute() => PathBuf::from(dir),
        // Cargo reads a relative target dir from where it was run: the workspace, here.
        Some(dir) => workspace.join(dir),
        None => workspace.join("target"),
    };
    target.join("test-artifacts").join("browser")
}
