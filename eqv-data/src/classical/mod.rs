//! Classical reference potentials and molecular dynamics that make eqv's
//! default data.
//!
//! eqv must be trainable out of the box, without downloading a dataset and
//! without DFT: [`stillinger_weber`] is a cheap, exact, many-body potential
//! for silicon, [`md`] samples thermal configurations with it, and
//! [`dataset`] turns short MD runs into labelled frames, deterministically
//! from a seed.

pub mod dataset;
pub mod md;
pub mod stillinger_weber;

pub use dataset::{diamond_silicon, silicon_dataset, SiliconDatasetConfig};
pub use md::{Md, Thermostat};
pub use stillinger_weber::{StillingerWeber, SwOutput};

use crate::data::{DataError, Frame};

/// Anything that gives an energy and forces for a frame: a classical
/// potential, or later a trained network.
///
/// Returns a `Result` because a frame can be unusable for a potential (an
/// element it does not know, a singular cell) and that must be an error the
/// caller sees, not a panic.
pub trait Potential {
    /// Total energy (eV) and forces (eV/Å, one per atom).
    fn energy_forces(&self, frame: &Frame) -> Result<(f64, Vec<[f64; 3]>), DataError>;
}
