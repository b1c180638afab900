//! Simulations with trained potentials: a model as a
//! [`Potential`](crate::classical::Potential), molecular dynamics in the NVE,
//! NVT and NPT ensembles, and what a run leaves behind.
//!
//! A potential is trained to be simulated with. The pieces, one idea per
//! file:
//! * [`potential`]: [`ModelPotential`], any energy model (every
//!   `#[equivariant(output = Energy)]` network) with its cutoff, species and
//!   reference energies as a potential: energy, forces and stress in `f64`;
//! * [`run`]: [`MdRun`], a run from an [`MdConfig`] — [`Ensemble::Nve`]
//!   (velocity Verlet), [`Ensemble::Nvt`] (Langevin, BAOAB) and
//!   [`Ensemble::Npt`] (Langevin with stochastic cell rescaling, which uses
//!   the stress) — on the integrator of [`crate::classical::md`];
//! * [`thermo`]: the thermo log (step, time, T, E_pot, E_kin, E_tot, P, V)
//!   and the NVE energy drift;
//! * [`trajectory`]: the trajectory as extended XYZ;
//! * [`rdf`]: the radial distribution function and a distance between two.
//!
//! # Units
//!
//! As ASE's and the data's: Å, eV, amu, fs (velocities in Å/fs), K; stress
//! in eV/Å³ (positive under tension); pressures in the thermo log in GPa
//! (1 eV/Å³ = 160.2 GPa); drift in eV per atom per ps.
//!
//! ```
//! use eqv_core::classical::{diamond_silicon, StillingerWeber};
//! use eqv_core::simulation::{energy_drift, Ensemble, MdConfig, MdOutputs, MdRun};
//! // Any Potential runs here; a trained model through ModelPotential.
//! let cfg = MdConfig { ensemble: Ensemble::Nve, steps: 20, log_every: 5, ..MdConfig::default() };
//! let mut run = MdRun::new(StillingerWeber::silicon(), diamond_silicon(5.431, [1; 3]), cfg)?;
//! let records = run.run(&mut MdOutputs::default())?;
//! assert_eq!(records.len(), 5);
//! let drift = energy_drift(&records, 8).unwrap(); // eV/atom/ps
//! assert!(drift.abs() < 1e-2);
//! # Ok::<(), eqv_core::data::DataError>(())
//! ```

pub mod potential;
pub mod rdf;
pub mod run;
pub mod thermo;
pub mod trajectory;

pub use potential::ModelPotential;
pub use rdf::Rdf;
pub use run::{Ensemble, MdConfig, MdOutputs, MdRun};
pub use thermo::{energy_drift, ThermoLog, ThermoRecord};
pub use trajectory::TrajectoryWriter;
