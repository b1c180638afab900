//! The main job: train a NequIP-like potential, declared with
//! `#[equivariant]`, on energies and forces, and report how good it is.
//!
//! With no arguments it makes its own data — short molecular-dynamics runs
//! of silicon under the Stillinger–Weber potential (whose three-body angular
//! term a pair-distance model cannot learn), written as extended XYZ — then
//! trains, validates, and prints the metrics the field reports and the
//! trained model's measured equivariance error.
//!
//! ```text
//! cargo run --release --example train_potential
//! cargo run --release --example train_potential -- --data train.extxyz --valid valid.extxyz --report report.json
//! ```
//!
//! This is `eqv train` (the `eqv-cli` crate) with its output in
//! `target/train_potential`: the same options, including `--config`.
//! Everything the run writes goes to `--out` (files of a previous run there
//! are removed first): the data it made, the checkpoint
//! (`model.safetensors`, which describes itself, and `model.json`), the
//! options as `config.toml`, the per-epoch log `epochs.csv`, the learning
//! curve (`learning_curve.svg`), validation and test predictions and the
//! JSON report, which quotes the test metrics. `evaluate_potential` (or
//! `eqv evaluate`) reloads the checkpoint.
//!
//! Ctrl-C finishes the current step, writes the checkpoint and the report,
//! prints where, and exits with code 130; a second Ctrl-C quits at once.

use std::process::ExitCode;

fn main() -> ExitCode {
    eqv_cli::train::main(
        "train_potential",
        std::env::args_os(),
        "target/train_potential",
    )
}
