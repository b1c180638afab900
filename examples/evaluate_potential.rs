//! The evaluation command: load a checkpoint written by `train_potential`,
//! predict every frame of an extended XYZ file, report the metrics the field
//! uses, and write the predictions as extended XYZ.
//!
//! ```text
//! cargo run --release --example evaluate_potential -- --data test.extxyz
//! cargo run --release --example evaluate_potential -- --model target/train_potential --data test.extxyz --out predicted.extxyz
//! ```

#[path = "support/args.rs"]
mod args;
#[path = "support/load.rs"]
mod load;
#[path = "models/nequip.rs"]
mod nequip;

use args::Args;
use eqv::data::{read_extxyz, write_extxyz};
use eqv::train::{
    check_writable, evaluate, metric_text, metrics_json, write_report, GraphEstimate, GraphLimits,
    LossWeights, PredictionStorage,
};
use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const OPTIONS: args::Spec = &[
    (
        "model",
        true,
        "the checkpoint: a directory with model.safetensors, or the .safetensors file (default target/train_potential)",
    ),
    ("data", true, "frames to predict, extended XYZ (required)"),
    (
        "out",
        true,
        "where to write the predictions (default: predictions.extxyz beside the checkpoint)",
    ),
    ("report", true, "write the metrics as JSON here"),
    (
        "replace",
        false,
        "store predictions as energy/forces instead of eqv_energy/eqv_forces",
    ),
];

fn main() -> ExitCode {
    let result = Args::parse(
        "Evaluate a trained potential on an extended XYZ file.",
        OPTIONS,
    )
    .map_err(Into::into)
    .and_then(|a| run(&a));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    let model_arg = args
        .path("model")
        .unwrap_or_else(|| PathBuf::from("target/train_potential"));
    let data = args.path("data").ok_or("--data FILE.extxyz is required")?;
    if let Some(report) = args.path("report") {
        check_writable(&report).map_err(|e| format!("--report: {e}"))?;
    }
    let load::Loaded {
        model,
        cutoff,
        reference,
        epoch,
        weights,
    } = load::load_nequip(&model_arg)?;
    let frames = read_extxyz(&data)?;
    GraphEstimate::of(&frames, cutoff)
        .check(&GraphLimits::default())
        .map_err(|m| format!("{}: {m}", data.display()))?;
    let (metrics, predictions) =
        evaluate(&model, &frames, cutoff, &reference, LossWeights::default())?;
    let storage = if args.flag("replace") {
        PredictionStorage::Replace
    } else {
        PredictionStorage::Extra
    };
    let predicted = eqv::train::predict_frames(&model, &frames, cutoff, &reference, storage)?;
    let out = args.path("out").unwrap_or_else(|| {
        weights
            .parent()
            .unwrap_or(Path::new("."))
            .join("predictions.extxyz")
    });
    write_extxyz(&out, &predicted)?;
    println!(
        "{} frames from {} (checkpoint {}, epoch {})",
        predictions.energies.len(),
        data.display(),
        weights.display(),
        epoch
    );
    println!(
        "energy MAE {} meV/atom, RMSE {} meV/atom",
        metric_text(metrics.energy_mae_mev_per_atom, 2),
        metric_text(metrics.energy_rmse_mev_per_atom, 2)
    );
    println!(
        "force  MAE {} meV/Å,   RMSE {} meV/Å",
        metric_text(metrics.force_mae_mev_per_a, 1),
        metric_text(metrics.force_rmse_mev_per_a, 1)
    );
    if metrics.stress_mae_mev_per_a3.is_finite() {
        println!(
            "stress MAE {} meV/Å³, RMSE {} meV/Å³",
            metric_text(metrics.stress_mae_mev_per_a3, 2),
            metric_text(metrics.stress_rmse_mev_per_a3, 2)
        );
    }
    println!("predictions -> {}", out.display());
    if let Some(path) = args.path("report") {
        write_report(&path, &metrics_json(&metrics))?;
    }
    Ok(())
}
