//! Understanding debtors' replies in Spanish, Portuguese and English: the intent the team must
//! act on, the language, and the promised date (issue 8, GUIDE §2: pure, no I/O, no async).
//!
//! - [`normalize`]: the one normalisation every other part reads (case, accents, repeated
//!   letters, e-mail quotes and signatures).
//! - [`corpus`]: the hand-written corpus shipped under `data/intents/`, with its fixed
//!   train/test split.
//! - [`lang`]: the language of a reply (es, pt, en) from its function words and spelling.
//! - [`features`], [`lexicon`], [`model`]: the trained part: hashed word, concept and character
//!   features, and a multinomial logistic regression trained from the corpus
//!   ([`train_shipped`]), shipped as `data/intents/model.bin` and embedded ([`Model::shipped`]).
//! - [`rules`]: the high-precision rules (opt-out keywords and phrases with their traps, irony,
//!   negation, the priority order).
//! - [`classify()`]: the whole pipeline; [`evaluate()`] and [`cross_validate`] measure it.
//! - [`dates`]: the promised payment date of a promise ("el viernes", "dia 5", "on the 15th"),
//!   resolved against the debtor's local today, with word lists per language.

#![forbid(unsafe_code)]

pub mod classify;
pub mod corpus;
pub mod dates;
pub mod evaluate;
pub mod features;
pub mod lang;
pub mod lexicon;
pub mod model;
pub mod normalize;
pub mod rules;

pub use classify::{Classification, classify, classify_with};
pub use evaluate::{Evaluation, cross_validate, evaluate, promised_dates};
pub use model::{Model, ModelError, train_shipped};

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a reply asks of the team. The order is the priority: when a message carries several,
/// the first in this order wins ([`Intent::ALL`] is in this order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    OptOut,
    WrongPerson,
    Dispute,
    AlreadyPaid,
    PromiseToPay,
    Hardship,
    PaymentLink,
    Human,
    Other,
}

impl Intent {
    /// Every intent, in priority order.
    pub const ALL: [Intent; 9] = [
        Intent::OptOut,
        Intent::WrongPerson,
        Intent::Dispute,
        Intent::AlreadyPaid,
        Intent::PromiseToPay,
        Intent::Hardship,
        Intent::PaymentLink,
        Intent::Human,
        Intent::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Intent::OptOut => "opt_out",
            Intent::WrongPerson => "wrong_person",
            Intent::Dispute => "dispute",
            Intent::AlreadyPaid => "already_paid",
            Intent::PromiseToPay => "promise_to_pay",
            Intent::Hardship => "hardship",
            Intent::PaymentLink => "payment_link",
            Intent::Human => "human",
            Intent::Other => "other",
        }
    }

    /// The position in [`Intent::ALL`] (a class index for the model).
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Intent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{value}` (expected one of: {expected})")]
pub struct UnknownName {
    pub what: &'static str,
    pub value: String,
    pub expected: String,
}

impl FromStr for Intent {
    type Err = UnknownName;
    fn from_str(name: &str) -> Result<Intent, UnknownName> {
        Intent::ALL
            .into_iter()
            .find(|i| i.as_str() == name)
            .ok_or_else(|| UnknownName {
                what: "intent",
                value: name.to_string(),
                expected: Intent::ALL.map(Intent::as_str).join(", "),
            })
    }
}

/// The language of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    Es,
    Pt,
    En,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::Es, Lang::Pt, Lang::En];

    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Es => "es",
            Lang::Pt => "pt",
            Lang::En => "en",
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Lang {
    type Err = UnknownName;
    fn from_str(name: &str) -> Result<Lang, UnknownName> {
        Lang::ALL
            .into_iter()
            .find(|l| l.as_str() == name)
            .ok_or_else(|| UnknownName {
                what: "language",
                value: name.to_string(),
                expected: "es, pt, en".into(),
            })
    }
}
