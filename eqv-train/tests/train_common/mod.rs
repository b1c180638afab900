//! A tiny hand-written energy model and a small Stillinger–Weber dataset
//! for the training tests.
#![allow(dead_code)]

use eqv_core::classical::{silicon_dataset, SiliconDatasetConfig};
use eqv_core::data::Frame;
use eqv_core::graph::EnergyModel;
use eqv_core::param::join_path;
use eqv_core::prelude::*;

/// SW silicon's cutoff (Å), rounded up.
pub const CUTOFF: f64 = 3.78;

/// Gaussians of the distance times a cosine cutoff: `[edges, k]` scalars.
/// A custom op: value and derivative in the tape's number type, so the
/// dual-number pass of the force loss differentiates it correctly.
fn gaussian_basis<'t, T: Real>(d: Feat<'t, Scalar, T>, k: usize, rc: f64) -> Feat<'t, Scalar, T> {
    let (r0, rows) = (1.5, d.rows());
    let width = (rc - r0) / (k - 1) as f64;
    let dv = d.data();
    let mut y = vec![T::ZERO; rows * k];
    let mut dy = vec![T::ZERO; rows * k];
    let pi = std::f64::consts::PI;
    for r in 0..rows {
        let x = dv[r];
        if x.value() >= rc {
            continue;
        }
        let arg = x * T::from_f64(pi / rc);
        let fc = T::from_f64(0.5) * (arg.cos() + T::ONE);
        let dfc = T::from_f64(-0.5 * pi / rc) * arg.sin();
        for j in 0..k {
            let u = (x - T::from_f64(r0 + j as f64 * width)) * T::from_f64(1.0 / width);
            let gj = (-(u * u)).exp();
            let dg = T::from_f64(-2.0 / width) * u * gj;
            y[r * k + j] = gj * fc;
            dy[r * k + j] = dg * fc + gj * dfc;
        }
    }
    let id = d.id();
    eqv_core::authoring::from_op(d.tape(), rows, k, y, &[id], move |gy, g| {
        if g.wants(id) {
            let gx = g.acc(id);
            for r in 0..rows {
                for j in 0..k {
                    gx[r] += gy[r * k + j] * dy[r * k + j];
                }
            }
        }
    })
}

/// `E = Σ_atoms (ε + ½ Σ_neighbours φ(r))` with `φ` an MLP on a Gaussian
/// basis and `ε` a learned per-atom constant: a pair potential (it cannot
/// learn SW's three-body term, but it learns the two-body part, which is
/// enough to see the loss fall).
pub struct PairModel {
    pub radial: Linear<Scalar, Scalar>,
    pub out: Linear<Scalar, Scalar>,
    pub atom: Linear<Scalar, Scalar>,
    pub n_basis: usize,
}

impl PairModel {
    /// A model for one species (silicon), weights drawn from `seed`.
    pub fn new(seed: u64) -> Self {
        Self::with_species(1, seed)
    }

    /// A model for `n_species` species.
    pub fn with_species(n_species: usize, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let n_basis = 8;
        PairModel {
            radial: Linear::with_bias(n_basis, 16, &mut rng),
            out: Linear::new(16, 1, &mut rng),
            atom: Linear::new(n_species, 1, &mut rng),
            n_basis,
        }
    }

    /// All parameters zero: predicts zero energy and forces.
    pub fn zero(n_species: usize) -> Self {
        let mut m = Self::with_species(n_species, 0);
        m.visit_mut("", &mut |_, p| p.data_mut().fill(0.0));
        m
    }

    pub fn flat(&self) -> Vec<f64> {
        let mut v = Vec::new();
        self.visit("", &mut |_, p| v.extend_from_slice(p.data()));
        v
    }
}

impl EnergyModel for PairModel {
    fn energy<'t, T: Real>(&self, g: &Graph<'t, T>) -> Feat<'t, Scalar, T> {
        let d = g.edge_vectors().norm();
        let basis = gaussian_basis(d, self.n_basis, CUTOFF);
        let h = self.radial.forward(basis).activate(Silu);
        let pair = self.out.forward(h);
        let constant = self.atom.forward(g.species_one_hot(self.atom.mul_in()));
        g.sum_over_atoms(g.scatter_sum(pair).scale_by(0.5) + constant)
    }
}

impl Parameters for PairModel {
    fn visit(&self, prefix: &str, f: &mut dyn FnMut(&str, &Param)) {
        self.radial.visit(&join_path(prefix, "radial"), f);
        self.out.visit(&join_path(prefix, "out"), f);
        self.atom.visit(&join_path(prefix, "atom"), f);
    }
    fn visit_mut(&mut self, prefix: &str, f: &mut dyn FnMut(&str, &mut Param)) {
        self.radial.visit_mut(&join_path(prefix, "radial"), f);
        self.out.visit_mut(&join_path(prefix, "out"), f);
        self.atom.visit_mut(&join_path(prefix, "atom"), f);
    }
}

/// 40 labelled SW frames: 8-atom cells (bulk, strained, sheared, vacancy)
/// and a 29-atom cluster, from short MD runs.
pub fn sw_frames() -> Vec<Frame> {
    let cfg = SiliconDatasetConfig {
        samples_per_run: 8,
        ..SiliconDatasetConfig::tiny()
    };
    silicon_dataset(&cfg, 11).expect("dataset")
}
