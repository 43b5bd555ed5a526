//! Debtors, their contact points, and debts.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use recaudo_domain::event::{EventKind, NewEvent};
use recaudo_domain::portfolio::{
    Channel, Consent, ConsentStatus, ContactPoint, Debt, DebtStatus, Debtor, DebtorKind, Language,
    PostalAddress, Preferences, parse_timezone,
};
use recaudo_domain::{ContactPointId, Country, Currency, DebtId, DebtorId, Money};

use crate::events::insert_event;
use crate::rows::{
    CONTACT_POINT_COLUMNS, ContactPointRow, DEBT_COLUMNS, DEBT_STRATEGY_COLUMNS, DEBTOR_COLUMNS,
    DEBTOR_READ_COLUMNS, DEBTOR_SEARCH_COLUMNS, DEBTOR_SEGMENT, DEBTORS_FROM, DEBTS_FROM, DebtRow,
    DebtorRow, convert, debtor_search_values,
};
use crate::sql::{Arg, Sql, exec, fetch_all, fetch_optional};
use crate::{Entity, Result, StoreError, TenantStore, on_pool};

/// One page of a list, and the cursor of the next page when there is one.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

pub const DEFAULT_PAGE: i64 = 50;
pub const MAX_PAGE: i64 = 500;

/// The page size asked for, or `default`. One outside 1 to `max` is refused naming `limit` and
/// the bounds, rather than quietly changed: a client asking for 1,000 rows and given 500 would
/// take the page for the whole list.
pub(crate) fn page_limit_within(limit: Option<i64>, default: i64, max: i64) -> Result<i64> {
    match limit {
        None => Ok(default),
        Some(limit) if (1..=max).contains(&limit) => Ok(limit),
        Some(limit) => Err(invalid(
            "limit",
            format!("must be 1 to {max} (the largest page), not {limit}"),
        )),
    }
}

fn page_limit(limit: Option<i64>) -> Result<i64> {
    page_limit_within(limit, DEFAULT_PAGE, MAX_PAGE)
}

/// Cuts the extra row fetched to learn whether a next page exists.
fn into_page<T>(mut items: Vec<T>, limit: i64, id: impl Fn(&T) -> String) -> Page<T> {
    let next_cursor = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(id)
    } else {
        None
    };
    Page { items, next_cursor }
}

fn invalid(field: &str, message: impl ToString) -> StoreError {
    StoreError::Invalid {
        field: field.to_string(),
        message: message.to_string(),
    }
}

pub(crate) fn check_external_id(field: &str, value: &str) -> Result<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() || trimmed.chars().count() > 128 {
        return Err(invalid(field, "must be 1 to 128 characters"));
    }
    Ok(trimmed.to_string())
}

/// A debtor to create.
#[derive(Debug, Clone, Default)]
pub struct NewDebtor {
    pub external_id: String,
    pub kind: Option<DebtorKind>,
    pub name: String,
    pub document_type: Option<String>,
    pub document_number: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub language: Option<Language>,
    pub timezone: Option<String>,
    pub country: Option<Country>,
    pub segment: Option<String>,
    pub tags: Vec<String>,
    pub attributes: Option<serde_json::Value>,
    pub preferences: Option<Preferences>,
}

/// A contact point to add to a debtor. The address is normalised here.
#[derive(Debug, Clone)]
pub struct NewContactPoint {
    pub channel: Channel,
    /// Email or phone; ignored for letters, whose address is `postal`.
    pub address: Option<String>,
    pub postal: Option<PostalAddress>,
    pub consent: Consent,
    pub priority: Option<i32>,
}

/// A debt to create for an existing debtor.
#[derive(Debug, Clone)]
pub struct NewDebt {
    pub debtor_id: DebtorId,
    pub external_id: String,
    pub amount: Money,
    pub balance: Option<Money>,
    pub issued_on: Option<NaiveDate>,
    pub due_on: NaiveDate,
    pub product: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct DebtorFilter {
    pub external_id: Option<String>,
    pub country: Option<Country>,
    pub segment: Option<String>,
    pub kind: Option<DebtorKind>,
    /// What an agent typed: part of the name (without regard to case or accents), a document
    /// number, a phone or an email in any format the import accepts
    /// ([`search_terms`](recaudo_domain::search::search_terms)).
    pub search: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct DebtFilter {
    pub debtor_id: Option<DebtorId>,
    pub external_id: Option<String>,
    pub status: Option<DebtStatus>,
    pub currency: Option<Currency>,
    pub due_before: Option<NaiveDate>,
    pub due_after: Option<NaiveDate>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// Normalises the address of a contact point for its channel.
pub fn normalize_contact_address(
    channel: Channel,
    address: Option<&str>,
    postal: Option<&PostalAddress>,
    region: Country,
) -> Result<String> {
    use recaudo_domain::contact::{normalize_email, normalize_phone_for};
    match channel {
        Channel::Email => normalize_email(address.unwrap_or("")).map_err(|e| invalid("address", e)),
        Channel::Sms | Channel::Whatsapp | Channel::Voice => {
            normalize_phone_for(channel, address.unwrap_or(""), region)
                .map_err(|e| invalid("address", e))
        }
        Channel::Letter => {
            let postal =
                postal.ok_or_else(|| invalid("postal", "a letter contact point needs `postal`"))?;
            if postal.line1.trim().is_empty() || postal.city.trim().is_empty() {
                return Err(invalid("postal", "needs at least `line1` and `city`"));
            }
            Ok(postal.formatted())
        }
    }
}

impl TenantStore {
    // ---- debtors ----

    pub async fn create_debtor(&self, new: NewDebtor, now: DateTime<Utc>) -> Result<Debtor> {
        let external_id = check_external_id("external_id", &new.external_id)?;
        let name = new.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(invalid("name", "must be 1 to 200 characters"));
        }
        let country = new.country.unwrap_or(self.tenant.country);
        let timezone = match &new.timezone {
            Some(tz) => parse_timezone(tz)
                .map_err(|e| invalid("timezone", e))?
                .name()
                .to_string(),
            None if new.country.is_some() => country.default_timezone().name().to_string(),
            None => self.tenant.timezone.clone(),
        };
        let attributes = new.attributes.unwrap_or_else(|| serde_json::json!({}));
        if !attributes.is_object() {
            return Err(invalid("attributes", "must be a JSON object"));
        }
        let debtor = Debtor {
            id: DebtorId::generate(),
            external_id,
            kind: new.kind.unwrap_or(DebtorKind::Person),
            name,
            document_type: new.document_type,
            document_number: new.document_number,
            birth_date: new.birth_date,
            language: new.language.unwrap_or(country.language()),
            timezone,
            country,
            segment: new.segment,
            computed_segment: None,
            tags: new.tags,
            attributes,
            preferences: new.preferences.unwrap_or_default(),
            created_at: now,
            updated_at: now,
        };
        let mut sql = Sql::new(&format!(
            "INSERT INTO debtors (tenant_id, {DEBTOR_COLUMNS}, {DEBTOR_SEARCH_COLUMNS}) VALUES "
        ));
        let [search_name, document_key] =
            debtor_search_values(&debtor.name, debtor.document_number.as_deref());
        sql.push_values(vec![
            self.tid.clone().into(),
            debtor.id.into(),
            debtor.external_id.clone().into(),
            debtor.kind.as_str().into(),
            debtor.name.clone().into(),
            debtor.document_type.clone().into(),
            debtor.document_number.clone().into(),
            debtor.birth_date.into(),
            debtor.language.as_str().into(),
            debtor.timezone.clone().into(),
            debtor.country.code().into(),
            debtor.segment.clone().into(),
            serde_json::json!(debtor.tags).into(),
            debtor.attributes.clone().into(),
            serde_json::to_value(&debtor.preferences)
                .map_err(StoreError::corrupt)?
                .into(),
            now.into(),
            now.into(),
            search_name,
            document_key,
        ]);
        let event = insert_event(
            &self.tid,
            NewEvent {
                debtor_id: debtor.id,
                debt_id: None,
                kind: EventKind::DebtorCreated,
                at: now,
                recorded_at: now,
                data: serde_json::json!({"external_id": debtor.external_id}),
            },
        );
        self.run_tx(vec![sql, event]).await.map_err(|e| {
            if e.is_unique_violation() {
                StoreError::Duplicate {
                    what: Entity::Debtor,
                    external_id: debtor.external_id.clone(),
                }
            } else {
                e
            }
        })?;
        Ok(debtor)
    }

    pub async fn get_debtor(&self, id: DebtorId) -> Result<Debtor> {
        let mut sql = Sql::new(&format!(
            "SELECT {DEBTOR_READ_COLUMNS} FROM {DEBTORS_FROM} WHERE tenant_id = "
        ));
        sql.push_arg(self.tid.clone())
            .push(" AND erased_at IS NULL AND id = ")
            .push_arg(id);
        let row = on_pool!(self.store, |pool| fetch_optional!(DebtorRow, sql, pool));
        row.ok_or_else(|| StoreError::not_found(Entity::Debtor, id))?
            .into_domain()
    }

    pub async fn get_debtor_by_external_id(&self, external_id: &str) -> Result<Debtor> {
        let mut sql = Sql::new(&format!(
            "SELECT {DEBTOR_READ_COLUMNS} FROM {DEBTORS_FROM} WHERE tenant_id = "
        ));
        sql.push_arg(self.tid.clone())
            .push(" AND erased_at IS NULL AND external_id = ")
            .push_arg(external_id.to_string());
        let row = on_pool!(self.store, |pool| fetch_optional!(DebtorRow, sql, pool));
        row.ok_or_else(|| StoreError::not_found(Entity::Debtor, external_id))?
            .into_domain()
    }

    pub async fn list_debtors(&self, filter: &DebtorFilter) -> Result<Page<Debtor>> {
        let limit = page_limit(filter.limit)?;
        let mut sql = Sql::new(&format!(
            "SELECT {DEBTOR_READ_COLUMNS} FROM {DEBTORS_FROM} WHERE tenant_id = "
        ));
        sql.push_arg(self.tid.clone())
            .push(" AND erased_at IS NULL");
        if let Some(value) = &filter.external_id {
            sql.push(" AND external_id = ").push_arg(value.clone());
        }
        if let Some(value) = filter.country {
            sql.push(" AND country = ").push_arg(value.code());
        }
        if let Some(value) = &filter.segment {
            sql.push(&format!(" AND {DEBTOR_SEGMENT} = "))
                .push_arg(value.clone());
        }
        if let Some(value) = filter.kind {
            sql.push(" AND kind = ").push_arg(value.as_str());
        }
        if let Some(text) = &filter.search {
            self.push_search(&mut sql, text);
        }
        if let Some(cursor) = &filter.cursor {
            sql.push(" AND id > ").push_arg(cursor.clone());
        }
        sql.push(" ORDER BY id LIMIT ").push_arg(limit + 1);
        let rows = on_pool!(self.store, |pool| fetch_all!(DebtorRow, sql, pool));
        Ok(into_page(
            convert(rows, DebtorRow::into_domain)?,
            limit,
            |d| d.id.to_string(),
        ))
    }

    /// Whether the debtor is on record, erased or not: an erased debtor's timeline stays
    /// readable (the anonymised record of what happened).
    pub(crate) async fn check_debtor_on_record(&self, id: DebtorId) -> Result<()> {
        let mut sql = Sql::new("SELECT id FROM debtors WHERE tenant_id = ");
        sql.push_arg(self.tid.clone())
            .push(" AND id = ")
            .push_arg(id);
        let row = on_pool!(self.store, |pool| fetch_optional!(
            crate::outbox::IdRow<DebtorId>,
            sql,
            pool
        ));
        row.map(|_| ())
            .ok_or_else(|| StoreError::not_found(Entity::Debtor, id))
    }

    /// ` AND (…)`: the debtors [`search_terms`](recaudo_domain::search::search_terms) of `text`
    /// match, by folded name, document key or a contact point's address.
    fn push_search(&self, sql: &mut Sql, text: &str) {
        let terms = recaudo_domain::search::search_terms(text, self.tenant.country);
        let mut any = Vec::new();
        if let Some(name) = terms.name {
            let needle = sql.arg(name);
            let position = crate::dialect::position(self.is_sqlite());
            any.push(format!("{position}(search_name, {needle}) > 0"));
        }
        if let Some(document) = terms.document {
            any.push(format!("document_key = {}", sql.arg(document)));
        }
        if let Some(address) = terms.address {
            let tenant = sql.arg(self.tid.clone());
            let address = sql.arg(address);
            any.push(format!(
                "id IN (SELECT debtor_id FROM contact_points WHERE tenant_id = {tenant} \
                 AND address = {address})"
            ));
        }
        if any.is_empty() {
            // Nothing to look for (only spaces): nothing matches, as no name contains it.
            any.push("1 = 0".to_string());
        }
        sql.push(&format!(" AND ({})", any.join(" OR ")));
    }

    /// Replaces the editable fields of a debtor (the caller merges a patch into the current one).
    pub async fn update_debtor(&self, debtor: &Debtor, now: DateTime<Utc>) -> Result<Debtor> {
        let mut updated = debtor.clone();
        updated.name = updated.name.trim().to_string();
        if updated.name.is_empty() || updated.name.chars().count() > 200 {
            return Err(invalid("name", "must be 1 to 200 characters"));
        }
        updated.timezone = parse_timezone(&updated.timezone)
            .map_err(|e| invalid("timezone", e))?
            .name()
            .to_string();
        if !updated.attributes.is_object() {
            return Err(invalid("attributes", "must be a JSON object"));
        }
        updated.updated_at = now;
        let mut sql = Sql::new("UPDATE debtors SET kind = ");
        sql.push_arg(updated.kind.as_str())
            .push(", name = ")
            .push_arg(updated.name.clone())
            .push(", document_type = ")
            .push_arg(updated.document_type.clone())
            .push(", document_number = ")
            .push_arg(updated.document_number.clone())
            .push(", birth_date = ")
            .push_arg(updated.birth_date)
            .push(", language = ")
            .push_arg(updated.language.as_str())
            .push(", timezone = ")
            .push_arg(updated.timezone.clone())
            .push(", country = ")
            .push_arg(updated.country.code())
            .push(", segment = ")
            .push_arg(updated.segment.clone())
            .push(", tags = ")
            .push_arg(serde_json::json!(updated.tags))
            .push(", attributes = ")
            .push_arg(updated.attributes.clone())
            .push(", preferences = ")
            .push_arg(serde_json::to_value(&updated.preferences).map_err(StoreError::corrupt)?)
            .push(", updated_at = ")
            .push_arg(now);
        let [search_name, document_key] =
            debtor_search_values(&updated.name, updated.document_number.as_deref());
        sql.push(", search_name = ")
            .push_arg(search_name)
            .push(", document_key = ")
            .push_arg(document_key)
            .push(" WHERE tenant_id = ")
            .push_arg(self.tid.clone())
            .push(" AND erased_at IS NULL AND id = ")
            .push_arg(updated.id);
        let event = insert_event(
            &self.tid,
            NewEvent {
                debtor_id: updated.id,
                debt_id: None,
                kind: EventKind::DebtorUpdated,
                at: now,
                recorded_at: now,
                data: serde_json::json!({}),
            },
        );
        let count = self.run_tx_counting_first(vec![sql, event]).await?;
        if count == 0 {
            return Err(StoreError::not_found(Entity::Debtor, updated.id));
        }
        Ok(updated)
    }

    /// Erases a debtor's personal data (Habeas Data, LGPD, GDPR), in one transaction, and
    /// records `debtor_erased`. Gone: the name, the document, the birth date, tags, attributes and
    /// preferences, the tenant's external id for the debtor (it may be the document number, as
    /// imports without an id column make it: it becomes `erased:<debtor id>`), the addresses of
    /// the contact points (each becomes `erased:<contact point id>`) and, in the debtor's
    /// events, the members that may hold personal data ([`ERASED_EVENT_KEYS`]), and the kept
    /// API answers that name the debtor (idempotency replays). Kept, anonymised, for the
    /// tenant's accounts and the contact-record duty: the debts (amounts, dates, statuses, their
    /// external ids), payments, promises, disputes, the contacts (channels, dates, states) and
    /// the contact points' channels and consent records. Contacts still `planned` are
    /// cancelled. From then on the debtor is not found, listed, searched or planned; debts and
    /// their timelines stay readable. An erased or unknown debtor is `NotFound`.
    pub async fn erase_debtor(&self, id: DebtorId, now: DateTime<Utc>) -> Result<()> {
        let sqlite = self.is_sqlite();
        let empty_object = crate::dialect::empty_json_object(sqlite);
        let empty_array = if sqlite { "'[]'" } else { "'[]'::jsonb" };
        let mut debtor = Sql::new(&format!(
            "UPDATE debtors SET external_id = 'erased:' || id, name = '', document_type = NULL, \
             document_number = NULL, birth_date = NULL, tags = {empty_array}, \
             attributes = {empty_object}, preferences = {empty_object}, search_name = '', \
             document_key = NULL, erased_at = "
        ));
        debtor
            .push_arg(now)
            .push(", updated_at = ")
            .push_arg(now)
            .push(" WHERE tenant_id = ")
            .push_arg(self.tid.clone())
            .push(" AND erased_at IS NULL AND id = ")
            .push_arg(id);
        let mut points = Sql::new(
            "UPDATE contact_points SET address = 'erased:' || id, postal = NULL WHERE tenant_id = ",
        );
        points
            .push_arg(self.tid.clone())
            .push(" AND debtor_id = ")
            .push_arg(id);
        // A debtor's own events (no debt) lose the external id too: it is the debtor's.
        let debtor_keys: Vec<&str> = ERASED_EVENT_KEYS
            .iter()
            .copied()
            .chain(["external_id"])
            .collect();
        let mut events = Sql::new(&format!(
            "UPDATE events SET data = CASE WHEN debt_id IS NULL THEN {} ELSE {} END \
             WHERE tenant_id = ",
            crate::dialect::json_without_keys(sqlite, "data", &debtor_keys),
            crate::dialect::json_without_keys(sqlite, "data", ERASED_EVENT_KEYS)
        ));
        events
            .push_arg(self.tid.clone())
            .push(" AND debtor_id = ")
            .push_arg(id);
        let mut contacts = Sql::new("UPDATE contacts SET state = 'cancelled', updated_at = ");
        contacts
            .push_arg(now)
            .push(" WHERE tenant_id = ")
            .push_arg(self.tid.clone())
            .push(" AND debtor_id = ")
            .push_arg(id)
            .push(" AND state = 'planned'");
        // The messages as sent name the debtor and their address; an agent's note may too.
        let mut messages = Sql::new("DELETE FROM contact_messages WHERE tenant_id = ");
        messages
            .push_arg(self.tid.clone())
            .push(" AND contact_id IN (SELECT id FROM contacts WHERE debtor_id = ")
            .push_arg(id)
            .push(")");
        // What the debtor wrote, and agents' notes about it.
        let mut inbound = Sql::new("DELETE FROM messages WHERE tenant_id = ");
        inbound
            .push_arg(self.tid.clone())
            .push(" AND debtor_id = ")
            .push_arg(id);
        let mut task_notes = Sql::new("DELETE FROM task_notes WHERE tenant_id = ");
        task_notes
            .push_arg(self.tid.clone())
            .push(" AND task_id IN (SELECT id FROM tasks WHERE debtor_id = ")
            .push_arg(id)
            .push(")");
        let mut errors =
            Sql::new("UPDATE contacts SET last_error = NULL, body = NULL WHERE tenant_id = ");
        errors
            .push_arg(self.tid.clone())
            .push(" AND debtor_id = ")
            .push_arg(id);
        let mut notes = Sql::new("UPDATE tasks SET note = NULL WHERE tenant_id = ");
        notes
            .push_arg(self.tid.clone())
            .push(" AND debtor_id = ")
            .push_arg(id);
        let mut replays = Sql::new("DELETE FROM idempotency_keys WHERE tenant_id = ");
        let tenant = replays.arg(self.tid.clone());
        let needle = replays.arg(id);
        replays.push(&format!(
            "{tenant} AND {}(response, {needle}) > 0",
            crate::dialect::position(sqlite)
        ));
        let erased = insert_event(
            &self.tid,
            NewEvent {
                debtor_id: id,
                debt_id: None,
                kind: EventKind::DebtorErased,
                at: now,
                recorded_at: now,
                data: serde_json::json!({}),
            },
        );
        let count = self
            .run_tx_counting_first(vec![
                debtor, points, events, contacts, messages, inbound, task_notes, errors, notes,
                replays, erased,
            ])
            .await?;
        if count == 0 {
            return Err(StoreError::not_found(Entity::Debtor, id));
        }
        Ok(())
    }

    // ---- contact points ----

    pub async fn add_contact_point(
        &self,
        debtor_id: DebtorId,
        new: NewContactPoint,
        now: DateTime<Utc>,
    ) -> Result<ContactPoint> {
        let debtor = self.get_debtor(debtor_id).await?;
        let address = normalize_contact_address(
            new.channel,
            new.address.as_deref(),
            new.postal.as_ref(),
            debtor.country,
        )?;
        let opted_out_at = new.consent.opted_out_at(now);
        let cp = ContactPoint {
            id: ContactPointId::generate(),
            debtor_id,
            channel: new.channel,
            address,
            postal: if new.channel == Channel::Letter {
                new.postal.map(Box::new)
            } else {
                None
            },
            verified: false,
            consent: new.consent,
            opted_out_at,
            priority: new.priority.unwrap_or(0),
            bounce_count: 0,
            created_at: now,
        };
        let mut sql = Sql::new(&format!(
            "INSERT INTO contact_points (tenant_id, {CONTACT_POINT_COLUMNS}) VALUES "
        ));
        sql.push_values(contact_point_values(&self.tid, &cp)?);
        let event = insert_event(
            &self.tid,
            NewEvent {
                debtor_id,
                debt_id: None,
                kind: EventKind::ContactPointAdded,
                at: now,
                recorded_at: now,
                data: serde_json::json!({"contact_point_id": cp.id, "channel": cp.channel, "consent": cp.consent.status}),
            },
        );
        self.run_tx(vec![sql, event]).await.map_err(|e| {
            if e.is_unique_violation() {
                invalid(
                    "address",
                    format!("the debtor already has this {} address", cp.channel),
                )
            } else {
                e
            }
        })?;
        Ok(cp)
    }

    pub async fn list_contact_points(&self, debtor_id: DebtorId) -> Result<Vec<ContactPoint>> {
        self.get_debtor(debtor_id).await?;
        let mut sql = Sql::new(&format!(
            "SELECT {CONTACT_POINT_COLUMNS} FROM contact_points WHERE tenant_id = "
        ));
        sql.push_arg(self.tid.clone())
            .push(" AND debtor_id = ")
            .push_arg(debtor_id)
            .push(" ORDER BY channel, priority, id");
        let rows = on_pool!(self.store, |pool| fetch_all!(ContactPointRow, sql, pool));
        convert(rows, ContactPointRow::into_domain)
    }

    pub async fn get_contact_point(&self, id: ContactPointId) -> Result<ContactPoint> {
        let mut sql = Sql::new(&format!(
            "SELECT {CONTACT_POINT_COLUMNS} FROM contact_points WHERE tenant_id = "
        ));
        sql.push_arg(self.tid.clone())
            .push(" AND id = ")
            .push_arg(id);
        let row = on_pool!(self.store, |pool| fetch_optional!(
            ContactPointRow,
            sql,
            pool
        ));
        row.ok_or_else(|| StoreError::not_found(Entity::ContactPoint, id))?
            .into_domain()
    }

    /// Records a change of consent; `opted_out` also stamps the opt-out time.
    pub async fn set_consent(
        &self,
        id: ContactPointId,
        consent: Consent,
        now: DateTime<Utc>,
    ) -> Result<ContactPoint> {
        let mut cp = self.get_contact_point(id).await?;
        let opted_out = consent.status == ConsentStatus::OptedOut;
        cp.set_consent(consent, now);
        let mut sql = Sql::new("UPDATE contact_points SET consent_status = ");
        sql.push_arg(cp.consent.status.as_str())
            .push(", consent_source = ")
            .push_arg(cp.consent.source.clone())
            .push(", consent_at = ")
            .push_arg(cp.consent.at)
            .push(", opted_out_at = ")
            .push_arg(cp.opted_out_at)
            .push(" WHERE tenant_id = ")
            .push_arg(self.tid.clone())
            .push(" AND id = ")
            .push_arg(id);
        let event = insert_event(
            &self.tid,
            NewEvent {
                debtor_id: cp.debtor_id,
                debt_id: None,
                kind: if opted_out {
                    EventKind::OptedOut
                } else {
                    EventKind::ConsentChanged
                },
                at: now,
                recorded_at: now,
                data: serde_json::json!({"contact_point_id": cp.id, "channel": cp.channel, "consent": cp.consent.status, "source": cp.consent.source}),
            },
        );
        self.run_tx(vec![sql, event]).await?;
        Ok(cp)
    }

    // ---- debts ----

    pub async fn create_debt(&self, new: NewDebt, now: DateTime<Utc>) -> Result<Debt> {
        let external_id = check_external_id("external_id", &new.external_id)?;
        self.get_debtor(new.debtor_id).await?;
        let balance = new.balance.unwrap_or(new.amount);
        if balance.currency != new.amount.currency {
            return Err(invalid("balance", "must be in the currency of `amount`"));
        }
        if balance.amount > new.amount.amount {
            return Err(invalid("balance", "must not exceed `amount`"));
        }
        if balance.amount.is_sign_negative() && !balance.amount.is_zero() {
            return Err(invalid("balance", "must not be negative"));
        }
        let issued_on = new.issued_on.unwrap_or(new.due_on);
        if issued_on > new.due_on {
            return Err(invalid("issued_on", "must not be after `due_on`"));
        }
        let debt = Debt {
            id: DebtId::generate(),
            debtor_id: new.debtor_id,
            external_id,
            original: new.amount,
            balance,
            issued_on,
            due_on: new.due_on,
            product: new.product,
            status: if balance.is_zero_or_less() {
                DebtStatus::Paid
            } else {
                DebtStatus::Open
            },
            strategy: None,
            created_at: now,
            updated_at: now,
        };
        let mut sql = Sql::new(&format!(
            "INSERT INTO debts (tenant_id, {DEBT_COLUMNS}) VALUES "
        ));
        sql.push_values(vec![
            self.tid.clone().into(),
            debt.id.into(),
            debt.debtor_id.into(),
            debt.external_id.clone().into(),
            debt.original.currency.code().into(),
            debt.original
                .to_minor()
                .map_err(|e| invalid("amount", e))?
                .into(),
            debt.balance
                .to_minor()
                .map_err(|e| invalid("balance", e))?
                .into(),
            debt.issued_on.into(),
            debt.due_on.into(),
            debt.product.clone().into(),
            debt.status.as_str().into(),
            now.into(),
            now.into(),
        ]);
        let event = insert_event(
            &self.tid,
            NewEvent {
                debtor_id: debt.debtor_id,
                debt_id: Some(debt.id),
                kind: EventKind::InvoiceIssued,
                at: now,
                recorded_at: now,
                data: serde_json::json!({"external_id": debt.external_id, "amount": debt.original, "balance": debt.balance, "due_on": debt.due_on}),
            },
        );
        self.run_tx(vec![sql, event]).await.map_err(|e| {
            if e.is_unique_violation() {
                StoreError::Duplicate {
                    what: Entity::Debt,
                    external_id: debt.external_id.clone(),
                }
            } else {
                e
            }
        })?;
        Ok(debt)
    }

    pub async fn get_debt(&self, id: DebtId) -> Result<Debt> {
        let mut sql = Sql::new(&format!(
            "SELECT {DEBT_COLUMNS}, {DEBT_STRATEGY_COLUMNS} FROM {DEBTS_FROM} WHERE tenant_id = "
        ));
        sql.push_arg(self.tid.clone())
            .push(" AND id = ")
            .push_arg(id);
        let row = on_pool!(self.store, |pool| fetch_optional!(DebtRow, sql, pool));
        row.ok_or_else(|| StoreError::not_found(Entity::Debt, id))?
            .into_domain()
    }

    /// The debt the tenant knows by `external_id`, if any.
    pub async fn find_debt_by_external_id(&self, external_id: &str) -> Result<Option<Debt>> {
        let mut sql = Sql::new(&format!(
            "SELECT {DEBT_COLUMNS}, {DEBT_STRATEGY_COLUMNS} FROM {DEBTS_FROM} WHERE tenant_id = "
        ));
        sql.push_arg(self.tid.clone())
            .push(" AND external_id = ")
            .push_arg(external_id.trim().to_string());
        let row = on_pool!(self.store, |pool| fetch_optional!(DebtRow, sql, pool));
        row.map(DebtRow::into_domain).transpose()
    }

    pub async fn list_debts(&self, filter: &DebtFilter) -> Result<Page<Debt>> {
        let limit = page_limit(filter.limit)?;
        let mut sql = Sql::new(&format!(
            "SELECT {DEBT_COLUMNS}, {DEBT_STRATEGY_COLUMNS} FROM {DEBTS_FROM} WHERE tenant_id = "
        ));
        sql.push_arg(self.tid.clone());
        if let Some(value) = filter.debtor_id {
            sql.push(" AND debtor_id = ").push_arg(value);
        }
        if let Some(value) = &filter.external_id {
            sql.push(" AND external_id = ").push_arg(value.clone());
        }
        if let Some(value) = filter.status {
            sql.push(" AND status = ").push_arg(value.as_str());
        }
        if let Some(value) = filter.currency {
            sql.push(" AND currency = ").push_arg(value.code());
        }
        if let Some(value) = filter.due_before {
            sql.push(" AND due_on < ").push_arg(value);
        }
        if let Some(value) = filter.due_after {
            sql.push(" AND due_on > ").push_arg(value);
        }
        if let Some(cursor) = &filter.cursor {
            sql.push(" AND id > ").push_arg(cursor.clone());
        }
        sql.push(" ORDER BY id LIMIT ").push_arg(limit + 1);
        let rows = on_pool!(self.store, |pool| fetch_all!(DebtRow, sql, pool));
        Ok(into_page(
            convert(rows, DebtRow::into_domain)?,
            limit,
            |d| d.id.to_string(),
        ))
    }

    // ---- shared ----

    /// Runs statements in one transaction.
    pub(crate) async fn run_tx(&self, stmts: Vec<Sql>) -> Result<()> {
        self.run_tx_counting_first(stmts).await.map(|_| ())
    }

    /// Runs `guards` then `rest` in one transaction, committed only if every guard touched
    /// exactly one row (a compare-and-set of several rows at once); false when one did not, and
    /// nothing is written.
    pub(crate) async fn run_tx_guarded(&self, guards: Vec<Sql>, rest: Vec<Sql>) -> Result<bool> {
        on_pool!(self.store, |pool| {
            let mut tx = crate::sql::begin!(pool);
            for statement in guards {
                if exec!(statement, &mut *tx) != 1 {
                    tx.rollback().await?;
                    return Ok(false);
                }
            }
            for statement in rest {
                exec!(statement, &mut *tx);
            }
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Runs statements in one transaction; returns the rows the first one touched. When the first
    /// touches none, nothing is committed.
    pub(crate) async fn run_tx_counting_first(&self, stmts: Vec<Sql>) -> Result<u64> {
        on_pool!(self.store, |pool| {
            let mut tx = crate::sql::begin!(pool);
            let mut first = None;
            for statement in stmts {
                let count = exec!(statement, &mut *tx);
                if first.is_none() {
                    first = Some(count);
                    if count == 0 {
                        tx.rollback().await?;
                        return Ok(0);
                    }
                }
            }
            tx.commit().await?;
            Ok(first.unwrap_or(0))
        })
    }
}

/// The members of an event's data that may hold personal data, removed when its debtor is
/// erased: message texts and addresses of replies and deliveries, providers' error texts (which
/// may quote the address), and a consent's source (free text). The debtor's own events (`debtor_created`) also lose `external_id`; a debt's events
/// keep the debt's.
pub const ERASED_EVENT_KEYS: &[&str] = &[
    "text",
    "body",
    "message",
    "from",
    "to",
    "address",
    "name",
    "document_number",
    "source",
    "error",
];

/// The values of a contact point row, in `CONTACT_POINT_COLUMNS` order after the tenant.
pub(crate) fn contact_point_values(tid: &str, cp: &ContactPoint) -> Result<Vec<Arg>> {
    Ok(vec![
        tid.to_string().into(),
        cp.id.into(),
        cp.debtor_id.into(),
        cp.channel.as_str().into(),
        cp.address.clone().into(),
        cp.postal
            .as_ref()
            .map(serde_json::to_value)
            .transpose()
            .map_err(StoreError::corrupt)?
            .into(),
        cp.verified.into(),
        cp.consent.status.as_str().into(),
        cp.consent.source.clone().into(),
        cp.consent.at.into(),
        cp.opted_out_at.into(),
        i64::from(cp.priority).into(),
        i64::from(cp.bounce_count).into(),
        cp.created_at.into(),
    ])
}
