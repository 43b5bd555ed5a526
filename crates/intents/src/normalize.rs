//! The one normalisation every part of the crate reads: what a debtor wrote, cut to what they
//! wrote themselves (no quoted history, no signature), lower case, without accents, with runs of
//! one letter cut to two ("holaaaa" → "holaa", "plissss" → "pliss") and spaces collapsed. Emoji
//! and other symbols are kept as they are.

/// Only this many characters of a message are read (after the e-mail's own part is cut out): a
/// reply the team must act on says so near its start, and a 1 MB paste must cost no more than a
/// long e-mail.
pub const MAX_CHARS: usize = 4_000;

/// [`strip_email`] then [`fold`], on at most [`MAX_CHARS`] characters.
pub fn normalize(text: &str) -> String {
    let own = strip_email(text);
    let end = own
        .char_indices()
        .nth(MAX_CHARS)
        .map_or(own.len(), |(i, _)| i);
    fold(&own[..end])
}

/// Lower case, accents removed, runs of more than two of the same letter cut to two, runs of
/// the same punctuation mark cut to one, every run of white space (line breaks included) made
/// one space, no space at either end.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last: Option<char> = None;
    let mut run = 0usize;
    let mut pending_space = false;
    for ch in text.chars().flat_map(char::to_lowercase) {
        if ch.is_whitespace() {
            pending_space = !out.is_empty();
            last = None;
            run = 0;
            continue;
        }
        let ch = unaccent(ch);
        if Some(ch) == last {
            run += 1;
        } else {
            last = Some(ch);
            run = 1;
        }
        let limit = if ch.is_alphabetic() {
            2
        } else if ch.is_ascii_punctuation() {
            1
        } else {
            usize::MAX
        };
        if run > limit {
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(ch);
    }
    out
}

/// `c` without its accent (Latin letters used in Spanish, Portuguese and English; others as
/// they are). Typographic quotes become plain ones.
pub fn unaccent(ch: char) -> char {
    match ch {
        'á' | 'à' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => 'a',
        'é' | 'è' | 'ê' | 'ë' | 'ē' => 'e',
        'í' | 'ì' | 'î' | 'ï' | 'ī' => 'i',
        'ó' | 'ò' | 'ô' | 'õ' | 'ö' | 'ō' | 'ø' => 'o',
        'ú' | 'ù' | 'û' | 'ü' | 'ū' => 'u',
        'ç' => 'c',
        'ñ' => 'n',
        'ý' | 'ÿ' => 'y',
        '’' | '‘' | '´' | '`' => '\'',
        '“' | '”' | '«' | '»' => '"',
        '–' | '—' => '-',
        other => other,
    }
}

/// The words of a folded text: runs of letters and digits (`'` inside a word is kept: "don't").
pub fn words(folded: &str) -> impl Iterator<Item = &str> {
    folded
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .map(|w| w.trim_matches('\''))
        .filter(|w| !w.is_empty())
}

/// Lines that start what the debtor did not write: quoted history, forwarded or replied-to
/// headers, signatures and "sent from" footers (es, pt, en). Compared on the folded line.
fn starts_tail(folded_line: &str) -> bool {
    const PREFIXES: [&str; 16] = [
        ">",
        "-----original message",
        "----- original message",
        "-----mensaje original",
        "----- mensaje original",
        "-----mensagem original",
        "----- mensagem original",
        "---------- forwarded message",
        "---------- mensaje reenviado",
        "---------- mensagem encaminhada",
        "sent from my",
        "enviado desde mi",
        "enviado do meu",
        "enviado de meu",
        "enviado de mi",
        "get outlook for",
    ];
    if folded_line == "-" || folded_line == "_" {
        // "--" or "-- " (folded: punctuation runs are cut to one), the signature marker.
        return true;
    }
    if PREFIXES.iter().any(|p| folded_line.starts_with(p)) {
        return true;
    }
    // "On Mon, 3 Nov 2026 at 10:00, Recaudo <…> wrote:", "El lun, 3 nov 2026 … escribió:",
    // "Em seg., 3 de nov. de 2026 … escreveu:".
    let reply_header = [
        ("on ", "wrote:"),
        ("el ", "escribio:"),
        ("em ", "escreveu:"),
    ];
    if reply_header
        .iter()
        .any(|(a, b)| folded_line.starts_with(a) && folded_line.ends_with(b))
    {
        return true;
    }
    // Outlook's block: "From: …" / "De: …" followed by the sent line (the caller checks the
    // next line).
    false
}

/// The part of a message its writer wrote: everything before the first line of quoted history,
/// forwarded headers, a signature marker or a "sent from" footer. A message that starts with
/// such a line is kept whole (there is nothing else to read).
pub fn strip_email(text: &str) -> &str {
    let mut offset = 0;
    let mut lines = text.split_inclusive('\n').peekable();
    while let Some(line) = lines.next() {
        let folded = fold(line);
        // Gmail wraps a long "El lun, … <r+…@…>) escribió:" line in two.
        let wrapped_header = ["on ", "el ", "em "].iter().any(|p| folded.starts_with(p))
            && lines.peek().is_some_and(|next| {
                let both = fold(&format!("{} {next}", line.trim_end()));
                starts_tail(both.trim_end())
            });
        let outlook = (folded.starts_with("from:") || folded.starts_with("de:"))
            && lines.peek().is_some_and(|next| {
                let folded = fold(next);
                folded.starts_with("sent:")
                    || folded.starts_with("enviado:")
                    || folded.starts_with("date:")
            });
        if offset > 0 && (starts_tail(&folded) || outlook || wrapped_header) {
            let own = &text[..offset];
            if !own.trim().is_empty() {
                return own;
            }
        }
        offset += line.len();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding() {
        for (raw, want) in [
            ("Ya te PAGUÉ ayer!!!", "ya te pague ayer!"),
            ("holaaaaa   plisss", "holaa pliss"),
            ("Não   consigo\n\npagar", "nao consigo pagar"),
            ("  ÑANDÚ  ", "nandu"),
            ("I’ll pay 1000", "i'll pay 1000"),
            ("🙏🙏 semana que vem", "🙏🙏 semana que vem"),
            ("llamar al 3000", "llamar al 3000"),
            ("", ""),
        ] {
            assert_eq!(fold(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn words_split_on_anything_else() {
        let found: Vec<&str> = words("ya pague!! el 15/12, don't 🙏 ok").collect();
        assert_eq!(found, ["ya", "pague", "el", "15", "12", "don't", "ok"]);
    }

    #[test]
    fn email_tails_are_cut() {
        let mail = "Hola, ya pagué ayer.\nSaludos,\nAna\n\nEl lun, 3 nov 2026 a las 10:00, Cobranzas <c@x.co> escribió:\n> Su factura vence hoy\n";
        assert_eq!(strip_email(mail), "Hola, ya pagué ayer.\nSaludos,\nAna\n\n");
        let outlook =
            "I paid it.\n\nFrom: Billing <b@x.com>\nSent: Monday\nTo: me\n\nPlease pay now";
        assert_eq!(strip_email(outlook), "I paid it.\n\n");
        let sig = "Pago na sexta\n--\nJoão\nEnviado do meu iPhone";
        assert_eq!(strip_email(sig), "Pago na sexta\n");
        let phone = "Te pago mañana\nEnviado desde mi iPhone";
        assert_eq!(strip_email(phone), "Te pago mañana\n");
        let wrapped = "Pago el viernes\n\nEl lun, 1 dic 2026 a las 10:00, Recaudo (<\nr+01abc@reply.example.com>) escribió:\n> Su saldo vence\n";
        assert_eq!(strip_email(wrapped), "Pago el viernes\n\n");
        // Nothing before the quote: keep it all.
        let only_quote = "> pay now\nok";
        assert_eq!(strip_email(only_quote), only_quote);
    }

    proptest::proptest! {
        /// Folding is idempotent and leaves no upper-case ASCII, no accent we fold, no space at
        /// either end, no double space; normalising never panics and stays bounded.
        #[test]
        fn folding_invariants(text in "\\PC{0,400}") {
            let folded = fold(&text);
            proptest::prop_assert_eq!(fold(&folded), folded.clone());
            proptest::prop_assert!(!folded.chars().any(|c| c.is_ascii_uppercase()));
            proptest::prop_assert!(!folded.chars().any(|c| "áéíóúñçãõâêôàü".contains(c)));
            proptest::prop_assert!(!folded.starts_with(' ') && !folded.ends_with(' ') && !folded.contains("  "));
            let normalized = normalize(&text);
            proptest::prop_assert!(normalized.chars().count() <= MAX_CHARS * 3);
        }
    }

    #[test]
    fn long_input_is_bounded() {
        let big = "a".repeat(1_000_000);
        assert!(normalize(&big).len() <= MAX_CHARS);
    }
}
