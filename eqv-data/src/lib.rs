//! Atomic structures for eqv: everything about atoms that is not a network.
//!
//! * [`data`]: frames (positions, species, cell, labels), the extended XYZ
//!   reader and writer (checked against ASE), neighbour lists with periodic
//!   images, species maps and per-species reference energies;
//! * [`classical`]: the reference potentials that label the default data
//!   (Stillinger–Weber silicon with analytic forces) and molecular dynamics
//!   for any [`classical::Potential`];
//! * [`rng`]: the small, seedable random number generator every part of eqv
//!   uses, so that a seed means the same thing everywhere.
//!
//! Users reach these through the facade as `eqv::data`, `eqv::classical`
//! and `eqv::rng`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod classical;
pub mod data;
pub mod rng;
