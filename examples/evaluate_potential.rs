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
use eqv::zoo::nequip;

use args::Args;
use eqv::data::{read_extxyz, write_extxyz};
use eqv::train::{
    check_writable, evaluate, metric_text, metrics_json, read_trained, write_report, GraphEstimate,
    GraphLimits, LossWeights, PredictionStorage,
};
use serde_json::Value;
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

/// The NequIP config stored in a checkpoint, every value checked: a
/// damaged or hand-edited config is an error naming the entry, never a
/// panic in the model's constructor.
fn nequip_config(config: &Value, cutoff: f64, file: &Path) -> Result<nequip::NequipConfig, String> {
    let bad = |m: String| format!("{}: config {m}", file.display());
    let count = |k: &str| -> Result<usize, String> {
        let v = config.get(k).ok_or_else(|| bad(format!("has no `{k}`")))?;
        match v.as_u64() {
            Some(n) if n >= 1 => {
                usize::try_from(n).map_err(|_| bad(format!("`{k}` = {v} is too large")))
            }
            _ => Err(bad(format!("`{k}` = {v} must be a whole number ≥ 1"))),
        }
    };
    let positive = |k: &str| -> Result<f64, String> {
        let v = config.get(k).ok_or_else(|| bad(format!("has no `{k}`")))?;
        match v.as_f64() {
            Some(x) if x.is_finite() && x > 0.0 => Ok(x),
            _ => Err(bad(format!("`{k}` = {v} must be a positive number"))),
        }
    };
    let config_cutoff = positive("cutoff")?;
    if config_cutoff != cutoff {
        return Err(bad(format!(
            "`cutoff` = {config_cutoff} differs from the checkpoint's cutoff {cutoff}"
        )));
    }
    let mut cfg = nequip::nequip_config(
        count("species")?,
        count("channels")?,
        count("vectors")?,
        count("layers")?,
        cutoff,
    );
    cfg.n_basis = count("n_basis")?;
    cfg.interactions.n_basis = cfg.n_basis;
    cfg.scale = positive("scale")?;
    Ok(cfg)
}

fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    let model_arg = args
        .path("model")
        .unwrap_or_else(|| PathBuf::from("target/train_potential"));
    let weights = if model_arg.is_dir() {
        model_arg.join("model.safetensors")
    } else {
        model_arg
    };
    let data = args.path("data").ok_or("--data FILE.extxyz is required")?;
    if let Some(report) = args.path("report") {
        check_writable(&report).map_err(|e| format!("--report: {e}"))?;
    }
    // Every check of the file (checksum, finite weights, versions, the
    // sidecar from the same save) before anything is built.
    let trained = read_trained(&weights)?;
    if trained.model_name != "Nequip" {
        return Err(format!(
            "{}: holds a `{}`, this command evaluates `Nequip`",
            weights.display(),
            trained.model_name
        )
        .into());
    }
    let cfg = nequip_config(&trained.config, trained.cutoff, &weights)?;
    if cfg.species != trained.reference.species().len() {
        return Err(format!(
            "{}: config has {} species but the reference energies {}",
            weights.display(),
            cfg.species,
            trained.reference.species().len()
        )
        .into());
    }
    let mut model = nequip::Nequip::new(&cfg, 0);
    trained.checkpoint.load_into(&mut model, "Nequip")?;
    let reference = trained.reference;
    let frames = read_extxyz(&data)?;
    GraphEstimate::of(&frames, cfg.cutoff)
        .check(&GraphLimits::default())
        .map_err(|m| format!("{}: {m}", data.display()))?;
    let (metrics, predictions) = evaluate(
        &model,
        &frames,
        cfg.cutoff,
        &reference,
        LossWeights::default(),
    )?;
    let storage = if args.flag("replace") {
        PredictionStorage::Replace
    } else {
        PredictionStorage::Extra
    };
    let predicted = eqv::train::predict_frames(&model, &frames, cfg.cutoff, &reference, storage)?;
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
    println!("predictions -> {}", out.display());
    if let Some(path) = args.path("report") {
        write_report(&path, &metrics_json(&metrics))?;
    }
    Ok(())
}
