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

fn voice_call(key: &str, now: DateTime<Utc>) -> OutboundMessage {
    OutboundMessage {
        channel: Channel::Voice,
        to: "+5215512345678".into(),
        content: Content::Voice(recaudo_channels::VoiceContent {
            script: "Hola Ana".into(),
            say_language: "es-CO".into(),
            menu: "Marque 1, 2 o 3".into(),
        }),
        ..sms(key, now)
    }
}

#[tokio::test]
async fn answered_calls_sometimes_key_the_menu_and_promise_a_date_a_few_days_ahead() {
    let now = Utc.with_ymd_and_hms(2026, 12, 28, 15, 0, 0).unwrap();
    let run = || async {
        let provider = build(sandbox::Config::default());
        for i in 0..300 {
            provider
                .send(&voice_call(&format!("call{i}"), now))
                .await
                .expect("placed");
        }
        provider.due_events(now + Duration::days(1))
    };
    let events = run().await;
    let seen = |events: &[recaudo_channels::ProviderEvent]| {
        events
            .iter()
            .map(|e| (e.dedupe_key.clone(), e.kind.clone(), e.at))
            .collect::<Vec<_>>()
    };
    assert!(
        seen(&events) == seen(&run().await),
        "the same seed keys the same digits"
    );
    let keyed: Vec<&str> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Digits { digits } => Some(digits.as_str()),
            _ => None,
        })
        .collect();
    for key in ["1", "2", "3"] {
        assert!(keyed.contains(&key), "some debtors press {key}: {keyed:?}");
    }
    assert!(
        keyed.iter().all(|key| ["1", "2", "3"].contains(key)),
        "{keyed:?}"
    );
    let answered = events
        .iter()
        .filter(|e| e.kind == EventKind::Delivered)
        .count();
    assert!(
        (answered / 5..=answered / 2).contains(&keyed.len()),
        "about a third of answered calls key the menu: {} of {answered}",
        keyed.len()
    );
    assert!(
        events
            .iter()
            .all(|e| !matches!(e.kind, EventKind::Replied { .. })),
        "a call has no written reply"
    );
    let mut keys: Vec<&str> = events.iter().map(|e| e.dedupe_key.as_str()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), events.len(), "every event has its own key");

    let promises: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::PromiseDigits { digits } => Some((e, digits.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        promises.len(),
        keyed.iter().filter(|key| **key == "3").count(),
        "each 3 is followed by a date"
    );
    let ahead: Vec<String> = (2..=10)
        .map(|days| (now + Duration::days(days)).format("%d%m").to_string())
        .collect();
    for (promise, digits) in &promises {
        assert!(ahead.contains(digits), "{digits} is 2 to 10 days after now");
        let chose = events
            .iter()
            .find(|e| {
                e.provider_message_id == promise.provider_message_id
                    && e.kind == EventKind::Digits { digits: "3".into() }
            })
            .expect("the menu's 3 of the same call");
        assert!(chose.at < promise.at, "the date is keyed after the 3");
    }
    assert!(
        promises.iter().any(|(_, digits)| digits.ends_with("01")),
        "dates cross into January as the calendar does: {promises:?}"
    );
}
