//! Norms: the invariant length of each channel of any feature.

use crate::feat::Feat;
use crate::irrep::{Irrep, Scalar};
use crate::real::Real;

impl<'t, I: Irrep, T: Real> Feat<'t, I, T> {
    /// `|x|` per channel: `sqrt(Σ_m x_m²)`, an invariant `Scalar`.
    ///
    /// At `x = 0` the value is 0 and the gradient is taken as 0 (as in
    /// e3nn-jax), so zero features never produce NaN.
    pub fn norm(self) -> Feat<'t, Scalar, T> {
        let (rows, mul, d) = (self.rows(), self.mul(), I::DIM);
        let x = self.data();
        let n: Vec<T> = (0..rows * mul)
            .map(|k| {
                let s: T = x[k * d..(k + 1) * d].iter().map(|&v| v * v).sum();
                if s.value() == 0.0 {
                    T::ZERO
                } else {
                    s.sqrt()
                }
            })
            .collect();
        let nv = n.clone();
        let ix = self.id();
        Feat::from_op(self.tape(), rows, mul, n, &[ix], move |gy, g| {
            if g.wants(ix) {
                let gx = g.acc(ix);
                for k in 0..rows * mul {
                    if nv[k].value() == 0.0 {
                        continue;
                    }
                    let c = gy[k] / nv[k];
                    for m in 0..d {
                        gx[k * d + m] += c * x[k * d + m];
                    }
                }
            }
        })
    }

    /// `|x|²` per channel: smooth everywhere, an invariant `Scalar`.
    pub fn squared_norm(self) -> Feat<'t, Scalar, T> {
        let (rows, mul, d) = (self.rows(), self.mul(), I::DIM);
        let x = self.data();
        let n: Vec<T> = (0..rows * mul)
            .map(|k| x[k * d..(k + 1) * d].iter().map(|&v| v * v).sum())
            .collect();
        let ix = self.id();
        Feat::from_op(self.tape(), rows, mul, n, &[ix], move |gy, g| {
            if g.wants(ix) {
                let gx = g.acc(ix);
                for k in 0..rows * mul {
                    let c = gy[k] + gy[k];
                    for m in 0..d {
                        gx[k * d + m] += c * x[k * d + m];
                    }
                }
            }
        })
    }
}
