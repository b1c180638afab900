//! The channel-wise product and its pullback for a path from a `1o` input
//! with 8 channels and one weight per channel (`1o ⊗ 0e → 1o`,
//! `1o ⊗ 1o → 0e`, `1o ⊗ 2e → 1o`, …) with each lane of an AVX-512
//! register one `(row, channel)` pair: two rows per register of `f32`, one
//! of `f64`.
//!
//! Row by row in the rows' own layout (`[channel][component]`), these
//! paths ran as scalar arithmetic: 8 channels of 3 components do not fill
//! a register, and the row's matrix gradient `gM[i, k] = Σ_u w[u] a[u, i]
//! go[u, k]` is a chain of dependent multiply-adds over the channels,
//! about 630 instructions per row for `1o ⊗ 0e → 1o`, as many for `f32`
//! as for `f64`. That kept the whole product's `f32` near 1.6× its `f64`
//! however the rest vectorised. Here a group's `a` and output gradient are
//! read as whole registers and split into one register per component by
//! two-source permutes, every gradient is computed lane by lane, and the
//! pullback to the harmonic, `g[j] = Σ_u Σ_ik c_ijk w[u] a[u, i]
//! go[u, k]`, sums each row's 8 lanes in a tree of shuffles. The sums run
//! in another order than the row-by-row kernel's, so the results agree
//! to rounding. The forward pass reads its rows the same way and joins
//! its output components back into the rows' layout with permutes (the
//! five-path product's forward 6–8 % faster in both types). The
//! coupling's zeros are multiplied like its other numbers: a branch per
//! coefficient made `1o ⊗ 2e → 1o` slower than the row-by-row kernel.
//!
//! Written with AVX-512 intrinsics: as plain loops over lane arrays, the
//! compiler split the components with permutes but wrote the gradient of
//! `a` one number at a time and reduced the lanes through scalar inserts
//! (measured: slower than the row-by-row kernel in both types). Dual
//! numbers, other paths, and CPUs without AVX-512 run the row-by-row
//! kernel.

// AVX-512 intrinsics; each `unsafe` block states why it is sound.
#![allow(unsafe_code)]

use super::channelwise::PathShape;
use super::coupling::PathCoupling;
use crate::dual::Dual;
use crate::tape::GradBufs;

/// The inputs `a`, `b` and `w` of a path.
type Inputs<'a, T> = (&'a [T], &'a [T], &'a [T]);

/// Number types with kernels for groups of rows of
/// [`super::channelwise`]'s product and pullback (`f32` and `f64` on
/// AVX-512); the others run every row alone.
pub trait GroupedRows: Sized {
    /// Runs the pullback of the rows of the stretch `s` that this type
    /// groups, with the arguments of the row-by-row kernel, and returns
    /// how many rows from the first it did (none, by default).
    #[inline(always)]
    #[allow(clippy::too_many_arguments, private_interfaces)]
    fn group_backward<const DA: usize, const DC: usize>(
        _c: PathCoupling<'_, Self>,
        _s: &PathShape,
        _inputs: Inputs<'_, Self>,
        _gout: &[Self],
        _grads: GradBufs<'_, Self>,
        _write: [bool; 3],
    ) -> usize {
        0
    }

    /// Writes the output of the rows of `s` that this type groups, as the
    /// row-by-row forward kernel does, and returns how many rows from the
    /// first it did (none, by default).
    #[inline(always)]
    #[allow(private_interfaces)]
    fn group_forward<const DA: usize, const DC: usize>(
        _c: PathCoupling<'_, Self>,
        _s: &PathShape,
        _inputs: Inputs<'_, Self>,
        _out: &mut [Self],
    ) -> usize {
        0
    }
}

impl<T> GroupedRows for Dual<T> {}

/// Whether the group kernels take this path: a `1o` input (`DA = 3`) of 8
/// channels, one weight per channel, on a CPU with AVX-512.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn grouped<const DA: usize>(s: &PathShape) -> bool {
    DA == 3 && s.mul == 8 && s.mul_b == 1 && super::simd::level() == super::simd::Level::Avx512
}

/// `$f::<$s, DC, DB>($args)` for the output and harmonic dimensions the
/// group kernels are compiled for (each 1, 3 or 5), else 0 (no rows done).
#[cfg(target_arch = "x86_64")]
macro_rules! by_dims {
    ($dc:expr, $db:expr, $f:ident::<$s:ident>($($arg:expr),*)) => {
        match ($dc, $db) {
            (1, 1) => $f::<$s, 1, 1>($($arg),*),
            (1, 3) => $f::<$s, 1, 3>($($arg),*),
            (1, 5) => $f::<$s, 1, 5>($($arg),*),
            (3, 1) => $f::<$s, 3, 1>($($arg),*),
            (3, 3) => $f::<$s, 3, 3>($($arg),*),
            (3, 5) => $f::<$s, 3, 5>($($arg),*),
            (5, 1) => $f::<$s, 5, 1>($($arg),*),
            (5, 3) => $f::<$s, 5, 3>($($arg),*),
            (5, 5) => $f::<$s, 5, 5>($($arg),*),
            _ => 0,
        }
    };
}

/// The group kernels of [`x86`] for the number type `$t`, lanes `$s`.
macro_rules! group_impl {
    ($t:ty, $s:ident) => {
        impl GroupedRows for $t {
            #[inline(always)]
            #[allow(private_interfaces)]
            fn group_backward<const DA: usize, const DC: usize>(
                c: PathCoupling<'_, $t>,
                s: &PathShape,
                inputs: Inputs<'_, $t>,
                gout: &[$t],
                grads: GradBufs<'_, $t>,
                write: [bool; 3],
            ) -> usize {
                #[cfg(target_arch = "x86_64")]
                if grouped::<DA>(s) {
                    use x86::{backward, $s};
                    // SAFETY: the CPU has AVX-512 F, VL, DQ and BW (the
                    // level says so); the shapes are those the kernel is
                    // written for, and it checks the slices' lengths.
                    return unsafe {
                        by_dims!(
                            DC,
                            s.dims.1,
                            backward::<$s>(c, s, inputs, gout, grads, write)
                        )
                    };
                }
                let _ = (c, s, inputs, gout, grads, write);
                0
            }

            #[inline(always)]
            #[allow(private_interfaces)]
            fn group_forward<const DA: usize, const DC: usize>(
                c: PathCoupling<'_, $t>,
                s: &PathShape,
                inputs: Inputs<'_, $t>,
                out: &mut [$t],
            ) -> usize {
                #[cfg(target_arch = "x86_64")]
                if grouped::<DA>(s) {
                    use x86::{forward, $s};
                    // SAFETY: as for the pullback.
                    return unsafe { by_dims!(DC, s.dims.1, forward::<$s>(c, s, inputs, out)) };
                }
                let _ = (c, s, inputs, out);
                0
            }
        }
    };
}

group_impl!(f32, F32x16);
group_impl!(f64, F64x8);

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{GradBufs, Inputs, PathCoupling, PathShape};
    use crate::kernels::coupling::by_b_row;
    use std::arch::x86_64::*;

    /// Channels per row.
    const U: usize = 8;

    /// One AVX-512 register of numbers as the group kernel uses it:
    /// `W` lanes, `W / 8` rows of 8 channels.
    pub(super) trait Lanes: Copy {
        /// The number type.
        type E: Copy + std::ops::AddAssign;
        /// A register of `W` numbers.
        type V: Copy;
        /// An index vector for [`Lanes::permute2`].
        type Idx: Copy;
        /// Lanes per register.
        const W: usize;
        unsafe fn zero() -> Self::V;
        unsafe fn set1(x: Self::E) -> Self::V;
        unsafe fn fma(a: Self::V, b: Self::V, c: Self::V) -> Self::V;
        unsafe fn mul(a: Self::V, b: Self::V) -> Self::V;
        unsafe fn add(a: Self::V, b: Self::V) -> Self::V;
        /// Lane `l` of `a` (`idx[l] < W`) or of `b` (`W +` its lane).
        unsafe fn permute2(a: Self::V, idx: Self::Idx, b: Self::V) -> Self::V;
        /// The index vector of the first `W` numbers of `idx`.
        fn index(idx: &[usize; 16]) -> Self::Idx;
        unsafe fn load(p: *const Self::E) -> Self::V;
        unsafe fn store(p: *mut Self::E, v: Self::V);
        /// Lanes `0..8` from `lo`, `8..16` from `hi` (`f32` only: an `f64`
        /// register is one row).
        unsafe fn load_halves(lo: *const Self::E, hi: *const Self::E) -> Self::V;
        /// Stores (or adds, `ADD`) as [`Lanes::load_halves`] reads.
        unsafe fn store_halves<const ADD: bool>(lo: *mut Self::E, hi: *mut Self::E, v: Self::V);
        /// Each row's number in its lanes: `p[0]` for the first row,
        /// `p[stride]` for the second.
        unsafe fn per_row(p: *const Self::E, stride: usize) -> Self::V;
        /// The sum of each row's lanes (the second zero for one row).
        unsafe fn row_sums(v: Self::V) -> [Self::E; 2];
    }

    /// 16 lanes of `f32`: two rows.
    #[derive(Clone, Copy)]
    pub(super) struct F32x16;

    /// 8 lanes of `f64`: one row.
    #[derive(Clone, Copy)]
    pub(super) struct F64x8;

    /// The methods of [`Lanes`] that are one intrinsic each, from the
    /// intrinsics' names for the number type `$e` and register `$v`.
    macro_rules! one_intrinsic_ops {
        ($e:ty, $v:ty, $zero:ident, $set1:ident, $fma:ident, $mul:ident, $add:ident,
         $perm:ident, $load:ident, $store:ident) => {
            #[inline(always)]
            unsafe fn zero() -> $v {
                unsafe { $zero() }
            }
            #[inline(always)]
            unsafe fn set1(x: $e) -> $v {
                unsafe { $set1(x) }
            }
            #[inline(always)]
            unsafe fn fma(a: $v, b: $v, c: $v) -> $v {
                unsafe { $fma(a, b, c) }
            }
            #[inline(always)]
            unsafe fn mul(a: $v, b: $v) -> $v {
                unsafe { $mul(a, b) }
            }
            #[inline(always)]
            unsafe fn add(a: $v, b: $v) -> $v {
                unsafe { $add(a, b) }
            }
            #[inline(always)]
            unsafe fn permute2(a: $v, idx: __m512i, b: $v) -> $v {
                unsafe { $perm(a, idx, b) }
            }
            #[inline(always)]
            unsafe fn load(p: *const $e) -> $v {
                unsafe { $load(p) }
            }
            #[inline(always)]
            unsafe fn store(p: *mut $e, v: $v) {
                unsafe { $store(p, v) }
            }
        };
    }

    // SAFETY (every method of both impls): the caller runs on a CPU with
    // AVX-512 F, VL and DQ (the kernel's `target_feature`), and the
    // pointers address the numbers read or written.
    #[allow(clippy::undocumented_unsafe_blocks)]
    impl Lanes for F32x16 {
        type E = f32;
        type V = __m512;
        type Idx = __m512i;
        const W: usize = 16;
        one_intrinsic_ops!(
            f32,
            __m512,
            _mm512_setzero_ps,
            _mm512_set1_ps,
            _mm512_fmadd_ps,
            _mm512_mul_ps,
            _mm512_add_ps,
            _mm512_permutex2var_ps,
            _mm512_loadu_ps,
            _mm512_storeu_ps
        );
        fn index(idx: &[usize; 16]) -> __m512i {
            let v = idx.map(|i| i as i32);
            unsafe { _mm512_loadu_si512(v.as_ptr().cast()) }
        }
        #[inline(always)]
        unsafe fn load_halves(lo: *const f32, hi: *const f32) -> __m512 {
            unsafe {
                _mm512_insertf32x8::<1>(
                    _mm512_castps256_ps512(_mm256_loadu_ps(lo)),
                    _mm256_loadu_ps(hi),
                )
            }
        }
        #[inline(always)]
        unsafe fn store_halves<const ADD: bool>(lo: *mut f32, hi: *mut f32, v: __m512) {
            unsafe {
                let (mut l, mut h) = (_mm512_castps512_ps256(v), _mm512_extractf32x8_ps::<1>(v));
                if ADD {
                    l = _mm256_add_ps(_mm256_loadu_ps(lo), l);
                    h = _mm256_add_ps(_mm256_loadu_ps(hi), h);
                }
                _mm256_storeu_ps(lo, l);
                _mm256_storeu_ps(hi, h);
            }
        }
        #[inline(always)]
        unsafe fn per_row(p: *const f32, stride: usize) -> __m512 {
            unsafe {
                _mm512_mask_blend_ps(0xFF00, _mm512_set1_ps(*p), _mm512_set1_ps(*p.add(stride)))
            }
        }
        #[inline(always)]
        unsafe fn row_sums(v: __m512) -> [f32; 2] {
            unsafe {
                let v = _mm512_add_ps(v, _mm512_shuffle_f32x4::<0xB1>(v, v));
                let v = _mm512_add_ps(v, _mm512_permute_ps::<0x4E>(v));
                let v = _mm512_add_ps(v, _mm512_permute_ps::<0xB1>(v));
                [
                    _mm512_cvtss_f32(v),
                    _mm256_cvtss_f32(_mm512_extractf32x8_ps::<1>(v)),
                ]
            }
        }
    }

    #[allow(clippy::undocumented_unsafe_blocks)]
    impl Lanes for F64x8 {
        type E = f64;
        type V = __m512d;
        type Idx = __m512i;
        const W: usize = 8;
        one_intrinsic_ops!(
            f64,
            __m512d,
            _mm512_setzero_pd,
            _mm512_set1_pd,
            _mm512_fmadd_pd,
            _mm512_mul_pd,
            _mm512_add_pd,
            _mm512_permutex2var_pd,
            _mm512_loadu_pd,
            _mm512_storeu_pd
        );
        fn index(idx: &[usize; 16]) -> __m512i {
            let v: [i64; 8] = std::array::from_fn(|l| idx[l] as i64);
            unsafe { _mm512_loadu_si512(v.as_ptr().cast()) }
        }
        #[inline(always)]
        unsafe fn load_halves(lo: *const f64, _hi: *const f64) -> __m512d {
            unsafe { _mm512_loadu_pd(lo) }
        }
        #[inline(always)]
        unsafe fn store_halves<const ADD: bool>(lo: *mut f64, _hi: *mut f64, v: __m512d) {
            unsafe {
                let v = if ADD {
                    _mm512_add_pd(_mm512_loadu_pd(lo), v)
                } else {
                    v
                };
                _mm512_storeu_pd(lo, v)
            }
        }
        #[inline(always)]
        unsafe fn per_row(p: *const f64, _stride: usize) -> __m512d {
            unsafe { _mm512_set1_pd(*p) }
        }
        #[inline(always)]
        unsafe fn row_sums(v: __m512d) -> [f64; 2] {
            unsafe { [_mm512_reduce_add_pd(v), 0.0] }
        }
    }

    /// The index vectors that split `D` registers of interleaved
    /// components (`flat[D·l + i]`: lane `l` of component `i`) into one
    /// register per component: step 0 of component `i` picks from
    /// registers 0 and 1, step `m - 1` (`m ≥ 2`) keeps its own lanes and
    /// takes those in register `m` (`W +` the lane there).
    fn split_indices<S: Lanes, const D: usize>() -> [[S::Idx; D]; D] {
        let w = S::W;
        std::array::from_fn(|i| {
            std::array::from_fn(|step| {
                let mut idx = [0; 16];
                for (l, x) in idx.iter_mut().enumerate().take(w) {
                    let f = D * l + i;
                    *x = match step {
                        0 if f < 2 * w => f,
                        0 => 0,
                        _ if f / w == step + 1 => w + f % w,
                        _ => l,
                    };
                }
                S::index(&idx)
            })
        })
    }

    /// The inverse of [`split_indices`]: register `m` of the interleaved
    /// layout (`flat[W·m + p]` is component `f mod D` of lane `f / D`,
    /// `f = W·m + p`): step 0 picks from components 0 and 1, step `j - 1`
    /// (`j ≥ 2`) keeps its own lanes and takes component `j`'s.
    fn join_indices<S: Lanes, const D: usize>() -> [[S::Idx; D]; D] {
        let w = S::W;
        std::array::from_fn(|m| {
            std::array::from_fn(|step| {
                let mut idx = [0; 16];
                for (p, x) in idx.iter_mut().enumerate().take(w) {
                    let f = w * m + p;
                    let (i, l) = (f % D, f / D);
                    *x = match (step, i) {
                        (0, 0) => l,
                        (0, 1) => w + l,
                        (0, _) => 0,
                        _ if i == step + 1 => w + l,
                        _ => p,
                    };
                }
                S::index(&idx)
            })
        })
    }

    /// Each output register `o` from the `D` inputs by a chain of
    /// two-source permutes: `idx[o][0]` picks from inputs 0 and 1, then
    /// `idx[o][n - 1]` from the result and input `n`. With the tables of
    /// [`split_indices`] it splits interleaved components into one
    /// register each, with those of [`join_indices`] it interleaves them
    /// back. (Loops, not `array::from_fn`: a closure is compiled without
    /// the kernel's target features, and every intrinsic in it became a
    /// call.)
    #[inline(always)]
    unsafe fn regroup<S: Lanes, const D: usize>(z: [S::V; D], idx: &[[S::Idx; D]; D]) -> [S::V; D] {
        if D == 1 {
            return z;
        }
        let mut out = z;
        for (o, out) in out.iter_mut().enumerate() {
            // SAFETY: as the kernel's.
            unsafe {
                let mut v = S::permute2(z[0], idx[o][0], z[1]);
                for n in 2..D {
                    v = S::permute2(v, idx[o][n - 1], z[n]);
                }
                *out = v;
            }
        }
        out
    }

    /// Where register `m` of a group's rows of `8·D` numbers each lies (the
    /// first row's at `p0`, the next's at `p1`): its two halves of 8
    /// numbers, each within one row, and whether they are contiguous (one
    /// load or store for the whole register).
    ///
    /// # Safety
    /// The rows must hold `8·D` numbers each.
    #[inline(always)]
    unsafe fn register_at<S: Lanes, const D: usize>(
        p0: *mut S::E,
        p1: *mut S::E,
        m: usize,
    ) -> (*mut S::E, *mut S::E, bool) {
        // SAFETY: the caller's; every offset is within a row.
        unsafe {
            let at = |f: usize| {
                if f < U * D {
                    p0.add(f)
                } else {
                    p1.add(f - U * D)
                }
            };
            let (lo, hi) = (at(S::W * m), at(S::W * m + U));
            (lo, hi, S::W == U || hi == lo.add(U))
        }
    }

    /// `D` registers of a group's rows of `8·D` numbers each, the first
    /// row's at `p0`, the next's at `p1` ([`register_at`]; a register that
    /// straddles two rows is read by [`Lanes::load_halves`]).
    #[inline(always)]
    unsafe fn load_rows<S: Lanes, const D: usize>(p0: *const S::E, p1: *const S::E) -> [S::V; D] {
        // SAFETY: as the kernel's.
        let mut z = [unsafe { S::zero() }; D];
        for (m, z) in z.iter_mut().enumerate() {
            // SAFETY: as the kernel's (the pointers are only read through).
            unsafe {
                let (lo, hi, whole) = register_at::<S, D>(p0.cast_mut(), p1.cast_mut(), m);
                *z = if whole {
                    S::load(lo)
                } else {
                    S::load_halves(lo, hi)
                };
            }
        }
        z
    }

    /// Stores (or adds, `ADD`) registers as [`load_rows`] reads them.
    #[inline(always)]
    unsafe fn store_rows<S: Lanes, const D: usize, const ADD: bool>(
        p0: *mut S::E,
        p1: *mut S::E,
        z: [S::V; D],
    ) {
        for (m, z) in z.into_iter().enumerate() {
            // SAFETY: as the kernel's.
            unsafe {
                let (lo, hi, whole) = register_at::<S, D>(p0, p1, m);
                if whole {
                    let z = if ADD { S::add(S::load(lo), z) } else { z };
                    S::store(lo, z);
                } else {
                    S::store_halves::<ADD>(lo, hi, z);
                }
            }
        }
    }

    /// Whether the stretch's `a`, `b`, `w` and coupling hold every number
    /// that [`group_inputs`] reads for its first `done` rows (and its
    /// output channels fit in a row of the output).
    fn inputs_fit<S: Lanes, const DC: usize, const DB: usize>(
        c: PathCoupling<'_, S::E>,
        s: &PathShape,
        done: usize,
        (a, b, w): Inputs<'_, S::E>,
    ) -> bool {
        const DA: usize = 3;
        let last = done.saturating_sub(1);
        a.len() >= done * U * DA
            && b.len() >= done * DB
            && c.dense.len() >= DB * DA * DC
            && c.dense_by_b.len() >= DA * DC * by_b_row(DB)
            && (done == 0
                || (w.len() >= last * s.w_row + s.w_offset + U
                    && s.w_offset + U <= s.w_row
                    && s.out_offset + U <= s.out_mul))
    }

    /// The group from row `r`: `a` split into its 3 components, the
    /// weights, and `M[i][k] = Σ_j c_ijk b[j]` with each row's in its
    /// lanes. The coupling's zeros are multiplied too: a branch per
    /// coefficient cost more than the multiply-adds.
    ///
    /// # Safety
    /// As [`backward`]'s, with the group's rows within the slices.
    #[inline(always)]
    #[allow(clippy::type_complexity, clippy::needless_range_loop)]
    unsafe fn group_inputs<S: Lanes, const DC: usize, const DB: usize>(
        c: PathCoupling<'_, S::E>,
        s: &PathShape,
        r: usize,
        (a, b, w): Inputs<'_, S::E>,
        split_a: &[[S::Idx; 3]; 3],
    ) -> ([S::V; 3], S::V, [[S::V; DC]; 3]) {
        const DA: usize = 3;
        // SAFETY: the caller's.
        unsafe {
            let ap = a.as_ptr().add(r * U * DA);
            let x = regroup::<S, DA>(load_rows::<S, DA>(ap, ap.add(U * DA)), split_a);
            let wp = w.as_ptr().add(r * s.w_row + s.w_offset);
            let wl = load_rows::<S, 1>(wp, wp.add(s.w_row))[0];
            let bp = b.as_ptr().add(r * DB);
            let mut m = [[S::zero(); DC]; DA];
            for j in 0..DB {
                let bj = S::per_row(bp.add(j), DB);
                for i in 0..DA {
                    for k in 0..DC {
                        let cv = *c.dense.get_unchecked((j * DA + i) * DC + k);
                        m[i][k] = S::fma(S::set1(cv), bj, m[i][k]);
                    }
                }
            }
            (x, wl, m)
        }
    }

    /// The forward pass of the stretch `s` (shapes as for [`backward`]):
    /// `out[u, k] = w[u] Σ_i a[u, i] M[i, k]`, written over the path's
    /// output channels; returns the rows done.
    ///
    /// # Safety
    /// As [`backward`]'s.
    #[target_feature(enable = "avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")]
    #[allow(clippy::needless_range_loop)]
    pub(super) unsafe fn forward<S: Lanes, const DC: usize, const DB: usize>(
        c: PathCoupling<'_, S::E>,
        s: &PathShape,
        inputs: Inputs<'_, S::E>,
        out: &mut [S::E],
    ) -> usize {
        const DA: usize = 3;
        let rows = S::W / U;
        let done = s.rows / rows * rows;
        let last = done.saturating_sub(1);
        if !(inputs_fit::<S, DC, DB>(c, s, done, inputs)
            && (done == 0 || out.len() >= (last * s.out_mul + s.out_offset + U) * DC))
        {
            return 0;
        }
        let split_a = split_indices::<S, DA>();
        let join_c = join_indices::<S, DC>();
        let o_row = s.out_mul * DC;
        for r in (0..done).step_by(rows) {
            // SAFETY: every pointer addresses numbers of the group's rows,
            // within the bounds checked.
            unsafe {
                let (x, wl, m) = group_inputs::<S, DC, DB>(c, s, r, inputs, &split_a);
                let mut o = [S::zero(); DC];
                for k in 0..DC {
                    let mut acc = S::mul(x[0], m[0][k]);
                    for i in 1..DA {
                        acc = S::fma(x[i], m[i][k], acc);
                    }
                    o[k] = S::mul(wl, acc);
                }
                let op = out.as_mut_ptr().add((r * s.out_mul + s.out_offset) * DC);
                store_rows::<S, DC, false>(op, op.add(o_row), regroup::<S, DC>(o, &join_c));
            }
        }
        done
    }

    /// The pullback of the stretch `s` (`a` of 3 components, 8 channels,
    /// one weight per channel, output of `DC` and harmonic of `DB`
    /// components), `W / 8` rows at a time; returns the rows done (all
    /// but an odd last one of `f32`).
    ///
    /// # Safety
    /// The CPU must have AVX-512 F, VL, DQ and BW; the shapes must be as
    /// said.
    #[target_feature(enable = "avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")]
    #[allow(clippy::needless_range_loop)]
    pub(super) unsafe fn backward<S: Lanes, const DC: usize, const DB: usize>(
        c: PathCoupling<'_, S::E>,
        s: &PathShape,
        (a, b, w): Inputs<'_, S::E>,
        gout: &[S::E],
        (mut ga, mut gb, mut gw): GradBufs<'_, S::E>,
        [write_a, write_b, write_w]: [bool; 3],
    ) -> usize {
        const DA: usize = 3;
        let rows = S::W / U;
        let done = s.rows / rows * rows;
        let c_row = by_b_row(DB);
        // Every number read or written below lies within these bounds.
        let last = done.saturating_sub(1);
        let fits = inputs_fit::<S, DC, DB>(c, s, done, (a, b, w))
            && (done == 0 || gout.len() >= (last * s.out_mul + s.out_offset + U) * DC)
            && ga.as_deref().is_none_or(|g| g.len() >= done * U * DA)
            && gb.as_deref().is_none_or(|g| g.len() >= done * DB)
            && gw
                .as_deref()
                .is_none_or(|g| done == 0 || g.len() >= last * s.w_row + s.w_offset + U);
        if !fits {
            return 0;
        }
        let (split_a, join_a) = (split_indices::<S, DA>(), join_indices::<S, DA>());
        let split_c = split_indices::<S, DC>();
        let go_row = s.out_mul * DC;
        for r in (0..done).step_by(rows) {
            // SAFETY: every pointer addresses numbers of the group's rows
            // (`r` and, for `f32`, `r + 1`), within the bounds checked.
            unsafe {
                let (x, wl, m) = group_inputs::<S, DC, DB>(c, s, r, (a, b, w), &split_a);
                let gp = gout.as_ptr().add((r * s.out_mul + s.out_offset) * DC);
                let go = regroup::<S, DC>(load_rows::<S, DC>(gp, gp.add(go_row)), &split_c);
                let mut h = [S::zero(); DA];
                for i in 0..DA {
                    for k in 0..DC {
                        h[i] = S::fma(m[i][k], go[k], h[i]);
                    }
                }
                if let Some(ga) = ga.as_deref_mut() {
                    let mut g = h;
                    for g in &mut g {
                        *g = S::mul(wl, *g);
                    }
                    let g = regroup::<S, DA>(g, &join_a);
                    let gp = ga.as_mut_ptr().add(r * U * DA);
                    if write_a {
                        store_rows::<S, DA, false>(gp, gp.add(U * DA), g);
                    } else {
                        store_rows::<S, DA, true>(gp, gp.add(U * DA), g);
                    }
                }
                if let Some(gw) = gw.as_deref_mut() {
                    let mut dot = S::mul(x[0], h[0]);
                    for i in 1..DA {
                        dot = S::fma(x[i], h[i], dot);
                    }
                    let gp = gw.as_mut_ptr().add(r * s.w_row + s.w_offset);
                    if write_w {
                        store_rows::<S, 1, false>(gp, gp.add(s.w_row), [dot]);
                    } else {
                        store_rows::<S, 1, true>(gp, gp.add(s.w_row), [dot]);
                    }
                }
                if let Some(gb) = gb.as_deref_mut() {
                    // t[j] = Σ_ik c_ijk (w a_i) go_k per lane, then summed
                    // over each row's 8 lanes.
                    let mut t = [S::zero(); DB];
                    for i in 0..DA {
                        let y = S::mul(wl, x[i]);
                        for k in 0..DC {
                            let yk = S::mul(y, go[k]);
                            for (j, t) in t.iter_mut().enumerate() {
                                let cv = *c.dense_by_b.get_unchecked((i * DC + k) * c_row + j);
                                *t = S::fma(S::set1(cv), yk, *t);
                            }
                        }
                    }
                    let gp = gb.as_mut_ptr().add(r * DB);
                    for (j, &t) in t.iter().enumerate() {
                        let sums = S::row_sums(t);
                        for (q, &sum) in sums.iter().enumerate().take(rows) {
                            let g = gp.add(q * DB + j);
                            if write_b {
                                *g = sum;
                            } else {
                                *g += sum;
                            }
                        }
                    }
                }
            }
        }
        done
    }
}
