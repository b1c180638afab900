//! Loading the NequIP-like model a training run wrote: the checkpoint
//! (every check of `read_trained`), its config (every value checked, so a
//! damaged or hand-edited config is an error naming the entry, never a
//! panic in the model's constructor), and the weights.

use crate::nequip;
use eqv::train::{read_trained, ReferenceEnergies};
use serde_json::Value;
use std::error::Error;
use std::path::{Path, PathBuf};

/// A trained NequIP-like model and what it needs to be used.
pub struct Loaded {
    pub model: nequip::Nequip,
    /// The neighbour cutoff it was trained with (Å).
    pub cutoff: f64,
    /// Species and reference energies E0.
    pub reference: ReferenceEnergies,
    /// The epoch whose parameters the checkpoint holds.
    pub epoch: usize,
    /// The `.safetensors` file read.
    pub weights: PathBuf,
}

/// The NequIP config stored in a checkpoint, every value checked.
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

/// Loads the model from a directory holding `model.safetensors` or from
/// the `.safetensors` file itself.
pub fn load_nequip(model_arg: &Path) -> Result<Loaded, Box<dyn Error>> {
    let weights = if model_arg.is_dir() {
        model_arg.join("model.safetensors")
    } else {
        model_arg.to_path_buf()
    };
    // Every check of the file (checksum, finite weights, versions, the
    // sidecar from the same save) before anything is built.
    let trained = read_trained(&weights)?;
    if trained.model_name != "Nequip" {
        return Err(format!(
            "{}: holds a `{}`, this command runs `Nequip`",
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
    Ok(Loaded {
        model,
        cutoff: cfg.cutoff,
        reference: trained.reference,
        epoch: trained.epoch,
        weights,
    })
}
