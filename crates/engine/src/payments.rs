//! Payments through providers (docs/payments.md): a tenant's payment accounts, starting a
//! payment (an intent and the provider's checkout: a PIX BR Code, a Stripe or Mercado Pago
//! page), and applying what providers and reconciliation files report. A paid intent lowers
//! the balances of its debts (the ledger closes what is paid and keeps what promises it kept),
//! calls off what was still planned for the debts now paid, and thanks the debtor once.
//!
//! Every report is claimed by the provider's id before anything changes, and each debt's
//! payment carries the provider's payment id: a replayed or duplicated webhook, or the same
//! line of a reconciliation file read twice, changes nothing.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use recaudo_channels::seal::SealingKey;
use recaudo_domain::portfolio::{Channel, Debt, DebtStatus, Debtor};
use recaudo_domain::{Currency, DebtId, Money, PaymentIntentId};
use recaudo_payments::reconcile::ReconciliationRow;
use recaudo_payments::{
    CheckoutAction, CheckoutRequest, PaymentConfig, PaymentError, PaymentEvent, PaymentStatus,
    Provider,
};
use recaudo_store::{
    AccountTable, Allocation, Claim, IntentStatus, NewIntent, NewPayment, PaymentIntent,
    StoreError, StoredAccount, TenantStore,
};

use crate::inbound::{Note, queue_note};

/// Provider reports and reconciliation rows acted on, by account kind and outcome (`applied`,
/// `duplicate`, `unmatched`, `failed`, …).
pub const PAYMENT_REPORTS_TOTAL: &str = "recaudo_payment_reports_total";

/// The account name reconciliation files are claimed under.
pub const RECONCILIATION_ACCOUNT: &str = "reconciliation";

/// The account the sandbox pays through when a tenant has none of its own (the demo).
pub const SANDBOX_ACCOUNT: &str = "sandbox";

/// What every payment account has whatever its provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentSettings {
    /// Lower is offered first.
    #[serde(default)]
    pub priority: i32,
    #[serde(default = "enabled")]
    pub enabled: bool,
}

impl Default for PaymentSettings {
    fn default() -> Self {
        PaymentSettings {
            priority: 0,
            enabled: true,
        }
    }
}

fn enabled() -> bool {
    true
}

/// A payment account as saved: `{"name": "pix-main", "priority": 0, "config": {"kind": "pix", …}}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentAccountInput {
    pub name: String,
    #[serde(flatten)]
    pub settings: PaymentSettings,
    pub config: PaymentConfig,
}

impl PaymentAccountInput {
    /// Checks the account when it is saved, naming the field at fault.
    pub fn validate(&self) -> Result<(), recaudo_payments::ConfigError> {
        let name_ok = !self.name.is_empty()
            && self.name.len() <= 64
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !name_ok {
            return Err(recaudo_payments::ConfigError::new(
                "name",
                "must be 1 to 64 letters, digits, '-' or '_'",
            ));
        }
        if self.name == RECONCILIATION_ACCOUNT {
            return Err(recaudo_payments::ConfigError::new(
                "name",
                "`reconciliation` is the name reconciliation files are recorded under",
            ));
        }
        self.config.validate().map_err(|e| {
            recaudo_payments::ConfigError::new(format!("config.{}", e.field), e.message)
        })
    }
}

/// One payment account, built.
pub struct PaymentAccount {
    pub name: String,
    pub settings: PaymentSettings,
    pub provider: Provider,
}

impl PaymentAccount {
    /// Whether the account takes payments in `currency`: PIX is in reais; Mercado Pago in the
    /// currencies of the countries it serves; Stripe and the sandbox in any.
    pub fn takes(&self, currency: Currency) -> bool {
        match self.provider.kind() {
            "pix" => currency == Currency::Brl,
            "mercadopago" => matches!(
                currency,
                Currency::Brl | Currency::Mxn | Currency::Cop | Currency::Clp | Currency::Pen
            ),
            _ => true,
        }
    }
}

/// A tenant's payment accounts, in the order they are offered.
#[derive(Default, Clone)]
pub struct PaymentAccounts {
    accounts: Vec<Arc<PaymentAccount>>,
}

impl PaymentAccounts {
    /// The tenant's saved accounts, opened with `key` and built; with `sandbox`, a sandbox
    /// account when the tenant has none of its own. An account that no longer opens is left
    /// out with an error logged.
    pub async fn load(
        ts: &TenantStore,
        key: Option<&SealingKey>,
        http: &reqwest::Client,
        sandbox: bool,
    ) -> Result<PaymentAccounts, StoreError> {
        let mut accounts = Vec::new();
        for stored in ts.list_accounts(AccountTable::Payment).await? {
            match open_payment_account(&stored, key).and_then(|input| {
                Provider::from_config(&input.config, http.clone())
                    .map(|provider| PaymentAccount {
                        name: input.name,
                        settings: input.settings,
                        provider,
                    })
                    .map_err(|e| format!("config.{}: {}", e.field, e.message))
            }) {
                Ok(account) => accounts.push(Arc::new(account)),
                Err(error) => tracing::error!(
                    tenant = %ts.tenant().id, account = %stored.name, %error,
                    "a payment account cannot be used"
                ),
            }
        }
        if sandbox && accounts.is_empty() {
            let config = PaymentConfig::Sandbox(recaudo_payments::SandboxConfig::default());
            if let Ok(provider) = Provider::from_config(&config, http.clone()) {
                accounts.push(Arc::new(PaymentAccount {
                    name: SANDBOX_ACCOUNT.into(),
                    settings: PaymentSettings::default(),
                    provider,
                }));
            }
        }
        accounts.sort_by_key(|a| a.settings.priority);
        Ok(PaymentAccounts { accounts })
    }

    /// The enabled accounts that take `currency`, in the order they are offered.
    pub fn for_currency(&self, currency: Currency) -> Vec<Arc<PaymentAccount>> {
        self.accounts
            .iter()
            .filter(|a| a.settings.enabled && a.takes(currency))
            .cloned()
            .collect()
    }

    pub fn by_name(&self, name: &str) -> Option<&Arc<PaymentAccount>> {
        self.accounts.iter().find(|a| a.name == name)
    }

    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }
}

/// A stored payment account back as the tenant saved it.
pub fn open_payment_account(
    stored: &StoredAccount,
    key: Option<&SealingKey>,
) -> Result<PaymentAccountInput, String> {
    let key = key.ok_or("no secrets key is configured ([secrets] key)")?;
    let config = key.open(&stored.config_sealed).map_err(|e| e.to_string())?;
    let config: PaymentConfig =
        serde_json::from_slice(&config).map_err(|e| format!("config: {e}"))?;
    let settings: PaymentSettings =
        serde_json::from_value(stored.settings.clone()).map_err(|e| format!("settings: {e}"))?;
    Ok(PaymentAccountInput {
        name: stored.name.clone(),
        settings,
        config,
    })
}

/// Why a payment could not start.
#[derive(Debug, thiserror::Error)]
pub enum PaymentFailure {
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("the payment provider: {0}")]
    Provider(#[from] PaymentError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Where the provider sends the debtor and its reports, for one intent.
pub struct CheckoutUrls {
    pub success: String,
    pub cancel: String,
    pub notification: String,
}

/// How much of which debts: each open debt of `debts`, for its whole balance, in the order
/// given. All must be of one currency, open and the debtor's.
pub fn allocations_for(debtor: &Debtor, debts: &[Debt]) -> Result<Vec<Allocation>, PaymentFailure> {
    let mut out: Vec<Allocation> = Vec::new();
    for debt in debts {
        if debt.debtor_id != debtor.id {
            return Err(PaymentFailure::Invalid {
                field: "debts".into(),
                message: format!("debt {} is not this debtor's", debt.id),
            });
        }
        if matches!(debt.status, DebtStatus::Paid | DebtStatus::WrittenOff)
            || debt.balance.is_zero_or_less()
        {
            continue;
        }
        if let Some(first) = out.first()
            && first.amount.currency != debt.balance.currency
        {
            return Err(PaymentFailure::Invalid {
                field: "debts".into(),
                message: "debts in different currencies are paid separately".into(),
            });
        }
        out.push(Allocation {
            debt_id: debt.id,
            amount: debt.balance,
        });
    }
    if out.is_empty() {
        return Err(PaymentFailure::Invalid {
            field: "debts".into(),
            message: "nothing is left to pay on these debts".into(),
        });
    }
    Ok(out)
}

/// A payment about to start: whose, what of which debts, and where it started.
pub struct PaymentStart<'a> {
    pub debtor: &'a Debtor,
    pub allocations: Vec<Allocation>,
    /// What the provider's page says it is for (`Fatura F-123 · Empresa`).
    pub description: String,
    /// `{"source": "portal", "contact_id": …}`.
    pub origin: serde_json::Value,
}

/// Starts a payment: stores the intent, asks the provider for its checkout (a BR Code is made
/// here, offline) and records what the debtor is to be shown.
pub async fn start_payment(
    ts: &TenantStore,
    account: &PaymentAccount,
    start: PaymentStart<'_>,
    urls: impl Fn(&PaymentIntent) -> CheckoutUrls,
    now: DateTime<Utc>,
) -> Result<PaymentIntent, PaymentFailure> {
    let PaymentStart {
        debtor,
        allocations,
        description,
        origin,
    } = start;
    let currency = allocations
        .first()
        .map(|a| a.amount.currency)
        .ok_or_else(|| PaymentFailure::Invalid {
            field: "debts".into(),
            message: "name at least one debt to pay".into(),
        })?;
    if !account.takes(currency) {
        return Err(PaymentFailure::Invalid {
            field: "account".into(),
            message: format!("{} does not take {}", account.name, currency.code()),
        });
    }
    let intent = ts
        .create_payment_intent(
            NewIntent {
                debtor_id: debtor.id,
                account: account.name.clone(),
                provider: account.provider.kind().to_string(),
                allocations,
                origin,
            },
            now,
        )
        .await?;
    let urls = urls(&intent);
    let request = CheckoutRequest {
        reference: intent.id.to_string(),
        txid: intent.txid.clone(),
        amount: intent.amount,
        description,
        payer_name: debtor.name.clone(),
        payer_email: None,
        language: debtor.language,
        success_url: urls.success,
        cancel_url: urls.cancel,
        notification_url: urls.notification,
    };
    let checkout = match account.provider.create_checkout(&request).await {
        Ok(checkout) => checkout,
        Err(error) => {
            ts.close_intent(intent.id, IntentStatus::Failed, None, now)
                .await?;
            return Err(error.into());
        }
    };
    let action = match &checkout.action {
        CheckoutAction::Redirect { url } => serde_json::json!({ "redirect": url }),
        CheckoutAction::Pix { brcode } => serde_json::json!({ "pix": brcode }),
    };
    Ok(ts
        .set_intent_checkout(
            intent.id,
            &checkout.provider_ref,
            &action,
            checkout.expires_at,
        )
        .await?)
}

/// What applying reports did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ApplyReport {
    /// Payments that lowered balances.
    pub applied: u32,
    /// Reports seen before (replays), or payments already recorded.
    pub duplicates: u32,
    /// Reports naming no intent or debt of the tenant.
    pub unmatched: u32,
    /// Failed, pending or refunded payments: recorded on the intent or only logged.
    pub other: u32,
    /// Contacts called off because their debt is paid.
    pub cancelled_contacts: u64,
    /// Thanks queued.
    pub thanked: u32,
}

impl ApplyReport {
    fn add(&mut self, other: ApplyReport) {
        self.applied += other.applied;
        self.duplicates += other.duplicates;
        self.unmatched += other.unmatched;
        self.other += other.other;
        self.cancelled_contacts += other.cancelled_contacts;
        self.thanked += other.thanked;
    }
}

/// Applies a verified provider's reports for `account`.
pub async fn apply_payment_events(
    ts: &TenantStore,
    account: &str,
    events: Vec<PaymentEvent>,
    now: DateTime<Utc>,
) -> Result<ApplyReport, StoreError> {
    let mut report = ApplyReport::default();
    for event in events {
        report.add(apply_one(ts, account, &event, now).await?);
    }
    Ok(report)
}

async fn apply_one(
    ts: &TenantStore,
    account: &str,
    event: &PaymentEvent,
    now: DateTime<Utc>,
) -> Result<ApplyReport, StoreError> {
    let mut report = ApplyReport::default();
    if let Claim::Seen { .. } = ts.claim_notification(account, &event.event_id, now).await? {
        report.duplicates += 1;
        return Ok(report);
    }
    let intent = match find_intent(ts, event).await? {
        Some(intent) => intent,
        None => {
            tracing::warn!(
                tenant = %ts.tenant().id, %account, event = %event.event_id,
                "a payment report names no payment of this tenant"
            );
            ts.finish_notification(account, &event.event_id, None, "unmatched")
                .await?;
            report.unmatched += 1;
            return Ok(report);
        }
    };
    let outcome = match event.status {
        PaymentStatus::Paid => {
            if event.amount.currency != intent.amount.currency {
                tracing::warn!(
                    tenant = %ts.tenant().id, intent = %intent.id,
                    "a payment in another currency than its intent's: not applied"
                );
                report.other += 1;
                "currency_mismatch"
            } else {
                let paid = pay_intent(ts, &intent, event, now).await?;
                report.add(paid);
                if report.applied > 0 {
                    "applied"
                } else {
                    "duplicate"
                }
            }
        }
        PaymentStatus::Failed => {
            ts.close_intent(intent.id, IntentStatus::Failed, None, event.at)
                .await?;
            report.other += 1;
            "failed"
        }
        PaymentStatus::Pending => {
            report.other += 1;
            "pending"
        }
        PaymentStatus::Refunded => {
            // A refund is an agent's matter: the provider returned money we may have counted.
            tracing::warn!(
                tenant = %ts.tenant().id, intent = %intent.id,
                "a payment was refunded at the provider: check the debt by hand"
            );
            report.other += 1;
            "refunded"
        }
    };
    ts.finish_notification(account, &event.event_id, Some(intent.id), outcome)
        .await?;
    metrics::counter!(PAYMENT_REPORTS_TOTAL, "provider" => intent.provider.clone(), "outcome" => outcome)
        .increment(1);
    Ok(report)
}

async fn find_intent(
    ts: &TenantStore,
    event: &PaymentEvent,
) -> Result<Option<PaymentIntent>, StoreError> {
    if let Some(id) = event
        .reference
        .as_deref()
        .and_then(|r| r.parse::<PaymentIntentId>().ok())
    {
        match ts.get_payment_intent(id).await {
            Ok(intent) => return Ok(Some(intent)),
            Err(StoreError::NotFound { .. }) => {}
            Err(error) => return Err(error),
        }
    }
    match event.txid.as_deref() {
        Some(txid) => ts.intent_by_txid(txid).await,
        None => Ok(None),
    }
}

/// Records a paid intent's payments: the amount paid spread over its debts in order, each up to
/// what the intent meant for it; what is left over goes to the last debt (kept as the
/// debtor's credit when above its balance: money received is never dropped).
async fn pay_intent(
    ts: &TenantStore,
    intent: &PaymentIntent,
    event: &PaymentEvent,
    now: DateTime<Utc>,
) -> Result<ApplyReport, StoreError> {
    let mut report = ApplyReport::default();
    let mut left = event.amount;
    let mut paid_debts = Vec::new();
    let origin = serde_json::json!({
        "intent_id": intent.id, "account": intent.account, "event_id": event.event_id,
    });
    let count = intent.allocations.len();
    for (i, allocation) in intent.allocations.iter().enumerate() {
        if left.is_zero_or_less() {
            break;
        }
        let share = if i + 1 == count || left.amount <= allocation.amount.amount {
            left
        } else {
            allocation.amount
        };
        left = Money::new(left.amount - share.amount, left.currency);
        if ts
            .has_payment_ref(allocation.debt_id, &event.provider_ref)
            .await?
        {
            report.duplicates += 1;
            continue;
        }
        let payment = NewPayment {
            amount: share,
            method: intent.provider.clone(),
            provider_ref: Some(event.provider_ref.clone()),
            received_at: Some(event.at.min(now)),
            allow_overpayment: true,
        };
        match ts
            .record_payment_from(allocation.debt_id, payment, &origin, now)
            .await
        {
            Ok((_, debt)) => {
                report.applied += 1;
                if debt.status == DebtStatus::Paid {
                    paid_debts.push(debt.id);
                }
            }
            // A debt erased or written off since: the payment is the agents' to place.
            Err(error @ (StoreError::Rule(_) | StoreError::NotFound { .. })) => {
                tracing::warn!(
                    tenant = %ts.tenant().id, intent = %intent.id, debt = %allocation.debt_id,
                    %error, "a payment could not be recorded on its debt"
                );
            }
            Err(error) => return Err(error),
        }
    }
    ts.close_intent(
        intent.id,
        IntentStatus::Paid,
        Some(&event.provider_ref),
        event.at.min(now),
    )
    .await?;
    if report.applied > 0
        && let Some(first) = intent.allocations.first()
    {
        let after = after_payment(
            ts,
            AfterPayment {
                debtor: intent.debtor_id,
                debt: first.debt_id,
                paid_debts: &paid_debts,
                contact: intent.contact_id(),
                key: &intent.id.to_string(),
            },
            now,
        )
        .await?;
        report.cancelled_contacts = after.0;
        report.thanked += u32::from(after.1);
    }
    Ok(report)
}

/// What follows a payment, whoever recorded it (a provider, a file, an agent).
pub struct AfterPayment<'a> {
    pub debtor: recaudo_domain::DebtorId,
    /// The debt the thanks is about.
    pub debt: DebtId,
    /// The debts the payment left at zero.
    pub paid_debts: &'a [DebtId],
    /// The message whose link the debtor followed, if any.
    pub contact: Option<recaudo_domain::ContactId>,
    /// Unique per payment: the debtor is thanked once for it.
    pub key: &'a str,
}

/// Calls off what was still planned for the debts the payment left paid, and thanks the debtor
/// once. Returns (contacts called off, whether a thanks was queued).
pub async fn after_payment(
    ts: &TenantStore,
    after: AfterPayment<'_>,
    now: DateTime<Utc>,
) -> Result<(u64, bool), StoreError> {
    let cancelled = ts
        .cancel_planned_contacts(after.paid_debts, "paid", now)
        .await?;
    let thanked = thank(ts, after.debtor, after.debt, after.contact, after.key, now).await?;
    Ok((cancelled, thanked))
}

/// Thanks the debtor for a payment, once per payment, on the channel of the message whose link
/// they followed, else on their preferred channel, else on the first reachable one.
async fn thank(
    ts: &TenantStore,
    debtor: recaudo_domain::DebtorId,
    debt: DebtId,
    contact: Option<recaudo_domain::ContactId>,
    key: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let mut channels: Vec<Channel> = Vec::new();
    if let Some(contact) = contact {
        match ts.get_contact(contact).await {
            Ok(contact) => channels.push(contact.channel),
            Err(StoreError::NotFound { .. }) => {}
            Err(error) => return Err(error),
        }
    }
    let debtor_row = ts.get_debtor(debtor).await?;
    if let Some(preferred) = debtor_row.preferences.preferred_channel {
        channels.push(preferred);
    }
    channels.extend([Channel::Whatsapp, Channel::Sms, Channel::Email]);
    for channel in channels {
        let note = Note {
            debtor_id: debtor,
            debt_id: debt,
            channel,
            template: "reply_thanks",
            idempotency_key: format!("paid:{key}"),
            reason: format!("payment {key}"),
        };
        if queue_note(ts, note, now).await? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Why the sandbox's report of a payment could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum SandboxPayError {
    #[error("{0} is not a sandbox account")]
    NotSandbox(String),
    #[error("the sandbox's report was refused: {0}")]
    Refused(#[from] recaudo_payments::WebhookError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The sandbox's PSP reports `intent` paid at `at` (notification `event_id`): the signed report
/// goes through the same verification, reading and application as a real provider's.
pub async fn simulate_sandbox_paid(
    ts: &TenantStore,
    account: &PaymentAccount,
    intent: &PaymentIntent,
    event_id: &str,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<ApplyReport, SandboxPayError> {
    let Provider::Sandbox(sandbox) = &account.provider else {
        return Err(SandboxPayError::NotSandbox(account.name.clone()));
    };
    let (body, signature) =
        sandbox.paid_notification(&intent.id.to_string(), intent.amount, event_id, at);
    let mut headers = http::HeaderMap::new();
    let value = http::HeaderValue::from_str(&signature)
        .map_err(|_| recaudo_payments::WebhookError::Malformed("the sandbox's signature".into()))?;
    headers.insert(
        recaudo_payments::providers::sandbox::SIGNATURE_HEADER,
        value,
    );
    account.provider.verify_webhook(&headers, "", &body, now)?;
    let events = account.provider.parse_webhook(&headers, "", &body).await?;
    Ok(apply_payment_events(ts, &account.name, events, now).await?)
}

/// What a reconciliation file did, line by line where something was not applied.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReconcileReport {
    #[serde(flatten)]
    pub totals: ApplyReport,
    /// `{line, reason}` of the rows that changed nothing and why.
    pub rows: Vec<serde_json::Value>,
}

/// Applies a reconciliation file's rows: a row naming a txid pays that intent; a row naming a
/// debt's external id pays that debt. A row read before (same provider reference, or same
/// txid/debt, amount and time) changes nothing.
pub async fn reconcile(
    ts: &TenantStore,
    rows: &[ReconciliationRow],
    now: DateTime<Utc>,
) -> Result<ReconcileReport, StoreError> {
    let mut out = ReconcileReport::default();
    for row in rows {
        let key = row.provider_ref.clone().unwrap_or_else(|| {
            format!(
                "{}:{}:{}",
                row.txid
                    .as_deref()
                    .or(row.debt_external_id.as_deref())
                    .unwrap_or(""),
                row.amount.amount_text(),
                row.paid_at.to_rfc3339()
            )
        });
        let event_id = format!("csv:{key}");
        let provider_ref = row.provider_ref.clone().unwrap_or_else(|| event_id.clone());
        let before = out.totals.clone();
        if let Some(txid) = &row.txid {
            let event = PaymentEvent {
                event_id,
                reference: None,
                txid: Some(txid.clone()),
                provider_ref,
                amount: row.amount,
                status: PaymentStatus::Paid,
                at: row.paid_at,
            };
            out.totals
                .add(apply_one(ts, RECONCILIATION_ACCOUNT, &event, now).await?);
        } else if let Some(external) = &row.debt_external_id {
            out.totals.add(
                pay_debt_by_reference(ts, external, &event_id, &provider_ref, row, now).await?,
            );
        }
        let after = &out.totals;
        let reason = if after.duplicates > before.duplicates {
            Some("already recorded")
        } else if after.unmatched > before.unmatched {
            Some("no payment or debt of this tenant matches")
        } else if after.applied == before.applied {
            Some("not applied")
        } else {
            None
        };
        if let Some(reason) = reason {
            out.rows
                .push(serde_json::json!({ "line": row.line, "reason": reason }));
        }
    }
    Ok(out)
}

async fn pay_debt_by_reference(
    ts: &TenantStore,
    external_id: &str,
    event_id: &str,
    provider_ref: &str,
    row: &ReconciliationRow,
    now: DateTime<Utc>,
) -> Result<ApplyReport, StoreError> {
    let mut report = ApplyReport::default();
    if let Claim::Seen { .. } = ts
        .claim_notification(RECONCILIATION_ACCOUNT, event_id, now)
        .await?
    {
        report.duplicates += 1;
        return Ok(report);
    }
    let Some(debt) = ts.find_debt_by_external_id(external_id).await? else {
        ts.finish_notification(RECONCILIATION_ACCOUNT, event_id, None, "unmatched")
            .await?;
        report.unmatched += 1;
        return Ok(report);
    };
    let outcome = if debt.balance.currency != row.amount.currency {
        report.other += 1;
        "currency_mismatch"
    } else if ts.has_payment_ref(debt.id, provider_ref).await? {
        report.duplicates += 1;
        "duplicate"
    } else {
        let payment = NewPayment {
            amount: row.amount,
            method: RECONCILIATION_ACCOUNT.into(),
            provider_ref: Some(provider_ref.to_string()),
            received_at: Some(row.paid_at.min(now)),
            allow_overpayment: true,
        };
        let origin = serde_json::json!({ "reconciliation_line": row.line });
        let (_, paid) = ts
            .record_payment_from(debt.id, payment, &origin, now)
            .await?;
        report.applied += 1;
        let paid_debts: Vec<DebtId> = (paid.status == DebtStatus::Paid)
            .then_some(paid.id)
            .into_iter()
            .collect();
        let after = after_payment(
            ts,
            AfterPayment {
                debtor: debt.debtor_id,
                debt: debt.id,
                paid_debts: &paid_debts,
                contact: None,
                key: provider_ref,
            },
            now,
        )
        .await?;
        report.cancelled_contacts = after.0;
        report.thanked += u32::from(after.1);
        "applied"
    };
    ts.finish_notification(RECONCILIATION_ACCOUNT, event_id, None, outcome)
        .await?;
    Ok(report)
}
