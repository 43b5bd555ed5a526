//! The planner (`recaudo_domain::planner`): one scenario per rule of its module docs — which
//! strategy a debt follows, stop and pause, when a step is due (local dates, catch-up, waits,
//! events), channels and fallbacks, experiments, one message for several debts, the daily cap,
//! the send time, `channel: best` and `--explain`.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;
use ulid::Ulid;

use crate::fixtures::{defer, deny, send, t};
use recaudo_domain::calendar::{HolidayCalendar, Jurisdiction};
use recaudo_domain::event::{Event, EventKind};
use recaudo_domain::outbox::ContactState;
use recaudo_domain::planner::{
    DebtFile, DebtorFile, DebtorPlan, PlanLine, PlanOptions, Planner, PriorContact, Quiet,
    StrategyLibrary,
};
use recaudo_domain::policy::{Decision, Preset, ReasonCode, TenantPolicy};
use recaudo_domain::portfolio::{
    Channel, Consent, ConsentStatus, ContactPoint, Debt, DebtStatus, Debtor, DebtorKind,
    Preferences, StrategyAssignment,
};
use recaudo_domain::strategy::{CompiledStrategy, Segments, TemplateCatalogue, parse_strategy};
use recaudo_domain::{ContactPointId, Country, DebtId, DebtorId, EventId, Money};

// ---------------------------------------------------------------------------------------------
// Fixtures.

fn date(s: &str) -> NaiveDate {
    NaiveDate::from_str(s).unwrap_or_else(|e| panic!("bad test date {s}: {e}"))
}

/// A test strategy, checked against the open catalogue: these tests send templates on any
/// channel to exercise the planner's rules (`strategy.rs` tests the variants).
fn strategy(yaml: &str) -> CompiledStrategy {
    parse_strategy(yaml, TemplateCatalogue::open()).unwrap_or_else(|e| {
        panic!(
            "test strategy does not validate:\n{}",
            e.iter()
                .map(|e| format!("{e:?}"))
                .collect::<Vec<_>>()
                .join("\n")
        )
    })
}

/// A strategy that touches every kind of step.
const STD: &str = r#"
id: std
version: 1
priority: 10
stop_when: ["debt.balance <= 0.0"]
pause_while: [promise_active, dispute_open, plan_current]
steps:
  - { id: pre-5, at: due-5d, send: { channel: email, template: reminder_soft } }
  - { id: due, at: due, send: { channel: sms, template: due_today, fallback: [email] } }
  - id: late-3
    at: due+3d
    send: { channel: whatsapp, template: overdue_soft, fallback: [sms, email] }
    wait_for: { any: [opened, replied], within: 2d, otherwise: late-3-call }
  - { id: late-3-call, send: { channel: voice, template: ivr_overdue } }
  - { id: agent, at: due+10d, task: { queue: agents, script: negotiate } }
  - { id: late-15, at: due+15d, send: { channel: email, template: overdue_firm } }
  - { id: letter, at: due+30d, send: { channel: letter, template: formal_notice } }
"#;

/// The static side of a tenant.
struct Fx {
    jurisdiction: Jurisdiction,
    tenant: TenantPolicy,
    calendar: HolidayCalendar,
    library: StrategyLibrary,
    options: PlanOptions,
}

impl Fx {
    fn new(jurisdiction: Jurisdiction, active: &[&str]) -> Fx {
        Fx::with_versions(jurisdiction, active, &[])
    }

    fn with_versions(jurisdiction: Jurisdiction, active: &[&str], others: &[&str]) -> Fx {
        Fx {
            jurisdiction,
            tenant: TenantPolicy::default(),
            calendar: HolidayCalendar::for_jurisdiction(jurisdiction),
            library: StrategyLibrary::new(
                active.iter().map(|s| strategy(s)).collect(),
                others.iter().map(|s| strategy(s)).collect(),
            ),
            options: PlanOptions::default(),
        }
    }

    fn plan(&self, file: &DebtorFile, now: DateTime<Utc>) -> DebtorPlan {
        self.plan_explain(file, now, None)
    }

    fn plan_explain(
        &self,
        file: &DebtorFile,
        now: DateTime<Utc>,
        explain: Option<DebtId>,
    ) -> DebtorPlan {
        let plan = Planner::new(
            Preset::for_jurisdiction(self.jurisdiction),
            &self.tenant,
            &self.calendar,
            &self.library,
            Segments::builtin(),
            self.options,
        )
        .plan_debtor(file, now, explain);
        assert!(plan.errors.is_empty(), "run-time errors: {:?}", plan.errors);
        plan
    }
}

fn point(debtor: DebtorId, n: u128, channel: Channel) -> ContactPoint {
    let address = match channel {
        Channel::Email => format!("d{n}@example.com"),
        Channel::Letter => format!("Calle {n} # 1-2"),
        _ => format!("+57300{n:07}"),
    };
    ContactPoint {
        id: ContactPointId::from_ulid(Ulid::from(n)),
        debtor_id: debtor,
        channel,
        address,
        postal: None,
        verified: true,
        consent: Consent {
            status: ConsentStatus::Granted,
            source: Some("contract".into()),
            at: Some(t("2026-01-01T00:00:00Z")),
        },
        opted_out_at: None,
        priority: 0,
        bounce_count: 0,
        created_at: t("2026-01-01T00:00:00Z"),
    }
}

/// Debtor `n` in `zone`, with a granted contact point on each of `channels` and one open debt
/// of 1000 due on each of `dues` (debt `k` has id `n * 100 + k` and external id `F-n-k`).
fn file(n: u128, zone: &str, country: Country, channels: &[Channel], dues: &[&str]) -> DebtorFile {
    let debtor = Debtor {
        id: DebtorId::from_ulid(Ulid::from(n)),
        external_id: format!("D-{n}"),
        kind: DebtorKind::Person,
        name: format!("Debtor {n}"),
        document_type: None,
        document_number: None,
        birth_date: Some(date("1980-05-05")),
        language: country.language(),
        timezone: zone.into(),
        country,
        segment: None,
        computed_segment: None,
        tags: Vec::new(),
        attributes: serde_json::json!({}),
        preferences: Preferences::default(),
        created_at: t("2026-01-01T00:00:00Z"),
        updated_at: t("2026-01-01T00:00:00Z"),
    };
    let contact_points = channels
        .iter()
        .enumerate()
        .map(|(i, c)| point(debtor.id, n * 100 + i as u128, *c))
        .collect();
    let debts = dues
        .iter()
        .enumerate()
        .map(|(k, due)| DebtFile {
            debt: debt_of(&debtor, n * 100 + k as u128, &format!("F-{n}-{k}"), due),
            promise_due: None,
            held_until: None,
        })
        .collect();
    DebtorFile {
        debtor,
        contact_points,
        debts,
        events: Vec::new(),
        contacts: Vec::new(),
        score: BTreeMap::new(),
    }
}

fn debt_of(debtor: &Debtor, n: u128, external: &str, due: &str) -> Debt {
    let currency = debtor.country.currency();
    Debt {
        id: DebtId::from_ulid(Ulid::from(n)),
        debtor_id: debtor.id,
        external_id: external.into(),
        original: Money::new(Decimal::from(1000), currency),
        balance: Money::new(Decimal::from(1000), currency),
        issued_on: date(due) - Duration::days(30),
        due_on: date(due),
        product: Some("loan".into()),
        status: DebtStatus::Open,
        strategy: None,
        created_at: t("2026-01-01T00:00:00Z"),
        updated_at: t("2026-01-01T00:00:00Z"),
    }
}

fn debt_id(f: &DebtorFile, k: usize) -> DebtId {
    f.debts[k].debt.id
}

fn set_balance(f: &mut DebtorFile, k: usize, amount: i64) {
    f.debts[k].debt.balance.amount = Decimal::from(amount);
}

/// What the store does with a plan: the debts' strategies, the debtor's segment, and the
/// contacts written to the outbox (state `planned`).
fn record(f: &mut DebtorFile, plan: &DebtorPlan, now: DateTime<Utc>) {
    for (id, a) in &plan.assignments {
        let d = f.debts.iter_mut().find(|d| d.debt.id == *id).expect("debt");
        d.debt.strategy = Some(a.clone());
    }
    if let Some(s) = &plan.segment {
        f.debtor.segment = s.clone();
    }
    for c in &plan.contacts {
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
    }
}

/// Plans and records.
fn run(fx: &Fx, f: &mut DebtorFile, now: DateTime<Utc>) -> DebtorPlan {
    let plan = fx.plan(f, now);
    record(f, &plan, now);
    plan
}

fn event(f: &DebtorFile, debt: Option<DebtId>, kind: EventKind, at: &str) -> Event {
    Event {
        id: EventId::from_ulid(Ulid::from(f.events.len() as u128 + 1)),
        debtor_id: f.debtor.id,
        debt_id: debt,
        kind,
        at: t(at),
        recorded_at: t(at),
        data: serde_json::json!({}),
    }
}

/// The only line of a debt.
fn line(plan: &DebtorPlan, debt: DebtId) -> &PlanLine {
    let lines: Vec<&PlanLine> = plan.lines.iter().filter(|l| l.debt == debt).collect();
    assert_eq!(lines.len(), 1, "expected one line for the debt: {plan:#?}");
    lines[0]
}

fn quiet(plan: &DebtorPlan, debt: DebtId) -> Option<Quiet> {
    plan.quiet.iter().find(|(d, _)| *d == debt).map(|(_, q)| *q)
}

const ALL: [Channel; 5] = [
    Channel::Email,
    Channel::Sms,
    Channel::Whatsapp,
    Channel::Voice,
    Channel::Letter,
];

/// A one-step strategy: `at: due`, on `channel`.
fn one_step(id: &str, version: u32, extra: &str, channel: &str) -> String {
    format!(
        "id: {id}\nversion: {version}\n{extra}\nsteps:\n  - {{ id: due, at: due, send: {{ channel: {channel}, template: due_today }} }}\n"
    )
}

// Mexico (07:00–22:00 every day, UTC−6 all year) has no caps of its own: the scenarios that
// are not about the law run there. Colombia (Mon–Fri 07:00–19:00, Sat 08:00–15:00, UTC−5)
// where a window or a cap matters.
const MX: &str = "America/Mexico_City";
const CO: &str = "America/Bogota";

// ---------------------------------------------------------------------------------------------
// 1. Strategy.

#[test]
fn the_strategy_is_the_first_by_priority_whose_applies_if_holds_and_it_is_kept() {
    let big = one_step(
        "big",
        1,
        "priority: 30\napplies_if: \"debt.balance > 1000.0\"",
        "email",
    );
    let loan = one_step(
        "loan",
        1,
        "priority: 20\napplies_if: \"debt.product == 'loan'\"",
        "sms",
    );
    let any = one_step("any", 1, "priority: 0", "whatsapp");
    // Given in another order than their priorities.
    let fx = Fx::new(Jurisdiction::Mx, &[&any, &loan, &big]);
    let now = t("2026-11-20T10:00:00-06:00");
    let table: [(Option<&str>, i64, &str, Channel); 4] = [
        (Some("loan"), 5000, "big", Channel::Email),
        (Some("loan"), 1000, "loan", Channel::Sms),
        (Some("card"), 1000, "any", Channel::Whatsapp),
        (None, 5000, "big", Channel::Email),
    ];
    for (product, balance, want, channel) in table {
        let mut f = file(1, MX, Country::Mx, &ALL, &["2026-11-20"]);
        f.debts[0].debt.product = product.map(String::from);
        set_balance(&mut f, 0, balance);
        let plan = run(&fx, &mut f, now);
        let id = debt_id(&f, 0);
        assert_eq!(plan.assignments.len(), 1, "{product:?} {balance}");
        let (d, a) = &plan.assignments[0];
        assert_eq!(*d, id);
        assert_eq!(
            (a.strategy.as_str(), a.version, a.started_at),
            (want, 1, now),
            "{product:?} {balance}"
        );
        let l = line(&plan, id);
        assert_eq!((l.strategy.as_str(), l.channel), (want, channel));
        assert_eq!(l.decision, Decision::Send { at: now });

        // Kept: with a balance that would now choose another strategy, the debt still follows
        // the one it started (the outbox emptied, so that its step is due again).
        set_balance(&mut f, 0, if balance > 1000 { 10 } else { 9000 });
        f.contacts.clear();
        let plan = fx.plan(&f, now);
        assert!(plan.assignments.is_empty());
        assert_eq!(line(&plan, id).strategy, want, "{product:?} {balance}");
    }

    // No active strategy applies.
    let fx = Fx::new(Jurisdiction::Mx, &[&big, &loan]);
    let mut f = file(1, MX, Country::Mx, &ALL, &["2026-11-20"]);
    f.debts[0].debt.product = None;
    let plan = fx.plan(&f, now);
    assert!(plan.assignments.is_empty() && plan.lines.is_empty() && plan.contacts.is_empty());
    assert_eq!(quiet(&plan, debt_id(&f, 0)), Some(Quiet::NoStrategy));
}

#[test]
fn a_debt_keeps_its_version_when_a_newer_one_is_active() {
    let v1 = one_step("std", 1, "", "email");
    let v2 = one_step("std", 2, "", "sms");
    let fx = Fx::with_versions(Jurisdiction::Mx, &[&v2], &[&v1]);
    let now = t("2026-11-20T10:00:00-06:00");
    let mut f = file(
        1,
        MX,
        Country::Mx,
        &ALL,
        &["2026-11-20", "2026-11-20", "2026-11-20"],
    );
    let started = t("2026-11-01T00:00:00Z");
    let assign = |version| StrategyAssignment {
        strategy: "std".into(),
        version,
        arms: BTreeMap::new(),
        started_at: started,
    };
    f.debts[0].debt.strategy = Some(assign(1));
    f.debts[2].debt.strategy = Some(assign(7));
    let mut fx = fx;
    fx.options.one_contact_per_day = false;
    let plan = fx.plan(&f, now);

    let old = line(&plan, debt_id(&f, 0));
    assert_eq!((old.version, old.channel), (1, Channel::Email));
    let new = line(&plan, debt_id(&f, 1));
    assert_eq!((new.version, new.channel), (2, Channel::Sms));
    assert_eq!(plan.assignments.len(), 1);
    assert_eq!(plan.assignments[0].0, debt_id(&f, 1));
    assert_eq!(plan.assignments[0].1.version, 2);
    // A version no longer stored: nothing planned, said so.
    assert_eq!(quiet(&plan, debt_id(&f, 2)), Some(Quiet::StrategyMissing));
    assert!(plan.lines.iter().all(|l| l.debt != debt_id(&f, 2)));
    let contact_v1 = plan
        .contacts
        .iter()
        .find(|c| c.debt_id == debt_id(&f, 0))
        .expect("contact of v1");
    assert_eq!(contact_v1.strategy_version, Some(1));
}

// ---------------------------------------------------------------------------------------------
// 2. Stop and pause.

#[test]
fn stop_when_ends_the_strategy() {
    let s = one_step("s", 1, "stop_when: [\"debt.balance <= 100.0\"]", "sms");
    let fx = Fx::new(Jurisdiction::Mx, &[&s]);
    let now = t("2026-11-20T10:00:00-06:00");
    for (balance, stopped) in [(50, true), (100, true), (101, false), (5000, false)] {
        let mut f = file(1, MX, Country::Mx, &ALL, &["2026-11-20"]);
        set_balance(&mut f, 0, balance);
        let plan = fx.plan(&f, now);
        if stopped {
            assert_eq!(
                quiet(&plan, debt_id(&f, 0)),
                Some(Quiet::Stopped),
                "{balance}"
            );
            assert!(plan.lines.is_empty() && plan.contacts.is_empty());
        } else {
            assert_eq!(
                line(&plan, debt_id(&f, 0)).decision,
                Decision::Send { at: now }
            );
        }
    }
}

#[test]
fn pause_while_defers_or_denies_with_the_pause_reason() {
    let all = one_step(
        "all",
        1,
        "pause_while: [promise_active, dispute_open, plan_current]",
        "sms",
    );
    let promise_only = one_step("p", 1, "pause_while: [promise_active]", "sms");
    let now = t("2026-11-20T10:00:00-06:00");
    // (strategy, status, promise date, decision)
    let table: [(&str, DebtStatus, Option<&str>, Decision); 7] = [
        (&all, DebtStatus::Open, None, Decision::Send { at: now }),
        // A promise for the 23rd pauses to the end of that day: the next window is the 24th.
        (
            &all,
            DebtStatus::Promised,
            Some("2026-11-23"),
            defer("2026-11-24T07:00:00-06:00", ReasonCode::PausedPromise),
        ),
        (
            &all,
            DebtStatus::Promised,
            None,
            deny(ReasonCode::PausedPromise),
        ),
        (
            &all,
            DebtStatus::Disputed,
            None,
            deny(ReasonCode::PausedDispute),
        ),
        (&all, DebtStatus::Plan, None, deny(ReasonCode::PausedPlan)),
        // A state the strategy does not pause for.
        (
            &promise_only,
            DebtStatus::Disputed,
            None,
            Decision::Send { at: now },
        ),
        (
            &promise_only,
            DebtStatus::Promised,
            None,
            deny(ReasonCode::PausedPromise),
        ),
    ];
    for (s, status, promise, want) in table {
        let fx = Fx::new(Jurisdiction::Mx, &[s]);
        let mut f = file(1, MX, Country::Mx, &ALL, &["2026-11-20"]);
        f.debts[0].debt.status = status;
        f.debts[0].promise_due = promise.map(date);
        let plan = fx.plan(&f, now);
        let l = line(&plan, debt_id(&f, 0));
        assert_eq!(l.decision, want, "{status} {promise:?}");
        assert_eq!(plan.contacts.len(), usize::from(want.kind() == "send"));
    }
}

// ---------------------------------------------------------------------------------------------
// 3. When a step is due.

#[test]
fn at_due_minus_5d_is_due_on_the_debtors_local_date() {
    let fx = Fx::new(Jurisdiction::Co, &[STD]);
    // Due Tuesday 2026-12-01: `pre-5` is due on Thursday 2026-11-26, local date of the debtor.
    let table: [(&str, &str, Option<&str>); 5] = [
        // 04:00 UTC is 23:00 on the 25th in Bogotá: not yet.
        (CO, "2026-11-26T04:00:00Z", None),
        // Midnight in Bogotá: due, sent when the window opens at 07:00.
        (
            CO,
            "2026-11-26T05:00:00Z",
            Some("2026-11-26T07:00:00-05:00"),
        ),
        (
            CO,
            "2026-11-26T15:30:00Z",
            Some("2026-11-26T10:30:00-05:00"),
        ),
        // The same instant is already the 26th in Madrid (a debtor abroad): due, at 07:00 there.
        (
            "Europe/Madrid",
            "2026-11-26T04:00:00Z",
            Some("2026-11-26T07:00:00+01:00"),
        ),
        ("Europe/Madrid", "2026-11-25T22:59:00Z", None),
    ];
    for (zone, now, want) in table {
        let f = file(1, zone, Country::Co, &ALL, &["2026-12-01"]);
        let plan = fx.plan(&f, t(now));
        match want {
            None => {
                assert_eq!(
                    quiet(&plan, debt_id(&f, 0)),
                    Some(Quiet::NothingDue),
                    "{zone} {now}"
                );
                assert!(plan.lines.is_empty());
            }
            Some(at) => {
                let l = line(&plan, debt_id(&f, 0));
                assert_eq!((l.step.as_str(), l.channel), ("pre-5", Channel::Email));
                assert_eq!(l.decision, send(at), "{zone} {now}");
                assert_eq!(plan.contacts[0].local_date, date("2026-11-26"));
            }
        }
    }
}

#[test]
fn a_debt_imported_late_gets_only_the_latest_due_step() {
    let fx = Fx::new(Jurisdiction::Mx, &[STD]);
    // 40 days past due: pre-5, due, late-3, agent and late-15 are behind; letter (due+30d) is
    // the latest step due.
    let mut f = file(1, MX, Country::Mx, &ALL, &["2026-10-11"]);
    let id = debt_id(&f, 0);
    let now = t("2026-11-20T10:00:00-06:00");
    let plan = fx.plan_explain(&f, now, Some(id));
    record(&mut f, &plan, now);
    let l = line(&plan, id);
    assert_eq!((l.step.as_str(), l.channel), ("letter", Channel::Letter));
    assert_eq!(plan.contacts.len(), 1);
    let explain = plan.explain.join("\n");
    for step in ["pre-5", "due", "late-3", "agent", "late-15"] {
        assert!(
            explain.contains(&format!("step {step}: due since")) && explain.contains("passed over"),
            "{explain}"
        );
    }
    // The next day: the letter is done, nothing else is due, nothing is caught up.
    for day in 1..5 {
        let plan = fx.plan(&f, now + Duration::days(day));
        assert!(plan.lines.is_empty(), "day +{day}: {:?}", plan.lines);
        assert_eq!(quiet(&plan, id), Some(Quiet::NothingDue));
    }
}

#[test]
fn a_deferred_step_is_planned_again_the_next_day() {
    let fx = Fx::new(Jurisdiction::Co, &[STD]);
    // Due Saturday 2026-11-28; the plan runs at 16:00, after the Saturday window (08:00–15:00).
    let mut f = file(1, CO, Country::Co, &ALL, &["2026-11-28"]);
    let id = debt_id(&f, 0);
    let days: [(&str, Decision); 3] = [
        (
            "2026-11-28T16:00:00-05:00",
            defer("2026-11-30T07:00:00-05:00", ReasonCode::QuietHours),
        ),
        // Sunday: no contact at all.
        (
            "2026-11-29T10:00:00-05:00",
            defer("2026-11-30T07:00:00-05:00", ReasonCode::WeekdayNotAllowed),
        ),
        // Monday: the step is still due and goes out.
        (
            "2026-11-30T10:00:00-05:00",
            send("2026-11-30T10:00:00-05:00"),
        ),
    ];
    for (now, want) in days {
        let plan = run(&fx, &mut f, t(now));
        let l = line(&plan, id);
        assert_eq!((l.step.as_str(), l.decision), ("due", want), "{now}");
    }
    // And only once.
    let plan = fx.plan(&f, t("2026-11-30T16:00:00-05:00"));
    assert!(plan.lines.is_empty());
}

#[test]
fn wait_for_runs_the_otherwise_step_only_when_nothing_came() {
    let fx = Fx::new(Jurisdiction::Mx, &[STD]);
    // Due 2026-11-20: late-3 on the 23rd, sent at 10:00; the wait runs out on the 25th at 10:00.
    let base = {
        let mut f = file(1, MX, Country::Mx, &ALL, &["2026-11-20"]);
        f.debts[0].debt.strategy = Some(StrategyAssignment {
            strategy: "std".into(),
            version: 1,
            arms: BTreeMap::new(),
            started_at: t("2026-11-15T10:00:00-06:00"),
        });
        let plan = run(&fx, &mut f, t("2026-11-23T10:00:00-06:00"));
        let l = line(&plan, debt_id(&f, 0));
        assert_eq!((l.step.as_str(), l.channel), ("late-3", Channel::Whatsapp));
        f
    };
    let id = debt_id(&base, 0);

    // No event: nothing while waiting, the call once the wait ran out.
    let table: [(&str, Option<&str>); 4] = [
        ("2026-11-24T10:00:00-06:00", None),
        ("2026-11-25T09:59:00-06:00", None),
        ("2026-11-25T10:00:00-06:00", Some("late-3-call")),
        ("2026-11-26T10:00:00-06:00", Some("late-3-call")),
    ];
    for (now, want) in table {
        let plan = fx.plan(&base, t(now));
        match want {
            None => assert!(plan.lines.is_empty(), "{now}: {:?}", plan.lines),
            Some(step) => {
                let l = line(&plan, id);
                assert_eq!(
                    (l.step.as_str(), l.channel),
                    (step, Channel::Voice),
                    "{now}"
                );
                assert_eq!(l.decision, Decision::Send { at: t(now) });
            }
        }
    }

    // `--explain` says what the otherwise step is waiting for, and until when.
    let waiting = fx.plan_explain(&base, t("2026-11-24T10:00:00-06:00"), Some(id));
    assert!(
        waiting
            .explain
            .iter()
            .any(|l| l.starts_with("step late-3-call: not reached")
                && l.contains("waiting for")
                && l.contains("after step late-3 until 2026-11-25T16:00:00+00:00")),
        "{:#?}",
        waiting.explain
    );

    // Opened within the two days: no call, ever.
    let mut opened = base.clone();
    let e = event(
        &opened,
        Some(id),
        EventKind::Opened,
        "2026-11-24T12:00:00-06:00",
    );
    opened.events.push(e);
    for day in ["2026-11-25T10:00:00-06:00", "2026-11-27T10:00:00-06:00"] {
        let plan = fx.plan(&opened, t(day));
        assert!(plan.lines.is_empty(), "{day}: {:?}", plan.lines);
    }
    let answered = fx.plan_explain(&opened, t("2026-11-25T10:00:00-06:00"), Some(id));
    assert!(
        answered
            .explain
            .iter()
            .any(|l| l.starts_with("step late-3-call: not reached")
                && l.contains("came after step late-3")),
        "{:#?}",
        answered.explain
    );
    // Opened too late (after the two days): the call goes out.
    let mut late = base.clone();
    let e = event(
        &late,
        Some(id),
        EventKind::Opened,
        "2026-11-25T10:30:00-06:00",
    );
    late.events.push(e);
    let plan = fx.plan(&late, t("2026-11-25T11:00:00-06:00"));
    assert_eq!(line(&plan, id).step, "late-3-call");
}

#[test]
fn after_an_event_the_step_is_due_delay_later_on_the_local_date() {
    let s = r#"
id: ev
pause_while: [promise_active]
steps:
  - { id: due, at: due, send: { channel: email, template: due_today } }
  - { id: late-3, at: due+3d, send: { channel: whatsapp, template: overdue_soft } }
  - id: followup
    after: { event: promise_broken, delay: 1d }
    send: { channel: sms, template: promise_reminder }
  - id: after-late-3
    after: { event: contact_sent, step: late-3, delay: 2d }
    send: { channel: voice, template: ivr_overdue }
"#;
    let fx = Fx::new(Jurisdiction::Mx, &[s]);
    let mut f = file(1, MX, Country::Mx, &ALL, &["2026-11-01"]);
    let id = debt_id(&f, 0);
    f.debts[0].debt.strategy = Some(StrategyAssignment {
        strategy: "ev".into(),
        version: 1,
        arms: BTreeMap::new(),
        started_at: t("2026-11-01T08:00:00-06:00"),
    });
    run(&fx, &mut f, t("2026-11-01T10:00:00-06:00"));
    run(&fx, &mut f, t("2026-11-04T10:00:00-06:00"));
    assert_eq!(f.contacts.len(), 2);
    // A broken promise before the debt started its strategy does not count.
    let e = event(
        &f,
        Some(id),
        EventKind::PromiseBroken,
        "2026-10-20T12:00:00-06:00",
    );
    f.events.push(e);
    assert!(fx.plan(&f, t("2026-11-10T10:00:00-06:00")).lines.is_empty());

    // Broken at 23:30 on the 24th local (05:30 UTC on the 25th): due from the 25th local.
    let e = event(
        &f,
        Some(id),
        EventKind::PromiseBroken,
        "2026-11-24T23:30:00-06:00",
    );
    f.events.push(e);
    let plan = fx.plan(&f, t("2026-11-25T00:10:00-06:00"));
    let l = line(&plan, id);
    assert_eq!((l.step.as_str(), l.channel), ("followup", Channel::Sms));
    assert_eq!(l.decision, send("2026-11-25T07:00:00-06:00"));
    assert!(fx.plan(&f, t("2026-11-24T23:50:00-06:00")).lines.is_empty());

    // `step:` names which contacts count: a contact_sent of late-3 two days before.
    let mut g = f.clone();
    g.events.clear();
    let mut sent = event(
        &g,
        Some(id),
        EventKind::ContactSent,
        "2026-11-26T09:00:00-06:00",
    );
    sent.data = serde_json::json!({"step": "late-3", "channel": "whatsapp"});
    let mut other = event(
        &g,
        Some(id),
        EventKind::ContactSent,
        "2026-11-20T09:00:00-06:00",
    );
    other.data = serde_json::json!({"step": "due", "channel": "email"});
    g.events.extend([other, sent]);
    assert!(fx.plan(&g, t("2026-11-27T10:00:00-06:00")).lines.is_empty());
    let plan = fx.plan(&g, t("2026-11-28T10:00:00-06:00"));
    assert_eq!(line(&plan, id).step, "after-late-3");
}

// ---------------------------------------------------------------------------------------------
// 4. Channels.

#[test]
fn fallbacks_are_tried_in_order_and_a_missing_point_is_a_denial() {
    let fx = Fx::new(Jurisdiction::Mx, &[STD]);
    // late-3: whatsapp, then sms, then email.
    let now = t("2026-11-23T10:00:00-06:00");
    let opted_out = |c: &mut ContactPoint| c.opted_out_at = Some(t("2026-11-01T00:00:00Z"));
    let denied = |c: &mut ContactPoint| c.consent.status = ConsentStatus::Denied;
    type Edit = Option<(Channel, fn(&mut ContactPoint))>;
    // (the debtor's points, a change to one of them, the channel decided, the decision)
    let table: [(&[Channel], Edit, Channel, Decision); 8] = [
        (&ALL, None, Channel::Whatsapp, Decision::Send { at: now }),
        (
            &[Channel::Sms, Channel::Email],
            None,
            Channel::Sms,
            Decision::Send { at: now },
        ),
        (
            &[Channel::Whatsapp, Channel::Sms, Channel::Email],
            Some((Channel::Whatsapp, opted_out)),
            Channel::Sms,
            Decision::Send { at: now },
        ),
        (
            &[Channel::Sms, Channel::Email],
            Some((Channel::Sms, opted_out)),
            Channel::Email,
            Decision::Send { at: now },
        ),
        (
            &[Channel::Sms, Channel::Email],
            Some((Channel::Sms, denied)),
            Channel::Email,
            Decision::Send { at: now },
        ),
        // Nothing usable at all: a denial on the step's first channel, no panic.
        (
            &[],
            None,
            Channel::Whatsapp,
            deny(ReasonCode::NoContactPoint),
        ),
        // Refused everywhere: the first refusal is the line's.
        (
            &[Channel::Whatsapp, Channel::Voice],
            Some((Channel::Whatsapp, opted_out)),
            Channel::Whatsapp,
            deny(ReasonCode::OptedOut),
        ),
        // No WhatsApp point, the SMS one opted out, no email: the policy's reason is the
        // line's, not the missing point.
        (
            &[Channel::Sms],
            Some((Channel::Sms, opted_out)),
            Channel::Sms,
            deny(ReasonCode::OptedOut),
        ),
    ];
    for (channels, edit, channel, decision) in table {
        let mut f = file(1, MX, Country::Mx, channels, &["2026-11-20"]);
        if let Some((c, e)) = edit {
            e(f.contact_points
                .iter_mut()
                .find(|p| p.channel == c)
                .expect("point"));
        }
        let plan = fx.plan(&f, now);
        let l = line(&plan, debt_id(&f, 0));
        assert_eq!(
            (l.step.as_str(), l.channel, l.decision),
            ("late-3", channel, decision),
            "{channels:?}"
        );
        match decision {
            Decision::Send { .. } => {
                assert_eq!(plan.contacts.len(), 1);
                let p = f
                    .contact_points
                    .iter()
                    .find(|p| p.channel == channel)
                    .expect("point");
                assert_eq!(plan.contacts[0].contact_point_id, Some(p.id));
            }
            _ => assert!(plan.contacts.is_empty()),
        }
    }

    // Colombia: a channel the debtor did not authorise is not used; the fallback is (`due`:
    // sms, then email).
    let fx = Fx::new(Jurisdiction::Co, &[STD]);
    let mut f = file(
        1,
        CO,
        Country::Co,
        &[Channel::Sms, Channel::Email],
        &["2026-11-23"],
    );
    f.contact_points[0].consent.status = ConsentStatus::Unknown;
    let now = t("2026-11-23T10:00:00-05:00");
    let plan = fx.plan(&f, now);
    let l = line(&plan, debt_id(&f, 0));
    assert_eq!((l.step.as_str(), l.channel), ("due", Channel::Email));
    f.contact_points.retain(|p| p.channel == Channel::Sms);
    let plan = fx.plan(&f, now);
    let l = line(&plan, debt_id(&f, 0));
    assert_eq!(
        (l.channel, l.decision),
        (Channel::Sms, deny(ReasonCode::NoConsent))
    );
}

#[test]
fn a_task_is_a_voice_contact_for_the_queue() {
    let fx = Fx::new(Jurisdiction::Mx, &[STD]);
    let f = file(1, MX, Country::Mx, &ALL, &["2026-11-10"]);
    let now = t("2026-11-20T10:00:00-06:00");
    let plan = fx.plan(&f, now);
    let l = line(&plan, debt_id(&f, 0));
    assert_eq!((l.step.as_str(), l.channel), ("agent", Channel::Voice));
    assert_eq!(l.decision, Decision::Send { at: now });
    let c = &plan.contacts[0];
    assert_eq!(c.channel, Channel::Voice);
    assert_eq!(c.queue.as_deref(), Some("agents"));
    assert_eq!(c.template.as_deref(), Some("negotiate"));
    let voice = f
        .contact_points
        .iter()
        .find(|p| p.channel == Channel::Voice)
        .expect("voice");
    assert_eq!(c.contact_point_id, Some(voice.id));
}

#[test]
fn experiment_arms_are_recorded_and_override_the_channel() {
    let s = format!(
        "{STD}experiments:\n  - {{ id: wa-vs-sms, step: late-3, arms: {{ A: {{channel: whatsapp}}, B: {{channel: sms, template: payment_link}} }}, split: [50, 50] }}\n"
    );
    let compiled = strategy(&s);
    let experiment = &compiled.strategy.experiments[0];
    let fx = Fx::new(Jurisdiction::Mx, &[&s]);
    let now = t("2026-11-23T10:00:00-06:00");
    let mut seen = BTreeMap::new();
    for n in 1..40u128 {
        let f = file(n, MX, Country::Mx, &ALL, &["2026-11-20"]);
        let id = debt_id(&f, 0);
        let arm = experiment.arm_for(id).expect("arm").name.clone();
        let plan = fx.plan(&f, now);
        let (_, a) = &plan.assignments[0];
        assert_eq!(a.arms.get("wa-vs-sms"), Some(&arm));
        let l = line(&plan, id);
        assert_eq!(l.arm.as_ref(), Some(&arm));
        let c = &plan.contacts[0];
        assert_eq!(c.arm.as_ref(), Some(&arm));
        assert!(c.reason.contains(&format!("arm {arm}")), "{}", c.reason);
        let (channel, template) = if arm == "A" {
            (Channel::Whatsapp, "overdue_soft")
        } else {
            (Channel::Sms, "payment_link")
        };
        assert_eq!((l.channel, c.channel), (channel, channel));
        assert_eq!(c.template.as_deref(), Some(template));
        seen.insert(arm, n);
    }
    assert_eq!(seen.len(), 2, "both arms drawn: {seen:?}");

    // The arm is kept on the assignment; a step outside the experiment has no arm on its line.
    let f = file(1, MX, Country::Mx, &ALL, &["2026-11-23"]);
    let plan = fx.plan(&f, now);
    assert!(plan.assignments[0].1.arms.contains_key("wa-vs-sms"));
    assert_eq!(line(&plan, debt_id(&f, 0)).arm, None);
    assert_eq!(plan.contacts[0].arm, None);
}

// ---------------------------------------------------------------------------------------------
// 5. One message, several debts; the daily cap; the send time.

#[test]
fn two_debts_due_the_same_day_on_the_same_channel_share_one_contact() {
    let fx = Fx::new(Jurisdiction::Mx, &[STD]);
    let f = file(1, MX, Country::Mx, &ALL, &["2026-11-20", "2026-11-20"]);
    let now = t("2026-11-20T10:00:00-06:00");
    let plan = fx.plan(&f, now);
    assert_eq!(plan.contacts.len(), 1, "{:#?}", plan.contacts);
    let c = &plan.contacts[0];
    let (first, second) = if c.debt_id == debt_id(&f, 0) {
        (0, 1)
    } else {
        (1, 0)
    };
    assert_eq!(c.covers, vec![debt_id(&f, second)]);
    let a = line(&plan, debt_id(&f, first));
    let b = line(&plan, debt_id(&f, second));
    assert_eq!((a.channel, b.channel), (Channel::Sms, Channel::Sms));
    assert_eq!(a.decision, Decision::Send { at: now });
    assert_eq!(b.decision, a.decision);
    assert_eq!(a.covered_by, None);
    assert_eq!(
        b.covered_by.as_deref(),
        Some(f.debts[first].debt.external_id.as_str())
    );
}

#[test]
fn one_contact_per_day_defers_a_second_channel_to_the_next_day() {
    let card = one_step(
        "card",
        1,
        "priority: 1\napplies_if: \"debt.product == 'card'\"",
        "email",
    );
    let loan = one_step("loan", 1, "priority: 0", "sms");
    let mut fx = Fx::new(Jurisdiction::Mx, &[&card, &loan]);
    let mut f = file(1, MX, Country::Mx, &ALL, &["2026-11-20", "2026-11-20"]);
    f.debts[0].debt.product = Some("card".into());
    set_balance(&mut f, 0, 2000); // the first debt in the order (same due date, larger balance)
    let (email, sms) = (debt_id(&f, 0), debt_id(&f, 1));
    let now = t("2026-11-20T10:00:00-06:00");

    let plan = run(&fx, &mut f, now);
    assert_eq!(line(&plan, email).decision, Decision::Send { at: now });
    let l = line(&plan, sms);
    assert_eq!(l.channel, Channel::Sms);
    assert_eq!(
        l.decision,
        defer("2026-11-21T07:00:00-06:00", ReasonCode::CapDaily)
    );
    assert_eq!(plan.contacts.len(), 1);
    // The next day, the deferred step goes out (and the email is not repeated).
    let next = t("2026-11-21T10:00:00-06:00");
    let plan = fx.plan(&f, next);
    assert_eq!(plan.lines.len(), 1, "{:?}", plan.lines);
    assert_eq!(line(&plan, sms).decision, Decision::Send { at: next });

    // Without the tenant setting, Mexico has no daily cap: both go out the same day.
    fx.options.one_contact_per_day = false;
    let f = {
        let mut f = file(1, MX, Country::Mx, &ALL, &["2026-11-20", "2026-11-20"]);
        f.debts[0].debt.product = Some("card".into());
        set_balance(&mut f, 0, 2000);
        f
    };
    let plan = fx.plan(&f, now);
    assert_eq!(plan.contacts.len(), 2);
    assert!(
        plan.lines
            .iter()
            .all(|l| l.decision == Decision::Send { at: now })
    );
}

#[test]
fn a_plan_run_at_night_sends_at_the_window_opening_of_that_local_day() {
    // (zone, country/preset, now, send at)
    let table: [(&str, Jurisdiction, Country, &str, &str); 4] = [
        // Colombia, Friday: the window opens at 07:00.
        (
            CO,
            Jurisdiction::Co,
            Country::Co,
            "2026-11-20T02:00:00-05:00",
            "2026-11-20T07:00:00-05:00",
        ),
        // Saturday: 08:00.
        (
            CO,
            Jurisdiction::Co,
            Country::Co,
            "2026-11-21T02:00:00-05:00",
            "2026-11-21T08:00:00-05:00",
        ),
        // United States: 08:00 in the debtor's zone.
        (
            "America/Los_Angeles",
            Jurisdiction::Us,
            Country::Us,
            "2026-11-20T02:00:00-08:00",
            "2026-11-20T08:00:00-08:00",
        ),
        // Chile in summer time (UTC−3): 08:00.
        (
            "America/Santiago",
            Jurisdiction::Cl,
            Country::Cl,
            "2026-11-20T02:00:00-03:00",
            "2026-11-20T08:00:00-03:00",
        ),
    ];
    for (zone, j, country, now, at) in table {
        let fx = Fx::new(j, &[STD]);
        let due = &now[..10];
        let f = file(1, zone, country, &ALL, &[due]);
        let plan = fx.plan(&f, t(now));
        let l = line(&plan, debt_id(&f, 0));
        assert_eq!(l.decision, send(at), "{zone} {now}");
        assert_eq!(plan.contacts[0].scheduled_for, t(at));
        assert_eq!(plan.contacts[0].local_date, date(due));
    }
}

#[test]
fn channel_best_takes_the_preferred_channel_then_the_default_order() {
    let s = one_step("best", 1, "", "best");
    let fx = Fx::new(Jurisdiction::Mx, &[&s]);
    let now = t("2026-11-20T10:00:00-06:00");
    let opted_out = Some(t("2026-11-01T00:00:00Z"));
    // (preferred, opted-out channel, expected)
    let table: [(Option<Channel>, Option<Channel>, Channel); 5] = [
        (Some(Channel::Sms), None, Channel::Sms),
        (Some(Channel::Email), None, Channel::Email),
        (None, None, Channel::Whatsapp),
        // The preferred channel cannot be used: the default order, skipping unusable points.
        (
            Some(Channel::Voice),
            Some(Channel::Voice),
            Channel::Whatsapp,
        ),
        (None, Some(Channel::Whatsapp), Channel::Sms),
    ];
    for (preferred, out, want) in table {
        let mut f = file(1, MX, Country::Mx, &ALL, &["2026-11-20"]);
        f.debtor.preferences.preferred_channel = preferred;
        if let Some(c) = out {
            f.contact_points
                .iter_mut()
                .find(|p| p.channel == c)
                .expect("point")
                .opted_out_at = opted_out;
        }
        let plan = fx.plan(&f, now);
        let l = line(&plan, debt_id(&f, 0));
        assert_eq!(
            (l.channel, l.decision),
            (want, Decision::Send { at: now }),
            "{preferred:?}"
        );
    }
    // No usable point on any channel.
    let f = file(1, MX, Country::Mx, &[], &["2026-11-20"]);
    let plan = fx.plan(&f, now);
    assert_eq!(
        line(&plan, debt_id(&f, 0)).decision,
        deny(ReasonCode::NoContactPoint)
    );
}

#[test]
fn explain_names_the_strategy_the_step_and_the_policy_rules() {
    let fx = Fx::new(Jurisdiction::Co, &[STD]);
    let mut f = file(1, CO, Country::Co, &ALL, &["2026-11-20", "2026-11-20"]);
    f.debts[1].debt.external_id = "F-other".into();
    let id = debt_id(&f, 0);
    let now = t("2026-11-20T05:00:00-05:00");
    let plan = fx.plan_explain(&f, now, Some(id));
    let text = plan.explain.join("\n");
    for needle in [
        "debt F-1-0 of debtor D-1",
        "strategy std v1 (priority 10): applies_if (none) → true, chosen",
        "stop_when debt.balance <= 0.0 → false",
        "step due: due since 2026-11-20 (at due)",
        "step pre-5: due since 2026-11-15",
        "preset.windows",
        "quiet_hours",
        "limit.once_a_day_one_channel_a_week",
        "sms: send at 2026-11-20T12:00:00+00:00",
    ] {
        assert!(text.contains(needle), "missing `{needle}` in:\n{text}");
    }
    // Only the debt asked about, and nothing without --explain.
    assert!(!text.contains("F-other"), "{text}");
    assert!(fx.plan(&f, now).explain.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Regressions.

/// A debt paused by a dispute is not collected by riding along on another debt's message.
#[test]
fn a_paused_debt_does_not_ride_along_on_another_debts_message() {
    let fx = Fx::new(Jurisdiction::Mx, &[STD]);
    let mut f = file(1, MX, Country::Mx, &ALL, &["2026-11-20", "2026-11-20"]);
    set_balance(&mut f, 0, 2000);
    f.debts[1].debt.status = DebtStatus::Disputed;
    let now = t("2026-11-20T10:00:00-06:00");
    let plan = fx.plan(&f, now);
    assert_eq!(
        line(&plan, debt_id(&f, 0)).decision,
        Decision::Send { at: now }
    );
    let l = line(&plan, debt_id(&f, 1));
    assert_eq!(
        (l.decision, l.covered_by.as_deref()),
        (deny(ReasonCode::PausedDispute), None)
    );
    assert_eq!(plan.contacts.len(), 1);
    assert!(plan.contacts[0].covers.is_empty(), "{:?}", plan.contacts[0]);
}

/// Steps placed on the same day with exclusive `if:`s (the lender example's `late-2-young` and
/// `late-2-older`): the one whose condition holds runs.
#[test]
fn of_two_steps_due_the_same_day_the_one_whose_if_holds_runs() {
    let s = r#"
id: ages
steps:
  - id: late-2-young
    at: due+2d
    if: "debtor.segment == 'young'"
    send: { channel: whatsapp, template: overdue_soft }
  - id: late-2-older
    at: due+2d
    if: "debtor.segment != 'young'"
    send: { channel: voice, template: ivr_overdue }
"#;
    let fx = Fx::new(Jurisdiction::Mx, &[s]);
    let now = t("2026-11-22T10:00:00-06:00");
    for (birth, step) in [
        ("2000-01-01", "late-2-young"),
        ("1960-01-01", "late-2-older"),
    ] {
        let mut f = file(1, MX, Country::Mx, &ALL, &["2026-11-20"]);
        f.debtor.birth_date = Some(date(birth));
        let plan = fx.plan(&f, now);
        let l = line(&plan, debt_id(&f, 0));
        assert_eq!(
            (l.step.as_str(), l.decision),
            (step, Decision::Send { at: now }),
            "{birth}"
        );
    }
}

/// Reg F: no call about a debt within 7 days after a phone conversation about it — not even as
/// a ride-along on a call about another debt.
#[test]
fn no_ride_along_call_about_a_debt_after_a_conversation_about_it() {
    let s = one_step("calls", 1, "", "voice");
    let fx = Fx::new(Jurisdiction::Us, &[&s]);
    let zone = "America/New_York";
    let mut f = file(1, zone, Country::Us, &ALL, &["2026-11-20", "2026-11-20"]);
    set_balance(&mut f, 0, 2000);
    let (a, b) = (debt_id(&f, 0), debt_id(&f, 1));
    let mut talk = event(&f, Some(b), EventKind::Replied, "2026-11-18T11:00:00-05:00");
    talk.data = serde_json::json!({"channel": "voice"});
    f.events.push(talk);
    let now = t("2026-11-20T10:00:00-05:00");
    let plan = fx.plan(&f, now);
    assert_eq!(line(&plan, a).decision, Decision::Send { at: now });
    let l = line(&plan, b);
    assert_eq!(l.covered_by, None);
    // The conversation's day (the 18th) is day 1 of 7: calls again from the 25th.
    assert_eq!(
        l.decision,
        defer("2026-11-25T08:00:00-05:00", ReasonCode::AfterConversation)
    );
    assert_eq!(plan.contacts.len(), 1);
    assert!(plan.contacts[0].covers.is_empty());
}

#[test]
fn after_contact_planned_is_placed_from_the_outbox_rows() {
    // The store does not load `contact_planned` events for the planner (its outbox rows say the
    // same); a step placed after one is placed from the rows: when planned, of which step.
    let s = r#"
id: cp
steps:
  - { id: due, at: due, send: { channel: email, template: due_today } }
  - id: recap
    after: { event: contact_planned, step: due, delay: 2d }
    send: { channel: sms, template: payment_link }
"#;
    let fx = Fx::new(Jurisdiction::Mx, &[s]);
    let mut f = file(1, MX, Country::Mx, &ALL, &["2026-11-02"]);
    let id = debt_id(&f, 0);
    f.debts[0].debt.strategy = Some(StrategyAssignment {
        strategy: "cp".into(),
        version: 1,
        arms: BTreeMap::new(),
        started_at: t("2026-11-01T08:00:00-06:00"),
    });
    // Monday 2 November, 10:00: the email of `due`, planned then.
    let plan = run(&fx, &mut f, t("2026-11-02T10:00:00-06:00"));
    assert_eq!(line(&plan, id).step, "due");
    assert!(f.events.is_empty(), "no contact_planned event in the file");
    // Planned at 10:00 on the 2nd, so the recap is due from the 4th.
    assert!(fx.plan(&f, t("2026-11-03T10:00:00-06:00")).lines.is_empty());
    let plan = fx.plan(&f, t("2026-11-04T10:00:00-06:00"));
    let l = line(&plan, id);
    assert_eq!((l.step.as_str(), l.channel), ("recap", Channel::Sms));
    assert_eq!(l.decision, send("2026-11-04T10:00:00-06:00"));
}

/// Of a debtor's usable points on a channel, the lowest priority is used, then the oldest by
/// id, whatever the creation times say (the planner's reads leave them out).
#[test]
fn a_channel_uses_its_lowest_priority_point_then_the_oldest_id() {
    let f = file(7, "America/Bogota", Country::Co, &[], &[]);
    let mut older = point(f.debtor.id, 50, Channel::Email);
    older.created_at = t("2026-06-01T00:00:00Z");
    let newer = point(f.debtor.id, 51, Channel::Email);
    let mut opted_out = point(f.debtor.id, 40, Channel::Email);
    opted_out.opted_out_at = Some(t("2026-02-01T00:00:00Z"));
    let mut urgent = point(f.debtor.id, 60, Channel::Email);
    urgent.priority = -1;
    let pick = |points: &[ContactPoint]| {
        recaudo_domain::planner::contact_point(&f.debtor, points, Channel::Email).map(|p| p.id)
    };
    assert_eq!(
        pick(&[newer.clone(), older.clone(), opted_out.clone()]),
        Some(older.id)
    );
    assert_eq!(
        pick(&[newer.clone(), older.clone(), urgent.clone()]),
        Some(urgent.id)
    );
    assert_eq!(pick(&[opted_out.clone()]), Some(opted_out.id));
    assert_eq!(pick(&[]), None);
}

/// When the step due is denied on every channel, the latest earlier step that can go out goes
/// out instead, once; `--explain` says which step was due, why it was denied and which one was
/// used (or that none could). Debt due 2026-09-26, planned on Wednesday 2026-12-02 in Bogotá
/// (67 days past due): `letter` (due+30d) is the step due.
#[test]
fn a_step_denied_everywhere_falls_back_to_the_latest_earlier_step_that_can_go_out() {
    let fx = Fx::new(Jurisdiction::Co, &[STD]);
    let now = t("2026-12-02T10:00:00-05:00");
    let granted = |c: Channel| (c, ConsentStatus::Granted);
    // (points with their consent, paperless, the step and channel decided, instead of, the
    // decision, the explain line that says what happened)
    type Case = (
        Vec<(Channel, ConsentStatus)>,
        bool,
        (&'static str, Channel),
        Option<&'static str>,
        Decision,
        &'static str,
    );
    let table: Vec<Case> = vec![
        // The issue's case: WhatsApp and SMS granted, the letter denied for consent. The email
        // step and the agent's call have no point; late-3 on WhatsApp goes out instead.
        (
            vec![
                granted(Channel::Whatsapp),
                granted(Channel::Sms),
                (Channel::Letter, ConsentStatus::Denied),
            ],
            false,
            ("late-3", Channel::Whatsapp),
            Some("letter"),
            Decision::Send { at: now },
            "step late-3: planned instead of step letter (denied: letter: no_consent)",
        ),
        // A paperless debtor with an address: the letter is denied `paperless`, the email of
        // late-15 goes out instead.
        (
            vec![granted(Channel::Email), granted(Channel::Letter)],
            true,
            ("late-15", Channel::Email),
            Some("letter"),
            Decision::Send { at: now },
            "step late-15: planned instead of step letter (denied: letter: paperless)",
        ),
        // The step due can go out: no fallback.
        (
            vec![granted(Channel::Whatsapp), granted(Channel::Letter)],
            false,
            ("letter", Channel::Letter),
            None,
            Decision::Send { at: now },
            "step letter: due since 2026-10-26 (at due+30d): planned",
        ),
        // No earlier step can go out either: the step due stays denied, with its reason.
        (
            vec![(Channel::Letter, ConsentStatus::Denied)],
            false,
            ("letter", Channel::Letter),
            None,
            deny(ReasonCode::NoConsent),
            "no earlier step can go out: step letter stays denied (letter: no_consent)",
        ),
    ];
    for (points, paperless, (step, channel), instead_of, decision, said) in table {
        let channels: Vec<Channel> = points.iter().map(|(c, _)| *c).collect();
        let mut f = file(1, CO, Country::Co, &channels, &["2026-09-26"]);
        for (p, (_, consent)) in f.contact_points.iter_mut().zip(&points) {
            p.consent.status = *consent;
        }
        f.debtor.preferences.paperless = paperless;
        let id = debt_id(&f, 0);
        let plan = fx.plan_explain(&f, now, Some(id));
        let l = line(&plan, id);
        let case = format!("{points:?} paperless {paperless}");
        assert_eq!(
            (
                l.step.as_str(),
                l.channel,
                l.instead_of.as_deref(),
                l.decision
            ),
            (step, channel, instead_of, decision),
            "{case}"
        );
        let text = plan.explain.join("\n");
        assert!(text.contains(said), "{case}: `{said}` not in\n{text}");
        let contacts: Vec<(&str, Channel)> = plan
            .contacts
            .iter()
            .map(|c| (c.step.as_str(), c.channel))
            .collect();
        let want: Vec<(&str, Channel)> = match decision {
            Decision::Send { .. } => vec![(step, channel)],
            _ => Vec::new(),
        };
        assert_eq!(contacts, want, "{case}: one contact at most");
        if let Some(due) = instead_of {
            assert!(
                plan.contacts[0]
                    .reason
                    .ends_with(&format!(", instead of step {due}")),
                "{case}: {}",
                plan.contacts[0].reason
            );
        }
    }
}

/// The fallback step goes out once: the next days, the step left behind is passed over (the
/// debt was contacted after it became due) and no other missed step is sent.
#[test]
fn a_fallback_step_goes_out_once_and_the_backlog_stays_quiet() {
    let fx = Fx::new(Jurisdiction::Co, &[STD]);
    let mut f = file(1, CO, Country::Co, &[Channel::Sms], &["2026-09-26"]);
    let id = debt_id(&f, 0);
    let day1 = run(&fx, &mut f, t("2026-12-02T10:00:00-05:00"));
    // late-3 (WhatsApp, then SMS, then email) is the latest step with a channel: its SMS goes.
    let l = line(&day1, id);
    assert_eq!(
        (l.step.as_str(), l.channel, l.instead_of.as_deref()),
        ("late-3", Channel::Sms, Some("letter"))
    );
    let day2 = run(&fx, &mut f, t("2026-12-03T10:00:00-05:00"));
    assert!(day2.lines.is_empty(), "{:#?}", day2.lines);
    assert_eq!(day2.quiet, vec![(id, Quiet::NothingDue)]);
    // Two days without an answer: late-3's call is due. It has no voice point and no earlier
    // step became due after the SMS, so it stays denied and nothing goes out.
    let day3 = run(&fx, &mut f, t("2026-12-04T10:00:00-05:00"));
    let l = line(&day3, id);
    assert_eq!(
        (l.step.as_str(), l.instead_of.as_deref(), l.decision),
        ("late-3-call", None, deny(ReasonCode::NoContactPoint))
    );
    assert!(day3.contacts.is_empty(), "{:#?}", day3.contacts);
}

/// A fallback sends its own template (the issue's `channel: sms, template: ivr_overdue` no
/// more), and `channel: best` only picks a channel its template has a variant for.
#[test]
fn a_contact_sends_a_template_its_channel_has_a_variant_for() {
    let yaml = r#"
id: tpl
steps:
  - { id: call, at: due, send: { channel: voice, template: ivr_overdue, fallback: [{ channel: sms, template: overdue_soft }] } }
  - { id: best, at: due+1d, send: { channel: best, template: due_today } }
"#;
    let compiled = parse_strategy(yaml, TemplateCatalogue::builtin()).expect("valid");
    let fx = Fx {
        jurisdiction: Jurisdiction::Mx,
        tenant: TenantPolicy::default(),
        calendar: HolidayCalendar::for_jurisdiction(Jurisdiction::Mx),
        library: StrategyLibrary::new(vec![compiled], Vec::new()),
        options: PlanOptions::default(),
    };
    // No voice point: the SMS fallback goes, with its own template.
    let f = file(1, MX, Country::Mx, &[Channel::Sms], &["2026-11-20"]);
    let plan = fx.plan(&f, t("2026-11-20T10:00:00-06:00"));
    let sent: Vec<(Channel, Option<&str>)> = plan
        .contacts
        .iter()
        .map(|c| (c.channel, c.template.as_deref()))
        .collect();
    assert_eq!(sent, vec![(Channel::Sms, Some("overdue_soft"))]);
    // `best` with only a voice point: `due_today` has no voice variant, so the step has no
    // channel; the earlier call goes out instead, on voice with its script.
    let f = file(1, MX, Country::Mx, &[Channel::Voice], &["2026-11-19"]);
    let plan = fx.plan_explain(&f, t("2026-11-20T10:00:00-06:00"), Some(debt_id(&f, 0)));
    let l = line(&plan, debt_id(&f, 0));
    assert_eq!(
        (l.step.as_str(), l.instead_of.as_deref()),
        ("call", Some("best"))
    );
    let sent: Vec<(Channel, Option<&str>)> = plan
        .contacts
        .iter()
        .map(|c| (c.channel, c.template.as_deref()))
        .collect();
    assert_eq!(sent, vec![(Channel::Voice, Some("ivr_overdue"))]);
    let text = plan.explain.join("\n");
    assert!(
        text.contains("channel best: no usable contact point on any channel of the template (email, sms, whatsapp)"),
        "{text}"
    );
}
