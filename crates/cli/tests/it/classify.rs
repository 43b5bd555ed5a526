//! `recaudo classify` and `recaudo intents eval` as a user runs them: the binary, stdin, stdout.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::fixtures;

fn classify(args: &[&str], input: &[u8]) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_recaudo"))
        .arg("classify")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    // A run that stops at its flags reads nothing: a broken pipe is then expected.
    let written = child.stdin.take().expect("stdin").write_all(input);
    if let Err(e) = written {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    child.wait_with_output().expect("ends")
}

#[test]
fn one_json_line_per_input_line() {
    let input = "te pago el viernes sin falta 🙏\nSTOP\nsou o irmão dele\n\n\u{0}\u{1}binary\n{\"text\": \"I paid on the 3rd\\nthanks\"}\n{\"text\": 1}\nme pasa o boleto?";
    let mut bytes = input.as_bytes().to_vec();
    bytes.extend_from_slice(b"\n\xff\xfe\n");
    let out = classify(&["--today", "2026-11-25", "--explain"], &bytes);
    assert!(out.status.success(), "{}", fixtures::stderr(&out));
    let lines: Vec<serde_json::Value> = fixtures::stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(lines.len(), 9, "{lines:?}");
    let intents: Vec<&str> = lines
        .iter()
        .map(|l| l["intent"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        intents,
        [
            "promise_to_pay",
            "opt_out",
            "wrong_person",
            "other",
            "other",
            "already_paid",
            "other",
            "payment_link",
            "other"
        ]
    );
    assert_eq!(lines[0]["date"], "2026-11-27");
    assert_eq!(lines[0]["lang"], "es");
    assert_eq!(lines[2]["lang"], "pt");
    assert_eq!(lines[5]["date"], serde_json::Value::Null);
    assert!(
        lines[0]["explain"]
            .as_array()
            .is_some_and(|e| !e.is_empty())
    );
    assert!(
        lines[6]["error"]
            .as_str()
            .is_some_and(|e| e.contains("`text`"))
    );
    assert!(
        lines[8]["error"]
            .as_str()
            .is_some_and(|e| e.contains("UTF-8"))
    );
}

#[test]
fn bad_flags_are_named() {
    let out = classify(&["--today", "25/11/2026"], b"hola\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        fixtures::stderr(&out).contains("YYYY-MM-DD"),
        "{}",
        fixtures::stderr(&out)
    );
    let out = classify(&["--tz", "Mars/Olympus"], b"hola\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        fixtures::stderr(&out).contains("IANA"),
        "{}",
        fixtures::stderr(&out)
    );
}

#[test]
fn eval_measures_labelled_files() {
    let dir = fixtures::workspace().join("crates/intents/data/intents/fresh");
    let out = Command::new(env!("CARGO_BIN_EXE_recaudo"))
        .args(["intents", "eval"])
        .arg(dir.join("es.jsonl"))
        .arg(dir.join("pt.jsonl"))
        .arg(dir.join("en.jsonl"))
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", fixtures::stderr(&out));
    let v = fixtures::last_json(&out);
    assert_eq!(v["examples"], 450);
    assert!(v["accuracy"].as_f64().is_some_and(|a| a >= 0.9), "{v}");
    assert!(fixtures::stdout(&out).contains("Confusion matrix"));
    // A file whose language is not in its name needs --lang.
    let tmp = tempfile::tempdir().expect("dir");
    let f = tmp.path().join("replies.jsonl");
    std::fs::write(
        &f,
        "{\"text\":\"STOP\",\"intent\":\"opt_out\",\"date\":null,\"split\":\"fresh\"}\n",
    )
    .expect("writes");
    let out = Command::new(env!("CARGO_BIN_EXE_recaudo"))
        .args(["intents", "eval"])
        .arg(&f)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        fixtures::stderr(&out).contains("--lang"),
        "{}",
        fixtures::stderr(&out)
    );
}

#[test]
fn bench_classify_ends_with_one_json_line() {
    let out = Command::new(env!("CARGO_BIN_EXE_recaudo"))
        .args(["bench", "classify", "--messages", "500"])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", fixtures::stderr(&out));
    let v = fixtures::last_json(&out);
    assert_eq!(v["bench"], "classify");
    assert_eq!(v["messages"], 500);
    assert_eq!(v["threads"], 1);
    assert!(v["messages_per_s"].as_f64().is_some_and(|m| m > 0.0), "{v}");
    assert!(v["peak_rss_mib"].is_number(), "{v}");
}

#[test]
fn json_scalars_are_read_as_text_one_answer_each() {
    let out = classify(
        &["--today", "2026-11-25"],
        b"42\ntrue\nnull\n\"STOP\"\n1.5\n[]\n{}\n",
    );
    assert!(out.status.success(), "{}", fixtures::stderr(&out));
    let lines: Vec<serde_json::Value> = fixtures::stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(lines.len(), 7, "{lines:?}");
    for l in &lines[..5] {
        assert!(l.get("error").is_none(), "{l}");
    }
    assert_eq!(lines[3]["intent"], "opt_out");
    // Numbers alone are no intent and no date.
    for l in [&lines[0], &lines[4]] {
        assert_eq!(l["intent"], "other", "{l}");
        assert_eq!(l["date"], serde_json::Value::Null, "{l}");
    }
    for l in &lines[5..] {
        assert_eq!(l["intent"], "other");
        assert!(l["error"].is_string(), "{l}");
        assert_eq!(l["lang"], serde_json::Value::Null);
    }
}
