//! Strategy files: parsing, validation, and the place of every error.

use proptest::prelude::*;
use recaudo_domain::event::EventKind;
use recaudo_domain::portfolio::Channel;
use recaudo_domain::strategy::*;

fn parse(src: &str) -> Result<CompiledStrategy, Vec<StrategyError>> {
    parse_strategy(src, TemplateCatalogue::builtin())
}

/// The errors of a document that must fail, as `LINE:COL: path: message` strings.
fn errors(src: &str) -> Vec<String> {
    match parse(src) {
        Ok(s) => panic!("`{}` validated but should not have", s.strategy.id),
        Err(es) => es.iter().map(ToString::to_string).collect(),
    }
}

/// The single error of a document, as `(line, column, path)`, with its message.
fn one_error(src: &str) -> (usize, usize, String, String) {
    let es = parse(src).err().unwrap_or_default();
    assert_eq!(es.len(), 1, "expected one error, got {es:#?}");
    let e = &es[0];
    (e.line, e.column, e.path.clone(), e.message.clone())
}

const GUIDE_SKETCH: &str = r#"id: consumer-default
applies_if: "debtor.kind == 'person'"
stop_when: ["debt.balance <= 0"]
pause_while: [promise_active, dispute_open, plan_current]
steps:
  - { id: pre-5, at: due-5d, send: { channel: email, template: reminder_soft } }
  - { id: due,   at: due,    send: [ {channel: sms, template: due_today}, {channel: email, template: due_today} ] }
  - id: late-3
    at: due+3d
    send: { channel: whatsapp, template: overdue_soft, fallback: [sms, email] }
    wait_for: { any: [opened, clicked, replied], within: 2d, otherwise: late-3-call }
  - { id: late-3-call, send: { channel: voice, template: ivr_overdue } }
  - { id: agent, at: due+15d, if: "debt.balance > 500.0 && score.ptp < 0.3", task: { queue: agents, script: negotiate } }
  - { id: letter, at: due+30d, send: { channel: letter, template: formal_notice } }
experiments:
  - { id: wa-vs-sms, step: late-3, arms: { A: {channel: whatsapp}, B: {channel: sms} }, split: [50, 50] }
"#;

#[test]
fn the_guide_sketch_parses() {
    let c = match parse(GUIDE_SKETCH) {
        Ok(c) => c,
        Err(es) => panic!("{es:#?}"),
    };
    let s = &c.strategy;
    assert_eq!(s.id, "consumer-default");
    assert_eq!(s.version, 1);
    assert_eq!(s.priority, 0);
    assert_eq!(
        s.pause_while,
        vec![Pause::PromiseActive, Pause::DisputeOpen, Pause::PlanCurrent]
    );
    assert_eq!(s.steps.len(), 6);
    assert_eq!(
        s.steps[0].at,
        Some(Placement::Due("due-5d".parse().unwrap()))
    );
    assert_eq!(s.steps[1].at, Some(Placement::Due(DueOffset::DUE)));
    match &s.steps[1].action {
        Action::Send(list) => assert_eq!(list.len(), 2),
        other => panic!("{other:?}"),
    }
    let late = s.step("late-3").unwrap();
    match &late.action {
        Action::Send(list) => {
            assert_eq!(list[0].channel, ChannelChoice::Channel(Channel::Whatsapp));
            let channels: Vec<Channel> = list[0].fallback.iter().map(|f| f.channel).collect();
            assert_eq!(channels, vec![Channel::Sms, Channel::Email]);
        }
        other => panic!("{other:?}"),
    }
    let w = late.wait_for.as_ref().unwrap();
    assert_eq!(
        w.any,
        vec![EventKind::Opened, EventKind::Clicked, EventKind::Replied]
    );
    assert_eq!(w.within.to_duration(), chrono::Duration::days(2));
    assert_eq!(w.otherwise.as_deref(), Some("late-3-call"));
    assert_eq!(s.step("late-3-call").unwrap().at, None);
    assert!(matches!(
        s.step("agent").unwrap().action,
        Action::Task(TaskSpec { ref queue, .. }) if queue == "agents"
    ));
    assert_eq!(s.experiments[0].arms.len(), 2);
    assert_eq!(s.experiments[0].arms[1].name, "B");
    assert_eq!(s.experiments[0].split, vec![50, 50]);
    // Every CEL expression is compiled once, kept by where it was written.
    let paths: Vec<&str> = c.conditions.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(paths, vec!["applies_if", "stop_when[0]", "steps[4].if"]);
}

#[test]
fn after_an_event_and_best_channel() {
    let src = "\
id: x
version: 3
priority: 10
steps:
  - { id: first, at: due, send: { channel: best, template: due_today } }
  - id: again
    after: { event: contact_sent, step: first, delay: 36h }
    send: { channel: email, template: reminder_soft }
";
    let c = parse(src).unwrap();
    assert_eq!(c.strategy.version, 3);
    assert_eq!(c.strategy.priority, 10);
    assert_eq!(
        c.strategy.steps[1].at,
        Some(Placement::After {
            event: EventKind::ContactSent,
            step: Some("first".into()),
            delay: "36h".parse().unwrap(),
        })
    );
    match &c.strategy.steps[0].action {
        Action::Send(l) => assert_eq!(l[0].channel, ChannelChoice::Best),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_step_references() {
    let src = "\
id: x
steps:
  - id: a
    at: due
    send: { channel: sms, template: due_today }
    wait_for: { any: [replied], within: 1d, otherwise: nowhere }
  - id: b
    after: { event: contact_sent, step: ghost }
    task: { queue: agents }
experiments:
  - { id: e, step: missing, arms: { A: {channel: sms} }, split: [100] }
";
    assert_eq!(
        errors(src),
        vec![
            "6:56: steps[0].wait_for.otherwise: unknown step `nowhere`",
            "8:41: steps[1].after.step: unknown step `ghost`",
            "11:20: experiments[0].step: unknown step `missing`",
        ]
    );
}

#[test]
fn a_cycle_through_otherwise_is_named() {
    let src = "\
id: x
steps:
  - id: late-3
    at: due+3d
    send: { channel: sms, template: overdue_soft }
    wait_for: { any: [replied], within: 1d, otherwise: call }
  - id: call
    send: { channel: voice, template: ivr_overdue }
    wait_for: { any: [replied], within: 1d, otherwise: late-3 }
";
    assert_eq!(
        errors(src),
        vec![
            "6:56: steps[0].wait_for.otherwise: cycle through `otherwise`: late-3 → call → late-3"
        ]
    );
    // A step that waits for itself.
    let src = "\
id: x
steps:
  - id: a
    at: due
    send: { channel: sms, template: due_today }
    wait_for: { any: [replied], within: 1d, otherwise: a }
";
    assert_eq!(
        one_error(src),
        (
            6,
            56,
            "steps[0].wait_for.otherwise".into(),
            "cycle through `otherwise`: a → a".into()
        )
    );
}

#[test]
fn duplicate_step_ids() {
    let src = "\
id: x
steps:
  - { id: a, at: due, send: { channel: sms, template: due_today } }
  - { id: a, at: due+1d, send: { channel: sms, template: due_today } }
";
    assert_eq!(
        one_error(src),
        (
            4,
            11,
            "steps[1].id".into(),
            "duplicate step id `a` (first used at steps[0])".into()
        )
    );
}

#[test]
fn unknown_channels() {
    let src = "\
id: x
steps:
  - { id: a, at: due, send: { channel: fax, template: due_today, fallback: [sms, pigeon] } }
experiments:
  - { id: e, step: a, arms: { A: {channel: telex}, B: {template: reminder_soft} }, split: [50, 50] }
";
    let es = errors(src);
    assert_eq!(es.len(), 3, "{es:#?}");
    assert!(
        es[0].starts_with("3:40: steps[0].send.channel: unknown channel `fax` (expected one of: email, sms, whatsapp, voice, letter, best)"),
        "{es:#?}"
    );
    assert!(
        es[1].starts_with("3:82: steps[0].send.fallback[1]: unknown channel `pigeon`"),
        "{es:#?}"
    );
    assert!(
        es[2].starts_with("5:44: experiments[0].arms.A.channel: unknown channel `telex`"),
        "{es:#?}"
    );
}

#[test]
fn unknown_templates() {
    let src = "\
id: x
steps:
  - id: a
    at: due
    send:
      - { channel: sms, template: due_today }
      - { channel: email, template: no_such_template }
";
    assert_eq!(
        one_error(src),
        (
            7,
            37,
            "steps[0].send[1].template".into(),
            "unknown template `no_such_template`".into()
        )
    );
    // The caller decides which templates exist.
    assert!(parse_strategy(src, recaudo_domain::strategy::TemplateCatalogue::open()).is_ok());
}

#[test]
fn bad_durations_and_offsets() {
    let src = "\
id: x
steps:
  - id: a
    at: due+3x
    send: { channel: sms, template: due_today }
    wait_for: { any: [replied], within: 2 days, otherwise: b }
  - id: b
    after: { event: contact_sent, delay: soon }
    send: { channel: sms, template: due_today }
  - { id: c, at: 5d, task: { queue: q } }
";
    let es = errors(src);
    assert_eq!(es.len(), 4, "{es:#?}");
    assert!(es[0].starts_with("4:9: steps[0].at: `due+3x` is not an offset from the due date"));
    assert!(es[1].starts_with("6:41: steps[0].wait_for.within: `2 days` is not a duration"));
    assert!(es[2].starts_with("8:42: steps[1].after.delay: `soon` is not a duration"));
    assert!(es[3].starts_with("10:18: steps[2].at: `5d` is not an offset from the due date"));
}

#[test]
fn experiment_splits() {
    let src = "\
id: x
steps:
  - { id: a, at: due, send: { channel: sms, template: due_today } }
experiments:
  - id: e
    step: a
    arms: { A: {channel: sms}, B: {channel: whatsapp} }
    split: [50, 40]
  - id: f
    step: a
    arms: { A: {channel: sms}, B: {channel: whatsapp}, C: {channel: email} }
    split: [50, 50]
";
    assert_eq!(
        errors(src),
        vec![
            "8:12: experiments[0].split: the split sums to 90, not 100",
            "12:12: experiments[1].split: 2 shares for 3 arms: give one share per arm, in the arms' order",
        ]
    );
}

#[test]
fn cel_that_does_not_compile_or_reads_unknown_variables() {
    let src = "\
id: x
applies_if: \"debtor.kind == \"
stop_when:
  - \"debt.balance <= 0\"
  - \"balance <= 0\"
steps:
  - { id: a, at: due, if: \"events.exists(e, e.kind == 'opened') && customer.vip\", task: { queue: q } }
";
    let es = errors(src);
    assert_eq!(es.len(), 3, "{es:#?}");
    assert!(
        es[0].starts_with("2:13: applies_if: CEL does not compile: "),
        "{es:#?}"
    );
    assert!(es[0].ends_with("(expression line 1, column 16)"), "{es:#?}");
    assert_eq!(
        es[1],
        "5:5: stop_when[1]: unknown variable `balance` in CEL (the variables are: debtor, debt, score, events, now)"
    );
    // `e`, bound by `exists`, is not a variable of the strategy; `customer` is.
    assert!(
        es[2].starts_with("7:27: steps[0].if: unknown variable `customer` in CEL"),
        "{es:#?}"
    );
}

#[test]
fn structural_errors() {
    let src = "\
id: x
steps:
  - { id: a, at: due, at2: due }
";
    let (line, col, path, msg) = one_error(src);
    assert_eq!((line, col, path.as_str()), (3, 23, "steps[0]"));
    assert!(msg.starts_with("unknown field `at2`"), "{msg}");

    let src = "\
id: x
steps:
  - { id: a, at: due, send: { channel: sms, template: due_today }, task: { queue: q } }
  - { id: b, at: due }
  - { id: c, send: { channel: sms, template: due_today } }
  - { id: d, at: due, task: { queue: q }, wait_for: { any: [replied], within: 1d } }
";
    assert_eq!(
        errors(src),
        vec![
            "3:74: steps[0].task: a step does one thing: `send` or `task`, not both",
            "4:5: steps[1]: a step needs an action: `send` or `task`",
            "5:5: steps[2]: step `c` has no `at` or `after` and no `wait_for.otherwise` names it: it can never run",
            "6:53: steps[3].wait_for: `wait_for` goes with `send`: it waits for answers to a message",
        ]
    );

    let (line, col, path, msg) =
        one_error("id: x\nversion: 0\nsteps:\n  - { id: a, at: due, task: { queue: q } }\n");
    assert_eq!((line, col, path.as_str()), (2, 10, "version"));
    assert!(msg.contains("not 0"), "{msg}");

    let (line, col, path, _) = one_error("id: x\npause_while: [promise_active, nope]\nsteps: []\n");
    assert_eq!((line, col, path.as_str()), (2, 31, "pause_while[1]"));

    let (line, col, _, msg) = one_error("id: x\nsteps:\n  - id: a\n   at: due\n");
    assert_eq!((line, col), (4, 4));
    assert!(msg.contains("did not find expected"), "{msg}");
}

#[test]
fn all_errors_are_collected() {
    let src = "\
id: x
steps:
  - { id: a, at: due+1w, send: { channel: fax, template: nope } }
  - { id: a, at: due, task: { queue: q } }
";
    assert_eq!(errors(src).len(), 4, "{:#?}", errors(src));
}

#[test]
fn hostile_cel_is_an_error_not_a_crash() {
    // Deep nesting overflowed a 2 MiB stack in cel 0.15's parser; it now compiles on a thread of
    // its own and the parser's own depth limit answers.
    let deep = format!("{}1{}", "(".repeat(300), ")".repeat(300));
    let src = format!(
        "id: x\napplies_if: \"{deep}\"\nsteps:\n  - {{ id: a, at: due, task: {{ queue: q }} }}\n"
    );
    assert_eq!(
        errors(&src),
        vec!["2:13: applies_if: CEL does not compile: the expression is nested too deeply"]
    );
    let nested = format!("{}1{}", "(".repeat(40), ")".repeat(40));
    let src = format!(
        "id: x\napplies_if: \"{nested} == 1\"\nsteps:\n  - {{ id: a, at: due, task: {{ queue: q }} }}\n"
    );
    assert!(parse(&src).is_ok());
    let long = format!("debt.balance > 0.0{}", " && debt.balance > 0.0".repeat(100));
    let src = format!(
        "id: x\napplies_if: \"{long}\"\nsteps:\n  - {{ id: a, at: due, task: {{ queue: q }} }}\n"
    );
    assert_eq!(
        errors(&src),
        vec![format!(
            "2:13: applies_if: the CEL expression is longer than {MAX_CEL_CHARS} characters"
        )]
    );
}

#[test]
fn whole_document_errors() {
    assert_eq!(
        errors("- a\n- b\n"),
        vec![
            "1:1: .: invalid type: sequence, expected a strategy (a mapping with `id` and `steps`)"
        ]
    );
    assert_eq!(errors(""), vec!["1:1: .: missing field `id`"]);
    let two = "id: x\nsteps:\n  - { id: a, at: due, task: { queue: q } }\n---\nid: y\n";
    assert_eq!(
        errors(two),
        vec!["4:1: .: deserializing from YAML containing more than one document is not supported"]
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_condition_gives_a_result(cond in "[a-z().<>=!&|' 0-9\\[\\]{}:,?+-]{0,60}") {
        let src = format!(
            "id: x\napplies_if: '{}'\nsteps:\n  - {{ id: a, at: due, task: {{ queue: q }} }}\n",
            cond.replace('\'', "''")
        );
        if let Err(es) = parse(&src) {
            prop_assert!(!es.is_empty());
            for e in es {
                prop_assert!(e.line >= 1 && e.column >= 1, "{}", e);
            }
        }
    }

    #[test]
    fn any_text_gives_a_result(text in "\\PC{0,80}") {
        if let Err(es) = parse(&text) {
            prop_assert!(!es.is_empty());
        }
    }
}

proptest! {
    #[test]
    fn offsets_round_trip(n in 0u32..=MAX_SPAN_AMOUNT, unit in 0usize..3, before: bool) {
        let u = ['d', 'h', 'm'][unit];
        let sign = if before { '-' } else { '+' };
        let text = format!("due{sign}{n}{u}");
        let o: DueOffset = text.parse().unwrap();
        prop_assert_eq!(o.before, before);
        prop_assert_eq!(o.span.amount, n);
        // `due+0d` is the due date itself and prints `due`.
        if n == 0 {
            prop_assert_eq!(o.to_string(), "due");
        } else {
            prop_assert_eq!(o.to_string(), text.clone());
        }
        prop_assert_eq!(o.to_string().parse::<DueOffset>().unwrap().to_duration(), o.to_duration());
        let minutes = i64::from(n) * [1440, 60, 1][unit];
        prop_assert_eq!(o.to_duration().num_minutes(), if before { -minutes } else { minutes });

        let span_text = format!("{n}{u}");
        let s: Span = span_text.parse().unwrap();
        prop_assert_eq!(s.to_string(), span_text);
    }

    #[test]
    fn bad_offsets_never_panic(text in "\\PC{0,12}") {
        let _ = text.parse::<DueOffset>();
        let _ = text.parse::<Span>();
    }
}

/// A template is sent only on channels it has a variant for: the first channel, each fallback
/// (with the message's template or its own) and each experiment arm. Validation refuses the
/// rest, naming the step and the channel; a stored version still loads
/// (`parse_stored_strategy`) and the planner skips such a channel.
#[test]
fn a_channel_needs_a_variant_of_its_template() {
    use recaudo_domain::strategy::{ChannelSet, TemplateCatalogue, parse_stored_strategy};
    // (step, error or none)
    let table: [(&str, Option<(&str, &str)>); 7] = [
        // The issue's case: a voice step falling back to SMS with the IVR script.
        (
            "{ id: call, at: due, send: { channel: voice, template: ivr_overdue, fallback: [sms] } }",
            Some((
                "steps[0].send.fallback[0]",
                "step `call`: template `ivr_overdue` has no sms variant (it has: voice), so it cannot go out on sms: name one that has, as in `{channel: sms, template: …}`",
            )),
        ),
        // The fix: the fallback names its own template.
        (
            "{ id: call, at: due, send: { channel: voice, template: ivr_overdue, fallback: [{ channel: sms, template: overdue_soft }] } }",
            None,
        ),
        // Its own template needs the variant too.
        (
            "{ id: call, at: due, send: { channel: voice, template: ivr_overdue, fallback: [{ channel: sms, template: statement }] } }",
            Some((
                "steps[0].send.fallback[0]",
                "step `call`: template `statement` has no sms variant (it has: email, letter), so it cannot go out on sms",
            )),
        ),
        // The first channel.
        (
            "{ id: due, at: due, send: { channel: voice, template: due_today } }",
            Some((
                "steps[0].send.channel",
                "step `due`: template `due_today` has no voice variant (it has: email, sms, whatsapp), so it cannot go out on voice",
            )),
        ),
        // `best` picks among the template's channels: nothing to refuse.
        (
            "{ id: due, at: due, send: { channel: best, template: ivr_overdue } }",
            None,
        ),
        (
            "{ id: due, at: due, send: { channel: sms, template: due_today, fallback: [email, whatsapp] } }",
            None,
        ),
        // An unknown channel is reported as such, not as a missing variant.
        (
            "{ id: due, at: due, send: { channel: sms, template: due_today, fallback: [{ channel: fax, template: due_today }] } }",
            Some(("steps[0].send.fallback[0].channel", "unknown channel `fax`")),
        ),
    ];
    for (step, want) in table {
        let src = format!("id: x\nsteps:\n  - {step}\n");
        match (parse_strategy(&src, TemplateCatalogue::builtin()), want) {
            (Ok(_), None) => {}
            (Err(errors), Some((path, message))) => {
                assert_eq!(errors.len(), 1, "{step}: {errors:#?}");
                assert_eq!(errors[0].path, path, "{step}");
                assert!(
                    errors[0].message.starts_with(message),
                    "{step}: {}",
                    errors[0].message
                );
            }
            (got, want) => panic!("{step}: got {got:?}, want {want:?}"),
        }
    }
    // An experiment arm: SMS with the IVR script of its step.
    let src = "\
id: x
steps:
  - { id: call, at: due, send: { channel: voice, template: ivr_overdue } }
experiments:
  - { id: e, step: call, arms: { A: {channel: voice}, B: {channel: sms} }, split: [50, 50] }
";
    let errors = parse_strategy(src, TemplateCatalogue::builtin()).expect_err("arm B");
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].path, "experiments[0].arms.B");
    assert!(
        errors[0]
            .message
            .starts_with("step `call`: template `ivr_overdue` has no sms variant"),
        "{}",
        errors[0].message
    );

    // A version stored before the check still loads, with what it says.
    let old = "id: x\nsteps:\n  - { id: call, at: due, send: { channel: voice, template: ivr_overdue, fallback: [sms] } }\n";
    let loaded = parse_stored_strategy(old, TemplateCatalogue::builtin()).expect("loads");
    let recaudo_domain::strategy::Action::Send(specs) = &loaded.strategy.steps[0].action else {
        panic!("a send");
    };
    assert_eq!(specs[0].variants, ChannelSet::from_iter([Channel::Voice]));
}

/// The shipped catalogue reads, names every template the examples use, and the channel bits
/// follow `Channel::ALL`.
#[test]
fn the_shipped_catalogue_reads_and_channel_sets_follow_channel_all() {
    use recaudo_domain::strategy::{ChannelSet, TemplateCatalogue};
    let catalogue = TemplateCatalogue::builtin();
    assert!(catalogue.iter().count() >= 12);
    assert_eq!(
        catalogue.channels("ivr_overdue"),
        Some(ChannelSet::from_iter([Channel::Voice]))
    );
    for (index, channel) in Channel::ALL.iter().enumerate() {
        assert_eq!(*channel as usize, index, "{channel}");
        let one = ChannelSet::from_iter([*channel]);
        assert_eq!(one.iter().collect::<Vec<_>>(), vec![*channel]);
    }
    assert_eq!(ChannelSet::ALL.iter().count(), Channel::ALL.len());
    assert!(TemplateCatalogue::from_yaml("x: [fax]").is_err());
    assert!(TemplateCatalogue::from_yaml("x: []").is_err());
}
