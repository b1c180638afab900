//! # The trust door: no constructor retypes numbers
//!
//! `Feat::input`, `Feat::variable` and `Feat::wrap` exist only to explain
//! why they cannot be used: a feature's irrep is never asserted, it is
//! derived — from the data by the [`Graph`](crate::graph::Graph), from typed
//! inputs by an op — or given up on by name through
//! [`crate::non_equivariant`]. See the trust door in [`crate::rules`].
//!
//! ```compile_fail,E0277
//! use eqv::prelude::*;
//! let tape = Tape::<f64>::new();
//! let three_invariants = vec![0.1, 0.2, 0.3];
//! let f = Feat::<Vector>::input(&tape, 1, 1, three_invariants); // error: raw numbers are not a Vector
//! ```
//!
//! The fix depends on what the numbers are: data (`Graph::edge_vectors`,
//! `Graph::atom_scalars` from `Batch::with_atom_scalars`), an op's result
//! (`eqv::authoring::from_op`, with `assert_equivariant` in a test), or a
//! deliberate opt-out (`eqv::non_equivariant::input`).

use crate::irrep::Irrep;

/// Raw numbers may be typed as `Self` features by assertion. Never holds.
#[diagnostic::on_unimplemented(
    message = "raw numbers cannot become `{Self}` features by assertion: nothing would check that they transform as `{Self}`",
    label = "`{Self}` asserted here",
    note = "the trust door: a typed feature comes from the data through the `Graph` (edge vectors, centred positions, species, `atom_scalars`/`structure_scalars` of the batch), from an op applied to typed features, or from `eqv::non_equivariant::input`, which names the trust at the call; numbers read with `.data()`/`.to_f64()` are for output (the tutorial's \"three invariants are not a force\")",
    note = "fix: take the feature from the graph or an op (`Feat::zeros` for zeros); for data eqv cannot check, write `eqv::non_equivariant::input::<{Self}, _>(..)`; to implement a new op use `eqv::authoring::from_op`; see `eqv::rules`"
)]
pub trait NumbersAreTyped: Irrep {}

/// A tape node may be retyped as `Self` features by assertion. Never holds.
#[diagnostic::on_unimplemented(
    message = "a tape node cannot be retyped as `{Self}` features: the type of a feature is what its op made, not what it is called",
    label = "retyped as `{Self}` here",
    note = "the trust door: retyping three invariants as a Vector is the tutorial's \"distance MLP predicts forces\" with the label changed; only the implementer of an op may name its result's irrep, and proves it with a test",
    note = "fix: build the `{Self}` from typed features (edge vectors scaled by invariants, tensor products); to implement a new op use `eqv::authoring::from_op`/`eqv::authoring::wrap` and `eqv::authoring::assert_equivariant`; see `eqv::rules`"
)]
pub trait NodesAreRetyped: Irrep {}
