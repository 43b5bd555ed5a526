//! `--explain`: the lines that tell what was considered for one debt, collected only when
//! asked for.

use crate::policy::Decision;

/// Collects `--explain` lines when on; costs nothing when off.
pub(super) struct Explainer {
    pub(super) on: bool,
    pub(super) lines: Vec<String>,
}

impl Explainer {
    pub(super) fn new(on: bool) -> Explainer {
        Explainer {
            on,
            lines: Vec::new(),
        }
    }

    pub(super) fn say(&mut self, line: impl FnOnce() -> String) {
        if self.on {
            self.lines.push(line());
        }
    }
}

pub(super) fn describe(decision: &Decision) -> String {
    match decision {
        Decision::Send { at } => format!("send at {}", at.to_rfc3339()),
        Decision::Defer { until, reason } => {
            format!("defer until {} ({reason})", until.to_rfc3339())
        }
        Decision::Deny { reason } => format!("deny ({reason})"),
    }
}
