//! The tenant's own contact rules, versioned: one row per version holding the YAML as submitted
//! (docs/policy.md, "The tenant's rules"). The latest version applies; a change is a new
//! version, checked against the tenant's jurisdiction before it is stored.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use recaudo_domain::policy::{ContactRules, Preset};

use crate::sql::{Sql, fetch_all, fetch_optional};
use crate::{Entity, Result, StoreError, TenantStore, on_pool};

/// One stored version of a tenant's contact rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({
    "version": 2,
    "source": "windows:\n  sms:\n    mon-fri: [\"08:00-18:00\"]\n    sat: []\n    sun: []\n",
    "created_at": "2026-12-01T12:00:00Z"
}))]
pub struct StoredContactRules {
    /// 1 for the first rules set, one more for each change.
    #[schema(minimum = 1)]
    pub version: u32,
    /// The YAML exactly as submitted.
    pub source: String,
    pub created_at: DateTime<Utc>,
}

/// What [`TenantStore::put_contact_rules`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutContactRules {
    pub rules: StoredContactRules,
    /// False when this very source is already the latest version.
    pub created: bool,
}

#[derive(sqlx::FromRow)]
struct ContactRulesRow {
    version: i64,
    source: String,
    created_at: DateTime<Utc>,
}

impl ContactRulesRow {
    fn into_domain(self) -> Result<StoredContactRules> {
        Ok(StoredContactRules {
            version: u32::try_from(self.version).map_err(StoreError::corrupt)?,
            source: self.source,
            created_at: self.created_at,
        })
    }
}

impl TenantStore {
    /// Checks a contact rules document against the tenant's jurisdiction and stores it as the
    /// next version.
    ///
    /// Invalid documents (a looser value than the law's included) store nothing and give
    /// [`StoreError::InvalidContactRules`] with every error. The same source as the latest
    /// version is not a change: the stored version is returned with `created: false`.
    pub async fn put_contact_rules(
        &self,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<PutContactRules> {
        let preset = Preset::try_for_jurisdiction(self.tenant.jurisdiction)
            .map_err(|e| StoreError::Config(e.to_string()))?;
        ContactRules::parse(source, preset).map_err(StoreError::InvalidContactRules)?;
        let latest = self.contact_rules().await?;
        if let Some(latest) = &latest
            && latest.source == source
        {
            return Ok(PutContactRules {
                rules: latest.clone(),
                created: false,
            });
        }
        let rules = StoredContactRules {
            version: latest.map_or(1, |l| l.version + 1),
            source: source.to_string(),
            created_at: now,
        };
        let mut sql =
            Sql::new("INSERT INTO contact_rules (tenant_id, version, source, created_at) VALUES ");
        sql.push_values(vec![
            self.tid.clone().into(),
            i64::from(rules.version).into(),
            rules.source.clone().into(),
            now.into(),
        ]);
        match self.run_tx(vec![sql]).await {
            Ok(()) => Ok(PutContactRules {
                rules,
                created: true,
            }),
            // Another put took this version number first.
            Err(error) if error.is_unique_violation() => Err(StoreError::Contention {
                entity: Entity::ContactRules,
                id: self.tid.clone(),
            }),
            Err(error) => Err(error),
        }
    }

    /// The latest version of the tenant's contact rules; `None` when none was ever set (the
    /// preset alone applies).
    pub async fn contact_rules(&self) -> Result<Option<StoredContactRules>> {
        let mut sql =
            Sql::new("SELECT version, source, created_at FROM contact_rules WHERE tenant_id = ");
        sql.push_arg(self.tid.clone())
            .push(" ORDER BY version DESC LIMIT 1");
        let row = on_pool!(self.store, |pool| fetch_optional!(
            ContactRulesRow,
            sql,
            pool
        ));
        row.map(ContactRulesRow::into_domain).transpose()
    }

    /// The rules in force, read: the latest version (with its number) checked against the
    /// tenant's jurisdiction, or the preset alone (`None`, [`ContactRules::default`]) when none
    /// was set. What depends on the tenant's rules outside the planner (a promise's grace days)
    /// reads them here. A stored version that no longer validates (the preset was tightened
    /// since) is [`StoreError::InvalidContactRules`].
    pub async fn contact_rules_in_force(&self) -> Result<(Option<u32>, ContactRules)> {
        let Some(stored) = self.contact_rules().await? else {
            return Ok((None, ContactRules::default()));
        };
        let preset = Preset::try_for_jurisdiction(self.tenant.jurisdiction)
            .map_err(|e| StoreError::Config(e.to_string()))?;
        let rules =
            ContactRules::parse(&stored.source, preset).map_err(StoreError::InvalidContactRules)?;
        Ok((Some(stored.version), rules))
    }

    /// Every stored version of the tenant's contact rules, oldest first.
    pub async fn contact_rules_versions(&self) -> Result<Vec<StoredContactRules>> {
        let mut sql =
            Sql::new("SELECT version, source, created_at FROM contact_rules WHERE tenant_id = ");
        sql.push_arg(self.tid.clone()).push(" ORDER BY version");
        let rows = on_pool!(self.store, |pool| fetch_all!(ContactRulesRow, sql, pool));
        rows.into_iter().map(ContactRulesRow::into_domain).collect()
    }
}
