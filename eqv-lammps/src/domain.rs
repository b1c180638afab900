//! One rank's share of a domain decomposition: the energy of the atoms it
//! owns and the forces on every atom it can see.
//!
//! LAMMPS gives each MPI rank the atoms of its subdomain ("local", or
//! owned) followed by copies of the atoms around it ("ghosts": atoms of
//! other ranks and periodic images, already shifted, so no cell is needed).
//! A message-passing model with `L` interaction layers of cutoff `r_c`
//! gives an owned atom an energy that depends on every atom within
//! `L · r_c` of it, through chains of `L` edges. So:
//!
//! * the ghost shell must be at least `L · r_c` thick (the pair style sets
//!   LAMMPS's ghost cutoff to `L · r_c + skin`, the skin covering motion
//!   between neighbour-list rebuilds);
//! * the graph is the finite cluster of owned and ghost atoms, every edge
//!   within `r_c`; ghosts near the outer surface miss neighbours, so their
//!   own features are wrong, but an error that starts at depth
//!   `L · r_c` travels one cutoff per layer and never reaches an owned atom;
//! * the energy is summed over owned atoms only
//!   ([`Batch::with_ghosts`]): every atom's energy is counted exactly once
//!   across ranks and images;
//! * `F = −∂E_owned/∂R` is taken for every atom of the cluster, ghosts
//!   included, and LAMMPS adds each ghost's force to its owner (`newton
//!   on`, reverse communication). The sum over ranks is `−∂E/∂R` of the
//!   total energy, exactly.
//!
//! The price is redundant work: each rank runs the whole network on its
//! ghosts too, `((d + 2 L r_c) / d)³` times the owned atoms for a cubic
//! subdomain of side `d`.

use eqv::data::{atomic_number, SpeciesMap};
use eqv::graph::{energy_and_forces, Batch, EnergyModel, Graph};
use eqv::kernels::parallel;
use eqv::prelude::Tape;
use eqv::zoo::{Trained, ZooModel};
use std::path::Path;

/// A trained model ready to evaluate subdomains.
#[derive(Debug)]
pub struct DomainModel {
    model: ZooModel,
    cutoff: f64,
    layers: usize,
    species: SpeciesMap,
    e0: Vec<f64>,
}

/// The result of one subdomain.
#[derive(Clone, Debug, PartialEq)]
pub struct DomainEnergy {
    /// Energy of the owned atoms (eV), reference energies E0 included.
    pub energy: f64,
    /// `−∂E_owned/∂R` (eV/Å) of every atom, owned and ghost.
    pub forces: Vec<[f64; 3]>,
}

impl DomainModel {
    /// Loads a checkpoint (a `.safetensors` file or a training run's
    /// directory).
    pub fn load(path: impl AsRef<Path>) -> Result<Self, String> {
        Self::from_trained(eqv::zoo::load(path)?)
    }

    /// A loaded checkpoint.
    pub fn from_trained(t: Trained) -> Result<Self, String> {
        Self::new(
            t.model,
            t.cutoff,
            t.reference.species().clone(),
            t.reference.per_atom(),
        )
    }

    /// A model with its cutoff (Å), species and per-species reference
    /// energies (eV). Fails on a non-positive cutoff or E0 values that are
    /// not one finite number per species.
    pub fn new(
        model: ZooModel,
        cutoff: f64,
        species: SpeciesMap,
        e0: Vec<f64>,
    ) -> Result<Self, String> {
        if !(cutoff.is_finite() && cutoff > 0.0) {
            return Err(format!(
                "model cutoff must be a positive number of Å, got {cutoff}"
            ));
        }
        if e0.len() != species.len() || e0.iter().any(|x| !x.is_finite()) {
            return Err(format!(
                "need one finite reference energy per species ({}), got {:?}",
                species.len(),
                e0
            ));
        }
        let layers = interaction_layers(&model);
        Ok(DomainModel {
            model,
            cutoff,
            layers,
            species,
            e0,
        })
    }

    /// The cutoff of one edge (Å).
    pub fn cutoff(&self) -> f64 {
        self.cutoff
    }

    /// The number of message-passing layers.
    pub fn layers(&self) -> usize {
        self.layers
    }

    /// How far an owned atom's energy reaches: `layers × cutoff` (Å), the
    /// ghost shell a subdomain needs.
    pub fn receptive_field(&self) -> f64 {
        self.layers as f64 * self.cutoff
    }

    /// The species the model knows.
    pub fn species(&self) -> &SpeciesMap {
        &self.species
    }

    /// The model's species index of a chemical element ("Si", or an atomic
    /// number "14"), `None` if the model was not trained on it.
    pub fn species_index(&self, element: &str) -> Option<usize> {
        self.species.index(atomic_number(element)?)
    }

    /// Energy of the first `n_owned` atoms and forces on all atoms of a
    /// cluster of owned atoms followed by ghosts (positions in Å, already
    /// unwrapped: edges join atoms closer than the cutoff, with no
    /// periodic images). `species` are the model's species indices.
    ///
    /// Fails (never panics) on mismatched lengths, an unknown species, or
    /// a non-finite result.
    pub fn compute(
        &self,
        n_owned: usize,
        species: &[usize],
        positions: &[[f64; 3]],
    ) -> Result<DomainEnergy, String> {
        let n = positions.len();
        if species.len() != n || n_owned > n {
            return Err(format!(
                "{n} positions, {} species and {n_owned} owned atoms do not fit together",
                species.len()
            ));
        }
        if let Some(i) = species.iter().position(|&s| s >= self.species.len()) {
            return Err(format!(
                "atom {i} has species index {} but the model knows {} species",
                species[i],
                self.species.len()
            ));
        }
        let batch = Batch::from_positions(positions, species, self.cutoff)
            .and_then(|b| b.with_ghosts((0..n).map(|i| i >= n_owned).collect()))
            .map_err(|e| e.to_string())?;
        // A big domain on a worker of the pool: its large ops split across
        // the cores without a hand-over each. A small one stays here.
        let out = parallel::on_pool_if_split(batch.num_edges(), || {
            let tape = Tape::<f64>::inference();
            let g = Graph::new(&tape, &batch);
            energy_and_forces(&g, self.model.energy(&g))
        });
        let offset: f64 = species[..n_owned].iter().map(|&s| self.e0[s]).sum();
        let energy = out.energies[0] + offset;
        if !energy.is_finite() || out.forces.iter().flatten().any(|x| !x.is_finite()) {
            return Err(
                "the model's energy or forces are not finite (atoms too close, or far outside the training data?)"
                    .into(),
            );
        }
        Ok(DomainEnergy {
            energy,
            forces: out.forces,
        })
    }
}

/// How many message-passing layers a zoo model has. Each architecture
/// must say, so the match is exhaustive: a new zoo model does not compile
/// here until its receptive field is known (and it must be a sum of atomic
/// energies through `sum_over_atoms`, which every zoo model is).
fn interaction_layers(model: &ZooModel) -> usize {
    match model {
        ZooModel::Mace(m) => m.config().blocks,
        ZooModel::Nequip(m) => m.config().layers,
        ZooModel::NequipL2(m) => m.config().layers,
    }
}
