//! `recaudo debtor erase`, `recaudo key list|revoke` and `recaudo user create|list|disable`, run as an
//! administrator runs them.

use crate::fixtures::*;

use recaudo_domain::portfolio::{Channel, Consent};
use recaudo_store::{DebtorFilter, NewContactPoint, NewDebtor, Store, StoreError};

#[tokio::test]
async fn a_debtor_is_erased_and_keys_are_listed_and_revoked() {
    let dir = tempfile::tempdir().unwrap();
    for url in database_urls().await {
        let created = recaudo(
            &url,
            &["tenant", "create", "--name", "Acme", "--country", "CO"],
            dir.path(),
        );
        assert!(created.status.success(), "{}", stderr(&created));
        let first_key = last_json(&created)["api_key"].as_str().unwrap().to_string();

        let store = Store::open(&url).await.unwrap();
        let tenant = store.authenticate(&first_key).await.unwrap().unwrap();
        let ts = store.tenant(&tenant);
        let now = chrono::Utc::now();
        let maria = ts
            .create_debtor(
                NewDebtor {
                    external_id: "C-1".into(),
                    name: "María Pérez".into(),
                    document_number: Some("1020304050".into()),
                    ..Default::default()
                },
                now,
            )
            .await
            .unwrap();
        ts.add_contact_point(
            maria.id,
            NewContactPoint {
                channel: Channel::Sms,
                address: Some("300 123 4567".into()),
                postal: None,
                consent: Consent::default(),
                priority: None,
            },
            now,
        )
        .await
        .unwrap();

        let id = maria.id.to_string();
        let erased = recaudo(
            &url,
            &["debtor", "erase", &id, "--tenant", "Acme"],
            dir.path(),
        );
        assert!(erased.status.success(), "{}", stderr(&erased));
        assert_eq!(
            last_json(&erased),
            serde_json::json!({"debtor_id": id, "erased": true})
        );
        assert!(matches!(
            ts.get_debtor(maria.id).await,
            Err(StoreError::NotFound { .. })
        ));
        let search = ts
            .list_debtors(&DebtorFilter {
                search: Some("maria".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(search.items.is_empty());
        let again = recaudo(
            &url,
            &["debtor", "erase", &id, "--tenant", "Acme"],
            dir.path(),
        );
        assert!(!again.status.success());
        assert!(stderr(&again).contains("not found"), "{}", stderr(&again));
        let bad = recaudo(
            &url,
            &["debtor", "erase", "maria", "--tenant", "Acme"],
            dir.path(),
        );
        assert!(!bad.status.success());
        assert!(
            stderr(&bad).contains("`maria` is not a debtor id"),
            "{}",
            stderr(&bad)
        );

        // Keys: a second one, listed without secrets, then revoked.
        let made = recaudo(&url, &["tenant", "key", "--tenant", "Acme"], dir.path());
        assert!(made.status.success(), "{}", stderr(&made));
        let second_key = last_json(&made)["api_key"].as_str().unwrap().to_string();
        let listed = recaudo(&url, &["key", "list", "--tenant", "Acme"], dir.path());
        assert!(listed.status.success(), "{}", stderr(&listed));
        let text = stdout(&listed);
        assert!(
            !text.contains(&first_key) && !text.contains(&second_key),
            "{text}"
        );
        let keys: Vec<serde_json::Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(keys.len(), 2, "{text}");
        let second = keys
            .iter()
            .find(|k| second_key.starts_with(k["prefix"].as_str().unwrap()))
            .unwrap();
        let second_id = second["id"].as_str().unwrap();
        let revoked = recaudo(
            &url,
            &["key", "revoke", second_id, "--tenant", "Acme"],
            dir.path(),
        );
        assert!(revoked.status.success(), "{}", stderr(&revoked));
        assert!(last_json(&revoked)["revoked_at"].is_string());
        assert!(store.authenticate(&second_key).await.unwrap().is_none());
        assert!(store.authenticate(&first_key).await.unwrap().is_some());
        let relisted = recaudo(&url, &["key", "list", "--tenant", "Acme"], dir.path());
        let revoked_now = stdout(&relisted)
            .lines()
            .filter(|line| !line.contains("\"revoked_at\":null"))
            .count();
        assert_eq!(revoked_now, 1, "{}", stdout(&relisted));
        store.close().await;
    }
}

#[tokio::test]
async fn operators_are_created_listed_and_disabled_and_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    for url in database_urls().await {
        let created = recaudo(
            &url,
            &["tenant", "create", "--name", "Acme", "--country", "MX"],
            dir.path(),
        );
        assert!(created.status.success(), "{}", stderr(&created));

        // Without a password given, one is made and printed once.
        let made = recaudo(
            &url,
            &[
                "user",
                "create",
                "--tenant",
                "Acme",
                "--email",
                "Lucia@Acme.test",
                "--name",
                "Lucía Torres",
                "--role",
                "admin",
            ],
            dir.path(),
        );
        assert!(made.status.success(), "{}", stderr(&made));
        let out = last_json(&made);
        assert_eq!(out["email"], "lucia@acme.test");
        assert_eq!(out["role"], "admin");
        let password = out["password"].as_str().unwrap().to_string();
        assert_eq!(password.chars().count(), 20);

        // From the environment: never printed.
        let mut from_env = std::process::Command::new(env!("CARGO_BIN_EXE_recaudo"));
        from_env
            .args([
                "user",
                "create",
                "--tenant",
                "Acme",
                "--email",
                "pedro@acme.test",
                "--name",
                "Pedro Ruiz",
                "--role",
                "viewer",
                "--password-env",
                "PEDRO_PASSWORD",
            ])
            .env("RECAUDO_DATABASE_URL", &url)
            .env("PEDRO_PASSWORD", "a viewer's long password")
            .current_dir(dir.path());
        let viewer = from_env.output().unwrap();
        assert!(viewer.status.success(), "{}", stderr(&viewer));
        assert!(last_json(&viewer).get("password").is_none());
        assert!(!stdout(&viewer).contains("a viewer's long password"));

        let store = Store::open(&url).await.unwrap();
        let signed = store
            .check_login(
                "pedro@acme.test",
                &recaudo_domain::Secret::new("a viewer's long password".into()),
            )
            .await
            .unwrap();
        assert!(signed.is_some(), "the stored hash checks the password");
        let signed = store
            .check_login("lucia@acme.test", &recaudo_domain::Secret::new(password))
            .await
            .unwrap();
        assert!(signed.is_some(), "the printed password signs in");

        // Bad input names the field; the same address twice is refused.
        for (args, says) in [
            (
                vec!["--email", "not-an-address", "--role", "agent"],
                "email",
            ),
            (
                vec!["--email", "x@acme.test", "--role", "boss"],
                "viewer, agent, admin",
            ),
            (
                vec!["--email", "lucia@acme.test", "--role", "agent"],
                "already exists",
            ),
        ] {
            let mut all = vec!["user", "create", "--tenant", "Acme", "--name", "X"];
            all.extend(args);
            let bad = recaudo(&url, &all, dir.path());
            assert!(!bad.status.success());
            assert!(stderr(&bad).contains(says), "{says}: {}", stderr(&bad));
        }

        let listed = recaudo(&url, &["user", "list", "--tenant", "Acme"], dir.path());
        assert!(listed.status.success(), "{}", stderr(&listed));
        let text = stdout(&listed);
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(!text.contains("argon2"), "no hash is listed: {text}");

        let disabled = recaudo(
            &url,
            &[
                "user",
                "disable",
                "--tenant",
                "Acme",
                "--email",
                "pedro@acme.test",
            ],
            dir.path(),
        );
        assert!(disabled.status.success(), "{}", stderr(&disabled));
        let refused = store
            .check_login(
                "pedro@acme.test",
                &recaudo_domain::Secret::new("a viewer's long password".into()),
            )
            .await
            .unwrap();
        assert!(refused.is_none(), "a disabled operator cannot sign in");
        store.close().await;
    }
}
