//! `recaudo inbound`: one debtor's message fed through the same path as a provider's webhook
//! (matched, stored, read, acted on), for operators replaying a provider's export and for tests.
//! Prints what was understood and done as one JSON line.

use anyhow::Context;
use chrono::{DateTime, FixedOffset, Utc};
use clap::{Args, ValueEnum};
use recaudo_domain::portfolio::Channel;
use recaudo_engine::inbound::{Conversations, Inbound, InboundReport, Said, receive};
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::strategy::tenant_store;

/// The channels a debtor writes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InboundChannel {
    Sms,
    Whatsapp,
    Email,
}

impl From<InboundChannel> for Channel {
    fn from(channel: InboundChannel) -> Channel {
        match channel {
            InboundChannel::Sms => Channel::Sms,
            InboundChannel::Whatsapp => Channel::Whatsapp,
            InboundChannel::Email => Channel::Email,
        }
    }
}

#[derive(Args, Debug)]
pub struct InboundArgs {
    /// Tenant id (`ten_…`) or exact name; may be left out when there is one tenant.
    #[arg(long)]
    pub tenant: Option<String>,
    /// The channel the message came on.
    #[arg(long, value_enum)]
    pub channel: InboundChannel,
    /// The sender: a phone number (E.164, or national in the tenant's country) or an email
    /// address (`Ana <ana@example.com>` is read too).
    #[arg(long, value_name = "ADDRESS")]
    pub from: String,
    /// What the debtor wrote (an email's quoted history is left out before reading).
    #[arg(long)]
    pub text: String,
    /// When it was written (RFC 3339, e.g. 2026-12-07T14:03:00-05:00); default: now. The same
    /// channel, sender, text and time again is the same message: stored once.
    #[arg(long, value_name = "RFC3339", value_parser = parse_at)]
    pub at: Option<DateTime<FixedOffset>>,
    /// Email: the address the reply was sent to. Its token names the contact answered when
    /// `[secrets] key` is the one the message was sent with; without the key the token is not
    /// read and the reply is matched by its sender.
    #[arg(long, value_name = "ADDRESS")]
    pub to: Option<String>,
}

fn parse_at(text: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(text.trim())
        .map_err(|e| format!("expected a time as RFC 3339 (2026-12-07T14:03:00-05:00): {e}"))
}

/// A provider's retry carries the same id; a replayed export line the same channel, sender,
/// text and time: the same key, so it is stored once.
fn dedupe_key(channel: Channel, from: &str, text: &str, at: DateTime<Utc>) -> String {
    let mut hash = Sha256::new();
    for part in [channel.as_str(), from, text, &at.to_rfc3339()] {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part.as_bytes());
    }
    format!("cli:{}", hex::encode(hash.finalize()))
}

/// The signer of reply addresses, as `recaudo serve` builds it from `[secrets] key`; none
/// without a key (reply tokens are then not read).
fn conversations(config: &Config) -> Conversations {
    let Some(key) = config.secrets.key.as_ref() else {
        return Conversations::new(None);
    };
    let base = config
        .dispatch
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", config.server.addr));
    Conversations::new(recaudo_channels::links::LinkSigner::new(
        key.expose_secret().as_bytes(),
        &base,
    ))
}

/// The message as the engine takes it, or an error naming the flag at fault.
fn inbound(args: &InboundArgs, now: DateTime<Utc>) -> anyhow::Result<Inbound> {
    let channel = Channel::from(args.channel);
    let from = args.from.trim();
    if from.is_empty() {
        anyhow::bail!("--from is empty: give the sender's phone number or email address");
    }
    if args.text.trim().is_empty() {
        anyhow::bail!("--text is empty: give what the debtor wrote");
    }
    let reply_token = match (&args.to, channel) {
        (Some(to), Channel::Email) => recaudo_channels::inbound_email::reply_token_of(to),
        (Some(_), _) => anyhow::bail!("--to is only read for --channel email"),
        (None, _) => None,
    };
    let at = args.at.map_or(now, |at| at.to_utc());
    Ok(Inbound {
        channel: Some(channel),
        from: from.to_string(),
        said: Said::Text(args.text.clone()),
        contact_id: None,
        reply_token,
        in_reply_to: None,
        provider: Some("cli".into()),
        dedupe_key: dedupe_key(channel, from, &args.text, at),
        at,
    })
}

pub async fn run(args: InboundArgs, config: &Config, now: DateTime<Utc>) -> anyhow::Result<()> {
    let message = inbound(&args, now)?;
    let ts = tenant_store(config, args.tenant.as_deref()).await?;
    let report: InboundReport = receive(&ts, &conversations(config), message, now)
        .await
        .context("taking the message")?;
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn args(text: &str) -> InboundArgs {
        InboundArgs {
            tenant: None,
            channel: InboundChannel::Sms,
            from: "+5511987654321".into(),
            text: text.into(),
            at: None,
            to: None,
        }
    }

    #[test]
    fn empty_input_is_refused_naming_the_flag() {
        let now = Utc::now();
        let error = inbound(&args("  \n"), now).unwrap_err().to_string();
        assert!(error.starts_with("--text is empty"), "{error}");
        let error = inbound(
            &InboundArgs {
                from: " ".into(),
                ..args("STOP")
            },
            now,
        )
        .unwrap_err()
        .to_string();
        assert!(error.starts_with("--from is empty"), "{error}");
        let error = inbound(
            &InboundArgs {
                to: Some("reply+abc@mail.example.com".into()),
                ..args("STOP")
            },
            now,
        )
        .unwrap_err()
        .to_string();
        assert!(error.starts_with("--to is only read"), "{error}");
    }

    #[test]
    fn the_same_message_has_the_same_key_and_any_change_another() {
        let at = parse_at("2026-12-07T14:03:00-05:00").unwrap().to_utc();
        let key = dedupe_key(Channel::Sms, "+57300", "STOP", at);
        assert_eq!(key, dedupe_key(Channel::Sms, "+57300", "STOP", at));
        for other in [
            dedupe_key(Channel::Whatsapp, "+57300", "STOP", at),
            dedupe_key(Channel::Sms, "+57301", "STOP", at),
            dedupe_key(Channel::Sms, "+57300", "STOP ", at),
            dedupe_key(
                Channel::Sms,
                "+57300",
                "STOP",
                at + chrono::Duration::seconds(1),
            ),
            // Lengths are hashed: moving text between fields is another message.
            dedupe_key(Channel::Sms, "+5730", "0STOP", at),
        ] {
            assert_ne!(key, other);
        }
        assert!(
            parse_at("2026-12-07 14:03")
                .unwrap_err()
                .contains("RFC 3339")
        );
    }

    proptest! {
        /// Whatever is typed, `--at` and the message are read or refused, never a panic.
        #[test]
        fn any_input_is_read_or_refused(text in any::<String>(), from in any::<String>(), at in any::<String>()) {
            let _ = parse_at(&at);
            let typed = InboundArgs { from, ..args(&text) };
            if let Ok(message) = inbound(&typed, Utc::now()) {
                prop_assert!(!message.from.trim().is_empty());
                prop_assert!(message.dedupe_key.starts_with("cli:"));
            }
        }
    }
}
