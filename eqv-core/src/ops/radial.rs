//! Radial basis functions: how an invariant distance becomes a smooth
//! feature vector that vanishes at the cutoff.
//!
//! NequIP's choice: Bessel functions
//! `b_n(r) = √(2/r_c) · sin(nπ r / r_c) / r` (`n = 1..N`), which are the
//! `l = 0` eigenfunctions of a spherical well of radius `r_c`, orthonormal
//! in the `r² dr` measure on `[0, r_c]`; times the polynomial envelope of
//! degree `p` (DimeNet)
//!
//! `u(x) = 1 − (p+1)(p+2)/2 · x^p + p(p+2) · x^{p+1} − p(p+1)/2 · x^{p+2}`
//!
//! for `x = r/r_c < 1` and 0 beyond. `u(1) = u'(1) = u''(1) = 0`, so an
//! energy built from these features changes smoothly — value, force and
//! force derivative — when an atom crosses the cutoff and the neighbour list
//! gains or loses an edge.
//!
//! (NequIP's code uses the prefactor `2/r_c` instead of `√(2/r_c)`; the two
//! differ by a constant that the next linear layer absorbs. NequIP can also
//! train the frequencies `nπ`; here they are fixed.)

use crate::dual::Dual;
use crate::feat::Feat;
use crate::irrep::Scalar;
use crate::real::Real;

/// The polynomial cutoff envelope `u(x)` of degree `p` (see the module
/// docs): 1 at `x = 0`, 0 with vanishing first and second derivatives at
/// `x = 1`, and 0 beyond. Generic, so it differentiates with dual numbers.
///
/// ```
/// use eqv::ops::radial::polynomial_cutoff;
/// assert_eq!(polynomial_cutoff(0.0_f64, 6), 1.0);
/// assert!(polynomial_cutoff(1.0_f64, 6).abs() < 1e-12);
/// assert_eq!(polynomial_cutoff(1.3_f64, 6), 0.0);
/// ```
pub fn polynomial_cutoff<T: Real>(x: T, p: u32) -> T {
    if x.value() >= 1.0 {
        return T::ZERO;
    }
    let pf = p as f64;
    let xp = x.powi(p as i32);
    T::ONE - T::from_f64((pf + 1.0) * (pf + 2.0) / 2.0) * xp + T::from_f64(pf * (pf + 2.0)) * xp * x
        - T::from_f64(pf * (pf + 1.0) / 2.0) * xp * x * x
}

/// `sin(a r) / r`, with its limit `a` at `r = 0`: evaluated by its Taylor
/// series for `|a r| < 10⁻²`, so every derivative (dual numbers) is exact
/// there too.
fn sin_over_r<T: Real>(a: f64, r: T) -> T {
    let z = T::from_f64(a) * r;
    if (a * r.value()).abs() < 1e-2 {
        let z2 = z * z;
        // sinc(z) = 1 − z²/6 + z⁴/120 − z⁶/5040 + z⁸/362880
        let s = T::ONE
            - z2 * (T::from_f64(1.0 / 6.0)
                - z2 * (T::from_f64(1.0 / 120.0)
                    - z2 * (T::from_f64(1.0 / 5040.0) - z2 * T::from_f64(1.0 / 362880.0))));
        T::from_f64(a) * s
    } else {
        z.sin() / r
    }
}

/// NequIP's radial basis: `N` Bessel functions times the polynomial cutoff
/// envelope, as a differentiable op on distances.
///
/// ```
/// use eqv::prelude::*;
/// use eqv::ops::radial::BesselBasis;
/// let basis = BesselBasis::new(5.0, 8);
/// let tape = Tape::<f64>::new();
/// let d = eqv::non_equivariant::input::<Scalar, _>(&tape, 3, 1, vec![0.0, 2.5, 6.0]);
/// let b = basis.forward(d); // [3 edges, 8 channels]
/// assert_eq!((b.rows(), b.mul()), (3, 8));
/// assert!(b.to_f64()[16..].iter().all(|&x| x == 0.0)); // beyond the cutoff
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BesselBasis {
    r_max: f64,
    num_basis: usize,
    envelope_degree: u32,
}

impl BesselBasis {
    /// `num_basis` Bessel functions on `[0, r_max]`, envelope degree 6
    /// (NequIP's default).
    ///
    /// # Panics
    /// If `r_max` is not a positive finite number or `num_basis == 0`.
    pub fn new(r_max: f64, num_basis: usize) -> Self {
        assert!(
            r_max.is_finite() && r_max > 0.0,
            "BesselBasis: r_max must be positive, got {r_max}"
        );
        assert!(
            num_basis > 0,
            "BesselBasis: needs at least one basis function"
        );
        BesselBasis {
            r_max,
            num_basis,
            envelope_degree: 6,
        }
    }

    /// The same basis with envelope degree `p` (the envelope and its first
    /// two derivatives vanish at the cutoff for every `p ≥ 1`).
    ///
    /// # Panics
    /// If `p == 0`.
    pub fn with_envelope_degree(mut self, p: u32) -> Self {
        assert!(p > 0, "BesselBasis: envelope degree must be at least 1");
        self.envelope_degree = p;
        self
    }

    /// The cutoff radius.
    pub fn r_max(&self) -> f64 {
        self.r_max
    }
    /// Number of basis functions (output channels per input channel).
    pub fn num_basis(&self) -> usize {
        self.num_basis
    }
    /// Degree `p` of the envelope.
    pub fn envelope_degree(&self) -> u32 {
        self.envelope_degree
    }

    /// `b_n(r) · u(r/r_c)` for `n = 1..=N` into `out` (length `N`), in any
    /// number type.
    ///
    /// # Panics
    /// If `out.len() != num_basis`.
    pub fn eval_into<T: Real>(&self, r: T, out: &mut [T]) {
        assert_eq!(
            out.len(),
            self.num_basis,
            "BesselBasis::eval_into: wrong output length"
        );
        let u = polynomial_cutoff(r / T::from_f64(self.r_max), self.envelope_degree);
        if u.value() == 0.0 && r.value() >= self.r_max {
            out.iter_mut().for_each(|o| *o = T::ZERO);
            return;
        }
        let pre = T::from_f64((2.0 / self.r_max).sqrt()) * u;
        let a1 = std::f64::consts::PI / self.r_max;
        if (a1 * r.value()).abs() < 1e-2 {
            // Near r = 0: each function by its Taylor series.
            for (n, o) in out.iter_mut().enumerate() {
                *o = pre * sin_over_r((n + 1) as f64 * a1, r);
            }
            return;
        }
        // sin(nθ) for n = 1..=N from one sine and cosine by the Chebyshev
        // recurrence sin((n+1)θ) = 2 cos θ sin(nθ) − sin((n−1)θ).
        let theta = T::from_f64(a1) * r;
        let (s1, two_c) = (theta.sin(), T::from_f64(2.0) * theta.cos());
        let scale = pre / r;
        let (mut prev, mut cur) = (T::ZERO, s1);
        for o in out.iter_mut() {
            *o = scale * cur;
            (prev, cur) = (cur, two_c * cur - prev);
        }
    }

    /// The basis of every distance: `[rows, mul]` → `[rows, mul · N]`
    /// (channel `c`'s functions at `c·N..(c+1)·N`). Distances are invariant,
    /// so the result is a `Scalar`.
    pub fn forward<'t, T: Real>(&self, distances: Feat<'t, Scalar, T>) -> Feat<'t, Scalar, T> {
        let nb = self.num_basis;
        let r = distances.data();
        let mut y = distances.tape().scratch(r.len() * nb);
        let rs: &[T] = &r;
        crate::kernels::parallel::rows_mut(&mut y, nb, r.len(), |r0, n, y| {
            for (&rk, out) in rs[r0..r0 + n].iter().zip(y.chunks_exact_mut(nb.max(1))) {
                self.eval_into(rk, out);
            }
        });
        let rid = distances.id();
        let me = *self;
        Feat::from_op(
            distances.tape(),
            distances.rows(),
            distances.mul() * nb,
            y,
            &[rid],
            move |gy, g| {
                if g.wants(rid) {
                    let gr = g.acc(rid);
                    let mut d = vec![Dual::<T>::ZERO; nb];
                    for (k, &rk) in r.iter().enumerate() {
                        me.eval_into(Dual::variable(rk), &mut d);
                        let dot: T = d
                            .iter()
                            .zip(&gy[k * nb..(k + 1) * nb])
                            .map(|(d, &g)| d.eps * g)
                            .sum();
                        gr[k] += dot;
                    }
                }
            },
        )
    }
}
