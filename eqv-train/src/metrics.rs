//! The numbers the field reports, and predictions to write back to files.
//!
//! NequIP, MACE and Allegro papers report, on a held-out set:
//! * energy MAE and RMSE **per atom** (meV/atom): total-energy errors grow
//!   with system size, per-atom errors compare across sizes;
//! * force MAE and RMSE **per Cartesian component** (meV/Å), over all atoms;
//! * stress MAE and RMSE per component of the 3×3 tensor (meV/Å³), over
//!   the periodic frames that have a stress label.
//!
//! [`evaluate`] computes them (and the training loss on the whole set) and
//! returns the predictions; [`predict_frames`] returns frames carrying the
//! predictions, ready for [`write_extxyz`](eqv_core::data::write_extxyz).

use super::loader::{Dataset, ReferenceEnergies};
use super::TrainError;
use eqv_core::data::{Column, ColumnData, Frame, Value};
/// The loss weights live with the loss in `eqv_core::graph`; re-exported
/// here, where the trainer's users have always found them.
pub use eqv_core::graph::LossWeights;
use eqv_core::graph::{
    energy_and_forces, energy_forces_stress, Batch, EnergyModel, Graph, Loss, LossNormalisers,
};
use eqv_core::kernels::parallel::on_pool;
use eqv_core::tape::Tape;
use rayon::prelude::*;

/// Errors of a model on a set of frames.
///
/// A metric is NaN when no frame has the label it needs (energy metrics
/// without energies, force metrics without forces); the JSON report writes
/// it as `null`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Metrics {
    /// Frames evaluated.
    pub n_frames: usize,
    /// Atoms in them.
    pub n_atoms: usize,
    /// `mean_s |E_s − E*_s| / N_s` in meV/atom.
    pub energy_mae_mev_per_atom: f64,
    /// `√(mean_s ((E_s − E*_s) / N_s)²)` in meV/atom.
    pub energy_rmse_mev_per_atom: f64,
    /// Mean absolute error of every force component, meV/Å.
    pub force_mae_mev_per_a: f64,
    /// Root mean square error of every force component, meV/Å.
    pub force_rmse_mev_per_a: f64,
    /// Mean absolute error of every stress component (of the 3×3 tensor),
    /// meV/Å³, over the frames with a stress label (1 meV/Å³ = 0.16 GPa).
    pub stress_mae_mev_per_a3: f64,
    /// Root mean square error of every stress component, meV/Å³.
    pub stress_rmse_mev_per_a3: f64,
    /// The training loss on the whole set, with the weights given.
    pub loss: f64,
}

/// What the model predicts for each frame (E0 added back: total energies).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Predictions {
    /// Total energy of each frame (eV).
    pub energies: Vec<f64>,
    /// Forces on each atom of each frame (eV/Å).
    pub forces: Vec<Vec<[f64; 3]>>,
    /// Stress of each frame (eV/Å³), `None` for frames without a cell
    /// periodic in all three directions.
    pub stresses: Vec<Option<[[f64; 3]; 3]>>,
}

/// Where [`predict_frames`] puts the predictions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PredictionStorage {
    /// Replace `energy`, `forces` and (periodic frames) `stress` (the
    /// reference labels, virial included, are dropped), so the written file
    /// is a labelled file of the model's own numbers.
    Replace,
    /// Keep the reference labels and add the predictions as `eqv_energy`
    /// (comment-line key), `eqv_forces` (a `R:3` column) and `eqv_stress`
    /// (9 numbers, periodic frames), for side-by-side comparison (parity
    /// plots).
    #[default]
    Extra,
}

/// One frame's residual energy (no E0), its forces and (periodic) stress.
type SamplePrediction = (f64, Vec<[f64; 3]>, Option<[[f64; 3]; 3]>);

/// One frame's residual energy (no E0), forces and, for a periodic cell,
/// stress, by one forward and one backward pass.
pub(crate) fn predict_sample<M: EnergyModel>(
    model: &M,
    batch: &Batch,
) -> Result<SamplePrediction, TrainError> {
    let tape = Tape::<f64>::inference();
    let periodic = batch.cells().iter().any(Option::is_some);
    let g = if periodic {
        Graph::with_strain(&tape, batch)
    } else {
        Graph::new(&tape, batch)
    };
    let e = model.energy(&g);
    if e.rows() * e.mul() != batch.num_structures() {
        return Err(TrainError::config(format!(
            "the model returned {} energies for {} structure(s); an energy model returns one Scalar per structure",
            e.rows() * e.mul(),
            batch.num_structures()
        )));
    }
    if periodic {
        let out = energy_forces_stress(&g, e);
        let stress = out.stresses.first().copied().flatten();
        return Ok((out.energies.iter().sum(), out.forces, stress));
    }
    let ef = energy_and_forces(&g, e);
    Ok((ef.energies.iter().sum(), ef.forces, None))
}

/// Metrics and predictions on a prepared [`Dataset`], frames evaluated in
/// parallel (`parallel = true`) or in order; the result is the same.
pub fn evaluate_dataset<M: EnergyModel + Sync>(
    model: &M,
    data: &Dataset,
    weights: LossWeights,
    parallel: bool,
) -> Result<(Metrics, Predictions), TrainError> {
    let one = |i: usize| {
        let b = data
            .sample(i)
            .ok_or_else(|| TrainError::config("frame index out of range"))?;
        predict_sample(model, b)
    };
    let raw: Vec<Result<SamplePrediction, TrainError>> = if parallel {
        (0..data.len()).into_par_iter().map(one).collect()
    } else {
        // In order, on a worker of the pool (as in the trainer).
        on_pool(|| (0..data.len()).map(one).collect())
    };
    let raw = raw.into_iter().collect::<Result<Vec<_>, _>>()?;
    let samples = (0..data.len())
        .map(|i| {
            data.sample(i)
                .ok_or_else(|| TrainError::config("frame index out of range"))
        })
        .collect::<Result<Vec<&Batch>, _>>()?;
    let mut acc = Accumulator::default();
    for ((e, f, stress), b) in raw.iter().zip(&samples) {
        acc.add(*e, f, stress.as_ref(), b);
    }
    // The training loss over the whole set: each mean over the frames
    // that carry its label.
    let loss = Loss::new(
        weights,
        LossNormalisers {
            energy_structures: acc.n_e,
            force_atoms: acc.n_f_atoms,
            stress_structures: acc.n_frames,
        },
    );
    let mut loss_sum = 0.0;
    for ((e, f, stress), b) in raw.iter().zip(&samples) {
        loss_sum += loss.terms(b, &[*e], f, &[*stress]).value;
    }
    let mut pred = Predictions::default();
    for (i, (e, f, stress)) in raw.into_iter().enumerate() {
        pred.energies.push(e + data.offset(i).unwrap_or(0.0));
        pred.forces.push(f);
        pred.stresses.push(stress);
    }
    Ok((acc.finish(weights, loss_sum), pred))
}

/// Metrics and predictions of `model` on `frames`: graphs built with
/// `cutoff`, species and E0 from `reference` (an element the model was not
/// trained on is an error). Frames without labels get predictions but do
/// not count in the metrics of that label.
pub fn evaluate<M: EnergyModel + Sync>(
    model: &M,
    frames: &[Frame],
    cutoff: f64,
    reference: &ReferenceEnergies,
    weights: LossWeights,
) -> Result<(Metrics, Predictions), TrainError> {
    let data = Dataset::new(frames, cutoff, reference, "evaluation")?;
    evaluate_dataset(model, &data, weights, true)
}

/// Copies of `frames` carrying the model's total energies (E0 added back)
/// and forces, stored as `storage` says. Write them with
/// [`write_extxyz`](eqv_core::data::write_extxyz).
pub fn predict_frames<M: EnergyModel + Sync>(
    model: &M,
    frames: &[Frame],
    cutoff: f64,
    reference: &ReferenceEnergies,
    storage: PredictionStorage,
) -> Result<Vec<Frame>, TrainError> {
    let (_, pred) = evaluate(model, frames, cutoff, reference, LossWeights::default())?;
    Ok(frames
        .iter()
        .zip(pred.energies)
        .zip(pred.forces)
        .zip(pred.stresses)
        .map(|(((f, e), forces), stress)| {
            let mut out = f.clone();
            match storage {
                PredictionStorage::Replace => {
                    out.energy = Some(e);
                    out.forces = Some(forces);
                    out.stress = stress;
                    out.virial = None;
                }
                PredictionStorage::Extra => {
                    out.info_set("eqv_energy", Value::Float(e));
                    if let Some(s) = stress {
                        let flat = s.iter().flatten().copied().collect();
                        out.info_set("eqv_stress", Value::FloatArray(flat));
                    }
                    let col = Column {
                        width: 3,
                        data: ColumnData::Real(forces.iter().flatten().copied().collect()),
                    };
                    match out.arrays.iter_mut().find(|(k, _)| k == "eqv_forces") {
                        Some(slot) => slot.1 = col,
                        None => out.arrays.push(("eqv_forces".into(), col)),
                    }
                }
            }
            out
        })
        .collect())
}

/// Running sums of the errors.
#[derive(Default)]
struct Accumulator {
    n_frames: usize,
    n_atoms: usize,
    n_e: usize,
    e_abs: f64,
    e_sq: f64,
    n_f_atoms: usize,
    f_abs: f64,
    f_sq: f64,
    n_s: usize,
    s_abs: f64,
    s_sq: f64,
}

impl Accumulator {
    /// Adds one frame: predicted residual energy, forces and stress against
    /// the sample's targets.
    fn add(&mut self, e: f64, f: &[[f64; 3]], stress: Option<&[[f64; 3]; 3]>, b: &Batch) {
        let n = b.num_atoms();
        self.n_frames += 1;
        self.n_atoms += n;
        if let (Some(es), true) = (b.energies(), n > 0) {
            let d = (e - es.iter().sum::<f64>()) / n as f64;
            self.n_e += 1;
            self.e_abs += d.abs();
            self.e_sq += d * d;
        }
        if let Some(fs) = b.forces() {
            for (p, t) in f.iter().zip(fs) {
                for a in 0..3 {
                    let d = p[a] - t[a];
                    self.f_abs += d.abs();
                    self.f_sq += d * d;
                }
            }
            self.n_f_atoms += n;
        }
        let target = b.stresses().first().copied().flatten();
        if let (Some(p), Some(t), Some(_)) = (stress, target, b.volume(0)) {
            for a in 0..3 {
                for c in 0..3 {
                    let d = p[a][c] - t[a][c];
                    self.s_abs += d.abs();
                    self.s_sq += d * d;
                }
            }
            self.n_s += 9;
        }
    }

    /// The metrics, with `loss` the [`Loss`] summed over the frames (NaN
    /// when a weighted term has no frame with its label).
    fn finish(&self, w: LossWeights, loss: f64) -> Metrics {
        let div = |x: f64, n: usize| if n == 0 { f64::NAN } else { x / n as f64 };
        let undefined = (w.energy != 0.0 && self.n_e == 0)
            || (w.forces != 0.0 && self.n_f_atoms == 0)
            || (w.stress != 0.0 && self.n_frames == 0);
        Metrics {
            n_frames: self.n_frames,
            n_atoms: self.n_atoms,
            energy_mae_mev_per_atom: 1e3 * div(self.e_abs, self.n_e),
            energy_rmse_mev_per_atom: 1e3 * div(self.e_sq, self.n_e).sqrt(),
            force_mae_mev_per_a: 1e3 * div(self.f_abs, 3 * self.n_f_atoms),
            force_rmse_mev_per_a: 1e3 * div(self.f_sq, 3 * self.n_f_atoms).sqrt(),
            stress_mae_mev_per_a3: 1e3 * div(self.s_abs, self.n_s),
            stress_rmse_mev_per_a3: 1e3 * div(self.s_sq, self.n_s).sqrt(),
            loss: if undefined { f64::NAN } else { loss },
        }
    }
}
