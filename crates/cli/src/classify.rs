//! `recaudo classify`: debtors' replies on stdin, one per line, their intent, promised date and
//! language on stdout, one JSON line per input line, in order (docs/intents.md).
//!
//! A line is either plain text or a JSON object with a `text` string (for messages with line
//! breaks). Whatever a line holds, it gets exactly one answer line: bad input (invalid UTF-8, a
//! JSON value that is not an object or has no `text`) answers `other` with an `error` naming the
//! problem, and an empty line answers `other`.

use std::io::{self, BufRead, BufWriter, Write};
use std::process::ExitCode;

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::Serialize;
use serde_json::Value;

use recaudo_intents::{Classification, Intent};

#[derive(clap::Args, Debug)]
pub struct ClassifyArgs {
    /// The debtor's local date, which promised dates are resolved against (default: today in
    /// --tz).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day)]
    pub today: Option<NaiveDate>,
    /// The debtor's IANA time zone, for the default of --today (default: UTC).
    #[arg(long, value_name = "ZONE", value_parser = parse_zone)]
    pub tz: Option<Tz>,
    /// Add which rule or which features decided.
    #[arg(long)]
    pub explain: bool,
}

fn parse_day(text: &str) -> anyhow::Result<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|e| anyhow::anyhow!("`{text}` is not a date YYYY-MM-DD: {e}"))
}

fn parse_zone(text: &str) -> anyhow::Result<Tz> {
    text.parse::<Tz>()
        .map_err(|_| anyhow::anyhow!("`{text}` is not an IANA time zone (e.g. America/Bogota)"))
}

/// Reads stdin to its end and answers every line.
pub fn run(args: &ClassifyArgs, now: chrono::DateTime<chrono::Utc>) -> ExitCode {
    let today = args
        .today
        .unwrap_or_else(|| now.with_timezone(&args.tz.unwrap_or(Tz::UTC)).date_naive());
    let stdin = io::stdin().lock();
    let mut out = BufWriter::new(io::stdout().lock());
    match answer_all(stdin, &mut out, today, args.explain) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed stdout (`| head`) ends the run quietly; other errors are reported.
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// One answer line per input line (`\n`-separated; a `\r` before it is dropped), in order.
pub fn answer_all(
    mut input: impl BufRead,
    out: &mut impl Write,
    today: NaiveDate,
    explain: bool,
) -> io::Result<()> {
    let mut line = Vec::new();
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        serde_json::to_writer(&mut *out, &answer(&line, today, explain))?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

/// The answer to one input line.
pub fn answer(line: &[u8], today: NaiveDate, explain: bool) -> Answer {
    let text = match std::str::from_utf8(line) {
        Ok(text) => text,
        Err(error) => {
            return problem(format!(
                "the line is not valid UTF-8 (bad byte at offset {})",
                error.valid_up_to()
            ));
        }
    };
    let trimmed = text.trim_start();
    let owned;
    let text = if trimmed.starts_with('{') || trimmed.starts_with('[') || trimmed.starts_with('"') {
        // JSON when it parses as JSON; a message that merely starts with `{` is text.
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(mut object)) => match object.remove("text") {
                Some(Value::String(message)) => {
                    owned = message;
                    owned.as_str()
                }
                Some(other) => {
                    return problem(format!("`text` is {}, not a string", json_kind(&other)));
                }
                None => return problem("the JSON object has no `text`".into()),
            },
            Ok(other) if !matches!(other, Value::String(_)) => {
                return problem(format!(
                    "the line is JSON {}, not an object with `text`",
                    json_kind(&other)
                ));
            }
            _ => text,
        }
    } else {
        text
    };
    render(recaudo_intents::classify(text, today), explain)
}

/// One answer line, its keys in the documented order (`intent`, `date`, `lang`, `confidence`,
/// then `explain` or `error` when there is one).
#[derive(Debug, Serialize)]
pub struct Answer {
    pub intent: &'static str,
    pub date: Option<String>,
    pub lang: Option<&'static str>,
    pub confidence: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explain: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

fn render(classification: Classification, explain: bool) -> Answer {
    Answer {
        intent: classification.intent.as_str(),
        date: classification.date.map(|d| d.to_string()),
        lang: Some(classification.lang.as_str()),
        confidence: (f64::from(classification.confidence) * 1000.0).round() / 1000.0,
        explain: explain.then_some(classification.explain),
        error: None,
    }
}

fn problem(error: String) -> Answer {
    Answer {
        intent: Intent::Other.as_str(),
        date: None,
        lang: None,
        confidence: 0.0,
        explain: None,
        error: Some(error),
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).expect("date")
    }

    fn run_on(input: &[u8]) -> Vec<Value> {
        let mut out = Vec::new();
        answer_all(input, &mut out, today(), false).expect("runs");
        let out = String::from_utf8(out).expect("utf-8 out");
        // The documented key order: intent, date, lang, confidence.
        for line in out.lines() {
            assert!(
                line.starts_with("{\"intent\":")
                    && line.contains("\"date\":")
                    && line.find("\"lang\"") < line.find("\"confidence\""),
                "{line}"
            );
        }
        out.lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect()
    }

    #[test]
    fn one_answer_per_line_whatever_the_line() {
        let mut input = Vec::new();
        input.extend_from_slice(b"STOP\n");
        input.extend_from_slice(b"\n");
        input.extend_from_slice(b"   \n");
        input.extend_from_slice(b"{\"text\": \"te pago ma\\u00f1ana\\nsin falta\"}\n");
        input.extend_from_slice(b"[1, 2]\n");
        input.extend_from_slice(b"{\"message\": \"hola\"}\n");
        input.extend_from_slice(b"{\"text\": 5}\n");
        input.extend_from_slice(b"\xff\xfe binary \x00\n");
        input.extend_from_slice(b"{ not json, just braces }\r\n");
        input.extend_from_slice(b"last line without newline");
        let out = run_on(&input);
        assert_eq!(out.len(), 10, "{out:?}");
        assert_eq!(out[0]["intent"], "opt_out");
        assert_eq!(out[1]["intent"], "other");
        assert_eq!(out[2]["intent"], "other");
        assert_eq!(out[3]["intent"], "promise_to_pay");
        assert_eq!(out[3]["date"], "2026-11-26");
        for (index, want) in [
            (4, "JSON an array"),
            (5, "no `text`"),
            (6, "a number, not a string"),
            (7, "not valid UTF-8"),
        ] {
            assert_eq!(out[index]["intent"], "other", "{index}");
            let error = out[index]["error"].as_str().unwrap_or_default();
            assert!(error.contains(want), "line {index}: {error}");
        }
        assert!(out[8].get("error").is_none(), "{:?}", out[8]);
        assert!(out[9]["intent"].is_string());
        for answer in &out {
            assert!(answer["confidence"].is_number());
        }
    }

    #[test]
    fn a_megabyte_line_is_answered() {
        let mut big = "no puedo pagar ".repeat(70_000).into_bytes();
        big.push(b'\n');
        let out = run_on(&big);
        assert_eq!(out.len(), 1);
    }
}
