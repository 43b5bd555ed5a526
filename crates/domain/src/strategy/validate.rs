//! From a YAML document to a checked [`Strategy`] with its CEL conditions compiled, or every error
//! with its place.

use std::collections::{BTreeSet, HashMap};

use cel::common::ast::{EntryExpr, Expr, IdedExpr};

use super::locate::{YamlPath, locate};
use super::raw::{OneOrMany, RawFallback, RawSend, RawStep, RawStrategy};
use super::{
    Action, Arm, CEL_ROOTS, ChannelChoice, ChannelSet, CompiledStrategy, Condition, DueOffset,
    Experiment, Fallback, Placement, SendSpec, Span, Step, Strategy, StrategyError, TaskSpec,
    TemplateCatalogue, WaitFor,
};
use crate::event::EventKind;
use crate::portfolio::Channel;

/// Identifiers CEL resolves by itself (type names), not variables of ours.
const CEL_BUILTIN_IDENTS: &[&str] = &[
    "int",
    "uint",
    "double",
    "bool",
    "string",
    "bytes",
    "list",
    "map",
    "type",
    "null_type",
    "dyn",
];

/// Parses and checks a strategy document against the template catalogue `templates`: every
/// template name must be in it, with a variant for every channel it can be sent on (the first
/// channel, each fallback, each experiment arm).
///
/// On failure, returns every error found, sorted by position. A document serde cannot read (bad
/// YAML, an unknown key, a wrong type) yields that one error, since nothing can be checked past it.
pub fn parse_strategy(
    source: &str,
    templates: &TemplateCatalogue,
) -> Result<CompiledStrategy, Vec<StrategyError>> {
    parse(source, templates, true)
}

/// Parses a strategy version stored before its templates' channels were checked: as
/// [`parse_strategy`], except that a channel a template has no variant for is not an error. The
/// planner never sends a template on such a channel (it skips it, as one without a contact
/// point), so a debt that follows an old version keeps planning.
pub fn parse_stored_strategy(
    source: &str,
    templates: &TemplateCatalogue,
) -> Result<CompiledStrategy, Vec<StrategyError>> {
    parse(source, templates, false)
}

fn parse(
    source: &str,
    templates: &TemplateCatalogue,
    check_variants: bool,
) -> Result<CompiledStrategy, Vec<StrategyError>> {
    let raw: RawStrategy = match yaml_serde::from_str(source) {
        Ok(parsed) => parsed,
        Err(error) => return Err(vec![serde_error(source, &error)]),
    };
    let mut validator = Validator {
        errors: Vec::new(),
        conditions: Vec::new(),
        templates,
        check_variants,
    };
    let strategy = validator.strategy(raw);
    if validator.errors.is_empty() {
        return Ok(CompiledStrategy::new(strategy, validator.conditions));
    }
    Err(located(source, validator.errors))
}

/// Errors found at paths of `source`, with their line and column, in the order they appear.
pub(crate) fn located(source: &str, errors: Vec<(YamlPath, String)>) -> Vec<StrategyError> {
    let mut out: Vec<StrategyError> = errors
        .into_iter()
        .map(|(path, message)| {
            let (line, column) = locate(source, &path).unwrap_or((0, 0));
            StrategyError {
                line,
                column,
                path: path.to_string(),
                message,
            }
        })
        .collect();
    out.sort_by_key(|e| (e.line, e.column));
    out
}

/// A serde/libyaml error as a [`StrategyError`]: yaml_serde writes `path: message at line L column C`;
/// the position and the path are taken apart so that every error prints the same way.
pub(crate) fn serde_error(source: &str, error: &yaml_serde::Error) -> StrategyError {
    let mut message = error.to_string();
    let (line, column) = match error.location() {
        Some(location) => {
            let mark = format!(" at line {} column {}", location.line(), location.column());
            if let Some(start) = message.find(&mark) {
                message.replace_range(start..start + mark.len(), "");
            }
            (location.line(), location.column())
        }
        None => second_document(source).unwrap_or((1, 1)),
    };
    // A path prefix has no spaces (`steps[2].send: …`); messages like `invalid type: …` do.
    let mut path = ".".to_string();
    if let Some((head, tail)) = message.split_once(": ")
        && !head.is_empty()
        && !head.contains(char::is_whitespace)
    {
        path = head.to_string();
        message = tail.to_string();
    }
    StrategyError {
        line,
        column,
        path,
        message,
    }
}

/// The errors without a position are about the whole stream, in practice a second document
/// (`---` after content): point at its marker.
fn second_document(source: &str) -> Option<(usize, usize)> {
    let mut content = false;
    for (index, line) in source.lines().enumerate() {
        let trimmed = line.trim_end();
        if trimmed == "---" || trimmed.starts_with("--- ") {
            if content {
                return Some((index + 1, 1));
            }
            content = true;
        } else if !trimmed.is_empty() && !trimmed.trim_start().starts_with('#') {
            content = true;
        }
    }
    None
}

struct Validator<'t> {
    errors: Vec<(YamlPath, String)>,
    conditions: Vec<Condition>,
    templates: &'t TemplateCatalogue,
    /// Whether a channel without a variant of its template is an error (see
    /// [`parse_stored_strategy`]).
    check_variants: bool,
}

impl Validator<'_> {
    fn err(&mut self, path: YamlPath, message: impl Into<String>) {
        self.errors.push((path, message.into()));
    }

    fn strategy(&mut self, raw: RawStrategy) -> Strategy {
        let root = YamlPath::default();
        self.identifier(root.key("id"), &raw.id, "strategy id");
        let version = match u32::try_from(raw.version) {
            Ok(v) if v >= 1 => v,
            _ => {
                self.err(
                    root.key("version"),
                    format!("version must be a whole number from 1, not {}", raw.version),
                );
                1
            }
        };
        if let Some(src) = &raw.applies_if {
            self.cel(root.key("applies_if"), src);
        }
        for (index, src) in raw.stop_when.iter().enumerate() {
            self.cel(root.key("stop_when").index(index), src);
        }
        for (index, pause) in raw.pause_while.iter().enumerate() {
            if raw.pause_while[..index].contains(pause) {
                self.err(
                    root.key("pause_while").index(index),
                    "this pause is listed twice",
                );
            }
        }

        let steps_path = root.key("steps");
        if raw.steps.is_empty() {
            self.err(steps_path.clone(), "a strategy needs at least one step");
        }
        // Step ids, first occurrence wins; duplicates are errors.
        let mut ids: HashMap<&str, usize> = HashMap::new();
        for (index, raw_step) in raw.steps.iter().enumerate() {
            let id_path = steps_path.index(index).key("id");
            if !self.identifier(id_path.clone(), &raw_step.id, "step id") {
                continue;
            }
            if let Some(first) = ids.get(raw_step.id.as_str()) {
                self.err(
                    id_path,
                    format!(
                        "duplicate step id `{}` (first used at steps[{first}])",
                        raw_step.id
                    ),
                );
            } else {
                ids.insert(raw_step.id.as_str(), index);
            }
        }

        let mut steps = Vec::with_capacity(raw.steps.len());
        for (index, raw_step) in raw.steps.iter().enumerate() {
            steps.push(self.step(&steps_path.index(index), raw_step, &ids));
        }
        self.reachability(&steps_path, &raw.steps, &ids);
        self.cycles(&steps_path, &raw.steps, &ids);

        let mut experiments = Vec::with_capacity(raw.experiments.len());
        let mut experiment_ids: HashMap<&str, usize> = HashMap::new();
        for (index, raw_experiment) in raw.experiments.iter().enumerate() {
            let experiment_path = root.key("experiments").index(index);
            if self.identifier(
                experiment_path.key("id"),
                &raw_experiment.id,
                "experiment id",
            ) {
                if let Some(first) = experiment_ids.get(raw_experiment.id.as_str()) {
                    self.err(
                        experiment_path.key("id"),
                        format!(
                            "duplicate experiment id `{}` (first used at experiments[{first}])",
                            raw_experiment.id
                        ),
                    );
                } else {
                    experiment_ids.insert(raw_experiment.id.as_str(), index);
                }
            }
            match ids.get(raw_experiment.step.as_str()) {
                None => self.unknown_step(experiment_path.key("step"), &raw_experiment.step),
                Some(&step_index)
                    if raw
                        .steps
                        .get(step_index)
                        .is_some_and(|percent| percent.send.is_none()) =>
                {
                    self.err(
                        experiment_path.key("step"),
                        format!(
                            "experiment on step `{}`, which has no `send` to vary",
                            raw_experiment.step
                        ),
                    )
                }
                Some(_) => {}
            }
            let mut arms = Vec::with_capacity(raw_experiment.arms.0.len());
            if raw_experiment.arms.0.is_empty() {
                self.err(
                    experiment_path.key("arms"),
                    "an experiment needs at least one arm",
                );
            }
            for (position, (name, arm)) in raw_experiment.arms.0.iter().enumerate() {
                let ap = experiment_path.key("arms").key(name);
                if raw_experiment.arms.0[..position]
                    .iter()
                    .any(|(n, _)| n == name)
                {
                    self.err(ap.clone(), format!("arm `{name}` is named twice"));
                }
                if arm.channel.is_none() && arm.template.is_none() {
                    self.err(
                        ap.clone(),
                        "an arm overrides `channel`, `template` or both: this one changes nothing",
                    );
                }
                let channel = arm
                    .channel
                    .as_deref()
                    .and_then(|c| self.channel_choice(ap.key("channel"), c));
                let variants = arm
                    .template
                    .as_ref()
                    .and_then(|template| self.template(ap.key("template"), template));
                let arm = Arm {
                    name: name.clone(),
                    channel,
                    template: arm.template.as_ref().map(|t| t.trim().to_string()),
                    variants,
                };
                self.arm_variants(&ap, &raw_experiment.step, &arm, &steps);
                arms.push(arm);
            }
            let mut split = Vec::with_capacity(raw_experiment.split.len());
            let mut sum: i64 = 0;
            let mut shares_ok = true;
            for (position, share) in raw_experiment.split.iter().enumerate() {
                match u8::try_from(*share) {
                    Ok(percent) if percent <= 100 => {
                        split.push(percent);
                        sum += i64::from(percent);
                    }
                    _ => {
                        shares_ok = false;
                        self.err(
                            experiment_path.key("split").index(position),
                            format!("a share is a percentage from 0 to 100, not {share}"),
                        );
                    }
                }
            }
            if shares_ok && sum != 100 {
                self.err(
                    experiment_path.key("split"),
                    format!("the split sums to {sum}, not 100"),
                );
            }
            if raw_experiment.split.len() != raw_experiment.arms.0.len() {
                self.err(
                    experiment_path.key("split"),
                    format!(
                        "{} shares for {} arms: give one share per arm, in the arms' order",
                        raw_experiment.split.len(),
                        raw_experiment.arms.0.len()
                    ),
                );
            }
            experiments.push(Experiment {
                id: raw_experiment.id.clone(),
                step: raw_experiment.step.clone(),
                arms,
                split,
            });
        }

        Strategy {
            id: raw.id.trim().to_string(),
            version,
            name: raw.name,
            applies_if: raw.applies_if,
            priority: raw.priority,
            stop_when: raw.stop_when,
            pause_while: raw.pause_while,
            steps,
            experiments,
        }
    }

    fn step(&mut self, path: &YamlPath, raw_step: &RawStep, ids: &HashMap<&str, usize>) -> Step {
        let at = match (&raw_step.at, &raw_step.after) {
            (Some(_), Some(_)) => {
                self.err(
                    path.key("after"),
                    "give either `at` (relative to the due date) or `after` (relative to an event), not both",
                );
                None
            }
            (Some(at), None) => match at.parse::<DueOffset>() {
                Ok(offset) => Some(Placement::Due(offset)),
                Err(message) => {
                    self.err(path.key("at"), message);
                    None
                }
            },
            (None, Some(after)) => {
                let ap = path.key("after");
                let event = self.event_kind(ap.key("event"), &after.event);
                if let Some(step) = &after.step
                    && !ids.contains_key(step.as_str())
                {
                    self.unknown_step(ap.key("step"), step);
                }
                let delay = match &after.delay {
                    None => Some(Span {
                        amount: 0,
                        unit: super::Unit::Days,
                    }),
                    Some(delay_text) => self.span(ap.key("delay"), delay_text),
                };
                match (event, delay) {
                    (Some(event), Some(delay)) => Some(Placement::After {
                        event,
                        step: after.step.clone(),
                        delay,
                    }),
                    _ => None,
                }
            }
            (None, None) => None,
        };
        let condition = raw_step.condition.clone();
        if let Some(src) = &raw_step.condition {
            self.cel(path.key("if"), src);
        }
        let action = match (&raw_step.send, &raw_step.task) {
            (Some(_), Some(_)) => {
                self.err(
                    path.key("task"),
                    "a step does one thing: `send` or `task`, not both",
                );
                Action::Send(Vec::new())
            }
            (None, None) => {
                self.err(path.clone(), "a step needs an action: `send` or `task`");
                Action::Send(Vec::new())
            }
            (Some(send), None) => {
                let sp = path.key("send");
                let list: Vec<(YamlPath, &RawSend)> = match send {
                    OneOrMany::One(one) => vec![(sp.clone(), one)],
                    OneOrMany::Many(many) => many
                        .iter()
                        .enumerate()
                        .map(|(j, message)| (sp.index(j), message))
                        .collect(),
                };
                if list.is_empty() {
                    self.err(sp, "`send` lists no message");
                }
                Action::Send(
                    list.into_iter()
                        .map(|(mp, message)| self.send(&mp, raw_step.id.trim(), message))
                        .collect(),
                )
            }
            (None, Some(task)) => {
                if task.queue.trim().is_empty() {
                    self.err(path.key("task").key("queue"), "the queue name is empty");
                }
                Action::Task(TaskSpec {
                    queue: task.queue.trim().to_string(),
                    script: task.script.clone(),
                })
            }
        };
        let wait_for = raw_step.wait_for.as_ref().and_then(|w| {
            let wp = path.key("wait_for");
            if raw_step.send.is_none() {
                self.err(
                    wp.clone(),
                    "`wait_for` goes with `send`: it waits for answers to a message",
                );
            }
            if w.any.is_empty() {
                self.err(wp.key("any"), "`any` lists no event to wait for");
            }
            let any: Vec<EventKind> = w
                .any
                .iter()
                .enumerate()
                .filter_map(|(k, e)| self.event_kind(wp.key("any").index(k), e))
                .collect();
            let within = self.span(wp.key("within"), &w.within);
            if within.is_some_and(Span::is_zero) {
                self.err(
                    wp.key("within"),
                    "waiting 0 is not waiting: give a duration above zero",
                );
            }
            if let Some(offset) = &w.otherwise
                && !ids.contains_key(offset.as_str())
            {
                self.unknown_step(wp.key("otherwise"), offset);
            }
            Some(WaitFor {
                any,
                within: within?,
                otherwise: w.otherwise.clone(),
            })
        });
        Step {
            id: raw_step.id.trim().to_string(),
            at,
            condition,
            action,
            wait_for,
        }
    }

    fn send(&mut self, path: &YamlPath, step: &str, raw_send: &RawSend) -> SendSpec {
        let channel = self
            .channel_choice(path.key("channel"), &raw_send.channel)
            .unwrap_or(ChannelChoice::Best);
        let variants = self.template(path.key("template"), &raw_send.template);
        if let ChannelChoice::Channel(first) = channel {
            self.variant(
                path.key("channel"),
                step,
                first,
                &raw_send.template,
                variants,
                "",
            );
        }
        let mut fallback = Vec::with_capacity(raw_send.fallback.len());
        for (position, entry) in raw_send.fallback.iter().enumerate() {
            let fp = path.key("fallback").index(position);
            let (name, own) = match entry {
                RawFallback::Channel(name) => (name, None),
                RawFallback::WithTemplate(with) => (&with.channel, Some(&with.template)),
            };
            let parsed = match name.parse::<Channel>() {
                Ok(parsed) => parsed,
                Err(_) => {
                    let at = if own.is_some() { fp.key("channel") } else { fp };
                    self.err(
                        at,
                        format!(
                            "unknown channel `{name}` (a fallback is one of: {})",
                            channel_names()
                        ),
                    );
                    continue;
                }
            };
            match own {
                Some(template) => {
                    let own_variants = self.template(fp.key("template"), template);
                    self.variant(fp, step, parsed, template, own_variants, "");
                    fallback.push(Fallback {
                        channel: parsed,
                        template: Some(template.trim().to_string()),
                        variants: own_variants,
                    });
                }
                None => {
                    let hint =
                        format!(": name one that has, as in `{{channel: {parsed}, template: …}}`");
                    self.variant(fp, step, parsed, &raw_send.template, variants, &hint);
                    fallback.push(Fallback {
                        channel: parsed,
                        template: None,
                        variants: None,
                    });
                }
            }
        }
        SendSpec {
            channel,
            template: raw_send.template.trim().to_string(),
            variants: variants.unwrap_or(ChannelSet::ALL),
            fallback,
        }
    }

    /// An arm's channel and template, over each message of its step: the template sent (the
    /// arm's or the message's) needs a variant on the channel used (the arm's or the
    /// message's), and an arm's own template one on each fallback that has no template of its
    /// own.
    fn arm_variants(&mut self, path: &YamlPath, step_id: &str, arm: &Arm, steps: &[Step]) {
        let Some(Step {
            action: Action::Send(specs),
            ..
        }) = steps.iter().find(|s| s.id == step_id)
        else {
            return;
        };
        for spec in specs {
            let template = arm.template.as_deref().unwrap_or(&spec.template);
            let variants = arm.variants.or(Some(spec.variants));
            if let ChannelChoice::Channel(channel) = arm.channel.unwrap_or(spec.channel) {
                self.variant(path.clone(), step_id, channel, template, variants, "");
            }
            if arm.template.is_some() {
                for fallback in spec.fallback.iter().filter(|f| f.template.is_none()) {
                    self.variant(
                        path.clone(),
                        step_id,
                        fallback.channel,
                        template,
                        variants,
                        " (a fallback of the step)",
                    );
                }
            }
        }
    }

    /// Steps without `at`/`after` run only as a `wait_for.otherwise` target.
    fn reachability(
        &mut self,
        steps_path: &YamlPath,
        steps: &[RawStep],
        ids: &HashMap<&str, usize>,
    ) {
        let targets: BTreeSet<&str> = steps
            .iter()
            .filter_map(|s| s.wait_for.as_ref()?.otherwise.as_deref())
            .filter(|o| ids.contains_key(o))
            .collect();
        for (index, raw_step) in steps.iter().enumerate() {
            if raw_step.at.is_none()
                && raw_step.after.is_none()
                && !targets.contains(raw_step.id.as_str())
            {
                self.err(
                    steps_path.index(index),
                    format!(
                        "step `{}` has no `at` or `after` and no `wait_for.otherwise` names it: it can never run",
                        raw_step.id
                    ),
                );
            }
        }
    }

    /// `otherwise` links form a graph with at most one edge out of each step; report each cycle once,
    /// at the `otherwise` of its first step in the file.
    fn cycles(&mut self, steps_path: &YamlPath, steps: &[RawStep], ids: &HashMap<&str, usize>) {
        let next: Vec<Option<usize>> = steps
            .iter()
            .enumerate()
            .map(|(i, s)| {
                // Only the first of duplicate ids takes part, so indices stay unambiguous.
                if ids.get(s.id.as_str()) != Some(&i) {
                    return None;
                }
                let otherwise = s.wait_for.as_ref()?.otherwise.as_deref()?;
                ids.get(otherwise).copied()
            })
            .collect();
        // 0: not seen, 1: on the current walk, 2: done.
        let mut state = vec![0u8; steps.len()];
        for start in 0..steps.len() {
            let mut walk = Vec::new();
            let mut cur = Some(start);
            while let Some(step_index) = cur {
                match state[step_index] {
                    2 => break,
                    1 => {
                        if let Some(pos) = walk.iter().position(|&walked| walked == step_index) {
                            let cycle = &walk[pos..];
                            let first = cycle.iter().copied().min().unwrap_or(step_index);
                            let at = cycle
                                .iter()
                                .position(|&walked| walked == first)
                                .unwrap_or(0);
                            let mut names: Vec<&str> = cycle[at..]
                                .iter()
                                .chain(cycle[..at].iter())
                                .map(|&walked| steps[walked].id.as_str())
                                .collect();
                            names.push(steps[first].id.as_str());
                            self.err(
                                steps_path.index(first).key("wait_for").key("otherwise"),
                                format!("cycle through `otherwise`: {}", names.join(" → ")),
                            );
                        }
                        break;
                    }
                    _ => {
                        state[step_index] = 1;
                        walk.push(step_index);
                        cur = next[step_index];
                    }
                }
            }
            for walked in walk {
                state[walked] = 2;
            }
        }
    }

    fn identifier(&mut self, path: YamlPath, id: &str, what: &str) -> bool {
        let trimmed = id.trim();
        if trimmed.is_empty() {
            self.err(path, format!("the {what} is empty"));
            false
        } else if trimmed.chars().any(char::is_whitespace) {
            self.err(
                path,
                format!("the {what} `{trimmed}` has spaces: use `-` or `_`"),
            );
            false
        } else {
            true
        }
    }

    fn unknown_step(&mut self, path: YamlPath, id: &str) {
        self.err(path, format!("unknown step `{id}`"));
    }

    /// Checks a template name; its channels when it is in the catalogue.
    fn template(&mut self, path: YamlPath, name: &str) -> Option<ChannelSet> {
        let trimmed = name.trim();
        if trimmed.is_empty() {
            self.err(path, "the template name is empty");
            return None;
        }
        let channels = self.templates.channels(trimmed);
        if channels.is_none() {
            self.err(path, format!("unknown template `{trimmed}`"));
        }
        channels
    }

    /// A contact on `channel` with `template` (whose channels are `variants`) needs the
    /// template's variant for that channel.
    fn variant(
        &mut self,
        path: YamlPath,
        step: &str,
        channel: Channel,
        template: &str,
        variants: Option<ChannelSet>,
        hint: &str,
    ) {
        if let Some(variants) = variants
            && self.check_variants
            && !variants.contains(channel)
        {
            self.err(
                path,
                format!(
                    "step `{step}`: template `{}` has no {channel} variant (it has: {variants}), so it cannot go out on {channel}{hint}",
                    template.trim()
                ),
            );
        }
    }

    fn channel_choice(&mut self, path: YamlPath, text: &str) -> Option<ChannelChoice> {
        if text.trim().eq_ignore_ascii_case("best") {
            return Some(ChannelChoice::Best);
        }
        match text.parse::<Channel>() {
            Ok(channel) => Some(ChannelChoice::Channel(channel)),
            Err(_) => {
                self.err(
                    path,
                    format!(
                        "unknown channel `{text}` (expected one of: {}, best)",
                        channel_names()
                    ),
                );
                None
            }
        }
    }

    fn event_kind(&mut self, path: YamlPath, text: &str) -> Option<EventKind> {
        match text.parse::<EventKind>() {
            Ok(kind) => Some(kind),
            Err(error) => {
                self.err(path, error.to_string());
                None
            }
        }
    }

    fn span(&mut self, path: YamlPath, text: &str) -> Option<Span> {
        match text.parse::<Span>() {
            Ok(span) => Some(span),
            Err(message) => {
                self.err(path, message);
                None
            }
        }
    }

    /// Compiles a CEL expression once and checks that it reads only [`CEL_ROOTS`].
    fn cel(&mut self, path: YamlPath, src: &str) {
        match check_cel(src, CEL_ROOTS) {
            Ok(program) => {
                self.conditions
                    .push(Condition::from_program(path.to_string(), src, program))
            }
            Err(message) => self.err(path, message),
        }
    }
}

/// The checks every CEL expression goes through (strategies, segments): not empty, at most
/// [`MAX_CEL_CHARS`], compiles (through [`compile_cel`]), and reads no variable outside `roots`.
pub(crate) fn check_cel(src: &str, roots: &[&str]) -> Result<cel::Program, String> {
    if src.trim().is_empty() {
        return Err("the CEL expression is empty".into());
    }
    if src.chars().count() > MAX_CEL_CHARS {
        return Err(format!(
            "the CEL expression is longer than {MAX_CEL_CHARS} characters"
        ));
    }
    let program = compile_cel(src)?;
    if tree_depth(program.expression()) > MAX_CEL_DEPTH {
        return Err(format!(
            "the expression is nested too deeply (more than {MAX_CEL_DEPTH} levels)"
        ));
    }
    let mut unknown = BTreeSet::new();
    free_variables(program.expression(), &mut Vec::new(), &mut unknown);
    unknown.retain(|v| !roots.contains(&v.as_str()) && !CEL_BUILTIN_IDENTS.contains(&v.as_str()));
    if !unknown.is_empty() {
        let names: Vec<String> = unknown.iter().map(|v| format!("`{v}`")).collect();
        return Err(format!(
            "unknown variable {} in CEL (the variables are: {})",
            names.join(", "),
            roots.join(", ")
        ));
    }
    Ok(program)
}

/// The deepest expression tree accepted. `cel` evaluates by recursion over the tree, and in a debug
/// build a chain such as `1+1+…+1` of 999 terms (within [`MAX_CEL_CHARS`], and the parser's own
/// limit of 96 levels only counts parentheses and the like) overflows a 2 MiB stack. With this
/// limit every accepted expression evaluates on a 2 MiB thread (tokio's workers): the test
/// `deepest_accepted_expression_evaluates_on_a_2_mib_thread` in `context.rs` proves it. Measured on
/// 2026-11-25 (debug build): 48 levels of every kind still evaluate on a bare 2 MiB thread and 64
/// overflow it, so 32 leaves about a third of the stack to the caller's own frames.
pub const MAX_CEL_DEPTH: usize = 32;

/// The depth of an expression tree (a literal is 1), without recursion.
fn tree_depth(root: &IdedExpr) -> usize {
    let mut max = 0;
    let mut todo = vec![(root, 1usize)];
    while let Some((expr, depth)) = todo.pop() {
        max = max.max(depth);
        match &expr.expr {
            Expr::Unspecified | Expr::Literal(_) | Expr::Ident(_) => {}
            Expr::Select(s) => todo.push((&s.operand, depth + 1)),
            Expr::Call(c) => {
                todo.extend(c.target.iter().map(|t| (&**t, depth + 1)));
                todo.extend(c.args.iter().map(|a| (a, depth + 1)));
            }
            Expr::Comprehension(c) => {
                for child in [
                    &c.iter_range,
                    &c.accu_init,
                    &c.loop_cond,
                    &c.loop_step,
                    &c.result,
                ] {
                    todo.push((child, depth + 1));
                }
            }
            Expr::List(l) => todo.extend(l.elements.iter().map(|child| (child, depth + 1))),
            Expr::Map(m) => {
                for en in &m.entries {
                    if let EntryExpr::MapEntry(me) = &en.expr {
                        todo.push((&me.key, depth + 1));
                        todo.push((&me.value, depth + 1));
                    }
                }
            }
            Expr::Struct(s) => {
                for en in &s.entries {
                    if let EntryExpr::StructField(f) = &en.expr {
                        todo.push((&f.value, depth + 1));
                    }
                }
            }
        }
    }
    max
}

/// The longest CEL expression accepted: conditions are short, and the parser's work and the depth
/// of the tree it builds grow with the length.
pub const MAX_CEL_CHARS: usize = 2000;

/// The stack of the thread that compiles CEL. `cel` 0.15 parses with an ANTLR-generated recursive
/// descent whose frames are large: in a debug build one level of parentheses takes about 150 KiB, so
/// `((((((((((((((1))))))))))))))` overflows a 2 MiB stack (tokio's worker threads) and aborts the
/// process. The parser stops at 96 levels on its own; 64 MiB covers that with room to spare (the
/// memory is reserved, and only the pages used are touched).
const CEL_COMPILE_STACK: usize = 64 * 1024 * 1024;

/// Compiles one expression on a thread of its own with a large stack (see [`CEL_COMPILE_STACK`]), so
/// that no input can overflow the caller's stack; a panic in the compiler becomes an error too.
pub(crate) fn compile_cel(src: &str) -> Result<cel::Program, String> {
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name("cel-compile".into())
            .stack_size(CEL_COMPILE_STACK)
            .spawn_scoped(scope, || {
                cel::Program::compile(src).map_err(|e| {
                    let detail = e
                        .errors
                        .first()
                        .map(|f| {
                            if f.msg.contains("Recursion limit") {
                                "the expression is nested too deeply".to_string()
                            } else {
                                format!(
                                    "{} (expression line {}, column {})",
                                    f.msg, f.pos.0, f.pos.1
                                )
                            }
                        })
                        .unwrap_or_else(|| e.to_string());
                    format!("CEL does not compile: {detail}")
                })
            })
            .map_err(|e| format!("cannot start the CEL compiler: {e}"))?;
        handle.join().unwrap_or_else(|_| {
            Err("CEL does not compile: the compiler failed on this expression".into())
        })
    })
}

fn channel_names() -> String {
    Channel::ALL
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The identifiers an expression reads that no comprehension (`exists`, `all`, `map`, `filter`…)
/// binds. `cel`'s own `references()` also lists the comprehension variables (`e` in
/// `events.exists(e, e.kind == 'opened')`), so this walks the tree itself.
fn free_variables<'a>(expr: &'a IdedExpr, bound: &mut Vec<&'a str>, out: &mut BTreeSet<String>) {
    match &expr.expr {
        Expr::Unspecified | Expr::Literal(_) => {}
        Expr::Ident(name) => {
            if !name.starts_with('@') && !bound.contains(&name.as_str()) {
                out.insert(name.clone());
            }
        }
        Expr::Select(s) => free_variables(&s.operand, bound, out),
        Expr::Call(c) => {
            if let Some(target) = &c.target {
                free_variables(target, bound, out);
            }
            for arg in &c.args {
                free_variables(arg, bound, out);
            }
        }
        Expr::Comprehension(c) => {
            free_variables(&c.iter_range, bound, out);
            free_variables(&c.accu_init, bound, out);
            let depth = bound.len();
            bound.push(&c.iter_var);
            if let Some(v2) = &c.iter_var2 {
                bound.push(v2);
            }
            bound.push(&c.accu_var);
            free_variables(&c.loop_cond, bound, out);
            free_variables(&c.loop_step, bound, out);
            free_variables(&c.result, bound, out);
            bound.truncate(depth);
        }
        Expr::List(l) => {
            for el in &l.elements {
                free_variables(el, bound, out);
            }
        }
        Expr::Map(m) => {
            for en in &m.entries {
                entry(&en.expr, bound, out);
            }
        }
        Expr::Struct(s) => {
            for en in &s.entries {
                entry(&en.expr, bound, out);
            }
        }
    }
}

fn entry<'a>(entry_expr: &'a EntryExpr, bound: &mut Vec<&'a str>, out: &mut BTreeSet<String>) {
    match entry_expr {
        EntryExpr::StructField(f) => free_variables(&f.value, bound, out),
        EntryExpr::MapEntry(m) => {
            free_variables(&m.key, bound, out);
            free_variables(&m.value, bound, out);
        }
    }
}
