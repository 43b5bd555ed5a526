//! The direct evaluator of conditions (`strategy/fast.rs`) against `cel`: on random debtors,
//! debts, timelines, scores and expressions, [`EvalContext::evaluate`] (direct where it can,
//! `cel` otherwise) gives exactly what `cel` alone gives, errors and their messages included.
//! And every condition we ship is within the direct evaluator's reach, so that the planner's
//! speed does not silently fall back.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use rust_decimal::Decimal;

use recaudo_domain::event::{Event, EventKind};
use recaudo_domain::portfolio::{Debt, DebtStatus, Debtor, DebtorKind, Language, Preferences};
use recaudo_domain::strategy::{
    Condition, EvalContext, EvalInput, MAX_CEL_CHARS, Segments, parse_strategy,
};
use recaudo_domain::{Country, Currency, DebtId, DebtorId, EventId, Money};

fn utc(y: i32, mo: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, 0, 0)
        .single()
        .expect("instant")
}

/// Everything one evaluation reads, owned.
#[derive(Debug)]
struct World {
    debtor: Debtor,
    debt: Debt,
    events: Vec<Event>,
    score: BTreeMap<String, f64>,
    now: DateTime<Utc>,
    /// A segment set by the planner on the context, over the stored one.
    segment_override: Option<Option<String>>,
}

impl World {
    fn context(&self) -> EvalContext<'_> {
        let mut c = EvalContext::new(&EvalInput {
            debtor: &self.debtor,
            debt: &self.debt,
            score: &self.score,
            events: &self.events,
            now: self.now,
        });
        if let Some(s) = &self.segment_override {
            c.set_segment(s.clone());
        }
        c
    }
}

const SEGMENTS: &[&str] = &["young", "senior", "business", "dpd_30"];
const PRODUCTS: &[&str] = &["loan", "credit_card", "electricity", "water"];
const ZONES: &[&str] = &[
    "America/Bogota",
    "America/Santiago",
    "America/New_York",
    "Europe/Madrid",
    "Not/AZone",
];
const KINDS: &[EventKind] = &[
    EventKind::PromiseMade,
    EventKind::PromiseBroken,
    EventKind::ContactSent,
    EventKind::PaymentReceived,
    EventKind::Replied,
];

fn world() -> impl Strategy<Value = World> {
    (
        (
            any::<bool>(),
            prop::option::of(1930i32..2030),
            prop::option::of(prop::sample::select(SEGMENTS)),
            prop::sample::subsequence(vec!["vip", "app_user", "b2b"], 0..3),
            prop::sample::select(ZONES),
            0u8..4,
        ),
        (
            -100_000i64..5_000_000,
            prop::sample::select(vec![Currency::Cop, Currency::Usd, Currency::Brl]),
            -120i64..400,
            prop::option::of(prop::sample::select(PRODUCTS)),
            prop::sample::select(vec![
                DebtStatus::Open,
                DebtStatus::Promised,
                DebtStatus::Disputed,
            ]),
        ),
        prop::collection::vec((prop::sample::select(KINDS), 0u8..3, any::<bool>()), 0..5),
        (
            prop::option::of(prop_oneof![Just(f64::NAN), 0.0f64..1.0]),
            0u32..24,
            prop::option::of(prop::option::of(prop::sample::select(SEGMENTS))),
        ),
    )
        .prop_map(
            |(
                (business, birth_year, segment, tags, zone, attrs),
                (cents, currency, dpd, product, status),
                events,
                (ptp, hour, segment_override),
            )| {
                let now = utc(2026, 11, 25, hour);
                let today = NaiveDate::from_ymd_opt(2026, 11, 25).expect("date");
                let attributes = match attrs {
                    0 => serde_json::json!({}),
                    1 => serde_json::json!({"plan": "gold", "limit": 1500}),
                    2 => serde_json::json!({"plan": null, "limit": 12.5, "nested": {"x": "y"}}),
                    _ => serde_json::json!("not an object"),
                };
                let debtor = Debtor {
                    id: DebtorId::generate(),
                    external_id: "D-1".into(),
                    kind: if business {
                        DebtorKind::Business
                    } else {
                        DebtorKind::Person
                    },
                    name: "Ana".into(),
                    document_type: None,
                    document_number: None,
                    birth_date: birth_year.and_then(|y| NaiveDate::from_ymd_opt(y, 6, 15)),
                    language: Language::Es,
                    timezone: zone.to_string(),
                    country: Country::Co,
                    segment: segment.map(str::to_string),
                    computed_segment: None,
                    tags: tags.into_iter().map(str::to_string).collect(),
                    attributes,
                    preferences: Preferences::default(),
                    created_at: utc(2026, 1, 10, 3),
                    updated_at: utc(2026, 1, 10, 3),
                };
                let balance = Money::new(Decimal::new(cents, 2), currency);
                let debt = Debt {
                    id: DebtId::generate(),
                    debtor_id: debtor.id,
                    external_id: "F-1".into(),
                    original: Money::new(Decimal::from_str("1500.50").expect("decimal"), currency),
                    balance,
                    issued_on: today - Duration::days(dpd + 30),
                    due_on: today - Duration::days(dpd),
                    product: product.map(str::to_string),
                    status,
                    strategy: None,
                    created_at: now,
                    updated_at: now,
                };
                let other = DebtId::generate();
                let events = events
                    .into_iter()
                    .enumerate()
                    .map(|(i, (kind, which, channel))| Event {
                        id: EventId::generate(),
                        debtor_id: debtor.id,
                        debt_id: match which {
                            0 => None,
                            1 => Some(debt.id),
                            _ => Some(other),
                        },
                        kind,
                        at: now - Duration::days(i as i64 + 1),
                        recorded_at: now - Duration::days(i as i64 + 1),
                        data: if channel {
                            serde_json::json!({"channel": "sms"})
                        } else {
                            serde_json::json!({})
                        },
                    })
                    .collect();
                let score = ptp
                    .map(|p| BTreeMap::from([("ptp".to_string(), p)]))
                    .unwrap_or_default();
                World {
                    debtor,
                    debt,
                    events,
                    score,
                    now,
                    segment_override: segment_override.map(|s| s.map(str::to_string)),
                }
            },
        )
}

const OPERANDS: &[&str] = &[
    "debtor.kind",
    "debtor.age",
    "debtor.segment",
    "debtor.country",
    "debtor.language",
    "debtor.timezone",
    "debtor.days_since_created",
    "debtor.attributes.plan",
    "debtor.attributes.limit",
    "debtor.attributes.nested",
    "debtor.attributes.nested.x",
    "debtor.attributes.missing",
    "debt.id",
    "debt.balance",
    "debt.amount",
    "debt.currency",
    "debt.days_past_due",
    "debt.status",
    "debt.product",
    "score.ptp",
    "score.missing",
    "'person'",
    "'business'",
    "'young'",
    "'CO'",
    "'es'",
    "'COP'",
    "'open'",
    "'loan'",
    "'gold'",
    "'America/Bogota'",
    "30",
    "-5",
    "0",
    "30.0",
    "1500.5",
    "-5.0",
    "0.3",
    "null",
    "true",
    "false",
    "['loan', 'credit_card']",
    "['COP', 30, null]",
    "[]",
];

const STRING_FIELDS: &[&str] = &[
    "debtor.kind",
    "debtor.segment",
    "debtor.country",
    "debtor.language",
    "debtor.timezone",
    "debtor.attributes.plan",
    "debt.currency",
    "debt.status",
    "debt.product",
];

const STRING_LITERALS: &[&str] = &[
    "'person'",
    "'business'",
    "'young'",
    "'senior'",
    "'CO'",
    "'es'",
    "'COP'",
    "'open'",
    "'loan'",
    "'gold'",
    "'America/Bogota'",
    "null",
];

const OPS: &[&str] = &["==", "!=", "<", "<=", ">", ">=", "in"];

const BOOLEANS: &[&str] = &[
    "true",
    "false",
    "has(score.ptp)",
    "has(score.other)",
    "'vip' in debtor.tags",
    "debtor.kind",
    "debtor.age",
    "events.exists(e, e.kind == 'promise_made')",
    "events.exists(e, e.kind == 'promise_broken' || (e.kind == 'promise_made' && e.debt != null && e.debt != debt.id))",
    "events.all(e, e.channel == 'sms')",
    "events.exists(e, e.channel == 'sms' && e.debt == debt.id)",
    "events.exists(e, e.at > now)",
    "size(events) > 1",
    "debt.balance * 2.0 > 1000.0",
    "debtor.age > 30 ? true : false",
];

fn expression() -> impl Strategy<Value = String> {
    let compare = (
        prop::sample::select(OPERANDS),
        prop::sample::select(OPS),
        prop::sample::select(OPERANDS),
    )
        .prop_map(|(a, op, b)| format!("{a} {op} {b}"));
    // Operands of one kind, so that most comparisons have a value rather than an error.
    let typed = prop_oneof![
        (
            prop::sample::select(STRING_FIELDS),
            prop::sample::select(vec!["==", "!=", "<", ">="]),
            prop::sample::select(STRING_LITERALS),
        ),
        (
            prop::sample::select(vec![
                "debtor.age",
                "debtor.days_since_created",
                "debt.days_past_due"
            ]),
            prop::sample::select(OPS),
            prop::sample::select(vec!["30", "-5", "0", "300", "null"]),
        ),
        (
            prop::sample::select(vec![
                "debt.balance",
                "debt.amount",
                "score.ptp",
                "debtor.attributes.limit"
            ]),
            prop::sample::select(OPS),
            prop::sample::select(vec!["30.0", "1500.5", "-5.0", "0.3", "12.5"]),
        ),
        (
            prop::sample::select(STRING_FIELDS),
            Just("in"),
            prop::sample::select(vec![
                "['loan', 'credit_card']",
                "['person', 'CO', 'young']",
                "[]"
            ]),
        ),
    ]
    .prop_map(|(a, op, b)| format!("{a} {op} {b}"));
    let leaf = prop_oneof![
        4 => typed,
        2 => compare,
        1 => prop::sample::select(BOOLEANS).prop_map(str::to_string),
    ];
    leaf.prop_recursive(4, 16, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} && {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} || {b})")),
            inner.clone().prop_map(|a| format!("!({a})")),
            // The shape the direct evaluator reads as a switch (`high_balance`): one text field
            // against literals (sometimes the same one twice), each with its own condition.
            (
                prop::sample::select(STRING_FIELDS),
                prop::collection::vec((prop::sample::select(STRING_LITERALS), inner), 2..5),
            )
                .prop_map(|(field, arms)| {
                    arms.iter()
                        .map(|(lit, x)| format!("({field} == {lit} && {x})"))
                        .collect::<Vec<_>>()
                        .join(" || ")
                }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn direct_evaluation_agrees_with_cel(w in world(), src in expression()) {
        // Strategies refuse longer expressions before compiling them; the generator's rare
        // longest ones are outside what the evaluators are ever given.
        prop_assume!(src.chars().count() <= MAX_CEL_CHARS);
        let cond = Condition::compile("test", &src)
            .unwrap_or_else(|e| panic!("{src} does not compile: {e}"));
        let cel = w.context().evaluate_with_cel(&cond);
        if let Some(b) = w.context().evaluate_direct(&cond) {
            prop_assert_eq!(Ok(b), cel.clone(), "{} on {:?}", src, w);
        }
        prop_assert_eq!(w.context().evaluate(&cond), cel, "{} on {:?}", src, w);
    }
}

/// The property above is not empty: the direct evaluator decides most generated cases, with
/// both answers, so it is checked against `cel` where it matters.
#[test]
fn the_direct_evaluator_decides_most_generated_cases() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        proptest::test_runner::TestRng::deterministic_rng(
            proptest::test_runner::RngAlgorithm::ChaCha,
        ),
    );
    let (mut decided, mut yes, total) = (0, 0, 2000);
    for _ in 0..total {
        let w = world().new_tree(&mut runner).expect("world").current();
        let src = expression()
            .new_tree(&mut runner)
            .expect("expression")
            .current();
        let cond = Condition::compile("t", &src).expect("compiles");
        if let Some(b) = w.context().evaluate_direct(&cond) {
            decided += 1;
            yes += usize::from(b);
        }
    }
    assert!(decided * 2 > total, "decided {decided} of {total}");
    assert!(
        yes * 5 > decided && yes * 5 < decided * 4,
        "{yes} true of {decided}"
    );
}

/// The shipped segments and every condition of the example strategies are direct.
#[test]
fn shipped_conditions_are_direct() {
    let mut checked = 0;
    for s in Segments::builtin().list() {
        assert!(
            EvalContext::is_direct(&s.condition),
            "segment {}: `{}` goes to cel",
            s.id,
            s.condition.source
        );
        checked += 1;
    }
    for (name, yaml) in [
        (
            "utility",
            include_str!("../../../../examples/strategies/utility.yaml"),
        ),
        (
            "lender",
            include_str!("../../../../examples/strategies/lender.yaml"),
        ),
        (
            "b2b",
            include_str!("../../../../examples/strategies/b2b.yaml"),
        ),
        (
            "consumer",
            include_str!("../../../../examples/strategies/consumer.yaml"),
        ),
    ] {
        let compiled = parse_strategy(yaml, recaudo_domain::strategy::TemplateCatalogue::open())
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        for c in &compiled.conditions {
            assert!(
                EvalContext::is_direct(c),
                "{name} {}: `{}` goes to cel",
                c.path,
                c.source
            );
            checked += 1;
        }
    }
    assert!(checked > 20, "only {checked} conditions checked");
}

/// What the direct evaluator leaves to `cel` still evaluates, through `cel`.
#[test]
fn conditions_beyond_the_direct_evaluator_still_evaluate() {
    let w = World {
        debtor: Debtor {
            id: DebtorId::generate(),
            external_id: "D-1".into(),
            kind: DebtorKind::Person,
            name: "Ana".into(),
            document_type: None,
            document_number: None,
            birth_date: None,
            language: Language::Es,
            timezone: "America/Bogota".into(),
            country: Country::Co,
            segment: None,
            computed_segment: None,
            tags: vec![],
            attributes: serde_json::json!({}),
            preferences: Preferences::default(),
            created_at: utc(2026, 1, 10, 3),
            updated_at: utc(2026, 1, 10, 3),
        },
        debt: Debt {
            id: DebtId::generate(),
            debtor_id: DebtorId::generate(),
            external_id: "F-1".into(),
            original: Money::new(Decimal::new(100_000, 2), Currency::Cop),
            balance: Money::new(Decimal::new(60_000, 2), Currency::Cop),
            issued_on: NaiveDate::from_ymd_opt(2026, 10, 1).expect("date"),
            due_on: NaiveDate::from_ymd_opt(2026, 11, 1).expect("date"),
            product: None,
            status: DebtStatus::Open,
            strategy: None,
            created_at: utc(2026, 10, 1, 3),
            updated_at: utc(2026, 10, 1, 3),
        },
        events: vec![],
        score: BTreeMap::new(),
        now: utc(2026, 11, 25, 15),
        segment_override: None,
    };
    for (src, want) in [
        ("debt.balance * 2.0 > 1000.0", true),
        ("size(events) == 0", true),
        ("debt.balance > 500", true),
        ("debtor.age == null", true),
        ("debt.product == null && debt.days_past_due > 20", true),
    ] {
        let c = Condition::compile("t", src).expect("compiles");
        assert_eq!(w.context().evaluate(&c), Ok(want), "{src}");
    }
    let c = Condition::compile("t", "debt.balance * 2.0 > 1000.0").expect("compiles");
    assert!(!EvalContext::is_direct(&c));
}

/// Which event kinds a condition can depend on (the planner reads only those).
#[test]
fn event_kinds_a_condition_depends_on() {
    let set = |k: &[&str]| Some(k.iter().map(|s| s.to_string()).collect());
    for (src, want) in [
        ("debtor.kind == 'business'", set(&[])),
        (
            "events.exists(e, e.kind == 'promise_made')",
            set(&["promise_made"]),
        ),
        ("!events.exists(e, e.kind == 'replied')", set(&["replied"])),
        (
            "events.exists(e, e.kind == 'promise_broken' || (e.kind == 'promise_made' && e.debt != null && e.debt != debt.id))",
            set(&["promise_broken", "promise_made"]),
        ),
        (
            "events.exists(e, e.kind in ['opened', 'clicked'] && e.channel == 'sms')",
            set(&["clicked", "opened"]),
        ),
        (
            "events.exists(e, e.kind == 'opened' && e.kind == 'clicked')",
            set(&[]),
        ),
        (
            "debt.balance > 5.0 && events.exists(e, 'replied' == e.kind)",
            set(&["replied"]),
        ),
        ("events.all(e, e.kind == 'opened')", None),
        ("events.exists(e, e.debt == debt.id)", None),
        ("events.exists(e, e.kind != 'opened')", None),
        (
            "events.exists(e, e.kind == 'opened' || e.debt == debt.id)",
            None,
        ),
        (
            "events.exists(e, (debt.currency == 'COP' && e.kind == 'opened') || (debt.currency == 'USD' && e.kind == 'clicked'))",
            set(&["clicked", "opened"]),
        ),
        (
            "events.exists(e, (debt.currency == 'COP' && e.kind == 'opened') || (debt.currency == 'USD' && e.debt == debt.id))",
            None,
        ),
        ("size(events) > 0", None),
        ("debt.balance * 2.0 > 10.0", set(&[])),
    ] {
        let c = Condition::compile("t", src).expect("compiles");
        assert_eq!(c.event_kinds(), want, "{src}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Leaving out the events of kinds a condition does not depend on leaves its value as it
    /// was.
    #[test]
    fn events_of_other_kinds_do_not_change_a_condition(
        mut w in world(),
        src in prop::sample::select(BOOLEANS),
    ) {
        let cond = Condition::compile("t", src).expect("compiles");
        if let Some(kinds) = cond.event_kinds() {
            let all = w.context().evaluate(&cond);
            w.events.retain(|e| kinds.contains(e.kind.as_str()));
            prop_assert_eq!(w.context().evaluate(&cond), all, "{}", src);
        }
    }
}

/// Whether a condition can read the debtor's attributes (without them, the planner leaves them
/// unread).
#[test]
fn conditions_that_read_attributes() {
    for (src, want) in [
        ("debtor.kind == 'business'", false),
        ("debtor.attributes.plan == 'gold'", true),
        (
            "has(debtor.attributes.plan) && debtor.attributes.plan == 'gold'",
            true,
        ),
        ("debt.balance > 5.0 || debtor.attributes.limit > 3", true),
        ("events.exists(e, e.kind == 'opened')", false),
        // Evaluated by CEL itself, which sees the whole debtor.
        ("size(debtor.tags.filter(t, t == 'vip')) > 0", true),
        ("debt.balance * 2.0 > 10.0", false),
    ] {
        let c = Condition::compile("t", src).expect("compiles");
        assert_eq!(c.reads_attributes(), want, "{src}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Leaving out the attributes of a debtor leaves the value of a condition that does not
    /// read them as it was.
    #[test]
    fn attributes_not_read_do_not_change_a_condition(
        mut w in world(),
        src in prop::sample::select(BOOLEANS),
    ) {
        let cond = Condition::compile("t", src).expect("compiles");
        if !cond.reads_attributes() {
            let all = w.context().evaluate(&cond);
            w.debtor.attributes = serde_json::json!({});
            prop_assert_eq!(w.context().evaluate(&cond), all, "{}", src);
        }
    }
}
