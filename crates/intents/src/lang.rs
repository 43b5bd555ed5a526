//! The language of a reply (es, pt, en), from the text itself: function words, frequent
//! collection words and slang of each language, plus a few spelling patterns that only one of
//! the three languages has. It reads [`crate::normalize`]'s output (lower case, no accents), so
//! "não" is "nao" and "mañana" is "manana".
//!
//! Each word votes for the languages whose list holds it (a word two languages share, like
//! "que", "no" or "pago", votes for both and so decides nothing on its own). A text without any
//! vote (no letters, emoji, a number, "ok") gets [`DEFAULT`] with confidence 0.

use std::sync::OnceLock;

use crate::Lang;
use crate::normalize::words;

/// The language of a text with no evidence at all (empty, emoji, digits only): Spanish, the
/// language of most debtors.
pub const DEFAULT: Lang = Lang::Es;

/// [`detect_with_confidence`] without the confidence.
pub fn detect(normalized: &str) -> Lang {
    detect_with_confidence(normalized).0
}

/// The language and a confidence in `[0, 1]`: the winner's share of the votes (0 when nothing
/// voted, 1 when only one language did).
pub fn detect_with_confidence(normalized: &str) -> (Lang, f32) {
    let votes = scores(normalized);
    let total: f32 = votes.iter().sum();
    if total <= 0.0 {
        return (DEFAULT, 0.0);
    }
    // Ties go to the earlier language in `Lang::ALL` (es, pt, en).
    let mut best = 0;
    for i in 1..3 {
        if votes[i] > votes[best] {
            best = i;
        }
    }
    (Lang::ALL[best], votes[best] / total)
}

/// The votes for es, pt and en.
pub fn scores(normalized: &str) -> [f32; 3] {
    let mut votes = [0.0f32; 3];
    let mut prev: &str = "";
    for word in words(normalized) {
        for (index, lang) in Lang::ALL.into_iter().enumerate() {
            votes[index] += word_weight(lang, word);
        }
        for (index, lang) in Lang::ALL.into_iter().enumerate() {
            votes[index] += pattern_weight(lang, word);
        }
        if !prev.is_empty() {
            for (index, lang) in Lang::ALL.into_iter().enumerate() {
                votes[index] += pair_weight(lang, prev, word);
            }
        }
        prev = word;
    }
    votes
}

/// Strong words: function words and words frequent in replies that are (nearly) only of this
/// language once accents are gone.
const ES_STRONG: &[&str] = &[
    "el",
    "los",
    "las",
    "del",
    "al",
    "y",
    "es",
    "este",
    "esto",
    "eso",
    "esa",
    "ese",
    "estoy",
    "ya",
    "lo",
    "le",
    "les",
    "te",
    "mi",
    "mis",
    "tu",
    "tus",
    "su",
    "sus",
    "con",
    "un",
    "una",
    "hola",
    "gracias",
    "tengo",
    "tiene",
    "tienen",
    "puedo",
    "pueden",
    "puede",
    "quiero",
    "pague",
    "pagare",
    "pagamos",
    "manana",
    "hoy",
    "ayer",
    "pasado",
    "proximo",
    "viernes",
    "lunes",
    "martes",
    "miercoles",
    "jueves",
    "cuenta",
    "deuda",
    "cuota",
    "plata",
    "lana",
    "guita",
    "cuando",
    "donde",
    "cual",
    "cuanto",
    "quien",
    "pero",
    "si",
    "muy",
    "bien",
    "buenas",
    "buenos",
    "dias",
    "tardes",
    "noches",
    "ahora",
    "ahorita",
    "despues",
    "hasta",
    "porfa",
    "xfa",
    "llamar",
    "llamen",
    "llamenme",
    "llama",
    "llamo",
    "hablar",
    "persona",
    "alguien",
    "dinero",
    "trabajo",
    "sueldo",
    "quincena",
    "yo",
    "ustedes",
    "usted",
    "nosotros",
    "fue",
    "soy",
    "somos",
    "son",
    "estan",
    "hay",
    "fin",
    "wey",
    "wn",
    "po",
    "che",
    "parce",
    "causa",
    "boludo",
    "sin",
    "transferencia",
    "cancelo",
    "cancele",
    "abono",
    "mandame",
    "pasame",
    "necesito",
    "pagado",
    "pagada",
    "realizado",
    "cobran",
    "cobro",
    "dejen",
    "paren",
    "escriban",
    "manden",
    "vuelvan",
    "baja",
    "desuscribir",
    "equivocado",
    "equivocada",
    "titular",
    "murio",
    "fallecio",
    "conozco",
    "vive",
    "aca",
    "alla",
    "tambien",
    "entonces",
    "pues",
    "solo",
    "ningun",
    "ninguna",
    "ningn",
    "mucho",
    "poco",
    "puedes",
    "quisiera",
    "podrian",
    "ellos",
    "ella",
    "hija",
    "hijo",
    "esposo",
    "esposa",
    "senor",
    "senora",
    "joven",
    "saludos",
    "cordialmente",
    "atentamente",
    "adjunto",
    "factura",
    "recibo",
    "comprobante",
    "monto",
    "saldo",
    "pesos",
    "soles",
    "lucas",
    "chamba",
    "laburo",
    "pega",
    "ando",
    "estamos",
    "x",
    "ningunas",
    "cuotas",
    "plazo",
    "descuento",
    "tarjeta",
    "prestamo",
    "intereses",
    "oficina",
    "asesor",
    "ejecutivo",
    "encargado",
    "alguna",
    "algun",
    "nuestra",
    "nuestro",
    "correo",
    "mensaje",
    "mensajes",
    "llamadas",
    "celular",
    "pagos",
    "seguro",
    "claro",
    "vale",
    "bueno",
    "listo",
    "perfecto",
    "quedo",
    "porfavor",
    "en",
    "hace",
    "hizo",
    "debe",
    "estar",
    "escriben",
    "entrante",
    "todavia",
    "principios",
    "aceptan",
    "clabe",
    "interbancaria",
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
    "jajaja",
    "jaja",
    "gustaria",
    "nos",
    "vos",
    "sos",
    "tenes",
    "queres",
    "podes",
    "fijate",
];

const PT_STRONG: &[&str] = &[
    "hj",
    "logo",
    "primeiro",
    "foi",
    "kk",
    "encher",
    "saco",
    "nao",
    "eu",
    "voce",
    "voces",
    "vc",
    "vcs",
    "os",
    "do",
    "dos",
    "da",
    "das",
    "em",
    "na",
    "nas",
    "nos",
    "um",
    "uma",
    "com",
    "pra",
    "pro",
    "ja",
    "paguei",
    "pagou",
    "pagamento",
    "amanha",
    "hoje",
    "ontem",
    "ta",
    "tem",
    "meu",
    "minha",
    "meus",
    "minhas",
    "isso",
    "essa",
    "esse",
    "isto",
    "vou",
    "vai",
    "sou",
    "obrigado",
    "obrigada",
    "obg",
    "vlw",
    "oi",
    "ola",
    "bom",
    "boa",
    "tarde",
    "noite",
    "mais",
    "ele",
    "ela",
    "eles",
    "elas",
    "muito",
    "mto",
    "pix",
    "boleto",
    "sexta",
    "segunda",
    "terca",
    "quarta",
    "quinta",
    "feira",
    "quero",
    "queria",
    "posso",
    "pode",
    "podem",
    "consigo",
    "preciso",
    "tenho",
    "fazer",
    "faco",
    "fiz",
    "ai",
    "tambem",
    "tb",
    "tbm",
    "blz",
    "beleza",
    "mano",
    "moco",
    "moca",
    "cade",
    "agora",
    "depois",
    "ate",
    "quando",
    "onde",
    "qual",
    "quanto",
    "quem",
    "pq",
    "sim",
    "bem",
    "ninguem",
    "nenhum",
    "nenhuma",
    "alguem",
    "ligar",
    "ligacao",
    "liga",
    "ligue",
    "liguem",
    "falar",
    "atendente",
    "pessoa",
    "dinheiro",
    "grana",
    "trabalho",
    "salario",
    "emprego",
    "desempregado",
    "parcela",
    "parcelar",
    "divida",
    "conta",
    "fatura",
    "valor",
    "juros",
    "desconto",
    "acordo",
    "cobranca",
    "mensagem",
    "mensagens",
    "msg",
    "errado",
    "engano",
    "faleceu",
    "morreu",
    "conheco",
    "mora",
    "sair",
    "parem",
    "descadastra",
    "descadastrar",
    "chega",
    "deixa",
    "paz",
    "pfv",
    "pf",
    "comprovante",
    "segue",
    "anexo",
    "atenciosamente",
    "prezados",
    "abs",
    "att",
    "cadastro",
    "nome",
    "serasa",
    "procon",
    "loterica",
    "e",
    "quitei",
    "quitar",
    "quito",
    "tá",
    "né",
    "ne",
    "entao",
    "so",
    "tudo",
    "fim",
    "vem",
    "sem",
    "certeza",
    "acho",
    "sei",
    "ainda",
    "tava",
    "estou",
    "estava",
    "dele",
    "dela",
    "deles",
    "nesse",
    "nessa",
    "desse",
    "dessa",
    "neste",
    "nesta",
    "pelo",
    "pela",
    "pelos",
    "pelas",
    "aos",
    "as",
    "numa",
    "num",
    "sua",
    "seu",
    "seus",
    "suas",
    "gente",
    "kkk",
    "kkkk",
    "rs",
    "vo",
    "mandar",
    "manda",
    "envia",
    "enviar",
    "chave",
    "copia",
    "cola",
    "linha",
    "digitavel",
    "via",
    "recebi",
    "receber",
    "recebo",
    "cai",
    "cair",
    "certinho",
    "desculpe",
    "esquece",
    "quitado",
    "serve",
    "demitido",
    "duas",
    "vezes",
    "mesmo",
    "passada",
    "passado",
    "atendimento",
    "aceita",
    "dados",
    "janeiro",
    "fevereiro",
    "marco",
    "maio",
    "junho",
    "julho",
    "setembro",
    "outubro",
    "novembro",
    "dezembro",
    "entendi",
    "ciente",
    "ue",
    "dirigindo",
    "nois",
    "sao",
];

const EN_STRONG: &[&str] = &[
    "leave",
    "alone",
    "the",
    "i",
    "i'm",
    "im",
    "i'll",
    "ill",
    "i've",
    "ive",
    "i'd",
    "you",
    "your",
    "you're",
    "u",
    "ur",
    "my",
    "to",
    "is",
    "it",
    "it's",
    "its",
    "and",
    "pay",
    "paid",
    "payed",
    "paying",
    "will",
    "this",
    "that",
    "please",
    "pls",
    "plz",
    "not",
    "can",
    "can't",
    "cant",
    "don't",
    "dont",
    "on",
    "at",
    "for",
    "with",
    "of",
    "in",
    "be",
    "have",
    "has",
    "had",
    "was",
    "were",
    "are",
    "am",
    "do",
    "did",
    "does",
    "doesn't",
    "didn't",
    "won't",
    "get",
    "got",
    "send",
    "sent",
    "call",
    "calling",
    "him",
    "her",
    "his",
    "she",
    "he",
    "they",
    "we",
    "our",
    "us",
    "them",
    "what",
    "whats",
    "what's",
    "where",
    "when",
    "who",
    "how",
    "which",
    "why",
    "tomorrow",
    "tmrw",
    "tmr",
    "today",
    "tonight",
    "yesterday",
    "week",
    "month",
    "next",
    "last",
    "friday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "saturday",
    "sunday",
    "money",
    "job",
    "work",
    "check",
    "payment",
    "bill",
    "account",
    "balance",
    "debt",
    "owe",
    "number",
    "wrong",
    "person",
    "stop",
    "texting",
    "text",
    "texts",
    "calls",
    "email",
    "unsubscribe",
    "remove",
    "thanks",
    "thank",
    "hi",
    "hello",
    "hey",
    "yes",
    "yeah",
    "sure",
    "already",
    "just",
    "now",
    "right",
    "after",
    "before",
    "again",
    "anymore",
    "more",
    "any",
    "want",
    "need",
    "would",
    "could",
    "should",
    "about",
    "from",
    "by",
    "so",
    "if",
    "or",
    "but",
    "all",
    "some",
    "one",
    "two",
    "card",
    "bank",
    "someone",
    "anyone",
    "talk",
    "speak",
    "human",
    "agent",
    "supervisor",
    "manager",
    "lol",
    "bro",
    "idk",
    "tbh",
    "smh",
    "gonna",
    "wanna",
    "asap",
    "rn",
    "thru",
    "okay",
    "sorry",
    "promise",
    "end",
    "quit",
    "cancel",
    "off",
    "out",
    "up",
    "back",
    "lost",
    "laid",
    "afford",
    "plan",
    "fees",
    "fee",
    "charged",
    "charge",
    "billing",
    "never",
    "received",
    "cancelled",
    "canceled",
    "there",
    "here",
    "know",
    "think",
    "let",
    "make",
    "take",
    "give",
    "until",
    "till",
    "soon",
    "first",
    "half",
    "rest",
    "late",
    "due",
    "invoice",
    "regards",
    "dear",
    "sincerely",
    "best",
    "kind",
    "zelle",
    "venmo",
    "mail",
    "mailed",
    "husband",
    "wife",
    "son",
    "daughter",
    "mother",
    "father",
    "mom",
    "dad",
    "passed",
    "away",
    "died",
    "lives",
    "named",
    "anything",
    "nothing",
    "everything",
    "because",
    "cuz",
    "bc",
    "b4",
    "2morrow",
    "2day",
    "tho",
    "though",
    "gotta",
    "unsub",
    "deceased",
    "representative",
    "operator",
    "noted",
    "maybe",
    "bruh",
    "huh",
    "mid",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "k",
    "haha",
    "hahaha",
    "yep",
    "nope",
    "nah",
    "cool",
    "thx",
    "ty",
];

/// Words two languages share but the third does not have: half a vote for each.
const ES_PT_SHARED: &[&str] = &[
    "que",
    "q",
    "no",
    "de",
    "por",
    "para",
    "me",
    "pago",
    "mas",
    "favor",
    "se",
    "semana",
    "sabado",
    "domingo",
    "proxima",
    "esta",
    "aqui",
    "como",
    "nada",
    "nunca",
    "todo",
    "toda",
    "mes",
    "cobrando",
    "falta",
    "la",
    "mande",
    "numero",
    "pagar",
    "porque",
    "pare",
    "o",
    "fui",
    "facil",
    "empresa",
    "cobrado",
    "deposito",
    "acerto",
    "humano",
    "operador",
    "desinscrever",
];

fn word_weight(lang: Lang, word: &str) -> f32 {
    let weight = list_weight(lang, word);
    if weight > 0.0 || !has_double(word) {
        return weight;
    }
    // "boletoo", "ligaa", "heyy": normalisation keeps two of a repeated letter; try one.
    let mut single = String::with_capacity(word.len());
    for ch in word.chars() {
        if !single.ends_with(ch) {
            single.push(ch);
        }
    }
    list_weight(lang, &single)
}

fn has_double(word: &str) -> bool {
    word.as_bytes().windows(2).any(|p| p[0] == p[1])
}

/// The word lists sorted once, for binary search (es, pt, en, shared).
fn sorted_lists() -> &'static [Vec<&'static str>; 4] {
    static LISTS: OnceLock<[Vec<&'static str>; 4]> = OnceLock::new();
    LISTS.get_or_init(|| {
        [ES_STRONG, PT_STRONG, EN_STRONG, ES_PT_SHARED].map(|l| {
            let mut v = l.to_vec();
            v.sort_unstable();
            v.dedup();
            v
        })
    })
}

fn list_weight(lang: Lang, word: &str) -> f32 {
    let lists = sorted_lists();
    let list = match lang {
        Lang::Es => &lists[0],
        Lang::Pt => &lists[1],
        Lang::En => &lists[2],
    };
    let mut weight = 0.0;
    if list.binary_search(&word).is_ok() {
        weight += 1.0;
    }
    if lang != Lang::En && lists[3].binary_search(&word).is_ok() {
        weight += 0.3;
    }
    weight
}

/// Spelling that only one language has (on words long enough to carry it).
fn pattern_weight(lang: Lang, word: &str) -> f32 {
    if word.len() < 3 || !word.is_ascii() {
        return 0.0;
    }
    let bytes = word.as_bytes();
    let mut weight = 0.0f32;
    match lang {
        Lang::En => {
            if word.contains("th") || word.contains('w') && !word.starts_with("wh") && word != "wn"
            {
                weight += 0.4;
            }
            if word.starts_with("wh")
                || word.ends_with("ing")
                || word.ends_with("'s")
                || word.ends_with("'t")
            {
                weight += 0.6;
            }
            if word.contains("ck")
                || word.contains("ee")
                || word.contains("oo")
                || word.ends_with("ly")
            {
                weight += 0.3;
            }
            if word.ends_with("ed") && word.len() >= 4 {
                weight += 0.3;
            }
        }
        Lang::Pt => {
            if word.ends_with("cao") || word.ends_with("coes") || word.ends_with("oes") {
                weight += 0.8;
            }
            if word.contains("lh") || word.contains("nh") && !word.starts_with("nh") {
                weight += 0.6;
            }
            if matches!(bytes.last(), Some(b'm')) && !word.ends_with("um") && word.len() <= 6 {
                weight += 0.3;
            }
            if word.ends_with("ei")
                || word.ends_with("ou")
                || word.ends_with("ia") && word.len() > 4
            {
                weight += 0.2;
            }
            if word.ends_with("indo") && !word.ends_with("iendo") {
                weight += 0.4;
            }
        }
        Lang::Es => {
            if word.contains("ll") && !word.ends_with("ll")
                || word.ends_with("cion")
                || word.ends_with("ciones")
            {
                weight += 0.6;
            }
            if word.contains("ue") && !word.starts_with("que")
                || word.contains("ie") && !word.ends_with("ie")
            {
                weight += 0.3;
            }
            if word.ends_with("os") && word.len() > 4
                || word.ends_with("ado")
                || word.ends_with("amos")
            {
                weight += 0.1;
            }
            if (word.ends_with("an") || word.ends_with("en")) && word.len() >= 5 {
                weight += 0.3;
            }
        }
    }
    weight
}

/// Two-word signals: "de nuevo" vs "de novo" are caught by the words, but a few pairs of
/// shared words lean one way.
fn pair_weight(lang: Lang, first: &str, second: &str) -> f32 {
    match (lang, first, second) {
        (Lang::Pt, "a", "conta") | (Lang::Pt, "o", "boleto") | (Lang::Pt, "no", "dia") => 0.5,
        (Lang::Es, "a", "la") | (Lang::Es, "de", "la") | (Lang::Es, "en", "la") => 0.5,
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus;
    use crate::normalize::normalize;

    #[test]
    fn obvious_cases() {
        for (text, want) in [
            ("ya te pagué ayer", Lang::Es),
            ("já paguei ontem", Lang::Pt),
            ("I paid yesterday", Lang::En),
            ("no me escriban más", Lang::Es),
            ("não me liguem mais", Lang::Pt),
            ("stop texting me", Lang::En),
            ("mñn t pago x nequi", Lang::Es),
            ("vc tb vai pagar?", Lang::Pt),
        ] {
            assert_eq!(detect(&normalize(text)), want, "{text}");
        }
    }

    #[test]
    fn no_letters_is_the_default_with_no_confidence() {
        for text in ["", "   ", "🙏", "12345", "?!"] {
            assert_eq!(detect_with_confidence(&normalize(text)), (DEFAULT, 0.0));
        }
    }

    #[test]
    fn at_least_97_percent_on_the_corpus() {
        let all = corpus::shipped().unwrap();
        let wrong: Vec<String> = all
            .iter()
            .filter_map(|e| {
                let got = detect(&normalize(&e.text));
                (got != e.lang).then(|| format!("{} -> {got}: {:?}", e.lang, e.text))
            })
            .collect();
        let acc = 1.0 - wrong.len() as f64 / all.len() as f64;
        assert!(acc >= 0.97, "{acc:.4}\n{}", wrong.join("\n"));
    }
}
