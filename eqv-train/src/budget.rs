//! How big the graphs of a dataset will be, estimated *before* they are
//! built.
//!
//! The neighbour count grows with the cube of the cutoff: silicon has about
//! 0.05 atoms/Å³, so a 5 Å cutoff gives ~26 neighbours per atom, and a 50 Å
//! cutoff 26 000 — 600 million edges for a few hundred 64-atom frames,
//! tens of gigabytes, after minutes of silent work. The estimate below
//! costs microseconds per frame: for a periodic frame, the density `N/V`
//! times the volume of the cutoff sphere; for a finite cluster, an exact
//! count around a sample of its atoms (at most `N − 1` neighbours). A run
//! past the [`GraphLimits`] is refused with the numbers in the message.

use eqv_core::data::Frame;

/// Bytes the training data keeps per directed edge: centre and neighbour
/// indices (8 bytes each) and the image shift (three f64), as stored by
/// [`Batch`](eqv_core::graph::Batch).
pub const BYTES_PER_EDGE: f64 = 40.0;

/// The largest graphs a run may build.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GraphLimits {
    /// Mean neighbours per atom. Interatomic potentials use 10–100 (a
    /// 5–6 Å cutoff); past 1000 the cost of every layer is dominated by
    /// far pairs that a smooth cutoff weighs almost zero.
    pub max_neighbors_per_atom: f64,
    /// Bytes of all neighbour lists together (the whole dataset's graphs
    /// stay in memory during training; the tapes of each step come on
    /// top). Default 4 GiB.
    pub max_graph_bytes: f64,
}

impl Default for GraphLimits {
    fn default() -> Self {
        GraphLimits {
            max_neighbors_per_atom: 1000.0,
            max_graph_bytes: 4.0 * 1024.0 * 1024.0 * 1024.0,
        }
    }
}

/// What a cutoff would make of a set of frames.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GraphEstimate {
    /// The cutoff (Å).
    pub cutoff: f64,
    /// Atoms in all frames.
    pub atoms: usize,
    /// Mean number density of the periodic frames (atoms/Å³), 0 if none.
    pub density: f64,
    /// Estimated mean neighbours per atom.
    pub neighbors_per_atom: f64,
    /// Estimated directed edges in all frames.
    pub edges: f64,
    /// Estimated bytes of all neighbour lists ([`BYTES_PER_EDGE`] each).
    pub bytes: f64,
}

/// Atoms of a finite frame whose neighbours are counted exactly.
const SAMPLE: usize = 32;

fn neighbors_in_cluster(frame: &Frame, cutoff: f64) -> f64 {
    let n = frame.positions.len();
    if n < 2 {
        return 0.0;
    }
    let step = n.div_ceil(SAMPLE.min(n));
    let (mut count, mut sampled) = (0usize, 0usize);
    for i in (0..n).step_by(step) {
        let p = frame.positions[i];
        count += frame
            .positions
            .iter()
            .enumerate()
            .filter(|&(j, q)| {
                j != i && {
                    let d = [q[0] - p[0], q[1] - p[1], q[2] - p[2]];
                    d[0] * d[0] + d[1] * d[1] + d[2] * d[2] < cutoff * cutoff
                }
            })
            .count();
        sampled += 1;
    }
    count as f64 / sampled as f64
}

impl GraphEstimate {
    /// Estimates the graphs of `frames` at `cutoff` (Å). A frame with a
    /// cell periodic in any direction is treated as a bulk at its density
    /// (an overestimate for slabs, never an underestimate).
    pub fn of(frames: &[Frame], cutoff: f64) -> Self {
        let sphere = 4.0 / 3.0 * std::f64::consts::PI * cutoff.powi(3);
        let (mut atoms, mut edges) = (0usize, 0.0f64);
        let (mut periodic_atoms, mut periodic_volume) = (0usize, 0.0f64);
        for f in frames {
            let n = f.len();
            atoms += n;
            let volume = f.volume().filter(|v| v.is_finite() && *v > 0.0);
            let per_atom = match volume {
                Some(v) if f.pbc.iter().any(|&p| p) => {
                    periodic_atoms += n;
                    periodic_volume += v;
                    n as f64 / v * sphere
                }
                _ => neighbors_in_cluster(f, cutoff),
            };
            edges += per_atom * n as f64;
        }
        GraphEstimate {
            cutoff,
            atoms,
            density: if periodic_volume > 0.0 {
                periodic_atoms as f64 / periodic_volume
            } else {
                0.0
            },
            neighbors_per_atom: if atoms > 0 { edges / atoms as f64 } else { 0.0 },
            edges,
            bytes: edges * BYTES_PER_EDGE,
        }
    }

    /// `Err` with the estimate and the limit when the graphs would exceed
    /// `limits`; the message ends with the remedy ("lower the cutoff").
    pub fn check(&self, limits: &GraphLimits) -> Result<(), String> {
        let gb = |b: f64| b / 1e9;
        let density = if self.density > 0.0 {
            format!(" at the data's density of {:.3} atoms/Å³", self.density)
        } else {
            String::new()
        };
        if self.neighbors_per_atom > limits.max_neighbors_per_atom
            || self.bytes > limits.max_graph_bytes
        {
            return Err(format!(
                "about {:.0} neighbours per atom{density}, {:.3e} edges over {} atoms, ~{:.1} GB of neighbour lists, past the limit of {:.0} neighbours per atom and {:.1} GB; lower the cutoff",
                self.neighbors_per_atom,
                self.edges,
                self.atoms,
                gb(self.bytes),
                limits.max_neighbors_per_atom,
                gb(limits.max_graph_bytes)
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periodic_density_and_cluster_count() {
        // 8 atoms in a 5.431 Å cube: silicon's density, 0.05 atoms/Å³.
        let a = 5.431;
        let pos: Vec<[f64; 3]> = (0..8)
            .map(|i| {
                [
                    (i % 2) as f64 * a / 2.0,
                    ((i / 2) % 2) as f64 * a / 2.0,
                    (i / 4) as f64 * a / 2.0,
                ]
            })
            .collect();
        let bulk = Frame::periodic(
            vec![14; 8],
            pos.clone(),
            [[a, 0.0, 0.0], [0.0, a, 0.0], [0.0, 0.0, a]],
        );
        let e = GraphEstimate::of(std::slice::from_ref(&bulk), 50.0);
        assert!((e.density - 8.0 / a.powi(3)).abs() < 1e-12);
        assert!(e.neighbors_per_atom > 20_000.0, "{e:?}");
        let msg = e.check(&GraphLimits::default()).unwrap_err();
        assert!(
            msg.contains("neighbours per atom") && msg.ends_with("lower the cutoff"),
            "{msg}"
        );
        assert!(GraphEstimate::of(&[bulk], 4.0)
            .check(&GraphLimits::default())
            .is_ok());
        // A cluster: never more than N − 1 neighbours, however large the cutoff.
        let cluster = Frame::new(vec![14; 8], pos);
        let c = GraphEstimate::of(&[cluster], 1000.0);
        assert_eq!(c.neighbors_per_atom, 7.0);
        assert!(c.check(&GraphLimits::default()).is_ok());
    }
}
