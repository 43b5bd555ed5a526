//! The CEL evaluation context, condition evaluation, and segments (issue 4, item 2).

use std::collections::BTreeMap;
use std::str::FromStr;

use cel::Value;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use rust_decimal::Decimal;

use recaudo_domain::event::{Event, EventKind};
use recaudo_domain::portfolio::{Debt, DebtStatus, Debtor, DebtorKind, Language, Preferences};
use recaudo_domain::strategy::{
    Condition, Conditions, EvalContext, EvalInput, Segments, age_years, days_past_due,
    parse_strategy,
};
use recaudo_domain::{Country, Currency, DebtId, DebtorId, EventId, Money};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .expect("instant")
}

fn debtor(birth: Option<NaiveDate>) -> Debtor {
    Debtor {
        id: DebtorId::generate(),
        external_id: "D-1".into(),
        kind: DebtorKind::Person,
        name: "Ana Pérez".into(),
        document_type: Some("cc".into()),
        document_number: Some("123".into()),
        birth_date: birth,
        language: Language::Es,
        timezone: "America/Bogota".into(),
        country: Country::Co,
        segment: Some("young".into()),
        computed_segment: None,
        tags: vec!["vip".into(), "app_user".into()],
        attributes: serde_json::json!({"plan": "gold", "limit": 1500, "nested": {"x": true}}),
        preferences: Preferences::default(),
        created_at: utc(2026, 11, 1, 12, 0),
        updated_at: utc(2026, 11, 1, 12, 0),
    }
}

fn debt(d: &Debtor, balance: &str, currency: Currency, due: NaiveDate) -> Debt {
    let money = Money::new(Decimal::from_str(balance).expect("decimal"), currency);
    Debt {
        id: DebtId::generate(),
        debtor_id: d.id,
        external_id: "F-1".into(),
        original: Money::new(Decimal::from_str("1500.50").expect("decimal"), currency),
        balance: money,
        issued_on: date(2026, 10, 1),
        due_on: due,
        product: Some("loan".into()),
        status: DebtStatus::Open,
        strategy: None,
        created_at: utc(2026, 10, 1, 12, 0),
        updated_at: utc(2026, 10, 1, 12, 0),
    }
}

fn event(d: &Debtor, debt: Option<DebtId>, kind: EventKind, at: DateTime<Utc>) -> Event {
    Event {
        id: EventId::generate(),
        debtor_id: d.id,
        debt_id: debt,
        kind,
        at,
        recorded_at: at,
        data: serde_json::json!({"channel": "sms", "n": 2}),
    }
}

static SCORE: std::sync::LazyLock<BTreeMap<String, f64>> =
    std::sync::LazyLock::new(|| BTreeMap::from([("ptp".to_string(), 0.25)]));

fn ctx<'a>(
    d: &'a Debtor,
    debt: &'a Debt,
    events: &'a [Event],
    now: DateTime<Utc>,
) -> EvalContext<'a> {
    EvalContext::new(&EvalInput {
        debtor: d,
        debt,
        score: &SCORE,
        events,
        now,
    })
}

fn field(v: impl std::borrow::Borrow<Value>, key: &str) -> Value {
    match v.borrow() {
        Value::Map(m) => m
            .map
            .get(&cel::objects::Key::from(key))
            .cloned()
            .unwrap_or_else(|| panic!("no field {key}")),
        other => panic!("not a map: {other:?}"),
    }
}

fn eval(c: &EvalContext, src: &str) -> bool {
    let cond = Condition::compile("test", src).unwrap_or_else(|e| panic!("{src}: {e}"));
    c.evaluate(&cond).unwrap_or_else(|e| panic!("{src}: {e}"))
}

#[test]
fn context_values_for_a_fixed_debtor() {
    let d = debtor(Some(date(1990, 12, 1)));
    let dt = debt(&d, "1234.56", Currency::Cop, date(2026, 11, 20));
    let ev = [event(
        &d,
        Some(dt.id),
        EventKind::ContactSent,
        utc(2026, 11, 21, 15, 0),
    )];
    // 2026-11-25 14:00 UTC is 09:00 in Bogotá.
    let c = ctx(&d, &dt, &ev, utc(2026, 11, 25, 14, 0));
    let debtor = &c.variable("debtor").expect("debtor");
    assert_eq!(field(debtor, "kind"), Value::from("person"));
    assert_eq!(field(debtor, "age"), Value::Int(35));
    assert_eq!(field(debtor, "segment"), Value::from("young"));
    assert_eq!(field(debtor, "country"), Value::from("CO"));
    assert_eq!(field(debtor, "language"), Value::from("es"));
    assert_eq!(field(debtor, "days_since_created"), Value::Int(24));
    let debt_v = &c.variable("debt").expect("debt");
    assert_eq!(field(debt_v, "balance"), Value::Float(1234.56));
    assert_eq!(field(debt_v, "amount"), Value::Float(1500.5));
    assert_eq!(field(debt_v, "currency"), Value::from("COP"));
    assert_eq!(field(debt_v, "days_past_due"), Value::Int(5));
    assert_eq!(field(debt_v, "status"), Value::from("open"));
    assert_eq!(field(debt_v, "product"), Value::from("loan"));
    assert_eq!(field(debt_v, "id"), Value::from(dt.id.to_string()));
    // And as conditions see them.
    assert!(eval(&c, "debt.balance > 500.0 && debt.balance < 1234.57"));
    assert!(eval(
        &c,
        "'vip' in debtor.tags && debtor.attributes.plan == 'gold'"
    ));
    assert!(eval(
        &c,
        "debtor.attributes.limit == 1500.0 && debtor.attributes.nested.x"
    ));
    assert!(eval(&c, "score.ptp < 0.3"));
    assert!(eval(
        &c,
        "events.exists(e, e.kind == 'contact_sent' && e.channel == 'sms')"
    ));
    assert!(eval(
        &c,
        "events[0].data.n == 2.0 && events[0].debt == debt.id"
    ));
    assert!(eval(&c, "now > events[0].at"));
    assert!(eval(&c, "now - events[0].at > duration('72h')"));
    assert!(!eval(&c, "debtor.kind == 'business'"));
}

#[test]
fn age_turns_on_the_birthday_in_the_debtors_zone() {
    let d = debtor(Some(date(1990, 11, 26)));
    let dt = debt(&d, "10", Currency::Cop, date(2026, 11, 20));
    let age = |now| field(ctx(&d, &dt, &[], now).variable("debtor").expect("d"), "age");
    // 2026-11-26 03:00 UTC is still the 25th (22:00) in Bogotá (UTC-5).
    assert_eq!(age(utc(2026, 11, 26, 3, 0)), Value::Int(35));
    assert_eq!(age(utc(2026, 11, 26, 5, 0)), Value::Int(36));
    // No birth date: null.
    let none = debtor(None);
    let c = ctx(&none, &dt, &[], utc(2026, 11, 26, 5, 0));
    assert_eq!(field(c.variable("debtor").expect("d"), "age"), Value::Null);
    assert!(eval(&c, "debtor.age == null"));
}

#[test]
fn days_past_due_turns_at_local_midnight() {
    let mut d = debtor(None);
    let dt = debt(&d, "10", Currency::Cop, date(2026, 11, 25));
    let dpd = |d: &Debtor, now| {
        field(
            ctx(d, &dt, &[], now).variable("debt").expect("d"),
            "days_past_due",
        )
    };
    // Bogotá: 04:59 UTC on the 26th is 23:59 on the 25th, the due date.
    assert_eq!(dpd(&d, utc(2026, 11, 26, 4, 59)), Value::Int(0));
    assert_eq!(dpd(&d, utc(2026, 11, 26, 5, 0)), Value::Int(1));
    assert_eq!(dpd(&d, utc(2026, 11, 20, 12, 0)), Value::Int(-5));
    // Madrid (UTC+1): already the 26th at 23:00 UTC on the 25th.
    d.timezone = "Europe/Madrid".into();
    assert_eq!(dpd(&d, utc(2026, 11, 25, 22, 59)), Value::Int(0));
    assert_eq!(dpd(&d, utc(2026, 11, 25, 23, 0)), Value::Int(1));
    // An unknown zone falls back to the country's (CO → Bogotá).
    d.timezone = "Mars/Olympus".into();
    assert_eq!(dpd(&d, utc(2026, 11, 26, 4, 59)), Value::Int(0));
}

#[test]
fn conditions_of_a_strategy_evaluate() {
    let src = r#"
id: s
applies_if: "debtor.kind == 'person'"
stop_when: ["debt.balance <= 0.0"]
steps:
  - { id: a, at: due, send: { channel: sms, template: due_today } }
  - { id: b, at: due+1d, if: "debt.balance > 500.0 && score.ptp < 0.3", send: { channel: sms, template: due_today } }
  - { id: c, at: due+2d, if: "score.missing > 0.5", send: { channel: sms, template: due_today } }
  - { id: d, at: due+3d, if: "debt.balance + 1.0", send: { channel: sms, template: due_today } }
"#;
    let s =
        parse_strategy(src, recaudo_domain::strategy::TemplateCatalogue::open()).expect("valid");
    let d = debtor(None);
    let dt = debt(&d, "1234.56", Currency::Cop, date(2026, 11, 20));
    let score = BTreeMap::from([("ptp".to_string(), 0.25)]);
    let input = EvalInput {
        debtor: &d,
        debt: &dt,
        score: &score,
        events: &[],
        now: utc(2026, 11, 25, 14, 0),
    };
    let cond = |p: &str| s.condition(p).unwrap_or_else(|| panic!("{p}"));
    assert_eq!(Conditions::evaluate(cond("applies_if"), &input), Ok(true));
    assert_eq!(
        Conditions::evaluate(cond("stop_when[0]"), &input),
        Ok(false)
    );
    assert_eq!(Conditions::evaluate(cond("steps[1].if"), &input), Ok(true));
    // A runtime error names the condition's path.
    let e = Conditions::evaluate(cond("steps[2].if"), &input).expect_err("no such key");
    assert_eq!(e.path, "steps[2].if");
    assert!(e.message.contains("missing"), "{e}");
    assert!(e.to_string().starts_with("steps[2].if: "), "{e}");
    // A number is not a decision.
    let e = Conditions::evaluate(cond("steps[3].if"), &input).expect_err("not a bool");
    assert_eq!(e.path, "steps[3].if");
    assert!(e.message.contains("true or false"), "{e}");
    // A type mismatch (an int and a string) is an error too, never a panic.
    let c = Condition::compile("x.if", "debt.currency > 3").expect("compiles");
    let e = Conditions::evaluate(&c, &input).expect_err("mismatch");
    assert_eq!(e.path, "x.if");
}

#[test]
fn condition_compile_uses_the_strategy_checks() {
    assert!(
        Condition::compile("p", "foo == 1").is_err_and(|e| e.contains("unknown variable `foo`"))
    );
    assert!(Condition::compile("p", "  ").is_err());
    assert!(Condition::compile("p", "(1 +").is_err_and(|e| e.contains("does not compile")));
    let deep = format!("1{} == 1", "+1".repeat(60));
    assert!(
        Condition::compile("p", &deep).is_err_and(|e| e.contains("nested too deeply")),
        "a tree deeper than MAX_CEL_DEPTH is refused"
    );
}

/// One debtor of the table: kind, birth date, balance, currency, due date, events.
struct Case {
    want: Option<&'static str>,
    kind: DebtorKind,
    birth: Option<NaiveDate>,
    balance: &'static str,
    currency: Currency,
    due: NaiveDate,
    events: Vec<(EventKind, bool)>,
}

fn case(want: &'static str) -> Case {
    Case {
        want: Some(want),
        kind: DebtorKind::Person,
        birth: None,
        balance: "100",
        currency: Currency::Cop,
        due: date(2026, 11, 20),
        events: vec![],
    }
}

#[test]
fn each_default_segment_is_matched() {
    let now = utc(2026, 11, 25, 15, 0);
    let cases = vec![
        Case {
            kind: DebtorKind::Business,
            birth: Some(date(2000, 1, 1)),
            balance: "99999999",
            ..case("business")
        },
        Case {
            balance: "20000000",
            birth: Some(date(2000, 1, 1)),
            ..case("high_balance")
        },
        Case {
            balance: "5000",
            currency: Currency::Usd,
            ..case("high_balance")
        },
        Case {
            balance: "4999.99",
            currency: Currency::Usd,
            birth: Some(date(1940, 1, 1)),
            ..case("senior")
        },
        Case {
            due: date(2026, 8, 27),
            ..case("dpd_90")
        },
        Case {
            due: date(2026, 8, 28),
            ..case("dpd_30")
        },
        Case {
            due: date(2026, 10, 26),
            ..case("dpd_30")
        },
        Case {
            due: date(2026, 10, 27),
            birth: Some(date(2000, 1, 1)),
            ..case("young")
        },
        Case {
            events: vec![(EventKind::PromiseBroken, true)],
            birth: Some(date(2000, 1, 1)),
            ..case("repeat_late")
        },
        Case {
            events: vec![(EventKind::PromiseMade, false)],
            ..case("repeat_late")
        },
        Case {
            events: vec![(EventKind::PromiseMade, true)],
            ..case("first_time")
        },
        Case {
            birth: Some(date(1996, 11, 26)),
            ..case("young")
        },
        Case {
            birth: Some(date(1996, 11, 25)),
            ..case("adult")
        },
        Case {
            birth: Some(date(1966, 11, 26)),
            ..case("adult")
        },
        Case {
            birth: Some(date(1966, 11, 25)),
            ..case("senior")
        },
        Case {
            ..case("first_time")
        },
        Case {
            events: vec![(EventKind::ContactSent, false)],
            ..case("first_time")
        },
    ];
    let segments = Segments::builtin();
    let mut seen = std::collections::BTreeSet::new();
    for (i, c) in cases.into_iter().enumerate() {
        let mut d = debtor(c.birth);
        d.kind = c.kind;
        let dt = debt(&d, c.balance, c.currency, c.due);
        let other = DebtId::generate();
        let events: Vec<Event> = c
            .events
            .iter()
            .map(|&(k, same)| event(&d, Some(if same { dt.id } else { other }), k, now))
            .collect();
        let got = segments
            .assign(&ctx(&d, &dt, &events, now))
            .unwrap_or_else(|e| panic!("case {i}: {e}"))
            .map(|s| s.id.as_str());
        assert_eq!(got, c.want, "case {i}");
        seen.extend(got.map(str::to_string));
    }
    let all: std::collections::BTreeSet<String> =
        segments.list().iter().map(|s| s.id.clone()).collect();
    assert_eq!(seen, all, "every default segment is matched by some debtor");
}

#[test]
fn first_match_wins_and_none_matches() {
    let text = "segments:\n  - { id: a, if: \"debt.balance > 10.0\" }\n  - { id: b, if: \"debt.balance > 5.0\" }\n  - { id: c, name: Everyone, if: \"true\" }\n";
    let s = Segments::from_yaml("t.yaml", text).expect("valid");
    assert_eq!(
        s.list().iter().map(|x| x.id.as_str()).collect::<Vec<_>>(),
        ["a", "b", "c"]
    );
    assert_eq!(s.get("c").map(|x| x.name.as_str()), Some("Everyone"));
    assert_eq!(s.get("a").map(|x| x.name.as_str()), Some("a"));
    let d = debtor(None);
    let now = utc(2026, 11, 25, 15, 0);
    let pick = |bal: &str| {
        let dt = debt(&d, bal, Currency::Usd, date(2026, 11, 20));
        s.assign(&ctx(&d, &dt, &[], now))
            .expect("ok")
            .map(|x| x.id.clone())
    };
    assert_eq!(pick("20").as_deref(), Some("a"));
    assert_eq!(pick("7").as_deref(), Some("b"));
    assert_eq!(pick("1").as_deref(), Some("c"));
    let only = Segments::from_yaml(
        "t.yaml",
        "segments: [ { id: a, if: \"debt.balance > 10.0\" } ]",
    )
    .expect("valid");
    let dt = debt(&d, "1", Currency::Usd, date(2026, 11, 20));
    assert!(only.assign(&ctx(&d, &dt, &[], now)).expect("ok").is_none());
    // A runtime error stops the assignment, named by path.
    let bad = Segments::from_yaml(
        "t.yaml",
        "segments:\n  - { id: a, if: \"debtor.attributes.vip\" }\n  - { id: b, if: \"true\" }\n",
    )
    .expect("valid");
    let e = bad
        .assign(&ctx(&d, &dt, &[], now))
        .expect_err("no such key");
    assert_eq!(e.path, "segments[0].if");
}

#[test]
fn a_bad_segment_file_is_reported_with_positions() {
    let text = "\
segments:
  - id: young
    if: \"debtor.age < 30\"
  - id: young
    if: \"foo > 1\"
  - id: has space
    if: \"(debt.balance\"
";
    let e = Segments::from_yaml("mine.yaml", text).expect_err("invalid");
    let lines: Vec<String> = e.to_string().lines().map(str::to_string).collect();
    assert_eq!(
        lines[..3],
        [
            "mine.yaml:4:9: segments[1].id: duplicate segment id `young` (first used at segments[0])",
            "mine.yaml:5:9: segments[1].if: unknown variable `foo` in CEL (the variables are: debtor, debt, score, events, now)",
            "mine.yaml:6:9: segments[2].id: the segment id `has space` has spaces: use `-` or `_`",
        ][..],
        "{e}"
    );
    assert_eq!(e.errors.len(), 4, "{e}");
    assert_eq!((e.errors[3].line, e.errors[3].column), (7, 9));
    assert!(e.errors[3].message.contains("does not compile"), "{e}");
    // Serde-level errors carry their position too.
    let e = Segments::from_yaml("mine.yaml", "segments:\n  - { id: a, iff: \"true\" }\n")
        .expect_err("unknown key");
    assert_eq!(e.errors.len(), 1);
    assert_eq!(e.errors[0].line, 2, "{e}");
    assert!(e.errors[0].message.contains("iff"), "{e}");
    let e = Segments::from_yaml("mine.yaml", "segments: []\n").expect_err("empty");
    assert_eq!(e.errors[0].path, "segments");
}

#[test]
fn the_docs_segment_example_validates() {
    let doc = include_str!("../../../../docs/strategies.md");
    let start = doc
        .find("How a strategy uses them")
        .and_then(|i| doc[i..].find("```yaml\n").map(|j| i + j + 8))
        .expect("example in docs/strategies.md");
    let len = doc[start..].find("```").expect("end of block");
    let src = format!("id: segment-demo\n{}", &doc[start..start + len]);
    let s = parse_strategy(&src, recaudo_domain::strategy::TemplateCatalogue::builtin())
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(s.strategy.steps.len(), 3);
}

#[test]
fn a_strategy_reads_the_segment() {
    let d = debtor(None);
    let dt = debt(&d, "10", Currency::Cop, date(2026, 11, 20));
    let c = ctx(&d, &dt, &[], utc(2026, 11, 25, 15, 0));
    assert!(eval(&c, "debtor.segment == 'young'"));
    let mut b = debtor(None);
    b.segment = None;
    let c = ctx(&b, &dt, &[], utc(2026, 11, 25, 15, 0));
    assert!(eval(&c, "debtor.segment != 'young'"));
}

proptest! {
    #[test]
    fn age_and_days_past_due_never_panic(
        birth in 0i32..(201 * 366),
        due in 0i32..(201 * 366),
        now in 0i64..(201 * 366 * 86_400),
        zone in prop::sample::select(vec!["America/Bogota", "Europe/Madrid", "Pacific/Kiritimati", "Etc/GMT+12", "nowhere"]),
    ) {
        let base = date(1900, 1, 1);
        let b = base + chrono::Duration::days(i64::from(birth));
        let du = base + chrono::Duration::days(i64::from(due));
        let n = utc(1900, 1, 1, 0, 0) + chrono::Duration::seconds(now);
        let today = n.date_naive();
        let _ = age_years(b, today);
        prop_assert_eq!(days_past_due(du, today), (today - du).num_days());
        let mut d = debtor(Some(b));
        d.timezone = zone.to_string();
        d.created_at = n;
        let dt = debt(&d, "1", Currency::Usd, du);
        let c = ctx(&d, &dt, &[], n);
        let _ = field(c.variable("debtor").expect("d"), "age");
        let _ = field(c.variable("debt").expect("d"), "days_past_due");
    }
}
