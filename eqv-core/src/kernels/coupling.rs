//! Clebsch-Gordan couplings as kernels use them: the nonzero entries of
//! one path with every constant factor folded in.

use crate::real::Real;

/// One nonzero Clebsch-Gordan entry with every constant factor folded in:
/// `out[k] += c · a[i] · b[j]`.
#[derive(Clone, Copy, Debug)]
pub struct Entry<T> {
    /// Component of the first input.
    pub i: usize,
    /// Component of the second input.
    pub j: usize,
    /// Component of the output.
    pub k: usize,
    /// The coefficient, normalisation included.
    pub c: T,
}

/// The sparse coupling `l1 ⊗ l2 → l3` scaled by `scale · √(2 l3 + 1)`,
/// converted to `T` once (per call, never per row), sorted by output
/// component `k`.
pub fn coupling<T: Real>(l1: u32, l2: u32, l3: u32, scale: f64) -> Vec<Entry<T>> {
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
pub fn contract<T: Real>(entries: &[Entry<T>], x1: &[T], x2: &[T], out: &mut [T]) {
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

/// `c[j][i][k]` of a path as a dense `dim B × dim A × dim C` array, zeros
/// included (a pool buffer: recycle it). The per-row kernels with
/// constant dimensions fold a row's second input into the coupling from
/// it ([`super::channelwise::row_matrix`]) with whole-matrix
/// multiply-adds, branch-free, where summing the sparse entries needs a
/// compare and a store at a run-time index per entry.
pub(crate) fn dense<T: Real>(entries: &[Entry<T>], (da, db, dc): (usize, usize, usize)) -> Vec<T> {
    let mut c = super::pool::filled(db * da * dc, T::ZERO);
    for e in entries {
        c[(e.j * da + e.i) * dc + e.k] += e.c;
    }
    c
}

/// Numbers per `(i, k)` row of [`dense_by_b`] for a second input of at
/// most this many components: its rows padded with zeros to this length,
/// one vector register (`f32` AVX2, `f64` AVX-512).
pub(crate) const BY_B_LANES: usize = 8;

/// The length of one `(i, k)` row of [`dense_by_b`] for `db` components of
/// the second input: [`BY_B_LANES`], or `db` when more.
pub(crate) fn by_b_row(db: usize) -> usize {
    db.max(BY_B_LANES)
}

/// `c[i][k][j]`: the dense coupling of [`dense`] with the second input's
/// component innermost (each `(i, k)` row padded with zeros to
/// [`by_b_row`] numbers), as the pullback to that input reads it
/// ([`super::channelwise::row_matrix_pullback`]: `g[j] += Σ_ik c_ijk
/// gM[i, k]`, every `j` at once in the lanes of one register). From
/// `dense`, the numbers of consecutive `j` lie `dim A · dim C` apart: the
/// compiler gathered them (`f32`) or summed each `j` alone.
pub(crate) fn dense_by_b<T: Real>(
    entries: &[Entry<T>],
    (da, db, dc): (usize, usize, usize),
) -> Vec<T> {
    let row = by_b_row(db);
    let mut c = super::pool::filled(da * dc * row, T::ZERO);
    for e in entries {
        c[(e.i * dc + e.k) * row + e.j] += e.c;
    }
    c
}

/// One path's coupling in the forms the kernels read: the sparse entries
/// (kernels with run-time dimensions) and the dense arrays of [`dense`]
/// and [`dense_by_b`] (kernels with constant ones). Made by
/// [`with_both_forms`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct PathCoupling<'a, T> {
    /// The nonzero entries.
    pub entries: &'a [Entry<T>],
    /// `c[j][i][k]`, zeros included.
    pub dense: &'a [T],
    /// `c[i][k][j]`, zeros included.
    pub dense_by_b: &'a [T],
}

/// Runs `f` on the path's coupling in its sparse and dense forms (the
/// dense arrays built for the call from the entries, a few hundred
/// numbers at most, then returned to the pool).
pub(crate) fn with_both_forms<T: Real, R>(
    entries: &[Entry<T>],
    dims: (usize, usize, usize),
    f: impl FnOnce(PathCoupling<'_, T>) -> R,
) -> R {
    let (dense, by_b) = (dense(entries, dims), dense_by_b(entries, dims));
    let r = f(PathCoupling {
        entries,
        dense: &dense,
        dense_by_b: &by_b,
    });
    super::pool::recycle(dense);
    super::pool::recycle(by_b);
    r
}
