//! `check_equivariance` for whole networks: transform the input, run the
//! network again, and measure how far the output is from the transformed
//! output.
//!
//! The types make a network equivariant by construction; this check is the
//! evidence anyone can produce for any model in one call — and the measure
//! of what a deliberately non-equivariant model (the explicit opt-out) gives
//! up.

use crate::check::{finite_max_abs, max_abs_difference, rotate_data};
use crate::graph::motion::Motion;
use crate::graph::{forces_from_energy, Batch, Graph};
use crate::irrep::{Irrep, Vector};
use crate::model::{Model, OutputKind};
use crate::rng::Rng;
use crate::so3::random_rotation;
use crate::tape::Tape;
use nalgebra::Matrix3;
use std::fmt;

/// How far one kind of transformation moved the output from what
/// equivariance demands, over all trials.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Deviation {
    /// `max |got − want|` over all components and trials.
    pub abs: f64,
    /// `max |want|` over the same trials: the output's own size.
    pub scale: f64,
}

impl Deviation {
    /// `abs / scale` (infinite if the output vanishes and `abs > 0`, zero if
    /// both vanish). Misleading for outputs that vanish by symmetry, where
    /// rounding noise over a zero scale is large; see [`Deviation::measure`].
    pub fn relative(&self) -> f64 {
        if self.abs == 0.0 {
            0.0
        } else {
            self.abs / self.scale
        }
    }
    /// `abs / (1 + scale)`: the relative deviation for outputs of size ≳ 1,
    /// the absolute one for outputs near zero (a tolerance `tol` on it is
    /// `max |Δ| ≤ tol · (1 + max |y|)`, an absolute floor plus a relative
    /// part). This is what [`EquivarianceReport::max`] compares.
    pub fn measure(&self) -> f64 {
        self.abs / (1.0 + self.scale)
    }
    fn update(&mut self, got: &[f64], want: &[f64]) {
        assert_eq!(got.len(), want.len(), "output lengths differ");
        self.abs = self.abs.max(max_abs_difference(got, want));
        self.scale = self.scale.max(finite_max_abs(want));
    }
}

impl fmt::Display for Deviation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "max |Δ| {:.2e} (relative {:.2e} of max |y| {:.2e})",
            self.abs,
            self.relative(),
            self.scale
        )
    }
}

/// The largest deviations found, per kind of transformation.
#[derive(Clone, Debug, PartialEq)]
pub struct EquivarianceReport {
    /// What the network outputs (e.g. `Energy`).
    pub output: &'static str,
    /// Random proper rotations: [`Deviation::measure`].
    pub rotation: f64,
    /// Random improper rotations (rotation times inversion: reflections).
    pub reflection: f64,
    /// Random translations.
    pub translation: f64,
    /// Random renumbering of the atoms (and of the edges).
    pub permutation: f64,
    /// For energy models: the forces `−∇E` under all of the above.
    pub forces: Option<f64>,
    /// The absolute and relative deviations behind the four numbers above,
    /// in the order rotation, reflection, translation, permutation.
    pub deviations: [Deviation; 4],
    /// The same for the forces of an energy model.
    pub force_deviation: Option<Deviation>,
    /// How many random transformations of each kind were tried.
    pub trials: usize,
}

/// The names of the four transformations, in the order of
/// [`EquivarianceReport::deviations`].
pub const TRANSFORMATIONS: [&str; 4] = [
    "proper rotation",
    "improper rotation (reflection)",
    "translation",
    "renumbering of atoms",
];

impl EquivarianceReport {
    /// The largest deviation of all ([`Deviation::measure`]: absolute for
    /// outputs near zero, relative for outputs of size ≳ 1).
    pub fn max(&self) -> f64 {
        [
            self.rotation,
            self.reflection,
            self.translation,
            self.permutation,
            self.forces.unwrap_or(0.0),
        ]
        .into_iter()
        .fold(0.0, f64::max)
    }

    /// Whether every deviation is within `tol`: `max |Δ| ≤ tol · (1 + max |y|)`
    /// for every transformation (and the forces).
    pub fn is_equivariant(&self, tol: f64) -> bool {
        self.max() <= tol
    }

    /// The transformation that deviated most, its name and deviation.
    pub fn worst(&self) -> (&'static str, Deviation) {
        let mut all: Vec<(&'static str, Deviation)> = TRANSFORMATIONS
            .iter()
            .copied()
            .zip(self.deviations)
            .collect();
        if let Some(d) = self.force_deviation {
            all.push(("forces -∇E (all transformations)", d));
        }
        all.into_iter()
            .max_by(|a, b| a.1.measure().total_cmp(&b.1.measure()))
            .expect("four transformations")
    }
}

impl fmt::Display for EquivarianceReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "equivariance of {} ({} trials each, max |Δ|/(1 + max |y|)): rotation {:.2e}, reflection {:.2e}, translation {:.2e}, permutation {:.2e}",
            self.output, self.trials, self.rotation, self.reflection, self.translation, self.permutation
        )?;
        if let Some(fr) = self.forces {
            write!(f, ", forces -∇E {fr:.2e}")?;
        }
        let (name, d) = self.worst();
        write!(f, "; worst: {name}, {d}")
    }
}

/// A rigid motion plus renumbering applied to a batch.
struct Transform {
    m: Matrix3<f64>,
    t: [f64; 3],
    /// `perm[new] = old` atom index.
    perm: Vec<usize>,
}

fn transform_batch(b: &Batch, tr: &Transform, rng: &mut Rng) -> Batch {
    let mut order: Vec<usize> = (0..b.num_edges()).collect();
    rng.shuffle(&mut order);
    b.moved(&Motion {
        m: tr.m,
        t: tr.t,
        perm: tr.perm.clone(),
        edge_order: order,
    })
}

struct Evaluation {
    output: Vec<f64>,
    row_len: usize,
    forces: Option<Vec<f64>>,
}

fn evaluate<M: Model>(model: &M, batch: &Batch) -> Evaluation {
    let tape = Tape::<f64>::new();
    let g = Graph::new(&tape, batch);
    let y = model.output(&g);
    let output = y.to_f64();
    let row_len = y.row_len();
    let forces = (<M::Output as OutputKind>::NAME == "Energy").then(|| {
        let scalar =
            crate::feat::Feat::<crate::irrep::Scalar>::retype(&tape, y.id(), y.rows(), y.mul());
        forces_from_energy(&g, scalar)
            .into_iter()
            .flatten()
            .collect()
    });
    Evaluation {
        output,
        row_len,
        forces,
    }
}

/// Measures the equivariance of `model` on `batch` under random proper and
/// improper rotations, translations and permutations (f64 throughout).
pub fn check_model_equivariance<M: Model>(
    model: &M,
    batch: &Batch,
    seed: u64,
) -> EquivarianceReport {
    let trials = 3;
    let mut rng = Rng::new(seed);
    let base = evaluate(model, batch);
    let per_atom = <M::Output as OutputKind>::PER_ATOM;
    let identity_perm: Vec<usize> = (0..batch.num_atoms()).collect();
    let mut worst = [Deviation::default(); 4];
    let mut worst_forces = Deviation::default();
    for _ in 0..trials {
        let r = random_rotation(&mut rng);
        let mut perm = identity_perm.clone();
        for s in 0..batch.num_structures() {
            let range = batch.structure_atoms(s);
            rng.shuffle(&mut perm[range]);
        }
        let t = [rng.normal() * 3.0, rng.normal() * 3.0, rng.normal() * 3.0];
        let cases = [
            Transform {
                m: r,
                t: [0.0; 3],
                perm: identity_perm.clone(),
            },
            Transform {
                m: -r,
                t: [0.0; 3],
                perm: identity_perm.clone(),
            },
            Transform {
                m: Matrix3::identity(),
                t,
                perm: identity_perm.clone(),
            },
            Transform {
                m: Matrix3::identity(),
                t: [0.0; 3],
                perm,
            },
        ];
        for (k, tr) in cases.iter().enumerate() {
            let moved = transform_batch(batch, tr, &mut rng);
            let got = evaluate(model, &moved);
            let mut want = rotate_data::<<M::Output as OutputKind>::Ir>(&base.output, &tr.m);
            if per_atom {
                want = crate::check::permute_rows(&want, base.row_len, &tr.perm);
            }
            worst[k].update(&got.output, &want);
            if let (Some(f0), Some(f1)) = (&base.forces, &got.forces) {
                let want = crate::check::permute_rows(
                    &rotate_data::<Vector>(f0, &tr.m),
                    Vector::DIM,
                    &tr.perm,
                );
                worst_forces.update(f1, &want);
            }
        }
    }
    EquivarianceReport {
        output: <M::Output as OutputKind>::NAME,
        rotation: worst[0].measure(),
        reflection: worst[1].measure(),
        translation: worst[2].measure(),
        permutation: worst[3].measure(),
        forces: base.forces.as_ref().map(|_| worst_forces.measure()),
        deviations: worst,
        force_deviation: base.forces.as_ref().map(|_| worst_forces),
        trials,
    }
}
