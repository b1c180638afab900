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
#[path = "models/nequip.rs"]
mod nequip;

use args::Args;
use eqv::data::{read_extxyz, write_extxyz};
use eqv::train::report::metrics_json;
use eqv::train::{evaluate, LossWeights, PredictionStorage, ReferenceEnergies};
use serde_json::Value;
use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const OPTIONS: args::Spec = &[
    (
        "model",
        true,
        "directory with model.safetensors and model.json (default target/train_potential)",
    ),
    ("data", true, "frames to predict, extended XYZ (required)"),
    (
        "out",
        true,
        "where to write the predictions (default MODEL/predictions.extxyz)",
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

fn field<'a>(v: &'a Value, key: &str, file: &Path) -> Result<&'a Value, String> {
    v.get(key)
        .ok_or_else(|| format!("{}: no `{key}`", file.display()))
}

fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    let dir = args
        .path("model")
        .unwrap_or_else(|| PathBuf::from("target/train_potential"));
    let data = args.path("data").ok_or("--data FILE.extxyz is required")?;
    let meta_path = dir.join("model.json");
    let meta: Value = serde_json::from_str(
        &std::fs::read_to_string(&meta_path)
            .map_err(|e| format!("{}: {e}", meta_path.display()))?,
    )
    .map_err(|e| format!("{}: {e}", meta_path.display()))?;
    let cfg_json = field(&meta, "config", &meta_path)?;
    let num = |k: &str| -> Result<f64, String> {
        field(cfg_json, k, &meta_path)?
            .as_f64()
            .ok_or_else(|| format!("{}: `{k}` is not a number", meta_path.display()))
    };
    let mut cfg = nequip::nequip_config(
        num("species")? as usize,
        num("channels")? as usize,
        num("vectors")? as usize,
        num("layers")? as usize,
        num("cutoff")?,
    );
    cfg.n_basis = num("n_basis")? as usize;
    cfg.interactions.n_basis = cfg.n_basis;
    cfg.scale = num("scale")?;
    let model = nequip::Nequip::load(&cfg, dir.join("model.safetensors"))?;
    let reference = ReferenceEnergies::from_json(field(&meta, "reference_energies", &meta_path)?)?;
    let frames = read_extxyz(&data)?;
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
    let out = args
        .path("out")
        .unwrap_or_else(|| dir.join("predictions.extxyz"));
    write_extxyz(&out, &predicted)?;
    println!(
        "{} frames from {}",
        predictions.energies.len(),
        data.display()
    );
    println!(
        "energy MAE {:.2} meV/atom, RMSE {:.2} meV/atom",
        metrics.energy_mae_mev_per_atom, metrics.energy_rmse_mev_per_atom
    );
    println!(
        "force  MAE {:.1} meV/Å,   RMSE {:.1} meV/Å",
        metrics.force_mae_mev_per_a, metrics.force_rmse_mev_per_a
    );
    println!("predictions -> {}", out.display());
    if let Some(path) = args.path("report") {
        std::fs::write(
            &path,
            serde_json::to_string_pretty(&metrics_json(&metrics))?,
        )?;
    }
    Ok(())
}
