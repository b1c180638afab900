//! The fused convolution ([`super::convolution`]) on dual numbers, with
//! the primal and tangent parts in separate arrays.
//!
//! The dual pass of force training runs the convolution on `Dual<T>`. On
//! interleaved `(primal, tangent)` pairs the channel steps of
//! [`super::channel_steps`] do not vectorise well: every product of two
//! duals mixes lanes. Here the node features and the output gradient are
//! transposed (channels innermost, as the real kernels have them) into two
//! real arrays each, one per part, and every dual product
//! `(a + εa')(b + εb') = ab + ε(ab' + a'b)` becomes products of real
//! lanes: the primal part is the real kernel's product, the tangent two
//! more of the same shape. The per-edge inputs (the harmonics, the weights)
//! are split on the fly, and the results are added back into the dual
//! arrays. Each part is computed with the very operations, in the same
//! order, of the dual arithmetic of the generic kernels, so the numbers are
//! the same to the bit. The fixed-size kernels stop at `L = 2` (see
//! `channelwise::dispatch_dims_to_l2`); a path with an `L = 3` feature runs
//! the run-time-sized kernel, whose sums agree to rounding. The
//! implementation is generic over the part type, so a dual of duals splits
//! its outer level and recurses.

use super::channel_steps::{by_steps, lane_rows, lanes_mut, STEP, WIDE};
use super::channelwise::{dispatch_dims_to_l2, row_matrix, row_matrix_pullback};
use super::convolution::{
    backward_blocks, forward_blocks, ConvInputs, ConvShape, Convolve, EdgeIndex,
};
use super::coupling::{self, Entry, PathCoupling};
use super::gemm::Store;
use super::lane_sums::sum_lanes;
use super::pool;
use super::simd::vectorized_or;
use crate::dual::Dual;
use crate::real::Real;
use crate::tape::GradBufs;

/// The two parts of a row block, `[rows][d][mul]` each.
type Parts<'a, T> = (&'a [T], &'a [T]);
/// The two parts of a mutable row block.
type PartsMut<'a, T> = (&'a mut [T], &'a mut [T]);
/// The gradient buffers of a block: the node features' split, the edge
/// inputs' and the weights' dual (each when wanted).
type SplitGrads<'a, T> = (
    Option<PartsMut<'a, T>>,
    Option<&'a mut [Dual<T>]>,
    Option<&'a mut [Dual<T>]>,
);

/// `t0[r][k][u] = x[r][offset + u][k].re` and `t1` the same of `.eps`: the
/// transpose of `channels_inner_at` into one array per part.
fn split_channels_inner<T: Real>(
    x: &[Dual<T>],
    (rows, row_mul, offset): (usize, usize, usize),
    (mul, d): (usize, usize),
    (t0, t1): PartsMut<'_, T>,
) {
    for r in 0..rows {
        let t0 = &mut t0[r * mul * d..][..mul * d];
        let t1 = &mut t1[r * mul * d..][..mul * d];
        let xr = &x[(r * row_mul + offset) * d..][..mul * d];
        for u in 0..mul {
            for i in 0..d {
                let v = xr[u * d + i];
                t0[i * mul + u] = v.re;
                t1[i * mul + u] = v.eps;
            }
        }
    }
}

/// `x[r][offset + u][k] += Dual(t0[r][k][u], t1[r][k][u])`: the inverse of
/// [`split_channels_inner`], added.
fn add_split_channels_outer<T: Real>(
    (t0, t1): Parts<'_, T>,
    (rows, row_mul, offset): (usize, usize, usize),
    (mul, d): (usize, usize),
    x: &mut [Dual<T>],
) {
    for r in 0..rows {
        let t0 = &t0[r * mul * d..][..mul * d];
        let t1 = &t1[r * mul * d..][..mul * d];
        let xr = &mut x[(r * row_mul + offset) * d..][..mul * d];
        for u in 0..mul {
            for i in 0..d {
                let v = &mut xr[u * d + i];
                *v += Dual::new(t0[i * mul + u], t1[i * mul + u]);
            }
        }
    }
}

/// The parts of `M[i][k]`, a dual matrix, as two real ones.
#[inline(always)]
fn split_matrix<T: Real, const DA: usize, const DC: usize>(
    m: &[[Dual<T>; DC]; DA],
) -> ([[T; DC]; DA], [[T; DC]; DA]) {
    let (mut m0, mut m1) = ([[T::ZERO; DC]; DA], [[T::ZERO; DC]; DA]);
    for i in 0..DA {
        for k in 0..DC {
            m0[i][k] = m[i][k].re;
            m1[i][k] = m[i][k].eps;
        }
    }
    (m0, m1)
}

/// The parts of `L` dual numbers from the start of `s`, as two lanes.
#[inline(always)]
fn split_lanes<T: Real, const L: usize>(s: &[Dual<T>]) -> ([T; L], [T; L]) {
    let (mut p0, mut p1) = ([T::ZERO; L], [T::ZERO; L]);
    for l in 0..L {
        p0[l] = s[l].re;
        p1[l] = s[l].eps;
    }
    (p0, p1)
}

/// `channel_steps::row_forward` (adding into the output) on split parts:
/// `o[k][u] += w[u] · Σ_i x[i][u] M[i][k]`.
#[inline(always)]
fn row_forward<T: Real, const DA: usize, const DC: usize>(
    (m0, m1): (&[[T; DC]; DA], &[[T; DC]; DA]),
    (x0r, x1r): Parts<'_, T>,
    wr: &[Dual<T>],
    (o0r, o1r): PartsMut<'_, T>,
) {
    let n = wr.len();
    by_steps!(T, n, |u0, L| {
        let x0: [[T; L]; DA] = lane_rows(x0r, n, u0);
        let x1: [[T; L]; DA] = lane_rows(x1r, n, u0);
        let (w0, w1) = split_lanes::<T, L>(&wr[u0..]);
        for k in 0..DC {
            let (mut a0, mut a1) = ([T::ZERO; L], [T::ZERO; L]);
            for i in 0..DA {
                for l in 0..L {
                    a0[l] += x0[i][l] * m0[i][k];
                    a1[l] += x0[i][l] * m1[i][k] + x1[i][l] * m0[i][k];
                }
            }
            let o0 = lanes_mut::<T, L>(&mut o0r[k * n + u0..]);
            for l in 0..L {
                o0[l] += w0[l] * a0[l];
            }
            let o1 = lanes_mut::<T, L>(&mut o1r[k * n + u0..]);
            for l in 0..L {
                o1[l] += w0[l] * a1[l] + w1[l] * a0[l];
            }
        }
    });
}

/// `channel_steps::row_backward` on split parts: adds `w[u] · h[i][u]` to
/// `gx` (`h[i][u] = Σ_k M[i][k] go[k][u]`), `Σ_i x[i][u] h[i][u]` to `gw`
/// and returns `gM[i][k] = Σ_u w[u] x[i][u] go[k][u]` when asked (else
/// zeros), its channel sums kept in [`STEP`] lanes as there.
#[inline(always)]
fn row_backward<T: Real, const DA: usize, const DC: usize>(
    (m0, m1): (&[[T; DC]; DA], &[[T; DC]; DA]),
    ((x0r, x1r), wr, (g0r, g1r)): (Parts<'_, T>, &[Dual<T>], Parts<'_, T>),
    mut gx: Option<PartsMut<'_, T>>,
    mut gw: Option<&mut [Dual<T>]>,
    want_gm: bool,
) -> [[Dual<T>; DC]; DA] {
    let n = wr.len();
    let mut sums0 = [[[T::ZERO; STEP]; DC]; DA];
    let mut sums1 = [[[T::ZERO; STEP]; DC]; DA];
    by_steps!(T, n, |u0, L| {
        let x0: [[T; L]; DA] = lane_rows(x0r, n, u0);
        let x1: [[T; L]; DA] = lane_rows(x1r, n, u0);
        let go0: [[T; L]; DC] = lane_rows(g0r, n, u0);
        let go1: [[T; L]; DC] = lane_rows(g1r, n, u0);
        let (w0, w1) = split_lanes::<T, L>(&wr[u0..]);
        if gx.is_some() || gw.is_some() {
            // One component at a time: h[i] is used as soon as it is
            // summed, so only two lanes of it are live (the interleaved
            // kernel holds all of h, which here would spill registers).
            let (mut dot0, mut dot1) = ([T::ZERO; L], [T::ZERO; L]);
            for i in 0..DA {
                let (mut h0, mut h1) = ([T::ZERO; L], [T::ZERO; L]);
                for k in 0..DC {
                    for l in 0..L {
                        h0[l] += m0[i][k] * go0[k][l];
                        h1[l] += m0[i][k] * go1[k][l] + m1[i][k] * go0[k][l];
                    }
                }
                if let Some((gx0, gx1)) = gx.as_mut() {
                    let g0 = lanes_mut::<T, L>(&mut gx0[i * n + u0..]);
                    for l in 0..L {
                        g0[l] += w0[l] * h0[l];
                    }
                    let g1 = lanes_mut::<T, L>(&mut gx1[i * n + u0..]);
                    for l in 0..L {
                        g1[l] += w0[l] * h1[l] + w1[l] * h0[l];
                    }
                }
                for l in 0..L {
                    dot0[l] += x0[i][l] * h0[l];
                    dot1[l] += x0[i][l] * h1[l] + x1[i][l] * h0[l];
                }
            }
            if let Some(gw) = gw.as_deref_mut() {
                for (l, g) in gw[u0..u0 + L].iter_mut().enumerate() {
                    *g += Dual::new(dot0[l], dot1[l]);
                }
            }
        }
        if want_gm {
            // Channel u0 + l adds into lane (u0 + l) mod STEP, as the
            // interleaved kernel does.
            let at = u0 % STEP;
            for i in 0..DA {
                for k in 0..DC {
                    let (s0, s1) = (&mut sums0[i][k], &mut sums1[i][k]);
                    for l in 0..L {
                        let wx0 = w0[l] * x0[i][l];
                        let wx1 = w0[l] * x1[i][l] + w1[l] * x0[i][l];
                        s0[(at + l) % STEP] += wx0 * go0[k][l];
                        s1[(at + l) % STEP] += wx0 * go1[k][l] + wx1 * go0[k][l];
                    }
                }
            }
        }
    });
    // The lanes summed by halves, as `row_backward` sums them.
    let mut gm = [[Dual::<T>::ZERO; DC]; DA];
    for i in 0..DA {
        for k in 0..DC {
            let mut lanes = [Dual::<T>::ZERO; STEP];
            for (l, lane) in lanes.iter_mut().enumerate() {
                *lane = Dual::new(sums0[i][k][l], sums1[i][k][l]);
            }
            gm[i][k] = sum_lanes(lanes);
        }
    }
    gm
}

/// The node features (`x`) and output (`o`) of a block as split parts,
/// channels innermost: the output from the block's first atom.
struct Block<'a, T> {
    x: Parts<'a, T>,
    o: PartsMut<'a, T>,
}

/// The edges of a block with constant dimensions.
fn forward_fixed<T: Real, const DA: usize, const DC: usize>(
    c: PathCoupling<'_, Dual<T>>,
    s: &ConvShape,
    inputs: (&[Dual<T>], &[Dual<T>]),
    idx: EdgeIndex<'_>,
    edges: (std::ops::Range<usize>, usize),
    block: Block<'_, T>,
) {
    let (b, w) = inputs;
    let (db, mul) = (s.dims.1, s.mul);
    vectorized_or(
        (edges, block),
        #[inline(always)]
        |(
            (edges, atom0),
            Block {
                x: (x0, x1),
                o: (o0, o1),
            },
        )| {
            for e in edges {
                let (m0, m1) =
                    split_matrix(&row_matrix::<Dual<T>, DA, DC>(c.dense, &b[e * db..][..db]));
                let xa = idx.neighbors[e] * mul * DA;
                let xr = (&x0[xa..][..mul * DA], &x1[xa..][..mul * DA]);
                let wr = &w[e * s.w_row + s.w_offset..][..mul];
                let oa = (idx.centers[e] - atom0) * mul * DC;
                let or = (&mut o0[oa..][..mul * DC], &mut o1[oa..][..mul * DC]);
                row_forward::<T, DA, DC>((&m0, &m1), xr, wr, or);
            }
        },
        |(edges, block)| forward_dyn(c, s, inputs, idx, edges, block),
    )
}

/// [`forward_fixed`] for any dimensions, in dual arithmetic.
fn forward_dyn<T: Real>(
    c: PathCoupling<'_, Dual<T>>,
    s: &ConvShape,
    (b, w): (&[Dual<T>], &[Dual<T>]),
    idx: EdgeIndex<'_>,
    (edges, atom0): (std::ops::Range<usize>, usize),
    Block {
        x: (x0, x1),
        o: (o0, o1),
    }: Block<'_, T>,
) {
    let (da, db, dc) = s.dims;
    let mul = s.mul;
    for e in edges {
        let o = (idx.centers[e] - atom0) * mul * dc;
        let x = idx.neighbors[e] * mul * da;
        for u in 0..mul {
            let wu = w[e * s.w_row + s.w_offset + u];
            for en in c.entries {
                let xi = x + en.i * mul + u;
                let v = wu * en.c * Dual::new(x0[xi], x1[xi]) * b[e * db + en.j];
                let at = o + en.k * mul + u;
                o0[at] += v.re;
                o1[at] += v.eps;
            }
        }
    }
}

/// The pullback over the edges of a block with constant dimensions: `x`
/// and `go` the split node features and output gradient, `gx` the split
/// node-feature gradient; `gb`, `gw` dual, from the block's first edge.
#[allow(clippy::too_many_arguments)]
fn backward_fixed<T: Real, const DA: usize, const DC: usize>(
    c: PathCoupling<'_, Dual<T>>,
    s: &ConvShape,
    inputs: (Parts<'_, T>, &[Dual<T>], &[Dual<T>]),
    idx: EdgeIndex<'_>,
    edges: std::ops::Range<usize>,
    go: Parts<'_, T>,
    grads: SplitGrads<'_, T>,
) {
    let (x, b, w) = inputs;
    let e0 = edges.start;
    let (db, mul) = (s.dims.1, s.mul);
    vectorized_or(
        (edges, grads),
        #[inline(always)]
        |(edges, (mut gx, mut gb, mut gw))| {
            for e in edges {
                let (m0, m1) =
                    split_matrix(&row_matrix::<Dual<T>, DA, DC>(c.dense, &b[e * db..][..db]));
                let (na, ca) = (idx.neighbors[e] * mul * DA, idx.centers[e] * mul * DC);
                let xr = (&x.0[na..][..mul * DA], &x.1[na..][..mul * DA]);
                let wr = &w[e * s.w_row + s.w_offset..][..mul];
                let gr = (&go.0[ca..][..mul * DC], &go.1[ca..][..mul * DC]);
                let gm = row_backward::<T, DA, DC>(
                    (&m0, &m1),
                    (xr, wr, gr),
                    gx.as_mut()
                        .map(|(g0, g1)| (&mut g0[na..][..mul * DA], &mut g1[na..][..mul * DA])),
                    gw.as_deref_mut()
                        .map(|g| &mut g[(e - e0) * s.w_row + s.w_offset..][..mul]),
                    gb.is_some(),
                );
                if let Some(gb) = gb.as_deref_mut() {
                    row_matrix_pullback::<_, DA, DC>(
                        c.dense_by_b,
                        gm.as_flattened(),
                        &mut gb[(e - e0) * db..][..db],
                        false,
                    );
                }
            }
        },
        |(edges, grads)| backward_dyn(c, s, inputs, idx, edges, go, grads),
    )
}

/// [`backward_fixed`] for any dimensions, in dual arithmetic.
#[allow(clippy::too_many_arguments)]
fn backward_dyn<T: Real>(
    c: PathCoupling<'_, Dual<T>>,
    s: &ConvShape,
    (x, b, w): (Parts<'_, T>, &[Dual<T>], &[Dual<T>]),
    idx: EdgeIndex<'_>,
    edges: std::ops::Range<usize>,
    go: Parts<'_, T>,
    (mut gx, mut gb, mut gw): SplitGrads<'_, T>,
) {
    let e0 = edges.start;
    let (da, db, dc) = s.dims;
    let mul = s.mul;
    for e in edges {
        let (ca, nb) = (idx.centers[e] * mul * dc, idx.neighbors[e] * mul * da);
        for u in 0..mul {
            let wi = e * s.w_row + s.w_offset + u;
            for en in c.entries {
                let (gi, xi) = (ca + en.k * mul + u, nb + en.i * mul + u);
                let t = en.c * Dual::new(go.0[gi], go.1[gi]);
                let be = b[e * db + en.j];
                let xv = Dual::new(x.0[xi], x.1[xi]);
                if let Some((gx0, gx1)) = gx.as_mut() {
                    let v = w[wi] * t * be;
                    gx0[xi] += v.re;
                    gx1[xi] += v.eps;
                }
                if let Some(gb) = gb.as_deref_mut() {
                    gb[(e - e0) * db + en.j] += w[wi] * t * xv;
                }
                if let Some(gw) = gw.as_deref_mut() {
                    gw[(e - e0) * s.w_row + s.w_offset + u] += t * xv * be;
                }
            }
        }
    }
}

impl<T: Real> Convolve for Dual<T> {
    fn convolve_forward(
        entries: &[Entry<Self>],
        s: &ConvShape,
        inputs: (&[Self], &[Self], &[Self]),
        idx: EdgeIndex<'_>,
        out: &mut [Self],
    ) {
        T::convolve_dual_forward(entries, s, inputs, idx, out);
    }

    fn convolve_backward(
        entries: &[Entry<Self>],
        s: &ConvShape,
        inputs: (&[Self], &[Self], &[Self]),
        idx: EdgeIndex<'_>,
        gout: &[Self],
        grads: GradBufs<'_, Self>,
        stores: [Store; 3],
    ) {
        T::convolve_dual_backward(entries, s, inputs, idx, gout, grads, stores);
    }
}

/// The convolution on `Dual<T>` ([`super::convolution::forward`]), primal
/// and tangent parts split.
pub(super) fn forward<T: Real>(
    entries: &[Entry<Dual<T>>],
    s: &ConvShape,
    (x, b, w): ConvInputs<'_, Dual<T>>,
    idx: EdgeIndex<'_>,
    out: &mut [Dual<T>],
) {
    let (da, _, dc) = s.dims;
    let mul = s.mul;
    // Both parts of the transposed node features in one pool buffer
    // (primal half, tangent half); the partial outputs likewise.
    let node_len = s.atoms * mul * da;
    let mut xt = pool::scratch(2 * node_len, T::ZERO);
    let (x0, x1) = xt.split_at_mut(node_len);
    split_channels_inner(x, (s.atoms, mul, 0), (mul, da), (x0, x1));
    let xs = xt.split_at(node_len);
    coupling::with_both_forms(entries, s.dims, |c| {
        let kernel = |edges: std::ops::Range<usize>, atom0: usize, part: &mut [T]| {
            let half = part.len() / 2;
            let (o0, o1) = part.split_at_mut(half);
            let block = Block { x: xs, o: (o0, o1) };
            let range = (edges, atom0);
            dispatch_dims_to_l2!(
                da,
                dc,
                forward_fixed,
                forward_dyn,
                c,
                s,
                (b, w),
                idx,
                range,
                block
            )
        };
        forward_blocks(s, idx.centers, 2 * mul * dc, kernel, |a0, a1, part| {
            let shape = (a1 - a0, s.out_mul, s.out_offset);
            let out = &mut out[a0 * s.out_mul * dc..];
            add_split_channels_outer(part.split_at(part.len() / 2), shape, (mul, dc), out);
        });
    });
    pool::recycle(xt);
}

/// The pullback of [`forward`] ([`super::convolution::backward`] on
/// `Dual<T>`).
pub(super) fn backward<T: Real>(
    entries: &[Entry<Dual<T>>],
    s: &ConvShape,
    (x, b, w): ConvInputs<'_, Dual<T>>,
    idx: EdgeIndex<'_>,
    gout: &[Dual<T>],
    (mut gx, gb, gw): GradBufs<'_, Dual<T>>,
    stores: [Store; 3],
) {
    let (da, _, dc) = s.dims;
    let clear = stores.map(|st| st == Store::Overwrite);
    // The node gradient is added in split form: a written one starts at zero
    // (one row per atom, small).
    if let (true, Some(gx)) = (clear[0], gx.as_deref_mut()) {
        gx.fill(Dual::ZERO);
    }
    let mul = s.mul;
    let (node_len, out_len) = (s.atoms * mul * da, s.atoms * mul * dc);
    let mut xt = pool::scratch(2 * node_len, T::ZERO);
    let (x0, x1) = xt.split_at_mut(node_len);
    split_channels_inner(x, (s.atoms, mul, 0), (mul, da), (x0, x1));
    let mut gt = pool::scratch(2 * out_len, T::ZERO);
    let (g0, g1) = gt.split_at_mut(out_len);
    let shape = (s.atoms, s.out_mul, s.out_offset);
    split_channels_inner(gout, shape, (mul, dc), (g0, g1));
    let (xs, gs) = (xt.split_at(node_len), gt.split_at(out_len));
    coupling::with_both_forms(entries, s.dims, |c| {
        let kernel = |edges,
                      gx: Option<&mut [T]>,
                      gb: Option<&mut [Dual<T>]>,
                      gw: Option<&mut [Dual<T>]>| {
            let gx = gx.map(|g| g.split_at_mut(node_len));
            let grads = (gx, gb, gw);
            dispatch_dims_to_l2!(
                da,
                dc,
                backward_fixed,
                backward_dyn,
                c,
                s,
                (xs, b, w),
                idx,
                edges,
                gs,
                grads
            )
        };
        let want_x = gx.is_some().then_some(2 * node_len);
        let sum = backward_blocks(s, want_x, (gb, gw), [clear[1], clear[2]], kernel);
        if let (Some(gx), Some(sum)) = (gx, sum) {
            let parts = sum.split_at(node_len);
            add_split_channels_outer(parts, (s.atoms, mul, 0), (mul, da), gx);
            pool::recycle(sum);
        }
    });
    pool::recycle(xt);
    pool::recycle(gt);
}

#[cfg(test)]
mod tests {
    use super::super::convolution::{backward_generic, forward_generic};
    use super::super::coupling::coupling;
    use super::*;

    /// Deterministic numbers in [-1, 1].
    fn data(n: usize, seed: f64) -> Vec<f64> {
        (0..n).map(|i| ((i as f64 + seed) * 0.917).sin()).collect()
    }

    /// Numbers of type `T` from two seeds: the primal and tangent parts
    /// of a dual number (and the parts of those for nested duals).
    trait FromParts: Real {
        fn from_parts(seed: f64, n: usize) -> Vec<Self>;
    }
    impl FromParts for f64 {
        fn from_parts(seed: f64, n: usize) -> Vec<Self> {
            data(n, seed)
        }
    }
    impl FromParts for f32 {
        fn from_parts(seed: f64, n: usize) -> Vec<Self> {
            data(n, seed).into_iter().map(|x| x as f32).collect()
        }
    }
    impl<T: FromParts> FromParts for Dual<T> {
        fn from_parts(seed: f64, n: usize) -> Vec<Self> {
            let re = T::from_parts(seed, n);
            let eps = T::from_parts(seed + 0.37, n);
            re.into_iter()
                .zip(eps)
                .map(|(re, eps)| Dual::new(re, eps))
                .collect()
        }
    }

    /// Edges of `atoms` atoms: `per_atom` neighbours each (every fifth
    /// atom none), sorted by centre or shuffled.
    fn edge_index(atoms: usize, per_atom: usize, sorted: bool) -> (Vec<usize>, Vec<usize>) {
        let mut edges: Vec<(usize, usize)> = (0..atoms)
            .filter(|a| a % 5 != 3)
            .flat_map(|a| (0..per_atom).map(move |k| (a, (a * 7 + k * 3 + 1) % atoms)))
            .collect();
        if !sorted {
            let n = edges.len();
            for i in 0..n {
                edges.swap(i, (i * 13 + 5) % n);
            }
        }
        edges.into_iter().unzip()
    }

    /// The split kernels give the generic kernels' numbers, to the bit,
    /// forward and backward, for one path.
    fn check_path<T: FromParts>(
        (la, lb, lc): (u32, u32, u32),
        mul: usize,
        (atoms, per_atom, sorted): (usize, usize, bool),
    ) where
        Dual<T>: FromParts,
    {
        let dims = (
            2 * la as usize + 1,
            2 * lb as usize + 1,
            2 * lc as usize + 1,
        );
        let (centers, neighbors) = edge_index(atoms, per_atom, sorted);
        let idx = EdgeIndex {
            centers: &centers,
            neighbors: &neighbors,
        };
        let (w_row, out_mul) = (mul + 3, mul + 2);
        let s = ConvShape {
            atoms,
            edges: centers.len(),
            mul,
            dims,
            w_row,
            w_offset: 2,
            out_mul,
            out_offset: 1,
        };
        let entries = coupling::<Dual<T>>(la, lb, lc, 0.7);
        let x = Dual::<T>::from_parts(1.0, atoms * mul * dims.0);
        let b = Dual::<T>::from_parts(2.0, s.edges * dims.1);
        let w = Dual::<T>::from_parts(3.0, s.edges * w_row);
        let go = Dual::<T>::from_parts(4.0, atoms * out_mul * dims.2);
        let what = format!("{la}{lb}{lc} mul {mul}, {} edges, sorted {sorted}", s.edges);
        // The split kernels have fixed sizes up to L = 2 and the generic
        // ones up to L = 3: where only the generic kernel has a fixed size,
        // the two add in different orders and agree to rounding.
        let fixed = |d: usize| d <= 5;
        let exact = fixed(dims.0) && fixed(dims.2) || dims.0 > 7 || dims.2 > 7;
        let same = |got: &[Dual<T>], want: &[Dual<T>]| {
            if exact {
                return got == want;
            }
            let tol = if std::mem::size_of::<T>() == 4 {
                1e-4
            } else {
                1e-12
            };
            let near = |a: T, b: T| (a.value() - b.value()).abs() <= tol * (1.0 + b.value().abs());
            got.len() == want.len()
                && got
                    .iter()
                    .zip(want)
                    .all(|(g, w)| near(g.re, w.re) && near(g.eps, w.eps))
        };

        let mut want = Dual::<T>::from_parts(5.0, atoms * out_mul * dims.2);
        let mut got = want.clone();
        forward_generic(&entries, &s, (&x, &b, &w), idx, &mut want);
        Dual::convolve_forward(&entries, &s, (&x, &b, &w), idx, &mut got);
        assert!(same(&got, &want), "forward {what}");

        for wanted in [
            [true, true, true],
            [true, false, true],
            [false, true, false],
        ] {
            let grads = || {
                (
                    Dual::<T>::from_parts(6.0, x.len()),
                    Dual::<T>::from_parts(7.0, b.len()),
                    Dual::<T>::from_parts(8.0, w.len()),
                )
            };
            let (mut want_x, mut want_b, mut want_w) = grads();
            let (mut got_x, mut got_b, mut got_w) = grads();
            let added = [Store::Accumulate; 3];
            backward_generic(
                &entries,
                &s,
                (&x, &b, &w),
                idx,
                &go,
                (
                    pick(wanted[0], &mut want_x),
                    pick(wanted[1], &mut want_b),
                    pick(wanted[2], &mut want_w),
                ),
                added,
            );
            Dual::convolve_backward(
                &entries,
                &s,
                (&x, &b, &w),
                idx,
                &go,
                (
                    pick(wanted[0], &mut got_x),
                    pick(wanted[1], &mut got_b),
                    pick(wanted[2], &mut got_w),
                ),
                added,
            );
            assert!(same(&got_x, &want_x), "node gradient {what}");
            assert!(same(&got_b, &want_b), "edge-input gradient {what}");
            assert!(same(&got_w, &want_w), "weight gradient {what}");

            // Written rather than added: buffers of NaN come out as the
            // gradients added into zeros, by both kernels.
            let filled = |v: f64| {
                let v = Dual::<T>::from_f64(v);
                (vec![v; x.len()], vec![v; b.len()], vec![v; w.len()])
            };
            let (mut want_x, mut want_b, mut want_w) = filled(0.0);
            backward_generic(
                &entries,
                &s,
                (&x, &b, &w),
                idx,
                &go,
                (
                    pick(wanted[0], &mut want_x),
                    pick(wanted[1], &mut want_b),
                    pick(wanted[2], &mut want_w),
                ),
                added,
            );
            for split in [false, true] {
                let (mut got_x, mut got_b, mut got_w) = filled(f64::NAN);
                let grads = (
                    pick(wanted[0], &mut got_x),
                    pick(wanted[1], &mut got_b),
                    pick(wanted[2], &mut got_w),
                );
                let written = [Store::Overwrite; 3];
                let inputs = (&x[..], &b[..], &w[..]);
                if split {
                    Dual::convolve_backward(&entries, &s, inputs, idx, &go, grads, written);
                } else {
                    backward_generic(&entries, &s, inputs, idx, &go, grads, written);
                }
                for (name, on, got, want) in [
                    ("node", wanted[0], &got_x, &want_x),
                    ("edge-input", wanted[1], &got_b, &want_b),
                    ("weight", wanted[2], &got_w, &want_w),
                ] {
                    if on {
                        assert!(
                            same(got, want),
                            "written {name} gradient {what}, split {split}"
                        );
                    }
                }
            }
        }
    }

    /// The buffer when its gradient is wanted.
    fn pick<T>(on: bool, g: &mut [T]) -> Option<&mut [T]> {
        on.then_some(g)
    }

    /// Paths up to L = 2 (fixed-size split kernels), L = 3 (fixed-size only
    /// in the generic kernels) and one beyond (run-time-sized in both).
    const PATHS: [(u32, u32, u32); 8] = [
        (0, 0, 0),
        (0, 1, 1),
        (1, 1, 0),
        (1, 2, 1),
        (2, 2, 3),
        (3, 1, 2),
        (3, 3, 3),
        (4, 1, 3),
    ];

    #[test]
    fn split_parts_match_dual_arithmetic_in_f64() {
        // Channel counts with full steps of 8, partial ones, and none.
        for mul in [1, 5, 8, 13, 16] {
            for path in PATHS {
                check_path::<f64>(path, mul, (11, 4, true));
            }
        }
        check_path::<f64>((1, 1, 1), 7, (11, 4, false));
    }

    #[test]
    fn split_parts_match_dual_arithmetic_in_f32() {
        // 16-channel steps for f32, then 8, then ones.
        for mul in [3, 16, 21, 29] {
            for path in [(0, 1, 1), (1, 1, 0), (2, 1, 3)] {
                check_path::<f32>(path, mul, (9, 3, true));
            }
        }
    }

    #[test]
    fn split_parts_match_in_parallel_blocks() {
        // Enough edges for several blocks, sorted (parallel forward) and
        // not (one block forward, parallel backward).
        check_path::<f64>((1, 1, 1), 9, (700, 5, true));
        check_path::<f64>((1, 1, 1), 9, (700, 5, false));
    }

    #[test]
    fn nested_duals_split_the_outer_level() {
        for path in [(0, 1, 1), (1, 2, 1)] {
            check_path::<Dual<f64>>(path, 10, (7, 3, true));
        }
    }
}
