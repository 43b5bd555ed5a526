//! Contact policy: the jurisdiction presets, kept as data.
//!
//! The policy is layered, strictest wins (GUIDE §6, `docs/policy.md`): jurisdiction preset →
//! tenant policy → debtor preferences → consent and opt-out per contact point → runtime state.
//! This module holds the first layer: each jurisdiction's law as a YAML file under
//! `crates/domain/data/policy/` (sources cited in the files' comments), embedded in the binary and
//! parsed once on first use. [`Evaluator`] (in `evaluate.rs`) applies all the layers to one
//! proposed contact and answers send, defer or deny with a [`ReasonCode`]; what it is given is in
//! `input.rs`, what it answers in `decision.rs`, the rules at one instant in `evaluate/checks.rs`
//! and the search for the earliest allowed instant in `evaluate/search.rs`.
//!
//! ```
//! use chrono::{NaiveTime, Weekday};
//! use recaudo_domain::calendar::Jurisdiction;
//! use recaudo_domain::policy::Preset;
//! use recaudo_domain::portfolio::Channel;
//!
//! let co = Preset::for_jurisdiction(Jurisdiction::Co);
//! let voice = co.channel(Channel::Voice);
//! assert!(voice.windows.allows(Weekday::Sat, NaiveTime::from_hms_opt(14, 59, 0).unwrap()));
//! assert!(voice.windows.on(Weekday::Sun).is_empty());
//! assert!(!voice.on_holidays && voice.consent_required);
//! ```
//!
//! Pure: no I/O, no clock.

mod decision;
mod evaluate;
mod input;
mod preset;
mod rules;

use std::sync::LazyLock;

use crate::calendar::Jurisdiction;

pub use decision::{Decision, Explanation, Layer, ReasonCode, RuleCheck};
pub use evaluate::{DEFAULT_HORIZON_DAYS, Evaluator};
pub use input::{PastContact, Pause, PauseKind, ProposedContact, RuntimeState, TenantPolicy};
pub use preset::{
    ChannelRule, ChannelSet, CountScope, Limit, MinGap, Preset, TimeWindow, WeekWindows,
    WindowBasis,
};
pub use rules::{ContactRules, MAX_PROMISE_GRACE_DAYS};

/// Errors of the policy presets: a file that is not valid YAML for a preset, or a value that
/// breaks a rule, with the path inside the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("policy file `{file}` is not valid YAML for a preset: {message}")]
    Parse { file: String, message: String },
    #[error("policy file `{file}`, `{path}`: {message}")]
    Invalid {
        file: String,
        path: String,
        message: String,
    },
}

/// The embedded file of a jurisdiction: (file name, contents).
fn file(jurisdiction: Jurisdiction) -> (&'static str, &'static str) {
    match jurisdiction {
        Jurisdiction::Br => ("br.yaml", include_str!("../../data/policy/br.yaml")),
        Jurisdiction::BrSp => ("br-sp.yaml", include_str!("../../data/policy/br-sp.yaml")),
        Jurisdiction::BrRj => ("br-rj.yaml", include_str!("../../data/policy/br-rj.yaml")),
        Jurisdiction::Mx => ("mx.yaml", include_str!("../../data/policy/mx.yaml")),
        Jurisdiction::Co => ("co.yaml", include_str!("../../data/policy/co.yaml")),
        Jurisdiction::Cl => ("cl.yaml", include_str!("../../data/policy/cl.yaml")),
        Jurisdiction::Pe => ("pe.yaml", include_str!("../../data/policy/pe.yaml")),
        Jurisdiction::Ar => ("ar.yaml", include_str!("../../data/policy/ar.yaml")),
        Jurisdiction::Es => ("es.yaml", include_str!("../../data/policy/es.yaml")),
        Jurisdiction::Us => ("us.yaml", include_str!("../../data/policy/us.yaml")),
    }
}

fn load_builtin(jurisdiction: Jurisdiction) -> Result<Preset, PolicyError> {
    let (name, yaml) = file(jurisdiction);
    let preset = Preset::from_yaml(name, yaml)?;
    if preset.jurisdiction() != jurisdiction {
        return Err(PolicyError::Invalid {
            file: name.to_string(),
            path: "jurisdiction".into(),
            message: format!(
                "declares {} but is the file of {jurisdiction}",
                preset.jurisdiction()
            ),
        });
    }
    Ok(preset)
}

/// Every built-in preset, in the order of [`Jurisdiction::ALL`].
static BUILTIN: LazyLock<Result<Vec<Preset>, PolicyError>> =
    LazyLock::new(|| Jurisdiction::ALL.into_iter().map(load_builtin).collect());

/// Parses every embedded preset; `Ok` when all are valid. The tests call it, so a bad data
/// file fails the tests rather than a running server.
pub fn check_builtin_files() -> Result<(), PolicyError> {
    BUILTIN.as_ref().map(|_| ()).map_err(Clone::clone)
}

impl Preset {
    /// The built-in preset of `jurisdiction`.
    ///
    /// # Panics
    /// If an embedded preset file is invalid: a build defect that the crate's tests catch
    /// ([`check_builtin_files`]). Use [`Preset::try_for_jurisdiction`] to get the error.
    pub fn for_jurisdiction(jurisdiction: Jurisdiction) -> &'static Preset {
        match Preset::try_for_jurisdiction(jurisdiction) {
            Ok(preset) => preset,
            Err(error) => {
                panic!(
                    "embedded policy preset is invalid (the tests should have caught it): {error}"
                )
            }
        }
    }

    /// The built-in preset of `jurisdiction`, or the error in the embedded data.
    pub fn try_for_jurisdiction(
        jurisdiction: Jurisdiction,
    ) -> Result<&'static Preset, PolicyError> {
        let all = BUILTIN.as_ref().map_err(Clone::clone)?;
        let (name, _) = file(jurisdiction);
        Jurisdiction::ALL
            .iter()
            .position(|x| *x == jurisdiction)
            .and_then(|i| all.get(i))
            .ok_or_else(|| PolicyError::Invalid {
                file: name.to_string(),
                path: "jurisdiction".into(),
                message: format!("no built-in preset for {jurisdiction}"),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_files_are_valid() {
        check_builtin_files().unwrap();
        for j in Jurisdiction::ALL {
            assert_eq!(Preset::for_jurisdiction(j).jurisdiction(), j);
        }
    }
}
