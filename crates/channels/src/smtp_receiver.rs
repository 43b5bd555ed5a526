//! The built-in SMTP receiver: takes the debtors' replies to `r+TOKEN@{reply_domain}` straight
//! from the sending mail servers (point the reply domain's MX at it, or relay to it from the
//! installation's MTA), and hands each message to the engine before acknowledging it.
//!
//! RFC 5321's server side, small: `EHLO`/`HELO`, `MAIL`, `RCPT`, `DATA` (dot-unstuffing, a size
//! limit), `RSET`, `NOOP`, `QUIT`, `VRFY` (252); `SIZE`, `8BITMIME`, `PIPELINING` and
//! `ENHANCEDSTATUSCODES` advertised. There is no TLS and no AUTH: it belongs on localhost
//! behind the MTA that faces the Internet (Postfix relaying the reply domain to it), or on a
//! private network. A message is answered `250` only after the `deliver` handler stored it;
//! a handler's refusal is the client's `451` (try later) or `550` (no such mailbox).

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::inbound_email::InboundEmail;

/// How the receiver behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiverOptions {
    /// The name it greets with (`220 {hostname} ESMTP`), the reply domain's MX host.
    pub hostname: String,
    /// The largest message taken (`SIZE`); a larger one is answered `552`.
    pub max_message_bytes: usize,
    /// The most recipients one message may have; more are answered `452`.
    pub max_recipients: usize,
    /// How long a client may stay silent before it is told `421` and disconnected.
    pub idle_timeout: Duration,
}

impl Default for ReceiverOptions {
    /// 1 MiB messages, 100 recipients, 5 minutes of silence (RFC 5321 §4.5.3.2.7).
    fn default() -> ReceiverOptions {
        ReceiverOptions {
            hostname: "localhost".into(),
            max_message_bytes: 1024 * 1024,
            max_recipients: 100,
            idle_timeout: Duration::from_secs(300),
        }
    }
}

/// A future the handler returns (the same type as `futures::future::BoxFuture`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Stores one received message: the parsed email (its `to` the envelope's recipients) and the
/// raw bytes as received, a `Return-Path` line added. Called once per message; the client is
/// answered when it returns.
pub type Deliver =
    Arc<dyn Fn(InboundEmail, Vec<u8>) -> BoxFuture<'static, Result<(), Refusal>> + Send + Sync>;

/// Why the handler did not take a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// No recipient is a mailbox of ours: answered `550`, the sender gets a bounce.
    #[error("no such mailbox")]
    NoSuchMailbox,
    /// Nothing was stored (the database is down): answered `451`, the sender tries again.
    #[error("try again later: {0}")]
    TryLater(String),
}

/// How long, and how much, a closing connection is read (see `Session::drain`).
const DRAIN_TIME: Duration = Duration::from_secs(2);
const DRAIN_PAUSE: Duration = Duration::from_millis(200);
const MAX_DRAIN_BYTES: usize = 1024 * 1024;

/// Connections served at once; one more is answered `421` and closed.
const MAX_CONNECTIONS: usize = 256;

/// The longest command line (RFC 5321 §4.5.3.1.4 says 512; extensions make some longer).
const MAX_COMMAND_LINE: usize = 1024;

/// Refused commands (5xx) a client may send before it is disconnected (Postfix's
/// `smtpd_hard_error_limit`): a client that keeps guessing is not sending a reply.
const MAX_ERRORS: u32 = 20;

/// Accepts connections on `listener` until `stop` turns `true` (or its sender is dropped),
/// one task per connection; then waits for the connections, each closed with `421` at its next
/// command (a message being handed to `deliver` is finished first).
pub async fn serve(
    listener: TcpListener,
    options: ReceiverOptions,
    deliver: Deliver,
    mut stop: watch::Receiver<bool>,
) {
    let options = Arc::new(options);
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut sessions = JoinSet::new();
    loop {
        if *stop.borrow() {
            break;
        }
        tokio::select! {
            changed = stop.changed() => {
                if changed.is_err() {
                    break;
                }
            }
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let Ok(slot) = slots.clone().try_acquire_owned() else {
                        sessions.spawn(refuse_busy(stream, options.hostname.clone()));
                        continue;
                    };
                    let session = Session::new(stream, peer, options.clone(), deliver.clone(), stop.clone());
                    sessions.spawn(async move {
                        session.run().await;
                        drop(slot);
                    });
                }
                Err(error) => {
                    // Out of file descriptors, most likely: let connections finish.
                    tracing::warn!(%error, "smtp receiver: accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(ended) = sessions.join_next(), if !sessions.is_empty() => log_panic(ended),
        }
    }
    drop(listener);
    while let Some(ended) = sessions.join_next().await {
        log_panic(ended);
    }
}

/// A session that panicked (a handler's bug) lost only its connection: the client was not
/// answered 250 and sends again. It is logged, never hidden.
fn log_panic(ended: Result<(), tokio::task::JoinError>) {
    if let Err(error) = ended
        && error.is_panic()
    {
        tracing::error!(%error, "smtp receiver: a connection's task panicked");
    }
}

async fn refuse_busy(mut stream: TcpStream, hostname: String) {
    let reply = format!("421 4.3.2 {hostname} too many connections, try again later\r\n");
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.write_all(reply.as_bytes())).await;
}

/// What reading a line gave.
enum Line {
    /// The line, its line break included.
    Text,
    /// Longer than allowed: read to its end and dropped.
    TooLong,
    /// The client closed the connection (a partial line is dropped).
    Closed,
}

/// Why a session ends.
#[derive(Clone, Copy)]
enum End {
    Quit,
    Closed,
    Idle,
    Stopping,
    TooManyErrors,
    Io,
}

struct Session {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    peer: SocketAddr,
    options: Arc<ReceiverOptions>,
    deliver: Deliver,
    stop: watch::Receiver<bool>,
    helo: Option<String>,
    /// `Some` inside a transaction: the reverse path (empty for `<>`).
    mail_from: Option<String>,
    recipients: Vec<String>,
    errors: u32,
    line: Vec<u8>,
}

impl Session {
    fn new(
        stream: TcpStream,
        peer: SocketAddr,
        options: Arc<ReceiverOptions>,
        deliver: Deliver,
        stop: watch::Receiver<bool>,
    ) -> Session {
        let (read, writer) = stream.into_split();
        Session {
            reader: BufReader::new(read),
            writer,
            peer,
            options,
            deliver,
            stop,
            helo: None,
            mail_from: None,
            recipients: vec![],
            errors: 0,
            line: Vec::with_capacity(256),
        }
    }

    async fn run(mut self) {
        let greeting = format!("220 {} ESMTP recaudo", self.options.hostname);
        if self.reply(&greeting).await.is_err() {
            return;
        }
        let end = self.commands().await;
        let hostname = self.options.hostname.clone();
        let farewell = match end {
            End::Idle => Some(format!(
                "421 4.4.2 {hostname} idle for too long, closing connection"
            )),
            End::Stopping => Some(format!(
                "421 4.3.2 {hostname} shutting down, try again later"
            )),
            End::TooManyErrors => Some(format!(
                "421 4.7.0 {hostname} too many errors, closing connection"
            )),
            End::Quit | End::Closed | End::Io => None,
        };
        if let Some(farewell) = farewell {
            let _ = self.reply(&farewell).await;
        }
        let _ = self.writer.shutdown().await;
        if !matches!(end, End::Closed | End::Io) {
            self.drain().await;
        }
    }

    /// Reads what the client still sends, briefly and bounded, before the socket is dropped:
    /// closing with unread bytes resets the connection, and the client could lose the last
    /// reply (a `421`) before reading it.
    async fn drain(&mut self) {
        let mut buffer = [0u8; 4096];
        let mut total = 0usize;
        let drain = async {
            // Until the client closes, pauses, or has sent too much.
            while let Ok(Ok(n @ 1..)) =
                tokio::time::timeout(DRAIN_PAUSE, self.reader.read(&mut buffer)).await
            {
                total += n;
                if total > MAX_DRAIN_BYTES {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(DRAIN_TIME, drain).await;
    }

    async fn commands(&mut self) -> End {
        loop {
            if *self.stop.borrow() {
                return End::Stopping;
            }
            let read = match self.read_line(MAX_COMMAND_LINE).await {
                Ok(read) => read,
                Err(end) => return end,
            };
            let reply = match read {
                Line::Closed => return End::Closed,
                Line::TooLong => "500 5.5.2 Line too long".to_string(),
                Line::Text => match self.command().await {
                    Ok(Some(reply)) => reply,
                    Ok(None) => return End::Quit,
                    Err(end) => return end,
                },
            };
            if reply.starts_with('5') {
                self.errors += 1;
            }
            if self.reply(&reply).await.is_err() {
                return End::Io;
            }
            if self.errors >= MAX_ERRORS {
                return End::TooManyErrors;
            }
        }
    }

    /// Answers the command in `self.line`: the reply, `None` after `QUIT`.
    async fn command(&mut self) -> Result<Option<String>, End> {
        let Ok(text) = std::str::from_utf8(trim_crlf(&self.line)) else {
            return Ok(Some("500 5.5.2 Syntax error: not text".into()));
        };
        let text = text.to_string();
        let (verb, argument) = match text.split_once(' ') {
            Some((verb, argument)) => (verb.to_ascii_uppercase(), argument.trim()),
            None => (text.trim().to_ascii_uppercase(), ""),
        };
        let hostname = self.options.hostname.clone();
        let reply = match verb.as_str() {
            "EHLO" | "HELO" if argument.is_empty() => {
                format!("501 5.5.4 {verb} needs the client's name")
            }
            "EHLO" => {
                self.helo = Some(argument.to_string());
                self.reset();
                format!(
                    "250-{hostname} greets {}\r\n250-SIZE {}\r\n250-8BITMIME\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES",
                    printable(argument),
                    self.options.max_message_bytes
                )
            }
            "HELO" => {
                self.helo = Some(argument.to_string());
                self.reset();
                format!("250 {hostname}")
            }
            "MAIL" => self.mail(argument),
            "RCPT" => self.rcpt(argument),
            "DATA" if !argument.is_empty() => "501 5.5.4 DATA takes no argument".into(),
            "DATA" if self.mail_from.is_none() => "503 5.5.1 MAIL first".into(),
            "DATA" if self.recipients.is_empty() => "503 5.5.1 RCPT first".into(),
            "DATA" => return self.data().await.map(Some),
            "RSET" => {
                self.reset();
                "250 2.0.0 Ok".into()
            }
            "NOOP" => "250 2.0.0 Ok".into(),
            "QUIT" => {
                let _ = self.reply(&format!("221 2.0.0 {hostname} closing")).await;
                return Ok(None);
            }
            "VRFY" => "252 2.5.0 Cannot verify the user, but will take a message for it".into(),
            "HELP" => "214 2.0.0 See RFC 5321".into(),
            "EXPN" | "STARTTLS" | "AUTH" | "BDAT" | "ETRN" | "TURN" => {
                format!("502 5.5.1 {verb} not implemented")
            }
            _ => "500 5.5.1 Command unrecognized".into(),
        };
        Ok(Some(reply))
    }

    fn mail(&mut self, argument: &str) -> String {
        if self.helo.is_none() {
            return "503 5.5.1 EHLO or HELO first".into();
        }
        if self.mail_from.is_some() {
            return "503 5.5.1 Nested MAIL command".into();
        }
        let Some(rest) = strip_prefix_ignore_case(argument, "FROM:") else {
            return "501 5.5.4 Syntax: MAIL FROM:<address>".into();
        };
        let Some((path, parameters)) = parse_path(rest) else {
            return "501 5.1.7 Bad sender address syntax".into();
        };
        for parameter in parameters.split_whitespace() {
            let (key, value) = parameter.split_once('=').unwrap_or((parameter, ""));
            match key.to_ascii_uppercase().as_str() {
                "SIZE" => match value.parse::<u64>() {
                    Ok(size) if size > self.options.max_message_bytes as u64 => {
                        return format!(
                            "552 5.3.4 Message too big: at most {} bytes",
                            self.options.max_message_bytes
                        );
                    }
                    Ok(_) => {}
                    Err(_) => return "501 5.5.4 SIZE needs a number".into(),
                },
                "BODY" => {}
                _ => return format!("555 5.5.4 Unsupported parameter {}", printable(key)),
            }
        }
        self.mail_from = Some(path);
        "250 2.1.0 Ok".into()
    }

    fn rcpt(&mut self, argument: &str) -> String {
        if self.mail_from.is_none() {
            return "503 5.5.1 MAIL first".into();
        }
        let Some(rest) = strip_prefix_ignore_case(argument, "TO:") else {
            return "501 5.5.4 Syntax: RCPT TO:<address>".into();
        };
        let Some((path, parameters)) = parse_path(rest) else {
            return "501 5.1.3 Bad recipient address syntax".into();
        };
        if !parameters.trim().is_empty() {
            return "555 5.5.4 RCPT takes no parameters here".into();
        }
        if !path.contains('@') {
            return "550 5.1.1 A recipient needs a domain".into();
        }
        if self.recipients.len() >= self.options.max_recipients {
            return "452 4.5.3 Too many recipients".into();
        }
        self.recipients.push(path);
        "250 2.1.5 Ok".into()
    }

    /// Reads the message after `354`, then parses and delivers it.
    async fn data(&mut self) -> Result<String, End> {
        if self
            .reply("354 End data with <CR><LF>.<CR><LF>")
            .await
            .is_err()
        {
            return Err(End::Io);
        }
        let max = self.options.max_message_bytes;
        let mut message = Vec::with_capacity(max.min(64 * 1024));
        let mut too_big = false;
        loop {
            // A line is never longer than the whole message may be.
            match self.read_line(max + 2).await? {
                Line::Closed => return Err(End::Closed),
                Line::TooLong => too_big = true,
                Line::Text => {
                    let line = self.line.as_slice();
                    if trim_crlf(line) == b"." {
                        break;
                    }
                    let line = line.strip_prefix(b".").unwrap_or(line);
                    if message.len() + line.len() > max {
                        too_big = true;
                        message = Vec::new();
                    }
                    if !too_big {
                        message.extend_from_slice(line);
                    }
                }
            }
        }
        let recipients = std::mem::take(&mut self.recipients);
        let mail_from = self.mail_from.take().unwrap_or_default();
        if too_big {
            return Ok(format!("552 5.3.4 Message too big: at most {max} bytes"));
        }
        let mut raw = format!("Return-Path: <{mail_from}>\r\n").into_bytes();
        raw.extend_from_slice(&message);
        let email = match InboundEmail::from_mime(&message, &recipients) {
            Ok(email) => email,
            Err(error) => {
                tracing::info!(peer = %self.peer, %error, "smtp receiver: message refused");
                return Ok(format!("554 5.6.0 {}", printable(&error.to_string())));
            }
        };
        if email.automatic {
            // An out-of-office or a report is no reply: taken, and not answered by anyone.
            tracing::info!(from = %email.from, "smtp receiver: automatic message ignored");
            return Ok("250 2.0.0 Ok: automatic message, not stored".into());
        }
        Ok(match (self.deliver)(email, raw).await {
            Ok(()) => "250 2.0.0 Ok: stored".into(),
            Err(Refusal::NoSuchMailbox) => "550 5.1.1 No such mailbox here".into(),
            Err(Refusal::TryLater(reason)) => {
                format!("451 4.3.0 Try again later: {}", printable(&reason))
            }
        })
    }

    fn reset(&mut self) {
        self.mail_from = None;
        self.recipients.clear();
    }

    async fn reply(&mut self, text: &str) -> Result<(), End> {
        let mut bytes = Vec::with_capacity(text.len() + 2);
        bytes.extend_from_slice(text.as_bytes());
        bytes.extend_from_slice(b"\r\n");
        match tokio::time::timeout(self.options.idle_timeout, self.writer.write_all(&bytes)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(End::Io),
            Err(_) => Err(End::Idle),
        }
    }

    /// Reads one line into `self.line`, at most `max` bytes with its line break, within the
    /// idle timeout and until the receiver stops.
    async fn read_line(&mut self, max: usize) -> Result<Line, End> {
        let idle = self.options.idle_timeout;
        let mut stop = self.stop.clone();
        let read = read_bounded_line(&mut self.reader, &mut self.line, max);
        tokio::select! {
            read = tokio::time::timeout(idle, read) => match read {
                Ok(Ok(line)) => Ok(line),
                Ok(Err(_)) => Err(End::Io),
                Err(_) => Err(End::Idle),
            },
            _ = stopped(&mut stop) => Err(End::Stopping),
        }
    }
}

/// Resolves when the receiver is told to stop (a dropped sender counts).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    loop {
        if *stop.borrow_and_update() {
            return;
        }
        if stop.changed().await.is_err() {
            return;
        }
    }
}

/// Reads up to and including the next `\n` into `line`, never holding more than `max` bytes:
/// a longer line is read to its end and dropped.
async fn read_bounded_line(
    reader: &mut BufReader<OwnedReadHalf>,
    line: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<Line> {
    line.clear();
    let mut too_long = false;
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(Line::Closed);
        }
        let (chunk, complete) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..=i], true),
            None => (available, false),
        };
        let used = chunk.len();
        if !too_long {
            if line.len() + chunk.len() > max {
                too_long = true;
                line.clear();
            } else {
                line.extend_from_slice(chunk);
            }
        }
        reader.consume(used);
        if complete {
            return Ok(if too_long { Line::TooLong } else { Line::Text });
        }
    }
}

fn trim_crlf(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// `<path> parameters` (a space after the colon tolerated) → the address (a source route
/// dropped, `<>` empty) and the parameters; `None` when it is not one.
fn parse_path(text: &str) -> Option<(String, &str)> {
    let text = text.trim_start();
    let rest = text.strip_prefix('<')?;
    let end = rest.find('>')?;
    let inner = &rest[..end];
    let parameters = &rest[end + 1..];
    // `<@relay.example:user@example.com>`: the route is obsolete and ignored.
    let address = match inner.strip_prefix('@') {
        Some(routed) => routed.split_once(':')?.1,
        None => inner,
    };
    let valid = address.len() <= 254
        && !address
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>'));
    valid.then(|| (address.to_string(), parameters))
}

/// What a client sent or an error said, safe on one reply line: printable ASCII, bounded.
fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .take(200)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_read_with_routes_parameters_and_the_null_path() {
        assert_eq!(
            parse_path("<ana@example.net> SIZE=10 BODY=8BITMIME"),
            Some(("ana@example.net".to_string(), " SIZE=10 BODY=8BITMIME"))
        );
        assert_eq!(parse_path(" <>"), Some((String::new(), "")));
        assert_eq!(
            parse_path("<@relay.example:ana@example.net>"),
            Some(("ana@example.net".to_string(), ""))
        );
        for bad in [
            "ana@example.net",
            "<ana@example.net",
            "<a b@c>",
            "<@relay>",
            "",
        ] {
            assert_eq!(parse_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn replies_never_carry_line_breaks_or_unbounded_text() {
        assert_eq!(printable("a\r\n250 forged"), "a??250 forged");
        assert_eq!(printable(&"x".repeat(500)).len(), 200);
        assert_eq!(
            strip_prefix_ignore_case("from:<a@b>", "FROM:"),
            Some("<a@b>")
        );
        assert_eq!(strip_prefix_ignore_case("fé", "FROM:"), None);
    }

    proptest::proptest! {
        #[test]
        fn any_path_parses_or_fails_without_panicking(text in ".{0,60}") {
            let _ = parse_path(&text);
            let _ = strip_prefix_ignore_case(&text, "FROM:");
        }
    }
}
