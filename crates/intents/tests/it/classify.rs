//! The classifier end to end ([`recaudo_intents::classify`]): every intent in every language,
//! the traps of issue 8, the priority order, messy writing, and bad input. The messages here
//! are written for these tests, not taken from the corpus.

use crate::fixtures::today;
use chrono::NaiveDate;
use proptest::prelude::*;
use recaudo_intents::{Intent, Lang, classify};

#[track_caller]
fn check(cases: &[(&str, Intent)]) {
    let mut wrong = Vec::new();
    for (text, want) in cases {
        let c = classify(text, today());
        if c.intent != *want {
            wrong.push(format!(
                "{text:?}: want {want}, got {} {:?}",
                c.intent, c.explain
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

use Intent::*;

#[test]
fn spanish() {
    check(&[
        ("no me contacten más", OptOut),
        ("BAJA por favor", OptOut),
        ("dejen de mandarme mensajes", OptOut),
        ("bórrenme de su lista", OptOut),
        (
            "este número ya no es de Carlos, me lo asignaron hace un mes",
            WrongPerson,
        ),
        ("se equivocaron, yo no soy la señora Pérez", WrongPerson),
        ("mi hermano falleció en marzo, era su cuenta", WrongPerson),
        ("yo nunca pedí ese crédito", Dispute),
        ("me llegó un cobro duplicado este mes", Dispute),
        (
            "quiero que me muestren el contrato, no reconozco esa deuda",
            Dispute,
        ),
        ("ya hice la transferencia esta mañana", AlreadyPaid),
        (
            "pagué el martes en el banco, tengo el comprobante",
            AlreadyPaid,
        ),
        ("te transferí todo el lunes, fijate", AlreadyPaid),
        ("el próximo viernes le pago", PromiseToPay),
        ("pago el 5 de diciembre sin falta", PromiseToPay),
        ("cuando me paguen el sueldo le deposito", PromiseToPay),
        ("perdí el trabajo y no tengo cómo pagar", Hardship),
        ("¿puedo pagar la deuda en cuotas más pequeñas?", Hardship),
        ("¿me hacen un descuento si pago de contado?", Hardship),
        ("¿me mandan el link de pago?", PaymentLink),
        ("pásame la CLABE para depositar", PaymentLink),
        ("¿dónde puedo pagar en efectivo?", PaymentLink),
        ("quiero hablar con una persona", Human),
        ("llámenme al celular por favor", Human),
        ("necesito hablar con un asesor", Human),
        ("hola buenas tardes", Other),
        ("gracias por avisar", Other),
        ("¿de dónde sacaron mi número?", Other),
    ]);
}

#[test]
fn portuguese() {
    check(&[
        ("não me mandem mais mensagens", OptOut),
        ("parem de me ligar", OptOut),
        ("quero me descadastrar", OptOut),
        ("SAIR", OptOut),
        ("vocês ligaram pra pessoa errada", WrongPerson),
        ("minha mãe faleceu no mês passado", WrongPerson),
        ("número errado, não sou a Patrícia", WrongPerson),
        ("nunca contratei esse plano", Dispute),
        ("essa dívida não é minha", Dispute),
        ("fui cobrado duas vezes no mesmo mês", Dispute),
        ("já paguei o boleto ontem", AlreadyPaid),
        ("fiz o pix agora há pouco", AlreadyPaid),
        ("a conta já foi quitada", AlreadyPaid),
        ("amanhã eu faço o pix", PromiseToPay),
        ("dia 10 eu pago o boleto", PromiseToPay),
        ("quando cair meu salário eu pago", PromiseToPay),
        ("estou desempregado, não consigo pagar", Hardship),
        ("dá pra parcelar em 6 vezes?", Hardship),
        ("preciso de mais tempo pra pagar", Hardship),
        ("me manda o boleto atualizado", PaymentLink),
        ("qual é a chave pix?", PaymentLink),
        ("como eu faço pra pagar?", PaymentLink),
        ("quero falar com um atendente", Human),
        ("alguém pode me ligar?", Human),
        ("preciso falar com uma pessoa de verdade", Human),
        ("bom dia", Other),
        ("quem está falando?", Other),
        ("obrigado pelo aviso", Other),
    ]);
}

#[test]
fn english() {
    check(&[
        ("please stop contacting me", OptOut),
        ("remove me from this list", OptOut),
        ("I don't want any more calls", OptOut),
        ("UNSUBSCRIBE", OptOut),
        ("you have the wrong number", WrongPerson),
        ("my father passed away last month", WrongPerson),
        ("I'm his sister, he doesn't live here", WrongPerson),
        ("I never opened this account", Dispute),
        ("you charged me twice this month", Dispute),
        ("this is not my debt", Dispute),
        ("I already paid this last week", AlreadyPaid),
        ("paid it this morning through zelle", AlreadyPaid),
        ("I mailed the check on Monday", AlreadyPaid),
        ("I'll pay next Friday", PromiseToPay),
        ("I can pay on the 10th", PromiseToPay),
        ("will pay when I get my paycheck", PromiseToPay),
        ("I lost my job and can't pay", Hardship),
        ("can I set up a payment plan?", Hardship),
        ("I need more time to pay", Hardship),
        ("can you send me the payment link?", PaymentLink),
        ("where do I send the money?", PaymentLink),
        ("can I pay with a credit card?", PaymentLink),
        ("I want to talk to a person", Human),
        ("please call me tomorrow", Human),
        ("I need to speak to a manager", Human),
        ("hello", Other),
        ("who is this?", Other),
        ("thanks for letting me know", Other),
    ]);
}

#[test]
fn the_language_comes_from_the_text() {
    for (text, lang) in [
        ("ya te pagué, no me molestes más", Lang::Es),
        ("já paguei, para de me ligar", Lang::Pt),
        ("I paid already, stop calling", Lang::En),
        ("vc tb vai me ligar amanhã?", Lang::Pt),
    ] {
        assert_eq!(classify(text, today()).lang, lang, "{text}");
    }
}

#[test]
fn traps() {
    check(&[
        // Negation and refusal are not promises.
        ("no sé si pueda pagar el viernes", Hardship),
        ("I won't be able to pay on Monday", Hardship),
        ("não vou conseguir pagar na sexta", Hardship),
        // Irony is not a promise.
        ("sí claro, te pago cuando me saque la lotería", Other),
        ("I'll pay when hell freezes over", Other),
        ("pago sim, no dia de são nunca", Other),
        // "cancelar la deuda" is paying it in CO, PE, CL.
        ("mañana cancelo la deuda por Nequi", PromiseToPay),
        ("el viernes cancelo el total, parce", PromiseToPay),
        // "baja" / "stop" inside another meaning.
        ("di de baja el servicio y me siguen cobrando", Dispute),
        (
            "me dieron de baja la línea y me sigue llegando la factura",
            Dispute,
        ),
        ("don't stop these reminders, they help me", Other),
        ("no paren los avisos, me sirven", Other),
        ("não parem de me avisar, senão eu esqueço", Other),
        ("stop charging me for a plan I cancelled", Dispute),
    ]);
}

#[test]
fn priority_order() {
    check(&[
        // An opt-out inside an angry dispute is an opt-out.
        (
            "ESTO ES UN ROBO, esa deuda no es mía y no me vuelvan a escribir",
            OptOut,
        ),
        ("I paid already so stop calling me", OptOut),
        ("Wrong number. Stop.", OptOut),
        ("paguei ontem, agora parem de mandar mensagem", OptOut),
        // Dispute before promise.
        ("It's not my debt, but I'll pay Friday to end this", Dispute),
        ("no es mi deuda pero igual la pago el viernes", Dispute),
        // Dispute before already paid.
        ("I paid but you charged me twice", Dispute),
        // Promise before payment link.
        ("send me the link, I'll pay friday", PromiseToPay),
        ("mándame el link y mañana te pago", PromiseToPay),
        // Hardship before human.
        ("call me, I need a payment plan", Hardship),
    ]);
}

#[test]
fn messy_writing() {
    check(&[
        ("YA PAGUÉ AYER!!!!", AlreadyPaid),
        ("yaaaa pagueeeee 😡😡", AlreadyPaid),
        ("xq me siguen cobrando algo q no debo??", Dispute),
        ("mñn t pago x nequi wey", PromiseToPay),
        ("vc pode me mandar o boleto pfv", PaymentLink),
        ("amanhãaaa eu pagoooo 🙏", PromiseToPay),
        ("pls call me tmrw", Human),
        ("STOPPPPP", OptOut),
        ("ill pay u on fri", PromiseToPay),
        ("che, pasame el CBU así te transfiero", PaymentLink),
        ("no tengo lana wn, no me alcanza", Hardship),
        ("sem grana nenhuma, não dá pra pagar agora", Hardship),
    ]);
}

#[test]
fn long_emails_with_history_and_signature() {
    let mail = "Buenos días,\n\nLes informo que el pago de la factura 8812 se realizó ayer por \
                transferencia. Adjunto el comprobante.\n\nSaludos cordiales,\nMaría Fernanda \
                Rojas\nJefa de Tesorería\nDistribuidora Andina S.A.\n\nEl lun, 23 nov 2026 a \
                las 9:00, Cobranzas <cobranzas@recaudo.com> escribió:\n> Estimado cliente, su \
                factura vence hoy.\n> Si ya pagó, desconsidere este mensaje.\n> Para pagar, \
                use el siguiente link.";
    check(&[(mail, AlreadyPaid)]);
    let en = "Hi,\n\nWe will pay invoice 4410 on December 4 via ACH.\n\nBest,\nTom\n\n\
              -----Original Message-----\nFrom: Billing\nSent: Monday\nPlease stop ignoring \
              our reminders and pay now.";
    let c = classify(en, today());
    assert_eq!(c.intent, PromiseToPay, "{:?}", c.explain);
    let pt = "Prezados,\n\nConforme a LGPD, solicito a exclusão dos meus dados e que não \
              entrem mais em contato.\n\nAtt.,\nRenata\nEnviado do meu iPhone";
    check(&[(pt, OptOut)]);
}

#[test]
fn a_promise_has_its_date_and_nothing_else_has_one() {
    let c = classify("te pago el viernes", today());
    assert_eq!(c.intent, PromiseToPay);
    assert_eq!(c.date, NaiveDate::from_ymd_opt(2026, 11, 27));
    let c = classify("I'll pay on the 10th", today());
    assert_eq!(c.intent, PromiseToPay);
    assert_eq!(c.date, NaiveDate::from_ymd_opt(2026, 12, 10));
    let c = classify("ya pagué el viernes", today());
    assert_eq!(c.intent, AlreadyPaid);
    assert_eq!(c.date, None);
}

#[test]
fn explain_says_what_decided() {
    let rule = classify("STOP", today());
    assert!(
        rule.explain.iter().any(|e| e.contains("rule")),
        "{:?}",
        rule.explain
    );
    let model = classify("mañana te deposito", today());
    assert!(
        model.explain.iter().any(|e| e.starts_with("model:")),
        "{:?}",
        model.explain
    );
    assert!((0.0..=1.0).contains(&model.confidence));
}

#[test]
fn bad_input_gets_an_answer() {
    for text in [
        "",
        "   ",
        "\n\t\r\n",
        "\u{0}\u{1}\u{7f}",
        "🙏",
        "👍👍",
        "?!...",
        "\u{200b}",
    ] {
        let c = classify(text, today());
        assert_eq!(c.intent, Other, "{text:?}");
        assert_eq!(c.confidence, 1.0, "{text:?}");
        assert_eq!(c.date, None);
    }
    // 1 MB of text, of one word repeated, of one letter, and of digits.
    for big in [
        "pago mañana ".repeat(90_000),
        "a".repeat(1 << 20),
        "9".repeat(1 << 20),
        "STOP ".repeat(200_000),
    ] {
        let c = classify(&big, today());
        assert!((0.0..=1.0).contains(&c.confidence));
    }
    // Random bytes made into a string.
    let mut x: u64 = 0x1234_5678_9abc_def0;
    let bytes: Vec<u8> = (0..100_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let text = String::from_utf8_lossy(&bytes);
    let _ = classify(&text, today());
    // Control characters around words.
    let _ = classify("\u{1b}[31mSTOP\u{1b}[0m\u{0}\u{8}", today());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn classify_never_panics(text in "\\PC{0,300}") {
        let c = classify(&text, today());
        prop_assert!((0.0..=1.0).contains(&c.confidence));
        prop_assert!(c.date.is_none() || c.intent == PromiseToPay);
    }

    #[test]
    fn classify_never_panics_on_reply_like_text(
        words in proptest::collection::vec(
            prop_oneof![
                Just("no"), Just("me"), Just("pago"), Just("stop"), Just("ya"), Just("el"),
                Just("viernes"), Just("não"), Just("liguem"), Just("call"), Just("link"),
                Just("baja"), Just("😡"), Just("?"), Just("..."), Just("\n> "), Just("--\n"),
                Just("15/12"), Just("mañana"), Just("I'll"), Just("never"),
            ],
            0..40,
        )
    ) {
        let text = words.join(" ");
        let a = classify(&text, today());
        let b = classify(&text, today());
        prop_assert_eq!(a, b);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn features_are_sorted_distinct_in_range_and_unit_length(text in "\\PC{0,200}") {
        let n = recaudo_intents::normalize::normalize(&text);
        let lang = recaudo_intents::lang::detect(&n);
        let f = recaudo_intents::features::extract(&n, lang);
        prop_assert!(f.idx.windows(2).all(|p| p[0] < p[1]));
        prop_assert!(f.idx.iter().all(|&i| (i as usize) < recaudo_intents::features::DIM));
        let norm: f32 = f.val.iter().map(|v| v * v).sum();
        prop_assert!((norm - 1.0).abs() < 1e-3);
    }
}

#[test]
fn evaluation_figures_hold_together() {
    use recaudo_intents::corpus::{self, Example, Split};
    use recaudo_intents::model::{Model, TrainConfig};
    let all = corpus::shipped().unwrap();
    let train: Vec<&Example> = all
        .iter()
        .filter(|e| e.split == Split::Train)
        .step_by(4)
        .collect();
    let cfg = TrainConfig {
        epochs: 3,
        average_from: 1,
        ..TrainConfig::default()
    };
    let cv = recaudo_intents::cross_validate(&train, 3, 1, &cfg);
    assert_eq!(cv.total, train.len());
    assert_eq!(cv.confusion.iter().flatten().sum::<usize>(), train.len());
    assert_eq!(cv.correct + cv.misses.len(), cv.total);
    let support: usize = cv.per_class.iter().map(|c| c.support).sum();
    assert_eq!(support, train.len());
    assert!(cv.per_lang.iter().map(|(_, n, _)| n).sum::<usize>() == train.len());
    let model = Model::train_with(&train, 1, &cfg);
    let ev = recaudo_intents::evaluate(&model, &train);
    let md = ev.to_markdown();
    assert!(
        md.contains("Accuracy:") && md.contains("rows = truth"),
        "{md}"
    );
}
