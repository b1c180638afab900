//! From frames to mini-batches: reference energies, precomputed graphs, and
//! a seeded shuffle per epoch.
//!
//! * [`ReferenceEnergies`]: per-species E0 fitted by least squares on the
//!   *training* frames (as MACE does, via
//!   [`eqv_core::data::reference_energies`]). The network
//!   learns the residual `E − Σ_atoms E0`, a few eV instead of −10³ eV, and
//!   E0 is added back at prediction.
//! * [`Dataset`]: every frame turned once into a one-structure
//!   [`Batch`] with its neighbour list and residual targets. Positions never
//!   change during training, so neighbour lists are never rebuilt; a
//!   mini-batch is a concatenation of ready graphs.
//! * [`Loader`]: the order of the mini-batches of each epoch, a shuffle
//!   that depends only on the seed and the epoch number, so a run can be
//!   repeated exactly.

use super::TrainError;
use eqv_core::data::{reference_energies, symbol, DataError, Frame, SpeciesMap};
use eqv_core::graph::Batch;
use eqv_core::rng::Rng;
use serde_json::{json, Value};

/// Per-species reference energies E0 (eV) together with the species map
/// they are indexed by, and a per-atom shift (eV/atom) on top of them (see
/// [`fit_e0`](super::e0::fit_e0): the mean residual per atom, so the
/// network's output starts centred).
#[derive(Clone, Debug, PartialEq)]
pub struct ReferenceEnergies {
    species: SpeciesMap,
    e0: Vec<f64>,
    shift: f64,
}

impl ReferenceEnergies {
    /// Least-squares E0 from the labelled frames (see
    /// [`eqv_core::data::reference_energies`] for how
    /// under-determined compositions are resolved).
    pub fn fit(frames: &[Frame], species: &SpeciesMap) -> Result<Self, DataError> {
        let e0 = reference_energies(frames, species)?;
        Ok(ReferenceEnergies {
            species: species.clone(),
            e0,
            shift: 0.0,
        })
    }

    /// E0 = 0 for every species: the network learns total energies.
    pub fn zeros(species: &SpeciesMap) -> Self {
        ReferenceEnergies {
            species: species.clone(),
            e0: vec![0.0; species.len()],
            shift: 0.0,
        }
    }

    /// Given values, one per species of `species`; they must be finite.
    pub fn new(species: SpeciesMap, e0: Vec<f64>) -> Result<Self, DataError> {
        species.check_reference_energies(&e0)?;
        Ok(ReferenceEnergies {
            species,
            e0,
            shift: 0.0,
        })
    }

    /// The same E0 with a per-atom shift added to every atom's reference
    /// (it must be finite).
    pub fn with_shift(mut self, shift: f64) -> Result<Self, DataError> {
        if !shift.is_finite() {
            return Err(DataError::invalid(format!(
                "the per-atom energy shift {shift} is not finite"
            )));
        }
        self.shift = shift;
        Ok(self)
    }

    /// The per-atom shift (eV/atom) added on top of E0.
    pub fn shift(&self) -> f64 {
        self.shift
    }

    /// The whole reference energy of one atom of each species, `E0 +
    /// shift` (eV), indexed like [`Self::species`]: what a potential built
    /// from a trained model adds per atom (its sum over a frame is
    /// [`Self::offset`]).
    pub fn per_atom(&self) -> Vec<f64> {
        self.e0.iter().map(|e| e + self.shift).collect()
    }

    /// The species map.
    pub fn species(&self) -> &SpeciesMap {
        &self.species
    }

    /// E0 of each species (eV), indexed like [`Self::species`].
    pub fn e0(&self) -> &[f64] {
        &self.e0
    }

    /// `Σ_atoms (E0(species) + shift)` of a frame: what is added to the
    /// network's energy to give the total energy. An element outside the
    /// map is an error that names it.
    pub fn offset(&self, frame: &Frame) -> Result<f64, DataError> {
        Ok(self
            .species
            .indices(frame)?
            .into_iter()
            .map(|s| self.e0[s] + self.shift)
            .sum())
    }

    /// `{"Si": -4.33, ...}` keyed by chemical symbol, plus the atomic
    /// numbers: `{"numbers": [14], "e0_ev": [-4.33], "by_symbol": {...}}`.
    pub fn to_json(&self) -> Value {
        let by_symbol: serde_json::Map<String, Value> = self
            .species
            .numbers()
            .iter()
            .zip(&self.e0)
            .map(|(&z, &e)| (symbol(z).unwrap_or("?").to_string(), json!(e)))
            .collect();
        json!({
            "numbers": self.species.numbers(),
            "e0_ev": self.e0,
            "by_symbol": by_symbol,
            "shift_ev_per_atom": self.shift,
        })
    }

    /// The reference energies stored in a checkpoint written by
    /// [`train`](super::train) (under `reference_energies` in the JSON
    /// summary of the safetensors metadata): what an evaluation needs next
    /// to the parameters, which
    /// [`load_params`](eqv_core::checkpoint::load_params) reads.
    pub fn from_checkpoint(path: impl AsRef<std::path::Path>) -> Result<Self, DataError> {
        let path = path.as_ref();
        let bad = |m: String| DataError::invalid(format!("{}: {m}", path.display()));
        let ckpt = eqv_core::checkpoint::read_checkpoint(path).map_err(|e| match e {
            eqv_core::checkpoint::CheckpointError::Io { source, .. } => DataError::Io {
                path: path.display().to_string(),
                error: source,
            },
            other => DataError::invalid(other.to_string()),
        })?;
        let r = match ckpt.meta("reference_energies") {
            Some(text) => serde_json::from_str(text)
                .map_err(|e| bad(format!("reference_energies is not JSON: {e}")))?,
            None => {
                let summary = ckpt.meta("summary").ok_or_else(|| {
                    bad("no summary in the metadata (not written by the trainer?)".into())
                })?;
                let summary: Value = serde_json::from_str(summary)
                    .map_err(|e| bad(format!("summary is not JSON: {e}")))?;
                summary
                    .get("reference_energies")
                    .cloned()
                    .ok_or_else(|| bad("the summary holds no reference_energies".into()))?
            }
        };
        Self::from_json(&r).map_err(|e| bad(e.to_string()))
    }

    /// Reads what [`Self::to_json`] wrote.
    pub fn from_json(v: &Value) -> Result<Self, DataError> {
        let bad = |m: &str| DataError::invalid(format!("reference energies JSON: {m}"));
        let numbers: Vec<u8> = v
            .get("numbers")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("no `numbers` array"))?
            .iter()
            .map(|x| {
                x.as_u64()
                    .and_then(|z| u8::try_from(z).ok())
                    .ok_or_else(|| bad("`numbers` holds a non-element"))
            })
            .collect::<Result<_, _>>()?;
        let e0: Vec<f64> = v
            .get("e0_ev")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("no `e0_ev` array"))?
            .iter()
            .map(|x| x.as_f64().ok_or_else(|| bad("`e0_ev` holds a non-number")))
            .collect::<Result<_, _>>()?;
        let species = SpeciesMap::from_numbers(numbers.iter().copied());
        if species.numbers() != numbers.as_slice() {
            return Err(bad("`numbers` must be increasing and distinct"));
        }
        // Checkpoints written before the shift existed have none.
        let shift = match v.get("shift_ev_per_atom") {
            None | Some(Value::Null) => 0.0,
            Some(x) => x
                .as_f64()
                .ok_or_else(|| bad("`shift_ev_per_atom` is not a number"))?,
        };
        Self::new(species, e0)?.with_shift(shift)
    }
}

/// Checks that the labels a loss needs are present and finite.
///
/// `label` names the set in messages (`"training"`). A missing label is a
/// [`TrainError::Data`]; a NaN or infinite one is a
/// [`TrainError::NonFinite`] with epoch 0 ("found before training").
pub fn check_targets(
    frames: &[Frame],
    label: &str,
    need_energy: bool,
    need_forces: bool,
) -> Result<(), TrainError> {
    for (i, f) in frames.iter().enumerate() {
        match f.energy {
            Some(e) if !e.is_finite() => {
                return Err(TrainError::NonFinite {
                    epoch: 0,
                    step: 0,
                    what: format!("the target energy of {label} frame {i} ({e})"),
                })
            }
            None if need_energy => {
                return Err(TrainError::Data(DataError::invalid(format!(
                    "{label} frame {i} has no energy, but the loss has an energy term"
                ))))
            }
            _ => {}
        }
        match &f.forces {
            Some(fs) => {
                if let Some((a, v)) = fs
                    .iter()
                    .enumerate()
                    .find(|(_, v)| v.iter().any(|x| !x.is_finite()))
                {
                    return Err(TrainError::NonFinite {
                        epoch: 0,
                        step: 0,
                        what: format!("the target force on atom {a} of {label} frame {i} ({v:?})"),
                    });
                }
            }
            None if need_forces => {
                return Err(TrainError::Data(DataError::invalid(format!(
                    "{label} frame {i} has no forces, but the loss has a force term"
                ))))
            }
            None => {}
        }
    }
    Ok(())
}

/// Frames as ready-made one-structure graphs with residual targets.
#[derive(Clone, Debug)]
pub struct Dataset {
    samples: Vec<Batch>,
    offsets: Vec<f64>,
}

impl Dataset {
    /// Builds each frame's graph (neighbour list with `cutoff`, species
    /// indices from `reference`) and sets its targets: the residual energy
    /// `E − Σ E0` and the forces, when the frame has them. Unlabelled frames
    /// are fine (for prediction).
    ///
    /// Fails, naming the frame (`"{label} frame 3: ..."`), on a malformed
    /// frame, an element outside the species map, a bad cutoff, or a
    /// non-finite label.
    pub fn new(
        frames: &[Frame],
        cutoff: f64,
        reference: &ReferenceEnergies,
        label: &str,
    ) -> Result<Dataset, TrainError> {
        if !(cutoff.is_finite() && cutoff > 0.0) {
            return Err(TrainError::config(format!(
                "cutoff {cutoff} Å must be finite and positive"
            )));
        }
        check_targets(frames, label, false, false)?;
        let mut samples = Vec::with_capacity(frames.len());
        let mut offsets = Vec::with_capacity(frames.len());
        let species = reference.species();
        for (i, frame) in frames.iter().enumerate() {
            let at = |e: DataError| {
                TrainError::Data(DataError::invalid(format!("{label} frame {i}: {e}")))
            };
            frame.validate().map_err(at)?;
            let offset = reference.offset(frame).map_err(at)?;
            let mut b =
                Batch::from_frames(std::slice::from_ref(frame), cutoff, species).map_err(at)?;
            if let Some(e) = frame.energy {
                b = b.with_energies(vec![e - offset]).map_err(at)?;
            }
            samples.push(b);
            offsets.push(offset);
        }
        Ok(Dataset { samples, offsets })
    }

    /// Number of frames.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether there are no frames.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// The graph of frame `i` (targets: residual energy, forces).
    pub fn sample(&self, i: usize) -> Option<&Batch> {
        self.samples.get(i)
    }

    /// `Σ E0` of frame `i`.
    pub fn offset(&self, i: usize) -> Option<f64> {
        self.offsets.get(i).copied()
    }

    /// Total number of atoms.
    pub fn num_atoms(&self) -> usize {
        self.samples.iter().map(Batch::num_atoms).sum()
    }

    /// The frames `indices` concatenated into one batch (in that order).
    /// Indices out of range are skipped.
    pub fn batch(&self, indices: &[usize]) -> Batch {
        let parts: Vec<Batch> = indices
            .iter()
            .filter_map(|&i| self.samples.get(i).cloned())
            .collect();
        Batch::concat(&parts)
    }
}

/// The mini-batches of each epoch.
///
/// ```
/// use eqv::train::Loader;
/// let loader = Loader::new(10, 4, 42)?;
/// let epoch = loader.epoch(1);
/// assert_eq!(epoch.iter().map(Vec::len).collect::<Vec<_>>(), vec![4, 4, 2]);
/// assert_eq!(epoch, loader.epoch(1));          // same seed and epoch: same order
/// assert_ne!(epoch, loader.epoch(2));          // a new shuffle every epoch
/// # Ok::<(), eqv::train::TrainError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Loader {
    n: usize,
    batch_size: usize,
    seed: u64,
    shuffle: bool,
}

impl Loader {
    /// `n` frames in batches of `batch_size` (the last one may be smaller),
    /// shuffled every epoch.
    pub fn new(n: usize, batch_size: usize, seed: u64) -> Result<Self, TrainError> {
        if batch_size == 0 {
            return Err(TrainError::config("batch size must be at least 1"));
        }
        Ok(Loader {
            n,
            batch_size,
            seed,
            shuffle: true,
        })
    }

    /// The same batches in file order every epoch (for evaluation).
    pub fn sequential(mut self) -> Self {
        self.shuffle = false;
        self
    }

    /// Batches per epoch.
    pub fn num_batches(&self) -> usize {
        self.n.div_ceil(self.batch_size)
    }

    /// The frame indices of each batch of `epoch`: a permutation of `0..n`
    /// drawn from `(seed, epoch)` alone.
    pub fn epoch(&self, epoch: usize) -> Vec<Vec<usize>> {
        let mut order: Vec<usize> = (0..self.n).collect();
        if self.shuffle {
            let stream = self
                .seed
                .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                .wrapping_add(epoch as u64);
            Rng::new(stream).shuffle(&mut order);
        }
        order
            .chunks(self.batch_size)
            .map(<[usize]>::to_vec)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_json_roundtrip() {
        let r = ReferenceEnergies::new(SpeciesMap::from_numbers([1, 8]), vec![-13.6, -432.1])
            .unwrap()
            .with_shift(-0.25)
            .unwrap();
        let j = r.to_json();
        let mut water = Frame::new(
            vec![8, 1, 1],
            vec![[0.0; 3], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
        );
        water.energy = Some(0.0);
        assert!((r.offset(&water).unwrap() - (-432.1 - 2.0 * 13.6 - 0.75)).abs() < 1e-9);
        assert_eq!(j["by_symbol"]["O"], json!(-432.1));
        assert_eq!(ReferenceEnergies::from_json(&j).unwrap(), r);
        assert!(ReferenceEnergies::from_json(&json!({"numbers": [1], "e0_ev": []})).is_err());
        assert!(ReferenceEnergies::new(SpeciesMap::from_numbers([1]), vec![f64::NAN]).is_err());
    }

    #[test]
    fn loader_covers_every_frame_once() {
        let l = Loader::new(11, 3, 5).unwrap();
        for e in 0..4 {
            let mut all: Vec<usize> = l.epoch(e).concat();
            all.sort_unstable();
            assert_eq!(all, (0..11).collect::<Vec<_>>());
        }
        assert_eq!(l.num_batches(), 4);
        assert_eq!(l.clone().sequential().epoch(3)[0], vec![0, 1, 2]);
        assert!(Loader::new(3, 0, 0).is_err());
    }
}
