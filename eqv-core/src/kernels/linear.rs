//! The equivariant linear map on `[rows][mul][dim]` features: one GEMM per
//! component `m`, `Y_m = s · X_m W` (the same weights for every component,
//! which is what makes it equivariant), row blocks split across cores.

use super::gemm::{Mat, MatMut, Store};
use super::parallel;
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

/// `y ← s · x W` (`y` is overwritten; `w` is `[mul_in, mul_out]`).
pub fn forward<T: Real>(sh: &LinearShape, scale: T, x: &[T], w: &[T], y: &mut [T]) {
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
