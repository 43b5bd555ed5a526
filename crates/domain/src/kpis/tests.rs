//! The formulas on a hand-computed fixture (USD, period 2026-11-01..=2026-11-30, so balances
//! "at the start" are as of the end of 2026-10-31), and properties on random facts.

// Amounts are written in cents as `units_cents` (100_00 = 100.00).
#![allow(clippy::inconsistent_digit_grouping)]

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use rust_decimal::Decimal;

use super::compute::{countback_dso, normal_cdf, p_value, two_proportion_z};
use super::facts::*;
use super::*;

fn day(text: &str) -> NaiveDate {
    text.parse().expect("a date")
}

fn at(text: &str) -> DateTime<Utc> {
    text.parse().expect("a timestamp")
}

fn usd(text: &str) -> Decimal {
    text.parse().expect("an amount")
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

#[track_caller]
fn assert_close(a: Option<f64>, b: f64) {
    assert!(close(a, b), "{a:?} != {b}");
}

/// Four USD debts and one EUR debt (ignored by a USD report):
/// - D0 (debtor 0, retail, sms last): 100.00 issued 09-01 due 10-01; paid 40 on 10-15, 60 on 11-10.
/// - D1 (debtor 1, retail, email last): 200.00 issued 10-01 due 10-31; nothing paid.
/// - D2 (debtor 2, sme, whatsapp last): 300.00 issued 11-05 due 12-05; paid 100 on 11-20.
/// - D3 (debtor 2, sme, sms last): 50.00 issued 06-01 due 07-01; paid 10 on 11-25.
fn fixture() -> Facts {
    let mut b = FactsBuilder::new();
    let bogota = b.label("America/Bogota");
    let sao_paulo = b.label("America/Sao_Paulo");
    let retail = b.label("retail");
    let sme = b.label("sme");
    let card = b.label("card");
    let s1 = b.label("s1");
    let control = b.arm_set([("exp1", "control")]);
    let variant = b.arm_set([("exp1", "variant")]);
    let debt = |debtor, currency, original, issued: &str, due: &str, segment, timezone| DebtFact {
        debtor,
        currency,
        original,
        issued_on: day(issued),
        due_on: day(due),
        segment,
        product: card,
        strategy: NO_LABEL,
        arms: 0,
        strategy_started: None,
        timezone,
    };
    let d0 = b.debt(DebtFact {
        strategy: s1,
        arms: control,
        strategy_started: Some(at("2026-11-01T00:00:00Z")),
        ..debt(
            0,
            Currency::Usd,
            100_00,
            "2026-09-01",
            "2026-10-01",
            retail,
            bogota,
        )
    });
    let d1 = b.debt(DebtFact {
        strategy: s1,
        arms: variant,
        strategy_started: Some(at("2026-11-01T00:00:00Z")),
        ..debt(
            1,
            Currency::Usd,
            200_00,
            "2026-10-01",
            "2026-10-31",
            retail,
            bogota,
        )
    });
    let d2 = b.debt(DebtFact {
        strategy: s1,
        arms: variant,
        strategy_started: Some(at("2026-11-05T00:00:00Z")),
        ..debt(
            2,
            Currency::Usd,
            300_00,
            "2026-11-05",
            "2026-12-05",
            sme,
            sao_paulo,
        )
    });
    let d3 = b.debt(debt(
        2,
        Currency::Usd,
        50_00,
        "2026-06-01",
        "2026-07-01",
        sme,
        sao_paulo,
    ));
    let d4 = b.debt(debt(
        3,
        Currency::Eur,
        999_00,
        "2026-11-01",
        "2026-11-02",
        sme,
        bogota,
    ));
    for (debt, amount, when) in [
        (d0, 40_00, "2026-10-15T10:00:00Z"),
        (d0, 60_00, "2026-11-10T09:00:00Z"),
        (d2, 100_00, "2026-11-20T12:00:00Z"),
        (d3, 10_00, "2026-11-25T12:00:00Z"),
        (d4, 999_00, "2026-11-03T12:00:00Z"),
    ] {
        b.payment(PaymentFact {
            debt,
            amount,
            received_at: at(when),
        });
    }
    for (debt, amount, created, due, state) in [
        (
            d1,
            50_00,
            "2026-11-02T10:00:00Z",
            "2026-11-09",
            PromiseState::Open,
        ),
        (
            d2,
            100_00,
            "2026-11-15T10:00:00Z",
            "2026-11-20",
            PromiseState::Open,
        ),
        (
            d3,
            20_00,
            "2026-11-01T10:00:00Z",
            "2026-11-10",
            PromiseState::Cancelled,
        ),
        (
            d0,
            10_00,
            "2026-11-03T10:00:00Z",
            "2026-12-10",
            PromiseState::Open,
        ),
    ] {
        b.promise(PromiseFact {
            debt,
            amount,
            due_on: day(due),
            created_at: at(created),
            state,
        });
    }
    b.plan(PlanFact {
        debt: d3,
        accepted_at: at("2026-11-26T10:00:00Z"),
        by_agent: true,
    });
    b.touch(TouchFact {
        debtor: 1,
        at: at("2026-11-03T10:00:00Z"),
    });
    let sms = b.label("sms");
    let email = b.label("email");
    let whatsapp = b.label("whatsapp");
    let contact = |debt, channel, sent: &str| ContactFact {
        debt,
        channel,
        sent_at: at(sent),
        delivered_at: None,
        opened_at: None,
        clicked_at: None,
        replied_at: None,
        cost: None,
    };
    b.contact(ContactFact {
        delivered_at: Some(at("2026-11-08T15:01:00Z")),
        replied_at: Some(at("2026-11-08T15:30:00Z")),
        cost: Some(usd("0.05")),
        ..contact(d0, sms, "2026-11-08T15:00:00Z")
    });
    b.contact(ContactFact {
        delivered_at: Some(at("2026-11-02T12:01:00Z")),
        opened_at: Some(at("2026-11-02T13:00:00Z")),
        clicked_at: Some(at("2026-11-02T13:05:00Z")),
        cost: Some(usd("0.01")),
        ..contact(d1, email, "2026-11-02T12:00:00Z")
    });
    b.contact(ContactFact {
        replied_at: Some(at("2026-11-01T02:00:00Z")),
        cost: Some(usd("0.05")),
        ..contact(d3, sms, "2026-10-20T12:00:00Z")
    });
    b.contact(ContactFact {
        cost: Some(usd("0.02")),
        ..contact(d2, whatsapp, "2026-11-18T10:00:00Z")
    });
    b.contact(contact(d4, sms, "2026-11-02T10:00:00Z"));
    b.finish()
}

fn november(by: Option<Dimension>) -> KpiReport {
    compute(
        &fixture(),
        &KpiQuery::new(day("2026-11-01"), day("2026-11-30"), by, Currency::Usd),
    )
}

#[test]
fn dimensions_parse_and_name_the_bad_value() {
    for d in Dimension::ALL {
        assert_eq!(d.as_str().parse::<Dimension>(), Ok(d));
    }
    let err = "region".parse::<Dimension>().unwrap_err();
    assert!(err.to_string().contains("\"region\""), "{err}");
}

#[test]
fn buckets_of_days_late() {
    let table = [
        (-5, Bucket::Current),
        (0, Bucket::Current),
        (1, Bucket::D1To30),
        (30, Bucket::D1To30),
        (31, Bucket::D31To60),
        (60, Bucket::D31To60),
        (61, Bucket::D61To90),
        (90, Bucket::D61To90),
        (91, Bucket::D91To120),
        (120, Bucket::D91To120),
        (121, Bucket::Over120),
    ];
    for (days, bucket) in table {
        assert_eq!(Bucket::of_days_late(days), bucket, "{days} days");
    }
    assert_eq!(Bucket::D1To30.label(), "1–30");
    assert_eq!(Bucket::Over120.label(), "120+");
    assert_eq!(Bucket::Over120.next(), None);
}

#[test]
fn collected_and_payments_count_the_period_only() {
    let t = november(None).total;
    // USD debts issued by 11-30: D0..D3 (the EUR debt and its payment are another currency).
    assert_eq!(t.debts, 4);
    // 60 (D0, 11-10) + 100 (D2, 11-20) + 10 (D3, 11-25); D0's 40 on 10-15 is before.
    assert_eq!(t.collected, usd("170.00"));
    assert_eq!(t.payments, 3);
}

#[test]
fn cei_dso_and_countback() {
    let t = november(None).total;
    // Opening receivables (end of 10-31): D0 100−40 = 60, D1 200, D2 not issued, D3 50 → 310.
    // Credit sales (issued in November): D2 300.
    // Closing receivables (11-30): D0 0, D1 200, D2 300−100 = 200, D3 50−10 = 40 → 440;
    // of which current (not yet due on 11-30): D2 200.
    // CEI = (310 + 300 − 440) ÷ (310 + 300 − 200) × 100 = 170 ÷ 410 × 100 = 41.463…
    assert_close(t.cei, 170.0 / 410.0 * 100.0);
    // DSO = 440 ÷ 300 × 30 days = 44.
    assert_close(t.dso, 44.0);
    // Countback: November's sales 300 use 30 days (up to the 30th), 140 left; October's 200
    // cover it in 140 ÷ 200 × 31 = 21.7 days → 51.7.
    assert_close(t.countback_dso, 51.7);
    // Liquidation = collected ÷ opening receivables = 170 ÷ 310.
    assert_close(t.liquidation_rate, 170.0 / 310.0);
}

#[test]
fn countback_walks_months_back() {
    let sales = [(2026 * 12 + 9, 100), (2026 * 12 + 10, 50)]
        .into_iter()
        .collect();
    // 120 receivable on 11-15: November's 50 use 15 days, 70 left; October's 100 cover it
    // in 70 ÷ 100 × 31 = 21.7 → 36.7.
    assert_close(countback_dso(120, &sales, day("2026-11-15")), 36.7);
    assert_close(countback_dso(0, &sales, day("2026-11-15")), 0.0);
    // More receivable than every sale: all months walked (15 + 31 days).
    assert_close(countback_dso(1_000, &sales, day("2026-11-15")), 46.0);
    assert_eq!(
        countback_dso(1, &Default::default(), day("2026-11-15")),
        None
    );
}

#[test]
fn aging_as_of_the_period_end() {
    let t = november(None).total;
    // 11-30: D1 30 days late (due 10-31) 200; D2 not due 200; D3 152 days late 40; D0 paid.
    let expect = [
        (Bucket::Current, 1, "200.00"),
        (Bucket::D1To30, 1, "200.00"),
        (Bucket::D31To60, 0, "0.00"),
        (Bucket::D61To90, 0, "0.00"),
        (Bucket::D91To120, 0, "0.00"),
        (Bucket::Over120, 1, "40.00"),
    ];
    let got: Vec<(Bucket, u64, Decimal)> = t
        .aging
        .iter()
        .map(|r| (r.bucket, r.debts, r.amount))
        .collect();
    let expect: Vec<(Bucket, u64, Decimal)> =
        expect.iter().map(|(b, n, a)| (*b, *n, usd(a))).collect();
    assert_eq!(got, expect);
}

#[test]
fn roll_rates_from_start_to_end() {
    let t = november(None).total;
    // At 10-31: D1 current (due that day) 200 → 11-30 30 days late: current → 1–30.
    // D0 30 days late, 60 → paid by 11-30: 1–30 → paid. D3 122 days late, 50: 10 paid on
    // 11-25 rolls to paid (10 ÷ 50 = 0.2), the 40 still owed stays 120+ (0.8).
    let row = |b: Bucket| &t.roll_rates[b.index()];
    assert_eq!(row(Bucket::Current).debts, 1);
    assert_eq!(row(Bucket::Current).amount, usd("200.00"));
    assert_eq!(
        row(Bucket::Current).to,
        vec![
            Some(0.0),
            Some(1.0),
            Some(0.0),
            Some(0.0),
            Some(0.0),
            Some(0.0),
            Some(0.0)
        ]
    );
    assert_eq!(row(Bucket::Current).roll_forward, Some(1.0));
    assert_eq!(row(Bucket::D1To30).amount, usd("60.00"));
    assert_eq!(row(Bucket::D1To30).to[6], Some(1.0));
    assert_eq!(row(Bucket::D1To30).roll_forward, Some(0.0));
    assert_eq!(row(Bucket::D31To60).to, vec![None; 7]);
    assert_close(row(Bucket::Over120).to[Bucket::Over120.index()], 0.8);
    assert_close(row(Bucket::Over120).to[6], 0.2);
    assert_eq!(row(Bucket::Over120).roll_forward, None);
    // Cure: delinquent at the start D0 and D3; D0 paid in full → 1 ÷ 2.
    assert_close(t.cure_rate, 0.5);
}

#[test]
fn recovery_by_placement_cohort() {
    let t = november(None).total;
    // Placement = the day after the due date; placed = the balance on the due date.
    // D3 placed 07-02 with 50, 10 since → 2026-07 0.2. D0 placed 10-02 with 100 (40 + 60
    // since) → 2026-10 1.0. D1 placed 11-01 with 200, nothing → 2026-11 0. D2 not yet placed.
    let got: Vec<(String, Decimal, Decimal, Option<f64>)> = t
        .recovery_by_cohort
        .iter()
        .map(|c| (c.cohort.clone(), c.placed, c.collected, c.rate))
        .collect();
    assert_eq!(
        got,
        vec![
            ("2026-07".into(), usd("50.00"), usd("10.00"), Some(0.2)),
            ("2026-10".into(), usd("100.00"), usd("100.00"), Some(1.0)),
            ("2026-11".into(), usd("200.00"), usd("0.00"), Some(0.0)),
        ]
    );
    // (10 + 100 + 0) ÷ (50 + 100 + 200) = 110 ÷ 350.
    assert_close(t.recovery_rate, 110.0 / 350.0);
}

#[test]
fn promises_kept_and_self_service() {
    let t = november(None).total;
    // Due in November: D1's 50 by 11-09 (nothing paid) and D2's 100 by 11-20 (100 paid on
    // 11-20); D3's is cancelled, D0's falls in December → 1 kept ÷ 2 due.
    assert_close(t.promise_kept_rate, 0.5);
    // Resolved in November: D0 paid in full, D1 promised, D2 promised, D3 planned (by an
    // agent). Debtor 1 had a task claimed, debtor 2 an agent's plan: only D0 is self-served
    // → 1 ÷ 4.
    assert_close(t.self_service_share, 0.25);
}

#[test]
fn contacts_cost_and_right_party() {
    let t = november(None).total;
    // Sent in November: D0 sms (replied), D1 email (clicked), D2 whatsapp (no answer); D3's
    // sms went in October → 3 contacts, 2 answered, cost 0.05 + 0.01 + 0.02 = 0.08.
    assert_eq!(t.contacts, 3);
    assert_eq!(t.cost, usd("0.08"));
    assert_close(t.right_party_contact_rate, 2.0 / 3.0);
    // 3 contacts ÷ 170 collected; 0.08 ÷ 170.
    assert_close(t.contacts_per_collected_unit, 3.0 / 170.0);
    assert_close(t.cost_to_collect, 0.08 / 170.0);
}

#[test]
fn trend_funnel_and_heatmap() {
    let report = november(None);
    assert_eq!(report.trend.len(), 30);
    let on = |d: &str| {
        report
            .trend
            .iter()
            .find(|p| p.date == day(d))
            .expect("a day of the period")
    };
    assert_eq!(
        (on("2026-11-01").replies, on("2026-11-01").contacts),
        (1, 0)
    );
    assert_eq!(
        (on("2026-11-08").replies, on("2026-11-08").contacts),
        (1, 1)
    );
    assert_eq!(on("2026-11-10").collected, usd("60.00"));
    assert_eq!(on("2026-11-20").payments, 1);
    let total: Decimal = report.trend.iter().map(|p| p.collected).sum();
    assert_eq!(total, usd("170.00"));

    let funnel: Vec<(&str, [u64; 6])> = report
        .funnel
        .iter()
        .map(|f| {
            let row = [f.sent, f.delivered, f.opened, f.clicked, f.replied, f.paid];
            (f.channel.as_str(), row)
        })
        .collect();
    // sms: D0's paid 2 days after (11-10 < 11-08 + 7 days); whatsapp: D2's 2 days after.
    assert_eq!(
        funnel,
        vec![
            ("email", [1, 1, 1, 1, 0, 0]),
            ("sms", [1, 1, 0, 0, 1, 1]),
            ("whatsapp", [1, 0, 0, 0, 0, 1]),
        ]
    );

    // Local time: 11-02 13:05Z in Bogotá (UTC−5) is Monday 08:05 (email click);
    // 11-08 15:30Z is Sunday 10:30 (sms reply); 11-01 02:00Z in São Paulo (UTC−3) is
    // Saturday 23:00 (sms reply to the October contact).
    let grid = |c: &str| {
        &report
            .heatmap
            .iter()
            .find(|h| h.channel == c)
            .expect("a channel")
            .counts
    };
    assert_eq!(grid("email")[0][8], 1);
    assert_eq!(grid("sms")[6][10], 1);
    assert_eq!(grid("sms")[5][23], 1);
    let sum: u32 = report
        .heatmap
        .iter()
        .flat_map(|h| h.counts.iter().flatten())
        .sum();
    assert_eq!(sum, 3);
    assert!(report.heatmap.iter().all(|h| h.channel != "whatsapp"));
}

#[test]
fn groups_by_segment_channel_and_arm() {
    let report = november(Some(Dimension::Segment));
    let keys: Vec<&str> = report.groups.iter().map(|g| g.key.as_str()).collect();
    assert_eq!(keys, ["retail", "sme"]);
    let retail = &report.groups[0].figures;
    // Retail = D0 + D1: opening 60 + 200, closing 0 + 200 (none current), no sales:
    // CEI = (260 − 200) ÷ 260 × 100; no DSO; countback: November has no sales (30 days),
    // October's 200 cover 200 in 31 days → 61.
    assert_eq!(retail.collected, usd("60.00"));
    assert_close(retail.cei, 60.0 / 260.0 * 100.0);
    assert_eq!(retail.dso, None);
    assert_close(retail.countback_dso, 61.0);
    let sme = &report.groups[1].figures;
    // Sme = D2 + D3: opening 50, sales 300, closing 240 (200 current):
    // CEI = 110 ÷ 150 × 100; DSO = 240 ÷ 300 × 30 = 24.
    assert_eq!(sme.collected, usd("110.00"));
    assert_close(sme.cei, 110.0 / 150.0 * 100.0);
    assert_close(sme.dso, 24.0);
    assert_eq!(retail.debts + sme.debts, report.total.debts);

    // Channel of the last contact sent by 11-30: D1 email; D0 sms, D3 sms; D2 whatsapp.
    let report = november(Some(Dimension::Channel));
    let got: Vec<(&str, u64)> = report
        .groups
        .iter()
        .map(|g| (g.key.as_str(), g.figures.debts))
        .collect();
    assert_eq!(got, [("email", 1), ("sms", 2), ("whatsapp", 1)]);

    let report = november(Some(Dimension::Arm));
    let got: Vec<(&str, u64)> = report
        .groups
        .iter()
        .map(|g| (g.key.as_str(), g.figures.debts))
        .collect();
    assert_eq!(
        got,
        [("(none)", 1), ("exp1=control", 1), ("exp1=variant", 2)]
    );
    assert!(november(None).groups.is_empty());
}

#[test]
fn experiment_two_proportion_test() {
    let report = november(None);
    assert_eq!(report.experiments.len(), 1);
    let e = &report.experiments[0];
    assert_eq!((e.strategy.as_str(), e.experiment.as_str()), ("s1", "exp1"));
    // Control D0 paid within 30 days (11-10) → 1 of 1; variant D1 no, D2 yes → 1 of 2.
    let arms: Vec<(&str, u64, u64)> = e
        .arms
        .iter()
        .map(|a| (a.arm.as_str(), a.debts, a.paid_within_30))
        .collect();
    assert_eq!(arms, [("control", 1, 1), ("variant", 2, 1)]);
    // Pooled p = 2 ÷ 3; se = √(2/3 · 1/3 · (1 + 1/2)) = √(1/3); z = (0.5 − 1) ÷ √(1/3)
    // = −0.866; p = 2 (1 − Φ(0.866)) = 0.3865.
    assert!((e.z.unwrap_or(0.0) + 0.866_025_4).abs() < 1e-6, "{:?}", e.z);
    assert!(
        (e.p_value.unwrap_or(0.0) - 0.386_476).abs() < 1e-5,
        "{:?}",
        e.p_value
    );
    assert!(!e.significant);
}

#[test]
fn z_test_on_a_textbook_case() {
    // 100 of 1000 vs 130 of 1000: pooled 0.115, se = √(0.115 · 0.885 · 0.002) = 0.014267,
    // z = 0.03 ÷ 0.014267 = 2.1027, p = 0.0355 (< 0.05).
    let z = two_proportion_z(100, 1000, 130, 1000).expect("defined");
    assert!((z - 2.102_740_6).abs() < 1e-6, "{z}");
    assert!((p_value(z) - 0.035_488).abs() < 1e-5);
    assert!((normal_cdf(0.0) - 0.5).abs() < 1e-9);
    assert!((normal_cdf(1.96) - 0.975_002).abs() < 1e-6);
    assert_eq!(two_proportion_z(0, 10, 0, 10), None);
    assert_eq!(two_proportion_z(1, 0, 1, 10), None);
}

#[test]
fn another_currency_sees_only_its_debts() {
    let report = compute(
        &fixture(),
        &KpiQuery::new(day("2026-11-01"), day("2026-11-30"), None, Currency::Eur),
    );
    assert_eq!(report.total.debts, 1);
    assert_eq!(report.total.collected, Decimal::new(999_00, 2));
    assert_eq!(report.total.contacts, 1);
    assert!(report.experiments.is_empty());
}

#[test]
fn serializes_money_as_strings() {
    let json = serde_json::to_value(november(Some(Dimension::Segment))).expect("json");
    assert_eq!(json["total"]["collected"], "170.00");
    assert_eq!(json["query"]["by"], "segment");
    assert_eq!(json["total"]["aging"][5]["bucket"], "over120");
    let back: KpiReport = serde_json::from_value(json).expect("back");
    assert_eq!(back, november(Some(Dimension::Segment)));
}

fn arbitrary_facts() -> impl Strategy<Value = Facts> {
    let debt = (1i64..100_000, 0i64..200, 0i64..120);
    let payment = (0usize..40, 1i64..60_000, 0i64..400);
    (
        prop::collection::vec(debt, 1..40),
        prop::collection::vec(payment, 0..80),
    )
        .prop_map(|(debts, payments)| {
            let base = Utc
                .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
                .single()
                .unwrap_or_default();
            let mut b = FactsBuilder::new();
            let n = debts.len();
            for (i, (original, issued, term)) in debts.into_iter().enumerate() {
                let issued_on = (base + chrono::Duration::days(issued)).date_naive();
                b.debt(DebtFact {
                    debtor: i as u32,
                    currency: Currency::Usd,
                    original,
                    issued_on,
                    due_on: issued_on + chrono::Duration::days(term),
                    segment: NO_LABEL,
                    product: NO_LABEL,
                    strategy: NO_LABEL,
                    arms: 0,
                    strategy_started: None,
                    timezone: NO_LABEL,
                });
            }
            for (debt, amount, when) in payments {
                b.payment(PaymentFact {
                    debt: (debt % n) as u32,
                    amount,
                    received_at: base + chrono::Duration::days(when),
                });
            }
            b.finish()
        })
}

proptest! {
    #[test]
    fn aging_partitions_the_closing_balance(facts in arbitrary_facts(), from in 0i64..300, len in 0i64..120) {
        let start = day("2026-01-01") + chrono::Duration::days(from);
        let query = KpiQuery::new(start, start + chrono::Duration::days(len), None, Currency::Usd);
        let report = compute(&facts, &query);
        // The open balance at `to`, debt by debt: original − payments by then, at least 0.
        let mut open = 0i64;
        let mut open_debts = 0u64;
        for (i, d) in facts.debts.iter().enumerate() {
            if d.issued_on > query.to { continue; }
            let paid: i64 = facts.payments_of(i as u32).iter()
                .filter(|p| p.received_at.date_naive() <= query.to).map(|p| p.amount).sum();
            let balance = (d.original - paid).max(0);
            open += balance;
            open_debts += u64::from(balance > 0);
        }
        let aged: Decimal = report.total.aging.iter().map(|r| r.amount).sum();
        let aged_debts: u64 = report.total.aging.iter().map(|r| r.debts).sum();
        prop_assert_eq!(aged, Decimal::new(open, 2));
        prop_assert_eq!(aged_debts, open_debts);
        prop_assert_eq!(report.trend.len() as i64, len + 1);
    }

    #[test]
    fn roll_rows_sum_to_one(facts in arbitrary_facts(), from in 0i64..300, len in 0i64..120) {
        let start = day("2026-01-01") + chrono::Duration::days(from);
        let query = KpiQuery::new(start, start + chrono::Duration::days(len), None, Currency::Usd);
        let report = compute(&facts, &query);
        for row in &report.total.roll_rates {
            prop_assert_eq!(row.to.len(), 7);
            if row.debts == 0 {
                prop_assert!(row.to.iter().all(Option::is_none));
            } else {
                let sum: f64 = row.to.iter().flatten().sum();
                prop_assert!((sum - 1.0).abs() < 1e-9, "{:?}", row);
            }
        }
        if let Some(cei) = report.total.cei {
            prop_assert!(cei.is_finite());
        }
    }
}
