//! Norm activations (e3nn's `NormActivation` with `normalize=True`): a
//! nonlinearity for L ≥ 1 features that acts on their length only.
//!
//! The norm `|x|` of a channel is an invariant, so any function of it is
//! allowed (rule 1); multiplying `x` by an invariant keeps its irrep. The
//! direction of each channel is kept, its length is replaced by `f(|x|)`.

use crate::dual::Dual;
use crate::feat::Feat;
use crate::irrep::Irrep;
use crate::ops::activation::Activation;
use crate::real::Real;

/// Norms below this are clamped to it before dividing (e3nn's `epsilon`
/// default for `NormActivation`).
pub const NORM_EPSILON: f64 = 1e-8;

/// `y[r,c,:] = x[r,c,:] · f(n) / n` with `n = √(max(|x[r,c]|², ε²))`,
/// `ε =` [`NORM_EPSILON`], `f = act.eval` (the *raw* activation, not the
/// second-moment-normalised one, exactly as e3nn's `NormActivation`), and
/// `|x|` the Euclidean norm of the channel's `2L+1` components.
///
/// So `|y| = f(|x|)` and `y` points along `x` whenever `|x| ≥ ε`. Below `ε`
/// the scale is the constant `f(ε)/ε`: the result is 0 at `x = 0`, with no
/// NaN, and all derivatives (reverse mode, and dual numbers through the
/// reverse pass) stay finite. For activations with `f(0) ≠ 0` (sigmoid,
/// softplus) that constant is large (`≈ f(0)/ε`), as in e3nn; prefer
/// activations with `f(0) = 0` (SiLU, tanh), for which `f(n)/n → f'(0)`.
///
/// Works for every irrep, scalars included (then it is `x · f(|x|)/|x|`).
/// Same as [`Feat::norm_activation`].
pub fn norm_activation<'t, I: Irrep, A: Activation, T: Real>(
    x: Feat<'t, I, T>,
    act: A,
) -> Feat<'t, I, T> {
    let (rows, mul, d) = (x.rows(), x.mul(), I::DIM);
    let xv = x.data();
    let eps2 = NORM_EPSILON * NORM_EPSILON;
    // Per channel: the scale k(s) = f(n)/n as a function of s = |x|², and dk/ds.
    let (k, dk): (Vec<T>, Vec<T>) = xv
        .chunks_exact(d)
        .map(|xc| {
            let s: T = xc.iter().map(|&v| v * v).sum();
            if s.value() < eps2 {
                let n = T::from_f64(NORM_EPSILON);
                (act.eval(n) / n, T::ZERO)
            } else {
                let sd = Dual::variable(s);
                let n = sd.sqrt();
                let kd = act.eval(n) / n;
                (kd.re, kd.eps)
            }
        })
        .unzip();
    let mut y = crate::kernels::pool::filled(rows * mul * d, T::ZERO);
    for ((yc, xc), &kc) in y.chunks_exact_mut(d).zip(xv.chunks_exact(d)).zip(&k) {
        for (yv, &xv) in yc.iter_mut().zip(xc) {
            *yv = kc * xv;
        }
    }
    let ix = x.id();
    Feat::from_op(x.tape(), rows, mul, y, &[ix], move |gy, g| {
        if g.wants(ix) {
            // dy_m/dx_q = k δ_mq + 2 k'(s) x_m x_q
            let gx = g.acc(ix);
            for (((gxc, gyc), xc), (&kc, &dkc)) in gx
                .chunks_exact_mut(d)
                .zip(gy.chunks_exact(d))
                .zip(xv.chunks_exact(d))
                .zip(k.iter().zip(&dk))
            {
                let dot: T = xc.iter().zip(gyc).map(|(&p, &q)| p * q).sum();
                let c = (dkc + dkc) * dot;
                for ((gxv, &gyv), &xv) in gxc.iter_mut().zip(gyc).zip(xc) {
                    *gxv += kc * gyv + c * xv;
                }
            }
        }
    })
}

impl<'t, I: Irrep, T: Real> Feat<'t, I, T> {
    /// Each channel keeps its direction and gets length `f(|x|)`:
    /// `x · f(|x|)/|x|`, zero-safe. See [`norm_activation`] for exactly what
    /// is computed.
    pub fn norm_activation<A: Activation>(self, act: A) -> Feat<'t, I, T> {
        norm_activation(self, act)
    }
}
