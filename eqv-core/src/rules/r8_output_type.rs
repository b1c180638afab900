//! # Rule 8 — the output is the declared type
//!
//! A network that promises forces returns a `Vector` (1o) per atom; one that
//! promises an energy returns a `Scalar` (0e) per structure. Three invariant
//! numbers are not a force, and neither is a `Pseudovector`.
//!
//! ## Why
//! The tutorial's second example predicts "forces" with an MLP on distances:
//! its three outputs are invariants, so when the molecule turns, the
//! predicted forces stay put — invariant where equivariance was required. A
//! `Pseudovector` fails under inversion instead: forces flip with a mirror
//! image, pseudovectors do not.
//!
//! The declared output is checked three times: by type (`Forces::from_feat`
//! takes only `Vector`s; `#[equivariant(output = ...)]` and a hand-written
//! [`Model`](crate::model::Model) accept only what
//! [`IntoDeclared`](crate::model::IntoDeclared) allows, with the text of the
//! declared kind), by row count at `predict` (one row per atom for `Forces`
//! and `Charges`, per structure for `Energy` and `Dipole`), and numerically
//! by `check_equivariance`. Forces computed as `−∇E` come back typed from
//! [`Forces::from_energy`](crate::output::Forces::from_energy).
//!
//! ## What fails
//! ```compile_fail,E0277
//! use eqv::prelude::*;
//! let tape = Tape::<f64>::new();
//! let three_invariants = eqv::non_equivariant::input::<Scalar, _>(&tape, 2, 3, vec![0.0; 6]);
//! let f = Forces::from_feat(three_invariants); // error: a force must be a `Vector`
//! ```
//!
//! ## The fix
//! Predict an invariant energy and take `F = −∇E` (always equivariant), or
//! build a `Vector` from relative vectors scaled by invariants:
//! ```
//! use eqv::prelude::*;
//! let tape = Tape::<f64>::new();
//! let v = eqv::non_equivariant::input::<Vector, _>(&tape, 2, 1, vec![0.0; 6]);
//! let f = Forces::from_feat(v);
//! # let _ = f;
//! ```

use crate::irrep::{Irrep, Scalar, Vector};

/// Rule 8: `Self` features can be forces (per-atom `Vector`s, 1o).
#[diagnostic::on_unimplemented(
    message = "`{Self}` features cannot be forces: a force is a `Vector` (1o) that rotates and inverts with the structure",
    label = "declared as forces, but this is `{Self}`",
    note = "rule 8: invariant outputs stay put when the molecule turns (the tutorial's \"distance MLP predicts forces\"); a Pseudovector does not flip under inversion",
    note = "fix: predict an energy and take forces as its negative gradient (`forces_from_energy`), or build a `Vector` from edge vectors scaled by invariants; see `eqv::rules::r8_output_type`"
)]
pub trait IsForceLike: Irrep {}
impl IsForceLike for Vector {}

/// Rule 8: `Self` features can be an energy (invariant `Scalar`, 0e).
#[diagnostic::on_unimplemented(
    message = "`{Self}` features cannot be an energy: an energy is a `Scalar` (0e), unchanged by rotations, inversions, translations and renumbering",
    label = "declared as an energy, but this is `{Self}`",
    note = "rule 8: an energy must be invariant; `{Self}` changes under rotations or inversion",
    note = "fix: make invariants first (`norm()`, `dot()`, a tensor product to `Scalar`) and sum them over atoms; see `eqv::rules::r8_output_type`"
)]
pub trait IsEnergyLike: Irrep {}
impl IsEnergyLike for Scalar {}

/// Rule 8: `Self` features can be a dipole (one `Vector`, 1o, per
/// structure).
#[diagnostic::on_unimplemented(
    message = "`{Self}` features cannot be a dipole: a dipole is a `Vector` (1o) per structure that rotates and inverts with the structure",
    label = "declared as a dipole, but this is `{Self}`",
    note = "rule 8: a dipole Σ qᵢ (rᵢ − r̄) turns with the molecule and flips under inversion; invariants stay put, and a Pseudovector does not flip",
    note = "fix: build it from centred positions or edge vectors scaled by invariants, e.g. `g.sum_over_atoms(charges * g.centered_positions())`; see `eqv::rules::r8_output_type`"
)]
pub trait IsDipoleLike: Irrep {}
impl IsDipoleLike for Vector {}

/// Rule 8: `Self` features can be atomic charges (one invariant `Scalar`,
/// 0e, per atom).
#[diagnostic::on_unimplemented(
    message = "`{Self}` features cannot be charges: a charge is an invariant `Scalar` (0e) per atom",
    label = "declared as charges, but this is `{Self}`",
    note = "rule 8: charges do not change when the structure is rotated or inverted; `{Self}` does",
    note = "fix: make invariants first (`norm()`, `dot()`, a tensor product to `Scalar`); see `eqv::rules::r8_output_type`"
)]
pub trait IsChargeLike: Irrep {}
impl IsChargeLike for Scalar {}
