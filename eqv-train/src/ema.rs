//! An exponential moving average (EMA) of the parameters, used for
//! evaluation, model selection and the saved model.
//!
//! Adam moves every weight by about the learning rate at every step,
//! whatever the gradient. Forces pin the *shape* of the energy surface, but
//! nothing but the energy term pins the constant per-atom energy, so the
//! energy of the raw weights wanders by tens of meV/atom from step to step
//! (on eqv's silicon data it jumped between 27 and 266 meV/atom from epoch
//! to epoch). The average of the recent iterates sits near the middle of
//! that wandering: it is what MACE and NequIP evaluate and save (decay
//! 0.99), and it costs one pass over the parameters per step.
//!
//! Early in training the average would be dominated by the random initial
//! weights, so the decay ramps up as `min(decay, (1 + n) / (10 + n))` after
//! `n` updates (the warm-up of TensorFlow's and torch-ema's averages).

use eqv_core::param::Parameters;

/// The moving average of a model's parameters, by position in the
/// [`Parameters::visit`] order.
#[derive(Clone, Debug, PartialEq)]
pub struct Ema {
    decay: f64,
    updates: usize,
    shadow: Vec<Vec<f64>>,
}

impl Ema {
    /// Starts the average at the model's current parameters. `decay` must
    /// lie in [0, 1): 0.99 averages over the last ~100 steps.
    pub fn new(model: &impl Parameters, decay: f64) -> Result<Self, String> {
        if !(0.0..1.0).contains(&decay) {
            return Err(format!("EMA decay {decay} must lie in [0, 1)"));
        }
        let mut shadow = Vec::new();
        model.visit("", &mut |_, p| shadow.push(p.data().to_vec()));
        Ok(Ema {
            decay,
            updates: 0,
            shadow,
        })
    }

    /// The decay used by the next update: ramped up over the first steps.
    pub fn current_decay(&self) -> f64 {
        let n = self.updates as f64;
        self.decay.min((1.0 + n) / (10.0 + n))
    }

    /// Moves the average toward the model's parameters (after an optimiser
    /// step): `avg ← d · avg + (1 − d) · θ`.
    pub fn update(&mut self, model: &impl Parameters) {
        let d = self.current_decay();
        let mut k = 0;
        let shadow = &mut self.shadow;
        model.visit("", &mut |_, p| {
            if let Some(s) = shadow.get_mut(k) {
                for (a, &x) in s.iter_mut().zip(p.data()) {
                    *a = d * *a + (1.0 - d) * x;
                }
            }
            k += 1;
        });
        self.updates += 1;
    }

    /// The averaged parameters, in visit order.
    pub fn params(&self) -> &[Vec<f64>] {
        &self.shadow
    }

    /// Number of updates so far.
    pub fn updates(&self) -> usize {
        self.updates
    }

    /// Exchanges the model's parameters with the average: call it twice to
    /// get the training weights back. Cheaper than copying, and the
    /// optimiser's state (kept by position) is untouched.
    pub fn swap(&mut self, model: &mut impl Parameters) {
        let mut k = 0;
        let shadow = &mut self.shadow;
        model.visit_mut("", &mut |_, p| {
            if let Some(s) = shadow.get_mut(k) {
                if s.len() == p.len() {
                    p.data_mut().swap_with_slice(s);
                }
            }
            k += 1;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eqv_core::param::Param;

    #[test]
    fn average_of_a_noisy_walk_is_near_its_centre() {
        // θ jumps between 1 ± 0.5 every step (Adam's noise around an
        // optimum); the average must sit near 1, the raw value never does.
        let mut x = Param::new(vec![1], vec![0.0]);
        let mut ema = Ema::new(&x, 0.99).unwrap();
        for step in 0..2000 {
            x.data_mut()[0] = if step % 2 == 0 { 1.5 } else { 0.5 };
            ema.update(&x);
        }
        let avg = ema.params()[0][0];
        assert!((avg - 1.0).abs() < 0.01, "average {avg}");
        assert_eq!(ema.updates(), 2000);
    }

    #[test]
    fn decay_ramps_up_and_forgets_the_initial_weights() {
        let mut x = Param::new(vec![2], vec![100.0, -100.0]);
        let mut ema = Ema::new(&x, 0.99).unwrap();
        assert!((ema.current_decay() - 0.1).abs() < 1e-12);
        x.data_mut().copy_from_slice(&[1.0, 2.0]);
        for _ in 0..50 {
            ema.update(&x);
        }
        // Without the ramp, 0.99^50 = 60 % of the initial ±100 would remain.
        let s = &ema.params()[0];
        assert!(
            (s[0] - 1.0).abs() < 1.0 && (s[1] - 2.0).abs() < 1.0,
            "{s:?}"
        );
        for _ in 0..2000 {
            ema.update(&x);
        }
        assert!((ema.current_decay() - 0.99).abs() < 1e-12);
    }

    #[test]
    fn swap_twice_restores_the_training_weights() {
        let mut x = Param::new(vec![3], vec![1.0, 2.0, 3.0]);
        let mut ema = Ema::new(&x, 0.5).unwrap();
        x.data_mut().copy_from_slice(&[5.0, 6.0, 7.0]);
        ema.update(&x); // decay 0.1 at the first update
        ema.swap(&mut x);
        let averaged = x.data().to_vec();
        assert!((averaged[0] - (0.1 * 1.0 + 0.9 * 5.0)).abs() < 1e-12);
        ema.swap(&mut x);
        assert_eq!(x.data(), &[5.0, 6.0, 7.0]);
        assert!(Ema::new(&x, 1.0).is_err() && Ema::new(&x, -0.1).is_err());
    }
}
