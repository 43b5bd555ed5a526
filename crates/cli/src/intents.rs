//! `recaudo intents train|eval`: the reply classifier's model, trained from the shipped corpus
//! and measured on its test split or on other labelled files (docs/intents.md).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use serde_json::json;

use recaudo_intents::corpus::{self, Example, Split};
use recaudo_intents::model::SEED;
use recaudo_intents::{Evaluation, Intent, Lang, Model};

#[derive(clap::Subcommand, Debug)]
pub enum IntentsCommand {
    /// Train the model on the shipped corpus's train split and write it. The same corpus and
    /// seed give the same file, byte for byte; the binary embeds the file it was built with.
    Train {
        #[arg(long, default_value_t = SEED)]
        seed: u64,
        /// Where to write the model.
        #[arg(
            long,
            value_name = "FILE",
            default_value = "crates/intents/data/intents/model.bin"
        )]
        out: PathBuf,
    },
    /// Measure the embedded model (rules included): on the shipped corpus's test split, or on
    /// labelled JSON Lines files in the corpus format (`text`, `intent`, `date`, `split`,
    /// optional `today`), whose language is the file's name (es.jsonl, pt.jsonl, en.jsonl) or
    /// --lang. Prints a Markdown report, then one JSON line of the figures.
    Eval {
        files: Vec<PathBuf>,
        #[arg(long, value_parser = parse_lang)]
        lang: Option<Lang>,
        /// List every miss (file:line, text, expected, got).
        #[arg(long)]
        misses: bool,
    },
}

fn parse_lang(name: &str) -> anyhow::Result<Lang> {
    name.parse()
        .map_err(|e: recaudo_intents::UnknownName| anyhow::anyhow!("{e}"))
}

pub fn run(command: IntentsCommand) -> ExitCode {
    match command {
        IntentsCommand::Train { seed, out } => train(seed, &out),
        IntentsCommand::Eval {
            files,
            lang,
            misses,
        } => match eval(&files, lang, misses) {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: {error}");
                ExitCode::from(2)
            }
        },
    }
}

fn train(seed: u64, out: &Path) -> ExitCode {
    let started = std::time::Instant::now();
    let model = recaudo_intents::train_shipped(seed);
    let bytes = model.to_bytes();
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.is_dir()
    {
        eprintln!(
            "error: {} does not exist (run from the repository's root, or pass --out FILE)",
            dir.display()
        );
        return ExitCode::from(2);
    }
    if let Err(error) = std::fs::write(out, &bytes) {
        eprintln!("error: cannot write {}: {error}", out.display());
        return ExitCode::FAILURE;
    }
    let all = match corpus::shipped() {
        Ok(examples) => examples,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let test: Vec<&Example> = all.iter().filter(|e| e.split == Split::Test).collect();
    let eval = recaudo_intents::evaluate(&model, &test);
    println!("{}", eval.to_markdown());
    println!(
        "{}",
        json!({
            "model": out.display().to_string(),
            "bytes": bytes.len(),
            "seed": seed,
            "same_as_embedded": bytes == recaudo_intents::model::SHIPPED_BYTES,
            "train_examples": all.iter().filter(|e| e.split == Split::Train).count(),
            "test_examples": test.len(),
            "test_accuracy": round4(eval.accuracy),
            "seconds": round4(started.elapsed().as_secs_f64()),
        })
    );
    ExitCode::SUCCESS
}

fn eval(files: &[PathBuf], lang: Option<Lang>, misses: bool) -> anyhow::Result<()> {
    let examples = if files.is_empty() {
        corpus::shipped()?
            .into_iter()
            .filter(|e| e.split == Split::Test)
            .collect::<Vec<_>>()
    } else {
        let mut all = Vec::new();
        for file in files {
            let lang = match lang {
                Some(lang) => lang,
                None => file
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .and_then(|s| s.parse().ok())
                    .with_context(|| {
                        format!(
                            "{}: the language is not in the file's name (es, pt, en): pass --lang",
                            file.display()
                        )
                    })?,
            };
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            all.extend(corpus::parse(lang, &file.display().to_string(), &text)?);
        }
        all
    };
    if examples.is_empty() {
        anyhow::bail!("no labelled example to measure");
    }
    let refs: Vec<&Example> = examples.iter().collect();
    let eval = recaudo_intents::evaluate(Model::shipped(), &refs);
    println!("{}", eval.to_markdown());
    let dates = recaudo_intents::promised_dates(Model::shipped(), &refs);
    println!(
        "\nPromised dates: {} of {} promises right ({:.1} %), `null` for vague timing counted as right when expected.",
        dates.0,
        dates.1,
        pct(dates.0, dates.1)
    );
    if misses {
        println!("\n## Misses\n");
        for miss in &eval.misses {
            println!(
                "- {}: expected {}, got {}: {:?}",
                miss.source, miss.truth, miss.predicted, miss.text
            );
        }
    }
    println!("{}", summary(&eval, dates));
    Ok(())
}

fn summary(eval: &Evaluation, dates: (usize, usize)) -> serde_json::Value {
    json!({
        "examples": eval.total,
        "accuracy": round4(eval.accuracy),
        "opt_out_recall": round4(eval.recall(Intent::OptOut)),
        "promises": dates.1,
        "dates_right": round4(if dates.1 == 0 { 1.0 } else { dates.0 as f64 / dates.1 as f64 }),
        "per_lang": eval.per_lang.iter().map(|(l, n, a)| json!({"lang": l.as_str(), "examples": n, "accuracy": round4(*a)})).collect::<Vec<_>>(),
    })
}

fn pct(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        100.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

fn round4(value: f64) -> f64 {
    (value * 10_000.0).round() / 10_000.0
}
