//! The training run shared by the potential examples: options checked
//! before any heavy work, data (given or generated), a train / validation /
//! test split by time blocks, training (interruptible), and everything a
//! run leaves behind.

use crate::epoch_log::EpochLog;
use crate::options::{exit_code, Args, Spec};
use eqv::classical::{silicon_dataset, SiliconDatasetConfig};
use eqv::data::close_contacts::close_contact_warnings;
use eqv::data::{write_extxyz, Frame, SpeciesMap};
use eqv::graph::{EnergyModel, Precision};
use eqv::param::Parameters;
use eqv::train::{
    batch_size_for, check_writable, evaluate, is_isolated_atom, metric_text, metrics_json,
    predict_frames, read_trained, report_json, split_blocks, train, write_learning_curve,
    write_report, BlockSplit, GraphEstimate, GraphLimits, LossWeights, Metrics, PredictionStorage,
    StopFlag, StopReason, TrainConfig, TrainError, TrainOutcome,
};
use serde_json::{json, Value};
use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The number type of the training passes when `--precision` is not
/// given. f32: on the main job (MACE, 3 minutes, one after the other on the
/// same loaded machine) f32 ran 20 epochs against f64's 14 and reached a
/// lower test error (E 5.96 against 13.88 meV/atom, F 24.3 against 34.0
/// meV/Å); over the same 2 epochs both gave the same test metrics to the
/// digits printed.
const DEFAULT_PRECISION: Precision = Precision::F32;

/// The epoch cap when `--epochs` is not given: high enough that the time
/// budget (`--max-minutes`, default 5) or early stopping ends the run, and
/// the late stage of the recipe then starts at 75 % of the budget. (A cap
/// of 200 ended a still-improving MACE run on the cuni data after 160 of
/// its 300 seconds.)
const DEFAULT_EPOCHS: usize = 1000;

/// What `train` says about itself.
pub const ABOUT: &str =
    "Train an equivariant potential (MACE-style by default, or NequIP-like) on energies, forces and stresses (extended XYZ), then check it in MD.";

/// Parses `argv` (program name first), lays the options over `--config`,
/// and trains: the whole `train` subcommand, and the `train_potential`
/// example. Exit codes: 0 done, 1 an error (one line), 2 bad usage, 130
/// stopped by Ctrl-C after writing the checkpoint and the report.
pub fn main<I, T>(name: &'static str, argv: I, default_out: &str) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let args = match Args::parse_for_main(name, ABOUT, OPTIONS, argv) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let args = match args.path("config") {
        Some(file) => match args.clone().over_config(OPTIONS, &file) {
            Ok(a) => a,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
        None => args,
    };
    if let Some(dir) = args.path("write-sets") {
        return exit_code(write_sets(&args, &dir));
    }
    let stop = crate::interrupt::stop_on_ctrl_c();
    match crate::models::train_selected(&args, default_out, stop) {
        Ok(summary) if matches!(summary.outcome.stop_reason, StopReason::Interrupted { .. }) => {
            ExitCode::from(130)
        }
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The options every training example accepts.
pub const OPTIONS: Spec = &[
    (
        "config",
        true,
        "read options from this TOML file (keys are the option names; the command line wins); the run writes the options it used to OUT/config.toml",
    ),
    (
        "resume",
        false,
        "start from the weights of the checkpoint in --out (same model and sizes; the optimiser's moments start afresh)",
    ),
    (
        "data",
        true,
        "training data, extended XYZ (default: generated Stillinger-Weber silicon)",
    ),
    (
        "valid",
        true,
        "validation data, extended XYZ (default: time blocks held out of --data)",
    ),
    (
        "test",
        true,
        "test data, extended XYZ, reported only (default: time blocks held out of --data)",
    ),
    (
        "valid-fraction",
        true,
        "fraction of --data held out for validation without --valid (default 0.1)",
    ),
    (
        "test-fraction",
        true,
        "fraction of --data held out for the test without --test (default 0.1)",
    ),
    (
        "block-frames",
        true,
        "consecutive frames of a trajectory per held-out block (default 4)",
    ),
    (
        "max-minutes",
        true,
        "stop training after M minutes of wall time, keeping the best checkpoint (default 5)",
    ),
    (
        "report",
        true,
        "write the final JSON report here (default OUT/report.json)",
    ),
    (
        "out",
        true,
        "directory for data, checkpoint, learning curve and predictions (files of a previous run there are removed)",
    ),
    (
        "epochs",
        true,
        "maximum number of epochs (default 1000: the time budget or early stopping ends a run first)",
    ),
    ("cutoff", true, "radial cutoff in Å (default 4.0)"),
    ("channels", true, "scalar channels (default 16)"),
    ("vectors", true, "vector channels (default 8)"),
    ("tensors", true, "rank-2 (2e) channels of --model nequip-l2 (default 4)"),
    ("layers", true, "interaction layers (default 2)"),
    ("n-basis", true, "Bessel radial basis functions (default 8)"),
    ("lr", true, "learning rate (default 0.01)"),
    (
        "precision",
        true,
        "number type of the training passes (forces, then the parameter gradient on dual numbers): f32 (default: about 1.5× the epochs per minute and no loss of accuracy on the main job) or f64; weights, optimiser state, losses, E0 and validation stay f64 either way, and the checkpoint holds f64 weights",
    ),
    (
        "batch-size",
        true,
        "structures per optimiser step (default: from the number of training frames, 4 for ~300)",
    ),
    (
        "energy-weight",
        true,
        "weight of the energy-per-atom loss before the late stage (default 10; 1000 in the late stage)",
    ),
    (
        "force-weight",
        true,
        "weight of the force loss before the late stage (default 10; 33 in the late stage)",
    ),
    (
        "stress-weight",
        true,
        "weight of the stress loss, on the virial per atom like the energy's (default 1 when training frames have stress or virial labels in periodic cells, else 0)",
    ),
    (
        "md-steps",
        true,
        "steps of 1 fs of the MD check after training, model and reference side by side (default 1000, --smoke 100; 0 skips it)",
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
    (
        "write-sets",
        true,
        "write the training, validation and test frames as DIR/{train,valid,test}.extxyz and exit without training (to train another tool on the same split)",
    ),
    (
        "model",
        true,
        "mace (default: MACE-style, correlation order 3, --channels per irrep), nequip (NequIP-like, --channels scalars, --vectors vectors) or nequip-l2 (the same with --tensors rank-2 channels)",
    ),
    ("smoke", false, "a tiny, fast run (CI)"),
    ("quiet", false, "no per-epoch lines"),
];

/// What the model builder is told.
pub struct Setup<'a> {
    /// The run's options (sizes, seed, ...).
    pub args: &'a Args,
    /// Number of species in the training data.
    pub species: usize,
    /// Root mean square of the training forces' components (eV/Å): the
    /// natural energy scale per atom for the network's output.
    pub force_rms: f64,
    /// Neighbour cutoff (Å).
    pub cutoff: f64,
    /// Mean number of neighbours per atom within the cutoff (estimated from
    /// the data's density): the normalisation of summed messages.
    pub neighbors_per_atom: f64,
    /// `--smoke`: a tiny, fast run.
    pub smoke: bool,
}

/// What a finished run reports (the comparison example reads it).
pub struct RunSummary {
    /// The model's name.
    pub name: String,
    /// What the trainer returned.
    pub outcome: TrainOutcome,
    /// Metrics on the test set (never used for any choice during training).
    pub test_metrics: Option<Metrics>,
    /// The JSON report as written.
    pub report: Value,
}

/// The files a run writes into `--out`: a new run removes those of an
/// older one first, so the directory never pairs new weights with an old
/// `model.json`, report or predictions.
pub const RUN_FILES: &[&str] = &[
    "model.safetensors",
    "model.json",
    "config.toml",
    "epochs.csv",
    "report.json",
    "learning_curve.svg",
    "valid_predictions.extxyz",
    "test_predictions.extxyz",
    "silicon_sw.extxyz",
    "rdf.svg",
    "md_model.log",
    "md_reference.log",
];

/// Checks every option before anything heavy runs; the error names the
/// option and the limit.
pub fn check_options(args: &Args) -> Result<(), String> {
    fn at_least_one(args: &Args, name: &str) -> Result<(), String> {
        match args.get::<usize>(name)? {
            Some(0) => Err(format!("--{name} 0: must be at least 1")),
            _ => Ok(()),
        }
    }
    for name in [
        "epochs",
        "batch-size",
        "patience",
        "frames",
        "block-frames",
        "channels",
        "vectors",
        "tensors",
        "layers",
        "n-basis",
    ] {
        at_least_one(args, name)?;
    }
    if let Some(c) = args.get::<f64>("cutoff")? {
        if !(c.is_finite() && c > 0.0) {
            return Err(format!("--cutoff {c}: must be a positive number of Å"));
        }
    }
    if let Some(lr) = args.get::<f64>("lr")? {
        if !(lr.is_finite() && lr > 0.0) {
            return Err(format!("--lr {lr}: must be a positive number"));
        }
    }
    if let Some(m) = args.get::<f64>("max-minutes")? {
        if !(m.is_finite() && m > 0.0) {
            return Err(format!("--max-minutes {m}: must be a positive number"));
        }
    }
    let (we, wf, ws) = (
        args.get_or("energy-weight", 10.0f64)?,
        args.get_or("force-weight", 10.0f64)?,
        args.get_or("stress-weight", 0.0f64)?,
    );
    for (name, w) in [
        ("energy-weight", we),
        ("force-weight", wf),
        ("stress-weight", ws),
    ] {
        if !(w.is_finite() && w >= 0.0) {
            return Err(format!("--{name} {w}: must be a number ≥ 0"));
        }
    }
    if we == 0.0 && wf == 0.0 && args.get::<f64>("stress-weight")?.is_none_or(|w| w == 0.0) {
        return Err(
            "--energy-weight 0 and --force-weight 0 (and no --stress-weight): nothing to train on"
                .into(),
        );
    }
    args.get::<usize>("md-steps")?;
    let mut held_out = 0.0;
    for (name, file) in [("valid-fraction", "valid"), ("test-fraction", "test")] {
        let f = args.get_or(name, 0.1f64)?;
        if args.path(file).is_some() {
            continue;
        }
        if !(f > 0.0 && f < 1.0) {
            return Err(format!(
                "--{name} {f}: must lie strictly between 0 and 1 (0 leaves the {} set empty); or give --{file} FILE",
                if file == "valid" { "validation" } else { "test" }
            ));
        }
        held_out += f;
    }
    if held_out >= 1.0 {
        return Err(format!(
            "--valid-fraction + --test-fraction = {held_out}: must be below 1 to leave training frames"
        ));
    }
    Ok(())
}

/// Removes the files of an older run from `out` (but never an input given
/// with --data/--valid/--test), and says which.
fn clear_previous_run(args: &Args, out: &Path) -> Result<(), String> {
    let inputs: Vec<PathBuf> = ["data", "valid", "test"]
        .iter()
        .filter_map(|k| args.path(k))
        .filter_map(|p| p.canonicalize().ok())
        .collect();
    let mut stale: Vec<PathBuf> = Vec::new();
    let keep = if args.flag("resume") {
        &["model.safetensors", "model.json"][..]
    } else {
        &[][..]
    };
    for name in RUN_FILES.iter().filter(|n| !keep.contains(n)) {
        let p = out.join(name);
        stale.extend(eqv::checkpoint::atomic::stale_temp_files(&p));
        if p.is_file() && !p.canonicalize().is_ok_and(|c| inputs.contains(&c)) {
            stale.push(p);
        }
    }
    if stale.is_empty() {
        return Ok(());
    }
    for p in &stale {
        std::fs::remove_file(p).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    let names: Vec<String> = stale
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    println!(
        "removed {} file(s) of a previous run in {}: {}",
        stale.len(),
        out.display(),
        names.join(", ")
    );
    Ok(())
}

/// Reads an extended XYZ file and warns (on stderr, before any training)
/// about frames with atoms closer than any bond.
fn read_checked(path: &Path) -> Result<Vec<Frame>, Box<dyn Error>> {
    let frames = eqv::data::read_extxyz(path)?;
    for warning in close_contact_warnings(&path.display().to_string(), &frames, 5) {
        eprintln!("{warning}");
    }
    Ok(frames)
}

fn data(args: &Args, out: &Path, seed: u64, smoke: bool) -> Result<Vec<Frame>, Box<dyn Error>> {
    let mut frames = match args.path("data") {
        Some(p) => read_checked(&p)?,
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

/// Training, validation and test frames.
type Sets = (Vec<Frame>, Vec<Frame>, Vec<Frame>);

/// Training, validation and test frames: files given with --valid/--test,
/// the rest held out of --data by time blocks.
fn split(args: &Args, frames: Vec<Frame>, seed: u64) -> Result<Sets, Box<dyn Error>> {
    let valid_file = args.path("valid");
    let test_file = args.path("test");
    let read = |p: &Option<PathBuf>| -> Result<Option<Vec<Frame>>, Box<dyn Error>> {
        Ok(match p {
            Some(p) => Some(read_checked(p)?),
            None => None,
        })
    };
    let (valid, test) = (read(&valid_file)?, read(&test_file)?);
    for (name, set) in [("--valid", &valid), ("--test", &test)] {
        if set.as_ref().is_some_and(Vec::is_empty) {
            return Err(format!("{name}: the file holds no frames").into());
        }
    }
    // Isolated atoms (E0) are no trajectory: they stay in the training set,
    // where the trainer takes E0 from them.
    let (isolated, frames): (Vec<Frame>, Vec<Frame>) =
        frames.into_iter().partition(is_isolated_atom);
    if let (Some(valid), Some(test)) = (&valid, &test) {
        let mut train = isolated;
        train.extend(frames);
        return Ok((train, valid.clone(), test.clone()));
    }
    let spec = BlockSplit {
        valid_fraction: if valid.is_some() {
            0.0
        } else {
            args.get_or("valid-fraction", 0.1)?
        },
        test_fraction: if test.is_some() {
            0.0
        } else {
            args.get_or("test-fraction", 0.1)?
        },
        block_frames: args.get_or("block-frames", BlockSplit::default().block_frames)?,
        seed,
        ..BlockSplit::default()
    };
    let s = split_blocks(&frames, &spec).map_err(|e| match e {
        TrainError::Config(m) => format!(
            "cannot split --data ({} frames): {m} (--valid-fraction, --test-fraction, --block-frames)",
            frames.len()
        ),
        other => other.to_string(),
    })?;
    println!(
        "split {} frames ({} trajectories, {} time blocks of ≤ {} frames): train {}, validation {}, test {}; {} training frames next to held-out blocks dropped",
        frames.len(),
        s.trajectories,
        s.blocks,
        spec.block_frames,
        s.train.len(),
        valid.as_ref().map_or(s.valid.len(), Vec::len),
        test.as_ref().map_or(s.test.len(), Vec::len),
        s.dropped.len()
    );
    let (t, v, te) = s.frames(&frames);
    let mut train = isolated;
    train.extend(t);
    Ok((train, valid.unwrap_or(v), test.unwrap_or(te)))
}

/// Writes the frames a run would train, validate and test on (given or
/// generated data, the same split) to `dir/{train,valid,test}.extxyz`, so
/// another tool can be trained and tested on exactly the same frames.
pub fn write_sets(args: &Args, dir: &Path) -> Result<(), Box<dyn Error>> {
    check_options(args)?;
    let seed = args.get_or("seed", 0u64)?;
    std::fs::create_dir_all(dir).map_err(|e| format!("--write-sets {}: {e}", dir.display()))?;
    let frames = data(args, dir, seed, args.flag("smoke"))?;
    let (train, valid, test) = split(args, frames, seed)?;
    for (name, set) in [("train", &train), ("valid", &valid), ("test", &test)] {
        let path = dir.join(format!("{name}.extxyz"));
        write_extxyz(&path, set)?;
        println!("wrote {} frames to {}", set.len(), path.display());
    }
    Ok(())
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
    run_with(args, name, default_out, None, None, false, build)
}

/// [`run`] that stops cleanly (checkpoint, report) when `stop` is set.
pub fn run_interruptible<M, B>(
    args: &Args,
    name: &str,
    default_out: &str,
    stop: StopFlag,
    build: B,
) -> Result<RunSummary, Box<dyn Error>>
where
    M: EnergyModel + Parameters + Sync,
    B: FnOnce(&Setup) -> Result<(M, Value), String>,
{
    run_with(args, name, default_out, None, Some(stop), true, build)
}

/// A transformation of frames: `(copies of each training frame, the
/// transformation)`. The validation and test frames are transformed once
/// each, so a model is evaluated on structures in orientations it did not
/// see.
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
    run_with(
        args,
        name,
        default_out,
        Some((copies, &transform)),
        None,
        false,
        build,
    )
}

/// One row of the summary table.
fn row(label: &str, m: &Metrics) -> String {
    format!(
        "  {label:<12} {:>13}  {:>12}  {:>13}  {:>13}",
        metric_text(m.energy_mae_mev_per_atom, 2),
        metric_text(m.force_mae_mev_per_a, 1),
        metric_text(m.force_rmse_mev_per_a, 1),
        metric_text(m.stress_mae_mev_per_a3, 2)
    )
}

/// The stress weight: `--stress-weight` if given (an error if it is
/// positive and no training frame has a stress label), else 1 when some
/// training frames have stress labels — data that carries stresses is
/// meant to be trained on them — and 0 otherwise. Says which, and why.
fn stress_weight(args: &Args, train: &[Frame]) -> Result<f64, Box<dyn Error>> {
    let labelled = train
        .iter()
        .filter(|f| f.pbc == [true; 3] && (f.stress.is_some() || f.virial.is_some()))
        .count();
    match args.get::<f64>("stress-weight")? {
        Some(w) if w > 0.0 && labelled == 0 => Err(format!(
            "--stress-weight {w}: no training frame has a stress or virial label in a cell periodic in all three directions"
        )
        .into()),
        Some(w) => Ok(w),
        None if labelled > 0 => {
            println!(
                "{labelled} of {} training frames have stress labels: training on stresses too (--stress-weight 1; 0 turns it off)",
                train.len()
            );
            Ok(1.0)
        }
        None => Ok(0.0),
    }
}

/// The run, with optional augmentation, stop flag and (`md_check`) the MD
/// check of the trained model after training.
#[allow(clippy::too_many_arguments)]
pub fn run_with<M, B>(
    args: &Args,
    name: &str,
    default_out: &str,
    augment: Augment,
    stop: Option<StopFlag>,
    md_check: bool,
    build: B,
) -> Result<RunSummary, Box<dyn Error>>
where
    M: EnergyModel + Parameters + Sync,
    B: FnOnce(&Setup) -> Result<(M, Value), String>,
{
    check_options(args)?;
    let smoke = args.flag("smoke");
    let seed = args.get_or("seed", 0u64)?;
    let cutoff = args.get_or("cutoff", 4.0)?;
    let lr = args.get_or("lr", 0.01)?;
    let out = args
        .path("out")
        .unwrap_or_else(|| PathBuf::from(default_out));
    std::fs::create_dir_all(&out).map_err(|e| format!("--out {}: {e}", out.display()))?;
    let report_path = args
        .path("report")
        .unwrap_or_else(|| out.join("report.json"));
    check_writable(&report_path).map_err(|e| format!("--report: {e}"))?;
    let checkpoint = out.join("model.safetensors");
    // Read (and check) the checkpoint to resume from before anything of
    // the old run is removed.
    let resume_from = if args.flag("resume") {
        Some(read_trained(&checkpoint).map_err(|e| format!("--resume: {e}"))?)
    } else {
        None
    };
    clear_previous_run(args, &out)?;
    std::fs::write(out.join("config.toml"), args.to_toml(OPTIONS))
        .map_err(|e| format!("{}: {e}", out.join("config.toml").display()))?;
    let frames = data(args, &out, seed, smoke)?;
    let (train_frames, valid_frames, test_frames) = split(args, frames, seed)?;
    let (train_frames, valid_frames, test_frames) = match augment {
        None => (train_frames, valid_frames, test_frames),
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
            let mut once = |set: &[Frame]| -> Vec<Frame> {
                set.iter().map(|f| transform(f, &mut rng)).collect()
            };
            let valid = once(&valid_frames);
            let test = once(&test_frames);
            (train, valid, test)
        }
    };
    // Neighbour lists and memory, estimated before any list is built.
    let all: Vec<Frame> = [&train_frames, &valid_frames, &test_frames]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    let estimate = GraphEstimate::of(&all, cutoff);
    drop(all);
    estimate.check(&GraphLimits::default()).map_err(|m| {
        format!(
            "--cutoff {cutoff}: {}",
            m.replace("lower the cutoff", "lower --cutoff")
        )
    })?;
    let species = SpeciesMap::from_frames(&train_frames);
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
        neighbors_per_atom: estimate.neighbors_per_atom,
        smoke,
    };
    let (mut model, model_json) = build(&setup)?;
    if let Some(trained) = &resume_from {
        if trained.model_name != name {
            return Err(format!(
                "--resume: {} holds a `{}`, this run trains `{name}`",
                checkpoint.display(),
                trained.model_name
            )
            .into());
        }
        trained
            .checkpoint
            .load_into(&mut model, name)
            .map_err(|e| format!("--resume: {e} (were the model's sizes changed?)"))?;
        println!(
            "resuming from {} (epoch {})",
            checkpoint.display(),
            trained.epoch
        );
    }
    let stress = stress_weight(args, &train_frames)?;

    let default_cfg = TrainConfig::default();
    let cfg = TrainConfig {
        epochs: args.get_or("epochs", if smoke { 2 } else { DEFAULT_EPOCHS })?,
        batch_size: args.get_or("batch-size", batch_size_for(train_frames.len()))?,
        lr,
        weights: LossWeights {
            energy: args.get_or("energy-weight", 10.0)?,
            forces: args.get_or("force-weight", 10.0)?,
            stress,
        },
        cutoff,
        seed,
        precision: args.get_or("precision", DEFAULT_PRECISION)?,
        patience: Some(args.get_or("patience", 30)?),
        max_minutes: Some(args.get_or("max-minutes", if smoke { 1.0 } else { 5.0 })?),
        checkpoint: Some(checkpoint.clone()),
        model_name: name.to_string(),
        model_config: model_json.to_string(),
        progress: if args.flag("quiet") {
            eqv::train::ProgressMode::Quiet
        } else {
            default_cfg.progress
        },
        stop,
        ..default_cfg
    };
    println!(
        "training {name} ({} parameters) on {} frames, validating on {}, testing on {}, cutoff {cutoff} Å (~{:.0} neighbours per atom)",
        model.num_params(),
        train_frames.len(),
        valid_frames.len(),
        test_frames.len(),
        estimate.neighbors_per_atom
    );
    let mut log = EpochLog::create(&out.join("epochs.csv"))?;
    let outcome = train(&mut model, &train_frames, &valid_frames, &cfg, &mut log).map_err(
        |e| -> Box<dyn Error> {
            match e {
                TrainError::Diverged { .. } => format!(
                    "{}; checkpoint of the best parameters before it: {}",
                    e.to_string()
                        .replace("lower the learning rate", &format!("lower --lr (now {lr})")),
                    checkpoint.display()
                )
                .into(),
                other => other.into(),
            }
        },
    )?;

    if let Some(e) = log.error() {
        eprintln!(
            "warning: the epoch log {} is incomplete: {e}",
            out.join("epochs.csv").display()
        );
    }
    // What the run leaves behind (model.json is written by the trainer,
    // together with the weights).
    write_learning_curve(out.join("learning_curve.svg"), &outcome.history)?;
    let predicted = predict_frames(
        &model,
        &valid_frames,
        cutoff,
        &outcome.reference,
        PredictionStorage::Extra,
    )?;
    write_extxyz(out.join("valid_predictions.extxyz"), &predicted)?;
    let test_metrics = if test_frames.is_empty() {
        None
    } else {
        let (m, _) = evaluate(
            &model,
            &test_frames,
            cutoff,
            &outcome.reference,
            cfg.weights,
        )?;
        let predicted = predict_frames(
            &model,
            &test_frames,
            cutoff,
            &outcome.reference,
            PredictionStorage::Extra,
        )?;
        write_extxyz(out.join("test_predictions.extxyz"), &predicted)?;
        Some(m)
    };
    let mut report = report_json(&outcome, &cfg);
    report["model"] = json!(name);
    report["test"] = test_metrics.as_ref().map_or(Value::Null, metrics_json);
    report["checkpoint"] = json!(checkpoint.display().to_string());
    write_report(&report_path, &report)?;

    let (t, v) = (&outcome.train_metrics, &outcome.valid_metrics);
    println!(
        "\n{name}: {} epochs, best epoch {}, stopped: {}, {:.1} s",
        outcome.history.len(),
        outcome.best_epoch,
        outcome.stop_reason.name(),
        outcome.train_seconds
    );
    println!("                    energy MAE      force MAE     force RMSE     stress MAE");
    println!("                    (meV/atom)       (meV/Å)        (meV/Å)       (meV/Å³)");
    println!("{}", row("train", t));
    println!("{}", row("validation", v));
    match &test_metrics {
        Some(m) => println!("{}  <- held out, never used for any choice", row("test", m)),
        None => println!("  test         (no test set)"),
    }
    if let Some(eq) = &outcome.equivariance {
        println!("  {eq}");
    }
    let interrupted = matches!(outcome.stop_reason, StopReason::Interrupted { .. });
    let md_steps = args.get_or("md-steps", if smoke { 100 } else { 1000 })?;
    if md_check && !interrupted && md_steps > 0 {
        println!();
        report["md_check"] = if args.path("data").is_some() {
            println!("MD check skipped: Stillinger-Weber is the reference of the generated data only, and --data came from elsewhere");
            json!({ "skipped": "no reference potential for --data" })
        } else {
            let check = crate::md_check::MdCheck {
                repeats: if smoke { 1 } else { 2 },
                temperature_k: 900.0,
                steps: md_steps,
            };
            crate::md_check::run(model, cutoff, &outcome.reference, &check, &out)
        };
        // The report was written before the check (a failed or interrupted
        // check leaves it); now with the check's numbers.
        write_report(&report_path, &report)?;
    }
    println!(
        "wrote {} (report), {}",
        report_path.display(),
        out.display()
    );
    if let StopReason::Interrupted { epoch, step } = outcome.stop_reason {
        println!(
            "interrupted at epoch {epoch} step {step}; checkpoint written to {}",
            checkpoint.display()
        );
    }
    Ok(RunSummary {
        name: name.to_string(),
        outcome,
        test_metrics,
        report,
    })
}
