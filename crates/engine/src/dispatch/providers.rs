//! A tenant's providers, built from its accounts: which account sends each channel, at what
//! rate, at what cost.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use tokio::sync::Mutex;

use recaudo_channels::seal::SealingKey;
use recaudo_channels::{AccountSettings, Provider, ProviderAccount, ProviderConfig, ProviderEnv};
use recaudo_domain::portfolio::Channel;
use recaudo_domain::{Money, Secret};
use recaudo_store::TenantStore;

/// One account, built.
pub struct Account {
    pub name: String,
    pub settings: AccountSettings,
    pub provider: Provider,
    limiter: Option<Limiter>,
}

impl Account {
    pub fn new(name: String, settings: AccountSettings, provider: Provider) -> Account {
        let limiter = settings.rate_per_second.map(Limiter::new);
        Account {
            name,
            settings,
            provider,
            limiter,
        }
    }

    /// Waits for the account's next free slot (its rate limit).
    pub async fn slot(&self) {
        if let Some(limiter) = &self.limiter {
            limiter.wait().await;
        }
    }

    /// What one message on `channel` costs, as configured.
    pub fn cost(&self, channel: Channel) -> Option<Money> {
        self.settings.cost.get(&channel).copied()
    }
}

/// A rate limit: sends are spaced `1/rate` apart.
struct Limiter {
    spacing: Duration,
    next: Mutex<Instant>,
}

impl Limiter {
    fn new(rate: u32) -> Limiter {
        Limiter {
            spacing: Duration::from_secs_f64(1.0 / f64::from(rate.max(1))),
            next: Mutex::new(Instant::now()),
        }
    }

    async fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let slot = (*next).max(now);
            *next = slot + self.spacing;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

/// The tenant's accounts by channel, in the order they are used.
#[derive(Default, Clone)]
pub struct Providers {
    by_channel: BTreeMap<Channel, Vec<Arc<Account>>>,
    by_name: BTreeMap<String, Arc<Account>>,
}

impl Providers {
    pub fn add(&mut self, account: Account) {
        let account = Arc::new(account);
        for channel in &account.settings.channels {
            let list = self.by_channel.entry(*channel).or_default();
            list.push(account.clone());
            list.sort_by_key(|a| a.settings.priority);
        }
        self.by_name.insert(account.name.clone(), account);
    }

    /// Adds an account another set holds too (the sandbox keeps its reports in memory).
    pub fn add_shared(&mut self, account: Arc<Account>) {
        for channel in &account.settings.channels {
            let list = self.by_channel.entry(*channel).or_default();
            if list.iter().all(|a| a.name != account.name) {
                list.push(account.clone());
                list.sort_by_key(|a| a.settings.priority);
            }
        }
        self.by_name.insert(account.name.clone(), account);
    }

    /// The account that sends `channel` (the enabled one of lowest priority).
    pub fn for_channel(&self, channel: Channel) -> Option<&Arc<Account>> {
        self.by_channel
            .get(&channel)?
            .iter()
            .find(|a| a.settings.enabled)
    }

    pub fn by_name(&self, name: &str) -> Option<&Arc<Account>> {
        self.by_name.get(name)
    }

    pub fn accounts(&self) -> impl Iterator<Item = &Arc<Account>> {
        self.by_name.values()
    }

    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// A sandbox account for every channel (the demo's, and a development install's).
    pub fn sandbox(
        env: &ProviderEnv,
        config: recaudo_channels::providers::sandbox::Config,
    ) -> Providers {
        let mut providers = Providers::default();
        let settings = AccountSettings {
            channels: vec![
                Channel::Email,
                Channel::Sms,
                Channel::Whatsapp,
                Channel::Voice,
                Channel::Letter,
            ],
            // Behind every account of the tenant's own.
            priority: i32::MAX,
            rate_per_second: None,
            cost: BTreeMap::new(),
            enabled: true,
        };
        if let Ok(provider) = ProviderConfig::Sandbox(config).build(env) {
            providers.add(Account::new("sandbox".into(), settings, provider));
        }
        providers
    }

    /// The tenant's saved accounts, opened with `key` and built. An account that no longer
    /// opens or builds is left out with an error logged (its channel then has no provider).
    pub async fn load(
        ts: &TenantStore,
        key: Option<&SealingKey>,
        env: &ProviderEnv,
    ) -> recaudo_store::Result<Providers> {
        let mut providers = Providers::default();
        for stored in ts.list_provider_accounts().await? {
            match open_account(&stored, key).and_then(|account| {
                let name = account.name.clone();
                let settings = account.settings.clone();
                account
                    .config
                    .build(env)
                    .map(|provider| Account::new(name, settings, provider))
                    .map_err(|e| e.to_string())
            }) {
                Ok(account) => providers.add(account),
                Err(error) => tracing::error!(
                    tenant = %ts.tenant().id,
                    account = %stored.name,
                    %error,
                    "a provider account cannot be used"
                ),
            }
        }
        // The installation's own accounts come after the tenant's, and a tenant's account of
        // the same name wins.
        for account in env.installation_accounts.iter() {
            if providers.by_name(&account.name).is_some() {
                continue;
            }
            let mut settings = account.settings.clone();
            settings.priority = settings.priority.saturating_add(INSTALLATION_PRIORITY);
            match account.config.clone().build(env) {
                Ok(provider) => {
                    providers.add(Account::new(account.name.clone(), settings, provider))
                }
                Err(error) => tracing::error!(
                    account = %account.name, %error,
                    "an installation provider account cannot be used"
                ),
            }
        }
        Ok(providers)
    }
}

/// How far behind a tenant's own accounts the installation's come.
const INSTALLATION_PRIORITY: i32 = 1_000_000;

/// A stored account back as the tenant saved it.
pub fn open_account(
    stored: &recaudo_store::StoredAccount,
    key: Option<&SealingKey>,
) -> Result<ProviderAccount, String> {
    let key = key.ok_or("no secrets key is configured ([secrets] key)")?;
    let config = key.open(&stored.config_sealed).map_err(|e| e.to_string())?;
    let config: ProviderConfig =
        serde_json::from_slice(&config).map_err(|e| format!("config: {e}"))?;
    let settings: AccountSettings =
        serde_json::from_value(stored.settings.clone()).map_err(|e| format!("settings: {e}"))?;
    Ok(ProviderAccount {
        name: stored.name.clone(),
        settings,
        config,
    })
}

/// The sealing key from its configured text.
pub fn sealing_key(text: &Secret<String>) -> Result<SealingKey, recaudo_channels::seal::SealError> {
    SealingKey::parse(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_rate_limit_spaces_sends_evenly() {
        let limiter = Limiter::new(4);
        let start = Instant::now();
        let mut at = vec![];
        for _ in 0..5 {
            limiter.wait().await;
            at.push(start.elapsed().as_millis());
        }
        assert_eq!(at, vec![0, 250, 500, 750, 1000]);
    }
}
