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
#[path = "models/mace.rs"]
mod mace;
#[path = "models/nequip.rs"]
mod nequip;

use args::Args;
use eqv::data::{read_extxyz, write_extxyz};
use eqv::graph::EnergyModel;
use eqv::train::{
    check_writable, evaluate, metric_text, metrics_json, read_trained, write_report, GraphEstimate,
    GraphLimits, LossWeights, PredictionStorage, ReferenceEnergies,
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

/// A whole number ≥ 1 of a stored config, checked: a damaged or
/// hand-edited config is an error naming the entry, never a panic in the
/// model's constructor.
fn count(config: &Value, k: &str, file: &Path) -> Result<usize, String> {
    let bad = |m: String| format!("{}: config {m}", file.display());
    let v = config.get(k).ok_or_else(|| bad(format!("has no `{k}`")))?;
    match v.as_u64() {
        Some(n) if n >= 1 => {
            usize::try_from(n).map_err(|_| bad(format!("`{k}` = {v} is too large")))
        }
        _ => Err(bad(format!("`{k}` = {v} must be a whole number ≥ 1"))),
    }
}

/// A positive number of a stored config, checked.
fn positive(config: &Value, k: &str, file: &Path) -> Result<f64, String> {
    let bad = |m: String| format!("{}: config {m}", file.display());
    let v = config.get(k).ok_or_else(|| bad(format!("has no `{k}`")))?;
    match v.as_f64() {
        Some(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => Err(bad(format!("`{k}` = {v} must be a positive number"))),
    }
}

/// The stored cutoff, which must be the checkpoint's.
fn checked_cutoff(config: &Value, cutoff: f64, file: &Path) -> Result<f64, String> {
    let config_cutoff = positive(config, "cutoff", file)?;
    if config_cutoff != cutoff {
        return Err(format!(
            "{}: config `cutoff` = {config_cutoff} differs from the checkpoint's cutoff {cutoff}",
            file.display()
        ));
    }
    Ok(cutoff)
}

/// The NequIP config stored in a checkpoint, every value checked.
fn nequip_config(config: &Value, cutoff: f64, file: &Path) -> Result<nequip::NequipConfig, String> {
    let cutoff = checked_cutoff(config, cutoff, file)?;
    let mut cfg = nequip::nequip_config(
        count(config, "species", file)?,
        count(config, "channels", file)?,
        count(config, "vectors", file)?,
        count(config, "layers", file)?,
        cutoff,
    );
    cfg.n_basis = count(config, "n_basis", file)?;
    cfg.interactions.n_basis = cfg.n_basis;
    cfg.scale = positive(config, "scale", file)?;
    Ok(cfg)
}

/// The MACE-style config stored in a checkpoint, every value checked.
fn mace_config(config: &Value, cutoff: f64, file: &Path) -> Result<mace::MaceConfig, String> {
    let cutoff = checked_cutoff(config, cutoff, file)?;
    let mut cfg = mace::mace_config(
        count(config, "species", file)?,
        count(config, "channels", file)?,
        count(config, "layers", file)?,
        cutoff,
    );
    cfg.n_basis = count(config, "n_basis", file)?;
    cfg.interactions.n_basis = cfg.n_basis;
    cfg.interactions.avg_neighbors = positive(config, "avg_neighbors", file)?;
    cfg.scale = positive(config, "scale", file)?;
    Ok(cfg)
}

/// The number of species of a config must be that of the reference
/// energies stored beside it.
fn check_species(species: usize, reference: &ReferenceEnergies, file: &Path) -> Result<(), String> {
    if species != reference.species().len() {
        return Err(format!(
            "{}: config has {species} species but the reference energies {}",
            file.display(),
            reference.species().len()
        ));
    }
    Ok(())
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
    let (weights_file, epoch) = (weights.clone(), trained.epoch);
    match trained.model_name.as_str() {
        "Nequip" => {
            let cfg = nequip_config(&trained.config, trained.cutoff, &weights)?;
            check_species(cfg.species, &trained.reference, &weights)?;
            let mut model = nequip::Nequip::new(&cfg, 0);
            trained.checkpoint.load_into(&mut model, "Nequip")?;
            predict(
                args,
                &model,
                cfg.cutoff,
                &trained.reference,
                &data,
                &weights_file,
                epoch,
            )
        }
        "Mace" => {
            let cfg = mace_config(&trained.config, trained.cutoff, &weights)?;
            check_species(cfg.species, &trained.reference, &weights)?;
            let mut model = mace::Mace::new(&cfg, 0);
            trained.checkpoint.load_into(&mut model, "Mace")?;
            predict(
                args,
                &model,
                cfg.cutoff,
                &trained.reference,
                &data,
                &weights_file,
                epoch,
            )
        }
        other => Err(format!(
            "{}: holds a `{other}`, this command evaluates `Mace` and `Nequip`",
            weights.display()
        )
        .into()),
    }
}

/// Predicts every frame of `data` with a loaded model, prints and writes
/// the metrics and the predictions.
fn predict<M: EnergyModel + Sync>(
    args: &Args,
    model: &M,
    cutoff: f64,
    reference: &ReferenceEnergies,
    data: &Path,
    weights: &Path,
    epoch: usize,
) -> Result<(), Box<dyn Error>> {
    let frames = read_extxyz(data)?;
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
    println!("predictions -> {}", out.display());
    if let Some(path) = args.path("report") {
        write_report(&path, &metrics_json(&metrics))?;
    }
    Ok(())
}
