//! The hot kernels of a NequIP-like convolution at realistic sizes, shared by
//! `benches/ops.rs` (criterion) and `examples/bench_vs_e3nn.rs` (the same
//! workloads timed back to back with e3nn, `tools/bench/e3nn_bench.py`).
//!
//! Every workload is split into `*Inputs::new` (random data, not timed) and
//! a `run` that consumes the inputs, so no timed loop copies its input
//! arrays (PyTorch's tensors also exist before its timed calls).
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
//!   1 200 atoms (sorted centres, as a neighbour list gives them).

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
