//! A tenant's provider accounts (docs/providers.md, "Provider accounts") and payment accounts
//! (docs/payments.md): the settings every account has in the clear, and the provider's
//! configuration sealed by the caller (it holds the credentials; the store never sees them in
//! the clear). One row per account name and table; saving a name again replaces it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::types::Json;

use crate::sql::{Sql, exec, fetch_all, fetch_optional};
use crate::{Entity, Result, StoreError, TenantStore, on_pool};

/// A provider account as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredAccount {
    /// The tenant's name for it, unique per tenant.
    pub name: String,
    /// The provider's kind (`sandbox`, `twilio_sms`, …).
    pub kind: String,
    /// What every account has whatever its provider (channels, priority, rate, cost, enabled).
    pub settings: serde_json::Value,
    /// The provider's configuration, sealed (`v1.…`): only the installation's key opens it.
    /// Not serialized: nothing outside the dispatcher needs it.
    #[serde(skip)]
    pub config_sealed: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    name: String,
    kind: String,
    settings: Json<serde_json::Value>,
    config_sealed: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<AccountRow> for StoredAccount {
    fn from(row: AccountRow) -> StoredAccount {
        StoredAccount {
            name: row.name,
            kind: row.kind,
            settings: row.settings.0,
            config_sealed: row.config_sealed,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

const ACCOUNT_COLUMNS: &str = "name, kind, settings, config_sealed, created_at, updated_at";

/// Which accounts: the channels' or the payments'. Both are kept the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountTable {
    Provider,
    Payment,
}

impl AccountTable {
    fn table(self) -> &'static str {
        match self {
            AccountTable::Provider => "provider_accounts",
            AccountTable::Payment => "payment_accounts",
        }
    }

    fn entity(self) -> Entity {
        match self {
            AccountTable::Provider => Entity::ProviderAccount,
            AccountTable::Payment => Entity::PaymentAccount,
        }
    }
}

impl TenantStore {
    /// Saves an account under `name`, replacing the one of that name (its creation time
    /// is kept). `created` tells whether the name was new. The caller has checked the account
    /// and sealed its configuration.
    pub async fn put_account(
        &self,
        table: AccountTable,
        name: &str,
        kind: &str,
        settings: serde_json::Value,
        config_sealed: String,
        now: DateTime<Utc>,
    ) -> Result<(StoredAccount, bool)> {
        if name.is_empty() || name.len() > 64 {
            return Err(StoreError::Invalid {
                field: "name".into(),
                message: "must be 1 to 64 characters".into(),
            });
        }
        let existed = self.find_account(table, name).await?.is_some();
        let mut sql = Sql::new(&format!(
            "INSERT INTO {} (tenant_id, {ACCOUNT_COLUMNS}) VALUES ",
            table.table()
        ));
        sql.push_values(vec![
            self.tid.clone().into(),
            name.to_string().into(),
            kind.to_string().into(),
            settings.into(),
            config_sealed.into(),
            now.into(),
            now.into(),
        ])
        .push(
            " ON CONFLICT (tenant_id, name) DO UPDATE SET kind = excluded.kind, \
             settings = excluded.settings, config_sealed = excluded.config_sealed, \
             updated_at = excluded.updated_at",
        );
        on_pool!(self.store, |pool| exec!(sql, pool));
        let stored = self.get_account(table, name).await?;
        Ok((stored, !existed))
    }

    /// The tenant's accounts of a table, by name.
    pub async fn list_accounts(&self, table: AccountTable) -> Result<Vec<StoredAccount>> {
        let mut sql = Sql::new(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM {} WHERE tenant_id = ",
            table.table()
        ));
        sql.push_arg(self.tid.clone()).push(" ORDER BY name");
        let rows = on_pool!(self.store, |pool| fetch_all!(AccountRow, sql, pool));
        Ok(rows.into_iter().map(StoredAccount::from).collect())
    }

    /// One account by name; [`StoreError::NotFound`] when the tenant has none of
    /// that name.
    pub async fn get_account(&self, table: AccountTable, name: &str) -> Result<StoredAccount> {
        self.find_account(table, name)
            .await?
            .ok_or_else(|| StoreError::not_found(table.entity(), name))
    }

    async fn find_account(&self, table: AccountTable, name: &str) -> Result<Option<StoredAccount>> {
        let mut sql = Sql::new(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM {} WHERE tenant_id = ",
            table.table()
        ));
        sql.push_arg(self.tid.clone())
            .push(" AND name = ")
            .push_arg(name.to_string());
        let row = on_pool!(self.store, |pool| fetch_optional!(AccountRow, sql, pool));
        Ok(row.map(StoredAccount::from))
    }

    /// Deletes an account; [`StoreError::NotFound`] when there is none of that name.
    pub async fn delete_account(&self, table: AccountTable, name: &str) -> Result<()> {
        let mut sql = Sql::new(&format!("DELETE FROM {} WHERE tenant_id = ", table.table()));
        sql.push_arg(self.tid.clone())
            .push(" AND name = ")
            .push_arg(name.to_string());
        let deleted = on_pool!(self.store, |pool| exec!(sql, pool));
        if deleted == 0 {
            return Err(StoreError::not_found(table.entity(), name));
        }
        Ok(())
    }

    /// A channel provider account ([`put_account`](Self::put_account) on the providers' table).
    pub async fn put_provider_account(
        &self,
        name: &str,
        kind: &str,
        settings: serde_json::Value,
        config_sealed: String,
        now: DateTime<Utc>,
    ) -> Result<(StoredAccount, bool)> {
        self.put_account(
            AccountTable::Provider,
            name,
            kind,
            settings,
            config_sealed,
            now,
        )
        .await
    }

    pub async fn list_provider_accounts(&self) -> Result<Vec<StoredAccount>> {
        self.list_accounts(AccountTable::Provider).await
    }

    pub async fn get_provider_account(&self, name: &str) -> Result<StoredAccount> {
        self.get_account(AccountTable::Provider, name).await
    }

    pub async fn delete_provider_account(&self, name: &str) -> Result<()> {
        self.delete_account(AccountTable::Provider, name).await
    }
}
