//! A multilayer perceptron on invariant features (e3nn's
//! `FullyConnectedNet`): the radial network of NequIP-style convolutions,
//! atomic-energy readouts, anything that maps scalars to scalars.
//!
//! Only `Scalar` features go in and out, so any nonlinearity is allowed
//! (rule 1). Layers are [`Linear<Scalar, Scalar>`](crate::ops::linear::Linear)
//! (weights N(0, 1), scaled by `1/√fan_in` in the forward pass) and the
//! activation is normalised to unit second moment, so unit-variance inputs
//! stay unit-variance through any depth — e3nn's initialisation.

use crate::feat::Feat;
use crate::irrep::Scalar;
use crate::ops::activation::{Activation, Silu};
use crate::ops::linear::Linear;
use crate::param::{join_path, Param, Parameters};
use crate::real::Real;
use crate::rng::Rng;
use crate::rules::IsScalar;

/// `Linear → act → Linear → act → … → Linear` on `Scalar` features (no
/// activation after the last layer).
///
/// Generic over the activation *type* (a unit type such as [`Silu`]), not
/// an enum: the activation is then known at compile time, inlined into the
/// kernel, and its derivatives of every order come from dual numbers.
///
/// ```
/// use eqv::prelude::*;
/// use eqv::ops::mlp::ScalarMlp;
/// let mut rng = Rng::new(0);
/// let mlp = ScalarMlp::new(&[8, 16, 16, 1], Silu, &mut rng);
/// let tape = Tape::<f64>::new();
/// let x = eqv::non_equivariant::input::<Scalar, _>(&tape, 5, 8, rng.normals(40));
/// let y = mlp.forward(x);
/// assert_eq!((y.rows(), y.mul()), (5, 1));
/// assert_eq!(mlp.num_params(), 8 * 16 + 16 * 16 + 16);
/// ```
#[derive(Clone, Debug)]
pub struct ScalarMlp<A: Activation = Silu> {
    /// The layers, in order.
    pub layers: Vec<Linear<Scalar, Scalar>>,
    /// The activation between layers.
    pub act: A,
}

impl<A: Activation> ScalarMlp<A> {
    /// Layers of widths `dims = [in, hidden.., out]`, no biases (as e3nn's
    /// `FullyConnectedNet`).
    ///
    /// # Panics
    /// If `dims` has fewer than two entries.
    pub fn new(dims: &[usize], act: A, rng: &mut Rng) -> Self {
        Self::build(dims, act, rng, false)
    }

    /// Like [`ScalarMlp::new`] with a bias (initialised to zero) in every
    /// layer; allowed because every layer maps scalars (rule 9).
    ///
    /// # Panics
    /// If `dims` has fewer than two entries.
    pub fn with_bias(dims: &[usize], act: A, rng: &mut Rng) -> Self {
        Self::build(dims, act, rng, true)
    }

    fn build(dims: &[usize], act: A, rng: &mut Rng, bias: bool) -> Self {
        assert!(
            dims.len() >= 2,
            "ScalarMlp needs at least an input and an output width, got {dims:?}"
        );
        let layers = dims
            .windows(2)
            .map(|w| {
                if bias {
                    Linear::with_bias(w[0], w[1], rng)
                } else {
                    Linear::new(w[0], w[1], rng)
                }
            })
            .collect();
        ScalarMlp { layers, act }
    }

    /// Input width.
    pub fn dim_in(&self) -> usize {
        self.layers[0].mul_in()
    }
    /// Output width.
    pub fn dim_out(&self) -> usize {
        self.layers[self.layers.len() - 1].mul_out()
    }
    /// All widths, `[in, hidden.., out]`.
    pub fn dims(&self) -> Vec<usize> {
        std::iter::once(self.dim_in())
            .chain(self.layers.iter().map(|l| l.mul_out()))
            .collect()
    }

    /// Applies the network to every row.
    ///
    /// # Panics
    /// If `x` does not have `dim_in()` channels.
    pub fn forward<'t, I: IsScalar, T: Real>(&self, x: Feat<'t, I, T>) -> Feat<'t, Scalar, T> {
        let x: Feat<'t, Scalar, T> = I::as_scalar(x);
        let last = self.layers.len() - 1;
        let mut h = x;
        for (i, layer) in self.layers.iter().enumerate() {
            h = layer.forward(h);
            if i < last {
                h = h.activate(self.act);
            }
        }
        h
    }
}

impl<A: Activation> Parameters for ScalarMlp<A> {
    fn visit(&self, prefix: &str, f: &mut dyn FnMut(&str, &Param)) {
        self.layers.visit(&join_path(prefix, "layers"), f);
    }
    fn visit_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut Param)) {
        self.layers.visit_mut(&join_path(prefix, "layers"), f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tape::Tape;

    #[test]
    fn deep_mlp_keeps_unit_variance() {
        let mut rng = Rng::new(4);
        let mlp = ScalarMlp::new(&[32, 64, 64, 64, 32], Silu, &mut rng);
        let t = Tape::<f64>::new();
        let rows = 400;
        let y = mlp
            .forward(Feat::<Scalar>::raw_input(
                &t,
                rows,
                32,
                rng.normals(rows * 32),
            ))
            .to_f64();
        let var = y.iter().map(|v| v * v).sum::<f64>() / y.len() as f64;
        assert!((var - 1.0).abs() < 0.35, "output second moment {var}");
    }

    #[test]
    fn parameters_are_walked_with_paths() {
        let mut rng = Rng::new(1);
        let mlp = ScalarMlp::with_bias(&[2, 3, 1], Silu, &mut rng);
        let mut names = Vec::new();
        mlp.visit("radial", &mut |p, _| names.push(p.to_string()));
        assert_eq!(
            names,
            [
                "radial.layers.0.weight",
                "radial.layers.0.bias",
                "radial.layers.1.weight",
                "radial.layers.1.bias"
            ]
        );
    }
}
