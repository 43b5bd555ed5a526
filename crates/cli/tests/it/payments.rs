//! `recaudo payments accounts list|put|delete` (sealed with `[secrets] key`, credentials masked,
//! faults named with the file and field) and `recaudo payments reconcile` (the API's answer;
//! a file read twice pays once), run as a user runs them, on SQLite and PostgreSQL.

use chrono::{NaiveDate, Utc};
use recaudo_domain::{Currency, Money};
use recaudo_store::{AccountTable, NewDebt, NewDebtor, Store};

use crate::fixtures::*;

const WEBHOOK_SECRET: &str = "pix-webhook-secret-4711";
const STRIPE_KEY: &str = "sk_test_cli0secret0key0815";

fn pix_json(name: &str, key: &str) -> String {
    serde_json::json!({
        "name": name,
        "priority": 1,
        "config": {"kind": "pix", "key": key, "merchant_name": "Luz do Vale Energia",
                   "merchant_city": "Belém", "webhook_secret": WEBHOOK_SECRET}
    })
    .to_string()
}

const STRIPE_TOML: &str = r#"name = "stripe-main"
priority = 0

[config]
kind = "stripe"
secret_key = "sk_test_cli0secret0key0815"
webhook_secret = "whsec_cli0endpoint"
"#;

/// Creates tenant "Luz do Vale" (Brazil).
fn create_tenant(url: &str, cwd: &std::path::Path) {
    let o = recaudo(
        url,
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
}

/// Writes a fresh `[secrets] key` into `cwd/recaudo.toml`.
fn configure_key(url: &str, cwd: &std::path::Path) {
    let o = recaudo(url, &["secrets", "new-key"], cwd);
    let key = stdout(&o).trim().to_string();
    std::fs::write(
        cwd.join("recaudo.toml"),
        format!("[secrets]\nkey = \"{key}\"\n"),
    )
    .unwrap();
}

#[tokio::test]
async fn payment_accounts_are_put_sealed_listed_masked_and_deleted() {
    for url in database_urls().await {
        let dir = tempfile::tempdir().unwrap();
        let cwd = dir.path();
        create_tenant(&url, cwd);
        std::fs::write(
            cwd.join("pix.json"),
            pix_json("pix-main", "cobranca@luzdovale.com.br"),
        )
        .unwrap();
        std::fs::write(cwd.join("bad-pix.json"), pix_json("pix-bad", "not a key")).unwrap();
        std::fs::write(cwd.join("stripe.toml"), STRIPE_TOML).unwrap();

        // No key: nothing stored, and told how to set one; a bad file is told its fault first.
        let o = recaudo(&url, &["payments", "accounts", "put", "pix.json"], cwd);
        assert!(!o.status.success());
        assert!(stderr(&o).contains("[secrets] key"), "{}", stderr(&o));
        let o = recaudo(&url, &["payments", "accounts", "put", "bad-pix.json"], cwd);
        assert!(!o.status.success());
        assert!(
            stderr(&o).contains("bad-pix.json: config.key:"),
            "{}",
            stderr(&o)
        );
        let o = recaudo(&url, &["payments", "accounts", "list"], cwd);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(stdout(&o), "");

        configure_key(&url, cwd);
        let o = recaudo(
            &url,
            &[
                "payments",
                "accounts",
                "put",
                "--tenant",
                "Luz do Vale",
                "pix.json",
            ],
            cwd,
        );
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(stderr(&o), "created: payment account pix-main\n");
        let shown = last_json(&o);
        assert_eq!(shown["kind"], "pix", "{shown}");
        assert_eq!(shown["priority"], 1, "{shown}");
        assert_eq!(shown["config"]["key"], "cobranca@luzdovale.com.br");
        assert_eq!(shown["config"]["webhook_secret"], "***", "{shown}");
        assert!(
            shown["webhook_url"]
                .as_str()
                .is_some_and(|u| u.starts_with("/payhooks/ten_") && u.ends_with("/pix-main")),
            "{shown}"
        );
        assert!(!stdout(&o).contains(WEBHOOK_SECRET));
        let o = recaudo(&url, &["payments", "accounts", "put", "pix.json"], cwd);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(stderr(&o), "replaced: payment account pix-main\n");
        let o = recaudo(&url, &["payments", "accounts", "put", "stripe.toml"], cwd);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(last_json(&o)["config"]["secret_key"], "***");

        // A refused value is named with its file and field; nothing is stored.
        let o = recaudo(&url, &["payments", "accounts", "put", "bad-pix.json"], cwd);
        assert!(!o.status.success());
        assert!(
            stderr(&o).contains("bad-pix.json: config.key:"),
            "{}",
            stderr(&o)
        );

        // Stored sealed: neither secret is in the database as text.
        let store = Store::open(&url).await.unwrap();
        let tenant = store.list_tenants().await.unwrap().remove(0);
        let ts = store.tenant(&tenant);
        for name in ["pix-main", "stripe-main"] {
            let stored = ts.get_account(AccountTable::Payment, name).await.unwrap();
            assert!(!stored.config_sealed.contains(WEBHOOK_SECRET));
            assert!(!stored.config_sealed.contains(STRIPE_KEY));
        }
        assert!(
            ts.get_account(AccountTable::Payment, "pix-bad")
                .await
                .is_err()
        );
        store.close().await;

        let o = recaudo(&url, &["payments", "accounts", "list"], cwd);
        assert!(o.status.success(), "{}", stderr(&o));
        let out = stdout(&o);
        assert!(
            !out.contains(WEBHOOK_SECRET) && !out.contains(STRIPE_KEY),
            "{out}"
        );
        let names: Vec<String> = out
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                v["name"].as_str().unwrap().to_string()
            })
            .collect();
        assert_eq!(names, ["pix-main", "stripe-main"]);

        let o = recaudo(&url, &["payments", "accounts", "delete", "pix-main"], cwd);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(stdout(&o), "deleted: payment account pix-main\n");
        let o = recaudo(&url, &["payments", "accounts", "delete", "pix-main"], cwd);
        assert!(!o.status.success());
        assert!(stderr(&o).contains("not found"), "{}", stderr(&o));
        let o = recaudo(&url, &["payments", "accounts", "list"], cwd);
        assert_eq!(stdout(&o).lines().count(), 1, "{}", stderr(&o));
    }
}

/// A debtor of the only tenant with one debt of R$ 100,00, `CLI-INV-1`.
async fn make_debt(url: &str) -> recaudo_domain::DebtId {
    let store = Store::open(url).await.unwrap();
    let tenant = store.list_tenants().await.unwrap().remove(0);
    let ts = store.tenant(&tenant);
    let now = Utc::now();
    let debtor = ts
        .create_debtor(
            NewDebtor {
                external_id: "CLI-1".into(),
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
                external_id: "CLI-INV-1".into(),
                amount: Money::from_minor(10_000, Currency::Brl),
                balance: None,
                issued_on: None,
                due_on: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
                product: None,
            },
            now,
        )
        .await
        .unwrap();
    store.close().await;
    debt.id
}

/// The debt's balance in cents and how many payments it has.
async fn ledger(url: &str, debt: recaudo_domain::DebtId) -> (i64, usize) {
    let store = Store::open(url).await.unwrap();
    let tenant = store.list_tenants().await.unwrap().remove(0);
    let ts = store.tenant(&tenant);
    let row = ts.get_debt(debt).await.unwrap();
    let payments = ts.list_payments(debt).await.unwrap().len();
    store.close().await;
    (row.balance.to_minor().unwrap(), payments)
}

#[tokio::test]
async fn a_reconciliation_file_pays_once_and_names_bad_rows() {
    for url in database_urls().await {
        let dir = tempfile::tempdir().unwrap();
        let cwd = dir.path();
        create_tenant(&url, cwd);
        let debt = make_debt(&url).await;
        std::fs::write(
            cwd.join("statement.csv"),
            "debt_external_id;amount;paid_at;reference\n\
             CLI-INV-1;40,00;2026-11-20;BANK-9\n\
             CLI-INV-1;40,00;2026-11-20;BANK-9\n\
             CLI-INV-1;40,00;20/11/2026;BANK-10\n",
        )
        .unwrap();
        std::fs::write(cwd.join("headless.csv"), "when,how much\n2026-11-20,1.00\n").unwrap();

        let o = recaudo(
            &url,
            &[
                "payments",
                "reconcile",
                "--tenant",
                "Luz do Vale",
                "statement.csv",
            ],
            cwd,
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let answer = last_json(&o);
        assert_eq!(
            (
                &answer["applied"],
                &answer["duplicates"],
                &answer["unmatched"]
            ),
            (
                &serde_json::json!(1),
                &serde_json::json!(1),
                &serde_json::json!(0)
            ),
            "{answer}"
        );
        assert_eq!(
            answer["rows"],
            serde_json::json!([{"line": 3, "reason": "already recorded"}])
        );
        assert_eq!(answer["errors"][0]["line"], 4, "{answer}");
        assert_eq!(answer["errors"][0]["column"], "paid_at", "{answer}");
        assert_eq!(ledger(&url, debt).await, (6_000, 1));

        // Read again: nothing new.
        let o = recaudo(&url, &["payments", "reconcile", "statement.csv"], cwd);
        assert!(o.status.success(), "{}", stderr(&o));
        let again = last_json(&o);
        assert_eq!(again["applied"], 0, "{again}");
        assert_eq!(again["duplicates"], 2, "{again}");
        assert_eq!(ledger(&url, debt).await, (6_000, 1));

        // A file without a usable header, or no file at all: refused, named, nothing changed.
        let o = recaudo(&url, &["payments", "reconcile", "headless.csv"], cwd);
        assert!(!o.status.success());
        assert!(stderr(&o).contains("headless.csv: file:"), "{}", stderr(&o));
        let o = recaudo(&url, &["payments", "reconcile", "missing.csv"], cwd);
        assert!(!o.status.success());
        assert!(
            stderr(&o).contains("cannot read missing.csv"),
            "{}",
            stderr(&o)
        );
        assert_eq!(ledger(&url, debt).await, (6_000, 1));
    }
}
