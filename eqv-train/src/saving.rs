//! The trainer's checkpoint: the weights and everything needed to use them,
//! in one self-describing file, plus a readable `model.json` beside it.
//!
//! `model.safetensors` carries in its metadata the model name and config,
//! the species, the reference energies E0, the cutoff, the epoch, the code
//! version, a run id and a save id; [`read_trained`] needs nothing else.
//! The sidecar (`model.json` for `model.safetensors`: same stem, `.json`)
//! repeats those entries for people and scripts. Both are staged and
//! flushed before either is renamed into place (see
//! [`atomic`]), and both carry the same save id:
//! a sidecar from another save — an older run into the same directory, or
//! a crash between the two renames — is detected on load instead of
//! pairing new weights with old E0 values.

use super::loader::ReferenceEnergies;
use super::TrainError;
use eqv_core::checkpoint::{
    atomic, encode, read_checkpoint, Checkpoint, CheckpointError, Metadata, CODE_VERSION,
    FORMAT_VERSION,
};
use eqv_core::param::Parameters;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// The sidecar of a checkpoint: same directory and stem, extension `json`.
pub fn sidecar_path(checkpoint: &Path) -> PathBuf {
    checkpoint.with_extension("json")
}

/// A new run id: the time and the process, so two runs never share one.
pub fn new_run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{nanos:x}-{:x}", std::process::id())
}

/// Writes the checkpoints of one run.
#[derive(Debug)]
pub(crate) struct CheckpointWriter {
    pub path: PathBuf,
    pub run_id: String,
    pub model_name: String,
    pub model_config: String,
    pub reference: ReferenceEnergies,
    pub cutoff: f64,
    saves: usize,
}

impl CheckpointWriter {
    pub fn new(
        path: PathBuf,
        run_id: String,
        model_name: String,
        model_config: String,
        reference: ReferenceEnergies,
        cutoff: f64,
    ) -> Self {
        CheckpointWriter {
            path,
            run_id,
            model_name,
            model_config,
            reference,
            cutoff,
            saves: 0,
        }
    }

    /// Saves `model` (the parameters kept at `epoch`, `valid_loss`), with
    /// `state` (`"best"`, or the stop reason at the end).
    pub fn save(
        &mut self,
        model: &impl Parameters,
        epoch: usize,
        valid_loss: f64,
        state: &str,
    ) -> Result<(), TrainError> {
        self.saves += 1;
        let save_id = format!("{}:{}", self.run_id, self.saves);
        let reference = self.reference.to_json();
        let species = json!(self.reference.species().numbers());
        let summary = json!({
            "epoch": epoch,
            "valid_loss": if valid_loss.is_finite() { json!(valid_loss) } else { Value::Null },
            "cutoff": self.cutoff,
            "reference_energies": reference,
        });
        let mut meta = Metadata::new();
        for (k, v) in [
            ("model", self.model_name.clone()),
            ("config", self.model_config.clone()),
            ("summary", summary.to_string()),
            ("run_id", self.run_id.clone()),
            ("save_id", save_id.clone()),
            ("epoch", epoch.to_string()),
            ("state", state.to_string()),
            ("cutoff", json!(self.cutoff).to_string()),
            ("species", species.to_string()),
            ("reference_energies", reference.to_string()),
        ] {
            meta.insert(k.to_string(), v);
        }
        let weights = encode(model, &meta);
        let config: Value = serde_json::from_str(&self.model_config)
            .unwrap_or_else(|_| Value::String(self.model_config.clone()));
        let sidecar = json!({
            "model": self.model_name,
            "config": config,
            "cutoff": self.cutoff,
            "species": species,
            "reference_energies": reference,
            "run_id": self.run_id,
            "save_id": save_id,
            "epoch": epoch,
            "state": state,
            "eqv_version": CODE_VERSION,
            "format_version": FORMAT_VERSION,
            "weights": self.path.file_name().map(|n| n.to_string_lossy().into_owned()),
        });
        let sidecar_text = serde_json::to_string_pretty(&sidecar).unwrap_or_default() + "\n";
        let side = sidecar_path(&self.path);
        atomic::write_atomic_all(&[
            (side.as_path(), sidecar_text.as_bytes()),
            (self.path.as_path(), &weights),
        ])
        .map_err(|(path, source)| TrainError::Checkpoint(CheckpointError::Io { path, source }))
    }
}

/// A checkpoint written by [`train`](super::train), read and verified,
/// with what a prediction needs next to the weights.
#[derive(Clone, Debug)]
pub struct TrainedCheckpoint {
    /// The verified weights and metadata ([`Checkpoint::load_into`] puts
    /// them into a model).
    pub checkpoint: Checkpoint,
    /// The model's name.
    pub model_name: String,
    /// The model's config as the trainer stored it (JSON when the caller
    /// gave JSON, else a string).
    pub config: Value,
    /// The neighbour cutoff the model was trained with (Å), positive.
    pub cutoff: f64,
    /// Species and E0: a prediction is the model's energy plus Σ E0.
    pub reference: ReferenceEnergies,
    /// The run that wrote it.
    pub run_id: String,
    /// The save within the run (also in the sidecar).
    pub save_id: String,
    /// The epoch whose parameters it holds (0: the initial model).
    pub epoch: usize,
}

/// Reads a trainer checkpoint: every check of
/// [`read_checkpoint`], then the
/// trainer's entries (cutoff positive and finite, E0 finite), then the
/// sidecar if there is one, which must come from the same save.
pub fn read_trained(path: impl AsRef<Path>) -> Result<TrainedCheckpoint, CheckpointError> {
    let path = path.as_ref();
    let checkpoint = read_checkpoint(path)?;
    let bad = |message: String| CheckpointError::Format {
        path: path.to_path_buf(),
        message,
    };
    let text = |key: &str| {
        checkpoint
            .meta(key)
            .map(str::to_string)
            .ok_or_else(|| bad(format!("no `{key}` in the metadata (not written by the eqv trainer, or by an eqv before checkpoints described themselves)")))
    };
    let model_name = text("model")?;
    let run_id = text("run_id")?;
    let save_id = text("save_id")?;
    let epoch = text("epoch")?
        .parse()
        .map_err(|_| bad("`epoch` is not a number".into()))?;
    let raw_config = text("config")?;
    let config = serde_json::from_str(&raw_config).unwrap_or(Value::String(raw_config));
    let cutoff: f64 = text("cutoff")?
        .parse()
        .map_err(|_| bad("`cutoff` is not a number".into()))?;
    if !(cutoff.is_finite() && cutoff > 0.0) {
        return Err(bad(format!(
            "cutoff {cutoff} Å must be positive and finite"
        )));
    }
    let reference = ReferenceEnergies::from_json(&checkpoint.meta_json("reference_energies")?)
        .map_err(|e| bad(e.to_string()))?;
    let side = sidecar_path(path);
    if side.exists() {
        let sidecar: Value = std::fs::read_to_string(&side)
            .map_err(|source| CheckpointError::Io {
                path: side.clone(),
                source,
            })
            .and_then(|t| {
                serde_json::from_str(&t).map_err(|e| CheckpointError::Format {
                    path: side.clone(),
                    message: format!("not JSON: {e}"),
                })
            })?;
        let theirs = sidecar.get("save_id").and_then(Value::as_str);
        let ours = [
            ("model", json!(model_name)),
            ("config", config.clone()),
            ("cutoff", json!(cutoff)),
            ("reference_energies", reference.to_json()),
        ];
        if theirs == Some(save_id.as_str()) {
            // Same save: an entry that differs was edited by hand.
            for (key, value) in ours {
                let side_value = sidecar.get(key).cloned().unwrap_or(Value::Null);
                let same = match (side_value.as_f64(), value.as_f64()) {
                    (Some(a), Some(b)) => a == b,
                    _ => side_value == value,
                };
                if !same {
                    return Err(CheckpointError::Mismatch {
                        path: side.clone(),
                        message: format!(
                            "`{key}` is {side_value} here but {value} in {}: the file was edited after it was written; the weights describe themselves, so delete {} to use them alone",
                            path.display(),
                            side.display()
                        ),
                    });
                }
            }
        }
        if theirs != Some(save_id.as_str()) {
            return Err(CheckpointError::Mismatch {
                path: side.clone(),
                message: format!(
                    "it belongs to save {} but {} is save {save_id}: the two files were not written together (an older run in the same directory, or a crash between the two writes); the weights describe themselves, so delete {} to use them alone",
                    theirs.unwrap_or("(none)"),
                    path.display(),
                    side.display()
                ),
            });
        }
    }
    Ok(TrainedCheckpoint {
        checkpoint,
        model_name,
        config,
        cutoff,
        reference,
        run_id,
        save_id,
        epoch,
    })
}
