//! An HTML body as plain text, for a reply that has no `text/plain` part: one line per block
//! (`<p>`, `<div>`, `<br>`, list items, table rows), a quoted block's lines prefixed with `> `
//! as a text client writes them, so the quoted history and its "On … wrote:" line stay on lines
//! of their own and the engine can leave them out. Scripts, styles and the head are dropped;
//! the common character references are decoded.

/// Elements whose text is never shown.
const HIDDEN: &[&str] = &["head", "style", "script", "template", "title", "noscript"];

/// Elements that start and end a line of text.
const BLOCKS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "center",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
];

/// The text of an HTML document, lines separated by `\n`.
pub fn html_to_text(html: &str) -> String {
    let mut out = Writer::default();
    let mut rest = html;
    // The element whose content is skipped, until its end tag.
    let mut hidden: Option<String> = None;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.find("-->").map_or("", |end| &after[end + 3..]);
            continue;
        }
        if rest.starts_with('<') {
            let (inner, after) = match rest.find('>') {
                Some(i) => (&rest[1..i], &rest[i + 1..]),
                None => (&rest[1..], ""),
            };
            let tag = Tag::parse(inner);
            rest = after;
            let Some(tag) = tag else { continue };
            if let Some(name) = &hidden {
                if tag.closing && tag.name == *name {
                    hidden = None;
                }
                continue;
            }
            if !tag.closing && HIDDEN.contains(&tag.name.as_str()) && !tag.self_closing {
                hidden = Some(tag.name);
                continue;
            }
            out.tag(&tag);
            continue;
        }
        let end = rest.find('<').unwrap_or(rest.len());
        if hidden.is_none() {
            out.text(&decode_entities(&rest[..end]));
        }
        rest = &rest[end..];
    }
    out.finish()
}

struct Tag {
    /// Lower-cased.
    name: String,
    closing: bool,
    self_closing: bool,
}

impl Tag {
    /// `p class="x"`, `/div`, `br/` → the tag; a declaration (`!DOCTYPE`) or nothing → `None`.
    fn parse(inner: &str) -> Option<Tag> {
        let inner = inner.trim();
        let (closing, inner) = match inner.strip_prefix('/') {
            Some(rest) => (true, rest.trim_start()),
            None => (false, inner),
        };
        let name: String = inner
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if name.is_empty() {
            return None;
        }
        Some(Tag {
            name,
            closing,
            self_closing: inner.ends_with('/'),
        })
    }
}

#[derive(Default)]
struct Writer {
    out: String,
    /// The current line's words, spaces collapsed.
    line: String,
    /// How many `<blockquote>`s the text is inside.
    quote_depth: usize,
    /// Inside `<pre>`: whitespace and line breaks are kept.
    pre_depth: usize,
    pending_space: bool,
}

impl Writer {
    fn tag(&mut self, tag: &Tag) {
        match tag.name.as_str() {
            "br" => self.break_line(true),
            "blockquote" => {
                self.break_line(false);
                if tag.closing {
                    self.quote_depth = self.quote_depth.saturating_sub(1);
                } else if !tag.self_closing {
                    self.quote_depth += 1;
                }
            }
            "pre" => {
                self.break_line(false);
                if tag.closing {
                    self.pre_depth = self.pre_depth.saturating_sub(1);
                } else if !tag.self_closing {
                    self.pre_depth += 1;
                }
            }
            "p" if tag.closing => {
                // A paragraph ends with a blank line, as a text client writes it.
                self.break_line(false);
                self.blank_line();
            }
            name if BLOCKS.contains(&name) => self.break_line(false),
            // Inline elements (`b`, `a`, `span`, …) leave the text as it flows.
            _ => {}
        }
    }

    fn text(&mut self, text: &str) {
        if self.pre_depth > 0 {
            let mut lines = text.split('\n');
            if let Some(first) = lines.next() {
                self.line.push_str(first.trim_end_matches('\r'));
            }
            for line in lines {
                self.break_line(true);
                self.line.push_str(line.trim_end_matches('\r'));
            }
            return;
        }
        for (i, word) in text.split(is_html_space).enumerate() {
            if i > 0 {
                self.pending_space = true;
            }
            if word.is_empty() {
                continue;
            }
            if self.pending_space && !self.line.is_empty() {
                self.line.push(' ');
            }
            self.pending_space = false;
            self.line.push_str(word);
        }
    }

    /// Ends the current line; an empty one only when `always` (a `<br>` on its own).
    fn break_line(&mut self, always: bool) {
        self.pending_space = false;
        if self.line.is_empty() && !always {
            return;
        }
        for _ in 0..self.quote_depth {
            self.out.push('>');
        }
        if self.quote_depth > 0 && !self.line.is_empty() {
            self.out.push(' ');
        }
        self.out.push_str(self.line.trim_end());
        self.out.push('\n');
        self.line.clear();
    }

    fn blank_line(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }

    fn finish(mut self) -> String {
        self.break_line(false);
        // At most one blank line in a row.
        let mut text = String::with_capacity(self.out.len());
        let mut blank_run = 0;
        for line in self.out.lines() {
            if line.trim().is_empty() {
                blank_run += 1;
                if blank_run > 1 {
                    continue;
                }
            } else {
                blank_run = 0;
            }
            text.push_str(line);
            text.push('\n');
        }
        text.trim().to_string()
    }
}

/// HTML's whitespace (`&nbsp;` is not: it was decoded to U+00A0 and stays).
fn is_html_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c')
}

/// `&amp;`, `&#233;`, `&#xe9;` and the named references a Spanish, Portuguese or English
/// message uses; an unknown or unterminated one is left as written.
fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = rest
            .char_indices()
            .take(12)
            .find(|(_, c)| *c == ';')
            .map(|(i, _)| i);
        let decoded = end.and_then(|end| entity(&rest[1..end]).map(|c| (c, end)));
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    if let Some(number) = name.strip_prefix('#') {
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse::<u32>().ok()?,
        };
        return Some(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
    }
    let c = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "iexcl" => '¡',
        "iquest" => '¿',
        "laquo" => '«',
        "raquo" => '»',
        "ordf" => 'ª',
        "ordm" => 'º',
        "deg" => '°',
        "copy" => '©',
        "reg" => '®',
        "euro" => '€',
        "cent" => '¢',
        "pound" => '£',
        "ndash" => '–',
        "mdash" => '—',
        "hellip" => '…',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "bull" => '•',
        "middot" => '·',
        "aacute" => 'á',
        "eacute" => 'é',
        "iacute" => 'í',
        "oacute" => 'ó',
        "uacute" => 'ú',
        "Aacute" => 'Á',
        "Eacute" => 'É',
        "Iacute" => 'Í',
        "Oacute" => 'Ó',
        "Uacute" => 'Ú',
        "agrave" => 'à',
        "Agrave" => 'À',
        "acirc" => 'â',
        "ecirc" => 'ê',
        "ocirc" => 'ô',
        "Acirc" => 'Â',
        "Ecirc" => 'Ê',
        "Ocirc" => 'Ô',
        "atilde" => 'ã',
        "otilde" => 'õ',
        "Atilde" => 'Ã',
        "Otilde" => 'Õ',
        "ntilde" => 'ñ',
        "Ntilde" => 'Ñ',
        "ccedil" => 'ç',
        "Ccedil" => 'Ç',
        "uuml" => 'ü',
        "Uuml" => 'Ü',
        _ => return None,
    };
    Some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_lines_and_quotes_are_prefixed() {
        let html = "<html><head><title>x</title><style>p{color:red}</style></head><body>\
            <div dir=\"ltr\">Pago el  viernes,&nbsp;gracias.</div><br>\
            <div class=\"gmail_quote\"><div class=\"gmail_attr\">El lun, 1 dic 2026 a las 10:00, \
            Acueducto &lt;cobranza@acueducto.example&gt; escribi&oacute;:<br></div>\
            <blockquote class=\"gmail_quote\"><p>Su factura vence <b>hoy</b>.</p><p>Pague aqu&iacute;</p></blockquote></div>\
            <!-- a comment <div>hidden</div> --><script>alert(1)</script></body></html>";
        assert_eq!(
            html_to_text(html),
            "Pago el viernes,\u{a0}gracias.\n\nEl lun, 1 dic 2026 a las 10:00, Acueducto <cobranza@acueducto.example> escribió:\n> Su factura vence hoy.\n\n> Pague aquí"
        );
    }

    #[test]
    fn pre_keeps_its_lines_and_entities_decode_or_stay() {
        assert_eq!(
            html_to_text("<pre>a  b\nc</pre>x &amp; y &bogus; &#xE9;&#233; &#99999999; &"),
            "a  b\nc\nx & y &bogus; éé \u{fffd} &"
        );
    }

    #[test]
    fn broken_markup_is_text_without_panicking() {
        for html in [
            "<",
            "<<>>",
            "<div",
            "</",
            "<!--",
            "&",
            "&#;",
            "&#x;",
            "<p>é<",
            "<br/>\u{0}",
        ] {
            let _ = html_to_text(html);
        }
        assert_eq!(html_to_text("<b>uno</b><i>dos</i> tres"), "unodos tres");
    }

    proptest::proptest! {
        #[test]
        fn any_text_converts_without_panicking(html in ".{0,400}") {
            let _ = html_to_text(&html);
        }

        #[test]
        fn tag_soup_converts_without_panicking(
            pieces in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just("<div>".to_string()),
                    proptest::strategy::Just("</blockquote>".to_string()),
                    proptest::strategy::Just("<blockquote>".to_string()),
                    proptest::strategy::Just("<pre>".to_string()),
                    proptest::strategy::Just("<br>".to_string()),
                    proptest::strategy::Just("<style>".to_string()),
                    proptest::strategy::Just("&#x".to_string()),
                    "[a-zé &;<>/!-]{0,8}",
                ],
                0..40,
            )
        ) {
            let _ = html_to_text(&pieces.concat());
        }
    }
}
