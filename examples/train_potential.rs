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
//! Everything the run writes goes to `--out` (default
//! `target/train_potential`): the data it made, the best checkpoint
//! (`model.safetensors` + `model.json`), the learning curve
//! (`learning_curve.svg`), validation predictions (`valid_predictions.extxyz`)
//! and the JSON report. `evaluate_potential` reloads the checkpoint.

#[path = "support/args.rs"]
mod args;
#[path = "models/nequip.rs"]
mod nequip;
#[path = "support/run.rs"]
mod run;

use args::Args;

use std::process::ExitCode;

const ABOUT: &str =
    "Train a NequIP-like equivariant potential on energies and forces (extended XYZ).";

fn main() -> ExitCode {
    let args = match Args::parse(ABOUT, run::OPTIONS) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match run::run(&args, "Nequip", "target/train_potential", build) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The NequIP-like model with the sizes given on the command line.
fn build(setup: &run::Setup) -> Result<(nequip::Nequip, serde_json::Value), String> {
    let a = setup.args;
    let (channels, vectors, layers) = if setup.smoke { (4, 2, 1) } else { (16, 8, 2) };
    let channels = a.get_or("channels", channels)?;
    let vectors = a.get_or("vectors", vectors)?;
    let layers = a.get_or("layers", layers)?;
    let n_basis = a.get_or("n-basis", 8)?;
    let seed = a.get_or("seed", 0u64)?;
    let mut cfg = nequip::nequip_config(setup.species, channels, vectors, layers, setup.cutoff);
    cfg.n_basis = n_basis;
    cfg.interactions.n_basis = n_basis;
    cfg.scale = setup.force_rms;
    let json = serde_json::json!({
        "species": setup.species, "channels": channels, "vectors": vectors,
        "layers": layers, "n_basis": n_basis, "cutoff": setup.cutoff, "scale": setup.force_rms,
    });
    Ok((nequip::Nequip::new(&cfg, seed), json))
}
