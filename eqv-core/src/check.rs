//! Numerical checks of equivariance and of gradients.
//!
//! The type system rules out the classic mistakes; these functions measure
//! what types cannot see (a wrong sign inside a kernel, a VJP that forgot a
//! term). eqv's own tests use them for every op, and they are public so a
//! user who writes a new op can hold it to the same standard.

use crate::irrep::Irrep;
use crate::rng::Rng;
use crate::so3;
use crate::tape::{NodeId, Tape};
use nalgebra::Matrix3;

/// Applies the Wigner D matrix of `I` for the orthogonal matrix `r` to every
/// channel of `[rows][mul][2L+1]` data.
pub fn rotate_data<I: Irrep>(data: &[f64], r: &Matrix3<f64>) -> Vec<f64> {
    let d = I::DIM;
    let dm = so3::wigner_d(I::L, I::P.sign(), r);
    let mut out = vec![0.0; data.len()];
    for (x, y) in data.chunks_exact(d).zip(out.chunks_exact_mut(d)) {
        for i in 0..d {
            y[i] = (0..d).map(|j| dm[i * d + j] * x[j]).sum();
        }
    }
    out
}

/// Permutes rows: row `i` of the result is row `perm[i]` of `data`.
pub fn permute_rows(data: &[f64], row_len: usize, perm: &[usize]) -> Vec<f64> {
    perm.iter()
        .flat_map(|&p| data[p * row_len..(p + 1) * row_len].iter().copied())
        .collect()
}

/// Random orthogonal matrices for tests: `n` proper rotations, each followed
/// by its improper partner `−R`, plus the inversion and a mirror.
pub fn test_transforms(seed: u64, n: usize) -> Vec<Matrix3<f64>> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    for _ in 0..n {
        let r = so3::random_rotation(&mut rng);
        out.push(r);
        out.push(-r);
    }
    out.push(-Matrix3::identity());
    out.push(Matrix3::from_diagonal(&nalgebra::Vector3::new(
        1.0, -1.0, 1.0,
    )));
    out
}

/// `max |a − b| / max(max |b|, 1e-300)`: the relative deviation used by all
/// equivariance checks (infinite if either side holds a NaN or an infinity).
pub fn relative_error(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "relative_error: lengths differ");
    max_abs_difference(a, b) / finite_max_abs(b).max(1e-300)
}

/// `max |x|` over the finite entries: the scale a deviation is measured
/// against stays finite, so an infinite deviation stays infinite (not
/// `∞ / ∞ = NaN`) however it is normalised.
pub(crate) fn finite_max_abs(xs: &[f64]) -> f64 {
    xs.iter()
        .filter(|x| x.is_finite())
        .fold(0.0_f64, |m, x| m.max(x.abs()))
}

/// `max |a − b|`, infinite as soon as one difference is not finite: a NaN or
/// infinite output is never "close" to anything. (`f64::max` alone drops a
/// NaN, so a check folding with it would pass a network that outputs NaN.)
pub(crate) fn max_abs_difference(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).fold(0.0_f64, |m, (x, y)| {
        let d = (x - y).abs();
        if d.is_finite() {
            m.max(d)
        } else {
            f64::INFINITY
        }
    })
}

/// How far a function is from equivariance under one transformation: the
/// largest absolute deviation `max |f(D x) − D' f(x)|` and the largest
/// component of the expected output it is measured against.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Deviation {
    /// `max |f(D x) − D' f(x)|`.
    pub abs: f64,
    /// `max |D' f(x)|`.
    pub scale: f64,
}

impl Deviation {
    /// `abs / scale` (what [`relative_error`] computes).
    pub fn relative(&self) -> f64 {
        self.abs / self.scale.max(1e-300)
    }

    /// `abs ≤ tol · (1 + scale)`: relative for large outputs, absolute for
    /// outputs that vanish by symmetry.
    pub fn within(&self, tol: f64) -> bool {
        self.abs <= tol * (1.0 + self.scale)
    }
}

/// The [`Deviation`] of a two-input function `f: A × B → C` (data in eqv's
/// layout, rows × channels × components) under each of `transforms`:
/// `f(D_A(R) a, D_B(R) b)` against `D_C(R) f(a, b)`. The single
/// equivariance check behind
/// [`authoring::assert_equivariant`](crate::authoring::assert_equivariant)
/// and eqv's own op tests.
pub fn equivariance_deviations2<A: Irrep, B: Irrep, C: Irrep>(
    a: &[f64],
    b: &[f64],
    transforms: &[Matrix3<f64>],
    f: impl Fn(Vec<f64>, Vec<f64>) -> Vec<f64>,
) -> Vec<Deviation> {
    let base = f(a.to_vec(), b.to_vec());
    transforms
        .iter()
        .map(|r| {
            let got = f(rotate_data::<A>(a, r), rotate_data::<B>(b, r));
            let want = rotate_data::<C>(&base, r);
            assert_eq!(
                got.len(),
                want.len(),
                "equivariance check: output lengths differ"
            );
            Deviation {
                abs: max_abs_difference(&got, &want),
                scale: finite_max_abs(&want),
            }
        })
        .collect()
}

/// [`equivariance_deviations2`] for one input, `f: I → O`.
pub fn equivariance_deviations<I: Irrep, O: Irrep>(
    x: &[f64],
    transforms: &[Matrix3<f64>],
    f: impl Fn(Vec<f64>) -> Vec<f64>,
) -> Vec<Deviation> {
    equivariance_deviations2::<I, I, O>(x, &[], transforms, |x, _| f(x))
}

/// The largest relative deviation of [`equivariance_deviations`].
pub fn equivariance_error<I: Irrep, O: Irrep>(
    x: &[f64],
    transforms: &[Matrix3<f64>],
    f: impl Fn(Vec<f64>) -> Vec<f64>,
) -> f64 {
    equivariance_deviations::<I, O>(x, transforms, f)
        .iter()
        .fold(0.0, |m, d| m.max(d.relative()))
}

/// The largest relative deviation of [`equivariance_deviations2`].
pub fn equivariance_error2<A: Irrep, B: Irrep, C: Irrep>(
    a: &[f64],
    b: &[f64],
    transforms: &[Matrix3<f64>],
    f: impl Fn(Vec<f64>, Vec<f64>) -> Vec<f64>,
) -> f64 {
    equivariance_deviations2::<A, B, C>(a, b, transforms, f)
        .iter()
        .fold(0.0, |m, d| m.max(d.relative()))
}

/// Checks a differentiable function's VJP against central finite
/// differences: `f` maps tracked inputs (one node per entry of `inputs`) to
/// one output node. Returns the largest relative deviation between
/// `⟨w, J·e_k⟩` from the tape and from differences, over all input entries,
/// for a random cotangent `w`.
pub fn vjp_error(
    inputs: &[Vec<f64>],
    seed: u64,
    f: impl Fn(&Tape<f64>, &[NodeId]) -> NodeId,
) -> f64 {
    let eval = |xs: &[Vec<f64>]| -> Vec<f64> {
        let tape = Tape::new();
        let ids: Vec<NodeId> = xs.iter().map(|x| tape.variable(x.clone())).collect();
        let out = f(&tape, &ids);
        tape.value(out).to_vec()
    };
    let y0 = eval(inputs);
    let mut rng = Rng::new(seed);
    let w = rng.normals(y0.len());
    let tape = Tape::new();
    let ids: Vec<NodeId> = inputs.iter().map(|x| tape.variable(x.clone())).collect();
    let out = f(&tape, &ids);
    let grads = tape.backward(out, &w);
    let mut analytic = Vec::new();
    let mut numeric = Vec::new();
    let h = 1e-6;
    for (k, x) in inputs.iter().enumerate() {
        let g = grads.get_or_zeros(ids[k]);
        for i in 0..x.len() {
            let mut xp = inputs.to_vec();
            let mut xm = inputs.to_vec();
            xp[k][i] += h;
            xm[k][i] -= h;
            let (yp, ym) = (eval(&xp), eval(&xm));
            let fd: f64 = w
                .iter()
                .zip(yp.iter().zip(&ym))
                .map(|(w, (p, m))| w * (p - m) / (2.0 * h))
                .sum();
            analytic.push(g[i]);
            numeric.push(fd);
        }
    }
    relative_error(&analytic, &numeric)
}
