//! SMTP: the exact bytes a real SMTP server (Debian's `aiosmtpd`, started here with a small
//! handler that saves each message and refuses some recipients) receives, the mapping of its
//! refusals, the configuration's checks and the bounce webhook.

use std::collections::BTreeMap;
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, TimeZone, Utc};

use recaudo_channels::inbound_email::reply_token_of;
use recaudo_channels::links::LinkSigner;
use recaudo_channels::providers::smtp::{self, message_id};
use recaudo_channels::{
    ChannelProvider, ConfigError, Content, EmailContent, EventKind, OutboundMessage,
    ProviderConfig, ProviderEnv, SendError, WebhookError, WebhookRequest,
};
use recaudo_domain::ContactId;
use recaudo_domain::portfolio::{Channel, Language};

/// Debian's Python, which has `python3-aiosmtpd` (the `python3` on PATH may be another).
const PYTHON: &str = "/usr/bin/python3";

/// The handler aiosmtpd runs: saves each message's bytes as received (and its envelope
/// beside it), and answers some recipients as a real server would refuse them.
const HANDLER: &str = r#"
import itertools, os

class Saver:
    def __init__(self, outdir):
        self.outdir = outdir
        self.counter = itertools.count()

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("Saver usage: DIR")
        return cls(args[0])

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0]
        if local == "nobody":
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        if local == "spamtrap":
            return "550 5.7.1 Message refused by policy"
        if local == "full":
            return "552 5.2.2 Mailbox full"
        if local == "later":
            return "451 4.3.0 Temporary local problem, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        path = os.path.join(self.outdir, "%04d" % next(self.counter))
        with open(path + ".env", "w") as f:
            f.write("%s\n%s\n" % (envelope.mail_from, ",".join(envelope.rcpt_tos)))
        with open(path + ".tmp", "wb") as f:
            f.write(envelope.original_content)
        os.rename(path + ".tmp", path + ".eml")
        return "250 2.0.0 Ok: queued"
"#;

/// A running aiosmtpd, stopped (by its own pid) when dropped.
struct Sink {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Sink {
    fn start() -> Sink {
        let check = Command::new(PYTHON)
            .args(["-c", "import aiosmtpd"])
            .output();
        match check {
            Ok(out) if out.status.success() => {}
            Ok(out) => panic!(
                "the SMTP tests need aiosmtpd for {PYTHON} (apt-get install python3-aiosmtpd; \
                 .ci/run installs it): {}",
                String::from_utf8_lossy(&out.stderr)
            ),
            Err(e) => panic!(
                "the SMTP tests need {PYTHON} with aiosmtpd (apt-get install python3-aiosmtpd): {e}"
            ),
        }
        let dir = tempfile::tempdir().expect("a temporary directory");
        let code = dir.path().join("code");
        let mail = dir.path().join("mail");
        std::fs::create_dir_all(&code).expect("code dir");
        std::fs::create_dir_all(&mail).expect("mail dir");
        std::fs::write(code.join("recaudo_sink.py"), HANDLER).expect("handler written");
        let port = free_port();
        let mut child = Command::new(PYTHON)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "recaudo_sink.Saver"])
            .arg(&mail)
            .env("PYTHONPATH", &code)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start aiosmtpd with {PYTHON}: {e}"));
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                let mut stderr = String::new();
                if let Some(mut pipe) = child.stderr.take() {
                    let _ = pipe.read_to_string(&mut stderr);
                }
                panic!("aiosmtpd exited before listening ({status}): {stderr}");
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("aiosmtpd did not listen on 127.0.0.1:{port} within 15 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Sink { child, port, dir }
    }

    fn mail_dir(&self) -> PathBuf {
        self.dir.path().join("mail")
    }

    /// The messages received so far, in order: (envelope, raw bytes).
    fn received(&self) -> Vec<(String, Vec<u8>)> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.mail_dir())
            .expect("mail dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        names.sort();
        names
            .into_iter()
            .map(|p| {
                let envelope = std::fs::read_to_string(p.with_extension("env")).expect("envelope");
                (envelope, std::fs::read(&p).expect("message"))
            })
            .collect()
    }

    fn config(&self) -> smtp::Config {
        serde_json::from_value(serde_json::json!({
            "host": "127.0.0.1",
            "port": self.port,
            "security": "none",
            "from_email": "cobranza@acueducto.example",
            "from_name": "Acueducto de Ejemplo",
            "reply_to": "Atención al cliente <atencion@acueducto.example>",
            "pool_size": 2,
        }))
        .expect("a valid configuration")
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn env() -> ProviderEnv {
    ProviderEnv::new(std::env::temp_dir(), None)
}

fn build(config: smtp::Config) -> smtp::Provider {
    match ProviderConfig::Smtp(config).build(&env()) {
        Ok(recaudo_channels::Provider::Smtp(p)) => p,
        Ok(_) => panic!("an SMTP configuration builds an SMTP provider"),
        Err(e) => panic!("the configuration is refused: {e}"),
    }
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, 15, 0, 0).unwrap()
}

const SUBJECT: &str = "Recordatorio: su factura vence mañana — Acueducto";
const TEXT: &str = "Hola Ana Gómez:\n\nLe recordamos que su factura por $ 1.234.567 vence el 03/12/2026.\nPuede pagar aquí: https://collect.example.com/p/tok123\n\nSi ya pagó, por favor ignore este mensaje.";
const HTML: &str = "<p>Hola Ana Gómez:</p><p>Le recordamos que su factura por <b>$ 1.234.567</b> vence el 03/12/2026.</p><p><a href=\"https://collect.example.com/p/tok123\">Pagar ahora</a></p>";
const UNSUBSCRIBE: &str = "https://collect.example.com/u/ctc123?sig=abcDEF_123";

fn email(to: &str, key: &str) -> OutboundMessage {
    OutboundMessage {
        contact_id: ContactId::generate(),
        idempotency_key: key.to_string(),
        channel: Channel::Email,
        to: to.to_string(),
        postal: None,
        recipient_name: "Ana Gómez".into(),
        language: Language::Es,
        locale: "es-CO".into(),
        sender_name: "Acueducto de Ejemplo".into(),
        content: Content::Email(EmailContent {
            subject: SUBJECT.into(),
            text: TEXT.into(),
            html: HTML.into(),
            unsubscribe_url: Some(UNSUBSCRIBE.into()),
        }),
        status_callback: None,
        gather_callback: None,
        reply_token: None,
        segment: None,
        now: now(),
    }
}

/// A parsed message: unfolded headers (names lower-cased, in order) and the body.
struct Parsed {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Parsed {
    fn new(raw: &[u8]) -> Parsed {
        let text = raw;
        let split = find(text, b"\r\n\r\n").expect("a blank line after the headers");
        let head = std::str::from_utf8(&text[..split]).expect("headers are ASCII");
        assert!(head.is_ascii(), "headers must be 7-bit: {head}");
        let mut headers: Vec<(String, String)> = vec![];
        for line in head.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                let last = headers.last_mut().expect("a continuation follows a header");
                // Unfolding removes the line break only (RFC 5322 §2.2.3).
                last.1.push_str(line);
                continue;
            }
            let (name, value) = line.split_once(':').expect("name: value");
            headers.push((name.to_ascii_lowercase(), value.trim().to_string()));
        }
        Parsed {
            headers,
            body: text[split + 4..].to_vec(),
        }
    }

    fn get(&self, name: &str) -> &str {
        let found: Vec<&str> = self
            .headers
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(found.len(), 1, "exactly one {name} header: {found:?}");
        found[0]
    }

    /// The decoded bodies of a multipart's parts, by content type.
    fn parts(&self) -> BTreeMap<String, String> {
        let content_type = self.get("content-type");
        let boundary = content_type
            .split(';')
            .find_map(|p| p.trim().strip_prefix("boundary="))
            .expect("a boundary")
            .trim_matches('"');
        let body = String::from_utf8(self.body.clone()).expect("a 7-bit body");
        let delimiter = format!("--{boundary}");
        let mut parts = BTreeMap::new();
        for chunk in body.split(&delimiter).skip(1) {
            if chunk.starts_with("--") {
                break;
            }
            let part = Parsed::new(chunk.trim_start_matches("\r\n").as_bytes());
            let kind = part.get("content-type").to_string();
            let encoding = part
                .headers
                .iter()
                .find(|(k, _)| k == "content-transfer-encoding")
                .map(|(_, v)| v.to_ascii_lowercase())
                .unwrap_or_else(|| "7bit".into());
            let raw = String::from_utf8(part.body).expect("ascii part");
            let raw = raw.strip_suffix("\r\n").unwrap_or(&raw);
            let decoded = match encoding.as_str() {
                "base64" => String::from_utf8(
                    STANDARD
                        .decode(raw.replace("\r\n", ""))
                        .expect("valid base64"),
                )
                .expect("utf-8"),
                "quoted-printable" => quoted_printable(raw),
                _ => raw.to_string(),
            };
            parts.insert(kind, decoded.replace("\r\n", "\n"));
        }
        parts
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn quoted_printable(text: &str) -> String {
    let bytes = text.replace("=\r\n", "").into_bytes();
    let mut out = vec![];
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() + 1 {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("hex");
            out.push(u8::from_str_radix(hex, 16).expect("a hex escape"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("utf-8")
}

/// Decodes RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`); the whitespace between
/// two encoded words is dropped, as the RFC says.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut last_was_word = false;
    while !rest.is_empty() {
        match rest.find("=?") {
            Some(start) => {
                let between = &rest[..start];
                if !(last_was_word && between.trim().is_empty()) {
                    out.push_str(between);
                }
                let word = &rest[start + 2..];
                let mut pieces = word.splitn(3, '?');
                let _charset = pieces.next().expect("charset");
                let encoding = pieces.next().expect("encoding").to_ascii_lowercase();
                let tail = pieces.next().expect("text");
                let end = tail.find("?=").expect("the end of the word");
                let payload = &tail[..end];
                let decoded = match encoding.as_str() {
                    "b" => {
                        String::from_utf8(STANDARD.decode(payload).expect("base64")).expect("utf-8")
                    }
                    _ => quoted_printable(&payload.replace('_', " ")),
                };
                out.push_str(&decoded);
                rest = &tail[end + 2..];
                last_was_word = true;
            }
            None => {
                out.push_str(rest);
                break;
            }
        }
    }
    out
}

#[tokio::test]
async fn an_email_reaches_a_real_smtp_server_with_its_headers_and_both_parts() {
    let sink = Sink::start();
    let provider = build(sink.config());
    let message = email("ana.gomez@example.net", "ctc_1:reminder_soft:2026-12-02");
    let ack = provider.send(&message).await.expect("the server takes it");
    let expected_id = message_id("ctc_1:reminder_soft:2026-12-02", "acueducto.example");
    assert_eq!(ack.provider_message_id, expected_id);
    assert!(
        expected_id.starts_with('<')
            && expected_id.len() == 1 + 32 + 1 + "acueducto.example".len() + 1,
        "{expected_id}"
    );

    let received = sink.received();
    assert_eq!(received.len(), 1);
    let (envelope, raw) = &received[0];
    assert_eq!(
        envelope,
        "cobranza@acueducto.example\nana.gomez@example.net\n"
    );
    let mail = Parsed::new(raw);
    assert_eq!(mail.get("message-id"), expected_id);
    assert_eq!(
        decode_words(mail.get("from")),
        "\"Acueducto de Ejemplo\" <cobranza@acueducto.example>"
    );
    assert_eq!(
        decode_words(mail.get("to")),
        "Ana Gómez <ana.gomez@example.net>"
    );
    assert_eq!(
        decode_words(mail.get("reply-to")),
        "Atención al cliente <atencion@acueducto.example>"
    );
    let subject = mail.get("subject");
    assert!(
        subject.to_ascii_lowercase().contains("=?utf-8?"),
        "the accented subject is an encoded word: {subject}"
    );
    assert_eq!(decode_words(subject), SUBJECT, "raw: {subject}");
    assert_eq!(mail.get("list-unsubscribe"), format!("<{UNSUBSCRIBE}>"));
    assert_eq!(
        mail.get("list-unsubscribe-post"),
        "List-Unsubscribe=One-Click"
    );
    assert_eq!(
        mail.get("x-recaudo-contact"),
        message.contact_id.to_string()
    );
    assert_eq!(
        DateTime::parse_from_rfc2822(mail.get("date")).expect("an RFC 2822 date"),
        now()
    );
    assert_eq!(mail.get("mime-version"), "1.0");
    assert!(
        mail.get("content-type")
            .starts_with("multipart/alternative;"),
        "{}",
        mail.get("content-type")
    );
    let parts = mail.parts();
    assert_eq!(
        parts.keys().collect::<Vec<_>>(),
        ["text/html; charset=utf-8", "text/plain; charset=utf-8"]
    );
    assert_eq!(parts["text/plain; charset=utf-8"], TEXT);
    assert_eq!(parts["text/html; charset=utf-8"], HTML);

    // The same key again (a re-send after a crash) is the same Message-ID.
    let again = provider
        .send(&email(
            "ana.gomez@example.net",
            "ctc_1:reminder_soft:2026-12-02",
        ))
        .await
        .expect("sent again");
    assert_eq!(again.provider_message_id, expected_id);
    let received = sink.received();
    assert_eq!(received.len(), 2);
    assert_eq!(Parsed::new(&received[1].1).get("message-id"), expected_id);
}

#[tokio::test]
async fn with_a_reply_domain_the_reply_to_carries_the_contacts_token() {
    let sink = Sink::start();
    let mut config = sink.config();
    config.reply_domain = Some("Reply.Acueducto.example".into());
    let provider = build(config);
    assert!(provider.capabilities().two_way, "replies come back");
    assert!(!build(sink.config()).capabilities().two_way);

    let signer = LinkSigner::new(b"a key of the installation", "https://collect.example.com");
    let mut message = email("ana.gomez@example.net", "ctc_2:reminder_soft:2026-12-02");
    let token = signer.reply_token(message.contact_id);
    message.reply_token = Some(token.clone());
    provider.send(&message).await.expect("the server takes it");
    // Without a token (a message the engine sent before reply tokens), the configured reply_to.
    provider
        .send(&email(
            "ana.gomez@example.net",
            "ctc_3:reminder_soft:2026-12-02",
        ))
        .await
        .expect("the server takes it");

    let received = sink.received();
    assert_eq!(received.len(), 2);
    let reply_to = decode_words(Parsed::new(&received[0].1).get("reply-to"));
    assert_eq!(
        reply_to,
        format!("Atención al cliente <r+{token}@reply.acueducto.example>")
    );
    // What the debtor's reply is addressed to finds the contact again.
    let found = reply_token_of(&reply_to).expect("a reply address");
    assert_eq!(signer.verify_reply(&found), Some(message.contact_id));
    assert_eq!(
        decode_words(Parsed::new(&received[1].1).get("reply-to")),
        "Atención al cliente <atencion@acueducto.example>"
    );

    // A token that is not letters and digits is refused before anything is sent.
    let mut bad = email("ana.gomez@example.net", "ctc_4:reminder_soft:2026-12-02");
    bad.reply_token = Some("abc@evil.example".into());
    assert!(matches!(
        provider.send(&bad).await,
        Err(SendError::Permanent { code, .. }) if code == "invalid_reply_token"
    ));
    assert_eq!(sink.received().len(), 2);
}

#[tokio::test]
async fn refusals_map_to_bad_address_permanent_or_retryable() {
    let sink = Sink::start();
    let provider = build(sink.config());

    match provider.send(&email("nobody@example.net", "k1")).await {
        Err(SendError::Permanent {
            code,
            message,
            address_unusable,
        }) => {
            assert_eq!(code, "550");
            assert!(address_unusable, "an unknown mailbox is a bad address");
            assert!(message.contains("User unknown"), "{message}");
        }
        other => panic!("550 5.1.1 is a permanent bad address, got {other:?}"),
    }
    match provider.send(&email("spamtrap@example.net", "k2")).await {
        Err(SendError::Permanent {
            code,
            address_unusable,
            ..
        }) => {
            assert_eq!(code, "550");
            assert!(
                !address_unusable,
                "a policy refusal does not blame the address"
            );
        }
        other => panic!("550 5.7.1 is permanent, got {other:?}"),
    }
    match provider.send(&email("full@example.net", "k3")).await {
        Err(SendError::Permanent {
            code,
            address_unusable,
            ..
        }) => {
            assert_eq!(code, "552");
            assert!(!address_unusable);
        }
        other => panic!("552 is permanent, got {other:?}"),
    }
    match provider.send(&email("later@example.net", "k4")).await {
        Err(SendError::Retryable { message, .. }) => {
            assert!(message.contains("451"), "{message}")
        }
        other => panic!("451 is retryable, got {other:?}"),
    }
    match provider.send(&email("not an address", "k5")).await {
        Err(SendError::Permanent {
            code,
            address_unusable,
            ..
        }) => {
            assert_eq!(code, "invalid_address");
            assert!(address_unusable);
        }
        other => panic!("a malformed address is a bad address, got {other:?}"),
    }
    assert!(sink.received().is_empty(), "nothing refused was delivered");

    // The pool recovers from the refusals: the next good message goes through.
    provider
        .send(&email("ana@example.net", "k6"))
        .await
        .expect("a good recipient after refusals");
    assert_eq!(sink.received().len(), 1);
}

#[tokio::test]
async fn a_server_that_is_not_there_is_retryable() {
    let mut config = Sink::config_for_port(free_port());
    config.pool_size = 1;
    let provider = build(config);
    match provider.send(&email("ana@example.net", "k")).await {
        Err(SendError::Retryable { .. }) => {}
        other => panic!("a refused connection is retryable, got {other:?}"),
    }
}

impl Sink {
    fn config_for_port(port: u16) -> smtp::Config {
        serde_json::from_value(serde_json::json!({
            "host": "127.0.0.1",
            "port": port,
            "security": "none",
            "from_email": "cobranza@acueducto.example",
        }))
        .expect("a valid configuration")
    }
}

#[tokio::test]
async fn dkim_signs_the_unsubscribe_headers() {
    let sink = Sink::start();
    let mut config = sink.config();
    // An Ed25519 seed (32 bytes, base64).
    config.dkim = Some(
        serde_json::from_value(serde_json::json!({
            "domain": "acueducto.example",
            "selector": "recaudo2026",
            "private_key": STANDARD.encode([7u8; 32]),
        }))
        .expect("dkim"),
    );
    let provider = build(config);
    provider
        .send(&email("ana@example.net", "dkim-1"))
        .await
        .expect("sent");
    let received = sink.received();
    let mail = Parsed::new(&received[0].1);
    let signature = mail.get("dkim-signature");
    let tags: BTreeMap<&str, &str> = signature
        .split(';')
        .filter_map(|t| t.trim().split_once('='))
        .collect();
    assert_eq!(tags["v"], "1");
    assert_eq!(tags["a"], "ed25519-sha256");
    assert_eq!(tags["d"], "acueducto.example");
    assert_eq!(tags["s"], "recaudo2026");
    assert_eq!(tags["c"], "relaxed/relaxed");
    let signed: Vec<&str> = tags["h"].split(':').collect();
    for header in [
        "from",
        "to",
        "subject",
        "message-id",
        "list-unsubscribe",
        "list-unsubscribe-post",
    ] {
        assert!(signed.contains(&header), "{header} is signed: {signed:?}");
    }
    let signature_bytes = STANDARD
        .decode(tags["b"].replace([' ', '\t'], ""))
        .expect("base64 signature");

    // Verify as a receiver would (RFC 6376 relaxed header canonicalization, RFC 8463 Ed25519
    // over the SHA-256 of the canonical headers), with the public half of the test seed.
    let relaxed = |name: &str, value: &str| {
        format!(
            "{}:{}",
            name.to_ascii_lowercase(),
            value.split_whitespace().collect::<Vec<_>>().join(" ")
        )
    };
    let mut data = String::new();
    for name in &signed {
        if let Some((_, value)) = mail.headers.iter().find(|(k, _)| k == name) {
            data.push_str(&relaxed(name, value));
            data.push_str("\r\n");
        }
    }
    let b_at = signature.rfind("b=").expect("the b= tag comes last");
    data.push_str(&relaxed("dkim-signature", &signature[..b_at + 2]));
    let digest = <sha2::Sha256 as sha2::Digest>::digest(data.as_bytes());
    let pair = ring::signature::Ed25519KeyPair::from_seed_unchecked(&[7u8; 32]).expect("seed");
    let public = ring::signature::KeyPair::public_key(&pair);
    ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, public.as_ref())
        .verify(&digest, &signature_bytes)
        .expect("the DKIM signature verifies over the signed headers");

    // The body hash (relaxed: runs of blanks as one space, none at line ends, no trailing
    // empty lines).
    let body = String::from_utf8(mail.body.clone()).expect("a 7-bit body");
    let mut lines: Vec<String> = body
        .split("\r\n")
        .map(|line| {
            let mut out = String::new();
            let mut blank = false;
            for c in line.chars() {
                if c == ' ' || c == '\t' {
                    blank = true;
                } else {
                    if blank {
                        out.push(' ');
                    }
                    blank = false;
                    out.push(c);
                }
            }
            out
        })
        .collect();
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    let canonical = format!("{}\r\n", lines.join("\r\n"));
    let body_hash = STANDARD.encode(<sha2::Sha256 as sha2::Digest>::digest(canonical.as_bytes()));
    assert_eq!(
        tags["bh"], body_hash,
        "the body hash matches the body received"
    );
}

#[test]
fn a_configuration_names_the_field_at_fault_and_masks_its_secrets() {
    let base = serde_json::json!({
        "host": "smtp.example.com",
        "from_email": "cobranza@acueducto.example",
    });
    let with = |patch: serde_json::Value| {
        let mut value = base.clone();
        for (k, v) in patch.as_object().expect("object") {
            value[k] = v.clone();
        }
        serde_json::from_value::<ProviderConfig>({
            let mut v = value;
            v["kind"] = "smtp".into();
            v
        })
        .expect("deserializes")
        .validate()
    };
    let field = |r: Result<(), ConfigError>| r.expect_err("refused").field;
    assert!(with(serde_json::json!({})).is_ok());
    assert_eq!(field(with(serde_json::json!({"host": " "}))), "host");
    assert_eq!(
        field(with(serde_json::json!({"from_email": "cobranza"}))),
        "from_email"
    );
    assert_eq!(
        field(with(serde_json::json!({"username": "u"}))),
        "password"
    );
    assert_eq!(
        field(with(serde_json::json!({"password": "p"}))),
        "username"
    );
    assert_eq!(
        field(with(
            serde_json::json!({"username": "u", "password": "p", "security": "none"})
        )),
        "security"
    );
    assert_eq!(
        field(with(serde_json::json!({"pool_size": 0}))),
        "pool_size"
    );
    // The token's former name is still read, and named by its present one.
    assert_eq!(
        field(with(serde_json::json!({"bounce_token": "short"}))),
        "webhook_token"
    );
    assert_eq!(
        field(with(serde_json::json!({"webhook_token": "short"}))),
        "webhook_token"
    );
    for domain in [
        "",
        "localhost",
        "reply..example",
        "-reply.example",
        "reply_x.example",
        "r eply.example",
    ] {
        assert_eq!(
            field(with(serde_json::json!({"reply_domain": domain}))),
            "reply_domain",
            "{domain:?}"
        );
    }
    assert_eq!(
        field(with(serde_json::json!({"reply_to": "nope"}))),
        "reply_to"
    );
    assert_eq!(
        field(with(serde_json::json!({"dkim": {
            "domain": "acueducto.example", "selector": "s1", "private_key": "not a key"
        }}))),
        "dkim.private_key"
    );

    let config: ProviderConfig = serde_json::from_value(serde_json::json!({
        "kind": "smtp",
        "host": "smtp.example.com",
        "from_email": "cobranza@acueducto.example",
        "username": "apikey",
        "password": "pa55word-secret",
        "bounce_token": "tok-0123456789abcdef",
        "dkim": {"domain": "acueducto.example", "selector": "s1", "private_key": STANDARD.encode([7u8; 32])},
    }))
    .expect("deserializes");
    config.validate().expect("valid");
    let shown = serde_json::to_string(&config).expect("serializes");
    let debug = format!("{config:?}");
    for secret in [
        "pa55word-secret",
        "tok-0123456789abcdef",
        &STANDARD.encode([7u8; 32]),
    ] {
        assert!(!shown.contains(secret), "{shown}");
        assert!(!debug.contains(secret), "{debug}");
    }
    assert!(shown.contains("\"password\":\"***\""), "{shown}");
    assert!(shown.contains("\"kind\":\"smtp\""), "{shown}");
}

const TOKEN: &str = "bounce-token-0123456789";

fn bounce_provider(token: Option<&str>) -> smtp::Provider {
    let mut config = Sink::config_for_port(2525);
    config.webhook_token = token.map(|t| t.to_string().into());
    build(config)
}

fn request(content_type: &str, body: &[u8]) -> WebhookRequest {
    let mut request = WebhookRequest {
        method: "POST".into(),
        url: "https://collect.example.com/hooks/smtp/acc_1".into(),
        body: bytes::Bytes::copy_from_slice(body),
        ..WebhookRequest::default()
    };
    request
        .headers
        .insert("content-type".into(), content_type.into());
    request
}

#[test]
fn the_bounce_webhook_takes_the_token_and_refuses_the_rest() {
    let provider = bounce_provider(Some(TOKEN));
    let mut by_query = request("application/json", b"{}");
    by_query.query.insert("token".into(), TOKEN.into());
    assert_eq!(provider.verify(&by_query), Ok(()));

    let mut by_header = request("application/json", b"{}");
    by_header
        .headers
        .insert("authorization".into(), format!("Bearer {TOKEN}"));
    assert_eq!(provider.verify(&by_header), Ok(()));

    let unsigned = request("application/json", b"{}");
    assert!(matches!(
        provider.verify(&unsigned),
        Err(WebhookError::Unsigned(_))
    ));

    let mut forged = request("application/json", b"{}");
    forged
        .query
        .insert("token".into(), "bounce-token-0123456780".into());
    assert!(matches!(
        provider.verify(&forged),
        Err(WebhookError::Forged(_))
    ));
    let mut basic = request("application/json", b"{}");
    basic
        .headers
        .insert("authorization".into(), format!("Basic {TOKEN}"));
    assert!(matches!(
        provider.verify(&basic),
        Err(WebhookError::Unsigned(_))
    ));

    let without = bounce_provider(None);
    assert_eq!(without.verify(&by_query), Err(WebhookError::NotSupported));
    assert_eq!(
        without
            .parse_webhook(&by_query)
            .map(|(events, _)| events.len()),
        Err(WebhookError::NotSupported)
    );
}

/// A bounce as Postfix sends it back to the sender: the whole message, a `multipart/report`
/// with the human part, the delivery status and the original headers.
fn postfix_bounce(contact: &ContactId) -> String {
    format!(
        "Return-Path: <>\r\n\
Date: Wed,  2 Dec 2026 15:00:07 +0000 (UTC)\r\n\
From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\r\n\
Subject: Undelivered Mail Returned to Sender\r\n\
To: cobranza@acueducto.example\r\n\
Auto-Submitted: auto-replied\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=delivery-status;\r\n\
\tboundary=\"2C5A61C0A4.1764687607/mx.example.net\"\r\n\
Message-Id: <20261202150007.B1@mx.example.net>\r\n\
\r\n\
This is a MIME-encapsulated message.\r\n\
\r\n\
--2C5A61C0A4.1764687607/mx.example.net\r\n\
Content-Description: Notification\r\n\
Content-Type: text/plain; charset=us-ascii\r\n\
\r\n\
I'm sorry to have to inform you that your message could not\r\n\
be delivered to one or more recipients.\r\n\
\r\n\
--2C5A61C0A4.1764687607/mx.example.net\r\n\
Content-Description: Delivery report\r\n\
Content-Type: message/delivery-status\r\n\
\r\n\
Reporting-MTA: dns; mx.example.net\r\n\
X-Postfix-Queue-ID: 2C5A61C0A4\r\n\
Arrival-Date: Wed,  2 Dec 2026 15:00:05 +0000 (UTC)\r\n\
\r\n\
Final-Recipient: rfc822; ana.gomez@example.net\r\n\
Original-Recipient: rfc822;ana.gomez@example.net\r\n\
Action: failed\r\n\
Status: 5.1.1\r\n\
Remote-MTA: dns; mail.example.net\r\n\
Diagnostic-Code: smtp; 550 5.1.1 <ana.gomez@example.net>: Recipient address\r\n\
\x20   rejected: User unknown in virtual mailbox table\r\n\
Last-Attempt-Date: Wed, 2 Dec 2026 15:00:06 +0000\r\n\
\r\n\
--2C5A61C0A4.1764687607/mx.example.net\r\n\
Content-Description: Undelivered Message Headers\r\n\
Content-Type: text/rfc822-headers\r\n\
\r\n\
From: \"Acueducto de Ejemplo\" <cobranza@acueducto.example>\r\n\
To: Ana <ana.gomez@example.net>\r\n\
Subject: Recordatorio\r\n\
Message-ID: <0f1e2d3c4b5a69788796a5b4c3d2e1f0@acueducto.example>\r\n\
X-Recaudo-Contact: {contact}\r\n\
\r\n\
--2C5A61C0A4.1764687607/mx.example.net--\r\n"
    )
}

#[test]
fn a_dsn_becomes_a_hard_bounce_of_the_original_message() {
    let provider = bounce_provider(Some(TOKEN));
    let contact = ContactId::generate();
    let body = postfix_bounce(&contact);
    let (events, reply) = provider
        .parse_webhook(&request("message/rfc822", body.as_bytes()))
        .expect("a DSN parses");
    assert_eq!(reply.body, "");
    assert_eq!(events.len(), 1);
    let event = &events[0];
    assert_eq!(
        event.provider_message_id.as_deref(),
        Some("<0f1e2d3c4b5a69788796a5b4c3d2e1f0@acueducto.example>")
    );
    assert_eq!(event.contact_id, Some(contact));
    assert_eq!(
        event.kind,
        EventKind::Bounced {
            hard: true,
            code: Some("5.1.1".into()),
            message: Some(
                "550 5.1.1 <ana.gomez@example.net>: Recipient address rejected: User unknown in virtual mailbox table"
                    .into()
            ),
        }
    );
    assert_eq!(
        event.at,
        Utc.with_ymd_and_hms(2026, 12, 2, 15, 0, 6).unwrap()
    );
    // A replay is recognisably the same event.
    let (again, _) = provider
        .parse_webhook(&request("message/rfc822", body.as_bytes()))
        .expect("parses again");
    assert_eq!(again[0].dedupe_key, event.dedupe_key);

    // The report's parts posted alone, with the report's content type.
    let (_, parts) = body.split_once("\r\n\r\n").expect("headers");
    let (events, _) = provider
        .parse_webhook(&request(
            "multipart/report; report-type=delivery-status; boundary=\"2C5A61C0A4.1764687607/mx.example.net\"",
            parts.as_bytes(),
        ))
        .expect("a bare multipart/report parses");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].dedupe_key, event.dedupe_key);
}

#[test]
fn a_delayed_dsn_with_the_original_message_is_a_soft_bounce() {
    let provider = bounce_provider(Some(TOKEN));
    let body = "Content-Type: multipart/report; report-type=delivery-status; boundary=b1\r\n\
\r\n\
--b1\r\n\
Content-Type: text/plain\r\n\
\r\n\
Delayed.\r\n\
--b1\r\n\
Content-Type: message/delivery-status\r\n\
\r\n\
Reporting-MTA: dns; mx.example.net\r\n\
\r\n\
Final-Recipient: rfc822; joao@example.com.br\r\n\
Action: delayed\r\n\
Status: 4.2.2\r\n\
Diagnostic-Code: smtp; 452 4.2.2 Mailbox full\r\n\
\r\n\
Final-Recipient: rfc822; maria@example.com.br\r\n\
Action: relayed\r\n\
Status: 2.0.0\r\n\
\r\n\
--b1\r\n\
Content-Type: message/rfc822\r\n\
\r\n\
Message-ID: <abc@acueducto.example>\r\n\
Subject: Lembrete\r\n\
\r\n\
Olá\r\n\
--b1--\r\n";
    let (events, _) = provider
        .parse_webhook(&request("message/rfc822", body.as_bytes()))
        .expect("parses");
    assert_eq!(events.len(), 1, "relayed says nothing: {events:?}");
    assert_eq!(
        events[0].provider_message_id.as_deref(),
        Some("<abc@acueducto.example>")
    );
    assert!(matches!(
        &events[0].kind,
        EventKind::Bounced { hard: false, code: Some(code), .. } if code == "4.2.2"
    ));
}

#[test]
fn json_bounces_become_hard_and_soft_bounces() {
    let provider = bounce_provider(Some(TOKEN));
    let body = serde_json::json!([
        {"message_id": "0f1e@acueducto.example", "recipient": "ana@example.net", "type": "hard",
         "code": "5.1.1", "description": "mailbox does not exist", "timestamp": "2026-12-02T15:01:00Z"},
        {"message_id": "<9a8b@acueducto.example>", "recipient": "joao@example.com.br", "type": "soft",
         "code": 421, "description": "try later"}
    ]);
    let (events, _) = provider
        .parse_webhook(&request(
            "application/json; charset=utf-8",
            body.to_string().as_bytes(),
        ))
        .expect("parses");
    assert_eq!(events.len(), 2);
    assert_eq!(
        events[0].provider_message_id.as_deref(),
        Some("<0f1e@acueducto.example>"),
        "ids are normalised to the header's form"
    );
    assert_eq!(
        events[0].kind,
        EventKind::Bounced {
            hard: true,
            code: Some("5.1.1".into()),
            message: Some("mailbox does not exist".into())
        }
    );
    assert_eq!(
        events[0].at,
        Utc.with_ymd_and_hms(2026, 12, 2, 15, 1, 0).unwrap()
    );
    assert_eq!(
        events[1].kind,
        EventKind::Bounced {
            hard: false,
            code: Some("421".into()),
            message: Some("try later".into())
        }
    );
    assert_ne!(events[0].dedupe_key, events[1].dedupe_key);

    let single = serde_json::json!({"message_id": "x@y", "type": "hard"});
    let (events, _) = provider
        .parse_webhook(&request("application/json", single.to_string().as_bytes()))
        .expect("a single object parses");
    assert_eq!(events.len(), 1);
}

#[test]
fn malformed_unknown_and_oversized_bounces_are_refused() {
    let provider = bounce_provider(Some(TOKEN));
    for (content_type, body) in [
        ("application/json", &b"{not json"[..]),
        (
            "application/json",
            br#"{"message_id": "a@b", "type": "bouncy"}"#,
        ),
        ("application/json", br#"{"type": "hard"}"#),
        ("message/rfc822", b"Subject: hello\r\n\r\njust a letter\r\n"),
        ("multipart/report", b"--x\r\n\r\n--x--"),
        ("multipart/report; boundary=x", b"\xff\xfe\x00--x\r\n"),
        ("image/png", b"\x89PNG"),
        ("", b""),
    ] {
        match provider.parse_webhook(&request(content_type, body)) {
            Err(WebhookError::Malformed(_)) => {}
            other => panic!("{content_type} {body:?} is malformed, got {other:?}"),
        }
    }
    let huge = vec![b'a'; smtp::MAX_BOUNCE_BYTES + 1];
    assert!(matches!(
        provider.parse_webhook(&request("message/rfc822", &huge)),
        Err(WebhookError::TooLarge(_))
    ));
}
