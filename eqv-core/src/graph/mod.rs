//! Atomic graphs: batches of structures, the typed view of a batch on a
//! tape, symmetric reductions, and forces.
//!
//! An interatomic potential sees a structure as a graph: atoms are nodes,
//! pairs closer than a cutoff are (directed) edges. This module is where the
//! two symmetries that are *not* rotations are enforced:
//!
//! * **translation** (rule 6): the network reads geometry only through
//!   [`Graph::edge_vectors`], `r_j − r_i + shift`, never through absolute
//!   positions;
//! * **permutation** (rule 7): information moves between rows only by
//!   gathers along edges and symmetric reductions ([`Graph::scatter_sum`],
//!   [`Graph::sum_over_atoms`], [`sum_rows_by`]), whose results do not
//!   depend on how atoms are numbered.
//!
//! The pieces:
//! * [`Batch`]: plain `f64` data (positions, species, edges, targets) of many
//!   structures concatenated into one graph;
//! * [`Graph`]: a batch placed on a [`Tape`](crate::tape::Tape), positions as
//!   a tracked leaf, with the typed gathers and reductions;
//! * [`forces_from_energy`] and [`energy_and_forces`]: `F = −∂E/∂R` by one
//!   backward pass; [`energy_force_gradient`]: the parameter gradient of an
//!   energy-and-force loss (forward-over-reverse on dual numbers);
//! * [`energy_forces_stress`]: the stress `σ = (1/V) ∂E/∂ε` and the virial
//!   by the same backward pass, the strain on the tape
//!   ([`Graph::with_strain`]); [`energy_force_stress_gradient`]: the loss
//!   gradient with a stress term;
//! * [`Loss`]: the energy, force and stress loss the trainer, the metrics
//!   and the benches share; [`loss_gradient`] runs the two passes in the
//!   [`Precision`] asked for.

pub mod batch;
pub mod forces;
#[allow(clippy::module_inception)]
pub mod graph;
pub mod loss;
pub mod motion;
pub mod scatter;
pub mod stress;

pub use batch::Batch;
pub use forces::{
    energy_and_forces, energy_force_gradient, forces_from_energy, loss_gradient, EnergyForces,
    EnergyModel, LossGradient, LossTerms, Precision,
};
pub use graph::Graph;
pub use loss::{Loss, LossNormalisers, LossWeights};
pub use motion::Motion;
pub use scatter::{mean_rows_by, sum_rows_by, GraphGrouping, RowGroups};
pub use stress::{
    energy_force_stress_gradient, energy_forces_stress, voigt, EnergyForcesStress, Tensor3,
};
