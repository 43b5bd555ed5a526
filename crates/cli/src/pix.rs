//! `recaudo pix …`: a PIX BR Code for one payment, printed as "copia e cola" text and
//! optionally drawn as a QR image (docs/payments.md).

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use recaudo_domain::{Currency, Money};
use recaudo_payments::providers::pix::brcode::{self, BrCode, BrCodeError};

#[derive(Args, Debug)]
pub struct PixArgs {
    /// The receiver's PIX key: e-mail, +55 phone, CPF/CNPJ digits or random key (UUID).
    #[arg(long)]
    key: String,
    /// The receiver's name (accents are folded off; at most 25 characters).
    #[arg(long)]
    name: String,
    /// The receiver's city (at most 15 characters).
    #[arg(long)]
    city: String,
    /// The amount in BRL, e.g. 12.34.
    #[arg(long)]
    amount: String,
    /// The transaction id: 1–25 characters of A-Z, a-z, 0-9.
    #[arg(long)]
    txid: String,
    /// A message shown to the payer.
    #[arg(long)]
    info: Option<String>,
    /// Also write the QR code as a PNG to FILE.
    #[arg(long, value_name = "FILE")]
    png: Option<PathBuf>,
}

/// The flag a BR Code field comes from.
fn flag(error: &BrCodeError) -> &'static str {
    match error {
        BrCodeError::Field { field, .. } | BrCodeError::Missing { field } => match *field {
            "26.01" => "--key",
            "59" => "--name",
            "60" => "--city",
            "54" => "--amount",
            "62.05" => "--txid",
            _ => "--info",
        },
        BrCodeError::Syntax { .. } | BrCodeError::Crc { .. } => "--key",
    }
}

pub fn run(args: PixArgs) -> anyhow::Result<()> {
    let amount = Money::parse_amount(&args.amount, Currency::Brl)
        .map_err(|e| anyhow::anyhow!("--amount: {e}"))?;
    let code = brcode::build(&BrCode {
        key: args.key,
        name: args.name,
        city: args.city,
        amount,
        txid: Some(args.txid),
        info: args.info,
    })
    .map_err(|e| anyhow::anyhow!("{}: {e}", flag(&e)))?;
    if let Some(path) = &args.png {
        let image = recaudo_payments::qr::png(&code, 8).context("drawing the QR code")?;
        std::fs::write(path, image)
            .with_context(|| format!("--png: writing {}", path.display()))?;
    }
    println!("{code}");
    Ok(())
}
