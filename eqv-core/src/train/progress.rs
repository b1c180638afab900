//! The per-epoch summary line, and a progress bar when someone is watching.
//!
//! Each epoch prints one line to stdout:
//!
//! ```text
//! epoch   3/100  lr 5.00e-3  train 1.234e-2  valid 2.345e-2  E 12.3 meV/atom  F 123.4 meV/Å  1.2 s *
//! ```
//!
//! (`*` marks a new best). Within an epoch, a one-line bar is redrawn on
//! stderr — but only when stderr is a terminal, so logs of CI runs and
//! redirected output hold the summary lines and no control characters.
//! Written by hand on `std` (no progress-bar dependency): the bar is ten
//! lines of code.

use super::trainer::EpochRecord;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// What [`Progress`] shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProgressMode {
    /// Summary lines on stdout; a bar on stderr if it is a terminal.
    #[default]
    Auto,
    /// Summary lines only.
    Lines,
    /// Nothing (tests, libraries embedding the trainer).
    Quiet,
}

/// The display of a training run.
#[derive(Debug)]
pub struct Progress {
    mode: ProgressMode,
    bar: bool,
    drawn: bool,
    epochs: usize,
    steps_per_epoch: usize,
    last: Option<Instant>,
}

impl Progress {
    /// A display for `epochs` epochs of `steps_per_epoch` steps.
    pub fn new(mode: ProgressMode, epochs: usize, steps_per_epoch: usize) -> Self {
        Progress {
            mode,
            bar: mode == ProgressMode::Auto && std::io::stderr().is_terminal(),
            drawn: false,
            epochs,
            steps_per_epoch,
            last: None,
        }
    }

    /// After a step: redraws the bar (at most ten times a second).
    pub fn step(&mut self, epoch: usize, step: usize, loss: f64) {
        if !self.bar {
            return;
        }
        let now = Instant::now();
        if self
            .last
            .is_some_and(|t| now.duration_since(t) < Duration::from_millis(100))
            && step < self.steps_per_epoch
        {
            return;
        }
        self.last = Some(now);
        let width = 30;
        let done = (step * width) / self.steps_per_epoch.max(1);
        let bar: String = (0..width)
            .map(|i| if i < done { '#' } else { '-' })
            .collect();
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r\x1b[2Kepoch {epoch}/{} [{bar}] {step}/{} loss {loss:.3e}",
            self.epochs, self.steps_per_epoch
        );
        let _ = err.flush();
        self.drawn = true;
    }

    fn clear(&mut self) {
        if self.drawn {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
            self.drawn = false;
        }
    }

    /// After an epoch: clears the bar and prints the summary line.
    pub fn epoch(&mut self, record: &EpochRecord) {
        self.clear();
        if self.mode != ProgressMode::Quiet {
            println!("{}", summary_line(record, self.epochs));
        }
    }

    /// Prints a message line (not in quiet mode).
    pub fn message(&mut self, text: &str) {
        self.clear();
        if self.mode != ProgressMode::Quiet {
            println!("{text}");
        }
    }

    /// Clears the bar.
    pub fn finish(&mut self) {
        self.clear();
    }
}

/// A metric for people: the number with `decimals` decimals, or `no
/// labels` when it could not be computed (NaN: no frame had the label, or
/// the set is empty). NaN is never printed as a metric.
pub fn metric_text(x: f64, decimals: usize) -> String {
    if x.is_finite() {
        format!("{x:.decimals$}")
    } else {
        "no labels".to_string()
    }
}

/// The summary line of an epoch (see the module docs).
pub fn summary_line(r: &EpochRecord, epochs: usize) -> String {
    let w = epochs.to_string().len();
    let loss = |x: f64| {
        if x.is_finite() {
            format!("{x:.3e}")
        } else {
            "n/a".to_string()
        }
    };
    format!(
        "epoch {:>w$}/{epochs}  lr {:.2e}  train {}  valid {}  E {} meV/atom  F {} meV/Å  {:.1} s{}",
        r.epoch,
        r.lr,
        loss(r.train_loss),
        loss(r.valid_loss),
        metric_text(r.valid_energy_mae_mev_per_atom, 1),
        metric_text(r.valid_force_mae_mev_per_a, 1),
        r.epoch_seconds,
        match (r.late_stage, r.best) {
            (false, false) => "",
            (false, true) => " *",
            (true, false) => " (late)",
            (true, true) => " (late) *",
        },
    )
}
