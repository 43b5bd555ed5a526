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

    fn str(&mut self, s: &str) {
        self.row.buf.push_str(s);
        self.end();
    }

    fn empty(&mut self) {
        self.end();
    }

    fn date(&mut self, d: NaiveDate) {
        push_date(&mut self.row.buf, d);
        self.end();
    }
}

fn push_date(buf: &mut String, d: NaiveDate) {
    push_num(buf, d.year() as u64, 4);
    buf.push('-');
    push_num(buf, u64::from(d.month()), 2);
    buf.push('-');
    push_num(buf, u64::from(d.day()), 2);
}

/// Appends `n` in decimal, zero-padded to at least `width` digits (`write!` is slower, and
/// this runs several times per row).
fn push_num(buf: &mut String, mut n: u64, width: usize) {
    let mut tmp = [b'0'; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let start = i.min(tmp.len() - width.min(tmp.len()));
    for &d in &tmp[start..] {
        buf.push(char::from(d));
    }
}

/// Folds the accented Latin letters of Portuguese and Spanish names to ASCII.
fn fold(c: char) -> char {
    match c {
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
fn push_slug(buf: &mut String, s: &str) {
    for c in s.chars().map(fold) {
        if c.is_ascii_alphanumeric() {
            buf.push(c.to_ascii_lowercase());
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
    for &d in digits {
        buf.push(char::from(b'0' + d));
    }
}

fn random_digits<const N: usize>(rng: &mut Rng) -> [u8; N] {
    let mut d = [0u8; N];
    for x in &mut d {
        *x = rng.below(10) as u8;
    }
    d
}

fn digits_of<const N: usize>(mut n: u64) -> [u8; N] {
    let mut d = [0u8; N];
    for x in d.iter_mut().rev() {
        *x = (n % 10) as u8;
        n /= 10;
    }
    d
}

/// `12345678` → `12.345.678`.
fn push_thousands(buf: &mut String, n: u32) {
    if n >= 1_000_000 {
        let _ = write!(
            buf,
            "{}.{:03}.{:03}",
            n / 1_000_000,
            n / 1000 % 1000,
            n % 1000
        );
    } else if n >= 1000 {
        let _ = write!(buf, "{}.{:03}", n / 1000, n % 1000);
    } else {
        let _ = write!(buf, "{n}");
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

    fn push(&mut self, d: u8) {
        self.nsn[self.len] = b'0' + d;
        self.len += 1;
    }

    fn push_number(&mut self, n: u64, width: usize) {
        let mut tmp = [0u8; 11];
        let mut n = n;
        for x in tmp[..width].iter_mut().rev() {
            *x = (n % 10) as u8;
            n /= 10;
        }
        for &d in &tmp[..width] {
            self.push(d);
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
    let mut p = PhoneNumber::new();
    match country {
        Country::Br => {
            p.push_number(u64::from(*rng.pick(city.area)), 2);
            p.area_len = 2;
            p.push(9);
            p.push(rng.range(6, 9) as u8);
            p.push_random(rng, 7);
        }
        Country::Mx => {
            let area = *rng.pick(city.area);
            let width = if area < 100 { 2 } else { 3 };
            p.push_number(u64::from(area), width);
            p.area_len = width;
            p.push(rng.range(1, 9) as u8);
            p.push_random(rng, 10 - width - 1);
        }
        Country::Co => {
            const PREFIXES: &[u16] = &[
                300, 301, 302, 303, 304, 305, 310, 311, 312, 313, 314, 315, 316, 317, 318, 319,
                320, 321, 322, 323, 350, 351,
            ];
            p.push_number(u64::from(*rng.pick(PREFIXES)), 3);
            p.area_len = 3;
            p.push(rng.range(1, 9) as u8);
            p.push_random(rng, 6);
        }
        Country::Cl => {
            // 9 then a block that libphonenumber knows as mobile.
            const BLOCKS: &[u16] = &[
                92, 94, 95, 98, 960, 961, 962, 963, 964, 965, 966, 967, 968, 971, 972, 973, 974,
                975, 976, 977, 978, 979, 993, 994, 995, 996, 997, 998, 999,
            ];
            let b = *rng.pick(BLOCKS);
            let width = if b < 100 { 2 } else { 3 };
            p.push_number(u64::from(b), width);
            p.area_len = 1;
            p.push_random(rng, 9 - width);
        }
        Country::Pe => {
            p.push(9);
            p.area_len = 3;
            p.push_random(rng, 8);
        }
        Country::Es => {
            if rng.chance(0.85) {
                p.push(6);
            } else {
                p.push(7);
                p.push(rng.range(1, 4) as u8);
            }
            p.area_len = 3;
            let rest = 9 - p.len;
            p.push_random(rng, rest);
        }
        Country::Us => {
            p.push_number(u64::from(*rng.pick(city.area)), 3);
            p.area_len = 3;
            // Exchange: 2-9 first, not N11, not 555 (reserved for fiction).
            loop {
                let ex = rng.range(200, 999) as u64;
                if ex % 100 != 11 && ex != 555 {
                    p.push_number(ex, 3);
                    break;
                }
            }
            p.push_random(rng, 4);
        }
        Country::Ar => {
            // International mobile form: 9, area code, subscriber starting 3-6.
            p.push(9);
            let area = *rng.pick(city.area);
            let width = if area < 100 { 2 } else { 3 };
            p.push_number(u64::from(area), width);
            p.area_len = 1 + width;
            p.push(rng.range(3, 6) as u8);
            p.push_random(rng, 10 - width - 1);
        }
    }
    p
}

/// Writes `p` in one of the ways people and systems write numbers of `country`; style 0 is the
/// country's usual national format, 1 international with spaces, 2 bare digits, 3 E.164.
fn push_phone(buf: &mut String, country: Country, p: &PhoneNumber, style: u32) {
    let cc = country_code(country);
    let n = p.len;
    let a = p.area_len;
    if style == 3 || (style == 2 && country == Country::Ar) {
        let _ = write!(buf, "+{cc}{}", p.all());
        return;
    }
    if style == 2 {
        buf.push_str(p.all());
        return;
    }
    let intl = style == 1;
    match country {
        Country::Br => {
            if intl {
                let _ = write!(buf, "+55 {} {}-{}", p.s(0, 2), p.s(2, 7), p.s(7, n));
            } else {
                let _ = write!(buf, "({}) {}-{}", p.s(0, 2), p.s(2, 7), p.s(7, n));
            }
        }
        Country::Mx => {
            if intl {
                buf.push_str("+52 ");
            }
            let mid = a + (n - a) / 2;
            let _ = write!(buf, "{} {} {}", p.s(0, a), p.s(a, mid), p.s(mid, n));
        }
        Country::Co => {
            if intl {
                let _ = write!(buf, "+57 {} {}", p.s(0, 3), p.s(3, n));
            } else {
                let _ = write!(buf, "{} {} {}", p.s(0, 3), p.s(3, 6), p.s(6, n));
            }
        }
        Country::Cl => {
            if intl {
                buf.push_str("+56 ");
            }
            let _ = write!(buf, "{} {} {}", p.s(0, 1), p.s(1, 5), p.s(5, n));
        }
        Country::Pe => {
            if intl {
                buf.push_str("+51 ");
            }
            let _ = write!(buf, "{} {} {}", p.s(0, 3), p.s(3, 6), p.s(6, n));
        }
        Country::Es => {
            if intl {
                let _ = write!(
                    buf,
                    "+34 {} {} {} {}",
                    p.s(0, 3),
                    p.s(3, 5),
                    p.s(5, 7),
                    p.s(7, n)
                );
            } else {
                let _ = write!(buf, "{} {} {}", p.s(0, 3), p.s(3, 6), p.s(6, n));
            }
        }
        Country::Us => {
            if intl {
                let _ = write!(buf, "+1 {}-{}-{}", p.s(0, 3), p.s(3, 6), p.s(6, n));
            } else {
                let _ = write!(buf, "({}) {}-{}", p.s(0, 3), p.s(3, 6), p.s(6, n));
            }
        }
        Country::Ar => {
            let split = n - 4;
            let _ = write!(
                buf,
                "+54 9 {} {}-{}",
                p.s(1, a),
                p.s(a, split),
                p.s(split, n)
            );
        }
    }
}

fn phone_style(rng: &mut Rng) -> u32 {
    rng.weighted(&[55, 20, 17, 8]) as u32
}

fn consent(rng: &mut Rng) -> &'static str {
    let x = rng.f64();
    if x < 0.80 {
        "granted"
    } else if x < 0.945 {
        "unknown"
    } else if x < 0.975 {
        "opted_out"
    } else {
        "denied"
    }
}

fn days(n: i64) -> TimeDelta {
    TimeDelta::days(n)
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
    let mut f = Fields {
        row: &mut head,
        next: 0,
    };
    write_debtor(&mut f, rng, &ctx, city, &identity, today);
    debug_assert_eq!(f.next, DEBT_START);

    let n_debts = 1 + rng.weighted(&[80, 15, 5]);
    let products = data::products(country);
    let mut first: Option<(usize, NaiveDate, f64)> = None;
    for k in 0..n_debts {
        let (product, due, amount) = match first {
            Some((p, due0, amount0)) if rng.chance(0.6) => {
                // The same bill, an earlier or later month.
                let back = due0 - days(30 * k as i64);
                let due = if back >= today - days(180) {
                    back
                } else {
                    (due0 + days(30 * k as i64)).min(today + days(30))
                };
                (p, due, amount0 * (0.85 + 0.3 * rng.f64()))
            }
            _ => {
                // Businesses do not owe tuition or medical bills.
                let w: SmallWeights = products
                    .iter()
                    .map(|x| match x.0 {
                        "tuition" | "medical" if ctx.business => 0,
                        _ => x.2,
                    })
                    .collect();
                let p = rng.weighted(&w.0[..w.1]);
                let due = today + days(rng.range(-180, 30));
                let median = data::median_amount(country)
                    * products[p].1
                    * if ctx.business { 5.0 } else { 1.0 };
                let amount = rng
                    .lognormal(median, 0.85)
                    .clamp(median * 0.05, median * 40.0);
                (p, due, amount)
            }
        };
        if first.is_none() {
            first = Some((product, due, amount));
        }
        let mut row = if k + 1 == n_debts {
            std::mem::replace(&mut head, SynthRow::with_capacity(0))
        } else {
            head.clone()
        };
        let mut f = Fields {
            row: &mut row,
            next: DEBT_START,
        };
        write_debt(
            &mut f,
            rng,
            &ctx,
            k + 1,
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
        let mut w = SmallWeights([0; 16], 0);
        for x in iter.into_iter().take(16) {
            w.0[w.1] = x;
            w.1 += 1;
        }
        w
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
        let s = *rng.pick(names.surnames);
        (s != sur1).then_some(s)
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
    f: &mut Fields<'_>,
    rng: &mut Rng,
    ctx: &DebtorCtx,
    city: &City,
    identity: &Identity,
    today: NaiveDate,
) {
    let country = ctx.country;
    // debtor_external_id
    let b = f.buf();
    b.push_str(country.code());
    b.push('-');
    push_num(b, u64::from(ctx.seq), 6);
    f.end();

    // debtor_name
    let start = f.buf().len();
    let upper = match identity {
        Identity::Person(p) => {
            let b = f.buf();
            b.push_str(p.given);
            if let Some(g2) = p.given2 {
                b.push(' ');
                b.push_str(g2);
            }
            if let Some(m) = p.middle_initial {
                b.push(' ');
                b.push(m);
                b.push('.');
            }
            b.push(' ');
            b.push_str(p.sur1);
            if let Some(s2) = p.sur2 {
                b.push(' ');
                b.push_str(s2);
            }
            country != Country::Us && rng.chance(0.08)
        }
        Identity::Business(c) => {
            let b = f.buf();
            b.push_str(c.prefix);
            b.push_str(c.core);
            b.push_str(c.suffix);
            rng.chance(0.2)
        }
    };
    if upper {
        upper_from(f.buf(), start);
    }
    f.end();

    // debtor_kind
    f.str(if ctx.business { "business" } else { "person" });

    // document_type, document_number
    write_document(f, rng, country, city, identity);

    // birth_date
    match identity {
        Identity::Person(p) => f.date(p.birth),
        Identity::Business(_) => f.empty(),
    }

    // country, language, timezone
    f.str(country.code());
    let language = match (country, identity) {
        (Country::Us, Identity::Person(p)) if p.group == Group::Es && rng.chance(0.45) => "es",
        (Country::Us, _) => {
            if rng.chance(0.03) {
                "es"
            } else {
                "en"
            }
        }
        _ => country.language().as_str(),
    };
    f.str(language);
    f.str(city.tz);

    // segment
    f.str(match (ctx.business, rng.chance(0.08)) {
        (false, false) => "retail",
        (true, false) => "sme",
        (_, true) => "premium",
    });

    // tags
    if rng.chance(0.25) {
        let a = rng.index(data::TAGS.len());
        f.buf().push_str(data::TAGS[a]);
        if rng.chance(0.3) {
            let b = rng.index(data::TAGS.len());
            if b != a {
                f.buf().push('|');
                f.buf().push_str(data::TAGS[b]);
            }
        }
    }
    f.end();

    // email
    let has_email = rng.chance(if ctx.business { 0.9 } else { 0.8 });
    if has_email {
        write_email(f.buf(), rng, country, identity);
    }
    f.end();

    // phone, whatsapp
    let phone = rng.chance(0.96).then(|| mobile(rng, country, city));
    let style = phone_style(rng);
    if let Some(p) = &phone {
        push_phone(f.buf(), country, p, style);
    }
    f.end();
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
    if let Some(p) = &phone
        && rng.chance(whatsapp_share)
    {
        has_whatsapp = true;
        if rng.chance(0.05) {
            // Another number for WhatsApp.
            let other = mobile(rng, country, city);
            push_phone(f.buf(), country, &other, 3);
        } else if rng.chance(0.7) {
            push_phone(f.buf(), country, p, style);
        } else {
            push_phone(f.buf(), country, p, 3);
        }
    }
    f.end();

    // address_line1, address_line2, address_city, address_region, address_postal_code
    let has_address = rng.chance(0.85);
    if has_address {
        write_address(f, rng, country, city);
    } else {
        for _ in 0..5 {
            f.empty();
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
            let c = consent(rng);
            granted |= c == "granted";
            f.buf().push_str(c);
        }
        f.end();
    }

    // consent_source, consent_at
    if granted {
        let source = *rng.pick(&["contract", "contract", "signup_form", "app"]);
        f.str(source);
        let d = today - days(rng.range(200, 1800));
        push_date(f.buf(), d);
        let (h, m, s) = (rng.range(8, 21), rng.range(0, 59), rng.range(0, 59));
        let b = f.buf();
        for (sep, x) in [('T', h), (':', m), (':', s)] {
            b.push(sep);
            push_num(b, x as u64, 2);
        }
        b.push('Z');
        f.end();
    } else {
        f.empty();
        f.empty();
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
            f.buf()
                .push_str(options[rng.weighted(&weights.0[..weights.1])].0);
        }
    }
    f.end();

    // paperless
    let x = rng.f64();
    match (has_email, x) {
        (true, x) if x < 0.4 => f.str("true"),
        (true, x) if x < 0.6 => f.str("false"),
        (false, x) if x < 0.1 => f.str("false"),
        _ => f.empty(),
    }
}

fn write_document(
    f: &mut Fields<'_>,
    rng: &mut Rng,
    country: Country,
    city: &City,
    identity: &Identity,
) {
    let pretty = rng.chance(0.7);
    match (country, identity) {
        (Country::Br, Identity::Person(_)) => {
            f.str("cpf");
            let mut base: [u8; 9] = random_digits(rng);
            if let Some(d) = city.code.bytes().next().filter(|_| rng.chance(0.8)) {
                base[8] = d - b'0';
            }
            if base.iter().all(|&d| d == base[0]) {
                base[0] = (base[0] + 1) % 10;
            }
            let [c1, c2] = docs::cpf_check_digits(&base);
            let b = f.buf();
            if pretty {
                push_digits(b, &base[..3]);
                b.push('.');
                push_digits(b, &base[3..6]);
                b.push('.');
                push_digits(b, &base[6..]);
                b.push('-');
            } else {
                push_digits(b, &base);
            }
            push_digits(b, &[c1, c2]);
            f.end();
        }
        (Country::Br, Identity::Business(_)) => {
            f.str("cnpj");
            let mut base = [0u8; 12];
            base[..8].copy_from_slice(&random_digits::<8>(rng));
            base[0] = base[0].max(1);
            base[11] = if rng.chance(0.9) { 1 } else { 2 };
            let [c1, c2] = docs::cnpj_check_digits(&base);
            let b = f.buf();
            if pretty {
                push_digits(b, &base[..2]);
                b.push('.');
                push_digits(b, &base[2..5]);
                b.push('.');
                push_digits(b, &base[5..8]);
                b.push('/');
                push_digits(b, &base[8..]);
                b.push('-');
            } else {
                push_digits(b, &base);
            }
            push_digits(b, &[c1, c2]);
            f.end();
        }
        (Country::Mx, Identity::Person(p)) => {
            f.str("curp");
            push_curp(f.buf(), rng, p, city);
            f.end();
        }
        (Country::Mx, Identity::Business(c)) => {
            f.str("rfc");
            push_rfc(f.buf(), rng, c);
            f.end();
        }
        (Country::Co, Identity::Person(p)) => {
            f.str("cc");
            let n = if p.birth.year() >= 1987 {
                rng.range(1_000_000_000, 1_130_000_000)
            } else if p.female {
                rng.range(20_000_000, 66_999_999)
            } else {
                rng.range(70_000_000, 98_999_999)
            };
            let _ = write!(f.buf(), "{n}");
            f.end();
        }
        (Country::Co, Identity::Business(_)) => {
            f.str("nit");
            let base = rng.range(800_000_000, 901_999_999) as u64;
            let d: [u8; 9] = digits_of(base);
            let dv = docs::nit_check_digit(&d);
            let b = f.buf();
            if pretty {
                let _ = write!(b, "{base}-{dv}");
            } else if rng.chance(0.5) {
                let _ = write!(
                    b,
                    "{}.{:03}.{:03}-{dv}",
                    base / 1_000_000,
                    base / 1000 % 1000,
                    base % 1000
                );
            } else {
                let _ = write!(b, "{base}{dv}");
            }
            f.end();
        }
        (Country::Cl, identity) => {
            f.str("rut");
            let body = match identity {
                Identity::Person(p) if rng.chance(0.95) => {
                    let y = f64::from(p.birth.year() - 1930);
                    let x = 2_500_000.0 + y * 270_000.0 + rng.normal(0.0, 800_000.0);
                    x.clamp(3_000_000.0, 27_000_000.0) as u32
                }
                Identity::Person(_) => rng.range(25_000_000, 28_500_000) as u32,
                Identity::Business(_) => rng.range(76_000_000, 77_999_999) as u32,
            };
            let dv = docs::rut_check_digit(body);
            let b = f.buf();
            if pretty {
                push_thousands(b, body);
            } else {
                let _ = write!(b, "{body}");
            }
            b.push('-');
            b.push(dv);
            f.end();
        }
        (Country::Pe, Identity::Person(_)) => {
            f.str("dni");
            let n = rng.range(1_000_000, 79_999_999);
            let _ = write!(f.buf(), "{n:08}");
            f.end();
        }
        (Country::Pe, Identity::Business(_)) => {
            f.str("ruc");
            let mut base = [0u8; 10];
            base[0] = 2;
            base[2..].copy_from_slice(&random_digits::<8>(rng));
            base[2] = base[2].max(1);
            let dv = docs::ruc_check_digit(&base);
            push_digits(f.buf(), &base);
            push_digits(f.buf(), &[dv]);
            f.end();
        }
        (Country::Es, Identity::Person(_)) => {
            if rng.chance(0.12) {
                f.str("nie");
                let prefix = *rng.pick(&['X', 'Y', 'Y', 'Z']);
                let n = rng.range(0, 9_999_999) as u32;
                let letter = docs::nie_letter(prefix, n).expect("valid prefix");
                let _ = write!(f.buf(), "{prefix}{n:07}{letter}");
            } else {
                f.str("dni");
                let n = rng.range(1_000_000, 79_999_999) as u32;
                let _ = write!(f.buf(), "{n:08}{}", docs::dni_es_letter(n));
            }
            f.end();
        }
        (Country::Es, Identity::Business(c)) => {
            f.str("cif");
            let org = if c.suffix.contains("S.A.") { 'A' } else { 'B' };
            let base: [u8; 7] = random_digits(rng);
            let (d, _) = docs::cif_check(&base);
            f.buf().push(org);
            push_digits(f.buf(), &base);
            push_digits(f.buf(), &[d]);
            f.end();
        }
        (Country::Us, Identity::Person(_)) => {
            f.str("ssn_last4");
            let n = rng.range(1, 9999);
            let _ = write!(f.buf(), "{n:04}");
            f.end();
        }
        (Country::Us, Identity::Business(_)) => {
            // EINs are not collected: no document.
            f.empty();
            f.empty();
        }
        (Country::Ar, Identity::Person(p)) => {
            f.str("dni");
            let y = i64::from(p.birth.year() - 1940);
            let n = (y * 700_000 + rng.range(-400_000, 400_000)).clamp(1_000_000, 49_999_999);
            let _ = write!(f.buf(), "{n}");
            f.end();
        }
        (Country::Ar, Identity::Business(_)) => {
            f.str("cuit");
            loop {
                let mut base = [0u8; 10];
                base[0] = 3;
                base[1] = if rng.chance(0.8) { 0 } else { 3 };
                base[2..].copy_from_slice(&random_digits::<8>(rng));
                let r = [5u32, 4, 3, 2, 7, 6, 5, 4, 3, 2]
                    .iter()
                    .zip(&base)
                    .map(|(w, &d)| w * u32::from(d))
                    .sum::<u32>()
                    % 11;
                if r == 1 {
                    // AFIP never issues these; draw again.
                    continue;
                }
                let dv = docs::cuit_check_digit(&base);
                let b = f.buf();
                push_digits(b, &base[..2]);
                b.push('-');
                push_digits(b, &base[2..]);
                b.push('-');
                push_digits(b, &[dv]);
                break;
            }
            f.end();
        }
    }
}

/// Upper-case letters of a name for CURP/RFC: accents folded, `Ñ` → `X`, other signs dropped.
fn curp_letters(s: &str) -> impl Iterator<Item = u8> + '_ {
    s.chars().filter_map(|c| {
        let c = if matches!(c, 'ñ' | 'Ñ') {
            'X'
        } else {
            fold(c)
        };
        c.is_ascii_alphabetic()
            .then(|| c.to_ascii_uppercase() as u8)
    })
}

fn is_vowel(c: &u8) -> bool {
    matches!(c, b'A' | b'E' | b'I' | b'O' | b'U')
}

fn push_curp(buf: &mut String, rng: &mut Rng, p: &Person, city: &City) {
    // Given name used: the second one when the first is José or María.
    let given = match p.given2 {
        Some(g2) if matches!(p.given, "José" | "María") => g2,
        _ => p.given,
    };
    let mut h = [b'X'; 17];
    h[0] = curp_letters(p.sur1).next().unwrap_or(b'X');
    h[1] = curp_letters(p.sur1).skip(1).find(is_vowel).unwrap_or(b'X');
    h[2] = p.sur2.and_then(|s| curp_letters(s).next()).unwrap_or(b'X');
    h[3] = curp_letters(given).next().unwrap_or(b'X');
    if docs::CURP_FORBIDDEN_WORDS
        .iter()
        .any(|w| w.as_bytes() == &h[..4])
    {
        h[1] = b'X';
    }
    let (y, m, d) = (p.birth.year(), p.birth.month(), p.birth.day());
    let date = [
        (y % 100 / 10) as u8,
        (y % 10) as u8,
        (m / 10) as u8,
        (m % 10) as u8,
        (d / 10) as u8,
        (d % 10) as u8,
    ];
    for (i, x) in date.iter().enumerate() {
        h[4 + i] = b'0' + x;
    }
    h[10] = if p.female { b'M' } else { b'H' };
    let state = if rng.chance(0.85) {
        city.code
    } else if rng.chance(0.9) {
        let s = *rng.pick(docs::CURP_STATES);
        if s == "NE" { "DF" } else { s }
    } else {
        "NE"
    };
    h[11..13].copy_from_slice(state.as_bytes());
    let consonant = |s: &str| {
        curp_letters(s)
            .skip(1)
            .find(|c| !is_vowel(c))
            .unwrap_or(b'X')
    };
    h[13] = consonant(p.sur1);
    h[14] = p.sur2.map_or(b'X', consonant);
    h[15] = consonant(given);
    h[16] = if y < 2000 {
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
    let head = std::str::from_utf8(&h).expect("ASCII");
    let dv = docs::curp_check_digit(head).expect("CURP dictionary");
    buf.push_str(head);
    buf.push(char::from(b'0' + dv));
}

fn push_rfc(buf: &mut String, rng: &mut Rng, c: &Business) {
    // Initials of the first three words of the name (without legal form and particles), or
    // the first letters of fewer words.
    let mut letters = [b'X'; 3];
    let mut n = 0;
    let words = c
        .prefix
        .split_whitespace()
        .chain(c.core.split_whitespace())
        .filter(|w| !matches!(*w, "de" | "del" | "la" | "las" | "los" | "el" | "y"));
    let mut word_list = [""; 4];
    let mut count = 0;
    for w in words.take(4) {
        word_list[count] = w;
        count += 1;
    }
    match count {
        0 => {}
        1 => {
            for ch in curp_letters(word_list[0]).take(3) {
                letters[n] = ch;
                n += 1;
            }
        }
        2 => {
            letters[0] = curp_letters(word_list[0]).next().unwrap_or(b'X');
            for (i, ch) in curp_letters(word_list[1]).take(2).enumerate() {
                letters[1 + i] = ch;
            }
        }
        _ => {
            for (i, w) in word_list[..3].iter().enumerate() {
                letters[i] = curp_letters(w).next().unwrap_or(b'X');
            }
        }
    }
    let mut h = [b'0'; 11];
    h[..3].copy_from_slice(&letters);
    let d = c.founded;
    let digits: [u8; 6] = digits_of(
        u64::from(d.year() as u32 % 100) * 10_000 + u64::from(d.month()) * 100 + u64::from(d.day()),
    );
    for (i, x) in digits.iter().enumerate() {
        h[3 + i] = b'0' + x;
    }
    const FIRST: &[u8] = b"123456789ABCDEFGHIJKLMNPQRSTUV";
    const SECOND: &[u8] = b"123456789ABCDEFGHIJKLMNPQRSTUVWXYZ";
    h[9] = *rng.pick(FIRST);
    h[10] = *rng.pick(SECOND);
    let head = std::str::from_utf8(&h).expect("ASCII");
    let dv = docs::rfc_check_digit(head).expect("RFC dictionary");
    buf.push_str(head);
    buf.push(dv);
}

fn write_email(buf: &mut String, rng: &mut Rng, country: Country, identity: &Identity) {
    match identity {
        Identity::Person(p) => {
            let g = p.given;
            let s1 = p.sur1;
            let s2 = p.sur2.unwrap_or(p.sur1);
            match rng.below(7) {
                0 => {
                    push_slug(buf, g);
                    buf.push('.');
                    push_slug(buf, s1);
                }
                1 => {
                    push_slug(buf, g);
                    push_slug(buf, s1);
                    let _ = write!(buf, "{:02}", p.birth.year() % 100);
                }
                2 => {
                    push_slug(buf, &g[..g.chars().next().map_or(0, char::len_utf8)]);
                    buf.push('.');
                    push_slug(buf, s1);
                    if let Some(s2) = p.sur2
                        && rng.chance(0.5)
                    {
                        push_slug(buf, s2);
                    }
                }
                3 => {
                    push_slug(buf, g);
                    buf.push('_');
                    push_slug(buf, s1);
                    let _ = write!(buf, "{}", rng.range(1, 99));
                }
                4 => {
                    push_slug(buf, s1);
                    buf.push('.');
                    push_slug(buf, g);
                    let _ = write!(buf, "{}", rng.range(1, 999));
                }
                5 => {
                    push_slug(buf, g);
                    buf.push('.');
                    push_slug(buf, s2);
                    let _ = write!(buf, "{}", p.birth.year());
                }
                _ => {
                    push_slug(buf, g);
                    push_slug(buf, s1);
                    let _ = write!(buf, "{}", rng.range(1, 9999));
                }
            }
            buf.push('@');
            buf.push_str(rng.pick_weighted(data::email_domains(country), |d| d.1).0);
        }
        Identity::Business(c) => {
            let mailbox = *rng.pick(data::company_mailboxes(country));
            if rng.chance(0.75) {
                buf.push_str(mailbox);
                buf.push('@');
                push_slug(buf, c.prefix);
                push_slug(buf, c.core);
                buf.push_str(data::company_tld(country));
            } else {
                buf.push_str(mailbox);
                buf.push('.');
                push_slug(buf, c.core);
                buf.push_str("@gmail.com");
            }
        }
    }
}

fn write_address(f: &mut Fields<'_>, rng: &mut Rng, country: Country, city: &City) {
    // address_line1, address_line2
    let b = f.buf();
    match country {
        Country::Br => {
            let _ = write!(b, "{}, {}", rng.pick(data::BR_STREETS), rng.range(1, 3999));
            if rng.chance(0.5) {
                let _ = write!(b, " - {}", rng.pick(data::BR_DISTRICTS));
            }
            f.end();
            let b = f.buf();
            match rng.below(10) {
                0..=3 => {
                    let _ = write!(b, "Apto {}{:02}", rng.range(1, 22), rng.range(1, 8));
                }
                4 => {
                    let _ = write!(b, "Casa {}", rng.range(1, 4));
                }
                5 => {
                    let _ = write!(
                        b,
                        "Bloco {}, Apto {}{:02}",
                        char::from(b'A' + rng.below(4) as u8),
                        rng.range(1, 12),
                        rng.range(1, 4)
                    );
                }
                _ => {}
            }
            f.end();
        }
        Country::Mx => {
            let _ = write!(b, "{} {}", rng.pick(data::MX_STREETS), rng.range(1, 2999));
            if rng.chance(0.25) {
                let _ = write!(b, " Int. {}", rng.range(1, 40));
            }
            f.end();
            if rng.chance(0.85) {
                let colonia = *rng.pick(data::MX_COLONIAS);
                f.buf().push_str(colonia);
            }
            f.end();
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
            let _ = write!(b, "{kind} {}", rng.range(1, 170));
            if rng.chance(0.2) {
                b.push(char::from(b'A' + rng.below(3) as u8));
            }
            let _ = write!(b, " # {}-{}", rng.range(1, 120), rng.range(1, 99));
            f.end();
            let b = f.buf();
            match rng.below(10) {
                0..=4 => {
                    let _ = write!(b, "Apto {}{:02}", rng.range(1, 20), rng.range(1, 6));
                }
                5 | 6 => {
                    let _ = write!(
                        b,
                        "Torre {} Apto {}{:02}",
                        rng.range(1, 6),
                        rng.range(1, 20),
                        rng.range(1, 6)
                    );
                }
                _ => {}
            }
            f.end();
        }
        Country::Cl => {
            let _ = write!(b, "{} {}", rng.pick(data::CL_STREETS), rng.range(10, 9999));
            f.end();
            let b = f.buf();
            match rng.below(10) {
                0..=3 => {
                    let _ = write!(b, "Depto {}{:02}", rng.range(1, 25), rng.range(1, 12));
                }
                4 => {
                    let _ = write!(b, "Casa {}", char::from(b'A' + rng.below(6) as u8));
                }
                _ => {}
            }
            f.end();
        }
        Country::Pe => {
            if rng.chance(0.2) {
                let _ = write!(
                    b,
                    "{} Mz. {} Lt. {}",
                    rng.pick(data::PE_STREETS),
                    char::from(b'A' + rng.below(12) as u8),
                    rng.range(1, 30)
                );
            } else {
                let _ = write!(b, "{} {}", rng.pick(data::PE_STREETS), rng.range(100, 3999));
            }
            f.end();
            if rng.chance(0.4) {
                let _ = write!(f.buf(), "Dpto. {}{:02}", rng.range(1, 15), rng.range(1, 4));
            }
            f.end();
        }
        Country::Es => {
            let _ = write!(b, "{}, {}", rng.pick(data::ES_STREETS), rng.range(1, 180));
            f.end();
            let b = f.buf();
            match rng.below(10) {
                0..=6 => {
                    let _ = write!(
                        b,
                        "{}º {}",
                        rng.range(1, 9),
                        char::from(b'A' + rng.below(4) as u8)
                    );
                }
                7 => {
                    let _ = write!(b, "Bajo {}", char::from(b'A' + rng.below(2) as u8));
                }
                _ => {}
            }
            f.end();
        }
        Country::Us => {
            let _ = write!(b, "{} {}", rng.range(100, 9999), rng.pick(data::US_STREETS));
            f.end();
            let b = f.buf();
            match rng.below(10) {
                0..=2 => {
                    let _ = write!(
                        b,
                        "Apt {}{}",
                        rng.range(1, 30),
                        char::from(b'A' + rng.below(4) as u8)
                    );
                }
                3 => {
                    let _ = write!(b, "Unit {}", rng.range(1, 300));
                }
                _ => {}
            }
            f.end();
        }
        Country::Ar => {
            let _ = write!(b, "{} {}", rng.pick(data::AR_STREETS), rng.range(100, 5999));
            f.end();
            if rng.chance(0.5) {
                let _ = write!(
                    f.buf(),
                    "Piso {} Depto {}",
                    rng.range(1, 15),
                    char::from(b'A' + rng.below(6) as u8)
                );
            }
            f.end();
        }
    }

    // address_city, address_region, address_postal_code
    f.str(city.name);
    f.str(city.region);
    let pc = rng.range(i64::from(city.postal.0), i64::from(city.postal.1));
    let b = f.buf();
    let pc = pc as u64;
    match country {
        Country::Br => {
            push_num(b, pc, 5);
            b.push('-');
            push_num(b, rng.range(0, 999) as u64, 3);
        }
        Country::Co => push_num(b, pc, 6),
        Country::Cl => push_num(b, pc, 7),
        Country::Ar => push_num(b, pc, 4),
        Country::Mx | Country::Pe | Country::Es | Country::Us => push_num(b, pc, 5),
    }
    f.end();
}

fn write_debt(
    f: &mut Fields<'_>,
    rng: &mut Rng,
    ctx: &DebtorCtx,
    n: usize,
    product: &str,
    due: NaiveDate,
    amount: f64,
) {
    let country = ctx.country;
    let currency = country.currency();
    // debt_external_id
    let b = f.buf();
    b.push_str("INV-");
    b.push_str(country.code());
    b.push('-');
    push_num(b, u64::from(ctx.seq), 6);
    b.push('-');
    push_num(b, n as u64, 1);
    f.end();
    // currency
    f.str(currency.code());
    // amount, balance: in cents, or whole pesos for CLP (no minor unit) and COP (by custom).
    let cents = !matches!(country, Country::Cl | Country::Co);
    let units = if cents {
        (amount * 100.0).round() as i64
    } else {
        amount.round() as i64
    }
    .max(1);
    let x = rng.f64();
    let balance = if x < 0.03 {
        0
    } else if x < 0.18 && units >= 2 {
        ((units as f64 * (0.05 + 0.9 * rng.f64())) as i64).clamp(1, units - 1)
    } else {
        units
    };
    for v in [units, balance] {
        let b = f.buf();
        let v = v as u64;
        if cents {
            push_num(b, v / 100, 1);
            b.push('.');
            push_num(b, v % 100, 2);
        } else {
            push_num(b, v, 1);
        }
        f.end();
    }
    // issued_date, due_date
    f.date(due - days(rng.range(15, 30)));
    f.date(due);
    // product
    f.str(product);
    // attr_contract (a debtor attribute: the same on every row of the debtor)
    push_num(f.buf(), ctx.contract, 1);
    f.end();
}
