//! The thermodynamic log of an MD run, and the energy drift read from it.
//!
//! One [`ThermoRecord`] per logged step: step, time, temperature, potential,
//! kinetic and total energy, pressure and volume. [`ThermoLog`] writes them
//! as a whitespace-separated table with a `#` header naming every column and
//! its unit (what gnuplot, numpy.loadtxt and pandas read), flushed per line
//! so a run that is killed leaves a usable log.
//!
//! [`energy_drift`] measures how well NVE dynamics conserves energy: the
//! least-squares slope of the total energy per atom against time. A slope
//! rather than last-minus-first, because the total energy of velocity Verlet
//! fluctuates at O(dt²) around a line whose slope is the actual drift.

use crate::classical::barostat::GPA_PER_EV_PER_A3;
use crate::classical::{Md, Potential};
use crate::data::DataError;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The state of an MD run at one step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ThermoRecord {
    /// Steps taken.
    pub step: u64,
    /// Simulated time (fs).
    pub time_fs: f64,
    /// Instantaneous temperature (K).
    pub temperature_k: f64,
    /// Potential energy (eV).
    pub potential_ev: f64,
    /// Kinetic energy (eV).
    pub kinetic_ev: f64,
    /// Potential plus kinetic energy (eV).
    pub total_ev: f64,
    /// Instantaneous pressure, kinetic and virial parts (GPa); `None`
    /// without a periodic cell or a stress.
    pub pressure_gpa: Option<f64>,
    /// Cell volume (Å³); `None` without a periodic cell.
    pub volume_a3: Option<f64>,
}

impl ThermoRecord {
    /// The current state of `md`.
    pub fn of<P: Potential>(md: &Md<P>) -> Self {
        ThermoRecord {
            step: md.steps(),
            time_fs: md.time_fs(),
            temperature_k: md.temperature(),
            potential_ev: md.potential_energy(),
            kinetic_ev: md.kinetic_energy(),
            total_ev: md.total_energy(),
            pressure_gpa: md.pressure().map(|p| p * GPA_PER_EV_PER_A3),
            volume_a3: md.volume(),
        }
    }

    /// The header line of [`ThermoLog`] files.
    pub const HEADER: &'static str = "# step time_fs T_K E_pot_eV E_kin_eV E_tot_eV P_GPa V_A3";

    /// One line of the log (`nan` for a pressure or volume that is not
    /// defined).
    pub fn line(&self) -> String {
        let opt = |x: Option<f64>| x.map_or("nan".to_string(), |v| format!("{v:.6}"));
        format!(
            "{} {:.3} {:.3} {:.8} {:.8} {:.8} {} {}",
            self.step,
            self.time_fs,
            self.temperature_k,
            self.potential_ev,
            self.kinetic_ev,
            self.total_ev,
            opt(self.pressure_gpa),
            opt(self.volume_a3)
        )
    }
}

/// A thermo log file, one [`ThermoRecord::line`] per record.
#[derive(Debug)]
pub struct ThermoLog {
    path: PathBuf,
    file: std::fs::File,
}

impl ThermoLog {
    /// Creates (or truncates) `path` and writes the header.
    pub fn create(path: impl AsRef<Path>) -> Result<Self, DataError> {
        let path = path.as_ref().to_path_buf();
        let file = std::fs::File::create(&path).map_err(|error| DataError::Io {
            path: path.display().to_string(),
            error,
        })?;
        let mut log = ThermoLog { path, file };
        log.write_line(ThermoRecord::HEADER)?;
        Ok(log)
    }

    /// Appends one record.
    pub fn write(&mut self, record: &ThermoRecord) -> Result<(), DataError> {
        self.write_line(&record.line())
    }

    fn write_line(&mut self, line: &str) -> Result<(), DataError> {
        writeln!(self.file, "{line}")
            .and_then(|_| self.file.flush())
            .map_err(|error| DataError::Io {
                path: self.path.display().to_string(),
                error,
            })
    }
}

/// The energy drift of an NVE run: the least-squares slope of the total
/// energy per atom against time, in eV per atom per ps. `None` with fewer
/// than two records, no atoms, or no time elapsed.
pub fn energy_drift(records: &[ThermoRecord], atoms: usize) -> Option<f64> {
    if records.len() < 2 || atoms == 0 {
        return None;
    }
    let n = records.len() as f64;
    let t: Vec<f64> = records.iter().map(|r| r.time_fs * 1e-3).collect();
    let e: Vec<f64> = records.iter().map(|r| r.total_ev / atoms as f64).collect();
    let (tm, em) = (t.iter().sum::<f64>() / n, e.iter().sum::<f64>() / n);
    let sxx: f64 = t.iter().map(|x| (x - tm) * (x - tm)).sum();
    if sxx <= 0.0 {
        return None;
    }
    let sxy: f64 = t.iter().zip(&e).map(|(x, y)| (x - tm) * (y - em)).sum();
    Some(sxy / sxx)
}
