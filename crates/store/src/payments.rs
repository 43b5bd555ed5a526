//! Payments through providers: what a debtor set out to pay (a payment intent: the debts, how
//! much of each, the account, the provider's reference), the providers' notifications acted on
//! (so a replayed or duplicated one changes nothing), and calling off what was still planned for
//! debts that are paid.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;

use recaudo_domain::event::{EventKind, NewEvent};
use recaudo_domain::{ContactId, Currency, DebtId, DebtorId, Money, PaymentIntentId};

use crate::events::insert_event;
use crate::sql::{Sql, exec, fetch_all, fetch_optional};
use crate::{Entity, Result, StoreError, TenantStore, on_pool};

/// How much of one debt an intent pays.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Allocation {
    pub debt_id: DebtId,
    pub amount: Money,
}

/// Where an intent stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntentStatus {
    /// Shown to the debtor, not paid yet.
    Open,
    Paid,
    /// The provider said the payment failed.
    Failed,
}

impl IntentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            IntentStatus::Open => "open",
            IntentStatus::Paid => "paid",
            IntentStatus::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Result<IntentStatus> {
        match text {
            "open" => Ok(IntentStatus::Open),
            "paid" => Ok(IntentStatus::Paid),
            "failed" => Ok(IntentStatus::Failed),
            other => Err(StoreError::Corrupt(format!(
                "payment intent status `{other}`"
            ))),
        }
    }
}

/// What a debtor set out to pay.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PaymentIntent {
    pub id: PaymentIntentId,
    pub debtor_id: DebtorId,
    /// The payment account's name.
    pub account: String,
    /// The provider's kind (`pix`, `stripe`, `mercadopago`, `sandbox`).
    pub provider: String,
    pub amount: Money,
    pub allocations: Vec<Allocation>,
    /// The PIX txid (also the short reference other providers are given).
    pub txid: String,
    /// The provider's id of the checkout (a Checkout Session, a preference), once created.
    pub provider_ref: Option<String>,
    /// What the debtor is shown: `{"pix": "<BR Code>"}` or `{"redirect": "<url>"}`.
    pub action: serde_json::Value,
    pub status: IntentStatus,
    /// Where it started: `{"source": "portal", "contact_id": …}`.
    pub origin: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub paid_at: Option<DateTime<Utc>>,
    /// The provider's id of the payment that paid it.
    pub paid_ref: Option<String>,
}

impl PaymentIntent {
    /// The contact whose link the debtor followed, when it started from one.
    pub fn contact_id(&self) -> Option<ContactId> {
        self.origin
            .get("contact_id")
            .and_then(|v| v.as_str())
            .and_then(|s| s.parse().ok())
    }
}

/// An intent about to be stored.
#[derive(Debug, Clone)]
pub struct NewIntent {
    pub debtor_id: DebtorId,
    pub account: String,
    pub provider: String,
    pub allocations: Vec<Allocation>,
    pub origin: serde_json::Value,
}

const INTENT_COLUMNS: &str = "id, debtor_id, account, provider, currency, amount, allocations, \
     txid, provider_ref, action, status, origin, created_at, expires_at, paid_at, paid_ref";

#[derive(sqlx::FromRow)]
struct IntentRow {
    id: PaymentIntentId,
    debtor_id: DebtorId,
    account: String,
    provider: String,
    currency: String,
    amount: i64,
    allocations: Json<Vec<Allocation>>,
    txid: String,
    provider_ref: Option<String>,
    action: Json<serde_json::Value>,
    status: String,
    origin: Json<serde_json::Value>,
    created_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
    paid_at: Option<DateTime<Utc>>,
    paid_ref: Option<String>,
}

impl IntentRow {
    fn into_domain(self) -> Result<PaymentIntent> {
        let currency: Currency = self
            .currency
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("currency `{}`", self.currency)))?;
        Ok(PaymentIntent {
            id: self.id,
            debtor_id: self.debtor_id,
            account: self.account,
            provider: self.provider,
            amount: Money::from_minor(self.amount, currency),
            allocations: self.allocations.0,
            txid: self.txid,
            provider_ref: self.provider_ref,
            action: self.action.0,
            status: IntentStatus::parse(&self.status)?,
            origin: self.origin.0,
            created_at: self.created_at,
            expires_at: self.expires_at,
            paid_at: self.paid_at,
            paid_ref: self.paid_ref,
        })
    }
}

/// The txid an intent is known by at PIX (and the short reference of other providers): 25
/// letters and digits, the most a BR Code's field 62-05 takes, from the intent's id.
pub fn txid_of(id: PaymentIntentId) -> String {
    let text = id.to_string();
    let ulid = text.trim_start_matches("pin_");
    format!("RCD{ulid}").chars().take(25).collect()
}

/// A provider notification as claimed: new, or one seen before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// First time: act on it, then [`TenantStore::finish_notification`].
    New,
    /// Seen before and acted on (or being acted on right now): change nothing.
    Seen { outcome: String },
}

/// A claim older than this that was never finished was cut short (a crash): the provider's
/// retry acts on it again, and what was already recorded is not recorded twice.
const STALE_CLAIM_MINUTES: i64 = 10;

impl TenantStore {
    /// Stores a new intent; its amount is the sum of its allocations, all in one currency.
    pub async fn create_payment_intent(
        &self,
        new: NewIntent,
        now: DateTime<Utc>,
    ) -> Result<PaymentIntent> {
        let Some(first) = new.allocations.first() else {
            return Err(StoreError::Invalid {
                field: "debts".into(),
                message: "name at least one debt to pay".into(),
            });
        };
        let currency = first.amount.currency;
        let mut total = Money::zero(currency);
        for allocation in &new.allocations {
            if allocation.amount.is_zero_or_less() {
                return Err(StoreError::Invalid {
                    field: "amount".into(),
                    message: format!("must be above zero for debt {}", allocation.debt_id),
                });
            }
            total = total
                .checked_add(allocation.amount)
                .map_err(|e| StoreError::Invalid {
                    field: "amount".into(),
                    message: e.to_string(),
                })?;
        }
        let id = PaymentIntentId::generate();
        let txid = txid_of(id);
        let minor = total.to_minor().map_err(|e| StoreError::Invalid {
            field: "amount".into(),
            message: e.to_string(),
        })?;
        let mut sql = Sql::new(&format!(
            "INSERT INTO payment_intents (tenant_id, {INTENT_COLUMNS}) VALUES "
        ));
        sql.push_values(vec![
            self.tid.clone().into(),
            id.into(),
            new.debtor_id.into(),
            new.account.clone().into(),
            new.provider.clone().into(),
            currency.code().into(),
            minor.into(),
            crate::sql::raw_json(&new.allocations)?.into(),
            txid.clone().into(),
            None::<String>.into(),
            serde_json::json!({}).into(),
            IntentStatus::Open.as_str().into(),
            new.origin.clone().into(),
            now.into(),
            None::<DateTime<Utc>>.into(),
            None::<DateTime<Utc>>.into(),
            None::<String>.into(),
        ]);
        on_pool!(self.store, |pool| exec!(sql, pool));
        self.get_payment_intent(id).await
    }

    /// Records what the provider answered for an intent: its reference, what the debtor is
    /// shown, until when.
    pub async fn set_intent_checkout(
        &self,
        id: PaymentIntentId,
        provider_ref: &str,
        action: &serde_json::Value,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<PaymentIntent> {
        let mut sql = Sql::new("UPDATE payment_intents SET provider_ref = ");
        sql.push_arg(provider_ref.to_string())
            .push(", action = ")
            .push_arg(action.clone())
            .push(", expires_at = ")
            .push_arg(expires_at)
            .push(" WHERE tenant_id = ")
            .push_arg(self.tid.clone())
            .push(" AND id = ")
            .push_arg(id);
        on_pool!(self.store, |pool| exec!(sql, pool));
        self.get_payment_intent(id).await
    }

    pub async fn get_payment_intent(&self, id: PaymentIntentId) -> Result<PaymentIntent> {
        self.find_intent("id", id.to_string())
            .await?
            .ok_or_else(|| StoreError::not_found(Entity::PaymentIntent, id))
    }

    /// The intent a PIX txid names (any case: some PSPs fold it).
    pub async fn intent_by_txid(&self, txid: &str) -> Result<Option<PaymentIntent>> {
        self.find_intent("txid", txid.trim().to_ascii_uppercase())
            .await
    }

    async fn find_intent(&self, column: &str, value: String) -> Result<Option<PaymentIntent>> {
        let mut sql = Sql::new(&format!(
            "SELECT {INTENT_COLUMNS} FROM payment_intents WHERE tenant_id = "
        ));
        sql.push_arg(self.tid.clone())
            .push(&format!(" AND {column} = "))
            .push_arg(value);
        let row = on_pool!(self.store, |pool| fetch_optional!(IntentRow, sql, pool));
        row.map(IntentRow::into_domain).transpose()
    }

    /// A debtor's intents, newest first.
    pub async fn intents_of_debtor(&self, debtor: DebtorId) -> Result<Vec<PaymentIntent>> {
        let mut sql = Sql::new(&format!(
            "SELECT {INTENT_COLUMNS} FROM payment_intents WHERE tenant_id = "
        ));
        sql.push_arg(self.tid.clone())
            .push(" AND debtor_id = ")
            .push_arg(debtor)
            .push(" ORDER BY created_at DESC, id DESC LIMIT 100");
        let rows = on_pool!(self.store, |pool| fetch_all!(IntentRow, sql, pool));
        rows.into_iter().map(IntentRow::into_domain).collect()
    }

    /// Marks an intent paid or failed (from open; a paid intent stays paid). Returns whether it
    /// changed.
    pub async fn close_intent(
        &self,
        id: PaymentIntentId,
        status: IntentStatus,
        paid_ref: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let mut sql = Sql::new("UPDATE payment_intents SET status = ");
        sql.push_arg(status.as_str());
        if status == IntentStatus::Paid {
            sql.push(", paid_at = ")
                .push_arg(at)
                .push(", paid_ref = ")
                .push_arg(paid_ref.map(str::to_string));
        }
        sql.push(" WHERE tenant_id = ")
            .push_arg(self.tid.clone())
            .push(" AND id = ")
            .push_arg(id)
            .push(" AND status <> 'paid'");
        let changed = on_pool!(self.store, |pool| exec!(sql, pool));
        Ok(changed > 0)
    }

    /// Claims a provider's notification by its id: [`Claim::New`] the first time (and again
    /// when an earlier claim was cut short long ago), [`Claim::Seen`] for a replay.
    pub async fn claim_notification(
        &self,
        account: &str,
        event_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Claim> {
        let mut insert = Sql::new(
            "INSERT INTO payment_notifications (tenant_id, account, event_id, intent_id, \
             outcome, received_at) VALUES ",
        );
        insert
            .push_values(vec![
                self.tid.clone().into(),
                account.to_string().into(),
                event_id.to_string().into(),
                None::<String>.into(),
                "applying".into(),
                now.into(),
            ])
            .push(" ON CONFLICT (tenant_id, account, event_id) DO NOTHING");
        if on_pool!(self.store, |pool| exec!(insert, pool)) > 0 {
            return Ok(Claim::New);
        }
        // A claim cut short long ago is taken over (once: the update moves its time).
        let mut takeover = Sql::new("UPDATE payment_notifications SET received_at = ");
        takeover
            .push_arg(now)
            .push(" WHERE tenant_id = ")
            .push_arg(self.tid.clone())
            .push(" AND account = ")
            .push_arg(account.to_string())
            .push(" AND event_id = ")
            .push_arg(event_id.to_string())
            .push(" AND outcome = 'applying' AND received_at < ")
            .push_arg(now - chrono::Duration::minutes(STALE_CLAIM_MINUTES));
        if on_pool!(self.store, |pool| exec!(takeover, pool)) > 0 {
            return Ok(Claim::New);
        }
        #[derive(sqlx::FromRow)]
        struct Row {
            outcome: String,
        }
        let mut read = Sql::new("SELECT outcome FROM payment_notifications WHERE tenant_id = ");
        read.push_arg(self.tid.clone())
            .push(" AND account = ")
            .push_arg(account.to_string())
            .push(" AND event_id = ")
            .push_arg(event_id.to_string());
        let row = on_pool!(self.store, |pool| fetch_optional!(Row, read, pool));
        Ok(Claim::Seen {
            outcome: row.map(|r| r.outcome).unwrap_or_else(|| "applying".into()),
        })
    }

    /// Records what a claimed notification led to (`applied`, `duplicate`, `unknown_intent`…).
    pub async fn finish_notification(
        &self,
        account: &str,
        event_id: &str,
        intent: Option<PaymentIntentId>,
        outcome: &str,
    ) -> Result<()> {
        let mut sql = Sql::new("UPDATE payment_notifications SET outcome = ");
        sql.push_arg(outcome.to_string())
            .push(", intent_id = ")
            .push_arg(intent.map(|i| i.to_string()))
            .push(" WHERE tenant_id = ")
            .push_arg(self.tid.clone())
            .push(" AND account = ")
            .push_arg(account.to_string())
            .push(" AND event_id = ")
            .push_arg(event_id.to_string());
        on_pool!(self.store, |pool| exec!(sql, pool));
        Ok(())
    }

    /// Whether a payment with this provider reference is recorded on the debt.
    pub async fn has_payment_ref(&self, debt: DebtId, provider_ref: &str) -> Result<bool> {
        #[derive(sqlx::FromRow)]
        struct Row {
            n: i64,
        }
        let mut sql = Sql::new("SELECT COUNT(*) AS n FROM payments WHERE tenant_id = ");
        sql.push_arg(self.tid.clone())
            .push(" AND debt_id = ")
            .push_arg(debt)
            .push(" AND provider_ref = ")
            .push_arg(provider_ref.to_string());
        let row = on_pool!(self.store, |pool| fetch_optional!(Row, sql, pool));
        Ok(row.is_some_and(|r| r.n > 0))
    }

    /// Calls off the contacts still planned for these debts (not the answers to the debtor's
    /// own messages), each with a `cancelled` event naming `reason`. Returns how many.
    pub async fn cancel_planned_contacts(
        &self,
        debts: &[DebtId],
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        if debts.is_empty() {
            return Ok(0);
        }
        #[derive(sqlx::FromRow)]
        struct Row {
            id: ContactId,
            debtor_id: DebtorId,
            debt_id: DebtId,
            channel: String,
        }
        let mut sql =
            Sql::new("SELECT id, debtor_id, debt_id, channel FROM contacts WHERE tenant_id = ");
        sql.push_arg(self.tid.clone())
            .push(" AND state = 'planned' AND step <> ")
            .push_arg(recaudo_domain::outbox::ANSWER_STEP)
            .push(" AND debt_id IN ");
        sql.push_values(debts.iter().map(|d| (*d).into()).collect());
        let rows = on_pool!(self.store, |pool| fetch_all!(Row, sql, pool));
        if rows.is_empty() {
            return Ok(0);
        }
        let mut statements = Vec::with_capacity(rows.len() * 2);
        for row in &rows {
            let mut update = Sql::new("UPDATE contacts SET state = 'cancelled', outcome = ");
            update
                .push_arg(reason.to_string())
                .push(", updated_at = ")
                .push_arg(now)
                .push(" WHERE tenant_id = ")
                .push_arg(self.tid.clone())
                .push(" AND id = ")
                .push_arg(row.id)
                .push(" AND state = 'planned'");
            statements.push(update);
            statements.push(insert_event(
                &self.tid,
                NewEvent {
                    debtor_id: row.debtor_id,
                    debt_id: Some(row.debt_id),
                    kind: EventKind::ContactCancelled,
                    at: now,
                    recorded_at: now,
                    data: serde_json::json!({
                        "contact_id": row.id, "channel": row.channel, "reason": reason,
                    }),
                },
            ));
        }
        self.run_tx(statements).await?;
        Ok(rows.len() as u64)
    }
}
