//! The tenant's own contact rules: a YAML document the tenant sets over the API or the CLI
//! (`docs/policy.md`, "The tenant's rules"), read into the tenant policy layer, the planner's
//! settings and, optionally, the tenant's own segments.
//!
//! ```yaml
//! windows:                       # per channel, or `all`; a channel left out keeps the preset's
//!   all:
//!     mon-fri: ["08:00-18:00"]
//!     sat: ["09:00-13:00"]
//!     sun: []
//!   voice:
//!     mon-fri: ["09:00-17:00"]
//!     sat-sun: []
//! limits:                        # caps of the tenant's own, the same form as a preset's
//!   - { id: three_a_week, channels: all, count: per_debtor, per_7_days: 3 }
//! do_not_contact_days: [2026-12-24, 2026-12-31]
//! one_contact_per_day: true      # default true
//! promise_grace_days: 2          # default 0
//! segments:                      # optional: replaces the built-in segments
//!   - { id: business, if: "debtor.kind == 'business'" }
//! ```
//!
//! The rules are never looser than the jurisdiction's preset: a window that opens earlier or
//! closes later than the law's, a day the law allows no contact, a higher cap or a shorter gap
//! than a law's limit over the same channels is an error naming the law. Windows the preset
//! holds only as a default (`basis: default`: the law sets none) may be replaced, as the
//! evaluator does. Errors have the strategies' form: line, column, path, message.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::ops::RangeInclusive;

use chrono::NaiveDate;
use serde::Deserialize;

use super::preset::{RawLimit, WEEKDAYS, parse_day_key, parse_week, parse_window};
use super::{CountScope, Limit, Preset, TenantPolicy, TimeWindow, WeekWindows, WindowBasis};
use crate::planner::{ONE_CONTACT_PER_DAY, PlanOptions};
use crate::portfolio::Channel;
use crate::strategy::{RawSegment, Seg, Segments, StrategyError, YamlPath, located, serde_error};

/// The longest grace a promise may be given after its date.
pub const MAX_PROMISE_GRACE_DAYS: u32 = 30;

const DAY_NAMES: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// A tenant's contact rules, checked against its jurisdiction's preset.
#[derive(Debug)]
pub struct ContactRules {
    /// The tenant policy layer: windows, extra limits, days without contact.
    pub policy: TenantPolicy,
    /// At most one contact a day per debtor across channels ([`PlanOptions`]).
    pub one_contact_per_day: bool,
    /// Days after a promise's date that it still pauses collection (and may still be kept).
    pub promise_grace_days: u32,
    /// The tenant's own segments; `None`: the built-in ones.
    pub segments: Option<Segments>,
}

impl Default for ContactRules {
    /// No rules of the tenant's own: the preset alone, one contact a day, no grace, the
    /// built-in segments.
    fn default() -> Self {
        ContactRules {
            policy: TenantPolicy::default(),
            one_contact_per_day: PlanOptions::default().one_contact_per_day,
            promise_grace_days: 0,
            segments: None,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping of contact rules (windows, limits, do_not_contact_days, \
                 one_contact_per_day, promise_grace_days, segments)"
)]
struct RawRules {
    #[serde(default)]
    windows: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    #[serde(default)]
    limits: Vec<RawLimit>,
    #[serde(default)]
    do_not_contact_days: Vec<String>,
    #[serde(default)]
    one_contact_per_day: Option<bool>,
    #[serde(default)]
    promise_grace_days: Option<u32>,
    #[serde(default)]
    segments: Option<Vec<RawSegment>>,
}

impl ContactRules {
    /// Reads and checks a tenant's rules against `preset`. An empty document (or comments
    /// only) is no rules of the tenant's own. On failure, every error found, sorted by position;
    /// a document serde cannot read yields that one error.
    pub fn parse(text: &str, preset: &Preset) -> Result<ContactRules, Vec<StrategyError>> {
        let raw: RawRules = match yaml_serde::from_str::<Option<RawRules>>(text) {
            Ok(parsed) => parsed.unwrap_or_default(),
            Err(error) => return Err(vec![serde_error(text, &error)]),
        };
        let mut errors: Vec<(YamlPath, String)> = Vec::new();
        let law = law_name(preset);

        // Windows: `all` first, then each channel's own over it.
        let mut all: Option<WeekWindows> = None;
        let mut own: BTreeMap<Channel, WeekWindows> = BTreeMap::new();
        // `all` stands for the channels without an entry of their own.
        let listed: Vec<Channel> = raw
            .windows
            .keys()
            .filter_map(|k| k.parse::<Channel>().ok())
            .collect();
        for (key, week) in &raw.windows {
            let path = format!("windows.{key}");
            let (channels, is_all) = if key == "all" {
                let rest: Vec<Channel> = Channel::ALL
                    .iter()
                    .copied()
                    .filter(|c| !listed.contains(c))
                    .collect();
                (rest, true)
            } else {
                match key.parse::<Channel>() {
                    Ok(channel) => (vec![channel], false),
                    Err(error) => {
                        errors.push((path_of(&path), format!("{error}, or `all`")));
                        continue;
                    }
                }
            };
            let parsed = match parse_week(week, &path) {
                Ok(parsed) => parsed,
                Err((at, message)) => {
                    errors.push((path_of(&at), message));
                    continue;
                }
            };
            for (day_key, list) in week {
                let Ok((first, last)) = parse_day_key(day_key) else {
                    continue;
                };
                for (index, text) in list.iter().enumerate() {
                    let Ok(window) = parse_window(text) else {
                        continue;
                    };
                    let check = WindowCheck {
                        preset,
                        law: &law,
                        channels: &channels,
                        name_channel: is_all,
                        days: first..=last,
                    };
                    if let Some(message) = check.looser(window) {
                        errors.push((path_of(&format!("{path}.{day_key}[{index}]")), message));
                    }
                }
            }
            if is_all {
                all = Some(parsed);
            } else {
                own.insert(channels[0], parsed);
            }
        }
        let mut windows = BTreeMap::new();
        for channel in Channel::ALL.iter().copied() {
            if let Some(week) = own.remove(&channel).or_else(|| all.clone()) {
                windows.insert(channel, week);
            }
        }

        // Limits.
        let preset_ids: HashSet<&str> = preset.limits().iter().map(|l| l.id.as_str()).collect();
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        let mut limits: Vec<Limit> = Vec::with_capacity(raw.limits.len());
        for (index, raw_limit) in raw.limits.into_iter().enumerate() {
            let path = format!("limits[{index}]");
            let limit = match raw_limit.resolve(&path) {
                Ok(limit) => limit,
                Err((at, message)) => {
                    errors.push((path_of(&at), message));
                    continue;
                }
            };
            let id_path = path_of(&format!("{path}.id"));
            if limit.id == ONE_CONTACT_PER_DAY {
                errors.push((
                    id_path,
                    format!("`{ONE_CONTACT_PER_DAY}` is reserved: set `one_contact_per_day: true`"),
                ));
            } else if preset_ids.contains(limit.id.as_str()) {
                errors.push((
                    id_path,
                    format!(
                        "`{}` is the id of a limit of the {} preset: choose another",
                        limit.id,
                        preset.jurisdiction()
                    ),
                ));
            } else if let Some(first) = seen.get(&limit.id) {
                errors.push((
                    id_path,
                    format!("`{}` is used by limits[{first}]", limit.id),
                ));
            } else {
                seen.insert(limit.id.clone(), index);
            }
            for (field, message) in looser_limit(preset, &law, &limit) {
                errors.push((path_of(&format!("{path}.{field}")), message));
            }
            limits.push(limit);
        }

        let mut do_not_contact_days = BTreeSet::new();
        for (index, text) in raw.do_not_contact_days.iter().enumerate() {
            match NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
                Ok(day) => {
                    do_not_contact_days.insert(day);
                }
                Err(_) => errors.push((
                    YamlPath::default().key("do_not_contact_days").index(index),
                    format!("`{text}` is not a date YYYY-MM-DD"),
                )),
            }
        }

        let promise_grace_days = raw.promise_grace_days.unwrap_or(0);
        if promise_grace_days > MAX_PROMISE_GRACE_DAYS {
            errors.push((
                YamlPath::default().key("promise_grace_days"),
                format!("{promise_grace_days} days: at most {MAX_PROMISE_GRACE_DAYS}"),
            ));
        }

        let segments = match raw.segments {
            None => None,
            Some(list) => match Segments::from_raw(list, &YamlPath::default().key("segments")) {
                Ok(segments) => Some(segments),
                Err(found) => {
                    errors.extend(found);
                    None
                }
            },
        };

        if !errors.is_empty() {
            return Err(located(text, errors));
        }
        Ok(ContactRules {
            policy: TenantPolicy {
                windows,
                limits,
                do_not_contact_days,
            },
            one_contact_per_day: raw
                .one_contact_per_day
                .unwrap_or(PlanOptions::default().one_contact_per_day),
            promise_grace_days,
            segments,
        })
    }

    /// The planner's settings these rules make.
    pub fn plan_options(&self) -> PlanOptions {
        PlanOptions {
            one_contact_per_day: self.one_contact_per_day,
            promise_grace_days: self.promise_grace_days,
        }
    }
}

/// `CO Ley 2300 de 2023`: the jurisdiction and the law of the preset's name.
fn law_name(preset: &Preset) -> String {
    let name = preset.name();
    let law = name.split_once(" — ").map_or(name, |(_, law)| law);
    format!("{} {law}", preset.jurisdiction())
}

/// `windows.sms.mon-fri[0]` as a path to locate.
fn path_of(text: &str) -> YamlPath {
    let mut segments = Vec::new();
    for part in text.split('.') {
        let mut rest = part;
        if let Some(open) = rest.find('[') {
            segments.push(Seg::Key(rest[..open].to_string()));
            rest = &rest[open..];
            while let Some(close) = rest.find(']') {
                if let Ok(index) = rest[1..close].parse() {
                    segments.push(Seg::Index(index));
                }
                rest = &rest[close + 1..];
            }
        } else {
            segments.push(Seg::Key(rest.to_string()));
        }
    }
    YamlPath(segments)
}

fn hhmm(minute: u16) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// A tenant window about to be compared with the law's windows.
struct WindowCheck<'a> {
    preset: &'a Preset,
    law: &'a str,
    channels: &'a [Channel],
    /// The window is under `all`: say which channel's law it breaks.
    name_channel: bool,
    /// Weekdays (Monday = 0) the window is given for.
    days: RangeInclusive<usize>,
}

impl WindowCheck<'_> {
    /// Why `window` allows what the law does not, on the first channel and weekday where it
    /// does; `None` when it is inside the law's windows everywhere (or the law sets none).
    fn looser(&self, window: TimeWindow) -> Option<String> {
        let (from, to) = (window.start_minute(), window.end_minute());
        for &channel in self.channels {
            let rule = self.preset.channel(channel);
            if rule.basis != WindowBasis::Law {
                continue;
            }
            let for_channel = if self.name_channel {
                format!(" for {channel}")
            } else {
                String::new()
            };
            let law = self.law;
            for day in self.days.clone() {
                let allowed = merged(rule.windows.on(WEEKDAYS[day]));
                if allowed.iter().any(|(a, b)| *a <= from && to <= *b) {
                    continue;
                }
                let name = DAY_NAMES[day];
                let message = match (allowed.first(), allowed.last()) {
                    (Some((first, _)), Some((_, last))) => {
                        if from < *first {
                            format!(
                                "opens {} on {name}, earlier than {} allowed{for_channel} by {law}",
                                hhmm(from),
                                hhmm(*first)
                            )
                        } else if to > *last {
                            format!(
                                "closes {} on {name}, later than {} allowed{for_channel} by {law}",
                                hhmm(to),
                                hhmm(*last)
                            )
                        } else {
                            let list: Vec<String> = allowed
                                .iter()
                                .map(|(a, b)| format!("{}-{}", hhmm(*a), hhmm(*b)))
                                .collect();
                            format!(
                                "{window} on {name} is not inside the windows {} allowed\
                                 {for_channel} by {law}",
                                list.join(", ")
                            )
                        }
                    }
                    _ => format!(
                        "allows {window} on {name}, a day {law} allows no contact{for_channel}"
                    ),
                };
                return Some(message);
            }
        }
        None
    }
}

/// A day's windows as minute ranges, adjacent ones joined (`08:00-12:00` and `12:00-18:00`
/// allow `10:00-14:00`).
fn merged(windows: &[TimeWindow]) -> Vec<(u16, u16)> {
    let mut out: Vec<(u16, u16)> = Vec::with_capacity(windows.len());
    for window in windows {
        let (from, to) = (window.start_minute(), window.end_minute());
        match out.last_mut() {
            Some(last) if last.1 >= from => last.1 = last.1.max(to),
            _ => out.push((from, to)),
        }
    }
    out
}

/// The fields of a tenant limit that allow more than a law's limit counting at least the same
/// contacts (its channels include the tenant's, and it counts per debtor or the tenant's counts
/// per debt too): (field, message), one per field.
fn looser_limit(preset: &Preset, law: &str, limit: &Limit) -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    let mut push = |field: &'static str, message: String| {
        if !out.iter().any(|(f, _)| *f == field) {
            out.push((field, message));
        }
    };
    for legal in preset.limits() {
        if !limit.channels.is_subset_of(legal.channels)
            || !(limit.count == legal.count || limit.count == CountScope::PerDebt)
        {
            continue;
        }
        let by = match &legal.source {
            Some(source) => format!("by {law} (limit `{}`: {source})", legal.id),
            None => format!("by {law} (limit `{}`)", legal.id),
        };
        let caps = [
            ("per_day", limit.per_day, legal.per_day, "a day"),
            (
                "per_7_days",
                limit.per_7_days,
                legal.per_7_days,
                "in 7 days",
            ),
            ("per_month", limit.per_month, legal.per_month, "a month"),
            (
                "max_channels_per_7_days",
                limit.max_channels_per_7_days,
                legal.max_channels_per_7_days,
                "channels in 7 days",
            ),
        ];
        for (field, own, allowed, unit) in caps {
            if let (Some(own), Some(allowed)) = (own, allowed)
                && own > allowed
            {
                push(
                    field,
                    format!("{own} {unit} is more than the {allowed} allowed {by}"),
                );
            }
        }
        let floors = [
            (
                "min_gap.days",
                limit.min_gap.and_then(|g| g.days),
                legal.min_gap.and_then(|g| g.days),
                ("day between contacts", "days between contacts"),
            ),
            (
                "min_gap.hours",
                limit.min_gap.and_then(|g| g.hours),
                legal.min_gap.and_then(|g| g.hours),
                ("hour between contacts", "hours between contacts"),
            ),
            (
                "after_conversation_days",
                limit.after_conversation_days,
                legal.after_conversation_days,
                (
                    "day of silence after a conversation",
                    "days of silence after a conversation",
                ),
            ),
        ];
        for (field, own, required, (one, many)) in floors {
            if let (Some(own), Some(required)) = (own, required)
                && own < required
            {
                let unit = if own == 1 { one } else { many };
                push(
                    field,
                    format!("{own} {unit} is fewer than the {required} required {by}"),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_back() {
        assert_eq!(
            path_of("windows.sms.mon-fri[0]").to_string(),
            "windows.sms.mon-fri[0]"
        );
        assert_eq!(
            path_of("limits[2].min_gap.days").to_string(),
            "limits[2].min_gap.days"
        );
    }

    #[test]
    fn adjacent_windows_join() {
        let w = |a, b| TimeWindow::from_minutes(a, b).unwrap();
        assert_eq!(
            merged(&[w(480, 720), w(720, 1080), w(1200, 1260)]),
            vec![(480, 1080), (1200, 1260)]
        );
    }
}
