//! The rules of equivariance, as traits the compiler checks — and their
//! explanations, one page per rule (like `rustc --explain`).
//!
//! Each rule is one trait named after it, carrying a
//! `#[diagnostic::on_unimplemented]` message in physics terms and a note with
//! the fix. Ops put the trait bound on themselves, so breaking a rule is a
//! compile error at your own line, not a wrong model found weeks later.
//!
//! | rule | trait | page |
//! |---|---|---|
//! | 1. pointwise nonlinearities only on scalars | [`ActsOn`], [`IsScalar`] | [`r1_linearity`] |
//! | 2. linear maps never mix irrep types | [`LinearMapTo`] | [`r2_linear_maps`] |
//! | 3. only equal irreps are added | [`SameIrrepAs`] | [`r3_addition`] |
//! | 4. irrep × irrep only by Clebsch-Gordan paths | [`InProduct`] | [`r4_selection_rules`] |
//! | 5. no components of an L ≥ 1 feature | [`ComponentsAreInvariant`] | [`r5_no_components`] |
//! | 6. absolute positions are never features | [`PositionsAreFeatures`] | [`r6_translation`] |
//! | 7. aggregation over atoms only by symmetric reductions | [`AtomOrderIsMeaningful`] | [`r7_permutation`] |
//! | 8. the output is the declared type | [`IsForceLike`], [`IsEnergyLike`] | [`r8_output_type`] |
//! | 9. bias and asymmetric activations only where parity allows | [`BiasAllowed`], [`ParityOfActivation`] | [`r9_parity`] |
//!
//! Irrep names used in the messages: `Scalar` = 0e, `Pseudoscalar` = 0o,
//! `Vector` = 1o, `Pseudovector` = 1e, `TensorLe`/`TensorLo` = degree L.

pub mod r1_linearity;
pub mod r2_linear_maps;
pub mod r3_addition;
pub mod r4_selection_rules;
pub mod r5_no_components;
pub mod r6_translation;
pub mod r7_permutation;
pub mod r8_output_type;
pub mod r9_parity;

pub use r1_linearity::{ActivatedBy, ActsOn, IsScalar};
pub use r2_linear_maps::LinearMapTo;
pub use r3_addition::SameIrrepAs;
pub use r4_selection_rules::InProduct;
pub use r5_no_components::ComponentsAreInvariant;
pub use r6_translation::PositionsAreFeatures;
pub use r7_permutation::AtomOrderIsMeaningful;
pub use r8_output_type::{IsChargeLike, IsDipoleLike, IsEnergyLike, IsForceLike};
pub use r9_parity::{BiasAllowed, ParityOfActivation};
