//! The values CEL conditions read, built from domain values, and the evaluation of a compiled
//! [`Condition`] against them.
//!
//! Every number reaches CEL as a float (`f64`) or an integer, never as a `Decimal`: `rust_decimal`
//! would reach CEL as a string and `debt.balance > 500.0` would fail (GUIDE §11). The floats are for
//! conditions only; money arithmetic stays in [`Money`](crate::Money).
//!
//! The fields are listed in `docs/strategies.md` ("Condition variables"). Build one [`EvalContext`]
//! per debtor (and debt) per day and evaluate every condition against it: building it is the
//! costly part, an evaluation is a walk of the compiled tree.
//!
//! # Stack
//!
//! `cel` evaluates by recursion over the expression tree. Every program reaching here compiled
//! through [`check_cel`](super::validate::check_cel), which refuses sources longer than
//! [`MAX_CEL_CHARS`](super::MAX_CEL_CHARS) and trees deeper than
//! [`MAX_CEL_DEPTH`](super::MAX_CEL_DEPTH) (32). The parser's own limit (96 levels of
//! parentheses) was not enough: `1+1+…+1` with 63 terms compiled and overflowed a 2 MiB stack
//! when evaluated in a debug build (each level of the tree costs over 32 KiB of stack there).
//! With the depth limit, the deepest tree accepted, of every nesting kind, evaluates on a bare
//! 2 MiB thread in a debug build (the test `deepest_accepted_expression_evaluates_on_a_2_mib_thread`
//! below; 48 levels still did, 64 did not). So evaluation is safe on any thread with 2 MiB of
//! stack or more — tokio's workers, rayon's and `std::thread::spawn`'s by default, the main
//! thread (8 MiB) — provided the caller has not used more than about a third of it already. It
//! needs no thread of its own, unlike compilation (64 MiB, see `compile_cel`).

use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::sync::{Arc, LazyLock};

use cel::Value;
use cel::common::types::{
    CelBool, CelDouble, CelInt, CelList, CelMap, CelMapKey, CelNull, CelString, CelTimestamp,
};
use cel::common::value::Val;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;
use rust_decimal::prelude::ToPrimitive;

use super::Condition;
use super::fast::Scope;
use super::validate::check_cel;
use crate::Money;
use crate::event::Event;
use crate::portfolio::{Debt, Debtor};

/// How deep JSON (`debtor.attributes`, `events[].data`) is copied into CEL; deeper values become
/// `null`, so that no stored document can make the conversion recurse without bound.
pub const MAX_JSON_DEPTH: usize = 32;

/// CEL's standard environment, built once: `cel::Context::default()` builds a new one each time,
/// which was most of the cost of a context (figures in docs/benchmarks.md, "Conditions and
/// segments").
static STDLIB: LazyLock<Arc<cel::Env>> = LazyLock::new(|| Arc::new(cel::Env::stdlib()));

/// What a condition is evaluated on: one debtor, one of their debts, the debtor's scores and
/// timeline, and the instant of evaluation.
#[derive(Debug, Clone, Copy)]
pub struct EvalInput<'a> {
    pub debtor: &'a Debtor,
    pub debt: &'a Debt,
    /// Named model scores (`ptp`: probability of a promise to pay), empty when none.
    pub score: &'a BTreeMap<String, f64>,
    /// The debtor's timeline (every debt of theirs), oldest first.
    pub events: &'a [Event],
    pub now: DateTime<Utc>,
}

/// What conditions are evaluated on, for one debtor and debt: [`EvalInput`] with the debtor's
/// local date. Most conditions are decided by the direct evaluator (`fast.rs`) straight from the
/// domain values; `cel`'s variables are built the first time a condition needs them, and then
/// kept for the other conditions on the same context.
pub struct EvalContext<'a> {
    input: EvalInput<'a>,
    /// The debtor's segment as assigned by the planner, when it differs from the stored one
    /// ([`EvalContext::set_segment`]).
    segment: Option<Option<String>>,
    today: NaiveDate,
    tz: Tz,
    cel: OnceCell<cel::Context<'static, 'static>>,
    /// Fields the direct evaluator derives (age, balance as a float, days past due), worked out
    /// once per context: the segments alone read the age up to nine times.
    derived: super::fast::Derived,
}

impl fmt::Debug for EvalContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut fields = f.debug_struct("EvalContext");
        for name in super::CEL_ROOTS {
            fields.field(name, &self.variable(name));
        }
        fields.finish()
    }
}

impl<'a> EvalContext<'a> {
    /// A context for `input`. Local dates are taken in the debtor's time zone, or their
    /// country's default zone when the stored name is not a known zone.
    pub fn new(input: &EvalInput<'a>) -> EvalContext<'a> {
        EvalContext::in_zone(input, debtor_zone(input.debtor))
    }

    /// [`EvalContext::new`] with the debtor's zone already known (as [`debtor_zone`] gives it).
    pub fn in_zone(input: &EvalInput<'a>, tz: Tz) -> EvalContext<'a> {
        EvalContext {
            input: *input,
            segment: None,
            today: local_date(input.now, tz),
            tz,
            cel: OnceCell::new(),
            derived: Default::default(),
        }
    }

    /// Sets `debtor.segment` (the planner assigns the segment on a context it then reuses for
    /// the debtor's first debt, rather than building a second one).
    pub fn set_segment(&mut self, segment: Option<String>) {
        if let Some(cel) = self.cel.get_mut() {
            let debtor = debtor_value(self.input.debtor, segment.as_deref(), self.today, self.tz);
            cel.add_variable_as_val("debtor", debtor);
        }
        self.segment = Some(segment);
    }

    fn segment(&self) -> Option<&str> {
        match &self.segment {
            Some(segment) => segment.as_deref(),
            None => self.input.debtor.effective_segment(),
        }
    }

    /// `cel`'s variables `debtor`, `debt`, `score`, `events` and `now`, built on first use.
    fn cel(&self) -> &cel::Context<'static, 'static> {
        self.cel.get_or_init(|| {
            let input = &self.input;
            let mut context = cel::Context::with_env(Arc::clone(&STDLIB));
            context.add_variable_as_val(
                "debtor",
                debtor_value(input.debtor, self.segment(), self.today, self.tz),
            );
            context.add_variable_as_val("debt", debt_value(input.debt, self.today));
            context.add_variable_as_val("score", score_value(input.score));
            context.add_variable_as_val(
                "events",
                list(input.events.iter().map(event_value).collect()),
            );
            context.add_variable_as_val(
                "now",
                Box::new(CelTimestamp::from(input.now.fixed_offset())),
            );
            context
        })
    }

    /// The value of one variable (`debtor`, `debt`, `score`, `events`, `now`) as `cel` sees it,
    /// converted to a [`Value`] (for tests and `Debug`).
    pub fn variable(&self, name: &str) -> Option<Value> {
        let value = self.cel().get_variable(name)?;
        Value::try_from(value.as_ref()).ok()
    }

    /// Evaluates `condition`: `Ok(true)`/`Ok(false)`, or an error naming the condition's path when
    /// it fails at run time (no such key, no such overload…) or gives something other than a bool.
    pub fn evaluate(&self, condition: &Condition) -> Result<bool, EvalError> {
        match self.evaluate_direct(condition) {
            Some(holds) => Ok(holds),
            None => self.evaluate_with_cel(condition),
        }
    }

    /// The direct evaluator's answer alone: `None` when it leaves `condition` to `cel`, here or
    /// always (for tests and benchmarks).
    pub fn evaluate_direct(&self, condition: &Condition) -> Option<bool> {
        let scope = Scope {
            input: &self.input,
            segment: self.segment(),
            today: self.today,
            tz: self.tz,
            derived: &self.derived,
        };
        condition.fast.as_ref()?.evaluate(&scope).ok()
    }

    /// Evaluates `condition` with `cel` alone, never the direct evaluator: what
    /// [`EvalContext::evaluate`] must always agree with (`tests/it/fast_conditions.rs`).
    pub fn evaluate_with_cel(&self, condition: &Condition) -> Result<bool, EvalError> {
        match condition.program.execute(self.cel()) {
            Ok(Value::Bool(b)) => Ok(b),
            Ok(other) => Err(EvalError {
                path: condition.path.clone(),
                message: format!(
                    "the condition gave {} where true or false was expected",
                    describe(&other)
                ),
            }),
            Err(error) => Err(EvalError {
                path: condition.path.clone(),
                message: format!("the condition failed: {error}"),
            }),
        }
    }

    /// Whether the direct evaluator covers `condition` (it may still hand one evaluation to
    /// `cel`, e.g. when a value is `null`).
    pub fn is_direct(condition: &Condition) -> bool {
        condition.fast.is_some()
    }
}

impl Condition {
    /// Compiles a condition outside a strategy file (the same checks as in one: length, syntax,
    /// variables among `debtor`, `debt`, `score`, `events`, `now`). `path` names it in errors.
    pub fn compile(path: impl Into<String>, source: &str) -> Result<Condition, String> {
        let program = check_cel(source, super::CEL_ROOTS)?;
        Ok(Condition::from_program(path, source, program))
    }

    /// A condition from a program [`check_cel`] accepted.
    pub(crate) fn from_program(
        path: impl Into<String>,
        source: &str,
        program: cel::Program,
    ) -> Condition {
        Condition {
            path: path.into(),
            source: source.to_string(),
            fast: super::fast::compile(program.expression()),
            program,
        }
    }

    /// Whether the condition may read `debtor.attributes` (a condition evaluated by CEL itself
    /// may whenever it names `debtor`).
    pub fn reads_attributes(&self) -> bool {
        match &self.fast {
            Some(node) => node.reads_attributes(),
            None => self.program.references().has_variable("debtor"),
        }
    }

    /// The event kinds the condition can depend on: `Some(empty)` when it does not read
    /// `events`, `None` when it may read any kind. Events of other kinds can be left out of its
    /// input without changing its value.
    pub fn event_kinds(&self) -> Option<BTreeSet<String>> {
        let mut kinds = BTreeSet::new();
        match &self.fast {
            Some(node) => node.event_kinds(&mut kinds).then_some(kinds),
            None => (!self.program.references().has_variable("events")).then_some(kinds),
        }
    }

    /// Evaluates the condition on `ctx` (see [`EvalContext::evaluate`]).
    pub fn evaluate(&self, ctx: &EvalContext<'_>) -> Result<bool, EvalError> {
        ctx.evaluate(self)
    }
}

/// Evaluation of compiled conditions.
pub struct Conditions;

impl Conditions {
    /// Builds the context of `input` and evaluates `condition` on it. To evaluate several
    /// conditions on the same input, build one [`EvalContext`] and use [`EvalContext::evaluate`].
    pub fn evaluate(condition: &Condition, input: &EvalInput<'_>) -> Result<bool, EvalError> {
        EvalContext::new(input).evaluate(condition)
    }
}

/// A condition that could not be decided, with its path (`steps[4].if`, `segments[2].if`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct EvalError {
    pub path: String,
    pub message: String,
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::String(text) => format!("the string {text:?}"),
        Value::Int(int) => format!("the number {int}"),
        Value::UInt(uint) => format!("the number {uint}"),
        Value::Float(float) => format!("the number {float}"),
        other => format!("a value of type {}", other.type_of()),
    }
}

/// The debtor's zone: their own, or their country's when the name is unknown.
pub fn debtor_zone(debtor: &Debtor) -> Tz {
    // A tenant's debtors mostly share a zone: the last name looked up on this thread is
    // remembered, as a name compare costs less than `Tz`'s lookup.
    thread_local! {
        static LAST: std::cell::RefCell<Option<(Box<str>, Option<Tz>)>> =
            const { std::cell::RefCell::new(None) };
    }
    let name = debtor.timezone.trim();
    let zone = LAST.with_borrow_mut(|last| match last {
        Some((cached_name, zone)) if cached_name.as_ref() == name => *zone,
        _ => {
            let zone = name.parse::<Tz>().ok();
            *last = Some((name.into(), zone));
            zone
        }
    });
    zone.unwrap_or_else(|| debtor.country.default_timezone())
}

/// The calendar date of `now` in `tz`.
pub fn local_date(now: DateTime<Utc>, tz: Tz) -> NaiveDate {
    now.with_timezone(&tz).date_naive()
}

/// Age in whole years on `today`: a birthday counts from its day (29 February from 1 March in
/// other years). `None` for a birth date after `today`.
pub fn age_years(birth: NaiveDate, today: NaiveDate) -> Option<i64> {
    if birth > today {
        return None;
    }
    let mut years = i64::from(today.year()) - i64::from(birth.year());
    if (today.month(), today.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    Some(years)
}

/// Days from `due` to `today`: 0 on the due date, negative before it.
pub fn days_past_due(due: NaiveDate, today: NaiveDate) -> i64 {
    today.signed_duration_since(due).num_days()
}

/// An amount in major units as a float, for conditions only. NaN (false in every comparison) in
/// the impossible case of a decimal `f64` cannot hold.
pub fn money_f64(money: &Money) -> f64 {
    money.amount.to_f64().unwrap_or(f64::NAN)
}

// The values are built straight as the evaluator's own types: `cel`'s conversion from its
// `Value` (`add_variable_from_value`) clones every map and list before converting it element by
// element, and building a `Value` first doubled the allocations (`benches/conditions.rs`).

fn map(entries: Vec<(&'static str, Box<dyn Val>)>) -> Box<dyn Val> {
    let entries_map: HashMap<CelMapKey<'static>, Box<dyn Val>> = entries
        .into_iter()
        .map(|(k, v)| (CelMapKey::from(k), v))
        .collect();
    Box::new(CelMap::from(entries_map))
}

fn list(items: Vec<Box<dyn Val>>) -> Box<dyn Val> {
    Box::new(CelList::from(items))
}

fn string(text: &str) -> Box<dyn Val> {
    Box::new(CelString::from(text.to_string()))
}

fn null() -> Box<dyn Val> {
    Box::new(CelNull)
}

fn int(number: i64) -> Box<dyn Val> {
    Box::new(CelInt::from(number))
}

fn float(number: f64) -> Box<dyn Val> {
    Box::new(CelDouble::from(number))
}

fn debtor_value(debtor: &Debtor, segment: Option<&str>, today: NaiveDate, tz: Tz) -> Box<dyn Val> {
    let created = local_date(debtor.created_at, tz);
    let attributes = match &debtor.attributes {
        serde_json::Value::Object(_) => json_value(&debtor.attributes, 0),
        _ => map(Vec::new()),
    };
    map(vec![
        ("kind", string(debtor.kind.as_str())),
        (
            "age",
            debtor
                .birth_date
                .and_then(|b| age_years(b, today))
                .map_or_else(null, int),
        ),
        ("segment", segment.map_or_else(null, string)),
        ("country", string(debtor.country.code())),
        ("language", string(debtor.language.as_str())),
        ("timezone", string(tz.name())),
        (
            "tags",
            list(debtor.tags.iter().map(|t| string(t)).collect()),
        ),
        ("attributes", attributes),
        (
            "days_since_created",
            int(today.signed_duration_since(created).num_days()),
        ),
    ])
}

fn debt_value(debt: &Debt, today: NaiveDate) -> Box<dyn Val> {
    map(vec![
        ("id", string(&debt.id.to_string())),
        ("balance", float(money_f64(&debt.balance))),
        ("amount", float(money_f64(&debt.original))),
        ("currency", string(debt.balance.currency.code())),
        ("days_past_due", int(days_past_due(debt.due_on, today))),
        ("status", string(debt.status.as_str())),
        ("product", debt.product.as_deref().map_or_else(null, string)),
    ])
}

fn score_value(score: &BTreeMap<String, f64>) -> Box<dyn Val> {
    let entries: HashMap<CelMapKey<'static>, Box<dyn Val>> = score
        .iter()
        .map(|(k, v)| (CelMapKey::from(k.clone()), float(*v)))
        .collect();
    Box::new(CelMap::from(entries))
}

fn event_value(event: &Event) -> Box<dyn Val> {
    let mut entries = vec![
        ("kind", string(event.kind.as_str())),
        (
            "at",
            Box::new(CelTimestamp::from(event.at.fixed_offset())) as Box<dyn Val>,
        ),
        (
            "debt",
            event
                .debt_id
                .map_or_else(null, |id| string(&id.to_string())),
        ),
        ("data", json_value(&event.data, 0)),
    ];
    if let Some(channel) = event
        .data
        .get("channel")
        .and_then(serde_json::Value::as_str)
    {
        entries.push(("channel", string(channel)));
    }
    map(entries)
}

/// JSON as CEL: numbers as floats, objects as maps, at most [`MAX_JSON_DEPTH`] levels.
fn json_value(value: &serde_json::Value, depth: usize) -> Box<dyn Val> {
    if depth >= MAX_JSON_DEPTH {
        return null();
    }
    match value {
        serde_json::Value::Null => null(),
        serde_json::Value::Bool(boolean) => Box::new(CelBool::from(*boolean)),
        serde_json::Value::Number(number) => number.as_f64().map_or_else(null, float),
        serde_json::Value::String(text) => string(text),
        serde_json::Value::Array(items) => {
            list(items.iter().map(|x| json_value(x, depth + 1)).collect())
        }
        serde_json::Value::Object(object) => {
            let entries: HashMap<CelMapKey<'static>, Box<dyn Val>> = object
                .iter()
                .map(|(k, x)| (CelMapKey::from(k.clone()), json_value(x, depth + 1)))
                .collect();
            Box::new(CelMap::from(entries))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_counts_from_the_birthday() {
        let b = NaiveDate::from_ymd_opt(1990, 6, 15).expect("date");
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).expect("date");
        assert_eq!(age_years(b, d(2026, 6, 14)), Some(35));
        assert_eq!(age_years(b, d(2026, 6, 15)), Some(36));
        assert_eq!(age_years(b, d(1990, 6, 15)), Some(0));
        assert_eq!(age_years(b, d(1990, 6, 14)), None);
        let leap = d(2000, 2, 29);
        assert_eq!(age_years(leap, d(2027, 2, 28)), Some(26));
        assert_eq!(age_years(leap, d(2027, 3, 1)), Some(27));
        assert_eq!(age_years(leap, d(2028, 2, 29)), Some(28));
    }

    #[test]
    fn days_past_due_is_negative_before_the_due_date() {
        let due = NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
        let d = |m, dd| NaiveDate::from_ymd_opt(2026, m, dd).expect("date");
        assert_eq!(days_past_due(due, d(11, 26)), -5);
        assert_eq!(days_past_due(due, d(12, 1)), 0);
        assert_eq!(days_past_due(due, d(12, 31)), 30);
    }

    #[test]
    fn json_deeper_than_the_limit_becomes_null() {
        let mut v = serde_json::json!(1);
        for _ in 0..(MAX_JSON_DEPTH + 10) {
            v = serde_json::json!({ "a": v });
        }
        let mut cur = Value::try_from(json_value(&v, 0).as_ref()).expect("converts");
        let mut depth = 0;
        while let Value::Map(m) = &cur {
            let next = m
                .map
                .get(&cel::objects::Key::from("a"))
                .cloned()
                .unwrap_or(Value::Null);
            cur = next;
            depth += 1;
        }
        assert_eq!(depth, MAX_JSON_DEPTH);
        assert_eq!(cur, Value::Null);
    }

    /// Expressions nested `n` deep in each way CEL nests, to find the deepest each compiles to.
    fn nested(kind: usize, n: usize) -> Option<String> {
        let r = |s: &str| s.repeat(n);
        Some(match kind {
            0 => format!("{}true{}", r("("), r(")")),
            1 => format!("{}true", r("!")),
            2 => format!("{}1 == 1", r("-")),
            3 => format!("1{}", r("+1")),
            4 => format!("true{}", r("&&true")),
            5 => format!("{}true", r("false?false:")),
            6 => format!("{}{}", r("["), r("]")),
            7 => format!("{}1{}", r("{1:"), r("}")),
            8 => format!("debtor{}", r(".a")),
            9 => format!("{}'a'{}", r("size("), r(")")),
            10 => format!("[1]{}", r("[0]")),
            11 => format!("{}true{}", r("[1].all(x,"), r(")")),
            12 => format!("1{}", r("*1")),
            13 => format!("true{}", r("||false")),
            14 => format!("1{}", r("<2==true")),
            _ => return None,
        })
    }

    /// The stack claim of the module docs: the deepest expression `check_cel` accepts, of every
    /// nesting kind, evaluates on a 2 MiB thread (the size of tokio's workers) in a debug build.
    /// An overflow would abort the test binary, failing the run.
    #[test]
    fn deepest_accepted_expression_evaluates_on_a_2_mib_thread() {
        let roots = super::super::CEL_ROOTS;
        let mut deepest = Vec::new();
        for kind in 0.. {
            let Some(_) = nested(kind, 1) else { break };
            // The largest n that compiles (compiling is monotonic in n for these shapes).
            let (mut lo, mut hi) = (0usize, super::super::MAX_CEL_CHARS);
            while lo < hi {
                let mid = (lo + hi).div_ceil(2);
                let src = nested(kind, mid).unwrap_or_default();
                if check_cel(&src, roots).is_ok() {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            assert!(lo > 0, "kind {kind} compiles at no depth");
            let src = nested(kind, lo).unwrap_or_default();
            deepest.push((kind, lo, src));
        }
        // Every kind reached the depth limit (or nests without deepening the tree).
        for (kind, n, _) in &deepest {
            assert!(
                *n >= super::super::MAX_CEL_DEPTH / 4,
                "kind {kind}: only {n}"
            );
        }
        let handle = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || {
                let debtor = crate::portfolio::Debtor {
                    id: crate::DebtorId::generate(),
                    external_id: "d".into(),
                    kind: crate::portfolio::DebtorKind::Person,
                    name: "n".into(),
                    document_type: None,
                    document_number: None,
                    birth_date: None,
                    language: crate::portfolio::Language::Es,
                    timezone: "America/Bogota".into(),
                    country: crate::Country::Co,
                    segment: None,
                    computed_segment: None,
                    tags: vec![],
                    attributes: serde_json::json!({}),
                    preferences: Default::default(),
                    created_at: DateTime::UNIX_EPOCH,
                    updated_at: DateTime::UNIX_EPOCH,
                };
                let money = Money::zero(crate::Currency::Cop);
                let debt = Debt {
                    id: crate::DebtId::generate(),
                    debtor_id: debtor.id,
                    external_id: "x".into(),
                    original: money,
                    balance: money,
                    issued_on: NaiveDate::MIN,
                    due_on: NaiveDate::MIN,
                    product: None,
                    status: crate::portfolio::DebtStatus::Open,
                    strategy: None,
                    created_at: DateTime::UNIX_EPOCH,
                    updated_at: DateTime::UNIX_EPOCH,
                };
                let score = BTreeMap::new();
                let ctx = EvalContext::new(&EvalInput {
                    debtor: &debtor,
                    debt: &debt,
                    score: &score,
                    events: &[],
                    now: DateTime::UNIX_EPOCH,
                });
                let mut out = Vec::new();
                for (kind, n, src) in deepest {
                    let c = Condition::compile("deep", &src).map_err(|e| format!("{kind}: {e}"))?;
                    out.push((kind, n, ctx.evaluate(&c).is_ok()));
                }
                Ok::<_, String>(out)
            })
            .expect("spawn");
        let out = handle.join().expect("no panic").expect("compiles");
        eprintln!("kind, deepest accepted, evaluated to a bool: {out:?}");
    }
}
