//! Real spherical harmonics: how a direction (an edge vector) becomes
//! equivariant features of every degree.
//!
//! Conventions are e3nn-jax's: components `m = -l..=l`; `Y^1 = √3 (x, y, z)`
//! ('component' normalisation); `y` is the polar axis, so `Y^l_0` depends on
//! `y` only; e3nn's `Y_l(x, y, z)` equals the standard (no Condon-Shortley
//! phase) real harmonic `Y_lm(X = z, Y = x, Z = y)`.
//!
//! The harmonics are evaluated as *polynomials* (associated-Legendre
//! recurrence in Cartesian form, plus `(X + iY)^m`), never through angles:
//! the same code runs on `f32`, `f64` and [`Dual`](crate::dual::Dual)
//! numbers, so derivatives (forces) are exact, and there is no singularity at
//! the poles. With `normalize = false` the result is the solid harmonic
//! `|v|^l Y^l(v/|v|)`, a homogeneous harmonic polynomial, as in e3nn-jax.

use crate::dual::Dual;
use crate::kernels::simd::vectorized_or;
use crate::real::Real;
use std::ops::{Add, Mul, Sub};
use std::sync::OnceLock;

/// How the harmonics of each degree are scaled (on the unit sphere).
///
/// Same names and meanings as e3nn-jax.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Normalization {
    /// `|Y^l|² = 2l+1`: each component has mean square 1 over the sphere.
    /// `Y^0 = 1`, `Y^1 = √3 v̂`. e3nn's default and eqv's.
    #[default]
    Component,
    /// `|Y^l| = 1`: `Y^0 = 1`, `Y^1 = v̂`. Component divided by `√(2l+1)`.
    Norm,
    /// `∫ (Y^l_m)² dΩ = 1` over the sphere. Component divided by `√(4π)`.
    Integral,
}

impl Normalization {
    /// The factor that turns 'component' harmonics of degree `l` into this
    /// normalisation.
    pub fn factor(self, l: u32) -> f64 {
        match self {
            Normalization::Component => 1.0,
            Normalization::Norm => 1.0 / ((2 * l + 1) as f64).sqrt(),
            Normalization::Integral => 1.0 / (4.0 * std::f64::consts::PI).sqrt(),
        }
    }
}

/// Recurrence constants of the normalised associated-Legendre polynomials,
/// up to some `lmax`. `Q_l^m = N_lm P̄_l^m`, with `N_lm` the 'component'
/// normalisation and `P̄` the derivative form (`P_l^m = sin^m θ · P̄_l^m`):
///
/// * `Q_0^0 = 1`, `Q_m^m = diag[m] · Q_{m-1}^{m-1}`;
/// * `Q_l^m = a[l,m] · Z · Q_{l-1}^m − b[l,m] · r² · Q_{l-2}^m` for `l > m`
///   (`b` unused for `l = m+1`).
///
/// All constants are O(1), so nothing overflows even in `f32`.
struct Table {
    lmax: u32,
    diag: Vec<f64>,
    a: Vec<f64>,
    b: Vec<f64>,
}

#[inline]
fn tri(l: u32, m: u32) -> usize {
    (l * (l + 1) / 2 + m) as usize
}

impl Table {
    fn new(lmax: u32) -> Table {
        let n = tri(lmax, lmax) + 1;
        let mut diag = vec![1.0; lmax as usize + 1];
        for m in 1..=lmax {
            let m_f = m as f64;
            let c = if m == 1 { 2.0 } else { 1.0 };
            diag[m as usize] = ((2.0 * m_f + 1.0) / (2.0 * m_f) * c).sqrt();
        }
        let mut a = vec![0.0; n];
        let mut b = vec![0.0; n];
        // rho(l,m) = N_lm / N_{l-1,m} = sqrt((2l+1)(l-m) / ((2l-1)(l+m)))
        let rho = |l: u32, m: u32| {
            let (l, m) = (l as f64, m as f64);
            ((2.0 * l + 1.0) * (l - m) / ((2.0 * l - 1.0) * (l + m))).sqrt()
        };
        for m in 0..=lmax {
            for l in m + 1..=lmax {
                let (lf, mf) = (l as f64, m as f64);
                a[tri(l, m)] = (2.0 * lf - 1.0) / (lf - mf) * rho(l, m);
                if l >= m + 2 {
                    b[tri(l, m)] = (lf + mf - 1.0) / (lf - mf) * rho(l, m) * rho(l - 1, m);
                }
            }
        }
        Table { lmax, diag, a, b }
    }
}

/// Degrees covered by the shared, lazily built table; higher degrees build a
/// table per call (still exact, just slower).
const TABLE_L: u32 = 32;

fn shared_table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| Table::new(TABLE_L))
}

/// Offset of degree `l` in the concatenation `l = 0..=lmax`: `l²`.
pub const fn sh_offset(l: u32) -> usize {
    (l * l) as usize
}

/// Total number of components of degrees `0..=lmax`: `(lmax+1)²`.
pub const fn sh_dim_up_to(lmax: u32) -> usize {
    ((lmax + 1) * (lmax + 1)) as usize
}

/// All real spherical harmonics of degrees `0..=lmax` of `v`, concatenated
/// (degree `l` at offset `l²`, its `2l+1` components ordered `m = -l..=l`).
///
/// Generic over [`Real`], so it runs in `f32`, `f64` or on dual numbers
/// (exact derivatives for forces). `normalize = true` evaluates at `v/|v|`;
/// for the zero vector it gives `Y^0` (the constant) and zeros for `l > 0`,
/// with zero derivative, never NaN.
///
/// ```
/// use eqv::so3::{spherical_harmonics_up_to, Normalization};
/// let y = spherical_harmonics_up_to(1, [0.0, 0.0, 2.0_f64], true, Normalization::Component);
/// let s3 = 3f64.sqrt();
/// assert_eq!(y.len(), 4);
/// assert!((y[0] - 1.0).abs() < 1e-15 && (y[3] - s3).abs() < 1e-15);
/// ```
pub fn spherical_harmonics_up_to<T: Real>(
    lmax: u32,
    v: [T; 3],
    normalize: bool,
    normalization: Normalization,
) -> Vec<T> {
    let mut out = vec![T::ZERO; sh_dim_up_to(lmax)];
    spherical_harmonics_into(lmax, v, normalize, normalization, &mut out);
    out
}

/// Like [`spherical_harmonics_up_to`], writing into `out` (length at least
/// `(lmax+1)²`) instead of allocating: the per-edge hot path.
///
/// # Panics
/// If `out` is shorter than `(lmax+1)²`.
pub fn spherical_harmonics_into<T: Real>(
    lmax: u32,
    v: [T; 3],
    normalize: bool,
    normalization: Normalization,
    out: &mut [T],
) {
    assert!(
        out.len() >= sh_dim_up_to(lmax),
        "spherical_harmonics_into: output shorter than (lmax+1)^2"
    );
    let local;
    let t: &Table = if lmax <= TABLE_L {
        shared_table()
    } else {
        local = Table::new(lmax);
        &local
    };
    debug_assert!(t.lmax >= lmax);
    let coef = |c: &[f64], i: usize| T::from_f64(c[i]);
    sh_core(
        lmax,
        v,
        normalize,
        (
            |m: usize| coef(&t.diag, m),
            |i: usize| coef(&t.a, i),
            |i: usize| coef(&t.b, i),
        ),
        out,
    );
    scale_normalization(lmax, normalization, out);
}

/// Rescales 'component' harmonics to another normalisation.
fn scale_normalization<T: Real>(lmax: u32, normalization: Normalization, out: &mut [T]) {
    if normalization != Normalization::Component {
        for l in 0..=lmax {
            let f = T::from_f64(normalization.factor(l));
            for o in &mut out[sh_offset(l)..sh_offset(l + 1)] {
                *o *= f;
            }
        }
    }
}

/// `v/|v|` and its squared norm with `normalize`, else `v` and `|v|²`.
///
/// The zero vector follows e3nn-jax's convention for the values (`|v|² = 0`
/// replaced by 1); the tangent of `v/|v|` does not exist at 0, so it is
/// dropped: `Y^{l>0}` and its derivative are exactly zero. The zero case is
/// a select rather than a branch, so a loop over lanes of vectors stays
/// vectorised.
#[inline(always)]
fn direction<T: Real>([x, y, z]: [T; 3], normalize: bool) -> ([T; 3], T) {
    let r2 = x * x + y * y + z * z;
    if !normalize {
        return ([x, y, z], r2);
    }
    let inv = if r2.value() == 0.0 {
        T::ZERO
    } else {
        T::ONE / r2.sqrt()
    };
    let (x, y, z) = (x * inv, y * inv, z * inv);
    ([x, y, z], x * x + y * y + z * z)
}

/// The arithmetic the recurrence needs: one number, or a [`Lanes`] of them.
trait Poly: Copy + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> {}
impl<N: Copy + Add<Output = N> + Sub<Output = N> + Mul<Output = N>> Poly for N {}

/// The recurrence of every harmonic up to `lmax` ('component'
/// normalisation) of a direction `v` with squared norm `r2`, with the
/// table's coefficients read through `coef` (`diag[m]`, `a[tri(l, m)]`,
/// `b[tri(l, m)]`; of a type `K` that scales `N`: a lane of constants
/// scales a `Jet` without multiplying its tangents by zero). Inlined into callers with a constant `lmax`, its loops
/// unroll.
#[inline(always)]
fn sh_poly<N: Poly, K: Copy + Mul<N, Output = N>>(
    lmax: u32,
    [x, y, z]: [N; 3],
    r2: N,
    (one, zero): (N, N),
    (diag, ca, cb): (
        impl Fn(usize) -> K,
        impl Fn(usize) -> K,
        impl Fn(usize) -> K,
    ),
    out: &mut [N],
) {
    // Standard real-harmonic coordinates: X = z, Y = x, Z (polar) = y.
    let (xs, ys, zs) = (z, x, y);
    // (A_m + i B_m) = (X + i Y)^m
    let mut am = one;
    let mut bm = zero;
    let mut qmm = one; // Q_m^m
    for m in 0..=lmax {
        if m > 0 {
            let (a_new, b_new) = (xs * am - ys * bm, xs * bm + ys * am);
            am = a_new;
            bm = b_new;
            qmm = diag(m as usize) * qmm;
        }
        // Walk l = m..=lmax with Q_{l-2}, Q_{l-1}
        let mut q_prev2 = zero;
        let mut q_prev = qmm;
        for l in m..=lmax {
            let q = if l == m {
                qmm
            } else if l == m + 1 {
                ca(tri(l, m)) * zs * q_prev
            } else {
                ca(tri(l, m)) * zs * q_prev - cb(tri(l, m)) * r2 * q_prev2
            };
            if l > m {
                q_prev2 = q_prev;
                q_prev = q;
            }
            let base = sh_offset(l) + l as usize;
            if m == 0 {
                out[base] = q;
            } else {
                out[base + m as usize] = q * am;
                out[base - m as usize] = q * bm;
            }
        }
    }
}

/// [`direction`], then [`sh_poly`]: the harmonics of one vector.
#[inline(always)]
fn sh_core<T: Real>(
    lmax: u32,
    v: [T; 3],
    normalize: bool,
    coef: (
        impl Fn(usize) -> T,
        impl Fn(usize) -> T,
        impl Fn(usize) -> T,
    ),
    out: &mut [T],
) {
    let (v, r2) = direction(v, normalize);
    sh_poly(lmax, v, r2, (T::ONE, T::ZERO), coef, out);
}

/// Degrees up to which [`spherical_harmonics_batch`] runs a specialised,
/// unrolled kernel.
const BATCH_L: u32 = 3;

/// Vectors evaluated together by the batched kernel unless the number
/// type says otherwise ([`crate::kernels::compiled_once`] runs `f32` on
/// [`WIDE_LANES`]): one AVX-512 register of `f64`, two AVX2 registers.
pub(crate) const LANES: usize = 8;

/// Vectors evaluated together for 4-byte numbers: one AVX-512 register of
/// `f32`, as [`LANES`] is of `f64`, so `f32` runs half the instructions
/// per vector (with eight, its harmonics and their derivatives cost what
/// `f64`'s do).
pub(crate) const WIDE_LANES: usize = 16;

/// `L` numbers of the same harmonic component of `L` vectors:
/// every operation of the recurrence is a loop over the lanes, which the
/// compiler turns into SIMD instructions (the vectors' layout, `x, y, z`
/// of one after the other, would need one vector at a time).
#[derive(Clone, Copy)]
struct Lanes<T, const L: usize>([T; L]);

macro_rules! lanewise {
    ($tr:ident, $f:ident, $op:tt) => {
        impl<T: Real, const L: usize> $tr for Lanes<T, L> {
            type Output = Self;
            #[inline(always)]
            fn $f(self, o: Self) -> Self {
                Lanes(std::array::from_fn(|i| self.0[i] $op o.0[i]))
            }
        }
    };
}
lanewise!(Add, add, +);
lanewise!(Sub, sub, -);
lanewise!(Mul, mul, *);

/// `L` numbers with their derivatives along `x`, `y` and `z`: the
/// harmonics and all three partial derivatives in one pass, lanes of
/// primal and tangent parts each contiguous (so they vectorise as
/// [`Lanes`] do), constants as plain [`Lanes`].
#[derive(Clone, Copy)]
struct Jet<T, const L: usize> {
    re: Lanes<T, L>,
    d: [Lanes<T, L>; 3],
}

impl<T: Real, const L: usize> Add for Jet<T, L> {
    type Output = Self;
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        Jet {
            re: self.re + o.re,
            d: std::array::from_fn(|a| self.d[a] + o.d[a]),
        }
    }
}
impl<T: Real, const L: usize> Sub for Jet<T, L> {
    type Output = Self;
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        Jet {
            re: self.re - o.re,
            d: std::array::from_fn(|a| self.d[a] - o.d[a]),
        }
    }
}
impl<T: Real, const L: usize> Mul for Jet<T, L> {
    type Output = Self;
    #[inline(always)]
    #[allow(clippy::suspicious_arithmetic_impl)] // the product rule
    fn mul(self, o: Self) -> Self {
        Jet {
            re: self.re * o.re,
            d: std::array::from_fn(|a| self.re * o.d[a] + self.d[a] * o.re),
        }
    }
}
impl<T: Real, const L: usize> Mul<Jet<T, L>> for Lanes<T, L> {
    type Output = Jet<T, L>;
    #[inline(always)]
    fn mul(self, o: Jet<T, L>) -> Jet<T, L> {
        Jet {
            re: self * o.re,
            d: o.d.map(|d| self * d),
        }
    }
}

/// The table's coefficients up to [`BATCH_L`], converted to `T` once per
/// call.
struct Coefs<T> {
    diag: [T; BATCH_L as usize + 1],
    a: [T; 10],
    b: [T; 10],
}

impl<T: Real> Coefs<T> {
    fn new() -> Self {
        let t = shared_table();
        Coefs {
            diag: std::array::from_fn(|m| T::from_f64(t.diag[m])),
            a: std::array::from_fn(|i| T::from_f64(t.a[i])),
            b: std::array::from_fn(|i| T::from_f64(t.b[i])),
        }
    }
}

/// The harmonics up to `lmax ≤ 3` of `L` vectors, every component as
/// one [`Lanes`] (`buf[c]`), in the requested normalisation.
#[inline(always)]
fn sh_lanes<T: Real, const L: usize>(
    lmax: u32,
    v: [[T; L]; 3],
    normalize: bool,
    normalization: Normalization,
    c: &Coefs<T>,
    buf: &mut [Lanes<T, L>; 16],
) {
    let mut d = [[T::ZERO; L]; 3];
    let mut r2 = [T::ZERO; L];
    for i in 0..L {
        let (u, r) = direction([v[0][i], v[1][i], v[2][i]], normalize);
        for a in 0..3 {
            d[a][i] = u[a];
        }
        r2[i] = r;
    }
    let splat = |x: T| Lanes([x; L]);
    let coef = (
        |m: usize| splat(c.diag[m]),
        |i: usize| splat(c.a[i]),
        |i: usize| splat(c.b[i]),
    );
    let v = [Lanes(d[0]), Lanes(d[1]), Lanes(d[2])];
    sh_poly(
        lmax,
        v,
        Lanes(r2),
        (splat(T::ONE), splat(T::ZERO)),
        coef,
        buf,
    );
    if normalization != Normalization::Component {
        for l in 0..=lmax {
            let f = splat(T::from_f64(normalization.factor(l)));
            for o in &mut buf[sh_offset(l)..sh_offset(l + 1)] {
                *o = f * *o;
            }
        }
    }
}

/// [`sh_lanes`] with the derivatives of every component along `x`, `y`,
/// `z` (`Jet`s): the directions' derivatives written out (for
/// `u = v/|v|`, `∂u_a/∂v_b = (δ_ab − u_a u_b)/|v|`; zero at the zero
/// vector, as in [`direction`]), then the same recurrence.
#[inline(always)]
fn sh_jets<T: Real, const L: usize>(
    lmax: u32,
    v: [[T; L]; 3],
    normalize: bool,
    normalization: Normalization,
    c: &Coefs<T>,
    buf: &mut [Jet<T, L>; 16],
) {
    let lanes = |f: &dyn Fn(usize) -> T| Lanes(std::array::from_fn(f));
    let zero = Lanes([T::ZERO; L]);
    let (u, r2): ([Jet<T, L>; 3], Jet<T, L>) = if normalize {
        let s = lanes(&|i| {
            let r2 = v[0][i] * v[0][i] + v[1][i] * v[1][i] + v[2][i] * v[2][i];
            if r2.value() == 0.0 {
                T::ZERO
            } else {
                T::ONE / r2.sqrt()
            }
        });
        let u: [Lanes<T, L>; 3] = std::array::from_fn(|a| Lanes(v[a]) * s);
        let du = |a: usize, b: usize| {
            let uu = u[a] * u[b];
            if a == b {
                s - s * uu
            } else {
                zero - s * uu
            }
        };
        let jets: [Jet<T, L>; 3] = std::array::from_fn(|a| Jet {
            re: u[a],
            d: std::array::from_fn(|b| du(a, b)),
        });
        (
            jets,
            jets[0] * jets[0] + jets[1] * jets[1] + jets[2] * jets[2],
        )
    } else {
        let one = Lanes([T::ONE; L]);
        let jets: [Jet<T, L>; 3] = std::array::from_fn(|a| Jet {
            re: Lanes(v[a]),
            d: std::array::from_fn(|b| if a == b { one } else { zero }),
        });
        let r2 = jets[0] * jets[0] + jets[1] * jets[1] + jets[2] * jets[2];
        (jets, r2)
    };
    let coef = (
        |m: usize| Lanes([c.diag[m]; L]),
        |i: usize| Lanes([c.a[i]; L]),
        |i: usize| Lanes([c.b[i]; L]),
    );
    let one = Jet {
        re: Lanes([T::ONE; L]),
        d: [zero; 3],
    };
    let nil = Jet {
        re: zero,
        d: [zero; 3],
    };
    sh_poly(lmax, u, r2, (one, nil), coef, buf);
    if normalization != Normalization::Component {
        for l in 0..=lmax {
            let f = Lanes([T::from_f64(normalization.factor(l)); L]);
            for o in &mut buf[sh_offset(l)..sh_offset(l + 1)] {
                *o = f * *o;
            }
        }
    }
}

/// Runs `each(first vector, count, x, y, z)` over blocks of `L`
/// vectors (the last block padded with zero vectors, `count` the real
/// ones), with a literal degree so that the kernel inlined into `each`
/// unrolls.
#[inline(always)]
fn blocks<T: Real, const L: usize>(vectors: &[T], mut each: impl FnMut(usize, usize, [[T; L]; 3])) {
    let n = vectors.len() / 3;
    let mut k0 = 0;
    while k0 < n {
        let count = L.min(n - k0);
        let mut v = [[T::ZERO; L]; 3];
        for (i, p) in vectors[3 * k0..3 * (k0 + count)]
            .chunks_exact(3)
            .enumerate()
        {
            for a in 0..3 {
                v[a][i] = p[a];
            }
        }
        each(k0, count, v);
        k0 += count;
    }
}

/// The harmonics of degrees `l_lo..=l_hi` of many vectors (`vectors` holds
/// `x, y, z` of each), into `out` (`Σ_{l=l_lo}^{l_hi} (2l+1)` numbers per
/// vector): the same values as [`spherical_harmonics_into`]. Up to degree 3
/// the recurrence is unrolled for the degree at compile time, its
/// coefficients converted to `T` once per call, and 8 or 16 vectors are
/// evaluated at once (SIMD across vectors).
///
/// # Panics
/// If `out` is shorter than the vectors' harmonics, or `l_lo > l_hi`.
pub fn spherical_harmonics_batch<T: Real>(
    degrees: (u32, u32),
    vectors: &[T],
    normalize: bool,
    normalization: Normalization,
    out: &mut [T],
) {
    // Compiled once in eqv-core for `f32`, `f64` and their duals
    // (`kernels::compiled_once`).
    T::harmonics_batch(degrees, vectors, normalize, normalization, out);
}

/// [`spherical_harmonics_batch`] for any [`Real`] (what the number
/// types' `harmonics_batch` run), `L` vectors at a time ([`LANES`] or
/// [`WIDE_LANES`]).
#[inline(always)]
pub(crate) fn batch<T: Real, const L: usize>(
    (l_lo, l_hi): (u32, u32),
    vectors: &[T],
    normalize: bool,
    normalization: Normalization,
    out: &mut [T],
) {
    assert!(l_lo <= l_hi, "spherical_harmonics_batch: l_lo > l_hi");
    let (lo, full) = (sh_offset(l_lo), sh_dim_up_to(l_hi));
    let width = full - lo;
    let n = vectors.len() / 3;
    assert!(
        out.len() >= n * width,
        "spherical_harmonics_batch: output too short"
    );
    // One vector at a time: above the unrolled degrees, and on CPUs
    // without AVX2 (see `vectorized_or`).
    let by_vector = |out: &mut [T]| {
        let mut buf = vec![T::ZERO; full];
        for (v, o) in vectors.chunks_exact(3).zip(out.chunks_exact_mut(width)) {
            spherical_harmonics_into(l_hi, [v[0], v[1], v[2]], normalize, normalization, &mut buf);
            o.copy_from_slice(&buf[lo..]);
        }
    };
    if l_hi > BATCH_L {
        by_vector(out);
        return;
    }
    let c = Coefs::<T>::new();
    let run = |lmax: u32, out: &mut [T]| {
        let mut buf = [Lanes([T::ZERO; L]); 16];
        vectorized_or(
            out,
            #[inline(always)]
            |out| {
                blocks(
                    vectors,
                    #[inline(always)]
                    |k0, count, v| {
                        sh_lanes(lmax, v, normalize, normalization, &c, &mut buf);
                        let o = &mut out[k0 * width..(k0 + count) * width];
                        for (i, row) in o.chunks_exact_mut(width).enumerate() {
                            for (x, b) in row.iter_mut().zip(&buf[lo..full]) {
                                *x = b.0[i];
                            }
                        }
                    },
                )
            },
            by_vector,
        );
    };
    // A literal degree per arm: `sh_poly` is inlined with it and unrolled.
    match l_hi {
        0 => run(0, out),
        1 => run(1, out),
        2 => run(2, out),
        _ => run(3, out),
    }
}

/// The pullback of [`spherical_harmonics_batch`]: adds
/// `Σ_c gy[k, c] ∂Y_c(v_k)/∂v_k` to `gv[k]` (`3` numbers per vector).
///
/// Exact, from the same polynomial code run forward with the three partial
/// derivatives carried along (`Jet`s of `L` vectors; above degree
/// 3, dual numbers seeded along each axis), so it nests: on dual numbers
/// `T` it gives the derivatives a force loss needs.
///
/// # Panics
/// If `gy` or `gv` is shorter than the vectors need, or `l_lo > l_hi`.
pub fn spherical_harmonics_batch_vjp<T: Real>(
    degrees: (u32, u32),
    vectors: &[T],
    normalize: bool,
    normalization: Normalization,
    gy: &[T],
    gv: &mut [T],
) {
    T::harmonics_batch_vjp(degrees, vectors, normalize, normalization, gy, gv);
}

/// [`spherical_harmonics_batch_vjp`] for any [`Real`], `L` vectors at a
/// time.
#[inline(always)]
pub(crate) fn batch_vjp<T: Real, const L: usize>(
    (l_lo, l_hi): (u32, u32),
    vectors: &[T],
    normalize: bool,
    normalization: Normalization,
    gy: &[T],
    gv: &mut [T],
) {
    assert!(l_lo <= l_hi, "spherical_harmonics_batch_vjp: l_lo > l_hi");
    let (lo, full) = (sh_offset(l_lo), sh_dim_up_to(l_hi));
    let width = full - lo;
    let n = vectors.len() / 3;
    assert!(
        gy.len() >= n * width && gv.len() >= 3 * n,
        "spherical_harmonics_batch_vjp: gradient too short"
    );
    let seed = |x: T, on: bool| Dual::new(x, if on { T::ONE } else { T::ZERO });
    // One vector at a time, in dual numbers seeded along each axis: above
    // the unrolled degrees, and on CPUs without AVX2.
    let by_vector = |gv: &mut [T]| {
        let mut buf = vec![Dual::<T>::ZERO; full];
        for (k, v) in vectors.chunks_exact(3).enumerate() {
            for a in 0..3 {
                let v = std::array::from_fn(|b| seed(v[b], a == b));
                spherical_harmonics_into(l_hi, v, normalize, normalization, &mut buf);
                let g = &gy[k * width..(k + 1) * width];
                let dot: T = buf[lo..].iter().zip(g).map(|(d, &g)| d.eps * g).sum();
                gv[3 * k + a] += dot;
            }
        }
    };
    if l_hi > BATCH_L {
        by_vector(gv);
        return;
    }
    let c = Coefs::<T>::new();
    let run = |lmax: u32, gv: &mut [T]| {
        let zero = Jet {
            re: Lanes([T::ZERO; L]),
            d: [Lanes([T::ZERO; L]); 3],
        };
        let mut buf = [zero; 16];
        vectorized_or(
            gv,
            #[inline(always)]
            |gv| {
                blocks(
                    vectors,
                    #[inline(always)]
                    |k0, count, v| {
                        sh_jets(lmax, v, normalize, normalization, &c, &mut buf);
                        for i in 0..count {
                            let g = &gy[(k0 + i) * width..(k0 + i + 1) * width];
                            for a in 0..3 {
                                let d = buf[lo..full].iter().map(|y| y.d[a].0[i]);
                                let dot: T = d.zip(g).map(|(d, &g)| d * g).sum();
                                gv[3 * (k0 + i) + a] += dot;
                            }
                        }
                    },
                )
            },
            by_vector,
        );
    };
    match l_hi {
        0 => run(0, gv),
        1 => run(1, gv),
        2 => run(2, gv),
        _ => run(3, gv),
    }
}

/// The `2l+1` real spherical harmonics of degree `l` of `v` (`m = -l..=l`);
/// with `normalize = true`, of `v/|v|`. Same values as
/// `e3nn_jax.spherical_harmonics(l, v, normalize, normalization)`.
///
/// ```
/// use eqv::so3::{spherical_harmonics, Normalization};
/// // y is the polar axis: Y^2 of -3ŷ is (0, 0, √5, 0, 0).
/// let y2 = spherical_harmonics(2, [0.0, -3.0, 0.0], true, Normalization::Component);
/// assert!((y2[2] - 5f64.sqrt()).abs() < 1e-15);
/// assert!(y2[0].abs() + y2[1].abs() + y2[3].abs() + y2[4].abs() < 1e-15);
/// ```
pub fn spherical_harmonics(
    l: u32,
    v: [f64; 3],
    normalize: bool,
    normalization: Normalization,
) -> Vec<f64> {
    let all = spherical_harmonics_up_to(l, v, normalize, normalization);
    all[sh_offset(l)..].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dual::Dual;

    /// The batched (unrolled) kernel gives exactly the per-vector values,
    /// for every degree range, normalisation, the zero vector and dual numbers.
    #[test]
    fn batch_matches_one_vector_at_a_time() {
        let vectors = [0.3, -1.2, 0.7, 0.0, 0.0, 0.0, -2.0, 0.5, 1.5, 0.0, 1.0, 0.0];
        let norms = [
            Normalization::Component,
            Normalization::Norm,
            Normalization::Integral,
        ];
        for l_hi in 0..=5 {
            for l_lo in 0..=l_hi {
                for normalize in [true, false] {
                    for normalization in norms {
                        let (lo, width) = (sh_offset(l_lo), sh_dim_up_to(l_hi) - sh_offset(l_lo));
                        let mut got = vec![f64::NAN; 4 * width];
                        spherical_harmonics_batch(
                            (l_lo, l_hi),
                            &vectors,
                            normalize,
                            normalization,
                            &mut got,
                        );
                        for (k, v) in vectors.chunks_exact(3).enumerate() {
                            let want = spherical_harmonics_up_to(
                                l_hi,
                                [v[0], v[1], v[2]],
                                normalize,
                                normalization,
                            );
                            for (g, w) in got[k * width..][..width].iter().zip(&want[lo..]) {
                                assert!(
                                    (g - w).abs() <= 1e-14 * w.abs().max(1.0),
                                    "{l_lo}..{l_hi}: {g} vs {w}"
                                );
                            }
                        }
                    }
                }
            }
        }
        let dual: Vec<Dual<f64>> = vectors.iter().map(|&x| Dual::new(x, 1.0)).collect();
        let mut got = vec![Dual::<f64>::ZERO; 4 * 16];
        spherical_harmonics_batch((0, 3), &dual, true, Normalization::Component, &mut got);
        let want = spherical_harmonics_up_to(
            3,
            [dual[6], dual[7], dual[8]],
            true,
            Normalization::Component,
        );
        for (g, w) in got[32..48].iter().zip(&want) {
            assert!((g.re - w.re).abs() < 1e-14 && (g.eps - w.eps).abs() < 1e-13);
        }
    }

    /// 19 vectors: two full blocks of lanes and a padded one, with zero
    /// vectors inside a block.
    fn many_vectors() -> Vec<f64> {
        let mut rng = crate::rng::Rng::new(3);
        let mut v: Vec<f64> = (0..57).map(|_| rng.normal()).collect();
        v[9..12].fill(0.0);
        v[51..54].fill(0.0);
        v[30] = 0.0;
        v[31] = -2.5;
        v[32] = 0.0;
        v
    }

    /// Across blocks of lanes and a padded last block, the batched kernel
    /// gives the per-vector values.
    #[test]
    fn lanes_match_one_vector_at_a_time() {
        let vectors = many_vectors();
        for l_hi in 0..=4 {
            for l_lo in 0..=l_hi {
                for normalize in [true, false] {
                    let (lo, width) = (sh_offset(l_lo), sh_dim_up_to(l_hi) - sh_offset(l_lo));
                    let mut got = vec![f64::NAN; 19 * width];
                    let norm = Normalization::Norm;
                    spherical_harmonics_batch((l_lo, l_hi), &vectors, normalize, norm, &mut got);
                    for (k, v) in vectors.chunks_exact(3).enumerate() {
                        let want =
                            spherical_harmonics_up_to(l_hi, [v[0], v[1], v[2]], normalize, norm);
                        for (g, w) in got[k * width..][..width].iter().zip(&want[lo..]) {
                            assert!((g - w).abs() <= 1e-14 * w.abs().max(1.0), "{g} vs {w}");
                        }
                    }
                }
            }
        }
    }

    /// The pullback against central finite differences of the per-vector
    /// harmonics, for random output gradients, zero vectors included
    /// (gradient exactly zero there when normalising).
    #[test]
    fn pullback_matches_finite_differences() {
        let vectors = many_vectors();
        let mut rng = crate::rng::Rng::new(4);
        for (l_lo, l_hi) in [(0, 0), (0, 2), (1, 3), (2, 3), (0, 4), (3, 5)] {
            for normalize in [true, false] {
                let (lo, width) = (sh_offset(l_lo), sh_dim_up_to(l_hi) - sh_offset(l_lo));
                let gy: Vec<f64> = (0..19 * width).map(|_| rng.normal()).collect();
                let mut gv = vec![0.5; 57];
                let norm = Normalization::Component;
                let range = (l_lo, l_hi);
                spherical_harmonics_batch_vjp(range, &vectors, normalize, norm, &gy, &mut gv);
                let f = |v: [f64; 3], k: usize| -> f64 {
                    let y = spherical_harmonics_up_to(l_hi, v, normalize, norm);
                    y[lo..]
                        .iter()
                        .zip(&gy[k * width..][..width])
                        .map(|(a, b)| a * b)
                        .sum()
                };
                for (k, v) in vectors.chunks_exact(3).enumerate() {
                    let zero = v.iter().all(|&x| x == 0.0);
                    for a in 0..3 {
                        let h = 1e-6;
                        let (mut p, mut m) = ([v[0], v[1], v[2]], [v[0], v[1], v[2]]);
                        p[a] += h;
                        m[a] -= h;
                        let fd = if zero && normalize {
                            0.0
                        } else {
                            (f(p, k) - f(m, k)) / (2.0 * h)
                        };
                        let got = gv[3 * k + a] - 0.5;
                        assert!(
                            (got - fd).abs() < 1e-6 * fd.abs().max(1.0),
                            "{range:?} {k} {a}: {got} vs {fd}"
                        );
                    }
                }
            }
        }
    }

    /// `f32` runs [`WIDE_LANES`] vectors at a time: across two full blocks
    /// and a padded one (zero vectors inside), its harmonics and their
    /// pullback agree with `f64`'s to `f32` precision.
    #[test]
    fn wide_lanes_of_f32_match_f64() {
        let mut vectors = many_vectors();
        vectors.extend(many_vectors().iter().map(|x| 0.7 * x - 0.1));
        let n = vectors.len() / 3;
        assert!(n > 2 * WIDE_LANES && !n.is_multiple_of(WIDE_LANES));
        let narrow: Vec<f32> = vectors.iter().map(|&x| x as f32).collect();
        let wide: Vec<f64> = narrow.iter().map(|&x| f64::from(x)).collect();
        let close = |a: f32, b: f64, what: &str| {
            assert!(
                (f64::from(a) - b).abs() <= 2e-5 * b.abs().max(1.0),
                "{what}: {a} vs {b}"
            );
        };
        let mut rng = crate::rng::Rng::new(5);
        for (l_lo, l_hi) in [(0, 1), (0, 3), (1, 2), (2, 3)] {
            for normalize in [true, false] {
                let width = sh_dim_up_to(l_hi) - sh_offset(l_lo);
                let norm = Normalization::Component;
                let mut y32 = vec![f32::NAN; n * width];
                let mut y64 = vec![f64::NAN; n * width];
                spherical_harmonics_batch((l_lo, l_hi), &narrow, normalize, norm, &mut y32);
                spherical_harmonics_batch((l_lo, l_hi), &wide, normalize, norm, &mut y64);
                for (a, &b) in y32.iter().zip(&y64) {
                    close(*a, b, "harmonic");
                }
                let gy: Vec<f64> = (0..n * width).map(|_| rng.normal()).collect();
                let gy32: Vec<f32> = gy.iter().map(|&x| x as f32).collect();
                let gy64: Vec<f64> = gy32.iter().map(|&x| f64::from(x)).collect();
                let (mut g32, mut g64) = (vec![0.5f32; 3 * n], vec![0.5f64; 3 * n]);
                let range = (l_lo, l_hi);
                spherical_harmonics_batch_vjp(range, &narrow, normalize, norm, &gy32, &mut g32);
                spherical_harmonics_batch_vjp(range, &wide, normalize, norm, &gy64, &mut g64);
                for (a, &b) in g32.iter().zip(&g64) {
                    close(*a, b, "pullback");
                }
            }
        }
    }
}
