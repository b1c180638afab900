//! # Rule 1 — the linearity rule: pointwise nonlinearities act only on scalars
//!
//! A nonlinearity such as ReLU, SiLU or tanh may be applied to `Scalar` (0e)
//! features, and — if it is odd or even — to `Pseudoscalar` (0o) ones (rule
//! 9). Never to a `Vector`, `Pseudovector` or any L ≥ 1 feature.
//!
//! ## Why
//! Rotating a vector mixes its components: `(Rx)_i = Σ_j R_ij x_j`. A
//! function applied to each component separately commutes with that mixing
//! only if it is linear: `relu(R x) ≠ R relu(x)` as soon as one component is
//! negative. Invariants are not mixed by rotations, so on them anything goes.
//! The tutorial's rule: a vector may only be combined as `Σ a_k x_k` with
//! invariant coefficients `a_k`.
//!
//! ## What fails
//! ```compile_fail
//! use eqv_core::prelude::*;
//! let tape = Tape::<f64>::new();
//! let v = Feat::<Vector>::input(&tape, 1, 1, vec![1.0, -2.0, 0.5]);
//! let bad = v.activate(Relu); // error: `Relu` cannot act on `Vector` features
//! ```
//!
//! ## The fix
//! Gate the vector with a nonlinearity of scalars, or act on its norm:
//! ```
//! use eqv_core::prelude::*;
//! let tape = Tape::<f64>::new();
//! let v = Feat::<Vector>::input(&tape, 1, 1, vec![1.0, -2.0, 0.5]);
//! let gate = v.norm().activate(Sigmoid); // invariant -> anything goes
//! let ok = v.scale(gate);                // Vector scaled by an invariant
//! # let _ = ok;
//! ```

use crate::irrep::{Irrep, Pseudoscalar, Scalar};
use crate::ops::activation::Activation;
use crate::rules::r9_parity::ParityOfActivation;

/// Rule 1: the activation `Self` may act pointwise on features of irrep `I`,
/// producing features of irrep `Out`.
#[diagnostic::on_unimplemented(
    message = "the pointwise nonlinearity `{Self}` cannot act on `{I}` features: only scalars may pass through a nonlinearity",
    label = "`{Self}` applied to `{I}` features here",
    note = "rule 1 (the linearity rule): a rotation mixes the components of a `{I}`, and a nonlinearity applied to each component does not commute with that mixing; an L >= 1 feature may only be scaled by invariants, added to its own kind, or coupled by Clebsch-Gordan products",
    note = "fix: gate it with scalars (`x.scale(gates.activate(Sigmoid))` or `Gate`), act on its norm (`norm_activation`), or make invariants first (`x.norm()`, `x.dot(y)`); see `eqv::rules::r1_linearity`"
)]
pub trait ActsOn<I: Irrep> {
    /// The irrep of the result.
    type Out: Irrep;
}

impl<A: Activation> ActsOn<Scalar> for A {
    type Out = Scalar;
}

impl<A: Activation> ActsOn<Pseudoscalar> for A
where
    A::Symmetry: ParityOfActivation<A>,
{
    type Out = <A::Symmetry as ParityOfActivation<A>>::Out;
}

/// Rule 1 seen from the features: `Self` features may pass through the
/// activation `A`. Equivalent to `A: ActsOn<Self>`; generic code that takes
/// features of an irrep it does not know yet uses this form, so that the
/// irrep is inferred from the argument and a wrong one is reported with
/// rule 1's message instead of a type mismatch.
pub trait ActivatedBy<A>: Irrep {
    /// The irrep of the result.
    type Out: Irrep;
    /// `x.activate(a)`.
    fn activate_by<'t, T: crate::real::Real>(
        x: crate::feat::Feat<'t, Self, T>,
        a: A,
    ) -> crate::feat::Feat<'t, Self::Out, T>;
}

impl<I: Irrep, A: Activation + ActsOn<I>> ActivatedBy<A> for I {
    type Out = <A as ActsOn<I>>::Out;
    fn activate_by<'t, T: crate::real::Real>(
        x: crate::feat::Feat<'t, I, T>,
        a: A,
    ) -> crate::feat::Feat<'t, Self::Out, T> {
        x.activate(a)
    }
}
