//! Learning-rate schedules.
//!
//! Three are enough for interatomic potentials:
//! * [`Schedule::Constant`];
//! * [`Schedule::WarmupCosine`]: a linear warmup (early Adam steps use
//!   poor second-moment estimates and a freshly initialised network has
//!   large gradients, so full-size steps at the start can throw it into a
//!   bad region), then a cosine decay to a floor over the planned steps —
//!   good when the number of epochs is known in advance;
//! * [`Schedule::ReduceOnPlateau`]: multiply the rate by a factor when the
//!   validation loss has not improved for some epochs (what NequIP and MACE
//!   use by default) — good when training is stopped by patience or time.
//!
//! A [`Scheduler`] holds the state: [`Scheduler::lr`] gives the rate of a
//! step, [`Scheduler::end_epoch`] feeds it the validation loss.

/// Which schedule, and its settings.
#[derive(Clone, Debug, PartialEq)]
pub enum Schedule {
    /// The base learning rate throughout.
    Constant,
    /// Linear warmup from `base/warmup_steps` to `base` over
    /// `warmup_epochs`, then `base · (f + (1 − f)(1 + cos πx)/2)` with `x`
    /// going 0 → 1 over the remaining planned steps and `f =
    /// final_factor`.
    WarmupCosine {
        /// Epochs of linear warmup (0 = none).
        warmup_epochs: usize,
        /// Final rate as a fraction of the base rate.
        final_factor: f64,
    },
    /// Multiply the rate by `factor` after `patience` epochs without an
    /// improvement of the validation loss by more than a relative
    /// `threshold`; never below `min_lr`.
    ReduceOnPlateau {
        /// Multiplier on a plateau, in (0, 1).
        factor: f64,
        /// Epochs without improvement before reducing.
        patience: usize,
        /// Relative improvement that counts (1e-4: 0.01 %).
        threshold: f64,
        /// Lower bound of the rate.
        min_lr: f64,
    },
}

impl Schedule {
    /// Reduce-on-plateau with MACE-like settings scaled to short runs:
    /// factor 0.5, patience 5 epochs, threshold 1e-4, floor 1e-6.
    pub fn plateau() -> Self {
        Schedule::ReduceOnPlateau {
            factor: 0.5,
            patience: 5,
            threshold: 1e-4,
            min_lr: 1e-6,
        }
    }

    /// Warmup for `warmup_epochs`, then cosine decay to 1 % of the base rate.
    pub fn warmup_cosine(warmup_epochs: usize) -> Self {
        Schedule::WarmupCosine {
            warmup_epochs,
            final_factor: 0.01,
        }
    }

    /// Checks the settings; the message says which one is wrong.
    pub fn validate(&self) -> Result<(), String> {
        match *self {
            Schedule::Constant => Ok(()),
            Schedule::WarmupCosine { final_factor, .. } => {
                if (0.0..=1.0).contains(&final_factor) {
                    Ok(())
                } else {
                    Err(format!(
                        "cosine final_factor {final_factor} must lie in [0, 1]"
                    ))
                }
            }
            Schedule::ReduceOnPlateau {
                factor,
                threshold,
                min_lr,
                ..
            } => {
                if !(factor > 0.0 && factor < 1.0) {
                    Err(format!("plateau factor {factor} must lie in (0, 1)"))
                } else if !(threshold.is_finite() && threshold >= 0.0) {
                    Err(format!("plateau threshold {threshold} must be ≥ 0"))
                } else if !(min_lr.is_finite() && min_lr >= 0.0) {
                    Err(format!("plateau min_lr {min_lr} must be ≥ 0"))
                } else {
                    Ok(())
                }
            }
        }
    }
}

/// A schedule with its state for one run.
#[derive(Clone, Debug)]
pub struct Scheduler {
    schedule: Schedule,
    base_lr: f64,
    steps_per_epoch: usize,
    total_steps: usize,
    // Reduce-on-plateau state.
    factor: f64,
    best: f64,
    bad_epochs: usize,
    reductions: usize,
}

impl Scheduler {
    /// The schedule for a run of `epochs` epochs of `steps_per_epoch`
    /// optimiser steps at base rate `base_lr`.
    pub fn new(schedule: Schedule, base_lr: f64, steps_per_epoch: usize, epochs: usize) -> Self {
        Scheduler {
            schedule,
            base_lr,
            steps_per_epoch: steps_per_epoch.max(1),
            total_steps: steps_per_epoch.max(1) * epochs.max(1),
            factor: 1.0,
            best: f64::INFINITY,
            bad_epochs: 0,
            reductions: 0,
        }
    }

    /// The learning rate of global step `step` (0-based, counted over the
    /// whole run).
    pub fn lr(&self, step: usize) -> f64 {
        match self.schedule {
            Schedule::Constant => self.base_lr,
            Schedule::WarmupCosine {
                warmup_epochs,
                final_factor,
            } => {
                let warm = (warmup_epochs * self.steps_per_epoch).min(self.total_steps);
                if step < warm {
                    return self.base_lr * (step + 1) as f64 / warm as f64;
                }
                let span = (self.total_steps - warm).max(1) as f64;
                let x = ((step - warm) as f64 / span).min(1.0);
                let c = 0.5 * (1.0 + (std::f64::consts::PI * x).cos());
                self.base_lr * (final_factor + (1.0 - final_factor) * c)
            }
            Schedule::ReduceOnPlateau { min_lr, .. } => {
                (self.base_lr * self.factor).max(min_lr.min(self.base_lr))
            }
        }
    }

    /// Feeds the epoch's validation loss; returns `true` if the rate was
    /// reduced (reduce-on-plateau only). Non-finite losses never count as
    /// an improvement.
    pub fn end_epoch(&mut self, valid_loss: f64) -> bool {
        let Schedule::ReduceOnPlateau {
            factor,
            patience,
            threshold,
            ..
        } = self.schedule
        else {
            return false;
        };
        if valid_loss.is_finite() && valid_loss < self.best * (1.0 - threshold) {
            self.best = valid_loss;
            self.bad_epochs = 0;
            return false;
        }
        self.bad_epochs += 1;
        if self.bad_epochs > patience {
            self.factor *= factor;
            self.bad_epochs = 0;
            self.reductions += 1;
            return true;
        }
        false
    }

    /// How many times the rate was reduced on a plateau.
    pub fn reductions(&self) -> usize {
        self.reductions
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warmup_then_cosine() {
        let s = Scheduler::new(Schedule::warmup_cosine(1), 1.0, 10, 11);
        assert!((s.lr(0) - 0.1).abs() < 1e-12);
        assert!((s.lr(9) - 1.0).abs() < 1e-12);
        assert!((s.lr(10) - 1.0).abs() < 1e-12);
        assert!((s.lr(60) - (0.01 + 0.99 * 0.5)).abs() < 1e-12);
        assert!((s.lr(110) - 0.01).abs() < 1e-12);
        assert!((s.lr(1000) - 0.01).abs() < 1e-12);
    }

    #[test]
    fn plateau_reduces_after_patience() {
        let mut s = Scheduler::new(
            Schedule::ReduceOnPlateau {
                factor: 0.5,
                patience: 2,
                threshold: 0.0,
                min_lr: 0.2,
            },
            1.0,
            1,
            100,
        );
        assert!(!s.end_epoch(1.0));
        assert!(!s.end_epoch(1.0));
        assert!(!s.end_epoch(f64::NAN));
        assert!(s.end_epoch(2.0));
        assert_eq!(s.lr(0), 0.5);
        assert!(!s.end_epoch(0.5));
        for _ in 0..9 {
            s.end_epoch(0.9);
        }
        assert_eq!(s.lr(0), 0.2);
        assert_eq!(s.reductions(), 4);
    }
}
