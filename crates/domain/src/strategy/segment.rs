//! Segments: named groups of debtors defined by CEL conditions, tried in priority order; the first
//! that holds is the debtor's segment (stored on the debtor, read by strategies as
//! `debtor.segment`).
//!
//! ```yaml
//! segments:
//!   - { id: business, name: Business customers, if: "debtor.kind == 'business'" }
//!   - { id: young, name: Under 30, if: "debtor.age != null && debtor.age < 30" }
//! ```
//!
//! The built-in list is `data/segments/default.yaml`; a tenant may bring their own, as the
//! `segments` of its contact rules ([`crate::policy::ContactRules`], read with
//! `Segments::from_raw`) or as a file of its own ([`Segments::from_yaml`]). Errors have the
//! strategies' form: line, column, path, message.

use std::collections::HashMap;
use std::fmt;
use std::sync::LazyLock;

use serde::Deserialize;

use super::context::{EvalContext, EvalError};
use super::locate::YamlPath;
use super::validate::{check_cel, serde_error};
use super::{Condition, StrategyError};

/// The variables a segment condition may read: the same as a strategy's.
pub const SEGMENT_ROOTS: &[&str] = &["debtor", "debt", "score", "events", "now"];

const DEFAULT_FILE: &str = "default.yaml";
const DEFAULT_YAML: &str = include_str!("../../data/segments/default.yaml");

static BUILTIN: LazyLock<Result<Segments, SegmentsError>> =
    LazyLock::new(|| Segments::from_yaml(DEFAULT_FILE, DEFAULT_YAML));

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a mapping with `segments`")]
struct RawSegments {
    segments: Vec<RawSegment>,
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a segment (a mapping with `id`, `name` and `if`)"
)]
pub(crate) struct RawSegment {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(rename = "if")]
    condition: String,
}

/// One segment.
#[derive(Debug)]
pub struct Segment {
    pub id: String,
    /// A label for people; the id when the file gives none.
    pub name: String,
    /// Compiled, with the path `segments[i].if`.
    pub condition: Condition,
}

/// A checked list of segments, in priority order.
#[derive(Debug)]
pub struct Segments {
    segments: Vec<Segment>,
}

/// A segment file that does not check, with every error found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SegmentsError {
    pub file: String,
    /// Sorted by position.
    pub errors: Vec<StrategyError>,
}

impl fmt::Display for SegmentsError {
    /// One `FILE:LINE:COL: path: message` line per error.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.errors.iter().enumerate() {
            if index > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{}:{error}", self.file)?;
        }
        Ok(())
    }
}

impl Segments {
    /// The built-in segments (`data/segments/default.yaml`).
    pub fn builtin() -> &'static Segments {
        match Segments::try_builtin() {
            Ok(segments) => segments,
            Err(error) => {
                panic!("embedded segments are invalid (the tests should have caught it): {error}")
            }
        }
    }

    /// The built-in segments, or the error in the embedded file.
    pub fn try_builtin() -> Result<&'static Segments, SegmentsError> {
        BUILTIN.as_ref().map_err(Clone::clone)
    }

    /// Reads and checks a segment file; `file` names it in errors. Every error is reported, with
    /// its line and column.
    pub fn from_yaml(file: &str, text: &str) -> Result<Segments, SegmentsError> {
        let fail = |errors| SegmentsError {
            file: file.to_string(),
            errors,
        };
        let raw: RawSegments =
            yaml_serde::from_str(text).map_err(|e| fail(vec![serde_error(text, &e)]))?;
        let root = YamlPath::default().key("segments");
        Segments::from_raw(raw.segments, &root)
            .map_err(|errors| fail(super::validate::located(text, errors)))
    }

    /// Checks segments read as part of a larger document (a tenant's contact rules), whose list
    /// is at `root`; the errors carry their paths, for the caller to locate in its text.
    pub(crate) fn from_raw(
        raw_segments: Vec<RawSegment>,
        root: &YamlPath,
    ) -> Result<Segments, Vec<(YamlPath, String)>> {
        let mut errors: Vec<(YamlPath, String)> = Vec::new();
        if raw_segments.is_empty() {
            errors.push((root.clone(), "the list of segments is empty".into()));
        }
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut segments = Vec::with_capacity(raw_segments.len());
        for (index, raw_segment) in raw_segments.into_iter().enumerate() {
            let path = root.index(index);
            let id = raw_segment.id.trim().to_string();
            if id.is_empty() {
                errors.push((path.key("id"), "the segment id is empty".into()));
            } else if id.chars().any(char::is_whitespace) {
                errors.push((
                    path.key("id"),
                    format!("the segment id `{id}` has spaces: use `-` or `_`"),
                ));
            } else if let Some(first) = seen.get(&id) {
                errors.push((
                    path.key("id"),
                    format!("duplicate segment id `{id}` (first used at segments[{first}])"),
                ));
            } else {
                seen.insert(id.clone(), index);
            }
            let cp = path.key("if");
            match check_cel(&raw_segment.condition, SEGMENT_ROOTS) {
                Ok(program) => segments.push(Segment {
                    name: raw_segment
                        .name
                        .map(|n| n.trim().to_string())
                        .filter(|n| !n.is_empty())
                        .unwrap_or_else(|| id.clone()),
                    id,
                    condition: Condition::from_program(
                        cp.to_string(),
                        &raw_segment.condition,
                        program,
                    ),
                }),
                Err(message) => errors.push((cp, message)),
            }
        }
        if errors.is_empty() {
            return Ok(Segments { segments });
        }
        Err(errors)
    }

    /// The segments, in priority order.
    pub fn list(&self) -> &[Segment] {
        &self.segments
    }

    /// The segment with this id.
    pub fn get(&self, id: &str) -> Option<&Segment> {
        self.segments.iter().find(|s| s.id == id)
    }

    /// The first segment whose condition holds on `ctx`, or `None`. A condition that fails at run
    /// time (say `debtor.attributes.vip` on a debtor without that attribute) stops the assignment
    /// with its error rather than skipping to a later segment: a typo must not move every debtor
    /// silently into the next segment. Write `has(debtor.attributes.vip) && …` for optional keys.
    pub fn assign(&self, ctx: &EvalContext) -> Result<Option<&Segment>, EvalError> {
        for segment in &self.segments {
            if ctx.evaluate(&segment.condition)? {
                return Ok(Some(segment));
            }
        }
        Ok(None)
    }
}
