//! Strategies, versioned: one row per (strategy, version) holding the YAML as submitted
//! (docs/strategies.md, "Managing strategies"). A stored version never changes; a change is a new
//! version. Retiring takes a strategy out of the planner's choice for new debts; debts already on
//! it keep it until moved explicitly ([`TenantStore::move_debt_strategy`]).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use recaudo_domain::event::{EventKind, NewEvent};
use recaudo_domain::portfolio::Debt;
use recaudo_domain::strategy::{TemplateCatalogue, parse_strategy};
use recaudo_domain::{DebtId, DebtorId};

use crate::events::insert_event;
use crate::sql::{Sql, fetch_all, fetch_optional};
use crate::{Entity, Result, StoreError, TenantStore, on_pool};

const STRATEGY_COLUMNS: &str =
    "strategy_id, version, name, priority, source, created_at, retired_at";

/// One stored version of a strategy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(example = json!({
    "strategy_id": "utility-household", "version": 2, "name": "Household utility bills",
    "priority": 10, "source": "id: utility-household\nversion: 2\n…",
    "created_at": "2026-11-23T12:00:00Z", "retired_at": null
}))]
pub struct StoredStrategy {
    /// The strategy's `id`.
    pub strategy_id: String,
    /// The file's `version` (1 when it has none).
    pub version: u32,
    /// The file's `name`.
    pub name: Option<String>,
    /// The file's `priority`: the planner tries strategies highest first.
    pub priority: i64,
    /// The YAML exactly as submitted.
    pub source: String,
    pub created_at: DateTime<Utc>,
    /// When the strategy was retired: it is no longer chosen for new debts.
    pub retired_at: Option<DateTime<Utc>>,
}

/// What [`TenantStore::put_strategy`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutStrategy {
    pub strategy: StoredStrategy,
    /// False when this very source was already stored under its id and version.
    pub created: bool,
}

#[derive(sqlx::FromRow)]
struct StrategyRow {
    strategy_id: String,
    version: i64,
    name: Option<String>,
    priority: i64,
    source: String,
    created_at: DateTime<Utc>,
    retired_at: Option<DateTime<Utc>>,
}

impl StrategyRow {
    fn into_domain(self) -> Result<StoredStrategy> {
        Ok(StoredStrategy {
            strategy_id: self.strategy_id,
            version: u32::try_from(self.version).map_err(StoreError::corrupt)?,
            name: self.name,
            priority: self.priority,
            source: self.source,
            created_at: self.created_at,
            retired_at: self.retired_at,
        })
    }
}

impl TenantStore {
    /// Parses and validates a strategy document and stores it under its `id` and `version`.
    ///
    /// Invalid documents store nothing and give [`StoreError::InvalidStrategy`] with every error.
    /// The same source again under the same id and version is not an error: the stored version
    /// is returned with `created: false`. A different source under a stored version, or a version
    /// below the latest stored one, is a [`StoreError::VersionConflict`]: a change needs a new version.
    pub async fn put_strategy(&self, source: &str, now: DateTime<Utc>) -> Result<PutStrategy> {
        let compiled = parse_strategy(source, TemplateCatalogue::builtin())
            .map_err(StoreError::InvalidStrategy)?;
        let compiled_strategy = compiled.strategy;
        let new = StoredStrategy {
            strategy_id: compiled_strategy.id,
            version: compiled_strategy.version,
            name: compiled_strategy.name,
            priority: compiled_strategy.priority,
            source: source.to_string(),
            created_at: now,
            retired_at: None,
        };
        // Checked first, then inserted; a concurrent put of the same version loses on the primary
        // key and is then answered like a sequential one.
        if let Some(done) = self.existing_version(&new).await? {
            return Ok(done);
        }
        let mut sql = Sql::new(&format!(
            "INSERT INTO strategies (tenant_id, {STRATEGY_COLUMNS}) VALUES "
        ));
        sql.push_values(vec![
            self.tid.clone().into(),
            new.strategy_id.clone().into(),
            i64::from(new.version).into(),
            new.name.clone().into(),
            new.priority.into(),
            new.source.clone().into(),
            now.into(),
            None::<DateTime<Utc>>.into(),
        ]);
        match self.run_tx(vec![sql]).await {
            Ok(()) => Ok(PutStrategy {
                strategy: new,
                created: true,
            }),
            Err(error) if error.is_unique_violation() => match self.existing_version(&new).await? {
                Some(done) => Ok(done),
                None => Err(error),
            },
            Err(error) => Err(error),
        }
    }

    /// The answer to a put when it is decided by what is stored: the same version (identical:
    /// returned; different: conflict), or a later one (conflict). `None`: store it.
    async fn existing_version(&self, new: &StoredStrategy) -> Result<Option<PutStrategy>> {
        let versions = match self.strategy_versions(&new.strategy_id).await {
            Ok(versions) => versions,
            Err(StoreError::NotFound { .. }) => return Ok(None),
            Err(error) => return Err(error),
        };
        if let Some(same) = versions.iter().find(|v| v.version == new.version) {
            if same.source == new.source {
                return Ok(Some(PutStrategy {
                    strategy: same.clone(),
                    created: false,
                }));
            }
            return Err(StoreError::VersionConflict {
                strategy_id: new.strategy_id.clone(),
                version: new.version,
                latest: new.version,
            });
        }
        if let Some(latest) = versions.last()
            && latest.version > new.version
        {
            return Err(StoreError::VersionConflict {
                strategy_id: new.strategy_id.clone(),
                version: new.version,
                latest: latest.version,
            });
        }
        Ok(None)
    }

    /// The latest version of each strategy, retired ones included, highest priority first, then
    /// by id.
    pub async fn list_strategies(&self) -> Result<Vec<StoredStrategy>> {
        self.latest_versions(false).await
    }

    /// The planner's choice list for new debts: the latest version of each strategy that is not
    /// retired, highest priority first, then by id.
    pub async fn active_strategies(&self) -> Result<Vec<StoredStrategy>> {
        self.latest_versions(true).await
    }

    async fn latest_versions(&self, active_only: bool) -> Result<Vec<StoredStrategy>> {
        let retired = if active_only {
            " AND retired_at IS NULL"
        } else {
            ""
        };
        let mut sql = Sql::new(&format!(
            "SELECT {STRATEGY_COLUMNS} FROM strategies s WHERE tenant_id = "
        ));
        sql.push_arg(self.tid.clone()).push(&format!(
            "{retired} AND version = (SELECT MAX(version) FROM strategies m \
             WHERE m.tenant_id = s.tenant_id AND m.strategy_id = s.strategy_id{retired}) \
             ORDER BY priority DESC, strategy_id"
        ));
        let rows = on_pool!(self.store, |pool| fetch_all!(StrategyRow, sql, pool));
        rows.into_iter().map(StrategyRow::into_domain).collect()
    }

    /// Every stored version of a strategy, oldest first; not found when there is none.
    pub async fn strategy_versions(&self, strategy_id: &str) -> Result<Vec<StoredStrategy>> {
        let mut sql = Sql::new(&format!(
            "SELECT {STRATEGY_COLUMNS} FROM strategies WHERE tenant_id = "
        ));
        sql.push_arg(self.tid.clone())
            .push(" AND strategy_id = ")
            .push_arg(strategy_id.to_string())
            .push(" ORDER BY version");
        let rows = on_pool!(self.store, |pool| fetch_all!(StrategyRow, sql, pool));
        if rows.is_empty() {
            return Err(StoreError::not_found(Entity::Strategy, strategy_id));
        }
        rows.into_iter().map(StrategyRow::into_domain).collect()
    }

    /// One version of a strategy, or its latest when `version` is `None`.
    pub async fn get_strategy(
        &self,
        strategy_id: &str,
        version: Option<u32>,
    ) -> Result<StoredStrategy> {
        let mut sql = Sql::new(&format!(
            "SELECT {STRATEGY_COLUMNS} FROM strategies WHERE tenant_id = "
        ));
        sql.push_arg(self.tid.clone())
            .push(" AND strategy_id = ")
            .push_arg(strategy_id.to_string());
        match version {
            Some(number) => {
                sql.push(" AND version = ").push_arg(i64::from(number));
            }
            None => {
                sql.push(" ORDER BY version DESC LIMIT 1");
            }
        }
        let row = on_pool!(self.store, |pool| fetch_optional!(StrategyRow, sql, pool));
        match row {
            Some(row) => row.into_domain(),
            None => Err(match version {
                Some(number) => StoreError::not_found(
                    Entity::StrategyVersion,
                    format!("{strategy_id} v{number}"),
                ),
                None => StoreError::not_found(Entity::Strategy, strategy_id),
            }),
        }
    }

    /// Retires every version of a strategy: the planner no longer chooses it for new debts
    /// (debts already on it keep it). Retiring again keeps the first time. A version stored
    /// afterwards is not retired. Returns the latest version.
    pub async fn retire_strategy(
        &self,
        strategy_id: &str,
        now: DateTime<Utc>,
    ) -> Result<StoredStrategy> {
        let mut sql = Sql::new("UPDATE strategies SET retired_at = ");
        sql.push_arg(now)
            .push(" WHERE tenant_id = ")
            .push_arg(self.tid.clone())
            .push(" AND strategy_id = ")
            .push_arg(strategy_id.to_string())
            .push(" AND retired_at IS NULL");
        self.run_tx(vec![sql]).await?;
        self.get_strategy(strategy_id, None).await
    }

    /// Moves a debt to a stored, non-retired version of a strategy (its latest such version when
    /// `version` is `None`): the debt starts it afresh, with no experiment arms yet and
    /// `started_at = now`. Appends `debt_updated` to the debt's timeline with
    /// `{"strategy", "version", "moved_from": {"strategy", "version"} | null}`.
    pub async fn move_debt_strategy(
        &self,
        debt_id: DebtId,
        strategy_id: &str,
        version: Option<u32>,
        now: DateTime<Utc>,
    ) -> Result<Debt> {
        let mut debt = self.get_debt(debt_id).await?;
        let target = match version {
            Some(number) => self.get_strategy(strategy_id, Some(number)).await?,
            None => {
                let versions = self.strategy_versions(strategy_id).await?;
                versions
                    .iter()
                    .rev()
                    .find(|s| s.retired_at.is_none())
                    .or(versions.last())
                    .cloned()
                    .ok_or_else(|| StoreError::not_found(Entity::Strategy, strategy_id))?
            }
        };
        if target.retired_at.is_some() {
            return Err(StoreError::Invalid {
                field: "strategy".into(),
                message: format!(
                    "strategy `{}` version {} is retired: debts can only be moved to a strategy in use",
                    target.strategy_id, target.version
                ),
            });
        }
        let moved_from = debt
            .strategy
            .as_ref()
            .map(|a| serde_json::json!({"strategy": a.strategy, "version": a.version}));
        // The debt first (it must be this tenant's), then the strategy it now follows.
        let mut sql = Sql::new("UPDATE debts SET updated_at = ");
        sql.push_arg(now)
            .push(" WHERE tenant_id = ")
            .push_arg(self.tid.clone())
            .push(" AND id = ")
            .push_arg(debt_id);
        // Its entry in the debtor's planner state replaces the one there (the planner's own
        // writes keep the stored one instead).
        let entry = crate::rows::StoredAssignment(
            target.strategy_id.clone(),
            i64::from(target.version),
            Default::default(),
            now,
        );
        let mut strategies = serde_json::Map::new();
        strategies.insert(
            debt_id.to_string(),
            serde_json::to_value(entry).map_err(StoreError::corrupt)?,
        );
        let mut assign = Sql::new(&format!("{} VALUES ", crate::planning::PLAN_UPSERT_HEAD));
        assign.push_values(vec![
            debt.debtor_id.into(),
            None::<String>.into(),
            None::<DateTime<Utc>>.into(),
            serde_json::Value::Object(strategies).into(),
        ]);
        assign.push(&format!(
            " ON CONFLICT (plan_debtor_id) DO UPDATE SET strategies = {}",
            crate::dialect::json_merge(
                self.is_sqlite(),
                "debtor_plans.strategies",
                "excluded.strategies"
            )
        ));
        let event = insert_event(
            &self.tid,
            NewEvent {
                debtor_id: debt.debtor_id,
                debt_id: Some(debt_id),
                kind: EventKind::DebtUpdated,
                at: now,
                recorded_at: now,
                data: serde_json::json!({
                    "strategy": target.strategy_id,
                    "version": target.version,
                    "moved_from": moved_from,
                }),
            },
        );
        if self.run_tx_counting_first(vec![sql, assign, event]).await? == 0 {
            return Err(StoreError::not_found(Entity::Debt, debt_id));
        }
        debt.strategy = Some(recaudo_domain::portfolio::StrategyAssignment {
            strategy: target.strategy_id,
            version: target.version,
            arms: Default::default(),
            started_at: now,
        });
        debt.updated_at = now;
        Ok(debt)
    }
}

/// The strategy id a debt follows, read from its debtor's planner state (`debtor_plans`, joined
/// as in [`crate::rows::DEBTS_FROM`]); NULL for a debt without one. `->` and `->>` read JSON
/// alike in SQLite and PostgreSQL.
const FOLLOWED_STRATEGY: &str = "(strategies -> id ->> 0)";

impl TenantStore {
    /// How many active debts (neither paid nor written off) follow each strategy, any version,
    /// by strategy id. Strategies no active debt follows are absent.
    pub async fn strategy_debt_counts(&self) -> Result<std::collections::BTreeMap<String, u64>> {
        let mut sql = Sql::new(&format!(
            "SELECT {FOLLOWED_STRATEGY} AS strategy_id, COUNT(*) AS debts FROM {} \
             WHERE tenant_id = ",
            crate::rows::DEBTS_FROM
        ));
        sql.push_arg(self.tid.clone()).push(&format!(
            " AND status NOT IN ('paid', 'written_off') AND {FOLLOWED_STRATEGY} IS NOT NULL \
             GROUP BY {FOLLOWED_STRATEGY}"
        ));
        let rows = on_pool!(self.store, |pool| fetch_all!((String, i64), sql, pool));
        Ok(rows
            .into_iter()
            .map(|(id, count)| (id, u64::try_from(count).unwrap_or(0)))
            .collect())
    }

    /// Up to `limit` active debts (neither paid nor written off), by id, as (debtor, debt):
    /// those following `strategy_id` (any version), or any active debt when it is `None`.
    pub async fn active_debts_following(
        &self,
        strategy_id: Option<&str>,
        limit: u32,
    ) -> Result<Vec<(DebtorId, DebtId)>> {
        let mut sql = Sql::new(&format!(
            "SELECT debtor_id, id FROM {} WHERE tenant_id = ",
            crate::rows::DEBTS_FROM
        ));
        sql.push_arg(self.tid.clone())
            .push(" AND status NOT IN ('paid', 'written_off')");
        if let Some(strategy_id) = strategy_id {
            sql.push(&format!(" AND {FOLLOWED_STRATEGY} = "))
                .push_arg(strategy_id.to_string());
        }
        sql.push(" ORDER BY id LIMIT ").push_arg(i64::from(limit));
        let rows = on_pool!(self.store, |pool| fetch_all!((String, String), sql, pool));
        rows.into_iter()
            .map(|(debtor, debt)| {
                Ok((
                    debtor.parse().map_err(StoreError::corrupt)?,
                    debt.parse().map_err(StoreError::corrupt)?,
                ))
            })
            .collect()
    }
}
