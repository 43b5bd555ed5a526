//! Money and dates as a debtor reads them: pure functions of the language, the country and the
//! currency. Every amount a message shows goes through [`format_money`], every date through
//! [`format_date`] or [`format_date_long`].

use chrono::{Datelike, NaiveDate};

use recaudo_domain::portfolio::Language;
use recaudo_domain::{Country, Currency, Money};

/// The locale tag of a debtor (`es-CO`, `pt-BR`, `en-US`): the language, and the country when the
/// language is spoken there; otherwise the language's most common variant in our markets. It is
/// also the `<Say language>` of a voice call.
pub fn locale_tag(language: Language, country: Country) -> &'static str {
    match (language, country) {
        (Language::Es, Country::Mx) => "es-MX",
        (Language::Es, Country::Co) => "es-CO",
        (Language::Es, Country::Cl) => "es-CL",
        (Language::Es, Country::Pe) => "es-PE",
        (Language::Es, Country::Ar) => "es-AR",
        (Language::Es, Country::Es) => "es-ES",
        (Language::Es, Country::Us) => "es-US",
        (Language::Es, Country::Br) => "es-MX",
        (Language::Pt, _) => "pt-BR",
        (Language::En, _) => "en-US",
    }
}

/// Meta's language code for a WhatsApp template.
pub fn whatsapp_language_code(language: Language) -> &'static str {
    match language {
        Language::Es => "es",
        Language::Pt => "pt_BR",
        Language::En => "en_US",
    }
}

/// The thousands and decimal separators of a locale.
fn separators(language: Language, country: Country) -> (char, char) {
    match language {
        Language::Pt => ('.', ','),
        Language::En => (',', '.'),
        Language::Es => match country {
            Country::Mx | Country::Pe | Country::Us => (',', '.'),
            Country::Co | Country::Cl | Country::Ar | Country::Es | Country::Br => ('.', ','),
        },
    }
}

/// An amount as the debtor's locale writes it: `R$ 1.234,56` (pt-BR), `$ 1.234.567` (es-CO,
/// whole pesos without cents), `$1,234.56` (es-MX, en-US), `$1.234.567` (es-CL), `S/ 1,234.56`
/// (es-PE), `1.234,56 €` (es-ES).
///
/// The amount is rounded to the currency's minor unit (half-even, as everywhere else) and shown
/// without a sign: a message only ever shows what is owed, and a credit is not a debt (the
/// renderer refuses negative amounts before they get here). A `$` amount in a currency that is
/// not the country's carries its code (`$1,234.56 MXN` to a debtor in the US).
pub fn format_money(money: &Money, language: Language, country: Country) -> String {
    let text = Money::new(money.amount.abs(), money.currency).amount_text();
    let (int_part, frac_part) = match text.split_once('.') {
        Some((i, f)) => (i, f),
        None => (text.as_str(), ""),
    };
    let (group, decimal) = separators(language, country);
    let mut number = group_digits(int_part, group);
    // Colombian pesos are written without cents when there are none.
    let drop_cents = money.currency == Currency::Cop && frac_part.bytes().all(|b| b == b'0');
    if !frac_part.is_empty() && !drop_cents {
        number.push(decimal);
        number.push_str(frac_part);
    }
    let mut out = match money.currency {
        Currency::Brl => format!("R$ {number}"),
        Currency::Cop | Currency::Ars => format!("$ {number}"),
        Currency::Mxn | Currency::Usd | Currency::Clp => format!("${number}"),
        Currency::Pen => format!("S/ {number}"),
        Currency::Eur => match language {
            Language::En => format!("€{number}"),
            Language::Es | Language::Pt => format!("{number} €"),
        },
    };
    if out.contains('$') && money.currency != country.currency() {
        out.push(' ');
        out.push_str(money.currency.code());
    }
    out
}

/// `1234567` → `1.234.567` (with `.` as the group separator).
fn group_digits(digits: &str, group: char) -> String {
    let len = digits.chars().count();
    let mut out = String::with_capacity(len + len / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (len - i).is_multiple_of(3) {
            out.push(group);
        }
        out.push(c);
    }
    out
}

/// A date in the locale's short form: `15/12/2026` (es, pt, English outside the US),
/// `12/15/2026` (en-US).
pub fn format_date(date: NaiveDate, language: Language, country: Country) -> String {
    if language == Language::En && country == Country::Us {
        format!("{:02}/{:02}/{}", date.month(), date.day(), date.year())
    } else {
        format!("{:02}/{:02}/{}", date.day(), date.month(), date.year())
    }
}

/// A date written out, for letters and emails: `15 de diciembre de 2026`, `15 de dezembro de
/// 2026`, `December 15, 2026` (en-US; `15 December 2026` elsewhere).
pub fn format_date_long(date: NaiveDate, language: Language, country: Country) -> String {
    let month = month_name(date.month(), language);
    match language {
        Language::Es => format!("{} de {month} de {}", date.day(), date.year()),
        Language::Pt => format!("{} de {month} de {}", date.day(), date.year()),
        Language::En if country == Country::Us => {
            format!("{month} {}, {}", date.day(), date.year())
        }
        Language::En => format!("{} {month} {}", date.day(), date.year()),
    }
}

/// The name of `month` (1 to 12; another number reads as December) in `language`, as a date
/// is written or spoken (`diciembre`, `dezembro`, `December`).
pub fn month_name(month: u32, language: Language) -> &'static str {
    let index = (month.clamp(1, 12) - 1) as usize;
    match language {
        Language::Es => MONTHS_ES[index],
        Language::Pt => MONTHS_PT[index],
        Language::En => MONTHS_EN[index],
    }
}

const MONTHS_ES: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];
const MONTHS_PT: [&str; 12] = [
    "janeiro",
    "fevereiro",
    "março",
    "abril",
    "maio",
    "junho",
    "julho",
    "agosto",
    "setembro",
    "outubro",
    "novembro",
    "dezembro",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_digits_from_the_right() {
        assert_eq!(group_digits("0", '.'), "0");
        assert_eq!(group_digits("123", '.'), "123");
        assert_eq!(group_digits("1234", '.'), "1.234");
        assert_eq!(group_digits("123456", ','), "123,456");
        assert_eq!(group_digits("1234567", '.'), "1.234.567");
    }
}
