//! High-precision rules for what rules do best, read before and after the model
//! ([`crate::classify()`] combines them):
//!
//! - **opt-out** ([`opt_out`]): keywords alone (STOP, SAIR, BAJA, PARE, UNSUBSCRIBE...), a stop
//!   verb before a contact word ("dejen de llamar", "parem de me mandar mensagem", "stop
//!   texting"), a negated contact verb ("no me escriban más", "não me liguem", "don't call
//!   me"), "no more texts", removal from a list or of one's data ("remove my number",
//!   "descadastrar", "darme de baja de la lista"), "leave me alone", cease and desist and
//!   privacy-law requests (LGPD, habeas data, ARCO, CCPA), withdrawn consent, a threat if
//!   contacted again. Guarded against the traps: a negated stop ("no stop, sigan avisándome",
//!   "don't stop these": [`wants_reminders`]), a stop of something else ("stop payment", "stop
//!   charging me"), "baja" of a service ("di de baja el servicio y me siguen cobrando"), "para
//!   que me dejen en paz" (a purpose, not a request), "me llamo" (my name is).
//! - **not a promise** ([`not_a_promise`], [`sarcastic`]): when the model reads a promise,
//!   irony ("cuando me gane la lotería", "when pigs fly") or sarcasm ("sí claro... 🙄") makes
//!   it `other` (or `hardship` when it mocks one's own money), a negated ability ("no creo que
//!   pueda el lunes", "I won't be able to pay") makes it `hardship`, a refusal ("não vou
//!   pagar") `other`.
//! - **overrides** ([`overrides`]): markers of one intent that correct the model when it reads
//!   an intent of lower priority: wrong number, someone else answers, the person died; not my
//!   debt, charged twice, time-barred, an improper charge; a plan, a discount or more time
//!   asked, a lost job; a call or a person asked; a payment on a given day (a promise, not
//!   hardship); a payment in the past (not a promise).
//!
//! Rules read the normalised text's words, mapped through the slang table and the
//! [`crate::lexicon`]. Each has a name that `explain` shows.

use crate::features::slang;
use crate::lexicon::{self, Concept};
use crate::normalize::words;
use crate::{Intent, Lang};

/// What a rule decided and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleHit {
    pub intent: Intent,
    /// The rule's name (for `explain`).
    pub rule: &'static str,
}

/// One word of a message as the rules see it.
#[derive(Debug, Clone)]
pub struct Tok<'a> {
    /// The word after the slang map ("xq" → "porque").
    pub w: &'a str,
    /// `w` with every run of a letter cut to one ("stopp" → "stop").
    pub sq: String,
    pub concept: Option<Concept>,
    /// The clause (split at `. , ; : ! ?`) the word is in.
    pub clause: usize,
}

/// The words of `normalized`, with their clause numbers and concepts.
pub fn tokenize(normalized: &str, lang: Lang) -> Vec<Tok<'_>> {
    let mut out = Vec::new();
    for (clause, part) in normalized
        .split(['.', ',', ';', ':', '!', '?', '…'])
        .enumerate()
    {
        for word in words(part) {
            let mut sq = String::with_capacity(word.len());
            for ch in word.chars() {
                if !sq.ends_with(ch) {
                    sq.push(ch);
                }
            }
            let mapped = slang(lang, word).or_else(|| slang(lang, &sq));
            let word = mapped.unwrap_or(word);
            let concept = lexicon::concept(lang, word).or_else(|| lexicon::concept(lang, &sq));
            if mapped.is_some() {
                sq = word.to_string();
            }
            out.push(Tok {
                w: word,
                sq,
                concept,
                clause,
            });
        }
    }
    out
}

fn is(tok: &Tok<'_>, concept: Concept) -> bool {
    tok.concept == Some(concept)
}

fn one_of(tok: &Tok<'_>, ws: &[&str]) -> bool {
    ws.contains(&tok.w) || ws.contains(&tok.sq.as_str())
}

/// Words that may stand around an opt-out keyword without changing it ("STOP please",
/// "SAIR 😡", "stop all", "baja ya").
const FILLER: &[&str] = &[
    "please",
    "favor",
    "por",
    "now",
    "ya",
    "all",
    "me",
    "it",
    "now",
    "already",
    "ahora",
    "agora",
    "ja",
    "pls",
    "<buddy>",
    "just",
    "immediately",
    "inmediatamente",
    "ok",
    "el",
    "the",
    "de",
    "da",
    "do",
    "lista",
    "list",
    "list",
    "ja",
];

/// Words that alone (with [`FILLER`]) are an opt-out.
const KEYWORDS: &[&str] = &[
    "stop",
    "sair",
    "baja",
    "pare",
    "para",
    "parem",
    "paren",
    "end",
    "quit",
    "cancel",
    "unsub",
    "unsubscribe",
    "desuscribir",
    "desuscribirme",
    "descadastrar",
    "descadastra",
    "descadastre",
    "basta",
    "chega",
    "optout",
    "opt",
    "out",
    "remove",
    "remover",
    "desinscrever",
    "enough",
    "stopall",
];

/// Whether `toks[i]` is a contact verb ("llamen", "liguem", "texting", "entre em contato").
fn contact_at(toks: &[Tok<'_>], pos: usize) -> bool {
    let tok = &toks[pos];
    if one_of(tok, &["contato", "contacto"]) {
        // "entre em contato", "ponerse en contacto" (but not "não tenho contato").
        return pos > 0 && one_of(&toks[pos - 1], &["em", "en"]);
    }
    if tok.w == "contact" {
        // "do not contact me", "don't contact us" (not "my contact info").
        return pos > 0 && one_of(&toks[pos - 1], &["not", "don't", "never", "ever"])
            || toks.get(pos + 1).is_some_and(|n| one_of(n, &["me", "us"]));
    }
    is_contact_verb(tok)
}

/// Contact verbs (and a few nouns for "no more X").
fn is_contact_verb(tok: &Tok<'_>) -> bool {
    if one_of(
        tok,
        &[
            "contato", "contacto", "contact", "line", "phone", "telefono", "telefone", "ring",
            "llamo", "llama", "lama", "lamo",
        ],
    ) {
        // Nouns ("não tenho contato", "phone number") and "me llamo" (my name is).
        return false;
    }
    matches!(tok.concept, Some(Concept::Call | Concept::Contact))
        || one_of(
            tok,
            &[
                "manden",
                "mandes",
                "mande",
                "mandem",
                "manda",
                "envien",
                "envies",
                "enviem",
                "envie",
                "send",
                "sending",
                "vuelvan",
                "sigan",
                "text",
                "texting",
                "email",
                "emailing",
                "message",
                "messaging",
                "bother",
                "perturbe",
                "incomode",
                "busquen",
                "jodan",
                "molesten",
                "acosen",
                "incomodem",
                "incomodar",
                "molestes",
                "molestar",
                "perturbem",
                "voltem",
                "volte",
                "vuelva",
                "harass",
                "harassing",
                "hear",
            ],
        )
}

fn is_message_noun(tok: &Tok<'_>) -> bool {
    is(tok, Concept::Message)
        || is(tok, Concept::Reminder)
        || one_of(
            tok,
            &[
                "calls",
                "llamadas",
                "ligacoes",
                "ligacao",
                "ligação",
                "cobranza",
                "cobranca",
                "recordatorios",
                "contact",
                "contacto",
                "contato",
                "communication",
                "comunicaciones",
                "comunicacao",
                "comunicacion",
                "comunicacoes",
                "mensajes",
            ],
        )
}

fn is_negation(tok: &Tok<'_>) -> bool {
    is(tok, Concept::Neg) && !one_of(tok, &["sin", "sem", "nada", "nothing", "ninguna", "ningun"])
}

/// The opt-out rule that fires on `toks`, if any.
pub fn opt_out(toks: &[Tok<'_>]) -> Option<&'static str> {
    if toks.is_empty() {
        return None;
    }
    // 1. A keyword alone, or as the whole first clause ("STOP. This is the 3rd time.").
    let first_clause = toks[0].clause;
    let first: Vec<&Tok<'_>> = toks.iter().filter(|t| t.clause == first_clause).collect();
    let keyword_only = |ts: &[&Tok<'_>]| {
        ts.iter().any(|t| one_of(t, KEYWORDS))
            && ts.iter().all(|t| one_of(t, KEYWORDS) || one_of(t, FILLER))
            && !(ts.len() == 1 && one_of(ts[0], &["out", "opt"]))
    };
    let all: Vec<&Tok<'_>> = toks.iter().collect();
    if keyword_only(&all) {
        return Some("opt-out keyword");
    }
    if keyword_only(&first)
        && one_of(
            first[0],
            &[
                "stop",
                "sair",
                "baja",
                "basta",
                "chega",
                "unsubscribe",
                "parem",
                "paren",
            ],
        )
    {
        return Some("opt-out keyword first");
    }
    // A later clause that is a keyword alone: "Wrong number. Stop."
    let last_clause = toks[toks.len() - 1].clause;
    if last_clause != first_clause {
        let last: Vec<&Tok<'_>> = toks.iter().filter(|t| t.clause == last_clause).collect();
        if keyword_only(&last)
            && one_of(
                last[0],
                &[
                    "stop",
                    "sair",
                    "baja",
                    "basta",
                    "chega",
                    "unsubscribe",
                    "parem",
                    "paren",
                ],
            )
        {
            return Some("opt-out keyword last");
        }
    }
    // "no texts", "no calls", "sem ligações".
    if toks.len() <= 3
        && is_negation(&toks[0])
        && toks[1..].iter().any(is_message_noun)
        && toks[1..]
            .iter()
            .all(|t| is_message_noun(t) || is(t, Concept::More) || one_of(t, FILLER))
    {
        return Some("no more messages");
    }
    // "no más" / "no more" / "nunca mais" alone.
    if toks.len() <= 3
        && toks.iter().any(is_negation)
        && toks.iter().any(|t| is(t, Concept::More))
        && toks
            .iter()
            .all(|t| is_negation(t) || is(t, Concept::More) || one_of(t, FILLER))
    {
        return Some("no more");
    }

    for (i, tok) in toks.iter().enumerate() {
        let next = |k: usize| toks.get(i + k).filter(|n| n.clause == tok.clause);
        let window = |n: usize| (1..=n).filter_map(next);
        let prev = i.checked_sub(1).map(|j| &toks[j]);
        let prev2 = i.checked_sub(2).map(|j| &toks[j]);
        let negated_before = prev.is_some_and(|p| is_negation(p) || one_of(p, &["keep"]))
            || prev2.is_some_and(|p| is_negation(p) && p.clause == tok.clause);

        // 2. A stop verb, then a contact word: "dejen de llamar", "stop texting me",
        //    "parem de me mandar msg", "paren ya con los mensajes". Not negated, and not
        //    "stop payment" / "stop charging".
        let stop_verb = if one_of(
            tok,
            &["para", "dejen", "deja", "dejar", "dejes", "deixa", "deixem"],
        ) {
            // "para de ligar", "dejen de escribir" (not "para o meu email", "que me dejen").
            next(1).is_some_and(|n| one_of(n, &["de", "com", "con"]))
        } else {
            is(tok, Concept::Stop)
        };
        if stop_verb && !negated_before {
            let mut hit = false;
            for later in window(5) {
                if is(later, Concept::Pay)
                    || is(later, Concept::Paid)
                    || is(later, Concept::Charged)
                    || is(later, Concept::Debt)
                {
                    break;
                }
                if is_contact_verb(later)
                    || is_message_noun(later)
                    || is(later, Concept::LeaveAlone)
                {
                    hit = true;
                    break;
                }
            }
            if hit {
                return Some("stop contacting");
            }
            // "parem!" / "por favor parem" at the end of a message (pt/es plural imperative).
            if one_of(tok, &["parem", "paren", "parenle"]) && next(1).is_none() {
                return Some("stop contacting");
            }
        }

        // 3. A negated contact verb: "no me escriban más", "não me liguem", "don't call me",
        //    "do not contact me", "nunca mais me liga", "ya no me marquen".
        if is_negation(tok) {
            for (offset, candidate) in window(4).enumerate() {
                // Only pronouns and "more/again" may stand between the negation and the verb:
                // "no me escriban", "não me ligue mais", "don't ever call", "no vuelvan a
                // llamarme" (not "no me gusta escribir").
                let between_ok = toks[i + 1..i + 1 + offset].iter().all(|m| {
                    one_of(
                        m,
                        &[
                            "me",
                            "mi",
                            "nos",
                            "lo",
                            "la",
                            "le",
                            "les",
                            "te",
                            "se",
                            "a",
                            "ever",
                            "not",
                            "do",
                            "you",
                            "again",
                            "em",
                            "en",
                            "entre",
                            "entrem",
                            "mas",
                            "mais",
                            "more",
                            "vuelvan",
                            "voltem",
                            "sigan",
                            "sigam",
                            "mande",
                            "manden",
                            "ya",
                            "please",
                            "pls",
                            "favor",
                            "por",
                            "longer",
                            "really",
                            "realmente",
                        ],
                    ) || is(m, Concept::More)
                });
                if !between_ok {
                    continue;
                }
                if contact_at(toks, i + 1 + offset) {
                    // "no me llegó", "don't call it" are not requests; require the person
                    // ("me" before), "more/again" after, an English imperative, or "again" in
                    // the verb.
                    let me_before = offset > 0
                        && toks[i + 1..i + 1 + offset].iter().any(|m| {
                            one_of(m, &["me", "mi", "nos", "lo", "la", "le"])
                                || is(m, Concept::More)
                        });
                    let tail: Vec<&Tok<'_>> = (offset + 2..offset + 6).filter_map(next).collect();
                    let more_after = tail.iter().any(|m| {
                        is(m, Concept::More)
                            || one_of(
                                m,
                                &["me", "again", "anymore", "nunca", "this", "my", "numero"],
                            )
                    });
                    let en_imperative = one_of(tok, &["don't", "do", "not", "never"])
                        && (offset == 0 || one_of(&toks[i + 1], &["not", "ever"]));
                    // "no vuelvan a llamarme", "não voltem a ligar": "again" in the verb.
                    let again = one_of(candidate, &["vuelvan", "vuelva", "voltem", "volte"]);
                    if me_before || more_after || en_imperative || again {
                        return Some("do not contact");
                    }
                }
                if one_of(
                    candidate,
                    &["quiero", "quero", "want", "wish", "deseo", "desejo"],
                ) {
                    // "no quiero recibir más mensajes", "não quero mais ligação".
                    let wants: Vec<&Tok<'_>> = (offset + 2..offset + 7).filter_map(next).collect();
                    if wants
                        .iter()
                        .any(|m| is_message_noun(m) || is_contact_verb(m))
                    {
                        return Some("do not want contact");
                    }
                }
            }
            // "no more texts", "no más mensajes", "nunca mais ligação".
            if next(1).is_some_and(|n| is(n, Concept::More))
                && window(3).any(|n| is_message_noun(n) || is_contact_verb(n))
            {
                return Some("no more messages");
            }
        }

        // 4. Unsubscribe and removal from a list or of one's data.
        if one_of(
            tok,
            &[
                "unsubscribe",
                "unsub",
                "desuscribir",
                "desuscribirme",
                "desuscribo",
                "descadastra",
                "descadastrar",
                "descadastre",
                "descadastramento",
                "desinscrever",
            ],
        ) || tok.sq.starts_with("desuscri")
            || tok.sq.starts_with("descadastr")
            || tok.sq.starts_with("unsubscri") && !tok.sq.ends_with("ed")
        {
            return Some("unsubscribe");
        }
        if tok.w == "opt" && next(1).is_some_and(|n| n.w == "out") {
            return Some("unsubscribe");
        }
        if is(tok, Concept::Remove) && !negated_before {
            // What is removed: the person, their number, address or data, or a list (not a
            // bare "my": "quiten mis intereses", "cancelen mi deuda").
            let objects = [
                "me",
                "number",
                "numero",
                "email",
                "correo",
                "datos",
                "dados",
                "data",
                "info",
                "information",
                "informacion",
                "list",
                "lista",
                "cadastro",
                "base",
                "contacto",
                "contato",
                "telefone",
                "telefono",
                "celular",
                "phone",
                "inscricao",
                "suscripcion",
                "recordatorios",
                "notificaciones",
                "notificacoes",
                "avisos",
                "mensagens",
                "mensajes",
                "envios",
                "whatsapp",
                "grupo",
            ];
            let baja_ok = tok.w != "baja"
                || window(5).any(|n| {
                    one_of(
                        n,
                        &[
                            "lista",
                            "list",
                            "mensajes",
                            "envios",
                            "correos",
                            "base",
                            "notificaciones",
                            "sms",
                            "whatsapp",
                            "recordatorios",
                        ],
                    )
                });
            let take_ok = tok.w != "take" || window(4).any(|n| n.w == "off");
            if baja_ok
                && take_ok
                && (window(3).any(|n| one_of(n, &objects) || is_message_noun(n))
                    || prev.is_some_and(|p| one_of(p, &["me"])))
            {
                return Some("remove me");
            }
        }
        // "quero sair da lista" (not "sair do Serasa").
        if tok.w == "sair"
            && window(3).any(|n| one_of(n, &["lista", "list", "cadastro", "grupo", "base"]))
        {
            return Some("remove me");
        }
        // "cancel/cancelar" + notifications/reminders/subscription.
        if tok.sq.starts_with("cancel")
            && !negated_before
            && window(4).any(|n| {
                one_of(
                    n,
                    &[
                        "notificaciones",
                        "notificacoes",
                        "recebimento",
                        "inscricao",
                        "suscripcion",
                        "recordatorios",
                        "avisos",
                        "mensajes",
                        "mensagens",
                    ],
                )
            })
        {
            return Some("remove me");
        }

        // 5. Leave me alone (not "para que me dejen en paz", a purpose).
        if (tok.w == "paz" && prev.is_some_and(|p| one_of(p, &["en", "em"])))
            || (tok.w == "alone" && prev.is_some_and(|p| one_of(p, &["me"])))
            || tok.w == "esquece"
            || tok.w == "esquecam"
        {
            let start = i.saturating_sub(5);
            let purpose = toks[start..i].windows(2).any(|p| {
                (one_of(&p[0], &["para", "pra"]) && one_of(&p[1], &["que"]))
                    || one_of(&p[0], &["so", "just"]) && p[1].w == "you"
            });
            if !purpose {
                return Some("leave me alone");
            }
        }

        // "se ligarem de novo eu vou no Procon", "si me vuelven a llamar los denuncio",
        // "call again and I'll report you".
        if is_contact_verb(tok)
            && (window(3).any(|n| one_of(n, &["again", "novo", "nuevo"]))
                || next(1).is_some_and(|n| n.w == "otra") && next(2).is_some_and(|n| n.w == "vez")
                || toks[i.saturating_sub(2)..i]
                    .iter()
                    .any(|p| one_of(p, &["vuelven", "vuelve", "voltarem", "voltar", "again"])))
            && toks.iter().any(|n| is(n, Concept::Complaint))
        {
            return Some("threat if contacted again");
        }

        // 6. Legal: cease and desist, cease contact, privacy law, withdrawn consent.
        if tok.w == "cease"
            && next(1).is_some_and(|n| n.w == "and")
            && next(2).is_some_and(|n| n.w == "desist")
        {
            return Some("cease and desist");
        }
        if one_of(
            tok,
            &["cease", "cese", "cesen", "cessem", "cessacao", "cessar"],
        ) && window(6).any(|n| is_message_noun(n) || is_contact_verb(n) || is(n, Concept::Call))
        {
            return Some("cease contact");
        }
        let privacy_law = one_of(tok, &["lgpd", "habeas", "arco", "ccpa", "lfpdppp", "gdpr"])
            || (tok.w == "ley" || tok.w == "lei")
                && toks[i..]
                    .iter()
                    .take(6)
                    .any(|n| n.w.contains("1581") || n.w == "19" || n.w == "25" || n.w == "13");
        let deletion_or_contact = || {
            toks.iter().any(|n| {
                is(n, Concept::Remove)
                    || is_contact_verb(n)
                    || one_of(
                        n,
                        &[
                            "supresion",
                            "eliminacion",
                            "eliminacao",
                            "apaguem",
                            "delete",
                        ],
                    )
            }) || toks.len() <= 4
        };
        if privacy_law && deletion_or_contact() {
            return Some("privacy law");
        }
        if (one_of(tok, &["consent", "autorizo", "permiso", "autorizacion"])
            && (negated_before || prev.is_some_and(|p| one_of(p, &["my", "revoke"]))))
            || one_of(tok, &["revoke"])
        {
            return Some("consent withdrawn");
        }
        // "delete my data", "eliminen mis datos", "apaguem meus dados".
        if is(tok, Concept::Remove)
            && window(3).any(|n| one_of(n, &["datos", "dados", "data", "info", "informacion"]))
        {
            return Some("delete my data");
        }
        // "I'm represented by an attorney. Contact her", "diríjase a mi apoderado".
        if one_of(
            tok,
            &["attorney", "apoderado", "abogado", "advogado", "lawyer"],
        ) && toks.iter().any(|n| {
            one_of(
                n,
                &[
                    "represented",
                    "contact",
                    "comunicacion",
                    "comunicaciones",
                    "dirigirse",
                    "contate",
                    "contato",
                ],
            )
        }) && toks
            .iter()
            .any(|n| is_negation(n) || one_of(n, &["toda", "all", "only", "solo"]))
        {
            return Some("contact my attorney");
        }
        // "Only contact me by mail", "solo pueden contactarme por...".
        if one_of(tok, &["only", "solo", "so"])
            && window(4).any(|n| is_contact_verb(n))
            && toks
                .iter()
                .any(|n| is_negation(n) || is(n, Concept::More) || n.w == "autorizo")
        {
            return Some("restrict contact");
        }
    }
    None
}

/// The debtor wants the reminders to go on: "no stop, sigan avisándome", "don't stop these",
/// "não parem de mandar lembrete", "keep the reminders coming", "não cancela meus avisos".
pub fn wants_reminders(toks: &[Tok<'_>]) -> Option<&'static str> {
    for (i, tok) in toks.iter().enumerate() {
        let negated = toks[i.saturating_sub(2)..i].iter().any(is_negation);
        let stopping =
            is(tok, Concept::Stop) || tok.sq.starts_with("cancel") || is(tok, Concept::Remove);
        let object = toks[i + 1..].iter().take(5).any(|n| {
            is(n, Concept::Reminder)
                || is_message_noun(n)
                || is_contact_verb(n)
                || one_of(
                    n,
                    &[
                        "these", "them", "this", "avisarme", "avisar", "sigan", "sigam",
                    ],
                )
        });
        if negated
            && stopping
            && (object || i + 1 == toks.len() || toks[i + 1].clause != tok.clause)
        {
            let money = toks[i + 1..]
                .iter()
                .take(4)
                .any(|n| is(n, Concept::Charged) || is(n, Concept::Pay) || is(n, Concept::Debt));
            if !money {
                return Some("wants the reminders");
            }
        }
        if one_of(
            tok,
            &[
                "keep",
                "sigan",
                "sigam",
                "continuem",
                "continue",
                "continuen",
            ],
        ) && toks[i + 1..].iter().take(4).any(|n| {
            is(n, Concept::Reminder)
                || one_of(
                    n,
                    &[
                        "sending",
                        "avisandome",
                        "avisando",
                        "mandando",
                        "enviando",
                        "coming",
                    ],
                )
        }) {
            return Some("wants the reminders");
        }
    }
    None
}

/// Sarcasm around a promise: an agreement word first ("sí claro", "sure", "aham", "com
/// certeza") and an ellipsis or an eye-roll in the raw text ("te pago el lunes... el lunes de
/// nunca", "amanhã eu pago 🙄").
pub fn sarcastic(raw: &str, toks: &[Tok<'_>]) -> bool {
    let cue = raw.contains("...") || raw.contains('…') || raw.contains('🙄') || raw.contains('🤣');
    let agree = toks.iter().take(3).any(|t| {
        one_of(
            t,
            &[
                "claro",
                "seguro",
                "sure",
                "yeah",
                "oh",
                "aham",
                "certeza",
                "obvio",
                "obviamente",
                "course",
                "right",
                "certo",
                "sim",
                "yea",
            ],
        )
    });
    cue && agree
}

/// A joke about one's own lack of money ("with what money", "when my unemployment check
/// magically doubles"): hardship, not plain irony.
pub fn money_joke(toks: &[Tok<'_>]) -> bool {
    toks.iter().any(|t| {
        is(t, Concept::Money) || is(t, Concept::JobLoss) || is(t, Concept::Salary) && t.w != "check"
    }) && !toks.iter().any(|t| {
        one_of(
            t,
            &["millones", "milhoes", "lotto", "loteria", "lottery", "yate"],
        )
    })
}

/// When the model reads a promise that is not one: irony, a negated ability, a refusal.
pub fn not_a_promise(toks: &[Tok<'_>]) -> Option<RuleHit> {
    let irony = toks.iter().enumerate().any(|(i, t)| {
        is(t, Concept::Irony)
            || (t.w == "nunca" && i > 0 && one_of(&toks[i - 1], &["de", "sao", "del"]))
            || (t.w == "fly" && i > 0 && toks[i - 1].w == "pigs")
            || (t.w == "right" && i > 0 && toks[i - 1].w == "yeah")
            || (t.w == "dreaming" || t.w == "sonhando" || t.w == "sonando")
    });
    if irony {
        return Some(if money_joke(toks) {
            RuleHit {
                intent: Intent::Hardship,
                rule: "ironic promise about money",
            }
        } else {
            RuleHit {
                intent: Intent::Other,
                rule: "ironic promise",
            }
        });
    }
    for (i, tok) in toks.iter().enumerate() {
        if !is_negation(tok) {
            continue;
        }
        let win: Vec<&Tok<'_>> = toks[i + 1..]
            .iter()
            .take(4)
            .filter(|n| n.clause == tok.clause)
            .collect();
        // "no creo que pueda", "não consigo pagar", "I won't be able", "can't pay".
        let able = win.iter().any(|n| is(n, Concept::Able))
            || (one_of(tok, &["can't", "cannot", "couldn't"])
                && win
                    .iter()
                    .take(2)
                    .any(|n| is(n, Concept::Pay) || n.w == "make"))
            || (one_of(tok, &["won't", "not"]) && win.iter().any(|n| n.w == "able"));
        // "sexta não dá", "el lunes tampoco puedo" (negation after the day); but "el
        // miércoles le pago, hoy ya no alcanzo" promises in another clause.
        if able && !promise_with_day(toks) {
            return Some(RuleHit {
                intent: Intent::Hardship,
                rule: "negated ability to pay",
            });
        }
        // "no voy a pagar", "não vou pagar", "I'm not paying", "I won't pay": a refusal.
        let refusal = win.iter().take(3).any(|n| is(n, Concept::Will))
            && win.iter().any(|n| is(n, Concept::Pay))
            || one_of(tok, &["won't", "not"]) && win.first().is_some_and(|n| is(n, Concept::Pay));
        if refusal {
            return Some(RuleHit {
                intent: Intent::Other,
                rule: "refusal to pay",
            });
        }
    }
    // "sexta não dá", "segunda também não": a day refused.
    if toks.windows(2).any(|p| {
        is(&p[0], Concept::Neg) && one_of(&p[1], &["da", "puedo", "deu"])
            || one_of(&p[0], &["tampoco"]) && one_of(&p[1], &["puedo"])
    }) {
        return Some(RuleHit {
            intent: Intent::Hardship,
            rule: "negated ability to pay",
        });
    }
    None
}

/// Concepts that show hardship (the debtor's situation or a request for terms).
fn hardship_evidence(toks: &[Tok<'_>]) -> bool {
    toks.iter().any(|t| {
        matches!(
            t.concept,
            Some(
                Concept::JobLoss
                    | Concept::Illness
                    | Concept::Plan
                    | Concept::Discount
                    | Concept::MoreTime
                    | Concept::Money
            )
        )
    }) || negated_ability(toks)
}

fn negated_ability(toks: &[Tok<'_>]) -> bool {
    toks.iter().enumerate().any(|(i, t)| {
        is_negation(t)
            && toks[i + 1..]
                .iter()
                .take(4)
                .filter(|n| n.clause == t.clause)
                .any(|n| is(n, Concept::Able))
            || one_of(t, &["can't", "cannot"])
                && toks
                    .get(i + 1)
                    .is_some_and(|n| is(n, Concept::Pay) || one_of(n, &["afford", "make"]))
    })
}

/// A request for a plan, a discount or more time, or a lost job or illness.
fn hardship_request(toks: &[Tok<'_>]) -> Option<&'static str> {
    for (i, tok) in toks.iter().enumerate() {
        let near = |n: usize, ws: &[&str]| {
            toks[i + 1..]
                .iter()
                .take(n)
                .filter(|m| m.clause == tok.clause)
                .any(|m| one_of(m, ws))
        };
        let request = one_of(
            tok,
            &[
                "cuotas",
                "parcelar",
                "parcelado",
                "parcelamento",
                "installments",
                "installment",
                "descuento",
                "desconto",
                "discount",
                "rebaja",
                "reduce",
                "reduzcan",
                "reducir",
                "reduzir",
                "diminuir",
                "waive",
                "defer",
                "extension",
                "prorroga",
                "prazo",
                "carencia",
                "forbearance",
                "condonar",
                "condonan",
                "condonen",
                "congelar",
                "refinanciar",
                "renegociar",
                "renegociacao",
                "negociar",
                "settlement",
            ],
        ) || tok.w == "plan" && near(2, &["de", "pagos", "payment", "pago"])
            || one_of(tok, &["payment"]) && near(1, &["plan"])
            || one_of(tok, &["lump"]) && near(1, &["sum"])
            || one_of(tok, &["tirar", "quitar", "take"])
                && near(4, &["juros", "intereses", "interest", "multa", "off"])
            || one_of(tok, &["more", "mas", "mais"])
                && near(2, &["time", "tiempo", "tempo", "prazo", "plazo"]);
        if request {
            return Some("asks for a plan, a discount or more time");
        }
        let third = toks
            .iter()
            .any(|n| is(n, Concept::ThirdPerson) || is(n, Concept::Relative));
        if is(tok, Concept::JobLoss) && !third {
            return Some("lost job");
        }
    }
    if toks
        .windows(2)
        .any(|p| lexicon::phrase(Lang::En, p[0].w, p[1].w) == Some(Concept::JobLoss))
    {
        return Some("lost job");
    }
    None
}

/// A dispute: not my debt, not recognised, double charge, time-barred, "I dispute".
fn dispute_marker(toks: &[Tok<'_>]) -> Option<&'static str> {
    for (i, tok) in toks.iter().enumerate() {
        let win: Vec<&Tok<'_>> = toks[i + 1..]
            .iter()
            .take(3)
            .filter(|n| n.clause == tok.clause)
            .collect();
        if is_negation(tok) {
            // "no es mía", "não é meu", "not my debt", "isn't my account", "not mine".
            let mine = win.iter().enumerate().any(|(k, n)| {
                one_of(n, &["mine", "mia", "mio", "meu", "minha"])
                    || n.w == "my"
                        && win.get(k + 1).is_some_and(|m| {
                            is(m, Concept::Debt) || one_of(m, &["account", "debt", "bill"])
                        })
            });
            let unknown = win
                .iter()
                .take(2)
                .any(|n| one_of(n, &["reconozco", "reconheco", "recognize", "reconhecemos"]));
            if mine || unknown {
                return Some("not my debt");
            }
            // "no debo nada", "não devo nada", "I don't owe you anything" (but "no debo
            // nada, ya pagué" is a payment).
            if win
                .iter()
                .any(|n| one_of(n, &["debo", "devo", "owe", "debemos", "devemos"]))
                && !toks.iter().any(|n| is(n, Concept::Paid))
            {
                return Some("does not owe it");
            }
        }
        // "cobro indebido", "cobrança indevida", "this amount is wrong", "el monto está mal".
        if is(tok, Concept::Improper) || is(tok, Concept::Wrong) {
            let clause: Vec<&Tok<'_>> = toks.iter().filter(|n| n.clause == tok.clause).collect();
            let about_money = clause
                .iter()
                .any(|n| is(n, Concept::Charged) || is(n, Concept::Debt) || is(n, Concept::Amount));
            let about_person = clause.iter().any(|n| {
                is(n, Concept::Number)
                    || is(n, Concept::Person)
                    || one_of(n, &["person", "persona", "pessoa", "guy", "chat"])
            });
            if about_money && !about_person {
                return Some("improper charge");
            }
        }
        if one_of(
            tok,
            &["dispute", "disputing", "disputo", "impugnar", "impugno"],
        ) {
            return Some("disputes the debt");
        }
        if is(tok, Concept::Prescribed) && tok.w != "sol" {
            return Some("time-barred");
        }
        // "Cobraram duas vezes" is a double charge; "posso parcelar em duas vezes" (pay in two
        // instalments) is not.
        let double = is(tok, Concept::Double)
            || i + 1 < toks.len()
                && lexicon::phrase(Lang::Es, tok.w, toks[i + 1].w) == Some(Concept::Double)
            || i + 1 < toks.len()
                && lexicon::phrase(Lang::Pt, tok.w, toks[i + 1].w) == Some(Concept::Double);
        if double && !toks.iter().any(|t| is(t, Concept::Plan)) {
            return Some("charged twice");
        }
    }
    None
}

/// Asks for a person or a call.
fn human_request(toks: &[Tok<'_>]) -> Option<&'static str> {
    let short = toks.len() <= 3;
    for (i, tok) in toks.iter().enumerate() {
        let prev = i.checked_sub(1).map(|j| &toks[j]);
        let next = |k: usize| toks.get(i + k);
        if is(tok, Concept::Call) && !is_negation_before(toks, i) {
            let me = prev.is_some_and(|p| one_of(p, &["me", "nos"]))
                || next(1).is_some_and(|n| one_of(n, &["me", "us", "back"]))
                || one_of(
                    tok,
                    &[
                        "llamame",
                        "llamenme",
                        "llameme",
                        "marquenme",
                        "marcame",
                        "llamarme",
                        "callback",
                    ],
                )
                || tok.w == "call" && prev.is_some_and(|p| one_of(p, &["a", "up"]))
                || tok.w == "ring" && prev.is_some_and(|p| p.w == "a");
            if me {
                return Some("asks for a call");
            }
        }
        if is(tok, Concept::Talk) {
            let person = toks[i + 1..]
                .iter()
                .take(5)
                .any(|n| is(n, Concept::Person) || is(n, Concept::Agent) || n.w == "who");
            let who = prev.is_some_and(|p| one_of(p, &["quien", "quem", "who"]))
                || i >= 2 && one_of(&toks[i - 2], &["quien", "quem", "who"]);
            if person || who {
                return Some("asks for a person");
            }
        }
        if short && (is(tok, Concept::Agent) || one_of(tok, &["human", "humano", "person"])) {
            return Some("asks for a person");
        }
        if one_of(
            tok,
            &["bot", "robo", "robot", "automatico", "automated", "maquina"],
        ) && toks
            .iter()
            .any(|n| is(n, Concept::Person) || is(n, Concept::Agent))
        {
            return Some("asks for a person");
        }
    }
    None
}

fn is_negation_before(toks: &[Tok<'_>], pos: usize) -> bool {
    toks[pos.saturating_sub(3)..pos].iter().any(is_negation)
}

/// Not the person the message is for: wrong number, someone who died.
fn wrong_person_marker(toks: &[Tok<'_>]) -> Option<(&'static str, bool)> {
    for (i, tok) in toks.iter().enumerate() {
        if is(tok, Concept::Wrong) {
            let around = toks[i.saturating_sub(3)..(i + 4).min(toks.len())]
                .iter()
                .any(|n| {
                    is(n, Concept::Number)
                        || one_of(n, &["person", "persona", "pessoa", "guy", "numero", "#"])
                });
            if around || toks.len() <= 2 || tok.w == "engano" {
                return Some(("wrong number or person", true));
            }
        }
        // "that's not me", "no soy yo", "não sou eu".
        let not_me = (one_of(tok, &["not", "no", "nao"])
            && toks
                .get(i + 1)
                .is_some_and(|n| one_of(n, &["me", "yo", "eu"]))
            && i > 0
            && one_of(
                &toks[i - 1],
                &["that's", "thats", "it's", "its", "is", "this"],
            ))
            || (one_of(tok, &["soy", "sou"])
                && i > 0
                && one_of(&toks[i - 1], &["no", "nao"])
                && toks.get(i + 1).is_some_and(|n| one_of(n, &["yo", "eu"])));
        if not_me {
            return Some(("not me", true));
        }
        let seq = |ws: &[&str]| {
            ws.iter()
                .enumerate()
                .all(|(k, w)| toks.get(i + k).is_some_and(|n| n.w == *w || n.sq == *w))
        };
        if seq(&["ya", "no", "trabaja"])
            || seq(&["ya", "no", "vive"])
            || seq(&["no", "vive", "aqui"])
            || seq(&["no", "longer", "works"])
            || seq(&["doesn't", "work", "here"])
            || seq(&["doesn't", "live", "here"])
            || seq(&["left", "the", "company"])
            || seq(&["moved", "out"])
            || seq(&["saiu", "da", "empresa"])
            || seq(&["nao", "trabalha", "mais"])
            || seq(&["nao", "mora", "mais"])
            || seq(&["nao", "mora", "aqui"])
        {
            return Some(("the person is not here", false));
        }
        // A relative or someone else speaks: "soy la mamá", "sou a esposa dele", "this is his
        // wife", "I'm her roommate".
        let speaker = one_of(tok, &["soy", "sou", "i'm", "im"])
            || tok.w == "is" && i > 0 && one_of(&toks[i - 1], &["this", "here"]);
        if speaker {
            let mut next_at = i + 1;
            while next_at < toks.len()
                && (one_of(
                    &toks[next_at],
                    &["su", "his", "her", "their", "la", "el", "the", "o"],
                ) || toks[next_at].w == "a" && tok.w == "sou")
            {
                next_at += 1;
            }
            if (next_at > i + 1 || tok.w == "sou")
                && let Some(relative) = toks.get(next_at)
                && is(relative, Concept::Relative)
                && !one_of(relative, &["ex"])
            {
                return Some(("someone else answers", true));
            }
        }
        if is(tok, Concept::Died) && !one_of(tok, &["late", "passed"])
            || tok.w == "passed" && toks.get(i + 1).is_some_and(|n| one_of(n, &["away", "in"]))
        {
            return Some(("the person died", false));
        }
    }
    None
}

/// Concepts that show a dispute.
fn dispute_evidence(toks: &[Tok<'_>]) -> bool {
    toks.iter().any(|t| {
        matches!(
            t.concept,
            Some(
                Concept::Charged
                    | Concept::Improper
                    | Concept::Validate
                    | Concept::Fraud
                    | Concept::Prescribed
                    | Concept::Cancelled
                    | Concept::Double
                    | Concept::Owe
                    | Concept::Received
                    | Concept::Complaint
            )
        )
    })
}

/// "no voy a pagar", "não vou pagar nada", "I won't pay", "I'm not paying".
fn refusal(toks: &[Tok<'_>]) -> bool {
    toks.iter().enumerate().any(|(i, t)| {
        let win: Vec<&Tok<'_>> = toks[i + 1..]
            .iter()
            .take(4)
            .filter(|n| n.clause == t.clause)
            .collect();
        is_negation(t)
            && (win.iter().take(3).any(|n| is(n, Concept::Will))
                && win.iter().any(|n| is(n, Concept::Pay))
                || one_of(t, &["won't", "not"]) && win.first().is_some_and(|n| is(n, Concept::Pay)))
    })
}

/// A day a payment is tied to, in a clause that pays and is neither negated nor conditional:
/// "terça-feira consigo pagar", "I can still pay $20 on Friday" (hardship asks for more time
/// *without* a date; with one it is a promise).
fn promise_with_day(toks: &[Tok<'_>]) -> bool {
    let Some(last) = toks.last() else {
        return false;
    };
    (0..=last.clause).any(|clause| {
        let in_clause: Vec<&Tok<'_>> = toks.iter().filter(|t| t.clause == clause).collect();
        let pays = in_clause.iter().any(|t| is(t, Concept::Pay));
        let day = in_clause.windows(2).any(|p| {
            one_of(
                p[0],
                &[
                    "next", "proxima", "proximo", "this", "esta", "este", "essa", "esse",
                ],
            ) && one_of(p[1], &["week", "semana", "month", "mes"])
                || one_of(p[0], &["semana", "week", "mes"]) && one_of(p[1], &["que", "entrante"])
        }) || in_clause.iter().any(|t| {
            one_of(t, &["quincena", "quinzena", "payday", "eom"])
                || t.w.parse::<u32>().is_ok_and(|d| (1..=31).contains(&d))
                || one_of(
                    t,
                    &[
                        "manana",
                        "amanha",
                        "tomorrow",
                        "hoy",
                        "hoje",
                        "today",
                        "tonight",
                        "lunes",
                        "martes",
                        "miercoles",
                        "jueves",
                        "viernes",
                        "sabado",
                        "domingo",
                        "segunda",
                        "terca",
                        "quarta",
                        "quinta",
                        "sexta",
                        "monday",
                        "tuesday",
                        "wednesday",
                        "thursday",
                        "friday",
                        "saturday",
                        "sunday",
                    ],
                )
        });
        let blocked = in_clause.iter().any(|t| {
            is_negation(t)
                || is(t, Concept::Maybe)
                || one_of(
                    t,
                    &["cuotas", "parcelar", "installments", "plan", "parcelas"],
                )
                || one_of(
                    t,
                    &["was", "were", "iba", "ia", "would", "pensaba", "queria"],
                )
        });
        pays && day && !blocked
    })
}

/// Someone else's situation: a third person who is ill, in jail, out of work or dead, and no
/// word of the writer paying ("mi hijo está internado, yo soy la mamá", "she's in the
/// hospital").
fn someone_elses_situation(toks: &[Tok<'_>]) -> bool {
    let third = toks.iter().any(|t| is(t, Concept::ThirdPerson));
    let situation = toks.iter().any(|t| {
        matches!(
            t.concept,
            Some(Concept::Illness | Concept::JobLoss | Concept::Died)
        )
    });
    let writer_pays = negated_ability(toks)
        || toks.iter().any(|t| {
            matches!(
                t.concept,
                Some(
                    Concept::Pay
                        | Concept::Paid
                        | Concept::Plan
                        | Concept::Discount
                        | Concept::MoreTime
                        | Concept::Money
                        | Concept::Able
                )
            ) || one_of(
                t,
                &["i'm", "estoy", "estou", "my", "mis", "minhas", "meus", "we"],
            ) && !toks.iter().any(|n| is(n, Concept::ThirdPerson))
        });
    third && situation && !writer_pays
}

/// A payment question about a channel: "¿puedo pagar en OXXO?", "can I pay with Apple Pay?".
fn channel_question(toks: &[Tok<'_>]) -> bool {
    toks.iter().any(|t| is(t, Concept::PayChannel))
        && toks
            .iter()
            .any(|t| is(t, Concept::Able) || is(t, Concept::HowWhere))
        && !toks.iter().any(|t| {
            matches!(
                t.concept,
                Some(
                    Concept::Plan
                        | Concept::Discount
                        | Concept::MoreTime
                        | Concept::JobLoss
                        | Concept::Money
                        | Concept::Illness
                )
            )
        })
        && !negated_ability(toks)
        && hardship_request(toks).is_none()
}

/// A payment already made that the model read as a promise: a payment word with a past time
/// and nothing ahead ("pague hoy en la mañana... ayer", "foi pago dia 20").
fn paid_in_the_past(toks: &[Tok<'_>]) -> bool {
    let paid = toks.iter().enumerate().any(|(i, t)| {
        is(t, Concept::Paid)
            || is(t, Concept::PastVerb)
            || i + 1 < toks.len()
                && [Lang::Es, Lang::Pt]
                    .iter()
                    .any(|&l| lexicon::phrase(l, t.w, toks[i + 1].w) == Some(Concept::Paid))
    });
    let past = toks
        .iter()
        .any(|t| is(t, Concept::Past) || is(t, Concept::Receipt) || is(t, Concept::Already));
    let ahead = toks.iter().any(|t| {
        is(t, Concept::Will)
            || one_of(
                t,
                &[
                    "manana", "amanha", "tomorrow", "next", "proximo", "proxima", "vem", "viene",
                    "will", "i'll", "vou", "voy", "depois", "despues", "later", "hoy", "hoje",
                    "today", "tonight", "cuando", "quando", "when", "apenas", "assim", "once",
                ],
            )
    });
    paid && past && !ahead
}

/// "Is this a scam?", "¿es una estafa?", "é golpe?": a short question, nothing else disputed.
fn bare_scam_question(toks: &[Tok<'_>]) -> bool {
    toks.len() <= 6
        && toks.iter().any(|t| {
            one_of(
                t,
                &[
                    "scam", "estafa", "golpe", "fraude", "fraud", "legit", "real",
                ],
            )
        })
        && !toks.iter().any(|t| {
            is(t, Concept::Neg)
                || matches!(
                    t.concept,
                    Some(
                        Concept::Charged
                            | Concept::Validate
                            | Concept::Owe
                            | Concept::Debt
                            | Concept::Improper
                            | Concept::Cancelled
                    )
                )
        })
}

/// Rules that correct the model where a high-precision marker says otherwise: each only
/// replaces an intent of lower priority than its own (or `other`), so the priority order
/// holds.
pub fn overrides(toks: &[Tok<'_>], model: Intent) -> Option<RuleHit> {
    use Intent::*;
    // A model's opt-out (no opt-out rule fired) may be corrected too.
    let lower = |i: Intent| model > i || model == OptOut;
    if let Some((rule, strong)) = wrong_person_marker(toks) {
        let ok = if strong {
            lower(WrongPerson)
        } else {
            lower(WrongPerson) && model != PromiseToPay && !hardship_evidence(toks)
        };
        if ok {
            return Some(RuleHit {
                intent: WrongPerson,
                rule,
            });
        }
    }
    if let Some(rule) = dispute_marker(toks)
        && (lower(Dispute) || model == WrongPerson && rule == "improper charge")
    {
        return Some(RuleHit {
            intent: Dispute,
            rule,
        });
    }
    if let Some(rule) = hardship_request(toks) {
        let has_paid = toks.iter().any(|t| is(t, Concept::Paid));
        if matches!(model, PaymentLink | Human | Other) || model == AlreadyPaid && !has_paid {
            return Some(RuleHit {
                intent: Hardship,
                rule,
            });
        }
    }
    if matches!(model, Hardship | Other | Human | PaymentLink | Dispute)
        && someone_elses_situation(toks)
    {
        return Some(RuleHit {
            intent: WrongPerson,
            rule: "someone else's situation",
        });
    }
    if model == PromiseToPay && paid_in_the_past(toks) {
        return Some(RuleHit {
            intent: AlreadyPaid,
            rule: "paid in the past",
        });
    }
    if model == Hardship && channel_question(toks) {
        return Some(RuleHit {
            intent: PaymentLink,
            rule: "asks about a way to pay",
        });
    }
    if model == Dispute && bare_scam_question(toks) {
        return Some(RuleHit {
            intent: Other,
            rule: "asks whether it is a scam",
        });
    }
    if model == Hardship && promise_with_day(toks) {
        return Some(RuleHit {
            intent: PromiseToPay,
            rule: "a payment on a given day",
        });
    }
    if model == Hardship && refusal(toks) && !hardship_evidence(toks) && !dispute_evidence(toks) {
        return Some(RuleHit {
            intent: Other,
            rule: "refusal to pay",
        });
    }
    if let Some(rule) = human_request(toks)
        && (model == Other
            || model == OptOut
            || model == PaymentLink
            || model == Hardship && !hardship_evidence(toks))
    {
        return Some(RuleHit {
            intent: Human,
            rule,
        });
    }
    None
}

/// "no soy Juan", "não sou a Luana", "I'm not Kevin", "This isn't John": a negated identity
/// followed by a capitalised name, read on the raw text (normalisation lowers the case).
/// `toks` are the message's words ([`tokenize`]), checked first (cheaply) for a negated
/// identity.
pub fn not_the_named_person(raw: &str, toks: &[Tok<'_>]) -> bool {
    let trigger = toks.windows(2).any(|p| {
        matches!(
            (p[0].w, p[1].w),
            ("no", "soy")
                | ("nao", "sou")
                | ("i'm" | "im" | "am" | "it's", "not")
                | ("this", "isn't" | "isnt" | "is")
        )
    });
    if !trigger {
        return false;
    }
    let own = crate::normalize::strip_email(raw);
    let end = own
        .char_indices()
        .nth(crate::normalize::MAX_CHARS)
        .map_or(own.len(), |(i, _)| i);
    let own = &own[..end];
    let shouting = own.chars().filter(|c| c.is_lowercase()).count()
        < own.chars().filter(|c| c.is_uppercase()).count();
    if shouting {
        return false;
    }
    let ws: Vec<&str> = own
        .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’'))
        .filter(|w| !w.is_empty())
        .collect();
    let lower: Vec<String> = ws
        .iter()
        .map(|w| crate::normalize::fold(w).replace('’', "'"))
        .collect();
    let triggers: &[&[&str]] = &[
        &["no", "soy"],
        &["nao", "sou"],
        &["i'm", "not"],
        &["im", "not"],
        &["i", "am", "not"],
        &["this", "isn't"],
        &["this", "isnt"],
        &["this", "is", "not"],
        &["it's", "not"],
        &["yo", "no", "soy"],
    ];
    let articles = [
        "o", "a", "el", "la", "the", "mr", "mrs", "ms", "miss", "sr", "sra", "senor", "senora",
        "dona", "don", "seu", "dr",
    ];
    for i in 0..lower.len() {
        for trigger in triggers {
            if lower[i..].starts_with(&trigger.iter().map(|s| s.to_string()).collect::<Vec<_>>()) {
                let mut name_at = i + trigger.len();
                while name_at < ws.len() && articles.contains(&lower[name_at].as_str()) {
                    name_at += 1;
                }
                if let Some(name) = ws.get(name_at) {
                    let mut cs = name.chars();
                    let capital = cs.next().is_some_and(char::is_uppercase);
                    let rest_lower = cs.clone().count() > 0 && cs.all(|c| !c.is_uppercase());
                    if capital && rest_lower && *name != "I" {
                        return true;
                    }
                }
            }
        }
    }
    false
}

/// Phrases of an opt-out that asks for silence everywhere, not only on the channel it came on
/// ("no me contacten por ningún medio", "não quero mais contato", "stop all messages"). Folded
/// (lower case, no accents), whole words.
const EVERYWHERE: &[&str] = &[
    // es
    "ningun medio",
    "ningun canal",
    "ninguna via",
    "ninguna forma",
    "todos los medios",
    "todos los canales",
    "no me contacten",
    "no me contacte",
    "no me llamen ni",
    "dejen de contactarme",
    "no vuelvan a contactarme",
    // pt
    "nenhum meio",
    "nenhum canal",
    "todos os canais",
    "todos os meios",
    "nao me contatem",
    "nao me contactem",
    "nao entrem em contato",
    "parem de me contatar",
    // en
    "any channel",
    "all channels",
    "any means",
    "all messages",
    "any way",
    "do not contact me",
    "dont contact me",
    "don t contact me",
    "stop contacting me",
    "never contact me",
];

/// Whether an opt-out asks for no contact on any channel (else it is for the channel it came
/// on).
pub fn opt_out_everywhere(text: &str) -> bool {
    let folded = crate::normalize::fold(crate::normalize::strip_email(text));
    let joined = format!(
        " {} ",
        crate::normalize::words(&folded)
            .map(|w| w.replace('\'', " "))
            .collect::<Vec<_>>()
            .join(" ")
    );
    EVERYWHERE
        .iter()
        .any(|phrase| joined.contains(&format!(" {phrase} ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::detect;
    use crate::normalize::normalize;

    fn oo(text: &str) -> Option<&'static str> {
        let normalized = normalize(text);
        opt_out(&tokenize(&normalized, detect(&normalized)))
    }

    #[test]
    fn opt_outs() {
        for text in [
            "STOP",
            "Stop!!",
            "SAIR",
            "baja",
            "PARE",
            "unsubscribe me now",
            "stop texting me",
            "Stop calling. I'll pay friday",
            "dejen de llamarme",
            "paren de escribirme por whatsapp",
            "no me escriban más",
            "no me vuelvan a llamar",
            "não me liguem mais",
            "para de me mandar mensagem",
            "don't call me anymore",
            "do not contact me at work",
            "remove my number",
            "take me off your list",
            "me tira dessa lista",
            "leave me alone",
            "me deixa em paz",
            "Cease and desist",
            "LGPD. Apaguem meus dados.",
            "habeas data: supriman mis datos",
            "I revoke my consent to be contacted",
            "no quiero recibir más mensajes",
            "no more texts pls",
            "quiero desuscribirme",
            "denme de baja de la lista",
        ] {
            assert!(oo(text).is_some(), "{text}");
        }
    }

    #[test]
    fn traps_are_not_opt_outs() {
        for text in [
            "no stop, sigan avisándome",
            "Don't stop these reminders",
            "no paren los recordatorios",
            "não parem de mandar lembrete",
            "di de baja el servicio y me siguen cobrando",
            "me dieron de baja la línea y aun así me llega la factura",
            "I put a stop payment on the check",
            "stop charging me for the premium plan",
            "esa deuda no es mía, pero les pago el viernes para que me dejen en paz",
            "no entiendo el msj, pq me escriben?",
            "não moro mais com ele e não tenho contato",
            "te pago el viernes",
            "para pagar",
            "manda o boleto para mim",
        ] {
            assert_eq!(oo(text), None, "{text}");
        }
    }

    #[test]
    fn an_opt_out_is_for_every_channel_only_when_it_says_so() {
        for text in [
            "No me contacten por ningún medio",
            "STOP all messages please",
            "Não quero contato por nenhum meio",
            "don't contact me again",
            "Por favor dejen de contactarme",
        ] {
            assert!(super::opt_out_everywhere(text), "{text}");
        }
        for text in ["BAJA", "STOP", "SAIR", "no más SMS", "unsubscribe"] {
            assert!(!super::opt_out_everywhere(text), "{text}");
        }
    }

    #[test]
    fn two_instalments_are_no_double_charge() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        for (text, intent) in [
            ("Posso parcelar em duas vezes?", crate::Intent::Hardship),
            ("¿Puedo pagar en dos cuotas?", crate::Intent::Hardship),
            (
                "Me cobraram duas vezes a mesma fatura",
                crate::Intent::Dispute,
            ),
            ("Me cobraron dos veces este mes", crate::Intent::Dispute),
        ] {
            assert_eq!(crate::classify(text, today).intent, intent, "{text}");
        }
    }
}
