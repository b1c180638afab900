//! Classical reference potentials and molecular dynamics that make eqv's
//! default data.
//!
//! eqv must be trainable out of the box, without downloading a dataset and
//! without DFT: [`stillinger_weber`] is a cheap, exact, many-body potential
//! for silicon, [`md`] samples thermal configurations with it, and
//! [`dataset`] turns short MD runs into labelled frames, deterministically
//! from a seed.

pub mod barostat;
pub mod dataset;
pub mod md;
pub mod stillinger_weber;

pub use barostat::Barostat;
pub use dataset::{diamond_silicon, silicon_dataset, SiliconDatasetConfig};
pub use md::{Md, Thermostat};
pub use stillinger_weber::{StillingerWeber, SwOutput};

use crate::data::{DataError, Frame};

/// Anything that gives an energy and forces for a frame: a classical
/// potential, or a trained network
/// (`eqv::simulation::ModelPotential`).
///
/// Returns a `Result` because a frame can be unusable for a potential (an
/// element it does not know, a singular cell) and that must be an error the
/// caller sees, not a panic.
pub trait Potential {
    /// Total energy (eV) and forces (eV/Å, one per atom).
    fn energy_forces(&self, frame: &Frame) -> Result<(f64, Vec<[f64; 3]>), DataError>;

    /// Energy, forces and, for a frame periodic in all three directions,
    /// the stress (eV/Å³, ASE's sign: positive under tension). What
    /// constant-pressure MD and the pressure in a thermo log need.
    ///
    /// The default gives no stress; potentials that can compute it
    /// (Stillinger–Weber, trained models) override this.
    fn evaluate(&self, frame: &Frame) -> Result<Evaluation, DataError> {
        let (energy, forces) = self.energy_forces(frame)?;
        Ok(Evaluation {
            energy,
            forces,
            stress: None,
        })
    }
}

/// What [`Potential::evaluate`] returns.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// Total energy (eV).
    pub energy: f64,
    /// Forces (eV/Å), one per atom.
    pub forces: Vec<[f64; 3]>,
    /// Stress (eV/Å³, positive under tension), `None` for a frame that is
    /// not periodic in all three directions or a potential without stress.
    pub stress: Option<[[f64; 3]; 3]>,
}
