//! Operators and their sessions, on SQLite and PostgreSQL: a login checks the argon2 hash, a
//! session finds its operator and tenant until it ends, is signed out or the operator is
//! disabled, and an e-mail is one account across the installation.

use chrono::{DateTime, Duration, Utc};
use recaudo_domain::operators::OperatorRole;
use recaudo_domain::portfolio::Language;
use recaudo_domain::{Country, Secret};
use recaudo_store::testing::stores;
use recaudo_store::*;

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-01T12:00:00Z")
        .unwrap()
        .to_utc()
}

fn new(email: &str, role: OperatorRole, password: &str) -> NewOperator {
    NewOperator {
        email: email.into(),
        name: "Ana Souza".into(),
        role,
        language: None,
        password: Secret::new(password.into()),
    }
}

#[tokio::test]
async fn a_login_opens_a_session_that_finds_its_operator_until_it_ends() {
    for (db, store) in stores().await {
        let a = store
            .create_tenant(NewTenant::in_country("Luz do Vale", Country::Br), t0())
            .await
            .unwrap();
        let b = store
            .create_tenant(NewTenant::in_country("Agua Clara", Country::Co), t0())
            .await
            .unwrap();
        let ana = store
            .create_operator(
                a.tenant.id,
                new(" Ana@Luz.test ", OperatorRole::Agent, "a long passphrase"),
                t0(),
            )
            .await
            .unwrap();
        assert_eq!(ana.email, "ana@luz.test", "{db}");
        assert_eq!(
            ana.language,
            Language::Pt,
            "the tenant's language by default ({db})"
        );

        // The same address is one account across tenants.
        let again = store
            .create_operator(
                b.tenant.id,
                new("ana@luz.test", OperatorRole::Admin, "another long one"),
                t0(),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(
                again,
                StoreError::Duplicate {
                    what: Entity::Operator,
                    ..
                }
            ),
            "{db}: {again}"
        );
        let short = store
            .create_operator(
                b.tenant.id,
                new("leo@agua.test", OperatorRole::Admin, "short"),
                t0(),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&short, StoreError::Invalid { field, .. } if field == "password"),
            "{db}: {short}"
        );

        let wrong = store
            .check_login("ana@luz.test", &Secret::new("a long passphrasE".into()))
            .await
            .unwrap();
        assert_eq!(wrong, None, "{db}");
        let unknown = store
            .check_login("nobody@luz.test", &Secret::new("a long passphrase".into()))
            .await
            .unwrap();
        assert_eq!(unknown, None, "{db}");
        let signed = store
            .check_login("ANA@luz.test", &Secret::new("a long passphrase".into()))
            .await
            .unwrap()
            .expect("the right password signs in");
        assert_eq!(signed.id, ana.id, "{db}");

        let token = store.open_session(&signed, t0()).await.unwrap();
        let (who, ts) = store
            .session(token.expose_secret(), t0() + Duration::hours(1))
            .await
            .unwrap()
            .expect("a live session");
        assert_eq!(who.id, ana.id, "{db}");
        assert_eq!(
            ts.tenant().id,
            a.tenant.id,
            "{db}: the operator's own tenant"
        );
        assert!(
            store
                .session(
                    token.expose_secret(),
                    t0() + Duration::hours(SESSION_HOURS) + Duration::seconds(1)
                )
                .await
                .unwrap()
                .is_none(),
            "{db}: a session ends after {SESSION_HOURS} h"
        );
        assert!(
            store.session("forged", t0()).await.unwrap().is_none(),
            "{db}"
        );

        store.close_session(token.expose_secret()).await.unwrap();
        assert!(
            store
                .session(token.expose_secret(), t0())
                .await
                .unwrap()
                .is_none(),
            "{db}: signed out"
        );

        // Disabling ends the sessions and refuses the next login.
        let token = store.open_session(&signed, t0()).await.unwrap();
        store
            .disable_operator(a.tenant.id, "ana@luz.test", t0())
            .await
            .unwrap();
        assert!(
            store
                .session(token.expose_secret(), t0())
                .await
                .unwrap()
                .is_none(),
            "{db}"
        );
        assert_eq!(
            store
                .check_login("ana@luz.test", &Secret::new("a long passphrase".into()))
                .await
                .unwrap(),
            None,
            "{db}"
        );
        // Another tenant cannot disable her.
        let other = store
            .disable_operator(b.tenant.id, "ana@luz.test", t0())
            .await
            .unwrap_err();
        assert!(
            matches!(other, StoreError::NotFound { .. }),
            "{db}: {other}"
        );

        let listed = store.list_operators(a.tenant.id).await.unwrap();
        assert_eq!(listed.len(), 1, "{db}");
        assert!(listed[0].disabled_at.is_some(), "{db}");
        assert!(
            store.list_operators(b.tenant.id).await.unwrap().is_empty(),
            "{db}"
        );
    }
}
