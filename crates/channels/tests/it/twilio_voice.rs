//! Twilio Voice: the exact call request with its TwiML, call status callbacks, and the digits
//! the debtor presses answered in the call's language.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{TimeZone, Utc};
use wiremock::matchers::{basic_auth, body_string, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use recaudo_channels::providers::twilio_voice::{self, Config};
use recaudo_channels::{
    ChannelProvider, Content, EventKind, OutboundMessage, ProviderConfig, ProviderEnv,
    ProviderEvent, SendError, VoiceContent, WebhookError, WebhookReply, WebhookRequest,
};
use recaudo_domain::portfolio::{Channel, Language};
use recaudo_domain::{ContactId, Secret};

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "voice-token-456";
const CALLS_PATH: &str = "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Calls.json";
const STATUS_URL: &str = "https://collect.example.com/webhooks/voice/status";
/// As the dispatcher writes it: the bare language, which the provider turns into the `<Say>` tag.
const GATHER_URL: &str = "https://collect.example.com/webhooks/voice/gather?c=ctc_01&lang=es";
const XML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";

fn config(base_url: &str) -> Config {
    Config {
        account_sid: SID.into(),
        auth_token: Secret::new(TOKEN.into()),
        from: "+15005550006".into(),
        base_url: base_url.into(),
        machine_detection: false,
    }
}

fn build(config: Config) -> twilio_voice::Provider {
    match ProviderConfig::TwilioVoice(config).build(&ProviderEnv::new(std::env::temp_dir(), None)) {
        Ok(recaudo_channels::Provider::TwilioVoice(p)) => p,
        Ok(_) => panic!("another provider was built"),
        Err(e) => panic!("a valid configuration builds: {e}"),
    }
}

fn call(script: &str, say_language: &str, menu: &str) -> OutboundMessage {
    OutboundMessage {
        contact_id: ContactId::generate(),
        idempotency_key: "ctc-voice-0001".into(),
        channel: Channel::Voice,
        to: "+5215512345678".into(),
        postal: None,
        recipient_name: "Luis Pérez".into(),
        language: Language::Es,
        locale: "es-MX".into(),
        sender_name: "Financiera Sol".into(),
        content: Content::Voice(VoiceContent {
            script: script.into(),
            say_language: say_language.into(),
            menu: menu.into(),
        }),
        status_callback: Some(STATUS_URL.into()),
        gather_callback: Some(GATHER_URL.into()),
        reply_token: None,
        segment: None,
        now: Utc.with_ymd_and_hms(2026, 12, 2, 17, 0, 0).unwrap(),
    }
}

#[tokio::test]
async fn a_call_is_posted_with_its_twiml_in_the_debtors_language() {
    let script = "Hola Luis, le llama Financiera Sol & Cía. Su saldo de $1,250.00 venció el 28/11.";
    let menu = "Marque 1 para recibir el enlace de pago, o 2 para hablar con un asesor.";
    let twiml = "<Response>\
        <Gather numDigits=\"1\" action=\"https://collect.example.com/webhooks/voice/gather?c=ctc_01&amp;lang=es-MX\" method=\"POST\" timeout=\"8\">\
        <Say language=\"es-MX\">Hola Luis, le llama Financiera Sol &amp; Cía. Su saldo de $1,250.00 venció el 28/11.</Say>\
        <Say language=\"es-MX\">Marque 1 para recibir el enlace de pago, o 2 para hablar con un asesor.</Say>\
        </Gather>\
        <Say language=\"es-MX\">Gracias por su atención. Que tenga un buen día.</Say>\
        </Response>";
    let form = serde_urlencoded::to_string([
        ("To", "+5215512345678"),
        ("From", "+15005550006"),
        ("Twiml", twiml),
        ("StatusCallback", STATUS_URL),
    ])
    .expect("encodes");
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(CALLS_PATH))
        .and(basic_auth(SID, TOKEN))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(header("idempotency-key", "ctc-voice-0001"))
        .and(body_string(form))
        .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!({
            "sid": "CA0123456789abcdef0123456789abcdef",
            "status": "queued",
            "price": null,
            "price_unit": "USD",
        })))
        .expect(1)
        .mount(&server)
        .await;
    let ack = build(config(&server.uri()))
        .send(&call(script, "es-MX", menu))
        .await
        .expect("placed");
    assert_eq!(
        ack.provider_message_id,
        "CA0123456789abcdef0123456789abcdef"
    );
    assert_eq!(ack.cost, None);
}

#[test]
fn without_a_gather_callback_the_call_reads_the_script_only() {
    let voice = VoiceContent {
        script: "Olá Maria, <aviso> de cobrança.".into(),
        say_language: "pt-BR".into(),
        menu: "Digite 1".into(),
    };
    assert_eq!(
        twilio_voice::twiml(&voice, None),
        "<Response><Say language=\"pt-BR\">Olá Maria, &lt;aviso&gt; de cobrança.</Say>\
         <Say language=\"pt-BR\">Obrigado pela atenção. Tenha um bom dia.</Say></Response>"
    );
    let odd = VoiceContent {
        say_language: "\"/><Hangup/><Say>".into(),
        ..voice
    };
    assert!(
        twilio_voice::twiml(&odd, Some(GATHER_URL)).contains("language=\"en-US\""),
        "a language tag that is not one falls back instead of breaking the TwiML"
    );
}

#[tokio::test]
async fn machine_detection_is_asked_for_when_configured_and_errors_map() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(CALLS_PATH))
        .and(wiremock::matchers::body_string_contains(
            "&MachineDetection=Enable",
        ))
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "code": 21211,
            "message": "The 'To' number is not a valid phone number.",
            "status": 400,
        })))
        .expect(1)
        .mount(&server)
        .await;
    let provider = build(Config {
        machine_detection: true,
        ..config(&server.uri())
    });
    assert_eq!(
        provider
            .send(&call("Hola", "es-MX", "Marque 1"))
            .await
            .expect_err("refused"),
        SendError::bad_address("21211", "The 'To' number is not a valid phone number.")
    );
}

#[tokio::test]
async fn busy_twilio_is_retried_later() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "12")
                .set_body_json(serde_json::json!({"code": 20429, "message": "Too Many Requests", "status": 429})),
        )
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(
        build(config(&server.uri()))
            .send(&call("Hola", "es-MX", "Marque 1"))
            .await,
        Err(SendError::Retryable {
            message: "Twilio answered 429: Too Many Requests".into(),
            retry_after: Some(std::time::Duration::from_secs(12)),
        })
    );
}

#[test]
fn the_configuration_names_the_field_at_fault_and_hides_the_token() {
    let field = |config: Config| config.validate().map_err(|e| e.field);
    let base = config("https://api.twilio.com");
    assert_eq!(field(base.clone()), Ok(()));
    assert_eq!(
        field(Config {
            from: String::new(),
            ..base.clone()
        }),
        Err("from".into())
    );
    assert_eq!(
        field(Config {
            from: "5512345678".into(),
            ..base.clone()
        }),
        Err("from".into())
    );
    assert_eq!(
        field(Config {
            auth_token: Secret::new(" ".into()),
            ..base.clone()
        }),
        Err("auth_token".into())
    );
    let shown = serde_json::to_string(&ProviderConfig::TwilioVoice(base)).expect("serializes");
    assert!(!shown.contains(TOKEN), "{shown}");
    assert!(shown.contains("\"kind\":\"twilio_voice\""), "{shown}");
}

fn twilio_signature(url: &str, params: &[(&str, &str)]) -> String {
    let mut sorted = params.to_vec();
    sorted.sort();
    let data: String = std::iter::once(url.to_string())
        .chain(sorted.iter().map(|(k, v)| format!("{k}{v}")))
        .collect();
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, TOKEN.as_bytes());
    STANDARD.encode(ring::hmac::sign(&key, data.as_bytes()).as_ref())
}

/// A request Twilio would send to `url`, signed unless `signature` says otherwise.
fn request(url: &str, params: &[(&str, &str)], signature: Option<String>) -> WebhookRequest {
    let mut request = WebhookRequest {
        method: "POST".into(),
        url: url.into(),
        body: serde_urlencoded::to_string(params).expect("encodes").into(),
        ..WebhookRequest::default()
    };
    if let Some((_, query)) = url.split_once('?') {
        request.query = serde_urlencoded::from_str(query).expect("a query");
    }
    if let Some(signature) = signature {
        request
            .headers
            .insert("x-twilio-signature".into(), signature);
    }
    request
}

fn handle(url: &str, params: &[(&str, &str)]) -> (Vec<ProviderEvent>, WebhookReply) {
    let provider = build(config("https://api.twilio.com"));
    let request = request(url, params, Some(twilio_signature(url, params)));
    provider.verify(&request).expect("signed");
    provider.parse_webhook(&request).expect("parses")
}

fn call_status(status: &str, extra: &[(&str, &str)]) -> Vec<EventKind> {
    let mut params = vec![
        ("CallSid", "CA0123"),
        ("AccountSid", SID),
        ("CallStatus", status),
        ("To", "+5215512345678"),
        ("Direction", "outbound-api"),
    ];
    params.extend_from_slice(extra);
    handle(STATUS_URL, &params)
        .0
        .into_iter()
        .map(|event| event.kind)
        .collect()
}

#[test]
fn call_statuses_map_to_our_events() {
    assert_eq!(
        call_status("completed", &[("CallDuration", "42")]),
        vec![EventKind::Delivered]
    );
    assert_eq!(
        call_status("completed", &[("AnsweredBy", "human")]),
        vec![EventKind::Delivered]
    );
    for machine in ["machine_start", "machine_end_beep", "fax"] {
        assert_eq!(
            call_status("completed", &[("AnsweredBy", machine)]),
            vec![EventKind::NotAnswered],
            "{machine}"
        );
    }
    for unanswered in ["busy", "no-answer", "canceled"] {
        assert_eq!(
            call_status(unanswered, &[]),
            vec![EventKind::NotAnswered],
            "{unanswered}"
        );
    }
    for passing in [
        "queued",
        "initiated",
        "ringing",
        "in-progress",
        "teleported",
    ] {
        assert_eq!(call_status(passing, &[]), vec![], "{passing}");
    }
    assert_eq!(
        call_status("failed", &[("ErrorCode", "13224")]),
        vec![EventKind::Failed {
            code: Some("13224".into()),
            message: Some("Twilio reports the call failed".into()),
            address_unusable: true,
        }]
    );
    let (events, _) = handle(
        STATUS_URL,
        &[("CallSid", "CA0123"), ("CallStatus", "completed")],
    );
    assert_eq!(events[0].dedupe_key, "twilio:CA0123:completed");
    assert_eq!(events[0].provider_message_id.as_deref(), Some("CA0123"));
}

fn gather(url: &str, digits: &str) -> (Vec<ProviderEvent>, WebhookReply) {
    handle(
        url,
        &[
            ("CallSid", "CA0123"),
            ("AccountSid", SID),
            ("CallStatus", "in-progress"),
            ("Digits", digits),
            ("FinishedOnKey", ""),
        ],
    )
}

#[test]
fn pressing_1_or_2_is_an_event_and_the_answer_speaks_the_calls_language() {
    let (events, reply) = gather(
        "https://collect.example.com/webhooks/voice/gather?c=ctc_01&lang=pt-BR",
        "1",
    );
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, EventKind::Digits { digits: "1".into() });
    assert_eq!(events[0].provider_message_id.as_deref(), Some("CA0123"));
    assert_eq!(events[0].dedupe_key, "twilio:CA0123:digits:1:1");
    assert_eq!(reply.content_type.as_deref(), Some("text/xml"));
    assert_eq!(
        reply.body,
        format!(
            "{XML}<Response><Say language=\"pt-BR\">Obrigado. Em instantes enviaremos o link de pagamento por mensagem de texto.</Say>\
             <Say language=\"pt-BR\">Obrigado pela atenção. Tenha um bom dia.</Say></Response>"
        )
    );

    let (events, reply) = gather(
        "https://collect.example.com/webhooks/voice/gather?c=ctc_01&lang=es-MX",
        "2",
    );
    assert_eq!(events[0].kind, EventKind::Digits { digits: "2".into() });
    assert!(
        reply
            .body
            .contains("<Say language=\"es-MX\">Gracias. Un asesor le devolverá la llamada lo antes posible.</Say>"),
        "{}",
        reply.body
    );

    let (_, reply) = gather("https://collect.example.com/webhooks/voice/gather", "2");
    assert!(
        reply
            .body
            .contains("<Say language=\"en-US\">Thank you. An advisor will call you back"),
        "without a lang the answer is in English: {}",
        reply.body
    );
}

#[test]
fn another_key_offers_the_menu_once_more_then_says_goodbye() {
    let first_url = "https://collect.example.com/webhooks/voice/gather?c=ctc_01&lang=en-US";
    let (events, reply) = gather(first_url, "7");
    assert_eq!(events[0].kind, EventKind::Digits { digits: "7".into() });
    assert_eq!(
        reply.body,
        format!(
            "{XML}<Response><Say language=\"en-US\">Sorry, that option is not available.</Say>\
             <Gather numDigits=\"1\" action=\"https://collect.example.com/webhooks/voice/gather?c=ctc_01&amp;lang=en-US&amp;attempt=2\" method=\"POST\" timeout=\"8\">\
             <Say language=\"en-US\">Press 1 to receive the payment link by text message, 2 to have an advisor call you back, or 3 to tell us the date you will pay.</Say></Gather>\
             <Say language=\"en-US\">Thank you for your time. Have a good day.</Say></Response>"
        )
    );
    let second_url = format!("{first_url}&attempt=2");
    let (events, reply) = gather(&second_url, "7");
    assert_eq!(events[0].dedupe_key, "twilio:CA0123:digits:2:7");
    assert!(!reply.body.contains("<Gather"), "{}", reply.body);
    assert!(reply.body.contains("Have a good day."), "{}", reply.body);
}

#[test]
fn pressing_3_asks_for_the_date_as_four_digits_in_the_calls_language() {
    let (events, reply) = gather(
        "https://collect.example.com/webhooks/voice/gather?c=ctc_01&lang=es-MX",
        "3",
    );
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, EventKind::Digits { digits: "3".into() });
    assert_eq!(events[0].dedupe_key, "twilio:CA0123:digits:1:3");
    assert_eq!(events[0].provider_message_id.as_deref(), Some("CA0123"));
    assert_eq!(reply.content_type.as_deref(), Some("text/xml"));
    assert_eq!(
        reply.body,
        format!(
            "{XML}<Response>\
             <Gather numDigits=\"4\" action=\"https://collect.example.com/webhooks/voice/gather?c=ctc_01&amp;lang=es-MX&amp;step=date\" method=\"POST\" timeout=\"8\">\
             <Say language=\"es-MX\">Marque el día y el mes en que realizará el pago, con cuatro dígitos. Por ejemplo, 2512 para el 25 de diciembre.</Say></Gather>\
             <Say language=\"es-MX\">Gracias por su atención. Que tenga un buen día.</Say></Response>"
        )
    );

    // Chosen on the menu's second offer, the date still gets its own two offers; without a
    // language in the URL, the date's gather names the English the call fell back to.
    let (_, reply) = gather(
        "https://collect.example.com/webhooks/voice/gather?c=ctc_01&attempt=2",
        "3",
    );
    assert_eq!(
        reply.body,
        format!(
            "{XML}<Response>\
             <Gather numDigits=\"4\" action=\"https://collect.example.com/webhooks/voice/gather?c=ctc_01&amp;lang=en-US&amp;step=date\" method=\"POST\" timeout=\"8\">\
             <Say language=\"en-US\">Please enter the day and month you will pay, as four digits. For example, 2512 for the 25th of December.</Say></Gather>\
             <Say language=\"en-US\">Thank you for your time. Have a good day.</Say></Response>"
        )
    );

    let (_, reply) = gather(
        "https://collect.example.com/webhooks/voice/gather?c=ctc_01&lang=pt-BR",
        "3",
    );
    assert!(
        reply.body.contains(
            "<Say language=\"pt-BR\">Digite o dia e o mês em que fará o pagamento, com quatro dígitos. Por exemplo, 2512 para 25 de dezembro.</Say>"
        ),
        "{}",
        reply.body
    );
}

const DATE_URL: &str =
    "https://collect.example.com/webhooks/voice/gather?c=ctc_01&lang=es-MX&step=date";

#[test]
fn the_keyed_date_is_a_promise_and_the_call_thanks_the_debtor() {
    let (events, reply) = gather(DATE_URL, "2512");
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].kind,
        EventKind::PromiseDigits {
            digits: "2512".into()
        }
    );
    assert_eq!(events[0].provider_message_id.as_deref(), Some("CA0123"));
    assert_eq!(events[0].dedupe_key, "twilio:CA0123:date:1:2512");
    assert_eq!(
        reply.body,
        format!(
            "{XML}<Response>\
             <Say language=\"es-MX\">Gracias. Tomamos nota de su pago para el 25 de diciembre. En breve le enviaremos la confirmación por mensaje.</Say>\
             <Say language=\"es-MX\">Gracias por su atención. Que tenga un buen día.</Say></Response>"
        )
    );
    let (again, _) = gather(DATE_URL, "2512");
    assert_eq!(
        again[0].dedupe_key, events[0].dedupe_key,
        "Twilio's retry of the same request is the same event"
    );

    let (events, reply) = gather(
        "https://collect.example.com/webhooks/voice/gather?c=ctc_01&lang=en-US&step=date",
        "0103",
    );
    assert_eq!(
        events[0].kind,
        EventKind::PromiseDigits {
            digits: "0103".into()
        }
    );
    assert!(
        reply.body.contains(
            "<Say language=\"en-US\">Thank you. We have noted your payment for the 1st of March. We will send you a confirmation by message shortly.</Say>"
        ),
        "{}",
        reply.body
    );
    let (_, reply) = gather(
        "https://collect.example.com/webhooks/voice/gather?c=ctc_01&lang=pt-BR&step=date",
        "1509",
    );
    assert!(
        reply.body.contains(
            "Obrigado. Anotamos o seu pagamento para 15 de setembro. Em breve enviaremos a confirmação por mensagem."
        ),
        "{}",
        reply.body
    );
}

#[test]
fn keys_that_are_not_a_date_are_asked_for_once_more_then_goodbye() {
    // "1" is what Twilio posts when the debtor keys 1 and then #: on the date's gather it is
    // no menu choice, so no payment link goes out for it.
    for keyed in ["1", "25", "3213", "2599", "25123"] {
        let (events, reply) = gather(DATE_URL, keyed);
        assert_eq!(events, vec![], "{keyed}: no event");
        assert_eq!(
            reply.body,
            format!(
                "{XML}<Response><Say language=\"es-MX\">Disculpe, no reconocimos esa fecha.</Say>\
                 <Gather numDigits=\"4\" action=\"https://collect.example.com/webhooks/voice/gather?c=ctc_01&amp;lang=es-MX&amp;step=date&amp;attempt=2\" method=\"POST\" timeout=\"8\">\
                 <Say language=\"es-MX\">Marque el día y el mes en que realizará el pago, con cuatro dígitos. Por ejemplo, 2512 para el 25 de diciembre.</Say></Gather>\
                 <Say language=\"es-MX\">Gracias por su atención. Que tenga un buen día.</Say></Response>"
            ),
            "{keyed}"
        );
    }
    let second = format!("{DATE_URL}&attempt=2");
    let (events, reply) = gather(&second, "99");
    assert_eq!(events, vec![]);
    assert_eq!(
        reply.body,
        format!(
            "{XML}<Response><Say language=\"es-MX\">Disculpe, no reconocimos esa fecha.</Say>\
             <Say language=\"es-MX\">Gracias por su atención. Que tenga un buen día.</Say></Response>"
        )
    );
    let (events, _) = gather(&second, "0402");
    assert_eq!(
        events[0].kind,
        EventKind::PromiseDigits {
            digits: "0402".into()
        }
    );
    assert_eq!(events[0].dedupe_key, "twilio:CA0123:date:2:0402");
}

#[test]
fn the_date_gathers_answer_is_verified_like_every_callback() {
    let provider = build(config("https://api.twilio.com"));
    let params = [("CallSid", "CA0123"), ("Digits", "2512")];
    let signed = request(DATE_URL, &params, Some(twilio_signature(DATE_URL, &params)));
    assert_eq!(provider.verify(&signed), Ok(()));
    // The step is part of the URL Twilio signs: a menu answer replayed as a date is refused.
    let menu_url = "https://collect.example.com/webhooks/voice/gather?c=ctc_01&lang=es-MX";
    let replayed = request(DATE_URL, &params, Some(twilio_signature(menu_url, &params)));
    assert!(matches!(
        provider.verify(&replayed),
        Err(WebhookError::Forged(_))
    ));
}

#[test]
fn forged_unsigned_and_malformed_callbacks_are_refused() {
    let provider = build(config("https://api.twilio.com"));
    let params = [("CallSid", "CA0123"), ("CallStatus", "completed")];
    let mut forged = request(
        STATUS_URL,
        &params,
        Some(twilio_signature(STATUS_URL, &params)),
    );
    forged.body = serde_urlencoded::to_string([("CallSid", "CA0123"), ("CallStatus", "busy")])
        .expect("encodes")
        .into();
    assert!(matches!(
        provider.verify(&forged),
        Err(WebhookError::Forged(_))
    ));
    assert!(matches!(
        provider.verify(&request(STATUS_URL, &params, None)),
        Err(WebhookError::Unsigned(_))
    ));
    for params in [
        &[("CallStatus", "completed")][..],
        &[("CallSid", "CA1")][..],
        &[("Digits", "1")][..],
    ] {
        let request = request(STATUS_URL, params, None);
        assert!(
            matches!(
                provider.parse_webhook(&request),
                Err(WebhookError::Malformed(_))
            ),
            "{params:?}"
        );
    }
}

proptest::proptest! {
    // Each case builds a provider (and its HTTP client): a few dozen cases cover the parser.
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
    #[test]
    fn any_gather_or_status_body_is_read_or_refused_without_panicking(
        body in proptest::collection::vec(proptest::num::u8::ANY, 0..256),
        lang in ".{0,20}",
    ) {
        let provider = build(config("https://api.twilio.com"));
        let mut request = request(STATUS_URL, &[], None);
        request.body = body.into();
        request.query.insert("lang".into(), lang);
        let _ = provider.verify(&request);
        if let Ok((_, reply)) = provider.parse_webhook(&request) {
            proptest::prop_assert!(reply.body.starts_with(XML));
        }
    }
}
