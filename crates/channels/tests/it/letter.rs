//! Letters: the PDF's structure (header, cross-reference offsets), its text in WinAnsi, the
//! sidecar, the daily batch and manifest, and the refusal of a letter without an address.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

use recaudo_channels::providers::letter::{self, LetterRecord};
use recaudo_channels::{
    ChannelProvider, Content, EmailContent, LetterContent, OutboundMessage, ProviderConfig,
    ProviderEnv, SendError,
};
use recaudo_domain::portfolio::{Channel, Language, PostalAddress};
use recaudo_domain::{ContactId, Country};

fn provider(dir: &std::path::Path, paper: &str) -> letter::Provider {
    let config: ProviderConfig = serde_json::from_value(serde_json::json!({
        "kind": "letter",
        "sender_lines": ["Acueducto de Bogotá S.A. E.S.P.", "Calle 24 # 37-15", "Bogotá D.C., Colombia"],
        "paper": paper,
    }))
    .expect("a letter configuration");
    match config.build(&ProviderEnv::new(dir.to_path_buf(), None)) {
        Ok(recaudo_channels::Provider::Letter(p)) => p,
        Ok(_) => panic!("a letter configuration builds a letter provider"),
        Err(e) => panic!("refused: {e}"),
    }
}

fn at(hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 2, hour, minute, 0).unwrap()
}

fn letter_to(name: &str, body: &str, now: DateTime<Utc>) -> OutboundMessage {
    OutboundMessage {
        contact_id: ContactId::generate(),
        idempotency_key: format!("{name}:formal_notice"),
        channel: Channel::Letter,
        to: "Carrera 7 # 71-21, Bogotá".into(),
        postal: Some(PostalAddress {
            line1: "Carrera 7 # 71-21, Apto 502".into(),
            line2: Some("Edificio Los Álamos (Torre B)".into()),
            city: "Bogotá".into(),
            region: Some("Cundinamarca".into()),
            postal_code: Some("110231".into()),
            country: Country::Co,
        }),
        recipient_name: name.into(),
        language: Language::Es,
        locale: "es-CO".into(),
        sender_name: "Acueducto de Bogotá".into(),
        content: Content::Letter(LetterContent {
            subject: "Aviso formal de saldo pendiente".into(),
            body: body.into(),
            sender: vec![],
            date_line: "Bogotá, 2 de diciembre de 2026".into(),
        }),
        status_callback: None,
        gather_callback: None,
        reply_token: None,
        segment: None,
        now,
    }
}

const BODY: &str = "Estimada señora Gómez:\n\nLe escribimos para recordarle que su cuenta presenta un saldo pendiente de $ 1.234.567 (factura 2026-11), con vencimiento el 15 de noviembre de 2026.\n\nSi ya realizó el pago, por favor ignore esta carta. Si necesita un acuerdo de pago, con gusto lo atendemos en nuestras oficinas o en https://collect.example.com/p/tok123.\n\nCordialmente,\nÁrea de Cartera";

/// Checks the file's structure: the header, the trailer's `startxref`, and that every in-use
/// cross-reference entry points at its `N 0 obj`. Returns the number of pages it declares.
fn check_structure(pdf: &[u8]) -> usize {
    assert!(pdf.starts_with(b"%PDF-1.4\n"), "a PDF 1.4 header");
    assert!(pdf.ends_with(b"%%EOF\n"));
    let text = String::from_utf8_lossy(pdf);
    let startxref = text.rfind("startxref\n").expect("startxref");
    let xref_at: usize = text[startxref + 10..]
        .lines()
        .next()
        .and_then(|l| l.trim().parse().ok())
        .expect("the xref offset");
    assert_eq!(
        &pdf[xref_at..xref_at + 5],
        b"xref\n",
        "startxref points at xref"
    );
    let table = std::str::from_utf8(&pdf[xref_at..]).expect("the xref table is ASCII");
    let mut lines = table.lines().skip(1);
    let header = lines.next().expect("subsection header");
    let (first, count) = header.split_once(' ').expect("first count");
    assert_eq!(first, "0");
    let count: usize = count.parse().expect("count");
    // Every entry is 20 bytes long.
    let entries = &pdf[xref_at + 5 + header.len() + 1..];
    for n in 0..count {
        let entry = &entries[n * 20..n * 20 + 20];
        assert!(
            entry.ends_with(b" \n") || entry.ends_with(b"\r\n"),
            "{entry:?}"
        );
        let entry = std::str::from_utf8(entry).expect("ascii");
        let offset: usize = entry[..10].parse().expect("offset");
        if n == 0 {
            assert_eq!(entry, "0000000000 65535 f \n");
            continue;
        }
        assert_eq!(&entry[10..18], " 00000 n");
        let expected = format!("{n} 0 obj\n");
        assert_eq!(
            &pdf[offset..offset + expected.len()],
            expected.as_bytes(),
            "object {n} is where the xref says"
        );
    }
    assert!(
        table.contains(&format!("/Size {count}")),
        "the trailer's /Size"
    );
    let pages = text
        .split("/Type /Pages ")
        .nth(1)
        .and_then(|rest| rest.split("/Count ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("the page count");
    assert_eq!(text.matches("/Type /Page /Parent").count(), pages);
    pages
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn a_letter_is_a_pdf_with_the_address_block_and_a_sidecar() {
    let dir = tempfile::tempdir().expect("tempdir");
    let provider = provider(dir.path(), "a4");
    let message = letter_to("Ana María Gómez", BODY, at(15, 0));
    let ack = provider.send(&message).await.expect("written");

    let expected = dir
        .path()
        .join("2026-12-02")
        .join(format!("{}.pdf", message.contact_id));
    assert_eq!(
        ack.provider_message_id,
        format!("letter_{}", message.contact_id)
    );
    assert_eq!(
        ack.artifact.as_deref(),
        Some(expected.to_str().expect("utf-8"))
    );
    let pdf = std::fs::read(&expected).expect("the PDF exists");
    assert_eq!(check_structure(&pdf), 1);
    assert!(contains(&pdf, b"/MediaBox [0 0 595.28 841.89]"), "A4");
    assert!(contains(
        &pdf,
        b"/BaseFont /Helvetica /Encoding /WinAnsiEncoding"
    ));
    assert!(contains(
        &pdf,
        b"/BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding"
    ));
    // The recipient, the amount, the sender, the date, in WinAnsi (í = 0xED, á = 0xE1, ñ = 0xF1).
    assert!(
        contains(&pdf, b"(Ana Mar\xEDa G\xF3mez) Tj"),
        "recipient name"
    );
    assert!(contains(&pdf, b"$ 1.234.567"), "the amount");
    assert!(contains(
        &pdf,
        b"/F2 10 Tf 64 785.89 Td (Acueducto de Bogot\xE1 S.A. E.S.P.) Tj"
    ));
    assert!(contains(&pdf, b"(Bogot\xE1, 2 de diciembre de 2026) Tj"));
    assert!(contains(&pdf, b"(Carrera 7 # 71-21, Apto 502) Tj"));
    assert!(
        contains(&pdf, b"(Edificio Los \xC1lamos \\(Torre B\\)) Tj"),
        "parentheses escaped"
    );
    assert!(contains(&pdf, b"(Bogot\xE1 - Cundinamarca 110231) Tj"));
    assert!(contains(&pdf, b"(COLOMBIA) Tj"));
    assert!(contains(&pdf, b"/F2 11.5 Tf"), "the subject in bold");
    assert!(contains(&pdf, b"(Aviso formal de saldo pendiente) Tj"));
    assert!(contains(&pdf, b"Estimada se\xF1ora G\xF3mez:"));
    assert!(!contains(&pdf, "á".as_bytes()), "no UTF-8 in the content");

    let sidecar: LetterRecord = serde_json::from_slice(
        &std::fs::read(expected.with_extension("json")).expect("the sidecar exists"),
    )
    .expect("the sidecar parses");
    assert_eq!(sidecar.contact_id, message.contact_id);
    assert_eq!(sidecar.pages, 1);
    assert_eq!(sidecar.body, BODY);
    assert_eq!(sidecar.postal, message.postal.clone().expect("postal"));
    // Rebuilding from the sidecar gives the same letter.
    assert_eq!(
        recaudo_channels::providers::letter::pdf::write(&letter::layout(&sidecar)),
        pdf
    );

    // A re-send overwrites the same file.
    provider.send(&message).await.expect("written again");
    let files = std::fs::read_dir(dir.path().join("2026-12-02"))
        .expect("day dir")
        .count();
    assert_eq!(files, 2, "one PDF and one sidecar");
}

#[tokio::test]
async fn a_daily_batch_holds_every_letter_in_order_and_a_manifest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let provider = provider(dir.path(), "letter");
    let long_body = (1..=60)
        .map(|i| format!("Párrafo {i}: le informamos con respeto el detalle de su cuenta, ítem por ítem, para su tranquilidad."))
        .collect::<Vec<_>>()
        .join("\n\n");
    // Sent out of order: the batch follows the sending time.
    let second = letter_to("João \"Jota\" Silva", BODY, at(16, 0));
    let first = letter_to("Ana Gómez", &long_body, at(9, 30));
    let other_day = letter_to("Pedro Pérez", BODY, at(9, 0) + chrono::Duration::days(1));
    for message in [&second, &first, &other_day] {
        provider.send(message).await.expect("written");
    }
    let day = dir.path().join("2026-12-02");
    let first_pages = check_structure(
        &std::fs::read(day.join(format!("{}.pdf", first.contact_id))).expect("pdf"),
    );
    let second_pages = check_structure(
        &std::fs::read(day.join(format!("{}.pdf", second.contact_id))).expect("pdf"),
    );
    assert!(
        first_pages >= 3,
        "a long letter runs over pages: {first_pages}"
    );
    assert_eq!(second_pages, 1);

    let date = NaiveDate::from_ymd_opt(2026, 12, 2).expect("date");
    let (batch, manifest) = letter::daily_batch(dir.path(), date).expect("a batch");
    assert_eq!(batch, day.join("batch.pdf"));
    assert_eq!(manifest, day.join("manifest.csv"));
    let batch_pdf = std::fs::read(&batch).expect("batch");
    assert_eq!(check_structure(&batch_pdf), first_pages + second_pages);
    assert!(
        contains(&batch_pdf, b"/MediaBox [0 0 612 792]"),
        "US letter"
    );
    let ana = batch_pdf
        .windows(b"(Ana G\xF3mez) Tj".len())
        .position(|w| w == b"(Ana G\xF3mez) Tj")
        .expect("Ana's letter");
    let joao = batch_pdf
        .windows(b"(Jo\xE3o \"Jota\" Silva) Tj".len())
        .position(|w| w == b"(Jo\xE3o \"Jota\" Silva) Tj")
        .expect("João's letter");
    assert!(ana < joao, "the batch is in sending order");
    assert!(!contains(&batch_pdf, b"Pedro"), "only the day's letters");
    assert!(
        contains(&batch_pdf, format!("(1 / {first_pages}) Tj").as_bytes()),
        "page numbers"
    );

    let manifest = std::fs::read_to_string(&manifest).expect("manifest");
    let rows: Vec<&str> = manifest.lines().collect();
    assert_eq!(
        rows,
        [
            "contact_id,recipient,address_line1,address_line2,postal_code,city,region,country,pages,file",
            &format!(
                "{},Ana Gómez,\"Carrera 7 # 71-21, Apto 502\",Edificio Los Álamos (Torre B),110231,Bogotá,Cundinamarca,CO,{first_pages},{}.pdf",
                first.contact_id, first.contact_id
            ),
            &format!(
                "{},\"João \"\"Jota\"\" Silva\",\"Carrera 7 # 71-21, Apto 502\",Edificio Los Álamos (Torre B),110231,Bogotá,Cundinamarca,CO,1,{}.pdf",
                second.contact_id, second.contact_id
            ),
        ]
    );

    let empty = NaiveDate::from_ymd_opt(2026, 12, 25).expect("date");
    assert!(letter::daily_batch(dir.path(), empty).is_err());
}

#[tokio::test]
async fn a_letter_without_an_address_or_of_another_channel_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let provider = provider(dir.path(), "a4");
    let mut message = letter_to("Ana", BODY, at(15, 0));
    message.postal = None;
    match provider.send(&message).await {
        Err(SendError::Permanent { code, .. }) => assert_eq!(code, "no_address"),
        other => panic!("a letter without postal is no_address, got {other:?}"),
    }
    let mut blank = letter_to("Ana", BODY, at(15, 0));
    if let Some(postal) = blank.postal.as_mut() {
        postal.line1 = "  ".into();
    }
    assert!(matches!(
        provider.send(&blank).await,
        Err(SendError::Permanent { code, .. }) if code == "no_address"
    ));
    let mut email = letter_to("Ana", BODY, at(15, 0));
    email.content = Content::Email(EmailContent {
        subject: "s".into(),
        text: "t".into(),
        html: "h".into(),
        unsubscribe_url: None,
    });
    assert!(matches!(
        provider.send(&email).await,
        Err(SendError::Permanent { code, .. }) if code == "wrong_channel"
    ));
    assert!(
        !dir.path().join("2026-12-02").exists(),
        "nothing is written for a refused letter"
    );
}

#[test]
fn a_letter_account_needs_a_sender() {
    let config: ProviderConfig = serde_json::from_value(serde_json::json!({
        "kind": "letter",
        "sender_lines": [],
    }))
    .expect("deserializes");
    assert_eq!(
        config.validate().expect_err("refused").field,
        "sender_lines"
    );
    let unknown = serde_json::from_value::<ProviderConfig>(serde_json::json!({
        "kind": "letter",
        "sender_lines": ["A"],
        "paper": "a3",
    }));
    assert!(unknown.is_err(), "a3 is not a paper size we lay out");
}
