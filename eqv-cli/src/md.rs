//! `eqv md`: molecular dynamics with a trained potential: load the
//! checkpoint a training run wrote (any zoo architecture), and run NVE, NVT
//! or NPT from a structure, writing a thermo log and an extended XYZ
//! trajectory.
//!
//! ```text
//! eqv train --out run                                  # or the train_potential example
//! eqv md --model run --ensemble nvt --temperature 900 --steps 2000
//! eqv md --model run --start my.extxyz --ensemble npt --temperature 600 --pressure 2 --out md-npt
//! ```
//!
//! Everything of substance is in the library (`eqv::simulation`): this
//! command parses options, loads the model into a `ModelPotential` and
//! hands both to `MdRun`. The `md` example is this command.
//!
//! Units: Å, eV, amu, fs, K; pressures in GPa; the stress in the trajectory
//! in eV/Å³ (ASE's sign, positive under tension); velocities in Å/fs.

use crate::options::{exit_code, Args, Spec};
use eqv::classical::{diamond_silicon, Barostat};
use eqv::data::{read_extxyz, Frame};
use eqv::simulation::{
    energy_drift, Ensemble, MdConfig, MdOutputs, MdRun, ModelPotential, ThermoLog, TrajectoryWriter,
};
use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;

/// What `md` says about itself.
pub const ABOUT: &str = "Run molecular dynamics (NVE, NVT, NPT) with a trained eqv potential.";

/// The options of `md`.
pub const OPTIONS: Spec = &[
    (
        "model",
        true,
        "the checkpoint: the --out directory of train_potential, or its model.safetensors (default target/train_potential)",
    ),
    (
        "start",
        true,
        "start structure, extended XYZ (default: 64 atoms of diamond silicon, a = 5.431 Å)",
    ),
    (
        "frame",
        true,
        "which frame of --start (default 0; negative counts from the end)",
    ),
    ("ensemble", true, "nve, nvt or npt (default nvt)"),
    ("steps", true, "time steps (default 1000)"),
    ("dt", true, "time step in fs (default 1)"),
    (
        "temperature",
        true,
        "thermostat temperature in K (default 300)",
    ),
    (
        "initial-temperature",
        true,
        "Maxwell-Boltzmann velocities at this temperature in K (default: --temperature)",
    ),
    ("friction", true, "Langevin friction in 1/fs (default 0.01)"),
    ("pressure", true, "NPT target pressure in GPa (default 0)"),
    (
        "tau-p",
        true,
        "NPT barostat relaxation time in fs (default 500)",
    ),
    (
        "compressibility",
        true,
        "NPT isothermal compressibility in 1/GPa (default 0.01, silicon)",
    ),
    ("seed", true, "seed of velocities and noise (default 0)"),
    (
        "log-every",
        true,
        "thermo log every N steps (default 10)",
    ),
    (
        "traj-every",
        true,
        "trajectory frame every N steps, 0 = none (default 10)",
    ),
    (
        "out",
        true,
        "directory for thermo.log and trajectory.extxyz (default target/md)",
    ),
];

/// Parses `argv` (program name first) and runs: the whole `md` subcommand,
/// and the `md` example.
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

/// `--name` as a number satisfying `ok`, or `default`.
fn number(
    args: &Args,
    name: &str,
    default: f64,
    ok: fn(f64) -> bool,
    what: &str,
) -> Result<f64, String> {
    let x = args.get_or(name, default)?;
    if ok(x) {
        Ok(x)
    } else {
        Err(format!("--{name} {x}: must be {what}"))
    }
}

/// The ensemble and time step from the options, every value checked.
fn settings(args: &Args) -> Result<MdConfig, String> {
    let positive = |x: f64| x.is_finite() && x > 0.0;
    let non_negative = |x: f64| x.is_finite() && x >= 0.0;
    let temperature = number(
        args,
        "temperature",
        300.0,
        non_negative,
        "a temperature ≥ 0 K",
    )?;
    let friction = number(
        args,
        "friction",
        0.01,
        positive,
        "a positive friction in 1/fs",
    )?;
    let ensemble = match args.get_or("ensemble", "nvt".to_string())?.as_str() {
        "nve" => Ensemble::Nve,
        "nvt" => Ensemble::Nvt {
            temperature_k: temperature,
            friction_per_fs: friction,
        },
        "npt" => Ensemble::Npt {
            temperature_k: temperature,
            friction_per_fs: friction,
            barostat: Barostat::StochasticCellRescaling {
                pressure_gpa: number(args, "pressure", 0.0, f64::is_finite, "a number of GPa")?,
                tau_fs: number(args, "tau-p", 500.0, positive, "a positive time in fs")?,
                compressibility_per_gpa: number(
                    args,
                    "compressibility",
                    0.01,
                    positive,
                    "a positive number in 1/GPa",
                )?,
            },
        },
        other => return Err(format!("--ensemble {other}: must be nve, nvt or npt")),
    };
    let count =
        |name: &str, default: usize| -> Result<usize, String> { args.get_or(name, default) };
    let log_every = count("log-every", 10)?;
    if log_every == 0 {
        return Err("--log-every 0: must be at least 1".into());
    }
    Ok(MdConfig {
        ensemble,
        dt_fs: number(args, "dt", 1.0, positive, "a positive time step in fs")?,
        steps: count("steps", 1000)?,
        initial_temperature_k: number(
            args,
            "initial-temperature",
            temperature,
            non_negative,
            "a temperature ≥ 0 K",
        )?,
        seed: args.get_or("seed", 0u64)?,
        log_every,
        trajectory_every: count("traj-every", 10)?,
    })
}

fn start(args: &Args) -> Result<Frame, Box<dyn Error>> {
    let Some(path) = args.path("start") else {
        return Ok(diamond_silicon(5.431, [2; 3]));
    };
    let mut frames = read_extxyz(&path)?;
    let n = frames.len() as i64;
    let i: i64 = args.get_or("frame", 0)?;
    let k = if i < 0 { n + i } else { i };
    if !(0..n).contains(&k) {
        return Err(format!("--frame {i}: {} holds {n} frame(s)", path.display()).into());
    }
    Ok(frames.swap_remove(k as usize))
}

/// Runs MD with the checkpoint `--model`.
pub fn run(args: &Args) -> Result<(), Box<dyn Error>> {
    let cfg = settings(args)?;
    let frame = start(args)?;
    let out = args
        .path("out")
        .unwrap_or_else(|| PathBuf::from("target/md"));
    std::fs::create_dir_all(&out).map_err(|e| format!("--out {}: {e}", out.display()))?;
    let model_arg = args
        .path("model")
        .unwrap_or_else(|| PathBuf::from("target/train_potential"));
    let loaded = eqv::zoo::load(&model_arg)?;
    let atoms = frame.len();
    let potential = ModelPotential::new(
        loaded.model,
        loaded.cutoff,
        loaded.reference.species().clone(),
        loaded.reference.per_atom(),
    )?;
    let mut run = MdRun::new(potential, frame, cfg)?;
    let mut outputs = MdOutputs {
        thermo: Some(ThermoLog::create(out.join("thermo.log"))?),
        trajectory: if cfg.trajectory_every > 0 {
            Some(TrajectoryWriter::create(out.join("trajectory.extxyz"))?)
        } else {
            None
        },
        ..MdOutputs::default()
    };
    println!(
        "{} MD of {atoms} atoms with {} (epoch {}): {} steps of {} fs",
        cfg.ensemble.name().to_uppercase(),
        loaded.path.display(),
        loaded.epoch,
        cfg.steps,
        cfg.dt_fs
    );
    let t = std::time::Instant::now();
    let records = run.run(&mut outputs)?;
    let seconds = t.elapsed().as_secs_f64();
    let last = records.last().ok_or("no records")?;
    let half = &records[records.len() / 2..];
    let mean_t = half.iter().map(|r| r.temperature_k).sum::<f64>() / half.len() as f64;
    println!(
        "{:.3} ps in {seconds:.1} s ({:.1} ms/step); final T {:.0} K, E_pot {:.4} eV/atom, E_tot {:.4} eV/atom; mean T over the second half {mean_t:.0} K",
        last.time_fs * 1e-3,
        1e3 * seconds / cfg.steps.max(1) as f64,
        last.temperature_k,
        last.potential_ev / atoms as f64,
        last.total_ev / atoms as f64,
    );
    let pressures: Vec<f64> = half.iter().filter_map(|r| r.pressure_gpa).collect();
    if !pressures.is_empty() {
        let volume = half.iter().filter_map(|r| r.volume_a3).sum::<f64>() / half.len() as f64;
        println!(
            "mean P over the second half {:.3} GPa, mean V {volume:.2} Å³",
            pressures.iter().sum::<f64>() / pressures.len() as f64
        );
    }
    if cfg.ensemble == Ensemble::Nve {
        if let Some(d) = energy_drift(&records, atoms) {
            println!("energy drift {:+.3} meV/atom/ps", 1e3 * d);
        }
    }
    println!(
        "wrote {}{}",
        out.join("thermo.log").display(),
        if cfg.trajectory_every > 0 {
            format!(", {}", out.join("trajectory.extxyz").display())
        } else {
            String::new()
        }
    );
    Ok(())
}
