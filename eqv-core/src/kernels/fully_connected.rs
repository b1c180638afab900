//! The fully connected (`uvw`) tensor product as e3nn computes it: the
//! Clebsch-Gordan products of every channel pair, then one matrix product
//! with the weights.
//!
//! ```text
//! t[r, k, (u, v)] = Σ_ij c_ijk a[r, u, i] b[r, v, j]        (nnz · mul_a · mul_b per row)
//! out[r, w, k]    = Σ_(u,v) t[r, k, (u, v)] W[(u, v), w]    (one GEMM over all (r, k))
//! ```
//!
//! Rows are processed in blocks so `t` stays in cache; the weight
//! contraction (the bulk of the FLOPs) runs in [`super::gemm`]. Every
//! Clebsch-Gordan loop runs over the channel `v` of `b` (transposed once per
//! row so it is contiguous), inside [`simd::vectorized`]: with 16 channels
//! one step is one AVX-512 register. Loops that sum over `v` (the gradient
//! of `a`) first add up the products of all entries with the same component
//! `i` lane by lane and reduce the lanes once per `(u, i)`, so the serial
//! reductions are `dim A · mul_a` per row instead of `nnz · mul_a`.

use super::coupling::Entry;
use super::gemm::{Mat, MatMut, Store};
use super::{parallel, pool, simd};
use crate::real::Real;

/// Channel counts and irrep dimensions of one path, and the row count.
#[derive(Clone, Copy, Debug)]
pub struct FcShape {
    /// Rows of the inputs and the output.
    pub rows: usize,
    /// Channels of `a`, `b` and the output.
    pub muls: (usize, usize, usize),
    /// Components of `a`, `b` and the output.
    pub dims: (usize, usize, usize),
}

/// Rows per block: `t` of a block is `BLOCK · dim C · mul_a · mul_b`
/// numbers, at most 32 768 (128 KiB of `f32`, within L2 next to the
/// packed GEMM panels).
fn block_rows(s: &FcShape) -> usize {
    let per_row = s.dims.2 * s.muls.0 * s.muls.1;
    (32_768 / per_row.max(1)).clamp(1, 1024)
}

/// Lanes of one register block: the channel loops run over `v` in chunks
/// of this many numbers, summed in an array the compiler keeps in vector
/// registers (one AVX-512 register of `f32`, two of `f64`).
const LANES: usize = 16;

/// Independent accumulators of a long sum (the gradient of `b` sums over
/// every channel `u` of every entry): enough to hide the latency of the
/// vector additions.
const CHAINS: usize = 4;

/// The entries of one path grouped three ways: by the output component `k`
/// (the forward products), by the component `i` of `a` and `j` of `b` (the
/// gradients of `a` and `b`), so each group's sum is formed in registers
/// and stored once.
struct Plan<T> {
    by_k: Vec<Entry<T>>,
    by_i: Vec<Entry<T>>,
    by_j: Vec<Entry<T>>,
    /// Output components no entry reaches (zero in `t`).
    empty_k: Vec<usize>,
}

impl<T: Real> Plan<T> {
    fn new(entries: &[Entry<T>], dc: usize) -> Self {
        let sorted = |key: fn(&Entry<T>) -> usize| {
            let mut v = entries.to_vec();
            // Stable: within a group the entries keep their order.
            v.sort_by_key(key);
            v
        };
        Plan {
            by_k: sorted(|e| e.k),
            by_i: sorted(|e| e.i),
            by_j: sorted(|e| e.j),
            empty_k: (0..dc)
                .filter(|&k| entries.iter().all(|e| e.k != k))
                .collect(),
        }
    }
}

/// `v0, width` of the lane chunks of `mb` channels.
#[inline(always)]
fn chunks(mb: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..mb)
        .step_by(LANES)
        .map(move |v0| (v0, LANES.min(mb - v0)))
}

/// Runs `f(v0, width)` for each lane chunk, with `width` a constant in the
/// full chunks (so that their loops are unrolled into vector operations).
#[inline(always)]
fn for_chunks(mb: usize, mut f: impl FnMut(usize, usize)) {
    for (v0, w) in chunks(mb) {
        if w == LANES {
            f(v0, LANES);
        } else {
            f(v0, w);
        }
    }
}

/// `kmajor[(rr·dc + k)·mc + w] = rows[rr·mc·dc + w·dc + k]` for `n` rows:
/// a block of `[row][w][k]` features with the component `k` moved before
/// the channel, so that `(row, k)` pairs are the rows of one matrix.
fn to_k_major<T: Copy>(rows: &[T], n: usize, mc: usize, dc: usize, kmajor: &mut [T]) {
    for rr in 0..n {
        for w in 0..mc {
            for k in 0..dc {
                kmajor[(rr * dc + k) * mc + w] = rows[(rr * mc + w) * dc + k];
            }
        }
    }
}

/// `bt[j][v] = b[r, v, j]`: row `r` of `b`, components outer.
#[inline(always)]
fn transpose_row<T: Real>(s: &FcShape, b: &[T], r: usize, bt: &mut [T]) {
    let (_, mb, _) = s.muls;
    let db = s.dims.1;
    for v in 0..mb {
        for j in 0..db {
            bt[j * mb + v] = b[(r * mb + v) * db + j];
        }
    }
}

/// `t[rr, k, u·mb + v]` for the rows `r0..r0 + n` of the block.
fn products<T: Real>(
    plan: &Plan<T>,
    s: &FcShape,
    ab: (&[T], &[T]),
    r0: usize,
    n: usize,
    t: &mut [T],
    bt: &mut [T],
) {
    simd::vectorized(
        #[inline(always)]
        || products_in(plan, s, ab, r0, n, t, bt),
    )
}

#[inline(always)]
fn products_in<T: Real>(
    plan: &Plan<T>,
    s: &FcShape,
    (a, b): (&[T], &[T]),
    r0: usize,
    n: usize,
    t: &mut [T],
    bt: &mut [T],
) {
    let (ma, mb, _) = s.muls;
    let (da, _, dc) = s.dims;
    let np = ma * mb;
    for rr in 0..n {
        let r = r0 + rr;
        transpose_row(s, b, r, bt);
        let ar = &a[r * ma * da..][..ma * da];
        for &k in &plan.empty_k {
            t[(rr * dc + k) * np..][..np].fill(T::ZERO);
        }
        for group in plan.by_k.chunk_by(|x, y| x.k == y.k) {
            let tk = &mut t[(rr * dc + group[0].k) * np..][..np];
            for (u, tku) in tk.chunks_exact_mut(mb).enumerate() {
                // t[k, u, v] = Σ_(i,j) (c · a[u, i]) · b[v, j], in registers.
                for_chunks(
                    mb,
                    #[inline(always)]
                    |v0, w| {
                        let mut acc = [T::ZERO; LANES];
                        for e in group {
                            let cu = e.c * ar[u * da + e.i];
                            let bj = &bt[e.j * mb + v0..][..w];
                            for (x, &y) in acc[..w].iter_mut().zip(bj) {
                                *x += cu * y;
                            }
                        }
                        tku[v0..v0 + w].copy_from_slice(&acc[..w]);
                    },
                );
            }
        }
    }
}

/// `out ← t · W` for the block: one GEMM over all `(row, k)` pairs, then
/// `k` moved back behind the channel.
fn weight_product<T: Real>(s: &FcShape, w: &[T], t: &[T], n: usize, yk: &mut [T], out: &mut [T]) {
    let (ma, mb, mc) = s.muls;
    let dc = s.dims.2;
    let np = ma * mb;
    let tm = Mat::row_major(&t[..n * dc * np], n * dc, np);
    let ym = MatMut::row_major(&mut yk[..n * dc * mc], n * dc, mc);
    T::gemm(T::ONE, tm, Mat::row_major(w, np, mc), Store::Overwrite, ym);
    for rr in 0..n {
        for k in 0..dc {
            for c in 0..mc {
                out[(rr * mc + c) * dc + k] = yk[(rr * dc + k) * mc + c];
            }
        }
    }
}

/// Writes the product of every row into `out` (`[rows][mul_c][dim C]`),
/// large batches split across cores by rows.
pub fn forward<T: Real>(
    entries: &[Entry<T>],
    s: &FcShape,
    (a, b): (&[T], &[T]),
    w: &[T],
    out: &mut [T],
) {
    let ((ma, mb, mc), (da, db, dc)) = (s.muls, s.dims);
    let plan = Plan::new(entries, dc);
    parallel::rows_mut(out, mc * dc, s.rows, |r0, n, out| {
        let inputs = (&a[r0 * ma * da..], &b[r0 * mb * db..]);
        forward_rows(&plan, &FcShape { rows: n, ..*s }, inputs, w, out)
    })
}

fn forward_rows<T: Real>(
    plan: &Plan<T>,
    s: &FcShape,
    inputs: (&[T], &[T]),
    w: &[T],
    out: &mut [T],
) {
    let (ma, mb, mc) = s.muls;
    let dc = s.dims.2;
    let block = block_rows(s);
    // Every element is written before it is read: scratch, not zeroed.
    let mut t = pool::scratch(block * dc * ma * mb, T::ZERO);
    let mut yk = pool::scratch(block * dc * mc, T::ZERO);
    let mut bt = vec![T::ZERO; s.dims.1 * mb];
    let mut r0 = 0;
    while r0 < s.rows {
        let n = block.min(s.rows - r0);
        products(plan, s, inputs, r0, n, &mut t, &mut bt);
        weight_product(
            s,
            w,
            &t,
            n,
            &mut yk,
            &mut out[r0 * mc * dc..][..n * mc * dc],
        );
        r0 += n;
    }
    pool::recycle(t);
    pool::recycle(yk);
}

/// Adds the gradients of `a`, `b` and `W` (those given) for the output
/// gradient `gout`; large batches are split across cores by rows (`W`'s
/// gradient summed by row blocks in block order).
#[allow(clippy::too_many_arguments)]
pub fn backward<T: Real>(
    entries: &[Entry<T>],
    s: &FcShape,
    (a, b): (&[T], &[T]),
    w: &[T],
    gout: &[T],
    ga: Option<&mut [T]>,
    gb: Option<&mut [T]>,
    gw: Option<&mut [T]>,
) {
    let ((ma, mb, mc), (da, db, dc)) = (s.muls, s.dims);
    let plan = Plan::new(entries, dc);
    let block = |r0: usize, n: usize| {
        let inputs = (&a[r0 * ma * da..], &b[r0 * mb * db..]);
        (FcShape { rows: n, ..*s }, inputs, &gout[r0 * mc * dc..])
    };
    if !parallel::worth_splitting(s.rows) {
        return backward_rows(&plan, s, (a, b), w, gout, ga, gb, gw);
    }
    if let Some(gw) = gw {
        let partial = |r0: usize, n: usize, p: &mut [T]| {
            let (s, inputs, gout) = block(r0, n);
            backward_rows(&plan, &s, inputs, w, gout, None, None, Some(p));
        };
        let total = parallel::sum_over_rows(s.rows, ma * mb * mc, partial);
        for (g, t) in gw.iter_mut().zip(total.into_iter().flatten()) {
            *g += t;
        }
    }
    let bufs = [ga.map(|g| (g, ma * da)), gb.map(|g| (g, mb * db)), None];
    parallel::rows_mut3(bufs, s.rows, |r0, n, [ga, gb, _]| {
        let (s, inputs, gout) = block(r0, n);
        backward_rows(&plan, &s, inputs, w, gout, ga, gb, None);
    });
}

#[allow(clippy::too_many_arguments)]
fn backward_rows<T: Real>(
    plan: &Plan<T>,
    s: &FcShape,
    (a, b): (&[T], &[T]),
    w: &[T],
    gout: &[T],
    mut ga: Option<&mut [T]>,
    mut gb: Option<&mut [T]>,
    mut gw: Option<&mut [T]>,
) {
    let (ma, mb, mc) = s.muls;
    let dc = s.dims.2;
    let np = ma * mb;
    let block = block_rows(s);
    let mut t = pool::scratch(block * dc * np, T::ZERO);
    let mut gt = pool::scratch(block * dc * np, T::ZERO);
    let mut gyk = pool::scratch(block * dc * mc, T::ZERO);
    let mut scratch = RowScratch::new(s, plan.by_k.len());
    let mut r0 = 0;
    while r0 < s.rows {
        let n = block.min(s.rows - r0);
        // The output gradient with (row, k) pairs as matrix rows.
        to_k_major(&gout[r0 * mc * dc..][..n * mc * dc], n, mc, dc, &mut gyk);
        let gym = Mat::row_major(&gyk[..n * dc * mc], n * dc, mc);
        if let Some(gw) = gw.as_deref_mut() {
            // gW += tᵀ gY over all (row, k) pairs: one GEMM.
            products(plan, s, (a, b), r0, n, &mut t, &mut scratch.bt);
            let tm = Mat::row_major(&t[..n * dc * np], n * dc, np);
            T::gemm(
                T::ONE,
                tm.t(),
                gym,
                Store::Accumulate,
                MatMut::row_major(gw, np, mc),
            );
        }
        if ga.is_none() && gb.is_none() {
            r0 += n;
            continue;
        }
        // gt = gY Wᵀ, then back through the Clebsch-Gordan products.
        let out = MatMut::row_major(&mut gt[..n * dc * np], n * dc, np);
        T::gemm(
            T::ONE,
            gym,
            Mat::row_major(w, np, mc).t(),
            Store::Overwrite,
            out,
        );
        let grads = (ga.as_deref_mut(), gb.as_deref_mut());
        simd::vectorized(
            #[inline(always)]
            || products_backward(plan, s, (a, b), &gt, r0, n, grads, &mut scratch),
        );
        r0 += n;
    }
    pool::recycle(t);
    pool::recycle(gt);
    pool::recycle(gyk);
}

/// Per-row work space of the backward products.
struct RowScratch<T> {
    /// `b` of the row, `[j][v]`.
    bt: Vec<T>,
    /// The gradient of `b` of the row, `[j][v]`.
    gbt: Vec<T>,
    /// `c · b[v, j]` of each entry of one group of `Plan::by_i`, `[entry][v]`.
    cb: Vec<T>,
}

impl<T: Real> RowScratch<T> {
    fn new(s: &FcShape, nnz: usize) -> Self {
        let ((_, mb, _), (_, db, _)) = (s.muls, s.dims);
        RowScratch {
            bt: vec![T::ZERO; db * mb],
            gbt: vec![T::ZERO; db * mb],
            cb: vec![T::ZERO; nnz * mb],
        }
    }
}

/// The sum of the lanes of `x` (`w` of them), by halves: log₂(w) vector
/// steps instead of one serial chain.
#[inline(always)]
fn sum_lanes<T: Real>(mut x: [T; LANES], w: usize) -> T {
    let mut n = w;
    while n > 1 {
        let half = n / 2;
        let keep = n - half;
        for q in 0..half {
            x[q] += x[keep + q];
        }
        n = keep;
    }
    if w == 0 {
        T::ZERO
    } else {
        x[0]
    }
}

/// Adds the gradients of `a` and `b` of rows `r0..r0 + n` for the gradient
/// `gt` of their Clebsch-Gordan products (`[rr, k, u·mb + v]`).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn products_backward<T: Real>(
    plan: &Plan<T>,
    s: &FcShape,
    (a, b): (&[T], &[T]),
    gt: &[T],
    r0: usize,
    n: usize,
    (mut ga, mut gb): (Option<&mut [T]>, Option<&mut [T]>),
    sc: &mut RowScratch<T>,
) {
    let (ma, mb, _) = s.muls;
    let (da, db, dc) = s.dims;
    let np = ma * mb;
    for rr in 0..n {
        let r = r0 + rr;
        transpose_row(s, b, r, &mut sc.bt);
        let gtr = &gt[rr * dc * np..][..dc * np];
        if let Some(ga) = ga.as_deref_mut() {
            // ga[u, i] = Σ_v Σ_(j,k) (c · b[v, j]) · gt[k, u, v]: the entries
            // of one `i` summed lane by lane (over v), then the lanes.
            let gar = &mut ga[r * ma * da..][..ma * da];
            for group in plan.by_i.chunk_by(|x, y| x.i == y.i) {
                for (cb, e) in sc.cb.chunks_exact_mut(mb).zip(group) {
                    for (x, &y) in cb.iter_mut().zip(&sc.bt[e.j * mb..][..mb]) {
                        *x = e.c * y;
                    }
                }
                let cbs = &sc.cb[..group.len() * mb];
                for u in 0..ma {
                    let mut total = T::ZERO;
                    for_chunks(
                        mb,
                        #[inline(always)]
                        |v0, w| {
                            let mut acc = [T::ZERO; LANES];
                            for (e, cb) in group.iter().zip(cbs.chunks_exact(mb)) {
                                let g = &gtr[e.k * np + u * mb + v0..][..w];
                                for ((x, &g), &y) in acc[..w].iter_mut().zip(g).zip(&cb[v0..v0 + w])
                                {
                                    *x += g * y;
                                }
                            }
                            total += sum_lanes(acc, w);
                        },
                    );
                    gar[u * da + group[0].i] += total;
                }
            }
        }
        if let Some(gb) = gb.as_deref_mut() {
            // gb[v, j] = Σ_u Σ_(i,k) (c · a[u, i]) · gt[k, u, v]: lanes over v.
            let ar = &a[r * ma * da..][..ma * da];
            sc.gbt.fill(T::ZERO);
            for group in plan.by_j.chunk_by(|x, y| x.j == y.j) {
                let gj = &mut sc.gbt[group[0].j * mb..][..mb];
                for_chunks(
                    mb,
                    #[inline(always)]
                    |v0, w| {
                        // One accumulator per `u mod CHAINS`: independent
                        // chains of additions instead of one long one.
                        let mut acc = [[T::ZERO; LANES]; CHAINS];
                        for e in group {
                            for u in 0..ma {
                                let cu = e.c * ar[u * da + e.i];
                                let g = &gtr[e.k * np + u * mb + v0..][..w];
                                for (x, &g) in acc[u % CHAINS][..w].iter_mut().zip(g) {
                                    *x += cu * g;
                                }
                            }
                        }
                        for (q, x) in gj[v0..v0 + w].iter_mut().enumerate() {
                            *x = (acc[0][q] + acc[1][q]) + (acc[2][q] + acc[3][q]);
                        }
                    },
                );
            }
            for v in 0..mb {
                for j in 0..db {
                    gb[(r * mb + v) * db + j] += sc.gbt[j * mb + v];
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dual::Dual;
    use crate::kernels::coupling::coupling;

    fn data<T: Real>(n: usize, seed: f64) -> Vec<T> {
        (0..n)
            .map(|i| T::from_f64(((i as f64 + seed) * 0.7368).sin()))
            .collect()
    }

    /// The defining sums, term by term: the output and the gradients of
    /// `a`, `b` and `W` for the output gradient `g`.
    #[allow(clippy::type_complexity)]
    fn naive<T: Real>(
        entries: &[Entry<T>],
        s: &FcShape,
        (a, b, w, g): (&[T], &[T], &[T], &[T]),
    ) -> (Vec<T>, Vec<T>, Vec<T>, Vec<T>) {
        let ((ma, mb, mc), (da, db, dc)) = (s.muls, s.dims);
        let mut out = vec![T::ZERO; s.rows * mc * dc];
        let (mut ga, mut gb) = (vec![T::ZERO; a.len()], vec![T::ZERO; b.len()]);
        let mut gw = vec![T::ZERO; w.len()];
        for r in 0..s.rows {
            for e in entries {
                for u in 0..ma {
                    for v in 0..mb {
                        for c in 0..mc {
                            let (ia, ib) = ((r * ma + u) * da + e.i, (r * mb + v) * db + e.j);
                            let (iw, io) = ((u * mb + v) * mc + c, (r * mc + c) * dc + e.k);
                            out[io] += e.c * w[iw] * a[ia] * b[ib];
                            ga[ia] += e.c * w[iw] * b[ib] * g[io];
                            gb[ib] += e.c * w[iw] * a[ia] * g[io];
                            gw[iw] += e.c * a[ia] * b[ib] * g[io];
                        }
                    }
                }
            }
        }
        (out, ga, gb, gw)
    }

    /// The kernel's output and gradients (added to ones, to check that
    /// they are added), minus the ones.
    #[allow(clippy::type_complexity)]
    fn kernel<T: Real>(
        entries: &[Entry<T>],
        s: &FcShape,
        (a, b, w, g): (&[T], &[T], &[T], &[T]),
    ) -> (Vec<T>, Vec<T>, Vec<T>, Vec<T>) {
        let ((_, _, mc), (_, _, dc)) = (s.muls, s.dims);
        let mut out = vec![T::ZERO; s.rows * mc * dc];
        forward(entries, s, (a, b), w, &mut out);
        let (mut ga, mut gb) = (vec![T::ONE; a.len()], vec![T::ONE; b.len()]);
        let mut gw = vec![T::ONE; w.len()];
        let grads = (Some(&mut ga[..]), Some(&mut gb[..]), Some(&mut gw[..]));
        backward(entries, s, (a, b), w, g, grads.0, grads.1, grads.2);
        let less_one = |v: Vec<T>| v.into_iter().map(|x| x - T::ONE).collect();
        (out, less_one(ga), less_one(gb), less_one(gw))
    }

    fn worst_error<T: Real>(got: &[T], want: &[T]) -> f64 {
        let scale = want.iter().map(|x| x.value().abs()).fold(1.0, f64::max);
        got.iter()
            .zip(want)
            .map(|(x, y)| (*x - *y).value().abs() / scale)
            .fold(0.0, f64::max)
    }

    fn check<T: Real>(entries: &[Entry<T>], s: &FcShape, tol: f64) -> Vec<Vec<T>> {
        let ((ma, mb, mc), (da, db, dc)) = (s.muls, s.dims);
        let a = data::<T>(s.rows * ma * da, 1.0);
        let b = data::<T>(s.rows * mb * db, 2.0);
        let w = data::<T>(ma * mb * mc, 3.0);
        let g = data::<T>(s.rows * mc * dc, 4.0);
        let inputs = (&a[..], &b[..], &w[..], &g[..]);
        let (want, got) = (naive(entries, s, inputs), kernel(entries, s, inputs));
        let pairs = [(&got.0, &want.0), (&got.1, &want.1), (&got.2, &want.2)];
        for (name, (x, y)) in ["out", "grad a", "grad b"].iter().zip(pairs) {
            let err = worst_error(x, y);
            assert!(err < tol, "{name} of {s:?}: error {err:e}");
        }
        // The weight gradient sums over every row: relative to its size.
        let err = worst_error(&got.3, &want.3) / s.rows as f64;
        assert!(err < tol, "grad W of {s:?}: error {err:e}");
        vec![got.0, got.1, got.2, got.3]
    }

    #[test]
    fn blocks_and_the_parallel_split_match_the_defining_sums() {
        // 2 ⊗ 1 → 1 with channels (5, 7, 3): 187-row blocks, and 2100 rows
        // are split across cores.
        let entries = coupling::<f64>(2, 1, 1, 0.3);
        for rows in [1, 200, 2100] {
            let s = FcShape {
                rows,
                muls: (5, 7, 3),
                dims: (5, 3, 3),
            };
            check(&entries, &s, 1e-12);
        }
    }

    #[test]
    fn unreached_components_and_dual_numbers() {
        // Hand-made entries (sorted by k) that never reach k = 2, and
        // repeat (i, j) pairs.
        let raw = [
            (0, 1, 0, 0.5),
            (2, 1, 0, -1.25),
            (1, 0, 1, 2.0),
            (0, 1, 3, 0.75),
        ];
        let entries = |f: &dyn Fn(f64) -> Dual<f64>| -> Vec<Entry<Dual<f64>>> {
            raw.iter()
                .map(|&(i, j, k, c)| Entry { i, j, k, c: f(c) })
                .collect()
        };
        let s = FcShape {
            rows: 30,
            muls: (4, 3, 2),
            dims: (3, 2, 4),
        };
        let dual = check(&entries(&|c| Dual::new(c, 0.1 * c)), &s, 1e-12);
        // The primal parts are the f64 numbers.
        let real: Vec<Entry<f64>> = raw
            .iter()
            .map(|&(i, j, k, c)| Entry { i, j, k, c })
            .collect();
        let plain = check(&real, &s, 1e-12);
        for (d, p) in dual.iter().zip(&plain) {
            let re: Vec<f64> = d.iter().map(|x| x.re).collect();
            assert!(worst_error(&re, p) < 1e-12);
        }
        assert!(dual[0].iter().any(|x| x.eps != 0.0), "tangents carried");
    }
}
