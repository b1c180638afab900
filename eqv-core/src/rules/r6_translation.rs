//! # Rule 6 — absolute positions are never features
//!
//! A network sees where atoms are only through *differences* of positions:
//! the relative vectors `r_j − r_i` along the edges of the graph
//! ([`crate::graph::Graph::edge_vectors`]). The positions themselves are not
//! a `Vector` feature.
//!
//! ## Why
//! Translating a molecule changes every position but no energy and no force.
//! Relative vectors are unchanged by translations and rotate with the
//! molecule, so they are genuine `Vector`s; absolute positions are not (they
//! do not even transform linearly under the Euclidean group, `r -> Rr + t`).
//!
//! Positions relative to each structure's centroid,
//! [`Graph::centered_positions`](crate::graph::Graph::centered_positions),
//! are unchanged by translations and are genuine `Vector`s: the dipole
//! `Σ qᵢ (rᵢ − r̄)` is `g.sum_over_atoms(q * g.centered_positions())`.
//!
//! ## What fails
//! ```compile_fail,E0277
//! use eqv::prelude::*;
//! fn model<'t>(g: &Graph<'t, f64>) {
//!     let r = g.positions(); // error: absolute positions are not a feature
//! }
//! ```
//!
//! ## The fix
//! ```
//! use eqv::prelude::*;
//! fn model<'t>(g: &Graph<'t, f64>) -> Feat<'t, Scalar> {
//!     g.edge_vectors().norm() // distances: invariant under translations and rotations
//! }
//! ```

/// Rule 6: absolute positions may be used as a feature. Never holds: the
/// bound exists so that asking for positions explains itself.
#[diagnostic::on_unimplemented(
    message = "absolute positions are not a feature: translating the structure would change them",
    label = "positions requested here",
    note = "rule 6 (translation): energies and forces do not change when the whole structure moves, so a network may only see differences of positions",
    note = "fix: use the relative vectors along edges, `graph.edge_vectors()` (a `Vector` per edge), or distances, `graph.edge_vectors().norm()`; to opt out knowingly use `eqv::non_equivariant::positions(graph)`; see `eqv::rules::r6_translation`"
)]
pub trait PositionsAreFeatures {}
