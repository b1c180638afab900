//! Products `C (+)= α·A·B` whose right factor `B` is narrow (16 columns
//! or a few blocks of 16) and short, read where they lie: no packing.
//!
//! A packed GEMM (`matrixmultiply`) first copies `A` into panels of a few
//! rows and `B` into panels of a few columns, then runs a micro-kernel on
//! the panels. That pays when each number of `A` is used many times, i.e.
//! when `B` has many columns. The products of the equivariant layers have
//! narrow `B`s: the fully connected product's `t · W` has 16 columns, its
//! weight gradient `tᵀ · gY` too. There each number of `A` meets one
//! register of `B`, and copying it into a panel costs as much as the
//! multiply-add it feeds (measured: `pack_avx512` as much time as the
//! micro-kernel on the fully connected forward).
//!
//! Here a tile of [`MR`] rows of `C` and 16 columns (for `f32`, of 8 rows
//! and 32 columns where the columns allow) stays in AVX-512 registers
//! while `l` runs over the inner dimension: each step loads one row of
//! `B` and multiplies it by the tile's numbers of `A` broadcast from
//! where `A` lies, whatever its strides. Every sum runs over `l` in order
//! with fused multiply-adds, as the packed micro-kernels do. (The wide
//! tile pays where the inner dimension is short, as in the fully
//! connected backward's `gY Wᵀ` with 16: alone, 125 → 146 GFLOP/s.)
//!
//! This one kernel is written with AVX-512 intrinsics rather than as plain
//! loops: written as loops, the compiler's vectoriser turned the tile
//! around (vectorising over the rows of `A` with gathers, or keeping the
//! sums in memory) in every variant tried, and the product ran 1.3–8×
//! slower than the packed GEMM. Other CPUs take the packed GEMM.

// AVX-512 intrinsics on raw pointers; each block states why it is sound.
#![allow(unsafe_code)]

use super::{Mat, MatMut, Store};
use crate::kernels::{pool, simd};

/// Rows of one tile: `MR` registers of sums (two per row for `f64`), one
/// or two of `B`, of the 32 AVX-512 registers. Not a power of two, which
/// also keeps the vectoriser from grouping the rows.
pub(super) const MR: usize = 12;

/// `B` at most this many numbers: its panels (`k × 16`) stay in L1/L2
/// while every row tile of `A` passes over them.
const MAX_B: usize = 32_768;

/// Computes the product here and returns `true` if it is of the narrow
/// kind (`n` a multiple of 16, `C` with contiguous rows, `B` small) and
/// this CPU has AVX-512; `false` (nothing written) otherwise.
/// Shapes are checked by the caller.
pub(super) fn product<T: NarrowGemm>(
    alpha: T,
    a: &Mat<'_, T>,
    b: &Mat<'_, T>,
    into: Store,
    c: &mut MatMut<'_, T>,
) -> bool {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    let usable = m > 0
        && k > 0
        && n > 0
        && n.is_multiple_of(16)
        && k * n <= MAX_B
        && c.col_stride == 1
        && simd::level() == simd::Level::Avx512;
    if !usable {
        return false;
    }
    // SAFETY (both calls): `usable` checked the level.
    if b.col_stride == 1 {
        return unsafe { T::narrow_avx512(alpha, a, b, into, c) };
    }
    // `B` with strided rows (a transposed weight matrix): copied once into
    // a row-major buffer, a few thousand numbers against `m·k·n`
    // multiply-adds.
    let mut rows = pool::scratch(k * n, T::default());
    for (l, row) in rows.chunks_exact_mut(n).enumerate() {
        for (j, y) in row.iter_mut().enumerate() {
            *y = b.data[b.offset + l * b.row_stride + j * b.col_stride];
        }
    }
    let done = unsafe { T::narrow_avx512(alpha, a, &Mat::row_major(&rows, k, n), into, c) };
    pool::recycle(rows);
    done
}

/// The number types with the AVX-512 kernel (`f32`, `f64`).
pub(super) trait NarrowGemm: Copy + Default + 'static {
    /// The product with the AVX-512 kernel, if this type has one.
    ///
    /// # Safety
    /// The CPU must have AVX-512F ([`simd::level`] is `Avx512`).
    unsafe fn narrow_avx512(
        alpha: Self,
        a: &Mat<'_, Self>,
        b: &Mat<'_, Self>,
        into: Store,
        c: &mut MatMut<'_, Self>,
    ) -> bool {
        let _ = (alpha, a, b, into, c);
        false
    }
}

/// Pointers and strides of one product, in elements.
#[derive(Clone, Copy)]
struct Operands<T> {
    a: *const T,
    rsa: usize,
    csa: usize,
    k: usize,
    b: *const T,
    ldb: usize,
    c: *mut T,
    ldc: usize,
}

macro_rules! narrow_kernel {
    ($t:ty, $vec:ty, $per:literal, $wide:literal, $zero:ident, $set1:ident, $load:ident,
     $fma:ident, $mul:ident, $add:ident, $store:ident) => {
        impl NarrowGemm for $t {
            unsafe fn narrow_avx512(
                alpha: Self,
                a: &Mat<'_, Self>,
                b: &Mat<'_, Self>,
                into: Store,
                c: &mut MatMut<'_, Self>,
            ) -> bool {
                let ops = Operands {
                    // SAFETY: offsets of views `Mat::new`/`MatMut::new`
                    // checked to lie inside their slices.
                    a: unsafe { a.data.as_ptr().add(a.offset) },
                    rsa: a.row_stride,
                    csa: a.col_stride,
                    k: a.cols,
                    b: unsafe { b.data.as_ptr().add(b.offset) },
                    ldb: b.row_stride,
                    c: unsafe { c.data.as_mut_ptr().add(c.offset) },
                    ldc: c.row_stride,
                };
                let (m, n) = (a.rows, b.cols);
                let accumulate = into == Store::Accumulate;
                // SAFETY: the CPU has AVX-512 (this function's contract).
                // Every tile reads `A[i][l]`, `B[l][j]`
                // and writes `C[i][j]` for `i < m`, `l < k`, `j < n` only,
                // which `Mat::new`/`MatMut::new` checked lie inside the
                // slices; `c` is borrowed mutably, so it aliases neither.
                unsafe { all_tiles(ops, m, n, alpha, accumulate) };
                true
            }
        }

        /// Every tile of `C`: column blocks of 32 for `f32` where they fit
        /// (`$wide` registers), else of 16; row tiles of [`MR`] (8 in a
        /// wide block), then the remaining rows in tiles of 8, 4 and 1.
        /// Row by row, a remainder of 4 to 11 rows cost as much as a fifth
        /// of the fully connected product's matrix products (one load of
        /// `B` per multiply-add instead of one per `MR`).
        #[target_feature(enable = "avx512f")]
        unsafe fn all_tiles(ops: Operands<$t>, m: usize, n: usize, alpha: $t, acc: bool) {
            // Column blocks of `$wide` registers while they fit (each
            // broadcast number of `A` then feeds `$wide` multiply-adds:
            // with a short inner dimension, as in `gY Wᵀ`, the tile's
            // set-up and stores weigh less), then of 16 columns.
            let wide_cols = $wide * (16 / $per);
            let mut j0 = 0;
            while j0 + wide_cols <= n {
                unsafe { column_block::<$wide>(ops, m, j0, alpha, acc) };
                j0 += wide_cols;
            }
            while j0 < n {
                unsafe { column_block::<$per>(ops, m, j0, alpha, acc) };
                j0 += 16;
            }
        }

        /// The tiles of the columns `j0 .. j0 + V · 16 / $per`: row tiles
        /// of [`MR`] (of 8 in a wide block), then the remaining rows in
        /// tiles of 8, 4 and 1.
        #[target_feature(enable = "avx512f")]
        #[inline]
        unsafe fn column_block<const V: usize>(
            ops: Operands<$t>,
            m: usize,
            j0: usize,
            alpha: $t,
            acc: bool,
        ) {
            let mut i0 = 0;
            // Wide blocks take tiles of 8 rows throughout (16 registers of
            // sums and 8 of `B` in the four-step loop; 12 rows spilled);
            // 16-column blocks tiles of `MR`, then at most one of 8.
            if V == $per {
                while i0 + MR <= m {
                    unsafe { tile::<MR, V>(ops, i0, j0, alpha, acc) };
                    i0 += MR;
                }
            }
            while i0 + 8 <= m {
                unsafe { tile::<8, V>(ops, i0, j0, alpha, acc) };
                i0 += 8;
            }
            if i0 + 4 <= m {
                unsafe { tile::<4, V>(ops, i0, j0, alpha, acc) };
                i0 += 4;
            }
            while i0 < m {
                unsafe { tile::<1, V>(ops, i0, j0, alpha, acc) };
                i0 += 1;
            }
        }

        /// `C[i0 + r][j] (+)= α Σ_l A[i0 + r][l] B[l][j]` for `r < R` and
        /// the `V` registers of columns `j` from `j0`, the sums in
        /// registers.
        #[target_feature(enable = "avx512f")]
        #[inline]
        unsafe fn tile<const R: usize, const V: usize>(
            ops: Operands<$t>,
            i0: usize,
            j0: usize,
            alpha: $t,
            accumulate: bool,
        ) {
            use std::arch::x86_64::*;
            let mut sums: [[$vec; V]; R] = [[$zero(); V]; R];
            // SAFETY (every pointer below): inside the views, see
            // `narrow_avx512`.
            let a0 = unsafe { ops.a.add(i0 * ops.rsa) };
            let mut b_row = unsafe { ops.b.add(j0) };
            // Plain loops, not `array::from_fn`: its closures are not
            // compiled with AVX-512 and ran out of line.
            #[target_feature(enable = "avx512f")]
            #[inline]
            unsafe fn b_at<const V: usize>(p: *const $t) -> [$vec; V] {
                let mut v = [$zero(); V];
                for (h, v) in v.iter_mut().enumerate() {
                    *v = unsafe { $load(p.add(h * (16 / $per))) };
                }
                v
            }
            let mut l = 0;
            if ops.csa == 1 {
                // Rows of `A` contiguous: four steps at a time, each row's
                // address formed once for four reads at fixed offsets
                // (one step at a time, the address arithmetic of the
                // strided rows took as many instructions as the sums).
                while l + 4 <= ops.k {
                    let mut bv = [[$zero(); V]; 4];
                    for (q, bv) in bv.iter_mut().enumerate() {
                        *bv = unsafe { b_at::<V>(b_row.add(q * ops.ldb)) };
                    }
                    for r in 0..R {
                        let p = unsafe { a0.add(r * ops.rsa + l) };
                        for q in 0..4 {
                            let x = $set1(unsafe { *p.add(q) });
                            for h in 0..V {
                                sums[r][h] = $fma(x, bv[q][h], sums[r][h]);
                            }
                        }
                    }
                    b_row = unsafe { b_row.add(4 * ops.ldb) };
                    l += 4;
                }
            }
            if ops.rsa == 1 {
                // `A` transposed (its columns contiguous, as `tᵀ` in the
                // weight gradient): the `R` numbers of a step at fixed
                // offsets from one address, four steps at a time (with
                // the stride unknown, each read's address took a
                // multiply of its own).
                while l + 4 <= ops.k {
                    let mut bv = [[$zero(); V]; 4];
                    for (q, bv) in bv.iter_mut().enumerate() {
                        *bv = unsafe { b_at::<V>(b_row.add(q * ops.ldb)) };
                    }
                    for q in 0..4 {
                        let p = unsafe { a0.add((l + q) * ops.csa) };
                        for r in 0..R {
                            let x = $set1(unsafe { *p.add(r) });
                            for h in 0..V {
                                sums[r][h] = $fma(x, bv[q][h], sums[r][h]);
                            }
                        }
                    }
                    b_row = unsafe { b_row.add(4 * ops.ldb) };
                    l += 4;
                }
            }
            while l < ops.k {
                let bv = unsafe { b_at::<V>(b_row) };
                let a_l = unsafe { a0.add(l * ops.csa) };
                for r in 0..R {
                    let x = $set1(unsafe { *a_l.add(r * ops.rsa) });
                    for h in 0..V {
                        sums[r][h] = $fma(x, bv[h], sums[r][h]);
                    }
                }
                b_row = unsafe { b_row.add(ops.ldb) };
                l += 1;
            }
            let al = $set1(alpha);
            for (r, row) in sums.iter().enumerate() {
                let c_row = unsafe { ops.c.add((i0 + r) * ops.ldc + j0) };
                for (h, &s) in row.iter().enumerate() {
                    let p = unsafe { c_row.add(h * (16 / $per)) };
                    let v = $mul(al, s);
                    let v = if accumulate {
                        $add(unsafe { $load(p) }, v)
                    } else {
                        v
                    };
                    unsafe { $store(p, v) };
                }
            }
        }
    };
}

#[cfg(target_arch = "x86_64")]
mod f32_kernel {
    use super::*;
    narrow_kernel!(
        f32,
        __m512,
        1,
        2,
        _mm512_setzero_ps,
        _mm512_set1_ps,
        _mm512_loadu_ps,
        _mm512_fmadd_ps,
        _mm512_mul_ps,
        _mm512_add_ps,
        _mm512_storeu_ps
    );
}

#[cfg(target_arch = "x86_64")]
mod f64_kernel {
    use super::*;
    narrow_kernel!(
        f64,
        __m512d,
        2,
        2,
        _mm512_setzero_pd,
        _mm512_set1_pd,
        _mm512_loadu_pd,
        _mm512_fmadd_pd,
        _mm512_mul_pd,
        _mm512_add_pd,
        _mm512_storeu_pd
    );
}

#[cfg(not(target_arch = "x86_64"))]
impl NarrowGemm for f32 {}
#[cfg(not(target_arch = "x86_64"))]
impl NarrowGemm for f64 {}
