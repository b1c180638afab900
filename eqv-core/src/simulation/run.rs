//! An MD run from settings: the ensemble, the time step, the start, and
//! what to record. The whole of an `md` command, so that a command-line
//! front end only parses options and calls [`MdRun`].

use super::thermo::{ThermoLog, ThermoRecord};
use super::trajectory::TrajectoryWriter;
use super::Rdf;
use crate::classical::{Barostat, Md, Potential, Thermostat};
use crate::data::{atomic_mass, DataError, Frame};
use crate::rng::Rng;

/// The statistical ensemble of a run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Ensemble {
    /// Constant energy: velocity Verlet.
    Nve,
    /// Constant temperature: Langevin dynamics (BAOAB).
    Nvt {
        /// Temperature (K).
        temperature_k: f64,
        /// Friction (1/fs); 0.01 relaxes velocities in ~100 fs.
        friction_per_fs: f64,
    },
    /// Constant temperature and pressure: Langevin dynamics with isotropic
    /// stochastic cell rescaling ([`Barostat`]).
    Npt {
        /// Temperature (K).
        temperature_k: f64,
        /// Friction (1/fs).
        friction_per_fs: f64,
        /// The barostat (target pressure, relaxation time, compressibility).
        barostat: Barostat,
    },
}

impl Ensemble {
    /// `"nve"`, `"nvt"` or `"npt"`.
    pub fn name(&self) -> &'static str {
        match self {
            Ensemble::Nve => "nve",
            Ensemble::Nvt { .. } => "nvt",
            Ensemble::Npt { .. } => "npt",
        }
    }
}

/// Settings of an MD run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MdConfig {
    /// The ensemble.
    pub ensemble: Ensemble,
    /// Time step (fs); 1 fs suits silicon, 0.5 fs molecules with hydrogen.
    pub dt_fs: f64,
    /// Steps to run.
    pub steps: usize,
    /// Maxwell–Boltzmann velocities at this temperature (K) to start with
    /// (centre-of-mass motion removed); 0 starts at rest.
    pub initial_temperature_k: f64,
    /// Seed of the initial velocities and the thermostat's and barostat's
    /// noise.
    pub seed: u64,
    /// Record the thermodynamic state every this many steps (≥ 1).
    pub log_every: usize,
    /// Write a trajectory frame every this many steps; 0 = never.
    pub trajectory_every: usize,
}

impl Default for MdConfig {
    /// 1 ps of NVE at 1 fs from 300 K, logged every 10 fs.
    fn default() -> Self {
        MdConfig {
            ensemble: Ensemble::Nve,
            dt_fs: 1.0,
            steps: 1000,
            initial_temperature_k: 300.0,
            seed: 0,
            log_every: 10,
            trajectory_every: 0,
        }
    }
}

/// What a run records besides its thermo records; every part optional.
#[derive(Debug, Default)]
pub struct MdOutputs {
    /// The thermo log file.
    pub thermo: Option<ThermoLog>,
    /// The extended XYZ trajectory (every [`MdConfig::trajectory_every`]
    /// steps).
    pub trajectory: Option<TrajectoryWriter>,
    /// An RDF accumulated over the frames of the trajectory schedule (every
    /// [`MdConfig::trajectory_every`] steps, or every logged step when the
    /// trajectory is off), from `rdf_from_step` on.
    pub rdf: Option<Rdf>,
    /// The first step whose frames enter the RDF (equilibration before it).
    pub rdf_from_step: u64,
}

/// A simulation set up from an [`MdConfig`].
pub struct MdRun<P: Potential> {
    md: Md<P>,
    rng: Rng,
    cfg: MdConfig,
}

impl<P: Potential> MdRun<P> {
    /// Sets up the run: masses from the periodic table, the thermostat and
    /// barostat of the ensemble, initial velocities. Every setting is
    /// checked first; an unusable one is an error that names it.
    pub fn new(potential: P, frame: Frame, cfg: MdConfig) -> Result<Self, DataError> {
        let positive = |x: f64| x.is_finite() && x > 0.0;
        if !positive(cfg.dt_fs) {
            return Err(DataError::invalid(format!(
                "time step must be positive, got {} fs",
                cfg.dt_fs
            )));
        }
        if cfg.log_every == 0 {
            return Err(DataError::invalid("log_every must be at least 1 step"));
        }
        if !(cfg.initial_temperature_k.is_finite() && cfg.initial_temperature_k >= 0.0) {
            return Err(DataError::invalid(format!(
                "initial temperature must be ≥ 0 K, got {}",
                cfg.initial_temperature_k
            )));
        }
        frame.validate()?;
        if frame.is_empty() {
            return Err(DataError::invalid("the start frame has no atoms"));
        }
        let masses = frame
            .numbers
            .iter()
            .map(|&z| {
                atomic_mass(z).ok_or_else(|| DataError::invalid(format!("no mass for Z = {z}")))
            })
            .collect::<Result<Vec<f64>, DataError>>()?;
        let (thermostat, barostat) = match cfg.ensemble {
            Ensemble::Nve => (Thermostat::None, None),
            Ensemble::Nvt {
                temperature_k,
                friction_per_fs,
            } => (
                Thermostat::Langevin {
                    temperature_k,
                    friction_per_fs,
                },
                None,
            ),
            Ensemble::Npt {
                temperature_k,
                friction_per_fs,
                barostat,
            } => (
                Thermostat::Langevin {
                    temperature_k,
                    friction_per_fs,
                },
                Some(barostat),
            ),
        };
        let mut md = Md::new(potential, frame, masses, cfg.dt_fs, thermostat)?;
        if let Some(b) = barostat {
            md = md.with_barostat(b)?;
        }
        let mut rng = Rng::new(cfg.seed);
        if cfg.initial_temperature_k > 0.0 {
            md.set_maxwell_boltzmann(cfg.initial_temperature_k, &mut rng);
        }
        Ok(MdRun { md, rng, cfg })
    }

    /// The simulation (positions, velocities, energies so far).
    pub fn md(&self) -> &Md<P> {
        &self.md
    }

    /// Replaces the velocities (Å/fs), e.g. to start two potentials from
    /// the same state.
    pub fn set_velocities(&mut self, velocities: Vec<[f64; 3]>) -> Result<(), DataError> {
        self.md.set_velocities(velocities)
    }

    /// Runs [`MdConfig::steps`] steps, recording the start and every
    /// [`MdConfig::log_every`] steps into the returned records and
    /// `outputs`. A failing step (the potential rejects a configuration, a
    /// file cannot be written) ends the run with that error.
    pub fn run(&mut self, outputs: &mut MdOutputs) -> Result<Vec<ThermoRecord>, DataError> {
        let mut records = Vec::with_capacity(self.cfg.steps / self.cfg.log_every + 1);
        self.record(0, outputs, &mut records)?;
        for k in 1..=self.cfg.steps {
            self.md.step(&mut self.rng)?;
            self.record(k, outputs, &mut records)?;
        }
        Ok(records)
    }

    fn record(
        &mut self,
        k: usize,
        outputs: &mut MdOutputs,
        records: &mut Vec<ThermoRecord>,
    ) -> Result<(), DataError> {
        let logged = k.is_multiple_of(self.cfg.log_every);
        if logged {
            let r = ThermoRecord::of(&self.md);
            if !r.total_ev.is_finite() {
                return Err(DataError::invalid(format!(
                    "the total energy is not finite at step {k}: the time step is too large or the potential broke down"
                )));
            }
            if let Some(log) = outputs.thermo.as_mut() {
                log.write(&r)?;
            }
            records.push(r);
        }
        let every = self.cfg.trajectory_every;
        let framed = if every > 0 {
            k.is_multiple_of(every)
        } else {
            logged
        };
        if framed && every > 0 {
            if let Some(t) = outputs.trajectory.as_mut() {
                t.write(&self.md)?;
            }
        }
        if framed && k as u64 >= outputs.rdf_from_step {
            if let Some(rdf) = outputs.rdf.as_mut() {
                rdf.add(self.md.frame())?;
            }
        }
        Ok(())
    }
}
