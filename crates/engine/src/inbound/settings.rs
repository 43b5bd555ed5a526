//! What a tenant's automatic answers do: per intent, whether it is acted on (off: a person reads
//! the message), which template answers it, and the knobs of each action. Stored as JSON per
//! tenant (`PUT /api/v1/reply-settings`); a tenant that saved none has [`ReplySettings::default`].

use serde::{Deserialize, Serialize};

use recaudo_domain::portfolio::Channel;
use recaudo_store::{Result as StoreResult, TenantStore};

/// The reply templates (crates/domain/data/templates/catalogue.yaml).
pub mod templates {
    pub const OPT_OUT: &str = "reply_opt_out";
    pub const WRONG_PERSON: &str = "reply_wrong_person";
    pub const DISPUTE: &str = "reply_dispute_received";
    pub const ALREADY_PAID: &str = "reply_already_paid";
    pub const PROMISE_CONFIRMED: &str = "reply_promise_confirmed";
    pub const PROMISE_ASK_DATE: &str = "reply_promise_ask_date";
    pub const HARDSHIP: &str = "reply_hardship";
    pub const PAYMENT_LINK: &str = "payment_link";
    pub const THANKS: &str = "reply_thanks";
}

/// One action: acted on or left to a person, and the answer it sends (none: no answer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Action {
    /// Off: the message goes to a person instead.
    pub enabled: bool,
    /// The template of the answer, or none for no answer.
    pub reply: Option<String>,
}

impl Action {
    fn with(reply: Option<&str>) -> Action {
        Action {
            enabled: true,
            reply: reply.map(str::to_string),
        }
    }
}

/// What the automatic answers do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ReplySettings {
    /// Below this confidence (0 to 1) a person reads the message, whatever it seems to say.
    pub min_confidence: f32,
    /// The latest promise date accepted, in days after the debtor's today; a later one (or a
    /// past one) is asked again. The one limit of promises: the debtor portal's promise form
    /// takes the same (docs/portal.md).
    pub max_promise_days: u32,
    /// Days collection waits after "I already paid", while the receipt is checked.
    pub hold_days: u32,
    /// The channels an opt-out is confirmed on (the law asks it for text messages in the US;
    /// a confirmation is courteous where the debtor wrote).
    pub opt_out_confirm_on: Vec<Channel>,
    /// The agent queue of the tasks messages make.
    pub queue: String,
    pub opt_out: Action,
    pub wrong_person: Action,
    pub dispute: Action,
    pub already_paid: Action,
    pub promise_to_pay: Action,
    /// The answer to a promise without a usable date (none, past, too far).
    pub promise_ask_date: Action,
    pub hardship: Action,
    pub payment_link: Action,
    /// Thanks when a promise made in a conversation is kept.
    pub thanks: Action,
}

impl Default for ReplySettings {
    fn default() -> ReplySettings {
        use templates::*;
        ReplySettings {
            min_confidence: 0.55,
            max_promise_days: 30,
            hold_days: 5,
            opt_out_confirm_on: vec![Channel::Sms, Channel::Whatsapp],
            queue: "inbox".into(),
            opt_out: Action::with(Some(OPT_OUT)),
            wrong_person: Action::with(Some(WRONG_PERSON)),
            dispute: Action::with(Some(DISPUTE)),
            already_paid: Action::with(Some(ALREADY_PAID)),
            promise_to_pay: Action::with(Some(PROMISE_CONFIRMED)),
            promise_ask_date: Action::with(Some(PROMISE_ASK_DATE)),
            hardship: Action::with(Some(HARDSHIP)),
            payment_link: Action::with(Some(PAYMENT_LINK)),
            thanks: Action::with(Some(THANKS)),
        }
    }
}

/// A setting that does not hold, named.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct SettingsError {
    pub field: String,
    pub message: String,
}

impl ReplySettings {
    /// Checks every value; `templates` says whether a template exists on a channel.
    pub fn validate(
        &self,
        template_exists: impl Fn(&str, Channel) -> bool,
    ) -> Result<(), SettingsError> {
        let bad = |field: &str, message: String| SettingsError {
            field: field.into(),
            message,
        };
        if !(0.0..=1.0).contains(&self.min_confidence) || self.min_confidence.is_nan() {
            return Err(bad("min_confidence", "must be between 0 and 1".into()));
        }
        if !(1..=365).contains(&self.max_promise_days) {
            return Err(bad("max_promise_days", "must be 1 to 365 days".into()));
        }
        if !(1..=60).contains(&self.hold_days) {
            return Err(bad("hold_days", "must be 1 to 60 days".into()));
        }
        let queue = self.queue.trim();
        if queue.is_empty() || queue.len() > 100 {
            return Err(bad("queue", "must be 1 to 100 characters".into()));
        }
        for (field, action) in self.actions() {
            if let Some(template) = &action.reply {
                let on_some = [Channel::Sms, Channel::Whatsapp, Channel::Email]
                    .into_iter()
                    .any(|c| template_exists(template, c));
                if !on_some {
                    return Err(bad(
                        &format!("{field}.reply"),
                        format!("no template `{template}` for SMS, WhatsApp or email"),
                    ));
                }
            }
        }
        Ok(())
    }

    fn actions(&self) -> [(&'static str, &Action); 9] {
        [
            ("opt_out", &self.opt_out),
            ("wrong_person", &self.wrong_person),
            ("dispute", &self.dispute),
            ("already_paid", &self.already_paid),
            ("promise_to_pay", &self.promise_to_pay),
            ("promise_ask_date", &self.promise_ask_date),
            ("hardship", &self.hardship),
            ("payment_link", &self.payment_link),
            ("thanks", &self.thanks),
        ]
    }

    /// The tenant's settings: those it saved, or the defaults. Saved settings that no longer
    /// read (an older shape) fall back to the defaults, logged: messages are still answered.
    pub async fn load(ts: &TenantStore) -> StoreResult<ReplySettings> {
        Ok(match ts.reply_settings().await? {
            None => ReplySettings::default(),
            Some(body) => serde_json::from_value(body).unwrap_or_else(|error| {
                tracing::error!(tenant = %ts.tenant().id, %error, "stored reply settings do not read: defaults used");
                ReplySettings::default()
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_bad_values_are_named() {
        let all = |_: &str, _: Channel| true;
        assert_eq!(ReplySettings::default().validate(all), Ok(()));
        let cases: Vec<(ReplySettings, &str)> = vec![
            (
                ReplySettings {
                    min_confidence: 1.5,
                    ..Default::default()
                },
                "min_confidence",
            ),
            (
                ReplySettings {
                    max_promise_days: 0,
                    ..Default::default()
                },
                "max_promise_days",
            ),
            (
                ReplySettings {
                    hold_days: 90,
                    ..Default::default()
                },
                "hold_days",
            ),
            (
                ReplySettings {
                    queue: " ".into(),
                    ..Default::default()
                },
                "queue",
            ),
        ];
        for (settings, field) in cases {
            assert_eq!(settings.validate(all).expect_err(field).field, field);
        }
        let none = |_: &str, _: Channel| false;
        assert_eq!(
            ReplySettings::default()
                .validate(none)
                .expect_err("templates")
                .field,
            "opt_out.reply"
        );
    }

    #[test]
    fn a_partial_document_keeps_the_defaults_for_the_rest() {
        let settings: ReplySettings = serde_json::from_value(
            serde_json::json!({ "hold_days": 3, "dispute": { "enabled": false, "reply": null } }),
        )
        .expect("reads");
        assert_eq!(settings.hold_days, 3);
        assert!(!settings.dispute.enabled);
        assert_eq!(settings.max_promise_days, 30);
        let unknown = serde_json::from_value::<ReplySettings>(serde_json::json!({ "hold": 3 }));
        assert!(unknown.is_err(), "an unknown key is refused");
    }
}
