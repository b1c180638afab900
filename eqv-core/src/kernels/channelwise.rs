//! The channel-wise (`uvu`) tensor product, one path at a time:
//!
//! ```text
//! out[r, u, k] =  Σ_v w[r, u, v] · Σ_ij c_ijk a[r, u, i] b[r, v, j]
//! ```
//!
//! The second input (an edge's spherical harmonics) is the same for every
//! channel `u` of a row, so the Clebsch-Gordan contraction with it is done
//! once per row: `M_v[i, k] = Σ_j c_ijk b[r, v, j]`, a dense
//! `dim A × dim C` matrix. What is left per channel is a fixed-size
//! matrix-vector product, `out[u] = Σ_v w[u, v] · a[u] M_v`, whose trip
//! counts are constants for every irrep up to `L = 2` (the loops unroll and
//! no index is loaded from memory), with a run-time-sized fallback above
//! (see `dispatch_dims_to_l2`).
//! The gradients reuse the same `M_v`.
//!
//! The fixed-size kernels run inside [`vectorized_or`], so they are
//! compiled for the widest vector instructions the CPU has (AVX2 or
//! AVX-512) rather than for baseline SSE2; a CPU with neither runs the
//! run-time-sized kernel (`forward_dyn`, `backward_dyn`). Moving each
//! row's channels innermost, as the fused convolution does, was tried and
//! doubled the forward's instructions: with 8–32 channels per path the
//! per-row transposes cost more than the lanes they fill (so did, in
//! session 18, groups of two 8-channel rows in 16 lanes with the
//! transposes as AVX-512 permutes). The exception is the pullback when `a`
//! has one component (`backward_row_single`): such a row already is in
//! that layout, and there the lanes turn the sums over the channels from
//! chains of dependent additions into vector operations. The pullback of
//! `1o` rows of 8 channels is the other: with a weight per channel, each
//! of its rows' gradients is a sum over the channels too, and in `f32`
//! and `f64` on AVX-512 those rows (forward and pullback) run in groups
//! with a `(row, channel)` pair per lane ([`super::row_groups`], with the
//! permutes written as intrinsics).
//!
//! Weights and outputs are addressed by channel offsets, so the paths of a
//! whole layer read one weight array and write one output array without
//! slicing or concatenating copies.

use super::channel_steps::{row_backward, row_channels_inner};
use super::coupling::{self, Entry, PathCoupling, BY_B_LANES};
use super::gemm::Store;
use super::parallel;
use super::simd::vectorized_or;
use crate::real::Real;
use crate::tape::GradBufs;

/// The shapes and offsets of one path, as the kernels address them.
#[derive(Clone, Copy, Debug)]
pub struct PathShape {
    /// Rows (edges).
    pub rows: usize,
    /// Channels of the first input, `u`.
    pub mul: usize,
    /// Channels of the second input, `v`.
    pub mul_b: usize,
    /// Components of the first input, second input and output.
    pub dims: (usize, usize, usize),
    /// Weights per row in the weight array, and where this path's start.
    pub w_row: usize,
    /// Offset of this path's weights within a row (`u · mul_b + v` from here).
    pub w_offset: usize,
    /// Channels per row of the output array, and where this path's start.
    pub out_mul: usize,
    /// Offset of this path's channels within an output row.
    pub out_offset: usize,
}

impl PathShape {
    /// The same path on `rows` rows (a block of the rows, its arrays
    /// sliced from its first row).
    fn rows_from(&self, rows: usize) -> Self {
        PathShape { rows, ..*self }
    }
}

/// `M[i, k] = Σ_j c_ijk b[j]` for one row and one `v`, as a fixed-size
/// array the channel loop keeps in registers, from the path's dense
/// coupling (`[dim B][DA][DC]`, see [`coupling::dense`]): one multiply-add of the
/// whole matrix per component of `b`, branch-free, every sum in a
/// register. (Summed from the sparse entries, each entry cost a compare
/// and a store at a run-time index, and the matrix's first read waited on
/// those stores: about a quarter of the convolution's time.)
#[inline(always)]
pub(super) fn row_matrix<T: Real, const DA: usize, const DC: usize>(
    dense: &[T],
    b: &[T],
) -> [[T; DC]; DA] {
    let mut m = [[T::ZERO; DC]; DA];
    for (cj, &bj) in dense.chunks_exact(DA * DC).zip(b) {
        for i in 0..DA {
            for k in 0..DC {
                m[i][k] = cj[i * DC + k].fused_mul_add(bj, m[i][k]);
            }
        }
    }
    m
}

/// `g[j] += Σ_ik c_ijk gM[i, k]` (`gM` row-major, `DA × DC`; with
/// `write`, `g[j] =`, what `g` held not read): the
/// pullback of [`row_matrix`] to the row's `b`, from the coupling with
/// `b`'s component innermost ([`coupling::dense_by_b`]): for up to
/// [`BY_B_LANES`] components of `b`, one multiply-add of a whole register
/// per `(i, k)`, summed over `k` for each `i` (`dim A` independent
/// chains of additions rather than one of `dim A · dim C`), then over `i`.
#[inline(always)]
pub(super) fn row_matrix_pullback<T: Real, const DA: usize, const DC: usize>(
    dense_by_b: &[T],
    gm: &[T],
    g: &mut [T],
    write: bool,
) {
    let db = g.len();
    let gm = &gm[..DA * DC];
    // A one-component `b` (a `0e` harmonic) sums its one lane alone: all
    // lanes cost eight times the multiply-adds, which the compiler left
    // scalar (about a quarter of a `1o ⊗ 0e → 1o` pullback).
    if db == 1 {
        return padded_pullback::<T, DA, DC, 1>(dense_by_b, gm, g, write);
    }
    if db <= BY_B_LANES {
        return padded_pullback::<T, DA, DC, BY_B_LANES>(dense_by_b, gm, g, write);
    }
    // Above `BY_B_LANES` components the rows are `db` long, unpadded.
    let c = &dense_by_b[..DA * DC * db];
    for (j, gj) in g.iter_mut().enumerate() {
        let mut dot = T::ZERO;
        for (ik, &x) in gm.iter().enumerate() {
            dot = c[ik * db + j].fused_mul_add(x, dot);
        }
        *gj = if write { dot } else { *gj + dot };
    }
}

/// [`row_matrix_pullback`] from the coupling padded to [`BY_B_LANES`]
/// per `(i, k)`, over its first `L` lanes (`L ≥ g.len()`). Written
/// rather than added with `write`: a row of `b`'s gradient is a few numbers,
/// and zeroing them just before adding made each row's load wait on the
/// zeroing stores (a store-forwarding stall).
#[inline(always)]
fn padded_pullback<T: Real, const DA: usize, const DC: usize, const L: usize>(
    dense_by_b: &[T],
    gm: &[T],
    g: &mut [T],
    write: bool,
) {
    let c = &dense_by_b[..DA * DC * BY_B_LANES];
    let mut acc = [[T::ZERO; L]; DA];
    for (i, acc) in acc.iter_mut().enumerate() {
        for k in 0..DC {
            let (row, x) = (&c[(i * DC + k) * BY_B_LANES..][..L], gm[i * DC + k]);
            for (a, &c) in acc.iter_mut().zip(row) {
                *a = c.fused_mul_add(x, *a);
            }
        }
    }
    let mut sums = [T::ZERO; L];
    for (j, sum) in sums.iter_mut().enumerate() {
        *sum = acc[0][j];
        for acc in &acc[1..] {
            *sum += acc[j];
        }
    }
    if write {
        write_lanes(g, &sums);
    } else {
        for (gj, &sum) in g.iter_mut().zip(&sums) {
            *gj += sum;
        }
    }
}

/// `g = s[..g.len()]` for the lengths of a harmonic (`2l + 1`) as
/// fixed-size moves: a copy of run-time length is a call to `memcpy`,
/// which cost a fifth of a `1o ⊗ 1o → 0e` pullback for its three numbers.
#[inline(always)]
fn write_lanes<T: Copy, const L: usize>(g: &mut [T], s: &[T; L]) {
    #[inline(always)]
    fn fixed<T: Copy, const N: usize>(g: &mut [T], s: &[T]) {
        let g: &mut [T; N] = g.try_into().expect("N numbers");
        *g = s[..N].try_into().expect("N numbers");
    }
    match g.len() {
        1 => fixed::<T, 1>(g, s),
        3 => fixed::<T, 3>(g, s),
        5 => fixed::<T, 5>(g, s),
        7 => fixed::<T, 7>(g, s),
        n => g.copy_from_slice(&s[..n]),
    }
}

/// [`row_matrix`] for every `v` of row `r`, into `m` (`[mul_b][DA][DC]`,
/// every number written).
fn row_matrices<T: Real, const DA: usize, const DC: usize>(
    dense: &[T],
    s: &PathShape,
    b: &[T],
    r: usize,
    m: &mut [T],
) {
    let db = s.dims.1;
    let bs = &b[r * s.mul_b * db..][..s.mul_b * db];
    for (mv, bv) in m.chunks_exact_mut(DA * DC).zip(bs.chunks_exact(db)) {
        mv.copy_from_slice(row_matrix::<T, DA, DC>(dense, bv).as_flattened());
    }
}

/// The forward pass of one path with constant dimensions, compiled for the
/// widest vector instructions the CPU has, or [`forward_dyn`] on a CPU
/// without AVX2 ([`vectorized_or`]).
fn forward_fixed<T: Real, const DA: usize, const DC: usize>(
    c: PathCoupling<'_, T>,
    s: &PathShape,
    inputs: (&[T], &[T], &[T]),
    out: &mut [T],
) {
    vectorized_or(
        out,
        #[inline(always)]
        |out| forward_fixed_body::<T, DA, DC>(c, s, inputs, out),
        |out| forward_dyn(c, s, inputs, out),
    )
}

#[inline(always)]
fn forward_fixed_body<T: Real, const DA: usize, const DC: usize>(
    c: PathCoupling<'_, T>,
    s: &PathShape,
    (a, b, w): (&[T], &[T], &[T]),
    out: &mut [T],
) {
    let db = s.dims.1;
    let mut m = vec![T::ZERO; s.mul_b * DA * DC];
    // Rows this number type runs in groups (`row_groups`), then the rest.
    let first = T::group_forward::<DA, DC>(c, s, (a, b, w), out);
    for r in first..s.rows {
        let wr = &w[r * s.w_row + s.w_offset..][..s.mul * s.mul_b];
        let ar = &a[r * s.mul * DA..][..s.mul * DA];
        let or = &mut out[(r * s.out_mul + s.out_offset) * DC..][..s.mul * DC];
        if s.mul_b == 1 {
            // The common case (edge harmonics): M in registers, one weight
            // per channel.
            let mr = row_matrix::<T, DA, DC>(c.dense, &b[r * db..][..db]);
            forward_row_single::<T, DA, DC, false>(&mr, ar, wr, or);
            continue;
        }
        row_matrices::<T, DA, DC>(c.dense, s, b, r, &mut m);
        for ((x, o), wu) in ar
            .chunks_exact(DA)
            .zip(or.chunks_exact_mut(DC))
            .zip(wr.chunks_exact(s.mul_b))
        {
            let mut acc = [T::ZERO; DC];
            for (mv, &wuv) in m.chunks_exact(DA * DC).zip(wu) {
                for i in 0..DA {
                    let xi = wuv * x[i];
                    for k in 0..DC {
                        acc[k] = xi.fused_mul_add(mv[i * DC + k], acc[k]);
                    }
                }
            }
            o.copy_from_slice(&acc);
        }
    }
}

/// One row with one weight per channel: `out[u] (+)= w[u] · a[u] M`
/// (`ACC`: add into `out`, else overwrite it).
#[inline(always)]
fn forward_row_single<T: Real, const DA: usize, const DC: usize, const ACC: bool>(
    mr: &[[T; DC]; DA],
    ar: &[T],
    wr: &[T],
    or: &mut [T],
) {
    for ((x, o), &wu) in ar.chunks_exact(DA).zip(or.chunks_exact_mut(DC)).zip(wr) {
        let mut acc = [T::ZERO; DC];
        for i in 0..DA {
            for k in 0..DC {
                acc[k] = x[i].fused_mul_add(mr[i][k], acc[k]);
            }
        }
        for k in 0..DC {
            o[k] = if ACC {
                wu.fused_mul_add(acc[k], o[k])
            } else {
                wu * acc[k]
            };
        }
    }
}

/// The pullback of one path with constant dimensions: adds the gradients of
/// `a`, `b` and `w` into the buffers given (each optional; written instead
/// where `write` says so), compiled as [`forward_fixed`] ([`backward_dyn`]
/// on a CPU without AVX2).
#[allow(clippy::too_many_arguments)]
fn backward_fixed<T: Real, const DA: usize, const DC: usize>(
    c: PathCoupling<'_, T>,
    s: &PathShape,
    inputs: (&[T], &[T], &[T]),
    gout: &[T],
    (ga, gb, gw): GradBufs<'_, T>,
    write: [bool; 3],
) {
    vectorized_or(
        (ga, gb, gw),
        #[inline(always)]
        |grads| backward_fixed_body::<T, DA, DC>(c, s, inputs, gout, grads, write),
        |grads| backward_dyn(c, s, inputs, gout, grads, write),
    )
}

#[inline(always)]
fn backward_fixed_body<T: Real, const DA: usize, const DC: usize>(
    c: PathCoupling<'_, T>,
    s: &PathShape,
    (a, b, w): (&[T], &[T], &[T]),
    gout: &[T],
    (mut ga, mut gb, mut gw): GradBufs<'_, T>,
    [write_a, write_b, write_w]: [bool; 3],
) {
    let db = s.dims.1;
    debug_assert!(
        s.mul_b == 1 || !(write_a || write_b || write_w),
        "only the rows with one weight per channel write their gradients"
    );
    let n = DA * DC;
    let mut m = vec![T::ZERO; s.mul_b * n];
    let mut gm = vec![T::ZERO; s.mul_b * n];
    let mut go_inner = vec![T::ZERO; s.mul * DC];
    // Rows this number type runs in groups (`row_groups`: `1o` rows of 8
    // channels in `f32` and `f64` on AVX-512); the others one at a time.
    let first = T::group_backward::<DA, DC>(
        c,
        s,
        (a, b, w),
        gout,
        (ga.as_deref_mut(), gb.as_deref_mut(), gw.as_deref_mut()),
        [write_a, write_b, write_w],
    );
    for r in first..s.rows {
        let wr = &w[r * s.w_row + s.w_offset..][..s.mul * s.mul_b];
        let ar = &a[r * s.mul * DA..][..s.mul * DA];
        let gr = &gout[(r * s.out_mul + s.out_offset) * DC..][..s.mul * DC];
        if s.mul_b == 1 {
            let gmr = backward_row_single::<T, DA, DC>(
                &row_matrix::<T, DA, DC>(c.dense, &b[r * db..][..db]),
                (ar, wr, gr),
                ga.as_deref_mut()
                    .map(|ga| &mut ga[r * s.mul * DA..][..s.mul * DA]),
                gw.as_deref_mut()
                    .map(|gw| &mut gw[r * s.w_row + s.w_offset..][..s.mul]),
                gb.is_some(),
                &mut go_inner,
                (write_a, write_w),
            );
            if let Some(gb) = gb.as_deref_mut() {
                let g = &mut gb[r * db..][..db];
                row_matrix_pullback::<T, DA, DC>(c.dense_by_b, gmr.as_flattened(), g, write_b);
            }
            continue;
        }
        gm.fill(T::ZERO);
        row_matrices::<T, DA, DC>(c.dense, s, b, r, &mut m);
        backward_row_general::<T, DA, DC>(
            s,
            &m,
            (ar, wr, gr),
            ga.as_deref_mut()
                .map(|ga| &mut ga[r * s.mul * DA..][..s.mul * DA]),
            gw.as_deref_mut()
                .map(|gw| &mut gw[r * s.w_row + s.w_offset..][..s.mul * s.mul_b]),
            gb.is_some().then_some(&mut gm[..]),
        );
        if let Some(gb) = gb.as_deref_mut() {
            // gb[r, v, j] = Σ_ik c_ijk gM_v[i, k]
            for v in 0..s.mul_b {
                let g = &mut gb[(r * s.mul_b + v) * db..][..db];
                row_matrix_pullback::<T, DA, DC>(c.dense_by_b, &gm[v * n..], g, false);
            }
        }
    }
}

/// One row of the pullback with one weight per channel (`mul_b = 1`):
/// adds the gradients of `a` and `w` and returns `gM[i, k] = Σ_u w[u]
/// a[u, i] go[u, k]` (zeros unless `want_gm`).
///
/// With a one-component `a`, the row is already in `a`'s channels-innermost
/// layout, so the channels-innermost step of the convolution
/// ([`row_backward`]) runs on it directly (the output gradient moved into
/// that layout when it has more than one component): every sum over the
/// channels runs in vector lanes. In the rows' own layout `gM`'s sum over
/// the channels is one chain of dependent additions per entry (32
/// channels: 32 additions in turn, for `f32` as for `f64`). With more
/// components, `a` and its gradient would be moved too, and for the 8
/// channels typical of `l ≥ 1` features the moves cost more than the lanes
/// gain (measured: the three row transposes took more time than the whole
/// pullback of a `1o ⊗ 2e → 1o` path), so those rows run
/// [`backward_row_outer`] (unless they are in groups, see
/// [`super::row_groups`]). `write` (for `ga`, `gw`): the gradient is
/// written rather than added.
#[inline(always)]
fn backward_row_single<T: Real, const DA: usize, const DC: usize>(
    mr: &[[T; DC]; DA],
    (ar, wr, gr): (&[T], &[T], &[T]),
    ga: Option<&mut [T]>,
    gw: Option<&mut [T]>,
    want_gm: bool,
    go_inner: &mut [T],
    write: (bool, bool),
) -> [[T; DC]; DA] {
    if DA > 1 {
        return backward_row_outer::<T, DA, DC>(mr, (ar, wr, gr), ga, gw, want_gm, write);
    }
    let go = if DC == 1 {
        gr
    } else {
        row_channels_inner::<T, DC>(gr, go_inner);
        &go_inner[..gr.len()]
    };
    row_backward::<T, DA, DC>(mr, (ar, wr, go), ga, gw, want_gm, write)
}

/// [`backward_row_single`] in the rows' own layout: `M` in registers, each
/// gradient's loop separate so none has a branch inside.
#[inline(always)]
fn backward_row_outer<T: Real, const DA: usize, const DC: usize>(
    mr: &[[T; DC]; DA],
    (ar, wr, gr): (&[T], &[T], &[T]),
    ga: Option<&mut [T]>,
    gw: Option<&mut [T]>,
    want_gm: bool,
    (write_a, write_w): (bool, bool),
) -> [[T; DC]; DA] {
    // h[u, i] = Σ_k M[i, k] go[u, k]: the pullback through M, needed by a and w.
    let h = |go: &[T]| {
        let mut h = [T::ZERO; DA];
        for i in 0..DA {
            for k in 0..DC {
                h[i] = mr[i][k].fused_mul_add(go[k], h[i]);
            }
        }
        h
    };
    if let Some(ga) = ga {
        let rows = ga.chunks_exact_mut(DA).zip(gr.chunks_exact(DC)).zip(wr);
        // One loop per case rather than the test inside one loop: with
        // the test inside, the compiler vectorised the loop over the
        // channels as masked gathers and scatters of the stride-`DA`
        // numbers (measured: `f32` slower than `f64`).
        if write_a {
            for ((g, go), &wu) in rows {
                let h = h(go);
                for i in 0..DA {
                    g[i] = wu * h[i];
                }
            }
        } else {
            for ((g, go), &wu) in rows {
                let h = h(go);
                for i in 0..DA {
                    g[i] = wu.fused_mul_add(h[i], g[i]);
                }
            }
        }
    }
    if let Some(gw) = gw {
        for ((g, go), x) in gw
            .iter_mut()
            .zip(gr.chunks_exact(DC))
            .zip(ar.chunks_exact(DA))
        {
            let h = h(go);
            let mut dot = T::ZERO;
            for i in 0..DA {
                dot = x[i].fused_mul_add(h[i], dot);
            }
            *g = if write_w { dot } else { *g + dot };
        }
    }
    // gM[i, k] = Σ_u w[u] x[u, i] go[u, k]
    let mut acc = [[T::ZERO; DC]; DA];
    if want_gm {
        for ((x, go), &wu) in ar.chunks_exact(DA).zip(gr.chunks_exact(DC)).zip(wr) {
            for i in 0..DA {
                let xi = wu * x[i];
                for k in 0..DC {
                    acc[i][k] = xi.fused_mul_add(go[k], acc[i][k]);
                }
            }
        }
    }
    acc
}

/// One row of the pullback for any number of weights per channel.
#[inline(always)]
fn backward_row_general<T: Real, const DA: usize, const DC: usize>(
    s: &PathShape,
    m: &[T],
    (ar, wr, gr): (&[T], &[T], &[T]),
    mut ga: Option<&mut [T]>,
    mut gw: Option<&mut [T]>,
    mut gm: Option<&mut [T]>,
) {
    let n = DA * DC;
    for u in 0..s.mul {
        let x = &ar[u * DA..][..DA];
        let go = &gr[u * DC..][..DC];
        let mut gx = [T::ZERO; DA];
        for v in 0..s.mul_b {
            let mv = &m[v * n..][..n];
            let wuv = wr[u * s.mul_b + v];
            // h[i] = Σ_k M_v[i, k] go[k]: the pullback through M_v.
            let mut h = [T::ZERO; DA];
            for i in 0..DA {
                for k in 0..DC {
                    h[i] = mv[i * DC + k].fused_mul_add(go[k], h[i]);
                }
            }
            if let Some(gw) = gw.as_deref_mut() {
                let mut dot = T::ZERO;
                for i in 0..DA {
                    dot = x[i].fused_mul_add(h[i], dot);
                }
                gw[u * s.mul_b + v] += dot;
            }
            for i in 0..DA {
                gx[i] = wuv.fused_mul_add(h[i], gx[i]);
            }
            if let Some(gm) = gm.as_deref_mut() {
                let gmv = &mut gm[v * n..][..n];
                for i in 0..DA {
                    let xi = wuv * x[i];
                    for k in 0..DC {
                        gmv[i * DC + k] = xi.fused_mul_add(go[k], gmv[i * DC + k]);
                    }
                }
            }
        }
        if let Some(ga) = ga.as_deref_mut() {
            let g = &mut ga[u * DA..][..DA];
            for i in 0..DA {
                g[i] += gx[i];
            }
        }
    }
}

/// Calls `$f::<T, DA, DC>` for the constant dimensions of irreps up to
/// `L = 3`, or the run-time-sized fallback `$dyn` above.
macro_rules! dispatch_dims {
    ($da:expr, $dc:expr, $f:ident, $dyn:ident, $($arg:expr),*) => {
        match ($da, $dc) {
            (1, 1) => $f::<T, 1, 1>($($arg),*),
            (1, 3) => $f::<T, 1, 3>($($arg),*),
            (1, 5) => $f::<T, 1, 5>($($arg),*),
            (1, 7) => $f::<T, 1, 7>($($arg),*),
            (3, 1) => $f::<T, 3, 1>($($arg),*),
            (3, 3) => $f::<T, 3, 3>($($arg),*),
            (3, 5) => $f::<T, 3, 5>($($arg),*),
            (3, 7) => $f::<T, 3, 7>($($arg),*),
            (5, 1) => $f::<T, 5, 1>($($arg),*),
            (5, 3) => $f::<T, 5, 3>($($arg),*),
            (5, 5) => $f::<T, 5, 5>($($arg),*),
            (5, 7) => $f::<T, 5, 7>($($arg),*),
            (7, 1) => $f::<T, 7, 1>($($arg),*),
            (7, 3) => $f::<T, 7, 3>($($arg),*),
            (7, 5) => $f::<T, 7, 5>($($arg),*),
            (7, 7) => $f::<T, 7, 7>($($arg),*),
            _ => $dyn::<T>($($arg),*),
        }
    };
}
pub(super) use dispatch_dims;

/// [`dispatch_dims`] up to `L = 2`: the fixed-size shapes of kernels whose
/// callers carry features up to `L = 2` (this file's stand-alone product,
/// which no model of the zoo uses, and the dual convolution of force
/// training). A fixed-size kernel's code grows with its shape, and the
/// seven shapes with `L = 3` were 43 % of the dual convolution's LLVM IR
/// and, unrolled, most of the compile time of a crate that runs the
/// stand-alone product. Those products run through the run-time-sized
/// kernel: the same sums to rounding, about 1.6× the time (f32, forward +
/// backward, 20 000 rows of 16 channels).
macro_rules! dispatch_dims_to_l2 {
    ($da:expr, $dc:expr, $f:ident, $dyn:ident, $($arg:expr),*) => {
        match ($da, $dc) {
            (1, 1) => $f::<T, 1, 1>($($arg),*),
            (1, 3) => $f::<T, 1, 3>($($arg),*),
            (1, 5) => $f::<T, 1, 5>($($arg),*),
            (3, 1) => $f::<T, 3, 1>($($arg),*),
            (3, 3) => $f::<T, 3, 3>($($arg),*),
            (3, 5) => $f::<T, 3, 5>($($arg),*),
            (5, 1) => $f::<T, 5, 1>($($arg),*),
            (5, 3) => $f::<T, 5, 3>($($arg),*),
            (5, 5) => $f::<T, 5, 5>($($arg),*),
            _ => $dyn::<T>($($arg),*),
        }
    };
}
pub(super) use dispatch_dims_to_l2;

/// Writes the path's output channels of `out` (see the module docs for the
/// layout); what was there is overwritten.
pub fn forward<T: Real>(
    entries: &[Entry<T>],
    s: &PathShape,
    inputs: (&[T], &[T], &[T]),
    out: &mut [T],
) {
    let (da, db, dc) = s.dims;
    let (a, b, w) = inputs;
    coupling::with_both_forms(entries, s.dims, |c| {
        // Rows are independent: large products are split across cores.
        parallel::rows_mut(out, s.out_mul * dc, s.rows, |r0, n, out| {
            let s = &s.rows_from(n);
            let inputs = (
                &a[r0 * s.mul * da..],
                &b[r0 * s.mul_b * db..],
                &w[r0 * s.w_row..],
            );
            dispatch_dims_to_l2!(da, dc, forward_fixed, forward_dyn, c, s, inputs, out)
        });
    });
}

/// Rows the pullback clears and sums at a time when a gradient is written
/// rather than added ([`Store::Overwrite`]) but the kernel adds: each
/// stretch of the buffers is cleared while it is in cache, just before the
/// kernel adds into it.
const CLEAR_ROWS: usize = 256;

/// Adds the path's input gradients into `ga`, `gb`, `gw` (those given).
/// A buffer with [`Store::Overwrite`] may hold anything: the path writes
/// every number of its rows. The kernels with one weight per channel
/// write the gradients directly (no clearing pass); those with several
/// add into each stretch of rows cleared just before, as do `w`'s rows
/// that hold other paths' channels too (all of their numbers are
/// cleared).
pub fn backward<T: Real>(
    entries: &[Entry<T>],
    s: &PathShape,
    (a, b, w): (&[T], &[T], &[T]),
    gout: &[T],
    (ga, gb, gw): GradBufs<'_, T>,
    stores: [Store; 3],
) {
    let (da, db, dc) = s.dims;
    let widths = [s.mul * da, s.mul_b * db, s.w_row];
    let clear = stores.map(|st| st == Store::Overwrite);
    // The kernels with one weight per channel write the gradients
    // directly: `a`'s and `b`'s rows (the path covers them whole) and
    // `w`'s when they hold this path's weights only. The others add into
    // gradients cleared here first. (Session 25 measured the direct writes
    // of a `1o` input's gradient as slower than clearing and adding; the
    // cause was `b`'s row, zeroed just before the pullback added into it,
    // whose loads then waited on the zeroing stores. With `b`'s row
    // written too, the direct writes are 8–10 % faster for the whole
    // product's forward and backward.)
    let direct = s.mul_b == 1;
    let write = [
        direct && clear[0],
        direct && clear[1],
        direct && clear[2] && s.w_row == s.mul,
    ];
    let clear = [0, 1, 2].map(|i| clear[i] && !write[i]);
    coupling::with_both_forms(entries, s.dims, |c| {
        // Every gradient is per row (edge): large products split across cores.
        let bufs = [
            ga.map(|g| (g, widths[0])),
            gb.map(|g| (g, widths[1])),
            gw.map(|g| (g, widths[2])),
        ];
        parallel::rows_mut3(bufs, s.rows, |r0, n, mut grads| {
            let mut done = 0;
            while done < n {
                let (r, m) = (r0 + done, CLEAR_ROWS.min(n - done));
                let s = &s.rows_from(m);
                let inputs = (
                    &a[r * s.mul * da..],
                    &b[r * s.mul_b * db..],
                    &w[r * s.w_row..],
                );
                let gout = &gout[r * s.out_mul * dc..];
                let mut stretch = grads
                    .iter_mut()
                    .zip(widths)
                    .map(|(g, w)| Some(&mut g.as_deref_mut()?[done * w..][..m * w]));
                let (mut ga, mut gb, mut gw) = (
                    stretch.next().flatten(),
                    stretch.next().flatten(),
                    stretch.next().flatten(),
                );
                clear_where(
                    (ga.as_deref_mut(), gb.as_deref_mut(), gw.as_deref_mut()),
                    clear,
                );
                dispatch_dims_to_l2!(
                    da,
                    dc,
                    backward_fixed,
                    backward_dyn,
                    c,
                    s,
                    inputs,
                    gout,
                    (ga, gb, gw),
                    write
                );
                done += m;
            }
        });
    });
}

/// Zeros the gradients that `which` names (before a kernel adds into
/// them where they are to be written).
fn clear_where<T: Real>((ga, gb, gw): GradBufs<'_, T>, which: [bool; 3]) {
    for (g, clear) in [ga, gb, gw].into_iter().zip(which) {
        if let (Some(g), true) = (g, clear) {
            g.fill(T::ZERO);
        }
    }
}

/// The same contraction for any dimensions: entries looped sparsely.
fn forward_dyn<T: Real>(
    c: PathCoupling<'_, T>,
    s: &PathShape,
    (a, b, w): (&[T], &[T], &[T]),
    out: &mut [T],
) {
    let (da, db, dc) = s.dims;
    for r in 0..s.rows {
        for u in 0..s.mul {
            let x = &a[(r * s.mul + u) * da..][..da];
            let o = &mut out[(r * s.out_mul + s.out_offset + u) * dc..][..dc];
            o.fill(T::ZERO);
            for v in 0..s.mul_b {
                let wuv = w[r * s.w_row + s.w_offset + u * s.mul_b + v];
                let y = &b[(r * s.mul_b + v) * db..][..db];
                for e in c.entries {
                    o[e.k] += wuv * e.c * x[e.i] * y[e.j];
                }
            }
        }
    }
}

fn backward_dyn<T: Real>(
    c: PathCoupling<'_, T>,
    s: &PathShape,
    (a, b, w): (&[T], &[T], &[T]),
    gout: &[T],
    (mut ga, mut gb, mut gw): GradBufs<'_, T>,
    write: [bool; 3],
) {
    // This loop adds: the gradients to be written are cleared first.
    clear_where(
        (ga.as_deref_mut(), gb.as_deref_mut(), gw.as_deref_mut()),
        write,
    );
    let (da, db, dc) = s.dims;
    for r in 0..s.rows {
        for u in 0..s.mul {
            let x = &a[(r * s.mul + u) * da..][..da];
            let go = &gout[(r * s.out_mul + s.out_offset + u) * dc..][..dc];
            for v in 0..s.mul_b {
                let wi = r * s.w_row + s.w_offset + u * s.mul_b + v;
                let y = &b[(r * s.mul_b + v) * db..][..db];
                for e in c.entries {
                    let t = e.c * go[e.k];
                    if let Some(ga) = ga.as_deref_mut() {
                        ga[(r * s.mul + u) * da + e.i] += w[wi] * t * y[e.j];
                    }
                    if let Some(gb) = gb.as_deref_mut() {
                        gb[(r * s.mul_b + v) * db + e.j] += w[wi] * t * x[e.i];
                    }
                    if let Some(gw) = gw.as_deref_mut() {
                        gw[wi] += t * x[e.i] * y[e.j];
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::coupling::coupling;

    fn data<T: Real>(n: usize, seed: f64) -> Vec<T> {
        (0..n)
            .map(|i| T::from_f64(((i as f64 + seed) * 0.917).sin()))
            .collect()
    }

    /// The fixed-size kernels of `T` agree with the sparse fallback on
    /// every path up to L = 2, forward and backward (all gradients, and
    /// each alone), with offsets, `mul_b > 1`, and channel counts that are
    /// not multiples of a vector's lanes; the paths with an L = 3 input or
    /// output take the fallback through `forward`/`backward` too
    /// (`dispatch_dims_to_l2`).
    fn fixed_kernels_match_the_sparse_fallback<T: Real>(tol: f64) {
        for (la, lb, lc) in [
            (0, 0, 0),
            (1, 1, 0),
            (0, 1, 1),
            (1, 0, 1),
            (1, 2, 1),
            (2, 2, 3),
            (3, 1, 2),
            (3, 3, 3),
            (1, 1, 2),
        ] {
            let dims = (
                2 * la as usize + 1,
                2 * lb as usize + 1,
                2 * lc as usize + 1,
            );
            let shapes = [
                (4, 1, 3),
                (4, 2, 3),
                (27, 1, 3),
                (9, 3, 3),
                (5, 1, 37),
                (3, 2, 600),
                (8, 1, 7),
                (8, 1, 40),
            ];
            // Weight rows shared with other paths (cleared, then added
            // into) and rows of this path alone (written by the kernels).
            let layouts = shapes.iter().flat_map(|&sh| [(sh, 7, 2), (sh, 0, 0)]);
            for ((mul, mul_b, rows), w_extra, w_offset) in layouts {
                let s = PathShape {
                    rows,
                    mul,
                    mul_b,
                    dims,
                    w_row: mul * mul_b + w_extra,
                    w_offset,
                    out_mul: mul + 2,
                    out_offset: 1,
                };
                let e = coupling::<T>(la, lb, lc, 0.7);
                let dense = crate::kernels::coupling::dense(&e, dims);
                let by_b = crate::kernels::coupling::dense_by_b(&e, dims);
                let c = PathCoupling {
                    entries: &e,
                    dense: &dense,
                    dense_by_b: &by_b,
                };
                let a = data::<T>(s.rows * s.mul * dims.0, 1.0);
                let b = data::<T>(s.rows * s.mul_b * dims.1, 2.0);
                let w = data::<T>(s.rows * s.w_row, 3.0);
                let g = data::<T>(s.rows * s.out_mul * dims.2, 4.0);
                let mut o1 = data::<T>(s.rows * s.out_mul * dims.2, 5.0);
                let mut o2 = o1.clone();
                forward(&e, &s, (&a, &b, &w), &mut o1);
                forward_dyn(c, &s, (&a, &b, &w), &mut o2);
                let close = |x: &[T], y: &[T]| {
                    x.iter()
                        .zip(y)
                        .all(|(p, q)| (p.value() - q.value()).abs() < tol)
                };
                let at = format!(
                    "{la}{lb}{lc} mul {mul} mul_b {mul_b} rows {rows} w_row {}",
                    s.w_row
                );
                assert!(close(&o1, &o2), "forward {at}");
                for wanted in [
                    [true; 3],
                    [true, false, false],
                    [false, true, false],
                    [false, false, true],
                ] {
                    let (mut ga1, mut gb1, mut gw1) = (a.clone(), b.clone(), w.clone());
                    let (mut ga2, mut gb2, mut gw2) = (a.clone(), b.clone(), w.clone());
                    let [wa, wb, ww] = wanted;
                    backward(
                        &e,
                        &s,
                        (&a, &b, &w),
                        &g,
                        (
                            wa.then_some(&mut ga1[..]),
                            wb.then_some(&mut gb1[..]),
                            ww.then_some(&mut gw1[..]),
                        ),
                        [Store::Accumulate; 3],
                    );
                    backward_dyn(
                        c,
                        &s,
                        (&a, &b, &w),
                        &g,
                        (
                            wa.then_some(&mut ga2[..]),
                            wb.then_some(&mut gb2[..]),
                            ww.then_some(&mut gw2[..]),
                        ),
                        [false; 3],
                    );
                    assert!(close(&ga1, &ga2), "gradient of a {at} {wanted:?}");
                    assert!(close(&gb1, &gb2), "gradient of b {at} {wanted:?}");
                    assert!(close(&gw1, &gw2), "gradient of w {at} {wanted:?}");
                    // Written rather than added: buffers of NaN come out as
                    // the gradients alone (`w`'s unused channels zero).
                    let nan = |x: &[T]| vec![T::from_f64(f64::NAN); x.len()];
                    let (mut ga3, mut gb3, mut gw3) = (nan(&a), nan(&b), nan(&w));
                    let zeros = |x: &[T]| vec![T::ZERO; x.len()];
                    let (mut ga4, mut gb4, mut gw4) = (zeros(&a), zeros(&b), zeros(&w));
                    backward(
                        &e,
                        &s,
                        (&a, &b, &w),
                        &g,
                        (
                            wa.then_some(&mut ga3[..]),
                            wb.then_some(&mut gb3[..]),
                            ww.then_some(&mut gw3[..]),
                        ),
                        [Store::Overwrite; 3],
                    );
                    backward_dyn(
                        c,
                        &s,
                        (&a, &b, &w),
                        &g,
                        (
                            wa.then_some(&mut ga4[..]),
                            wb.then_some(&mut gb4[..]),
                            ww.then_some(&mut gw4[..]),
                        ),
                        [false; 3],
                    );
                    for (name, on, x, y) in [
                        ("a", wa, &ga3, &ga4),
                        ("b", wb, &gb3, &gb4),
                        ("w", ww, &gw3, &gw4),
                    ] {
                        if on {
                            assert!(close(x, y), "written gradient of {name} {at} {wanted:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn fixed_kernels_match_the_sparse_fallback_f64() {
        fixed_kernels_match_the_sparse_fallback::<f64>(1e-13);
    }

    #[test]
    fn fixed_kernels_match_the_sparse_fallback_f32() {
        fixed_kernels_match_the_sparse_fallback::<f32>(2e-4);
    }

    /// Dual numbers take the same fixed-size kernels.
    #[test]
    fn fixed_kernels_match_the_sparse_fallback_dual() {
        fixed_kernels_match_the_sparse_fallback::<crate::dual::Dual<f64>>(1e-13);
    }

    /// The pullback to `b` from the padded coupling equals the sum over
    /// the sparse entries, for second inputs of one component (its own
    /// branch), up to `BY_B_LANES` components (one register) and beyond
    /// (`l = 4`: nine).
    #[test]
    fn pullback_to_b_matches_the_entries() {
        let shapes = [
            (1, 0, 1),
            (2, 0, 2),
            (1, 1, 1),
            (1, 2, 1),
            (2, 3, 1),
            (1, 4, 3),
            (2, 4, 2),
        ];
        for (la, lb, lc) in shapes {
            let dims = (2 * la + 1, 2 * lb + 1, 2 * lc + 1);
            let e = coupling::<f64>(la as u32, lb as u32, lc as u32, 0.9);
            let by_b = crate::kernels::coupling::dense_by_b(&e, dims);
            let gm = data::<f64>(dims.0 * dims.2, 6.0);
            let start = data::<f64>(dims.1, 7.0);
            let mut want = start.clone();
            for x in &e {
                want[x.j] += x.c * gm[x.i * dims.2 + x.k];
            }
            let mut got = start.clone();
            match (dims.0, dims.2) {
                (3, 3) => row_matrix_pullback::<f64, 3, 3>(&by_b, &gm, &mut got, false),
                (3, 5) => row_matrix_pullback::<f64, 3, 5>(&by_b, &gm, &mut got, false),
                (5, 3) => row_matrix_pullback::<f64, 5, 3>(&by_b, &gm, &mut got, false),
                (5, 5) => row_matrix_pullback::<f64, 5, 5>(&by_b, &gm, &mut got, false),
                (3, 7) => row_matrix_pullback::<f64, 3, 7>(&by_b, &gm, &mut got, false),
                other => unreachable!("{other:?}"),
            }
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() < 1e-13, "{la}{lb}{lc}: {g} vs {w}");
            }
        }
    }
}
