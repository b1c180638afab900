//! The hot kernels of a NequIP-like convolution at realistic sizes, shared by
//! `benches/ops.rs` (criterion) and `examples/bench_vs_e3nn.rs` (the same
//! workloads timed back to back with e3nn, `tools/bench/e3nn_bench.py`).
//!
//! Every workload is split into `*Inputs::new` (random data, not timed) and
//! a `run` that consumes the inputs, so no timed loop copies its input
//! arrays (PyTorch's tensors also exist before its timed calls), and whose
//! backward passes hand their seeds to the pool instead of freeing them
//! (e3nn's side makes its seed once and never frees it in a timed call).
//!
//! Sizes (keep in sync with `tools/bench/e3nn_bench.py`):
//!
//! * channel-wise (uvu) tensor product, 20 000 edges,
//!   `32x0e + 8x1o ⊗ 1x0e + 1x1o + 1x2e → 0e + 1o`: the five paths
//!   `0e⊗0e→0e`, `1o⊗1o→0e`, `0e⊗1o→1o`, `1o⊗0e→1o`, `1o⊗2e→1o`
//!   (output `40x0e + 48x1o`), 88 weights per edge;
//! * spherical harmonics of 20 000 vectors, degrees 0..=2 and 0..=3,
//!   normalised directions, 'component' normalisation;
//! * Linear `32x0e → 32x0e` and `32x1o → 32x1o` on 2 000 atoms;
//! * scatter-sum of the `40x0e + 48x1o` messages of 20 000 edges onto
//!   1 200 atoms (sorted centres, as a neighbour list gives them);
//! * the fully connected (uvw) tensor product
//!   `16x0e + 16x1o + 16x2e ⊗ same → same` (all 11 allowed paths, weights
//!   `[16, 16, 16]` per path, e3nn's normalisation), batch 10 000 ([`FullTp`]);
//! * `Linear` `32x0e + 32x1o + 32x2e → same` (one `Linear` per block),
//!   batch 10 000 ([`LinearIrreps`]);
//! * spherical harmonics of [`SH_VECTORS`] = 100 000 vectors for the e3nn
//!   comparison (`benches/ops.rs` keeps 20 000).

#![allow(dead_code)]

use eqv::prelude::*;

pub const EDGES: usize = 20_000;
pub const ATOMS_LINEAR: usize = 2_000;
pub const ATOMS_SCATTER: usize = 1_200;
pub const SCALARS: usize = 32;
pub const VECTORS: usize = 8;
/// Weights per edge: one per input channel of each path.
pub const TP_WEIGHTS: usize = SCALARS + VECTORS + SCALARS + VECTORS + VECTORS;

fn random<T: Real>(rng: &mut Rng, n: usize) -> Vec<T> {
    (0..n).map(|_| T::from_f64(rng.normal())).collect()
}

/// Hands the seeds to the thread's pool once the backward pass has read
/// them, as the tape does with its values when it is dropped: dropped
/// instead, each large seed is returned to the operating system inside
/// the timed call (an `munmap`), which e3nn's side, whose seed is made
/// once, never pays.
fn recycle_all<T: Real, const N: usize>(seeds: [Vec<T>; N]) {
    for s in seeds {
        eqv::kernels::pool::recycle(s);
    }
}

/// Inputs of the channel-wise tensor product, block by block.
pub struct TpInputs<T: Real> {
    x0: Vec<T>,
    x1: Vec<T>,
    sh0: Vec<T>,
    sh1: Vec<T>,
    sh2: Vec<T>,
    /// Weights of the five paths, `[edges, mul_in]` each.
    w: [Vec<T>; 5],
    /// Output gradients of the five paths (ones), for the backward pass.
    seeds: [Vec<T>; 5],
}

impl<T: Real> TpInputs<T> {
    pub fn new(edges: usize, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let (s, v) = (SCALARS, VECTORS);
        let muls = [s, v, s, v, v];
        let out_dims = [s, v, 3 * s, 3 * v, 3 * v];
        TpInputs {
            x0: random(&mut rng, edges * s),
            x1: random(&mut rng, edges * v * 3),
            sh0: random(&mut rng, edges),
            sh1: random(&mut rng, edges * 3),
            sh2: random(&mut rng, edges * 5),
            w: muls.map(|m| random(&mut rng, edges * m)),
            seeds: out_dims.map(|d| vec![T::ONE; edges * d]),
        }
    }

    fn rows(&self) -> usize {
        self.sh0.len()
    }

    /// The five paths; with `backward`, inputs and weights are tracked and
    /// each path's output is pulled back with a seed of ones (each VJP runs
    /// once: a path's inputs are leaves). Returns a checksum.
    pub fn run(self, backward: bool) -> f64 {
        let rows = self.rows();
        let t = Tape::<T>::new();
        // Leaves: tracked (variables) when the backward pass is timed.
        fn leaf<'t, I: Irrep, T: Real>(
            t: &'t Tape<T>,
            tracked: bool,
            rows: usize,
            mul: usize,
            data: Vec<T>,
        ) -> Feat<'t, I, T> {
            if tracked {
                eqv::non_equivariant::variable(t, rows, mul, data)
            } else {
                eqv::non_equivariant::input(t, rows, mul, data)
            }
        }
        let (s, v) = (SCALARS, VECTORS);
        let x0 = leaf::<Scalar, T>(&t, backward, rows, s, self.x0);
        let x1 = leaf::<Vector, T>(&t, backward, rows, v, self.x1);
        let sh0 = leaf::<Scalar, T>(&t, backward, rows, 1, self.sh0);
        let sh1 = leaf::<Vector, T>(&t, backward, rows, 1, self.sh1);
        let sh2 = leaf::<Tensor2e, T>(&t, backward, rows, 1, self.sh2);
        let [w0, w1, w2, w3, w4] = self.w;
        let w0 = leaf::<Scalar, T>(&t, backward, rows, s, w0);
        let w1 = leaf::<Scalar, T>(&t, backward, rows, v, w1);
        let w2 = leaf::<Scalar, T>(&t, backward, rows, s, w2);
        let w3 = leaf::<Scalar, T>(&t, backward, rows, v, w3);
        let w4 = leaf::<Scalar, T>(&t, backward, rows, v, w4);
        let p0 = channelwise_tensor_product::<Scalar, Scalar, Scalar, T>(x0, sh0, w0, 1.0);
        let p1 = channelwise_tensor_product::<Vector, Vector, Scalar, T>(x1, sh1, w1, 1.0);
        let p2 = channelwise_tensor_product::<Scalar, Vector, Vector, T>(x0, sh1, w2, 1.0);
        let p3 = channelwise_tensor_product::<Vector, Scalar, Vector, T>(x1, sh0, w3, 1.0);
        let p4 = channelwise_tensor_product::<Vector, Tensor2e, Vector, T>(x1, sh2, w4, 1.0);
        let ids = [p0.id(), p1.id(), p2.id(), p3.id(), p4.id()];
        let mut check = 0.0;
        if backward {
            for (id, seed) in ids.iter().zip(&self.seeds) {
                let g = t.backward(*id, seed);
                check += g.get(x1.id()).map_or(0.0, |v| v[0].value());
            }
        } else {
            check = p4.data()[0].value() + p0.data()[0].value();
        }
        recycle_all(self.seeds);
        check
    }
}

/// Edge vectors for the spherical harmonics.
pub struct ShInputs<T: Real> {
    v: Vec<T>,
}

impl<T: Real> ShInputs<T> {
    pub fn new(edges: usize, seed: u64) -> Self {
        ShInputs {
            v: random(&mut Rng::new(seed), edges * 3),
        }
    }

    /// All harmonics of degrees `0..=lmax` of the (normalised) vectors.
    pub fn run(self, lmax: u32) -> f64 {
        let t = Tape::<T>::new();
        let rows = self.v.len() / 3;
        let v = eqv::non_equivariant::input::<Vector, T>(&t, rows, 1, self.v);
        let sh = sh_up_to(v, lmax, true);
        sh.get::<Vector>().data()[0].value()
    }
}

/// Node features and two linear maps 32 → 32 (scalars and vectors).
pub struct LinearInputs<T: Real> {
    s: Vec<T>,
    v: Vec<T>,
    lin_s: Linear<Scalar, Scalar>,
    lin_v: Linear<Vector, Vector>,
}

impl<T: Real> LinearInputs<T> {
    pub fn new(atoms: usize, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        LinearInputs {
            s: random(&mut rng, atoms * 32),
            v: random(&mut rng, atoms * 32 * 3),
            lin_s: Linear::new(32, 32, &mut rng),
            lin_v: Linear::new(32, 32, &mut rng),
        }
    }

    /// `32x0e → 32x0e` (`vectors = false`) or `32x1o → 32x1o`.
    pub fn run(self, vectors: bool) -> f64 {
        let t = Tape::<T>::new();
        if vectors {
            let rows = self.v.len() / 96;
            let x = eqv::non_equivariant::input::<Vector, T>(&t, rows, 32, self.v);
            self.lin_v.forward(x).data()[0].value()
        } else {
            let rows = self.s.len() / 32;
            let x = eqv::non_equivariant::input::<Scalar, T>(&t, rows, 32, self.s);
            self.lin_s.forward(x).data()[0].value()
        }
    }
}

/// Messages `40x0e + 48x1o` per edge and each edge's (sorted) centre.
pub struct ScatterInputs<T: Real> {
    m0: Vec<T>,
    m1: Vec<T>,
    index: Vec<usize>,
    atoms: usize,
}

impl<T: Real> ScatterInputs<T> {
    pub fn new(edges: usize, atoms: usize, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        ScatterInputs {
            m0: random(&mut rng, edges * 40),
            m1: random(&mut rng, edges * 48 * 3),
            index: (0..edges).map(|k| k * atoms / edges).collect(),
            atoms,
        }
    }

    /// Sums the messages of each atom's edges (both irrep blocks).
    pub fn run(self) -> f64 {
        let t = Tape::<T>::new();
        let rows = self.index.len();
        let m0 = eqv::non_equivariant::input::<Scalar, T>(&t, rows, 40, self.m0);
        let m1 = eqv::non_equivariant::input::<Vector, T>(&t, rows, 48, self.m1);
        let a0 = eqv::non_equivariant::sum_rows_by(m0, &self.index, self.atoms);
        let a1 = eqv::non_equivariant::sum_rows_by(m1, &self.index, self.atoms);
        a0.data()[0].value() + a1.data()[0].value()
    }
}

/// Batch of the fully connected product and of [`LinearIrreps`].
pub const FC_BATCH: usize = 10_000;
/// Channels of each block of the fully connected product.
pub const FC_MUL: usize = 16;
/// Channels of each block of [`LinearIrreps`].
pub const LIN_MUL: usize = 32;
/// Vectors of the spherical-harmonics workload of the e3nn comparison.
pub const SH_VECTORS: usize = 100_000;

/// The blocks `0e, 1o, 2e` of one irreps array, `[rows, mul, 2l+1]` each.
pub type Blocks<'t, T> = (
    Feat<'t, Scalar, T>,
    Feat<'t, Vector, T>,
    Feat<'t, Tensor2e, T>,
);

/// The fully connected (uvw) product `m x0e + m x1o + m x2e ⊗ same → same`
/// built path by path from [`FullyConnectedTp`] exactly as `#[equivariant]`
/// expands a `FullTp` field: every path's output scaled by
/// `√(fan_in / Σ fan_in of the paths into that output)` on top of the
/// path's own `1/√(mul_a·mul_b)`, that is by `1/√(Σ fan_in)` (the path
/// weight, folded into its coupling), then summed — e3nn's 'component' /
/// 'element' normalisation of `o3.FullyConnectedTensorProduct`.
///
/// Paths `(i, j) → o` (block indices 0 = 0e, 1 = 1o, 2 = 2e), grouped by
/// output and in input order, as the macro generates them:
/// 0e ← 0e⊗0e, 1o⊗1o, 2e⊗2e; 1o ← 0e⊗1o, 1o⊗0e, 1o⊗2e, 2e⊗1o;
/// 2e ← 0e⊗2e, 1o⊗1o, 2e⊗0e, 2e⊗2e.
pub struct FullTp {
    pub p0_00: FullyConnectedTp<Scalar, Scalar, Scalar>,
    pub p0_11: FullyConnectedTp<Vector, Vector, Scalar>,
    pub p0_22: FullyConnectedTp<Tensor2e, Tensor2e, Scalar>,
    pub p1_01: FullyConnectedTp<Scalar, Vector, Vector>,
    pub p1_10: FullyConnectedTp<Vector, Scalar, Vector>,
    pub p1_12: FullyConnectedTp<Vector, Tensor2e, Vector>,
    pub p1_21: FullyConnectedTp<Tensor2e, Vector, Vector>,
    pub p2_02: FullyConnectedTp<Scalar, Tensor2e, Tensor2e>,
    pub p2_11: FullyConnectedTp<Vector, Vector, Tensor2e>,
    pub p2_20: FullyConnectedTp<Tensor2e, Scalar, Tensor2e>,
    pub p2_22: FullyConnectedTp<Tensor2e, Tensor2e, Tensor2e>,
    pub mul: usize,
}

impl FullTp {
    /// `mul` channels per block, weights N(0, 1) from `seed` (macro order).
    pub fn new(mul: usize, seed: u64) -> Self {
        let rng = &mut Rng::new(seed);
        let m = mul;
        // Three paths of m² fan-in into 0e, four into 1o and into 2e.
        let fan = (m * m).max(1) as f64;
        let (w3, w4) = (1.0 / (3.0 * fan).sqrt(), 1.0 / (4.0 * fan).sqrt());
        FullTp {
            p0_00: FullyConnectedTp::with_path_weight(m, m, m, w3, rng),
            p0_11: FullyConnectedTp::with_path_weight(m, m, m, w3, rng),
            p0_22: FullyConnectedTp::with_path_weight(m, m, m, w3, rng),
            p1_01: FullyConnectedTp::with_path_weight(m, m, m, w4, rng),
            p1_10: FullyConnectedTp::with_path_weight(m, m, m, w4, rng),
            p1_12: FullyConnectedTp::with_path_weight(m, m, m, w4, rng),
            p1_21: FullyConnectedTp::with_path_weight(m, m, m, w4, rng),
            p2_02: FullyConnectedTp::with_path_weight(m, m, m, w4, rng),
            p2_11: FullyConnectedTp::with_path_weight(m, m, m, w4, rng),
            p2_20: FullyConnectedTp::with_path_weight(m, m, m, w4, rng),
            p2_22: FullyConnectedTp::with_path_weight(m, m, m, w4, rng),
            mul,
        }
    }

    /// Every path as `((i, j, o), weights [mul, mul, mul])`, block indices
    /// as in the type docs.
    pub fn paths(&self) -> [((usize, usize, usize), &Param); 11] {
        [
            ((0, 0, 0), &self.p0_00.weight),
            ((1, 1, 0), &self.p0_11.weight),
            ((2, 2, 0), &self.p0_22.weight),
            ((0, 1, 1), &self.p1_01.weight),
            ((1, 0, 1), &self.p1_10.weight),
            ((1, 2, 1), &self.p1_12.weight),
            ((2, 1, 1), &self.p1_21.weight),
            ((0, 2, 2), &self.p2_02.weight),
            ((1, 1, 2), &self.p2_11.weight),
            ((2, 0, 2), &self.p2_20.weight),
            ((2, 2, 2), &self.p2_22.weight),
        ]
    }

    /// Floating-point operations of one forward row, counting 2 per
    /// multiply-add: per path `mul²·nnz(C)` for the Clebsch-Gordan
    /// contraction of every channel pair plus `mul³·(2 l_out + 1)` for the
    /// weight contraction (the scaling and summing of the paths is not
    /// counted).
    pub fn flops_per_row(&self) -> f64 {
        let m = self.mul as f64;
        self.paths()
            .iter()
            .map(|&((i, j, o), _)| {
                let nnz = eqv::so3::clebsch_gordan_sparse(i as u32, j as u32, o as u32).len();
                2.0 * (m * m * nnz as f64 + m * m * m * (2 * o + 1) as f64)
            })
            .sum()
    }

    /// The product of every row of `x` and `y`.
    pub fn forward<'t, T: Real>(&self, x: Blocks<'t, T>, y: Blocks<'t, T>) -> Blocks<'t, T> {
        let (x0, x1, x2) = x;
        let (y0, y1, y2) = y;
        // The normalisation is in each path's weight ([`FullTp::new`]);
        // each output irrep is one op summing its paths, as in e3nn's
        // `FullyConnectedTensorProduct`.
        let o0 = fully_connected_sum(&[
            self.p0_00.path(x0, y0),
            self.p0_11.path(x1, y1),
            self.p0_22.path(x2, y2),
        ]);
        let o1 = fully_connected_sum(&[
            self.p1_01.path(x0, y1),
            self.p1_10.path(x1, y0),
            self.p1_12.path(x1, y2),
            self.p1_21.path(x2, y1),
        ]);
        let o2 = fully_connected_sum(&[
            self.p2_02.path(x0, y2),
            self.p2_11.path(x1, y1),
            self.p2_20.path(x2, y0),
            self.p2_22.path(x2, y2),
        ]);
        (o0, o1, o2)
    }
}

/// Leaves for the three blocks of an irreps array, tracked (variables) or not.
pub fn blocks<'t, T: Real>(
    t: &'t Tape<T>,
    tracked: bool,
    mul: usize,
    data: [Vec<T>; 3],
) -> Blocks<'t, T> {
    let [d0, d1, d2] = data;
    let rows = d0.len() / mul;
    if tracked {
        (
            eqv::non_equivariant::variable(t, rows, mul, d0),
            eqv::non_equivariant::variable(t, rows, mul, d1),
            eqv::non_equivariant::variable(t, rows, mul, d2),
        )
    } else {
        (
            eqv::non_equivariant::input(t, rows, mul, d0),
            eqv::non_equivariant::input(t, rows, mul, d1),
            eqv::non_equivariant::input(t, rows, mul, d2),
        )
    }
}

/// Random N(0, 1) blocks `0e, 1o, 2e` of `rows` rows and `mul` channels.
pub fn random_blocks<T: Real>(rng: &mut Rng, rows: usize, mul: usize) -> [Vec<T>; 3] {
    [1, 3, 5].map(|d| random(rng, rows * mul * d))
}

/// Pulls each output block back with its seed (one backward per block: the
/// three outputs share no op) and returns a checksum.
pub fn backward_ones<T: Real>(
    t: &Tape<T>,
    out: &Blocks<'_, T>,
    probe: eqv::tape::NodeId,
    seeds: &[Vec<T>; 3],
) -> f64 {
    let ids = [out.0.id(), out.1.id(), out.2.id()];
    let mut check = 0.0;
    for (id, seed) in ids.into_iter().zip(seeds) {
        let g = t.backward(id, seed);
        check += g.get(probe).map_or(0.0, |v| v[0].value());
    }
    check
}

/// Seeds of ones for outputs shaped as `blocks` (products `same → same`),
/// made with the inputs, outside the timed call: e3nn's side makes its
/// `gout` once, before timing.
fn ones_like<T: Real>(blocks: &[Vec<T>; 3]) -> [Vec<T>; 3] {
    blocks.each_ref().map(|b| vec![T::ONE; b.len()])
}

/// Inputs of the fully connected product: both operands, block by block.
pub struct FcTpInputs<T: Real> {
    x: [Vec<T>; 3],
    y: [Vec<T>; 3],
    seeds: [Vec<T>; 3],
}

impl<T: Real> FcTpInputs<T> {
    pub fn new(rows: usize, mul: usize, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let x = random_blocks(&mut rng, rows, mul);
        let seeds = ones_like(&x);
        FcTpInputs {
            x,
            y: random_blocks(&mut rng, rows, mul),
            seeds,
        }
    }

    /// Forward; with `backward`, gradients to both operands and all weights
    /// (each output block pulled back with ones). Returns a checksum.
    pub fn run(self, tp: &FullTp, backward: bool) -> f64 {
        // Forward only: parameters untracked, as e3nn's `no_grad`.
        let t = if backward {
            Tape::<T>::new()
        } else {
            Tape::<T>::inference()
        };
        let x = blocks(&t, backward, tp.mul, self.x);
        let y = blocks(&t, backward, tp.mul, self.y);
        let out = tp.forward(x, y);
        let check = if backward {
            backward_ones(&t, &out, x.1.id(), &self.seeds)
        } else {
            out.0.data()[0].value() + out.2.data()[0].value()
        };
        recycle_all(self.seeds);
        check
    }
}

/// `Linear` `m x0e + m x1o + m x2e → same`: one `Linear` per block (e3nn's
/// `o3.Linear` on these irreps is the same three matrix products).
pub struct LinearIrreps {
    pub l0: Linear<Scalar, Scalar>,
    pub l1: Linear<Vector, Vector>,
    pub l2: Linear<Tensor2e, Tensor2e>,
    pub mul: usize,
}

impl LinearIrreps {
    pub fn new(mul: usize, seed: u64) -> Self {
        let rng = &mut Rng::new(seed);
        LinearIrreps {
            l0: Linear::new(mul, mul, rng),
            l1: Linear::new(mul, mul, rng),
            l2: Linear::new(mul, mul, rng),
            mul,
        }
    }

    pub fn forward<'t, T: Real>(&self, x: Blocks<'t, T>) -> Blocks<'t, T> {
        (
            self.l0.forward(x.0),
            self.l1.forward(x.1),
            self.l2.forward(x.2),
        )
    }
}

/// Inputs of [`LinearIrreps`].
pub struct LinearIrrepsInputs<T: Real> {
    x: [Vec<T>; 3],
    seeds: [Vec<T>; 3],
}

impl<T: Real> LinearIrrepsInputs<T> {
    pub fn new(rows: usize, mul: usize, seed: u64) -> Self {
        let x = random_blocks(&mut Rng::new(seed), rows, mul);
        let seeds = ones_like(&x);
        LinearIrrepsInputs { x, seeds }
    }

    /// Forward; with `backward`, gradients to the input and the weights
    /// (each output block pulled back with ones). Returns a checksum.
    pub fn run(self, lin: &LinearIrreps, backward: bool) -> f64 {
        // Forward only: parameters untracked, as e3nn's `no_grad`.
        let t = if backward {
            Tape::<T>::new()
        } else {
            Tape::<T>::inference()
        };
        let x = blocks(&t, backward, lin.mul, self.x);
        let out = lin.forward(x);
        let check = if backward {
            backward_ones(&t, &out, x.1.id(), &self.seeds)
        } else {
            out.0.data()[0].value() + out.2.data()[0].value()
        };
        recycle_all(self.seeds);
        check
    }
}
