//! The sandbox: reproducible, clock-driven outcomes.

use chrono::{DateTime, Duration, TimeZone, Utc};

use recaudo_channels::providers::sandbox::{self, Rates};
use recaudo_channels::{
    ChannelProvider, Content, EventKind, OutboundMessage, ProviderConfig, ProviderEnv, SmsContent,
    SmsEncoding,
};
use recaudo_domain::ContactId;
use recaudo_domain::portfolio::{Channel, Language};

fn env() -> ProviderEnv {
    ProviderEnv::new(std::env::temp_dir(), None)
}

fn sms(key: &str, now: DateTime<Utc>) -> OutboundMessage {
    OutboundMessage {
        contact_id: ContactId::generate(),
        idempotency_key: key.to_string(),
        channel: Channel::Sms,
        to: "+573001234567".into(),
        postal: None,
        recipient_name: "Ana Gómez".into(),
        language: Language::Es,
        locale: "es-CO".into(),
        sender_name: "Acueducto".into(),
        content: Content::Sms(SmsContent {
            body: "Hola".into(),
            encoding: SmsEncoding::Gsm7,
            segments: 1,
        }),
        status_callback: None,
        gather_callback: None,
        reply_token: None,
        segment: None,
        now,
    }
}

fn build(config: sandbox::Config) -> sandbox::Provider {
    match ProviderConfig::Sandbox(config).build(&env()) {
        Ok(recaudo_channels::Provider::Sandbox(p)) => p,
        _ => panic!("a sandbox builds"),
    }
}

#[tokio::test]
async fn the_same_seed_and_messages_give_the_same_events_when_their_time_comes() {
    let now = Utc.with_ymd_and_hms(2026, 12, 2, 15, 0, 0).unwrap();
    let run = || async {
        let provider = build(sandbox::Config::default());
        for i in 0..200 {
            provider
                .send(&sms(&format!("k{i}"), now))
                .await
                .expect("sent");
        }
        assert!(
            provider.due_events(now).is_empty(),
            "nothing happens before its time"
        );
        let events = provider.due_events(now + Duration::days(4));
        assert!(
            provider.due_events(now + Duration::days(4)).is_empty(),
            "each event once"
        );
        events
    };
    let first = run().await;
    let second = run().await;
    let names = |events: &[recaudo_channels::ProviderEvent]| {
        events
            .iter()
            .map(|e| (e.dedupe_key.clone(), e.at))
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&first), names(&second));
    let delivered = first
        .iter()
        .filter(|e| e.kind == EventKind::Delivered)
        .count();
    let paid = first.iter().filter(|e| e.kind == EventKind::Paid).count();
    assert!(
        (170..=200).contains(&delivered),
        "about 95 % delivered: {delivered}"
    );
    assert!((10..=50).contains(&paid), "about 14 % paid: {paid}");
    assert!(first.windows(2).all(|w| w[0].at <= w[1].at), "oldest first");
}

#[tokio::test]
async fn rates_and_rejections_are_the_configurations() {
    let now = Utc.with_ymd_and_hms(2026, 12, 2, 15, 0, 0).unwrap();
    let mut config = sandbox::Config {
        reject_addresses_containing: Some("+57300".into()),
        ..sandbox::Config::default()
    };
    let rejected = build(config.clone()).send(&sms("k", now)).await;
    assert!(matches!(
        rejected,
        Err(recaudo_channels::SendError::Permanent {
            address_unusable: true,
            ..
        })
    ));
    config.reject_addresses_containing = None;
    let never = Rates {
        delivered: 0.0,
        hard_bounce: 1.0,
        opened: 0.0,
        clicked: 0.0,
        replied: 0.0,
        paid: 0.0,
    };
    config.rates.insert(Channel::Sms, never);
    let provider = build(config);
    let ack = provider.send(&sms("k", now)).await.expect("taken");
    let again = provider.send(&sms("k", now)).await.expect("taken");
    assert_eq!(
        ack.provider_message_id, again.provider_message_id,
        "same key, same id"
    );
    let events = provider.due_events(now + Duration::days(1));
    assert!(
        events
            .iter()
            .all(|e| matches!(e.kind, EventKind::Bounced { hard: true, .. }))
    );
    let bad = sandbox::Config {
        rates: [(
            Channel::Email,
            Rates {
                delivered: 1.5,
                ..never
            },
        )]
        .into(),
        ..sandbox::Config::default()
    };
    let err = ProviderConfig::Sandbox(bad)
        .validate()
        .expect_err("refused");
    assert_eq!(err.field, "rates.email.delivered");
}
