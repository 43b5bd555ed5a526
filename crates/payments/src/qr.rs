//! The QR image of a BR Code: a PNG, 8-bit grayscale, with the 4-module quiet zone readers
//! need around the symbol.

use qrcode::{Color, EcLevel, QrCode};

/// Modules of white around the symbol (ISO/IEC 18004).
pub const QUIET_ZONE: u32 = 4;
/// Largest pixels per module: a 177-module symbol at 32 stays under 6,000 pixels a side.
pub const MAX_SCALE: u32 = 32;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QrError {
    #[error("the text does not fit in a QR code: {0}")]
    Encode(String),
    #[error("scale must be 1–{MAX_SCALE} pixels per module, got {0}")]
    Scale(u32),
    #[error("PNG encoding failed: {0}")]
    Png(String),
}

/// A PNG of `text` as a QR code (error correction M), `scale` pixels per module.
pub fn png(text: &str, scale: u32) -> Result<Vec<u8>, QrError> {
    if !(1..=MAX_SCALE).contains(&scale) {
        return Err(QrError::Scale(scale));
    }
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| QrError::Encode(e.to_string()))?;
    let modules = u32::try_from(code.width()).map_err(|e| QrError::Encode(e.to_string()))?;
    let colors = code.to_colors();
    let side_modules = modules + 2 * QUIET_ZONE;
    let side = side_modules * scale;
    let mut pixels = vec![0xFFu8; (side as usize) * (side as usize)];
    for (i, color) in colors.iter().enumerate() {
        if *color != Color::Dark {
            continue;
        }
        let i = i as u32;
        let (mx, my) = (i % modules + QUIET_ZONE, i / modules + QUIET_ZONE);
        for y in my * scale..(my + 1) * scale {
            let row = (y * side) as usize;
            pixels[row + (mx * scale) as usize..row + ((mx + 1) * scale) as usize].fill(0);
        }
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, side, side);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder
            .write_header()
            .map_err(|e| QrError::Png(e.to_string()))?;
        writer
            .write_image_data(&pixels)
            .map_err(|e| QrError::Png(e.to_string()))?;
        writer.finish().map_err(|e| QrError::Png(e.to_string()))?;
    }
    Ok(out)
}
