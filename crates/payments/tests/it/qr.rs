//! QR images: zbarimg (a reader not written by us) decodes them back to the BR Code.

use std::path::Path;
use std::process::Command;

use recaudo_domain::Currency;
use recaudo_payments::providers::pix::brcode::{BrCode, build};
use recaudo_payments::qr::{QrError, png};

use crate::fixtures::money;

const ZBARIMG: &str = "/usr/bin/zbarimg";

fn zbarimg_available() -> bool {
    if Path::new(ZBARIMG).exists() {
        return true;
    }
    assert!(
        std::env::var("CI").is_err(),
        "{ZBARIMG} is missing: CI must install it (apt-get install zbar-tools)"
    );
    eprintln!("{ZBARIMG} is not installed: QR decoding test not run (apt-get install zbar-tools)");
    false
}

#[test]
fn the_png_decodes_to_the_br_code() {
    let brcode = build(&BrCode {
        key: "123e4567-e12b-12d1-a456-426655440000".to_string(),
        name: "Companhia Açaí".to_string(),
        city: "Belém".to_string(),
        amount: money("1234.56", Currency::Brl),
        txid: Some("pin01JEXAMPLE000000000001".to_string()),
        info: Some("Fatura F-123".to_string()),
    })
    .expect("a valid BR Code");
    let image = png(&brcode, 4).expect("a PNG");
    assert_eq!(&image[..8], b"\x89PNG\r\n\x1a\n");
    if !zbarimg_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("pix.png");
    std::fs::write(&path, &image).expect("written");
    let out = Command::new(ZBARIMG)
        .args(["--raw", "-q"])
        .arg(&path)
        .output()
        .expect("zbarimg runs");
    assert!(out.status.success(), "zbarimg failed: {out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim_end(), brcode);
}

#[test]
fn the_image_has_a_quiet_zone_and_the_asked_scale() {
    let image = png("00020126", 3).expect("a PNG");
    let decoder = png::Decoder::new(std::io::Cursor::new(image));
    let mut reader = decoder.read_info().expect("a PNG header");
    let info = reader.info().clone();
    assert_eq!(info.width, info.height);
    // Version 1 is 21 modules; 4 of quiet zone each side; 3 pixels a module.
    assert_eq!(info.width, (21 + 8) * 3);
    let mut pixels = vec![0; reader.output_buffer_size().expect("a bounded image")];
    reader.next_frame(&mut pixels).expect("pixels");
    let side = info.width as usize;
    let quiet = 4 * 3;
    for y in 0..side {
        for x in 0..side {
            if x < quiet || y < quiet || x >= side - quiet || y >= side - quiet {
                assert_eq!(
                    pixels[y * side + x],
                    0xFF,
                    "({x}, {y}) is in the quiet zone"
                );
            }
        }
    }
    // The finder pattern's corner is dark.
    assert_eq!(pixels[quiet * side + quiet], 0);
}

#[test]
fn bad_scales_and_oversized_texts_are_refused() {
    assert_eq!(png("x", 0), Err(QrError::Scale(0)));
    assert_eq!(png("x", 33), Err(QrError::Scale(33)));
    assert!(matches!(png(&"x".repeat(4000), 1), Err(QrError::Encode(_))));
}
