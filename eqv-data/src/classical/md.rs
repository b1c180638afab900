//! Molecular dynamics: velocity Verlet with an optional Langevin thermostat.
//!
//! # Units
//!
//! Energies in eV, lengths in Å, masses in amu, time in fs, temperatures in
//! K; velocities are stored in Å/fs. The natural time unit of eV/Å/amu is
//! τ = √(amu·Å²/eV) = [`FS_PER_TIME_UNIT`] ≈ 10.18 fs, so a force F (eV/Å)
//! on a mass m (amu) gives the acceleration F / m / τ² in Å/fs², and a
//! kinetic energy ½ m v² with v in Å/fs is ½ m v² τ² in eV. All conversions
//! happen here; callers only see fs, Å/fs, eV and K.
//!
//! # Integrator
//!
//! The BAOAB splitting of Langevin dynamics (Leimkuhler & Matthews, 2013):
//! half kick (B), half drift (A), exact Ornstein–Uhlenbeck velocity update
//! (O), half drift (A), half kick (B). With [`Thermostat::None`] the O step
//! is the identity and this is exactly velocity Verlet (NVE), symplectic and
//! time-reversible, which is why its energy drift is small. BAOAB samples
//! configurations with small time-step bias, which is what a dataset needs.
//!
//! With a [`Barostat`] ([`Md::with_barostat`]) the cell is rescaled once per
//! step, between the drifts and the force evaluation, from the pressure of
//! the previous evaluation: constant pressure (NPT with the Langevin
//! thermostat), at no extra force evaluation.

use super::barostat::{Barostat, GPA_PER_EV_PER_A3};
use super::Potential;
use crate::data::{DataError, Frame};
use crate::rng::Rng;

/// √(amu·Å²/eV) in fs: the time unit of the eV/Å/amu system.
pub const FS_PER_TIME_UNIT: f64 = 10.180505710759414;

/// Boltzmann constant in eV/K (CODATA 2018).
pub const BOLTZMANN_EV_PER_K: f64 = 8.617333262e-5;

/// How the temperature is controlled.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Thermostat {
    /// Constant energy (NVE): plain velocity Verlet.
    None,
    /// Langevin dynamics at `temperature_k`, with friction `friction_per_fs`
    /// (1/fs; 0.01 relaxes velocities in ~100 fs).
    Langevin {
        /// Target temperature (K).
        temperature_k: f64,
        /// Friction coefficient γ (1/fs).
        friction_per_fs: f64,
    },
}

/// A running MD simulation of one frame under one potential.
pub struct Md<P: Potential> {
    potential: P,
    frame: Frame,
    masses: Vec<f64>,
    velocities: Vec<[f64; 3]>,
    energy: f64,
    forces: Vec<[f64; 3]>,
    stress: Option<[[f64; 3]; 3]>,
    dt_fs: f64,
    thermostat: Thermostat,
    barostat: Option<Barostat>,
    steps: u64,
}

impl<P: Potential> Md<P> {
    /// Starts a simulation at rest; computes the initial energy and forces.
    ///
    /// `masses` are in amu, one per atom (see
    /// [`atomic_mass`](crate::data::atomic_mass)). Fails on a bad time step,
    /// masses that do not match the atoms, or a frame the potential rejects.
    pub fn new(
        potential: P,
        frame: Frame,
        masses: Vec<f64>,
        dt_fs: f64,
        thermostat: Thermostat,
    ) -> Result<Self, DataError> {
        if !dt_fs.is_finite() || dt_fs <= 0.0 {
            return Err(DataError::invalid(format!(
                "MD time step must be positive, got {dt_fs} fs"
            )));
        }
        if masses.len() != frame.len() || masses.iter().any(|m| !(m.is_finite() && *m > 0.0)) {
            return Err(DataError::invalid("MD needs one positive mass per atom"));
        }
        if let Thermostat::Langevin {
            temperature_k,
            friction_per_fs,
        } = thermostat
        {
            let ok = |x: f64| x.is_finite() && x >= 0.0;
            if !ok(temperature_k) || !ok(friction_per_fs) {
                return Err(DataError::invalid(
                    "Langevin temperature and friction must be non-negative numbers",
                ));
            }
        }
        let out = potential.evaluate(&frame)?;
        if out.forces.len() != frame.len() {
            return Err(DataError::invalid(format!(
                "the potential returned {} forces for {} atoms",
                out.forces.len(),
                frame.len()
            )));
        }
        let n = frame.len();
        Ok(Md {
            potential,
            frame,
            masses,
            velocities: vec![[0.0; 3]; n],
            energy: out.energy,
            forces: out.forces,
            stress: out.stress,
            dt_fs,
            thermostat,
            barostat: None,
            steps: 0,
        })
    }

    /// Adds a barostat: constant pressure (NPT). Needs a Langevin
    /// thermostat (the barostat's noise is at its temperature), a cell
    /// periodic in all three directions, and a potential that computes the
    /// stress; each missing piece is an error that names it.
    pub fn with_barostat(mut self, barostat: Barostat) -> Result<Self, DataError> {
        barostat.validate()?;
        if !matches!(self.thermostat, Thermostat::Langevin { .. }) {
            return Err(DataError::invalid(
                "constant pressure needs a thermostat: use a Langevin thermostat with the barostat (NPT)",
            ));
        }
        if self.frame.pbc != [true; 3] || self.volume().is_none() {
            return Err(DataError::invalid(
                "constant pressure needs a cell periodic in all three directions",
            ));
        }
        if self.stress.is_none() {
            return Err(DataError::invalid(
                "constant pressure needs the stress, and this potential gives none (Potential::evaluate)",
            ));
        }
        self.barostat = Some(barostat);
        Ok(self)
    }

    /// Draws Maxwell–Boltzmann velocities at `temperature_k`, removes the
    /// centre-of-mass velocity, and rescales to exactly that temperature
    /// (as [`temperature`](Self::temperature) measures it).
    pub fn set_maxwell_boltzmann(&mut self, temperature_k: f64, rng: &mut Rng) {
        let kt = BOLTZMANN_EV_PER_K * temperature_k.max(0.0);
        for (v, &m) in self.velocities.iter_mut().zip(&self.masses) {
            let s = (kt / m).sqrt() / FS_PER_TIME_UNIT;
            *v = [s * rng.normal(), s * rng.normal(), s * rng.normal()];
        }
        let total: f64 = self.masses.iter().sum();
        if self.frame.len() > 1 && total > 0.0 {
            let mut p = [0.0; 3];
            for (v, &m) in self.velocities.iter().zip(&self.masses) {
                for c in 0..3 {
                    p[c] += m * v[c];
                }
            }
            for v in &mut self.velocities {
                for c in 0..3 {
                    v[c] -= p[c] / total;
                }
            }
        }
        let t = self.temperature();
        if t > 0.0 {
            let s = (temperature_k / t).sqrt();
            for v in &mut self.velocities {
                for x in v.iter_mut() {
                    *x *= s;
                }
            }
        }
    }

    /// One time step.
    pub fn step(&mut self, rng: &mut Rng) -> Result<(), DataError> {
        let dt = self.dt_fs;
        let inv_tau2 = 1.0 / (FS_PER_TIME_UNIT * FS_PER_TIME_UNIT);
        self.kick(0.5 * dt * inv_tau2);
        self.drift(0.5 * dt);
        if let Thermostat::Langevin {
            temperature_k,
            friction_per_fs,
        } = self.thermostat
        {
            let c1 = (-friction_per_fs * dt).exp();
            let kt = BOLTZMANN_EV_PER_K * temperature_k;
            for (v, &m) in self.velocities.iter_mut().zip(&self.masses) {
                let s = ((1.0 - c1 * c1) * kt / m).sqrt() / FS_PER_TIME_UNIT;
                for x in v.iter_mut() {
                    *x = c1 * *x + s * rng.normal();
                }
            }
        }
        self.drift(0.5 * dt);
        if let (Some(barostat), Thermostat::Langevin { temperature_k, .. }) =
            (self.barostat, self.thermostat)
        {
            self.rescale_cell(barostat, temperature_k, rng)?;
        }
        let out = self.potential.evaluate(&self.frame)?;
        if out.forces.len() != self.frame.len() {
            return Err(DataError::invalid(format!(
                "the potential returned {} forces for {} atoms",
                out.forces.len(),
                self.frame.len()
            )));
        }
        self.energy = out.energy;
        self.forces = out.forces;
        self.stress = out.stress;
        self.kick(0.5 * dt * inv_tau2);
        self.steps += 1;
        Ok(())
    }

    /// `n` time steps.
    pub fn run(&mut self, n: usize, rng: &mut Rng) -> Result<(), DataError> {
        for _ in 0..n {
            self.step(rng)?;
        }
        Ok(())
    }

    /// One barostat move: positions and cell times `μ`, velocities over `μ`.
    fn rescale_cell(
        &mut self,
        barostat: Barostat,
        temperature_k: f64,
        rng: &mut Rng,
    ) -> Result<(), DataError> {
        let (Some(p), Some(v)) = (self.pressure(), self.volume()) else {
            return Err(DataError::invalid(
                "constant pressure: the potential stopped giving a stress",
            ));
        };
        let mu = barostat.scaling(p, v, temperature_k, self.dt_fs, rng);
        if !(mu.is_finite() && (0.5..2.0).contains(&mu)) {
            return Err(DataError::invalid(format!(
                "the barostat tried to scale the cell by {mu} in one step (pressure {:.3} GPa): lower the time step or raise the barostat's relaxation time",
                p * GPA_PER_EV_PER_A3
            )));
        }
        for r in &mut self.frame.positions {
            for x in r.iter_mut() {
                *x *= mu;
            }
        }
        if let Some(cell) = &mut self.frame.cell {
            for x in cell.iter_mut().flatten() {
                *x *= mu;
            }
        }
        for u in &mut self.velocities {
            for x in u.iter_mut() {
                *x /= mu;
            }
        }
        Ok(())
    }

    fn kick(&mut self, h: f64) {
        for ((v, f), &m) in self
            .velocities
            .iter_mut()
            .zip(&self.forces)
            .zip(&self.masses)
        {
            for c in 0..3 {
                v[c] += h * f[c] / m;
            }
        }
    }

    fn drift(&mut self, h: f64) {
        for (r, v) in self.frame.positions.iter_mut().zip(&self.velocities) {
            for c in 0..3 {
                r[c] += h * v[c];
            }
        }
    }

    /// Kinetic energy Σ ½ m v² (eV).
    pub fn kinetic_energy(&self) -> f64 {
        let s: f64 = self
            .velocities
            .iter()
            .zip(&self.masses)
            .map(|(v, &m)| m * (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]))
            .sum();
        0.5 * s * FS_PER_TIME_UNIT * FS_PER_TIME_UNIT
    }

    /// Instantaneous temperature 2 KE / (3 N k_B) (K), counting all 3N
    /// degrees of freedom (Langevin dynamics thermalises them all).
    pub fn temperature(&self) -> f64 {
        let n = self.frame.len();
        if n == 0 {
            return 0.0;
        }
        2.0 * self.kinetic_energy() / (3.0 * n as f64 * BOLTZMANN_EV_PER_K)
    }

    /// Potential energy of the current configuration (eV).
    pub fn potential_energy(&self) -> f64 {
        self.energy
    }

    /// The stress of the current configuration from the potential (eV/Å³,
    /// positive under tension), if it gives one.
    pub fn stress(&self) -> Option<[[f64; 3]; 3]> {
        self.stress
    }

    /// The cell volume (Å³), for a cell periodic in all three directions.
    pub fn volume(&self) -> Option<f64> {
        match self.frame.pbc {
            [true, true, true] => self.frame.volume().filter(|v| *v > 0.0),
            _ => None,
        }
    }

    /// The instantaneous pressure `P = 2 K / (3 V) − tr σ / 3` (eV/Å³):
    /// kinetic (ideal-gas) part plus the potential's. `None` without a
    /// periodic cell or a stress.
    pub fn pressure(&self) -> Option<f64> {
        let (s, v) = (self.stress?, self.volume()?);
        Some(2.0 * self.kinetic_energy() / (3.0 * v) - (s[0][0] + s[1][1] + s[2][2]) / 3.0)
    }

    /// Simulated time so far (fs).
    pub fn time_fs(&self) -> f64 {
        self.steps as f64 * self.dt_fs
    }

    /// The time step (fs).
    pub fn dt_fs(&self) -> f64 {
        self.dt_fs
    }

    /// The masses (amu).
    pub fn masses(&self) -> &[f64] {
        &self.masses
    }

    /// Potential plus kinetic energy (eV): conserved without a thermostat.
    pub fn total_energy(&self) -> f64 {
        self.energy + self.kinetic_energy()
    }

    /// The current configuration (positions are not wrapped into the cell).
    pub fn frame(&self) -> &Frame {
        &self.frame
    }

    /// Forces on the current configuration (eV/Å).
    pub fn forces(&self) -> &[[f64; 3]] {
        &self.forces
    }

    /// Velocities (Å/fs).
    pub fn velocities(&self) -> &[[f64; 3]] {
        &self.velocities
    }

    /// Replaces the velocities (Å/fs), one per atom.
    pub fn set_velocities(&mut self, velocities: Vec<[f64; 3]>) -> Result<(), DataError> {
        if velocities.len() != self.frame.len() {
            return Err(DataError::invalid("one velocity per atom is needed"));
        }
        self.velocities = velocities;
        Ok(())
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The potential this simulation runs.
    pub fn potential(&self) -> &P {
        &self.potential
    }

    /// The current configuration with its energy, forces and (if known)
    /// stress attached.
    pub fn labelled_frame(&self) -> Frame {
        let mut f = self.frame.clone();
        f.energy = Some(self.energy);
        f.forces = Some(self.forces.clone());
        f.stress = self.stress;
        f
    }
}
