//! Pure contact-policy evaluation speed (issue 4: "pure evaluation ≥ 1M decisions per second per
//! core"). One evaluator per debtor, as the planner builds them; each iteration decides a batch
//! of contacts across a week of hours, so sends, quiet-hour defers, Sunday and holiday defers
//! and cap defers are all in the mix. Run: `cargo bench -p recaudo-domain --bench policy`.

use chrono::{DateTime, Duration, TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use recaudo_domain::DebtId;
use recaudo_domain::calendar::{HolidayCalendar, Jurisdiction};
use recaudo_domain::policy::{
    Evaluator, PastContact, Preset, ProposedContact, RuntimeState, TenantPolicy,
};
use recaudo_domain::portfolio::{Channel, ConsentStatus, Preferences};

/// The instants of one week (2026-12-06, a Sunday, to 12-13, with the 8th a CO holiday), every
/// 37 minutes, so every hour of the day comes round.
fn week() -> Vec<DateTime<Utc>> {
    let start = Utc
        .with_ymd_and_hms(2026, 12, 6, 5, 0, 0)
        .single()
        .expect("instant");
    (0..(7 * 24 * 60 / 37))
        .map(|i| start + Duration::minutes(37 * i))
        .collect()
}

fn bench(c: &mut Criterion) {
    let channels = [
        Channel::Sms,
        Channel::Email,
        Channel::Whatsapp,
        Channel::Voice,
    ];
    let debt = DebtId::generate();
    let instants = week();
    for (name, jurisdiction, zone) in [
        ("CO", Jurisdiction::Co, "America/Bogota"),
        ("US", Jurisdiction::Us, "America/New_York"),
    ] {
        let preset = Preset::for_jurisdiction(jurisdiction);
        let calendar = HolidayCalendar::for_jurisdiction(jurisdiction);
        let tenant = TenantPolicy::default();
        let preferences = Preferences::default();
        let tz = zone.parse().expect("zone");
        let evaluator = Evaluator::new(preset, &tenant, &calendar, tz, &preferences);
        // One earlier contact, two days before the week: caps and gaps are counted.
        let history = [PastContact {
            at: instants[0] - Duration::days(2),
            channel: Channel::Sms,
            debt,
            conversation: false,
        }];
        let state = RuntimeState {
            pauses: &[],
            history: &history,
        };
        let contacts: Vec<ProposedContact> = channels
            .iter()
            .map(|&channel| ProposedContact {
                channel,
                debt,
                consent: ConsentStatus::Granted,
                opted_out: false,
            })
            .collect();
        let mut group = c.benchmark_group(format!("policy/{name}"));
        group.throughput(Throughput::Elements(
            (instants.len() * contacts.len()) as u64,
        ));
        group.bench_function("evaluate", |b| {
            b.iter(|| {
                let mut sends = 0usize;
                for now in &instants {
                    for contact in &contacts {
                        let d = evaluator.evaluate(std::hint::black_box(contact), &state, *now);
                        sends += usize::from(d.send_at().is_some());
                    }
                }
                std::hint::black_box(sends)
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
