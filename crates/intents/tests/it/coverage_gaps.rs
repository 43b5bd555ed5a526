//! Issue 8 cells that no other test asserts: a past date in Portuguese (and the three languages
//! end to end), the issue's own negation example, "cancelar la deuda" in PE and CL, the slang
//! words not reached elsewhere (blz, plata, pq, tb, po), quoted history in English ("On … wrote:")
//! and Portuguese ("Em … escreveu:") with trap words in the quote, a signature footer, and the
//! legal wording (cease and desist, habeas data) through the whole classifier.

use crate::fixtures::today;
use Intent::*;
use chrono::NaiveDate;
use recaudo_intents::{Intent, classify};

#[track_caller]
fn check(cases: &[(&str, Intent, Option<NaiveDate>)]) {
    let mut wrong = Vec::new();
    for (text, want, date) in cases {
        let c = classify(text, today());
        if c.intent != *want || c.date != *date {
            wrong.push(format!(
                "{text:?}: want {want} {date:?}, got {} {:?} {:?}",
                c.intent, c.date, c.explain
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

fn d(m: u32, dd: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(2026, m, dd)
}

#[test]
fn a_past_date_is_never_a_promise_in_any_language() {
    check(&[
        ("ya pagué el 3", AlreadyPaid, None),
        ("paguei dia 3", AlreadyPaid, None),
        ("já paguei na sexta passada", AlreadyPaid, None),
        ("I paid on the 3rd", AlreadyPaid, None),
    ]);
}

#[test]
fn the_issues_own_negation_is_not_a_promise() {
    for text in [
        "no creo que pueda el lunes",
        "no creo que pueda pagar el lunes",
    ] {
        let c = classify(text, today());
        assert_ne!(c.intent, PromiseToPay, "{text}: {:?}", c.explain);
        assert_eq!(c.date, None, "{text}");
    }
}

#[test]
fn cancelar_la_deuda_is_paying_in_pe_and_cl_too() {
    check(&[
        // Chile.
        (
            "el viernes cancelo la deuda po, al tiro",
            PromiseToPay,
            d(11, 27),
        ),
        // Peru.
        (
            "mañana cancelo toda la deuda por yape",
            PromiseToPay,
            d(11, 26),
        ),
        (
            "el 15 cancelo la deuda completa, causa",
            PromiseToPay,
            d(12, 15),
        ),
    ]);
}

#[test]
fn slang_not_reached_elsewhere() {
    check(&[
        ("blz, pago amanhã", PromiseToPay, d(11, 26)),
        ("no tengo plata, no puedo pagar", Hardship, None),
        ("pq vcs me ligam? nao devo nada", Dispute, None),
        ("vc tb me manda o boleto?", PaymentLink, None),
        ("al tiro te transfiero po", PromiseToPay, Some(today())),
    ]);
}

#[test]
fn quoted_history_in_english_and_portuguese_is_cut() {
    check(&[
        (
            "Thanks, I will pay on the 15th.\n\nOn Mon, Nov 23, 2026 at 9:00 AM Billing \
             <b@x.com> wrote:\n> Please stop ignoring us. Unsubscribe here.",
            PromiseToPay,
            d(12, 15),
        ),
        (
            "Pago dia 10.\n\nEm seg., 23 de nov. de 2026 às 09:00, Cobrança <c@x.com> \
             escreveu:\n> Para não receber mais mensagens responda SAIR",
            PromiseToPay,
            d(12, 10),
        ),
        (
            "Ya pagué.\n\n-- \nJuan Pérez\nGerente\nPara dejar de recibir estos mensajes \
             responda BAJA",
            AlreadyPaid,
            None,
        ),
    ]);
}

#[test]
fn legal_wording_end_to_end() {
    check(&[
        (
            "Cease and desist all communication with me regarding this account.",
            OptOut,
            None,
        ),
        (
            "Solicito por habeas data que eliminen mis datos de su base",
            OptOut,
            None,
        ),
        (
            "Conforme a LGPD, exijo que apaguem meus dados",
            OptOut,
            None,
        ),
    ]);
}
