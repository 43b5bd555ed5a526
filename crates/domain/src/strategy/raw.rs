//! The serde types: exactly the keys a strategy file may hold (`deny_unknown_fields`). Values whose
//! syntax is ours (channels, offsets, durations, event kinds, step references) stay strings here so
//! that [`super::validate`] can check them all and report every mistake with its place, not only the
//! first one serde meets.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

use super::Pause;

fn one() -> i64 {
    1
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a strategy (a mapping with `id` and `steps`)"
)]
pub(super) struct RawStrategy {
    pub id: String,
    #[serde(default = "one")]
    pub version: i64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub applies_if: Option<String>,
    #[serde(default)]
    pub priority: i64,
    #[serde(default)]
    pub stop_when: Vec<String>,
    #[serde(default)]
    pub pause_while: Vec<Pause>,
    pub steps: Vec<RawStep>,
    #[serde(default)]
    pub experiments: Vec<RawExperiment>,
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a step (a mapping with `id` and `at`, `send`…)"
)]
pub(super) struct RawStep {
    pub id: String,
    #[serde(default)]
    pub at: Option<String>,
    #[serde(default)]
    pub after: Option<RawAfter>,
    #[serde(default, rename = "if")]
    pub condition: Option<String>,
    #[serde(default)]
    pub send: Option<OneOrMany<RawSend>>,
    #[serde(default)]
    pub task: Option<RawTask>,
    #[serde(default)]
    pub wait_for: Option<RawWaitFor>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a mapping `{event, step, delay}`")]
pub(super) struct RawAfter {
    pub event: String,
    #[serde(default)]
    pub step: Option<String>,
    #[serde(default)]
    pub delay: Option<String>,
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping `{channel, template, fallback}`"
)]
pub(super) struct RawSend {
    pub channel: String,
    pub template: String,
    #[serde(default)]
    pub fallback: Vec<RawFallback>,
}

/// A fallback: a channel name (the message's template), or `{channel, template}`.
#[derive(Deserialize)]
#[serde(
    untagged,
    expecting = "a channel name or a mapping `{channel, template}`"
)]
pub(super) enum RawFallback {
    Channel(String),
    WithTemplate(RawFallbackTemplate),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFallbackTemplate {
    pub channel: String,
    pub template: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a mapping `{queue, script}`")]
pub(super) struct RawTask {
    pub queue: String,
    #[serde(default)]
    pub script: Option<String>,
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping `{any, within, otherwise}`"
)]
pub(super) struct RawWaitFor {
    pub any: Vec<String>,
    pub within: String,
    #[serde(default)]
    pub otherwise: Option<String>,
}

#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "an experiment (a mapping with `id`, `step`, `arms`, `split`)"
)]
pub(super) struct RawExperiment {
    pub id: String,
    pub step: String,
    pub arms: Ordered<RawArm>,
    pub split: Vec<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a mapping `{channel, template}`")]
pub(super) struct RawArm {
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub template: Option<String>,
}

/// `send:` is one `{channel, template}` map or a list of them.
pub(super) enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = OneOrMany<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map `{channel, template}` or a list of them")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(OneOrMany::One)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                Vec::<T>::deserialize(de::value::SeqAccessDeserializer::new(seq))
                    .map(OneOrMany::Many)
            }
        }
        deserializer.deserialize_any(V(PhantomData))
    }
}

/// A map whose order matters (experiment arms match `split` by position).
pub(super) struct Ordered<T>(pub Vec<(String, T)>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Ordered<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Ordered<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map from arm name to overrides, e.g. `{ A: {channel: sms} }`")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((name, overrides)) = map.next_entry::<String, T>()? {
                    out.push((name, overrides));
                }
                Ok(Ordered(out))
            }
        }
        deserializer.deserialize_map(V(PhantomData))
    }
}
