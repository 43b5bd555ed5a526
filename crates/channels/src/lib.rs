//! recaudo's channels: the message templates, and one provider per protocol behind one trait
//! (GUIDE §7).
//!
//! A provider file (`providers/<name>.rs`) holds that provider's configuration, its wire types
//! and the mapping between them and ours ([`message`]), nothing else. [`ProviderConfig`] is what
//! a tenant saves (checked when saved: [`ProviderConfig::validate`]); [`Provider`] is the built
//! provider the dispatcher sends through and the web layer hands webhooks to, always
//! [`ChannelProvider::verify`] before [`ChannelProvider::parse_webhook`].

#![forbid(unsafe_code)]

pub mod account;
pub mod error;
pub mod inbound_email;
pub mod links;
pub mod message;
pub mod providers;
pub mod seal;
pub mod signature;
pub mod smtp_receiver;
pub mod templates;

use std::future::Future;
use std::path::PathBuf;

pub use account::{AccountSettings, ProviderAccount};
pub use error::{ConfigError, SendError, WebhookError};
pub use inbound_email::InboundEmail;
pub use message::{
    Capabilities, Content, EmailContent, EventKind, LetterContent, MAX_REPLY_BYTES,
    OutboundMessage, ProviderAck, ProviderEvent, SmsContent, SmsEncoding, VoiceContent,
    WebhookReply, WebhookRequest, WhatsappContent, bounded_reply_text,
};

/// One protocol to the outside world.
pub trait ChannelProvider {
    fn capabilities(&self) -> Capabilities;

    /// Hands one message to the provider. The message's idempotency key goes with it (a header,
    /// a deterministic `Message-ID`), so a re-send after a crash is recognisably the same.
    fn send(
        &self,
        message: &OutboundMessage,
    ) -> impl Future<Output = Result<ProviderAck, SendError>> + Send;

    /// Checks a webhook's signature (or verification token) before anything of it is read.
    fn verify(&self, request: &WebhookRequest) -> Result<(), WebhookError>;

    /// Reads a verified webhook: the events it reports and what to answer.
    fn parse_webhook(
        &self,
        request: &WebhookRequest,
    ) -> Result<(Vec<ProviderEvent>, WebhookReply), WebhookError>;
}

/// What building a provider may use besides its configuration.
#[derive(Clone)]
pub struct ProviderEnv {
    /// One HTTP client (pooled connections) shared by every HTTP provider.
    pub http: reqwest::Client,
    /// Where the letter provider writes its PDFs and daily batches.
    pub letters_dir: PathBuf,
    /// The installation's public base URL (`https://collect.example.com`), for status callbacks.
    pub public_url: Option<String>,
    /// Accounts of the installation itself (`[[providers]]` in `recaudo.toml`, for a
    /// single-tenant install): every tenant may send through them, after its own.
    pub installation_accounts: std::sync::Arc<Vec<ProviderAccount>>,
}

impl ProviderEnv {
    /// An environment with one pooled HTTP client (10 s to connect, 30 s a request).
    pub fn new(letters_dir: PathBuf, public_url: Option<String>) -> ProviderEnv {
        ProviderEnv {
            http: http_client(),
            letters_dir,
            public_url,
            installation_accounts: Default::default(),
        }
    }
}

/// The HTTP client providers share: rustls with the ring provider (installed once; reqwest
/// panics without one), pooled connections, bounded waits.
pub fn http_client() -> reqwest::Client {
    // Err means a provider is installed already, which is as good.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(10))
        .timeout(std::time::Duration::from_secs(30))
        .pool_max_idle_per_host(64)
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

/// Declares the providers: one line each, `Variant => module, "kind"`. Each module has a
/// `Config` (`Deserialize` with secrets as [`recaudo_domain::Secret`], `Serialize` masking
/// them, `validate`) and a `Provider` (`new(Config, &ProviderEnv)`, [`ChannelProvider`]).
macro_rules! providers {
    ($($variant:ident => $module:ident, $kind:literal;)*) => {
        /// The kinds of provider there are.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum ProviderKind { $($variant),* }

        impl ProviderKind {
            pub const ALL: &[ProviderKind] = &[$(ProviderKind::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $(ProviderKind::$variant => $kind),* }
            }

            pub fn parse(text: &str) -> Option<ProviderKind> {
                match text { $($kind => Some(ProviderKind::$variant),)* _ => None }
            }
        }

        impl std::fmt::Display for ProviderKind {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// A provider's configuration as a tenant saves it: `{"kind": "twilio_sms", …}`.
        #[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
        #[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
        pub enum ProviderConfig { $($variant(providers::$module::Config)),* }

        impl ProviderConfig {
            pub fn kind(&self) -> ProviderKind {
                match self { $(ProviderConfig::$variant(_) => ProviderKind::$variant),* }
            }

            /// Checks every field, naming the first that is missing or wrong.
            pub fn validate(&self) -> Result<(), ConfigError> {
                match self { $(ProviderConfig::$variant(config) => config.validate()),* }
            }

            /// Builds the provider.
            pub fn build(self, env: &ProviderEnv) -> Result<Provider, ConfigError> {
                self.validate()?;
                Ok(match self {
                    $(ProviderConfig::$variant(config) => {
                        Provider::$variant(providers::$module::Provider::new(config, env)?)
                    })*
                })
            }
        }

        /// A built provider.
        pub enum Provider { $($variant(providers::$module::Provider)),* }

        impl Provider {
            pub fn kind(&self) -> ProviderKind {
                match self { $(Provider::$variant(_) => ProviderKind::$variant),* }
            }
        }

        impl ChannelProvider for Provider {
            fn capabilities(&self) -> Capabilities {
                match self { $(Provider::$variant(p) => p.capabilities()),* }
            }

            async fn send(&self, message: &OutboundMessage) -> Result<ProviderAck, SendError> {
                match self { $(Provider::$variant(p) => p.send(message).await),* }
            }

            fn verify(&self, request: &WebhookRequest) -> Result<(), WebhookError> {
                match self { $(Provider::$variant(p) => p.verify(request)),* }
            }

            fn parse_webhook(
                &self,
                request: &WebhookRequest,
            ) -> Result<(Vec<ProviderEvent>, WebhookReply), WebhookError> {
                match self { $(Provider::$variant(p) => p.parse_webhook(request)),* }
            }
        }
    };
}

providers! {
    Sandbox => sandbox, "sandbox";
    WhatsappCloud => whatsapp_cloud, "whatsapp_cloud";
    Webhook => webhook, "webhook";
    TwilioSms => twilio_sms, "twilio_sms";
    TwilioVoice => twilio_voice, "twilio_voice";
    HttpSms => http_sms, "http_sms";
    Smtp => smtp, "smtp";
    Letter => letter, "letter";
}
