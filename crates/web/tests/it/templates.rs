//! Message templates over HTTP: the catalogue with defaults, overrides saved checked (refusals
//! with line and column), restored, scoped to the tenant, and previews of what would go out
//! (the saved text, a draft, a real debt).

use chrono::NaiveDate;
use recaudo_domain::{Currency, Money};
use recaudo_store::{NewDebt, NewDebtor};
use serde_json::{Value, json};

use crate::fixtures::{apps, req, t0};

const SMS: &str = "/api/v1/templates/due_today/sms/pt";

/// A courteous SMS override with the opt-out word.
fn sms_override() -> Value {
    json!({"body": "{{ tenant_name }}: Olá {{ debtor_name }}, {{ total }} vence hoje. {{ pay_url }} Responda SAIR para não receber mais."})
}

fn find<'a>(items: &'a [Value], name: &str, channel: &str, language: &str) -> &'a Value {
    items
        .iter()
        .find(|i| i["name"] == name && i["channel"] == channel && i["language"] == language)
        .unwrap_or_else(|| panic!("{name}/{channel}/{language} is not listed"))
}

#[tokio::test]
async fn overrides_are_listed_checked_restored_and_scoped() {
    for app in apps().await {
        let db = app.db;
        let r = &app.router;
        let (a, b) = (app.a.as_str(), app.b.as_str());

        // The catalogue: every template, channel and language, with its default.
        let resp = req("GET", "/api/v1/templates").key(a).send(r).await;
        let items = resp.ok(200)["items"].as_array().expect("items").clone();
        assert!(items.len() >= 12 * 3, "{db}: {} listed", items.len());
        for name in [
            "reminder_soft",
            "ivr_overdue",
            "formal_notice",
            "disconnection_notice",
        ] {
            assert!(items.iter().any(|i| i["name"] == name), "{db}: {name}");
        }
        let sms = find(&items, "due_today", "sms", "pt");
        assert_eq!(sms["overridden"], false, "{db}");
        assert_eq!(sms["override"], Value::Null, "{db}");
        assert!(
            sms["default"]["body"]
                .as_str()
                .unwrap_or("")
                .contains("SAIR"),
            "{db}: {sms}"
        );
        let email = find(&items, "due_today", "email", "es");
        assert!(email["default"]["subject"].is_string(), "{db}: {email}");

        // Saved: listed as the tenant's, version 1, then 2.
        let resp = req("PUT", SMS).key(a).json(&sms_override()).send(r).await;
        let saved = resp.ok(200).clone();
        assert_eq!(
            (&saved["overridden"], &saved["version"], &saved["override"]),
            (&json!(true), &json!(1), &sms_override()),
            "{db}"
        );
        assert_eq!(saved["updated_at"], json!("2026-11-23T12:00:00Z"), "{db}");
        let resp = req("PUT", SMS).key(a).json(&sms_override()).send(r).await;
        assert_eq!(resp.ok(200)["version"], 2, "{db}");
        let resp = req("GET", "/api/v1/templates").key(a).send(r).await;
        let items = resp.ok(200)["items"].as_array().expect("items").clone();
        assert_eq!(
            find(&items, "due_today", "sms", "pt")["override"],
            sms_override()
        );
        assert_eq!(
            find(&items, "due_today", "sms", "es")["overridden"],
            false,
            "{db}: only the language saved"
        );

        // Tenant B still has the default.
        let resp = req("GET", "/api/v1/templates").key(b).send(r).await;
        let items = resp.ok(200)["items"].as_array().expect("items").clone();
        assert_eq!(find(&items, "due_today", "sms", "pt")["overridden"], false);

        // Refused with the field, line and column: an unknown variable on line 2.
        let resp = req("PUT", SMS)
            .key(a)
            .json(&json!({"body": "Olá {{ debtor_name }},\nvence {{ totl }}. Responda SAIR."}))
            .send(r)
            .await;
        let p = resp.problem(422, "invalid-template");
        assert_eq!(
            (&p["field"], &p["line"], &p["column"]),
            (&json!("body"), &json!(2), &json!(10)),
            "{db}: {p}"
        );
        let detail = p["detail"].as_str().unwrap_or("");
        assert!(
            detail.contains("line 2, column 10") && detail.contains("totl"),
            "{db}: {detail}"
        );
        // A syntax error, in the subject of an email.
        let resp = req("PUT", "/api/v1/templates/due_today/email/en")
            .key(a)
            .json(&json!({"subject": "Due {% if %}", "body": "Hello {{ debtor_name }}."}))
            .send(r)
            .await;
        let p = resp.problem(422, "invalid-template");
        assert_eq!(
            (&p["field"], &p["line"]),
            (&json!("subject"), &json!(1)),
            "{db}: {p}"
        );
        assert!(p["column"].as_u64().is_some_and(|c| c >= 5), "{db}: {p}");
        // No opt-out word: refused, naming the body (no place to point at).
        let resp = req("PUT", SMS)
            .key(a)
            .json(&json!({"body": "Olá {{ debtor_name }}, pague {{ total }}."}))
            .send(r)
            .await;
        let p = resp.problem(422, "invalid-template");
        assert_eq!(p["field"], "body", "{db}: {p}");
        assert!(p.get("line").is_none(), "{db}: {p}");
        assert!(p["detail"].as_str().unwrap_or("").contains("SAIR"), "{db}");
        // A field a channel has not.
        let resp = req("PUT", SMS)
            .key(a)
            .json(&json!({"subject": "x", "body": "Responda SAIR."}))
            .send(r)
            .await;
        assert_eq!(resp.problem(422, "invalid-template")["field"], "subject");
        // Not in the catalogue: 404; a misshapen body: 400.
        for path in [
            "/api/v1/templates/nope/sms/pt",
            "/api/v1/templates/due_today/fax/pt",
            "/api/v1/templates/due_today/sms/de",
            "/api/v1/templates/ivr_overdue/sms/pt",
        ] {
            req("PUT", path)
                .key(a)
                .json(&sms_override())
                .send(r)
                .await
                .problem(404, "not-found");
        }
        let resp = req("PUT", SMS)
            .key(a)
            .json(&json!({"text": "SAIR"}))
            .send(r)
            .await;
        resp.problem(400, "invalid-field");
        // The refusals stored nothing: still version 2.
        let resp = req("GET", "/api/v1/templates").key(a).send(r).await;
        let items = resp.ok(200)["items"].as_array().expect("items").clone();
        assert_eq!(find(&items, "due_today", "sms", "pt")["version"], 2, "{db}");

        // Tenant B's delete does not touch A's; A's restores the default.
        let resp = req("DELETE", SMS).key(b).send(r).await;
        assert_eq!(resp.status.as_u16(), 204, "{db}");
        let resp = req("GET", "/api/v1/templates").key(a).send(r).await;
        let items = resp.ok(200)["items"].as_array().expect("items").clone();
        assert_eq!(find(&items, "due_today", "sms", "pt")["overridden"], true);
        let resp = req("DELETE", SMS).key(a).send(r).await;
        assert_eq!(resp.status.as_u16(), 204, "{db}");
        let resp = req("GET", "/api/v1/templates").key(a).send(r).await;
        let items = resp.ok(200)["items"].as_array().expect("items").clone();
        assert_eq!(find(&items, "due_today", "sms", "pt")["overridden"], false);
        req("GET", "/api/v1/templates")
            .send(r)
            .await
            .problem(401, "unauthorized");
    }
}

#[tokio::test]
async fn previews_render_the_saved_text_a_draft_or_a_real_debt() {
    for app in apps().await {
        let db = app.db;
        let r = &app.router;
        let a = app.a.as_str();
        let preview = format!("{SMS}/preview");

        // The default, for the sample debtor in the tenant's currency (tenant A: Brazil).
        let resp = req("POST", &preview).key(a).send(r).await;
        let p = resp.ok(200).clone();
        assert_eq!(
            (&p["source"], &p["debt"]),
            (&json!("default"), &Value::Null)
        );
        let content = &p["content"];
        assert_eq!(content["kind"], "sms", "{db}: {p}");
        let body = content["body"].as_str().expect("body");
        assert!(
            body.contains("Luz do Vale") && body.contains("Maria Souza") && body.contains("R$"),
            "{db}: {body}"
        );
        assert!(body.contains("SAIR"), "{db}: {body}");
        // Links have the real shape: `{host}/p/{token}`.
        assert!(body.contains("http://localhost/p/"), "{db}: {body}");
        let (encoding, segments) = recaudo_channels::templates::sms_encoding(body);
        assert_eq!(
            (&content["encoding"], &content["segments"]),
            (
                &serde_json::to_value(encoding).expect("encoding"),
                &json!(segments)
            ),
            "{db}"
        );

        // The tenant's text once saved; a draft in the body before it is saved.
        req("PUT", SMS)
            .key(a)
            .json(&sms_override())
            .send(r)
            .await
            .ok(200);
        let resp = req("POST", &preview).key(a).send(r).await;
        let p = resp.ok(200).clone();
        assert_eq!(p["source"], "override", "{db}");
        assert!(
            p["content"]["body"]
                .as_str()
                .unwrap_or("")
                .starts_with("Luz do Vale: Olá Maria Souza, R$"),
            "{db}: {p}"
        );
        let draft = json!({"body": "Rascunho para {{ debtor_name }}: {{ total }}. SAIR"});
        let resp = req("POST", &preview).key(a).json(&draft).send(r).await;
        let p = resp.ok(200).clone();
        assert_eq!(p["source"], "draft", "{db}");
        assert_eq!(
            p["content"]["body"], "Rascunho para Maria Souza: R$ 1.234,56. SAIR",
            "{db}"
        );
        let resp = req("POST", &preview)
            .key(a)
            .json(&json!({"body": "{{ nobody }} SAIR"}))
            .send(r)
            .await;
        let p = resp.problem(422, "invalid-template");
        assert_eq!(
            (&p["line"], &p["column"]),
            (&json!(1), &json!(4)),
            "{db}: {p}"
        );

        // A real debt of the tenant: its debtor, amount and reference.
        let ts = app
            .store
            .list_tenants()
            .await
            .expect("tenants")
            .into_iter()
            .find(|t| t.name == "Luz do Vale")
            .map(|t| app.store.tenant(&t))
            .expect("tenant A");
        let debtor = ts
            .create_debtor(
                NewDebtor {
                    external_id: "BR-7".into(),
                    name: "João Lima".into(),
                    ..Default::default()
                },
                t0(),
            )
            .await
            .expect("debtor");
        ts.create_debt(
            NewDebt {
                debtor_id: debtor.id,
                external_id: "NF-7788".into(),
                amount: Money::from_minor(45_990, Currency::Brl),
                balance: None,
                issued_on: None,
                due_on: NaiveDate::from_ymd_opt(2026, 11, 10).expect("date"),
                product: None,
            },
            t0(),
        )
        .await
        .expect("debt");
        let resp = req(
            "POST",
            "/api/v1/templates/overdue_soft/email/pt/preview?debt=NF-7788",
        )
        .key(a)
        .send(r)
        .await;
        let p = resp.ok(200).clone();
        assert_eq!(p["debt"], "NF-7788", "{db}");
        let email = &p["content"];
        assert_eq!(email["kind"], "email", "{db}: {p}");
        assert!(email["subject"].as_str().is_some_and(|s| !s.is_empty()));
        for part in ["text", "html"] {
            let text = email[part].as_str().unwrap_or("");
            assert!(
                text.contains("João Lima") && text.contains("NF-7788") && text.contains("459,90"),
                "{db}: {part}: {text}"
            );
        }
        assert!(
            email["unsubscribe_url"]
                .as_str()
                .is_some_and(|u| u.starts_with("http://localhost/t/u/")),
            "{db}: {email}"
        );
        // Not the tenant's debt (or none such): refused naming `debt`.
        let resp = req("POST", format!("{preview}?debt=NOPE"))
            .key(a)
            .send(r)
            .await;
        assert_eq!(resp.problem(422, "invalid-field")["field"], "debt");
        let resp = req("POST", format!("{preview}?debt=NF-7788"))
            .key(&app.b)
            .send(r)
            .await;
        assert_eq!(resp.problem(422, "invalid-field")["field"], "debt");
    }
}
