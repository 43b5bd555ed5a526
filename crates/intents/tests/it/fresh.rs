//! The bar, on replies nobody on the team had seen: `data/intents/fresh/` was written
//! after the model was frozen, by writers who had not read the corpus, the rules or the model
//! (docs/intents.md). It is measured here so that a later change cannot quietly fall below the
//! bar; it must never be trained or tuned on (a change that needs it to pass is a change to
//! the corpus, and then a new fresh set is due).

use recaudo_intents::corpus::{self, Example, Split};
use recaudo_intents::{Intent, Lang, Model, evaluate, promised_dates};

const FRESH: [(Lang, &str, &str); 3] = [
    (
        Lang::Es,
        "data/intents/fresh/es.jsonl",
        include_str!("../../data/intents/fresh/es.jsonl"),
    ),
    (
        Lang::Pt,
        "data/intents/fresh/pt.jsonl",
        include_str!("../../data/intents/fresh/pt.jsonl"),
    ),
    (
        Lang::En,
        "data/intents/fresh/en.jsonl",
        include_str!("../../data/intents/fresh/en.jsonl"),
    ),
];

#[test]
fn unseen_replies_meet_the_bar() {
    let mut all = Vec::new();
    for (lang, file, text) in FRESH {
        all.extend(corpus::parse(lang, file, text).unwrap_or_else(|e| panic!("{e}")));
    }
    assert!(all.iter().all(|e| e.split == Split::Fresh));
    assert!(all.len() >= 450, "{} replies", all.len());
    let refs: Vec<&Example> = all.iter().collect();
    let eval = evaluate(Model::shipped(), &refs);
    let (right, promises) = promised_dates(Model::shipped(), &refs);
    let report = eval.to_markdown();
    assert!(
        eval.accuracy >= 0.90,
        "accuracy {}\n{report}",
        eval.accuracy
    );
    assert!(
        eval.recall(Intent::OptOut) >= 0.95,
        "opt_out recall {}\n{report}",
        eval.recall(Intent::OptOut)
    );
    let dates = right as f64 / promises as f64;
    assert!(dates >= 0.85, "dates right {right} of {promises}");
}
