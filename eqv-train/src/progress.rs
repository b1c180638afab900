//! The per-epoch summary line, and a progress bar when someone is watching.
//!
//! Each epoch prints one line to stdout:
//!
//! ```text
//! epoch   3/100  lr 5.00e-3  train 1.234e-2  valid 2.345e-2  E 12.3 meV/atom  F 123.4 meV/Å  1.2 s *
//! ```
//!
//! (`*` marks a new best; the time left follows when it can be estimated).
//! Within an epoch an `indicatif` bar on stderr shows the steps, the loss
//! and the time left of the whole run — but only when stderr is a
//! terminal, so logs of CI runs and redirected output hold the summary
//! lines and no control characters.
//!
//! The time left is the smaller of what the epochs still to run take at the
//! pace so far and what remains of the wall-clock limit.

use super::trainer::EpochRecord;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
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
    bar: Option<ProgressBar>,
    epochs: usize,
    steps_per_epoch: usize,
    started: Instant,
    limit: Option<Duration>,
    steps_done: usize,
}

impl Progress {
    /// A display for `epochs` epochs of `steps_per_epoch` steps, with an
    /// optional wall-clock limit for the run.
    pub fn new(
        mode: ProgressMode,
        epochs: usize,
        steps_per_epoch: usize,
        limit: Option<Duration>,
    ) -> Self {
        let bar = (mode == ProgressMode::Auto && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(
                Some(steps_per_epoch as u64),
                ProgressDrawTarget::stderr_with_hz(10),
            );
            if let Ok(style) = ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg}")
            {
                bar.set_style(style.progress_chars("#>-"));
            }
            bar
        });
        Progress {
            mode,
            bar,
            epochs,
            steps_per_epoch,
            started: Instant::now(),
            limit,
            steps_done: 0,
        }
    }

    /// The estimated time left of the run, once a step has been timed.
    pub fn remaining(&self) -> Option<Duration> {
        let elapsed = self.started.elapsed();
        let total = self.epochs.saturating_mul(self.steps_per_epoch);
        let by_pace = (self.steps_done > 0).then(|| {
            elapsed.mul_f64(total.saturating_sub(self.steps_done) as f64 / self.steps_done as f64)
        });
        let by_limit = self.limit.map(|l| l.saturating_sub(elapsed));
        match (by_pace, by_limit) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// After a step: moves the bar.
    pub fn step(&mut self, epoch: usize, step: usize, loss: f64) {
        self.steps_done += 1;
        if let Some(bar) = &self.bar {
            bar.set_prefix(format!("epoch {epoch}/{}", self.epochs));
            bar.set_position(step as u64);
            let left = self.remaining().map(duration_text).unwrap_or_default();
            bar.set_message(format!("loss {loss:.3e}  {left} left"));
        }
    }

    /// After an epoch: prints the summary line (with the time left) above
    /// the bar and restarts the bar.
    pub fn epoch(&mut self, record: &EpochRecord) {
        // The epochs counted so far set the pace (steps of stopped epochs
        // included), so the estimate follows the real epoch length.
        self.steps_done = self.steps_done.max(record.epoch * self.steps_per_epoch);
        let mut line = summary_line(record, self.epochs);
        if record.epoch < self.epochs {
            if let Some(left) = self.remaining() {
                line.push_str(&format!("  ~{} left", duration_text(left)));
            }
        }
        self.print(&line);
        if let Some(bar) = &self.bar {
            bar.set_position(0);
        }
    }

    /// Prints a message line (not in quiet mode).
    pub fn message(&mut self, text: &str) {
        self.print(text);
    }

    fn print(&self, text: &str) {
        if self.mode == ProgressMode::Quiet {
            return;
        }
        match &self.bar {
            Some(bar) => bar.suspend(|| println!("{text}")),
            None => println!("{text}"),
        }
    }

    /// Removes the bar.
    pub fn finish(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// `1h02m`, `3m05s` or `42s`.
pub fn duration_text(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
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

#[cfg(test)]
mod time_left {
    use super::*;

    #[test]
    fn time_left_is_the_pace_or_the_limit_whichever_is_sooner() {
        assert_eq!(duration_text(Duration::from_secs(42)), "42s");
        assert_eq!(duration_text(Duration::from_secs(185)), "3m05s");
        assert_eq!(duration_text(Duration::from_secs(3720)), "1h02m");

        let mut p = Progress::new(ProgressMode::Quiet, 10, 4, None);
        assert_eq!(p.remaining(), None, "nothing timed yet, no limit");
        p.started -= Duration::from_secs(8);
        p.steps_done = 8; // 1 s a step, 32 steps to go
        let left = p.remaining().unwrap().as_secs_f64();
        assert!((left - 32.0).abs() < 0.5, "{left}");
        p.limit = Some(Duration::from_secs(20));
        let left = p.remaining().unwrap().as_secs_f64();
        assert!((left - 12.0).abs() < 0.5, "{left}");
        p.limit = Some(Duration::from_secs(5));
        assert_eq!(p.remaining(), Some(Duration::ZERO), "past the limit");
    }
}
