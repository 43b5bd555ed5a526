//! The contact-policy evaluator: one table per rule and reason code, the laws of CO, CL and US
//! on concrete dates, DST changes in America/New_York and America/Santiago, and property tests
//! (a send is always allowed; a defer re-evaluated at its `until` is a send).

use std::collections::BTreeSet;

use crate::fixtures::{defer, deny, send, t};
use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Timelike, Utc, Weekday,
};
use chrono_tz::Tz;
use proptest::prelude::*;
use recaudo_domain::DebtId;
use recaudo_domain::calendar::{HolidayCalendar, Jurisdiction};
use recaudo_domain::policy::{
    ChannelSet, CountScope, Decision, Evaluator, Layer, Limit, PastContact, Pause, PauseKind,
    Preset, ProposedContact, ReasonCode, RuntimeState, TenantPolicy, TimeWindow, WeekWindows,
};
use recaudo_domain::portfolio::{Channel, ConsentStatus, HourWindow, Preferences, WeekdayName};

// ---------------------------------------------------------------------------------------------
// Helpers.

fn tz(name: &str) -> Tz {
    name.parse().unwrap()
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

fn window(from: &str, to: &str) -> TimeWindow {
    let m = |s: &str| {
        let (h, mi) = s.split_once(':').unwrap();
        h.parse::<u16>().unwrap() * 60 + mi.parse::<u16>().unwrap()
    };
    TimeWindow::from_minutes(m(from), m(to)).unwrap()
}

fn debt(n: u128) -> DebtId {
    DebtId::from_ulid(ulid::Ulid::from(n + 1))
}

fn contact(at: &str, channel: Channel, debt_no: u128) -> PastContact {
    PastContact {
        at: t(at),
        channel,
        debt: debt(debt_no),
        conversation: false,
    }
}

/// The static layers of one debtor.
struct Setup {
    preset: &'static Preset,
    tenant: TenantPolicy,
    calendar: HolidayCalendar,
    tz: Tz,
    prefs: Preferences,
}

impl Setup {
    fn new(j: Jurisdiction, zone: &str) -> Setup {
        Setup {
            preset: Preset::for_jurisdiction(j),
            tenant: TenantPolicy::default(),
            calendar: HolidayCalendar::for_jurisdiction(j),
            tz: tz(zone),
            prefs: Preferences::default(),
        }
    }

    fn co() -> Setup {
        Setup::new(Jurisdiction::Co, "America/Bogota")
    }

    fn cl() -> Setup {
        Setup::new(Jurisdiction::Cl, "America/Santiago")
    }

    fn us() -> Setup {
        Setup::new(Jurisdiction::Us, "America/New_York")
    }

    fn evaluator(&self) -> Evaluator<'_> {
        Evaluator::new(
            self.preset,
            &self.tenant,
            &self.calendar,
            self.tz,
            &self.prefs,
        )
    }

    /// A contact on `channel` about debt 0, consent granted, not opted out.
    fn eval(&self, channel: Channel, history: &[PastContact], now: &str) -> Decision {
        self.eval_full(&granted(channel, 0), history, &[], t(now))
    }

    fn eval_full(
        &self,
        c: &ProposedContact,
        history: &[PastContact],
        pauses: &[Pause],
        now: DateTime<Utc>,
    ) -> Decision {
        let state = RuntimeState { pauses, history };
        self.evaluator().evaluate(c, &state, now)
    }
}

fn granted(channel: Channel, debt_no: u128) -> ProposedContact {
    ProposedContact {
        channel,
        debt: debt(debt_no),
        consent: ConsentStatus::Granted,
        opted_out: false,
    }
}

fn limit(id: &str) -> Limit {
    Limit {
        id: id.into(),
        channels: ChannelSet::ALL,
        count: CountScope::PerDebtor,
        per_day: None,
        per_7_days: None,
        per_month: None,
        min_gap: None,
        max_channels_per_7_days: None,
        after_conversation_days: None,
        source: None,
    }
}

// ---------------------------------------------------------------------------------------------
// Reason codes and the decision's shape.

#[test]
fn reason_codes_are_stable_snake_case() {
    for r in ReasonCode::ALL {
        let json = serde_json::to_string(r).unwrap();
        assert_eq!(json, format!("\"{}\"", r.as_str()));
        assert_eq!(r.to_string(), r.as_str());
        assert_eq!(serde_json::from_str::<ReasonCode>(&json).unwrap(), *r);
    }
    let required = [
        "quiet_hours",
        "weekday_not_allowed",
        "holiday",
        "debtor_hours",
        "cap_daily",
        "cap_weekly",
        "cap_monthly",
        "cap_weekly_channels",
        "min_gap",
        "after_conversation",
        "no_consent",
        "opted_out",
        "paused_promise",
        "paused_dispute",
        "paused_plan",
        "no_window",
    ];
    let have: BTreeSet<&str> = ReasonCode::ALL.iter().map(|r| r.as_str()).collect();
    for code in required {
        assert!(have.contains(code), "missing reason code {code}");
    }
    assert!(ReasonCode::OptedOut.is_permanent() && ReasonCode::NoConsent.is_permanent());
    assert!(!ReasonCode::QuietHours.is_permanent());
}

#[test]
fn decisions_serialise_with_a_tag() {
    let d = defer("2026-11-23T07:00:00-05:00", ReasonCode::QuietHours);
    assert_eq!(
        serde_json::to_value(d).unwrap(),
        serde_json::json!({"decision": "defer", "until": "2026-11-23T12:00:00Z", "reason": "quiet_hours"})
    );
    assert_eq!(d.kind(), "defer");
    assert_eq!(d.reason(), Some(ReasonCode::QuietHours));
    assert_eq!(d.send_at(), Some(t("2026-11-23T12:00:00Z")));
    let s = send("2026-11-23T12:00:00Z");
    assert_eq!(s.kind(), "send");
    assert_eq!(s.reason(), None);
    assert_eq!(deny(ReasonCode::OptedOut).send_at(), None);
}

// ---------------------------------------------------------------------------------------------
// CO: Ley 2300 de 2023.

#[test]
fn co_windows_weekdays_and_holidays() {
    let co = Setup::co();
    use ReasonCode::*;
    // (now, expected), all in Bogotá time (UTC-5 all year).
    let cases = [
        // Monday 2026-11-23.
        (
            "2026-11-23T06:59:00-05:00",
            defer("2026-11-23T07:00:00-05:00", QuietHours),
        ),
        (
            "2026-11-23T07:00:00-05:00",
            send("2026-11-23T07:00:00-05:00"),
        ),
        (
            "2026-11-23T18:59:59-05:00",
            send("2026-11-23T18:59:59-05:00"),
        ),
        (
            "2026-11-23T19:00:00-05:00",
            defer("2026-11-24T07:00:00-05:00", QuietHours),
        ),
        // Saturday 2026-11-28: 08:00-15:00.
        (
            "2026-11-28T07:30:00-05:00",
            defer("2026-11-28T08:00:00-05:00", QuietHours),
        ),
        (
            "2026-11-28T14:59:00-05:00",
            send("2026-11-28T14:59:00-05:00"),
        ),
        (
            "2026-11-28T15:00:00-05:00",
            defer("2026-11-30T07:00:00-05:00", QuietHours),
        ),
        // Sunday 2026-11-29.
        (
            "2026-11-29T10:00:00-05:00",
            defer("2026-11-30T07:00:00-05:00", WeekdayNotAllowed),
        ),
        // 2026-12-08, Tuesday, Inmaculada Concepción.
        (
            "2026-12-08T10:00:00-05:00",
            defer("2026-12-09T07:00:00-05:00", Holiday),
        ),
        // Monday evening before it: skips the holiday.
        (
            "2026-12-07T19:30:00-05:00",
            defer("2026-12-09T07:00:00-05:00", QuietHours),
        ),
        // Saturday after the window, then Sunday, then Monday 2026-11-16 (a moved holiday).
        (
            "2026-11-14T16:00:00-05:00",
            defer("2026-11-17T07:00:00-05:00", QuietHours),
        ),
        // Christmas Eve evening: 25 is a holiday (Friday), 26 a Saturday.
        (
            "2026-12-24T20:00:00-05:00",
            defer("2026-12-26T08:00:00-05:00", QuietHours),
        ),
    ];
    for (now, want) in cases {
        for ch in [Channel::Sms, Channel::Voice, Channel::Email] {
            assert_eq!(co.eval(ch, &[], now), want, "{ch} at {now}");
        }
    }
}

#[test]
fn co_one_contact_a_day_per_debtor() {
    let co = Setup::co();
    let history = [contact("2026-11-24T08:00:00-05:00", Channel::Sms, 0)];
    let want = defer("2026-11-25T07:00:00-05:00", ReasonCode::CapDaily);
    assert_eq!(
        co.eval(Channel::Sms, &history, "2026-11-24T10:00:00-05:00"),
        want
    );
    // Another debt of the same debtor: counted too (per debtor).
    let other = granted(Channel::Sms, 7);
    assert_eq!(
        co.eval_full(&other, &history, &[], t("2026-11-24T10:00:00-05:00")),
        want
    );
    // A contact planned later the same day counts as well.
    let planned = [contact("2026-11-24T16:00:00-05:00", Channel::Sms, 0)];
    assert_eq!(
        co.eval(Channel::Sms, &planned, "2026-11-24T10:00:00-05:00"),
        want
    );
    // The day before does not.
    let yesterday = [contact("2026-11-23T18:00:00-05:00", Channel::Sms, 0)];
    assert_eq!(
        co.eval(Channel::Sms, &yesterday, "2026-11-24T07:00:00-05:00"),
        send("2026-11-24T07:00:00-05:00")
    );
}

#[test]
fn co_one_channel_in_seven_days() {
    let co = Setup::co();
    let history = [contact("2026-11-23T09:00:00-05:00", Channel::Email, 0)];
    // A second channel: not before the Monday 7 days after the first.
    assert_eq!(
        co.eval(Channel::Sms, &history, "2026-11-24T10:00:00-05:00"),
        defer("2026-11-30T07:00:00-05:00", ReasonCode::CapWeeklyChannels)
    );
    assert_eq!(
        co.eval(Channel::Sms, &history, "2026-11-29T23:00:00-05:00"),
        defer("2026-11-30T07:00:00-05:00", ReasonCode::WeekdayNotAllowed)
    );
    assert_eq!(
        co.eval(Channel::Sms, &history, "2026-11-30T07:00:00-05:00"),
        send("2026-11-30T07:00:00-05:00")
    );
    // The same channel the next day is fine.
    assert_eq!(
        co.eval(Channel::Email, &history, "2026-11-24T10:00:00-05:00"),
        send("2026-11-24T10:00:00-05:00")
    );
}

// ---------------------------------------------------------------------------------------------
// CL: Ley 19.496 art. 37 (Ley 21.320). Santiago is UTC-3 in November.

#[test]
fn cl_calls_once_a_week_and_written_twice_two_days_apart() {
    let cl = Setup::cl();
    use ReasonCode::*;
    let call = [contact("2026-11-23T10:00:00-03:00", Channel::Voice, 0)];
    assert_eq!(
        cl.eval(Channel::Voice, &call, "2026-11-25T10:00:00-03:00"),
        defer("2026-11-30T08:00:00-03:00", CapWeekly)
    );
    // A written message is another limit.
    assert_eq!(
        cl.eval(Channel::Sms, &call, "2026-11-25T10:00:00-03:00"),
        send("2026-11-25T10:00:00-03:00")
    );
    // Written: two days apart.
    let sms = [contact("2026-11-23T10:00:00-03:00", Channel::Sms, 0)];
    assert_eq!(
        cl.eval(Channel::Email, &sms, "2026-11-24T10:00:00-03:00"),
        defer("2026-11-25T08:00:00-03:00", MinGap)
    );
    // Written: at most two in 7 days (Sunday 29 has no window).
    let two = [
        contact("2026-11-23T10:00:00-03:00", Channel::Sms, 0),
        contact("2026-11-25T10:00:00-03:00", Channel::Email, 1),
    ];
    assert_eq!(
        cl.eval(Channel::Whatsapp, &two, "2026-11-27T10:00:00-03:00"),
        defer("2026-11-30T08:00:00-03:00", CapWeekly)
    );
    // Windows: Mon-Sat 08:00-20:00, nothing on Sunday or holidays (2026-12-08).
    assert_eq!(
        cl.eval(Channel::Voice, &[], "2026-11-28T19:59:00-03:00"),
        send("2026-11-28T19:59:00-03:00")
    );
    assert_eq!(
        cl.eval(Channel::Voice, &[], "2026-11-28T20:00:00-03:00"),
        defer("2026-11-30T08:00:00-03:00", QuietHours)
    );
    assert_eq!(
        cl.eval(Channel::Voice, &[], "2026-12-08T09:00:00-03:00"),
        defer("2026-12-09T08:00:00-03:00", Holiday)
    );
}

#[test]
fn cl_week_counts_local_days_across_the_april_change() {
    // Santiago leaves DST on 2026-04-05 at 00:00 -03 (back to 23:00 on the 4th); 2026-04-03
    // and 04 are holidays.
    let cl = Setup::cl();
    let call = [contact("2026-03-30T10:00:00-03:00", Channel::Voice, 0)];
    assert_eq!(
        cl.eval(Channel::Voice, &call, "2026-04-02T10:00:00-03:00"),
        defer("2026-04-06T08:00:00-04:00", ReasonCode::CapWeekly)
    );
}

// ---------------------------------------------------------------------------------------------
// US: Regulation F. New York is UTC-5 in late November.

#[test]
fn us_seven_calls_in_seven_days_per_debt() {
    let us = Setup::us();
    let calls: Vec<PastContact> = (17..=23)
        .map(|d| contact(&format!("2026-11-{d}T10:00:00-05:00"), Channel::Voice, 0))
        .collect();
    // The 8th call about the same debt: the next day the 17th leaves the 7-day run.
    assert_eq!(
        us.eval(Channel::Voice, &calls, "2026-11-23T15:00:00-05:00"),
        defer("2026-11-24T08:00:00-05:00", ReasonCode::CapWeekly)
    );
    // A call about another debt is allowed.
    assert_eq!(
        us.eval_full(
            &granted(Channel::Voice, 1),
            &calls,
            &[],
            t("2026-11-23T15:00:00-05:00")
        ),
        send("2026-11-23T15:00:00-05:00")
    );
    // An email about the same debt too.
    assert_eq!(
        us.eval(Channel::Email, &calls, "2026-11-23T15:00:00-05:00"),
        send("2026-11-23T15:00:00-05:00")
    );
    // Six calls: the 7th is allowed.
    assert_eq!(
        us.eval(Channel::Voice, &calls[1..], "2026-11-23T15:00:00-05:00"),
        send("2026-11-23T15:00:00-05:00")
    );
}

#[test]
fn us_seven_days_after_a_conversation() {
    let us = Setup::us();
    let mut talk = contact("2026-11-23T10:00:00-05:00", Channel::Voice, 0);
    talk.conversation = true;
    let history = [talk];
    // Conversation on Monday = day 1; the next call the following Monday.
    assert_eq!(
        us.eval(Channel::Voice, &history, "2026-11-24T10:00:00-05:00"),
        defer("2026-11-30T08:00:00-05:00", ReasonCode::AfterConversation)
    );
    assert_eq!(
        us.eval(Channel::Voice, &history, "2026-11-29T20:59:00-05:00"),
        defer("2026-11-30T08:00:00-05:00", ReasonCode::AfterConversation)
    );
    assert_eq!(
        us.eval(Channel::Voice, &history, "2026-11-30T08:00:00-05:00"),
        send("2026-11-30T08:00:00-05:00")
    );
    // Another debt, or an email: not affected.
    assert_eq!(
        us.eval_full(
            &granted(Channel::Voice, 1),
            &history,
            &[],
            t("2026-11-24T10:00:00-05:00")
        ),
        send("2026-11-24T10:00:00-05:00")
    );
    assert_eq!(
        us.eval(Channel::Email, &history, "2026-11-24T10:00:00-05:00"),
        send("2026-11-24T10:00:00-05:00")
    );
    // US: 08:00-21:00 every day, holidays included (Thanksgiving 2026-11-26).
    assert_eq!(
        us.eval(Channel::Sms, &[], "2026-11-26T07:00:00-05:00"),
        defer("2026-11-26T08:00:00-05:00", ReasonCode::QuietHours)
    );
}

// ---------------------------------------------------------------------------------------------
// Time zones and DST.

#[test]
fn the_debtors_zone_decides() {
    // A CO tenant in Bogotá (UTC-5) with a debtor in Santiago (UTC-3 in November).
    let mut s = Setup::co();
    s.tz = tz("America/Santiago");
    // 11:30Z: 06:30 in Bogotá (too early there), 08:30 in Santiago.
    assert_eq!(
        s.eval(Channel::Sms, &[], "2026-11-23T11:30:00Z"),
        send("2026-11-23T11:30:00Z")
    );
    // 22:30Z: 17:30 in Bogotá, 19:30 in Santiago: next day 07:00 Santiago.
    assert_eq!(
        s.eval(Channel::Sms, &[], "2026-11-23T22:30:00Z"),
        defer("2026-11-24T07:00:00-03:00", ReasonCode::QuietHours)
    );
    // The daily cap counts the debtor's local day: a contact at 09:00 Santiago on the 23rd
    // does not block 07:30 Santiago on the 24th (still the 24th's early hours in UTC terms).
    let history = [contact("2026-11-23T12:00:00Z", Channel::Sms, 0)];
    assert_eq!(
        s.eval(Channel::Sms, &history, "2026-11-24T10:30:00Z"),
        send("2026-11-24T10:30:00Z")
    );
}

#[test]
fn new_york_spring_forward_2026_03_08() {
    // 02:00 EST jumps to 03:00 EDT at 07:00Z.
    let us = Setup::us();
    use ReasonCode::*;
    assert_eq!(
        us.eval(Channel::Sms, &[], "2026-03-08T06:00:00Z"), // 01:00 EST
        defer("2026-03-08T08:00:00-04:00", QuietHours)      // 12:00Z
    );
    assert_eq!(
        us.eval(Channel::Sms, &[], "2026-03-07T23:00:00-05:00"),
        defer("2026-03-08T12:00:00Z", QuietHours)
    );
    assert_eq!(
        us.eval(Channel::Sms, &[], "2026-03-08T20:59:00-04:00"),
        send("2026-03-08T20:59:00-04:00")
    );
    // A window starting inside the gap (02:30) opens at the first instant after it: 03:00 EDT.
    let mut es = Setup::new(Jurisdiction::Es, "America/New_York");
    es.prefs.allowed_hours = Some(HourWindow {
        from: hm(2, 30),
        to: hm(5, 0),
    });
    assert_eq!(
        es.eval(Channel::Sms, &[], "2026-03-08T06:00:00Z"),
        defer("2026-03-08T07:00:00Z", DebtorHours)
    );
    assert_eq!(
        es.eval(Channel::Sms, &[], "2026-03-08T07:00:00Z"),
        send("2026-03-08T07:00:00Z")
    );
    // The day before, the same window opens at 02:30 EST.
    assert_eq!(
        es.eval(Channel::Sms, &[], "2026-03-07T06:00:00Z"),
        defer("2026-03-07T02:30:00-05:00", DebtorHours)
    );
}

#[test]
fn new_york_fall_back_2026_11_01() {
    // 02:00 EDT falls back to 01:00 EST at 06:00Z: 01:00-02:00 happens twice.
    let us = Setup::us();
    use ReasonCode::*;
    assert_eq!(
        us.eval(Channel::Voice, &[], "2026-11-01T05:00:00Z"), // 01:00 EDT
        defer("2026-11-01T08:00:00-05:00", QuietHours)        // 13:00Z
    );
    assert_eq!(
        us.eval(Channel::Voice, &[], "2026-11-02T01:59:00Z"), // 20:59 EST
        send("2026-11-02T01:59:00Z")
    );
    assert_eq!(
        us.eval(Channel::Voice, &[], "2026-11-02T02:00:00Z"), // 21:00 EST
        defer("2026-11-02T13:00:00Z", QuietHours)
    );
    // A window starting at an ambiguous 01:15: the earlier instant first, then the later.
    let mut es = Setup::new(Jurisdiction::Es, "America/New_York");
    es.prefs.allowed_hours = Some(HourWindow {
        from: hm(1, 15),
        to: hm(3, 0),
    });
    assert_eq!(
        es.eval(Channel::Sms, &[], "2026-11-01T04:00:00Z"), // 00:00 EDT
        defer("2026-11-01T01:15:00-04:00", DebtorHours)     // 05:15Z
    );
    assert_eq!(
        es.eval(Channel::Sms, &[], "2026-11-01T05:50:00Z"), // 01:50 EDT
        send("2026-11-01T05:50:00Z")
    );
    assert_eq!(
        es.eval(Channel::Sms, &[], "2026-11-01T06:05:00Z"), // 01:05 EST, second pass
        defer("2026-11-01T01:15:00-05:00", DebtorHours)     // 06:15Z
    );
}

#[test]
fn santiago_spring_forward_2026_09_06_midnight_does_not_exist() {
    // 2026-09-06 00:00 -04 jumps to 01:00 -03 at 04:00Z.
    let mut es = Setup::new(Jurisdiction::Es, "America/Santiago");
    es.prefs.allowed_weekdays = vec![WeekdayName(Weekday::Sun)];
    assert_eq!(
        es.eval(Channel::Email, &[], "2026-09-06T03:30:00Z"), // Saturday 23:30 -04
        defer("2026-09-06T04:00:00Z", ReasonCode::WeekdayNotAllowed)  // Sunday 01:00 -03
    );
    assert_eq!(
        es.eval(Channel::Email, &[], "2026-09-06T04:00:00Z"),
        send("2026-09-06T04:00:00Z")
    );
    // A CL call on the Saturday evening: next window Monday 08:00 -03.
    let cl = Setup::cl();
    assert_eq!(
        cl.eval(Channel::Voice, &[], "2026-09-05T21:00:00-04:00"),
        defer("2026-09-07T08:00:00-03:00", ReasonCode::QuietHours)
    );
}

#[test]
fn santiago_fall_back_2026_04_05_repeats_the_last_hour_of_the_4th() {
    // 2026-04-05 00:00 -03 falls back to 2026-04-04 23:00 -04 at 03:00Z.
    let mut es = Setup::new(Jurisdiction::Es, "America/Santiago");
    es.prefs.allowed_hours = Some(HourWindow {
        from: hm(23, 30),
        to: hm(0, 0), // to the end of the day
    });
    use ReasonCode::DebtorHours;
    assert_eq!(
        es.eval(Channel::Email, &[], "2026-04-05T01:00:00Z"), // 22:00 -03
        defer("2026-04-04T23:30:00-03:00", DebtorHours)       // 02:30Z, the earlier
    );
    assert_eq!(
        es.eval(Channel::Email, &[], "2026-04-05T02:45:00Z"), // 23:45 -03
        send("2026-04-05T02:45:00Z")
    );
    assert_eq!(
        es.eval(Channel::Email, &[], "2026-04-05T03:10:00Z"), // 23:10 -04, second pass
        defer("2026-04-04T23:30:00-04:00", DebtorHours)       // 03:30Z, the later
    );
    // A window 22:30-23:30 left at 23:30 -03: the fall-back instant (back to 23:00 -04)
    // re-enters it.
    es.prefs.allowed_hours = Some(HourWindow {
        from: hm(22, 30),
        to: hm(23, 30),
    });
    assert_eq!(
        es.eval(Channel::Email, &[], "2026-04-05T02:40:00Z"), // 23:40 -03
        defer("2026-04-05T03:00:00Z", DebtorHours)            // 23:00 -04
    );
}

// ---------------------------------------------------------------------------------------------
// Consent, opt-out, pauses.

#[test]
fn consent_and_opt_out_deny() {
    let co = Setup::co();
    let us = Setup::us();
    let now = t("2026-11-23T10:00:00-05:00");
    let mut c = granted(Channel::Sms, 0);
    use ReasonCode::*;
    // (setup, consent, opted_out, expected)
    let cases = [
        (
            &co,
            ConsentStatus::Granted,
            false,
            send("2026-11-23T10:00:00-05:00"),
        ),
        (&co, ConsentStatus::Unknown, false, deny(NoConsent)),
        (&co, ConsentStatus::Denied, false, deny(NoConsent)),
        (&co, ConsentStatus::OptedOut, false, deny(OptedOut)),
        (&co, ConsentStatus::Granted, true, deny(OptedOut)),
        (
            &us,
            ConsentStatus::Unknown,
            false,
            send("2026-11-23T10:00:00-05:00"),
        ),
        (&us, ConsentStatus::Denied, false, deny(NoConsent)),
        (&us, ConsentStatus::Unknown, true, deny(OptedOut)),
    ];
    for (s, consent, opted_out, want) in cases {
        c.consent = consent;
        c.opted_out = opted_out;
        assert_eq!(
            s.eval_full(&c, &[], &[], now),
            want,
            "{} {consent} {opted_out}",
            s.preset.jurisdiction()
        );
    }
    // Denial wins over a time that would only defer (Sunday).
    c.consent = ConsentStatus::Unknown;
    c.opted_out = false;
    assert_eq!(
        co.eval_full(&c, &[], &[], t("2026-11-29T10:00:00-05:00")),
        deny(NoConsent)
    );
}

#[test]
fn pauses_deny_when_open_ended_and_defer_when_bounded() {
    let co = Setup::co();
    let c = granted(Channel::Sms, 0);
    let now = t("2026-11-23T10:00:00-05:00");
    let promise = |until: &str| Pause {
        kind: PauseKind::Promise,
        until: Some(t(until)),
    };
    use ReasonCode::*;
    let cases = [
        (
            vec![promise("2026-11-25T12:00:00Z")],
            defer("2026-11-25T12:00:00Z", PausedPromise),
        ),
        // Ends on a Sunday: the next allowed instant.
        (
            vec![promise("2026-11-29T12:00:00Z")],
            defer("2026-11-30T07:00:00-05:00", PausedPromise),
        ),
        // Ended already.
        (
            vec![promise("2026-11-20T12:00:00Z")],
            send("2026-11-23T10:00:00-05:00"),
        ),
        (
            vec![Pause {
                kind: PauseKind::Dispute,
                until: None,
            }],
            deny(PausedDispute),
        ),
        (
            vec![
                promise("2026-11-25T12:00:00Z"),
                Pause {
                    kind: PauseKind::Plan,
                    until: None,
                },
            ],
            deny(PausedPlan),
        ),
        (
            vec![
                promise("2026-11-25T12:00:00Z"),
                Pause {
                    kind: PauseKind::Plan,
                    until: Some(t("2026-11-26T12:00:00Z")),
                },
            ],
            defer("2026-11-26T12:00:00Z", PausedPlan),
        ),
    ];
    for (pauses, want) in cases {
        assert_eq!(co.eval_full(&c, &[], &pauses, now), want, "{pauses:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Tenant policy and debtor preferences.

#[test]
fn tenant_windows_narrow_law_windows_and_never_widen_them() {
    let mut co = Setup::co();
    let mut days: [Vec<TimeWindow>; 7] = Default::default();
    for d in days.iter_mut().take(5) {
        d.push(window("09:00", "12:00"));
    }
    co.tenant
        .windows
        .insert(Channel::Sms, WeekWindows::from_days(days).unwrap());
    use ReasonCode::*;
    assert_eq!(
        co.eval(Channel::Sms, &[], "2026-11-23T07:30:00-05:00"),
        defer("2026-11-23T09:00:00-05:00", QuietHours)
    );
    assert_eq!(
        co.eval(Channel::Sms, &[], "2026-11-28T09:00:00-05:00"),
        defer("2026-11-30T09:00:00-05:00", WeekdayNotAllowed)
    );
    // Other channels keep the preset's windows.
    assert_eq!(
        co.eval(Channel::Email, &[], "2026-11-23T07:30:00-05:00"),
        send("2026-11-23T07:30:00-05:00")
    );
    // A wider window is cut to the law's.
    co.tenant.windows.insert(
        Channel::Sms,
        WeekWindows::every_day(&[window("06:00", "22:00")]).unwrap(),
    );
    assert_eq!(
        co.eval(Channel::Sms, &[], "2026-11-23T06:30:00-05:00"),
        defer("2026-11-23T07:00:00-05:00", QuietHours)
    );
    assert_eq!(
        co.eval(Channel::Sms, &[], "2026-11-29T10:00:00-05:00"),
        defer("2026-11-30T07:00:00-05:00", WeekdayNotAllowed)
    );
    // Overlapping windows are refused.
    let mut bad: [Vec<TimeWindow>; 7] = Default::default();
    bad[0] = vec![window("09:00", "12:00"), window("11:00", "13:00")];
    assert!(WeekWindows::from_days(bad).is_none());
}

#[test]
fn tenant_windows_replace_default_windows() {
    // CL written channels: Mon-Sat 08:00-20:00 is our default, not the law; a tenant may set
    // its own. Holidays still apply.
    let mut cl = Setup::cl();
    cl.tenant.windows.insert(
        Channel::Email,
        WeekWindows::every_day(&[window("10:00", "12:00")]).unwrap(),
    );
    assert_eq!(
        cl.eval(Channel::Email, &[], "2026-11-29T10:30:00-03:00"), // Sunday
        send("2026-11-29T10:30:00-03:00")
    );
    assert_eq!(
        cl.eval(Channel::Email, &[], "2026-12-08T10:30:00-03:00"),
        defer("2026-12-09T10:00:00-03:00", ReasonCode::Holiday)
    );
}

#[test]
fn tenant_days_off_and_caps() {
    use ReasonCode::*;
    let mut co = Setup::co();
    co.tenant
        .do_not_contact_days
        .insert(NaiveDate::from_ymd_opt(2026, 11, 24).unwrap());
    assert_eq!(
        co.eval(Channel::Sms, &[], "2026-11-24T10:00:00-05:00"),
        defer("2026-11-25T07:00:00-05:00", DoNotContactDay)
    );

    // Two contacts a month.
    let mut co = Setup::co();
    co.tenant.limits.push(Limit {
        per_month: Some(2),
        ..limit("two_a_month")
    });
    let history = [
        contact("2026-11-03T10:00:00-05:00", Channel::Sms, 0),
        contact("2026-11-10T10:00:00-05:00", Channel::Sms, 0),
    ];
    assert_eq!(
        co.eval(Channel::Sms, &history, "2026-11-23T10:00:00-05:00"),
        defer("2026-12-01T07:00:00-05:00", CapMonthly)
    );
    assert_eq!(
        co.eval(Channel::Sms, &history[..1], "2026-11-23T10:00:00-05:00"),
        send("2026-11-23T10:00:00-05:00")
    );

    // 48 hours between emails (US has no daily cap of its own).
    let mut us = Setup::us();
    us.tenant.limits.push(Limit {
        channels: [Channel::Email].into_iter().collect(),
        min_gap: Some(recaudo_domain::policy::MinGap {
            days: None,
            hours: Some(48),
        }),
        ..limit("email_48h")
    });
    let email = [contact("2026-11-23T10:00:00-05:00", Channel::Email, 0)];
    assert_eq!(
        us.eval(Channel::Email, &email, "2026-11-24T09:00:00-05:00"),
        defer("2026-11-25T10:00:00-05:00", MinGap)
    );
    assert_eq!(
        us.eval(Channel::Sms, &email, "2026-11-24T09:00:00-05:00"),
        send("2026-11-24T09:00:00-05:00")
    );

    // A tenant daily cap per channel on top of the preset.
    let mut us = Setup::us();
    us.tenant.limits.push(Limit {
        channels: [Channel::Sms].into_iter().collect(),
        per_day: Some(1),
        per_7_days: Some(3),
        ..limit("sms_daily")
    });
    let sms = [contact("2026-11-23T09:00:00-05:00", Channel::Sms, 3)];
    assert_eq!(
        us.eval(Channel::Sms, &sms, "2026-11-23T10:00:00-05:00"),
        defer("2026-11-24T08:00:00-05:00", CapDaily)
    );
    let three: Vec<PastContact> = (21..=23)
        .map(|d| contact(&format!("2026-11-{d}T09:00:00-05:00"), Channel::Sms, 0))
        .collect();
    assert_eq!(
        us.eval(Channel::Sms, &three, "2026-11-24T10:00:00-05:00"),
        defer("2026-11-28T08:00:00-05:00", CapWeekly)
    );
}

#[test]
fn debtor_preferences_narrow_further() {
    let mut co = Setup::co();
    co.prefs.allowed_weekdays = vec![WeekdayName(Weekday::Tue), WeekdayName(Weekday::Thu)];
    co.prefs.allowed_hours = Some(HourWindow {
        from: hm(12, 0),
        to: hm(14, 0),
    });
    use ReasonCode::*;
    let cases = [
        (
            "2026-11-23T10:00:00-05:00",
            defer("2026-11-24T12:00:00-05:00", WeekdayNotAllowed),
        ),
        (
            "2026-11-24T10:00:00-05:00",
            defer("2026-11-24T12:00:00-05:00", DebtorHours),
        ),
        (
            "2026-11-24T13:59:00-05:00",
            send("2026-11-24T13:59:00-05:00"),
        ),
        (
            "2026-11-24T14:00:00-05:00",
            defer("2026-11-26T12:00:00-05:00", DebtorHours),
        ),
        // Hours outside the law's window are cut by the preset: 18:00-21:00 → 18:00-19:00.
    ];
    for (now, want) in cases {
        assert_eq!(co.eval(Channel::Sms, &[], now), want, "{now}");
    }
    co.prefs.allowed_weekdays.clear();
    co.prefs.allowed_hours = Some(HourWindow {
        from: hm(18, 0),
        to: hm(21, 0),
    });
    assert_eq!(
        co.eval(Channel::Sms, &[], "2026-11-23T19:30:00-05:00"),
        defer("2026-11-24T18:00:00-05:00", QuietHours)
    );
    // An overnight window (22:00-06:00) shares nothing with the law's: no window at all.
    co.prefs.allowed_hours = Some(HourWindow {
        from: hm(22, 0),
        to: hm(6, 0),
    });
    assert_eq!(
        co.eval(Channel::Sms, &[], "2026-11-23T10:00:00-05:00"),
        deny(NoWindow)
    );
}

#[test]
fn no_window_within_the_horizon() {
    let mut co = Setup::co();
    co.tenant.windows.insert(
        Channel::Sms,
        WeekWindows::from_days(Default::default()).unwrap(),
    );
    assert_eq!(
        co.eval(Channel::Sms, &[], "2026-11-23T10:00:00-05:00"),
        deny(ReasonCode::NoWindow)
    );
    // A horizon of 1 day cannot reach past a long weekend.
    let co = Setup::co();
    let e = co.evaluator().with_horizon_days(1);
    let state = RuntimeState::default();
    assert_eq!(
        e.evaluate(
            &granted(Channel::Sms, 0),
            &state,
            t("2026-11-14T16:00:00-05:00")
        ),
        deny(ReasonCode::NoWindow)
    );
}

#[test]
fn explain_lists_every_rule() {
    let co = Setup::co();
    let history = [contact("2026-11-23T09:00:00-05:00", Channel::Email, 0)];
    let state = RuntimeState {
        pauses: &[],
        history: &history,
    };
    let e = co.evaluator().explain(
        &granted(Channel::Sms, 0),
        &state,
        t("2026-11-23T06:59:00-05:00"),
    );
    assert_eq!(
        e.decision,
        defer("2026-11-30T07:00:00-05:00", ReasonCode::QuietHours)
    );
    let failed: Vec<(&str, ReasonCode)> = e
        .checks
        .iter()
        .filter_map(|c| c.failed.map(|r| (c.rule.as_str(), r)))
        .collect();
    assert_eq!(
        failed,
        vec![
            ("preset.windows", ReasonCode::QuietHours),
            (
                "limit.once_a_day_one_channel_a_week.per_day",
                ReasonCode::CapDaily
            ),
            (
                "limit.once_a_day_one_channel_a_week.max_channels_per_7_days",
                ReasonCode::CapWeeklyChannels
            ),
        ]
    );
    for rule in [
        "contact_point.opt_out",
        "contact_point.consent",
        "runtime.pause",
        "preset.holidays",
        "tenant.do_not_contact_days",
        "debtor.weekdays",
        "debtor.hours",
    ] {
        assert!(e.checks.iter().any(|c| c.rule == rule), "{rule} missing");
    }
    assert!(e.checks.iter().any(|c| c.layer == Layer::Jurisdiction));
    assert!(!e.checks_at_until.is_empty());
    assert!(e.checks_at_until.iter().all(|c| c.passed()));
    let text = e.render();
    assert!(
        text.contains("defer until 2026-11-30T12:00:00+00:00 (quiet_hours)"),
        "{text}"
    );
    assert!(text.contains("FAIL cap_weekly_channels"), "{text}");

    // The same decision as `evaluate`.
    assert_eq!(
        co.evaluator().evaluate(
            &granted(Channel::Sms, 0),
            &state,
            t("2026-11-23T06:59:00-05:00")
        ),
        e.decision
    );
}

// ---------------------------------------------------------------------------------------------
// Properties.

const CHANNELS: &[Channel] = Channel::ALL;

fn y2026(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::seconds(secs)
}

/// A history around `now`, mostly before it, some planned after it: (hours back, channel,
/// debt, conversation).
fn history_strategy() -> impl Strategy<Value = Vec<(i64, usize, u128, bool)>> {
    prop::collection::vec((-72i64..24 * 20, 0usize..5, 0u128..3, any::<bool>()), 0..6)
}

fn build_history(now: DateTime<Utc>, raw: &[(i64, usize, u128, bool)]) -> Vec<PastContact> {
    raw.iter()
        .map(|(h, c, d, conv)| PastContact {
            at: now - Duration::hours(*h),
            channel: CHANNELS[*c],
            debt: debt(*d),
            conversation: *conv,
        })
        .collect()
}

/// Whether CO law allows a contact at `at`, on `channel`, after `history` (checked directly,
/// not through the evaluator).
fn co_allows(at: DateTime<Utc>, channel: Channel, history: &[PastContact]) -> bool {
    let bogota = tz("America/Bogota");
    let cal = HolidayCalendar::for_jurisdiction(Jurisdiction::Co);
    let local = at.with_timezone(&bogota);
    let date = local.date_naive();
    let m = local.hour() * 60 + local.minute();
    let in_window = match date.weekday() {
        Weekday::Sun => false,
        Weekday::Sat => (8 * 60..15 * 60).contains(&m),
        _ => (7 * 60..19 * 60).contains(&m),
    };
    let days = |c: &PastContact| (c.at.with_timezone(&bogota).date_naive() - date).num_days();
    let same_day = history.iter().any(|c| days(c) == 0);
    let other_channel_in_week = history
        .iter()
        .any(|c| c.channel != channel && days(c).abs() < 7);
    in_window && !cal.is_holiday(date) && !same_day && !other_channel_in_week
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn co_sends_only_when_the_law_allows_and_defers_to_a_send(
        secs in 0i64..365 * 86_400,
        ch in 0usize..5,
        raw in history_strategy(),
    ) {
        let co = Setup::co();
        let now = y2026(secs);
        let channel = CHANNELS[ch];
        let history = build_history(now, &raw);
        let c = granted(channel, 0);
        match co.eval_full(&c, &history, &[], now) {
            Decision::Send { at } => {
                prop_assert_eq!(at, now);
                prop_assert!(co_allows(at, channel, &history), "sent at {} against CO law", at);
            }
            Decision::Defer { until, reason } => {
                prop_assert!(until > now);
                prop_assert!(!reason.is_permanent());
                prop_assert!(!co_allows(now, channel, &history), "deferred ({}) an allowed contact", reason);
                prop_assert!(co_allows(until, channel, &history), "deferred to a forbidden {}", until);
                // Re-evaluated at `until`: a send there, or a defer strictly later.
                match co.eval_full(&c, &history, &[], until) {
                    Decision::Send { at } => prop_assert_eq!(at, until),
                    Decision::Defer { until: later, .. } => prop_assert!(later > until),
                    d => prop_assert!(false, "{:?} at {}", d, until),
                }
                // Nothing allowed in between, sampled every 15 minutes.
                let mut probe = now + Duration::minutes(15);
                while probe < until {
                    prop_assert!(!co_allows(probe, channel, &history), "{} was allowed before {}", probe, until);
                    probe += Duration::minutes(15);
                }
            }
            Decision::Deny { reason } => prop_assert!(false, "deny {}", reason),
        }
    }

    #[test]
    fn us_and_cl_defers_are_sends_at_until_across_dst(
        secs in 0i64..365 * 86_400,
        ch in 0usize..5,
        zone in 0usize..3,
        cl in any::<bool>(),
        raw in history_strategy(),
    ) {
        let mut s = if cl { Setup::cl() } else { Setup::us() };
        s.tz = tz(["America/New_York", "America/Santiago", "America/Bogota"][zone]);
        let now = y2026(secs);
        let history = build_history(now, &raw);
        let c = granted(CHANNELS[ch], 1);
        let decision = s.eval_full(&c, &history, &[], now);
        let check_local = |at: DateTime<Utc>| {
            let local = at.with_timezone(&s.tz);
            let h = local.hour();
            if cl {
                local.weekday() != Weekday::Sun && (8..20).contains(&h)
                    && !s.calendar.is_holiday(local.date_naive())
            } else {
                (8..21).contains(&h)
            }
        };
        match decision {
            Decision::Send { at } => prop_assert!(check_local(at)),
            Decision::Defer { until, .. } => {
                prop_assert!(until > now);
                prop_assert!(check_local(until));
                match s.eval_full(&c, &history, &[], until) {
                    Decision::Send { at } => prop_assert_eq!(at, until),
                    Decision::Defer { until: later, .. } => prop_assert!(later > until),
                    d => prop_assert!(false, "{:?} at {}", d, until),
                }
            }
            Decision::Deny { reason } => prop_assert!(false, "deny {}", reason),
        }
    }
}
