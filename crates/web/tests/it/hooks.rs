//! Providers' callbacks and the debtor's links over HTTP: a signed Twilio status callback and a
//! signed Meta status mark the contact delivered once (a replay changes nothing); forged,
//! unsigned, oversized and unknown ones are refused and change nothing; Meta's verification
//! echoes the challenge; the Standard Webhooks timestamp stops late replays; the open pixel,
//! click redirect, unsubscribe (GET asks, POST opts out) and the portal page work, and forged
//! tokens lead nowhere.

use std::sync::Arc;

use axum::Router;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{Duration, NaiveDate};
use recaudo_channels::links::{LinkPurpose, LinkSigner};
use recaudo_channels::seal::SealingKey;
use recaudo_channels::signature::{hmac_sha1, hmac_sha256};
use recaudo_domain::outbox::{Contact, NewContact};
use recaudo_domain::portfolio::{Channel, ConsentStatus, Debt, Debtor};
use recaudo_domain::{ContactId, Currency, Money};
use recaudo_store::{
    ContactRef, DispatchOutcome, NewContactPoint, NewDebt, NewDebtor, TenantStore,
};
use recaudo_web::{AppState, router};
use serde_json::json;

use crate::fixtures::{App, Resp, apps, req, t0};

const BASE: &str = "https://collect.test";
const TWILIO_TOKEN: &str = "twilio-auth-token-0123456789";
const APP_SECRET: &str = "meta-app-secret-abcdef";
const VERIFY_TOKEN: &str = "meta-verify-token-xyz";
const SMS_SID: &str = "SM0123456789abcdef0123456789abcdef";
const WAMID: &str = "wamid.HBgMNTUxMTk4NzY1NDMyMRUCABIYFjNFQjBDNzY";
const WEBHOOK_SECRET: &[u8] = b"a webhook provider's shared secret";

/// A router whose state seals accounts, signs links under [`BASE`] and takes webhooks as
/// called at [`BASE`].
fn hooked(app: &App, links: bool) -> Router {
    let key = Arc::new(SealingKey::parse(&SealingKey::generate_hex()).expect("a fresh key"));
    let mut state = AppState::new(app.store.clone(), app.clock.clone())
        .with_sealing_key(key)
        .with_public_url(BASE);
    if links {
        state = state.with_links(signer());
    }
    router(state)
}

fn signer() -> LinkSigner {
    LinkSigner::new(b"the test's link key", BASE)
}

async fn tenant_a(app: &App) -> TenantStore {
    let tenants = app.store.list_tenants().await.expect("tenants");
    let tenant = tenants
        .iter()
        .find(|t| t.name == "Luz do Vale")
        .expect("tenant A");
    app.store.tenant(tenant)
}

/// Saves the tenant's Twilio SMS, WhatsApp Cloud and webhook accounts through the API.
async fn save_accounts(r: &Router, key: &str) {
    let whsec = format!("whsec_{}", STANDARD.encode(WEBHOOK_SECRET));
    for account in [
        json!({
            "name": "twilio", "channels": ["sms"],
            "config": {"kind": "twilio_sms", "account_sid": format!("AC{}", "0".repeat(32)),
                       "auth_token": TWILIO_TOKEN, "from": "+15005550006"}
        }),
        json!({
            "name": "meta", "channels": ["whatsapp"],
            "config": {"kind": "whatsapp_cloud", "phone_number_id": "106540352242922",
                       "access_token": "EAAG-access", "app_secret": APP_SECRET,
                       "verify_token": VERIFY_TOKEN}
        }),
        json!({
            "name": "erp", "channels": ["email"], "priority": 9,
            "config": {"kind": "webhook", "url": "https://erp.example.com/recaudo",
                       "secret": whsec}
        }),
    ] {
        let resp = req("POST", "/api/v1/provider-accounts")
            .key(key)
            .json(&account)
            .send(r)
            .await;
        assert_eq!(
            resp.status.as_u16(),
            201,
            "{}: {}",
            account["name"],
            resp.text
        );
    }
}

struct Sent {
    debtor: Debtor,
    sms: Contact,
    whatsapp: Contact,
    email: Contact,
}

/// A debtor with two debts and an email address; an SMS, a WhatsApp message and an email
/// (covering both debts) planned and recorded as sent with known provider ids.
async fn sent_contacts(ts: &TenantStore) -> Sent {
    let debtor = ts
        .create_debtor(
            NewDebtor {
                external_id: "BR-7".into(),
                name: "Maria Aparecida Souza".into(),
                ..Default::default()
            },
            t0(),
        )
        .await
        .expect("debtor");
    let debt = |external: &str, minor: i64| NewDebt {
        debtor_id: debtor.id,
        external_id: external.into(),
        amount: Money::from_minor(minor, Currency::Brl),
        balance: None,
        issued_on: None,
        due_on: NaiveDate::from_ymd_opt(2026, 11, 10).expect("date"),
        product: None,
    };
    let first: Debt = ts
        .create_debt(debt("INV-1", 90_000), t0())
        .await
        .expect("debt");
    let second: Debt = ts
        .create_debt(debt("INV-2", 35_050), t0())
        .await
        .expect("debt");
    let point = ts
        .add_contact_point(
            debtor.id,
            NewContactPoint {
                channel: Channel::Email,
                address: Some("maria@example.com".into()),
                postal: None,
                consent: Default::default(),
                priority: None,
            },
            t0(),
        )
        .await
        .expect("contact point");
    let email = NewContact {
        debtor_id: debtor.id,
        debt_id: first.id,
        covers: vec![second.id],
        contact_point_id: Some(point.id),
        strategy: Some("consumer-default".into()),
        strategy_version: Some(1),
        step: "due".into(),
        arm: None,
        channel: Channel::Email,
        template: Some("due_today".into()),
        queue: None,
        scheduled_for: t0(),
        local_date: NaiveDate::from_ymd_opt(2026, 11, 23).expect("date"),
        reason: "step due".into(),
    };
    let sms = NewContact {
        channel: Channel::Sms,
        contact_point_id: None,
        covers: vec![],
        ..email.clone()
    };
    let whatsapp = NewContact {
        channel: Channel::Whatsapp,
        ..sms.clone()
    };
    ts.plan_contacts(&[email, sms, whatsapp], t0())
        .await
        .expect("planned");
    let claimed = ts
        .claim_contacts(t0(), 10, std::time::Duration::from_secs(60), "w1")
        .await
        .expect("claimed");
    assert_eq!(claimed.len(), 3);
    let outcomes = claimed
        .iter()
        .map(|contact| {
            let (provider, id) = match contact.channel {
                Channel::Sms => ("twilio", SMS_SID.to_string()),
                Channel::Whatsapp => ("meta", WAMID.to_string()),
                _ => ("erp", "msg-email-1".to_string()),
            };
            let outcome = DispatchOutcome::Sent {
                provider: provider.into(),
                provider_message_id: id,
                cost: None,
                content: json!({"channel": contact.channel.as_str()}),
                template: Some("due_today".into()),
            };
            (ContactRef::from(contact), outcome)
        })
        .collect();
    ts.record_dispatch("w1", outcomes, t0())
        .await
        .expect("recorded");
    let of = |channel: Channel| {
        claimed
            .iter()
            .find(|c| c.channel == channel)
            .expect("claimed")
            .clone()
    };
    Sent {
        debtor,
        sms: of(Channel::Sms),
        whatsapp: of(Channel::Whatsapp),
        email: of(Channel::Email),
    }
}

/// `X-Twilio-Signature`, computed here as Twilio documents it: base64 of HMAC-SHA1 under the
/// auth token of the URL followed by each POST parameter's name and value, sorted by name.
fn twilio_signature(token: &str, url: &str, params: &[(&str, &str)]) -> String {
    let mut sorted = params.to_vec();
    sorted.sort();
    let mut data = url.to_string();
    for (name, value) in sorted {
        data.push_str(name);
        data.push_str(value);
    }
    STANDARD.encode(hmac_sha1(token.as_bytes(), data.as_bytes()))
}

fn form(params: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(params).expect("form")
}

/// The state of a contact and how many timeline events of `kind` its debtor has.
async fn state_and_events(ts: &TenantStore, id: ContactId, kind: &str) -> (String, usize) {
    let contact = ts.get_contact(id).await.expect("contact");
    let query = recaudo_store::TimelineQuery {
        cursor: None,
        limit: Some(500),
    };
    let events = ts
        .debtor_timeline(contact.debtor_id, &query)
        .await
        .expect("timeline");
    let count = events
        .items
        .iter()
        .filter(|e| e.kind.as_str() == kind && e.data["contact_id"] == id.to_string())
        .count();
    (contact.state.as_str().to_string(), count)
}

#[track_caller]
fn status(resp: &Resp, code: u16) {
    assert_eq!(resp.status.as_u16(), code, "{}", resp.text);
}

#[tokio::test]
async fn signed_provider_callbacks_apply_once_and_the_rest_are_refused() {
    for app in apps().await {
        let db = app.db;
        let r = &hooked(&app, true);
        save_accounts(r, &app.a).await;
        let ts = tenant_a(&app).await;
        let tenant = ts.tenant().id;
        let sent = sent_contacts(&ts).await;

        // Twilio: a signed status callback marks the SMS delivered, with one event.
        let path = format!("/hooks/{tenant}/twilio");
        let url = format!("{BASE}{path}");
        let delivered = [
            ("AccountSid", "AC00000000000000000000000000000000"),
            ("MessageSid", SMS_SID),
            ("MessageStatus", "delivered"),
            ("To", "+5511987654321"),
        ];
        let signed = || {
            req("POST", path.clone())
                .header(
                    "X-Twilio-Signature",
                    &twilio_signature(TWILIO_TOKEN, &url, &delivered),
                )
                .raw("application/x-www-form-urlencoded", form(&delivered))
        };
        let resp = signed().send(r).await;
        status(&resp, 200);
        assert!(resp.content_type().starts_with("text/xml"), "{db}");
        assert!(resp.text.contains("<Response></Response>"), "{db}");
        assert_eq!(
            state_and_events(&ts, sent.sms.id, "delivered").await,
            ("delivered".to_string(), 1),
            "{db}"
        );
        // Twilio's callbacks carry no time: it is when the request came, on the injected clock.
        assert_eq!(
            ts.outbox_entry(sent.sms.id).await.unwrap().delivered_at,
            Some(recaudo_domain::Clock::now(app.clock.as_ref())),
            "{db}"
        );
        // The same callback again: 200, nothing new.
        status(&signed().send(r).await, 200);
        assert_eq!(
            state_and_events(&ts, sent.sms.id, "delivered").await,
            ("delivered".to_string(), 1),
            "{db}"
        );

        // Forged (another token's signature, or the signature of other parameters) and
        // unsigned: 401, and the failure they report is not recorded.
        let failed = [
            ("MessageSid", SMS_SID),
            ("MessageStatus", "failed"),
            ("ErrorCode", "30005"),
        ];
        for signature in [
            Some(twilio_signature("not-the-token", &url, &failed)),
            Some(twilio_signature(TWILIO_TOKEN, &url, &delivered)),
            Some(twilio_signature(
                TWILIO_TOKEN,
                &format!("{BASE}/hooks/{tenant}/other"),
                &failed,
            )),
            Some("bm90IGEgc2lnbmF0dXJl".to_string()),
            None,
        ] {
            let mut request = req("POST", path.clone());
            if let Some(signature) = &signature {
                request = request.header("X-Twilio-Signature", signature);
            }
            let resp = request
                .raw("application/x-www-form-urlencoded", form(&failed))
                .send(r)
                .await;
            resp.problem(401, "unauthorized");
            assert!(!resp.text.contains(TWILIO_TOKEN), "{db}");
        }
        assert_eq!(
            state_and_events(&ts, sent.sms.id, "failed").await,
            ("delivered".to_string(), 0),
            "{db}"
        );

        // Too large: 413 before anything is read.
        let big = format!("MessageSid={SMS_SID}&Body={}", "a".repeat(300 * 1024));
        let resp = req("POST", path.clone())
            .header("X-Twilio-Signature", "irrelevant")
            .raw("application/x-www-form-urlencoded", big)
            .send(r)
            .await;
        resp.problem(413, "payload-too-large");

        // Unknown tenant, account, or a tenant's account named under another tenant: 404.
        let other = app
            .store
            .list_tenants()
            .await
            .expect("tenants")
            .into_iter()
            .find(|t| t.id != tenant)
            .expect("tenant B");
        for path in [
            format!("/hooks/{}/twilio", recaudo_domain::TenantId::generate()),
            "/hooks/not-a-tenant/twilio".to_string(),
            format!("/hooks/{tenant}/nobody"),
            format!("/hooks/{}/twilio", other.id),
        ] {
            let resp = req("POST", path.clone())
                .header(
                    "X-Twilio-Signature",
                    &twilio_signature(TWILIO_TOKEN, &format!("{BASE}{path}"), &delivered),
                )
                .raw("application/x-www-form-urlencoded", form(&delivered))
                .send(r)
                .await;
            resp.problem(404, "not-found");
        }

        // Meta: the subscription check echoes the challenge for the right verify token only.
        let meta = format!("/hooks/{tenant}/meta");
        let resp = req(
            "GET",
            format!(
                "{meta}?hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1158201444"
            ),
        )
        .send(r)
        .await;
        status(&resp, 200);
        assert!(resp.content_type().starts_with("text/plain"), "{db}");
        assert_eq!(resp.text, "1158201444", "{db}");
        let resp = req(
            "GET",
            format!("{meta}?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1158201444"),
        )
        .send(r)
        .await;
        resp.problem(401, "unauthorized");
        assert!(!resp.text.contains("1158201444"), "{db}");

        // A signed status notification: delivered, once.
        let notification = json!({
            "object": "whatsapp_business_account",
            "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
                "statuses": [{"id": WAMID, "status": "delivered", "timestamp": "1795435200",
                              "recipient_id": "5511987654321"}]
            }}]}]
        });
        let body = serde_json::to_vec(&notification).expect("json");
        let meta_signature = format!(
            "sha256={}",
            hex::encode(hmac_sha256(APP_SECRET.as_bytes(), &body))
        );
        for _ in 0..2 {
            let resp = req("POST", meta.clone())
                .header("X-Hub-Signature-256", &meta_signature)
                .raw("application/json", body.clone())
                .send(r)
                .await;
            status(&resp, 200);
            assert_eq!(
                state_and_events(&ts, sent.whatsapp.id, "delivered").await,
                ("delivered".to_string(), 1),
                "{db}"
            );
        }
        let mut tampered = body.clone();
        tampered.extend_from_slice(b" ");
        let resp = req("POST", meta.clone())
            .header("X-Hub-Signature-256", &meta_signature)
            .raw("application/json", tampered)
            .send(r)
            .await;
        resp.problem(401, "unauthorized");
        // Signed but not a notification: 400.
        let junk = b"{\"entry\": 5}".to_vec();
        let resp = req("POST", meta.clone())
            .header(
                "X-Hub-Signature-256",
                &format!(
                    "sha256={}",
                    hex::encode(hmac_sha256(APP_SECRET.as_bytes(), &junk))
                ),
            )
            .raw("application/json", junk)
            .send(r)
            .await;
        resp.problem(400, "malformed-webhook");

        // The webhook provider's inbound report: signed and fresh is applied; the same bytes
        // replayed after the tolerance are refused even though the signature holds.
        let erp = format!("/hooks/{tenant}/erp");
        let report = serde_json::to_vec(&json!({
            "type": "contact.opened",
            "data": {"provider_message_id": "msg-email-1"}
        }))
        .expect("json");
        let stamp = t0().timestamp().to_string();
        let content = [
            b"rep_1.".as_slice(),
            stamp.as_bytes(),
            b".".as_slice(),
            &report,
        ]
        .concat();
        let signature = format!(
            "v1,{}",
            STANDARD.encode(hmac_sha256(WEBHOOK_SECRET, &content))
        );
        let post_report = || {
            req("POST", erp.clone())
                .header("webhook-id", "rep_1")
                .header("webhook-timestamp", &stamp)
                .header("webhook-signature", &signature)
                .raw("application/json", report.clone())
        };
        app.clock.advance(Duration::minutes(10));
        post_report().send(r).await.problem(401, "unauthorized");
        assert_eq!(
            state_and_events(&ts, sent.email.id, "opened").await,
            ("sent".to_string(), 0),
            "{db}"
        );
        app.clock.advance(Duration::minutes(-9));
        status(&post_report().send(r).await, 200);
        assert_eq!(
            state_and_events(&ts, sent.email.id, "opened").await,
            ("delivered".to_string(), 1),
            "{db}"
        );
        app.clock.set(t0());

        // The other contacts were left alone by all of this.
        assert_eq!(
            state_and_events(&ts, sent.email.id, "delivered").await.1,
            0,
            "{db}"
        );
        let _ = &sent.debtor;
    }
}

#[tokio::test]
async fn links_track_unsubscribe_and_show_the_portal() {
    for app in apps().await {
        let db = app.db;
        let r = &hooked(&app, true);
        let ts = tenant_a(&app).await;
        let sent = sent_contacts(&ts).await;
        let links = signer();
        let email = sent.email.id;
        let token = |purpose| links.token(purpose, email);
        let forged = |purpose| {
            let mut t = links.token(purpose, email);
            let last = if t.ends_with('A') { "B" } else { "A" };
            t.replace_range(t.len() - 1.., last);
            t
        };

        // The open pixel: a GIF always, one open recorded for a genuine token.
        for _ in 0..2 {
            let resp = req("GET", format!("/t/o/{}", token(LinkPurpose::Open)))
                .send(r)
                .await;
            status(&resp, 200);
            assert_eq!(resp.content_type(), "image/gif", "{db}");
            assert!(
                resp.headers["cache-control"]
                    .to_str()
                    .unwrap_or("")
                    .contains("no-store"),
                "{db}"
            );
        }
        assert_eq!(
            state_and_events(&ts, email, "opened").await,
            ("delivered".to_string(), 1),
            "{db}"
        );
        let entry = ts.outbox_entry(email).await.expect("entry");
        assert_eq!(entry.opened_at, Some(t0()), "{db}");
        for bad in [
            forged(LinkPurpose::Open),
            token(LinkPurpose::Click),
            "nonsense".into(),
        ] {
            let resp = req("GET", format!("/t/o/{bad}")).send(r).await;
            status(&resp, 200);
            assert_eq!(resp.content_type(), "image/gif", "{db}");
        }
        assert_eq!(state_and_events(&ts, email, "opened").await.1, 1, "{db}");

        // The click: to the portal, once.
        let portal = links.url(LinkPurpose::Portal, email);
        for _ in 0..2 {
            let resp = req("GET", format!("/t/c/{}", token(LinkPurpose::Click)))
                .send(r)
                .await;
            status(&resp, 303);
            assert_eq!(resp.headers["location"], portal.as_str(), "{db}");
        }
        assert_eq!(state_and_events(&ts, email, "clicked").await.1, 1, "{db}");
        let resp = req("GET", format!("/t/c/{}", forged(LinkPurpose::Click)))
            .send(r)
            .await;
        status(&resp, 404);
        assert!(resp.content_type().starts_with("text/html"), "{db}");
        assert!(resp.headers.get("location").is_none(), "{db}");

        // Unsubscribe: the GET asks (in Portuguese, the debtor's language) and changes
        // nothing; the one-click POST opts the address out; forged tokens lead nowhere.
        let point = sent.email.contact_point_id.expect("a contact point");
        let unsubscribe = format!("/t/u/{}", token(LinkPurpose::Unsubscribe));
        let resp = req("GET", unsubscribe.clone()).send(r).await;
        status(&resp, 200);
        assert!(resp.content_type().starts_with("text/html"), "{db}");
        assert!(
            resp.text
                .contains("Deseja deixar de receber mensagens de Luz do Vale"),
            "{db}: {}",
            resp.text
        );
        assert!(resp.text.contains("<form method=\"post\">"), "{db}");
        assert!(resp.text.contains("lang=\"pt-BR\""), "{db}");
        let cp = ts.get_contact_point(point).await.expect("point");
        assert_ne!(cp.consent.status, ConsentStatus::OptedOut, "{db}");
        assert_eq!(state_and_events(&ts, email, "opted_out").await.1, 0, "{db}");
        for bad in [forged(LinkPurpose::Unsubscribe), token(LinkPurpose::Portal)] {
            for method in ["GET", "POST"] {
                let resp = req(method, format!("/t/u/{bad}"))
                    .raw(
                        "application/x-www-form-urlencoded",
                        "List-Unsubscribe=One-Click",
                    )
                    .send(r)
                    .await;
                status(&resp, 404);
            }
        }
        let cp = ts.get_contact_point(point).await.expect("point");
        assert_ne!(cp.consent.status, ConsentStatus::OptedOut, "{db}");
        for _ in 0..2 {
            let resp = req("POST", unsubscribe.clone())
                .raw(
                    "application/x-www-form-urlencoded",
                    "List-Unsubscribe=One-Click",
                )
                .send(r)
                .await;
            status(&resp, 200);
            assert!(
                resp.text
                    .contains("Você não receberá mais mensagens de Luz do Vale"),
                "{db}: {}",
                resp.text
            );
        }
        let cp = ts.get_contact_point(point).await.expect("point");
        assert_eq!(cp.consent.status, ConsentStatus::OptedOut, "{db}");
        assert_eq!(cp.opted_out_at, Some(t0()), "{db}");
        assert_eq!(state_and_events(&ts, email, "opted_out").await.1, 1, "{db}");

        // The portal: the debtor's open debts in the debtor's locale, the total, the first
        // name only (the portal's own tests are in `portal.rs`).
        let resp = req("GET", format!("/p/{}", token(LinkPurpose::Portal)))
            .send(r)
            .await;
        status(&resp, 200);
        assert!(resp.content_type().starts_with("text/html"), "{db}");
        for shown in [
            "Suas contas com Luz do Vale",
            "Olá, Maria!",
            "INV-1",
            "R$ 900,00",
            "INV-2",
            "R$ 350,50",
            "10/11/2026",
            "R$ 1.250,50",
        ] {
            assert!(resp.text.contains(shown), "{db}: {shown} in {}", resp.text);
        }
        for hidden in ["Souza", "Aparecida", "maria@example.com", "http"] {
            assert!(
                !resp.text.contains(hidden),
                "{db}: {hidden} in {}",
                resp.text
            );
        }
        assert_eq!(resp.headers["cache-control"], "no-store", "{db}");
        // The SMS's portal link shows its own debt first, and every other open debt.
        let resp = req(
            "GET",
            format!("/p/{}", links.token(LinkPurpose::Portal, sent.sms.id)),
        )
        .send(r)
        .await;
        status(&resp, 200);
        let (one, two) = (resp.text.find("INV-1"), resp.text.find("INV-2"));
        assert!(one.is_some() && two.is_some() && one < two, "{db}");
        for bad in [forged(LinkPurpose::Portal), token(LinkPurpose::Open)] {
            let resp = req("GET", format!("/p/{bad}")).send(r).await;
            status(&resp, 404);
            assert!(!resp.text.contains("INV-1"), "{db}");
        }
        // A contact that does not exist: a genuine-looking token still leads nowhere.
        let resp = req(
            "GET",
            format!(
                "/p/{}",
                links.token(LinkPurpose::Portal, ContactId::generate())
            ),
        )
        .send(r)
        .await;
        status(&resp, 404);

        // Without a link key every link leads nowhere (the pixel is still an image).
        let unlinked = &hooked(&app, false);
        for path in [
            format!("/p/{}", token(LinkPurpose::Portal)),
            format!("/t/c/{}", token(LinkPurpose::Click)),
            unsubscribe.clone(),
        ] {
            status(&req("GET", path).send(unlinked).await, 404);
        }
        let resp = req("GET", format!("/t/o/{}", token(LinkPurpose::Open)))
            .send(unlinked)
            .await;
        assert_eq!(resp.content_type(), "image/gif", "{db}");
    }
}
