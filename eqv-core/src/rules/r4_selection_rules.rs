//! # Rule 4 — irrep × irrep only through Clebsch-Gordan paths
//!
//! Two features are multiplied only by a tensor product, and its output can
//! only be an irrep `l3, p3` with `|l1 − l2| ≤ l3 ≤ l1 + l2` (selection rule)
//! and `p3 = p1·p2` (parity rule). `Vector ⊗ Vector` gives `Scalar` (the dot
//! product), `Pseudovector` (the cross product) and `Tensor2e`; never a
//! `Vector`, and never a `Tensor3o`.
//!
//! ## Why
//! The product of two irreps decomposes into irreps with the Clebsch-Gordan
//! coefficients; the decomposition contains exactly the `l3` allowed by the
//! triangle inequality, and inversion multiplies the two parities. A "path"
//! outside that table has all-zero coefficients — asking for it is a
//! modelling mistake, often a wrong parity.
//!
//! ## What fails
//! ```compile_fail,E0277
//! use eqv::prelude::*;
//! # use eqv::graph::Batch;
//! # let batch = Batch::from_positions(&[[0.0; 3], [1.0, -2.0, 0.5], [0.3, 0.4, -1.0]], &[0, 0, 0], 5.0).unwrap();
//! let tape = Tape::<f64>::new();
//! let g = Graph::new(&tape, &batch);
//! let a = g.edge_vectors();
//! let b = g.gather_centers(g.scatter_sum(a));
//! let bad = tensor_product::<_, _, Vector, _>(a, b); // error: parity odd·odd = even
//! ```
//!
//! ## The fix
//! ```
//! use eqv::prelude::*;
//! # use eqv::graph::Batch;
//! # let batch = Batch::from_positions(&[[0.0; 3], [1.0, -2.0, 0.5], [0.3, 0.4, -1.0]], &[0, 0, 0], 5.0).unwrap();
//! let tape = Tape::<f64>::new();
//! let g = Graph::new(&tape, &batch);
//! let a = g.edge_vectors();
//! let b = g.gather_centers(g.scatter_sum(a));
//! let ok = tensor_product::<_, _, Pseudovector, _>(a, b);
//! # let _ = ok;
//! ```

use crate::irrep::*;

/// Rule 4: the irrep `Self` occurs in the product `A ⊗ B`: a Clebsch-Gordan
/// path couples `A ⊗ B` to `Self` (`|l1-l2| <= l3 <= l1+l2`,
/// `p3 = p1·p2`). Implemented for every allowed triple of named irreps
/// (L ≤ 8) by a generated table. The requested output is the subject, so
/// the error points at the irrep you asked for.
#[diagnostic::on_unimplemented(
    message = "no Clebsch-Gordan path couples `{A}` ⊗ `{B}` to `{Self}`",
    label = "`{A}` ⊗ `{B}` contains no `{Self}`: this breaks the selection or the parity rule",
    note = "rule 4: the product of irreps (l1,p1) and (l2,p2) contains exactly the irreps (l3, p1·p2) with |l1-l2| <= l3 <= l1+l2; for example Vector ⊗ Vector = Scalar + Pseudovector + Tensor2e",
    note = "fix: ask for an output in that list (check its parity: odd·odd = even), or add the input that produces the irrep you need; see `eqv::rules::r4_selection_rules`"
)]
pub trait InProduct<A: Irrep, B: Irrep>: Irrep {}

include!(concat!(env!("OUT_DIR"), "/cg_rule_table.rs"));
