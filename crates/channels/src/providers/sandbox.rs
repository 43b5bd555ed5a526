//! The sandbox: records every message and, driven by the clock, makes up what a real audience
//! would do with it (delivered, bounced, opened, clicked, replied, paid) with probabilities per
//! channel and debtor segment. Every draw is a hash of the seed, the message's idempotency key
//! and the event, so a run is reproducible whatever order messages go out in. The demo's and
//! the tests' default. What it has yet to report lives in memory: a restart forgets it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Datelike, Duration, Utc};
use serde::{Deserialize, Serialize};

use recaudo_domain::portfolio::{Channel, Language};

use crate::{
    Capabilities, ChannelProvider, ConfigError, EventKind, OutboundMessage, ProviderAck,
    ProviderEnv, ProviderEvent, SendError, WebhookError, WebhookReply, WebhookRequest,
};

/// How likely each outcome is on a channel, each given the one before (opened given delivered,
/// clicked given opened, …). On a voice call `replied` is the debtor keying the menu.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rates {
    pub delivered: f64,
    /// Given not delivered: a hard bounce (the address is bad) rather than a soft failure.
    pub hard_bounce: f64,
    pub opened: f64,
    pub clicked: f64,
    pub replied: f64,
    /// The debtor pays after this message (given delivered).
    pub paid: f64,
}

impl Rates {
    fn default_for(channel: Channel) -> Rates {
        match channel {
            Channel::Email => Rates {
                delivered: 0.96,
                hard_bounce: 0.6,
                opened: 0.45,
                clicked: 0.35,
                replied: 0.03,
                paid: 0.12,
            },
            Channel::Sms => Rates {
                delivered: 0.95,
                hard_bounce: 0.5,
                opened: 0.0,
                clicked: 0.12,
                replied: 0.08,
                paid: 0.14,
            },
            Channel::Whatsapp => Rates {
                delivered: 0.97,
                hard_bounce: 0.5,
                opened: 0.8,
                clicked: 0.25,
                replied: 0.18,
                paid: 0.2,
            },
            // On a call, `replied` is keying the menu (1, 2 or 3 and a promise's date).
            Channel::Voice => Rates {
                delivered: 0.7,
                hard_bounce: 0.3,
                opened: 0.0,
                clicked: 0.0,
                replied: 0.35,
                paid: 0.1,
            },
            Channel::Letter => Rates {
                delivered: 0.98,
                hard_bounce: 0.9,
                opened: 0.0,
                clicked: 0.0,
                replied: 0.0,
                paid: 0.08,
            },
        }
    }

    fn check(&self, field: &str) -> Result<(), ConfigError> {
        for (name, value) in [
            ("delivered", self.delivered),
            ("hard_bounce", self.hard_bounce),
            ("opened", self.opened),
            ("clicked", self.clicked),
            ("replied", self.replied),
            ("paid", self.paid),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(ConfigError::new(
                    format!("{field}.{name}"),
                    format!("must be a probability between 0 and 1, not {value}"),
                ));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The seed of every draw: the same seed and messages give the same events.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Rates per channel, replacing the defaults for the channels named.
    #[serde(default)]
    pub rates: BTreeMap<Channel, Rates>,
    /// A factor on `paid` and `replied` per debtor segment (`early: 1.5`, `hardship: 0.5`).
    #[serde(default)]
    pub segment_factors: BTreeMap<String, f64>,
    /// Refuse sends to addresses that contain this text (a permanent, address-blaming
    /// error), to show failover in a demo.
    #[serde(default)]
    pub reject_addresses_containing: Option<String>,
}

fn default_seed() -> u64 {
    42
}

impl Default for Config {
    fn default() -> Config {
        Config {
            seed: default_seed(),
            rates: BTreeMap::new(),
            segment_factors: BTreeMap::new(),
            reject_addresses_containing: None,
        }
    }
}

impl Config {
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (channel, rates) in &self.rates {
            rates.check(&format!("rates.{channel}"))?;
        }
        for (segment, factor) in &self.segment_factors {
            if !(0.0..=10.0).contains(factor) {
                return Err(ConfigError::new(
                    format!("segment_factors.{segment}"),
                    "must be between 0 and 10",
                ));
            }
        }
        Ok(())
    }

    fn rates(&self, channel: Channel) -> Rates {
        self.rates
            .get(&channel)
            .copied()
            .unwrap_or_else(|| Rates::default_for(channel))
    }
}

/// A message the sandbox took.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SandboxMessage {
    pub provider_message_id: String,
    pub message: OutboundMessage,
}

#[derive(Default)]
struct State {
    sent: Vec<SandboxMessage>,
    /// Events still to report, by when they happen.
    pending: Vec<ProviderEvent>,
}

pub struct Provider {
    config: Config,
    state: Arc<Mutex<State>>,
}

impl Provider {
    pub fn new(config: Config, _env: &ProviderEnv) -> Result<Provider, ConfigError> {
        Ok(Provider {
            config,
            state: Arc::default(),
        })
    }

    /// Every message taken so far, in order.
    pub fn messages(&self) -> Vec<SandboxMessage> {
        self.lock().sent.clone()
    }

    /// How many messages were taken so far.
    pub fn sent_count(&self) -> usize {
        self.lock().sent.len()
    }

    /// The made-up events due at `now`, oldest first; each is reported once.
    pub fn due_events(&self, now: DateTime<Utc>) -> Vec<ProviderEvent> {
        let mut state = self.lock();
        let (mut due, later): (Vec<_>, Vec<_>) =
            state.pending.drain(..).partition(|event| event.at <= now);
        state.pending = later;
        due.sort_by_key(|event| event.at);
        due
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data behind: keep using it.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// What happens to `message` after it is sent at `now`.
    fn outcomes(&self, message: &OutboundMessage, id: &str) -> Vec<ProviderEvent> {
        let rates = self.config.rates(message.channel);
        let factor = message
            .segment
            .as_deref()
            .and_then(|segment| self.config.segment_factors.get(segment))
            .copied()
            .unwrap_or(1.0);
        let draw = |what: &str| unit(self.config.seed, &message.idempotency_key, what);
        let after = |what: &str, min_s: i64, max_s: i64| {
            let span = (max_s - min_s).max(1) as f64;
            message.now + Duration::seconds(min_s + (draw(what) * span) as i64)
        };
        let event = |kind: EventKind, at: DateTime<Utc>| ProviderEvent {
            provider_message_id: Some(id.to_string()),
            contact_id: Some(message.contact_id),
            dedupe_key: format!("{id}:{}", kind.name()),
            kind,
            at,
        };
        let mut events = vec![];
        let delivered_at = after("delivered-at", 5, 120);
        if draw("delivered") >= rates.delivered {
            let hard = draw("hard") < rates.hard_bounce;
            events.push(event(
                if message.channel == Channel::Voice {
                    EventKind::NotAnswered
                } else {
                    EventKind::Bounced {
                        hard,
                        code: Some(if hard { "550" } else { "452" }.into()),
                        message: Some(
                            if hard {
                                "the mailbox or number does not exist"
                            } else {
                                "the recipient could not take the message now"
                            }
                            .into(),
                        ),
                    }
                },
                delivered_at,
            ));
            return events;
        }
        events.push(event(EventKind::Delivered, delivered_at));
        let mut engaged_at = delivered_at;
        if draw("opened") < rates.opened {
            engaged_at = after("opened-at", 600, 6 * 3600);
            events.push(event(EventKind::Opened, engaged_at));
            if draw("clicked") < rates.clicked {
                engaged_at += Duration::seconds(30 + (draw("clicked-at") * 600.0) as i64);
                events.push(event(EventKind::Clicked { url: None }, engaged_at));
            }
        } else if rates.opened == 0.0 && draw("clicked") < rates.clicked {
            engaged_at = after("clicked-at", 300, 4 * 3600);
            events.push(event(EventKind::Clicked { url: None }, engaged_at));
        }
        if draw("replied") < rates.replied * factor && message.channel == Channel::Voice {
            // Keys come while the call is on: a minute or so after it is answered.
            let keyed_at = delivered_at + Duration::seconds(20 + (draw("keyed-at") * 60.0) as i64);
            let key = match draw("keyed") {
                d if d < 0.4 => "1",
                d if d < 0.6 => "2",
                _ => "3",
            };
            events.push(event(
                EventKind::Digits {
                    digits: key.to_string(),
                },
                keyed_at,
            ));
            if key == "3" {
                // A date two to ten days ahead, as the debtor would key it (DDMM). The UTC
                // date is close enough to the debtor's for a made-up promise.
                let days = 2 + (draw("promise-days") * 9.0) as i64;
                let date = (message.now + Duration::days(days)).date_naive();
                events.push(ProviderEvent {
                    provider_message_id: Some(id.to_string()),
                    contact_id: Some(message.contact_id),
                    // Digits and PromiseDigits share a timeline name, not a key.
                    dedupe_key: format!("{id}:promise_digits"),
                    kind: EventKind::PromiseDigits {
                        digits: format!("{:02}{:02}", date.day(), date.month()),
                    },
                    at: keyed_at + Duration::seconds(15 + (draw("promise-at") * 25.0) as i64),
                });
            }
        } else if draw("replied") < rates.replied * factor {
            let text = reply_text(message.language, draw("reply-text"));
            events.push(event(
                EventKind::Replied {
                    from: message.to.clone(),
                    text: text.to_string(),
                    reply_token: None,
                },
                after("replied-at", 900, 8 * 3600),
            ));
        }
        if draw("paid") < (rates.paid * factor).min(1.0) {
            events.push(event(
                EventKind::Paid,
                engaged_at.max(after("paid-at", 1800, 3 * 86_400)),
            ));
        }
        events
    }
}

/// What a debtor might answer, in their language: the demo's replies, which the intent
/// classifier then reads.
fn reply_text(language: Language, draw: f64) -> &'static str {
    let texts: &[&str] = match language {
        Language::Es => &[
            "Buenos días, pago el viernes sin falta",
            "Ya realicé el pago ayer, ¿pueden verificar?",
            "¿Puedo pagar en dos cuotas?",
            "No reconozco esa deuda",
            "BAJA",
        ],
        Language::Pt => &[
            "Bom dia, pago na sexta-feira",
            "Já paguei ontem, podem conferir?",
            "Posso parcelar em duas vezes?",
            "Não reconheço essa dívida",
            "SAIR",
        ],
        Language::En => &[
            "Hi, I will pay on Friday",
            "I already paid yesterday, can you check?",
            "Can I pay in two instalments?",
            "I don't recognise this debt",
            "STOP",
        ],
    };
    texts[((draw * texts.len() as f64) as usize).min(texts.len() - 1)]
}

/// A number in [0, 1) from the seed, the key and what is drawn (FNV-1a, then a SplitMix64
/// finaliser): stable across runs and builds.
fn unit(seed: u64, key: &str, what: &str) -> f64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for byte in key.bytes().chain([0]).chain(what.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    let mut z = hash.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

impl ChannelProvider for Provider {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            two_way: true,
            templates_required: false,
            max_length: None,
            delivery_reports: true,
        }
    }

    async fn send(&self, message: &OutboundMessage) -> Result<ProviderAck, SendError> {
        if let Some(needle) = &self.config.reject_addresses_containing
            && message.to.contains(needle.as_str())
        {
            return Err(SendError::bad_address(
                "sandbox_rejected",
                format!("the sandbox refuses addresses containing {needle:?}"),
            ));
        }
        // The same key is the same message: a re-send after a crash gets the first id.
        let id = format!(
            "sbx_{:016x}",
            (unit(0, &message.idempotency_key, "id") * 2f64.powi(53)) as u64
        );
        let events = self.outcomes(message, &id);
        let mut state = self.lock();
        state.sent.push(SandboxMessage {
            provider_message_id: id.clone(),
            message: message.clone(),
        });
        state.pending.extend(events);
        Ok(ProviderAck {
            provider_message_id: id,
            cost: None,
            artifact: None,
        })
    }

    fn verify(&self, _request: &WebhookRequest) -> Result<(), WebhookError> {
        Err(WebhookError::NotSupported)
    }

    fn parse_webhook(
        &self,
        _request: &WebhookRequest,
    ) -> Result<(Vec<ProviderEvent>, WebhookReply), WebhookError> {
        Err(WebhookError::NotSupported)
    }
}
