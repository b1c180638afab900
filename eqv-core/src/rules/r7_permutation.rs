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
//! ```compile_fail,E0277
//! use eqv::prelude::*;
//! let tape = Tape::<f64>::new();
//! let e = eqv::non_equivariant::input::<Scalar, _>(&tape, 3, 1, vec![1.0, 2.0, 3.0]);
//! let first = e.row(0); // error: atom order is not meaningful
//! ```
//!
//! ## The fix
//! ```
//! use eqv::prelude::*;
//! use eqv::graph::Batch;
//! let batch = Batch::from_positions(&[[0.0; 3], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], &[0, 0, 0], 2.0)?;
//! let tape = Tape::<f64>::new();
//! let g = Graph::new(&tape, &batch);
//! let atomic = g.scatter_sum(g.edge_vectors().norm());  // one row per atom
//! let total = g.sum_over_atoms(atomic);                 // permutation invariant
//! let same = sum_rows_by(atomic, &g.atoms_to_structures()); // the graph's own grouping
//! # let _ = (total, same);
//! # Ok::<(), eqv::data::DataError>(())
//! ```
//!
//! Index arrays you write yourself (`&[0, 1, 1]`) are not accepted by the
//! equivariant reductions: they can single out an atom as surely as
//! `row(0)`. The groupings come from the graph
//! ([`Graph::atoms_to_structures`](crate::graph::Graph::atoms_to_structures),
//! [`Graph::edges_to_centers`](crate::graph::Graph::edges_to_centers)), whose
//! indices are renumbered with the atoms; arbitrary indices are
//! [`crate::non_equivariant::sum_rows_by`].

/// Rule 7: the order of atoms (rows) carries meaning. Never holds: the
/// bound exists so that order-dependent access explains itself.
#[diagnostic::on_unimplemented(
    message = "the order of atoms is not meaningful: this would make the result depend on how the atoms are numbered",
    label = "order-dependent access to atoms here",
    note = "rule 7 (permutation): renumbering the atoms must leave energies unchanged and renumber forces; only symmetric reductions (sum, mean) over atoms or edges are allowed",
    note = "fix: aggregate with `graph.scatter_sum(..)`, `graph.scatter_mean(..)` or `graph.sum_over_atoms(..)`; see `eqv::rules::r7_permutation`"
)]
pub trait AtomOrderIsMeaningful {}
