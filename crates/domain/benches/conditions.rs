//! CEL condition evaluation and segment assignment speed (issue 4: segments and `applies_if` are
//! evaluated once per debtor per day). A portfolio of 1,000 varied debtors (kinds, ages, balances,
//! currencies, days past due, a few events); per debtor: build the evaluation context, then assign
//! the built-in segments (first match wins, so debtors stop at different segments).
//! Run: `cargo bench -p recaudo-domain --bench conditions`.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rust_decimal::Decimal;

use recaudo_domain::event::{Event, EventKind};
use recaudo_domain::portfolio::{Debt, DebtStatus, Debtor, DebtorKind, Language, Preferences};
use recaudo_domain::strategy::{Condition, EvalContext, EvalInput, Segments};
use recaudo_domain::{Country, Currency, DebtId, DebtorId, EventId, Money};

struct Row {
    debtor: Debtor,
    debt: Debt,
    events: Vec<Event>,
}

fn portfolio(now: DateTime<Utc>) -> Vec<Row> {
    let base = NaiveDate::from_ymd_opt(2026, 11, 25).expect("date");
    let currencies = [Currency::Cop, Currency::Usd, Currency::Brl, Currency::Mxn];
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
                tags: vec!["retail".into()],
                attributes: serde_json::json!({"plan": "basic"}),
                preferences: Preferences::default(),
                created_at: now - Duration::days(400),
                updated_at: now,
            };
            let currency = currencies[(i % 4) as usize];
            let amount = Decimal::from((i * 7919) % 30_000) * Decimal::from(i % 3 + 1);
            let money = Money::new(amount, currency);
            let debt = Debt {
                id: DebtId::generate(),
                debtor_id: debtor.id,
                external_id: format!("F-{i}"),
                original: money,
                balance: money,
                issued_on: base - Duration::days(60),
                due_on: base - Duration::days(i64::from(i % 120)),
                product: Some("loan".into()),
                status: DebtStatus::Open,
                strategy: None,
                created_at: now,
                updated_at: now,
            };
            let events = (0..(i % 4))
                .map(|k| Event {
                    id: EventId::generate(),
                    debtor_id: debtor.id,
                    debt_id: Some(debt.id),
                    kind: if i % 13 == 0 && k == 0 {
                        EventKind::PromiseBroken
                    } else {
                        EventKind::ContactSent
                    },
                    at: now - Duration::days(i64::from(k) + 1),
                    recorded_at: now - Duration::days(i64::from(k) + 1),
                    data: serde_json::json!({"channel": "sms"}),
                })
                .collect();
            Row {
                debtor,
                debt,
                events,
            }
        })
        .collect()
}

fn input<'a>(r: &'a Row, score: &'a BTreeMap<String, f64>, now: DateTime<Utc>) -> EvalInput<'a> {
    EvalInput {
        debtor: &r.debtor,
        debt: &r.debt,
        score,
        events: &r.events,
        now,
    }
}

fn bench(c: &mut Criterion) {
    let now = Utc
        .with_ymd_and_hms(2026, 11, 25, 14, 0, 0)
        .single()
        .expect("instant");
    let rows = portfolio(now);
    let segments = Segments::builtin();
    let score = BTreeMap::from([("ptp".to_string(), 0.4)]);
    let contexts: Vec<EvalContext> = rows
        .iter()
        .map(|r| EvalContext::new(&input(r, &score, now)))
        .collect();
    let condition =
        Condition::compile("applies_if", "debt.balance > 500.0 && score.ptp < 0.3").expect("cel");

    let mut group = c.benchmark_group("conditions");
    group.throughput(Throughput::Elements(rows.len() as u64));
    group.bench_function("context+segment per debtor", |b| {
        b.iter(|| {
            let mut assigned = 0usize;
            for r in &rows {
                let ctx = EvalContext::new(std::hint::black_box(&input(r, &score, now)));
                if let Ok(Some(_)) = segments.assign(&ctx) {
                    assigned += 1;
                }
            }
            std::hint::black_box(assigned)
        })
    });
    group.bench_function("segment on a built context", |b| {
        b.iter(|| {
            let mut assigned = 0usize;
            for ctx in &contexts {
                if let Ok(Some(_)) = segments.assign(std::hint::black_box(ctx)) {
                    assigned += 1;
                }
            }
            std::hint::black_box(assigned)
        })
    });
    group.bench_function("context only", |b| {
        b.iter(|| {
            for r in &rows {
                std::hint::black_box(EvalContext::new(std::hint::black_box(&input(
                    r, &score, now,
                ))));
            }
        })
    });
    group.bench_function("one condition on a built context", |b| {
        b.iter(|| {
            let mut yes = 0usize;
            for ctx in &contexts {
                yes += usize::from(ctx.evaluate(&condition) == Ok(true));
            }
            std::hint::black_box(yes)
        })
    });
    group.finish();

    // Where the debtors land, so the figures can be read against the mix.
    let mut mix: BTreeMap<&str, usize> = BTreeMap::new();
    for ctx in &contexts {
        let id = match segments.assign(ctx) {
            Ok(Some(s)) => s.id.as_str(),
            Ok(None) => "(none)",
            Err(_) => "(error)",
        };
        *mix.entry(id).or_default() += 1;
    }
    eprintln!("segment mix of the 1,000 debtors: {mix:?}");
}

criterion_group!(benches, bench);
criterion_main!(benches);
