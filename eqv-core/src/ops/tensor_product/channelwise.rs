//! The channel-wise (`uvu`) product with per-row weights: the convolution of
//! NequIP and MACE, where the weights come from a radial MLP of each edge's
//! length.

use super::{coupling, Entry};
use crate::feat::Feat;
use crate::graph::Graph;
use crate::irrep::{Irrep, Scalar};
use crate::kernels::channelwise::{self, PathShape};
use crate::kernels::convolution::{self, ConvShape, EdgeIndex};
use crate::real::Real;
use crate::rules::InProduct;
use crate::tape::{NodeId, Tape};
use std::marker::PhantomData;

/// The path `A ⊗ B → C` in e3nn's `uvu` mode, weighted per row:
///
/// ```text
/// out[r,u,k] = path_weight · √(2 l_C + 1) · Σ_v w[r,u,v] · Σ_ij C_ijk a[r,u,i] b[r,v,j]
/// ```
///
/// * `a`: `[rows, mul]` (node features gathered onto edges),
/// * `b`: `[rows, mul_b]` (usually the edge's spherical harmonics, `mul_b = 1`),
/// * `w`: `Scalar` weights `[rows, mul · mul_b]`, index `u · mul_b + v`
///   (usually the output of a radial MLP: they must be invariants, which
///   their type guarantees),
/// * result: `[rows, mul]`.
///
/// `path_weight` is e3nn's 'element' normalisation of this path,
/// `√(1 / Σ fan-in)` over all paths into `C` with fan-in `mul_b` each (see
/// [`path_weights`](super::path_weights) and
/// [`PathKind::ChannelWise`](super::PathKind::ChannelWise)); for a single
/// path it is `1/√mul_b`. With N(0, 1) inputs and weights the output has
/// unit second moment.
///
/// Cost per row: `nnz(C) · mul_b` to fold `b` into a dense matrix, then
/// `mul · mul_b · dim A · dim C` (see [`crate::kernels::channelwise`]).
///
/// # Panics
/// If the rows differ or `w` does not have `mul · mul_b` channels.
pub fn channelwise_tensor_product<'t, A: Irrep, B: Irrep, C, T: Real>(
    a: Feat<'t, A, T>,
    b: Feat<'t, B, T>,
    w: Feat<'t, Scalar, T>,
    path_weight: f64,
) -> Feat<'t, C, T>
where
    C: InProduct<A, B>,
{
    let (mul, mb) = (a.mul(), b.mul());
    assert_eq!(
        w.mul(),
        mul * mb,
        "channelwise_tensor_product: weights need {mul} x {mb} = {} channels per row, got {}",
        mul * mb,
        w.mul()
    );
    channelwise_paths(&[ChannelwisePath::new(a, b)], w, 0, path_weight)
}

/// One path `A ⊗ B → C` of a channel-wise product, with the irreps of its
/// inputs checked (`C: InProduct<A, B>`, rule 4) and then erased, so that
/// all the paths into one output irrep can be run as one op by
/// [`channelwise_paths`].
pub struct ChannelwisePath<'t, C: Irrep, T: Real> {
    a: (NodeId, usize, u32),
    b: (NodeId, usize, u32),
    rows: (usize, usize),
    tape: &'t Tape<T>,
    _c: PhantomData<C>,
}

impl<'t, C: Irrep, T: Real> ChannelwisePath<'t, C, T> {
    /// The path `a ⊗ b → C`.
    pub fn new<A: Irrep, B: Irrep>(a: Feat<'t, A, T>, b: Feat<'t, B, T>) -> Self
    where
        C: InProduct<A, B>,
    {
        assert!(
            std::ptr::eq(a.tape(), b.tape()),
            "channelwise_tensor_product: features live on different tapes"
        );
        ChannelwisePath {
            a: (a.id(), a.mul(), A::L),
            b: (b.id(), b.mul(), B::L),
            rows: (a.rows(), b.rows()),
            tape: a.tape(),
            _c: PhantomData,
        }
    }

    /// Weights this path reads per row, `mul_a · mul_b`.
    pub fn weight_numel(&self) -> usize {
        self.a.1 * self.b.1
    }
}

/// Several channel-wise paths into the same output irrep `C`, as one op:
/// the output's channels are the paths' channels in order (e3nn's layout of
/// a `uvu` product), and path `p` reads its `mul_a · mul_b` weights per row
/// from `w` starting at channel `w_offset + Σ_{q<p} mul_a(q) · mul_b(q)`.
/// No per-path copy of weights or outputs is made.
///
/// # Panics
/// If `paths` is empty, the rows differ, or `w` has too few channels.
pub fn channelwise_paths<'t, C: Irrep, T: Real>(
    paths: &[ChannelwisePath<'t, C, T>],
    w: Feat<'t, Scalar, T>,
    w_offset: usize,
    path_weight: f64,
) -> Feat<'t, C, T> {
    let first = paths.first().expect("channelwise_paths: at least one path");
    let (rows, tape) = (first.rows.0, first.tape);
    let needed = w_offset
        + paths
            .iter()
            .map(ChannelwisePath::weight_numel)
            .sum::<usize>();
    for p in paths {
        assert!(
            std::ptr::eq(p.tape, w.tape()),
            "channelwise_tensor_product: features live on different tapes"
        );
        assert!(
            p.rows == (rows, rows) && w.rows() == rows,
            "channelwise_tensor_product: rows differ (a: {}, b: {}, w: {})",
            p.rows.0,
            p.rows.1,
            w.rows()
        );
    }
    assert!(
        w.mul() >= needed,
        "channelwise_tensor_product: the paths need {needed} weight channels per row, got {}",
        w.mul()
    );
    let (plan, out_mul) = plan(paths, w_offset, path_weight);
    let shape = |p: &PlannedPath<T>| PathShape {
        rows,
        mul: p.mul,
        mul_b: p.mul_b,
        dims: p.dims,
        w_row: w.mul(),
        w_offset: p.w_offset,
        out_mul,
        out_offset: p.out_offset,
    };
    let shapes: Vec<PathShape> = plan.iter().map(shape).collect();
    let wv = w.data();
    let values: Vec<_> = plan
        .iter()
        .map(|p| (tape.value(p.a), tape.value(p.b)))
        .collect();
    // The paths' channels tile the output: every element is written once.
    let mut y = tape.scratch(rows * out_mul * C::DIM);
    for ((p, shape), (av, bv)) in plan.iter().zip(&shapes).zip(&values) {
        channelwise::forward(&p.entries, shape, (av, bv, &wv), &mut y);
    }
    let iw = w.id();
    let inputs = inputs_of(&plan, iw);
    Feat::from_op(tape, rows, out_mul, y, &inputs, move |gy, g| {
        for ((p, shape), (av, bv)) in plan.iter().zip(&shapes).zip(&values) {
            let inputs = (&av[..], &bv[..], &wv[..]);
            // The first path into a gradient clears it in cache as it goes.
            g.with_three_slots([p.a, p.b, iw], |grads, stores| {
                channelwise::backward(&p.entries, shape, inputs, gy, grads, stores)
            });
        }
    })
}

/// The paths of [`channelwise_paths`] fused with the graph's gather and
/// scatter: for node features `a` (one row per atom) and edge inputs `b`
/// (one row per edge, one channel: the edge harmonics),
///
/// ```text
/// graph.scatter_sum(channelwise_paths([gather_neighbors(a) ⊗ b, …], w))
/// ```
///
/// computed in one pass over the edges, without the gathered copy of the
/// node features or the per-edge messages (see
/// [`crate::kernels::convolution`]). Same numbers as the unfused
/// composition, up to the order of additions.
///
/// # Panics
/// If `paths` is empty, the node features do not have one row per atom,
/// the edge inputs or weights one row per edge, an edge input has more
/// than one channel, or `w` has too few channels.
pub fn channelwise_convolution<'t, C: Irrep, T: Real>(
    graph: &Graph<'t, T>,
    paths: &[ChannelwisePath<'t, C, T>],
    w: Feat<'t, Scalar, T>,
    w_offset: usize,
    path_weight: f64,
) -> Feat<'t, C, T> {
    let first = paths
        .first()
        .expect("channelwise_convolution: at least one path");
    let tape = first.tape;
    let (atoms, edges) = (graph.num_atoms(), graph.num_edges());
    let needed = w_offset
        + paths
            .iter()
            .map(ChannelwisePath::weight_numel)
            .sum::<usize>();
    for p in paths {
        assert!(
            std::ptr::eq(p.tape, w.tape()) && std::ptr::eq(p.tape, graph.tape()),
            "channelwise_convolution: features live on different tapes"
        );
        assert!(
            p.rows == (atoms, edges) && w.rows() == edges,
            "channelwise_convolution: needs node features with one row per atom ({atoms}) and edge inputs and weights with one row per edge ({edges}); got {}, {} and {}",
            p.rows.0,
            p.rows.1,
            w.rows()
        );
        assert_eq!(
            p.b.1, 1,
            "channelwise_convolution: the edge input has one channel (the edge harmonics)"
        );
    }
    assert!(
        w.mul() >= needed,
        "channelwise_convolution: the paths need {needed} weight channels per edge, got {}",
        w.mul()
    );
    let (plan, out_mul) = plan(paths, w_offset, path_weight);
    let shape = |p: &PlannedPath<T>| ConvShape {
        atoms,
        edges,
        mul: p.mul,
        dims: p.dims,
        w_row: w.mul(),
        w_offset: p.w_offset,
        out_mul,
        out_offset: p.out_offset,
    };
    let shapes: Vec<ConvShape> = plan.iter().map(shape).collect();
    let wv = w.data();
    let values: Vec<_> = plan
        .iter()
        .map(|p| (tape.value(p.a), tape.value(p.b)))
        .collect();
    let (centers, neighbors) = (graph.centers_rc(), graph.neighbors_rc());
    let idx = EdgeIndex {
        centers: &centers,
        neighbors: &neighbors,
    };
    let mut y = tape.zeros(atoms * out_mul * C::DIM);
    for ((p, shape), (av, bv)) in plan.iter().zip(&shapes).zip(&values) {
        convolution::forward(&p.entries, shape, (av, bv, &wv), idx, &mut y);
    }
    let iw = w.id();
    let inputs = inputs_of(&plan, iw);
    Feat::from_op(tape, atoms, out_mul, y, &inputs, move |gy, g| {
        let idx = EdgeIndex {
            centers: &centers,
            neighbors: &neighbors,
        };
        for ((p, shape), (av, bv)) in plan.iter().zip(&shapes).zip(&values) {
            let inputs = (&av[..], &bv[..], &wv[..]);
            // The first path into a gradient writes it (edge rows cleared
            // in cache, the node gradient written).
            g.with_three_slots([p.a, p.b, iw], |grads, stores| {
                convolution::backward(&p.entries, shape, inputs, idx, gy, grads, stores)
            });
        }
    })
}

/// One path of a product as the kernels address it: its input nodes,
/// channels, dimensions, where its weights and output channels start, and
/// its Clebsch-Gordan entries in the order the row kernels read them.
struct PlannedPath<T> {
    a: NodeId,
    b: NodeId,
    mul: usize,
    mul_b: usize,
    dims: (usize, usize, usize),
    w_offset: usize,
    out_offset: usize,
    entries: Vec<Entry<T>>,
}

/// The plan of `paths` (weights from channel `w_offset` on) and the
/// output's channel count: computed once for both passes.
fn plan<C: Irrep, T: Real>(
    paths: &[ChannelwisePath<'_, C, T>],
    w_offset: usize,
    path_weight: f64,
) -> (Vec<PlannedPath<T>>, usize) {
    let (mut w_at, mut out_at) = (w_offset, 0);
    let mut plan = Vec::with_capacity(paths.len());
    for p in paths {
        let (la, lb) = (p.a.2, p.b.2);
        let entries: Vec<Entry<T>> = coupling(la, lb, C::L, path_weight);
        plan.push(PlannedPath {
            a: p.a.0,
            b: p.b.0,
            mul: p.a.1,
            mul_b: p.b.1,
            dims: (2 * la as usize + 1, 2 * lb as usize + 1, C::DIM),
            w_offset: w_at,
            out_offset: out_at,
            entries,
        });
        w_at += p.weight_numel();
        out_at += p.a.1;
    }
    (plan, out_at)
}

/// The input nodes of the planned paths and then `w`, as the tape records them.
fn inputs_of<T>(plan: &[PlannedPath<T>], w: NodeId) -> Vec<NodeId> {
    let mut inputs: Vec<NodeId> = plan.iter().flat_map(|p| [p.a, p.b]).collect();
    inputs.push(w);
    inputs
}
