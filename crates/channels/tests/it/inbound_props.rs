//! Property tests over every inbound parser: arbitrary bytes, and payloads shaped like the
//! provider's (its field names, each value real or arbitrary JSON, random form fields), signed
//! so that `verify` passes and `parse_webhook` itself is exercised. Never a panic: events, or a
//! `WebhookError` that says the request is malformed; and what is read is bounded.

use std::sync::LazyLock;

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use recaudo_channels::{
    ChannelProvider, EventKind, MAX_REPLY_BYTES, Provider, ProviderEvent, WebhookError,
    WebhookReply, WebhookRequest,
};

use super::inbound::{
    GATHER_URL, SMS_URL, gateway, gateway_post, meta_post, standard_post, twilio_post, twilio_sms,
    twilio_voice, webhook, whatsapp,
};

static TWILIO_SMS: LazyLock<Provider> = LazyLock::new(twilio_sms);
static TWILIO_VOICE: LazyLock<Provider> = LazyLock::new(twilio_voice);
static WHATSAPP: LazyLock<Provider> = LazyLock::new(whatsapp);
static WEBHOOK: LazyLock<Provider> = LazyLock::new(webhook);
static GATEWAY: LazyLock<Provider> = LazyLock::new(gateway);

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,24}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,10}", inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// `real` most of the time, else any JSON value, else the field left out (`None`).
fn or_anything(real: Value) -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        3 => Just(Some(real)),
        2 => any_json().prop_map(Some),
        1 => Just(None),
    ]
}

fn object(fields: Vec<(&str, Option<Value>)>) -> Value {
    Value::Object(
        fields
            .into_iter()
            .filter_map(|(name, value)| Some((name.to_string(), value?)))
            .collect::<Map<String, Value>>(),
    )
}

/// What every parser's answer must hold, whatever it was given.
fn check(
    result: Result<(Vec<ProviderEvent>, WebhookReply), WebhookError>,
) -> Result<Vec<ProviderEvent>, TestCaseError> {
    match result {
        Ok((events, _)) => {
            for event in &events {
                prop_assert!(!event.dedupe_key.is_empty(), "{event:?}");
                if let EventKind::Replied { text, .. } = &event.kind {
                    prop_assert!(text.len() <= MAX_REPLY_BYTES);
                }
                if let EventKind::PromiseDigits { digits } = &event.kind {
                    prop_assert!(
                        digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_digit()),
                        "{digits:?}"
                    );
                }
            }
            Ok(events)
        }
        // Signed requests: what is wrong is the content, or a webhook the account does not take.
        Err(
            WebhookError::Malformed(_) | WebhookError::TooLarge(_) | WebhookError::NotSupported,
        ) => Ok(vec![]),
        Err(other) => Err(TestCaseError::fail(format!(
            "a signed request refused as {other:?}"
        ))),
    }
}

/// Arbitrary bytes as the body: whatever `verify` says, the parser must not panic.
fn raw(
    provider: &Provider,
    mut request: WebhookRequest,
    body: Vec<u8>,
) -> Result<(), TestCaseError> {
    request.body = body.into();
    let _ = provider.verify(&request);
    check(provider.parse_webhook(&request))?;
    Ok(())
}

/// The names Twilio posts (and a few it might add), for random forms.
const TWILIO_FIELDS: &[&str] = &[
    "MessageSid",
    "SmsSid",
    "SmsStatus",
    "MessageStatus",
    "From",
    "To",
    "Body",
    "NumMedia",
    "OptOutType",
    "ErrorCode",
    "CallSid",
    "CallStatus",
    "Digits",
    "AnsweredBy",
    "AccountSid",
];

fn twilio_form() -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop_oneof![
        4 => prop::sample::select(TWILIO_FIELDS).prop_map(str::to_string),
        1 => ".{0,12}",
    ];
    let value = prop_oneof![
        Just("received".to_string()),
        Just("+573001234567".to_string()),
        Just("STOP".to_string()),
        "[0-9#*]{0,6}",
        ".{0,40}",
    ];
    prop::collection::vec((name, value), 0..10)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn any_bytes_reach_every_parser_without_a_panic(
        body in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        raw(&TWILIO_SMS, twilio_post(SMS_URL, ""), body.clone())?;
        raw(&TWILIO_VOICE, twilio_post(GATHER_URL, ""), body.clone())?;
        raw(&WHATSAPP, meta_post(""), body.clone())?;
        raw(&WEBHOOK, standard_post("evt_raw", ""), body.clone())?;
        raw(&GATEWAY, gateway_post(true, ""), body.clone())?;
        raw(&GATEWAY, gateway_post(false, ""), body)?;
    }

    #[test]
    fn any_text_as_a_json_body_is_read_or_refused(body in ".{0,300}") {
        for (provider, request) in [
            (&*WHATSAPP, meta_post(body.clone())),
            (&*WEBHOOK, standard_post("evt_text", body.clone())),
            (&*GATEWAY, gateway_post(true, body.clone())),
            (&*GATEWAY, gateway_post(false, body.clone())),
        ] {
            prop_assert_eq!(provider.verify(&request), Ok(()));
            check(provider.parse_webhook(&request))?;
        }
    }

    #[test]
    fn random_twilio_forms_are_read_or_refused(form in twilio_form()) {
        let body = serde_urlencoded::to_string(&form).unwrap_or_default();
        let request = twilio_post(SMS_URL, body);
        prop_assert_eq!(TWILIO_SMS.verify(&request), Ok(()));
        let events = check(TWILIO_SMS.parse_webhook(&request))?;
        for event in events {
            if let EventKind::Replied { from, .. } = event.kind {
                prop_assert!(!from.is_empty(), "a reply names its sender");
            }
        }
    }

    #[test]
    fn random_gathers_answer_twiml_or_are_refused(
        form in twilio_form(),
        digits in prop_oneof!["[0-9]{1,5}", "[0-9#*]{0,6}", ".{0,8}"],
        lang in prop_oneof![Just("es-MX".to_string()), Just("pt-BR".to_string()), ".{0,12}"],
        step in prop_oneof![Just(None), Just(Some("date".to_string())), ".{0,6}".prop_map(Some)],
        second in any::<bool>(),
    ) {
        let mut query = vec![("lang", lang)];
        if let Some(step) = step {
            query.push(("step", step));
        }
        if second {
            query.push(("attempt", "2".into()));
        }
        let url = format!(
            "{GATHER_URL}?{}",
            serde_urlencoded::to_string(&query).unwrap_or_default()
        );
        let mut form = form;
        form.push(("CallSid".into(), "CA0123".into()));
        form.push(("Digits".into(), digits));
        let request = twilio_post(&url, serde_urlencoded::to_string(&form).unwrap_or_default());
        prop_assert_eq!(TWILIO_VOICE.verify(&request), Ok(()));
        let result = TWILIO_VOICE.parse_webhook(&request);
        if let Ok((_, reply)) = &result {
            prop_assert!(reply.body.starts_with("<?xml"), "{}", reply.body);
            prop_assert!(reply.body.ends_with("</Response>"), "{}", reply.body);
        }
        check(result)?;
    }

    #[test]
    fn whatsapp_shaped_notifications_are_read_or_refused(
        kind in prop_oneof![
            prop::sample::select(&["text", "button", "interactive", "image", "reaction", "unsupported"][..])
                .prop_map(Value::from),
            any_json(),
        ],
        from in or_anything(json!("573001234567")),
        id in or_anything(json!("wamid.PROP")),
        timestamp in or_anything(json!("1764946800")),
        text in or_anything(json!({"body": "pago el viernes"})),
        button in or_anything(json!({"payload": "paid", "text": "Ya pagué"})),
        interactive in or_anything(json!({"type": "list_reply", "list_reply": {"id": "a", "title": "Dos cuotas"}})),
        context in or_anything(json!({"from": "15550783881", "id": "wamid.OUT"})),
        status in or_anything(json!({"id": "wamid.OUT", "status": "delivered", "timestamp": "1764946800"})),
        field in or_anything(json!("messages")),
    ) {
        let message = object(vec![
            ("type", Some(kind)),
            ("from", from),
            ("id", id),
            ("timestamp", timestamp),
            ("text", text),
            ("button", button),
            ("interactive", interactive),
            ("context", context),
        ]);
        let statuses = status.map(|status| json!([status]));
        let value = object(vec![("messages", Some(json!([message]))), ("statuses", statuses)]);
        let notification = json!({
            "object": "whatsapp_business_account",
            "entry": [{"id": "102290129340398", "changes": [object(vec![("field", field), ("value", Some(value))])]}]
        });
        let request = meta_post(notification.to_string());
        prop_assert_eq!(WHATSAPP.verify(&request), Ok(()));
        check(WHATSAPP.parse_webhook(&request))?;
    }

    #[test]
    fn standard_webhook_reports_are_read_or_refused(
        kind in prop_oneof![
            prop::sample::select(&["contact.replied", "contact.delivered", "contact.failed", "contact.opened"][..])
                .prop_map(Value::from),
            any_json(),
        ],
        timestamp in or_anything(json!("2026-12-05T14:32:10Z")),
        from in or_anything(json!("+5511987654321")),
        text in or_anything(json!("não reconheço")),
        message_id in or_anything(json!("msg_1")),
        contact_id in or_anything(json!("ctc_01M95YC89YXTYW28WJ0JGYGNZG")),
        code in or_anything(json!(550)),
    ) {
        let data = object(vec![
            ("from", from),
            ("text", text),
            ("provider_message_id", message_id),
            ("contact_id", contact_id),
            ("code", code),
        ]);
        let report = object(vec![("type", Some(kind)), ("timestamp", timestamp), ("data", Some(data))]);
        let request = standard_post("evt_prop", report.to_string());
        prop_assert_eq!(WEBHOOK.verify(&request), Ok(()));
        check(WEBHOOK.parse_webhook(&request))?;
    }

    #[test]
    fn gateway_messages_and_reports_are_read_or_refused(
        id in or_anything(json!("mo-1")),
        msisdn in or_anything(json!("573001234567")),
        message in or_anything(json!("ya pagué")),
        reference in or_anything(json!("ctc-sms-1")),
        status in or_anything(json!("DELIVRD")),
        inbound in any::<bool>(),
    ) {
        let data = object(vec![
            ("id", id),
            ("msisdn", msisdn),
            ("message", message),
            ("reference", reference),
            ("status", status),
        ]);
        let request = gateway_post(inbound, json!({"data": data}).to_string());
        prop_assert_eq!(GATEWAY.verify(&request), Ok(()));
        check(GATEWAY.parse_webhook(&request))?;
    }
}
