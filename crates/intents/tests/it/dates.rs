//! Promised dates: the corpus's promises, the rules per language with their traps, and any
//! input never panics nor gives a past date.

use chrono::{Days, NaiveDate};
use proptest::prelude::*;
use recaudo_intents::corpus::{self, CORPUS_TODAY};
use recaudo_intents::dates::{self, promised_date};
use recaudo_intents::normalize::normalize;
use recaudo_intents::{Intent, Lang};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid date")
}

/// The corpus's today, a Wednesday, and the days around it.
const W: NaiveDate = CORPUS_TODAY;

fn d(m: u32, dd: u32) -> Option<NaiveDate> {
    Some(day(2026, m, dd))
}

/// Checks a table of (text, expected) against one language and one today.
fn check(lang: Lang, today: NaiveDate, cases: &[(&str, Option<NaiveDate>)]) {
    let mut wrong = Vec::new();
    for (text, want) in cases {
        let got = promised_date(&normalize(text), lang, today);
        if got.as_ref().map(|f| f.date) != *want {
            wrong.push(format!(
                "  {lang} today={today} {text:?}: want {want:?}, got {got:?}"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn the_corpus_promises_get_their_dates() {
    let all = corpus::shipped().unwrap_or_else(|e| panic!("{e}"));
    let promises: Vec<_> = all
        .iter()
        .filter(|e| e.intent == Intent::PromiseToPay)
        .collect();
    let mut misses = Vec::new();
    for e in &promises {
        let got = promised_date(&normalize(&e.text), e.lang, e.today);
        if got.as_ref().map(|f| f.date) != e.date {
            misses.push(format!(
                "  {} (today {}) {:?}\n    expected {:?}, got {:?}",
                e.source, e.today, e.text, e.date, got
            ));
        }
    }
    let right = promises.len() - misses.len();
    let share = right as f64 / promises.len() as f64;
    println!(
        "promised dates: {right}/{} right ({:.1} %)",
        promises.len(),
        share * 100.0
    );
    for m in &misses {
        println!("{m}");
    }
    assert!(
        share >= 0.90,
        "only {:.1} % right; misses:\n{}",
        share * 100.0,
        misses.join("\n")
    );
}

#[test]
fn spanish() {
    let today = Some(W);
    let jan = |dd| Some(day(2027, 1, dd));
    check(
        Lang::Es,
        W,
        &[
            // Today, tomorrow, the day after; "la mañana" is the morning.
            ("hoy te pago", today),
            ("hoy mismo cancelo", today),
            ("te pago mañana", d(11, 26)),
            ("MAÑANAAAA te pago", d(11, 26)),
            ("mñn t pago x nequi", d(11, 26)),
            ("mañana en la mañana te pago", d(11, 26)),
            ("el lunes en la mañana te pago", d(11, 30)),
            ("te deposito por la mañana", None),
            ("esta mañana pago", today),
            ("pasado mañana te deposito", d(11, 27)),
            ("el día de mañana realizaremos el pago", d(11, 26)),
            ("ahorita le deposito", today),
            ("al tiro te transfiero po", today),
            ("al toque te yapeo, dame 5 min", today),
            ("ahora mismo te pago", today),
            ("dame 10 minutos y te pago", today),
            ("el domingo te plineo al toque", d(11, 29)),
            // Weekdays: after today; next week's.
            ("el viernes te pago", d(11, 27)),
            ("el miércoles te pago", d(12, 2)),
            ("vie te pago", d(11, 27)),
            ("LUNES PAGO TODO", d(11, 30)),
            ("el próximo lunes", d(11, 30)),
            ("el lunes que viene cancelo", d(11, 30)),
            ("este sábado pago", d(11, 28)),
            ("este miércoles pago", today),
            ("el viernes de la otra semana", d(12, 4)),
            ("el viernes de la semana que viene", d(12, 4)),
            ("la semana que viene el jueves te pago", d(12, 3)),
            ("el otro martes te pago", d(12, 8)),
            ("el martes o el miércoles te pago", d(12, 1)),
            (
                "el viernes pasado pagué la mitad, el resto el 15",
                d(12, 15),
            ),
            ("después del viernes te pago", None),
            // Day of the month.
            ("el 15 te pago", d(12, 15)),
            ("el día 15 te pago", d(12, 15)),
            ("el 26 pago", d(11, 26)),
            ("le pago el 25 que es cuando me cae el sueldo", d(12, 25)),
            ("el 31 pago", d(12, 31)),
            ("el 15 de este mes pago", d(12, 15)),
            ("el 5 del mes que viene pago", d(12, 5)),
            ("el primero de diciembre", d(12, 1)),
            ("te pago el primero", d(12, 1)),
            ("el 12 pago la mensualidad", d(12, 12)),
            ("cuando me paguen el 15 te pago", d(12, 15)),
            ("la semana del 14 te pago", None),
            ("después del 15 te pago", None),
            // Weekday and day.
            ("el lunes 30 hago la transferencia", d(11, 30)),
            ("el jueves 3 deposito", d(12, 3)),
            ("el martes 1 cancelo", d(12, 1)),
            ("el sábado 5 de diciembre te pago", d(12, 5)),
            ("el pago se hizo el lunes 23", None),
            // Explicit dates.
            ("el 3 de diciembre deposito", d(12, 3)),
            ("3 de diciembre", d(12, 3)),
            ("el 15 de enero pago", jan(15)),
            ("el 2 de enero pago todo despues de las fiestas", jan(2)),
            ("te pago el 3/12", d(12, 3)),
            ("el 03/12/2026", d(12, 3)),
            ("pago el 2026-12-03", d(12, 3)),
            ("les pago el 10/01", jan(10)),
            ("diciembre 3 de 2026 pago", d(12, 3)),
            ("el 25 de noviembre pago", today),
            ("la factura del 15 de octubre la pago", None),
            ("el 4 de diciembre de 2025", None),
            // End of month, quincena.
            ("a fin de mes te cancelo", d(11, 30)),
            ("fin de mes", d(11, 30)),
            ("a finales de mes", d(11, 30)),
            ("a fin del mes que viene", d(12, 31)),
            ("el fin de semana te pago", None),
            ("en la quincena te deposito", d(11, 30)),
            ("cuando me paguen la quincena le abono", d(11, 30)),
            ("le pago en la próxima quincena", d(11, 30)),
            // Relative.
            ("en 3 días te pago", d(11, 28)),
            ("dentro de una semana te pago", d(12, 2)),
            ("en una semana pago", d(12, 2)),
            ("de hoy en ocho te pago", d(12, 2)),
            ("en 8 días a partir de hoy", d(12, 3)),
            ("en 2 o 3 días te pago", None),
            ("en unos días te pago", None),
            ("en un mes te pago", None),
            ("en 48 horas te pago", d(11, 27)),
            ("el viernes 3/4 de la deuda", d(11, 27)),
            // Vague.
            ("la semana que viene te pago", None),
            ("esta semana cancelo", None),
            ("este mes pago", None),
            ("pronto le pago", None),
            ("cuando pueda te pago", None),
            ("cuando me paguen", None),
            ("a mediados de mes pago", None),
            ("a principios de diciembre pago", None),
            ("el mes que viene me pongo al día", None),
            ("en la semana te yapeo", None),
            ("hoy en día es difícil, pero voy a pagar", None),
            // Several dates.
            ("la mitad el viernes y el resto el 15", d(11, 27)),
            ("el 15 pago la mitad y el resto en enero", d(12, 15)),
            // Numbers that are not days.
            ("te pago 500 el viernes", d(11, 27)),
            ("te pago $200", None),
            ("el 20 mil te lo deposito", None),
            ("te pago en 3 cuotas", None),
            ("a las 3 te pago", None),
            ("te pago hoy a las 3:30", today),
            ("el 10% lo pago", None),
            ("el 20 por ciento lo pago", None),
            ("te pago el 1,500", None),
            ("llámame al 3001234567", None),
            ("la factura 2291 la pago", None),
            ("la factura F-2291 de octubre", None),
            ("pago 1/2 de la deuda", None),
            ("atención 24/7", None),
            // Clauses that deny or set a condition.
            ("hoy no puedo, el viernes sí", d(11, 27)),
            ("el miércoles le pago, hoy ya no alcanzo", d(12, 2)),
            (
                "el lunes te transfiero, me agarraste sin saldo hoy",
                d(11, 30),
            ),
            ("hoy no alcanzo", None),
            ("no puedo pagar hasta el 15", d(12, 15)),
            ("si me pagan el viernes, el sábado te deposito", d(11, 28)),
            ("si todo sale bien el lunes pago", d(11, 30)),
            ("el viernes sin falta", d(11, 27)),
            ("no te preocupes el lunes te pago", d(11, 30)),
            ("el viernes si o si te pago", d(11, 27)),
        ],
    );
}

#[test]
fn spanish_other_todays() {
    // The month's last day.
    let nov30 = day(2026, 11, 30);
    check(
        Lang::Es,
        nov30,
        &[
            ("a fin de mes", Some(nov30)),
            ("en la quincena", d(12, 15)),
            ("el 30", d(12, 30)),
            ("el 31", d(12, 31)),
            ("mañana", d(12, 1)),
            ("el lunes", d(12, 7)),
            ("este lunes", Some(nov30)),
        ],
    );
    // The 15th.
    let nov15 = day(2026, 11, 15);
    check(
        Lang::Es,
        nov15,
        &[
            ("en la quincena", d(11, 30)),
            ("el 15", d(12, 15)),
            ("el 16", d(11, 16)),
            ("fin de mes", d(11, 30)),
        ],
    );
    // 31 December: January of the next year.
    let dec31 = day(2026, 12, 31);
    let jan = |dd| Some(day(2027, 1, dd));
    check(
        Lang::Es,
        dec31,
        &[
            ("mañana", jan(1)),
            ("pasado mañana", jan(2)),
            ("el 5", jan(5)),
            ("el viernes", jan(1)),
            ("fin de mes", Some(dec31)),
            ("la quincena", jan(15)),
            ("el 31", jan(31)),
            ("el 2 de enero", jan(2)),
            ("el 3/1", jan(3)),
            ("en 3 días", jan(3)),
            ("el 31 de diciembre", Some(dec31)),
            ("el 30 de diciembre", None),
        ],
    );
    // 29 February 2028, a Tuesday.
    let feb29 = day(2028, 2, 29);
    let mar = |dd| Some(day(2028, 3, dd));
    check(
        Lang::Es,
        feb29,
        &[
            ("fin de mes", Some(feb29)),
            ("mañana", mar(1)),
            ("el 29", mar(29)),
            ("el 30", mar(30)),
            ("el 31", mar(31)),
            ("la quincena", mar(15)),
            ("el 29/2", Some(feb29)),
            ("el 29 de febrero", Some(feb29)),
            ("el miércoles", mar(1)),
            ("el martes", mar(7)),
        ],
    );
    // A 29 February asked for from a year without one.
    check(Lang::Es, W, &[("el 29/02", Some(day(2028, 2, 29)))]);
}

#[test]
fn portuguese() {
    let today = Some(W);
    check(
        Lang::Pt,
        W,
        &[
            ("vou pagar hoje ainda", today),
            ("hj pago", today),
            ("amanhã eu pago", d(11, 26)),
            ("amanhãaaa eu pagoooo", d(11, 26)),
            ("amnhã pagoo", d(11, 26)),
            ("amanha de manha pago o boleto", d(11, 26)),
            ("depois de amanhã faço o pix", d(11, 27)),
            ("ja to indo pagar agora", today),
            ("agora consigo pagar dia 10", d(12, 10)),
            ("vou fazer o pix daqui a pouco", today),
            ("pago hoje à noite", today),
            // Weekdays.
            ("pago na sexta sem falta", d(11, 27)),
            ("vou pagar sexta-feira", d(11, 27)),
            ("quarta pago", d(12, 2)),
            ("terça-feira consigo pagar", d(12, 1)),
            ("segunda que vem eu acerto", d(11, 30)),
            ("na próxima segunda eu pago", d(11, 30)),
            ("sexta da semana que vem eu pago", d(12, 4)),
            ("semana que vem na quinta eu pago", d(12, 3)),
            ("na outra sexta eu pago", d(12, 4)),
            ("sábado de manhã eu pago", d(11, 28)),
            ("sabadão pago vc", d(11, 28)),
            ("2ª feira eu pago", d(11, 30)),
            ("essa quarta eu pago", today),
            ("até segunda eu pago", d(11, 30)),
            ("a segunda parcela eu pago dia 10", d(12, 10)),
            ("pago a segunda parcela", None),
            ("sexta passada paguei metade, o resto dia 15", d(12, 15)),
            ("depois de sexta eu pago", None),
            // Day of the month.
            ("dia 5 eu pago", d(12, 5)),
            ("no dia 10 pago", d(12, 10)),
            ("dia 25 eu pago", d(12, 25)),
            ("dia 31 eu pago", d(12, 31)),
            ("dia primeiro eu te pago", d(12, 1)),
            ("no dia 1º de dezembro efetuo o pagamento", d(12, 1)),
            ("dia 5 do mês que vem", d(12, 5)),
            ("meu salário cai dia 5, aí eu pago", d(12, 5)),
            ("o 13º cai dia 18 e eu quito", d(12, 18)),
            ("pago a primeira parcela dia 15", d(12, 15)),
            ("depois do dia 15 eu pago", None),
            ("sábado dia 28 acerto tudo", d(11, 28)),
            ("segunda dia 14 eu pago", d(12, 14)),
            ("Sexta-feira (27) efetuo o pagamento.", d(11, 27)),
            ("eu pago quarta, dia 2", d(12, 2)),
            // Explicit dates.
            ("vou pagar no dia 3 de dezembro", d(12, 3)),
            ("9 de dezembro", d(12, 9)),
            ("dia 10 de janeiro eu quito", Some(day(2027, 1, 10))),
            ("pago 10/12", d(12, 10)),
            ("efetuarei o pagamento no dia 04/12/2026", d(12, 4)),
            // End of month, quinzena, payday.
            ("pago no fim do mês", d(11, 30)),
            ("no final do mês eu pago", d(11, 30)),
            ("até o último dia do mês eu pago", d(11, 30)),
            ("fim do mês que vem eu pago", d(12, 31)),
            ("no fim de semana eu pago", None),
            ("até o fim da semana que vem", None),
            ("quando receber a quinzena eu pago", d(11, 30)),
            ("quando cair o salário eu pago", None),
            // Relative.
            ("daqui a 3 dias eu pago", d(11, 28)),
            ("em 2 dias eu pago", d(11, 27)),
            ("daqui a uma semana", d(12, 2)),
            ("em 2 parcelas eu pago", None),
            ("em alguns dias eu pago", None),
            // Vague.
            ("semana que vem sem falta", None),
            ("quando der eu pago", None),
            ("vou pagar esse mês ainda", None),
            ("pagarei em breve", None),
            ("em dezembro eu pago", None),
            ("no começo do mês que vem eu pago", None),
            ("hoje em dia tá difícil, mas vou pagar", None),
            // Several dates.
            ("metade na sexta e o resto dia 15", d(11, 27)),
            ("dia 5 pago 200 e dia 20 o restante", d(12, 5)),
            // Numbers that are not days.
            ("R$ 150 amanhã", d(11, 26)),
            ("pago R$ 15", None),
            ("pago 20 mil", None),
            ("pago às 15h", None),
            ("pago em 3 vezes", None),
            ("meu telefone é 11 99999-1234", None),
            ("a NF 4471 eu pago", None),
            // Clauses.
            ("hoje não dá, mas sexta eu pago", d(11, 27)),
            ("Se me mandar o boleto hoje, pago na sexta", d(11, 27)),
            ("não consigo antes do dia 10", d(12, 10)),
            ("não se preocupe, sexta eu pago", d(11, 27)),
        ],
    );
    let nov30 = day(2026, 11, 30);
    check(
        Lang::Pt,
        nov30,
        &[
            ("segunda que vem pago sem falta", d(12, 7)),
            ("no fim do mês", Some(nov30)),
            ("quando receber a quinzena", d(12, 15)),
            ("hoje à noite", Some(nov30)),
        ],
    );
    let dec31 = day(2026, 12, 31);
    check(
        Lang::Pt,
        dec31,
        &[
            ("amanhã eu pago", Some(day(2027, 1, 1))),
            ("dia 5", Some(day(2027, 1, 5))),
            ("fim do mês", Some(dec31)),
            ("quarta", Some(day(2027, 1, 6))),
        ],
    );
    let feb29 = day(2028, 2, 29);
    check(
        Lang::Pt,
        feb29,
        &[
            ("fim do mês", Some(feb29)),
            ("dia 30", Some(day(2028, 3, 30))),
            ("dia 29", Some(day(2028, 3, 29))),
            ("amanhã", Some(day(2028, 3, 1))),
        ],
    );
}

#[test]
fn english() {
    let today = Some(W);
    check(
        Lang::En,
        W,
        &[
            ("I can pay it today after work", today),
            ("ill send it tonight", today),
            ("I'll pay tomorrow", d(11, 26)),
            ("I'll pay tmrw", d(11, 26)),
            ("gonna pay it tmr morning", d(11, 26)),
            ("2morrow for sure", d(11, 26)),
            ("will pay tomorowww", d(11, 26)),
            ("day after tomorrow ok?", d(11, 27)),
            ("paying right now", today),
            ("i'll do it rn", today),
            ("Give me an hour, I'll pay it", today),
            // Weekdays.
            ("I'll pay on Friday", d(11, 27)),
            ("on fri", d(11, 27)),
            ("half fri, rest on the 1st", d(11, 27)),
            ("thurs", d(11, 26)),
            ("Wed.", d(12, 2)),
            ("wednesday", d(12, 2)),
            ("this wednesday", today),
            ("this friday", d(11, 27)),
            ("next monday i promise", d(11, 30)),
            ("Wednesday of next week I'll have it", d(12, 2)),
            ("friday of next week", d(12, 4)),
            ("a week from friday", d(12, 4)),
            ("friday after next", d(12, 4)),
            ("next week friday", d(12, 4)),
            ("on sat", d(11, 28)),
            ("I sat down and I'll pay friday", d(11, 27)),
            ("the sun is out, I'll pay tomorrow", d(11, 26)),
            ("last friday I paid half, the rest on the 15th", d(12, 15)),
            ("after friday", None),
            ("payday is friday", d(11, 27)),
            ("Is your office open on Black Friday?", None),
            // Day of the month.
            ("the 1st", d(12, 1)),
            ("I'll pay on the 15th", d(12, 15)),
            ("Put me down for the 25th", d(12, 25)),
            ("I can pay on the 26th", d(11, 26)),
            ("the 31st", d(12, 31)),
            ("I get paid on the 1st", d(12, 1)),
            ("payment goes out the 9th", d(12, 9)),
            ("on the first", d(12, 1)),
            ("the first of next month", d(12, 1)),
            ("the 5th of next month", d(12, 5)),
            ("after the 15th", None),
            ("I'm paid the week of the 14th", None),
            ("right after Christmas, on the 26th", d(12, 26)),
            ("Monday the 30th I'll make the payment", d(11, 30)),
            ("Paid on Monday the 23rd", None),
            // Explicit dates.
            ("December 3", d(12, 3)),
            ("payment will go out Dec 3rd", d(12, 3)),
            ("I'll pay 12/3", d(12, 3)),
            ("scheduled for 12/03/2026", d(12, 3)),
            ("scheduled for 2026-12-03", d(12, 3)),
            ("1/5 is the soonest", Some(day(2027, 1, 5))),
            ("by Dec. 12", d(12, 12)),
            ("on December 4, 2026 via ACH", d(12, 4)),
            ("the 3rd of December", d(12, 3)),
            // End of month.
            ("end of the month", d(11, 30)),
            ("end of month for sure", d(11, 30)),
            ("will pay EOM", d(11, 30)),
            ("by the end of next month", d(12, 31)),
            ("this weekend", None),
            // Relative.
            ("in 3 days", d(11, 28)),
            ("I can pay it in two days", d(11, 27)),
            ("3 days from now", d(11, 28)),
            ("in a week", d(12, 2)),
            ("2 weeks from today", d(12, 9)),
            ("in a few days", None),
            ("in a couple of days", None),
            ("in a week or two", None),
            ("in a month", None),
            // Vague.
            ("I'll pay next week", None),
            ("this week", None),
            ("This month for sure", None),
            ("soon, I promise", None),
            ("gonna pay u back asap", None),
            ("mid december", None),
            ("I'll pay when I get paid", None),
            ("from now on I'll pay on time", None),
            // Several dates.
            (
                "I can do $50 this Friday and the rest on the 15th",
                d(11, 27),
            ),
            ("half now and half on the 15th", today),
            ("Now I can pay on the 15th", d(12, 15)),
            ("now I'll pay it", today),
            ("I'll pay $50 on the 1st and $50 on the 15th", d(12, 1)),
            // Numbers that are not days.
            ("I'll pay $200", None),
            ("i can pay 500", None),
            ("call me at 3pm", None),
            ("at 3:30", None),
            ("5k by friday", d(11, 27)),
            ("call me at 555-123-4567", None),
            ("invoice #15", None),
            ("in 3 payments", None),
            ("This is the 3rd time.", None),
            ("my 2nd payment", None),
            ("I'll pay the 2 invoices on the 15th", d(12, 15)),
            ("the 15 works for me", d(12, 15)),
            ("on the 15", d(12, 15)),
            ("I'll pay 15th", d(12, 15)),
            ("pay 1/2 of it", None),
            ("open 24/7", None),
            ("friday 20 bucks", d(11, 27)),
            // Clauses.
            ("Can't today, but I'll pay next Wednesday", d(12, 2)),
            ("I can't do Friday but Monday for sure", d(11, 30)),
            ("not until the 15th", d(12, 15)),
            ("no later than friday", d(11, 27)),
            ("I can't pay today", None),
            ("If my unemployment hits Tuesday I'll pay Tuesday", d(12, 1)),
            ("if my check clears tuesday, I'll pay wednesday", d(12, 2)),
            ("if you waive the fee i'll pay today", today),
        ],
    );
    let dec31 = day(2026, 12, 31);
    let jan = |dd| Some(day(2027, 1, dd));
    check(
        Lang::En,
        dec31,
        &[
            ("i'll pay tomorrow first thing", jan(1)),
            ("friday", jan(1)),
            ("the 2nd", jan(2)),
            ("end of month", Some(dec31)),
            ("1/5", jan(5)),
            ("dec 31", Some(dec31)),
        ],
    );
    let fri = day(2027, 1, 29);
    check(
        Lang::En,
        fri,
        &[
            ("end of the month, promise", Some(day(2027, 1, 31))),
            ("friday", Some(day(2027, 2, 5))),
            ("this friday", Some(fri)),
        ],
    );
    let feb29 = day(2028, 2, 29);
    check(
        Lang::En,
        feb29,
        &[
            ("eom", Some(feb29)),
            ("tomorrow", Some(day(2028, 3, 1))),
            ("the 29th", Some(day(2028, 3, 29))),
            ("2/29", Some(feb29)),
        ],
    );
    let nov15 = day(2026, 11, 15);
    check(
        Lang::En,
        nov15,
        &[("the 15th", d(12, 15)), ("sunday", d(11, 22))],
    );
}

#[test]
fn the_expression_is_the_words_that_gave_the_date() {
    for (lang, text, want) in [
        (Lang::Es, "te pago el viernes sin falta", "el viernes"),
        (Lang::Pt, "meu salário cai dia 5, aí eu pago", "dia 5"),
        (Lang::En, "I get paid on the 15th", "on the 15th"),
        (
            Lang::Es,
            "la mitad el viernes y el resto el 15",
            "el viernes",
        ),
        (
            Lang::Pt,
            "sexta da semana que vem eu pago",
            "sexta da semana que vem",
        ),
        (Lang::En, "payment scheduled for 12/03/2026", "12/03/2026"),
    ] {
        let got = promised_date(&normalize(text), lang, W).expect(text);
        assert_eq!(got.expression, want, "{text}");
    }
}

/// Words the scanner reacts to, to build texts that reach its rules.
fn vocabulary() -> Vec<String> {
    let mut out: Vec<String> = [
        "15",
        "1",
        "31",
        "29",
        "0",
        "00",
        "99",
        "2026",
        "1999",
        "3/12",
        "12/3",
        "29/2",
        "2026-12-03",
        "03.12.2026",
        "$",
        "R$",
        "%",
        ":",
        ",",
        ".",
        "/",
        "-",
        "#",
        "1st",
        "2nd",
        "13º",
        "1º",
        "🙏",
        "😂",
        "x",
        "no",
        "not",
        "si",
        "if",
        "y",
        "and",
        "hasta",
        "until",
        "after",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for lang in Lang::ALL {
        let t = dates::table(lang);
        out.extend(
            t.offsets
                .iter()
                .flat_map(|(p, _)| p.iter())
                .map(|s| s.to_string()),
        );
        out.extend(t.weekdays.iter().map(|(w, _)| w.to_string()));
        out.extend(t.months.iter().map(|(w, _)| w.to_string()));
        out.extend(t.number_words.iter().map(|(w, _)| w.to_string()));
        out.extend(
            t.day_prefixes
                .iter()
                .flat_map(|(p, _)| p.iter())
                .map(|s| s.to_string()),
        );
        out.extend(
            t.end_of_month
                .iter()
                .flat_map(|p| p.iter())
                .map(|s| s.to_string()),
        );
        out.extend(
            t.in_words
                .iter()
                .flat_map(|p| p.iter())
                .map(|s| s.to_string()),
        );
        out.extend(t.quincena.iter().map(|s| s.to_string()));
    }
    out
}

fn any_lang() -> impl Strategy<Value = Lang> {
    prop_oneof![Just(Lang::Es), Just(Lang::Pt), Just(Lang::En)]
}

/// Any day from 2000-01-01 to 2100-12-31.
fn any_today() -> impl Strategy<Value = NaiveDate> {
    (0u64..36_890).prop_map(|n| day(2000, 1, 1) + Days::new(n))
}

fn never_before_today(text: &str, lang: Lang, today: NaiveDate) -> Result<(), TestCaseError> {
    for t in [text.to_string(), normalize(text)] {
        if let Some(f) = promised_date(&t, lang, today) {
            prop_assert!(f.date >= today, "{t:?} {lang} {today}: {f:?}");
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn any_text_never_panics_nor_gives_a_past_date(
        text in any::<String>(),
        lang in any_lang(),
        today in any_today(),
    ) {
        never_before_today(&text, lang, today)?;
    }

    #[test]
    fn digits_and_signs_never_panic(
        text in "[0-9 /:$%.,ºª#-]{0,80}|[0-9a-z /.-]{0,200}",
        lang in any_lang(),
        today in any_today(),
    ) {
        never_before_today(&text, lang, today)?;
    }

    #[test]
    fn date_words_in_any_order_never_panic(
        picks in prop::collection::vec(any::<prop::sample::Index>(), 0..40),
        long in 0usize..3,
        lang in any_lang(),
        today in any_today(),
    ) {
        let vocab = vocabulary();
        let mut text = picks.iter().map(|i| i.get(&vocab).as_str()).collect::<Vec<_>>().join(" ");
        if long == 2 {
            text = text.repeat(50);
        }
        never_before_today(&text, lang, today)?;
    }
}
