//! The final JSON report of a training run.
//!
//! One file that says how good the model is and how it got there, for
//! people and for scripts. [`report_json`] holds what the trainer knows
//! (train and validation metrics); the caller adds `"test"` with
//! [`metrics_json`] of a held-out test set that training never saw — the
//! number to quote, since the validation set chose the schedule, the early
//! stop and the kept parameters:
//!
//! ```json
//! {
//!   "test": {...same keys as valid...},
//!   "valid": {"energy_mae_mev_per_atom": 3.1, "energy_rmse_mev_per_atom": 4.0,
//!             "force_mae_mev_per_a": 95.2, "force_rmse_mev_per_a": 130.7,
//!             "stress_mae_mev_per_a3": 1.9, "stress_rmse_mev_per_a3": 2.6,
//!             "loss": 0.21, "n_frames": 38, "n_atoms": 2400},
//!   "train": {...same keys...},
//!   "equivariance_error": 3.2e-15,
//!   "train_seconds": 41.7, "n_parameters": 5230, "epochs": 25, "steps": 1750,
//!   "best_epoch": 22, "stop_reason": "time_limit",
//!   "reference_energies": {"numbers": [14], "e0_ev": [-4.33], "by_symbol": {"Si": -4.33}},
//!   "config": {...}, "history": [{"epoch": 1, "lr": 0.005, "train_loss": ..., ...}, ...]
//! }
//! ```
//!
//! A metric that could not be computed (no labels) is `null`.

use super::metrics::Metrics;
use super::trainer::{TrainConfig, TrainOutcome};
use super::TrainError;
use serde_json::{json, Value};
use std::path::Path;

/// A float as JSON, `null` if it is not finite.
fn num(x: f64) -> Value {
    if x.is_finite() {
        json!(x)
    } else {
        Value::Null
    }
}

/// The metrics as a JSON object.
pub fn metrics_json(m: &Metrics) -> Value {
    json!({
        "energy_mae_mev_per_atom": num(m.energy_mae_mev_per_atom),
        "energy_rmse_mev_per_atom": num(m.energy_rmse_mev_per_atom),
        "force_mae_mev_per_a": num(m.force_mae_mev_per_a),
        "force_rmse_mev_per_a": num(m.force_rmse_mev_per_a),
        "stress_mae_mev_per_a3": num(m.stress_mae_mev_per_a3),
        "stress_rmse_mev_per_a3": num(m.stress_rmse_mev_per_a3),
        "loss": num(m.loss),
        "n_frames": m.n_frames,
        "n_atoms": m.n_atoms,
    })
}

/// The report of a finished run (see the module docs for the layout).
pub fn report_json(outcome: &TrainOutcome, cfg: &TrainConfig) -> Value {
    let history: Vec<Value> = outcome
        .history
        .iter()
        .map(|r| {
            let mut v = r.to_json();
            for key in [
                "train_loss",
                "valid_loss",
                "valid_energy_mae_mev_per_atom",
                "valid_force_mae_mev_per_a",
                "valid_force_rmse_mev_per_a",
                "grad_norm",
            ] {
                if let Some(x) = v.get(key).and_then(Value::as_f64) {
                    v[key] = num(x);
                } else {
                    v[key] = Value::Null;
                }
            }
            v
        })
        .collect();
    json!({
        "valid": metrics_json(&outcome.valid_metrics),
        "train": metrics_json(&outcome.train_metrics),
        "equivariance_error": outcome.equivariance.as_ref().map(|e| num(e.max())).unwrap_or(Value::Null),
        "equivariance": outcome.equivariance.as_ref().map(|e| json!({
            "rotation": num(e.rotation),
            "reflection": num(e.reflection),
            "translation": num(e.translation),
            "permutation": num(e.permutation),
            "forces": e.forces.map(num).unwrap_or(Value::Null),
            "trials": e.trials,
        })).unwrap_or(Value::Null),
        "train_seconds": outcome.train_seconds,
        "n_parameters": outcome.n_parameters,
        "epochs": outcome.history.len(),
        "steps": outcome.steps,
        "best_epoch": outcome.best_epoch,
        "best_valid_loss": num(outcome.best_valid_loss),
        "initial_valid_loss": num(outcome.initial_valid_loss),
        "stop_reason": outcome.stop_reason.name(),
        "reference_energies": outcome.reference.to_json(),
        "warnings": outcome.warnings,
        "config": {
            "epochs": cfg.epochs,
            "batch_size": cfg.batch_size,
            "lr": cfg.lr,
            "schedule": format!("{:?}", cfg.schedule),
            "weight_decay": cfg.adam.weight_decay,
            "clip_grad_norm": cfg.adam.clip_norm,
            "energy_weight": cfg.weights.energy,
            "force_weight": cfg.weights.forces,
            "stress_weight": cfg.weights.stress,
            "late_stage": cfg.late_stage.map(|l| json!({
                "start": l.start,
                "energy_weight": l.weights.energy,
                "force_weight": l.weights.forces,
                "lr_factor": l.lr_factor,
            })),
            "ema_decay": cfg.ema_decay,
            "cutoff": cfg.cutoff,
            "seed": cfg.seed,
            "patience": cfg.patience,
            "max_minutes": cfg.max_minutes,
            "structures_per_tape": cfg.structures_per_tape,
            "parallel": cfg.parallel,
        },
        "history": history,
    })
}

/// Checks, before a run, that a report can be written to `path`: not a
/// directory, its directory exists, and a file there can be created or
/// appended to (an existing file is left as it is; a probe file is
/// removed). A run that fails only when it writes its report has wasted
/// its training.
pub fn check_writable(path: impl AsRef<Path>) -> Result<(), String> {
    let path = path.as_ref();
    if path.is_dir() {
        return Err(format!(
            "{} is a directory; give a file path such as {}",
            path.display(),
            path.join("report.json").display()
        ));
    }
    let existed = path.exists();
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| format!("{} cannot be written: {e}", path.display()))?;
    if !existed {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

/// Writes a JSON value to `path`, pretty-printed, atomically (a report is
/// read by scripts; they never see half of one).
pub fn write_report(path: impl AsRef<Path>, report: &Value) -> Result<(), TrainError> {
    let path = path.as_ref();
    let io = |source| TrainError::Io {
        path: path.to_path_buf(),
        source,
    };
    let text = serde_json::to_string_pretty(report).map_err(|e| io(std::io::Error::other(e)))?;
    eqv_core::checkpoint::atomic::write_atomic(path, (text + "\n").as_bytes()).map_err(io)
}
