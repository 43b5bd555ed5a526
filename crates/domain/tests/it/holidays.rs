//! Holiday calendars against the lists published for each country (sources in the data files'
//! comments and in docs/holidays.md).

use chrono::{Datelike, NaiveDate, Weekday};
use proptest::prelude::*;
use recaudo_domain::calendar::{
    CalendarError, HolidayCalendar, Jurisdiction, RuleSet, check_builtin_files, easter_sunday,
};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn dates(j: Jurisdiction, year: i32) -> Vec<String> {
    HolidayCalendar::for_jurisdiction(j)
        .holidays(year)
        .iter()
        .map(|h| h.date.to_string())
        .collect()
}

/// Compares the whole list, and says which days are missing or extra.
fn assert_list(j: Jurisdiction, year: i32, expected: &[&str]) {
    let got = dates(j, year);
    let missing: Vec<_> = expected
        .iter()
        .filter(|e| !got.iter().any(|g| g == *e))
        .collect();
    let extra: Vec<_> = got
        .iter()
        .filter(|g| !expected.contains(&g.as_str()))
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty() && got.len() == expected.len(),
        "{j} {year}: missing {missing:?}, extra {extra:?}"
    );
}

#[test]
fn embedded_files_parse() {
    check_builtin_files().unwrap();
}

#[test]
fn easter_2025_to_2030() {
    for (year, date) in [
        (2025, "2025-04-20"),
        (2026, "2026-04-05"),
        (2027, "2027-03-28"),
        (2028, "2028-04-16"),
        (2029, "2029-04-01"),
        (2030, "2030-04-21"),
    ] {
        assert_eq!(easter_sunday(year), Some(d(date)), "{year}");
    }
}

#[test]
fn colombia_2026() {
    assert_list(
        Jurisdiction::Co,
        2026,
        &[
            "2026-01-01",
            "2026-01-12",
            "2026-03-23",
            "2026-04-02",
            "2026-04-03",
            "2026-05-01",
            "2026-05-18",
            "2026-06-08",
            "2026-06-15",
            "2026-06-29",
            "2026-07-20",
            "2026-08-07",
            "2026-08-17",
            "2026-10-12",
            "2026-11-02",
            "2026-11-16",
            "2026-12-08",
            "2026-12-25",
        ],
    );
    assert!(HolidayCalendar::for_jurisdiction(Jurisdiction::Co).is_holiday(d("2026-12-08")));
}

#[test]
fn colombia_2027() {
    assert_list(
        Jurisdiction::Co,
        2027,
        &[
            "2027-01-01",
            "2027-01-11",
            "2027-03-22",
            "2027-03-25",
            "2027-03-26",
            "2027-05-01",
            "2027-05-10",
            "2027-05-31",
            "2027-06-07",
            "2027-07-05",
            "2027-07-20",
            "2027-08-07",
            "2027-08-16",
            "2027-10-18",
            "2027-11-01",
            "2027-11-15",
            "2027-12-08",
            "2027-12-25",
        ],
    );
}

#[test]
fn colombia_moved_holidays_are_mondays() {
    let cal = HolidayCalendar::for_jurisdiction(Jurisdiction::Co);
    let fixed = [(1, 1), (5, 1), (7, 20), (8, 7), (12, 8), (12, 25)];
    for year in 2025..=2030 {
        let easter = easter_sunday(year).unwrap();
        for h in cal.holidays(year) {
            let is_fixed = fixed.contains(&(h.date.month(), h.date.day()));
            let is_holy_week = h.date == easter - chrono::Duration::days(3)
                || h.date == easter - chrono::Duration::days(2);
            if !is_fixed && !is_holy_week {
                assert_eq!(h.date.weekday(), Weekday::Mon, "{h:?}");
            }
        }
    }
}

#[test]
fn united_states_2026() {
    assert_list(
        Jurisdiction::Us,
        2026,
        &[
            "2026-01-01",
            "2026-01-19",
            "2026-02-16",
            "2026-05-25",
            "2026-06-19",
            "2026-07-03", // Independence Day, a Saturday, observed Friday
            "2026-09-07",
            "2026-10-12",
            "2026-11-11",
            "2026-11-26",
            "2026-12-25",
        ],
    );
}

#[test]
fn united_states_2027() {
    assert_list(
        Jurisdiction::Us,
        2027,
        &[
            "2027-01-01",
            "2027-01-18",
            "2027-02-15",
            "2027-05-31",
            "2027-06-18", // Juneteenth, a Saturday, observed Friday
            "2027-07-05", // Independence Day, a Sunday, observed Monday
            "2027-09-06",
            "2027-10-11",
            "2027-11-11",
            "2027-11-25",
            "2027-12-24", // Christmas, a Saturday, observed Friday
            "2027-12-31", // New Year's Day 2028, a Saturday, observed Friday
        ],
    );
    // …and so 2028 starts without a holiday on 1 January.
    let cal = HolidayCalendar::for_jurisdiction(Jurisdiction::Us);
    assert!(!cal.is_holiday(d("2028-01-01")));
    assert_eq!(
        cal.holiday_name(d("2027-12-31")).as_deref(),
        Some("New Year's Day")
    );
}

#[test]
fn united_states_observed_days_are_weekdays() {
    let cal = HolidayCalendar::for_jurisdiction(Jurisdiction::Us);
    for year in 2025..=2030 {
        for h in cal.holidays(year) {
            assert!(
                !matches!(h.date.weekday(), Weekday::Sat | Weekday::Sun),
                "{h:?}"
            );
        }
    }
}

const BR_2026: [&str; 10] = [
    "2026-01-01",
    "2026-04-03",
    "2026-04-21",
    "2026-05-01",
    "2026-09-07",
    "2026-10-12",
    "2026-11-02",
    "2026-11-15",
    "2026-11-20",
    "2026-12-25",
];

#[test]
fn brazil_2026() {
    assert_list(Jurisdiction::Br, 2026, &BR_2026);
}

#[test]
fn brazil_zumbi_day_is_national_from_2024() {
    let cal = HolidayCalendar::for_jurisdiction(Jurisdiction::Br);
    assert!(!cal.is_holiday(d("2023-11-20")));
    assert!(cal.is_holiday(d("2024-11-20")));
    assert!(cal.is_holiday(d("2030-11-20")));
}

#[test]
fn sao_paulo_2026() {
    let mut expected: Vec<&str> = BR_2026.to_vec();
    expected.push("2026-07-09");
    assert_list(Jurisdiction::BrSp, 2026, &expected);
}

#[test]
fn rio_de_janeiro_2026() {
    let mut expected: Vec<&str> = BR_2026.to_vec();
    expected.extend(["2026-02-17", "2026-04-23"]);
    assert_list(Jurisdiction::BrRj, 2026, &expected);
}

#[test]
fn chile_2026() {
    assert_list(
        Jurisdiction::Cl,
        2026,
        &[
            "2026-01-01",
            "2026-04-03",
            "2026-04-04",
            "2026-05-01",
            "2026-05-21",
            "2026-06-21",
            "2026-06-29",
            "2026-07-16",
            "2026-08-15",
            "2026-09-18",
            "2026-09-19",
            "2026-10-12",
            "2026-10-31",
            "2026-11-01",
            "2026-12-08",
            "2026-12-25",
        ],
    );
}

#[test]
fn chile_moves() {
    let cal = HolidayCalendar::for_jurisdiction(Jurisdiction::Cl);
    // Ley 19.668: 29 June 2023 (Thursday) → Monday 26 June; 12 October 2023 (Thursday) →
    // Monday 9 October; 29 June 2027 (Tuesday) → Monday 28 June.
    assert!(cal.is_holiday(d("2023-06-26")) && !cal.is_holiday(d("2023-06-29")));
    assert!(cal.is_holiday(d("2023-10-09")) && !cal.is_holiday(d("2023-10-12")));
    assert!(cal.is_holiday(d("2027-06-28")));
    // Ley 20.299: 31 October 2023 (Tuesday) → Friday 27 October; 2029 (Wednesday) → Friday 2
    // November.
    assert!(cal.is_holiday(d("2023-10-27")) && !cal.is_holiday(d("2023-10-31")));
    assert!(cal.is_holiday(d("2029-11-02")));
    // Leyes 20.215 / 20.983: 20 September 2024 and 2030 (Fridays), 17 September 2027 (Friday)
    // and 2029 (Monday).
    for day in ["2024-09-20", "2027-09-17", "2029-09-17", "2030-09-20"] {
        assert!(cal.is_holiday(d(day)), "{day}");
    }
    assert!(!cal.is_holiday(d("2026-09-17")));
    // Ley 20.983: 2 January 2023 (Monday).
    assert!(cal.is_holiday(d("2023-01-02")));
    assert!(!cal.is_holiday(d("2026-01-02")));
}

#[test]
fn mexico_2026() {
    assert_list(
        Jurisdiction::Mx,
        2026,
        &[
            "2026-01-01",
            "2026-02-02",
            "2026-03-16",
            "2026-05-01",
            "2026-09-16",
            "2026-11-16",
            "2026-12-25",
        ],
    );
}

#[test]
fn mexico_inauguration_and_election_days() {
    let cal = HolidayCalendar::for_jurisdiction(Jurisdiction::Mx);
    assert!(cal.is_holiday(d("2030-10-01")));
    assert!(cal.is_holiday(d("2024-10-01")));
    assert!(!cal.is_holiday(d("2026-10-01")));
    // First Sunday of June in federal election years.
    for day in ["2027-06-06", "2030-06-02"] {
        let date = d(day);
        assert_eq!(date.weekday(), Weekday::Sun);
        assert!(date.day() <= 7);
        assert!(cal.is_holiday(date), "{day}");
    }
}

#[test]
fn peru_2026() {
    assert_list(
        Jurisdiction::Pe,
        2026,
        &[
            "2026-01-01",
            "2026-04-02",
            "2026-04-03",
            "2026-05-01",
            "2026-06-07",
            "2026-06-29",
            "2026-07-23",
            "2026-07-28",
            "2026-07-29",
            "2026-08-06",
            "2026-08-30",
            "2026-10-08",
            "2026-11-01",
            "2026-12-08",
            "2026-12-09",
            "2026-12-25",
        ],
    );
}

#[test]
fn argentina_2026() {
    assert_list(
        Jurisdiction::Ar,
        2026,
        &[
            "2026-01-01",
            "2026-02-16",
            "2026-02-17",
            "2026-03-23", // día no laborable con fines turísticos
            "2026-03-24",
            "2026-04-02", // Malvinas, and Jueves Santo (día no laborable)
            "2026-04-03",
            "2026-05-01",
            "2026-05-25",
            "2026-06-15", // Güemes, 17 June (Wednesday) moved to Monday
            "2026-06-20",
            "2026-07-09",
            "2026-07-10", // turístico
            "2026-08-17",
            "2026-10-12",
            "2026-11-23", // Soberanía, 20 November (Friday) moved to Monday
            "2026-12-07", // turístico
            "2026-12-08",
            "2026-12-25",
        ],
    );
    let cal = HolidayCalendar::for_jurisdiction(Jurisdiction::Ar);
    let name = cal.holiday_name(d("2026-04-02")).unwrap();
    assert!(
        name.contains("Malvinas") && name.contains("Jueves Santo"),
        "{name}"
    );
}

#[test]
fn argentina_2025_decreed_move() {
    let cal = HolidayCalendar::for_jurisdiction(Jurisdiction::Ar);
    // 12 October 2025 (Sunday) moved to Friday 10 October (Decreto 614/2025).
    assert!(cal.is_holiday(d("2025-10-10")));
    assert!(!cal.is_holiday(d("2025-10-12")));
    // 20 November 2025 (Thursday) → Monday 24 November; 21 November turístico.
    assert!(cal.is_holiday(d("2025-11-24")) && cal.is_holiday(d("2025-11-21")));
}

#[test]
fn spain_2026() {
    assert_list(
        Jurisdiction::Es,
        2026,
        &[
            "2026-01-01",
            "2026-01-06",
            "2026-04-03",
            "2026-05-01",
            "2026-08-15",
            "2026-10-12",
            "2026-11-01",
            "2026-12-08",
            "2026-12-25",
        ],
    );
}

#[test]
fn every_jurisdiction_2025_to_2030_is_sane() {
    for j in Jurisdiction::ALL {
        let cal = HolidayCalendar::for_jurisdiction(j);
        for year in 2025..=2030 {
            let list = cal.holidays(year);
            // Mexico's Ley Federal del Trabajo has seven fixed days of rest; the others have more.
            let min = if j == Jurisdiction::Mx { 7 } else { 8 };
            assert!(
                list.len() >= min,
                "{j} {year}: only {} holidays",
                list.len()
            );
            for pair in list.windows(2) {
                assert!(pair[0].date < pair[1].date, "{j} {year}: not sorted/unique");
            }
            for h in &list {
                assert_eq!(h.date.year(), year, "{j}: {h:?}");
                assert!(!h.name.trim().is_empty(), "{j}: {h:?}");
                assert!(cal.is_holiday(h.date), "{j}: {h:?}");
            }
        }
    }
}

#[test]
fn regions_include_the_national_days() {
    let br = HolidayCalendar::for_jurisdiction(Jurisdiction::Br);
    for region in [Jurisdiction::BrSp, Jurisdiction::BrRj] {
        let cal = HolidayCalendar::for_jurisdiction(region);
        for year in 2025..=2030 {
            for h in br.holidays(year) {
                assert!(cal.is_holiday(h.date), "{region}: {h:?}");
            }
        }
    }
}

#[test]
fn tenant_extra_days() {
    let cal = HolidayCalendar::for_jurisdiction(Jurisdiction::Co).with_extra_days([
        (d("2026-12-24"), "Cierre de fin de año"),
        (d("2026-12-08"), "Inventario"),
        (d("2027-01-02"), "Cierre de fin de año"),
    ]);
    assert!(cal.is_holiday(d("2026-12-24")));
    assert!(cal.is_holiday(d("2027-01-02")));
    let list = cal.holidays(2026);
    assert_eq!(list.len(), 19);
    let dec8 = list.iter().find(|h| h.date == d("2026-12-08")).unwrap();
    assert_eq!(dec8.name, "Inmaculada Concepción / Inventario");
    // The base calendar is unchanged.
    let base = HolidayCalendar::for_jurisdiction(Jurisdiction::Co);
    assert!(!base.is_holiday(d("2026-12-24")));
    assert_eq!(base.holidays(2026).len(), 18);
}

#[test]
fn unknown_jurisdiction_message() {
    let e = "BR-MG".parse::<Jurisdiction>().unwrap_err();
    assert!(matches!(e, CalendarError::UnknownJurisdiction { .. }));
    let msg = e.to_string();
    assert!(msg.contains("`BR-MG`"), "{msg}");
    for j in Jurisdiction::ALL {
        assert!(msg.contains(j.code()), "{msg}");
    }
}

#[test]
fn parser_rejects_bad_rules_with_clear_messages() {
    let cases: &[(&str, &str)] = &[
        (
            "jurisdiction: XX\nname: Test\nholidays:\n  - name: Bad day\n    date: 02-30\n",
            "`date: 02-30` is not a day of the year",
        ),
        (
            "jurisdiction: XX\nname: Test\nholidays:\n  - name: Two rules\n    date: 01-01\n    easter: 1\n",
            "more than one date rule",
        ),
        (
            "jurisdiction: XX\nname: Test\nholidays:\n  - name: No rule\n",
            "no date rule",
        ),
        (
            "jurisdiction: XX\nname: Test\nholidays:\n  - name: Fifth\n    nth_weekday: { month: 5, weekday: mon, nth: 5 }\n",
            "use `last`",
        ),
        (
            "jurisdiction: XX\nname: Test\nholidays:\n  - name: Moved\n    date: 01-06\n    move: next_tuesday\n",
            "`move: next_tuesday` is not known",
        ),
        (
            "jurisdiction: XX\nname: Test\nholidays:\n  - name: Moved\n    date: 01-06\n    move: { funday: 1 }\n",
            "`funday` is not a weekday",
        ),
        (
            "jurisdiction: XX\nname: Test\nholidays:\n  - name: Typo\n    date: 01-06\n    moov: following_monday\n",
            "unknown field `moov`",
        ),
        (
            "jurisdiction: XX\nname: Test\nholidays:\n  - name: Range\n    date: 01-06\n    from: 2030\n    until: 2020\n",
            "`from: 2030` is after `until: 2020`",
        ),
        (
            "jurisdiction: XX\nname: Test\nholidays:\n  - name: Listed\n    dates: [2026-01-01]\n    move: following_monday\n",
            "`dates` lists the exact days",
        ),
    ];
    for (yaml, needle) in cases {
        let err = RuleSet::from_yaml("test.yaml", yaml).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("test.yaml"), "{msg}");
        assert!(msg.contains(needle), "expected `{needle}` in: {msg}");
    }
    // The rule's name is in the message.
    let msg = RuleSet::from_yaml(
        "test.yaml",
        "jurisdiction: XX\nname: Test\nholidays:\n  - name: Bad day\n    date: 02-30\n",
    )
    .unwrap_err()
    .to_string();
    assert!(msg.contains("`Bad day`"), "{msg}");
}

#[test]
fn custom_rules_build_on_a_builtin_calendar() {
    let set = RuleSet::from_yaml(
        "tenant.yaml",
        "jurisdiction: CO-ACME\nname: Acme Colombia\nincludes: [CO]\nholidays:\n  - name: Aniversario\n    date: 03-03\n",
    )
    .unwrap();
    let cal = HolidayCalendar::from_rules(&set).unwrap();
    assert_eq!(cal.code(), "CO-ACME");
    assert_eq!(cal.holidays(2026).len(), 19);
    assert!(cal.is_holiday(d("2026-03-03")));
    let bad = RuleSet::from_yaml(
        "tenant.yaml",
        "jurisdiction: X\nname: X\nincludes: [ZZ]\nholidays:\n  - name: A\n    date: 03-03\n",
    )
    .unwrap();
    let msg = HolidayCalendar::from_rules(&bad).unwrap_err().to_string();
    assert!(msg.contains("`includes: ZZ`"), "{msg}");
}

#[test]
fn years_outside_the_cache_still_work() {
    let cal = HolidayCalendar::for_jurisdiction(Jurisdiction::Co);
    assert!(cal.is_holiday(d("2300-12-25")));
    assert_eq!(cal.holidays(2300).len(), 18);
    // Before the Gregorian calendar there is no Easter; fixed days still come out.
    assert!(cal.is_holiday(d("1500-12-25")));
}

proptest! {
    #[test]
    fn is_holiday_agrees_with_the_list(offset in 0i64..2191, j in 0usize..Jurisdiction::ALL.len()) {
        let date = d("2025-01-01") + chrono::Duration::days(offset);
        prop_assume!(date.year() <= 2030);
        let cal = HolidayCalendar::for_jurisdiction(Jurisdiction::ALL[j]);
        let listed = cal.holidays(date.year()).iter().any(|h| h.date == date);
        prop_assert_eq!(cal.is_holiday(date), listed);
    }

    #[test]
    fn extra_days_are_holidays(offset in 0i64..2191, extra in 0i64..2191) {
        let date = d("2025-01-01") + chrono::Duration::days(offset);
        let extra_day = d("2025-01-01") + chrono::Duration::days(extra);
        let cal = HolidayCalendar::for_jurisdiction(Jurisdiction::Us)
            .with_extra_days([(extra_day, "Tenant day")]);
        let listed = cal.holidays(date.year()).iter().any(|h| h.date == date);
        prop_assert_eq!(cal.is_holiday(date), listed);
        prop_assert!(cal.is_holiday(extra_day));
    }
}
