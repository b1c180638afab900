//! The default training recipe: two stages of loss weights and learning
//! rate, and the batch size chosen from the data size.
//!
//! Why two stages (MACE's "stage two", after its SWA option): forces carry
//! 3N numbers per structure against one energy, so early on they must
//! weigh at least as much — they shape the energy surface. But forces do
//! not see a constant per-atom energy, and with energy weighted 1 against
//! 10 for forces (eqv's old default) the energy of the final weights was
//! whatever the last steps left (on eqv's silicon data 27–266 meV/atom from
//! epoch to epoch). Early on, energy and forces are weighted 10 and 10
//! ([`LateStage::early_weights`]); in the late stage the energy weight is
//! raised to 1000 and the learning rate lowered tenfold: the surface is
//! kept, its offset and the slow composition and volume trends are fitted.
//! Together with the [moving average](super::ema) of the weights this
//! removes the jumps.
//!
//! The stage is chosen from the *progress* of the run, the larger of the
//! fraction of planned steps done and the fraction of the wall-clock budget
//! spent, so a run stopped by `max_minutes` gets its late stage too (and
//! such a run then depends on the machine's speed, as any time-limited run
//! does).
//!
//! Units: eqv's loss is `w_E · mean (ΔE/N)² + w_F · mean_atoms |ΔF|²`, the
//! force term on the squared *vector* error, i.e. three times MACE's
//! per-component mean. MACE's defaults (energy 1 : forces 100 per
//! component, then 1000 : 100) are thus `w_E = 1, w_F = 33` and then
//! `w_E = 1000, w_F = 33` here.

use super::metrics::LossWeights;

/// The late stage: from `start` (a fraction of the run in [0, 1]) on, the
/// loss weights are `weights` and the learning rate is `lr_factor` times
/// the base rate (or the scheduled rate at that moment if it is lower),
/// held constant to the end.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LateStage {
    /// Fraction of the run (steps or wall-clock time, whichever is further)
    /// after which the late stage begins.
    pub start: f64,
    /// Loss weights of the late stage (energy and forces; the run's stress
    /// weight carries over unchanged, see [`LateStage::weights_from`]).
    pub weights: LossWeights,
    /// Learning rate of the late stage as a multiple of the base rate.
    pub lr_factor: f64,
}

impl Default for LateStage {
    /// From 75 % of the run: energy weight 1000, forces 33 (MACE's stage
    /// two in eqv's units), learning rate ÷ 10 (MACE: 0.01 → 0.001).
    fn default() -> Self {
        LateStage {
            start: 0.75,
            weights: LossWeights {
                energy: 1000.0,
                forces: 100.0 / 3.0,
                stress: 0.0,
            },
            lr_factor: 0.1,
        }
    }
}

impl LateStage {
    /// The loss weights *before* the late stage: energy 10, forces 10.
    ///
    /// MACE's first stage weights energy 1 against 33 here; with a budget of
    /// minutes that leaves the energy of under-coordinated atoms behind:
    /// on eqv's silicon data (clusters among bulk cells) the MACE-style
    /// model's energy error stayed at 25–60 meV/atom until the late stage,
    /// which then had too few epochs to repair it (test 100 meV/atom after
    /// two minutes). With 10 the energy converges together with the forces
    /// (3.7 meV/atom when the late stage began, 0.9 at the end of three
    /// minutes) and the forces lose nothing (13.4 meV/Å).
    pub fn early_weights() -> LossWeights {
        LossWeights {
            energy: 10.0,
            forces: 10.0,
            stress: 0.0,
        }
    }

    /// The weights of the late stage of a run whose early weights are
    /// `early`: this stage's energy and force weights, the run's stress
    /// weight (stress labels are rarer and their weight is the user's).
    pub fn weights_from(&self, early: LossWeights) -> LossWeights {
        LossWeights {
            energy: self.weights.energy,
            forces: self.weights.forces,
            stress: early.stress,
        }
    }

    /// Checks the settings; the message names the one that cannot work.
    pub fn validate(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.start) {
            return Err(format!(
                "late stage start {} must be a fraction of the run in [0, 1]",
                self.start
            ));
        }
        let w = self.weights;
        if !(w.energy.is_finite() && w.energy >= 0.0 && w.forces.is_finite() && w.forces >= 0.0)
            || w.energy + w.forces == 0.0
        {
            return Err(format!(
                "late stage loss weights (energy {}, forces {}) must be ≥ 0 and not both 0",
                w.energy, w.forces
            ));
        }
        if !(self.lr_factor.is_finite() && self.lr_factor > 0.0) {
            return Err(format!(
                "late stage lr_factor {} must be finite and > 0",
                self.lr_factor
            ));
        }
        Ok(())
    }

    /// Whether a run at `progress` (in [0, 1]) is in the late stage.
    pub fn active(&self, progress: f64) -> bool {
        progress >= self.start
    }

    /// The loss weights at `progress`: `early` before the start, the late
    /// stage's after.
    pub fn weights_at(&self, progress: f64, early: LossWeights) -> LossWeights {
        if self.active(progress) {
            self.weights_from(early)
        } else {
            early
        }
    }
}

/// The progress of a run in [0, 1]: the larger of the fraction of planned
/// steps done and the fraction of the wall-clock budget (`limit_seconds`)
/// spent.
pub fn progress(
    step: usize,
    planned_steps: usize,
    elapsed_seconds: f64,
    limit_seconds: Option<f64>,
) -> f64 {
    let by_steps = step as f64 / planned_steps.max(1) as f64;
    let by_time = match limit_seconds {
        Some(l) if l > 0.0 => elapsed_seconds / l,
        Some(_) => 1.0,
        None => 0.0,
    };
    by_steps.max(by_time).clamp(0.0, 1.0)
}

/// Structures per optimiser step for `n_train` training frames.
///
/// Small batches give more steps per epoch, which is what a short budget
/// needs (MACE's tutorials use 5–10 for a few hundred structures); the
/// batch grows with the data so that an epoch keeps roughly 50–100 steps,
/// never below 2 (both cores get a structure) nor above 16.
pub fn batch_size_for(n_train: usize) -> usize {
    (n_train / 64).clamp(2, 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_switch_at_the_start_of_the_late_stage() {
        let late = LateStage::default();
        let early = LossWeights {
            energy: 1.0,
            forces: 33.0,
            stress: 0.5,
        };
        assert_eq!(late.weights_at(0.0, early), early);
        assert_eq!(late.weights_at(0.7499, early), early);
        assert_eq!(late.weights_at(0.75, early).energy, 1000.0);
        assert_eq!(late.weights_at(1.0, early), late.weights_from(early));
        // The run's stress weight carries over into the late stage.
        assert_eq!(late.weights_at(1.0, early).stress, 0.5);
        assert!(late.validate().is_ok());
        for bad in [
            LateStage { start: 1.5, ..late },
            LateStage {
                lr_factor: 0.0,
                ..late
            },
            LateStage {
                weights: LossWeights {
                    energy: 0.0,
                    forces: 0.0,
                    stress: 0.0,
                },
                ..late
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn progress_is_the_further_of_steps_and_time() {
        assert_eq!(progress(0, 100, 0.0, None), 0.0);
        assert_eq!(progress(50, 100, 10.0, None), 0.5);
        // Time is further along than steps: the budget decides.
        assert_eq!(progress(10, 100, 90.0, Some(100.0)), 0.9);
        assert_eq!(progress(80, 100, 10.0, Some(100.0)), 0.8);
        assert_eq!(progress(500, 100, 500.0, Some(100.0)), 1.0);
    }

    #[test]
    fn batch_size_grows_with_the_data() {
        assert_eq!(batch_size_for(10), 2);
        assert_eq!(batch_size_for(300), 4);
        assert_eq!(batch_size_for(640), 10);
        assert_eq!(batch_size_for(100_000), 16);
    }
}
