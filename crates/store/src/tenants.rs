//! Tenants and their API keys (stored as SHA-256 hashes, never in clear).

use base64::Engine;
use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};

use recaudo_domain::calendar::Jurisdiction;
use recaudo_domain::portfolio::{Language, Tenant, parse_timezone};
use recaudo_domain::{ApiKeyId, Country, Currency, Secret, TenantId};

use crate::rows::TenantRow;
use crate::sql::{Sql, exec, fetch_all, fetch_optional};
use crate::{Entity, Result, Store, StoreError, TenantStore, on_pool};

/// A tenant to create; unset fields default from the country.
#[derive(Debug, Clone)]
pub struct NewTenant {
    pub name: String,
    pub country: Country,
    pub timezone: Option<String>,
    pub currency: Option<Currency>,
    pub language: Option<Language>,
    /// The country's by default; a state of the country (`BR-SP`) for its own law and holidays.
    pub jurisdiction: Option<Jurisdiction>,
}

impl NewTenant {
    /// A tenant whose time zone, currency and language are its country's.
    pub fn in_country(name: impl Into<String>, country: Country) -> Self {
        NewTenant {
            name: name.into(),
            country,
            timezone: None,
            currency: None,
            language: None,
            jurisdiction: None,
        }
    }
}

/// A tenant with a freshly made API key (the only time the key is seen in clear). Its `Debug`
/// prints the key as `***`.
#[derive(Debug, Clone)]
pub struct TenantKey {
    pub tenant: Tenant,
    pub api_key: Secret<String>,
}

const KEY_PREFIX: &str = "rk_";

/// The hash an API key is stored and looked up by.
pub fn hash_api_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn new_api_key() -> Secret<String> {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    Secret::new(format!(
        "{KEY_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    ))
}

/// The statement that stores a key's hash and a short prefix to recognise it by.
fn insert_api_key(tenant_id: TenantId, api_key: &Secret<String>, now: DateTime<Utc>) -> Sql {
    let api_key = api_key.expose_secret();
    let mut sql =
        Sql::new("INSERT INTO api_keys (id, tenant_id, key_hash, prefix, created_at) VALUES ");
    sql.push_values(vec![
        ApiKeyId::generate().to_string().into(),
        tenant_id.to_string().into(),
        hash_api_key(api_key).into(),
        api_key[..KEY_PREFIX.len() + 6].to_string().into(),
        now.into(),
    ]);
    sql
}

const TENANT_COLUMNS: &str =
    "id, name, country, timezone, currency, language, jurisdiction, created_at";

impl Store {
    /// Creates a tenant and its first API key.
    pub async fn create_tenant(&self, new: NewTenant, now: DateTime<Utc>) -> Result<TenantKey> {
        let name = new.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(StoreError::Invalid {
                field: "name".into(),
                message: "must be 1 to 200 characters".into(),
            });
        }
        let timezone = match new.timezone {
            Some(tz) => parse_timezone(&tz)
                .map_err(|e| StoreError::Invalid {
                    field: "timezone".into(),
                    message: e.to_string(),
                })?
                .name()
                .to_string(),
            None => new.country.default_timezone().name().to_string(),
        };
        let jurisdiction = new.jurisdiction.unwrap_or(new.country.into());
        if jurisdiction.country() != new.country {
            return Err(StoreError::Invalid {
                field: "jurisdiction".into(),
                message: format!(
                    "{jurisdiction} is not in the tenant's country {}",
                    new.country
                ),
            });
        }
        let tenant = Tenant {
            id: TenantId::generate(),
            name,
            country: new.country,
            timezone,
            currency: new.currency.unwrap_or(new.country.currency()),
            language: new.language.unwrap_or(new.country.language()),
            jurisdiction,
            created_at: now,
        };
        let mut sql = Sql::new(&format!("INSERT INTO tenants ({TENANT_COLUMNS}) VALUES "));
        sql.push_values(vec![
            tenant.id.into(),
            tenant.name.clone().into(),
            tenant.country.code().into(),
            tenant.timezone.clone().into(),
            tenant.currency.code().into(),
            tenant.language.as_str().into(),
            tenant.jurisdiction.code().into(),
            now.into(),
        ]);
        let api_key = new_api_key();
        let key_sql = insert_api_key(tenant.id, &api_key, now);
        on_pool!(self, |pool| {
            let mut tx = crate::sql::begin!(pool);
            exec!(sql, &mut *tx);
            exec!(key_sql, &mut *tx);
            tx.commit().await?;
        });
        Ok(TenantKey { tenant, api_key })
    }

    /// Adds another API key to a tenant.
    pub async fn create_api_key(
        &self,
        tenant_id: TenantId,
        now: DateTime<Utc>,
    ) -> Result<Secret<String>> {
        self.get_tenant(tenant_id).await?;
        let api_key = new_api_key();
        let sql = insert_api_key(tenant_id, &api_key, now);
        on_pool!(self, |pool| exec!(sql, pool));
        Ok(api_key)
    }

    /// The tenant a (non-revoked) API key belongs to, if any.
    pub async fn authenticate(&self, api_key: &str) -> Result<Option<Tenant>> {
        if !api_key.starts_with(KEY_PREFIX) {
            return Ok(None);
        }
        // The key's hash is unique: one tenant at most.
        let mut sql = Sql::new(&format!(
            "SELECT {TENANT_COLUMNS} FROM tenants WHERE id IN (SELECT tenant_id FROM api_keys \
             WHERE revoked_at IS NULL AND key_hash = "
        ));
        sql.push_arg(hash_api_key(api_key)).push(")");
        let row = on_pool!(self, |pool| fetch_optional!(TenantRow, sql, pool));
        row.map(TenantRow::into_domain).transpose()
    }

    /// As [`Store::authenticate`], and records when the key was used: the first use after a
    /// minute without one writes `now` (a write per key a minute at most, not one per request).
    pub async fn authenticate_at(
        &self,
        api_key: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Tenant>> {
        #[derive(sqlx::FromRow)]
        struct KeyUse {
            id: String,
            tenant_id: TenantId,
            last_used_at: Option<DateTime<Utc>>,
        }
        if !api_key.starts_with(KEY_PREFIX) {
            return Ok(None);
        }
        let mut sql = Sql::new(
            "SELECT id, tenant_id, last_used_at FROM api_keys WHERE revoked_at IS NULL \
             AND key_hash = ",
        );
        sql.push_arg(hash_api_key(api_key));
        let Some(key) = on_pool!(self, |pool| fetch_optional!(KeyUse, sql, pool)) else {
            return Ok(None);
        };
        if key
            .last_used_at
            .is_none_or(|at| now - at >= chrono::Duration::minutes(1))
        {
            let mut used = Sql::new("UPDATE api_keys SET last_used_at = ");
            used.push_arg(now).push(" WHERE id = ").push_arg(key.id);
            on_pool!(self, |pool| exec!(used, pool));
        }
        self.get_tenant(key.tenant_id).await.map(Some)
    }

    pub async fn get_tenant(&self, id: TenantId) -> Result<Tenant> {
        let mut sql = Sql::new(&format!("SELECT {TENANT_COLUMNS} FROM tenants WHERE id = "));
        sql.push_arg(id);
        let row = on_pool!(self, |pool| fetch_optional!(TenantRow, sql, pool));
        row.ok_or_else(|| StoreError::not_found(Entity::Tenant, id))?
            .into_domain()
    }

    pub async fn list_tenants(&self) -> Result<Vec<Tenant>> {
        let sql = Sql::new(&format!("SELECT {TENANT_COLUMNS} FROM tenants ORDER BY id"));
        let rows = on_pool!(self, |pool| fetch_all!(TenantRow, sql, pool));
        rows.into_iter().map(TenantRow::into_domain).collect()
    }
}

/// What is shown of an API key: never the key nor its hash.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    sqlx::FromRow,
    utoipa::ToSchema,
)]
pub struct ApiKeyInfo {
    #[schema(value_type = String, example = "key_01JD0000000000000000000000")]
    pub id: ApiKeyId,
    /// The key's first characters (`rk_` and six more), to tell keys apart.
    #[schema(example = "rk_Ab3dE9")]
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    /// When it was revoked; `null` while it is valid.
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it last authenticated a request through the API, to the minute; `null`: never.
    pub last_used_at: Option<DateTime<Utc>>,
}

const API_KEY_COLUMNS: &str = "id, prefix, created_at, revoked_at, last_used_at";

impl TenantStore {
    /// The tenant's API keys, revoked ones too, oldest first.
    pub async fn list_api_keys(&self) -> Result<Vec<ApiKeyInfo>> {
        let mut sql = Sql::new(&format!(
            "SELECT {API_KEY_COLUMNS} FROM api_keys WHERE tenant_id = "
        ));
        sql.push_arg(self.tid.clone()).push(" ORDER BY id");
        Ok(on_pool!(self.store, |pool| fetch_all!(
            ApiKeyInfo, sql, pool
        )))
    }

    /// Revokes one of the tenant's API keys: from now on it authenticates nothing (401).
    /// Revoking a revoked key keeps its first revocation time.
    pub async fn revoke_api_key(&self, id: ApiKeyId, now: DateTime<Utc>) -> Result<ApiKeyInfo> {
        let mut sql = Sql::new("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ");
        sql.push_arg(now)
            .push(") WHERE tenant_id = ")
            .push_arg(self.tid.clone())
            .push(" AND id = ")
            .push_arg(id);
        if self.run_tx_counting_first(vec![sql]).await? == 0 {
            return Err(StoreError::not_found(Entity::ApiKey, id));
        }
        let mut read = Sql::new(&format!(
            "SELECT {API_KEY_COLUMNS} FROM api_keys WHERE tenant_id = "
        ));
        read.push_arg(self.tid.clone())
            .push(" AND id = ")
            .push_arg(id);
        let row = on_pool!(self.store, |pool| fetch_optional!(ApiKeyInfo, read, pool));
        row.ok_or_else(|| StoreError::not_found(Entity::ApiKey, id))
    }
}
