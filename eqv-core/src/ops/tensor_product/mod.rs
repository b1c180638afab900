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
//! the 'element' path normalisation of [`path_weights`].
//!
//! The kernels loop over the nonzero Clebsch-Gordan entries only (prepared
//! once per call, with all constant factors folded in), rows outermost, and
//! their vector-Jacobian products have the cost of the forward pass. They
//! are generic over [`Real`], so the tape's backward pass
//! also runs on dual numbers (second derivatives for force training).

mod channelwise;
mod elementwise;
mod fully_connected;
mod normalization;

pub use channelwise::channelwise_tensor_product;
pub use elementwise::tensor_product;
pub use fully_connected::FullyConnectedTp;
pub use normalization::{path_weights, PathKind};

use crate::real::Real;

/// One nonzero Clebsch-Gordan entry with every constant factor folded in:
/// `out[k] += c · a[i] · b[j]`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry<T> {
    pub(crate) i: usize,
    pub(crate) j: usize,
    pub(crate) k: usize,
    pub(crate) c: T,
}

/// The sparse coupling `l1 ⊗ l2 → l3` scaled by `scale · √(2 l3 + 1)`,
/// converted to `T` once (per call, never per row), sorted by output
/// component `k`.
pub(crate) fn coupling<T: Real>(l1: u32, l2: u32, l3: u32, scale: f64) -> Vec<Entry<T>> {
    let s = scale * f64::from(2 * l3 + 1).sqrt();
    let mut entries: Vec<Entry<T>> = crate::so3::clebsch_gordan_sparse(l1, l2, l3)
        .iter()
        .map(|&(i, j, k, c)| Entry {
            i: i as usize,
            j: j as usize,
            k: k as usize,
            c: T::from_f64(s * c),
        })
        .collect();
    entries.sort_by_key(|e| e.k);
    entries
}

/// `out[k] += Σ c · x1[i] · x2[j]` over `entries` (sorted by `k`): each
/// output component is summed in a register and written once.
#[inline]
pub(crate) fn contract<T: Real>(entries: &[Entry<T>], x1: &[T], x2: &[T], out: &mut [T]) {
    let Some(first) = entries.first() else { return };
    let mut k = first.k;
    let mut acc = T::ZERO;
    for e in entries {
        if e.k != k {
            out[k] += acc;
            acc = T::ZERO;
            k = e.k;
        }
        acc += e.c * x1[e.i] * x2[e.j];
    }
    out[k] += acc;
}
