//! Stored responses for `Idempotency-Key`: a retried POST gets the first answer back.

use chrono::{DateTime, Utc};

use crate::sql::{Sql, exec, fetch_optional};
use crate::{Result, TenantStore, on_pool};

/// The columns of a [`StoredResponse`].
const RESPONSE_COLUMNS: &str = "request_hash, status_code, response";

/// The first response given to a key, and the hash of the request that got it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredResponse {
    pub request_hash: String,
    pub status_code: i32,
    pub response: String,
}

impl TenantStore {
    pub async fn idempotent_response(&self, key: &str) -> Result<Option<StoredResponse>> {
        let mut sql = Sql::new(&format!(
            "SELECT {RESPONSE_COLUMNS} FROM idempotency_keys WHERE tenant_id = "
        ));
        sql.push_arg(self.tid.clone())
            .push(" AND key = ")
            .push_arg(key.to_string());
        Ok(on_pool!(self.store, |pool| fetch_optional!(
            StoredResponse,
            sql,
            pool
        )))
    }

    /// Keeps the response for the key; a concurrent first writer wins, and is returned.
    pub async fn save_idempotent_response(
        &self,
        key: &str,
        stored: &StoredResponse,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut sql = Sql::new(&format!(
            "INSERT INTO idempotency_keys (tenant_id, key, {RESPONSE_COLUMNS}, created_at) VALUES "
        ));
        sql.push_values(vec![
            self.tid.clone().into(),
            key.to_string().into(),
            stored.request_hash.clone().into(),
            i64::from(stored.status_code).into(),
            stored.response.clone().into(),
            now.into(),
        ])
        .push(" ON CONFLICT (tenant_id, key) DO NOTHING");
        on_pool!(self.store, |pool| exec!(sql, pool));
        Ok(())
    }
}
