//! The per-row step of the channel-wise product with the channels
//! innermost (cuEquivariance's `ir_mul` layout, `[row][component][channel]`),
//! as the fused convolution ([`super::convolution`]) runs it, and the
//! transposes into and out of that layout.
//!
//! With the channels innermost, every operation of a row is the same for
//! all channels, so the channels run in steps of fixed-size arrays that the
//! compiler keeps in SIMD registers: 16 channels per step for 4-byte
//! numbers (one AVX-512 register of `f32`), 8 for wider ones, then steps
//! of one for what is left. Per `(channel, component)` the operations and
//! their order are those of the one-channel-at-a-time loops, so the width
//! of a step never changes a result.
//!
//! Features are stored channel-outer (`[row][channel][component]`); the
//! transposes here move row blocks in and out of that layout.

use super::lane_sums::sum_lanes;
use crate::real::Real;

/// Channels per step for numbers of at most 4 bytes (`f32`).
pub(super) const WIDE: usize = 16;
/// Channels per step for wider numbers, and the second step size of `f32`.
pub(super) const STEP: usize = 8;

/// `L` numbers from the start of `s`, as an array.
#[inline(always)]
pub(super) fn lanes<T: Copy, const L: usize>(s: &[T]) -> [T; L] {
    *lanes_ref(s)
}

/// The first `L` numbers of `s`, as an array reference.
#[inline(always)]
fn lanes_ref<T, const L: usize>(s: &[T]) -> &[T; L] {
    (&s[..L]).try_into().expect("L numbers")
}

/// `D` rows of `L` lanes, row `i` from `s[i * stride + from..]` (plain
/// loops rather than `array::from_fn`, whose closures are not always
/// inlined for dual numbers).
#[inline(always)]
pub(super) fn lane_rows<T: Real, const D: usize, const L: usize>(
    s: &[T],
    stride: usize,
    from: usize,
) -> [[T; L]; D] {
    let mut rows = [[T::ZERO; L]; D];
    for (i, row) in rows.iter_mut().enumerate() {
        *row = lanes(&s[i * stride + from..]);
    }
    rows
}

/// The first `L` numbers of `s`, as a mutable array.
#[inline(always)]
pub(super) fn lanes_mut<T, const L: usize>(s: &mut [T]) -> &mut [T; L] {
    (&mut s[..L]).try_into().expect("L numbers")
}

/// Calls the body with a constant `$l` channels from `$u0`: steps of
/// [`WIDE`] for numbers of the type `$t` up to 4 bytes, then of [`STEP`],
/// then of one for the rest.
macro_rules! by_steps {
    ($t:ty, $n:expr, |$u0:ident, $l:ident| $body:expr) => {{
        let n = $n;
        let mut $u0 = 0;
        if std::mem::size_of::<$t>() <= 4 {
            while $u0 + WIDE <= n {
                {
                    const $l: usize = WIDE;
                    $body;
                }
                $u0 += WIDE;
            }
        }
        while $u0 + STEP <= n {
            {
                const $l: usize = STEP;
                $body;
            }
            $u0 += STEP;
        }
        while $u0 < n {
            {
                const $l: usize = 1;
                $body;
            }
            $u0 += 1;
        }
    }};
}
pub(super) use by_steps;

/// One row, channels innermost: `o[k][u] (+)= w[u] · Σ_i x[i][u] M[i][k]`
/// (`ACC`: added into `o`, else written over it). Per `(u, k)` the very
/// operations of the one-channel loop, in the same order.
#[inline(always)]
pub(super) fn row_forward<T: Real, const DA: usize, const DC: usize, const ACC: bool>(
    m: &[[T; DC]; DA],
    xr: &[T],
    wr: &[T],
    or: &mut [T],
) {
    let n = wr.len();
    by_steps!(T, n, |u0, L| {
        let x: [[T; L]; DA] = lane_rows(xr, n, u0);
        let w: [T; L] = lanes(&wr[u0..]);
        for k in 0..DC {
            let mut acc = [T::ZERO; L];
            for i in 0..DA {
                for l in 0..L {
                    acc[l] = x[i][l].fused_mul_add(m[i][k], acc[l]);
                }
            }
            let o = lanes_mut::<T, L>(&mut or[k * n + u0..]);
            for l in 0..L {
                o[l] = if ACC {
                    w[l].fused_mul_add(acc[l], o[l])
                } else {
                    w[l] * acc[l]
                };
            }
        }
    });
}

/// One row of the pullback, channels innermost, given the output gradient
/// `gr` (`[DC][mul]`): adds `w[u] · h[i][u]` to `gx` (`h[i][u] = Σ_k
/// M[i][k] go[k][u]`), `Σ_i x[i][u] h[i][u]` to `gw` and returns
/// `gM[i][k] = Σ_u w[u] x[i][u] go[k][u]` when asked (else zeros). The sums
/// over channels of `gM` are kept in [`STEP`] lanes (channel `u` in lane
/// `u mod STEP`) and the lanes added by halves at the end, so they do not
/// depend on the step widths taken. `write` (for `gx`, `gw`): the gradient is
/// written rather than added (what the buffer held is not read).
#[inline(always)]
pub(super) fn row_backward<T: Real, const DA: usize, const DC: usize>(
    m: &[[T; DC]; DA],
    (xr, wr, gr): (&[T], &[T], &[T]),
    mut gx: Option<&mut [T]>,
    mut gw: Option<&mut [T]>,
    want_gm: bool,
    (write_x, write_w): (bool, bool),
) -> [[T; DC]; DA] {
    let n = wr.len();
    let mut sums = [[[T::ZERO; STEP]; DC]; DA];
    by_steps!(T, n, |u0, L| {
        let x: [[T; L]; DA] = lane_rows(xr, n, u0);
        let go: [[T; L]; DC] = lane_rows(gr, n, u0);
        let w: [T; L] = lanes(&wr[u0..]);
        if gx.is_some() || gw.is_some() {
            let mut h = [[T::ZERO; L]; DA];
            for i in 0..DA {
                for k in 0..DC {
                    for l in 0..L {
                        h[i][l] = m[i][k].fused_mul_add(go[k][l], h[i][l]);
                    }
                }
            }
            if let Some(gx) = gx.as_deref_mut() {
                for i in 0..DA {
                    let g = lanes_mut::<T, L>(&mut gx[i * n + u0..]);
                    if write_x {
                        for l in 0..L {
                            g[l] = w[l] * h[i][l];
                        }
                    } else {
                        for l in 0..L {
                            g[l] = w[l].fused_mul_add(h[i][l], g[l]);
                        }
                    }
                }
            }
            if let Some(gw) = gw.as_deref_mut() {
                let mut dot = [T::ZERO; L];
                for i in 0..DA {
                    for l in 0..L {
                        dot[l] = x[i][l].fused_mul_add(h[i][l], dot[l]);
                    }
                }
                let g = lanes_mut::<T, L>(&mut gw[u0..]);
                if write_w {
                    *g = dot;
                } else {
                    for l in 0..L {
                        g[l] += dot[l];
                    }
                }
            }
        }
        if want_gm {
            // Channel u0 + l adds into lane (u0 + l) mod STEP (a wide step
            // starts at a multiple of STEP and adds its halves in turn).
            let at = u0 % STEP;
            for i in 0..DA {
                for k in 0..DC {
                    let s = &mut sums[i][k];
                    for l in 0..L {
                        s[(at + l) % STEP] =
                            (w[l] * x[i][l]).fused_mul_add(go[k][l], s[(at + l) % STEP]);
                    }
                }
            }
        }
    });
    // Each entry's lanes summed by halves (a chain of eight dependent
    // additions per entry was a fifth of a `0e ⊗ 1o → 1o` pullback).
    let mut gm = [[T::ZERO; DC]; DA];
    for i in 0..DA {
        for k in 0..DC {
            gm[i][k] = sum_lanes(sums[i][k]);
        }
    }
    gm
}

/// `xt[i][u] = x[u][i]` for one row of `x.len() / D` channels of `D`
/// components: the channels innermost. With `D` a constant the compiler
/// reads the row as interleaved groups of `D` numbers; 8 and 16 channels
/// are passed as constants too, so that the whole row becomes a handful
/// of vector loads, permutes and stores (measured on AVX-512: a 16 × 5
/// block of `f32` is 5 loads, 15 permutes and 5 stores, where a run-time
/// channel count moved the 80 numbers one at a time).
#[inline(always)]
pub(super) fn row_channels_inner<T: Copy, const D: usize>(x: &[T], xt: &mut [T]) {
    match x.len() / D {
        8 => channels_inner_of::<T, D>(x, 8, xt),
        16 => channels_inner_of::<T, D>(x, 16, xt),
        32 => channels_inner_of::<T, D>(x, 32, xt),
        mul => channels_inner_of::<T, D>(x, mul, xt),
    }
}

/// [`row_channels_inner`] for `mul` channels (inlined, so that a literal
/// `mul` makes every index a constant).
#[inline(always)]
fn channels_inner_of<T: Copy, const D: usize>(x: &[T], mul: usize, xt: &mut [T]) {
    let (x, xt) = (&x[..D * mul], &mut xt[..D * mul]);
    for (u, xu) in x.chunks_exact(D).enumerate() {
        for (i, &y) in xu.iter().enumerate() {
            xt[i * mul + u] = y;
        }
    }
}

/// `x[u][i] (+)= xt[i][u]` for one row of `x.len() / D` channels: the
/// inverse of [`row_channels_inner`], adding into `x` when `ADD`, else
/// writing over it (8 and 16 channels as constants, for the same reason).
#[inline(always)]
pub(super) fn row_channels_outer<T: Real, const D: usize, const ADD: bool>(xt: &[T], x: &mut [T]) {
    match x.len() / D {
        8 => channels_outer_of::<T, D, ADD>(xt, 8, x),
        16 => channels_outer_of::<T, D, ADD>(xt, 16, x),
        32 => channels_outer_of::<T, D, ADD>(xt, 32, x),
        mul => channels_outer_of::<T, D, ADD>(xt, mul, x),
    }
}

/// [`row_channels_outer`] for `mul` channels (inlined, as
/// [`channels_inner_of`]).
#[inline(always)]
fn channels_outer_of<T: Real, const D: usize, const ADD: bool>(xt: &[T], mul: usize, x: &mut [T]) {
    let (xt, x) = (&xt[..D * mul], &mut x[..D * mul]);
    for (u, xu) in x.chunks_exact_mut(D).enumerate() {
        for (i, y) in xu.iter_mut().enumerate() {
            let v = xt[i * mul + u];
            *y = if ADD { *y + v } else { v };
        }
    }
}

/// `t[r][i][u] = x[r][u][i]` for `rows` rows of `mul` channels of `d`
/// components: the channel innermost.
pub(super) fn channels_inner<T: Copy>(x: &[T], (rows, mul, d): (usize, usize, usize), t: &mut [T]) {
    channels_inner_at(x, (rows, mul, 0), (mul, d), t);
}

/// `t[r][k][u] = x[r][offset + u][k]` for the `mul` channels at `offset` of
/// rows with `row_mul` channels of `d` components (a path's channels of a
/// shared array), the channel innermost.
pub(super) fn channels_inner_at<T: Copy>(
    x: &[T],
    (rows, row_mul, offset): (usize, usize, usize),
    (mul, d): (usize, usize),
    t: &mut [T],
) {
    for r in 0..rows {
        let tr = &mut t[r * mul * d..][..mul * d];
        let xr = &x[(r * row_mul + offset) * d..][..mul * d];
        for u in 0..mul {
            for i in 0..d {
                tr[i * mul + u] = xr[u * d + i];
            }
        }
    }
}

/// `x[r][offset + u][k] (+)= t[r][k][u]`: the inverse of
/// [`channels_inner_at`], adding into `x` when `ADD`, else writing over it.
pub(super) fn channels_outer_at<T: Real, const ADD: bool>(
    t: &[T],
    (rows, row_mul, offset): (usize, usize, usize),
    (mul, d): (usize, usize),
    x: &mut [T],
) {
    for r in 0..rows {
        let tr = &t[r * mul * d..][..mul * d];
        let xr = &mut x[(r * row_mul + offset) * d..][..mul * d];
        for u in 0..mul {
            for i in 0..d {
                let v = tr[i * mul + u];
                xr[u * d + i] = if ADD { xr[u * d + i] + v } else { v };
            }
        }
    }
}
