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

use super::channelwise::{backward_row_single, dispatch_dims, forward_row_single, row_matrix};
use super::coupling::Entry;
use super::parallel;
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

fn forward_fixed<T: Real, const DA: usize, const DC: usize>(
    entries: &[Entry<T>],
    s: &ConvShape,
    (x, b, w): (&[T], &[T], &[T]),
    idx: EdgeIndex<'_>,
    (edges, atom0): (std::ops::Range<usize>, usize),
    out: &mut [T],
) {
    let db = s.dims.1;
    for e in edges {
        let mr = row_matrix::<T, DA, DC>(entries, &b[e * db..][..db]);
        let xr = &x[idx.neighbors[e] * s.mul * DA..][..s.mul * DA];
        let wr = &w[e * s.w_row + s.w_offset..][..s.mul];
        let o = (idx.centers[e] - atom0) * s.out_mul + s.out_offset;
        forward_row_single::<T, DA, DC, true>(&mr, xr, wr, &mut out[o * DC..][..s.mul * DC]);
    }
}

fn forward_dyn<T: Real>(
    entries: &[Entry<T>],
    s: &ConvShape,
    (x, b, w): (&[T], &[T], &[T]),
    idx: EdgeIndex<'_>,
    (edges, atom0): (std::ops::Range<usize>, usize),
    out: &mut [T],
) {
    let (da, db, dc) = s.dims;
    for e in edges {
        let o = (idx.centers[e] - atom0) * s.out_mul + s.out_offset;
        for u in 0..s.mul {
            let wu = w[e * s.w_row + s.w_offset + u];
            let xu = &x[(idx.neighbors[e] * s.mul + u) * da..][..da];
            for en in entries {
                out[(o + u) * dc + en.k] += wu * en.c * xu[en.i] * b[e * db + en.j];
            }
        }
    }
}

/// Adds the path's contribution into `out` (`[atoms][out_mul][dim C]`).
pub fn forward<T: Real>(
    entries: &[Entry<T>],
    s: &ConvShape,
    inputs: (&[T], &[T], &[T]),
    idx: EdgeIndex<'_>,
    out: &mut [T],
) {
    let (da, _, dc) = s.dims;
    let row = s.out_mul * dc;
    let sorted = idx.centers.windows(2).all(|p| p[0] <= p[1]);
    if !sorted || !parallel::worth_splitting(s.edges) {
        let range = (0..s.edges, 0);
        return dispatch_dims!(
            da,
            dc,
            forward_fixed,
            forward_dyn,
            entries,
            s,
            inputs,
            idx,
            range,
            out
        );
    }
    // Each block of edges covers the atoms centers[first]..=centers[last].
    let blocks: Vec<_> = parallel::blocks(s.edges).collect();
    let partials: Vec<(usize, Vec<T>)> = blocks
        .into_par_iter()
        .map(|(e0, n)| {
            let (a0, a1) = (idx.centers[e0], idx.centers[e0 + n - 1] + 1);
            let mut part = vec![T::ZERO; (a1 - a0) * row];
            let range = (e0..e0 + n, a0);
            dispatch_dims!(
                da,
                dc,
                forward_fixed,
                forward_dyn,
                entries,
                s,
                inputs,
                idx,
                range,
                &mut part
            );
            (a0, part)
        })
        .collect();
    for (a0, part) in partials {
        for (o, p) in out[a0 * row..].iter_mut().zip(part) {
            *o += p;
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn backward_fixed<T: Real, const DA: usize, const DC: usize>(
    entries: &[Entry<T>],
    s: &ConvShape,
    (x, b, w): (&[T], &[T], &[T]),
    idx: EdgeIndex<'_>,
    edges: std::ops::Range<usize>,
    gout: &[T],
    (mut gx, mut gb, mut gw): GradBufs<'_, T>,
) {
    let e0 = edges.start;
    let db = s.dims.1;
    let mut gm = [T::ZERO; 64];
    for e in edges {
        let mr = row_matrix::<T, DA, DC>(entries, &b[e * db..][..db]);
        let xr = &x[idx.neighbors[e] * s.mul * DA..][..s.mul * DA];
        let wr = &w[e * s.w_row + s.w_offset..][..s.mul];
        let o = idx.centers[e] * s.out_mul + s.out_offset;
        let gr = &gout[o * DC..][..s.mul * DC];
        let gm = &mut gm[..DA * DC];
        gm.fill(T::ZERO);
        backward_row_single::<T, DA, DC>(
            mr,
            (xr, wr, gr),
            gx.as_deref_mut()
                .map(|g| &mut g[idx.neighbors[e] * s.mul * DA..][..s.mul * DA]),
            gw.as_deref_mut()
                .map(|g| &mut g[(e - e0) * s.w_row + s.w_offset..][..s.mul]),
            gb.is_some().then_some(&mut gm[..]),
        );
        if let Some(gb) = gb.as_deref_mut() {
            let g = &mut gb[(e - e0) * db..][..db];
            for en in entries {
                g[en.j] += en.c * gm[en.i * DC + en.k];
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn backward_dyn<T: Real>(
    entries: &[Entry<T>],
    s: &ConvShape,
    (x, b, w): (&[T], &[T], &[T]),
    idx: EdgeIndex<'_>,
    edges: std::ops::Range<usize>,
    gout: &[T],
    (mut gx, mut gb, mut gw): GradBufs<'_, T>,
) {
    let e0 = edges.start;
    let (da, db, dc) = s.dims;
    for e in edges {
        let (i, j) = (idx.centers[e], idx.neighbors[e]);
        for u in 0..s.mul {
            let wi = e * s.w_row + s.w_offset + u;
            let go = &gout[(i * s.out_mul + s.out_offset + u) * dc..][..dc];
            let xu = &x[(j * s.mul + u) * da..][..da];
            for en in entries {
                let t = en.c * go[en.k];
                let be = b[e * db + en.j];
                if let Some(gx) = gx.as_deref_mut() {
                    gx[(j * s.mul + u) * da + en.i] += w[wi] * t * be;
                }
                if let Some(gb) = gb.as_deref_mut() {
                    gb[(e - e0) * db + en.j] += w[wi] * t * xu[en.i];
                }
                if let Some(gw) = gw.as_deref_mut() {
                    gw[(e - e0) * s.w_row + s.w_offset + u] += t * xu[en.i] * be;
                }
            }
        }
    }
}

/// Adds the path's input gradients (those given) for the output gradient
/// `gout` (`[atoms][out_mul][dim C]`).
pub fn backward<T: Real>(
    entries: &[Entry<T>],
    s: &ConvShape,
    inputs: (&[T], &[T], &[T]),
    idx: EdgeIndex<'_>,
    gout: &[T],
    (gx, gb, gw): GradBufs<'_, T>,
) {
    let (da, db, dc) = s.dims;
    if !parallel::worth_splitting(s.edges) {
        let grads = (gx, gb, gw);
        return dispatch_dims!(
            da,
            dc,
            backward_fixed,
            backward_dyn,
            entries,
            s,
            inputs,
            idx,
            0..s.edges,
            gout,
            grads
        );
    }
    // Edge gradients by edge block; node gradients from block partials,
    // added in block order.
    let node_len = s.atoms * s.mul * da;
    let want_x = gx.is_some();
    let step = parallel::ROWS_PER_TASK;
    let mut gb_blocks = gb.map(|g| g.chunks_mut(step * db));
    let mut gw_blocks = gw.map(|g| g.chunks_mut(step * s.w_row.max(1)));
    type Task<'g, T> = (usize, usize, Option<&'g mut [T]>, Option<&'g mut [T]>);
    let tasks: Vec<Task<'_, T>> = parallel::blocks(s.edges)
        .map(|(e0, n)| {
            let gb = gb_blocks.as_mut().and_then(Iterator::next);
            let gw = gw_blocks.as_mut().and_then(Iterator::next);
            (e0, n, gb, gw)
        })
        .collect();
    let partials: Vec<Option<Vec<T>>> = tasks
        .into_par_iter()
        .map(|(e0, n, gb, gw)| {
            let mut part = want_x.then(|| vec![T::ZERO; node_len]);
            let grads = (part.as_deref_mut(), gb, gw);
            let edges = e0..e0 + n;
            dispatch_dims!(
                da,
                dc,
                backward_fixed,
                backward_dyn,
                entries,
                s,
                inputs,
                idx,
                edges,
                gout,
                grads
            );
            part
        })
        .collect();
    if let Some(gx) = gx {
        for part in partials.into_iter().flatten() {
            for (g, p) in gx.iter_mut().zip(part) {
                *g += p;
            }
        }
    }
}
