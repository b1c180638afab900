//! The channel-wise product fused with the graph's gather and scatter:
//! the convolution of NequIP and MACE in one pass over the edges,
//!
//! ```text
//! out[center(e), u, k] += w[e, u] · Σ_ij c_ijk x[neighbor(e), u, i] b[e, j]
//! ```
//!
//! with no per-edge copy of the neighbour features and no per-edge
//! messages: the node features are read where they are (they fit in
//! cache), each edge's contribution goes straight into its centre atom.
//! The per-edge arithmetic is the channel-wise kernel's
//! ([`super::channelwise`]); only the row addressing differs.
//!
//! Parallel and deterministic: edges are cut into fixed blocks; with edges
//! sorted by centre (as neighbour lists are), each block's atoms are a
//! contiguous range, summed into a private buffer and added to the output
//! block by block in order. Gradients of the node features (scattered by
//! neighbour) are summed the same way from full-size block partials.

use super::channel_steps::{
    channels_inner, channels_inner_at, channels_outer_at, row_backward, row_forward,
};
use super::channelwise::{dispatch_dims, row_matrix, row_matrix_pullback};
use super::convolution_dual;
use super::coupling::{self, Entry, PathCoupling};
use super::gemm::Store;
use super::parallel;
use super::pool;
use super::simd::vectorized_or;
use crate::dual::Dual;
use crate::real::Real;
use crate::tape::GradBufs;
use rayon::prelude::*;

/// The shapes and offsets of one path of a convolution (one weight per
/// channel: the second input has one channel, as edge harmonics do).
#[derive(Clone, Copy, Debug)]
pub struct ConvShape {
    /// Atoms (rows of the node features and the output).
    pub atoms: usize,
    /// Edges (rows of the edge input and the weights).
    pub edges: usize,
    /// Channels of the node features, `u`.
    pub mul: usize,
    /// Components of the node features, the edge input and the output.
    pub dims: (usize, usize, usize),
    /// Weights per edge in the weight array.
    pub w_row: usize,
    /// Offset of this path's weights within an edge's row.
    pub w_offset: usize,
    /// Channels per atom of the output array.
    pub out_mul: usize,
    /// Offset of this path's channels within an output row.
    pub out_offset: usize,
}

/// The edge index: centre (receiver) and neighbour (sender) of each edge.
#[derive(Clone, Copy, Debug)]
pub struct EdgeIndex<'a> {
    /// Centre atom of each edge.
    pub centers: &'a [usize],
    /// Neighbour atom of each edge.
    pub neighbors: &'a [usize],
}

/// The edges of a block, channels innermost: `xt` the node features
/// (`[atoms][DA][mul]`), `ot` the output of the block's atoms from `atom0`
/// (`[atoms][DC][mul]`).
fn forward_fixed<T: Real, const DA: usize, const DC: usize>(
    c: PathCoupling<'_, T>,
    s: &ConvShape,
    inputs: (&[T], &[T], &[T]),
    idx: EdgeIndex<'_>,
    block: (std::ops::Range<usize>, usize),
    ot: &mut [T],
) {
    let (xt, b, w) = inputs;
    let (db, mul) = (s.dims.1, s.mul);
    vectorized_or(
        (block, ot),
        #[inline(always)]
        |((edges, atom0), ot)| {
            for e in edges {
                let mr = row_matrix::<T, DA, DC>(c.dense, &b[e * db..][..db]);
                let xr = &xt[idx.neighbors[e] * mul * DA..][..mul * DA];
                let wr = &w[e * s.w_row + s.w_offset..][..mul];
                let o = &mut ot[(idx.centers[e] - atom0) * mul * DC..][..mul * DC];
                row_forward::<T, DA, DC, true>(&mr, xr, wr, o);
            }
        },
        |(block, ot)| forward_dyn(c, s, inputs, idx, block, ot),
    )
}

/// [`forward_fixed`] for any dimensions.
fn forward_dyn<T: Real>(
    c: PathCoupling<'_, T>,
    s: &ConvShape,
    (xt, b, w): (&[T], &[T], &[T]),
    idx: EdgeIndex<'_>,
    (edges, atom0): (std::ops::Range<usize>, usize),
    ot: &mut [T],
) {
    let (da, db, dc) = s.dims;
    let mul = s.mul;
    for e in edges {
        let o = (idx.centers[e] - atom0) * mul * dc;
        let x = idx.neighbors[e] * mul * da;
        for u in 0..mul {
            let wu = w[e * s.w_row + s.w_offset + u];
            for en in c.entries {
                ot[o + en.k * mul + u] += wu * en.c * xt[x + en.i * mul + u] * b[e * db + en.j];
            }
        }
    }
}

/// The inputs of a convolution: node features, edge harmonics, per-edge
/// path weights.
pub type ConvInputs<'a, T> = (&'a [T], &'a [T], &'a [T]);

/// Number types with a fused convolution. Implemented for every [`Real`]:
/// `f32` and `f64` run the kernels of this module, dual numbers split
/// their primal and tangent parts into separate arrays
/// (`kernels::convolution_dual`) so the dual pass of force training runs on
/// the same SIMD lanes as the real one (duals of duals recurse).
pub trait Convolve: Sized {
    /// See [`forward`].
    fn convolve_forward(
        entries: &[Entry<Self>],
        s: &ConvShape,
        inputs: ConvInputs<'_, Self>,
        idx: EdgeIndex<'_>,
        out: &mut [Self],
    ) where
        Self: Real;

    /// See [`backward`].
    fn convolve_backward(
        entries: &[Entry<Self>],
        s: &ConvShape,
        inputs: ConvInputs<'_, Self>,
        idx: EdgeIndex<'_>,
        gout: &[Self],
        grads: GradBufs<'_, Self>,
        stores: [Store; 3],
    ) where
        Self: Real;

    /// [`Convolve::convolve_forward`] of `Dual<Self>`: the split kernel of
    /// `kernels::convolution_dual`. A method of the primal type so that
    /// `f32` and `f64` compile it here (see `compiled_in_eqv_core!` below).
    fn convolve_dual_forward(
        entries: &[Entry<Dual<Self>>],
        s: &ConvShape,
        inputs: ConvInputs<'_, Dual<Self>>,
        idx: EdgeIndex<'_>,
        out: &mut [Dual<Self>],
    ) where
        Self: Real,
    {
        convolution_dual::forward(entries, s, inputs, idx, out);
    }

    /// [`Convolve::convolve_backward`] of `Dual<Self>`.
    fn convolve_dual_backward(
        entries: &[Entry<Dual<Self>>],
        s: &ConvShape,
        inputs: ConvInputs<'_, Dual<Self>>,
        idx: EdgeIndex<'_>,
        gout: &[Dual<Self>],
        grads: GradBufs<'_, Dual<Self>>,
        stores: [Store; 3],
    ) where
        Self: Real,
    {
        convolution_dual::backward(entries, s, inputs, idx, gout, grads, stores);
    }
}

/// `f32` and `f64` implement every method of [`Convolve`] themselves, out
/// of line, rather than taking the trait's defaults (the dual ones stay
/// defaults for duals of duals): a default method is
/// generic over `Self` and, like any generic, is compiled again in every
/// crate that runs a model (release builds do not share generic instances
/// across crates), while these are compiled once, here. The fixed-size
/// kernels behind them are most of a model's machine code.
macro_rules! compiled_in_eqv_core {
    ($t:ty) => {
        impl Convolve for $t {
            #[inline(never)]
            fn convolve_forward(
                entries: &[Entry<Self>],
                s: &ConvShape,
                inputs: (&[Self], &[Self], &[Self]),
                idx: EdgeIndex<'_>,
                out: &mut [Self],
            ) {
                forward_generic(entries, s, inputs, idx, out);
            }

            #[inline(never)]
            fn convolve_backward(
                entries: &[Entry<Self>],
                s: &ConvShape,
                inputs: (&[Self], &[Self], &[Self]),
                idx: EdgeIndex<'_>,
                gout: &[Self],
                grads: GradBufs<'_, Self>,
                stores: [Store; 3],
            ) {
                backward_generic(entries, s, inputs, idx, gout, grads, stores);
            }

            #[inline(never)]
            fn convolve_dual_forward(
                entries: &[Entry<Dual<Self>>],
                s: &ConvShape,
                inputs: ConvInputs<'_, Dual<Self>>,
                idx: EdgeIndex<'_>,
                out: &mut [Dual<Self>],
            ) {
                convolution_dual::forward(entries, s, inputs, idx, out);
            }

            #[inline(never)]
            fn convolve_dual_backward(
                entries: &[Entry<Dual<Self>>],
                s: &ConvShape,
                inputs: ConvInputs<'_, Dual<Self>>,
                idx: EdgeIndex<'_>,
                gout: &[Dual<Self>],
                grads: GradBufs<'_, Dual<Self>>,
                stores: [Store; 3],
            ) {
                convolution_dual::backward(entries, s, inputs, idx, gout, grads, stores);
            }
        }
    };
}
compiled_in_eqv_core!(f32);
compiled_in_eqv_core!(f64);

/// Adds the path's contribution into `out` (`[atoms][out_mul][dim C]`).
pub fn forward<T: Real>(
    entries: &[Entry<T>],
    s: &ConvShape,
    inputs: (&[T], &[T], &[T]),
    idx: EdgeIndex<'_>,
    out: &mut [T],
) {
    T::convolve_forward(entries, s, inputs, idx, out);
}

/// Adds the path's input gradients (those given) for the output gradient
/// `gout` (`[atoms][out_mul][dim C]`). A buffer with [`Store::Overwrite`]
/// may hold anything and is written: the node gradient directly, the edge
/// gradients' rows (all their numbers, `gw`'s other paths' channels too)
/// cleared block by block just before the block adds into them.
pub fn backward<T: Real>(
    entries: &[Entry<T>],
    s: &ConvShape,
    inputs: (&[T], &[T], &[T]),
    idx: EdgeIndex<'_>,
    gout: &[T],
    grads: GradBufs<'_, T>,
    stores: [Store; 3],
) {
    T::convolve_backward(entries, s, inputs, idx, gout, grads, stores);
}

/// Runs `kernel(edges, first atom, partial)` over the edges in blocks and
/// hands each block's partial output to `to_out(first atom, end atom,
/// partial)`, in block order. A partial holds `per_atom` numbers for each
/// atom of its block, zeroed before the kernel adds into it. With edges
/// sorted by centre (as neighbour lists are) each block's atoms are the
/// contiguous range `centers[first]..=centers[last]` and large blocks run
/// in parallel; otherwise one block covers every edge and atom.
pub(super) fn forward_blocks<N: Real>(
    s: &ConvShape,
    centers: &[usize],
    per_atom: usize,
    kernel: impl Fn(std::ops::Range<usize>, usize, &mut [N]) + Sync,
    mut to_out: impl FnMut(usize, usize, &[N]),
) {
    let sorted = centers.windows(2).all(|p| p[0] <= p[1]);
    if !sorted || !parallel::worth_splitting(s.edges) {
        let mut part = pool::filled(s.atoms * per_atom, N::ZERO);
        kernel(0..s.edges, 0, &mut part);
        to_out(0, s.atoms, &part);
        pool::recycle(part);
        return;
    }
    for (a0, a1, part) in forward_partials(s, centers, per_atom, &kernel) {
        to_out(a0, a1, &part);
        pool::recycle(part);
    }
}

/// A block of a forward: (edges, first atom, partial).
type BlockKernel<'k, N> = dyn Fn(std::ops::Range<usize>, usize, &mut [N]) + Sync + 'k;

/// The parallel blocks of [`forward_blocks`]: each block's (first atom,
/// end atom, partial). A `dyn` kernel, so rayon's job machinery is
/// compiled once per number type rather than once per kernel shape.
fn forward_partials<N: Real>(
    s: &ConvShape,
    centers: &[usize],
    per_atom: usize,
    kernel: &BlockKernel<'_, N>,
) -> Vec<(usize, usize, Vec<N>)> {
    let blocks: Vec<_> = parallel::blocks(s.edges).collect();
    blocks
        .into_par_iter()
        .map(|(e0, n)| {
            let (a0, a1) = (centers[e0], centers[e0 + n - 1] + 1);
            let mut part = pool::filled((a1 - a0) * per_atom, N::ZERO);
            kernel(e0..e0 + n, a0, &mut part);
            (a0, a1, part)
        })
        .collect()
}

/// The generic [`forward`]: transposes, then the block kernels.
pub(super) fn forward_generic<T: Real>(
    entries: &[Entry<T>],
    s: &ConvShape,
    (x, b, w): (&[T], &[T], &[T]),
    idx: EdgeIndex<'_>,
    out: &mut [T],
) {
    let (da, _, dc) = s.dims;
    let mul = s.mul;
    // Transposes and partial sums come from the pool: a training step
    // calls this on the same sizes every time.
    let mut xt = pool::scratch(s.atoms * mul * da, T::ZERO);
    channels_inner(x, (s.atoms, mul, da), &mut xt);
    coupling::with_both_forms(entries, s.dims, |c| {
        let inputs = (&xt[..], b, w);
        let kernel = |edges: std::ops::Range<usize>, atom0: usize, part: &mut [T]| {
            let range = (edges, atom0);
            dispatch_dims!(
                da,
                dc,
                forward_fixed,
                forward_dyn,
                c,
                s,
                inputs,
                idx,
                range,
                part
            )
        };
        forward_blocks(s, idx.centers, mul * dc, kernel, |a0, a1, part| {
            let shape = (a1 - a0, s.out_mul, s.out_offset);
            channels_outer_at::<T, true>(part, shape, (mul, dc), &mut out[a0 * s.out_mul * dc..]);
        });
    });
    pool::recycle(xt);
}

/// The pullback over the edges of a block, channels innermost: `xt` and
/// `gt` the node features and the output gradient (`[atoms][D][mul]`),
/// `gx` (if wanted) the node-feature gradient, also channels innermost;
/// the edge gradients `gb`, `gw` in their own layout from the block's
/// first edge.
#[allow(clippy::too_many_arguments)]
fn backward_fixed<T: Real, const DA: usize, const DC: usize>(
    c: PathCoupling<'_, T>,
    s: &ConvShape,
    inputs: (&[T], &[T], &[T]),
    idx: EdgeIndex<'_>,
    edges: std::ops::Range<usize>,
    gt: &[T],
    grads: GradBufs<'_, T>,
) {
    let (xt, b, w) = inputs;
    let e0 = edges.start;
    let (db, mul) = (s.dims.1, s.mul);
    vectorized_or(
        (edges, grads),
        #[inline(always)]
        |(edges, (mut gx, mut gb, mut gw))| {
            for e in edges {
                let mr = row_matrix::<T, DA, DC>(c.dense, &b[e * db..][..db]);
                let nb = idx.neighbors[e] * mul * DA;
                let xr = &xt[nb..][..mul * DA];
                let wr = &w[e * s.w_row + s.w_offset..][..mul];
                let gr = &gt[idx.centers[e] * mul * DC..][..mul * DC];
                let gm = row_backward::<T, DA, DC>(
                    &mr,
                    (xr, wr, gr),
                    gx.as_deref_mut().map(|g| &mut g[nb..][..mul * DA]),
                    gw.as_deref_mut()
                        .map(|g| &mut g[(e - e0) * s.w_row + s.w_offset..][..mul]),
                    gb.is_some(),
                    (false, false),
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
        |(edges, grads)| backward_dyn(c, s, inputs, idx, edges, gt, grads),
    )
}

/// [`backward_fixed`] for any dimensions.
#[allow(clippy::too_many_arguments)]
fn backward_dyn<T: Real>(
    c: PathCoupling<'_, T>,
    s: &ConvShape,
    (xt, b, w): (&[T], &[T], &[T]),
    idx: EdgeIndex<'_>,
    edges: std::ops::Range<usize>,
    gt: &[T],
    (mut gx, mut gb, mut gw): GradBufs<'_, T>,
) {
    let e0 = edges.start;
    let (da, db, dc) = s.dims;
    let mul = s.mul;
    for e in edges {
        let (ca, nb) = (idx.centers[e] * mul * dc, idx.neighbors[e] * mul * da);
        for u in 0..mul {
            let wi = e * s.w_row + s.w_offset + u;
            for en in c.entries {
                let t = en.c * gt[ca + en.k * mul + u];
                let be = b[e * db + en.j];
                let xi = xt[nb + en.i * mul + u];
                if let Some(gx) = gx.as_deref_mut() {
                    gx[nb + en.i * mul + u] += w[wi] * t * be;
                }
                if let Some(gb) = gb.as_deref_mut() {
                    gb[(e - e0) * db + en.j] += w[wi] * t * xi;
                }
                if let Some(gw) = gw.as_deref_mut() {
                    gw[(e - e0) * s.w_row + s.w_offset + u] += t * xi * be;
                }
            }
        }
    }
}

/// The edge gradients and the summed node-feature gradient of a pullback
/// over edge blocks: `kernel(edges, node partial, gb block, gw block)`
/// adds a block's gradients, the edge ones straight into their rows of
/// `gb` and `gw` (sliced from the block's first edge), the node ones into a
/// zeroed partial of `node_len` numbers (when `node_len` is given). The
/// partials are summed in block order; the sum is returned (a pool
/// buffer). Large edge counts run their blocks in parallel.
pub(super) fn backward_blocks<T: Real, N: Real>(
    s: &ConvShape,
    node_len: Option<usize>,
    (gb, gw): (Option<&mut [T]>, Option<&mut [T]>),
    clear: [bool; 2],
    kernel: impl Fn(std::ops::Range<usize>, Option<&mut [N]>, Option<&mut [T]>, Option<&mut [T]>) + Sync,
) -> Option<Vec<N>> {
    // Edge gradients written rather than added: cleared just before the
    // kernel adds into them (block by block when split, while in cache).
    if !parallel::worth_splitting(s.edges) {
        let mut part = node_len.map(|n| pool::filled(n, N::ZERO));
        let (gb, gw) = clear_edge_rows(s, clear, s.edges, (gb, gw));
        kernel(0..s.edges, part.as_deref_mut(), gb, gw);
        return part;
    }
    let kernel = |edges: std::ops::Range<usize>,
                  part: Option<&mut [N]>,
                  gb: Option<&mut [T]>,
                  gw: Option<&mut [T]>| {
        let (gb, gw) = clear_edge_rows(s, clear, edges.len(), (gb, gw));
        kernel(edges, part, gb, gw)
    };
    backward_split(s, node_len, (gb, gw), &kernel)
}

/// Clears the first `n` rows of the edge gradients `gb` and `gw` (a
/// block's, sliced from its first edge) where `clear` says so.
#[allow(clippy::type_complexity)]
fn clear_edge_rows<'g, T: Real>(
    s: &ConvShape,
    clear: [bool; 2],
    n: usize,
    (gb, gw): (Option<&'g mut [T]>, Option<&'g mut [T]>),
) -> (Option<&'g mut [T]>, Option<&'g mut [T]>) {
    let rows = |g: &'g mut [T], clear: bool, width: usize| {
        if clear {
            g[..n * width].fill(T::ZERO);
        }
        g
    };
    (
        gb.map(|g| rows(g, clear[0], s.dims.1)),
        gw.map(|g| rows(g, clear[1], s.w_row)),
    )
}

/// A block of a pullback: (edges, node partial, gb block, gw block).
type GradKernel<'k, T, N> = dyn Fn(std::ops::Range<usize>, Option<&mut [N]>, Option<&mut [T]>, Option<&mut [T]>)
    + Sync
    + 'k;

/// The parallel path of [`backward_blocks`], with a `dyn` kernel (one copy
/// of rayon's machinery per number type).
fn backward_split<T: Real, N: Real>(
    s: &ConvShape,
    node_len: Option<usize>,
    (gb, gw): (Option<&mut [T]>, Option<&mut [T]>),
    kernel: &GradKernel<'_, T, N>,
) -> Option<Vec<N>> {
    let step = parallel::ROWS_PER_TASK;
    let mut gb_blocks = gb.map(|g| g.chunks_mut(step * s.dims.1));
    let mut gw_blocks = gw.map(|g| g.chunks_mut(step * s.w_row.max(1)));
    type Task<'g, T> = (usize, usize, Option<&'g mut [T]>, Option<&'g mut [T]>);
    let tasks: Vec<Task<'_, T>> = parallel::blocks(s.edges)
        .map(|(e0, n)| {
            let gb = gb_blocks.as_mut().and_then(Iterator::next);
            let gw = gw_blocks.as_mut().and_then(Iterator::next);
            (e0, n, gb, gw)
        })
        .collect();
    let partials: Vec<Option<Vec<N>>> = tasks
        .into_par_iter()
        .map(|(e0, n, gb, gw)| {
            let mut part = node_len.map(|n| pool::filled(n, N::ZERO));
            kernel(e0..e0 + n, part.as_deref_mut(), gb, gw);
            part
        })
        .collect();
    let mut parts = partials.into_iter().flatten();
    let mut sum = parts.next()?;
    for part in parts {
        for (g, &p) in sum.iter_mut().zip(&part) {
            *g += p;
        }
        pool::recycle(part);
    }
    Some(sum)
}

/// The generic [`backward`]: transposes, then the block kernels.
pub(super) fn backward_generic<T: Real>(
    entries: &[Entry<T>],
    s: &ConvShape,
    (x, b, w): (&[T], &[T], &[T]),
    idx: EdgeIndex<'_>,
    gout: &[T],
    (gx, gb, gw): GradBufs<'_, T>,
    stores: [Store; 3],
) {
    let (da, _, dc) = s.dims;
    let mul = s.mul;
    let node_len = s.atoms * mul * da;
    let clear = stores.map(|st| st == Store::Overwrite);
    let mut xt = pool::scratch(node_len, T::ZERO);
    channels_inner(x, (s.atoms, mul, da), &mut xt);
    let mut gt_buf = pool::scratch(s.atoms * mul * dc, T::ZERO);
    let shape = (s.atoms, s.out_mul, s.out_offset);
    channels_inner_at(gout, shape, (mul, dc), &mut gt_buf);
    coupling::with_both_forms(entries, s.dims, |c| {
        let inputs = (&xt[..], b, w);
        let gt = &gt_buf[..];
        let kernel = |edges, gx: Option<&mut [T]>, gb: Option<&mut [T]>, gw: Option<&mut [T]>| {
            let grads = (gx, gb, gw);
            dispatch_dims!(
                da,
                dc,
                backward_fixed,
                backward_dyn,
                c,
                s,
                inputs,
                idx,
                edges,
                gt,
                grads
            )
        };
        let want_x = gx.is_some().then_some(node_len);
        let sum = backward_blocks(s, want_x, (gb, gw), [clear[1], clear[2]], kernel);
        // The node-feature gradient back into `[atoms][mul][dim A]`, added
        // or written.
        if let (Some(gx), Some(sum)) = (gx, sum) {
            let at = ((s.atoms, mul, 0), (mul, da));
            if clear[0] {
                channels_outer_at::<T, false>(&sum, at.0, at.1, gx);
            } else {
                channels_outer_at::<T, true>(&sum, at.0, at.1, gx);
            }
            pool::recycle(sum);
        }
    });
    pool::recycle(xt);
    pool::recycle(gt_buf);
}
