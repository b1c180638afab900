//! The training run shared by the potential examples: data (given or
//! generated), split, training, and everything a run leaves behind.

// Each example uses the part of this module it needs.
#![allow(dead_code)]

use crate::args::{Args, Spec};
use eqv::classical::{silicon_dataset, SiliconDatasetConfig};
use eqv::data::{read_extxyz, write_extxyz, Frame, SpeciesMap};
use eqv::graph::EnergyModel;
use eqv::param::Parameters;
use eqv::train::{
    predict_frames, report_json, split_frames, train, write_learning_curve, write_report,
    LossWeights, NoHooks, PredictionStorage, TrainConfig, TrainOutcome,
};
use serde_json::{json, Value};
use std::error::Error;
use std::path::{Path, PathBuf};

/// The options every training example accepts.
pub const OPTIONS: Spec = &[
    (
        "data",
        true,
        "training data, extended XYZ (default: generated Stillinger-Weber silicon)",
    ),
    (
        "valid",
        true,
        "validation data, extended XYZ (default: a random split of --data)",
    ),
    (
        "valid-fraction",
        true,
        "fraction held out for validation without --valid (default 0.1)",
    ),
    (
        "max-minutes",
        true,
        "stop training after M minutes of wall time, keeping the best checkpoint (default 4)",
    ),
    (
        "report",
        true,
        "write the final JSON report here (default OUT/report.json)",
    ),
    (
        "out",
        true,
        "directory for data, checkpoint, learning curve and predictions",
    ),
    ("epochs", true, "maximum number of epochs (default 200)"),
    ("cutoff", true, "radial cutoff in Å (default 4.0)"),
    ("channels", true, "scalar channels (default 16)"),
    ("vectors", true, "vector channels (default 8)"),
    ("layers", true, "interaction layers (default 2)"),
    ("n-basis", true, "Bessel radial basis functions (default 8)"),
    ("lr", true, "learning rate (default 0.01)"),
    (
        "batch-size",
        true,
        "structures per optimiser step (default 4)",
    ),
    (
        "energy-weight",
        true,
        "weight of the energy-per-atom loss (default 1)",
    ),
    (
        "force-weight",
        true,
        "weight of the force loss (default 10)",
    ),
    (
        "patience",
        true,
        "early stopping after N epochs without improvement (default 30)",
    ),
    (
        "seed",
        true,
        "seed of data generation, split, initialisation and shuffles (default 0)",
    ),
    (
        "frames",
        true,
        "use at most N frames of the data (default: all)",
    ),
    ("smoke", false, "a tiny, fast run (CI)"),
    ("quiet", false, "no per-epoch lines"),
];

/// What the model builder is told.
pub struct Setup<'a> {
    pub args: &'a Args,
    pub species: usize,
    /// Root mean square of the training forces' components (eV/Å): the
    /// natural energy scale per atom for the network's output.
    pub force_rms: f64,
    pub cutoff: f64,
    pub smoke: bool,
}

/// What a finished run reports (the comparison example reads it).
pub struct RunSummary {
    pub name: String,
    pub outcome: TrainOutcome,
    pub report: Value,
}

fn data(args: &Args, out: &Path, seed: u64, smoke: bool) -> Result<Vec<Frame>, Box<dyn Error>> {
    let mut frames = match args.path("data") {
        Some(p) => read_extxyz(&p)?,
        None => {
            let cfg = if smoke {
                SiliconDatasetConfig::tiny()
            } else {
                SiliconDatasetConfig::default()
            };
            let t = std::time::Instant::now();
            let frames = silicon_dataset(&cfg, seed)?;
            let path = out.join("silicon_sw.extxyz");
            write_extxyz(&path, &frames)?;
            println!(
                "generated {} frames of Stillinger-Weber silicon by MD in {:.1} s -> {}",
                frames.len(),
                t.elapsed().as_secs_f64(),
                path.display()
            );
            frames
        }
    };
    if let Some(n) = args.get::<usize>("frames")? {
        frames.truncate(n);
    }
    if frames.is_empty() {
        return Err("the training data holds no frames".into());
    }
    Ok(frames)
}

/// Trains the model that `build` makes and writes the run's files.
pub fn run<M, B>(
    args: &Args,
    name: &str,
    default_out: &str,
    build: B,
) -> Result<RunSummary, Box<dyn Error>>
where
    M: EnergyModel + Parameters + Sync,
    B: FnOnce(&Setup) -> Result<(M, Value), String>,
{
    run_with(args, name, default_out, None, build)
}

/// A transformation of frames: `(copies of each training frame, the
/// transformation)`. The validation frames are transformed once each, so a
/// model is validated on structures in orientations it did not see.
pub type Augment<'a> = Option<(usize, &'a dyn Fn(&Frame, &mut eqv::rng::Rng) -> Frame)>;

/// [`run`] with training data augmentation (the tutorial's first approach).
pub fn run_augmented<M, B>(
    args: &Args,
    copies: usize,
    transform: fn(&Frame, &mut eqv::rng::Rng) -> Frame,
    name: &str,
    default_out: &str,
    build: B,
) -> Result<RunSummary, Box<dyn Error>>
where
    M: EnergyModel + Parameters + Sync,
    B: FnOnce(&Setup) -> Result<(M, Value), String>,
{
    run_with(args, name, default_out, Some((copies, &transform)), build)
}

/// The run, with optional augmentation.
pub fn run_with<M, B>(
    args: &Args,
    name: &str,
    default_out: &str,
    augment: Augment,
    build: B,
) -> Result<RunSummary, Box<dyn Error>>
where
    M: EnergyModel + Parameters + Sync,
    B: FnOnce(&Setup) -> Result<(M, Value), String>,
{
    let smoke = args.flag("smoke");
    let seed = args.get_or("seed", 0u64)?;
    let out = args
        .path("out")
        .unwrap_or_else(|| PathBuf::from(default_out));
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let frames = data(args, &out, seed, smoke)?;
    let (train_frames, valid_frames) = match args.path("valid") {
        Some(p) => (frames, read_extxyz(&p)?),
        None => split_frames(&frames, args.get_or("valid-fraction", 0.1)?, seed)?,
    };
    let (train_frames, valid_frames) = match augment {
        None => (train_frames, valid_frames),
        Some((copies, transform)) => {
            let mut rng = eqv::rng::Rng::new(seed ^ 0xA5A5);
            let train: Vec<Frame> = train_frames
                .iter()
                .flat_map(|f| {
                    (0..copies)
                        .map(|_| transform(f, &mut rng))
                        .collect::<Vec<_>>()
                })
                .collect();
            let valid: Vec<Frame> = valid_frames
                .iter()
                .map(|f| transform(f, &mut rng))
                .collect();
            (train, valid)
        }
    };
    let species = SpeciesMap::from_frames(&train_frames);
    let cutoff = args.get_or("cutoff", 4.0)?;
    let (sum, n) = train_frames
        .iter()
        .filter_map(|f| f.forces.as_ref())
        .flatten()
        .fold((0.0, 0usize), |(s, n), f| {
            (s + f[0] * f[0] + f[1] * f[1] + f[2] * f[2], n + 3)
        });
    let force_rms = if n > 0 && sum > 0.0 {
        (sum / n as f64).sqrt()
    } else {
        1.0
    };
    let setup = Setup {
        args,
        species: species.len(),
        force_rms,
        cutoff,
        smoke,
    };
    let (mut model, model_json) = build(&setup)?;

    let default_cfg = TrainConfig::default();
    let cfg = TrainConfig {
        epochs: args.get_or("epochs", if smoke { 2 } else { 200 })?,
        batch_size: args.get_or("batch-size", 4)?,
        lr: args.get_or("lr", 0.01)?,
        weights: LossWeights {
            energy: args.get_or("energy-weight", 1.0)?,
            forces: args.get_or("force-weight", 10.0)?,
        },
        cutoff,
        seed,
        patience: Some(args.get_or("patience", 30)?),
        max_minutes: Some(args.get_or("max-minutes", if smoke { 1.0 } else { 4.0 })?),
        checkpoint: Some(out.join("model.safetensors")),
        model_name: name.to_string(),
        model_config: model_json.to_string(),
        progress: if args.flag("quiet") {
            eqv::train::ProgressMode::Quiet
        } else {
            default_cfg.progress
        },
        ..default_cfg
    };
    println!(
        "training {name} ({} parameters) on {} frames, validating on {}, cutoff {cutoff} Å",
        model.num_params(),
        train_frames.len(),
        valid_frames.len()
    );
    let outcome = train(&mut model, &train_frames, &valid_frames, &cfg, &mut NoHooks)?;

    // What the run leaves behind.
    let sidecar = json!({
        "model": name,
        "config": model_json,
        "cutoff": cutoff,
        "reference_energies": outcome.reference.to_json(),
    });
    std::fs::write(
        out.join("model.json"),
        serde_json::to_string_pretty(&sidecar)?,
    )?;
    write_learning_curve(out.join("learning_curve.svg"), &outcome.history)?;
    let predicted = predict_frames(
        &model,
        &valid_frames,
        cutoff,
        &outcome.reference,
        PredictionStorage::Extra,
    )?;
    write_extxyz(out.join("valid_predictions.extxyz"), &predicted)?;
    let mut report = report_json(&outcome, &cfg);
    report["model"] = json!(name);
    let report_path = args
        .path("report")
        .unwrap_or_else(|| out.join("report.json"));
    write_report(&report_path, &report)?;

    let (t, v) = (&outcome.train_metrics, &outcome.valid_metrics);
    println!(
        "\n{name}: {} epochs, best epoch {}, stopped: {:?}, {:.1} s",
        outcome.history.len(),
        outcome.best_epoch,
        outcome.stop_reason,
        outcome.train_seconds
    );
    println!("                    energy MAE      force MAE     force RMSE");
    println!("                    (meV/atom)       (meV/Å)        (meV/Å)");
    println!(
        "  train        {:>13.2}  {:>12.1}  {:>13.1}",
        t.energy_mae_mev_per_atom, t.force_mae_mev_per_a, t.force_rmse_mev_per_a
    );
    println!(
        "  validation   {:>13.2}  {:>12.1}  {:>13.1}",
        v.energy_mae_mev_per_atom, v.force_mae_mev_per_a, v.force_rmse_mev_per_a
    );
    if let Some(eq) = &outcome.equivariance {
        println!("  {eq}");
    }
    println!(
        "wrote {} (report), {}",
        report_path.display(),
        out.display()
    );
    Ok(RunSummary {
        name: name.to_string(),
        outcome,
        report,
    })
}
