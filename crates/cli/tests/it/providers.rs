//! `recaudo secrets new-key`, `recaudo provider add|list|remove` (JSON and TOML files, sealed
//! with `[secrets] key`, faults named) and `recaudo task list`, run as a user runs them, on
//! SQLite and PostgreSQL.

use chrono::Utc;
use recaudo_domain::outbox::NewContact;
use recaudo_domain::portfolio::Channel;
use recaudo_domain::{Currency, Money};
use recaudo_store::{ContactRef, DispatchOutcome, NewDebt, NewDebtor, Store};

use crate::fixtures::*;

const MARKER: &str = "sealed-marker-0815";

fn account_json(name: &str, priority: i32) -> String {
    serde_json::json!({
        "name": name,
        "channels": ["sms"],
        "priority": priority,
        "config": {"kind": "sandbox", "seed": 3, "reject_addresses_containing": MARKER}
    })
    .to_string()
}

const ACCOUNT_TOML: &str = r#"name = "demo"
channels = ["sms", "email"]
rate_per_second = 2

[config]
kind = "sandbox"
seed = 9
reject_addresses_containing = "sealed-marker-0815"
"#;

const REFUSED_TOML: &str = r#"name = "demo"
channels = ["sms"]

[config]
kind = "sandbox"
segment_factors = { young = 11.0 }
"#;

#[test]
fn new_keys_are_fresh_and_64_hex_digits() {
    let dir = tempfile::tempdir().unwrap();
    let url = recaudo_store::testing::fresh_sqlite_url();
    let keys: Vec<String> = (0..2)
        .map(|_| {
            let o = recaudo(&url, &["secrets", "new-key"], dir.path());
            assert!(o.status.success(), "{}", stderr(&o));
            stdout(&o).trim().to_string()
        })
        .collect();
    for key in &keys {
        assert_eq!(key.len(), 64, "{key}");
        assert!(key.bytes().all(|b| b.is_ascii_hexdigit()), "{key}");
    }
    assert_ne!(keys[0], keys[1]);
}

/// Plans a `task:` step's contact for a new debtor of the only tenant and dispatches it into
/// an agent task.
async fn make_task(url: &str) {
    let store = Store::open(url).await.unwrap();
    let tenant = store.list_tenants().await.unwrap().remove(0);
    let ts = store.tenant(&tenant);
    let now = Utc::now();
    let debtor = ts
        .create_debtor(
            NewDebtor {
                external_id: "BR-1".into(),
                name: "Maria Souza".into(),
                ..Default::default()
            },
            now,
        )
        .await
        .unwrap();
    let debt = ts
        .create_debt(
            NewDebt {
                debtor_id: debtor.id,
                external_id: "INV-1".into(),
                amount: Money::from_minor(50_000, Currency::Brl),
                balance: None,
                issued_on: None,
                due_on: now.date_naive(),
                product: None,
            },
            now,
        )
        .await
        .unwrap();
    let planned = NewContact {
        debtor_id: debtor.id,
        debt_id: debt.id,
        covers: vec![],
        contact_point_id: None,
        strategy: None,
        strategy_version: None,
        step: "agent".into(),
        arm: None,
        channel: Channel::Voice,
        template: None,
        queue: Some("agents".into()),
        scheduled_for: now,
        local_date: now.date_naive(),
        reason: "step agent due".into(),
    };
    ts.plan_contacts(&[planned], now).await.unwrap();
    let claimed = ts
        .claim_contacts(now, 1, std::time::Duration::from_secs(60), "w")
        .await
        .unwrap();
    let outcome = DispatchOutcome::Task {
        queue: "agents".into(),
        script: "negotiate".into(),
    };
    ts.record_dispatch("w", vec![(ContactRef::from(&claimed[0]), outcome)], now)
        .await
        .unwrap();
    store.close().await;
}

#[tokio::test]
async fn provider_accounts_are_added_sealed_listed_masked_and_removed() {
    for url in database_urls().await {
        let dir = tempfile::tempdir().unwrap();
        let cwd = dir.path();
        std::fs::write(cwd.join("account.json"), account_json("demo", 0)).unwrap();
        std::fs::write(cwd.join("account.toml"), ACCOUNT_TOML).unwrap();
        std::fs::write(cwd.join("refused.toml"), REFUSED_TOML).unwrap();
        std::fs::write(
            cwd.join("no-channels.json"),
            r#"{"name": "x", "channels": [], "config": {"kind": "sandbox"}}"#,
        )
        .unwrap();
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

        // No key: nothing stored, and told how to set one; a bad file is told its fault first.
        let o = recaudo(&url, &["provider", "add", "--file", "account.json"], cwd);
        assert!(!o.status.success());
        assert!(stderr(&o).contains("[secrets] key"), "{}", stderr(&o));
        let o = recaudo(
            &url,
            &["provider", "add", "--file", "no-channels.json"],
            cwd,
        );
        assert!(!o.status.success());
        assert!(
            stderr(&o).contains("no-channels.json: channels: must name at least one channel"),
            "{}",
            stderr(&o)
        );

        // With a key: created, then replaced from TOML; the output masks nothing of the sandbox
        // (it has no credentials) but the database holds the configuration sealed.
        let key = {
            let o = recaudo(&url, &["secrets", "new-key"], cwd);
            stdout(&o).trim().to_string()
        };
        std::fs::write(
            cwd.join("recaudo.toml"),
            format!("[secrets]\nkey = \"{key}\"\n"),
        )
        .unwrap();
        let o = recaudo(
            &url,
            &[
                "provider",
                "add",
                "--tenant",
                "Luz do Vale",
                "--file",
                "account.json",
            ],
            cwd,
        );
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(stderr(&o), "created: provider account demo\n");
        let shown = last_json(&o);
        assert_eq!(
            (&shown["name"], &shown["kind"], &shown["config"]["seed"]),
            (
                &serde_json::json!("demo"),
                &serde_json::json!("sandbox"),
                &serde_json::json!(3)
            ),
            "{shown}"
        );
        let o = recaudo(&url, &["provider", "add", "--file", "account.toml"], cwd);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(stderr(&o), "replaced: provider account demo\n");
        assert_eq!(last_json(&o)["rate_per_second"], 2);
        assert_eq!(
            last_json(&o)["channels"],
            serde_json::json!(["sms", "email"])
        );

        let store = Store::open(&url).await.unwrap();
        let tenant = store.list_tenants().await.unwrap().remove(0);
        let stored = store
            .tenant(&tenant)
            .get_provider_account("demo")
            .await
            .unwrap();
        assert!(!stored.config_sealed.contains(MARKER));
        assert!(!stored.settings.to_string().contains(MARKER));
        store.close().await;

        // A refused value is named with its file and field; nothing changes.
        let o = recaudo(&url, &["provider", "add", "--file", "refused.toml"], cwd);
        assert!(!o.status.success());
        assert!(
            stderr(&o)
                .contains("refused.toml: config.segment_factors.young: must be between 0 and 10"),
            "{}",
            stderr(&o)
        );

        let o = recaudo(&url, &["provider", "list"], cwd);
        assert!(o.status.success(), "{}", stderr(&o));
        let out = stdout(&o);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 1, "{}", stdout(&o));
        let listed: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(listed["config"]["seed"], 9, "{listed}");

        let o = recaudo(&url, &["provider", "remove", "demo"], cwd);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(stdout(&o), "removed: provider account demo\n");
        let o = recaudo(&url, &["provider", "remove", "demo"], cwd);
        assert!(!o.status.success());
        assert!(
            stderr(&o).contains("provider account `demo` not found"),
            "{}",
            stderr(&o)
        );
        let o = recaudo(&url, &["provider", "list"], cwd);
        assert_eq!(stdout(&o), "", "{}", stderr(&o));

        // A key that does not read is refused, never shown.
        std::fs::write(
            cwd.join("recaudo.toml"),
            "[secrets]\nkey = \"short-and-wrong\"\n",
        )
        .unwrap();
        let o = recaudo(&url, &["provider", "list"], cwd);
        assert!(!o.status.success());
        assert!(stderr(&o).contains("secrets.key"), "{}", stderr(&o));
        assert!(!stderr(&o).contains("short-and-wrong"), "{}", stderr(&o));
    }
}

#[tokio::test]
async fn tasks_are_listed_by_state_and_queue() {
    for url in database_urls().await {
        let dir = tempfile::tempdir().unwrap();
        let cwd = dir.path();
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
        let o = recaudo(&url, &["task", "list"], cwd);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(stdout(&o), "");

        make_task(&url).await;
        let o = recaudo(
            &url,
            &["task", "list", "--tenant", "Luz do Vale", "--state", "open"],
            cwd,
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let task = last_json(&o);
        assert_eq!(
            (&task["state"], &task["queue"], &task["script"]),
            (
                &serde_json::json!("open"),
                &serde_json::json!("agents"),
                &serde_json::json!("negotiate")
            ),
            "{task}"
        );
        assert_eq!(stdout(&o).lines().count(), 1);
        for args in [
            &["task", "list", "--state", "resolved"][..],
            &["task", "list", "--queue", "legal"][..],
        ] {
            let o = recaudo(&url, args, cwd);
            assert!(o.status.success(), "{}", stderr(&o));
            assert_eq!(stdout(&o), "", "{args:?}");
        }
        let o = recaudo(&url, &["task", "list", "--state", "done"], cwd);
        assert!(!o.status.success());
        assert!(
            stderr(&o).contains("unknown task state `done`"),
            "{}",
            stderr(&o)
        );
    }
}
