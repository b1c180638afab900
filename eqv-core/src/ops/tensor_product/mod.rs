//! Clebsch-Gordan tensor products (rule 4): the only way to multiply two
//! features of degree L ≥ 1.
//!
//! A *path* couples an `A` feature and a `B` feature into a `C` feature,
//! `out_k = √(2 l_C + 1) · Σ_ij C_ijk a_i b_j`, where `C_ijk` is the real
//! Clebsch-Gordan tensor of Frobenius norm 1
//! ([`crate::so3::clebsch_gordan`]). The path exists only if `A ⊗ B`
//! contains `C` (`|l_A − l_B| ≤ l_C ≤ l_A + l_B`, `p_C = p_A·p_B`), and every
//! function here carries that as the bound `C: InProduct<A, B>`, so a wrong
//! path is a compile error at the call with the rule's explanation.
//!
//! The `√(2 l_C + 1)` is e3nn's 'component' irrep normalisation: with
//! independent N(0, 1) inputs every output component has second moment 1.
//! How the channels are connected is the *kind* of product (e3nn's
//! instruction modes):
//!
//! | kind | e3nn mode | function | weights |
//! |---|---|---|---|
//! | element-wise | `uuu` | [`tensor_product`] | none |
//! | channel-wise | `uvu` | [`channelwise_tensor_product`] | one per row and channel pair (from a radial MLP) |
//! | fully connected | `uvw` | [`FullyConnectedTp`] | learned `[mul_a, mul_b, mul_c]` |
//!
//! A full product of several irreps is a sum of such paths, one call per
//! path; paths into the same output irrep are added (rule 3), each scaled by
//! the 'element' path normalisation of [`path_weights`]. The channel-wise
//! and fully connected kinds also run all the paths into one output irrep
//! as one op ([`channelwise_paths`], [`fully_connected_sum`]), each path
//! adding into the one output array, as `#[equivariant]` layers do.
//!
//! The arithmetic is in [`crate::kernels`]: the nonzero Clebsch-Gordan
//! entries with every constant factor folded in, and for the channel-wise
//! product a dense per-row matrix with fixed-size loops. They
//! are generic over [`Real`](crate::real::Real), so the tape's backward pass
//! also runs on dual numbers (second derivatives for force training).

mod channelwise;
mod elementwise;
mod fully_connected;
mod normalization;
mod symmetric;

pub use channelwise::{
    channelwise_convolution, channelwise_paths, channelwise_tensor_product, ChannelwisePath,
};
pub use elementwise::tensor_product;
pub use fully_connected::{fully_connected_sum, FullyConnectedPath, FullyConnectedTp};
pub use normalization::{path_weights, PathKind};
pub use symmetric::{symmetric_contraction, SymmetricInput};

pub(crate) use crate::kernels::coupling::{contract, coupling, Entry};
