//! A direct evaluator for the common shape of conditions, beside `cel`'s.
//!
//! Most conditions compare a field with a literal and join comparisons with `&&`, `||` and `!`:
//! `debtor.kind == 'business'`, `debt.balance > 300.0 && debtor.segment != 'senior'`,
//! `events.exists(e, e.kind == 'promise_made')`. Building `cel`'s values for a debtor (maps of
//! boxed values, one string per field) cost more than the rest of planning that debtor together
//! (`benches/planner.rs`). This module compiles such an expression from `cel`'s own syntax tree
//! into a small tree that reads the fields straight from the domain values, and allocates nothing
//! when it runs.
//!
//! It is an accelerator, never a second meaning: it answers only when it is sure to give what
//! `cel` gives. A node it does not know (arithmetic, `size`, timestamps, `map`, a ternary…) makes
//! the whole expression go to `cel`; at run time, anything unusual (a type mismatch, a missing
//! key, `null` where a number is compared, a number compared with a number of the other kind, an
//! error anywhere) makes that one evaluation go to `cel`, which then gives its own value or its
//! own error message. The property test `tests/it/fast_conditions.rs` checks both paths agree on
//! random debtors, debts, timelines and expressions.

use std::cell::OnceCell;
use std::cmp::Ordering;
use std::collections::BTreeSet;

use cel::common::ast::{Expr, IdedExpr, LiteralValue, operators};
use chrono::NaiveDate;
use chrono_tz::Tz;

use super::context::{EvalInput, age_years, days_past_due, local_date, money_f64};
use crate::event::Event;
use crate::ids::DebtId;

/// A compiled expression.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    Lit(Lit),
    List(Vec<Lit>),
    Field(Field),
    /// A field of the comprehension's variable (one event).
    Event(EventField),
    /// `score.KEY`, or `has(score.KEY)`.
    Score(Box<str>),
    HasScore(Box<str>),
    /// `debtor.attributes.a.b…`
    Attribute(Vec<Box<str>>),
    Not(Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Compare(Op, Box<Node>, Box<Node>),
    /// `Compare` of a field with a literal, the commonest shape, evaluated without recursion.
    FieldLit(Field, Op, Lit),
    EventLit(EventField, Op, Lit),
    In(Box<Node>, Box<Node>),
    /// `events.exists(e, …)`, `events.all(e, …)`.
    Exists(Box<Node>),
    All(Box<Node>),
    /// `(F == 'a' && x) || (F == 'b' && y) || …` with one text field `F` and distinct literals
    /// (`high_balance`'s threshold per currency): `F` is read once and only the matching arm's
    /// condition is evaluated; no match is false.
    Switch(Field, Vec<(Box<str>, Node)>),
}

#[derive(Debug, Clone)]
pub(crate) enum Lit {
    Null,
    Bool(bool),
    Int(i64),
    Double(f64),
    Str(Box<str>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    DebtorKind,
    DebtorAge,
    DebtorSegment,
    DebtorCountry,
    DebtorLanguage,
    DebtorTimezone,
    DebtorTags,
    DebtorDaysSinceCreated,
    DebtId,
    DebtBalance,
    DebtAmount,
    DebtCurrency,
    DebtDaysPastDue,
    DebtStatus,
    DebtProduct,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventField {
    Kind,
    Debt,
    Channel,
}

impl Node {
    /// Whether the node reads `debtor.attributes`.
    pub(crate) fn reads_attributes(&self) -> bool {
        match self {
            Node::Attribute(_) => true,
            Node::Not(a) | Node::Exists(a) | Node::All(a) => a.reads_attributes(),
            Node::Switch(_, arms) => arms.iter().any(|(_, x)| x.reads_attributes()),
            Node::And(a, b) | Node::Or(a, b) | Node::Compare(_, a, b) | Node::In(a, b) => {
                a.reads_attributes() || b.reads_attributes()
            }
            Node::Lit(_)
            | Node::List(_)
            | Node::Field(_)
            | Node::FieldLit(..)
            | Node::EventLit(..)
            | Node::Event(_)
            | Node::Score(_)
            | Node::HasScore(_) => false,
        }
    }

    /// The event kinds this expression can depend on, or `None` for any: an `exists` whose
    /// condition holds only for named kinds (`e.kind == 'promise_made' && …`, `e.kind in [...]`,
    /// or several such joined by `||`) needs only events of those kinds, since the others make
    /// it false; any other use of `events` (`all`, `exists` over any kind) needs them all.
    pub(crate) fn event_kinds(&self, acc: &mut BTreeSet<String>) -> bool {
        match self {
            Node::Exists(p) => match kinds_of(p) {
                Some(kinds) => {
                    acc.extend(kinds);
                    true
                }
                None => false,
            },
            Node::All(_) => false,
            Node::Not(a) => a.event_kinds(acc),
            Node::Switch(_, arms) => arms.iter().all(|(_, x)| x.event_kinds(acc)),
            Node::And(a, b) | Node::Or(a, b) | Node::Compare(_, a, b) | Node::In(a, b) => {
                a.event_kinds(acc) && b.event_kinds(acc)
            }
            Node::Lit(_)
            | Node::List(_)
            | Node::Field(_)
            | Node::FieldLit(..)
            | Node::EventLit(..)
            | Node::Event(_)
            | Node::Score(_)
            | Node::HasScore(_)
            | Node::Attribute(_) => true,
        }
    }
}

/// The kinds an event must have for `pred` to hold, when `pred` says (`None`: any kind).
fn kinds_of(pred: &Node) -> Option<BTreeSet<String>> {
    let kind_literal = |a: &Node, b: &Node| match (a, b) {
        (Node::Event(EventField::Kind), Node::Lit(Lit::Str(k)))
        | (Node::Lit(Lit::Str(k)), Node::Event(EventField::Kind)) => {
            Some(BTreeSet::from([k.to_string()]))
        }
        _ => None,
    };
    match pred {
        Node::Compare(Op::Eq, a, b) => kind_literal(a, b),
        Node::EventLit(EventField::Kind, Op::Eq, Lit::Str(k)) => {
            Some(BTreeSet::from([k.to_string()]))
        }
        Node::In(a, b) => match (a.as_ref(), b.as_ref()) {
            (Node::Event(EventField::Kind), Node::List(items)) => Some(
                items
                    .iter()
                    .filter_map(|l| match l {
                        Lit::Str(k) => Some(k.to_string()),
                        _ => None,
                    })
                    .collect(),
            ),
            _ => None,
        },
        Node::And(a, b) => match (kinds_of(a), kinds_of(b)) {
            (Some(x), Some(y)) => Some(x.intersection(&y).cloned().collect()),
            (Some(x), None) | (None, Some(x)) => Some(x),
            (None, None) => None,
        },
        Node::Or(a, b) => {
            let (mut x, y) = (kinds_of(a)?, kinds_of(b)?);
            x.extend(y);
            Some(x)
        }
        // `(F == 'a' && x) || (F == 'b' && y) || …`: as that chain, the kinds of every arm.
        Node::Switch(_, arms) => {
            let mut all = BTreeSet::new();
            for (_, then) in arms {
                all.extend(kinds_of(then)?);
            }
            Some(all)
        }
        _ => None,
    }
}

/// Compiles `expr` (a checked program's tree), or `None` when any part of it is outside what this
/// module evaluates.
pub(crate) fn compile(expr: &IdedExpr) -> Option<Node> {
    Compiler { var: None }.node(expr)
}

struct Compiler<'a> {
    /// The name of the comprehension's variable, inside `exists`/`all` over `events`.
    var: Option<&'a str>,
}

impl<'a> Compiler<'a> {
    fn node(&self, expr: &'a IdedExpr) -> Option<Node> {
        match &expr.expr {
            Expr::Literal(l) => literal(l).map(Node::Lit),
            Expr::List(l) => {
                if !l.optional_indices.is_empty() {
                    return None;
                }
                l.elements
                    .iter()
                    .map(|x| match &x.expr {
                        Expr::Literal(l) => literal(l),
                        _ => None,
                    })
                    .collect::<Option<Vec<Lit>>>()
                    .map(Node::List)
            }
            Expr::Select(s) => self.select(&s.operand, &s.field, s.test),
            Expr::Call(call) => {
                if call.target.is_some() {
                    return None;
                }
                let args = &call.args;
                let pair = || -> Option<(Box<Node>, Box<Node>)> {
                    match args.as_slice() {
                        [a, b] => Some((Box::new(self.node(a)?), Box::new(self.node(b)?))),
                        _ => None,
                    }
                };
                let two = |f: fn(Box<Node>, Box<Node>) -> Node| pair().map(|(a, b)| f(a, b));
                let compare = |op: Op| pair().map(|(a, b)| comparison(op, *a, *b));
                match call.func_name.as_str() {
                    operators::LOGICAL_AND => two(Node::And),
                    operators::LOGICAL_OR => two(Node::Or).map(switch),
                    operators::IN => two(Node::In),
                    operators::EQUALS => compare(Op::Eq),
                    operators::NOT_EQUALS => compare(Op::Ne),
                    operators::LESS => compare(Op::Lt),
                    operators::LESS_EQUALS => compare(Op::Le),
                    operators::GREATER => compare(Op::Gt),
                    operators::GREATER_EQUALS => compare(Op::Ge),
                    operators::LOGICAL_NOT => match args.as_slice() {
                        [a] => Some(Node::Not(Box::new(self.node(a)?))),
                        _ => None,
                    },
                    operators::NEGATE => match args.as_slice() {
                        [
                            IdedExpr {
                                expr: Expr::Literal(l),
                                ..
                            },
                        ] => match literal(l)? {
                            Lit::Int(i) => i.checked_neg().map(|n| Node::Lit(Lit::Int(n))),
                            Lit::Double(d) => Some(Node::Lit(Lit::Double(-d))),
                            _ => None,
                        },
                        _ => None,
                    },
                    _ => None,
                }
            }
            Expr::Comprehension(c) => {
                // Only `exists`/`all` over `events`, not nested, as the macros expand them:
                // `@result` starts false (true), each step is `@result || p` (`@result && p`), the
                // result is `@result`.
                if self.var.is_some()
                    || c.iter_var2.is_some()
                    || !matches!(&c.iter_range.expr, Expr::Ident(n) if n == "events")
                    || !matches!(&c.result.expr, Expr::Ident(n) if *n == c.accu_var)
                {
                    return None;
                }
                let Expr::Literal(LiteralValue::Boolean(init)) = &c.accu_init.expr else {
                    return None;
                };
                let Expr::Call(step) = &c.loop_step.expr else {
                    return None;
                };
                let [accu, pred] = step.args.as_slice() else {
                    return None;
                };
                if step.target.is_some()
                    || !matches!(&accu.expr, Expr::Ident(n) if *n == c.accu_var)
                {
                    return None;
                }
                let inner = Compiler {
                    var: Some(c.iter_var.as_str()),
                };
                let pred = Box::new(inner.node(pred)?);
                match (*init.inner(), step.func_name.as_str()) {
                    (false, operators::LOGICAL_OR) => Some(Node::Exists(pred)),
                    (true, operators::LOGICAL_AND) => Some(Node::All(pred)),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    fn select(&self, operand: &'a IdedExpr, field: &str, test: bool) -> Option<Node> {
        let root = match &operand.expr {
            Expr::Ident(name) => name.as_str(),
            Expr::Select(_) => {
                // `debtor.attributes.a.b`: walk down to `debtor.attributes`.
                let mut path = vec![Box::<str>::from(field)];
                let mut cur = operand;
                loop {
                    match &cur.expr {
                        Expr::Select(s) if !s.test => {
                            if matches!(&s.operand.expr, Expr::Ident(n) if n == "debtor")
                                && s.field == "attributes"
                            {
                                if test {
                                    return None;
                                }
                                path.reverse();
                                return Some(Node::Attribute(path));
                            }
                            path.push(Box::from(s.field.as_str()));
                            cur = &s.operand;
                        }
                        _ => return None,
                    }
                }
            }
            _ => return None,
        };
        if Some(root) == self.var {
            if test {
                return None;
            }
            return Some(Node::Event(match field {
                "kind" => EventField::Kind,
                "debt" => EventField::Debt,
                "channel" => EventField::Channel,
                _ => return None,
            }));
        }
        if root == "score" {
            return Some(if test {
                Node::HasScore(Box::from(field))
            } else {
                Node::Score(Box::from(field))
            });
        }
        if test {
            return None;
        }
        let known = match (root, field) {
            ("debtor", "kind") => Field::DebtorKind,
            ("debtor", "age") => Field::DebtorAge,
            ("debtor", "segment") => Field::DebtorSegment,
            ("debtor", "country") => Field::DebtorCountry,
            ("debtor", "language") => Field::DebtorLanguage,
            ("debtor", "timezone") => Field::DebtorTimezone,
            ("debtor", "tags") => Field::DebtorTags,
            ("debtor", "days_since_created") => Field::DebtorDaysSinceCreated,
            ("debt", "id") => Field::DebtId,
            ("debt", "balance") => Field::DebtBalance,
            ("debt", "amount") => Field::DebtAmount,
            ("debt", "currency") => Field::DebtCurrency,
            ("debt", "days_past_due") => Field::DebtDaysPastDue,
            ("debt", "status") => Field::DebtStatus,
            ("debt", "product") => Field::DebtProduct,
            _ => return None,
        };
        Some(Node::Field(known))
    }
}

/// A comparison, in its direct form when one side is a field and the other a literal.
fn comparison(op: Op, left: Node, right: Node) -> Node {
    match (left, right) {
        (Node::Field(f), Node::Lit(l)) => Node::FieldLit(f, op, l),
        (Node::Lit(l), Node::Field(f)) => Node::FieldLit(f, op.flip(), l),
        (Node::Event(f), Node::Lit(l)) => Node::EventLit(f, op, l),
        (Node::Lit(l), Node::Event(f)) => Node::EventLit(f, op.flip(), l),
        (left, right) => Node::Compare(op, Box::new(left), Box::new(right)),
    }
}

impl Op {
    /// The same comparison with its sides swapped (`1 < x` is `x > 1`).
    fn flip(self) -> Op {
        match self {
            Op::Eq => Op::Eq,
            Op::Ne => Op::Ne,
            Op::Lt => Op::Gt,
            Op::Le => Op::Ge,
            Op::Gt => Op::Lt,
            Op::Ge => Op::Le,
        }
    }

    fn holds(self, ord: Ordering) -> bool {
        match self {
            Op::Eq => ord == Ordering::Equal,
            Op::Ne => ord != Ordering::Equal,
            Op::Lt => ord == Ordering::Less,
            Op::Le => ord != Ordering::Greater,
            Op::Gt => ord == Ordering::Greater,
            Op::Ge => ord != Ordering::Less,
        }
    }
}

/// An `||` chain as a [`Node::Switch`] when every term is `F == 'text' && x` on the same field
/// `F` (one whose value is always text, or null) with distinct literals; otherwise unchanged.
/// The same value: `F` equals at most one literal, the other terms are false without their `x`
/// (`false && x`), and the chain is then the matching term's `x`, an error included.
fn switch(or: Node) -> Node {
    fn terms(node: Node, out: &mut Vec<Node>) {
        match node {
            Node::Or(a, b) => {
                terms(*a, out);
                terms(*b, out);
            }
            // A chain is compiled inside out: its inner part may be a switch already.
            Node::Switch(f, arms) => out.extend(arms.into_iter().map(|(l, x)| {
                Node::And(
                    Box::new(Node::FieldLit(f, Op::Eq, Lit::Str(l))),
                    Box::new(x),
                )
            })),
            other => out.push(other),
        }
    }
    let text_field = |f: Field| {
        matches!(
            f,
            Field::DebtorKind
                | Field::DebtorSegment
                | Field::DebtorCountry
                | Field::DebtorLanguage
                | Field::DebtorTimezone
                | Field::DebtCurrency
                | Field::DebtStatus
                | Field::DebtProduct
        )
    };
    let arm = |n: &Node| match n {
        Node::And(a, _) => match a.as_ref() {
            Node::FieldLit(f, Op::Eq, Lit::Str(s)) if text_field(*f) => Some((*f, s.clone())),
            _ => None,
        },
        _ => None,
    };
    let mut list = Vec::new();
    terms(or.clone(), &mut list);
    let heads: Option<Vec<(Field, Box<str>)>> = list.iter().map(arm).collect();
    let Some(heads) = heads else { return or };
    let field = heads[0].0;
    let distinct = heads
        .iter()
        .enumerate()
        .all(|(i, (f, s))| *f == field && heads[..i].iter().all(|(_, t)| t != s));
    if list.len() < 2 || !distinct {
        return or;
    }
    let arms = heads
        .into_iter()
        .zip(list)
        .filter_map(|((_, s), n)| match n {
            Node::And(_, x) => Some((s, *x)),
            _ => None,
        })
        .collect();
    Node::Switch(field, arms)
}

fn literal(value: &LiteralValue) -> Option<Lit> {
    Some(match value {
        LiteralValue::Null => Lit::Null,
        LiteralValue::Boolean(b) => Lit::Bool(*b.inner()),
        LiteralValue::Int(i) => Lit::Int(*i.inner()),
        LiteralValue::Double(d) => Lit::Double(*d.inner()),
        LiteralValue::String(s) => Lit::Str(Box::from(s.inner())),
        LiteralValue::UInt(_) | LiteralValue::Bytes(_) => return None,
    })
}

/// A value met while evaluating. Anything the comparisons below do not handle is an error, and
/// the evaluation goes to `cel`.
#[derive(Debug, Clone, Copy)]
enum V<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Double(f64),
    Str(&'a str),
    Id(DebtId),
    Tags(&'a [String]),
    List(&'a [Lit]),
    /// A JSON object or array from `debtor.attributes`.
    Composite,
}

/// Not decided here: ask `cel`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Undecided;

type R<'a> = Result<V<'a>, Undecided>;

/// What an expression reads.
pub(crate) struct Scope<'a> {
    pub input: &'a EvalInput<'a>,
    /// The debtor's segment as the planner has just assigned it.
    pub segment: Option<&'a str>,
    pub today: NaiveDate,
    pub tz: Tz,
    pub derived: &'a Derived,
}

/// Fields worked out from the domain values, once per evaluation context.
#[derive(Debug, Default)]
pub(crate) struct Derived {
    age: OnceCell<Option<i64>>,
    balance: OnceCell<f64>,
    days_past_due: OnceCell<i64>,
}

impl Node {
    /// The condition's value, or [`Undecided`] when `cel` must decide.
    pub(crate) fn evaluate(&self, scope: &Scope<'_>) -> Result<bool, Undecided> {
        match self.eval(scope, None)? {
            V::Bool(b) => Ok(b),
            _ => Err(Undecided),
        }
    }

    fn eval<'s>(&'s self, scope: &Scope<'s>, event: Option<&'s Event>) -> R<'s> {
        match self {
            Node::Lit(l) => Ok(lit(l)),
            Node::List(items) => Ok(V::List(items)),
            Node::Field(f) => field(*f, scope),
            Node::Event(f) => event_field(*f, event.ok_or(Undecided)?),
            Node::Score(k) => scope
                .input
                .score
                .get(k.as_ref())
                .map(|v| V::Double(*v))
                .ok_or(Undecided),
            Node::HasScore(k) => Ok(V::Bool(scope.input.score.contains_key(k.as_ref()))),
            Node::Attribute(path) => {
                let mut cur = &scope.input.debtor.attributes;
                if !cur.is_object() {
                    return Err(Undecided);
                }
                for key in path {
                    cur = cur
                        .as_object()
                        .ok_or(Undecided)?
                        .get(key.as_ref())
                        .ok_or(Undecided)?;
                }
                json(cur)
            }
            Node::Not(a) => match a.eval(scope, event)? {
                V::Bool(b) => Ok(V::Bool(!b)),
                _ => Err(Undecided),
            },
            // `cel`: `false && x` is false without `x`; `error && false` is false; `x` failing
            // fails the whole. The same for `||` with `true`.
            Node::And(a, b) => logic(a.eval(scope, event), || b.eval(scope, event), false),
            Node::Or(a, b) => logic(a.eval(scope, event), || b.eval(scope, event), true),
            Node::Compare(op, a, b) => {
                let (left, right) = (a.eval(scope, event)?, b.eval(scope, event)?);
                let ord = compare(left, right, matches!(op, Op::Eq | Op::Ne))?;
                Ok(V::Bool(op.holds(ord)))
            }
            Node::FieldLit(f, op, l) => {
                let ord = compare(field(*f, scope)?, lit(l), matches!(op, Op::Eq | Op::Ne))?;
                Ok(V::Bool(op.holds(ord)))
            }
            Node::EventLit(f, op, l) => {
                let value = event_field(*f, event.ok_or(Undecided)?)?;
                let ord = compare(value, lit(l), matches!(op, Op::Eq | Op::Ne))?;
                Ok(V::Bool(op.holds(ord)))
            }
            Node::In(a, b) => {
                let needle = a.eval(scope, event)?;
                match b.eval(scope, event)? {
                    V::List(items) => {
                        for item in items {
                            if compare(needle, lit(item), true)? == Ordering::Equal {
                                return Ok(V::Bool(true));
                            }
                        }
                        Ok(V::Bool(false))
                    }
                    V::Tags(tags) => match needle {
                        V::Str(x) => Ok(V::Bool(tags.iter().any(|t| t == x))),
                        _ => Err(Undecided),
                    },
                    _ => Err(Undecided),
                }
            }
            Node::Switch(f, arms) => {
                let value = match field(*f, scope)? {
                    V::Str(v) => Some(v),
                    V::Null => None,
                    _ => return Err(Undecided),
                };
                match arms.iter().find(|(lit, _)| Some(lit.as_ref()) == value) {
                    Some((_, x)) => match x.eval(scope, event)? {
                        V::Bool(b) => Ok(V::Bool(b)),
                        _ => Err(Undecided),
                    },
                    None => Ok(V::Bool(false)),
                }
            }
            Node::Exists(p) | Node::All(p) => {
                let want = matches!(self, Node::Exists(_));
                for each in scope.input.events {
                    match p.eval(scope, Some(each))? {
                        V::Bool(b) if b == want => return Ok(V::Bool(want)),
                        V::Bool(_) => {}
                        _ => return Err(Undecided),
                    }
                }
                Ok(V::Bool(!want))
            }
        }
    }
}

fn event_field(which: EventField, event: &Event) -> R<'_> {
    Ok(match which {
        EventField::Kind => V::Str(event.kind.as_str()),
        EventField::Debt => event.debt_id.map_or(V::Null, V::Id),
        EventField::Channel => V::Str(
            event
                .data
                .get("channel")
                .and_then(serde_json::Value::as_str)
                .ok_or(Undecided)?,
        ),
    })
}

fn logic<'s>(left: R<'s>, right: impl FnOnce() -> R<'s>, absorbing: bool) -> R<'s> {
    match left {
        Ok(V::Bool(x)) if x == absorbing => Ok(V::Bool(absorbing)),
        Ok(V::Bool(_)) => match right()? {
            V::Bool(y) => Ok(V::Bool(y)),
            _ => Err(Undecided),
        },
        _ => match right()? {
            V::Bool(y) if y == absorbing => Ok(V::Bool(absorbing)),
            _ => Err(Undecided),
        },
    }
}

fn lit(value: &Lit) -> V<'_> {
    match value {
        Lit::Null => V::Null,
        Lit::Bool(b) => V::Bool(*b),
        Lit::Int(i) => V::Int(*i),
        Lit::Double(d) => V::Double(*d),
        Lit::Str(s) => V::Str(s),
    }
}

/// JSON as the `cel` side sees it (numbers as floats).
fn json(value: &serde_json::Value) -> R<'_> {
    Ok(match value {
        serde_json::Value::Null => V::Null,
        serde_json::Value::Bool(b) => V::Bool(*b),
        serde_json::Value::Number(n) => V::Double(n.as_f64().ok_or(Undecided)?),
        serde_json::Value::String(s) => V::Str(s),
        serde_json::Value::Array(_) | serde_json::Value::Object(_) => V::Composite,
    })
}

/// Orders two values of the same kind. `null` equals only `null` (for `==`/`!=` only); every
/// other pair, numbers of different kinds included, is left to `cel`.
fn compare(left: V<'_>, right: V<'_>, equality: bool) -> Result<Ordering, Undecided> {
    match (left, right) {
        (V::Int(x), V::Int(y)) => Ok(x.cmp(&y)),
        (V::Double(x), V::Double(y)) => x.partial_cmp(&y).ok_or(Undecided),
        // Equality looks at the lengths first (most unequal pairs stop there).
        (V::Str(x), V::Str(y)) if equality => Ok(if x == y {
            Ordering::Equal
        } else {
            Ordering::Less
        }),
        (V::Str(x), V::Str(y)) => Ok(x.cmp(y)),
        (V::Id(x), V::Id(y)) if equality => Ok(if x == y {
            Ordering::Equal
        } else {
            Ordering::Less
        }),
        (V::Bool(x), V::Bool(y)) if equality => Ok(x.cmp(&y)),
        (V::Null, V::Null) if equality => Ok(Ordering::Equal),
        (V::Null, V::Int(_) | V::Double(_) | V::Str(_) | V::Id(_) | V::Bool(_))
        | (V::Int(_) | V::Double(_) | V::Str(_) | V::Id(_) | V::Bool(_), V::Null)
            if equality =>
        {
            Ok(Ordering::Less)
        }
        _ => Err(Undecided),
    }
}

fn field<'s>(which: Field, scope: &Scope<'s>) -> R<'s> {
    let debtor = scope.input.debtor;
    let debt = scope.input.debt;
    Ok(match which {
        Field::DebtorKind => V::Str(debtor.kind.as_str()),
        Field::DebtorAge => scope
            .derived
            .age
            .get_or_init(|| debtor.birth_date.and_then(|b| age_years(b, scope.today)))
            .map_or(V::Null, V::Int),
        Field::DebtorSegment => scope.segment.map_or(V::Null, V::Str),
        Field::DebtorCountry => V::Str(debtor.country.code()),
        Field::DebtorLanguage => V::Str(debtor.language.as_str()),
        Field::DebtorTimezone => V::Str(scope.tz.name()),
        Field::DebtorTags => V::Tags(&debtor.tags),
        Field::DebtorDaysSinceCreated => {
            let created = local_date(debtor.created_at, scope.tz);
            V::Int(scope.today.signed_duration_since(created).num_days())
        }
        Field::DebtId => V::Id(debt.id),
        Field::DebtBalance => V::Double(
            *scope
                .derived
                .balance
                .get_or_init(|| money_f64(&debt.balance)),
        ),
        Field::DebtAmount => V::Double(money_f64(&debt.original)),
        Field::DebtCurrency => V::Str(debt.balance.currency.code()),
        Field::DebtDaysPastDue => V::Int(
            *scope
                .derived
                .days_past_due
                .get_or_init(|| days_past_due(debt.due_on, scope.today)),
        ),
        Field::DebtStatus => V::Str(debt.status.as_str()),
        Field::DebtProduct => debt.product.as_deref().map_or(V::Null, V::Str),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::Condition;

    fn node(src: &str) -> Node {
        Condition::compile("t", src)
            .expect("compiles")
            .fast
            .expect("direct")
    }

    #[test]
    fn an_or_chain_over_one_text_field_becomes_a_switch() {
        let n = node(
            "(debt.currency == 'USD' && debt.balance >= 5000.0) \
             || (debt.currency == 'COP' && debt.balance >= 20000000.0) \
             || (debt.currency == 'CLP' && debt.balance >= 4500000.0)",
        );
        let Node::Switch(Field::DebtCurrency, arms) = n else {
            panic!("{n:?}")
        };
        let names: Vec<&str> = arms.iter().map(|(l, _)| l.as_ref()).collect();
        assert_eq!(names, ["USD", "COP", "CLP"]);
    }

    #[test]
    fn other_or_chains_stay_as_they_are() {
        for src in [
            // The same literal twice, two fields, a term that is not `F == 'x' && …`, a number.
            "(debt.currency == 'USD' && debt.balance > 1.0) || (debt.currency == 'USD' && debt.balance < 0.0)",
            "(debt.currency == 'USD' && debt.balance > 1.0) || (debtor.kind == 'business' && debt.balance > 2.0)",
            "(debt.currency == 'USD' && debt.balance > 1.0) || debt.balance > 2.0",
            "(debt.days_past_due == 3 && debt.balance > 1.0) || (debt.days_past_due == 4 && debt.balance > 2.0)",
        ] {
            assert!(matches!(node(src), Node::Or(..)), "{src}");
        }
    }
}
