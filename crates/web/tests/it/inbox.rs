//! The agent inbox over HTTP (issue 25): a debtor's message fed in by hand becomes a task; an
//! agent claims it, reads the thread and the debts, answers once (never twice, even when the
//! same answer is sent twice at once), takes notes, records a promise, a payment or a dispute
//! naming the task, and resolves it. Reply settings round trip; an unknown sender's message is
//! a task without a debtor.

use axum::Router;
use chrono::Duration;
use serde_json::{Value, json};

use crate::fixtures::{App, Resp, apps, id, req};

/// Tenant B (Colombia) with a debtor reachable by SMS, WhatsApp and email, and one debt.
struct Debtor {
    id: String,
    debt: String,
}

async fn debtor(app: &App, external: &str, phone: &str) -> Debtor {
    let (r, k) = (&app.router, app.b.as_str());
    let d = req("POST", "/api/v1/debtors")
        .key(k)
        .json(&json!({"external_id": external, "name": "Ana María Gómez", "language": "es"}))
        .send(r)
        .await;
    let debtor = id(d.ok(201));
    let email = format!("{}@correo.co", external.to_lowercase());
    for (channel, address) in [("sms", phone), ("whatsapp", phone), ("email", &email)] {
        req("POST", format!("/api/v1/debtors/{debtor}/contact_points"))
            .key(k)
            .json(
                &json!({"channel": channel, "address": address, "consent": {"status": "granted"}}),
            )
            .send(r)
            .await
            .ok(201);
    }
    let debt = req("POST", "/api/v1/debts")
        .key(k)
        .json(
            &json!({"debtor_id": debtor, "external_id": format!("{external}-F1"),
                      "amount": "150000", "currency": "COP", "due_on": "2026-11-01"}),
        )
        .send(r)
        .await;
    Debtor {
        id: debtor,
        debt: id(debt.ok(201)),
    }
}

async fn inbound(r: &Router, key: &str, body: Value) -> Resp {
    req("POST", "/api/v1/messages/inbound")
        .key(key)
        .json(&body)
        .send(r)
        .await
}

fn reply(task: &str, key: &str, body: Value) -> crate::fixtures::Req {
    req("POST", format!("/api/v1/tasks/{task}/reply"))
        .key(key)
        .json(&body)
}

/// The events of a kind on a debtor's timeline.
async fn events(r: &Router, key: &str, debtor: &str, kind: &str) -> Vec<Value> {
    let page = req(
        "GET",
        format!("/api/v1/debtors/{debtor}/timeline?limit=1000"),
    )
    .key(key)
    .send(r)
    .await;
    page.ok(200)["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["kind"] == kind)
        .cloned()
        .collect()
}

/// The contacts that carry the agents' answers (`contact_planned` of a reply without a
/// template), in the order they were planned.
async fn agent_answers(r: &Router, key: &str, debtor: &str) -> Vec<String> {
    let mut contacts: Vec<String> = Vec::new();
    for event in events(r, key, debtor, "contact_planned").await {
        let data = &event["data"];
        if data["step"] != "reply" || !data["template"].is_null() {
            continue;
        }
        let contact = data["contact_id"].as_str().expect("contact_id").to_string();
        if !contacts.contains(&contact) {
            contacts.push(contact);
        }
    }
    contacts
}

#[tokio::test]
async fn a_disputed_debt_goes_through_the_agent_inbox() {
    for app in apps().await {
        let db = app.db;
        let (r, k) = (&app.router, app.b.as_str());
        let ana = debtor(&app, "C-1", "+57 300 123 4567").await;

        // The debtor writes; the message is matched by its sender, read as a dispute, and
        // given to a person.
        let said = json!({"channel": "sms", "from": "+573001234567",
                          "text": "No reconozco esta deuda, yo nunca compré eso"});
        let resp = inbound(r, k, said.clone()).await;
        let report = resp.ok(200).clone();
        assert_eq!(
            (
                &report["matched_by"],
                &report["debtor_id"],
                &report["intent"],
                &report["duplicate"]
            ),
            (
                &json!("address"),
                &json!(ana.id),
                &json!("dispute"),
                &json!(false)
            ),
            "{db}: {report}"
        );
        let task = report["task_id"].as_str().expect("a task").to_string();
        let message = report["message_id"].as_str().expect("stored").to_string();
        // The same message again (a retry) is stored once.
        let again = inbound(r, k, said).await;
        assert_eq!(
            (&again.ok(200)["duplicate"], &again.json["message_id"]),
            (&json!(true), &json!(null)),
            "{db}"
        );

        // The inbox lists it per debtor.
        let listed = req("GET", format!("/api/v1/tasks?debtor_id={}", ana.id))
            .key(k)
            .send(r)
            .await;
        let ids: Vec<&str> = listed.ok(200)["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|t| t["id"].as_str())
            .collect();
        assert_eq!(ids, [task.as_str()], "{db}");
        let other = req("GET", "/api/v1/tasks?debtor_id=dbr_nonsense")
            .key(k)
            .send(r)
            .await;
        assert_eq!(other.problem(400, "invalid-field")["field"], "debtor_id");

        // Only the agent who claimed it answers.
        let text = json!({"assignee": "ana@agencia.co",
                          "text": "Hola Ana María, revisamos su caso y le escribimos pronto. Gracias."});
        reply(&task, k, text.clone())
            .send(r)
            .await
            .problem(409, "conflict");
        req("POST", format!("/api/v1/tasks/{task}/claim"))
            .key(k)
            .json(&json!({"assignee": "ana@agencia.co"}))
            .send(r)
            .await
            .ok(200);
        let mut intruder = text.clone();
        intruder["assignee"] = json!("bruno@agencia.co");
        let p = reply(&task, k, intruder).send(r).await;
        let p = p.problem(409, "conflict");
        assert!(
            p["detail"]
                .as_str()
                .unwrap_or("")
                .contains("ana@agencia.co"),
            "{db}: {p}"
        );

        // The view: the task, its message, the thread, the debts, the notes.
        let view = req("GET", format!("/api/v1/tasks/{task}"))
            .key(k)
            .send(r)
            .await;
        let view = view.ok(200).clone();
        assert_eq!(view["task"]["id"], json!(task), "{db}");
        assert_eq!(view["task"]["state"], "claimed", "{db}");
        assert_eq!(view["message"]["id"], json!(message), "{db}");
        assert_eq!(view["message"]["intent"], "dispute", "{db}");
        let thread = view["thread"].as_array().expect("thread");
        assert!(
            thread.iter().any(|e| e["direction"] == "inbound"
                && e["message_id"] == json!(message)
                && e["text"]
                    .as_str()
                    .is_some_and(|t| t.starts_with("No reconozco"))),
            "{db}: {thread:?}"
        );
        assert_eq!(view["debts"][0]["id"], json!(ana.debt), "{db}");
        assert_eq!(view["debts"][0]["status"], "disputed", "{db}");
        assert_eq!(view["notes"], json!([]), "{db}");

        // A bad answer is refused naming the field.
        for (body, field) in [
            (json!({"assignee": "ana@agencia.co", "text": "  "}), "text"),
            (
                json!({"assignee": "ana@agencia.co", "text": "x".repeat(1601)}),
                "text",
            ),
            (
                json!({"assignee": "ana@agencia.co", "text": "Hola", "channel": "voice"}),
                "channel",
            ),
        ] {
            let resp = reply(&task, k, body).send(r).await;
            assert_eq!(resp.problem(422, "invalid-field")["field"], field, "{db}");
        }
        // WhatsApp takes free text only after the debtor wrote there in the last 24 hours.
        let resp = reply(
            &task,
            k,
            json!({"assignee": "ana@agencia.co", "text": "Hola", "channel": "whatsapp"}),
        )
        .send(r)
        .await;
        let p = resp.problem(422, "invalid-field");
        assert_eq!(p["field"], "channel", "{db}");
        assert!(
            p["detail"].as_str().unwrap_or("").contains("24 hours"),
            "{db}: {p}"
        );

        // The answer is queued once, on the channel the debtor wrote on; the same answer again,
        // even twice at once, queues nothing.
        let first = reply(&task, k, text.clone()).send(r).await;
        let contact = first.ok(202)["contact_id"]
            .as_str()
            .expect("a contact")
            .to_string();
        assert_eq!(first.json["duplicate"], false, "{db}");
        let second = reply(&task, k, text.clone()).send(r).await;
        assert_eq!(
            second.ok(200),
            &json!({"contact_id": null, "duplicate": true}),
            "{db}"
        );
        let both = json!({"assignee": "ana@agencia.co", "text": "¿Nos envía una foto de la factura, por favor?"});
        let (x, y) = tokio::join!(
            reply(&task, k, both.clone()).send(r),
            reply(&task, k, both.clone()).send(r)
        );
        let mut statuses = [x.status.as_u16(), y.status.as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 202], "{db}: {} / {}", x.text, y.text);
        let answers = agent_answers(r, k, &ana.id).await;
        assert_eq!(
            answers.len(),
            2,
            "{db}: one contact per answer: {answers:?}"
        );
        assert_eq!(answers[0], contact, "{db}");
        let queued = req("GET", format!("/api/v1/outbox/{contact}"))
            .key(k)
            .send(r)
            .await;
        let queued = queued.ok(200);
        assert_eq!(
            (
                &queued["state"],
                &queued["channel"],
                &queued["step"],
                &queued["reply_to"],
                &queued["body"]
            ),
            (
                &json!("planned"),
                &json!("sms"),
                &json!("reply"),
                &json!(message),
                &text["text"]
            ),
            "{db}: {queued}"
        );
        let planned = events(r, k, &ana.id, "contact_planned").await;
        assert!(
            planned
                .iter()
                .any(|e| e["data"]["contact_id"] == json!(contact)
                    && e["data"]["reply_to"] == json!(message)),
            "{db}: the answer names the message it answers: {planned:?}"
        );

        // Notes.
        let note = req("POST", format!("/api/v1/tasks/{task}/notes"))
            .key(k)
            .json(&json!({"author": "ana@agencia.co", "note": "Pidió la factura de noviembre"}))
            .send(r)
            .await;
        let note = note.ok(201).clone();
        assert_eq!(note["author"], "ana@agencia.co", "{db}");
        let resp = req("POST", format!("/api/v1/tasks/{task}/notes"))
            .key(k)
            .json(&json!({"author": "ana@agencia.co", "note": ""}))
            .send(r)
            .await;
        assert_eq!(resp.problem(422, "invalid-field")["field"], "note", "{db}");

        // The dispute is reviewed and rejected; the debtor then promises to pay, through the
        // task: on the debtor's only open debt, naming the task and its message.
        let dispute = events(r, k, &ana.id, "dispute_opened").await;
        let dispute = dispute[0]["data"]["dispute_id"]
            .as_str()
            .expect("dispute id")
            .to_string();
        req("PATCH", format!("/api/v1/disputes/{dispute}"))
            .key(k)
            .json(&json!({"status": "rejected"}))
            .send(r)
            .await
            .ok(200);
        let promise = req("POST", format!("/api/v1/tasks/{task}/promise"))
            .key(k)
            .json(&json!({"due_on": "2026-11-30"}))
            .send(r)
            .await;
        let promise = promise.ok(201).clone();
        assert_eq!(promise["promise"]["debt_id"], json!(ana.debt), "{db}");
        assert_eq!(promise["promise"]["channel"], "sms", "{db}");
        assert_eq!(promise["debt"]["status"], "promised", "{db}");
        let made = events(r, k, &ana.id, "promise_made").await;
        assert_eq!(
            (&made[0]["data"]["task_id"], &made[0]["data"]["message_id"]),
            (&json!(task), &json!(message)),
            "{db}"
        );
        // Same checks as the per-debt endpoint: one place.
        let resp = req("POST", format!("/api/v1/tasks/{task}/promise"))
            .key(k)
            .json(&json!({"due_on": "2026-11-30", "amount": "1,5"}))
            .send(r)
            .await;
        assert_eq!(
            resp.problem(422, "invalid-field")["field"],
            "amount",
            "{db}"
        );
        let paid = req("POST", format!("/api/v1/tasks/{task}/payment"))
            .key(k)
            .json(&json!({"amount": "50000", "method": "transfer"}))
            .send(r)
            .await;
        assert_eq!(
            paid.ok(201)["debt"]["balance"]["amount"],
            "100000.00",
            "{db}: {}",
            paid.text
        );
        let received = events(r, k, &ana.id, "payment_received").await;
        assert_eq!(received[0]["data"]["task_id"], json!(task), "{db}");
        // A debt of someone else is refused naming `debt_id`.
        let luis = debtor(&app, "C-2", "+57 310 555 0000").await;
        let resp = req("POST", format!("/api/v1/tasks/{task}/dispute"))
            .key(k)
            .json(&json!({"debt_id": luis.debt, "reason": "Dice que no es suya"}))
            .send(r)
            .await;
        assert_eq!(
            resp.problem(422, "invalid-field")["field"],
            "debt_id",
            "{db}"
        );

        // The conversation, on its own.
        let conv = req(
            "GET",
            format!("/api/v1/debtors/{}/conversation?limit=10", ana.id),
        )
        .key(k)
        .send(r)
        .await;
        let items = conv.ok(200)["items"].as_array().expect("items");
        assert_eq!(items[0]["message_id"], json!(message), "{db}");
        let resp = req(
            "GET",
            format!("/api/v1/debtors/{}/conversation?limit=0", ana.id),
        )
        .key(k)
        .send(r)
        .await;
        assert_eq!(resp.problem(422, "invalid-field")["field"], "limit", "{db}");
        // Tenant A sees none of it.
        req("GET", format!("/api/v1/debtors/{}/conversation", ana.id))
            .key(&app.a)
            .send(r)
            .await
            .problem(404, "not-found");

        // Resolved: nothing more is done through it.
        req("POST", format!("/api/v1/tasks/{task}/resolve"))
            .key(k)
            .json(&json!({"outcome": "promise"}))
            .send(r)
            .await
            .ok(200);
        let mut later = text.clone();
        later["text"] = json!("Otra cosa");
        reply(&task, k, later)
            .send(r)
            .await
            .problem(409, "conflict");
        req("POST", format!("/api/v1/tasks/{task}/promise"))
            .key(k)
            .json(&json!({"due_on": "2026-11-30"}))
            .send(r)
            .await
            .problem(409, "conflict");
        assert_eq!(agent_answers(r, k, &ana.id).await.len(), 2, "{db}");
    }
}

#[tokio::test]
async fn whatsapp_answers_go_only_inside_the_24_hour_window() {
    for app in apps().await {
        let db = app.db;
        let (r, k) = (&app.router, app.b.as_str());
        let ana = debtor(&app, "W-1", "+57 301 222 3344").await;
        let resp = inbound(
            r,
            k,
            json!({"channel": "whatsapp", "from": "+573012223344",
                   "text": "Quiero hablar con un asesor por favor"}),
        )
        .await;
        let report = resp.ok(200).clone();
        assert_eq!(report["debtor_id"], json!(ana.id), "{db}: {report}");
        let tasks = req("GET", format!("/api/v1/tasks?debtor_id={}", ana.id))
            .key(k)
            .send(r)
            .await;
        let task = id(&tasks.ok(200)["items"][0]);
        req("POST", format!("/api/v1/tasks/{task}/claim"))
            .key(k)
            .json(&json!({"assignee": "ana"}))
            .send(r)
            .await
            .ok(200);
        // By default the answer goes where the debtor wrote: WhatsApp, inside the window.
        let first = reply(
            &task,
            k,
            json!({"assignee": "ana", "text": "Hola, soy Ana. ¿En qué le ayudo?"}),
        )
        .send(r)
        .await;
        first.ok(202);
        let answers = agent_answers(r, k, &ana.id).await;
        let queued = req("GET", format!("/api/v1/outbox/{}", answers[0]))
            .key(k)
            .send(r)
            .await;
        assert_eq!(queued.ok(200)["channel"], "whatsapp", "{db}");

        // A day later the window is closed: WhatsApp is refused, SMS still goes.
        app.clock.advance(Duration::hours(25));
        let resp = reply(&task, k, json!({"assignee": "ana", "text": "¿Sigue ahí?"}))
            .send(r)
            .await;
        let p = resp.problem(422, "invalid-field");
        assert_eq!(p["field"], "channel", "{db}");
        assert!(
            p["detail"].as_str().unwrap_or("").contains("24 hours"),
            "{db}: {p}"
        );
        reply(
            &task,
            k,
            json!({"assignee": "ana", "text": "¿Sigue ahí?", "channel": "sms"}),
        )
        .send(r)
        .await
        .ok(202);
    }
}

#[tokio::test]
async fn a_message_from_an_unknown_sender_is_a_task_without_a_debtor() {
    for app in apps().await {
        let db = app.db;
        let (r, k) = (&app.router, app.b.as_str());
        let resp = inbound(
            r,
            k,
            json!({"channel": "sms", "from": "+573009999999", "text": "Ya pagué todo",
                   "at": "2026-11-23T11:59:00Z"}),
        )
        .await;
        let report = resp.ok(200).clone();
        assert_eq!(
            (
                &report["matched_by"],
                &report["debtor_id"],
                &report["candidates"]
            ),
            (&json!("unknown"), &json!(null), &json!([])),
            "{db}: {report}"
        );
        let task = report["task_id"].as_str().expect("a task").to_string();
        let view = req("GET", format!("/api/v1/tasks/{task}"))
            .key(k)
            .send(r)
            .await;
        let view = view.ok(200).clone();
        assert_eq!(view["task"]["debtor_id"], json!(null), "{db}");
        assert_eq!(view["debts"], json!([]), "{db}");
        let thread = view["thread"].as_array().expect("thread");
        assert_eq!(thread.len(), 1, "{db}: {thread:?}");
        assert_eq!(thread[0]["text"], "Ya pagué todo", "{db}");
        assert_eq!(thread[0]["message_id"], report["message_id"], "{db}");

        // Nobody to answer or to act for until the sender is known.
        req("POST", format!("/api/v1/tasks/{task}/claim"))
            .key(k)
            .json(&json!({"assignee": "ana"}))
            .send(r)
            .await
            .ok(200);
        reply(&task, k, json!({"assignee": "ana", "text": "Hola"}))
            .send(r)
            .await
            .problem(409, "conflict");
        req("POST", format!("/api/v1/tasks/{task}/payment"))
            .key(k)
            .json(&json!({"amount": "10"}))
            .send(r)
            .await
            .problem(409, "conflict");
    }
}

#[tokio::test]
async fn inbound_messages_are_checked_naming_the_field() {
    for app in apps().await {
        let db = app.db;
        let (r, k) = (&app.router, app.b.as_str());
        for (body, field) in [
            (
                json!({"channel": "sms", "from": "+573001234567", "text": " "}),
                "text",
            ),
            (
                json!({"channel": "sms", "from": "+573001234567", "text": "a".repeat(64 * 1024 + 1)}),
                "text",
            ),
            (
                json!({"channel": "voice", "from": "+573001234567", "text": "1"}),
                "channel",
            ),
            (
                json!({"channel": "sms", "from": "", "text": "hola"}),
                "from",
            ),
        ] {
            let resp = inbound(r, k, body).await;
            assert_eq!(resp.problem(422, "invalid-field")["field"], field, "{db}");
        }
        let resp = inbound(r, k, json!({"channel": "fax", "from": "1", "text": "hola"})).await;
        assert_eq!(
            resp.problem(400, "invalid-field")["field"],
            "channel",
            "{db}"
        );
        // An Idempotency-Key names the message: sent again, it is stored once.
        let send = || {
            req("POST", "/api/v1/messages/inbound")
                .key(k)
                .header("idempotency-key", "counter-42")
                .json(&json!({"channel": "sms", "from": "+573007777777", "text": "Hola"}))
        };
        let first = send().send(r).await;
        let first_id = first.ok(200)["message_id"].clone();
        assert!(first_id.is_string(), "{db}");
        let second = send().send(r).await;
        assert_eq!(second.ok(200)["message_id"], first_id, "{db}: replayed");
        // Not listed twice anywhere: one task.
        let tasks = req("GET", "/api/v1/tasks").key(k).send(r).await;
        assert_eq!(
            tasks.ok(200)["items"].as_array().map(Vec::len),
            Some(1),
            "{db}"
        );
    }
}

#[tokio::test]
async fn reply_settings_round_trip_and_are_checked() {
    for app in apps().await {
        let db = app.db;
        let (r, k) = (&app.router, app.b.as_str());
        let defaults = req("GET", "/api/v1/reply-settings").key(k).send(r).await;
        let defaults = defaults.ok(200).clone();
        assert_eq!(
            (&defaults["queue"], &defaults["hold_days"]),
            (&json!("inbox"), &json!(5)),
            "{db}"
        );
        let put = req("PUT", "/api/v1/reply-settings")
            .key(k)
            .json(&json!({"hold_days": 3, "min_confidence": 0.7,
                          "dispute": {"enabled": false, "reply": null}}))
            .send(r)
            .await;
        let saved = put.ok(200).clone();
        assert_eq!(saved["hold_days"], 3, "{db}");
        assert_eq!(
            saved["dispute"],
            json!({"enabled": false, "reply": null}),
            "{db}"
        );
        // The keys left out took their defaults.
        assert_eq!(saved["queue"], "inbox", "{db}");
        let read = req("GET", "/api/v1/reply-settings").key(k).send(r).await;
        assert_eq!(read.ok(200), &saved, "{db}");
        // Another tenant keeps its own (the defaults).
        let other = req("GET", "/api/v1/reply-settings")
            .key(&app.a)
            .send(r)
            .await;
        assert_eq!(other.ok(200), &defaults, "{db}");

        for (body, field) in [
            (json!({"hold_days": 90}), "hold_days"),
            (json!({"min_confidence": 2}), "min_confidence"),
            (json!({"hold": 3}), "hold"),
            (
                json!({"dispute": {"enabled": true, "reply": "no_such_template"}}),
                "dispute.reply",
            ),
            (
                json!({"dispute": {"enabled": true, "reply": null, "extra": 1}}),
                "dispute.extra",
            ),
            (json!({"hold_days": "three"}), "hold_days"),
            (json!([1, 2]), "."),
        ] {
            let resp = req("PUT", "/api/v1/reply-settings")
                .key(k)
                .json(&body)
                .send(r)
                .await;
            assert_eq!(
                resp.problem(422, "invalid-field")["field"],
                field,
                "{db}: {body}"
            );
        }
        // Refused settings leave the saved ones as they were.
        let read = req("GET", "/api/v1/reply-settings").key(k).send(r).await;
        assert_eq!(read.ok(200), &saved, "{db}");
    }
}

#[tokio::test]
async fn the_openapi_document_describes_the_inbox_with_examples() {
    let app = apps().await.remove(0);
    let doc = req("GET", "/api/v1/openapi.json").send(&app.router).await;
    let doc = doc.ok(200);
    for (path, method) in [
        ("/api/v1/tasks/{id}", "get"),
        ("/api/v1/tasks/{id}/reply", "post"),
        ("/api/v1/tasks/{id}/notes", "post"),
        ("/api/v1/tasks/{id}/promise", "post"),
        ("/api/v1/tasks/{id}/payment", "post"),
        ("/api/v1/tasks/{id}/dispute", "post"),
        ("/api/v1/debtors/{id}/conversation", "get"),
        ("/api/v1/reply-settings", "get"),
        ("/api/v1/reply-settings", "put"),
        ("/api/v1/messages/inbound", "post"),
    ] {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} documented");
        let text = op.to_string();
        let schemas = &doc["components"]["schemas"];
        // An example on the operation, or on the schemas it names.
        let named_example = text
            .split("#/components/schemas/")
            .skip(1)
            .filter_map(|piece| piece.split('"').next())
            .any(|name| {
                let s = &schemas[name];
                !s["example"].is_null() || !s["examples"].is_null()
            });
        assert!(
            text.contains("\"example") || named_example,
            "{method} {path} has an example: {text}"
        );
    }
    let params = doc["paths"]["/api/v1/tasks"]["get"]["parameters"].to_string();
    assert!(params.contains("debtor_id"), "{params}");
}
