//! The radial distribution function g(r) of periodic structures, and a
//! distance between two of them.
//!
//! g(r) is the density of neighbours at distance r relative to an ideal gas
//! of the same density: `g(r) = V / (N (N − 1)) · ⟨pairs in [r, r + dr)⟩ /
//! (4π/3 ((r + dr)³ − r³))`, averaged over frames (each with its own volume,
//! so NPT runs are fine). Two potentials that sample the same structure give
//! the same g(r); it is the first thing to compare when a trained potential
//! runs MD in place of its reference.

use crate::data::{DataError, Frame, NeighborList};

/// A radial distribution function being accumulated over frames.
#[derive(Clone, Debug, PartialEq)]
pub struct Rdf {
    r_max: f64,
    sum: Vec<f64>,
    frames: usize,
}

impl Rdf {
    /// Bins of width `r_max / bins` from 0 to `r_max` (Å).
    ///
    /// Fails on a non-positive `r_max` or zero bins.
    pub fn new(r_max: f64, bins: usize) -> Result<Self, DataError> {
        if !(r_max.is_finite() && r_max > 0.0) || bins == 0 {
            return Err(DataError::invalid(format!(
                "RDF needs a positive range and at least one bin, got r_max = {r_max} Å, {bins} bins"
            )));
        }
        Ok(Rdf {
            r_max,
            sum: vec![0.0; bins],
            frames: 0,
        })
    }

    /// Adds one frame (all atoms, all species). The frame must be periodic
    /// in all three directions: g(r) is normalised by the density.
    pub fn add(&mut self, frame: &Frame) -> Result<(), DataError> {
        let volume = match (frame.pbc, frame.volume()) {
            ([true, true, true], Some(v)) if v > 0.0 => v,
            _ => {
                return Err(DataError::invalid(
                    "the RDF needs a cell periodic in all three directions",
                ))
            }
        };
        let n = frame.len();
        if n < 2 {
            return Err(DataError::invalid("the RDF needs at least two atoms"));
        }
        let nl = NeighborList::from_frame(frame, self.r_max)?;
        let bins = self.sum.len();
        let dr = self.r_max / bins as f64;
        let mut counts = vec![0usize; bins];
        for k in 0..nl.len() {
            let v = nl.vector(k, &frame.positions);
            let r = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
            let b = (r / dr) as usize;
            if b < bins {
                counts[b] += 1;
            }
        }
        // Directed edges count every pair twice, as N (N − 1) does.
        let norm = volume / (n as f64 * (n - 1) as f64);
        for (b, &c) in counts.iter().enumerate() {
            let (r0, r1) = (b as f64 * dr, (b + 1) as f64 * dr);
            let shell = 4.0 / 3.0 * std::f64::consts::PI * (r1.powi(3) - r0.powi(3));
            self.sum[b] += norm * c as f64 / shell;
        }
        self.frames += 1;
        Ok(())
    }

    /// Frames added so far.
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// `(r, g(r))` at the centre of every bin (zeros before any frame).
    pub fn curve(&self) -> Vec<(f64, f64)> {
        let dr = self.r_max / self.sum.len() as f64;
        let k = 1.0 / self.frames.max(1) as f64;
        self.sum
            .iter()
            .enumerate()
            .map(|(b, &g)| ((b as f64 + 0.5) * dr, g * k))
            .collect()
    }

    /// How far two RDFs are apart: `√(∫ (g − g_ref)² dr / ∫ g_ref² dr)`, the
    /// relative L² distance (0: identical; 0.1: curves a tenth of the
    /// reference's size apart). `reference` is the second argument's curve.
    /// Fails if the bins differ or either has no frame.
    pub fn distance(&self, reference: &Rdf) -> Result<f64, DataError> {
        if self.sum.len() != reference.sum.len() || self.r_max != reference.r_max {
            return Err(DataError::invalid(
                "RDFs with different bins cannot be compared",
            ));
        }
        if self.frames == 0 || reference.frames == 0 {
            return Err(DataError::invalid("an RDF without frames"));
        }
        let (a, b) = (self.curve(), reference.curve());
        let diff: f64 = a.iter().zip(&b).map(|(x, y)| (x.1 - y.1).powi(2)).sum();
        let norm: f64 = b.iter().map(|y| y.1 * y.1).sum();
        if norm <= 0.0 {
            return Err(DataError::invalid(
                "the reference RDF is zero everywhere (no pairs within its range)",
            ));
        }
        Ok((diff / norm).sqrt())
    }
}
