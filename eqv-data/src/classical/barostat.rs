//! Constant pressure: isotropic stochastic cell rescaling.
//!
//! The barostat of Bernetti & Bussi, "Pressure control using stochastic cell
//! rescaling", J. Chem. Phys. 153, 114107 (2020) ("C-rescale" in GROMACS),
//! in its isotropic form. Each step the logarithm of the volume moves by
//!
//! ```text
//! dε = −(β_T / τ_P) (P₀ − P − k_B T / V) dt + √(2 k_B T β_T dt / (V τ_P)) ξ,   ε = ln V
//! ```
//!
//! with `P` the instantaneous pressure (kinetic and virial parts), `β_T` the
//! isothermal compressibility, `τ_P` the relaxation time and `ξ` a standard
//! normal number; positions and cell are scaled by `exp(dε/3)` and velocities
//! by `exp(−dε/3)`. It is Berendsen's barostat (the drift term) plus the
//! noise that makes the volume fluctuate as it should in the NPT ensemble:
//! first order, so it relaxes without the ringing of Parrinello–Rahman or
//! Nosé–Hoover barostats, and yet samples the right distribution. With a
//! Langevin thermostat it samples NPT.
//!
//! The compressibility only sets how fast the volume responds together with
//! `τ_P`; a rough value is enough (silicon: 0.01 GPa⁻¹, water: 0.45 GPa⁻¹).

use super::md::BOLTZMANN_EV_PER_K;
use crate::data::DataError;
use crate::rng::Rng;

/// GPa in one eV/Å³.
pub const GPA_PER_EV_PER_A3: f64 = 160.21766208;

/// How the pressure is controlled.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Barostat {
    /// Isotropic stochastic cell rescaling (Bernetti & Bussi 2020).
    StochasticCellRescaling {
        /// Target pressure (GPa).
        pressure_gpa: f64,
        /// Relaxation time τ_P (fs); 10–100 × the time step.
        tau_fs: f64,
        /// Isothermal compressibility β_T (1/GPa).
        compressibility_per_gpa: f64,
    },
}

impl Barostat {
    /// Checks the settings: finite pressure, positive time and compressibility.
    pub fn validate(&self) -> Result<(), DataError> {
        let Barostat::StochasticCellRescaling {
            pressure_gpa,
            tau_fs,
            compressibility_per_gpa,
        } = *self;
        if !pressure_gpa.is_finite() {
            return Err(DataError::invalid(format!(
                "barostat pressure must be a finite number of GPa, got {pressure_gpa}"
            )));
        }
        if !(tau_fs.is_finite() && tau_fs > 0.0) {
            return Err(DataError::invalid(format!(
                "barostat relaxation time must be positive, got {tau_fs} fs"
            )));
        }
        if !(compressibility_per_gpa.is_finite() && compressibility_per_gpa > 0.0) {
            return Err(DataError::invalid(format!(
                "barostat compressibility must be positive, got {compressibility_per_gpa} 1/GPa"
            )));
        }
        Ok(())
    }

    /// The isotropic scaling factor `μ = exp(dε/3)` of lengths for one step
    /// of `dt_fs` at instantaneous pressure `pressure` (eV/Å³), volume
    /// `volume` (Å³) and thermostat temperature `temperature_k`. Positions
    /// and cell are multiplied by `μ`, velocities divided by it.
    pub fn scaling(
        &self,
        pressure: f64,
        volume: f64,
        temperature_k: f64,
        dt_fs: f64,
        rng: &mut Rng,
    ) -> f64 {
        let Barostat::StochasticCellRescaling {
            pressure_gpa,
            tau_fs,
            compressibility_per_gpa,
        } = *self;
        let beta = compressibility_per_gpa * GPA_PER_EV_PER_A3; // Å³/eV
        let p0 = pressure_gpa / GPA_PER_EV_PER_A3;
        let kt = BOLTZMANN_EV_PER_K * temperature_k;
        let drift = -(beta / tau_fs) * (p0 - pressure - kt / volume) * dt_fs;
        let noise = (2.0 * kt * beta * dt_fs / (volume * tau_fs)).sqrt() * rng.normal();
        ((drift + noise) / 3.0).exp()
    }
}
