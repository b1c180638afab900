//! Wigner D matrices: how a feature of degree `l` and parity `p` transforms
//! when the atoms are rotated (or reflected) by an orthogonal matrix `R`.
//!
//! eqv builds `D^l` from `D^{l-1}` and `D^1 = R` through the Clebsch-Gordan
//! tensor `C = CG(l-1, 1, l)`:
//! `D^l = (2l+1) · Cᵀ (D^{l-1} ⊗ R) C`.
//! This holds because `C` intertwines (`(D^{l-1} ⊗ R) C = C D^l`) and
//! `Cᵀ C = I/(2l+1)` (Schur's lemma and Frobenius norm 1). No Euler angles are
//! involved, so nothing is singular at the Y-X-Y gimbal lock (β = 0 or π),
//! and the result is a polynomial in the entries of `R`.
//!
//! Improper matrices follow e3nn-jax: with `d = det R = ±1`,
//! `D(R) = p^{(1-d)/2} · D^l(d·R)`, i.e. `D(-R) = p·D(R)`.

use super::cg::clebsch_gordan_sparse;
use crate::irreps::Irreps;
use nalgebra::{DMatrix, Matrix3};

/// `D^l(R)` for `l = 0..=lmax` of a *proper* rotation `R` (det +1), each
/// `(2l+1)²` row-major: the whole tower costs about as much as its top.
pub fn wigner_d_up_to(lmax: u32, r: &Matrix3<f64>) -> Vec<Vec<f64>> {
    let mut out: Vec<Vec<f64>> = Vec::with_capacity(lmax as usize + 1);
    out.push(vec![1.0]);
    if lmax == 0 {
        return out;
    }
    let mut d1 = vec![0.0; 9];
    for i in 0..3 {
        for j in 0..3 {
            d1[i * 3 + j] = r[(i, j)];
        }
    }
    out.push(d1);
    for l in 2..=lmax {
        let prev = &out[l as usize - 1];
        let dp = 2 * l as usize - 1; // dim of l-1
        let dl = 2 * l as usize + 1;
        let c = clebsch_gordan_sparse(l - 1, 1, l);
        // t[(i', j'), a] = Σ_{i,j} (D^{l-1}⊗R)ᵀ... computed as:
        // D^l[a,b] = (2l+1) Σ_{(i,j,a)} Σ_{(i',j',b)} C_ija C_i'j'b D^{l-1}[i,i'] R[j,j']
        // First u[(i,j), b] = Σ_{(i',j',b)} D^{l-1}[i,i'] R[j,j'] C_i'j'b.
        let mut u = vec![0.0; dp * 3 * dl];
        for &(ip, jp, b, cv) in c {
            let (ip, jp, b) = (ip as usize, jp as usize, b as usize);
            for i in 0..dp {
                let di = prev[i * dp + ip] * cv;
                for j in 0..3 {
                    u[(i * 3 + j) * dl + b] += di * r[(j, jp)];
                }
            }
        }
        let scale = (2 * l + 1) as f64;
        let mut d = vec![0.0; dl * dl];
        for &(i, j, a, cv) in c {
            let row = &u[(i as usize * 3 + j as usize) * dl..][..dl];
            let cs = cv * scale;
            for b in 0..dl {
                d[a as usize * dl + b] += cs * row[b];
            }
        }
        out.push(d);
    }
    out
}

/// `d = sign(det R)` and the proper part `d·R`.
fn proper_part(r: &Matrix3<f64>) -> (bool, Matrix3<f64>) {
    if r.determinant() < 0.0 {
        (true, -r)
    } else {
        (false, *r)
    }
}

/// The Wigner D matrix of degree `l` and parity `parity` (`+1` or `-1`) for
/// an orthogonal matrix `r`, proper or improper: shape `(2l+1, 2l+1)`,
/// row-major. A feature `x` of that irrep becomes `D x` when the atoms move
/// by `r`. Same values as e3nn-jax's `Irrep(l, parity).D_from_matrix(r)`.
///
/// `D^1(R) = R` for a proper rotation; for an improper one
/// `D(-R) = parity · D(R)`. `r` should be orthogonal (a matrix that is not
/// gives a matrix that is not a representation, but no panic).
///
/// ```
/// use eqv::so3::wigner_d;
/// use nalgebra::Matrix3;
/// let r = Matrix3::new(0.0, -1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0);
/// let d = wigner_d(1, -1, &r);
/// assert_eq!(d[1], -1.0); // D^1(R) = R for the vector irrep 1o
/// let inv = wigner_d(1, -1, &(-Matrix3::identity()));
/// assert_eq!(inv[0], -1.0); // a vector flips under inversion
/// ```
pub fn wigner_d(l: u32, parity: i32, r: &Matrix3<f64>) -> Vec<f64> {
    let (improper, rp) = proper_part(r);
    let mut d = wigner_d_up_to(l, &rp).pop().unwrap_or_default();
    if improper && parity < 0 {
        for x in &mut d {
            *x = -*x;
        }
    }
    d
}

/// [`wigner_d`] as an `nalgebra` matrix.
pub fn wigner_d_matrix(l: u32, parity: i32, r: &Matrix3<f64>) -> DMatrix<f64> {
    let n = 2 * l as usize + 1;
    DMatrix::from_row_slice(n, n, &wigner_d(l, parity, r))
}

/// The Wigner D matrix of a proper rotation given by e3nn's Y-X-Y Euler
/// angles: `D(α, β, γ) = D_y(α) D_x(β) D_y(γ)`, the same as
/// `wigner_d(l, 1, &angles_to_matrix(α, β, γ))`.
pub fn wigner_d_from_angles(l: u32, alpha: f64, beta: f64, gamma: f64) -> Vec<f64> {
    wigner_d(l, 1, &super::rotation::angles_to_matrix(alpha, beta, gamma))
}

/// The block-diagonal representation of a whole irreps on the flat e3nn
/// layout (blocks in order, `mul` copies of each irrep's `D`): a feature
/// vector `x` of these irreps becomes `D x` under `r`. What equivariance
/// tests compare against.
pub fn wigner_d_irreps(irreps: &Irreps, r: &Matrix3<f64>) -> DMatrix<f64> {
    let dim = irreps.dim();
    let mut out = DMatrix::zeros(dim, dim);
    let lmax = irreps.lmax().unwrap_or(0);
    let (improper, rp) = proper_part(r);
    let tower = wigner_d_up_to(lmax, &rp);
    let mut off = 0;
    for mi in irreps.iter() {
        let n = mi.ir.dim();
        let d = &tower[mi.ir.l as usize];
        let s = if improper && mi.ir.p.sign() < 0 {
            -1.0
        } else {
            1.0
        };
        for _ in 0..mi.mul {
            for a in 0..n {
                for b in 0..n {
                    out[(off + a, off + b)] = s * d[a * n + b];
                }
            }
            off += n;
        }
    }
    out
}
