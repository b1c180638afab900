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
//! | the trust door: no constructor retypes numbers | [`NumbersAreTyped`], [`NodesAreRetyped`] | [`trust`] |
//!
//! ## The trust door
//!
//! A rule checked by types holds only if every typed feature came from
//! somewhere that earned its type. In eqv there are exactly three such
//! places, and the third is named at every use:
//!
//! 1. **the [`Graph`](crate::graph::Graph)**, which types what it reads from
//!    the data: edge vectors `r_j − r_i` and centroid-relative positions are
//!    `Vector`s, distances `Scalar`s, species one-hots and the per-atom and
//!    per-structure invariant properties of the batch
//!    ([`Batch::with_atom_scalars`](crate::graph::Batch::with_atom_scalars))
//!    `Scalar`s. The batch itself is data and is trusted: a number put there
//!    as an invariant property must be one;
//! 2. **ops**, which type their result from the types of their inputs (and
//!    [`Feat::zeros`](crate::feat::Feat::zeros), since zero is every
//!    irrep's value);
//! 3. **[`crate::non_equivariant`]**, the named opt-out: raw numbers as any
//!    irrep ([`input`](crate::non_equivariant::input)), components,
//!    positions, single rows, reductions over index arrays you wrote.
//!
//! People who *implement* a new op type its result with
//! [`crate::authoring::from_op`]: a promise the implementer makes and proves
//! with [`crate::authoring::assert_equivariant`] in a test. Numbers read out
//! of a feature ([`Feat::data`](crate::feat::Feat::data),
//! [`Feat::to_f64`](crate::feat::Feat::to_f64)) are for output: the only
//! ways back in are the three above. The rule traits themselves are sealed
//! (implemented by eqv for exactly the irreps each rule allows), a custom
//! activation's odd/even claim is checked numerically the first time it
//! meets a pseudoscalar, and `Linear`'s bias exists only on scalars.
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
pub mod trust;

pub use r1_linearity::{ActivatedBy, ActsOn, IsScalar};
pub use r2_linear_maps::LinearMapTo;
pub use r3_addition::SameIrrepAs;
pub use r4_selection_rules::InProduct;
pub use r5_no_components::ComponentsAreInvariant;
pub use r6_translation::PositionsAreFeatures;
pub use r7_permutation::AtomOrderIsMeaningful;
pub use r8_output_type::{IsChargeLike, IsDipoleLike, IsEnergyLike, IsForceLike};
pub use r9_parity::{BiasAllowed, ParityOfActivation};
pub use trust::{NodesAreRetyped, NumbersAreTyped};
