//! `recaudo strategy validate`, run as a user runs it.

use crate::fixtures::*;

use std::path::Path;
use std::process::{Command, Output};

fn validate(file: &Path, cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_recaudo"))
        .args(["strategy", "validate"])
        .arg(file)
        .current_dir(cwd)
        .output()
        .expect("run recaudo")
}

const EXAMPLES: &[(&str, &str)] = &[
    ("utility.yaml", "ok: utility-household v1, 5 steps"),
    ("lender.yaml", "ok: lender-consumer v2, 9 steps"),
    ("b2b.yaml", "ok: b2b-invoices v1, 7 steps"),
    ("consumer.yaml", "ok: consumer-default v1, 7 steps"),
];

#[test]
fn the_documented_examples_validate() {
    let root = workspace();
    let doc = std::fs::read_to_string(root.join("docs/strategies.md")).unwrap();
    for (name, expected) in EXAMPLES {
        let path = root.join("examples/strategies").join(name);
        let o = validate(&path, &root);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        assert_eq!(stdout(&o).trim_end(), *expected);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            doc.contains(&format!("```yaml\n{text}```")),
            "docs/strategies.md does not show examples/strategies/{name} verbatim"
        );
    }
}

#[test]
fn a_valid_file_prints_ok() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.yaml");
    std::fs::write(
        &file,
        "id: small\nversion: 4\nsteps:\n  - { id: a, at: due, send: { channel: sms, template: due_today } }\n",
    )
    .unwrap();
    let o = validate(&file, dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "ok: small v4, 1 step\n");
}

#[test]
fn errors_are_one_line_each_with_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.yaml"),
        "\
id: bad
steps:
  - id: late-3
    at: due+3d
    send: { channel: fax, template: overdue_soft }
    wait_for: { any: [replied], within: 2d, otherwise: call }
  - id: call
    send: { channel: voice, template: nope }
    wait_for: { any: [replied], within: 1d, otherwise: late-3 }
  - { id: agent, at: due+15d, if: \"amount > 5.0\", task: { queue: agents } }
experiments:
  - { id: e, step: gone, arms: { A: {channel: sms} }, split: [90] }
",
    )
    .unwrap();
    let o = validate(Path::new("bad.yaml"), dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert_eq!(stdout(&o), "");
    let lines: Vec<String> = stderr(&o).lines().map(String::from).collect();
    assert_eq!(
        lines,
        vec![
            "bad.yaml:5:22: steps[0].send.channel: unknown channel `fax` (expected one of: email, sms, whatsapp, voice, letter, best)",
            "bad.yaml:6:56: steps[0].wait_for.otherwise: cycle through `otherwise`: late-3 → call → late-3",
            "bad.yaml:8:39: steps[1].send.template: unknown template `nope`",
            "bad.yaml:10:35: steps[2].if: unknown variable `amount` in CEL (the variables are: debtor, debt, score, events, now)",
            "bad.yaml:12:20: experiments[0].step: unknown step `gone`",
            "bad.yaml:12:62: experiments[0].split: the split sums to 90, not 100",
        ]
    );
}

#[test]
fn a_yaml_error_has_its_place_too() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("s.yaml"),
        "id: s\nsteps:\n  - { id: a, at: due, sned: { channel: sms, template: due_today } }\n",
    )
    .unwrap();
    let o = validate(Path::new("s.yaml"), dir.path());
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.starts_with("s.yaml:3:23: steps[0]: unknown field `sned`, expected one of"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn the_documented_error_example_is_what_the_command_prints() {
    let root = workspace();
    let doc = std::fs::read_to_string(root.join("docs/strategies.md")).unwrap();
    let lender = std::fs::read_to_string(root.join("examples/strategies/lender.yaml")).unwrap();
    let broken = lender
        .replace("otherwise: late-2-call", "otherwise: late-2-cal")
        .replace("if: \"debt.balance > 500.0", "if: \"balance > 500.0");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lender.yaml"), broken).unwrap();
    let o = validate(Path::new("lender.yaml"), dir.path());
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 3, "{err}");
    assert!(
        doc.contains(&format!("```\n{err}```")),
        "docs/strategies.md should show:\n{err}"
    );
}

#[test]
fn an_unreadable_file_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let o = validate(Path::new("missing.yaml"), dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("cannot read missing.yaml"),
        "{}",
        stderr(&o)
    );
}

/// `recaudo ARGS` on a database, in `cwd`.

#[tokio::test]
async fn put_list_and_retire_on_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let root = workspace();
    let mut urls = vec![recaudo_store::testing::fresh_sqlite_url()];
    if let Some(pg) = recaudo_store::testing::fresh_postgres_url()
        .await
        .expect("postgres")
    {
        urls.push(pg);
    }
    for url in urls {
        let cwd = dir.path();
        let utility = root.join("examples/strategies/utility.yaml");
        let utility = utility.to_str().unwrap();
        // No tenant yet: said so.
        let o = recaudo(&url, &["strategy", "put", utility], cwd);
        assert_eq!(o.status.code(), Some(1));
        assert!(stderr(&o).contains("no tenant yet"), "{}", stderr(&o));

        let o = recaudo(
            &url,
            &["tenant", "create", "--name", "Luz", "--country", "BR"],
            cwd,
        );
        assert!(o.status.success(), "{}", stderr(&o));
        // One tenant: --tenant may be left out.
        let o = recaudo(&url, &["strategy", "put", utility], cwd);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(stdout(&o), "created: utility-household v1\n");
        let o = recaudo(&url, &["strategy", "put", utility, "--tenant", "Luz"], cwd);
        assert_eq!(
            stdout(&o),
            "unchanged: utility-household v1\n",
            "{}",
            stderr(&o)
        );
        let lender = root.join("examples/strategies/lender.yaml");
        let o = recaudo(&url, &["strategy", "put", lender.to_str().unwrap()], cwd);
        assert_eq!(
            stdout(&o),
            "created: lender-consumer v2\n",
            "{}",
            stderr(&o)
        );

        // A change under the same version is refused; a file with errors prints them, stores nothing.
        let changed = std::fs::read_to_string(root.join("examples/strategies/utility.yaml"))
            .unwrap()
            .replace("priority: 10", "priority: 11");
        std::fs::write(cwd.join("changed.yaml"), changed).unwrap();
        let o = recaudo(&url, &["strategy", "put", "changed.yaml"], cwd);
        assert_eq!(o.status.code(), Some(1));
        assert!(stderr(&o).contains("raise `version`"), "{}", stderr(&o));
        std::fs::write(
            cwd.join("bad.yaml"),
            "id: bad\nsteps:\n  - { id: a, at: due, send: { channel: fax, template: due_today } }\n",
        )
        .unwrap();
        let o = recaudo(&url, &["strategy", "put", "bad.yaml"], cwd);
        assert_eq!(o.status.code(), Some(1));
        assert!(
            stderr(&o).starts_with("bad.yaml:3:40: steps[0].send.channel: unknown channel `fax`"),
            "{}",
            stderr(&o)
        );

        let o = recaudo(&url, &["strategy", "list"], cwd);
        assert!(o.status.success(), "{}", stderr(&o));
        let listed: Vec<serde_json::Value> = stdout(&o)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let ids: Vec<&str> = listed
            .iter()
            .filter_map(|s| s["strategy_id"].as_str())
            .collect();
        assert_eq!(
            ids,
            vec!["lender-consumer", "utility-household"],
            "by priority"
        );
        assert_eq!(listed[0]["version"], 2);
        assert!(listed[0].get("source").is_none());

        let o = recaudo(&url, &["strategy", "retire", "utility-household"], cwd);
        assert!(o.status.success(), "{}", stderr(&o));
        let retired: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
        assert!(retired["retired_at"].is_string(), "{retired}");
        let o = recaudo(&url, &["strategy", "retire", "nope"], cwd);
        assert_eq!(o.status.code(), Some(1));
        assert!(stderr(&o).contains("`nope` not found"), "{}", stderr(&o));

        // Two tenants: --tenant is needed.
        let o = recaudo(
            &url,
            &["tenant", "create", "--name", "Agua", "--country", "CO"],
            cwd,
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let o = recaudo(&url, &["strategy", "list"], cwd);
        assert_eq!(o.status.code(), Some(1));
        assert!(stderr(&o).contains("--tenant"), "{}", stderr(&o));
        let o = recaudo(&url, &["strategy", "list", "--tenant", "Agua"], cwd);
        assert_eq!(stdout(&o), "", "{}", stderr(&o));
        assert!(o.status.success());
    }
}
