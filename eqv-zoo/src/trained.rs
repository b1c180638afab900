//! Trained models loaded by name: one checkpoint file is enough.
//!
//! A checkpoint written by the trainer names its model and stores the
//! model's config, cutoff and per-species reference energies (see
//! `eqv::train::read_trained`). [`load`] reads it, builds the zoo model
//! of that name with that config and loads the weights, so a user never
//! copies a model's source or keeps a `model.json` beside the weights.
//!
//! Each architecture that the trainer writes registers here how its config
//! is read back ([`ZooModel`] lists them); a config that is damaged or
//! edited by hand is an error naming the entry, never a panic in a
//! constructor.

use crate::nequip::{nequip_config, Nequip, NequipConfig};
use eqv::graph::{EnergyModel, Graph};
use eqv::param::{Param, Parameters};
use eqv::prelude::{Feat, Real, Scalar};
use eqv_train::{read_trained, ReferenceEnergies, TrainedCheckpoint};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// A model of the zoo, as loaded from a checkpoint.
#[derive(Debug)]
pub enum ZooModel {
    /// [`Nequip`].
    Nequip(Nequip),
}

impl ZooModel {
    /// The names [`load`] knows, as checkpoints spell them.
    pub const NAMES: &'static [&'static str] = &["Nequip"];

    /// The name the checkpoint stores.
    pub fn name(&self) -> &'static str {
        match self {
            ZooModel::Nequip(_) => "Nequip",
        }
    }
}

impl EnergyModel for ZooModel {
    fn energy<'t, T: Real>(&self, graph: &Graph<'t, T>) -> Feat<'t, Scalar, T> {
        match self {
            ZooModel::Nequip(m) => m.energy(graph),
        }
    }
}

impl Parameters for ZooModel {
    fn visit(&self, prefix: &str, f: &mut dyn FnMut(&str, &Param)) {
        match self {
            ZooModel::Nequip(m) => m.visit(prefix, f),
        }
    }
    fn visit_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut Param)) {
        match self {
            ZooModel::Nequip(m) => m.visit_mut(prefix, f),
        }
    }
}

/// A trained model ready to predict: the network, its cutoff and the
/// per-species energies added to its output.
#[derive(Debug)]
pub struct Trained {
    /// The network with the trained weights.
    pub model: ZooModel,
    /// Neighbour cutoff (Å) the model was trained with.
    pub cutoff: f64,
    /// Species order and per-species reference energies E0.
    pub reference: ReferenceEnergies,
    /// The model's config as stored.
    pub config: Value,
    /// The epoch whose weights these are.
    pub epoch: usize,
    /// The checkpoint file.
    pub path: PathBuf,
}

/// The checkpoint a path names: the path itself, or `model.safetensors`
/// inside it when it is a directory (the trainer's `--out`).
pub fn checkpoint_file(path: impl AsRef<Path>) -> PathBuf {
    let path = path.as_ref();
    if path.is_dir() {
        path.join("model.safetensors")
    } else {
        path.to_path_buf()
    }
}

/// Loads a trained model of any zoo architecture from its checkpoint (a
/// file, or the directory a training run wrote).
pub fn load(path: impl AsRef<Path>) -> Result<Trained, String> {
    let path = checkpoint_file(path);
    let trained = read_trained(&path).map_err(|e| e.to_string())?;
    from_checkpoint(trained, &path)
}

/// [`load`] for a checkpoint already read and verified.
pub fn from_checkpoint(trained: TrainedCheckpoint, path: &Path) -> Result<Trained, String> {
    let model = match trained.model_name.as_str() {
        "Nequip" => {
            let cfg = nequip_from_json(&trained.config, trained.cutoff, path)?;
            if cfg.species != trained.reference.species().len() {
                return Err(format!(
                    "{}: config has {} species but the reference energies {}",
                    path.display(),
                    cfg.species,
                    trained.reference.species().len()
                ));
            }
            let mut model = Nequip::new(&cfg, 0);
            trained
                .checkpoint
                .load_into(&mut model, "Nequip")
                .map_err(|e| e.to_string())?;
            ZooModel::Nequip(model)
        }
        other => {
            return Err(format!(
                "{}: holds a `{other}`; the zoo loads {}",
                path.display(),
                ZooModel::NAMES.join(", ")
            ))
        }
    };
    Ok(Trained {
        model,
        cutoff: trained.cutoff,
        reference: trained.reference,
        config: trained.config,
        epoch: trained.epoch,
        path: path.to_path_buf(),
    })
}

/// The config the trainer stores for a [`Nequip`] (read back by [`load`]).
pub fn nequip_json(cfg: &NequipConfig) -> Value {
    json!({
        "species": cfg.species, "channels": cfg.channels, "vectors": cfg.vectors,
        "layers": cfg.layers, "n_basis": cfg.n_basis, "cutoff": cfg.cutoff, "scale": cfg.scale,
    })
}

/// A [`NequipConfig`] from its stored JSON, every value checked.
pub fn nequip_from_json(config: &Value, cutoff: f64, file: &Path) -> Result<NequipConfig, String> {
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
    let mut cfg = nequip_config(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nequip_config_round_trips_and_damage_is_named() {
        let mut cfg = nequip_config(2, 8, 4, 2, 3.5);
        cfg.n_basis = 6;
        cfg.interactions.n_basis = 6;
        cfg.scale = 0.7;
        let json = nequip_json(&cfg);
        let back = nequip_from_json(&json, 3.5, Path::new("m")).unwrap();
        assert_eq!(nequip_json(&back), json);
        let mut broken = json.clone();
        broken["channels"] = json!(0);
        let err = nequip_from_json(&broken, 3.5, Path::new("m")).unwrap_err();
        assert!(err.contains("`channels`"), "{err}");
        let err = nequip_from_json(&json, 4.0, Path::new("m")).unwrap_err();
        assert!(err.contains("cutoff"), "{err}");
    }
}
