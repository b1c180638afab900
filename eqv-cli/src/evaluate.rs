//! `eqv evaluate`: load a trained checkpoint (any zoo architecture), predict
//! every frame of an extended XYZ file, report the metrics the field uses,
//! and write the predictions as extended XYZ.
//!
//! ```text
//! eqv evaluate --data test.extxyz
//! eqv evaluate --model target/train_potential --data test.extxyz --out predicted.extxyz
//! ```

use crate::options::{exit_code, Args, Spec};
use eqv::data::{read_extxyz, write_extxyz};
use eqv::train::{
    check_writable, evaluate, metric_text, metrics_json, write_report, GraphEstimate, GraphLimits,
    LossWeights, PredictionStorage,
};
use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// What `evaluate` says about itself.
pub const ABOUT: &str = "Evaluate a trained potential on an extended XYZ file.";

/// The options of `evaluate`.
pub const OPTIONS: Spec = &[
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

/// Parses `argv` (program name first) and evaluates: the whole `evaluate`
/// subcommand, and the `evaluate_potential` example.
pub fn main<I, T>(name: &'static str, argv: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    match Args::parse_for_main(name, ABOUT, OPTIONS, argv) {
        Ok(args) => exit_code(run(&args)),
        Err(code) => code,
    }
}

/// Evaluates the checkpoint `--model` on `--data`.
pub fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    let model_arg = args
        .path("model")
        .unwrap_or_else(|| PathBuf::from("target/train_potential"));
    let data = args.path("data").ok_or("--data FILE.extxyz is required")?;
    if let Some(report) = args.path("report") {
        check_writable(&report).map_err(|e| format!("--report: {e}"))?;
    }
    // Every check of the file (checksum, finite weights, versions, the
    // config) before anything is built.
    let trained = eqv::zoo::load(&model_arg)?;
    let weights = trained.path.clone();
    let (model, reference, cutoff) = (&trained.model, &trained.reference, trained.cutoff);
    let frames = read_extxyz(&data)?;
    GraphEstimate::of(&frames, cutoff)
        .check(&GraphLimits::default())
        .map_err(|m| format!("{}: {m}", data.display()))?;
    let (metrics, predictions) =
        evaluate(model, &frames, cutoff, reference, LossWeights::default())?;
    let storage = if args.flag("replace") {
        PredictionStorage::Replace
    } else {
        PredictionStorage::Extra
    };
    let predicted = eqv::train::predict_frames(model, &frames, cutoff, reference, storage)?;
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
        trained.epoch
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
