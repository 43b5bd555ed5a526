//! `recaudo inbound`, run as an operator runs it: one message through the conversation engine,
//! what was understood and done as one JSON line, refusals naming the flag; on SQLite and
//! PostgreSQL.

use chrono::Utc;
use recaudo_domain::portfolio::Channel;
use recaudo_store::{NewContactPoint, NewDebtor, Store};
use serde_json::json;

use crate::fixtures::*;

/// A debtor of the only tenant with an SMS contact point at `+5511987654321`.
async fn debtor_with_sms(url: &str) -> String {
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
    ts.add_contact_point(
        debtor.id,
        NewContactPoint {
            channel: Channel::Sms,
            address: Some("+55 11 98765-4321".into()),
            postal: None,
            consent: Default::default(),
            priority: None,
        },
        now,
    )
    .await
    .unwrap();
    debtor.id.to_string()
}

/// `recaudo inbound` with these flags; its one line of output as JSON.
fn inbound(url: &str, cwd: &std::path::Path, flags: &[&str]) -> serde_json::Value {
    let mut args = vec!["inbound", "--tenant", "Luz do Vale"];
    args.extend_from_slice(flags);
    let o = recaudo(url, &args, cwd);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 1, "{}", stdout(&o));
    last_json(&o)
}

#[tokio::test]
async fn a_stop_opts_out_and_an_unknown_sender_goes_to_a_person() {
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
        let debtor = debtor_with_sms(&url).await;

        let stop = [
            "--channel",
            "sms",
            "--from",
            "+5511987654321",
            "--text",
            "STOP",
            "--at",
            "2026-12-07T14:03:00-03:00",
        ];
        let report = inbound(&url, cwd, &stop);
        assert_eq!(report["matched_by"], "address", "{report}");
        assert_eq!(report["debtor_id"], json!(debtor), "{report}");
        assert_eq!(report["intent"], "opt_out", "{report}");
        assert_eq!(report["duplicate"], false, "{report}");
        assert_eq!(report["actions"][0], "opted_out:sms", "{report}");
        let message = report["message_id"].as_str().expect("stored").to_string();
        // Stored with what was done; the same line again is the same message, stored once.
        let store = Store::open(&url).await.unwrap();
        let tenant = store.list_tenants().await.unwrap().remove(0);
        let ts = store.tenant(&tenant);
        let stored = ts.recent_messages(10).await.unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].id.to_string(), message);
        assert_eq!(stored[0].action.as_deref(), Some("opted_out"));
        assert_eq!(
            stored[0].at,
            "2026-12-07T17:03:00Z"
                .parse::<chrono::DateTime<Utc>>()
                .unwrap()
        );
        assert_eq!(stored[0].provider.as_deref(), Some("cli"));
        let again = inbound(&url, cwd, &stop);
        assert_eq!(
            (&again["duplicate"], &again["message_id"]),
            (&json!(true), &json!(null)),
            "{again}"
        );

        // Nobody has this number: the unmatched inbox, as an agent task.
        let report = inbound(
            &url,
            cwd,
            &[
                "--channel",
                "whatsapp",
                "--from",
                "+55 21 91234-5678",
                "--text",
                "quem é você?",
            ],
        );
        assert_eq!(report["matched_by"], "unknown", "{report}");
        assert_eq!(report["debtor_id"], json!(null), "{report}");
        let task = report["task_id"].as_str().expect("a task").to_string();
        assert_eq!(
            report["actions"],
            json!([format!("task:{task}")]),
            "{report}"
        );
        let o = recaudo(&url, &["task", "list", "--state", "open"], cwd);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(last_json(&o)["id"], json!(task), "{}", stdout(&o));
        let counts = ts.message_counts().await.unwrap();
        assert_eq!((counts.received, counts.tasks), (2, 1), "{counts:?}");
    }
}

#[test]
fn bad_flags_are_refused_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let url = recaudo_store::testing::fresh_sqlite_url();
    let base = ["inbound", "--channel", "sms", "--from", "+5511987654321"];
    for (extra, flag) in [
        (&["--text", "STOP", "--channel", "fax"][..], "--channel"),
        (&["--text", "  "][..], "--text is empty"),
        (&["--text", "STOP", "--at", "yesterday"][..], "--at"),
        (
            &["--text", "STOP", "--at", "2026-12-07 14:03"][..],
            "RFC 3339",
        ),
        (
            &["--text", "STOP", "--to", "reply+x@example.com"][..],
            "--to",
        ),
    ] {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        let o = recaudo(&url, &args, dir.path());
        assert!(!o.status.success(), "{args:?} was taken");
        assert!(stderr(&o).contains(flag), "{args:?}: {}", stderr(&o));
        assert_eq!(stdout(&o), "", "{args:?}");
    }
    // No tenant yet: said so, nothing stored.
    let o = recaudo(&url, &[&base[..], &["--text", "STOP"]].concat(), dir.path());
    assert!(!o.status.success());
    assert!(stderr(&o).contains("no tenant yet"), "{}", stderr(&o));
}

/// An email contact planned for the only tenant's debtor `BR-1` (it needs a debt): the contact a
/// reply address names.
async fn email_contact(url: &str) -> recaudo_domain::ContactId {
    use recaudo_domain::outbox::NewContact;
    use recaudo_domain::{Currency, Money};
    use recaudo_store::NewDebt;
    let store = Store::open(url).await.unwrap();
    let tenant = store.list_tenants().await.unwrap().remove(0);
    let ts = store.tenant(&tenant);
    let now = Utc::now();
    let debtor = ts
        .list_debtors(&Default::default())
        .await
        .unwrap()
        .items
        .remove(0);
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
        step: "due".into(),
        arm: None,
        channel: Channel::Email,
        template: Some("due_today".into()),
        queue: None,
        scheduled_for: now,
        local_date: now.date_naive(),
        reason: "step due".into(),
    };
    ts.plan_contacts(&[planned], now).await.unwrap().remove(0)
}

#[tokio::test]
async fn an_email_reply_is_matched_by_its_reply_address_with_the_secrets_key() {
    let url = recaudo_store::testing::fresh_sqlite_url();
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
    let debtor = debtor_with_sms(&url).await;
    let contact = email_contact(&url).await;
    let key = "9f".repeat(32);
    let token = recaudo_channels::links::LinkSigner::new(key.as_bytes(), "http://localhost")
        .reply_token(contact);
    let to = format!("Luz do Vale <r+{token}@reply.example.com>");
    // From the debtor's work address, which no contact point has: only the token says who.
    let args = |text: &str| {
        vec![
            "inbound".to_string(),
            "--channel".into(),
            "email".into(),
            "--from".into(),
            "Maria <maria@trabalho.example.com>".into(),
            "--to".into(),
            to.clone(),
            "--text".into(),
            text.into(),
        ]
    };
    let run = |args: Vec<String>, with_key: bool| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_recaudo"));
        command
            .args(&args)
            .env("RECAUDO_DATABASE_URL", &url)
            .env_remove("RECAUDO_SECRETS__KEY")
            .current_dir(cwd);
        if with_key {
            command.env("RECAUDO_SECRETS__KEY", &key);
        }
        let o = command.output().expect("run recaudo");
        assert!(o.status.success(), "{}", stderr(&o));
        last_json(&o)
    };
    let report = run(args("Já paguei ontem, podem conferir?"), true);
    assert_eq!(report["matched_by"], "reply_token", "{report}");
    assert_eq!(report["debtor_id"], json!(debtor), "{report}");
    assert_eq!(report["contact_id"], json!(contact.to_string()), "{report}");
    assert_eq!(report["intent"], "already_paid", "{report}");
    // Without the key the token is not read: the sender is nobody's.
    let report = run(args("Alguém pode me ligar?"), false);
    assert_eq!(report["matched_by"], "unknown", "{report}");
}
