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
//! use eqv_core::prelude::*;
//! let tape = Tape::<f64>::new();
//! let v = eqv_core::non_equivariant::input::<Vector, _>(&tape, 1, 1, vec![1.0, 0.0, 0.0]);
//! let p = eqv_core::non_equivariant::input::<Pseudovector, _>(&tape, 1, 1, vec![0.0, 1.0, 0.0]);
//! let bad = v + p; // error: cannot add `Pseudovector` features to `Vector` features
//! ```
//!
//! ## The fix
//! Add like to like; couple unlike irreps by a tensor product:
//! ```
//! use eqv_core::prelude::*;
//! let tape = Tape::<f64>::new();
//! let a = eqv_core::non_equivariant::input::<Vector, _>(&tape, 1, 1, vec![1.0, 0.0, 0.0]);
//! let b = eqv_core::non_equivariant::input::<Vector, _>(&tape, 1, 1, vec![0.0, 1.0, 0.0]);
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
