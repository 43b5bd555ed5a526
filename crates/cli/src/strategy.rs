//! `recaudo strategy …`: collection strategies (format: docs/strategies.md).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use recaudo_domain::strategy::{is_builtin_template, parse_strategy};

#[derive(Subcommand, Debug)]
pub enum StrategyCommand {
    /// Check a strategy file. Prints `ok: ID vVERSION, N steps` and exits 0, or prints one line per
    /// error, `FILE:LINE:COL: path: message`, on standard error and exits 1 (2: the file cannot be read).
    Validate {
        /// The strategy, a YAML file.
        file: PathBuf,
    },
}

/// Runs a `strategy` command. It needs no configuration or database.
pub fn run(command: StrategyCommand) -> ExitCode {
    match command {
        StrategyCommand::Validate { file } => validate(&file),
    }
}

fn validate(file: &Path) -> ExitCode {
    let source = match std::fs::read_to_string(file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", file.display());
            return ExitCode::from(2);
        }
    };
    // Templates are not managed yet: the built-in names are the known ones.
    match parse_strategy(&source, &is_builtin_template) {
        Ok(compiled) => {
            let s = &compiled.strategy;
            let n = s.steps.len();
            println!(
                "ok: {} v{}, {n} {}",
                s.id,
                s.version,
                if n == 1 { "step" } else { "steps" }
            );
            ExitCode::SUCCESS
        }
        Err(errors) => {
            let mut out = String::new();
            for e in errors {
                out.push_str(&format!("{}:{e}\n", file.display()));
            }
            eprint!("{out}");
            ExitCode::FAILURE
        }
    }
}
