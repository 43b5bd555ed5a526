//! The model's features: deterministic hashed indices into a fixed space of [`DIM`] buckets,
//! with values.
//!
//! From the normalised text ([`crate::normalize::normalize`]) and its language:
//!
//! - **tokens**: the words of [`crate::normalize::words`], each mapped through a per-language
//!   slang and abbreviation table ([`slang`]: "q" → "que", "xq" → "porque", "vc" → "voce",
//!   "tb" → "tambem", "u" → "you", "tmrw" → "tomorrow", "pls" → "please", "lana"/"plata"/
//!   "guita" → "dinero"...), then *squeezed* (every run of one letter cut to one: "stopp" →
//!   "stop", "paguee" → "pague"; the same in training and use, so "llamar" → "lamar" costs
//!   nothing). Numbers become shapes: `<d>` for 1 to 31 (a day), `<n>` for other numbers, and
//!   digits inside words become `0` ("18h" → "00h");
//! - word **unigrams** and **bigrams** (with a start and an end marker), bigrams inside one
//!   clause (clauses end at `. , ; : ! ?`);
//! - **negated words**: the three tokens after a negation ("no", "nao", "never", "can't"...)
//!   in the same clause also count as negated, so "no creo que pueda pagar" differs from
//!   "puedo pagar";
//! - **concepts** ([`crate::lexicon`]): the cross-language meaning of a word or a pair of
//!   words ("pagué", "paguei", "paid" → `PAID`), the pair of a concept and the one before it
//!   in the clause (`NEG ABLE`, `ALREADY PAID`), and negated concepts. With ~50 examples per
//!   intent and language, this is what lets a Portuguese reply teach the model about a
//!   Spanish one (on cross-validation it lifts the model alone from ~80 % to ~90 %);
//! - **character n-grams** of 3 to 5 characters inside each token padded with `^` and `$`, at
//!   [`CHAR_WEIGHT`] (typos and unseen inflections still share most of them);
//! - the **language**, a **length** bucket, whether there is a `?` or `!`, and each emoji or
//!   other symbol.
//!
//! Every feature is hashed with 64-bit FNV-1a (never `RandomState`) under a namespace byte and
//! reduced to `DIM` buckets. A message's features ([`Features`]) are the sorted, distinct
//! buckets with their values, scaled to unit length so that long e-mails and one-word replies
//! weigh the same. [`Extractor`] keeps its buffers between messages.
//!
//! Any change here, in the slang table, the lexicon or the language detection changes the
//! features: retrain the shipped model (a test holds `data/intents/model.bin` to
//! `train_shipped(SEED)`), and bump [`VERSION`] when the layout changes.

use crate::Lang;
use crate::lexicon::{self, Concept};
use crate::normalize::words;

/// log2 of the number of buckets.
pub const BITS: u32 = 18;
/// The number of buckets (the model's input dimension).
pub const DIM: usize = 1 << BITS;

/// The version of the extraction below, stored in the model file: a model trained on other
/// features is refused rather than read wrongly. Bump it with any change to what is extracted.
pub const VERSION: u32 = 1;

/// Tokens after a negation that are marked as negated.
const NEG_SCOPE: usize = 3;

const NS_WORD: u8 = 1;
const NS_BIGRAM: u8 = 2;
const NS_CHAR: u8 = 3;
const NS_NEG: u8 = 4;
const NS_LANG: u8 = 5;
const NS_LEN: u8 = 6;
const NS_SYM: u8 = 7;
const NS_PUNCT: u8 = 8;
const NS_CONCEPT: u8 = 9;
const NS_CONCEPT2: u8 = 10;
const NS_NEG_CONCEPT: u8 = 11;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// 64-bit FNV-1a, resumable.
#[derive(Clone, Copy)]
struct Fnv(u64);

impl Fnv {
    fn new(ns: u8) -> Fnv {
        let mut hash = Fnv(FNV_OFFSET);
        hash.byte(ns);
        hash
    }
    fn byte(&mut self, byte: u8) {
        self.0 ^= u64::from(byte);
        self.0 = self.0.wrapping_mul(FNV_PRIME);
    }
    fn bytes(&mut self, bs: &[u8]) {
        for &byte in bs {
            self.byte(byte);
        }
    }
    fn char(&mut self, ch: char) {
        let mut buf = [0u8; 4];
        self.bytes(ch.encode_utf8(&mut buf).as_bytes());
    }
    fn bucket(self) -> u32 {
        // Fold the high bits in: FNV's low bits alone mix less well.
        let folded = self.0 ^ (self.0 >> 29) ^ (self.0 >> 47);
        (folded & (DIM as u64 - 1)) as u32
    }
}

/// A message's features: sorted, distinct bucket indices and their values (the vector has
/// unit length).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Features {
    pub idx: Vec<u32>,
    pub val: Vec<f32>,
}

impl Features {
    pub fn len(&self) -> usize {
        self.idx.len()
    }
    pub fn is_empty(&self) -> bool {
        self.idx.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = (u32, f32)> + '_ {
        self.idx.iter().copied().zip(self.val.iter().copied())
    }
}

/// The weight of a character n-gram relative to a word, concept or other feature.
pub const CHAR_WEIGHT: f32 = 0.35;

/// The token a word stands for in `lang` (slang and abbreviations), or `None` to keep it.
pub fn slang(lang: Lang, word: &str) -> Option<&'static str> {
    let common = match word {
        "msg" | "msj" | "msgs" | "msjs" | "mensage" => Some(match lang {
            Lang::Es => "mensaje",
            Lang::Pt => "mensagem",
            Lang::En => "message",
        }),
        "pls" | "plz" | "plis" | "pliss" | "plss" | "plx" | "please" => Some(match lang {
            Lang::Es => "favor",
            Lang::Pt => "favor",
            Lang::En => "please",
        }),
        "whats" | "wsp" | "wpp" | "zap" | "zapzap" | "wasap" | "guasap" | "whatsap" => {
            if lang == Lang::En && word == "whats" {
                Some("what's")
            } else {
                Some("whatsapp")
            }
        }
        _ => None,
    };
    if common.is_some() {
        return common;
    }
    match lang {
        Lang::Es => match word {
            "q" | "k" | "ke" | "qe" => Some("que"),
            "xq" | "pq" | "pk" | "xk" | "porq" => Some("porque"),
            "x" => Some("por"),
            "xfa" | "xfavor" | "porfa" | "porfis" | "porfavor" | "pf" => Some("favor"),
            "tb" | "tmb" | "tbn" | "tambn" => Some("tambien"),
            "mnn" | "mn" | "mna" | "mnana" => Some("manana"),
            "dsp" | "dps" | "desp" => Some("despues"),
            "pa" => Some("para"),
            "d" => Some("de"),
            "t" => Some("te"),
            "bn" => Some("bien"),
            "nro" | "num" | "nmro" => Some("numero"),
            "cel" => Some("celular"),
            "transfe" => Some("transferencia"),
            "lana" | "plata" | "guita" | "feria" | "varo" | "varos" | "luca" | "lucas"
            | "billete" | "biyuyo" => Some("dinero"),
            "chamba" | "laburo" | "pega" | "jale" | "chambita" | "camello" => Some("trabajo"),
            "cta" | "ctas" => Some("cuenta"),
            "dnd" => Some("donde"),
            "cdo" | "cnd" => Some("cuando"),
            "toy" => Some("estoy"),
            "tamos" => Some("estamos"),
            "bno" | "bueno" => Some("bueno"),
            "pgo" | "pg" => Some("pago"),
            "depo" | "dep" => Some("deposito"),
            "grax" | "grac" => Some("gracias"),
            "nomas" | "nomás" => Some("nomas"),
            "orita" | "horita" => Some("ahorita"),
            "hrs" | "hs" => Some("horas"),
            "wn" | "wey" | "we" | "guey" | "parce" | "causa" | "che" | "po" | "boludo"
            | "compa" | "bro" | "mano" | "loco" | "weon" | "huevon" => Some("<buddy>"),
            _ => None,
        },
        Lang::Pt => match word {
            "q" | "k" => Some("que"),
            "vc" | "vs" | "voce" | "ce" | "oce" => Some("voce"),
            "vcs" | "voces" => Some("voces"),
            "tb" | "tbm" | "tmb" => Some("tambem"),
            "pq" | "pk" | "porq" => Some("porque"),
            "blz" => Some("beleza"),
            "hj" => Some("hoje"),
            "amnh" | "amn" | "amnha" | "amanh" => Some("amanha"),
            "mto" | "mt" | "mta" => Some("muito"),
            "obg" | "obgd" | "obgda" => Some("obrigado"),
            "vlw" | "valeu" => Some("valeu"),
            "pfv" | "pf" | "pfvr" | "pfvor" | "porfa" => Some("favor"),
            "agr" => Some("agora"),
            "qdo" | "qnd" | "qndo" => Some("quando"),
            "td" => Some("tudo"),
            "n" | "naum" => Some("nao"),
            "eh" => Some("e"),
            "to" | "tou" => Some("estou"),
            "ta" | "tah" => Some("esta"),
            "tao" => Some("estao"),
            "pra" | "pro" => Some("para"),
            "vo" => Some("vou"),
            "grana" | "dim" | "dinheiro" | "bufunfa" | "din" => Some("dinheiro"),
            "trampo" | "servico" | "emprego" => Some("emprego"),
            "dps" | "dpois" => Some("depois"),
            "nd" => Some("nada"),
            "ngm" => Some("ninguem"),
            "msm" => Some("mesmo"),
            "oq" => Some("que"),
            "kd" | "cade" => Some("cade"),
            "vdd" => Some("verdade"),
            "tds" => Some("todos"),
            "ctz" => Some("certeza"),
            "qlq" | "qlqr" => Some("qualquer"),
            "pgto" | "pgt" | "pagto" => Some("pagamento"),
            "num" => Some("nao"),
            "cmg" => Some("comigo"),
            "ctg" => Some("contigo"),
            "fds" => Some("finde"),
            "mano" | "moco" | "moca" | "cara" | "vei" | "velho" | "parca" => Some("<buddy>"),
            _ => None,
        },
        Lang::En => match word {
            "u" | "yu" => Some("you"),
            "ur" | "yr" => Some("your"),
            "r" => Some("are"),
            "tmrw" | "tmr" | "tmw" | "tmrow" | "2morrow" | "2moro" | "tomoro" | "tomorow"
            | "tommorow" | "tommorrow" | "tomorrw" | "tmro" => Some("tomorrow"),
            "2day" | "tday" => Some("today"),
            "2nite" | "tonite" => Some("tonight"),
            "thx" | "thnx" | "ty" | "tks" | "thanx" => Some("thanks"),
            "im" => Some("i'm"),
            "ill" => Some("i'll"),
            "ive" => Some("i've"),
            "dont" | "dnt" => Some("don't"),
            "cant" | "cannot" | "cnt" => Some("can't"),
            "wont" => Some("won't"),
            "didnt" => Some("didn't"),
            "doesnt" => Some("doesn't"),
            "isnt" => Some("isn't"),
            "rn" => Some("now"),
            "bc" | "cuz" | "cos" | "coz" | "bcuz" | "bcz" => Some("because"),
            "thru" => Some("through"),
            "b4" => Some("before"),
            "gonna" => Some("going"),
            "wanna" => Some("want"),
            "gotta" => Some("must"),
            "w" => Some("with"),
            "ppl" => Some("people"),
            "txt" | "txts" | "sms" => Some("text"),
            "acct" | "acc" => Some("account"),
            "pmt" | "pymt" | "paymt" => Some("payment"),
            "eom" => Some("end-of-month"),
            "fri" => Some("friday"),
            "mon" => Some("monday"),
            "tue" | "tues" => Some("tuesday"),
            "wed" => Some("wednesday"),
            "thu" | "thur" | "thurs" => Some("thursday"),
            "sat" => Some("saturday"),
            "sun" => Some("sunday"),
            "dec" => Some("december"),
            "nov" => Some("november"),
            "jan" => Some("january"),
            "pd" | "payed" | "pade" => Some("paid"),
            "amt" => Some("amount"),
            "bal" => Some("balance"),
            "tn" => Some("tonight"),
            "y" => Some("why"),
            "ima" | "imma" | "finna" => Some("i'll"),
            "tryna" => Some("try"),
            "yea" | "yeah" | "ya" => Some("yeah"),
            "lemme" => Some("let"),
            "gimme" => Some("give"),
            "alredy" | "alrdy" | "allready" | "alr" => Some("already"),
            "bro" | "dude" | "bruh" | "man" => Some("<buddy>"),
            _ => None,
        },
    }
}

/// Words that open a negation's scope.
fn is_negation(lang: Lang, word: &str) -> bool {
    match lang {
        Lang::Es => matches!(word, "no" | "nunca" | "ni" | "tampoco" | "jamas" | "sin"),
        Lang::Pt => matches!(
            word,
            "nao" | "n" | "naum" | "nunca" | "nem" | "jamais" | "sem"
        ),
        Lang::En => matches!(
            word,
            "no" | "not"
                | "never"
                | "don't"
                | "dont"
                | "can't"
                | "cant"
                | "cannot"
                | "won't"
                | "wont"
                | "didn't"
                | "didnt"
                | "doesn't"
                | "doesnt"
                | "isn't"
                | "isnt"
                | "wasn't"
                | "aren't"
                | "couldn't"
                | "shouldn't"
                | "wouldn't"
                | "ain't"
                | "nothing"
                | "nobody"
        ),
    }
}

fn is_clause_end(ch: char) -> bool {
    matches!(ch, '.' | ',' | ';' | ':' | '!' | '?' | '\n')
}

/// Reusable buffers for feature extraction.
#[derive(Debug, Default)]
pub struct Extractor {
    pairs: Vec<(u32, f32)>,
    token: String,
    chars: Vec<char>,
    /// The concept of the last canonicalised word ([`lexicon::concept`]).
    concept: Option<Concept>,
}

impl Extractor {
    pub fn new() -> Extractor {
        Extractor::default()
    }

    /// The sorted, deduplicated feature indices of `normalized` (in `lang`) into `out`
    /// (cleared first).
    pub fn extract(&mut self, normalized: &str, lang: Lang, feats: &mut Features) {
        let mut out = std::mem::take(&mut self.pairs);
        out.clear();
        let out = &mut out;
        let mut lang_hash = Fnv::new(NS_LANG);
        lang_hash.bytes(lang.as_str().as_bytes());
        out.push((lang_hash.bucket(), 1.0));

        let mut n_words = 0usize;
        let mut start = Fnv::new(NS_WORD);
        start.bytes(b"<s>");
        // The previous token's word hash, for bigrams: the start marker, then none after each
        // clause boundary.
        let mut prev: Option<Fnv> = Some(start);
        let mut last: Option<Fnv> = None;
        for clause in normalized.split(is_clause_end) {
            let mut neg_left = 0usize;
            let mut prev_word: &str = "";
            let mut prev_concept: Option<Concept> = None;
            for word in words(clause) {
                n_words += 1;
                self.canonical(lang, word);
                let token = self.token.as_str();
                let mut wh = Fnv::new(NS_WORD);
                wh.bytes(token.as_bytes());
                out.push((wh.bucket(), 1.0));
                if let Some(prev_hash) = prev {
                    out.push((bigram(prev_hash, wh), 1.0));
                }
                prev = Some(wh);
                last = Some(wh);
                let negated = neg_left > 0;
                if negated {
                    let mut nh = Fnv::new(NS_NEG);
                    nh.bytes(token.as_bytes());
                    out.push((nh.bucket(), 1.0));
                    neg_left -= 1;
                }
                if is_negation(lang, word) {
                    neg_left = NEG_SCOPE;
                }
                // Concepts: of the word, and of the pair it closes.
                let pair = if prev_word.is_empty() {
                    None
                } else {
                    lexicon::phrase(lang, prev_word, word)
                };
                for concept in [self.concept, pair].into_iter().flatten() {
                    let mut ch = Fnv::new(NS_CONCEPT);
                    ch.bytes(concept.as_str().as_bytes());
                    out.push((ch.bucket(), 1.0));
                    let mut c2 = Fnv::new(NS_CONCEPT2);
                    c2.bytes(prev_concept.map_or("<s>", Concept::as_str).as_bytes());
                    c2.byte(b' ');
                    c2.bytes(concept.as_str().as_bytes());
                    out.push((c2.bucket(), 1.0));
                    if negated && concept != Concept::Neg {
                        let mut nc = Fnv::new(NS_NEG_CONCEPT);
                        nc.bytes(concept.as_str().as_bytes());
                        out.push((nc.bucket(), 1.0));
                    }
                    prev_concept = Some(concept);
                }
                prev_word = word;
                self.char_ngrams(out);
            }
            if n_words > 0 {
                prev = None;
            }
        }
        if let Some(last_hash) = last {
            let mut end = Fnv::new(NS_WORD);
            end.bytes(b"</s>");
            out.push((bigram(last_hash, end), 1.0));
        }
        let len_bucket: &[u8] = match n_words {
            0 => b"0",
            1 => b"1",
            2 => b"2",
            3..=5 => b"3-5",
            6..=12 => b"6-12",
            13..=30 => b"13-30",
            _ => b"31+",
        };
        let mut len_hash = Fnv::new(NS_LEN);
        len_hash.bytes(len_bucket);
        out.push((len_hash.bucket(), 1.0));

        let mut question = false;
        let mut bang = false;
        for ch in normalized.chars() {
            match ch {
                '?' => question = true,
                '!' => bang = true,
                ch if !ch.is_alphanumeric() && !ch.is_whitespace() && !ch.is_ascii() => {
                    let mut sym_hash = Fnv::new(NS_SYM);
                    sym_hash.char(ch);
                    out.push((sym_hash.bucket(), 1.0));
                }
                _ => {}
            }
        }
        for (present, name) in [(question, b"?"), (bang, b"!")] {
            if present {
                let mut punct_hash = Fnv::new(NS_PUNCT);
                punct_hash.bytes(name);
                out.push((punct_hash.bucket(), 1.0));
            }
        }
        // Sorted by bucket; a bucket twice (a repeated feature or a collision) keeps its
        // largest value; then unit length.
        out.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
        out.dedup_by_key(|p| p.0);
        feats.idx.clear();
        feats.val.clear();
        let norm = out.iter().map(|p| p.1 * p.1).sum::<f32>().sqrt();
        for &(bucket, value) in out.iter() {
            feats.idx.push(bucket);
            feats.val.push(if norm > 0.0 { value / norm } else { 0.0 });
        }
        self.pairs = std::mem::take(out);
    }

    /// `self.token` := the canonical token of `word`.
    fn canonical(&mut self, lang: Lang, word: &str) {
        self.token.clear();
        self.concept = None;
        if word.bytes().all(|b| b.is_ascii_digit()) {
            let day = word.len() <= 2 && word.parse::<u32>().is_ok_and(|d| (1..=31).contains(&d));
            self.token.push_str(if day { "<d>" } else { "<n>" });
            self.concept = lexicon::concept(lang, &self.token);
            return;
        }
        let mut squeezed: Option<String> = None;
        let mapped = slang(lang, word).or_else(|| {
            // "plisss" → "pliss" (normalised) → "plis": try the squeezed word too.
            if has_double(word) {
                let sq = squeezed.insert(squeeze(word));
                slang(lang, sq)
            } else {
                None
            }
        });
        let src = mapped.unwrap_or(word);
        self.concept = lexicon::concept(lang, src).or_else(|| {
            if mapped.is_none() && has_double(word) {
                lexicon::concept(lang, squeezed.get_or_insert_with(|| squeeze(word)))
            } else {
                None
            }
        });
        let mut last: Option<char> = None;
        for ch in src.chars() {
            let ch = if ch.is_ascii_digit() { '0' } else { ch };
            if Some(ch) == last && ch.is_alphabetic() {
                continue;
            }
            last = Some(ch);
            self.token.push(ch);
        }
    }

    /// Character n-grams (3 to 5) of `^token$`.
    fn char_ngrams(&mut self, out: &mut Vec<(u32, f32)>) {
        let weight = CHAR_WEIGHT;
        if self.token.starts_with('<') {
            return; // number shapes and markers: the word feature says it all
        }
        self.chars.clear();
        self.chars.push('^');
        self.chars.extend(self.token.chars());
        self.chars.push('$');
        let len = self.chars.len();
        for size in 3..=5 {
            if size > len {
                break;
            }
            for start in 0..=len - size {
                let mut hash = Fnv::new(NS_CHAR);
                for &ch in &self.chars[start..start + size] {
                    hash.char(ch);
                }
                out.push((hash.bucket(), weight));
            }
        }
    }
}

fn bigram(first: Fnv, second: Fnv) -> u32 {
    let mut hash = Fnv::new(NS_BIGRAM);
    hash.bytes(&first.0.to_le_bytes());
    hash.bytes(&second.0.to_le_bytes());
    hash.bucket()
}

fn has_double(word: &str) -> bool {
    word.as_bytes().windows(2).any(|p| p[0] == p[1])
}

fn squeeze(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    for ch in word.chars() {
        if !out.ends_with(ch) {
            out.push(ch);
        }
    }
    out
}

/// The features of one message (allocates; [`Extractor::extract`] does not once warm).
pub fn extract(normalized: &str, lang: Lang) -> Features {
    let mut out = Features::default();
    Extractor::new().extract(normalized, lang, &mut out);
    out
}

/// The word and concept features of a message with their names (`"pague"`, `"PAID"`), for
/// explanations: which of them weigh most towards an intent.
pub fn named(normalized: &str, lang: Lang) -> Vec<(String, u32)> {
    let mut extractor = Extractor::new();
    let mut out = Vec::new();
    for word in words(normalized) {
        extractor.canonical(lang, word);
        let mut hash = Fnv::new(NS_WORD);
        hash.bytes(extractor.token.as_bytes());
        out.push((extractor.token.clone(), hash.bucket()));
        if let Some(concept) = extractor.concept {
            let mut concept_hash = Fnv::new(NS_CONCEPT);
            concept_hash.bytes(concept.as_str().as_bytes());
            out.push((concept.as_str().to_string(), concept_hash.bucket()));
        }
    }
    out
}

/// The canonical tokens of a message, in order (for explanations and tests).
pub fn tokens(normalized: &str, lang: Lang) -> Vec<String> {
    let mut extractor = Extractor::new();
    words(normalized)
        .map(|w| {
            extractor.canonical(lang, w);
            extractor.token.clone()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::normalize;

    #[test]
    fn deterministic_sorted_and_in_range() {
        let normalized = normalize("Ya te PAGUÉ ayer!!! 🙏 xq me siguen cobrando?");
        let first = extract(&normalized, Lang::Es);
        let second = extract(&normalized, Lang::Es);
        assert_eq!(first, second);
        assert!(first.idx.windows(2).all(|p| p[0] < p[1]));
        assert!(first.idx.iter().all(|&i| (i as usize) < DIM));
        assert!(first.len() > 20);
        let norm: f32 = first.val.iter().map(|v| v * v).sum();
        assert!((norm - 1.0).abs() < 1e-4, "{norm}");
    }

    #[test]
    fn slang_and_repeats_reach_the_same_tokens() {
        assert_eq!(
            tokens(&normalize("xq no me pasas el link plisss"), Lang::Es),
            ["porque", "no", "me", "pasas", "el", "link", "favor"]
        );
        assert_eq!(
            tokens(&normalize("vc tb vai pagar hj?"), Lang::Pt),
            ["voce", "tambem", "vai", "pagar", "hoje"]
        );
        assert_eq!(
            tokens(&normalize("I'll pay u tmrw STOPPP"), Lang::En),
            ["i'l", "pay", "you", "tomorow", "stop"]
        );
        assert_eq!(
            tokens(&normalize("el 15 y 2026, 18h"), Lang::Es),
            ["el", "<d>", "y", "<n>", "00h"]
        );
    }

    #[test]
    fn empty_text_has_only_the_fixed_features() {
        let feats = extract("", Lang::En);
        assert_eq!(feats.len(), 2); // the language and the length bucket
    }
}
