//! The pages, in a real headless Chromium against the real server on a loopback port.
//! CI installs Chromium (`.ci/run`); on a machine without it the test says so and, outside CI,
//! passes without running.

use crate::fixtures;

use std::path::Path;
use std::process::Command;

const CHROMIUM: &str = "/usr/bin/chromium";

/// The DOM after the page's scripts ran (virtual time lets its fetch finish).
fn rendered_dom(url: &str) -> String {
    let profile = tempfile::tempdir().expect("profile dir");
    let out = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=10000",
            "--window-size=1280,800",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(url)
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn chromium_available() -> bool {
    if Path::new(CHROMIUM).exists() {
        return true;
    }
    assert!(
        std::env::var("CI").is_err(),
        "{CHROMIUM} is missing: CI must install it (apt-get install chromium)"
    );
    eprintln!("{CHROMIUM} is not installed: browser test not run (apt-get install chromium)");
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_reference_and_home_page_render_in_a_browser() {
    if !chromium_available() {
        return;
    }
    let app = fixtures::apps()
        .await
        .into_iter()
        .next()
        .expect("a sqlite app");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(axum::serve(listener, app.router.clone()).into_future());

    let base = format!("http://{addr}");
    let docs = tokio::task::spawn_blocking({
        let url = format!("{base}/api/docs");
        move || rendered_dom(&url)
    })
    .await
    .unwrap();
    let ops: usize = docs
        .split("data-operations=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("the reference did not render its operations:\n{docs}"));
    assert!(ops >= 20, "only {ops} operations rendered");
    for text in [
        "/api/v1/debts/{id}/payments",
        "/api/v1/imports",
        // Double quotes: the shell expands the key (`&quot;` once serialized).
        "-H \"Authorization: Bearer $RECAUDO_API_KEY\"",
        "debtor_external_id",
        // Inline code in descriptions renders as code, not as backticks.
        "<code>next_cursor</code>",
    ] {
        assert!(
            docs.contains(text),
            "`{text}` missing from the rendered reference"
        );
    }
    assert!(
        !docs.contains("id=\"error\">openapi"),
        "the page reported an error"
    );
    assert!(
        !docs.contains("`next_cursor`"),
        "a description still shows raw backticks"
    );
    let overflow: i64 = docs
        .split("data-overflow-x=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .and_then(|n| n.parse().ok())
        .expect("the page measured its width");
    assert_eq!(overflow, 0, "the reference scrolls sideways at 1280 px");

    let home = tokio::task::spawn_blocking({
        let url = format!("{base}/");
        move || rendered_dom(&url)
    })
    .await
    .unwrap();
    assert!(home.contains("Omnichannel debt collection."), "{home}");
    assert!(home.contains("href=\"/api/docs\""));
    // The reference is a read-only page: the home page does not promise more.
    assert!(!home.contains("interactive"), "{home}");
    server.abort();
}
