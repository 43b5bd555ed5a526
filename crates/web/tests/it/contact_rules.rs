//! The tenant's contact rules over HTTP: read, set (YAML or JSON), versions, refusal of values
//! looser than the law with the law named, and tenant isolation.

use serde_json::json;

use crate::fixtures::{apps, req, t0};

const LOOSER_THAN_CO: &str =
    "windows:\n  sms:\n    mon-fri: [\"06:00-19:00\"]\n    sat: []\n    sun: []\n";
const NARROW: &str = "windows:\n  sms:\n    mon-fri: [\"08:00-18:00\"]\n    sat: []\n    sun: []\npromise_grace_days: 2\n";

#[tokio::test]
async fn contact_rules_are_read_set_and_never_looser_than_the_law() {
    for app in apps().await {
        let r = &app.router;
        let (br, co) = (app.a.as_str(), app.b.as_str());

        // Nothing set yet: the preset alone.
        let resp = req("GET", "/api/v1/contact-rules").key(co).send(r).await;
        assert_eq!(
            resp.ok(200),
            &json!({"jurisdiction": "CO", "preset": "Colombia — Ley 2300 de 2023",
                    "version": null, "source": null, "created_at": null}),
            "{}",
            app.db
        );

        // An SMS window opening at 06:00 breaks Ley 2300: refused, naming field and law.
        let resp = req("PUT", "/api/v1/contact-rules")
            .key(co)
            .raw("application/yaml", LOOSER_THAN_CO)
            .send(r)
            .await;
        let p = resp.problem(422, "invalid-contact-rules");
        assert_eq!(p["field"], "windows.sms.mon-fri[0]", "{p}");
        assert_eq!(
            p["errors"],
            json!([{"line": 3, "column": 15, "path": "windows.sms.mon-fri[0]",
                    "message": "opens 06:00 on Monday, earlier than 07:00 allowed by CO Ley 2300 de 2023"}]),
            "{p}"
        );
        let versions = req("GET", "/api/v1/contact-rules/versions")
            .key(co)
            .send(r)
            .await;
        assert_eq!(versions.ok(200)["items"], json!([]), "nothing stored");

        // Brazil has no hour law for SMS: the same document is the tenant's to choose.
        let resp = req("PUT", "/api/v1/contact-rules")
            .key(br)
            .raw("application/yaml", LOOSER_THAN_CO)
            .send(r)
            .await;
        assert_eq!(resp.ok(201)["version"], 1, "{}", app.db);

        // Set as JSON; the same again is no new version.
        for status in [201, 200] {
            let resp = req("PUT", "/api/v1/contact-rules")
                .key(co)
                .json(&json!({"source": NARROW}))
                .send(r)
                .await;
            let body = resp.ok(status);
            assert_eq!(body["version"], 1, "{body}");
            assert_eq!(body["source"], NARROW, "{body}");
            assert_eq!(body["jurisdiction"], "CO", "{body}");
        }
        let resp = req("GET", "/api/v1/contact-rules").key(co).send(r).await;
        let body = resp.ok(200);
        assert_eq!(
            (&body["version"], &body["source"]),
            (&json!(1), &json!(NARROW))
        );
        assert_eq!(body["created_at"], json!(t0()), "{body}");
        let resp = req("GET", "/api/v1/contact-rules/versions")
            .key(co)
            .send(r)
            .await;
        let items = resp.ok(200)["items"].as_array().unwrap().clone();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0]["source"], NARROW);

        // Each tenant reads its own.
        let resp = req("GET", "/api/v1/contact-rules").key(br).send(r).await;
        assert_eq!(resp.ok(200)["source"], LOOSER_THAN_CO, "{}", app.db);

        // Neither YAML nor JSON; no key.
        req("PUT", "/api/v1/contact-rules")
            .key(co)
            .raw("text/csv", "a,b\n")
            .send(r)
            .await
            .problem(415, "unsupported-media-type");
        req("GET", "/api/v1/contact-rules")
            .send(r)
            .await
            .problem(401, "unauthorized");
    }
}
