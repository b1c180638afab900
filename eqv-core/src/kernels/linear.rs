//! The equivariant linear map on `[rows][mul][dim]` features,
//! `Y_m = s · X_m W` for every component `m` (the same weights for every
//! component, which is what makes it equivariant), row blocks split across
//! cores.
//!
//! For `f32` and `f64` irreps of dimension 3, 5 and 7, the map and its
//! input gradient run in a register kernel (`rows_in_registers`): per
//! row, a block of output channels of every component is summed in SIMD
//! registers over the input channels,
//! reading the features where they are. A GEMM per component would first
//! pack each strided `rows × mul` view into a contiguous copy (with
//! `K = N = 32` that packing cost as much as the product itself) and write
//! its result back through strides. Scalars (dimension 1) are contiguous
//! rows that the GEMM takes as they are, and it is faster there. The
//! weight gradient, a sum over every row and component, has a register
//! kernel of its own (`weight_gradient_rows`: per row, `gy` transposed to
//! components-outer, then sums of blocks of output channels over the input
//! channels). Dual numbers keep the GEMM (three real products each, see
//! [`super::gemm`]). The register kernels run on CPUs with AVX2 or
//! AVX-512 and use fused multiply-adds, as the GEMM's micro-kernels do, so
//! the last bits of a result depend on the CPU as they did before; CPUs
//! without AVX2 take the GEMM (the kernels are not compiled for them).

use super::gemm::{Mat, MatMut, Store};
use super::parallel;
use super::simd::{self, vectorized_or};
use crate::dual::Dual;
use crate::real::Real;

/// Rows, input channels, output channels and components per channel.
#[derive(Clone, Copy, Debug)]
pub struct LinearShape {
    /// Rows of the input and the output.
    pub rows: usize,
    /// Input channels.
    pub mul_in: usize,
    /// Output channels.
    pub mul_out: usize,
    /// Components per channel, `2L + 1`.
    pub dim: usize,
}

/// Output channels per register block of [`rows_in_registers`]: one AVX-512
/// register of `f32` (two of `f64`, two AVX2 registers of `f32`).
const BLOCK: usize = 16;

/// Number types with the register kernel: `f32` and `f64`, whose
/// instances are compiled here, once, out of line (as the convolution's,
/// see `kernels::convolution`); dual numbers take the GEMM and never
/// compile the kernel.
pub trait RegisterLinear: Sized {
    /// Whether the register kernel exists for this type.
    const REGISTERS: bool = false;

    /// `y (+)= s · x W` on every component with the register kernel, if
    /// there is one for this type and shape; `false` (and nothing
    /// written) otherwise.
    fn linear_in_registers(
        sh: &LinearShape,
        muls: (usize, usize),
        scale: Self,
        xw: (&[Self], &[Self]),
        store: Store,
        y: &mut [Self],
    ) -> bool {
        let _ = (sh, muls, scale, xw, store, y);
        false
    }

    /// `gw (+)= s · Σ_r Σ_m x[r][i][m] gy[r][o][m]` with the register
    /// kernel, if there is one for this type and shape; `false` (and
    /// nothing written) otherwise.
    fn weight_gradient_in_registers(
        sh: &LinearShape,
        scale: Self,
        xg: (&[Self], &[Self]),
        store: Store,
        gw: &mut [Self],
    ) -> bool {
        let _ = (sh, scale, xg, store, gw);
        false
    }
}

/// `$lanes`: the numbers of one 512-bit register, the width of the weight
/// gradient's blocks of output channels for this type.
macro_rules! register_kernel_for {
    ($t:ty, $lanes:literal) => {
        impl RegisterLinear for $t {
            const REGISTERS: bool = true;

            #[inline(never)]
            fn linear_in_registers(
                sh: &LinearShape,
                muls: (usize, usize),
                scale: Self,
                xw: (&[Self], &[Self]),
                store: Store,
                y: &mut [Self],
            ) -> bool {
                try_registers(sh, muls, scale, xw, store, y)
            }

            #[inline(never)]
            fn weight_gradient_in_registers(
                sh: &LinearShape,
                scale: Self,
                xg: (&[Self], &[Self]),
                store: Store,
                gw: &mut [Self],
            ) -> bool {
                try_weight_gradient::<Self, $lanes>(sh, scale, xg, store, gw)
            }
        }
    };
}
register_kernel_for!(f32, 16);
register_kernel_for!(f64, 8);
impl<T> RegisterLinear for Dual<T> {}

/// `y[r][o][m] (+)= s · Σ_i w[i][o] · x[r][i][m]` for `D` components (`ACC`:
/// add into `y`, else overwrite it), `w` row-major `[mul_in, mul_out]`;
/// each step a fused multiply-add (the kernel runs only where the CPU has
/// them, inside [`vectorized_or`]).
///
/// Output channels go in blocks of `O` ([`BLOCK`], then single channels
/// for the rest); a block's `D × O` sums stay in registers over the whole
/// loop over input channels, each step one load of `O` weights and `D`
/// broadcast features. The sum over `i` runs in input-channel order.
#[inline(always)]
fn rows_in_registers<T: Real, const D: usize, const ACC: bool>(
    (mi, mo): (usize, usize),
    scale: T,
    x: &[T],
    w: &[T],
    y: &mut [T],
) {
    #[inline(always)]
    fn block<T: Real, const D: usize, const O: usize, const ACC: bool>(
        (mi, mo, o0): (usize, usize, usize),
        scale: T,
        xr: &[T],
        w: &[T],
        yr: &mut [T],
    ) {
        let mut acc = [[T::ZERO; O]; D];
        for (xi, wi) in xr.chunks_exact(D).zip(w.chunks_exact(mo)).take(mi) {
            let wi: &[T; O] = wi[o0..o0 + O].try_into().expect("O weights");
            for m in 0..D {
                for o in 0..O {
                    acc[m][o] = xi[m].fused_mul_add(wi[o], acc[m][o]);
                }
            }
        }
        // Opaque to the optimiser: otherwise it vectorises the sums in the
        // output's interleaved `[o][m]` order and permutes the inputs of
        // every step (measured: slower than the GEMM for D = 3).
        let acc = std::hint::black_box(acc);
        let out: &mut [T] = &mut yr[o0 * D..(o0 + O) * D];
        for o in 0..O {
            for m in 0..D {
                let v = scale * acc[m][o];
                out[o * D + m] = if ACC { out[o * D + m] + v } else { v };
            }
        }
    }
    let whole = mo / BLOCK * BLOCK;
    for (xr, yr) in x.chunks_exact(mi * D).zip(y.chunks_exact_mut(mo * D)) {
        for o0 in (0..whole).step_by(BLOCK) {
            block::<T, D, BLOCK, ACC>((mi, mo, o0), scale, xr, w, yr);
        }
        for o0 in whole..mo {
            block::<T, D, 1, ACC>((mi, mo, o0), scale, xr, w, yr);
        }
    }
}

/// `acc[i][o] += Σ_r Σ_m x[r][i][m] gy[r][o][m]` over the rows of `x` and
/// `gy` (`acc` row-major `[mul_in, mul_out]`), for `D` components.
///
/// Per row, `gy`'s channels are first transposed to components-outer
/// (`gt[m][o]`, one row: it stays in L1), so that a block of `O` output
/// channels of one component is one contiguous load. Then for each block
/// of output channels its `D` loads stay in registers while every input
/// channel adds `D` broadcast features times them into its `O` sums of
/// `acc` (a 4 KB array for 32 × 32: in L1). The GEMM per component this
/// replaces first packs each strided `rows × mul` view (a stride of `D`)
/// into a contiguous copy, which cost twice its arithmetic.
#[inline(always)]
fn weight_gradient_rows<T: Real, const D: usize, const B: usize>(
    (mi, mo): (usize, usize),
    (x, gy): (&[T], &[T]),
    gt: &mut [T],
    acc: &mut [T],
) {
    #[inline(always)]
    fn block<T: Real, const D: usize, const O: usize>(
        (mi, mo, o0): (usize, usize, usize),
        xr: &[T],
        gt: &[T],
        acc: &mut [T],
    ) {
        let mut g = [[T::ZERO; O]; D];
        for m in 0..D {
            g[m].copy_from_slice(&gt[m * mo + o0..][..O]);
        }
        for (xi, ai) in xr.chunks_exact(D).zip(acc.chunks_exact_mut(mo)).take(mi) {
            // Local copies: the sums and features in registers, not read
            // back from memory after every store.
            let xi: [T; D] = xi.try_into().expect("D features");
            let ai: &mut [T; O] = (&mut ai[o0..o0 + O]).try_into().expect("O sums");
            let mut a = *ai;
            for m in 0..D {
                for o in 0..O {
                    a[o] = xi[m].fused_mul_add(g[m][o], a[o]);
                }
            }
            *ai = a;
        }
    }
    let whole = mo / B * B;
    for (xr, gr) in x.chunks_exact(mi * D).zip(gy.chunks_exact(mo * D)) {
        for o in 0..mo {
            for m in 0..D {
                gt[m * mo + o] = gr[o * D + m];
            }
        }
        for o0 in (0..whole).step_by(B) {
            block::<T, D, B>((mi, mo, o0), xr, gt, acc);
        }
        for o0 in whole..mo {
            block::<T, D, 1>((mi, mo, o0), xr, gt, acc);
        }
    }
}

/// [`RegisterLinear::weight_gradient_in_registers`] of `f32` and `f64`.
/// Rows are summed in blocks of [`parallel::ROWS_PER_TASK`], each block's
/// partial sum in row order and the blocks in block order (as
/// [`parallel::sum_over_rows`] does for the GEMM), so the result does not
/// depend on the number of cores.
fn try_weight_gradient<T: Real, const B: usize>(
    sh: &LinearShape,
    scale: T,
    (x, gy): (&[T], &[T]),
    store: Store,
    gw: &mut [T],
) -> bool {
    let (mi, mo, d) = (sh.mul_in, sh.mul_out, sh.dim);
    if !registers_apply::<T>(sh) || mi == 0 || mo == 0 {
        return false;
    }
    let block = |r0: usize, n: usize, acc: &mut [T]| {
        let (x, gy) = (
            &x[r0 * mi * d..][..n * mi * d],
            &gy[r0 * mo * d..][..n * mo * d],
        );
        let mut gt = super::pool::scratch(mo * d, T::ZERO);
        // A block of `B` output channels is one 512-bit register (with 16
        // `f64`, the sums and loads spill: measured slower than the GEMM).
        vectorized_or(
            (&mut gt[..], acc),
            #[inline(always)]
            |(t, acc)| match d {
                3 => weight_gradient_rows::<T, 3, B>((mi, mo), (x, gy), t, acc),
                5 => weight_gradient_rows::<T, 5, B>((mi, mo), (x, gy), t, acc),
                _ => weight_gradient_rows::<T, 7, B>((mi, mo), (x, gy), t, acc),
            },
            |_| unreachable!("registers_apply: the CPU has AVX2"),
        );
        super::pool::recycle(gt);
    };
    let total = parallel::sum_over_rows(sh.rows, mi * mo, block).unwrap_or_else(|| {
        let mut acc = super::pool::filled(mi * mo, T::ZERO);
        block(0, sh.rows, &mut acc);
        acc
    });
    for (g, &t) in gw.iter_mut().zip(&total) {
        *g = match store {
            Store::Overwrite => scale * t,
            Store::Accumulate => *g + scale * t,
        };
    }
    super::pool::recycle(total);
    true
}

/// Whether the register kernel runs for `T` and this shape: plain floats
/// and irreps of dimension 3, 5 or 7. Scalars (dimension 1) are contiguous
/// rows: the GEMM needs no strided packing there and is faster (measured on
/// NequIP's 64-atom structures: the register kernel made the energy 1.3×
/// slower). CPUs without AVX2 take the GEMM too, so that the register
/// kernels are compiled only for the wide instruction sets (and only with
/// fused multiply-adds).
fn registers_apply<T: Real>(sh: &LinearShape) -> bool {
    T::REGISTERS && matches!(sh.dim, 3 | 5 | 7) && simd::level() != simd::Level::Baseline
}

/// [`RegisterLinear::linear_in_registers`] of `f32` and `f64`: the
/// register kernel if the dimension is one it is compiled for.
fn try_registers<T: Real>(
    sh: &LinearShape,
    (mi, mo): (usize, usize),
    scale: T,
    (x, w): (&[T], &[T]),
    store: Store,
    y: &mut [T],
) -> bool {
    if !registers_apply::<T>(sh) || mi == 0 || mo == 0 {
        return false;
    }
    let d = sh.dim;
    parallel::rows_mut(y, mo * d, sh.rows, |r0, n, y| {
        let x = &x[r0 * mi * d..][..n * mi * d];
        let dims = (mi, mo);
        vectorized_or(
            y,
            #[inline(always)]
            |y| {
                macro_rules! run {
                    ($d:literal) => {
                        match store {
                            Store::Overwrite => {
                                rows_in_registers::<T, $d, false>(dims, scale, x, w, y)
                            }
                            Store::Accumulate => {
                                rows_in_registers::<T, $d, true>(dims, scale, x, w, y)
                            }
                        }
                    };
                }
                match d {
                    3 => run!(3),
                    5 => run!(5),
                    _ => run!(7),
                }
            },
            |_| unreachable!("registers_apply: the CPU has AVX2"),
        )
    });
    true
}

/// `y ← s · x W` (`y` is overwritten; `w` is `[mul_in, mul_out]`).
pub fn forward<T: Real>(sh: &LinearShape, scale: T, x: &[T], w: &[T], y: &mut [T]) {
    if T::linear_in_registers(
        sh,
        (sh.mul_in, sh.mul_out),
        scale,
        (x, w),
        Store::Overwrite,
        y,
    ) {
        return;
    }
    forward_gemm(sh, scale, x, w, y);
}

/// [`forward`] as one GEMM per component.
fn forward_gemm<T: Real>(sh: &LinearShape, scale: T, x: &[T], w: &[T], y: &mut [T]) {
    let LinearShape {
        mul_in: mi,
        mul_out: mo,
        dim: d,
        ..
    } = *sh;
    parallel::rows_mut(y, mo * d, sh.rows, |r0, n, y| {
        let x = &x[r0 * mi * d..];
        for m in 0..d {
            let out = MatMut::component(y, (n, mo, d), m);
            T::gemm(
                scale,
                Mat::component(x, (n, mi, d), m),
                Mat::row_major(w, mi, mo),
                Store::Overwrite,
                out,
            );
        }
    });
}

/// `gx ← s · gy Wᵀ` (or `+=`, as `store` says).
pub fn backward_input<T: Real>(
    sh: &LinearShape,
    scale: T,
    gy: &[T],
    w: &[T],
    store: Store,
    gx: &mut [T],
) {
    let (mi, mo) = (sh.mul_in, sh.mul_out);
    if registers_apply::<T>(sh) {
        // Wᵀ as a row-major `[mul_out, mul_in]` copy (small), so the
        // register kernel reads contiguous weights.
        let mut wt = super::pool::scratch(mi * mo, T::ZERO);
        for (i, wi) in w.chunks_exact(mo.max(1)).enumerate().take(mi) {
            for (o, &v) in wi.iter().enumerate() {
                wt[o * mi + i] = v;
            }
        }
        let done = T::linear_in_registers(sh, (mo, mi), scale, (gy, &wt), store, gx);
        super::pool::recycle(wt);
        if done {
            return;
        }
    }
    backward_input_gemm(sh, scale, gy, w, store, gx);
}

/// [`backward_input`] as one GEMM per component.
fn backward_input_gemm<T: Real>(
    sh: &LinearShape,
    scale: T,
    gy: &[T],
    w: &[T],
    store: Store,
    gx: &mut [T],
) {
    let LinearShape {
        mul_in: mi,
        mul_out: mo,
        dim: d,
        ..
    } = *sh;
    parallel::rows_mut(gx, mi * d, sh.rows, |r0, n, gx| {
        let gy = &gy[r0 * mo * d..];
        for m in 0..d {
            let out = MatMut::component(gx, (n, mi, d), m);
            let wt = Mat::row_major(w, mi, mo).t();
            T::gemm(scale, Mat::component(gy, (n, mo, d), m), wt, store, out);
        }
    });
}

/// `gw ← s · Σ_m X_mᵀ gY_m` (or `+=`, as `store` says). Large inputs are
/// summed by row blocks in block order, the same on any number of cores.
pub fn backward_weight<T: Real>(
    sh: &LinearShape,
    scale: T,
    x: &[T],
    gy: &[T],
    store: Store,
    gw: &mut [T],
) {
    if T::weight_gradient_in_registers(sh, scale, (x, gy), store, gw) {
        return;
    }
    backward_weight_gemm(sh, scale, x, gy, store, gw);
}

/// [`backward_weight`] as one GEMM per component.
fn backward_weight_gemm<T: Real>(
    sh: &LinearShape,
    scale: T,
    x: &[T],
    gy: &[T],
    store: Store,
    gw: &mut [T],
) {
    let LinearShape {
        mul_in: mi,
        mul_out: mo,
        dim: d,
        ..
    } = *sh;
    let block = |r0: usize, n: usize, first: Store, gw: &mut [T]| {
        let (x, gy) = (&x[r0 * mi * d..], &gy[r0 * mo * d..]);
        for m in 0..d {
            let out = MatMut::row_major(gw, mi, mo);
            let store = if m == 0 { first } else { Store::Accumulate };
            let xm = Mat::component(x, (n, mi, d), m).t();
            T::gemm(scale, xm, Mat::component(gy, (n, mo, d), m), store, out);
        }
    };
    match parallel::sum_over_rows(sh.rows, mi * mo, |r0, n, p| {
        block(r0, n, Store::Overwrite, p)
    }) {
        Some(total) => {
            for (g, t) in gw.iter_mut().zip(total) {
                *g = match store {
                    Store::Overwrite => t,
                    Store::Accumulate => *g + t,
                };
            }
        }
        None => block(0, sh.rows, store, gw),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data<T: Real>(n: usize, seed: f64) -> Vec<T> {
        (0..n)
            .map(|i| T::from_f64(((i as f64 + seed) * 0.7368).sin()))
            .collect()
    }

    /// The register kernels (forward, input and weight gradients,
    /// overwriting and adding) against the GEMM per component, on every
    /// compiled dimension, one that is not (9, the GEMM itself), channel
    /// counts with and without a remainder block, and enough rows to split
    /// across cores.
    fn registers_match_gemm<T: Real>(tol: f64) {
        for dim in [1, 3, 5, 7, 9] {
            for (mul_in, mul_out) in [(32, 32), (20, 37), (3, 1), (17, 16)] {
                for rows in [5, 2 * parallel::ROWS_PER_TASK + 3] {
                    let sh = LinearShape {
                        rows,
                        mul_in,
                        mul_out,
                        dim,
                    };
                    let s = T::from_f64(0.3);
                    let x = data::<T>(rows * mul_in * dim, 1.0);
                    let w = data::<T>(mul_in * mul_out, 2.0);
                    let gy = data::<T>(rows * mul_out * dim, 3.0);
                    let close = |a: &[T], b: &[T], what: &str| {
                        for (p, q) in a.iter().zip(b) {
                            let (p, q) = (p.value(), q.value());
                            assert!(
                                (p - q).abs() <= tol * (1.0 + q.abs()),
                                "{what} dim {dim} {mul_in}->{mul_out} rows {rows}: {p} vs {q}"
                            );
                        }
                    };
                    let mut fast = vec![T::from_f64(f64::NAN); rows * mul_out * dim];
                    let mut slow = fast.clone();
                    forward(&sh, s, &x, &w, &mut fast);
                    forward_gemm(&sh, s, &x, &w, &mut slow);
                    close(&fast, &slow, "forward");
                    for store in [Store::Overwrite, Store::Accumulate] {
                        let mut fast = data::<T>(rows * mul_in * dim, 4.0);
                        let mut slow = fast.clone();
                        backward_input(&sh, s, &gy, &w, store, &mut fast);
                        backward_input_gemm(&sh, s, &gy, &w, store, &mut slow);
                        close(&fast, &slow, "input gradient");
                        let mut fast = data::<T>(mul_in * mul_out, 5.0);
                        let mut slow = fast.clone();
                        backward_weight(&sh, s, &x, &gy, store, &mut fast);
                        backward_weight_gemm(&sh, s, &x, &gy, store, &mut slow);
                        // A sum over every row and component: its rounding
                        // grows with the sum of the terms' sizes (at most
                        // `s · rows · dim`), not with the result's.
                        let bound = 0.3 * (rows * dim) as f64;
                        for (p, q) in fast.iter().zip(&slow) {
                            let (p, q) = (p.value(), q.value());
                            assert!(
                                (p - q).abs() <= tol * bound,
                                "weight gradient dim {dim} {mul_in}->{mul_out} rows {rows}: {p} vs {q}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn register_kernel_matches_gemm_f64() {
        registers_match_gemm::<f64>(1e-13);
    }

    #[test]
    fn register_kernel_matches_gemm_f32() {
        registers_match_gemm::<f32>(1e-5);
    }

    /// The weight gradient is `Σ_r Σ_m x[r,i,m] gy[r,o,m]`, written out.
    #[test]
    fn weight_gradient_is_the_sum_over_rows_and_components() {
        let sh = LinearShape {
            rows: 2 * parallel::ROWS_PER_TASK + 7,
            mul_in: 4,
            mul_out: 3,
            dim: 5,
        };
        let x = data::<f64>(sh.rows * 4 * 5, 1.0);
        let gy = data::<f64>(sh.rows * 3 * 5, 2.0);
        let mut gw = vec![1.0; 12];
        backward_weight(&sh, 0.5, &x, &gy, Store::Accumulate, &mut gw);
        for i in 0..4 {
            for o in 0..3 {
                let mut want = 0.0;
                for r in 0..sh.rows {
                    for m in 0..5 {
                        want += x[(r * 4 + i) * 5 + m] * gy[(r * 3 + o) * 5 + m];
                    }
                }
                let want = 1.0 + 0.5 * want;
                assert!((gw[i * 3 + o] - want).abs() < 1e-10 * want.abs().max(1.0));
            }
        }
    }
}
