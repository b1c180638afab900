//! Writing a new op: the constructors that type raw tape nodes, and the
//! test every new op must pass.
//!
//! **This module is a promise the implementer makes.** Everywhere else in
//! eqv a feature's irrep is *derived*: the [`Graph`](crate::graph::Graph)
//! types what it reads from the data (edge vectors are `Vector`s, species
//! and per-atom or per-structure invariant properties are `Scalar`s), and
//! every op types its result from the types of its inputs. The functions
//! here take the irrep from the caller instead — [`from_op`] records a new
//! op's value and vector-Jacobian product as a feature of the irrep `I`
//! you name, [`wrap`] gives a tape node a type. Nothing checks the claim
//! at compile time, so:
//!
//! * use them only to *implement* an op, inside a function whose signature
//!   states the irreps (`fn my_op<'t>(x: Feat<'t, Vector>) -> Feat<'t,
//!   Scalar>`), never to retype data a network computed;
//! * prove the promise with [`assert_equivariant`] (random proper and
//!   improper rotations applied to the input must act on the output as the
//!   output's irrep says) and the VJP with
//!   [`vjp_error`](crate::check::vjp_error), in a test next to the op;
//! * raw numbers (test data, data from outside eqv) become features through
//!   [`crate::non_equivariant::input`], which names the trust at the call.
//!
//! ```
//! use eqv::authoring::{self, assert_equivariant};
//! use eqv::prelude::*;
//!
//! /// `|x|²` per channel, written from scratch.
//! fn squared_length<'t>(x: Feat<'t, Vector>) -> Feat<'t, Scalar> {
//!     let v = x.data();
//!     let y: Vec<f64> = v.chunks_exact(3).map(|c| c.iter().map(|a| a * a).sum()).collect();
//!     let (xid, xv) = (x.id(), v.clone());
//!     authoring::from_op(x.tape(), x.rows(), x.mul(), y, &[xid], move |gy, g| {
//!         if g.wants(xid) {
//!             let gx = g.acc(xid);
//!             for (k, &gk) in gy.iter().enumerate() {
//!                 for m in 0..3 {
//!                     gx[3 * k + m] += 2.0 * gk * xv[3 * k + m];
//!                 }
//!             }
//!         }
//!     })
//! }
//! assert_equivariant("squared_length", squared_length);
//! ```

use crate::feat::Feat;
use crate::irrep::Irrep;
use crate::real::Real;
use crate::rng::Rng;
use crate::tape::{Grads, NodeId, Tape};

/// Records an op's result — its value, the nodes it read and its
/// vector-Jacobian product — as `rows × mul` features of irrep `I`.
///
/// **The caller promises** that the value transforms as `I` whenever the
/// inputs transform as their irreps; check it with [`assert_equivariant`].
///
/// # Panics
/// If `value.len() != rows * mul * I::DIM`.
pub fn from_op<'t, I: Irrep, T: Real>(
    tape: &'t Tape<T>,
    rows: usize,
    mul: usize,
    value: Vec<T>,
    inputs: &[NodeId],
    vjp: impl Fn(&[T], &mut Grads<T>) + 'static,
) -> Feat<'t, I, T> {
    Feat::from_op(tape, rows, mul, value, inputs, vjp)
}

/// Gives the tape node `id` the type `rows × mul` features of irrep `I`.
///
/// **The caller promises** that the node's value transforms as `I` (for
/// example a node made with [`Tape::op`] inside an op, or the typed input of
/// a [`crate::check::vjp_error`] test).
///
/// # Panics
/// If the node does not hold `rows * mul * I::DIM` numbers.
pub fn wrap<'t, I: Irrep, T: Real>(
    tape: &'t Tape<T>,
    id: NodeId,
    rows: usize,
    mul: usize,
) -> Feat<'t, I, T> {
    let len = tape.value(id).len();
    assert_eq!(
        len,
        rows * mul * I::DIM,
        "authoring::wrap: a node of {len} numbers is not {rows} rows x {mul} channels of {}",
        I::NAME
    );
    Feat::retype(tape, id, rows, mul)
}

/// The largest deviation [`assert_equivariant`] tolerates, relative to the
/// largest output component (with an absolute floor of the same size for
/// outputs that vanish by symmetry).
pub const EQUIVARIANCE_TOLERANCE: f64 = 1e-10;

/// Checks that the one-input op `op` is equivariant: for random inputs
/// (3 rows × 2 channels of `I`, normal entries, f64) and random proper and
/// improper rotations `R`, `op(D_I(R) x) = D_O(R) op(x)`.
///
/// Pass a function item (`fn my_op<'t>(x: Feat<'t, I>) -> Feat<'t, O>`);
/// `name` is used in the panic message. For ops of two inputs use
/// [`assert_equivariant2`].
///
/// # Panics
/// With the op's name, the transformation and the absolute and relative
/// deviation, if `max |Δ| > 1e-10 · (1 + max |output|)`; with the op's name
/// if it outputs NaN or infinity.
pub fn assert_equivariant<I: Irrep, O: Irrep>(
    name: &str,
    op: impl for<'t> Fn(Feat<'t, I, f64>) -> Feat<'t, O, f64>,
) {
    assert_equivariant2::<I, I, O>(name, |a, _b| op(a));
}

/// [`assert_equivariant`] for ops of two inputs (both with 3 rows × 2
/// channels).
///
/// # Panics
/// As [`assert_equivariant`].
pub fn assert_equivariant2<I: Irrep, J: Irrep, O: Irrep>(
    name: &str,
    op: impl for<'t> Fn(Feat<'t, I, f64>, Feat<'t, J, f64>) -> Feat<'t, O, f64>,
) {
    let (rows, mul) = (3, 2);
    let mut rng = Rng::new(0x5eed_0f0b);
    let a = rng.normals(rows * mul * I::DIM);
    let b = rng.normals(rows * mul * J::DIM);
    let run = |a: Vec<f64>, b: Vec<f64>| {
        let tape = Tape::<f64>::new();
        let fa = Feat::<I>::raw_input(&tape, rows, mul, a);
        let fb = Feat::<J>::raw_input(&tape, rows, mul, b);
        op(fa, fb).to_f64()
    };
    let transforms = crate::check::test_transforms(7, 4);
    let deviations = crate::check::equivariance_deviations2::<I, J, O>(&a, &b, &transforms, run);
    for (k, (d, r)) in deviations.iter().zip(&transforms).enumerate() {
        let what = if r.determinant() > 0.0 {
            "proper rotation"
        } else {
            "improper rotation (with inversion)"
        };
        assert!(
            d.abs.is_finite(),
            "op `{name}` outputs NaN or infinity for finite inputs (under {what} #{k}), so its equivariance cannot be verified"
        );
        assert!(
            d.within(EQUIVARIANCE_TOLERANCE),
            "op `{name}` is not equivariant: under {what} #{k} its {} output deviates by {:.3e} (absolute), {:.3e} relative to its largest component {:.3e}; \
             the promise made with eqv::authoring::from_op does not hold",
            O::NAME,
            d.abs,
            d.relative(),
            d.scale,
        );
    }
}
