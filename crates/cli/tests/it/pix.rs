//! `recaudo pix`, run as a user runs it: the printed BR Code parses back; bad flags are named.
//! Needs no database.

use std::process::{Command, Output};

use recaudo_payments::providers::pix::brcode::parse;

fn recaudo(args: &[&str], dir: &std::path::Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_recaudo"))
        .arg("pix")
        .args(args)
        .current_dir(dir)
        .env_remove("RECAUDO_DATABASE_URL")
        .output()
        .expect("run recaudo")
}

#[test]
fn prints_a_br_code_that_parses_back_and_writes_its_png() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = recaudo(
        &[
            "--key",
            "cobranca@empresa.com.br",
            "--name",
            "Companhia Açaí",
            "--city",
            "São Paulo",
            "--amount",
            "12.34",
            "--txid",
            "FAT123",
            "--info",
            "Fatura 123",
            "--png",
            "pix.png",
        ],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let parsed = parse(text.trim()).expect("a valid BR Code");
    assert_eq!(parsed.key.as_deref(), Some("cobranca@empresa.com.br"));
    assert_eq!(parsed.name, "COMPANHIA ACAI");
    assert_eq!(parsed.city, "SAO PAULO");
    assert_eq!(
        parsed.amount.map(|a| a.to_string()).as_deref(),
        Some("12.34")
    );
    assert_eq!(parsed.txid.as_deref(), Some("FAT123"));
    assert_eq!(parsed.info.as_deref(), Some("FATURA 123"));
    let png = std::fs::read(dir.path().join("pix.png")).expect("the PNG was written");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
}

#[test]
fn errors_name_the_flag() {
    let dir = tempfile::tempdir().expect("temp dir");
    let base = [
        ("--key", "cobranca@empresa.com.br"),
        ("--name", "Empresa"),
        ("--city", "Recife"),
        ("--amount", "12.34"),
        ("--txid", "FAT123"),
    ];
    for (flag, bad) in [
        ("--key", "not-a-key"),
        ("--name", "Uma Empresa de Nome Comprido Demais"),
        ("--city", "Cidade de Nome Longo"),
        ("--amount", "12.345"),
        ("--amount", "doze"),
        ("--txid", "FAT-123"),
    ] {
        let mut args = Vec::new();
        for (name, value) in base {
            args.push(name);
            args.push(if name == flag { bad } else { value });
        }
        let out = recaudo(&args, dir.path());
        assert!(!out.status.success(), "{flag} {bad} was accepted");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(flag), "{flag} {bad}: {stderr}");
        assert!(out.stdout.is_empty());
    }
}
