//! The typed model of a jurisdiction preset, and the parsing and checking of its YAML file.
//!
//! A file (schema and examples: `docs/policy.md`):
//!
//! ```yaml
//! jurisdiction: CO
//! name: Colombia — Ley 2300 de 2023
//! sources: ["Ley 2300 de 2023, arts. 2-3"]
//! channel_defaults:             # applies to every channel not listed under `channels`,
//!   windows:                    # and to every key a listed channel leaves out
//!     mon-fri: ["07:00-19:00"]  # [from, to) in the debtor's local time; "24:00" ends a day
//!     sat: ["08:00-15:00"]
//!     sun: []                   # empty = no contact that day
//!   basis: law                  # law | default (a default a tenant may widen)
//!   on_holidays: false
//!   consent_required: true
//!   opt_out_notice: false
//! channels:
//!   voice: { opt_out_notice: false }
//! limits:
//!   - id: one_a_day
//!     channels: all             # or a list: [email, sms]
//!     count: per_debtor         # per_debtor | per_debt
//!     per_day: 1
//!     max_channels_per_7_days: 1
//! ```
//!
//! The raw serde types accept exactly the documented keys (`deny_unknown_fields`), then
//! [`Preset::from_yaml`] checks every value and resolves defaults, so a mistake in a file is an
//! error naming the file, the path inside it (`channels.voice.windows.sat[0]`) and the problem.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{NaiveTime, Timelike, Weekday};
use serde::{Deserialize, Serialize};

use super::PolicyError;
use crate::calendar::Jurisdiction;
use crate::portfolio::Channel;

const MINUTES_PER_DAY: u16 = 24 * 60;

/// Weekdays in file order, Monday first (the index is `num_days_from_monday`).
pub(super) const WEEKDAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

const DAY_KEYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// The index of a channel in per-channel arrays: its place in `Channel::ALL`.
fn channel_index(channel: Channel) -> usize {
    match channel {
        Channel::Email => 0,
        Channel::Sms => 1,
        Channel::Whatsapp => 2,
        Channel::Voice => 3,
        Channel::Letter => 4,
    }
}

// ---------------------------------------------------------------------------------------------
// The model an evaluator reads.

/// The contact rules of one jurisdiction's law: the first and least negotiable policy layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preset {
    pub(crate) jurisdiction: Jurisdiction,
    pub(crate) name: String,
    pub(crate) sources: Vec<String>,
    pub(crate) channels: [ChannelRule; 5],
    pub(crate) limits: Vec<Limit>,
}

/// When and how one channel may be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelRule {
    /// The local-time windows per weekday in which a contact may be sent (or a call placed).
    pub windows: WeekWindows,
    /// Whether the windows are the law's ([`WindowBasis::Law`]: a tenant may only narrow them)
    /// or a sensible default where the law sets none ([`WindowBasis::Default`]: a tenant may
    /// replace them).
    pub basis: WindowBasis,
    /// Whether the channel may be used on a public holiday (of the preset's jurisdiction's
    /// calendar), inside that weekday's windows.
    pub on_holidays: bool,
    /// Whether the debtor must have authorised this channel (consent `granted` on the contact
    /// point) before it is used. When false, the consent layer still honours denials and
    /// opt-outs.
    pub consent_required: bool,
    /// Whether every message on this channel must carry a notice of how to opt out of it.
    pub opt_out_notice: bool,
}

/// Where a channel's windows come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowBasis {
    /// Required by the law the preset cites.
    Law,
    /// Not a legal requirement: the law sets no window here and this is our default.
    Default,
}

/// Allowed windows for each day of the week.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeekWindows {
    days: [Vec<TimeWindow>; 7],
}

impl WeekWindows {
    /// The windows of `day`, sorted, not overlapping; empty when the day allows no contact.
    pub fn on(&self, day: Weekday) -> &[TimeWindow] {
        &self.days[day.num_days_from_monday() as usize]
    }

    /// Whether a contact at local `time` on `day` falls in a window.
    pub fn allows(&self, day: Weekday, time: NaiveTime) -> bool {
        self.on(day).iter().any(|w| w.contains(time))
    }

    /// Windows from a list per weekday, Monday first (index `num_days_from_monday`), e.g. a
    /// tenant's narrower windows. Each day's list is sorted; `None` when two windows of a day
    /// overlap.
    pub fn from_days(mut days: [Vec<TimeWindow>; 7]) -> Option<WeekWindows> {
        for day in &mut days {
            day.sort();
            if day.windows(2).any(|p| p[1].from < p[0].to) {
                return None;
            }
        }
        Some(WeekWindows { days })
    }

    /// The same windows on every weekday.
    pub fn every_day(windows: &[TimeWindow]) -> Option<WeekWindows> {
        WeekWindows::from_days(std::array::from_fn(|_| windows.to_vec()))
    }

    /// Every weekday with its windows, Monday first.
    pub fn iter(&self) -> impl Iterator<Item = (Weekday, &[TimeWindow])> {
        WEEKDAYS
            .into_iter()
            .zip(self.days.iter().map(Vec::as_slice))
    }
}

/// A half-open local-time range `[from, to)` within one day; `to` may be the end of the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimeWindow {
    from: u16,
    to: u16,
}

impl TimeWindow {
    /// A window from minutes after midnight; `None` unless `from < to <= 1440`.
    pub fn from_minutes(from: u16, to: u16) -> Option<TimeWindow> {
        (from < to && to <= MINUTES_PER_DAY).then_some(TimeWindow { from, to })
    }

    /// The first allowed instant.
    pub fn start(&self) -> NaiveTime {
        minute_to_time(self.from).unwrap_or(NaiveTime::MIN)
    }

    /// The first instant no longer allowed; `None` when the window runs to the end of the day
    /// (written `24:00`).
    pub fn end(&self) -> Option<NaiveTime> {
        minute_to_time(self.to)
    }

    /// Minutes after midnight of [`TimeWindow::start`].
    pub fn start_minute(&self) -> u16 {
        self.from
    }

    /// Minutes after midnight of the end; 1440 for the end of the day.
    pub fn end_minute(&self) -> u16 {
        self.to
    }

    /// Whether `time` is in `[from, to)`.
    pub fn contains(&self, time: NaiveTime) -> bool {
        let minute = (time.hour() * 60 + time.minute()) as u16;
        self.from <= minute && minute < self.to
    }
}

impl fmt::Display for TimeWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02}:{:02}-{:02}:{:02}",
            self.from / 60,
            self.from % 60,
            self.to / 60,
            self.to % 60
        )
    }
}

fn minute_to_time(minute: u16) -> Option<NaiveTime> {
    NaiveTime::from_hms_opt(u32::from(minute / 60), u32::from(minute % 60), 0)
}

/// Whose contacts a limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CountScope {
    /// All contacts with the debtor, whatever the debt (CO: one a day per person).
    PerDebtor,
    /// Contacts about one debt (US Reg F: seven calls in seven days per debt).
    PerDebt,
}

/// A set of channels a limit applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChannelSet(u8);

impl ChannelSet {
    pub const ALL: ChannelSet = ChannelSet(0b1_1111);

    pub fn contains(self, channel: Channel) -> bool {
        self.0 & (1 << channel_index(channel)) != 0
    }

    pub fn is_all(self) -> bool {
        self == ChannelSet::ALL
    }

    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether every channel of `self` is in `other`.
    pub fn is_subset_of(self, other: ChannelSet) -> bool {
        self.0 & !other.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Channel> {
        Channel::ALL
            .iter()
            .copied()
            .filter(move |c| self.contains(*c))
    }

    fn with(self, channel: Channel) -> ChannelSet {
        ChannelSet(self.0 | (1 << channel_index(channel)))
    }
}

impl FromIterator<Channel> for ChannelSet {
    fn from_iter<I: IntoIterator<Item = Channel>>(iter: I) -> Self {
        iter.into_iter().fold(ChannelSet(0), ChannelSet::with)
    }
}

/// A minimum distance between two consecutive contacts counted by a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MinGap {
    /// The local calendar dates of two contacts differ by at least this many days (2: Monday,
    /// then Wednesday at the earliest).
    pub days: Option<u32>,
    /// At least this many hours elapse between two contacts.
    pub hours: Option<u32>,
}

/// A frequency rule over a set of channels. Every field that is `Some` must hold; a contact is
/// counted by every limit whose `channels` contain its channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    /// Names the limit in decisions and explanations (`calls_7_in_7`).
    pub id: String,
    pub channels: ChannelSet,
    pub count: CountScope,
    /// At most this many contacts per local calendar day.
    pub per_day: Option<u32>,
    /// At most this many contacts in any 7 consecutive local days (the day planned and the 6
    /// before it).
    pub per_7_days: Option<u32>,
    /// At most this many contacts per local calendar month.
    pub per_month: Option<u32>,
    pub min_gap: Option<MinGap>,
    /// At most this many distinct channels of the set used in any 7 consecutive local days.
    pub max_channels_per_7_days: Option<u32>,
    /// After a phone conversation with the debtor (about the debt, for `per_debt`), no contact
    /// on these channels for this many days, the conversation's local date being day 1 (7: a
    /// conversation on a Monday allows the next call the following Monday).
    pub after_conversation_days: Option<u32>,
    /// The legal provision behind the limit, for explanations.
    pub source: Option<String>,
}

impl Preset {
    /// The jurisdiction the preset is for.
    pub fn jurisdiction(&self) -> Jurisdiction {
        self.jurisdiction
    }

    /// A display name, with the main law (`Colombia — Ley 2300 de 2023`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The legal sources the file cites, for explanations.
    pub fn sources(&self) -> &[String] {
        &self.sources
    }

    /// The rule of one channel (defaults already applied).
    pub fn channel(&self, channel: Channel) -> &ChannelRule {
        &self.channels[channel_index(channel)]
    }

    /// Every channel with its rule.
    pub fn channels(&self) -> impl Iterator<Item = (Channel, &ChannelRule)> {
        Channel::ALL.iter().copied().zip(self.channels.iter())
    }

    /// Every limit, in file order.
    pub fn limits(&self) -> &[Limit] {
        &self.limits
    }

    /// The limits that count a contact on `channel`.
    pub fn limits_for(&self, channel: Channel) -> impl Iterator<Item = &Limit> {
        self.limits
            .iter()
            .filter(move |l| l.channels.contains(channel))
    }

    /// Parses and checks one preset file. `file` names it in error messages.
    pub fn from_yaml(file: &str, yaml: &str) -> Result<Preset, PolicyError> {
        let raw: RawFile = yaml_serde::from_str(yaml).map_err(|e| PolicyError::Parse {
            file: file.to_string(),
            message: e.to_string(),
        })?;
        let invalid = |path: &str, message: String| PolicyError::Invalid {
            file: file.to_string(),
            path: path.to_string(),
            message,
        };
        let jurisdiction: Jurisdiction = raw
            .jurisdiction
            .parse()
            .map_err(|e: crate::calendar::CalendarError| invalid("jurisdiction", e.to_string()))?;
        let name = raw.name.trim().to_string();
        if name.is_empty() {
            return Err(invalid("name", "is empty".into()));
        }
        for (index, source) in raw.sources.iter().enumerate() {
            if source.trim().is_empty() {
                return Err(invalid(&format!("sources[{index}]"), "is empty".into()));
            }
        }

        let fault = |(path, message): Fault| PolicyError::Invalid {
            file: file.to_string(),
            path,
            message,
        };
        let defaults = match &raw.channel_defaults {
            Some(partial) => Some(partial.resolve_partial("channel_defaults").map_err(fault)?),
            None => None,
        };
        let mut listed: [Option<(&RawChannel, String)>; 5] = Default::default();
        for (key, rule) in &raw.channels {
            let channel: Channel = key.parse().map_err(|e: crate::portfolio::UnknownValue| {
                invalid(&format!("channels.{key}"), e.to_string())
            })?;
            let index = channel_index(channel);
            if listed[index].is_some() {
                return Err(invalid(
                    &format!("channels.{key}"),
                    format!("channel `{channel}` is listed twice"),
                ));
            }
            listed[index] = Some((rule, format!("channels.{key}")));
        }
        let mut channels = Vec::with_capacity(5);
        for (index, channel) in Channel::ALL.iter().copied().enumerate() {
            let rule = match &listed[index] {
                Some((rule, path)) => rule
                    .resolve_partial(path)
                    .and_then(|r| r.fill(defaults.as_ref(), path))
                    .map_err(fault)?,
                None => match &defaults {
                    Some(default_rule) => default_rule
                        .clone()
                        .fill(None, &format!("channels.{channel}"))
                        .map_err(fault)?,
                    None => {
                        return Err(invalid(
                            &format!("channels.{channel}"),
                            "channel not listed and there are no `channel_defaults`: every \
                             channel must be covered or defaulted explicitly"
                                .into(),
                        ));
                    }
                },
            };
            channels.push(rule);
        }
        let channels: [ChannelRule; 5] = channels
            .try_into()
            .map_err(|_| invalid("channels", "internal: not five channels".into()))?;

        let mut limits: Vec<Limit> = Vec::with_capacity(raw.limits.len());
        for (index, raw_limit) in raw.limits.into_iter().enumerate() {
            let path = format!("limits[{index}]");
            let limit = raw_limit.resolve(&path).map_err(fault)?;
            if limits.iter().any(|other| other.id == limit.id) {
                return Err(invalid(
                    &format!("{path}.id"),
                    format!("`{}` is used by another limit", limit.id),
                ));
            }
            limits.push(limit);
        }

        Ok(Preset {
            jurisdiction,
            name,
            sources: raw
                .sources
                .into_iter()
                .map(|s| s.trim().to_string())
                .collect(),
            channels,
            limits,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Raw serde types: what the YAML may say.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    jurisdiction: String,
    name: String,
    #[serde(default)]
    sources: Vec<String>,
    #[serde(default)]
    channel_defaults: Option<RawChannel>,
    #[serde(default)]
    channels: BTreeMap<String, RawChannel>,
    #[serde(default)]
    limits: Vec<RawLimit>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChannel {
    /// Keys: a weekday (`mon` … `sun`) or a range of them (`mon-fri`); each day exactly once.
    windows: Option<BTreeMap<String, Vec<String>>>,
    basis: Option<WindowBasis>,
    on_holidays: Option<bool>,
    consent_required: Option<bool>,
    opt_out_notice: Option<bool>,
}

/// A channel rule whose windows are checked and whose other keys may still be missing.
#[derive(Clone)]
struct PartialRule {
    windows: Option<WeekWindows>,
    basis: Option<WindowBasis>,
    on_holidays: Option<bool>,
    consent_required: Option<bool>,
    opt_out_notice: Option<bool>,
}

/// A problem at a path inside a file: (path, message).
pub(super) type Fault = (String, String);

impl RawChannel {
    fn resolve_partial(&self, path: &str) -> Result<PartialRule, Fault> {
        let windows = match &self.windows {
            Some(week) => Some(parse_week(week, &format!("{path}.windows"))?),
            None => None,
        };
        Ok(PartialRule {
            windows,
            basis: self.basis,
            on_holidays: self.on_holidays,
            consent_required: self.consent_required,
            opt_out_notice: self.opt_out_notice,
        })
    }
}

impl PartialRule {
    /// Completes the rule from `defaults`; a key missing in both is an error at `path`.
    fn fill(self, defaults: Option<&PartialRule>, path: &str) -> Result<ChannelRule, Fault> {
        fn pick<T>(
            own: Option<T>,
            default: Option<Option<T>>,
            path: &str,
            key: &str,
        ) -> Result<T, Fault> {
            own.or(default.flatten()).ok_or_else(|| {
                (
                    format!("{path}.{key}"),
                    "missing, and no `channel_defaults` gives it".into(),
                )
            })
        }
        let windows = pick(
            self.windows,
            defaults.map(|d| d.windows.clone()),
            path,
            "windows",
        )?;
        let basis = pick(self.basis, defaults.map(|d| d.basis), path, "basis")?;
        let on_holidays = pick(
            self.on_holidays,
            defaults.map(|d| d.on_holidays),
            path,
            "on_holidays",
        )?;
        let consent_required = pick(
            self.consent_required,
            defaults.map(|d| d.consent_required),
            path,
            "consent_required",
        )?;
        let opt_out_notice = pick(
            self.opt_out_notice,
            defaults.map(|d| d.opt_out_notice),
            path,
            "opt_out_notice",
        )?;
        Ok(ChannelRule {
            windows,
            basis,
            on_holidays,
            consent_required,
            opt_out_notice,
        })
    }
}

/// Parses a `windows` map: every weekday exactly once, each window well-formed, sorted and
/// not overlapping.
pub(super) fn parse_week(
    map: &BTreeMap<String, Vec<String>>,
    path: &str,
) -> Result<WeekWindows, Fault> {
    let err = |p: String, message: String| (p, message);
    let mut days: [Option<(Vec<TimeWindow>, &str)>; 7] = Default::default();
    for (key, list) in map {
        let (first, last) = parse_day_key(key).map_err(|m| err(format!("{path}.{key}"), m))?;
        let mut windows = Vec::with_capacity(list.len());
        for (index, source) in list.iter().enumerate() {
            let window =
                parse_window(source).map_err(|m| err(format!("{path}.{key}[{index}]"), m))?;
            windows.push((window, index));
        }
        windows.sort();
        for pair in windows.windows(2) {
            let ((earlier, earlier_index), (later, later_index)) = (pair[0], pair[1]);
            if later.from < earlier.to {
                return Err(err(
                    format!("{path}.{key}[{}]", earlier_index.max(later_index)),
                    format!("window {later} overlaps window {earlier}"),
                ));
            }
        }
        let windows: Vec<TimeWindow> = windows.into_iter().map(|(w, _)| w).collect();
        for day in first..=last {
            if let Some((_, other)) = &days[day] {
                return Err(err(
                    format!("{path}.{key}"),
                    format!("`{}` is covered twice (also by `{other}`)", DAY_KEYS[day]),
                ));
            }
            days[day] = Some((windows.clone(), key.as_str()));
        }
    }
    let mut out: [Vec<TimeWindow>; 7] = Default::default();
    for (day, slot) in days.into_iter().enumerate() {
        match slot {
            Some((windows, _)) => out[day] = windows,
            None => {
                return Err(err(
                    path.to_string(),
                    format!(
                        "`{}` is not covered: give every weekday its windows (`{}: []` for no contact)",
                        DAY_KEYS[day], DAY_KEYS[day]
                    ),
                ));
            }
        }
    }
    Ok(WeekWindows { days: out })
}

/// `mon` → (0, 0); `mon-fri` → (0, 4).
pub(super) fn parse_day_key(key: &str) -> Result<(usize, usize), String> {
    let day = |s: &str| {
        DAY_KEYS.iter().position(|d| *d == s.trim()).ok_or_else(|| {
            format!("`{s}` is not a weekday key (mon, tue, wed, thu, fri, sat, sun, or a range such as mon-fri)")
        })
    };
    match key.split_once('-') {
        None => day(key).map(|d| (d, d)),
        Some((first, last)) => {
            let (first, last) = (day(first)?, day(last)?);
            if first > last {
                return Err(format!(
                    "range `{key}` runs backwards (ranges go Monday to Sunday)"
                ));
            }
            Ok((first, last))
        }
    }
}

/// `"08:00-21:00"` → [08:00, 21:00); `24:00` is allowed as an end.
pub(super) fn parse_window(text: &str) -> Result<TimeWindow, String> {
    let (from_text, to_text) = text
        .split_once('-')
        .ok_or_else(|| format!("`{text}` is not a window `HH:MM-HH:MM`"))?;
    let (from, to) = (parse_hhmm(from_text.trim())?, parse_hhmm(to_text.trim())?);
    if from >= MINUTES_PER_DAY {
        return Err(format!("`{text}` starts at 24:00 or later"));
    }
    if from >= to {
        return Err(format!(
            "`{text}` is empty or runs backwards: `from` must be before `to` (windows do not cross midnight; split them)"
        ));
    }
    TimeWindow::from_minutes(from, to).ok_or_else(|| format!("`{text}` is outside 00:00-24:00"))
}

fn parse_hhmm(text: &str) -> Result<u16, String> {
    let bad = || format!("`{text}` is not a time `HH:MM` between 00:00 and 24:00");
    let (hours, minutes) = text.split_once(':').ok_or_else(bad)?;
    if hours.len() != 2 || minutes.len() != 2 {
        return Err(bad());
    }
    let hours: u16 = hours.parse().map_err(|_| bad())?;
    let minutes: u16 = minutes.parse().map_err(|_| bad())?;
    if minutes >= 60 || hours > 24 || (hours == 24 && minutes != 0) {
        return Err(bad());
    }
    Ok(hours * 60 + minutes)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLimit {
    id: String,
    channels: RawChannels,
    count: CountScope,
    per_day: Option<u32>,
    per_7_days: Option<u32>,
    per_month: Option<u32>,
    min_gap: Option<RawGap>,
    max_channels_per_7_days: Option<u32>,
    after_conversation_days: Option<u32>,
    source: Option<String>,
}

/// `all`, or a list of channel names.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawChannels {
    Keyword(String),
    List(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGap {
    days: Option<u32>,
    hours: Option<u32>,
}

impl RawLimit {
    pub(super) fn resolve(self, path: &str) -> Result<Limit, Fault> {
        let at = |k: &str| format!("{path}.{k}");
        let id = self.id.trim().to_string();
        if id.is_empty() {
            return Err((at("id"), "is empty".into()));
        }
        let channels = match &self.channels {
            RawChannels::Keyword(keyword) if keyword.trim() == "all" => ChannelSet::ALL,
            RawChannels::Keyword(keyword) => {
                return Err((
                    at("channels"),
                    format!("`{keyword}`: write `all` or a list such as [email, sms]"),
                ));
            }
            RawChannels::List(list) => {
                if list.is_empty() {
                    return Err((at("channels"), "is empty".into()));
                }
                let mut set = ChannelSet(0);
                for (index, name) in list.iter().enumerate() {
                    let channel: Channel =
                        name.parse().map_err(|e: crate::portfolio::UnknownValue| {
                            (format!("{path}.channels[{index}]"), e.to_string())
                        })?;
                    if set.contains(channel) {
                        return Err((
                            format!("{path}.channels[{index}]"),
                            format!("`{channel}` is listed twice"),
                        ));
                    }
                    set = set.with(channel);
                }
                set
            }
        };
        for (key, value) in [
            ("per_day", self.per_day),
            ("per_7_days", self.per_7_days),
            ("per_month", self.per_month),
            ("max_channels_per_7_days", self.max_channels_per_7_days),
            ("after_conversation_days", self.after_conversation_days),
        ] {
            if value == Some(0) {
                return Err((at(key), "must be at least 1".into()));
            }
        }
        if let Some(cap) = self.max_channels_per_7_days
            && cap as usize >= channels.len()
        {
            return Err((
                at("max_channels_per_7_days"),
                format!(
                    "{cap} does not limit anything: the limit covers {} channel(s)",
                    channels.len()
                ),
            ));
        }
        if let (Some(per_day), Some(per_7_days)) = (self.per_day, self.per_7_days)
            && per_day > per_7_days
        {
            return Err((
                at("per_day"),
                format!("{per_day} per day is more than the {per_7_days} allowed in 7 days"),
            ));
        }
        let min_gap = match self.min_gap {
            None => None,
            Some(gap) => {
                if gap.days.is_none() && gap.hours.is_none() {
                    return Err((at("min_gap"), "give `days`, `hours` or both".into()));
                }
                if gap.days == Some(0) {
                    return Err((at("min_gap.days"), "must be at least 1".into()));
                }
                if gap.hours == Some(0) {
                    return Err((at("min_gap.hours"), "must be at least 1".into()));
                }
                Some(MinGap {
                    days: gap.days,
                    hours: gap.hours,
                })
            }
        };
        if self.per_day.is_none()
            && self.per_7_days.is_none()
            && self.per_month.is_none()
            && min_gap.is_none()
            && self.max_channels_per_7_days.is_none()
            && self.after_conversation_days.is_none()
        {
            return Err((
                path.to_string(),
                "limits nothing: give per_day, per_7_days, per_month, min_gap, \
                 max_channels_per_7_days or after_conversation_days"
                    .into(),
            ));
        }
        Ok(Limit {
            id,
            channels,
            count: self.count,
            per_day: self.per_day,
            per_7_days: self.per_7_days,
            per_month: self.per_month,
            min_gap,
            max_channels_per_7_days: self.max_channels_per_7_days,
            after_conversation_days: self.after_conversation_days,
            source: self
                .source
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_index_is_the_place_in_channel_all() {
        for (i, c) in Channel::ALL.iter().enumerate() {
            assert_eq!(channel_index(*c), i, "{c}");
        }
    }

    #[test]
    fn windows_parse() {
        let w = parse_window("08:00-24:00").unwrap();
        assert_eq!(w.start(), NaiveTime::from_hms_opt(8, 0, 0).unwrap());
        assert_eq!(w.end(), None);
        assert!(w.contains(NaiveTime::from_hms_opt(23, 59, 59).unwrap()));
        assert!(!w.contains(NaiveTime::from_hms_opt(7, 59, 59).unwrap()));
        assert_eq!(w.to_string(), "08:00-24:00");
        assert!(parse_window("21:00-08:00").is_err());
        assert!(parse_window("08:00-08:00").is_err());
        assert!(parse_window("8:00-09:00").is_err());
        assert!(parse_window("08:00-24:30").is_err());
        assert!(parse_window("24:00-24:00").is_err());
        assert_eq!(parse_day_key("mon-fri").unwrap(), (0, 4));
        assert!(parse_day_key("fri-mon").is_err());
        assert!(parse_day_key("lun").is_err());
    }
}
