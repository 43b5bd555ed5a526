//! Collection strategies: versioned YAML documents that say which contacts to make for a debt and
//! when (GUIDE §5, `docs/strategies.md`).
//!
//! ```yaml
//! id: consumer-default
//! applies_if: "debtor.kind == 'person'"
//! stop_when: ["debt.balance <= 0"]
//! pause_while: [promise_active, dispute_open, plan_current]
//! steps:
//!   - { id: pre-5, at: due-5d, send: { channel: email, template: reminder_soft } }
//!   - id: late-3
//!     at: due+3d
//!     send: { channel: whatsapp, template: overdue_soft, fallback: [sms, email] }
//!     wait_for: { any: [opened, clicked, replied], within: 2d, otherwise: late-3-call }
//!   - { id: late-3-call, send: { channel: voice, template: ivr_overdue } }
//! ```
//!
//! [`parse_strategy`] reads a document in three passes: serde reads the shape into the raw types
//! of `raw.rs` (unknown keys and wrong types are errors there); `validate.rs` checks every value,
//! reference, cycle, split and CEL expression, collecting all errors; then each error gets the line
//! and column of the node at fault (see `locate.rs` for how, since `yaml_serde` has no spans).
//! A [`CompiledStrategy`] holds the compiled CEL programs; `context.rs` builds the values they read
//! and evaluates them ([`EvalContext`]), and `segment.rs` assigns segments with the same machinery.

mod context;
mod duration;
mod experiment;
mod fast;
mod locate;
mod raw;
mod segment;
mod templates;
mod validate;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use context::{
    Conditions, EvalContext, EvalError, EvalInput, MAX_JSON_DEPTH, age_years, days_past_due,
    debtor_zone, local_date, money_f64,
};
pub use duration::{DueOffset, MAX_SPAN_AMOUNT, Span, Unit};
pub use experiment::bucket;
pub use locate::{Seg, YamlPath, locate};
pub(crate) use segment::RawSegment;
pub use segment::{SEGMENT_ROOTS, Segment, Segments, SegmentsError};
pub use templates::{CatalogueError, ChannelSet, TemplateCatalogue};
pub use validate::{MAX_CEL_CHARS, MAX_CEL_DEPTH, parse_stored_strategy, parse_strategy};
pub(crate) use validate::{located, serde_error};

use crate::event::EventKind;
use crate::portfolio::Channel;

/// The variables a CEL condition may read. Anything else is an error at validation.
pub const CEL_ROOTS: &[&str] = &["debtor", "debt", "score", "events", "now"];

/// The JSON Schema (draft 2020-12) of a strategy document, for editors and clients: every key,
/// type and enumeration, and the syntax of offsets and durations. [`parse_strategy`] checks more
/// (references, cycles, splits, CEL, templates). Served at `/api/v1/schemas/strategy.json`; the test
/// `crates/domain/tests/it/strategy_schema.rs` keeps it equal to what `raw.rs` reads.
pub const STRATEGY_JSON_SCHEMA: &str = include_str!("../../data/schemas/strategy.schema.json");

/// Whether `name` is in the shipped template catalogue ([`TemplateCatalogue::builtin`]).
pub fn is_builtin_template(name: &str) -> bool {
    TemplateCatalogue::builtin().channels(name).is_some()
}

/// A checked strategy.
#[derive(Debug, Clone, PartialEq)]
pub struct Strategy {
    pub id: String,
    /// 1 when the file does not say.
    pub version: u32,
    pub name: Option<String>,
    /// CEL: the strategy applies to a debt when this holds (always when absent).
    pub applies_if: Option<String>,
    /// Strategies are tried in priority order, highest first.
    pub priority: i64,
    /// CEL: the strategy ends for a debt as soon as one holds.
    pub stop_when: Vec<String>,
    /// States in which no step runs.
    pub pause_while: Vec<Pause>,
    pub steps: Vec<Step>,
    pub experiments: Vec<Experiment>,
}

impl Strategy {
    /// The step with this id.
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }
}

/// States of a debt that pause a strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pause {
    PromiseActive,
    DisputeOpen,
    PlanCurrent,
}

/// One step of a strategy.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub id: String,
    /// When the step is due; `None` for a step only reached as a `wait_for.otherwise` target.
    pub at: Option<Placement>,
    /// CEL (`if:`): the step runs only when this holds.
    pub condition: Option<String>,
    pub action: Action,
    /// Only with `send`: what to wait for after sending, and where to go when it does not come.
    pub wait_for: Option<WaitFor>,
}

/// Where a step sits in time.
#[derive(Debug, Clone, PartialEq)]
pub enum Placement {
    /// `at: due+3d`.
    Due(DueOffset),
    /// `after: {event: contact_sent, step: late-3, delay: 2d}`: `delay` after the event (of that
    /// step, when `step` is given).
    After {
        event: EventKind,
        step: Option<String>,
        delay: Span,
    },
}

/// What a step does.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// One or several messages (each with its own fallback channels).
    Send(Vec<SendSpec>),
    /// A task for an agent queue.
    Task(TaskSpec),
}

/// One message of a `send`.
#[derive(Debug, Clone, PartialEq)]
pub struct SendSpec {
    pub channel: ChannelChoice,
    pub template: String,
    /// The channels `template` has a variant for (`channel: best` picks among them).
    pub variants: ChannelSet,
    /// Channels tried in order when the first cannot be used or fails.
    pub fallback: Vec<Fallback>,
}

/// A fallback channel of a message, with the template it sends there: its own, or the
/// message's when `None` (`fallback: [sms, {channel: email, template: due_email}]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Fallback {
    pub channel: Channel,
    pub template: Option<String>,
    /// The channels its own `template` has a variant for.
    pub variants: Option<ChannelSet>,
}

/// A fixed channel, or `best`: the learner picks the best allowed channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelChoice {
    Channel(Channel),
    Best,
}

impl fmt::Display for ChannelChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChannelChoice::Channel(c) => f.write_str(c.as_str()),
            ChannelChoice::Best => f.write_str("best"),
        }
    }
}

/// An agent task.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskSpec {
    pub queue: String,
    pub script: Option<String>,
}

/// Wait for one of some events after a `send`.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitFor {
    pub any: Vec<EventKind>,
    pub within: Span,
    /// The step to run when none came in time.
    pub otherwise: Option<String>,
}

/// A champion/challenger experiment on one step.
#[derive(Debug, Clone, PartialEq)]
pub struct Experiment {
    pub id: String,
    pub step: String,
    /// In the order written; `split[i]` is the share of `arms[i]`.
    pub arms: Vec<Arm>,
    /// Percentages, summing to 100.
    pub split: Vec<u8>,
}

/// One arm: what it changes in the step's `send`.
#[derive(Debug, Clone, PartialEq)]
pub struct Arm {
    pub name: String,
    pub channel: Option<ChannelChoice>,
    pub template: Option<String>,
    /// The channels the arm's `template` has a variant for.
    pub variants: Option<ChannelSet>,
}

/// A CEL condition compiled once, with the place it came from.
#[derive(Debug)]
pub struct Condition {
    /// `applies_if`, `stop_when[0]`, `steps[4].if`.
    pub path: String,
    pub source: String,
    pub program: cel::Program,
    /// The same expression for the direct evaluator (`fast.rs`), when it is within its reach.
    pub(crate) fast: Option<fast::Node>,
}

/// A strategy with its CEL conditions compiled (evaluate them with [`EvalContext`]).
#[derive(Debug)]
pub struct CompiledStrategy {
    pub strategy: Strategy,
    pub conditions: Vec<Condition>,
    /// Where `stop_when[i]` and `steps[i].if` are in `conditions`, found once rather than by
    /// their path for every debt.
    applies_if: Option<usize>,
    stop_when: Vec<Option<usize>>,
    step_if: Vec<Option<usize>>,
}

impl CompiledStrategy {
    /// A strategy with its compiled conditions (their paths name where each one is).
    pub fn new(strategy: Strategy, conditions: Vec<Condition>) -> CompiledStrategy {
        let find = |path: String| conditions.iter().position(|c| c.path == path);
        let stop_when = (0..strategy.stop_when.len())
            .map(|i| find(format!("stop_when[{i}]")))
            .collect();
        let step_if = (0..strategy.steps.len())
            .map(|i| find(format!("steps[{i}].if")))
            .collect();
        let applies_if = find("applies_if".into());
        CompiledStrategy {
            strategy,
            conditions,
            applies_if,
            stop_when,
            step_if,
        }
    }

    /// The compiled `applies_if`.
    pub fn applies_condition(&self) -> Option<&Condition> {
        self.conditions.get(self.applies_if?)
    }

    /// The compiled `stop_when[index]`.
    pub fn stop_condition(&self, index: usize) -> Option<&Condition> {
        self.conditions.get((*self.stop_when.get(index)?)?)
    }

    /// The compiled `if:` of the step at `index`.
    pub fn step_condition(&self, index: usize) -> Option<&Condition> {
        self.conditions.get((*self.step_if.get(index)?)?)
    }

    /// The compiled condition at `path` (`applies_if`, `stop_when[0]`, `steps[4].if`).
    pub fn condition(&self, path: &str) -> Option<&Condition> {
        self.conditions.iter().find(|c| c.path == path)
    }
}

/// One problem in a strategy file, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StrategyError {
    /// 1-based; 0 when the position is unknown.
    pub line: usize,
    /// 1-based; 0 when the position is unknown.
    pub column: usize,
    /// `steps[3].wait_for.otherwise`; `.` for the whole document.
    pub path: String,
    pub message: String,
}

impl fmt::Display for StrategyError {
    /// `LINE:COL: path: message` (prefix the file name for a compiler-style line).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.line, self.column, self.path, self.message
        )
    }
}
