//! # Rule 5 — no access to the components of an L ≥ 1 feature
//!
//! Inside a network, the x, y and z of a `Vector` (or the 2L+1 components of
//! any L ≥ 1 feature) are not numbers you may compute with one by one. The
//! only way out is an explicit, named opt-out that marks the code as not
//! equivariant: [`crate::non_equivariant`].
//!
//! ## Why
//! The components depend on the arbitrary choice of axes. Feeding "the x
//! coordinate" to an MLP (the tutorial's coordinate MLP) makes the output
//! depend on how the molecule happens to be oriented in the file. Everything a
//! network may use about a vector — its length, its angles to other vectors —
//! is available as invariants (`norm`, `dot`) or through tensor products.
//!
//! Reading the numbers of a feature for *output* is always allowed
//! ([`Feat::data`](crate::feat::Feat::data),
//! [`Feat::to_f64`](crate::feat::Feat::to_f64)); what is closed is the way
//! back: numbers become a feature only through the graph, ops, or
//! [`crate::non_equivariant::input`] (see the trust door in
//! [`crate::rules`]). Reading the x of every edge vector and feeding it back
//! as a `Scalar` therefore has to say `non_equivariant` at the call.
//!
//! ## What fails
//! ```compile_fail,E0277
//! use eqv::prelude::*;
//! # use eqv::graph::Batch;
//! # let batch = Batch::from_positions(&[[0.0; 3], [1.0, -2.0, 0.5], [0.3, 0.4, -1.0]], &[0, 0, 0], 5.0).unwrap();
//! let tape = Tape::<f64>::new();
//! let g = Graph::new(&tape, &batch);
//! let v = g.edge_vectors();
//! let xyz = v.components(); // error: `Vector` features have no invariant components
//! ```
//!
//! ## The fix
//! ```
//! use eqv::prelude::*;
//! # use eqv::graph::Batch;
//! # let batch = Batch::from_positions(&[[0.0; 3], [1.0, -2.0, 0.5], [0.3, 0.4, -1.0]], &[0, 0, 0], 5.0).unwrap();
//! let tape = Tape::<f64>::new();
//! let g = Graph::new(&tape, &batch);
//! let v = g.edge_vectors();
//! let length = v.norm();         // invariant
//! let proj = v.dot(v);           // invariant
//! // or, knowingly giving up equivariance (e.g. a baseline trained with augmentation):
//! let xyz = eqv::non_equivariant::components(v);
//! # let _ = (length, proj, xyz);
//! ```

use crate::irrep::{Irrep, Scalar};

/// Rule 5: the components of `Self` features are invariants, so code may
/// compute with them one by one. Only `Scalar`.
#[diagnostic::on_unimplemented(
    message = "the components of `{Self}` features are not invariants: reading x, y, z (or m = -l..l) one by one depends on the choice of axes",
    label = "component access on `{Self}`",
    note = "rule 5: an MLP over the coordinates of a vector (the tutorial's first example) changes its answer when the molecule is rotated",
    note = "fix: use invariants (`norm()`, `dot()`) or tensor products; if you really want a non-equivariant model (e.g. trained with rotation augmentation), say so with `eqv::non_equivariant::components(x)`; see `eqv::rules::r5_no_components`"
)]
pub trait ComponentsAreInvariant: Irrep {}

impl ComponentsAreInvariant for Scalar {}
