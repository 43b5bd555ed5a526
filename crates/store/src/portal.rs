//! What the debtor's portal keeps: each tenant's branding and link lifetime
//! (`portal_settings`), the revocation of a debtor's links (`debtors.portal_revoked_at`), the
//! evidence a debtor uploads with a dispute (`dispute_evidence`), the visits strategies wait
//! for, and the tasks the portal makes for agents.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::types::Json;

use recaudo_domain::event::{EventKind, NewEvent};
use recaudo_domain::tasks::Task;
use recaudo_domain::{ContactPointId, DebtId, DebtorId, DisputeId, TaskId};

use crate::events::insert_event;
use crate::sql::{Sql, fetch_all, fetch_optional};
use crate::{Entity, Result, StoreError, TenantStore, on_pool};

/// The largest logo kept: 200 KiB.
pub const LOGO_MAX_BYTES: usize = 200 * 1024;

/// The default lifetime of a portal link, in days after it was issued.
pub const DEFAULT_LINK_DAYS: u32 = 60;

/// A tenant's portal: how it looks and how long its links live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalSettings {
    /// The name shown in the portal's header; the tenant's name when unset.
    pub display_name: Option<String>,
    /// The header's and buttons' colour, `#rrggbb` in lower case.
    pub colour: Option<String>,
    /// The logo's bytes (PNG or JPEG) and its content type.
    pub logo: Option<(Vec<u8>, &'static str)>,
    /// How the debtor reaches the tenant (a phone, an email), shown as text.
    pub support: Option<String>,
    /// Days a link lives after it was issued.
    pub link_days: u32,
    pub updated_at: Option<DateTime<Utc>>,
}

impl Default for PortalSettings {
    fn default() -> Self {
        PortalSettings {
            display_name: None,
            colour: None,
            logo: None,
            support: None,
            link_days: DEFAULT_LINK_DAYS,
            updated_at: None,
        }
    }
}

/// What a tenant saves: the whole settings (an absent field clears it).
#[derive(Debug, Clone, Default)]
pub struct PutPortalSettings {
    pub display_name: Option<String>,
    pub colour: Option<String>,
    pub logo: Option<Vec<u8>>,
    pub support: Option<String>,
    pub link_days: Option<u32>,
}

/// The content type of a logo, read from its first bytes (PNG or JPEG only).
pub fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else {
        None
    }
}

fn invalid(field: &str, message: &str) -> StoreError {
    StoreError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

/// A trimmed optional text of at most `max` characters, empty meaning none.
fn optional_text(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(invalid(
            field,
            &format!("must be at most {max} characters, without control characters"),
        ));
    }
    Ok(Some(value.to_string()))
}

impl PutPortalSettings {
    /// The settings this asks for, or the field at fault.
    pub fn check(&self) -> Result<PortalSettings> {
        let display_name = optional_text("display_name", self.display_name.as_deref(), 100)?;
        let support = optional_text("support", self.support.as_deref(), 200)?;
        let colour = match self.colour.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(c) => {
                let hex = c.strip_prefix('#').unwrap_or("");
                if hex.len() != 6 || !hex.chars().all(|h| h.is_ascii_hexdigit()) {
                    return Err(invalid("colour", "must be a colour written #rrggbb"));
                }
                Some(format!("#{}", hex.to_ascii_lowercase()))
            }
        };
        let logo = match &self.logo {
            None => None,
            Some(bytes) if bytes.is_empty() => None,
            Some(bytes) => {
                if bytes.len() > LOGO_MAX_BYTES {
                    return Err(invalid("logo", "must be at most 200 KiB"));
                }
                let kind = image_type(bytes)
                    .ok_or_else(|| invalid("logo", "must be a PNG or JPEG image"))?;
                Some((bytes.clone(), kind))
            }
        };
        let link_days = self.link_days.unwrap_or(DEFAULT_LINK_DAYS);
        if !(1..=365).contains(&link_days) {
            return Err(invalid("link_days", "must be 1 to 365 days"));
        }
        Ok(PortalSettings {
            display_name,
            colour,
            logo,
            support,
            link_days,
            updated_at: None,
        })
    }
}

/// A file a debtor sent with a dispute (its bytes apart).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct EvidenceInfo {
    #[schema(example = "evd_01JD4Q2M5X8VY3T6N9PAB7CDEF")]
    pub id: String,
    pub dispute_id: DisputeId,
    pub debtor_id: DebtorId,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    pub created_at: DateTime<Utc>,
}

/// Evidence to keep (its type checked by the caller from its bytes).
#[derive(Debug, Clone)]
pub struct NewEvidence {
    pub dispute_id: DisputeId,
    pub debtor_id: DebtorId,
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// A task for an agent made by the debtor's own action in the portal.
#[derive(Debug, Clone)]
pub struct NewPortalTask {
    pub debtor_id: DebtorId,
    pub debt_id: Option<DebtId>,
    pub queue: String,
    pub script: String,
    pub reason: String,
}

#[derive(sqlx::FromRow)]
struct SettingsRow {
    display_name: Option<String>,
    colour: Option<String>,
    logo: Option<Vec<u8>>,
    support: Option<String>,
    link_days: i64,
    updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct EvidenceRow {
    id: String,
    dispute_id: DisputeId,
    debtor_id: DebtorId,
    filename: String,
    content_type: String,
    size: i64,
    sha256: String,
    created_at: DateTime<Utc>,
}

impl EvidenceRow {
    fn into_info(self) -> EvidenceInfo {
        EvidenceInfo {
            id: self.id,
            dispute_id: self.dispute_id,
            debtor_id: self.debtor_id,
            filename: self.filename,
            content_type: self.content_type,
            size: self.size,
            sha256: self.sha256,
            created_at: self.created_at,
        }
    }
}

const EVIDENCE_COLUMNS: &str =
    "id, dispute_id, debtor_id, filename, content_type, size, sha256, created_at";

#[derive(sqlx::FromRow)]
struct TenantOfRow {
    tenant_id: recaudo_domain::TenantId,
}

impl crate::Store {
    /// The tenant of a debtor, for what names a debtor alone (a debtor's portal link): `None`
    /// when no debtor has this id.
    pub async fn tenant_of_debtor(&self, id: DebtorId) -> Result<Option<TenantStore>> {
        let mut sql = Sql::new("SELECT tenant_id FROM debtors WHERE id = ");
        sql.push_arg(id);
        let row = on_pool!(self, |pool| fetch_optional!(TenantOfRow, sql, pool));
        match row {
            Some(row) => Ok(Some(self.tenant(&self.get_tenant(row.tenant_id).await?))),
            None => Ok(None),
        }
    }
}

impl TenantStore {
    /// The tenant's portal settings: those it saved, or the defaults.
    pub async fn portal_settings(&self) -> Result<PortalSettings> {
        let mut sql = Sql::new(
            "SELECT display_name, colour, logo, support, link_days, updated_at \
             FROM portal_settings WHERE tenant_id = ",
        );
        sql.push_arg(self.tid.clone());
        let row = on_pool!(self.store, |pool| fetch_optional!(SettingsRow, sql, pool));
        let Some(row) = row else {
            return Ok(PortalSettings::default());
        };
        let logo = row
            .logo
            .and_then(|bytes| image_type(&bytes).map(|kind| (bytes, kind)));
        Ok(PortalSettings {
            display_name: row.display_name,
            colour: row.colour,
            logo,
            support: row.support,
            link_days: u32::try_from(row.link_days).unwrap_or(DEFAULT_LINK_DAYS),
            updated_at: Some(row.updated_at),
        })
    }

    /// Saves the tenant's portal settings, checked first (the field at fault otherwise).
    pub async fn put_portal_settings(
        &self,
        put: &PutPortalSettings,
        now: DateTime<Utc>,
    ) -> Result<PortalSettings> {
        let mut settings = put.check()?;
        settings.updated_at = Some(now);
        let mut upsert = Sql::new(
            "INSERT INTO portal_settings (tenant_id, display_name, colour, logo, \
             logo_content_type, support, link_days, updated_at) VALUES ",
        );
        let (logo, kind) = match &settings.logo {
            Some((bytes, kind)) => (Some(bytes.clone()), Some(kind.to_string())),
            None => (None, None),
        };
        // An absent logo is stored as NULL: the Arg for bytes is not optional, so two shapes.
        let logo_arg = match logo {
            Some(bytes) => bytes.into(),
            None => crate::sql::Arg::OptText(None),
        };
        upsert.push_values(vec![
            self.tid.clone().into(),
            settings.display_name.clone().into(),
            settings.colour.clone().into(),
            logo_arg,
            kind.into(),
            settings.support.clone().into(),
            i64::from(settings.link_days).into(),
            now.into(),
        ]);
        upsert.push(
            " ON CONFLICT (tenant_id) DO UPDATE SET display_name = excluded.display_name, \
             colour = excluded.colour, logo = excluded.logo, \
             logo_content_type = excluded.logo_content_type, support = excluded.support, \
             link_days = excluded.link_days, updated_at = excluded.updated_at",
        );
        self.run_tx(vec![upsert]).await?;
        Ok(settings)
    }

    /// When the debtor's portal links were last revoked: links issued before then do not open.
    pub async fn portal_revoked_at(&self, debtor: DebtorId) -> Result<Option<DateTime<Utc>>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            portal_revoked_at: Option<DateTime<Utc>>,
        }
        let mut sql = Sql::new("SELECT portal_revoked_at FROM debtors WHERE tenant_id = ");
        sql.push_arg(self.tid.clone())
            .push(" AND erased_at IS NULL AND id = ")
            .push_arg(debtor);
        let row = on_pool!(self.store, |pool| fetch_optional!(Row, sql, pool));
        row.map(|r| r.portal_revoked_at)
            .ok_or_else(|| StoreError::not_found(Entity::Debtor, debtor))
    }

    /// Revokes every portal link of the debtor issued until `now`.
    pub async fn revoke_portal_links(&self, debtor: DebtorId, now: DateTime<Utc>) -> Result<()> {
        self.get_debtor(debtor).await?;
        let mut sql = Sql::new("UPDATE debtors SET portal_revoked_at = ");
        sql.push_arg(now)
            .push(" WHERE tenant_id = ")
            .push_arg(self.tid.clone())
            .push(" AND id = ")
            .push_arg(debtor);
        self.run_tx(vec![sql]).await
    }

    /// Keeps a file sent with a dispute of the debtor.
    pub async fn add_dispute_evidence(
        &self,
        new: NewEvidence,
        now: DateTime<Utc>,
    ) -> Result<EvidenceInfo> {
        let dispute = self.get_dispute(new.dispute_id).await?;
        let debt = self.get_debt(dispute.debt_id).await?;
        if debt.debtor_id != new.debtor_id {
            return Err(StoreError::not_found(Entity::Dispute, new.dispute_id));
        }
        let info = EvidenceInfo {
            id: format!("evd_{}", recaudo_domain::ids::monotonic_ulid()),
            dispute_id: new.dispute_id,
            debtor_id: new.debtor_id,
            filename: crate::truncate(new.filename.trim(), 200).to_string(),
            content_type: new.content_type,
            size: i64::try_from(new.bytes.len()).unwrap_or(i64::MAX),
            sha256: hex::encode(Sha256::digest(&new.bytes)),
            created_at: now,
        };
        let mut ins = Sql::new(&format!(
            "INSERT INTO dispute_evidence (tenant_id, {EVIDENCE_COLUMNS}, bytes) VALUES "
        ));
        ins.push_values(vec![
            self.tid.clone().into(),
            info.id.clone().into(),
            info.dispute_id.into(),
            info.debtor_id.into(),
            info.filename.clone().into(),
            info.content_type.clone().into(),
            info.size.into(),
            info.sha256.clone().into(),
            now.into(),
            new.bytes.into(),
        ]);
        self.run_tx(vec![ins]).await?;
        Ok(info)
    }

    /// The files sent with a dispute, oldest first.
    pub async fn list_dispute_evidence(&self, dispute: DisputeId) -> Result<Vec<EvidenceInfo>> {
        self.get_dispute(dispute).await?;
        let mut sql = Sql::new(&format!(
            "SELECT {EVIDENCE_COLUMNS} FROM dispute_evidence WHERE tenant_id = "
        ));
        sql.push_arg(self.tid.clone())
            .push(" AND dispute_id = ")
            .push_arg(dispute)
            .push(" ORDER BY id");
        let rows = on_pool!(self.store, |pool| fetch_all!(EvidenceRow, sql, pool));
        Ok(rows.into_iter().map(EvidenceRow::into_info).collect())
    }

    /// One file sent with a dispute, with its bytes.
    pub async fn get_dispute_evidence(
        &self,
        dispute: DisputeId,
        id: &str,
    ) -> Result<(EvidenceInfo, Vec<u8>)> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            info: EvidenceRow,
            bytes: Vec<u8>,
        }
        let mut sql = Sql::new(&format!(
            "SELECT {EVIDENCE_COLUMNS}, bytes FROM dispute_evidence WHERE tenant_id = "
        ));
        sql.push_arg(self.tid.clone())
            .push(" AND dispute_id = ")
            .push_arg(dispute)
            .push(" AND id = ")
            .push_arg(id);
        let row = on_pool!(self.store, |pool| fetch_optional!(Row, sql, pool));
        let row = row.ok_or_else(|| StoreError::not_found(Entity::Evidence, id))?;
        Ok((row.info.into_info(), row.bytes))
    }

    /// Makes a task for an agent from the debtor's action in the portal, with `task_created` on
    /// the debtor's timeline.
    pub async fn create_portal_task(&self, new: NewPortalTask, now: DateTime<Utc>) -> Result<Task> {
        let id = TaskId::generate();
        let mut sql = Sql::new(
            "INSERT INTO tasks (id, tenant_id, contact_id, debtor_id, debt_id, queue, script, \
             state, created_at, updated_at, message_id, reason, candidates) VALUES ",
        );
        sql.push_values(vec![
            id.into(),
            self.tid.clone().into(),
            None::<String>.into(),
            new.debtor_id.into(),
            new.debt_id.into(),
            new.queue.clone().into(),
            new.script.clone().into(),
            "open".into(),
            now.into(),
            now.into(),
            None::<String>.into(),
            new.reason.clone().into(),
            serde_json::json!([]).into(),
        ]);
        let event = insert_event(
            &self.tid,
            NewEvent {
                debtor_id: new.debtor_id,
                debt_id: new.debt_id,
                kind: EventKind::TaskCreated,
                at: now,
                recorded_at: now,
                data: serde_json::json!({
                    "task_id": id, "queue": new.queue, "source": "portal", "reason": new.reason,
                }),
            },
        );
        self.run_tx(vec![sql, event]).await?;
        self.get_task(id).await
    }

    /// Records a visit to the debtor's portal (`portal_visited`, with `data`, which names the
    /// link) unless one with the same `data` was recorded since `since` (the start of the
    /// debtor's day). Returns whether it was recorded.
    pub async fn record_portal_visit(
        &self,
        debtor: DebtorId,
        debt: Option<DebtId>,
        data: serde_json::Value,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        #[derive(sqlx::FromRow)]
        struct Row {
            data: Json<serde_json::Value>,
        }
        let mut sql = Sql::new("SELECT data FROM events WHERE tenant_id = ");
        sql.push_arg(self.tid.clone())
            .push(" AND debtor_id = ")
            .push_arg(debtor)
            .push(" AND kind = 'portal_visited' AND at >= ")
            .push_arg(since);
        let rows = on_pool!(self.store, |pool| fetch_all!(Row, sql, pool));
        if rows.iter().any(|r| r.data.0 == data) {
            return Ok(false);
        }
        self.append_event(NewEvent {
            debtor_id: debtor,
            debt_id: debt,
            kind: EventKind::PortalVisited,
            at: now,
            recorded_at: now,
            data,
        })
        .await?;
        Ok(true)
    }

    /// Opts the debtor out of `points`: consent `opted_out` with `source` (`reply`, `portal`),
    /// with `opted_out` on the timeline. Returns the points that were not opted out before.
    pub async fn opt_out_points(
        &self,
        debtor: DebtorId,
        points: &[ContactPointId],
        source: &str,
        origin: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<Vec<ContactPointId>> {
        let mut changed = Vec::new();
        for &point in points {
            let cp = self.get_contact_point(point).await?;
            if cp.debtor_id != debtor {
                return Err(StoreError::not_found(Entity::ContactPoint, point));
            }
            if cp.opted_out_at.is_some() {
                continue;
            }
            let mut sql = Sql::new(
                "UPDATE contact_points SET consent_status = 'opted_out', consent_source = ",
            );
            sql.push_arg(source)
                .push(", consent_at = ")
                .push_arg(now)
                .push(", opted_out_at = ")
                .push_arg(now)
                .push(" WHERE tenant_id = ")
                .push_arg(self.tid.clone())
                .push(" AND id = ")
                .push_arg(point)
                .push(" AND opted_out_at IS NULL");
            let event = insert_event(
                &self.tid,
                NewEvent {
                    debtor_id: debtor,
                    debt_id: None,
                    kind: EventKind::OptedOut,
                    at: now,
                    recorded_at: now,
                    data: crate::ledger::with_origin(
                        serde_json::json!({
                            "contact_point_id": point, "channel": cp.channel, "source": source,
                        }),
                        origin,
                    ),
                },
            );
            if self.run_tx_counting_first(vec![sql, event]).await? > 0 {
                changed.push(point);
            }
        }
        Ok(changed)
    }
}
