//! # Rule 7 — aggregation over atoms only by symmetric reductions
//!
//! Information from many atoms (or edges) is combined by sums, means or
//! other symmetric reductions: [`crate::graph::Graph::scatter_sum`],
//! [`crate::graph::Graph::sum_over_atoms`]. Picking "atom 3", or
//! concatenating all atoms into one long vector for an MLP, is not allowed.
//!
//! ## Why
//! The numbering of atoms in a file is arbitrary; an energy must not depend
//! on it and forces must be renumbered with the atoms. A sum does not care
//! about the order of its terms; "the third atom" or a concatenation does.
//!
//! ## What fails
//! ```compile_fail
//! use eqv_core::prelude::*;
//! let tape = Tape::<f64>::new();
//! let e = Feat::<Scalar>::input(&tape, 3, 1, vec![1.0, 2.0, 3.0]);
//! let first = e.row(0); // error: atom order is not meaningful
//! ```
//!
//! ## The fix
//! ```
//! use eqv_core::prelude::*;
//! let tape = Tape::<f64>::new();
//! let structures = [0usize, 0, 0]; // all three atoms belong to structure 0
//! let e = Feat::<Scalar>::input(&tape, 3, 1, vec![1.0, 2.0, 3.0]);
//! let total = sum_rows_by(e, &structures, 1); // permutation invariant
//! # let _ = total;
//! ```

/// Rule 7: the order of atoms (rows) carries meaning. Never holds: the
/// bound exists so that order-dependent access explains itself.
#[diagnostic::on_unimplemented(
    message = "the order of atoms is not meaningful: this would make the result depend on how the atoms are numbered",
    label = "order-dependent access to atoms here",
    note = "rule 7 (permutation): renumbering the atoms must leave energies unchanged and renumber forces; only symmetric reductions (sum, mean) over atoms or edges are allowed",
    note = "fix: aggregate with `graph.scatter_sum(..)`, `graph.scatter_mean(..)` or `graph.sum_over_atoms(..)`; see `eqv::rules::r7_permutation`"
)]
pub trait AtomOrderIsMeaningful {}
