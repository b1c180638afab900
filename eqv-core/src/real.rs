//! The number types eqv computes with.
//!
//! Every kernel is written once, generic over [`Real`], and runs in `f32`
//! (fast inference), `f64` (tests, reference values) and [`Dual`] numbers
//! (forward-mode derivatives). Running the reverse pass of the tape on dual
//! numbers is how eqv gets the mixed second derivatives a force loss needs
//! ("forward-over-reverse"), without a second implementation of any op.

use crate::dual::Dual;
use crate::kernels::compiled_once::CompiledOnce;
use crate::kernels::convolution::Convolve;
use crate::kernels::gemm::Gemm;
use crate::kernels::lane_sums::LaneSums;
use crate::kernels::linear::RegisterLinear;
use crate::kernels::row_groups::GroupedRows;
use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// A real number type: `f32`, `f64`, or a [`Dual`] number over one of them.
///
/// Comparisons (`PartialOrd`) look at the primal value only, so piecewise
/// functions such as ReLU pick the same branch for a dual number as for its
/// primal part.
pub trait Real:
    Copy
    + Debug
    + Display
    + Default
    + PartialEq
    + PartialOrd
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Sum
    + Gemm
    + Convolve
    + RegisterLinear
    + LaneSums
    + GroupedRows
    + CompiledOnce
{
    /// Additive identity.
    const ZERO: Self;
    /// Multiplicative identity.
    const ONE: Self;
    /// Converts a constant (a Clebsch-Gordan coefficient, a weight) into this type.
    fn from_f64(x: f64) -> Self;
    /// The primal value as `f64` (the real part of a dual number).
    fn value(self) -> f64;
    /// Square root.
    fn sqrt(self) -> Self;
    /// Exponential.
    fn exp(self) -> Self;
    /// Natural logarithm.
    fn ln(self) -> Self;
    /// Hyperbolic tangent.
    fn tanh(self) -> Self;
    /// Sine.
    fn sin(self) -> Self;
    /// Cosine.
    fn cos(self) -> Self;
    /// Absolute value (derivative `sign(x)`, 0 at 0).
    fn abs(self) -> Self;
    /// Integer power.
    fn powi(self, n: i32) -> Self;
    /// Whether the primal value is finite (no NaN, no infinity).
    fn is_finite(self) -> bool;

    /// `self · a + b`, for `f32` and `f64` with one rounding (a fused
    /// multiply-add). Only for kernels compiled with FMA instructions
    /// (`kernels::simd` at level AVX2 or above): without them the fused
    /// form is a slow library call. Other types multiply, then add.
    #[inline(always)]
    fn fused_mul_add(self, a: Self, b: Self) -> Self {
        self * a + b
    }

    /// `1 / (1 + exp(-x))`, computed without overflow for large |x|.
    fn sigmoid(self) -> Self {
        if self.value() >= 0.0 {
            Self::ONE / (Self::ONE + (-self).exp())
        } else {
            let e = self.exp();
            e / (Self::ONE + e)
        }
    }

    /// `ln(1 + exp(x))`, computed without overflow for large |x|.
    fn softplus(self) -> Self {
        // softplus(x) = max(x, 0) + ln(1 + exp(-|x|))
        let relu = if self.value() > 0.0 { self } else { Self::ZERO };
        relu + (Self::ONE + (-self.abs()).exp()).ln()
    }
}

macro_rules! impl_real_float {
    ($t:ty, $exp:path) => {
        impl Real for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            #[inline(always)]
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            #[inline(always)]
            fn value(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            #[inline(always)]
            fn exp(self) -> Self {
                // Branch-free, so loops of activations vectorise.
                $exp(self)
            }
            /// `1 / (1 + e^{-x})` without a branch: `e^{-x}` saturates to
            /// `+∞` (giving 0) or 0 (giving 1), so the one formula is
            /// exact at both ends and the loop it sits in vectorises.
            #[inline(always)]
            fn sigmoid(self) -> Self {
                1.0 / (1.0 + $exp(-self))
            }
            #[inline(always)]
            fn ln(self) -> Self {
                <$t>::ln(self)
            }
            #[inline(always)]
            fn tanh(self) -> Self {
                <$t>::tanh(self)
            }
            #[inline(always)]
            fn sin(self) -> Self {
                <$t>::sin(self)
            }
            #[inline(always)]
            fn cos(self) -> Self {
                <$t>::cos(self)
            }
            #[inline(always)]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline(always)]
            fn powi(self, n: i32) -> Self {
                <$t>::powi(self, n)
            }
            #[inline(always)]
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
            #[inline(always)]
            fn fused_mul_add(self, a: Self, b: Self) -> Self {
                <$t>::mul_add(self, a, b)
            }
        }
    };
}

impl_real_float!(f32, crate::kernels::exp::exp_f32);
impl_real_float!(f64, crate::kernels::exp::exp_f64);

/// Derivative of a scalar function at `x`, by forward mode: `f(Dual(x, 1)).eps`.
///
/// Works at any nesting depth (`T` may itself be a dual number), which is what
/// lets elementwise ops write only their forward and get exact derivatives of
/// every order.
///
/// ```
/// use eqv::real::{derivative, Real};
/// let d = derivative(|x| x * x * x, 2.0_f64);
/// assert!((d - 12.0).abs() < 1e-12);
/// ```
pub fn derivative<T: Real>(f: impl Fn(Dual<T>) -> Dual<T>, x: T) -> T {
    f(Dual::variable(x)).eps
}
