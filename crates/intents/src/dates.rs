//! The date a promise to pay names: "te pago el viernes", "dia 5 eu pago", "I'll pay on the
//! 15th", resolved against the debtor's local `today`.
//!
//! The rules are data: one [`Table`] of word lists per language ([`ES`], [`PT`], [`EN`]), read
//! by a small scanner over the words of the normalised text ([`crate::normalize::words`]) and
//! the characters between them (a `/` makes "15/12" a date, a `$` makes "$20" an amount, a `:`
//! makes "3:30" a time). The scanner walks the words left to right; at each word the first
//! rule that matches consumes its words and may give a date (blockers, relative counts, today
//! and tomorrow words, end of month, quincena, weekdays, dates and days of the month, in this
//! order); then one date is chosen among those found.
//!
//! Decisions on what the issue left open (the corpus writers' decisions are in the brief):
//!
//! - A weekday is the next such day *after* today ("el miércoles" said on a Wednesday is next
//!   week's); "next Monday", "el próximo lunes", "segunda que vem" are the same day. "This
//!   Friday" / "este viernes" / "essa sexta" is the next Friday *on or after* today (said on a
//!   Friday, it is today). "Friday of next week", "el viernes de la semana que viene", "sexta
//!   da semana que vem", "a week from Friday" (as the brief has it, not "the coming Friday + 7")
//!   and "la semana que viene el viernes" are the Friday of the following Monday-based week.
//!   "El otro viernes", "na outra sexta", "Friday after next" are the Friday after the coming
//!   one (the coming one + 7). "Last Friday", "el viernes pasado", "sexta passada" are in the
//!   past: no date.
//! - A weekday with a day of the month ("el lunes 30", "segunda dia 14", "Monday the 30th") is
//!   that day of the month, on or after today, the first of the next two that falls on that
//!   weekday. When the last such day before today fell on it ("el lunes 23" said on the 25th)
//!   it is a past date: none. When neither, the number is not read as a day ("friday 20" may be
//!   $20) and the weekday alone counts.
//! - A bare day of the month ("el 15", "dia 5", "the 15th") is the next time it comes round,
//!   strictly after today; a day the month lacks moves to the next month that has it.
//!   "el 5 del mes que viene" / "dia 5 do mês que vem" / "the 1st of next month" is that day of
//!   next month.
//! - A date with a month and no year is the next such date on or after today, unless it fell in
//!   the last 90 days ("el 15 de octubre" said on 25 November speaks of the past: none, not next
//!   October); with a year, that date (none when it is past). A bare day near a holiday takes
//!   the holiday's month ("after Christmas, on the 26th"). Day/month order: es and pt day
//!   first ("3/12" is 3 December), en month first ("12/3"); "2026-12-03" is ISO everywhere.
//! - End of month ("fin de mes", "a finales de mes", "no fim do mês", "end of the month",
//!   "EOM"): the last day of the current month; said on that last day it is today (the month
//!   has not ended). "a finales de mes" is taken as precise as "a fin de mes". "fin del mes que
//!   viene" / "end of next month" is next month's last day. End of the year is vague.
//! - Quincena / quinzena: the next 15th or last day of the month, strictly after today.
//! - Relative counts of days and weeks are precise: "en 3 días", "dentro de una semana",
//!   "daqui a 3 dias", "em 2 dias", "in 3 days", "3 days from now", "in a week", "de hoy en
//!   ocho" are today + n (weeks × 7; "en 48 horas" is two days, fewer hours or minutes are
//!   promptness). Up to 90 days; further is vague. Months ("en un mes", "in a month"), ranges
//!   ("en 2 o 3 días", "in a week or two") and uncounted spans ("unos días", "a few days", "a
//!   couple of days", "alguns dias") are vague.
//! - Now and today: "hoy", "hoje", "hj", "today", "tonight", "esta noche", "now", "right
//!   now", "rn", "ahora mismo", "agora", "EOD" are today. Words of promptness ("al toque", "al
//!   tiro", "ahorita", "ahora", "ya mismo", "en un rato", "daqui a pouco", "já já", "in a bit",
//!   "in an hour", "dame 5 min", "give me an hour") are today only when the reply names no other
//!   date: "el domingo te plineo al toque" is Sunday, paid promptly. "Now" and "agora" opening
//!   a clause are such words too ("Now I can pay on the 15th" is the 15th; "half now and half
//!   on the 15th" is today).
//! - "mañana" is "tomorrow" unless an article stands before it ("la mañana", "por la mañana",
//!   "en la mañana": the morning); "esta mañana" is this morning, today.
//! - Several dates: the earliest on or after today, after putting aside the dates of a clause
//!   that says no ("hoy no alcanzo", "can't today", "sin saldo hoy") — never returned — and of a
//!   clause that sets a condition ("si me pagan el viernes", "if you send it today") — returned
//!   only when nothing else is left ("si todo sale bien el lunes pago" is Monday). A date after
//!   "hasta"/"until"/"até"/"antes" is kept under a negation ("no puedo hasta el 15" is the 15th);
//!   "sin falta", "no te preocupes", "no later than" are not negations. Clauses are cut at
//!   punctuation and at "pero", "y", "but", "and", "mas", "e", "so", "then".
//! - A date after "después de", "depois de", "after" is open-ended (none), and "the week of
//!   the 14th" / "la semana del 14" names a week, not a day (none).
//! - Numbers that are not days: a number followed by a unit or counted thing ("20 mil", "3
//!   cuotas", "15 hs", "10 por ciento"), after `$`/`#`, before `:` or `%`, a decimal, a phone or
//!   invoice number (more than two digits), a fraction ("1/2", "3/4") and "24/7".

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};

use crate::Lang;
use crate::normalize::words;

/// A promised payment date found in a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundDate {
    pub date: NaiveDate,
    /// The words that gave it ("el viernes", "dia 5"), for `--explain`.
    pub expression: String,
}

/// The date a reply promises to pay on, resolved against `today` (the debtor's local date), or
/// None when it names no date or only a vague time. `text` is the output of
/// `crate::normalize::normalize`.
pub fn promised_date(text: &str, lang: Lang, today: NaiveDate) -> Option<FoundDate> {
    Scan::new(text, table(lang), today).best()
}

/// The word lists of one language.
pub fn table(lang: Lang) -> &'static Table {
    match lang {
        Lang::Es => &ES,
        Lang::Pt => &PT,
        Lang::En => &EN,
    }
}

/// A run of words, as normalised ("manana", not "mañana").
pub type Phrase = &'static [&'static str];

/// The rules of one language, as word lists. Every word is normalised (lower case, no accent).
/// A table word of four letters or more also matches a word with doubled letters
/// ("tomorrow" matches "tomorow" and "tomoroww").
pub struct Table {
    /// "3/12" is day/month (es, pt) rather than month/day (en).
    pub day_first: bool,
    /// Days from today: today (0), tomorrow (1), the day after (2)…
    pub offsets: &'static [(Phrase, u32)],
    /// Promptness: today, but only when nothing else names a date.
    pub soon: &'static [Phrase],
    /// Words of `offsets` that are promptness words too when they open a clause ("Now I can pay
    /// on the 15th": "now" is a discourse marker there).
    pub soon_at_clause_start: &'static [&'static str],
    /// A word of `offsets` that means "the morning" after one of the words of `.1`.
    pub morning: (&'static [&'static str], &'static [&'static str]),
    /// Runs that name no date and must not be read as one ("hoy en día", "fin de semana",
    /// "from now on").
    pub blockers: &'static [Phrase],
    pub weekdays: &'static [(&'static str, Weekday)],
    /// Weekday words that need a tail ("2ª feira").
    pub tail_only_weekdays: &'static [(&'static str, Weekday)],
    /// Words that may follow a weekday ("feira").
    pub weekday_tails: &'static [&'static str],
    /// Weekday words that are common words too ("sat", "sun"): a day only after one of
    /// `weekday_context`, before a day number, or standing alone.
    pub ambiguous_weekdays: &'static [&'static str],
    pub weekday_context: &'static [&'static str],
    /// Nouns after which a weekday word is an ordinal ("a segunda parcela").
    pub weekday_nouns: &'static [&'static str],
    /// Whether an ordinal day stands without a prefix ("payment goes out 9th"), and the nouns
    /// after which it does not ("my 2nd payment").
    pub bare_ordinals: bool,
    pub ordinal_nouns: &'static [&'static str],
    /// When set, a plain number after a weak prefix ("the 15", not "the 15th") is a day only
    /// at the end of its clause or before one of these words ("the 2 invoices" is a count).
    pub plain_day_followers: Option<&'static [&'static str]>,
    /// Before a weekday: on or after today ("this Friday").
    pub this_before: &'static [&'static str],
    /// After / before a weekday: the weekday of next week.
    pub next_week_after: &'static [Phrase],
    pub next_week_before: &'static [Phrase],
    /// Before / after a weekday: the one after the coming one ("el otro martes", "friday after
    /// next").
    pub after_next_before: &'static [&'static str],
    pub after_next_after: &'static [Phrase],
    /// After / before a weekday: a past one.
    pub past_after: &'static [&'static str],
    pub past_before: &'static [&'static str],
    /// Words that may stand between a week phrase and its weekday ("la semana que viene *el*
    /// viernes").
    pub fillers: &'static [&'static str],
    /// Words shown with the date they introduce ("el", "na", "on").
    pub leads: &'static [&'static str],
    pub months: &'static [(&'static str, u32)],
    /// "de" in "3 de diciembre", "of" in "3rd of December".
    pub day_of: &'static [&'static str],
    /// Words before a day number; `true` when strong enough for "first" ("dia primeiro").
    pub day_prefixes: &'static [(Phrase, bool)],
    /// Ordinal endings of a day number ("1st", "1º", "1ro").
    pub ordinal_suffixes: &'static [&'static str],
    /// A word for the first day ("primero", "primeiro", "first").
    pub first_words: &'static [&'static str],
    /// After a day: of next month / of this month.
    pub next_month: &'static [Phrase],
    pub this_month: &'static [Phrase],
    pub end_of_month: &'static [Phrase],
    pub end_of_next_month: &'static [Phrase],
    pub quincena: &'static [&'static str],
    /// "en", "daqui a", "in": before a count of days or weeks.
    pub in_words: &'static [Phrase],
    /// "dame", "give me": before a count of minutes or hours.
    pub give_words: &'static [Phrase],
    pub number_words: &'static [(&'static str, u32)],
    /// "media", "half": half an hour.
    pub half_words: &'static [&'static str],
    /// "from now", "a partir de hoy": after a count.
    pub from_now: &'static [Phrase],
    /// "or" in "2 or 3 days": a range, vague.
    pub or_words: &'static [&'static str],
    pub negations: &'static [&'static str],
    /// Runs with a negation word that do not deny ("sin falta", "no worries").
    pub not_negations: &'static [Phrase],
    pub conditionals: &'static [&'static str],
    pub not_conditionals: &'static [Phrase],
    /// Words that start a new clause ("pero", "but").
    pub clause_words: &'static [&'static str],
    /// "hasta", "until": a date kept under a negation.
    pub until_words: &'static [&'static str],
    /// "después", "after": an open-ended date, none.
    pub after_words: &'static [&'static str],
    /// "semana", "week": "the week of the 14th" names no day.
    pub week_words: &'static [&'static str],
    /// Holidays that put a bare day in their month ("after Christmas, on the 26th").
    pub holidays: &'static [(&'static str, u32)],
}

/// Words that may stand between "after"/"week" and the date ("after *the* 15th").
const CONNECTORS: &[&str] = &[
    "de", "del", "do", "da", "o", "a", "el", "la", "the", "dia", "on", "of",
];

/// Words after a number that make it something other than a day.
const UNITS: &[&str] = &[
    "mil",
    "k",
    "mill",
    "millon",
    "millones",
    "lucas",
    "luca",
    "palos",
    "pesos",
    "peso",
    "soles",
    "reais",
    "real",
    "dolares",
    "dollars",
    "dollar",
    "bucks",
    "usd",
    "mxn",
    "cop",
    "clp",
    "pen",
    "ars",
    "brl",
    "eur",
    "euros",
    "horas",
    "hora",
    "hrs",
    "hr",
    "hs",
    "h",
    "hours",
    "hour",
    "min",
    "mins",
    "minutos",
    "minutes",
    "minute",
    "am",
    "pm",
    "cuotas",
    "cuota",
    "parcelas",
    "parcela",
    "pagos",
    "payments",
    "installments",
    "meses",
    "months",
    "semanas",
    "weeks",
    "dias",
    "days",
    "anos",
    "years",
    "veces",
    "vezes",
    "times",
    "porciento",
    "percent",
    "pct",
    "x",
];
/// Two-word units: "10 por ciento".
const UNIT_PHRASES: &[Phrase] = &[&["por", "ciento"], &["por", "cento"], &["per", "cent"]];

const DAY_UNITS: &[&str] = &["dia", "dias", "day", "days", "diitas"];
const WEEK_UNITS: &[&str] = &["semana", "semanas", "week", "weeks", "wk", "wks"];
const HOUR_UNITS: &[&str] = &["hora", "horas", "horita", "hour", "hours", "hr", "hrs", "h"];
const MINUTE_UNITS: &[&str] = &[
    "min",
    "mins",
    "minuto",
    "minutos",
    "minute",
    "minutes",
    "minutinho",
    "minutinhos",
    "minutito",
    "minutitos",
];
const MONTH_UNITS: &[&str] = &["mes", "meses", "month", "months", "mesecito"];

/// The longest relative count read as precise, in days.
const MAX_DAYS: u32 = 90;

pub static ES: Table = Table {
    day_first: true,
    offsets: &[
        (&["hoy"], 0),
        (&["hoy", "mismo"], 0),
        (&["el", "dia", "de", "hoy"], 0),
        (&["esta", "noche"], 0),
        (&["esta", "tarde"], 0),
        (&["esta", "manana"], 0),
        (&["ahora", "mismo"], 0),
        (&["hoy", "en", "ocho"], 7),
        (&["de", "hoy", "en", "ocho"], 7),
        (&["hoy", "en", "quince"], 14),
        (&["de", "hoy", "en", "quince"], 14),
        (&["manana"], 1),
        (&["mnn"], 1),
        (&["mnana"], 1),
        (&["manana", "mismo"], 1),
        (&["el", "dia", "de", "manana"], 1),
        (&["pasado", "manana"], 2),
        (&["pasao", "manana"], 2),
        (&["pasadomanana"], 2),
    ],
    soon: &[
        &["al", "toque"],
        &["al", "tiro"],
        &["ahorita"],
        &["ahoritita"],
        &["horita"],
        &["ahora"],
        &["ya", "mismo"],
        &["en", "un", "rato"],
        &["en", "un", "ratito"],
    ],
    soon_at_clause_start: &[],
    morning: (&["manana"], &["la"]),
    blockers: &[
        &["hoy", "en", "dia"],
        &["hoy", "dia"],
        &["fin", "de", "semana"],
        &["fines", "de", "semana"],
        &["ahora", "que"],
        &["hasta", "ahora"],
        &["por", "ahora"],
        &["desde", "ahora"],
    ],
    weekdays: &[
        ("lunes", Weekday::Mon),
        ("martes", Weekday::Tue),
        ("miercoles", Weekday::Wed),
        ("jueves", Weekday::Thu),
        ("viernes", Weekday::Fri),
        ("sabado", Weekday::Sat),
        ("sabados", Weekday::Sat),
        ("domingo", Weekday::Sun),
        ("domingos", Weekday::Sun),
        ("lun", Weekday::Mon),
        ("mie", Weekday::Wed),
        ("mier", Weekday::Wed),
        ("jue", Weekday::Thu),
        ("juev", Weekday::Thu),
        ("vie", Weekday::Fri),
        ("vier", Weekday::Fri),
        ("sab", Weekday::Sat),
    ],
    tail_only_weekdays: &[],
    weekday_tails: &[],
    ambiguous_weekdays: &[],
    weekday_context: &[],
    weekday_nouns: &[],
    bare_ordinals: false,
    ordinal_nouns: &[],
    plain_day_followers: None,
    this_before: &["este", "esta"],
    next_week_after: &[
        &["de", "la", "semana", "que", "viene"],
        &["de", "la", "proxima", "semana"],
        &["de", "la", "otra", "semana"],
        &["de", "la", "semana", "entrante"],
        &["de", "la", "siguiente", "semana"],
        &["de", "la", "semana", "siguiente"],
    ],
    next_week_before: &[
        &["semana", "que", "viene"],
        &["proxima", "semana"],
        &["otra", "semana"],
        &["semana", "entrante"],
        &["siguiente", "semana"],
        &["semana", "siguiente"],
    ],
    after_next_before: &["otro"],
    after_next_after: &[],
    past_after: &["pasado"],
    past_before: &["pasado"],
    fillers: &["el", "la", "este", "esta", "en"],
    leads: &[
        "el", "los", "la", "este", "esta", "proximo", "hasta", "para", "otro",
    ],
    months: &[
        ("enero", 1),
        ("ene", 1),
        ("febrero", 2),
        ("feb", 2),
        ("marzo", 3),
        ("mar", 3),
        ("abril", 4),
        ("abr", 4),
        ("mayo", 5),
        ("junio", 6),
        ("jun", 6),
        ("julio", 7),
        ("jul", 7),
        ("agosto", 8),
        ("ago", 8),
        ("septiembre", 9),
        ("setiembre", 9),
        ("sep", 9),
        ("sept", 9),
        ("set", 9),
        ("octubre", 10),
        ("oct", 10),
        ("noviembre", 11),
        ("nov", 11),
        ("diciembre", 12),
        ("dic", 12),
    ],
    day_of: &["de", "del"],
    day_prefixes: &[
        (&["el", "dia"], true),
        (&["dia"], true),
        (&["el"], false),
        (&["del"], false),
    ],
    ordinal_suffixes: &["º", "o", "ro", "ero", "er"],
    first_words: &["primero"],
    next_month: &[
        &["del", "mes", "que", "viene"],
        &["del", "proximo", "mes"],
        &["del", "mes", "entrante"],
        &["del", "otro", "mes"],
        &["del", "siguiente", "mes"],
        &["del", "mes", "siguiente"],
    ],
    this_month: &[
        &["de", "este", "mes"],
        &["del", "mes"],
        &["de", "cada", "mes"],
        &["de", "mes"],
    ],
    end_of_month: &[
        &["fin", "de", "mes"],
        &["fin", "del", "mes"],
        &["fin", "de", "este", "mes"],
        &["finales", "de", "mes"],
        &["finales", "del", "mes"],
        &["finales", "de", "este", "mes"],
        &["fines", "de", "mes"],
        &["fines", "del", "mes"],
        &["final", "de", "mes"],
        &["final", "del", "mes"],
        &["cierre", "de", "mes"],
        &["ultimo", "dia", "del", "mes"],
        &["ultimo", "de", "mes"],
    ],
    end_of_next_month: &[
        &["fin", "del", "mes", "que", "viene"],
        &["fin", "de", "mes", "que", "viene"],
        &["fin", "del", "proximo", "mes"],
        &["fin", "del", "otro", "mes"],
        &["finales", "del", "mes", "que", "viene"],
        &["finales", "del", "proximo", "mes"],
    ],
    quincena: &["quincena"],
    in_words: &[&["en"], &["dentro", "de"], &["de", "aqui", "a"]],
    give_words: &[&["dame"], &["deme"], &["denme"]],
    number_words: &[
        ("un", 1),
        ("uno", 1),
        ("una", 1),
        ("dos", 2),
        ("tres", 3),
        ("cuatro", 4),
        ("cinco", 5),
        ("seis", 6),
        ("siete", 7),
        ("ocho", 8),
        ("nueve", 9),
        ("diez", 10),
        ("once", 11),
        ("doce", 12),
        ("quince", 15),
        ("veinte", 20),
        ("treinta", 30),
    ],
    half_words: &["media"],
    from_now: &[
        &["a", "partir", "de", "hoy"],
        &["desde", "hoy"],
        &["desde", "ahora"],
        &["a", "partir", "de", "ahora"],
    ],
    or_words: &["o", "u"],
    negations: &["no", "nunca", "tampoco", "sin", "ni", "jamas"],
    not_negations: &[
        &["sin", "falta"],
        &["sin", "falla"],
        &["sin", "problema"],
        &["sin", "problemas"],
        &["sin", "duda"],
        &["sin", "dudas"],
        &["no", "te", "preocupes"],
        &["no", "se", "preocupe"],
        &["no", "se", "preocupen"],
        &["no", "hay", "problema"],
        &["no", "pasa", "de"],
        &["no", "pasa", "del"],
        &["no", "te", "fallo"],
        &["no", "le", "fallo"],
        &["no", "les", "fallo"],
        &["no", "manches"],
        &["no", "mames"],
    ],
    conditionals: &["si", "caso"],
    not_conditionals: &[&["si", "o", "si"]],
    clause_words: &["pero", "sino", "aunque", "y", "entonces"],
    until_words: &["hasta", "antes"],
    after_words: &["despues"],
    week_words: &["semana"],
    holidays: &[("navidad", 12), ("nochebuena", 12)],
};

pub static PT: Table = Table {
    day_first: true,
    offsets: &[
        (&["hoje"], 0),
        (&["hj"], 0),
        (&["hje"], 0),
        (&["hoje", "mesmo"], 0),
        (&["ainda", "hoje"], 0),
        (&["esta", "noite"], 0),
        (&["essa", "noite"], 0),
        (&["hoje", "a", "noite"], 0),
        (&["agora"], 0),
        (&["agora", "mesmo"], 0),
        (&["amanha"], 1),
        (&["amnha"], 1),
        (&["amanha", "cedo"], 1),
        (&["depois", "de", "amanha"], 2),
        (&["depois", "d", "amanha"], 2),
        (&["dps", "de", "amanha"], 2),
        (&["dps", "amanha"], 2),
    ],
    soon: &[
        &["daqui", "a", "pouco"],
        &["daqui", "pouco"],
        &["daki", "a", "pouco"],
        &["ja", "ja"],
        &["agorinha"],
        &["em", "instantes"],
    ],
    soon_at_clause_start: &["agora"],
    morning: (&[], &[]),
    blockers: &[
        &["hoje", "em", "dia"],
        &["hoje", "dia"],
        &["fim", "de", "semana"],
        &["final", "de", "semana"],
        &["finais", "de", "semana"],
        &["agora", "que"],
        &["ate", "agora"],
        &["por", "enquanto"],
        &["por", "agora"],
        &["de", "agora", "em", "diante"],
        &["a", "partir", "de", "agora"],
    ],
    weekdays: &[
        ("segunda", Weekday::Mon),
        ("terca", Weekday::Tue),
        ("quarta", Weekday::Wed),
        ("quinta", Weekday::Thu),
        ("sexta", Weekday::Fri),
        ("sabado", Weekday::Sat),
        ("sabadao", Weekday::Sat),
        ("sabados", Weekday::Sat),
        ("domingo", Weekday::Sun),
        ("domingao", Weekday::Sun),
        ("domingos", Weekday::Sun),
        ("segundona", Weekday::Mon),
        ("sextona", Weekday::Fri),
    ],
    tail_only_weekdays: &[
        ("2a", Weekday::Mon),
        ("2ª", Weekday::Mon),
        ("3a", Weekday::Tue),
        ("3ª", Weekday::Tue),
        ("4a", Weekday::Wed),
        ("4ª", Weekday::Wed),
        ("5a", Weekday::Thu),
        ("5ª", Weekday::Thu),
        ("6a", Weekday::Fri),
        ("6ª", Weekday::Fri),
    ],
    weekday_tails: &["feira"],
    ambiguous_weekdays: &[],
    weekday_context: &[],
    bare_ordinals: false,
    ordinal_nouns: &[],
    plain_day_followers: None,
    weekday_nouns: &[
        "parcela",
        "parcelas",
        "vez",
        "vezes",
        "via",
        "parte",
        "prestacao",
        "cota",
        "cotas",
        "opcao",
        "chance",
        "tentativa",
        "semana",
        "quinzena",
        "mao",
        "serie",
        "etapa",
        "metade",
        "fatura",
        "mensalidade",
        "conta",
        "boleto",
        "ligacao",
        "mensagem",
        "cobranca",
    ],
    this_before: &[
        "esta", "essa", "nesta", "nessa", "este", "esse", "neste", "nesse",
    ],
    next_week_after: &[
        &["da", "semana", "que", "vem"],
        &["da", "semana", "q", "vem"],
        &["da", "proxima", "semana"],
        &["da", "outra", "semana"],
        &["da", "semana", "seguinte"],
    ],
    next_week_before: &[
        &["semana", "que", "vem"],
        &["semana", "q", "vem"],
        &["proxima", "semana"],
        &["outra", "semana"],
        &["semana", "seguinte"],
    ],
    after_next_before: &["outra", "outro"],
    after_next_after: &[],
    past_after: &["passado", "passada", "retrasado", "retrasada"],
    past_before: &["ultimo", "ultima", "passado", "passada"],
    fillers: &["na", "no", "a", "o", "de", "em", "nesta", "nessa"],
    leads: &[
        "na", "no", "a", "o", "nesta", "nessa", "esta", "essa", "proxima", "proximo", "ate", "pra",
        "para", "outra",
    ],
    months: &[
        ("janeiro", 1),
        ("jan", 1),
        ("fevereiro", 2),
        ("fev", 2),
        ("marco", 3),
        ("mar", 3),
        ("abril", 4),
        ("abr", 4),
        ("maio", 5),
        ("mai", 5),
        ("junho", 6),
        ("jun", 6),
        ("julho", 7),
        ("jul", 7),
        ("agosto", 8),
        ("ago", 8),
        ("setembro", 9),
        ("set", 9),
        ("outubro", 10),
        ("out", 10),
        ("novembro", 11),
        ("nov", 11),
        ("dezembro", 12),
        ("dez", 12),
    ],
    day_of: &["de", "do"],
    day_prefixes: &[
        (&["o", "dia"], true),
        (&["no", "dia"], true),
        (&["dia"], true),
    ],
    ordinal_suffixes: &["º", "o"],
    first_words: &["primeiro"],
    next_month: &[
        &["do", "mes", "que", "vem"],
        &["do", "mes", "q", "vem"],
        &["do", "proximo", "mes"],
        &["do", "outro", "mes"],
        &["do", "mes", "seguinte"],
    ],
    this_month: &[
        &["deste", "mes"],
        &["desse", "mes"],
        &["do", "mes"],
        &["de", "cada", "mes"],
        &["de", "todo", "mes"],
    ],
    end_of_month: &[
        &["fim", "do", "mes"],
        &["fim", "de", "mes"],
        &["fim", "deste", "mes"],
        &["fim", "desse", "mes"],
        &["final", "do", "mes"],
        &["final", "de", "mes"],
        &["final", "deste", "mes"],
        &["final", "desse", "mes"],
        &["ultimo", "dia", "do", "mes"],
        &["virada", "do", "mes"],
    ],
    end_of_next_month: &[
        &["fim", "do", "mes", "que", "vem"],
        &["fim", "do", "proximo", "mes"],
        &["final", "do", "mes", "que", "vem"],
        &["final", "do", "proximo", "mes"],
    ],
    quincena: &["quinzena"],
    in_words: &[
        &["em"],
        &["daqui", "a"],
        &["daqui"],
        &["daki", "a"],
        &["dentro", "de"],
    ],
    give_words: &[&["me", "da"], &["me", "de"]],
    number_words: &[
        ("um", 1),
        ("uma", 1),
        ("dois", 2),
        ("duas", 2),
        ("tres", 3),
        ("quatro", 4),
        ("cinco", 5),
        ("seis", 6),
        ("sete", 7),
        ("oito", 8),
        ("nove", 9),
        ("dez", 10),
        ("onze", 11),
        ("doze", 12),
        ("quinze", 15),
        ("vinte", 20),
        ("trinta", 30),
    ],
    half_words: &["meia"],
    from_now: &[
        &["a", "partir", "de", "hoje"],
        &["a", "contar", "de", "hoje"],
        &["a", "partir", "de", "agora"],
    ],
    or_words: &["ou"],
    negations: &["nao", "nunca", "sem", "nem", "n", "jamais"],
    not_negations: &[
        &["sem", "falta"],
        &["sem", "falha"],
        &["sem", "problema"],
        &["sem", "problemas"],
        &["sem", "duvida"],
        &["sem", "erro"],
        &["nao", "se", "preocupe"],
        &["nao", "se", "preocupa"],
        &["nao", "esquenta"],
        &["nao", "passa", "de"],
        &["nao", "passa", "do"],
        &["nao", "passa", "da"],
    ],
    conditionals: &["se", "caso"],
    not_conditionals: &[],
    clause_words: &["mas", "porem", "e", "entao"],
    until_words: &["ate", "antes"],
    after_words: &["depois", "apos", "dps"],
    week_words: &["semana"],
    holidays: &[("natal", 12)],
};

pub static EN: Table = Table {
    day_first: false,
    offsets: &[
        (&["today"], 0),
        (&["tonight"], 0),
        (&["tonite"], 0),
        (&["2day"], 0),
        (&["2nite"], 0),
        (&["tdy"], 0),
        (&["this", "afternoon"], 0),
        (&["this", "evening"], 0),
        (&["this", "morning"], 0),
        (&["later", "today"], 0),
        (&["now"], 0),
        (&["right", "now"], 0),
        (&["rn"], 0),
        (&["eod"], 0),
        (&["by", "end", "of", "day"], 0),
        (&["by", "the", "end", "of", "the", "day"], 0),
        (&["tomorrow"], 1),
        (&["tmrw"], 1),
        (&["tmr"], 1),
        (&["tmw"], 1),
        (&["tomoro"], 1),
        (&["2morrow"], 1),
        (&["2moro"], 1),
        (&["2mrw"], 1),
        (&["day", "after", "tomorrow"], 2),
        (&["day", "after", "tmrw"], 2),
        (&["day", "after", "tmr"], 2),
        (&["overmorrow"], 2),
    ],
    soon: &[
        &["in", "a", "bit"],
        &["in", "a", "little", "bit"],
        &["in", "a", "few", "hours"],
        &["in", "a", "couple", "hours"],
        &["in", "a", "couple", "of", "hours"],
    ],
    soon_at_clause_start: &["now"],
    morning: (&[], &[]),
    blockers: &[
        &["from", "now", "on"],
        &["now", "that"],
        &["until", "now"],
        &["till", "now"],
        &["up", "to", "now"],
        &["by", "now"],
        &["for", "now"],
        &["so", "far"],
        &["as", "of", "today"],
        &["as", "of", "now"],
        &["now", "and", "then"],
        &["at", "the", "end", "of", "the", "day"],
        &["black", "friday"],
        &["cyber", "monday"],
    ],
    weekdays: &[
        ("monday", Weekday::Mon),
        ("tuesday", Weekday::Tue),
        ("wednesday", Weekday::Wed),
        ("thursday", Weekday::Thu),
        ("friday", Weekday::Fri),
        ("saturday", Weekday::Sat),
        ("sunday", Weekday::Sun),
        ("mondays", Weekday::Mon),
        ("tuesdays", Weekday::Tue),
        ("wednesdays", Weekday::Wed),
        ("thursdays", Weekday::Thu),
        ("fridays", Weekday::Fri),
        ("saturdays", Weekday::Sat),
        ("sundays", Weekday::Sun),
        ("mon", Weekday::Mon),
        ("tue", Weekday::Tue),
        ("tues", Weekday::Tue),
        ("wed", Weekday::Wed),
        ("weds", Weekday::Wed),
        ("thu", Weekday::Thu),
        ("thur", Weekday::Thu),
        ("thurs", Weekday::Thu),
        ("fri", Weekday::Fri),
        ("sat", Weekday::Sat),
        ("sun", Weekday::Sun),
        ("wensday", Weekday::Wed),
        ("wendsday", Weekday::Wed),
        ("wednsday", Weekday::Wed),
        ("thrusday", Weekday::Thu),
        ("thurday", Weekday::Thu),
        ("tusday", Weekday::Tue),
        ("firday", Weekday::Fri),
        ("fryday", Weekday::Fri),
        ("saturdy", Weekday::Sat),
    ],
    tail_only_weekdays: &[],
    weekday_tails: &[],
    ambiguous_weekdays: &["sat", "sun"],
    weekday_context: &[
        "on", "by", "this", "next", "til", "till", "until", "before", "thru", "through", "from",
        "coming",
    ],
    weekday_nouns: &[],
    plain_day_followers: Some(&[
        "of", "at", "and", "or", "if", "when", "then", "i", "i'll", "ill", "we", "we'll", "is",
        "works", "ok", "okay", "please", "pls", "for", "by", "via", "latest", "instead",
    ]),
    bare_ordinals: true,
    ordinal_nouns: &[
        "payment",
        "payments",
        "installment",
        "installments",
        "time",
        "times",
        "one",
        "check",
        "paycheck",
        "invoice",
        "bill",
        "month",
        "week",
        "year",
        "place",
        "floor",
        "grade",
        "street",
        "st",
        "ave",
        "attempt",
        "notice",
        "reminder",
        "call",
        "half",
        "part",
        "quarter",
        "birthday",
        "anniversary",
    ],
    this_before: &["this"],
    next_week_after: &[
        &["of", "next", "week"],
        &["next", "week"],
        &["of", "the", "following", "week"],
        &["the", "following", "week"],
    ],
    next_week_before: &[&["a", "week", "from"], &["next", "week"]],
    after_next_before: &[],
    after_next_after: &[&["after", "next"]],
    past_after: &[],
    past_before: &["last", "past"],
    fillers: &["on", "the"],
    leads: &[
        "on", "this", "next", "by", "till", "until", "til", "before", "for", "coming",
    ],
    months: &[
        ("january", 1),
        ("jan", 1),
        ("february", 2),
        ("feb", 2),
        ("march", 3),
        ("mar", 3),
        ("april", 4),
        ("apr", 4),
        ("may", 5),
        ("june", 6),
        ("jun", 6),
        ("july", 7),
        ("jul", 7),
        ("august", 8),
        ("aug", 8),
        ("september", 9),
        ("sep", 9),
        ("sept", 9),
        ("october", 10),
        ("oct", 10),
        ("november", 11),
        ("nov", 11),
        ("december", 12),
        ("dec", 12),
    ],
    day_of: &["of"],
    day_prefixes: &[
        (&["on", "the"], true),
        (&["by", "the"], true),
        (&["for", "the"], true),
        (&["till", "the"], true),
        (&["until", "the"], true),
        (&["til", "the"], true),
        (&["before", "the"], true),
        (&["from", "the"], true),
        (&["the"], false),
    ],
    ordinal_suffixes: &["st", "nd", "rd", "th"],
    first_words: &["first"],
    next_month: &[
        &["of", "next", "month"],
        &["of", "the", "next", "month"],
        &["next", "month"],
    ],
    this_month: &[
        &["of", "the", "month"],
        &["of", "this", "month"],
        &["of", "every", "month"],
        &["of", "each", "month"],
    ],
    end_of_month: &[
        &["end", "of", "the", "month"],
        &["end", "of", "month"],
        &["end", "of", "this", "month"],
        &["end", "of", "the", "mo"],
        &["eom"],
        &["last", "day", "of", "the", "month"],
        &["last", "day", "of", "this", "month"],
        &["month", "end"],
        &["month's", "end"],
    ],
    end_of_next_month: &[
        &["end", "of", "next", "month"],
        &["end", "of", "the", "next", "month"],
    ],
    quincena: &[],
    in_words: &[&["in"], &["within"]],
    give_words: &[&["give", "me"], &["gimme"]],
    number_words: &[
        ("a", 1),
        ("an", 1),
        ("one", 1),
        ("two", 2),
        ("three", 3),
        ("four", 4),
        ("five", 5),
        ("six", 6),
        ("seven", 7),
        ("eight", 8),
        ("nine", 9),
        ("ten", 10),
        ("eleven", 11),
        ("twelve", 12),
        ("fifteen", 15),
        ("twenty", 20),
        ("thirty", 30),
    ],
    half_words: &["half"],
    from_now: &[&["from", "now"], &["from", "today"]],
    or_words: &["or", "to"],
    negations: &[
        "not", "no", "never", "can't", "cant", "cannot", "won't", "wont", "don't", "dont",
        "didn't", "didnt", "couldn't", "couldnt", "unable", "isn't", "isnt", "doesn't", "doesnt",
        "ain't", "aint", "wouldn't", "wouldnt", "nope",
    ],
    not_negations: &[
        &["no", "later", "than"],
        &["not", "later", "than"],
        &["no", "worries"],
        &["no", "worry"],
        &["don't", "worry"],
        &["dont", "worry"],
        &["no", "problem"],
        &["no", "doubt"],
        &["not", "a", "problem"],
        &["won't", "be", "late"],
        &["don't", "forget"],
        &["can't", "wait"],
    ],
    conditionals: &["if", "unless"],
    not_conditionals: &[],
    clause_words: &["but", "and", "so", "then", "though", "although"],
    until_words: &["until", "till", "til", "before", "b4"],
    after_words: &["after"],
    week_words: &["week"],
    holidays: &[("christmas", 12), ("xmas", 12)],
};

/// One word of the text and where it is.
struct Tok<'a> {
    w: &'a str,
    start: usize,
    end: usize,
}

/// What a rule matched: words `start..end` (for the expression), the first word of the date
/// itself (`core`, for the clause it is in), and the date, if the words give one.
struct Found {
    start: usize,
    core: usize,
    end: usize,
    date: Option<NaiveDate>,
    /// Promptness ("al toque"): today only when nothing else names a date.
    weak: bool,
}

impl Found {
    fn none(start: usize, end: usize) -> Found {
        Found {
            start,
            core: start,
            end,
            date: None,
            weak: false,
        }
    }
}

/// How a weekday resolves.
#[derive(Clone, Copy)]
enum WeekdayRule {
    /// Strictly after today.
    After,
    /// On or after today.
    OnOrAfter,
    /// In the Monday-based week after this one.
    NextWeek,
    /// A week after the next one ("el otro martes").
    AfterNext,
}

/// One text read with one table.
struct Scan<'a> {
    text: &'a str,
    toks: Vec<Tok<'a>>,
    /// The clause of each word.
    clause: Vec<usize>,
    /// Per clause: it says no / it sets a condition.
    negated: Vec<bool>,
    conditional: Vec<bool>,
    t: &'static Table,
    today: NaiveDate,
}

impl<'a> Scan<'a> {
    fn new(text: &'a str, table: &'static Table, today: NaiveDate) -> Scan<'a> {
        let base = text.as_ptr() as usize;
        let toks: Vec<Tok<'a>> = words(text)
            .map(|w| {
                let start = w.as_ptr() as usize - base;
                Tok {
                    w,
                    start,
                    end: start + w.len(),
                }
            })
            .collect();
        let mut scan = Scan {
            text,
            toks,
            clause: Vec::new(),
            negated: Vec::new(),
            conditional: Vec::new(),
            t: table,
            today,
        };
        scan.clauses();
        scan
    }

    /// Cuts the words into clauses (at punctuation and at clause words) and marks the clauses
    /// that say no or set a condition.
    fn clauses(&mut self) {
        let count = self.toks.len();
        let mut current = 0;
        let mut clause = Vec::with_capacity(count);
        for i in 0..count {
            if i > 0
                && (self
                    .gap_before(i)
                    .contains([',', '.', ';', ':', '!', '?', '(', ')'])
                    || self.is_any(i, self.t.clause_words))
            {
                current += 1;
            }
            clause.push(current);
        }
        let exempt_neg = self.covered(self.t.not_negations);
        let exempt_cond = self.covered(self.t.not_conditionals);
        let mut negated = vec![false; current + 1];
        let mut conditional = vec![false; current + 1];
        for i in 0..count {
            if !exempt_neg[i] && self.is_any(i, self.t.negations) {
                negated[clause[i]] = true;
            }
            if !exempt_cond[i] && self.is_any(i, self.t.conditionals) {
                conditional[clause[i]] = true;
            }
        }
        self.clause = clause;
        self.negated = negated;
        self.conditional = conditional;
    }

    /// The words covered by one of `phrases`.
    fn covered(&self, phrases: &[Phrase]) -> Vec<bool> {
        let mut out = vec![false; self.toks.len()];
        for i in 0..self.toks.len() {
            if let Some(len) = self.longest(i, phrases) {
                out[i..i + len].iter_mut().for_each(|b| *b = true);
            }
        }
        out
    }

    // ---- looking at words ----

    fn w(&self, pos: usize) -> Option<&'a str> {
        self.toks.get(pos).map(|t| t.w)
    }

    fn is(&self, pos: usize, key: &str) -> bool {
        self.w(pos).is_some_and(|w| same(w, key))
    }

    fn is_any(&self, pos: usize, keys: &[&str]) -> bool {
        self.w(pos).is_some_and(|w| keys.iter().any(|k| same(w, k)))
    }

    fn lookup<T: Copy>(&self, pos: usize, table: &[(&str, T)]) -> Option<T> {
        let word = self.w(pos)?;
        table.iter().find(|(k, _)| same(word, k)).map(|&(_, v)| v)
    }

    fn phrase(&self, pos: usize, words: Phrase) -> bool {
        !words.is_empty() && words.iter().enumerate().all(|(k, w)| self.is(pos + k, w))
    }

    /// The length of the longest of `phrases` that starts at word `pos`.
    fn longest(&self, pos: usize, phrases: &[Phrase]) -> Option<usize> {
        phrases
            .iter()
            .filter(|p| self.phrase(pos, p))
            .map(|p| p.len())
            .max()
    }

    /// Whether one of `phrases` ends just before word `end`.
    fn ends_with(&self, end: usize, phrases: &[Phrase]) -> bool {
        phrases
            .iter()
            .any(|p| p.len() <= end && self.phrase(end - p.len(), p))
    }

    fn gap_before(&self, pos: usize) -> &'a str {
        let from = if pos == 0 { 0 } else { self.toks[pos - 1].end };
        &self.text[from..self.toks[pos].start]
    }

    fn gap_after(&self, pos: usize) -> &'a str {
        let to = self.toks.get(pos + 1).map_or(self.text.len(), |t| t.start);
        &self.text[self.toks[pos].end..to]
    }

    /// Whether word `pos` ends its clause (punctuation or the end of the text after it).
    fn ends_clause(&self, pos: usize) -> bool {
        pos + 1 >= self.toks.len() || self.clause[pos + 1] != self.clause[pos]
    }

    /// The first word of the expression shown for a date whose own first word is `core`: the
    /// lead-in words before it ("el", "na próxima", "on").
    fn lead_start(&self, core: usize) -> usize {
        let mut start = core;
        while start > 0 && core - start < 2 && self.is_any(start - 1, self.t.leads) {
            start -= 1;
        }
        start
    }

    /// Skips back from `s` over connector words ("de", "the"), at most two.
    fn before_connectors(&self, pos: usize) -> usize {
        let mut from = pos;
        while from > 0 && pos - from < 2 && self.is_any(from - 1, CONNECTORS) {
            from -= 1;
        }
        from
    }

    /// "after the 15th", "después del viernes", "depois do dia 15": open-ended.
    fn after_word_before(&self, pos: usize) -> bool {
        let from = self.before_connectors(pos);
        from > 0
            && self.is_any(from - 1, self.t.after_words)
            && self.clause.get(from - 1) == self.clause.get(pos)
    }

    /// "the week of the 14th", "la semana del 14": a week, not a day.
    fn week_of_before(&self, pos: usize) -> bool {
        let from = self.before_connectors(pos);
        (from < pos || self.is_any(pos, CONNECTORS))
            && from > 0
            && self.is_any(from - 1, self.t.week_words)
    }

    /// The month of a holiday named in the six words before `s` ("after Christmas, on the
    /// 26th").
    fn holiday_before(&self, pos: usize) -> Option<u32> {
        (pos.saturating_sub(6)..pos).find_map(|k| self.lookup(k, self.t.holidays))
    }

    /// "hasta el viernes", "until the 15th": kept under a negation.
    fn until_before(&self, core: usize) -> bool {
        (core.saturating_sub(3)..core)
            .any(|k| self.is_any(k, self.t.until_words) && self.clause[k] == self.clause[core])
    }

    // ---- numbers ----

    /// A day of the month written as a number: "15", "05", "1st", "1º", "1ro".
    fn day_number(&self, pos: usize) -> Option<u32> {
        let word = self.w(pos)?;
        let digits = word.len() - word.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 || digits > 2 {
            return None;
        }
        let suffix = &word[digits..];
        if !suffix.is_empty() && !self.t.ordinal_suffixes.contains(&suffix) {
            return None;
        }
        let day: u32 = word[..digits].parse().ok()?;
        (1..=31).contains(&day).then_some(day)
    }

    fn has_ordinal_suffix(&self, pos: usize) -> bool {
        self.w(pos)
            .is_some_and(|w| w.starts_with(|c: char| c.is_ascii_digit()) && !all_digits(w))
    }

    /// Whether the number at word `pos` is an amount, a time, a count or part of a longer
    /// number rather than a day.
    fn not_a_day(&self, pos: usize) -> bool {
        let before = self.gap_before(pos);
        if before.contains(['$', '#', '€', '£']) {
            return true;
        }
        let after = self.gap_after(pos);
        if after.starts_with([':', '/']) || after.contains('%') {
            return true;
        }
        let next_digits = self.w(pos + 1).is_some_and(all_digits);
        if next_digits && matches!(after, "," | "." | " " | "") {
            return true;
        }
        if self.is_any(pos + 1, UNITS)
            || self.is_any(pos + 1, self.t.ordinal_nouns)
            || self.longest(pos + 1, UNIT_PHRASES).is_some()
        {
            return true;
        }
        // "el 2 de 3 pagos", "the 3 of us".
        if self.is_any(pos + 1, self.t.day_of) {
            let month = self.lookup(pos + 2, self.t.months).is_some()
                || self.longest(pos + 1, self.t.next_month).is_some()
                || self.longest(pos + 1, self.t.this_month).is_some();
            if !month {
                return true;
            }
        }
        false
    }

    /// A count before a unit: a number or a number word; `Some(0)` is "half".
    fn quantity(&self, pos: usize) -> Option<(u32, usize)> {
        let word = self.w(pos)?;
        if all_digits(word) {
            return Some((word.parse().ok().filter(|n| *n > 0)?, pos + 1));
        }
        if self.is_any(pos, self.t.half_words) {
            let end = if self.lookup(pos + 1, self.t.number_words) == Some(1) {
                pos + 2
            } else {
                pos + 1
            };
            return Some((0, end));
        }
        self.lookup(pos, self.t.number_words).map(|n| (n, pos + 1))
    }

    // ---- the rules ----

    /// The rule that matches at word `pos`, if any.
    fn match_at(&self, pos: usize) -> Option<Found> {
        if let Some(len) = self.longest(pos, self.t.blockers) {
            return Some(Found::none(pos, pos + len));
        }
        self.relative(pos)
            .or_else(|| self.offset(pos))
            .or_else(|| self.month_end(pos))
            .or_else(|| self.quincena(pos))
            .or_else(|| self.weekday(pos))
            .or_else(|| self.dated(pos))
    }

    /// "en 3 días", "daqui a uma semana", "in a week", "3 days from now", "dame 5 min".
    fn relative(&self, pos: usize) -> Option<Found> {
        let (q_at, need_from_now) = if let Some(len) = self.longest(pos, self.t.in_words) {
            (pos + len, false)
        } else if let Some(len) = self.longest(pos, self.t.give_words) {
            (pos + len, false)
        } else {
            (pos, true)
        };
        let (count, unit) = self.quantity(q_at)?;
        let days = if self.is_any(unit, DAY_UNITS) {
            Some(count)
        } else if self.is_any(unit, WEEK_UNITS) {
            Some(count.saturating_mul(7))
        } else if self.is_any(unit, HOUR_UNITS) && count >= 24 {
            // "en 48 horas": whole days.
            Some(count / 24)
        } else if self.is_any(unit, HOUR_UNITS) || self.is_any(unit, MINUTE_UNITS) {
            if need_from_now {
                return None;
            }
            return Some(Found {
                start: pos,
                core: pos,
                end: unit + 1,
                date: Some(self.today),
                weak: true,
            });
        } else if self.is_any(unit, MONTH_UNITS) {
            if need_from_now {
                return None;
            }
            return Some(Found::none(pos, unit + 1));
        } else {
            return None;
        };
        let mut end = unit + 1;
        let from_now = self.longest(end, self.t.from_now);
        if need_from_now && from_now.is_none() {
            return None;
        }
        end += from_now.unwrap_or(0);
        let vague =
            days.is_some_and(|d| d == 0 || d > MAX_DAYS) || self.is_any(unit + 1, self.t.or_words);
        let date = days
            .filter(|_| !vague)
            .and_then(|d| self.today.checked_add_days(Days::new(d.into())));
        Some(Found {
            start: pos,
            core: pos,
            end,
            date,
            weak: false,
        })
    }

    /// "hoy", "mañana", "pasado mañana", "amanhã", "tonight", "right now"; "al toque".
    fn offset(&self, pos: usize) -> Option<Found> {
        let strong = self
            .t
            .offsets
            .iter()
            .filter(|(p, _)| self.phrase(pos, p))
            .max_by_key(|(p, _)| p.len())
            .map(|&(p, d)| (p.len(), d, false));
        let weak = self.longest(pos, self.t.soon).map(|l| (l, 0, true));
        let (len, days, weak) = match (strong, weak) {
            (Some(strong), Some(weak)) => {
                if weak.0 > strong.0 {
                    weak
                } else {
                    strong
                }
            }
            (strong, weak) => strong.or(weak)?,
        };
        let opens_clause = pos == 0 || self.clause[pos - 1] != self.clause[pos];
        let weak = weak
            || (len == 1
                && opens_clause
                && !self.ends_clause(pos)
                && self.is_any(pos, self.t.soon_at_clause_start));
        let (morning_words, morning_before) = self.t.morning;
        if len == 1
            && pos > 0
            && self.is_any(pos, morning_words)
            && self.is_any(pos - 1, morning_before)
        {
            return Some(Found::none(pos, pos + 1));
        }
        Some(Found {
            start: pos,
            core: pos,
            end: pos + len,
            date: self.today.checked_add_days(Days::new(days.into())),
            weak,
        })
    }

    /// "fin de mes", "no fim do mês", "end of the month", "EOM".
    fn month_end(&self, pos: usize) -> Option<Found> {
        let this = self.longest(pos, self.t.end_of_month).unwrap_or(0);
        let next = self.longest(pos, self.t.end_of_next_month).unwrap_or(0);
        if this == 0 && next == 0 {
            return None;
        }
        let (len, date) = if next > this {
            (
                next,
                first_of_next_month(self.today).and_then(last_of_month),
            )
        } else {
            (this, last_of_month(self.today))
        };
        Some(Found {
            start: self.lead_start(pos),
            core: pos,
            end: pos + len,
            date,
            weak: false,
        })
    }

    /// "la quincena", "a quinzena": the next 15th or last day of the month.
    fn quincena(&self, pos: usize) -> Option<Found> {
        if !self.is_any(pos, self.t.quincena) {
            return None;
        }
        Some(Found {
            start: self.lead_start(pos),
            core: pos,
            end: pos + 1,
            date: next_quincena(self.today),
            weak: false,
        })
    }

    /// The weekday named by word `pos`, if it names one here.
    fn weekday_word(&self, pos: usize) -> Option<Weekday> {
        let word = self.w(pos)?;
        if let Some(&(key, wd)) = self.t.weekdays.iter().find(|(k, _)| same(word, k)) {
            if self.is_any(pos + 1, self.t.weekday_nouns) {
                return None;
            }
            if self.t.ambiguous_weekdays.contains(&key) {
                let context = pos > 0 && self.is_any(pos - 1, self.t.weekday_context);
                let alone =
                    (pos == 0 || self.clause[pos - 1] != self.clause[pos]) && self.ends_clause(pos);
                let day_follows = self.day_number(pos + 1).is_some();
                if !(context || alone || day_follows) {
                    return None;
                }
            }
            return Some(wd);
        }
        let wd = self.lookup(pos, self.t.tail_only_weekdays)?;
        self.is_any(pos + 1, self.t.weekday_tails).then_some(wd)
    }

    /// "el viernes", "na sexta-feira", "next Monday", "el lunes 30", "friday of next week".
    fn weekday(&self, pos: usize) -> Option<Found> {
        let wd = self.weekday_word(pos)?;
        let start = self.lead_start(pos);
        let mut end = pos + 1;
        if self.is_any(end, self.t.weekday_tails) {
            end += 1;
        }
        let found = |end, date| {
            Some(Found {
                start,
                core: pos,
                end,
                date,
                weak: false,
            })
        };
        if self.after_word_before(pos) {
            return found(end, None);
        }
        // A day of the month after it: "el lunes 30", "segunda dia 14", "sábado 5 de diciembre".
        if end < self.toks.len() && !self.gap_before(end).contains(['.', '!', '?', ';', '\n']) {
            let day_at = end + self.longest_prefix(end).map_or(0, |(l, _)| l);
            if let Some((date, day_end)) = self.full_date(day_at) {
                return found(day_end, date);
            }
            let pair = self
                .day_number(day_at)
                .filter(|_| !self.not_a_day(day_at))
                .map(|d| weekday_and_day(self.today, wd, d));
            match pair {
                Some(Pair::Date(date)) => return found(day_at + 1, Some(date)),
                Some(Pair::Past) => return found(day_at + 1, None),
                _ => {}
            }
        }
        if self.is_any(end, self.t.past_after)
            || (pos > 0 && self.is_any(pos - 1, self.t.past_before))
        {
            return found(end + usize::from(self.is_any(end, self.t.past_after)), None);
        }
        let rule = if let Some(len) = self.longest(end, self.t.next_week_after) {
            end += len;
            WeekdayRule::NextWeek
        } else if let Some(len) = self.longest(end, self.t.after_next_after) {
            end += len;
            WeekdayRule::AfterNext
        } else if pos > 0 && self.is_any(pos - 1, self.t.after_next_before) {
            WeekdayRule::AfterNext
        } else if self.ends_with(pos, self.t.next_week_before)
            || (pos > 0
                && self.is_any(pos - 1, self.t.fillers)
                && self.ends_with(pos - 1, self.t.next_week_before))
        {
            WeekdayRule::NextWeek
        } else if pos > 0 && self.is_any(pos - 1, self.t.this_before) {
            WeekdayRule::OnOrAfter
        } else {
            WeekdayRule::After
        };
        found(end, weekday_date(self.today, wd, rule))
    }

    /// The longest day prefix at `pos` and whether it is strong.
    fn longest_prefix(&self, pos: usize) -> Option<(usize, bool)> {
        self.t
            .day_prefixes
            .iter()
            .filter(|(p, _)| self.phrase(pos, p))
            .max_by_key(|(p, _)| p.len())
            .map(|&(p, strong)| (p.len(), strong))
    }

    /// Dates with a month ("3 de diciembre", "Dec 3rd", "3/12", "2026-12-03") and days of the
    /// month after a prefix ("el 15", "dia 5", "the 15th", "on the 1st of next month").
    fn dated(&self, pos: usize) -> Option<Found> {
        let drop = |s: usize| self.after_word_before(s) || self.week_of_before(s);
        if let Some((date, end)) = self.full_date(pos) {
            let date = date.filter(|_| !drop(pos));
            return Some(Found {
                start: pos,
                core: pos,
                end,
                date,
                weak: false,
            });
        }
        let (day_at, strong) = match self.longest_prefix(pos) {
            Some((len, strong)) => (pos + len, strong),
            None if self.t.bare_ordinals
                && self.has_ordinal_suffix(pos)
                && !self.is_any(pos + 1, self.t.ordinal_nouns) =>
            {
                (pos, false)
            }
            None => return None,
        };
        let found = |end, date: Option<NaiveDate>| {
            Some(Found {
                start: pos,
                core: day_at,
                end,
                date: date.filter(|_| !drop(pos)),
                weak: false,
            })
        };
        if let Some((date, end)) = self.full_date(day_at) {
            return found(end, date);
        }
        let day = if self.is_any(day_at, self.t.first_words) {
            let tail = self.longest(day_at + 1, self.t.next_month).is_some()
                || self.longest(day_at + 1, self.t.this_month).is_some();
            (strong || tail || self.ends_clause(day_at)).then_some(1)?
        } else {
            let plain_ok = |followers: &[&str]| {
                strong
                    || self.has_ordinal_suffix(day_at)
                    || self.ends_clause(day_at)
                    || self.is_any(day_at + 1, followers)
            };
            self.day_number(day_at)
                .filter(|_| !self.not_a_day(day_at))
                .filter(|_| self.t.plain_day_followers.is_none_or(plain_ok))?
        };
        let mut end = day_at + 1;
        if let Some(len) = self.longest(end, self.t.next_month) {
            return found(end + len, day_of_next_month(self.today, day));
        }
        if let Some(len) = self.longest(end, self.t.this_month) {
            end += len;
        }
        if let Some(month) = self.holiday_before(pos) {
            return found(end, next_month_day(self.today, month, day));
        }
        found(end, next_day_of_month(self.today, day))
    }

    /// A date with its month at word `pos`: numeric ("3/12", "03/12/2026", "2026-12-03"), day
    /// then month ("3 de diciembre", "1st of December") or month then day ("Dec 3rd",
    /// "December 4, 2026"). The date is None when the words name an impossible or past one.
    fn full_date(&self, pos: usize) -> Option<(Option<NaiveDate>, usize)> {
        let word = self.w(pos)?;
        if all_digits(word)
            && let Some(numeric) = self.numeric_date(pos)
        {
            return Some(numeric);
        }
        // Day then month.
        let day = if self.is_any(pos, self.t.first_words) {
            Some(1)
        } else {
            self.day_number(pos)
        };
        if let Some(day) = day
            && !self.gap_before(pos).contains(['$', '#'])
        {
            let month_at = if self.is_any(pos + 1, self.t.day_of) {
                pos + 2
            } else {
                pos + 1
            };
            if let Some(month) = self.lookup(month_at, self.t.months) {
                let (year, end) = self.year_after(month_at + 1);
                return Some((self.month_day(year, month, day), end));
            }
        }
        // Month then day.
        let month = self.lookup(pos, self.t.months)?;
        if !matches!(self.gap_after(pos), " " | ". " | ".") {
            return None;
        }
        let day = self.day_number(pos + 1)?;
        let (year, end) = self.year_after(pos + 2);
        if year.is_none() && self.not_a_day(pos + 1) {
            return None;
        }
        Some((self.month_day(year, month, day), end))
    }

    /// "3/12", "03/12/2026", "2026-12-03", "12/3" (en) at word `pos`.
    fn numeric_date(&self, pos: usize) -> Option<(Option<NaiveDate>, usize)> {
        let before = self.gap_before(pos);
        if before.ends_with(['/', '-', '.']) || before.contains(['$', '#']) {
            return None;
        }
        let sep = self.gap_after(pos);
        if !matches!(sep, "/" | "-" | ".") {
            return None;
        }
        let first = self.w(pos)?;
        let second = self.w(pos + 1).filter(|w| all_digits(w))?;
        let third = self
            .w(pos + 2)
            .filter(|w| all_digits(w) && self.gap_after(pos + 1) == sep);
        if let Some(third) = third {
            if self.gap_after(pos + 2) == sep && self.w(pos + 3).is_some_and(all_digits) {
                return None;
            }
            let (year, month, day) = if first.len() == 4 {
                (
                    first.parse().ok()?,
                    second.parse().ok()?,
                    third.parse().ok()?,
                )
            } else {
                let year: i32 = match third.len() {
                    4 => third.parse().ok()?,
                    2 if sep == "/" => 2000 + third.parse::<i32>().ok()?,
                    _ => return None,
                };
                let (first_number, second_number): (u32, u32) =
                    (first.parse().ok()?, second.parse().ok()?);
                if self.t.day_first {
                    (year, second_number, first_number)
                } else {
                    (year, first_number, second_number)
                }
            };
            if !(1900..=2200).contains(&year) {
                return None;
            }
            return Some((self.month_day(Some(year), month, day), pos + 3));
        }
        if sep != "/"
            || first.len() > 2
            || second.len() > 2
            || self.gap_after(pos + 1).starts_with('/')
        {
            return None;
        }
        let (first_number, second_number): (u32, u32) = (first.parse().ok()?, second.parse().ok()?);
        let fraction = matches!(
            (first_number, second_number),
            (1, 2) | (1, 3) | (2, 3) | (1, 4) | (3, 4)
        ) && !(pos > 0 && self.longest_prefix(pos - 1).is_some());
        if fraction || (first_number, second_number) == (24, 7) {
            return None;
        }
        let (month, day) = if self.t.day_first {
            (second_number, first_number)
        } else {
            (first_number, second_number)
        };
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            return None;
        }
        Some((self.month_day(None, month, day), pos + 2))
    }

    /// A year after a date ("de 2026", ", 2026", "2026") at word `pos`: the year and the end.
    fn year_after(&self, pos: usize) -> (Option<i32>, usize) {
        let at = |k: usize| {
            self.w(k)
                .filter(|w| is_year(w))
                .and_then(|w| w.parse().ok())
        };
        if let Some(year) = at(pos) {
            return (Some(year), pos + 1);
        }
        if self.is_any(pos, &["de", "del", "of"])
            && let Some(year) = at(pos + 1)
        {
            return (Some(year), pos + 2);
        }
        (None, pos)
    }

    /// `day` of `month`: of `year`, or the next such date on or after today.
    fn month_day(&self, year: Option<i32>, month: u32, day: u32) -> Option<NaiveDate> {
        match year {
            Some(year) => NaiveDate::from_ymd_opt(year, month, day),
            None => next_month_day(self.today, month, day),
        }
    }

    // ---- choosing ----

    /// Every date the text names, with its words.
    fn found(&self) -> Vec<Found> {
        let mut out = Vec::new();
        let mut pos = 0;
        while pos < self.toks.len() {
            match self.match_at(pos) {
                Some(hit) => {
                    pos = hit.end.max(pos + 1);
                    if hit.date.is_some() {
                        out.push(hit);
                    }
                }
                None => pos += 1,
            }
        }
        out
    }

    /// The promised date: the earliest on or after today, first among the dates of clauses
    /// that neither deny nor set a condition, named ones before promptness words; then among
    /// conditional ones. Denied dates are never chosen.
    fn best(&self) -> Option<FoundDate> {
        let tier = |f: &Found| {
            let c = self.clause[f.core];
            if self.negated[c] && !self.until_before(f.core) {
                None
            } else {
                Some(u8::from(self.conditional[c]) * 2 + u8::from(f.weak))
            }
        };
        self.found()
            .into_iter()
            .filter_map(|f| {
                let date = f.date.filter(|d| *d >= self.today)?;
                Some((tier(&f)?, date, f))
            })
            .min_by_key(|(tier, date, f)| (*tier, *date, f.start))
            .map(|(_, date, f)| FoundDate {
                date,
                expression: self.text[self.toks[f.start].start..self.toks[f.end - 1].end]
                    .to_string(),
            })
    }
}

/// Whether a word matches a table word: equal, or equal once repeated letters are cut to one
/// when the table word has four letters or more ("tomorow" for "tomorrow", "amanhaa").
fn same(word: &str, key: &str) -> bool {
    if word == key {
        return true;
    }
    if word.chars().next() != key.chars().next() || collapsed(key).count() < 4 {
        return false;
    }
    collapsed(word).eq(collapsed(key))
}

fn collapsed(text: &str) -> impl Iterator<Item = char> + '_ {
    let mut last = None;
    text.chars().filter(move |&c| {
        let keep = Some(c) != last;
        last = Some(c);
        keep
    })
}

fn all_digits(word: &str) -> bool {
    !word.is_empty() && word.bytes().all(|b| b.is_ascii_digit())
}

fn is_year(word: &str) -> bool {
    word.len() == 4 && all_digits(word) && (1900..=2200).contains(&word.parse::<i32>().unwrap_or(0))
}

// ---- calendar ----

fn first_of_next_month(date: NaiveDate) -> Option<NaiveDate> {
    date.with_day(1)?.checked_add_months(Months::new(1))
}

/// The last day of `date`'s month.
pub fn last_of_month(date: NaiveDate) -> Option<NaiveDate> {
    first_of_next_month(date)?.pred_opt()
}

/// Day `day` of the first month, from `today`'s (or the next one when `skip_this_month`), that
/// has it and where it is strictly after today.
fn day_in_months(today: NaiveDate, day: u32, skip_this_month: bool) -> Option<NaiveDate> {
    let first = today.with_day(1)?;
    (u32::from(skip_this_month)..=24)
        .filter_map(|k| first.checked_add_months(Months::new(k))?.with_day(day))
        .find(|date| *date > today)
}

/// "el 15", "dia 5": the next day `day` strictly after today.
pub fn next_day_of_month(today: NaiveDate, day: u32) -> Option<NaiveDate> {
    day_in_months(today, day, false)
}

/// "el 5 del mes que viene": day `day` of next month (or the next month that has it).
pub fn day_of_next_month(today: NaiveDate, day: u32) -> Option<NaiveDate> {
    day_in_months(today, day, true)
}

/// "3 de diciembre": the next 3 December on or after today (29 February may be years away);
/// None when that date was less than [`PAST_WINDOW_DAYS`] ago ("el 15 de octubre" said in
/// November speaks of the past, not of next October).
pub fn next_month_day(today: NaiveDate, month: u32, day: u32) -> Option<NaiveDate> {
    let recent = today.checked_sub_days(Days::new(PAST_WINDOW_DAYS))?;
    let mut dates = (-1..=8)
        .filter_map(|k| NaiveDate::from_ymd_opt(today.year().checked_add(k)?, month, day))
        .skip_while(|date| *date < recent);
    let first = dates.next()?;
    (first >= today).then_some(first)
}

/// A month and day without a year that fell this many days ago or fewer is a past date.
pub const PAST_WINDOW_DAYS: u64 = 90;

/// The next 15th or last day of the month, strictly after today.
pub fn next_quincena(today: NaiveDate) -> Option<NaiveDate> {
    let last = last_of_month(today)?;
    if today.day() < 15 {
        today.with_day(15)
    } else if today < last {
        Some(last)
    } else {
        first_of_next_month(today)?.with_day(15)
    }
}

fn weekday_date(today: NaiveDate, wd: Weekday, rule: WeekdayRule) -> Option<NaiveDate> {
    let ahead = (7 + wd.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
    let days = match rule {
        WeekdayRule::After if ahead == 0 => 7,
        WeekdayRule::After | WeekdayRule::OnOrAfter => ahead,
        WeekdayRule::NextWeek => {
            7 + wd.num_days_from_monday() - today.weekday().num_days_from_monday()
        }
        WeekdayRule::AfterNext => {
            if ahead == 0 {
                14
            } else {
                ahead + 7
            }
        }
    };
    today.checked_add_days(Days::new(days.into()))
}

/// What a weekday with a day of the month ("el lunes 30") names.
#[derive(Debug, PartialEq)]
enum Pair {
    /// Day `day` on or after today, the first of the next two that falls on the weekday.
    Date(NaiveDate),
    /// The last day `day` before today fell on the weekday: a past date ("el lunes 23").
    Past,
    /// Neither: the number is not read as a day ("friday 20" may be $20).
    Neither,
}

fn weekday_and_day(today: NaiveDate, wd: Weekday, day: u32) -> Pair {
    let Some(first) = today.pred_opt().and_then(|y| day_in_months(y, day, false)) else {
        return Pair::Neither;
    };
    if first.weekday() == wd {
        return Pair::Date(first);
    }
    if let Some(second) = day_in_months(first, day, false).filter(|s| s.weekday() == wd) {
        return Pair::Date(second);
    }
    let last = [Some(today), today.checked_sub_months(Months::new(1))]
        .into_iter()
        .flatten()
        .filter_map(|m| m.with_day(day))
        .find(|date| *date < today);
    if last.is_some_and(|l| l.weekday() == wd) {
        Pair::Past
    } else {
        Pair::Neither
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::fold;

    fn day(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    #[test]
    fn every_table_word_is_normalised() {
        for (lang, table) in [(Lang::Es, &ES), (Lang::Pt, &PT), (Lang::En, &EN)] {
            let mut all: Vec<&str> = Vec::new();
            let phrases = [
                table.soon,
                table.blockers,
                table.next_week_after,
                table.next_week_before,
                table.after_next_after,
                table.next_month,
                table.this_month,
                table.end_of_month,
                table.end_of_next_month,
                table.in_words,
                table.give_words,
                table.from_now,
                table.not_negations,
                table.not_conditionals,
            ];
            for list in phrases {
                for phrase in list {
                    assert!(!phrase.is_empty(), "{lang}: an empty phrase");
                    all.extend(phrase.iter());
                }
            }
            for (phrase, _) in table.offsets {
                all.extend(phrase.iter());
            }
            for (phrase, _) in table.day_prefixes {
                all.extend(phrase.iter());
            }
            let lists = [
                table.weekday_tails,
                table.ambiguous_weekdays,
                table.weekday_context,
                table.weekday_nouns,
                table.ordinal_nouns,
                table.plain_day_followers.unwrap_or_default(),
                table.this_before,
                table.past_after,
                table.past_before,
                table.after_next_before,
                table.fillers,
                table.leads,
                table.day_of,
                table.ordinal_suffixes,
                table.first_words,
                table.quincena,
                table.half_words,
                table.or_words,
                table.negations,
                table.conditionals,
                table.clause_words,
                table.until_words,
                table.after_words,
                table.week_words,
                table.morning.0,
                table.morning.1,
                table.soon_at_clause_start,
            ];
            all.extend(table.holidays.iter().map(|(w, _)| *w));
            for list in lists {
                all.extend(list.iter());
            }
            all.extend(table.weekdays.iter().map(|(w, _)| *w));
            all.extend(table.tail_only_weekdays.iter().map(|(w, _)| *w));
            all.extend(table.months.iter().map(|(w, _)| *w));
            all.extend(table.number_words.iter().map(|(w, _)| *w));
            for word in all {
                assert_eq!(fold(word), word, "{lang}: `{word}` is not normalised");
                assert_eq!(
                    words(word).collect::<Vec<_>>(),
                    [word],
                    "{lang}: `{word}` is not one word"
                );
            }
        }
    }

    #[test]
    fn doubled_letters_match_long_words_only() {
        assert!(same("tomorow", "tomorrow"));
        assert!(same("tomoroww", "tomorrow"));
        assert!(same("amanhaa", "amanha"));
        assert!(!same("moon", "mon"));
        assert!(!same("hoyy", "hoy"));
        assert!(!same("sexto", "sexta"));
    }

    #[test]
    fn calendar_helpers() {
        let wed = day(2026, 11, 25);
        assert_eq!(last_of_month(wed), Some(day(2026, 11, 30)));
        assert_eq!(last_of_month(day(2028, 2, 3)), Some(day(2028, 2, 29)));
        assert_eq!(next_day_of_month(wed, 25), Some(day(2026, 12, 25)));
        assert_eq!(next_day_of_month(wed, 26), Some(day(2026, 11, 26)));
        assert_eq!(next_day_of_month(wed, 31), Some(day(2026, 12, 31)));
        assert_eq!(
            next_day_of_month(day(2027, 1, 31), 30),
            Some(day(2027, 3, 30))
        );
        assert_eq!(day_of_next_month(wed, 1), Some(day(2026, 12, 1)));
        assert_eq!(
            day_of_next_month(day(2027, 1, 10), 30),
            Some(day(2027, 3, 30))
        );
        assert_eq!(next_month_day(wed, 11, 25), Some(wed));
        assert_eq!(next_month_day(wed, 11, 24), None);
        assert_eq!(next_month_day(wed, 10, 15), None);
        assert_eq!(next_month_day(wed, 8, 1), Some(day(2027, 8, 1)));
        assert_eq!(
            next_month_day(day(2026, 12, 20), 1, 10),
            Some(day(2027, 1, 10))
        );
        assert_eq!(next_month_day(wed, 2, 29), Some(day(2028, 2, 29)));
        assert_eq!(next_month_day(wed, 2, 30), None);
        assert_eq!(next_quincena(wed), Some(day(2026, 11, 30)));
        assert_eq!(next_quincena(day(2026, 12, 3)), Some(day(2026, 12, 15)));
        assert_eq!(next_quincena(day(2026, 12, 15)), Some(day(2026, 12, 31)));
        assert_eq!(next_quincena(day(2026, 12, 31)), Some(day(2027, 1, 15)));
        let fri = Weekday::Fri;
        assert_eq!(
            weekday_date(wed, fri, WeekdayRule::After),
            Some(day(2026, 11, 27))
        );
        assert_eq!(
            weekday_date(wed, Weekday::Wed, WeekdayRule::After),
            Some(day(2026, 12, 2))
        );
        assert_eq!(
            weekday_date(wed, Weekday::Wed, WeekdayRule::OnOrAfter),
            Some(wed)
        );
        assert_eq!(
            weekday_date(wed, fri, WeekdayRule::NextWeek),
            Some(day(2026, 12, 4))
        );
        assert_eq!(
            weekday_date(wed, Weekday::Mon, WeekdayRule::NextWeek),
            Some(day(2026, 11, 30))
        );
        assert_eq!(
            weekday_and_day(wed, Weekday::Mon, 30),
            Pair::Date(day(2026, 11, 30))
        );
        assert_eq!(
            weekday_and_day(wed, Weekday::Thu, 3),
            Pair::Date(day(2026, 12, 3))
        );
        assert_eq!(weekday_and_day(wed, Weekday::Wed, 25), Pair::Date(wed));
        assert_eq!(weekday_and_day(wed, Weekday::Mon, 23), Pair::Past);
        // Not a Monday in the next two months nor last time: no date from the pair.
        assert_eq!(weekday_and_day(wed, Weekday::Mon, 5), Pair::Neither);
    }

    #[test]
    fn expressions_show_the_words() {
        let wed = day(2026, 11, 25);
        for (lang, text, expr) in [
            (Lang::Es, "te pago el viernes sin falta", "el viernes"),
            (Lang::Es, "el proximo lunes pago", "el proximo lunes"),
            (Lang::Pt, "dia 5 eu pago", "dia 5"),
            (Lang::Pt, "pago no dia 10/12", "no dia 10/12"),
            (Lang::En, "i'll pay on the 15th", "on the 15th"),
            (Lang::En, "payment will go out dec 3rd", "dec 3rd"),
            (Lang::Es, "a fin de mes te pago", "fin de mes"),
        ] {
            let got = promised_date(text, lang, wed).expect(text);
            assert_eq!(got.expression, expr, "{text}");
        }
    }
}
