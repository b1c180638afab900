//! The per-epoch CSV log: one line per epoch, written and flushed as the
//! epoch ends, so a run that is killed still leaves its history, and a
//! spreadsheet or pandas reads it without a parser of ours.

use eqv::train::{EpochRecord, TrainHooks};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::ops::ControlFlow;
use std::path::Path;

/// The columns, in order.
pub const HEADER: &str = "epoch,elapsed_s,lr,train_loss,valid_loss,valid_energy_mae_mev_per_atom,valid_force_mae_mev_per_a,valid_force_rmse_mev_per_a,grad_norm,clipped_steps";

/// A [`TrainHooks`] that appends every epoch to a CSV file.
pub struct EpochLog {
    file: BufWriter<File>,
    error: Option<String>,
}

impl EpochLog {
    /// Creates (truncates) the file and writes the header.
    pub fn create(path: &Path) -> Result<EpochLog, String> {
        let mut file =
            BufWriter::new(File::create(path).map_err(|e| format!("{}: {e}", path.display()))?);
        writeln!(file, "{HEADER}")
            .and_then(|_| file.flush())
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(EpochLog { file, error: None })
    }

    /// The first write error, if any (training is not stopped for a log).
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }
}

/// One CSV line of a record (no newline).
pub fn line(r: &EpochRecord) -> String {
    format!(
        "{},{:.3},{:e},{:e},{:e},{},{},{},{:e},{}",
        r.epoch,
        r.elapsed_seconds,
        r.lr,
        r.train_loss,
        r.valid_loss,
        r.valid_energy_mae_mev_per_atom,
        r.valid_force_mae_mev_per_a,
        r.valid_force_rmse_mev_per_a,
        r.grad_norm,
        r.clipped_steps
    )
}

impl TrainHooks for EpochLog {
    fn on_epoch_end(&mut self, record: &EpochRecord) -> ControlFlow<()> {
        let written = writeln!(self.file, "{}", line(record)).and_then(|_| self.file.flush());
        if let (Err(e), None) = (written, &self.error) {
            self.error = Some(e.to_string());
        }
        ControlFlow::Continue(())
    }
}
