//! A provider account: a tenant's configured provider, the channels it serves, its rate limit
//! and cost. Saved over the API or CLI (or one in `recaudo.toml` for a single-tenant install),
//! its configuration sealed at rest ([`crate::seal`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use recaudo_domain::Money;
use recaudo_domain::portfolio::Channel;

use crate::{ConfigError, ProviderConfig};

/// What every account has whatever its provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountSettings {
    /// The channels this account sends on; the first account of a channel (by `priority`) is
    /// used.
    pub channels: Vec<Channel>,
    /// Lower is used first when several accounts serve a channel.
    #[serde(default)]
    pub priority: i32,
    /// At most this many sends a second (the provider's own limit, or the tenant's budget).
    #[serde(default)]
    pub rate_per_second: Option<u32>,
    /// What one message costs, per channel, when the provider does not say.
    #[serde(default)]
    pub cost: BTreeMap<Channel, Money>,
    #[serde(default = "enabled")]
    pub enabled: bool,
}

fn enabled() -> bool {
    true
}

/// A provider account as saved: `{"name": "twilio-main", "channels": ["sms"], "config": {"kind":
/// "twilio_sms", …}}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderAccount {
    /// The tenant's name for it, unique per tenant; webhooks of the account are addressed by it.
    pub name: String,
    #[serde(flatten)]
    pub settings: AccountSettings,
    pub config: ProviderConfig,
}

impl ProviderAccount {
    /// Checks the account when it is saved, naming the field at fault.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let name_ok = !self.name.is_empty()
            && self.name.len() <= 64
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !name_ok {
            return Err(ConfigError::new(
                "name",
                "must be 1 to 64 letters, digits, '-' or '_'",
            ));
        }
        if self.settings.channels.is_empty() {
            return Err(ConfigError::new(
                "channels",
                "must name at least one channel",
            ));
        }
        if self.settings.rate_per_second == Some(0) {
            return Err(ConfigError::new(
                "rate_per_second",
                "must be at least 1 (leave it out for no limit)",
            ));
        }
        for (channel, cost) in &self.settings.cost {
            if !self.settings.channels.contains(channel) {
                return Err(ConfigError::new(
                    format!("cost.{channel}"),
                    "is a channel the account does not send on",
                ));
            }
            if cost.amount.is_sign_negative() {
                return Err(ConfigError::new(
                    format!("cost.{channel}"),
                    "must not be negative",
                ));
            }
        }
        self.config
            .validate()
            .map_err(|e| ConfigError::new(format!("config.{}", e.field), e.message))
    }
}
