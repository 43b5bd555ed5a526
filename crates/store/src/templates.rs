//! A tenant's own texts of message templates, one row per (template, channel, language); the
//! body is the override as saved (checked by the channels crate before it gets here).

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::sql::{Sql, exec, fetch_all};
use crate::{Result, TenantStore, on_pool};

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StoredTemplate {
    pub name: String,
    pub channel: String,
    pub language: String,
    #[schema(value_type = Object)]
    pub body: serde_json::Value,
    /// 1 when first saved, one more each time it is replaced.
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct TemplateRow {
    name: String,
    channel: String,
    language: String,
    body: sqlx::types::Json<serde_json::Value>,
    version: i64,
    updated_at: DateTime<Utc>,
}

impl From<TemplateRow> for StoredTemplate {
    fn from(row: TemplateRow) -> StoredTemplate {
        StoredTemplate {
            name: row.name,
            channel: row.channel,
            language: row.language,
            body: row.body.0,
            version: row.version,
            updated_at: row.updated_at,
        }
    }
}

impl TenantStore {
    /// Saves the tenant's text of (name, channel, language), replacing the one before.
    pub async fn put_message_template(
        &self,
        name: &str,
        channel: &str,
        language: &str,
        body: serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<StoredTemplate> {
        let mut sql = Sql::new(
            "INSERT INTO message_templates (tenant_id, name, channel, language, body, version, \
             updated_at) VALUES ",
        );
        sql.push_values(vec![
            self.tid.clone().into(),
            name.into(),
            channel.into(),
            language.into(),
            body.into(),
            1i64.into(),
            now.into(),
        ]);
        sql.push(
            " ON CONFLICT (tenant_id, name, channel, language) DO UPDATE SET body = excluded.body, \
             version = message_templates.version + 1, updated_at = excluded.updated_at",
        );
        self.run_tx(vec![sql]).await?;
        self.list_message_templates()
            .await?
            .into_iter()
            .find(|t| t.name == name && t.channel == channel && t.language == language)
            .ok_or_else(|| crate::StoreError::corrupt("a saved template is not there"))
    }

    /// The tenant's template texts, by name, channel and language.
    pub async fn list_message_templates(&self) -> Result<Vec<StoredTemplate>> {
        let mut sql = Sql::new(
            "SELECT name, channel, language, body, version, updated_at FROM message_templates \
             WHERE tenant_id = ",
        );
        sql.push_arg(self.tid.clone())
            .push(" ORDER BY name, channel, language");
        let rows = on_pool!(self.store, |pool| fetch_all!(TemplateRow, sql, pool));
        Ok(rows.into_iter().map(StoredTemplate::from).collect())
    }

    /// Removes the tenant's text of (name, channel, language): the default applies again.
    /// Returns whether there was one.
    pub async fn delete_message_template(
        &self,
        name: &str,
        channel: &str,
        language: &str,
    ) -> Result<bool> {
        let mut sql = Sql::new("DELETE FROM message_templates WHERE tenant_id = ");
        sql.push_arg(self.tid.clone())
            .push(" AND name = ")
            .push_arg(name.to_string())
            .push(" AND channel = ")
            .push_arg(channel.to_string())
            .push(" AND language = ")
            .push_arg(language.to_string());
        let deleted = on_pool!(self.store, |pool| exec!(sql, pool));
        Ok(deleted > 0)
    }
}
