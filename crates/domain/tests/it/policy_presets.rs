//! The jurisdiction presets against the law they cite (sources in the data files' comments and
//! in docs/policy.md), plus the loader's errors on bad documents.

use chrono::{NaiveTime, Weekday};
use proptest::prelude::*;
use recaudo_domain::calendar::Jurisdiction;
use recaudo_domain::policy::{
    ChannelSet, CountScope, Limit, PolicyError, Preset, WindowBasis, check_builtin_files,
};
use recaudo_domain::portfolio::Channel;

const ALL_CHANNELS: &[Channel] = Channel::ALL;
const WEEK: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];
const MON_FRI: [Weekday; 5] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
];

fn p(j: Jurisdiction) -> &'static Preset {
    Preset::for_jurisdiction(j)
}

/// The windows of one channel on one day, as `HH:MM-HH:MM` strings.
fn windows(j: Jurisdiction, c: Channel, d: Weekday) -> Vec<String> {
    p(j).channel(c)
        .windows
        .on(d)
        .iter()
        .map(|w| w.to_string())
        .collect()
}

fn assert_days(j: Jurisdiction, channels: &[Channel], days: &[Weekday], expected: &[&str]) {
    for c in channels {
        for d in days {
            assert_eq!(windows(j, *c, *d), expected, "{j} {c} {d}");
        }
    }
}

fn limit(j: Jurisdiction, id: &str) -> &'static Limit {
    p(j).limits()
        .iter()
        .find(|l| l.id == id)
        .unwrap_or_else(|| panic!("{j}: no limit `{id}`"))
}

fn t(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

#[test]
fn every_preset_loads() {
    check_builtin_files().unwrap();
    for j in Jurisdiction::ALL {
        let preset = Preset::try_for_jurisdiction(j).unwrap();
        assert_eq!(preset.jurisdiction(), j);
        assert!(
            !preset.name().is_empty() && !preset.sources().is_empty(),
            "{j}"
        );
        assert_eq!(preset.channels().count(), 5);
    }
}

#[test]
fn co_ley_2300() {
    use Jurisdiction::Co;
    assert_days(Co, ALL_CHANNELS, &MON_FRI, &["07:00-19:00"]);
    assert_days(Co, ALL_CHANNELS, &[Weekday::Sat], &["08:00-15:00"]);
    assert_days(Co, ALL_CHANNELS, &[Weekday::Sun], &[]);
    for &c in ALL_CHANNELS {
        let rule = p(Co).channel(c);
        assert!(!rule.on_holidays, "{c}");
        assert!(rule.consent_required, "{c}");
        assert_eq!(rule.basis, WindowBasis::Law);
        assert!(rule.windows.allows(Weekday::Mon, t(7, 0)));
        assert!(!rule.windows.allows(Weekday::Mon, t(19, 0)));
        assert!(!rule.windows.allows(Weekday::Sat, t(15, 0)));
        assert!(!rule.windows.allows(Weekday::Sat, t(7, 59)));
    }
    let l = limit(Co, "once_a_day_one_channel_a_week");
    assert!(l.channels.is_all());
    assert_eq!(l.count, CountScope::PerDebtor);
    assert_eq!(l.per_day, Some(1));
    assert_eq!(l.max_channels_per_7_days, Some(1));
    assert_eq!(p(Co).limits().len(), 1);
}

#[test]
fn cl_ley_21320() {
    use Jurisdiction::Cl;
    let mon_sat = [&MON_FRI[..], &[Weekday::Sat]].concat();
    assert_days(Cl, ALL_CHANNELS, &mon_sat, &["08:00-20:00"]);
    assert_days(Cl, ALL_CHANNELS, &[Weekday::Sun], &[]);
    assert_eq!(p(Cl).channel(Channel::Voice).basis, WindowBasis::Law);
    assert_eq!(p(Cl).channel(Channel::Email).basis, WindowBasis::Default);
    assert!(ALL_CHANNELS.iter().all(|c| !p(Cl).channel(*c).on_holidays));

    let calls = limit(Cl, "calls_once_a_week");
    assert_eq!(
        calls.channels,
        [Channel::Voice].into_iter().collect::<ChannelSet>()
    );
    assert_eq!(calls.per_7_days, Some(1));
    assert_eq!(calls.count, CountScope::PerDebtor);

    let written = limit(Cl, "written_twice_a_week");
    let others = [
        Channel::Email,
        Channel::Sms,
        Channel::Whatsapp,
        Channel::Letter,
    ];
    assert_eq!(written.channels, others.into_iter().collect::<ChannelSet>());
    assert!(!written.channels.contains(Channel::Voice));
    assert_eq!(written.per_7_days, Some(2));
    assert_eq!(written.min_gap.and_then(|g| g.days), Some(2));
    // Every channel is counted by exactly one of the two limits.
    for &c in ALL_CHANNELS {
        assert_eq!(p(Cl).limits_for(c).count(), 1, "{c}");
    }
}

#[test]
fn us_regulation_f() {
    use Jurisdiction::Us;
    assert_days(Us, ALL_CHANNELS, &WEEK, &["08:00-21:00"]);
    for &c in ALL_CHANNELS {
        let rule = p(Us).channel(c);
        assert!(rule.on_holidays && !rule.consent_required, "{c}");
        assert!(!rule.windows.allows(Weekday::Wed, t(21, 0)));
        assert!(rule.windows.allows(Weekday::Sun, t(20, 59)));
    }
    for c in [Channel::Email, Channel::Sms, Channel::Whatsapp] {
        assert!(p(Us).channel(c).opt_out_notice, "{c}");
    }
    for c in [Channel::Voice, Channel::Letter] {
        assert!(!p(Us).channel(c).opt_out_notice, "{c}");
    }
    let calls = limit(Us, "calls_7_in_7");
    assert_eq!(
        calls.channels,
        [Channel::Voice].into_iter().collect::<ChannelSet>()
    );
    assert_eq!(calls.count, CountScope::PerDebt);
    assert_eq!(calls.per_7_days, Some(7));
    assert_eq!(calls.after_conversation_days, Some(7));
    assert_eq!(p(Us).limits_for(Channel::Email).count(), 0);
}

#[test]
fn br_state_laws() {
    use Jurisdiction::{Br, BrRj, BrSp};
    // São Paulo, Lei 15.426/2014 art. 2: calls.
    let sp = p(BrSp).channel(Channel::Voice);
    assert_eq!(sp.basis, WindowBasis::Law);
    assert!(!sp.on_holidays);
    assert_days(BrSp, &[Channel::Voice], &MON_FRI, &["08:00-20:00"]);
    assert_days(BrSp, &[Channel::Voice], &[Weekday::Sat], &["08:00-14:00"]);
    assert_days(BrSp, &[Channel::Voice], &[Weekday::Sun], &[]);
    // Rio de Janeiro, Lei 6.854/2014 art. 3 § 4º: calls on working days 09:00-19:00.
    let rj = p(BrRj).channel(Channel::Voice);
    assert_eq!(rj.basis, WindowBasis::Law);
    assert!(!rj.on_holidays);
    assert_days(BrRj, &[Channel::Voice], &MON_FRI, &["09:00-19:00"]);
    assert_days(BrRj, &[Channel::Voice], &[Weekday::Sat, Weekday::Sun], &[]);
    // National: CDC only; the windows are a tenant default, not law.
    for &c in ALL_CHANNELS {
        assert_eq!(p(Br).channel(c).basis, WindowBasis::Default, "{c}");
    }
    assert!(p(Br).limits().is_empty());
}

#[test]
fn pe_mx_es_ar() {
    use Jurisdiction::{Ar, Es, Mx, Pe};
    // Perú, Ley 29571 art. 62 b: no calls 20:00-07:00, Saturdays, Sundays or holidays.
    let pe = p(Pe).channel(Channel::Voice);
    assert_eq!(pe.basis, WindowBasis::Law);
    assert!(!pe.on_holidays);
    assert_days(Pe, &[Channel::Voice], &MON_FRI, &["07:00-20:00"]);
    assert_days(Pe, &[Channel::Voice], &[Weekday::Sat, Weekday::Sun], &[]);
    assert!(!pe.windows.allows(Weekday::Tue, t(20, 0)));
    assert!(!pe.windows.allows(Weekday::Tue, t(6, 59)));
    // México, CONDUSEF: 07:00-22:00, every day.
    assert_days(Mx, ALL_CHANNELS, &WEEK, &["07:00-22:00"]);
    assert!(p(Mx).channel(Channel::Voice).on_holidays);
    // España and Argentina: no legal window.
    for j in [Es, Ar] {
        assert_days(j, ALL_CHANNELS, &WEEK, &["00:00-24:00"]);
        assert!(p(j).limits().is_empty());
        assert_eq!(p(j).channel(Channel::Voice).basis, WindowBasis::Default);
    }
}

fn bad(yaml: &str) -> String {
    match Preset::from_yaml("bad.yaml", yaml) {
        Ok(_) => panic!("accepted:\n{yaml}"),
        Err(e) => e.to_string(),
    }
}

const GOOD_HEAD: &str = "jurisdiction: CO\nname: Test\n";
const GOOD_DEFAULTS: &str = "channel_defaults:
  windows: { mon-fri: [\"07:00-19:00\"], sat: [\"08:00-15:00\"], sun: [] }
  basis: law
  on_holidays: false
  consent_required: true
  opt_out_notice: false
";

#[test]
fn good_inline_document_loads() {
    let doc = format!(
        "{GOOD_HEAD}{GOOD_DEFAULTS}channels:\n  voice:\n    windows: {{ mon-sun: [\"08:00-12:00\", \"14:00-18:00\"] }}\n"
    );
    let preset = Preset::from_yaml("ok.yaml", &doc).unwrap();
    assert_eq!(
        preset
            .channel(Channel::Voice)
            .windows
            .on(Weekday::Sun)
            .len(),
        2
    );
    assert!(preset.channel(Channel::Voice).consent_required);
    assert!(preset.limits().is_empty());
}

#[test]
fn bad_documents_name_file_path_and_problem() {
    // Overlapping windows on Saturday.
    let e = bad(&format!(
        "{GOOD_HEAD}{GOOD_DEFAULTS}channels:\n  voice:\n    windows:\n      mon-fri: [\"08:00-20:00\"]\n      sat: [\"08:00-14:00\", \"13:00-15:00\"]\n      sun: []\n"
    ));
    assert!(
        e.contains("`bad.yaml`")
            && e.contains("`channels.voice.windows.sat[1]`")
            && e.contains("overlaps"),
        "{e}"
    );
    // A window running backwards.
    let e = bad(&format!(
        "{GOOD_HEAD}{GOOD_DEFAULTS}channels:\n  sms:\n    windows: {{ mon-sun: [\"21:00-08:00\"] }}\n"
    ));
    assert!(
        e.contains("`channels.sms.windows.mon-sun[0]`") && e.contains("backwards"),
        "{e}"
    );
    // A time that is not a time.
    let e = bad(&format!(
        "{GOOD_HEAD}{GOOD_DEFAULTS}channels:\n  sms:\n    windows: {{ mon-sun: [\"08:00-25:00\"] }}\n"
    ));
    assert!(
        e.contains("`channels.sms.windows.mon-sun[0]`") && e.contains("25:00"),
        "{e}"
    );
    // A day not covered, and one covered twice.
    let e = bad(&format!(
        "{GOOD_HEAD}{GOOD_DEFAULTS}channels:\n  sms:\n    windows: {{ mon-fri: [] }}\n"
    ));
    assert!(
        e.contains("`channels.sms.windows`") && e.contains("`sat` is not covered"),
        "{e}"
    );
    let e = bad(&format!(
        "{GOOD_HEAD}{GOOD_DEFAULTS}channels:\n  sms:\n    windows: {{ mon-sun: [], sat: [] }}\n"
    ));
    assert!(e.contains("covered twice"), "{e}");
    // A typo in a key: serde names the field.
    let e = bad(&format!(
        "{GOOD_HEAD}{GOOD_DEFAULTS}channels:\n  voice:\n    on_holiday: true\n"
    ));
    assert!(e.contains("`bad.yaml`") && e.contains("on_holiday"), "{e}");
    // An unknown channel.
    let e = bad(&format!(
        "{GOOD_HEAD}{GOOD_DEFAULTS}channels:\n  fax: {{}}\n"
    ));
    assert!(
        e.contains("`channels.fax`") && e.contains("unknown channel"),
        "{e}"
    );
    // A channel neither listed nor defaulted.
    let e = bad(&format!(
        "{GOOD_HEAD}channels:\n  voice:\n    windows: {{ mon-sun: [] }}\n    basis: law\n    on_holidays: false\n    consent_required: false\n    opt_out_notice: false\n"
    ));
    assert!(
        e.contains("`channels.email`") && e.contains("channel_defaults"),
        "{e}"
    );
    // A cap of zero.
    let e = bad(&format!(
        "{GOOD_HEAD}{GOOD_DEFAULTS}limits:\n  - {{ id: x, channels: all, count: per_debtor, per_day: 0 }}\n"
    ));
    assert!(
        e.contains("`limits[0].per_day`") && e.contains("at least 1"),
        "{e}"
    );
    // A limit that limits nothing, and an unknown channel in a limit.
    let e = bad(&format!(
        "{GOOD_HEAD}{GOOD_DEFAULTS}limits:\n  - {{ id: x, channels: all, count: per_debt }}\n"
    ));
    assert!(
        e.contains("`limits[0]`") && e.contains("limits nothing"),
        "{e}"
    );
    let e = bad(&format!(
        "{GOOD_HEAD}{GOOD_DEFAULTS}limits:\n  - {{ id: x, channels: [sms, pigeon], count: per_debt, per_day: 1 }}\n"
    ));
    assert!(
        e.contains("`limits[0].channels[1]`") && e.contains("pigeon"),
        "{e}"
    );
    // An unknown jurisdiction.
    let e = bad(&format!("jurisdiction: XX\nname: Test\n{GOOD_DEFAULTS}"));
    assert!(e.contains("`jurisdiction`") && e.contains("XX"), "{e}");
    // Not YAML for a preset at all.
    let e = bad("- just\n- a list\n");
    assert!(matches!(
        Preset::from_yaml("bad.yaml", "- a\n"),
        Err(PolicyError::Parse { .. })
    ));
    assert!(e.contains("`bad.yaml`"), "{e}");
}

proptest! {
    /// No preset window overlaps another on the same day and channel, all are inside
    /// 00:00-24:00 and sorted; and a time is allowed iff exactly one window holds it.
    #[test]
    fn preset_windows_are_well_formed(
        j in 0..Jurisdiction::ALL.len(),
        c in 0..ALL_CHANNELS.len(),
        d in 0..7usize,
        minute in 0u32..1440,
    ) {
        let (j, c, d) = (Jurisdiction::ALL[j], ALL_CHANNELS[c], WEEK[d]);
        let rule = Preset::for_jurisdiction(j).channel(c);
        let ws = rule.windows.on(d);
        for w in ws {
            prop_assert!(w.start_minute() < w.end_minute(), "{j} {c} {d} {w}");
            prop_assert!(w.end_minute() <= 1440, "{j} {c} {d} {w}");
        }
        for pair in ws.windows(2) {
            prop_assert!(pair[0].end_minute() <= pair[1].start_minute(), "{j} {c} {d}: {} and {}", pair[0], pair[1]);
        }
        let time = NaiveTime::from_hms_opt(minute / 60, minute % 60, 0).unwrap();
        let holding = ws.iter().filter(|w| w.contains(time)).count();
        prop_assert!(holding <= 1);
        prop_assert_eq!(holding == 1, rule.windows.allows(d, time));
    }
}
