//! What the operator dashboard's outbox and imports pages read and change beyond the API's
//! calls: the outbox counted under a filter, the names a page of contacts shows, a failed
//! contact put back to be sent, and the tenant's import runs with their progress.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use recaudo_domain::outbox::ContactState;
use recaudo_domain::{ContactId, DebtorId, ImportId};

use crate::dispatch::OutboxFilter;
use crate::sql::{Sql, exec, fetch_all, fetch_optional};
use crate::{Entity, Result, StoreError, TenantStore, on_pool};

/// The debtor and debt a contact of the outbox is about, as a page names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxLabel {
    pub contact_id: ContactId,
    pub debtor_id: DebtorId,
    pub debtor_name: String,
    /// The debtor's IANA time zone: the contact's schedule is shown in it.
    pub debtor_timezone: String,
    pub debt_external_id: String,
}

#[derive(sqlx::FromRow)]
struct LabelRow {
    contact_id: ContactId,
    debtor_id: DebtorId,
    debtor_name: String,
    debtor_timezone: String,
    debt_external_id: String,
}

#[derive(sqlx::FromRow)]
struct StateCount {
    state: String,
    n: i64,
}

#[derive(sqlx::FromRow)]
struct RetryTarget {
    state: String,
    debt_id: String,
    step: String,
    local_date: chrono::NaiveDate,
    channel: String,
}

#[derive(sqlx::FromRow)]
struct SiblingRow {
    channel: String,
}

/// One import run of the tenant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportRun {
    pub id: ImportId,
    /// Where the rows came from: the file's name, or `api`.
    pub source: String,
    pub started_at: DateTime<Utc>,
    /// `None` while it runs (or when it stopped without finishing).
    pub finished_at: Option<DateTime<Utc>>,
    /// What the run wrote about itself: its progress while it runs, then its report.
    pub report: Option<serde_json::Value>,
}

#[derive(sqlx::FromRow)]
struct ImportRunRow {
    id: ImportId,
    source: String,
    started_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    report: Option<sqlx::types::Json<serde_json::Value>>,
}

impl From<ImportRunRow> for ImportRun {
    fn from(row: ImportRunRow) -> ImportRun {
        ImportRun {
            id: row.id,
            source: row.source,
            started_at: row.started_at,
            finished_at: row.finished_at,
            report: row.report.map(|r| r.0),
        }
    }
}

const IMPORT_COLUMNS: &str = "id, source, started_at, finished_at, report";

impl TenantStore {
    /// Contacts per state under the filter's channel, debtor, sending and schedule (its state
    /// and page are not applied): the counts beside a filtered outbox list.
    pub async fn outbox_state_counts(
        &self,
        filter: &OutboxFilter,
    ) -> Result<BTreeMap<String, i64>> {
        let mut sql = Sql::new("SELECT state, COUNT(*) AS n FROM contacts WHERE tenant_id = ");
        sql.push_arg(self.tid.clone());
        self.push_outbox_filter(&mut sql, filter);
        sql.push(" GROUP BY state");
        let rows = on_pool!(self.store, |pool| fetch_all!(StateCount, sql, pool));
        Ok(rows.into_iter().map(|row| (row.state, row.n)).collect())
    }

    /// The debtor's name and zone and the debt's external id of each of these contacts (those
    /// of this tenant; in no particular order).
    pub async fn outbox_labels(&self, contacts: &[ContactId]) -> Result<Vec<OutboxLabel>> {
        let mut out = Vec::with_capacity(contacts.len());
        for chunk in contacts.chunks(500) {
            let mut sql = Sql::new(
                "SELECT c.id AS contact_id, c.debtor_id AS debtor_id, d.name AS debtor_name, \
                 d.timezone AS debtor_timezone, t.external_id AS debt_external_id \
                 FROM contacts c JOIN debtors d ON d.id = c.debtor_id \
                 JOIN debts t ON t.id = c.debt_id WHERE c.tenant_id = ",
            );
            sql.push_arg(self.tid.clone()).push(" AND c.id IN ");
            sql.push_values(chunk.iter().map(|&id| id.into()).collect());
            let rows = on_pool!(self.store, |pool| fetch_all!(LabelRow, sql, pool));
            out.extend(rows.into_iter().map(|row| OutboxLabel {
                contact_id: row.contact_id,
                debtor_id: row.debtor_id,
                debtor_name: row.debtor_name,
                debtor_timezone: row.debtor_timezone,
                debt_external_id: row.debt_external_id,
            }));
        }
        Ok(out)
    }

    /// Puts a failed contact back to be sent now, its attempts kept: it is `planned` again,
    /// due at `now`, and the dispatcher that claims it re-checks it against the rules as
    /// ever (quiet hours, caps, opt-outs, the debt paid or paused), so a retry never goes
    /// where a first try would not. Refused ([`StoreError::Conflict`]) unless the contact
    /// failed, and while the fallback its failure planned on another channel of the same
    /// step is under way (the debtor would get the message twice).
    pub async fn retry_contact(&self, id: ContactId, now: DateTime<Utc>) -> Result<()> {
        let mut find = Sql::new(
            "SELECT state, debt_id, step, local_date, channel FROM contacts WHERE tenant_id = ",
        );
        find.push_arg(self.tid.clone())
            .push(" AND id = ")
            .push_arg(id);
        let Some(target) = on_pool!(self.store, |pool| fetch_optional!(RetryTarget, find, pool))
        else {
            return Err(StoreError::not_found(Entity::Contact, id));
        };
        let conflict = |reason: String| StoreError::Conflict {
            what: Entity::Contact,
            id: id.to_string(),
            reason,
        };
        if target.state != ContactState::Failed.as_str() {
            return Err(conflict(format!(
                "only a failed contact can be retried; this one is {}",
                target.state
            )));
        }
        let mut siblings = Sql::new("SELECT channel FROM contacts WHERE tenant_id = ");
        siblings
            .push_arg(self.tid.clone())
            .push(" AND debt_id = ")
            .push_arg(target.debt_id)
            .push(" AND step = ")
            .push_arg(target.step)
            .push(" AND local_date = ")
            .push_arg(target.local_date)
            .push(" AND channel <> ")
            .push_arg(target.channel)
            .push(" AND state IN ('planned', 'sending', 'sent', 'delivered') LIMIT 1");
        if let Some(sibling) = on_pool!(self.store, |pool| fetch_optional!(
            SiblingRow, siblings, pool
        )) {
            return Err(conflict(format!(
                "its fallback by {} is already planned or sent",
                sibling.channel
            )));
        }
        // Guarded by the state read above: a contact retried twice at once is queued once.
        let mut update = Sql::new(
            "UPDATE contacts SET state = 'planned', outcome = 'retry_requested', \
             lease_owner = NULL, lease_until = NULL, next_attempt_at = ",
        );
        update
            .push_arg(now)
            .push(", updated_at = ")
            .push_arg(now)
            .push(" WHERE tenant_id = ")
            .push_arg(self.tid.clone())
            .push(" AND id = ")
            .push_arg(id)
            .push(" AND state = 'failed'");
        let changed = on_pool!(self.store, |pool| exec!(update, pool));
        if changed == 0 {
            return Err(conflict("it changed while it was retried".into()));
        }
        Ok(())
    }

    /// The tenant's latest import runs, newest first: at most `limit` (1 to 500).
    pub async fn list_imports(&self, limit: i64) -> Result<Vec<ImportRun>> {
        let mut sql = Sql::new(&format!(
            "SELECT {IMPORT_COLUMNS} FROM imports WHERE tenant_id = "
        ));
        sql.push_arg(self.tid.clone());
        sql.push(&format!(
            " ORDER BY started_at DESC, id DESC LIMIT {}",
            limit.clamp(1, 500)
        ));
        let rows = on_pool!(self.store, |pool| fetch_all!(ImportRunRow, sql, pool));
        Ok(rows.into_iter().map(ImportRun::from).collect())
    }

    /// One import run of the tenant.
    pub async fn get_import(&self, id: ImportId) -> Result<ImportRun> {
        let mut sql = Sql::new(&format!(
            "SELECT {IMPORT_COLUMNS} FROM imports WHERE tenant_id = "
        ));
        sql.push_arg(self.tid.clone())
            .push(" AND id = ")
            .push_arg(id);
        let row = on_pool!(self.store, |pool| fetch_optional!(ImportRunRow, sql, pool));
        row.map(ImportRun::from)
            .ok_or_else(|| StoreError::not_found(Entity::Import, id))
    }

    /// Records how far a running import got (`progress` replaces what it wrote before); a
    /// finished run is left as it is.
    pub async fn import_progress(&self, id: ImportId, progress: serde_json::Value) -> Result<()> {
        let mut sql = Sql::new("UPDATE imports SET report = ");
        sql.push_arg(progress)
            .push(" WHERE tenant_id = ")
            .push_arg(self.tid.clone())
            .push(" AND id = ")
            .push_arg(id)
            .push(" AND finished_at IS NULL");
        on_pool!(self.store, |pool| exec!(sql, pool));
        Ok(())
    }
}
