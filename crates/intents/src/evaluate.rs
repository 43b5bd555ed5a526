//! Measuring the whole pipeline ([`crate::classify_with`]: rules and model) on labelled
//! examples: accuracy, per-intent precision, recall and F1, the confusion matrix (rows = truth,
//! columns = predicted) and accuracy per language; and k-fold cross-validation on the train
//! split, to tune without looking at the test split.

use std::fmt::Write as _;

use crate::classify::classify_with;
use crate::corpus::Example;
use crate::model::{CLASSES, Model, TrainConfig};
use crate::{Intent, Lang};

/// Precision, recall and F1 of one intent.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ClassStats {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// How many examples have this intent.
    pub support: usize,
}

/// One example the pipeline got wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct Miss {
    pub source: String,
    pub text: String,
    pub truth: Intent,
    pub predicted: Intent,
}

/// The figures of one evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub total: usize,
    pub correct: usize,
    pub accuracy: f64,
    /// In [`Intent::ALL`] order.
    pub per_class: [ClassStats; CLASSES],
    /// `confusion[truth][predicted]`, in [`Intent::ALL`] order.
    pub confusion: [[usize; CLASSES]; CLASSES],
    /// (language, examples, accuracy), in [`Lang::ALL`] order, languages with examples only.
    pub per_lang: Vec<(Lang, usize, f64)>,
    pub misses: Vec<Miss>,
}

/// Classifies every example with `model` (and the rules) and measures the answers.
pub fn evaluate(model: &Model, examples: &[&Example]) -> Evaluation {
    let mut acc = Accumulator::default();
    for example in examples {
        let classification = classify_with(model, &example.text, example.today);
        acc.add(example, classification.intent);
    }
    acc.finish()
}

/// Promises whose date the pipeline gets right, and the number of promises: the example is a
/// promise, it is classified as one, and its date is the expected one (`None` for vague timing
/// included).
pub fn promised_dates(model: &Model, examples: &[&Example]) -> (usize, usize) {
    let promises: Vec<&&Example> = examples
        .iter()
        .filter(|e| e.intent == Intent::PromiseToPay)
        .collect();
    let right = promises
        .iter()
        .filter(|e| {
            let c = classify_with(model, &e.text, e.today);
            c.intent == Intent::PromiseToPay && c.date == e.date
        })
        .count();
    (right, promises.len())
}

/// `k`-fold cross-validation of the pipeline on `examples` (the train split): example `i` is
/// in fold `i % k`; each fold is classified by a model trained with `cfg` and `seed` on the
/// others. `k` below 2 is taken as 2.
pub fn cross_validate(examples: &[&Example], k: usize, seed: u64, cfg: &TrainConfig) -> Evaluation {
    let k = k.max(2);
    let mut acc = Accumulator::default();
    for fold in 0..k {
        let train: Vec<&Example> = examples
            .iter()
            .enumerate()
            .filter(|(i, _)| i % k != fold)
            .map(|(_, e)| *e)
            .collect();
        let model = Model::train_with(&train, seed, cfg);
        for (_, example) in examples.iter().enumerate().filter(|(i, _)| i % k == fold) {
            let classification = classify_with(&model, &example.text, example.today);
            acc.add(example, classification.intent);
        }
    }
    acc.finish()
}

#[derive(Default)]
struct Accumulator {
    confusion: [[usize; CLASSES]; CLASSES],
    lang: [(usize, usize); 3],
    misses: Vec<Miss>,
}

impl Accumulator {
    fn add(&mut self, example: &Example, predicted: Intent) {
        self.confusion[example.intent.index()][predicted.index()] += 1;
        let lang_index = Lang::ALL
            .iter()
            .position(|&l| l == example.lang)
            .unwrap_or(0);
        self.lang[lang_index].0 += 1;
        if predicted == example.intent {
            self.lang[lang_index].1 += 1;
        } else {
            self.misses.push(Miss {
                source: example.source.clone(),
                text: example.text.clone(),
                truth: example.intent,
                predicted,
            });
        }
    }

    fn finish(self) -> Evaluation {
        let matrix = &self.confusion;
        let total: usize = matrix.iter().flatten().sum();
        let correct: usize = (0..CLASSES).map(|i| matrix[i][i]).sum();
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let per_class = std::array::from_fn(|c| {
            let tp = matrix[c][c];
            let predicted: usize = (0..CLASSES).map(|t| matrix[t][c]).sum();
            let support: usize = matrix[c].iter().sum();
            let precision = ratio(tp, predicted);
            let recall = ratio(tp, support);
            let f1 = if precision + recall == 0.0 {
                0.0
            } else {
                2.0 * precision * recall / (precision + recall)
            };
            ClassStats {
                precision,
                recall,
                f1,
                support,
            }
        });
        let per_lang = Lang::ALL
            .iter()
            .zip(self.lang)
            .filter(|(_, (n, _))| *n > 0)
            .map(|(&l, (n, ok))| (l, n, ratio(ok, n)))
            .collect();
        Evaluation {
            total,
            correct,
            accuracy: ratio(correct, total),
            per_class,
            confusion: self.confusion,
            per_lang,
            misses: self.misses,
        }
    }
}

impl Evaluation {
    /// The recall of one intent.
    pub fn recall(&self, intent: Intent) -> f64 {
        self.per_class[intent.index()].recall
    }

    /// A Markdown report: totals, per-intent table, per-language accuracy, confusion matrix.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Accuracy: **{:.1} %** ({} of {})\n",
            self.accuracy * 100.0,
            self.correct,
            self.total
        );
        out.push_str("| intent | precision | recall | F1 | examples |\n");
        out.push_str("| --- | ---: | ---: | ---: | ---: |\n");
        for (index, class) in self.per_class.iter().enumerate() {
            let _ = writeln!(
                out,
                "| {} | {:.3} | {:.3} | {:.3} | {} |",
                Intent::ALL[index],
                class.precision,
                class.recall,
                class.f1,
                class.support
            );
        }
        out.push_str("\n| language | examples | accuracy |\n| --- | ---: | ---: |\n");
        for (lang, count, accuracy) in &self.per_lang {
            let _ = writeln!(out, "| {lang} | {count} | {:.1} % |", accuracy * 100.0);
        }
        out.push_str("\nConfusion matrix (rows = truth, columns = predicted):\n\n| |");
        for intent in Intent::ALL {
            let _ = write!(out, " {} |", short(intent));
        }
        out.push_str("\n| --- |");
        for _ in Intent::ALL {
            out.push_str(" ---: |");
        }
        out.push('\n');
        for (truth, row) in self.confusion.iter().enumerate() {
            let _ = write!(out, "| {} |", Intent::ALL[truth]);
            for count in row {
                let _ = write!(out, " {count} |");
            }
            out.push('\n');
        }
        out
    }
}

/// Column headers short enough for a terminal.
fn short(intent: Intent) -> &'static str {
    match intent {
        Intent::OptOut => "opt",
        Intent::WrongPerson => "wrong",
        Intent::Dispute => "disp",
        Intent::AlreadyPaid => "paid",
        Intent::PromiseToPay => "prom",
        Intent::Hardship => "hard",
        Intent::PaymentLink => "link",
        Intent::Human => "human",
        Intent::Other => "other",
    }
}
