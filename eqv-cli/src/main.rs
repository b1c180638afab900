//! `eqv`: train, evaluate and inspect equivariant interatomic potentials.
//!
//! ```text
//! eqv train --config run.toml
//! eqv evaluate --model target/train_potential --data test.extxyz
//! eqv md --model target/train_potential --ensemble nvt
//! eqv inspect target/train_potential
//! ```
#![forbid(unsafe_code)]

use std::ffi::OsString;
use std::process::ExitCode;

const USAGE: &str = "\
eqv: E(3)-equivariant interatomic potentials, correct by construction

Usage: eqv <COMMAND> [OPTIONS]

Commands:
  train      Train a potential on energies and forces (extended XYZ)
  evaluate   Metrics and predictions of a trained checkpoint on a data file
  md         Molecular dynamics (NVE, NVT, NPT) with a trained checkpoint
  inspect    What a checkpoint holds (and whether it loads)

`eqv <COMMAND> --help` lists a command's options.";

fn main() -> ExitCode {
    let mut argv: Vec<OsString> = std::env::args_os().collect();
    if argv.len() < 2 {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    let command = argv.remove(1);
    // The subcommand parses the rest, with `eqv <command>` as its name.
    match command.to_str() {
        Some("train") => eqv_cli::train::main("eqv train", argv, "eqv_run"),
        Some("evaluate") => eqv_cli::evaluate::main("eqv evaluate", argv),
        Some("md") => eqv_cli::md::main("eqv md", argv),
        Some("inspect") => eqv_cli::inspect::main("eqv inspect", argv),
        Some("--help" | "-h" | "help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some("--version" | "-V") => {
            println!("eqv {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!(
                "error: unknown command `{}`\n\n{USAGE}",
                command.to_string_lossy()
            );
            ExitCode::from(2)
        }
    }
}
