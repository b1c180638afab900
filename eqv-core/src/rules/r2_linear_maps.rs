//! # Rule 2 — linear maps never mix irrep types
//!
//! An equivariant linear layer mixes *channels* of one irrep type: each
//! output `Vector` is `Σ_c w_c x_c` over input `Vector`s with scalar weights.
//! It never maps a `Vector` to a `Scalar`, a `Scalar` to a `Vector`, a
//! `Vector` to a `Pseudovector`, and it never mixes x, y and z.
//!
//! ## Why
//! Schur's lemma: a linear map that commutes with every rotation between two
//! irreducible representations is zero if they differ, and a multiple of the
//! identity if they are equal. So `W x` with a 3×3 (or 3×128) matrix acting on
//! the components of a vector is not equivariant — even without a ReLU (the
//! tutorial's first code example). A map from a `Vector` to a `Scalar` that
//! is linear must be zero; what you want is a norm or a dot product.
//!
//! ## What fails
//! ```compile_fail,E0277
//! use eqv::prelude::*;
//! let mut rng = Rng::new(0);
//! let lin = Linear::<Vector, Scalar>::new(8, 16, &mut rng); // error: cannot turn Vector into Scalar
//! ```
//!
//! ## The fix
//! ```
//! use eqv::prelude::*;
//! let mut rng = Rng::new(0);
//! let vectors = Linear::<Vector, Vector>::new(8, 16, &mut rng); // mixes channels only
//! # use eqv::graph::Batch;
//! # let batch = Batch::from_positions(&[[0.0; 3], [1.0, -2.0, 0.5], [0.3, 0.4, -1.0]], &[0, 0, 0], 5.0).unwrap();
//! let tape = Tape::<f64>::new();
//! let g = Graph::new(&tape, &batch);
//! let v = Linear::<Vector, Vector>::new(1, 8, &mut rng).forward(g.edge_vectors()); // 8 channels
//! let invariants = v.norm(); // Vector -> Scalar the equivariant way
//! # let _ = (vectors.forward(v), invariants);
//! ```

use crate::irrep::Irrep;

/// Rule 2: a linear map may take `Self` features to `O` features.
/// Holds only when `O` is `Self`.
#[diagnostic::on_unimplemented(
    message = "a linear map cannot turn `{Self}` features into `{O}` features",
    label = "`{Self}` -> `{O}` is not an equivariant linear map",
    note = "rule 2: by Schur's lemma an equivariant linear map between different irreps is zero; linear layers mix channels of one irrep type, never irrep types and never the x/y/z components",
    note = "fix: keep the type (`Linear<{Self}, {Self}>`); for invariants of a vector use `norm()` or `dot()`; to build a `{O}` from other irreps use a tensor product; see `eqv::rules::r2_linear_maps`"
)]
pub trait LinearMapTo<O: Irrep>: Irrep {}

impl<I: Irrep> LinearMapTo<I> for I {}
