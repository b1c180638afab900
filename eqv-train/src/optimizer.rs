//! Adam and AdamW, with global-norm gradient clipping.
//!
//! The optimiser works on anything that implements [`Parameters`]. Its state
//! (first and second moments) is kept *by position* in the
//! [`Parameters::visit`] order, which is fixed for a model, so no names are
//! hashed per step; a gradient list of another length or shape is an error.
//!
//! A step is all or nothing: gradients are checked for NaN/infinity before
//! anything is written, and the updated parameters are computed into a
//! scratch copy and checked again, so a failed step leaves both the model
//! and the optimiser state exactly as they were.

use eqv_core::param::Parameters;
use std::fmt;

/// Adam's settings. The defaults are the paper's (β1 0.9, β2 0.999,
/// ε 1e-8), with no weight decay and no clipping.
#[derive(Clone, Debug, PartialEq)]
pub struct AdamConfig {
    /// Decay of the first-moment (mean) estimate.
    pub beta1: f64,
    /// Decay of the second-moment (uncentred variance) estimate.
    pub beta2: f64,
    /// Added to `√v̂` so that parameters with tiny gradients do not take
    /// huge steps.
    pub eps: f64,
    /// Decoupled weight decay (AdamW, Loshchilov & Hutter): each step also
    /// shrinks every parameter by `lr · weight_decay · θ`, independently of
    /// the gradient scaling (an L2 term in the loss would be rescaled by
    /// Adam and act unevenly). 0 = plain Adam.
    pub weight_decay: f64,
    /// Clip the *global* gradient norm (all parameters as one vector) to
    /// this value before the step, if set. Global clipping keeps the
    /// direction of the gradient, unlike per-entry clipping; it tames the
    /// rare huge gradient of a bad batch early in training.
    pub clip_norm: Option<f64>,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            clip_norm: None,
        }
    }
}

impl AdamConfig {
    /// Checks the settings; the error names the one that cannot work.
    pub fn validate(&self) -> Result<(), OptimError> {
        if !((0.0..1.0).contains(&self.beta1) && (0.0..1.0).contains(&self.beta2)) {
            return Err(OptimError::Config(format!(
                "beta1 = {} and beta2 = {} must lie in [0, 1)",
                self.beta1, self.beta2
            )));
        }
        if !(self.eps.is_finite() && self.eps > 0.0) {
            return Err(OptimError::Config(format!(
                "eps = {} must be > 0",
                self.eps
            )));
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return Err(OptimError::Config(format!(
                "weight_decay = {} must be finite and ≥ 0",
                self.weight_decay
            )));
        }
        if let Some(n) = self.clip_norm {
            if !(n.is_finite() && n > 0.0) {
                return Err(OptimError::Config(format!(
                    "clip_norm = {n} must be finite and > 0"
                )));
            }
        }
        Ok(())
    }
}

/// Why a step was refused. Nothing was changed.
#[derive(Clone, Debug, PartialEq)]
pub enum OptimError {
    /// A gradient entry, or an updated parameter, is NaN or infinite.
    NonFinite {
        /// Which one: `"gradient of parameter `w` (entry 3)"`.
        what: String,
    },
    /// The gradients do not fit the model (another model, another order).
    Shape(String),
    /// A setting that cannot work (negative learning rate, β outside [0, 1)).
    Config(String),
}

impl fmt::Display for OptimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptimError::NonFinite { what } => write!(f, "{what} is not finite"),
            OptimError::Shape(m) => write!(f, "gradients do not fit the model: {m}"),
            OptimError::Config(m) => write!(f, "invalid optimiser setting: {m}"),
        }
    }
}

impl std::error::Error for OptimError {}

/// What one step did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepStats {
    /// The global gradient norm before clipping.
    pub grad_norm: f64,
    /// Whether the gradient was scaled down by clipping.
    pub clipped: bool,
}

/// The Euclidean norm of all gradients together, `√(Σ_p Σ_i g_pi²)`.
pub fn global_norm(grads: &[Vec<f64>]) -> f64 {
    grads
        .iter()
        .flat_map(|g| g.iter())
        .map(|x| x * x)
        .sum::<f64>()
        .sqrt()
}

/// Adam (Kingma & Ba) with optional decoupled weight decay (AdamW) and
/// global-norm clipping.
///
/// ```
/// use eqv::param::Param;
/// use eqv::train::{Adam, AdamConfig};
/// // Minimise (x − 3)².
/// let mut x = Param::new(vec![1], vec![0.0]);
/// let mut adam = Adam::new(AdamConfig::default());
/// for _ in 0..2000 {
///     let g = 2.0 * (x.data()[0] - 3.0);
///     adam.step(&mut x, &[vec![g]], 0.05)?;
/// }
/// assert!((x.data()[0] - 3.0).abs() < 1e-3);
/// # Ok::<(), eqv::train::OptimError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Adam {
    config: AdamConfig,
    m: Vec<Vec<f64>>,
    v: Vec<Vec<f64>>,
    t: u64,
}

impl Adam {
    /// A fresh optimiser (moments zero, no step taken).
    pub fn new(config: AdamConfig) -> Self {
        Adam {
            config,
            m: Vec::new(),
            v: Vec::new(),
            t: 0,
        }
    }

    /// The settings.
    pub fn config(&self) -> &AdamConfig {
        &self.config
    }

    /// Number of steps taken.
    pub fn steps(&self) -> u64 {
        self.t
    }

    /// One step with learning rate `lr`; `grads[k]` is the gradient of the
    /// `k`-th parameter in [`Parameters::visit`] order.
    ///
    /// Fails, changing nothing, if a gradient does not fit its parameter, a
    /// gradient entry is not finite, or an updated parameter would not be
    /// finite.
    pub fn step(
        &mut self,
        model: &mut impl Parameters,
        grads: &[Vec<f64>],
        lr: f64,
    ) -> Result<StepStats, OptimError> {
        if !(lr.is_finite() && lr >= 0.0) {
            return Err(OptimError::Config(format!(
                "learning rate {lr} must be finite and ≥ 0"
            )));
        }
        self.config.validate()?;
        // 1. Shapes and finiteness, before anything is touched.
        let mut names = Vec::with_capacity(grads.len());
        let mut shape_err = None;
        model.visit("", &mut |name, p| {
            let k = names.len();
            names.push(name.to_string());
            if shape_err.is_none() {
                match grads.get(k) {
                    Some(g) if g.len() == p.len() => {}
                    Some(g) => {
                        shape_err = Some(format!(
                            "parameter `{name}` has {} entries, its gradient {}",
                            p.len(),
                            g.len()
                        ))
                    }
                    None => shape_err = Some(format!("no gradient for parameter `{name}`")),
                }
            }
        });
        if let Some(m) = shape_err {
            return Err(OptimError::Shape(m));
        }
        if grads.len() != names.len() {
            return Err(OptimError::Shape(format!(
                "{} gradients for {} parameters",
                grads.len(),
                names.len()
            )));
        }
        for (name, g) in names.iter().zip(grads) {
            if let Some(i) = g.iter().position(|x| !x.is_finite()) {
                return Err(OptimError::NonFinite {
                    what: format!("the gradient of parameter `{name}` (entry {i}: {})", g[i]),
                });
            }
        }
        let grad_norm = global_norm(grads);
        if !grad_norm.is_finite() {
            return Err(OptimError::NonFinite {
                what: "the global gradient norm (it overflows)".into(),
            });
        }
        let scale = match self.config.clip_norm {
            Some(max) if grad_norm > max => max / grad_norm,
            _ => 1.0,
        };

        // 2. The update into scratch copies.
        let (b1, b2, eps, wd) = (
            self.config.beta1,
            self.config.beta2,
            self.config.eps,
            self.config.weight_decay,
        );
        let t = self.t + 1;
        let bc1 = 1.0 - b1.powi(t.min(i32::MAX as u64) as i32);
        let bc2 = 1.0 - b2.powi(t.min(i32::MAX as u64) as i32);
        let mut new_m = Vec::with_capacity(grads.len());
        let mut new_v = Vec::with_capacity(grads.len());
        let mut new_p = Vec::with_capacity(grads.len());
        let mut bad = None;
        let mut k = 0;
        model.visit("", &mut |name, p| {
            let g = &grads[k];
            let m0 = self.m.get(k);
            let v0 = self.v.get(k);
            let mut m = Vec::with_capacity(g.len());
            let mut v = Vec::with_capacity(g.len());
            let mut q = Vec::with_capacity(g.len());
            for (i, (&gi, &pi)) in g.iter().zip(p.data()).enumerate() {
                let gi = gi * scale;
                let mi = b1 * m0.map_or(0.0, |m| m[i]) + (1.0 - b1) * gi;
                let vi = b2 * v0.map_or(0.0, |v| v[i]) + (1.0 - b2) * gi * gi;
                let update = (mi / bc1) / ((vi / bc2).sqrt() + eps);
                let qi = pi - lr * (update + wd * pi);
                if bad.is_none() && !qi.is_finite() {
                    bad = Some(format!(
                        "the updated value of parameter `{name}` (entry {i}, from {pi})"
                    ));
                }
                m.push(mi);
                v.push(vi);
                q.push(qi);
            }
            new_m.push(m);
            new_v.push(v);
            new_p.push(q);
            k += 1;
        });
        if let Some(what) = bad {
            return Err(OptimError::NonFinite { what });
        }

        // 3. Commit.
        let mut k = 0;
        model.visit_mut("", &mut |_, p| {
            p.data_mut().copy_from_slice(&new_p[k]);
            k += 1;
        });
        self.m = new_m;
        self.v = new_v;
        self.t = t;
        Ok(StepStats {
            grad_norm,
            clipped: scale < 1.0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eqv_core::param::Param;

    #[test]
    fn first_step_moves_each_entry_by_lr() {
        // With bias correction, Adam's first step is lr · sign(g) (up to ε).
        let mut p = Param::new(vec![3], vec![1.0, 2.0, 3.0]);
        let mut adam = Adam::new(AdamConfig::default());
        adam.step(&mut p, &[vec![0.5, -20.0, 1e-3]], 0.1).unwrap();
        let want = [0.9, 2.1, 2.9];
        for (a, b) in p.data().iter().zip(want) {
            assert!((a - b).abs() < 1e-4, "{a} vs {b}");
        }
    }

    #[test]
    fn clipping_and_errors_change_nothing() {
        let mut p = Param::new(vec![2], vec![1.0, 1.0]);
        let mut adam = Adam::new(AdamConfig {
            clip_norm: Some(1.0),
            ..AdamConfig::default()
        });
        let s = adam.step(&mut p, &[vec![3.0, 4.0]], 0.01).unwrap();
        assert_eq!(s.grad_norm, 5.0);
        assert!(s.clipped);
        let before = p.clone();
        let e = adam.step(&mut p, &[vec![f64::NAN, 0.0]], 0.01).unwrap_err();
        assert!(e.to_string().contains("entry 0"), "{e}");
        assert!(matches!(
            adam.step(&mut p, &[vec![1.0]], 0.01),
            Err(OptimError::Shape(_))
        ));
        assert!(matches!(
            adam.step(&mut p, &[vec![1.0, 1.0]], -1.0),
            Err(OptimError::Config(_))
        ));
        assert_eq!(p, before);
        assert_eq!(adam.steps(), 1);
        // An update that overflows is refused as well.
        let mut big = Param::new(vec![2], vec![1e308, 0.0]);
        let mut adam = Adam::new(AdamConfig::default());
        let e = adam.step(&mut big, &[vec![-1.0, 1.0]], 1e308).unwrap_err();
        assert!(e.to_string().contains("updated value"), "{e}");
        assert_eq!(big.data(), &[1e308, 0.0]);
        assert_eq!(adam.steps(), 0);
    }
}
