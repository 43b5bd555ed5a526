//! The search for the earliest allowed instant: the candidate instants where the rules can
//! change (midnights, window starts, offset changes, gaps running out), and the local-time
//! arithmetic of DST gaps and overlaps.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc,
};
use chrono_tz::Tz;

use super::{Evaluator, Prepared, Recorder, SECONDS_PER_DAY};

impl Evaluator<'_> {
    /// Whether every rule holds at `instant`.
    fn allowed_at(&self, prepared: &Prepared<'_>, instant: DateTime<Utc>) -> bool {
        let mut recorder = Recorder {
            trace: None,
            first: None,
        };
        self.check_at(prepared, instant, &mut recorder);
        recorder.first.is_none()
    }

    /// The earliest instant at or after `start`, within the horizon, at which every rule
    /// holds.
    ///
    /// Whether the rules hold can only change where the local date changes (midnights), where
    /// the local time reaches a window start (the preset's, the tenant's or the debtor's; both
    /// instants of an ambiguous one), at a UTC-offset change, and where a `min_gap` in hours
    /// runs out. Those instants are the only candidates after `start` itself.
    pub(super) fn search(
        &self,
        prepared: &Prepared<'_>,
        start: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        if self.allowed_at(prepared, start) {
            return Some(start);
        }
        let end = start + Duration::days(i64::from(self.horizon_days));
        let tz = self.timezone;
        // Where a `min_gap` in hours runs out.
        let mut expiries: Vec<DateTime<Utc>> = prepared
            .limits
            .iter()
            .filter_map(|a| a.limit.min_gap.and_then(|g| g.hours))
            .flat_map(|h| {
                prepared
                    .history
                    .iter()
                    .map(move |s| s.at + Duration::hours(i64::from(h)))
            })
            .filter(|e| *e > start && *e <= end)
            .collect();
        expiries.sort_unstable();
        // Day by day (local dates only move forward), so the search stops at the first day
        // with an allowed instant.
        let mut day = start.with_timezone(&tz).date_naive();
        let (mut day_start, _) = resolve_local(tz, day.and_time(NaiveTime::MIN));
        let mut candidates: Vec<DateTime<Utc>> = Vec::new();
        while day_start <= end {
            let next_day = day + Duration::days(1);
            let (next_start, _) = resolve_local(tz, next_day.and_time(NaiveTime::MIN));
            candidates.clear();
            candidates.push(day_start);
            let weekday = day.weekday();
            let mut starts: Vec<u32> = Vec::new();
            if prepared.preset_windows_apply {
                starts.extend(
                    prepared
                        .rule
                        .windows
                        .on(weekday)
                        .iter()
                        .map(|w| u32::from(w.start_minute()) * 60),
                );
            }
            if let Some(windows) = prepared.tenant_windows {
                starts.extend(
                    windows
                        .on(weekday)
                        .iter()
                        .map(|w| u32::from(w.start_minute()) * 60),
                );
            }
            starts.extend(prepared.debtor_hours.iter().map(|(f, _)| *f));
            for seconds in starts.into_iter().filter(|s| *s > 0) {
                let (earliest, later) = resolve_local(tz, day.and_time(seconds_to_time(seconds)));
                candidates.push(earliest);
                candidates.extend(later);
            }
            // A UTC-offset change inside the day.
            if let Some(change) = offset_change(tz, day_start, next_start) {
                candidates.push(change);
            }
            candidates.extend(
                expiries
                    .iter()
                    .filter(|e| day_start <= **e && **e < next_start),
            );
            candidates.retain(|c| *c > start && *c <= end);
            candidates.sort_unstable();
            candidates.dedup();
            if let Some(found) = candidates.iter().find(|c| self.allowed_at(prepared, **c)) {
                return Some(*found);
            }
            if next_start <= day_start {
                break; // cannot happen with real zones; never loop forever
            }
            day = next_day;
            day_start = next_start;
        }
        None
    }
}

fn seconds_to_time(seconds: u32) -> NaiveTime {
    NaiveTime::from_num_seconds_from_midnight_opt(seconds.min(SECONDS_PER_DAY - 1), 0)
        .unwrap_or(NaiveTime::MIN)
}

/// The instant of a local date-time: (earliest, later one if ambiguous). A local time that
/// does not exist (a spring-forward gap) resolves to the first instant that exists after it.
fn resolve_local(tz: Tz, local: NaiveDateTime) -> (DateTime<Utc>, Option<DateTime<Utc>>) {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(instant) => (instant.with_timezone(&Utc), None),
        LocalResult::Ambiguous(first, second) => {
            let (first, second) = (first.with_timezone(&Utc), second.with_timezone(&Utc));
            (first.min(second), Some(first.max(second)))
        }
        LocalResult::None => (first_after_gap(tz, local), None),
    }
}

/// The first existing instant after a local time inside a gap: the offset change itself.
fn first_after_gap(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    // Both offsets around the gap, read a day either side.
    let as_utc = local.and_utc();
    let before = tz
        .offset_from_utc_datetime(&(as_utc - Duration::days(1)).naive_utc())
        .fix();
    let after = tz
        .offset_from_utc_datetime(&(as_utc + Duration::days(1)).naive_utc())
        .fix();
    // `local` read with the old offset lies after the change; with the new one, before it.
    let late = local - before;
    let early = local - after;
    let (lo, hi) = (early.min(late).and_utc(), early.max(late).and_utc());
    // The change is the first instant whose local time is past `local`.
    let past = |t: DateTime<Utc>| t.with_timezone(&tz).naive_local() > local;
    bisect(lo, hi, past).unwrap_or(hi)
}

/// The first instant in `(lo, hi]` where `pred` holds, given it is false then true; to the
/// whole second.
fn bisect(
    lo: DateTime<Utc>,
    hi: DateTime<Utc>,
    pred: impl Fn(DateTime<Utc>) -> bool,
) -> Option<DateTime<Utc>> {
    let at = |s: i64| DateTime::<Utc>::from_timestamp(s, 0);
    let (mut lo, mut hi) = (lo.timestamp(), hi.timestamp());
    if !at(hi).is_some_and(&pred) {
        return None;
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if at(mid).is_some_and(&pred) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    at(hi)
}

/// The instant in `(from, to)` where the UTC offset changes, if it does.
fn offset_change(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let offset = |t: DateTime<Utc>| tz.offset_from_utc_datetime(&t.naive_utc()).fix();
    let last = to - Duration::seconds(1);
    if last <= from || offset(from) == offset(last) {
        return None;
    }
    let start = offset(from);
    bisect(from, last, |t| offset(t) != start)
}
