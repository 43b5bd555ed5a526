//! The rules at one instant: the preset's holidays and windows, the tenant's days off and
//! windows, the debtor's weekdays and hours, and every limit over the contacts so far.

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc, Weekday,
};

use super::{ActiveLimit, Evaluator, Prepared, Recorder};
use crate::policy::{
    ChannelSet, CountScope, Layer, PastContact, ReasonCode, RuleCheck, WeekWindows,
};

impl Evaluator<'_> {
    /// Checks the time, day and limit rules at `instant`; the recorder keeps the first
    /// failure.
    pub(super) fn check_at(
        &self,
        prepared: &Prepared<'_>,
        instant: DateTime<Utc>,
        recorder: &mut Recorder<'_>,
    ) {
        let local = instant.with_timezone(&self.timezone);
        let date = local.date_naive();
        let weekday = date.weekday();
        let time = local.time();
        let secs = time.num_seconds_from_midnight();

        // Jurisdiction: holidays, then windows.
        let holiday = !prepared.rule.on_holidays && self.calendar.is_holiday(date);
        if recorder.check(
            Layer::Jurisdiction,
            || "preset.holidays".into(),
            holiday.then_some(ReasonCode::Holiday),
            || match self.calendar.holiday_name(date) {
                Some(name) => format!(
                    "{date} is a holiday ({name}); {} allowed on holidays: {}",
                    prepared.contact.channel, prepared.rule.on_holidays
                ),
                None => format!("{date} is not a holiday"),
            },
        ) {
            return;
        }
        if prepared.preset_windows_apply {
            if recorder.check(
                Layer::Jurisdiction,
                || "preset.windows".into(),
                window_failure(&prepared.rule.windows, weekday, time),
                || describe_windows(&prepared.rule.windows, weekday, local.naive_local()),
            ) {
                return;
            }
        } else if let Some(trace) = &mut recorder.trace {
            trace.push(RuleCheck {
                layer: Layer::Jurisdiction,
                rule: "preset.windows".into(),
                failed: None,
                detail: "default windows replaced by the tenant's".into(),
            });
        }

        // Tenant: days off, windows.
        let day_off = self.tenant.do_not_contact_days.contains(&date);
        if recorder.check(
            Layer::Tenant,
            || "tenant.do_not_contact_days".into(),
            day_off.then_some(ReasonCode::DoNotContactDay),
            || format!("{date} is a do-not-contact day: {day_off}"),
        ) {
            return;
        }
        if let Some(windows) = prepared.tenant_windows
            && recorder.check(
                Layer::Tenant,
                || "tenant.windows".into(),
                window_failure(windows, weekday, time),
                || describe_windows(windows, weekday, local.naive_local()),
            )
        {
            return;
        }

        // Debtor: weekdays, hours.
        let days = &self.preferences.allowed_weekdays;
        let day_ok = days.is_empty() || days.iter().any(|d| d.0 == weekday);
        if recorder.check(
            Layer::Debtor,
            || "debtor.weekdays".into(),
            (!day_ok).then_some(ReasonCode::WeekdayNotAllowed),
            || {
                if days.is_empty() {
                    "no restriction".into()
                } else {
                    let list: Vec<String> = days.iter().map(|d| d.0.to_string()).collect();
                    format!("{weekday} among [{}]: {day_ok}", list.join(", "))
                }
            },
        ) {
            return;
        }
        let hours_ok = prepared.debtor_hours.is_empty()
            || prepared
                .debtor_hours
                .iter()
                .any(|(f, t)| *f <= secs && secs < *t);
        if recorder.check(
            Layer::Debtor,
            || "debtor.hours".into(),
            (!hours_ok).then_some(ReasonCode::DebtorHours),
            || match self.preferences.allowed_hours {
                None => "no restriction".into(),
                Some(h) => format!("{time} in {}-{}: {hours_ok}", h.from, h.to),
            },
        ) {
            return;
        }

        // Limits.
        for active in &prepared.limits {
            if self.check_limit(prepared, active, instant, date, recorder) {
                return;
            }
        }
    }

    /// Checks one limit at `instant` (local date `date`); true when the evaluation may stop.
    fn check_limit(
        &self,
        prepared: &Prepared<'_>,
        active: &ActiveLimit<'_>,
        instant: DateTime<Utc>,
        date: NaiveDate,
        recorder: &mut Recorder<'_>,
    ) -> bool {
        let limit = active.limit;
        let same_debt = |c: &PastContact| {
            limit.count == CountScope::PerDebtor || c.debt == prepared.contact.debt
        };
        let scoped = || {
            prepared
                .history
                .iter()
                .filter(|s| limit.channels.contains(s.contact.channel) && same_debt(s.contact))
        };
        let name = |what: &str| format!("limit.{}.{what}", limit.id);

        if let Some(cap) = limit.per_day {
            let count = scoped().filter(|s| s.date == date).count();
            if recorder.check(
                active.layer,
                || name("per_day"),
                (count as u64 + 1 > u64::from(cap)).then_some(ReasonCode::CapDaily),
                || format!("{count} on {date}, at most {cap} a day"),
            ) {
                return true;
            }
        }
        if let Some(cap) = limit.per_7_days {
            let worst = busiest_week(date, |first, last| {
                scoped()
                    .filter(|s| first <= s.date && s.date <= last)
                    .count()
            });
            if recorder.check(
                active.layer,
                || name("per_7_days"),
                (worst as u64 + 1 > u64::from(cap)).then_some(ReasonCode::CapWeekly),
                || format!("{worst} in the busiest 7 days around {date}, at most {cap}"),
            ) {
                return true;
            }
        }
        if let Some(cap) = limit.per_month {
            let count = scoped()
                .filter(|s| s.date.year() == date.year() && s.date.month() == date.month())
                .count();
            if recorder.check(
                active.layer,
                || name("per_month"),
                (count as u64 + 1 > u64::from(cap)).then_some(ReasonCode::CapMonthly),
                || {
                    format!(
                        "{count} in {}-{:02}, at most {cap} a month",
                        date.year(),
                        date.month()
                    )
                },
            ) {
                return true;
            }
        }
        if let Some(cap) = limit.max_channels_per_7_days {
            let worst = busiest_week(date, |first, last| {
                scoped()
                    .filter(|s| first <= s.date && s.date <= last)
                    .map(|s| s.contact.channel)
                    .chain([prepared.contact.channel])
                    .collect::<ChannelSet>()
                    .len()
            });
            if recorder.check(
                active.layer,
                || name("max_channels_per_7_days"),
                (worst as u64 > u64::from(cap)).then_some(ReasonCode::CapWeeklyChannels),
                || {
                    format!(
                        "{worst} distinct channel(s) with {} in the busiest 7 days around {date}, at most {cap}",
                        prepared.contact.channel
                    )
                },
            ) {
                return true;
            }
        }
        if let Some(gap) = limit.min_gap {
            let too_close = scoped().find(|s| {
                gap.days
                    .is_some_and(|d| (s.date - date).num_days().unsigned_abs() < u64::from(d))
                    || gap.hours.is_some_and(|h| {
                        (s.at - instant).num_seconds().unsigned_abs() < u64::from(h) * 3600
                    })
            });
            if recorder.check(
                active.layer,
                || name("min_gap"),
                too_close.map(|_| ReasonCode::MinGap),
                || match too_close {
                    Some(s) => format!(
                        "{} on {} is closer than {}",
                        s.contact.channel,
                        s.at.to_rfc3339(),
                        describe_gap(gap.days, gap.hours)
                    ),
                    None => format!(
                        "no counted contact closer than {}",
                        describe_gap(gap.days, gap.hours)
                    ),
                },
            ) {
                return true;
            }
        }
        if let Some(days) = limit.after_conversation_days {
            // The conversation's local date is day 1.
            let blocking = prepared.history.iter().find(|s| {
                s.contact.conversation
                    && same_debt(s.contact)
                    && s.date <= date
                    && (date - s.date).num_days() < i64::from(days)
            });
            if recorder.check(
                active.layer,
                || name("after_conversation_days"),
                blocking.map(|_| ReasonCode::AfterConversation),
                || match blocking {
                    Some(s) => format!("conversation on {} (day 1 of {days})", s.date),
                    None => format!("no conversation in the last {days} days"),
                },
            ) {
                return true;
            }
        }
        false
    }
}

/// Why `time` on `day` is outside `windows`, if it is.
/// The largest `measure(first, last)` over every run of 7 consecutive local days (`first` to
/// `last`, both included) that contains `date`: a weekly cap holds in each of them.
fn busiest_week(date: NaiveDate, measure: impl Fn(NaiveDate, NaiveDate) -> usize) -> usize {
    (0..7)
        .map(|back| {
            let first = date - Duration::days(back);
            measure(first, first + Duration::days(6))
        })
        .max()
        .unwrap_or(0)
}

fn window_failure(windows: &WeekWindows, day: Weekday, time: NaiveTime) -> Option<ReasonCode> {
    let list = windows.on(day);
    if list.is_empty() {
        Some(ReasonCode::WeekdayNotAllowed)
    } else if list.iter().any(|w| w.contains(time)) {
        None
    } else {
        Some(ReasonCode::QuietHours)
    }
}

fn describe_windows(windows: &WeekWindows, day: Weekday, local: NaiveDateTime) -> String {
    let list: Vec<String> = windows.on(day).iter().map(|w| w.to_string()).collect();
    if list.is_empty() {
        format!("{local} local: no window on {day}")
    } else {
        format!("{local} local: {day} windows [{}]", list.join(", "))
    }
}

fn describe_gap(days: Option<u32>, hours: Option<u32>) -> String {
    match (days, hours) {
        (Some(days), Some(hours)) => format!("{days} day(s) and {hours} hour(s)"),
        (Some(days), None) => format!("{days} day(s)"),
        (None, Some(hours)) => format!("{hours} hour(s)"),
        (None, None) => "nothing".into(),
    }
}
