//! Bounce reports: a delivery status notification (RFC 3464 `multipart/report`) and the small
//! JSON bounce a mail provider's webhook posts. Both become [`Bounce`]s; the provider turns them
//! into events. Nothing here panics on what a stranger sends: every slice is bounded and every
//! failure is a `String` for `WebhookError::Malformed`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};

/// What a report says about one recipient of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounce {
    /// The original message's `Message-ID`, angle brackets included, when the report carries it.
    pub message_id: Option<String>,
    /// The original message's `X-Recaudo-Contact`, when the report carries its headers.
    pub contact: Option<String>,
    pub recipient: Option<String>,
    pub action: Action,
    /// The enhanced status code (`5.1.1`) or the provider's code.
    pub status: Option<String>,
    /// The receiving server's words (`Diagnostic-Code`, the JSON `description`).
    pub diagnostic: Option<String>,
    pub at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Will not be delivered; `hard` when the address is at fault (5.x.x), soft otherwise.
    Failed {
        hard: bool,
    },
    /// Still being tried.
    Delayed,
    Delivered,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Failed { hard: true } => "hard",
            Action::Failed { hard: false } => "soft",
            Action::Delayed => "delayed",
            Action::Delivered => "delivered",
        }
    }
}

/// Every recipient a DSN reports on. `content_type` is the request's; a `multipart/report`
/// body is the report's parts, anything else is read as a whole message (the bounce email as
/// received, its headers first).
pub fn parse_dsn(content_type: &str, body: &[u8]) -> Result<Vec<Bounce>, String> {
    let (mime, params) = parse_content_type(content_type);
    let mut found = Found::default();
    if mime.starts_with("multipart/") {
        let boundary = params
            .iter()
            .find(|(k, _)| k == "boundary")
            .map(|(_, v)| v.clone())
            .ok_or("a multipart content type without a boundary")?;
        walk_multipart(&boundary, body, &mut found, 0);
    } else {
        let (headers, rest) = split_headers(body);
        let inner = header(&headers, "content-type").unwrap_or("text/plain");
        found.report_date = header(&headers, "date").and_then(parse_date);
        walk(
            inner,
            header(&headers, "content-transfer-encoding"),
            rest,
            &mut found,
            0,
        );
    }
    let Some(status) = found.delivery_status else {
        return Err("no message/delivery-status part in the report".into());
    };
    let original = found.original_headers.unwrap_or_default();
    let message_id = header(&original, "message-id").map(normalize_message_id);
    let contact = header(&original, "x-recaudo-contact").map(|v| v.trim().to_string());

    let groups = field_groups(&status);
    let per_message = groups.first().cloned().unwrap_or_default();
    let arrival = header(&per_message, "arrival-date").and_then(parse_date);
    let mut bounces = vec![];
    for group in groups.iter().skip(1) {
        let Some(action) = header(group, "action") else {
            continue;
        };
        let status = header(group, "status").map(|s| s.trim().to_string());
        let class = status.as_deref().and_then(|s| s.chars().next());
        let action = match action.trim().to_ascii_lowercase().as_str() {
            "failed" => Action::Failed {
                hard: class != Some('4'),
            },
            "delayed" => Action::Delayed,
            "delivered" => Action::Delivered,
            // `relayed` and `expanded` say nothing about the outcome.
            _ => continue,
        };
        let recipient = header(group, "final-recipient")
            .or_else(|| header(group, "original-recipient"))
            .map(strip_address_type);
        bounces.push(Bounce {
            message_id: message_id.clone(),
            contact: contact.clone(),
            recipient,
            action,
            status,
            diagnostic: header(group, "diagnostic-code").map(strip_address_type),
            at: header(group, "last-attempt-date")
                .and_then(parse_date)
                .or(arrival)
                .or(found.report_date),
        });
    }
    if bounces.is_empty() {
        return Err("the delivery-status part names no recipient with an action".into());
    }
    Ok(bounces)
}

/// A JSON bounce: `{"message_id", "recipient", "type": "hard"|"soft", "code",
/// "description", "timestamp"?}`, or an array of them.
pub fn parse_json(body: &[u8]) -> Result<Vec<Bounce>, String> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("the JSON does not parse: {e}"))?;
    let items = match value {
        serde_json::Value::Array(items) => items,
        item @ serde_json::Value::Object(_) => vec![item],
        _ => return Err("a JSON bounce is an object or an array of objects".into()),
    };
    if items.is_empty() {
        return Err("an empty array of bounces".into());
    }
    items.iter().map(json_bounce).collect()
}

fn json_bounce(item: &serde_json::Value) -> Result<Bounce, String> {
    let text = |key: &str| -> Option<String> {
        match item.get(key)? {
            serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let message_id = text("message_id").ok_or("a bounce without message_id")?;
    let action = match text("type")
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("hard") => Action::Failed { hard: true },
        Some("soft") => Action::Failed { hard: false },
        Some(other) => return Err(format!("unknown bounce type {other:?} (hard or soft)")),
        None => return Err("a bounce without type (hard or soft)".into()),
    };
    let at = match item.get("timestamp") {
        Some(serde_json::Value::String(s)) => DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .ok(),
        Some(serde_json::Value::Number(n)) => n
            .as_i64()
            .and_then(|secs| DateTime::from_timestamp(secs, 0)),
        _ => None,
    };
    Ok(Bounce {
        message_id: Some(normalize_message_id(&message_id)),
        contact: text("contact_id"),
        recipient: text("recipient"),
        action,
        status: text("code"),
        diagnostic: text("description"),
        at,
    })
}

/// `<id@domain>` whatever the report wrote (with or without brackets, padded).
pub fn normalize_message_id(raw: &str) -> String {
    let id = raw
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim();
    format!("<{id}>")
}

/// `rfc822; ana@example.com` → `ana@example.com` (also `smtp; 550 …` → `550 …`).
fn strip_address_type(value: &str) -> String {
    match value.split_once(';') {
        Some((kind, rest)) if !kind.contains(' ') => rest.trim().to_string(),
        _ => value.trim().to_string(),
    }
}

fn parse_date(value: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(value.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[derive(Default)]
struct Found {
    delivery_status: Option<String>,
    original_headers: Option<Vec<(String, String)>>,
    report_date: Option<DateTime<Utc>>,
}

/// Bounds the nesting a hostile report can make us follow.
const MAX_DEPTH: usize = 8;

fn walk(content_type: &str, encoding: Option<&str>, body: &[u8], found: &mut Found, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let (mime, params) = parse_content_type(content_type);
    let decoded = decode_transfer(encoding, body);
    let body = decoded.as_slice();
    match mime.as_str() {
        m if m.starts_with("multipart/") => {
            if let Some((_, boundary)) = params.iter().find(|(k, _)| k == "boundary") {
                walk_multipart(boundary, body, found, depth + 1);
            }
        }
        "message/delivery-status" | "message/global-delivery-status"
            if found.delivery_status.is_none() =>
        {
            found.delivery_status = Some(String::from_utf8_lossy(body).into_owned());
        }
        "message/rfc822" | "text/rfc822-headers" | "message/global" | "message/global-headers"
            if found.original_headers.is_none() =>
        {
            found.original_headers = Some(split_headers(body).0);
        }
        _ => {}
    }
}

fn walk_multipart(boundary: &str, body: &[u8], found: &mut Found, depth: usize) {
    for part in multipart_parts(boundary, body) {
        let (headers, rest) = split_headers(part);
        let content_type = header(&headers, "content-type").unwrap_or("text/plain");
        let encoding = header(&headers, "content-transfer-encoding");
        walk(content_type, encoding, rest, found, depth);
    }
}

fn decode_transfer(encoding: Option<&str>, body: &[u8]) -> Vec<u8> {
    match encoding.map(|e| e.trim().to_ascii_lowercase()).as_deref() {
        Some("base64") => {
            let compact: Vec<u8> = body
                .iter()
                .copied()
                .filter(|b| !b.is_ascii_whitespace())
                .collect();
            STANDARD.decode(compact).unwrap_or_else(|_| body.to_vec())
        }
        Some("quoted-printable") => decode_quoted_printable(body),
        _ => body.to_vec(),
    }
}

fn decode_quoted_printable(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        match body[i] {
            b'=' => {
                let next = body.get(i + 1..i + 3);
                match next {
                    Some([b'\r', b'\n']) => i += 3,
                    Some([b'\n', _]) => i += 2,
                    Some(hex) => match std::str::from_utf8(hex)
                        .ok()
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                    {
                        Some(byte) => {
                            out.push(byte);
                            i += 3;
                        }
                        None => {
                            out.push(b'=');
                            i += 1;
                        }
                    },
                    None => {
                        // A soft break at the very end, or a lone `=`.
                        if body.get(i + 1) != Some(&b'\n') {
                            out.push(b'=');
                        }
                        i = body.len();
                    }
                }
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    out
}

/// The parts of a multipart body, without their delimiters.
fn multipart_parts<'a>(boundary: &str, body: &'a [u8]) -> Vec<&'a [u8]> {
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let mut parts = vec![];
    let mut start: Option<usize> = None;
    let mut pos = 0;
    while pos < body.len() {
        let end = body[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(body.len(), |n| pos + n + 1);
        let line = trim_line_end(&body[pos..end]);
        if line.starts_with(delimiter) {
            let rest = trim_spaces(&line[delimiter.len()..]);
            if rest.is_empty() || rest == b"--" {
                if let Some(s) = start {
                    // The line break before a delimiter belongs to the delimiter.
                    let part_end = strip_last_newline(&body[s..pos]);
                    parts.push(part_end);
                }
                if rest == b"--" {
                    return parts;
                }
                start = Some(end);
            }
        }
        pos = end;
    }
    parts
}

fn trim_line_end(line: &[u8]) -> &[u8] {
    let mut line = line;
    while let [rest @ .., b'\r' | b'\n'] = line {
        line = rest;
    }
    line
}

fn trim_spaces(text: &[u8]) -> &[u8] {
    let mut text = text;
    while let [rest @ .., b' ' | b'\t'] = text {
        text = rest;
    }
    text
}

fn strip_last_newline(part: &[u8]) -> &[u8] {
    let part = part.strip_suffix(b"\n").unwrap_or(part);
    part.strip_suffix(b"\r").unwrap_or(part)
}

/// The header fields (unfolded, names lower-cased) and the body after the blank line. Text
/// that does not start with a header is all body.
fn split_headers(data: &[u8]) -> (Vec<(String, String)>, &[u8]) {
    let mut headers: Vec<(String, String)> = vec![];
    let mut pos = 0;
    while pos < data.len() {
        let end = data[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(data.len(), |n| pos + n + 1);
        let line = trim_line_end(&data[pos..end]);
        if line.is_empty() {
            return (headers, &data[end..]);
        }
        let text = String::from_utf8_lossy(line);
        if line[0] == b' ' || line[0] == b'\t' {
            match headers.last_mut() {
                Some((_, value)) => {
                    value.push(' ');
                    value.push_str(text.trim());
                }
                None => return (headers, data),
            }
        } else if let Some((name, value)) = text.split_once(':') {
            if name.is_empty() || name.contains(' ') {
                return (headers, &data[pos..]);
            }
            headers.push((name.to_ascii_lowercase(), value.trim().to_string()));
        } else {
            return (headers, &data[pos..]);
        }
        pos = end;
    }
    (headers, &data[data.len()..])
}

/// The groups of fields of a `message/delivery-status` body (per-message, then one per
/// recipient), separated by blank lines.
fn field_groups(text: &str) -> Vec<Vec<(String, String)>> {
    let mut groups = vec![];
    let mut rest = text.as_bytes();
    while !rest.is_empty() {
        // Skip blank lines between groups.
        while let Some(stripped) = rest
            .strip_prefix(b"\r\n")
            .or_else(|| rest.strip_prefix(b"\n"))
        {
            rest = stripped;
        }
        if rest.is_empty() {
            break;
        }
        let (group, after) = split_headers(rest);
        if group.is_empty() {
            break;
        }
        groups.push(group);
        if after.len() == rest.len() {
            break;
        }
        rest = after;
    }
    groups
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// `multipart/report; report-type=delivery-status; boundary="x"` → the type, lower-cased, and
/// its parameters (names lower-cased, quotes removed).
fn parse_content_type(value: &str) -> (String, Vec<(String, String)>) {
    let mut pieces = split_params(value).into_iter();
    let mime = pieces
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let params = pieces
        .filter_map(|piece| {
            let (name, value) = piece.split_once('=')?;
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            Some((name.trim().to_ascii_lowercase(), value.to_string()))
        })
        .collect();
    (mime, params)
}

/// Splits on `;` outside quotes.
fn split_params(value: &str) -> Vec<String> {
    let mut pieces = vec![];
    let mut current = String::new();
    let mut quoted = false;
    for c in value.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            ';' if !quoted => pieces.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    pieces.push(current);
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_parameters_are_read_with_quotes_and_semicolons() {
        let (mime, params) = parse_content_type(
            "Multipart/Report; report-type=delivery-status;\tboundary=\"a;b=c\"",
        );
        assert_eq!(mime, "multipart/report");
        assert_eq!(
            params,
            vec![
                ("report-type".to_string(), "delivery-status".to_string()),
                ("boundary".to_string(), "a;b=c".to_string())
            ]
        );
    }

    #[test]
    fn folded_headers_are_unfolded_and_the_body_follows_the_blank_line() {
        let (headers, body) = split_headers(b"Subject: one\r\n two\r\nX-A: b\r\n\r\nbody\r\n");
        assert_eq!(header(&headers, "subject"), Some("one two"));
        assert_eq!(header(&headers, "x-a"), Some("b"));
        assert_eq!(body, b"body\r\n");
    }

    #[test]
    fn quoted_printable_decodes_escapes_and_soft_breaks() {
        assert_eq!(
            decode_quoted_printable(b"caf=C3=A9 =\r\nlong=3D1 =ZZ"),
            "café long=1 =ZZ".as_bytes()
        );
    }

    #[test]
    fn multipart_parts_ignore_preamble_and_epilogue() {
        let body = b"preamble\r\n--b\r\nA: 1\r\n\r\none\r\n--b \r\n\r\ntwo\r\n--b--\r\nepilogue";
        let parts = multipart_parts("b", body);
        assert_eq!(parts, vec![&b"A: 1\r\n\r\none"[..], &b"\r\ntwo"[..]]);
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_parse_or_fail_without_panicking(
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..1500),
            boundary in "[a-z]{1,3}",
        ) {
            let _ = parse_dsn("message/rfc822", &body);
            let _ = parse_dsn(&format!("multipart/report; boundary={boundary}"), &body);
            let _ = parse_json(&body);
        }

        #[test]
        fn mangled_reports_parse_or_fail_without_panicking(cut in 0usize..900, flip in 0usize..900) {
            let mut report = SAMPLE.as_bytes().to_vec();
            if let Some(byte) = report.get_mut(flip) {
                *byte ^= 0x5a;
            }
            report.truncate(cut.max(1));
            let _ = parse_dsn("message/rfc822", &report);
        }
    }

    const SAMPLE: &str = "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\nFinal-Recipient: rfc822; a@b.c\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--b\r\nContent-Type: text/rfc822-headers\r\nContent-Transfer-Encoding: base64\r\n\r\nTWVzc2FnZS1JRDogPHhAeT4NCg==\r\n--b--\r\n";

    #[test]
    fn the_sample_report_reads_its_base64_headers() {
        let bounces = parse_dsn("message/rfc822", SAMPLE.as_bytes()).expect("parses");
        assert_eq!(bounces.len(), 1);
        assert_eq!(bounces[0].message_id.as_deref(), Some("<x@y>"));
        assert_eq!(bounces[0].recipient.as_deref(), Some("a@b.c"));
        assert_eq!(bounces[0].action, Action::Failed { hard: true });
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for body in [
            &b""[..],
            b"\r\n\r\n",
            b"--",
            b"Content-Type: multipart/report; boundary=x\r\n\r\n--x\r\n",
            b"=\xff\xfe:\r\n\t",
        ] {
            assert!(parse_dsn("message/rfc822", body).is_err());
            assert!(parse_dsn("multipart/report; boundary=x", body).is_err());
        }
        assert!(parse_dsn("multipart/report", b"x").is_err());
        assert!(parse_json(b"[]").is_err());
        assert!(parse_json(b"{\"message_id\":\"a\"}").is_err());
        assert!(parse_json(b"\"x\"").is_err());
    }
}
