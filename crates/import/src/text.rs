//! The bytes of a file before they are rows: its encoding (UTF-8, or Windows-1252/Latin-1 as
//! Spanish- and Portuguese-language spreadsheets save them) and its field separator.
//!
//! Both are read from the file's head (its first 64 KiB). A UTF-8 file goes to the CSV reader
//! untouched; only a single-byte file passes through [`SingleByteReader`].

use std::io::{self, Read};
use std::str::FromStr;

/// How much of the file's start is looked at to tell its encoding, separator and formats.
pub const HEAD_BYTES: usize = 64 * 1024;

/// A text encoding the import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    /// Windows' Western code page: Latin-1 with printable characters (`€`, `‘`, `“`, `…`) in
    /// 0x80–0x9F. What Excel saves as "CSV" on a Spanish or Portuguese Windows.
    Windows1252,
    /// ISO 8859-1 proper: 0x80–0x9F are control characters.
    Latin1,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Windows1252 => "windows-1252",
            Encoding::Latin1 => "latin-1",
        }
    }
}

impl std::fmt::Display for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Encoding {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let name: String = text
            .trim()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        match name.as_str() {
            "utf8" => Ok(Encoding::Utf8),
            "windows1252" | "cp1252" | "win1252" | "ansi" => Ok(Encoding::Windows1252),
            "latin1" | "iso88591" | "l1" => Ok(Encoding::Latin1),
            _ => Err(format!(
                "unknown encoding `{}` (expected utf-8, windows-1252 or latin-1)",
                text.trim()
            )),
        }
    }
}

/// Tells the encoding of a file from its head: UTF-8 when the head is valid UTF-8 (a sequence
/// cut by the end of a full head counts as valid), Windows-1252 otherwise.
pub fn detect_encoding(head: &[u8], whole_file: bool) -> Encoding {
    match std::str::from_utf8(head) {
        Ok(_) => Encoding::Utf8,
        Err(e) if e.error_len().is_none() && !whole_file => Encoding::Utf8,
        Err(_) => Encoding::Windows1252,
    }
}

/// Windows-1252's characters for 0x80–0x9F; the five bytes it leaves undefined keep their
/// Latin-1 (control character) meaning, as browsers do.
const WINDOWS_1252_HIGH: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž', '\u{8F}',
    '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}', 'ž', 'Ÿ',
];

/// One byte of a single-byte encoding as a character.
pub fn decode_byte(byte: u8, encoding: Encoding) -> char {
    match (encoding, byte) {
        (Encoding::Windows1252, 0x80..=0x9F) => WINDOWS_1252_HIGH[usize::from(byte - 0x80)],
        _ => char::from(byte),
    }
}

/// Decodes a whole buffer of a single-byte encoding (the head, for looking at it).
pub fn decode_single_byte(bytes: &[u8], encoding: Encoding) -> String {
    bytes.iter().map(|&b| decode_byte(b, encoding)).collect()
}

/// Turns a Windows-1252 or Latin-1 stream into UTF-8 as it is read.
pub struct SingleByteReader<R> {
    inner: R,
    encoding: Encoding,
    input: Vec<u8>,
    /// Encoded bytes of the last character that did not fit the caller's buffer.
    pending: [u8; 4],
    pending_start: usize,
    pending_end: usize,
}

impl<R: Read> SingleByteReader<R> {
    pub fn new(inner: R, encoding: Encoding) -> Self {
        SingleByteReader {
            inner,
            encoding,
            input: vec![0; 16 * 1024],
            pending: [0; 4],
            pending_start: 0,
            pending_end: 0,
        }
    }
}

impl<R: Read> Read for SingleByteReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        let mut written = 0;
        while self.pending_start < self.pending_end && written < out.len() {
            out[written] = self.pending[self.pending_start];
            self.pending_start += 1;
            written += 1;
        }
        if written > 0 {
            return Ok(written);
        }
        // Each input byte becomes at most 3 bytes of UTF-8.
        let want = (out.len() / 3).clamp(1, self.input.len());
        let read = self.inner.read(&mut self.input[..want])?;
        for &byte in &self.input[..read] {
            if byte < 0x80 && written < out.len() {
                out[written] = byte;
                written += 1;
                continue;
            }
            let mut encoded = [0u8; 4];
            let text = decode_byte(byte, self.encoding).encode_utf8(&mut encoded);
            let len = text.len();
            if written + len <= out.len() {
                out[written..written + len].copy_from_slice(&encoded[..len]);
                written += len;
            } else {
                // Only when the caller's buffer is under 3 bytes: keep the rest for next time.
                let fits = out.len() - written;
                out[written..].copy_from_slice(&encoded[..fits]);
                written += fits;
                self.pending[..len - fits].copy_from_slice(&encoded[fits..len]);
                self.pending_start = 0;
                self.pending_end = len - fits;
            }
        }
        Ok(written)
    }
}

/// Tells the field separator from the header line: the most frequent of `,`, `;` and tab
/// outside quotes; a comma when none appears.
pub fn detect_separator(head: &str) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for c in head.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' | '\r' if !quoted => break,
            ',' if !quoted => counts[0] += 1,
            ';' if !quoted => counts[1] += 1,
            '\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let separators = [b',', b';', b'\t'];
    let mut best = 0;
    for i in 1..3 {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    separators[best]
}

/// How a separator is shown to a person.
pub fn separator_name(separator: u8) -> String {
    match separator {
        b'\t' => "tab".into(),
        other => format!("`{}`", char::from(other)),
    }
}

/// Reads up to [`HEAD_BYTES`] from the start of `reader`; `true` when that is the whole file.
pub fn read_head<R: Read>(reader: &mut R) -> io::Result<(Vec<u8>, bool)> {
    let mut head = Vec::with_capacity(HEAD_BYTES);
    let read = reader
        .by_ref()
        .take(HEAD_BYTES as u64)
        .read_to_end(&mut head)?;
    Ok((head, read < HEAD_BYTES))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_byte_text_becomes_utf8_whatever_the_buffer_size() {
        let bytes = b"C\xe9dula;Tel\xe9fono;\x80 \x93ok\x94 S\xe3o Jo\xe3o \xc7";
        let want = "Cédula;Teléfono;€ “ok” São João Ç";
        for size in [1, 2, 3, 7, 64] {
            let mut reader = SingleByteReader::new(&bytes[..], Encoding::Windows1252);
            let mut out = vec![];
            let mut buf = vec![0; size];
            loop {
                let n = reader.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                out.extend_from_slice(&buf[..n]);
            }
            assert_eq!(String::from_utf8(out).unwrap(), want, "buffer of {size}");
        }
        assert_eq!(decode_single_byte(b"\x80\xe9", Encoding::Latin1), "\u{80}é");
    }

    #[test]
    fn encodings_and_separators_are_told_from_the_head() {
        assert_eq!(detect_encoding("Cédula".as_bytes(), true), Encoding::Utf8);
        assert_eq!(detect_encoding(b"C\xe9dula", true), Encoding::Windows1252);
        // A UTF-8 sequence cut by the end of the head is still UTF-8.
        assert_eq!(detect_encoding(&"é".as_bytes()[..1], false), Encoding::Utf8);
        assert_eq!(
            detect_encoding(&"é".as_bytes()[..1], true),
            Encoding::Windows1252
        );
        for (head, want) in [
            ("a,b,c\n1;2;3;4;5", b','),
            ("a;b;c\n1,5;2", b';'),
            ("a\tb\tc", b'\t'),
            ("\"a;b\",c", b','),
            ("single", b','),
        ] {
            assert_eq!(detect_separator(head), want, "{head}");
        }
        for (name, want) in [
            ("UTF-8", Encoding::Utf8),
            ("cp1252", Encoding::Windows1252),
            ("ISO-8859-1", Encoding::Latin1),
        ] {
            assert_eq!(name.parse::<Encoding>(), Ok(want));
        }
        assert!("ebcdic".parse::<Encoding>().is_err());
    }
}
