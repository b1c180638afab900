//! A trained energy model as a [`Potential`]: what MD, relaxations and
//! every other consumer of energies and forces run.
//!
//! Every `#[equivariant(output = Energy)]` network (every
//! [`EnergyModel`]) becomes a potential with [`ModelPotential`]: per call it
//! builds the frame's neighbour list with the model's cutoff, runs the model
//! in `f64` on an inference tape (no parameter gradients are recorded), and
//! takes forces and, for a cell periodic in all three directions, the
//! stress from one backward pass with the strain on the tape
//! ([`energy_forces_stress`]). The per-species reference energies E0 that
//! training subtracted are added back, so energies are total energies that
//! compare with the training labels.

use crate::classical::{Evaluation, Potential};
use crate::data::{DataError, Frame, SpeciesMap};
use crate::graph::{energy_and_forces, energy_forces_stress, Batch, EnergyModel, Graph};
use crate::kernels::parallel;
use crate::tape::Tape;

/// A trained energy model, its cutoff, its species and E0, as a
/// [`Potential`].
///
/// ```
/// use eqv::classical::{diamond_silicon, Potential};
/// use eqv::data::SpeciesMap;
/// use eqv::graph::{EnergyModel, Graph};
/// use eqv::prelude::*;
/// use eqv::simulation::ModelPotential;
/// // E = Σ_edges |r|² (a toy; any #[equivariant(output = Energy)] model works).
/// struct Springs;
/// impl EnergyModel for Springs {
///     fn energy<'t, T: Real>(&self, g: &Graph<'t, T>) -> Feat<'t, Scalar, T> {
///         g.sum_over_atoms(g.scatter_sum(g.edge_vectors().squared_norm()))
///     }
/// }
/// let potential = ModelPotential::new(Springs, 2.5, SpeciesMap::from_numbers([14]), vec![-4.0])?;
/// let out = potential.evaluate(&diamond_silicon(5.431, [1; 3]))?;
/// assert_eq!(out.forces.len(), 8);
/// assert!(out.stress.is_some()); // periodic cell: stress too
/// # Ok::<(), eqv::data::DataError>(())
/// ```
#[derive(Clone, Debug)]
pub struct ModelPotential<M> {
    model: M,
    cutoff: f64,
    species: SpeciesMap,
    e0: Vec<f64>,
}

impl<M: EnergyModel> ModelPotential<M> {
    /// The model with the neighbour cutoff it was trained with (Å), the
    /// species it knows (in the order of its one-hot input) and the
    /// reference energy E0 of each (eV; zeros if it learned total
    /// energies). From a checkpoint: `trained.cutoff`,
    /// `trained.reference.species()`, `trained.reference.e0()`.
    ///
    /// Fails on a cutoff that is not positive, or E0 values that are not
    /// one finite number per species.
    pub fn new(
        model: M,
        cutoff: f64,
        species: SpeciesMap,
        e0: Vec<f64>,
    ) -> Result<Self, DataError> {
        if !(cutoff.is_finite() && cutoff > 0.0) {
            return Err(DataError::invalid(format!(
                "model cutoff must be a positive number of Å, got {cutoff}"
            )));
        }
        species.check_reference_energies(&e0)?;
        Ok(ModelPotential {
            model,
            cutoff,
            species,
            e0,
        })
    }

    /// The model.
    pub fn model(&self) -> &M {
        &self.model
    }

    /// The neighbour cutoff (Å).
    pub fn cutoff(&self) -> f64 {
        self.cutoff
    }

    /// The species the model knows.
    pub fn species(&self) -> &SpeciesMap {
        &self.species
    }
}

impl<M: EnergyModel + Sync> ModelPotential<M> {
    fn run(&self, frame: &Frame, with_stress: bool) -> Result<Evaluation, DataError> {
        frame.validate()?;
        let idx = self.species.indices(frame)?;
        let batch = Batch::from_structure(
            &frame.positions,
            &idx,
            frame.cell.as_ref(),
            frame.pbc,
            self.cutoff,
        )?;
        let offset: f64 = idx.iter().map(|&s| self.e0[s]).sum();
        parallel::on_pool_if_split(batch.num_edges(), || {
            self.evaluate_batch(&batch, with_stress, offset)
        })
    }

    /// The model on one structure's graph: energy, forces and (periodic
    /// cells, when asked) stress, with E0 added back.
    fn evaluate_batch(
        &self,
        batch: &Batch,
        with_stress: bool,
        offset: f64,
    ) -> Result<Evaluation, DataError> {
        let tape = Tape::<f64>::inference();
        let periodic = with_stress && batch.volume(0).is_some();
        let g = if periodic {
            Graph::with_strain(&tape, batch)
        } else {
            Graph::new(&tape, batch)
        };
        let e = self.model.energy(&g);
        if e.rows() * e.mul() != 1 {
            return Err(DataError::invalid(format!(
                "the model returned {} energies for one structure; an energy model returns one Scalar per structure",
                e.rows() * e.mul()
            )));
        }
        let (energy, forces, stress) = if periodic {
            let out = energy_forces_stress(&g, e);
            (out.energies[0], out.forces, out.stresses[0])
        } else {
            let out = energy_and_forces(&g, e);
            (out.energies[0], out.forces, None)
        };
        if !energy.is_finite() || forces.iter().flatten().any(|x| !x.is_finite()) {
            return Err(DataError::invalid(
                "the model's energy or forces are not finite for this frame (atoms too close, or outside what it was trained on?)",
            ));
        }
        Ok(Evaluation {
            energy: energy + offset,
            forces,
            stress,
        })
    }
}

impl<M: EnergyModel + Sync> Potential for ModelPotential<M> {
    fn energy_forces(&self, frame: &Frame) -> Result<(f64, Vec<[f64; 3]>), DataError> {
        let out = self.run(frame, false)?;
        Ok((out.energy, out.forces))
    }

    /// Energy, forces and (cells periodic in all three directions) the
    /// stress, all from one backward pass.
    fn evaluate(&self, frame: &Frame) -> Result<Evaluation, DataError> {
        self.run(frame, true)
    }
}
