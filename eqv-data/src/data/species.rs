//! Species indices and per-species reference energies.
//!
//! A network embeds each atom by a one-hot vector over the elements present
//! in its training set, so atomic numbers (1..=118, sparse) are mapped to
//! contiguous indices 0..S ([`SpeciesMap`]). And a network learns the energy
//! far better after the bulk of it, a sum of per-element constants E0, has
//! been subtracted ([`reference_energies`]): total energies are −10³ eV while
//! the interactions the network must learn are a few eV.

use super::error::DataError;
use super::frame::{symbol, Frame};
use nalgebra::{DMatrix, DVector};

/// The elements of a dataset, in increasing atomic number, and their indices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpeciesMap {
    numbers: Vec<u8>,
    index: Vec<Option<u32>>, // by atomic number, 0..=255
}

impl SpeciesMap {
    /// Checks per-species reference energies (E0) against this map: one
    /// finite value per species, or an error that says which is wrong.
    pub fn check_reference_energies(&self, e0: &[f64]) -> Result<(), DataError> {
        if e0.len() != self.len() {
            return Err(DataError::invalid(format!(
                "{} reference energies for {} species",
                e0.len(),
                self.len()
            )));
        }
        if let Some(i) = e0.iter().position(|x| !x.is_finite()) {
            return Err(DataError::invalid(format!(
                "reference energy of species {i} is not finite"
            )));
        }
        Ok(())
    }

    /// The map of the given atomic numbers (duplicates are fine).
    pub fn from_numbers(numbers: impl IntoIterator<Item = u8>) -> Self {
        let mut present = [false; 256];
        for z in numbers {
            present[z as usize] = true;
        }
        let numbers: Vec<u8> = (0..=255u8).filter(|&z| present[z as usize]).collect();
        let mut index = vec![None; 256];
        for (i, &z) in numbers.iter().enumerate() {
            index[z as usize] = Some(i as u32);
        }
        SpeciesMap { numbers, index }
    }

    /// The map of every element that occurs in `frames`.
    pub fn from_frames(frames: &[Frame]) -> Self {
        Self::from_numbers(frames.iter().flat_map(|f| f.numbers.iter().copied()))
    }

    /// Number of species S.
    pub fn len(&self) -> usize {
        self.numbers.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.numbers.is_empty()
    }

    /// The atomic numbers, index `i` holding species `i`.
    pub fn numbers(&self) -> &[u8] {
        &self.numbers
    }

    /// The species index of atomic number `z`, if it is in the map.
    pub fn index(&self, z: u8) -> Option<usize> {
        self.index[z as usize].map(|i| i as usize)
    }

    /// The atomic number of species `i`.
    pub fn number(&self, i: usize) -> Option<u8> {
        self.numbers.get(i).copied()
    }

    /// The species index of every atom of a frame; an element the map does
    /// not know (a model asked about an element it was never trained on) is
    /// an error that names it.
    pub fn indices(&self, frame: &Frame) -> Result<Vec<usize>, DataError> {
        frame
            .numbers
            .iter()
            .map(|&z| {
                self.index(z).ok_or_else(|| {
                    DataError::invalid(format!(
                        "element {} (Z = {z}) is not among the species {:?}",
                        symbol(z).unwrap_or("?"),
                        self.numbers
                            .iter()
                            .map(|&z| symbol(z).unwrap_or("?"))
                            .collect::<Vec<_>>()
                    ))
                })
            })
            .collect()
    }

    /// How many atoms of each species a frame has (length S).
    pub fn counts(&self, frame: &Frame) -> Result<Vec<usize>, DataError> {
        let mut c = vec![0; self.len()];
        for i in self.indices(frame)? {
            c[i] += 1;
        }
        Ok(c)
    }
}

/// Per-species reference energies E0 (eV, indexed by species), fitted as in
/// MACE: least squares of Σ_frames (E − Σ_atoms E0(species))².
///
/// Frames without an energy are skipped. When the compositions do not
/// determine E0 uniquely (every frame has the same composition, or two
/// elements always occur in the same ratio), the least-squares solutions form
/// an affine family; the one closest to the *mean energy per atom* for every
/// species is returned. So a dataset of Si64 cells only gives E0(Si) =
/// mean(E/N), and a dataset of water only gives E0(H) = E0(O) = mean(E/3):
/// the fit is never ill-conditioned and never arbitrary.
pub fn reference_energies(frames: &[Frame], species: &SpeciesMap) -> Result<Vec<f64>, DataError> {
    let labelled: Vec<&Frame> = frames
        .iter()
        .filter(|f| f.energy.is_some() && !f.is_empty())
        .collect();
    if labelled.is_empty() {
        return Err(DataError::invalid(
            "no frame with atoms has an energy: cannot fit reference energies",
        ));
    }
    let s = species.len();
    let rows = labelled.len();
    let mut a = DMatrix::<f64>::zeros(rows, s);
    let mut b = DVector::<f64>::zeros(rows);
    let mut per_atom = 0.0;
    for (r, f) in labelled.iter().enumerate() {
        let e = f.energy.unwrap_or(0.0);
        if !e.is_finite() {
            return Err(DataError::invalid(format!(
                "frame {r} (of those with energies) has a non-finite energy"
            )));
        }
        for (k, c) in species.counts(f)?.into_iter().enumerate() {
            a[(r, k)] = c as f64;
        }
        b[r] = e;
        per_atom += e / f.len() as f64;
    }
    let mean = per_atom / rows as f64;
    // Solve for the deviation from the per-atom mean, with the minimum norm:
    // unique solutions are unaffected, families resolve to the mean.
    let base = DVector::from_element(s, mean);
    let residual = &b - &a * &base;
    let svd = a.svd(true, true);
    let tol = svd.singular_values.max() * 1e-10 * rows.max(s) as f64;
    let delta = svd
        .solve(&residual, tol)
        .map_err(|e| DataError::invalid(format!("reference-energy fit failed: {e}")))?;
    Ok((base + delta).iter().copied().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_is_sorted_and_contiguous() {
        let m = SpeciesMap::from_numbers([8, 1, 1, 14]);
        assert_eq!(m.numbers(), &[1, 8, 14]);
        assert_eq!(m.index(8), Some(1));
        assert_eq!(m.index(6), None);
        assert_eq!(m.number(2), Some(14));
    }
}
