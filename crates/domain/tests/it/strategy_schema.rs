//! The strategy JSON Schema (`crates/domain/data/schemas/strategy.schema.json`) against the parser.
//!
//! Two checks, without a JSON Schema crate (the `jsonschema` crate would add 26 crates to the
//! build, a bignum stack and a second regex engine among them, for one test):
//! - structure: the properties of each object of the schema are exactly the field names serde
//!   reads in `raw.rs` (taken from serde's own "unknown field …, expected one of …" errors, so a
//!   field added to `raw.rs` and not to the schema fails here), and each enumeration is exactly the
//!   domain's list (channels, event kinds, pauses);
//! - behaviour: a small validator of the keywords the schema uses (any other keyword fails the test,
//!   so the schema cannot use one this test would ignore) checks that every example in
//!   `examples/strategies/` validates, and that documents the parser refuses for their structure
//!   (unknown key, bad channel, bad offset, …) fail the schema too.

use std::collections::BTreeSet;
use std::path::Path;

use recaudo_domain::event::EventKind;
use recaudo_domain::portfolio::Channel;
use recaudo_domain::strategy::{STRATEGY_JSON_SCHEMA, TemplateCatalogue, parse_strategy};
use serde_json::{Map, Value};

fn schema() -> Value {
    serde_json::from_str(STRATEGY_JSON_SCHEMA).expect("the schema is JSON")
}

fn yaml(text: &str) -> Value {
    yaml_serde::from_str(text).unwrap_or_else(|e| panic!("YAML: {e}\n{text}"))
}

// ---- a validator for the keywords the schema uses ----

/// The keywords [`errors`] implements, and the annotations it may ignore.
const KEYWORDS: &[&str] = &[
    "$schema",
    "$id",
    "$defs",
    "$ref",
    "title",
    "description",
    "default",
    "type",
    "enum",
    "properties",
    "required",
    "additionalProperties",
    "minProperties",
    "dependentRequired",
    "items",
    "minItems",
    "uniqueItems",
    "pattern",
    "maxLength",
    "minimum",
    "maximum",
    "oneOf",
    "not",
];

/// Where the value fails the schema (empty: it validates).
fn errors(root: &Value, schema: &Value, value: &Value, at: &str) -> Vec<String> {
    let s = schema.as_object().expect("a schema is an object");
    for k in s.keys() {
        assert!(
            KEYWORDS.contains(&k.as_str()),
            "the schema uses `{k}`, which this test does not implement"
        );
    }
    let mut out = vec![];
    if let Some(r) = s.get("$ref").and_then(Value::as_str) {
        let name = r.strip_prefix("#/$defs/").expect("local $ref");
        let target = &root["$defs"][name];
        assert!(target.is_object(), "dangling $ref {r}");
        out.extend(errors(root, target, value, at));
    }
    if let Some(t) = s.get("type") {
        let types: Vec<&str> = match t {
            Value::String(one) => vec![one.as_str()],
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            other => panic!("bad type {other}"),
        };
        if !types.iter().any(|t| is_type(value, t)) {
            out.push(format!("{at}: {value} is not of type {types:?}"));
            return out;
        }
    }
    if let Some(e) = s.get("enum").and_then(Value::as_array)
        && !e.contains(value)
    {
        out.push(format!("{at}: {value} is not one of {e:?}"));
    }
    if let Some(obj) = value.as_object() {
        object_errors(root, s, obj, at, &mut out);
    }
    if let Some(arr) = value.as_array() {
        if let Some(n) = s.get("minItems").and_then(Value::as_u64)
            && (arr.len() as u64) < n
        {
            out.push(format!("{at}: fewer than {n} items"));
        }
        if s.get("uniqueItems") == Some(&Value::Bool(true)) {
            for (i, v) in arr.iter().enumerate() {
                if arr[..i].contains(v) {
                    out.push(format!("{at}[{i}]: {v} is repeated"));
                }
            }
        }
        if let Some(items) = s.get("items") {
            for (i, v) in arr.iter().enumerate() {
                out.extend(errors(root, items, v, &format!("{at}[{i}]")));
            }
        }
    }
    if let Some(text) = value.as_str() {
        if let Some(p) = s.get("pattern").and_then(Value::as_str) {
            let re = regex::Regex::new(p).expect("the pattern compiles");
            if !re.is_match(text) {
                out.push(format!("{at}: `{text}` does not match {p}"));
            }
        }
        if let Some(n) = s.get("maxLength").and_then(Value::as_u64)
            && text.chars().count() as u64 > n
        {
            out.push(format!("{at}: longer than {n}"));
        }
    }
    if let Some(x) = value.as_f64() {
        if let Some(m) = s.get("minimum").and_then(Value::as_f64)
            && x < m
        {
            out.push(format!("{at}: {x} < {m}"));
        }
        if let Some(m) = s.get("maximum").and_then(Value::as_f64)
            && x > m
        {
            out.push(format!("{at}: {x} > {m}"));
        }
    }
    if let Some(alts) = s.get("oneOf").and_then(Value::as_array) {
        let passing = alts
            .iter()
            .filter(|a| errors(root, a, value, at).is_empty())
            .count();
        if passing != 1 {
            out.push(format!(
                "{at}: matches {passing} of the oneOf alternatives, not exactly one"
            ));
        }
    }
    if let Some(n) = s.get("not")
        && errors(root, n, value, at).is_empty()
    {
        out.push(format!("{at}: matches what `not` forbids ({n})"));
    }
    out
}

fn object_errors(
    root: &Value,
    s: &Map<String, Value>,
    obj: &Map<String, Value>,
    at: &str,
    out: &mut Vec<String>,
) {
    for r in s
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let r = r.as_str().expect("required names");
        if !obj.contains_key(r) {
            out.push(format!("{at}: `{r}` is required"));
        }
    }
    if let Some(n) = s.get("minProperties").and_then(Value::as_u64)
        && (obj.len() as u64) < n
    {
        out.push(format!("{at}: fewer than {n} properties"));
    }
    if let Some(deps) = s.get("dependentRequired").and_then(Value::as_object) {
        for (key, needs) in deps {
            if !obj.contains_key(key) {
                continue;
            }
            for n in needs.as_array().expect("a list") {
                let n = n.as_str().expect("a name");
                if !obj.contains_key(n) {
                    out.push(format!("{at}: `{key}` needs `{n}`"));
                }
            }
        }
    }
    let props = s.get("properties").and_then(Value::as_object);
    for (k, v) in obj {
        let path = format!("{at}.{k}");
        match (props.and_then(|p| p.get(k)), s.get("additionalProperties")) {
            (Some(sub), _) => out.extend(errors(root, sub, v, &path)),
            (None, Some(Value::Bool(false))) => out.push(format!("{path}: unknown key")),
            (None, Some(extra)) if extra.is_object() => out.extend(errors(root, extra, v, &path)),
            (None, _) => {}
        }
    }
}

fn is_type(v: &Value, t: &str) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64(),
        other => panic!("unknown type {other}"),
    }
}

fn schema_errors(text: &str) -> Vec<String> {
    let s = schema();
    errors(&s, &s, &yaml(text), "")
}

// ---- the schema's structure against raw.rs ----

/// The names serde lists after "expected" in an unknown field or variant error: exactly the keys
/// (or variants) the type reads, with their renames.
fn serde_names(doc: &str) -> BTreeSet<String> {
    let errs = match parse_strategy(doc, TemplateCatalogue::builtin()) {
        Ok(_) => panic!("`{doc}` parsed"),
        Err(e) => e,
    };
    assert_eq!(errs.len(), 1, "{errs:#?}");
    let msg = &errs[0].message;
    let (_, expected) = msg
        .split_once("expected")
        .unwrap_or_else(|| panic!("no list in `{msg}`"));
    expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(String::from)
        .collect()
}

fn properties(schema: &Value, pointer: &str) -> BTreeSet<String> {
    schema
        .pointer(pointer)
        .and_then(Value::as_object)
        .unwrap_or_else(|| panic!("no properties at {pointer}"))
        .keys()
        .cloned()
        .collect()
}

fn enumeration(schema: &Value, def: &str) -> Vec<String> {
    schema["$defs"][def]["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("no enum in {def}"))
        .iter()
        .map(|v| v.as_str().expect("a string").to_string())
        .collect()
}

#[test]
fn every_object_of_the_schema_has_exactly_the_keys_serde_reads() {
    let s = schema();
    // (schema object, a document whose first key there is unknown). An unknown key is reported
    // before anything else is read, so each document fails right there.
    let cases = [
        ("/properties", "{zzz: 1}"),
        ("/$defs/step/properties", "{steps: [{zzz: 1}]}"),
        (
            "/$defs/after/properties",
            "{steps: [{id: a, after: {zzz: 1}}]}",
        ),
        (
            "/$defs/message/properties",
            "{steps: [{id: a, send: {zzz: 1}}]}",
        ),
        (
            "/$defs/message/properties",
            "{steps: [{id: a, send: [{zzz: 1}]}]}",
        ),
        (
            "/$defs/task/properties",
            "{steps: [{id: a, task: {zzz: 1}}]}",
        ),
        (
            "/$defs/wait_for/properties",
            "{steps: [{id: a, wait_for: {zzz: 1}}]}",
        ),
        ("/$defs/experiment/properties", "{experiments: [{zzz: 1}]}"),
        (
            "/$defs/arm/properties",
            "{experiments: [{arms: {A: {zzz: 1}}}]}",
        ),
    ];
    for (pointer, doc) in cases {
        assert_eq!(
            properties(&s, pointer),
            serde_names(doc),
            "{pointer}: the schema's keys are not the ones raw.rs reads"
        );
    }
    // Objects that deny unknown keys in raw.rs deny them in the schema.
    for def in [
        "step",
        "after",
        "message",
        "task",
        "wait_for",
        "experiment",
        "arm",
    ] {
        assert_eq!(
            s["$defs"][def]["additionalProperties"],
            Value::Bool(false),
            "{def}"
        );
    }
    assert_eq!(s["additionalProperties"], Value::Bool(false));
}

#[test]
fn the_enumerations_are_the_domains() {
    let s = schema();
    let channels: Vec<String> = Channel::ALL.iter().map(|c| c.to_string()).collect();
    assert_eq!(enumeration(&s, "channel"), channels);
    let mut choice = channels.clone();
    choice.push("best".into());
    assert_eq!(enumeration(&s, "channel_choice"), choice);
    let kinds: Vec<String> = EventKind::ALL.iter().map(|k| k.to_string()).collect();
    assert_eq!(enumeration(&s, "event_kind"), kinds);
    let pauses: BTreeSet<String> = enumeration(&s, "pause").into_iter().collect();
    assert_eq!(
        pauses,
        serde_names("{pause_while: [zzz]}"),
        "the pauses serde reads"
    );
    assert_eq!(
        s["$defs"]["cel"]["maxLength"],
        recaudo_domain::strategy::MAX_CEL_CHARS
    );
    assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
}

// ---- the schema against documents ----

#[test]
fn every_example_validates_against_the_schema() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/strategies");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("examples/strategies") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(
            parse_strategy(&text, TemplateCatalogue::builtin()).is_ok(),
            "{}",
            path.display()
        );
        let errs = schema_errors(&text);
        assert!(errs.is_empty(), "{}: {errs:#?}", path.display());
        seen += 1;
    }
    assert!(seen >= 3, "the examples were found ({seen})");
}

const OK_STEP: &str = "{ id: a, at: due, send: { channel: sms, template: due_today } }";

#[test]
fn other_valid_shapes_validate_too() {
    for doc in [
        format!("id: x\nsteps:\n  - {OK_STEP}\n"),
        // Every optional key, once.
        "id: x\nversion: 3\nname: X\napplies_if: \"debt.balance > 1.0\"\npriority: -2\n\
         stop_when: [\"debt.balance <= 0.0\"]\npause_while: [promise_active]\nsteps:\n\
         \x20 - id: a\n    at: due-36h\n    if: \"true\"\n\
         \x20   send: [ { channel: best, template: due_today, fallback: [sms, { channel: letter, template: overdue_soft }] } ]\n\
         \x20   wait_for: { any: [opened], within: 90m, otherwise: b }\n\
         \x20 - { id: b, task: { queue: agents, script: call } }\n\
         \x20 - { id: c, after: { event: promise_broken, step: a, delay: 0d }, send: { channel: email, template: promise_reminder } }\n\
         experiments:\n  - { id: e, step: a, arms: { A: {channel: sms}, B: {template: overdue_soft, channel: best} }, split: [0, 100] }\n"
            .to_string(),
    ] {
        if let Err(e) = parse_strategy(&doc, TemplateCatalogue::builtin()) {
            panic!("the parser refuses {doc}: {e:#?}");
        }
        let errs = schema_errors(&doc);
        assert!(errs.is_empty(), "{doc}\n{errs:#?}");
    }
}

#[test]
fn documents_with_structural_mistakes_fail_the_schema_and_the_parser() {
    let step = |s: &str| format!("id: x\nsteps:\n  - {s}\n");
    let cases = [
        (
            "unknown top-level key",
            format!("id: x\nsteps:\n  - {OK_STEP}\nowner: me\n"),
        ),
        (
            "unknown step key (a typo)",
            step("{ id: a, at: due, sned: { channel: sms, template: due_today } }"),
        ),
        (
            "unknown key in send",
            step("{ id: a, at: due, send: { channel: sms, template: due_today, cc: x } }"),
        ),
        (
            "bad channel",
            step("{ id: a, at: due, send: { channel: fax, template: due_today } }"),
        ),
        (
            "bad fallback channel",
            step(
                "{ id: a, at: due, send: { channel: sms, template: due_today, fallback: [best] } }",
            ),
        ),
        (
            "bad offset",
            step("{ id: a, at: due+3w, send: { channel: sms, template: due_today } }"),
        ),
        (
            "offset too long",
            step("{ id: a, at: due+10001d, send: { channel: sms, template: due_today } }"),
        ),
        (
            "zero wait",
            step(
                "{ id: a, at: due, send: { channel: sms, template: due_today }, wait_for: { any: [opened], within: 0d } }",
            ),
        ),
        (
            "unknown event",
            step(
                "{ id: a, after: { event: visited }, send: { channel: sms, template: due_today } }",
            ),
        ),
        (
            "both at and after",
            step(
                "{ id: a, at: due, after: { event: opened }, send: { channel: sms, template: due_today } }",
            ),
        ),
        (
            "send and task",
            step(
                "{ id: a, at: due, send: { channel: sms, template: due_today }, task: { queue: q } }",
            ),
        ),
        ("no action", step("{ id: a, at: due }")),
        (
            "wait_for without send",
            step("{ id: a, at: due, task: { queue: q }, wait_for: { any: [opened], within: 1d } }"),
        ),
        ("empty send list", step("{ id: a, at: due, send: [] }")),
        (
            "spaced id",
            step("{ id: late 3, at: due, send: { channel: sms, template: due_today } }"),
        ),
        ("no steps", "id: x\nsteps: []\n".to_string()),
        ("missing id", format!("steps:\n  - {OK_STEP}\n")),
        (
            "version 0",
            format!("id: x\nversion: 0\nsteps:\n  - {OK_STEP}\n"),
        ),
        (
            "unknown pause",
            format!("id: x\npause_while: [holiday]\nsteps:\n  - {OK_STEP}\n"),
        ),
        (
            "repeated pause",
            format!("id: x\npause_while: [dispute_open, dispute_open]\nsteps:\n  - {OK_STEP}\n"),
        ),
        (
            "share over 100",
            format!(
                "id: x\nsteps:\n  - {OK_STEP}\nexperiments:\n  - {{ id: e, step: a, arms: {{ A: {{channel: sms}} }}, split: [101] }}\n"
            ),
        ),
        (
            "empty arm",
            format!(
                "id: x\nsteps:\n  - {OK_STEP}\nexperiments:\n  - {{ id: e, step: a, arms: {{ A: {{}} }}, split: [100] }}\n"
            ),
        ),
        (
            "unknown arm key",
            format!(
                "id: x\nsteps:\n  - {OK_STEP}\nexperiments:\n  - {{ id: e, step: a, arms: {{ A: {{tone: soft}} }}, split: [100] }}\n"
            ),
        ),
    ];
    for (what, doc) in cases {
        assert!(
            parse_strategy(&doc, TemplateCatalogue::builtin()).is_err(),
            "{what}: the parser accepts\n{doc}"
        );
        assert!(
            !schema_errors(&doc).is_empty(),
            "{what}: the schema accepts\n{doc}"
        );
    }
}

#[test]
fn the_validator_of_this_test_does_fail() {
    // Guards the guard: a document that is not even an object.
    assert!(!schema_errors("[1, 2]").is_empty());
    assert!(!schema_errors("id: x\nsteps: 3\n").is_empty());
}
