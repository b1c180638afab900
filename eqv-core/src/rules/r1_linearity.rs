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
//! ```compile_fail,E0277
//! use eqv::prelude::*;
//! # use eqv::graph::Batch;
//! # let batch = Batch::from_positions(&[[0.0; 3], [1.0, -2.0, 0.5], [0.3, 0.4, -1.0]], &[0, 0, 0], 5.0).unwrap();
//! let tape = Tape::<f64>::new();
//! let g = Graph::new(&tape, &batch);
//! let v = g.edge_vectors(); // a Vector per edge
//! let bad = v.activate(Relu); // error: `Relu` cannot act on `Vector` features
//! ```
//!
//! ## The fix
//! Gate the vector with a nonlinearity of scalars, or act on its norm:
//! ```
//! use eqv::prelude::*;
//! # use eqv::graph::Batch;
//! # let batch = Batch::from_positions(&[[0.0; 3], [1.0, -2.0, 0.5], [0.3, 0.4, -1.0]], &[0, 0, 0], 5.0).unwrap();
//! let tape = Tape::<f64>::new();
//! let g = Graph::new(&tape, &batch);
//! let v = g.edge_vectors();
//! let gate = v.norm().activate(Sigmoid); // invariant -> anything goes
//! let ok = v.scale(gate);                // Vector scaled by an invariant
//! # let _ = ok;
//! ```

use crate::irrep::{Irrep, Scalar};
use crate::ops::activation::Activation;
use crate::rules::r9_parity::ParityOfActivation;

/// Rule 1: the activation `Self` may act pointwise on features of irrep `I`,
/// producing features of irrep `Out`.
///
/// Implemented by eqv for every [`Activation`] on `Scalar` and — for odd
/// and even activations (rule 9) — on `Pseudoscalar`, and for nothing else:
/// the blanket implementation leaves no room for another, so the rule
/// cannot be switched off by implementing the trait.
pub trait ActsOn<I: Irrep>: sealed::Sealed<I> {
    /// The irrep of the result.
    type Out: Irrep;
}

impl<A: Activation, I> sealed::Sealed<I> for A where
    I: sealed::OnlyScalarsPassNonlinearities<A> + sealed::ParityAllows<A>
{
}

impl<A: Activation, I> ActsOn<I> for A
where
    I: sealed::OnlyScalarsPassNonlinearities<A> + sealed::ParityAllows<A>,
{
    type Out = <I as sealed::OnlyScalarsPassNonlinearities<A>>::Out;
}

pub(crate) mod sealed {
    use super::*;
    use crate::irrep::*;

    /// Seals [`ActsOn`](super::ActsOn): implemented exactly where rules 1
    /// and 9 allow.
    pub trait Sealed<I> {}

    /// Seals [`ActivatedBy`](super::ActivatedBy) the same way.
    pub trait ActivatedSealed<A> {}
    impl<I: Irrep, A: super::ActsOn<I>> ActivatedSealed<A> for I {}

    /// Rule 1, stated on the irrep: `Self` features may pass through the
    /// activation `A`. Private, so that rustc's "not implemented for
    /// `Vector`" reads as the rule, not as an invitation.
    #[diagnostic::on_unimplemented(
        message = "the pointwise nonlinearity `{A}` cannot act on `{Self}` features: only scalars may pass through a nonlinearity",
        label = "`{A}` applied to `{Self}` features here",
        note = "rule 1 (the linearity rule): a rotation mixes the components of a `{Self}`, and a nonlinearity applied to each component does not commute with that mixing; an L >= 1 feature may only be scaled by invariants, added to its own kind, or coupled by Clebsch-Gordan products",
        note = "fix: gate it with scalars (`x.scale(gates.activate(Sigmoid))` or `Gate`), act on its norm (`norm_activation`), or make invariants first (`x.norm()`, `x.dot(y)`); see `eqv::rules::r1_linearity`"
    )]
    pub trait OnlyScalarsPassNonlinearities<A>: Irrep {
        /// The irrep of the result.
        type Out: Irrep;
    }

    #[diagnostic::do_not_recommend]
    impl<A: Activation> OnlyScalarsPassNonlinearities<A> for Scalar {
        type Out = Scalar;
    }

    /// Always resolves; whether the claim allows it is [`ParityAllows`].
    #[diagnostic::do_not_recommend]
    impl<A: Activation> OnlyScalarsPassNonlinearities<A> for Pseudoscalar {
        type Out = <A::Symmetry as crate::rules::r9_parity::Symmetry>::OnPseudoscalar;
    }

    /// Rule 9, stated on the irrep: the activation `A` keeps a definite
    /// parity on `Self` (always, except on a `Pseudoscalar` for a function
    /// that is neither odd nor even).
    pub trait ParityAllows<A> {}

    impl<A: Activation> ParityAllows<A> for Pseudoscalar where A::Symmetry: ParityOfActivation<A> {}

    macro_rules! parity_free {
        ($($i:ident)*) => {$(
            #[diagnostic::do_not_recommend]
            impl<A> ParityAllows<A> for $i {}
        )*};
    }
    parity_free! {
        Scalar Vector Pseudovector Tensor2e Tensor2o Tensor3e Tensor3o Tensor4e Tensor4o
        Tensor5e Tensor5o Tensor6e Tensor6o Tensor7e Tensor7o Tensor8e Tensor8o
    }
}

/// Rule 1 for every op that acts on numbers one by one: MLPs, scale
/// factors, gates, max-reductions. `Self` must be an invariant `Scalar`.
/// Only `Scalar` implements it (sealed by [`Irrep`]).
#[diagnostic::on_unimplemented(
    message = "`{Self}` features cannot be used where an invariant `Scalar` (0e) is required",
    label = "`{Self}` here, but this input must be `Scalar`",
    note = "rule 1 (the linearity rule): MLPs, scale factors, gates and max-reductions act on each number separately, which commutes with rotations only for invariants; a rotation mixes the components of a `{Self}`",
    note = "fix: make invariants first — `x.norm()`, `x.squared_norm()`, `x.dot(y)`, or a tensor product to `Scalar` — and feed those; see `eqv::rules::r1_linearity`"
)]
pub trait IsScalar: Irrep {
    /// `x` with its type spelled `Scalar` (it is one).
    fn as_scalar<'t, T: crate::real::Real>(
        x: crate::feat::Feat<'t, Self, T>,
    ) -> crate::feat::Feat<'t, Scalar, T>;
}
impl IsScalar for Scalar {
    fn as_scalar<'t, T: crate::real::Real>(
        x: crate::feat::Feat<'t, Self, T>,
    ) -> crate::feat::Feat<'t, Scalar, T> {
        x
    }
}

/// Rule 1 seen from the features: `Self` features may pass through the
/// activation `A`. Equivalent to `A: ActsOn<Self>`; generic code that takes
/// features of an irrep it does not know yet uses this form, so that the
/// irrep is inferred from the argument and a wrong one is reported with
/// rule 1's message instead of a type mismatch.
pub trait ActivatedBy<A>: Irrep + sealed::ActivatedSealed<A> {
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
