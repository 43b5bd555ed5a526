//! BR Codes: the exact payload of a worked example, the BCB manual's published static example,
//! field errors, and properties (build → parse round trip; parse never panics).

use proptest::prelude::*;
use recaudo_domain::{Currency, Money};
use recaudo_payments::providers::pix::brcode::{
    BrCode, BrCodeError, build, crc16, merchant_text, parse, validate_key,
};
use rust_decimal::Decimal;

use crate::fixtures::money;

fn example() -> BrCode {
    BrCode {
        key: "cobranca@empresa.com.br".to_string(),
        name: "Companhia Açaí Ltda".to_string(),
        city: "São Paulo".to_string(),
        amount: money("12.3", Currency::Brl),
        txid: Some("TX123".to_string()),
        info: None,
    }
}

#[test]
fn crc16_is_ccitt_false() {
    assert_eq!(crc16(b"123456789"), 0x29B1);
}

#[test]
fn builds_the_fields_in_order_with_their_lengths() {
    let code = build(&example()).expect("a valid BR Code");
    // Written out field by field: ID, two-digit length, value.
    let expected_body = concat!(
        "000201",
        "010212",
        "2645",
        "0014br.gov.bcb.pix",
        "0123cobranca@empresa.com.br",
        "52040000",
        "5303986",
        "540512.30",
        "5802BR",
        "5919COMPANHIA ACAI LTDA",
        "6009SAO PAULO",
        "62090505TX123",
        "6304",
    );
    assert_eq!(&code[..code.len() - 4], expected_body);
    let crc = format!("{:04X}", crc16(expected_body.as_bytes()));
    assert_eq!(&code[code.len() - 4..], crc);
    let parsed = parse(&code).expect("it parses back");
    assert!(parsed.single_use);
    assert_eq!(parsed.key.as_deref(), Some("cobranca@empresa.com.br"));
    assert_eq!(parsed.amount, Some(Decimal::new(1230, 2)));
    assert_eq!(parsed.name, "COMPANHIA ACAI LTDA");
    assert_eq!(parsed.city, "SAO PAULO");
    assert_eq!(parsed.txid.as_deref(), Some("TX123"));
    assert_eq!(parsed.currency, "986");
    assert_eq!(parsed.country, "BR");
}

#[test]
fn reads_the_published_static_example() {
    // The static BR Code of the BCB's "Manual de Padrões para Iniciação do Pix" (a random
    // key, no amount, no txid).
    let published = "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-4266554400005204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D";
    let parsed = parse(published).expect("the published example is valid");
    assert_eq!(
        parsed.key.as_deref(),
        Some("123e4567-e12b-12d1-a456-426655440000")
    );
    assert_eq!(parsed.amount, None);
    assert_eq!(parsed.txid, None);
    assert!(!parsed.single_use);
    assert_eq!(parsed.name, "Fulano de Tal");
    assert_eq!(parsed.city, "BRASILIA");
    assert_eq!(parsed.crc, "1D3D");
}

#[test]
fn a_changed_character_fails_the_crc() {
    let code = build(&example()).expect("a valid BR Code");
    let tampered = code.replace("12.30", "92.30");
    assert!(matches!(parse(&tampered), Err(BrCodeError::Crc { .. })));
}

#[test]
fn bad_fields_are_named() {
    let field = |code: BrCode| match build(&code) {
        Err(BrCodeError::Field { field, .. }) => field,
        other => panic!("expected a field error, got {other:?}"),
    };
    assert_eq!(
        field(BrCode {
            key: "not a key".into(),
            ..example()
        }),
        "26.01"
    );
    assert_eq!(
        field(BrCode {
            key: "52998224726".into(),
            ..example()
        }),
        "26.01"
    );
    assert_eq!(
        field(BrCode {
            name: "Uma Companhia de Nome Muito Comprido".into(),
            ..example()
        }),
        "59"
    );
    assert_eq!(
        field(BrCode {
            name: " · ".into(),
            ..example()
        }),
        "59"
    );
    assert_eq!(
        field(BrCode {
            city: "Santa Bárbara d'Oeste do Norte".into(),
            ..example()
        }),
        "60"
    );
    assert_eq!(
        field(BrCode {
            amount: money("12.30", Currency::Mxn),
            ..example()
        }),
        "54"
    );
    assert_eq!(
        field(BrCode {
            amount: money("0.004", Currency::Brl),
            ..example()
        }),
        "54"
    );
    assert_eq!(
        field(BrCode {
            txid: Some("tx-1".into()),
            ..example()
        }),
        "62.05"
    );
    assert_eq!(
        field(BrCode {
            txid: Some("A".repeat(26)),
            ..example()
        }),
        "62.05"
    );
}

#[test]
fn amounts_round_half_even_to_cents_at_the_edge() {
    let code = build(&BrCode {
        amount: money("10.125", Currency::Brl),
        ..example()
    })
    .expect("valid");
    assert_eq!(
        parse(&code).expect("parses").amount,
        Some(Decimal::new(1012, 2))
    );
}

#[test]
fn keys_of_each_kind() {
    for good in [
        "cobranca@empresa.com.br",
        "+5511987654321",
        "+551133334444",
        "52998224725",
        "11222333000181",
        "123e4567-e12b-12d1-a456-426655440000",
    ] {
        assert_eq!(validate_key(good), Ok(()), "{good}");
    }
    for bad in [
        "",
        "+15551234567",
        "+55119876",
        "5299822472",
        "11222333000182",
        "a@b",
        "123e4567-e12b-12d1-a456",
        "chave aleatória",
    ] {
        assert!(validate_key(bad).is_err(), "{bad}");
    }
}

#[test]
fn parse_names_missing_and_broken_fields() {
    assert_eq!(parse("0002"), Err(BrCodeError::Missing { field: "63" }));
    // A valid CRC over a payload without field 59.
    let body = "00020101021226280014br.gov.bcb.pix0106a@b.co52040000530398654041.005802BR6009SAO PAULO62070503***6304";
    let with_crc = format!("{body}{:04X}", crc16(body.as_bytes()));
    assert_eq!(parse(&with_crc), Err(BrCodeError::Missing { field: "59" }));
    let body = "0002012630 0014br.gov.bcb.pix6304";
    let with_crc = format!("{body}{:04X}", crc16(body.as_bytes()));
    assert!(matches!(parse(&with_crc), Err(BrCodeError::Syntax { .. })));
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9._]{1,20}@[a-z0-9]{1,15}\\.com\\.br",
        "\\+55[1-9][0-9]9[0-9]{8}",
        "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
        Just("52998224725".to_string()),
        Just("11222333000181".to_string()),
    ]
}

fn code() -> impl Strategy<Value = BrCode> {
    (
        key(),
        "[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ ]{0,23}",
        "[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ ]{0,13}",
        1i64..10_000_000_000,
        proptest::option::of("[A-Za-z0-9]{1,25}"),
        proptest::option::of("[A-Za-z0-9 ]{0,20}"),
    )
        .prop_map(|(key, name, city, cents, txid, info)| BrCode {
            key,
            name,
            city,
            amount: Money::from_minor(cents, Currency::Brl),
            txid,
            info,
        })
}

proptest! {
    #[test]
    fn build_then_parse_gives_the_same_payment(code in code()) {
        prop_assume!(!merchant_text(&code.name).is_empty() && !merchant_text(&code.city).is_empty());
        let text = build(&code).expect("a valid input builds");
        prop_assert!(text.is_ascii());
        let parsed = parse(&text).expect("what we build parses");
        prop_assert_eq!(parsed.key.as_deref(), Some(code.key.as_str()));
        prop_assert_eq!(parsed.amount, Some(code.amount.amount));
        prop_assert_eq!(parsed.txid, code.txid);
        prop_assert_eq!(parsed.name, merchant_text(&code.name));
        prop_assert_eq!(parsed.city, merchant_text(&code.city));
        let info = code.info.map(|i| merchant_text(&i)).filter(|i| !i.is_empty());
        prop_assert_eq!(parsed.info, info);
    }

    #[test]
    fn parse_never_panics(text in "\\PC{0,200}") {
        let _ = parse(&text);
    }

    #[test]
    fn parse_never_panics_on_near_valid_payloads(cut in 0usize..120, byte in 0u8..128) {
        let valid = build(&BrCode {
            key: "cobranca@empresa.com.br".to_string(),
            name: "EMPRESA".to_string(),
            city: "RECIFE".to_string(),
            amount: Money::from_minor(1999, Currency::Brl),
            txid: Some("ABC".to_string()),
            info: Some("FATURA 1".to_string()),
        }).expect("valid");
        let mut bytes = valid.into_bytes();
        let at = cut % bytes.len();
        bytes[at] = byte;
        let text = String::from_utf8_lossy(&bytes).to_string();
        let _ = parse(&text);
        let _ = parse(&text[..at.min(text.len())]);
    }
}
