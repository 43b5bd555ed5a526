//! Configuration: defaults, then `recaudo.toml` (or `--config FILE`), then `RECAUDO_*`
//! environment variables (nested keys with `__`, e.g. `RECAUDO_SERVER__ADDR`), then command-line
//! flags. `recaudo.example.toml` documents every key.

use std::fmt;
use std::path::Path;

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Toml};
use recaudo_domain::Secret;
use serde::{Deserialize, Serialize};

// Not `Serialize`: the database URL may hold a password; the defaults come from `Default`
// through `#[serde(default)]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `sqlite://FILE` or `postgres://USER@HOST:PORT/DB`.
    pub database_url: DatabaseUrl,
    pub server: ServerConfig,
    pub log: LogConfig,
    pub planner: PlannerConfig,
    pub dispatch: DispatchConfig,
    pub inbound_smtp: InboundSmtpConfig,
    pub secrets: SecretsConfig,
    /// Provider accounts of the installation (`[[providers]]`), for a single-tenant install:
    /// each as a tenant saves one (`name`, `channels`, …, `config`), checked at start.
    pub providers: Vec<serde_json::Value>,
}

/// Keys of the installation.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecretsConfig {
    /// The key that seals provider accounts' credentials at rest: 32 bytes as 64 hex digits or
    /// base64 (`recaudo secrets new-key` makes one). Without it, provider accounts cannot be
    /// saved.
    pub key: Option<Secret<String>>,
}

impl PartialEq for SecretsConfig {
    fn eq(&self, other: &Self) -> bool {
        self.key.as_ref().map(Secret::expose_secret)
            == other.key.as_ref().map(Secret::expose_secret)
    }
}

impl SecretsConfig {
    /// The sealing key, read; `None` when none is configured, an error naming the key when it
    /// does not read (never showing it).
    pub fn sealing_key(
        &self,
    ) -> anyhow::Result<Option<std::sync::Arc<recaudo_channels::seal::SealingKey>>> {
        let Some(text) = &self.key else {
            return Ok(None);
        };
        let key = recaudo_channels::seal::SealingKey::parse(text)
            .map_err(|e| anyhow::anyhow!("configuration: secrets.key: {e}"))?;
        Ok(Some(std::sync::Arc::new(key)))
    }
}

/// The database URL. It may carry a password (`postgres://USER:PASSWORD@HOST/DB`, or a
/// `password=` parameter): `Debug` shows the URL with the password as `***`.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct DatabaseUrl(Secret<String>);

impl DatabaseUrl {
    /// The URL itself, to connect with.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The URL with its password (in the user part or a `password=` parameter) as `***`.
    pub fn redacted(&self) -> String {
        recaudo_domain::secret::redact_url(self.expose())
    }
}

impl From<String> for DatabaseUrl {
    fn from(url: String) -> Self {
        DatabaseUrl(Secret::new(url))
    }
}

impl std::str::FromStr for DatabaseUrl {
    type Err = std::convert::Infallible;

    fn from_str(url: &str) -> Result<Self, Self::Err> {
        Ok(DatabaseUrl::from(url.to_string()))
    }
}

impl PartialEq for DatabaseUrl {
    fn eq(&self, other: &Self) -> bool {
        self.expose() == other.expose()
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.redacted())
    }
}

/// The built-in SMTP receiver: debtors' email replies, addressed `r+TOKEN@` the accounts'
/// `reply_domain` (whose MX, or a relaying MTA, points here). No TLS and no AUTH: listen on
/// localhost behind the MTA, or on a private network.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct InboundSmtpConfig {
    /// Whether `serve` runs it.
    pub enabled: bool,
    pub listen: String,
    /// The name it greets with.
    pub hostname: String,
    /// The largest message taken, in bytes (a larger one is refused with 552).
    pub max_message_bytes: usize,
    /// The tenant (`ten_…`) that takes mail whose address names no contact (a single-tenant
    /// install); without it such mail is refused with 550.
    pub tenant: Option<String>,
}

impl Default for InboundSmtpConfig {
    fn default() -> Self {
        InboundSmtpConfig {
            enabled: false,
            listen: "127.0.0.1:2525".into(),
            hostname: "localhost".into(),
            max_message_bytes: 10 << 20,
            tenant: None,
        }
    }
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

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DispatchConfig {
    /// Whether `serve` sends what the planner planned.
    pub enabled: bool,
    /// Channels without a provider account of the tenant go to the built-in sandbox (which
    /// sends nothing anywhere). Off: such contacts fail as `no_provider`.
    pub sandbox: bool,
    /// Contacts claimed at a time.
    pub batch: usize,
    /// Sends in flight at once, per worker.
    pub concurrency: usize,
    /// Batches worked on at once (one is written while the next is read, rendered and sent).
    pub workers: usize,
    /// Seconds a claim holds before another worker may take the contact over.
    pub lease_seconds: u64,
    /// Milliseconds between passes when there is nothing to send.
    pub idle_millis: u64,
    /// Where the installation is reached from outside (links in messages, provider callbacks).
    pub public_url: Option<String>,
    /// Where letters' PDFs and daily batches are written.
    pub letters_dir: std::path::PathBuf,
}

impl Default for DispatchConfig {
    fn default() -> Self {
        DispatchConfig {
            enabled: true,
            sandbox: false,
            batch: 500,
            concurrency: 64,
            workers: 2,
            lease_seconds: 120,
            idle_millis: 1000,
            public_url: None,
            letters_dir: "letters".into(),
        }
    }
}

impl Config {
    /// The installation's provider accounts, each checked; an error names the account and the
    /// field (`providers[0].config.auth_token: is required`).
    pub fn provider_accounts(&self) -> anyhow::Result<Vec<recaudo_channels::ProviderAccount>> {
        let mut accounts = Vec::with_capacity(self.providers.len());
        for (i, value) in self.providers.iter().enumerate() {
            let account: recaudo_channels::ProviderAccount =
                serde_path_to_error::deserialize(value.clone()).map_err(|e| {
                    // The settings are flattened into the account: serde names no path there.
                    let path = e.path().to_string();
                    let at = if path == "." {
                        String::new()
                    } else {
                        format!(".{path}")
                    };
                    anyhow::anyhow!("configuration: providers[{i}]{at}: {}", e.inner())
                })?;
            account
                .validate()
                .map_err(|e| anyhow::anyhow!("configuration: providers[{i}].{e}"))?;
            accounts.push(account);
        }
        Ok(accounts)
    }
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
            database_url: DatabaseUrl::from("sqlite://recaudo.db".to_string()),
            server: ServerConfig::default(),
            log: LogConfig::default(),
            planner: PlannerConfig::default(),
            dispatch: DispatchConfig::default(),
            inbound_smtp: InboundSmtpConfig::default(),
            secrets: SecretsConfig::default(),
            providers: Vec::new(),
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
        let mut fig = Figment::new();
        match path {
            Some(path) => {
                if !path.exists() {
                    anyhow::bail!("config file {} not found", path.display());
                }
                fig = fig.merge(Toml::file_exact(path));
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

    #[test]
    fn installation_accounts_are_checked_naming_the_field() {
        let config = toml_parse(
            "[[providers]]\nname = \"house-sms\"\nchannels = [\"sms\"]\n[providers.config]\nkind = \"twilio_sms\"\naccount_sid = \"AC0123456789abcdef0123456789abcdef\"\nauth_token = \"\"\nfrom = \"+15005550006\"\n",
        );
        let error = config
            .provider_accounts()
            .expect_err("no token")
            .to_string();
        assert!(error.contains("providers[0].config.auth_token"), "{error}");
        let config = toml_parse(
            "[[providers]]\nname = \"house\"\nchannels = [\"email\"]\n[providers.config]\nkind = \"sandbox\"\n",
        );
        let accounts = config.provider_accounts().expect("valid");
        assert_eq!(accounts[0].name, "house");
        let config = toml_parse(
            "[[providers]]\nname = \"x\"\nchannels = [\"fax\"]\n[providers.config]\nkind = \"sandbox\"\n",
        );
        let error = config.provider_accounts().expect_err("no fax").to_string();
        assert!(
            error.contains("providers[0]: unknown variant `fax`"),
            "{error}"
        );
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
            let config = Config::load(None).map_err(|e| figment::Error::from(format!("{e:#}")))?;
            assert_eq!(config.database_url.expose(), "sqlite://from-file.db");
            assert_eq!(config.server.addr, "127.0.0.1:7000");
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

    #[test]
    fn database_urls_print_without_their_password() {
        // The rule itself is `recaudo_domain::secret::redact_url`'s, tested there.
        let url = DatabaseUrl::from("postgres://app:pw@db/r?password=pw2".to_string());
        let shown = "postgres://app:***@db/r?password=***";
        assert_eq!(url.redacted(), shown);
        assert_eq!(format!("{url:?}"), format!("{shown:?}"));
        assert_eq!(url.expose(), "postgres://app:pw@db/r?password=pw2");
    }

    /// A writer into a shared buffer, for a subscriber whose output the test reads.
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("log buffer").extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn secrets_never_reach_the_logs() {
        const PASSWORD: &str = "s3cr3t-Pa55word";
        let mut loaded = None;
        figment::Jail::expect_with(|jail| {
            jail.set_env(
                "RECAUDO_DATABASE_URL",
                format!("postgres://recaudo:{PASSWORD}@db.example:5432/recaudo"),
            );
            loaded = Some(Config::load(None).map_err(|e| figment::Error::from(format!("{e:#}")))?);
            Ok(())
        });
        let config = loaded.expect("the config loaded");
        assert!(config.database_url.expose().contains(PASSWORD));

        let store = recaudo_store::Store::open(&recaudo_store::testing::fresh_sqlite_url())
            .await
            .expect("open sqlite");
        let tk = store
            .create_tenant(
                recaudo_store::NewTenant::in_country("Luz do Vale", recaudo_domain::Country::Br),
                chrono::Utc::now(),
            )
            .await
            .expect("create tenant");
        let key = tk.api_key.expose_secret().clone();

        let out = Captured::default();
        let writer = out.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(?config, ?tk, api_key = ?tk.api_key, "structured");
            tracing::info!("formatted: {config:?} {tk:?} {}", tk.api_key);
        });
        let logged = String::from_utf8(out.0.lock().expect("log buffer").clone()).expect("UTF-8");
        assert!(
            logged.contains("structured") && logged.contains("formatted"),
            "{logged}"
        );
        assert!(
            logged.contains("db.example"),
            "the URL is logged, redacted: {logged}"
        );
        assert!(logged.contains("***"), "{logged}");
        assert!(!logged.contains(PASSWORD), "{logged}");
        assert!(!logged.contains(&key), "{logged}");
        assert!(!logged.contains(&key[..12]), "{logged}");
    }
}
