//! Time travel: for each jurisdiction, a generated portfolio is planned day after day for 60 days
//! (the injected clock at 00:05, 10:00 and 16:00 of the tenant's local time), every contact the
//! planner decides being fed back as an outbox row, as the store does, and the debtors reacting
//! (opening messages, talking on calls, breaking promises, paying, disputing). Then the law is
//! checked for every debtor over everything sent, in the debtor's local time, together with the
//! planner's own invariants (nothing in the past, nothing about a paused debt, no opted-out
//! point …).
//!
//! The law's windows, holidays and caps are written out below as constants, from the statutes
//! (not read from the presets), so that a wrong preset fails here: `a_wrong_preset_is_caught`
//! plans with six altered presets and expects the breach each one lets through. The portfolio
//! has debtors in other zones than the tenant's, and windows run over DST changes
//! (America/Santiago in April and September, America/New_York in March). The suite also checks
//! that it is not vacuous: a minimum of sends, several channels, contacts around the DST change,
//! and the refusals each law should produce.
//!
//! Size: `RECAUDO_TIME_TRAVEL_DEBTORS` debtors per portfolio (default 40, see [`debtors`]);
//! `RECAUDO_TIME_TRAVEL_DEBTORS=200 cargo test -p recaudo-domain --test planner_time_travel`
//! runs the full portfolios.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Timelike, Utc,
    Weekday,
};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use ulid::Ulid;

use recaudo_domain::calendar::{HolidayCalendar, Jurisdiction};
use recaudo_domain::event::{Event, EventKind};
use recaudo_domain::outbox::ContactState;
use recaudo_domain::planner::{
    DebtFile, DebtorFile, PlanOptions, Planner, PriorContact, StrategyLibrary,
};
use recaudo_domain::policy::{Decision, Preset, ReasonCode, TenantPolicy};
use recaudo_domain::portfolio::{
    Channel, Consent, ConsentStatus, ContactPoint, Debt, DebtStatus, Debtor, DebtorKind,
    HourWindow, Preferences, WeekdayName,
};
use recaudo_domain::strategy::{Segments, TemplateCatalogue, parse_strategy};
use recaudo_domain::{ContactPointId, Country, DebtId, DebtorId, EventId, Money};

// ---------------------------------------------------------------------------------------------
// The law, written out.

/// `[from, to)` in minutes of the local day.
type Window = (u32, u32);

const fn hm(h: u32, m: u32) -> u32 {
    h * 60 + m
}

/// Windows of one channel group: Monday first.
type Week = [&'static [Window]; 7];

const NONE: &[Window] = &[];
const ALL_DAY: &[Window] = &[(0, hm(24, 0))];

/// What the law (or the preset's documented default) allows, per jurisdiction.
struct Law {
    /// Email, SMS, WhatsApp, letter.
    written: Week,
    /// Calls, and agent tasks (an agent calls).
    voice: Week,
    /// No written contact on the holidays below.
    written_not_on_holidays: bool,
    /// No call on the holidays below.
    voice_not_on_holidays: bool,
    /// The public holidays inside the simulated windows (local dates).
    holidays: &'static [&'static str],
}

// Colombia, Ley 2300 de 2023 art. 3: Monday to Friday 07:00–19:00, Saturday 08:00–15:00, never
// on Sundays or public holidays; every channel. Holidays: Ley 51 de 1983 (Inmaculada 8 Dec,
// Navidad, Año Nuevo fixed; Reyes Magos moved to the following Monday: 2027-01-11).
const CO_WEEK: Week = [
    &[(hm(7, 0), hm(19, 0))],
    &[(hm(7, 0), hm(19, 0))],
    &[(hm(7, 0), hm(19, 0))],
    &[(hm(7, 0), hm(19, 0))],
    &[(hm(7, 0), hm(19, 0))],
    &[(hm(8, 0), hm(15, 0))],
    NONE,
];
const CO_LAW: Law = Law {
    written: CO_WEEK,
    voice: CO_WEEK,
    written_not_on_holidays: true,
    voice_not_on_holidays: true,
    holidays: &["2026-12-08", "2026-12-25", "2027-01-01", "2027-01-11"],
};

// Chile, Ley 19.496 art. 37 (Ley 21.320): días y horas hábiles (CPC art. 59: 08:00–20:00,
// Monday to Saturday, not Sundays or holidays) for calls; the preset applies them to written
// channels too. Holidays: Ley 2.977 (8 and 25 Dec, 1 Jan, Viernes y Sábado Santo — Easter 2027
// is 28 March —, 1 May), Ley 20.983 (17 Sep when a Friday: 2027), 18–19 Sep, Ley 19.668
// (12 Oct on a Tuesday moves to the Monday before: 2027-10-11).
const CL_WEEK: Week = [
    &[(hm(8, 0), hm(20, 0))],
    &[(hm(8, 0), hm(20, 0))],
    &[(hm(8, 0), hm(20, 0))],
    &[(hm(8, 0), hm(20, 0))],
    &[(hm(8, 0), hm(20, 0))],
    &[(hm(8, 0), hm(20, 0))],
    NONE,
];
const CL_LAW: Law = Law {
    written: CL_WEEK,
    voice: CL_WEEK,
    written_not_on_holidays: true,
    voice_not_on_holidays: true,
    holidays: &[
        "2026-12-08",
        "2026-12-25",
        "2027-01-01",
        "2027-03-26",
        "2027-03-27",
        "2027-05-01",
        "2027-09-17",
        "2027-09-18",
        "2027-09-19",
        "2027-10-11",
    ],
};

// United States, 12 CFR 1006.6(b)(1)(i): not before 08:00 or after 21:00 at the consumer's
// location, any day (no holiday rule).
const US_WEEK: Week = [&[(hm(8, 0), hm(21, 0))]; 7];
const US_LAW: Law = Law {
    written: US_WEEK,
    voice: US_WEEK,
    written_not_on_holidays: false,
    voice_not_on_holidays: false,
    holidays: &[],
};

// Brazil: the CDC has no hour rule; the preset's default (documented in br.yaml) is Monday to
// Friday 08:00–20:00, Saturday 08:00–14:00, not Sundays or holidays. São Paulo, Lei estadual
// 15.426/2014 art. 2: the same hours for calls, by law. Rio de Janeiro, Lei estadual
// 6.854/2014 art. 3 § 4º (Lei 7.868/2018): calls on working days only, 09:00–19:00.
// Holidays: Lei 662/1949 (25 Dec, 1 Jan), Lei 14.759/2023 (20 Nov).
const BR_WEEK: Week = [
    &[(hm(8, 0), hm(20, 0))],
    &[(hm(8, 0), hm(20, 0))],
    &[(hm(8, 0), hm(20, 0))],
    &[(hm(8, 0), hm(20, 0))],
    &[(hm(8, 0), hm(20, 0))],
    &[(hm(8, 0), hm(14, 0))],
    NONE,
];
const BR_HOLIDAYS: &[&str] = &["2026-11-20", "2026-12-25", "2027-01-01"];
const BR_LAW: Law = Law {
    written: BR_WEEK,
    voice: BR_WEEK,
    written_not_on_holidays: true,
    voice_not_on_holidays: true,
    holidays: BR_HOLIDAYS,
};
const RJ_CALLS: Week = [
    &[(hm(9, 0), hm(19, 0))],
    &[(hm(9, 0), hm(19, 0))],
    &[(hm(9, 0), hm(19, 0))],
    &[(hm(9, 0), hm(19, 0))],
    &[(hm(9, 0), hm(19, 0))],
    NONE,
    NONE,
];
const BR_RJ_LAW: Law = Law {
    written: BR_WEEK,
    voice: RJ_CALLS,
    written_not_on_holidays: true,
    voice_not_on_holidays: true,
    holidays: BR_HOLIDAYS,
};

// Peru, Ley 29571 art. 62 lit. b: no calls or visits between 20:00 and 07:00, nor on Saturdays,
// Sundays or holidays; the preset applies the same hours to written channels (its default).
// Holidays: D. Leg. 713 (8 and 25 Dec, 1 Jan), Ley 31381 (9 Dec, Batalla de Ayacucho).
const PE_WEEK: Week = [
    &[(hm(7, 0), hm(20, 0))],
    &[(hm(7, 0), hm(20, 0))],
    &[(hm(7, 0), hm(20, 0))],
    &[(hm(7, 0), hm(20, 0))],
    &[(hm(7, 0), hm(20, 0))],
    NONE,
    NONE,
];
const PE_LAW: Law = Law {
    written: PE_WEEK,
    voice: PE_WEEK,
    written_not_on_holidays: true,
    voice_not_on_holidays: true,
    holidays: &["2026-12-08", "2026-12-09", "2026-12-25", "2027-01-01"],
};

// Mexico, CONDUSEF, Disposiciones en materia de Despachos de Cobranza (DOF 2014-10-07):
// 07:00–22:00 at the debtor's location, every day.
const MX_WEEK: Week = [&[(hm(7, 0), hm(22, 0))]; 7];
const MX_LAW: Law = Law {
    written: MX_WEEK,
    voice: MX_WEEK,
    written_not_on_holidays: false,
    voice_not_on_holidays: false,
    holidays: &[],
};

// Spain and Argentina: no legal window (Ley 16/2011, LOPDGDD art. 20; Ley 24.240 art. 8 bis).
const OPEN_LAW: Law = Law {
    written: [ALL_DAY; 7],
    voice: [ALL_DAY; 7],
    written_not_on_holidays: false,
    voice_not_on_holidays: false,
    holidays: &[],
};

fn law(j: Jurisdiction) -> &'static Law {
    match j {
        Jurisdiction::Co => &CO_LAW,
        Jurisdiction::Cl => &CL_LAW,
        Jurisdiction::Us => &US_LAW,
        Jurisdiction::Br | Jurisdiction::BrSp => &BR_LAW,
        Jurisdiction::BrRj => &BR_RJ_LAW,
        Jurisdiction::Pe => &PE_LAW,
        Jurisdiction::Mx => &MX_LAW,
        Jurisdiction::Es | Jurisdiction::Ar => &OPEN_LAW,
    }
}

/// Frequency rules, per jurisdiction (checked in [`check_frequency`]):
/// - CO, Ley 2300 de 2023: at most one contact a day, and not through more than one channel in
///   a week (read: any 7 consecutive local dates).
/// - CL, Ley 19.496 art. 37: at most one call (or visit) a week; other means at most two a
///   week, at least two days apart (read: local dates differing by 2 or more).
/// - US, 12 CFR 1006.14(b)(2)(i): at most 7 calls in 7 consecutive days about a debt, and none
///   within 7 days after a phone conversation about it (its date being day 1).
const WRITTEN: [Channel; 4] = [
    Channel::Email,
    Channel::Sms,
    Channel::Whatsapp,
    Channel::Letter,
];

// ---------------------------------------------------------------------------------------------
// The strategies: many steps on every channel, fallbacks, a wait, a task, `best`, an event step,
// an experiment — so that the law has something to refuse. No `stop_when`: a paid debt leaves
// the debtor's file, as the store passes only active debts (and a `stop_when` would build a CEL
// context per debt and run, doubling the suite's time in a debug build).

const PERSONS: &str = r#"
id: stress
priority: 10
applies_if: "debtor.kind == 'person'"
pause_while: [promise_active, dispute_open, plan_current]
steps:
  - { id: pre-5, at: due-5d, send: { channel: email, template: reminder_soft, fallback: [sms] } }
  - id: due
    at: due
    send: [ { channel: sms, template: due_today, fallback: [whatsapp, email] }, { channel: email, template: payment_link } ]
  - id: late-2
    at: due+2d
    send: { channel: whatsapp, template: overdue_soft, fallback: [sms, email] }
    wait_for: { any: [opened, clicked, replied], within: 2d, otherwise: late-2-call }
  - { id: late-2-call, send: { channel: voice, template: ivr_overdue, fallback: [sms] } }
  - { id: late-5, at: due+5d, send: { channel: best, template: payment_link, fallback: [email, letter] } }
  - { id: late-7, at: due+7d, send: { channel: voice, template: ivr_overdue, fallback: [whatsapp] } }
  - id: agent
    at: due+9d
    if: "debt.balance > 1500.0"
    task: { queue: agents, script: negotiate }
  - { id: late-9, at: due+9d, send: { channel: sms, template: overdue_firm, fallback: [email] } }
  - { id: late-11, at: due+11d, send: { channel: voice, template: ivr_overdue } }
  - { id: late-12, at: due+12d, send: { channel: whatsapp, template: overdue_firm, fallback: [sms] } }
  - { id: late-14, at: due+14d, send: { channel: letter, template: formal_notice, fallback: [email] } }
  - { id: late-16, at: due+16d, send: { channel: voice, template: ivr_overdue } }
  - { id: late-17, at: due+17d, send: { channel: email, template: overdue_firm } }
  - { id: late-19, at: due+19d, send: { channel: sms, template: final_notice, fallback: [whatsapp] } }
  - { id: late-20, at: due+20d, send: { channel: voice, template: ivr_overdue } }
  - { id: late-21, at: due+21d, send: { channel: voice, template: ivr_overdue } }
  - { id: late-22, at: due+22d, send: { channel: voice, template: ivr_overdue } }
  - { id: late-23, at: due+23d, send: { channel: voice, template: ivr_overdue } }
  - { id: late-24, at: due+24d, send: { channel: voice, template: ivr_overdue } }
  - { id: late-25, at: due+25d, send: { channel: voice, template: ivr_overdue } }
  - { id: late-26, at: due+26d, send: { channel: voice, template: ivr_overdue } }
  - { id: late-27, at: due+27d, send: { channel: voice, template: ivr_overdue } }
  - { id: late-28, at: due+28d, send: { channel: voice, template: ivr_overdue } }
  - id: broken
    after: { event: promise_broken, delay: 1d }
    send: { channel: sms, template: promise_reminder, fallback: [email] }
  - { id: late-30, at: due+30d, send: { channel: letter, template: final_notice } }
  - id: late-35
    at: due+35d
    send: [ { channel: email, template: final_notice }, { channel: whatsapp, template: final_notice } ]
  - { id: late-40, at: due+40d, send: { channel: sms, template: final_notice } }
  - { id: late-50, at: due+50d, send: { channel: voice, template: ivr_overdue } }
experiments:
  - { id: wa-vs-sms, step: late-2, arms: { A: {channel: whatsapp}, B: {channel: sms} }, split: [50, 50] }
"#;

const BUSINESSES: &str = r#"
id: b2b
priority: 20
applies_if: "debtor.kind == 'business'"
pause_while: [promise_active, dispute_open, plan_current]
steps:
  - { id: invoice, at: due-7d, send: { channel: email, template: invoice_copy } }
  - id: due
    at: due
    send: { channel: email, template: due_today, fallback: [letter] }
    wait_for: { any: [opened, replied], within: 1d, otherwise: due-call }
  - { id: due-call, task: { queue: accounts, script: confirm-invoice-received } }
  - { id: late-7, at: due+7d, send: { channel: best, template: overdue_soft, fallback: [email] } }
  - { id: late-14, at: due+14d, task: { queue: accounts, script: call-finance-contact } }
  - { id: statement, at: due+30d, send: { channel: email, template: statement } }
"#;

// ---------------------------------------------------------------------------------------------
// The scenarios.

struct Scenario {
    jurisdiction: Jurisdiction,
    /// A preset to plan with instead of the built-in one (to show that a wrong one is caught).
    preset: Option<Preset>,
    debtors: usize,
    country: Country,
    tenant_zone: &'static str,
    /// Zones of the debtors who live elsewhere (a quarter of them).
    other_zones: &'static [&'static str],
    start: &'static str,
    days: i64,
    one_contact_per_day: bool,
    seed: u64,
    /// Refusals the law (or the portfolio) must have produced.
    expect: &'static [ReasonCode],
    /// The local date of a DST change in the window: contacts must have gone out around it.
    dst_change: Option<&'static str>,
}

/// Debtors per portfolio: `RECAUDO_TIME_TRAVEL_DEBTORS`, default [`DEFAULT_DEBTORS`]. A plan run
/// costs about 0.15 ms per debtor in a debug build (half of it building the CEL context the
/// segments are evaluated on), and the suite makes 180 runs over 13 portfolios; the default
/// keeps `cargo test` short, 200 is the full portfolio.
fn debtors() -> usize {
    std::env::var("RECAUDO_TIME_TRAVEL_DEBTORS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_DEBTORS)
}

const DEFAULT_DEBTORS: usize = 40;
/// The tenant-local times of the day's plan runs.
const RUNS: [(u32, u32); 3] = [(0, 5), (10, 0), (16, 0)];

/// Refusals every portfolio produces: disputes, opt-outs and missing points.
const COMMON: [ReasonCode; 3] = [
    ReasonCode::PausedDispute,
    ReasonCode::OptedOut,
    ReasonCode::NoContactPoint,
];

// ---------------------------------------------------------------------------------------------
// A deterministic generator (a 64-bit LCG; Knuth's MMIX constants).

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// True `pct` times in a hundred.
    fn chance(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

// ---------------------------------------------------------------------------------------------
// The portfolio.

fn date(s: &str) -> NaiveDate {
    NaiveDate::from_str(s).unwrap_or_else(|e| panic!("bad date {s}: {e}"))
}

fn zone(name: &str) -> Tz {
    name.parse().unwrap_or_else(|_| panic!("bad zone {name}"))
}

/// The first instant of a local time (the next existing one in a DST gap).
fn instant(tz: Tz, day: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    let mut t = day.and_time(NaiveTime::from_hms_opt(h, m, 0).expect("time"));
    loop {
        match tz.from_local_datetime(&t) {
            LocalResult::Single(x) | LocalResult::Ambiguous(x, _) => return x.with_timezone(&Utc),
            LocalResult::None => t += Duration::minutes(30),
        }
    }
}

/// How a simulated debtor behaves.
struct Behaviour {
    tz: Tz,
    /// Opens some of the messages it gets (answers a `wait_for`).
    opens: bool,
    /// Talks on some of the calls it gets (a `replied` event on a voice contact).
    talks: bool,
    /// Per debt: the local date it is paid (leaves the portfolio), and the one a dispute opens.
    paid_on: BTreeMap<DebtId, NaiveDate>,
    disputed_on: BTreeMap<DebtId, NaiveDate>,
}

fn portfolio(sc: &Scenario, rng: &mut Lcg) -> (Vec<DebtorFile>, Vec<Behaviour>) {
    let start = date(sc.start);
    let created = instant(zone(sc.tenant_zone), start, 0, 0) - Duration::days(90);
    let mut files = Vec::new();
    let mut behaviours = Vec::new();
    let mut next_id: u128 = 1;
    let mut id = || {
        next_id += 1;
        Ulid::from(next_id)
    };
    for i in 0..sc.debtors {
        let zone_name = if rng.chance(25) {
            *rng.pick(sc.other_zones)
        } else {
            sc.tenant_zone
        };
        let kind = if rng.chance(12) {
            DebtorKind::Business
        } else {
            DebtorKind::Person
        };
        let birth = match rng.below(4) {
            0 => None,
            k => Some(
                date("1950-03-01") + Duration::days(365 * 15 * k as i64 + rng.below(3000) as i64),
            ),
        };
        let mut preferences = Preferences::default();
        if rng.chance(20) {
            preferences.preferred_channel = Some(*rng.pick(Channel::ALL));
        }
        if rng.chance(8) {
            let (from, to) = *rng.pick(&[(9, 12), (18, 23), (12, 14)]);
            preferences.allowed_hours = Some(HourWindow {
                from: NaiveTime::from_hms_opt(from, 0, 0).expect("time"),
                to: NaiveTime::from_hms_opt(to, 0, 0).expect("time"),
            });
        }
        if rng.chance(6) {
            preferences.allowed_weekdays = [Weekday::Tue, Weekday::Thu, Weekday::Sat]
                .into_iter()
                .map(WeekdayName)
                .collect();
        }
        preferences.paperless = rng.chance(10);
        let debtor = Debtor {
            id: DebtorId::from_ulid(id()),
            external_id: format!("D-{i}"),
            kind,
            name: format!("Debtor {i}"),
            document_type: None,
            document_number: None,
            birth_date: birth,
            language: sc.country.language(),
            timezone: zone_name.into(),
            country: sc.country,
            segment: None,
            computed_segment: None,
            tags: Vec::new(),
            attributes: serde_json::json!({}),
            preferences,
            created_at: created,
            updated_at: created,
        };
        let mut points = Vec::new();
        for (channel, pct) in [
            (Channel::Email, 85),
            (Channel::Sms, 80),
            (Channel::Whatsapp, 65),
            (Channel::Voice, 75),
            (Channel::Letter, 60),
        ] {
            if !rng.chance(pct) {
                continue;
            }
            let status = match rng.below(100) {
                0..85 => ConsentStatus::Granted,
                85..93 => ConsentStatus::Unknown,
                93..97 => ConsentStatus::Denied,
                _ => ConsentStatus::OptedOut,
            };
            points.push(ContactPoint {
                id: ContactPointId::from_ulid(id()),
                debtor_id: debtor.id,
                channel,
                address: format!("{channel}-{i}"),
                postal: None,
                verified: true,
                consent: Consent {
                    status,
                    source: Some("import".into()),
                    at: Some(created),
                },
                opted_out_at: rng.chance(5).then_some(created),
                priority: 0,
                bounce_count: 0,
                created_at: created,
            });
        }
        let mut debts = Vec::new();
        let mut paid_on = BTreeMap::new();
        let mut disputed_on = BTreeMap::new();
        for k in 0..1 + rng.below(3) {
            let due = start + Duration::days(rng.below(86) as i64 - 45);
            let balance = Decimal::from(100 + rng.below(3000));
            let currency = sc.country.currency();
            let (status, promise_due) = match rng.below(100) {
                0..80 => (DebtStatus::Open, None),
                80..85 => (DebtStatus::Disputed, None),
                85..95 => (
                    DebtStatus::Promised,
                    Some(start + Duration::days(rng.below(25) as i64)),
                ),
                _ => (DebtStatus::Plan, None),
            };
            let debt = Debt {
                id: DebtId::from_ulid(id()),
                debtor_id: debtor.id,
                external_id: format!("F-{i}-{k}"),
                original: Money::new(balance, currency),
                balance: Money::new(balance, currency),
                issued_on: due - Duration::days(30),
                due_on: due,
                product: Some("loan".into()),
                status,
                strategy: None,
                created_at: created,
                updated_at: created,
            };
            if rng.chance(10) {
                paid_on.insert(debt.id, start + Duration::days(rng.below(60) as i64));
            }
            if status == DebtStatus::Open && rng.chance(5) {
                disputed_on.insert(debt.id, start + Duration::days(rng.below(60) as i64));
            }
            debts.push(DebtFile {
                debt,
                promise_due,
                held_until: None,
            });
        }
        behaviours.push(Behaviour {
            tz: zone(zone_name),
            opens: rng.chance(30),
            talks: rng.chance(35),
            paid_on,
            disputed_on,
        });
        // Each invoice's own event, as an import writes it: no strategy reads it, so the
        // planner's input may leave it out (checked in `simulate`).
        let events = debts
            .iter()
            .map(|d| Event {
                // Ids of their own, so that the portfolio's ids stay as they were.
                id: EventId::from_ulid(Ulid::from(d.debt.id.ulid().0 ^ (3u128 << 100))),
                debtor_id: debtor.id,
                debt_id: Some(d.debt.id),
                kind: EventKind::InvoiceIssued,
                at: created,
                recorded_at: created,
                data: serde_json::json!({}),
            })
            .collect();
        files.push(DebtorFile {
            debtor,
            contact_points: points,
            debts,
            events,
            contacts: Vec::new(),
            score: BTreeMap::new(),
        });
    }
    (files, behaviours)
}

// ---------------------------------------------------------------------------------------------
// The simulation.

/// One contact the planner decided (an outbox row).
#[derive(Debug, Clone)]
struct Sent {
    debtor: usize,
    debt: DebtId,
    covers: Vec<DebtId>,
    channel: Channel,
    step: String,
    at: DateTime<Utc>,
    planned_at: DateTime<Utc>,
}

impl Sent {
    fn is_about(&self, debt: DebtId) -> bool {
        self.debt == debt || self.covers.contains(&debt)
    }
}

/// A phone conversation: debtor, debt, when.
type Conversation = (usize, DebtId, DateTime<Utc>);

#[derive(Default)]
struct Outcome {
    sent: Vec<Sent>,
    conversations: Vec<Conversation>,
    /// Lines by decision kind and reason.
    lines: BTreeMap<(&'static str, Option<ReasonCode>), usize>,
    covered: usize,
    arms: BTreeSet<String>,
    queues: usize,
    /// Broken invariants of the planner (not the law): a send in the past, a paused debt
    /// contacted, an opted-out point used …
    broken: Vec<String>,
}

fn simulate(sc: &Scenario) -> (Outcome, Vec<Behaviour>) {
    let mut rng = Lcg(sc.seed);
    let (mut files, behaviours) = portfolio(sc, &mut rng);
    let library = StrategyLibrary::new(
        [PERSONS, BUSINESSES]
            .iter()
            .map(|s| parse_strategy(s, TemplateCatalogue::open()).expect("strategy"))
            .collect(),
        Vec::new(),
    );
    let calendar = HolidayCalendar::for_jurisdiction(sc.jurisdiction);
    let tenant = TenantPolicy::default();
    let planner = Planner::new(
        sc.preset
            .as_ref()
            .unwrap_or_else(|| Preset::for_jurisdiction(sc.jurisdiction)),
        &tenant,
        &calendar,
        &library,
        Segments::builtin(),
        PlanOptions {
            one_contact_per_day: sc.one_contact_per_day,
            ..PlanOptions::default()
        },
    );
    let tenant_tz = zone(sc.tenant_zone);
    let start = date(sc.start);
    let mut out = Outcome::default();
    // The kinds the store reads for this library: a file without the others plans the same.
    let kinds = library
        .event_kinds(Segments::builtin())
        .expect("the scenario's conditions name the kinds they read");
    let mut left_out = 0;
    // Events that happen later (an open, a reply): appended once the clock reaches them.
    let mut pending: Vec<(usize, Event)> = Vec::new();
    let mut next_event: u128 = 1 << 64;

    for day in 0..sc.days {
        let tenant_day = start + Duration::days(day);
        for (h, m) in RUNS {
            let now = instant(tenant_tz, tenant_day, h, m);
            let (due, later): (Vec<_>, Vec<_>) = pending.drain(..).partition(|(_, e)| e.at <= now);
            pending = later;
            for (i, e) in due {
                files[i].events.push(e);
            }
            for (i, f) in files.iter_mut().enumerate() {
                let b = &behaviours[i];
                let today = now.with_timezone(&b.tz).date_naive();
                // The world moves: payments, disputes, promises that end unpaid.
                f.debts
                    .retain(|d| b.paid_on.get(&d.debt.id).is_none_or(|p| today < *p));
                for d in &mut f.debts {
                    if d.debt.status == DebtStatus::Open
                        && b.disputed_on.get(&d.debt.id).is_some_and(|p| today >= *p)
                    {
                        d.debt.status = DebtStatus::Disputed;
                    }
                    if d.debt.status == DebtStatus::Promised
                        && d.promise_due.is_some_and(|p| today > p)
                    {
                        d.debt.status = DebtStatus::Open;
                        d.promise_due = None;
                        next_event += 1;
                        f.events.push(Event {
                            id: EventId::from_ulid(Ulid::from(next_event)),
                            debtor_id: f.debtor.id,
                            debt_id: Some(d.debt.id),
                            kind: EventKind::PromiseBroken,
                            at: now,
                            recorded_at: now,
                            data: serde_json::json!({}),
                        });
                    }
                }

                let plan = planner.plan_debtor(f, now, None);
                let mut only_read = f.clone();
                only_read.events.retain(|e| kinds.contains(&e.kind));
                left_out += f.events.len() - only_read.events.len();
                if planner.plan_debtor(&only_read, now, None) != plan {
                    out.broken.push(format!(
                        "{}: planned otherwise without the events of kinds other than {kinds:?}",
                        f.debtor.external_id
                    ));
                }
                if !plan.errors.is_empty() {
                    out.broken.push(format!(
                        "{}: errors {:?}",
                        f.debtor.external_id, plan.errors
                    ));
                }
                for l in &plan.lines {
                    *out.lines
                        .entry((l.decision.kind(), l.reason()))
                        .or_default() += 1;
                    if l.covered_by.is_some() {
                        out.covered += 1;
                    }
                    if let Some(a) = &l.arm {
                        out.arms.insert(a.clone());
                    }
                }
                let sends = plan
                    .lines
                    .iter()
                    .filter(|l| {
                        matches!(l.decision, Decision::Send { .. }) && l.covered_by.is_none()
                    })
                    .count();
                if sends != plan.contacts.len() {
                    out.broken.push(format!(
                        "{}: {sends} send lines but {} contacts",
                        f.debtor.external_id,
                        plan.contacts.len()
                    ));
                }
                for (id, a) in &plan.assignments {
                    if let Some(d) = f.debts.iter_mut().find(|d| d.debt.id == *id) {
                        d.debt.strategy = Some(a.clone());
                    }
                }
                if let Some(s) = &plan.segment {
                    f.debtor.segment = s.clone();
                }
                for c in &plan.contacts {
                    let who = &f.debtor.external_id;
                    let local = c.scheduled_for.with_timezone(&b.tz).date_naive();
                    if c.scheduled_for < now {
                        out.broken
                            .push(format!("{who}: {c:?} scheduled before {now}"));
                    }
                    if local != today || c.local_date != today {
                        out.broken.push(format!(
                            "{who}: {c:?} not on the debtor's local date {today}"
                        ));
                    }
                    if c.covers.contains(&c.debt_id)
                        || c.covers.iter().collect::<BTreeSet<_>>().len() != c.covers.len()
                    {
                        out.broken.push(format!("{who}: covers {c:?}"));
                    }
                    // Every debt the contact is about may be contacted: active, not paused.
                    for id in std::iter::once(&c.debt_id).chain(&c.covers) {
                        match f.debts.iter().find(|d| d.debt.id == *id) {
                            None => out
                                .broken
                                .push(format!("{who}: {c:?} about an inactive debt")),
                            Some(d) if d.debt.status != DebtStatus::Open => out
                                .broken
                                .push(format!("{who}: {c:?} about a {} debt", d.debt.status)),
                            Some(_) => {}
                        }
                    }
                    // The point used may be used.
                    match f
                        .contact_points
                        .iter()
                        .find(|p| Some(p.id) == c.contact_point_id)
                    {
                        None => out.broken.push(format!("{who}: {c:?} without its point")),
                        Some(p) => {
                            let consent_ok = match sc.jurisdiction {
                                // Ley 2300: only the channels the debtor authorised.
                                Jurisdiction::Co => p.consent.status == ConsentStatus::Granted,
                                _ => !matches!(
                                    p.consent.status,
                                    ConsentStatus::Denied | ConsentStatus::OptedOut
                                ),
                            };
                            if p.channel != c.channel || p.opted_out_at.is_some() || !consent_ok {
                                out.broken.push(format!("{who}: {c:?} through {p:?}"));
                            }
                            if c.channel == Channel::Letter && f.debtor.preferences.paperless {
                                out.broken
                                    .push(format!("{who}: a letter to a paperless debtor"));
                            }
                        }
                    }
                    if c.queue.is_some() {
                        out.queues += 1;
                    }
                    out.sent.push(Sent {
                        debtor: i,
                        debt: c.debt_id,
                        covers: c.covers.clone(),
                        channel: c.channel,
                        step: c.step.clone(),
                        at: c.scheduled_for,
                        planned_at: now,
                    });
                    f.contacts.push(PriorContact {
                        debt: c.debt_id,
                        covers: c.covers.clone(),
                        strategy: c.strategy.clone(),
                        step: c.step.clone(),
                        channel: c.channel,
                        scheduled_for: c.scheduled_for,
                        local_date: c.local_date,
                        state: ContactState::Planned,
                        created_at: now,
                    });
                    // The debtor's reactions.
                    if b.opens && c.channel != Channel::Voice && rng.chance(50) {
                        next_event += 1;
                        pending.push((
                            i,
                            Event {
                                id: EventId::from_ulid(Ulid::from(next_event)),
                                debtor_id: f.debtor.id,
                                debt_id: Some(c.debt_id),
                                kind: EventKind::Opened,
                                at: c.scheduled_for + Duration::minutes(90),
                                recorded_at: c.scheduled_for + Duration::minutes(90),
                                data: serde_json::json!({"channel": c.channel.as_str()}),
                            },
                        ));
                    }
                    if b.talks && c.channel == Channel::Voice && rng.chance(60) {
                        next_event += 1;
                        let at = c.scheduled_for + Duration::minutes(5);
                        out.conversations.push((i, c.debt_id, at));
                        pending.push((
                            i,
                            Event {
                                id: EventId::from_ulid(Ulid::from(next_event)),
                                debtor_id: f.debtor.id,
                                debt_id: Some(c.debt_id),
                                kind: EventKind::Replied,
                                at,
                                recorded_at: at,
                                data: serde_json::json!({"channel": "voice"}),
                            },
                        ));
                    }
                }
            }
        }
    }
    assert!(
        left_out > 0,
        "no event was left out: the check above checked nothing"
    );
    (out, behaviours)
}

// ---------------------------------------------------------------------------------------------
// The checks.

fn minutes(t: NaiveTime) -> u32 {
    t.hour() * 60 + t.minute()
}

/// Where a contact breaks the law's windows or holidays.
fn check_window(j: Jurisdiction, s: &Sent, tz: Tz) -> Option<String> {
    let l = law(j);
    let local = s.at.with_timezone(&tz);
    let day = local.date_naive();
    let voice = s.channel == Channel::Voice;
    let holiday = l.holidays.iter().any(|h| date(h) == day);
    if holiday
        && (if voice {
            l.voice_not_on_holidays
        } else {
            l.written_not_on_holidays
        })
    {
        return Some(format!("{} on the holiday {day}", s.channel));
    }
    let week = if voice { &l.voice } else { &l.written };
    let m = minutes(local.time());
    let windows = week[local.weekday().num_days_from_monday() as usize];
    (!windows.iter().any(|(from, to)| *from <= m && m < *to)).then(|| {
        format!(
            "{} at {} ({}) outside {:?}",
            s.channel,
            local.to_rfc3339(),
            local.weekday(),
            windows
        )
    })
}

/// The largest number of `dates` within any 7 consecutive dates.
fn busiest_week(dates: &[NaiveDate]) -> usize {
    dates
        .iter()
        .map(|d| {
            dates
                .iter()
                .filter(|e| **e >= *d && (**e - *d).num_days() < 7)
                .count()
        })
        .max()
        .unwrap_or(0)
}

/// Where the contacts of one debtor break a frequency rule.
fn check_frequency(
    j: Jurisdiction,
    sent: &[&Sent],
    conversations: &[&Conversation],
    tz: Tz,
    one_contact_per_day: bool,
) -> Vec<String> {
    let mut v = Vec::new();
    let local = |s: &Sent| s.at.with_timezone(&tz).date_naive();
    let all: Vec<NaiveDate> = sent.iter().map(|s| local(s)).collect();
    let per_day = |dates: &[NaiveDate]| {
        let mut n: BTreeMap<NaiveDate, usize> = BTreeMap::new();
        for d in dates {
            *n.entry(*d).or_default() += 1;
        }
        n.into_iter().filter(|(_, k)| *k > 1).collect::<Vec<_>>()
    };
    if one_contact_per_day || j == Jurisdiction::Co {
        for (d, n) in per_day(&all) {
            v.push(format!("{n} contacts on {d}"));
        }
    }
    match j {
        Jurisdiction::Co => {
            for s in sent {
                let d = local(s);
                let channels: BTreeSet<Channel> = sent
                    .iter()
                    .filter(|t| {
                        let e = local(t);
                        (e - d).num_days().abs() < 7
                    })
                    .map(|t| t.channel)
                    .collect();
                if channels.len() > 1 {
                    v.push(format!("channels {channels:?} within 7 days of {d}"));
                }
            }
        }
        Jurisdiction::Cl => {
            let calls: Vec<NaiveDate> = sent
                .iter()
                .filter(|s| s.channel == Channel::Voice)
                .map(|s| local(s))
                .collect();
            if busiest_week(&calls) > 1 {
                v.push(format!(
                    "{} calls in 7 days: {calls:?}",
                    busiest_week(&calls)
                ));
            }
            let mut written: Vec<NaiveDate> = sent
                .iter()
                .filter(|s| WRITTEN.contains(&s.channel))
                .map(|s| local(s))
                .collect();
            written.sort();
            if busiest_week(&written) > 2 {
                v.push(format!(
                    "{} written in 7 days: {written:?}",
                    busiest_week(&written)
                ));
            }
            for w in written.windows(2) {
                if (w[1] - w[0]).num_days() < 2 {
                    v.push(format!("written contacts on {} and {}", w[0], w[1]));
                }
            }
        }
        Jurisdiction::Us => {
            let debts: BTreeSet<DebtId> = sent
                .iter()
                .flat_map(|s| std::iter::once(s.debt).chain(s.covers.iter().copied()))
                .collect();
            for debt in debts {
                let calls: Vec<&&Sent> = sent
                    .iter()
                    .filter(|s| s.channel == Channel::Voice && s.is_about(debt))
                    .collect();
                let dates: Vec<NaiveDate> = calls.iter().map(|s| local(s)).collect();
                if busiest_week(&dates) > 7 {
                    v.push(format!(
                        "{} calls in 7 days about {debt}",
                        busiest_week(&dates)
                    ));
                }
                for (_, about, at) in conversations.iter().filter(|c| c.1 == debt) {
                    let day1 = at.with_timezone(&tz).date_naive();
                    for c in &calls {
                        let d = local(c);
                        if c.planned_at > *at && c.at > *at && (d - day1).num_days() < 7 {
                            v.push(format!(
                                "a call about {about} on {} after a conversation on {day1}",
                                c.at.with_timezone(&tz)
                            ));
                        }
                    }
                }
            }
        }
        _ => {}
    }
    v
}

/// Simulates and lists every breach of the law (and of the planner's invariants).
fn violations(sc: &Scenario) -> (Vec<String>, Outcome, Vec<Behaviour>) {
    let (out, behaviours) = simulate(sc);
    let j = sc.jurisdiction;
    let mut violations = out.broken.clone();
    for (i, b) in behaviours.iter().enumerate() {
        let sent: Vec<&Sent> = out.sent.iter().filter(|s| s.debtor == i).collect();
        for s in &sent {
            if let Some(v) = check_window(j, s, b.tz) {
                violations.push(format!("D-{i} ({}), step {}: {v}", b.tz, s.step));
            }
        }
        let conversations: Vec<&Conversation> =
            out.conversations.iter().filter(|c| c.0 == i).collect();
        for v in check_frequency(j, &sent, &conversations, b.tz, sc.one_contact_per_day) {
            violations.push(format!("D-{i} ({}): {v}", b.tz));
        }
    }
    (violations, out, behaviours)
}

fn check(sc: &Scenario) {
    let started = std::time::Instant::now();
    let (violations, out, behaviours) = violations(sc);
    let summary = format!(
        "{} from {} ({} days): {} contacts, {} covered, {} tasks, {} conversations, lines {:?}, {:?}",
        sc.jurisdiction.code(),
        sc.start,
        sc.days,
        out.sent.len(),
        out.covered,
        out.queues,
        out.conversations.len(),
        out.lines,
        started.elapsed()
    );
    println!("{summary}");
    assert!(
        violations.is_empty(),
        "{} violations in {summary}:\n{}",
        violations.len(),
        violations
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );

    // Not vacuous: contacts on several channels, every kind of step, the refusals expected.
    assert!(
        out.sent.len() >= 5 * sc.debtors,
        "too few contacts: {summary}"
    );
    let channels: BTreeSet<Channel> = out.sent.iter().map(|s| s.channel).collect();
    assert!(channels.len() >= 4, "channels {channels:?}: {summary}");
    let other_zone = out
        .sent
        .iter()
        .filter(|s| behaviours[s.debtor].tz != zone(sc.tenant_zone))
        .count();
    assert!(
        other_zone >= sc.debtors / 4,
        "too few contacts in other zones: {summary}"
    );
    assert!(out.queues > 0, "no agent task: {summary}");
    for reason in COMMON.iter().chain(sc.expect) {
        let n: usize = out
            .lines
            .iter()
            .filter(|((_, r), _)| *r == Some(*reason))
            .map(|(_, n)| n)
            .sum();
        assert!(n > 0, "no {reason} in {summary}");
    }
    assert_eq!(out.arms.len(), 2, "both experiment arms: {summary}");
    if let Some(change) = sc.dst_change {
        let change = date(change);
        let around = out
            .sent
            .iter()
            .filter(|s| {
                let d = s.at.with_timezone(&behaviours[s.debtor].tz).date_naive();
                (d - change).num_days().abs() <= 1
            })
            .count();
        assert!(
            around > 0,
            "no contact around the DST change of {change}: {summary}"
        );
    }
    let steps: BTreeSet<&str> = out.sent.iter().map(|s| s.step.as_str()).collect();
    for step in ["late-2-call", "broken"] {
        assert!(steps.contains(step), "step {step} never sent: {summary}");
    }
}

// ---------------------------------------------------------------------------------------------
// One test per jurisdiction and window.

/// 2026-11-20 to 2027-01-18: Colombia's 8 December and Reyes Magos (11 January), Brazil's
/// 20 November, Peru's 8 and 9 December, Christmas and New Year everywhere.
const WINTER: &str = "2026-11-20";

#[test]
fn colombia() {
    check(&Scenario {
        jurisdiction: Jurisdiction::Co,
        country: Country::Co,
        tenant_zone: "America/Bogota",
        // Colombians abroad: New York (DST) and Madrid, ahead of Bogotá.
        other_zones: &["America/New_York", "Europe/Madrid"],
        preset: None,
        debtors: debtors(),
        start: WINTER,
        days: 60,
        one_contact_per_day: true,
        seed: 1,
        expect: &[
            ReasonCode::CapDaily,
            ReasonCode::CapWeeklyChannels,
            ReasonCode::NoConsent,
            ReasonCode::WeekdayNotAllowed,
            ReasonCode::Holiday,
            ReasonCode::QuietHours,
            ReasonCode::PausedPromise,
        ],
        dst_change: None,
    });
}

const CHILE_EXPECT: &[ReasonCode] = &[
    ReasonCode::CapWeekly,
    ReasonCode::MinGap,
    ReasonCode::WeekdayNotAllowed,
    ReasonCode::Holiday,
    ReasonCode::QuietHours,
];

fn chile(start: &'static str, dst_change: Option<&'static str>, seed: u64) {
    check(&Scenario {
        jurisdiction: Jurisdiction::Cl,
        country: Country::Cl,
        tenant_zone: "America/Santiago",
        // Easter Island changes its clocks with the mainland, two hours behind; Magallanes
        // stays on UTC−3 all year.
        other_zones: &["Pacific/Easter", "America/Punta_Arenas"],
        preset: None,
        debtors: debtors(),
        start,
        days: 60,
        one_contact_per_day: true,
        seed,
        expect: CHILE_EXPECT,
        dst_change,
    });
}

#[test]
fn chile_summer() {
    chile(WINTER, None, 2);
}

/// America/Santiago falls back on 2027-04-04 (00:00 −03 → 23:00 −04 on the 3rd); Good Friday
/// and Holy Saturday are 26 and 27 March.
#[test]
fn chile_over_the_april_dst_change() {
    chile("2027-03-20", Some("2027-04-04"), 3);
}

/// America/Santiago springs forward on 2027-09-05 (midnight does not exist); Fiestas Patrias
/// 17–19 September, 11 October.
#[test]
fn chile_over_the_september_dst_change() {
    chile("2027-08-25", Some("2027-09-05"), 4);
}

fn united_states(start: &'static str, dst_change: Option<&'static str>, seed: u64) {
    check(&Scenario {
        jurisdiction: Jurisdiction::Us,
        country: Country::Us,
        tenant_zone: "America/New_York",
        // Phoenix keeps standard time, Honolulu is five or six hours behind New York.
        other_zones: &[
            "America/Chicago",
            "America/Los_Angeles",
            "America/Phoenix",
            "Pacific/Honolulu",
        ],
        preset: None,
        debtors: debtors(),
        start,
        days: 60,
        // Reg F caps calls per debt; the tenant lets several debts be contacted the same day.
        one_contact_per_day: false,
        seed,
        expect: &[ReasonCode::AfterConversation, ReasonCode::QuietHours],
        dst_change,
    });
}

#[test]
fn united_states_winter() {
    united_states(WINTER, None, 5);
}

/// America/New_York springs forward on 2027-03-14 (02:00 → 03:00).
#[test]
fn united_states_over_the_march_dst_change() {
    united_states("2027-03-01", Some("2027-03-14"), 6);
}

const BRAZIL_ZONES: &[&str] = &["America/Manaus", "America/Noronha", "America/Rio_Branco"];
const BRAZIL_EXPECT: &[ReasonCode] = &[
    ReasonCode::WeekdayNotAllowed,
    ReasonCode::Holiday,
    ReasonCode::QuietHours,
    ReasonCode::CapDaily,
];

fn brazil(jurisdiction: Jurisdiction, seed: u64) {
    check(&Scenario {
        jurisdiction,
        country: Country::Br,
        tenant_zone: "America/Sao_Paulo",
        other_zones: BRAZIL_ZONES,
        preset: None,
        debtors: debtors(),
        start: WINTER,
        days: 60,
        one_contact_per_day: true,
        seed,
        expect: BRAZIL_EXPECT,
        dst_change: None,
    });
}

#[test]
fn brazil_federal() {
    brazil(Jurisdiction::Br, 7);
}

#[test]
fn brazil_sao_paulo() {
    brazil(Jurisdiction::BrSp, 8);
}

#[test]
fn brazil_rio_de_janeiro() {
    brazil(Jurisdiction::BrRj, 9);
}

#[test]
fn peru() {
    check(&Scenario {
        jurisdiction: Jurisdiction::Pe,
        country: Country::Pe,
        tenant_zone: "America/Lima",
        other_zones: &["America/New_York", "Europe/Madrid"],
        preset: None,
        debtors: debtors(),
        start: WINTER,
        days: 60,
        one_contact_per_day: true,
        seed: 10,
        expect: &[
            ReasonCode::WeekdayNotAllowed,
            ReasonCode::Holiday,
            ReasonCode::QuietHours,
        ],
        dst_change: None,
    });
}

#[test]
fn mexico() {
    check(&Scenario {
        jurisdiction: Jurisdiction::Mx,
        country: Country::Mx,
        tenant_zone: "America/Mexico_City",
        // Tijuana follows the US DST rules; Cancún is an hour ahead, Hermosillo an hour behind.
        other_zones: &["America/Tijuana", "America/Cancun", "America/Hermosillo"],
        preset: None,
        debtors: debtors(),
        start: WINTER,
        days: 60,
        one_contact_per_day: false,
        seed: 11,
        expect: &[ReasonCode::QuietHours],
        dst_change: None,
    });
}

#[test]
fn spain() {
    check(&Scenario {
        jurisdiction: Jurisdiction::Es,
        country: Country::Es,
        tenant_zone: "Europe/Madrid",
        other_zones: &["Atlantic/Canary"],
        preset: None,
        debtors: debtors(),
        start: WINTER,
        days: 60,
        one_contact_per_day: true,
        seed: 12,
        expect: &[ReasonCode::CapDaily, ReasonCode::DebtorHours],
        dst_change: None,
    });
}

#[test]
fn argentina() {
    check(&Scenario {
        jurisdiction: Jurisdiction::Ar,
        country: Country::Ar,
        tenant_zone: "America/Argentina/Buenos_Aires",
        other_zones: &["America/Argentina/Ushuaia", "Europe/Madrid"],
        preset: None,
        debtors: debtors(),
        start: WINTER,
        days: 60,
        one_contact_per_day: true,
        seed: 13,
        expect: &[ReasonCode::CapDaily, ReasonCode::DebtorHours],
        dst_change: None,
    });
}

// ---------------------------------------------------------------------------------------------
// The checks do not trust the presets.

/// A built-in preset file with one rule changed (`from` → `to`).
fn mutated(file: &str, text: &str, from: &str, to: &str) -> Preset {
    assert!(text.contains(from), "{file} has no `{from}`");
    Preset::from_yaml(file, &text.replacen(from, to, 1))
        .unwrap_or_else(|e| panic!("mutated {file}: {e}"))
}

/// A preset that forgets or loosens a rule of the law lets the planner break it, and the checks
/// above say so: they are written from the law, not from the presets.
#[test]
fn a_wrong_preset_is_caught() {
    const CO: &str = include_str!("../../data/policy/co.yaml");
    const CL: &str = include_str!("../../data/policy/cl.yaml");
    const US: &str = include_str!("../../data/policy/us.yaml");
    const PE: &str = include_str!("../../data/policy/pe.yaml");
    /// The jurisdiction, its country and the tenant's zone; the file, its text, the rule and
    /// its replacement; the violation expected.
    type Case = (
        Jurisdiction,
        Country,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
    );
    let cases: [Case; 6] = [
        (
            Jurisdiction::Co,
            Country::Co,
            "America/Bogota",
            "co.yaml",
            CO,
            "on_holidays: false",
            "on_holidays: true",
            "on the holiday 2026-12-08",
        ),
        (
            Jurisdiction::Co,
            Country::Co,
            "America/Bogota",
            "co.yaml",
            CO,
            r#"sat: ["08:00-15:00"]"#,
            r#"sat: ["08:00-18:00"]"#,
            "(Sat) outside",
        ),
        (
            Jurisdiction::Co,
            Country::Co,
            "America/Bogota",
            "co.yaml",
            CO,
            "max_channels_per_7_days: 1",
            "per_month: 100",
            "within 7 days of",
        ),
        (
            Jurisdiction::Cl,
            Country::Cl,
            "America/Santiago",
            "cl.yaml",
            CL,
            "per_7_days: 1 ",
            "per_7_days: 3 ",
            "calls in 7 days",
        ),
        (
            Jurisdiction::Us,
            Country::Us,
            "America/New_York",
            "us.yaml",
            US,
            "after_conversation_days: 7",
            "per_month: 100",
            "after a conversation",
        ),
        (
            Jurisdiction::Pe,
            Country::Pe,
            "America/Lima",
            "pe.yaml",
            PE,
            "sat-sun: []",
            r#"sat-sun: ["07:00-20:00"]"#,
            "(Sat) outside",
        ),
    ];
    for (jurisdiction, country, tenant_zone, file, text, from, to, expected) in cases {
        let sc = Scenario {
            jurisdiction,
            preset: Some(mutated(file, text, from, to)),
            debtors: 30,
            country,
            tenant_zone,
            other_zones: &["Europe/Madrid"],
            start: WINTER,
            days: 30,
            one_contact_per_day: jurisdiction != Jurisdiction::Us,
            seed: 99,
            expect: &[],
            dst_change: None,
        };
        let (violations, _, _) = violations(&sc);
        assert!(
            violations.iter().any(|v| v.contains(expected)),
            "{file} with `{to}` for `{from}`: no violation `{expected}` among {violations:#?}"
        );
    }
}
