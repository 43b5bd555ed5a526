//! The compact facts KPIs are computed from: one small row per debt, payment, promise, plan,
//! contact and agent touch of one tenant, with strings interned as [`Label`]s and money in
//! minor units. The store fills a [`FactsBuilder`]; [`FactsBuilder::finish`] sorts and indexes.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::money::Currency;

/// An interned string ([`Facts::label`]); [`NO_LABEL`] when the value is missing.
pub type Label = u32;
/// A missing value.
pub const NO_LABEL: Label = u32::MAX;

/// One debt.
#[derive(Clone, Debug, PartialEq)]
pub struct DebtFact {
    /// Index of the debtor (debts of one debtor share it).
    pub debtor: u32,
    pub currency: Currency,
    /// Original amount, minor units.
    pub original: i64,
    pub issued_on: NaiveDate,
    pub due_on: NaiveDate,
    pub segment: Label,
    pub product: Label,
    pub strategy: Label,
    /// Index in [`Facts::arm_sets`] (0 = no experiment).
    pub arms: u32,
    /// When the debt started its strategy.
    pub strategy_started: Option<DateTime<Utc>>,
    /// The debtor's IANA time zone.
    pub timezone: Label,
}

/// One payment.
#[derive(Clone, Debug, PartialEq)]
pub struct PaymentFact {
    pub debt: u32,
    /// Minor units of the debt's currency.
    pub amount: i64,
    pub received_at: DateTime<Utc>,
}

/// Whether a promise counts: cancelled promises are not due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromiseState {
    Open,
    Cancelled,
}

/// One promise to pay.
#[derive(Clone, Debug, PartialEq)]
pub struct PromiseFact {
    pub debt: u32,
    pub amount: i64,
    pub due_on: NaiveDate,
    pub created_at: DateTime<Utc>,
    pub state: PromiseState,
}

/// One instalment plan, for each debt it covers.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanFact {
    pub debt: u32,
    pub accepted_at: DateTime<Utc>,
    /// Made by an agent (not by the debtor in the portal).
    pub by_agent: bool,
}

/// One contact that was sent (an outbox row with a sent time).
#[derive(Clone, Debug, PartialEq)]
pub struct ContactFact {
    pub debt: u32,
    pub channel: Label,
    pub sent_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub opened_at: Option<DateTime<Utc>>,
    pub clicked_at: Option<DateTime<Utc>>,
    pub replied_at: Option<DateTime<Utc>>,
    /// The provider's cost, in the debt's currency (none when unknown or in another currency).
    pub cost: Option<Decimal>,
}

/// An agent acting on a debtor (a task claimed, a note written).
#[derive(Clone, Debug, PartialEq)]
pub struct TouchFact {
    pub debtor: u32,
    pub at: DateTime<Utc>,
}

/// Everything one tenant's KPIs are computed from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Facts {
    labels: Vec<String>,
    /// Experiment assignments: (experiment, arm) label pairs, sorted; index 0 is the empty set.
    pub arm_sets: Vec<Vec<(Label, Label)>>,
    pub debts: Vec<DebtFact>,
    /// Sorted by (debt, received_at).
    pub payments: Vec<PaymentFact>,
    /// `payments[payment_start[d]..payment_start[d + 1]]` are debt `d`'s.
    pub payment_start: Vec<u32>,
    pub promises: Vec<PromiseFact>,
    pub plans: Vec<PlanFact>,
    /// Sorted by (debt, sent_at).
    pub contacts: Vec<ContactFact>,
    pub touches: Vec<TouchFact>,
    /// Number of debtors (debtor indices are below it).
    pub debtors: u32,
}

impl Facts {
    /// The text of a label ("" for [`NO_LABEL`]).
    pub fn label(&self, label: Label) -> &str {
        self.labels
            .get(label as usize)
            .map(String::as_str)
            .unwrap_or("")
    }

    /// The payments of debt `debt`, oldest first.
    pub fn payments_of(&self, debt: u32) -> &[PaymentFact] {
        let start = self.payment_start.get(debt as usize).copied().unwrap_or(0) as usize;
        let end = self
            .payment_start
            .get(debt as usize + 1)
            .copied()
            .unwrap_or(0) as usize;
        self.payments.get(start..end).unwrap_or(&[])
    }

    /// Rows loaded, for logs and benchmarks.
    pub fn rows(&self) -> usize {
        self.debts.len()
            + self.payments.len()
            + self.promises.len()
            + self.plans.len()
            + self.contacts.len()
            + self.touches.len()
    }
}

/// Collects facts in any order; [`finish`](Self::finish) sorts and indexes them.
#[derive(Debug, Default)]
pub struct FactsBuilder {
    facts: Facts,
    labels: HashMap<String, Label>,
    arm_sets: HashMap<Vec<(Label, Label)>, u32>,
}

impl FactsBuilder {
    pub fn new() -> Self {
        let mut builder = FactsBuilder::default();
        builder.facts.arm_sets.push(Vec::new());
        builder.arm_sets.insert(Vec::new(), 0);
        builder
    }

    /// The label of `text` (interned once).
    pub fn label(&mut self, text: &str) -> Label {
        if let Some(label) = self.labels.get(text) {
            return *label;
        }
        let label = self.facts.labels.len() as Label;
        self.facts.labels.push(text.to_string());
        self.labels.insert(text.to_string(), label);
        label
    }

    /// The label of an optional text ([`NO_LABEL`] when missing or blank).
    pub fn opt_label(&mut self, text: Option<&str>) -> Label {
        match text.map(str::trim) {
            Some(text) if !text.is_empty() => self.label(text),
            _ => NO_LABEL,
        }
    }

    /// The index of a set of experiment assignments (experiment → arm).
    pub fn arm_set<'a>(&mut self, arms: impl IntoIterator<Item = (&'a str, &'a str)>) -> u32 {
        let mut set: Vec<(Label, Label)> = arms
            .into_iter()
            .map(|(experiment, arm)| (self.label(experiment), self.label(arm)))
            .collect();
        set.sort_unstable();
        if let Some(index) = self.arm_sets.get(&set) {
            return *index;
        }
        let index = self.facts.arm_sets.len() as u32;
        self.facts.arm_sets.push(set.clone());
        self.arm_sets.insert(set, index);
        index
    }

    /// Adds a debt; returns its index.
    pub fn debt(&mut self, debt: DebtFact) -> u32 {
        self.facts.debtors = self.facts.debtors.max(debt.debtor + 1);
        self.facts.debts.push(debt);
        (self.facts.debts.len() - 1) as u32
    }

    pub fn payment(&mut self, payment: PaymentFact) {
        self.facts.payments.push(payment);
    }

    pub fn promise(&mut self, promise: PromiseFact) {
        self.facts.promises.push(promise);
    }

    pub fn plan(&mut self, plan: PlanFact) {
        self.facts.plans.push(plan);
    }

    pub fn contact(&mut self, contact: ContactFact) {
        self.facts.contacts.push(contact);
    }

    pub fn touch(&mut self, touch: TouchFact) {
        self.facts.debtors = self.facts.debtors.max(touch.debtor + 1);
        self.facts.touches.push(touch);
    }

    /// Debts known so far.
    pub fn debts(&self) -> usize {
        self.facts.debts.len()
    }

    /// Sorts payments and contacts by debt and time and indexes the payments by debt. Rows
    /// naming a debt that was not added are dropped.
    pub fn finish(mut self) -> Facts {
        let debts = self.facts.debts.len() as u32;
        let facts = &mut self.facts;
        facts.payments.retain(|p| p.debt < debts);
        facts.promises.retain(|p| p.debt < debts);
        facts.plans.retain(|p| p.debt < debts);
        facts.contacts.retain(|c| c.debt < debts);
        facts
            .payments
            .sort_unstable_by_key(|p| (p.debt, p.received_at));
        facts.contacts.sort_unstable_by_key(|c| (c.debt, c.sent_at));
        let mut start = vec![0u32; debts as usize + 1];
        for payment in &facts.payments {
            start[payment.debt as usize + 1] += 1;
        }
        for i in 1..start.len() {
            start[i] += start[i - 1];
        }
        facts.payment_start = start;
        self.facts
    }
}
