//! The pure planner (issue 4: "pure evaluation ≥ 1M decisions per second per core"): one day of
//! 1,000 varied Colombian debtors (one debt each, due dates spread over 60 days, three contact
//! points), under CO law, planned debtor by debtor on one core: segment, strategy choice with
//! experiment arms, stop/pause, step selection, channel and fallbacks, the policy. No I/O.
//! Two strategy sets: the four examples of `examples/strategies/` (CEL in `applies_if`,
//! `stop_when`, `if:`), and one strategy with no condition at all, to isolate the CEL cost.
//! Run: `cargo bench -p recaudo-domain --bench planner`.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rust_decimal::Decimal;

use recaudo_domain::calendar::{HolidayCalendar, Jurisdiction};
use recaudo_domain::planner::{DebtFile, DebtorFile, PlanOptions, Planner, StrategyLibrary};
use recaudo_domain::policy::{Preset, TenantPolicy};
use recaudo_domain::portfolio::{
    Channel, Consent, ConsentStatus, ContactPoint, Debt, DebtStatus, Debtor, DebtorKind, Language,
    Preferences,
};
use recaudo_domain::strategy::{Segments, TemplateCatalogue, parse_strategy};
use recaudo_domain::{ContactPointId, Country, Currency, DebtId, DebtorId, Money};

/// The allocator the `recaudo` binary plans with.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const EXAMPLES: [&str; 4] = [
    include_str!("../../../examples/strategies/utility.yaml"),
    include_str!("../../../examples/strategies/lender.yaml"),
    include_str!("../../../examples/strategies/b2b.yaml"),
    include_str!("../../../examples/strategies/consumer.yaml"),
];

const PLAIN: &str = "id: plain\nversion: 1\npriority: 1\nsteps:\n\
  - { id: pre-3, at: due-3d, send: { channel: email, template: reminder_soft } }\n\
  - { id: due, at: due, send: { channel: sms, template: due_today, fallback: [email] } }\n\
  - { id: late-5, at: due+5d, send: { channel: whatsapp, template: payment_link, fallback: [sms] } }\n\
  - { id: late-15, at: due+15d, send: { channel: voice, template: ivr_overdue } }\n\
  - { id: notice, at: due+40d, send: { channel: letter, template: formal_notice, fallback: [email] } }\n";

fn portfolio(now: DateTime<Utc>) -> Vec<DebtorFile> {
    let base = NaiveDate::from_ymd_opt(2026, 11, 25).expect("date");
    let products = [
        "electricity",
        "personal_loan",
        "mobile",
        "water",
        "credit_card",
    ];
    (0..1000u32)
        .map(|i| {
            let debtor = Debtor {
                id: DebtorId::generate(),
                external_id: format!("D-{i}"),
                kind: if i % 10 == 0 {
                    DebtorKind::Business
                } else {
                    DebtorKind::Person
                },
                name: "Debtor".into(),
                document_type: None,
                document_number: None,
                birth_date: (i % 7 != 0)
                    .then(|| base - Duration::days(i64::from(18 * 365 + (i * 53) % (60 * 365)))),
                language: Language::Es,
                timezone: "America/Bogota".into(),
                country: Country::Co,
                segment: None,
                computed_segment: None,
                tags: vec![],
                attributes: serde_json::json!({}),
                preferences: Preferences::default(),
                created_at: now - Duration::days(400),
                updated_at: now,
            };
            let money = Money::new(Decimal::from(50_000 + (i * 7919) % 900_000), Currency::Cop);
            let debt = Debt {
                id: DebtId::generate(),
                debtor_id: debtor.id,
                external_id: format!("F-{i}"),
                original: money,
                balance: money,
                issued_on: base - Duration::days(60),
                due_on: base + Duration::days(5) - Duration::days(i64::from(i % 60)),
                product: Some(products[(i % 5) as usize].into()),
                status: DebtStatus::Open,
                strategy: None,
                created_at: now,
                updated_at: now,
            };
            let point = |channel: Channel, address: String| ContactPoint {
                id: ContactPointId::generate(),
                debtor_id: debtor.id,
                channel,
                address,
                postal: None,
                verified: true,
                consent: Consent {
                    status: if i % 9 == 0 {
                        ConsentStatus::Unknown
                    } else {
                        ConsentStatus::Granted
                    },
                    source: Some("contract".into()),
                    at: Some(now - Duration::days(300)),
                },
                opted_out_at: None,
                priority: 0,
                bounce_count: 0,
                created_at: now - Duration::days(400),
            };
            DebtorFile {
                contact_points: vec![
                    point(Channel::Email, format!("d{i}@example.com")),
                    point(Channel::Sms, format!("+57301{i:07}")),
                    point(Channel::Whatsapp, format!("+57301{i:07}")),
                ],
                debts: vec![DebtFile {
                    debt,
                    promise_due: None,
                    held_until: None,
                }],
                events: vec![],
                contacts: vec![],
                score: Default::default(),
                debtor,
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    // Wednesday 25 November 2026, 10:00 in Bogotá.
    let now = Utc
        .with_ymd_and_hms(2026, 11, 25, 15, 0, 0)
        .single()
        .expect("instant");
    let files = portfolio(now);
    let compile =
        |s: &str| parse_strategy(s, TemplateCatalogue::builtin()).expect("valid strategy");
    let examples = StrategyLibrary::new(EXAMPLES.iter().map(|s| compile(s)).collect(), vec![]);
    let plain = StrategyLibrary::new(vec![compile(PLAIN)], vec![]);
    let preset = Preset::for_jurisdiction(Jurisdiction::Co);
    let calendar = HolidayCalendar::for_jurisdiction(Jurisdiction::Co);
    let tenant = TenantPolicy::default();
    let segments = Segments::builtin();

    let mut group = c.benchmark_group("planner");
    for (name, library) in [
        ("example strategies", &examples),
        ("plain strategy", &plain),
    ] {
        let planner = Planner::new(
            preset,
            &tenant,
            &calendar,
            library,
            segments,
            PlanOptions::default(),
        );
        let (decisions, contacts) = files
            .iter()
            .map(|f| {
                let plan = planner.plan_debtor(f, now, None);
                (plan.lines.len(), plan.contacts.len())
            })
            .fold((0, 0), |(d, c), (dd, cc)| (d + dd, c + cc));
        eprintln!(
            "planner/{name}: {decisions} decisions and {contacts} contacts per 1,000 debtors"
        );
        group.throughput(Throughput::Elements(files.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut n = 0usize;
                for f in &files {
                    n += planner
                        .plan_debtor(std::hint::black_box(f), now, None)
                        .lines
                        .len();
                }
                std::hint::black_box(n)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
