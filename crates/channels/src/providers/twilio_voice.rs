//! Twilio Programmable Voice: an IVR call through `POST /2010-04-01/Accounts/{Sid}/Calls.json`
//! with inline TwiML (the script in the debtor's language, then a one-digit `<Gather>`: 1 → the
//! payment link by SMS, 2 → an advisor calls back, 3 → a promise to pay on a date), its status
//! callback, and the digits the debtor pressed, answered with TwiML in the call's language.
//!
//! Choosing 3 opens a second, four-digit `<Gather>` whose URL carries `step=date`: the day and
//! month of the promise as `DDMM` (2512 is the 25th of December), reported as
//! [`EventKind::PromiseDigits`]. Each `<Gather>` is offered at most twice (`attempt=2`).

use serde::{Deserialize, Serialize};

use recaudo_domain::Secret;
use recaudo_domain::portfolio::Language;

use super::mask_secret;
use super::twilio::{self, Form, xml_escape};
use crate::templates::locale::month_name;
use crate::{
    Capabilities, ChannelProvider, ConfigError, Content, EventKind, OutboundMessage, ProviderAck,
    ProviderEnv, ProviderEvent, SendError, VoiceContent, WebhookError, WebhookReply,
    WebhookRequest,
};

/// Twilio's codes for a number that cannot be called: invalid `To` (21211), unreachable
/// (21214), not a valid number (21217), invalid number or format when dialling (13223, 13224).
const BAD_ADDRESS_CODES: &[u64] = &[13223, 13224, 21211, 21214, 21217];

/// The gather URL's query parameter that carries the call's `<Say>` language.
const LANG_PARAM: &str = "lang";
/// The gather URL's query parameter that marks the menu's second (and last) offer.
const ATTEMPT_PARAM: &str = "attempt";
/// The gather URL's query parameter that names the step a gather answers (`date`: the
/// promise's day and month); the menu has none.
const STEP_PARAM: &str = "step";
/// [`STEP_PARAM`]'s value for the promise's date.
const DATE_STEP: &str = "date";
/// How long the debtor has to press a key, in seconds.
const GATHER_TIMEOUT_S: u32 = 8;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The account (`AC…`).
    pub account_sid: String,
    #[serde(serialize_with = "mask_secret")]
    pub auth_token: Secret<String>,
    /// The calling number (E.164).
    pub from: String,
    #[serde(default = "twilio::default_base_url")]
    pub base_url: String,
    /// Asks Twilio to tell a machine from a person (`MachineDetection=Enable`, billed extra), so
    /// a call a voicemail took counts as not answered.
    #[serde(default)]
    pub machine_detection: bool,
}

impl Config {
    pub fn validate(&self) -> Result<(), ConfigError> {
        twilio::validate_account(&self.account_sid, &self.auth_token, &self.base_url)?;
        if self.from.is_empty() {
            return Err(ConfigError::missing("from"));
        }
        if !twilio::is_e164(&self.from) {
            return Err(ConfigError::new(
                "from",
                "must be an E.164 number such as +5511987654321",
            ));
        }
        Ok(())
    }
}

pub struct Provider {
    config: Config,
    client: twilio::Client,
}

impl Provider {
    pub fn new(config: Config, env: &ProviderEnv) -> Result<Provider, ConfigError> {
        config.validate()?;
        let client = twilio::Client {
            http: env.http.clone(),
            base_url: config.base_url.clone(),
            account_sid: config.account_sid.clone(),
            auth_token: config.auth_token.clone(),
        };
        Ok(Provider { config, client })
    }
}

/// The `<Say language>` tag to use: the given one when it looks like a language tag, else
/// English.
fn say_tag(tag: &str) -> &str {
    let ok = (2..=12).contains(&tag.len())
        && tag.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-')
        && tag.bytes().next().is_some_and(|b| b.is_ascii_alphabetic());
    if ok { tag } else { "en-US" }
}

/// The product language of a `<Say>` tag (`pt-BR` → Portuguese); English when unknown.
fn language_of(tag: &str) -> Language {
    tag.split(['-', '_'])
        .next()
        .and_then(|primary| primary.parse().ok())
        .unwrap_or(Language::En)
}

/// What the call says once the debtor is done.
fn goodbye(language: Language) -> &'static str {
    match language {
        Language::Es => "Gracias por su atención. Que tenga un buen día.",
        Language::Pt => "Obrigado pela atenção. Tenha um bom dia.",
        Language::En => "Thank you for your time. Have a good day.",
    }
}

/// The answer to a key the menu offers, or `None` for any other.
fn answer_to(digits: &str, language: Language) -> Option<&'static str> {
    Some(match (digits, language) {
        ("1", Language::Es) => {
            "Gracias. En unos momentos le enviaremos el enlace de pago por mensaje de texto."
        }
        ("1", Language::Pt) => {
            "Obrigado. Em instantes enviaremos o link de pagamento por mensagem de texto."
        }
        ("1", Language::En) => {
            "Thank you. We will send you the payment link by text message shortly."
        }
        ("2", Language::Es) => "Gracias. Un asesor le devolverá la llamada lo antes posible.",
        ("2", Language::Pt) => "Obrigado. Um atendente retornará a sua ligação o quanto antes.",
        ("2", Language::En) => "Thank you. An advisor will call you back as soon as possible.",
        _ => return None,
    })
}

/// What the call says to a key the menu does not offer.
fn not_an_option(language: Language) -> &'static str {
    match language {
        Language::Es => "Disculpe, esa opción no está disponible.",
        Language::Pt => "Desculpe, essa opção não está disponível.",
        Language::En => "Sorry, that option is not available.",
    }
}

/// The menu offered a second time (the script's own menu is not at hand in the callback).
fn menu_again(language: Language) -> &'static str {
    match language {
        Language::Es => {
            "Marque 1 para recibir el enlace de pago por mensaje de texto, 2 para que un asesor le devuelva la llamada, o 3 para indicarnos la fecha en que pagará."
        }
        Language::Pt => {
            "Digite 1 para receber o link de pagamento por mensagem de texto, 2 para que um atendente retorne a sua ligação, ou 3 para nos informar a data em que vai pagar."
        }
        Language::En => {
            "Press 1 to receive the payment link by text message, 2 to have an advisor call you back, or 3 to tell us the date you will pay."
        }
    }
}

/// The menu's promise (3): how to key the date, read inside the four-digit `<Gather>`.
fn ask_for_date(language: Language) -> &'static str {
    match language {
        Language::Es => {
            "Marque el día y el mes en que realizará el pago, con cuatro dígitos. Por ejemplo, 2512 para el 25 de diciembre."
        }
        Language::Pt => {
            "Digite o dia e o mês em que fará o pagamento, com quatro dígitos. Por exemplo, 2512 para 25 de dezembro."
        }
        Language::En => {
            "Please enter the day and month you will pay, as four digits. For example, 2512 for the 25th of December."
        }
    }
}

/// What the call says to keys that are not a date.
fn not_a_date(language: Language) -> &'static str {
    match language {
        Language::Es => "Disculpe, no reconocimos esa fecha.",
        Language::Pt => "Desculpe, não reconhecemos essa data.",
        Language::En => "Sorry, we did not recognise that date.",
    }
}

/// The day and month of `DDMM` digits, when they are four ASCII digits naming a day of a
/// month (the 29th of February included: the year is the engine's to pick).
fn promise_day(digits: &str) -> Option<(u32, u32)> {
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let day: u32 = digits.get(..2)?.parse().ok()?;
    let month: u32 = digits.get(2..)?.parse().ok()?;
    let days_in_month = match month {
        2 => 29,
        4 | 6 | 9 | 11 => 30,
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        _ => return None,
    };
    (1..=days_in_month).contains(&day).then_some((day, month))
}

/// The thanks for a promise, the date read back so a wrong key is heard: the confirmation (or
/// a question, if the engine cannot take that date) follows by message.
fn promise_thanks(language: Language, day: u32, month: u32) -> String {
    let month_name = month_name(month, language);
    match language {
        Language::Es => format!(
            "Gracias. Tomamos nota de su pago para el {day} de {month_name}. En breve le enviaremos la confirmación por mensaje."
        ),
        Language::Pt => format!(
            "Obrigado. Anotamos o seu pagamento para {day} de {month_name}. Em breve enviaremos a confirmação por mensagem."
        ),
        Language::En => {
            let suffix = match (day % 10, day % 100) {
                (_, 11..=13) => "th",
                (1, _) => "st",
                (2, _) => "nd",
                (3, _) => "rd",
                _ => "th",
            };
            format!(
                "Thank you. We have noted your payment for the {day}{suffix} of {month_name}. We will send you a confirmation by message shortly."
            )
        }
    }
}

/// `url` with `name=value` in its query, replacing any `name` there already (the dispatcher
/// may have put a bare language where the `<Say>` tag belongs).
fn with_param(url: &str, name: &str, value: &str) -> String {
    let pair = serde_urlencoded::to_string([(name, value)]).unwrap_or_default();
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let mut kept: Vec<&str> = query
        .split('&')
        .filter(|kv| !kv.is_empty() && kv.split('=').next() != Some(name))
        .collect();
    kept.push(&pair);
    format!("{path}?{}", kept.join("&"))
}

/// `url` without `name` in its query.
fn without_param(url: &str, name: &str) -> String {
    let Some((path, query)) = url.split_once('?') else {
        return url.to_string();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|kv| !kv.is_empty() && kv.split('=').next() != Some(name))
        .collect();
    if kept.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", kept.join("&"))
    }
}

fn say(tag: &str, text: &str) -> String {
    format!(
        "<Say language=\"{}\">{}</Say>",
        xml_escape(tag),
        xml_escape(text)
    )
}

/// A `<Gather>` of one key (the menu).
fn gather(action: &str, inner: &str) -> String {
    gather_digits(1, action, inner)
}

fn gather_digits(digits: u32, action: &str, inner: &str) -> String {
    format!(
        "<Gather numDigits=\"{digits}\" action=\"{}\" method=\"POST\" timeout=\"{GATHER_TIMEOUT_S}\">{inner}</Gather>",
        xml_escape(action)
    )
}

/// The call's TwiML: the script and the menu inside a one-digit `<Gather>` that posts to the
/// gather callback (its URL carrying the `<Say>` language, so the answer speaks it too), then a
/// goodbye when no key is pressed. Without a gather callback the call only reads the script.
pub fn twiml(voice: &VoiceContent, gather_callback: Option<&str>) -> String {
    let tag = say_tag(&voice.say_language);
    let language = language_of(tag);
    let body = match gather_callback {
        Some(callback) => {
            let action = with_param(callback, LANG_PARAM, tag);
            let inner = format!("{}{}", say(tag, &voice.script), say(tag, &voice.menu));
            gather(&action, &inner)
        }
        None => say(tag, &voice.script),
    };
    format!("<Response>{body}{}</Response>", say(tag, goodbye(language)))
}

impl Provider {
    /// The digits the debtor pressed: the event, and what the call says next. The menu's keys
    /// are [`EventKind::Digits`]; the promise's date (a gather with `step=date`) is
    /// [`EventKind::PromiseDigits`] when it names a day, and nothing otherwise (the keys are
    /// asked for once more instead: a menu key read as a date, or the reverse, would act on
    /// what the debtor did not choose).
    fn gather_answer(
        request: &WebhookRequest,
        form: &Form,
        digits: &str,
    ) -> Result<(Vec<ProviderEvent>, WebhookReply), WebhookError> {
        let sid = form.require("CallSid")?;
        let tag = say_tag(
            request
                .query
                .get(LANG_PARAM)
                .map(String::as_str)
                .unwrap_or_default(),
        );
        let language = language_of(tag);
        let second_offer = request.query.contains_key(ATTEMPT_PARAM);
        let attempt = if second_offer { 2 } else { 1 };
        let date_step = request.query.get(STEP_PARAM).map(String::as_str) == Some(DATE_STEP);
        let event = |step: &str, kind: EventKind| ProviderEvent {
            provider_message_id: Some(sid.to_string()),
            contact_id: None,
            dedupe_key: format!("twilio:{sid}:{step}:{attempt}:{digits}"),
            kind,
            at: form.at(),
        };
        let (events, response) = if date_step {
            match promise_day(digits) {
                Some((day, month)) => (
                    vec![event(
                        "date",
                        EventKind::PromiseDigits {
                            digits: digits.to_string(),
                        },
                    )],
                    format!(
                        "{}{}",
                        say(tag, &promise_thanks(language, day, month)),
                        say(tag, goodbye(language))
                    ),
                ),
                None if !second_offer => {
                    let action = with_param(&request.url, ATTEMPT_PARAM, "2");
                    (
                        vec![],
                        format!(
                            "{}{}{}",
                            say(tag, not_a_date(language)),
                            gather_digits(4, &action, &say(tag, ask_for_date(language))),
                            say(tag, goodbye(language))
                        ),
                    )
                }
                None => (
                    vec![],
                    format!(
                        "{}{}",
                        say(tag, not_a_date(language)),
                        say(tag, goodbye(language))
                    ),
                ),
            }
        } else {
            let response = match answer_to(digits, language) {
                Some(answer) => format!("{}{}", say(tag, answer), say(tag, goodbye(language))),
                None if digits == "3" => {
                    // The date's gather starts its own count of offers.
                    let action = with_param(
                        &with_param(&without_param(&request.url, ATTEMPT_PARAM), LANG_PARAM, tag),
                        STEP_PARAM,
                        DATE_STEP,
                    );
                    format!(
                        "{}{}",
                        gather_digits(4, &action, &say(tag, ask_for_date(language))),
                        say(tag, goodbye(language))
                    )
                }
                None if !second_offer => {
                    let action = with_param(&request.url, ATTEMPT_PARAM, "2");
                    format!(
                        "{}{}{}",
                        say(tag, not_an_option(language)),
                        gather(&action, &say(tag, menu_again(language))),
                        say(tag, goodbye(language))
                    )
                }
                None => format!(
                    "{}{}",
                    say(tag, not_an_option(language)),
                    say(tag, goodbye(language))
                ),
            };
            let kind = EventKind::Digits {
                digits: digits.to_string(),
            };
            (vec![event("digits", kind)], response)
        };
        Ok((
            events,
            twilio::twiml_reply(format!("<Response>{response}</Response>")),
        ))
    }

    /// A call status callback: `CallSid`, `CallStatus`, `AnsweredBy`, `ErrorCode`.
    fn status_event(form: &Form) -> Result<Option<ProviderEvent>, WebhookError> {
        let sid = form.require("CallSid")?;
        let status = form.require("CallStatus")?;
        let by_machine = form
            .get("AnsweredBy")
            .is_some_and(|by| by.starts_with("machine_") || by == "fax");
        let kind = match status {
            "queued" | "initiated" | "ringing" | "in-progress" => return Ok(None),
            "completed" if by_machine => EventKind::NotAnswered,
            "completed" => EventKind::Delivered,
            "busy" | "no-answer" | "canceled" => EventKind::NotAnswered,
            "failed" => {
                let code = form.get("ErrorCode").map(str::to_string);
                EventKind::Failed {
                    address_unusable: code
                        .as_deref()
                        .and_then(|code| code.parse::<u64>().ok())
                        .is_some_and(|code| BAD_ADDRESS_CODES.contains(&code)),
                    message: form
                        .get("ErrorMessage")
                        .map(str::to_string)
                        .or_else(|| Some("Twilio reports the call failed".into())),
                    code,
                }
            }
            // A status Twilio adds later is news to us, not a broken request: Twilio would
            // retry a refusal for nothing.
            other => {
                tracing::warn!(status = other, sid, "a Twilio call status we do not map");
                return Ok(None);
            }
        };
        Ok(Some(ProviderEvent {
            provider_message_id: Some(sid.to_string()),
            contact_id: None,
            dedupe_key: format!("twilio:{sid}:{status}"),
            kind,
            at: form.at(),
        }))
    }
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
        let Content::Voice(voice) = &message.content else {
            return Err(SendError::permanent(
                "wrong_content",
                format!(
                    "Twilio Voice sends calls, not {} content",
                    message.content.channel()
                ),
            ));
        };
        if !twilio::is_e164(&message.to) {
            return Err(SendError::bad_address(
                "not_e164",
                format!("{:?} is not an E.164 number", message.to),
            ));
        }
        let twiml = twiml(voice, message.gather_callback.as_deref());
        let mut form: Vec<(&str, &str)> = vec![
            ("To", &message.to),
            ("From", &self.config.from),
            ("Twiml", &twiml),
        ];
        if let Some(callback) = &message.status_callback {
            form.push(("StatusCallback", callback));
        }
        if self.config.machine_detection {
            form.push(("MachineDetection", "Enable"));
        }
        let created = self
            .client
            .create("Calls", &form, &message.idempotency_key, BAD_ADDRESS_CODES)
            .await?;
        Ok(ProviderAck {
            cost: created.cost(),
            provider_message_id: created.sid,
            artifact: None,
        })
    }

    fn verify(&self, request: &WebhookRequest) -> Result<(), WebhookError> {
        twilio::verify(&self.config.auth_token, request)
    }

    fn parse_webhook(
        &self,
        request: &WebhookRequest,
    ) -> Result<(Vec<ProviderEvent>, WebhookReply), WebhookError> {
        let form = Form::of(request)?;
        match form.get("Digits") {
            Some(digits) => Self::gather_answer(request, &form, digits),
            None => Ok((
                Self::status_event(&form)?.into_iter().collect(),
                twilio::empty_twiml(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_language_tags_fall_back_to_english() {
        assert_eq!(say_tag("pt-BR"), "pt-BR");
        assert_eq!(say_tag("es-MX"), "es-MX");
        assert_eq!(say_tag(""), "en-US");
        assert_eq!(say_tag("\"><Hangup/>"), "en-US");
        assert_eq!(language_of("pt-BR"), Language::Pt);
        assert_eq!(language_of("es"), Language::Es);
        assert_eq!(language_of("fr-FR"), Language::En);
    }

    #[test]
    fn a_promise_day_is_four_digits_naming_a_day_of_a_month() {
        assert_eq!(promise_day("2512"), Some((25, 12)));
        assert_eq!(promise_day("0103"), Some((1, 3)));
        assert_eq!(promise_day("2902"), Some((29, 2)));
        assert_eq!(promise_day("3101"), Some((31, 1)));
        for bad in [
            "3102",
            "3104",
            "0012",
            "0100",
            "1513",
            "251",
            "25122",
            "25a2",
            "２５１２",
            "+512",
            "",
        ] {
            assert_eq!(promise_day(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_thanks_read_the_date_back() {
        assert!(promise_thanks(Language::En, 1, 1).contains("the 1st of January"));
        assert!(promise_thanks(Language::En, 12, 5).contains("the 12th of May"));
        assert!(promise_thanks(Language::En, 22, 8).contains("the 22nd of August"));
        assert!(promise_thanks(Language::Es, 3, 9).contains("el 3 de septiembre"));
        assert!(promise_thanks(Language::Pt, 31, 3).contains("31 de março"));
    }

    #[test]
    fn params_are_removed_from_the_query() {
        assert_eq!(
            without_param("https://x.example/g?c=1&attempt=2&lang=es", "attempt"),
            "https://x.example/g?c=1&lang=es"
        );
        assert_eq!(
            without_param("https://x.example/g?attempt=2", "attempt"),
            "https://x.example/g"
        );
        assert_eq!(
            without_param("https://x.example/g", "attempt"),
            "https://x.example/g"
        );
    }

    #[test]
    fn params_are_added_to_the_query() {
        assert_eq!(
            with_param("https://x.example/g", "lang", "es-MX"),
            "https://x.example/g?lang=es-MX"
        );
        assert_eq!(
            with_param("https://x.example/g?c=1", "lang", "pt-BR"),
            "https://x.example/g?c=1&lang=pt-BR"
        );
        assert_eq!(
            with_param(
                "https://x.example/g?lang=pt&c=1&language=x",
                "lang",
                "pt-BR"
            ),
            "https://x.example/g?c=1&language=x&lang=pt-BR"
        );
    }
}
