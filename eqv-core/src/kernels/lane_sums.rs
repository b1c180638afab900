//! The sums of the lanes of sixteen vectors of sixteen numbers at once.
//!
//! A kernel that sums over channels in the lanes of a register ends with
//! one horizontal sum per output number (the fully connected product's
//! gradient of `a`: one per channel `u` and component `i`). One at a time,
//! each costs `log₂ 16 = 4` shuffles and additions plus an extract, as many
//! instructions as the multiply-adds it reduces. Sixteen at a time, as a
//! transposing tree, they cost 15 additions and 30 shuffles in all: each
//! step adds the two halves of every group of lanes of two vectors into
//! one vector.
//!
//! The tree is written with AVX-512 intrinsics. Written as plain loops over
//! lanes, the compiler vectorised the lane loops with gathers and scatters
//! for AVX-512 (good blends and shuffles for AVX2 only), and ran slower
//! than the sums one at a time. Other CPUs and number types take one
//! reduction per vector.

// AVX-512 intrinsics on arrays; each `unsafe` block states why it is sound.
#![allow(unsafe_code)]

use super::simd;
use crate::dual::Dual;
use crate::real::Real;

/// Number types whose lane sums of 16 × 16 numbers have a transposing
/// tree on AVX-512 (`f32`, `f64`); others sum vector by vector.
pub trait LaneSums: Sized {
    /// `out[u] = Σ_l x[u][l]`: the sums of sixteen vectors' lanes, in
    /// order. The additions run in a tree over the lanes, so the rounding
    /// may differ from a sum in lane order.
    #[inline(always)]
    fn sums_of_16(x: &[[Self; 16]; 16]) -> [Self; 16]
    where
        Self: Real,
    {
        x.map(sum_lanes)
    }
}

/// The sum of the `W` lanes of `x`, by halves: log₂(W) vector steps
/// instead of one serial chain.
#[inline(always)]
pub fn sum_lanes<T: Real, const W: usize>(mut x: [T; W]) -> T {
    let mut n = W;
    while n > 1 {
        let half = n / 2;
        let keep = n - half;
        for q in 0..half {
            x[q] += x[keep + q];
        }
        n = keep;
    }
    if W == 0 {
        T::ZERO
    } else {
        x[0]
    }
}

impl<T> LaneSums for Dual<T> {}

impl LaneSums for f32 {
    #[inline(always)]
    fn sums_of_16(x: &[[f32; 16]; 16]) -> [f32; 16] {
        #[cfg(target_arch = "x86_64")]
        if simd::level() == simd::Level::Avx512 {
            // SAFETY: the CPU has AVX-512 F (the level says so).
            return unsafe { x86::sums_of_16_f32(x) };
        }
        x.map(sum_lanes)
    }
}

impl LaneSums for f64 {
    #[inline(always)]
    fn sums_of_16(x: &[[f64; 16]; 16]) -> [f64; 16] {
        #[cfg(target_arch = "x86_64")]
        if simd::level() == simd::Level::Avx512 {
            // SAFETY: the CPU has AVX-512 F (the level says so).
            return unsafe { x86::sums_of_16_f64(x) };
        }
        x.map(sum_lanes)
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    /// Vectors `i` and `i + n/2` combined for `i < n/2`, in place.
    macro_rules! combine {
        ($v:ident, $n:expr, |$c:ident, $d:ident| $e:expr) => {
            for i in 0..$n / 2 {
                let ($c, $d) = ($v[i], $v[i + $n / 2]);
                $v[i] = $e;
            }
        };
    }

    /// [`super::LaneSums::sums_of_16`] for `f32`: 16 registers. The first
    /// two steps add halves of 128-bit blocks (`shuffle_f32x4`), the last
    /// two halves within them (`shuffle_ps`); the lanes then hold the
    /// sums of `u = 0, 2, 1, 3, 8, 10, 9, 11, 4, 6, 5, 7, 12, 14, 13, 15`,
    /// put in order by one permute.
    ///
    /// # Safety
    /// The CPU must have AVX-512 F.
    #[target_feature(enable = "avx512f")]
    #[inline]
    pub(super) unsafe fn sums_of_16_f32(x: &[[f32; 16]; 16]) -> [f32; 16] {
        let mut v = [_mm512_setzero_ps(); 16];
        for (v, x) in v.iter_mut().zip(x) {
            // SAFETY: `x` is 16 numbers.
            *v = unsafe { _mm512_loadu_ps(x.as_ptr()) };
        }
        combine!(v, 16, |c, d| _mm512_add_ps(
            _mm512_shuffle_f32x4::<0x44>(c, d),
            _mm512_shuffle_f32x4::<0xEE>(c, d)
        ));
        combine!(v, 8, |c, d| _mm512_add_ps(
            _mm512_shuffle_f32x4::<0x88>(c, d),
            _mm512_shuffle_f32x4::<0xDD>(c, d)
        ));
        combine!(v, 4, |c, d| _mm512_add_ps(
            _mm512_shuffle_ps::<0x44>(c, d),
            _mm512_shuffle_ps::<0xEE>(c, d)
        ));
        combine!(v, 2, |c, d| _mm512_add_ps(
            _mm512_shuffle_ps::<0x88>(c, d),
            _mm512_shuffle_ps::<0xDD>(c, d)
        ));
        let order = _mm512_setr_epi32(0, 2, 1, 3, 8, 10, 9, 11, 4, 6, 5, 7, 12, 14, 13, 15);
        let mut out = [0.0; 16];
        // SAFETY: `out` is 16 numbers.
        unsafe { _mm512_storeu_ps(out.as_mut_ptr(), _mm512_permutexvar_ps(order, v[0])) };
        out
    }

    /// [`super::LaneSums::sums_of_16`] for `f64`: two registers per
    /// vector, added into one first; then three steps as for `f32`, the
    /// last within 128-bit blocks (`unpacklo/hi_pd`), and the two
    /// registers left put in order by two two-source permutes.
    ///
    /// # Safety
    /// The CPU must have AVX-512 F.
    #[target_feature(enable = "avx512f")]
    #[inline]
    pub(super) unsafe fn sums_of_16_f64(x: &[[f64; 16]; 16]) -> [f64; 16] {
        let mut v = [_mm512_setzero_pd(); 16];
        for (v, x) in v.iter_mut().zip(x) {
            // SAFETY: `x` is 16 numbers, read as two halves of 8.
            *v = unsafe {
                _mm512_add_pd(
                    _mm512_loadu_pd(x.as_ptr()),
                    _mm512_loadu_pd(x[8..].as_ptr()),
                )
            };
        }
        combine!(v, 16, |c, d| _mm512_add_pd(
            _mm512_shuffle_f64x2::<0x44>(c, d),
            _mm512_shuffle_f64x2::<0xEE>(c, d)
        ));
        combine!(v, 8, |c, d| _mm512_add_pd(
            _mm512_shuffle_f64x2::<0x88>(c, d),
            _mm512_shuffle_f64x2::<0xDD>(c, d)
        ));
        combine!(v, 4, |c, d| _mm512_add_pd(
            _mm512_unpacklo_pd(c, d),
            _mm512_unpackhi_pd(c, d)
        ));
        // Lanes of v[0], v[1] (indices 0..8, 8..16) hold the sums of
        // u = 0, 2, 8, 10, 4, 6, 12, 14 | 1, 3, 9, 11, 5, 7, 13, 15.
        let low = _mm512_setr_epi64(0, 8, 1, 9, 4, 12, 5, 13);
        let high = _mm512_setr_epi64(2, 10, 3, 11, 6, 14, 7, 15);
        let mut out = [0.0; 16];
        // SAFETY: `out` is 16 numbers, written as two halves of 8.
        unsafe {
            _mm512_storeu_pd(out.as_mut_ptr(), _mm512_permutex2var_pd(v[0], low, v[1]));
            _mm512_storeu_pd(
                out[8..].as_mut_ptr(),
                _mm512_permutex2var_pd(v[0], high, v[1]),
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check<T: Real + LaneSums>() {
        // Integers, so that every order of summation is exact.
        let x: [[T; 16]; 16] = std::array::from_fn(|u| {
            std::array::from_fn(|l| T::from_f64((1 + 16 * u + l * l * (u % 3 + 1)) as f64))
        });
        let want: [T; 16] = std::array::from_fn(|u| x[u].iter().copied().sum());
        assert_eq!(T::sums_of_16(&x), want);
        assert_eq!(x.map(sum_lanes), want);
    }

    #[test]
    fn sixteen_sums_come_out_in_order() {
        check::<f32>();
        check::<f64>();
        check::<Dual<f64>>();
    }
}
