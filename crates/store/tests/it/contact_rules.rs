//! A tenant's contact rules: versions, idempotent puts, refusal of looser-than-law values and
//! tenant isolation; on SQLite and, when `RECAUDO_TEST_DATABASE_URL` is set, on PostgreSQL.

use crate::fixtures::t0;
use chrono::Duration;
use recaudo_domain::Country;
use recaudo_store::testing::stores;
use recaudo_store::*;

async fn tenant(store: &Store, name: &str, country: Country) -> TenantStore {
    let tk = store
        .create_tenant(NewTenant::in_country(name, country), t0())
        .await
        .unwrap();
    store.tenant(&tk.tenant)
}

const NARROW: &str = "windows:\n  sms:\n    mon-fri: [\"09:00-18:00\"]\n    sat: []\n    sun: []\n";
const NARROWER: &str = "windows:\n  sms:\n    mon-fri: [\"10:00-17:00\"]\n    sat: []\n    sun: []\npromise_grace_days: 3\n";
const LOOSER: &str = "windows:\n  sms:\n    mon-fri: [\"06:00-18:00\"]\n    sat: []\n    sun: []\n";

#[tokio::test]
async fn contact_rules_are_versioned_checked_and_tenant_scoped() {
    for (db, store) in stores().await {
        let co = tenant(&store, "Crédito Andino", Country::Co).await;
        assert_eq!(co.contact_rules().await.unwrap(), None, "{db}");
        assert!(co.contact_rules_versions().await.unwrap().is_empty());
        let (version, rules) = co.contact_rules_in_force().await.unwrap();
        assert_eq!((version, rules.promise_grace_days), (None, 0), "{db}");

        let v1 = co.put_contact_rules(NARROW, t0()).await.unwrap();
        assert!(v1.created, "{db}");
        assert_eq!(
            (
                v1.rules.version,
                v1.rules.source.as_str(),
                v1.rules.created_at
            ),
            (1, NARROW, t0()),
            "{db}"
        );
        // The same again: no new version.
        let again = co
            .put_contact_rules(NARROW, t0() + Duration::hours(1))
            .await
            .unwrap();
        assert!(!again.created, "{db}");
        assert_eq!(again.rules, v1.rules, "{db}");

        let v2 = co
            .put_contact_rules(NARROWER, t0() + Duration::hours(2))
            .await
            .unwrap();
        assert_eq!(v2.rules.version, 2, "{db}");
        assert_eq!(co.contact_rules().await.unwrap(), Some(v2.rules.clone()));
        let (version, rules) = co.contact_rules_in_force().await.unwrap();
        assert_eq!((version, rules.promise_grace_days), (Some(2), 3), "{db}");
        let versions = co.contact_rules_versions().await.unwrap();
        assert_eq!(versions, vec![v1.rules.clone(), v2.rules.clone()], "{db}");

        // Looser than Ley 2300: refused, naming the law, and nothing stored.
        match co.put_contact_rules(LOOSER, t0()).await {
            Err(StoreError::InvalidContactRules(errors)) => {
                assert_eq!(errors.len(), 1, "{db}");
                assert_eq!(errors[0].path, "windows.sms.mon-fri[0]");
                assert_eq!(
                    errors[0].message,
                    "opens 06:00 on Monday, earlier than 07:00 allowed by CO Ley 2300 de 2023"
                );
            }
            other => panic!("{db}: {other:?}"),
        }
        assert_eq!(co.contact_rules().await.unwrap(), Some(v2.rules), "{db}");

        // The same document is fine where the law sets no hours for SMS (Brazil), and each
        // tenant sees its own rules only.
        let br = tenant(&store, "Luz", Country::Br).await;
        assert_eq!(br.contact_rules().await.unwrap(), None, "{db}");
        let br_v1 = br.put_contact_rules(LOOSER, t0()).await.unwrap();
        assert_eq!(br_v1.rules.version, 1, "{db}");
        assert_eq!(co.contact_rules_versions().await.unwrap().len(), 2, "{db}");
    }
}
