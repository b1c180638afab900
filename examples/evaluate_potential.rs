//! The evaluation command: load a checkpoint written by `train_potential`,
//! predict every frame of an extended XYZ file, report the metrics the field
//! uses, and write the predictions as extended XYZ. This is `eqv evaluate`
//! (the `eqv-cli` crate).
//!
//! ```text
//! cargo run --release --example evaluate_potential -- --data test.extxyz
//! cargo run --release --example evaluate_potential -- --model target/train_potential --data test.extxyz --out predicted.extxyz
//! ```

use std::process::ExitCode;

fn main() -> ExitCode {
    eqv_cli::evaluate::main("evaluate_potential", std::env::args_os())
}
