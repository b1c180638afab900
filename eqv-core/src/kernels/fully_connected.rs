//! The fully connected (`uvw`) tensor product as e3nn computes it: the
//! Clebsch-Gordan products of every channel pair, then one matrix product
//! with the weights.
//!
//! ```text
//! t[r, k, (u, v)] = Σ_ij c_ijk a[r, u, i] b[r, v, j]        (per row)
//! out[r, w, k]    = Σ_(u,v) t[r, k, (u, v)] W[(u, v), w]    (one GEMM over all (r, k))
//! ```
//!
//! Rows are processed in blocks so `t` stays in cache; the weight
//! contraction (the bulk of the FLOPs) runs in [`super::gemm`].
//!
//! Per row, the sparse coupling is first folded into one input, once:
//! `ca[k, j, u] = Σ_i c_ijk a[u, i]` and `cb[k, i, v] = Σ_j c_ijk b[v, j]`
//! (one vector operation over the channels per entry). Every channel loop
//! after that is dense, with trip counts that are constants (the irrep
//! dimensions 1, 3, 5, 7 are monomorphised): the products are
//! `t[k, u, :] = Σ_j ca[k, j, u] · b[:, j]` or `Σ_i a[u, i] · cb[k, i, :]`,
//! whichever input has fewer components; the gradient of `b` is
//! `Σ_(k,u) ca[k, j, u] · gt[k, u, :]`, or, where `a` has one component,
//! `Σ_k c_0jk Σ_w gY[k, w] · (a·W)[:, w]` with `a·W` one matrix product
//! of one row per row (no `gt` of `dim C` rows); that of `a` is formed one of two
//! ways chosen per path (`AGradient`): lane sums of `cb · gt` over `v`, or,
//! where `a` has few components (the `0e ⊗ X` paths), `cb` contracted with
//! the output gradient first and two matrix products of `dim A` rows for
//! the gradients of `a` and `W`. The backward computes `ca` and `cb` once
//! per row and uses them for the products (the weight gradient) and both
//! input gradients. The loops over `v` run in blocks of `LANES` inside
//! [`simd::vectorized_or`] (the backward's per-row steps each in a
//! function of its own, [`simd::wide_or`]; with 16 channels one step is
//! one AVX-512 register), with the block width a constant and every slice cut to its
//! length before the loop, so that the sums stay in registers, each a
//! fused multiply-add (`Real::fused_mul_add`: one instruction where a
//! multiply and an add took two of the same ports, measured on an Intel
//! core with two FMA units: the backward 7–9 % faster). A CPU
//! without AVX2 runs the same per-row steps summed over the sparse
//! coupling (`products_sparse`, `backward_rows_sparse`), so that the
//! fixed-size loops are compiled for the wide instruction sets only.

use super::channel_steps::{
    channels_inner, channels_outer_at, row_channels_inner, row_channels_outer,
};
use super::coupling::Entry;
use super::gemm::{Mat, MatMut, Store, ROW_TILE};
use super::lane_sums::sum_lanes;
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

impl FcShape {
    /// The same product with `a` and `b` exchanged.
    fn inputs_swapped(&self) -> FcShape {
        let ((ma, mb, mc), (da, db, dc)) = (self.muls, self.dims);
        FcShape {
            rows: self.rows,
            muls: (mb, ma, mc),
            dims: (db, da, dc),
        }
    }
}

/// Rows per block: `t` of a block is `BLOCK · dim C · mul_a · mul_b`
/// numbers, at most 32 768 (128 KiB of `f32`, within L2 next to the
/// packed GEMM panels), and where possible `BLOCK · dim C` (the rows of
/// the block's matrix products) a multiple of the GEMM's row tile.
fn block_rows(s: &FcShape) -> usize {
    let dc = s.dims.2.max(1);
    let per_row = dc * s.muls.0 * s.muls.1;
    let most = (32_768 / per_row.max(1)).clamp(1, 1024);
    let step = ROW_TILE / gcd(ROW_TILE, dc);
    if most >= step {
        most - most % step
    } else {
        most
    }
}

/// The greatest common divisor (Euclid).
fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Lanes of one register block: the channel loops run over `v` in chunks
/// of this many numbers, summed in an array the compiler keeps in vector
/// registers (one AVX-512 register of `f32`, two of `f64`).
const LANES: usize = 16;

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

/// Runs the body with `$w` a constant number of channels from `$v0`,
/// covering `0..$n`: blocks of [`LANES`], then of 8, then single channels,
/// so that a block's sums stay in vector registers. Numbers of the type
/// `$t` without register kernels (dual numbers, `REGISTERS` is a
/// constant) take single channels only, and no code is compiled for the
/// blocks they would gain nothing from.
macro_rules! by_lane_blocks {
    ($t:ty, $n:expr, |$v0:ident, $w:ident| $body:expr) => {{
        let n = $n;
        let mut $v0 = 0;
        if <$t>::REGISTERS {
            while $v0 + LANES <= n {
                {
                    const $w: usize = LANES;
                    $body;
                }
                $v0 += LANES;
            }
            while $v0 + 8 <= n {
                {
                    const $w: usize = 8;
                    $body;
                }
                $v0 += 8;
            }
        }
        while $v0 < n {
            {
                const $w: usize = 1;
                $body;
            }
            $v0 += 1;
        }
    }};
}

/// Calls `$f::<N>($i0, $args…)` for blocks of `N` consecutive components
/// covering `0..$n`: one call with `N = $n` for the irrep dimensions 1, 3,
/// 5 and 7 (loops with constant trip counts, accumulators in registers),
/// one call per component (`N = 1`) above.
macro_rules! by_dim {
    ($n:expr, $f:ident ( $($arg:expr),* )) => {
        match $n {
            1 => $f::<_, 1>(0, $($arg),*),
            3 => $f::<_, 3>(0, $($arg),*),
            5 => $f::<_, 5>(0, $($arg),*),
            7 => $f::<_, 7>(0, $($arg),*),
            n => {
                for i0 in 0..n {
                    $f::<_, 1>(i0, $($arg),*);
                }
            }
        }
    };
}

/// `kmajor[(rr·dc + k)·mc + w] = rows[rr·mc·dc + w·dc + k]` for `n` rows:
/// a block of `[row][w][k]` features with the component `k` moved before
/// the channel, so that `(row, k)` pairs are the rows of one matrix
/// (each row by [`transpose_row`], with its dimension a constant).
/// Compiled for the CPU's vector instructions ([`simd::vectorized`]), as
/// the per-row steps are: the transposes of fixed sizes are permutes.
fn to_k_major<T: Real>(rows: &[T], n: usize, mc: usize, dc: usize, kmajor: &mut [T]) {
    simd::vectorized(
        #[inline(always)]
        || {
            for (rr, kr) in kmajor[..n * dc * mc].chunks_exact_mut(dc * mc).enumerate() {
                transpose_row(rows, rr, mc, dc, kr);
            }
        },
    )
}

/// `xt[i][u] = x[r, u, i]`: row `r` of a feature of `mul` channels of
/// `dim` components, components outer.
/// The irrep dimensions up to `l = 3` are constants here, so that the
/// compiler reads the row as interleaved groups of `dim` numbers
/// (vector loads and shuffles) instead of moving one number at a time.
#[inline(always)]
fn transpose_row<T: Real>(x: &[T], r: usize, mul: usize, dim: usize, xt: &mut [T]) {
    let xr = &x[r * mul * dim..][..mul * dim];
    match dim {
        1 => xt[..mul].copy_from_slice(xr),
        3 => row_channels_inner::<T, 3>(xr, xt),
        5 => row_channels_inner::<T, 5>(xr, xt),
        7 => row_channels_inner::<T, 7>(xr, xt),
        _ => channels_inner(xr, (1, mul, dim), xt),
    }
}

/// `x[u, i] (+)= xt[i][u]`: the inverse of [`transpose_row`] for one row
/// of `mul` channels of `dim` components, adding into `x` when `ADD`, else
/// writing over it, with the irrep dimensions up to `l = 3` constants for
/// the same reason.
#[inline(always)]
fn untranspose_row<T: Real, const ADD: bool>(xt: &[T], mul: usize, dim: usize, x: &mut [T]) {
    let x = &mut x[..mul * dim];
    match dim {
        1 => row_channels_outer::<T, 1, ADD>(xt, x),
        3 => row_channels_outer::<T, 3, ADD>(xt, x),
        5 => row_channels_outer::<T, 5, ADD>(xt, x),
        7 => row_channels_outer::<T, 7, ADD>(xt, x),
        _ => channels_outer_at::<T, ADD>(xt, (1, mul, 0), (mul, dim), x),
    }
}

/// [`untranspose_row`] into an input's gradient: written over it when
/// `write` (the first gradient to reach it), else added.
#[inline(always)]
fn gradient_row<T: Real>(xt: &[T], mul: usize, dim: usize, write: bool, x: &mut [T]) {
    if write {
        untranspose_row::<T, false>(xt, mul, dim, x)
    } else {
        untranspose_row::<T, true>(xt, mul, dim, x)
    }
}

/// One row's inputs with components outer, and the coupling folded into
/// each of them.
struct RowScratch<T> {
    /// `a[u, i]` of the row, `[i][u]`.
    at: Vec<T>,
    /// `b[v, j]` of the row, `[j][v]`.
    bt: Vec<T>,
    /// `Σ_i c_ijk a[u, i]`, `[k][j][u]`.
    ca: Vec<T>,
    /// `Σ_j c_ijk b[v, j]`, `[k][i][v]`.
    cb: Vec<T>,
    /// `Σ_w gY[k, w] · (a·W)[w, v]`, `[k][v]` ([`grad_b_from_aw`]).
    gkv: Vec<T>,
    /// The row's gradient of `b`, `[j][v]` (components outer, as the
    /// per-row steps sum it; written into `b`'s layout once per row).
    gjv: Vec<T>,
    /// The row's gradient of `a`, `[i][u]` (likewise).
    giu: Vec<T>,
    /// The lane vectors [`grad_a_lane_sums`] reduces, 16 channels at a
    /// time (for the components of one block, at most 7), then its copy
    /// of one lane block of `cb` (`dim C × 7 × 16` at most).
    stage: Vec<T>,
    /// The coupling as [`RowScratch::fold_into_a`] sums it.
    into_a: FoldPlan<T>,
    /// The coupling as [`RowScratch::fold_into_b`] sums it.
    into_b: FoldPlan<T>,
    /// The coupling as [`grad_b_from_aw`] sums it: into `j` from `k`.
    into_gb: FoldPlan<T>,
}

impl<T: Real> RowScratch<T> {
    fn new(entries: &[Entry<T>], s: &FcShape) -> Self {
        let ((ma, mb, _), (da, db, dc)) = (s.muls, s.dims);
        RowScratch {
            at: vec![T::ZERO; da * ma],
            bt: vec![T::ZERO; db * mb],
            ca: vec![T::ZERO; dc * db * ma],
            cb: vec![T::ZERO; dc * da * mb],
            gkv: vec![T::ZERO; dc * mb],
            gjv: vec![T::ZERO; db * mb],
            giu: vec![T::ZERO; da * ma],
            stage: vec![T::ZERO; 7 * LANES * LANES + dc * 7 * LANES],
            into_a: FoldPlan::new(entries, dc * db, |e| (e.i, e.k * db + e.j)),
            into_b: FoldPlan::new(entries, dc * da, |e| (e.j, e.k * da + e.i)),
            into_gb: FoldPlan::new(entries, db, |e| (e.k, e.j)),
        }
    }

    /// Loads row `r` of `a` and `b`, components outer.
    #[inline(always)]
    fn load(&mut self, s: &FcShape, (a, b): (&[T], &[T]), r: usize) {
        let ((ma, mb, _), (da, db, _)) = (s.muls, s.dims);
        transpose_row(a, r, ma, da, &mut self.at);
        transpose_row(b, r, mb, db, &mut self.bt);
    }

    /// `ca[k, j, :] = Σ_i c_ijk a[:, i]` (after [`RowScratch::load`]).
    #[inline(always)]
    fn fold_into_a(&mut self, s: &FcShape) {
        fold(&self.into_a, s.muls.0, &self.at, &mut self.ca);
    }

    /// `cb[k, i, :] = Σ_j c_ijk b[:, j]` (after [`RowScratch::load`]).
    #[inline(always)]
    fn fold_into_b(&mut self, s: &FcShape) {
        fold(&self.into_b, s.muls.1, &self.bt, &mut self.cb);
    }
}

/// The coupling grouped by the row of the folded input it sums into: row
/// `to`'s terms `(from, c)` are `terms[starts[to]..starts[to + 1]]`, in the
/// order of the entries. Each row is then summed in registers and written
/// once: no zero-fill first, and no load and store of the row per entry.
struct FoldPlan<T> {
    terms: Vec<(usize, T)>,
    starts: Vec<usize>,
}

impl<T: Copy> FoldPlan<T> {
    /// The plan for `rows` rows, `(from, to)` of each entry given by `at`.
    fn new(entries: &[Entry<T>], rows: usize, at: impl Fn(&Entry<T>) -> (usize, usize)) -> Self {
        let mut keyed: Vec<(usize, usize, T)> = entries
            .iter()
            .map(|e| {
                let (from, to) = at(e);
                (to, from, e.c)
            })
            .collect();
        // Stable: within a row, the entries' order (and so the rounding)
        // of summing them one by one.
        keyed.sort_by_key(|&(to, _, _)| to);
        let mut starts = vec![0; rows + 1];
        for &(to, _, _) in &keyed {
            starts[to + 1] += 1;
        }
        for r in 0..rows {
            starts[r + 1] += starts[r];
        }
        FoldPlan {
            terms: keyed.into_iter().map(|(_, from, c)| (from, c)).collect(),
            starts,
        }
    }

    /// The terms of every row, in row order.
    #[inline(always)]
    fn rows(&self) -> impl Iterator<Item = &[(usize, T)]> {
        self.starts.windows(2).map(|w| &self.terms[w[0]..w[1]])
    }
}

/// `out[to] = Σ c · x[from]` over the plan's terms, rows of `mul` numbers
/// (every row of `out` written, rows without terms with zeros).
#[inline(always)]
fn fold<T: Real>(plan: &FoldPlan<T>, mul: usize, x: &[T], out: &mut [T]) {
    // Channel counts of one or two vector registers as constants (each
    // term one or two vector operations, no trip count to test).
    match mul {
        8 => fold_fixed::<T, 8>(plan, x, out),
        16 => fold_fixed::<T, 16>(plan, x, out),
        32 => fold_fixed::<T, 32>(plan, x, out),
        _ => {
            for (terms, out) in plan.rows().zip(out.chunks_exact_mut(mul)) {
                out.fill(T::ZERO);
                for &(from, c) in terms {
                    for (y, &x) in out.iter_mut().zip(&x[from * mul..][..mul]) {
                        *y = c.fused_mul_add(x, *y);
                    }
                }
            }
        }
    }
}

/// [`fold`] for `M` channels: each row summed in an array the compiler
/// keeps in registers.
#[inline(always)]
fn fold_fixed<T: Real, const M: usize>(plan: &FoldPlan<T>, x: &[T], out: &mut [T]) {
    for (terms, out) in plan.rows().zip(out.chunks_exact_mut(M)) {
        let mut sum = [T::ZERO; M];
        for &(from, c) in terms {
            let src: &[T; M] = x[from * M..][..M].try_into().expect("M channels");
            for (y, &x) in sum.iter_mut().zip(src) {
                *y = c.fused_mul_add(x, *y);
            }
        }
        out.copy_from_slice(&sum);
    }
}

/// Whether the products contract over `b`'s components (`ca` times `b`)
/// rather than over `a`'s (`a` times `cb`): the fewer terms per number.
fn contract_over_b(s: &FcShape) -> bool {
    s.dims.1 <= s.dims.0
}

/// `t[k, u, :] = Σ_x left[k][x][u] · right[k][x][:]` for `x < n` (`n` the
/// dimension contracted over), `left` and `right` advancing by their step
/// per `k` (0: the same for every `k`), `left`'s rows `l_row` apart (at
/// least `ma`). Dispatches to [`products_fixed`] for the irrep dimensions
/// up to `l = 3`, else [`products_row`].
#[inline(always)]
fn products_n<T: Real>(
    n: usize,
    left: (&[T], usize, usize),
    right: (&[T], usize),
    sizes: (usize, usize, usize),
    t: &mut [T],
) {
    match n {
        1 => products_fixed::<T, 1>(left, right, sizes, t),
        3 => products_fixed::<T, 3>(left, right, sizes, t),
        5 => products_fixed::<T, 5>(left, right, sizes, t),
        7 => products_fixed::<T, 7>(left, right, sizes, t),
        n => products_row(n, left, right, sizes, t),
    }
}

/// The run-time-sized form of [`products_n`], for contracted dimensions
/// above `l = 3`.
#[inline(always)]
fn products_row<T: Real>(
    n: usize,
    (left, l_step, l_row): (&[T], usize, usize),
    (right, r_step): (&[T], usize),
    (ma, mb, dc): (usize, usize, usize),
    t: &mut [T],
) {
    for k in 0..dc {
        let lk = &left[k * l_step..][..(n - 1) * l_row + ma];
        let rk = &right[k * r_step..][..n * mb];
        let tk = &mut t[k * ma * mb..][..ma * mb];
        for_chunks(
            mb,
            #[inline(always)]
            |v0, w| {
                for u in 0..ma {
                    let mut acc = [T::ZERO; LANES];
                    for x in 0..n {
                        let l = lk[x * l_row + u];
                        let r = &rk[x * mb + v0..][..w];
                        for (y, &z) in acc[..w].iter_mut().zip(r) {
                            *y = l.fused_mul_add(z, *y);
                        }
                    }
                    tk[u * mb + v0..][..w].copy_from_slice(&acc[..w]);
                }
            },
        );
    }
}

/// [`products_n`] with `n` a constant: per `k` and block of `W`
/// channels `v`, the `n` vectors of `right` are loaded once and kept in
/// registers for every channel `u`, so each number of `t` costs `n`
/// broadcast multiply-adds and its store.
#[inline(always)]
fn products_fixed<T: Real, const NX: usize>(
    (left, l_step, l_row): (&[T], usize, usize),
    (right, r_step): (&[T], usize),
    (ma, mb, dc): (usize, usize, usize),
    t: &mut [T],
) {
    for k in 0..dc {
        let lk = &left[k * l_step..];
        let rk = &right[k * r_step..][..NX * mb];
        let tk = &mut t[k * ma * mb..][..ma * mb];
        // The rows of `left`, each cut to `ma` numbers once.
        let mut l = [&lk[..0]; NX];
        for (x, l) in l.iter_mut().enumerate() {
            *l = &lk[x * l_row..][..ma];
        }
        by_lane_blocks!(T, mb, |v0, W| {
            let mut r = [[T::ZERO; W]; NX];
            for (x, r) in r.iter_mut().enumerate() {
                *r = rk[x * mb + v0..][..W].try_into().expect("W lanes");
            }
            for (u, tu) in tk.chunks_exact_mut(mb).enumerate() {
                // The first term starts the sum (no addition of zeros).
                let l0 = l[0][u];
                let mut acc = [T::ZERO; W];
                for (y, &z) in acc.iter_mut().zip(&r[0]) {
                    *y = l0 * z;
                }
                // An index loop: with a constant range the compiler
                // unrolls it and keeps `r` in registers (an iterator with
                // `skip` kept it on the stack).
                #[allow(clippy::needless_range_loop)]
                for x in 1..NX {
                    let lx = l[x][u];
                    for (y, &z) in acc.iter_mut().zip(&r[x]) {
                        *y = lx.fused_mul_add(z, *y);
                    }
                }
                tu[v0..v0 + W].copy_from_slice(&acc);
            }
        });
    }
}

/// `t[k, u, :]` of one row (`dc · ma · mb` numbers) from the loaded and
/// folded scratch.
#[inline(always)]
fn products_of_row<T: Real>(s: &FcShape, sc: &RowScratch<T>, t: &mut [T]) {
    let ((ma, mb, _), (da, db, dc)) = (s.muls, s.dims);
    let sizes = (ma, mb, dc);
    let (n, left, right) = if contract_over_b(s) {
        (db, (&sc.ca[..], db * ma, ma), (&sc.bt[..], 0))
    } else {
        (da, (&sc.at[..], 0, ma), (&sc.cb[..], da * mb))
    };
    products_n(n, left, right, sizes, t);
}

/// `t[rr, k, u·mb + v]` for the rows `r0..r0 + n` of the block.
fn products<T: Real>(
    entries: &[Entry<T>],
    s: &FcShape,
    ab: (&[T], &[T]),
    r0: usize,
    n: usize,
    t: &mut [T],
    sc: &mut RowScratch<T>,
) {
    let ((ma, mb, _), dc) = (s.muls, s.dims.2);
    let np = ma * mb;
    simd::vectorized_or(
        (t, sc),
        #[inline(always)]
        |(t, sc)| {
            for rr in 0..n {
                sc.load(s, ab, r0 + rr);
                if contract_over_b(s) {
                    sc.fold_into_a(s);
                } else {
                    sc.fold_into_b(s);
                }
                products_of_row(s, sc, &mut t[rr * dc * np..][..dc * np]);
            }
        },
        |(t, _)| products_sparse(entries, s, ab, (r0, n), t),
    )
}

/// [`products`] on a CPU without AVX2 ([`simd::vectorized_or`]): the
/// sums over the sparse coupling with run-time sizes, so that the
/// fixed-size loops are compiled for the wide instruction sets only.
fn products_sparse<T: Real>(
    entries: &[Entry<T>],
    s: &FcShape,
    (a, b): (&[T], &[T]),
    (r0, n): (usize, usize),
    t: &mut [T],
) {
    let ((ma, mb, _), (da, db, dc)) = (s.muls, s.dims);
    let np = ma * mb;
    for rr in 0..n {
        let (ar, br) = (&a[(r0 + rr) * ma * da..], &b[(r0 + rr) * mb * db..]);
        let tr = &mut t[rr * dc * np..][..dc * np];
        tr.fill(T::ZERO);
        for e in entries {
            for u in 0..ma {
                let x = e.c * ar[u * da + e.i];
                let row = &mut tr[(e.k * ma + u) * mb..][..mb];
                for (y, v) in row.iter_mut().zip(0..mb) {
                    *y += x * br[v * db + e.j];
                }
            }
        }
    }
}

/// `out ← t · W` (or `out += t · W` with [`Store::Accumulate`]) for the
/// block: one GEMM over all `(row, k)` pairs, then `k` moved back behind
/// the channel.
fn weight_product<T: Real>(
    s: &FcShape,
    (w, t): (&[T], &[T]),
    n: usize,
    yk: &mut [T],
    into: Store,
    out: &mut [T],
) {
    let (ma, mb, mc) = s.muls;
    let dc = s.dims.2;
    let np = ma * mb;
    let tm = Mat::row_major(&t[..n * dc * np], n * dc, np);
    let ym = MatMut::row_major(&mut yk[..n * dc * mc], n * dc, mc);
    T::gemm(T::ONE, tm, Mat::row_major(w, np, mc), Store::Overwrite, ym);
    // `k` moved back, compiled for the vector instructions as in
    // [`to_k_major`].
    simd::vectorized(
        #[inline(always)]
        || {
            let rows = out[..n * mc * dc].chunks_exact_mut(mc * dc);
            for (yr, or) in yk[..n * dc * mc].chunks_exact(dc * mc).zip(rows) {
                match into {
                    Store::Overwrite => untranspose_row::<T, false>(yr, mc, dc, or),
                    Store::Accumulate => untranspose_row::<T, true>(yr, mc, dc, or),
                }
            }
        },
    );
}

/// Writes the product of every row into `out` (`[rows][mul_c][dim C]`),
/// large batches split across cores by rows.
pub fn forward<T: Real>(
    entries: &[Entry<T>],
    s: &FcShape,
    (a, b): (&[T], &[T]),
    w: &[T],
    into: Store,
    out: &mut [T],
) {
    let ((ma, mb, mc), (da, db, dc)) = (s.muls, s.dims);
    parallel::rows_mut(out, mc * dc, s.rows, |r0, n, out| {
        let inputs = (&a[r0 * ma * da..], &b[r0 * mb * db..]);
        forward_rows(entries, &FcShape { rows: n, ..*s }, inputs, w, into, out)
    })
}

fn forward_rows<T: Real>(
    entries: &[Entry<T>],
    s: &FcShape,
    inputs: (&[T], &[T]),
    w: &[T],
    into: Store,
    out: &mut [T],
) {
    let (ma, mb, mc) = s.muls;
    let dc = s.dims.2;
    let block = block_rows(s);
    // Every element is written before it is read: scratch, not zeroed.
    let mut t = pool::scratch(block * dc * ma * mb, T::ZERO);
    let mut yk = pool::scratch(block * dc * mc, T::ZERO);
    let mut sc = RowScratch::new(entries, s);
    let mut r0 = 0;
    while r0 < s.rows {
        let n = block.min(s.rows - r0);
        products(entries, s, inputs, r0, n, &mut t, &mut sc);
        weight_product(
            s,
            (w, &t),
            n,
            &mut yk,
            into,
            &mut out[r0 * mc * dc..][..n * mc * dc],
        );
        r0 += n;
    }
    pool::recycle(t);
    pool::recycle(yk);
}

/// Adds the gradients of `a`, `b` and `W` (those given) for the output
/// gradient `gout`; large batches are split across cores by rows (`W`'s
/// gradient summed by row blocks in block order). With
/// [`Store::Overwrite`] for `a` or `b` that gradient's buffer may hold
/// anything and is written: each row's gradient is summed in the row
/// scratch and written over the row (the run-time-sized fallback clears
/// each row block just before it sums into it, while it is in cache).
#[allow(clippy::too_many_arguments)]
pub fn backward<T: Real>(
    entries: &[Entry<T>],
    s: &FcShape,
    (a, b): (&[T], &[T]),
    w: &[T],
    gout: &[T],
    (ga, gb, gw): Grads<'_, T>,
    (store_a, store_b): (Store, Store),
) {
    let clear = (store_a == Store::Overwrite, store_b == Store::Overwrite);
    if swap_for_backward(s, gb.is_some()) {
        return backward_swapped(entries, s, (a, b), w, gout, (ga, gb, gw), clear);
    }
    let way = a_gradient_way(s, ga.is_some());
    backward_by(entries, s, (a, b), w, gout, (ga, gb, gw), way, clear);
}

/// Whether the backward runs with the inputs swapped: when the second
/// input has fewer components than the first and, as the first, its
/// gradient would be formed the folded way ([`AGradient::Folded`]), as
/// for a `0e ⊗ 1o` path. Unswapped, a `1o ⊗ 0e` path forms it from `gt`,
/// which for a one-component input is read once per number it costs.
fn swap_for_backward(s: &FcShape, grad_b: bool) -> bool {
    let (da, db, _) = s.dims;
    db < da && a_gradient_way(&s.inputs_swapped(), grad_b) == AGradient::Folded
}

/// [`backward`] of the same product written with `a` and `b` swapped:
/// the coupling with `i` and `j` exchanged, `W`'s rows `(u, v)` reordered
/// `(v, u)` (and its gradient reordered back).
fn backward_swapped<T: Real>(
    entries: &[Entry<T>],
    s: &FcShape,
    (a, b): (&[T], &[T]),
    w: &[T],
    gout: &[T],
    (ga, gb, gw): Grads<'_, T>,
    (clear_a, clear_b): (bool, bool),
) {
    let (ma, mb, mc) = s.muls;
    let swapped: Vec<Entry<T>> = entries
        .iter()
        .map(|e| Entry {
            i: e.j,
            j: e.i,
            ..*e
        })
        .collect();
    let s2 = s.inputs_swapped();
    let mut w_vu = pool::scratch(w.len(), T::ZERO);
    swap_pair_rows(w, (ma, mb), mc, &mut w_vu);
    let mut gw_vu = gw.as_ref().map(|g| pool::filled(g.len(), T::ZERO));
    let way = a_gradient_way(&s2, gb.is_some());
    let grads = (gb, ga, gw_vu.as_deref_mut());
    let clear = (clear_b, clear_a);
    backward_by(&swapped, &s2, (b, a), &w_vu, gout, grads, way, clear);
    if let (Some(gw), Some(gw_vu)) = (gw, gw_vu) {
        let mut back = w_vu;
        swap_pair_rows(&gw_vu, (mb, ma), mc, &mut back);
        for (g, d) in gw.iter_mut().zip(&back) {
            *g += *d;
        }
        pool::recycle(back);
        pool::recycle(gw_vu);
    } else {
        pool::recycle(w_vu);
    }
}

/// `to[(v, u), :] = from[(u, v), :]`: a matrix whose rows are the pairs
/// `(u, v)` of `mu × mv` channels, `width` numbers each, with its rows
/// reordered `(v, u)` (`W` or its gradient with the inputs exchanged).
fn swap_pair_rows<T: Copy>(from: &[T], (mu, mv): (usize, usize), width: usize, to: &mut [T]) {
    for (uv, row) in from.chunks_exact(width).enumerate() {
        let (u, v) = (uv / mv, uv % mv);
        to[(v * mu + u) * width..][..width].copy_from_slice(row);
    }
}

/// [`backward`] with the gradient of `a` formed the given way (`clear`:
/// which of `a`'s and `b`'s gradients to clear block by block).
#[allow(clippy::too_many_arguments)]
fn backward_by<T: Real>(
    entries: &[Entry<T>],
    s: &FcShape,
    (a, b): (&[T], &[T]),
    w: &[T],
    gout: &[T],
    (ga, gb, gw): Grads<'_, T>,
    way: AGradient,
    clear: (bool, bool),
) {
    let ((ma, mb, mc), (da, db, dc)) = (s.muls, s.dims);
    // One sweep over the row blocks: each block's gradients of `a` and `b`
    // and its share of `W`'s gradient come from the same pass (`gout`
    // rearranged once, the coupling folded into each row once), `W`'s
    // shares summed in block order.
    let bufs = [ga.map(|g| (g, ma * da)), gb.map(|g| (g, mb * db)), None];
    parallel::rows_mut3_and_sum(bufs, s.rows, gw, |r0, n, [ga, gb, _], gw| {
        let inputs = (&a[r0 * ma * da..], &b[r0 * mb * db..]);
        let s = FcShape { rows: n, ..*s };
        let grads = (ga, gb, gw);
        backward_rows(
            entries,
            &s,
            inputs,
            w,
            &gout[r0 * mc * dc..],
            grads,
            way,
            clear,
        );
    });
}

/// `dst[c · rows + r] = src[r · cols + c]`: a row-major `rows × cols`
/// matrix transposed into `dst`. The backward makes its layouts of `W`
/// with it, once per call, so that each block's matrix products read
/// contiguous rows.
fn transpose_into<T: Copy>(src: &[T], rows: usize, cols: usize, dst: &mut [T]) {
    for (r, row) in src[..rows * cols].chunks_exact(cols).enumerate() {
        for (c, &x) in row.iter().enumerate() {
            dst[c * rows + r] = x;
        }
    }
}

/// How the gradient of `a` is formed (a fixed function of the shapes, see
/// [`a_gradient_way`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AGradient {
    /// Not asked for.
    None,
    /// `Σ_(k,v) cb[k, i, v] · gt[k, u, v]` from the products' gradient
    /// `gt = gY Wᵀ` (shared with `b`'s gradient), summed lane by lane over
    /// `v` and reduced once per `(u, i)`: no matrix product of its own.
    LaneSums,
    /// The small input first: `q[i, v, w] = Σ_k cb[k, i, v] · gY[k, w]`
    /// per row, then `ga[u, i] = Σ_(v,w) W[u, v, w] · q[i, v, w]` and
    /// `gW[u, v, w] += Σ_i a[u, i] · q[i, v, w]`, two matrix products of
    /// `dim A` rows per row (instead of the products `t` and a matrix
    /// product of `dim C` rows for `W`'s gradient).
    Folded,
}

/// The way with the fewest operations for the path, counting the per-row
/// loops (dense but short, with reductions) three times a matrix
/// product's multiply-add: `Folded` when `2·dim A` rows of matrix products
/// cost less than `dim C` rows plus the products `t` and the lane sums.
fn a_gradient_way(s: &FcShape, wanted: bool) -> AGradient {
    if !wanted {
        return AGradient::None;
    }
    let ((ma, mb, mc), (da, db, dc)) = (s.muls, s.dims);
    const LOOP_WEIGHT: usize = 3;
    let np = ma * mb;
    let folded = 2 * da * np * mc + LOOP_WEIGHT * dc * da * mb * mc;
    let lanes = dc * np * mc + LOOP_WEIGHT * dc * (da.min(db) + da) * np;
    if folded < lanes {
        AGradient::Folded
    } else {
        AGradient::LaneSums
    }
}

/// The gradients of `a`, `b` and `W` of one row block (see [`backward`]).
type Grads<'a, T> = (
    Option<&'a mut [T]>,
    Option<&'a mut [T]>,
    Option<&'a mut [T]>,
);

#[allow(clippy::too_many_arguments)]
fn backward_rows<T: Real>(
    entries: &[Entry<T>],
    s: &FcShape,
    ab: (&[T], &[T]),
    w: &[T],
    gout: &[T],
    (mut ga, mut gb, mut gw): Grads<'_, T>,
    way: AGradient,
    (clear_a, clear_b): (bool, bool),
) {
    let (ma, mb, mc) = s.muls;
    let (da, db, dc) = s.dims;
    let np = ma * mb;
    let block = block_rows(s);
    let folded = way == AGradient::Folded;
    // `q` feeds both `a`'s and `W`'s gradients when it is formed.
    let w_from_t = gw.is_some() && !folded;
    // With a one-component `a`, `b`'s gradient comes from `a · W` (one
    // matrix product of one row per row, [`grad_b_from_aw`]) rather than
    // from `gt` (`dim C` rows), unless the lane sums need `gt` anyway.
    let b_from_aw = gb.is_some() && da == 1 && way != AGradient::LaneSums;
    let need_gt = (gb.is_some() && !b_from_aw) || way == AGradient::LaneSums;
    let sized = |yes: bool, len: usize| pool::scratch(if yes { len } else { 0 }, T::ZERO);
    let mut t = sized(w_from_t, block * dc * np);
    let mut gt = sized(need_gt, block * dc * np);
    let mut q = sized(folded, block * da * mb * mc);
    let mut gyk = pool::scratch(block * dc * mc, T::ZERO);
    // `Wᵀ` row-major, once: every block's `gY Wᵀ` reads it with
    // contiguous rows (the narrow GEMM copies a strided right factor).
    let mut wt = sized(need_gt, np * mc);
    if need_gt {
        transpose_into(w, np, mc, &mut wt);
    }
    // `W` as `[u][w][v]` and the block's `a · W` in that layout, so that
    // each row's `Σ_w gY[k, w] · aw[w, :]` runs over `v` in lanes.
    let mut w_wv = sized(b_from_aw, ma * mc * mb);
    let mut aw = sized(b_from_aw, block * mc * mb);
    if b_from_aw {
        for (wu, out) in w.chunks_exact(mb * mc).zip(w_wv.chunks_exact_mut(mc * mb)) {
            transpose_into(wu, mb, mc, out);
        }
    }
    // For the folded way: `W` as `(v, w) × u` row-major, once, so that
    // each block's `q · Wᵀ` reads a contiguous right factor (a strided one
    // is copied by the narrow GEMM on every call), and a block's gradient
    // of one component of `a` when its view in `ga` is strided (`dim A` >
    // 1: a strided output would take the packed GEMM).
    let nvw = mb * mc;
    let fold_ga = folded && ga.is_some();
    let mut w_vw_u = sized(fold_ga, nvw * ma);
    if fold_ga {
        transpose_into(w, ma, nvw, &mut w_vw_u);
    }
    let mut ga_i = sized(fold_ga && da > 1, block * ma);
    let mut sc = RowScratch::new(entries, s);
    let over_b = contract_over_b(s);
    let mut r0 = 0;
    while r0 < s.rows {
        let n = block.min(s.rows - r0);
        // The output gradient with (row, k) pairs as matrix rows.
        to_k_major(&gout[r0 * mc * dc..][..n * mc * dc], n, mc, dc, &mut gyk);
        let gym = Mat::row_major(&gyk[..n * dc * mc], n * dc, mc);
        if need_gt {
            // gt = gY Wᵀ: the gradient of the products, `[k][u][v]`.
            let out = MatMut::row_major(&mut gt[..n * dc * np], n * dc, np);
            let wt = Mat::row_major(&wt[..mc * np], mc, np);
            T::gemm(T::ONE, gym, wt, Store::Overwrite, out);
        }
        if b_from_aw {
            // aw[r, (w, v)] = Σ_u a[r, u] · W[u, v, w] (`a` one component).
            let am = Mat::row_major(&ab.0[r0 * ma..][..n * ma], n, ma);
            let wm = Mat::row_major(&w_wv, ma, mc * mb);
            let out = MatMut::row_major(&mut aw[..n * mc * mb], n, mc * mb);
            T::gemm(T::ONE, am, wm, Store::Overwrite, out);
        }
        let (ga_r, gb_r) = (ga.as_deref_mut(), gb.as_deref_mut());
        let fold_a = (gb_r.is_some() && !b_from_aw) || (w_from_t && over_b);
        let fold_b = way != AGradient::None || (w_from_t && !over_b);
        let flags = RowFlags {
            w_from_t,
            need_gt,
            b_from_aw,
            way,
        };
        simd::wide_or(
            (ga_r, gb_r, &mut t[..], &mut q[..], &mut sc),
            // Each step of a row in a function of its own (`Wide::run`):
            // as one body, these steps and their fixed sizes were one of
            // the largest functions of the build.
            |wide, (mut ga_r, mut gb_r, t, q, sc)| {
                for rr in 0..n {
                    let r = r0 + rr;
                    wide.run(
                        #[inline(always)]
                        || {
                            sc.load(s, ab, r);
                            // Each fold once per row, shared by the
                            // products and the input gradients.
                            if fold_a {
                                sc.fold_into_a(s);
                            }
                            if fold_b {
                                sc.fold_into_b(s);
                            }
                            if w_from_t {
                                products_of_row(s, sc, &mut t[rr * dc * np..][..dc * np]);
                            }
                        },
                    );
                    let gtr = &gt[..];
                    let gtr = if need_gt {
                        &gtr[rr * dc * np..][..dc * np]
                    } else {
                        gtr
                    };
                    if let (AGradient::LaneSums, Some(ga)) = (way, ga_r.as_deref_mut()) {
                        let gar = &mut ga[r * ma * da..][..ma * da];
                        wide.run(
                            #[inline(always)]
                            || {
                                let sizes = (ma, mb, da, dc);
                                let (cb, stage, giu) = (&sc.cb, &mut sc.stage, &mut sc.giu);
                                giu.fill(T::ZERO);
                                by_dim!(da, grad_a_lane_sums((cb, stage), gtr, sizes, giu));
                                gradient_row(giu, ma, da, clear_a, gar);
                            },
                        );
                    }
                    if folded {
                        // q[i, v, :] = Σ_k cb[k, i, v] · gY[k, :], rows
                        // `[i][rr]` so that each `i` is one matrix.
                        let gy = &gyk[rr * dc * mc..][..dc * mc];
                        wide.run(
                            #[inline(always)]
                            || {
                                for i in 0..da {
                                    let qi = &mut q[(i * n + rr) * mb * mc..][..mb * mc];
                                    let cb = &sc.cb[i * mb..];
                                    fold_output_gradient(cb, da * mb, gy, (mb, mc, dc), qi);
                                }
                            },
                        );
                    }
                    if let Some(gb) = gb_r.as_deref_mut() {
                        let gbr = &mut gb[r * mb * db..][..mb * db];
                        if b_from_aw {
                            let gy = &gyk[rr * dc * mc..][..dc * mc];
                            let awr = &aw[rr * mc * mb..][..mc * mb];
                            wide.run(
                                #[inline(always)]
                                || {
                                    let scratch = (&mut sc.gkv[..], &mut sc.gjv[..]);
                                    let sizes = (mb, mc, db, dc);
                                    let into = (clear_b, gbr);
                                    grad_b_from_aw(&sc.into_gb, awr, gy, sizes, scratch, into);
                                },
                            );
                        } else {
                            wide.run(
                                #[inline(always)]
                                || {
                                    let gjv = &mut sc.gjv[..];
                                    let sizes = (ma, mb, db, dc);
                                    by_dim!(db, grad_input_row(&sc.ca, gtr, sizes, gjv));
                                    gradient_row(gjv, mb, db, clear_b, gbr);
                                },
                            );
                        }
                    }
                }
            },
            |(mut ga_r, mut gb_r, t, q, _)| {
                // The sums here add into the gradients: the block's rows
                // cleared first, in cache, when they are to be written.
                if let (true, Some(ga)) = (clear_a, ga_r.as_deref_mut()) {
                    ga[r0 * ma * da..][..n * ma * da].fill(T::ZERO);
                }
                if let (true, Some(gb)) = (clear_b, gb_r.as_deref_mut()) {
                    gb[r0 * mb * db..][..n * mb * db].fill(T::ZERO);
                }
                let per_row = (&gt[..], &gyk[..], &aw[..]);
                backward_rows_sparse(
                    entries,
                    s,
                    ab,
                    (r0, n),
                    flags,
                    per_row,
                    (t, q),
                    (ga_r, gb_r),
                );
            },
        );
        if folded {
            for i in 0..da {
                let qi = Mat::row_major(&q[i * n * nvw..][..n * nvw], n, nvw);
                if let Some(ga) = ga.as_deref_mut() {
                    // ga[r, u, i] += Σ_(v,w) q[i, r, (v, w)] · W[u, (v, w)].
                    let wm = Mat::row_major(&w_vw_u, nvw, ma);
                    let ga = &mut ga[r0 * ma * da..][..n * ma * da];
                    // Each component `i` of every row comes from this
                    // product alone: written when `a`'s gradient is cleared.
                    if da == 1 {
                        let store = if clear_a {
                            Store::Overwrite
                        } else {
                            Store::Accumulate
                        };
                        T::gemm(T::ONE, qi, wm, store, MatMut::row_major(ga, n, ma));
                    } else {
                        let into = MatMut::row_major(&mut ga_i[..n * ma], n, ma);
                        T::gemm(T::ONE, qi, wm, Store::Overwrite, into);
                        let gai = ga.iter_mut().skip(i).step_by(da).zip(&ga_i[..n * ma]);
                        for (g, &x) in gai {
                            *g = if clear_a { x } else { *g + x };
                        }
                    }
                }
                if let Some(gw) = gw.as_deref_mut() {
                    // gW[u, (v, w)] += Σ_r a[r, u, i] · q[i, r, (v, w)].
                    let am = Mat::component(&ab.0[r0 * ma * da..], (n, ma, da), i).t();
                    let into = MatMut::row_major(gw, ma, nvw);
                    T::gemm(T::ONE, am, qi, Store::Accumulate, into);
                }
            }
        }
        if w_from_t {
            if let Some(gw) = gw.as_deref_mut() {
                // gW += tᵀ gY over all (row, k) pairs: one GEMM.
                let tm = Mat::row_major(&t[..n * dc * np], n * dc, np);
                let into = MatMut::row_major(gw, np, mc);
                T::gemm(T::ONE, tm.t(), gym, Store::Accumulate, into);
            }
        }
        r0 += n;
    }
    pool::recycle(t);
    pool::recycle(gt);
    pool::recycle(wt);
    pool::recycle(q);
    pool::recycle(gyk);
    pool::recycle(w_wv);
    pool::recycle(aw);
    pool::recycle(w_vw_u);
    pool::recycle(ga_i);
}

/// Which of the per-row steps a block of the backward runs (see
/// [`backward_rows`]).
#[derive(Clone, Copy)]
struct RowFlags {
    /// The products `t` are formed for `W`'s gradient.
    w_from_t: bool,
    /// `gt = gY Wᵀ` is formed.
    need_gt: bool,
    /// `b`'s gradient comes from `a · W` (`a` one component).
    b_from_aw: bool,
    /// How `a`'s gradient is formed.
    way: AGradient,
}

/// The per-row steps of [`backward_rows`] on a CPU without AVX2
/// ([`simd::vectorized_or`]): the same quantities summed over the sparse
/// coupling with run-time sizes. `gt`, `gyk` and `aw` are the block's
/// (rows from `r0`); `t` and `q` are written as the wide steps write them.
#[allow(clippy::too_many_arguments)]
fn backward_rows_sparse<T: Real>(
    entries: &[Entry<T>],
    s: &FcShape,
    (a, b): (&[T], &[T]),
    (r0, n): (usize, usize),
    f: RowFlags,
    (gt, gyk, aw): (&[T], &[T], &[T]),
    (t, q): (&mut [T], &mut [T]),
    (mut ga, mut gb): (Option<&mut [T]>, Option<&mut [T]>),
) {
    let ((ma, mb, mc), (da, db, dc)) = (s.muls, s.dims);
    let np = ma * mb;
    if f.w_from_t {
        products_sparse(entries, s, (a, b), (r0, n), t);
    }
    for rr in 0..n {
        let r = r0 + rr;
        let (ar, br) = (&a[r * ma * da..][..ma * da], &b[r * mb * db..][..mb * db]);
        let gtr = if f.need_gt {
            &gt[rr * dc * np..][..dc * np]
        } else {
            &gt[..0]
        };
        let gy = &gyk[rr * dc * mc..][..dc * mc];
        if let Some(ga) = ga.as_deref_mut() {
            if f.way == AGradient::LaneSums {
                // ga[u, i] += Σ c Σ_v b[v, j] gt[k, u, v]
                let gar = &mut ga[r * ma * da..][..ma * da];
                for e in entries {
                    for u in 0..ma {
                        let g = &gtr[(e.k * ma + u) * mb..][..mb];
                        let dot: T = (0..mb).map(|v| br[v * db + e.j] * g[v]).sum();
                        gar[u * da + e.i] += e.c * dot;
                    }
                }
            }
        }
        if f.way == AGradient::Folded {
            // q[i, rr, v, w] = Σ c b[v, j] gY[k, w] over the entries of i.
            for i in 0..da {
                let qi = &mut q[(i * n + rr) * mb * mc..][..mb * mc];
                qi.fill(T::ZERO);
                for e in entries.iter().filter(|e| e.i == i) {
                    for v in 0..mb {
                        let x = e.c * br[v * db + e.j];
                        for (y, &z) in qi[v * mc..][..mc].iter_mut().zip(&gy[e.k * mc..][..mc]) {
                            *y += x * z;
                        }
                    }
                }
            }
        }
        if let Some(gb) = gb.as_deref_mut() {
            let gbr = &mut gb[r * mb * db..][..mb * db];
            if f.b_from_aw {
                // gb[v, j] += c G[k, v], G[k, v] = Σ_w gY[k, w] aw[w, v]
                // (formed once per k, as `grad_b_from_aw` does).
                let awr = &aw[rr * mc * mb..][..mc * mb];
                let g: Vec<T> = (0..dc * mb)
                    .map(|kv| {
                        let (k, v) = (kv / mb, kv % mb);
                        (0..mc).map(|w| gy[k * mc + w] * awr[w * mb + v]).sum()
                    })
                    .collect();
                for e in entries {
                    for v in 0..mb {
                        gbr[v * db + e.j] += e.c * g[e.k * mb + v];
                    }
                }
            } else {
                // gb[v, j] += Σ_u c a[u, i] gt[k, u, v]
                for e in entries {
                    for u in 0..ma {
                        let x = e.c * ar[u * da + e.i];
                        let g = &gtr[(e.k * ma + u) * mb..][..mb];
                        for v in 0..mb {
                            gbr[v * db + e.j] += x * g[v];
                        }
                    }
                }
            }
        }
    }
}

/// The gradient of `b` of one row when `a` has one component:
/// `ca[k, j, u] = c_0jk a[u]`, so `g[v, j] += Σ_k c_0jk Σ_u a[u] gt[k, u, v]
/// = Σ_k c_0jk G[k, v]` with `G[k, v] = Σ_w gY[k, w] · aw[w, v]` and
/// `aw[w, v] = Σ_u a[u] W[u, v, w]` (formed for the block by one matrix
/// product). `dim C · mb · mc` multiply-adds per row, where the route
/// through `gt = gY Wᵀ` costs `dim C · ma · mb · mc` in its matrix
/// product alone.
#[inline(always)]
fn grad_b_from_aw<T: Real>(
    plan: &FoldPlan<T>,
    aw: &[T],
    gy: &[T],
    (mb, mc, db, dc): (usize, usize, usize, usize),
    (gkv, gjv): (&mut [T], &mut [T]),
    (write, g): (bool, &mut [T]),
) {
    by_dim!(dc, output_gradient_times_aw(aw, gy, (mb, mc), &mut *gkv));
    // gjv[j, v] = Σ_k c_0jk G[k, v], summed over `v` in lanes, then put
    // into the row with `v` outer.
    fold(plan, mb, gkv, gjv);
    gradient_row(gjv, mb, db, write, g);
}

/// `G[k, v] = Σ_w gY[k, w] · aw[w, v]` for the `DC` components `k` from
/// `k0` at once (`G` as `[k][v]`): each row of `aw` is loaded once for all
/// `k`, and the `DC` sums of a block of `v` are independent chains.
#[inline(always)]
fn output_gradient_times_aw<T: Real, const DC: usize>(
    k0: usize,
    aw: &[T],
    gy: &[T],
    (mb, mc): (usize, usize),
    gkv: &mut [T],
) {
    let gk: [&[T]; DC] = std::array::from_fn(|k| &gy[(k0 + k) * mc..][..mc]);
    by_lane_blocks!(T, mb, |v0, W| {
        let mut acc = [[T::ZERO; W]; DC];
        for (w, row) in aw.chunks_exact(mb).take(mc).enumerate() {
            let row: &[T; W] = row[v0..v0 + W].try_into().expect("W lanes");
            for (acc, gk) in acc.iter_mut().zip(&gk) {
                let y = gk[w];
                for (s, &z) in acc.iter_mut().zip(row) {
                    *s = y.fused_mul_add(z, *s);
                }
            }
        }
        for (k, acc) in acc.iter().enumerate() {
            gkv[(k0 + k) * mb + v0..][..W].copy_from_slice(acc);
        }
    });
}

/// `q[v, :] = Σ_k c[k · step + v] · gy[k, :]` for `nv` channels `v` and
/// `nw` output channels (`dc` components `k`): one input with the coupling
/// folded in, contracted with the output gradient, vectorised over `w`.
/// The same sums as the products `t` of one component ([`products_n`]:
/// the rows of `gy` held in registers across all `v`), with `c`'s rows
/// `step` apart.
#[inline(always)]
fn fold_output_gradient<T: Real>(
    c: &[T],
    step: usize,
    gy: &[T],
    (nv, nw, dc): (usize, usize, usize),
    q: &mut [T],
) {
    products_n(dc, (c, 0, step), (gy, 0), (nv, nw, 1), q);
}

/// The gradient of `a` of one row, `g[i, u] += Σ_k Σ_v cb[k, i, v] ·
/// gt[k, u, v]` for `i ∈ i0..i0 + N` (`g` components outer, so that the
/// 16 sums of a reduction are stored together): lane sums over `v` (one `gt` load
/// shared by the `N` components) in blocks of lanes ([`by_lane_blocks`]),
/// reduced for 16 channels `u` at a time in blocks of 16 lanes
/// ([`LaneSums::sums_of_16`](super::lane_sums::LaneSums::sums_of_16): one by one, the reductions cost as much as
/// the multiply-adds).
#[inline(always)]
fn grad_a_lane_sums<T: Real, const N: usize>(
    i0: usize,
    (cb, stage): (&[T], &mut [T]),
    gt: &[T],
    sizes: (usize, usize, usize, usize),
    g: &mut [T],
) {
    let (ma, mb, da, dc) = sizes;
    let (stage, lanes_of_cb) = stage.split_at_mut(7 * LANES * LANES);
    by_lane_blocks!(T, mb, |v0, W| {
        // `cb[k, i0 + q, v0..v0 + W]` for every `k` and `q`, copied once
        // into one array that every channel `u` reads in order: indexed
        // in `cb` itself, each `k` step of each `u` spent more
        // instructions on index checks than on its `N` multiply-adds.
        let (cbl, _) = lanes_of_cb.as_chunks_mut::<W>();
        let (cbl, _) = cbl.as_chunks_mut::<N>();
        let cbl = &mut cbl[..dc];
        for (k, ck) in cbl.iter_mut().enumerate() {
            for (q, c) in ck.iter_mut().enumerate() {
                c.copy_from_slice(&cb[(k * da + i0 + q) * mb + v0..][..W]);
            }
        }
        let cbl = &*cbl;
        let gt_of = |u: usize| &gt[u * mb + v0..];
        let mut u = 0;
        if W == LANES {
            // The lane vectors of 16 channels `u` for each of the `N`
            // components, `[q][uu][lane]`: every number written before it
            // is read (a zeroed array here cost a memset per block).
            let (stage, _) = stage[..N * LANES * LANES].as_chunks_mut::<LANES>();
            while u + LANES <= ma {
                for uu in 0..LANES {
                    let part = lane_vectors::<T, N, W>(cbl, gt_of(u + uu), ma * mb);
                    for (q, p) in part.iter().enumerate() {
                        // `W` is `LANES` here.
                        stage[q * LANES + uu].copy_from_slice(p);
                    }
                }
                for q in 0..N {
                    let l: &[[T; LANES]; LANES] =
                        stage[q * LANES..][..LANES].try_into().expect("16 × 16");
                    let gq = &mut g[(i0 + q) * ma + u..][..LANES];
                    for (y, x) in gq.iter_mut().zip(T::sums_of_16(l)) {
                        *y += x;
                    }
                }
                u += LANES;
            }
        }
        for u in u..ma {
            let part = lane_vectors::<T, N, W>(cbl, gt_of(u), ma * mb);
            for (q, p) in part.into_iter().enumerate() {
                g[(i0 + q) * ma + u] += sum_lanes(p);
            }
        }
    });
}

/// `Σ_k cb[k, i, v] · gt[k, u, v]` for the `N` components `i` and the `W`
/// channels `v` of `cbl` (`[k][q][lane]`, see [`grad_a_lane_sums`]), with
/// `gt[k, u, v0..]` at `gt_u[k · stride..]`: `N × W` sums in registers.
#[inline(always)]
fn lane_vectors<T: Real, const N: usize, const W: usize>(
    cbl: &[[[T; W]; N]],
    gt_u: &[T],
    stride: usize,
) -> [[T; W]; N] {
    let mut acc = [[T::ZERO; W]; N];
    for (k, ck) in cbl.iter().enumerate() {
        let gk: &[T; W] = gt_u[k * stride..][..W].try_into().expect("W lanes");
        for (acc, cq) in acc.iter_mut().zip(ck) {
            for ((y, &c), &g) in acc.iter_mut().zip(cq).zip(gk) {
                *y = c.fused_mul_add(g, *y);
            }
        }
    }
    acc
}

/// The gradient of one input of one row from the other input with the
/// coupling folded in: `g[j, v] = Σ_k Σ_u c[k, j, u] · gt[k, u, v]` for
/// `j ∈ j0..j0 + N` (`g` components outer: each block of sums is stored
/// as whole vectors, and the caller moves the row into the input's
/// layout once) (`nu` channels `u` summed, `nv` channels `v` of the
/// input, `d` its components): the gradient of `b`, from `ca` and `gt`
/// (that of `a` takes [`grad_a_lane_sums`] or the folded way).
/// Vectorised over `v` ([`by_lane_blocks`]); each coefficient `c[k, j, u]`
/// is one broadcast, so `ca` is read in its own layout, with no copy.
#[inline(always)]
fn grad_input_row<T: Real, const N: usize>(
    j0: usize,
    c: &[T],
    gt: &[T],
    sizes: (usize, usize, usize, usize),
    g: &mut [T],
) {
    by_lane_blocks!(T, sizes.1, |v0, W| grad_input_lanes::<T, N, W>(
        (j0, v0),
        c,
        gt,
        sizes,
        g
    ));
}

/// [`grad_input_row`] for the `W` channels `v0..v0 + W`: `N × W` sums in
/// registers, in two chains (even and odd `u`) so that a single `j` is not
/// one long dependent chain. Every slice is cut to its length before the
/// loop, so the loop body is loads, products and sums only.
#[inline(always)]
fn grad_input_lanes<T: Real, const N: usize, const W: usize>(
    (j0, v0): (usize, usize),
    c: &[T],
    gt: &[T],
    (nu, nv, d, dc): (usize, usize, usize, usize),
    g: &mut [T],
) {
    let lanes = |x: &[T]| -> [T; W] { x[v0..v0 + W].try_into().expect("W lanes") };
    let mut even = [[T::ZERO; W]; N];
    let mut odd = [[T::ZERO; W]; N];
    for k in 0..dc {
        // c[k, j0 + q, :] for the N components, each `nu` long, cut to
        // `nu` so that reading channel `u < nu` needs no check.
        // (A plain loop: `array::from_fn` ran out of line, so the
        // slices' lengths were unknown and every read was checked.)
        let mut ck: [&[T]; N] = [&[]; N];
        for (q, ck) in ck.iter_mut().enumerate() {
            *ck = &c[(k * d + j0 + q) * nu..][..nu];
        }
        let gk = &gt[k * nu * nv..][..nu * nv];
        let mut u = 0;
        while u + 2 <= nu {
            let (ge, go) = (lanes(&gk[u * nv..]), lanes(&gk[(u + 1) * nv..]));
            for q in 0..N {
                let (ce, co) = (ck[q][u], ck[q][u + 1]);
                for l in 0..W {
                    even[q][l] = ce.fused_mul_add(ge[l], even[q][l]);
                    odd[q][l] = co.fused_mul_add(go[l], odd[q][l]);
                }
            }
            u += 2;
        }
        if u < nu {
            let ge = lanes(&gk[u * nv..]);
            for q in 0..N {
                let ce = ck[q][u];
                for l in 0..W {
                    even[q][l] = ce.fused_mul_add(ge[l], even[q][l]);
                }
            }
        }
    }
    for q in 0..N {
        let gq: &mut [T; W] = (&mut g[(j0 + q) * nv + v0..][..W])
            .try_into()
            .expect("W lanes");
        for ((y, &e), &o) in gq.iter_mut().zip(&even[q]).zip(&odd[q]) {
            *y = e + o;
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
        way: Option<AGradient>,
    ) -> (Vec<T>, Vec<T>, Vec<T>, Vec<T>) {
        let ((_, _, mc), (_, _, dc)) = (s.muls, s.dims);
        let mut out = vec![T::ZERO; s.rows * mc * dc];
        forward(entries, s, (a, b), w, Store::Overwrite, &mut out);
        let (mut ga, mut gb) = (vec![T::ONE; a.len()], vec![T::ONE; b.len()]);
        let mut gw = vec![T::ONE; w.len()];
        let grads = (Some(&mut ga[..]), Some(&mut gb[..]), Some(&mut gw[..]));
        match way {
            None => backward(
                entries,
                s,
                (a, b),
                w,
                g,
                grads,
                (Store::Accumulate, Store::Accumulate),
            ),
            Some(way) => backward_by(entries, s, (a, b), w, g, grads, way, (false, false)),
        }
        let less_one = |v: Vec<T>| v.into_iter().map(|x| x - T::ONE).collect();
        (out, less_one(ga), less_one(gb), less_one(gw))
    }

    /// The largest difference relative to `want`'s largest magnitude; a NaN
    /// anywhere, or a length mismatch, is an infinite error (`f64::max` alone
    /// would pass over a NaN).
    fn worst_error<T: Real>(got: &[T], want: &[T]) -> f64 {
        if got.len() != want.len() {
            return f64::INFINITY;
        }
        let scale = want.iter().map(|x| x.value().abs()).fold(1.0, f64::max);
        got.iter()
            .zip(want)
            .map(|(x, y)| (*x - *y).value().abs() / scale)
            .map(|e| if e.is_nan() { f64::INFINITY } else { e })
            .fold(0.0, f64::max)
    }

    fn check<T: Real>(entries: &[Entry<T>], s: &FcShape, tol: f64) -> Vec<Vec<T>> {
        check_by(entries, s, tol, None)
    }

    fn check_by<T: Real>(
        entries: &[Entry<T>],
        s: &FcShape,
        tol: f64,
        way: Option<AGradient>,
    ) -> Vec<Vec<T>> {
        let ((ma, mb, mc), (da, db, dc)) = (s.muls, s.dims);
        let a = data::<T>(s.rows * ma * da, 1.0);
        let b = data::<T>(s.rows * mb * db, 2.0);
        let w = data::<T>(ma * mb * mc, 3.0);
        let g = data::<T>(s.rows * mc * dc, 4.0);
        let inputs = (&a[..], &b[..], &w[..], &g[..]);
        let (want, got) = (naive(entries, s, inputs), kernel(entries, s, inputs, way));
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
    fn overwritten_gradients_ignore_what_the_buffers_held() {
        // NaN in the buffers: any element neither cleared before it is
        // summed into nor written stays NaN. 1 ⊗ 2 → 1 (folded into `b`,
        // `a`'s gradient by lane sums), 2 ⊗ 1 → 1, 0 ⊗ 1 → 1 (`a`'s
        // gradient the folded way, `b`'s from `a · W`), 1 ⊗ 0 → 1
        // (swapped for the backward) and 1 ⊗ 1 → 2 (the folded way with
        // three components); 2100 rows split across cores in blocks.
        for (la, lb, lc) in [(1, 2, 1), (2, 1, 1), (0, 1, 1), (1, 0, 1), (1, 1, 2)] {
            let entries = coupling::<f64>(la, lb, lc, 0.3);
            let dims = (
                2 * la as usize + 1,
                2 * lb as usize + 1,
                2 * lc as usize + 1,
            );
            for (rows, muls) in [(3, (18, 20, 5)), (2100, (16, 16, 16))] {
                let s = FcShape { rows, muls, dims };
                let ((ma, mb, mc), (da, db, dc)) = (s.muls, s.dims);
                let a = data::<f64>(rows * ma * da, 1.0);
                let b = data::<f64>(rows * mb * db, 2.0);
                let w = data::<f64>(ma * mb * mc, 3.0);
                let g = data::<f64>(rows * mc * dc, 4.0);
                let want = naive(&entries, &s, (&a, &b, &w, &g));
                let (mut ga, mut gb) = (vec![f64::NAN; a.len()], vec![f64::NAN; b.len()]);
                let mut gw = vec![0.0; w.len()];
                let grads = (Some(&mut ga[..]), Some(&mut gb[..]), Some(&mut gw[..]));
                let stores = (Store::Overwrite, Store::Overwrite);
                backward(&entries, &s, (&a, &b), &w, &g, grads, stores);
                for (name, got, want) in [("a", &ga, &want.1), ("b", &gb, &want.2)] {
                    let err = worst_error(got, want);
                    assert!(err < 1e-12, "grad {name} of {s:?}: error {err:e}");
                }
            }
        }
    }

    #[test]
    fn blocks_and_the_parallel_split_match_the_defining_sums() {
        // 2 ⊗ 1 → 1 with channels (5, 7, 3): 312-row blocks, and 2100 rows
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
    fn either_input_contracted_first_and_partial_lane_chunks() {
        // 1 ⊗ 2 → 1 folds the coupling into `b` (fewer components in `a`),
        // 2 ⊗ 1 → 1 into `a`; 18, 20, 27 and 9 channels leave partial
        // blocks of lanes, 2100 rows are split across cores.
        for (la, lb) in [(1, 2), (2, 1)] {
            let entries = coupling::<f64>(la, lb, 1, 0.3);
            let dims = (2 * la as usize + 1, 2 * lb as usize + 1, 3);
            for (rows, muls) in [(3, (18, 20, 5)), (3, (9, 27, 5)), (2100, (3, 5, 2))] {
                check(&entries, &FcShape { rows, muls, dims }, 1e-12);
            }
        }
        // `4 ⊗ 4 → 2` and `5 ⊗ 4 → 3` contract over 9 components, above
        // the constant trip counts; 27 channels: blocks of 16, 8 and 1.
        // `0 ⊗ 4 → 4`: `b`'s gradient from `a · W` and the folded way with
        // 9 components of `b` and of the output.
        for (la, lb, lc) in [(4, 4, 2), (5, 4, 3), (0, 4, 4)] {
            let entries = coupling::<f64>(la, lb, lc, 0.3);
            let dims = (
                2 * la as usize + 1,
                2 * lb as usize + 1,
                2 * lc as usize + 1,
            );
            check(
                &entries,
                &FcShape {
                    rows: 3,
                    muls: (4, 27, 3),
                    dims,
                },
                1e-12,
            );
        }
    }

    #[test]
    fn channel_counts_of_whole_registers() {
        // 8, 16 and 32 channels take the folds with constant widths and
        // whole lane blocks only, in either input; both contraction
        // orders, f64 and f32.
        for (la, lb, lc) in [(0, 2, 2), (1, 2, 1), (2, 1, 3), (2, 2, 2)] {
            let dims = (2 * la + 1, 2 * lb + 1, 2 * lc + 1);
            for muls in [(16, 8, 32), (32, 16, 8), (8, 32, 16)] {
                let s = FcShape {
                    rows: 40,
                    muls,
                    dims,
                };
                let entries = coupling::<f64>(la as u32, lb as u32, lc as u32, 0.3);
                check(&entries, &s, 1e-12);
                let entries = coupling::<f32>(la as u32, lb as u32, lc as u32, 0.3);
                check(&entries, &s, 1e-4);
            }
        }
    }

    #[test]
    fn a_smaller_second_input_swaps_the_inputs_of_the_backward() {
        // `1o ⊗ 0e → 1o` and `2e ⊗ 0e → 2e` run swapped (the scalar
        // input's gradient folded), `0e ⊗ 1o → 1o` and `1o ⊗ 1o → 1o` not;
        // the swapped ones still match the defining sums, `W`'s gradient
        // reordered back, with non-square channel counts.
        let shape = |la: usize, lb: usize, lc: usize| FcShape {
            rows: 2100,
            muls: (7, 5, 3),
            dims: (2 * la + 1, 2 * lb + 1, 2 * lc + 1),
        };
        for t in [(1, 0, 1), (2, 0, 2)] {
            assert!(swap_for_backward(&shape(t.0, t.1, t.2), true));
            assert!(!swap_for_backward(&shape(t.0, t.1, t.2), false));
            let entries = coupling::<f64>(t.0 as u32, t.1 as u32, t.2 as u32, 0.3);
            check(&entries, &shape(t.0, t.1, t.2), 1e-12);
            let entries = coupling::<f32>(t.0 as u32, t.1 as u32, t.2 as u32, 0.3);
            check(&entries, &shape(t.0, t.1, t.2), 1e-4);
        }
        for t in [(0, 1, 1), (1, 1, 1)] {
            assert!(!swap_for_backward(&shape(t.0, t.1, t.2), true));
        }
    }

    #[test]
    fn every_way_of_the_gradient_of_a() {
        // Each way on paths where `a` has fewer, as many and more
        // components than the output; channel counts that leave blocks of
        // 8 lanes and single lanes after the full blocks (27 = 16 + 8 + 3,
        // 9 = 8 + 1, 18, 20, 17); 2100 rows split across cores.
        let ways = [AGradient::LaneSums, AGradient::Folded];
        for (la, lb, lc) in [(0, 2, 2), (1, 1, 1), (2, 1, 1)] {
            let entries = coupling::<f64>(la, lb, lc, 0.3);
            let dims = (
                2 * la as usize + 1,
                2 * lb as usize + 1,
                2 * lc as usize + 1,
            );
            for (rows, muls) in [(3, (18, 20, 17)), (3, (9, 27, 5)), (2100, (3, 5, 2))] {
                for way in ways {
                    check_by(&entries, &FcShape { rows, muls, dims }, 1e-12, Some(way));
                }
            }
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
        // A one-component `a` (b's gradient from `a · W`), entries that
        // skip k = 2 and meet k = 1 twice.
        let raw = [
            (0, 1, 0, 0.5),
            (0, 0, 1, 2.0),
            (0, 1, 1, -1.25),
            (0, 1, 3, 0.75),
        ];
        let entries: Vec<Entry<Dual<f64>>> = raw
            .iter()
            .map(|&(i, j, k, c)| Entry {
                i,
                j,
                k,
                c: Dual::new(c, 0.1 * c),
            })
            .collect();
        let s = FcShape {
            rows: 30,
            muls: (4, 3, 2),
            dims: (1, 2, 4),
        };
        assert_eq!(a_gradient_way(&s, true), AGradient::Folded);
        check(&entries, &s, 1e-12);
    }
}
