//! What the CLI's test modules share: running the binary as a user runs it and reading its output.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `recaudo ARGS` in `cwd` on the database `db_url`.
pub fn recaudo(db_url: &str, args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_recaudo"))
        .args(args)
        .env("RECAUDO_DATABASE_URL", db_url)
        .env_remove("RECAUDO_SERVER__ADDR")
        .current_dir(cwd)
        .output()
        .expect("run recaudo")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The last line of stdout, as JSON (the summary most commands end with).
pub fn last_json(o: &Output) -> serde_json::Value {
    let out = stdout(o);
    let last = out
        .lines()
        .last()
        .unwrap_or_else(|| panic!("no output; stderr: {}", stderr(o)));
    serde_json::from_str(last).unwrap_or_else(|e| panic!("last line `{last}` is not JSON: {e}"))
}

/// A fresh SQLite database, and a fresh PostgreSQL one when RECAUDO_TEST_DATABASE_URL is set.
pub async fn database_urls() -> Vec<String> {
    let mut urls = vec![recaudo_store::testing::fresh_sqlite_url()];
    if let Some(pg) = recaudo_store::testing::fresh_postgres_url()
        .await
        .expect("postgres")
    {
        urls.push(pg);
    }
    urls
}

/// The workspace's root folder.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
