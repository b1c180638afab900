//! The explicit opt-out: operations that are **not** equivariant.
//!
//! Some models are non-equivariant on purpose — the tutorial's first
//! approach trains any network with random rotations of the data. eqv lets
//! you write them, but only through this module, so every line that gives up
//! a symmetry says so by name, and `check_equivariance` will measure the
//! price.

use crate::feat::Feat;
use crate::irrep::{Irrep, Scalar};
use crate::real::Real;

/// The components `m = -l..=l` of `x` as separate `Scalar` features (for
/// L = 1: x, y, z), each with `x`'s channels. **Breaks rotation
/// equivariance** (rule 5).
pub fn components<'t, I: Irrep, T: Real>(x: Feat<'t, I, T>) -> Vec<Feat<'t, Scalar, T>> {
    let (rows, mul, d) = (x.rows(), x.mul(), I::DIM);
    let xid = x.id();
    let data = x.data();
    (0..d)
        .map(|m| {
            let y: Vec<T> = (0..rows * mul).map(|k| data[k * d + m]).collect();
            Feat::from_op(x.tape(), rows, mul, y, &[xid], move |gy, g| {
                if g.wants(xid) {
                    let gx = g.acc(xid);
                    for k in 0..rows * mul {
                        gx[k * d + m] += gy[k];
                    }
                }
            })
        })
        .collect()
}

/// Builds an `I` feature from scalar components (the inverse of
/// [`components`]): the caller asserts they transform as `I`, which a
/// network computing them independently does not guarantee. **Breaks
/// equivariance** unless they truly do.
///
/// # Panics
/// If the number of components is not `2L+1` or their shapes differ.
pub fn assemble<'t, I: Irrep, T: Real>(parts: &[Feat<'t, Scalar, T>]) -> Feat<'t, I, T> {
    let d = I::DIM;
    assert_eq!(parts.len(), d, "{} needs {d} components", I::NAME);
    let (rows, mul) = (parts[0].rows(), parts[0].mul());
    assert!(
        parts.iter().all(|p| p.rows() == rows && p.mul() == mul),
        "component shapes differ"
    );
    let tape = parts[0].tape();
    let datas: Vec<_> = parts.iter().map(|p| p.data()).collect();
    let mut y = crate::kernels::pool::filled(rows * mul * d, T::ZERO);
    for (m, dm) in datas.iter().enumerate() {
        for k in 0..rows * mul {
            y[k * d + m] = dm[k];
        }
    }
    let ids: Vec<_> = parts.iter().map(|p| p.id()).collect();
    let ids2 = ids.clone();
    Feat::from_op(tape, rows, mul, y, &ids, move |gy, g| {
        for (m, &id) in ids2.iter().enumerate() {
            if g.wants(id) {
                let gp = g.acc(id);
                for k in 0..rows * mul {
                    gp[k] += gy[k * d + m];
                }
            }
        }
    })
}

/// Row `i` alone. **Breaks permutation equivariance** (rule 7).
///
/// # Panics
/// If `i` is out of range.
pub fn row<'t, I: Irrep, T: Real>(x: Feat<'t, I, T>, i: usize) -> Feat<'t, I, T> {
    assert!(i < x.rows(), "row {i} out of {}", x.rows());
    let w = x.row_len();
    let y = x.data()[i * w..(i + 1) * w].to_vec();
    let xid = x.id();
    Feat::from_op(x.tape(), 1, x.mul(), y, &[xid], move |gy, g| {
        if g.wants(xid) {
            for (a, &b) in g.acc(xid)[i * w..(i + 1) * w].iter_mut().zip(gy) {
                *a += b;
            }
        }
    })
}

/// All rows as one row with `rows · mul` channels. **Breaks permutation
/// equivariance** (rule 7).
pub fn flatten_rows<'t, I: Irrep, T: Real>(x: Feat<'t, I, T>) -> Feat<'t, I, T> {
    let y = x.data().to_vec();
    let xid = x.id();
    Feat::from_op(x.tape(), 1, x.rows() * x.mul(), y, &[xid], move |gy, g| {
        if g.wants(xid) {
            for (a, &b) in g.acc(xid).iter_mut().zip(gy) {
                *a += b;
            }
        }
    })
}

/// The absolute positions of a graph's atoms as a `Vector` feature (rows =
/// atoms, one channel), connected to the positions leaf so gradients flow.
/// **Breaks translation equivariance** (rule 6): translating the structure
/// changes them, so a network that reads them is not translation invariant.
/// Equivariant code uses [`Graph::edge_vectors`](crate::graph::Graph::edge_vectors).
pub fn positions<'t, T: Real>(
    graph: &crate::graph::Graph<'t, T>,
) -> Feat<'t, crate::irrep::Vector, T> {
    graph.positions_unchecked()
}
