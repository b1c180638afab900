//! Symmetric reductions (rule 7) and gathers along edges.
//!
//! A reduction adds rows into groups given by an index array that is itself
//! data (which structure an atom is in, which atom an edge starts at).
//! Renumbering the rows and the index together leaves every group's sum
//! unchanged, because a sum does not depend on the order of its terms: this
//! is what makes energies permutation invariant. Each reduction acts on
//! whole rows, the same for every component, so it commutes with rotations
//! as well and works for every irrep.
//!
//! Gathers (`x[index[k]]`) are the transpose of these sums; they are only
//! exposed through [`Graph`](super::Graph), whose indices permute with the
//! atoms — a public gather by arbitrary index would be "atom 3".

use crate::feat::Feat;
use crate::irrep::Irrep;
use crate::kernels::parallel;
use crate::real::Real;
use std::rc::Rc;

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
/// `index[k] == g` (zero for an empty group), for every channel and
/// component: a symmetric reduction, so its result does not depend on the
/// order of the rows (rule 7), and it works for every irrep.
///
/// `index` must be data that is renumbered together with the rows (the
/// structure of each atom, the center of each edge).
///
/// ```
/// use eqv_core::prelude::*;
/// let tape = Tape::<f64>::new();
/// let x = Feat::<Scalar>::input(&tape, 3, 1, vec![1.0, 2.0, 4.0]);
/// let s = sum_rows_by(x, &[1, 0, 1], 2);
/// assert_eq!(s.to_f64(), vec![2.0, 5.0]);
/// ```
///
/// # Panics
/// If `index.len() != x.rows()` or an entry is `>= n_out` (shape assertions).
pub fn sum_rows_by<'t, I: Irrep, T: Real>(
    x: Feat<'t, I, T>,
    index: &[usize],
    n_out: usize,
) -> Feat<'t, I, T> {
    check_index(x.rows(), index, n_out, "sum_rows_by");
    reduce(x, Rc::from(index), n_out, None)
}

/// Like [`sum_rows_by`], divided by the size of each group (an empty group
/// gives zero, not NaN).
///
/// # Panics
/// If `index.len() != x.rows()` or an entry is `>= n_out` (shape assertions).
pub fn mean_rows_by<'t, I: Irrep, T: Real>(
    x: Feat<'t, I, T>,
    index: &[usize],
    n_out: usize,
) -> Feat<'t, I, T> {
    check_index(x.rows(), index, n_out, "mean_rows_by");
    let mut count = vec![0usize; n_out];
    for &g in index {
        count[g] += 1;
    }
    let inv: Vec<T> = count
        .iter()
        .map(|&c| {
            if c == 0 {
                T::ZERO
            } else {
                T::from_f64(1.0 / c as f64)
            }
        })
        .collect();
    reduce(x, Rc::from(index), n_out, Some(Rc::from(inv)))
}

/// `y[g] = w[g] · Σ_{index[k] = g} x[k]` (`w = 1` if `None`). Indices checked.
pub(crate) fn reduce<'t, I: Irrep, T: Real>(
    x: Feat<'t, I, T>,
    index: Rc<[usize]>,
    n_out: usize,
    weight: Option<Rc<[T]>>,
) -> Feat<'t, I, T> {
    let w = x.row_len();
    let xv = x.data();
    let mut y = crate::kernels::pool::filled(n_out * w, T::ZERO);
    for (k, &g) in index.iter().enumerate() {
        for (a, &b) in y[g * w..(g + 1) * w]
            .iter_mut()
            .zip(&xv[k * w..(k + 1) * w])
        {
            *a += b;
        }
    }
    if let Some(wt) = &weight {
        for (g, &c) in wt.iter().enumerate() {
            for a in &mut y[g * w..(g + 1) * w] {
                *a *= c;
            }
        }
    }
    let xid = x.id();
    Feat::from_op(x.tape(), n_out, x.mul(), y, &[xid], move |gy, g| {
        if g.wants(xid) {
            let gx = g.acc(xid);
            for (k, &grp) in index.iter().enumerate() {
                let c = weight.as_ref().map_or(T::ONE, |wt| wt[grp]);
                for (a, &b) in gx[k * w..(k + 1) * w]
                    .iter_mut()
                    .zip(&gy[grp * w..(grp + 1) * w])
                {
                    *a += c * b;
                }
            }
        }
    })
}

/// `y[k] = x[index[k]]`: row `k` of the result is row `index[k]` of `x`.
/// The VJP is [`reduce`]. Indices checked by the caller.
pub(crate) fn gather<'t, I: Irrep, T: Real>(
    x: Feat<'t, I, T>,
    index: Rc<[usize]>,
) -> Feat<'t, I, T> {
    let w = x.row_len();
    let xv = x.data();
    let mut y = x.tape().scratch(index.len() * w);
    let (xs, idx): (&[T], &[usize]) = (&xv, &index);
    parallel::rows_mut(&mut y, w, index.len(), |r0, n, y| {
        for (yr, &i) in y.chunks_exact_mut(w.max(1)).zip(&idx[r0..r0 + n]) {
            yr.copy_from_slice(&xs[i * w..(i + 1) * w]);
        }
    });
    let xid = x.id();
    let rows = index.len();
    Feat::from_op(x.tape(), rows, x.mul(), y, &[xid], move |gy, g| {
        if g.wants(xid) {
            let gx = g.acc(xid);
            for (k, &i) in index.iter().enumerate() {
                for (a, &b) in gx[i * w..(i + 1) * w]
                    .iter_mut()
                    .zip(&gy[k * w..(k + 1) * w])
                {
                    *a += b;
                }
            }
        }
    })
}
