//! `recaudo template list|set|reset|preview`, run as a user runs them, on SQLite and
//! PostgreSQL: refusals at FILE:LINE:COLUMN, previews of the saved text, a draft and a real debt.

use chrono::Utc;
use recaudo_domain::{Currency, Money};
use recaudo_store::{NewDebt, NewDebtor, Store};

use crate::fixtures::*;

const SMS: &str = "{{ tenant_name }}: Olá {{ debtor_name }}, {{ total }} vence hoje. {{ pay_url }} Responda SAIR para parar.";

fn listed(
    o: &std::process::Output,
    name: &str,
    channel: &str,
    language: &str,
) -> serde_json::Value {
    stdout(o)
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).expect("a JSON line"))
        .find(|v| v["name"] == name && v["channel"] == channel && v["language"] == language)
        .unwrap_or_else(|| panic!("{name}/{channel}/{language} not listed: {}", stdout(o)))
}

/// A debtor of the only tenant with one debt, `NF-42`, of R$ 459,90.
async fn make_debt(url: &str) {
    let store = Store::open(url).await.unwrap();
    let tenant = store.list_tenants().await.unwrap().remove(0);
    let ts = store.tenant(&tenant);
    let now = Utc::now();
    let debtor = ts
        .create_debtor(
            NewDebtor {
                external_id: "BR-42".into(),
                name: "João Lima".into(),
                ..Default::default()
            },
            now,
        )
        .await
        .unwrap();
    ts.create_debt(
        NewDebt {
            debtor_id: debtor.id,
            external_id: "NF-42".into(),
            amount: Money::from_minor(45_990, Currency::Brl),
            balance: None,
            issued_on: None,
            due_on: now.date_naive() - chrono::Duration::days(3),
            product: None,
        },
        now,
    )
    .await
    .unwrap();
    store.close().await;
}

#[tokio::test]
async fn templates_are_set_checked_previewed_and_reset() {
    for url in database_urls().await {
        let dir = tempfile::tempdir().unwrap();
        let cwd = dir.path();
        std::fs::write(cwd.join("sms.txt"), SMS).unwrap();
        std::fs::write(
            cwd.join("bad.txt"),
            "Olá {{ debtor_name }},\nvence {{ totl }}. Responda SAIR.",
        )
        .unwrap();
        std::fs::write(cwd.join("draft.txt"), "Rascunho: {{ total }}. SAIR").unwrap();
        let o = recaudo(
            &url,
            &[
                "tenant",
                "create",
                "--name",
                "Luz do Vale",
                "--country",
                "BR",
            ],
            cwd,
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let sms = ["--channel", "sms", "--lang", "pt"];

        // The catalogue, nothing overridden.
        let o = recaudo(&url, &["template", "list"], cwd);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(stdout(&o).lines().count() >= 36, "{}", stdout(&o));
        assert_eq!(listed(&o, "due_today", "sms", "pt")["overridden"], false);

        // A refusal names the file, line and column, and stores nothing.
        let o = recaudo(
            &url,
            &[
                &["template", "set", "due_today"][..],
                &sms,
                &["--file", "bad.txt"],
            ]
            .concat(),
            cwd,
        );
        assert!(!o.status.success());
        assert!(
            stderr(&o).contains("bad.txt:2:10: unknown variable `totl`"),
            "{}",
            stderr(&o)
        );
        let o = recaudo(
            &url,
            &[
                "template",
                "set",
                "due_today",
                "--channel",
                "email",
                "--lang",
                "en",
                "--file",
                "sms.txt",
                "--subject",
                "Due {{ nope }}",
            ],
            cwd,
        );
        assert!(!o.status.success());
        assert!(
            stderr(&o).contains("--subject:1:8: unknown variable `nope`"),
            "{}",
            stderr(&o)
        );
        let o = recaudo(
            &url,
            &[
                &["template", "set", "nope"][..],
                &sms,
                &["--file", "sms.txt"],
            ]
            .concat(),
            cwd,
        );
        assert!(!o.status.success());
        assert!(stderr(&o).contains("no template `nope`"), "{}", stderr(&o));

        // Saved, listed, previewed as the tenant's text.
        let o = recaudo(
            &url,
            &[
                &["template", "set", "due_today"][..],
                &sms,
                &["--file", "sms.txt"],
            ]
            .concat(),
            cwd,
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let saved = last_json(&o);
        assert_eq!(
            (&saved["overridden"], &saved["version"]),
            (&true.into(), &1.into())
        );
        let o = recaudo(&url, &["template", "list"], cwd);
        assert_eq!(listed(&o, "due_today", "sms", "pt")["overridden"], true);
        let o = recaudo(
            &url,
            &[&["template", "preview", "due_today"][..], &sms].concat(),
            cwd,
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let out = stdout(&o);
        let body = out
            .split_once("\n\n")
            .map(|(_, b)| b.trim_end())
            .unwrap_or("");
        assert!(
            body.starts_with(
                "Luz do Vale: Olá Maria Souza, R$ 1.234,56 vence hoje. http://127.0.0.1:8080/p/"
            ),
            "{out}"
        );
        let (encoding, segments) = recaudo_channels::templates::sms_encoding(body);
        let encoding = match encoding {
            recaudo_channels::SmsEncoding::Gsm7 => "GSM-7",
            recaudo_channels::SmsEncoding::Ucs2 => "UCS-2",
        };
        let segments = if segments == 1 {
            "1 segment".to_string()
        } else {
            format!("{segments} segments")
        };
        assert!(
            out.starts_with(&format!("SMS, {encoding}, {segments} (")),
            "{out}"
        );

        // A draft; a real debt; an e-mail's subject and text part.
        let o = recaudo(
            &url,
            &[
                &["template", "preview", "due_today"][..],
                &sms,
                &["--file", "draft.txt"],
            ]
            .concat(),
            cwd,
        );
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(
            stdout(&o).ends_with("\n\nRascunho: R$ 1.234,56. SAIR\n"),
            "{}",
            stdout(&o)
        );
        make_debt(&url).await;
        let o = recaudo(
            &url,
            &[
                "template",
                "preview",
                "overdue_soft",
                "--channel",
                "email",
                "--lang",
                "es",
                "--debt",
                "NF-42",
            ],
            cwd,
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let out = stdout(&o);
        assert!(out.starts_with("Subject: "), "{out}");
        assert!(
            out.contains("João Lima") && out.contains("NF-42") && out.contains("459,90"),
            "{out}"
        );
        let o = recaudo(
            &url,
            &[
                &["template", "preview", "due_today"][..],
                &sms,
                &["--debt", "NF-0"],
            ]
            .concat(),
            cwd,
        );
        assert!(!o.status.success());
        assert!(stderr(&o).contains("no debt `NF-0`"), "{}", stderr(&o));

        // Reset: the default again; a second reset says there was nothing to remove.
        let o = recaudo(
            &url,
            &[&["template", "reset", "due_today"][..], &sms].concat(),
            cwd,
        );
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(last_json(&o)["reset"], true);
        let o = recaudo(&url, &["template", "list"], cwd);
        assert_eq!(listed(&o, "due_today", "sms", "pt")["overridden"], false);
        let o = recaudo(
            &url,
            &[&["template", "reset", "due_today"][..], &sms].concat(),
            cwd,
        );
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(last_json(&o)["reset"], false);
        assert!(
            stderr(&o).contains("default already applied"),
            "{}",
            stderr(&o)
        );
    }
}
