//! Templates: the defaults agree with the domain's catalogue and render in every language, the
//! locale formats, SMS segment counting, override validation and HTML escaping.

use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal::Decimal;

use recaudo_channels::templates::{
    DEBT_VARIABLES, DebtLine, InstalmentLine, KNOWN_VARIABLES, PromiseLine, REPLIES_TO_A_STRANGER,
    REPLIES_WITHOUT_DEBT, TemplateContext, TemplateError, TemplateOverride, TemplateSet,
    builtin_pairs, builtin_text, format_date, format_date_long, format_money, is_without_debt,
    opt_out_keyword, sms_encoding, validate_override,
};
use recaudo_channels::{Content, SmsEncoding};
use recaudo_domain::portfolio::{Channel, Language};
use recaudo_domain::strategy::TemplateCatalogue;
use recaudo_domain::{Country, Currency, Money};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid test date")
}

fn money(text: &str, currency: Currency) -> Money {
    Money::new(text.parse::<Decimal>().expect("a test amount"), currency)
}

fn html_escaped(url: &str) -> String {
    url.replace('/', "&#x2f;")
}

const LANGUAGES: [Language; 3] = [Language::Es, Language::Pt, Language::En];

/// A realistic context: Colombia in Spanish, Brazil in Portuguese, the US in English.
fn context(language: Language, debts: usize) -> TemplateContext {
    let (country, currency, amounts) = match language {
        Language::Es => (Country::Co, Currency::Cop, ["1234567", "250000", "89900"]),
        Language::Pt => (Country::Br, Currency::Brl, ["1234.56", "89.90", "310.00"]),
        Language::En => (Country::Us, Currency::Usd, ["1234.56", "89.90", "310.00"]),
    };
    let lines: Vec<DebtLine> = (0..debts)
        .map(|i| DebtLine {
            reference: format!("INV-{}", 1001 + i),
            description: (i == 0).then(|| "Plan Hogar 300".to_string()),
            amount_due: money(amounts[i], currency),
            due_date: day(2026, 12, 15 - i as u32),
            days_overdue: 3 + i as i64,
        })
        .collect();
    let total = lines
        .iter()
        .try_fold(Money::zero(currency), |acc, d| {
            acc.checked_add(d.amount_due)
        })
        .expect("same currency");
    TemplateContext {
        tenant_name: "Energía del Valle".into(),
        debtor_name: "Ana María".into(),
        language,
        country,
        debts: lines,
        total,
        pay_url: "https://collect.example.com/p/tok_9f3a".into(),
        unsubscribe_url: Some("https://collect.example.com/u/uns_77".into()),
        promise: Some(PromiseLine {
            amount: money(amounts[0], currency),
            date: day(2026, 12, 20),
        }),
        instalment: Some(InstalmentLine {
            number: 2,
            of: 3,
            amount: money(amounts[1], currency),
            date: day(2026, 12, 20),
        }),
        today: day(2026, 12, 18),
    }
}

#[test]
fn the_defaults_cover_the_catalogue_exactly() {
    let catalogue = TemplateCatalogue::builtin();
    let expected: Vec<(String, Channel)> = catalogue
        .iter()
        .flat_map(|(name, channels)| channels.iter().map(move |c| (name.to_string(), c)))
        .collect();
    assert!(!expected.is_empty());
    for language in LANGUAGES {
        let mut have: Vec<(String, Channel)> = builtin_pairs(language)
            .map(|(n, c)| (n.to_string(), c))
            .collect();
        have.sort();
        let mut want = expected.clone();
        want.sort();
        assert_eq!(have, want, "defaults in {language}");
    }
}

#[test]
fn known_variables_are_what_templates_see() {
    // Every known name renders (strict undefined would fail otherwise), and an unknown one fails.
    for name in KNOWN_VARIABLES {
        let o = TemplateOverride {
            name: "payment_link".into(),
            channel: Channel::Sms,
            language: Language::En,
            subject: None,
            body: format!("{{{{ {name} }}}} Reply STOP to opt out."),
            html: None,
        };
        assert_eq!(validate_override(&o), Ok(()), "{name}");
    }
}

#[test]
fn every_default_renders_in_every_language() {
    let set = TemplateSet::builtin();
    for language in LANGUAGES {
        for debts in [1, 3] {
            let ctx = context(language, debts);
            for (name, channel) in builtin_pairs(language) {
                if is_without_debt(name) {
                    // Checked by `replies_without_debt_show_none`.
                    continue;
                }
                // A promise reminder or confirmation recalls the promised amount, an instalment
                // reminder the instalment's; every other message the total.
                let shown = match (&ctx.promise, &ctx.instalment, name) {
                    (Some(p), _, "promise_reminder" | "reply_promise_confirmed") => &p.amount,
                    (_, Some(i), "instalment_reminder") => &i.amount,
                    _ => &ctx.total,
                };
                let total = format_money(shown, language, ctx.country);
                let content = set
                    .render(name, channel, &ctx, Language::Es)
                    .unwrap_or_else(|e| panic!("{name}/{channel}/{language}: {e}"));
                assert_eq!(content.channel(), channel);
                let what = format!("{name}/{channel}/{language}/{debts} debts");
                let preview = content.preview().to_string();
                assert!(!preview.contains("{{") && !preview.contains("{%"), "{what}");
                assert!(
                    preview.contains(&total),
                    "{what}: total {total} in {preview}"
                );
                match &content {
                    Content::Email(email) => {
                        assert!(!email.subject.is_empty() && !email.subject.contains("{{"));
                        assert!(email.text.contains(&ctx.pay_url), "{what}");
                        assert!(email.text.contains("https://collect.example.com/u/uns_77"));
                        // The HTML part escapes `/` too (`&#x2f;`), which a browser reads back.
                        assert!(
                            email
                                .html
                                .contains(&format!("href=\"{}\"", html_escaped(&ctx.pay_url))),
                            "{what}"
                        );
                        assert!(
                            email
                                .html
                                .contains(&html_escaped("https://collect.example.com/u/uns_77"))
                        );
                        assert_eq!(
                            email.unsubscribe_url.as_deref(),
                            ctx.unsubscribe_url.as_deref()
                        );
                        for d in &ctx.debts {
                            let amount = format_money(&d.amount_due, language, ctx.country);
                            let due = format_date(d.due_date, language, ctx.country);
                            assert!(email.text.contains(&d.reference), "{what}");
                            assert!(email.text.contains(&amount), "{what}: {amount}");
                            assert!(email.text.contains(&due), "{what}: {due}");
                            assert!(email.html.contains(&amount), "{what}");
                        }
                        assert!(email.text.contains("Energía del Valle"));
                    }
                    Content::Sms(sms) => {
                        assert!(sms.body.contains(&ctx.pay_url), "{what}");
                        assert!(sms.body.contains(opt_out_keyword(language)), "{what}");
                        assert!(sms.body.starts_with("Energía del Valle:"), "{what}");
                        assert_eq!((sms.encoding, sms.segments), sms_encoding(&sms.body));
                    }
                    Content::Whatsapp(wa) => {
                        assert_eq!(wa.template, format!("recaudo_{name}"));
                        assert_eq!(wa.button_url_suffix.as_deref(), Some("tok_9f3a"), "{what}");
                        assert!(wa.parameters.contains(&total), "{what}");
                        assert!(wa.parameters.contains(&"Ana María".to_string()));
                        assert!(wa.preview.contains(opt_out_keyword(language)), "{what}");
                        assert!(wa.parameters.iter().all(|p| !p.contains('\n')));
                        assert_eq!(wa.free_text, None);
                        let codes = ["es", "pt_BR", "en_US"];
                        assert!(codes.contains(&wa.language_code.as_str()));
                    }
                    Content::Voice(voice) => {
                        assert!(!voice.script.contains("http"), "{what}: no URL read aloud");
                        assert!(['1', '2', '3'].iter().all(|key| voice.menu.contains(*key)));
                        assert!(["es-CO", "pt-BR", "en-US"].contains(&voice.say_language.as_str()));
                    }
                    Content::Letter(letter) => {
                        assert!(!letter.subject.is_empty());
                        assert!(letter.body.contains(&ctx.pay_url), "{what}");
                        assert_eq!(letter.sender, vec!["Energía del Valle".to_string()]);
                        assert_eq!(
                            letter.date_line,
                            format_date_long(ctx.today, language, ctx.country)
                        );
                        for d in &ctx.debts {
                            assert!(letter.body.contains(&d.reference), "{what}");
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn one_sms_in_spanish_reads_as_written() {
    let ctx = TemplateContext {
        debtor_name: "Ana".into(),
        tenant_name: "Acme".into(),
        ..context(Language::Es, 1)
    };
    let content = TemplateSet::builtin()
        .render("reminder_soft", Channel::Sms, &ctx, Language::Es)
        .expect("renders");
    let Content::Sms(sms) = content else {
        panic!("an SMS")
    };
    assert_eq!(
        sms.body,
        "Acme: Hola Ana, le recordamos que su pago de $ 1.234.567 vence el 15/12/2026. \
         Pague en https://collect.example.com/p/tok_9f3a Responda BAJA si no desea recibir mensajes."
    );
    // GSM-7 all through; the link makes it a little longer than one message.
    assert_eq!(sms.encoding, SmsEncoding::Gsm7);
    assert_eq!(sms.segments, 2);
}

/// Everything a message shows: the email's subject, text and HTML, the SMS, the WhatsApp preview
/// and parameters.
fn shown_text(content: &Content) -> String {
    match content {
        Content::Email(email) => format!("{}\n{}\n{}", email.subject, email.text, email.html),
        Content::Sms(sms) => sms.body.clone(),
        Content::Whatsapp(wa) => format!("{}\n{}", wa.preview, wa.parameters.join("\n")),
        other => other.preview().to_string(),
    }
}

#[test]
fn the_replies_are_in_the_catalogue_on_every_two_way_channel() {
    let catalogue = TemplateCatalogue::builtin();
    let replies = [
        "reply_opt_out",
        "reply_promise_confirmed",
        "reply_promise_ask_date",
        "reply_already_paid",
        "reply_dispute_received",
        "reply_hardship",
        "reply_thanks",
        "reply_wrong_person",
    ];
    for name in replies {
        let channels = catalogue.channels(name).expect(name);
        for channel in [Channel::Email, Channel::Sms, Channel::Whatsapp] {
            assert!(channels.contains(channel), "{name} on {channel}");
        }
    }
    for name in REPLIES_WITHOUT_DEBT.iter().chain(REPLIES_TO_A_STRANGER) {
        assert!(replies.contains(name), "{name}");
    }
    for name in REPLIES_TO_A_STRANGER {
        assert!(is_without_debt(name), "{name}");
    }
}

#[test]
fn replies_without_debt_show_none() {
    // Rendered when every debt is paid (no debts, a zero total, no promise) and while debts are
    // open: either way no amount, date, reference or pay link, on any channel.
    let set = TemplateSet::builtin();
    for language in LANGUAGES {
        let open = context(language, 3);
        let mut settled = context(language, 1);
        settled.debts.clear();
        settled.total = Money::zero(settled.total.currency);
        settled.promise = None;
        for ctx in [&settled, &open] {
            for name in REPLIES_WITHOUT_DEBT {
                for channel in [Channel::Email, Channel::Sms, Channel::Whatsapp] {
                    let what = format!("{name}/{channel}/{language}/{} debts", ctx.debts.len());
                    let content = set
                        .render(name, channel, ctx, Language::Es)
                        .unwrap_or_else(|e| panic!("{what}: {e}"));
                    let shown = shown_text(&content);
                    assert!(!shown.contains("{{") && !shown.contains("{%"), "{what}");
                    assert!(
                        !shown.contains("tok_9f3a"),
                        "{what}: no pay link in {shown}"
                    );
                    for amount in open
                        .debts
                        .iter()
                        .map(|d| &d.amount_due)
                        .chain([&open.total])
                    {
                        let amount = format_money(amount, language, open.country);
                        assert!(!shown.contains(&amount), "{what}: {amount} in {shown}");
                    }
                    for d in &open.debts {
                        assert!(!shown.contains(&d.reference), "{what}: {}", d.reference);
                        let due = format_date(d.due_date, language, open.country);
                        assert!(!shown.contains(&due), "{what}: {due}");
                    }
                    let stranger = REPLIES_TO_A_STRANGER.contains(name);
                    assert_eq!(!shown.contains("Ana María"), stranger, "{what}: the name");
                    assert!(shown.contains("Energía del Valle"), "{what}");
                    match &content {
                        Content::Email(email) => {
                            let t = email.text.as_str();
                            for word in ["Details:", "Detalle:", "Total", "pay securely"] {
                                assert!(!t.contains(word), "{what}: {word} in {t}");
                            }
                            assert!(
                                !email.html.contains(
                                    "<table role=\"presentation\" width=\"100%\" cellpadding=\"6\""
                                ),
                                "{what}"
                            );
                            assert!(email.text.contains("https://collect.example.com/u/uns_77"));
                            let greeting = t.lines().next().unwrap_or_default();
                            assert_eq!(greeting.ends_with("Ana María,"), !stranger, "{what}");
                        }
                        Content::Sms(sms) => {
                            assert!(sms.body.starts_with("Energía del Valle:"), "{what}");
                            assert!(sms.body.contains(opt_out_keyword(language)), "{what}");
                        }
                        Content::Whatsapp(wa) => {
                            assert_eq!(wa.button_url_suffix, None, "{what}: no URL button");
                            assert!(wa.preview.contains(opt_out_keyword(language)), "{what}");
                            assert_eq!(wa.template, format!("recaudo_{name}"));
                        }
                        other => panic!("{what}: {other:?}"),
                    }
                }
            }
        }
    }
    // Every other template still needs a debt.
    let mut ctx = context(Language::En, 1);
    ctx.debts.clear();
    for name in ["reply_promise_confirmed", "payment_link"] {
        assert_eq!(
            set.render(name, Channel::Sms, &ctx, Language::En),
            Err(TemplateError::NoDebts),
            "{name}"
        );
    }
}

#[test]
fn the_opt_out_confirmation_says_how_to_come_back() {
    let set = TemplateSet::builtin();
    for (language, resume) in [
        (Language::Es, "ALTA"),
        (Language::Pt, "ATIVAR"),
        (Language::En, "START"),
    ] {
        for channel in [Channel::Email, Channel::Sms, Channel::Whatsapp] {
            let content = set
                .render("reply_opt_out", channel, &context(language, 1), language)
                .expect("renders");
            let shown = shown_text(&content);
            assert!(shown.contains(resume), "{channel}/{language}: {shown}");
        }
    }
    let Content::Sms(sms) = set
        .render(
            "reply_opt_out",
            Channel::Sms,
            &TemplateContext {
                tenant_name: "Acme".into(),
                debtor_name: "Ana".into(),
                ..context(Language::Es, 1)
            },
            Language::Es,
        )
        .expect("renders")
    else {
        panic!("an SMS")
    };
    assert_eq!(
        sms.body,
        "Acme: Hola Ana, confirmamos su BAJA: no le enviaremos otros mensajes por este medio. \
         Si desea volver a recibirlos, responda ALTA."
    );
    assert_eq!((sms.encoding, sms.segments), (SmsEncoding::Gsm7, 1));
}

#[test]
fn a_promise_is_confirmed_with_or_without_its_terms() {
    let set = TemplateSet::builtin();
    let ctx = context(Language::Es, 1);
    let Content::Sms(sms) = set
        .render("reply_promise_confirmed", Channel::Sms, &ctx, Language::Es)
        .expect("renders")
    else {
        panic!("an SMS")
    };
    assert_eq!(
        sms.body,
        "Energía del Valle: Gracias, Ana María. Confirmamos su compromiso de pago de $ 1.234.567 \
         el 20/12/2026. Pague en https://collect.example.com/p/tok_9f3a Responda BAJA si no desea \
         recibir mensajes."
    );
    let ctx = TemplateContext {
        promise: None,
        ..context(Language::Es, 1)
    };
    let Content::Sms(sms) = set
        .render("reply_promise_confirmed", Channel::Sms, &ctx, Language::Es)
        .expect("renders")
    else {
        panic!("an SMS")
    };
    assert!(
        sms.body
            .contains("Confirmamos su compromiso de pago. Pague en"),
        "{}",
        sms.body
    );
    for (language, date) in [
        (Language::Es, "día acordado"),
        (Language::Pt, "combinada"),
        (Language::En, "the agreed date"),
    ] {
        let ctx = TemplateContext {
            promise: None,
            ..context(language, 1)
        };
        let Content::Whatsapp(wa) = set
            .render("reply_promise_confirmed", Channel::Whatsapp, &ctx, language)
            .expect("renders")
        else {
            panic!("a WhatsApp message")
        };
        let total = format_money(&ctx.total, language, ctx.country);
        assert_eq!(wa.parameters[2..], [total, date.to_string()], "{language}");
        assert_eq!(wa.button_url_suffix.as_deref(), Some("tok_9f3a"));
        let Content::Email(email) = set
            .render("reply_promise_confirmed", Channel::Email, &ctx, language)
            .expect("renders")
        else {
            panic!("an email")
        };
        assert!(email.text.contains(&ctx.pay_url), "{language}");
    }
}

#[test]
fn the_date_asked_for_has_an_example_in_the_local_form() {
    let set = TemplateSet::builtin();
    for (language, example) in [
        (Language::Es, "15/12"),
        (Language::Pt, "15/12"),
        (Language::En, "December 15"),
    ] {
        for channel in [Channel::Email, Channel::Sms, Channel::Whatsapp] {
            let content = set
                .render(
                    "reply_promise_ask_date",
                    channel,
                    &context(language, 1),
                    language,
                )
                .expect("renders");
            let shown = shown_text(&content);
            assert!(shown.contains(example), "{channel}/{language}: {shown}");
        }
    }
}

#[test]
fn reply_sms_fit_in_two_gsm7_segments() {
    // A typical tenant and debtor name without accents: each reply stays GSM-7 (Portuguese ones
    // too, with their shorter opt-out line) and within two segments, pay link included.
    let set = TemplateSet::builtin();
    for language in LANGUAGES {
        let ctx = TemplateContext {
            tenant_name: "Acme Servicios".into(),
            debtor_name: "Ana Torres".into(),
            ..context(language, 1)
        };
        for (name, channel) in builtin_pairs(language) {
            if channel != Channel::Sms || !name.starts_with("reply_") {
                continue;
            }
            let Content::Sms(sms) = set
                .render(name, channel, &ctx, language)
                .unwrap_or_else(|e| panic!("{name}/{language}: {e}"))
            else {
                panic!("an SMS")
            };
            assert_eq!(
                sms.encoding,
                SmsEncoding::Gsm7,
                "{name}/{language}: {}",
                sms.body
            );
            assert!(sms.segments <= 2, "{name}/{language}: {}", sms.body);
            if name != "reply_opt_out" {
                assert!(
                    sms.body.contains(opt_out_keyword(language)),
                    "{name}/{language}"
                );
            }
        }
    }
}

#[test]
fn an_override_of_a_reply_without_debt_cannot_show_one() {
    let thanks = TemplateOverride {
        name: "reply_thanks".into(),
        channel: Channel::Sms,
        language: Language::En,
        subject: None,
        body: "Thanks {{ debtor_name }}!\nYou paid {{ total }}. Reply STOP to opt out.".into(),
        html: None,
    };
    let err = validate_override(&thanks).expect_err("refused");
    assert!(
        matches!(
            err,
            TemplateError::NotForThisTemplate { field: "body", line: 2, column: 13, ref name, .. }
                if name == "total"
        ),
        "{err:?}"
    );
    assert_eq!(err.field(), "body");
    assert!(err.to_string().contains("no debt is open"), "{err}");
    for name in DEBT_VARIABLES {
        let o = TemplateOverride {
            body: format!("{{{{ {name} }}}} Reply STOP to opt out."),
            ..thanks.clone()
        };
        assert!(
            matches!(
                validate_override(&o),
                Err(TemplateError::NotForThisTemplate { .. })
            ),
            "{name}"
        );
    }
    // The wrong person is not told the debtor's name either.
    let wrong = TemplateOverride {
        name: "reply_wrong_person".into(),
        channel: Channel::Email,
        language: Language::Es,
        subject: Some("Disculpe, {{ debtor_name }}".into()),
        body: "Gracias por avisarnos.".into(),
        html: None,
    };
    let err = validate_override(&wrong).expect_err("refused");
    assert_eq!(err.field(), "subject");
    assert_eq!(err.position(), Some((1, 14)));
    // What they may use still passes.
    assert_eq!(
        validate_override(&TemplateOverride {
            body: "Thanks {{ debtor_name }}, from {{ tenant_name }}. Reply STOP to opt out.".into(),
            ..thanks
        }),
        Ok(())
    );
}

#[test]
fn whatsapp_parameters_come_in_order() {
    let ctx = context(Language::Pt, 3);
    let Content::Whatsapp(wa) = TemplateSet::builtin()
        .render("overdue_soft", Channel::Whatsapp, &ctx, Language::Pt)
        .expect("renders")
    else {
        panic!("a WhatsApp message")
    };
    assert_eq!(
        wa.parameters,
        vec![
            "Ana María",
            "Energía del Valle",
            "R$ 1.634,46",
            "INV-1001, INV-1002, INV-1003",
            "13/12/2026"
        ]
    );
    assert_eq!(wa.language_code, "pt_BR");
    assert!(
        wa.preview
            .starts_with("Olá Ana María, aqui é Energía del Valle.")
    );
}

#[test]
fn falls_back_to_the_tenants_language_only_for_overrides_it_lacks() {
    let o = TemplateOverride {
        name: "payment_link".into(),
        channel: Channel::Sms,
        language: Language::Pt,
        subject: None,
        body: "Seu link: {{ pay_url }} Responda SAIR para não receber mais mensagens.".into(),
        html: None,
    };
    let set = TemplateSet::with_overrides([o]).expect("valid");
    let pt = context(Language::Pt, 1);
    let Content::Sms(sms) = set
        .render("payment_link", Channel::Sms, &pt, Language::Es)
        .expect("renders")
    else {
        panic!("an SMS")
    };
    assert_eq!(
        sms.body,
        "Seu link: https://collect.example.com/p/tok_9f3a Responda SAIR para não receber mais mensagens."
    );
    assert_eq!(sms.encoding, SmsEncoding::Ucs2);
    // A Spanish debtor gets the built-in Spanish text, not the tenant's Portuguese override.
    let es = context(Language::Es, 1);
    let Content::Sms(sms) = set
        .render("payment_link", Channel::Sms, &es, Language::Pt)
        .expect("renders")
    else {
        panic!("an SMS")
    };
    assert!(sms.body.contains("Responda BAJA"));
}

#[test]
fn render_refuses_what_is_not_a_debt_message() {
    let set = TemplateSet::builtin();
    let mut ctx = context(Language::En, 1);
    ctx.total = money("-5.00", Currency::Usd);
    assert!(matches!(
        set.render("reminder_soft", Channel::Email, &ctx, Language::En),
        Err(TemplateError::NegativeAmount(_))
    ));
    let mut ctx = context(Language::En, 1);
    ctx.debts.clear();
    assert_eq!(
        set.render("reminder_soft", Channel::Email, &ctx, Language::En),
        Err(TemplateError::NoDebts)
    );
    let ctx = context(Language::En, 1);
    assert_eq!(
        set.render("nope", Channel::Email, &ctx, Language::En),
        Err(TemplateError::UnknownTemplate("nope".into()))
    );
    assert!(matches!(
        set.render("ivr_overdue", Channel::Sms, &ctx, Language::En),
        Err(TemplateError::ChannelNotListed { .. })
    ));
}

#[test]
fn html_escapes_the_debtors_name() {
    let mut ctx = context(Language::En, 1);
    ctx.debtor_name = "<b>O'Brien & Sons</b>".into();
    ctx.debts[0].description = Some("<script>x</script>".into());
    let Content::Email(email) = TemplateSet::builtin()
        .render("overdue_soft", Channel::Email, &ctx, Language::En)
        .expect("renders")
    else {
        panic!("an email")
    };
    assert!(!email.html.contains("<b>O'Brien"));
    assert!(!email.html.contains("<script>"));
    assert!(
        email
            .html
            .contains("&lt;b&gt;O&#x27;Brien &amp; Sons&lt;&#x2f;b&gt;"),
        "{}",
        email.html
    );
    // The plain-text part shows the name as written.
    assert!(email.text.starts_with("Hello <b>O'Brien & Sons</b>,"));
}

#[test]
fn an_email_override_with_html_renders_escaped() {
    let o = TemplateOverride {
        name: "statement".into(),
        channel: Channel::Email,
        language: Language::En,
        subject: Some("Statement for {{ debtor_name }}".into()),
        body: "Your balance is {{ total }}.".into(),
        html: Some(
            "<p class=\"lead\">Balance for {{ debtor_name }}: <strong>{{ total }}</strong></p>"
                .into(),
        ),
    };
    let set = TemplateSet::with_overrides([o]).expect("valid");
    let mut ctx = context(Language::En, 1);
    ctx.debtor_name = "A & B".into();
    let Content::Email(email) = set
        .render("statement", Channel::Email, &ctx, Language::En)
        .expect("renders")
    else {
        panic!("an email")
    };
    assert_eq!(email.subject, "Statement for A & B");
    assert!(
        email
            .html
            .contains("<p class=\"lead\">Balance for A &amp; B: <strong>$1,234.56</strong></p>")
    );
    assert!(email.text.contains("Your balance is $1,234.56."));
}

fn sms_override(body: &str) -> TemplateOverride {
    TemplateOverride {
        name: "reminder_soft".into(),
        channel: Channel::Sms,
        language: Language::Es,
        subject: None,
        body: body.into(),
        html: None,
    }
}

#[test]
fn validation_names_the_place_of_an_error() {
    // Bad syntax: an unclosed tag on line 2.
    let err = validate_override(&sms_override(
        "Hola {{ debtor_name }}\nPague {{ total \nBAJA",
    ))
    .expect_err("refused");
    match err {
        TemplateError::Syntax { field, line, .. } => {
            assert_eq!(field, "body");
            assert!(line >= 2, "{err:?}");
        }
        other => panic!("a syntax error, got {other:?}"),
    }
    // An unknown variable, at its line and column.
    let err = validate_override(&sms_override(
        "Hola {{ debtor_name }},\nsu saldo: {{ saldo }}. BAJA",
    ))
    .expect_err("refused");
    assert_eq!(
        err,
        TemplateError::UnknownVariable {
            field: "body",
            line: 2,
            column: 14,
            name: "saldo".into()
        }
    );
    assert_eq!(err.position(), Some((2, 14)));
    // An unknown variable in a branch that the samples might not take is still refused.
    let err = validate_override(&sms_override("{% if false %}{{ nombre }}{% endif %} BAJA"))
        .expect_err("refused");
    assert!(
        matches!(err, TemplateError::UnknownVariable { ref name, line: 1, column: 18, .. } if name == "nombre"),
        "{err:?}"
    );
    // An attribute that does not exist fails on the sample messages, with its place.
    let err = validate_override(&sms_override(
        "{% for d in debts %}\n{{ d.monto }}{% endfor %} BAJA",
    ))
    .expect_err("refused");
    assert!(
        matches!(err, TemplateError::Render { line: 2, .. }),
        "{err:?}"
    );
    // An unguarded promise fails on the sample without one.
    let err = validate_override(&sms_override("{{ promise.amount }} BAJA")).expect_err("refused");
    assert!(
        matches!(err, TemplateError::Render { line: 1, .. }),
        "{err:?}"
    );
    // The same, guarded, passes.
    assert_eq!(
        validate_override(&sms_override(
            "{% if promise %}{{ promise.amount }}{% endif %} BAJA"
        )),
        Ok(())
    );
}

#[test]
fn validation_refuses_what_the_catalogue_does_not_list() {
    let mut o = sms_override("Hola BAJA");
    o.name = "welcome".into();
    assert_eq!(
        validate_override(&o),
        Err(TemplateError::UnknownTemplate("welcome".into()))
    );
    let mut o = sms_override("Hola BAJA");
    o.name = "formal_notice".into();
    assert_eq!(
        validate_override(&o),
        Err(TemplateError::ChannelNotListed {
            name: "formal_notice".into(),
            channel: Channel::Sms
        })
    );
    let email = TemplateOverride {
        name: "statement".into(),
        channel: Channel::Email,
        language: Language::En,
        subject: None,
        body: "Balance {{ total }}".into(),
        html: None,
    };
    assert_eq!(
        validate_override(&email),
        Err(TemplateError::MissingSubject)
    );
    let err = validate_override(&TemplateOverride {
        subject: Some("Hi {{ nme }}".into()),
        ..email.clone()
    })
    .expect_err("refused");
    assert!(
        matches!(
            err,
            TemplateError::UnknownVariable {
                field: "subject",
                line: 1,
                column: 7,
                ..
            }
        ),
        "{err:?}"
    );
    let err = validate_override(&TemplateOverride {
        subject: Some("Hi".into()),
        html: Some("<p>{{ totl }}</p>".into()),
        ..email
    })
    .expect_err("refused");
    assert_eq!(err.field(), "html");
    let mut o = sms_override("Hola");
    o.subject = Some("x".into());
    assert_eq!(
        validate_override(&o),
        Err(TemplateError::UnusedField {
            field: "subject",
            channel: Channel::Sms
        })
    );
    assert_eq!(
        validate_override(&sms_override("  ")),
        Err(TemplateError::EmptyBody)
    );
    assert_eq!(
        validate_override(&sms_override("Hola {{ debtor_name }}")),
        Err(TemplateError::MissingOptOut {
            channel: Channel::Sms,
            keyword: "BAJA"
        })
    );
    assert!(TemplateSet::with_overrides([sms_override("{{ x }} BAJA")]).is_err());
}

#[test]
fn every_default_passes_the_override_check() {
    // What ships is held to the rules a tenant's text is held to.
    for language in LANGUAGES {
        for (name, channel) in builtin_pairs(language) {
            let text = builtin_text(name, channel, language).expect("listed");
            assert_eq!(
                validate_override(&text),
                Ok(()),
                "{name}/{channel}/{language}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Locale.

#[test]
fn money_in_each_locale() {
    let cases = [
        (
            "1234.56",
            Currency::Brl,
            Language::Pt,
            Country::Br,
            "R$ 1.234,56",
        ),
        ("0.5", Currency::Brl, Language::Pt, Country::Br, "R$ 0,50"),
        (
            "1234567",
            Currency::Cop,
            Language::Es,
            Country::Co,
            "$ 1.234.567",
        ),
        (
            "1234567.5",
            Currency::Cop,
            Language::Es,
            Country::Co,
            "$ 1.234.567,50",
        ),
        (
            "1234.56",
            Currency::Mxn,
            Language::Es,
            Country::Mx,
            "$1,234.56",
        ),
        (
            "1234.56",
            Currency::Usd,
            Language::En,
            Country::Us,
            "$1,234.56",
        ),
        (
            "1234567",
            Currency::Clp,
            Language::Es,
            Country::Cl,
            "$1.234.567",
        ),
        (
            "1234567.4",
            Currency::Clp,
            Language::Es,
            Country::Cl,
            "$1.234.567",
        ),
        (
            "1234.56",
            Currency::Pen,
            Language::Es,
            Country::Pe,
            "S/ 1,234.56",
        ),
        (
            "1234.56",
            Currency::Eur,
            Language::Es,
            Country::Es,
            "1.234,56 €",
        ),
        (
            "1234.56",
            Currency::Ars,
            Language::Es,
            Country::Ar,
            "$ 1.234,56",
        ),
        ("999", Currency::Usd, Language::Es, Country::Us, "$999.00"),
        (
            "1234.56",
            Currency::Mxn,
            Language::En,
            Country::Us,
            "$1,234.56 MXN",
        ),
        (
            "1000000.005",
            Currency::Usd,
            Language::En,
            Country::Us,
            "$1,000,000.00",
        ),
        ("-20", Currency::Usd, Language::En, Country::Us, "$20.00"),
    ];
    for (amount, currency, language, country, want) in cases {
        assert_eq!(
            format_money(&money(amount, currency), language, country),
            want,
            "{amount} {currency} {language}-{country}"
        );
    }
}

#[test]
fn dates_in_each_locale() {
    let d = day(2026, 12, 15);
    assert_eq!(format_date(d, Language::Es, Country::Co), "15/12/2026");
    assert_eq!(format_date(d, Language::Pt, Country::Br), "15/12/2026");
    assert_eq!(format_date(d, Language::En, Country::Us), "12/15/2026");
    assert_eq!(
        format_date(day(2026, 3, 5), Language::En, Country::Us),
        "03/05/2026"
    );
    assert_eq!(
        format_date_long(d, Language::Es, Country::Mx),
        "15 de diciembre de 2026"
    );
    assert_eq!(
        format_date_long(d, Language::Pt, Country::Br),
        "15 de dezembro de 2026"
    );
    assert_eq!(
        format_date_long(d, Language::En, Country::Us),
        "December 15, 2026"
    );
    assert_eq!(
        format_date_long(day(2026, 3, 1), Language::Pt, Country::Br),
        "1 de março de 2026"
    );
}

proptest! {
    #[test]
    fn money_formatting_keeps_the_digits(
        mantissa in any::<i64>(),
        scale in 0u32..=6,
        currency in prop::sample::select(Currency::ALL.to_vec()),
        language in prop::sample::select(LANGUAGES.to_vec()),
        country in prop::sample::select(Country::ALL.to_vec()),
    ) {
        let m = Money::new(Decimal::new(mantissa, scale), currency);
        let text = format_money(&m, language, country);
        prop_assert!(!text.contains('-'));
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        let mut want: String = Money::new(m.amount.abs(), currency)
            .amount_text()
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        if currency == Currency::Cop && want.ends_with("00") {
            want.truncate(want.len() - 2);
        }
        prop_assert_eq!(digits, want);
    }

    #[test]
    fn sms_counting_never_panics(text in any::<String>()) {
        let (encoding, segments) = sms_encoding(&text);
        prop_assert!(segments >= 1);
        let units = match encoding {
            SmsEncoding::Gsm7 => 153,
            SmsEncoding::Ucs2 => 67,
        };
        let len = text.encode_utf16().count();
        prop_assert!((segments as usize) <= len / (units / 2) + 1);
    }
}

// ---------------------------------------------------------------------------------------------
// SMS.

#[test]
fn sms_encoding_and_segments() {
    let gsm_160 = "a".repeat(160);
    let gsm_161 = "a".repeat(161);
    let ucs_70 = "ã".repeat(70);
    let ucs_71 = "ã".repeat(71);
    let euro_80 = "€".repeat(80); // 160 septets
    let euro_81 = "€".repeat(81); // 162 septets: 76 escapes fit in 153, so 2 segments
    let cases: Vec<(&str, SmsEncoding, u32)> = vec![
        ("", SmsEncoding::Gsm7, 1),
        (
            "Hola Ana, su pago vence el 15/12/2026.",
            SmsEncoding::Gsm7,
            1,
        ),
        (
            "Señor Muñoz, ¿pagaste? Ñandu à è é ù ì ò Ç Ø ø Å å Ä Ö Ñ Ü § ¿ ä ö ñ ü",
            SmsEncoding::Gsm7,
            1,
        ),
        (
            "Responda SAIR para não receber mais mensagens.",
            SmsEncoding::Ucs2,
            1,
        ),
        (
            "Responde BAJA para no recibir más mensajes.",
            SmsEncoding::Ucs2,
            1,
        ),
        ("¿Cuánto?", SmsEncoding::Ucs2, 1),
        ("Você", SmsEncoding::Ucs2, 1),
        ("ação", SmsEncoding::Ucs2, 1),
        ("{[~]}|^\\", SmsEncoding::Gsm7, 1),
        (gsm_160.as_str(), SmsEncoding::Gsm7, 1),
        (gsm_161.as_str(), SmsEncoding::Gsm7, 2),
        (ucs_70.as_str(), SmsEncoding::Ucs2, 1),
        (ucs_71.as_str(), SmsEncoding::Ucs2, 2),
        (euro_80.as_str(), SmsEncoding::Gsm7, 1),
        (euro_81.as_str(), SmsEncoding::Gsm7, 2),
    ];
    for (text, encoding, segments) in cases {
        assert_eq!(sms_encoding(text), (encoding, segments), "{text}");
    }
    let long_gsm = "a".repeat(306);
    assert_eq!(sms_encoding(&long_gsm), (SmsEncoding::Gsm7, 2));
    assert_eq!(sms_encoding(&"a".repeat(307)), (SmsEncoding::Gsm7, 3));
    assert_eq!(sms_encoding(&"ç".repeat(134)), (SmsEncoding::Ucs2, 2));
    assert_eq!(sms_encoding(&"ç".repeat(135)), (SmsEncoding::Ucs2, 3));
    // An emoji is two UTF-16 units: 35 fill one message, 36 need two.
    assert_eq!(sms_encoding(&"😀".repeat(35)), (SmsEncoding::Ucs2, 1));
    assert_eq!(sms_encoding(&"😀".repeat(36)), (SmsEncoding::Ucs2, 2));
    // A 2-septet character is not split: 152 + '€' does not fit in 153.
    let split = format!("{}€{}", "a".repeat(152), "a".repeat(10));
    assert_eq!(sms_encoding(&split), (SmsEncoding::Gsm7, 2));
}
