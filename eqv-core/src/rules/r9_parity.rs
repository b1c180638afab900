//! # Rule 9 — bias and asymmetric activations only where parity allows
//!
//! A bias (a constant added to every sample) is allowed only on `Scalar`
//! (0e) features. On `Pseudoscalar` (0o) features only odd activations
//! (tanh: result 0o) or even ones (abs, square: result 0e) are allowed;
//! SiLU, ReLU, sigmoid and softplus are neither.
//!
//! ## Why
//! Inversion flips the sign of a pseudoscalar (and of every odd feature). A
//! constant does not flip, so `x + b` is neither odd nor even. Likewise
//! `f(−x)` is `−f(x)` only for odd `f` and `f(x)` only for even `f`;
//! otherwise the result has no parity. The tutorial's `a·x + b` holds with
//! `b ≠ 0` only for invariant scalars: adding the same number to x, y and z
//! is not even rotation equivariant.
//!
//! Both halves are closed: `Linear`'s bias is a private field that only
//! [`Linear::with_bias`](crate::ops::linear::Linear::with_bias) (scalars
//! only) creates, and an activation's symmetry is one of three sealed
//! markers whose odd/even claim is checked numerically the first time the
//! activation acts on a pseudoscalar
//! ([`check_symmetry`](crate::ops::activation::check_symmetry)).
//!
//! ## What fails
//! ```compile_fail,E0277
//! use eqv::prelude::*;
//! let mut rng = Rng::new(0);
//! let lin = Linear::<Pseudoscalar, Pseudoscalar>::with_bias(4, 4, &mut rng); // error: no bias on 0o
//! ```
//! ```compile_fail,E0277
//! use eqv::prelude::*;
//! # use eqv::graph::Batch;
//! # let batch = Batch::from_positions(&[[0.0; 3], [1.0, -2.0, 0.5], [0.3, 0.4, -1.0]], &[0, 0, 0], 5.0).unwrap();
//! let tape = Tape::<f64>::new();
//! let g = Graph::new(&tape, &batch);
//! let r = g.edge_vectors();
//! let chirality = r.triple(g.gather_centers(g.scatter_sum(r)), g.gather_neighbors(g.scatter_sum(r)));
//! let bad = chirality.activate(Silu); // error: SiLU is neither odd nor even
//! ```
//!
//! ## The fix
//! ```
//! use eqv::prelude::*;
//! # use eqv::graph::Batch;
//! # let batch = Batch::from_positions(&[[0.0; 3], [1.0, -2.0, 0.5], [0.3, 0.4, -1.0]], &[0, 0, 0], 5.0).unwrap();
//! let tape = Tape::<f64>::new();
//! let g = Graph::new(&tape, &batch);
//! let r = g.edge_vectors();
//! let chirality = r.triple(g.gather_centers(g.scatter_sum(r)), g.gather_neighbors(g.scatter_sum(r)));
//! let still_odd: Feat<Pseudoscalar> = chirality.activate(Tanh); // odd -> 0o
//! let even: Feat<Scalar> = chirality.activate(Abs);             // even -> 0e
//! # let _ = (still_odd, even);
//! ```

use crate::irrep::{Irrep, Pseudoscalar, Scalar};

/// Marker: the activation is odd, `f(−x) = −f(x)` (tanh).
#[derive(Clone, Copy, Debug, Default)]
pub struct OddFunction;
/// Marker: the activation is even, `f(−x) = f(x)` (abs, square).
#[derive(Clone, Copy, Debug, Default)]
pub struct EvenFunction;
/// Marker: the activation is neither odd nor even (SiLU, ReLU, sigmoid).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoSymmetry;

/// The symmetry an [`Activation`](crate::ops::activation::Activation)
/// claims: [`OddFunction`], [`EvenFunction`] or [`NoSymmetry`], and nothing
/// else (sealed).
///
/// A claim of odd or even is *checked*: the first time an activation acts
/// on a `Pseudoscalar`, eqv evaluates `f(−x)` against `±f(x)` at several
/// points and panics, naming the activation, if the claim is false (see
/// [`check_symmetry`](crate::ops::activation::check_symmetry), which a test
/// of a custom activation can call directly).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a symmetry claim eqv knows: an activation is an `OddFunction`, an `EvenFunction` or has `NoSymmetry`",
    label = "not one of eqv's symmetry markers",
    note = "rule 9: the claim decides what an activation may do to a Pseudoscalar (0o), so the markers are sealed, and a claim of odd or even is checked numerically on first use",
    note = "fix: declare `type Symmetry = OddFunction` (f(-x) = -f(x)), `EvenFunction` (f(-x) = f(x)) or `NoSymmetry` in your `Activation`; see `eqv::rules::r9_parity`"
)]
pub trait Symmetry: sealed::Sealed + Copy + Default + std::fmt::Debug + 'static {
    /// `Some(1.0)` for even, `Some(-1.0)` for odd, `None` for no symmetry.
    const SIGN: Option<f64>;
    /// `"OddFunction"`, `"EvenFunction"` or `"NoSymmetry"`.
    const NAME: &'static str;
    /// The irrep of `f(x)` for a pseudoscalar `x` (`Pseudoscalar` for odd,
    /// `Scalar` for even; `Pseudoscalar` as a placeholder for no symmetry,
    /// which rule 9 rejects before the type is used). Lets generated code
    /// name the output type without repeating rule 9's error.
    #[doc(hidden)]
    type OnPseudoscalar: Irrep;
}
impl Symmetry for OddFunction {
    const SIGN: Option<f64> = Some(-1.0);
    const NAME: &'static str = "OddFunction";
    type OnPseudoscalar = Pseudoscalar;
}
impl Symmetry for EvenFunction {
    const SIGN: Option<f64> = Some(1.0);
    const NAME: &'static str = "EvenFunction";
    type OnPseudoscalar = Scalar;
}
impl Symmetry for NoSymmetry {
    const SIGN: Option<f64> = None;
    const NAME: &'static str = "NoSymmetry";
    type OnPseudoscalar = Pseudoscalar;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::OddFunction {}
    impl Sealed for super::EvenFunction {}
    impl Sealed for super::NoSymmetry {}
}

/// Rule 9: the activation `A`, whose symmetry is `Self`, may act on a
/// `Pseudoscalar`, and produces `Out`.
#[diagnostic::on_unimplemented(
    message = "`{A}` is neither odd nor even, so it cannot act on `Pseudoscalar` (0o) features",
    label = "a `Pseudoscalar` flips sign under inversion; `f(-x)` is neither `f(x)` nor `-f(x)` here",
    note = "rule 9: on 0o features only odd functions (tanh; result 0o) or even functions (abs, square; result 0e) keep a definite parity",
    note = "fix: use `Tanh` (odd) or `Abs`/`Square` (even), or multiply by an invariant instead; see `eqv::rules::r9_parity`"
)]
pub trait ParityOfActivation<A>: Symmetry {
    /// The irrep of `f(x)` for a pseudoscalar `x`.
    type Out: Irrep;
}
#[diagnostic::do_not_recommend]
impl<A> ParityOfActivation<A> for OddFunction {
    type Out = Pseudoscalar;
}
#[diagnostic::do_not_recommend]
impl<A> ParityOfActivation<A> for EvenFunction {
    type Out = Scalar;
}

/// Rule 9: a bias (the same constant for every sample) may be added to
/// `Self` features. Only `Scalar`.
#[diagnostic::on_unimplemented(
    message = "a bias cannot be added to `{Self}` features: a constant does not rotate or flip with them",
    label = "bias on `{Self}`",
    note = "rule 9: `a·x + b` is equivariant with `b != 0` only for invariant scalars (0e); adding the same number to x, y and z, or to a pseudoscalar, breaks rotation or inversion symmetry",
    note = "fix: use a linear map without bias (`Linear::new`) for `{Self}`; put biases on `Scalar` channels; see `eqv::rules::r9_parity`"
)]
pub trait BiasAllowed: Irrep {}

// `BiasAllowed`, like every rule trait whose subject is an irrep, is sealed
// by `Irrep` itself: only eqv's named irreps implement it, and the orphan
// rule forbids implementing an eqv trait for an eqv type elsewhere.
impl BiasAllowed for Scalar {}
