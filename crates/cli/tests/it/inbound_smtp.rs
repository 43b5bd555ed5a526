//! `recaudo serve` with its SMTP receiver on: an email reply sent by a real SMTP client
//! (Python's `smtplib`) is stored, matched to its debtor by the sender and acted on, before the
//! client gets its 250.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use recaudo_domain::portfolio::{Channel, Consent, ConsentStatus, DebtStatus};
use recaudo_domain::{Country, Money};
use recaudo_store::{NewContactPoint, NewDebt, NewDebtor, NewTenant, Store};

const REPLY: &str = "Buenos días, no reconozco esta deuda, nunca tuve ese servicio.\n\n\
El lun, 7 dic 2026 a las 10:00, Cobranzas <cobranza@example.com> escribió:\n\
> Le recordamos que su saldo vence hoy.\n> Pague antes del viernes\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_takes_an_email_reply_over_smtp_and_acts_on_it() {
    let url = recaudo_store::testing::fresh_sqlite_url();
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let now = chrono::Utc::now();
    let tk = store
        .create_tenant(NewTenant::in_country("Mail Test", Country::Co), now)
        .await
        .unwrap();
    let ts = store.tenant(&tk.tenant);
    let debtor = ts
        .create_debtor(
            NewDebtor {
                external_id: "m-1".into(),
                name: "Ana Torres".into(),
                ..Default::default()
            },
            now,
        )
        .await
        .unwrap();
    ts.add_contact_point(
        debtor.id,
        NewContactPoint {
            channel: Channel::Email,
            address: Some("ana@example.com".into()),
            postal: None,
            consent: Consent {
                status: ConsentStatus::Granted,
                source: Some("contract".into()),
                at: Some(now),
            },
            priority: None,
        },
        now,
    )
    .await
    .unwrap();
    let debt = ts
        .create_debt(
            NewDebt {
                debtor_id: debtor.id,
                external_id: "m-INV-1".into(),
                amount: Money::from_minor(9_000_000, Country::Co.currency()),
                balance: None,
                issued_on: None,
                due_on: now.date_naive(),
                product: None,
            },
            now,
        )
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let port = {
        let socket = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        socket.local_addr().unwrap().port()
    };
    std::fs::write(
        dir.path().join("recaudo.toml"),
        format!(
            "[planner]\nenabled = false\n[dispatch]\nenabled = false\n[log]\nformat = \"text\"\n\
             [inbound_smtp]\nenabled = true\nlisten = \"127.0.0.1:{port}\"\ntenant = \"{}\"\n",
            tk.tenant.id
        ),
    )
    .unwrap();
    let log = std::fs::File::create(dir.path().join("serve.log")).unwrap();
    let mut serve = Command::new(env!("CARGO_BIN_EXE_recaudo"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env("RECAUDO_DATABASE_URL", &url)
        .env_remove("RECAUDO_SERVER__ADDR")
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Some(status) = serve.try_wait().unwrap() {
            let log = std::fs::read_to_string(dir.path().join("serve.log")).unwrap_or_default();
            panic!("recaudo serve exited ({status}): {log}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the receiver never listened"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let script = format!(
        "import smtplib, sys\n\
         from email.message import EmailMessage\n\
         m = EmailMessage()\n\
         m['From'] = 'Ana Torres <Ana@Example.com>'\n\
         m['To'] = 'cobranza@reply.example.com'\n\
         m['Subject'] = 'Re: Su saldo'\n\
         m['Message-ID'] = '<r1@example.com>'\n\
         m.set_content(sys.stdin.read())\n\
         s = smtplib.SMTP('127.0.0.1', {port}, timeout=30)\n\
         print(s.send_message(m))\n\
         s.quit()\n"
    );
    let mut python = Command::new("python3")
        .args(["-c", &script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    python
        .stdin
        .take()
        .unwrap()
        .write_all(REPLY.as_bytes())
        .unwrap();
    let sent = python.wait_with_output().unwrap();
    let _ = serve.kill();
    let _ = serve.wait();
    let log = std::fs::read_to_string(dir.path().join("serve.log")).unwrap_or_default();
    assert!(
        sent.status.success(),
        "smtplib: {} {}\n{log}",
        String::from_utf8_lossy(&sent.stdout),
        String::from_utf8_lossy(&sent.stderr)
    );
    // Acknowledged only once stored and acted on.
    let messages = ts.recent_messages(10).await.unwrap();
    assert_eq!(messages.len(), 1, "{log}");
    let message = &messages[0];
    assert_eq!(message.channel, Channel::Email);
    assert_eq!(message.debtor_id, Some(debtor.id), "matched by the sender");
    assert_eq!(message.intent.as_deref(), Some("dispute"), "{message:?}");
    assert!(
        !message.text.contains("Pague antes"),
        "read without the quote"
    );
    assert_eq!(
        ts.get_debt(debt.id).await.unwrap().status,
        DebtStatus::Disputed
    );
}
