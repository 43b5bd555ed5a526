//! `recaudo plan`, run as a user runs it: a generated Colombian portfolio, the four example
//! strategies, and the plan of one day checked against Ley 2300 de 2023 (docs/policy.md).
//!
//! Every run passes `--at`: nothing here reads the wall clock.

use crate::fixtures::*;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Output;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, Weekday};
use serde_json::Value;
use tempfile::TempDir;

/// Wednesday 2026-12-02, 10:00 in Bogotá.
const WEDNESDAY: &str = "2026-12-02T15:00:00Z";
/// Sunday 2026-12-06, 10:00 in Bogotá: no contact at all in CO.
const SUNDAY: &str = "2026-12-06T15:00:00Z";
/// Tuesday 2026-12-08, 10:00 in Bogotá: la Inmaculada Concepción, a CO public holiday.
const HOLIDAY: &str = "2026-12-08T15:00:00Z";

const CHANNELS: [&str; 5] = ["email", "sms", "whatsapp", "voice", "letter"];

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/strategies")
}

/// A migrated database with tenant Acme (CO), 400 generated debtors due around 2026-12-01 and
/// the four example strategies.
struct Portfolio {
    url: String,
    dir: TempDir,
}

impl Portfolio {
    fn new(url: String) -> Portfolio {
        let p = Portfolio {
            url,
            dir: tempfile::tempdir().unwrap(),
        };
        p.ok(&["migrate"]);
        p.ok(&["tenant", "create", "--name", "Acme", "--country", "CO"]);
        let file = p.dir.path().join("co.csv");
        let file = file.to_str().unwrap();
        p.ok(&[
            "gen",
            "--debtors",
            "400",
            "--seed",
            "7",
            "--country",
            "CO",
            "--today",
            "2026-12-01",
            "--out",
            file,
        ]);
        let imported = last_json(&p.ok(&["import", file, "--tenant", "Acme"]));
        assert_eq!(imported["errors"], 0, "{imported}");
        let mut names: Vec<PathBuf> = std::fs::read_dir(examples())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        names.sort();
        assert_eq!(names.len(), 4, "{names:?}");
        for f in &names {
            let o = p.ok(&["strategy", "put", f.to_str().unwrap(), "--tenant", "Acme"]);
            assert!(stdout(&o).starts_with("created: "), "{}", stdout(&o));
        }
        p
    }

    fn run(&self, args: &[&str]) -> Output {
        recaudo(&self.url, args, self.dir.path())
    }

    /// Runs and insists on success.
    fn ok(&self, args: &[&str]) -> Output {
        let o = self.run(args);
        assert!(
            o.status.success(),
            "recaudo {args:?} failed on {}: {}",
            self.url,
            stderr(&o)
        );
        o
    }

    /// `plan --tenant Acme --at AT --dry-run --json` (plus `extra`): the raw stdout and its
    /// lines, each checked to be a decision object.
    fn dry_run(&self, at: &str, extra: &[&str]) -> (String, Vec<Value>) {
        let mut args = vec![
            "plan",
            "--tenant",
            "Acme",
            "--at",
            at,
            "--dry-run",
            "--json",
        ];
        args.extend_from_slice(extra);
        let o = self.ok(&args);
        let out = stdout(&o);
        let lines = out.lines().map(decision).collect();
        // The summary goes to stderr, not among the decisions.
        let summary: Value = serde_json::from_str(stderr(&o).lines().last().unwrap()).unwrap();
        assert_eq!(summary["dry_run"], true, "{summary}");
        assert_eq!(summary["contacts_written"], 0, "{summary}");
        (out, lines)
    }

    /// A real `plan --tenant Acme --at AT`: its JSON summary (the last line).
    fn plan(&self, at: &str) -> Value {
        let s = last_json(&self.ok(&["plan", "--tenant", "Acme", "--at", at, "--allow-future"]));
        assert_eq!(s["dry_run"], false, "{s}");
        s
    }
}

/// One line of `plan --json`, checked field by field.
fn decision(line: &str) -> Value {
    let v: Value =
        serde_json::from_str(line).unwrap_or_else(|e| panic!("`{line}` is not JSON: {e}"));
    let o = v
        .as_object()
        .unwrap_or_else(|| panic!("`{line}` is not an object"));
    for key in [
        "debt",
        "debtor",
        "step",
        "channel",
        "decision",
        "reason",
        "send_at",
        "covered_by",
    ] {
        assert!(o.contains_key(key), "`{key}` missing in {line}");
    }
    for key in ["debt", "debtor", "step", "channel"] {
        assert!(
            v[key].as_str().is_some_and(|s| !s.is_empty()),
            "`{key}` is not a non-empty string in {line}"
        );
    }
    let kind = v["decision"].as_str().unwrap_or_default();
    let snake = |s: &str| {
        s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    };
    match kind {
        "send" => {
            assert!(v["reason"].is_null(), "a send has no reason: {line}");
            assert!(
                CHANNELS.contains(&v["channel"].as_str().unwrap()),
                "a send goes on a real channel: {line}"
            );
        }
        "defer" | "deny" => {
            let r = v["reason"].as_str().unwrap_or_default();
            assert!(snake(r), "reason `{r}` is not a snake_case code: {line}");
        }
        other => panic!("decision `{other}` is not send, defer or deny: {line}"),
    }
    match kind {
        "deny" => assert!(v["send_at"].is_null(), "a denial has no send_at: {line}"),
        _ => {
            let at = v["send_at"].as_str().unwrap_or_default();
            DateTime::parse_from_rfc3339(at)
                .unwrap_or_else(|e| panic!("send_at `{at}` is not RFC 3339 ({e}): {line}"));
        }
    }
    assert!(
        v["covered_by"].is_null() || kind == "send",
        "only a send is covered: {line}"
    );
    v
}

fn bogota(v: &Value) -> DateTime<FixedOffset> {
    let at = DateTime::parse_from_rfc3339(v["send_at"].as_str().unwrap()).unwrap();
    at.with_timezone(&FixedOffset::west_opt(5 * 3600).unwrap())
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

/// Ley 2300 de 2023, art. 3: Mon–Fri 07:00–19:00, Sat 08:00–15:00, nothing on Sundays.
fn in_co_window(local: DateTime<FixedOffset>) -> bool {
    let t = local.time();
    match local.weekday() {
        Weekday::Sat => hm(8, 0) <= t && t < hm(15, 0),
        Weekday::Sun => false,
        _ => hm(7, 0) <= t && t < hm(19, 0),
    }
}

fn count<'a>(lines: &'a [Value], f: impl Fn(&Value) -> bool + 'a) -> usize {
    lines.iter().filter(|l| f(l)).count()
}

fn is(kind: &'static str) -> impl Fn(&Value) -> bool {
    move |l| l["decision"] == kind
}

/// The CO law on one plan's output: every send and every deferral lands inside the legal
/// windows (and not on `holiday`); a debtor gets at most one message (one channel) a day, other
/// debts riding on it (`covered_by`) on the same channel at the same instant.
fn assert_co_law(lines: &[Value], at: &str, holiday: Option<NaiveDate>) {
    let at = DateTime::parse_from_rfc3339(at).unwrap();
    let mut own: BTreeMap<(String, NaiveDate), Vec<&Value>> = BTreeMap::new();
    for l in lines.iter().filter(|l| l["decision"] != "deny") {
        let local = bogota(l);
        assert!(
            in_co_window(local),
            "{} at {local} (Bogotá) is outside the CO windows: {l}",
            l["decision"]
        );
        assert_ne!(Some(local.date_naive()), holiday, "on the holiday: {l}");
        assert!(local >= at, "before the plan's instant: {l}");
        if l["decision"] == "send" && l["covered_by"].is_null() {
            own.entry((l["debtor"].as_str().unwrap().into(), local.date_naive()))
                .or_default()
                .push(l);
        }
    }
    for ((debtor, day), sends) in &own {
        assert_eq!(
            sends.len(),
            1,
            "debtor {debtor} gets {} messages on {day}: {sends:?}",
            sends.len()
        );
    }
    for l in lines.iter().filter(|l| !l["covered_by"].is_null()) {
        let by = lines
            .iter()
            .find(|o| o["debt"] == l["covered_by"] && o["decision"] == "send")
            .unwrap_or_else(|| panic!("covered by a debt without a send: {l}"));
        assert!(by["covered_by"].is_null(), "covered by a covered send: {l}");
        assert_eq!(by["debtor"], l["debtor"], "{l} / {by}");
        assert_eq!(by["channel"], l["channel"], "{l} / {by}");
        assert_eq!(by["send_at"], l["send_at"], "{l} / {by}");
    }
}

/// 1. The decisions of a dry run, as JSON lines; the law holds on them; the same run again
///    gives the same bytes; nothing was written, so a real run then writes the contacts.
#[tokio::test]
async fn dry_run_json_follows_the_co_law_and_writes_nothing() {
    for url in database_urls().await {
        let p = Portfolio::new(url);
        let (raw, lines) = p.dry_run(WEDNESDAY, &[]);
        let sends = count(&lines, is("send"));
        assert!(sends > 50, "{sends} sends:\n{raw}");
        assert!(
            count(&lines, |l| l["decision"] != "send"
                && l["reason"].is_string())
                > 0,
            "no defer or deny with a reason:\n{raw}"
        );
        assert!(count(&lines, is("deny")) > 0, "{raw}");
        assert!(count(&lines, is("defer")) > 0, "{raw}");
        assert!(
            count(&lines, |l| !l["covered_by"].is_null()) > 0,
            "no debt rides on another's message:\n{raw}"
        );
        assert_co_law(&lines, WEDNESDAY, None);
        // Sent now, on the day asked for (10:00 in Bogotá is inside the window).
        for l in lines.iter().filter(|l| is("send")(l)) {
            assert_eq!(l["send_at"], WEDNESDAY, "{l}");
        }

        let (again, _) = p.dry_run(WEDNESDAY, &[]);
        assert_eq!(raw, again, "two identical dry runs differ");
        let (batched, _) = p.dry_run(WEDNESDAY, &["--batch", "7"]);
        assert_eq!(raw, batched, "the batch size changes the decisions");

        let own_sends = count(&lines, |l| is("send")(l) && l["covered_by"].is_null());
        let written = p.plan(WEDNESDAY);
        let n = written["contacts_written"].as_u64().unwrap();
        assert!(n > 0, "{written}");
        assert_eq!(
            n, own_sends as u64,
            "one contact per send that no other message covers: {written}"
        );
    }
}

/// 2. Without `--json`: a table of counts by channel and by reason, then the JSON summary.
#[tokio::test]
async fn dry_run_prints_counts_by_channel_and_reason() {
    for url in database_urls().await {
        let p = Portfolio::new(url);
        let o = p.ok(&["plan", "--tenant", "Acme", "--at", WEDNESDAY, "--dry-run"]);
        let out = stdout(&o);
        for word in ["channel", "send", "defer", "deny", "reasons"] {
            assert!(out.contains(word), "`{word}` missing:\n{out}");
        }
        let header = out
            .lines()
            .find(|l| l.trim_start().starts_with("channel"))
            .unwrap_or_else(|| panic!("no channel header:\n{out}"));
        assert_eq!(
            header.split_whitespace().collect::<Vec<_>>(),
            ["channel", "send", "defer", "deny"],
            "{out}"
        );
        assert!(
            out.lines()
                .any(|l| l.trim_start().starts_with("no_contact_point")),
            "no reason row:\n{out}"
        );
        assert!(
            !out.contains("written:"),
            "a dry run writes nothing:\n{out}"
        );
        let summary = last_json(&o);
        assert_eq!(summary["dry_run"], true, "{summary}");
        assert_eq!(summary["contacts_written"], 0, "{summary}");
        assert_eq!(summary["assignments_written"], 0, "{summary}");
        assert_eq!(summary["jurisdiction"], "CO", "{summary}");

        // The table counts what the JSON lines list.
        let (_, lines) = p.dry_run(WEDNESDAY, &[]);
        let sends = count(&lines, is("send")) as u64;
        assert_eq!(summary["by_decision"]["send"], sends, "{summary}");
        assert_eq!(summary["decisions"], lines.len() as u64, "{summary}");
        let no_point = count(&lines, |l| l["reason"] == "no_contact_point") as u64;
        assert_eq!(
            summary["by_reason"]["no_contact_point"], no_point,
            "{summary}"
        );
    }
}

/// 3. A second run at the same instant writes nothing; nothing goes out on a Sunday or on a CO
///    holiday, the contacts are deferred to the next working day.
#[tokio::test]
async fn plan_is_idempotent_and_keeps_sundays_and_holidays_free() {
    for url in database_urls().await {
        let p = Portfolio::new(url);

        let (raw, sunday) = p.dry_run(SUNDAY, &[]);
        assert_eq!(count(&sunday, is("send")), 0, "sends on a Sunday:\n{raw}");
        assert_co_law(&sunday, SUNDAY, None);
        // Every contact held back by the day waits for the first legal instant after it.
        let next_morning = |lines: &[Value], reason: &str, day: NaiveDate| {
            let held: Vec<&Value> = lines
                .iter()
                .filter(|l| is("defer")(l) && l["reason"] == reason)
                .collect();
            assert!(held.len() > 50, "{} deferred for {reason}", held.len());
            for l in held {
                let local = bogota(l);
                assert_eq!(
                    (local.date_naive(), local.time()),
                    (day, hm(7, 0)),
                    "{reason}: {l}"
                );
            }
        };
        next_morning(
            &sunday,
            "weekday_not_allowed",
            NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
        );

        let (raw, holiday) = p.dry_run(HOLIDAY, &[]);
        assert_eq!(count(&holiday, is("send")), 0, "sends on a holiday:\n{raw}");
        let day = NaiveDate::from_ymd_opt(2026, 12, 8).unwrap();
        assert_co_law(&holiday, HOLIDAY, Some(day));
        next_morning(
            &holiday,
            "holiday",
            NaiveDate::from_ymd_opt(2026, 12, 9).unwrap(),
        );

        let first = p.plan(WEDNESDAY);
        assert!(first["contacts_written"].as_u64().unwrap() > 0, "{first}");
        assert!(
            first["assignments_written"].as_u64().unwrap() > 0,
            "{first}"
        );
        let second = p.plan(WEDNESDAY);
        assert_eq!(second["contacts_written"], 0, "{second}");
        assert_eq!(second["assignments_written"], 0, "{second}");
        assert_eq!(second["segments_written"], 0, "{second}");

        // What was planned is done: nothing is sent twice.
        let (raw, after) = p.dry_run(WEDNESDAY, &[]);
        assert_eq!(count(&after, is("send")), 0, "sent again:\n{raw}");
    }
}

/// 4. `--explain` for one debt: the strategy, the steps, the decision; clear errors for an
///    unknown debt and for a missing `--tenant` when there are two.
#[tokio::test]
async fn explain_shows_one_debt_and_refuses_what_it_cannot_find() {
    for url in database_urls().await {
        let p = Portfolio::new(url);
        let (_, lines) = p.dry_run(WEDNESDAY, &[]);
        let pick = |kind: &'static str| {
            lines
                .iter()
                .find(|l| l["decision"] == kind && l["covered_by"].is_null())
                .unwrap_or_else(|| panic!("no {kind} to explain"))
        };
        for l in [pick("send"), pick("defer"), pick("deny")] {
            let debt = l["debt"].as_str().unwrap();
            let o = p.ok(&[
                "plan",
                "--explain",
                debt,
                "--tenant",
                "Acme",
                "--at",
                WEDNESDAY,
            ]);
            let out = stdout(&o);
            assert!(
                out.starts_with("contact rules: Colombia — Ley 2300 de 2023 (the tenant set none"),
                "{out}"
            );
            assert!(out.contains("strategy"), "{out}");
            assert!(out.contains("step"), "{out}");
            assert!(out.contains(debt), "{out}");
            assert!(out.contains(l["step"].as_str().unwrap()), "{out}");
            // The reasoning, before the JSON lines, says what was decided.
            let prose: String = out
                .lines()
                .filter(|s| !s.starts_with('{'))
                .collect::<Vec<_>>()
                .join("\n");
            let said = match l["decision"].as_str().unwrap() {
                "send" => format!("{}: send at", l["channel"].as_str().unwrap()),
                "defer" => format!("defer until {}", &l["send_at"].as_str().unwrap()[..10]),
                _ => format!("deny ({})", l["reason"].as_str().unwrap()),
            };
            assert!(prose.contains(&said), "`{said}` missing:\n{out}");
            // Its JSON lines are the dry run's lines of that debt.
            let explained: Vec<Value> = out
                .lines()
                .filter(|s| s.starts_with('{'))
                .map(decision)
                .collect();
            let planned: Vec<&Value> = lines.iter().filter(|x| x["debt"] == debt).collect();
            assert_eq!(explained.iter().collect::<Vec<_>>(), planned, "{out}");
        }

        let o = p.run(&[
            "plan",
            "--explain",
            "NO-SUCH-DEBT",
            "--tenant",
            "Acme",
            "--at",
            WEDNESDAY,
        ]);
        assert!(!o.status.success(), "{}", stdout(&o));
        assert!(stderr(&o).contains("NO-SUCH-DEBT"), "{}", stderr(&o));

        p.ok(&["tenant", "create", "--name", "Beta", "--country", "CO"]);
        let debt = pick("send")["debt"].as_str().unwrap();
        let o = p.run(&["plan", "--explain", debt, "--at", WEDNESDAY]);
        assert!(!o.status.success(), "{}", stdout(&o));
        assert!(stdout(&o).is_empty(), "{}", stdout(&o));
        assert!(
            stderr(&o).contains("--explain needs --tenant"),
            "{}",
            stderr(&o)
        );
    }
}

/// 5. Bad input is refused with a message that says what is wrong.
#[tokio::test]
async fn bad_input_gets_clear_errors() {
    for url in database_urls().await {
        let dir = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| recaudo(&url, args, dir.path());
        assert!(run(&["migrate"]).status.success());

        let o = run(&["plan", "--at", WEDNESDAY, "--dry-run"]);
        assert!(!o.status.success());
        assert!(stderr(&o).contains("no tenant yet"), "{}", stderr(&o));

        assert!(
            run(&["tenant", "create", "--name", "Acme", "--country", "CO"])
                .status
                .success()
        );
        let o = run(&["plan", "--tenant", "Acme", "--at", "yesterday", "--dry-run"]);
        assert!(!o.status.success());
        let e = stderr(&o);
        assert!(e.contains("RFC 3339"), "{e}");
        assert!(e.contains("yesterday"), "{e}");
        // A date without a time is not an instant.
        let o = run(&[
            "plan",
            "--tenant",
            "Acme",
            "--at",
            "2026-12-02",
            "--dry-run",
        ]);
        assert!(!o.status.success());
        assert!(stderr(&o).contains("RFC 3339"), "{}", stderr(&o));

        let o = run(&["plan", "--tenant", "Nobody", "--at", WEDNESDAY, "--dry-run"]);
        assert!(!o.status.success());
        assert!(
            stderr(&o).contains("no tenant with id or name `Nobody`"),
            "{}",
            stderr(&o)
        );
        let ghost = "ten_01M89KYYF1QMRS3JWSEC43REK6";
        let o = run(&["plan", "--tenant", ghost, "--at", WEDNESDAY, "--dry-run"]);
        assert!(!o.status.success());
        assert!(stderr(&o).contains(ghost), "{}", stderr(&o));
    }
}

/// 6. Debtors with no usable contact point are denied with `no_contact_point`, by every
///    strategy, dry or not.
#[tokio::test]
async fn a_debtor_without_contact_points_is_denied() {
    for url in database_urls().await {
        let p = Portfolio::new(url);
        let file = p.dir.path().join("no-contact.csv");
        std::fs::write(
            &file,
            "\
debtor_external_id,debtor_name,debtor_kind,address_line1,address_city,letter_consent,paperless,debt_external_id,currency,amount,due_date,product
NC-1,Ana Sin Contacto,person,,,,,NC-1-A,COP,150000,2026-11-30,electricity
NC-2,Luis Sin Contacto,person,,,,,NC-2-A,COP,2500000,2026-11-30,personal_loan
NC-3,Sin Contacto SAS,business,,,,,NC-3-A,COP,9000000,2026-11-30,
NC-4,Pía Sin Contacto,person,,,,,NC-4-A,COP,80000,2026-11-30,
NC-5,Eva Sin Papel,person,Calle 1 # 2-3,Cali,granted,true,NC-5-A,COP,800000,2026-10-01,credit_card
",
        )
        .unwrap();
        let imported = last_json(&p.ok(&["import", file.to_str().unwrap(), "--tenant", "Acme"]));
        assert_eq!(imported["imported"], 5, "{imported}");
        assert_eq!(imported["errors"], 0, "{imported}");

        let check = |lines: &[Value]| {
            let mut strategies = BTreeSet::new();
            for n in 1..=5 {
                let debt = format!("NC-{n}-A");
                let mine: Vec<&Value> = lines.iter().filter(|l| l["debt"] == debt).collect();
                assert!(!mine.is_empty(), "no decision for {debt}");
                // NC-5 has an address but is paperless: its letter is denied for that.
                let reason = if n == 5 {
                    "paperless"
                } else {
                    "no_contact_point"
                };
                for l in mine {
                    assert_eq!(l["decision"], "deny", "{l}");
                    assert_eq!(l["reason"], reason, "{l}");
                    assert!(l["send_at"].is_null(), "{l}");
                    strategies.insert(l["strategy"].as_str().unwrap_or_default().to_string());
                }
            }
            assert_eq!(
                strategies.len(),
                4,
                "every example strategy: {strategies:?}"
            );
        };
        let (_, lines) = p.dry_run(WEDNESDAY, &[]);
        check(&lines);

        let written = p.plan(WEDNESDAY);
        assert!(
            written["contacts_written"].as_u64().unwrap() > 0,
            "{written}"
        );
        let (_, lines) = p.dry_run(WEDNESDAY, &[]);
        check(&lines);

        let o = p.ok(&[
            "plan",
            "--explain",
            "NC-2-A",
            "--tenant",
            "Acme",
            "--at",
            WEDNESDAY,
        ]);
        let out = stdout(&o);
        assert!(out.contains("no usable contact point"), "{out}");
        assert!(out.contains("decision: deny (no_contact_point)"), "{out}");

        // A paperless debtor with a full address: the letter is refused as paperless, not for
        // want of a contact point.
        let o = p.ok(&[
            "plan",
            "--explain",
            "NC-5-A",
            "--tenant",
            "Acme",
            "--at",
            WEDNESDAY,
        ]);
        let out = stdout(&o);
        assert!(
            out.contains("letter: the debtor is paperless → deny (paperless)"),
            "{out}"
        );
        assert!(!out.contains("letter: no usable contact point"), "{out}");
        assert!(out.contains(r#""reason":"paperless""#), "{out}");
    }
}

/// A debt covered by another debt's message has that step done: the next plan, the same day
/// or the day after, does not contact it again for the same step.
#[tokio::test]
async fn a_covered_debt_is_not_contacted_again_for_the_same_step() {
    for url in database_urls().await {
        let p = Portfolio::new(url);
        let (_, before) = p.dry_run(WEDNESDAY, &[]);
        let covered: Vec<&Value> = before
            .iter()
            .filter(|l| !l["covered_by"].is_null())
            .collect();
        assert!(!covered.is_empty());
        p.plan(WEDNESDAY);
        for at in [WEDNESDAY, "2026-12-03T15:00:00Z"] {
            let (_, after) = p.dry_run(at, &[]);
            for c in &covered {
                let again: Vec<&Value> = after
                    .iter()
                    .filter(|l| l["debt"] == c["debt"] && l["step"] == c["step"])
                    .collect();
                assert!(
                    again.is_empty(),
                    "covered on {WEDNESDAY} by {}: {c}\nplanned again at {at}: {again:?}",
                    c["covered_by"]
                );
            }
        }
    }
}

/// A plan that writes, more than a day after now, is refused with a message that says what to
/// do; `--dry-run` and `--allow-future` let it through. The instants are far from the wall
/// clock on both sides, so the test does not depend on when it runs.
#[tokio::test]
async fn a_writing_plan_in_the_future_needs_allow_future() {
    for url in database_urls().await {
        let dir = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| recaudo(&url, args, dir.path());
        assert!(run(&["migrate"]).status.success());
        assert!(
            run(&["tenant", "create", "--name", "Acme", "--country", "CO"])
                .status
                .success()
        );
        let future = "2099-12-02T15:00:00Z";
        let o = run(&["plan", "--tenant", "Acme", "--at", future]);
        assert!(!o.status.success(), "{}", stdout(&o));
        let e = stderr(&o);
        for needle in [
            "--at 2099-12-02T15:00:00Z is more than a day after now",
            "--dry-run",
            "--allow-future",
        ] {
            assert!(e.contains(needle), "`{needle}` not in {e}");
        }
        assert!(stdout(&o).is_empty(), "nothing planned: {}", stdout(&o));

        let o = run(&["plan", "--tenant", "Acme", "--at", future, "--dry-run"]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(last_json(&o)["dry_run"], true);

        let o = run(&["plan", "--tenant", "Acme", "--at", future, "--allow-future"]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(last_json(&o)["dry_run"], false);

        // The past, and now, need no flag.
        let o = run(&["plan", "--tenant", "Acme", "--at", "2020-01-02T15:00:00Z"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let o = run(&["plan", "--tenant", "Acme"]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
}

/// The issue's case: a 3,200,000 COP loan 67 days past due, WhatsApp and SMS consent granted,
/// the last step a letter the debtor gave no consent for. It is not left silent: one earlier
/// step goes out instead, once, and `--explain` says which step was due and why it was denied.
#[tokio::test]
async fn a_late_loaded_debt_whose_letter_is_denied_gets_one_earlier_step() {
    for url in database_urls().await {
        let dir = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| recaudo(&url, args, dir.path());
        let ok = |args: &[&str]| {
            let o = run(args);
            assert!(o.status.success(), "{args:?}: {}", stderr(&o));
            o
        };
        ok(&["migrate"]);
        ok(&["tenant", "create", "--name", "Acme", "--country", "CO"]);
        let lender = examples().join("lender.yaml");
        ok(&[
            "strategy",
            "put",
            lender.to_str().unwrap(),
            "--tenant",
            "Acme",
        ]);
        let file = dir.path().join("late.csv");
        std::fs::write(
            &file,
            "\
debtor_external_id,debtor_name,debtor_kind,phone,sms_consent,whatsapp,whatsapp_consent,address_line1,address_city,debt_external_id,currency,amount,due_date,product
LATE-1,Rosa Tarde,person,3001234567,granted,3001234567,granted,Calle 10 # 5-20,Medellín,LATE-1-A,COP,3200000,2026-09-26,personal_loan
",
        )
        .unwrap();
        let imported = last_json(&ok(&["import", file.to_str().unwrap(), "--tenant", "Acme"]));
        assert_eq!(imported["imported"], 1, "{imported}");

        let o = ok(&[
            "plan",
            "--tenant",
            "Acme",
            "--at",
            WEDNESDAY,
            "--explain",
            "LATE-1-A",
        ]);
        let out = stdout(&o);
        assert!(
            out.contains("step final: denied on every channel (letter: no_consent)"),
            "{out}"
        );
        assert!(out.contains("planned instead of step final"), "{out}");
        let line: Value = out
            .lines()
            .filter(|l| l.starts_with('{'))
            .map(decision)
            .next()
            .unwrap_or_else(|| panic!("no decision line: {out}"));
        assert_eq!(line["decision"], "send", "{line}");
        assert_eq!(line["instead_of"], "final", "{line}");
        assert!(
            ["sms", "whatsapp"].contains(&line["channel"].as_str().unwrap_or_default()),
            "{line}"
        );

        // Written once: one contact; the next day nothing more for the steps left behind.
        let s = last_json(&ok(&[
            "plan",
            "--tenant",
            "Acme",
            "--at",
            WEDNESDAY,
            "--allow-future",
        ]));
        assert_eq!(s["contacts_written"], 1, "{s}");
        let thursday = "2026-12-03T15:00:00Z";
        let (_, lines) = {
            let o = ok(&[
                "plan",
                "--tenant",
                "Acme",
                "--at",
                thursday,
                "--dry-run",
                "--json",
            ]);
            let out = stdout(&o);
            let lines: Vec<Value> = out.lines().map(decision).collect();
            (out, lines)
        };
        assert!(lines.iter().all(|l| l["decision"] != "send"), "{lines:#?}");
    }
}
