//! The built-in SMTP receiver against a real SMTP client not written by us: Python's `smtplib`
//! (Debian's python3), run as a process that performs a list of steps and prints every reply
//! it got as JSON.

use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use recaudo_channels::InboundEmail;
use recaudo_channels::smtp_receiver::{Deliver, ReceiverOptions, Refusal, serve};

const PYTHON: &str = "/usr/bin/python3";

/// The client: `argv[1]` is `{"port": …, "steps": [[kind, …], …]}`; prints `[[code, text], …]`,
/// one per step (code 0: the server closed the connection).
const CLIENT: &str = r#"
import json, smtplib, sys
spec = json.loads(sys.argv[1])
out = []
def body(text):
    if text.startswith("@"):
        return open(text[1:], "rb").read()
    return text.encode("utf-8")
s = smtplib.SMTP("127.0.0.1", spec["port"], timeout=20)
for step in spec["steps"]:
    kind = step[0]
    try:
        if kind == "ehlo":
            code, msg = s.ehlo(step[1])
        elif kind == "cmd":
            code, msg = s.docmd(step[1], step[2] if len(step) > 2 else "")
        elif kind == "sendmail":
            refused = s.sendmail(step[1], step[2], body(step[3]))
            code, msg = 250, json.dumps(refused).encode()
        elif kind == "mail":
            code, msg = s.mail(step[1])
        elif kind == "rcpt":
            code, msg = s.rcpt(step[1])
        elif kind == "data":
            code, msg = s.data(body(step[1]))
        elif kind == "wait":
            code, msg = s.getreply()
        elif kind == "quit":
            code, msg = s.quit()
        else:
            raise ValueError(kind)
        out.append([code, msg.decode("utf-8", "replace")])
    except smtplib.SMTPRecipientsRefused as e:
        code, msg = list(e.recipients.values())[0]
        out.append([code, msg.decode("utf-8", "replace")])
    except smtplib.SMTPResponseException as e:
        out.append([e.smtp_code, e.smtp_error.decode("utf-8", "replace")])
    except smtplib.SMTPServerDisconnected as e:
        out.append([0, "disconnected: %s" % e])
        break
print(json.dumps(out))
"#;

/// The replies the client got, one per step.
async fn client(port: u16, steps: serde_json::Value) -> Vec<(u16, String)> {
    let spec = serde_json::json!({"port": port, "steps": steps}).to_string();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(PYTHON)
            .arg("-c")
            .arg(CLIENT)
            .arg(spec)
            .output()
    })
    .await
    .expect("the client thread")
    .unwrap_or_else(|e| panic!("cannot run {PYTHON} (python3 with smtplib): {e}"));
    assert!(
        output.status.success(),
        "the client failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let replies: Vec<(u16, String)> = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "the client printed {:?}: {e}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    replies
}

type Received = Arc<Mutex<Vec<(InboundEmail, Vec<u8>)>>>;

/// A receiver on 127.0.0.1:0 whose handler records every call and answers with `answer`.
struct Receiver {
    port: u16,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
    received: Received,
}

impl Receiver {
    async fn start(
        options: ReceiverOptions,
        answer: fn(&InboundEmail) -> Result<(), Refusal>,
    ) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let port = listener.local_addr().expect("bound").port();
        let received: Received = Arc::default();
        let calls = received.clone();
        let deliver: Deliver = Arc::new(move |email, raw| {
            let calls = calls.clone();
            Box::pin(async move {
                let result = answer(&email);
                calls.lock().expect("not poisoned").push((email, raw));
                result
            })
        });
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(serve(listener, options, deliver, stopped));
        Receiver {
            port,
            stop,
            task,
            received,
        }
    }

    fn received(&self) -> Vec<(InboundEmail, Vec<u8>)> {
        self.received.lock().expect("not poisoned").clone()
    }

    /// Stops it and waits until it has closed every connection.
    async fn stop(self) {
        self.stop.send(true).expect("the receiver listens");
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("the receiver stops")
            .expect("the receiver did not panic");
    }
}

fn options() -> ReceiverOptions {
    ReceiverOptions {
        hostname: "mx.reply.acueducto.example".into(),
        ..ReceiverOptions::default()
    }
}

fn accept(_: &InboundEmail) -> Result<(), Refusal> {
    Ok(())
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/email")
        .join(name)
}

const TOKEN: &str = "01kbn2q7c5x8r9t0v3w4y6z8ab4f1c2a9be07d35a6c8f1";

fn codes(replies: &[(u16, String)]) -> Vec<u16> {
    replies.iter().map(|(code, _)| *code).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_sent_by_smtplib_reaches_the_handler_parsed_with_its_token() {
    let receiver = Receiver::start(options(), accept).await;
    let gmail = fixture("gmail_reply_es.eml");
    let replies = client(
        receiver.port,
        serde_json::json!([
            ["ehlo", "mail-ej1-f45.google.com"],
            [
                "sendmail",
                "Ana.Gomez@Gmail.com",
                [format!(
                    "R+{}@Reply.Acueducto.example",
                    TOKEN.to_ascii_uppercase()
                )],
                format!("@{}", gmail.display())
            ],
            ["quit"],
        ]),
    )
    .await;
    assert_eq!(codes(&replies), [250, 250, 221], "{replies:?}");
    let ehlo = &replies[0].1;
    for extension in [
        "SIZE 1048576",
        "8BITMIME",
        "PIPELINING",
        "ENHANCEDSTATUSCODES",
    ] {
        assert!(ehlo.contains(extension), "{ehlo}");
    }
    assert!(ehlo.starts_with("mx.reply.acueducto.example"), "{ehlo}");

    let received = receiver.received();
    assert_eq!(received.len(), 1, "the handler is called once per message");
    let (email, raw) = &received[0];
    assert_eq!(email.to, [format!("r+{TOKEN}@reply.acueducto.example")]);
    assert_eq!(email.reply_token.as_deref(), Some(TOKEN));
    assert_eq!(email.from, "ana.gomez@gmail.com");
    assert_eq!(
        email.in_reply_to.as_deref(),
        Some("<9f2c4e1a7b3d5c6e8f0a1b2c3d4e5f60@acueducto.example>")
    );
    assert!(
        email.text.starts_with(
            "Buenas tardes, pago el viernes sin falta.\n\nGracias,\nAna\n\nEl lun, 1 dic 2026"
        ),
        "{:?}",
        email.text
    );
    assert!(
        email.text.contains("> Hola Ana Gómez:"),
        "the history is kept for the engine to cut"
    );
    // The bytes as sent, after the trace line.
    let mut expected = b"Return-Path: <Ana.Gomez@Gmail.com>\r\n".to_vec();
    expected.extend(std::fs::read(&gmail).expect("fixture"));
    assert_eq!(raw, &expected);
    receiver.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_conversation_follows_rfc_5321() {
    let receiver = Receiver::start(
        ReceiverOptions {
            max_recipients: 2,
            ..options()
        },
        accept,
    )
    .await;
    let dotted = "From: ana@example.net\r\nTo: r+abc123@reply.acueducto.example\r\nSubject: puntos\r\n\r\nya pague\r\n.una linea con punto\r\n..dos puntos\r\n.\r\nfin\r\n";
    let replies = client(
        receiver.port,
        serde_json::json!([
            ["cmd", "DATA"],
            ["cmd", "MAIL", "FROM:<ana@example.net>"],
            ["cmd", "HELO"],
            ["ehlo", "client.example.net"],
            ["cmd", "RCPT", "TO:<r+abc123@reply.acueducto.example>"],
            ["cmd", "FOO"],
            ["cmd", "VRFY", "ana"],
            ["cmd", "NOOP"],
            ["cmd", "MAIL", "FROM:<ana@example.net>"],
            ["cmd", "MAIL", "FROM:<ana@example.net>"],
            ["cmd", "RCPT", "TO:r+abc123@reply.acueducto.example"],
            ["cmd", "RCPT", "TO:<r+abc123@reply.acueducto.example>"],
            ["cmd", "RCPT", "TO:<otro@reply.acueducto.example>"],
            ["cmd", "RCPT", "TO:<tercero@reply.acueducto.example>"],
            ["cmd", "RSET"],
            ["cmd", "DATA"],
            ["cmd", "NOOP", "x".repeat(2000)],
            ["cmd", "STARTTLS"],
            ["mail", "<>"],
            ["rcpt", "<r+abc123@reply.acueducto.example>"],
            ["data", dotted],
            ["quit"],
        ]),
    )
    .await;
    assert_eq!(
        codes(&replies),
        [
            503, 503, 501, 250, 503, 500, 252, 250, 250, 503, 501, 250, 250, 452, 250, 503, 500,
            502, 250, 250, 250, 221
        ],
        "{replies:?}"
    );
    assert!(replies[16].1.contains("too long"), "{replies:?}");

    let received = receiver.received();
    assert_eq!(received.len(), 1);
    let (email, raw) = &received[0];
    let raw = String::from_utf8(raw.clone()).expect("text");
    assert!(
        raw.starts_with("Return-Path: <>\r\n"),
        "the null sender: {raw}"
    );
    assert!(
        raw.contains("ya pague\r\n.una linea con punto\r\n..dos puntos\r\n.\r\nfin\r\n"),
        "dot-unstuffed: {raw:?}"
    );
    assert_eq!(
        email.text,
        "ya pague\n.una linea con punto\n..dos puntos\n.\nfin"
    );
    receiver.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_keeps_failing_is_disconnected() {
    let receiver = Receiver::start(options(), accept).await;
    let mut steps = vec![serde_json::json!(["ehlo", "client.example.net"])];
    steps.extend((0..21).map(|i| serde_json::json!(["cmd", format!("GUESS{i}")])));
    let replies = client(receiver.port, serde_json::Value::Array(steps)).await;
    // Twenty refusals are answered; the next command reads the 421 the server sent as it
    // closed the connection.
    let mut expected = vec![250];
    expected.extend([500; 20]);
    expected.push(421);
    assert_eq!(codes(&replies), expected, "{replies:?}");
    assert!(replies[21].1.contains("too many errors"), "{replies:?}");
    assert!(receiver.received().is_empty());
    receiver.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_over_the_size_limit_gets_552() {
    let receiver = Receiver::start(
        ReceiverOptions {
            max_message_bytes: 4096,
            ..options()
        },
        accept,
    )
    .await;
    let big = format!(
        "From: ana@example.net\r\nSubject: grande\r\n\r\n{}",
        "pago el viernes, sin falta, gracias\r\n".repeat(300)
    );
    let small = "From: ana@example.net\r\nSubject: chico\r\n\r\npago el viernes\r\n";
    let replies = client(
        receiver.port,
        serde_json::json!([
            ["ehlo", "client.example.net"],
            // smtplib declares the size (SIZE=…): refused at MAIL.
            [
                "sendmail",
                "ana@example.net",
                ["r+abc123@reply.acueducto.example"],
                big
            ],
            // Undeclared: read to its end and refused after DATA.
            ["mail", "ana@example.net"],
            ["rcpt", "r+abc123@reply.acueducto.example"],
            ["data", big],
            // The connection goes on.
            [
                "sendmail",
                "ana@example.net",
                ["r+abc123@reply.acueducto.example"],
                small
            ],
            ["quit"],
        ]),
    )
    .await;
    assert_eq!(
        codes(&replies),
        [250, 552, 250, 250, 552, 250, 221],
        "{replies:?}"
    );
    assert!(replies[1].1.contains("too big"), "{replies:?}");
    assert!(replies[4].1.contains("at most 4096 bytes"), "{replies:?}");
    let received = receiver.received();
    assert_eq!(received.len(), 1, "only the small one reaches the handler");
    assert_eq!(received[0].0.text, "pago el viernes");
    receiver.stop().await;
}

fn refuse(email: &InboundEmail) -> Result<(), Refusal> {
    if email.to.iter().any(|to| to.starts_with("nobody@")) {
        Err(Refusal::NoSuchMailbox)
    } else {
        Err(Refusal::TryLater("the database is not answering".into()))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_refusal_is_what_the_client_sees() {
    let receiver = Receiver::start(options(), refuse).await;
    let reply = "From: ana@example.net\r\nSubject: Re: factura\r\n\r\nya pague\r\n";
    let replies = client(
        receiver.port,
        serde_json::json!([
            ["ehlo", "client.example.net"],
            [
                "sendmail",
                "ana@example.net",
                ["r+abc123@reply.acueducto.example"],
                reply
            ],
            [
                "sendmail",
                "ana@example.net",
                ["nobody@reply.acueducto.example"],
                reply
            ],
            // Not a message: no sender.
            [
                "sendmail",
                "ana@example.net",
                ["r+abc123@reply.acueducto.example"],
                "Subject: x\r\n\r\nhola\r\n"
            ],
            // An out-of-office: taken, and not handed on.
            [
                "sendmail",
                "ana@example.net",
                ["r+abc123@reply.acueducto.example"],
                "From: ana@example.net\r\nAuto-Submitted: auto-replied\r\n\r\nde vacaciones\r\n"
            ],
            ["quit"],
        ]),
    )
    .await;
    assert_eq!(
        codes(&replies),
        [250, 451, 550, 554, 250, 221],
        "{replies:?}"
    );
    assert!(
        replies[1].1.contains("the database is not answering"),
        "{replies:?}"
    );
    assert!(replies[3].1.contains("From"), "{replies:?}");
    assert_eq!(
        receiver.received().len(),
        2,
        "the handler saw the two messages it refused, not the malformed or automatic ones"
    );
    receiver.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_client_is_told_421_and_disconnected() {
    let receiver = Receiver::start(
        ReceiverOptions {
            idle_timeout: Duration::from_millis(300),
            ..options()
        },
        accept,
    )
    .await;
    let replies = client(
        receiver.port,
        serde_json::json!([["ehlo", "client.example.net"], ["wait"], ["cmd", "NOOP"]]),
    )
    .await;
    assert_eq!(replies[0].0, 250, "{replies:?}");
    assert_eq!(replies[1].0, 421, "{replies:?}");
    assert!(replies[1].1.contains("idle"), "{replies:?}");
    assert_eq!(
        replies[2].0, 0,
        "then the connection is closed: {replies:?}"
    );
    receiver.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_closes_open_connections_with_421_and_stops_listening() {
    let receiver = Receiver::start(options(), accept).await;
    let port = receiver.port;
    let stream = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connects");
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    let greeting = lines.next_line().await.expect("reads").expect("a greeting");
    assert!(
        greeting.starts_with("220 mx.reply.acueducto.example"),
        "{greeting}"
    );
    write.write_all(b"HELO client\r\n").await.expect("writes");
    let helo = lines.next_line().await.expect("reads").expect("a reply");
    assert!(helo.starts_with("250 "), "{helo}");

    receiver.stop().await;
    let farewell = lines.next_line().await.expect("reads").expect("a farewell");
    assert!(farewell.starts_with("421 4.3.2"), "{farewell}");
    assert_eq!(lines.next_line().await.expect("reads"), None, "closed");
    assert!(
        TcpStream::connect(("127.0.0.1", port)).await.is_err(),
        "no longer listening"
    );
}

/// What a client sends: commands in and out of order, header lines, dots and raw bytes.
fn garbage() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
    use proptest::prelude::*;
    let piece = prop_oneof![
        Just(b"EHLO fuzz.example".to_vec()),
        Just(b"HELO".to_vec()),
        Just(b"MAIL FROM:<ana@example.net> SIZE=12".to_vec()),
        Just(b"MAIL FROM:<>".to_vec()),
        Just(b"RCPT TO:<r+abc123@reply.acueducto.example>".to_vec()),
        Just(b"RCPT TO:<@a,@b:x@y>".to_vec()),
        Just(b"DATA".to_vec()),
        Just(b"RSET".to_vec()),
        Just(b".".to_vec()),
        Just(b"..".to_vec()),
        Just(b"From: ana@example.net".to_vec()),
        Just(b"Content-Type: multipart/mixed; boundary=b".to_vec()),
        Just(b"--b".to_vec()),
        Just(Vec::new()),
        proptest::collection::vec(any::<u8>(), 0..80),
    ];
    proptest::collection::vec(piece, 0..30).prop_map(|pieces| pieces.join(&b"\r\n"[..]))
}

#[test]
fn any_bytes_a_client_sends_get_answers_and_a_clean_end() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let receiver = runtime.block_on(Receiver::start(
        ReceiverOptions {
            max_message_bytes: 2048,
            idle_timeout: Duration::from_secs(5),
            ..options()
        },
        accept,
    ));
    let port = receiver.port;
    let mut runner = proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
        cases: 48,
        ..proptest::test_runner::Config::default()
    });
    runner
        .run(&garbage(), |bytes| {
            let transcript = runtime.block_on(async {
                let mut stream = TcpStream::connect(("127.0.0.1", port))
                    .await
                    .expect("connects");
                let mut sent = bytes.clone();
                // Ends a message left open, then leaves.
                sent.extend_from_slice(b"\r\n.\r\nQUIT\r\n");
                // The server may close first (QUIT among the bytes, too many errors).
                let _ = stream.write_all(&sent).await;
                let _ = stream.shutdown().await;
                let mut transcript = Vec::new();
                let read = tokio::io::AsyncReadExt::read_to_end(&mut stream, &mut transcript);
                let _ = tokio::time::timeout(Duration::from_secs(20), read)
                    .await
                    .expect("the server ends the conversation");
                String::from_utf8_lossy(&transcript).into_owned()
            });
            let last = transcript.lines().last().unwrap_or_default();
            proptest::prop_assert!(
                transcript.starts_with("220 ")
                    && (last.starts_with("221 ") || last.starts_with("421 ")),
                "sent {:?}, got {:?}",
                String::from_utf8_lossy(&bytes),
                transcript
            );
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    runtime.block_on(receiver.stop());
}
