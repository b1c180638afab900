//! eqv-core: type-level irreps, O(3) math, typed equivariant ops and autodiff.
#![warn(missing_docs)]

pub mod classical;
pub mod data;
pub mod dual;
pub mod irrep;
pub mod irreps;
pub mod real;
pub mod rng;
pub mod so3;
