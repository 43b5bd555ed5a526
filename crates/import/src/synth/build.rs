//! Builds the rows of one synthetic debtor: identity, document, contact points, consent and
//! debts, written straight into a [`SynthRow`] buffer.

use std::collections::VecDeque;
use std::fmt::Write as _;

use chrono::{Datelike, Months, NaiveDate, TimeDelta};
use recaudo_domain::Country;
use recaudo_domain::documents as docs;

use super::data::{self, City, Names};
use super::rng::Rng;
use super::{COLUMN_COUNT, SynthRow};

/// Index of the first debt column: columns before it belong to the debtor.
const DEBT_START: usize = 28;

impl SynthRow {
    fn with_capacity(cap: usize) -> Self {
        SynthRow {
            buf: String::with_capacity(cap),
            ends: [0; COLUMN_COUNT],
        }
    }
}

/// Appends fields in column order.
struct Fields<'a> {
    row: &'a mut SynthRow,
    next: usize,
}

impl Fields<'_> {
    fn buf(&mut self) -> &mut String {
        &mut self.row.buf
    }

    /// Ends the field being written.
    fn end(&mut self) {
        self.row.ends[self.next] = self.row.buf.len() as u32;
        self.next += 1;
    }

    fn str(&mut self, text: &str) {
        self.row.buf.push_str(text);
        self.end();
    }

    fn empty(&mut self) {
        self.end();
    }

    fn date(&mut self, date: NaiveDate) {
        push_date(&mut self.row.buf, date);
        self.end();
    }
}

fn push_date(buf: &mut String, date: NaiveDate) {
    push_num(buf, date.year() as u64, 4);
    buf.push('-');
    push_num(buf, u64::from(date.month()), 2);
    buf.push('-');
    push_num(buf, u64::from(date.day()), 2);
}

/// Appends `n` in decimal, zero-padded to at least `width` digits (`write!` is slower, and
/// this runs several times per row).
fn push_num(buf: &mut String, mut value: u64, width: usize) {
    let mut tmp = [b'0'; 20];
    let mut pos = tmp.len();
    loop {
        pos -= 1;
        tmp[pos] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    let start = pos.min(tmp.len() - width.min(tmp.len()));
    for &digit in &tmp[start..] {
        buf.push(char::from(digit));
    }
}

/// Folds the accented Latin letters of Portuguese and Spanish names to ASCII.
fn fold(ch: char) -> char {
    match ch {
        'á' | 'à' | 'â' | 'ã' | 'ä' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'í' | 'ì' | 'î' | 'ï' => 'i',
        'ó' | 'ò' | 'ô' | 'õ' | 'ö' => 'o',
        'ú' | 'ù' | 'û' | 'ü' => 'u',
        'ç' => 'c',
        'ñ' => 'n',
        'Á' | 'À' | 'Â' | 'Ã' | 'Ä' => 'A',
        'É' | 'È' | 'Ê' | 'Ë' => 'E',
        'Í' | 'Ì' | 'Î' | 'Ï' => 'I',
        'Ó' | 'Ò' | 'Ô' | 'Õ' | 'Ö' => 'O',
        'Ú' | 'Ù' | 'Û' | 'Ü' => 'U',
        'Ç' => 'C',
        'Ñ' => 'N',
        other => other,
    }
}

/// Appends `s` as lower-case ASCII letters and digits only (for email local parts and domains).
fn push_slug(buf: &mut String, text: &str) {
    for ch in text.chars().map(fold) {
        if ch.is_ascii_alphanumeric() {
            buf.push(ch.to_ascii_lowercase());
        }
    }
}

/// Upper-cases what was written from `start` on (registry-style names: `MARÍA LÓPEZ`).
fn upper_from(buf: &mut String, start: usize) {
    if buf[start..].is_ascii() {
        buf[start..].make_ascii_uppercase();
    } else {
        let up = buf[start..].to_uppercase();
        buf.truncate(start);
        buf.push_str(&up);
    }
}

fn push_digits(buf: &mut String, digits: &[u8]) {
    for &digit in digits {
        buf.push(char::from(b'0' + digit));
    }
}

fn random_digits<const N: usize>(rng: &mut Rng) -> [u8; N] {
    let mut digits = [0u8; N];
    for digit in &mut digits {
        *digit = rng.below(10) as u8;
    }
    digits
}

fn digits_of<const N: usize>(mut value: u64) -> [u8; N] {
    let mut digits = [0u8; N];
    for digit in digits.iter_mut().rev() {
        *digit = (value % 10) as u8;
        value /= 10;
    }
    digits
}

/// `12345678` → `12.345.678`.
fn push_thousands(buf: &mut String, number: u32) {
    if number >= 1_000_000 {
        let _ = write!(
            buf,
            "{}.{:03}.{:03}",
            number / 1_000_000,
            number / 1000 % 1000,
            number % 1000
        );
    } else if number >= 1000 {
        let _ = write!(buf, "{}.{:03}", number / 1000, number % 1000);
    } else {
        let _ = write!(buf, "{number}");
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Group {
    Pt,
    Es,
    En,
}

impl Group {
    fn names(self) -> &'static Names {
        match self {
            Group::Pt => &data::PT_NAMES,
            Group::Es => &data::ES_NAMES,
            Group::En => &data::EN_NAMES,
        }
    }

    fn company_cores(self) -> &'static [&'static str] {
        match self {
            Group::Pt => data::PT_COMPANY_CORES,
            Group::Es => data::ES_COMPANY_CORES,
            Group::En => data::EN_COMPANY_CORES,
        }
    }
}

struct Person {
    female: bool,
    given: &'static str,
    given2: Option<&'static str>,
    middle_initial: Option<char>,
    sur1: &'static str,
    sur2: Option<&'static str>,
    birth: NaiveDate,
    group: Group,
}

struct Business {
    prefix: &'static str,
    core: &'static str,
    suffix: &'static str,
    founded: NaiveDate,
}

enum Identity {
    Person(Person),
    Business(Business),
}

/// A national significant number, as ASCII digits.
struct PhoneNumber {
    nsn: [u8; 11],
    len: usize,
    /// Length of the area code (or the mobile prefix) at the start of `nsn`.
    area_len: usize,
}

impl PhoneNumber {
    fn new() -> Self {
        PhoneNumber {
            nsn: [b'0'; 11],
            len: 0,
            area_len: 0,
        }
    }

    fn push(&mut self, digit: u8) {
        self.nsn[self.len] = b'0' + digit;
        self.len += 1;
    }

    fn push_number(&mut self, value: u64, width: usize) {
        let mut tmp = [0u8; 11];
        let mut value = value;
        for digit in tmp[..width].iter_mut().rev() {
            *digit = (value % 10) as u8;
            value /= 10;
        }
        for &digit in &tmp[..width] {
            self.push(digit);
        }
    }

    fn push_random(&mut self, rng: &mut Rng, count: usize) {
        for _ in 0..count {
            self.push(rng.below(10) as u8);
        }
    }

    fn s(&self, from: usize, to: usize) -> &str {
        std::str::from_utf8(&self.nsn[from..to]).expect("ASCII digits")
    }

    fn all(&self) -> &str {
        self.s(0, self.len)
    }
}

fn country_code(country: Country) -> &'static str {
    match country {
        Country::Br => "55",
        Country::Mx => "52",
        Country::Co => "57",
        Country::Cl => "56",
        Country::Pe => "51",
        Country::Ar => "54",
        Country::Es => "34",
        Country::Us => "1",
    }
}

/// A valid mobile number of `country`, near `city` where numbers are geographic.
fn mobile(rng: &mut Rng, country: Country, city: &City) -> PhoneNumber {
    let mut phone = PhoneNumber::new();
    match country {
        Country::Br => {
            phone.push_number(u64::from(*rng.pick(city.area)), 2);
            phone.area_len = 2;
            phone.push(9);
            phone.push(rng.range(6, 9) as u8);
            phone.push_random(rng, 7);
        }
        Country::Mx => {
            let area = *rng.pick(city.area);
            let width = if area < 100 { 2 } else { 3 };
            phone.push_number(u64::from(area), width);
            phone.area_len = width;
            phone.push(rng.range(1, 9) as u8);
            phone.push_random(rng, 10 - width - 1);
        }
        Country::Co => {
            const PREFIXES: &[u16] = &[
                300, 301, 302, 303, 304, 305, 310, 311, 312, 313, 314, 315, 316, 317, 318, 319,
                320, 321, 322, 323, 350, 351,
            ];
            phone.push_number(u64::from(*rng.pick(PREFIXES)), 3);
            phone.area_len = 3;
            phone.push(rng.range(1, 9) as u8);
            phone.push_random(rng, 6);
        }
        Country::Cl => {
            // 9 then a block that libphonenumber knows as mobile.
            const BLOCKS: &[u16] = &[
                92, 94, 95, 98, 960, 961, 962, 963, 964, 965, 966, 967, 968, 971, 972, 973, 974,
                975, 976, 977, 978, 979, 993, 994, 995, 996, 997, 998, 999,
            ];
            let block = *rng.pick(BLOCKS);
            let width = if block < 100 { 2 } else { 3 };
            phone.push_number(u64::from(block), width);
            phone.area_len = 1;
            phone.push_random(rng, 9 - width);
        }
        Country::Pe => {
            phone.push(9);
            phone.area_len = 3;
            phone.push_random(rng, 8);
        }
        Country::Es => {
            if rng.chance(0.85) {
                phone.push(6);
            } else {
                phone.push(7);
                phone.push(rng.range(1, 4) as u8);
            }
            phone.area_len = 3;
            let rest = 9 - phone.len;
            phone.push_random(rng, rest);
        }
        Country::Us => {
            phone.push_number(u64::from(*rng.pick(city.area)), 3);
            phone.area_len = 3;
            // Exchange: 2-9 first, not N11, not 555 (reserved for fiction).
            loop {
                let ex = rng.range(200, 999) as u64;
                if ex % 100 != 11 && ex != 555 {
                    phone.push_number(ex, 3);
                    break;
                }
            }
            phone.push_random(rng, 4);
        }
        Country::Ar => {
            // International mobile form: 9, area code, subscriber starting 3-6.
            phone.push(9);
            let area = *rng.pick(city.area);
            let width = if area < 100 { 2 } else { 3 };
            phone.push_number(u64::from(area), width);
            phone.area_len = 1 + width;
            phone.push(rng.range(3, 6) as u8);
            phone.push_random(rng, 10 - width - 1);
        }
    }
    phone
}

/// Writes `phone` in one of the ways people and systems write numbers of `country`; style 0 is the
/// country's usual national format, 1 international with spaces, 2 bare digits, 3 E.164.
fn push_phone(buf: &mut String, country: Country, phone: &PhoneNumber, style: u32) {
    let cc = country_code(country);
    let len = phone.len;
    let area = phone.area_len;
    if style == 3 || (style == 2 && country == Country::Ar) {
        let _ = write!(buf, "+{cc}{}", phone.all());
        return;
    }
    if style == 2 {
        buf.push_str(phone.all());
        return;
    }
    let intl = style == 1;
    match country {
        Country::Br => {
            if intl {
                let _ = write!(
                    buf,
                    "+55 {} {}-{}",
                    phone.s(0, 2),
                    phone.s(2, 7),
                    phone.s(7, len)
                );
            } else {
                let _ = write!(
                    buf,
                    "({}) {}-{}",
                    phone.s(0, 2),
                    phone.s(2, 7),
                    phone.s(7, len)
                );
            }
        }
        Country::Mx => {
            if intl {
                buf.push_str("+52 ");
            }
            let mid = area + (len - area) / 2;
            let _ = write!(
                buf,
                "{} {} {}",
                phone.s(0, area),
                phone.s(area, mid),
                phone.s(mid, len)
            );
        }
        Country::Co => {
            if intl {
                let _ = write!(buf, "+57 {} {}", phone.s(0, 3), phone.s(3, len));
            } else {
                let _ = write!(
                    buf,
                    "{} {} {}",
                    phone.s(0, 3),
                    phone.s(3, 6),
                    phone.s(6, len)
                );
            }
        }
        Country::Cl => {
            if intl {
                buf.push_str("+56 ");
            }
            let _ = write!(
                buf,
                "{} {} {}",
                phone.s(0, 1),
                phone.s(1, 5),
                phone.s(5, len)
            );
        }
        Country::Pe => {
            if intl {
                buf.push_str("+51 ");
            }
            let _ = write!(
                buf,
                "{} {} {}",
                phone.s(0, 3),
                phone.s(3, 6),
                phone.s(6, len)
            );
        }
        Country::Es => {
            if intl {
                let _ = write!(
                    buf,
                    "+34 {} {} {} {}",
                    phone.s(0, 3),
                    phone.s(3, 5),
                    phone.s(5, 7),
                    phone.s(7, len)
                );
            } else {
                let _ = write!(
                    buf,
                    "{} {} {}",
                    phone.s(0, 3),
                    phone.s(3, 6),
                    phone.s(6, len)
                );
            }
        }
        Country::Us => {
            if intl {
                let _ = write!(
                    buf,
                    "+1 {}-{}-{}",
                    phone.s(0, 3),
                    phone.s(3, 6),
                    phone.s(6, len)
                );
            } else {
                let _ = write!(
                    buf,
                    "({}) {}-{}",
                    phone.s(0, 3),
                    phone.s(3, 6),
                    phone.s(6, len)
                );
            }
        }
        Country::Ar => {
            let split = len - 4;
            let _ = write!(
                buf,
                "+54 9 {} {}-{}",
                phone.s(1, area),
                phone.s(area, split),
                phone.s(split, len)
            );
        }
    }
}

fn phone_style(rng: &mut Rng) -> u32 {
    rng.weighted(&[55, 20, 17, 8]) as u32
}

fn consent(rng: &mut Rng) -> &'static str {
    let draw = rng.f64();
    if draw < 0.80 {
        "granted"
    } else if draw < 0.945 {
        "unknown"
    } else if draw < 0.975 {
        "opted_out"
    } else {
        "denied"
    }
}

fn days(count: i64) -> TimeDelta {
    TimeDelta::days(count)
}

/// Age 18–85, skewed towards the 30s and 40s.
fn birth_date(rng: &mut Rng, today: NaiveDate) -> NaiveDate {
    // Kumaraswamy(1.6, 3) over 18..=85: mode near 39, a long tail of older debtors, and
    // young adults present but fewer.
    let x = (1.0 - (1.0 - rng.f64()).powf(1.0 / 3.0)).powf(1.0 / 1.6);
    let age = (18.0 + 68.0 * x).min(85.0) as u32;
    let anniversary = today
        .checked_sub_months(Months::new(12 * age))
        .unwrap_or(today);
    anniversary - days(rng.range(0, 364))
}

/// Everything about one debtor needed after the debtor fields are written.
struct DebtorCtx {
    country: Country,
    seq: u32,
    business: bool,
    contract: u64,
}

/// Generates debtor number `seq` of `country` and pushes its rows (1 to 3) onto `out`.
pub(super) fn debtor_rows(
    rng: &mut Rng,
    country: Country,
    seq: u32,
    today: NaiveDate,
    sector: super::Sector,
    out: &mut VecDeque<SynthRow>,
) {
    let city = rng.pick_weighted(data::cities(country), |c| c.weight);
    let identity = identity(rng, country, today);
    let ctx = DebtorCtx {
        country,
        seq,
        business: matches!(identity, Identity::Business(_)),
        contract: rng.range(1_000_000_000, 9_999_999_999) as u64,
    };

    let mut head = SynthRow::with_capacity(512);
    let mut fields = Fields {
        row: &mut head,
        next: 0,
    };
    write_debtor(&mut fields, rng, &ctx, city, &identity, today);
    debug_assert_eq!(fields.next, DEBT_START);

    let n_debts = 1 + rng.weighted(&[80, 15, 5]);
    let products = data::products(country);
    let mut first: Option<(usize, NaiveDate, f64)> = None;
    for index in 0..n_debts {
        let (product, due, amount) = match first {
            Some((product_index, due0, amount0)) if rng.chance(0.6) => {
                // The same bill, an earlier or later month.
                let back = due0 - days(30 * index as i64);
                let due = if back >= today - days(180) {
                    back
                } else {
                    (due0 + days(30 * index as i64)).min(today + days(30))
                };
                (product_index, due, amount0 * (0.85 + 0.3 * rng.f64()))
            }
            _ => {
                // Businesses do not owe tuition or medical bills.
                let weights: SmallWeights = products
                    .iter()
                    .map(|x| match x.0 {
                        "tuition" | "medical" if ctx.business => 0,
                        name if !sector.sells(name) => 0,
                        _ => x.2,
                    })
                    .collect();
                let product_index = rng.weighted(&weights.0[..weights.1]);
                let due = today + days(rng.range(-180, 30));
                let median = data::median_amount(country)
                    * products[product_index].1
                    * if ctx.business { 5.0 } else { 1.0 };
                let amount = rng
                    .lognormal(median, 0.85)
                    .clamp(median * 0.05, median * 40.0);
                (product_index, due, amount)
            }
        };
        if first.is_none() {
            first = Some((product, due, amount));
        }
        let mut row = if index + 1 == n_debts {
            std::mem::replace(&mut head, SynthRow::with_capacity(0))
        } else {
            head.clone()
        };
        let mut fields = Fields {
            row: &mut row,
            next: DEBT_START,
        };
        write_debt(
            &mut fields,
            rng,
            &ctx,
            index + 1,
            match products[product].0 {
                "personal_loan" if ctx.business => "business_loan",
                name => name,
            },
            due,
            amount,
        );
        out.push_back(row);
    }
}

/// Collects up to 16 weights without a heap allocation.
struct SmallWeights([u32; 16], usize);

impl FromIterator<u32> for SmallWeights {
    fn from_iter<I: IntoIterator<Item = u32>>(iter: I) -> Self {
        let mut weights = SmallWeights([0; 16], 0);
        for weight in iter.into_iter().take(16) {
            weights.0[weights.1] = weight;
            weights.1 += 1;
        }
        weights
    }
}

fn identity(rng: &mut Rng, country: Country, today: NaiveDate) -> Identity {
    let group = match country {
        Country::Br => Group::Pt,
        Country::Us if rng.chance(0.8) => Group::En,
        _ => Group::Es,
    };
    if rng.chance(0.10) {
        let patterns = data::company_patterns(country);
        let (prefix, suffix) = *rng.pick(patterns);
        let core = if rng.chance(0.3) {
            *rng.pick(group.names().surnames)
        } else {
            *rng.pick(group.company_cores())
        };
        let founded = today - days(rng.range(365, 40 * 365));
        return Identity::Business(Business {
            prefix,
            core,
            suffix,
            founded,
        });
    }
    let names = group.names();
    let female = rng.chance(0.5);
    let firsts = if female { names.female } else { names.male };
    let given = *rng.pick(firsts);
    let (mut given2, mut middle_initial) = (None, None);
    if group == Group::En {
        if rng.chance(0.35) {
            middle_initial = Some(char::from(b'A' + rng.below(26) as u8));
        }
    } else if rng.chance(match country {
        Country::Br | Country::Mx => 0.25,
        _ => 0.12,
    }) {
        let g2 = *rng.pick(firsts);
        if g2 != given {
            given2 = Some(g2);
        }
    }
    let sur1 = *rng.pick(names.surnames);
    let two_surnames = match (country, group) {
        (_, Group::En) => 0.0,
        (Country::Br, _) => 0.85,
        (Country::Us, _) => 0.3,
        (Country::Ar, _) => 0.15,
        _ => 0.95,
    };
    let sur2 = if rng.chance(two_surnames) {
        let surname = *rng.pick(names.surnames);
        (surname != sur1).then_some(surname)
    } else {
        None
    };
    Identity::Person(Person {
        female,
        given,
        given2,
        middle_initial,
        sur1,
        sur2,
        birth: birth_date(rng, today),
        group,
    })
}

fn write_debtor(
    fields: &mut Fields<'_>,
    rng: &mut Rng,
    ctx: &DebtorCtx,
    city: &City,
    identity: &Identity,
    today: NaiveDate,
) {
    let country = ctx.country;
    // debtor_external_id
    let buf = fields.buf();
    buf.push_str(country.code());
    buf.push('-');
    push_num(buf, u64::from(ctx.seq), 6);
    fields.end();

    // debtor_name
    let start = fields.buf().len();
    let upper = match identity {
        Identity::Person(person) => {
            let buf = fields.buf();
            buf.push_str(person.given);
            if let Some(g2) = person.given2 {
                buf.push(' ');
                buf.push_str(g2);
            }
            if let Some(initial) = person.middle_initial {
                buf.push(' ');
                buf.push(initial);
                buf.push('.');
            }
            buf.push(' ');
            buf.push_str(person.sur1);
            if let Some(s2) = person.sur2 {
                buf.push(' ');
                buf.push_str(s2);
            }
            country != Country::Us && rng.chance(0.08)
        }
        Identity::Business(business) => {
            let buf = fields.buf();
            buf.push_str(business.prefix);
            buf.push_str(business.core);
            buf.push_str(business.suffix);
            rng.chance(0.2)
        }
    };
    if upper {
        upper_from(fields.buf(), start);
    }
    fields.end();

    // debtor_kind
    fields.str(if ctx.business { "business" } else { "person" });

    // document_type, document_number
    write_document(fields, rng, country, city, identity);

    // birth_date
    match identity {
        Identity::Person(person) => fields.date(person.birth),
        Identity::Business(_) => fields.empty(),
    }

    // country, language, timezone
    fields.str(country.code());
    let language = match (country, identity) {
        (Country::Us, Identity::Person(person))
            if person.group == Group::Es && rng.chance(0.45) =>
        {
            "es"
        }
        (Country::Us, _) => {
            if rng.chance(0.03) {
                "es"
            } else {
                "en"
            }
        }
        _ => country.language().as_str(),
    };
    fields.str(language);
    fields.str(city.tz);

    // segment
    fields.str(match (ctx.business, rng.chance(0.08)) {
        (false, false) => "retail",
        (true, false) => "sme",
        (_, true) => "premium",
    });

    // tags
    if rng.chance(0.25) {
        let first_tag = rng.index(data::TAGS.len());
        fields.buf().push_str(data::TAGS[first_tag]);
        if rng.chance(0.3) {
            let second_tag = rng.index(data::TAGS.len());
            if second_tag != first_tag {
                fields.buf().push('|');
                fields.buf().push_str(data::TAGS[second_tag]);
            }
        }
    }
    fields.end();

    // email
    let has_email = rng.chance(if ctx.business { 0.9 } else { 0.8 });
    if has_email {
        write_email(fields.buf(), rng, country, identity);
    }
    fields.end();

    // phone, whatsapp
    let phone = rng.chance(0.96).then(|| mobile(rng, country, city));
    let style = phone_style(rng);
    if let Some(phone_number) = &phone {
        push_phone(fields.buf(), country, phone_number, style);
    }
    fields.end();
    let whatsapp_share = match (country, ctx.business) {
        (Country::Us, _) => 0.2,
        (_, true) => 0.5,
        (Country::Br, _) => 0.9,
        (Country::Co, _) => 0.88,
        (Country::Mx | Country::Pe | Country::Ar, _) => 0.85,
        (Country::Cl, _) => 0.8,
        (Country::Es, _) => 0.75,
    };
    let mut has_whatsapp = false;
    if let Some(phone_number) = &phone
        && rng.chance(whatsapp_share)
    {
        has_whatsapp = true;
        if rng.chance(0.05) {
            // Another number for WhatsApp.
            let other = mobile(rng, country, city);
            push_phone(fields.buf(), country, &other, 3);
        } else if rng.chance(0.7) {
            push_phone(fields.buf(), country, phone_number, style);
        } else {
            push_phone(fields.buf(), country, phone_number, 3);
        }
    }
    fields.end();

    // address_line1, address_line2, address_city, address_region, address_postal_code
    let has_address = rng.chance(0.85);
    if has_address {
        write_address(fields, rng, country, city);
    } else {
        for _ in 0..5 {
            fields.empty();
        }
    }

    // email_consent, sms_consent, whatsapp_consent, voice_consent, letter_consent
    let legacy = rng.chance(0.05);
    let mut granted = false;
    for present in [
        has_email,
        phone.is_some(),
        has_whatsapp,
        phone.is_some(),
        has_address,
    ] {
        if present && !legacy {
            let status = consent(rng);
            granted |= status == "granted";
            fields.buf().push_str(status);
        }
        fields.end();
    }

    // consent_source, consent_at
    if granted {
        let source = *rng.pick(&["contract", "contract", "signup_form", "app"]);
        fields.str(source);
        let date = today - days(rng.range(200, 1800));
        push_date(fields.buf(), date);
        let (hour, minute, second) = (rng.range(8, 21), rng.range(0, 59), rng.range(0, 59));
        let buf = fields.buf();
        for (sep, value) in [('T', hour), (':', minute), (':', second)] {
            buf.push(sep);
            push_num(buf, value as u64, 2);
        }
        buf.push('Z');
        fields.end();
    } else {
        fields.empty();
        fields.empty();
    }

    // preferred_channel
    if rng.chance(0.15) {
        let options = [
            ("whatsapp", has_whatsapp, 4),
            ("sms", phone.is_some(), 2),
            ("email", has_email, 3),
            ("voice", phone.is_some(), 1),
            ("letter", has_address, 1),
        ];
        let weights: SmallWeights = options
            .iter()
            .map(|&(_, ok, w)| if ok { w } else { 0 })
            .collect();
        if weights.0.iter().any(|&w| w > 0) {
            fields
                .buf()
                .push_str(options[rng.weighted(&weights.0[..weights.1])].0);
        }
    }
    fields.end();

    // paperless
    let draw = rng.f64();
    match (has_email, draw) {
        (true, draw) if draw < 0.4 => fields.str("true"),
        (true, draw) if draw < 0.6 => fields.str("false"),
        (false, draw) if draw < 0.1 => fields.str("false"),
        _ => fields.empty(),
    }
}

fn write_document(
    fields: &mut Fields<'_>,
    rng: &mut Rng,
    country: Country,
    city: &City,
    identity: &Identity,
) {
    let pretty = rng.chance(0.7);
    match (country, identity) {
        (Country::Br, Identity::Person(_)) => {
            fields.str("cpf");
            let mut base: [u8; 9] = random_digits(rng);
            if let Some(digit) = city.code.bytes().next().filter(|_| rng.chance(0.8)) {
                base[8] = digit - b'0';
            }
            if base.iter().all(|&d| d == base[0]) {
                base[0] = (base[0] + 1) % 10;
            }
            let [c1, c2] = docs::cpf_check_digits(&base);
            let buf = fields.buf();
            if pretty {
                push_digits(buf, &base[..3]);
                buf.push('.');
                push_digits(buf, &base[3..6]);
                buf.push('.');
                push_digits(buf, &base[6..]);
                buf.push('-');
            } else {
                push_digits(buf, &base);
            }
            push_digits(buf, &[c1, c2]);
            fields.end();
        }
        (Country::Br, Identity::Business(_)) => {
            fields.str("cnpj");
            let mut base = [0u8; 12];
            base[..8].copy_from_slice(&random_digits::<8>(rng));
            base[0] = base[0].max(1);
            base[11] = if rng.chance(0.9) { 1 } else { 2 };
            let [c1, c2] = docs::cnpj_check_digits(&base);
            let buf = fields.buf();
            if pretty {
                push_digits(buf, &base[..2]);
                buf.push('.');
                push_digits(buf, &base[2..5]);
                buf.push('.');
                push_digits(buf, &base[5..8]);
                buf.push('/');
                push_digits(buf, &base[8..]);
                buf.push('-');
            } else {
                push_digits(buf, &base);
            }
            push_digits(buf, &[c1, c2]);
            fields.end();
        }
        (Country::Mx, Identity::Person(person)) => {
            fields.str("curp");
            push_curp(fields.buf(), rng, person, city);
            fields.end();
        }
        (Country::Mx, Identity::Business(business)) => {
            fields.str("rfc");
            push_rfc(fields.buf(), rng, business);
            fields.end();
        }
        (Country::Co, Identity::Person(person)) => {
            fields.str("cc");
            let number = if person.birth.year() >= 1987 {
                rng.range(1_000_000_000, 1_130_000_000)
            } else if person.female {
                rng.range(20_000_000, 66_999_999)
            } else {
                rng.range(70_000_000, 98_999_999)
            };
            let _ = write!(fields.buf(), "{number}");
            fields.end();
        }
        (Country::Co, Identity::Business(_)) => {
            fields.str("nit");
            let base = rng.range(800_000_000, 901_999_999) as u64;
            let digits: [u8; 9] = digits_of(base);
            let dv = docs::nit_check_digit(&digits);
            let buf = fields.buf();
            if pretty {
                let _ = write!(buf, "{base}-{dv}");
            } else if rng.chance(0.5) {
                let _ = write!(
                    buf,
                    "{}.{:03}.{:03}-{dv}",
                    base / 1_000_000,
                    base / 1000 % 1000,
                    base % 1000
                );
            } else {
                let _ = write!(buf, "{base}{dv}");
            }
            fields.end();
        }
        (Country::Cl, identity) => {
            fields.str("rut");
            let body = match identity {
                Identity::Person(person) if rng.chance(0.95) => {
                    let years = f64::from(person.birth.year() - 1930);
                    let estimate = 2_500_000.0 + years * 270_000.0 + rng.normal(0.0, 800_000.0);
                    estimate.clamp(3_000_000.0, 27_000_000.0) as u32
                }
                Identity::Person(_) => rng.range(25_000_000, 28_500_000) as u32,
                Identity::Business(_) => rng.range(76_000_000, 77_999_999) as u32,
            };
            let dv = docs::rut_check_digit(body);
            let buf = fields.buf();
            if pretty {
                push_thousands(buf, body);
            } else {
                let _ = write!(buf, "{body}");
            }
            buf.push('-');
            buf.push(dv);
            fields.end();
        }
        (Country::Pe, Identity::Person(_)) => {
            fields.str("dni");
            let number = rng.range(1_000_000, 79_999_999);
            let _ = write!(fields.buf(), "{number:08}");
            fields.end();
        }
        (Country::Pe, Identity::Business(_)) => {
            fields.str("ruc");
            let mut base = [0u8; 10];
            base[0] = 2;
            base[2..].copy_from_slice(&random_digits::<8>(rng));
            base[2] = base[2].max(1);
            let dv = docs::ruc_check_digit(&base);
            push_digits(fields.buf(), &base);
            push_digits(fields.buf(), &[dv]);
            fields.end();
        }
        (Country::Es, Identity::Person(_)) => {
            if rng.chance(0.12) {
                fields.str("nie");
                let prefix = *rng.pick(&['X', 'Y', 'Y', 'Z']);
                let number = rng.range(0, 9_999_999) as u32;
                let letter = docs::nie_letter(prefix, number).expect("valid prefix");
                let _ = write!(fields.buf(), "{prefix}{number:07}{letter}");
            } else {
                fields.str("dni");
                let number = rng.range(1_000_000, 79_999_999) as u32;
                let _ = write!(fields.buf(), "{number:08}{}", docs::dni_es_letter(number));
            }
            fields.end();
        }
        (Country::Es, Identity::Business(business)) => {
            fields.str("cif");
            let org = if business.suffix.contains("S.A.") {
                'A'
            } else {
                'B'
            };
            let base: [u8; 7] = random_digits(rng);
            let (check, _) = docs::cif_check(&base);
            fields.buf().push(org);
            push_digits(fields.buf(), &base);
            push_digits(fields.buf(), &[check]);
            fields.end();
        }
        (Country::Us, Identity::Person(_)) => {
            fields.str("ssn_last4");
            let number = rng.range(1, 9999);
            let _ = write!(fields.buf(), "{number:04}");
            fields.end();
        }
        (Country::Us, Identity::Business(_)) => {
            // EINs are not collected: no document.
            fields.empty();
            fields.empty();
        }
        (Country::Ar, Identity::Person(person)) => {
            fields.str("dni");
            let years = i64::from(person.birth.year() - 1940);
            let number =
                (years * 700_000 + rng.range(-400_000, 400_000)).clamp(1_000_000, 49_999_999);
            let _ = write!(fields.buf(), "{number}");
            fields.end();
        }
        (Country::Ar, Identity::Business(_)) => {
            fields.str("cuit");
            loop {
                let mut base = [0u8; 10];
                base[0] = 3;
                base[1] = if rng.chance(0.8) { 0 } else { 3 };
                base[2..].copy_from_slice(&random_digits::<8>(rng));
                let remainder = [5u32, 4, 3, 2, 7, 6, 5, 4, 3, 2]
                    .iter()
                    .zip(&base)
                    .map(|(w, &d)| w * u32::from(d))
                    .sum::<u32>()
                    % 11;
                if remainder == 1 {
                    // AFIP never issues these; draw again.
                    continue;
                }
                let dv = docs::cuit_check_digit(&base);
                let buf = fields.buf();
                push_digits(buf, &base[..2]);
                buf.push('-');
                push_digits(buf, &base[2..]);
                buf.push('-');
                push_digits(buf, &[dv]);
                break;
            }
            fields.end();
        }
    }
}

/// Upper-case letters of a name for CURP/RFC: accents folded, `Ñ` → `X`, other signs dropped.
fn curp_letters(name: &str) -> impl Iterator<Item = u8> + '_ {
    name.chars().filter_map(|c| {
        let c = if matches!(c, 'ñ' | 'Ñ') {
            'X'
        } else {
            fold(c)
        };
        c.is_ascii_alphabetic()
            .then(|| c.to_ascii_uppercase() as u8)
    })
}

fn is_vowel(letter: &u8) -> bool {
    matches!(letter, b'A' | b'E' | b'I' | b'O' | b'U')
}

fn push_curp(buf: &mut String, rng: &mut Rng, person: &Person, city: &City) {
    // Given name used: the second one when the first is José or María.
    let given = match person.given2 {
        Some(g2) if matches!(person.given, "José" | "María") => g2,
        _ => person.given,
    };
    let mut code = [b'X'; 17];
    code[0] = curp_letters(person.sur1).next().unwrap_or(b'X');
    code[1] = curp_letters(person.sur1)
        .skip(1)
        .find(is_vowel)
        .unwrap_or(b'X');
    code[2] = person
        .sur2
        .and_then(|s| curp_letters(s).next())
        .unwrap_or(b'X');
    code[3] = curp_letters(given).next().unwrap_or(b'X');
    if docs::CURP_FORBIDDEN_WORDS
        .iter()
        .any(|w| w.as_bytes() == &code[..4])
    {
        code[1] = b'X';
    }
    let (year, month, day) = (
        person.birth.year(),
        person.birth.month(),
        person.birth.day(),
    );
    let date = [
        (year % 100 / 10) as u8,
        (year % 10) as u8,
        (month / 10) as u8,
        (month % 10) as u8,
        (day / 10) as u8,
        (day % 10) as u8,
    ];
    for (index, digit) in date.iter().enumerate() {
        code[4 + index] = b'0' + digit;
    }
    code[10] = if person.female { b'M' } else { b'H' };
    let state = if rng.chance(0.85) {
        city.code
    } else if rng.chance(0.9) {
        let state_code = *rng.pick(docs::CURP_STATES);
        if state_code == "NE" { "DF" } else { state_code }
    } else {
        "NE"
    };
    code[11..13].copy_from_slice(state.as_bytes());
    let consonant = |s: &str| {
        curp_letters(s)
            .skip(1)
            .find(|c| !is_vowel(c))
            .unwrap_or(b'X')
    };
    code[13] = consonant(person.sur1);
    code[14] = person.sur2.map_or(b'X', consonant);
    code[15] = consonant(given);
    code[16] = if year < 2000 {
        if rng.chance(0.9) {
            b'0'
        } else {
            b'0' + rng.below(10) as u8
        }
    } else if rng.chance(0.9) {
        b'A'
    } else {
        b'A' + rng.below(26) as u8
    };
    let head = std::str::from_utf8(&code).expect("ASCII");
    let dv = docs::curp_check_digit(head).expect("CURP dictionary");
    buf.push_str(head);
    buf.push(char::from(b'0' + dv));
}

fn push_rfc(buf: &mut String, rng: &mut Rng, business: &Business) {
    // Initials of the first three words of the name (without legal form and particles), or
    // the first letters of fewer words.
    let mut letters = [b'X'; 3];
    let mut filled = 0;
    let words = business
        .prefix
        .split_whitespace()
        .chain(business.core.split_whitespace())
        .filter(|w| !matches!(*w, "de" | "del" | "la" | "las" | "los" | "el" | "y"));
    let mut word_list = [""; 4];
    let mut count = 0;
    for word in words.take(4) {
        word_list[count] = word;
        count += 1;
    }
    match count {
        0 => {}
        1 => {
            for ch in curp_letters(word_list[0]).take(3) {
                letters[filled] = ch;
                filled += 1;
            }
        }
        2 => {
            letters[0] = curp_letters(word_list[0]).next().unwrap_or(b'X');
            for (index, ch) in curp_letters(word_list[1]).take(2).enumerate() {
                letters[1 + index] = ch;
            }
        }
        _ => {
            for (index, word) in word_list[..3].iter().enumerate() {
                letters[index] = curp_letters(word).next().unwrap_or(b'X');
            }
        }
    }
    let mut code = [b'0'; 11];
    code[..3].copy_from_slice(&letters);
    let founded = business.founded;
    let digits: [u8; 6] = digits_of(
        u64::from(founded.year() as u32 % 100) * 10_000
            + u64::from(founded.month()) * 100
            + u64::from(founded.day()),
    );
    for (index, digit) in digits.iter().enumerate() {
        code[3 + index] = b'0' + digit;
    }
    const FIRST: &[u8] = b"123456789ABCDEFGHIJKLMNPQRSTUV";
    const SECOND: &[u8] = b"123456789ABCDEFGHIJKLMNPQRSTUVWXYZ";
    code[9] = *rng.pick(FIRST);
    code[10] = *rng.pick(SECOND);
    let head = std::str::from_utf8(&code).expect("ASCII");
    let dv = docs::rfc_check_digit(head).expect("RFC dictionary");
    buf.push_str(head);
    buf.push(dv);
}

fn write_email(buf: &mut String, rng: &mut Rng, country: Country, identity: &Identity) {
    match identity {
        Identity::Person(person) => {
            let given = person.given;
            let s1 = person.sur1;
            let s2 = person.sur2.unwrap_or(person.sur1);
            match rng.below(7) {
                0 => {
                    push_slug(buf, given);
                    buf.push('.');
                    push_slug(buf, s1);
                }
                1 => {
                    push_slug(buf, given);
                    push_slug(buf, s1);
                    let _ = write!(buf, "{:02}", person.birth.year() % 100);
                }
                2 => {
                    push_slug(
                        buf,
                        &given[..given.chars().next().map_or(0, char::len_utf8)],
                    );
                    buf.push('.');
                    push_slug(buf, s1);
                    if let Some(s2) = person.sur2
                        && rng.chance(0.5)
                    {
                        push_slug(buf, s2);
                    }
                }
                3 => {
                    push_slug(buf, given);
                    buf.push('_');
                    push_slug(buf, s1);
                    let _ = write!(buf, "{}", rng.range(1, 99));
                }
                4 => {
                    push_slug(buf, s1);
                    buf.push('.');
                    push_slug(buf, given);
                    let _ = write!(buf, "{}", rng.range(1, 999));
                }
                5 => {
                    push_slug(buf, given);
                    buf.push('.');
                    push_slug(buf, s2);
                    let _ = write!(buf, "{}", person.birth.year());
                }
                _ => {
                    push_slug(buf, given);
                    push_slug(buf, s1);
                    let _ = write!(buf, "{}", rng.range(1, 9999));
                }
            }
            buf.push('@');
            buf.push_str(rng.pick_weighted(data::email_domains(country), |d| d.1).0);
        }
        Identity::Business(business) => {
            let mailbox = *rng.pick(data::company_mailboxes(country));
            if rng.chance(0.75) {
                buf.push_str(mailbox);
                buf.push('@');
                push_slug(buf, business.prefix);
                push_slug(buf, business.core);
                buf.push_str(data::company_tld(country));
            } else {
                buf.push_str(mailbox);
                buf.push('.');
                push_slug(buf, business.core);
                buf.push_str("@gmail.com");
            }
        }
    }
}

fn write_address(fields: &mut Fields<'_>, rng: &mut Rng, country: Country, city: &City) {
    // address_line1, address_line2
    let buf = fields.buf();
    match country {
        Country::Br => {
            let _ = write!(
                buf,
                "{}, {}",
                rng.pick(data::BR_STREETS),
                rng.range(1, 3999)
            );
            if rng.chance(0.5) {
                let _ = write!(buf, " - {}", rng.pick(data::BR_DISTRICTS));
            }
            fields.end();
            let buf = fields.buf();
            match rng.below(10) {
                0..=3 => {
                    let _ = write!(buf, "Apto {}{:02}", rng.range(1, 22), rng.range(1, 8));
                }
                4 => {
                    let _ = write!(buf, "Casa {}", rng.range(1, 4));
                }
                5 => {
                    let _ = write!(
                        buf,
                        "Bloco {}, Apto {}{:02}",
                        char::from(b'A' + rng.below(4) as u8),
                        rng.range(1, 12),
                        rng.range(1, 4)
                    );
                }
                _ => {}
            }
            fields.end();
        }
        Country::Mx => {
            let _ = write!(buf, "{} {}", rng.pick(data::MX_STREETS), rng.range(1, 2999));
            if rng.chance(0.25) {
                let _ = write!(buf, " Int. {}", rng.range(1, 40));
            }
            fields.end();
            if rng.chance(0.85) {
                let colonia = *rng.pick(data::MX_COLONIAS);
                fields.buf().push_str(colonia);
            }
            fields.end();
        }
        Country::Co => {
            let kind = *rng.pick(&[
                "Calle",
                "Calle",
                "Carrera",
                "Carrera",
                "Avenida Calle",
                "Diagonal",
                "Transversal",
            ]);
            let _ = write!(buf, "{kind} {}", rng.range(1, 170));
            if rng.chance(0.2) {
                buf.push(char::from(b'A' + rng.below(3) as u8));
            }
            let _ = write!(buf, " # {}-{}", rng.range(1, 120), rng.range(1, 99));
            fields.end();
            let buf = fields.buf();
            match rng.below(10) {
                0..=4 => {
                    let _ = write!(buf, "Apto {}{:02}", rng.range(1, 20), rng.range(1, 6));
                }
                5 | 6 => {
                    let _ = write!(
                        buf,
                        "Torre {} Apto {}{:02}",
                        rng.range(1, 6),
                        rng.range(1, 20),
                        rng.range(1, 6)
                    );
                }
                _ => {}
            }
            fields.end();
        }
        Country::Cl => {
            let _ = write!(
                buf,
                "{} {}",
                rng.pick(data::CL_STREETS),
                rng.range(10, 9999)
            );
            fields.end();
            let buf = fields.buf();
            match rng.below(10) {
                0..=3 => {
                    let _ = write!(buf, "Depto {}{:02}", rng.range(1, 25), rng.range(1, 12));
                }
                4 => {
                    let _ = write!(buf, "Casa {}", char::from(b'A' + rng.below(6) as u8));
                }
                _ => {}
            }
            fields.end();
        }
        Country::Pe => {
            if rng.chance(0.2) {
                let _ = write!(
                    buf,
                    "{} Mz. {} Lt. {}",
                    rng.pick(data::PE_STREETS),
                    char::from(b'A' + rng.below(12) as u8),
                    rng.range(1, 30)
                );
            } else {
                let _ = write!(
                    buf,
                    "{} {}",
                    rng.pick(data::PE_STREETS),
                    rng.range(100, 3999)
                );
            }
            fields.end();
            if rng.chance(0.4) {
                let _ = write!(
                    fields.buf(),
                    "Dpto. {}{:02}",
                    rng.range(1, 15),
                    rng.range(1, 4)
                );
            }
            fields.end();
        }
        Country::Es => {
            let _ = write!(buf, "{}, {}", rng.pick(data::ES_STREETS), rng.range(1, 180));
            fields.end();
            let buf = fields.buf();
            match rng.below(10) {
                0..=6 => {
                    let _ = write!(
                        buf,
                        "{}º {}",
                        rng.range(1, 9),
                        char::from(b'A' + rng.below(4) as u8)
                    );
                }
                7 => {
                    let _ = write!(buf, "Bajo {}", char::from(b'A' + rng.below(2) as u8));
                }
                _ => {}
            }
            fields.end();
        }
        Country::Us => {
            let _ = write!(
                buf,
                "{} {}",
                rng.range(100, 9999),
                rng.pick(data::US_STREETS)
            );
            fields.end();
            let buf = fields.buf();
            match rng.below(10) {
                0..=2 => {
                    let _ = write!(
                        buf,
                        "Apt {}{}",
                        rng.range(1, 30),
                        char::from(b'A' + rng.below(4) as u8)
                    );
                }
                3 => {
                    let _ = write!(buf, "Unit {}", rng.range(1, 300));
                }
                _ => {}
            }
            fields.end();
        }
        Country::Ar => {
            let _ = write!(
                buf,
                "{} {}",
                rng.pick(data::AR_STREETS),
                rng.range(100, 5999)
            );
            fields.end();
            if rng.chance(0.5) {
                let _ = write!(
                    fields.buf(),
                    "Piso {} Depto {}",
                    rng.range(1, 15),
                    char::from(b'A' + rng.below(6) as u8)
                );
            }
            fields.end();
        }
    }

    // address_city, address_region, address_postal_code
    fields.str(city.name);
    fields.str(city.region);
    let pc = rng.range(i64::from(city.postal.0), i64::from(city.postal.1));
    let buf = fields.buf();
    let pc = pc as u64;
    match country {
        Country::Br => {
            push_num(buf, pc, 5);
            buf.push('-');
            push_num(buf, rng.range(0, 999) as u64, 3);
        }
        Country::Co => push_num(buf, pc, 6),
        Country::Cl => push_num(buf, pc, 7),
        Country::Ar => push_num(buf, pc, 4),
        Country::Mx | Country::Pe | Country::Es | Country::Us => push_num(buf, pc, 5),
    }
    fields.end();
}

fn write_debt(
    fields: &mut Fields<'_>,
    rng: &mut Rng,
    ctx: &DebtorCtx,
    number: usize,
    product: &str,
    due: NaiveDate,
    amount: f64,
) {
    let country = ctx.country;
    let currency = country.currency();
    // debt_external_id
    let buf = fields.buf();
    buf.push_str("INV-");
    buf.push_str(country.code());
    buf.push('-');
    push_num(buf, u64::from(ctx.seq), 6);
    buf.push('-');
    push_num(buf, number as u64, 1);
    fields.end();
    // currency
    fields.str(currency.code());
    // amount, balance: in cents, or whole pesos for CLP (no minor unit) and COP (by custom).
    let cents = !matches!(country, Country::Cl | Country::Co);
    let units = if cents {
        (amount * 100.0).round() as i64
    } else {
        amount.round() as i64
    }
    .max(1);
    let draw = rng.f64();
    let balance = if draw < 0.03 {
        0
    } else if draw < 0.18 && units >= 2 {
        ((units as f64 * (0.05 + 0.9 * rng.f64())) as i64).clamp(1, units - 1)
    } else {
        units
    };
    for value in [units, balance] {
        let buf = fields.buf();
        let value = value as u64;
        if cents {
            push_num(buf, value / 100, 1);
            buf.push('.');
            push_num(buf, value % 100, 2);
        } else {
            push_num(buf, value, 1);
        }
        fields.end();
    }
    // issued_date, due_date
    fields.date(due - days(rng.range(15, 30)));
    fields.date(due);
    // product
    fields.str(product);
    // attr_contract (a debtor attribute: the same on every row of the debtor)
    push_num(fields.buf(), ctx.contract, 1);
    fields.end();
}
