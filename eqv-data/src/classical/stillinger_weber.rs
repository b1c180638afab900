//! The Stillinger–Weber potential for silicon.
//!
//! F. H. Stillinger and T. A. Weber, Phys. Rev. B 31, 5262 (1985):
//!
//! ```text
//! E = Σ_{i<j} φ2(r_ij) + Σ_i Σ_{j<k} φ3(r_ij, r_ik, θ_jik)
//! φ2(r)  = A ε [B (σ/r)^p − (σ/r)^q] exp(σ / (r − aσ))
//! φ3     = λ ε (cos θ_jik − cos θ0)² exp(γσ / (r_ij − aσ)) exp(γσ / (r_ik − aσ))
//! ```
//!
//! with every term zero beyond the cutoff aσ (smoothly: all derivatives
//! vanish there). It is eqv's default *teacher*: cheap, smooth, many-body
//! (the three-body term is what a pair network cannot learn), and its forces
//! are exact, so a network trained on its data has a known ground truth.

use super::{Evaluation, Potential};
use crate::data::{DataError, Frame, NeighborList};

/// Stillinger–Weber parameters (energies in eV, lengths in Å).
#[derive(Clone, Debug, PartialEq)]
pub struct StillingerWeber {
    /// Energy scale ε (eV).
    pub epsilon: f64,
    /// Length scale σ (Å).
    pub sigma: f64,
    /// Reduced cutoff a: interactions vanish at r = aσ.
    pub a: f64,
    /// Three-body strength λ.
    pub lambda: f64,
    /// Three-body decay γ.
    pub gamma: f64,
    /// Pair prefactor A.
    pub big_a: f64,
    /// Pair repulsion B.
    pub big_b: f64,
    /// Repulsive exponent p.
    pub p: i32,
    /// Attractive exponent q.
    pub q: i32,
    /// Preferred angle cosine, −1/3 for the tetrahedron.
    pub cos_theta0: f64,
}

/// Energy, forces and virial of one frame.
#[derive(Clone, Debug, PartialEq)]
pub struct SwOutput {
    /// Total energy (eV).
    pub energy: f64,
    /// Forces −∂E/∂r_i (eV/Å).
    pub forces: Vec<[f64; 3]>,
    /// Virial W = −Σ_edges (∂E/∂r_e) ⊗ r_e (eV); for a periodic cell the
    /// stress is −W / V.
    pub virial: [[f64; 3]; 3],
}

impl Default for StillingerWeber {
    fn default() -> Self {
        Self::silicon()
    }
}

impl StillingerWeber {
    /// The original 1985 parameters for silicon. The diamond crystal has its
    /// minimum at a = 5.431 Å with −2ε = −4.3366 eV/atom.
    pub fn silicon() -> Self {
        StillingerWeber {
            epsilon: 2.1683,
            sigma: 2.0951,
            a: 1.80,
            lambda: 21.0,
            gamma: 1.20,
            big_a: 7.049556277,
            big_b: 0.6022245584,
            p: 4,
            q: 0,
            cos_theta0: -1.0 / 3.0,
        }
    }

    /// The cutoff aσ (Å), 3.77118 Å for silicon: between the first (2.35 Å)
    /// and second (3.84 Å) neighbour shells of the crystal.
    pub fn cutoff(&self) -> f64 {
        self.a * self.sigma
    }

    /// φ2(r) and dφ2/dr.
    fn pair(&self, r: f64) -> (f64, f64) {
        let s = self.sigma;
        let x = r / s;
        let d = x - self.a;
        if d >= 0.0 {
            return (0.0, 0.0);
        }
        let xp = x.powi(-self.p);
        let xq = x.powi(-self.q);
        let poly = self.big_b * xp - xq;
        let dpoly = (-(self.p as f64) * self.big_b * xp + self.q as f64 * xq) / x;
        let e = (1.0 / d).exp();
        let de = -e / (d * d);
        let pre = self.big_a * self.epsilon;
        (pre * poly * e, pre * (dpoly * e + poly * de) / s)
    }

    /// g(r) = exp(γσ / (r − aσ)) and dg/dr.
    fn radial3(&self, r: f64) -> (f64, f64) {
        let d = r - self.cutoff();
        if d >= 0.0 {
            return (0.0, 0.0);
        }
        let gs = self.gamma * self.sigma;
        let g = (gs / d).exp();
        (g, -g * gs / (d * d))
    }

    /// Energy, forces and virial. Every atom must be silicon (Z = 14): the
    /// parameters mean nothing for another element.
    pub fn compute(&self, frame: &Frame) -> Result<SwOutput, DataError> {
        if let Some(i) = frame.numbers.iter().position(|&z| z != 14) {
            return Err(DataError::invalid(format!(
                "Stillinger-Weber silicon: atom {i} has Z = {}, not 14",
                frame.numbers[i]
            )));
        }
        frame.validate()?;
        let nl = NeighborList::from_frame(frame, self.cutoff())?;
        Ok(self.compute_with(&frame.positions, &nl))
    }

    /// Energy, forces and virial from a neighbour list built with a cutoff of
    /// at least [`cutoff`](Self::cutoff) (longer edges are ignored).
    pub fn compute_with(&self, positions: &[[f64; 3]], nl: &NeighborList) -> SwOutput {
        let n = positions.len();
        let mut energy = 0.0;
        let mut forces = vec![[0.0; 3]; n];
        let mut virial = [[0.0; 3]; 3];
        let rc = self.cutoff();
        // Edge vectors, lengths, unit vectors of the edges within the cutoff.
        let mut add = |i: usize, j: usize, v: &[f64; 3], g: &[f64; 3]| {
            // g = ∂E/∂v for the edge vector v = r_j − r_i (+ shift).
            for c in 0..3 {
                forces[j][c] -= g[c];
                forces[i][c] += g[c];
                for d in 0..3 {
                    virial[c][d] -= g[c] * v[d];
                }
            }
        };
        let mut local: Vec<([f64; 3], f64, usize)> = Vec::new();
        for i in 0..n {
            local.clear();
            for k in nl.edges_of(i) {
                let v = nl.vector(k, positions);
                let r = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
                if r < rc && r > 0.0 {
                    local.push((v, r, nl.neighbors[k] as usize));
                }
            }
            // Pairs: each directed edge carries half of φ2.
            for &(v, r, j) in &local {
                let (e, de) = self.pair(r);
                energy += 0.5 * e;
                let s = 0.5 * de / r;
                add(i, j, &v, &[s * v[0], s * v[1], s * v[2]]);
            }
            // Triplets centred on i.
            let lam = self.lambda * self.epsilon;
            for x in 0..local.len() {
                let (u, ru, j) = local[x];
                let (gu, dgu) = self.radial3(ru);
                for &(v, rv, k) in &local[x + 1..] {
                    let (gv, dgv) = self.radial3(rv);
                    let cos = (u[0] * v[0] + u[1] * v[1] + u[2] * v[2]) / (ru * rv);
                    let dc = cos - self.cos_theta0;
                    energy += lam * dc * dc * gu * gv;
                    // ∂E/∂u = λε [2 dc gu gv ∂cos/∂u + dc² gv g'u û],
                    // ∂cos/∂u = v/(|u||v|) − cos u/|u|².
                    let a = 2.0 * lam * dc * gu * gv;
                    let b_u = lam * dc * dc * gv * dgu / ru;
                    let b_v = lam * dc * dc * gu * dgv / rv;
                    let gu_vec: [f64; 3] = std::array::from_fn(|c| {
                        a * (v[c] / (ru * rv) - cos * u[c] / (ru * ru)) + b_u * u[c]
                    });
                    let gv_vec: [f64; 3] = std::array::from_fn(|c| {
                        a * (u[c] / (ru * rv) - cos * v[c] / (rv * rv)) + b_v * v[c]
                    });
                    add(i, j, &u, &gu_vec);
                    add(i, k, &v, &gv_vec);
                }
            }
        }
        SwOutput {
            energy,
            forces,
            virial,
        }
    }

    /// A copy of `frame` with the SW energy, forces, and (for a cell periodic
    /// in all three directions) stress attached: training data.
    pub fn label(&self, frame: &Frame) -> Result<Frame, DataError> {
        let out = self.evaluate(frame)?;
        let mut f = frame.clone();
        f.energy = Some(out.energy);
        f.forces = Some(out.forces);
        f.stress = out.stress;
        Ok(f)
    }
}

impl Potential for StillingerWeber {
    fn energy_forces(&self, frame: &Frame) -> Result<(f64, Vec<[f64; 3]>), DataError> {
        let out = self.compute(frame)?;
        Ok((out.energy, out.forces))
    }

    /// Energy, forces and the stress `−W / V` from the analytic virial
    /// (the one [`label`](Self::label) attaches).
    fn evaluate(&self, frame: &Frame) -> Result<Evaluation, DataError> {
        let out = self.compute(frame)?;
        let stress = match (frame.pbc, frame.volume()) {
            ([true, true, true], Some(v)) if v > 0.0 => Some(std::array::from_fn(|a| {
                std::array::from_fn(|b| -out.virial[a][b] / v)
            })),
            _ => None,
        };
        Ok(Evaluation {
            energy: out.energy,
            forces: out.forces,
            stress,
        })
    }
}
