//! The append-only timeline: everything that happens to a debtor or a debt is an event.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::portfolio::string_enum;
use crate::{DebtId, DebtorId, EventId};

string_enum!(/// What happened. Stable snake_case names: strategies, KPIs and the timeline read them.
EventKind, "event kind" {
    DebtorCreated => "debtor_created",
    DebtorUpdated => "debtor_updated",
    // The debtor's personal data was erased on request (Habeas Data, LGPD, GDPR): what stays
    // is anonymised (docs/api.md, "Erasure").
    DebtorErased => "debtor_erased",
    ContactPointAdded => "contact_point_added",
    ConsentChanged => "consent_changed",
    OptedOut => "opted_out",
    InvoiceIssued => "invoice_issued",
    DebtUpdated => "debt_updated",
    ContactPlanned => "contact_planned",
    ContactSent => "contact_sent",
    Delivered => "delivered",
    Opened => "opened",
    Clicked => "clicked",
    // A contact that will not reach the debtor: the provider refused it for good or it ran out
    // of retries (`failed`), the address bounced (`bounced`), or it was called off before it
    // left (`cancelled`: paid, paused, opted out, outside the rules at send time).
    ContactFailed => "failed",
    Bounced => "bounced",
    ContactCancelled => "cancelled",
    NotAnswered => "not_answered",
    DigitsPressed => "digits_pressed",
    TaskCreated => "task_created",
    TaskResolved => "task_resolved",
    Replied => "replied",
    IntentDetected => "intent_detected",
    PromiseMade => "promise_made",
    PromiseKept => "promise_kept",
    PromiseBroken => "promise_broken",
    PromiseCancelled => "promise_cancelled",
    PaymentReceived => "payment_received",
    DebtPaid => "debt_paid",
    DisputeOpened => "dispute_opened",
    DisputeResolved => "dispute_resolved",
    // The debtor said a contact point is not theirs: it is not used again.
    WrongParty => "wrong_party",
    // Collection waits a few days (the debtor says the debt is paid: the receipt is checked).
    CollectionHeld => "collection_held",
    // The debtor opened their portal (once a link a local day): strategies may wait for it.
    PortalVisited => "portal_visited",
    // An instalment plan: accepted, one instalment covered, broken (an instalment unpaid past
    // its date and the grace days: collection resumes as after a broken promise), completed.
    PlanAccepted => "plan_accepted",
    InstalmentPaid => "instalment_paid",
    PlanBroken => "plan_broken",
    PlanCompleted => "plan_completed",
    // An operator called a plan off: the debts return to collection as after a broken plan.
    PlanCancelled => "plan_cancelled",
    // The debtor chose how to be contacted (portal or API): days, hours, channel, language.
    PreferencesChanged => "preferences_changed",
});

/// One immutable entry of a timeline. Timelines are in the order things happened
/// (`occurred_at`, then id), not in the order they were recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Event {
    pub id: EventId,
    pub debtor_id: DebtorId,
    pub debt_id: Option<DebtId>,
    pub kind: EventKind,
    /// When it happened (a payment's `received_at`, a promise's settlement), written
    /// `occurred_at`.
    #[serde(rename = "occurred_at")]
    pub at: DateTime<Utc>,
    /// When the store recorded it (a payment entered on the 6th for the 5th was recorded on the
    /// 6th).
    pub recorded_at: DateTime<Utc>,
    /// Details of the event (amounts, channel, source …).
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// An event about to be appended (the store gives it its id).
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub debtor_id: DebtorId,
    pub debt_id: Option<DebtId>,
    pub kind: EventKind,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// When it is recorded: the injected clock's `now`.
    pub recorded_at: DateTime<Utc>,
    pub data: serde_json::Value,
}
