//! Equivariant linear maps: channels of one irrep type mixed by scalar
//! weights (rule 2), with a bias only on scalars (rule 9).

use crate::feat::Feat;
use crate::irrep::Irrep;
use crate::kernels::linear::{self, LinearShape};
use crate::param::{join_path, Param, Parameters};
use crate::real::Real;
use crate::rng::Rng;
use crate::rules::{BiasAllowed, LinearMapTo};
use std::marker::PhantomData;

/// `y[o] = Σ_i w[i,o] x[i] / √mul_in (+ b[o])` on every component of every row.
///
/// Weights start N(0, 1); the `1/√mul_in` factor (e3nn's normalisation)
/// keeps unit-variance inputs unit-variance at any width. The type
/// parameters say what goes in and out, and they must be equal: a linear
/// map between different irreps is not equivariant (rule 2).
#[derive(Clone, Debug)]
pub struct Linear<I: Irrep, O: Irrep> {
    /// Weights, shape `[mul_in, mul_out]`.
    pub weight: Param,
    /// Bias, shape `[mul_out]`: exists only on scalars (rule 9), so it is
    /// private and made only by [`Linear::with_bias`]; read it with
    /// [`Linear::bias`], train it through the parameter walk.
    bias: Option<Param>,
    _io: PhantomData<(I, O)>,
}

impl<I: Irrep, O: Irrep> Linear<I, O> {
    /// A linear map from `mul_in` to `mul_out` channels, weights N(0, 1).
    pub fn new(mul_in: usize, mul_out: usize, rng: &mut Rng) -> Self
    where
        I: LinearMapTo<O>,
    {
        Linear {
            weight: Param::normal(vec![mul_in, mul_out], rng),
            bias: None,
            _io: PhantomData,
        }
    }

    /// Like [`Linear::new`] plus a bias (initialised to zero). Only for
    /// scalars (rule 9).
    pub fn with_bias(mul_in: usize, mul_out: usize, rng: &mut Rng) -> Self
    where
        I: LinearMapTo<O> + BiasAllowed,
    {
        let mut lin = Self::new(mul_in, mul_out, rng);
        lin.bias = Some(Param::zeros(vec![mul_out]));
        lin
    }

    /// The bias, if this map has one (only a `Scalar` map made by
    /// [`Linear::with_bias`]).
    pub fn bias(&self) -> Option<&Param> {
        self.bias.as_ref()
    }

    /// The bias for training or loading, if this map has one. There is no
    /// way to *give* a map a bias after construction: a `Linear` of
    /// non-scalars has none and keeps none (rule 9).
    pub fn bias_mut(&mut self) -> Option<&mut Param> {
        self.bias.as_mut()
    }

    /// Input channels.
    pub fn mul_in(&self) -> usize {
        self.weight.shape()[0]
    }
    /// Output channels.
    pub fn mul_out(&self) -> usize {
        self.weight.shape()[1]
    }

    /// Applies the map to every row of `x`.
    ///
    /// # Panics
    /// If `x` does not have `mul_in` channels.
    pub fn forward<'t, T: Real>(&self, x: Feat<'t, I, T>) -> Feat<'t, O, T>
    where
        I: LinearMapTo<O>,
    {
        let (mi, mo, d, rows) = (self.mul_in(), self.mul_out(), I::DIM, x.rows());
        assert_eq!(
            x.mul(),
            mi,
            "Linear<{}> expects {mi} channels, got {}",
            I::NAME,
            x.mul()
        );
        let tape = x.tape();
        let s = T::from_f64(1.0 / (mi.max(1) as f64).sqrt());
        let wid = tape.param(&self.weight);
        let w = tape.value(wid);
        let bid = self.bias.as_ref().map(|b| tape.param(b));
        let b = bid.map(|id| tape.value(id));
        let xv = x.data();
        // One GEMM per component (see `kernels::linear`): scalars and
        // L ≥ 1 differ only in the strides of the views.
        let shape = LinearShape {
            rows,
            mul_in: mi,
            mul_out: mo,
            dim: d,
        };
        let mut y = tape.scratch(rows * mo * d);
        linear::forward(&shape, s, &xv, &w, &mut y);
        if let Some(b) = &b {
            for yr in y.chunks_exact_mut(mo * d) {
                for (o, &bo) in b.iter().enumerate() {
                    yr[o * d] += bo;
                }
            }
        }
        let xid = x.id();
        let mut inputs = vec![xid, wid];
        inputs.extend(bid);
        Feat::from_op(tape, rows, mo, y, &inputs, move |gy, g| {
            if g.wants(xid) {
                // A fresh gradient is written, not added to zeros.
                let (gx, store) = g.slot(xid);
                linear::backward_input(&shape, s, gy, &w, store, gx);
            }
            if g.wants(wid) {
                let (gw, store) = g.slot(wid);
                linear::backward_weight(&shape, s, &xv, gy, store, gw);
            }
            if let Some(bid) = bid {
                if g.wants(bid) {
                    let gb = g.acc(bid);
                    for gyr in gy.chunks_exact(mo * d) {
                        for (o, gbo) in gb.iter_mut().enumerate() {
                            *gbo += gyr[o * d];
                        }
                    }
                }
            }
        })
    }
}

impl<I: Irrep, O: Irrep> Parameters for Linear<I, O> {
    fn visit(&self, prefix: &str, f: &mut dyn FnMut(&str, &Param)) {
        f(&join_path(prefix, "weight"), &self.weight);
        if let Some(b) = &self.bias {
            f(&join_path(prefix, "bias"), b);
        }
    }
    fn visit_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut Param)) {
        f(&join_path(prefix, "weight"), &mut self.weight);
        if let Some(b) = &mut self.bias {
            f(&join_path(prefix, "bias"), b);
        }
    }
}
