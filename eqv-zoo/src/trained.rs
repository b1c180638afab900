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

use crate::mace::{mace_config, Mace, MaceConfig};
use crate::nequip::{nequip_config, Nequip, NequipConfig};
use crate::nequip_l2::{nequip_l2_config, NequipL2, NequipL2Config};
use eqv::graph::{EnergyModel, Graph};
use eqv::param::{Param, Parameters};
use eqv::prelude::{Feat, Real, Scalar};
use eqv_train::{read_trained, ReferenceEnergies, TrainedCheckpoint};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// A model of the zoo, as loaded from a checkpoint. (Variants differ in
/// size; one value per loaded model, so boxing would buy nothing.)
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum ZooModel {
    /// [`Mace`].
    Mace(Mace),
    /// [`Nequip`].
    Nequip(Nequip),
    /// [`NequipL2`].
    NequipL2(NequipL2),
}

impl ZooModel {
    /// The names [`load`] knows, as checkpoints spell them.
    pub const NAMES: &'static [&'static str] = &["Mace", "Nequip", "NequipL2"];

    /// The name the checkpoint stores.
    pub fn name(&self) -> &'static str {
        match self {
            ZooModel::Mace(_) => "Mace",
            ZooModel::Nequip(_) => "Nequip",
            ZooModel::NequipL2(_) => "NequipL2",
        }
    }
}

impl EnergyModel for ZooModel {
    fn energy<'t, T: Real>(&self, graph: &Graph<'t, T>) -> Feat<'t, Scalar, T> {
        match self {
            ZooModel::Mace(m) => m.energy(graph),
            ZooModel::Nequip(m) => m.energy(graph),
            ZooModel::NequipL2(m) => m.energy(graph),
        }
    }
}

impl Parameters for ZooModel {
    fn visit(&self, prefix: &str, f: &mut dyn FnMut(&str, &Param)) {
        match self {
            ZooModel::Mace(m) => m.visit(prefix, f),
            ZooModel::Nequip(m) => m.visit(prefix, f),
            ZooModel::NequipL2(m) => m.visit(prefix, f),
        }
    }
    fn visit_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut Param)) {
        match self {
            ZooModel::Mace(m) => m.visit_mut(prefix, f),
            ZooModel::Nequip(m) => m.visit_mut(prefix, f),
            ZooModel::NequipL2(m) => m.visit_mut(prefix, f),
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
    let species = |n: usize| -> Result<(), String> {
        if n == trained.reference.species().len() {
            Ok(())
        } else {
            Err(format!(
                "{}: config has {n} species but the reference energies {}",
                path.display(),
                trained.reference.species().len()
            ))
        }
    };
    let model = match trained.model_name.as_str() {
        "Nequip" => {
            let cfg = nequip_from_json(&trained.config, trained.cutoff, path)?;
            species(cfg.species)?;
            let mut model = Nequip::new(&cfg, 0);
            trained
                .checkpoint
                .load_into(&mut model, "Nequip")
                .map_err(|e| e.to_string())?;
            ZooModel::Nequip(model)
        }
        "NequipL2" => {
            let cfg = nequip_l2_from_json(&trained.config, trained.cutoff, path)?;
            species(cfg.species)?;
            let mut model = NequipL2::new(&cfg, 0);
            trained
                .checkpoint
                .load_into(&mut model, "NequipL2")
                .map_err(|e| e.to_string())?;
            ZooModel::NequipL2(model)
        }
        "Mace" => {
            let cfg = mace_from_json(&trained.config, trained.cutoff, path)?;
            species(cfg.species)?;
            let mut model = Mace::new(&cfg, 0);
            trained
                .checkpoint
                .load_into(&mut model, "Mace")
                .map_err(|e| e.to_string())?;
            ZooModel::Mace(model)
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

/// The config the trainer stores for a [`NequipL2`] (read back by [`load`]).
pub fn nequip_l2_json(cfg: &NequipL2Config) -> Value {
    json!({
        "species": cfg.species, "channels": cfg.channels, "vectors": cfg.vectors,
        "tensors": cfg.tensors, "layers": cfg.layers, "n_basis": cfg.n_basis,
        "cutoff": cfg.cutoff, "scale": cfg.scale,
    })
}

/// Reads a stored config's entries, every value checked: a damaged or
/// hand-edited entry is an error naming the file and the entry.
struct Entries<'a> {
    config: &'a Value,
    file: &'a Path,
}

impl Entries<'_> {
    fn bad(&self, m: String) -> String {
        format!("{}: config {m}", self.file.display())
    }

    /// A whole number ≥ 1.
    fn count(&self, k: &str) -> Result<usize, String> {
        let v = self
            .config
            .get(k)
            .ok_or_else(|| self.bad(format!("has no `{k}`")))?;
        match v.as_u64() {
            Some(n) if n >= 1 => {
                usize::try_from(n).map_err(|_| self.bad(format!("`{k}` = {v} is too large")))
            }
            _ => Err(self.bad(format!("`{k}` = {v} must be a whole number ≥ 1"))),
        }
    }

    /// A positive finite number.
    fn positive(&self, k: &str) -> Result<f64, String> {
        let v = self
            .config
            .get(k)
            .ok_or_else(|| self.bad(format!("has no `{k}`")))?;
        match v.as_f64() {
            Some(x) if x.is_finite() && x > 0.0 => Ok(x),
            _ => Err(self.bad(format!("`{k}` = {v} must be a positive number"))),
        }
    }

    /// The stored cutoff, which must be the checkpoint's.
    fn cutoff(&self, cutoff: f64) -> Result<f64, String> {
        let stored = self.positive("cutoff")?;
        if stored != cutoff {
            return Err(self.bad(format!(
                "`cutoff` = {stored} differs from the checkpoint's cutoff {cutoff}"
            )));
        }
        Ok(stored)
    }
}

/// The config the trainer stores for a [`Mace`] (read back by [`load`]).
pub fn mace_json(cfg: &MaceConfig) -> Value {
    json!({
        "species": cfg.species, "channels": cfg.channels, "layers": cfg.blocks,
        "n_basis": cfg.n_basis, "cutoff": cfg.cutoff, "scale": cfg.scale,
        "avg_neighbors": cfg.interactions.avg_neighbors,
    })
}

/// A [`MaceConfig`] from its stored JSON, every value checked.
pub fn mace_from_json(config: &Value, cutoff: f64, file: &Path) -> Result<MaceConfig, String> {
    let e = Entries { config, file };
    let mut cfg = mace_config(
        e.count("species")?,
        e.count("channels")?,
        e.count("layers")?,
        e.cutoff(cutoff)?,
    );
    cfg.n_basis = e.count("n_basis")?;
    cfg.interactions.n_basis = cfg.n_basis;
    cfg.interactions.avg_neighbors = e.positive("avg_neighbors")?;
    cfg.scale = e.positive("scale")?;
    Ok(cfg)
}

/// A [`NequipConfig`] from its stored JSON, every value checked.
pub fn nequip_from_json(config: &Value, cutoff: f64, file: &Path) -> Result<NequipConfig, String> {
    let e = Entries { config, file };
    let (count, positive) = (|k| e.count(k), |k| e.positive(k));
    e.cutoff(cutoff)?;
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

/// A [`NequipL2Config`] from its stored JSON, every value checked.
pub fn nequip_l2_from_json(
    config: &Value,
    cutoff: f64,
    file: &Path,
) -> Result<NequipL2Config, String> {
    let e = Entries { config, file };
    let count = |k| e.count(k);
    e.cutoff(cutoff)?;
    let mut cfg = nequip_l2_config(
        count("species")?,
        count("channels")?,
        count("vectors")?,
        count("tensors")?,
        count("layers")?,
        cutoff,
    );
    cfg.n_basis = count("n_basis")?;
    cfg.interactions.n_basis = cfg.n_basis;
    cfg.scale = e.positive("scale")?;
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mace_config_round_trips_and_damage_is_named() {
        let mut cfg = mace_config(2, 6, 2, 3.5);
        cfg.n_basis = 6;
        cfg.interactions.n_basis = 6;
        cfg.interactions.avg_neighbors = 12.5;
        cfg.scale = 0.7;
        let json = mace_json(&cfg);
        let back = mace_from_json(&json, 3.5, Path::new("m")).unwrap();
        assert_eq!(mace_json(&back), json);
        let mut broken = json.clone();
        broken["avg_neighbors"] = json!(-1.0);
        let err = mace_from_json(&broken, 3.5, Path::new("m")).unwrap_err();
        assert!(err.contains("`avg_neighbors`"), "{err}");
    }

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

    #[test]
    fn nequip_l2_config_round_trips_and_damage_is_named() {
        let mut cfg = nequip_l2_config(2, 8, 4, 3, 2, 3.5);
        cfg.n_basis = 6;
        cfg.interactions.n_basis = 6;
        cfg.scale = 0.7;
        let json = nequip_l2_json(&cfg);
        let back = nequip_l2_from_json(&json, 3.5, Path::new("m")).unwrap();
        assert_eq!(nequip_l2_json(&back), json);
        assert_eq!(back.interactions.tensors, 3);
        let mut broken = json.clone();
        broken["tensors"] = json!(1.5);
        let err = nequip_l2_from_json(&broken, 3.5, Path::new("m")).unwrap_err();
        assert!(err.contains("`tensors`"), "{err}");
    }
}
