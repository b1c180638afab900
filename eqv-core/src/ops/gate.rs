//! Gated nonlinearities (e3nn's `Gate`): the standard way to make L ≥ 1
//! features nonlinear without breaking equivariance (rule 1).
//!
//! A nonlinearity may not touch the components of a vector, but a vector may
//! be *scaled* by any function of invariants. A gate does exactly that:
//! extra scalar channels ("gates") pass through an activation, and each
//! result scales one channel of the gated feature.

use crate::dual::Dual;
use crate::feat::Feat;
use crate::irrep::{Irrep, Scalar};
use crate::ops::activation::{Activation, Sigmoid, Silu};
use crate::real::Real;
use crate::rules::{ActsOn, IsScalar};

/// `x` scaled channel-wise by the normalised activation of the gates:
/// `y[r,c,:] = act(gates[r,c]) · x[r,c,:]`, with `act` normalised to unit
/// second moment as in [`Feat::activate`] (e3nn's `normalize2mom`).
///
/// Works for every irrep `I`, L = 0 included (for ungated scalars just call
/// `.activate`). `gates` has the rows of `x` and either its number of
/// channels or a single channel (then one gate scales the whole row). One
/// fused op: the activation and its derivative (by dual numbers) are
/// evaluated in the same pass as the scaling.
///
/// ```
/// use eqv::prelude::*;
/// let tape = Tape::<f64>::new();
/// let v = eqv::non_equivariant::input::<Vector, _>(&tape, 1, 2, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
/// let g = eqv::non_equivariant::input::<Scalar, _>(&tape, 1, 2, vec![0.0, 100.0]);
/// let y = gate(g, v, Sigmoid).to_f64();
/// let c = Sigmoid::SECOND_MOMENT_SCALE;
/// assert!((y[0] - 0.5 * c).abs() < 1e-12 && (y[5] - 6.0 * c).abs() < 1e-12);
/// ```
///
/// # Panics
/// If the rows differ, or `gates` has neither `x.mul()` channels nor one.
pub fn gate<'t, G: IsScalar, I: Irrep, A: Activation, T: Real>(
    gates: Feat<'t, G, T>,
    x: Feat<'t, I, T>,
    act: A,
) -> Feat<'t, I, T> {
    let gates: Feat<'t, Scalar, T> = G::as_scalar(gates);
    let (rows, mul, d) = (x.rows(), x.mul(), I::DIM);
    assert!(
        std::ptr::eq(gates.tape(), x.tape()),
        "gate: features live on different tapes"
    );
    assert_eq!(
        gates.rows(),
        rows,
        "gate: {} rows of gates for {rows} rows",
        gates.rows()
    );
    let gm = gates.mul();
    assert!(
        gm == mul || gm == 1,
        "gate: {gm} gate channels for {mul} channels of {} (need {mul} or 1)",
        I::NAME
    );
    let gv = gates.data();
    // The activated gates and their derivatives, once per gate.
    let (s, ds): (Vec<T>, Vec<T>) = gv
        .iter()
        .map(|&z| {
            let f = act.normalized(Dual::variable(z));
            (f.re, f.eps)
        })
        .unzip();
    let xv = x.data();
    let gidx = move |r: usize, c: usize| if gm == 1 { r } else { r * mul + c };
    let mut y = crate::kernels::pool::filled(rows * mul * d, T::ZERO);
    for r in 0..rows {
        for c in 0..mul {
            let k = s[gidx(r, c)];
            let o = (r * mul + c) * d;
            for (yv, &xv) in y[o..o + d].iter_mut().zip(&xv[o..o + d]) {
                *yv = k * xv;
            }
        }
    }
    let (ig, ix) = (gates.id(), x.id());
    Feat::from_op(x.tape(), rows, mul, y, &[ig, ix], move |gy, g| {
        if g.wants(ix) {
            let gx = g.acc(ix);
            for r in 0..rows {
                for c in 0..mul {
                    let k = s[gidx(r, c)];
                    let o = (r * mul + c) * d;
                    for (gxv, &gyv) in gx[o..o + d].iter_mut().zip(&gy[o..o + d]) {
                        *gxv += k * gyv;
                    }
                }
            }
        }
        if g.wants(ig) {
            let gg = g.acc(ig);
            for r in 0..rows {
                for c in 0..mul {
                    let o = (r * mul + c) * d;
                    let dot: T = xv[o..o + d]
                        .iter()
                        .zip(&gy[o..o + d])
                        .map(|(&p, &q)| p * q)
                        .sum();
                    let i = gidx(r, c);
                    gg[i] += ds[i] * dot;
                }
            }
        }
    })
}

/// e3nn's `Gate` for one gated irrep: an activation for the ungated scalars
/// and one for the gates (by default SiLU and sigmoid, as in NequIP).
///
/// A typical block: a linear layer produces scalars, gates and the L ≥ 1
/// features; [`Gate::scalars`] activates the scalars and [`Gate::gated`]
/// scales each L ≥ 1 irrep type by its gates (one call per irrep type).
///
/// ```
/// use eqv::prelude::*;
/// let tape = Tape::<f64>::new();
/// let s = eqv::non_equivariant::input::<Scalar, _>(&tape, 1, 2, vec![0.5, -1.0]);
/// let g = eqv::non_equivariant::input::<Scalar, _>(&tape, 1, 1, vec![0.3]);
/// let v = eqv::non_equivariant::input::<Vector, _>(&tape, 1, 1, vec![1.0, 0.0, 0.0]);
/// let gate_layer = Gate::new(Silu, Sigmoid); // = `Gate::default()`
/// let (s2, v2) = (gate_layer.scalars(s), gate_layer.gated(g, v));
/// # let _ = (s2, v2);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Gate<S: Activation = Silu, G: Activation = Sigmoid> {
    /// Activation of the ungated scalars.
    pub scalar_act: S,
    /// Activation of the gates.
    pub gate_act: G,
}

impl<S: Activation, G: Activation> Gate<S, G> {
    /// A gate with the given activations.
    pub fn new(scalar_act: S, gate_act: G) -> Self {
        Gate {
            scalar_act,
            gate_act,
        }
    }

    /// The ungated scalars through the scalar activation (rules 1 and 9 decide
    /// what a pseudoscalar becomes).
    pub fn scalars<'t, I: Irrep, T: Real>(&self, s: Feat<'t, I, T>) -> Feat<'t, S::Out, T>
    where
        S: ActsOn<I>,
    {
        s.activate(self.scalar_act)
    }

    /// `x` scaled channel-wise by the activated gates; see [`gate`].
    pub fn gated<'t, Gt: IsScalar, I: Irrep, T: Real>(
        &self,
        gates: Feat<'t, Gt, T>,
        x: Feat<'t, I, T>,
    ) -> Feat<'t, I, T> {
        gate(gates, x, self.gate_act)
    }
}
