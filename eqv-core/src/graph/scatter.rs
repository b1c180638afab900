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
use crate::kernels::simd::vectorized;
use crate::real::Real;
use rayon::prelude::*;
use std::rc::Rc;

/// Which group each row belongs to, as made by a [`Graph`](super::Graph):
/// [`Graph::atoms_to_structures`](super::Graph::atoms_to_structures) (each
/// atom's structure) or
/// [`Graph::edges_to_centers`](super::Graph::edges_to_centers) (each edge's
/// center atom).
///
/// There is no public constructor: an index array a user writes, such as
/// `[0, 1, 1]`, can single out an atom (rule 7), while the graph's indices
/// are renumbered with the atoms. Arbitrary indices are
/// [`crate::non_equivariant::sum_rows_by`].
#[derive(Clone, Debug)]
pub struct RowGroups {
    pub(crate) index: Rc<[usize]>,
    pub(crate) groups: usize,
    pub(crate) what: &'static str,
}

impl RowGroups {
    /// Number of rows the grouping applies to.
    pub fn rows(&self) -> usize {
        self.index.len()
    }
    /// Number of groups (rows of a reduction's result).
    pub fn groups(&self) -> usize {
        self.groups
    }
    fn check<I: Irrep, T: Real>(&self, x: &Feat<'_, I, T>, op: &str) {
        assert_eq!(
            x.rows(),
            self.index.len(),
            "{op}: the grouping {} is for {} rows, the feature has {}",
            self.what,
            self.index.len(),
            x.rows()
        );
    }
}

/// A grouping of rows that the graph made: only [`RowGroups`] (from
/// [`Graph::atoms_to_structures`](super::Graph::atoms_to_structures) or
/// [`Graph::edges_to_centers`](super::Graph::edges_to_centers)). Sealed.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a grouping made by the graph: a hand-written index can single out atoms",
    label = "user-made index here",
    note = "rule 7 (permutation): an index such as `[0, 1, 1]` puts atom 0 in a group of its own, as `row(0)` would; the graph's groupings are renumbered with the atoms, so reductions over them do not depend on the numbering",
    note = "fix: group with `g.atoms_to_structures()` or `g.edges_to_centers()` (or use `g.sum_over_atoms`, `g.scatter_sum`); for an index of your own say so with `eqv::non_equivariant::sum_rows_by(x, &index, n)`; see `eqv::rules::r7_permutation`"
)]
pub trait GraphGrouping: sealed::Sealed {
    /// The grouping.
    fn row_groups(&self) -> &RowGroups;
}
impl GraphGrouping for RowGroups {
    fn row_groups(&self) -> &RowGroups {
        self
    }
}
mod sealed {
    pub trait Sealed {}
    impl Sealed for super::RowGroups {}
}

/// `1/count` per group (zero for an empty group).
pub(crate) fn inverse_counts<T: Real>(index: &[usize], n_out: usize) -> Rc<[T]> {
    let mut count = vec![0usize; n_out];
    for &g in index {
        count[g] += 1;
    }
    count
        .iter()
        .map(|&c| {
            if c == 0 {
                T::ZERO
            } else {
                T::from_f64(1.0 / c as f64)
            }
        })
        .collect()
}

/// Row `g` of the result is the sum of the rows `k` of `x` in group `g`
/// (zero for an empty group), for every channel and component: a symmetric
/// reduction, so its result does not depend on the order of the rows (rule
/// 7), and it works for every irrep. The groups come from the graph.
///
/// ```
/// use eqv::prelude::*;
/// use eqv::graph::Batch;
/// let batch = Batch::from_positions(&[[0.0; 3], [0.0, 1.0, 0.0]], &[0, 0], 2.0)?;
/// let tape = Tape::<f64>::new();
/// let g = Graph::new(&tape, &batch);
/// let per_atom = g.scatter_sum(g.edge_vectors().norm());
/// let total = sum_rows_by(per_atom, &g.atoms_to_structures());
/// assert_eq!(total.to_f64(), vec![2.0]);
/// # Ok::<(), eqv::data::DataError>(())
/// ```
///
/// # Panics
/// If `x` does not have one row per entry of the grouping.
pub fn sum_rows_by<'t, I: Irrep, T: Real, G: GraphGrouping + ?Sized>(
    x: Feat<'t, I, T>,
    groups: &G,
) -> Feat<'t, I, T> {
    let groups = groups.row_groups();
    groups.check(&x, "sum_rows_by");
    reduce(x, groups.index.clone(), groups.groups, None)
}

/// Like [`sum_rows_by`], divided by the size of each group (an empty group
/// gives zero, not NaN).
///
/// # Panics
/// If `x` does not have one row per entry of the grouping.
pub fn mean_rows_by<'t, I: Irrep, T: Real, G: GraphGrouping + ?Sized>(
    x: Feat<'t, I, T>,
    groups: &G,
) -> Feat<'t, I, T> {
    let groups = groups.row_groups();
    groups.check(&x, "mean_rows_by");
    let w = inverse_counts(&groups.index, groups.groups);
    reduce(x, groups.index.clone(), groups.groups, Some(w))
}

/// Groups per parallel task of [`reduce`] (a fixed number, though any split
/// by groups gives the same sums: each group is summed whole, in row order).
const GROUPS_PER_TASK: usize = 128;

/// `y[g - g0] += Σ_{index[k] = g} x[k]` over the rows `ks`, in row order:
/// contiguous row adds, compiled for the CPU's widest vectors.
fn add_rows<T: Real>(
    x: &[T],
    index: &[usize],
    ks: std::ops::Range<usize>,
    g0: usize,
    w: usize,
    y: &mut [T],
) {
    vectorized(
        #[inline(always)]
        || {
            for k in ks {
                let (yr, xr) = (&mut y[(index[k] - g0) * w..][..w], &x[k * w..][..w]);
                for (a, &b) in yr.iter_mut().zip(xr) {
                    *a += b;
                }
            }
        },
    )
}

/// The numbers of [`reduce`], `w` per row: generic over the number type
/// only, so it is compiled once per type, not once per irrep.
fn reduce_rows<T: Real>(
    xv: &[T],
    idx: &[usize],
    n_out: usize,
    w: usize,
    weight: Option<&[T]>,
) -> Vec<T> {
    let mut y = crate::kernels::pool::filled(n_out * w, T::ZERO);
    let sorted = idx.windows(2).all(|p| p[0] <= p[1]);
    if sorted && parallel::worth_splitting(idx.len()) && w > 0 {
        y.par_chunks_mut(GROUPS_PER_TASK * w)
            .enumerate()
            .for_each(|(b, yb)| {
                let g0 = b * GROUPS_PER_TASK;
                let g1 = g0 + yb.len() / w;
                let k0 = idx.partition_point(|&g| g < g0);
                let k1 = idx.partition_point(|&g| g < g1);
                add_rows(xv, idx, k0..k1, g0, w, yb);
            });
    } else {
        add_rows(xv, idx, 0..idx.len(), 0, w, &mut y);
    }
    if let Some(wt) = weight {
        for (g, &c) in wt.iter().enumerate() {
            for a in &mut y[g * w..(g + 1) * w] {
                *a *= c;
            }
        }
    }
    y
}

/// `y[g] = w[g] · Σ_{index[k] = g} x[k]` (`w = 1` if `None`). Indices checked.
///
/// Each group is summed in row order, so the result does not depend on how
/// the work is split: with the index sorted (as the graph's edges are, by
/// centre) blocks of groups, each with its contiguous range of rows, run on
/// all cores; an unsorted index is summed on one.
pub(crate) fn reduce<'t, I: Irrep, T: Real>(
    x: Feat<'t, I, T>,
    index: Rc<[usize]>,
    n_out: usize,
    weight: Option<Rc<[T]>>,
) -> Feat<'t, I, T> {
    let w = x.row_len();
    let y = reduce_rows(&x.data(), &index, n_out, w, weight.as_deref());
    let xid = x.id();
    Feat::from_op(x.tape(), n_out, x.mul(), y, &[xid], move |gy, g| {
        if g.wants(xid) {
            let gx = g.acc(xid);
            let idx: &[usize] = &index;
            let weight = weight.as_deref();
            // Row k of the gradient is the (scaled) gradient of its group.
            parallel::rows_mut(gx, w, idx.len(), |k0, n, gx| {
                vectorized(
                    #[inline(always)]
                    || {
                        for (a, &grp) in gx.chunks_exact_mut(w.max(1)).zip(&idx[k0..k0 + n]) {
                            let c = weight.map_or(T::ONE, |wt| wt[grp]);
                            for (a, &b) in a.iter_mut().zip(&gy[grp * w..(grp + 1) * w]) {
                                *a += c * b;
                            }
                        }
                    },
                )
            });
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

#[cfg(test)]
mod tests {
    use crate::irrep::Vector;
    use crate::prelude::*;

    /// Row sums and their gradient on enough rows to split across cores:
    /// sorted (blocks of groups in parallel) and shuffled (one thread) give
    /// exactly the sums of a plain loop over the rows in order, empty
    /// groups included.
    #[test]
    fn split_sums_equal_the_row_order_loop() {
        let (rows, groups, mul) = (3000, 700, 5);
        let sorted: Vec<usize> = (0..rows).map(|k| (k * groups / rows) / 2 * 2).collect();
        let shuffled: Vec<usize> = (0..rows).map(|k| (k * 7919) % groups).collect();
        let x: Vec<f64> = (0..rows * mul * 3)
            .map(|i| (i as f64 * 0.37).sin())
            .collect();
        let gy: Vec<f64> = (0..groups * mul * 3)
            .map(|i| (i as f64 * 0.11).cos())
            .collect();
        let w = mul * 3;
        for index in [sorted, shuffled] {
            let mut want = vec![0.0; groups * w];
            for (k, &g) in index.iter().enumerate() {
                for c in 0..w {
                    want[g * w + c] += x[k * w + c];
                }
            }
            let tape = Tape::<f64>::new();
            let xf = crate::non_equivariant::variable::<Vector, _>(&tape, rows, mul, x.clone());
            let y = crate::non_equivariant::sum_rows_by(xf, &index, groups);
            assert_eq!(*y.data(), want, "the same additions in the same order");
            let grads = tape.backward(y.id(), &gy);
            let gx = grads.get(xf.id()).expect("x is a variable");
            for (k, &g) in index.iter().enumerate() {
                assert_eq!(gx[k * w..][..w], gy[g * w..][..w], "row {k}");
            }
        }
    }
}
