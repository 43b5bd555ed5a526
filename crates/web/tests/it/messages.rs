//! `GET /api/v1/messages`: what debtors wrote, newest first, with the intent read and what was
//! done, and the counts; messages taken through the engine as a provider's webhook takes them.

use chrono::{DateTime, Duration, Utc};
use recaudo_domain::portfolio::Channel;
use recaudo_engine::inbound::{Conversations, Inbound, InboundReport, Said, receive};
use recaudo_store::{NewContactPoint, NewDebtor, TenantStore};
use serde_json::json;

use crate::fixtures::{apps, req, t0};

/// Tenant A (Brazil) with Maria Souza, who has an SMS contact point at `+5511987654321`.
pub async fn maria_with_sms(store: &recaudo_store::Store) -> TenantStore {
    debtor_with_sms(store, "Maria Souza", "+55 11 98765-4321").await
}

/// Tenant A (Brazil) with a debtor named `name` who has an SMS contact point at `phone`.
pub async fn debtor_with_sms(store: &recaudo_store::Store, name: &str, phone: &str) -> TenantStore {
    let tenant = store
        .list_tenants()
        .await
        .expect("tenants")
        .into_iter()
        .find(|t| t.name == "Luz do Vale")
        .expect("tenant A");
    let ts = store.tenant(&tenant);
    let debtor = ts
        .create_debtor(
            NewDebtor {
                external_id: format!("BR-{phone}"),
                name: name.into(),
                ..Default::default()
            },
            t0(),
        )
        .await
        .expect("debtor");
    ts.add_contact_point(
        debtor.id,
        NewContactPoint {
            channel: Channel::Sms,
            address: Some(phone.into()),
            postal: None,
            consent: Default::default(),
            priority: None,
        },
        t0(),
    )
    .await
    .expect("contact point");
    ts
}

/// An SMS from `from` saying `text` at `at`, taken as a provider's webhook hands it over.
pub async fn sms(ts: &TenantStore, from: &str, text: &str, at: DateTime<Utc>) -> InboundReport {
    let inbound = Inbound {
        channel: Some(Channel::Sms),
        from: from.into(),
        said: Said::Text(text.into()),
        contact_id: None,
        reply_token: None,
        in_reply_to: None,
        provider: Some("twilio-main".into()),
        dedupe_key: format!("test:{from}:{at}"),
        at,
    };
    receive(ts, &Conversations::new(None), inbound, at)
        .await
        .expect("received")
}

#[tokio::test]
async fn messages_are_listed_newest_first_with_intent_action_and_counts() {
    for app in apps().await {
        let (r, k) = (&app.router, app.a.as_str());
        let empty = req("GET", "/api/v1/messages").key(k).send(r).await;
        assert_eq!(
            empty.ok(200),
            &json!({"items": [], "counts": {"received": 0, "by_intent": {}, "by_action": {}, "tasks": 0}}),
            "{}",
            app.db
        );

        let ts = maria_with_sms(&app.store).await;
        let stop = sms(&ts, "+5511987654321", "STOP", t0()).await;
        assert_eq!(stop.intent.as_deref(), Some("opt_out"), "{stop:?}");
        let stranger = sms(
            &ts,
            "+5521912345678",
            "quem é?",
            t0() + Duration::minutes(5),
        )
        .await;
        assert_eq!(stranger.matched_by, "unknown", "{stranger:?}");
        let task = stranger
            .task_id
            .expect("an agent task for an unknown sender");

        let list = req("GET", "/api/v1/messages").key(k).send(r).await;
        let list = list.ok(200);
        let items = list["items"].as_array().expect("items");
        assert_eq!(items.len(), 2, "{}: {list}", app.db);
        // Newest first: the stranger, unread (no debtor to read it for), gone to a person.
        assert_eq!(items[0]["text"], "quem é?");
        assert_eq!(items[0]["debtor_id"], json!(null));
        assert_eq!(items[0]["address"], "+5521912345678");
        assert_eq!(items[0]["action"], "unmatched");
        assert_eq!(items[0]["task_id"], json!(task.to_string()));
        assert_eq!(items[1]["text"], "STOP");
        assert_eq!(items[1]["direction"], "inbound");
        assert_eq!(items[1]["channel"], "sms");
        assert_eq!(items[1]["address"], "+5511987654321");
        assert_eq!(items[1]["intent"], "opt_out");
        assert_eq!(items[1]["action"], "opted_out");
        assert!(items[1]["confidence"].as_f64().expect("confidence") > 0.5);
        assert_eq!(
            items[1]["id"],
            json!(stop.message_id.expect("stored").to_string())
        );
        assert_eq!(
            list["counts"],
            json!({"received": 2, "by_intent": {"opt_out": 1},
                   "by_action": {"opted_out": 1, "unmatched": 1}, "tasks": 1}),
            "{}",
            app.db
        );

        // `limit` takes 1 to 500; anything else is refused naming it.
        let one = req("GET", "/api/v1/messages?limit=1").key(k).send(r).await;
        let one = one.ok(200);
        assert_eq!(one["items"].as_array().map(Vec::len), Some(1));
        assert_eq!(one["items"][0]["text"], "quem é?");
        assert_eq!(
            one["counts"]["received"], 2,
            "the counts are of every message"
        );
        req("GET", "/api/v1/messages?limit=500")
            .key(k)
            .send(r)
            .await
            .ok(200);
        // Out of range: 422; not a number: 400; both name the field.
        for (bad, status) in [("0", 422), ("501", 422), ("-1", 422), ("many", 400)] {
            let resp = req("GET", format!("/api/v1/messages?limit={bad}"))
                .key(k)
                .send(r)
                .await;
            let p = resp.problem(status, "invalid-field");
            assert_eq!(p["field"], "limit", "limit={bad}: {p}");
        }
        let resp = req("GET", "/api/v1/messages?debtor=x").key(k).send(r).await;
        resp.problem(400, "invalid-field");
        // No key, no messages; the other tenant sees none of them.
        req("GET", "/api/v1/messages")
            .send(r)
            .await
            .problem(401, "unauthorized");
        let other = req("GET", "/api/v1/messages").key(&app.b).send(r).await;
        assert_eq!(other.ok(200)["items"], json!([]), "{}", app.db);
        assert_eq!(other.ok(200)["counts"]["received"], 0, "{}", app.db);
    }
}

#[tokio::test]
async fn the_list_is_described_in_the_openapi_document_with_an_example() {
    let app = apps().await.into_iter().next().expect("an app");
    let doc = req("GET", "/api/v1/openapi.json").send(&app.router).await;
    let doc = doc.ok(200);
    let op = &doc["paths"]["/api/v1/messages"]["get"];
    assert_eq!(op["operationId"], "list_messages", "{op}");
    assert_eq!(op["tags"], json!(["messages"]));
    let limit = op["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .find(|p| p["name"] == "limit")
        .expect("limit");
    assert_eq!(
        (&limit["schema"]["minimum"], &limit["schema"]["maximum"]),
        (&json!(1), &json!(500))
    );
    let list = &doc["components"]["schemas"]["MessageList"];
    assert_eq!(
        list["example"]["items"][0]["intent"], "promise_to_pay",
        "{list}"
    );
    assert!(doc["components"]["schemas"]["MessageCounts"].is_object());
}
