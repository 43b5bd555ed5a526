//! The corpus the model is trained on and measured with: hand-written replies in
//! `data/intents/{es,pt,en}.jsonl`, one JSON object per line:
//!
//! ```json
//! {"text": "te pago el viernes", "intent": "promise_to_pay", "date": "2026-11-27", "split": "train"}
//! ```
//!
//! `date` is the promised date (only on `promise_to_pay`, `null` when the timing is vague),
//! resolved against `today` ([`CORPUS_TODAY`] unless the line gives its own). `split` is fixed
//! in the files: the model is trained on `train` and measured on `test`.

use std::fmt;

use chrono::NaiveDate;
use serde::Deserialize;

use crate::{Intent, Lang};

/// The day the corpus's dates are resolved against, unless a line says otherwise: a Wednesday.
pub const CORPUS_TODAY: NaiveDate = match NaiveDate::from_ymd_opt(2026, 11, 25) {
    Some(date) => date,
    None => panic!("a valid date"),
};

/// The shipped corpus files, by language.
pub const FILES: [(Lang, &str, &str); 3] = [
    (
        Lang::Es,
        "data/intents/es.jsonl",
        include_str!("../data/intents/es.jsonl"),
    ),
    (
        Lang::Pt,
        "data/intents/pt.jsonl",
        include_str!("../data/intents/pt.jsonl"),
    ),
    (
        Lang::En,
        "data/intents/en.jsonl",
        include_str!("../data/intents/en.jsonl"),
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Split {
    Train,
    Test,
    /// A held-out set written after the model was frozen, by people who had not seen the
    /// corpus (`data/intents/fresh/`): measured only, never trained or tuned on.
    Fresh,
}

/// One labelled reply.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub text: String,
    pub lang: Lang,
    pub intent: Intent,
    pub date: Option<NaiveDate>,
    pub today: NaiveDate,
    pub split: Split,
    /// `FILE:LINE`, for reports.
    pub source: String,
}

/// A corpus line that does not parse or does not hold together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct CorpusError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    text: String,
    intent: String,
    date: Option<String>,
    split: String,
    #[serde(default)]
    today: Option<String>,
}

/// The shipped corpus, every language.
pub fn shipped() -> Result<Vec<Example>, CorpusError> {
    let mut out = Vec::new();
    for (lang, file, text) in FILES {
        out.extend(parse(lang, file, text)?);
    }
    Ok(out)
}

/// Parses one corpus file; the first bad line is the error (with its number).
pub fn parse(lang: Lang, file: &str, text: &str) -> Result<Vec<Example>, CorpusError> {
    let mut out = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line_number = index + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let err = |message: String| CorpusError {
            file: file.to_string(),
            line: line_number,
            message,
        };
        let entry: Line = serde_json::from_str(raw).map_err(|e| err(e.to_string()))?;
        let intent: Intent = entry
            .intent
            .parse()
            .map_err(|e: crate::UnknownName| err(e.to_string()))?;
        let day = |field: &str, s: &str| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|e| err(format!("`{field}`: `{s}` is not a date YYYY-MM-DD ({e})")))
        };
        let today = match &entry.today {
            Some(given) => day("today", given)?,
            None => CORPUS_TODAY,
        };
        let date = entry.date.as_deref().map(|d| day("date", d)).transpose()?;
        if let Some(promised_date) = date {
            if intent != Intent::PromiseToPay {
                return Err(err(format!("a date on `{intent}`: only promises have one")));
            }
            if promised_date < today {
                return Err(err(format!(
                    "the promised date {promised_date} is before today {today}"
                )));
            }
        }
        let split = match entry.split.as_str() {
            "train" => Split::Train,
            "test" => Split::Test,
            "fresh" => Split::Fresh,
            other => {
                return Err(err(format!(
                    "`split` is `{other}`, not train, test or fresh"
                )));
            }
        };
        out.push(Example {
            text: entry.text,
            lang,
            intent,
            date,
            today,
            split,
            source: format!("{file}:{line_number}"),
        });
    }
    Ok(out)
}

impl fmt::Display for Split {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Split::Train => "train",
            Split::Test => "test",
            Split::Fresh => "fresh",
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashSet};

    use super::*;

    #[test]
    fn the_shipped_corpus_holds_together() {
        let all = shipped().unwrap_or_else(|e| panic!("{e}"));
        let mut seen = HashSet::new();
        let mut by: BTreeMap<(Lang, Intent, bool), usize> = BTreeMap::new();
        for example in &all {
            assert!(
                seen.insert((example.lang, crate::normalize::fold(&example.text))),
                "{}: the same text twice",
                example.source
            );
            *by.entry((example.lang, example.intent, example.split == Split::Test))
                .or_default() += 1;
        }
        for lang in Lang::ALL {
            let count: usize = by.iter().filter(|(k, _)| k.0 == lang).map(|(_, v)| v).sum();
            assert!(count >= 500, "{lang}: only {count} examples");
            for intent in Intent::ALL {
                for test in [false, true] {
                    let count = by.get(&(lang, intent, test)).copied().unwrap_or(0);
                    assert!(count >= 5, "{lang} {intent} test={test}: only {count}");
                }
            }
        }
    }

    #[test]
    fn bad_lines_name_file_line_and_problem() {
        for (text, want) in [
            (
                "{\"text\":\"x\",\"intent\":\"nope\",\"date\":null,\"split\":\"train\"}",
                "unknown intent `nope`",
            ),
            (
                "{\"text\":\"x\",\"intent\":\"other\",\"date\":\"2026-12-01\",\"split\":\"train\"}",
                "a date on `other`",
            ),
            (
                "{\"text\":\"x\",\"intent\":\"promise_to_pay\",\"date\":\"2026-11-01\",\"split\":\"train\"}",
                "before today",
            ),
            (
                "{\"text\":\"x\",\"intent\":\"other\",\"date\":null,\"split\":\"dev\"}",
                "not train, test or fresh",
            ),
            ("not json", "expected"),
        ] {
            let error = parse(Lang::Es, "f.jsonl", &format!("\n{text}\n")).expect_err(text);
            assert_eq!((error.file.as_str(), error.line), ("f.jsonl", 2));
            assert!(error.message.contains(want), "{text}: {error}");
        }
    }
}
