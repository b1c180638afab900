//! Neighbour lists: every pair of atoms closer than a cutoff, periodic images
//! included.
//!
//! A message-passing network and a classical potential both sum over the
//! edges of this graph, so it must be *complete* (a missed pair is a wrong
//! energy, silently) and *cheap* (it is rebuilt for every frame and every MD
//! step). Completeness is tested against a brute-force search over images;
//! cheapness comes from a cell list: atoms are binned into boxes at least one
//! cutoff high, so each atom only looks at the neighbouring boxes and the
//! cost is O(N) at fixed density.
//!
//! Cells smaller than the cutoff are handled: an atom then sees several
//! images of the same neighbour and images of itself (`i == j` with a nonzero
//! shift). Only the pair of an atom with itself at zero shift is excluded.
//! Directions with `pbc = false` are not wrapped; a finite cluster needs no
//! cell at all.

use super::error::DataError;
use super::frame::Frame;
use std::ops::Range;

/// All directed pairs (i, j, shift) with `|r_j − r_i + shift| < cutoff`.
///
/// Edge `k` goes from `centers[k]` to `neighbors[k]`; its vector is
/// `positions[neighbors[k]] − positions[centers[k]] + shifts[k]`, where
/// `shifts[k] = cell_shifts[k] · cell` (integer combination of the lattice
/// vectors, zero along non-periodic directions). The list is directed: when
/// (i, j, S) is an edge, so is (j, i, −S). Edges are sorted by center, and
/// [`edges_of`](Self::edges_of) gives each center's range.
#[derive(Clone, Debug, PartialEq)]
pub struct NeighborList {
    /// The cutoff the list was built with (Å).
    pub cutoff: f64,
    /// Source atom of each edge, ascending.
    pub centers: Vec<u32>,
    /// Target atom of each edge.
    pub neighbors: Vec<u32>,
    /// Cartesian image shift of each edge (Å).
    pub shifts: Vec<[f64; 3]>,
    /// The same shift in units of the lattice vectors.
    pub cell_shifts: Vec<[i32; 3]>,
    /// Edges of atom `i` are `first_edge[i]..first_edge[i + 1]` (length N + 1).
    pub first_edge: Vec<usize>,
}

impl NeighborList {
    /// Builds the list for a frame's positions, cell and pbc.
    pub fn from_frame(frame: &Frame, cutoff: f64) -> Result<Self, DataError> {
        Self::build(&frame.positions, frame.cell.as_ref(), frame.pbc, cutoff)
    }

    /// Builds the list with a cell list (binning), in O(N) time at fixed density.
    ///
    /// `cell` rows are the lattice vectors; it is only read along directions
    /// where `pbc` is true (so a cluster may pass `None`). Fails on a cutoff
    /// that is not a positive finite number, on non-finite positions, and on
    /// periodic lattice vectors that are linearly dependent.
    pub fn build(
        positions: &[[f64; 3]],
        cell: Option<&[[f64; 3]; 3]>,
        pbc: [bool; 3],
        cutoff: f64,
    ) -> Result<Self, DataError> {
        if !(cutoff.is_finite() && cutoff > 0.0) {
            return Err(DataError::invalid(format!(
                "neighbour-list cutoff must be a positive number, got {cutoff}"
            )));
        }
        let n = positions.len();
        if n > u32::MAX as usize {
            return Err(DataError::invalid("too many atoms for u32 indices"));
        }
        if let Some(i) = positions
            .iter()
            .position(|p| p.iter().any(|x| !x.is_finite()))
        {
            return Err(DataError::invalid(format!(
                "position of atom {i} is not finite"
            )));
        }
        let periodic = match cell {
            Some(_) => pbc,
            None if pbc.iter().any(|&p| p) => {
                return Err(DataError::invalid(
                    "periodic boundary conditions need a cell",
                ))
            }
            None => [false; 3],
        };
        let lattice = cell.copied().unwrap_or([[0.0; 3]; 3]);
        let basis = binning_basis(&lattice, periodic)?;
        let inv = inverse3(&basis)
            .ok_or_else(|| DataError::invalid("cell is singular along periodic directions"))?;
        // Height of the basis cell along each direction: the distance between
        // the planes s_k = 0 and s_k = 1. |Δs_k| ≤ |Δr| / height_k.
        let height: [f64; 3] =
            std::array::from_fn(|k| 1.0 / norm([inv[0][k], inv[1][k], inv[2][k]]));

        // Fractional coordinates, wrapped into [0, 1) along periodic
        // directions; `wrap[i]` is the lattice translation that was applied.
        let mut frac = Vec::with_capacity(n);
        let mut wrap = Vec::with_capacity(n);
        let mut lo = [f64::INFINITY; 3];
        let mut hi = [f64::NEG_INFINITY; 3];
        for p in positions {
            let mut s: [f64; 3] =
                std::array::from_fn(|k| p[0] * inv[0][k] + p[1] * inv[1][k] + p[2] * inv[2][k]);
            let mut u = [0i32; 3];
            for k in 0..3 {
                if periodic[k] {
                    let f = s[k].floor();
                    if f.abs() > (i32::MAX / 4) as f64 {
                        return Err(DataError::invalid(
                            "an atom lies too many cells away from the unit cell",
                        ));
                    }
                    s[k] -= f;
                    u[k] = -(f as i32);
                } else {
                    lo[k] = lo[k].min(s[k]);
                    hi[k] = hi[k].max(s[k]);
                }
            }
            frac.push(s);
            wrap.push(u);
        }
        // Bins: along each direction, as many as fit with height ≥ cutoff.
        let mut origin = [0.0; 3];
        let mut extent = [1.0; 3];
        for k in 0..3 {
            if !periodic[k] && n > 0 {
                origin[k] = lo[k];
                extent[k] = hi[k] - lo[k];
            }
        }
        let mut nbins: [usize; 3] = std::array::from_fn(|k| {
            let fit = extent[k] * height[k] / (cutoff * (1.0 + 1e-9));
            if fit.is_finite() && fit >= 1.0 {
                fit.min(1e9) as usize
            } else {
                1
            }
        });
        // Sparse systems (a few atoms in a huge box) would make many empty
        // bins; cap their number at a few per atom. Fewer, larger bins stay
        // correct, only slower.
        let cap = (4 * n).max(27);
        while nbins.iter().product::<usize>() > cap {
            let k = (0..3).max_by_key(|&k| nbins[k]).unwrap_or(0);
            nbins[k] = (nbins[k] / 2).max(1);
        }
        let width: [f64; 3] = std::array::from_fn(|k| {
            if extent[k] > 0.0 {
                extent[k] / nbins[k] as f64
            } else {
                1.0
            }
        });
        // How many bins away a neighbour can be. Along a periodic direction
        // this may exceed the number of bins: those offsets are images.
        let reach: [i64; 3] = std::array::from_fn(|k| {
            let r = (cutoff / (width[k] * height[k]) * (1.0 + 1e-12)).ceil();
            let r = if r.is_finite() { r.min(1e6) as i64 } else { 1 };
            if periodic[k] {
                r.max(1)
            } else {
                r.min(nbins[k] as i64 - 1)
            }
        });
        let bin_of = |s: &[f64; 3]| -> [usize; 3] {
            std::array::from_fn(|k| {
                let b = ((s[k] - origin[k]) / width[k]).floor();
                (b.max(0.0) as usize).min(nbins[k] - 1)
            })
        };
        let flat = |b: [usize; 3]| (b[0] * nbins[1] + b[1]) * nbins[2] + b[2];
        // Counting sort of atoms by bin.
        let total_bins = nbins.iter().product::<usize>();
        let atom_bin: Vec<[usize; 3]> = frac.iter().map(bin_of).collect();
        let mut bin_start = vec![0usize; total_bins + 1];
        for b in &atom_bin {
            bin_start[flat(*b) + 1] += 1;
        }
        for b in 0..total_bins {
            bin_start[b + 1] += bin_start[b];
        }
        let mut fill = bin_start.clone();
        let mut bin_atoms = vec![0u32; n];
        for (i, b) in atom_bin.iter().enumerate() {
            let f = flat(*b);
            bin_atoms[fill[f]] = i as u32;
            fill[f] += 1;
        }

        // Lattice rows along periodic directions (zero otherwise), and the
        // wrapped Cartesian positions, stored in bin order for locality.
        let lat: [[f64; 3]; 3] =
            std::array::from_fn(|k| if periodic[k] { lattice[k] } else { [0.0; 3] });
        let times = |m: [i32; 3]| -> [f64; 3] {
            let (a, b, c) = (m[0] as f64, m[1] as f64, m[2] as f64);
            [
                a * lat[0][0] + b * lat[1][0] + c * lat[2][0],
                a * lat[0][1] + b * lat[1][1] + c * lat[2][1],
                a * lat[0][2] + b * lat[1][2] + c * lat[2][2],
            ]
        };
        let wrapped: Vec<[f64; 3]> = positions
            .iter()
            .zip(&wrap)
            .map(|(p, u)| {
                let t = times(*u);
                [p[0] + t[0], p[1] + t[1], p[2] + t[2]]
            })
            .collect();
        let bin_pos: Vec<[f64; 3]> = bin_atoms.iter().map(|&j| wrapped[j as usize]).collect();

        let cut2 = cutoff * cutoff;
        let mut list = NeighborList {
            cutoff,
            centers: Vec::new(),
            neighbors: Vec::new(),
            shifts: Vec::new(),
            cell_shifts: Vec::new(),
            first_edge: Vec::with_capacity(n + 1),
        };
        list.first_edge.push(0);
        let nb = [nbins[0] as i64, nbins[1] as i64, nbins[2] as i64];
        // Target bin index and image along one direction; None if outside a
        // non-periodic direction.
        let step = |k: usize, t: i64| -> Option<(usize, i32)> {
            if periodic[k] {
                Some((t.rem_euclid(nb[k]) as usize, t.div_euclid(nb[k]) as i32))
            } else if (0..nb[k]).contains(&t) {
                Some((t as usize, 0))
            } else {
                None
            }
        };
        for i in 0..n {
            let bi = atom_bin[i];
            let pi = wrapped[i];
            let ui = wrap[i];
            for dx in -reach[0]..=reach[0] {
                let Some((tx, ix)) = step(0, bi[0] as i64 + dx) else {
                    continue;
                };
                for dy in -reach[1]..=reach[1] {
                    let Some((ty, iy)) = step(1, bi[1] as i64 + dy) else {
                        continue;
                    };
                    for dz in -reach[2]..=reach[2] {
                        let Some((tz, iz)) = step(2, bi[2] as i64 + dz) else {
                            continue;
                        };
                        let image = [ix, iy, iz];
                        let sh = times(image);
                        let base = [sh[0] - pi[0], sh[1] - pi[1], sh[2] - pi[2]];
                        let f = (tx * nbins[1] + ty) * nbins[2] + tz;
                        let (from, to) = (bin_start[f], bin_start[f + 1]);
                        for (slot, pj) in bin_pos[from..to].iter().enumerate() {
                            let v0 = pj[0] + base[0];
                            let v1 = pj[1] + base[1];
                            let v2 = pj[2] + base[2];
                            if v0 * v0 + v1 * v1 + v2 * v2 >= cut2 {
                                continue;
                            }
                            let j = bin_atoms[from + slot];
                            let uj = wrap[j as usize];
                            let cs = [
                                image[0] + uj[0] - ui[0],
                                image[1] + uj[1] - ui[1],
                                image[2] + uj[2] - ui[2],
                            ];
                            if j as usize == i && cs == [0, 0, 0] {
                                continue;
                            }
                            list.centers.push(i as u32);
                            list.neighbors.push(j);
                            list.shifts.push(times(cs));
                            list.cell_shifts.push(cs);
                        }
                    }
                }
            }
            list.first_edge.push(list.centers.len());
        }
        Ok(list)
    }

    /// Number of (directed) edges.
    pub fn len(&self) -> usize {
        self.centers.len()
    }

    /// Whether there are no edges.
    pub fn is_empty(&self) -> bool {
        self.centers.is_empty()
    }

    /// The edges whose center is atom `i` (empty for an atom index out of range).
    pub fn edges_of(&self, i: usize) -> Range<usize> {
        match (self.first_edge.get(i), self.first_edge.get(i + 1)) {
            (Some(&a), Some(&b)) => a..b,
            _ => 0..0,
        }
    }

    /// The vector of edge `k`: `positions[neighbors[k]] − positions[centers[k]] + shifts[k]`.
    pub fn vector(&self, k: usize, positions: &[[f64; 3]]) -> [f64; 3] {
        let i = self.centers[k] as usize;
        let j = self.neighbors[k] as usize;
        std::array::from_fn(|c| positions[j][c] - positions[i][c] + self.shifts[k][c])
    }
}

fn norm(v: [f64; 3]) -> f64 {
    (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt()
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn scale(v: [f64; 3], s: f64) -> [f64; 3] {
    [v[0] * s, v[1] * s, v[2] * s]
}

/// The rows used for binning: the lattice vectors along periodic directions,
/// completed by orthonormal vectors along the others. Non-periodic directions
/// are never wrapped, so any completing vectors work; orthonormal ones also
/// make a zero or arbitrary "vacuum" lattice vector harmless.
pub(crate) fn binning_basis(
    cell: &[[f64; 3]; 3],
    periodic: [bool; 3],
) -> Result<[[f64; 3]; 3], DataError> {
    let per: Vec<usize> = (0..3).filter(|&k| periodic[k]).collect();
    let mut basis = *cell;
    let singular = || DataError::invalid("the periodic lattice vectors are linearly dependent");
    let unit = |v: [f64; 3]| -> Option<[f64; 3]> {
        let l = norm(v);
        (l > 0.0 && l.is_finite()).then(|| scale(v, 1.0 / l))
    };
    match per.len() {
        3 => {
            let scale_ = norm(cell[0]) * norm(cell[1]) * norm(cell[2]);
            let det = super::frame::det3(cell);
            if det.is_nan() || det.abs() <= 1e-12 * scale_ {
                return Err(singular());
            }
        }
        2 => {
            let (a, b) = (cell[per[0]], cell[per[1]]);
            let c = cross(a, b);
            let area = norm(c);
            if area.is_nan() || area <= 1e-12 * norm(a) * norm(b) {
                return Err(singular());
            }
            let k = (0..3).find(|k| !periodic[*k]).unwrap_or(2);
            basis[k] = unit(c).ok_or_else(singular)?;
        }
        1 => {
            let a = unit(cell[per[0]]).ok_or_else(singular)?;
            // Any vector not parallel to a; the axis least aligned with it.
            let axis = (0..3)
                .min_by(|&x, &y| a[x].abs().total_cmp(&a[y].abs()))
                .unwrap_or(0);
            let mut e = [0.0; 3];
            e[axis] = 1.0;
            let u = unit(cross(a, e)).ok_or_else(singular)?;
            let w = cross(a, u);
            let others: Vec<usize> = (0..3).filter(|&k| !periodic[k]).collect();
            basis[others[0]] = u;
            basis[others[1]] = w;
        }
        _ => basis = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
    }
    Ok(basis)
}

/// Inverse of a 3×3 matrix by the adjugate; `None` if singular.
pub(crate) fn inverse3(m: &[[f64; 3]; 3]) -> Option<[[f64; 3]; 3]> {
    let det = super::frame::det3(m);
    if det == 0.0 || !det.is_finite() {
        return None;
    }
    let c =
        |r0: usize, c0: usize, r1: usize, c1: usize| m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0];
    let adj = [
        [c(1, 1, 2, 2), -c(0, 1, 2, 2), c(0, 1, 1, 2)],
        [-c(1, 0, 2, 2), c(0, 0, 2, 2), -c(0, 0, 1, 2)],
        [c(1, 0, 2, 1), -c(0, 0, 2, 1), c(0, 0, 1, 1)],
    ];
    Some(std::array::from_fn(|r| {
        std::array::from_fn(|k| adj[r][k] / det)
    }))
}

#[cfg(test)]
#[allow(clippy::needless_range_loop)]
mod tests {
    use super::*;

    #[test]
    fn inverse_is_inverse() {
        let m = [[1.0, 2.0, 0.5], [0.0, 3.0, 1.0], [0.2, -1.0, 2.0]];
        let inv = inverse3(&m).unwrap();
        for (r, row) in m.iter().enumerate() {
            for c in 0..3 {
                let x: f64 = (0..3).map(|k| row[k] * inv[k][c]).sum();
                assert!((x - if r == c { 1.0 } else { 0.0 }).abs() < 1e-12);
            }
        }
    }
}
