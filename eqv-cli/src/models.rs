//! The architectures `train --model` builds, with the sizes the options
//! give. The config each stores in its checkpoint is the one
//! `eqv::zoo::load` reads back.

use crate::options::Args;
use crate::train::{run, run_interruptible, RunSummary, Setup};
use eqv::train::StopFlag;
use eqv::zoo::mace::{mace_config, Mace};
use eqv::zoo::nequip::{nequip_config, Nequip};
use eqv::zoo::nequip_l2::{nequip_l2_config, NequipL2};
use eqv::zoo::trained::{mace_json, nequip_json, nequip_l2_json};
use eqv::zoo::ZooModel;
use serde_json::Value;
use std::error::Error;

/// The names `--model` accepts.
pub const NAMES: &[&str] = &["mace", "nequip", "nequip-l2"];

/// Trains the architecture `--model` names (default `mace`: its products of
/// neighbour sums see three- and four-body angles in one layer, which the
/// NequIP-like model builds over layers; on the silicon data it reached
/// ~40 meV/Å where the NequIP-like model was at ~100 after the same two
/// minutes).
pub fn train_selected(
    args: &Args,
    default_out: &str,
    stop: StopFlag,
) -> Result<RunSummary, Box<dyn Error>> {
    let name: String = args.get_or("model", "mace".to_string())?;
    train_architecture(args, &name, default_out, Some(stop))
}

/// Trains the architecture `name` (one of [`NAMES`]) with the sizes the
/// options give; with `stop`, a set flag ends the run cleanly (checkpoint,
/// report), without, it runs to the end (programs that train several in a
/// row, like `compare_approaches`).
///
/// Every architecture trains as a `ZooModel`, so the trainer is compiled
/// once, here (for the enum, whose energy the evaluate and md commands
/// compile anyway), rather than once per architecture and again in every
/// program that trains one: that halved the build time of this crate.
pub fn train_architecture(
    args: &Args,
    name: &str,
    default_out: &str,
    stop: Option<StopFlag>,
) -> Result<RunSummary, Box<dyn Error>> {
    let (checkpoint_name, build): (&str, fn(&Setup) -> Built) =
        match name.to_ascii_lowercase().as_str() {
            "mace" => ("Mace", |s| {
                build_mace(s).map(|(m, c)| (ZooModel::Mace(m), c))
            }),
            "nequip" => ("Nequip", |s| {
                build_nequip(s).map(|(m, c)| (ZooModel::Nequip(m), c))
            }),
            "nequip-l2" => ("NequipL2", |s| {
                build_nequip_l2(s).map(|(m, c)| (ZooModel::NequipL2(m), c))
            }),
            other => {
                return Err(format!(
                    "--model {other}: unknown architecture; choose one of {}",
                    NAMES.join(", ")
                )
                .into())
            }
        };
    match stop {
        Some(stop) => run_interruptible(args, checkpoint_name, default_out, stop, build),
        None => run(args, checkpoint_name, default_out, build),
    }
}

/// A model as the trainer gets it, with the config its checkpoint stores.
type Built = Result<(ZooModel, Value), String>;

/// The NequIP-like model with the sizes given by the options.
pub fn build_nequip(setup: &Setup) -> Result<(Nequip, Value), String> {
    let a = setup.args;
    let (channels, vectors, layers) = if setup.smoke { (4, 2, 1) } else { (16, 8, 2) };
    let channels = a.get_or("channels", channels)?;
    let vectors = a.get_or("vectors", vectors)?;
    let layers = a.get_or("layers", layers)?;
    let n_basis = a.get_or("n-basis", 8)?;
    let seed = a.get_or("seed", 0u64)?;
    let mut cfg = nequip_config(setup.species, channels, vectors, layers, setup.cutoff);
    cfg.n_basis = n_basis;
    cfg.interactions.n_basis = n_basis;
    cfg.scale = setup.force_rms;
    let json = nequip_json(&cfg);
    Ok((Nequip::new(&cfg, seed), json))
}

/// The NequIP-like model with rank-2 node features (`--tensors` 2e
/// channels besides `--channels` scalars and `--vectors` vectors).
pub fn build_nequip_l2(setup: &Setup) -> Result<(NequipL2, Value), String> {
    let a = setup.args;
    let (channels, vectors, tensors, layers) = if setup.smoke {
        (4, 2, 2, 1)
    } else {
        (16, 8, 4, 2)
    };
    let channels = a.get_or("channels", channels)?;
    let vectors = a.get_or("vectors", vectors)?;
    let tensors = a.get_or("tensors", tensors)?;
    let layers = a.get_or("layers", layers)?;
    let n_basis = a.get_or("n-basis", 8)?;
    let seed = a.get_or("seed", 0u64)?;
    let mut cfg = nequip_l2_config(
        setup.species,
        channels,
        vectors,
        tensors,
        layers,
        setup.cutoff,
    );
    cfg.n_basis = n_basis;
    cfg.interactions.n_basis = n_basis;
    cfg.scale = setup.force_rms;
    let json = nequip_l2_json(&cfg);
    Ok((NequipL2::new(&cfg, seed), json))
}

/// The MACE-style model (correlation order 3) with the sizes given by the
/// options (`--channels` per irrep, `--layers` blocks).
pub fn build_mace(setup: &Setup) -> Result<(Mace, Value), String> {
    let a = setup.args;
    let (channels, layers) = if setup.smoke { (4, 1) } else { (8, 2) };
    let channels = a.get_or("channels", channels)?;
    let layers = a.get_or("layers", layers)?;
    let n_basis = a.get_or("n-basis", 8)?;
    let seed = a.get_or("seed", 0u64)?;
    let mut cfg = mace_config(setup.species, channels, layers, setup.cutoff);
    cfg.n_basis = n_basis;
    cfg.interactions.n_basis = n_basis;
    cfg.interactions.avg_neighbors = setup.neighbors_per_atom.max(1.0);
    cfg.scale = setup.force_rms;
    let json = mace_json(&cfg);
    Ok((Mace::new(&cfg, seed), json))
}
