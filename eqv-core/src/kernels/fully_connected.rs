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
//! contraction (the bulk of the FLOPs) runs in [`super::gemm`]. The inner
//! loops of the products run over the channel `v` of `b`, transposed once
//! per row so they are contiguous and vectorise.

use super::coupling::Entry;
use super::gemm::{Mat, MatMut, Store};
use super::parallel;
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

/// Rows per block: `t` of a block is `BLOCK · dim C · mul_a · mul_b` numbers.
fn block_rows(s: &FcShape) -> usize {
    let per_row = s.dims.2 * s.muls.0 * s.muls.1;
    (131_072 / per_row.max(1)).clamp(1, 1024)
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
    entries: &[Entry<T>],
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
    t[..n * dc * np].fill(T::ZERO);
    for rr in 0..n {
        let r = r0 + rr;
        transpose_row(s, b, r, bt);
        for e in entries {
            let bj = &bt[e.j * mb..][..mb];
            let tk = &mut t[(rr * dc + e.k) * np..][..np];
            for u in 0..ma {
                let cu = e.c * a[(r * ma + u) * da + e.i];
                for (x, &y) in tk[u * mb..][..mb].iter_mut().zip(bj) {
                    *x += cu * y;
                }
            }
        }
    }
}

/// `out ← t · W` for the block: one GEMM per output component `k`.
fn weight_product<T: Real>(s: &FcShape, w: &[T], t: &[T], n: usize, yk: &mut [T], out: &mut [T]) {
    let (ma, mb, mc) = s.muls;
    let dc = s.dims.2;
    let np = ma * mb;
    // One GEMM over all (row, k) pairs, then k moved back behind w.
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
    parallel::rows_mut(out, mc * dc, s.rows, |r0, n, out| {
        let inputs = (&a[r0 * ma * da..], &b[r0 * mb * db..]);
        forward_rows(entries, &FcShape { rows: n, ..*s }, inputs, w, out)
    })
}

fn forward_rows<T: Real>(
    entries: &[Entry<T>],
    s: &FcShape,
    inputs: (&[T], &[T]),
    w: &[T],
    out: &mut [T],
) {
    let (ma, mb, mc) = s.muls;
    let dc = s.dims.2;
    let block = block_rows(s);
    let mut t = vec![T::ZERO; block * dc * ma * mb];
    let mut yk = vec![T::ZERO; block * dc * mc];
    let mut bt = vec![T::ZERO; s.dims.1 * mb];
    let mut r0 = 0;
    while r0 < s.rows {
        let n = block.min(s.rows - r0);
        products(entries, s, inputs, r0, n, &mut t, &mut bt);
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
    let block = |r0: usize, n: usize| {
        let inputs = (&a[r0 * ma * da..], &b[r0 * mb * db..]);
        (FcShape { rows: n, ..*s }, inputs, &gout[r0 * mc * dc..])
    };
    if !parallel::worth_splitting(s.rows) {
        return backward_rows(entries, s, (a, b), w, gout, ga, gb, gw);
    }
    if let Some(gw) = gw {
        let partial = |r0: usize, n: usize, p: &mut [T]| {
            let (s, inputs, gout) = block(r0, n);
            backward_rows(entries, &s, inputs, w, gout, None, None, Some(p));
        };
        let total = parallel::sum_over_rows(s.rows, ma * mb * mc, partial);
        for (g, t) in gw.iter_mut().zip(total.into_iter().flatten()) {
            *g += t;
        }
    }
    let bufs = [ga.map(|g| (g, ma * da)), gb.map(|g| (g, mb * db)), None];
    parallel::rows_mut3(bufs, s.rows, |r0, n, [ga, gb, _]| {
        let (s, inputs, gout) = block(r0, n);
        backward_rows(entries, &s, inputs, w, gout, ga, gb, None);
    });
}

#[allow(clippy::too_many_arguments)]
fn backward_rows<T: Real>(
    entries: &[Entry<T>],
    s: &FcShape,
    (a, b): (&[T], &[T]),
    w: &[T],
    gout: &[T],
    mut ga: Option<&mut [T]>,
    mut gb: Option<&mut [T]>,
    mut gw: Option<&mut [T]>,
) {
    let (ma, mb, mc) = s.muls;
    let (da, db, dc) = s.dims;
    let np = ma * mb;
    let block = block_rows(s);
    let mut t = vec![T::ZERO; block * dc * np];
    let mut gt = vec![T::ZERO; block * dc * np];
    let mut gyk = vec![T::ZERO; block * dc * mc];
    let mut bt = vec![T::ZERO; db * mb];
    let mut gbt = vec![T::ZERO; db * mb];
    let mut r0 = 0;
    while r0 < s.rows {
        let n = block.min(s.rows - r0);
        // The output gradient with (row, k) pairs as matrix rows.
        to_k_major(&gout[r0 * mc * dc..][..n * mc * dc], n, mc, dc, &mut gyk);
        let gym = Mat::row_major(&gyk[..n * dc * mc], n * dc, mc);
        if let Some(gw) = gw.as_deref_mut() {
            // gW += tᵀ gY over all (row, k) pairs: one GEMM.
            products(entries, s, (a, b), r0, n, &mut t, &mut bt);
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
        for rr in 0..n {
            let r = r0 + rr;
            transpose_row(s, b, r, &mut bt);
            gbt.fill(T::ZERO);
            for e in entries {
                let gtk = &gt[(rr * dc + e.k) * np..][..np];
                let bj = &bt[e.j * mb..][..mb];
                for u in 0..ma {
                    let g = &gtk[u * mb..][..mb];
                    if let Some(ga) = ga.as_deref_mut() {
                        let dot: T = g.iter().zip(bj).map(|(&x, &y)| x * y).sum();
                        ga[(r * ma + u) * da + e.i] += e.c * dot;
                    }
                    if gb.is_some() {
                        let cu = e.c * a[(r * ma + u) * da + e.i];
                        for (x, &y) in gbt[e.j * mb..][..mb].iter_mut().zip(g) {
                            *x += cu * y;
                        }
                    }
                }
            }
            if let Some(gb) = gb.as_deref_mut() {
                for v in 0..mb {
                    for j in 0..db {
                        gb[(r * mb + v) * db + j] += gbt[j * mb + v];
                    }
                }
            }
        }
        r0 += n;
    }
}
