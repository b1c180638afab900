//! # Rule 3 — only features of the same irrep are added
//!
//! `Scalar + Scalar`, `Vector + Vector`: yes. `Scalar + Vector`, `Vector +
//! Pseudovector`, or a bias on a vector: no.
//!
//! ## Why
//! A sum transforms correctly only if both terms transform the same way.
//! Under a rotation a scalar stays put while a vector turns; under inversion
//! a vector flips sign while a pseudovector does not. `s + v` is therefore
//! neither a scalar nor a vector, and no later layer can undo that.
//!
//! ## What fails
//! ```compile_fail,E0277
//! use eqv::prelude::*;
//! # use eqv::graph::Batch;
//! # let batch = Batch::from_positions(&[[0.0; 3], [1.0, -2.0, 0.5], [0.3, 0.4, -1.0]], &[0, 0, 0], 5.0).unwrap();
//! let tape = Tape::<f64>::new();
//! let g = Graph::new(&tape, &batch);
//! let v = g.edge_vectors();
//! let p = v.cross(g.gather_centers(g.scatter_sum(v))); // a Pseudovector
//! let bad = v + p; // error: cannot add `Pseudovector` features to `Vector` features
//! ```
//!
//! ## The fix
//! Add like to like; couple unlike irreps by a tensor product:
//! ```
//! use eqv::prelude::*;
//! # use eqv::graph::Batch;
//! # let batch = Batch::from_positions(&[[0.0; 3], [1.0, -2.0, 0.5], [0.3, 0.4, -1.0]], &[0, 0, 0], 5.0).unwrap();
//! let tape = Tape::<f64>::new();
//! let g = Graph::new(&tape, &batch);
//! let a = g.edge_vectors();
//! let b = g.gather_centers(g.scatter_sum(a));
//! let ok = a + b;
//! let axial = a.cross(b); // Vector x Vector -> Pseudovector
//! # let _ = (ok, axial);
//! ```

use crate::irrep::Irrep;

/// Rule 3: `Self` features may be added to (or concatenated with) `I`
/// features. Holds only when they are the same irrep.
#[diagnostic::on_unimplemented(
    message = "cannot combine `{Self}` features with `{I}` features: they are different irreps",
    label = "this is `{Self}`, the other side is `{I}`",
    note = "rule 3: a sum is equivariant only if both terms transform alike; a rotation or an inversion acts differently on `{I}` and on `{Self}`",
    note = "fix: add features of one irrep only; couple different irreps with a tensor product (`tensor_product`, `dot`, `cross`); see `eqv::rules::r3_addition`"
)]
pub trait SameIrrepAs<I: Irrep>: Irrep {}

impl<I: Irrep> SameIrrepAs<I> for I {}
