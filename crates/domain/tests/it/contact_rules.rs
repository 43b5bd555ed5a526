//! The tenant's contact rules (`policy::ContactRules`): what they read into, and "never looser
//! than the law" per jurisdiction, as a table.

use chrono::{NaiveDate, NaiveTime, Weekday};
use recaudo_domain::calendar::Jurisdiction;
use recaudo_domain::policy::{ContactRules, Preset};
use recaudo_domain::portfolio::Channel;

fn parse(j: Jurisdiction, text: &str) -> Result<ContactRules, Vec<String>> {
    ContactRules::parse(text, Preset::for_jurisdiction(j))
        .map_err(|errors| errors.iter().map(ToString::to_string).collect())
}

/// Each case: a jurisdiction, a rules document, and `None` when it is accepted or the one error
/// expected (`LINE:COL: path: message`).
#[test]
fn never_looser_than_the_law_per_jurisdiction() {
    use Jurisdiction::*;
    let cases: &[(Jurisdiction, &str, Option<&str>)] = &[
        // CO: Ley 2300 windows are law on every channel.
        (
            Co,
            "windows:\n  sms:\n    mon-fri: [\"06:00-19:00\"]\n    sat: []\n    sun: []\n",
            Some(
                "3:15: windows.sms.mon-fri[0]: opens 06:00 on Monday, earlier than 07:00 allowed by CO Ley 2300 de 2023",
            ),
        ),
        (
            Co,
            "windows:\n  sms:\n    mon-fri: [\"08:00-18:00\"]\n    sat: [\"08:00-16:00\"]\n    sun: []\n",
            Some(
                "4:11: windows.sms.sat[0]: closes 16:00 on Saturday, later than 15:00 allowed by CO Ley 2300 de 2023",
            ),
        ),
        (
            Co,
            "windows:\n  all:\n    mon-sat: [\"09:00-14:00\"]\n    sun: [\"10:00-12:00\"]\n",
            Some(
                "4:11: windows.all.sun[0]: allows 10:00-12:00 on Sunday, a day CO Ley 2300 de 2023 allows no contact for email",
            ),
        ),
        (
            Co,
            "windows:\n  all:\n    mon-fri: [\"08:00-18:00\"]\n    sat: [\"09:00-12:00\"]\n    sun: []\n",
            None,
        ),
        (
            Co,
            "limits:\n  - { id: two_a_day, channels: all, count: per_debtor, per_day: 2 }\n",
            Some(
                "2:65: limits[0].per_day: 2 a day is more than the 1 allowed by CO Ley 2300 de 2023 (limit `once_a_day_one_channel_a_week`: Ley 2300 de 2023 — periodicity)",
            ),
        ),
        (
            Co,
            "limits:\n  - { id: sms_two_a_day, channels: [sms], count: per_debt, per_day: 2 }\n",
            Some(
                "2:69: limits[0].per_day: 2 a day is more than the 1 allowed by CO Ley 2300 de 2023 (limit `once_a_day_one_channel_a_week`: Ley 2300 de 2023 — periodicity)",
            ),
        ),
        (
            Co,
            "limits:\n  - { id: three_a_week, channels: all, count: per_debtor, per_7_days: 3 }\n",
            None,
        ),
        // US: 08:00-21:00 every day; calls 7 in 7 per debt, 7 days after a conversation.
        (
            Us,
            "windows:\n  voice:\n    mon-sun: [\"07:30-20:00\"]\n",
            Some(
                "3:15: windows.voice.mon-sun[0]: opens 07:30 on Monday, earlier than 08:00 allowed by US FDCPA / Regulation F (12 CFR part 1006)",
            ),
        ),
        (
            Us,
            "limits:\n  - { id: calls, channels: [voice], count: per_debt, per_7_days: 8 }\n",
            Some(
                "2:66: limits[0].per_7_days: 8 in 7 days is more than the 7 allowed by US FDCPA / Regulation F (12 CFR part 1006) (limit `calls_7_in_7`: 12 CFR 1006.14(b)(2)(i))",
            ),
        ),
        (
            Us,
            "limits:\n  - { id: calls, channels: [voice], count: per_debt, after_conversation_days: 3 }\n",
            Some(
                "2:79: limits[0].after_conversation_days: 3 days of silence after a conversation is fewer than the 7 required by US FDCPA / Regulation F (12 CFR part 1006) (limit `calls_7_in_7`: 12 CFR 1006.14(b)(2)(i))",
            ),
        ),
        // Per debtor counts more than the law's per debt: not comparable, accepted.
        (
            Us,
            "limits:\n  - { id: calls, channels: [voice], count: per_debtor, per_7_days: 8 }\n",
            None,
        ),
        // CL: calls are law, written channels a default a tenant may replace.
        (
            Cl,
            "windows:\n  voice:\n    mon-fri: [\"08:00-20:00\"]\n    sat: []\n    sun: [\"10:00-12:00\"]\n",
            Some(
                "5:11: windows.voice.sun[0]: allows 10:00-12:00 on Sunday, a day CL Ley 19.496 art. 37 (Ley 21.320) allows no contact",
            ),
        ),
        (
            Cl,
            "windows:\n  email:\n    mon-sun: [\"07:00-22:00\"]\n",
            None,
        ),
        // `all` covers the channels without their own entry: voice keeps to the law here.
        (
            Cl,
            "windows:\n  all:\n    mon-sun: [\"07:00-22:00\"]\n  voice:\n    mon-sat: [\"09:00-18:00\"]\n    sun: []\n",
            None,
        ),
        (
            Cl,
            "windows:\n  all:\n    mon-sun: [\"07:00-22:00\"]\n",
            Some(
                "3:15: windows.all.mon-sun[0]: opens 07:00 on Monday, earlier than 08:00 allowed for voice by CL Ley 19.496 art. 37 (Ley 21.320)",
            ),
        ),
        (
            Cl,
            "limits:\n  - { id: written, channels: [email, sms], count: per_debtor, per_7_days: 3, min_gap: { days: 1 } }\n",
            Some(
                "2:75: limits[0].per_7_days: 3 in 7 days is more than the 2 allowed by CL Ley 19.496 art. 37 (Ley 21.320) (limit `written_twice_a_week`: Ley 19.496 art. 37, as amended by Ley 21.320)\n\
                 2:95: limits[0].min_gap.days: 1 day between contacts is fewer than the 2 required by CL Ley 19.496 art. 37 (Ley 21.320) (limit `written_twice_a_week`: Ley 19.496 art. 37, as amended by Ley 21.320)",
            ),
        ),
        // MX: 07:00-22:00 every day, law.
        (
            Mx,
            "windows:\n  all:\n    mon-sun: [\"07:00-22:30\"]\n",
            Some(
                "3:15: windows.all.mon-sun[0]: closes 22:30 on Monday, later than 22:00 allowed for email by MX CONDUSEF, Disposiciones en materia de Despachos de Cobranza",
            ),
        ),
        // PE: calls Mon-Fri law; written channels a default.
        (
            Pe,
            "windows:\n  voice:\n    mon-sat: [\"09:00-18:00\"]\n    sun: []\n",
            Some(
                "3:15: windows.voice.mon-sat[0]: allows 09:00-18:00 on Saturday, a day PE Ley 29571 (Código de Protección y Defensa del Consumidor) arts. 61-62 allows no contact",
            ),
        ),
        (
            Pe,
            "windows:\n  sms:\n    mon-sat: [\"09:00-18:00\"]\n    sun: []\n",
            None,
        ),
        // BR-SP and BR-RJ: calls are state law; BR has no hour law.
        (
            BrSp,
            "windows:\n  voice:\n    mon-fri: [\"07:30-20:00\"]\n    sat-sun: []\n",
            Some(
                "3:15: windows.voice.mon-fri[0]: opens 07:30 on Monday, earlier than 08:00 allowed by BR-SP São Paulo, Lei estadual 15.426/2014 and CDC art. 42",
            ),
        ),
        (
            BrRj,
            "windows:\n  voice:\n    mon-fri: [\"09:00-19:30\"]\n    sat-sun: []\n",
            Some(
                "3:15: windows.voice.mon-fri[0]: closes 19:30 on Monday, later than 19:00 allowed by BR-RJ Rio de Janeiro, Lei estadual 6.854/2014 art. 3 (Lei 7.868/2018) and CDC art. 42",
            ),
        ),
        (
            Br,
            "windows:\n  voice:\n    mon-sun: [\"07:00-21:00\"]\n",
            None,
        ),
        // ES and AR: no legal window, no caps.
        (
            Es,
            "windows:\n  all:\n    mon-fri: [\"09:00-21:00\"]\n    sat-sun: []\nlimits:\n  - { id: weekly, channels: all, count: per_debtor, per_7_days: 2 }\n",
            None,
        ),
        (
            Ar,
            "windows:\n  voice:\n    mon-sun: [\"00:00-24:00\"]\n",
            None,
        ),
    ];
    for (j, text, want) in cases {
        let got = parse(*j, text);
        match (want, &got) {
            (None, Ok(_)) => {}
            (Some(want), Err(errors)) => {
                assert_eq!(errors.join("\n"), *want, "{j}: {text}");
            }
            (None, Err(errors)) => panic!("{j}: refused {text}: {errors:?}"),
            (Some(want), Ok(_)) => panic!("{j}: accepted {text}, want {want}"),
        }
    }
}

#[test]
fn rules_read_into_policy_options_and_segments() {
    let text = "\
windows:
  all:
    mon-fri: [\"08:00-18:00\"]
    sat: [\"09:00-13:00\"]
    sun: []
  voice:
    mon-fri: [\"09:00-17:00\"]
    sat-sun: []
limits:
  - { id: three_a_week, channels: all, count: per_debtor, per_7_days: 3 }
do_not_contact_days: [2026-12-24, \"2026-12-31\"]
one_contact_per_day: false
promise_grace_days: 2
segments:
  - { id: business, if: \"debtor.kind == 'business'\" }
";
    let rules = parse(Jurisdiction::Co, text).unwrap();
    let at = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap();
    let sms = &rules.policy.windows[&Channel::Sms];
    assert!(sms.allows(Weekday::Sat, at(12, 0)));
    assert!(!sms.allows(Weekday::Mon, at(18, 30)));
    let voice = &rules.policy.windows[&Channel::Voice];
    assert!(!voice.allows(Weekday::Sat, at(10, 0)));
    assert!(voice.allows(Weekday::Mon, at(16, 59)));
    assert_eq!(rules.policy.limits.len(), 1);
    assert_eq!(rules.policy.limits[0].per_7_days, Some(3));
    assert_eq!(
        rules
            .policy
            .do_not_contact_days
            .iter()
            .copied()
            .collect::<Vec<_>>(),
        vec![
            NaiveDate::from_ymd_opt(2026, 12, 24).unwrap(),
            NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()
        ]
    );
    let options = rules.plan_options();
    assert!(!options.one_contact_per_day);
    assert_eq!(options.promise_grace_days, 2);
    let segments = rules.segments.as_ref().unwrap();
    assert_eq!(segments.list().len(), 1);
    assert_eq!(segments.list()[0].id, "business");

    // No rules at all: the preset alone.
    let none = parse(Jurisdiction::Co, "# nothing of our own yet\n").unwrap();
    assert!(none.policy.windows.is_empty() && none.policy.limits.is_empty());
    assert!(none.one_contact_per_day && none.segments.is_none());
    assert_eq!(none.promise_grace_days, 0);
}

#[test]
fn errors_name_line_and_field_and_are_all_reported() {
    let cases: &[(&str, &[&str])] = &[
        (
            "windows:\n  fax:\n    mon-sun: []\n",
            &[
                "3:5: windows.fax: unknown channel `fax` (expected one of: email, sms, whatsapp, voice, letter), or `all`",
            ],
        ),
        (
            "windows:\n  sms:\n    mon-fri: [\"08:00-18:00\"]\n",
            &[
                "3:5: windows.sms: `sat` is not covered: give every weekday its windows (`sat: []` for no contact)",
            ],
        ),
        (
            "promise_grace_days: 45\ndo_not_contact_days: [24/12/2026]\n",
            &[
                "1:21: promise_grace_days: 45 days: at most 30",
                "2:23: do_not_contact_days[0]: `24/12/2026` is not a date YYYY-MM-DD",
            ],
        ),
        (
            "limits:\n  - { id: one_contact_per_day, channels: all, count: per_debtor, per_day: 1 }\n",
            &[
                "2:11: limits[0].id: `one_contact_per_day` is reserved: set `one_contact_per_day: true`",
            ],
        ),
        ("segments:\n  - { id: young, if: \"debtor.age <\" }\n", &[]),
        ("one_contact_per_dya: true\n", &[]),
    ];
    for (text, want) in cases {
        let errors = parse(Jurisdiction::Co, text).unwrap_err();
        if want.is_empty() {
            // The message is the CEL compiler's or serde's; the line and field are ours.
            assert_eq!(errors.len(), 1, "{text}: {errors:?}");
            assert!(
                errors[0].starts_with("2:") || errors[0].starts_with("1:1: "),
                "{text}: {errors:?}"
            );
        } else {
            assert_eq!(
                errors,
                want.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                "{text}"
            );
        }
    }
}
