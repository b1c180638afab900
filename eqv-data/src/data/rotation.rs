//! A frame rotated: positions, lattice vectors and force labels as
//! vectors, stress and virial labels as rank-2 tensors (`m σ mᵀ`), the
//! energy unchanged. Used to augment data with random orientations and to
//! test that predictions rotate with the structure.

use super::frame::Frame;
use nalgebra::Matrix3;

fn rotate(m: &Matrix3<f64>, v: [f64; 3]) -> [f64; 3] {
    std::array::from_fn(|a| (0..3).map(|b| m[(a, b)] * v[b]).sum())
}

fn rotate_tensor(m: &Matrix3<f64>, s: [[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let s = m * Matrix3::from_fn(|a, b| s[a][b]) * m.transpose();
    std::array::from_fn(|a| std::array::from_fn(|b| s[(a, b)]))
}

impl Frame {
    /// This frame rotated by the orthogonal matrix `m` (acting on column
    /// vectors). The other per-atom columns and `info` entries are copied
    /// unchanged: how they transform is not known from the file, so rotate
    /// those yourself if they are vectors or tensors.
    pub fn rotated(&self, m: &Matrix3<f64>) -> Frame {
        let mut out = self.clone();
        out.positions = self.positions.iter().map(|&p| rotate(m, p)).collect();
        out.cell = self.cell.map(|c| c.map(|row| rotate(m, row)));
        out.forces = self
            .forces
            .as_ref()
            .map(|f| f.iter().map(|&v| rotate(m, v)).collect());
        out.stress = self.stress.map(|s| rotate_tensor(m, s));
        out.virial = self.virial.map(|s| rotate_tensor(m, s));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_and_tensors_rotate_energy_does_not() {
        let quarter = Matrix3::new(0.0, -1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0);
        let mut f = Frame::new(vec![14, 14], vec![[1.0, 0.0, 0.0], [0.0, 2.0, 0.0]]);
        f.cell = Some([[3.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 5.0]]);
        f.energy = Some(-1.5);
        f.forces = Some(vec![[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]);
        f.stress = Some([[1.0, 2.0, 0.0], [2.0, 3.0, 0.0], [0.0, 0.0, 4.0]]);
        let r = f.rotated(&quarter);
        assert_eq!(r.positions, vec![[0.0, 1.0, 0.0], [-2.0, 0.0, 0.0]]);
        assert_eq!(r.cell.unwrap()[1], [-4.0, 0.0, 0.0]);
        assert_eq!(r.forces.unwrap()[0], [0.0, 1.0, 0.0]);
        assert_eq!(r.energy, Some(-1.5));
        // x ↦ y, y ↦ −x: σ'_xx = σ_yy, σ'_xy = −σ_yx, σ'_yy = σ_xx.
        let s = r.stress.unwrap();
        assert_eq!([s[0][0], s[0][1], s[1][1], s[2][2]], [3.0, -2.0, 1.0, 4.0]);
    }
}
