//! Configuration: defaults, then `recaudo.toml` (or `--config FILE`), then `RECAUDO_*`
//! environment variables (nested keys with `__`, e.g. `RECAUDO_SERVER__ADDR`), then command-line
//! flags. `recaudo.example.toml` documents every key.

use std::path::Path;

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `sqlite://FILE` or `postgres://USER@HOST:PORT/DB`.
    pub database_url: String,
    pub server: ServerConfig,
    pub log: LogConfig,
    pub planner: PlannerConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct PlannerConfig {
    /// Whether `serve` runs the planner on its own.
    pub enabled: bool,
    /// Seconds between two planning runs of `serve` (the first runs at start). Planning the same
    /// day again adds nothing; a later run picks up what changed (payments, promises, replies).
    pub interval_seconds: u64,
}

impl Default for PlannerConfig {
    fn default() -> Self {
        PlannerConfig {
            enabled: true,
            interval_seconds: 3600,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address `serve` listens on.
    pub addr: String,
    /// Largest JSON request body, in bytes.
    pub body_limit_bytes: usize,
    /// Largest import upload (`POST /api/v1/imports`), in bytes.
    pub import_limit_bytes: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `info`, `debug`, or a tracing filter such as `recaudo=debug,sqlx=warn`.
    pub level: String,
    /// `json` (default for `serve`) or `text`.
    pub format: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: "sqlite://recaudo.db".into(),
            server: ServerConfig::default(),
            log: LogConfig::default(),
            planner: PlannerConfig::default(),
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            addr: "127.0.0.1:8080".into(),
            body_limit_bytes: 1 << 20,
            import_limit_bytes: 256 << 20,
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: "info".into(),
            format: "json".into(),
        }
    }
}

impl Config {
    /// Loads the layers. A missing `recaudo.toml` is fine; a missing `--config FILE` is not.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Config> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        match path {
            Some(p) => {
                if !p.exists() {
                    anyhow::bail!("config file {} not found", p.display());
                }
                fig = fig.merge(Toml::file_exact(p));
            }
            None => fig = fig.merge(Toml::file("recaudo.toml")),
        }
        fig.merge(
            Env::prefixed("RECAUDO_")
                .split("__")
                .ignore(&["test_database_url"]),
        )
        .extract()
        .context("configuration")
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment's Jail API returns its own large error type
mod tests {
    use super::*;

    #[test]
    fn the_example_file_documents_every_key_and_parses() {
        let text = include_str!("../../../recaudo.example.toml");
        let parsed: Config = toml_parse(text);
        assert_eq!(parsed, Config::default(), "the example shows the defaults");
    }

    fn toml_parse(text: &str) -> Config {
        Figment::from(Toml::string(text))
            .extract()
            .expect("example parses")
    }

    #[test]
    fn environment_overrides_the_file() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "recaudo.toml",
                "database_url = \"sqlite://from-file.db\"\n[server]\naddr = \"0.0.0.0:9000\"",
            )?;
            jail.set_env("RECAUDO_SERVER__ADDR", "127.0.0.1:7000");
            let c = Config::load(None).map_err(|e| figment::Error::from(format!("{e:#}")))?;
            assert_eq!(c.database_url, "sqlite://from-file.db");
            assert_eq!(c.server.addr, "127.0.0.1:7000");
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_are_errors_naming_them() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("bad.toml", "databse_url = \"x\"")?;
            let err = format!(
                "{:#}",
                Config::load(Some(Path::new("bad.toml"))).unwrap_err()
            );
            assert!(err.contains("databse_url"), "{err}");
            Ok(())
        });
    }
}
