//! A batch moved rigidly and renumbered: the one place that knows how each
//! part of a [`Batch`] transforms, used by the equivariance check, by
//! rotation augmentation and by tests.
//!
//! Under `x ↦ m x + t` (m orthogonal) positions move, edge shifts and
//! lattice vectors rotate (no translation: they are differences), force
//! targets rotate, stress targets rotate as rank-2 tensors (`m σ mᵀ`),
//! energies and other invariants do not change; a renumbering of the atoms
//! permutes every per-atom array and relabels the edges.

use super::batch::Batch;
use nalgebra::Matrix3;

/// A rigid motion `x ↦ m x + t` with a renumbering of the atoms and an
/// order of the edges.
#[derive(Clone, Debug)]
pub struct Motion {
    /// Orthogonal matrix (rotation or improper rotation), acting on column
    /// vectors.
    pub m: Matrix3<f64>,
    /// Translation (Å).
    pub t: [f64; 3],
    /// `perm[new] = old` atom index; empty keeps the numbering.
    pub perm: Vec<usize>,
    /// `edge_order[new] = old` edge index; empty keeps the order.
    pub edge_order: Vec<usize>,
}

impl Motion {
    /// The rotation (or improper rotation) `m` alone.
    pub fn rotation(m: Matrix3<f64>) -> Motion {
        Motion {
            m,
            t: [0.0; 3],
            perm: Vec::new(),
            edge_order: Vec::new(),
        }
    }
}

/// `m v` for a vector stored as an array.
pub fn rotate(m: &Matrix3<f64>, v: [f64; 3]) -> [f64; 3] {
    std::array::from_fn(|a| (0..3).map(|b| m[(a, b)] * v[b]).sum())
}

/// `m σ mᵀ` for a rank-2 tensor stored row-major.
pub fn rotate_tensor(m: &Matrix3<f64>, s: [[f64; 3]; 3]) -> [[f64; 3]; 3] {
    std::array::from_fn(|a| {
        std::array::from_fn(|b| {
            let mut x = 0.0;
            for (c, row) in s.iter().enumerate() {
                for (d, v) in row.iter().enumerate() {
                    x += m[(a, c)] * v * m[(b, d)];
                }
            }
            x
        })
    })
}

impl Batch {
    /// This batch moved by `motion`: every part transformed as it must be
    /// (see the module documentation). Labels the batch carries (energies,
    /// forces, stresses, cells, extra scalars) are carried along.
    ///
    /// # Panics
    /// If `motion.perm` or `motion.edge_order` is neither empty nor a
    /// permutation of the batch's atoms or edges (a programming error, not
    /// user input).
    pub fn moved(&self, motion: &Motion) -> Batch {
        let n = self.num_atoms();
        let perm: Vec<usize> = if motion.perm.is_empty() {
            (0..n).collect()
        } else {
            motion.perm.clone()
        };
        let order: Vec<usize> = if motion.edge_order.is_empty() {
            (0..self.num_edges()).collect()
        } else {
            motion.edge_order.clone()
        };
        assert!(
            perm.len() == n && order.len() == self.num_edges(),
            "Batch::moved: the renumbering does not match the batch"
        );
        let mut inv = vec![usize::MAX; n];
        for (new, &old) in perm.iter().enumerate() {
            inv[old] = new;
        }
        assert!(
            inv.iter().all(|&i| i != usize::MAX),
            "Batch::moved: perm is not a permutation"
        );
        let m = &motion.m;
        let positions = perm
            .iter()
            .map(|&old| {
                let p = rotate(m, self.positions()[old]);
                std::array::from_fn(|a| p[a] + motion.t[a])
            })
            .collect();
        let species = perm.iter().map(|&old| self.species()[old]).collect();
        let centers = order.iter().map(|&k| inv[self.centers()[k]]).collect();
        let neighbors = order.iter().map(|&k| inv[self.neighbors()[k]]).collect();
        let shifts = order.iter().map(|&k| rotate(m, self.shifts()[k])).collect();
        let mut out = Batch::new(
            positions,
            species,
            self.atoms_per_structure(),
            centers,
            neighbors,
            shifts,
        )
        .expect("a rigid motion and a renumbering of a valid batch is a valid batch");
        let same = "the moved batch has the shape of the original";
        let cells = self
            .cells()
            .iter()
            .map(|c| c.map(|c| c.map(|row| rotate(m, row))))
            .collect();
        out = out.with_cells(cells).expect(same);
        if self.stresses().iter().any(Option::is_some) {
            let stresses = self
                .stresses()
                .iter()
                .map(|s| s.map(|s| rotate_tensor(m, s)))
                .collect();
            out = out.with_stresses(stresses).expect(same);
        }
        if let Some(e) = self.energies() {
            out = out.with_energies(e.to_vec()).expect(same);
        }
        if let Some(f) = self.forces() {
            let forces = perm.iter().map(|&old| rotate(m, f[old])).collect();
            out = out.with_forces(forces).expect(same);
        }
        if let Some((c, v)) = self.atom_scalars() {
            let permuted = crate::check::permute_rows(v, c, &perm);
            out = out.with_atom_scalars(c, permuted).expect(same);
        }
        if let Some((c, v)) = self.structure_scalars() {
            out = out.with_structure_scalars(c, v.to_vec()).expect(same);
        }
        out
    }

    /// This batch rotated by the orthogonal matrix `m` (same numbering).
    pub fn rotated(&self, m: &Matrix3<f64>) -> Batch {
        self.moved(&Motion::rotation(*m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_part_of_a_batch_transforms_as_it_must() {
        let cell = [[4.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 4.0]];
        let b = Batch::from_structure(
            &[[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]],
            &[0, 1],
            Some(&cell),
            [true; 3],
            3.0,
        )
        .unwrap()
        .with_cells(vec![Some(cell)])
        .unwrap()
        .with_energies(vec![-2.0])
        .unwrap()
        .with_forces(vec![[1.0, 0.0, 0.0], [-1.0, 0.0, 0.0]])
        .unwrap()
        .with_stresses(vec![Some([
            [1.0, 0.5, 0.0],
            [0.5, 2.0, 0.0],
            [0.0, 0.0, 3.0],
        ])])
        .unwrap();
        // x ↦ y, y ↦ −x, then atoms swapped and shifted.
        let m = Matrix3::new(0.0, -1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0);
        let moved = b.moved(&Motion {
            m,
            t: [0.5, 0.0, 0.0],
            perm: vec![1, 0],
            edge_order: (0..b.num_edges()).rev().collect(),
        });
        assert_eq!(moved.positions(), &[[-0.5, 1.0, 1.0], [0.5, 0.0, 0.0]]);
        assert_eq!(moved.species(), &[1, 0]);
        assert_eq!(
            moved.forces().unwrap(),
            &[[0.0, -1.0, 0.0], [0.0, 1.0, 0.0]]
        );
        assert_eq!(moved.energies().unwrap(), &[-2.0]);
        assert_eq!(moved.cells()[0].unwrap()[0], [0.0, 4.0, 0.0]);
        let s = moved.stresses()[0].unwrap();
        assert_eq!([s[0][0], s[0][1], s[1][1]], [2.0, -0.5, 1.0]);
        // Edge vectors rotate with the structure (translation and
        // renumbering leave them alone).
        let n = b.num_edges();
        for k in 0..n {
            let old = n - 1 - k;
            let (i, j) = (b.centers()[old], b.neighbors()[old]);
            let d_old: [f64; 3] = std::array::from_fn(|a| {
                b.positions()[j][a] + b.shifts()[old][a] - b.positions()[i][a]
            });
            let (i2, j2) = (moved.centers()[k], moved.neighbors()[k]);
            let d_new: [f64; 3] = std::array::from_fn(|a| {
                moved.positions()[j2][a] + moved.shifts()[k][a] - moved.positions()[i2][a]
            });
            let want = rotate(&m, d_old);
            assert!((0..3).all(|a| (d_new[a] - want[a]).abs() < 1e-12));
        }
    }
}
