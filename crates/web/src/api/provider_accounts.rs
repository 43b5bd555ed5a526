//! A tenant's provider accounts (docs/providers.md, "Provider accounts"): saved checked, their
//! configuration sealed under the installation's key (`[secrets] key`), never answered with a
//! secret (credentials read `"***"`).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use recaudo_channels::seal::SealingKey;
use recaudo_channels::{AccountSettings, ProviderAccount, ProviderConfig};
use recaudo_domain::Money;
use recaudo_domain::portfolio::Channel;
use recaudo_store::StoredAccount;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::extract::{ApiJson, Ctx, parse_json};
use crate::problem::Problem;

/// A provider account as the API shows it: its settings, and its configuration with every
/// credential masked (`"***"`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "name": "twilio-main", "kind": "twilio_sms", "channels": ["sms"], "priority": 0,
    "rate_per_second": 10, "cost": {"sms": {"amount": "0.0079", "currency": "USD"}},
    "enabled": true,
    "config": {"kind": "twilio_sms", "account_sid": "AC0123456789abcdef0123456789abcdef",
               "auth_token": "***", "from": "+15005550006"},
    "created_at": "2026-12-01T12:00:00Z", "updated_at": "2026-12-01T12:00:00Z"
}))]
pub struct ProviderAccountView {
    /// The tenant's name for it, unique per tenant.
    pub name: String,
    /// The provider (`sandbox`, `smtp`, `twilio_sms`, …).
    pub kind: String,
    /// The channels it sends on.
    pub channels: Vec<Channel>,
    /// Lower is used first when several accounts serve a channel.
    pub priority: i32,
    /// At most this many sends a second; `null`: no limit of ours.
    pub rate_per_second: Option<u32>,
    /// What one message costs, per channel, when the provider does not say.
    pub cost: BTreeMap<Channel, Money>,
    pub enabled: bool,
    /// The provider's configuration with its credentials as `"***"`; `null` when the
    /// installation has no key to open it (or it was sealed under another key).
    #[schema(value_type = Option<Object>)]
    pub config: Option<serde_json::Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A provider account to save: the settings every account has and the provider's
/// configuration (`kind` and its own fields, docs/providers.md).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(example = json!({
    "name": "twilio-main", "channels": ["sms"], "rate_per_second": 10,
    "cost": {"sms": {"amount": "0.0079", "currency": "USD"}},
    "config": {"kind": "twilio_sms", "account_sid": "AC0123456789abcdef0123456789abcdef",
               "auth_token": "<auth token>", "from": "+15005550006"}
}))]
pub struct ProviderAccountInput {
    /// 1 to 64 letters, digits, `-` or `_`; saving a name again replaces that account.
    pub name: String,
    pub channels: Vec<Channel>,
    #[serde(default)]
    pub priority: i32,
    #[serde(default)]
    pub rate_per_second: Option<u32>,
    #[serde(default)]
    pub cost: BTreeMap<Channel, Money>,
    /// Default `true`.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// `{"kind": "<provider>", …}` with the provider's fields.
    #[schema(value_type = Object)]
    pub config: serde_json::Value,
}

/// The tenant's provider accounts, by name.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProviderAccountList {
    pub items: Vec<ProviderAccountView>,
}

/// The 409 for a save without `[secrets] key`: credentials are never stored in the clear.
pub fn no_sealing_key() -> Problem {
    Problem::new(StatusCode::CONFLICT, "no-sealing-key", "No sealing key").with_detail(
        "this installation has no key to encrypt provider credentials: set `[secrets] key` in \
         recaudo.toml (or RECAUDO_SECRETS__KEY; `recaudo secrets new-key` makes one) and restart",
    )
}

/// Reads and checks a provider account document (JSON), naming the field at fault: 400 for a
/// field of the wrong shape, 422 for a value refused (`config.auth_token`).
pub fn check(document: &serde_json::Value) -> Result<ProviderAccount, Problem> {
    check_document(document, |account: &ProviderAccount| {
        account.validate().map_err(|e| (e.field, e.message))
    })
}

/// Reads an account document (channel or payment) as `T` and checks it with `validate`, which
/// names the field at fault: 400 for a field of the wrong shape, 422 for a value refused.
pub fn check_document<T: serde::de::DeserializeOwned>(
    document: &serde_json::Value,
    validate: impl FnOnce(&T) -> Result<(), (String, String)>,
) -> Result<T, Problem> {
    let text = serde_json::to_vec(document).map_err(|e| Problem::malformed_json(e.to_string()))?;
    let account: T = parse_json(&text)?;
    validate(&account).map_err(|(field, message)| Problem::invalid_field(field, message))?;
    Ok(account)
}

/// An account document's `config` exactly as sent, sealed under `key` (serializing the checked
/// configuration would mask its credentials).
pub fn seal_config(document: &serde_json::Value, key: &SealingKey) -> Result<String, Problem> {
    let config = document
        .get("config")
        .ok_or_else(|| Problem::bad_field(Some("config".into()), "missing field `config`"))?;
    let plain = serde_json::to_vec(config).map_err(|e| Problem::malformed_json(e.to_string()))?;
    Ok(key.seal(&plain))
}

/// Checks a provider account document (JSON) and seals its configuration: the account as read
/// (for its settings and its masked configuration) and the sealed configuration exactly as
/// sent. The CLI saves accounts through the same function.
pub fn check_and_seal(
    document: &serde_json::Value,
    key: &SealingKey,
) -> Result<(ProviderAccount, String), Problem> {
    let account = check(document)?;
    Ok((account, seal_config(document, key)?))
}

/// The view of a stored account; its configuration opened with `key` and masked.
pub fn view(stored: StoredAccount, key: Option<&SealingKey>) -> ProviderAccountView {
    let settings: Option<AccountSettings> = serde_json::from_value(stored.settings).ok();
    let config = key
        .and_then(|key| key.open(&stored.config_sealed).ok())
        .and_then(|plain| serde_json::from_slice::<ProviderConfig>(&plain).ok())
        .and_then(|config| serde_json::to_value(&config).ok());
    let settings = settings.unwrap_or(AccountSettings {
        channels: vec![],
        priority: 0,
        rate_per_second: None,
        cost: BTreeMap::new(),
        enabled: false,
    });
    ProviderAccountView {
        name: stored.name,
        kind: stored.kind,
        channels: settings.channels,
        priority: settings.priority,
        rate_per_second: settings.rate_per_second,
        cost: settings.cost,
        enabled: settings.enabled,
        config,
        created_at: stored.created_at,
        updated_at: stored.updated_at,
    }
}

/// Lists the tenant's provider accounts by name, credentials masked.
#[utoipa::path(get, path = "/api/v1/provider-accounts", operation_id = "list_provider_accounts", tag = "provider accounts",
    responses((status = 200, description = "The tenant's provider accounts, by name", body = ProviderAccountList)))]
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<ProviderAccountList>, Problem> {
    let key = state.sealing_key.as_deref();
    let items = ctx
        .ts
        .list_provider_accounts()
        .await?
        .into_iter()
        .map(|stored| view(stored, key))
        .collect();
    Ok(Json(ProviderAccountList { items }))
}

/// Saves a provider account: checked (a missing or wrong field is named, e.g.
/// `config.auth_token`), its configuration sealed under the installation's key, stored under
/// its name (replacing the account of that name). The answer masks every credential.
#[utoipa::path(post, path = "/api/v1/provider-accounts", operation_id = "put_provider_account", tag = "provider accounts",
    request_body = ProviderAccountInput,
    responses(
        (status = 201, description = "Saved as a new account", body = ProviderAccountView),
        (status = 200, description = "Replaced the account of that name", body = ProviderAccountView),
        (status = 409, description = "`no-sealing-key`: the installation has no `[secrets] key`; nothing is stored", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`invalid-field`: `field` names the setting or configuration field at fault (`config.auth_token`)", body = crate::problem::Problem, content_type = "application/problem+json")))]
pub async fn put(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(document): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<ProviderAccountView>), Problem> {
    let Some(key) = state.sealing_key.as_deref() else {
        // The document is still checked first: its faults are worth knowing either way.
        check(&document)?;
        return Err(no_sealing_key());
    };
    let (account, sealed) = check_and_seal(&document, key)?;
    let settings = serde_json::to_value(&account.settings).map_err(|e| {
        tracing::error!(error = %e, "serialising account settings");
        Problem::internal()
    })?;
    let (stored, created) = ctx
        .ts
        .put_provider_account(
            &account.name,
            account.config.kind().as_str(),
            settings,
            sealed,
            ctx.now,
        )
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(view(stored, Some(key)))))
}

/// Reads one provider account, credentials masked.
#[utoipa::path(get, path = "/api/v1/provider-accounts/{name}", operation_id = "get_provider_account", tag = "provider accounts",
    params(("name" = String, Path, description = "The account's name")),
    responses((status = 200, description = "The account", body = ProviderAccountView)))]
pub async fn get(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(name): Path<String>,
) -> Result<Json<ProviderAccountView>, Problem> {
    let stored = ctx.ts.get_provider_account(&name).await?;
    Ok(Json(view(stored, state.sealing_key.as_deref())))
}

/// Deletes a provider account: its channels are no longer sent on through it.
#[utoipa::path(delete, path = "/api/v1/provider-accounts/{name}", operation_id = "delete_provider_account", tag = "provider accounts",
    params(("name" = String, Path, description = "The account's name")),
    responses((status = 204, description = "Deleted")))]
pub async fn delete(ctx: Ctx, Path(name): Path<String>) -> Result<StatusCode, Problem> {
    ctx.ts.delete_provider_account(&name).await?;
    Ok(StatusCode::NO_CONTENT)
}
