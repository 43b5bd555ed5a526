//! Paying and instalment plans in the portal over HTTP, on SQLite and PostgreSQL: the pay form
//! offers the sandbox account, a payment shows its PIX code and QR image, the sandbox's report
//! pays the debts and the page thanks; a plan's schedule is shown before it is accepted, and
//! requests outside the rules are refused with the rule said, nothing stored.

use recaudo_domain::portfolio::DebtStatus;
use recaudo_web::{PortalLimits, router};

use crate::fixtures::req;
use crate::portal::{Portal, portals, state};

/// The portal of `p` with the sandbox payment account offered (the demo's setting).
fn with_sandbox(p: &mut Portal) {
    p.r = router(state(&p.app, PortalLimits::default()).with_payments_sandbox(true));
}

fn location(resp: &crate::fixtures::Resp) -> String {
    resp.headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn a_payment_through_the_sandbox_pays_the_debts_and_thanks() {
    for mut p in portals().await {
        let db = p.db();
        // Without any payment account, paying is not offered.
        let home = p.get("").await;
        assert!(!home.text.contains("/pay?"), "{db}: {}", home.text);
        with_sandbox(&mut p);
        let home = p.get("").await;
        assert!(home.text.contains("/pay?lang="), "{db}: pay offered");

        let form = p.get("/pay").await;
        assert_eq!(form.status.as_u16(), 200, "{db}: {}", form.text);
        assert!(form.text.contains("pay-method-0"), "{db}");
        let csrf = p.csrf("/pay").await;
        // No anti-forgery value: refused, nothing started.
        let forged = p
            .post("/pay", &[("account", "sandbox"), ("debt", "all")])
            .await;
        assert_eq!(forged.status.as_u16(), 403, "{db}");
        // An account that is not offered: the form again.
        let unknown = p
            .post(
                "/pay",
                &[("csrf", &csrf), ("account", "nope"), ("debt", "all")],
            )
            .await;
        assert_eq!(unknown.status.as_u16(), 422, "{db}");
        assert!(
            p.ts.intents_of_debtor(p.debtor.id)
                .await
                .unwrap()
                .is_empty()
        );

        let started = p
            .post(
                "/pay",
                &[("csrf", &csrf), ("account", "sandbox"), ("debt", "all")],
            )
            .await;
        assert_eq!(started.status.as_u16(), 303, "{db}: {}", started.text);
        let intent_path = location(&started);
        assert!(intent_path.contains("/pay/pin_"), "{db}: {intent_path}");
        let intent_page = req("GET", intent_path.clone()).send(&p.r).await;
        assert_eq!(intent_page.status.as_u16(), 200, "{db}");
        // Reais: the sandbox shows a PIX code and its QR image.
        assert!(intent_page.text.contains("id=\"pix-code\""), "{db}");
        assert!(
            intent_page.text.contains("623,45"),
            "{db}: {}",
            intent_page.text
        );
        let intents = p.ts.intents_of_debtor(p.debtor.id).await.unwrap();
        assert_eq!(intents.len(), 1);
        let intent = &intents[0];
        let brcode = intent.action["pix"].as_str().expect("a BR Code");
        let parsed = recaudo_payments::providers::pix::brcode::parse(brcode).expect("valid EMV");
        assert_eq!(parsed.txid.as_deref(), Some(intent.txid.as_str()));
        let qr = p.get(&format!("/pay/{}/qr.png", intent.id)).await;
        assert_eq!(qr.status.as_u16(), 200, "{db}");
        assert_eq!(qr.content_type(), "image/png");

        // Another debtor's (or no) payment: the neutral page.
        let other = p.get("/pay/pin_01JZZZZZZZZZZZZZZZZZZZZZZZ").await;
        assert_eq!(other.status.as_u16(), 404, "{db}");

        let path = intent_path
            .split_once(&p.token)
            .map(|(_, rest)| rest.split('?').next().unwrap_or_default().to_string())
            .expect("the intent's path");
        let csrf = p.csrf(&path).await;
        let paid = p
            .post(&format!("{path}/simulate"), &[("csrf", &csrf)])
            .await;
        assert_eq!(paid.status.as_u16(), 303, "{db}: {}", paid.text);
        let thanks = p.get(&path).await;
        assert!(thanks.text.contains("id=\"confirmation\""), "{db}");
        for debt in &p.debts {
            let debt = p.ts.get_debt(debt.id).await.unwrap();
            assert_eq!(debt.status, DebtStatus::Paid, "{db}");
        }
        // The same report again changes nothing.
        let again = p
            .post(&format!("{path}/simulate"), &[("csrf", &csrf)])
            .await;
        assert_eq!(again.status.as_u16(), 303, "{db}");
        for debt in &p.debts {
            assert_eq!(p.ts.list_payments(debt.id).await.unwrap().len(), 1, "{db}");
        }
    }
}

#[tokio::test]
async fn a_plan_is_shown_then_accepted_and_refused_outside_the_rules() {
    for p in portals().await {
        let db = p.db();
        let form = p.get("/plan").await;
        assert_eq!(form.status.as_u16(), 200, "{db}: {}", form.text);
        assert!(form.text.contains("id=\"plan-instalments\""), "{db}");
        let csrf = p.csrf("/plan").await;
        let terms = |instalments: &'static str, first: &'static str| {
            vec![
                ("csrf", csrf.clone()),
                ("debt", "all".to_string()),
                ("instalments", instalments.to_string()),
                ("down_payment", "100,00".to_string()),
                ("first_due_on", first.to_string()),
            ]
        };
        // Too many instalments, a first date in the past: the rule said, nothing stored.
        let many = plan_post(&p, terms("99", "2026-12-10"), "preview").await;
        assert_eq!(many.status.as_u16(), 422, "{db}");
        assert!(many.text.contains("6"), "{db}: {}", many.text);
        let past = plan_post(&p, terms("3", "2026-11-01"), "accept").await;
        assert_eq!(past.status.as_u16(), 422, "{db}");
        assert!(p.ts.plans_of_debtor(p.debtor.id).await.unwrap().is_empty());

        let preview = plan_post(&p, terms("3", "2026-12-10"), "preview").await;
        assert_eq!(preview.status.as_u16(), 200, "{db}: {}", preview.text);
        assert!(preview.text.contains("id=\"plan-schedule\""), "{db}");
        assert!(preview.text.contains("id=\"plan-accept\""), "{db}");
        assert!(p.ts.plans_of_debtor(p.debtor.id).await.unwrap().is_empty());

        let accepted = plan_post(&p, terms("3", "2026-12-10"), "accept").await;
        assert_eq!(accepted.status.as_u16(), 303, "{db}: {}", accepted.text);
        let done = req("GET", location(&accepted)).send(&p.r).await;
        assert!(done.text.contains("id=\"confirmation\""), "{db}");
        let plans = p.ts.plans_of_debtor(p.debtor.id).await.unwrap();
        assert_eq!(plans.len(), 1, "{db}");
        assert_eq!(
            plans[0].instalments.len(),
            4,
            "{db}: a down payment and three"
        );
        for debt in &p.debts {
            let debt = p.ts.get_debt(debt.id).await.unwrap();
            assert_eq!(debt.status, DebtStatus::Plan, "{db}");
        }
    }
}

/// A post of the plan form with `action`.
async fn plan_post(
    p: &Portal,
    mut fields: Vec<(&'static str, String)>,
    action: &'static str,
) -> crate::fixtures::Resp {
    fields.push(("action", action.to_string()));
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    p.post("/plan", &pairs).await
}

#[tokio::test]
async fn a_messages_link_ages_by_the_clock_from_when_it_was_due() {
    use chrono::Duration;
    use recaudo_channels::links::LinkPurpose;
    use recaudo_domain::portfolio::Channel;
    use recaudo_store::NewReply;

    use crate::fixtures::t0;
    use crate::portal::signer;

    for p in portals().await {
        let db = p.db();
        let points = p.ts.list_contact_points(p.debtor.id).await.unwrap();
        let contact =
            p.ts.enqueue_reply(
                NewReply {
                    debtor_id: p.debtor.id,
                    debt_id: p.debts[0].id,
                    covers: vec![],
                    contact_point_id: points[0].id,
                    channel: Channel::Email,
                    template: Some("reply_thanks".into()),
                    body: None,
                    reply_to: None,
                    idempotency_key: "link-age".into(),
                    local_date: t0().date_naive(),
                    reason: "test".into(),
                },
                t0(),
            )
            .await
            .unwrap()
            .expect("queued");
        let path = format!("/p/{}", signer().token(LinkPurpose::Portal, contact));
        // The id's own time is the machine's; the link lasts 60 days from the clock's t0.
        p.app.clock.set(t0() + Duration::days(59));
        let open = req("GET", path.clone()).send(&p.r).await;
        assert_eq!(open.status.as_u16(), 200, "{db}: {}", open.text);
        p.app.clock.set(t0() + Duration::days(61));
        let expired = req("GET", path).send(&p.r).await;
        assert_eq!(expired.status.as_u16(), 404, "{db}");
        p.app.clock.set(t0());
    }
}
