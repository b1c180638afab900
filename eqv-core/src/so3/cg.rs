//! Real Clebsch-Gordan tensors: the only way two irreps may be multiplied
//! into a third without breaking equivariance.
//!
//! `C = clebsch_gordan(l1, l2, l3)` has shape `(2l1+1, 2l2+1, 2l3+1)` and
//! satisfies, for every rotation `R`,
//! `Σ_ij D1[i,a] D2[j,b] C[i,j,k] = Σ_c D3[k,c] C[a,b,c]`: the bilinear map
//! `z_k = Σ_ij x_i y_j C_ijk` turns an `l1` and an `l2` feature into an `l3`
//! feature. It is built exactly as e3nn-jax builds it (complex SU(2)
//! coefficients with the Condon-Shortley phase, divided by `sqrt(2l3+1)`,
//! changed to the real basis with `Q_l = (-i)^l ×` the real→complex matrix),
//! so values agree with `e3nn_jax.clebsch_gordan` to rounding.
//!
//! Precision: the SU(2) coefficients come from an exact rational sum
//! (see `exact.rs`), and the change of basis is done on exact Gaussian
//! integers, so every entry is within a few ulp at any `l` and entries that
//! are zero are exactly `0.0` (the sparse tables hold no rounding noise).

use super::exact::su2_cg_over_sqrt;
use crate::irrep::MAX_L;
use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};

/// One nonzero entry `C[i, j, k] = value` of a Clebsch-Gordan tensor.
pub type CgEntry = (u16, u16, u16, f64);

/// A cached real Clebsch-Gordan tensor, in dense and sparse form.
///
/// Obtained from [`clebsch_gordan_table`]; lives for the whole program, so
/// kernels can keep `&'static` references to it.
#[derive(Debug)]
pub struct CgTable {
    /// Degrees `(l1, l2, l3)`.
    pub ls: (u32, u32, u32),
    /// Shape `(2l1+1, 2l2+1, 2l3+1)`.
    pub shape: (usize, usize, usize),
    /// Row-major dense values, index `(i*(2l2+1) + j)*(2l3+1) + k`.
    pub dense: Vec<f64>,
    /// The nonzero entries in row-major order.
    pub sparse: Vec<CgEntry>,
}

impl CgTable {
    /// `C[i, j, k]`.
    pub fn get(&self, i: usize, j: usize, k: usize) -> f64 {
        let (_, d2, d3) = self.shape;
        self.dense[(i * d2 + j) * d3 + k]
    }

    /// Whether the triple satisfies the selection rule `|l1-l2| ≤ l3 ≤ l1+l2`
    /// (otherwise the tensor is all zeros).
    pub fn is_allowed(&self) -> bool {
        let (l1, l2, l3) = self.ls;
        triangle(l1, l2, l3)
    }

    /// `z_k = Σ_ij x_i y_j C_ijk` (the coupling of an `l1` and an `l2`
    /// feature into an `l3` feature), through the sparse table.
    pub fn couple(&self, x: &[f64], y: &[f64]) -> Vec<f64> {
        let mut z = vec![0.0; self.shape.2];
        for &(i, j, k, c) in &self.sparse {
            z[k as usize] += c * x[i as usize] * y[j as usize];
        }
        z
    }
}

/// The selection rule `|l1-l2| ≤ l3 ≤ l1+l2`.
pub fn triangle(l1: u32, l2: u32, l3: u32) -> bool {
    l1.abs_diff(l2) <= l3 && l3 <= l1 + l2
}

/// Largest degree the tables accept: sparse indices are `u16`.
pub const MAX_CG_L: u32 = 10_000;

/// The cached real Clebsch-Gordan tensor for `(l1, l2, l3)` (built on first
/// use, then shared by every caller and thread).
///
/// # Panics
/// If a degree exceeds [`MAX_CG_L`].
pub fn clebsch_gordan_table(l1: u32, l2: u32, l3: u32) -> &'static CgTable {
    assert!(
        l1.max(l2).max(l3) <= MAX_CG_L,
        "clebsch_gordan: degree above {MAX_CG_L}"
    );
    // Degrees up to MAX_L (l3 up to 2·MAX_L): one lock-free slot per triple,
    // the path every kernel takes.
    const N: usize = MAX_L as usize + 1;
    const N3: usize = 2 * MAX_L as usize + 1;
    static SLOTS: [OnceLock<CgTable>; N * N * N3] = [const { OnceLock::new() }; N * N * N3];
    if (l1 as usize) < N && (l2 as usize) < N && (l3 as usize) < N3 {
        let slot = &SLOTS[(l1 as usize * N + l2 as usize) * N3 + l3 as usize];
        return slot.get_or_init(|| build(l1, l2, l3));
    }
    // Higher degrees: a shared map, read-locked on hits.
    type Cache = RwLock<HashMap<(u32, u32, u32), &'static CgTable>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(|| RwLock::new(HashMap::new()));
    if let Some(t) = cache
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(&(l1, l2, l3))
    {
        return t;
    }
    // Build outside the lock (it can take a moment at high l); if two threads
    // race, the first insert wins and the other copy is dropped.
    let table = build(l1, l2, l3);
    let mut guard = cache.write().unwrap_or_else(|e| e.into_inner());
    guard
        .entry((l1, l2, l3))
        .or_insert_with(|| Box::leak(Box::new(table)))
}

/// The real Clebsch-Gordan tensor, shape `(2l1+1, 2l2+1, 2l3+1)`, row-major,
/// Frobenius norm 1, all zeros when the triple breaks `|l1-l2| ≤ l3 ≤ l1+l2`.
/// Same values as `e3nn_jax.clebsch_gordan(l1, l2, l3)`.
///
/// ```
/// use eqv::so3::clebsch_gordan;
/// // Two vectors couple to a scalar through the dot product: C[i,j,0] = δ_ij/√3.
/// let c = clebsch_gordan(1, 1, 0);
/// assert!((c[0] - 1.0 / 3f64.sqrt()).abs() < 1e-15);
/// let norm: f64 = clebsch_gordan(3, 2, 4).iter().map(|x| x * x).sum();
/// assert!((norm - 1.0).abs() < 1e-14);
/// ```
pub fn clebsch_gordan(l1: u32, l2: u32, l3: u32) -> Vec<f64> {
    clebsch_gordan_table(l1, l2, l3).dense.clone()
}

/// The nonzero entries `(i, j, k, C[i,j,k])` of [`clebsch_gordan`], in
/// row-major order: what a tensor-product kernel loops over. Empty when the
/// triple is not allowed.
pub fn clebsch_gordan_sparse(l1: u32, l2: u32, l3: u32) -> &'static [CgEntry] {
    &clebsch_gordan_table(l1, l2, l3).sparse
}

/// A power of `i` (`i^k`, `k mod 4`) times `2^(-h/2)`: the entries of e3nn's
/// change-of-basis matrices, kept exact.
#[derive(Clone, Copy, Debug)]
struct Unit {
    ipow: u8,
    half: u8,
}

/// Nonzero entries `(row, col, value)` of e3nn's `change_basis_real_to_complex(l)`,
/// written exactly as e3nn-jax writes it (rows: complex m, columns: real m
/// in the contraction below).
fn q_entries(l: u32) -> Vec<(usize, usize, Unit)> {
    let l_i = l as i64;
    // (-i)^l = i^(3l)
    let base = ((3 * l) % 4) as u8;
    let idx = |m: i64| (l_i + m) as usize;
    let mut q = Vec::new();
    let mul = |ipow: u8| (ipow + base) % 4;
    for m in -l_i..0 {
        // q[l+m, l+|m|] = 1/√2 ; q[l+m, l-|m|] = -i/√2
        q.push((
            idx(m),
            idx(m.abs()),
            Unit {
                ipow: mul(0),
                half: 1,
            },
        ));
        q.push((
            idx(m),
            idx(-m.abs()),
            Unit {
                ipow: mul(3),
                half: 1,
            },
        ));
    }
    q.push((
        idx(0),
        idx(0),
        Unit {
            ipow: mul(0),
            half: 0,
        },
    ));
    for m in 1..=l_i {
        // q[l+m, l+m] = (-1)^m/√2 ; q[l+m, l-m] = i (-1)^m/√2
        let sign = if m % 2 == 0 { 0 } else { 2 };
        q.push((
            idx(m),
            idx(m),
            Unit {
                ipow: mul(sign),
                half: 1,
            },
        ));
        q.push((
            idx(m),
            idx(-m),
            Unit {
                ipow: mul(1 + sign),
                half: 1,
            },
        ));
    }
    q
}

fn build(l1: u32, l2: u32, l3: u32) -> CgTable {
    let (d1, d2, d3) = (
        2 * l1 as usize + 1,
        2 * l2 as usize + 1,
        2 * l3 as usize + 1,
    );
    let mut dense = vec![0.0; d1 * d2 * d3];
    let mut sparse = Vec::new();
    if triangle(l1, l2, l3) {
        // rows of each Q: row -> [(col, unit)]
        let rows = |l: u32| {
            let mut r: Vec<Vec<(usize, Unit)>> = vec![Vec::new(); 2 * l as usize + 1];
            for (row, col, u) in q_entries(l) {
                r[row].push((col, u));
            }
            r
        };
        let (q1, q2, q3) = (rows(l1), rows(l2), rows(l3));
        // C_real[j,l,m] = Σ_{i,k,n} Q1[i,j] Q2[k,l] conj(Q3[n,m]) C_su2[i,k,n].
        // Every real entry collects terms whose |C_su2| are equal (the m and -m
        // partners) times a unit times 2^(-K/2) with the same K; accumulate the
        // units as exact Gaussian integers per (|C| bits, K) class.
        let mut acc: HashMap<(usize, u64, u8), (i64, i64)> = HashMap::new();
        let (l1i, l2i, l3i) = (l1 as i64, l2 as i64, l3 as i64);
        for m1 in -l1i..=l1i {
            for m2 in -l2i..=l2i {
                let m3 = m1 + m2;
                if m3.abs() > l3i {
                    continue;
                }
                let c = su2_cg_over_sqrt(l1, m1, l2, m2, l3);
                if c == 0.0 {
                    continue;
                }
                let (i, k, n) = (
                    (m1 + l1i) as usize,
                    (m2 + l2i) as usize,
                    (m3 + l3i) as usize,
                );
                let csign: u8 = if c < 0.0 { 2 } else { 0 };
                let cbits = c.abs().to_bits();
                for &(j, u1) in &q1[i] {
                    for &(l, u2) in &q2[k] {
                        for &(m, u3) in &q3[n] {
                            // conj(i^p) = i^(4-p)
                            let p = (u1.ipow + u2.ipow + (4 - u3.ipow) + csign) % 4;
                            let h = u1.half + u2.half + u3.half;
                            let (re, im) = match p {
                                0 => (1, 0),
                                1 => (0, 1),
                                2 => (-1, 0),
                                _ => (0, -1),
                            };
                            let e = acc
                                .entry(((j * d2 + l) * d3 + m, cbits, h))
                                .or_insert((0, 0));
                            e.0 += re;
                            e.1 += im;
                        }
                    }
                }
            }
        }
        let scale = [
            1.0,
            std::f64::consts::FRAC_1_SQRT_2,
            0.5,
            0.5 * std::f64::consts::FRAC_1_SQRT_2,
        ];
        for ((idx, cbits, h), (re, im)) in acc {
            debug_assert_eq!(im, 0, "imaginary part in a real CG tensor");
            if re != 0 {
                dense[idx] += re as f64 * f64::from_bits(cbits) * scale[h as usize];
            }
        }
        for (idx, &v) in dense.iter().enumerate() {
            if v != 0.0 {
                let k = idx % d3;
                let j = (idx / d3) % d2;
                let i = idx / (d2 * d3);
                sparse.push((i as u16, j as u16, k as u16, v));
            }
        }
    }
    CgTable {
        ls: (l1, l2, l3),
        shape: (d1, d2, d3),
        dense,
        sparse,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn norm_one_up_to_12() {
        for l1 in 0..=12u32 {
            for l2 in [0, 1, l1 / 2, l1] {
                for l3 in l1.abs_diff(l2)..=l1 + l2 {
                    let n: f64 = clebsch_gordan_table(l1, l2, l3)
                        .dense
                        .iter()
                        .map(|x| x * x)
                        .sum();
                    assert!((n - 1.0).abs() < 1e-14, "{l1} {l2} {l3}: {n}");
                }
            }
        }
    }
}
