//! O(3) math: Clebsch-Gordan tensors, spherical harmonics, Wigner D matrices
//! and rotations, in e3nn-jax's conventions (real basis, `m = -l..=l`, `l = 1`
//! is `(x, y, z)`, `y` is the polar axis, Y-X-Y Euler angles).
//!
//! These are the three objects every equivariant operation is made of:
//!
//! * [`spherical_harmonics`] turn a direction into features of every degree;
//! * [`clebsch_gordan`] couples two features into a third;
//! * [`wigner_d`] says how a feature moves when the atoms are rotated or
//!   reflected — the definition every equivariance test checks against.
//!
//! They agree with e3nn-jax 0.21 to about 1e-13 or better (tests compare with
//! stored reference values, `tests/refs/`), and work at any degree, not only up
//! to [`MAX_L`](crate::irrep::MAX_L). Where e3nn-jax itself loses digits
//! (its float Clebsch-Gordan sum at high `l3`, e.g. 1e-9 at (8,8,16); its
//! `D_from_matrix` near the Y-X-Y gimbal lock, ~5e-9) eqv stays at rounding
//! level: its Clebsch-Gordan coefficients are exact rationals rounded once and
//! its Wigner D never goes through Euler angles.

mod cg;
mod exact;
pub mod rotation;
pub(crate) mod sh;
mod wigner;

pub use cg::{
    clebsch_gordan, clebsch_gordan_sparse, clebsch_gordan_table, triangle, CgEntry, CgTable,
    MAX_CG_L,
};
pub use rotation::{
    angles_to_matrix, axis_angle_to_matrix, matrix_to_angles, matrix_to_axis_angle,
    random_orthogonal, random_rotation, Handedness,
};
pub use sh::{
    sh_dim_up_to, sh_offset, spherical_harmonics, spherical_harmonics_batch,
    spherical_harmonics_batch_vjp, spherical_harmonics_into, spherical_harmonics_up_to,
    Normalization,
};
pub use wigner::{
    wigner_d, wigner_d_from_angles, wigner_d_irreps, wigner_d_matrix, wigner_d_up_to,
};
