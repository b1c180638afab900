//! The equivariant op set. Each file is one idea: its forward, its
//! vector-Jacobian product, and its tests.

pub mod access;
pub mod activation;
pub mod arith;
pub mod embedding;
pub mod gate;
pub mod invariant_products;
pub mod linear;
pub mod mlp;
pub mod norm;
pub mod norm_activation;
pub mod products;
pub mod radial;
pub mod spherical;
pub mod tensor_product;
