//! eqv: E(3)-equivariant neural networks that are correct by construction.
pub use eqv_core::*;
