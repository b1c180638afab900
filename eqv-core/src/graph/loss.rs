//! The energy, force and stress loss: one definition for training
//! ([`energy_force_gradient`](super::energy_force_gradient), the trainer),
//! the reported validation loss (the metrics) and the benches.
//!
//! ```text
//! L = w_E · (1/N_E) Σ_s (ΔE_s / n_s)²
//!   + w_F · (1/N_F) Σ_i |ΔF_i|²
//!   + w_S · (1/N_S) Σ_s (1/9) Σ_ab (Δσ_s,ab · V_s / n_s)²
//! ```
//!
//! with `n_s` the atoms of structure `s` and `V_s` its volume. The three
//! normalisers `N_E`, `N_F`, `N_S` ([`LossNormalisers`]) are explicit
//! rather than taken from the batch at hand because the batch at hand is
//! often a *piece*: the trainer computes a mini-batch's gradient one
//! structure at a time and sums the pieces, so every piece must divide by
//! the counts of the whole mini-batch; the metrics divide by the counts of
//! the frames that carry each label.

use super::batch::Batch;
use super::forces::LossTerms;
use crate::data::DataError;

/// Weights of the loss terms (see the [module](self) for the formula):
///
/// * `energy`: on the squared energy error **per atom** (eV²/atom²), so
///   that structures of every size count alike;
/// * `forces`: on the squared force error, the 3-vector per atom (eV²/Å²;
///   three times the mean over Cartesian components);
/// * `stress`: on the squared error of the virial per atom, `σ V / n`
///   (eV/atom, mean over the 9 components), so that its weight reads like
///   the energy's: a stress error of 0.01 eV/Å³ in silicon (20 Å³ per atom)
///   weighs like an energy error of 0.2 eV/atom. Structures without a stress
///   label (or a periodic cell) count as zero in the mean.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LossWeights {
    /// `w_E`, on the squared energy error per atom.
    pub energy: f64,
    /// `w_F`, on the squared force error (vector) per atom.
    pub forces: f64,
    /// `w_S`, on the squared error of the virial per atom (mean over the 9
    /// components). 0 (the default) leaves stresses out of the loss.
    pub stress: f64,
}

impl Default for LossWeights {
    /// `w_E = 1`, `w_F = 10`: forces carry 3N numbers of information per
    /// structure against one energy, and the potential is used for
    /// dynamics, so NequIP and MACE weight them 10–100× (MACE's default is
    /// 100 on a per-component mean; 10 on the per-atom vector error used
    /// here is ~30 per component).
    fn default() -> Self {
        LossWeights {
            energy: 1.0,
            forces: 10.0,
            stress: 0.0,
        }
    }
}

/// The denominators of the loss's three means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LossNormalisers {
    /// `N_E`: structures the energy term is a mean over.
    pub energy_structures: usize,
    /// `N_F`: atoms the force term is a mean over.
    pub force_atoms: usize,
    /// `N_S`: structures the stress term is a mean over (those without a
    /// stress label count as zero).
    pub stress_structures: usize,
}

impl LossNormalisers {
    /// The counts of a whole batch: its structures and its atoms.
    pub fn of_batch(batch: &Batch) -> Self {
        LossNormalisers {
            energy_structures: batch.num_structures(),
            force_atoms: batch.num_atoms(),
            stress_structures: batch.num_structures(),
        }
    }
}

/// The loss: weights and normalisers. [`Loss::terms`] gives its value and
/// derivatives on one batch (or piece of one) against the batch's targets.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Loss {
    /// Weights of the three terms.
    pub weights: LossWeights,
    /// Denominators of the three means.
    pub normalisers: LossNormalisers,
}

impl Loss {
    /// A loss with the given weights and normalisers.
    pub fn new(weights: LossWeights, normalisers: LossNormalisers) -> Self {
        Loss {
            weights,
            normalisers,
        }
    }

    /// The loss on the whole of `batch` (its own counts as normalisers). A
    /// term with weight 0 needs no targets; otherwise missing energy or
    /// force targets are an error (missing stress labels count as zero).
    pub fn of_batch(weights: LossWeights, batch: &Batch) -> Result<Self, DataError> {
        if weights.energy != 0.0 && batch.energies().is_none() {
            return Err(DataError::invalid(
                "Loss: the batch has no target energies (energy weight ≠ 0)",
            ));
        }
        if weights.forces != 0.0 && batch.forces().is_none() {
            return Err(DataError::invalid(
                "Loss: the batch has no target forces (force weight ≠ 0)",
            ));
        }
        Ok(Loss::new(weights, LossNormalisers::of_batch(batch)))
    }

    /// The loss's value and its derivatives with respect to the predicted
    /// energies (one per structure of `batch`), forces (one per atom) and
    /// stresses (one per structure, or empty when none were predicted:
    /// then the stress term is left out).
    ///
    /// Targets come from `batch`; a label the batch lacks adds nothing
    /// (the metrics evaluate frames without labels). `d_stresses` is empty
    /// unless the stress weight is nonzero and stresses were given.
    ///
    /// # Panics
    /// If the lengths do not match the batch.
    pub fn terms(
        &self,
        batch: &Batch,
        energies: &[f64],
        forces: &[[f64; 3]],
        stresses: &[Option<[[f64; 3]; 3]>],
    ) -> LossTerms {
        let atoms = batch.atoms_per_structure();
        assert_eq!(
            energies.len(),
            atoms.len(),
            "Loss: energies of another batch"
        );
        assert_eq!(
            forces.len(),
            batch.num_atoms(),
            "Loss: forces of another batch"
        );
        let w = self.weights;
        let n = self.normalisers;
        let mut value = 0.0;
        let mut de = vec![0.0; energies.len()];
        let mut df = vec![[0.0; 3]; forces.len()];
        let mut ds = Vec::new();
        if let (Some(targets), true) = (batch.energies(), w.energy != 0.0) {
            let c = w.energy / n.energy_structures.max(1) as f64;
            for s in 0..energies.len() {
                if atoms[s] > 0 {
                    let per_atom = atoms[s] as f64;
                    let r = (energies[s] - targets[s]) / per_atom;
                    value += c * r * r;
                    de[s] = 2.0 * c * r / per_atom;
                }
            }
        }
        if let (Some(targets), true) = (batch.forces(), w.forces != 0.0) {
            let c = w.forces / n.force_atoms.max(1) as f64;
            for (i, (p, t)) in forces.iter().zip(targets).enumerate() {
                for a in 0..3 {
                    let r = p[a] - t[a];
                    value += c * r * r;
                    df[i][a] = 2.0 * c * r;
                }
            }
        }
        if w.stress != 0.0 && !stresses.is_empty() {
            assert_eq!(
                stresses.len(),
                atoms.len(),
                "Loss: stresses of another batch"
            );
            ds = vec![[[0.0; 3]; 3]; energies.len()];
            for (s, d) in ds.iter_mut().enumerate() {
                let (Some(p), Some(t), Some(v)) =
                    (stresses[s], batch.stresses()[s], batch.volume(s))
                else {
                    continue;
                };
                let (term, grad) = self.stress_term(&p, &t, v, atoms[s]);
                value += term;
                *d = grad;
            }
        }
        LossTerms {
            value,
            d_energies: de,
            d_forces: df,
            d_stresses: ds,
        }
    }

    /// The stress term of one structure with `atoms` atoms and volume
    /// `volume`: its value and `∂/∂σ`.
    fn stress_term(
        &self,
        predicted: &[[f64; 3]; 3],
        target: &[[f64; 3]; 3],
        volume: f64,
        atoms: usize,
    ) -> (f64, [[f64; 3]; 3]) {
        if atoms == 0 {
            return (0.0, [[0.0; 3]; 3]);
        }
        let scale = volume / atoms as f64;
        let c = self.weights.stress / (9.0 * self.normalisers.stress_structures.max(1) as f64);
        let mut value = 0.0;
        let mut d = [[0.0; 3]; 3];
        for a in 0..3 {
            for b in 0..3 {
                let r = (predicted[a][b] - target[a][b]) * scale;
                value += c * r * r;
                d[a][b] = 2.0 * c * r * scale;
            }
        }
        (value, d)
    }
}
