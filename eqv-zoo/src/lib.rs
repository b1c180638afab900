//! Ready-made models, each declared with `#[equivariant]` in one file: read
//! them as worked examples of the macro, or use them as they are (users
//! reach this crate through the facade as `eqv::zoo`).
//!
//! | model | output | what it is |
//! |---|---|---|
//! | [`nequip::Nequip`] | energy | NequIP-like message passing with gated vectors (`--model nequip`) |
//! | [`nequip_l2::NequipL2`] | energy | the same with rank-2 (2e) node features, NequIP's `l_max = 2` (`--model nequip-l2`) |
//! | [`mace::Mace`] | energy | MACE-style higher body order by symmetric contraction (the main job's default model) |
//! | [`painn::Painn`] | energy | PaiNN: scalar and vector channels, no tensor products |
//! | [`egnn::Egnn`] | energy | E(n)-equivariant graph network on distances |
//! | [`egnn::EgnnForces`] | forces | direct (non-conservative) equivariant forces |
//! | [`local_frame::LocalFrame`] | forces | forces expressed in learned local frames |
//! | [`distance::PairPotential`] | energy | invariant pair energy of distances, the baseline |
//! | [`augmented::AugmentedBaseline`] | energy | a plain network on raw coordinates, through the trust door (a teaching contrast, not a potential to use) |
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod augmented;
#[cfg(test)]
mod checks;
pub mod distance;
pub mod egnn;
pub mod local_frame;
pub mod mace;
pub mod nequip;
pub mod nequip_l2;
pub mod painn;
pub mod trained;

pub use trained::{load, Trained, ZooModel};
