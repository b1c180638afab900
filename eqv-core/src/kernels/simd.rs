//! Loops compiled for the vector instructions the CPU has, chosen at run
//! time.
//!
//! A baseline x86-64 build may only use SSE2 (4 lanes of `f32`), but the
//! machines eqv runs on mostly have AVX2 + FMA (8 lanes) or AVX-512 (16).
//! [`vectorized`] runs a closure inside a function compiled for the widest
//! of these the CPU reports (detected once), so the loops of the closure,
//! inlined there, are vectorised for it. The kernels need no intrinsics:
//! they are written as plain loops (lanes of numbers, contiguous channels)
//! that the compiler vectorises for whichever target it is given.
//!
//! Plain loops give the same numbers whatever the choice: without
//! fast-math flags the compiler neither fuses a multiply and an add into an
//! FMA nor reorders a sum, so wider registers compute the very same
//! operations. A kernel that asks for fused multiply-adds explicitly
//! (`Real::fused_mul_add`, as the `Linear` register kernel and the fully
//! connected product's per-row loops do) differs
//! from the baseline build in the last bits, as the GEMM's own FMA kernels
//! already do.
//!
//! The largest kernels (fixed sizes for every irrep pair, unrolled) use
//! [`vectorized_or`] instead: compiled for AVX2 and AVX-512 only, with a
//! run-time-sized kernel for CPUs that have neither (x86-64 from before
//! 2013), whose sums run in another order. A third, baseline copy of
//! those bodies was about a third of the code the compiler generated for
//! eqv-core and took the clean build of the examples past twice its time
//! before the kernel layer. `EQV_SIMD=baseline` runs the fallbacks on any
//! CPU (CI tests them so). A kernel whose wide body would be one very
//! large function runs its steps each in a function of its own
//! ([`wide_or`], [`Wide::run`]): LLVM's time grows faster than the size
//! of a function.
// `#[target_feature]` functions may only be called where the features are
// known to exist: each `unsafe` block below states why that holds.
#![allow(unsafe_code)]

use std::sync::OnceLock;

/// The vector instruction sets [`vectorized`] chooses from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// What the build targets (SSE2 on baseline x86-64).
    Baseline,
    /// AVX2 and FMA (256-bit registers).
    Avx2,
    /// AVX-512 F, VL, DQ and BW on top of AVX2 (512-bit registers).
    Avx512,
}

/// The widest level this CPU supports, detected on first use.
pub fn level() -> Level {
    static LEVEL: OnceLock<Level> = OnceLock::new();
    *LEVEL.get_or_init(detect)
}

#[cfg(target_arch = "x86_64")]
fn detect() -> Level {
    if std::env::var_os("EQV_SIMD").is_some_and(|v| v == "baseline") {
        return Level::Baseline;
    }
    let avx2 = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
    let avx512 = is_x86_feature_detected!("avx512f")
        && is_x86_feature_detected!("avx512vl")
        && is_x86_feature_detected!("avx512dq")
        && is_x86_feature_detected!("avx512bw");
    match (avx2, avx512) {
        (true, true) => Level::Avx512,
        (true, false) => Level::Avx2,
        _ => Level::Baseline,
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn detect() -> Level {
    Level::Baseline
}

/// Runs `f` compiled for the widest vector instructions of this CPU
/// ([`level`]; `EQV_SIMD=baseline` in the environment forces the build's
/// own). Mark the closure `#[inline(always)]` so that its body is compiled
/// inside the wider function:
///
/// ```
/// use eqv::kernels::simd::vectorized;
/// let mut y = vec![1.0f32; 100];
/// vectorized(#[inline(always)] || {
///     for v in &mut y {
///         *v = *v * 2.0 + 1.0;
///     }
/// });
/// assert_eq!(y[99], 3.0);
/// ```
#[inline(always)]
pub fn vectorized<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        match level() {
            // SAFETY: `level` returns these only when the CPU reports every
            // feature the called function is compiled with.
            Level::Avx512 => return unsafe { x86::avx512(f) },
            Level::Avx2 => return unsafe { x86::avx2(f) },
            Level::Baseline => {}
        }
    }
    f()
}

/// Runs `wide` as [`vectorized`] does on a CPU with AVX2 or AVX-512, and
/// `fallback` on one with neither: for kernels whose wide body is large
/// (fixed sizes for every irrep pair, unrolled) and has a run-time-sized
/// counterpart, so that the body is compiled twice instead of three times
/// (why that matters: the module docs).
///
/// Both take the kernel's arguments `args` (so that both may borrow the
/// same buffers mutably); mark `wide` `#[inline(always)]`.
#[inline(always)]
pub fn vectorized_or<A, R>(args: A, wide: impl FnOnce(A) -> R, fallback: impl FnOnce(A) -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        match level() {
            // SAFETY: as in `vectorized`. The closures handed over are
            // inlined into the wide function, and `wide` into them: a
            // closure left out of line is compiled for the baseline, where
            // a fused multiply-add is a library call (measured: `Linear`
            // 80× slower).
            Level::Avx512 => unsafe {
                x86::avx512(
                    #[inline(always)]
                    move || wide(args),
                )
            },
            Level::Avx2 => unsafe {
                x86::avx2(
                    #[inline(always)]
                    move || wide(args),
                )
            },
            Level::Baseline => fallback(args),
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = fallback;
        wide(args)
    }
}

/// Proof that this CPU has the wide instruction sets of [`vectorized_or`]
/// (AVX2 + FMA, and which of them: with AVX-512 or without), obtained only
/// from [`wide_or`]: a kernel that holds one may run its steps each in a
/// function of its own compiled for them ([`Wide::run`]).
///
/// Why steps of their own: a wide body with every step of a kernel
/// inlined, each with its fixed sizes for every irrep dimension, is one
/// function of tens of thousands of LLVM instructions, and LLVM's passes
/// grow faster than the size of a function. The fully connected backward
/// as one such body took 10 s of compile time per number type and
/// instruction set (42 s, serial, of the 61 s of the bench example);
/// split into its per-row steps, each step is compiled on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wide(WideSet);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum WideSet {
    #[cfg(target_arch = "x86_64")]
    Avx2,
    #[cfg(target_arch = "x86_64")]
    Avx512,
    /// Not x86-64: what the build targets (as [`vectorized_or`] there).
    #[cfg(not(target_arch = "x86_64"))]
    Native,
}

impl Wide {
    /// The wide set of this CPU, if it has one ([`level`]).
    fn detected() -> Option<Wide> {
        #[cfg(target_arch = "x86_64")]
        {
            match level() {
                Level::Avx512 => Some(Wide(WideSet::Avx512)),
                Level::Avx2 => Some(Wide(WideSet::Avx2)),
                Level::Baseline => None,
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            Some(Wide(WideSet::Native))
        }
    }

    /// Runs `f` in a function of its own (never inlined into the caller)
    /// compiled for this instruction set; mark the closure
    /// `#[inline(always)]`, as for [`vectorized`]. A call costs a
    /// branch and a call: give it a step of some hundreds of operations.
    #[inline(always)]
    pub fn run<R>(self, f: impl FnOnce() -> R) -> R {
        match self.0 {
            // SAFETY: a `Wide` is made only by `detected`, from the
            // features this CPU reports.
            #[cfg(target_arch = "x86_64")]
            WideSet::Avx512 => unsafe { x86::avx512_apart(f) },
            #[cfg(target_arch = "x86_64")]
            WideSet::Avx2 => unsafe { x86::avx2_apart(f) },
            #[cfg(not(target_arch = "x86_64"))]
            WideSet::Native => apart(f),
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(never)]
fn apart<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// [`vectorized_or`] for a kernel whose wide body is split into steps:
/// `wide` runs (compiled for the build's target) with a [`Wide`] to run
/// each step with ([`Wide::run`]) on a CPU with AVX2 or AVX-512, and
/// `fallback` on one with neither.
#[inline(always)]
pub fn wide_or<A, R>(args: A, wide: impl FnOnce(Wide, A) -> R, fallback: impl FnOnce(A) -> R) -> R {
    match Wide::detected() {
        Some(set) => wide(set, args),
        None => fallback(args),
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    #[target_feature(enable = "avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")]
    pub(super) fn avx512<R>(f: impl FnOnce() -> R) -> R {
        f()
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) fn avx2<R>(f: impl FnOnce() -> R) -> R {
        f()
    }

    #[target_feature(enable = "avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")]
    #[inline(never)]
    pub(super) fn avx512_apart<R>(f: impl FnOnce() -> R) -> R {
        f()
    }

    #[target_feature(enable = "avx2,fma")]
    #[inline(never)]
    pub(super) fn avx2_apart<R>(f: impl FnOnce() -> R) -> R {
        f()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::exp::{exp_f32, exp_f64};

    /// `wide_or` takes the wide body exactly when the CPU has a wide set
    /// (not with `EQV_SIMD=baseline`), and a step run apart returns its
    /// value and writes through its borrows.
    #[test]
    fn wide_or_runs_the_steps_on_a_wide_cpu_only() {
        let mut y = vec![1.0f32; 37];
        let taken = wide_or(
            &mut y,
            |wide, y| {
                for (i, yi) in y.iter_mut().enumerate() {
                    let twice = wide.run(
                        #[inline(always)]
                        || {
                            *yi = yi.mul_add(3.0, i as f32);
                            *yi * 2.0
                        },
                    );
                    assert_eq!(twice, 2.0 * *yi);
                }
                "wide"
            },
            |_| "fallback",
        );
        let has_wide = cfg!(not(target_arch = "x86_64")) || level() != Level::Baseline;
        assert_eq!(taken, if has_wide { "wide" } else { "fallback" });
        if has_wide {
            assert!(y.iter().enumerate().all(|(i, &v)| v == 3.0 + i as f32));
        }
    }

    /// The same loop gives bit-identical numbers on the wide path and the
    /// baseline one (no fused multiply-adds, no reordered sums).
    #[test]
    fn wide_and_baseline_agree_to_the_bit() {
        let x: Vec<f64> = (0..1000).map(|i| (i as f64 - 500.0) * 0.173).collect();
        let body = |y: &mut [f64], z: &mut [f32]| {
            for ((y, z), &x) in y.iter_mut().zip(z.iter_mut()).zip(&x) {
                *y = x * exp_f64(-x * 0.01) + 0.5 * x * x;
                *z = exp_f32(x as f32 * 0.1) * 3.0 + 1.0;
            }
        };
        let run = |wide: bool| {
            let mut y = vec![0.0f64; x.len()];
            let mut z = vec![0.0f32; x.len()];
            if wide {
                vectorized(
                    #[inline(always)]
                    || body(&mut y, &mut z),
                );
            } else {
                body(&mut y, &mut z);
            }
            (y, z)
        };
        assert_eq!(run(true), run(false));
    }
}
