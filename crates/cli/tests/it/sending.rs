//! Sending as a user runs it from the command line: `bench dispatch` on a small outbox, and a
//! day's letters gathered for a print house.

use std::process::Command;

use recaudo_channels::{ChannelProvider, OutboundMessage, ProviderConfig, ProviderEnv};

use crate::fixtures;

#[test]
fn bench_dispatch_sends_every_contact_once_and_prints_its_figures() {
    for channel in ["sms", "whatsapp"] {
        let out = Command::new(env!("CARGO_BIN_EXE_recaudo"))
            .args(["bench", "dispatch", "--channel", channel, "--n", "300"])
            .output()
            .expect("runs");
        assert!(out.status.success(), "{}", fixtures::stderr(&out));
        let figures = fixtures::last_json(&out);
        assert_eq!(figures["bench"], "dispatch", "{figures}");
        assert_eq!(figures["channel"], channel, "{figures}");
        assert_eq!(figures["sent"], 300, "{figures}");
        assert_eq!(figures["lost"], 0, "{figures}");
        assert_eq!(figures["duplicates"], 0, "{figures}");
        assert!(
            figures["ratio"].as_f64().is_some_and(|r| r > 0.0),
            "{figures}"
        );
    }
}

/// One letter written by the letter provider into `dir`, as the dispatcher sends it.
async fn write_letter(dir: &std::path::Path, name: &str) {
    let config: ProviderConfig = serde_json::from_value(serde_json::json!({
        "kind": "letter",
        "sender_lines": ["Crédito Andino S.A.S.", "Calle 72 # 10-07", "Bogotá D.C."],
    }))
    .expect("a letter account");
    let provider = config
        .build(&ProviderEnv::new(dir.to_path_buf(), None))
        .expect("builds");
    let message: OutboundMessage = serde_json::from_value(serde_json::json!({
        "contact_id": recaudo_domain::ContactId::generate(),
        "idempotency_key": format!("{name}:final_notice"),
        "channel": "letter",
        "to": "Carrera 7 # 71-21, Bogotá",
        "postal": {
            "line1": "Carrera 7 # 71-21", "city": "Bogotá", "postal_code": "110231", "country": "CO"
        },
        "recipient_name": name,
        "language": "es",
        "locale": "es-CO",
        "sender_name": "Crédito Andino",
        "content": {
            "kind": "letter", "subject": "Aviso final", "sender": [],
            "body": "Le recordamos con respeto el saldo pendiente de su cuenta.",
            "date_line": "Bogotá, 2 de diciembre de 2026"
        },
        "status_callback": null,
        "gather_callback": null,
        "segment": null,
        "now": "2026-12-02T15:00:00Z",
    }))
    .expect("a letter message");
    provider.send(&message).await.expect("written");
}

#[tokio::test]
async fn letters_batch_gathers_a_days_letters_and_names_a_day_without_any() {
    let dir = tempfile::TempDir::new().expect("temp dir");
    write_letter(dir.path(), "Ana Gómez").await;
    write_letter(dir.path(), "Luis Pérez").await;
    let run = |date: &str| {
        Command::new(env!("CARGO_BIN_EXE_recaudo"))
            .args(["letters", "batch", "--date", date, "--dir"])
            .arg(dir.path())
            .output()
            .expect("runs")
    };
    let out = run("2026-12-02");
    assert!(out.status.success(), "{}", fixtures::stderr(&out));
    let printed = fixtures::stdout(&out);
    let paths: Vec<&str> = printed.lines().collect();
    assert_eq!(paths.len(), 2, "{printed}");
    let pdf = std::fs::read(paths[0]).expect("the batch");
    assert!(pdf.starts_with(b"%PDF-1.4"));
    let manifest = std::fs::read_to_string(paths[1]).expect("the manifest");
    assert_eq!(
        manifest.lines().count(),
        3,
        "a header and two letters: {manifest}"
    );
    assert!(manifest.contains("Luis Pérez"), "{manifest}");
    let none = run("2026-12-03");
    assert!(!none.status.success());
    assert!(
        fixtures::stderr(&none).contains("2026-12-03"),
        "{}",
        fixtures::stderr(&none)
    );
}
