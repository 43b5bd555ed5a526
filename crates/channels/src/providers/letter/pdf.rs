//! A small PDF 1.4 writer for letters: text only, in the two standard fonts every PDF reader
//! and print RIP carries (Helvetica and Helvetica-Bold, nothing embedded), encoded in
//! WinAnsiEncoding so Spanish and Portuguese print (á é í ó ú ñ ç ã õ ü ¿ ¡ €). Streams are left
//! uncompressed: a letter is a few kilobytes, and a print house (or a test) can read them.

use std::fmt::Write as _;

/// A line of text on a page, its baseline starting at (`x`, `y`) points from the bottom left.
#[derive(Debug, Clone, PartialEq)]
pub struct TextRun {
    pub x: f32,
    pub y: f32,
    pub size: f32,
    pub bold: bool,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub width: f32,
    pub height: f32,
    pub runs: Vec<TextRun>,
}

/// The document's bytes: catalog, page tree, the two fonts, then each page and its content
/// stream, with a cross-reference table whose offsets point at each `N 0 obj`.
pub fn write(pages: &[Page]) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::with_capacity(2048 + pages.len() * 4096);
    // The second line's high bytes tell transfer programs the file is binary.
    out.extend_from_slice(b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n");
    let object_count = 4 + 2 * pages.len();
    let mut offsets = Vec::with_capacity(object_count);

    let kids: Vec<String> = (0..pages.len())
        .map(|i| format!("{} 0 R", page_object(i)))
        .collect();
    let objects_head = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        format!(
            "<< /Type /Pages /Kids [{}] /Count {} >>",
            kids.join(" "),
            pages.len()
        ),
        font("Helvetica"),
        font("Helvetica-Bold"),
    ];
    for (i, body) in objects_head.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes());
    }
    for (i, page) in pages.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(
            format!(
                "{} 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {} {}] \
                 /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {} 0 R >>\nendobj\n",
                page_object(i),
                number(page.width),
                number(page.height),
                page_object(i) + 1
            )
            .as_bytes(),
        );
        let stream = content_stream(page);
        offsets.push(out.len());
        out.extend_from_slice(
            format!(
                "{} 0 obj\n<< /Length {} >>\nstream\n",
                page_object(i) + 1,
                stream.len()
            )
            .as_bytes(),
        );
        out.extend_from_slice(&stream);
        out.extend_from_slice(b"\nendstream\nendobj\n");
    }
    let xref_at = out.len();
    let mut xref = format!("xref\n0 {}\n0000000000 65535 f \n", object_count + 1);
    for offset in &offsets {
        // Each entry is exactly 20 bytes, the end of line being a space and a line feed.
        let _ = writeln!(xref, "{offset:010} 00000 n ");
    }
    let _ = write!(
        xref,
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n",
        object_count + 1
    );
    out.extend_from_slice(xref.as_bytes());
    out
}

fn page_object(index: usize) -> usize {
    5 + 2 * index
}

fn font(name: &str) -> String {
    format!("<< /Type /Font /Subtype /Type1 /BaseFont /{name} /Encoding /WinAnsiEncoding >>")
}

/// A coordinate with at most two decimals and no exponent (PDF has none).
fn number(value: f32) -> String {
    let value = if value.is_finite() { value } else { 0.0 };
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn content_stream(page: &Page) -> Vec<u8> {
    let mut out = Vec::with_capacity(page.runs.len() * 64);
    for run in &page.runs {
        out.extend_from_slice(
            format!(
                "BT /{} {} Tf {} {} Td (",
                if run.bold { "F2" } else { "F1" },
                number(run.size),
                number(run.x),
                number(run.y)
            )
            .as_bytes(),
        );
        out.extend(escape(&encode(&run.text)));
        out.extend_from_slice(b") Tj ET\n");
    }
    out
}

/// WinAnsi bytes escaped for a PDF literal string: `(`, `)` and `\` take a backslash. Line
/// ends never get here: [`win_ansi`] maps control characters to `?`.
fn escape(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + 8);
    for &byte in bytes {
        if matches!(byte, b'(' | b')' | b'\\') {
            out.push(b'\\');
        }
        out.push(byte);
    }
    out
}

/// The text in WinAnsiEncoding (Windows-1252); a character it lacks prints as `?`.
pub fn encode(text: &str) -> Vec<u8> {
    text.chars().map(win_ansi).collect()
}

/// One character's WinAnsiEncoding byte, `?` when it has none.
pub fn win_ansi(c: char) -> u8 {
    match c {
        '\t' => b' ',
        ' '..='~' => c as u8,
        '\u{A0}'..='\u{FF}' => c as u32 as u8,
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8A,
        '‹' => 0x8B,
        'Œ' => 0x8C,
        'Ž' => 0x8E,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9A,
        '›' => 0x9B,
        'œ' => 0x9C,
        'ž' => 0x9E,
        'Ÿ' => 0x9F,
        _ => b'?',
    }
}

/// Helvetica's advance widths (thousandths of the size) for ASCII 32–126, from Adobe's AFM.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278,
    278, // ' '..'/'
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, // '0'..'9'
    278, 278, 584, 584, 584, 556, 1015, // ':'..'@'
    667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667,
    611, 722, 667, 944, 667, 667, 611, // 'A'..'Z'
    278, 278, 278, 469, 556, 333, // '['..'`'
    556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500,
    278, 556, 500, 722, 500, 500, 500, // 'a'..'z'
    334, 260, 334, 584, // '{'..'~'
];

/// Helvetica-Bold's advance widths for ASCII 32–126.
const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278,
    278, // ' '..'/'
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, // '0'..'9'
    333, 333, 584, 584, 584, 611, 975, // ':'..'@'
    722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667,
    611, 722, 667, 944, 667, 667, 611, // 'A'..'Z'
    333, 278, 333, 584, 556, 333, // '['..'`'
    556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, 611, 611, 389, 556,
    333, 611, 556, 778, 556, 556, 500, // 'a'..'z'
    389, 280, 389, 584, // '{'..'~'
];

/// A character's width in thousandths of the font size. Accented letters are as wide as
/// their base letter in Helvetica; other signs get an average width, enough for wrapping.
fn char_width(c: char, bold: bool) -> u16 {
    let table = if bold { &HELVETICA_BOLD } else { &HELVETICA };
    let base = match c {
        'À'..='Å' => 'A',
        'Ç' => 'C',
        'È'..='Ë' => 'E',
        'Ì'..='Ï' => 'I',
        'Ñ' => 'N',
        'Ò'..='Ö' | 'Ø' => 'O',
        'Ù'..='Ü' => 'U',
        'Ý' | 'Ÿ' => 'Y',
        'à'..='å' => 'a',
        'ç' => 'c',
        'è'..='ë' => 'e',
        'ì'..='ï' => 'i',
        'ñ' => 'n',
        'ò'..='ö' | 'ø' => 'o',
        'ù'..='ü' => 'u',
        'ý' | 'ÿ' => 'y',
        'Š' => 'S',
        'š' => 's',
        'Ž' => 'Z',
        'ž' => 'z',
        '\t' => ' ',
        'Æ' | '—' | '…' | '‰' | 'Œ' => return 1000,
        'æ' | 'œ' => return 944,
        _ => c,
    };
    match base {
        ' '..='~' => table[base as usize - 32],
        _ => 556,
    }
}

/// The width of `text` in points at `size`.
pub fn text_width(text: &str, size: f32, bold: bool) -> f32 {
    let thousandths: u32 = text.chars().map(|c| u32::from(char_width(c, bold))).sum();
    thousandths as f32 * size / 1000.0
}

/// `text` broken into lines no wider than `max_width` points, at spaces; a word longer than a
/// line is cut.
pub fn wrap(text: &str, max_width: f32, size: f32, bold: bool) -> Vec<String> {
    let mut lines = vec![];
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if text_width(&candidate, size, bold) <= max_width {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        // The word alone: cut it if it does not fit either.
        for c in word.chars() {
            line.push(c);
            if text_width(&line, size, bold) > max_width && line.chars().count() > 1 {
                line.pop();
                lines.push(std::mem::replace(&mut line, c.to_string()));
            }
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spanish_and_portuguese_letters_have_their_win_ansi_bytes() {
        assert_eq!(
            encode("áéíóúñçãõü¿¡€"),
            vec![
                0xE1, 0xE9, 0xED, 0xF3, 0xFA, 0xF1, 0xE7, 0xE3, 0xF5, 0xFC, 0xBF, 0xA1, 0x80
            ]
        );
        assert_eq!(encode("a✓b"), b"a?b");
    }

    #[test]
    fn parentheses_and_backslashes_are_escaped() {
        assert_eq!(escape(b"(a\\b)"), b"\\(a\\\\b\\)".to_vec());
    }

    #[test]
    fn widths_follow_the_afm_tables() {
        assert_eq!(char_width('W', false), 944);
        assert_eq!(char_width('i', false), 222);
        assert_eq!(char_width('í', false), 222);
        assert_eq!(char_width('m', true), 889);
        assert!((text_width("Hola", 10.0, false) - 20.56).abs() < 0.001);
    }

    #[test]
    fn wrapping_keeps_every_line_within_the_width() {
        let text = "Le recordamos amablemente que su factura de agua tiene un saldo pendiente \
                    de $ 1.234.567 con vencimiento el 15 de diciembre. Supercalifragilisticexpialidocious";
        let lines = wrap(text, 120.0, 10.0, false);
        assert!(lines.len() > 3);
        for line in &lines {
            assert!(text_width(line, 10.0, false) <= 120.0, "{line}");
        }
        assert_eq!(lines.join(" ").replace(' ', ""), text.replace(' ', ""));
    }

    proptest::proptest! {
        #[test]
        fn wrapped_lines_fit_and_keep_every_word(text in "\\PC{0,300}", width in 20f32..400.0) {
            let lines = wrap(&text, width, 10.0, false);
            for line in &lines {
                // A single character wider than the line is the only overflow allowed.
                proptest::prop_assert!(
                    text_width(line, 10.0, false) <= width || line.chars().count() == 1
                );
            }
            let joined: String = lines.concat().split_whitespace().collect();
            let expected: String = text.split_whitespace().collect();
            proptest::prop_assert_eq!(joined, expected);
        }

        #[test]
        fn content_bytes_never_hold_an_unescaped_parenthesis(text in "\\PC{0,100}") {
            let escaped = escape(&encode(&text));
            let mut previous_backslashes = 0usize;
            for &byte in &escaped {
                if matches!(byte, b'(' | b')') {
                    proptest::prop_assert!(previous_backslashes % 2 == 1);
                }
                previous_backslashes = if byte == b'\\' { previous_backslashes + 1 } else { 0 };
                proptest::prop_assert!(byte >= 0x20);
            }
        }
    }

    #[test]
    fn numbers_have_no_exponent_and_no_trailing_zeros() {
        assert_eq!(number(595.28), "595.28");
        assert_eq!(number(72.0), "72");
        assert_eq!(number(f32::NAN), "0");
    }
}
