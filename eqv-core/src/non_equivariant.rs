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
use crate::tape::Tape;
use std::rc::Rc;

/// Raw numbers as `rows × mul` features of irrep `I`, `[row][channel]
/// [component]` (no gradient flows into them).
///
/// **Nothing checks that the numbers transform as `I`**: three invariants
/// typed as a `Vector`, or the x of a vector read with
/// [`Feat::data`] and typed as a `Scalar`, break equivariance silently.
/// Inside eqv, data enters through the [`Graph`](crate::graph::Graph) (edge
/// vectors, species, per-atom and per-structure invariant properties of the
/// batch) and features come from ops; this is the door for everything else
/// — data from outside eqv, test inputs — and it is named at every use.
///
/// # Panics
/// If `data.len() != rows * mul * I::DIM`.
pub fn input<'t, I: Irrep, T: Real>(
    tape: &'t Tape<T>,
    rows: usize,
    mul: usize,
    data: Vec<T>,
) -> Feat<'t, I, T> {
    Feat::raw_input(tape, rows, mul, data)
}

/// Like [`input`], but a leaf whose gradient `Tape::backward` reports
/// (`grads.get(x.id())`). The same caveat: the caller, not eqv, asserts the
/// irrep.
///
/// # Panics
/// If `data.len() != rows * mul * I::DIM`.
pub fn variable<'t, I: Irrep, T: Real>(
    tape: &'t Tape<T>,
    rows: usize,
    mul: usize,
    data: Vec<T>,
) -> Feat<'t, I, T> {
    Feat::raw_variable(tape, rows, mul, data)
}

fn check_index(rows: usize, index: &[usize], n_out: usize, op: &str) {
    assert_eq!(
        index.len(),
        rows,
        "{op}: index has {} entries for {rows} rows",
        index.len()
    );
    if let Some(k) = index.iter().position(|&g| g >= n_out) {
        panic!("{op}: index[{k}] = {} is out of range 0..{n_out}", index[k]);
    }
}

/// Row `g` of the result is the sum of the rows `k` of `x` with
/// `index[k] == g`, for an index array you supply. **Breaks permutation
/// equivariance** (rule 7) unless the index is renumbered with the rows:
/// `&[0, 1, 1]` singles out row 0. The index-based reductions of the
/// equivariant API take only indices the graph made
/// ([`crate::graph::sum_rows_by`] with [`Graph::atoms_to_structures`]
/// or [`Graph::edges_to_centers`]).
///
/// [`Graph::atoms_to_structures`]: crate::graph::Graph::atoms_to_structures
/// [`Graph::edges_to_centers`]: crate::graph::Graph::edges_to_centers
///
/// # Panics
/// If `index.len() != x.rows()` or an entry is `>= n_out`.
pub fn sum_rows_by<'t, I: Irrep, T: Real>(
    x: Feat<'t, I, T>,
    index: &[usize],
    n_out: usize,
) -> Feat<'t, I, T> {
    check_index(x.rows(), index, n_out, "non_equivariant::sum_rows_by");
    crate::graph::scatter::reduce(x, Rc::from(index), n_out, None)
}

/// Like [`sum_rows_by`], divided by the size of each group (an empty group
/// gives zero). **Breaks permutation equivariance** (rule 7) for an index
/// that is not renumbered with the rows.
///
/// # Panics
/// If `index.len() != x.rows()` or an entry is `>= n_out`.
pub fn mean_rows_by<'t, I: Irrep, T: Real>(
    x: Feat<'t, I, T>,
    index: &[usize],
    n_out: usize,
) -> Feat<'t, I, T> {
    check_index(x.rows(), index, n_out, "non_equivariant::mean_rows_by");
    let w = crate::graph::scatter::inverse_counts(index, n_out);
    crate::graph::scatter::reduce(x, Rc::from(index), n_out, Some(w))
}

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
