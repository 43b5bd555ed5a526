//! `recaudo rules show|set|versions`, run as a user runs it, on SQLite and PostgreSQL.

use crate::fixtures::*;

#[tokio::test]
async fn rules_are_set_shown_and_refused_when_looser_than_the_law() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let example = workspace().join("examples/contact-rules/co.yaml");
    let example_text = std::fs::read_to_string(&example).unwrap();
    let doc = std::fs::read_to_string(workspace().join("docs/policy.md")).unwrap();
    assert!(
        doc.contains(&format!("```yaml\n{example_text}```")),
        "docs/policy.md does not show examples/contact-rules/co.yaml verbatim"
    );
    let example = example.to_str().unwrap();
    std::fs::write(
        cwd.join("looser.yaml"),
        "windows:\n  sms:\n    mon-fri: [\"06:00-19:00\"]\n    sat: []\n    sun: []\n",
    )
    .unwrap();
    for url in database_urls().await {
        let o = recaudo(
            &url,
            &[
                "tenant",
                "create",
                "--name",
                "Crédito Andino",
                "--country",
                "CO",
            ],
            cwd,
        );
        assert!(o.status.success(), "{}", stderr(&o));

        // None yet: said so on stderr, nothing on stdout.
        let o = recaudo(&url, &["rules", "show"], cwd);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(stdout(&o), "");
        assert!(
            stderr(&o).contains("none set; the preset alone applies"),
            "{}",
            stderr(&o)
        );

        // Looser than Ley 2300: refused, one line per error, nothing stored.
        let o = recaudo(&url, &["rules", "set", "looser.yaml"], cwd);
        assert!(!o.status.success());
        assert!(
            stderr(&o).starts_with(
                "looser.yaml:3:15: windows.sms.mon-fri[0]: opens 06:00 on Monday, earlier than \
                 07:00 allowed by CO Ley 2300 de 2023\n"
            ),
            "{}",
            stderr(&o)
        );
        assert!(stderr(&o).contains("nothing was stored"), "{}", stderr(&o));

        // The example: stored as version 1; again: unchanged.
        let o = recaudo(
            &url,
            &["rules", "set", example, "--tenant", "Crédito Andino"],
            cwd,
        );
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(stdout(&o), "created: contact rules v1\n");
        let o = recaudo(&url, &["rules", "set", example], cwd);
        assert_eq!(
            stdout(&o),
            "unchanged: contact rules v1\n",
            "{}",
            stderr(&o)
        );

        // `show` prints the file as stored, and the law and version on stderr.
        let o = recaudo(&url, &["rules", "show"], cwd);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(stdout(&o), example_text);
        assert!(
            stderr(&o).contains("(CO, Colombia — Ley 2300 de 2023): version 1, set "),
            "{}",
            stderr(&o)
        );
        let o = recaudo(&url, &["rules", "versions"], cwd);
        assert_eq!(last_json(&o)["version"], 1, "{}", stderr(&o));
    }
}
