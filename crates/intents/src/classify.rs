//! The classifier: [`classify`] reads one reply and answers its [`Intent`], the promised date,
//! the language, a confidence and why.
//!
//! The pipeline:
//!
//! 1. [`normalize`]; a text with no letter or digit is `other` (confidence 1);
//! 2. the language ([`lang::detect_with_confidence`]);
//! 3. the opt-out rules ([`rules::opt_out`]): when one fires, the answer is `opt_out` (it
//!    outranks everything, and rules know the keywords and the traps best);
//! 4. the model ([`Model::predict`] on [`features`]). The model alone may not decide `opt_out`
//!    below [`MODEL_OPT_OUT_MIN`] (the next intent does), nor when the debtor wants the
//!    reminders ([`rules::wants_reminders`]: "don't stop these" is `other`);
//! 5. corrections by high-precision rules where the model is weak: a promise that is irony,
//!    sarcasm, a negated ability or a refusal ([`rules::not_a_promise`], [`rules::sarcastic`]);
//!    "I'm not Kevin" ([`rules::not_the_named_person`]); and [`rules::overrides`] (wrong
//!    number, not my debt, double charge, a plan or a discount asked, a call asked...), each
//!    replacing only an intent of lower priority, so the order of [`Intent::ALL`] holds;
//! 6. for a `promise_to_pay`, the date ([`crate::dates::promised_date`]).

use chrono::NaiveDate;

use crate::features::{self, Extractor, Features};
use crate::model::{CLASSES, Model};
use crate::normalize::normalize;
use crate::{Intent, Lang, lang, rules};

/// The lowest model probability at which the model alone decides `opt_out`.
pub const MODEL_OPT_OUT_MIN: f32 = 0.6;

/// The confidence reported for a rule's decision.
pub const RULE_CONFIDENCE: f32 = 0.95;

/// What a reply means.
#[derive(Debug, Clone, PartialEq)]
pub struct Classification {
    pub intent: Intent,
    /// The promised date, only on `promise_to_pay` (and not always there: "la semana que
    /// viene" has none).
    pub date: Option<NaiveDate>,
    pub lang: Lang,
    /// In `[0, 1]`: the model's probability of the intent, or [`RULE_CONFIDENCE`] for a rule,
    /// or 1 for a text with nothing to read.
    pub confidence: f32,
    /// Which rule decided, or the model's top probabilities and the words that weighed most.
    pub explain: Vec<String>,
}

/// [`classify_with`] the shipped model ([`Model::shipped`]).
pub fn classify(text: &str, today: NaiveDate) -> Classification {
    classify_with(Model::shipped(), text, today)
}

/// Classifies one reply with `model`; `today` is the day relative dates are resolved against.
/// Any text gets an answer (empty, 1 MB, binary made into a string: never a panic).
pub fn classify_with(model: &Model, text: &str, today: NaiveDate) -> Classification {
    let normalized = normalize(text);
    let (lang, lang_conf) = lang::detect_with_confidence(&normalized);
    // Nothing but digits and signs ("15", "1.5", "$$$"): without the question it answered, a
    // number is no intent and no date; the team reads it.
    if !normalized.chars().any(char::is_alphabetic) {
        return Classification {
            intent: Intent::Other,
            date: None,
            lang,
            confidence: 1.0,
            explain: vec!["no letters: other".to_string()],
        };
    }
    let mut explain = vec![format!("lang {lang} ({lang_conf:.2})")];
    let toks = rules::tokenize(&normalized, lang);

    let (intent, confidence) = if let Some(rule) = rules::opt_out(&toks) {
        explain.push(format!("rule: {rule} → opt_out"));
        (Intent::OptOut, RULE_CONFIDENCE)
    } else {
        let mut feats = Features::default();
        Extractor::new().extract(&normalized, lang, &mut feats);
        let probs = model.predict(&feats);
        let mut order: [usize; CLASSES] = std::array::from_fn(|i| i);
        // Highest probability first; ties to the higher priority (lower index).
        order.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]).then(a.cmp(&b)));
        explain.push(format!(
            "model: {}",
            order[..3]
                .iter()
                .map(|&c| format!("{} {:.2}", Intent::ALL[c], probs[c]))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        let mut top = order[0];
        let wants = rules::wants_reminders(&toks);
        if let (
            Some(rule),
            Intent::OptOut | Intent::Other | Intent::Dispute | Intent::Hardship | Intent::Human,
        ) = (wants, Intent::ALL[top])
        {
            explain.push(format!("rule: {rule} → other"));
            return Classification {
                intent: Intent::Other,
                date: None,
                lang,
                confidence: RULE_CONFIDENCE,
                explain,
            };
        }
        if Intent::ALL[top] == Intent::OptOut && probs[top] < MODEL_OPT_OUT_MIN {
            explain.push(format!(
                "no opt-out rule and the model below {MODEL_OPT_OUT_MIN}: next intent"
            ));
            top = order[1];
        }
        let intent = Intent::ALL[top];
        let words = top_words(model, &normalized, lang, intent);
        if !words.is_empty() {
            explain.push(format!("words for {intent}: {}", words.join(", ")));
        }
        let hit = match intent {
            Intent::PromiseToPay => rules::not_a_promise(&toks).or_else(|| {
                rules::sarcastic(text, &toks).then(|| rules::RuleHit {
                    intent: if rules::money_joke(&toks) {
                        Intent::Hardship
                    } else {
                        Intent::Other
                    },
                    rule: "sarcastic promise",
                })
            }),
            _ => None,
        }
        .or_else(|| {
            (intent > Intent::WrongPerson && rules::not_the_named_person(text, &toks)).then_some(
                rules::RuleHit {
                    intent: Intent::WrongPerson,
                    rule: "not the person named",
                },
            )
        })
        .or_else(|| rules::overrides(&toks, intent));
        match hit {
            Some(hit) => {
                explain.push(format!("rule: {} → {}", hit.rule, hit.intent));
                (hit.intent, RULE_CONFIDENCE)
            }
            None => (intent, probs[top]),
        }
    };

    let found = if intent == Intent::PromiseToPay {
        crate::dates::promised_date(&normalized, lang, today)
    } else {
        None
    };
    if let Some(promise) = &found {
        explain.push(format!(
            "date: {} (from \"{}\")",
            promise.date, promise.expression
        ));
    }
    let date = found.map(|f| f.date);
    Classification {
        intent,
        date,
        lang,
        confidence,
        explain,
    }
}

/// The promised date of a normalised text ([`crate::dates::promised_date`]).
/// The (up to three) tokens and concepts whose weights pushed most towards `intent`.
fn top_words(model: &Model, normalized: &str, lang: Lang, intent: Intent) -> Vec<String> {
    let mut named = features::named(normalized, lang);
    let mut scored: Vec<(f32, String)> = named
        .drain(..)
        .map(|(name, bucket)| (model.weight(bucket, intent), name))
        .filter(|(w, _)| *w > 0.0)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(3).map(|(_, n)| n).collect()
}
