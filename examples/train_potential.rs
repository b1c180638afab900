//! The main job: train an equivariant potential declared with
//! `#[equivariant]` — by default the MACE-style model of `eqv::zoo::mace`
//! (correlation order 3), or the NequIP-like model of `eqv::zoo::nequip`
//! with `--model nequip` — on energies, forces and (periodic frames)
//! stresses with the trainer's default recipe, and report how good it is —
//! on held-out frames and in molecular dynamics.
//!
//! With no arguments it makes its own data — short molecular-dynamics runs
//! of silicon under the Stillinger–Weber potential (whose three-body angular
//! term a pair-distance model cannot learn), written as extended XYZ — then
//! trains, validates, and prints the metrics the field reports and the
//! trained model's measured equivariance error; then runs a short NVE MD of
//! the trained model beside the Stillinger–Weber reference from the same
//! start and reports the energy drift and the distance between their radial
//! distribution functions (`--md-steps`).
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
//! curve (`learning_curve.svg`), validation and test predictions, the MD
//! check (`rdf.svg`, `md_model.log`, `md_reference.log`) and the JSON
//! report, which quotes the test metrics and the MD check.
//! `evaluate_potential` (or `eqv evaluate`) reloads the checkpoint; the `md`
//! example (`eqv md`) runs MD with it.
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
